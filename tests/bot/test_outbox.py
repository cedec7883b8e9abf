"""Outbox delivery: retried with backoff, in order per destination, never sent twice."""

import asyncio
import io
import threading
from datetime import timedelta

from sqlalchemy import select

from adapters.console import ConsoleSender
from bot.outbox import LEASE, OutboxDelivery
from domain.records import OutboxMessage
from tests.harness import DeskHarness


class FlakyTerminal(io.StringIO):
    """A terminal that fails its first `failures` writes, like a broken pipe."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def write(self, text: str) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("terminal unavailable")
        return super().write(text)


def delivery(desk, out) -> OutboxDelivery:
    return OutboxDelivery(
        database=desk.runtime.database,
        policy=desk.runtime.policy,
        clock=desk.clock,
        platform="console",
        sender=ConsoleSender(out),
    )


def rows(desk):
    with desk.runtime.database.transaction() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def queue_three_posts(desk):
    # Write through the dispatcher only: the console session would deliver them itself.
    from bot.identity import PlatformIdentity

    for title in ("first", "second", "third"):
        desk.runtime.dispatcher.execute(
            PlatformIdentity("console", "alice"), f"/incident new {title}"
        )


def test_failed_deliveries_are_retried_with_backoff_and_kept_in_order(desk):
    queue_three_posts(desk)
    terminal = FlakyTerminal(failures=2)
    outbox = delivery(desk, terminal)
    assert asyncio.run(outbox.deliver_once()) == 1  # only the oldest: the rest wait behind it
    assert asyncio.run(outbox.deliver_once()) == 0  # backing off
    first = rows(desk)[0]
    assert (first.status, first.attempts, first.last_error) == (
        "pending",
        1,
        "OSError: terminal unavailable",
    )
    assert first.next_attempt_at == desk.clock.now() + timedelta(seconds=2)
    desk.clock.advance(timedelta(seconds=2))
    asyncio.run(outbox.deliver_once())  # second failure: waits 4 s now
    assert rows(desk)[0].next_attempt_at == desk.clock.now() + timedelta(seconds=4)
    desk.clock.advance(timedelta(seconds=4))
    for _ in range(3):
        asyncio.run(outbox.deliver_once())
    lines = terminal.getvalue().splitlines()
    assert [line.split("] ", 1)[1].split(" [P")[0] for line in lines] == ["INC-1", "INC-2", "INC-3"]
    assert [r.status for r in rows(desk)] == ["sent"] * 3


def test_a_message_leased_by_a_crashed_worker_is_sent_after_the_lease(desk):
    queue_three_posts(desk)
    crashed = delivery(desk, io.StringIO())
    claimed = crashed.claim()  # leased, then the process died before sending
    assert [m.id for m in claimed] == [1, 2, 3]  # one lane's run
    terminal = io.StringIO()
    survivor = delivery(desk, terminal)
    assert asyncio.run(survivor.deliver_once()) == 0
    desk.clock.advance(LEASE - timedelta(seconds=1))
    assert asyncio.run(survivor.deliver_once()) == 0  # a crash holds the lane for seconds
    desk.clock.advance(timedelta(seconds=2))
    while asyncio.run(survivor.deliver_once()):
        pass
    assert terminal.getvalue().count("[#service-desk]") == 3


def test_sent_messages_are_not_sent_again_after_a_restart(database_url, example_config):
    desk = DeskHarness.start(database_url, example_config)
    queue_three_posts(desk)
    terminal = io.StringIO()
    while asyncio.run(delivery(desk, terminal).deliver_once()):
        pass
    desk.close()
    again = DeskHarness.start(database_url, example_config, clock=desk.clock)
    other = io.StringIO()
    assert asyncio.run(delivery(again, other).deliver_once()) == 0
    again.close()
    assert terminal.getvalue().count("[#service-desk]") == 3 and other.getvalue() == ""


def test_concurrent_workers_never_claim_the_same_message(desk):
    from bot.identity import PlatformIdentity

    for n in range(12):
        # Twelve different destinations (DMs to agents) so all can go at once.
        desk.runtime.dispatcher.execute(PlatformIdentity("console", "alice"), f"/incident new n{n}")
    with desk.runtime.database.transaction() as session:
        for n, row in enumerate(session.scalars(select(OutboxMessage))):
            row.destination = f"channel-{n}"
    claims: list[list[int]] = []
    workers = [delivery(desk, io.StringIO()) for _ in range(3)]
    threads = [
        threading.Thread(target=lambda w=w: claims.append([m.id for m in w.claim()]))
        for w in workers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for batch in claims for i in batch]
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == 12


def test_a_post_to_a_subject_s_room_waits_for_the_room_then_goes_there(desk):
    from bot.message_refs import ROOM, remember
    from domain.incidents import get_incident
    from domain.notifications import notify_room

    desk.say("alice", '/incident new "VPN down"')
    desk.posts()
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        incident = get_incident(ctx, 1)
        notify_room(ctx, ROOM, "incident_note", subject=incident, by="bob", note="bridge open")
    terminal = io.StringIO()
    outbox = delivery(desk, terminal)
    asyncio.run(outbox.deliver_once())
    [waiting] = [r for r in rows(desk) if r.destination_kind == "room"]
    assert (waiting.status, waiting.last_error) == (
        "pending",
        "the subject's room does not exist yet",
    )
    # The room is made at run time (a war-room channel) and remembered as a reference.
    remember(
        desk.runtime.database,
        desk.clock,
        subject_type="incident",
        subject_id=1,
        platform="console",
        role=ROOM,
        ref="inc-1-vpn-down:",
    )
    desk.clock.advance(timedelta(seconds=5))
    asyncio.run(outbox.deliver_once())
    assert terminal.getvalue().startswith("[#inc-1-vpn-down] ")
    assert "bridge open" in terminal.getvalue()


def test_a_post_to_a_room_that_never_comes_fails_with_the_reason(desk):
    from domain.incidents import get_incident
    from domain.notifications import notify_room

    desk.say("alice", '/incident new "VPN down"')
    desk.posts()
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        notify_room(ctx, "room", "incident_note", subject=get_incident(ctx, 1), by="b", note="n")
    desk.clock.advance(timedelta(minutes=11))
    asyncio.run(delivery(desk, io.StringIO()).deliver_once())
    [failed] = [r for r in rows(desk) if r.destination_kind == "room"]
    assert (failed.status, failed.last_error) == ("failed", "no address on this platform")


def test_a_run_stops_when_its_leases_cannot_be_renewed(desk, monkeypatch):
    # Another worker may own rows whose lease ran out: sending them too would double them.
    import bot.outbox as outbox_module

    class SlowSender:
        def __init__(self) -> None:
            self.sent: list[int] = []

        async def send(self, message):
            if self.sent:  # the second send outlasts most of the lease
                await asyncio.sleep(1.6)
            self.sent.append(message.id)
            return None

    monkeypatch.setattr(outbox_module, "LEASE", timedelta(seconds=2))
    monkeypatch.setattr(outbox_module, "RENEW_EVERY", 0.05)
    queue_three_posts(desk)
    sender = SlowSender()
    outbox = OutboxDelivery(
        database=desk.runtime.database,
        policy=desk.runtime.policy,
        clock=desk.clock,
        platform="console",
        sender=sender,
    )

    def database_away(ids):
        raise OSError("database unreachable")

    outbox.renew = database_away
    assert asyncio.run(outbox.deliver_once()) == 2  # then 1.6 s in: past 70% of the lease
    assert sender.sent == [1, 2]
    assert [r.status for r in rows(desk)] == ["sent", "sent", "sending"]


def test_a_lane_held_up_by_its_platform_does_not_hold_up_another_lane(desk):
    # A channel paced (or slowed) by its platform once kept every later claim waiting for
    # its run to end: another channel's new message waited behind it.
    from bot.identity import PlatformIdentity

    class HeldSender:
        def __init__(self, held: str) -> None:
            self.held, self.sent = held, []
            self.release = asyncio.Event()

        async def send(self, message):
            if message.destination == self.held:
                await self.release.wait()
            self.sent.append(message.id)
            return None

    def open_incident(title: str, destination: str | None = None) -> int:
        desk.runtime.dispatcher.execute(
            PlatformIdentity("console", "alice"), f"/incident new {title}"
        )
        row = rows(desk)[-1]
        if destination is not None:
            with desk.runtime.database.transaction() as session:
                session.get(OutboxMessage, row.id).destination = destination
        return row.id

    async def scenario() -> tuple[list[int], list[int]]:
        first, second = open_incident("first"), open_incident("second")
        held = rows(desk)[0].destination
        sender = HeldSender(held)
        outbox = OutboxDelivery(
            database=desk.runtime.database,
            policy=desk.runtime.policy,
            clock=desk.clock,
            platform="console",
            sender=sender,
        )
        stop, wake = asyncio.Event(), asyncio.Event()
        delivering = asyncio.ensure_future(outbox.keep_delivering(stop, wake, poll=0.02))
        await asyncio.sleep(0.1)  # the held lane is claimed and stuck on its first message
        elsewhere = await asyncio.to_thread(open_incident, "third", "elsewhere")
        wake.set()
        for _ in range(250):
            if elsewhere in sender.sent:
                break
            await asyncio.sleep(0.02)
        while_held = list(sender.sent)
        sender.release.set()
        for _ in range(250):
            if len(sender.sent) == 3:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await delivering
        return while_held, sender.sent, [first, second, elsewhere]

    while_held, sent, (first, second, elsewhere) = asyncio.run(scenario())
    assert while_held == [elsewhere]  # delivered while the other lane was still held
    assert sent == [elsewhere, first, second]  # and the held lane kept its order
    assert [r.status for r in rows(desk)] == ["sent"] * 3
