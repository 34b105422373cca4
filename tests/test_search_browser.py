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

from mathblog.search.tokens import tokens

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
    assert len(shards) == 1  # one term, one shard
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
        for term in expected:
            crc = page.evaluate("term => window.blogSearch.crc32(term)", term)
            assert crc == zlib.crc32(term.encode("utf-8")), term
