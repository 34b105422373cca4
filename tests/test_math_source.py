"""Each formula's TeX travels with its MathML: in pages, in the feed, and (once) in search.

A feed reader gets the same HTML as the page: MathML that draws the formula, with the TeX as
its annotation (a reader that draws MathML shows only the formula; one that copies gets the
TeX). The search index and the meta description are made from the parsed formulas, not from
the HTML, so the annotation adds no second copy of the TeX to either.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from search_lookup import postings
from sites import REPO, post, run_blog, write_site

from mathblog.markdown.parser import create_markdown
from mathblog.math.engine import MathEngine
from mathblog.math.lines import split_inline

# `<`, `&`, `]]>` and something that looks like a link attribute, which must stay TeX.
TRICKY_TEX = r'\mathcal{L} < b \& c_{]]>} + \text{ href="/x" }'
BODY = f"Loss ${TRICKY_TEX}$ here.\n\n$$\\mathcal{{L}} = \\sum_i \\ell_i$$\n"
ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">([^<]*)</annotation>')


def build(tmp_path: Path) -> Path:
    root = write_site(
        tmp_path,
        {"a.md": post("A", body=BODY)},
        'title = "T"\nbase_url = "https://example.com/notes/"\n',
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "public"


def test_the_feed_carries_each_formulas_tex_as_written(tmp_path: Path) -> None:
    out = build(tmp_path)
    feed = ET.parse(out / "atom.xml").getroot()  # still well-formed XML, `]]>` and all
    ns = {"a": "http://www.w3.org/2005/Atom"}
    content = feed.findtext("a:entry/a:content", "", ns)
    sources = [html.unescape(tex) for tex in ANNOTATION.findall(content)]
    assert sources == [TRICKY_TEX, r"\mathcal{L} = \sum_i \ell_i"]
    # The feed's HTML is the page's, links made absolute: the TeX is left alone by that.
    page = (out / "posts/a/index.html").read_text(encoding="utf-8")
    assert ANNOTATION.findall(page) == ANNOTATION.findall(content)


def test_search_and_description_hold_the_tex_once(tmp_path: Path) -> None:
    out = build(tmp_path)
    # `\mathcal{L}` is written twice in the post: weight 2, not 4.
    assert postings(out, "\\mathcal{l}") == {0: 2}
    assert postings(out, "\\ell") == {0: 1}
    document = json.loads((out / "search/docs/0.json").read_bytes())
    assert document["text"] == f"Loss {TRICKY_TEX} here."
    page = (out / "posts/a/index.html").read_text(encoding="utf-8")
    description = re.search(r'<meta name="description" content="([^"]*)">', page)
    assert description is not None
    assert html.unescape(description.group(1)) == f"Loss {TRICKY_TEX} here."


def test_a_split_formula_is_the_whole_one_cut_between_its_top_level_children() -> None:
    """Over every inline formula of the example posts: the pieces put back together are the
    formula as math-core wrote it, but for the `form="infix"` of each piece's last operator."""
    md = create_markdown(raw_html=True)
    texs = {
        child.content
        for path in (REPO / "posts").rglob("*.md")
        for token in md.parse(path.read_text(encoding="utf-8"), {})
        for child in token.children or ()
        if child.type == "math_inline" and not child.meta.get("display")
    }
    engine = MathEngine()
    try:
        rendered = [
            m for m in engine.render_all([(tex, False) for tex in texs]) if isinstance(m, str)
        ]
    finally:
        engine.close()
    split = 0
    for mathml in rendered:
        pieces = split_inline(mathml)
        if not pieces:
            continue
        split += 1
        inner = [piece.removeprefix("<math>").removesuffix("</math>") for piece in pieces]
        for number, piece in enumerate(inner[:-1]):
            last_operator = piece.rindex("<mo")
            assert piece.startswith('<mo form="infix"', last_operator), piece
            inner[number] = piece[:last_operator] + piece[last_operator:].replace(
                ' form="infix"', "", 1
            )
        assert "<math>" + "".join(inner) + "</math>" == mathml
    assert split >= 5  # the example posts do have long inline formulas
