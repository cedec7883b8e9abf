"""How long the worker sleeps when idle: until the next timer is due (a page's step is on
time), and, for a timer that is due but cannot be fired yet, less and less often."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from domain.records import Timer


def _timer(desk, due, subject_type: str = "incident") -> None:
    with desk.runtime.database.transaction() as session:
        session.add(
            Timer(
                subject_type=subject_type,
                subject_id="1",
                kind="auto_close",
                due_at=due,
                state="pending",
            )
        )


def test_the_worker_sleeps_until_the_next_timer_is_due(desk):
    worker = desk.runtime.worker
    assert asyncio.run(worker._idle_for()) == worker.poll_interval  # nothing pending
    _timer(desk, desk.clock.now() + timedelta(milliseconds=300))
    assert asyncio.run(worker._idle_for()) == 0.3


def test_a_timer_due_but_not_fireable_backs_the_worker_off(desk):
    worker = desk.runtime.worker
    # A subject type no process loads: the timer is due and never fires.
    _timer(desk, desk.clock.now() - timedelta(seconds=1), subject_type="nothing")
    assert desk.runtime.timers.run_due() == 0
    waits = [asyncio.run(worker._idle_for()) for _ in range(7)]
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
