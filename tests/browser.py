"""Headless Chromium for browser tests: the system's browser, driven by Playwright (no browser
download). Without one the test is skipped, except under CI (`CI` set), where it fails: CI must
run browser tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, sync_playwright

# The first one on PATH is used; GitHub's Ubuntu runners have chromium and google-chrome.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# How long a browser test waits for something to happen before it fails: a deadline generous
# enough for a busy machine running the suite twice at once, never a measure of speed.
WAIT_MS = 60_000


def find_browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    reason = f"no browser on PATH (looked for {', '.join(BROWSERS)})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test: install Debian's chromium")
    pytest.skip(reason)


@contextmanager
def browser_page(executable: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            browser.close()
