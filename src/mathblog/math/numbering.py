"""Equation numbers, `\\tag`, `\\label` and `\\eqref`/`\\ref` across one post.

We number equations ourselves instead of leaving it to the engine's global state: every formula
becomes a stateless conversion (so it can be cached), forward references work, and tags and labels
may be Chinese. Each numbered row gets an explicit `\\tag*{placeholder}` and each label a
`\\label{placeholder}`; after conversion the placeholders become the number and a stable anchor id.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from mathblog.math.environments import NUMBERED, NUMBERED_ONCE
from mathblog.math.tex import commands, is_escaped, read_argument, skip_spaces, split_top_level

_EDGE = re.compile(r"\\(begin|end)\s*\{(" + "|".join(NUMBERED) + r")(\*?)\}")
_REF = re.compile(r"\\(eqref|ref)\s*\{([^{}]*)\}")
_ONLY_REF = re.compile(r"\s*\\(eqref|ref)\s*\{([^{}]*)\}\s*")
_NO_NUMBER = re.compile(r"\\(?:nonumber|notag)(?![A-Za-z])")
_ID_UNSAFE = re.compile(r"[^\w.-]+")


def _tag_marker(index: int) -> str:
    return f"QzT{index}Qz"


def _label_marker(index: int) -> str:
    return f"QzL{index}Qz"


def _ref_marker(index: int) -> str:
    return f"QzR{index}Qz"


@dataclass(frozen=True, slots=True)
class Reference:
    kind: str  # "eqref" shows "(3)", "ref" shows "3"
    label: str


@dataclass(frozen=True, slots=True)
class PreparedFormula:
    """A formula ready for the engine, and what to put back into its output afterwards."""

    tex: str
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    only_reference: Reference | None = None
    problems: tuple[str, ...] = ()


@dataclass(slots=True)
class _Row:
    text: str
    tag: str | None = None
    starred_tag: bool = False
    label: str | None = None
    unnumbered: bool = False


@dataclass(slots=True)
class EquationNumbering:
    """Numbers and labels of one document; `prepare` every formula in order, then `finish`."""

    counter: int = 0
    numbers: dict[str, str] = field(default_factory=dict)  # label → "3" or a tag's text
    ids: dict[str, str] = field(default_factory=dict)  # label → anchor id

    def prepare(self, tex: str, *, display: bool) -> PreparedFormula:
        if only := _ONLY_REF.fullmatch(tex):
            return PreparedFormula(tex, only_reference=Reference(only.group(1), only.group(2)))
        tex, references = _mark_references(tex)
        if not display:  # inline math has no equation numbers
            return PreparedFormula(_unnumbered(tex), references=references)
        stripped = tex.strip()
        found = _outermost_environments(stripped)
        tags: list[str] = []
        labels: list[str] = []
        problems: list[str] = []
        if found is None:  # unbalanced: the engine reports it
            return PreparedFormula(tex, references=references)
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(stripped):
            whole = found[0]
            prepared = self._number(whole.name, whole.starred, whole.body, tags, labels, problems)
        elif _mentions(tex, "tag") or _mentions(tex, "label"):
            # `$$ … \tag{1} $$` as Typora and MathJax allow; a label asks for a number.
            starred = not _mentions(tex, "label")
            prepared = self._number("equation", starred, stripped, tags, labels, problems)
        elif found:
            # `$$ x = \begin{align}…\end{align} $$`: each environment numbered where it is.
            pieces: list[str] = []
            last = 0
            for environment in found:
                pieces.append(stripped[last : environment.start])
                pieces.append(
                    self._number(
                        environment.name,
                        environment.starred,
                        environment.body,
                        tags,
                        labels,
                        problems,
                    )
                )
                last = environment.end
            prepared = "".join(pieces) + stripped[last:]
        else:
            return PreparedFormula(tex, references=references)
        return PreparedFormula(
            prepared, tuple(tags), tuple(labels), references, problems=tuple(problems)
        )

    def _number(
        self,
        name: str,
        starred: bool,
        body: str,
        tags: list[str],
        labels: list[str],
        problems: list[str],
    ) -> str:
        """`\\begin{name*}…\\end{name*}` with an explicit tag on each numbered row: the engine
        numbers nothing itself, so an environment nested inside loses its numbers too."""
        body = _unnumbered(body)
        numbered = not starred
        if name in NUMBERED_ONCE:  # the others number each row
            rows = [_read_row(body)]
        else:
            rows = [_read_row(piece) for piece in split_top_level(body, "\\\\")]
        texts: list[str] = []
        for position, row in enumerate(rows):
            text = row.text
            if position == len(rows) - 1 and not text.strip() and len(rows) > 1:
                break  # a trailing `\\` ends the last row; it does not start an empty one
            number: str | None = None
            if row.tag is not None:
                number = row.tag
                tags.append(row.tag if row.starred_tag else f"({row.tag})")
            elif numbered and not row.unnumbered:
                self.counter += 1
                number = str(self.counter)
                tags.append(f"({number})")
            if number is not None:
                text += "\\tag*{" + _tag_marker(len(tags) - 1) + "}"
            if row.label is not None:
                self._define(row.label, number, problems)
                if number is not None:
                    text += "\\label{" + _label_marker(len(labels)) + "}"
                    labels.append(row.label)
            texts.append(text)
        return "\\begin{" + name + "*}" + "\\\\".join(texts) + "\\end{" + name + "*}"

    def _define(self, label: str, number: str | None, problems: list[str]) -> None:
        if label in self.numbers:
            problems.append(f"\\label{{{label}}} is used twice in this post")
            return
        if number is None:
            problems.append(f"\\label{{{label}}} is on an equation without a number")
            return
        self.numbers[label] = number
        self.ids[label] = _unique_id(label, set(self.ids.values()))

    def finish(self, formula: PreparedFormula, converted: str | None) -> tuple[str, list[str]]:
        """The final HTML for `formula` (its engine output is `converted`) and any problems."""
        problems: list[str] = []
        if formula.only_reference is not None:
            return self._reference_html(formula.only_reference, problems), problems
        assert converted is not None
        for index, tag in enumerate(formula.tags):
            converted = converted.replace(_tag_marker(index), html.escape(tag, quote=False))
        for index, label in enumerate(formula.labels):
            converted = converted.replace(
                f'id="{_label_marker(index)}"', f'id="{html.escape(self.ids[label])}"'
            )
        for index, reference in enumerate(formula.references):
            marker = _ref_marker(index)
            pattern = re.compile(r'<a href="#' + marker + r'">\(\?\?\)</a>')
            converted = pattern.sub(
                self._reference_html(reference, problems).replace("\\", "\\\\"), converted
            )
        return converted, problems

    def _reference_html(self, reference: Reference, problems: list[str]) -> str:
        number = self.numbers.get(reference.label)
        if number is None:
            problems.append(
                f"\\{reference.kind}{{{reference.label}}}: no numbered equation in this post "
                f"has \\label{{{reference.label}}}"
            )
            missing = "(??)" if reference.kind == "eqref" else "??"
            title = html.escape(f"no \\label{{{reference.label}}} in this post")
            return f'<span class="math-error eqref" title="{title}">{missing}</span>'
        shown = f"({number})" if reference.kind == "eqref" else number
        target = html.escape(self.ids[reference.label])
        return f'<a class="eqref" href="#{target}">{html.escape(shown, quote=False)}</a>'


@dataclass(frozen=True, slots=True)
class _Environment:
    name: str
    starred: bool
    body: str
    start: int
    end: int


def _outermost_environments(tex: str) -> list[_Environment] | None:
    """The numbered environments of `tex` not inside another one; None if they do not nest."""
    found: list[_Environment] = []
    if "\\begin" not in tex:
        return found
    open_ones: list[re.Match[str]] = []
    for edge in _EDGE.finditer(tex):
        if is_escaped(tex, edge.start()):
            continue
        if edge.group(1) == "begin":
            open_ones.append(edge)
            continue
        if not open_ones or open_ones[-1].group(2, 3) != edge.group(2, 3):
            return None
        begin = open_ones.pop()
        if not open_ones:
            body = tex[begin.end() : edge.start()]
            found.append(
                _Environment(begin.group(2), begin.group(3) == "*", body, begin.start(), edge.end())
            )
    return None if open_ones else found


def _unnumbered(tex: str) -> str:
    """Every numbered environment in `tex` starred: where we number nothing, nobody does."""
    if "\\begin" not in tex:
        return tex
    return _EDGE.sub(lambda edge: f"\\{edge.group(1)}{{{edge.group(2)}*}}", tex)


def _mentions(tex: str, name: str) -> bool:
    return next(commands(tex, name), None) is not None


def _mark_references(tex: str) -> tuple[str, tuple[Reference, ...]]:
    references: list[Reference] = []

    def mark(match: re.Match[str]) -> str:
        references.append(Reference(match.group(1), match.group(2)))
        return "\\eqref{" + _ref_marker(len(references) - 1) + "}"

    return _REF.sub(mark, tex), tuple(references)


def _take_command(text: str, name: str) -> tuple[str, str | None, bool]:
    """Remove the first `\\name{arg}` (or `\\name*{arg}`): (text without it, arg, starred)."""
    start = next(commands(text, name), None)
    if start is None:
        return text, None, False
    pos = start + len(name) + 1
    starred = text.startswith("*", pos)
    argument = read_argument(text, skip_spaces(text, pos + 1) if starred else pos)
    if argument is None:
        return text, None, False
    return text[:start] + text[argument.end :], argument.text.strip(), starred


def _read_row(text: str) -> _Row:
    text, tag, starred = _take_command(text, "tag")
    text, label, _ = _take_command(text, "label")
    unnumbered = bool(_NO_NUMBER.search(text))
    return _Row(_NO_NUMBER.sub("", text), tag, starred, label, unnumbered)


def _unique_id(label: str, taken: set[str]) -> str:
    base = _ID_UNSAFE.sub("-", label).strip("-") or "equation"
    if not base.startswith("eq"):
        base = "eq-" + base
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
