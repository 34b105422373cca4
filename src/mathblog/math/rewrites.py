"""TeX that real notes use and math-core does not know, rewritten into TeX it does.

Each rewrite is chosen from failures seen in the real-notes corpus (`tests/corpus/`) and has a
fixture in `tests/fixtures/math_rewrites.md`. A rewrite keeps the meaning and never invents
content: what cannot be expressed (a background colour, a hyperlink target) is dropped, and what
is only spacing or sizing becomes nothing. Bump `REWRITES_VERSION` whenever the output of
`rewrite()` changes, so cached conversions are not reused.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from mathblog.math.environments import engine_names
from mathblog.math.tex import (
    Argument,
    commands,
    is_escaped,
    read_argument,
    read_optional,
    skip_spaces,
    split_top_level,
)
from mathblog.util.text import CJK_CHAR

# A command, a control symbol, or a lone `\\` at the very end.
_COMMAND_OR_SYMBOL = re.compile(r"\\([A-Za-z]+)|\\.|\\\Z", re.DOTALL)

REWRITES_VERSION = "3"

# Same meaning, another name.
_RENAMED = {
    "pmb": "boldsymbol",
    "mbox": "text",
    "hbox": "text",
    "mathds": "mathbb",
    "mathbbm": "mathbb",
    "widetilde": "tilde",
    "widecheck": "check",
    # amsmath's semantic dots
    "dotsc": "ldots",
    "dotso": "ldots",
    "dotsb": "cdots",
    "dotsm": "cdots",
    "dotsi": "cdots",
    "mathellipsis": "ldots",
}
_RENAMED_PATTERN = re.compile(r"\\(" + "|".join(_RENAMED) + r")(?![A-Za-z])")
# Sizes and numbering switches: nothing to render (numbering is `math_numbering`'s job).
_DROPPED = (
    "tiny",
    "scriptsize",
    "footnotesize",
    "small",
    "normalsize",
    "large",
    "Large",
    "LARGE",
    "huge",
    "Huge",
    "nonumber",
    "notag",
    "allowbreak",
)
_DROPPED_PATTERN = re.compile(r"\\(?:" + "|".join(_DROPPED) + r")(?![A-Za-z])\s*")
# `\cmd[opt]{...}{content}`: keep only the content.
_UNWRAPPED = {"smash": 0, "colorbox": 1, "bbox": 0, "href": 1}
_ENVIRONMENTS = engine_names()
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|nbsp|#[0-9]{1,6}|#x[0-9A-Fa-f]{1,6});")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_TEXT_COMMANDS = frozenset(
    {
        *("text", "textrm", "textbf", "textit", "texttt", "textsf", "textnormal", "mbox"),
        *("hbox", "operatorname", "mathrm", "label", "tag", "eqref", "ref", "emph"),
    }
)
_CJK_RUN = re.compile(f"(?:{CJK_CHAR.pattern})+")


def rewrite(tex: str) -> str:
    """`tex` in the dialect math-core understands; unchanged if it already does."""
    for step in _STEPS:
        tex = step(tex)
    return tex


def _decode_entities(tex: str) -> str:
    # Notes written for MathJax in a web page escape `<` as `&lt;`: the browser decoded it before
    # MathJax read it, so we decode it too. Only complete references; `a &= b` is left alone.
    return _ENTITY.sub(lambda match: html.unescape(match.group()), tex) if "&" in tex else tex


def _undouble_row_breaks(tex: str) -> str:
    # Written for a markdown that unescapes `\\\\` to `\\` before MathJax: if every row break
    # is doubled, the author meant single ones (two in a row would be an empty row).
    doubled = "\\" * 4
    if doubled not in tex or "\\\\" in tex.replace(doubled, ""):
        return tex
    return tex.replace(doubled, "\\\\")


def _remove_invisible(tex: str) -> str:
    # Copied from web pages, formulas carry zero-width spaces that would become empty <mi>s.
    return _INVISIBLE.sub("", tex)


def _rename_commands(tex: str) -> str:
    return _RENAMED_PATTERN.sub(lambda match: "\\" + _RENAMED[match.group(1)], tex)


def _drop_switches(tex: str) -> str:
    return _DROPPED_PATTERN.sub("", tex)


def _replace_command(
    tex: str, name: str, build: Callable[[str, int], tuple[str, int] | None]
) -> str:
    """Replace each `\\name…` by `build(tex, position_after_name)` → (replacement, end)."""
    pos = 0
    while True:
        start = next(commands(tex[pos:], name), None)
        if start is None:
            return tex
        start += pos
        built = build(tex, start + len(name) + 1)
        if built is None:
            pos = start + 1
            continue
        replacement, end = built
        tex = tex[:start] + replacement + tex[end:]
        pos = start + len(replacement) if replacement.startswith("\\" + name) else start


def _arguments(tex: str, pos: int, count: int) -> list[Argument] | None:
    found: list[Argument] = []
    for _ in range(count):
        argument = read_argument(tex, pos)
        if argument is None:
            return None
        found.append(argument)
        pos = argument.end
    return found


def _unwrap(tex: str) -> str:
    for name, skipped in _UNWRAPPED.items():

        def build(source: str, pos: int, skipped: int = skipped) -> tuple[str, int] | None:
            optional = read_optional(source, pos)
            if optional is not None:
                pos = optional.end
            arguments = _arguments(source, pos, skipped + 1)
            if arguments is None:
                return None
            return "{" + arguments[-1].text + "}", arguments[-1].end

        tex = _replace_command(tex, name, build)
    return tex


def _circled(text: str) -> str | None:
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= 20:
        return chr(0x2460 + int(text) - 1)
    if text == "0":
        return "\u24ea"
    if len(text) == 1 and "A" <= text <= "Z":
        return chr(0x24B6 + ord(text) - ord("A"))
    if len(text) == 1 and "a" <= text <= "z":
        return chr(0x24D0 + ord(text) - ord("a"))
    return None


def _url_as_code(target: str) -> str:
    # A link inside a formula is never emitted: the target is shown as code, not followed.
    return "\\texttt{" + re.sub(r"([_%#&$])", r"\\\1", re.sub(r"[\\{}^~]", "", target)) + "}"


# `\name{argument}` → the replacement made from the argument (None: leave it for the engine).
_ONE_ARGUMENT: dict[str, Callable[[str], str | None]] = {
    "require": lambda _: "",
    "textcircled": _circled,
    "url": _url_as_code,
    "substack": lambda rows: "\\begin{subarray}{c}" + rows + "\\end{subarray}",
    "displaylines": lambda rows: "\\begin{gathered}" + rows + "\\end{gathered}",
}


def _one_argument_commands(tex: str) -> str:
    for name, transform in _ONE_ARGUMENT.items():

        def build(
            source: str, pos: int, transform: Callable[[str], str | None] = transform
        ) -> tuple[str, int] | None:
            argument = read_argument(source, pos)
            replacement = transform(argument.text) if argument else None
            return (replacement, argument.end) if argument and replacement is not None else None

        tex = _replace_command(tex, name, build)
    return tex


def _mathop_limits(tex: str) -> str:
    """`\\mathop{X}\\limits_a^b` → `\\mathop{\\underset{a}{\\overset{b}{X}}}`: the scripts go under
    and over, and the `\\mathop` stays outermost so the engine still spaces it from its
    neighbours as an operator (`\\min_G \\max_D V`, not `minmaxV`)."""

    def build(source: str, pos: int) -> tuple[str, int] | None:
        operator = read_argument(source, pos)
        if operator is None:
            return None
        after = skip_spaces(source, operator.end)
        match = re.compile(r"\\(no)?limits(?![A-Za-z])").match(source, after)
        if match is None:
            return None
        if match.group(1):  # \nolimits: scripts stay at the side, which \mathop already does
            return "\\mathop{" + operator.text + "}", match.end()
        base = "{" + operator.text + "}"
        end = match.end()
        scripts: dict[str, str] = {}
        while (at := skip_spaces(source, end)) < len(source) and source[at] in "_^":
            script = read_argument(source, at + 1)
            if script is None or source[at] in scripts:
                return None
            scripts[source[at]] = script.text
            end = script.end
        if "^" in scripts:
            base = "{\\overset{" + scripts["^"] + "}" + base + "}"
        if "_" in scripts:
            base = "{\\underset{" + scripts["_"] + "}" + base + "}"
        return "\\mathop" + base, end

    return _replace_command(tex, "mathop", build)


_BEGIN = re.compile(r"\\begin\{(" + "|".join(re.escape(e) for e in _ENVIRONMENTS) + r")\}")


def _environments(tex: str) -> str:
    while match := _BEGIN.search(tex):
        name = match.group(1)
        end_marker = "\\end{" + name + "}"
        close = tex.find(end_marker, match.end())
        if close < 0:
            return tex
        body = tex[match.end() : close]
        if name.startswith("alignat") and (columns := read_argument(body, 0)) is not None:
            body = body[columns.end :]
        if name.endswith("matrix*") and (alignment := read_optional(body, 0)) is not None:
            body = body[alignment.end :]
        if name.startswith("eqnarray"):
            body = "\\\\".join(
                _merge_eqnarray_columns(row) for row in split_top_level(body, "\\\\")
            )
        new = _ENVIRONMENTS[name]
        if name == "smallmatrix":
            replacement = "{\\scriptstyle\\begin{matrix}" + body + "\\end{matrix}}"
        else:
            replacement = "\\begin{" + new + "}" + body + "\\end{" + new + "}"
        tex = tex[: match.start()] + replacement + tex[close + len(end_marker) :]
    return tex


def _merge_eqnarray_columns(row: str) -> str:
    # eqnarray is `rcl`; align is `rl`: the relation joins the right-hand side.
    cells = split_top_level(row, "&")
    if len(cells) < 3:
        return row
    rest = "&" + "&".join(cells[3:]) if len(cells) > 3 else ""
    return cells[0] + "&" + cells[1] + cells[2] + rest


def _cjk_as_text(tex: str) -> str:
    """Chinese written straight into math mode becomes `\\text{…}`, so it is set as words."""
    if not CJK_CHAR.search(tex):
        return tex
    out: list[str] = []
    last = 0
    for match in _CJK_RUN.finditer(tex):
        if _inside_text(tex, match.start()):
            continue
        before = tex[: match.start()].rstrip(" ")
        wrapped = "\\text{" + match.group() + "}"
        if before.endswith(("_", "^")):
            wrapped = "{" + wrapped + "}"
        out.append(tex[last : match.start()] + wrapped)
        last = match.end()
    out.append(tex[last:])
    return "".join(out)


def _inside_text(tex: str, index: int) -> bool:
    """True if `index` sits in the braces of `\\text{…}`-like command (text mode already)."""
    stack: list[bool] = []
    pending_text = False
    pos = 0
    while pos < index:
        char = tex[pos]
        if char == "\\":
            match = _COMMAND_OR_SYMBOL.match(tex, pos)
            assert match is not None
            pending_text = match.group(1) in _TEXT_COMMANDS if match.group(1) else False
            pos = match.end()
            continue
        if char == "{":
            stack.append(pending_text or (bool(stack) and stack[-1]))
        elif char == "}" and stack:
            stack.pop()
        if not char.isspace():
            pending_text = False
        pos += 1
    return bool(stack) and stack[-1]


# `\\[4pt]`: extra space under a row, which the engine would print as the text "[4pt]".
_ROW_SPACING = re.compile(
    r"(?<!\\)((?:\\\\)*\\\\)\s*\[\s*-?(?:\d+\.?\d*|\.\d+)\s*(?:pt|em|ex|mm|cm|in|mu|px|bp|pc)\s*\]"
)
# A row break right before an environment's end ends the last row; it starts no empty one.
_TRAILING_ROW_BREAK = re.compile(r"(?<!\\)((?:\\\\)*)\\\\\s*(\\end\{)")
_NEWLINE = re.compile(r"\\newline(?![A-Za-z])")
# `\pi*` is π times something, not a starred `\pi`: only these commands have a starred form,
# and of those the engine knows only the first ones; the others mean the same without the star.
_STARRED = re.compile(r"\\([A-Za-z]+)\*")
_HAS_STAR_FORM = frozenset({"operatorname", "tag"})
_STAR_CHANGES_NOTHING = frozenset({"newcommand", "renewcommand", "providecommand", "hspace"})
# Old font switches inside `\text{…}`, which the engine refuses in text mode.
_TEXT_SWITCHES = {
    "rm": "",
    "normalfont": "",
    "upshape": "",
    "mdseries": "",
    "bf": "textbf",
    "bfseries": "textbf",
    "it": "textit",
    "itshape": "textit",
    "sl": "textit",
    "em": "textit",
    "sf": "textsf",
    "tt": "texttt",
}
_TEXT_SWITCH = re.compile(r"\\(" + "|".join(_TEXT_SWITCHES) + r")(?![A-Za-z])\s*")
_LINES_CONTAINERS = re.compile(r"\\begin\{(equation\*?)\}")
_TAG_OR_LABEL = re.compile(r"\\(?:tag\*?|label)\s*\{[^{}]*\}")
_EMPTY_ARRAY_COLUMNS = re.compile(r"\\begin\{array\}\s*\{\s*\}")


def _drop_row_spacing(tex: str) -> str:
    return _ROW_SPACING.sub(r"\1", tex) if "\\\\" in tex and "[" in tex else tex


def _drop_trailing_row_breaks(tex: str) -> str:
    return _TRAILING_ROW_BREAK.sub(r"\1\2", tex) if "\\\\" in tex and "\\end" in tex else tex


def _newline_as_row_break(tex: str) -> str:
    return _NEWLINE.sub(r"\\\\", tex) if "\\newline" in tex else tex


def _unstar_symbols(tex: str) -> str:
    def unstar(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _HAS_STAR_FORM or is_escaped(tex, match.start()):
            return match.group()
        return "\\" + name + ("" if name in _STAR_CHANGES_NOTHING else " *")

    return _STARRED.sub(unstar, tex) if "*" in tex else tex


def _lines(tex: str) -> str | None:
    """`tex` as centred lines if it breaks lines outside any environment (None if it does not):
    the engine drops a `\\\\` there, which would run the lines together."""
    rows = split_top_level(tex, "\\\\")
    while len(rows) > 1 and not rows[-1].strip():
        rows.pop()  # a trailing `\\` breaks no line
    if len(rows) < 2 or any(not _balanced_fences(row) for row in rows):
        return None
    return "\\begin{gathered}" + "\\\\".join(rows) + "\\end{gathered}"


def _balanced_fences(row: str) -> bool:
    return len(list(commands(row, "left"))) == len(list(commands(row, "right")))


def _top_level_lines(tex: str) -> str:
    if "\\\\" not in tex:
        return tex
    match = _LINES_CONTAINERS.match(tex.strip())
    if match is None:
        return _lines(tex) or tex
    # An `equation*` made for a `\tag`: its lines go into the equation, its tag stays outside.
    stripped = tex.strip()
    end_marker = "\\end{" + match.group(1) + "}"
    if not stripped.endswith(end_marker):
        return tex
    body = stripped[match.end() : -len(end_marker)]
    numbers = "".join(found.group() for found in _TAG_OR_LABEL.finditer(body))
    lines = _lines(_TAG_OR_LABEL.sub("", body))
    if lines is None:
        return tex
    return match.group() + lines + numbers + end_marker


def _array_columns(tex: str) -> str:
    """`\\begin{array}{}` (no column spec, which MathJax allows) → one centred column per cell."""
    while "{array}" in tex and (match := _EMPTY_ARRAY_COLUMNS.search(tex)):
        close = tex.find("\\end{array}", match.end())
        body = tex[match.end() : close] if close >= 0 else ""
        width = max(len(split_top_level(row, "&")) for row in split_top_level(body, "\\\\"))
        tex = tex[: match.start()] + "\\begin{array}{" + "c" * width + "}" + tex[match.end() :]
    return tex


def _text_font_switches(tex: str) -> str:
    r"""`\text{a {\bf b} c}` → `\text{a {\textbf{b}} c}`: a switch sets the rest of its group."""
    if not _TEXT_SWITCH.search(tex):
        return tex
    for name in ("text", "textrm", "textbf", "textit", "textsf", "texttt", "textnormal"):

        def build(source: str, pos: int, name: str = name) -> tuple[str, int] | None:
            argument = read_argument(source, pos)
            if argument is None or not source.startswith("{", argument.start):
                return None
            text = _unswitch(argument.text)
            if text == argument.text:
                return None
            return "\\" + name + "{" + text + "}", argument.end

        tex = _replace_command(tex, name, build)
    return tex


_TEXT_WITH_MATH = ("text", "textrm", "textbf", "textit", "textsf", "texttt", "textnormal")


def _math_in_text(tex: str) -> str:
    r"""`\text{$X,Y$ are $d$-separated}` → `{X,Y}\text{ are }{d}\text{-separated}`:
    math-core has no math inside text, so the text is cut around it."""
    if "$" not in tex:
        return tex
    for name in _TEXT_WITH_MATH:

        def build(source: str, pos: int, name: str = name) -> tuple[str, int] | None:
            argument = read_argument(source, pos)
            if argument is None or not source.startswith("{", argument.start):
                return None
            pieces = _split_at_dollars(argument.text)
            if len(pieces) < 3 or len(pieces) % 2 == 0:
                return None  # no `$`, or one left open: math-core says what is wrong
            cut = "".join(
                "{" + piece + "}" if index % 2 else "\\" + name + "{" + piece + "}"
                for index, piece in enumerate(pieces)
                if piece
            )
            return cut, argument.end

        tex = _replace_command(tex, name, build)
    return tex


def _split_at_dollars(text: str) -> list[str]:
    """`text` cut at each unescaped `$`: text, math, text, …"""
    pieces, start = [], 0
    for index, char in enumerate(text):
        if char == "$" and not is_escaped(text, index):
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return pieces


def _unswitch(text: str) -> str:
    while (match := _TEXT_SWITCH.search(text)) and not is_escaped(text, match.start()):
        end = _group_close(text, match.end())
        command = _TEXT_SWITCHES[match.group(1)]
        rest = text[match.end() : end]
        replacement = "\\" + command + "{" + rest + "}" if command else rest
        text = text[: match.start()] + replacement + text[end:]
    return text


def _group_close(text: str, pos: int) -> int:
    """The index of the `}` that closes the group `pos` is in (or the end of `text`)."""
    depth = 0
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return pos
            depth -= 1
        pos += 1
    return len(text)


_STEPS: tuple[Callable[[str], str], ...] = (
    _decode_entities,
    _undouble_row_breaks,
    _remove_invisible,
    _rename_commands,
    _text_font_switches,
    _math_in_text,
    _drop_switches,
    _unstar_symbols,
    _unwrap,
    _one_argument_commands,
    _mathop_limits,
    _environments,
    _newline_as_row_break,
    _drop_row_spacing,
    _drop_trailing_row_breaks,
    _top_level_lines,
    _array_columns,
    _cjk_as_text,
)
