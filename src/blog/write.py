"""Write the site atomically: everything goes to a staging folder next to the output, which is
swapped in only when complete. A failed build leaves the previous output untouched.

A file whose bytes did not change is not rewritten: the previous output file is hard-linked into
the staging folder, so it keeps its inode and mtime (rsync, `actions/upload-pages-artifact` and
browser caches see it as unchanged) while the swap stays atomic. The staging functions are plain
functions of two paths so that worker processes can write pages in parallel.
"""

from __future__ import annotations

import os
import shutil
import stat
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
    """A file of the site: rendered text, or a copy of a static file."""

    path: str  # relative, with `/`
    source: str  # what made it, for collision messages
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


def collect(files: Iterable[OutputFile]) -> dict[str, OutputFile]:
    """Later static files override earlier ones (site over theme); anything else colliding, or
    escaping the output folder, is an error."""
    chosen: dict[str, OutputFile] = {}
    for item in files:
        parts = item.path.split("/")
        if item.path.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise BlogError.at(f"refusing to write outside the output: {item.path}", item.source)
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


_made_folders: set[str] = set()  # folders already created in the staging folder


def open_staging(out: Path) -> Path:
    check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _made_folders.clear()
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))


def _target(staging: Path, relative: str) -> str:
    # Plain strings and os calls: a build stages thousands of files, and pathlib is slow at it.
    target = os.path.join(staging, relative)
    folder = os.path.dirname(target)
    if folder not in _made_folders:
        os.makedirs(folder, exist_ok=True)
        _made_folders.add(folder)
    return target


def stage_bytes(staging: Path, out: Path, relative: str, content: bytes) -> bool:
    """Put `content` at `relative`; True when the previous output had exactly these bytes (and
    its file was kept)."""
    target = _target(staging, relative)
    old = os.path.join(out, relative)
    if _same_bytes(old, content) and _keep(old, target):
        return True
    with open(target, "wb") as file:
        file.write(content)
    return False


def stage_copy(staging: Path, out: Path, relative: str, source: Path) -> bool:
    """Copy a static file, keeping its mtime; True when the previous output already held it
    (same size and mtime, as rsync judges, or else the same bytes)."""
    target = _target(staging, relative)
    old = os.path.join(out, relative)
    same = is_copy_of(old, source) or _same_bytes(old, source.read_bytes())
    if same and _keep(old, target):
        return True
    shutil.copy2(source, target, follow_symlinks=False)
    return False


def stage_kept(staging: Path, out: Path, relative: str) -> bool:
    """Carry a file over from the previous output unchanged; False if that is not possible."""
    old = os.path.join(out, relative)
    try:
        if not stat.S_ISREG(os.lstat(old).st_mode):
            return False
    except OSError:
        return False
    return _keep(old, _target(staging, relative))


def is_copy_of(old: str | Path, source: Path) -> bool:
    try:
        mine, theirs = os.lstat(old), os.stat(source)
    except OSError:
        return False
    return (
        stat.S_ISREG(mine.st_mode)
        and mine.st_size == theirs.st_size
        and mine.st_mtime_ns == theirs.st_mtime_ns
    )


def commit(staging: Path, out: Path, trash: Path | None = None) -> None:
    """Add the marker and swap the staging folder in as the output. The previous output is
    moved into `trash` (if given and on the same disk) and deleted in the background."""
    marker = MARKER_TEXT.encode("utf-8")
    stage_bytes(staging, out, MARKER, marker)
    os.chmod(staging, 0o755)  # mkdtemp makes it private; a published site is world-readable
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, retired / out.name)
    os.replace(staging, out)
    if trash is not None:
        try:
            trash.mkdir(parents=True, exist_ok=True)
            os.replace(retired, trash / retired.name)
            retired = trash / retired.name
        except OSError:
            pass  # another disk: delete it here
        else:
            empty_in_background(trash)
            return
    shutil.rmtree(retired, ignore_errors=True)


def empty_in_background(folder: Path) -> None:
    """Delete everything in `folder` from a detached process, so a build that replaced a big
    output does not wait for thousands of deletions; anything left is deleted next time."""
    if not hasattr(os, "fork"):
        _empty(folder)
        return
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            if os.fork() == 0:  # the grandchild is adopted by init, which reaps it
                os.setsid()
                # Let go of stdout/stderr, or a caller reading them would wait for us.
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.closerange(3, 4096)
                _empty(folder)
        finally:
            os._exit(0)
    os.waitpid(child, 0)


def _empty(folder: Path) -> None:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        shutil.rmtree(entry, ignore_errors=True)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def _same_bytes(old: str, content: bytes) -> bool:
    """The previous output file holds exactly `content` (and is a plain file of ours)."""
    try:
        info = os.lstat(old)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(content):
            return False
        with open(old, "rb") as file:
            return file.read() == content
    except OSError:
        return False


def _keep(old: str, target: str) -> bool:
    try:
        os.link(old, target, follow_symlinks=False)
    except OSError:
        try:  # a file system without hard links: a copy that keeps the mtime
            shutil.copy2(old, target, follow_symlinks=False)
        except OSError:
            return False
    return True
