"""All post files → `Post`s: from the post cache when nothing that shaped a post changed,
otherwise parsed and rendered, on every core when there are many."""

from __future__ import annotations

import dataclasses
import functools
import os
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mathblog.config import SiteConfig
from mathblog.content.discover import find_pages, find_posts
from mathblog.errors import BlogError, Diagnostic
from mathblog.incremental.build_cache import BuildCache, DiskCache, hash_post, post_file_key
from mathblog.incremental.fingerprints import card_fingerprint, post_fingerprint
from mathblog.incremental.post_cache import CachedPost, PostCache
from mathblog.markdown.code_cache import CODE_FILE, CodeCache
from mathblog.math.cache import CACHE_DIR, FORMULA_FILE, FormulaCache
from mathblog.model import Post, sort_posts
from mathblog.search.index import document_digest
from mathblog.site.parse_workers import (
    EarlyWorkers,
    Glance,
    WorkerSlot,
    expected_workers,
    glance,
    warm_worker,
    workers_for,
)
from mathblog.util import timings
from mathblog.util.fs_clock import file_system_time
from mathblog.util.kept_results import KeptResults
from mathblog.util.lazy_pattern import compile_all
from mathblog.util.parallel import Pool, chunked, run_chunks
from mathblog.util.text import counted
from mathblog.util.urls import spelling

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from mathblog.content.post import Renderers

# The formula cache is read only when it is small next to the work: reading a big one costs more
# than converting the formulas of the one post an edit changed.
CACHE_BYTES_PER_POST = 64 * 1024
# Below this many, a worker pool costs more than it saves.
PARALLEL_MIN_POSTS = 24

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class LoadedPosts:
    posts: tuple[Post, ...]  # newest first, drafts and future posts left out unless asked for
    # Beside each post and page, by its source file: its fingerprint, which changes with
    # anything that shaped it (pages and search files are keyed by it); beside each post, its
    # encoded search terms (pages are not searched).
    fingerprints: Mapping[str, str]
    search_terms: Mapping[str, str]
    warnings: tuple[Diagnostic, ...]
    parsed: int  # posts and pages parsed this build; the rest came from the cache
    formulas_converted: int = 0
    formulas_reused: int = 0
    pages: tuple[Post, ...] = ()  # the files of pages/ (`kind == "page"`), by source file
    held_back: int = 0  # posts left out because their date is still to come
    # The search terms of the posts the cache held before this build and no longer does as
    # they were (edited or deleted), by their old fingerprint: the search index is patched
    # by the differences.
    replaced_terms: Mapping[str, str] = field(default_factory=dict)
    read: int = 0  # post and page files read and hashed: the others were known by their stat
    # Beside each post and page, the fingerprint of what a card of it shows: a listing is keyed
    # by it, so that an edit to a post's body renders again only the pages that show the body.
    card_fingerprints: Mapping[str, str] = field(default_factory=dict)
    search_digests: Mapping[str, str] = field(default_factory=dict)  # `index.document_digest`


@dataclass(frozen=True, slots=True)
class Shown:
    """Which posts a build shows: drafts only if asked; posts dated after `now` (when the build
    runs, unless told otherwise) only if asked. The post cache holds them all, so a build after
    the date has passed shows a post without parsing anything again."""

    drafts: bool = False
    future: bool = False
    now: datetime | None = None  # None: the clock

    def at(self) -> datetime:
        return self.now if self.now is not None else datetime.now(UTC)


def create_renderers(config: SiteConfig, formula_cache: FormulaCache | None) -> Renderers:
    from mathblog.content.post import Renderers, create_title_markdown
    from mathblog.markdown.parser import create_markdown
    from mathblog.math.engine import MathEngine, MathRenderError
    from mathblog.util.i18n import ui_strings

    try:
        engine = MathEngine(config.math_macros, formula_cache)
    except MathRenderError as exc:
        raise BlogError.at(exc.message, "site.toml", hint="check the [math.macros] table") from None

    def body_markdown(raw_html: bool) -> MarkdownIt:
        return create_markdown(
            raw_html=raw_html,
            base_path=config.base_path,
            cjk_latin_spacing=config.cjk_latin_spacing,
            callout_titles=ui_strings(config.language),
        )

    body = body_markdown(config.raw_html)
    # A summary is metadata like the title: shown on cards, in the feed and in <meta> tags, and
    # often pasted from elsewhere; its markdown and math work, raw HTML is shown as text.
    summary = body_markdown(False) if config.raw_html else body
    return Renderers(body=body, title=create_title_markdown(), engine=engine, summary=summary)


def _worth_reading(config: SiteConfig, name: str, todo: int) -> bool:
    """Whether the cache file `name` is worth reading for `todo` posts to parse: reading a
    large one for one edited post costs more than the work it saves."""
    try:
        size = (config.root / CACHE_DIR / name).stat().st_size
    except OSError:
        size = 0
    return todo > 0 and size <= todo * CACHE_BYTES_PER_POST


def _formula_cache(config: SiteConfig, *, read: bool) -> FormulaCache:
    from mathblog.math.engine import cache_fingerprint

    return FormulaCache.for_site(config.root, cache_fingerprint(config.math_macros), read=read)


@dataclass(frozen=True, slots=True)
class _Job:
    path: Path
    raw: bytes
    fingerprint: str


@dataclass(frozen=True, slots=True)
class _Parsed:
    source: str
    entry: CachedPost | None
    errors: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class _ChunkResult:
    parsed: list[_Parsed]
    formulas: dict[str, object]
    code: dict[str, object]  # highlighted code blocks
    converted: int
    reused: int


class _Worker:
    """What one process needs to parse posts: set up once per process by `_start_worker`."""

    def __init__(self, config: SiteConfig, cache: PostCache, read_cache: bool):
        self.config = config
        self.cache = cache
        self.read_cache = read_cache
        self.formula_cache: FormulaCache | None = None
        self.code_cache: CodeCache | None = None
        self.renderers = create_renderers(config, None)

    def close(self) -> None:
        """Stop the math engine's process (a worker calls this as it ends)."""
        self.renderers.engine.close()

    def attach_formula_cache(self) -> FormulaCache:
        if self.formula_cache is None:
            self.formula_cache = _formula_cache(self.config, read=self.read_cache)
            self.renderers.engine.use_cache(self.formula_cache)
        return self.formula_cache

    def attach_code_cache(self) -> CodeCache:
        if self.code_cache is None:
            self.code_cache = CodeCache.for_site(self.config.root, read=self.read_cache)
            self.renderers = dataclasses.replace(self.renderers, code_cache=self.code_cache)
        return self.code_cache


_Setup = tuple[SiteConfig, PostCache, bool]  # what `_start_worker` is given


def _setup(config: SiteConfig, fingerprint: str, read_cache: bool) -> _Setup:
    return config, PostCache(config.root / CACHE_DIR, fingerprint), read_cache


def _setup_key(setup: _Setup) -> tuple[SiteConfig, str, bool]:
    """What a parser is made for: the settings and the post fingerprint (a worker's own
    `PostCache` changes as it writes bodies)."""
    config, cache, read_cache = setup
    return config, cache.post_fingerprint, read_cache


# What a worker's parser is for, posts to parse, and whether to use the formula cache and the
# code cache for them. The set-up comes with every chunk: a worker may have started before the
# settings were read (`site.parse_workers`).
_Chunk = tuple[_Setup, Sequence[_Job], bool, bool]


def _start_worker(config: SiteConfig, cache: PostCache, read_cache: bool) -> _Worker | BlogError:
    try:
        return _Worker(config, cache, read_cache)
    except BlogError as exc:  # reported by each chunk: a failing pool initializer is opaque
        return exc


def _parse_chunk(slot: WorkerSlot, chunk: _Chunk) -> _ChunkResult:
    """Parse these posts with the parser in `slot`, made for the chunk's set-up unless it is
    already; the flags say whether to use the formula and the code caches."""
    from mathblog.content.post import load_post

    setup, jobs, use_formula_cache, use_code_cache = chunk
    if slot.setup != (key := _setup_key(setup)):
        slot.close()
        slot.made, slot.setup = _start_worker(*setup), key
    worker = slot.made
    assert isinstance(worker, _Worker | BlogError)
    if isinstance(worker, BlogError):
        return _ChunkResult([_Parsed("", None, tuple(worker.diagnostics))], {}, {}, 0, 0)
    formula_cache = worker.attach_formula_cache() if use_formula_cache else None
    code_cache = worker.attach_code_cache() if use_code_cache else None
    engine = worker.renderers.engine
    before = engine.converted, engine.reused
    parsed = []
    for job in jobs:
        source = job.path.relative_to(worker.config.root).as_posix()
        try:
            with timings.work("parse posts"):
                loaded = load_post(job.path, worker.config, worker.renderers, job.raw)
        except BlogError as exc:
            parsed.append(_Parsed(source, None, tuple(exc.diagnostics)))
            continue
        body = worker.cache.body_for(*loaded.post.body.load())
        post = dataclasses.replace(loaded.post, body=body)
        card = card_fingerprint(post)
        terms = loaded.search_terms
        searched = document_digest(post, terms) if post.kind == "post" else ""
        entry = CachedPost(job.fingerprint, post, loaded.warnings, terms, card, searched)
        parsed.append(_Parsed(source, entry, ()))
    worker.cache.flush()  # the main process and other workers read these bodies
    formulas = formula_cache.drain() if formula_cache else {}
    code = code_cache.drain() if code_cache else {}
    counts = engine.converted - before[0], engine.reused - before[1]
    return _ChunkResult(parsed, formulas, code, *counts)


def load_posts(
    config: SiteConfig,
    *,
    drafts: bool,
    future: bool = False,
    now: datetime | None = None,
    cache: BuildCache | None = None,
    read_cache: bool = True,
    jobs: int = 1,
    progress: Progress | None = None,
    while_parsing: Callable[[], None] | None = None,
    early: EarlyWorkers | None = None,
) -> LoadedPosts:
    """Every post and page, or every problem with them at once; two on one URL is a problem too.
    Drafts are left out unless `drafts`, and posts whose date is after `now` (None: the clock)
    unless `future`.

    `cache` keeps the post index and the files' keys, and writes the caches (None: a one-off
    build's `DiskCache`); `read_cache=False` uses nothing it kept. `while_parsing` is called
    while worker processes parse: work that does not need the posts (importing Jinja, compiling
    templates) then costs no time; when nothing is to be parsed it is not called. `early`: the
    parsing workers the command started (`site.parse_workers`), if it started any."""
    cache = DiskCache() if cache is None else cache
    fingerprint = post_fingerprint(config)
    paths = find_posts(config) + find_pages(config)
    timings.step("find the posts")
    setup = _setup(config, fingerprint, read_cache)
    if early is not None:
        seen = early.glance
    else:
        seen = glance(config.root, read_cache=read_cache) if jobs > 1 else Glance(0)
    pool = _early_pool(jobs, seen, cache.keeps_parser, early)
    timings.step("start the parsing workers")
    try:
        index = cache.post_index(config.root, fingerprint, read=read_cache)
        entries, todo, read = _look_up(config, paths, index, fingerprint, seen.stats)
        formula_cache = _formula_cache_for(config, len(todo), read_cache)
        code_cache = _code_cache_for(config, len(todo), read_cache)
        timings.step(f"read the caches, read and hash {counted(read, 'post file')}")
    except BaseException:  # a post that cannot be read, or Ctrl-C: its workers are not wanted
        if pool is not None:
            pool.stop()
        raise
    if progress:
        progress("posts", len(entries), len(paths))
    here = cache.keeps_parser and 0 < len(todo) < PARALLEL_MIN_POSTS
    if here and pool is not None:
        pool.stop()
    pool = None if here else _pool_for(pool, len(todo), jobs, while_parsing)
    flags = formula_cache is not None, code_cache is not None
    chunks: list[_Chunk] = [(setup, chunk, *flags) for chunk in chunked(todo, jobs)]
    if pool is not None:
        results = pool.map(_parse_chunk, chunks)
    elif here:  # a long-lived process (`blog serve`): its parser is kept from build to build
        slot = WorkerSlot(_kept_worker(cache, setup), _setup_key(setup))
        results = (_parse_chunk(slot, chunk) for chunk in chunks)
    else:  # parsed as the results are asked for, after `while_parsing`
        results = run_chunks(_parse_chunk, chunks, jobs=1, setup=WorkerSlot, setup_args=())
    try:
        if while_parsing is not None and todo:  # nothing to parse: nothing to do it alongside
            while_parsing()
            timings.step("compile the templates, while posts are parsed")
        tally = _gather(results, entries, formula_cache, code_cache, progress, len(paths))
    except BaseException:  # a template that does not compile, or Ctrl-C: stop the workers now
        getattr(results, "close", lambda: None)()
        raise
    timings.step(f"parse {counted(len(todo), 'post')}")
    kept = [kept for kept in (formula_cache, code_cache) if kept is not None]
    replaced = index.replaced_terms(entries)  # before `save` forgets them
    prune = len(todo) == len(paths)
    cache.save(config.root, index, lambda: _save(index, entries, kept, prune=prune))
    timings.step("write the post cache")
    loaded = _loaded(entries, Shown(drafts, future, now), tally, len(todo))
    return dataclasses.replace(loaded, replaced_terms=replaced, read=read)


def _kept_worker(cache: BuildCache, setup: _Setup) -> _Worker | BlogError:
    """The parser `cache` kept, if it was set up for the same settings; else a new one, kept."""
    config, post_cache, read_cache = setup
    kept = cache.parser
    if isinstance(kept, _Worker) and (kept.config, kept.read_cache) == (config, read_cache):
        kept.cache = post_cache  # this build's (its fingerprint may be new)
        return kept
    worker = _start_worker(*setup)
    cache.parser = worker if isinstance(worker, _Worker) else None
    return worker


def prepare_parser(config: SiteConfig, cache: BuildCache) -> None:
    """Set up the parser a long-lived process keeps (`cache.keeps_parser`) now, math engine
    started and patterns compiled, so that the first edit is parsed as fast as the ones after
    it."""
    if cache.keeps_parser:
        worker = _kept_worker(cache, _setup(config, post_fingerprint(config), True))
        if isinstance(worker, _Worker):
            worker.renderers.engine.start()
        compile_all()


def _early_pool(
    jobs: int, seen: Glance, keeps_parser: bool, early: EarlyWorkers | None
) -> Pool | None:
    """Workers started now import the Markdown stack while this process reads the cache and
    hashes the posts (`early`: those the command started already, if it did); not for an edit
    in a process that keeps its parser (it parses here)."""
    if early is not None:
        return early.pool
    if keeps_parser and expected_workers(seen, jobs) == 1:
        return None
    return workers_for(seen, jobs)


def _look_up(
    config: SiteConfig,
    paths: Sequence[Path],
    index: PostCache,
    fingerprint: str,
    stats: Mapping[str, os.stat_result],
) -> tuple[dict[str, CachedPost], list[_Job], int]:
    """The posts the index has for their files as they are now, the files to parse, and how
    many files were read to find out. `stats`: the files' `os.stat` as the glance found them a
    moment ago (a change since is seen by the next build, as one after this build's own)."""
    entries: dict[str, CachedPost] = {}
    todo: list[_Job] = []
    read = 0
    prefix = len(os.path.join(config.root, ""))
    # The cache folder is on the site's disk, as the posts are (made by any build before). A
    # file is made there to read the disk's clock: only once a post file must be read, so a
    # build with no post file changed makes none.
    now = functools.cache(lambda: file_system_time(config.root / CACHE_DIR))
    for path in paths:
        name = str(path)
        source = name[prefix:].replace(os.sep, "/")
        found = post_file_key(index, name, source, fingerprint, now, stats.get(name))
        read += found.raw is not None
        hit = index.get(source, found.key)
        if hit is not None:
            entries[source] = hit
        elif found.raw is not None:
            todo.append(_Job(path, found.raw, found.key))
        else:  # its key was known without reading it, and the index lacks that post
            key, raw = hash_post(name, source, fingerprint)
            todo.append(_Job(path, raw, key))
            read += 1
    return entries, todo, read


def _formula_cache_for(config: SiteConfig, todo: int, read_cache: bool) -> FormulaCache | None:
    """The formula cache, when `todo` posts are to be parsed and it is worth reading for them."""
    if _worth_reading(config, FORMULA_FILE, todo):
        return _formula_cache(config, read=read_cache)
    return None


def _code_cache_for(config: SiteConfig, todo: int, read_cache: bool) -> CodeCache | None:
    """The code cache, on the same rule."""
    if _worth_reading(config, CODE_FILE, todo):
        return CodeCache.for_site(config.root, read=read_cache)
    return None


def _pool_for(
    pool: Pool | None,
    todo: int,
    jobs: int,
    while_parsing: Callable[[], None] | None,
) -> Pool | None:
    """The workers to parse `todo` posts: those started early if they will do, new ones, or
    none (this process parses them)."""
    wanted = jobs if todo >= PARALLEL_MIN_POSTS else 1
    if pool is not None and (not todo or pool.workers < wanted):
        pool.stop()  # nothing to parse after all, or more than one worker can do
        pool = None
    if pool is None and todo and jobs > 1 and (wanted > 1 or while_parsing is not None):
        # Even one post goes to a worker when there is a spare core: importing the Markdown
        # stack and parsing there overlaps with `while_parsing` here.
        pool = Pool(wanted, warm_worker, ())
    return pool


@dataclass(slots=True)
class _Tally:
    errors: list[Diagnostic] = field(default_factory=list)
    converted: int = 0
    reused: int = 0


def _gather(
    results: Iterable[_ChunkResult],
    entries: dict[str, CachedPost],
    formula_cache: FormulaCache | None,
    code_cache: CodeCache | None,
    progress: Progress | None,
    total: int,
) -> _Tally:
    """Add the parsed posts to `entries`, their formulas and code to the caches."""
    tally = _Tally()
    done = len(entries)
    for result in results:
        for parsed in result.parsed:
            if parsed.entry is None:
                tally.errors.extend(parsed.errors)
            else:
                entries[parsed.source] = parsed.entry
        if formula_cache is not None:
            formula_cache.absorb(result.formulas)
        if code_cache is not None:
            code_cache.absorb(result.code)
        tally.converted += result.converted
        tally.reused += result.reused
        done += len(result.parsed)
        if progress:
            progress("posts", done, total)
    return tally


def _save(
    index: PostCache, entries: dict[str, CachedPost], kept: Sequence[KeptResults], *, prune: bool
) -> None:
    index.save(sorted(entries.items()))
    for results in kept:
        results.save(prune=prune)


def _loaded(entries: dict[str, CachedPost], rule: Shown, tally: _Tally, parsed: int) -> LoadedPosts:
    # A future post's warnings are shown: it is written, only not out yet.
    written = {s: e for s, e in sorted(entries.items()) if rule.drafts or not e.post.draft}
    now = rule.at()
    shown = [e for e in written.values() if rule.future or e.post.published_by(now)]
    everything = [entry.post for entry in shown]
    posts = [post for post in everything if post.kind == "post"]
    errors = tally.errors + _url_clashes(everything) + _tag_clashes(posts) + _series_clashes(posts)
    if errors:
        raise BlogError(dict.fromkeys(errors))  # a setup error comes once from each chunk
    warnings = [warning for entry in written.values() for warning in entry.warnings]
    return LoadedPosts(
        sort_posts(posts),
        {entry.post.source: entry.fingerprint for entry in shown},
        {entry.post.source: entry.search_terms for entry in shown if entry.post.kind == "post"},
        tuple(warnings),
        parsed,
        tally.converted,
        tally.reused,
        tuple(sorted((p for p in everything if p.kind == "page"), key=lambda p: p.source)),
        held_back=len(written) - len(shown),
        card_fingerprints={entry.post.source: entry.card_fingerprint for entry in shown},
        search_digests={entry.post.source: entry.search_digest for entry in shown},
    )


def _url_clashes(posts: Sequence[Post]) -> list[Diagnostic]:
    """Posts and pages on one URL (`pages/posts/x.md` is where `posts/x.md` is)."""
    first_by_url: dict[str, Post] = {}
    clashes = []
    for post in sorted(posts, key=lambda p: p.source):
        other = first_by_url.setdefault(post.url, post)
        if other is not post:
            hint = "give one of them a different `slug:` in its front matter"
            if unicodedata.normalize("NFC", post.source) == unicodedata.normalize(
                "NFC", other.source
            ):
                hint = (
                    f"{other.source!a} and {post.source!a} differ only in Unicode "
                    "normalization (macOS writes accents as separate characters); "
                    "delete or rename one"
                )
            clashes.append(
                Diagnostic(
                    f"{post.source} and {other.source} both want the URL {post.url}",
                    post.source,
                    1,
                    hint=hint,
                )
            )
    return clashes


def _tag_clashes(posts: Sequence[Post]) -> list[Diagnostic]:
    """Tags on one URL are one tag when they are spelled alike (`RoPE`, `rope`); otherwise
    (`a/b`, `a-b`: a URL cannot keep `/`) merging them would be a silent surprise."""
    first: dict[str, tuple[str, Post]] = {}  # slug → the first tag name seen, and its post
    judged: set[tuple[str, str]] = set()  # pairs of names already found alike, or reported
    clashes = []
    for post in sorted(posts, key=lambda p: p.source):
        for ref in post.tags:
            seen = first.get(ref.slug)
            if seen is None:
                first[ref.slug] = (ref.name, post)
                continue
            name, other = seen
            if ref.name == name or (name, ref.name) in judged:
                continue
            judged.add((name, ref.name))
            if spelling(name) == spelling(ref.name):
                continue
            clashes.append(
                Diagnostic(
                    f"tags {name!r} ({other.source}) and {ref.name!r} ({post.source}) "
                    f"both become the URL {ref.url}",
                    post.source,
                    ref.line,
                    hint="write them the same way if they are one tag, or rename one",
                )
            )
    return clashes


def _series_clashes(posts: Sequence[Post]) -> list[Diagnostic]:
    """Series names on one URL are judged as tag names are (`_tag_clashes`)."""
    first: dict[str, tuple[str, Post]] = {}  # slug → the first name seen, and its post
    clashes = []
    for post in sorted(posts, key=lambda p: p.source):
        ref = post.series
        if ref is None:
            continue
        name, other = first.setdefault(ref.slug, (ref.name, post))
        if spelling(name) != spelling(ref.name):
            clashes.append(
                Diagnostic(
                    f"series {name!r} ({other.source}) and {ref.name!r} ({post.source}) "
                    f"both become the URL {ref.url}",
                    post.source,
                    ref.line,
                    hint="write them the same way if they are one series, or rename one",
                )
            )
    return clashes
