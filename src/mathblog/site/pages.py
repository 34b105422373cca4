"""A page to render, and its key: whether it must be rendered again.

Every page is planned as a `PageJob` (by the generators in `site.outputs`): a template, an output
path and the data it is given. Its key digests the page fingerprint (code, every setting, every
template) and that data, where a post counts by its fingerprint (given beside the posts), which
changes with anything that shaped it. A page whose key and output file match the previous
build's is carried over without rendering; so editing one post renders its own page, its
neighbours (prev/next), the listing and tag pages it is on, the archive, tag index, feed and
sitemap, and nothing else.
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
            elif isinstance(value, Series):  # a post's page shows its siblings' titles
                fields = (value.name, value.slug, value.url, value.posts)
            elif isinstance(value, SeriesPart):
                fields = (value.series, value.number)
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
