"""A query against a built search index, done in Python the way search.js does it (all terms
must occur), so tests can check the index without a browser."""

from __future__ import annotations

import json
from pathlib import Path

from mathblog.search.index import shard_of
from mathblog.search.tokens import tokens


def postings(site: Path, term: str) -> dict[int, int]:
    """document → weight of `term`."""
    page = (site / "search/index.html").read_text(encoding="utf-8")
    shards = int(page.split('"shards":', 1)[1].split(",", 1)[0].split("}", 1)[0])
    shard = json.loads((site / f"search/shards/{shard_of(term, shards)}.json").read_bytes())
    flat = shard.get(term, [])
    found, document = {}, 0
    for delta, weight in zip(flat[::2], flat[1::2], strict=True):
        document += delta
        found[document] = weight
    return found


def lookup(site: Path, query: str) -> list[str]:
    """The URLs of the documents with every term of `query`, in document order."""
    matches: set[int] | None = None
    for term in set(tokens(query, query=True)):
        found = set(postings(site, term))
        matches = found if matches is None else matches & found
    return [
        json.loads((site / f"search/docs/{number}.json").read_bytes())["url"]
        for number in sorted(matches or ())
    ]
