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
            yield browser.new_page()
        finally:
            browser.close()
