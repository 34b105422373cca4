"""Chinese typography for markdown-it: emphasis next to CJK punctuation, line breaks, spacing.

- CommonMark decides whether `**` opens or closes from the characters around it. `**“引号”**后`
  fails there: the closing `**` follows punctuation and precedes a letter, so it is not
  "right-flanking". We treat a CJK character next to a delimiter run like the space an English
  writer would have put there (the rule proposed as "CJK-friendly emphasis").
- A line break inside a paragraph between two CJK characters is dropped: Chinese has no spaces,
  so the browser's usual space would show as a gap mid-sentence.
- Optionally, a space between CJK and Latin letters or digits in prose (never in code or math).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Scanned
from markdown_it.token import Token
from markdown_it.utils import EnvType

from mathblog.util.lazy_pattern import LazyPattern
from mathblog.util.text import Cjk, cjk_ranges, is_cjk

_IDEOGRAPHS = cjk_ranges(Cjk.IDEOGRAPH)
# For `cjk_latin_spacing` only, so compiled when first used: a class of CJK ranges takes re
# 4 ms to compile (it maps every character of them), and every parsing worker imports this.
_CJK_THEN_LATIN = LazyPattern(f"([{_IDEOGRAPHS}])([A-Za-z0-9])")
_LATIN_THEN_CJK = LazyPattern(f"([A-Za-z0-9])([{_IDEOGRAPHS}])")
_IDEOGRAPH = LazyPattern(f"[{_IDEOGRAPHS}]")


class _CjkStateInline(StateInline):
    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:
        pos = start
        maximum = self.posMax
        marker = self.src[start]
        last = self.src[start - 1] if start > 0 else " "
        while pos < maximum and self.src[pos] == marker:
            pos += 1
        following = self.src[pos] if pos < maximum else " "

        last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
        next_punct = isMdAsciiPunct(ord(following)) or isPunctChar(following)
        last_space = isWhiteSpace(ord(last))
        next_space = isWhiteSpace(ord(following))
        # The one change to CommonMark: a CJK neighbour counts like whitespace for flanking.
        last_open = last_space or last_punct or is_cjk(last)
        next_open = next_space or next_punct or is_cjk(following)

        left_flanking = not next_space and (not next_punct or last_open)
        right_flanking = not last_space and (not last_punct or next_open)
        can_open = left_flanking and (canSplitWord or not right_flanking or last_punct)
        can_close = right_flanking and (canSplitWord or not left_flanking or next_punct)
        return Scanned(can_open, can_close, pos - start)


class _CjkParserInline(ParserInline):
    def parse(self, src: str, md: MarkdownIt, env: EnvType, tokens: list[Token]) -> list[Token]:
        state = _CjkStateInline(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens


def cjk_plugin(md: MarkdownIt, *, spacing: bool = False) -> None:
    """Call after every other plugin: it takes over the inline parser with all its rules."""
    inline = _CjkParserInline()
    vars(inline).update(vars(md.inline))
    md.inline = inline
    md.core.ruler.after("inline", "cjk_line_breaks", _join_cjk_lines)
    if spacing:
        md.core.ruler.after("cjk_line_breaks", "cjk_spacing", _space_cjk_and_latin)


def _neighbour_text(children: Sequence[Token], index: int, step: int) -> str | None:
    """The nearest text character before (`step=-1`) or after (`step=1`) children[index]."""
    index += step
    while 0 <= index < len(children):
        child = children[index]
        if child.type == "text":
            if child.content:
                return child.content[-1] if step < 0 else child.content[0]
        elif child.nesting == 0:  # code, math, an image, a break: not text we can join
            return None
        index += step
    return None


def _inline_children(state: StateCore) -> Iterator[list[Token]]:
    for token in state.tokens:
        if token.type == "inline" and token.children:
            yield token.children


def _join_cjk_lines(state: StateCore) -> None:
    for children in _inline_children(state):
        for index, child in enumerate(children):
            if child.type != "softbreak":
                continue
            before = _neighbour_text(children, index, -1)
            after = _neighbour_text(children, index, 1)
            if before and after and is_cjk(before) and is_cjk(after):
                child.type, child.tag, child.content = "text", "", ""


def _space_cjk_and_latin(state: StateCore) -> None:
    for children in _inline_children(state):
        for index, child in enumerate(children):
            if child.type != "text":
                continue
            text = _LATIN_THEN_CJK.sub(r"\1 \2", _CJK_THEN_LATIN.sub(r"\1 \2", child.content))
            # Next to inline code or math (`中文$x$`) the space goes on the text side.
            if (
                text
                and _IDEOGRAPH.match(text[-1])
                and index + 1 < len(children)
                and children[index + 1].type in ("math_inline", "code_inline")
            ):
                text += " "
            if (
                text
                and _IDEOGRAPH.match(text[0])
                and index > 0
                and children[index - 1].type in ("math_inline", "code_inline")
            ):
                text = " " + text
            child.content = text
