"""The search shards of a build after a few posts changed, made from the live ones.

A one-off `blog build` after an edit would otherwise post every term of every post into shards
again (a few hundred thousand at 1,000 posts, longer than the rest of such a build). Instead it
reads the record the last build left beside its output (`SearchRecord`: the shard count, each
document's fingerprint, each shard file's key), finds the documents whose fingerprint changed,
and, from their old and new terms, the terms whose posting lists changed. Only the shards those
terms are in are read from the live output and made again; in them, only those terms' lists
are decoded. Every other shard is the live file, carried over by its key.

The result is byte for byte the shard a build from scratch makes (`index.Postings`), and a
patched shard's key is a digest of its bytes. Whenever the record does not describe the live
output exactly (another output folder, a shard edited or deleted by hand, a killed build), or
too much changed, the caller makes the index afresh.
"""

from __future__ import annotations

import bisect
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mathblog.search.shard_format import decode_entry, encode_shard, encode_term, read_shard
from mathblog.util.atomic import write_atomically
from mathblog.util.digests import digest

RECORD_FILE = "search.json"
_FORMAT = 1  # raise when the shard files' format changes (`shard_format`)


@dataclass(frozen=True, slots=True)
class SearchRecord:
    """What the shards in the live output were made from, and the key each was written with."""

    shards: int
    fingerprints: tuple[str, ...]  # each document's, in document order
    keys: Mapping[str, str]  # shard path → key, for every term and prefix shard

    @classmethod
    def read(cls, file: Path) -> SearchRecord | None:
        try:
            raw = json.loads(file.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
            return None
        shards, fingerprints, keys = raw.get("shards"), raw.get("fingerprints"), raw.get("keys")
        if (
            not isinstance(shards, int)
            or not isinstance(fingerprints, list)
            or not all(isinstance(f, str) for f in fingerprints)
            or not isinstance(keys, dict)
            or not all(isinstance(k, str) for k in keys.values())
        ):
            return None
        return cls(shards, tuple(fingerprints), keys)

    def write(self, file: Path) -> None:
        """Failures are ignored: without a record, the next build makes the index afresh."""
        data = {
            "format": _FORMAT,
            "shards": self.shards,
            "fingerprints": list(self.fingerprints),
            "keys": dict(self.keys),
        }
        with contextlib.suppress(OSError):
            write_atomically(file, json.dumps(data, separators=(",", ":")).encode("utf-8"))


def shard_key(content: bytes) -> str:
    return digest("search shard", content)  # (the bytes as they are: the same digest as text)


# A term's changes in one document: (document, new weight or None for gone).
Change = tuple[int, str | None]


def term_changes(old: Mapping[int, str], new: Mapping[int, str]) -> dict[str, list[Change]]:
    """For the documents that changed (their encoded terms before and after, by number), each
    term whose posting list changed, and how."""
    changes: dict[str, list[Change]] = defaultdict(list)
    for number in sorted({*old, *new}):
        before, after = _pairs(old.get(number, "")), _pairs(new.get(number, ""))
        for term in before:
            if term not in after:
                changes[term].append((number, None))
        for term, weight in after.items():
            if before.get(term) != weight:
                changes[term].append((number, weight))
    return changes


def _pairs(encoded: str) -> dict[str, str]:
    parts = encoded.split(" ") if encoded else []
    return dict(zip(parts[::2], parts[1::2], strict=True))


def patch_shard(content: bytes, changes: Mapping[str, Sequence[Change]]) -> bytes | None:
    """`content` (a shard file) with the posting lists of these terms changed; None when it is
    not a shard file as a build writes them."""
    entries = read_shard(content)
    if entries is None:
        return None
    for term, changed in changes.items():
        numbers, weights = decode_entry(entries[term]) if term in entries else ([], [])
        for number, weight in changed:
            at = bisect.bisect_left(numbers, number)
            present = at < len(numbers) and numbers[at] == number
            if weight is None:
                if present:
                    del numbers[at], weights[at]
            elif present:
                weights[at] = weight
            else:
                numbers.insert(at, number)
                weights.insert(at, weight)
        if numbers:
            entries[term] = encode_term(term, numbers, weights)
        else:
            entries.pop(term, None)
    return encode_shard(entries)


@dataclass(frozen=True, slots=True)
class Patched:
    """The shard files a patch made (path → bytes), and every shard file's key."""

    files: Mapping[str, bytes]
    keys: Mapping[str, str]


def patch_shards(
    record: SearchRecord,
    fingerprints: Sequence[str],
    terms: Sequence[str],
    replaced: Mapping[str, str],
    paths_of: Callable[[str], Sequence[str]],
    live: Callable[[str, str], bytes | None],
) -> Patched | None:
    """The shards of documents with these `fingerprints` and `terms` (in document order), made
    from the live ones `record` describes; None when they must be made afresh.

    `replaced`: the terms of posts this build parsed again, by their old fingerprint;
    `paths_of(term)`: the paths of the shard files a term is in; `live(path, key)`: the live
    file's bytes if it is the one written with that key and untouched since, else None."""
    count = max(len(fingerprints), len(record.fingerprints))
    old_prints = [*record.fingerprints, *[""] * (count - len(record.fingerprints))]
    new_prints = [*fingerprints, *[""] * (count - len(fingerprints))]
    differ = [n for n in range(count) if old_prints[n] != new_prints[n]]
    if len(differ) > max(8, count // 8):  # cheaper made afresh (renumbered by a new post)
        return None
    old: dict[int, str] = {}
    for number in differ:
        if old_prints[number]:
            kept = replaced.get(old_prints[number])
            if kept is None:
                return None  # its old terms are not known
            old[number] = kept
    new = {n: terms[n] for n in differ if n < len(terms)}
    by_path: dict[str, dict[str, list[Change]]] = defaultdict(dict)
    for term, changed in term_changes(old, new).items():
        for path in paths_of(term):
            by_path[path][term] = changed
    files: dict[str, bytes] = {}
    keys = dict(record.keys)
    for path, changes in by_path.items():
        content = live(path, keys.get(path, ""))
        made = patch_shard(content, changes) if content is not None else None
        if made is None:
            return None
        files[path] = made
        keys[path] = shard_key(made)
    return Patched(files, keys)
