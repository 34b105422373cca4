"""Each formula's TeX inside its MathML, so readers can copy it and screen readers can fall back
on it.

`<math><semantics><mrow>…</mrow><annotation encoding="application/x-tex">TeX</annotation>
</semantics></math>`: MathML Core draws only the first child of `<semantics>`, so the annotation
costs nothing on screen. The TeX is the author's, as written (the token's content), never what
`math_rewrites` or the numbering made of it. The children are wrapped in one `<mrow>` because
`<semantics>` draws one child; an `<mrow>` around all of a formula's children gives each operator
the same place among its siblings, hence the same spacing.

A long inline formula is split first (`math_lines`); only the first piece carries the TeX, of the
whole formula, and the wrapper tells the copy script (theme `js/math-copy.js`) to copy it once.

This wraps the math render rules of `math_syntax` instead of replacing them, so whatever they put
around a formula stays as it is. Search and descriptions read the tokens, not this HTML, so the
TeX is indexed once.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from mathblog.math.lines import split_inline

TEX_ENCODING = "application/x-tex"
_CACHE_KEY = "math_with_source"  # token.meta: (what the rule rendered, what we made of it)

RenderRule = Callable[[list[Token], int, OptionsDict, EnvType], str]


def math_source_plugin(md: MarkdownIt) -> None:
    """Give the math render rules' `<math>` their TeX (and long inline formulas line breaks);
    use it after `math_plugin`."""
    renderer = md.renderer
    assert isinstance(renderer, RendererHTML), "markdown-it's own HTML renderer"
    for kind in ("math_inline", "math_block"):
        md.add_render_rule(kind, _with_source(renderer.rules[kind]))


def _with_source(rendered_by: RenderRule) -> Callable[..., str]:
    def rule(self: Any, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        rendered = rendered_by(tokens, idx, options, env)
        cached = token.meta.get(_CACHE_KEY)
        if cached is not None and cached[0] == rendered:  # an excerpt renders tokens again
            return str(cached[1])
        inline = token.type == "math_inline" and not token.meta.get("display")
        result = with_source(rendered, token.content, inline=inline)
        token.meta[_CACHE_KEY] = (rendered, result)
        return result

    return rule


def with_source(rendered: str, tex: str, *, inline: bool) -> str:
    """`rendered` (HTML holding at most one `<math>`) with `tex` in its `<math>`; a long
    `inline` (not display) formula is split into several `<math>` in a `<span
    class="math-split">`. HTML without a `<math>` (a formula that failed, a bare `\\eqref`) is
    returned as it is."""
    start = rendered.find("<math")
    end = rendered.rfind("</math>")
    if start < 0 or end < start:
        return rendered
    end += len("</math>")
    mathml = rendered[start:end]
    pieces = split_inline(mathml) if inline else []
    if len(pieces) > 1:
        annotated = "".join([annotate(pieces[0], tex), *pieces[1:]])
        annotated = f'<span class="math-split">{annotated}</span>'
    else:
        annotated = annotate(mathml, tex)
    return rendered[:start] + annotated + rendered[end:]


def annotate(mathml: str, tex: str) -> str:
    """One `<math>…</math>` with its children in `<semantics>`, beside `tex`."""
    open_end = mathml.index(">") + 1
    if mathml[open_end - 2] == "/":  # <math/>: nothing to draw
        return mathml
    inner = mathml[open_end : -len("</math>")]
    source = html.escape(tex, quote=False)
    return (
        f"{mathml[:open_end]}<semantics><mrow>{inner}</mrow>"
        f'<annotation encoding="{TEX_ENCODING}">{source}</annotation></semantics></math>'
    )
