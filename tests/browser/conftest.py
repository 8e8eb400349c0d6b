"""The browser tests' fixtures: headless Chromium, and a tab on the page for each test module."""

import os
from pathlib import Path

import pytest

from tests.browser.test_browser import CHROMIUM, FLAGS, open_page


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"Debian's chromium is expected at {CHROMIUM} (apt-get install chromium)"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)  # CI installs it: there it must run
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, app_url):
    tab = open_page(browser, app_url)
    yield tab
    tab.close()
