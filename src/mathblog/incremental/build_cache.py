"""What a build asks of the caches it keeps between builds: one object, handed to `build()`.

A build asks its cache for the post index of the last build, to write the caches back, for the
search postings of the last build to update, and to forget everything when the cache on disk turns
out damaged. A one-off `blog build` uses `DiskCache`: the index from `.blog-cache/`, the caches
written at once, the search index made afresh. `blog serve` hands each build the session it keeps
(`serve.session`), which keeps the index in memory where it can. Either way a post file is read
and hashed only when the index does not know its key by its size, times and inode
(`post_file_key`). The stages below `build` know only this protocol.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mathblog.incremental.page_key_store import read_page_keys, write_page_keys
from mathblog.incremental.post_cache import PostCache
from mathblog.search.index import Postings
from mathblog.util.digests import digest


@dataclass(frozen=True, slots=True)
class PostFile:
    """A post file's key, and its bytes if they were read to find it (None: the key was known
    without reading the file)."""

    key: str
    raw: bytes | None = None


def hash_post(file: str, source: str, fingerprint: str) -> tuple[str, bytes]:
    """A post file's key: a digest of the post fingerprint, its name and its bytes; and the
    bytes, to parse them without reading the file again."""
    with open(file, "rb") as handle:
        raw = handle.read()
    return digest(fingerprint, source, raw), raw


def post_file_key(
    index: PostCache,
    file: str,
    source: str,
    fingerprint: str,
    now: Callable[[], int | None] | None = None,
    info: os.stat_result | None = None,
) -> PostFile:
    """The key of the post file `file` (`source` is its name in the site): known to `index` by
    the file's stat (`info`, if it was taken already), else read and hashed (and then known
    next time). `now` gives the time by the clock of the file system the posts are on
    (`util.fs_clock`), if it can; it is asked only when a file is read."""
    if info is None:
        info = os.stat(file)  # before reading: a change after it is seen next build
    known = index.keys.key(source, info)
    if known is not None:
        return PostFile(known)
    key, raw = hash_post(file, source, fingerprint)
    index.keys.remember(source, info, key, None if now is None else now())
    return PostFile(key, raw)


class BuildCache(Protocol):
    """`read=False` (`--no-cache`, or a build again after `forget`): use nothing kept so far."""

    # Where the rendering stage keeps what it prepared (compiled templates) for the next build.
    # Rendering is a stage above this one, so the type is its business.
    renderer: object | None
    # Where the parsing stage keeps its parsers and math engine, when `keeps_parser`.
    parser: object | None

    @property
    def keeps_parser(self) -> bool:
        """Whether the next build runs in this process and can use `parser`: then a few posts
        are parsed here, with the parser kept, rather than in a worker set up afresh."""
        ...

    @property
    def keeps_postings(self) -> bool:
        """Whether `keep_search_postings` keeps them for the next build: then the build makes
        them in its own process, not in a worker whose work would be gone with it."""
        ...

    def post_index(self, root: Path, fingerprint: str, *, read: bool) -> PostCache:
        """The post cache of the last build, for this post fingerprint."""
        ...

    def save(self, root: Path, index: PostCache, write: Callable[[], None]) -> None:
        """Write the caches (`write` does, `index` among them): now, or after the build."""
        ...

    def search_postings(self) -> Postings | None:
        """The search postings of the last build, to update; None: make them afresh."""
        ...

    def page_keys(self, root: Path) -> object | None:
        """The page keys the last plan left to reuse (`site.pages.KnownKeys`, plain data), or
        None. Planning is a stage above this one, so their shape is its business."""
        ...

    def keep_page_keys(self, root: Path, keys: object) -> None: ...

    def keep_search_postings(self, postings: Postings) -> None: ...

    def forget(self) -> None:
        """Trust nothing kept so far: the cache on disk was found damaged."""
        ...


@dataclass(slots=True)
class DiskCache:
    """A one-off build's cache: `.blog-cache/` read once, written back at once."""

    renderer: object | None = None
    parser: object | None = None

    @property
    def keeps_parser(self) -> bool:
        return False

    @property
    def keeps_postings(self) -> bool:
        return False

    def post_index(self, root: Path, fingerprint: str, *, read: bool) -> PostCache:
        return PostCache.open(root, fingerprint, read=read)

    def save(self, root: Path, index: PostCache, write: Callable[[], None]) -> None:
        write()

    def search_postings(self) -> Postings | None:
        return None

    def keep_search_postings(self, postings: Postings) -> None:
        pass  # the next build makes them afresh

    def page_keys(self, root: Path) -> object | None:
        return read_page_keys(root)

    def keep_page_keys(self, root: Path, keys: object) -> None:
        write_page_keys(root, keys)

    def forget(self) -> None:
        pass  # it kept nothing
