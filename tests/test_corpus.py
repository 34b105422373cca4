"""The real-notes corpus (tests/corpus/, third-party text) renders as the math issue promises."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from sites import REPO


def load_survey_script() -> ModuleType:
    path = REPO / "bench" / "math_corpus.py"
    spec = importlib.util.spec_from_file_location("math_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["math_corpus"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


math_corpus = load_survey_script()


def test_corpus_renders_at_least_999_per_mille_and_markdown_changes_no_formula() -> None:
    result = math_corpus.survey(math_corpus.CORPUS)
    assert result.files >= 10
    assert result.formulas >= 1000
    failures = [f"{f.location}: {f.kind}" for f in result.failures]
    assert result.rate >= math_corpus.TARGET, failures
    assert result.changed == []
    assert result.garbage == []


def test_broken_in_source_list_only_holds_formulas_that_still_fail() -> None:
    # The list must never hide a formula we could render: each entry has to fail here too.
    listed = math_corpus._known_broken(math_corpus.BROKEN_IN_SOURCE)
    result = math_corpus.survey(math_corpus.CORPUS)
    failing = {(f.file, f.tex) for f in result.broken_in_source}
    assert listed <= failing
    assert len(result.broken_in_source) <= 0.005 * result.formulas


def test_reference_scanner_finds_what_mathjax_would() -> None:
    text = (
        "Price $5 and $10. Inline $a_1$ and \\(b\\).\n\n"
        "```\n$not math$\n```\n\n"
        "`$code$` then $$\nc\n$$ and \\[d\\]\n\n"
        "\\begin{align}\ne &= f\n\\end{align}\n\n"
        "> quoted $$\n> g\n> $$\n\n"
        "| $x \\| y$ |\n"
    )
    found = [(f.tex, f.display) for f in math_corpus.reference_formulas(text)]
    assert found == [
        ("a_1", False),
        ("b", False),
        ("c", True),
        ("d", True),
        ("\\begin{align}\ne &= f\n\\end{align}", True),
        ("g", True),
        ("x | y", False),
    ]
