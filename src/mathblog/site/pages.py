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
}


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


def page_keys(
    pages: Sequence[PageJob],
    page_fingerprint: str,
    post_fingerprints: Mapping[str, str],
    card_fingerprints: Mapping[str, str] | None = None,
) -> list[str]:
    """Each page's key; `post_fingerprints`: each post's fingerprint, by its source file;
    `card_fingerprints`, given only for the theme's own templates: each post's card's."""
    if card_fingerprints is None:
        data = _DataDigest(post_fingerprints, post_fingerprints)
        return [digest(page_fingerprint, p.template, p.output, data(p.context)) for p in pages]
    data = _DataDigest(post_fingerprints, card_fingerprints)
    return [
        digest(
            page_fingerprint,
            p.template,
            p.output,
            "cards",
            data.page(p.context, BODY_SHOWN_BY.get(p.template)),
        )
        for p in pages
    ]
