"""The one markdown-it parser of a build, and rendering a post body with it.

CommonMark + tables, strikethrough, footnotes, task lists, math (`math_syntax`), heading ids that
keep Chinese, a TOC, `<!--more-->`, Pygments for fences, and no dangerous URL ever emitted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from mathblog.errors import Diagnostic
from mathblog.markdown.callouts import TITLES_KEY, callout_plugin
from mathblog.markdown.cjk import cjk_plugin
from mathblog.markdown.code_cache import CodeCache
from mathblog.markdown.file_refs import FILES_KEY, FileContext, relative_files
from mathblog.markdown.highlight import highlight_code
from mathblog.markdown.inline_text import inline_text
from mathblog.markdown.math_syntax import ENV_KEY, MathContext, math_plugin
from mathblog.markdown.walk import TEXT_TYPES, walk_tokens
from mathblog.math.engine import MathEngine
from mathblog.math.source import math_source_plugin
from mathblog.model import TocEntry
from mathblog.util.html_urls import rewrite_urls
from mathblog.util.i18n import ui_strings
from mathblog.util.urls import heading_id, unique

MORE_MARKER = "more_marker"
# Typora's, Hexo's and GitLab's table-of-contents marker on a line of its own: the theme
# shows the TOC already, so the line is dropped rather than shown as the text `[TOC]`.
_TOC_LINE = re.compile(r"^\[(?:\[_?toc_?\]|toc)\]\s*$", re.IGNORECASE)
_MORE_LINE = re.compile(r"^<!--\s*more\s*-->\s*$")
_URL_ATTRIBUTE = re.compile(
    # After a space, a `/` or a closing quote: browsers read an attribute after each.
    r"""([\s/"'])(href|src|action|formaction|xlink:href|poster|background|srcset|data|values|to|from)"""
    r"""\s*=\s*"""
    r"""("[^"]*"|'[^']*'|[^\s>"']+)""",
    re.IGNORECASE,
)
_DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|file|data):", re.IGNORECASE)
_SAFE_DATA = re.compile(r"^data:image/(gif|png|jpeg|webp);", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


@dataclass(frozen=True, slots=True)
class RenderedBody:
    html: str
    tokens: list[Token]
    toc: tuple[TocEntry, ...]
    diagnostics: tuple[Diagnostic, ...]


CODE_KEY = "code_cache"  # in the env: the build's CodeCache, if any


def is_dangerous_url(url: str) -> bool:
    """True for `javascript:`-style targets, however they are cased, spaced or entity-encoded."""
    plain = _INVISIBLE.sub("", html.unescape(url))
    return bool(_DANGEROUS_SCHEME.match(plain)) and not _SAFE_DATA.match(plain)


def create_markdown(
    *,
    raw_html: bool,
    base_path: str = "/",
    cjk_latin_spacing: bool = False,
    callout_titles: Mapping[str, str] | None = None,
) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": raw_html, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(tasklists_plugin)
    md.use(math_plugin)
    md.use(math_source_plugin)  # after it: wraps its render rules
    md.use(callout_plugin, callout_titles or ui_strings("en"))
    md.block.ruler.before(
        "html_block", MORE_MARKER, _more_marker, {"alt": ["paragraph", "reference", "blockquote"]}
    )
    md.block.ruler.before(
        "html_block", "toc_marker", _toc_marker, {"alt": ["paragraph", "reference", "blockquote"]}
    )
    md.core.ruler.push("heading_ids", _heading_ids)
    md.core.ruler.push("figures", _figures)
    md.core.ruler.push("site_links", _make_link_rewriter(base_path))
    md.core.ruler.push("relative_files", relative_files)  # after: it writes full paths
    md.core.ruler.push("drop_dangerous_html_urls", _drop_dangerous_html_urls)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule(MORE_MARKER, lambda *args: "")
    md.add_render_rule("table_open", lambda *args: '<div class="table-wrap"><table>\n')
    md.add_render_rule("table_close", lambda *args: "</table></div>\n")
    md.add_render_rule("heading_close", _render_heading_close)
    md.add_render_rule(FIGCAPTION, _render_figcaption)
    md.use(cjk_plugin, spacing=cjk_latin_spacing)  # last: it takes over the inline parser
    return md


def render_body(
    md: MarkdownIt,
    body: str,
    *,
    engine: MathEngine | None,
    path: str = "",
    first_line: int = 1,
    callout_titles: Mapping[str, str] | None = None,
    files: FileContext | None = None,
    code_cache: CodeCache | None = None,
) -> RenderedBody:
    """Parse and render a post body; math failures come back as diagnostics, never raised.
    `callout_titles`: in the post's own language, if it is not the site's. With `files`,
    relative links and images are resolved (`file_refs`) and collected in it. `code_cache`
    keeps each code block's highlighting for the next block with the same code."""
    context = MathContext(engine, path, first_line, body)
    env: dict[str, Any] = {ENV_KEY: context, TITLES_KEY: callout_titles}
    if files is not None:
        env[FILES_KEY] = files
    if code_cache is not None:
        env[CODE_KEY] = code_cache
    tokens = md.parse(body, env)
    rendered = md.renderer.render(tokens, md.options, env)
    return RenderedBody(
        rendered, tokens, _table_of_contents(md, tokens), tuple(context.diagnostics)
    )


@dataclass(frozen=True, slots=True)
class RenderedInline:
    html: str
    text: str  # plain text, formulas as TeX (see `plain_text`)
    diagnostics: tuple[Diagnostic, ...]


def render_inline_math(
    md: MarkdownIt, text: str, *, engine: MathEngine | None, path: str = "", line: int = 1
) -> RenderedInline:
    """Render one line of text (a title, a summary) with markdown inline syntax and math."""
    context = MathContext(engine, path, line)
    env: dict[str, Any] = {ENV_KEY: context}
    tokens = md.parseInline(text, env)
    children = tokens[0].children or [] if tokens else []
    return RenderedInline(
        str(md.renderer.render(tokens, md.options, env)),
        plain_text(children),
        tuple(context.diagnostics),
    )


def plain_text(children: Iterable[Token]) -> str:
    """Inline tokens as plain text, formulas as their TeX: for `<title>` and meta descriptions."""
    return re.sub(r"\s+", " ", inline_text(children)).strip()


def render_tokens(md: MarkdownIt, tokens: list[Token]) -> str:
    return str(md.renderer.render(tokens, md.options, {}))


# --- rules ------------------------------------------------------------------------------------


def _marker_line(state: StateBlock, start: int, pattern: re.Pattern[str]) -> bool:
    """Whether line `start` is a marker on a line of its own (not indented as code)."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    return pattern.match(line) is not None


def _more_marker(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if not _marker_line(state, start, _MORE_LINE):
        return False
    if not silent:
        token = state.push(MORE_MARKER, "", 0)
        token.map = [start, start + 1]
        state.line = start + 1
    return True


def _toc_marker(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if not _marker_line(state, start, _TOC_LINE):
        return False
    if not silent:
        state.line = start + 1  # no token: the line is not part of the text
    return True


def _plain_text(inline: Token) -> str:
    pieces = walk_tokens(inline.children or (), alt_text=False)
    return "".join(child.content for child in pieces if child.type in TEXT_TYPES)


# Ids the page has besides headings: the theme's <main>, footnotes (fn1, fnref1) and equations
# (eq-…). A heading whose id would be one of them gets a suffix, as a repeated heading does.
_OTHER_IDS = re.compile(r"^(?:main|fn\d+|fnref\d+|eq-.*)$")


def _heading_ids(state: StateCore) -> None:
    taken: set[str] = set()
    for index, token in enumerate(state.tokens):
        if token.type == "heading_open" and not token.attrGet("id"):
            inline = state.tokens[index + 1]
            candidate = heading_id(_plain_text(inline))
            if _OTHER_IDS.match(candidate):
                taken.add(candidate)
            token.attrSet("id", unique(candidate, taken))


def _render_heading_close(
    self: Any, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    opening = tokens[idx - 2] if idx >= 2 else None
    anchor = ""
    if opening is not None and opening.type == "heading_open" and opening.attrGet("id"):
        target = html.escape(str(opening.attrGet("id")))
        # Hidden from screen readers (the heading says it all), so out of the tab order too.
        anchor = (
            f' <a class="heading-anchor" href="#{target}" aria-hidden="true" tabindex="-1">#</a>'
        )
    return f"{anchor}</{tokens[idx].tag}>\n"


FIGCAPTION = "figcaption"


def _figures(state: StateCore) -> None:
    """A paragraph of one image with a title (`![alt](a.png "caption")`) is a figure, its title
    the caption. An image among other text stays an image: a figure cannot sit in a paragraph."""
    tokens = state.tokens
    for index in range(len(tokens) - 2):
        opening, inline, closing = tokens[index : index + 3]
        if opening.type != "paragraph_open" or opening.hidden or closing.type != "paragraph_close":
            continue
        children = inline.children or []
        if len(children) != 1 or children[0].type != "image":
            continue
        image = children[0]
        caption = str(image.attrGet("title") or "").strip()
        if not caption:
            continue
        image.attrs.pop("title", None)
        opening.type, opening.tag = "figure_open", "figure"
        closing.type, closing.tag = "figure_close", "figure"
        figcaption = Token(FIGCAPTION, "figcaption", 0)
        figcaption.content = caption
        inline.children = [image, figcaption]


def _render_figcaption(
    self: Any, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return f"<figcaption>{html.escape(tokens[idx].content)}</figcaption>"


def _make_link_rewriter(base_path: str) -> Callable[[StateCore], None]:
    """Root-relative links (`/posts/x/`, `/img/a.png`) move under the site's sub-path, in
    markdown and in raw HTML alike."""
    prefix = base_path.rstrip("/")

    def under_prefix(url: str) -> str:
        if url.startswith("/") and not url.startswith(("//", prefix + "/")):
            return prefix + url
        return url

    def rewrite(state: StateCore) -> None:
        if not prefix:
            return
        for token in walk_tokens(state.tokens, alt_text=False):
            if token.type in ("html_block", "html_inline"):
                token.content = rewrite_urls(token.content, under_prefix)
            attribute = {"link_open": "href", "image": "src"}.get(token.type)
            value = token.attrGet(attribute) if attribute else None
            if attribute and isinstance(value, str):
                token.attrSet(attribute, under_prefix(value))

    return rewrite


def _drop_dangerous_html_urls(state: StateCore) -> None:
    """Raw HTML is trusted, but a `javascript:` URL in it is still never emitted."""

    def clean(source: str) -> str:
        def replace(match: re.Match[str]) -> str:
            value = match.group(3).strip("\"'")
            # SVG's <animate values="a;javascript:…"> sets an href to each value in turn.
            pieces = value.split(";") if match.group(2).lower() == "values" else [value]
            dangerous = any(is_dangerous_url(piece) for piece in pieces)
            return match.group(1) if dangerous else match.group(0)

        return _URL_ATTRIBUTE.sub(replace, source)

    for token in walk_tokens(state.tokens, alt_text=False):
        if token.type in ("html_block", "html_inline"):
            token.content = clean(token.content)


def _render_fence(
    self: Any, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    return highlight_code(token.content, token.info, env.get(CODE_KEY))


# --- table of contents ------------------------------------------------------------------------


def _toc_html(md: MarkdownIt, inline: Token) -> str:
    # A TOC entry is itself a link: drop nested links and footnote markers.
    children = [
        child
        for child in inline.children or ()
        if child.type not in ("link_open", "link_close", "footnote_ref")
    ]
    inline = Token("inline", "", 0)
    inline.children = children
    return str(md.renderer.render([inline], md.options, {}))


def _table_of_contents(md: MarkdownIt, tokens: list[Token]) -> tuple[TocEntry, ...]:
    flat = [
        (int(token.tag[1]), str(token.attrGet("id")), _toc_html(md, tokens[index + 1]))
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.level == 0
    ]
    return _nest(flat)


def _nest(flat: list[tuple[int, str, str]]) -> tuple[TocEntry, ...]:
    entries: list[TocEntry] = []
    index = 0
    while index < len(flat):
        level, ident, text = flat[index]
        end = index + 1
        while end < len(flat) and flat[end][0] > level:
            end += 1
        entries.append(TocEntry(level, ident, text, _nest(flat[index + 1 : end])))
        index = end
    return tuple(entries)
