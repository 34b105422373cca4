"""The files published beside the posts: every other file of a bundle folder (`posts/x/` of
`posts/x/index.md`), and each file a post's relative link or image names (`Post.files`).

This is asked on every build, from the posts as parsed or cached: a stat per named file, a
listing per bundle folder, never a new parse. So a missing file added later is published (and
its warning gone) on the next build, a changed one is copied again, and a file named only by a
draft is published only when drafts are.
"""

from __future__ import annotations

import difflib
import os
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mathblog.config import SiteConfig
from mathblog.content.discover import STATIC_DIR, Boundary, find_visible
from mathblog.errors import Diagnostic
from mathblog.model import FileRef, Post


@dataclass(frozen=True, slots=True)
class PostFile:
    output: str  # its path in the output folder
    source: str  # its path in the site folder, named if another output has its path
    file: Path


def published_files(config: SiteConfig, posts: Sequence[Post]) -> Iterator[PostFile]:
    """The files `posts` publish, each output path once (the first post to name it)."""
    boundary = Boundary.of(config)
    listed = _Listings(config.root)
    bundles = {post.bundle for post in posts if post.bundle}
    taken: set[str] = set()
    for post in posts:
        for item in _files_of(config, boundary, listed, bundles, post):
            if item.output not in taken:
                taken.add(item.output)
                yield item


def _files_of(
    config: SiteConfig, boundary: Boundary, listed: _Listings, bundles: set[str], post: Post
) -> Iterator[PostFile]:
    if post.bundle:
        folder = config.root / post.bundle
        beside = posixpath.dirname(post.output_file)
        for path in find_visible(folder, boundary=boundary):
            inside = path.relative_to(folder).as_posix()
            if not inside.endswith(".md") and not _in_inner_bundle(post.bundle, inside, bundles):
                yield PostFile(f"{beside}/{inside}", f"{post.bundle}/{inside}", path)
    for ref in post.files:
        if ref.output and _problem(config, boundary, post, ref, listed, hint=False) is None:
            yield PostFile(ref.output, ref.source, config.root / ref.source)


def _in_inner_bundle(bundle: str, inside: str, bundles: set[str]) -> bool:
    """Whether `inside` (a path in `bundle`) belongs to a bundle folder within it."""
    folder = posixpath.dirname(inside)
    while folder:
        if f"{bundle}/{folder}" in bundles:
            return True
        folder = posixpath.dirname(folder)
    return False


def file_problems(config: SiteConfig, posts: Sequence[Post]) -> list[Diagnostic]:
    """A warning for each relative link or image of `posts` whose file is missing or may not
    be published, at the line that names it."""
    return [problem for _, _, problem in unpublished_refs(config, posts)]


def unpublished_refs(
    config: SiteConfig, posts: Sequence[Post]
) -> Iterator[tuple[Post, FileRef, Diagnostic]]:
    """Each relative link or image of `posts` whose file is not published, and why."""
    boundary = Boundary.of(config)
    listed = _Listings(config.root)
    for post in posts:
        for ref in post.files:
            problem = _problem(config, boundary, post, ref, listed, hint=True)
            if problem is not None:
                yield post, ref, problem


def file_url(base_path: str, ref: FileRef, static_folder: str = STATIC_DIR) -> str:
    """The URL a post's page links `ref` by (as `markdown.file_refs` rewrote it)."""
    address = ref.output or ref.source.removeprefix(static_folder + "/")
    return base_path + quote(address, safe="/")


class _Listings:
    """The names in each folder of the site, listed once a check: many links name one folder
    (a post's `assets/`), and a site moving in may have thousands of them missing."""

    def __init__(self, root: Path) -> None:
        self._root = str(root)
        self._names: dict[str, list[str] | None] = {}
        self._sets: dict[str, frozenset[str]] = {}

    def names(self, folder: str) -> list[str] | None:
        """What `folder` (relative to the site, "" for the site itself) holds; None if it is
        not a folder."""
        if folder not in self._names:
            try:
                self._names[folder] = os.listdir(os.path.join(self._root, folder))
            except OSError:
                self._names[folder] = None
        return self._names[folder]

    def lists(self, source: str) -> bool:
        """Whether the folder of `source` (relative to the site) holds its name: a missing file,
        as most are when a site moves in, is then known without a stat of its own. (The name
        as it is: a file found only by a case-insensitive disk is missing on the web server.)"""
        folder, name = posixpath.split(source)
        names = self._sets.get(folder)
        if names is None:
            names = self._sets[folder] = frozenset(self.names(folder) or ())
        return name in names


def _problem(
    config: SiteConfig,
    boundary: Boundary,
    post: Post,
    ref: FileRef,
    listed: _Listings,
    *,
    hint: bool,
) -> Diagnostic | None:
    """Why `ref` is not published, if it is not; without `hint`, a missing file has no hint
    (when only whether matters)."""
    path = os.path.join(config.root, ref.source)
    if not (listed.lists(ref.source) and os.path.isfile(path)):
        what = "image" if ref.image else "linked file"
        if not hint:
            return Diagnostic(f"{what} not found: {ref.source}", post.source, ref.line)
        hint_text = _in_static_beside_the_page(config, post, ref, listed) or _near_miss(
            listed, ref.source
        )
        return Diagnostic(f"{what} not found: {ref.source}", post.source, ref.line, hint=hint_text)
    if _inside_folder(os.path.realpath(path), boundary.output):
        return Diagnostic(
            f"{ref.source} is in the output folder: not published",
            post.source,
            ref.line,
            hint="each build replaces the output folder; keep the file beside the post",
        )
    leads = boundary.problem(str(path))
    if leads is not None:
        return Diagnostic(
            f"{ref.source} {leads.message}: not published", post.source, ref.line, hint=leads.hint
        )
    return None


def _relative(path: str, start: str) -> str:
    """`posixpath.relpath` of two paths relative to one folder, without asking for the working
    folder twice (as `relpath` does, for every missing file)."""
    parts = [part for part in posixpath.normpath(path).split("/") if part not in ("", ".")]
    base = [part for part in posixpath.normpath(start).split("/") if part not in ("", ".")]
    common = 0
    while common < min(len(parts), len(base)) and parts[common] == base[common]:
        common += 1
    return "/".join([".."] * (len(base) - common) + parts[common:]) or "."


def _inside_folder(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _in_static_beside_the_page(
    config: SiteConfig, post: Post, ref: FileRef, listed: _Listings
) -> str:
    """A hint for a file kept where a relative link found it before links were read from the
    post's folder: in static/, under the page's URL (`static/posts/x/fig.png`)."""
    written = _relative(ref.source, posixpath.dirname(post.source))
    page_folder = posixpath.dirname(post.output_file)
    old_place = posixpath.normpath(f"{STATIC_DIR}/{page_folder}/{written}")
    if not (
        old_place.startswith(f"{STATIC_DIR}/")
        and listed.lists(old_place)
        and os.path.isfile(os.path.join(config.root, old_place))
    ):
        return ""
    return (
        f"it is in {old_place}: a relative path is read from the post's own folder; move the "
        f"file to {ref.source}, or link it as /{old_place.removeprefix(STATIC_DIR + '/')}"
    )


def _near_miss(listed: _Listings, source: str) -> str:
    """A hint for a missing `source`: the name it nearly is, or what is missing."""
    folder, name = posixpath.split(source)
    names = listed.names(folder)
    if names is None:
        return f"there is no folder {folder}/; paths are relative to the post's own folder"
    same = _first(n for n in names if n.lower() == name.lower())
    if same is not None:
        return f"did you mean {same}? (names are case-sensitive on the web server)"
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.7)
    if close:
        return f"did you mean {close[0]}?"
    return f"no file of that name in {folder or 'the site folder'}/"


def _first(names: Iterable[str]) -> str | None:
    return next(iter(names), None)
