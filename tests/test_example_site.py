"""The example site of this repo, built as a new user would: the issue's "done when" list."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitecheck import broken_references, parse_page
from sites import REPO, copy_example_site, run_blog, tree_digest

# JSON-LD is data for search engines, not a script that runs.
JSON_LD = re.compile(r'<script type="application/ld\+json">[^<]*</script>')
# On a page with math: copying a formula puts its TeX on the clipboard. Drawing it needs no script.
COPY_SCRIPT = '<script src="/js/math-copy.js" data-live defer></script>'
# The theme's, on every page: the reader's saved light/dark choice, applied in <head>, and the
# switch; on a page with code, its copy button; with an emoji callout, the check of its icon.
# None of them draws math.
THEME_SCRIPTS = re.compile(
    r'<script id="theme-choice" data-live>[^<]*</script>'
    r'|<script src="/js/theme\.js" data-live defer></script>'
    r'|<script src="/js/code-copy\.js"[^>]*></script>'
    r'|<script src="/js/callout-icons\.js" data-live defer></script>'
    r'|<script src="/js/search-box\.js" data-live defer></script>'
)
MATH_DELIMITERS = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\$[^\s$][^$]*\$")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("example")
    copy_example_site(root)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "built" in result.stdout
    yield root / "public"


def text_outside_code(html: str) -> str:
    """Page text with code, pre, math, script and style elements removed."""
    html = re.sub(r"<(pre|code|math|script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def test_index_has_ten_complete_cards(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r"<article class=\"card[^\"]*\"[^>]*>.*?</article>", html, flags=re.S)
    assert len(cards) == 10
    for card in cards:
        assert re.search(r'<h2 class="card-title"><a href="/posts/[^"]+/">', card)
        assert re.search(r'<div class="excerpt">\s*<p>', card)
        assert re.search(r'<a class="tag" href="/tags/[^"]+/">#', card)
        assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00">', card)
    assert "LATEST UPDATES" in html
    assert "INCOMING TRANSMISSION" in html


def test_pager_links_page_two_and_no_empty_page(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="/page/2/"' in index
    second = (site / "page/2/index.html").read_text(encoding="utf-8")
    assert second.count('<article class="card">') >= 1
    assert 'rel="prev" href="/"' in second
    assert not (site / "page/3").exists()


def test_every_kind_of_page_exists(site: Path) -> None:
    for path in ("tags/index.html", "archive/index.html", "404.html", "atom.xml", "sitemap.xml"):
        assert (site / path).is_file(), path
    posts = list((site / "posts").glob("*/index.html"))
    assert len(posts) >= 12
    tags = list((site / "tags").glob("*/index.html"))
    assert len(tags) >= 5
    assert (site / "posts/扩散模型入门/index.html").is_file()
    about = (site / "about/index.html").read_text(encoding="utf-8")  # pages/about.md
    assert '<a href="/about/" aria-current="page">关于</a>' in about


def test_all_internal_links_resolve(site: Path) -> None:
    assert broken_references(site, "https://example.com/") == []


def test_drafts_are_left_out(site: Path) -> None:
    drafts = [p for p in (REPO / "posts").rglob("*.md") if "draft: true" in p.read_text("utf-8")]
    assert drafts, "the example site should show a draft being left out"
    for draft in drafts:
        title = re.search(r"^title:\s*['\"]?(.+?)['\"]?$", draft.read_text("utf-8"), re.M)
        assert title
        for page in site.rglob("*.html"):
            assert title.group(1) not in page.read_text(encoding="utf-8")


def is_redirect(html: str) -> bool:
    """An alias's page (`aliases:` in front matter) that sends the reader to the post."""
    return '<meta http-equiv="refresh"' in html


def test_math_is_rendered_at_build_time(site: Path) -> None:
    pages = [
        page
        for page in sorted((site / "posts").glob("*/index.html"))
        if not is_redirect(page.read_text(encoding="utf-8"))
    ]
    with_math = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        with_math += "<math" in html
        assert "<script" not in THEME_SCRIPTS.sub("", JSON_LD.sub("", html)).replace(
            COPY_SCRIPT, ""
        )
        assert 'class="math-error"' not in html, page
        for math in re.findall(r"<math\b.*?</math>", html, flags=re.S):
            assert "<em>" not in math and "<strong>" not in math
        leftover = MATH_DELIMITERS.findall(text_outside_code(html))
        # prose may mention prices ($5) or escaped dollars, never a formula left unrendered
        assert [d for d in leftover if not re.fullmatch(r"\$\d[^$]*\$", d)] == [], page
    assert with_math == len(pages)


def test_excerpts_with_formulas_show_mathml(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    excerpts = re.findall(r'<div class="excerpt">(.*?)</div>', html, flags=re.S)
    with_math = [e for e in excerpts if "<math" in e]
    assert len(with_math) >= 5
    for excerpt in excerpts:
        assert not MATH_DELIMITERS.search(text_outside_code(excerpt)), excerpt


def test_no_math_javascript_anywhere(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = THEME_SCRIPTS.sub("", JSON_LD.sub("", page.read_text(encoding="utf-8"))).lower()
        assert "katex" not in text and "mathjax" not in text
        if page == site / "search/index.html":  # the one page with a script: the search's own
            scripts = re.findall(r"<script\b[^>]*>", text)
            assert scripts == [
                '<script id="search-settings" type="application/json">',
                '<script src="/js/search.js" defer>',
            ]
        elif "<math" in text:
            assert re.findall(r"<script\b[^>]*>", text) == [COPY_SCRIPT.removesuffix("</script>")]
        else:
            assert "<script" not in text, page


def test_pages_parse_and_have_lang(site: Path) -> None:
    """Every page is in the site's zh-CN, but the posts written in English (`lang: en`)."""
    english = {
        path.stem
        for path in (REPO / "posts").rglob("*.md")
        if re.search(r"^lang: en$", path.read_text(encoding="utf-8"), flags=re.M)
    }
    assert len(english) >= 1
    english_pages = 0
    for page in site.rglob("*.html"):
        parsed = parse_page(page)
        assert parsed.tags[0][0] == "html"
        written = parsed.tags[0][1].get("lang")
        if written == "en":
            english_pages += 1
            assert page.parent.parent.name == "posts", page
        else:
            assert written == "zh-CN", page
    assert english_pages == len(english)


def test_the_pinned_post_comes_first_and_english_cards_say_so(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r"<article [^>]*>.*?</article>", html, flags=re.S)
    assert cards[0].startswith('<article class="card pinned">')
    assert "扩散模型入门" in cards[0] and "置顶" in cards[0]
    assert any(card.startswith('<article class="card" lang="en">') for card in cards)


def test_building_twice_gives_identical_bytes(site: Path, tmp_path: Path) -> None:
    root = site.parent
    first = tree_digest(site)
    result = run_blog("build", "--output", tmp_path / "again", cwd=root)
    assert result.returncode == 0, result.stderr
    assert tree_digest(tmp_path / "again") == first


def test_feed_and_sitemap_are_well_formed_xml(site: Path) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(site / "atom.xml").getroot()
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 16
    for entry in entries:
        for required in ("id", "title", "updated", "link", "content"):
            assert entry.find(f"{atom}{required}") is not None
    content = entries[0].find(f"{atom}content")
    assert content is not None and "<math" in (content.text or "")
    urls = ET.parse(site / "sitemap.xml").getroot()
    assert len(urls) > 16


def test_equation_references_link_to_numbered_equations(site: Path) -> None:
    page = (site / "posts/classifier-free-guidance/index.html").read_text(encoding="utf-8")
    assert '<a class="eqref" href="#eq-classifier-guidance">(1)</a>' in page
    assert '<a class="eqref" href="#eq-cfg-score">(2)</a>' in page
    assert 'id="eq-classifier-guidance"><mtext>(1)</mtext>' in page
    assert 'id="eq-cfg-score"><mtext>(2)</mtext>' in page
    assert "<mtext>(3)</mtext>" in page  # the next equation environment counts on


def test_callouts_are_rendered(site: Path) -> None:
    note = (site / "posts/attention-scaling/index.html").read_text(encoding="utf-8")
    assert '<div class="callout callout-note"><p class="callout-title">' in note
    assert "[!NOTE]" not in note
    tip = (site / "posts/softmax-numerics/index.html").read_text(encoding="utf-8")
    assert '<span class="callout-icon" aria-hidden="true">💡</span>' in tip


def test_chinese_prose_reads_right(site: Path) -> None:
    """CJK-friendly emphasis: no literal `**` anywhere in the example site's prose."""
    for page in site.rglob("*.html"):
        assert "**" not in text_outside_code(page.read_text(encoding="utf-8")), page


def test_the_two_part_series_and_the_old_url(site: Path) -> None:
    series = (site / "series/扩散模型采样/index.html").read_text(encoding="utf-8")
    parts = re.findall(r'<a href="(/posts/[^"]+/)">', series)
    assert parts == ["/posts/diffusion-sampling-ddpm/", "/posts/diffusion-sampling-ddim/"]
    second = (site / "posts/diffusion-sampling-ddim/index.html").read_text(encoding="utf-8")
    assert "」第 2 篇，共 2 篇</p>" in second
    assert '<a class="series-previous" href="/posts/diffusion-sampling-ddpm/">' in second
    # flashattention-tiling.md has had a `slug:` since; its old URL leads to the new one.
    old = (site / "posts/flashattention-tiling/index.html").read_text(encoding="utf-8")
    assert 'content="0; url=/posts/flashattention-online-softmax/"' in old
