"""The one HTML attribute scanner: tags and attributes with their places, and the rewrites on
it that must change only the values they mean to."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathblog.util.html_refs import scan_page
from mathblog.util.html_scan import StartTag, start_tags
from mathblog.util.html_urls import resolver, rewrite_urls, without_attributes


def _upper(url: str) -> str:
    return url.upper()


# (input, expected after rewrite_urls with `_upper`)
REWRITES = [
    # The image's alt text holds `src=`: only the real src changes.
    ('<img alt="x src=y onerror=z" src="a.png">', '<img alt="x src=y onerror=z" src="A.PNG">'),
    ("<img alt='<a href=b>' src=c.png>", "<img alt='<a href=b>' src=\"C.PNG\">"),
    # Not attributes: in a comment, in text, in code, in a script.
    ('<!-- <a href="x"> --><a href="y">', '<!-- <a href="x"> --><a href="Y">'),
    ('<p>write href="x" to link</p>', '<p>write href="x" to link</p>'),
    ("<code>&lt;a href=&quot;x&quot;&gt;</code>", "<code>&lt;a href=&quot;x&quot;&gt;</code>"),
    (
        "<script>var s = \"<a href='x'>\";</script><a href=y>",
        '<script>var s = "<a href=\'x\'>";</script><a href="Y">',
    ),
    # `<!-->` is a whole (empty) comment, as a browser reads it: the link after it is live.
    ('<!--><a href="x"><!-- -->', '<!--><a href="X"><!-- -->'),
    # Quotes, entities, case, spacing and other attributes keep their bytes.
    ("<A HREF = 'p?a=1&amp;b=2' Title=\"t\">", '<A HREF = "P?A=1&amp;B=2" Title="t">'),
    ('<a title="a > b" href="x">', '<a title="a &gt; b" href="X">'.replace("&gt;", ">")),
    ('<img src="s"/>', '<img src="S"/>'),
    ('<a href="">', '<a href="">'),
    ("<input disabled src>", "<input disabled src>"),
    ("<a href='x\"y'>", '<a href="X&quot;Y">'),
]


@pytest.mark.parametrize(("html", "expected"), REWRITES)
def test_rewrite_changes_only_the_url_values(html: str, expected: str) -> None:
    assert rewrite_urls(html, _upper) == expected


def test_an_unchanged_value_keeps_its_bytes() -> None:
    html = "<a href=x class=y>t</a><img src='a.png' alt=\"q\">"
    assert rewrite_urls(html, lambda url: url) == html


def test_ids_are_taken_out_of_tags_only() -> None:
    html = '<h2 id="a">T</h2><img alt=\'see id="b"\' src=x id=c><p>id="d"</p><sup ID="e">'
    assert without_attributes(html, ("id",)) == (
        '<h2>T</h2><img alt=\'see id="b"\' src=x><p>id="d"</p><sup>'
    )


class _Reference(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


WELL_FORMED = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>a &amp; c</title>'
    '<link rel="stylesheet" href="/css/style.css"></head><body><main id="main">'
    '<h2 id="x-1">One <a class="heading-anchor" href="#x-1" aria-hidden="true">#</a></h2>'
    '<p>Text &amp; <code>&lt;b&gt;</code> <img src="a.png" alt="a &quot;b&quot;" /></p>'
    '<math display="block"><mi>x</mi><mo stretchy="false">(</mo></math>'
    "<input type=checkbox checked disabled><p data-x='1'>q</p></body></html>"
)


def test_the_text_of_a_title_or_textarea_holds_no_tags() -> None:
    html = "<title>a <b id=x> c</title><textarea><a href=y></textarea><i id=z>"
    tags = start_tags(html, ("id", "href"))
    assert [(tag.name, [(a.name, a.value) for a in tag.attributes]) for tag in tags] == [
        ("i", [("id", "z")])
    ]


def test_tags_and_values_agree_with_the_standard_parser_on_well_formed_html() -> None:
    reference = _Reference()
    reference.feed(WELL_FORMED)
    reference.close()
    scanned = [
        (tag.name, [(a.name, a.value) for a in tag.attributes]) for tag in start_tags(WELL_FORMED)
    ]
    assert scanned == reference.tags


def test_places_are_exact() -> None:
    html = "<p>x</p>\n<a  class=\"c\" HREF='u' hidden>"
    paragraph, tag = start_tags(html)
    assert (paragraph.name, paragraph.start, paragraph.end, paragraph.attributes) == ("p", 0, 3, ())
    assert html[tag.start : tag.end] == "<a  class=\"c\" HREF='u' hidden>"
    names = [(html[a.start : a.end], html[a.value_start : a.end]) for a in tag.attributes]
    assert names == [('class="c"', '"c"'), ("HREF='u'", "'u'"), ("hidden", "")]


def test_page_scan_finds_references_and_ids_where_their_tags_start() -> None:
    page = (
        '<a href="/x/">x</a>\n<!-- <a href="/gone/"> -->\n<img id="i" srcset="a.png 1x, b.png 2x">'
    )
    scan = scan_page(page)
    assert [(r.kind, r.url, r.offset) for r in scan.references] == [
        ("link", "/x/", 0),
        ("image", "a.png", 47),
        ("image", "b.png", 47),
    ]
    assert [(a.id, a.offset) for a in scan.ids] == [("i", 47)]


@pytest.mark.parametrize(
    "html", ["<a href='x", "<a href=x", "<!-- <a href=x>", "<![CDATA[ <a href=x>", "<" * 5000]
)
def test_unfinished_html_is_left_as_it_is(html: str) -> None:
    # An unclosed tag or comment is no tag; a CDATA section ends at its first `>`.
    assert rewrite_urls(html, _upper) == html


def _with(tags: list[StartTag], names: set[str]) -> list[tuple[int, list[str]]]:
    return [
        (tag.start, [a.name for a in tag.attributes])
        for tag in tags
        if any(a.name in names for a in tag.attributes)
    ]


_PIECES = st.sampled_from(
    [
        "<a", "<img", "<h2", "<script>", "</script>", "<!--", "-->", ">", "/>", " ", "\t", "/",
        '"', "'", "=", "id", "ID", "href", "src", "width", "hidden", "x", "data-id", "title=\"t\"",
        "<mspace", "é", "中",
    ]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_looking_for_some_attributes_finds_what_a_full_scan_finds(text: str) -> None:
    """`start_tags(text, names)` skips text that cannot hold one of `names`; what it keeps must
    be what reading every tag keeps (`title="x"href=y`, `<a/id=z>`, `<A ID>` included)."""
    for names in ({"id"}, {"href", "src"}):
        assert _with(start_tags(text, names), names) == _with(start_tags(text), names)


def test_an_attribute_right_after_a_quote_or_slash_is_found() -> None:
    html = '<a title="x"href="y"><img/src=z><p class=\'c\'ID=i>'
    assert [
        (t.name, [a.name for a in t.attributes]) for t in start_tags(html, ("href", "src", "id"))
    ] == [
        ("a", ["title", "href"]),
        ("img", ["src"]),
        ("p", ["class", "id"]),
    ]


PAGE_URLS = [
    "https://me.github.io/notes/posts/a/",
    "http://127.0.0.1:8000/posts/扩散/",
    "https://x.org/",
]
URL_PIECES = st.sampled_from(
    ["#", "/", "//", ".", "..", "./", "?", "=", ";", "%", ":", "[", "a", "é", " ", "\t", "\n"]
)


@settings(max_examples=300, deadline=None)  # no deadline: a busy machine is not a failure
@given(st.sampled_from(PAGE_URLS), st.lists(URL_PIECES, max_size=8).map("".join))
def test_the_quick_resolver_gives_what_urljoin_gives(page_url: str, url: str) -> None:
    try:
        expected = urljoin(page_url, url)
    except ValueError:  # `//[`: a URL urljoin cannot read is kept as it is
        expected = url
    assert resolver(page_url)(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        *("#fn-1", "#eq:loss", "/notes/posts/b/", "/a/../b", "/a/./b", "//cdn.x/y", "#", "/"),
        *("/#", "/a?", "/a?#", "/a?q#", "/a#b", "#a#", "#a?", "/a;", "/a;p", "#;"),
    ],
)
def test_the_quick_resolver_on_the_links_posts_have(url: str) -> None:
    for page_url in PAGE_URLS:
        assert resolver(page_url)(url) == urljoin(page_url, url)
