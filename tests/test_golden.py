"""A small real site built and compared, file by file, with the expected output it ships."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixtures import UPDATE
from sites import REPO, run_blog

GOLDEN = REPO / "tests/sites/golden"
EXPECTED = GOLDEN / "expected"
# Stylesheets and fonts (with its licence) come from the theme and Pygments; the golden test is
# about the pages, the search index and robots.txt.
COMPARED = ("*.html", "*.xml", "*.json", "*.txt")
THEME_ASSETS = ("fonts/",)


def pages(folder: Path) -> dict[str, str]:
    return {
        name: path.read_text(encoding="utf-8")
        for pattern in COMPARED
        for path in sorted(folder.rglob(pattern))
        if not (name := path.relative_to(folder).as_posix()).startswith(THEME_ASSETS)
    }


def test_golden_site(tmp_path: Path) -> None:
    site = tmp_path / "golden"
    shutil.copytree(GOLDEN, site, ignore=shutil.ignore_patterns("expected"))
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    built = pages(site / "public")
    if UPDATE:
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for name, text in built.items():
            (EXPECTED / name).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / name).write_text(text, encoding="utf-8")
        pytest.skip("expected output rewritten; review the diff")
    expected = pages(EXPECTED)
    assert sorted(built) == sorted(expected)
    for name, text in expected.items():
        assert built[name] == text, name
