"""`site.pages.page_keys`: a page's key changes when, and only when, its template, output path,
data or the page fingerprint changes; a post counts by its fingerprint.

Pages are built as `PageJob`s by hand, and posts and keys are made by the two functions marked
below, so that a change of how a post's fingerprint reaches `page_keys` is made in one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from sites import model_post

from mathblog.model import Pager, Post, Series, SeriesPart, Tag, YearGroup, paginate
from mathblog.site.pages import KnownKeys, PageJob, page_keys, theme_page_keys

CODE = "code-1"  # stands for the page fingerprint: code, settings, templates


# (1 of 2) Where a post's fingerprint is set.
def make_post(n: int, fingerprint: str = "", **changes: Any) -> Post:
    """Post `n`, whose fingerprint is `fingerprint` (default: one of its own)."""
    # The test's stand-in for what a build keeps beside the post (read back by `keys`).
    return model_post(n, extra={FINGERPRINT: fingerprint or f"fp{n}"}, **changes)


FINGERPRINT = "test fingerprint"


def _posts_in(value: object) -> Iterator[Post]:
    if isinstance(value, Post):
        yield value
    elif isinstance(value, (Pager, Tag, YearGroup, Series)):
        yield from value.posts
    elif isinstance(value, SeriesPart):
        yield from value.series.posts
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _posts_in(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _posts_in(item)


# (2 of 2) Where `page_keys` is called.
def keys(pages: list[PageJob], page_fingerprint: str = CODE) -> list[str]:
    fingerprints = {
        post.source: post.extra[FINGERPRINT] for page in pages for post in _posts_in(page.context)
    }
    return page_keys(pages, page_fingerprint, fingerprints)


def post_page(post: Post, older: Post | None = None, newer: Post | None = None) -> PageJob:
    context = {"post": post, "older": older, "newer": newer}
    return PageJob("post.html", post.output_file, post.source, context)


def key(page: PageJob, page_fingerprint: str = CODE) -> str:
    return keys([page], page_fingerprint)[0]


def listing(posts: tuple[Post, ...], per_page: int = 2) -> list[PageJob]:
    return [
        PageJob("index.html", pager.output_file, "index", {"pager": pager})
        for pager in paginate(posts, per_page, "/")
    ]


POSTS = tuple(make_post(n) for n in range(5))


def test_the_same_data_gives_the_same_keys_from_fresh_objects() -> None:
    again = tuple(make_post(n) for n in range(5))
    assert keys(listing(POSTS)) == keys(listing(again))
    assert len(set(keys(listing(POSTS)))) == 3


def test_the_page_fingerprint_changes_every_key() -> None:
    before, after = keys(listing(POSTS)), keys(listing(POSTS), "code-2")
    assert all(old != new for old, new in zip(before, after, strict=True))


def test_a_post_changes_the_keys_of_exactly_the_pages_that_show_it() -> None:
    edited = tuple(make_post(n, "fp-edited" if n == 3 else "") for n in range(5))
    before, after = keys(listing(POSTS)), keys(listing(edited))
    # Pages of two: p0 p1 | p2 p3 | p4.
    assert [old == new for old, new in zip(before, after, strict=True)] == [True, False, True]


def test_a_post_counts_by_its_fingerprint_alone() -> None:
    """Whatever shaped a post changes its fingerprint; the key reads nothing else of it."""
    retitled = make_post(1, title="Another title")
    assert key(post_page(retitled)) == key(post_page(POSTS[1]))
    assert key(post_page(make_post(1, "fp-new"))) != key(post_page(POSTS[1]))


def test_a_neighbour_changes_a_post_page() -> None:
    page = post_page(POSTS[1], older=POSTS[0], newer=POSTS[2])
    assert key(page) != key(post_page(POSTS[1], older=POSTS[0], newer=None))
    assert key(page) != key(post_page(POSTS[1], older=POSTS[0], newer=make_post(2, "fp-x")))


def in_series(part: int, posts: tuple[Post, ...], name: str = "扩散模型") -> PageJob:
    """The page of part `part` (from 1) of the series of `posts`."""
    page = post_page(posts[part - 1])
    series = Series(name, name, f"/series/{name}/", posts)
    return dataclasses.replace(page, context={**page.context, "series": SeriesPart(series, part)})


def test_a_sibling_in_its_series_changes_a_post_page() -> None:
    parts = (POSTS[0], POSTS[2], POSTS[4])  # not neighbours of each other
    page = in_series(1, parts)
    assert key(page) == key(in_series(1, tuple(make_post(n) for n in (0, 2, 4))))
    assert key(page) != key(in_series(1, (POSTS[0], POSTS[2], make_post(4, "fp-retitled"))))
    assert key(page) != key(in_series(1, parts[:2]))  # a part removed
    assert key(page) != key(in_series(1, (*parts, POSTS[3])))  # a part added
    assert key(page) != key(in_series(1, parts, "扩散"))  # the series renamed
    # Part 2 is POSTS[2] either way; the parts before and after it swap.
    assert key(in_series(2, parts)) != key(in_series(2, parts[::-1]))
    assert key(page) != key(post_page(POSTS[0]))  # no longer in a series


def test_the_template_and_the_output_path_are_part_of_the_key() -> None:
    page = PageJob("tags.html", "tags/index.html", "tags", {"tags": ()})
    assert key(page) != key(dataclasses.replace(page, template="archive.html"))
    assert key(page) != key(dataclasses.replace(page, output="tags/x/index.html"))
    # What a page is made from, for error messages, shapes no byte of it.
    assert key(page) == key(dataclasses.replace(page, source="somewhere else"))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"a": "1"}, {"a": 1}),
        ({"a": 1}, {"a": True}),
        ({"a": None}, {"a": "None"}),
        ({"a": ("b", "c")}, {"a": ("b,c",)}),
        ({"a": ("b", ("c",))}, {"a": (("b",), "c")}),
        ({"a": "x"}, {"b": "x"}),
        ({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}),
        ({"a": datetime(2024, 1, 1, tzinfo=UTC)}, {"a": datetime(2024, 1, 2, tzinfo=UTC)}),
        ({"a": tuple(range(20))}, {"a": tuple(range(19))}),
        ({"a": "x\ny"}, {"a": "x", "y": None}),
    ],
)
def test_different_data_gives_different_keys(one: dict[str, Any], other: dict[str, Any]) -> None:
    assert key(PageJob("t.html", "out", "s", one)) != key(PageJob("t.html", "out", "s", other))


def test_the_order_of_a_mapping_does_not_matter() -> None:
    one = PageJob("t.html", "out", "s", {"a": 1, "b": 2})
    assert key(one) == key(PageJob("t.html", "out", "s", {"b": 2, "a": 1}))


def tag(posts: tuple[Post, ...]) -> Tag:
    return Tag("RoPE", "rope", "/tags/rope/", posts)


def tag_pages(shared: Tag) -> list[PageJob]:
    pagers: tuple[Pager, ...] = paginate(shared.posts, 2, "/", "tags", shared.slug)
    return [
        PageJob("tag.html", pager.output_file, "tag", {"tag": shared, "pager": pager})
        for pager in pagers
    ]


def test_a_shared_object_counts_as_its_data_not_as_itself() -> None:
    """A tag (or a long tuple) on many pages is digested once and stands in by its digest after
    that: the keys equal those of pages each given a copy of their own."""
    shared = tag(POSTS * 3)
    copies = [
        dataclasses.replace(page, context={**page.context, "tag": tag(POSTS * 3)})
        for page in tag_pages(shared)
    ]
    assert keys(tag_pages(shared)) == keys(copies)
    assert keys(tag_pages(shared)) == [key(page) for page in tag_pages(shared)]


def test_a_shared_object_changes_the_keys_of_every_page_it_is_on() -> None:
    before = keys(tag_pages(tag(POSTS * 3)))
    after = keys(tag_pages(tag((*POSTS * 3, make_post(9)))))
    assert len(before) == len(after) == 8
    assert all(old != new for old, new in zip(before, after, strict=True))


def test_a_key_does_not_depend_on_the_other_pages_planned_with_it() -> None:
    pages = [*listing(POSTS), *tag_pages(tag(POSTS)), post_page(POSTS[0])]
    alone = [key(page) for page in pages]
    assert keys(pages) == alone
    assert keys(pages[::-1]) == alone[::-1]


def test_a_post_without_a_fingerprint_is_refused() -> None:
    unknown = dataclasses.replace(POSTS[0], extra={FINGERPRINT: ""})
    with pytest.raises(ValueError, match=r"posts/p0\.md has no fingerprint"):
        key(post_page(unknown))


def test_data_of_a_kind_it_cannot_digest_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot digest set given to a template"):
        key(PageJob("t.html", "out", "s", {"a": {1, 2}}))


# --- keys known from the last plan (`blog serve`) ---------------------------------------------


def theme_site(posts: tuple[Post, ...]) -> list[PageJob]:
    """Theme pages: each post's page with its neighbours, the listing, a tag's pages, and a
    feed that shows the first three posts in full."""
    around = [
        post_page(post, posts[i + 1] if i + 1 < len(posts) else None, posts[i - 1] if i else None)
        for i, post in enumerate(posts)
    ]
    feed = PageJob("atom.xml", "atom.xml", "feed", {"posts": posts[:3], "tag": None})
    return [*around, *listing(posts), *tag_pages(tag(posts)), feed]


def fingerprints(posts: tuple[Post, ...]) -> dict[str, str]:
    return {post.source: post.extra[FINGERPRINT] for post in posts}


def cards(posts: tuple[Post, ...]) -> dict[str, str]:
    return {post.source: f"card {post.title}" for post in posts}


def reusing(
    posts: tuple[Post, ...], basis: str, known: KnownKeys | None
) -> tuple[list[str], KnownKeys]:
    """The keys `theme_page_keys` gives, checked against keying every page afresh."""
    pages = theme_site(posts)
    made, known, _ = theme_page_keys(pages, CODE, fingerprints(posts), cards(posts), basis, known)
    assert made == fresh_keys(pages, fingerprints(posts), cards(posts))
    return made, known


def fresh_keys(
    pages: list[PageJob], fingerprints: dict[str, str], cards: dict[str, str]
) -> list[str]:
    """Every page keyed afresh: nothing known from an earlier plan."""
    return theme_page_keys(pages, CODE, fingerprints, cards, "any basis", None)[0]


def test_known_keys_are_reused_only_where_they_still_hold() -> None:
    first, known = reusing(POSTS, "basis 1", None)
    assert set(known[1]) == {page.output for page in theme_site(POSTS)}

    # A body edit of the second post (a new fingerprint, the same card): its own page and the
    # feed that shows it in full are keyed again; every other key is the one known.
    edited = (*POSTS[:1], make_post(1, "fp1 edited"), *POSTS[2:])
    again, known = reusing(edited, "basis 1", known)
    outputs = [page.output for page in theme_site(edited)]
    changed = {out for out, a, b in zip(outputs, first, again, strict=True) if a != b}
    assert changed == {edited[1].output_file, "atom.xml"}

    # Edited back: the keys of the first plan again.
    assert reusing(POSTS, "basis 1", known)[0] == first

    # A card changed, so the basis: nothing known is used (each key is checked just the same).
    retitled = (*POSTS[:2], make_post(2, title="Another title"), *POSTS[3:])
    assert reusing(retitled, "basis 2", known)[0] != first


def test_a_known_key_is_not_reused_for_a_page_of_another_basis_or_shape() -> None:
    pages = [post_page(POSTS[0])]
    old_cards = cards(POSTS)
    _, known, _ = theme_page_keys(pages, CODE, fingerprints(POSTS), old_cards, "b", None)
    # The same fingerprints under another basis (a neighbour's card changed): keyed afresh.
    new_cards = {**old_cards, POSTS[1].source: "changed"}
    changed = [post_page(POSTS[0], newer=POSTS[1])]
    made, _, count = theme_page_keys(changed, CODE, fingerprints(POSTS), new_cards, "b2", known)
    assert count == 1
    assert made == fresh_keys(changed, fingerprints(POSTS), new_cards)
    # Something other than posts where the page shows posts in full: never reused.
    odd = [PageJob("post.html", POSTS[0].output_file, "s", {"post": "text", "older": None})]
    made, known, _ = theme_page_keys(odd, CODE, {}, {}, "b", None)
    assert known[1] == {}
