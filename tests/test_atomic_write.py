"""The one atomic writer: a temporary file in the same folder, a rename, nothing left on failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mathblog.util.atomic import write_atomically


def test_new_contents_replace_the_old_and_a_shared_hard_link_keeps_its_bytes(
    tmp_path: Path,
) -> None:
    target = tmp_path / "page.html"
    target.write_bytes(b"old")
    shared = tmp_path / "live.html"
    os.link(target, shared)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert shared.read_bytes() == b"old"  # the old file was never opened for writing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.html", "page.html"]


def test_a_writer_function_gets_a_temporary_path_in_the_same_folder(tmp_path: Path) -> None:
    source = tmp_path / "source.png"
    source.write_bytes(b"\x89PNG")
    target = tmp_path / "out" / "a.png"
    target.parent.mkdir()
    seen: list[str] = []

    def copy(path: str) -> None:
        seen.append(path)
        shutil.copy2(source, path)

    write_atomically(target, copy)
    assert target.read_bytes() == b"\x89PNG"
    assert Path(seen[0]).parent == target.parent and Path(seen[0]) != target
    assert not Path(seen[0]).exists()


def test_a_fixed_temporary_name_is_used_as_given(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    seen: list[str] = []

    def write(path: str) -> None:
        seen.append(path)
        Path(path).write_text("<p>", encoding="utf-8")

    write_atomically(target, write, temporary=str(target) + ".part")
    assert seen == [str(target) + ".part"]
    assert target.read_text(encoding="utf-8") == "<p>"


@pytest.mark.parametrize("temporary", [None, "fixed"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, temporary: str | None
) -> None:
    target = tmp_path / "manifest.json"
    target.write_bytes(b"{}")

    def fail(path: str) -> None:
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    fixed = str(tmp_path / "manifest.json.tmp") if temporary else None
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, fail, temporary=fixed)
    assert target.read_bytes() == b"{}"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
