"""Wide math on a phone: at 390 px nothing pushes a page sideways, wide things scroll inside
their own box with a visible cue, and punctuation stays on the line of its formula.

Real sites are built with `blog build`, served over HTTP on 127.0.0.1 and opened in headless
Chromium 390 px wide, with the system math fonts hidden (the theme's own font draws the math,
as on a stock phone). Every check is on layout the browser has already done: a width set by
the test is laid out before it is read, so nothing waits on time.

Without Chromium the tests are skipped, except under CI (`CI` set), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from math_browser import (
    browser_with_fonts,
    open_settled,
    png_rows,
    static_server,
)
from playwright.sync_api import Page, ViewportSize
from sites import REPO, copy_example_site, post, run_blog, write_site

PHONE: ViewportSize = {"width": 390, "height": 844}
CORPUS_NOTES = REPO / "tests/corpus/notes"

WIDE_FORMULA = " + ".join(f"a_{{{n}}} x^{{{n}}}" for n in range(30))
PHONE_BODY = f"""
宽公式：

$$f(x) = {WIDE_FORMULA}$$

一行里的公式 $x_t$，后面紧跟逗号；括号（$y$）也一样。

长公式 $L = a_1 + a_2 + a_3 + a_4 + a_5 + a_6 + a_7 + a_8 + a_9 + a_{10}$。分段也不丢句号。

| 列一 | 列二 | 列三 | 列四 | 列五 | 列六 | 列七 | 列八 | 列九 | 列十 | 十一 | 十二 | 十三 |
|------|------|------|------|------|------|------|------|------|------|------|------|------|
| 内容 | 内容 | 内容 | 内容 | 内容 | 内容 | 内容 | 内容 | 内容 | 内容 | 内容 | 内容 | 内容 |

<table><tr><td>raw_html_table_cell_that_is_far_too_wide_for_a_phone_screen_of_390_px</td></tr></table>

    an indented code block whose one line is far too long for a phone screen of 390 px wide

<pre>a bare pre block whose one line is far too long for a phone screen of 390 pixels wide</pre>
"""


@pytest.fixture
def phone(browser_path: str, fonts_config: Path) -> Iterator[Page]:
    with browser_with_fonts(browser_path, fonts_config) as page:
        page.set_viewport_size(PHONE)
        yield page


def built(root: Path) -> Path:
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "public"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    copy_example_site(root)
    return built(root)


def without_front_matter(text: str) -> str:
    if text.startswith("---\n") and (end := text.find("\n---", 4)) != -1:
        return text[end + 4 :].lstrip("\n")
    return text


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every note of the corpus as a post of one zh-CN site, under front matter of our own."""
    notes = sorted(CORPUS_NOTES.rglob("*.md"))
    assert len(notes) >= 10
    posts = {
        f"note{n:03d}.md": post(
            f"Note {n}", date=f"2024-01-{n % 28 + 1:02d}", body=without_front_matter(text)
        )
        for n, text in enumerate(path.read_text(encoding="utf-8") for path in notes)
    }
    root = tmp_path_factory.mktemp("corpus")
    write_site(root, {}, 'title = "Corpus"\nlanguage = "zh-CN"\n')
    for name, text in posts.items():  # as written: write_site would dedent the notes
        (root / "posts" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "posts" / name).write_text(text, encoding="utf-8")
    return built(root)


@pytest.fixture(scope="module")
def phone_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("phone")
    write_site(root, {"wide.md": post("Wide", body="")}, 'title = "T"\nlanguage = "zh-CN"\n')
    (root / "posts/wide.md").write_text(post("Wide", body=PHONE_BODY), encoding="utf-8")
    return built(root)


def page_urls(public: Path) -> list[str]:
    return sorted("/" + p.relative_to(public).as_posix() for p in public.rglob("*.html"))


SIDEWAYS = """() => {
  const page = document.documentElement;
  if (page.scrollWidth <= page.clientWidth) return null;
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > page.clientWidth + 0.5)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
  return `${page.scrollWidth} > ${page.clientWidth}: ${wide.slice(0, 8).join(' ')}`;
}"""


def sideways_pages(page: Page, public: Path) -> list[str]:
    found = []
    with static_server(public) as base:
        for path in page_urls(public):
            open_settled(page, base + path)
            problem = page.evaluate(SIDEWAYS)
            if problem is not None:
                found.append(f"{path}: {problem}")
    return found


def test_no_page_of_the_example_site_scrolls_sideways(phone: Page, example_site: Path) -> None:
    assert sideways_pages(phone, example_site) == []


def test_no_page_of_the_corpus_scrolls_sideways(phone: Page, corpus_site: Path) -> None:
    assert sideways_pages(phone, corpus_site) == []


def edge_shades(page: Page, selector: str) -> tuple[int, int, int]:
    """The brightness of the box's left edge, its middle and its right edge, with its content
    made transparent: what is left is the box's own background, shadows included."""
    page.add_style_tag(content=f"{selector} * {{ color: transparent !important; }}")
    box = page.locator(selector).first
    shot = box.screenshot(animations="disabled")
    width, height, rows, channels = png_rows(shot)
    middle = rows[height // 2]

    def brightness(x: int) -> int:
        return sum(middle[x * channels : x * channels + 3])

    return brightness(2), brightness(width // 2), brightness(width - 3)


def test_a_too_wide_display_formula_scrolls_in_its_box_with_a_cue(
    phone: Page, phone_site: Path
) -> None:
    with static_server(phone_site) as base:
        open_settled(phone, f"{base}/posts/wide/")
        sizes = phone.evaluate(
            """() => { const box = document.querySelector('.math-display');
                       return [box.scrollWidth, box.clientWidth,
                               document.documentElement.scrollWidth, innerWidth]; }"""
        )
        box_width, box_visible, page_width, viewport = sizes
        assert box_width > box_visible + 100 and page_width <= viewport, sizes

        # At the start: a shadow at the right edge only, where the formula is cut.
        left, middle, right = edge_shades(phone, ".math-display")
        assert left == middle and right < middle - 30, (left, middle, right)
        # Scrolled to the end: the formula is cut at the left edge only.
        scrolled = phone.evaluate(
            """() => { const box = document.querySelector('.math-display');
                       box.scrollLeft = box.scrollWidth; return box.scrollLeft; }"""
        )
        assert scrolled >= box_width - box_visible - 1
        left, middle, right = edge_shades(phone, ".math-display")
        assert right == middle and left < middle - 30, (left, middle, right)


def test_tables_and_bare_pre_blocks_scroll_inside_themselves(phone: Page, phone_site: Path) -> None:
    with static_server(phone_site) as base:
        open_settled(phone, f"{base}/posts/wide/")
        boxes = phone.evaluate(
            """() => [
              document.querySelector('.table-wrap'),
              document.querySelector('.content > table'),
              // each with its copy bar around it (js/code-copy.js)
              ...document.querySelectorAll('.content > .code-frame > pre'),
            ].map(e => [e.tagName, e.scrollWidth, e.clientWidth,
                        e.getBoundingClientRect().right, getComputedStyle(e).overflowX])"""
        )
        assert len(boxes) == 4, boxes
        for _, width, visible, right, overflow in boxes:
            assert width > visible and right <= PHONE["width"] and overflow == "auto", boxes
        assert phone.evaluate(SIDEWAYS) is None


# For each paragraph width from 60 px to 300 px: does the character next to the paragraph's
# `index`-th formula sit on another line than the formula? `side`: the character "after" it
# or "before" it.
APART = """([marker, index, side]) => {
  const p = [...document.querySelectorAll('.content p')].find(p => p.textContent.includes(marker));
  const all = p.querySelectorAll('math');
  const math = all[index < 0 ? all.length + index : index];
  const box = math.parentElement.closest('.math-split') || math;  // a split formula's last piece
  const text = side === 'after' ? math.nextSibling || box.nextSibling
                               : math.previousSibling || box.previousSibling;
  const at = side === 'after' ? 0 : text.length - 1;
  const widths = [];
  for (let width = 60; width <= 300; width++) {
    p.style.width = width + 'px';
    const range = document.createRange();
    range.setStart(text, at);
    range.setEnd(text, at + 1);
    const mark = range.getClientRects()[0];
    const formula = math.getBoundingClientRect();
    if (mark.bottom <= formula.top || mark.top >= formula.bottom) widths.push(width);
  }
  p.style.width = '';
  return [text.data[at], widths];
}"""


def test_punctuation_stays_on_the_line_of_its_formula(phone: Page, phone_site: Path) -> None:
    with static_server(phone_site) as base:
        open_settled(phone, f"{base}/posts/wide/")
        marker = "后面紧跟逗号"
        # "$x_t$，": the comma never starts a line; "（$y$）": nor does the closing paren, and
        # the opening one never ends a line.
        assert phone.evaluate(APART, [marker, 0, "after"]) == ["，", []]
        assert phone.evaluate(APART, [marker, 1, "before"]) == ["（", []]
        assert phone.evaluate(APART, [marker, 1, "after"]) == ["）", []]
        # the last piece of a long formula split for line breaks keeps its full stop too
        assert phone.evaluate("document.querySelectorAll('.math-split').length") >= 1
        assert phone.evaluate(APART, ["分段也不丢", -1, "after"]) == ["。", []]


def test_two_formulas_side_by_side_may_break_between_them(phone: Page, phone_site: Path) -> None:
    # Another part of the build splits a long inline formula into several <math> at its
    # relations; the theme must let a line break between them.
    with static_server(phone_site) as base:
        open_settled(phone, f"{base}/posts/wide/")
        widths = phone.evaluate(
            """() => {
              const p = document.createElement('p');
              p.innerHTML = '文字<math><mi>a</mi><mo>=</mo></math><math><mi>b</mi><mo>+</mo>' +
                            '<mi>c</mi></math>';
              document.querySelector('.content').append(p);
              const [first, second] = p.querySelectorAll('math');
              const apart = [];
              for (let width = 20; width <= 200; width++) {
                p.style.width = width + 'px';
                if (second.getBoundingClientRect().top >= first.getBoundingClientRect().bottom)
                  apart.push(width);
              }
              return apart;
            }"""
        )
        assert widths, "two adjacent inline formulas never break apart"
