"""`blog check`: build the site in memory and verify it, writing nothing to the output folder.

Every internal link, `#anchor`, image, stylesheet and other resource of every HTML page must
resolve to a file of the site (and an id on the target page); no page may define an id twice; and
no formula may fail. A problem in what a post wrote is reported at the post's line: the rendered
page is searched for the post's own HTML (its body, or its excerpt on a listing), and the post's
source for the link or id. Anything else comes from a template and names it and the page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from mathblog.build import BuildOptions, build_time, configure
from mathblog.config import CONFIG_FILE, SiteConfig
from mathblog.content.discover import TEMPLATES_DIR
from mathblog.errors import Diagnostic
from mathblog.incremental.post_cache import CacheDamaged
from mathblog.incremental.site_lock import site_lock
from mathblog.model import Post, collect_tags
from mathblog.search.index import SearchIndex
from mathblog.site.loading import load_posts
from mathblog.site.outputs import plan_site
from mathblog.site.pages import PageJob
from mathblog.site.post_files import file_url, unpublished_refs
from mathblog.util.html_refs import PageScan, line_of, scan_page
from mathblog.util.urls import heading_id

_PLACEHOLDER_ORIGIN = "http://site.invalid"
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_NOUN = {
    "link": "broken link",
    "image": "missing image",
    "stylesheet": "missing stylesheet",
    "resource": "missing file",
}


@dataclass(frozen=True, slots=True)
class CheckReport:
    problems: tuple[Diagnostic, ...]
    posts: int
    pages: int
    references: int


@dataclass(frozen=True, slots=True)
class _Span:
    """Where a post's own HTML sits in a rendered page."""

    post: Post
    start: int
    end: int
    excerpt: bool  # on a listing; the post's own page shows the same links again


@dataclass(frozen=True, slots=True)
class _Found:
    """One problem on one page, before it is placed in a source file."""

    message: str  # `{url}` stands for the URL, as the post's source spells it if found
    hint: str
    offset: int
    url: str  # as the page has it
    search: tuple[str, ...]  # what to look for in the post's source
    heading: str = ""  # an id that may come from a heading


def check_site(
    root: Path, *, drafts: bool = False, future: bool = False, jobs: int | None = None
) -> CheckReport:
    """Check the site in `root`; raises `BlogError` when it cannot be built at all."""
    from mathblog.util.parallel import default_jobs

    options = BuildOptions(drafts=drafts, future=future)
    config = configure(root, options)
    with site_lock(config.root):  # it reads and writes the caches as a build does
        try:
            return _check(config, options, jobs or default_jobs())
        except CacheDamaged:  # deleted or damaged under us: without it, as a build does
            return _check(config, options, jobs or default_jobs(), read_cache=False)


def _check(
    config: SiteConfig, options: BuildOptions, jobs: int, read_cache: bool = True
) -> CheckReport:
    from mathblog.render.templates import PageRenderer

    loaded = load_posts(
        config,
        drafts=options.drafts,
        future=options.future,
        now=build_time(config, options),
        read_cache=read_cache,
        jobs=jobs,
    )
    search = SearchIndex(loaded.posts, loaded.search_terms, loaded.fingerprints)
    tags = collect_tags(loaded.posts)
    plan = plan_site(config, loaded.posts, tags, search, loaded.fingerprints, pages=loaded.pages)
    # Every output of the build, made in memory: the pages rendered, the rest known by path.
    files = {item.path for item in plan.outputs}
    pages = plan.page_jobs()
    renderer = PageRenderer(config)
    texts = {job.output: renderer.page(job).text for job in pages}
    scans = {path: scan_page(text) for path, text in texts.items() if path.endswith(".html")}
    problems: list[Diagnostic] = list(loaded.warnings)
    # A post's relative file that is missing: reported at the line naming it, as a build warns
    unpublished = {}
    for post, ref, problem in unpublished_refs(config, (*loaded.posts, *loaded.pages)):
        unpublished[(post.source, file_url(config.base_path, ref))] = problem
    problems += unpublished.values()
    placer = _Placer(config)
    references = 0
    for job in pages:
        scan = scans.get(job.output)
        if scan is None:
            continue
        references += len(scan.references)
        text = texts[job.output]
        spans = list(_post_spans(job, text))
        placer.new_page()
        for found in _page_problems(config, job.output, scan, files, scans):
            span = next((s for s in spans if s.start <= found.offset < s.end), None)
            if span is not None:
                if (span.post.source, found.url.split("#")[0].split("?")[0]) in unpublished:
                    continue
                problem = placer.in_post(span.post, found)
                # An excerpt's relative links were made absolute for the listing: one the
                # source does not spell is reported from the post's own page instead.
                if problem.line is not None or not span.excerpt:
                    problems.append(problem)
            else:
                placer.in_template(job, line_of(text, found.offset), found)
    problems += placer.template_problems()
    ordered = sorted(dict.fromkeys(problems), key=lambda p: (p.path, p.line or 0, p.column or 0))
    return CheckReport(tuple(ordered), len(loaded.posts), len(pages), references)


def _post_spans(job: PageJob, text: str) -> Iterator[_Span]:
    """The post bodies and excerpts on this page, where they are in its text."""
    pieces: list[tuple[Post, str, bool]] = []
    for key in ("post", "page"):
        post = job.context.get(key)
        if isinstance(post, Post):
            pieces.append((post, post.content, False))
    pager = job.context.get("pager")
    for shown in getattr(pager, "posts", ()):
        pieces.append((shown, shown.excerpt, True))
    start = 0
    for shown, html, excerpt in pieces:
        found = text.find(html, start) if html.strip() else -1
        if found >= 0:
            yield _Span(shown, found, found + len(html), excerpt)
            start = found + len(html)


def _page_problems(
    config: SiteConfig,
    output: str,
    scan: PageScan,
    files: Collection[str],
    scans: Mapping[str, PageScan],
) -> Iterator[_Found]:
    base = urlsplit(config.base_url)
    origin = config.site_url or _PLACEHOLDER_ORIGIN
    page_url = config.base_path + output.removesuffix("index.html")
    for reference in scan.references:
        target = urlsplit(urljoin(origin + page_url, reference.url.strip()))
        if target.scheme not in ("http", "https") or (
            f"{target.scheme}://{target.netloc}" != origin
            and not (target.netloc and target.netloc == base.netloc)
        ):
            continue  # another site, mailto:, data:
        search = _spellings(reference.url, config.base_path)
        noun = _NOUN[reference.kind]
        if not target.path.startswith(config.base_path):
            yield _Found(
                f"{noun}: {{url}} is outside the site ({config.base_path})",
                "a link to the site starts with its base_url path",
                reference.offset,
                reference.url,
                search,
            )
            continue
        relative = unquote(target.path[len(config.base_path) :])
        path = relative + "index.html" if relative.endswith("/") or not relative else relative
        if path not in files and f"{path}/index.html" in files:
            path = f"{path}/index.html"
        if path not in files:
            yield _Found(
                f"{noun}: {{url}} (no such page or file in the site)",
                _missing_hint(reference.kind),
                reference.offset,
                reference.url,
                search,
            )
            continue
        fragment = unquote(target.fragment)
        target_scan = scans.get(path)
        if (
            fragment
            and target_scan is not None
            and not any(anchor.id == fragment for anchor in target_scan.ids)
        ):
            where = path.removesuffix("index.html") or "/"
            yield _Found(
                f"broken link: {{url}} (no id {fragment!r} on {where})",
                "heading ids keep Chinese and use - for spaces: ## 基本 思路 → #基本-思路",
                reference.offset,
                reference.url,
                search,
            )
    seen = Counter(anchor.id for anchor in scan.ids)
    reported: set[str] = set()
    for anchor in scan.ids:
        if seen[anchor.id] > 1 and anchor.id not in reported:
            reported.add(anchor.id)
            later = [a for a in scan.ids if a.id == anchor.id][-1]
            yield _Found(
                f"duplicate id {anchor.id!r}: {seen[anchor.id]} elements of the page have it",
                "ids must be unique on a page, or #links to them are ambiguous; the theme uses "
                "main, and headings get ids from their text",
                later.offset,
                anchor.id,
                (f'id="{anchor.id}"', f"id='{anchor.id}'", "{" + anchor.id + "}"),
                heading=anchor.id,
            )


def _missing_hint(kind: str) -> str:
    if kind == "image":
        return "put images in static/, e.g. static/img/a.png is /img/a.png"
    if kind == "link":
        return "post URLs are /posts/<slug>/, from `slug:` or the file name"
    return "static files come from static/ or the theme"


def _spellings(url: str, base_path: str) -> tuple[str, ...]:
    """Ways the post's source may spell this URL: as rendered, decoded, without the base path
    the build added, and (for an excerpt's `#x` made absolute) the fragment alone."""
    spellings = [url, unquote(url)]
    prefix = base_path.rstrip("/")
    for spelling in list(spellings):
        if prefix and spelling.startswith(prefix + "/"):
            spellings.append(spelling[len(prefix) :])
        if "#" in spelling:
            spellings.append(spelling[spelling.index("#") :])
    return tuple(dict.fromkeys(s for s in spellings if len(s) > 1))


class _Placer:
    """Turns problems into diagnostics at a post's line, or collects them by template."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self._sources: dict[str, list[str]] = {}
        self._used: Counter[tuple[str, str]] = Counter()
        self._templates: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
        self._nav: dict[str, Diagnostic] = {}  # broken links of `[[nav]]`, by message

    def _lines(self, post: Post) -> list[str]:
        lines = self._sources.get(post.source)
        if lines is None:
            try:
                raw = (self.config.root / post.source).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                raw = ""
            lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            self._sources[post.source] = lines
        return lines

    def new_page(self) -> None:
        self._used.clear()

    def in_post(self, post: Post, found: _Found) -> Diagnostic:
        lines = self._lines(post)
        line = None
        shown = found.search[0] if found.search else found.url
        for spelling in found.search:
            matches = [n for n, text in enumerate(lines, start=1) if spelling in text]
            if matches:
                # The second broken link to one URL is on the second line that has it.
                used = self._used[(post.source, spelling)]
                self._used[(post.source, spelling)] += 1
                line = matches[min(used, len(matches) - 1)]
                shown = spelling
                break
        if line is None and found.heading:
            for number, text in enumerate(lines, start=1):
                heading = _HEADING.match(text)
                if heading and heading_id(heading.group(1)) == found.heading:
                    line = number
        message = found.message.replace("{url}", shown)
        return Diagnostic(message, post.source, line, hint=found.hint)

    def in_template(self, job: PageJob, page_line: int, found: _Found) -> None:
        if self._in_nav(found):
            return
        name = job.template
        shown = f"{TEMPLATES_DIR}/{name}"
        if not (self.config.root / TEMPLATES_DIR / name).is_file():
            shown = f"theme/{name}"
        message = found.message.replace("{url}", found.url)
        key = (shown, message, found.hint)
        self._templates.setdefault(key, []).append((job.output, page_line))

    def _in_nav(self, found: _Found) -> bool:
        """A link of `[[nav]]` is on every page: it is reported once, at its line of site.toml."""
        for entry in self.config.nav:
            if found.url != self.config.base_path + entry.url.lstrip("/"):
                continue
            try:
                text = (self.config.root / CONFIG_FILE).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                text = ""
            lines = text.splitlines()
            spelled = [n for n, line in enumerate(lines, 1) if f'{entry.url}"' in line]
            message = found.message.replace("{url}", entry.url) + " (in [[nav]])"
            hint = "nav links go to pages of the site: pages/about.md is /about/"
            line = spelled[0] if spelled else None
            self._nav.setdefault(message, Diagnostic(message, CONFIG_FILE, line, hint=hint))
            return True
        return False

    def template_problems(self) -> list[Diagnostic]:
        problems: list[Diagnostic] = list(self._nav.values())
        for (template, message, hint), pages in self._templates.items():
            page, line = pages[0]
            others = len(pages) - 1
            more = f" and {others} more page{'s' if others > 1 else ''}" if others else ""
            problems.append(
                Diagnostic(
                    f"{message}; on the page {page} (line {line}){more}",
                    template,
                    hint=hint + "; the template (or one it extends or includes) makes it",
                )
            )
        return problems
