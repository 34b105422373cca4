"""`blog check`: build the site in memory and verify it, writing nothing to the output folder.

Every internal link, `#anchor`, image, stylesheet and other resource of every HTML page must
resolve to a file of the site (and an id on the target page); no page may define an id twice; and
no formula may fail. A problem in what a post wrote is reported at the post's line: the rendered
page is searched for the post's own HTML (its body, or its excerpt on a listing), and the post's
source for the link or id. Anything else comes from a template and names it and the page.

With `--external`, the same walk also notes where each link to another site is used; those URLs
are asked (commands/external.py) after the site's lock is let go, since the network may take
a while and a build of the site need not wait for it. A broken one is reported once, at every
place that uses it.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from mathblog.build import BuildOptions, build_time, configure
from mathblog.commands.external import (
    Answer,
    ExternalOptions,
    Outcome,
    check_external,
    request_url,
)
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
from mathblog.util.collector import collector_paused
from mathblog.util.html_refs import PageScan, Reference, line_of, scan_page
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
    warnings: tuple[Diagnostic, ...] = ()  # not problems: a rate-limited external link
    external: ExternalCount | None = None  # with --external


@dataclass(frozen=True, slots=True)
class ExternalCount:
    links: int  # distinct URLs, without their fragments
    cached: int  # known OK from the cache, not asked
    skipped: int  # matched `[check] skip_external`

    def summary(self) -> str:
        noun = "external link" if self.links == 1 else "external links"
        notes = [f"{self.cached} OK in the cache, not asked"] if self.cached else []
        notes += [f"{self.skipped} skipped"] if self.skipped else []
        return f"{self.links} {noun}" + (f" ({', '.join(notes)})" if notes else "")


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
    root: Path,
    *,
    drafts: bool = False,
    future: bool = False,
    jobs: int | None = None,
    external: ExternalOptions | None = None,
) -> CheckReport:
    """Check the site in `root`, and with `external` its links to other sites; raises
    `BlogError` when it cannot be built at all."""
    from mathblog.util.parallel import default_jobs

    options = BuildOptions(drafts=drafts, future=future)
    config = configure(root, options)
    uses = _ExternalUses(config) if external is not None else None
    with site_lock(config.root), collector_paused():  # it uses the caches as a build does
        try:
            report = _check(config, options, jobs or default_jobs(), uses)
        except CacheDamaged:  # deleted or damaged under us: without it, as a build does
            uses = _ExternalUses(config) if external is not None else None
            report = _check(config, options, jobs or default_jobs(), uses, read_cache=False)
    if uses is None or external is None:
        return report
    external = dataclasses.replace(external, skip=config.skip_external)
    return _with_external(report, uses, check_external(uses.urls(), external, config.root))


def _with_external(report: CheckReport, uses: _ExternalUses, outcome: Outcome) -> CheckReport:
    broken, limited = uses.diagnostics(outcome.answers)
    problems = sorted(
        (*report.problems, *broken), key=lambda p: (p.path, p.line or 0, p.column or 0)
    )
    cached = sum(answer.cached for answer in outcome.answers.values())
    count = ExternalCount(len(uses.urls()), cached, len(outcome.skipped))
    return dataclasses.replace(
        report, problems=tuple(problems), warnings=tuple(limited), external=count
    )


def _check(
    config: SiteConfig,
    options: BuildOptions,
    jobs: int,
    uses: _ExternalUses | None,
    read_cache: bool = True,
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
        if uses is not None:
            uses.note_page(job, text, scan, spans)
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


def _target(page_url: str, url: str) -> SplitResult | None:
    """Where `url` on the page at `page_url` leads; None for one urllib cannot read (`//[x`)."""
    try:
        return urlsplit(urljoin(page_url, url.strip()))
    except ValueError:
        return None


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
        target = _target(origin + page_url, reference.url)
        search = _spellings(reference.url, config.base_path)
        noun = _NOUN[reference.kind]
        if target is None:
            yield _Found(
                f"{noun}: {{url}} is not a URL a browser can follow",
                "a host in [brackets] is an IPv6 address and needs its closing ]",
                reference.offset,
                reference.url,
                search,
            )
            continue
        if target.scheme not in ("http", "https") or _other_site(target, origin, base):
            continue  # another site, mailto:, data:
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


def _other_site(target: SplitResult, origin: str, base: SplitResult) -> bool:
    return f"{target.scheme}://{target.netloc}" != origin and not (
        target.netloc and target.netloc == base.netloc
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


@dataclass(frozen=True, slots=True)
class _Place:
    """Where an external URL is used: a post's line, a line of site.toml, or a template."""

    path: str
    line: int | None = None
    note: str = ""  # a template's: the pages it made with the link

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return where + (f" ({self.note})" if self.note else "")


# What a reader can do about a failure, by the start of its reason.
_EXTERNAL_HINTS = (
    ("timeout", "the server did not answer in time: try again later, or give it --timeout 30"),
    ("DNS", "no such host: check the spelling, or the site is gone (web.archive.org may have it)"),
    ("TLS", "the site's certificate is not valid (expired, or not trusted): tell its owner"),
    ("connection", "nothing answers there now: try again later; the site may be gone"),
    ("redirect", "update the link to where it should end up"),
    ("more than", "update the link to where it should end up"),
    ("4", "the page moved or is gone: update the link, or link to an archived copy"),
)
_RATE_HINT = "the server asks us to slow down; not counted as broken: check again later"


class _ExternalUses:
    """Every external http(s) URL of the rendered pages and each place that uses it."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self._placer = _Placer(config)  # its own: the internal check counts uses per page too
        self._places: dict[str, dict[_Place, None]] = {}
        self._shown: dict[str, str] = {}  # URL → as the source spells it (not %-encoded)
        self._template_pages: dict[tuple[str, str], list[tuple[str, int]]] = {}

    def urls(self) -> list[str]:
        return list(self._places)

    def note_page(self, job: PageJob, text: str, scan: PageScan, spans: list[_Span]) -> None:
        base = urlsplit(self.config.base_url)
        origin = self.config.site_url or _PLACEHOLDER_ORIGIN
        page_url = origin + self.config.base_path + job.output.removesuffix("index.html")
        self._placer.new_page()
        for reference in scan.references:
            target = _target(page_url, reference.url)
            if target is None:
                continue  # reported by the check of the site's own links
            if target.scheme not in ("http", "https") or not _other_site(target, origin, base):
                continue
            url = request_url(target.geturl())
            places = self._places.setdefault(url, {})
            place = self._place(job, text, url, reference, spans)
            if place is not None:
                places.setdefault(place, None)

    def _place(
        self, job: PageJob, text: str, url: str, reference: Reference, spans: list[_Span]
    ) -> _Place | None:
        spelled, offset = reference.url, reference.offset
        span = next((s for s in spans if s.start <= offset < s.end), None)
        if span is not None:
            # Not the fragment alone: `#top` on some line is no place of `https://x/#top`.
            search = tuple(s for s in _spellings(spelled, "") if not s.startswith("#"))
            found = _Found("{url}", "", offset, spelled, search)
            placed = self._placer.in_post(span.post, found)
            line = placed.line
            if line is not None:
                self._shown.setdefault(url, request_url(placed.message))
            # An excerpt's link is placed from the post's own page when its line is not found.
            return None if line is None and span.excerpt else _Place(span.post.source, line)
        nav_line = self._nav_line(spelled)
        if nav_line is not None:
            return _Place(CONFIG_FILE, nav_line or None)
        name = job.template
        shown = f"{TEMPLATES_DIR}/{name}"
        if not (self.config.root / TEMPLATES_DIR / name).is_file():
            shown = f"theme/{name}"
        pages = self._template_pages.setdefault((url, shown), [])
        pages.append((job.output, line_of(text, offset)))
        return _Place(shown)

    def _nav_line(self, url: str) -> int | None:
        """The line of site.toml whose `[[nav]]` entry is `url` (0 if not found), or None."""
        if not any(entry.url == url for entry in self.config.nav):
            return None
        try:
            text = (self.config.root / CONFIG_FILE).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return 0
        lines = [n for n, line in enumerate(text.splitlines(), 1) if f'"{url}"' in line]
        return lines[0] if lines else 0

    def diagnostics(
        self, answers: Mapping[str, Answer]
    ) -> tuple[list[Diagnostic], list[Diagnostic]]:
        """The broken links (problems) and the rate-limited ones (warnings)."""
        broken: list[Diagnostic] = []
        limited: list[Diagnostic] = []
        for url, places in self._places.items():
            answer = answers.get(url)
            if answer is None or answer.state == "ok" or not places:
                continue
            shown = self._shown.get(url, url)
            if answer.state == "rate limited":
                retry = f", Retry-After: {answer.retry_after}" if answer.retry_after else ""
                message = f"rate limited: {shown} ({answer.reason}{retry})"
                limited.append(self._diagnostic(url, message, list(places), _RATE_HINT))
            else:
                hint = next(
                    (h for start, h in _EXTERNAL_HINTS if answer.reason.startswith(start)), ""
                )
                message = f"broken external link: {shown} ({answer.reason})"
                broken.append(self._diagnostic(url, message, list(places), hint))
        return broken, limited

    def _diagnostic(self, url: str, message: str, places: list[_Place], hint: str) -> Diagnostic:
        ordered = sorted(places, key=lambda place: (place.path, place.line or 0))
        first, *others = [self._with_pages(url, place) for place in ordered]
        if first.note:
            message += f"; {first.note}"
        if others:
            message += "; also at " + ", ".join(map(str, others))
        return Diagnostic(message, first.path, first.line, hint=hint)

    def _with_pages(self, url: str, place: _Place) -> _Place:
        """A template's place with the pages it made the link on."""
        pages = self._template_pages.get((url, place.path))
        if place.line is not None or not pages:
            return place
        page, line = pages[0]
        others = len(pages) - 1
        more = f" and {others} more page{'s' if others > 1 else ''}" if others else ""
        return dataclasses.replace(place, note=f"on the page {page} (line {line}){more}")
