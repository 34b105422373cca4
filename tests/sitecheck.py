"""Crawl a built site and resolve every internal reference to a file (and an id for `#frag`)."""

from __future__ import annotations

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
