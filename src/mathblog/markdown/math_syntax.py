"""Math delimiters for markdown-it: `$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]` and `\\begin{env}` blocks.

The rules run before markdown's own, so nothing inside a formula is ever read as markdown. A core
rule then converts every formula once, in document order (so equation numbers count up through a
post), and stores the HTML on the token; rendering the same tokens again (for an excerpt) costs
nothing and reports nothing twice.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import table as gfm_table
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from mathblog.errors import Diagnostic
from mathblog.markdown.inline_text import inline_text
from mathblog.math.delimiters import (
    Verdict,
    backslash_verdict,
    dollar_verdict,
    is_blank,
    reads_as_text,
)
from mathblog.math.engine import MathEngine, MathRenderError
from mathblog.math.environments import BLOCK_OPENERS
from mathblog.math.numbering import EquationNumbering
from mathblog.math.tex import find_unescaped, is_escaped
from mathblog.util import timings

_BEGIN_ENV = re.compile(r"\\begin\{((?:" + "|".join(BLOCK_OPENERS) + r")\*?)\}")
ENV_KEY = "math"
_BACKSLASH_OPENER = re.compile(r"\\\\?[(\[]")
_BARE_REFERENCE = re.compile(r"\\(?:eq)?ref\{[^{}\n]+\}")


@dataclass(slots=True)
class MathContext:
    """What the core rule needs from the build: the engine and where the text came from.

    `source` is the parsed text itself, used to find a formula's column; `first_line` is the file
    line the text starts on.
    """

    engine: MathEngine | None
    path: str = ""
    first_line: int = 1
    source: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(self, message: str, line: int | None, column: int | None, hint: str) -> None:
        file_line = self.first_line + line if line is not None else None
        self.diagnostics.append(
            Diagnostic(message, self.path, file_line, column if file_line else None, hint)
        )


def math_plugin(md: MarkdownIt) -> None:
    # Before "code": notes often indent a `$$` block by four spaces, and never mean it as code.
    md.block.ruler.before(
        "code",
        "math_block",
        _math_block,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    md.core.ruler.after("normalize", "math_backslash_usage", _note_backslash_usage)
    md.inline.ruler.before("escape", "math_inline", _math_inline)
    md.block.ruler.at("table", _table_keeping_formulas, {"alt": ["paragraph", "reference"]})
    md.core.ruler.after("inline", "math_render", _render_formulas)
    md.add_render_rule("math_inline", _render_inline)
    md.add_render_rule("math_block", _render_block)
    md.add_render_rule("image", _render_image)


# --- single-backslash delimiters ---------------------------------------------------------------

_USES_BACKSLASH_MATH = "math_single_backslash"


def _note_backslash_usage(state: StateCore) -> None:
    """A note that writes `\\(\\sqrt5\\)` elsewhere means `\\(1\\)` as math too, not as "(1)"."""
    state.env[_USES_BACKSLASH_MATH] = _has_tex_in_single_backslashes(state.src)


def _has_tex_in_single_backslashes(src: str) -> bool:
    start = src.find("\\(")
    while start >= 0:
        close = src.find("\\)", start + 2)
        if close < 0:
            return False
        if not is_escaped(src, start) and backslash_verdict(src[start + 2 : close]) is Verdict.MATH:
            return True
        start = src.find("\\(", close + 2)
    return False


def _single_backslash_verdict(env: EnvType, content: str) -> Verdict:
    verdict = backslash_verdict(content)
    if verdict is not Verdict.MATH and env.get(_USES_BACKSLASH_MATH) and not reads_as_text(content):
        return Verdict.MATH
    return verdict


# --- tables ----------------------------------------------------------------------------------


def _table_keeping_formulas(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """GFM's table rule, but `|` and `\\|` inside a formula belong to the formula: `$|x|$` does
    not split the row and `$\\|x\\|$` keeps its backslash (a norm, as outside a table).

    The rule reads a copy of the text whose formula pipes are a character the text lacks (same
    length, so every offset holds); the cells it makes get their pipes back."""
    if start + 1 >= end or not _is_delimiter_row(_line_text(state, start + 1)):
        return gfm_table(state, start, end, silent)  # the cheap check first: most lines
    guarded = _guarded_source(state)
    if guarded is None:
        return gfm_table(state, start, end, silent)
    original, (state.src, stand_in) = state.src, guarded
    first_new = len(state.tokens)
    try:
        return gfm_table(state, start, end, silent)
    finally:
        state.src = original
        for token in state.tokens[first_new:]:
            token.content = token.content.replace(stand_in, "|")


def _guarded_source(state: StateBlock) -> tuple[str, str] | None:
    """The text with every pipe inside a formula swapped out, made once per parse."""
    cached = state.__dict__.get("_math_guarded_source")
    if cached is not None and cached[0] is state.src:
        return cast(tuple[str, str] | None, cached[1])
    src = state.src
    spans = [
        (offset + a, offset + b)
        for line in range(state.lineMax)
        if "|" in (text := src[(offset := state.bMarks[line]) : state.eMarks[line]])
        and ("$" in text or "\\" in text)
        for a, b in _formula_spans(text, state.env)
        if "|" in text[a:b]
    ]
    guarded: tuple[str, str] | None = None
    if spans:
        stand_in = next(chr(code) for code in range(0xE000, 0xF900) if chr(code) not in src)
        pieces, last = [], 0
        for a, b in spans:
            pieces += [src[last:a], src[a:b].replace("|", stand_in)]
            last = b
        guarded = "".join([*pieces, src[last:]]), stand_in
    state.__dict__["_math_guarded_source"] = (src, guarded)
    return guarded


def _line_text(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _is_delimiter_row(text: str) -> bool:
    return "-" in text and not text.strip(" \t|:-")


def _formula_spans(text: str, env: EnvType) -> Iterator[tuple[int, int]]:
    """Where the inline rule would find formulas in one table row, delimiters included."""
    pos = 0
    missing: set[str] = set()  # a closer not found once is not after any later opener either
    while pos < len(text):
        char = text[pos]
        if char == "\\" and (opener := _BACKSLASH_OPENER.match(text, pos)):
            closer = opener.group()[:-1] + (")" if opener.group().endswith("(") else "]")
            close = -1 if closer in missing else text.find(closer, opener.end())
            if close < 0:
                missing.add(closer)
            content = text[opener.end() : close]
            single = len(opener.group()) == 2
            if close >= 0 and (
                not single or _single_backslash_verdict(env, content) is Verdict.MATH
            ):
                yield pos, close + len(closer)
                pos = close + len(closer)
                continue
        if char == "\\":
            pos += 2
            continue
        if char == "$":
            closer = "$$" if text.startswith("$$", pos) else "$"
            close = -1 if closer in missing else find_unescaped(text, closer, pos + len(closer))
            if close < 0:
                missing.add(closer)
            content = text[pos + len(closer) : close]
            digit_after = text[close + len(closer) : close + len(closer) + 1].isdigit()
            if close >= 0 and (
                closer == "$$" or dollar_verdict(content, digit_after=digit_after) is Verdict.MATH
            ):
                yield pos, close + len(closer)
                pos = close + len(closer)
                continue
        pos += 1


# --- block rule -------------------------------------------------------------------------------


def _math_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    pos = state.bMarks[start] + state.tShift[start]
    first = state.src[pos : state.eMarks[start]]
    if first.startswith("$$"):
        opener, closer, keep_delimiters = "$$", "$$", False
    elif first.startswith("\\["):
        opener, closer, keep_delimiters = "\\[", "\\]", False
    elif env := _BEGIN_ENV.match(first):
        opener, closer, keep_delimiters = env.group(), f"\\end{{{env.group(1)}}}", True
    else:
        return False

    pieces: list[str] = []
    line = start
    search_from = len(opener)
    while line < end:
        begin = state.bMarks[line] + state.tShift[line]
        text = state.src[begin : state.eMarks[line]]
        if line > start and state.sCount[line] < state.blkIndent and text.strip():
            return False  # the enclosing list item or quote ended before the formula did
        found = text.find(closer, search_from if line == start else 0)
        if found >= 0:
            if text[found + len(closer) :].strip():
                return False  # text after the closer: an inline formula inside a paragraph
            pieces.append(text[: found + (len(closer) if keep_delimiters else 0)])
            break
        pieces.append(text)
        line += 1
    else:
        return False
    if silent:
        return True

    tex = "\n".join(pieces)
    if not keep_delimiters:
        tex = tex[len(opener) :].strip()
    if opener == "\\[" and _single_backslash_verdict(state.env, tex) is not Verdict.MATH:
        return False  # `\[解析\]` on a line of its own: escaped brackets, read as a paragraph
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = tex
    token.markup = opener
    token.map = [start, line + 1]
    state.line = line + 1
    return True


# --- inline rule ------------------------------------------------------------------------------


def _math_inline(state: StateInline, silent: bool) -> bool:
    src, pos, stop = state.src, state.pos, state.posMax
    char = src[pos]
    if char == "$" and (github := _github_math(src, pos, stop)) is not None:
        content, display, after, markup = github[0], False, github[1], "$`"
    elif char == "$":
        if src.startswith("$$", pos):
            close = _find_closer(state, "$$", pos + 2, stop)
            if close < 0 or not src[pos + 2 : close].strip():
                return False
            content, display, after, markup = src[pos + 2 : close], True, close + 2, "$$"
        else:
            not_openers: set[int] = state.__dict__.setdefault("_math_not_openers", set())
            if pos in not_openers:
                return False
            close = _find_closer(state, "$", pos + 1, stop)
            if close < 0:
                return False
            content = src[pos + 1 : close]
            digit_after = close + 1 < stop and src[close + 1].isdigit()
            verdict = dollar_verdict(content, digit_after=digit_after)
            if verdict is not Verdict.MATH:
                if verdict is Verdict.AMBIGUOUS and not silent:
                    _note_ambiguous(state, pos, src[pos : close + 1], AMBIGUOUS_DOLLARS)
                if not content[0].isdigit() and (close + 1 >= stop or is_blank(src[close + 1])):
                    # `$a to b $ end, a $`: the closer of prose opens nothing, or the prose after
                    # it pairs up shifted. After a price (`$5 and $ x $`) it opens as usual.
                    not_openers.add(close)
                return False
            display, after, markup = False, close + 1, "$"
    elif char == "\\" and (reference := _BARE_REFERENCE.match(src, pos, stop)):
        # `如式 \eqref{eq:loss} 所示`: a reference written in prose, as MathJax allows.
        content, display, after, markup = reference.group(), False, reference.end(), ""
    elif char == "\\" and (opener := _BACKSLASH_OPENER.match(src, pos, stop)):
        # `\\(x\\)`: Hugo, Hexo and Jekyll users double the backslash so that their markdown
        # hands `\(x\)` to MathJax; here it means the same formula, whatever it holds.
        markup = opener.group()
        closer = markup[:-1] + (")" if markup.endswith("(") else "]")
        close = _find_closer(state, closer, opener.end(), stop, escapes=False)
        if close < 0 or not src[opener.end() : close].strip():
            return False
        content, after = src[opener.end() : close], close + len(closer)
        display = markup.endswith("[")
        single = len(markup) == 2
        if (
            single
            and (verdict := _single_backslash_verdict(state.env, content)) is not Verdict.MATH
        ):
            # A single backslash is CommonMark's escape: `\(1\)` is "(1)", `\[解析\]` "[解析]".
            if verdict is Verdict.AMBIGUOUS and not silent:
                _note_ambiguous(state, pos, src[pos:after], AMBIGUOUS_BACKSLASH)
            return False
    else:
        return False
    if not silent:
        token = state.push("math_inline", "math", 0)
        token.content = content.strip() if display else content
        token.markup = markup
        token.meta = {"offset": pos, "display": display}
    state.pos = after
    return True


def _github_math(src: str, pos: int, stop: int) -> tuple[str, int] | None:
    """GitHub's inline math, ``$`\\sqrt{2}`$`` (a code span between dollars, so that other
    markdown shows the TeX as code): its TeX and where it ends, or None."""
    ticks = pos + 1
    while ticks < stop and src[ticks] == "`":
        ticks += 1
    fence = src[pos + 1 : ticks]
    if not fence:
        return None
    close = src.find(fence + "$", ticks, stop)
    while close > 0 and src[close - 1] == "`":  # a longer run of backticks closes nothing
        close = src.find(fence + "$", close + len(fence) + 1, stop)
    if close < 0 or not src[ticks:close].strip():
        return None
    return src[ticks:close].strip(), close + len(fence) + 1


AMBIGUOUS_DOLLARS = (
    "math: `{text}` is left as text: with a space inside the dollars (or a digit after them) it "
    "could be a price or prose"
)
AMBIGUOUS_BACKSLASH = (
    "math: `{text}` is left as text: a single backslash before a bracket is a markdown escape "
    "unless the formula is clearly TeX"
)
_AMBIGUOUS_HINTS = {
    AMBIGUOUS_DOLLARS: "write \\$ for a dollar sign, or drop the spaces inside the dollars if "
    "it is a formula",
    AMBIGUOUS_BACKSLASH: "write $…$ if it is a formula, or leave out the backslashes if not",
}
_AMBIGUOUS_KEY = "math_ambiguous"


def _note_ambiguous(state: StateInline, pos: int, text: str, message: str) -> None:
    """Remembered per inline text and offset; the core rule reports it at its file:line."""
    notes: dict[str, set[tuple[int, str, str]]] = state.env.setdefault(_AMBIGUOUS_KEY, {})
    snippet = text if len(text) <= 40 else text[:37] + "…"
    notes.setdefault(state.src, set()).add((pos, message.format(text=snippet), message))


def _find_closer(
    state: StateInline, closer: str, start: int, stop: int, *, escapes: bool = True
) -> int:
    """Where `closer` is next, or -1. A search that failed is remembered, so a storm of openers
    (`$$$$…`, `\\(\\(\\(…`) costs linear time, not quadratic: no closer after `start` means
    none after any later start either."""
    misses: dict[str, tuple[int, int]] = state.__dict__.setdefault("_math_closer_misses", {})
    missed = misses.get(closer)
    if missed is not None and missed[0] <= start and stop <= missed[1]:
        return -1
    found = (
        find_unescaped(state.src, closer, start, stop)
        if escapes
        else state.src.find(closer, start, stop)
    )
    if found < 0:
        misses[closer] = (start, stop)
    return found


# --- conversion -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a formula starts in the parsed text: 0-based line, 1-based column (if known)."""

    line: int | None
    column: int | None


def _column(lines: list[str], line: int, fragment: str) -> int | None:
    if not 0 <= line < len(lines) or not fragment:
        return None
    found = lines[line].find(fragment)
    return found + 1 if found >= 0 else None


def _formulas(tokens: list[Token], lines: list[str]) -> Iterator[tuple[Token, _Place]]:
    """Every math token in document order, with where it starts in the parsed text."""
    for token in tokens:
        if token.type == "math_block":
            line = token.map[0] if token.map else None
            column = _column(lines, line, token.markup) if line is not None else None
            yield token, _Place(line, column)
        elif token.children:
            yield from _inline_formulas(token, lines)


def _inline_formulas(token: Token, lines: list[str]) -> Iterator[tuple[Token, _Place]]:
    """The formulas of one inline token; offsets only grow, so each line is looked at once
    (a paragraph of thousands of formulas on one line stays linear)."""
    content = token.content
    line = token.map[0] if token.map else 0
    line_start = 0
    column: int | None = None
    known_line = -1
    for child in token.children or ():
        if child.type != "math_inline":
            continue
        if not token.map:
            yield child, _Place(None, None)
            continue
        offset = child.meta["offset"]
        if offset < line_start:  # not in order after all: start again from the top
            line, line_start, known_line = token.map[0], 0, -1
        newline = content.find("\n", line_start, offset)
        while newline >= 0:
            line += 1
            line_start = newline + 1
            newline = content.find("\n", line_start, offset)
        if known_line != line:
            line_end = content.find("\n", line_start)
            text = content[line_start : line_end if line_end >= 0 else None]
            column, known_line = _column(lines, line, text), line
        yield child, _Place(line, None if column is None else column + offset - line_start)


@timings.timed("math")
def _render_formulas(state: StateCore) -> None:
    context = state.env.get(ENV_KEY)
    if not isinstance(context, MathContext):
        context = MathContext(None)
    lines = context.source.split("\n")
    numbering = EquationNumbering()
    formulas = [
        (token, place, numbering.prepare(token.content, display=_is_display(token)))
        for token, place in _formulas(state.tokens, lines)
    ]
    if context.engine is None:
        for token, _, _ in formulas:
            token.meta["html"] = html.escape(token.content)
        _report_ambiguous(state, context, lines)
        return
    # All of them at once: the engine converts what it has not cached in one batch.
    wanted = [
        (prepared.tex, _is_display(token))
        for token, _, prepared in formulas
        if prepared.only_reference is None
    ]
    results = iter(context.engine.render_all(wanted))
    for token, place, prepared in formulas:
        problems = list(prepared.problems)
        converted = None if prepared.only_reference is not None else next(results)
        if isinstance(converted, MathRenderError):
            exc = converted
            column = place.column
            exact = prepared.tex == token.content and token.type == "math_inline"
            if (
                column is not None
                and exc.offset is not None
                and exact
                and "\n" not in token.content[: exc.offset]
            ):
                column += len(token.markup) + exc.offset  # point at the offending character
            context.report(f"math: {exc.message}", place.line, column, _hint(token))
            token.meta["html"] = _error_html(token, exc.message, _is_display(token))
        else:
            token.meta["html"], found = numbering.finish(prepared, converted)
            problems += found
        for problem in problems:
            context.report(f"math: {problem}", place.line, place.column, _hint(token))
    _report_ambiguous(state, context, lines)


def _report_ambiguous(state: StateCore, context: MathContext, lines: list[str]) -> None:
    """Delimiters the inline rule could not call math or text, at their file:line."""
    notes = state.env.get(_AMBIGUOUS_KEY)
    if not isinstance(notes, dict):
        return
    for token in state.tokens:
        found = notes.get(token.content) if token.type == "inline" else None
        for offset, message, kind in sorted(found or ()):
            place = _place_in(token, offset, lines)
            context.report(message, place.line, place.column, _AMBIGUOUS_HINTS[kind])


def _place_in(token: Token, offset: int, lines: list[str]) -> _Place:
    if not token.map:
        return _Place(None, None)
    content = token.content
    line = token.map[0] + content.count("\n", 0, offset)
    line_start = content.rfind("\n", 0, offset) + 1
    line_end = content.find("\n", offset)
    column = _column(lines, line, content[line_start : line_end if line_end >= 0 else None])
    return _Place(line, None if column is None else column + offset - line_start)


def _is_display(token: Token) -> bool:
    return token.type == "math_block" or bool(token.meta.get("display"))


def _hint(token: Token) -> str:
    snippet = token.content if len(token.content) <= 60 else token.content[:57] + "…"
    return f"in the formula: {snippet}"


def _error_html(token: Token, message: str, display: bool) -> str:
    source = token.content
    if token.type == "math_inline" and token.markup in ("$", "$$"):
        source = f"{token.markup}{source}{token.markup}"
    tag = "div" if token.type == "math_block" else "span"
    classes = "math-error math-display" if display else "math-error"
    return (
        f'<{tag} class="{classes}" title="{html.escape(message)}">'
        f"<code>{html.escape(source)}</code></{tag}>"
    )


# --- render rules -----------------------------------------------------------------------------


def _stored_html(token: Token) -> str:
    stored = token.meta.get("html")
    return stored if isinstance(stored, str) else html.escape(token.content)


def _render_inline(
    self: object, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _stored_html(tokens[idx])


def _render_block(
    self: object, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    inner = _stored_html(tokens[idx])
    if inner.startswith("<div"):
        return inner + "\n"
    return f'<div class="math-display">{inner}</div>\n'


def _render_image(
    self: RendererProtocol, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image whose alt text holds a formula keeps its TeX there (`![$x$](a.png)` → alt "x"),
    written as the plain text of titles is: markdown's own alt text would drop the formula."""
    token = tokens[idx]
    token.attrSet("alt", inline_text(token.children or []))
    return str(self.renderToken(tokens, idx, options, env))  # type: ignore[attr-defined]
