"""A page to render, and its key: whether it must be rendered again.

Every page is planned as a `PageJob` (by the generators in `site.outputs`): a template, an output
path and the data it is given. Its key digests the page fingerprint (code, every setting, every
template) and that data, where a post counts by its fingerprint (given beside the posts), which
changes with anything that shaped it. A page whose key and output file match the previous
build's is carried over without rendering; so editing one post renders its own page, its
neighbours (prev/next), the listing and tag pages it is on, the archive, tag index, feed and
sitemap, and nothing else.

With the theme's own templates, whose pages are known to read a post's body only where it is
the page's subject (`BODY_SHOWN_BY`), any other post on a page counts by its card fingerprint
(what a card of it shows) instead: an edit to a post's body then renders its own page and the
feeds it is in, and not the listings, tag pages and neighbours that show its card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mathblog.model import Pager, Post, Series, SeriesPart, Tag, YearGroup
from mathblog.util.digests import digest

# A page's entry in the sitemap: its URL, and when what it shows last changed.
SitemapEntry = tuple[str, datetime | None]


@dataclass(frozen=True, slots=True)
class PageJob:
    template: str
    output: str  # path in the output folder
    source: str  # what it is made from, for error messages
    context: Mapping[str, Any]
    replaceable: bool = False  # a file of the same path in static/ is used instead
    sitemap: SitemapEntry | None = None  # listed in sitemap.xml (not part of its key)


# The context entries whose posts the theme's templates show in full (body, TOC, word counts):
# every other post a theme page is given is shown as a card or a link. A template not named
# here has every post counted in full.
BODY_SHOWN_BY: Mapping[str, frozenset[str]] = {
    "post.html": frozenset({"post"}),
    "page.html": frozenset({"page"}),
    "atom.xml": frozenset({"posts"}),
    "index.html": frozenset(),
    "tag.html": frozenset(),
    "tags.html": frozenset(),
    "archive.html": frozenset(),
    "series.html": frozenset(),
    "series_index.html": frozenset(),
    # No post at all: their data is the posts' URLs and dates (a card's), or nothing.
    "sitemap.xml": frozenset(),
    "alias.html": frozenset(),
    "404.html": frozenset(),
    "robots.txt": frozenset(),
}
# The same, sorted: the order in which a page's posts shown in full are listed.
_FULL_KEYS = {template: tuple(sorted(keys)) for template, keys in BODY_SHOWN_BY.items()}


class _DataDigest:
    """A digest of the data given to a template: each value is written out unambiguously (strings
    by `repr`) and hashed once. Shared objects (a tag with all its posts, repeated on each of its
    pages) are written out once and stand in by their own digest after that. A post is written
    as its fingerprint, from `fingerprints` (by its source), or where only its card is shown as
    its card fingerprint, from `cards`."""

    def __init__(self, fingerprints: Mapping[str, str], cards: Mapping[str, str]) -> None:
        self._full = fingerprints
        self._fingerprints = fingerprints  # the ones being written: `_full` or `_cards`
        self._cards = cards
        self._memo: dict[tuple[int, bool], str] = {}

    def __call__(self, value: object) -> str:
        parts: list[str] = []
        self._write(value, parts)
        return digest("\n".join(parts))

    def page(self, context: Mapping[str, Any], full: frozenset[str] | None) -> str:
        """A page's context: the posts under the keys in `full` counted in full, the others
        by their cards; with `full` None, every post in full."""
        if full is None:
            return self(context)
        parts = [f"{{{len(context)}"]
        for key in sorted(context):
            parts.append(repr(key))
            self._fingerprints = self._full if key in full else self._cards
            try:
                self._write(context[key], parts)
            finally:
                self._fingerprints = self._full
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
        elif isinstance(value, (Tag, Pager, YearGroup, Series, SeriesPart)):
            parts.append(self._shared(value))
        elif isinstance(value, Mapping):
            parts.append(f"{{{len(value)}")
            for key in sorted(value):
                parts.append(repr(key))
                self._write(value[key], parts)
        else:
            raise TypeError(f"cannot digest {type(value).__name__} given to a template")

    def _shared(
        self, value: Tag | Pager | YearGroup | Series | SeriesPart | list[Any] | tuple[Any, ...]
    ) -> str:
        memo_key = (id(value), self._fingerprints is self._cards)
        known = self._memo.get(memo_key)
        if known is None:
            if isinstance(value, (list, tuple)):
                parts = [f"[{len(value)}"]
                for item in value:
                    self._write(item, parts)
                known = digest("\n".join(parts))
                self._memo[memo_key] = known
                return known
            if isinstance(value, Tag):
                fields: tuple[object, ...] = (value.name, value.slug, value.url, value.posts)
            elif isinstance(value, Pager):
                fields = (value.number, value.urls, value.files, value.posts)
            elif isinstance(value, Series):  # a post's page shows its siblings' titles
                fields = (value.name, value.slug, value.url, value.posts)
            elif isinstance(value, SeriesPart):
                fields = (value.series, value.number)
            else:
                fields = (value.year, value.posts)
            known = f"{type(value).__name__} {self(fields)}"
            self._memo[memo_key] = known
        return known


# A page's posts shown in full, each with the fingerprint its key was made with.
FullPosts = tuple[tuple[str, str], ...]


# The keys of an earlier plan's pages of the theme's own templates (`BODY_SHOWN_BY`): its basis,
# and each page's key with the posts it shows in full, by output path. Such a page's key is made
# from its template, its output path and its data, and its data from the settings, the
# templates and what the posts' cards show, but for the posts it shows in full. So while the
# basis (all of those, `key_basis`) is the same, a page's key is too, unless one of the posts
# it shows in full has another fingerprint: editing a post's body keys its own page and the
# feeds it is in, not the site's 1,400 other pages. Plain data, to be kept on disk as it is.
KnownKeys = tuple[str, dict[str, tuple[str, FullPosts]]]


def known_keys(data: object) -> KnownKeys | None:
    """`data` if it has the shape of `KnownKeys` (it may come from a file), else None; its
    entries are checked where they are used."""
    if isinstance(data, tuple) and len(data) == 2:
        basis, keys = data
        if isinstance(basis, str) and isinstance(keys, dict):
            return basis, keys
    return None


def key_basis(
    page_fingerprint: str,
    posts: Sequence[Post],
    card_fingerprints: Mapping[str, str],
    pages: Sequence[Post],
    post_fingerprints: Mapping[str, str],
) -> str:
    """What every theme page's data is made from, but the posts it shows in full: the settings
    and templates (in `page_fingerprint`), the posts in their order with what their cards show,
    and the pages of pages/."""
    parts = [page_fingerprint, "posts"]
    parts += [f"{post.source}\0{card_fingerprints.get(post.source, '')}" for post in posts]
    parts.append("pages")
    parts += [f"{page.source}\0{post_fingerprints.get(page.source, '')}" for page in pages]
    return digest(*parts)


def _shown_in_full(
    context: Mapping[str, Any], full: tuple[str, ...], fingerprints: Mapping[str, str]
) -> FullPosts | None:
    """The posts under the keys in `full`, with their fingerprints; None if something else is
    there (then the page is keyed afresh each time)."""
    found: list[tuple[str, str]] = []
    for name in full:
        value = context.get(name)
        items = value if isinstance(value, (list, tuple)) else (value,)
        for item in items:
            if not isinstance(item, Post):
                if item is None:
                    continue
                return None
            found.append((item.source, fingerprints.get(item.source, "")))
    return tuple(found)


def theme_page_keys(
    pages: Sequence[PageJob],
    page_fingerprint: str,
    post_fingerprints: Mapping[str, str],
    card_fingerprints: Mapping[str, str],
    basis: str,
    known: KnownKeys | None,
) -> tuple[list[str], KnownKeys, int]:
    """Each page's key with the theme's own templates (a post a page shows only as a card
    counted by its card), reusing `known` keys where they still hold (`KnownKeys`); the keys
    to reuse next time; and how many keys were made, not reused."""
    reusable = known[1] if known is not None and known[0] == basis else {}
    data = _DataDigest(post_fingerprints, card_fingerprints)
    keys: list[str] = []
    kept: dict[str, tuple[str, FullPosts]] = {}
    made = 0
    for job in pages:
        full = _FULL_KEYS.get(job.template)
        shown = None if full is None else _shown_in_full(job.context, full, post_fingerprints)
        earlier = reusable.get(job.output)
        if (
            shown is not None
            and type(earlier) is tuple
            and len(earlier) == 2
            and earlier[1] == shown
            and type(earlier[0]) is str
        ):
            key = earlier[0]
        else:
            made += 1
            key = _theme_page_key(job, page_fingerprint, data, BODY_SHOWN_BY.get(job.template))
        keys.append(key)
        if shown is not None:
            kept[job.output] = (key, shown)
    return keys, (basis, kept), made


def _theme_page_key(
    job: PageJob, page_fingerprint: str, data: _DataDigest, full: frozenset[str] | None
) -> str:
    return digest(page_fingerprint, job.template, job.output, "cards", data.page(job.context, full))


def page_keys(
    pages: Sequence[PageJob], page_fingerprint: str, post_fingerprints: Mapping[str, str]
) -> list[str]:
    """Each page's key, every post counted in full (a site template may show anything);
    `post_fingerprints`: each post's fingerprint, by its source file. With the theme's own
    templates, `theme_page_keys`."""
    data = _DataDigest(post_fingerprints, post_fingerprints)
    return [digest(page_fingerprint, p.template, p.output, data(p.context)) for p in pages]
