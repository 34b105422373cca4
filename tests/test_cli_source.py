"""`-s/--source`, declared once, taken by every command that works on a site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mathblog.cli import _parser


@pytest.mark.parametrize(
    "command", [["build"], ["check"], ["serve"], ["new", "A title"]], ids=lambda c: c[0]
)
def test_site_commands_take_the_site_folder(command: list[str]) -> None:
    for flag in ("-s", "--source"):
        assert _parser().parse_args([*command, flag, "notes"]).source == Path("notes")
    assert _parser().parse_args(command).source == Path(".")


def test_init_takes_a_folder_not_a_source() -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["init", "site", "-s", "x"])


def test_new_writes_into_the_source_folder(tmp_path: Path) -> None:
    site = tmp_path / "notes"
    (site / "posts").mkdir(parents=True)
    (site / "site.toml").write_text('title = "Notes"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mathblog", "new", "Hello", "--slug", "hello", "-s", str(site)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (site / "posts" / "hello.md").is_file()
