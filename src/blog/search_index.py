"""The search index: static JSON files that `search.js` fetches, a few at a time.

- `search/shards/N.json`: the posting lists of the terms whose CRC-32 (of the UTF-8 bytes) modulo
  the shard count is N, as `{"term": [doc, weight, doc, weight, …]}` with the documents in
  ascending order, each written as the difference from the one before. A query fetches only the
  shards of its own terms.
- `search/docs/D.json`: what a result shows for document D (URL, title, date, tags, opening
  text), fetched only for the results on screen.

Documents are numbered oldest first, so a new post does not renumber the others. Each file's key
digests exactly what it is made from: a document's file, its post's fingerprint; the shards, every
post's fingerprint in document order (a post's terms come from its parse, so its fingerprint
covers them).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from .fingerprints import digest
from .model import Post

FOLDER = "search"
# Aim for shards of about this many characters of encoded terms, so a query fetches about the
# same number of bytes whatever the size of the site.
CHARACTERS_PER_SHARD = 24_000
MIN_SHARDS = 4
MAX_SHARDS = 4096


def shard_of(term: str, shards: int) -> int:
    """`shards` is a power of two; search.js computes the same CRC-32 of the UTF-8 bytes."""
    return zlib.crc32(term.encode("utf-8")) & (shards - 1)


def shard_count(posts: Sequence[Post]) -> int:
    size = sum(len(post.search_terms) for post in posts)
    count = MIN_SHARDS
    while count < MAX_SHARDS and count * CHARACTERS_PER_SHARD < size:
        count *= 2
    return count


def to_json(value: object) -> bytes:
    """Compact UTF-8 JSON (CJK text costs 3 bytes a character, not the 6 of `\\uXXXX`). These
    files are only ever fetched and parsed as JSON, never put into a page."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def document(post: Post) -> dict[str, object]:
    return {
        "url": post.url,
        "title": post.title_text,
        "date": post.date.strftime("%Y-%m-%d"),
        "tags": [tag.name for tag in post.tags],
        "text": post.description,
    }


@dataclass(frozen=True, slots=True)
class IndexFile:
    path: str
    key: str


class SearchIndex:
    """The index files of a site's posts (given newest first, as a build lists them)."""

    def __init__(self, posts: Sequence[Post]) -> None:
        self.documents = tuple(reversed(posts))
        self.shards = shard_count(posts)
        # Output keys may use fingerprints (which also cover the site's folder); what goes into
        # a file must depend on the content alone.
        self.key = digest("search", str(self.shards), *(p.fingerprint for p in self.documents))
        self.version = digest(
            str(self.shards), *(p.search_terms + repr(document(p)) for p in self.documents)
        )

    def page_data(self) -> dict[str, object]:
        """What the search page tells search.js: the shard and document counts, and a version
        for its URLs (a browser then never mixes files of two builds)."""
        return {
            "shards": self.shards,
            "documents": len(self.documents),
            "version": self.version[:12],
        }

    def files(self) -> Iterator[IndexFile]:
        for number in range(self.shards):
            path = f"{FOLDER}/shards/{number}.json"
            yield IndexFile(path, digest(self.key, path))
        for number, post in enumerate(self.documents):
            path = f"{FOLDER}/docs/{number}.json"
            yield IndexFile(path, digest("search doc", post.fingerprint, path))

    def content(self, path: str) -> bytes:
        kind, name = path.removeprefix(FOLDER + "/").split("/")
        number = int(name.removesuffix(".json"))
        if kind == "docs":
            return to_json(document(self.documents[number]))
        return self._shard_files[number]

    @cached_property
    def _shard_files(self) -> list[bytes]:
        # The hot loop of an index build (a few hundred thousand terms at 1,000 posts): weights
        # stay the strings they were stored as, and each posting list is joined once.
        postings: list[dict[str, list[str]]] = [{} for _ in range(self.shards)]
        last: dict[str, int] = {}  # each term's previous document
        shard_by_term: dict[str, dict[str, list[str]]] = {}
        for number, post in enumerate(self.documents):
            if not post.search_terms:
                continue
            parts = post.search_terms.split(" ")
            for i in range(0, len(parts), 2):
                term = parts[i]
                found = shard_by_term.get(term)
                if found is None:
                    found = postings[shard_of(term, self.shards)]
                    shard_by_term[term] = found
                    found[term] = [f"{number},{parts[i + 1]}"]
                else:
                    found[term].append(f"{number - last[term]},{parts[i + 1]}")
                last[term] = number
        return [
            (
                "{"
                + ",".join(
                    f"{_json_string(term)}:[{','.join(shard[term])}]" for term in sorted(shard)
                )
                + "}"
            ).encode("utf-8")
            for shard in postings
        ]


def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
