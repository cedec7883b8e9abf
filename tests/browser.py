"""A real headless Chromium for browser tests (Debian's chromium and chromedriver, driven
by Selenium), and the folder a test's screenshots go to."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextmanager
def chromium(tmp_path: Path) -> Iterator:
    """A WebDriver on a fresh profile under `tmp_path`; skipped without Chromium, failed
    instead when DESKBOT_REQUIRE_BROWSER=1 (CI installs it)."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
        message = "Chromium is not installed: apt-get install -y chromium chromium-driver"
        if os.environ.get("DESKBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium", ignore_errors=True)


def screenshot_folder(tmp_path: Path, capsys, what: str) -> Path:
    """Where this run's screenshots go (DESKBOT_SCREENSHOTS, else the test's tmp dir),
    printed whether or not pytest captures output."""
    folder = Path(os.environ.get("DESKBOT_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    with capsys.disabled():
        print(f"\n{what} screenshots: {folder}")
    return folder
