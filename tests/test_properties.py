"""Property tests: no text, however odd, makes rendering raise; output always parses as HTML."""

from __future__ import annotations

from pathlib import Path

from htmlcheck import html_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mathblog.config import SiteConfig
from mathblog.content.post import load_post
from mathblog.errors import BlogError
from mathblog.markdown.excerpt import make_excerpt
from mathblog.markdown.parser import create_markdown, render_body
from mathblog.math.engine import MathEngine, MathRenderError
from mathblog.math.numbering import EquationNumbering
from mathblog.site.loading import create_renderers
from mathblog.util.urls import escapes

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
    "[x](javascript:alert(1))",
    "![i](data:text/html,x)",
    "<javascript:x>",
    "[r]: JaVaScRiPt:x",
    "[r]",
    "\\href{javascript:x}{y}",
    "<script>alert(1)</script>",
    '<a href="&#106;avascript:x">',
    "</a>",
    "</div>",
    "<div>",
    "~~",
    "- [ ] ",
    "\r\n",
]
CJK_OR_ASCII = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs", "Cc"), max_codepoint=0x9FFF
)
markdown_text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=5), st.text(CJK_OR_ASCII, max_size=5)),
    max_size=60,
).map("".join)

MD = create_markdown(raw_html=True, base_path="/notes/")
SAFE_MD = create_markdown(raw_html=False, base_path="/notes/")
ENGINE = MathEngine()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_text, st.integers(min_value=1, max_value=50))
def test_any_text_renders_and_excerpts(text: str, limit: int) -> None:
    body = render_body(MD, text, engine=ENGINE, path="posts/x.md", first_line=5)
    excerpt = make_excerpt(MD, body.tokens, limit)
    # Raw HTML passes through as written, balanced or not; a text without `<` holds none, so
    # then every element must be closed in order and every `<` escaped.
    strict = "<" not in text
    for html in (body.html, excerpt.html):
        assert html_problems(html, balanced=strict) == []
    for diagnostic in body.diagnostics:
        assert diagnostic.path == "posts/x.md"
        assert diagnostic.line is not None and diagnostic.line >= 5


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_text)
def test_without_raw_html_the_output_is_well_formed_and_safe(text: str) -> None:
    body = render_body(SAFE_MD, text, engine=ENGINE, path="posts/x.md", first_line=5)
    excerpt = make_excerpt(SAFE_MD, body.tokens, 30)
    assert html_problems(body.html, balanced=True) == []
    assert html_problems(excerpt.html, balanced=True) == []


FRONT_MATTER_LINES = [
    "title: x", "title: 'a $x$'", 'title: "a \\theta"', "title: no", "title: 2024",
    "title: [a]", "date: 2024-01-01", "date: tuesday", "date: 2016-25-35", "tags: [a, 中文]",
    "tags: {a: 1}", "slug: ../x", "slug: a/b", "summary: 一句 $x$ <b>x</b>", "draft: maybe",
    "updated: 2024-02-02", ": x", "- a", "&a x", "!!python/object:os.system x", "'", "\t",
    "title: !!binary aGk=", "x: *a", "? [a]",
]  # fmt: skip
post_text = st.builds(
    lambda opener, lines, closer, body: opener + "".join(f"{x}\n" for x in lines) + closer + body,
    st.sampled_from(["---\n", "---\r\n", "\ufeff---\n", "", "--- \n"]),
    st.lists(st.sampled_from(FRONT_MATTER_LINES), max_size=6),
    st.sampled_from(["---\n", "...\n", "", "---"]),
    markdown_text,
)
SITE = SiteConfig(root=Path("/nonexistent-site"), raw_html=False)
RENDERERS = create_renderers(SITE, None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(post_text, st.booleans())
def test_any_post_file_loads_or_raises_only_a_located_blog_error(text: str, latin1: bool) -> None:
    raw = text.encode("latin-1", "replace") if latin1 else text.encode("utf-8", "surrogatepass")
    try:
        loaded = load_post(SITE.root / "posts/x.md", SITE, RENDERERS, raw)
    except BlogError as exc:
        assert exc.diagnostics
        for diagnostic in exc.diagnostics:
            assert diagnostic.path == "posts/x.md"
            assert diagnostic.line is not None and diagnostic.line >= 1
        return
    post = loaded.post
    for html in (post.content, post.excerpt, post.title_html):
        assert html_problems(html, balanced=True) == []
    assert all(w.path == "posts/x.md" for w in loaded.warnings)


TEX_PIECES = [
    "\\", "\\\\", "{", "}", "&", "^", "_", "[", "]", "(", ")", "x", "1", "中", " ", "\n",
    "\\begin{eqnarray}", "\\end{eqnarray}", "\\begin{align}", "\\end{align}", "\\begin{split}",
    "\\end{split}", "\\begin{smallmatrix}", "\\end{smallmatrix}", "\\text{", "\\frac",
    "\\textcircled", "\\mathop", "\\limits", "\\substack{", "\\tag{", "\\tag*{", "\\label{",
    "\\eqref{", "\\href{", "\\url{", "\\pmb", "\\mbox{", "\\displaylines{", "\\large", "\\left(",
    "\\right.", "&lt;", "\u200b", "\\nonumber",
]  # fmt: skip
tex_text = st.lists(st.sampled_from(TEX_PIECES), max_size=40).map("".join)
MACRO_PIECES = [
    "\\def", "\\gdef", "\\newcommand", "\\renewcommand", "\\providecommand", "\\let", "\\a",
    "\\b", "\\R", "\\S", "#1", "#2", "#", "=", "[", "]", "[2]", "{", "}", "(", "((((", "x",
    "\\left(", "\\right)", "\\bigl|", "\\begin{matrix}", "\\end{matrix}", "%", "\n", " ",
    "\\\\", "\\sqrt",
]  # fmt: skip
macro_tex = st.lists(st.sampled_from(MACRO_PIECES), max_size=60).map("".join)
MACRO_ENGINE = MathEngine({"R": "\\mathbb{R}", "S": "\\S(#1"})


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tex_text, st.booleans())
def test_any_formula_converts_or_fails_with_a_message(tex: str, display: bool) -> None:
    # A formula ending in a lone backslash once tripped an assertion in the TeX reader.
    numbering = EquationNumbering()
    prepared = numbering.prepare(tex, display=display)
    try:
        converted = ENGINE.render(prepared.tex, display=display)
    except MathRenderError as exc:
        assert exc.message
        return
    html, _ = numbering.finish(prepared, converted)
    assert html_problems(html, balanced=True) == []


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(macro_tex, st.booleans())
def test_any_formula_with_macros_converts_or_fails_with_a_message(tex: str, display: bool) -> None:
    """Whatever a formula defines, measuring its expansion ends (within its budget) and the
    engine answers: the MathML, or a message."""
    result = MACRO_ENGINE.render_all([(tex, display)])[0]
    if isinstance(result, MathRenderError):
        assert result.message
    else:
        assert html_problems(result, balanced=True) == []


@given(st.lists(st.sampled_from(["a", "b.html", "", ".", "..", "...", ".a", "a."]), max_size=5))
def test_an_output_path_escapes_exactly_when_a_part_is_empty_dot_or_dot_dot(
    parts: list[str],
) -> None:
    path = "/".join(parts)
    by_parts = path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/"))
    assert escapes(path) == by_parts, path
