"""The site nav in a real browser: the entry of the page shown is marked, for assistive
technology (`aria-current="page"`) and for the eye (its own colour and an underline).

tests/sites/pages (a `[[nav]]` with an about page) is served by a real `blog serve`, at the root
and under `/notes/`; headless Chromium opens the home page, follows the nav's About link as a
reader would, and reads what the browser computed for each entry."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import browser_page
from playwright.sync_api import Page
from serving import serving
from sites import REPO

SITE = REPO / "tests/sites/pages"

# What the test reads of each nav entry: its text, its aria-current, and how it is drawn.
ENTRIES_JS = """() => [...document.querySelectorAll('.site-nav a')].map(a => {
  const style = getComputedStyle(a);
  return {text: a.textContent, current: a.getAttribute('aria-current'),
          color: style.color, line: style.textDecorationLine};
})"""


@pytest.fixture
def page(browser_path: str) -> Iterator[Page]:
    with browser_page(browser_path) as opened:
        yield opened


def served_copy(root: Path, base_url: str) -> Path:
    shutil.copytree(SITE, root, ignore=shutil.ignore_patterns("expected"))
    config = (root / "site.toml").read_text(encoding="utf-8")
    old = 'base_url = "https://example.org/notes/"'
    assert old in config
    (root / "site.toml").write_text(config.replace(old, f'base_url = "{base_url}"'), "utf-8")
    return root


def marked(page: Page) -> list[str]:
    """The texts of the entries shown as current; each must look unlike the others."""
    entries = page.evaluate(ENTRIES_JS)
    current = [e for e in entries if e["current"] == "page"]
    others = [e for e in entries if e["current"] is None]
    for entry in current:
        assert entry["line"] == "underline", entry
        assert all(entry["color"] != other["color"] for other in others), entries
    for other in others:
        assert other["line"] == "none", other
    return [e["text"] for e in current]


@pytest.mark.parametrize("base_url", ["/", "/notes/"])
def test_the_current_entry_is_marked_on_home_and_on_the_about_page(
    page: Page, tmp_path: Path, base_url: str
) -> None:
    with serving(served_copy(tmp_path / "site", base_url)) as server:
        assert server.base == base_url
        home = f"http://127.0.0.1:{server.port}{base_url}"
        response = page.goto(home)
        assert response is not None and response.ok
        assert marked(page) == ["Home"]

        page.click(".site-nav a:text-is('About')")
        page.wait_for_url(f"{home}about/")
        assert page.inner_text("h1") == "About these notes"
        assert marked(page) == ["About"]

        page.goto(f"{home}posts/first/")
        assert marked(page) == []
