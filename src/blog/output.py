"""The output folder, replaced atomically, in time proportional to what changed.

A build never writes into the live output folder. It prepares the next generation in another
folder and swaps the two with renames, so a failed or killed build leaves the live site as it was.
Files that did not change are hard links to the live ones, so they keep their inode and mtime
(rsync, `actions/upload-pages-artifact` and browser caches see them as unchanged).

The generation being replaced is not deleted: it becomes the *spare*, in `.blog-cache/`, and the
next build prepares its output by reconciling the spare with the new site (most of its files are
already links to the live ones) instead of building a whole new tree. Editing one post of 10,000
then writes a few dozen files, not 10,000 folders. Every file of the spare is checked against
what the site needs, and anything else in it is deleted, so a spare left half-updated by a killed
build, or touched by hand, is still made exact.

`manifest.json` records, for each file of the live output, the key it was rendered from and the
size, mtime and inode it was left with: a page whose key is the same and whose file is still as
the build left it (not edited or deleted since) is not rendered again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .fingerprints import digest
from .write import (
    MARKER,
    MARKER_TEXT,
    check_output_folder,
    empty,
    exchange,
    forget_folders,
    in_background,
    link_tree,
    put_bytes,
    put_kept,
    remove,
)

# (key or None for copies, size, mtime_ns, inode)
Entry = tuple[str | None, int, int, int]


def _read_json(file: Path) -> object:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(file: Path, value: object) -> None:
    temporary = file.with_name(file.name + ".tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, file)


def _entries(raw: object) -> dict[str, Entry]:
    if not isinstance(raw, dict):
        return {}
    entries: dict[str, Entry] = {}
    for path, value in raw.items():
        if isinstance(value, list) and len(value) == 4:
            key, size, mtime, inode = value
            entries[path] = (key, size, mtime, inode)
    return entries


@dataclass(slots=True)
class Stage:
    """The folder the next generation is prepared in."""

    folder: Path
    is_spare: bool


@dataclass(slots=True)
class Output:
    """One output folder: what its last build wrote (`live`), and where its spare is kept."""

    out: Path
    state: Path | None  # .blog-cache/output-<id>/, or None when it cannot be used
    live: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path, out: Path, *, read: bool = True) -> Output:
        from .math_cache import CACHE_DIR

        cls(out, None).recover()
        check_output_folder(out)
        state: Path | None = root / CACHE_DIR / f"output-{digest(str(out))[:16]}"
        if not _same_disk(out.parent, root):
            state = None  # the spare must be on the output's disk, for renames
        output = cls(out, state)
        if read and state is not None:
            output.live = _entries(_read_json(state / "manifest.json"))
        return output

    def unchanged(self, relative: str, key: str) -> bool:
        """The last build made this file from the same key, and it is still as that build left
        it (not edited or deleted since)."""
        entry = self.live.get(relative)
        if entry is None or entry[0] != key:
            return False
        try:
            info = os.lstat(os.path.join(self.out, relative))
        except OSError:
            return False
        return (info.st_size, info.st_mtime_ns, info.st_ino) == entry[1:]

    def keep(self, stage: Stage, relative: str) -> bool:
        """Carry a file that `unchanged` approved over into `stage`; in the spare it is usually
        already the same file (a link), which one lstat confirms."""
        entry = self.live.get(relative)
        if stage.is_spare and entry is not None:
            try:
                if os.lstat(os.path.join(stage.folder, relative)).st_ino == entry[3]:
                    return True
            except OSError:
                pass
        return put_kept(stage.folder, self.out, relative)

    def begin(self, wanted: Collection[str]) -> Stage:
        """The spare, with every file the site no longer has (or never had) deleted; or, if
        there is none, a fresh folder beside the output."""
        forget_folders()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        if self.state is not None:
            spare = self.state / "spare"
            if spare.is_dir() and not spare.is_symlink():
                for relative in set(_walk(spare)).difference(wanted):
                    remove(spare, relative)
                return Stage(spare, is_spare=True)
        folder = tempfile.mkdtemp(prefix=f".{self.out.name}.staging-", dir=self.out.parent)
        return Stage(Path(folder), is_spare=False)

    def commit(self, stage: Stage, keys: Mapping[str, str | None]) -> None:
        """Make `stage` the live output with exactly the files in `keys`, and record them."""
        put_bytes(stage.folder, self.out, MARKER, MARKER_TEXT.encode("utf-8"))
        os.chmod(stage.folder, 0o755)  # mkdtemp makes it private; a site is world-readable
        previous = self._swap(stage.folder)
        if self.state is None:
            if previous is not None:
                shutil.rmtree(previous, ignore_errors=True)
            return
        self.state.mkdir(parents=True, exist_ok=True)
        if previous is not None:
            self._keep_as_spare(previous)
        self._record(keys)
        spare = self.state / "spare"
        if previous is None and not spare.exists():
            # A first build has no generation to keep: make the spare the next build needs
            # (links to this output) in the background, so the first edit is as quick as later.
            in_background(lambda: link_tree(self.out, spare))

    def abandon(self, stage: Stage) -> None:
        """A failed build: the live output was never touched. A half-updated spare stays (the
        next build reconciles it); a fresh folder is thrown away."""
        if not stage.is_spare:
            self._throw_away(stage.folder)

    def _swap(self, folder: Path) -> Path | None:
        """Put `folder` in place of the output; returns where the previous output now is."""
        if not self.out.exists():
            os.replace(folder, self.out)
            return None
        if exchange(folder, self.out):
            return folder  # one atomic step: the previous output took the folder's place
        # Two renames: a build killed between them leaves the output in the holder, and the
        # next build puts it back (`recover`).
        holder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old-", dir=self.out.parent))
        os.replace(self.out, holder / self.out.name)
        os.replace(folder, self.out)
        return holder / self.out.name

    def _keep_as_spare(self, previous: Path) -> None:
        assert self.state is not None
        spare = self.state / "spare"
        if previous == spare:
            return  # swapped with the spare it was prepared in
        self._throw_away(spare)
        holder = previous.parent if previous.parent.name.startswith(self._holder_prefix) else None
        try:
            os.replace(previous, spare)
        except OSError:
            shutil.rmtree(holder or previous, ignore_errors=True)
            return
        if holder is not None:
            with contextlib.suppress(OSError):
                holder.rmdir()

    @property
    def _holder_prefix(self) -> str:
        return f".{self.out.name}.old-"

    def recover(self) -> None:
        """If a build was killed between the two renames of a swap, the output is missing and
        sits in a holder folder beside it: put it back."""
        if self.out.exists():
            return
        for holder in sorted(self.out.parent.glob(self._holder_prefix + "*")):
            kept = holder / self.out.name
            if kept.is_dir() and (kept / MARKER).is_file():
                os.replace(kept, self.out)
                with contextlib.suppress(OSError):
                    holder.rmdir()
                return

    def _record(self, keys: Mapping[str, str | None]) -> None:
        assert self.state is not None
        entries: dict[str, list[object]] = {}
        for relative, key in keys.items():
            try:
                info = os.lstat(os.path.join(self.out, relative))
            except OSError:
                continue
            entries[relative] = [key, info.st_size, info.st_mtime_ns, info.st_ino]
        with contextlib.suppress(OSError):
            _write_json(self.state / "manifest.json", entries)

    def _throw_away(self, folder: Path) -> None:
        """Move a folder into the trash, emptied by a background process."""
        if not folder.exists():
            return
        if self.state is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        trash = self.state.parent / "trash"
        try:
            trash.mkdir(parents=True, exist_ok=True)
            os.replace(folder, trash / f"{folder.name}-{os.getpid()}-{id(folder)}")
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            return
        in_background(lambda: empty(trash))


def _same_disk(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _walk(folder: Path) -> Iterator[str]:
    """Every file and symlink under `folder`, relative with `/`; symlinks are not followed."""
    start = len(os.path.join(folder, ""))
    pending = [str(folder)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    yield entry.path[start:].replace(os.sep, "/")
