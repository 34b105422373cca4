"""One post file → a `Post`: front matter, body HTML, TOC, excerpt, reading time."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from mathblog.config import SiteConfig
from mathblog.content.discover import STATIC_DIR
from mathblog.content.frontmatter import split_post, validate_front_matter
from mathblog.content.pages import is_page, page_slug
from mathblog.errors import Diagnostic, decode_utf8
from mathblog.markdown.code_cache import CodeCache
from mathblog.markdown.excerpt import make_excerpt, plain_description
from mathblog.markdown.file_refs import FileContext
from mathblog.markdown.math_syntax import math_plugin
from mathblog.markdown.parser import render_body, render_inline_math
from mathblog.markdown.walk import walk_tokens
from mathblog.math.engine import MathEngine
from mathblog.model import InMemoryBody, Post, SeriesRef, TagRef
from mathblog.search.tokens import encode_terms, weighted_terms
from mathblog.util.html_urls import resolver, rewrite_urls, without_attributes
from mathblog.util.i18n import ui_strings
from mathblog.util.text import count_units, reading_minutes
from mathblog.util.urls import slugify, url_path


@dataclass(frozen=True, slots=True)
class Renderers:
    """Everything a build needs to turn text into HTML, made once per build."""

    body: MarkdownIt
    title: MarkdownIt
    engine: MathEngine
    summary: MarkdownIt | None = None  # the body's without raw HTML; None: the body's own
    code_cache: CodeCache | None = None  # highlighted code blocks, kept for repeats


def create_title_markdown() -> MarkdownIt:
    """Titles get math and backslash escapes, nothing else: `C++ *ptr*` stays as written."""
    md = MarkdownIt("zero")
    md.enable("escape")
    md.use(math_plugin)
    return md


DESCRIPTION_LENGTH = 150


def _standalone(excerpt_html: str, post_url: str) -> str:
    """An excerpt shown on another page: its relative links (`#eq-1`, `../other/`, `a.png`)
    resolve against the post, and ids are dropped (they belong to the post page and would
    repeat across cards)."""
    without_ids = without_attributes(excerpt_html, ("id",))
    return rewrite_urls(without_ids, resolver(post_url))


def tag_ref(name: str, base_path: str, line: int = 1) -> TagRef:
    slug = slugify(name)
    return TagRef(name, slug, url_path(base_path, "tags", slug), line)


def series_ref(name: str | None, weight: int, base_path: str, line: int = 1) -> SeriesRef | None:
    """A series' URL is made as a tag's: `扩散模型` → `/series/扩散模型/`."""
    if name is None:
        return None
    slug = slugify(name)
    return SeriesRef(name, slug, url_path(base_path, "series", slug), weight, line)


def _reading_counts(tokens: list[Token]) -> tuple[int, int]:
    formulas = 0
    texts: list[str] = []
    for piece in walk_tokens(tokens, alt_text=False):
        if piece.type in ("math_inline", "math_block"):
            formulas += 1
        elif piece.type in ("text", "code_inline", "fence", "code_block"):
            texts.append(piece.content)
    # Counted at once (a post has thousands of pieces); the line breaks keep them apart.
    cjk, words = count_units("\n".join(texts))
    return cjk, words + formulas


_SEARCHED_BLOCKS = ("fence", "code_block", "math_block")
_SEARCHED_INLINE = ("text", "code_inline", "math_inline")


def _search_text(tokens: list[Token]) -> str:
    """The words a search finds the post by: prose, code, and each formula's TeX source."""
    searched = (*_SEARCHED_BLOCKS, *_SEARCHED_INLINE)  # with an image's alt text
    return "\n".join(token.content for token in walk_tokens(tokens) if token.type in searched)


def _heading_sources(tokens: list[Token]) -> list[str]:
    """Each heading's source text (a formula as its TeX): a search weighs its words more."""
    return [after.content for token, after in pairwise(tokens) if token.type == "heading_open"]


BUNDLE_INDEX = "index.md"


def bundle_folder(source: str) -> str:
    """The folder of `posts/x/index.md` (any depth below the content folder): a bundle, whose
    other files are published beside its page. "" for any other file (`posts/index.md` too)."""
    folder, name = posixpath.split(source)
    return folder if name == BUNDLE_INDEX and "/" in folder else ""


def file_context(
    source: str, output_folder: str, base_path: str, body: str, first_line: int
) -> FileContext:
    """What resolving the relative files of `source`, whose page is in `output_folder`, needs."""
    return FileContext(
        source,
        output_folder,
        base_path,
        bundle=bundle_folder(source),
        static_folder=STATIC_DIR,
        first_line=first_line,
        text=body,
    )


@dataclass(frozen=True, slots=True)
class LoadedPost:
    post: Post  # its body held in memory
    search_terms: str  # its terms and their weights, encoded by `search.tokens.encode_terms`
    warnings: tuple[Diagnostic, ...]  # about its math


def load_post(
    path: Path, config: SiteConfig, renderers: Renderers, raw: bytes | None = None
) -> LoadedPost:
    """Render one post (from `raw`, the file's bytes, if given), and find its search terms;
    raises `BlogError` for mistakes."""
    source = path.relative_to(config.root).as_posix()
    if raw is None:
        raw = path.read_bytes()
    text = decode_utf8(
        raw, source, hint="save the file as UTF-8 (in VS Code: Save with Encoding → UTF-8)"
    )
    split = split_post(text, source)
    page = is_page(source)
    meta = validate_front_matter(split, source, config.tz, needs_date=not page)
    bundle = bundle_folder(source)
    if page:
        url_line = split.key_lines.get("url", 1)
        slug = page_slug(source, meta.slug, split.meta.get("url"), url_line)
        url = url_path(config.base_path, *(slug.split("/") if slug else ()))
        page_folder = slug
    else:
        slug = meta.slug or slugify(path.parent.name if bundle else path.stem)
        url = url_path(config.base_path, "posts", slug)
        page_folder = f"posts/{slug}"
    lang = meta.lang if meta.lang != config.language else None

    files = file_context(source, page_folder, config.base_path, split.body, split.body_line)
    body = render_body(
        renderers.body,
        split.body,
        engine=renderers.engine,
        path=source,
        first_line=split.body_line,
        callout_titles=ui_strings(lang) if lang else None,
        files=files,
        code_cache=renderers.code_cache,
    )
    title_line = split.key_lines.get("title", 2)
    title = render_inline_math(
        renderers.title, meta.title, engine=renderers.engine, path=source, line=title_line
    )
    if meta.summary is not None:
        summary_line = split.key_lines.get("summary", 2)
        summary = render_inline_math(
            renderers.summary or renderers.body,
            meta.summary,
            engine=renderers.engine,
            path=source,
            line=summary_line,
        )
        excerpt_html, truncated = f"<p>{summary.html}</p>\n", False
        description, summary_warnings = summary.text, summary.diagnostics
    else:
        excerpt = make_excerpt(renderers.body, body.tokens, config.excerpt_length)
        excerpt_html, truncated = excerpt.html, excerpt.truncated
        description = plain_description(body.tokens, DESCRIPTION_LENGTH)
        summary_warnings = ()
    cjk, words = _reading_counts(body.tokens)
    post = Post(
        source=source,
        slug=slug,
        url=url,
        title=meta.title,
        title_html=title.html,
        title_text=title.text,
        description=description,
        date=meta.date,
        updated=meta.updated,
        tags=tuple(
            tag_ref(name, config.base_path, split.key_lines.get("tags", 1)) for name in meta.tags
        ),
        summary=meta.summary,
        draft=meta.draft,
        body=InMemoryBody(body.html, body.toc if meta.toc else ()),
        excerpt=_standalone(excerpt_html, url),
        excerpt_truncated=truncated,
        reading_minutes=reading_minutes(cjk, words),
        cjk_chars=cjk,
        words=words,
        extra=meta.extra,
        kind="page" if page else "post",
        aliases=meta.aliases,
        aliases_line=split.key_lines.get("aliases", 1),
        series=series_ref(
            meta.series, meta.series_weight, config.base_path, split.key_lines.get("series", 1)
        ),
        lang=lang,
        pinned=meta.pinned,
        weight=meta.weight,
        publish_date=meta.publish_date,
        files=tuple(files.found),
        bundle=bundle,
    )
    terms = weighted_terms(
        title.text,
        meta.tags,
        f"{meta.summary or ''}\n{_search_text(body.tokens)}",
        _heading_sources(body.tokens),
    )
    warnings = (
        *meta.warnings,
        *title.diagnostics,
        *body.diagnostics,
        *summary_warnings,
        *files.diagnostics,
    )
    return LoadedPost(post, encode_terms(terms), warnings)
