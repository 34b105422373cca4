"""The site's navigation: `[[nav]]` of `site.toml`, or the theme's default, with the entry of the
page being rendered marked.

An entry is current (`aria-current="page"`) on its own page; the home entry also on the further
pages of the index (`/page/2/`). An entry whose URL is a folder (`/docs/`) is current as the
section (`aria-current="true"`) on the pages below it, unless another entry is closer. A full
URL (`https://github.com/…`) is never current.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from mathblog.config import NavEntry, SiteConfig

_FURTHER_INDEX_PAGE = re.compile(r"page/\d+/")


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link of the nav as a template shows it."""

    title: str
    href: str
    hint: str = ""  # a tooltip (the default nav's feed link)
    current: str = ""  # "page", "true" (a section the page is in) or ""


@dataclass(frozen=True, slots=True)
class _Link:
    title: str
    href: str
    hint: str
    path: str | None  # percent-encoded as a page's URL is; None for another site


def default_nav(strings: Mapping[str, str]) -> tuple[NavEntry, ...]:
    """What the theme's nav shows without `[[nav]]`."""
    return (
        NavEntry(strings["home"], "/"),
        NavEntry(strings["tags"], "/tags/"),
        NavEntry(strings["archive"], "/archive/"),
        NavEntry(strings["search"], "/search/"),
        NavEntry("RSS", "/atom.xml", hint=strings["feed"]),
    )


class Nav:
    """The nav of one site; `at(page_url)` gives its links for one page."""

    def __init__(self, config: SiteConfig, strings: Mapping[str, str]) -> None:
        self.base_path = config.base_path
        entries = config.nav or default_nav(strings)
        self._links = tuple(self._link(entry) for entry in entries)
        self._none_current = tuple(NavItem(ln.title, ln.href, ln.hint) for ln in self._links)

    def _link(self, entry: NavEntry) -> _Link:
        if urlsplit(entry.url).scheme:
            return _Link(entry.title, entry.url, entry.hint, None)
        href = self.base_path + entry.url.lstrip("/")
        path = quote(unquote(urlsplit(href).path))
        return _Link(entry.title, href, entry.hint, path)

    def at(self, page_url: str) -> tuple[NavItem, ...]:
        states = [
            self._state(link.path, page_url)
            if link.path is not None and page_url.startswith(link.path)
            else ""
            for link in self._links
        ]
        if not any(states):  # most pages (posts): made once
            return self._none_current
        sections = [i for i, state in enumerate(states) if state == "true"]
        if "page" in states or len(sections) > 1:
            closest = max(sections, key=lambda i: len(self._links[i].path or ""), default=-1)
            states = [
                "" if state == "true" and ("page" in states or i != closest) else state
                for i, state in enumerate(states)
            ]
        return tuple(
            NavItem(link.title, link.href, link.hint, state)
            for link, state in zip(self._links, states, strict=True)
        )

    def _state(self, path: str | None, page_url: str) -> str:
        if path is None:
            return ""
        if path == page_url:
            return "page"
        below = page_url[len(path) :] if page_url.startswith(path) else None
        if below is None or not path.endswith("/"):
            return ""
        if path == self.base_path:
            return "page" if _FURTHER_INDEX_PAGE.fullmatch(below) else ""
        return "true"
