"""LaTeX → MathML Core behind one small interface: `MathEngine.render(tex, display=...)`.

math-core does the conversion. Its failures raise instead of emitting garbage, which is why it was
chosen; we turn them into `MathRenderError` with the offset it reports, so callers can point at
`file:line:col`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import math_core

# math-core recurses per nesting level and overflows the C stack (a segfault, not an exception)
# somewhere past ~2,000 levels; real formulas stay far below this.
MAX_NESTING = 256
MAX_LENGTH = 50_000

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


class MathEngine:
    """One converter per build; equation numbers restart at each `start_document()`."""

    def __init__(self, macros: Mapping[str, str] | None = None) -> None:
        try:
            self._converter = math_core.LatexToMathML(macros=dict(macros or {}), fancy_error=False)
        except math_core.LatexError as exc:
            raise MathRenderError(f"bad macro in [math.macros]: {exc}") from None

    def start_document(self) -> None:
        self._converter.reset_global_state()

    def render(self, tex: str, *, display: bool) -> str:
        if len(tex) > MAX_LENGTH:
            raise MathRenderError(f"formula longer than {MAX_LENGTH:,} characters")
        if _nesting_depth(tex) > MAX_NESTING:
            raise MathRenderError(f"formula nested deeper than {MAX_NESTING} levels")
        try:
            return self._converter.convert_with_global_state(tex, displaystyle=display)
        except math_core.LatexError as exc:
            text = str(exc).strip()
            match = _OFFSET.match(text)
            offset = int(match.group(1)) if match else None
            raise MathRenderError(_OFFSET.sub("", text), offset) from None
