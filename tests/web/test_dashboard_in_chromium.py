"""The dashboard as a person uses it, in a real headless Chromium (Selenium, Debian's
chromium and chromedriver): /desk dashboard in chat, the link from the DM opened and
Continue pressed, the queue, one incident with its timeline, the report with its chart
drawn (the image really loaded), at desktop and phone width (375 pixels: nothing scrolls
sideways), by keyboard with a visible focus; then signing out. A screenshot of each page
goes to a directory the test prints (DESKBOT_SCREENSHOTS, else the test's tmp dir)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.web.dashboard import dashboard_routes
from bot.config import example_config_path, load_config
from bot.web import build_web_app
from tests.browser import chromium, screenshot_folder
from tests.fakes.asgi_server import UvicornThread
from tests.harness import DeskHarness

PHONE, DESKTOP = (375, 812), (1280, 900)


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path) as driver:
        yield driver


@pytest.fixture
def screenshots(tmp_path, capsys) -> Path:
    return screenshot_folder(tmp_path, capsys, "dashboard")


class _Late:
    """An ASGI app filled in after the port is known (the runtime needs PUBLIC_URL first)."""

    app = None

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


def _wait_for(browser, element_id: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


def _fits_a_phone(browser, shots: Path, name: str) -> None:
    """At 375 pixels wide the page does not scroll sideways (wide tables scroll in their own
    box); a screenshot of each width."""
    browser.set_window_size(*DESKTOP)
    browser.save_screenshot(str(shots / f"{name}.png"))
    browser.set_window_size(*PHONE)
    inner, scroll = browser.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]"
    )
    assert inner <= PHONE[0] and scroll <= inner, f"{name}: {scroll}px wide in a {inner}px window"
    browser.save_screenshot(str(shots / f"{name}-phone.png"))
    browser.set_window_size(*DESKTOP)


def test_the_dashboard_in_chromium(browser, screenshots, database_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    late = _Late()
    server = UvicornThread(late)
    desk = DeskHarness.start(
        database_url, load_config(example_config_path()), public_url=server.url
    )
    late.app = build_web_app(desk.runtime, dashboard_routes(desk.runtime))
    server.start()
    try:
        desk.say("alice", '/incident new "VPN drops every 10 min" --service vpn --impact high')
        desk.say("alice", '/incident new "Wi-Fi slow on floor 3" --service wifi')
        desk.say("carol", "/incident claim INC-2")
        desk.say("carol", '/incident resolve INC-2 "moved the access point"')
        desk.say("bob", '/incident new "Mail bounces" --service email')
        desk.clock.advance(timedelta(minutes=5))
        assert desk.say("carol", "/desk dashboard").startswith("I sent you a sign-in link")
        [dm] = [p for p in desk.posts() if p.startswith("[DM @carol]")]
        link = re.search(r"(http://127\.0\.0\.1:\d+/dashboard/sign-in/[A-Za-z0-9_-]+)", dm)

        # The link: a page with a button; nothing happens until it is pressed.
        browser.set_window_size(*DESKTOP)
        browser.get(link.group(1))
        assert "Carol Chen" in _wait_for(browser, "main").text
        _fits_a_phone(browser, screenshots, "1-sign-in")
        browser.find_element(By.ID, "continue").click()

        # The queue: network's open incidents (carol's team), not messaging's.
        queue = _wait_for(browser, "queue")
        assert "VPN drops every 10 min" in queue.text and "Mail bounces" not in queue.text
        assert "On call now" in browser.page_source
        _fits_a_phone(browser, screenshots, "2-queue")
        # By keyboard: the first Tab reaches the skip link, and its focus is visible.
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        focused = browser.switch_to.active_element
        assert focused.text == "Skip to the content"
        assert focused.value_of_css_property("outline-style") != "none"

        # One incident, from the queue's link.
        browser.find_element(By.LINK_TEXT, "INC-1").click()
        timeline = _wait_for(browser, "timeline")
        assert "INC-1: VPN drops every 10 min" in browser.find_element(By.TAG_NAME, "h1").text
        assert "alice" in timeline.text
        _fits_a_phone(browser, screenshots, "3-incident")

        # The report, with its chart drawn from the same numbers.
        browser.find_element(By.LINK_TEXT, "Report").click()
        chart = _wait_for(browser, "chart")
        WebDriverWait(browser, 15).until(
            lambda b: b.execute_script("return arguments[0].complete", chart)
        )
        width = browser.execute_script("return arguments[0].naturalWidth", chart)
        assert width > 0, "the chart image did not load"
        assert chart.get_attribute("alt")
        figures = browser.find_element(By.ID, "figures").text
        assert "Opened 2" in figures and "Resolved 1" in figures  # network's two, one resolved
        _fits_a_phone(browser, screenshots, "4-report")

        browser.find_element(By.ID, "sign-out").click()
        assert "You are signed out" in _wait_for(browser, "problem").text
        browser.get(f"{server.url}/dashboard")
        assert "not signed in" in _wait_for(browser, "problem").text
        assert len(list(screenshots.glob("*.png"))) == 8
    finally:
        server.stop()
        desk.close()
