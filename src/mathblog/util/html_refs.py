"""What a rendered HTML page refers to and which ids it defines, each with its offset in the text.

Used by `blog check`: pure functions of a string, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mathblog.util.html_scan import StartTag, start_tags

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


def _scan_tag(tag: StartTag, scan: PageScan) -> None:
    attributes = {attribute.name: attribute.value for attribute in tag.attributes}
    offset = tag.start
    kind = _kind(tag.name, attributes)
    if tag.name == "link" and kind == "resource":
        rel = (attributes.get("rel") or "").lower().split()
        if not {"icon", "alternate", "preload", "manifest"} & set(rel):
            kind = ""  # canonical, author…: not something this site must contain
    for attribute in tag.attributes:
        name, value = attribute.name, attribute.value
        if name in _URL_ATTRIBUTES and value is not None and kind:
            scan.references.append(Reference(kind, value, offset))
        elif name == "srcset" and value:
            for candidate in value.split(","):
                url = candidate.strip().split(" ")[0]
                if url:
                    scan.references.append(Reference("image", url, offset))
        elif name == "id" and value:
            scan.ids.append(Anchor(value, offset))


def scan_page(text: str) -> PageScan:
    scan = PageScan()
    for tag in start_tags(text):
        _scan_tag(tag, scan)
    return scan


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
