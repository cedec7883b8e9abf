"""DM threads that follow an incident: the conversation where an employee reported it.

A thread is a message reference (bot.message_refs) of role "dm_thread" for the person,
"D…:ts"; the sender posts that person's notifications about the incident into it.
"""

from __future__ import annotations

from bot.message_refs import DM_THREAD, ref_of, remember, subject_of
from domain.clock import Clock

PLATFORM = "slack"


def remember_dm_thread(database, clock: Clock, *, incident_id: int, person: str, ref: str) -> None:
    """From now on, DMs to `person` about this incident go into the thread `ref` ("D…:ts")."""
    remember(
        database,
        clock,
        subject_type="incident",
        subject_id=incident_id,
        platform=PLATFORM,
        role=DM_THREAD,
        person=person,
        ref=ref,
    )


def dm_thread(database, *, subject_type: str, subject_id: str | int, person: str) -> str | None:
    """The DM thread ("D…:ts") where `person` talks about this subject, if there is one."""
    return ref_of(
        database,
        subject_type=subject_type,
        subject_id=subject_id,
        platform=PLATFORM,
        role=DM_THREAD,
        person=person,
    )


def incident_of_dm_thread(database, *, ref: str, person: str | None = None) -> int | None:
    """The incident a DM thread belongs to, if one was opened from it (by `person`, if given)."""
    found = subject_of(database, platform=PLATFORM, role=DM_THREAD, ref=ref, person=person)
    return int(found[1]) if found and found[0] == "incident" else None
