"""Write the site atomically: everything goes to a staging folder next to the output, which is
swapped in only when complete. A failed build leaves the previous output untouched.

A file whose bytes did not change is not rewritten: the previous output file is hard-linked into
the staging folder, so it keeps its inode and mtime (rsync, `actions/upload-pages-artifact` and
browser caches see it as unchanged) while the swap stays atomic."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import BlogError

# Written into every output folder, so a later build knows it may replace that folder.
MARKER = ".blog-build"
MARKER_TEXT = "This folder is written by `blog build` and replaced on every build.\n"


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative, with `/`
    source: str  # what made it, for collision messages
    text: str | None = None
    copy_from: Path | None = None


def check_output_folder(out: Path) -> None:
    """Refuse to replace a folder that a build of ours did not make (it may be the user's work)."""
    if out.is_file():
        raise BlogError.at(
            f"output path {out} is a file",
            hint="choose a folder with --output or `output_dir` in site.toml",
        )
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise BlogError.at(
            f"output folder {out} is not empty and was not made by `blog build`; "
            "refusing to replace it",
            hint="delete it yourself, or choose another folder with --output",
        )


def _collect(files: Iterable[OutputFile]) -> dict[str, OutputFile]:
    """Later static files override earlier ones (site over theme); pages never collide."""
    chosen: dict[str, OutputFile] = {}
    for item in files:
        clash = chosen.get(item.path)
        overriding = (
            clash is not None and clash.copy_from is not None and item.copy_from is not None
        )
        if clash is not None and not overriding:
            raise BlogError.at(
                f"two things write {item.path}: {clash.source} and {item.source}",
                item.source,
                hint="rename the post's slug or the static file",
            )
        chosen[item.path] = item
    return chosen


@dataclass(frozen=True, slots=True)
class WriteReport:
    files: int
    unchanged: int  # kept from the previous output, bytes and mtime


def _content(item: OutputFile) -> bytes:
    if item.copy_from is not None:
        return item.copy_from.read_bytes()
    return (item.text or "").encode("utf-8")


def _previous(out: Path, relative: str, content: bytes) -> Path | None:
    """The previous output file if it holds exactly `content` (and is a plain file of ours)."""
    old = out / relative
    try:
        if old.is_symlink() or not old.is_file() or old.stat().st_size != len(content):
            return None
        return old if old.read_bytes() == content else None
    except OSError:
        return None


def write_site(out: Path, files: Iterable[OutputFile]) -> WriteReport:
    """Write all files and swap them into `out`."""
    check_output_folder(out)
    chosen = _collect(files)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    unchanged = 0
    try:
        for relative, item in sorted(chosen.items()):
            target = (staging / relative).resolve()
            if staging.resolve() not in target.parents:
                raise BlogError.at(f"refusing to write outside the output: {relative}", item.source)
            target.parent.mkdir(parents=True, exist_ok=True)
            content = _content(item)
            old = _previous(out, relative, content)
            if old is not None and _keep(old, target):
                unchanged += 1
            else:
                target.write_bytes(content)
        marker = MARKER_TEXT.encode("utf-8")
        old_marker = _previous(out, MARKER, marker)
        if old_marker is None or not _keep(old_marker, staging / MARKER):
            (staging / MARKER).write_bytes(marker)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteReport(len(chosen), unchanged)


def _keep(old: Path, target: Path) -> bool:
    try:
        os.link(old, target, follow_symlinks=False)
    except OSError:
        try:  # a file system without hard links: a copy that keeps the mtime
            shutil.copy2(old, target, follow_symlinks=False)
        except OSError:
            return False
    return True


def _swap(staging: Path, out: Path) -> None:
    os.chmod(staging, 0o755)  # mkdtemp makes it private; a published site is world-readable
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, retired / out.name)
    os.replace(staging, out)
    shutil.rmtree(retired, ignore_errors=True)
