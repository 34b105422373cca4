"""Which pages the site has, what each is made from, and which must be rendered again.

Every page is planned as a `PageJob`: a template, an output path and the data it is given. Its key
digests the page fingerprint (code, every setting, every template) and that data, where a post
counts by its fingerprint (given beside the posts), which changes with anything that shaped it. A
page whose key and output file match the previous build's is carried over without rendering; so
editing one post renders its own page, its neighbours (prev/next), the listing and tag pages it is
on, the archive, tag index, feed and sitemap, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from blog.config import SiteConfig
from blog.model import Pager, Post, Tag, YearGroup, group_by_year, neighbours, paginate
from blog.util.digests import digest
from blog.util.urls import file_path, url_path

FEED_FILE = "atom.xml"
ROBOTS_FILE = "robots.txt"


@dataclass(frozen=True, slots=True)
class PageJob:
    template: str
    output: str  # path in the output folder
    source: str  # what it is made from, for error messages
    context: Mapping[str, Any]
    replaceable: bool = False  # a file of the same path in static/ is used instead


def _newest_change(posts: Sequence[Post]) -> datetime | None:
    """When the newest of `posts` last changed: a listing's `updated` or `<lastmod>`."""
    return max((p.updated or p.date for p in posts), default=None)


def _feed(posts: Sequence[Post], limit: int, tag: Tag | None) -> dict[str, Any]:
    shown = tuple(posts[:limit])
    updated = _newest_change(shown)
    return {
        "posts": shown,
        "tag": tag,
        "updated": updated.isoformat() if updated else "1970-01-01T00:00:00+00:00",
    }


def plan_pages(
    config: SiteConfig,
    posts: tuple[Post, ...],
    tags: tuple[Tag, ...],
    *,
    search: Mapping[str, object],
) -> list[PageJob]:
    """Every page of the site; `tags` are `collect_tags(posts)`, `search` is what the search
    page needs to know about the index."""
    index_pages = paginate(posts, config.per_page, config.base_path)
    tag_pages = {
        tag.slug: paginate(tag.posts, config.per_page, config.base_path, "tags", tag.slug)
        for tag in tags
    }
    pages = [
        PageJob("index.html", pager.output_file, "index", {"pager": pager}) for pager in index_pages
    ]
    around = neighbours(posts)
    for post in posts:
        older, newer = around[post.slug]
        context: dict[str, Any] = {"post": post, "older": older, "newer": newer}
        pages.append(PageJob("post.html", post.output_file, post.source, context))
    pages.append(PageJob("tags.html", file_path("tags"), "tags", {"tags": tags}))
    for tag in tags:
        for pager in tag_pages[tag.slug]:
            context = {"tag": tag, "pager": pager}
            pages.append(PageJob("tag.html", pager.output_file, f"tag {tag.name}", context))
    archive = {"years": group_by_year(posts)}
    pages.append(PageJob("archive.html", file_path("archive"), "archive", archive))
    pages.append(PageJob("404.html", "404.html", "404", {}))
    pages.append(PageJob("search.html", file_path("search"), "search", {"search": search}))
    pages.append(PageJob("atom.xml", FEED_FILE, "feed", _feed(posts, config.feed_limit, None)))
    for tag in tags:
        feed = _feed(tag.posts, config.feed_limit, tag)
        pages.append(PageJob("atom.xml", f"tags/{tag.slug}/{FEED_FILE}", f"feed {tag.name}", feed))
    newest = _newest_change(posts)
    sitemap_urls = [
        *((pager.url, _newest_change(pager.posts)) for pager in index_pages),
        *((post.url, post.updated or post.date) for post in posts),
        (url_path(config.base_path, "tags"), newest),
        *(
            (pager.url, _newest_change(pager.posts))
            for tag in tags
            for pager in tag_pages[tag.slug]
        ),
        (url_path(config.base_path, "archive"), newest),
    ]
    pages.append(PageJob("sitemap.xml", "sitemap.xml", "sitemap", {"entries": sitemap_urls}))
    pages.append(PageJob("robots.txt", ROBOTS_FILE, "robots", {}, replaceable=True))
    return pages


class _DataDigest:
    """A digest of the data given to a template: each value is written out unambiguously (strings
    by `repr`) and hashed once. Shared objects (a tag with all its posts, repeated on each of its
    pages) are written out once and stand in by their own digest after that. A post is written
    as its fingerprint, from `fingerprints` (by its source)."""

    def __init__(self, fingerprints: Mapping[str, str]) -> None:
        self._fingerprints = fingerprints
        self._memo: dict[int, str] = {}

    def __call__(self, value: object) -> str:
        parts: list[str] = []
        self._write(value, parts)
        return digest("\n".join(parts))

    def _write(self, value: object, parts: list[str]) -> None:
        # The most common kinds first; `Mapping` (an ABC, the slowest check) last.
        if value is None or isinstance(value, (str, int, float, bool)):
            parts.append(repr(value))
        elif isinstance(value, Post):
            fingerprint = self._fingerprints.get(value.source)
            if not fingerprint:
                raise ValueError(f"{value.source} has no fingerprint")
            parts.append("post " + fingerprint)
        elif isinstance(value, (list, tuple)):
            if len(value) > 8:  # long ones (a listing's page URLs) are often shared
                parts.append(self._shared(value))
                return
            parts.append(f"[{len(value)}")
            for item in value:
                self._write(item, parts)
        elif isinstance(value, (datetime, date)):
            parts.append(value.isoformat())
        elif isinstance(value, (Tag, Pager, YearGroup)):
            parts.append(self._shared(value))
        elif isinstance(value, Mapping):
            parts.append(f"{{{len(value)}")
            for key in sorted(value):
                parts.append(repr(key))
                self._write(value[key], parts)
        else:
            raise TypeError(f"cannot digest {type(value).__name__} given to a template")

    def _shared(self, value: Tag | Pager | YearGroup | list[Any] | tuple[Any, ...]) -> str:
        known = self._memo.get(id(value))
        if known is None:
            if isinstance(value, (list, tuple)):
                parts = [f"[{len(value)}"]
                for item in value:
                    self._write(item, parts)
                known = digest("\n".join(parts))
                self._memo[id(value)] = known
                return known
            if isinstance(value, Tag):
                fields: tuple[object, ...] = (value.name, value.slug, value.url, value.posts)
            elif isinstance(value, Pager):
                fields = (value.number, value.urls, value.files, value.posts)
            else:
                fields = (value.year, value.posts)
            known = f"{type(value).__name__} {self(fields)}"
            self._memo[id(value)] = known
        return known


def page_keys(
    pages: Sequence[PageJob], page_fingerprint: str, post_fingerprints: Mapping[str, str]
) -> list[str]:
    """Each page's key; `post_fingerprints`: each post's fingerprint, by its source file."""
    data = _DataDigest(post_fingerprints)
    return [digest(page_fingerprint, p.template, p.output, data(p.context)) for p in pages]
