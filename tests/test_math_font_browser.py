"""The theme's math font, in a real Chromium that has no math font of its own.

Two real sites (zh-CN and en) are built with `blog build` and served over HTTP on 127.0.0.1;
headless Chromium opens them with every system math font hidden (see math_browser.py). The
formulas must then be drawn with the font the theme ships: a `\\left(…\\right)` paren as tall
as its fraction, a display `\\sum` larger than an inline one, `\\overline{abc}` over all three
letters, the bar of `\\bar{\\mathbf{x}}` clear of its bold letter, measured on the ink in a
screenshot. The same pages with the font's file refused by the browser fail the paren and sum
checks: that shows the system fonts really are hidden (else `local()` would find one) and that
the checks can fail. The overline passes there too, as it should: it is a border, which needs
no font. A page without math neither preloads nor fetches the font.

Without Chromium the tests are skipped, except under CI (`CI` set), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from math_browser import (
    Box,
    browser_with_fonts,
    ink_box,
    open_settled,
    static_server,
)
from playwright.sync_api import Page, Route
from sites import post, run_blog, write_site

FONT_FILE = "fonts/DejaVuMathTeXGyre.woff2"
FONT_FAMILY = "DejaVu Math TeX Gyre"

# The formulas, in this order on each page (numbered in the page by `number_formulas`).
INLINE_PAREN, INLINE_SUM, OVERLINE, DISPLAY_SUM, DISPLAY_PAREN, BOLD_BAR = range(6)
ZH_BODY = r"""
括号 $\left(\frac{a}{b}\right)$ 与求和 $\sum_{i=1}^{n} x_i$，上划线 $\overline{abc}$。

$$\sum_{i=1}^{n} x_i$$

$$\left(\frac{a}{b}\right) \quad \text{（损失）}$$

均值 $\bar{\mathbf{x}}$。
"""
EN_BODY = r"""
A paren $\left(\frac{a}{b}\right)$, a sum $\sum_{i=1}^{n} x_i$, a bar $\overline{abc}$.

$$\sum_{i=1}^{n} x_i$$

$$\left(\frac{a}{b}\right) \quad \text{(loss)}$$

The mean $\bar{\mathbf{x}}$.
"""


@dataclass(frozen=True)
class Site:
    base: str  # http://127.0.0.1:port
    language: str


def build_site(root: Path, language: str, body: str) -> Path:
    write_site(
        root,
        {
            "math.md": post("Math", date="2024-05-01", body=body),
            "plain.md": post("Plain", date="2024-05-02", body="No formula here."),
        },
        f'title = "T"\nlanguage = "{language}"\n',
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "public"


@pytest.fixture(scope="module", params=["zh-CN", "en"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    language = request.param
    body = ZH_BODY if language == "zh-CN" else EN_BODY
    public = build_site(tmp_path_factory.mktemp(language), language, body)
    with static_server(public) as base:
        yield Site(base, language)


@pytest.fixture
def page(browser_path: str, fonts_config: Path) -> Iterator[Page]:
    with browser_with_fonts(browser_path, fonts_config) as opened:
        yield opened


def number_formulas(page: Page) -> None:
    count = page.evaluate(
        """() => {
          const all = document.querySelectorAll('.content math');
          all.forEach((m, i) => m.setAttribute('data-formula', i));
          return all.length;
        }"""
    )
    assert count == 6, f"{page.url} has {count} formulas, not 6"


def ink(page: Page, formula: int, part: str, index: int = 0, *, border_only: bool = False) -> Box:
    return ink_box(page, f'math[data-formula="{formula}"] {part}', index, border_only=border_only)


# `\overline` is drawn as a top border of the row it covers (blog/mathml_fixes.py)
OVERLINED = 'mrow[style*="border-top"]'


@dataclass(frozen=True)
class Geometry:
    paren_to_fraction: list[float]  # ink heights: each paren over its fraction
    display_to_inline_sum: float  # ink height of the display sum over the inline one
    bar_to_base: float  # ink width of the overline over that of `abc`
    bar_above_base: bool
    accent_above_bold: bool  # `\bar{\mathbf{x}}`: the bar clear of the bold letter


def measure(page: Page) -> Geometry:
    number_formulas(page)
    ratios = []
    for formula in (INLINE_PAREN, DISPLAY_PAREN):
        fraction = ink(page, formula, "mfrac")
        ratios += [ink(page, formula, "mo", 0).height / fraction.height]  # (
        ratios += [ink(page, formula, "mo:not(mfrac mo)", -1).height / fraction.height]  # )
    inline_sum = ink(page, INLINE_SUM, "mo", 0)
    display_sum = ink(page, DISPLAY_SUM, "mo", 0)
    base = ink(page, OVERLINE, OVERLINED)
    bar = ink(page, OVERLINE, OVERLINED, border_only=True)
    bold = ink(page, BOLD_BAR, "mover > :first-child")
    accent = ink(page, BOLD_BAR, "mover > :last-child")
    return Geometry(
        paren_to_fraction=ratios,
        display_to_inline_sum=display_sum.height / inline_sum.height,
        bar_to_base=bar.width / base.width,
        bar_above_base=bar.top + bar.height <= base.top + 1,
        accent_above_bold=accent.top + accent.height <= bold.top + 1,
    )


def math_page(site: Site) -> str:
    return f"{site.base}/posts/math/"


def platform_fonts(page: Page, selector: str) -> list[dict[str, object]]:
    """The fonts Chromium really drew the text of the first `selector` element with."""
    session = page.context.new_cdp_session(page)
    try:
        root = session.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})
        session.send("CSS.enable")
        fonts: list[dict[str, object]] = session.send(
            "CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]}
        )["fonts"]
        return fonts
    finally:
        session.detach()


def test_formulas_are_drawn_with_the_shipped_math_font(page: Page, site: Site) -> None:
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    open_settled(page, math_page(site))
    assert page.evaluate("document.documentElement.lang") == site.language

    # TeX lets a delimiter fall short of what it encloses by up to 10% (\delimiterfactor 901).
    geometry = measure(page)
    assert min(geometry.paren_to_fraction) >= 0.9, geometry
    assert geometry.display_to_inline_sum >= 1.3, geometry
    assert geometry.bar_to_base >= 0.9, geometry
    assert geometry.bar_above_base, geometry
    assert geometry.accent_above_bold, geometry

    # Operators come from the shipped font, fetched as no local copy is left, not from a CJK
    # or text font (which has no MATH table).
    assert f"{site.base}/{FONT_FILE}" in fetched, fetched
    for selector in (".content math mo", ".content mfrac mi"):
        fonts = platform_fonts(page, selector)
        assert [(f["familyName"], f["isCustomFont"]) for f in fonts] == [(FONT_FAMILY, True)], (
            selector,
            fonts,
        )


def test_without_the_shipped_font_the_same_checks_fail(page: Page, site: Site) -> None:
    # The browser refuses the font file: with no system math font left, nothing stretches.
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.abort()

    page.route("**/*.woff2", refuse)
    open_settled(page, math_page(site))
    assert refused == [f"{site.base}/{FONT_FILE}"] * len(refused) and refused, refused
    fonts = platform_fonts(page, ".content math mo")
    assert FONT_FAMILY not in [f["familyName"] for f in fonts], fonts

    geometry = measure(page)
    assert max(geometry.paren_to_fraction) < 0.9, geometry
    assert geometry.display_to_inline_sum < 1.3, geometry
    # The overline needs no font: a border spans its content whatever draws the letters.
    assert geometry.bar_to_base >= 0.9 and geometry.bar_above_base, geometry


def test_a_page_without_math_neither_preloads_nor_fetches_the_font(page: Page, site: Site) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    for path in ("/posts/plain/", "/tags/", "/archive/", "/search/"):
        open_settled(page, site.base + path)
        assert page.locator('link[rel="preload"]').count() == 0, path
    assert not [url for url in fetched if "/fonts/" in url], fetched

    open_settled(page, math_page(site))
    preload = page.locator('link[rel="preload"]')
    assert preload.count() == 1
    assert preload.get_attribute("href") == f"/{FONT_FILE}"
    assert preload.get_attribute("as") == "font" and preload.get_attribute("crossorigin") == ""
