"""Relative links and images in a Markdown file (`fig.png`, `./assets/a.png`, Typora's
`x.assets/a.png`, `../img/a.svg`): resolved against the file's folder, recorded as `FileRef`s,
and rewritten to the address the file is published at.

Where a file lands depends only on its path, so the rewritten page needs no look at the disk
and a cached post stays right: a file in the post's own bundle folder goes beside its page
(`posts/x/fig.png` → `/posts/<slug>/fig.png`), a file in `static/` is already published at its
path under it, and any other file at its path relative to the site folder
(`posts/x.assets/a.png` → `/posts/x.assets/a.png`). Whether the file exists is asked on every
build (`site.post_files`), so adding a missing one later needs no new parse.

A relative reference names a file when it is an image, or a link whose last segment has a
suffix (`notes.pdf`); `../other/` and `../other` are left alone, as the URL of a page. A link to
a `.md` source, `site.toml`, a dot file or anything outside the site folder is never published:
it stays as written, with a warning.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import quote, unquote, urlsplit

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from mathblog.errors import Diagnostic
from mathblog.model import FileRef
from mathblog.util.html_urls import rewrite_urls

FILES_KEY = "files"  # where `render_body` puts the `FileContext` in the parser's env
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Named so in a warning even when raw HTML's <img> or a link names them
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"})


@dataclass(slots=True)
class FileContext:
    """Where a Markdown file is and where its page goes; collects what its references name."""

    path: str  # the file, relative to the site folder, with `/`
    output_folder: str  # its page's folder in the output (`posts/x`)
    base_path: str = "/"
    bundle: str = ""  # its folder, when that folder's files are published beside the page
    static_folder: str = "static"
    first_line: int = 1  # the file line its text starts on
    text: str = ""
    lines: list[str] | None = None  # `text` split, when a reference needs its line
    found: list[FileRef] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def warn(self, message: str, line: int, hint: str) -> None:
        self.diagnostics.append(Diagnostic(message, self.path, line, hint=hint))


def relative_files(state: StateCore) -> None:
    """The core rule: every `src` and file `href` of the document, in markdown and raw HTML."""
    context = state.env.get(FILES_KEY)
    if not isinstance(context, FileContext):
        return
    for token in state.tokens:
        if token.type == "html_block":
            change = partial(_resolve, context, token.map, False)
            token.content = rewrite_urls(token.content, change)
        elif token.type == "inline" and token.children:
            for child in token.children:
                _resolve_child(context, token.map, child)


def _resolve_child(context: FileContext, span: list[int] | None, child: Token) -> None:
    attribute = {"image": "src", "link_open": "href"}.get(child.type)
    if attribute is not None:
        value = child.attrGet(attribute)
        if isinstance(value, str) and value:
            child.attrSet(attribute, _resolve(context, span, child.type == "image", value))
    elif child.type == "html_inline":
        child.content = rewrite_urls(child.content, partial(_resolve, context, span, False))


def _file_line(context: FileContext, span: list[int] | None, url: str) -> int:
    """The file line of the reference `url` in the block spanning `span` (body lines): the
    first line there that spells it, or the block's first."""
    if not span:
        return context.first_line
    start, end = span
    if end - start > 1:
        if context.lines is None:
            context.lines = context.text.split("\n")
        plain = unquote(url)
        spellings = (url, plain, plain.replace(" ", "%20"))
        for offset, text in enumerate(context.lines[start:end]):
            if any(spelling in text for spelling in spellings):
                return context.first_line + start + offset
    return context.first_line + start


def relative_file(url: str, image: bool) -> tuple[str, str] | None:
    """The path a relative reference names, unquoted, and its `?query#fragment`; None for
    anything else (`/x`, `#a`, `https:`, `mailto:`, a page's URL such as `../other/`)."""
    if not url or url.startswith(("/", "#", "?", "\\")) or _SCHEME.match(url):
        return None
    split = urlsplit(url)
    path = unquote(split.path)
    last = path.rsplit("/", 1)[-1]
    if not path or path.endswith("/") or last in (".", ".."):
        return None
    if not image and "." not in last:  # `.env` counts: a dot file is refused, with a warning
        return None
    tail = (f"?{split.query}" if split.query else "") + (
        f"#{split.fragment}" if split.fragment else ""
    )
    return path, tail


def _resolve(context: FileContext, span: list[int] | None, image: bool, url: str) -> str:
    """The URL `url`, in the block spanning `span`, is rewritten to (in raw HTML, `image` is
    False: a `src` or `href` names a file when its name has a suffix)."""
    target = relative_file(url, image)
    if target is None:
        return url
    path, tail = target
    line = _file_line(context, span, url)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(context.path), path))
    if joined == ".." or joined.startswith("../"):
        context.warn(
            f"{url} is outside the site folder: not published",
            line,
            "move the file into the site folder (beside the post is simplest) and link it there",
        )
        return url
    refusal = _never_published(joined)
    if refusal:
        context.warn(f"{url} is {refusal[0]}: not published", line, refusal[1])
        return url
    output, address = _published_at(context, joined)
    image = image or posixpath.splitext(joined)[1].lower() in _IMAGE_SUFFIXES
    context.found.append(FileRef(joined, output, line, image))
    return context.base_path + quote(address, safe="/") + tail


def _never_published(path: str) -> tuple[str, str] | None:
    """Why the site file `path` is never published (what it is, a hint), or None."""
    parts = path.split("/")
    if any(part.startswith(".") for part in parts):
        return "a dot file", "dot files and folders stay private; rename it without the dot"
    if path == "site.toml":
        return "the site's settings", "site.toml is never published"
    if path.lower().endswith(".md"):
        return (
            "a Markdown source",
            "link to its page instead, by URL (a post's is /posts/<slug>/)",
        )
    return None


def _published_at(context: FileContext, path: str) -> tuple[str, str]:
    """Where the site file `path` is published: its output path ("" when static/ publishes
    it), and its address below the site's root."""
    if context.bundle and path.startswith(context.bundle + "/"):
        inside = f"{context.output_folder}/{path[len(context.bundle) + 1 :]}"
        return inside, inside
    static = context.static_folder + "/"
    if path.startswith(static):
        return "", path[len(static) :]
    return path, path
