"""Files of the next output generation, put into the folder it is prepared in (see `output`).

A file whose bytes did not change is not rewritten: the live output's file is hard-linked in, so
it keeps its inode and mtime. A file is never opened for writing in place, since it may be a link
shared with the live output; new contents go to a temporary file that is renamed over it. A
`StagingFolder` is plain data (two paths and the folders it made), so worker processes are handed
one and write into the same folder in parallel.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mathblog.errors import BlogError
from mathblog.util.atomic import write_atomically

# Written into every output folder, so a later build knows it may replace that folder.
MARKER = ".blog-build"
MARKER_TEXT = "This folder is written by `blog build` and replaced on every build.\n"
# New contents are written beside their file under this suffix, then renamed over it.
TEMPORARY_SUFFIX = ".blog-tmp"


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


def _replace_with(target: str, content: bytes | Callable[[str], object]) -> None:
    """Give `target` new contents through a temporary file and a rename: the old file may be a
    hard link shared with the live output, so it is never opened for writing. The temporary
    file's name ends in our suffix, so a leftover is recognized and removed."""
    write_atomically(target, content, temporary=target + TEMPORARY_SUFFIX)


def _write_new(target: str, content: bytes) -> None:
    """Write `content` to `target`: directly when it does not exist yet (every file of a fresh
    folder), else through `_replace_with`."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        _replace_with(target, content)
        return
    with open(fd, "wb") as file:
        file.write(content)


@dataclass(slots=True)
class StagingFolder:
    """The folder the next generation is prepared in, and the live output it is compared with.
    It remembers the folders it has made, so each is made once (a build handles thousands of
    files); a worker process handed a copy remembers its own."""

    folder: Path
    live: Path
    made: set[str] = field(default_factory=set)  # folders known to exist in `folder`

    def _target(self, relative: str) -> str:
        # Plain strings and os calls: a build handles thousands of files, and pathlib is slow.
        target = os.path.join(self.folder, relative)
        parent = os.path.dirname(target)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        return target

    def put_bytes(self, relative: str, content: bytes) -> bool:
        """Make `relative` hold `content`; True when the live output already held exactly
        these bytes (its file is then shared, keeping its mtime)."""
        target = self._target(relative)
        old = os.path.join(self.live, relative)
        if _same_bytes(old, content) and _share(old, target):
            return True
        _write_new(target, content)
        return False

    def put_copy(self, relative: str, source: Path) -> bool:
        """Copy a static file, keeping its mtime; True when the live output already held it
        (same size and mtime, as rsync judges, or else the same bytes). A `source` that is a
        symlink (one `discover` allowed) is copied as the file it leads to: the output never
        holds a link."""
        target = self._target(relative)
        old = os.path.join(self.live, relative)
        same = is_copy_of(old, source) or _same_bytes(old, source.read_bytes())
        if same and _share(old, target):
            return True
        if os.path.lexists(target):
            _replace_with(target, lambda path: shutil.copy2(source, path))
        else:
            shutil.copy2(source, target)
        return False

    def put_kept(self, relative: str) -> bool:
        """Carry a file of the live output over unchanged; False if that is not possible."""
        old = os.path.join(self.live, relative)
        try:
            if not stat.S_ISREG(os.lstat(old).st_mode):
                return False
        except OSError:
            return False
        return _share(old, self._target(relative))

    def carry(self, relative: str) -> None:
        """Put a file (or symlink) of the live output in as it is, a hard link: one that no
        build made, which must not be lost. Raises OSError if that cannot be done."""
        old = os.path.join(self.live, relative)
        if not _share(old, self._target(relative)) and os.path.lexists(old):
            raise OSError(errno.EIO, "cannot carry this file into the new output", old)


def remove(folder: Path, relative: str) -> None:
    """Delete a file that is no longer part of the site, and the folders it leaves empty (from
    a spare, before a `StagingFolder` of it is made: that one then knows no folder yet)."""
    target = os.path.join(folder, relative)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(target)
    _remove_empty(folder, os.path.dirname(target))


def remove_folder(folder: Path, relative: str) -> None:
    """Delete an empty folder, and the folders it leaves empty."""
    _remove_empty(folder, os.path.join(folder, relative))


def _remove_empty(folder: Path, start: str) -> None:
    parent = start
    while len(parent) > len(str(folder)):
        try:
            os.rmdir(parent)
        except OSError:  # not empty, or gone
            break
        parent = os.path.dirname(parent)


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


def _share(old: str, target: str) -> bool:
    """Make `target` the same file as `old` (a hard link; a copy keeping the mtime where the
    file system has no hard links). Nothing to do when it already is."""
    try:
        os.link(old, target, follow_symlinks=False)
        return True
    except FileExistsError:
        pass
    except OSError:
        return _copy_keeping_mtime(old, target)
    try:
        mine, theirs = os.lstat(old), os.lstat(target)
        if (mine.st_ino, mine.st_dev) == (theirs.st_ino, theirs.st_dev):
            return True
    except OSError:
        pass
    try:
        _replace_with(target, lambda path: os.link(old, path, follow_symlinks=False))
    except OSError:
        return _copy_keeping_mtime(old, target)
    return True


def _copy_keeping_mtime(old: str, target: str) -> bool:
    """For file systems without hard links."""
    try:
        _replace_with(target, lambda path: shutil.copy2(old, path, follow_symlinks=False))
    except OSError:
        return False
    return True


_RENAME_EXCHANGE = 2  # linux/fs.h


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux's renameat2 RENAME_EXCHANGE), so there is no moment
    when neither is in place; False where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100  # AT_FDCWD
    result = renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def empty(folder: Path) -> None:
    """Delete everything in `folder`."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        throw_away_now(entry)


def throw_away_now(path: Path) -> None:
    """Delete a folder, file or symlink, as far as possible."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def link_files(source: Path, target: Path, files: Iterable[str], folders: Iterable[str]) -> bool:
    """Make `target` a copy of `files` of `source` made of hard links (`folders` are all the
    folders they are in, each after its parent); whether all were made. Stops quietly at the
    first failure: what it leaves is a spare, which the next build reconciles anyway."""
    start, copy = os.path.join(source, ""), os.path.join(target, "")
    try:
        os.mkdir(target)
        for folder in folders:
            os.mkdir(copy + folder)
        for relative in files:
            os.link(start + relative, copy + relative, follow_symlinks=False)
    except OSError:
        return False
    return True


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
