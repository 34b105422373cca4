"""Do readers see the formulas the authors meant? Our build against KaTeX, on the real notes.

    python bench/math_fidelity.py --katex DIR [--out DIR] [--show N] [--no-grid] [folder]

`DIR` is a folder where `npm install katex` was run. Over every note in tests/corpus/notes/:

1. **Pairs not rendered.** A scanner of our own, modelled on MathJax's (all four delimiters,
   `\\begin{…}` environments, brace counting, no rule about spaces or digits next to `$`), pairs
   the formulas the way a MathJax page would; code, HTML comments and image alt text are left out,
   and GitHub's ``$`…`$`` counts as a formula. Every pair that our build (the markdown path of
   `blog build`) does not turn into math is listed with `file:line` and a reason.
2. **Prose turned into math.** Math of ours that MathJax would not pair (e.g. `\\(1\\)`, which
   CommonMark makes a plain `(1)`) unless TeX is plainly in it, and pairs that read as prose
   (a price: `$5 and $`).
3. **Formulas that differ from KaTeX.** Each matched formula is rendered by KaTeX (one node
   process for all) and by us; both MathML trees are normalised so that what draws the same
   compares equal (mrow wrappers, attribute order, `<mo>` defaults, mathvariant written as an
   attribute or as a Unicode math letter, glue and equation-number cells, invisible operators),
   and what is left is classified: table shape, characters, structure, mathvariant, fence
   stretching/size, script level, token kind, spacing. Counts and examples by class.
4. **A screenshot grid** of the differing formulas (headless Chromium): per row `file:line`, the
   TeX, KaTeX's own HTML rendering, KaTeX's MathML and ours, all drawn by the browser.

What it cannot tell: the comparison is of MathML, not of pixels. Equation numbers are left out
(KaTeX's MathML has none), explicit spacing is compared only as a total per formula, alignment
inside table cells is not compared, and KaTeX's MathML is itself only one reading of the TeX
(Chromium ignores its `mathvariant="bold"`, so the grid's KaTeX-HTML column is the one to trust
for letters). A stretchy fence counts as different only in a row with something tall in it.
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from markdown_it.token import Token

from mathblog.markdown.parser import create_markdown, render_body
from mathblog.math.engine import MathEngine

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus" / "notes"
CHROMIUM = "/usr/bin/chromium"
MATH_FONTS = '"STIX Math", "DejaVu Math TeX Gyre", "TeX Gyre Pagella Math", math'

# --- pairing the formulas as MathJax would ----------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(```+|~~~+)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_GITHUB_MATH = re.compile(r"\$(`+)(.+?)\1\$", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_IMAGE_ALT = re.compile(r"!\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(")
_QUOTE_MARKERS = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
# MathJax's start pattern: `\$` and `\\` escapes (processEscapes), the delimiters, environments.
# On the page `\(` is what the markdown `\\(` becomes; a markdown `\(` is a plain `(`.
_START = re.compile(r"\\\\[(\[]|\\[$\\()\[\]]|\$\$|\$|\\begin\{([^}]*)\}")
_INVISIBLE_IN_TEXT = re.compile("[\u200b-\u200d\u2060\ufeff]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
BREAK = "\x00"  # where the page has an element boundary: MathJax pairs nothing across it


@dataclass(frozen=True, slots=True)
class Pair:
    """A formula as a MathJax page would find it: `start`/`end` index the whole match."""

    tex: str
    display: bool
    delimiter: str
    start: int
    end: int
    line: int


def _spaces(text: str) -> str:
    return "".join(c if c == "\n" else " " for c in text)


def _blank(match: re.Match[str]) -> str:
    return _spaces(match.group())


def _broken(match: re.Match[str]) -> str:
    return BREAK + _blank(match)[1:]


def page_text(text: str) -> str:
    """The markdown with what MathJax never reads blanked, offsets and lines kept."""
    lines = text.split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[:3]
            lines[index] = BREAK * (len(line) > 0) + " " * max(len(line) - 1, 0)
        elif fence is not None:
            if match and match.group(1).startswith(fence):
                fence = None
            lines[index] = BREAK * (len(line) > 0) + " " * max(len(line) - 1, 0)
    text = "\n".join(lines)
    if text.startswith("---\n") and (end := text.find("\n---", 4)) > 0:
        text = _spaces(text[: end + 4]) + text[end + 4 :]
    text = _COMMENT.sub(_blank, text)
    text = _IMAGE_ALT.sub(lambda m: BREAK + _blank(m)[1:-1] + "(", text)
    text = _CODE_SPAN.sub(lambda m: m.group() if _is_github_math(text, m) else _broken(m), text)
    # a table row is split into cells before inline parsing; `\|` is a pipe there, also in math
    text = "\n".join(
        line.replace("\\|", " |") if line.lstrip().startswith("|") else line
        for line in text.split("\n")
    )
    return _QUOTE_MARKERS.sub(lambda m: " " * len(m.group()), text)


def _is_github_math(text: str, match: re.Match[str]) -> bool:
    return (
        match.start() > 0
        and text[match.start() - 1] == "$"
        and text[match.end() : match.end() + 1] == "$"
    )


def _find_end(text: str, pos: int, closer: str, inline: bool) -> int:
    """MathJax's end search: the closer at brace depth 0; `\\x` skips x; -1 if none."""
    depth = 0
    while pos < len(text):
        if text.startswith(closer, pos) and depth == 0:
            return pos
        char = text[pos]
        if char == BREAK or (inline and _BLANK_LINE.match(text, pos)):
            return -1
        if char == "\\":
            pos += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        pos += 1
    return -1


def mathjax_pairs(source: str) -> list[Pair]:
    """Every formula a MathJax page of this markdown would typeset, in order."""
    text = page_text(source)
    found: list[Pair] = []
    for github in _GITHUB_MATH.finditer(text):
        line = source.count("\n", 0, github.start()) + 1
        found.append(Pair(github.group(2), False, "$`", github.start(), github.end(), line))
        text = (
            text[: github.start()] + BREAK * (github.end() - github.start()) + text[github.end() :]
        )
    pos = 0
    while (start := _START.search(text, pos)) is not None:
        pos = start.end()
        opener = start.group()
        if start.group(1) is not None:
            closer, inline, body_from = "\\end{" + start.group(1) + "}", False, start.start()
        elif opener in ("$$", "$", "\\\\(", "\\\\["):
            closer = {"$$": "$$", "$": "$", "\\\\(": "\\\\)", "\\\\[": "\\\\]"}[opener]
            inline, body_from = opener in ("$", "\\\\("), start.end()
        else:
            continue  # an escape: `\$`, `\\`, or a `\\(` the markdown turns into a plain `\(`
        close = _find_end(
            text, body_from if start.group(1) is None else start.end(), closer, inline
        )
        if close < 0:
            continue
        end = close + len(closer)
        tex = text[body_from:close] if start.group(1) is None else text[start.start() : end]
        display = opener not in ("$", "\\\\(")
        line = source.count("\n", 0, start.start()) + 1
        found.append(Pair(tex, display, opener, start.start(), end, line))
        pos = end
    found.sort(key=lambda pair: pair.start)
    return found


# --- our build --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ours:
    tex: str
    display: bool
    line: int
    html: str


def _math_tokens(tokens: list[Token]) -> Iterator[tuple[Token, int]]:
    line = 1
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        if token.type == "math_block":
            yield token, line
        for child in token.children or ():
            if child.type == "math_inline":
                yield child, line


def our_formulas(text: str, name: str, engine: MathEngine) -> tuple[list[Ours], str]:
    """Our formulas (with the MathML a build writes for each) and the page body's HTML."""
    md = create_markdown(raw_html=True)
    body = render_body(md, text, engine=engine, path=name)
    found = []
    for token, line in _math_tokens(body.tokens):
        rendered = token.meta.get("html", "")
        display = token.type == "math_block" or bool(token.meta.get("display"))
        found.append(
            Ours(token.content, display, line, rendered if isinstance(rendered, str) else "")
        )
    return found, body.html


def _key(tex: str) -> str:
    # ours reads GitHub's $`x`$ as $…$ around `x`: the same formula, backticks drawn
    return re.sub(r"\s+", "", tex.replace("\\|", "|")).strip("`")


def _overlaps(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a in b or b in a)


def match_formulas(
    pairs: list[Pair], ours: list[Ours]
) -> tuple[list[tuple[Pair, Ours]], list[Pair], list[Ours]]:
    """Each MathJax pair to the nearest formula of ours with the same TeX (whitespace aside)."""
    free: dict[str, list[Ours]] = defaultdict(list)
    for formula in ours:
        free[_key(formula.tex)].append(formula)
    matched, missing = [], []
    for pair in pairs:
        candidates = free.get(_key(pair.tex))
        if candidates:
            best = min(candidates, key=lambda f: abs(f.line - pair.line))
            candidates.remove(best)
            matched.append((pair, best))
        else:
            missing.append(pair)
    extra = [formula for group in free.values() for formula in group]
    return matched, missing, sorted(extra, key=lambda f: f.line)


def why_not_rendered(pair: Pair, source: str, extra: list[Ours]) -> str:
    """The likeliest reason our build did not make this pair math."""
    line_text = source.split("\n")[pair.line - 1]
    after = source[pair.end : pair.end + 1]
    inner = pair.tex
    if pair.delimiter == "$`":
        return "GitHub $`…`$ syntax"
    if re.match(r"\s*<", line_text) and not line_text.lstrip().startswith("<http"):
        return "inside raw HTML"
    if _INVISIBLE_IN_TEXT.search(source[max(pair.start - 1, 0) : pair.end + 1]):
        return "zero-width character at the formula"
    if pair.delimiter == "$" and (inner[:1].isspace() or inner[-1:].isspace()):
        return "space inside $…$"
    if pair.delimiter == "$" and after.isdigit():
        return "digit after the closing $"
    if pair.delimiter.startswith("\\begin"):
        return "bare environment our build does not read as math"
    near = [
        f for f in extra if abs(f.line - pair.line) <= 3 and _overlaps(_key(f.tex), _key(inner))
    ]
    if near:
        return "paired differently (a shift after another formula)"
    if line_text.lstrip().startswith("|"):
        return "in a table row"
    return "not math in our build (other)"


_PRICE = re.compile(r"^\s*\d[\d.,]*\s+[A-Za-z]{2,}")
_CLEARLY_TEX = re.compile(r"\\[A-Za-z]+|[\^_=]")
NOT_PAIRED_TEX = "TeX that MathJax would not pair (e.g. single-backslash \\(…\\)): math, not prose"
NOT_PAIRED_PROSE = "math of ours MathJax would not pair, with no TeX in it"


def looks_like_prose(tex: str) -> bool:
    """A heuristic for a pair MathJax would typeset but that reads as text: `$5 and $`."""
    return bool(_PRICE.match(tex)) and not _CLEARLY_TEX.search(tex)


def unpaired_kind(tex: str) -> str:
    return NOT_PAIRED_TEX if _CLEARLY_TEX.search(tex) else NOT_PAIRED_PROSE


# --- KaTeX --------------------------------------------------------------------------------------

_KATEX_RENDER = """
const katex = require(process.argv[1] + "/node_modules/katex");
const formulas = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(formulas.map(([tex, display]) => {
  try { return [katex.renderToString(tex, {displayMode: display, throwOnError: true,
                                            strict: "ignore", output: "htmlAndMathml"}), null]; }
  catch (e) { return [null, String(e.message)]; }
})));
"""


def katex_render(
    formulas: Sequence[tuple[str, bool]], katex_dir: Path
) -> list[tuple[str | None, str | None]]:
    """KaTeX's HTML (with its MathML inside) or its error, per formula: one node process."""
    answer = subprocess.run(
        ["node", "-e", _KATEX_RENDER, str(katex_dir.resolve())],
        input=json.dumps(list(formulas)),
        capture_output=True,
        text=True,
        check=True,
    )
    return [(html_, error) for html_, error in json.loads(answer.stdout)]


_MATH_ELEMENT = re.compile(r"<math[\s>].*?</math>", re.DOTALL)


def math_element(markup: str) -> str | None:
    found = _MATH_ELEMENT.search(markup)
    return found.group() if found else None


# --- MathML, normalised -----------------------------------------------------------------------


@dataclass(slots=True)
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_mathml(markup: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return next(c for c in builder.root.children if isinstance(c, Element))


TOKENS = {"mi", "mn", "mo", "mtext", "ms"}
ROW_LIKE = {"math", "mrow", "mstyle", "mtd", "msqrt", "menclose", "mphantom", "mpadded", "merror"}
DROPPED = {"annotation", "annotation-xml"}
INVISIBLE_OPERATORS = set("\u2061\u2062\u2063\u2064")
FENCES = set("()[]{}|‖⟨⟩⌈⌉⌊⌋")
# Stretched under/over a base: their script level changes only the stroke, not the size.
HORIZONTAL = set("⏟⏞⎵⎴︸︷→←↔⟶⟵⟷⇒⇐‾¯_^~ˇ˘˙¨⃗")
# Different code points that draw the same in a math font (KaTeX's choice first).
ALIKE = {'"': "”", "∣": "|", "∥": "‖", "⟂": "⊥", "ˉ": "¯", "ˆ": "^", "˜": "~", "ˇ": "ˇ", "⃗": "→"}
# Our MathML draws `\overline`/`\underline` as a bordered row (blog/mathml_fixes.py): the same
# line KaTeX draws with a stretched ‾ over or under the content.
BORDERS = {"border-top": "mover", "border-bottom": "munder"}
LARGE_OPERATORS = set("∑∏∐∫∬∭∮∯∰⋃⋂⋁⋀⨀⨁⨂⨄⨆")
TALL = {"mfrac", "mtable", "munderover", "munder", "mover", "mroot"}
_VARIANT_NAMES = {
    "BOLD ITALIC": "bold-italic",
    "BOLD SCRIPT": "bold-script",
    "BOLD FRAKTUR": "bold-fraktur",
    "SANS-SERIF BOLD ITALIC": "sans-serif-bold-italic",
    "SANS-SERIF BOLD": "bold-sans-serif",
    "SANS-SERIF ITALIC": "sans-serif-italic",
    "SANS-SERIF": "sans-serif",
    "DOUBLE-STRUCK": "double-struck",
    "MONOSPACE": "monospace",
    "FRAKTUR": "fraktur",
    "BLACK-LETTER": "fraktur",
    "SCRIPT": "script",
    "BOLD": "bold",
    "ITALIC": "italic",
}


def split_math_letter(char: str) -> tuple[str, str | None]:
    """𝐱 → ('x', 'bold'); ℝ → ('R', 'double-struck'); a plain letter → (it, None)."""
    name = unicodedata.name(char, "")
    if not (name.startswith("MATHEMATICAL ") or "CAPITAL" in name or name == "PLANCK CONSTANT"):
        return char, None
    base = unicodedata.normalize("NFKC", char)
    if base == char or len(base) != 1:
        return char, None
    if name == "PLANCK CONSTANT":
        return base, "italic"
    words = name.removeprefix("MATHEMATICAL ")
    for variant in _VARIANT_NAMES:  # longest names first
        if words.startswith(variant + " "):
            return base, _VARIANT_NAMES[variant]
    return char, None


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and (
        char.isascii() or "\u0370" <= char <= "\u03ff"
    )


@dataclass(frozen=True, slots=True)
class Style:
    display: bool
    level: int


@dataclass(frozen=True, slots=True)
class Glyph:
    """A character of `<mi>`, `<mn>` or `<mtext>`, with the variant and script level it draws in."""

    char: str
    variant: str
    level: int


@dataclass(frozen=True, slots=True)
class Op:
    text: str
    stretchy: bool
    size: float  # minsize/maxsize in em (`\\big`), 0 if unset
    level: int
    large_display: bool  # a large operator drawn in display style
    spaced: bool = True  # False with lspace and rspace 0: it then sits like an `<mi>`


@dataclass(frozen=True, slots=True)
class Space:
    width: float


@dataclass(frozen=True, slots=True)
class Node:
    """A fixed-arity element (`msub`, `mfrac`…) or a row-like one (`msqrt`): its args are rows."""

    tag: str
    args: tuple[Row, ...]
    display: bool = False  # for `mfrac`: the style it is drawn in
    no_bar: bool = False  # for `mfrac`: linethickness 0 (`\\binom`, `\\atop`)


@dataclass(frozen=True, slots=True)
class Table:
    rows: tuple[tuple[Row, ...], ...]


Item = Glyph | Op | Space | Node | Table
Row = tuple[Item, ...]


def _length_em(value: str) -> float:
    named = {"thinmathspace": 0.1667, "mediummathspace": 0.2222, "thickmathspace": 0.2778}
    if value in named:
        return named[value]
    match = re.match(r"^(-?[\d.]+)(em|ex|pt|mu)?$", value.strip())
    if not match or match.group(1) in ("", "."):
        return 0.0
    number = float(match.group(1))
    return number * {"em": 1.0, "ex": 0.43, "pt": 0.1, "mu": 1 / 18, None: 1.0}[match.group(2)]


SCRIPTS_WHEN_INLINE = {"munder": "msub", "mover": "msup", "munderover": "msubsup"}
MOVABLE_WORDS = {"lim", "max", "min", "sup", "inf", "det", "gcd", "Pr", "liminf", "limsup"}


def _has_movable_limits(base: list[Element]) -> bool:
    """An operator whose limits MathML moves to the side out of display style (`∑`, `lim`)."""
    node = base[0] if base else None
    while node is not None and node.tag in ("mrow", "mstyle") and len(node.children) == 1:
        child = node.children[0]
        node = child if isinstance(child, Element) else None
    if node is None or node.tag != "mo" or node.attrs.get("movablelimits") == "false":
        return False
    text = "".join(c for c in node.children if isinstance(c, str)).strip()
    return text in LARGE_OPERATORS - set("∫∬∭∮∯∰") or text in MOVABLE_WORDS


def _child_style(element: Element, index: int, style: Style) -> Style:
    tag = element.tag
    if tag == "mfrac":
        return Style(False, style.level + (0 if style.display else 1))
    if tag in ("msub", "msup", "msubsup", "mmultiscripts") and index > 0:
        return Style(False, style.level + 1)
    if tag == "mroot" and index == 1:
        return Style(False, style.level + 2)
    if tag in ("munder", "mover", "munderover") and index > 0:
        accent = element.attrs.get("accentunder" if index == 1 and tag != "mover" else "accent")
        return Style(False, style.level + (0 if accent == "true" else 1))
    return style


def _own_style(element: Element, style: Style) -> Style:
    display, level = style.display, style.level
    if element.tag == "mtable":
        display = False
    if "displaystyle" in element.attrs:
        display = element.attrs["displaystyle"] == "true"
    value = element.attrs.get("scriptlevel", "")
    if re.fullmatch(r"[+-]?\d+", value):
        level = level + int(value) if value[0] in "+-" else int(value)
    return Style(display, level)


def _text_runs(element: Element, variant: str | None) -> Iterator[tuple[str, str | None]]:
    """A token's text with the variant each part is in: ours writes `\\textbf{}` inside `<mtext>`
    as HTML (`<b>`), which Chromium draws in bold."""
    for child in element.children:
        if isinstance(child, str):
            yield child, variant
            continue
        classes = child.attrs.get("class", "")
        inner = variant
        if child.tag in ("b", "strong") or "bold" in classes:
            inner = "bold-italic" if variant == "italic" else "bold"
        elif child.tag in ("i", "em") or "italic" in classes:
            inner = "bold-italic" if variant == "bold" else "italic"
        for family in ("sans-serif", "monospace", "script", "fraktur", "double-struck"):
            if family in classes:
                inner = family
        yield from _text_runs(child, inner)


def _token_items(element: Element, style: Style) -> list[Item]:
    runs = list(_text_runs(element, element.attrs.get("mathvariant")))
    runs = [(unicodedata.normalize("NFC", part), variant) for part, variant in runs]
    text = "".join(part for part, _ in runs)
    text = "".join(ALIKE.get(c, c) for c in text if not "\ufe00" <= c <= "\ufe0f")
    level = min(style.level, 2)
    if element.tag == "mo":
        spacing = [element.attrs.get(side) for side in ("lspace", "rspace")]
        explicit = sum(_length_em(value) for value in spacing if value)
        text = "".join(c for c in text if c not in INVISIBLE_OPERATORS).strip()
        if not text:
            return [Space(round(explicit, 2))] if explicit else []
        fence = text in FENCES
        stretchy = fence and element.attrs.get("stretchy", "true") == "true"
        size = element.attrs.get("minsize", "") or element.attrs.get("maxsize", "")
        size_em = round(_length_em(size), 1) if size else 0.0
        large = text in LARGE_OPERATORS and element.attrs.get("largeop") != "false"
        spaced = not (spacing[0] is not None and spacing[1] is not None and explicit == 0)
        return [Op(text, stretchy, size_em, level, large and style.display, spaced)]
    items: list[Item] = []
    single = len(text.strip()) == 1
    for part, stated in runs:
        for char in part:
            if "\ufe00" <= char <= "\ufe0f":
                continue
            if char.isspace():
                items.append(Space(0.25))
                continue
            base, variant = split_math_letter(ALIKE.get(char, char))
            if variant is None:
                variant = stated or ("italic" if element.tag == "mi" and single else "normal")
            if variant == "italic" and not _is_letter(base):
                variant = "normal"
            items.append(Glyph(base, variant, level))
    return items


def normalise(element: Element, style: Style) -> Row:
    """A row of items for `element`'s content, mrows flattened into it."""
    items: list[Item] = []
    for child in element.children:
        if isinstance(child, Element):
            items += _element_items(child, style)
    return tuple(_ellipses(items))


def _is_dot(item: Item) -> bool:
    return (
        isinstance(item, Op | Glyph) and (item.text if isinstance(item, Op) else item.char) == "."
    )


def _ellipses(items: list[Item]) -> list[Item]:
    """Ours writes `\\dots` as three spaced `.` operators, KaTeX as `…`: they draw alike."""
    kept: list[Item] = []
    index = 0
    while index < len(items):
        run = [i for i in range(index, min(index + 5, len(items))) if _is_dot(items[i])][:3]
        between = items[index : run[-1] + 1] if len(run) == 3 else []
        if (
            run[:1] == [index]
            and between
            and all(_is_dot(i) or isinstance(i, Space) for i in between)
        ):
            first = items[index]
            kept.append(Glyph("…", "normal", first.level if isinstance(first, Op | Glyph) else 0))
            index = run[-1] + 1
            continue
        kept.append(items[index])
        index += 1
    return kept


def _element_items(element: Element, style: Style) -> list[Item]:
    tag = element.tag
    if tag in DROPPED or "mtr-glue" in element.attrs.get("class", ""):
        return []
    outer, style = style, _own_style(element, style)
    if tag in TOKENS:
        return _token_items(element, style)
    if tag == "mspace":
        if element.attrs.get("linebreak") == "newline":
            return [Glyph("⏎", "normal", 0)]  # a `\\\\` that breaks the line
        width = _length_em(element.attrs.get("width", "0"))
        return [Space(round(width, 2))] if width else []
    if tag == "semantics":
        first = next((c for c in element.children if isinstance(c, Element)), None)
        return _element_items(first, style) if first is not None else []
    css = element.attrs.get("style", "")
    line = next((under for border, under in BORDERS.items() if border in css), None)
    if tag == "mrow" and line is not None:
        content = Element("mrow", {}, element.children)
        stroke = Element("mo", {"stretchy": "true"}, ["‾"])
        return _element_items(Element(line, {"accent": "true"}, [content, stroke]), outer)
    if tag in ("mrow", "mstyle", "mpadded", "math"):
        return list(normalise(element, style))
    if tag == "mtable":
        rows = _table_rows(element, style)
        if len(rows) == 1 and len(rows[0]) == 1:
            # a one-cell table (a `\\tag`'s frame) draws as its cell, in the outer style: KaTeX's
            # frame lacks `displaystyle`, which its own HTML rendering does not lose
            return list(_table_rows(element, outer)[0][0])
        return [Table(rows)]
    if tag in ROW_LIKE:
        return [Node(tag, (normalise(element, style),))]
    args = [c for c in element.children if isinstance(c, Element)]
    if tag in SCRIPTS_WHEN_INLINE and not style.display and _has_movable_limits(args[:1]):
        tag = SCRIPTS_WHEN_INLINE[tag]  # drawn as scripts beside the operator out of display
    parts = tuple(
        normalise(Element("mrow", {}, [arg]), _child_style(element, index, style))
        for index, arg in enumerate(args)
    )
    if tag == "mfrac":
        no_bar = element.attrs.get("linethickness", "") in ("0", "0px", "0em")
        return [Node(tag, parts, style.display, no_bar)]
    return [Node(tag, parts)]


def _is_glue(cell: Element) -> bool:
    css = cell.attrs.get("style", "").replace(" ", "")
    return (
        "mtr-glue" in cell.attrs.get("class", "")
        or cell.attrs.get("width") == "50%"
        or css.startswith("width:50%")  # ours: glue, and the equation-number cell
    )


def _table_rows(element: Element, style: Style) -> tuple[tuple[Row, ...], ...]:
    """Rows of formula cells: glue and equation-number cells (KaTeX's after its last glue cell,
    ours in a 50% cell) are left out; numbers are compared apart, in `equation_numbers`."""
    rows = []
    for row in element.children:
        if not isinstance(row, Element) or row.tag not in ("mtr", "mlabeledtr"):
            continue
        cells = [c for c in row.children if isinstance(c, Element) and c.tag == "mtd"]
        if row.tag == "mlabeledtr":
            cells = cells[1:]
        glue = [index for index, cell in enumerate(cells) if _is_glue(cell)]
        if glue:
            cells = cells[: glue[-1] + 1]
        kept = [normalise(cell, style) for cell in cells if not _is_glue(cell)]
        rows.append(tuple(kept))
    return tuple(rows)


def _text(node: Element | str) -> str:
    if isinstance(node, str):
        return node
    return "".join(_text(child) for child in node.children)


def _elements(node: Element) -> Iterator[Element]:
    yield node
    for child in node.children:
        if isinstance(child, Element):
            yield from _elements(child)


def equation_numbers(markup: str) -> list[str]:
    """The text of number cells: KaTeX's after the last glue cell of a row, ours in a 50% cell
    of its own (the one with a style beyond the width)."""
    numbers = []
    for row in _elements(parse_mathml(markup)):
        if row.tag not in ("mtr", "mlabeledtr"):
            continue
        cells = [c for c in row.children if isinstance(c, Element) and c.tag == "mtd"]
        glue = [index for index, cell in enumerate(cells) if _is_glue(cell)]
        if not glue:
            continue
        last = cells[glue[-1]]
        number_cells = (
            [last] if "text-align" in last.attrs.get("style", "") else cells[glue[-1] + 1 :]
        )
        text = "".join(_text(cell) for cell in number_cells).strip()
        if text:
            numbers.append(text)
    return numbers


def canonical(markup: str, display: bool) -> Row:
    row = normalise(Element("mrow", {}, [parse_mathml(markup)]), Style(display, 0))
    return _lines_as_table(row) if display else row


def _lines_as_table(row: Row) -> Row:
    """A display formula whose top level is cut by line breaks (KaTeX's `\\\\` outside an
    environment) draws as a one-column table of centred lines, which is how ours writes it."""
    if not any(isinstance(item, Glyph) and item.char == "⏎" for item in row):
        return row
    lines: list[Row] = [()]
    for item in row:
        if isinstance(item, Glyph) and item.char == "⏎":
            lines.append(())
        else:
            lines[-1] += (item,)
    while len(lines) > 1 and not lines[-1]:  # a break at the very end starts no line
        lines.pop()
    return (Table(tuple((line,) for line in lines)),) if len(lines) > 1 else lines[0]


# --- comparing --------------------------------------------------------------------------------


def _walk(row: Row) -> Iterator[Item]:
    for item in row:
        yield item
        if isinstance(item, Node):
            for arg in item.args:
                yield from _walk(arg)
        elif isinstance(item, Table):
            for table_row in item.rows:
                for cell in table_row:
                    yield from _walk(cell)


def _chars(row: Row) -> str:
    return "".join(
        i.char if isinstance(i, Glyph) else i.text for i in _walk(row) if isinstance(i, Glyph | Op)
    )


def _variants(row: Row) -> list[str]:
    found = []
    for item in _walk(row):
        if isinstance(item, Glyph) and item.char.isalnum():
            found.append(f"{item.char}:{item.variant}")
        elif isinstance(item, Op) and item.text.isalpha():
            found += [f"{char}:normal" for char in item.text]
    return found


def _shape(row: Row) -> list[str]:
    shape = []
    for item in _walk(row):
        if isinstance(item, Node):
            shape.append(f"{item.tag}/{len(item.args)}")
        elif isinstance(item, Table):
            shape.append("mtable")
    return shape


def _tables(row: Row) -> list[tuple[int, int]]:
    return [
        (len(i.rows), max((len(r) for r in i.rows), default=0))
        for i in _walk(row)
        if isinstance(i, Table)
    ]


def _is_tall(row: Row) -> bool:
    return any(isinstance(i, Table) or (isinstance(i, Node) and i.tag in TALL) for i in row)


def _fences(row: Row) -> list[str]:
    """Fences with whether they stretch: only where the row has something tall to stretch to."""
    found: list[str] = []

    def visit(items: Row) -> None:
        tall = _is_tall(items)
        for item in items:
            if isinstance(item, Glyph) and item.char in FENCES:
                found.append(item.char)
            elif isinstance(item, Op) and item.text in FENCES:
                stretched = item.stretchy and tall and not item.size
                found.append(f"{item.text}{'↕' if stretched else ''}{item.size or ''}")
            elif isinstance(item, Node):
                for arg in item.args:
                    visit(arg)
            elif isinstance(item, Table):
                for table_row in item.rows:
                    for cell in table_row:
                        visit(cell)

    visit(row)
    return found


def _levels(row: Row) -> list[str]:
    levels = []
    for item in _walk(row):
        if isinstance(item, Glyph):
            levels.append(f"{item.char}@{item.level}")
        elif isinstance(item, Op) and item.text not in HORIZONTAL:
            mark = "D" if item.large_display else ""
            levels += [f"{char}@{item.level}{mark}" for char in item.text]
        elif isinstance(item, Node) and item.tag == "mfrac":
            levels.append(f"frac{'D' if item.display else 'T'}{'0' if item.no_bar else ''}")
    return levels


def _kinds(row: Row) -> list[str]:
    """Each character in `<mo>` (which gets operator spacing) or in `<mi>`/`<mn>`/`<mtext>`."""
    found = []
    for item, before in _with_previous(row):
        if isinstance(item, Op):
            # In scripts TeX drops the space around operators, and a binary operator after an
            # operator or at the start (a sign) is ordinary: Chromium spaces KaTeX's `<mo>` there
            # anyway, but that is KaTeX's MathML, not what its readers see.
            spaced = item.spaced and item.level == 0 and not _is_sign(item, before)
            found += [f"{'mo' if spaced else 'mi'} {c}" for c in item.text if c not in ELLIPSES]
        elif isinstance(item, Glyph) and item.char not in ELLIPSES:
            found.append(f"mi {item.char}")
    return found


# TeX spaces `\\dots` and `\\cdots` as inner atoms; in `<mo>` or not, they draw alike.
ELLIPSES = set("…⋯⋮⋱")
BINARY = set("+−±∓×⋅∗∘⊗⊕⊙÷")
CLOSING = set(")]}|‖⟩⌉⌋")


def _is_sign(item: Op, before: Item | None) -> bool:
    if item.text not in BINARY:
        return False
    return before is None or (isinstance(before, Op) and before.text not in CLOSING)


def _with_previous(row: Row) -> Iterator[tuple[Item, Item | None]]:
    """Every item (in `_walk`'s order) with the item before it in its own row, spaces skipped."""
    before: Item | None = None
    for item in row:
        yield item, before
        if isinstance(item, Node):
            for arg in item.args:
                yield from _with_previous(arg)
        elif isinstance(item, Table):
            for table_row in item.rows:
                for cell in table_row:
                    yield from _with_previous(cell)
        if not isinstance(item, Space):
            before = item


def _spacing(row: Row) -> float:
    return round(sum(i.width for i in _walk(row) if isinstance(i, Space)), 1)


def _show(chars: str) -> str:
    return repr(chars[:12]) if chars else "nothing"


def _first_difference(katex: Sequence[str], ours: Sequence[str], limit: int = 3) -> tuple[str, str]:
    matcher = difflib.SequenceMatcher(None, list(katex), list(ours), autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "equal":
            return " ".join(katex[a1:a2][:limit]), " ".join(ours[b1:b2][:limit])
    return "", ""


def _table_class(katex: Row, ours: Row) -> tuple[str, str]:
    k_tables, o_tables = _tables(katex), _tables(ours)
    if len(k_tables) != len(o_tables):
        return "table: a table only one side has", f"{len(k_tables)} vs {len(o_tables)}"
    for (k_rows, k_cols), (o_rows, o_cols) in zip(k_tables, o_tables, strict=True):
        if k_rows != o_rows:
            return "table: row count differs", f"KaTeX {k_rows} rows, ours {o_rows}"
        if k_cols != o_cols:
            return "table: column count differs", f"KaTeX {k_cols} columns, ours {o_cols}"
    return "table: other", ""


def _char_class(k_chars: str, o_chars: str) -> tuple[str, str]:
    lost, added = (part.replace(" ", "") for part in _first_difference(k_chars, o_chars))
    if not added:
        name = f"characters: ours lacks {_show(lost)}"
    elif not lost:
        name = f"characters: ours adds {_show(added)}"
    else:
        name = f"characters: {_show(lost)} drawn as {_show(added)}"
    return name, f"KaTeX {k_chars[:50]!r} / ours {o_chars[:50]!r}"


def classify(katex: Row, ours: Row) -> list[tuple[str, str]]:
    """(class, detail) for each way the two rows draw differently; empty if they match. The
    views compared are all there is: two trees that differ in none of them count as the same."""
    found: list[tuple[str, str]] = []
    if _tables(katex) != _tables(ours):
        found.append(_table_class(katex, ours))
    k_chars, o_chars = _chars(katex), _chars(ours)
    if k_chars != o_chars:
        found.append(_char_class(k_chars, o_chars))
    elif _shape(katex) != _shape(ours):
        lost, added = _first_difference(_shape(katex), _shape(ours))
        found.append((f"structure: KaTeX {lost or '-'} / ours {added or '-'}", ""))
    if k_chars == o_chars:
        views = [
            ("mathvariant", _variants),
            ("fence: stretched or sized differently", _fences),
            ("size: display/script level differs", _levels),
            ("token: operator vs identifier (spacing)", _kinds),
        ]
        for name, view in views:
            k_view, o_view = view(katex), view(ours)
            if k_view != o_view:
                lost, added = _first_difference(k_view, o_view)
                if name.startswith("token"):
                    lost, added = _first_difference(k_view, o_view, limit=6)
                    text = "".join((lost or added).split(" ")[1::2])
                    side = "ours" if (lost or added).startswith("mi") == bool(lost) else "KaTeX"
                    name = f"token: {text!r} spaced as an operator by {side} only"
                if name == "mathvariant":
                    k_var = lost.split(" ")[0].partition(":")[2] or "-"
                    o_var = added.split(" ")[0].partition(":")[2] or "-"
                    name = f"mathvariant: KaTeX {k_var}, ours {o_var}"
                found.append((name, f"KaTeX {lost or '-'} / ours {added or '-'}"))
    if not found and _spacing(katex) != _spacing(ours):
        detail = f"KaTeX {_spacing(katex)}em, ours {_spacing(ours)}em"
        found.append(("spacing: explicit space differs", detail))
    return found


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compared:
    file: str
    line: int
    tex: str
    display: bool
    classes: tuple[tuple[str, str], ...]
    katex_html: str
    ours_html: str


MINOR = ("spacing", "token", "error: both")


@dataclass(slots=True)
class Fidelity:
    files: int = 0
    pairs: int = 0
    not_rendered: list[tuple[str, Pair, str]] = field(default_factory=list)
    prose: list[tuple[str, int, str, str]] = field(default_factory=list)
    compared: int = 0
    same: int = 0
    differing: list[Compared] = field(default_factory=list)

    @property
    def visible(self) -> list[Compared]:
        """Differences a reader sees for sure. Left out: spacing alone and `<mo>` against `<mi>`
        alone (KaTeX's MathML drops TeX's operator spacing, and Chromium spaces operators in
        places TeX does not, so there it is often ours that is right: see the grid), and
        formulas that both engines reject, which are broken in the note."""
        return [
            c for c in self.differing if any(not name.startswith(MINOR) for name, _ in c.classes)
        ]


def run(folder: Path, katex_dir: Path) -> Fidelity:
    result = Fidelity()
    engine = MathEngine()
    work: list[tuple[str, Pair, Ours]] = []
    for path in sorted(folder.rglob("*.md")):
        name = path.relative_to(folder).as_posix()
        source = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        pairs = mathjax_pairs(source)
        ours, _ = our_formulas(source, name, engine)
        matched, missing, extra = match_formulas(pairs, ours)
        result.files += 1
        result.pairs += len(pairs)
        result.not_rendered += [(name, p, why_not_rendered(p, source, extra)) for p in missing]
        result.prose += [(name, f.line, f.tex, unpaired_kind(f.tex)) for f in extra]
        result.prose += [
            (name, o.line, o.tex, "reads as prose (heuristic)")
            for p, o in matched
            if looks_like_prose(p.tex)
        ]
        work += [(name, p, o) for p, o in matched]
    rendered = katex_render([(html.unescape(p.tex), o.display) for _, p, o in work], katex_dir)
    for (name, pair, ours_formula), (katex_html, katex_error) in zip(work, rendered, strict=True):
        result.compared += 1
        ours_math = math_element(ours_formula.html)
        katex_math = math_element(katex_html or "")
        if "math-error" in ours_formula.html or ours_math is None:
            classes: list[tuple[str, str]] = [
                (
                    "error: ours fails, KaTeX renders"
                    if katex_error is None
                    else "error: both fail",
                    "",
                )
            ]
        elif katex_error is not None or katex_math is None:
            classes = [("error: KaTeX fails, ours renders", katex_error or "")]
        else:
            classes = classify(
                canonical(katex_math, ours_formula.display),
                canonical(ours_math, ours_formula.display),
            )
            k_numbers, o_numbers = equation_numbers(katex_math), equation_numbers(ours_math)
            if k_numbers and k_numbers != o_numbers:
                classes.append(("equation number differs", f"KaTeX {k_numbers} / ours {o_numbers}"))
        if not classes:
            result.same += 1
            continue
        result.differing.append(
            Compared(
                name,
                pair.line,
                ours_formula.tex,
                ours_formula.display,
                tuple(classes),
                katex_html or "",
                ours_formula.html,
            )
        )
    return result


def _family(name: str) -> str:
    return name.split(":")[0]


def report(result: Fidelity, show: int) -> str:
    reasons = Counter(reason for _, _, reason in result.not_rendered)
    lines = [
        f"files: {result.files}",
        f"MathJax pairs: {result.pairs}",
        f"pairs not rendered as math by our build: {len(result.not_rendered)}"
        f" ({len(result.not_rendered) / max(result.pairs, 1):.2%})",
    ]
    for reason, count in reasons.most_common():
        lines.append(f"  {count:5}  {reason}")
        examples = [(n, p) for n, p, r in result.not_rendered if r == reason][:show]
        lines += [f"          {n}:{p.line}  {p.delimiter}{p.tex[:70]!r}" for n, p in examples]
    prose_kinds = Counter(kind for *_, kind in result.prose)
    prose = [item for item in result.prose if item[3] != NOT_PAIRED_TEX]
    lines.append(f"prose turned into math: {len(prose)} (listed below with TeX that is math)")
    for kind, count in prose_kinds.most_common():
        lines.append(f"  {count:5}  {kind}")
        lines += [
            f"          {n}:{line}  {tex[:70]!r}" for n, line, tex, k in result.prose if k == kind
        ][:show]
    differing, visible = len(result.differing), len(result.visible)
    lines += [
        f"formulas compared with KaTeX: {result.compared}",
        f"  the same after normalising: {result.same}",
        f"  differing: {differing} ({differing / max(result.compared, 1):.2%})",
        f"  differing visibly (not spacing or <mo>/<mi> alone, not broken in the note): {visible}"
        f" ({visible / max(result.compared, 1):.2%})",
    ]
    primary = Counter(_family(c.classes[0][0]) for c in result.differing)
    lines.append("by family (first class of each formula):")
    lines += [f"  {count:5}  {family}" for family, count in primary.most_common()]
    every = Counter(name for c in result.differing for name, _ in c.classes)
    lines.append("by class (a formula can be in several):")
    for name, count in every.most_common():
        lines.append(f"  {count:5}  {name}")
        for compared in [c for c in result.differing if any(n == name for n, _ in c.classes)][
            :show
        ]:
            detail = next(d for n, d in compared.classes if n == name)
            lines.append(
                f"          {compared.file}:{compared.line}  {compared.tex[:60]!r}  {detail[:80]}"
            )
    return "\n".join(lines)


# --- the screenshot grid ---------------------------------------------------------------------

_GRID_STYLE = """
body { font: 13px sans-serif; margin: 8px; background: #fff; width: 1500px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
td, th { border: 1px solid #bbb; padding: 4px 6px; vertical-align: middle; overflow: hidden; }
th { background: #eee; } td.label { font: 11px monospace; word-break: break-all; width: 300px; }
td.label b { color: #a00; } .cell { overflow-x: auto; }
math { font-family: MATH_FONTS; font-size: 1.25em; }
.katex { font-size: 1.15em; }
.katex-display { margin: 0; }
"""


def _grid_page(rows: Sequence[Compared], katex_css: str) -> str:
    body = []
    for row in rows:
        label = (
            f"{html.escape(row.file)}:{row.line}<br><b>{html.escape(row.classes[0][0])}</b><br>"
            f"{html.escape(row.tex[:300])}"
        )
        katex_mathml = math_element(row.katex_html) or "<i>KaTeX error</i>"
        katex_mathml = re.sub(r"<annotation.*?</annotation>", "", katex_mathml, flags=re.DOTALL)
        ours = row.ours_html if "math-error" not in row.ours_html else "<i>error</i>"
        cells = [row.katex_html, katex_mathml, ours]
        body.append(
            f"<tr><td class=label>{label}</td>"
            + "".join(f"<td><div class=cell>{cell}</div></td>" for cell in cells)
            + "</tr>"
        )
    return (
        f'<!doctype html><meta charset="utf-8"><style>{katex_css}</style>'
        f"<style>{_GRID_STYLE.replace('MATH_FONTS', MATH_FONTS)}</style>"
        "<table><tr><th style='width:300px'>file:line, class, TeX</th>"
        "<th>KaTeX (HTML + its fonts)</th><th>KaTeX MathML</th><th>ours (MathML)</th></tr>"
        f"{''.join(body)}</table>"
    )


def write_grid(rows: Sequence[Compared], out: Path, katex_dir: Path, per_page: int) -> list[Path]:
    """PNG pages of the differing formulas, grouped by first class."""
    from playwright.sync_api import sync_playwright  # only here: the survey runs without it

    dist = (katex_dir / "node_modules" / "katex" / "dist").resolve()
    css = (dist / "katex.min.css").read_text(encoding="utf-8")
    css = css.replace("url(fonts/", f"url(file://{dist}/fonts/")
    out.mkdir(parents=True, exist_ok=True)
    ordered = sorted(rows, key=lambda r: (r.classes[0][0], r.file, r.line))
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1520, "height": 800})
        for number, start in enumerate(range(0, len(ordered), per_page), 1):
            markup = _grid_page(ordered[start : start + per_page], css)
            source = out / f"grid-{number:03}.html"
            source.write_text(markup, encoding="utf-8")
            page.goto(source.as_uri())
            page.evaluate("document.fonts.ready")
            target = out / f"grid-{number:03}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=CORPUS)
    parser.add_argument(
        "--katex", type=Path, required=True, help="a folder with node_modules/katex"
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/math-fidelity"), help="grid folder")
    parser.add_argument("--show", type=int, default=3, help="examples per class")
    parser.add_argument("--per-page", type=int, default=25, help="grid rows per PNG")
    parser.add_argument("--no-grid", action="store_true", help="skip the screenshots")
    args = parser.parse_args()
    result = run(args.folder, args.katex)
    print(report(result, args.show))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.txt").write_text(report(result, 1000) + "\n", encoding="utf-8")
    if not args.no_grid and result.differing:
        pages = write_grid(result.differing, args.out, args.katex, args.per_page)
        print(f"grid: {len(pages)} pages in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
