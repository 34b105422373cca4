"""The search page in a real browser, on the example site served by `blog serve`.

A copy of the repository's example site is served over HTTP on 127.0.0.1, at the root and under
`/notes/`; headless Chromium opens `/search/?q=…` and the test reads the results that search.js
put in the page.
"""

from __future__ import annotations

import re
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from browser import WAIT_MS, browser_page, find_browser
from playwright.sync_api import Error, Page, Request
from serving import Server, serving
from sites import REPO

from mathblog.search.tokens import completing, tokens

DIFFUSION = {
    "扩散模型入门",
    "score-matching",
    "classifier-free-guidance",
    "diffusion-sampling-ddpm",
    "diffusion-sampling-ddim",
}
SLUG = re.compile(r"^slug: (\S+)$", re.MULTILINE)


def posts_containing(text: str) -> set[str]:
    """The slugs of the example posts whose file contains `text`, as grep would find them."""
    found = set()
    for path in (REPO / "posts").rglob("*.md"):
        source = path.read_text(encoding="utf-8")
        if text in source:
            slug = SLUG.search(source)
            found.add(slug[1] if slug else path.stem)
    return found


def example_site(root: Path, base_url: str) -> Path:
    root.mkdir(parents=True)
    shutil.copytree(REPO / "posts", root / "posts")
    config = (REPO / "site.toml").read_text(encoding="utf-8")
    assert 'base_url = "/"' in config
    (root / "site.toml").write_text(
        config.replace('base_url = "/"', f'base_url = "{base_url}"'), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with browser_page(find_browser()) as opened:
        yield opened


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = example_site(tmp_path_factory.mktemp("search") / "site", "/")
    with serving(root) as running:
        yield running


@pytest.fixture(scope="module")
def notes_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = example_site(tmp_path_factory.mktemp("search-notes") / "site", "https://x.org/notes/")
    with serving(root) as running:
        assert running.base == "/notes/"
        yield running


def search(page: Page, server: Server, query: str) -> list[str]:
    """The slugs of the results for `query`, best first; the requests it made are checked."""
    requested: list[str] = []
    errors: list[str] = []

    def on_request(request: Request) -> None:
        requested.append(request.url)

    def on_error(error: Error) -> None:
        errors.append(str(error))

    page.on("request", on_request)
    page.on("pageerror", on_error)
    url = f"http://127.0.0.1:{server.port}{server.base}search/?q={quote(query)}"
    try:
        response = page.goto(url)
        assert response is not None and response.ok, url
        page.wait_for_function(
            "document.documentElement.dataset.search === 'done'", timeout=WAIT_MS
        )
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("pageerror", on_error)
    assert not errors, errors
    assert page.input_value("#search-query") == query
    hrefs = page.eval_on_selector_all(
        "#search-results li a", "links => links.map(link => link.getAttribute('href'))"
    )
    prefix = f"{server.base}posts/"
    assert all(href.startswith(prefix) for href in hrefs), hrefs
    # Each result opens its post with the query to highlight there.
    highlight = "highlight=" + quote(query.strip(), safe="-_.!~*'()")  # as encodeURIComponent
    assert all(urlsplit(href).query == highlight for href in hrefs), hrefs
    hrefs = [urlsplit(href).path for href in hrefs]
    for address in requested:
        parts = urlsplit(address)
        assert parts.netloc == f"127.0.0.1:{server.port}", f"a request left the site: {address}"
        assert not parts.path.startswith("/search") or server.base == "/", address
    return [unquote(href.removeprefix(prefix).rstrip("/")) for href in hrefs]


def test_chinese_word_finds_the_diffusion_posts(page: Page, server: Server) -> None:
    assert posts_containing("扩散") == DIFFUSION
    assert set(search(page, server, "扩散")) == DIFFUSION
    assert set(search(page, server, "扩散模型")) >= {"扩散模型入门"}
    assert search(page, server, "位置编码")[0] == "rope-derivation"


def test_english_is_case_insensitive(page: Page, server: Server) -> None:
    for query in ("RoPE", "rope", "ＲｏＰＥ"):
        found = search(page, server, query)
        assert found[0] == "rope-derivation", (query, found)
        assert "attention-scaling" in found


def test_formula_source_is_searchable(page: Page, server: Server) -> None:
    # The DDPM loss; `\\mathcal{N}` and `L` alone are in other posts.
    assert search(page, server, "\\mathcal{L}") == ["扩散模型入门"]
    assert posts_containing("\\mathcal{L}") == {"扩散模型入门"}
    assert set(search(page, server, "\\mathcal{N}")) == posts_containing("\\mathcal{N}")
    found = search(page, server, "softmax")
    assert {"softmax-numerics", "flashattention-online-softmax"} <= set(found)
    assert set(found[:2]) == {"softmax-numerics", "flashattention-online-softmax"}  # titles


def test_nothing_found_says_so(page: Page, server: Server) -> None:
    assert search(page, server, "zzqxj 扩散") == []
    assert page.inner_text("#search-status") == "没有找到。"


def test_only_the_needed_files_are_fetched(page: Page, server: Server) -> None:
    fetched: list[str] = []

    def on_request(request: Request) -> None:
        fetched.append(urlsplit(request.url).path)

    page.on("request", on_request)
    try:
        found = search(page, server, "RoPE")
    finally:
        page.remove_listener("request", on_request)
    index_files = [path for path in fetched if path.startswith("/search/") and path != "/search/"]
    shards = [path for path in index_files if path.startswith("/search/shards/")]
    prefixes = [path for path in index_files if path.startswith("/search/prefixes/")]
    assert (len(shards), len(prefixes)) == (0, 1)  # one term, typed last: one prefix shard
    docs = [path for path in index_files if path.startswith("/search/docs/")]
    assert len(docs) == len(found)


def test_typing_updates_results_and_the_address(page: Page, server: Server) -> None:
    search(page, server, "")
    assert page.eval_on_selector_all("#search-results li", "items => items.length") == 0
    page.fill("#search-query", "扩散")
    page.wait_for_function(
        f"document.querySelectorAll('#search-results li').length === {len(DIFFUSION)}",
        timeout=WAIT_MS,
    )
    assert urlsplit(page.url).query == "q=" + quote("扩散")


def test_a_site_under_a_sub_path(page: Page, notes_server: Server) -> None:
    assert set(search(page, notes_server, "扩散")) == DIFFUSION
    assert search(page, notes_server, "\\mathcal{L}") == ["扩散模型入门"]


AGREEMENT = [
    "softm",
    "\\math",
    "KL散度",
    "RoPE 推导",
    "rope ",
    "x-",
    "扩散模型 RoPE",
    "ＲｏＰＥ-2d café naïve",
    "使用PyTorch训练",
    "\\mathcal {L} + \\operatorname{softmax}(x)_i \\frac{a}{b}",
    "日本語のテキスト 한국어 𠀀𠀁 ㄅㄆ",
    "x_{t-1} αβγ Ω ﬁ ① ²",
    "扩",
    "",
]


def test_the_page_splits_queries_as_the_build_does(page: Page, server: Server) -> None:
    search(page, server, "")
    for text in AGREEMENT:
        expected = list(dict.fromkeys(tokens(text, query=True)))
        assert page.evaluate("text => window.blogSearch.terms(text)", text) == expected, text
        assert page.evaluate("text => window.blogSearch.completing(text)", text) == completing(
            text
        ), text
        for term in expected:
            crc = page.evaluate("term => window.blogSearch.crc32(term)", term)
            assert crc == zlib.crc32(term.encode("utf-8")), term


# --- As you type: completion, snippets, the header box, highlighting -----------------------------


def typed_results(page: Page, text: str) -> list[str]:
    """Types `text` into the search page's box key by key, as a reader does, and gives the slugs
    of every result once the list is up to date (all pages of it)."""
    page.fill("#search-query", "")
    page.wait_for_function("!document.querySelector('#search-results li')", timeout=WAIT_MS)
    page.keyboard.type(text)
    page.wait_for_function(
        """text => new URLSearchParams(location.search).get("q") === text
            && document.querySelector('#search-status').textContent !== ''""",
        arg=text,
        timeout=WAIT_MS,
    )
    page.wait_for_function(
        "document.querySelectorAll('#search-results li').length > 0"
        " || document.querySelector('#search-status').textContent === '没有找到。'",
        timeout=WAIT_MS,
    )
    while page.is_visible("#search-more"):
        count = page.eval_on_selector_all("#search-results li", "items => items.length")
        page.click("#search-more")
        page.wait_for_function(
            f"document.querySelectorAll('#search-results li').length > {count}", timeout=WAIT_MS
        )
    hrefs = page.eval_on_selector_all(
        "#search-results .search-result-title a", "links => links.map(l => l.pathname)"
    )
    return [unquote(href).removeprefix("/posts/").rstrip("/") for href in hrefs]


def test_words_and_tex_commands_are_found_as_they_are_typed(page: Page, server: Server) -> None:
    search(page, server, "")
    page.focus("#search-query")
    found = typed_results(page, "softm")
    assert {"softmax-numerics", "flashattention-online-softmax"} <= set(found), found
    assert set(found) == {slug for slug in posts_containing_word("softm")}
    marks = page.eval_on_selector_all("#search-results mark", "m => m.map(n => n.textContent)")
    assert "softmax" in {mark.lower() for mark in marks}, marks  # marked to the word's end
    found = typed_results(page, "flash")
    assert set(found) == posts_containing_word("flash") >= {"flashattention-online-softmax"}
    assert set(typed_results(page, "\\math")) == posts_containing("\\math")
    # A whole word typed ranks the posts that have it above those with a longer word only.
    assert typed_results(page, "rope")[0] == "rope-derivation"
    assert typed_results(page, "KL散度")[0] == "kl-divergence-notes"


def posts_containing_word(prefix: str) -> set[str]:
    """The example posts with a word (any case) that starts with `prefix`."""
    found = set()
    word = re.compile(rf"(?<![^\W_]){re.escape(prefix)}", re.IGNORECASE)
    for path in (REPO / "posts").rglob("*.md"):
        source = path.read_text(encoding="utf-8")
        if word.search(source):
            slug = SLUG.search(source)
            found.add(slug[1] if slug else path.stem)
    return found


SNIPPETS = {"扩散": "扩散", "RoPE": "rope", "\\mathcal{L}": "\\mathcal{l}"}


def test_each_result_shows_a_snippet_with_the_match_marked(page: Page, server: Server) -> None:
    for query, marked in SNIPPETS.items():
        found = search(page, server, query)
        assert found, query
        results = page.eval_on_selector_all(
            "#search-results li",
            """items => items.map(item => ({
                html: item.innerHTML,
                marks: Array.from(item.querySelectorAll("mark"), m => m.textContent),
                snippet: Array.from(item.querySelectorAll(".search-result-text mark")).length,
            }))""",
        )
        assert len(results) == len(found), query
        assert any(result["snippet"] for result in results), (query, results)
        for result in results:  # marked in the title or in a passage of the text
            assert result["marks"], (query, result)
            assert all(mark.lower() == marked for mark in result["marks"]), (query, result)
            # Formulas as their TeX, never MathML markup.
            assert "<math" not in result["html"] and "<mi" not in result["html"], result


def test_the_opened_post_scrolls_to_and_marks_the_match(page: Page, server: Server) -> None:
    search(page, server, "\\mathcal{L}")
    page.click("#search-results .search-result-title a")
    page.wait_for_function("document.documentElement.dataset.highlight", timeout=WAIT_MS)
    assert urlsplit(page.url).path == "/posts/" + quote("扩散模型入门") + "/"
    # The formula with \mathcal{L} in its TeX is marked, and scrolled into view.
    marked = page.eval_on_selector_all(
        "math.search-hit", "nodes => nodes.map(n => n.querySelector('annotation').textContent)"
    )
    assert marked and all("\\mathcal{L}" in tex for tex in marked), marked
    assert page.evaluate(
        """() => { const box = document.querySelector('.search-first').getBoundingClientRect();
            return box.top >= 0 && box.bottom <= innerHeight && scrollY > 0; }"""
    )
    search(page, server, "扩散")
    page.click("#search-results .search-result-title a")
    page.wait_for_function("document.documentElement.dataset.highlight", timeout=WAIT_MS)
    marks = page.eval_on_selector_all("mark.search-hit", "nodes => nodes.map(n => n.textContent)")
    assert marks and set(marks) == {"扩散"}, marks


def test_the_header_box_and_keyboard_from_a_post_under_a_sub_path(
    page: Page, notes_server: Server
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = f"http://127.0.0.1:{notes_server.port}/notes/"
    page.goto(base + "posts/rope-derivation/")
    page.keyboard.press("/")  # focuses the header's box
    assert page.evaluate("document.activeElement.matches('.site-search input')")
    page.keyboard.type("RoPE")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "search/?q=RoPE", timeout=WAIT_MS)
    page.wait_for_function("document.documentElement.dataset.search === 'done'", timeout=WAIT_MS)
    links = page.eval_on_selector_all(
        "#search-results .search-result-title a", "links => links.map(l => l.pathname)"
    )
    assert links[0] == "/notes/posts/rope-derivation/" and len(links) >= 2, links
    page.keyboard.press("/")  # on the search page: its own box
    assert page.evaluate("document.activeElement.id") == "search-query"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.pathname") == links[1]
    page.keyboard.press("Enter")
    opened = re.compile(re.escape(base + links[1].removeprefix("/notes/")))
    page.wait_for_url(opened, timeout=WAIT_MS)
    page.wait_for_function("document.documentElement.dataset.highlight", timeout=WAIT_MS)
    marks = page.eval_on_selector_all("mark.search-hit", "m => m.map(n => n.textContent)")
    assert marks and {mark.lower() for mark in marks} == {"rope"}, marks
    assert not errors, errors
