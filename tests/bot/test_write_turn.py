"""SQLite's one writer at a time, taken in turn within a process: urgent work first."""

from __future__ import annotations

import threading
import time

from bot.db import WriteTurn


def test_an_urgent_waiter_goes_before_the_others_and_a_holder_may_reenter():
    turn = WriteTurn()
    order: list[str] = []
    started = threading.Barrier(3)

    def wait(name: str, urgent: bool) -> None:
        started.wait()
        if not urgent:
            time.sleep(0.05)  # queue up first, behind the holder
        with turn.turn(urgent=urgent):
            order.append(name)

    with turn.turn():
        with turn.turn():  # the holder takes it again without waiting on itself
            order.append("holder")
        normal = threading.Thread(target=wait, args=("desk work", False))
        urgent = threading.Thread(target=wait, args=("acknowledgement", True))
        normal.start()
        urgent.start()
        started.wait()
        time.sleep(0.2)  # both are waiting now
        assert order == ["holder"]
    normal.join(5)
    urgent.join(5)
    assert order == ["holder", "acknowledgement", "desk work"]
