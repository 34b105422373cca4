"""Every file a build makes, as one list of outputs: the site plan.

An `OutputFile` is a path in the output folder, what it is made from (for errors), a key (a
digest of everything it is made from; None for a copied file, judged by its size and mtime), and
how its bytes come about: a page rendered from a template, bytes made by a function, or a static
file copied as it is. Each kind of output has one *generator* below, a function of the site's
content (`Site`) that yields that kind's outputs; `GENERATORS` lists them in order. A page is
yielded as a `PageJob`, which the plan keys with every other page at once (shared data, such as a
tag's posts on each of its pages, is digested once).

`blog build` writes the plan (`output.writer`), `blog check` renders it in memory; neither lists
a file of its own. A new kind of output is one generator here, registered in `GENERATORS`, and
its template in the theme.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from mathblog.config import SiteConfig
from mathblog.content.discover import STATIC_DIR, THEME_DIR, Boundary, find_static
from mathblog.errors import BlogError, Diagnostic
from mathblog.incremental.fingerprints import (
    code_fingerprint,
    page_fingerprint,
    shadows_theme,
    template_files,
)
from mathblog.model import (
    Post,
    Series,
    Tag,
    collect_series,
    group_by_year,
    neighbours,
    paginate,
    pinned_first,
    series_parts,
)
from mathblog.search.index import SearchIndex
from mathblog.site.pages import KnownKeys, PageJob, key_basis, page_keys, theme_page_keys
from mathblog.site.post_files import published_files
from mathblog.util.digests import digest
from mathblog.util.urls import escapes, file_path, url_path

SYNTAX_CSS = "css/syntax.css"
FEED_FILE = "atom.xml"
ROBOTS_FILE = "robots.txt"


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the site. Exactly one of `page`, `produce` and `copy_from` says how its
    bytes come about; a copy has no key (a copied file is judged by its size and mtime)."""

    path: str  # relative, with `/`
    source: str  # what made it, for error messages
    key: str | None = None
    page: PageJob | None = None  # rendered from a template (in worker processes when many)
    produce: Callable[[], bytes] | None = None  # bytes made in the building process
    copy_from: Path | None = None  # a static file, copied as it is

    @classmethod
    def rendered(cls, page: PageJob, key: str) -> OutputFile:
        return cls(page.output, page.source, key, page=page)

    @classmethod
    def made(cls, path: str, source: str, key: str, produce: Callable[[], bytes]) -> OutputFile:
        return cls(path, source, key, produce=produce)

    @classmethod
    def copied(cls, path: str, source: str, file: Path) -> OutputFile:
        return cls(path, source, copy_from=file)


@dataclass(frozen=True, slots=True)
class Site:
    """What the generators make the site's outputs from."""

    config: SiteConfig
    posts: tuple[Post, ...]  # newest first
    tags: tuple[Tag, ...]  # `collect_tags(posts)`
    search: SearchIndex
    pages: tuple[Post, ...] = ()  # the files of pages/, by source file
    series: tuple[Series, ...] = ()  # `collect_series(posts)`


Planned = PageJob | OutputFile
# A generator yields the outputs of one kind; `earlier` is what the generators before it yielded
# (the sitemap lists their pages).
Generator = Callable[[Site, Sequence[Planned]], Iterable[Planned]]


# --- static files -----------------------------------------------------------------------------


def static_copies(site: Site, earlier: Sequence[Planned]) -> Iterator[OutputFile]:
    """Theme assets first, then the site's `static/`, which overrides a theme file of one name."""
    config = site.config
    for path in find_static(THEME_DIR):
        yield OutputFile.copied(path.relative_to(THEME_DIR / "static").as_posix(), "theme", path)
    own = [
        OutputFile.copied(
            path.relative_to(config.root / STATIC_DIR).as_posix(),
            path.relative_to(config.root).as_posix(),
            path,
        )
        for path in find_static(config.root, Boundary.of(config))
    ]
    _refuse_look_alikes(own)
    yield from own


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


def syntax_css(site: Site, earlier: Sequence[Planned]) -> Iterator[OutputFile]:
    """The code highlighting's stylesheet: it depends on the code alone."""
    yield OutputFile.made(SYNTAX_CSS, "theme", digest("syntax", code_fingerprint()), _stylesheet)


def _stylesheet() -> bytes:
    from mathblog.markdown.highlight import stylesheet  # Pygments' styles: only when written

    return stylesheet().encode("utf-8")


# --- pages ------------------------------------------------------------------------------------


def _newest_change(posts: Sequence[Post]) -> datetime | None:
    """When the newest of `posts` last changed: a listing's `updated` or `<lastmod>`."""
    return max((p.updated or p.date for p in posts), default=None)


def listings(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    """The front page and its further pages: pinned posts first, then the newest."""
    for pager in paginate(pinned_first(site.posts), site.config.per_page, site.config.base_path):
        entry = (pager.url, _newest_change(pager.posts))
        yield PageJob("index.html", pager.output_file, "index", {"pager": pager}, sitemap=entry)


def post_pages(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    around = neighbours(site.posts)
    parts = series_parts(site.series)
    for post in site.posts:
        older, newer = around[post.slug]
        # `lang`: the page's language when the post has its own (`render` gives it `t`).
        context = {
            "post": post,
            "older": older,
            "newer": newer,
            "series": parts.get(post.source),
            "lang": post.lang,
        }
        entry = (post.url, post.updated or post.date)
        yield PageJob("post.html", post.output_file, post.source, context, sitemap=entry)


def post_files(site: Site, earlier: Sequence[Planned]) -> Iterator[OutputFile]:
    """The other files of each bundle folder beside its page, and the files the posts' and
    pages' relative links and images name (`site.post_files`)."""
    for item in published_files(site.config, (*site.posts, *site.pages)):
        yield OutputFile.copied(item.output, item.source, item.file)


def tag_pages(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    """`/tags/`, then each tag's listing."""
    config = site.config
    entry = (url_path(config.base_path, "tags"), _newest_change(site.posts))
    yield PageJob("tags.html", file_path("tags"), "tags", {"tags": site.tags}, sitemap=entry)
    for tag in site.tags:
        for pager in paginate(tag.posts, config.per_page, config.base_path, "tags", tag.slug):
            context = {"tag": tag, "pager": pager}
            entry = (pager.url, _newest_change(pager.posts))
            yield PageJob("tag.html", pager.output_file, f"tag {tag.name}", context, sitemap=entry)


def archive(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    entry = (url_path(site.config.base_path, "archive"), _newest_change(site.posts))
    context = {"years": group_by_year(site.posts)}
    yield PageJob("archive.html", file_path("archive"), "archive", context, sitemap=entry)


def series_pages(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    """`/series/`, then a page per series with its posts in reading order; none without one."""
    if not site.series:
        return
    base_path = site.config.base_path
    in_a_series = [post for series in site.series for post in series.posts]
    entry = (url_path(base_path, "series"), _newest_change(in_a_series))
    context = {"all_series": site.series}
    yield PageJob("series_index.html", file_path("series"), "series", context, sitemap=entry)
    for series in site.series:
        entry = (series.url, _newest_change(series.posts))
        output = file_path("series", series.slug)
        source = f"series {series.name}"
        yield PageJob("series.html", output, source, {"series": series}, sitemap=entry)


def not_found(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    yield PageJob("404.html", "404.html", "404", {})


def search_page(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    context = {"search": site.search.page_data()}
    yield PageJob("search.html", file_path("search"), "search", context)


def _feed(posts: Sequence[Post], limit: int, tag: Tag | None) -> dict[str, Any]:
    shown = tuple(posts[:limit])
    updated = _newest_change(shown)
    return {
        "posts": shown,
        "tag": tag,
        "updated": updated.isoformat() if updated else "1970-01-01T00:00:00+00:00",
    }


def standalone_pages(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    """`pages/about.md` → `/about/`; a page may not take the place of anything planned before
    it (`pages/tags.md` and the tag index), which would otherwise be a clash of two outputs."""
    taken = {item.output if isinstance(item, PageJob) else item.path: item for item in earlier}
    problems = []
    for page in site.pages:
        clash = taken.get(page.output_file)
        if clash is not None:
            problems.append(_taken_url(page, clash))
            continue
        entry = (page.url, page.updated or (page.date if page.dated else None))
        yield PageJob("page.html", page.output_file, page.source, {"page": page}, sitemap=entry)
    if problems:
        raise BlogError(problems)


def _taken_url(page: Post, clash: Planned) -> Diagnostic:
    made_by = f"the site's {clash.source} page" if isinstance(clash, PageJob) else clash.source
    if isinstance(clash, PageJob) and clash.source.endswith(".md"):
        made_by = clash.source  # a post's
    return Diagnostic(
        f"{page.source} wants the URL {page.url}, which {made_by} already has",
        page.source,
        1,
        hint="give the page another `slug:` or `url:` in its front matter, or rename its file",
    )


def feeds(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    """The site's Atom feed, then each tag's."""
    limit = site.config.feed_limit
    yield PageJob("atom.xml", FEED_FILE, "feed", _feed(site.posts, limit, None))
    for tag in site.tags:
        feed = _feed(tag.posts, limit, tag)
        yield PageJob("atom.xml", f"tags/{tag.slug}/{FEED_FILE}", f"feed {tag.name}", feed)


def sitemap(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    """Every page planned before it that has a sitemap entry, in their order."""
    entries = [job.sitemap for job in earlier if isinstance(job, PageJob) and job.sitemap]
    yield PageJob("sitemap.xml", "sitemap.xml", "sitemap", {"entries": entries})


def robots(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    yield PageJob("robots.txt", ROBOTS_FILE, "robots", {}, replaceable=True)


# --- redirects from old URLs -----------------------------------------------------------------


def alias_pages(site: Site, earlier: Sequence[Planned]) -> Iterator[PageJob]:
    """A redirect page at each old URL a post lists in `aliases:`. An alias is no page of its
    own (not in the sitemap, feeds or search), and it may not stand where another output is:
    it runs after every other generator, to name the output in the way."""
    aliased = [post for post in site.posts if post.aliases]  # anything with a URL may join
    if not aliased:
        return
    taken = _Taken(earlier)
    for post in aliased:
        claim = _Claim(post.source, post.aliases_line)
        for alias in post.aliases:
            output = alias + "index.html" if alias.endswith("/") else alias
            if taken.claim(output, f"/{alias}", claim):
                context = {"target": post.url, "title": post.title_text}
                yield PageJob("alias.html", output, str(claim), context)
    if taken.problems:
        raise BlogError(taken.problems)


@dataclass(frozen=True, slots=True)
class _Claim:
    """What makes an output path: an output's source, or an alias's file and line."""

    source: str
    line: int | None = None  # of `aliases:`, for an alias

    def __str__(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


class _Taken:
    """The output paths so far, and the folders they are in: an alias may not replace a file,
    stand where a folder is, or need a folder where a file is."""

    def __init__(self, earlier: Sequence[Planned]) -> None:
        self._files = {
            item.output if isinstance(item, PageJob) else item.path: _Claim(item.source)
            for item in earlier
        }
        self._folders: dict[str, str] = {}  # a folder → a file in it
        for file in self._files:
            self._add_folders(file)
        self.problems: list[Diagnostic] = []

    def claim(self, path: str, alias: str, claim: _Claim) -> bool:
        """Take `path` for `alias`, or record why not."""
        other = self._files.get(path)
        if other is not None and other.line is not None:
            message = f"alias {alias} is an alias in {other} too"
            hint = "an old URL can lead to one page only: remove one of them"
        elif other is not None:
            message = f"alias {alias} would replace {path}, made from {other}"
            hint = "an alias is an old URL that no page of the site has now: remove it"
        else:
            in_the_way = self._folders.get(path) or next(
                (up for up in _folders_of(path) if up in self._files), None
            )
            if in_the_way is None:
                self._files[path] = claim
                self._add_folders(path)
                return True
            message = f"alias {alias} cannot be written beside {in_the_way}, made from "
            message += str(self._files[in_the_way])
            hint = "a path cannot be both a file and a folder: remove the alias"
        self.problems.append(Diagnostic(message, claim.source, claim.line, hint=hint))
        return False

    def _add_folders(self, path: str) -> None:
        for folder in _folders_of(path):
            self._folders.setdefault(folder, path)


def _folders_of(path: str) -> Iterator[str]:
    """`a/b/index.html` → `a/b`, `a`."""
    parts = path.split("/")[:-1]
    for end in range(len(parts), 0, -1):
        yield "/".join(parts[:end])


# --- the search index -------------------------------------------------------------------------


def search_files(site: Site, earlier: Sequence[Planned]) -> Iterator[OutputFile]:
    """The shards and documents that search.js fetches (`search.index`)."""
    search = site.search
    for index_file in search.files():
        content = partial(search.content, index_file.path)
        yield OutputFile.made(index_file.path, "search index", index_file.key, content)


# Every kind of output, in order: a page or file that two of them make is an error, reported as
# "<earlier> and <later>", and a static file of the site overrides one of the theme.
GENERATORS: tuple[Generator, ...] = (
    static_copies,
    syntax_css,
    listings,
    post_pages,
    post_files,
    tag_pages,
    archive,
    series_pages,
    not_found,
    search_page,
    standalone_pages,
    feeds,
    sitemap,
    robots,
    search_files,
    alias_pages,
)


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Every file a build of these posts makes, each path once."""

    outputs: tuple[OutputFile, ...]
    pages: int  # of them rendered from templates
    tags: tuple[Tag, ...]
    keyed: int = 0  # pages whose key was made, not known from the last plan
    known_keys: KnownKeys | None = None  # for the next plan (`site.pages.KnownKeys`)

    def page_jobs(self) -> list[PageJob]:
        return [item.page for item in self.outputs if item.page is not None]


def plan_site(
    config: SiteConfig,
    posts: tuple[Post, ...],
    tags: tuple[Tag, ...],
    search: SearchIndex,
    post_fingerprints: Mapping[str, str],
    generators: Sequence[Generator] = GENERATORS,
    *,
    pages: tuple[Post, ...] = (),
    card_fingerprints: Mapping[str, str] | None = None,
    known_keys: KnownKeys | None = None,
) -> SitePlan:
    """Run the generators; drop the pages a static file of the same path replaces (robots.txt);
    key the pages (`post_fingerprints`: each post's and page's, by its source file; with
    `card_fingerprints` and the theme's own templates, a post a page shows only as a card is
    keyed by that, and `known_keys` of the last plan reused where they hold); refuse two
    outputs of one path."""
    site = Site(config, posts, tags, search, pages, collect_series(posts))
    planned: list[Planned] = []
    for generate in generators:
        planned.extend(generate(site, planned))
    copied = {item.path for item in planned if isinstance(item, OutputFile) and item.copy_from}
    planned = [
        item
        for item in planned
        if not (isinstance(item, PageJob) and item.replaceable and item.output in copied)
    ]
    jobs = [item for item in planned if isinstance(item, PageJob)]
    # A site template in place of a theme one (or a hook) may show any post's body anywhere.
    templates = template_files(config)
    cards = None if shadows_theme(config, templates) else card_fingerprints
    fingerprint = page_fingerprint(config, templates)
    known, keyed = None, len(jobs)
    if cards is None:
        keys = iter(page_keys(jobs, fingerprint, post_fingerprints))
    else:
        basis = key_basis(fingerprint, posts, cards, pages, post_fingerprints)
        made, known, keyed = theme_page_keys(
            jobs, fingerprint, post_fingerprints, cards, basis, known_keys
        )
        keys = iter(made)
    outputs = [
        OutputFile.rendered(item, next(keys)) if isinstance(item, PageJob) else item
        for item in planned
    ]
    return SitePlan(tuple(collect(outputs).values()), len(jobs), tags, keyed, known)


def collect(files: Iterable[OutputFile]) -> Mapping[str, OutputFile]:
    """Later static files override earlier ones (site over theme); anything else colliding, or
    escaping the output folder, is an error."""
    chosen: dict[str, OutputFile] = {}
    for item in files:
        if escapes(item.path):
            raise BlogError.at(f"refusing to write outside the output: {item.path}", item.source)
        clash = chosen.get(item.path)
        overriding = (
            clash is not None and clash.copy_from is not None and item.copy_from is not None
        )
        if clash is not None and not overriding:
            raise BlogError.at(
                f"two things write {item.path}: {clash.source} and {item.source}",
                item.source,
                hint="rename the post's slug or the static file",
            )
        chosen[item.path] = item
    return chosen
