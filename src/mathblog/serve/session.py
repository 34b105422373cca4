"""What `blog serve` keeps between its builds: the `BuildCache` it hands each of them.

A one-off `blog build` reads the post index from `.blog-cache/`, reads and hashes every post file,
makes the search index afresh, and writes the post index back. A session keeps the post index in
memory (while the file on disk is still the one it wrote), skips reading a post file whose size,
times and inode did not change, updates the search index by the posts that changed, and leaves
the writing of caches until the result is on the page: an edit reaches the browser sooner, and
the cache on disk is still up to date before the next build starts.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mathblog.incremental.build_cache import PostFile, hash_post
from mathblog.incremental.post_cache import PostCache
from mathblog.incremental.site_lock import when_free
from mathblog.search.index import Postings

# A file changed this recently may change again within the file system's timestamp resolution
# without its times moving: it is read again next build rather than trusted by its times.
RACY_NANOSECONDS = 2_000_000_000

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def signature(info: os.stat_result) -> Signature:
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


@dataclass(slots=True)
class ServeSession:
    post_cache: PostCache | None = None
    index_signature: Signature | None = None  # of the index file `post_cache` matches
    post_keys: dict[str, tuple[Signature, str]] = field(default_factory=dict)  # path → key
    postings: Postings | None = None  # the search index, updated post by post
    renderer: object | None = None  # what rendering prepared, for the next build
    parser: object | None = None  # what parsing set up (Markdown, the math engine), likewise
    _deferred: list[Callable[[], None]] = field(default_factory=list)

    @property
    def keeps_parser(self) -> bool:
        return True

    @property
    def keeps_postings(self) -> bool:
        return True

    def post_index(self, root: Path, fingerprint: str, *, read: bool) -> PostCache:
        kept = self._kept_index(fingerprint) if read else None
        return kept or PostCache.open(root, fingerprint, read=read)

    def _kept_index(self, fingerprint: str) -> PostCache | None:
        """The post cache of the last build, if the index on disk is still the one it wrote."""
        cache = self.post_cache
        if cache is None or cache.post_fingerprint != fingerprint:
            return None
        try:
            on_disk: Signature | None = signature(os.stat(cache.index_file))
        except OSError:
            on_disk = None
        return cache if on_disk == self.index_signature else None

    def _keep_index(self, cache: PostCache) -> None:
        self.post_cache = cache
        try:
            self.index_signature = signature(os.stat(cache.index_file))
        except OSError:
            self.index_signature = None

    def post_key(self, file: str, source: str, fingerprint: str, *, read: bool) -> PostFile:
        info = os.stat(file)  # before reading: a change after it is seen next build
        known = self.known_key(file, info) if read else None
        if known is not None:
            return PostFile(known)
        key, raw = hash_post(file, source, fingerprint)
        self.remember_key(file, info, key)
        return PostFile(key, raw)

    def known_key(self, path: str, info: os.stat_result) -> str | None:
        """The post key of a file read before, if it cannot have changed since."""
        known = self.post_keys.get(path)
        if known is None or known[0] != signature(info):
            return None
        return known[1]

    def remember_key(self, path: str, info: os.stat_result, key: str) -> None:
        """`info` is the file's stat from before it was read for `key`."""
        if time.time_ns() - info.st_ctime_ns > RACY_NANOSECONDS:
            self.post_keys[path] = (signature(info), key)
        else:
            self.post_keys.pop(path, None)

    def save(self, root: Path, index: PostCache, write: Callable[[], None]) -> None:
        """After the build, and so after its lock: unless another build has taken it since
        (which writes the caches itself)."""

        def write_and_keep() -> None:
            write()
            self._keep_index(index)

        self._deferred.append(lambda: when_free(root, write_and_keep))

    def search_postings(self) -> Postings | None:
        return self.postings

    def keep_search_postings(self, postings: Postings) -> None:
        self.postings = postings

    def finish(self) -> None:
        """Do the work left for after the build (writing caches)."""
        work, self._deferred = self._deferred, []
        for item in work:
            with contextlib.suppress(OSError):
                item()

    def forget(self) -> None:
        self._deferred.clear()
        self.post_cache = None
        self.index_signature = None
        self.post_keys.clear()
        self.postings = None
        self.renderer = None
        self.parser = None
