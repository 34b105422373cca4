"""Markdown in → HTML out, for math delimiters, markdown features and excerpts."""

from __future__ import annotations

import re

import pytest
from fixtures import UPDATE, case_id, cases, rewrite
from mathml import without_source

from mathblog.markdown.excerpt import make_excerpt
from mathblog.markdown.parser import create_markdown, render_body
from mathblog.math.engine import MathEngine
from mathblog.util.i18n import ui_strings

BASE_PATH = "/notes/"
# One engine each for the whole module: an engine converts in a process of its own.
ENGINE = MathEngine({"R": r"\mathbb{R}"})
PLAIN_ENGINE = MathEngine()


def render(title: str, text: str) -> str:
    """The body HTML, then any warnings as an HTML comment, so fixtures show them too. Each
    `<math>` carries its TeX (`math_source`); a case shows it only if its title says
    `[annotation]`, so that the others show just the MathML."""
    md = create_markdown(
        raw_html=True,
        base_path=BASE_PATH,
        cjk_latin_spacing="[spacing]" in title,
        callout_titles=ui_strings("zh-CN" if "[zh]" in title else "en"),
    )
    body = render_body(md, text, engine=ENGINE, first_line=1)
    warnings = "".join(f"<!-- {d.line}:{d.column}: {d.message} -->\n" for d in body.diagnostics)
    shown = body.html if "[annotation]" in title else without_source(body.html)
    return shown + warnings


def excerpt(title: str, text: str) -> str:
    match = re.search(r"\[limit=(\d+)\]", title)
    limit = int(match.group(1)) if match else 40
    md = create_markdown(raw_html=True, base_path=BASE_PATH)
    body = render_body(md, text, engine=PLAIN_ENGINE)
    result = make_excerpt(md, body.tokens, limit)
    return without_source(result.html) + f"<!-- truncated={result.truncated} -->\n"


PRODUCERS = {
    "math.md": render,
    "delimiters.md": render,
    "markdown.md": render,
    "math_rewrites.md": render,
    "equations.md": render,
    "cjk.md": render,
    "callouts.md": render,
    "math_source.md": render,
    "excerpts.md": excerpt,
}

ALL_CASES = [case for name in PRODUCERS for case in cases(name)]


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_fixture(case: tuple[str, int, str, str, str]) -> None:
    name, _, title, given, expected = case
    assert PRODUCERS[name](title, given) == expected


@pytest.mark.skipif(not UPDATE, reason="set BLOG_UPDATE_FIXTURES=1 to rewrite fixtures")
def test_rewrite_fixtures() -> None:
    for name, produce in PRODUCERS.items():
        rewrite(name, produce)
