"""Counting text the way a Chinese/English reader does: one CJK character or one Latin word."""

from __future__ import annotations

import math
import re
from enum import Flag, auto

from mathblog.util.lazy_pattern import LazyPattern


class Cjk(Flag):
    """Kinds of CJK code points. Each user takes the union it needs from the one table below."""

    HAN = auto()  # ideographs of the Basic Multilingual Plane
    HAN_SUPPLEMENT = auto()  # ideographs beyond it (extensions B and later, compatibility)
    KANA = auto()
    OTHER_SCRIPT = auto()  # Hangul, jamo, bopomofo, strokes, kana extensions
    RADICAL = auto()
    PUNCTUATION = auto()  # CJK and full-width punctuation
    FULLWIDTH_DIGIT = auto()
    FULLWIDTH_OTHER = auto()  # full-width letters, half-width kana and Hangul, symbols

    # Scripts written without spaces between words (search terms; search.js keeps a copy).
    UNSPACED = HAN | HAN_SUPPLEMENT | KANA | OTHER_SCRIPT
    # What spacing puts a space beside Latin letters and digits.
    IDEOGRAPH = HAN | KANA
    # Each character is a unit of reading (word counts, excerpts, emphasis, line joining).
    READING = UNSPACED | RADICAL | PUNCTUATION | FULLWIDTH_DIGIT | FULLWIDTH_OTHER
    # Marks that show a formula in dollar signs is really prose.
    PROSE_MARK = PUNCTUATION | FULLWIDTH_DIGIT


# The one table of CJK ranges: (first, last, kind).
CJK_TABLE: tuple[tuple[str, str, Cjk], ...] = (
    ("\u2e80", "\u2fdf", Cjk.RADICAL),
    ("\u3000", "\u303f", Cjk.PUNCTUATION),
    ("\u3040", "\u30ff", Cjk.KANA),
    ("\u3100", "\u312f", Cjk.OTHER_SCRIPT),
    ("\u3130", "\u318f", Cjk.OTHER_SCRIPT),
    ("\u31a0", "\u31ff", Cjk.OTHER_SCRIPT),
    ("\u3400", "\u4dbf", Cjk.HAN),
    ("\u4e00", "\u9fff", Cjk.HAN),
    ("\uac00", "\ud7af", Cjk.OTHER_SCRIPT),
    ("\uf900", "\ufaff", Cjk.HAN),
    ("\ufe30", "\ufe4f", Cjk.PUNCTUATION),
    ("\uff00", "\uff0f", Cjk.PUNCTUATION),
    ("\uff10", "\uff19", Cjk.FULLWIDTH_DIGIT),
    ("\uff1a", "\uff20", Cjk.PUNCTUATION),
    ("\uff21", "\uffef", Cjk.FULLWIDTH_OTHER),
    ("\U00020000", "\U0002fa1f", Cjk.HAN_SUPPLEMENT),
)


def cjk_ranges(kinds: Cjk) -> str:
    """The ranges of `kinds`, for inside a regex character class: `f"[{cjk_ranges(Cjk.HAN)}]"`."""
    return "".join(f"{first}-{last}" for first, last, kind in CJK_TABLE if kind & kinds)


CJK_RANGES = cjk_ranges(Cjk.READING)
CJK_CHAR = LazyPattern(f"[{CJK_RANGES}]")
_CJK_PUNCT = LazyPattern(f"[{cjk_ranges(Cjk.PUNCTUATION)}]")
# A run of non-space characters with a letter or digit in it (`[^\W_]` is exactly
# `str.isalnum`): a word, once each CJK character is a space. It starts only where such a run
# starts (the lookbehind), so each run is read once, however long.
_WORD = re.compile(r"(?<!\S)\S*?[^\W_]\S*")
_ASCII_WORD = re.compile(r"(?<!\S)\S*?[A-Za-z0-9]\S*")

CJK_PER_MINUTE = 400
WORDS_PER_MINUTE = 200


def is_cjk(char: str) -> bool:
    return bool(CJK_CHAR.match(char))


def count_units(text: str) -> tuple[int, int]:
    """(CJK characters, Latin words) in `text`; CJK punctuation counts as neither."""
    if text.isascii():  # most pieces of a mixed note; skip the CJK passes
        return 0, len(_ASCII_WORD.findall(text))
    # A CJK character ends a Latin word as a space does: one pass counts them and makes them
    # spaces (a pattern with the CJK ranges in it is slow to compile; this one has them once).
    spaced, cjk = CJK_CHAR.subn(" ", text)
    return cjk - len(_CJK_PUNCT.findall(text)), len(_WORD.findall(spaced))


def units(text: str) -> int:
    cjk, words = count_units(text)
    return cjk + words


def reading_minutes(cjk: int, words: int) -> int:
    return max(1, math.ceil(cjk / CJK_PER_MINUTE + words / WORDS_PER_MINUTE))


def counted(number: int, noun: str, plural: str = "") -> str:
    """`1 post`, `2 posts`, `0 posts`; `plural` for a noun that does not just take an s."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
