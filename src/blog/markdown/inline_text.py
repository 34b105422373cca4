"""Inline tokens as text, with formulas as their TeX: an image's alt text, a page's title."""

from __future__ import annotations

from collections.abc import Iterable

from markdown_it.token import Token


def inline_text(children: Iterable[Token]) -> str:
    """The text of `children`: code and formulas as written, line breaks as newlines, and an
    image as its own alt text (markup, raw HTML and link targets are left out)."""
    pieces: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "math_inline"):
            pieces.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            pieces.append("\n")
        elif child.type == "image":
            pieces.append(inline_text(child.children or ()))
    return "".join(pieces)
