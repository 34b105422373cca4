"""Property tests: no text, however odd, makes rendering raise; output always parses as HTML."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.excerpt import make_excerpt
from blog.markdown import create_markdown, render_body
from blog.math_engine import MathEngine

# Pieces that stress the delimiter rules far more than uniform random text would.
PIECES = [
    "$",
    "$$",
    "\\(",
    "\\)",
    "\\[",
    "\\]",
    "\\$",
    "\\",
    "`",
    "```",
    "\n",
    "\n\n",
    " ",
    "*",
    "_",
    "{",
    "}",
    "<",
    ">",
    "[",
    "](",
    ")",
    "!",
    "#",
    "> ",
    "- ",
    "1. ",
    "|",
    "---",
    "<!--more-->",
    "\\begin{align}",
    "\\end{align}",
    "\\frac{",
    "x_1",
    "^",
    "&",
    "\\\\",
    "中文",
    "。",
    "5",
    "<a href='javascript:x'>",
    "[^1]",
    "[^1]: n",
    "\t",
    "    ",
    "\\label{a}",
    "\\eqref{a}",
    "\\ref{",
    "\\tag{中}",
    "\\tag*{",
    "\\nonumber",
    "\\begin{equation}",
    "\\end{equation}",
    "\\begin{eqnarray}",
    "\\end{eqnarray}",
    "\\textcircled{",
    "\\mathop{x}\\limits_",
    "\\substack{",
    "&lt;",
    "\u200b",
    "**",
    "“",
    "”",
    "，",
    "> [!NOTE]",
    "> 💡",
]
markdown_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=5)), max_size=60).map(
    "".join
)

MD = create_markdown(raw_html=True, base_path="/notes/")
ENGINE = MathEngine()


class _Strict(HTMLParser):
    def error(self, message: str) -> None:  # pragma: no cover - HTMLParser API
        raise AssertionError(message)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_text, st.integers(min_value=1, max_value=50))
def test_any_text_renders_and_excerpts(text: str, limit: int) -> None:
    body = render_body(MD, text, engine=ENGINE, path="posts/x.md", first_line=5)
    excerpt = make_excerpt(MD, body.tokens, limit)
    for html in (body.html, excerpt.html):
        parser = _Strict()
        parser.feed(html)
        parser.close()
        assert 'href="javascript:' not in html.lower()
    for diagnostic in body.diagnostics:
        assert diagnostic.path == "posts/x.md"
        assert diagnostic.line is not None and diagnostic.line >= 5
