"""`build()`: config → posts (cached or parsed in parallel) → page plan → render what changed →
write atomically. Each step lives in its own module; this one only chains them."""

from __future__ import annotations

import dataclasses
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from blog.config import SiteConfig, check_output_dir, load_config, normalize_base_url
from blog.content.discover import STATIC_DIR, THEME_DIR, Boundary, find_static
from blog.errors import BlogError, Diagnostic
from blog.incremental.build_cache import BuildCache, DiskCache
from blog.incremental.fingerprints import code_fingerprint, page_fingerprint
from blog.incremental.post_cache import CacheDamaged
from blog.incremental.site_lock import site_lock
from blog.model import Post, Tag, collect_tags
from blog.output.files import MARKER, OutputFile, collect, is_copy_of, put_bytes, put_copy
from blog.output.generation import Output, is_repository
from blog.search.index import SearchIndex
from blog.site.loading import load_posts
from blog.site.pages import PageJob, page_keys, plan_pages
from blog.util.digests import digest
from blog.util.parallel import FORKS, default_jobs

SYNTAX_CSS = "css/syntax.css"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    drafts: bool = False
    strict: bool = False
    output: Path | None = None
    base_url: str | None = None
    cache: bool = True  # read .blog-cache/ (it is refreshed either way)
    jobs: int | None = None  # worker processes; None: one per core
    progress: Progress | None = None
    # What is kept between builds; None: `.blog-cache/` alone (`blog serve` keeps a session).
    build_cache: BuildCache | None = None


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
    posts_parsed: int = 0
    pages_rendered: int = 0


def configure(root: Path, options: BuildOptions) -> SiteConfig:
    config = load_config(root)
    if options.base_url is not None:
        config = dataclasses.replace(config, base_url=normalize_base_url(options.base_url))
    if options.output is not None:
        config = dataclasses.replace(config, output_dir=str(options.output.resolve()))
        check_output_dir(config, None)
    return config


def static_files(config: SiteConfig) -> list[OutputFile]:
    """Theme assets first, then the site's `static/`, which overrides a theme file of one name."""
    files = [
        OutputFile(path.relative_to(THEME_DIR / "static").as_posix(), "theme", copy_from=path)
        for path in find_static(THEME_DIR)
    ]
    own = [
        OutputFile(
            path.relative_to(config.root / STATIC_DIR).as_posix(),
            path.relative_to(config.root).as_posix(),
            copy_from=path,
        )
        for path in find_static(config.root, Boundary.of(config))
    ]
    _refuse_look_alikes(own)
    return files + own


def _refuse_look_alikes(files: list[OutputFile]) -> None:
    """Two static files whose names differ only in Unicode normalization (`é` as one character,
    or as `e` and an accent, as macOS writes it) would be two URLs that look the same. They keep
    their names (posts link to them by those), so such a pair is an error."""
    first: dict[str, OutputFile] = {}
    clashes = []
    for item in files:
        other = first.setdefault(unicodedata.normalize("NFC", item.path), item)
        if other is not item:
            clashes.append(
                Diagnostic(
                    f"{other.source} and {item.source} have names that look the same but are "
                    "written differently",
                    item.source,
                    hint=f"{other.source!a} and {item.source!a} differ only in Unicode "
                    "normalization (macOS writes accents as separate characters); "
                    "delete or rename one",
                )
            )
    if clashes:
        raise BlogError(clashes)


def replaced_by_static(pages: list[PageJob], statics: list[OutputFile]) -> list[PageJob]:
    """The pages to render: a replaceable one (robots.txt) gives way to the site's own file."""
    provided = {item.path for item in statics}
    return [page for page in pages if not (page.replaceable and page.output in provided)]


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Every page to render and every static file to copy, for a set of posts."""

    pages: list[PageJob]
    statics: list[OutputFile]
    search: SearchIndex
    tags: tuple[Tag, ...]


def plan_site(
    config: SiteConfig, posts: tuple[Post, ...], tags: tuple[Tag, ...], search: SearchIndex
) -> SitePlan:
    statics = static_files(config)
    pages = replaced_by_static(plan_pages(config, posts, tags, search=search.page_data()), statics)
    return SitePlan(pages, statics, search, tags)


def generated_files(pages: list[PageJob], search: SearchIndex) -> list[OutputFile]:
    """The files a build makes (the static ones aside): the syntax CSS, pages, search index."""
    return [
        OutputFile(SYNTAX_CSS, "theme"),
        *(OutputFile(p.output, p.source) for p in pages),
        *(OutputFile(f.path, "search index") for f in search.files()),
    ]


def _prepare_rendering(config: SiteConfig) -> None:
    from blog.render.templates import prepare

    prepare(config)


def _syntax_css() -> bytes:
    from blog.markdown.highlight import stylesheet

    return stylesheet().encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Written:
    files: int
    unchanged: int
    rendered: int
    kept: tuple[str, ...] = ()  # what the output holds that no build made


def _write(
    config: SiteConfig,
    pages: list[PageJob],
    keys: list[str],
    search: SearchIndex,
    statics: list[OutputFile],
    output: Output,
    jobs: int,
    progress: Progress | None,
) -> _Written:
    """Prepare what changed, carry the rest over, and swap the result in; or, when nothing at
    all changed, leave the output as it is."""
    from blog.render.templates import render_pages

    out = config.output_path
    index_files = list(search.files())
    chosen = collect([*statics, *generated_files(pages, search)])
    copies = [f for f in chosen.values() if f.copy_from is not None]
    wanted: dict[str, str | None] = {f.path: None for f in copies}
    wanted[SYNTAX_CSS] = digest("syntax", code_fingerprint())
    wanted.update((page.output, key) for page, key in zip(pages, keys, strict=True))
    wanted.update((f.path, f.key) for f in index_files)
    todo = [i for i, page in enumerate(pages) if not output.unchanged(page.output, keys[i])]
    index_todo = [f.path for f in index_files if not output.unchanged(f.path, f.key)]
    css_kept = output.unchanged(SYNTAX_CSS, wanted[SYNTAX_CSS] or "")
    if (
        not todo
        and not index_todo
        and css_kept
        and all(is_copy_of(out / f.path, f.copy_from) for f in copies if f.copy_from)
        and wanted.keys() == output.live.keys()
        and (out / MARKER).is_file()
    ):
        return _Written(len(chosen), len(chosen), 0, output.kept_names(wanted, everywhere=False))

    stage = output.begin({*wanted, MARKER})
    try:
        unchanged = 0
        for item in copies:
            assert item.copy_from is not None
            unchanged += put_copy(stage.folder, out, item.path, item.copy_from)
        if css_kept and output.keep(stage, SYNTAX_CSS):
            unchanged += 1
        else:
            unchanged += put_bytes(stage.folder, out, SYNTAX_CSS, _syntax_css())
        changed = set(index_todo)
        for index_file in index_files:
            path = index_file.path
            if path not in changed and output.keep(stage, path):
                unchanged += 1
            else:
                unchanged += put_bytes(stage.folder, out, path, search.content(path))
        rendering = set(todo)
        for index, page in enumerate(pages):
            if index not in rendering:
                if output.keep(stage, page.output):
                    unchanged += 1
                else:  # gone since we looked: render it after all
                    todo.append(index)
        unchanged += render_pages(
            config, pages, todo, staging=stage.folder, out=out, jobs=jobs, progress=progress
        )
        output.commit(stage, wanted)
    except BaseException:
        output.abandon(stage)
        raise
    return _Written(len(chosen), unchanged, len(todo), stage.kept.names)


def _kept_warning(config: SiteConfig, kept: tuple[str, ...]) -> list[Diagnostic]:
    """Files put into the output by hand are kept, and named, so they do not go unnoticed
    (a version control folder there is how some deploy, and is not named)."""
    shown = [name for name in kept if not is_repository(name)]
    if not shown:
        return []
    try:
        folder = config.output_path.relative_to(config.root).as_posix()
    except ValueError:
        folder = str(config.output_path)
    names = ", ".join(shown[:10]) + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")
    return [
        Diagnostic(
            f"kept what no build made: {names}",
            folder + "/",
            hint="a build replaces this folder; to publish a file with the site, put it in "
            "static/ (copied on every build); delete the rest",
        )
    ]


def build(root: Path, options: BuildOptions | None = None) -> BuildReport:
    """Build the site in `root`, holding its lock: one build of a site at a time."""
    options = options or BuildOptions()
    started = time.perf_counter()
    config = configure(root, options)
    cache = DiskCache() if options.build_cache is None else options.build_cache
    with site_lock(config.root):
        try:
            return _build(config, options, cache, started)
        except CacheDamaged:
            if not options.cache:
                raise
            cache.forget()
            # Someone deleted or damaged part of .blog-cache/ under us: build without it,
            # which also writes it afresh.
            return _build(config, dataclasses.replace(options, cache=False), cache, started)


def _build(
    config: SiteConfig, options: BuildOptions, cache: BuildCache, started: float
) -> BuildReport:
    jobs = options.jobs or default_jobs()
    loaded = load_posts(
        config,
        drafts=options.drafts,
        cache=cache,
        read_cache=options.cache,
        jobs=jobs,
        progress=options.progress,
        while_parsing=lambda: _prepare_rendering(config),
    )
    if options.strict and loaded.warnings:
        raise BlogError(
            dataclasses.replace(w, hint=(w.hint + "; " if w.hint else "") + "--strict is on")
            for w in loaded.warnings
        )
    tags = collect_tags(loaded.posts)
    search = SearchIndex(
        loaded.posts, loaded.search_terms, loaded.fingerprints, cache.search_postings()
    )
    output = Output.open(config.root, config.output_path, read=options.cache)
    if not cache.keeps_postings and jobs > 1 and FORKS and search.shards_stale(output.unchanged):
        search.make_shards_elsewhere()
    plan = plan_site(config, loaded.posts, tags, search)
    pages = plan.pages
    keys = page_keys(pages, page_fingerprint(config), loaded.fingerprints)
    written = _write(config, pages, keys, search, plan.statics, output, jobs, options.progress)
    warnings = (*loaded.warnings, *_kept_warning(config, written.kept))
    if search.postings is not None:
        cache.keep_search_postings(search.postings)
    return BuildReport(
        output=config.output_path,
        posts=len(loaded.posts),
        pages=len(pages),
        tags=len(plan.tags),
        files=written.files,
        unchanged_files=written.unchanged,
        warnings=warnings,
        seconds=time.perf_counter() - started,
        formulas_converted=loaded.formulas_converted,
        formulas_reused=loaded.formulas_reused,
        posts_parsed=loaded.parsed,
        pages_rendered=written.rendered,
    )
