"""The one walk over markdown-it tokens: each token, then its children, in document order.

markdown-it nests tokens one or two levels deep: an `inline` token holds the pieces of a
paragraph or heading, and an `image` among them holds its alt text. Word counts, search text,
alt text, descriptions, heading ids and URL rewrites all read the tree through `walk_tokens`;
what differs between them is only which token types they keep and whether alt text is prose.
"""

from __future__ import annotations

from collections.abc import Iterable

from markdown_it.token import Token

# Tokens whose `content` is text a reader sees: prose, inline code, a formula's TeX.
TEXT_TYPES = frozenset(("text", "code_inline", "math_inline"))
BREAK_TYPES = frozenset(("softbreak", "hardbreak"))


def walk_tokens(tokens: Iterable[Token], *, alt_text: bool = True) -> list[Token]:
    """Every token of `tokens` followed by its children, depth first. With `alt_text=False`
    an image's children (its alt text) are skipped: they are not the prose around it.

    A list built by loops, not a recursive generator: several walks run over every post, and
    resuming nested generators costs twice as much per token (a cold build visits ~1M)."""
    walked: list[Token] = []
    add = walked.append
    for token in tokens:
        add(token)
        children = token.children
        if children and (alt_text or token.type != "image"):
            for child in children:
                add(child)
                grandchildren = child.children
                if grandchildren and (alt_text or child.type != "image"):
                    walked += walk_tokens(grandchildren, alt_text=alt_text)
    return walked
