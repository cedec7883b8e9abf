"""Where a subject's room is on one platform, and what its posts need to know of it.

The outbox (bot/outbox.py) asks this module for the room's address (found through the
subject's `room` message reference), how a message links to it, the members' platform
ids for an invitation, and the addresses of the channels rooms are made in or beside.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text, update

from bot.message_refs import ROOM, find_ref
from domain.policy import DeskPolicy
from domain.records import OUTBOX_ACTIVE, OutboxMessage, PersonRecord, PlatformAccount

NO_ROOM_YET = "the subject's room does not exist yet"  # a waiting row's last_error


class RoomAddresses:
    """Rooms and channels as addresses on one platform (the console: their names)."""

    def __init__(self, policy: DeskPolicy, platform: str, by_name: bool) -> None:
        self.policy = policy
        self.platform = platform
        self.by_name = by_name

    def room(
        self, session, subject_type: str | None, subject_id: str | None, role: str = ROOM
    ) -> str | None:
        """The address of the subject's room, if it exists yet."""
        if subject_type is None or subject_id is None:
            return None
        ref = find_ref(
            session,
            subject_type=subject_type,
            subject_id=subject_id,
            platform=self.platform,
            role=role,
        )
        return ref.split(":", 1)[0] if ref else None

    def channel(self, channel: str | None) -> str | None:
        """A logical channel's address."""
        if not channel:
            return None
        if self.by_name:
            return channel
        found = self.policy.channels.get(channel)
        return found.addresses.get(self.platform) if found else None

    def link(self, address: str) -> str:
        """How a message links to a room: <#C123> (Slack, Discord), #name (the console)."""
        return f"#{address}" if self.by_name else f"<#{address}>"

    def complete(self, session, room_op: dict[str, Any]) -> dict[str, Any]:
        """A room operation with the addresses its sender needs: the members' ids (and who
        has none), where rooms are made and the channel whose thread stands in for one."""
        room_op = dict(room_op)
        if "members" in room_op:
            room_op |= self._member_ids(session, room_op["members"])
        if room_op.get("op") == "open":
            room_op["within_address"] = self.channel(room_op.get("within"))
            room_op["beside_address"] = self.channel(room_op.get("beside"))
        return room_op

    def _member_ids(self, session, names: list[str]) -> dict[str, list[str]]:
        if self.by_name:
            return {"member_ids": list(names), "unreachable": []}
        found = dict(
            session.execute(
                select(PersonRecord.name, PlatformAccount.user_id)
                .join(PlatformAccount, PlatformAccount.person_id == PersonRecord.id)
                .where(PersonRecord.name.in_(names), PlatformAccount.platform == self.platform)
            ).all()
        )
        return {
            "member_ids": [found[name] for name in names if name in found],
            "unreachable": [name for name in names if name not in found],
        }

    def wake_waiters(self, session, now, subject_type: str, subject_id: str) -> None:
        """The room exists now: rows that waited for it are due at once."""
        session.execute(
            update(OutboxMessage)
            .where(
                text(OUTBOX_ACTIVE),
                OutboxMessage.platform == self.platform,
                OutboxMessage.subject_type == subject_type,
                OutboxMessage.subject_id == subject_id,
                OutboxMessage.status == "pending",
                OutboxMessage.last_error == NO_ROOM_YET,
            )
            .values(next_attempt_at=now, last_error=None)
            .execution_options(synchronize_session=False)
        )
