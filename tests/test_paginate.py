"""`model.paginate`: how a listing is cut into pages, and each page's URL and output file."""

from __future__ import annotations

import pytest
from sites import model_post

from mathblog.model import Pager, Post, paginate


def make_post(n: int) -> Post:
    """A post with only what a listing needs."""
    return model_post(n, base_path="/notes/")


POSTS = tuple(make_post(n) for n in range(7))


def shape(pagers: tuple[Pager, ...]) -> list[tuple[int, list[str], str, str]]:
    return [
        (pager.number, [post.slug for post in pager.posts], pager.url, pager.output_file)
        for pager in pagers
    ]


def test_no_posts_is_one_empty_page() -> None:
    pagers = paginate((), 10, "/")
    assert shape(pagers) == [(1, [], "/", "index.html")]
    assert (pagers[0].total, pagers[0].prev_url, pagers[0].next_url) == (1, None, None)


def test_fewer_posts_than_a_page_is_one_page() -> None:
    assert shape(paginate(POSTS[:3], 10, "/notes/")) == [
        (1, ["p0", "p1", "p2"], "/notes/", "index.html")
    ]


def test_an_exact_multiple_has_no_empty_trailing_page() -> None:
    assert shape(paginate(POSTS[:6], 3, "/notes/")) == [
        (1, ["p0", "p1", "p2"], "/notes/", "index.html"),
        (2, ["p3", "p4", "p5"], "/notes/page/2/", "page/2/index.html"),
    ]


def test_one_over_starts_a_page_of_one() -> None:
    assert shape(paginate(POSTS, 3, "/notes/")) == [
        (1, ["p0", "p1", "p2"], "/notes/", "index.html"),
        (2, ["p3", "p4", "p5"], "/notes/page/2/", "page/2/index.html"),
        (3, ["p6"], "/notes/page/3/", "page/3/index.html"),
    ]


def test_the_order_given_is_kept() -> None:
    backwards = POSTS[::-1]
    assert [p.slug for pager in paginate(backwards, 2, "/") for p in pager.posts] == [
        p.slug for p in backwards
    ]


def test_a_tag_listing_is_paginated_under_its_own_path() -> None:
    pagers = paginate(POSTS[:5], 2, "/notes/", "tags", "扩散 模型")
    assert [(p.url, p.output_file) for p in pagers] == [
        ("/notes/tags/%E6%89%A9%E6%95%A3%20%E6%A8%A1%E5%9E%8B/", "tags/扩散 模型/index.html"),
        (
            "/notes/tags/%E6%89%A9%E6%95%A3%20%E6%A8%A1%E5%9E%8B/page/2/",
            "tags/扩散 模型/page/2/index.html",
        ),
        (
            "/notes/tags/%E6%89%A9%E6%95%A3%20%E6%A8%A1%E5%9E%8B/page/3/",
            "tags/扩散 模型/page/3/index.html",
        ),
    ]


@pytest.mark.parametrize(
    ("number", "previous", "following"),
    [(1, None, "/page/2/"), (2, "/", "/page/3/"), (3, "/page/2/", None)],
)
def test_each_page_links_its_neighbours(
    number: int, previous: str | None, following: str | None
) -> None:
    pager = paginate(POSTS, 3, "/")[number - 1]
    assert (pager.number, pager.total, pager.prev_url, pager.next_url) == (
        number,
        3,
        previous,
        following,
    )


def test_every_page_knows_every_url_and_file() -> None:
    pagers = paginate(POSTS, 2, "/")
    assert pagers[0].urls == ("/", "/page/2/", "/page/3/", "/page/4/")
    assert pagers[-1].files == (
        "index.html",
        "page/2/index.html",
        "page/3/index.html",
        "page/4/index.html",
    )
    # One tuple for the whole listing: a page key digests it once, not once per page.
    assert all(pager.urls is pagers[0].urls for pager in pagers)


def test_one_post_a_page() -> None:
    assert [len(p.posts) for p in paginate(POSTS, 1, "/")] == [1] * 7
