"""`build()`: config → posts (cached or parsed in parallel) → the site plan (every output) →
make what changed and swap it in atomically. Each step lives in its own stage; this module only
chains them."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mathblog.config import (
    SiteConfig,
    base_url_problem,
    check_output_dir,
    load_config,
    normalize_base_url,
)
from mathblog.errors import BlogError, Diagnostic
from mathblog.incremental.build_cache import BuildCache, DiskCache
from mathblog.incremental.post_cache import CacheDamaged
from mathblog.incremental.site_lock import site_lock
from mathblog.model import collect_tags
from mathblog.output.generation import Output
from mathblog.output.writer import kept_warning, write_site
from mathblog.search.index import SearchIndex
from mathblog.search.patching import RECORD_FILE, SearchRecord
from mathblog.site.loading import load_posts
from mathblog.site.outputs import plan_site
from mathblog.site.pages import known_keys
from mathblog.site.post_files import file_problems
from mathblog.util import timings
from mathblog.util.collector import collector_paused
from mathblog.util.parallel import FORKS, default_jobs
from mathblog.util.text import counted
from mathblog.util.timings import NO_TIMINGS, Timings

if TYPE_CHECKING:
    from mathblog.render.templates import PageRenderer
    from mathblog.site.parse_workers import EarlyWorkers

Progress = Callable[[str, int, int], None]

# Sets "now" for deciding which posts are out yet (a date such as 2025-01-01T08:00+08:00, or
# in the site's time zone if it names none): to preview the site as it will be on a day.
NOW_VARIABLE = "BLOG_NOW"


@dataclass(frozen=True, slots=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False  # include posts whose date is still to come
    now: datetime | None = None  # when the build runs; None: $BLOG_NOW, else the clock
    strict: bool = False
    output: Path | None = None
    base_url: str | None = None
    cache: bool = True  # read .blog-cache/ (it is refreshed either way)
    jobs: int | None = None  # worker processes; None: one per core
    progress: Progress | None = None
    # What is kept between builds; None: `.blog-cache/` alone (`blog serve` keeps a session).
    build_cache: BuildCache | None = None
    # The parsing workers `blog build` started as it started (`site.parse_workers`), if it did.
    early_workers: EarlyWorkers | None = None


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
    posts_read: int = 0  # post files read and hashed; the rest were known unchanged by their stat
    pages_rendered: int = 0
    pages_keyed: int = 0  # pages whose key was made, not known from the last plan
    held_back: int = 0  # posts left out because their date is still to come
    timings: Timings = NO_TIMINGS  # where the time went (`blog build --timings`)


def build_time(config: SiteConfig, options: BuildOptions) -> datetime:
    """The moment that decides which posts are out: the option, else $BLOG_NOW, else the
    clock."""
    if options.now is not None:
        return options.now
    given = os.environ.get(NOW_VARIABLE, "").strip()
    if not given:
        return datetime.now(UTC)
    from mathblog.content.frontmatter import parse_datetime  # YAML: only when it is needed

    moment = parse_datetime(given, config.tz)
    if moment is None:
        raise BlogError.at(
            f"{NOW_VARIABLE} is not a date: {given!r}",
            hint=f"e.g. {NOW_VARIABLE}=2025-01-01T08:00+08:00, or unset it to use the clock",
        )
    return moment


def configure(root: Path, options: BuildOptions) -> SiteConfig:
    config = load_config(root)
    if options.base_url is not None:
        if problem := base_url_problem(options.base_url):
            raise BlogError.at(
                f"--base-url {problem}", hint="e.g. --base-url https://me.github.io/notes/"
            )
        config = dataclasses.replace(config, base_url=normalize_base_url(options.base_url))
    if options.output is not None:
        config = dataclasses.replace(config, output_dir=str(options.output.resolve()))
        check_output_dir(config, None)
    return config


def build(root: Path, options: BuildOptions | None = None) -> BuildReport:
    """Build the site in `root`, holding its lock: one build of a site at a time."""
    options = options or BuildOptions()
    started = time.perf_counter()
    timings.start()
    cache = DiskCache() if options.build_cache is None else options.build_cache
    with collector_paused(not cache.keeps_parser):
        return _locked_build(root, options, cache, started)


def _locked_build(
    root: Path, options: BuildOptions, cache: BuildCache, started: float
) -> BuildReport:
    config = configure(root, options)
    timings.step("read site.toml")
    with site_lock(config.root):
        timings.step("take the site's lock")
        try:
            return _build(config, options, cache, started)
        except CacheDamaged:
            if not options.cache:
                raise
            cache.forget()
            # Someone deleted or damaged part of .blog-cache/ under us: build without it,
            # which also writes it afresh (with workers of its own: the early ones are spent).
            again = dataclasses.replace(options, cache=False, early_workers=None)
            return _build(config, again, cache, started)


def _prepare_rendering(config: SiteConfig, cache: BuildCache) -> PageRenderer:
    """Import Jinja and compile the templates; `blog serve` keeps its renderer between builds."""
    from mathblog.render.templates import PageRenderer, prepare

    kept = cache.renderer
    return prepare(config, kept if isinstance(kept, PageRenderer) else None)


def prepare_renderer(config: SiteConfig, cache: BuildCache) -> None:
    """Compile the templates now and keep them in `cache`, for a process that builds again
    (`blog serve`): when its first build rendered nothing (the site was up to date), its first
    edit would otherwise wait for Jinja's import and every template (a third of a second)."""
    cache.renderer = _prepare_rendering(config, cache)


def _build(
    config: SiteConfig, options: BuildOptions, cache: BuildCache, started: float
) -> BuildReport:
    jobs = options.jobs or default_jobs()
    prepared: list[PageRenderer] = []  # made while workers parse the posts
    loaded = load_posts(
        config,
        drafts=options.drafts,
        future=options.future,
        now=build_time(config, options),
        cache=cache,
        read_cache=options.cache,
        jobs=jobs,
        progress=options.progress,
        while_parsing=lambda: prepared.append(_prepare_rendering(config, cache)),
        early=options.early_workers,
    )
    # A missing file is asked about on every build: adding it clears the warning.
    found = (*loaded.warnings, *file_problems(config, (*loaded.posts, *loaded.pages)))
    if options.strict and found:
        raise BlogError(
            dataclasses.replace(w, hint=(w.hint + "; " if w.hint else "") + "--strict is on")
            for w in found
        )
    timings.step("check the posts")
    tags = collect_tags(loaded.posts)
    search = SearchIndex(
        loaded.posts,
        loaded.search_terms,
        loaded.fingerprints,
        cache.search_postings(),
        loaded.search_digests,
        kept=cache.keeps_postings,
    )
    output = Output.open(config.root, config.output_path, read=options.cache)
    record_file = output.state / RECORD_FILE
    record = SearchRecord.read(record_file) if options.cache else None
    patched = search.patch(record, loaded.replaced_terms, output.live_file)
    if (
        not patched
        and not cache.keeps_postings
        and jobs > 1
        and FORKS
        and search.shards_stale(output.unchanged)
    ):
        search.make_shards_elsewhere(output.unchanged)
    timings.step("patch or start the search index")
    plan = plan_site(
        config,
        loaded.posts,
        tags,
        search,
        loaded.fingerprints,
        pages=loaded.pages,
        card_fingerprints=loaded.card_fingerprints,
        known_keys=(known := known_keys(cache.page_keys(config.root)) if options.cache else None),
    )
    if plan.known_keys is not None and plan.known_keys != known:
        cache.keep_page_keys(config.root, plan.known_keys)
    timings.step(f"plan {counted(plan.pages, 'page')}, key {plan.keyed} of them")

    def renderer() -> PageRenderer:  # asked for only when some page is to be rendered
        if not prepared:
            prepared.append(_prepare_rendering(config, cache))
        cache.renderer = prepared[0]
        return prepared[0]

    written = write_site(plan.outputs, output, renderer, jobs=jobs, progress=options.progress)
    warnings = (*found, *kept_warning(config, written.kept))
    if search.postings is not None:
        cache.keep_search_postings(search.postings)
    if (made := search.record()) != record:  # it describes the output now in place
        made.write(record_file)
    timings.step("write the search record")
    return BuildReport(
        output=config.output_path,
        posts=len(loaded.posts),
        pages=plan.pages,
        tags=len(plan.tags),
        files=written.files,
        unchanged_files=written.unchanged,
        warnings=warnings,
        seconds=time.perf_counter() - started,
        formulas_converted=loaded.formulas_converted,
        formulas_reused=loaded.formulas_reused,
        posts_parsed=loaded.parsed,
        posts_read=loaded.read,
        pages_rendered=written.rendered,
        pages_keyed=plan.keyed,
        held_back=loaded.held_back,
        timings=timings.finished(),
    )
