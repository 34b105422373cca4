"""The site as plain data: posts, tags, pages of a listing, the archive. Pure functions only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mathblog.util.urls import file_path, url_path


@dataclass(frozen=True)  # no slots: pickles (the post cache) far faster
class TocEntry:
    level: int
    id: str
    html: str
    children: tuple[TocEntry, ...] = ()


class Body(Protocol):
    """A post's rendered HTML and TOC, wherever they are kept: `load` gives them when a page
    shows them (the post cache keeps them on disk, so a build of 10,000 cached posts holds
    their metadata, not their bodies)."""

    def load(self) -> tuple[str, tuple[TocEntry, ...]]: ...


@dataclass(frozen=True)  # no slots: pickles (the post cache) far faster
class InMemoryBody:
    """A body just rendered, or one a cache could not store."""

    content: str = ""
    toc: tuple[TocEntry, ...] = ()

    def load(self) -> tuple[str, tuple[TocEntry, ...]]:
        return self.content, self.toc


@dataclass(frozen=True)  # no slots: pickles (the post cache) far faster
class TagRef:
    name: str
    slug: str
    url: str
    line: int = 1  # of `tags:` in the post's file, for errors


@dataclass(frozen=True)  # no slots: pickles (the post cache) far faster
class FileRef:
    """A file a post's link or image names by a relative path (`fig.png`, `../img/a.svg`):
    where it is in the site, where it is published, and the line of the source that names it.
    Whether it exists is asked on every build, so that adding it later needs no new parse."""

    source: str  # relative to the site folder, with `/`
    output: str  # where it is published in the output folder; "" when static/ publishes it
    line: int  # in the post's file
    image: bool = False


@dataclass(frozen=True)  # no slots: pickles (the post cache) far faster
class Post:
    source: str
    slug: str
    url: str
    title: str
    title_html: str
    date: datetime
    body: Body
    excerpt: str
    excerpt_truncated: bool
    title_text: str = ""  # the title as plain text, formulas as TeX: <title>, feeds, meta tags
    description: str = ""  # plain text for <meta name="description">
    updated: datetime | None = None
    tags: tuple[TagRef, ...] = ()
    summary: str | None = None
    draft: bool = False
    reading_minutes: int = 1
    cjk_chars: int = 0
    words: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The files its relative links and images name; and, for `posts/x/index.md`, its folder
    # (relative to the site), whose other files are published beside the page.
    files: tuple[FileRef, ...] = ()
    bundle: str = ""
    # Its search terms and its fingerprint live beside it, where a build keeps them
    # (`site.loading.LoadedPosts`): they are about the build, not the post.

    @property
    def content(self) -> str:
        return self.body.load()[0]

    @property
    def toc(self) -> tuple[TocEntry, ...]:
        return self.body.load()[1]

    @property
    def output_file(self) -> str:
        return file_path("posts", self.slug)


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    slug: str
    url: str
    posts: tuple[Post, ...]


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a paginated listing; `urls[n - 1]` is the URL of page n."""

    number: int
    posts: tuple[Post, ...]
    urls: tuple[str, ...]
    files: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.urls)

    @property
    def url(self) -> str:
        return self.urls[self.number - 1]

    @property
    def output_file(self) -> str:
        return self.files[self.number - 1]

    @property
    def prev_url(self) -> str | None:
        return self.urls[self.number - 2] if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.urls[self.number] if self.number < self.total else None


@dataclass(frozen=True, slots=True)
class YearGroup:
    year: int
    posts: tuple[Post, ...]


def sort_posts(posts: Sequence[Post]) -> tuple[Post, ...]:
    """Newest first; the slug breaks ties so the order never depends on the file system."""
    return tuple(sorted(posts, key=lambda p: (-p.date.timestamp(), p.slug)))


def paginate(
    posts: Sequence[Post], per_page: int, base_path: str, *segments: str
) -> tuple[Pager, ...]:
    """`/`, `/page/2/`, … (or `/tags/x/`, `/tags/x/page/2/`): no empty trailing page."""
    chunks = [tuple(posts[i : i + per_page]) for i in range(0, len(posts), per_page)] or [()]
    urls = tuple(
        url_path(base_path, *segments, *(() if n == 1 else ("page", str(n))))
        for n in range(1, len(chunks) + 1)
    )
    files = tuple(
        file_path(*segments, *(() if n == 1 else ("page", str(n))))
        for n in range(1, len(chunks) + 1)
    )
    return tuple(Pager(n, chunk, urls, files) for n, chunk in enumerate(chunks, start=1))


def collect_tags(posts: Sequence[Post]) -> tuple[Tag, ...]:
    """Tags merged by slug (`RoPE` and `rope` are one tag, shown as its most used spelling)."""
    by_slug: dict[str, list[Post]] = {}
    spellings: dict[str, Counter[str]] = {}
    urls: dict[str, str] = {}
    for post in posts:
        for ref in post.tags:
            by_slug.setdefault(ref.slug, []).append(post)
            spellings.setdefault(ref.slug, Counter())[ref.name] += 1
            urls[ref.slug] = ref.url
    tags = [
        Tag(
            name=min(spellings[slug].items(), key=lambda item: (-item[1], item[0]))[0],
            slug=slug,
            url=urls[slug],
            posts=sort_posts(tagged),
        )
        for slug, tagged in by_slug.items()
    ]
    return tuple(sorted(tags, key=lambda t: (-len(t.posts), t.name.lower())))


def group_by_year(posts: Sequence[Post]) -> tuple[YearGroup, ...]:
    years: dict[int, list[Post]] = {}
    for post in sort_posts(posts):
        years.setdefault(post.date.year, []).append(post)
    return tuple(YearGroup(year, tuple(items)) for year, items in years.items())


def neighbours(posts: Sequence[Post]) -> dict[str, tuple[Post | None, Post | None]]:
    """slug → (older post, newer post) in the listing order."""
    ordered = sort_posts(posts)
    return {
        post.slug: (
            ordered[i + 1] if i + 1 < len(ordered) else None,
            ordered[i - 1] if i > 0 else None,
        )
        for i, post in enumerate(ordered)
    }
