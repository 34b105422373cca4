"""When a pair of delimiters holds math, and when it is a price, prose or escaped punctuation.

Authors write `$ W_2 $` and `$X=x $` (MathJax and Typora render them), but also `$5 and $10`;
and every single-backslash `\\(1\\)` or `\\[解析\\]` seen in real notes was CommonMark's escaped
punctuation, not math. So a pair that is not the plain `$x$` form is math only when what it holds
reads as TeX, and a pair we cannot call either way is left as text with a warning (README, Math).
Pure functions of the text, so the inline rule and the table-row guard decide alike.
"""

from __future__ import annotations

import re
from enum import Enum

from mathblog.util.lazy_pattern import LazyPattern
from mathblog.util.text import Cjk, cjk_ranges

# Pasted from web pages into notes; an author sees them as nothing, or as a space.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_BLANK = " \t\n\r\f\v\u00a0\u3000" + INVISIBLE

_TEXT_GROUP = re.compile(r"\\(?:text[a-z]*|mbox|mathrm|operatorname)\s*\{[^{}]*\}")
_HAN = cjk_ranges(Cjk.HAN)
# Compiled when first used (for spaced or backslash delimiters only): a class of CJK ranges
# takes re 4 ms to compile, and every parsing worker imports this.
_CJK = LazyPattern(f"[{_HAN}]")
# Two words in a row (`and got`, `sign, then`), not `\sin x` or `d x`; CJK punctuation; a CJK
# phrase. Chinese typed straight into a formula (`$ L_{总} $`) is a word or two, unpunctuated.
_PROSE = LazyPattern(
    r"(?<![\\A-Za-z])[A-Za-z]{2,}[,;:.!?]?[ \t\n]+[A-Za-z]{2,}(?![A-Za-z])"
    f"|[{cjk_ranges(Cjk.PROSE_MARK)}]"
    f"|[{_HAN}]{{4}}"
)
_STRONG = re.compile(r"\\[A-Za-z]|[\^_{}]")
_RELATION = re.compile(r"[=<>]")
_OPERATOR = re.compile(r"[=<>+\-*/|(),']")
# An operator between operands (`x+y`, `a = b`), a call (`f(x)`, `softmax(z)`), a list of
# symbols (`x, y`), an absolute value (`|y|`).
_FORMULA = re.compile(
    r"[A-Za-z0-9)]\s*[=<>+\-*/|]\s*[A-Za-z0-9(\\]"
    r"|[A-Za-z]\([^()]*\)"
    r"|(?<![A-Za-z])[A-Za-z]\s*,\s*[A-Za-z](?![A-Za-z])"
    r"|\|[^|\s][^|]*\|"
)
# `$ conv $` is a formula; `$ or $` is the prose around two dollar signs.
_FUNCTION_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "if", "in", "is", "it"}
    | {"of", "on", "or", "so", "than", "that", "the", "then", "to", "was", "with"}
)
_LETTER = re.compile(r"[A-Za-z]")
_SYMBOL = re.compile(r"(?:[A-Za-z]|\\[A-Za-z]+)'*")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*'*")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


class Verdict(Enum):
    MATH = "math"
    TEXT = "text"
    AMBIGUOUS = "ambiguous"  # left as text, with a warning


def is_blank(char: str) -> bool:
    return char in _BLANK or char.isspace()


def dollar_verdict(content: str, *, digit_after: bool) -> Verdict:
    """`$content$`: math as before when tight (`$x$`, no digit after); otherwise only if TeX."""
    if not content:
        return Verdict.TEXT
    spaced_left, spaced_right = is_blank(content[0]), is_blank(content[-1])
    if not spaced_left and not spaced_right and not digit_after:
        return Verdict.MATH
    core = content.strip(_BLANK)
    if not core:
        return Verdict.TEXT
    if _reads_as_prose(core):
        return Verdict.AMBIGUOUS if _STRONG.search(core) else Verdict.TEXT
    if _has_cjk(core) and not _STRONG.search(core):  # `$20 each, 中文 $`
        return Verdict.TEXT
    if content[0].isdigit():  # `$5 and $10`, `$3.50, $4`: a price, unless plainly TeX (`$2^n $`)
        if _STRONG.search(core):
            return Verdict.MATH
        plain_relation = _RELATION.search(core) and _LETTER.search(core)  # `$5 = x $`
        return Verdict.AMBIGUOUS if plain_relation else Verdict.TEXT
    if _NUMBER.fullmatch(core):  # `$ 0 $` is math; `$ 5$` could be anything
        return Verdict.MATH if spaced_left and spaced_right else Verdict.AMBIGUOUS
    if _WORD.fullmatch(core) and spaced_left and spaced_right:  # `$ conv $`, `$ x1 $`
        return Verdict.TEXT if core.lower() in _FUNCTION_WORDS else Verdict.MATH
    if _SYMBOL.fullmatch(core) or _STRONG.search(core) or _looks_like_formula(core):
        return Verdict.MATH
    return Verdict.TEXT


def backslash_verdict(content: str) -> Verdict:
    """Single-backslash `\\(content\\)` or `\\[content\\]`: math only if clearly TeX."""
    core = content.strip(_BLANK)
    if not core:
        return Verdict.TEXT
    if _reads_as_prose(core):
        return Verdict.AMBIGUOUS if _STRONG.search(core) else Verdict.TEXT
    if _has_cjk(core) and not _STRONG.search(core):  # `\[解析\]`
        return Verdict.TEXT
    if _STRONG.search(core) or (_RELATION.search(core) and _LETTER.search(core)):
        return Verdict.MATH
    if _OPERATOR.search(core) and _LETTER.search(core):
        return Verdict.AMBIGUOUS
    return Verdict.TEXT


def _reads_as_prose(core: str) -> bool:
    return bool(_PROSE.search(_TEXT_GROUP.sub(" ", core)))


def _has_cjk(core: str) -> bool:
    return bool(_CJK.search(_TEXT_GROUP.sub(" ", core)))


def _looks_like_formula(core: str) -> bool:
    return bool(_FORMULA.search(core))


def reads_as_text(content: str) -> bool:
    """Prose or Chinese (`\\[解析\\]`): text even where the note writes `\\(…\\)` for its math."""
    core = content.strip(_BLANK)
    return _reads_as_prose(core) or (_has_cjk(core) and not _STRONG.search(core))
