"""The reader's theme in headless Chromium: the light/dark switch (system setting first, the
reader's choice kept across reloads), the copy button on code, the header's search box from a
post of a site under a sub-path, the footer at the bottom of a short page, and cards of bounded
height on a 390 px phone.

Real sites are built with `blog build` and served over HTTP on 127.0.0.1. Every wait is for a
condition, with the generous deadline of `browser.WAIT_MS`.

Without Chromium the tests are skipped, except under CI (`CI` set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import pytest
from browser import WAIT_MS
from math_browser import find_fc_list, static_server
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sites import post, run_blog, write_site

Scheme = Literal["light", "dark"]
CODE = "def f(x):\n\treturn x * 2  # 中文注释 <b>&\n\nprint(f(21))\n"
SHORT = "One line."
LONG = "\n\n".join(f"## Part {n}\n\n" + "A sentence of prose. " * 80 for n in range(4))
DISPLAY = "\n\n".join(f"$$\\sum_{{i=1}}^{{{n}}} \\frac{{a_i}}{{b_i}} = c_{n}$$" for n in range(8))


def built(root: Path) -> Path:
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "public"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("theme")
    posts = {
        "code.md": post("Code", date="2024-05-03", body=f"Some code:\n\n```python\n{CODE}```\n"),
        "short.md": post("Short", date="2024-05-02", body=SHORT),
        "tall.md": post("Tall", date="2024-05-01", body=f"Equations ahead.\n\n{DISPLAY}\n"),
        "long.md": post("Long", date="2024-04-30", body=LONG, summary="Four parts."),
    }
    return built(write_site(root, posts, 'title = "T"\nlanguage = "zh-CN"\n'))


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, browser_path: str) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
    try:
        yield chromium
    finally:
        chromium.close()


@contextmanager
def opened(
    browser: Browser,
    *,
    scheme: Scheme = "light",
    width: int = 1000,
    height: int = 800,
    clipboard: bool = False,
) -> Iterator[Page]:
    context = browser.new_context(
        color_scheme=scheme,
        viewport={"width": width, "height": height},
        permissions=["clipboard-read", "clipboard-write"] if clipboard else [],
    )
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        yield page
    finally:
        context.close()


def goto(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.wait_for_load_state("load")


BACKGROUND = "getComputedStyle(document.body).backgroundColor"
LIGHT_BG = "rgb(251, 250, 247)"
DARK_BG = "rgb(16, 20, 24)"


def test_the_page_starts_in_the_system_scheme_and_the_switch_flips_it(
    browser: Browser, site: Path
) -> None:
    with static_server(site) as base:
        schemes: tuple[tuple[Scheme, str], ...] = (("dark", DARK_BG), ("light", LIGHT_BG))
        for scheme, background in schemes:
            with opened(browser, scheme=scheme) as page:
                goto(page, base + "/posts/short/")
                toggle = page.locator("button.theme-toggle")
                toggle.wait_for(state="visible")
                assert page.evaluate(BACKGROUND) == background
                assert toggle.get_attribute("aria-pressed") == str(scheme == "dark").lower()
                toggle.click()
                flipped = LIGHT_BG if scheme == "dark" else DARK_BG
                page.wait_for_function(f"{BACKGROUND} === {flipped!r}")
                assert toggle.get_attribute("aria-pressed") == str(scheme == "light").lower()


def test_the_readers_choice_outlives_a_reload_and_other_pages_over_the_system_setting(
    browser: Browser, site: Path
) -> None:
    with static_server(site) as base, opened(browser, scheme="light") as page:
        goto(page, base + "/posts/code/")
        page.locator("button.theme-toggle").click()
        page.wait_for_function(f"{BACKGROUND} === {DARK_BG!r}")
        page.reload()
        page.wait_for_load_state("load")
        # Applied by the script atop <head>: dark before the switch's own script has run.
        assert page.evaluate("document.documentElement.getAttribute('data-theme')") == "dark"
        assert page.evaluate(BACKGROUND) == DARK_BG
        # The code follows: a dark-scheme token colour, not the light one.
        keyword = page.locator("pre.highlight .k").first
        assert keyword.evaluate("e => getComputedStyle(e).color") == "rgb(255, 123, 114)"
        goto(page, base + "/")
        assert page.evaluate(BACKGROUND) == DARK_BG
        page.locator("button.theme-toggle").click()
        page.wait_for_function(f"{BACKGROUND} === {LIGHT_BG!r}")
        page.reload()
        page.wait_for_load_state("load")
        assert page.evaluate(BACKGROUND) == LIGHT_BG


def test_the_copy_button_puts_the_code_as_written_on_the_clipboard(
    browser: Browser, site: Path
) -> None:
    with static_server(site) as base, opened(browser, clipboard=True) as page:
        goto(page, base + "/posts/code/")
        bar = page.locator(".code-frame .code-bar")
        assert bar.locator(".code-lang").inner_text() == "python"
        button = bar.locator("button.code-copy")
        assert button.inner_text() == "复制"
        button.click()
        page.wait_for_function(
            "document.querySelector('button.code-copy').textContent === '已复制'"
        )
        assert page.evaluate("navigator.clipboard.readText()") == CODE


def test_the_header_search_box_of_a_post_under_a_sub_path_runs_the_search(
    browser: Browser, tmp_path: Path
) -> None:
    posts = {"a.md": post("Attention", body="Softmax 注意力 scaling."), "b.md": post("Other")}
    public = built(write_site(tmp_path / "site", posts, 'title = "T"\nbase_url = "/blog/"\n'))
    served = tmp_path / "www"
    shutil.copytree(public, served / "blog")
    with static_server(served) as base, opened(browser) as page:
        goto(page, base + "/blog/posts/b/")
        box = page.locator("header form.site-search input[name=q]")
        box.fill("softmax")
        box.press("Enter")
        page.wait_for_url(base + "/blog/search/?q=softmax")
        result = page.locator("#search-results .search-result-title a")
        result.first.wait_for()
        assert result.all_inner_texts() == ["Attention"]
        assert page.input_value("#search-query") == "softmax"


def test_the_footer_sits_at_the_bottom_of_a_short_page(browser: Browser, site: Path) -> None:
    with static_server(site) as base, opened(browser, width=1366, height=900) as page:
        goto(page, base + "/posts/short/")
        bottom = page.evaluate(
            "document.querySelector('.site-footer').getBoundingClientRect().bottom"
        )
        assert bottom == pytest.approx(900, abs=1)
        assert page.evaluate("document.documentElement.scrollHeight") == 900


def test_cards_on_a_phone_stay_short_when_a_post_opens_with_display_equations(
    browser: Browser, site: Path
) -> None:
    with static_server(site) as base, opened(browser, width=390, height=844) as page:
        goto(page, base + "/")
        heights = page.eval_on_selector_all(
            "article.card", "cards => cards.map(c => c.getBoundingClientRect().height)"
        )
        assert len(heights) == 4
        assert max(heights) < 400, heights


def fonts_with(char: int, config: Path | None = None) -> list[str]:
    """The font files fontconfig lists as having `char`, with `config` if given."""
    env = dict(os.environ)
    if config is not None:
        env["FONTCONFIG_FILE"] = str(config)
    result = subprocess.run(
        ["fc-list", f":charset={char:x}", "file"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return sorted(line.rstrip(":") for line in result.stdout.splitlines() if line.strip())


def without_fonts_for(char: int, folder: Path) -> Path:
    """A fontconfig file that hides every font with `char`: a system with no emoji font."""
    find_fc_list()
    globs = "".join(f"<glob>{escape(file)}</glob>" for file in fonts_with(char))
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"<selectfont><rejectfont>{globs}</rejectfont></selectfont>\n</fontconfig>\n",
        encoding="utf-8",
    )
    assert fonts_with(char, config) == []
    return config


LIGHT_BULB, WARNING_SIGN = 0x1F4A1, 0x26A0


def test_an_emoji_callout_drops_an_icon_no_installed_font_can_draw(
    playwright: Playwright, browser_path: str, tmp_path: Path
) -> None:
    body = f"> {chr(LIGHT_BULB)} 提示：a tip.\n\n> {chr(WARNING_SIGN)} 注意：a warning.\n"
    public = built(write_site(tmp_path / "site", {"a.md": post("A", body=body)}, 'title = "T"'))
    config = without_fonts_for(LIGHT_BULB, tmp_path)
    env: dict[str, str | float | bool] = {**os.environ, "FONTCONFIG_FILE": str(config)}
    chromium = playwright.chromium.launch(
        executable_path=browser_path, args=["--no-sandbox"], env=env
    )
    try:
        with static_server(public) as base, opened(chromium) as page:
            goto(page, base + "/posts/a/")
            page.wait_for_function("document.querySelectorAll('.callout-no-icon').length > 0")
            icons = page.locator(".callout-icon").all_inner_texts()
            assert chr(LIGHT_BULB) not in icons
            if fonts_with(WARNING_SIGN, config):  # one that a font here draws stays
                assert icons == [chr(WARNING_SIGN)]
            body = page.locator(".callout-no-icon .callout-body").inner_text()
            assert body == "提示：a tip."
    finally:
        chromium.close()


BOX = """selector => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return [r.left, r.right, r.top, r.bottom];
}"""


def test_on_a_wide_screen_the_toc_sits_beside_the_text_and_follows_it_down(
    browser: Browser, site: Path
) -> None:
    with static_server(site) as base, opened(browser, width=1366, height=900) as page:
        goto(page, base + "/posts/long/")
        _, text_right, _, _ = page.evaluate(BOX, ".content")
        toc_left, toc_right, _, _ = page.evaluate(BOX, "details.toc")
        assert toc_left >= text_right and toc_right <= 1366, (text_right, toc_left, toc_right)
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
        page.wait_for_function("window.scrollY > 500")
        _, _, top, bottom = page.evaluate(BOX, "details.toc")
        assert 0 <= top < 100 and bottom <= 900, (top, bottom)
        # On a phone it is a box above the text.
        page.set_viewport_size({"width": 390, "height": 844})
        page.evaluate("window.scrollTo(0, 0)")
        _, toc_right, _, toc_bottom = page.evaluate(BOX, "details.toc")
        _, _, text_top, _ = page.evaluate(BOX, ".content")
        assert toc_right <= 390 and toc_bottom <= text_top
