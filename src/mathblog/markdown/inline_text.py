"""Inline tokens as text, with formulas as their TeX: an image's alt text, a page's title."""

from __future__ import annotations

from collections.abc import Iterable

from markdown_it.token import Token

from mathblog.markdown.walk import BREAK_TYPES, TEXT_TYPES, walk_tokens


def inline_text(children: Iterable[Token]) -> str:
    """The text of `children`: code and formulas as written, line breaks as newlines, and an
    image as its own alt text (markup, raw HTML and link targets are left out)."""
    pieces: list[str] = []
    for child in walk_tokens(children):
        if child.type in TEXT_TYPES:
            pieces.append(child.content)
        elif child.type in BREAK_TYPES:
            pieces.append("\n")
    return "".join(pieces)
