"""Just enough TeX reading for rewriting formulas: groups, arguments, top-level splits.

This is not a TeX parser. It knows braces, `\\begin`/`\\end` nesting and control sequences, which is
all the rewrites and the equation numbering need, and it never raises on unbalanced input: a
caller that gets `None` leaves the formula alone and lets the engine report the real error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A lone `\` at the very end (a formula cut short) counts as a control symbol of its own.
_CONTROL_WORD = re.compile(r"\\(?:[A-Za-z]+\*?|.|\Z)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Argument:
    """One macro argument: `text` without its braces, spanning `start:end` in the source."""

    text: str
    start: int
    end: int


def skip_spaces(tex: str, pos: int) -> int:
    while pos < len(tex) and tex[pos] in " \t\n":
        pos += 1
    return pos


def group_end(tex: str, pos: int, open_char: str = "{", close_char: str = "}") -> int | None:
    """The index just after the group opened at `pos`, or None if it never closes."""
    depth = 0
    index = pos
    while index < len(tex):
        char = tex[index]
        if char == "\\":
            index += 2
            continue
        if char == open_char:
            depth += 1
        elif char == close_char:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None


def read_argument(tex: str, pos: int) -> Argument | None:
    """A `{group}`, a control sequence or a single character, after optional spaces."""
    start = skip_spaces(tex, pos)
    if start >= len(tex) or tex[start] in "}&^_":
        return None
    if tex[start] == "{":
        end = group_end(tex, start)
        return Argument(tex[start + 1 : end - 1], start, end) if end else None
    if tex[start] == "\\":
        match = _CONTROL_WORD.match(tex, start)
        assert match is not None  # a backslash always starts a control sequence or symbol
        return Argument(match.group(), start, match.end())
    return Argument(tex[start], start, start + 1)


def read_optional(tex: str, pos: int) -> Argument | None:
    """A `[...]` optional argument right at `pos` (after spaces), or None."""
    start = skip_spaces(tex, pos)
    if start >= len(tex) or tex[start] != "[":
        return None
    end = group_end(tex, start, "[", "]")
    return Argument(tex[start + 1 : end - 1], start, end) if end else None


def commands(tex: str, name: str) -> Iterator[int]:
    """Positions of `\\name` as a whole control word (not `\\namely`), left to right."""
    pattern = re.compile(r"\\" + re.escape(name) + r"(?![A-Za-z])")
    pos = 0
    while match := pattern.search(tex, pos):
        if is_escaped(tex, match.start()):
            pos = match.start() + 1
            continue
        yield match.start()
        pos = match.end()


def is_escaped(text: str, index: int) -> bool:
    """True if an odd number of backslashes stands right before `text[index]`."""
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def find_unescaped(text: str, needle: str, start: int, stop: int | None = None) -> int:
    """Like `str.find`, skipping occurrences escaped with a backslash."""
    stop = len(text) if stop is None else stop
    index = text.find(needle, start, stop)
    while index >= 0 and is_escaped(text, index):
        index = text.find(needle, index + 1, stop)
    return index


def split_top_level(tex: str, separator: str) -> list[str]:
    """Split on `separator` (`\\\\` or `&`) outside braces and nested environments."""
    pieces: list[str] = []
    depth = 0
    start = index = 0
    while index < len(tex):
        if tex.startswith(separator, index) and depth == 0:
            pieces.append(tex[start:index])
            index += len(separator)
            start = index
            continue
        char = tex[index]
        if char == "\\":
            match = _CONTROL_WORD.match(tex, index)
            assert match is not None
            word = match.group()
            if word == "\\begin":
                depth += 1
            elif word == "\\end":
                depth -= 1
            index = match.end()
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        index += 1
    pieces.append(tex[start:])
    return pieces
