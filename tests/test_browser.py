"""Not a test file: bench/live_slider.py still imports the browser helpers from here (bench is left as it is for
now). The browser tests live in tests/browser/test_browser.py; once bench imports from there, remove this file.
It holds no tests, so pytest collects nothing from it."""

from tests.browser.test_browser import CHROMIUM, FLAGS, drag, open_page, pick, server_calls

__all__ = ["CHROMIUM", "FLAGS", "drag", "open_page", "pick", "server_calls"]
