"""Our MathML as Chromium draws it: the corrections in `mathml_fixes` do what they are for.

Headless Chromium (the system's, driven by Playwright) lays out formulas rendered by the real
engine; the tests measure boxes. Without a browser the tests are skipped, except under CI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser import browser_page, find_browser
from playwright.sync_api import Page

from mathblog.markdown.parser import create_markdown, render_body
from mathblog.math.engine import MathEngine

ENGINE = MathEngine()


@pytest.fixture
def page() -> Iterator[Page]:
    with browser_page(find_browser()) as opened:
        yield opened


def show(page: Page, markdown: str) -> None:
    md = create_markdown(raw_html=True, base_path="/")
    body = render_body(md, markdown, engine=ENGINE).html
    page.set_content(f'<html><body style="font-size:20px">{body}</body></html>')


def test_a_sized_bracket_that_carries_a_script_is_as_tall_as_its_partner(page: Page) -> None:
    show(page, "$$\\bigg[ x \\bigg]^\\top \\Big( y \\Big)_i$$")
    heights = page.eval_on_selector_all(
        "mo", "mos => mos.map(mo => [mo.textContent, mo.getBoundingClientRect().height])"
    )
    size = dict(heights)
    assert size["]"] >= 0.9 * size["["], heights
    assert size[")"] >= 0.9 * size["("], heights
    assert size["]"] > 1.5 * 20 and size[")"] > 1.5 * 20, heights  # taller than the 20 px text


def test_overline_spans_its_content_whatever_its_width(page: Page) -> None:
    show(page, "$\\overline{\\epsilon} + \\overline{abcd}$")
    boxes = page.eval_on_selector_all(
        "math mrow[style*=border-top]",
        """rows => rows.map(row => {
            const line = row.getBoundingClientRect();
            const content = [...row.querySelectorAll('mi')].map(mi => mi.getBoundingClientRect());
            return {
                width: parseFloat(getComputedStyle(row).borderTopWidth),
                left: line.left, right: line.right, top: line.top,
                contentLeft: Math.min(...content.map(box => box.left)),
                contentRight: Math.max(...content.map(box => box.right)),
                contentTop: Math.min(...content.map(box => box.top)),
            };
        })""",
    )
    assert len(boxes) == 2, boxes
    for box in boxes:
        assert box["width"] > 0, box
        assert box["left"] <= box["contentLeft"] + 0.5, box
        assert box["right"] >= box["contentRight"] - 0.5, box
        assert box["top"] < box["contentTop"], box  # the line is above the letters
