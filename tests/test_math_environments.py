"""The one table of math environments, read by numbering, rewrites and the markdown block rule."""

from __future__ import annotations

import pytest

from mathblog.markdown.parser import create_markdown, render_body
from mathblog.math.environments import (
    BLOCK_OPENERS,
    ENVIRONMENTS,
    NUMBERED,
    Environment,
    Numbering,
    engine_names,
)
from mathblog.math.numbering import EquationNumbering
from mathblog.math.rewrites import rewrite


def test_the_table_is_consistent() -> None:
    names = [env.name for env in ENVIRONMENTS]
    assert len(names) == len(set(names))
    renamed = engine_names()
    # What the engine is given is never itself renamed, and numbered ones open a block.
    assert not set(renamed.values()) & set(renamed)
    assert set(NUMBERED) <= set(BLOCK_OPENERS)
    assert renamed["eqnarray*"] == "align*" and renamed["pmatrix*"] == "pmatrix"


@pytest.mark.parametrize("env", [e for e in ENVIRONMENTS if e.numbering is not Numbering.NONE])
def test_numbering_follows_the_table(env: Environment) -> None:
    name = env.name
    columns = "{2}" if name == "alignat" else ""
    tex = f"\\begin{{{name}}}{columns}a&=b\\\\c&=d\\end{{{name}}}"
    prepared = EquationNumbering().prepare(tex, display=True)
    once = env.numbering is Numbering.ONCE
    assert len(prepared.tags) == (1 if once else 2)
    starred = EquationNumbering().prepare(tex.replace(name + "}", name + "*}"), display=True)
    assert starred.tags == ()


def test_rewrites_give_the_engine_the_names_it_knows() -> None:
    assert rewrite("\\begin{flalign*}a&=b\\end{flalign*}") == "\\begin{align*}a&=b\\end{align*}"
    assert "\\begin{aligned}" in rewrite("\\begin{split}a&=b\\end{split}")
    assert rewrite("\\begin{bmatrix*}[r]1&-2\\end{bmatrix*}") == (
        "\\begin{bmatrix}1&-2\\end{bmatrix}"
    )


@pytest.mark.parametrize("name", BLOCK_OPENERS)
def test_each_block_opener_starts_display_math_without_dollars(name: str) -> None:
    source = f"Before.\n\n\\begin{{{name}*}}\nx = 1\n\\end{{{name}*}}\n\nAfter.\n"
    tokens = render_body(create_markdown(raw_html=False), source, engine=None).tokens
    assert [t.type for t in tokens if t.type.startswith("math")] == ["math_block"]
