"""`deskbot audit verify [--expect-head SEQ:MAC]` and `deskbot audit export --since DATE`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from bot.settings import Settings

HEAD_TEXT = re.compile(r"(\d+):([0-9a-f]{64})")


def add_parser(sub) -> None:
    """The `audit` command and its actions, on the CLI's subparsers."""
    audit = sub.add_parser("audit", help="the tamper-evident audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="check every record's MAC and link")
    verify.add_argument(
        "--expect-head",
        metavar="SEQ:MAC",
        help="a head posted earlier (to the security channel): the chain must reach it",
    )
    export = audit_sub.add_parser("export", help="records as JSON lines")
    export.add_argument(
        "--since", required=True, metavar="DATE", help="2026-01-05 or 2026-01-05T09:00:00Z"
    )
    export.add_argument("--out", metavar="FILE", help="default: standard output")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.audit_command == "verify":
        return verify(settings, args.expect_head)
    return export(settings, args.since, args.out)


def parse_head(text: str) -> tuple[int, str]:
    """`SEQ:MAC` as the daily post gives it; ValueError if it is not that."""
    found = HEAD_TEXT.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) < 1:
        raise ValueError(
            f"--expect-head must be SEQ:MAC as the audit head post gives it "
            f"(e.g. 42:{'0' * 8}…, 64 hex digits), not {text[:80]!r}"
        )
    return int(found.group(1)), found.group(2)


def parse_since(text: str) -> datetime:
    """An ISO date (midnight UTC) or date and time (UTC unless it says otherwise)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since must be an ISO date or date and time (2026-01-05, "
            f"2026-01-05T09:00:00Z), not {text[:60]!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def verify(settings: Settings, expect_head_text: str | None) -> int:
    from bot.db import Database
    from domain import audit

    try:
        expect = parse_head(expect_head_text) if expect_head_text is not None else None
    except ValueError as exc:
        print(f"deskbot audit verify: {exc}", file=sys.stderr)
        return 2
    key = _key(settings)
    if key is None:
        return 2
    database = Database(settings.database_url)
    try:
        with database.engine.connect() as connection:
            result = audit.verify(connection, key, expect)
    finally:
        database.dispose()
    if result.ok:
        print(f"audit chain intact: {result.count} records, head {result.head_text}")
        return 0
    print(
        f"audit chain broken at record {result.broken_seq}: {result.reason}. "
        f"{result.count} records before it are intact (last intact head {result.head_text}).",
        file=sys.stderr,
    )
    return 1


def export(settings: Settings, since_text: str, out: str | None) -> int:
    from sqlalchemy import select

    from bot.db import Database
    from domain.audit import AuditRecord
    from domain.audit.chain import iso

    try:
        since = parse_since(since_text)
    except ValueError as exc:
        print(f"deskbot audit export: {exc}", file=sys.stderr)
        return 2
    table = AuditRecord.__table__
    query = (
        select(table)
        .where(table.c.at >= since)
        .order_by(table.c.seq)
        .execution_options(yield_per=5000)
    )
    database = Database(settings.database_url)
    count = 0
    try:
        with database.engine.connect() as connection, _output(out) as stream:
            for row in connection.execute(query):
                line = {
                    "seq": row.seq,
                    "at": iso(row.at),
                    "actor": row.actor,
                    "action": row.action,
                    "subject": row.subject,
                    "details": json.loads(row.details),
                    "prev_mac": row.prev_mac,
                    "mac": row.mac,
                }
                stream.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    finally:
        database.dispose()
    if out:
        print(f"{count} audit records since {iso(since)} written to {out}", file=sys.stderr)
    return 0


class _output:
    """Standard output, or a file opened for writing."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.file: TextIO | None = None

    def __enter__(self) -> TextIO:
        if self.path is None:
            return sys.stdout
        self.file = Path(self.path).open("w", encoding="utf-8")
        return self.file

    def __exit__(self, *exc) -> None:
        if self.file is not None:
            self.file.close()


def _key(settings: Settings) -> bytes | None:
    """The key the chain was made with; never a new one (that would fail every record)."""
    from bot.audit_key import load_audit_key

    key = load_audit_key(settings, create=False)
    if key is None:
        print(
            "deskbot audit verify: no audit key: set DESKBOT_AUDIT_KEY (or run where the "
            "generated deskbot-audit.key is)",
            file=sys.stderr,
        )
    return key
