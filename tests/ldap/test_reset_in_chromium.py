"""A password reset end to end, as a person does it: /desk password in chat, the link from
the DM opened in a real headless Chromium (Selenium, Debian's chromium and chromedriver),
the code read from the mail file, the new password refused once by slapd's ppolicy and then
set in slapd — checked with ldapwhoami. Afterwards no secret is in the database, the outbox,
a channel or the log."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

from adapters.directory import ldap_factory
from adapters.mail import MailFile
from adapters.web import reset_routes
from bot.config import example_config_path, load_config_text
from bot.web import build_web_app
from tests.browser import chromium
from tests.fakes.asgi_server import UvicornThread
from tests.harness import DeskHarness
from tests.ldap.slapd import BASE, INITIAL_PASSWORD, POLICY, SERVICE, SERVICE_PASSWORD

GOOD = "Quiet-Otter-Runs-7"
LDAP = f"""directory:
  kind: ldap
  url: {{url}}
  base_dn: "{BASE}"
  bind_dn: "{SERVICE}"
  policy_dn: "{POLICY}"
  timeout: 2s
"""


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path) as driver:
        yield driver


class _Late:
    """An ASGI app filled in after the port is known (the runtime needs PUBLIC_URL first)."""

    app = None

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


def test_a_password_reset_in_chromium_against_slapd(slapd, browser, database_url, tmp_path, caplog):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    caplog.set_level(logging.DEBUG)
    late = _Late()
    server = UvicornThread(late)
    config = load_config_text(
        example_config_path()
        .read_text()
        .replace("directory:\n  kind: builtin\n", LDAP.format(url=slapd.url))
    )
    desk = DeskHarness.start(
        database_url,
        config,
        directory=ldap_factory(config.directory, SERVICE_PASSWORD),
        public_url=server.url,
    )
    mail = tmp_path / "mail.txt"
    late.app = build_web_app(desk.runtime, reset_routes(desk.runtime, MailFile(mail, "desk@x")))
    server.start()
    try:
        assert desk.say("alice", "/desk password").startswith("I sent you a one-time link by DM")
        [dm] = [p for p in desk.posts() if p.startswith("[DM @alice]")]
        link = re.search(r"(http://127\.0\.0\.1:\d+/reset/[A-Za-z0-9_-]+)", dm).group(1)

        browser.get(link)
        browser.find_element(By.ID, "send").click()  # opening alone sends nothing
        WebDriverWait(browser, 10).until(
            expected_conditions.presence_of_element_located((By.ID, "code"))
        )
        assert "a•••@example.net" in browser.page_source
        code = re.findall(r"reset code is (\d{6})", mail.read_text())[-1]
        browser.find_element(By.ID, "code").send_keys(code)
        browser.find_element(By.ID, "check").click()
        # A click does not wait for the page it submits: wait for the new-password form.
        WebDriverWait(browser, 10).until(
            expected_conditions.presence_of_element_located((By.ID, "password"))
        )
        # The rules shown come from slapd's ppolicy (pwdMinLength 12) and the config.
        assert "be at least 12 characters long" in browser.page_source

        # slapd refuses the password alice has now: its words, explained on the page.
        for field in ("password", "again"):
            browser.find_element(By.ID, field).send_keys(INITIAL_PASSWORD)
        browser.find_element(By.ID, "save").click()
        problem = (
            WebDriverWait(browser, 10)
            .until(expected_conditions.presence_of_element_located((By.ID, "problem")))
            .text
        )
        assert "The directory refused that password:" in problem
        assert "it is the password you have now" in problem

        for field in ("password", "again"):
            browser.find_element(By.ID, field).send_keys(GOOD)
        browser.find_element(By.ID, "save").click()
        done = WebDriverWait(browser, 10).until(
            expected_conditions.presence_of_element_located((By.ID, "done"))
        )
        assert "Your password is changed" in done.text
        assert slapd.whoami("alice", GOOD) and not slapd.whoami("alice", INITIAL_PASSWORD)

        browser.get(link)  # used: gone
        assert "not valid" in browser.find_element(By.ID, "problem").text

        posts = desk.advance(seconds=0)
        assert any("Your password was changed" in p for p in posts if p.startswith("[DM @alice]"))
        secrets = [GOOD, code, link.rsplit("/", 1)[1]]
        # The browser driver's own debug log carries what it typed: only deskbot's count.
        ours = "\n".join(
            r.getMessage() for r in caplog.records if not r.name.startswith(("selenium", "urllib3"))
        )
        _no_secret_anywhere(desk, secrets, posts, ours)
    finally:
        server.stop()
        desk.close()


def _no_secret_anywhere(desk, secrets: list[str], posts: list[str], log: str) -> None:
    database = desk.runtime.database
    with database.engine.connect() as connection:
        for table in database.engine.dialect.get_table_names(connection):
            if table.startswith(("known_errors_fts", "alembic")):
                continue
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                shown = " ".join(str(v) for v in row)
                assert not [s for s in secrets if s in shown], f"{table} holds a secret"
    assert not [s for s in secrets if s in log]
    assert not [s for s in secrets if any(s in p for p in posts if p.startswith("[#"))]
