"""A regex compiled when first used, not when its module is imported.

The patterns over every CJK range take milliseconds each to compile, and a build that parses
nothing (a no-op) imports the modules that hold them without using them.
After the first use each method is the compiled pattern's own, so a hot loop pays nothing more.
A process that builds again and again (`blog serve`) compiles them all up front instead
(`compile_all`): otherwise its first edit would pay for them (30 ms at 1,000 posts).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any


class LazyPattern:
    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def compiled(self) -> re.Pattern[str]:
        pattern = re.compile(self.pattern, self.flags)
        for name in ("match", "fullmatch", "search", "findall", "finditer", "sub", "subn"):
            setattr(self, name, getattr(pattern, name))  # from now on, straight to the pattern
        return pattern

    def match(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled().match(string, *args)

    def fullmatch(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled().fullmatch(string, *args)

    def search(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled().search(string, *args)

    def findall(self, string: str, *args: int) -> list[Any]:
        return self.compiled().findall(string, *args)

    def finditer(self, string: str, *args: int) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string, *args)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], string: str) -> str:
        return self.compiled().sub(replacement, string)

    def subn(
        self, replacement: str | Callable[[re.Match[str]], str], string: str
    ) -> tuple[str, int]:
        return self.compiled().subn(replacement, string)


def imported_patterns() -> list[LazyPattern]:
    """The lazy patterns of this package's modules imported so far (each is a module's
    constant: found in the modules, not kept in a list of their own)."""
    package = __name__.partition(".")[0]
    return [
        value
        for name, module in list(sys.modules.items())
        if name == package or name.startswith(package + ".")
        for value in list(vars(module).values())
        if isinstance(value, LazyPattern)
    ]


def compile_all() -> None:
    """Compile every lazy pattern of the modules imported so far that is not compiled yet."""
    for pattern in imported_patterns():
        if "match" not in vars(pattern):  # `compiled` sets the methods on the instance
            pattern.compiled()
