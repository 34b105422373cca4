"""LaTeX → MathML Core behind one small interface: `MathEngine.render(tex, display=...)`.

math-core does the conversion. Its failures raise instead of emitting garbage, which is why it was
chosen; we turn them into `MathRenderError` with the offset it reports, so callers can point at
`file:line:col`. Before conversion, `math_rewrites` turns TeX that math-core does not know into TeX
it does; after it, the result is kept in a `FormulaCache`. Every conversion is stateless (numbering
is `math_numbering`'s job), which is what makes caching it exact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import math_core

from .fingerprints import installed_library
from .math_cache import FormulaCache, fingerprint
from .math_rewrites import REWRITES_VERSION, rewrite

# The installed math-core (its version and files), for the formula cache's key.
ENGINE = installed_library("math_core", "math_core")

# math-core recurses per nesting level and overflows the C stack (a segfault, not an exception)
# somewhere past ~2,000 levels; real formulas stay far below this.
MAX_NESTING = 256
MAX_LENGTH = 50_000
# math-core's time doubles with each opening bracket left unclosed in one group: 20 take 0.03 s,
# 27 take 2.3 s, 80 never finish. Real formulas leave one or two open (`[0, 1)` closes).
MAX_UNCLOSED = 16

_NESTING = re.compile(r"(?P<open>\\left\b|\\begin\b|(?<!\\)\{)|\\right\b|\\end\b|(?<!\\)\}")
_OFFSET = re.compile(r"^(\d+): ")


class MathRenderError(Exception):
    """A formula the engine cannot render; `offset` is a character index into the TeX if known."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _nesting_depth(tex: str) -> int:
    depth = deepest = 0
    for match in _NESTING.finditer(tex):
        if match.group("open"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


_OPENERS = {"(", "[", "\\{", *(f"\\{name}" for name in (
    "langle", "lfloor", "lceil", "lvert", "lVert", "lbrack", "lbrace", "lgroup", "lmoustache",
    "ulcorner", "llcorner", "llbracket",
))}  # fmt: skip
_CLOSERS = {")", "]", "\\}", *(f"\\{name}" for name in (
    "rangle", "rfloor", "rceil", "rvert", "rVert", "rbrack", "rbrace", "rgroup", "rmoustache",
    "urcorner", "lrcorner", "rrbracket",
))}  # fmt: skip
_DELIMITER_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[^\\]", re.DOTALL)
_SIZED = {"\\left", "\\right", "\\middle", "\\big", "\\Big", "\\bigg", "\\Bigg"}


def _few_openers(tex: str) -> bool:
    """Too few opening brackets in all to leave more than `MAX_UNCLOSED` open: each opener holds
    one of these pieces, so counting them (in C) spares most formulas `_most_unclosed`."""
    return sum(tex.count(piece) for piece in ("(", "[", "\\{", "\\l", "\\u")) <= MAX_UNCLOSED


def _most_unclosed(tex: str) -> int:
    """The most opening brackets left unclosed in one `{…}` group (`\\left(` does not count)."""
    open_counts = [0]
    most = 0
    sized = False
    for match in _DELIMITER_TOKEN.finditer(tex):
        token = match.group()
        if token == "{":
            open_counts.append(0)
        elif token == "}":
            most = max(most, open_counts.pop() if len(open_counts) > 1 else 0)
        elif sized:
            pass
        elif token in _OPENERS:
            open_counts[-1] += 1
        elif token in _CLOSERS:
            open_counts[-1] = max(open_counts[-1] - 1, 0)
        sized = token in _SIZED or (sized and token.isspace())
    return max(most, *open_counts)


def cache_fingerprint(macros: Mapping[str, str]) -> str:
    return fingerprint(ENGINE, REWRITES_VERSION, macros)


class MathEngine:
    """One converter per build. `converted` and `reused` count conversions and cache hits."""

    def __init__(
        self, macros: Mapping[str, str] | None = None, cache: FormulaCache | None = None
    ) -> None:
        try:
            self._converter = math_core.LatexToMathML(macros=dict(macros or {}), fancy_error=False)
        except math_core.LatexError as exc:
            raise MathRenderError(f"bad macro in [math.macros]: {exc}") from None
        self._cache = cache
        self.converted = 0
        self.reused = 0

    def render(self, tex: str, *, display: bool) -> str:
        """MathML for `tex`, or `MathRenderError`; the same input always gives the same output."""
        cached = self._cache.get(tex, display) if self._cache else None
        if cached is not None:
            self.reused += 1
        else:
            cached = self._convert(tex, display)
            self.converted += 1
            if self._cache:
                self._cache.put(tex, display, cached)
        if isinstance(cached, str):
            return cached
        raise MathRenderError(*cached)

    def use_cache(self, cache: FormulaCache | None) -> None:
        self._cache = cache

    def save_cache(self) -> None:
        if self._cache:
            self._cache.save()

    def _convert(self, tex: str, display: bool) -> str | tuple[str, int | None]:
        if _nesting_depth(tex) > MAX_NESTING:
            return f"formula nested deeper than {MAX_NESTING} levels", None
        if len(tex) > MAX_LENGTH:
            return f"formula longer than {MAX_LENGTH:,} characters", None
        rewritten = rewrite(tex)
        if not _few_openers(rewritten) and _most_unclosed(rewritten) > MAX_UNCLOSED:
            return f"more than {MAX_UNCLOSED} brackets left open in one group", None
        try:
            return str(self._converter.convert_with_local_state(rewritten, displaystyle=display))
        except math_core.LatexError as exc:
            text = str(exc).strip()
            match = _OFFSET.match(text)
            # The offset points into the rewritten TeX; it is only meaningful if nothing moved.
            offset = int(match.group(1)) if match and rewritten == tex else None
            return _OFFSET.sub("", text), offset
