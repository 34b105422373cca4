"""Pygments highlighting for fenced code, and the CSS for its classes (light and dark)."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from pygments import highlight
from pygments.formatters.html import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

LIGHT_STYLE = "friendly"
DARK_STYLE = "github-dark"
CSS_CLASS = "highlight"

_FORMATTER = HtmlFormatter(nowrap=True)
_PANDOC_CLASS = re.compile(r"\.([\w+#-]+)")


def language_of(info: str) -> str:
    """The language named by a fence's info string, or "".

    Handles `python`, `python title="x"`, `{.python .input n=1}` (pandoc / d2l.ai) and
    `{r, echo=FALSE}` (R Markdown); `{important}`-style directives name no known language.
    """
    info = info.strip()
    if not info:
        return ""
    if info.startswith("{"):
        inner = info.strip("{}").strip()
        pandoc = _PANDOC_CLASS.search(inner)
        if pandoc:
            return pandoc.group(1).lower()
        return re.split(r"[\s,]", inner, maxsplit=1)[0].lower()
    return re.split(r"[\s{,]", info, maxsplit=1)[0].lower()


@lru_cache(maxsize=256)
def _lexer(language: str) -> Lexer | None:
    if not language:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_code(code: str, info: str) -> str:
    """A `<pre>` block: highlighted when the language is known, escaped plain text otherwise."""
    language = language_of(info)
    lexer = _lexer(language)
    if lexer is None:
        body = html.escape(code)
        label = f' data-lang="{html.escape(language)}"' if language else ""
        return f'<pre class="{CSS_CLASS}"{label}><code>{body}</code></pre>\n'
    body = highlight(code, lexer, _FORMATTER)
    name = html.escape(language)
    return (
        f'<pre class="{CSS_CLASS}" data-lang="{name}">'
        f'<code class="language-{name}">{body}</code></pre>\n'
    )


def _scoped_rules(style: str) -> str:
    # Pygments also emits bare `pre {…}` and line-number rules; keep only our scoped classes.
    formatter: HtmlFormatter[str] = HtmlFormatter(style=style)
    defs: str = formatter.get_style_defs(f".{CSS_CLASS}")  # type: ignore[no-untyped-call]
    rules = defs.splitlines()
    return "\n".join(rule for rule in rules if rule.startswith(f".{CSS_CLASS}"))


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """CSS for the token classes: the light style, and the dark one under prefers-color-scheme."""
    light = _scoped_rules(LIGHT_STYLE)
    dark_rules = "\n".join(f"  {rule}" for rule in _scoped_rules(DARK_STYLE).splitlines())
    return (
        f"/* Pygments {LIGHT_STYLE} (light) and {DARK_STYLE} (dark) */\n{light}\n"
        f"@media (prefers-color-scheme: dark) {{\n{dark_rules}\n}}\n"
    )
