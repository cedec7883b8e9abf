"""Console delivery: channel posts print as [#channel] text, DMs as [DM @name] text.

A subject's room is a name on the console (`[#inc-42-vpn-down]`); making it, pinning,
inviting and archiving print what a chat platform would do, and a file is written to
`files_dir` with its path printed. A message's own files (a report's chart) are written
under `reports_dir` ("reports/" in the working directory), each path printed beneath it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from bot.outbox import OutboundMessage

CONTINUED = "  │ "  # starts each further line of a post


class ConsoleSender:
    """Prints outbox messages to a text stream."""

    def __init__(
        self,
        out: TextIO,
        turn: asyncio.Lock | None = None,
        files_dir: Path | None = None,
        reports_dir: Path | None = None,
    ) -> None:
        self.out = out
        # Held by the session while a command runs, so a reply prints before what it caused.
        self.turn = turn or asyncio.Lock()
        self.files_dir = files_dir or Path("reviews")
        # Given a directory of its own for files (a test's), the charts go beneath it too.
        self.reports_dir = reports_dir or (files_dir / "reports" if files_dir else Path("reports"))

    async def send(self, message: OutboundMessage) -> str | None:
        async with self.turn:
            return self._print(message)

    def _print(self, message: OutboundMessage) -> str | None:
        op = (message.room_op or {}).get("op")
        address = message.address
        if op == "open" and not address:
            address = message.room_op["name"]  # the console makes a room by naming it
        prefix = (
            f"[DM @{message.address}]"
            if message.destination_kind == "dm"
            else f"[#{address}]"  # a configured channel or the subject's room
        )
        text = message.text()
        if not text.strip() and message.updates_ref:
            return None  # a card redrawn (alert counts): the console shows no cards
        if op == "open":
            members = " ".join(f"@{name}" for name in message.room_op.get("member_ids", []))
            text = f"(room made; topic: {message.room_op['topic']}; invited {members})\n{text}"
        elif op == "invite":
            members = " ".join(f"@{name}" for name in message.room_op.get("member_ids", []))
            text = f"{text} (invited {members})"
        elif op == "pin":
            text = f"(pinned) {text}"
        elif op == "edit":
            text = f"(status card) {text}"
        elif op == "archive":
            text = f"{text}\n(room archived)"
        elif op == "file":
            path = self._write(message.room_op["filename"], message.room_op["content"])
            text = f"{text} (written to {path})"
        # A post of several lines (a room's update, a hand-over's list) reads as one block.
        for file in message.files:  # a chart drawn at delivery (bot/late_files.py)
            text += f"\nchart: {self._save(file.filename, file.content)}"
        text = text.replace("\n", f"\n{CONTINUED}")
        self.out.write(f"{prefix} {text}\n")
        self.out.flush()
        if op == "open":
            return address  # later room posts find the room by this name
        if op == "pin" and message.creates_ref:
            return f"{address}:{message.creates_ref}"
        return None

    def _write(self, filename: str, content: str) -> Path:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / Path(filename).name  # never outside files_dir
        path.write_text(content, encoding="utf-8")
        return _shown(path)

    def _save(self, filename: str, content: bytes) -> Path:
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        path = self.reports_dir / Path(filename).name  # never outside reports_dir
        path.write_bytes(content)
        return _shown(path)


def _shown(path: Path) -> Path:
    """`path` as the person would type it: relative to the working directory if beneath it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path.resolve()
