"""Slugs, output paths and URLs. Slugs keep Chinese; URLs percent-encode them."""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE_IN_PATH = re.compile(r'[\x00-\x1f\x7f/\\?%*:|"<>#\[\]]+')
_HEADING_DROP = re.compile(r"[^\w\- ]")


def slugify(text: str) -> str:
    """A URL path segment: `Flash Attention` → `flash-attention`, `扩散 模型` → `扩散-模型`."""
    slug = _UNSAFE_IN_PATH.sub("-", text.strip().lower())
    slug = re.sub(r"[\s\-]+", "-", slug).strip("-")
    return slug.lstrip(".") or "untitled"


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
