"""Major incidents end to end on the console: declare, war room, roles, updates on a
cadence, the timeline (notes and marked chat messages), resolve, archive, the review with
its action items — and every bad input answered with nothing lost."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.console.sender import ConsoleSender
from bot.chat_marks import ChatMessage, mark
from bot.identity import PlatformIdentity
from bot.outbox import OutboxDelivery, RetryLater
from domain.major import MajorIncident, MajorMark, MajorRole, MajorUpdate
from domain.records import OutboxMessage, Timer
from tests.e2e.test_cli import run_deskbot
from tests.harness import DeskHarness

ROOM = "inc-1-vpn-down-for-everyone"


def _declare(desk, who: str = "bob", extra: str = "") -> str:
    reply = desk.say(who, f'/major declare "VPN down for everyone" --service vpn {extra}')
    assert "INC-1 [P1] is a major incident" in reply, reply
    return reply


def _count(desk, model, *where) -> int:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return ctx.session.scalar(select(func.count()).select_from(model).where(*where))


def _room_posts(posts: list[str]) -> list[str]:
    return [p for p in posts if p.startswith(f"[#{ROOM}]")]


def test_declaring_opens_a_war_room_with_its_people_a_pinned_card_and_links(desk):
    _declare(desk)
    posts = desk.posts()
    room = _room_posts(posts)
    # The room is made first, with the declarer (commander), the network team and the
    # configured responder invited, and its topic set.
    assert room[0].startswith(f"[#{ROOM}] (room made; topic: INC-1 [P1] VPN down for everyone")
    invited = re.search(r"invited ([^)\n]*)", room[0]).group(1).split()
    assert set(invited) == {"@bob", "@carol", "@erin", "@grace"}
    assert "Commander: @bob" in room[0]
    assert any(p.startswith(f"[#{ROOM}] (pinned) INC-1 [P1] VPN down for everyone") for p in room)
    # The declarations channel and the owning team's channel link to the room; the
    # declarer gets the link by DM.
    assert "[#major-incidents] 🚨 INC-1 [P1]" in "\n".join(posts)
    assert any(p.startswith("[#network-team] 🚨 INC-1") and f"#{ROOM}" in p for p in posts)
    assert f"[DM @bob] The war room for INC-1 is ready: #{ROOM}" in posts
    # The incident's card says so, and its timeline has the declaration.
    assert any("[#service-desk] INC-1 declared a major incident by @bob" in p for p in posts)
    shown = desk.say("bob", "/incident show INC-1")
    assert "Declared a major incident by @bob; commander @bob" in shown


def test_an_existing_incident_is_declared_by_command_and_only_once(desk):
    desk.say("alice", '/incident new "Mail is slow" --service email')
    reply = desk.say("carol", "/incident major INC-1 --commander @erin")
    assert "INC-1 [P3] is a major incident" in reply or "is a major incident" in reply
    posts = desk.posts()
    assert any(p.startswith("[#inc-1-mail-is-slow] (room made") for p in posts)
    assert "[DM @erin] You are in command of INC-1" in "\n".join(posts)
    again = desk.say("carol", "/incident major INC-1")
    assert again == "INC-1 is already a major incident; its war room is #inc-1-mail-is-slow."
    assert _count(desk, MajorIncident) == 1
    assert desk.posts() == []  # nothing made twice
    # An employee may not declare; a closed incident cannot be.
    assert "Only service-desk agents can declare major incidents." in desk.say(
        "alice", '/major declare "everything is down"'
    )
    desk.say("alice", '/incident new "Printer jam"')
    desk.say("carol", '/incident cancel INC-2 "duplicate"')
    assert "cannot be declared a major incident" in desk.say("carol", "/incident major INC-2")
    assert "There is nobody called @zed" in desk.say(
        "carol", "/incident major INC-2 --commander zed"
    )


def test_roles_are_given_by_the_commander_and_command_passes_only_from_them(desk):
    _declare(desk)
    desk.posts()
    assert desk.say("bob", "/major role communications @carol") == (
        "@carol is now communications lead of INC-1."
    )
    posts = desk.posts()
    assert f"[#{ROOM}] @carol is now communications lead (by @bob) (invited @carol)" in posts
    card = [p for p in posts if "(status card)" in p][-1]
    assert "Comms: @carol" in card
    # Command passes only from the commander (or an admin).
    refusal = desk.say("carol", "/major role commander @carol")
    assert refusal.startswith("Only the commander of INC-1 (@bob) or an admin")
    assert desk.say("alice", "/major role scribe @alice").startswith("Only the commander")
    assert "There is no role 'chef'" in desk.say("bob", "/major role chef @dave")
    assert desk.say("bob", "/major role commander @erin") == "@erin is now commander of INC-1."
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        commanders = ctx.session.scalars(
            select(MajorRole.person).where(MajorRole.role == "commander", MajorRole.until.is_(None))
        ).all()
    assert commanders == ["erin"]
    # Anyone joins as a responder; the commander cannot leave without handing over.
    assert desk.say("alice", "/major join") == f"You joined INC-1 as a responder: #{ROOM}."
    assert "hand over first" in desk.say("erin", "/major leave")
    assert desk.say("alice", "/major leave") == "You left INC-1."


def test_updates_reach_the_room_and_stakeholders_and_mark_mitigation(desk):
    _declare(desk)
    desk.posts()
    desk.clock.advance(timedelta(minutes=10))
    reply = desk.say(
        "bob", '/major update "failover started" --status identified --impact "remote staff"'
    )
    assert reply == "Update posted to INC-1 (identified)."
    posts = desk.posts()
    assert any(
        p.startswith(f"[#{ROOM}] 📣 Update from @bob — identified: failover started") for p in posts
    )
    assert (
        '[#stakeholders] INC-1 "VPN down for everyone" — identified: failover started '
        "(impact: remote staff)"
    ) in posts
    # Only those with a speaking role post updates; "resolved" is /major resolve's.
    assert desk.say("alice", '/major update "hi"').startswith("Only the commander")
    refused = desk.say("bob", '/major update "done" --status resolved')
    assert refused.startswith("--status must be one of investigating, identified, monitoring")
    desk.clock.advance(timedelta(minutes=5))
    desk.say("bob", '/major update "traffic on DC2" --status monitoring --public')
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        found = ctx.session.get(MajorIncident, 1)
        assert found.mitigated_at - found.declared_at == timedelta(minutes=15)
        assert found.first_update_at - found.declared_at == timedelta(minutes=10)
        public = ctx.session.scalars(select(MajorUpdate.public).order_by(MajorUpdate.id)).all()
    assert public == [False, True]


def test_a_quiet_commander_is_reminded_then_the_comms_lead_and_escalation_told(desk):
    _declare(desk)
    desk.say("bob", "/major role communications @carol")
    desk.posts()
    # P1's cadence is 30 minutes: nothing before it.
    early = desk.advance(minutes=29)
    assert not [p for p in early if "no update" in p.lower()]
    reminded = desk.advance(minutes=2)
    assert (
        f"[#{ROOM}] ⏰ @bob: no update on INC-1 for 30m. Post one with /major update." in reminded
    )
    assert not any(p.startswith("[DM @carol] ⚠️") for p in reminded)
    told = desk.advance(minutes=30)
    assert (
        '[DM @carol] ⚠️ INC-1 "VPN down for everyone" has had no update for 1h (commander @bob).'
        in told
    )
    assert any(p.startswith("[#major-incidents] ⚠️ INC-1") for p in told)
    # An update starts the clock again.
    desk.say("bob", '/major update "still on it"')
    desk.posts()
    assert not [p for p in desk.advance(minutes=29) if "no update" in p.lower()]
    assert [p for p in desk.advance(minutes=2) if "⏰ @bob: no update" in p]


def test_resolving_posts_the_final_update_and_archives_the_room_later(desk):
    _declare(desk)
    desk.posts()
    assert "Say what fixed it" in desk.say("bob", "/major resolve")
    assert desk.say("alice", '/major resolve "it works"').startswith("Only")
    desk.clock.advance(timedelta(hours=1))
    desk.say("bob", '/major resolve "failed over to DC2"')
    posts = desk.posts()
    assert any(
        p.startswith(f"[#{ROOM}] ✅ INC-1 resolved by @bob: failed over to DC2") for p in posts
    )
    assert '[#stakeholders] INC-1 "VPN down for everyone" — resolved: failed over to DC2' in posts
    assert "Your incident INC-1" in "\n".join(posts)  # the reporter confirms, as usual
    # Updates after resolution are refused; the room is archived a day later.
    assert "cannot be updated" in desk.say("bob", '/major update "more"')
    assert not [p for p in desk.advance(hours=23) if "archived" in p]
    archived = desk.advance(hours=2)
    assert [p for p in archived if p.startswith(f"[#{ROOM}] The war room is archived")]
    assert "(room archived)" in "\n".join(archived)
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert ctx.session.get(MajorIncident, 1).state == "archived"
    assert desk.say("bob", "/major list") == "No major incidents in progress."
    assert "Over; the war room is archived" in desk.say("bob", "/major list --all")


def _chat(room: str, message_id: str, text: str, at: datetime) -> ChatMessage:
    return ChatMessage("console", room, message_id, "carol", "Carol", at, text)


def test_chat_messages_are_marked_on_the_timeline_and_unmarked_by_the_same_action(desk):
    _declare(desk)
    desk.posts()
    dispatcher = desk.runtime.dispatcher
    said_at = datetime(2026, 1, 5, 9, 3, tzinfo=UTC)
    marker = PlatformIdentity("console", "dave")
    message = _chat(ROOM, "m1", "rolled back the 14:02 deploy", said_at)
    assert dispatcher.perform(marker, mark(message)).text == "Added to INC-1's timeline."
    timeline = desk.say("bob", "/major timeline")
    assert "2026-01-05 09:03 carol (chat): rolled back the 14:02 deploy" in timeline
    assert dispatcher.perform(marker, mark(message)).text == "Taken off INC-1's timeline."
    assert "rolled back" not in desk.say("bob", "/major timeline")
    # 📌 added twice keeps one line; a message elsewhere is refused; nothing else stored.
    dispatcher.perform(marker, mark(message, "add"))
    assert "already" in dispatcher.perform(marker, mark(message, "add")).text
    outside = dispatcher.perform(marker, mark(_chat("service-desk", "m2", "hi", said_at)))
    assert not outside.ok and "war room" in outside.text
    assert _count(desk, MajorMark) == 1
    desk.say("carol", '/major note "DC2 takes the traffic"')
    assert f"[#{ROOM}] 📝 Noted by @carol: DC2 takes the traffic" in desk.posts()
    assert "carol: DC2 takes the traffic" in desk.say("bob", "/major timeline")


def test_the_review_is_written_from_the_record_posted_and_exported(desk, tmp_path, database_url):
    _declare(desk)
    desk.say("bob", "/major role scribe @carol")
    desk.clock.advance(timedelta(minutes=12))
    desk.say("carol", '/major update "DC1 lost power" --status identified --impact "all VPN users"')
    desk.clock.advance(timedelta(minutes=20))
    desk.say("bob", '/major update "on DC2" --status monitoring')
    desk.runtime.dispatcher.perform(
        PlatformIdentity("console", "bob"),
        mark(_chat(ROOM, "m9", "power back on DC1", desk.clock.now())),
    )
    assert desk.say("bob", '/major action "alert on DC power" --owner @dave --due 2026-01-09') == (
        "ACT-1 recorded for @dave."
    )
    desk.clock.advance(timedelta(minutes=28))
    desk.say("bob", '/major resolve "DC1 power restored, traffic back"')
    desk.posts()
    reply = desk.say("bob", "/major review")
    assert "written" in reply and "INC-1-review.md" in reply
    posted = [p for p in desk.posts() if "Post-incident review of INC-1" in p]
    path = Path(re.search(r"written to (\S+)\)", posted[0]).group(1))
    document = path.read_text()
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        kept = ctx.session.get(MajorIncident, 1).review
    assert document == kept
    # The document says what the record says.
    assert document.startswith("# Post-incident review: INC-1 — VPN down for everyone")
    assert "| Duration | 1h |" in document
    assert "| first update | 12m |" in document
    assert "| mitigate | 32m |" in document
    assert "| resolve | 1h |" in document
    assert "- Commander: bob" in document and "- Scribe: carol" in document
    assert "carol — *identified*: DC1 lost power" in document
    assert "carol (chat): power back on DC1" in document
    assert "- [ ] ACT-1 alert on DC power — dave, due 2026-01-10 00:00" in document
    assert "**Resolution:** DC1 power restored, traffic back" in document
    assert "all VPN users" in document
    # `deskbot review export INC-1` prints the kept document.
    exported = run_deskbot(
        ["review", "export", "INC-1"], tmp_path, env={"DATABASE_URL": database_url}
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == document
    missing = run_deskbot(
        ["review", "export", "INC-99"], tmp_path, env={"DATABASE_URL": database_url}
    )
    assert missing.returncode == 1 and "INC-99 is not a major incident" in missing.stderr


def test_action_items_are_reminded_when_due_and_closed_from_chat(desk):
    _declare(desk)
    desk.posts()
    assert "due date has passed" in desk.say(
        "bob", '/major action "x" --owner @dave --due 2025-01-01'
    )
    assert "not a date" in desk.say("bob", '/major action "x" --owner @dave --due tomorrow')
    assert "Say who owns it" in desk.say("bob", '/major action "x"')
    desk.say("bob", '/major action "alert on DC power" --owner @dave --due 2026-01-07')
    assert any(
        p.startswith("[DM @dave] @bob gave you an action item from INC-1: ACT-1")
        for p in desk.posts()
    )
    # Due at the end of 7 January: reminded at its start.
    assert not [p for p in desk.advance(hours=38) if "Reminder: ACT-1" in p]
    assert [p for p in desk.advance(hours=1) if p.startswith("[DM @dave] Reminder: ACT-1")]
    assert desk.say("alice", "/major done ACT-1").startswith("Only @dave")
    assert desk.say("dave", "/major done ACT-1") == "ACT-1 is done."
    assert "cannot be closed" in desk.say("dave", "/major done ACT-1")
    assert "ACT-1" in desk.say("bob", "/major actions INC-1")
    assert desk.say("dave", "/major actions") == "No action items."


def test_p1_incidents_are_declared_on_their_own_when_the_config_says_so(
    database_url, example_config
):
    policy = example_config.policy
    config = dataclasses.replace(
        example_config,
        policy=dataclasses.replace(
            policy, major=dataclasses.replace(policy.major, auto_declare=("P1",))
        ),
    )
    desk = DeskHarness.start(database_url, config)
    try:
        reply = desk.say("alice", '/incident new "Payroll is down" --impact high --urgency high')
        assert "declared a major incident: war room #inc-1-payroll-is-down" in reply
        posts = desk.posts()
        # Nobody is in command until someone takes it.
        assert any(p.startswith("[#service-desk] INC-1 [P1]") for p in posts)
        assert any(
            "nobody" in p and p.startswith("[#inc-1-payroll-is-down] (room made") for p in posts
        )
        assert (
            desk.say("carol", "/major role commander @carol") == "@carol is now commander of INC-1."
        )
        desk.say("alice", '/incident new "Mouse broken"')
        assert _count(desk, MajorIncident) == 1
    finally:
        desk.close()


def test_room_names_follow_the_platforms_rules(desk):
    from domain.major.room import room_name

    assert room_name("inc", 42, "VPN down — Ärger!! 100%") == "inc-42-vpn-down-rger-100"
    assert room_name("inc", 7, "!!!") == "inc-7"
    long = room_name("inc", 123456, "word " * 40)
    assert len(long) <= 80 and re.fullmatch(r"[a-z0-9-]+", long) and not long.endswith("-")


def test_a_command_names_its_major_incident_when_there_are_several(desk):
    _declare(desk)
    desk.say("carol", '/major declare "Mail down"')
    assert "Say which major incident: one of INC-1, INC-2" in desk.say("dave", '/major update "x"')
    assert desk.say("carol", '/major update INC-2 "mail queue draining"') == (
        "Update posted to INC-2 (investigating)."
    )
    assert "INC-9 is not a major incident" in desk.say("carol", '/major note INC-9 "x"')
    # A failed command stored nothing.
    assert _count(desk, MajorUpdate) == 1
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        rows = ctx.session.scalar(select(func.count()).select_from(OutboxMessage))
        timers = ctx.session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.kind == "major_cadence", Timer.state == "pending")
        )
    assert rows > 0 and timers == 2


@pytest.mark.parametrize(
    "section, problem",
    [
        ("major:\n  responders: [nobody]\n", "unknown person 'nobody' in responders"),
        ("major:\n  auto_declare: [P9]\n", "unknown priority 'P9'"),
        ("major:\n  stakeholders: nowhere\n", "unknown channel 'nowhere'"),
        ("major:\n  cadence: {P1: soon}\n", 'bad duration "soon"'),
        ("major:\n  rooms: x\n", "unknown key 'rooms' in major"),
    ],
)
def test_a_bad_major_section_is_named_with_file_and_line(tmp_path, section, problem):
    from bot.config import ConfigError, example_config_path, load_config

    text = example_config_path().read_text()
    start = text.index("major:\n")
    end = text.index("\naccess:")
    path = tmp_path / "deskbot.yaml"
    path.write_text(text[:start] + section + text[end:])
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    found = [p for p in raised.value.problems if problem in p]
    assert found, raised.value.problems
    assert re.match(rf"{re.escape(str(path))}:\d+", found[0])


def test_a_marked_message_delivered_twice_is_marked_once(desk):
    _declare(desk)
    dispatcher = desk.runtime.dispatcher
    marker = PlatformIdentity("console", "dave")
    message = _chat(ROOM, "m7", "DNS looks fine", datetime(2026, 1, 5, 9, 5, tzinfo=UTC))
    first = dispatcher.perform(marker, mark(message), delivery="press-1")
    again = dispatcher.perform(marker, mark(message), delivery="press-1")
    # The platform's retry of one press answers as the press did, and does not toggle.
    assert first.text == again.text == "Added to INC-1's timeline."
    assert "DNS looks fine" in desk.say("bob", "/major timeline")


def test_resolving_or_reopening_the_incident_itself_keeps_the_major_incident_in_step(desk):
    _declare(desk)
    desk.posts()
    desk.say("carol", '/incident resolve INC-1 "replaced the PSU"')
    posts = desk.posts()
    assert any(
        p.startswith(f"[#{ROOM}] ✅ INC-1 resolved by @carol: replaced the PSU") for p in posts
    )
    assert "Major incidents in progress" not in desk.say("bob", "/major list")
    assert "cannot be resolved" in desk.say("bob", '/major resolve "again"')
    # The fix did not hold: the major incident runs again, and no archive comes.
    desk.say("bob", '/incident reopen INC-1 "still down"')
    assert f"[#{ROOM}] 📝 Reopened by @bob: the fix did not hold; back to investigating" in (
        desk.posts()
    )
    assert (
        desk.say("bob", '/major update "looking again"')
        == "Update posted to INC-1 (investigating)."
    )
    assert not [p for p in desk.advance(days=2) if "archived" in p]
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert ctx.session.get(MajorIncident, 1).state == "running"


def test_a_commander_who_is_no_agent_may_resolve_and_only_public_resolutions_are_public(desk):
    desk.say("bob", '/major declare "VPN down for everyone" --service vpn --commander @alice')
    assert desk.say("alice", '/major resolve "the ISP fixed its line" --public').startswith(
        "INC-1 resolved; the reporter confirms, and the room is archived later."
    )
    desk.say("bob", '/major declare "Mail down" --service email')
    desk.say("bob", '/major resolve INC-2 "restarted the MTA"')
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        finals = dict(
            ctx.session.execute(
                select(MajorUpdate.major_id, MajorUpdate.public).where(
                    MajorUpdate.status == "resolved"
                )
            ).all()
        )
    assert finals == {1: True, 2: False}


def test_the_record_is_for_agents_the_people_in_it_and_the_reporter(desk):
    desk.say("bob", '/incident new "VPN down for everyone" --service vpn')
    desk.say("bob", "/incident note INC-1 internal: the password is in the vault")
    desk.say("bob", "/incident major INC-1")
    # alice is no agent, holds no role and did not report it: nothing of the record.
    refusal = "Only service-desk agents and the people working on INC-1"
    assert desk.say("alice", "/major timeline INC-1").startswith(refusal)
    assert desk.say("alice", "/major show INC-1").startswith(refusal)
    assert desk.say("alice", "/major actions INC-1").startswith(refusal)
    assert desk.say("alice", "/major review INC-1").startswith(refusal)
    assert desk.say("alice", '/major action INC-1 "x" --owner @dave').startswith(refusal)
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert ctx.session.get(MajorIncident, 1).review is None
    # Someone who joined sees it; so does the reporter of an incident declared major.
    desk.say("alice", "/major join INC-1")
    assert "Timeline of INC-1" in desk.say("alice", "/major timeline INC-1")
    desk.say("alice", '/incident new "Mail down" --service email')
    desk.say("bob", "/incident major INC-2")
    assert "Timeline of INC-2" in desk.say("alice", "/major timeline INC-2")


def test_an_author_who_is_no_desk_person_is_named_as_the_platform_names_them(desk):
    _declare(desk)
    stranger = ChatMessage(
        "console", ROOM, "m3", "nobody-here", "bob", datetime(2026, 1, 5, 9, 9, tzinfo=UTC), "hi"
    )
    desk.runtime.dispatcher.perform(PlatformIdentity("console", "carol"), mark(stranger))
    # A display name that reads "bob" is not desk person bob.
    assert "bob (on console) (chat): hi" in desk.say("bob", "/major timeline")


class RoomlessConsole(ConsoleSender):
    """A console whose platform cannot make INC-1's room (it keeps failing) but can INC-2's."""

    async def send(self, message):
        if (message.room_op or {}).get("op") == "open" and message.subject_id == "1":
            raise RetryLater("the platform is failing")
        return await super().send(message)


def test_a_room_that_cannot_be_made_holds_up_no_other_room(desk):
    bob = PlatformIdentity("console", "bob")  # through the dispatcher: nothing delivered yet
    desk.runtime.dispatcher.execute(bob, '/major declare "VPN down"')
    desk.runtime.dispatcher.execute(bob, '/major declare "Mail down"')
    out = io.StringIO()
    outbox = OutboxDelivery(
        database=desk.runtime.database,
        policy=desk.runtime.policy,
        clock=desk.clock,
        platform="console",
        sender=RoomlessConsole(out),
    )
    for _ in range(5):
        asyncio.run(outbox.deliver_once())
    printed = out.getvalue()
    assert "[#inc-2-mail-down] (room made" in printed
    assert "[#inc-2-mail-down] (pinned) INC-2" in printed
    assert "[#inc-1-vpn-down]" not in printed  # its room's posts wait for the room
    # The announcement of INC-1 went without the link once it had waited long enough.
    desk.clock.advance(timedelta(seconds=31))
    asyncio.run(outbox.deliver_once())
    assert '[#major-incidents] 🚨 INC-1 [P1] "VPN down" is a major incident' in out.getvalue()
