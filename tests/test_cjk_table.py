"""The one table of CJK ranges and the subsets its users take from it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import mathblog
from mathblog.search.tokens import all_terms
from mathblog.util.text import CJK_TABLE, Cjk, cjk_ranges, count_units, is_cjk

SEARCH_JS = Path(mathblog.__file__).parent / "theme" / "static" / "js" / "search.js"


def _code_points(ranges: str) -> set[int]:
    pairs = re.findall(r"(.)-(.)", ranges, re.S)
    return {point for first, last in pairs for point in range(ord(first), ord(last) + 1)}


def test_rows_are_sorted_and_disjoint() -> None:
    bounds = [(ord(first), ord(last)) for first, last, _ in CJK_TABLE]
    assert all(first <= last for first, last in bounds)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(bounds))


def test_subsets_nest_as_their_users_expect() -> None:
    han, ideograph = _code_points(cjk_ranges(Cjk.HAN)), _code_points(cjk_ranges(Cjk.IDEOGRAPH))
    unspaced, reading = (
        _code_points(cjk_ranges(Cjk.UNSPACED)),
        _code_points(cjk_ranges(Cjk.READING)),
    )
    punctuation = _code_points(cjk_ranges(Cjk.PUNCTUATION))
    assert han < ideograph < unspaced < reading
    assert punctuation < reading and not punctuation & unspaced
    assert ord("，") in punctuation and ord("。") in punctuation and ord("１") not in punctuation


def test_search_js_splits_on_the_same_scripts() -> None:
    source = SEARCH_JS.read_text(encoding="utf-8")
    literal = re.search(r"var CJK =\s*((?:\"[^\"]*\"\s*\+?\s*)+);", source)
    assert literal is not None
    escaped = "".join(re.findall(r"\"([^\"]*)\"", literal.group(1)))
    text = re.sub(r"\\\\u\{?([0-9a-fA-F]{4,5})\}?", lambda m: chr(int(m.group(1), 16)), escaped)
    assert _code_points(text) == _code_points(cjk_ranges(Cjk.UNSPACED))


def test_each_user_reads_its_subset() -> None:
    # Reading units: CJK punctuation is a CJK character but counts as no unit; each full-width
    # letter is a unit.
    assert count_units("位置编码，RoPE 和 ｈｉ") == (7, 1)
    assert is_cjk("，") and is_cjk("ア") and is_cjk("한") and not is_cjk("a")
    # Search: Hangul and kana are split like Han; full-width letters are a word after NFKC.
    assert all_terms("한국 カナ ＲｏＰＥ") == ["한", "국", "한국", "カ", "ナ", "カナ", "rope"]


_PIECES = st.sampled_from(
    [*"ab1_-. \n\t$", "，", "。", "扩", "散", "é", "２", "Ａ", "\u3000", "ß", "٣", "\U00020001"]
)


@given(st.lists(_PIECES, max_size=30))
def test_a_latin_word_is_a_run_of_neither_space_nor_cjk_with_a_letter_or_digit(
    pieces: list[str],
) -> None:
    text = "".join(pieces)
    runs = re.findall(f"[^\\s{cjk_ranges(Cjk.READING)}]+", text)
    assert count_units(text)[1] == sum(any(c.isalnum() for c in run) for run in runs)


def test_a_long_run_without_a_word_is_read_once() -> None:
    """No input may hang the build: the word pattern starts only where a run starts."""
    assert count_units("-" * 1_000_000 + "扩") == (1, 0)
