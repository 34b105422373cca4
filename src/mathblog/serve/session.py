"""What `blog serve` keeps between its builds: the `BuildCache` it hands each of them.

A one-off `blog build` reads the post index from `.blog-cache/`, makes the search index afresh,
and writes the post index back. A session keeps the post index in memory (while the files on
disk are still the ones it wrote), updates the search index by the posts that changed, and leaves
the writing of caches until the result is on the page: an edit reaches the browser sooner, and
the cache on disk is still up to date before the next build starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mathblog.incremental.file_keys import Signature
from mathblog.incremental.post_cache import PostCache
from mathblog.incremental.site_lock import when_free
from mathblog.search.index import Postings


@dataclass(slots=True)
class ServeSession:
    post_cache: PostCache | None = None
    index_stamp: tuple[tuple[str, Signature], ...] = ()  # of the index `post_cache` matches
    postings: Postings | None = None  # the search index, updated post by post
    renderer: object | None = None  # what rendering prepared, for the next build
    parser: object | None = None  # what parsing set up (Markdown, the math engine), likewise
    known_page_keys: object | None = None  # the last plan's page keys, to reuse where they hold
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
        return cache if cache.stamp() == self.index_stamp else None

    def _keep_index(self, cache: PostCache) -> None:
        self.post_cache = cache
        self.index_stamp = cache.stamp()

    def save(self, root: Path, index: PostCache, write: Callable[[], None]) -> None:
        """After the build, and so after its lock: unless another build has taken it since
        (which writes the caches itself)."""

        def write_and_keep() -> None:
            write()
            self._keep_index(index)

        self._deferred.append(lambda: when_free(root, write_and_keep))

    def untrusted_posts(self) -> int:
        """Posts of the kept index whose files the next build must read again to know them."""
        return 0 if self.post_cache is None else self.post_cache.untrusted()

    def search_postings(self) -> Postings | None:
        return self.postings

    def keep_search_postings(self, postings: Postings) -> None:
        self.postings = postings

    def page_keys(self, root: Path) -> object | None:
        return self.known_page_keys

    def keep_page_keys(self, root: Path, keys: object) -> None:
        self.known_page_keys = keys

    def finish(self) -> None:
        """Do the work left for after the build (writing caches)."""
        work, self._deferred = self._deferred, []
        for item in work:
            with contextlib.suppress(OSError):
                item()

    def forget(self) -> None:
        self._deferred.clear()
        self.post_cache = None
        self.index_stamp = ()
        self.postings = None
        self.renderer = None
        self.parser = None
        self.known_page_keys = None
