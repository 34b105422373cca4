"""How a shard file is written, `{"term":[doc,weight,doc,weight,…],…}` with the terms in sorted
order and each document as the difference from the one before, and how one is read back."""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Mapping

# One entry, as `encode_term` writes it: terms hold no `"`, `[` or `]` (`search.tokens`).
_ENTRY = re.compile(r'"([^"]*)":\[([^\]]*)\]')


def encode_term(term: str, numbers: list[int], weights: list[str]) -> str:
    return f"{_json_string(term)}:[{_deltas(numbers, weights)}]"


def encode_shard(entries: Mapping[str, str]) -> bytes:
    """The file of these encoded entries, by term."""
    return ("{" + ",".join([entries[term] for term in sorted(entries)]) + "}").encode("utf-8")


def read_shard(content: bytes) -> dict[str, str] | None:
    """Each term's encoded entry, as `encode_shard` was given them; None for anything that is
    not a file it wrote."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not (text.startswith("{") and text.endswith("}")):
        return None
    entries: dict[str, str] = {}
    at = 1
    for match in _ENTRY.finditer(text, 1, len(text) - 1):
        if match.start() != at:
            return None
        entries[match[1].replace("\\\\", "\\")] = match[0]
        at = match.end()
        if text[at] == ",":
            at += 1
    return entries if at == len(text) - 1 and not text.endswith(",}") else None


def decode_entry(entry: str) -> tuple[list[int], list[str]]:
    """An entry's documents, in ascending order, and its weight in each (as stored)."""
    listed = entry[entry.index(":[") + 2 : -1]
    parts = listed.split(",") if listed else []
    return list(itertools.accumulate(map(int, parts[::2]))), parts[1::2]


def _deltas(numbers: list[int], weights: list[str]) -> str:
    """`delta,weight,delta,weight…`, made by C loops: there are hundreds of thousands."""
    deltas = map(operator.sub, numbers, itertools.chain((0,), numbers))
    return ",".join(itertools.chain.from_iterable(zip(map(str, deltas), weights, strict=True)))


def _json_string(term: str) -> str:
    # A term is letters, digits, CJK, or a TeX command (`\\mathcal{l}`): only its backslashes
    # need escaping, and json.dumps would cost more than the rest of the shard.
    return '"' + term.replace("\\", "\\\\") + '"'
