"""Line breaks in long inline formulas, where KaTeX allows them.

A `<math>` is one unbreakable box (MathML Core has no line breaking), so a long inline formula
pushes a phone's page sideways. KaTeX breaks inline math after each top-level relation or binary
operator (with the space after it); we do the same, and after a top-level comma or semicolon too
(long lists `x_1, x_2, …, x_n` are common in notes), by splitting the MathML into several
`<math>`, between which the browser may break the line. A break is never inside an element (a
group, `\\left…\\right`, a fraction, a script, a table): only between the children of `<math>`.

Not a break: an operator without spacing on either side (math-core writes a unary minus so), one
first or last, or one beside another breaking operator (`\\le -`, `:=` stay whole). A formula
shorter than `LONG` characters is never split, so short formulas do not change at all.

An operator's spacing depends on its place among its siblings (MathML Core: first is prefix, last
postfix, else infix, not counting space-like children). The operator a piece ends with gets
`form="infix"`, which it had in the whole formula; every breaking operator has an infix entry in
the operator dictionary, so its spacing is unchanged. The symbol a piece starts with is left
alone: an explicit form without a dictionary entry would get default spacing, and as it is,
Chromium spaces it as before (a browser test measures both).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Characters of content (not markup) from which an inline formula may be split: about half the
# width of a phone's line. Shorter formulas fit anyway and stay exactly as math-core made them.
LONG = 24

_RELATIONS = frozenset("=<>≤≥≠≈≡∼≃≅≍∝∈∉∋⊂⊃⊆⊇⊊⊋→←↔⇒⇐⇔⟶⟵⟹⟸⟺↦⟼≪≫≺≻⪯⪰≼≽∣∥⊥⊢⊨≐≜≔≲≳≦≧⩽⩾⊏⊑⊒⊐∽≗")
_BINARY = frozenset("+−±∓×÷⋅·∗∘∙∪∩∧∨⊕⊖⊗⊘⊙∖⋆⊎⊓⊔⋄⊲⊳≀⨿⊛⋉⋊")
_PUNCTUATION = frozenset(",;")
_BREAKING = _RELATIONS | _BINARY | _PUNCTUATION
_SPACE_LIKE = ("mspace", "mtext")

# Tags of math-core's MathML: its attribute values never hold `<` or `>` (they are escaped).
_OPEN = re.compile(r"<([a-z][a-z0-9]*)([^<>]*?)(/?)>")
_ANY_TAG = re.compile(r"<[^<>]*>")
_LEAVES = frozenset(("mi", "mn", "mo", "mtext", "ms"))
_FORM = re.compile(r"""\sform\s*=""")


@dataclass(frozen=True, slots=True)
class _Child:
    """One child of `<math>`: `start:end` in the MathML."""

    name: str
    start: int
    end: int
    text: str  # an `<mo>`'s operator (else empty)
    zero_spaced: bool  # lspace="0" and rspace="0": an ordinary symbol, not an operator


def split_inline(mathml: str) -> list[str]:
    """`mathml` (one inline `<math>`) as the `<math>` pieces to put side by side, or `[]` when
    it stays whole."""
    if len(mathml) - 4 * mathml.count("<") < LONG:  # every tag takes 4 characters or more
        return []  # short for sure, without reading it
    if _text_length(mathml) < LONG:
        return []
    parsed = _children(mathml)
    if parsed is None:
        return []
    open_tag, children = parsed
    breaks = _break_points(children)
    if not breaks:
        return []
    ranges = list(zip([0, *breaks], [*breaks, len(children)], strict=True))
    return [
        f"{open_tag}{_piece(mathml, children[first:stop], last=stop == len(children))}</math>"
        for first, stop in ranges
    ]


def _text_length(mathml: str) -> int:
    text = _ANY_TAG.sub("", mathml)
    return len(html.unescape(text) if "&" in text else text)


def _children(mathml: str) -> tuple[str, list[_Child]] | None:
    """The opening tag and top-level children of `mathml`, or None if it is not as expected.
    This runs for every long inline formula: it steps from child to child, and looks inside one
    only for its closing tag."""
    first = _OPEN.match(mathml)
    if not first or first.group(1) != "math" or first.group(3) or not mathml.endswith("</math>"):
        return None
    stop = len(mathml) - len("</math>")
    children: list[_Child] = []
    pos = first.end()
    while pos < stop:
        tag = _OPEN.match(mathml, pos)
        if tag is None:
            return None  # text or a closing tag outside any element: leave the formula alone
        name, attributes, empty = tag.groups()
        end = tag.end() if empty else _closing_end(mathml, name, tag.end(), stop)
        if end < 0:
            return None
        text = ""
        if name == "mo" and not empty:
            text = mathml[tag.end() : end - len("</mo>")]
            text = html.unescape(text) if "&" in text else text
        zero = 'lspace="0"' in attributes and 'rspace="0"' in attributes
        children.append(_Child(name, pos, end, text, zero))
        pos = end
    if pos != stop:
        return None
    return first.group(), children


def _closing_end(mathml: str, name: str, start: int, stop: int) -> int:
    """Where the element `name` opened just before `start` ends, or -1."""
    if name in _LEAVES:  # hold text (an `<mtext>` also links), never another of their kind
        found = mathml.find(f"</{name}>", start, stop)
        return found + len(name) + 3 if found >= 0 else -1
    depth = 1
    for tag in re.compile(f"<(/?){name}(?=[\\s/>])").finditer(mathml, start, stop):
        if tag.group(1):
            depth -= 1
            if depth == 0:
                return tag.start() + len(name) + 3
        elif mathml[mathml.find(">", tag.end()) - 1] != "/":
            depth += 1
    return -1


def _is_breaking(child: _Child) -> bool:
    return child.name == "mo" and child.text in _BREAKING and not child.zero_spaced


def _break_points(children: list[_Child]) -> list[int]:
    """Indexes of the children that start a new piece."""
    breaks = []
    index = 1
    while index < len(children) - 1:
        if _is_breaking(children[index]) and not _is_breaking(children[index - 1]):
            after = index + 1
            while after < len(children) and children[after].name == "mspace":
                after += 1  # the space after an operator stays with it, as in TeX
            if after < len(children) and not _is_breaking(children[after]):
                breaks.append(after)
            index = after
        else:
            index += 1
    return breaks


def _piece(mathml: str, children: list[_Child], *, last: bool) -> str:
    """The MathML of `children`. Unless it is the `last` piece, it ends with its breaking
    operator (and the space after it), which is pinned to the infix form it had in the whole."""
    text = mathml[children[0].start : children[-1].end]
    if last:
        return text
    operator = next(child for child in reversed(children) if child.name not in _SPACE_LIKE)
    tag = _OPEN.match(mathml, operator.start)
    if operator.name != "mo" or tag is None or _FORM.search(tag.group(2)):
        return text
    at = operator.start + len("<mo") - children[0].start
    return f'{text[:at]} form="infix"{text[at:]}'
