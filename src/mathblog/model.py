"""The site as plain data: posts, tags, pages of a listing, the archive. Pure functions only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

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


# A page (`pages/about.md`) may have no `date:`; it then holds this one, which no template shows
# (`post.dated` is False). Pages are never sorted, paginated or put in a feed by date.
UNDATED = datetime(1, 1, 1, tzinfo=UTC)

# A post, or a page: a file of `pages/`, loaded exactly as a post is (markdown, math, the post
# cache, the worker pool) and rendered with `page.html`; it is in no listing, feed or search.
Kind = Literal["post", "page"]


@dataclass(frozen=True)  # no slots: pickles (the post cache) far faster
class SeriesRef:
    """A post's `series:`, with its URL made as a tag's is, and where the post goes in it."""

    name: str
    slug: str
    url: str
    weight: int = 0  # `series_weight`: lower first, before the date
    line: int = 1  # of `series:` in the post's file, for errors


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
    extra: Mapping[str, Any] = field(default_factory=dict)  # its `extra:` mapping, for themes
    lang: str | None = None  # its language tag, when it is not the site's
    pinned: bool = False  # first on the front page
    weight: int = 0  # orders pinned posts, lower first
    publish_date: datetime | None = None  # left out of the site before then (`date` if None)
    kind: Kind = "post"  # a page's `slug` is its URL path under the site: `docs/setup`
    # `aliases:`, old URLs that redirect here: paths under the base path, decoded, a folder
    # ending in `/` (`2019/01/old/`) or a file (`old.html`); the line of `aliases:` for errors.
    aliases: tuple[str, ...] = ()
    aliases_line: int = 1
    series: SeriesRef | None = None
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
    def dated(self) -> bool:
        return self.date != UNDATED

    @property
    def output_file(self) -> str:
        if self.kind == "page":
            return file_path(*(part for part in self.slug.split("/") if part))
        return file_path("posts", self.slug)

    def published_by(self, now: datetime) -> bool:
        """Whether it is out at `now`: its `publish_date`, else its `date`, has come."""
        return (self.publish_date or self.date) <= now


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    slug: str
    url: str
    posts: tuple[Post, ...]


@dataclass(frozen=True, slots=True)
class Series:
    """The posts whose front matter names one series, in reading order."""

    name: str
    slug: str
    url: str
    posts: tuple[Post, ...]  # `series_weight`, then oldest first


@dataclass(frozen=True, slots=True)
class SeriesPart:
    """A post's place in its series: part `number` (from 1) of `total`."""

    series: Series
    number: int

    @property
    def total(self) -> int:
        return len(self.series.posts)

    @property
    def previous(self) -> Post | None:
        return self.series.posts[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> Post | None:
        return self.series.posts[self.number] if self.number < self.total else None


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


class SortedPosts(tuple[Post, ...]):
    """Posts known to be in `sort_posts` order, so sorting them again costs nothing: a build
    sorts its posts once, and tags, the archive and the neighbours take them as they are."""

    __slots__ = ()


def sort_posts(posts: Sequence[Post]) -> SortedPosts:
    """Newest first; the slug breaks ties so the order never depends on the file system."""
    if isinstance(posts, SortedPosts):
        return posts
    return SortedPosts(sorted(posts, key=lambda p: (-p.date.timestamp(), p.slug)))


def pinned_first(posts: Sequence[Post]) -> tuple[Post, ...]:
    """The front page's order: pinned posts first, by weight (lower first) then newest, then
    the rest in the order given (newest first)."""
    pinned = sorted(
        (p for p in posts if p.pinned), key=lambda p: (p.weight, -p.date.timestamp(), p.slug)
    )
    return (*pinned, *(p for p in posts if not p.pinned))


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
    spellings: dict[str, dict[str, int]] = {}  # slug → each spelling's count
    urls: dict[str, str] = {}
    for post in sort_posts(posts):  # once: each tag's posts are then in that order
        for ref in post.tags:
            tagged = by_slug.get(ref.slug)
            if tagged is None:  # (no Counter made for every tag of every post)
                tagged = by_slug[ref.slug] = []
                spellings[ref.slug] = {}
                urls[ref.slug] = ref.url
            tagged.append(post)
            names = spellings[ref.slug]
            names[ref.name] = names.get(ref.name, 0) + 1
    tags = [
        Tag(
            name=min(spellings[slug].items(), key=lambda item: (-item[1], item[0]))[0],
            slug=slug,
            url=urls[slug],
            posts=tuple(tagged),
        )
        for slug, tagged in by_slug.items()
    ]
    return tuple(sorted(tags, key=lambda t: (-len(t.posts), t.name.lower())))


def collect_series(posts: Sequence[Post]) -> tuple[Series, ...]:
    """Series merged by slug as tags are, each shown as its most used spelling; the series
    with the newest post first."""
    by_slug: dict[str, list[Post]] = {}
    spellings: dict[str, Counter[str]] = {}
    for post in posts:
        if post.series is not None:
            by_slug.setdefault(post.series.slug, []).append(post)
            spellings.setdefault(post.series.slug, Counter())[post.series.name] += 1
    every = []
    for slug, members in by_slug.items():
        ordered = sorted(members, key=_reading_order)
        name = min(spellings[slug].items(), key=lambda item: (-item[1], item[0]))[0]
        url = next(p.series.url for p in ordered if p.series is not None)
        every.append(Series(name, slug, url, tuple(ordered)))
    newest = {series.slug: max(p.date for p in series.posts) for series in every}
    return tuple(sorted(every, key=lambda s: (-newest[s.slug].timestamp(), s.slug)))


def _reading_order(post: Post) -> tuple[int, float, str]:
    weight = post.series.weight if post.series is not None else 0
    return (weight, post.date.timestamp(), post.slug)


def series_parts(series: Sequence[Series]) -> dict[str, SeriesPart]:
    """Each post's place in its series, by the post's source file."""
    return {
        post.source: SeriesPart(one, number)
        for one in series
        for number, post in enumerate(one.posts, start=1)
    }


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
