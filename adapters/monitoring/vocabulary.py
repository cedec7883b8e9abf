"""The senders' words for what happened to an alert, and the signal action each means.

Alertmanager's alert status (firing, resolved), the generic route's status and GoAlert's
action. These are the senders' vocabulary, not the desk's states, though some are spelt
the same: tests/bot/test_process_shape.py, which keeps state names out of adapters, lets
this one table through by name.
"""

from __future__ import annotations

# word (lower-case) → signal action
ACTIONS: dict[str, str] = {
    "firing": "trigger",
    "trigger": "trigger",
    "triggered": "trigger",
    "resolved": "resolve",
    "resolve": "resolve",
    "close": "resolve",
    "closed": "resolve",
    "acknowledged": "acknowledge",
    "acknowledge": "acknowledge",
}


def action_of(word: str) -> str | None:
    """The signal action a sender's word means (any case), None when it means none."""
    return ACTIONS.get(word.strip().lower())
