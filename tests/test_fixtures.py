"""Markdown in → HTML out, for math delimiters, markdown features and excerpts."""

from __future__ import annotations

import re

import pytest
from fixtures import UPDATE, case_id, cases, rewrite

from blog.excerpt import make_excerpt
from blog.markdown import create_markdown, render_body
from blog.math_engine import MathEngine

BASE_PATH = "/notes/"


def render(text: str) -> str:
    md = create_markdown(raw_html=True, base_path=BASE_PATH)
    return render_body(md, text, engine=MathEngine({"R": r"\mathbb{R}"})).html


def excerpt(title: str, text: str) -> str:
    match = re.search(r"\[limit=(\d+)\]", title)
    limit = int(match.group(1)) if match else 40
    md = create_markdown(raw_html=True, base_path=BASE_PATH)
    body = render_body(md, text, engine=MathEngine())
    result = make_excerpt(md, body.tokens, limit)
    return result.html + f"<!-- truncated={result.truncated} -->\n"


PRODUCERS = {
    "math.md": lambda title, text: render(text),
    "markdown.md": lambda title, text: render(text),
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
