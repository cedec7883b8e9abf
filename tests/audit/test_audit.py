"""The audit trail: records written by real use cases, tampering of every kind caught by
`verify` and `deskbot audit verify`, export, concurrent appends, no secret recorded.

Runs on SQLite, and on PostgreSQL when DATABASE_URL says so (tests/conftest.py)."""

from __future__ import annotations

import json
import re
import stat
import threading

import pytest
from sqlalchemy import select, text

from bot.audit_key import load_audit_key
from bot.cli import main
from bot.db import Database
from bot.settings import Settings
from domain import audit
from domain.audit.chain import HEAD
from domain.clock import ManualClock
from domain.context import DeskContext
from tests.harness import TEST_AUDIT_KEY

KEY = TEST_AUDIT_KEY.encode()
LICENCE = "/request new software-licence product=Visio Professional seats=2"
LINK = re.compile(r"http://localhost:3000(/reset/[A-Za-z0-9_-]+)")
CODE = re.compile(r"reset code is (\d{6})")


def _records(desk) -> list:
    with desk.runtime.database.engine.connect() as connection:
        table = audit.AuditRecord.__table__
        return list(connection.execute(select(table).order_by(table.c.seq)))


def _verify(desk, expect_head=None) -> audit.VerifyResult:
    with desk.runtime.database.engine.connect() as connection:
        return audit.verify(connection, KEY, expect_head)


def _sql(desk, statement: str, **params) -> None:
    with desk.runtime.database.engine.begin() as connection:
        connection.execute(text(statement), params)


def _six_records(desk) -> None:
    """Two requests submitted and decided through the console: six records."""
    desk.say("alice", LICENCE)  # 1 submitted
    desk.say("carol", '/request approve REQ-1 "fine"')  # 2 approved
    desk.say("bob", '/request done REQ-1 "installed"')  # 3 fulfilled
    desk.say("alice", LICENCE)  # 4 submitted
    desk.say("carol", '/request deny REQ-2 "one is enough"')  # 5 denied
    desk.say("alice", LICENCE)  # 6 submitted
    assert len(_records(desk)) == 6


def test_decisions_are_recorded_in_a_chain_that_verifies(desk):
    _six_records(desk)
    rows = _records(desk)
    assert [(r.seq, r.actor, r.action, r.subject) for r in rows] == [
        (1, "alice", "request.submitted", "REQ-1"),
        (2, "carol", "request.approved", "REQ-1"),
        (3, "bob", "request.fulfilled", "REQ-1"),
        (4, "alice", "request.submitted", "REQ-2"),
        (5, "carol", "request.denied", "REQ-2"),
        (6, "alice", "request.submitted", "REQ-3"),
    ]
    assert json.loads(rows[4].details) == {"reason": "one is enough"}
    assert rows[4].details == '{"reason":"one is enough"}'  # canonical JSON
    assert rows[0].prev_mac == audit.GENESIS
    assert all(b.prev_mac == a.mac for a, b in zip(rows, rows[1:], strict=False))
    result = _verify(desk)
    assert result.ok and result.count == 6 and result.head == (6, rows[-1].mac)
    assert _verify(desk, expect_head=(6, rows[-1].mac)).ok
    assert _verify(desk, expect_head=(3, rows[2].mac)).ok  # an older anchor: still intact
    # The wrong key proves nothing: every MAC fails.
    with desk.runtime.database.engine.connect() as connection:
        wrong = audit.verify(connection, b"another-key-0123456789", None)
    assert not wrong.ok and wrong.broken_seq == 1 and "MAC mismatch" in wrong.reason


def test_a_refused_decision_leaves_no_record(desk):
    desk.say("alice", LICENCE)
    assert "cannot approve" in desk.say("alice", "/request approve REQ-1")
    assert [r.action for r in _records(desk)] == ["request.submitted"]


def test_a_changed_row_is_caught_at_its_seq(desk):
    _six_records(desk)
    _sql(desk, "UPDATE audit_records SET details = :d WHERE seq = 5", d='{"reason":"budget"}')
    result = _verify(desk)
    assert not result.ok
    assert result.broken_seq == 5 and "MAC mismatch" in result.reason
    assert result.count == 4 and result.head[0] == 4


def test_a_changed_actor_or_time_is_caught_too(desk):
    _six_records(desk)
    _sql(desk, "UPDATE audit_records SET actor = 'grace' WHERE seq = 2")
    assert _verify(desk).broken_seq == 2


def test_a_row_deleted_in_the_middle_is_caught(desk):
    _six_records(desk)
    _sql(desk, "DELETE FROM audit_records WHERE seq = 3")
    result = _verify(desk)
    assert not result.ok and result.broken_seq == 3
    assert "missing" in result.reason and "from seq 2 to 4" in result.reason


def test_a_relinked_row_is_caught(desk):
    _six_records(desk)
    # Record 4 removed and 5 renumbered into its place: the seq runs on, the link does not.
    _sql(desk, "DELETE FROM audit_records WHERE seq = 4")
    _sql(desk, "UPDATE audit_records SET seq = 4 WHERE seq = 5")
    result = _verify(desk)
    assert result.broken_seq == 4 and "prev_mac" in result.reason


def test_a_deleted_tail_is_caught_against_the_posted_head(desk):
    _six_records(desk)
    posted = (6, _records(desk)[-1].mac)
    new_last = _records(desk)[3]
    # Whoever deletes the last two rows and rewinds the head row leaves an intact chain…
    _sql(desk, "DELETE FROM audit_records WHERE seq > 4")
    _sql(desk, "UPDATE audit_head SET seq = 4, mac = :mac", mac=new_last.mac)
    alone = _verify(desk)
    assert alone.ok and alone.count == 4  # …that verify alone cannot tell from a short one
    # …but not one that reaches the head posted to the security channel.
    anchored = _verify(desk, expect_head=posted)
    assert not anchored.ok and anchored.broken_seq == 5
    assert "expected head is 6" in anchored.reason


def test_a_deleted_tail_is_caught_by_the_head_row_when_it_was_left(desk):
    _six_records(desk)
    _sql(desk, "DELETE FROM audit_records WHERE seq > 4")
    result = _verify(desk)
    assert not result.ok and result.broken_seq == 5 and "last append wrote seq 6" in result.reason


def test_a_rewritten_tail_differs_from_the_posted_head(desk):
    _six_records(desk)
    posted = (6, _records(desk)[-1].mac)
    _sql(desk, "UPDATE audit_records SET mac = :m WHERE seq = 6", m="f" * 64)
    result = _verify(desk, expect_head=posted)
    assert result.broken_seq == 6


def _cli_env(monkeypatch, desk) -> None:
    monkeypatch.setenv("DATABASE_URL", desk.runtime.settings.database_url)
    monkeypatch.setenv("DESKBOT_AUDIT_KEY", TEST_AUDIT_KEY)


def test_the_verify_command(desk, monkeypatch, capsys):
    _six_records(desk)
    _cli_env(monkeypatch, desk)
    mac = _records(desk)[-1].mac
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == f"audit chain intact: 6 records, head 6:{mac}"
    assert main(["audit", "verify", "--expect-head", f"6:{mac}"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--expect-head", f"9:{mac}"]) == 1
    err = capsys.readouterr().err
    assert "broken at record 7" in err and "expected head is 9" in err
    for bad in ("6", "x:y", f"6:{mac[:10]}", f"0:{mac}", f"-1:{mac}"):
        assert main(["audit", "verify", f"--expect-head={bad}"]) == 2, bad
        assert "--expect-head must be SEQ:MAC" in capsys.readouterr().err
    _sql(desk, "UPDATE audit_records SET subject = 'REQ-9' WHERE seq = 3")
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("audit chain broken at record 3: MAC mismatch")
    assert "2 records before it are intact" in err


def test_verify_without_the_key_says_so(desk, monkeypatch, tmp_path, capsys):
    desk.say("alice", LICENCE)
    monkeypatch.setenv("DATABASE_URL", desk.runtime.settings.database_url)
    monkeypatch.delenv("DESKBOT_AUDIT_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no deskbot-audit.key here: none is made up
    assert main(["audit", "verify"]) == 2
    assert "no audit key" in capsys.readouterr().err
    assert not (tmp_path / "deskbot-audit.key").exists()


def test_export_writes_json_lines_since_a_date(desk, monkeypatch, tmp_path, capsys):
    desk.say("alice", LICENCE)
    desk.advance(days=2)
    desk.say("carol", "/request approve REQ-1")
    _cli_env(monkeypatch, desk)
    everything = tmp_path / "all.jsonl"
    assert main(["audit", "export", "--since", "2026-01-01", "--out", str(everything)]) == 0
    lines = [json.loads(line) for line in everything.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2]
    first = lines[0]
    assert set(first) == {"seq", "at", "actor", "action", "subject", "details", "prev_mac", "mac"}
    assert first["at"] == "2026-01-05T09:00:00.000000+00:00"
    assert first["details"]["item"] == "software-licence"
    assert first["prev_mac"] == audit.GENESIS and lines[1]["prev_mac"] == first["mac"]
    capsys.readouterr()
    assert main(["audit", "export", "--since", "2026-01-06T00:00:00Z"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["action"] for line in out] == ["request.approved"]
    assert main(["audit", "export", "--since", "last tuesday"]) == 2
    assert "--since must be an ISO date" in capsys.readouterr().err


def test_the_head_is_posted_daily_to_the_security_channel(desk):
    desk.say("alice", LICENCE)
    desk.posts()
    posts = [p for p in desk.advance(days=1) if "Audit chain head" in p]
    mac = _records(desk)[-1].mac
    assert posts == [
        f"[#security] Audit chain head: 1:{mac} (1 records). Keep this line: "
        f"`deskbot audit verify --expect-head 1:{mac}` proves the audit trail intact up to "
        "it, and catches records deleted since."
    ]
    desk.say("carol", "/request approve REQ-1")
    mac = _records(desk)[-1].mac
    posts = [p for p in desk.advance(days=1) if "Audit chain head" in p]
    assert len(posts) == 1 and f"head: 2:{mac}" in posts[0]


def test_a_lost_daily_post_is_scheduled_again_when_the_desk_starts(desk):
    desk.say("alice", LICENCE)
    _sql(desk, "UPDATE timers SET state = 'failed' WHERE kind = 'audit_head'")
    assert [p for p in desk.advance(days=1) if "Audit chain head" in p] == []
    desk.runtime.prepare()  # a process starting
    assert len([p for p in desk.advance(days=1) if "Audit chain head" in p]) == 1
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert not audit.ensure_daily_post(ctx)  # one is pending already


def test_an_audited_action_without_a_key_is_refused(desk):
    with desk.runtime.database.transaction() as session:
        ctx = DeskContext(session, desk.runtime.policy, desk.clock)
        with pytest.raises(audit.AuditKeyMissing, match="no audit key"):
            audit.record(ctx, "alice", "request.submitted", "REQ-1", {})


def test_details_that_look_secret_are_refused(desk):
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        for name in ("password", "reset_token", "code", "code_hash"):
            with pytest.raises(ValueError, match="no secret"):
                audit.record(ctx, "alice", "x", "y", {name: "1"})


def _append(url: str, who: str, count: int, start: threading.Barrier, errors: list) -> None:
    database = Database(url)
    clock = ManualClock()
    try:
        start.wait()
        for i in range(count):
            with database.transaction() as session:
                ctx = DeskContext(session, None, clock, audit_key=KEY)
                audit.record(ctx, who, "test.append", f"{who}-{i}", {"i": i})
    except Exception as exc:  # the assertion shows it
        errors.append(repr(exc)[:300])
    finally:
        database.dispose()


def test_two_replicas_appending_at_once_never_fork_the_chain(desk):
    """Two engines (two replicas' connection pools) append at once: on PostgreSQL the head
    row's lock makes them take turns; without it both would chain onto the same record."""
    desk.say("alice", LICENCE)  # the head row exists: both contend for its lock
    url = desk.runtime.settings.database_url
    errors: list[str] = []
    start = threading.Barrier(4)
    threads = [
        threading.Thread(target=_append, args=(url, f"replica{n}", 40, start, errors))
        for n in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    rows = _records(desk)
    assert [r.seq for r in rows] == list(range(1, 162))
    assert len({r.prev_mac for r in rows}) == 161  # no two records chained onto one
    result = _verify(desk)
    assert result.ok and result.count == 161
    with desk.runtime.database.engine.connect() as connection:
        assert tuple(connection.execute(select(HEAD.c.seq, HEAD.c.mac)).one()) == result.head


def test_the_first_records_of_two_replicas_at_once(database_url, example_config):
    """Before the head row exists, two replicas making it at once still take turns."""
    from tests.harness import DeskHarness

    desk = DeskHarness.start(database_url, example_config)
    try:
        errors: list[str] = []
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=_append, args=(database_url, f"r{n}", 10, start, errors))
            for n in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        result = _verify(desk)
        assert result.ok and result.count == 20
    finally:
        desk.close()


def test_no_secret_enters_the_trail_during_a_password_reset(desk, tmp_path):
    import httpx

    from adapters.mail import MailFile
    from adapters.web import reset_routes
    from bot.web import build_web_app
    from tests.fakes.asgi_server import UvicornThread

    mail = tmp_path / "mail.txt"
    app = build_web_app(desk.runtime, reset_routes(desk.runtime, MailFile(mail, "d@example.com")))
    server = UvicornThread(app).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            desk.say("alice", "/desk password")
            link = [LINK.search(p).group(1) for p in desk.posts() if LINK.search(p)][-1]
            assert client.get(link).status_code == 200
            client.post(link, data={"step": "send"})
            code = CODE.findall(mail.read_text())[-1]
            wrong = "000000" if code != "000000" else "111111"
            client.post(link, data={"step": "code", "code": wrong})
            client.post(link, data={"step": "code", "code": code})
            weak = "short"
            client.post(link, data={"step": "password", "password": weak, "again": weak})
            good = "Blue-Harbour-Lamp-42"
            done = client.post(link, data={"step": "password", "password": good, "again": good})
            assert done.status_code == 200
    finally:
        server.stop()
    rows = _records(desk)
    actions = [r.action for r in rows]
    for step in ("started", "opened", "code_sent", "wrong_code", "code_ok", "refused", "done"):
        assert f"password_reset.{step}" in actions, step
    assert all(r.subject.startswith("reset ") for r in rows)
    token = link.rsplit("/", 1)[1]
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        from domain.requests.records import PasswordReset

        hashes = [
            h
            for r in ctx.session.scalars(select(PasswordReset))
            for h in (r.token_hash, r.code_hash, r.browser_hash)
            if h
        ]
    import hashlib

    secrets = [good, weak, code, token, hashlib.sha256(token.encode()).hexdigest(), *hashes]
    for row in rows:
        shown = " ".join(str(v) for v in row)
        assert not [s for s in secrets if s in shown], row.action
    assert _verify(desk).ok


def test_the_key_file_is_made_once_private_and_beside_the_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'deskbot.db'}"
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"DATABASE_URL": url}, cwd=tmp_path)
    key = load_audit_key(settings)
    path = tmp_path / "deskbot-audit.key"
    assert path.read_text().strip().encode() == key and len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_audit_key(settings) == key  # kept, not made again
    assert "audit" not in repr(settings)
    explicit = Settings.from_env({"DESKBOT_AUDIT_KEY": "k" * 32}, cwd=tmp_path)
    assert load_audit_key(explicit) == b"k" * 32
    with pytest.raises(ValueError, match="DESKBOT_AUDIT_KEY must be at least 16"):
        Settings.from_env({"DESKBOT_AUDIT_KEY": "short"}, cwd=tmp_path)
    # A runtime made without the variable, beside its SQLite file, uses that file's key.
    fresh = Settings(database_url=f"sqlite:///{tmp_path / 'other' / 'x.db'}", config_path=None)
    (tmp_path / "other").mkdir()
    assert load_audit_key(fresh) == (tmp_path / "other" / "deskbot-audit.key").read_bytes().strip()


def test_every_context_the_runtime_makes_has_the_key(desk):
    runtime = desk.runtime
    assert runtime.audit_key == KEY
    with runtime.dispatcher.unit_of_work() as ctx:
        assert ctx.audit_key == KEY
    assert runtime.timers.audit_key == KEY and runtime.late_secrets.audit_key == KEY
