"""Counting text the way a Chinese/English reader does: one CJK character or one Latin word."""

from __future__ import annotations

import math
import re

# Han, kana, Hangul and CJK punctuation/full-width forms: each character is a unit of reading.
CJK_RANGES = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0002fa1f"
)
CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
_CJK_PUNCT = re.compile(r"[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\ufe30-\ufe4f]")
_LATIN_WORD = re.compile(f"[^\\s{CJK_RANGES}]+")
# An ASCII run of non-spaces with a letter or digit in it: a word, as `_LATIN_WORD` + isalnum.
_ASCII_WORD = re.compile(r"(?<!\S)\S*?[A-Za-z0-9]\S*")

CJK_PER_MINUTE = 400
WORDS_PER_MINUTE = 200


def is_cjk(char: str) -> bool:
    return bool(CJK_CHAR.match(char))


def count_units(text: str) -> tuple[int, int]:
    """(CJK characters, Latin words) in `text`; CJK punctuation counts as neither."""
    if text.isascii():  # most pieces of a mixed note; skip the CJK passes
        return 0, len(_ASCII_WORD.findall(text))
    cjk = len(CJK_CHAR.findall(text)) - len(_CJK_PUNCT.findall(text))
    words = sum(1 for w in _LATIN_WORD.findall(text) if any(c.isalnum() for c in w))
    return cjk, words


def units(text: str) -> int:
    cjk, words = count_units(text)
    return cjk + words


def reading_minutes(cjk: int, words: int) -> int:
    return max(1, math.ceil(cjk / CJK_PER_MINUTE + words / WORDS_PER_MINUTE))
