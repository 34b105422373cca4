"""Search terms, the index files a build writes, and the search page's inline settings."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from search_lookup import lookup, postings
from sites import post, tree_digest, write_site

from mathblog.build import BuildOptions, build
from mathblog.search.index import Postings, prefix_shard_of, shard_count, shard_of
from mathblog.search.text import plain_text
from mathblog.search.tokens import (
    all_terms,
    completes,
    completing,
    decode_terms,
    encode_terms,
    tokens,
    weighted_terms,
)
from mathblog.util.script_json import script_json

# --- Terms -------------------------------------------------------------------------------------


def test_chinese_runs_give_characters_and_pairs() -> None:
    assert list(tokens("位置编码")) == ["位", "置", "编", "码", "位置", "置编", "编码"]
    assert list(tokens("扩散模型，去噪")) == [
        *["扩", "散", "模", "型", "扩散", "散模", "模型"],
        *["去", "噪", "去噪"],
    ]


def test_a_chinese_query_looks_up_pairs_or_one_character() -> None:
    assert list(tokens("扩散模型", query=True)) == ["扩散", "散模", "模型"]
    assert list(tokens("扩", query=True)) == ["扩"]
    assert list(tokens("RoPE 编码", query=True)) == ["rope", "编码"]


def test_latin_words_are_lowercased_and_normalized() -> None:
    assert list(tokens("RoPE-2d, ＲｏＰＥ and rope_scaling café")) == [
        *["rope", "2d", "rope", "and", "rope", "scaling", "café"],
    ]


def test_chinese_and_latin_split_where_they_meet() -> None:
    assert list(tokens("使用PyTorch训练")) == [
        *["使", "用", "使用", "pytorch", "训", "练", "训练"],
    ]


def test_tex_commands_and_their_short_arguments() -> None:
    assert list(tokens(r"\mathcal{L}(\theta) = \operatorname{softmax}(x)_i")) == [
        *["\\mathcal", "l", "\\mathcal{l}", "\\theta"],
        *["\\operatorname", "softmax", "\\operatorname{softmax}", "x", "i"],
    ]
    assert list(tokens(r"\mathcal {L}", query=True)) == ["\\mathcal", "l", "\\mathcal{l}"]
    # A long or compound argument is not a term of its own; its words still are.
    assert list(tokens(r"\frac{e^{x}}{2}")) == ["\\frac", "e", "x", "2"]


def test_weights_favour_the_title_then_tags() -> None:
    terms = weighted_terms("RoPE 推导", ["RoPE", "位置编码"], "rope rope 推导")
    assert terms["rope"] == 10 + 5 + 2
    assert terms["推导"] == 10 + 1
    assert terms["编码"] == 5


def test_encoded_terms_round_trip() -> None:
    terms = weighted_terms("T", [], r"a \mathcal{L} 扩散 a")
    assert dict(decode_terms(encode_terms(terms))) == terms
    assert list(decode_terms("")) == []


@given(st.text())
def test_terms_have_no_spaces_and_are_normalized(text: str) -> None:
    for term in tokens(text):
        assert term and " " not in term
        assert term == term.lower()


# --- The index files ---------------------------------------------------------------------------

POSTS = {
    "rope.md": post(
        "'RoPE 旋转位置编码'",
        date="2024-03-01",
        tags="[Transformer]",
        body="RoPE 让内积只依赖相对位置 $m - n$。\n\n$$\\mathcal{L} = \\sum_i x_i$$\n",
    ),
    "diffusion.md": post(
        "扩散模型入门",
        date="2024-01-01",
        body="扩散模型逐步加噪。The loss is $\\mathcal{N}(0, I)$ and softmax.\n",
    ),
    "evil.md": post(
        "'</script><script>alert(1)</script> \u2028 x'",
        date="2024-02-01",
        body="Line\u2028separator and `</script>` in code.\n",
    ),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_site(tmp_path_factory.mktemp("search") / "site", POSTS, 'language = "zh-CN"\n')
    build(root, BuildOptions(jobs=1))
    return root / "public"


def test_queries_find_the_right_posts(site: Path) -> None:
    assert lookup(site, "扩散") == ["/posts/diffusion/"]
    assert lookup(site, "位置编码") == ["/posts/rope/"]
    assert lookup(site, "rope") == ["/posts/rope/"]
    assert lookup(site, "\\mathcal{L}") == ["/posts/rope/"]
    assert lookup(site, "\\mathcal") == ["/posts/diffusion/", "/posts/rope/"]
    assert lookup(site, "SOFTMAX") == ["/posts/diffusion/"]
    assert lookup(site, "扩散 rope") == []


def test_documents_are_numbered_oldest_first_with_what_a_result_shows(site: Path) -> None:
    docs = [json.loads((site / f"search/docs/{n}.json").read_bytes()) for n in range(3)]
    assert [doc["url"] for doc in docs] == ["/posts/diffusion/", "/posts/evil/", "/posts/rope/"]
    assert docs[2] == {
        "url": "/posts/rope/",
        "title": "RoPE 旋转位置编码",
        "date": "2024-03-01",
        "tags": ["Transformer"],
        "text": "RoPE 让内积只依赖相对位置 m - n。",
        # A snippet's text: each formula as its TeX, never its MathML.
        "body": "RoPE 让内积只依赖相对位置 $m - n$。 $$\\mathcal{L} = \\sum_i x_i$$",
    }
    assert not (site / "search/docs/3.json").exists()


def test_postings_carry_the_weights(site: Path) -> None:
    assert postings(site, "rope") == {2: 10 + 1}  # the title and the body
    assert postings(site, "transformer") == {2: 5}  # a tag


def test_every_index_file_is_valid_json_in_the_right_shard(site: Path) -> None:
    shards = sorted((site / "search/shards").iterdir(), key=lambda p: int(p.stem))
    assert len(shards) == shard_count([]) == 4
    for number, path in enumerate(shards):
        assert path.name == f"{number}.json"
        data = json.loads(path.read_bytes().decode("utf-8"))
        for term, flat in data.items():
            assert zlib.crc32(term.encode()) % len(shards) == number == shard_of(term, 4)
            assert len(flat) % 2 == 0 and all(isinstance(n, int) and n >= 0 for n in flat)
    evil = json.loads((site / "search/docs/1.json").read_bytes())
    assert evil["title"].startswith("</script><script>alert(1)</script>")
    assert evil["text"].startswith("Line separator and </script>")  # U+2028 is a space


def test_the_search_page_settings_cannot_break_out_of_their_script(site: Path) -> None:
    page = (site / "search/index.html").read_text(encoding="utf-8")
    found = re.search(r'<script id="search-settings" type="application/json">(.*?)</script>', page)
    assert found, page
    settings = json.loads(found[1])
    assert settings["index"] == "/search/"
    assert settings["shards"] == 4 and settings["documents"] == 3
    assert settings["none"] == "没有找到。"
    assert '<script src="/js/search.js" defer></script>' in page


def test_script_json_escapes_what_would_end_or_change_a_script() -> None:
    value = {"x": "</script><!-- \u2028\u2029 & 'ok' \\ \"q\""}
    text = str(script_json(value))
    for unsafe in ("<", ">", "&", "\u2028", "\u2029"):
        assert unsafe not in text
    assert json.loads(text) == value


def test_other_pages_do_not_load_the_search(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if page.relative_to(site).as_posix() == "search/index.html":
            continue
        assert "search.js" not in text and "search/shards" not in text, page


def test_the_nav_links_to_the_search_page(site: Path) -> None:
    assert '<a href="/search/">搜索</a>' in (site / "index.html").read_text(encoding="utf-8")


def test_shards_grow_with_the_site() -> None:
    assert shard_count(["x" * 10]) == 4
    assert shard_count(["x" * 24_000] * 1000) == 1024
    assert shard_count(["x" * 10**9]) == 4096


WORDS = ["扩散", "模型", "rope", "\\mathcal", "softmax", "x", "注意", "力", "2024", "loss"]
documents = st.lists(
    st.dictionaries(st.sampled_from(WORDS), st.integers(1, 12), max_size=6), max_size=8
)


@given(before=documents, after=documents, shards=st.sampled_from([1, 4, 8]))
def test_postings_updated_by_the_changes_equal_postings_made_afresh(
    before: list[dict[str, int]], after: list[dict[str, int]], shards: int
) -> None:
    """`blog serve` updates its postings post by post; the files must be a clean build's."""
    postings = Postings(shards, [encode_terms(terms) for terms in before])
    postings.update([encode_terms(terms) for terms in after])
    assert postings.files == Postings(shards, [encode_terms(terms) for terms in after]).files


@given(st.text(alphabet="ab_Z9 \\{}扩散・ー가あア\u3000１Ｒé中x.-", max_size=80))
def test_indexing_finds_the_terms_a_query_is_split_into(text: str) -> None:
    """`all_terms` (fast, for whole posts) yields exactly `tokens` (which search.js mirrors)."""
    assert all_terms(text) == list(tokens(text))


# --- Completion, ranking, what is never indexed -----------------------------------------------


def test_the_word_being_typed_is_the_last_one_touching_the_end() -> None:
    assert completing("softm") == "softm"
    assert completing("RoPE 推") is None and completing("rope ") is None
    assert completing("\\math") == "\\math"
    assert completing("\\mathcal{L}") is None  # a command with its argument is complete
    assert completing("KL散度") is None and completing("扩散 Rope") == "rope"
    assert [completes(t) for t in ("softmax", "\\mathbb", "\\mathcal{l}", "扩散", "2d")] == [
        *[True, True, False, False, True]
    ]


def test_weights_favour_headings_over_the_body() -> None:
    terms = weighted_terms("T", [], "Gradient\nthe gradient", ["Gradient"])
    assert terms["gradient"] == 3 + 2


def test_plain_text_keeps_formulas_as_tex_and_drops_markup() -> None:
    body = (
        '<h2 id="a">Loss <a class="heading-anchor" href="#a">#</a></h2>'
        '<p>Minimize <math><semantics><mi>L</mi><annotation encoding="application/x-tex">'
        "\\mathcal{L} &lt; 1</annotation></semantics></math>, then <code>x&amp;y</code>.</p>"
        '<math display="block"><mi>x</mi></math><p>end</p>'
    )
    assert plain_text(body) == "Loss Minimize $\\mathcal{L} < 1$, then x&y. end"


RANKED = {
    "heading.md": post("One", date="2024-01-01", body="## Gradient\n\nsoftmax \\mathbb{R}\n"),
    "body.md": post("Two", date="2024-01-02", body="gradient softmaxes 位置编码\n"),
    "draft.md": post("Draft", date="2024-01-03", draft="true", body="zqdraftword\n"),
    "future.md": post("Future", date="2099-01-01", body="zqfutureword\n"),
}


@pytest.fixture(scope="module")
def ranked_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_site(tmp_path_factory.mktemp("ranked") / "site", RANKED)
    build(root, BuildOptions(jobs=1))
    return root / "public"


def test_drafts_and_future_posts_are_never_indexed(ranked_site: Path) -> None:
    index = [p for p in (ranked_site / "search").rglob("*.json")]
    assert len(list((ranked_site / "search/docs").iterdir())) == 2
    for path in index:
        text = path.read_text(encoding="utf-8")
        assert "zqdraftword" not in text and "zqfutureword" not in text, path
        assert "Draft" not in text and "Future" not in text, path


def test_a_heading_counts_more_than_the_body(ranked_site: Path) -> None:
    assert postings(ranked_site, "gradient") == {0: 1 + 3, 1: 1}


def test_prefix_shards_hold_the_lists_of_the_terms_that_complete(ranked_site: Path) -> None:
    prefix_files = sorted((ranked_site / "search/prefixes").iterdir(), key=lambda p: int(p.stem))
    assert len(prefix_files) == 4
    completed: dict[str, list[int]] = {}
    for number, path in enumerate(prefix_files):
        for term, flat in json.loads(path.read_bytes()).items():
            assert completes(term) and prefix_shard_of(term, 4) == number, term
            completed[term] = flat
    # `softm` finds both words in the one file of `sof`; the same lists as the term shards.
    shard = prefix_files[prefix_shard_of("softm", 4)]
    assert {"softmax", "softmaxes"} <= json.loads(shard.read_bytes()).keys()
    for term in ("softmax", "softmaxes", "gradient", "\\mathbb"):
        assert postings(ranked_site, term), term
        flat = completed[term]
        assert len(flat) == 2 * len(postings(ranked_site, term))
    assert not {"位置", "\\mathbb{r}"} & completed.keys()


def test_document_files_made_by_a_worker_are_those_of_a_serial_build(tmp_path: Path) -> None:
    """With workers, a build makes the shards and the changed posts' document files (their
    text is cut from the HTML) in a forked worker while the pages render."""
    posts = {f"n{n}.md": post(f"Note {n}", body=f"word{n} $\\alpha_{n}$\n") for n in range(6)}
    serial, parallel = write_site(tmp_path / "one", posts), write_site(tmp_path / "two", posts)
    build(serial, BuildOptions(jobs=1))
    build(parallel, BuildOptions(jobs=2))
    for root in (serial, parallel):
        path = root / "posts/n3.md"
        path.write_text(path.read_text(encoding="utf-8").replace("word3", "edited3"), "utf-8")
    build(serial, BuildOptions(jobs=1))
    build(parallel, BuildOptions(jobs=2))
    assert tree_digest(serial / "public") == tree_digest(parallel / "public")
    docs = [json.loads(p.read_bytes()) for p in (parallel / "public/search/docs").iterdir()]
    bodies = {doc["body"] for doc in docs}
    assert "edited3 $\\alpha_3$" in bodies and "word3 $\\alpha_3$" not in bodies, bodies


def _index_version(root: Path, *, kept_digests: bool = True) -> str:
    from mathblog.config import load_config
    from mathblog.search.index import SearchIndex
    from mathblog.site.loading import load_posts

    loaded = load_posts(load_config(root), drafts=False)
    digests = loaded.search_digests if kept_digests else None
    return SearchIndex(
        loaded.posts, loaded.search_terms, loaded.fingerprints, None, digests
    ).version


def test_the_index_version_follows_what_the_index_holds_and_nothing_else(tmp_path: Path) -> None:
    """The search page names the index's version in its URLs: a browser never mixes files of
    two builds. It is made from each post's digest kept in the post cache, or made afresh:
    the same either way, the same for the site in another folder, new for a new title."""
    posts = {f"p{n}.md": post(f"Post {n}", date=f"2024-0{n}-01", body=f"扩散 {n}") for n in (1, 2)}
    root = write_site(tmp_path / "site", posts, 'title = "T"\n')
    version = _index_version(root)
    assert _index_version(root, kept_digests=False) == version
    assert _index_version(root) == version  # the second time from the post cache
    elsewhere = write_site(tmp_path / "elsewhere", posts, 'title = "T"\n')
    assert _index_version(elsewhere) == version
    (root / "posts/p1.md").write_text(post("Renamed", date="2024-01-01", body="扩散 1"), "utf-8")
    assert _index_version(root) != version
