"""What a rendered HTML page refers to and which ids it defines, each with its offset in the text.

Used by `blog check`: pure functions of a string, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Attributes that hold a URL the browser fetches or follows.
_URL_ATTRIBUTES = {"href", "src", "poster"}


@dataclass(frozen=True, slots=True)
class Reference:
    kind: str  # "link", "image", "stylesheet" or "resource"
    url: str  # as the browser sees it (entities decoded)
    offset: int  # where its tag starts in the page text


@dataclass(frozen=True, slots=True)
class Anchor:
    id: str
    offset: int


@dataclass(slots=True)
class PageScan:
    references: list[Reference] = field(default_factory=list)
    ids: list[Anchor] = field(default_factory=list)


def _kind(tag: str, attributes: dict[str, str | None]) -> str:
    if tag == "a" or tag == "area":
        return "link"
    if tag == "img" or (tag == "source" and "srcset" in attributes):
        return "image"
    if tag == "link" and "stylesheet" in (attributes.get("rel") or "").lower().split():
        return "stylesheet"
    return "resource"


class _Scanner(HTMLParser):
    """Collects references and ids; raw HTML in a post may be anything, so a malformed `<![`
    is read as text (Python 3.11's parser raises AssertionError on it)."""

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return i + 3

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        offset = self._offset()
        kind = _kind(tag, attributes)
        if tag == "link" and kind == "resource":
            rel = (attributes.get("rel") or "").lower().split()
            if not {"icon", "alternate", "preload", "manifest"} & set(rel):
                kind = ""  # canonical, author…: not something this site must contain
        for name, value in attrs:
            if name in _URL_ATTRIBUTES and value is not None and kind:
                self.scan.references.append(Reference(kind, value, offset))
            elif name == "srcset" and value:
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0]
                    if url:
                        self.scan.references.append(Reference("image", url, offset))
            elif name == "id" and value:
                self.scan.ids.append(Anchor(value, offset))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def scan_page(text: str) -> PageScan:
    scanner = _Scanner(text)
    scanner.feed(text)
    scanner.close()
    return scanner.scan


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
