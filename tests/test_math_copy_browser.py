"""Formulas in a real browser: copying puts their TeX on the clipboard, the TeX annotation draws
nothing, and a long inline formula wraps on a phone instead of pushing the page sideways.

A small site is served by a real `blog serve` on 127.0.0.1 and opened in headless Chromium
(the system's, driven by Playwright) with clipboard permissions; the test selects text as a
reader would (a DOM range), presses Ctrl+C and reads the system clipboard back. Without a
Chromium the test is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from browser import WAIT_MS, find_browser
from playwright.sync_api import Page, sync_playwright
from serving import Server, serving
from sites import post, write_site

from mathblog.math.engine import MathEngine

LONG_TEX = (
    r"f(x) = a_1 x_1 + a_2 x_2 + a_3 x_3 + a_4 x_4 + a_5 x_5 + a_6 x_6 + a_7 x_7"
    r" = \sum_{i=1}^{7} a_i x_i \le \left(\sum_i a_i^2\right)^{1/2} \|x\|, \; n \ge 1"
)
BODY = f"""\
Energy $E = mc^2$ is conserved, and $a<b \\& c$ holds.

$$\\int_0^1 f(x)\\,dx = F(1) - F(0)$$

A long one: ${LONG_TEX}$ and after it.

Plain prose, no math at all.

长公式 ${LONG_TEX}$。后文
"""
NOTHING = "(nothing copied yet)"
COPY_SECONDS = 60  # a deadline for a busy machine, not a measure of speed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = write_site(
        tmp_path_factory.mktemp("math-copy") / "site",
        {"m.md": post("Math", body=BODY)},
        'title = "T"\n',
    )
    with serving(root) as running:
        yield running


@contextmanager
def browser_page(server: Server, width: int) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_browser(), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": width, "height": 800})
            origin = f"http://127.0.0.1:{server.port}"
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(f"{origin}/posts/m/")
            page.wait_for_function("document.readyState === 'complete'")
            yield page
        finally:
            browser.close()


def copy(page: Page, select: str) -> str:
    """Select with the JavaScript `select` (a function body given `content`, the post's
    element, that returns a Range), press Ctrl+C, and return what is on the clipboard."""
    page.evaluate("text => navigator.clipboard.writeText(text)", NOTHING)
    page.evaluate(
        f"""() => {{
            const content = document.querySelector('.content');
            const range = (() => {{ {select} }})();
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }}"""
    )
    page.keyboard.press("Control+C")
    deadline = time.monotonic() + COPY_SECONDS
    while time.monotonic() < deadline:
        text = str(page.evaluate("navigator.clipboard.readText()"))
        if text != NOTHING:
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"nothing reached the clipboard in {COPY_SECONDS} s")


def test_copying_text_with_math_puts_the_tex_on_the_clipboard(server: Server) -> None:
    with browser_page(server, 1000) as page:
        paragraph_and_display = """
            const range = document.createRange();
            range.setStartBefore(content.querySelector('p'));
            range.setEndAfter(content.querySelector('.math-display'));
            return range;"""
        assert copy(page, paragraph_and_display) == (
            "Energy $E = mc^2$ is conserved, and $a<b \\& c$ holds.\n\n"
            "$$\\int_0^1 f(x)\\,dx = F(1) - F(0)$$"
        )
        # From inside one piece of the split formula to the text after it: the whole TeX, once.
        into_split_formula = """
            const piece = content.querySelectorAll('.math-split math')[2];
            const after = content.querySelector('.math-split').nextSibling;
            const range = document.createRange();
            range.setStart(piece.querySelector('mi').firstChild, 0);
            range.setEnd(after, 4);
            return range;"""
        assert copy(page, into_split_formula) == f"${LONG_TEX}$ and"
        # A split formula that keeps its full stop (inside its span): the stop is copied once.
        chinese_paragraph = """
            const range = document.createRange();
            range.selectNodeContents([...content.querySelectorAll('p')].pop());
            return range;"""
        assert copy(page, chinese_paragraph) == f"长公式 ${LONG_TEX}$。后文"
        # Inside a single formula: all of it.
        inside_formula = """
            const range = document.createRange();
            range.selectNodeContents(content.querySelector('p math msup'));
            return range;"""
        assert copy(page, inside_formula) == "$E = mc^2$"
        # No math selected: the browser copies as it always does.
        prose = """
            const range = document.createRange();
            range.selectNodeContents(content.querySelectorAll('p')[2]);
            return range;"""
        assert copy(page, prose) == "Plain prose, no math at all."


def test_the_annotation_draws_nothing(server: Server) -> None:
    with browser_page(server, 1000) as page:
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.content math')]
                .filter(math => math.querySelector('semantics'))
                .map(math => {
                    const bare = math.cloneNode(true);
                    const semantics = bare.querySelector('semantics');
                    semantics.replaceWith(...semantics.firstElementChild.childNodes);
                    math.after(bare);
                    const [a, b] = [math, bare].map(m => m.getBoundingClientRect());
                    const note = math.querySelector('annotation').getBoundingClientRect();
                    bare.remove();
                    return [a.width, a.height, b.width, b.height, note.width, note.height];
                })"""
        )
    # E = mc^2, a < b & c, the display formula, the first pieces of the two long ones
    assert len(sizes) == 5
    for width, height, bare_width, bare_height, note_width, note_height in sizes:
        assert (width, height) == (bare_width, bare_height)
        assert note_width == note_height == 0


def test_a_long_inline_formula_wraps_on_a_phone(server: Server) -> None:
    whole = MathEngine().render(LONG_TEX, display=False)
    with browser_page(server, 390) as page:
        layout = page.evaluate(
            """() => {
                const paragraph = document.querySelectorAll('.content p')[1];
                const formula = paragraph.querySelector('.math-split, math');
                const root = document.documentElement;
                // An inline box has one client rectangle per line it is on.
                return {lines: formula.getClientRects().length, scroll: root.scrollWidth,
                        width: root.clientWidth};
            }"""
        )
        assert layout["scroll"] <= layout["width"], layout
        assert layout["lines"] >= 3, layout
        # On one line, the pieces take exactly the room of the whole formula: the spacing
        # around each operator a piece ends or starts with is unchanged.
        widths = page.evaluate(
            """whole => {
                const split = document.querySelector('.content .math-split');
                split.parentElement.style.whiteSpace = 'nowrap';
                const box = document.createElement('span');
                box.innerHTML = whole;
                // the theme lets an inline formula wider than its line scroll in its own box
                box.firstElementChild.style.maxWidth = 'none';
                split.after(box);
                return [split.getBoundingClientRect().width, box.getBoundingClientRect().width,
                        split.getClientRects().length];
            }""",
            whole,
        )
    split_width, whole_width, lines = widths
    assert lines == 1
    assert split_width == pytest.approx(whole_width, abs=0.01)
