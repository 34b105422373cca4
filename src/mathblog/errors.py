"""Errors and warnings that point at a place in the user's site.

Every problem the user can fix is a `Diagnostic` with a path relative to the site, a line and a
hint; `BlogError` carries one or more of them out of the build. The CLI is the only place that
prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)  # no slots: pickles (the post cache) far faster
class Diagnostic:
    """One problem at one place: printed as `posts/x.md:12: message`."""

    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None
    hint: str = ""

    def location(self) -> str:
        where = self.path
        if self.path and self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class BlogError(Exception):
    """A mistake in the user's input or environment that stops the build."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def at(
        cls,
        message: str,
        path: str = "",
        line: int | None = None,
        *,
        column: int | None = None,
        hint: str = "",
    ) -> BlogError:
        return cls([Diagnostic(message, path, line, column, hint)])


def not_utf8(
    raw: bytes, error: UnicodeDecodeError, path: str, *, hint: str, doing: str = ""
) -> Diagnostic:
    """The problem with a file whose bytes `raw` `error` found not to be UTF-8: the first bad
    byte and its line, `doing` (what the build was at) and a `hint` for that kind of file."""
    detail = f"byte 0x{raw[error.start]:02x}" + (f"; {doing}" if doing else "")
    line = raw.count(b"\n", 0, error.start) + 1
    return Diagnostic(f"not valid UTF-8 ({detail})", path, line, hint=hint)


def decode_utf8(raw: bytes, path: str, *, hint: str, bom: bool = False) -> str:
    """`raw` as text, or a `BlogError` at the first byte that is not UTF-8. With `bom`, a
    leading byte order mark is dropped (and lines and bytes are counted after it)."""
    if bom and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BlogError([not_utf8(raw, error, path, hint=hint)]) from None
