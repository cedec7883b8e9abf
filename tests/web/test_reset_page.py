"""The password reset through the console and the reset page (Starlette's test client): the
link by DM, the code by mail, the new password in the built-in directory; and every way it
is refused — a wrong code five times, a link opened elsewhere, used twice or expired, a
code typed in chat, too many resets in a day."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from adapters.mail import MailFile
from adapters.web import reset_routes
from bot.web import build_web_app
from tests.fakes.asgi_server import UvicornThread

LINK = re.compile(r"http://localhost:3000(/reset/[A-Za-z0-9_-]+)")
CODE = re.compile(r"reset code is (\d{6})")
GOOD = "Blue-Harbour-Lamp-42"


@pytest.fixture
def page(desk, tmp_path):
    """The reset page on a real HTTP server on 127.0.0.1, and a browser-like client."""
    mail = tmp_path / "mail.txt"
    app = build_web_app(
        desk.runtime, reset_routes(desk.runtime, MailFile(mail, "desk@example.com"))
    )
    server = UvicornThread(app).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield client, mail
    finally:
        server.stop()


def _link(desk, person: str = "alice") -> str:
    found = [LINK.search(p) for p in desk.posts() if p.startswith(f"[DM @{person}]")]
    links = [m.group(1) for m in found if m]
    assert links, "no reset link was DMed"
    return links[-1]


def _code(mail: Path) -> str:
    return CODE.findall(mail.read_text())[-1]


def _open(client, link: str):
    """Open the link, then press "Email me the code"; the page that asks for the code."""
    assert client.get(link).status_code == 200
    return client.post(link, data={"step": "send"})


def _start(desk, person: str = "alice") -> str:
    reply = desk.say(person, "/desk password")
    assert reply.startswith("I sent you a one-time link by DM"), reply
    return _link(desk, person)


def test_a_reset_end_to_end_with_the_builtin_directory(desk, page, caplog):
    caplog.set_level(logging.DEBUG)
    client, mail = page
    link = _start(desk)
    opened = client.get(link)
    assert opened.status_code == 200 and 'id="send"' in opened.text
    assert not mail.exists()  # opening the link (a link preview, say) sends nothing
    sent = client.post(link, data={"step": "send"})
    assert "a•••@example.net" in sent.text  # where the code went, masked
    assert opened.headers["cache-control"] == "no-store"
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in opened.headers["content-security-policy"]
    cookie = opened.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/reset" in cookie
    assert "alice.archer@example.net" in mail.read_text()  # the recovery address, in full

    typed = client.post(link, data={"step": "code", "code": _code(mail)})
    assert typed.status_code == 200 and 'name="password"' in typed.text
    weak = client.post(link, data={"step": "password", "password": "short", "again": "short"})
    assert weak.status_code == 400
    assert "at least 12 characters" in weak.text
    differ = client.post(link, data={"step": "password", "password": GOOD, "again": GOOD + "!"})
    assert "The two passwords are not the same." in differ.text
    done = client.post(link, data={"step": "password", "password": GOOD, "again": GOOD})
    assert done.status_code == 200 and 'id="done"' in done.text
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert ctx.directory.check_password("alice", GOOD)
    posts = desk.advance(seconds=0)  # deliver what the page wrote
    assert any("Your password was changed" in p for p in posts if p.startswith("[DM @alice]"))
    # The link is spent.
    again = client.get(link)
    assert again.status_code == 410 and "not valid" in again.text
    secrets = [GOOD, _code(mail), link.rsplit("/", 1)[1]]
    _assert_no_secret_stored(desk, secrets)
    # Nor any log line of deskbot's (the test's HTTP client logs the URLs it fetches).
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    leaked = [r.name for r in ours for s in secrets if s in r.getMessage()]
    assert not leaked, leaked
    assert not [s for s in secrets if any(s in p for p in posts if p.startswith("[#"))]


def _assert_no_secret_stored(desk, secrets: list[str]) -> None:
    """No table holds any of the secrets in clear (outbox bodies included)."""
    database = desk.runtime.database
    with database.engine.connect() as connection:
        for table in database.engine.dialect.get_table_names(connection):
            if table.startswith(("known_errors_fts", "alembic")):
                continue
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                shown = " ".join(str(v) for v in row)
                for secret in secrets:
                    assert secret not in shown, f"{table} holds a secret"


def test_five_wrong_codes_void_the_reset_and_tell_the_desk(desk, page):
    client, mail = page
    link = _start(desk)
    _open(client, link)
    right = _code(mail)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        answer = client.post(link, data={"step": "code", "code": wrong})
        assert answer.status_code == 400 and f"{left} tries left" in answer.text
    last = client.post(link, data={"step": "code", "code": wrong})
    assert last.status_code == 410 and "fifth wrong code" in last.text
    # The right code is no use now.
    assert client.post(link, data={"step": "code", "code": right}).status_code == 410
    posts = desk.advance(seconds=0)
    assert (
        "[#service-desk] @alice needs help with their password: 5 wrong codes on a password reset. Make sure it is really them before you help."
        in posts
    )
    assert any(p.startswith("[DM @alice] Your password reset was cancelled") for p in posts)


def test_a_link_works_in_one_browser_and_expires(desk, page, tmp_path):
    client, mail = page
    link = _start(desk)
    assert _open(client, link).status_code == 200
    with httpx.Client(base_url=client.base_url, timeout=10) as other:
        elsewhere = other.get(link)
        assert elsewhere.status_code == 410 and "opened in another browser" in elsewhere.text
        posted = other.post(link, data={"step": "code", "code": _code(mail)})
        assert posted.status_code == 410 and "another browser" in posted.text
    with httpx.Client(base_url=client.base_url, timeout=10) as fresh:
        # A post without the cookie the page sets: refused before anything is looked up.
        assert fresh.post(link, data={"step": "code", "code": "1"}).status_code == 400
    # The owner's browser still works, until the 15 minutes are over.
    desk.clock.advance(timedelta(minutes=16))
    late = client.post(link, data={"step": "code", "code": _code(mail)})
    assert late.status_code == 410 and "expired" in late.text


def test_a_code_typed_in_chat_voids_the_reset(desk, page):
    client, mail = page
    link = _start(desk)
    _open(client, link)
    code = _code(mail)
    said = desk.say("alice", f"my code is {code}")
    assert said.startswith("Never type your reset code in chat")
    assert client.post(link, data={"step": "code", "code": code}).status_code == 410
    # Any other six digits are just words.
    assert desk.say("alice", "my extension is 123456").startswith("Shall I open an incident")


def test_a_new_reset_replaces_the_old_link_and_three_a_day_is_the_limit(desk, page):
    client, _ = page
    first = _start(desk)
    second = _start(desk)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    _start(desk)
    refused = desk.say("alice", "/desk password")
    assert refused.startswith("You have started 3 password resets today, the most allowed.")
    assert (
        "[#service-desk] @alice needs help with their password: 3 password resets in a day. Make sure it is really them before you help."
        in desk.posts()
    )
    # Tomorrow it works again.
    desk.clock.advance(timedelta(days=1, minutes=1))
    assert desk.say("alice", "/desk password").startswith("I sent you a one-time link")


def test_asking_in_words_or_from_the_catalogue_starts_the_same_reset(desk):
    assert desk.say("alice", "I forgot my password").startswith("I sent you a one-time link")
    assert _link(desk)
    assert desk.say("alice", "/request new password-reset").startswith("I sent you a one-time link")
    assert _link(desk)
    # Without a recovery address there is nothing to send a code to.
    assert desk.say("erin", "/desk password") == (
        "You have no recovery address on file, so I cannot send you a code. "
        "Ask the service desk to reset your password."
    )


def test_bad_requests_to_the_page(desk, page):
    client, _ = page
    assert client.get("/reset/not-a-token").status_code == 410
    link = _start(desk)
    _open(client, link)
    assert client.post(link, data={"step": "fly"}).status_code == 400
    big = client.post(link, data={"step": "code", "code": "1" * 10_000})
    assert big.status_code == 413
    assert client.put(link).status_code == 405


def test_every_attempt_is_recorded_and_cookies_are_secure_behind_https(desk, tmp_path):
    from dataclasses import replace

    from domain.requests.records import PasswordResetEvent

    link = _start(desk)
    runtime = desk.runtime
    runtime.settings = replace(runtime.settings, public_url="https://desk.example.com")
    mail = tmp_path / "mail.txt"
    app = build_web_app(runtime, reset_routes(runtime, MailFile(mail, "desk@example.com")))
    server = UvicornThread(app).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            opened = client.get(link)
            assert "Secure" in opened.headers["set-cookie"]
            client.cookies.set("deskbot_reset", opened.cookies["deskbot_reset"], path="/reset")
            client.post(link, data={"step": "send"})
            wrong = "000000" if _code(mail) != "000000" else "111111"
            client.post(link, data={"step": "code", "code": wrong})
    finally:
        server.stop()
    with runtime.database.transaction() as session:
        kinds = [e.kind for e in session.query(PasswordResetEvent).order_by(PasswordResetEvent.id)]
    assert kinds[:3] == ["started", "opened", "code_sent"] and "wrong_code" in kinds


def test_a_chat_account_the_configuration_does_not_know_gets_no_reset(desk):
    from bot.identity import PlatformIdentity

    stranger = PlatformIdentity("slack", "U0ZED", "zed")
    reply = desk.runtime.dispatcher.execute(stranger, "/desk password")
    assert reply.text == (
        "Your chat account is not linked to a directory account in the desk's configuration, "
        "so I cannot reset a password for it. Ask the service desk."
    )
