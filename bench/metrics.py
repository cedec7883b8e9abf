"""Measuring the desk at scale: `/desk report`, the /metrics scrape, the chart and the
dashboard's pages over `--incidents` stored incidents (default 100k).

Seeds a year of history as the processes would have written it: incidents of every
priority, team, service and state (most resolved, some reopened, held, sent to another team,
breached, escalated) with their timelines and the measures the incident process keeps
(`response_seconds`, `resolution_seconds`, `reopen_count`, `team_changes`: consistent with
the instants and timeline), problems and their links, satisfaction surveys, requests, access
grants and the outbox's delivery history (a few failed, a few waiting). Then times, each
`--runs` times and side by side in one run:

- `/desk report` through the dispatcher, as an admin (grace): the last 30 days, and all time
  (target: p99 under 200 ms);
- a /metrics scrape: `generate_latest` of the web process's registry, whose collector reads
  the database (target under 50 ms);
- rendering the report's chart to PNG (target under 300 ms);
- each dashboard page, in process through its ASGI routes with a signed-in admin session
  (target under 100 ms server time).

`--profile` first times each figure of the report on its own, for both windows.

    python -m bench.metrics [--incidents 1000000] [--runs 50] [--profile]
                            [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench import support
from bench.command_path import percentiles
from bot.identity import PlatformIdentity
from domain.access.records import AccessGrant
from domain.clock import ManualClock
from domain.context import Actor
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.problems.records import ProblemLink, ProblemRecord
from domain.records import OutboxMessage
from domain.requests.records import RequestRecord
from domain.surveys.records import SurveyRecord

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
YEAR = 365 * 86400
PRIORITIES = ["P1", "P2", "P3", "P3", "P3", "P4", "P4", "P5"]
TEAMS = ["service-desk", "network", "messaging"]
SERVICES = ["vpn", "email", "wifi", "laptop", None]
CATEGORIES = ["connectivity", "hardware", "software", "access", None]
AGENTS = ["bob", "carol", "erin", "dave"]
ADMIN = "grace"
TOKEN_ENV = "DESKBOT_METRICS_TOKEN"
BATCH = 20_000


def _seconds(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds(), 3)


def history(count: int, seed: int = 16) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """`count` incidents over the year before NOW, each with its timeline rows."""
    rng = random.Random(seed)
    for n in range(count):
        opened = NOW - timedelta(seconds=rng.randrange(YEAR))
        age = (NOW - opened).total_seconds()
        priority = rng.choice(PRIORITIES)
        team = rng.choice(TEAMS)
        respond = min(age, rng.expovariate(1 / 1800))
        responded = opened + timedelta(seconds=respond) if respond < age else None
        resolved = None
        held = responded is not None and rng.random() < 0.15
        paused = rng.randrange(600, 86400) if held else 0
        reopened = rng.random() < 0.06
        sent = responded is not None and rng.random() < 0.1
        if responded is not None and rng.random() < 0.9:
            took = rng.expovariate(1 / (6 * 3600)) + paused + (7200 if reopened else 0)
            if respond + took < age:
                resolved = responded + timedelta(seconds=took)
        reopened = reopened and resolved is not None
        state = "resolved" if resolved else ("in_progress" if responded else "new")
        if resolved and (NOW - resolved).days > 3:
            state = "closed"
        if held and not resolved and rng.random() < 0.3:
            state = "on_hold"
        # Reopened: resolved 2 h before the end, reopened an hour later: an hour spent resolved.
        paused += 3600 if reopened else 0
        paused_since = resolved
        if state == "on_hold":  # still paused: the pause is not added up yet
            paused, paused_since = 0, responded + timedelta(seconds=60)
        row = support.incident_row(
            f"historic incident {n}",
            opened,
            reporter=f"person{rng.randrange(400)}",
            service=rng.choice(SERVICES),
            category=rng.choice(CATEGORIES),
            priority=priority,
            assignment_group=team,
            assignee=rng.choice(AGENTS) if responded else None,
            state=state,
            first_response_at=responded,
            resolved_at=resolved,
            closed_at=resolved + timedelta(days=3) if state == "closed" else None,
            paused_seconds=paused,
            paused_since=paused_since,
            respond_breached=respond > 4 * 3600,
            resolve_breached=resolved is not None and (resolved - opened).days > 2,
            escalation_level=1 if rng.random() < 0.05 else 0,
            response_seconds=_seconds(opened, responded) if responded else None,
            resolution_seconds=round(_seconds(opened, resolved) - paused, 3) if resolved else None,
            reopen_count=1 if reopened else 0,
            team_changes=1 if sent else 0,
        )
        steps = [(opened, "opened", f"Opened with priority {priority}")]
        if responded:
            steps.append((responded, "claimed", "Claimed by bob"))
        if held:
            steps.append((responded + timedelta(seconds=60), "held", "waiting for the user"))
            if state != "on_hold":
                steps.append((responded + timedelta(seconds=60 + paused), "resumed", "Resumed"))
        if sent:
            steps.append(
                (responded + timedelta(seconds=120), "assigned", f"Assigned to team {team}")
            )
        if resolved:
            if reopened:
                steps.append((resolved - timedelta(hours=2), "resolved", "first fix"))
                steps.append((resolved - timedelta(hours=1), "reopened", "still broken"))
            steps.append((resolved, "resolved", "fixed"))
        timeline = [{"at": at, "actor": "bob", "kind": k, "text": t} for at, k, t in steps]
        yield row, timeline


def seed(runtime, count: int) -> None:
    """Incidents and their timelines (ids 1..count in insertion order), then the rest."""
    incidents: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    next_id = 1
    for row, steps in history(count):
        incidents.append(row | {"id": next_id})
        timeline += [s | {"incident_id": next_id} for s in steps]
        if row["state"] == "closed":
            closed.append(row | {"id": next_id})
        next_id += 1
        if len(incidents) >= BATCH:
            support.bulk_insert(runtime, IncidentRecord.__table__, incidents)
            support.bulk_insert(runtime, TimelineEntry.__table__, timeline)
            incidents, timeline = [], []
    support.bulk_insert(runtime, IncidentRecord.__table__, incidents)
    support.bulk_insert(runtime, TimelineEntry.__table__, timeline)
    rng = random.Random(61)
    seed_problems(runtime, rng, count)
    support.bulk_insert(runtime, SurveyRecord.__table__, surveys(rng, closed))
    support.bulk_insert(runtime, RequestRecord.__table__, requests(rng, count * 3 // 10))
    support.bulk_insert(runtime, AccessGrant.__table__, grants(rng, count // 20))
    support.bulk_insert(runtime, OutboxMessage.__table__, outbox(rng, count))


def seed_problems(runtime, rng: random.Random, count: int) -> None:
    """One problem per 200 incidents; one incident in twenty linked to one."""
    problems = max(1, count // 200)
    support.bulk_insert(
        runtime,
        ProblemRecord.__table__,
        (
            {
                "id": n,
                "title": f"problem {n}",
                "description": "",
                "service": rng.choice(SERVICES),
                "priority": "P3",
                "owner_team": rng.choice(TEAMS),
                "state": "investigating",
                "opened_by": "carol",
                "opened_at": NOW - timedelta(days=rng.randrange(365)),
                "updated_at": NOW,
            }
            for n in range(1, problems + 1)
        ),
    )
    linked = rng.sample(range(1, count + 1), count // 20)
    support.bulk_insert(
        runtime,
        ProblemLink.__table__,
        (
            {
                "incident_id": i,
                "problem_id": rng.randrange(1, problems + 1),
                "linked_at": NOW,
                "linked_by": "carol",
            }
            for i in linked
        ),
    )


def surveys(rng: random.Random, closed: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """A survey for a third of the closed incidents, asked as they closed; half answered."""
    for row in closed:
        if rng.random() >= 1 / 3 or row["closed_at"] >= NOW:
            continue
        answered = rng.random() < 0.5
        score = rng.choice([1, 2, 3, 4, 4, 5, 5, 5]) if answered else None
        yield {
            "ticket_type": "incident",
            "ticket_id": str(row["id"]),
            "ticket_key": f"INC-{row['id']}",
            "title": row["title"],
            "person": row["reporter"],
            "agent": row["assignee"],
            "team": row["assignment_group"],
            "state": "answered" if answered else "asked",
            "score": score,
            "comment": rng.choice([None, None, "thanks", "slow"]) if answered else None,
            "asked_at": row["closed_at"],
            "answered_at": row["closed_at"] + timedelta(hours=2) if answered else None,
        }


def requests(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    """Requests over the year: half need approval; most are fulfilled, some denied."""
    for n in range(count):
        opened = NOW - timedelta(seconds=rng.randrange(YEAR))
        approvers = "carol" if rng.random() < 0.5 else ""
        approved = opened + timedelta(seconds=rng.expovariate(1 / 7200) if approvers else 0)
        outcome = rng.random()
        state, closed = "in_progress", None
        if approved >= NOW:
            state, approved = "awaiting_approval", None
        elif outcome < 0.8:
            closed = approved + timedelta(seconds=rng.expovariate(1 / 86400))
            state = "fulfilled" if closed < NOW else "in_progress"
            closed = closed if closed < NOW else None
        elif outcome < 0.9 and approvers:
            state, closed, approved = "denied", approved, None
        yield {
            "item": "software",
            "title": f"request {n}",
            "requester": f"person{rng.randrange(400)}",
            "state": state,
            "answers": "{}",
            "approvers": approvers,
            "approvals_required": 1 if approvers else 0,
            "fulfil_team": rng.choice(TEAMS),
            "opened_at": opened,
            "updated_at": closed or opened,
            "due_at": opened + timedelta(days=3),
            "approved_at": approved,
            "approval_seconds": (
                (approved - opened).total_seconds() if approved and approvers else None
            ),
            "closed_at": closed,
            "escalated": False,
            "breached": False,
        }


def grants(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    """Access grants over the year: most expired, some revoked, a few still held."""
    for _ in range(count):
        approved = NOW - timedelta(seconds=rng.randrange(YEAR))
        ended = approved + timedelta(hours=4)
        state = rng.choice(["expired", "expired", "expired", "revoked", "granted"])
        if ended >= NOW or state == "granted":
            state, ended_at = "granted", None
        else:
            ended_at = ended if state == "expired" else approved + timedelta(hours=1)
        yield {
            "resource": "prod-db",
            "role": "read",
            "group_name": "prod-db-read",
            "person": rng.choice([*AGENTS, f"person{rng.randrange(400)}"]),
            "reason": "work",
            "state": state,
            "duration_s": 4 * 3600,
            "approvers": "carol",
            "approvals_required": 1,
            "break_glass": rng.random() < 0.05,
            "was_member": False,
            "requested_at": approved - timedelta(hours=1),
            "approved_at": approved,
            "expires_at": ended,
            "ended_at": ended_at,
            "updated_at": ended_at or approved,
        }


def outbox(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    """A sent message per incident (the delivery history), a few failed, a few waiting."""
    for n in range(count):
        created = NOW - timedelta(seconds=rng.randrange(YEAR))
        status = "sent"
        if n % 5000 == 0:
            status = "failed"
        elif n % 2000 == 1:
            status, created = "pending", NOW - timedelta(seconds=rng.randrange(60))
        yield {
            "created_at": created,
            "platform": "console",
            "kind": "incident_updated",
            "destination_kind": "channel",
            "destination": "service-desk",
            "context": "{}",
            "status": status,
            "attempts": 1 if status != "pending" else 0,
            "next_attempt_at": created,
            "sent_at": created if status == "sent" else None,
        }


def measure(fn: Callable[[], Any], runs: int, warmup: int = 3) -> list[float]:
    """Milliseconds per call of `fn`, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def profile(runtime, runs: int) -> None:
    """Each figure of the whole desk's report on its own: median ms, both windows."""
    from domain.context import SYSTEM
    from domain.metrics import activity, figures
    from domain.metrics.report import report_for
    from domain.metrics.scope import resolve_scope

    parts: dict[str, Callable[..., Any]] = {
        "opened_by_priority": figures.opened_by_priority,
        "resolutions": figures.resolutions,
        "mtta": figures.mtta,
        "mttr": figures.mttr,
        "backlog": figures.backlog,
        "requests": activity.requests,
        "access": activity.access,
        "csat": activity.csat,
        "problems": figures.problems,
        "top services and categories": figures.tops,
        "weeks": figures.weeks,
        "the whole report": report_for,
    }
    print("| figure | 30 days (ms, median) | all time (ms, median) |")
    print("| --- | ---: | ---: |")
    with runtime.dispatcher.unit_of_work() as ctx:
        scopes = [resolve_scope(ctx, SYSTEM), resolve_scope(ctx, SYSTEM, all_time=True)]
        for name, fn in parts.items():
            medians = [
                statistics.median(measure(lambda s=scope, f=fn: f(ctx, s), runs, warmup=1))
                for scope in scopes
            ]
            print(f"| {name} | {medians[0]:.1f} | {medians[1]:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="time each figure first")
    support.add_database_options(parser)
    args = parser.parse_args()
    os.environ.setdefault(TOKEN_ENV, "bench-scrape-token")  # the scrape is off without it
    with support.bench_database(args.database_url, reset=args.reset) as url:
        runtime = support.open_runtime(url, clock=ManualClock(NOW))
        runtime.prepare()
        started = time.perf_counter()
        seed(runtime, args.incidents)
        print(f"seeded {args.incidents:,} incidents in {time.perf_counter() - started:.0f} s")
        support.settle(runtime)
        for line in support.describe_machine(runtime):
            print(line)
        print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if args.profile:
            profile(runtime, max(5, args.runs // 5))
        admin = PlatformIdentity("console", ADMIN)
        dispatcher = runtime.dispatcher

        def report(*argv: str) -> Callable[[], Any]:
            return lambda: dispatcher.execute(admin, " ".join(["/desk report", *argv]))

        rows = [
            ("/desk report (30 days)", report(), 200.0),
            ("/desk report --all", report("--all"), 200.0),
        ]
        rows += extra_measurements(runtime)
        print("| measured | runs | p50 / p95 / p99 / max (ms) | target |")
        print("| --- | ---: | --- | --- |")
        for name, fn, target in rows:
            timings = measure(fn, args.runs)
            print(f"| {name} | {args.runs} | {percentiles(timings)} | < {target:.0f} ms |")
        print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        runtime.close()


def extra_measurements(runtime) -> list[tuple[str, Callable[[], Any], float]]:
    """The scrape, the chart and the dashboard pages."""
    from prometheus_client import generate_latest

    from adapters.web.prometheus import WebMetrics
    from bot.charts import render_report_chart
    from domain.metrics import build_report

    web_metrics = WebMetrics(runtime)
    with runtime.dispatcher.unit_of_work() as ctx:
        report = build_report(ctx, Actor(ADMIN, frozenset({"admin"}))).as_dict()
    rows: list[tuple[str, Callable[[], Any], float]] = [
        ("/metrics scrape (generate_latest)", lambda: generate_latest(web_metrics.registry), 50.0),
        ("chart PNG (render_report_chart, 30 days)", lambda: render_report_chart(report), 300.0),
    ]
    return rows + dashboard_measurements(runtime)


def dashboard_measurements(runtime) -> list[tuple[str, Callable[[], Any], float]]:
    """GET each dashboard page in process (Starlette's TestClient over the ASGI routes), as
    an admin signed in through the one-time link, as a browser would be."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from adapters.web.dashboard import dashboard_routes
    from domain import sign_in

    with runtime.dispatcher.unit_of_work() as ctx:
        link = sign_in.send_link(ctx, Actor(ADMIN, frozenset({"admin"})))
        token = sign_in.mint_link(ctx, link.id)
        session = sign_in.redeem(ctx, token)
        # An incident with a long timeline: held, sent to another team, reopened.
        busiest = (
            ctx.session.scalar(
                select(IncidentRecord.id)
                .where(IncidentRecord.reopen_count > 0, IncidentRecord.team_changes > 0)
                .order_by(IncidentRecord.id)
                .limit(1)
            )
            or 1
        )
    client = TestClient(Starlette(routes=dashboard_routes(runtime)), base_url="http://localhost")
    client.cookies.set("deskbot_session", session)

    def get(path: str) -> Callable[[], Any]:
        def fetch() -> None:
            answer = client.get(path)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:200]}")

        return fetch

    return [
        (f"GET {path}", get(path), 100.0)
        for path in (
            "/dashboard",
            f"/dashboard/incidents/INC-{busiest}",
            "/dashboard/report",
            "/dashboard/report.png",
        )
    ]


if __name__ == "__main__":
    main()
