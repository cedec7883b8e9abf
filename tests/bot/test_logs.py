"""deskbot's log output: LOG_FORMAT=json writes one JSON object per line with the record's
structured fields; every line, JSON or text, has its secrets redacted."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from bot.identity import PlatformIdentity
from bot.logs import REQUEST_ID, command_name, configure_logging, redact
from bot.pipeline import Pipeline
from bot.settings import Settings

# Shaped like the real thing, made up for the test.
SLACK_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
APP_TOKEN = "xapp-1-A0123456789-1234567890123-abcdef0123456789"
DISCORD_TOKEN = "MTE4NjQ1NzI3NDQ4MjM0NjA0OA.GxYzAb.abcdefghijklmnopqrstuvwxyz0123456789AB"
RESET_TOKEN = "q9Zr2xY7LmN0pQ4sT6uV8wX1yZ3aB5cD"
BEARER = "s3cr3t-scrape-token-0123456789"


@pytest.fixture
def output():
    """configure_logging into a buffer; the root logger as it was afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_parse_and_carry_the_structured_fields(output):
    configure_logging(verbose=False, fmt="json", stream=output)
    log = logging.getLogger("bot.outbox")
    log.info(
        "outbox %s sent", 7, extra={"outbox_id": 7, "kind": "incident_opened", "outcome": "sent"}
    )
    log.debug("not shown: below info")
    token = REQUEST_ID.set("req-1")
    try:
        logging.getLogger("deskbot.http").warning("slow", extra={"ms": 812.5})
    finally:
        REQUEST_ID.reset(token)
    first, second = _lines(output)
    assert first["msg"] == "outbox 7 sent" and first["level"] == "info"
    assert first["logger"] == "bot.outbox"
    assert (first["outbox_id"], first["kind"], first["outcome"]) == (7, "incident_opened", "sent")
    assert first["ts"].endswith("+00:00") and "T" in first["ts"]
    assert "request_id" not in first
    assert (second["request_id"], second["ms"], second["level"]) == ("req-1", 812.5, "warning")


def test_no_secret_reaches_a_json_line(output):
    configure_logging(verbose=True, fmt="json", stream=output)
    log = logging.getLogger("adapters.slack")
    log.info("GET /reset/%s?next=1 from a preview", RESET_TOKEN)
    log.info("sign-in at https://desk.example.com/dashboard/sign-in/%s", RESET_TOKEN)
    log.info("feed /api/v1/oncall/network.ics?token=%s&x=1", RESET_TOKEN)
    log.info("headers: {'Authorization': 'Bearer %s'}", BEARER)
    log.info("authorization: Bot %s", DISCORD_TOKEN)
    log.info("slack said invalid_auth for %s (app %s)", SLACK_TOKEN, APP_TOKEN)
    log.info("gateway token %s refused", DISCORD_TOKEN)
    log.info("posting to https://hooks.slack.com/commands/T1/123/%s", RESET_TOKEN)
    log.info("database postgresql://desk:%s@db/desk down", BEARER)
    log.info("in extras", extra={"path": f"/reset/{RESET_TOKEN}", "header": f"Bearer {BEARER}"})
    try:
        raise RuntimeError(f"Slack refused {SLACK_TOKEN}")
    except RuntimeError:
        log.exception("send failed")
    text = output.getvalue()
    lines = _lines(output)
    assert len(lines) == 11
    for secret in (SLACK_TOKEN, APP_TOKEN, DISCORD_TOKEN, RESET_TOKEN, BEARER):
        assert secret not in text
    # What says where the secret was stays, so the line is still useful.
    assert lines[0]["msg"] == "GET /reset/[redacted]?next=1 from a preview"
    assert lines[2]["msg"] == "feed /api/v1/oncall/network.ics?token=[redacted]&x=1"
    assert lines[5]["msg"] == "slack said invalid_auth for [redacted] (app [redacted])"
    assert lines[8]["msg"] == "database postgresql://desk:[redacted]@db/desk down"
    assert lines[9]["path"] == "/reset/[redacted]"
    assert "RuntimeError: Slack refused [redacted]" in lines[10]["exc"]


def test_text_lines_are_redacted_too_and_quiet_unless_verbose(output):
    configure_logging(verbose=False, fmt="text", stream=output)
    log = logging.getLogger("bot.pipeline")
    log.info("not shown without -v")
    log.warning("token %s rejected", SLACK_TOKEN)
    (line,) = output.getvalue().splitlines()
    assert line.endswith("WARNING bot.pipeline: token [redacted] rejected")


def test_ordinary_words_are_left_alone():
    for text in (
        "the bot answered in basic terms",
        "Authorization failed for alice",
        "INC-42 escalated to network after 30 minutes",
        "/incident claim INC-42",
        # Route templates name where a request went, and carry no credential.
        "GET /reset/{token} 410 in 4.8 ms",
        "POST /dashboard/sign-in/{token} 303 in 12 ms",
    ):
        assert redact(text) == text
    assert redact("GET /reset/AbC-123_x 410") == "GET /reset/[redacted] 410"


def test_a_command_is_named_never_its_free_text():
    assert command_name(["incident", "new", "my password is hunter2"], None) == "incident new"
    assert command_name(None, '/incident note INC-4 "called alice"') == "incident note"
    assert command_name(None, "/incident") == "incident"
    assert command_name(None, "/incident hunter2") == "incident"
    assert command_name(["hunter2", "x"], None) == "unknown"
    assert command_name(None, "") == "unknown"


def test_log_format_setting():
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT must be text or json"):
        Settings.from_env({"LOG_FORMAT": "xml"})


def test_one_line_per_command_without_its_words(desk, caplog):
    pipeline = Pipeline(desk.runtime.dispatcher, platform="console")

    async def alice() -> PlatformIdentity:
        return PlatformIdentity("console", "alice")

    async def run(**command) -> None:
        await pipeline.command(alice, **command)

    with caplog.at_level(logging.INFO, logger="bot.pipeline"):
        asyncio.run(run(text='/incident new "printer password is hunter2"'))
        asyncio.run(run(argv=["incident", "claim", "INC-1"]))  # alice is no agent
    lines = [r for r in caplog.records if r.name == "bot.pipeline"]
    assert [(r.command, r.person, r.ok) for r in lines] == [
        ("incident new", "console:alice", True),
        ("incident claim", "console:alice", False),
    ]
    assert all(isinstance(r.ms, float) for r in lines)
    assert not any("hunter2" in r.getMessage() or "INC-1" in r.getMessage() for r in lines)


def test_one_line_per_delivery(desk, caplog):
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        desk.say("alice", '/incident new "VPN drops every 10 minutes"')
    sent = [r for r in caplog.records if r.name == "bot.outbox" and hasattr(r, "outcome")]
    assert sent, "no delivery was logged"
    assert {(r.platform, r.outcome) for r in sent} == {("console", "sent")}
    assert "incident_opened" in {r.kind for r in sent}
    assert len({r.outbox_id for r in sent}) == len(sent)  # one line per message
