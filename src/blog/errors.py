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
