"""Pygments highlighting for fenced code, and the CSS for its classes (light and dark).

With a `CodeCache`, a block highlighted before (in this build or an earlier one) is not again.

The styles' colours are made readable on the theme's code background: a token colour below
WCAG's 4.5:1 for text (friendly's comments are 2.6:1, its constants 2.2:1) is darkened (light)
or lightened (dark) until it reaches it, keeping its hue."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from pygments import highlight
from pygments.formatters.html import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from mathblog.markdown.code_cache import CodeCache
from mathblog.util import timings

LIGHT_STYLE = "friendly"
DARK_STYLE = "github-dark"
CSS_CLASS = "highlight"
# The theme's --code-bg in each scheme (theme/static/css/style.css; a test keeps them equal).
LIGHT_CODE_BACKGROUND = "#f3f1ec"
DARK_CODE_BACKGROUND = "#0d1117"
MIN_CONTRAST = 4.5
# The dark rules apply when the reader chose dark, or chose nothing on a system set to dark.
DARK_CHOSEN = ':root[data-theme="dark"]'
DARK_BY_SYSTEM = ':root:not([data-theme="light"])'
_COLOR = re.compile(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})\b")
_BACKGROUND = re.compile(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})\b")

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


def _highlighted(code: str, lexer: Lexer) -> str:
    made: str = highlight(code, lexer, _FORMATTER)
    return made


@timings.timed("highlight code")
def highlight_code(code: str, info: str, cache: CodeCache | None = None) -> str:
    """A `<pre>` block: highlighted when the language is known, escaped plain text otherwise."""
    language = language_of(info)
    # A kept block was highlighted, so its language has a lexer: looked up (and its patterns
    # compiled, a tenth of a second for some) only for code not seen before.
    kept = cache.highlighted(language, code) if cache is not None and language else None
    lexer = _lexer(language) if kept is None else None
    if kept is None and lexer is None:
        body = html.escape(code)
        label = f' data-lang="{html.escape(language)}"' if language else ""
        return f'<pre class="{CSS_CLASS}"{label}><code>{body}</code></pre>\n'
    if kept is not None:
        body = kept
    else:
        assert lexer is not None
        body = _highlighted(code, lexer)
        if cache is not None:
            cache.keep(language, code, body)
    name = html.escape(language)
    return (
        f'<pre class="{CSS_CLASS}" data-lang="{name}">'
        f'<code class="language-{name}">{body}</code></pre>\n'
    )


def _scoped_rules(style: str) -> list[str]:
    # Pygments also emits bare `pre {…}` and line-number rules; keep only our scoped classes.
    formatter: HtmlFormatter[str] = HtmlFormatter(style=style)
    defs: str = formatter.get_style_defs(f".{CSS_CLASS}")  # type: ignore[no-untyped-call]
    return [rule for rule in defs.splitlines() if rule.startswith(f".{CSS_CLASS}")]


def _rgb(color: str) -> tuple[int, int, int]:
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(2 * digit for digit in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(color: tuple[float, float, float]) -> float:
    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = map(linear, color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two `#rgb`/`#rrggbb` colours, from 1 to 21."""
    lighter, darker = sorted(
        (_luminance(_rgb(foreground)), _luminance(_rgb(background))), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def readable(foreground: str, background: str) -> str:
    """`foreground` as it is when it reaches MIN_CONTRAST on `background`, else mixed towards
    black or white (whichever is further from the background) in small steps until it does."""
    if contrast(foreground, background) >= MIN_CONTRAST:
        return foreground
    target = 0.0 if _luminance(_rgb(background)) > 0.18 else 255.0
    start = _rgb(foreground)
    for step in range(1, 51):
        share = step / 50
        mixed = "#" + "".join(f"{round(c + (target - c) * share):02x}" for c in start)
        if contrast(mixed, background) >= MIN_CONTRAST:
            return mixed
    return "#000000" if target == 0 else "#ffffff"


def _readable_rule(rule: str, code_background: str) -> str:
    """A token's rule with its colour made readable on its own background, else the code's."""
    own = _BACKGROUND.search(rule)
    background = own.group(1) if own else code_background
    return _COLOR.sub(lambda m: "color: " + readable(m.group(1), background), rule)


def readable_rules(style: str, code_background: str) -> list[str]:
    return [_readable_rule(rule, code_background) for rule in _scoped_rules(style)]


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """CSS for the token classes: the light style, and the dark one when the reader chose dark
    (`data-theme`) or, having chosen nothing, has a system set to dark."""
    light = "\n".join(readable_rules(LIGHT_STYLE, LIGHT_CODE_BACKGROUND))
    dark = readable_rules(DARK_STYLE, DARK_CODE_BACKGROUND)
    chosen = "\n".join(f"{DARK_CHOSEN} {rule}" for rule in dark)
    by_system = "\n".join(f"  {DARK_BY_SYSTEM} {rule}" for rule in dark)
    return (
        f"/* Pygments {LIGHT_STYLE} (light) and {DARK_STYLE} (dark), colours raised to "
        f"{MIN_CONTRAST}:1 */\n{light}\n{chosen}\n"
        f"@media (prefers-color-scheme: dark) {{\n{by_system}\n}}\n"
    )
