"""`slugify`, case by case from tests/fixtures/slugs.txt, and what holds for any text."""

from __future__ import annotations

import ast
import unicodedata

import pytest
from fixtures import FIXTURES
from hypothesis import given
from hypothesis import strategies as st

from mathblog.util.urls import slugify


def slug_cases() -> list[tuple[int, str, str]]:
    """(line, input, expected) for each `"input" -> "slug"` line of fixtures/slugs.txt."""
    found = []
    lines = (FIXTURES / "slugs.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        given, arrow, expected = line.partition(" -> ")
        assert arrow, f'slugs.txt:{number}: expected `"input" -> "slug"`'
        found.append((number, ast.literal_eval(given), ast.literal_eval(expected)))
    return found


@pytest.mark.parametrize(
    ("line", "text", "slug"), slug_cases(), ids=[f"slugs.txt:{c[0]}" for c in slug_cases()]
)
def test_slug(line: int, text: str, slug: str) -> None:
    assert slugify(text) == slug


@given(st.text())
def test_any_text_gives_one_path_segment_in_nfc(text: str) -> None:
    slug = slugify(text)
    assert slug
    assert unicodedata.is_normalized("NFC", slug)
    assert not slug.startswith(".") and not slug.endswith("-")
    assert not set(slug) & set('/\\?#%*:|"<>[] \t\n\x00')
    assert slugify(unicodedata.normalize("NFD", text)) == slug


@given(st.text(st.characters(max_codepoint=0x7F)))
def test_ascii_case_does_not_matter(text: str) -> None:
    assert slugify(text.upper()) == slugify(text.lower())
