"""Excerpts for post cards, cut from the parsed tokens so formulas stay rendered.

Order of preference: the part before `<!--more-->`, else front-matter `summary` (handled by the
caller), else an automatic cut: whole prose blocks while they fit `limit` units (a CJK character
or a Latin word is one unit, a formula is one), then, if nothing fit yet, the first paragraph cut
at its last sentence end. Cuts never fall inside a formula, a link, a tag or code.

A card never carries a display equation: one is taller than a whole card on a phone (an index
of ten cards of them was 5,756 px high at 390 px wide). Inline formulas stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from mathblog.markdown.parser import MORE_MARKER, render_tokens
from mathblog.markdown.walk import BREAK_TYPES, walk_tokens
from mathblog.util import timings
from mathblog.util.text import CJK_RANGES, is_cjk, units

ELLIPSIS = "…"
# Blocks that make no sense out of context on a card.
_SKIPPED_BLOCKS = {
    "heading_open",
    "fence",
    "code_block",
    "table_open",
    "html_block",
    "hr",
    "math_block",
    "footnote_block_open",
    MORE_MARKER,
}
# Skipped blocks whose absence does not make an excerpt "cut".
_NOT_CONTENT = {"footnote_block_open", MORE_MARKER}
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)]*|[.](?=\s|$)")
# a CJK character, a Latin word or a run of spaces: the pieces a description is cut between
_PIECE = re.compile(f"[{CJK_RANGES}]|[^\\s{CJK_RANGES}]+|\\s+")
# Dropped from the end of an excerpt before its `…` (with spaces).
_TRAILING_PUNCTUATION = "，,、：:；;。.（(“‘\"'—-"


@dataclass(frozen=True, slots=True)
class Excerpt:
    html: str
    truncated: bool


@timings.timed("excerpt")
def make_excerpt(md: MarkdownIt, tokens: list[Token], limit: int) -> Excerpt:
    for index, token in enumerate(tokens):
        if token.type == MORE_MARKER and token.level == 0:
            shown, _ = _without_display_math(tokens[:index])
            return Excerpt(render_tokens(md, _without_footnote_refs(shown)), False)
    chosen, truncated = _choose_blocks(tokens, limit)
    if truncated:
        chosen = _with_ellipsis(chosen)
    return Excerpt(render_tokens(md, _without_footnote_refs(chosen)), truncated)


def plain_description(tokens: list[Token], limit: int) -> str:
    """The opening prose as plain text of at most `limit` characters, for meta descriptions.

    Formulas appear as their TeX source and are kept whole, as are Latin words.
    """
    pieces: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "inline" and index and tokens[index - 1].type == "paragraph_open":
            for child in walk_tokens(token.children or (), alt_text=False):
                if child.type == "math_inline":
                    pieces.append(child.content)
                elif child.type in ("text", "code_inline"):
                    pieces += _PIECE.findall(child.content)
                elif child.type in BREAK_TYPES:
                    pieces.append(" ")
            pieces.append(" ")
        if sum(map(len, pieces)) > limit:
            break
    text = ""
    for piece in (re.sub(r"\s+", " ", piece) for piece in pieces):
        if len(text) + len(piece) > limit:
            return re.sub(r"\s+", " ", text).strip() + ELLIPSIS
        text += piece
    return re.sub(r"\s+", " ", text).strip()


def _blocks(tokens: list[Token]) -> list[list[Token]]:
    """Top-level blocks: each opening token with everything up to its matching close."""
    blocks: list[list[Token]] = []
    depth = 0
    for token in tokens:
        if depth == 0:
            blocks.append([])
        blocks[-1].append(token)
        depth += token.nesting
    return blocks


def _token_units(token: Token) -> int:
    """A formula is one unit; text and code count their CJK characters and Latin words."""
    if token.type == "math_inline":
        return 1
    return units(token.content) if token.type in ("text", "code_inline") else 0


def _inline_units(inline: Token) -> int:
    return sum(map(_token_units, walk_tokens(inline.children or (), alt_text=False)))


def _block_units(block: list[Token]) -> int:
    return sum(
        _inline_units(token) if token.type == "inline" else 1 if token.type == "math_block" else 0
        for token in block
    )


def _choose_blocks(tokens: list[Token], limit: int) -> tuple[list[Token], bool]:
    chosen: list[Token] = []
    used = 0
    skipped_after_content = False
    for block in _blocks(tokens):
        block, dropped = _without_display_math(block)
        skipped_after_content = skipped_after_content or dropped
        if not block or block[0].type in _SKIPPED_BLOCKS:
            missed = bool(block) and block[0].type not in _NOT_CONTENT
            skipped_after_content = skipped_after_content or (missed and bool(chosen))
            continue
        size = _block_units(block)
        if used + size <= limit:
            chosen.extend(block)
            used += size
            continue
        if used < limit // 2:
            # Too little so far to stop at a block boundary: cut into this block's prose.
            chosen.extend(_cut_first_paragraph(block, limit - used))
        return chosen, True
    return chosen, skipped_after_content


def _cut_first_paragraph(block: list[Token], limit: int) -> list[Token]:
    """The block's first paragraph, cut to `limit` units, as a standalone paragraph."""
    for index, token in enumerate(block):
        if token.type == "inline" and block[index - 1].type == "paragraph_open":
            opening, closing = _paragraph_tokens()
            cut = token.copy()
            cut.children = _cut_children(token.children or [], limit)
            return [opening, cut, closing]
    return []


def _cut_children(children: list[Token], limit: int) -> list[Token]:
    """Keep inline tokens up to `limit` units, ending at a sentence end when there is one.

    Only plain text is ever split; a link, emphasis, formula or code span is taken whole when it
    fits and left out whole when it does not.
    """
    kept: list[Token] = []
    used = 0
    last_sentence_end: int | None = None  # len(kept) just after the last complete sentence
    index = 0
    while index < len(children):
        child = children[index]
        if child.type == "text":
            size = units(child.content)
            if used + size > limit:
                text = _cut_text(child.content, limit - used)
                sentence = _last_sentence_end(text)
                if sentence:
                    return [*kept, _text_token(sentence)]
                if last_sentence_end is not None:
                    return kept[:last_sentence_end]
                return [*kept, _text_token(text)] if text else kept
            used += size
            kept.append(child)
            if _last_sentence_end(child.content) == child.content.rstrip():
                last_sentence_end = len(kept)
            index += 1
            continue
        end = _group_end(children, index)
        group = children[index:end]
        size = sum(_token_units(token) for token in group)
        if used + size > limit:
            return kept[:last_sentence_end] if last_sentence_end is not None else kept
        kept.extend(group)
        used += size
        index = end
    return kept


def _group_end(children: list[Token], start: int) -> int:
    """Index just past the token at `start` and, if it opens a group, past its matching close."""
    depth = 0
    for index in range(start, len(children)):
        depth += children[index].nesting
        if depth <= 0:
            return index + 1
    return len(children)


def _cut_text(text: str, budget: int) -> str:
    """The longest prefix of `text` within `budget` units, ending between words."""
    used = 0
    index = 0
    while index < len(text) and used <= budget:
        char = text[index]
        if is_cjk(char):
            if units(char):
                used += 1
            if used > budget:
                break
            index += 1
        elif char.isspace():
            index += 1
        else:
            end = index
            while end < len(text) and not text[end].isspace() and not is_cjk(text[end]):
                end += 1
            used += 1
            if used > budget:
                break
            index = end
    return text[:index]


def _last_sentence_end(text: str) -> str:
    ends = list(_SENTENCE_END.finditer(text))
    return text[: ends[-1].end()] if ends else ""


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _trim_end(text: str) -> str:
    """`text` without trailing spaces and punctuation (a loop, not a `[…]+$` regex, which takes
    quadratic time on a long run of them that is not at the end)."""
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] in _TRAILING_PUNCTUATION):
        end -= 1
    return text[:end]


def _with_ellipsis(tokens: list[Token]) -> list[Token]:
    """Put `…` at the end of the last paragraph, or in a paragraph of its own."""
    result = list(tokens)
    if len(result) >= 3 and result[-1].type == "paragraph_close" and result[-1].level == 0:
        inline = result[-2].copy()
        children = list(inline.children or [])
        if children and children[-1].type == "text":
            trimmed = _trim_end(children[-1].content)
            children[-1] = _text_token(trimmed)
        children.append(_text_token(ELLIPSIS))
        inline.children = children
        result[-2] = inline
        return result
    opening, closing = _paragraph_tokens()
    return [*result, opening, _text_token(ELLIPSIS), closing]


def _paragraph_tokens() -> tuple[Token, Token]:
    opening, closing = Token("paragraph_open", "p", 1), Token("paragraph_close", "p", -1)
    opening.block = closing.block = True
    return opening, closing


def _is_display_math(token: Token) -> bool:
    return token.type == "math_block" or (
        token.type == "math_inline" and bool(token.meta.get("display"))
    )


def _without_display_math(tokens: list[Token]) -> tuple[list[Token], bool]:
    """`tokens` without display equations (a `$$` block, or `$$…$$` inside a paragraph) and
    without the paragraphs that held nothing else; and whether there was one to drop."""
    kept: list[Token] = []
    dropped = False
    for token in tokens:
        if token.type == "math_block":
            dropped = True
            continue
        if token.type == "inline" and any(map(_is_display_math, token.children or ())):
            dropped = True
            token = token.copy()
            token.children = [c for c in token.children or () if not _is_display_math(c)]
        kept.append(token)
    return _without_empty_paragraphs(kept), dropped


def _without_empty_paragraphs(tokens: list[Token]) -> list[Token]:
    kept: list[Token] = []
    index = 0
    while index < len(tokens):
        window = tokens[index : index + 3]
        if [t.type for t in window] == ["paragraph_open", "inline", "paragraph_close"] and not any(
            child.type != "softbreak" and (child.type != "text" or child.content.strip())
            for child in window[1].children or ()
        ):
            index += 3
            continue
        kept.append(tokens[index])
        index += 1
    return kept


def _without_footnote_refs(tokens: list[Token]) -> list[Token]:
    """Footnote markers point into the post page; on a card they would be broken links."""
    cleaned: list[Token] = []
    for token in tokens:
        if token.children and any(c.type == "footnote_ref" for c in token.children):
            token = token.copy()
            token.children = [c for c in token.children or () if c.type != "footnote_ref"]
        cleaned.append(token)
    return cleaned
