"""The persistent post cache in `.blog-cache/`: a post whose file and `post_fingerprint` did not
change is not parsed again.

The index in `posts/` maps each post file to its fingerprint, its `Post` (metadata and excerpt),
its search terms and its warnings, and to its key by its size, times and inode (`FileKeys`). It is
kept in buckets by the file's name, each written only when one of its posts changed: an edit
rewrites a thirty-second of the index, not all of it. Each post's rendered HTML and TOC is
appended to a pack file in `bodies/` (one per worker and build, since creating a file per post
is slow on many disks) and read only when a page shows it. Packs no post uses are deleted; when
they pile up, the bodies still used are copied into one. Deleting `.blog-cache/` is always safe.

The files are pickles read with an unpickler that only builds our own data classes and dates, so a
tampered cache can fail a load (and is then ignored) but can never run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import io
import os
import pickle
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from mathblog.errors import Diagnostic
from mathblog.incremental.file_keys import FileKeys, Signature, signature
from mathblog.math.cache import CACHE_DIR
from mathblog.model import Body, InMemoryBody, Post, TocEntry
from mathblog.util.atomic import write_atomically

_INDEX = "posts"  # the index's buckets: `00.pickle` to `31.pickle`
_OLD_INDEX = "posts.pickle"  # format 4 and before: one file
_BUCKETS = 32
_BODIES = "bodies"
# 3: search terms and fingerprints beside the post, not in it; 4: card fingerprints; 5: in
# buckets, with the files' keys; 6: search digests; 7: a body's pack named by a string.
_FORMAT = 7
MAX_PACKS = 64

_ALLOWED = {
    ("mathblog.model", "Post"),
    ("mathblog.model", "InMemoryBody"),
    ("mathblog.incremental.post_cache", "PackedBody"),
    ("mathblog.model", "TagRef"),
    ("mathblog.model", "SeriesRef"),
    ("mathblog.model", "FileRef"),
    ("mathblog.model", "TocEntry"),
    ("mathblog.errors", "Diagnostic"),
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("mathblog.incremental.post_cache", "_zone"),
    ("mathblog.incremental.post_cache", "CachedPost"),
    ("pathlib", "PosixPath"),
    ("pathlib", "WindowsPath"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
}


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")
        return super().find_class(module, name)


def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # ZoneInfo pickles through `getattr`, which the loader must never allow.
        if isinstance(obj, ZoneInfo):
            return _zone, (obj.key,)
        return NotImplemented


def _dump(value: object) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _load(data: bytes) -> Any:
    # Loading makes tens of thousands of objects, none of them garbage: a collection while it
    # runs (every 700 new objects) would only walk them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _DataOnly(io.BytesIO(data)).load()
    finally:
        if collecting:
            gc.enable()


def _fingerprints(posts: dict[str, CachedPost]) -> dict[str, str]:
    return {source: entry.fingerprint for source, entry in posts.items()}


_Known = tuple[Signature, str]  # a file's signature and key (`FileKeys`)
# A bucket's posts, each by its fingerprint and where its body is, and its keys.
_Summary = tuple[dict[str, tuple[str, str, int]], dict[str, _Known]]


def _bucket_of(source: str) -> int:
    return zlib.crc32(source.encode("utf-8", "surrogatepass")) % _BUCKETS


def _bucket_file(number: int) -> str:
    return f"{number:02d}.pickle"


def _summary(posts: dict[str, CachedPost], keys: dict[str, _Known]) -> _Summary:
    # A post parsed again to the same fingerprint may have its body in another pack. Strings
    # and numbers: compared in C, ten thousand of them on every build.
    return {source: (e.fingerprint, *_place(e.post.body)) for source, e in posts.items()}, keys


def _place(body: Body) -> tuple[str, int]:
    """Where a body is kept: a pack and an offset; one kept in memory is never the same."""
    return (body.file, body.offset) if isinstance(body, PackedBody) else ("", id(body))


def _read_bucket(
    file: Path, post_fingerprint: str
) -> tuple[dict[str, CachedPost], dict[str, _Known]] | None:
    """A bucket's posts and keys; None if it is damaged, from another version or for other
    settings (its posts are then parsed again)."""
    try:
        stored = _load(file.read_bytes())
    except (OSError, pickle.UnpicklingError, ValueError, TypeError, EOFError, AttributeError):
        return None
    if not (
        isinstance(stored, dict)
        and stored.get("format") == _FORMAT
        and stored.get("post_fingerprint") == post_fingerprint
        and isinstance(posts := stored.get("posts"), dict)
        and isinstance(keys := stored.get("keys"), dict)
    ):
        return None
    known = {
        source: found
        for source, found in keys.items()
        if isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], str)
    }
    return posts, known


class CacheDamaged(OSError):
    """A body file that the index names is gone or unreadable (someone deleted the cache). An
    `OSError`, so that rendering lets it through, as the disk's error, to the build, which then
    builds again without the cache."""


# Packs are only ever appended to, under names never used again, so a place in one always holds
# the same body: a post shown on several pages (its own, the feeds, its tags' feeds) is read once.
@functools.lru_cache(maxsize=256)
def read_body(file: str, offset: int, length: int) -> tuple[str, tuple[TocEntry, ...]]:
    try:
        with open(file, "rb") as pack:
            pack.seek(offset)
            data = pack.read(length)
        content, toc = _load(data)
    except (OSError, pickle.UnpicklingError, ValueError, TypeError, EOFError) as exc:
        raise CacheDamaged(f"{file}: {exc}") from None
    return str(content), tuple(toc)


@dataclass(frozen=True)  # no slots: pickles far faster
class PackedBody:
    """A body stored at `offset` in a pack file of the cache, read when a page shows it. The
    file is a string, not a `Path`: loading ten thousand of them from the index was a tenth of
    a no-op build at that size."""

    file: str
    offset: int
    length: int

    def load(self) -> tuple[str, tuple[TocEntry, ...]]:
        return read_body(self.file, self.offset, self.length)


def _pack_of(body: Body) -> str | None:
    return body.file if isinstance(body, PackedBody) else None


@dataclass(frozen=True)  # no slots: pickles far faster
class CachedPost:
    fingerprint: str  # changes whenever anything that shaped the post changes
    post: Post
    warnings: tuple[Diagnostic, ...]
    search_terms: str = ""  # encoded by `search.tokens.encode_terms`
    card_fingerprint: str = ""  # of what a card of it shows (`fingerprints.card_fingerprint`)
    search_digest: str = ""  # of what the search index holds of it (`index.document_digest`)


@dataclass(slots=True)
class PostCache:
    """The post cache of one site, in `folder` (`.blog-cache/`)."""

    folder: Path
    post_fingerprint: str
    keys: FileKeys = field(default_factory=FileKeys)  # each post file's key, by its source
    _stored: dict[str, CachedPost] = field(default_factory=dict)
    # What each bucket file on disk holds; None: not known (not read), so every one is written.
    _on_disk: dict[int, _Summary] | None = None
    _packs: set[str] | None = None  # names in bodies/, listed once
    _pack: BinaryIO | None = None  # the pack this process appends to
    _bodies_prefix: str = field(init=False)  # the path of bodies/ with a separator

    def __post_init__(self) -> None:
        self._bodies_prefix = os.path.join(self.folder, _BODIES, "")

    @classmethod
    def open(cls, root: Path, post_fingerprint: str, *, read: bool = True) -> PostCache:
        folder = root / CACHE_DIR
        cache = cls(folder, post_fingerprint)
        if not read:
            return cache
        cache._on_disk = {}
        try:
            names = set(os.listdir(folder / _INDEX))
        except OSError:
            return cache  # none yet
        for number in range(_BUCKETS):
            name = _bucket_file(number)
            if name in names and (found := _read_bucket(folder / _INDEX / name, post_fingerprint)):
                posts, keys = found
                cache._stored.update(posts)
                cache.keys.known.update(keys)
                cache._on_disk[number] = _summary(posts, keys)
        return cache

    def untrusted(self) -> int:
        """How many of the posts it holds it cannot know by their file's times: those whose
        file had changed a moment before it was read (`file_keys.RACY_NANOSECONDS`), which
        the next build reads and hashes again."""
        return sum(source not in self.keys.known for source in self._stored)

    def stamp(self) -> tuple[tuple[str, Signature], ...]:
        """The index's files on disk as they are now: writing any of them (this process or
        another) changes it, as each is replaced by a new file."""
        folder = self.folder / _INDEX
        try:
            names = sorted(os.listdir(folder))
            return tuple((name, signature(os.stat(folder / name))) for name in names)
        except OSError:
            return ()

    def get(self, source: str, fingerprint: str) -> CachedPost | None:
        """The cached post if its fingerprint matches and its pack file is still there."""
        entry = self._stored.get(source)
        if entry is None or entry.fingerprint != fingerprint:
            return None
        body = entry.post.body
        if not isinstance(body, PackedBody):
            return None
        if self._packs is None:
            try:
                self._packs = set(os.listdir(self.folder / _BODIES))
            except OSError:
                self._packs = set()
        here = self._bodies_prefix
        if body.file.startswith(here) and body.file[len(here) :] in self._packs:
            return entry  # (string operations: this runs for every post of every build)
        name = os.path.basename(body.file)
        if name not in self._packs:
            return None
        # Stored with another path: the site was moved.
        moved = PackedBody(here + name, body.offset, body.length)
        return dataclasses.replace(entry, post=dataclasses.replace(entry.post, body=moved))

    def replaced_terms(self, now: Mapping[str, CachedPost]) -> dict[str, str]:
        """The search terms of each stored post that `now` (a build's posts) does not hold as
        it was stored, by its stored fingerprint."""
        return {
            entry.fingerprint: entry.search_terms
            for source, entry in self._stored.items()
            if (found := now.get(source)) is None or found.fingerprint != entry.fingerprint
        }

    def body_for(self, content: str, toc: tuple[TocEntry, ...]) -> Body:
        """Store a freshly rendered body; on a cache that cannot be written, keep it in memory.
        Call `flush` before another process reads it."""
        data = _dump((content, toc))
        try:
            if self._pack is None:
                folder = self.folder / _BODIES
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{os.getpid()}-{time.time_ns()}-{os.urandom(4).hex()}.pack"
                self._pack = open(folder / name, "ab")  # noqa: SIM115 - open across chunks
                if self._packs is not None:  # a cache kept across builds lists it
                    self._packs.add(name)
            offset = self._pack.tell()
            self._pack.write(data)
        except OSError:
            return InMemoryBody(content, toc)
        return PackedBody(os.fspath(self._pack.name), offset, len(data))

    def flush(self) -> None:
        if self._pack is not None:
            with contextlib.suppress(OSError):
                self._pack.flush()

    def save(self, entries: Iterable[tuple[str, CachedPost]]) -> None:
        """Keep exactly these posts; remove body files no post names. Failures are ignored: a
        cache that cannot be written only makes the next build slower."""
        posts = dict(entries)
        keys = {source: known for source, known in self.keys.known.items() if source in posts}
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            if self._write_index(posts, keys) and _fingerprints(posts) != _fingerprints(
                self._stored
            ):
                self._prune(posts)
        except OSError:
            return
        self._stored = posts
        self.keys.known = keys

    def _write_index(self, posts: dict[str, CachedPost], keys: dict[str, _Known]) -> bool:
        """Write the buckets whose posts or keys are not as on disk; whether any was."""
        buckets: dict[int, tuple[dict[str, CachedPost], dict[str, _Known]]] = {}
        for source, entry in posts.items():
            buckets.setdefault(_bucket_of(source), ({}, {}))[0][source] = entry
        for source, known in keys.items():
            buckets[_bucket_of(source)][1][source] = known
        folder = self.folder / _INDEX
        folder.mkdir(exist_ok=True)
        on_disk = self._on_disk
        self._on_disk = {}  # what is there now, as far as it is known
        wrote = False
        for number in range(_BUCKETS):
            bucket = buckets.get(number)
            summary = None if bucket is None else _summary(*bucket)
            if on_disk is not None and summary == on_disk.get(number):
                if summary is not None:
                    self._on_disk[number] = summary
                continue
            file = folder / _bucket_file(number)
            wrote = True
            if bucket is None or summary is None:
                file.unlink(missing_ok=True)
                continue
            stored = {"format": _FORMAT, "post_fingerprint": self.post_fingerprint}
            write_atomically(file, _dump({**stored, "posts": bucket[0], "keys": bucket[1]}))
            self._on_disk[number] = summary
        if wrote:
            (self.folder / _OLD_INDEX).unlink(missing_ok=True)
        return wrote

    def _prune(self, posts: dict[str, CachedPost]) -> None:
        """Delete packs no post uses; when too many are left, copy the bodies into one."""
        bodies = self.folder / _BODIES
        self._packs = None  # listed afresh when next needed
        used = {os.path.basename(pack) for e in posts.values() if (pack := _pack_of(e.post.body))}
        for name in os.listdir(bodies) if bodies.is_dir() else ():
            if name not in used:
                (bodies / name).unlink(missing_ok=True)
        if len(used) > MAX_PACKS:
            self._compact(posts)

    def _compact(self, posts: dict[str, CachedPost]) -> None:
        self._pack = None
        old = {pack for e in posts.values() if (pack := _pack_of(e.post.body))}
        moved = {}
        for source, entry in posts.items():
            body = self.body_for(*entry.post.body.load())
            moved[source] = dataclasses.replace(
                entry, post=dataclasses.replace(entry.post, body=body)
            )
        self.flush()
        self._on_disk = None
        self._write_index(moved, {s: k for s, k in self.keys.known.items() if s in moved})
        for file in old:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file)
        posts.update(moved)
