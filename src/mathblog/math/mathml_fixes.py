"""Corrections to math-core's MathML where browsers draw it wrong, made before a conversion is
cached.

Each fix was found by drawing our output beside KaTeX's in Chromium, with several math fonts and
with none, and has a fixture in `tests/fixtures/math_rewrites.md`. The ones math-core should make
itself are written up for upstream in `bench/math_core_upstream.md`. Bump `FIXES_VERSION`
whenever the output of `fix_mathml()` changes, so cached conversions are redone.
"""

from __future__ import annotations

import re

FIXES_VERSION = "3"

# `\vec`: U+20D7 is a combining arrow; on its own in an <mo> it is drawn left of the letter in
# every font. A plain arrow sits over the letter.
_COMBINING_VEC = ">\u20d7</mo>"
_VEC = ">\u2192</mo>"

# `\overline` and `\underline`: a stretched U+0332 (a combining low line) is drawn left of a
# narrow base (`\overline{\epsilon}`), and without a math font it covers one letter of a wide
# one. A border is exactly as wide as what it covers, in any font.
_LINE_MARK = '<mo stretchy="true">\u0332</mo>'
_LINES = {  # element: (its opening tag, the bordered row that replaces it)
    "mover": ('<mover accent="true">', '<mrow style="border-top:0.05em solid;padding-top:0.1em;">'),
    "munder": (
        '<munder accentunder="true">',
        '<mrow style="border-bottom:0.05em solid;padding-bottom:0.1em;">',
    ),
}

# `\bigg]^\top`: Chromium does not size an <mo> that is the base of a script (`minsize` is
# ignored there); inside an <mrow> of its own it is sized.
_SIZED_SCRIPT_BASE = re.compile(
    r"(<m(?:sub|sup|subsup)>)(<mo\b[^>]*\bminsize=\"[^\"]*\"[^>]*>[^<]*</mo>)"
)

# `\Big`, `\bigg`, `\Bigg`: math-core sizes them as MathJax does (1.623, 2.047, 2.470 em);
# KaTeX, like TeX with its own fonts, makes them 1.8, 2.4 and 3 em (`\big` is 1.2 em in both).
_DELIMITER_SIZES = {"1.623em": "1.8em", "2.047em": "2.4em", "2.470em": "3em"}
_DELIMITER_SIZE = re.compile(r'(min|max)size="(1\.623em|2\.047em|2\.470em)"')

# `\mathrm{\varphi}`: in TeX (and KaTeX) a roman font leaves lowercase Greek italic, since
# those letters come from the math italic font whatever the family; math-core makes it upright.
_UPRIGHT_LOWER_GREEK = re.compile(
    '<mi mathvariant="normal">([\u03b1-\u03c9\u03d1\u03d5\u03d6\u03f1\u03f5])</mi>'
)

_TAG = re.compile(r"<(/?)([a-z]+)\b[^>]*?(/?)>")


def fix_mathml(mathml: str) -> str:
    """`mathml` (math-core's output) as browsers draw what the TeX means."""
    if _COMBINING_VEC in mathml:
        mathml = mathml.replace(_COMBINING_VEC, _VEC)
    if _LINE_MARK + "</mover>" in mathml or _LINE_MARK + "</munder>" in mathml:
        mathml = _bordered_lines(mathml)
    if '<mi mathvariant="normal">' in mathml:
        mathml = _UPRIGHT_LOWER_GREEK.sub(r"<mi>\1</mi>", mathml)
    if "minsize" in mathml:
        mathml = _DELIMITER_SIZE.sub(
            lambda match: f'{match.group(1)}size="{_DELIMITER_SIZES[match.group(2)]}"', mathml
        )
        mathml = _SIZED_SCRIPT_BASE.sub(r"\1<mrow>\2</mrow>", mathml)
    return mathml


def _bordered_lines(mathml: str) -> str:
    """Each `<mover accent="true">X<mo stretchy="true">̲</mo></mover>` → X with a top border
    (and the same `<munder>` → X with a bottom border)."""
    edits: list[tuple[int, int, str]] = []
    opened: list[re.Match[str]] = []
    for tag in _TAG.finditer(mathml):
        if tag.group(3):  # <mspace/>: opens nothing
            continue
        if not tag.group(1):
            opened.append(tag)
            continue
        if not opened:
            return mathml  # not what math-core writes: leave it alone
        start = opened.pop()
        mark = tag.start() - len(_LINE_MARK)
        opening, bordered = _LINES.get(tag.group(2), ("", ""))
        if mark >= 0 and start.group() == opening and mathml.startswith(_LINE_MARK, mark):
            edits.append((start.start(), start.end(), bordered))
            edits.append((mark, tag.end(), "</mrow>"))
    for begin, end, replacement in sorted(edits, reverse=True):
        mathml = mathml[:begin] + replacement + mathml[end:]
    return mathml
