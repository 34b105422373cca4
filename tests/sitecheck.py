"""Crawl a built site and resolve every internal reference to a file (and an id for `#frag`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

REFERENCE_ATTRIBUTES = {"href", "src"}


@dataclass
class ParsedPage:
    references: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.page.tags.append((tag, attributes))
        for name, value in attrs:
            if name in REFERENCE_ATTRIBUTES and value is not None:
                self.page.references.append(value)
            if name == "id" and value:
                self.page.ids.add(value)


def parse_page(path: Path) -> ParsedPage:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector.page


def resolve(output: Path, base_path: str, url_path: str) -> Path | None:
    """The file a server would send for `url_path`, or None if it lies outside the site."""
    if not url_path.startswith(base_path):
        return None
    relative = unquote(url_path[len(base_path) :])
    target = output / relative
    if url_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def broken_references(output: Path, base_url: str) -> list[str]:
    """Every internal reference in every HTML page that does not resolve, as `page -> ref`."""
    base = urlsplit(base_url)
    base_path = base.path or "/"
    origin = f"{base.scheme}://{base.netloc}"
    problems: list[str] = []
    pages = {path: parse_page(path) for path in sorted(output.rglob("*.html"))}
    for path, page in pages.items():
        page_url = base_path + path.relative_to(output).as_posix().removesuffix("index.html")
        for reference in page.references:
            absolute = urlsplit(urljoin(origin + page_url, reference))
            if absolute.scheme not in ("http", "https", "") or (
                absolute.netloc and absolute.netloc != base.netloc
            ):
                continue  # external, mailto:, data:
            target = resolve(output, base_path, absolute.path)
            where = f"{path.relative_to(output)} -> {reference}"
            if target is None or not target.is_file():
                problems.append(f"{where}: no file")
                continue
            if absolute.fragment:
                target_page = pages.get(target) or parse_page(target)
                if unquote(absolute.fragment) not in target_page.ids:
                    problems.append(f"{where}: no id {unquote(absolute.fragment)!r}")
    return problems


ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def parse_html_fragment(html: str) -> ParsedPage:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.page


def feed_urls(path: Path) -> tuple[list[str], list[str]]:
    """(the feed's own URLs: links and ids; the links and images inside its entries' HTML)."""
    root = ET.parse(path).getroot()
    own = [link.get("href", "") for link in root.iter(f"{ATOM}link")]
    own += [ident.text or "" for ident in root.iter(f"{ATOM}id")]
    inside = [
        reference
        for tag in ("content", "summary")
        for element in root.iter(f"{ATOM}{tag}")
        for reference in parse_html_fragment(element.text or "").references
    ]
    return own, inside


def sitemap_urls(path: Path) -> list[str]:
    return [loc.text or "" for loc in ET.parse(path).getroot().iter(f"{SITEMAP}loc")]


def robots_sitemaps(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sitemap:")]


def broken_absolute_urls(output: Path, base_url: str, urls: list[str]) -> list[str]:
    """Each URL must be absolute; one on this site's host must lie under `base_url` and resolve
    to a file (and its fragment to an id)."""
    base = urlsplit(base_url)
    problems: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        if not parts.scheme:
            problems.append(f"{url}: not absolute")
        elif parts.netloc == base.netloc:
            target = resolve(output, base.path or "/", parts.path)
            if not url.startswith(base_url):
                problems.append(f"{url}: not under {base_url}")
            elif target is None or not target.is_file():
                problems.append(f"{url}: no file")
            elif parts.fragment and unquote(parts.fragment) not in parse_page(target).ids:
                problems.append(f"{url}: no id {unquote(parts.fragment)!r}")
    return problems
