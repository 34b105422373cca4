"""Search terms: the words of a post as the search page looks them up.

`theme/static/js/search.js` splits a query with the same rules, so a change here must be made
there too (tests/test_search.py checks the two against each other through a browser).

- Text is NFKC-normalized (full-width `ＲｏＰＥ` is `RoPE`) and lowercased.
- CJK runs give every character and every pair of neighbouring characters: `位置编码` indexes
  `位 置 编 码 位置 置编 编码`. A query of two or more characters looks up its pairs, so any
  word inside a run is found without a dictionary; a one-character query looks up the character.
- Other letters and digits form words: `RoPE-2d` is `rope`, `2d`.
- TeX control sequences are words of their own, backslash kept: `\\mathcal`. A command with a
  short braced argument is also indexed whole, `\\mathcal{l}`, so the query `\\mathcal{L}` finds
  that formula and not just any `\\mathcal` and any `L`.
- Words and bare TeX commands also complete: the last word of a query as it is being typed
  (`softm`, `\\math`) finds every term that starts with it, looked up by the first
  `PREFIX_LENGTH` characters of the term (`completes`, `prefix_key`).
"""

from __future__ import annotations

import operator
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator

from mathblog.util import timings
from mathblog.util.lazy_pattern import LazyPattern
from mathblog.util.text import Cjk, cjk_ranges

# Scripts written without spaces between words: Han (with extensions), kana, Hangul.
_CJK = cjk_ranges(Cjk.UNSPACED)
# A TeX command with a short argument, a TeX command, a CJK run, or a word.
_TOKEN = LazyPattern(
    r"\\([a-z]+)\s*\{\s*([a-z0-9]{1,16})\s*\}"
    r"|(\\[a-z]+)"
    f"|([{_CJK}]+)"
    f"|([^\\W_{_CJK}]+)"  # a word: letters and digits, not CJK
)

# How much one occurrence counts, by where it is.
TITLE_WEIGHT = 10
TAG_WEIGHT = 5
HEADING_WEIGHT = 3
BODY_WEIGHT = 1  # `weighted_terms` counts on it being 1
MAX_WEIGHT = 999


# Terms are grouped by this many first characters for completion: a query word shorter than it
# completes to nothing but itself (two letters would start too many words to fetch).
PREFIX_LENGTH = 3
_CJK_START = LazyPattern(f"[{_CJK}]")


def completes(term: str) -> bool:
    """Whether `term` is found by a query word it starts with: words and bare TeX commands, not
    CJK (found by characters and pairs already) nor a command with its argument."""
    return "{" not in term and _CJK_START.match(term) is None


def prefix_key(term: str) -> str:
    return term[:PREFIX_LENGTH]


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str, *, query: bool = False) -> Iterator[str]:
    """The terms of `text` in order, repeats included. For a `query`, a CJK run of two or more
    characters gives only its pairs (each pair being indexed, the characters add nothing)."""
    for match in _TOKEN.finditer(normalize(text)):
        command, argument, control, cjk, word = match.groups()
        if command is not None:
            yield "\\" + command
            yield argument
            yield f"\\{command}{{{argument}}}"
        elif control is not None:
            yield control
        elif cjk is not None:
            if not query or len(cjk) == 1:
                yield from cjk
            for i in range(len(cjk) - 1):
                yield cjk[i : i + 2]
        else:
            yield word


def completing(text: str) -> str | None:
    """The word or bare TeX command that a query ends in, being typed (`softm`, `\\math`):
    search.js looks it up by prefix. None when the query ends in a space, CJK or punctuation."""
    normalized = normalize(text)
    last = None
    for match in _TOKEN.finditer(normalized):
        last = match
    if last is None or last.end() != len(normalized):
        return None
    return last[3] or last[5]


def all_terms(text: str) -> list[str]:
    """`list(tokens(text))`, made faster for indexing whole posts (thousands of terms each): no
    generator, and a CJK run's characters and pairs are added by C loops."""
    found: list[str] = []
    append, extend = found.append, found.extend
    for command, argument, control, cjk, word in _TOKEN.findall(normalize(text)):
        if word:
            append(word)
        elif cjk:
            extend(cjk)
            extend(map(operator.add, cjk, cjk[1:]))
        elif control:
            append(control)
        else:
            extend(("\\" + command, argument, f"\\{command}{{{argument}}}"))
    return found


@timings.timed("search terms")
def weighted_terms(
    title: str, tags: Iterable[str], body: str, headings: Iterable[str] = ()
) -> dict[str, int]:
    """Each term of a post and its weight: occurrences, a title's counting most, then a tag's,
    then a heading's (whose words are in `body` too)."""
    counts = Counter(all_terms(body))  # BODY_WEIGHT is 1
    weighted = ((title, TITLE_WEIGHT), (" ".join(tags), TAG_WEIGHT))
    for text, weight in (*weighted, ("\n".join(headings), HEADING_WEIGHT)):
        for term in all_terms(text):
            counts[term] += weight
    return {term: min(weight, MAX_WEIGHT) for term, weight in counts.items()}


def encode_terms(terms: dict[str, int]) -> str:
    """`term weight term weight …` in sorted order: one string pickles and loads far faster than
    a dict (terms never contain a space)."""
    return " ".join(f"{term} {weight}" for term, weight in sorted(terms.items()))


def decode_terms(encoded: str) -> Iterator[tuple[str, int]]:
    if not encoded:
        return
    parts = iter(encoded.split(" "))
    for term, weight in zip(parts, parts, strict=True):
        yield term, int(weight)
