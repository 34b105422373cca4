"""Post HTML made fit for a feed: a reader shows it away from the site, so every link and image
must be an absolute URL."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

# A start tag, with quoted values that may hold `>`. Text never matches: markdown escapes its `<`.
_START_TAG = re.compile(r"""<[A-Za-z][^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")
_URL_ATTRIBUTE = re.compile(
    r"""(\s(?:href|src)\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+)""", re.IGNORECASE
)


def absolute_links(fragment: str, page_url: str) -> str:
    """Resolve each `href` and `src` in `fragment` against `page_url`, the page it belongs to:
    `#eq-1`, `img/a.png` and `/notes/posts/x/` become `https://host/notes/posts/x/…`."""

    def in_attribute(match: re.Match[str]) -> str:
        quoted = match.group(2)
        value = html.unescape(quoted[1:-1] if quoted[0] in "\"'" else quoted)
        return f'{match.group(1)}"{html.escape(urljoin(page_url, value))}"'

    def in_tag(match: re.Match[str]) -> str:
        return _URL_ATTRIBUTE.sub(in_attribute, match.group(0))

    return _START_TAG.sub(in_tag, fragment)
