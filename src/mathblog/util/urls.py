"""Slugs, output paths and URLs. Slugs keep Chinese; URLs percent-encode them.

A slug is NFC-normalized: `é` typed as one code point or as `e` and a combining accent (as macOS
names files) looks the same, so it must give the same URL, not two look-alike ones.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# One path component of a file name, on Linux and macOS alike.
MAX_NAME_BYTES = 255

_UNSAFE_IN_PATH = re.compile(r'[\x00-\x1f\x7f/\\?%*:|"<>#\[\]]+')
_HEADING_DROP = re.compile(r"[^\w\- ]")
_HYPHENS = re.compile(r"[\s\-]+")


def bare_slug(text: str) -> str:
    """A URL path segment, or "" when `text` has nothing a URL can keep (`.`, `/`, `#`)."""
    slug = _HYPHENS.sub("-", _UNSAFE_IN_PATH.sub("-", spelling(text)))
    return slug.strip("-").lstrip(".")


def slugify(text: str) -> str:
    """A URL path segment: `Flash Attention` → `flash-attention`, `扩散 模型` → `扩散-模型`."""
    return bare_slug(text) or "untitled"


def spelling(text: str) -> str:
    """`text` up to case, Unicode normalization and runs of spaces or hyphens: two tags with one
    spelling are one tag (`Flash Attention`, `flash-attention`); two with one slug but different
    spellings (`a/b`, `a-b`) are a clash."""
    return _HYPHENS.sub("-", unicodedata.normalize("NFC", text).strip().lower())


def too_long_for_a_file_name(slug: str) -> bool:
    return len(slug.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES


def heading_id(text: str) -> str:
    """GitHub-style heading id that keeps CJK: `基本思路 (Idea)` → `基本思路-idea`."""
    slug = _HEADING_DROP.sub("", text.strip().lower())
    return re.sub(r"\s+", "-", slug) or "section"


def unique(candidate: str, taken: set[str]) -> str:
    """`candidate`, or `candidate-1`, `candidate-2`… whichever is free; marks it taken."""
    result, n = candidate, 0
    while result in taken:
        n += 1
        result = f"{candidate}-{n}"
    taken.add(result)
    return result


def url_path(base_path: str, *segments: str) -> str:
    """`/notes/` + (`posts`, `扩散`) → `/notes/posts/%E6%89%A9%E6%95%A3/` (always a folder URL)."""
    encoded = "".join(quote(segment, safe="") + "/" for segment in segments)
    return base_path + encoded


def file_path(*segments: str) -> str:
    """The output file for a folder URL: (`posts`, `扩散`) → `posts/扩散/index.html`."""
    return "/".join([*segments, "index.html"])


def escapes(path: str) -> bool:
    """Whether `path` is not a plain relative path inside the output: absolute, or with an
    empty, `.` or `..` part (by string tests, each a scan in C: asked of every output file)."""
    return (
        path in ("", ".", "..")
        or path.startswith(("/", "./", "../"))
        or path.endswith(("/", "/.", "/.."))
        or "//" in path
        or "/./" in path
        or "/../" in path
    )
