"""The one walk over markdown tokens, and the readers built on it."""

from __future__ import annotations

from markdown_it.token import Token

from mathblog.markdown.excerpt import plain_description
from mathblog.markdown.inline_text import inline_text
from mathblog.markdown.parser import create_markdown, render_body
from mathblog.markdown.walk import walk_tokens

SOURCE = "# Intro ![a *pic* of $x$](a.png)\n\nText `code` and $y$\nnext ![alt](b.png).\n"


def _tokens(source: str = SOURCE) -> list[Token]:
    return render_body(create_markdown(raw_html=True), source, engine=None).tokens


def test_walk_goes_depth_first_in_document_order() -> None:
    tokens = _tokens()
    walked = [(token.type, token.content) for token in walk_tokens(tokens)]
    texts = [content for kind, content in walked if kind in ("text", "math_inline")]
    assert texts == ["Intro ", "a ", "pic", " of ", "x", "Text ", " and ", "y", "next ", "alt", "."]
    # Every token of the top level comes in its place, followed by what it holds.
    assert [kind for kind, _ in walked[:3]] == ["heading_open", "inline", "text"]


def test_walk_can_leave_alt_text_out() -> None:
    walked = walk_tokens(_tokens(), alt_text=False)
    texts = [token.content for token in walked if token.type == "text"]
    assert texts == ["Intro ", "Text ", " and ", "next ", "."]


def test_readers_agree_on_what_alt_text_is() -> None:
    tokens = _tokens()
    heading = tokens[1].children or []
    # An image's alt text is part of a title, but not of the heading's id or the description.
    assert inline_text(heading) == "Intro a pic of x"
    html = render_body(create_markdown(raw_html=True), SOURCE, engine=None).html
    assert '<h1 id="intro">' in html
    assert plain_description(tokens, 100) == "Text code and y next ."
