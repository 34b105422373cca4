"""The URLs in an HTML fragment's `href` and `src` attributes: changed one by one, or all made
absolute for a page shown away from the site (a feed entry)."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Collection
from urllib.parse import urljoin, urlsplit

from mathblog.util.html_scan import replace_spans, start_tags

_URL_NAMES = {"href", "src"}


def rewrite_urls(fragment: str, change: Callable[[str], str]) -> str:
    """`fragment` with each `href`/`src` value replaced by `change(value)`, written in double
    quotes; every other byte, and an attribute whose value does not change, stays as it was."""
    edits: list[tuple[int, int, str]] = []
    for tag in start_tags(fragment, _URL_NAMES):
        for attribute in tag.attributes:
            value = attribute.value
            if attribute.name in _URL_NAMES and value is not None:
                changed = change(value)
                if changed != value:
                    new = f'"{html.escape(changed)}"'
                    edits.append((attribute.value_start, attribute.end, new))
    return replace_spans(fragment, edits)


def without_attributes(fragment: str, names: Collection[str]) -> str:
    """`fragment` with every attribute in `names` taken out of its tags, with the space before
    it: `<h2 id="x">` becomes `<h2>`."""
    edits: list[tuple[int, int, str]] = []
    for tag in start_tags(fragment, names):
        for attribute in tag.attributes:
            if attribute.name in names:
                start = attribute.start
                if fragment[start - 1].isspace():
                    start -= 1
                edits.append((start, attribute.end, ""))
    return replace_spans(fragment, edits)


@functools.lru_cache(maxsize=512)  # a post is in several feeds; `blog serve` builds again
def absolute_links(fragment: str, page_url: str) -> str:
    """Resolve each link and image in `fragment` against `page_url`, the page it belongs to:
    `#eq-1`, `img/a.png` and `/notes/posts/x/` become `https://host/notes/posts/x/…`."""
    return rewrite_urls(fragment, resolver(page_url))


_MAY_BE_DROPPED = re.compile("[?#;]")  # a query, a fragment or parameters: `urljoin` may drop them


def resolver(page_url: str) -> Callable[[str], str]:
    """`urljoin(page_url, url)` as a function of `url`, quicker for the two kinds most links of
    a post are, `#fn-1` and `/posts/x/`: a feed resolves every link of every post in it, and
    `urljoin` took a quarter of that time. The result is always `urljoin`'s, except for a URL
    `urljoin` cannot read (`//[x`, a broken IPv6 host), which is left as it is."""
    parts = urlsplit(page_url)
    if parts.query or parts.fragment or not parts.scheme or not parts.netloc:
        return lambda url: _joined(page_url, url)
    origin = f"{parts.scheme}://{parts.netloc}"

    def resolve(url: str) -> str:
        # (Tabs and line breaks `urljoin` takes out of a URL wherever they are.)
        if len(url) > 1 and "\t" not in url and "\n" not in url and "\r" not in url:
            if url[0] == "#":
                return page_url + url
            # No dot segment to remove, nor a query, fragment or parameters (empty ones go).
            if (
                url[0] == "/"
                and url[1] != "/"
                and "/." not in url
                and not _MAY_BE_DROPPED.search(url)
            ):
                return origin + url
        return _joined(page_url, url)

    return resolve


def _joined(page_url: str, url: str) -> str:
    try:
        return urljoin(page_url, url)
    except ValueError:  # a post's link a browser would not follow either: no crash for it
        return url
