"""Which table of contents a post page shows: none for fewer than two entries (one link to the
only section is noise), and never an entry that repeats the post's title (a body that starts
with `# <its title>`, as notes moved from Typora or Obsidian do); that entry's sections take its
place."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from mathblog.model import TocEntry

MIN_ENTRIES = 2
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def shown_toc(
    entries: Iterable[TocEntry], title_html: str, title_text: str
) -> tuple[TocEntry, ...]:
    """The entries to show, or () when the page should show no TOC."""
    kept = _without_title(tuple(entries), title_html, _plain(title_text))
    return kept if _count(kept) >= MIN_ENTRIES else ()


def _plain(fragment: str) -> str:
    text = html.unescape(_TAG.sub("", fragment))
    return _SPACE.sub(" ", text).strip().casefold()


def _repeats_title(entry: TocEntry, title_html: str, title: str) -> bool:
    return entry.html.strip() == title_html.strip() or _plain(entry.html) == title


def _without_title(
    entries: tuple[TocEntry, ...], title_html: str, title: str
) -> tuple[TocEntry, ...]:
    kept: list[TocEntry] = []
    for entry in entries:
        if _repeats_title(entry, title_html, title):
            kept += entry.children
        else:
            kept.append(entry)
    return tuple(kept)


def _count(entries: tuple[TocEntry, ...]) -> int:
    return sum(1 + _count(entry.children) for entry in entries)
