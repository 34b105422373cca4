"""Where a page goes: `pages/about.md` is `/about/`, `pages/docs/setup.md` is `/docs/setup/`, and
`pages/about/index.md` is `/about/` too, so that the files beside it land beside the page.

`slug:` replaces the last part of that path (`pages/docs/setup.md` with `slug: install` is
`/docs/install/`); `url:` replaces all of it (`url: /about-me/`). The result is the page's
`slug`, its path under the site without slashes around it (`docs/setup`).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from mathblog.content.discover import PAGES_DIR
from mathblog.errors import BlogError
from mathblog.util.urls import slugify, too_long_for_a_file_name

INDEX_NAME = "index"
_SEGMENT_FORBIDDEN = re.compile(r"[\\?#%\s<>\"'`]|^\.")


def is_page(source: str) -> bool:
    """Whether `source` (a file's path in the site, with `/`) is a page rather than a post."""
    return source.startswith(PAGES_DIR + "/")


def page_slug(source: str, slug: str | None, url: object, url_line: int) -> str:
    """The path under the site of the page in `source` (`pages/docs/setup.md` → `docs/setup`),
    given its front matter's `slug` (already checked) and `url` (checked here)."""
    if url is not None:
        return _url_segments(url, source, url_line)
    parts = list(PurePosixPath(source).relative_to(PAGES_DIR).with_suffix("").parts)
    if parts and parts[-1] == INDEX_NAME:
        parts.pop()
    segments = [slugify(part) for part in parts]
    if slug is not None:
        segments[-1:] = [slug]
    return "/".join(segments)


def _url_segments(url: object, source: str, line: int) -> str:
    hint = "a path under the site, e.g. url: /about/ or url: /docs/setup/"
    if not isinstance(url, str):
        raise BlogError.at("`url` must be text", source, line, hint=hint)
    segments = [s for s in unicodedata.normalize("NFC", url.strip()).split("/") if s]
    if "://" in url or any(_SEGMENT_FORBIDDEN.search(s) or s == ".." for s in segments):
        raise BlogError.at(
            f"`url` {url!r} cannot be used as a page's path", source, line, hint=hint
        )
    if any(too_long_for_a_file_name(s) for s in segments):
        raise BlogError.at(f"`url` {url!r} has a part too long for a file name", source, line)
    return "/".join(segments)
