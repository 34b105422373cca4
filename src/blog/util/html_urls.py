"""The URLs in an HTML fragment's `href` and `src` attributes: changed one by one, or all made
absolute for a page shown away from the site (a feed entry)."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from urllib.parse import urljoin

# A start tag with an `href` or `src` attribute, with quoted values that may hold `>`. Text never
# matches: markdown escapes its `<`. (Math is thousands of tags with neither: the regex passes
# over them without a call back into Python.)
_START_TAG = re.compile(
    r"""<[A-Za-z](?:[^>"']|"[^"]*"|'[^']*')*?\s(?:href|src)\s*=(?:[^>"']|"[^"]*"|'[^']*')*>""",
    re.IGNORECASE,
)
# Every attribute of a tag, one after another, each with its whole value: a match never starts
# inside a quoted value, so `alt="x src=y onerror=…"` (an image's alt text) is not an attribute.
_ATTRIBUTE = re.compile(r"""(\s+)([^\s=>"'/]+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+))?""")
_URL_NAMES = {"href", "src"}


def rewrite_urls(fragment: str, change: Callable[[str], str]) -> str:
    """`fragment` with each `href`/`src` value replaced by `change(value)`; an attribute whose
    value does not change keeps its bytes."""

    def in_attribute(match: re.Match[str]) -> str:
        quoted = match.group(4)
        if quoted is None or match.group(2).lower() not in _URL_NAMES:
            return match.group(0)
        value = html.unescape(quoted[1:-1] if quoted[0] in "\"'" else quoted)
        changed = change(value)
        if changed == value:
            return match.group(0)
        return f'{match.group(1)}{match.group(2)}{match.group(3)}"{html.escape(changed)}"'

    def in_tag(match: re.Match[str]) -> str:
        return _ATTRIBUTE.sub(in_attribute, match.group(0))

    return _START_TAG.sub(in_tag, fragment)


@functools.lru_cache(maxsize=512)  # a post is in several feeds; `blog serve` builds again
def absolute_links(fragment: str, page_url: str) -> str:
    """Resolve each link and image in `fragment` against `page_url`, the page it belongs to:
    `#eq-1`, `img/a.png` and `/notes/posts/x/` become `https://host/notes/posts/x/…`."""
    return rewrite_urls(fragment, lambda url: urljoin(page_url, url))
