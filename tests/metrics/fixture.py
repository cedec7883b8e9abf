"""A hand-made history for the report's figures: records inserted with explicit instants.

The lifecycle's own clocks are tested elsewhere (tests/domain/test_sla.py); here the report
reads what they store, so each row states what the desk would have written — including the
measures the incident process keeps (time to respond and to resolve, reopens, team changes:
domain/incidents/measures.py), which follow from the instants and timeline below. W0 is Monday
2026-01-05 00:00 UTC; the report's window is [W0, W0 + 14 days) = [Jan 5, Jan 19); the
desk's clock (the backlog's "now") is NOW = Tue Jan 20 12:00 UTC.

Incidents (opened; first response; resolved; paused seconds; flags):

    INC-1  P2 network vpn/connectivity, alice. Jan 6 09:00; +10m; +2h; 0. Assigned to erin
           (a person, not a team). MTTA 600, MTTR 7200. Closed.
    INC-2  P2 network vpn/connectivity, alice. Jan 6 10:00; +20m; +5h; 1800 (on hold 30m).
           MTTA 1200, MTTR 18000 − 1800 = 16200. Closed.
    INC-3  P3 network wifi/connectivity, bob. Jan 7 09:00; +1h; resolved +3h, reopened 2h
           later, resolved again at +8h; paused 7200 (the 2h resolved). MTTA 3600,
           MTTR 28800 − 7200 = 21600. Resolved.
    INC-4  P1 network vpn/performance, bob. Jan 8 09:00; +30m (respond breached at +15m,
           escalation 1); +3h. MTTA 1800, MTTR 10800. Closed.
    INC-5  P3 messaging email/delivery, frank. Jan 13 09:00, sent from service-desk to team
           messaging at +1h; +2h; +1d. MTTA 7200, MTTR 86400. Closed.
    INC-6  P4 service-desk laptop/hardware, alice. Jan 14 09:00; +4h; open (in progress).
           MTTA 14400.
    INC-7  P3 network wifi/performance, bob. Jan 15 09:00; no response, respond breached at
           +4h (escalation 1). Open (new).
    INC-8  P3 service-desk, no service, alice. Jan 16 09:00, cancelled an hour later.
    INC-9  P2 network vpn/connectivity, frank. Dec 20 09:00 (before the window); +10m;
           resolved Jan 9 09:00 (in it); resolve breached Dec 20 (escalation 1).
           MTTR 20 days = 1 728 000. Closed.
    INC-10 P3 network vpn, bob. Jan 19 02:00 (after the window). Open (new).
    INC-11 P5 messaging email, bob. Nov 1 2025 09:00; +1h; on hold since Nov 2.
    INC-12 P4 network wifi/connectivity, bob. Jan 18 20:00; first response Jan 19 01:00
           (after the window). Open (in progress).
    INC-13 P1 messaging email, frank. Jan 20 06:00 (after the window). Open (new).
    INC-14 P2 network vpn, frank. Jan 2 12:00 (before the window); +1h. Open (assigned).

Problems: PRB-1 ← INC-3, INC-7, INC-9; PRB-2 ← INC-5.

Requests (opened; approvers; approved; state, closed):
    REQ-1 alice, service-desk: Jan 6 10:00; carol; Jan 6 12:00 (7200); fulfilled Jan 7 10:00.
    REQ-2 bob, service-desk: Jan 8 09:00; none (approved at once); fulfilled Jan 8 10:00.
    REQ-3 alice, service-desk: Jan 10 09:00; carol,frank; Jan 10 09:30 (1800); in progress.
    REQ-4 frank, messaging: Jan 3 09:00; carol; Jan 5 03:00 (42h = 151200); fulfilled Jan 20.
    REQ-5 alice, service-desk: Jan 12 09:00; carol; never; denied Jan 12 11:00.

Access grants (approved; state, ended):
    ACC-1 alice: Jan 6 10:00; expired Jan 6 14:00.
    ACC-2 erin (break-glass): Jan 7 09:00; revoked Jan 7 09:30.
    ACC-3 bob: Jan 12 09:00; granted.
    ACC-4 frank: Dec 30 09:00; expired Jan 2 09:00 (before the window).
    ACC-5 carol: pending.

Surveys (ticket, person, team; asked; answered; score, comment):
    SRV-1 INC-1 alice network; Jan 7 11:00; Jan 7 12:00; 5 "quick".
    SRV-2 INC-2 alice network; Jan 7 15:00; Jan 7 16:00; 2 "took ages".
    SRV-3 INC-3 bob network; Jan 8 09:00; not answered.
    SRV-4 REQ-1 alice service-desk; Jan 8 10:00; Jan 8 11:00; 4, no comment.
    SRV-5 INC-9 frank network; Jan 12 09:00; Jan 12 10:00; 1 "never again".
    SRV-6 INC-14 frank network; Dec 30 09:00; Dec 31 09:00; 1 "old" (before the window).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.access.records import AccessGrant
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.problems.records import ProblemLink, ProblemRecord
from domain.requests.records import RequestRecord
from domain.surveys.records import SurveyRecord

W0 = datetime(2026, 1, 5, tzinfo=UTC)
UNTIL = W0 + timedelta(days=14)
NOW = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _incident(
    id: int,
    priority: str,
    team: str,
    service: str | None,
    category: str | None,
    reporter: str,
    opened: datetime,
    state: str,
    *,
    response: timedelta | None = None,
    resolved: timedelta | datetime | None = None,
    paused: int = 0,
    paused_since: datetime | None = None,
    respond_breached: bool = False,
    resolve_breached: bool = False,
    escalation: int = 0,
    closed_at: datetime | None = None,
    reopens: int = 0,
    team_changes: int = 0,
) -> IncidentRecord:
    resolved_at = opened + resolved if isinstance(resolved, timedelta) else resolved
    if resolved_at is not None and paused_since is None:
        paused_since = resolved_at  # a resolved incident's clocks stopped at its resolution
    return IncidentRecord(
        id=id,
        title=f"incident {id}",
        description="",
        reporter=reporter,
        service=service,
        category=category,
        impact="medium",
        urgency="medium",
        priority=priority,
        assignment_group=team,
        assignee=None,
        state=state,
        opened_at=opened,
        first_response_at=opened + response if response is not None else None,
        resolved_at=resolved_at,
        closed_at=closed_at,
        updated_at=opened,
        paused_since=paused_since,
        paused_seconds=paused,
        respond_warned=respond_breached,
        respond_breached=respond_breached,
        resolve_warned=resolve_breached,
        resolve_breached=resolve_breached,
        escalation_level=escalation,
        response_seconds=response.total_seconds() if response is not None else None,
        resolution_seconds=(resolved_at - opened).total_seconds() - paused
        if resolved_at is not None
        else None,
        reopen_count=reopens,
        team_changes=team_changes,
    )


def incidents() -> list[IncidentRecord]:
    return [
        _incident(1, "P2", "network", "vpn", "connectivity", "alice", at(1, 6), "closed",
                  response=10 * M, resolved=2 * H),
        _incident(2, "P2", "network", "vpn", "connectivity", "alice", at(1, 6, 10), "closed",
                  response=20 * M, resolved=5 * H, paused=1800),
        _incident(3, "P3", "network", "wifi", "connectivity", "bob", at(1, 7), "resolved",
                  response=H, resolved=8 * H, paused=7200, reopens=1),
        _incident(4, "P1", "network", "vpn", "performance", "bob", at(1, 8), "closed",
                  response=30 * M, resolved=3 * H, respond_breached=True, escalation=1),
        _incident(5, "P3", "messaging", "email", "delivery", "frank", at(1, 13), "closed",
                  response=2 * H, resolved=D, team_changes=1),
        _incident(6, "P4", "service-desk", "laptop", "hardware", "alice", at(1, 14),
                  "in_progress", response=4 * H),
        _incident(7, "P3", "network", "wifi", "performance", "bob", at(1, 15), "new",
                  respond_breached=True, escalation=1),
        _incident(8, "P3", "service-desk", None, None, "alice", at(1, 16), "cancelled",
                  closed_at=at(1, 16, 10)),
        _incident(9, "P2", "network", "vpn", "connectivity", "frank", at(12, 20, year=2025),
                  "closed", response=10 * M, resolved=at(1, 9), resolve_breached=True,
                  escalation=1),
        _incident(10, "P3", "network", "vpn", None, "bob", at(1, 19, 2), "new"),
        _incident(11, "P5", "messaging", "email", None, "bob", at(11, 1, year=2025), "on_hold",
                  response=H, paused_since=at(11, 2, year=2025)),
        _incident(12, "P4", "network", "wifi", "connectivity", "bob", at(1, 18, 20),
                  "in_progress", response=5 * H),
        _incident(13, "P1", "messaging", "email", None, "frank", at(1, 20, 6), "new"),
        _incident(14, "P2", "network", "vpn", None, "frank", at(1, 2, 12), "assigned",
                  response=H),
    ]  # fmt: skip


def timeline() -> list[TimelineEntry]:
    """The entries the report reads (reassignments, reopens, breaches), plus a few others."""
    entries = [
        (1, at(1, 6), "opened", "Opened with priority P2"),
        (1, at(1, 6, 9, 5), "assigned", "Assigned to erin"),  # a person: no escalation
        (3, at(1, 7, 12), "resolved", "first fix"),
        (3, at(1, 7, 14), "reopened", "still broken"),
        (3, at(1, 7, 17), "resolved", "second fix"),
        (4, at(1, 8, 9, 15), "sla_breach", "SLA breached: time to respond; escalated to carol"),
        (5, at(1, 13, 10), "assigned", "Assigned to team messaging"),
        (7, at(1, 15, 13), "sla_breach", "SLA breached: time to respond; escalated to carol"),
        (9, at(12, 20, 17, year=2025), "sla_breach", "SLA breached: time to resolve; escalated"),
    ]
    return [
        TimelineEntry(incident_id=i, at=when, actor="deskbot", kind=kind, text=text)
        for i, when, kind, text in entries
    ]


def problems() -> list:
    made = [
        ProblemRecord(
            id=n,
            title=f"problem {n}",
            description="",
            service=service,
            category=None,
            priority="P3",
            owner_team=team,
            state="investigating",
            opened_by="carol",
            opened_at=at(1, 9),
            updated_at=at(1, 9),
        )
        for n, service, team in ((1, "wifi", "network"), (2, "email", "messaging"))
    ]
    links = [
        ProblemLink(incident_id=i, problem_id=p, linked_at=at(1, 16), linked_by="carol")
        for i, p in ((3, 1), (7, 1), (9, 1), (5, 2))
    ]
    return [*made, *links]


def _request(id, requester, team, opened, approvers, approved, state, closed=None):
    return RequestRecord(
        id=id,
        item="software",
        title="Software install",
        requester=requester,
        state=state,
        answers="{}",
        approvers=approvers,
        approvals_required=1 if approvers else 0,
        fulfil_team=team,
        opened_at=opened,
        updated_at=opened,
        due_at=opened + 3 * D,
        approved_at=approved,
        # What the desk keeps as it approves (none for a request that needed no approval).
        approval_seconds=(approved - opened).total_seconds() if approved and approvers else None,
        closed_at=closed,
        escalated=False,
        breached=False,
    )


def requests() -> list[RequestRecord]:
    return [
        _request(1, "alice", "service-desk", at(1, 6, 10), "carol", at(1, 6, 12), "fulfilled",
                 at(1, 7, 10)),
        _request(2, "bob", "service-desk", at(1, 8), "", at(1, 8), "fulfilled", at(1, 8, 10)),
        _request(3, "alice", "service-desk", at(1, 10), "carol,frank", at(1, 10, 9, 30),
                 "in_progress"),
        _request(4, "frank", "messaging", at(1, 3), "carol", at(1, 5, 3), "fulfilled",
                 at(1, 20)),
        _request(5, "alice", "service-desk", at(1, 12), "carol", None, "denied", at(1, 12, 11)),
    ]  # fmt: skip


def _grant(id, person, approved, state, ended=None, break_glass=False):
    return AccessGrant(
        id=id,
        resource="prod-db",
        role="read",
        group_name="prod-db-read",
        person=person,
        reason="work",
        state=state,
        duration_s=4 * 3600,
        approvers="carol,frank",
        approvals_required=1,
        break_glass=break_glass,
        was_member=False,
        requested_at=(approved or at(1, 10)) - H,
        approved_at=approved,
        ended_at=ended,
        updated_at=ended or approved or at(1, 10),
    )


def grants() -> list[AccessGrant]:
    return [
        _grant(1, "alice", at(1, 6, 10), "expired", at(1, 6, 14)),
        _grant(2, "erin", at(1, 7), "revoked", at(1, 7, 9, 30), break_glass=True),
        _grant(3, "bob", at(1, 12), "granted"),
        _grant(4, "frank", at(12, 30, year=2025), "expired", at(1, 2)),
        _grant(5, "carol", None, "pending"),
    ]


def _survey(id, ticket, person, team, asked, answered=None, score=None, comment=None):
    kind, number = ("incident" if ticket.startswith("INC") else "request"), ticket.split("-")[1]
    return SurveyRecord(
        id=id,
        ticket_type=kind,
        ticket_id=number,
        ticket_key=ticket,
        title=f"{ticket} title",
        person=person,
        agent="erin",
        team=team,
        state="answered" if answered else "asked",
        score=score,
        comment=comment,
        asked_at=asked,
        answered_at=answered,
    )


def surveys() -> list[SurveyRecord]:
    return [
        _survey(1, "INC-1", "alice", "network", at(1, 7, 11), at(1, 7, 12), 5, "quick"),
        _survey(2, "INC-2", "alice", "network", at(1, 7, 15), at(1, 7, 16), 2, "took ages"),
        _survey(3, "INC-3", "bob", "network", at(1, 8)),
        _survey(4, "REQ-1", "alice", "service-desk", at(1, 8, 10), at(1, 8, 11), 4),
        _survey(5, "INC-9", "frank", "network", at(1, 12), at(1, 12, 10), 1, "never again"),
        _survey(6, "INC-14", "frank", "network", at(12, 30, year=2025), at(12, 31, year=2025),
                1, "old"),
    ]  # fmt: skip


def load(desk) -> None:
    """Store the history and move the desk's clock to NOW."""
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        ctx.session.add_all(incidents())
        ctx.session.flush()
        ctx.session.add_all([*timeline(), *problems(), *requests(), *grants(), *surveys()])
    desk.clock.advance(NOW - desk.clock.now())
