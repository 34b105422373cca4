"""The search index: static JSON files that `search.js` fetches, a few at a time.

- `search/shards/N.json`: the posting lists of the terms whose CRC-32 (of the UTF-8 bytes) modulo
  the shard count is N, as `{"term": [doc, weight, doc, weight, …]}` with the documents in
  ascending order, each written as the difference from the one before. A query fetches only the
  shards of its own terms.
- `search/prefixes/N.json`: the same posting lists again, of the words and bare TeX commands
  (`tokens.completes`) whose first `tokens.PREFIX_LENGTH` characters hash to N. The last word
  of a query, still being typed, is looked up there: its own list and those of every term that
  starts with it (`softm` → `softmax`) are in that one file, so completing costs no more
  requests than an exact lookup. Each list is encoded once and used in both files.
- `search/docs/D.json`: what a result shows for document D (URL, title, date, tags, opening
  text, and the plain text a snippet is cut from, `search.text`), fetched only for the results
  on screen.

Documents are numbered oldest first, so a new post does not renumber the others. Each file's key
digests exactly what it is made from: a document's file, its post's fingerprint; the shards, every
post's fingerprint in document order (a post's terms come from its parse, so its fingerprint
covers them). Terms and fingerprints are given beside the posts, by their source file.
"""

from __future__ import annotations

import bisect
import hashlib
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from mathblog.model import Post
from mathblog.search.patching import Patched, SearchRecord, patch_shards, shard_key
from mathblog.search.shard_format import encode_shard, encode_term
from mathblog.search.text import plain_text
from mathblog.search.tokens import completes, prefix_key
from mathblog.util import timings
from mathblog.util.digests import digest
from mathblog.util.script_json import script_json

FOLDER = "search"
SHARDS = f"{FOLDER}/shards/"
PREFIXES = f"{FOLDER}/prefixes/"
# Aim for shards of about this many characters of encoded terms, so a query fetches about the
# same number of bytes whatever the size of the site.
CHARACTERS_PER_SHARD = 24_000
MIN_SHARDS = 4
MAX_SHARDS = 4096


def shard_of(term: str, shards: int) -> int:
    """`shards` is a power of two; search.js computes the same CRC-32 of the UTF-8 bytes."""
    return zlib.crc32(term.encode("utf-8")) & (shards - 1)


def document_digest(post: Post, encoded_terms: str) -> str:
    """A digest of everything of `post` that the index files hold."""
    content = hashlib.blake2b(digest_size=16)
    for text in (encoded_terms, post.url, post.title_text, post.description):
        content.update(text.encode("utf-8", "surrogatepass") + b"\0")
    content.update(f"{post.date:%Y-%m-%d}\0{[t.name for t in post.tags]!r}\0".encode())
    return content.hexdigest()


def shard_count(terms: Sequence[str]) -> int:
    """`terms`: each document's encoded terms."""
    size = sum(map(len, terms))
    count = MIN_SHARDS
    while count < MAX_SHARDS and count * CHARACTERS_PER_SHARD < size:
        count *= 2
    return count


def to_json(value: object) -> bytes:
    """Compact UTF-8 JSON (CJK text costs 3 bytes a character, not the 6 of `\\uXXXX`). These
    files are fetched and parsed as JSON, never put into a page; `<`, `>` and `&` are escaped all
    the same, so no output file holds a hostile title's markup as it was written."""
    return script_json(value).encode("utf-8")


def prefix_shard_of(term: str, shards: int) -> int:
    return shard_of(prefix_key(term), shards)


def document_file(post: Post) -> bytes:
    return to_json(document(post))


def document(post: Post) -> dict[str, object]:
    return {
        "url": post.url,
        "title": post.title_text,
        "date": post.date.strftime("%Y-%m-%d"),
        "tags": [tag.name for tag in post.tags],
        "text": post.description,
        "body": plain_text(post.body.load()[0]),
    }


@dataclass(frozen=True, slots=True)
class IndexFile:
    path: str
    key: str


class SearchIndex:
    """The index files of a site's posts (given newest first, as a build lists them)."""

    def __init__(
        self,
        posts: Sequence[Post],
        terms: Mapping[str, str],
        fingerprints: Mapping[str, str],
        previous: Postings | None = None,
        digests: Mapping[str, str] | None = None,
        *,
        kept: bool = False,
    ) -> None:
        """`terms` and `fingerprints`: each post's encoded terms and fingerprint, by its source;
        `previous`: the postings of an earlier build in this process, to update; `digests`:
        each post's `document_digest`, if known (kept with the post, rather than hashing every
        post's terms again each build); `kept`: the postings made are kept for the next build
        in this process (`blog serve`), which then keys each shard by its content."""
        self.documents = tuple(reversed(posts))
        self.terms = [terms[post.source] for post in self.documents]
        self.fingerprints = [fingerprints[post.source] for post in self.documents]
        self.shards = shard_count(self.terms)
        self._previous = previous
        self.postings: Postings | None = None  # once the shards are made here
        self._elsewhere: Iterator[MadeElsewhere] | None = None
        self._tasks_left = 0  # the worker's results not read yet
        self._documents_made: dict[int, bytes] = {}  # the last documents it sent, not yet used
        self._last_made = -1  # the highest document number it has sent
        self._patched: Patched | None = None
        self._document_files: list[IndexFile] | None = None  # made once: a digest each
        self._kept = kept
        # Output keys may use fingerprints (which also cover the site's folder); what goes into
        # a file must depend on the content alone.
        self.key = digest("search", str(self.shards), *self.fingerprints)
        content = hashlib.blake2b(str(self.shards).encode(), digest_size=16)
        for post, encoded in zip(self.documents, self.terms, strict=True):
            known = digests.get(post.source) if digests is not None else None
            content.update((known or document_digest(post, encoded)).encode())
        self.version = content.hexdigest()

    def page_data(self) -> dict[str, object]:
        """What the search page tells search.js: the shard and document counts, and a version
        for its URLs (a browser then never mixes files of two builds)."""
        return {
            "shards": self.shards,
            "documents": len(self.documents),
            "version": self.version[:12],
        }

    def files(self) -> Iterator[IndexFile]:
        yield from self._shard_index_files()
        if self._document_files is None:
            self._document_files = [
                IndexFile(*self._document_file(number, fingerprint))
                for number, fingerprint in enumerate(self.fingerprints)
            ]
        yield from self._document_files

    def _shard_index_files(self) -> Iterator[IndexFile]:
        patched = self._patched
        # Postings kept between the builds of one process are made (or updated) now, and each
        # shard keyed by its content: an edit then leaves the shards it did not touch as they
        # are, instead of making all of them again to find most the same.
        kept = self._postings_kept()
        for at, folder in enumerate((SHARDS, PREFIXES)):
            for number in range(self.shards):
                path = f"{folder}{number}.json"
                if patched is not None:
                    key = patched.keys[path]
                elif kept is not None:
                    key = kept.key(at * self.shards + number)
                else:
                    key = digest(self.key, path)
                yield IndexFile(path, key)

    def _postings_kept(self) -> Postings | None:
        if not self._kept or self._elsewhere is not None:
            return None
        _ = self._shard_files  # makes or updates the postings
        return self.postings

    def shards_stale(self, unchanged: Callable[[str, str], bool]) -> bool:
        """Whether a shard file must be written; `unchanged(path, key)` asks the output."""
        return any(not unchanged(f.path, f.key) for f in self._shard_index_files())

    def patch(
        self,
        record: SearchRecord | None,
        replaced: Mapping[str, str],
        live: Callable[[str, str], bytes | None],
    ) -> bool:
        """Make the shards from the live ones that `record` describes, when it does and few
        posts changed (`search.patching`); whether they were. `replaced`: the old terms of the
        posts parsed again, by their old fingerprint; `live(path, key)`: the live file, if it is
        as the build that wrote it with that key left it."""
        if record is None or record.shards != self.shards or self._previous is not None:
            return False
        if self._kept:
            # Postings to keep are made here instead, and each shard keyed by its content: a
            # patch would leave the shards it did not touch keyed as the record has them, and
            # the next build (serve's first edit) would make all of those again.
            return False
        self._patched = patch_shards(
            record, self.fingerprints, self.terms, replaced, self._shard_paths, live
        )
        return self._patched is not None

    def record(self) -> SearchRecord:
        """What the next build needs to patch this build's shards."""
        keys = {f.path: f.key for f in self._shard_index_files()}
        return SearchRecord(self.shards, tuple(self.fingerprints), keys)

    def _shard_paths(self, term: str) -> tuple[str, ...]:
        shard = f"{SHARDS}{shard_of(term, self.shards)}.json"
        if completes(term):
            return shard, f"{PREFIXES}{prefix_shard_of(term, self.shards)}.json"
        return (shard,)

    def make_shards_elsewhere(self, unchanged: Callable[[str, str], bool]) -> None:
        """Start making the shard files, and the document files to be written (`unchanged`
        asks the output), in a forked worker, which has the posts already, while this process
        renders the pages (the few hundred thousand terms of 1,000 posts take about as long as
        the rest of a build after an edit, and a document's text is cut from its HTML). The
        documents come back `DOCUMENTS_PER_TASK` at a time, as they are written: all 10,000 of
        a large site at once were a few hundred MB held in both processes."""
        from mathblog.util.parallel import Pool

        stale = [
            number
            for number, fingerprint in enumerate(self.fingerprints)
            if not unchanged(*self._document_file(number, fingerprint))
        ]
        step = DOCUMENTS_PER_TASK
        tasks = [None, *(tuple(stale[i : i + step]) for i in range(0, len(stale), step))]
        self._tasks_left = len(tasks)
        self._elsewhere = Pool(1, _same, (self,)).map(_make_in_worker, tasks)

    def _next_made(self) -> MadeElsewhere:
        """The next result of the worker; after the last, the worker is let go."""
        assert self._elsewhere is not None
        made = next(self._elsewhere)
        self._tasks_left -= 1
        if not self._tasks_left:
            for _ in self._elsewhere:  # none: this ends the worker's pool
                pass
        return made

    def _made_document(self, number: int) -> bytes | None:
        """Document `number`'s file, if the worker made it (documents are asked for in order;
        one asked for again, or out of order, is made here)."""
        if self._elsewhere is None:
            return None
        _ = self._shard_files  # first: the worker sends the shards before any document
        while number not in self._documents_made:
            if number <= self._last_made or not self._tasks_left:
                return None
            self._documents_made = self._next_made()[1]
            self._last_made = max(self._documents_made, default=self._last_made)
        return self._documents_made.pop(number)

    def _document_file(self, number: int, fingerprint: str) -> tuple[str, str]:
        # The post's fingerprint is a digest of everything its document is made from; the
        # manifest keeps a key by path, so the path need not be hashed in (10,000 digests).
        return f"{FOLDER}/docs/{number}.json", "search doc " + fingerprint

    def content(self, path: str) -> bytes:
        kind, name = path.removeprefix(FOLDER + "/").split("/")
        number = int(name.removesuffix(".json"))
        if kind == "docs":
            return self._made_document(number) or document_file(self.documents[number])
        if self._patched is not None and path in self._patched.files:
            return self._patched.files[path]
        if kind == "prefixes":
            number += self.shards
        return self._shard_files[number]  # a shard a patch left alone, gone since we looked

    @cached_property
    def _shard_files(self) -> list[bytes]:
        if self._elsewhere is not None:
            return self._next_made()[0]
        terms = self.terms
        previous = self._previous
        if previous is not None and previous.shards == self.shards:
            previous.update(terms)
            self.postings = previous
        else:
            self.postings = Postings(self.shards, terms)
        return self.postings.files


def _same(index: SearchIndex) -> SearchIndex:
    """A forked worker's context: the index it inherited."""
    return index


# The shard files, or the files of some documents, by number.
MadeElsewhere = tuple[list[bytes], dict[int, bytes]]
DOCUMENTS_PER_TASK = 250


@timings.timed("search shards, in a worker")
def _make_in_worker(index: SearchIndex, documents: tuple[int, ...] | None) -> MadeElsewhere:
    """The shard files (`documents` None: the first task), or these documents' files."""
    if documents is None:
        return Postings(index.shards, index.terms).files, {}
    return [], {number: document_file(index.documents[number]) for number in documents}


# A term's documents, in ascending order, and its weight in each (as stored).
Entries = tuple[list[int], list[str]]


def _pairs(encoded: str) -> dict[str, str]:
    parts = encoded.split(" ") if encoded else []
    return dict(zip(parts[::2], parts[1::2], strict=True))


class Postings:
    """Every term's posting list, shard by shard, and each shard's file: the term shards, then
    the prefix shards. A long-lived process (`blog serve`) keeps one and updates it by the terms
    that came, went or changed weight in the posts that changed, encoding again only those
    terms and the shards they are in."""

    def __init__(self, shards: int, terms: Sequence[str]) -> None:
        """`terms`: each document's encoded terms (`search_tokens.encode_terms`), in order."""
        self.shards = shards
        self._fill(terms)

    def _fill(self, terms: Sequence[str]) -> None:
        shards = self.shards
        self.terms = list(terms)
        # Term shards, then prefix shards; a term's lists are the same object in both.
        self._lists: list[dict[str, Entries]] = [{} for _ in range(2 * shards)]
        # The hot loop of an index build (a few hundred thousand terms at 1,000 posts).
        term_lists: dict[str, Entries] = {}
        # One string for each weight: the millions of postings of a large site then hold
        # references to a few dozen strings, not a string of their own each (a quarter of the
        # memory the index took at 10,000 posts).
        weights: dict[str, str] = {}
        for number, encoded in enumerate(self.terms):
            if not encoded:
                continue
            parts = encoded.split(" ")
            parts[1::2] = map(weights.setdefault, parts[1::2], parts[1::2])
            for i in range(0, len(parts), 2):
                term = parts[i]
                entries = term_lists.get(term)
                if entries is None:
                    entries = term_lists[term] = ([], [])
                    self._lists[shard_of(term, shards)][term] = entries
                    if completes(term):
                        self._lists[shards + prefix_shard_of(term, shards)][term] = entries
                entries[0].append(number)
                entries[1].append(parts[i + 1])
        self._encoded = {term: encode_term(term, *entries) for term, entries in term_lists.items()}
        self.files = [self._encode(shard) for shard in range(2 * shards)]
        self._keys: dict[int, str] = {}  # of `files`, made when first asked for

    def key(self, shard: int) -> str:
        """A key of shard file `shard` by its content (`files` counts the term shards, then
        the prefix shards)."""
        key = self._keys.get(shard)
        if key is None:
            key = self._keys[shard] = shard_key(self.files[shard])
        return key

    def update(self, terms: Sequence[str]) -> None:
        """Make the index that of these documents."""
        count = max(len(terms), len(self.terms))
        old_terms = [*self.terms, *[""] * (count - len(self.terms))]
        new_terms = [*terms, *[""] * (count - len(terms))]
        differ = [n for n in range(count) if old_terms[n] is not new_terms[n]]
        differ = [n for n in differ if old_terms[n] != new_terms[n]]
        if len(differ) > max(8, count // 8):  # cheaper made afresh (e.g. renumbered by a new post)
            self._fill(terms)
            return
        changed: set[str] = set()
        for number in differ:
            old, new = old_terms[number], new_terms[number]
            before, after = _pairs(old), _pairs(new)
            for term, weight in before.items():
                if after.get(term) != weight:
                    self._remove(term, number)
                    changed.add(term)
            for term, weight in after.items():
                if before.get(term) != weight:
                    self._insert(term, number, weight)
                    changed.add(term)
        self.terms = list(terms)
        shards: set[int] = set()
        for term in changed:
            shards.update(self._shards_of(term))
            entries = self._lists[shard_of(term, self.shards)].get(term)
            if entries is None:
                self._encoded.pop(term, None)
            else:
                self._encoded[term] = encode_term(term, *entries)
        for shard in shards:
            self.files[shard] = self._encode(shard)
            self._keys.pop(shard, None)

    def _shards_of(self, term: str) -> tuple[int, ...]:
        """The term shard of `term`, and its prefix shard if it completes (as in `files`)."""
        shard = shard_of(term, self.shards)
        if completes(term):
            return shard, self.shards + prefix_shard_of(term, self.shards)
        return (shard,)

    def _remove(self, term: str, number: int) -> None:
        shards = self._shards_of(term)
        numbers, weights = self._lists[shards[0]][term]
        at = bisect.bisect_left(numbers, number)
        del numbers[at], weights[at]
        if not numbers:
            for shard in shards:
                del self._lists[shard][term]

    def _insert(self, term: str, number: int, weight: str) -> None:
        shards = self._shards_of(term)
        numbers, weights = self._lists[shards[0]].setdefault(term, ([], []))
        for shard in shards[1:]:
            self._lists[shard][term] = (numbers, weights)
        at = bisect.bisect_left(numbers, number)
        numbers.insert(at, number)
        weights.insert(at, weight)

    def _encode(self, shard: int) -> bytes:
        """`{"term":[doc,weight,…]}`, each document as the difference from the one before."""
        encoded = self._encoded
        return encode_shard({term: encoded[term] for term in self._lists[shard]})
