"""The public status page in a real headless Chromium (Selenium, Debian's chromium and
chromedriver): an outage, a degraded service and the rest operational, the public update
readable, ninety history cells a row that fits a 375-pixel phone without scrolling
sideways, and screenshots (phone and desktop) saved to a directory the test prints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.web.status_page import status_page_routes
from bot.web import build_web_app
from domain.clock import ManualClock
from domain.events import Signal
from domain.events.inbox import put
from tests.browser import chromium, screenshot_folder
from tests.fakes.asgi_server import UvicornThread
from tests.harness import DeskHarness

NOW = datetime(2026, 3, 6, 9, 15, tzinfo=UTC)
PUBLIC = "Some mail is delayed; we are moving it to the second relay"
PRIVATE = "relay db-07 disk full"


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path) as driver:
        yield driver


@pytest.fixture
def screenshots(tmp_path, capsys) -> Path:
    return screenshot_folder(tmp_path, capsys, "status page")


def _trouble(desk: DeskHarness) -> None:
    """A major incident on email with a public and a private update; the VPN's uptime
    monitor failing (an incident monitoring opened: degraded)."""
    desk.say("alice", '/incident new "Mail relay melted" --service email --impact high')
    desk.say("carol", "/incident major INC-1")
    desk.say("carol", f"/major update INC-1 {PUBLIC} --status identified --public")
    desk.say("carol", f"/major update INC-1 {PRIVATE}")
    signal = Signal("pagerduty", "vpn-probe", "trigger", summary="VPN probe", severity="error")
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        put(ctx, "uptime", [signal])
    desk.advance(seconds=1)


def _phone(driver, width: int, height: int) -> None:
    """Render as a phone of this size would (CSS pixels, touch, mobile viewport)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
    )


def test_the_status_page_in_chromium_at_phone_and_desktop_width(
    browser, screenshots, database_url, example_config
):
    from selenium.webdriver.common.by import By

    desk = DeskHarness.start(database_url, example_config, clock=ManualClock(NOW))
    routes = status_page_routes(desk.runtime, fresh_for=0)
    server = UvicornThread(build_web_app(desk.runtime, extra_routes=routes)).start()
    try:
        _trouble(desk)
        _phone(browser, 375, 812)
        browser.get(server.url + "/status")
        assert browser.title == "Example Corp status"
        overall = browser.find_element(By.ID, "overall")
        assert overall.get_attribute("role") == "status"
        assert "Some services are down." in overall.text

        email = browser.find_element(By.ID, "service-email")
        assert "Outage" in email.text and PUBLIC in email.text
        assert "Degraded" in browser.find_element(By.ID, "service-vpn").text
        assert "Operational" in browser.find_element(By.ID, "service-wifi").text
        assert PRIVATE not in browser.page_source
        assert "Mail relay melted" not in browser.page_source

        # Nothing wider than the phone: the page never scrolls sideways.
        widths = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.body.scrollWidth,"
            " window.innerWidth]"
        )
        assert widths[2] == 375
        assert max(widths[:2]) <= 375, widths
        # Ninety cells in one row, each visible (at least a pixel wide), within the card.
        cells = browser.execute_script(
            "const row = document.querySelector('#service-email .days');"
            "const box = row.getBoundingClientRect();"
            "return [...row.children].map(c => {"
            "  const r = c.getBoundingClientRect();"
            "  return [r.width, r.top, r.left >= box.left && r.right <= box.right + 0.5];"
            "});"
        )
        assert len(cells) == 90
        assert all(width >= 1 for width, _, _ in cells)
        assert len({round(top) for _, top, _ in cells}) == 1
        assert all(inside for _, _, inside in cells)
        # Today's cell says what it is in words (its title and hidden text), not colour alone.
        today = browser.find_element(By.CSS_SELECTOR, '#service-email .day[data-date="2026-03-06"]')
        assert today.get_attribute("title") == "6 Mar 2026: Outage"
        assert today.get_attribute("textContent") == "6 Mar 2026: Outage"
        # The JSON link works from the page.
        assert browser.find_element(By.LINK_TEXT, "JSON").get_attribute("href") == (
            server.url + "/status.json"
        )
        phone = screenshots / "status-375.png"
        assert browser.save_screenshot(str(phone))

        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.set_window_size(1280, 1000)
        browser.get(server.url + "/status")
        desktop = screenshots / "status-1280.png"
        assert browser.save_screenshot(str(desktop))
        for shot in (phone, desktop):
            assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    finally:
        server.stop()
        desk.close()
