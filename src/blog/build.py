"""`build()`: the one function that chains config → discover → parse → model → render → write."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from . import highlight
from .config import SiteConfig, check_output_dir, load_config, normalize_base_url
from .discover import STATIC_DIR, find_posts, find_static
from .errors import BlogError, Diagnostic
from .i18n import ui_strings
from .markdown import create_markdown
from .math_cache import FormulaCache
from .math_engine import MathEngine, MathRenderError, cache_fingerprint
from .model import Post, collect_tags, group_by_year, neighbours, paginate, sort_posts
from .posts import Renderers, create_title_markdown, load_post
from .render import THEME_DIR, PageRenderer, render_site
from .write import OutputFile, write_site


@dataclass(frozen=True, slots=True)
class BuildOptions:
    drafts: bool = False
    strict: bool = False
    output: Path | None = None
    base_url: str | None = None
    cache: bool = True


@dataclass(frozen=True, slots=True)
class BuildReport:
    output: Path
    posts: int
    pages: int
    tags: int
    files: int
    warnings: tuple[Diagnostic, ...]
    seconds: float
    unchanged_files: int = 0
    formulas_converted: int = 0
    formulas_reused: int = 0


def configure(root: Path, options: BuildOptions) -> SiteConfig:
    config = load_config(root)
    if options.base_url is not None:
        config = dataclasses.replace(config, base_url=normalize_base_url(options.base_url))
    if options.output is not None:
        config = dataclasses.replace(config, output_dir=str(options.output.resolve()))
        check_output_dir(config, None)
    return config


def create_renderers(config: SiteConfig, *, cache: bool = True) -> Renderers:
    formula_cache = None
    if cache:
        formula_cache = FormulaCache.load(config.root, cache_fingerprint(config.math_macros))
    try:
        engine = MathEngine(config.math_macros, formula_cache)
    except MathRenderError as exc:
        raise BlogError.at(exc.message, "site.toml", hint="check the [math.macros] table") from None
    body = create_markdown(
        raw_html=config.raw_html,
        base_path=config.base_path,
        cjk_latin_spacing=config.cjk_latin_spacing,
        callout_titles=ui_strings(config.language),
    )
    return Renderers(body=body, title=create_title_markdown(), engine=engine)


def load_posts(
    config: SiteConfig, renderers: Renderers, *, drafts: bool
) -> tuple[tuple[Post, ...], tuple[Diagnostic, ...]]:
    """Every post, or every problem with them at once; two posts on one URL is a problem too."""
    posts: list[Post] = []
    warnings: list[Diagnostic] = []
    errors: list[Diagnostic] = []
    for path in find_posts(config.root):
        try:
            post, post_warnings = load_post(path, config, renderers)
        except BlogError as exc:
            errors.extend(exc.diagnostics)
            continue
        if post.draft and not drafts:
            continue
        posts.append(post)
        warnings.extend(post_warnings)
    first_by_slug: dict[str, Post] = {}
    for post in posts:
        other = first_by_slug.setdefault(post.slug, post)
        if other is not post:
            errors.append(
                Diagnostic(
                    f"{post.source} and {other.source} both want the URL {post.url}",
                    post.source,
                    1,
                    hint="give one of them a different `slug:` in its front matter",
                )
            )
    if errors:
        raise BlogError(errors)
    return sort_posts(posts), tuple(warnings)


def static_files(config: SiteConfig) -> list[OutputFile]:
    """Theme assets first, then the site's `static/`, which overrides a theme file of one name."""
    files = [
        OutputFile(path.relative_to(THEME_DIR / "static").as_posix(), "theme", copy_from=path)
        for path in find_static(THEME_DIR)
    ]
    files.append(OutputFile("css/syntax.css", "theme", text=highlight.stylesheet()))
    files += [
        OutputFile(
            path.relative_to(config.root / STATIC_DIR).as_posix(),
            path.relative_to(config.root).as_posix(),
            copy_from=path,
        )
        for path in find_static(config.root)
    ]
    return files


def build(root: Path, options: BuildOptions | None = None) -> BuildReport:
    options = options or BuildOptions()
    started = time.perf_counter()
    config = configure(root, options)
    renderers = create_renderers(config, cache=options.cache)
    posts, warnings = load_posts(config, renderers, drafts=options.drafts)
    if options.strict and warnings:
        raise BlogError(
            dataclasses.replace(w, hint=(w.hint + "; " if w.hint else "") + "--strict is on")
            for w in warnings
        )

    tags = collect_tags(posts)
    index_pages = paginate(posts, config.per_page, config.base_path)
    tag_pages = {
        tag.slug: paginate(tag.posts, config.per_page, config.base_path, "tags", tag.slug)
        for tag in tags
    }
    pages = list(
        render_site(
            PageRenderer(config),
            posts,
            tags,
            index_pages,
            tag_pages,
            group_by_year(posts),
            neighbours(posts),
        )
    )
    outputs = [
        *static_files(config),
        *(OutputFile(page.path, page.source, text=page.text) for page in pages),
    ]
    written = write_site(config.output_path, outputs)
    renderers.engine.save_cache()
    return BuildReport(
        output=config.output_path,
        posts=len(posts),
        pages=len(pages),
        tags=len(tags),
        files=written.files,
        unchanged_files=written.unchanged,
        warnings=warnings,
        seconds=time.perf_counter() - started,
        formulas_converted=renderers.engine.converted,
        formulas_reused=renderers.engine.reused,
    )
