"""The output folder, replaced atomically, in time proportional to what changed.

A build never writes into the live output folder. It prepares the next generation in another
folder and swaps the two with renames, so a failed or killed build leaves the live site as it was.
Files that did not change are hard links to the live ones, so they keep their inode and mtime
(rsync, `actions/upload-pages-artifact` and browser caches see them as unchanged).

The generation being replaced is not deleted: it becomes the *spare*, in `.blog-cache/`, and the
next build prepares its output by reconciling the spare with the new site (most of its files are
already links to the live ones) instead of building a whole new tree. Editing one post of 10,000
then writes a few dozen files, not 10,000 folders. Every file of the spare is checked against
what the site needs, and anything else in it is deleted. The files are those of `spare.json`,
which the build that left the spare wrote (the previous output's manifest, and what was kept in
it), and which a build deletes before it changes the spare: without it (a killed build, or
`--no-cache`) the spare is walked, so one left half-updated is still made exact. (A file put
into `.blog-cache/` by hand is not looked for.) `spare.json` also lists the files that may not
be links to the live output (those its build did not carry over): each of the others is known
to be the live file, and is kept without an lstat.

`manifest.json` records, for each file of the live output, the key it was rendered from and the
size, mtime and inode it was left with: a page whose key is the same and whose file is still as
the build left it (not edited or deleted since) is not rendered again.

Files that someone put into the live output (a `CNAME`, a `.git/` to deploy from) are *kept*:
carried into every new generation, and named in a warning. They are found without walking the
whole output: a file added to a folder changes that folder's mtime, so only the folders changed
since the last swap (`kept.json` has the file system's time just before it) are listed, and the
files kept last time are looked up by name. Without a manifest (a deleted `.blog-cache/`) every
folder is listed, and everything the site does not make is kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mathblog.output.files import (
    MARKER,
    MARKER_TEXT,
    TEMPORARY_SUFFIX,
    StagingFolder,
    check_output_folder,
    empty,
    exchange,
    link_files,
    remove,
    remove_folder,
    throw_away_now,
)
from mathblog.util.atomic import write_atomically
from mathblog.util.digests import digest
from mathblog.util.fs_clock import file_system_time
from mathblog.util.urls import escapes

# (key or None for copies, size, mtime_ns, inode)
Entry = tuple[str | None, int, int, int]

SPARE = "spare"
# Every file of the spare, written when a build leaves it and deleted before one changes it:
# while it is there the spare is as listed, and the next build need not walk it.
INVENTORY = "spare.json"
# Version control folders are how some people deploy (committing `public/`): kept, not warned of.
REPOSITORIES = frozenset({".git", ".hg", ".svn"})


def _read_json(file: Path) -> object:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(file: Path, value: object) -> None:
    write_atomically(file, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _entries(raw: object) -> dict[str, Entry]:
    if not isinstance(raw, dict):
        return {}
    entries: dict[str, Entry] = {}
    for path, value in raw.items():
        if isinstance(value, list) and len(value) == 4:
            key, size, mtime, inode = value
            entries[path] = (key, size, mtime, inode)
    return entries


def _kept_record(raw: object) -> tuple[tuple[str, ...], int | None]:
    """`kept.json`: the names kept by the last build, and the file system's time before its
    swap."""
    if not isinstance(raw, dict):
        return (), None
    names = raw.get("kept")
    stamp = raw.get("stamp")
    kept = tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ()
    return kept, stamp if isinstance(stamp, int) else None


@dataclass(frozen=True, slots=True)
class Kept:
    """What the live output holds that no build made, and is carried into the next one."""

    names: tuple[str, ...] = ()  # as found, sorted: files, and folders as `name/`
    files: tuple[str, ...] = ()  # every file and symlink in them, relative to the output
    folders: tuple[str, ...] = ()  # every folder in them, each after its parent


@dataclass(slots=True)
class Stage:
    """The folder the next generation is prepared in."""

    files: StagingFolder  # what puts files into it
    is_spare: bool
    kept: Kept = field(default_factory=Kept)
    # Of a spare, the files known to be the live output's own (hard links to it), as the build
    # that left the spare made them; the rest are checked.
    linked: frozenset[str] = frozenset()
    # The folder's path with a separator, to put before a relative path: an `os.path.join` for
    # each of thousands of files was a fifth of keeping them.
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        self.prefix = os.path.join(self.files.folder, "")

    @property
    def folder(self) -> Path:
        return self.files.folder


@dataclass(slots=True)
class Output:
    """One output folder: what its last build wrote (`live`), and where its spare is kept."""

    out: Path
    state: Path  # .blog-cache/output-<id>/: the manifest, and the spare
    spare_ok: bool  # the state is on the output's disk, so the spare can be renamed in
    live: dict[str, Entry] = field(default_factory=dict)  # empty when the cache is not read
    owned: frozenset[str] | None = None  # every file the last build wrote; None: not known
    kept: tuple[str, ...] = ()  # what the last build kept
    stamp: int | None = None  # the file system's time just before the last swap
    read: bool = True  # whether what earlier builds left (manifest, inventory) is used
    prefix: str = field(init=False)  # `out` with a separator (see `Stage.prefix`)

    def __post_init__(self) -> None:
        self.prefix = os.path.join(self.out, "")

    @classmethod
    def open(cls, root: Path, out: Path, *, read: bool = True) -> Output:
        from mathblog.math.cache import CACHE_DIR

        _recover(out)
        check_output_folder(out)
        state = root / CACHE_DIR / f"output-{digest(str(out))[:16]}"
        raw = _read_json(state / "manifest.json")
        entries = _entries(raw)
        kept, stamp = _kept_record(_read_json(state / "kept.json"))
        output = cls(
            out,
            state,
            # The spare must be on the output's disk, for renames.
            spare_ok=_same_disk(out.parent, root),
            live=entries if read else {},
            owned=frozenset(entries) if isinstance(raw, dict) else None,
            kept=kept,
            stamp=stamp,
            read=read,
        )
        output._clear_leftovers()
        return output

    def unchanged(self, relative: str, key: str) -> bool:
        """The last build made this file from the same key, and it is still as that build left
        it (not edited or deleted since)."""
        entry = self.live.get(relative)
        if entry is None or entry[0] != key:
            return False
        try:
            info = os.lstat(self.prefix + relative)
        except OSError:
            return False
        return (info.st_size, info.st_mtime_ns, info.st_ino) == entry[1:]

    def live_file(self, relative: str, key: str) -> bytes | None:
        """The live file's bytes, if `unchanged(relative, key)`; else None."""
        if not self.unchanged(relative, key):
            return None
        try:
            with open(self.prefix + relative, "rb") as file:
                return file.read()
        except OSError:
            return None

    def keep(self, stage: Stage, relative: str) -> bool:
        """Carry a file that `unchanged` approved over into `stage`; in the spare it is usually
        already the same file (a link): known so from the spare's inventory, or confirmed by
        one lstat."""
        entry = self.live.get(relative)
        if stage.is_spare and entry is not None:
            if relative in stage.linked:
                return True  # a link since the last build, which carried it
            try:
                if os.lstat(stage.prefix + relative).st_ino == entry[3]:
                    return True
            except OSError:
                pass
        return stage.files.put_kept(relative)

    def kept_names(self, wanted: Collection[str], *, everywhere: bool = True) -> tuple[str, ...]:
        """What the live output holds that no build made and the site does not make now (a
        folder as `name/`). Temporary files that killed or racing builds of older versions
        left there are deleted on the way.

        Not `everywhere`, only the top of the output is looked at (one lstat), besides what was
        kept last time: for a build that leaves the output as it is, so deletes nothing; the
        next build that writes it looks everywhere."""
        if not self.out.is_dir():
            return ()
        owned = self.owned if self.owned is not None else frozenset(wanted)
        if everywhere:
            folders = _folders_of(owned)
        else:
            folders = {"", *(path.partition("/")[0] for path in owned if "/" in path)}
        found = {name for name in map(self._as_found, self.kept) if name is not None}
        for folder in self._changed(folders if everywhere else [""]):
            found.update(self._foreign_in(folder, owned, folders))
        return tuple(sorted(name for name in found if name not in wanted))

    def begin(self, wanted: Collection[str]) -> Stage:
        """The spare, with every file the site no longer has (or never had) deleted; or, if
        there is none, a fresh folder beside the output. Files kept from the live output are
        carried into it."""
        self.out.parent.mkdir(parents=True, exist_ok=True)
        # Here, before anything is replaced, a cache folder that cannot be made fails the build.
        self.state.mkdir(parents=True, exist_ok=True)
        kept = self._expand(self.kept_names(wanted), wanted)
        stage = self._reconciled_spare({*wanted, *kept.files}) or self._fresh_stage()
        for folder in kept.folders:
            os.makedirs(os.path.join(stage.folder, folder), exist_ok=True)
        for relative in kept.files:
            stage.files.carry(relative)
        stage.kept = kept
        return stage

    def _reconciled_spare(self, needed: Collection[str]) -> Stage | None:
        spare = self.state / SPARE
        if not self.spare_ok or not spare.is_dir() or spare.is_symlink():
            return None
        listed = self._inventory() if self.read else None
        try:  # from here on the spare is being changed: a build killed now leaves no inventory
            os.unlink(self.state / INVENTORY)
        except FileNotFoundError:
            pass
        except OSError:
            listed = None  # it would outlive the change
        # Without an inventory (a killed build, --no-cache), every file of the spare is looked
        # at, and anything the site does not need is deleted: the spare is then exact again.
        files, folders, unlinked = listed if listed is not None else (*_contents(spare), None)
        present = frozenset(files)
        linked = frozenset() if unlinked is None else present.difference(unlinked)
        for relative in present.difference(needed):
            remove(spare, relative)
        # Empty ones (an inventory's kept folders: those left empty), deepest first; they are
        # made again below if they are kept.
        for relative in sorted(folders, key=lambda folder: -folder.count("/")):
            remove_folder(spare, relative)
        return Stage(StagingFolder(spare, self.out), is_spare=True, linked=linked)

    def _fresh_stage(self) -> Stage:
        folder = tempfile.mkdtemp(prefix=self._staging_prefix, dir=self.out.parent)
        return Stage(StagingFolder(Path(folder), self.out), is_spare=False)

    def commit(
        self, stage: Stage, keys: Mapping[str, str | None], carried: Collection[str] = ()
    ) -> None:
        """Make `stage` the live output with exactly the files in `keys` and the kept ones, and
        record them; `carried`: those `keep` carried over (the same files as live, so their
        sizes, mtimes and inodes are known)."""
        stage.files.put_bytes(MARKER, MARKER_TEXT.encode("utf-8"))
        os.chmod(stage.folder, 0o755)  # mkdtemp makes it private; a site is world-readable
        stamp = self._file_system_time()
        previous = self._swap(stage.folder)
        if previous is not None:
            if self.spare_ok:
                self._keep_as_spare(previous)
            else:
                self._throw_away(previous)
        self._record(keys, stage.kept.names, stamp, carried)
        spare = self.state / SPARE
        if previous is None and self.spare_ok and not spare.exists():
            # A first build has no generation to keep: make the spare the next build needs
            # (links to this output), so the first edit is as quick as later ones. It is done
            # here, not in the background (nothing may write .blog-cache/ once a build has
            # exited), from the list of files rather than by walking the output.
            files = [*keys, MARKER, *stage.kept.files]
            linked = link_files(self.out, spare, files, sorted(_folders_of(files) - {""}))
            self._write_inventory(files, stage.kept.folders, () if linked else None)
        elif previous is not None and self.spare_ok and self.read and self.owned is not None:
            # The spare is now the previous output: the files its manifest lists, and what
            # was kept in it (this build found it there). Those this build carried over are
            # the same files in both.
            files = [*self.live, MARKER, *stage.kept.files]
            unlinked = set(files).difference(carried)
            self._write_inventory(files, stage.kept.folders, unlinked)
        self.tidy()

    def _inventory(self) -> tuple[list[str], list[str], frozenset[str] | None] | None:
        """The spare's files, the folders of what was kept in it (which may have been left
        empty), and the files that may not be links to the live output (None: not known), as
        the build that left the spare listed them."""
        listed = _read_json(self.state / INVENTORY)
        if not isinstance(listed, dict):
            return None
        files, folders = listed.get("files"), listed.get("kept folders")
        if not (isinstance(files, list) and isinstance(folders, list)):
            return None
        # Only paths inside the spare: a name is deleted if the site does not need it.
        if not all(isinstance(name, str) and not escapes(name) for name in (*files, *folders)):
            return None
        unlinked = listed.get("not linked")
        if not (isinstance(unlinked, list) and all(isinstance(name, str) for name in unlinked)):
            return files, folders, None
        return files, folders, frozenset(unlinked)

    def _write_inventory(
        self, files: list[str], folders: Iterable[str], unlinked: Iterable[str] | None
    ) -> None:
        if (self.state / SPARE).is_dir():
            listed: dict[str, list[str]] = {
                "files": sorted(set(files)),
                "kept folders": sorted(set(folders)),
            }
            if unlinked is not None:
                listed["not linked"] = sorted(unlinked)
            with contextlib.suppress(OSError):
                _write_json(self.state / INVENTORY, listed)

    def abandon(self, stage: Stage) -> None:
        """A failed build: the live output was never touched. A half-updated spare stays (the
        next build reconciles it); a fresh folder goes to the trash (one rename, so an
        interrupted build stops at once)."""
        if not stage.is_spare:
            self._throw_away(stage.folder)

    def tidy(self) -> None:
        """Empty the trash: what builds threw away, and what killed ones left behind."""
        empty(self.state.parent / "trash")

    def _swap(self, folder: Path) -> Path | None:
        """Put `folder` in place of the output; returns where the previous output now is."""
        if not self.out.exists():
            os.replace(folder, self.out)
            return None
        if exchange(folder, self.out):
            return folder  # one atomic step: the previous output took the folder's place
        # Two renames: a build killed between them leaves the output in the holder, and the
        # next build puts it back (`_recover`).
        holder = Path(tempfile.mkdtemp(prefix=_holder_prefix(self.out), dir=self.out.parent))
        os.replace(self.out, holder / self.out.name)
        os.replace(folder, self.out)
        return holder / self.out.name

    def _keep_as_spare(self, previous: Path) -> None:
        spare = self.state / SPARE
        if previous == spare:
            return  # swapped with the spare it was prepared in
        self._throw_away(spare)
        in_holder = previous.parent.name.startswith(_holder_prefix(self.out))
        holder = previous.parent if in_holder else None
        try:
            os.replace(previous, spare)
        except OSError:
            self._throw_away(holder or previous)
            return
        if holder is not None:
            with contextlib.suppress(OSError):
                holder.rmdir()

    @property
    def _staging_prefix(self) -> str:
        return f".{self.out.name}.staging-"

    def _clear_leftovers(self) -> None:
        """A build killed before its swap leaves its fresh folder beside the output; one killed
        just after leaves the previous output in a holder or a half-made spare. With the site
        locked, no other build can be using them."""
        places = [
            (self.out.parent, self._staging_prefix),
            (self.out.parent, _holder_prefix(self.out)),
            (self.state, f"{SPARE}.new-"),
        ]
        for folder, prefix in places:
            try:
                names = [name for name in os.listdir(folder) if name.startswith(prefix)]
            except OSError:
                continue
            for name in names:
                self._throw_away(folder / name)

    def _file_system_time(self) -> int | None:
        """The output's file system's time now. A folder changed later has an mtime at least
        this."""
        return file_system_time(self.out.parent, self._staging_prefix)

    def _record(
        self,
        keys: Mapping[str, str | None],
        kept: Iterable[str],
        stamp: int | None,
        carried: Collection[str],
    ) -> None:
        entries: dict[str, list[object]] = {}
        for relative, key in keys.items():
            live = self.live.get(relative) if relative in carried else None
            if live is not None and live[0] == key:
                entries[relative] = [*live]  # the same file: no lstat for each of thousands
                continue
            try:
                info = os.lstat(self.prefix + relative)
            except OSError:
                continue
            entries[relative] = [key, info.st_size, info.st_mtime_ns, info.st_ino]
        with contextlib.suppress(OSError):
            _write_json(self.state / "kept.json", {"kept": list(kept), "stamp": stamp})
            _write_json(self.state / "manifest.json", entries)

    def _throw_away(self, folder: Path) -> None:
        """Move a folder into the trash, which the next build that succeeds empties."""
        if not os.path.lexists(folder):
            return
        trash = self.state.parent / "trash"
        try:
            trash.mkdir(parents=True, exist_ok=True)
            os.replace(folder, trash / f"{folder.name}-{os.getpid()}-{id(folder)}")
        except OSError:  # on another disk: delete it now
            throw_away_now(folder)

    def _as_found(self, name: str) -> str | None:
        """A name kept last time, as it is now (a folder as `name/`), or None if it is gone."""
        try:
            info = os.lstat(os.path.join(self.out, name.rstrip("/")))
        except OSError:
            return None
        return name.rstrip("/") + "/" if stat.S_ISDIR(info.st_mode) else name.rstrip("/")

    def _changed(self, folders: Iterable[str]) -> Iterator[str]:
        """The folders of the output that may hold something new: changed since the last swap,
        or all of them when that is not known."""
        stamp = self.stamp if self.owned is not None else None
        for folder in folders:
            try:
                info = os.lstat(self.prefix + folder)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode) and (stamp is None or info.st_mtime_ns >= stamp):
                yield folder

    def _foreign_in(
        self, folder: str, owned: Collection[str], folders: Collection[str]
    ) -> set[str]:
        """The entries of one folder of the output that no build made."""
        found: set[str] = set()
        prefix = folder + "/" if folder else ""
        try:
            entries = list(os.scandir(os.path.join(self.out, folder)))
        except OSError:
            return found
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if relative not in folders:
                    found.add(relative + "/")
            elif relative in owned or relative == MARKER:
                continue
            elif entry.name.endswith(TEMPORARY_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            else:
                found.add(relative)
        return found

    def _expand(self, names: Iterable[str], wanted: Collection[str]) -> Kept:
        """Every file and folder in the kept names, but for what the site now makes itself."""
        kept: list[str] = []
        files: list[str] = []
        folders: list[str] = []
        for name in names:
            if not name.endswith("/"):
                kept.append(name)
                files.append(name)
                continue
            try:
                inside, empty_folders = _contents(self.out / name, prefix=name)
            except OSError:  # gone since it was found
                continue
            mine = [f for f in inside if f not in wanted and not f.endswith(TEMPORARY_SUFFIX)]
            if inside and not mine and not empty_folders:
                continue  # only what the site makes now (a new folder of a killed build's)
            kept.append(name)
            files.extend(mine)
            folders.append(name.rstrip("/"))
            folders.extend(sorted(_folders_of(inside).union(empty_folders) - {""}))
        return Kept(tuple(kept), tuple(files), tuple(dict.fromkeys(folders)))


def is_repository(name: str) -> bool:
    """A kept folder that is a version control repository."""
    return name.endswith("/") and name[:-1].rpartition("/")[2] in REPOSITORIES


def _recover(out: Path) -> None:
    """If a build was killed between the two renames of a swap, the output is missing and sits
    in a holder folder beside it: put it back."""
    if out.exists():
        return
    for holder in sorted(out.parent.glob(_holder_prefix(out) + "*")):
        kept = holder / out.name
        if kept.is_dir() and (kept / MARKER).is_file():
            os.replace(kept, out)
            with contextlib.suppress(OSError):
                holder.rmdir()
            return


def _holder_prefix(out: Path) -> str:
    return f".{out.name}.old-"


def _same_disk(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _folders_of(files: Iterable[str]) -> set[str]:
    """Every folder holding one of `files`, and their parents; "" is the output itself."""
    folders = {""}
    for path in files:
        cut = path.rfind("/")
        while cut > 0:
            folder = path[:cut]
            if folder in folders:
                break
            folders.add(folder)
            cut = path.rfind("/", 0, cut)
    return folders


def _contents(folder: Path, prefix: str = "") -> tuple[list[str], list[str]]:
    """Every file and symlink under `folder` (symlinks are not followed), and every folder with
    nothing in it; relative with `/`, after `prefix`."""
    start = len(os.path.join(folder, ""))
    files: list[str] = []
    empty_folders: list[str] = []
    pending = [str(folder)]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            seen = False
            for entry in entries:
                seen = True
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    files.append(prefix + entry.path[start:].replace(os.sep, "/"))
        if not seen and current != str(folder):
            empty_folders.append(prefix + current[start:].replace(os.sep, "/"))
    return files, empty_folders
