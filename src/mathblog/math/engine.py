"""LaTeX → MathML Core behind one small interface: `MathEngine.render(tex, display=...)`.

math-core does the conversion. Its failures raise instead of emitting garbage, which is why it was
chosen; we turn them into `MathRenderError` with the offset it reports, so callers can point at
`file:line:col`. Before conversion, `math_rewrites` turns TeX that math-core does not know into TeX
it does and `math_limits` refuses what would freeze or kill math-core; the conversion runs in a
child process (`math_converter`), `mathml_fixes` corrects what browsers would draw wrong, and the
result is kept in a `FormulaCache`. Every conversion is
stateless (numbering is `math_numbering`'s job), which is what makes caching it exact.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

import math_core

from mathblog.math.cache import Conversion, FormulaCache, fingerprint
from mathblog.math.converter import Answer, Converter, Lost
from mathblog.math.limits import (
    LIMITS_VERSION,
    MAX_EXPANSIONS,
    bracket_refusal,
    expanded_refusal,
    macro_user,
    site_macros,
    written_refusal,
)
from mathblog.math.mathml_fixes import FIXES_VERSION, fix_mathml
from mathblog.math.rewrites import REWRITES_VERSION, rewrite
from mathblog.util.digests import installed_library


@functools.cache
def engine_stamp() -> str:
    """The installed math-core (its version and files), for the formula cache's key: looked up
    when a build first needs it, not when this module is imported."""
    return installed_library("math_core", "math_core")


_OFFSET = re.compile(r"^(\d+): ")

Formula = tuple[str, bool]  # TeX and whether it is display math


class MathRenderError(Exception):
    """A formula the engine cannot render; `offset` is a character index into the TeX if known."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def cache_fingerprint(macros: Mapping[str, str]) -> str:
    # The MathML fixes change cached output as the rewrites do: either version redoes it all.
    rewrites = f"{REWRITES_VERSION}+{FIXES_VERSION}"
    return fingerprint(engine_stamp(), rewrites, LIMITS_VERSION, macros)


class MathEngine:
    """One converter per build. `converted` and `reused` count conversions and cache hits."""

    def __init__(
        self, macros: Mapping[str, str] | None = None, cache: FormulaCache | None = None
    ) -> None:
        macros = dict(macros or {})
        try:  # only to report a bad macro now; conversions happen in `math_converter`'s child
            math_core.LatexToMathML(macros=macros, fancy_error=False)
        except math_core.LatexError as exc:
            raise MathRenderError(f"bad macro in [math.macros]: {exc}") from None
        self._converter = Converter(macros, MAX_EXPANSIONS)
        self._macros = site_macros(macros)
        self._uses_macros = macro_user(macros)
        self._cache = cache
        self.converted = 0
        self.reused = 0

    def render(self, tex: str, *, display: bool) -> str:
        """MathML for `tex`, or `MathRenderError`; the same input always gives the same output."""
        result = self.render_all([(tex, display)])[0]
        if isinstance(result, MathRenderError):
            raise result
        return result

    def render_all(self, formulas: Sequence[Formula]) -> list[str | MathRenderError]:
        """`render` for many formulas (a post's) at once: those not in the cache go to the
        engine together, which costs one round trip to its process instead of one each."""
        found: dict[Formula, Conversion | Lost] = {}
        wanted: dict[Formula, str] = {}  # formula → the TeX the engine gets
        for formula in formulas:
            if formula in found or formula in wanted:
                # A repeat counts as it would one formula at a time: a cache hit if there is a
                # cache, else a conversion.
                if self._cache:
                    self.reused += 1
                else:
                    self.converted += 1
                continue
            cached = self._cache.conversion(*formula) if self._cache else None
            if cached is not None:
                self.reused += 1
                found[formula] = cached
                continue
            self.converted += 1
            rewritten, problem = self._prepare(formula[0])
            if problem is not None:
                found[formula] = self._keep(formula, (problem, None))
            else:
                wanted[formula] = rewritten
        answers = self._converter.convert([(tex, formula[1]) for formula, tex in wanted.items()])
        for (formula, rewritten), answer in zip(wanted.items(), answers, strict=True):
            found[formula] = self._answered(formula, rewritten, answer)
        return [_result(found[formula]) for formula in formulas]

    def start(self) -> None:
        """Start the engine's process now rather than at the first formula."""
        self._converter.start()

    def use_cache(self, cache: FormulaCache | None) -> None:
        self._cache = cache

    def save_cache(self) -> None:
        if self._cache:
            self._cache.save()

    def close(self) -> None:
        """Stop the engine's process (it also stops when the engine is garbage collected)."""
        self._converter.close()

    def _prepare(self, tex: str) -> tuple[str, str | None]:
        """The TeX for the engine, and why the engine must not get it (or None)."""
        problem = written_refusal(tex)  # first: the rewrites must not see a formula too big
        if problem is not None:
            return tex, problem
        rewritten = rewrite(tex)
        problem = bracket_refusal(rewritten)
        if problem is None and self._uses_macros.search(rewritten):
            problem = expanded_refusal(rewritten, self._macros)
        return rewritten, problem

    def _answered(
        self, formula: Formula, rewritten: str, answer: Answer | Lost
    ) -> Conversion | Lost:
        if isinstance(answer, Lost):
            return answer  # not cached: it may go otherwise on an idle machine
        if isinstance(answer, str):
            return self._keep(formula, fix_mathml(answer))
        text = answer[0].strip()
        match = _OFFSET.match(text)
        # The offset points into the rewritten TeX; it is only meaningful if nothing moved.
        offset = int(match.group(1)) if match and rewritten == formula[0] else None
        return self._keep(formula, (_OFFSET.sub("", text), offset))

    def _keep(self, formula: Formula, conversion: Conversion) -> Conversion:
        if self._cache:
            self._cache.keep(*formula, conversion)
        return conversion


def _result(conversion: Conversion | Lost) -> str | MathRenderError:
    if isinstance(conversion, str):
        return conversion
    if isinstance(conversion, Lost):
        return MathRenderError(conversion.message)
    return MathRenderError(*conversion)
