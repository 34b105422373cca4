"""A persistent cache of formula conversions in `.blog-cache/`, so an unchanged formula is
converted once, ever.

One JSON file holds the conversions made under one *fingerprint*: the engine's version, the
rewrites' and the limits' versions and the site's macros. Change any of them and the file no longer
matches, so nothing stale is reused. The file is rewritten at the end of a build with only the
formulas that build used, so it never grows past the site. Deleting `.blog-cache/` is always safe.

Cached HTML goes into pages as it is, so a value read from disk must look like what math-core
makes before it is used: `<math>…</math>` with only the elements and attributes math-core writes
(no `<script>`, no `on…` handler, a link only to `#an-equation`), or an error. Anything else (a
file edited by hand, or by someone else) is ignored and the formula converted again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from mathblog.util.kept_results import KeptResults
from mathblog.util.lazy_pattern import LazyPattern

CACHE_DIR = ".blog-cache"
FORMULA_FILE = "math.json"
_FORMAT = 1

# A conversion: the HTML, or the engine's error as (message, offset).
Conversion = str | tuple[str, int | None]


# What math-core writes (its source and output surveyed): MathML Core, and inside `<mtext>` the
# few HTML elements of `\\textbf`, `\\emph`, `\\url`, `\\eqref` and the like.
_ELEMENTS = (  # the m… ones first under one `m`, most frequent first: a cheaper alternation
    "(?:m(?:i|o|n|row|sup|sub|text|space|frac|over|under|table|tr|td|sqrt|root|style|error|"
    "padded|phantom|subsup|underover|multiscripts|prescripts|enclose|s)|"
    "a|annotation|b|code|em|i|none|s|semantics|span|u)"
)
_ATTRIBUTES = (
    "accent|accentunder|class|depth|display|displaystyle|encoding|form|height|id|linethickness|"
    "lspace|mathvariant|maxsize|minsize|movablelimits|notation|rspace|scriptlevel|stretchy|"
    "symmetric|title|voffset|width"
)
# A style only sets lengths, alignments and colours (`color:#FF0000;`); a link only goes to an
# equation on the same page. Every repeat ends at a character its item cannot hold (`"`, `<`),
# so a value that does not match fails in one pass, without backtracking into another reading.
# (No possessive quantifiers: before 3.11.5 or so, Python's `*+` fails to match what it should.)
_ATTRIBUTE = rf'\s(?:(?:{_ATTRIBUTES})="[^"<>]*"|style="[-\w\s:;.%#]*"|href="#[^"<>]*")'
_MATHML = LazyPattern(  # only a build that reads the formula cache checks its entries
    rf"<math(?:{_ATTRIBUTE})*>[^<]*(?:<(?:{_ELEMENTS}(?:{_ATTRIBUTE})*/?|/{_ELEMENTS})>[^<]*)*"
    r"</math>"
)


def looks_like_mathml(value: str) -> bool:
    """True if `value` could be math-core's output: nothing in it can run a script."""
    return _MATHML.fullmatch(value) is not None


def fingerprint(
    engine_version: str, rewrites_version: str, limits_version: str, macros: Mapping[str, str]
) -> str:
    material = json.dumps(
        [_FORMAT, engine_version, rewrites_version, limits_version, sorted(macros.items())],
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _key(tex: str, display: bool) -> str:
    return ("D" if display else "I") + tex


class FormulaCache(KeptResults):
    """The conversions kept in `math.json`: a value is the MathML, or the engine's error as
    `[message, offset]`."""

    __slots__ = ()

    @classmethod
    def for_site(cls, root: Path, fingerprint: str, *, read: bool = True) -> FormulaCache:
        return cls.load(root / CACHE_DIR / FORMULA_FILE, fingerprint, read=read)

    def conversion(self, tex: str, display: bool) -> Conversion | None:
        value = self.get(_key(tex, display), _usable)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return value[0], value[1]
        return None

    def keep(self, tex: str, display: bool, conversion: Conversion) -> None:
        value = conversion if isinstance(conversion, str) else list(conversion)
        self.put(_key(tex, display), value)


def _usable(value: object) -> bool:
    if isinstance(value, str):
        return looks_like_mathml(value)
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and (value[1] is None or isinstance(value[1], int))
    )
