"""Fixture files in markdown-it-py's format: a title line, `.`, input, `.`, expected output, `.`.

Set BLOG_UPDATE_FIXTURES=1 to rewrite the expected sections from the current output; then read
the diff before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from markdown_it.utils import read_fixture_file

FIXTURES = Path(__file__).parent / "fixtures"
UPDATE = os.environ.get("BLOG_UPDATE_FIXTURES") == "1"


def cases(name: str) -> list[tuple[str, int, str, str, str]]:
    """(file, line, title, input, expected) for each case of `fixtures/<name>`."""
    path = FIXTURES / name
    return [
        (name, line + 1, title, given, expected)
        for line, title, given, expected in read_fixture_file(path)
    ]


def case_id(case: tuple[str, int, str, str, str]) -> str:
    return f"{case[0]}:{case[1]}:{case[2]}"


def rewrite(name: str, produce: Callable[[str, str], str]) -> None:
    """Regenerate the expected outputs of a fixture file with `produce(title, input)`."""
    path = FIXTURES / name
    blocks = []
    for _, title, given, _ in read_fixture_file(path):
        blocks.append(f"{title}\n.\n{given}.\n{produce(title, given)}.\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
