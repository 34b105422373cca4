"""How well do we render the math of real notes we did not write?

    python bench/math_corpus.py [tests/corpus/notes] [--show N]

For every markdown file in the corpus (see tests/corpus/SOURCES.md) it reports:

- formulas rendered and failed, failures grouped by the engine's message, with `file:line`;
- formulas *changed by markdown*: an independent scanner finds the formulas in the raw text (the
  way MathJax on the page would see them), and each must reach the engine with the same TeX
  (whitespace aside). A formula that markdown split, unescaped or never delivered counts here;
- outputs that look like silent garbage (a stray backslash command left in the MathML).

A formula that is broken in the note itself (an undefined macro the author's MathJax also shows
in red) cannot be rendered by anyone. `tests/corpus/broken_in_source.txt` lists them, one
`file<TAB>tex` per line; the rate counts them apart. `--katex DIR` (a folder where
`npm install katex` was run) re-checks every failure with KaTeX and rewrites that list from the
formulas KaTeX rejects too.

Exit status 1 if fewer than 99.9% of the other formulas render or any formula was changed;
tests/test_corpus.py runs the same survey.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it.token import Token

from mathblog.markdown.parser import create_markdown, render_body
from mathblog.math.engine import MathEngine
from mathblog.math.tex import find_unescaped, is_escaped

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus" / "notes"
BROKEN_IN_SOURCE = CORPUS.parent / "broken_in_source.txt"
TARGET = 0.999
_KATEX_CHECK = """
const katex = require(process.argv[1] + "/node_modules/katex");
const formulas = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(formulas.map(([tex, display]) => {
  try { katex.renderToString(tex, {displayMode: display, throwOnError: true, strict: "ignore"});
        return null; } catch (e) { return String(e.message); }
})));
"""

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_QUOTE_MARKERS = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_ENVIRONMENT = re.compile(
    r"\\begin\{((?:equation|align|alignat|flalign|gather|multline|eqnarray|math|displaymath)"
    r"\*?)\}"
)
_SPACE = re.compile(r"\s+")
# tufte-jekyll's Liquid tags for math: a theme plugin's syntax, not TeX delimiters; counted apart
_LIQUID_MATH = re.compile(r"\{%-?\s*(?:math|m)\s*-?%\}")
_OPENER = re.compile(r"\\\\?[(\[]")
# A control word that reached the MathML as text means the engine passed it through unread.
_GARBAGE = re.compile(r">[^<]*\\[A-Za-z]{2,}[^<]*<")


@dataclass(frozen=True, slots=True)
class Formula:
    tex: str
    display: bool


@dataclass(frozen=True, slots=True)
class Failure:
    file: str
    location: str
    kind: str
    tex: str
    display: bool


@dataclass(slots=True)
class Survey:
    files: int = 0
    formulas: int = 0
    failures: list[Failure] = field(default_factory=list)
    broken_in_source: list[Failure] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    garbage: list[str] = field(default_factory=list)
    unread: int = 0
    seconds: float = 0.0

    @property
    def valid(self) -> int:
        """Formulas that are correct TeX as written."""
        return self.formulas - len(self.broken_in_source)

    @property
    def rendered(self) -> int:
        return self.valid - len(self.failures)

    @property
    def rate(self) -> float:
        return self.rendered / self.valid if self.valid else 1.0

    @property
    def ok(self) -> bool:
        return self.rate >= TARGET and not self.changed


# --- the independent scanner --------------------------------------------------------------------


def _without_code(text: str) -> str:
    lines = text.split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            lines[index] = ""
        elif fence is not None:
            if match and match.group(1) == fence:
                fence = None
            lines[index] = ""
    text = "\n".join(lines)
    text = _COMMENT.sub(" ", text)
    return _CODE_SPAN.sub(" ", text)


def _unescape_table_pipes(text: str) -> str:
    # GFM: in a table row `\|` is a pipe, also inside math; the author wrote it for the table.
    return "\n".join(
        line.replace("\\|", "|") if line.lstrip().startswith("|") else line
        for line in text.split("\n")
    )


def reference_formulas(text: str) -> list[Formula]:
    """The formulas a reader's MathJax would find in the raw markdown (code left out)."""
    if text.startswith("---\n") and (end := text.find("\n---", 4)) > 0:
        text = text[end + 4 :]
    text = _unescape_table_pipes(_QUOTE_MARKERS.sub("", _without_code(text)))
    found: list[Formula] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "\\" and not is_escaped(text, pos):
            environment = _ENVIRONMENT.match(text, pos)
            if environment:
                closer = "\\end{" + environment.group(1) + "}"
                close = text.find(closer, environment.end())
                if close >= 0:
                    found.append(Formula(text[pos : close + len(closer)], True))
                    pos = close + len(closer)
                    continue
            # `\(…\)`, and `\\(…\\)` that a Jekyll/Hugo markdown unescapes to it for MathJax
            opener = _OPENER.match(text, pos)
            if opener:
                closer = opener.group()[:-1] + ("]" if opener.group().endswith("[") else ")")
                close = text.find(closer, opener.end())
                if close >= 0:
                    tex = text[opener.end() : close]
                    found.append(Formula(tex.strip(), opener.group().endswith("[")))
                    pos = close + len(closer)
                    continue
            pos += 2
            continue
        if char == "$" and not is_escaped(text, pos):
            if text.startswith("$$", pos):
                close = find_unescaped(text, "$$", pos + 2)
                if close >= 0 and text[pos + 2 : close].strip():
                    found.append(Formula(text[pos + 2 : close].strip(), True))
                    pos = close + 2
                    continue
                pos += 2
                continue
            # pandoc's rule, as the builder and most MathJax setups for markdown use
            if pos + 1 < len(text) and not text[pos + 1].isspace():
                close = find_unescaped(text, "$", pos + 1)
                if (
                    close >= 0
                    and not text[close - 1].isspace()
                    and not (close + 1 < len(text) and text[close + 1].isdigit())
                    and "\n\n" not in text[pos:close]
                ):
                    found.append(Formula(text[pos + 1 : close], False))
                    pos = close + 1
                    continue
        pos += 1
    return found


# --- the survey -------------------------------------------------------------------------------


def _math_tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "math_block":
            yield token
        for child in token.children or ():
            if child.type == "math_inline":
                yield child


def _normal(tex: str) -> str:
    return _SPACE.sub(" ", tex).strip()


def _line_of(token: Token) -> str:
    return str(token.map[0] + 1) if token.map else "?"


def _known_broken(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    entries = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, tex = line.partition("\t")
            entries.add((name, json.loads(tex)))
    return entries


def survey(folder: Path, broken_list: Path = BROKEN_IN_SOURCE) -> Survey:
    result = Survey()
    known_broken = _known_broken(broken_list)
    md = create_markdown(raw_html=True)
    engine = MathEngine()
    started = time.perf_counter()
    for path in sorted(folder.rglob("*.md")):
        name = path.relative_to(folder).as_posix()
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        body = render_body(md, text, engine=engine, path=name)
        result.files += 1
        result.unread += len(_LIQUID_MATH.findall(text))
        ours = list(_math_tokens(body.tokens))
        result.formulas += len(ours)
        problems = iter(body.diagnostics)
        for token in ours:
            rendered = token.meta.get("html", "")
            if isinstance(rendered, str) and 'class="math-error' in rendered:
                problem = next(problems)
                display = token.type == "math_block" or bool(token.meta.get("display"))
                failure = Failure(
                    name,
                    problem.location(),
                    problem.message.removeprefix("math: "),
                    token.content,
                    display,
                )
                if (name, token.content) in known_broken:
                    result.broken_in_source.append(failure)
                else:
                    result.failures.append(failure)
            if (
                isinstance(rendered, str)
                and "math-error" not in rendered
                and _GARBAGE.search(rendered.replace("<mo>\\</mo>", ""))
            ):
                result.garbage.append(f"{name}: {token.content[:80]}")
        delivered = Counter(_normal(t.content) for t in ours)
        for formula in reference_formulas(text):
            key = _normal(formula.tex)
            if delivered[key] > 0:
                delivered[key] -= 1
            else:
                result.changed.append(f"{name}: {formula.tex[:100]!r}")
    result.seconds = time.perf_counter() - started
    return result


def katex_rejects(failures: list[Failure], katex_dir: Path) -> list[Failure]:
    """The failures KaTeX cannot render either: broken in the note, not in our engine."""
    payload = json.dumps([[f.tex, f.display] for f in failures])
    verdicts = json.loads(
        subprocess.run(
            ["node", "-e", _KATEX_CHECK, str(katex_dir.resolve())],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return [failure for failure, error in zip(failures, verdicts, strict=True) if error]


def write_broken_list(failures: list[Failure], path: Path) -> None:
    lines = ["# Formulas that are broken as written: KaTeX rejects them too (file<TAB>TeX as JSON)"]
    lines += sorted({f"{f.file}\t{json.dumps(f.tex, ensure_ascii=False)}" for f in failures})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def report(result: Survey, show: int) -> str:
    kinds = Counter(failure.kind for failure in result.failures)
    lines = [
        f"files: {result.files}",
        f"formulas: {result.formulas}",
        f"broken in the source (KaTeX rejects them too): {len(result.broken_in_source)}",
    ]
    lines += [f"    {f.location}: {f.kind}  [{f.tex[:70]}]" for f in result.broken_in_source[:show]]
    lines += [
        f"rendered: {result.rendered} of {result.valid} ({result.rate:.2%}; target {TARGET:.1%})",
        f"failed: {len(result.failures)}",
    ]
    lines += [f"  {count:4}  {kind}" for kind, count in kinds.most_common()]
    lines += [f"    {f.location}: {f.kind}  [{f.tex[:70]}]" for f in result.failures[:show]]
    lines.append(f"changed by markdown: {len(result.changed)}")
    lines += [f"    {change}" for change in result.changed[:show]]
    lines.append(f"suspicious output (a TeX command left in the MathML): {len(result.garbage)}")
    lines += [f"    {item}" for item in result.garbage[:show]]
    lines.append(f"not read, in Liquid {{% math %}} tags of a Jekyll theme: {result.unread}")
    lines.append(f"time: {result.seconds:.2f} s")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--show", type=int, default=20, help="examples to list per section")
    parser.add_argument(
        "--katex", type=Path, help="a folder with node_modules/katex: rewrite the broken list"
    )
    args = parser.parse_args()
    result = survey(args.folder)
    if args.katex:
        everything = result.failures + result.broken_in_source
        write_broken_list(katex_rejects(everything, args.katex), BROKEN_IN_SOURCE)
        result = survey(args.folder)
    print(report(result, args.show))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
