"""Watch a site's sources and hand over each burst of changes as one set of paths.

Editors save in many steps: a temporary file renamed over the original, a backup `x~`, vim's
`.x.swp` and `4913` probe, emacs' `.#x` lock. Temporary files never count, and events that come
close together (50 saves in 100 ms) are gathered until the files have been quiet for a moment,
so one save gives one rebuild.

The moment is `QUIET_SECONDS`. An editor's save takes a few milliseconds, which a busy machine
can stretch tenfold; 30 ms was short enough for a save to be read half-written there. A file
whose last event says it is whole (closed after writing, or renamed into place: the two ways
editors end a save) waits only `SETTLED_SECONDS`, for the rest of its burst; a creation, a write
or a deletion (the first half of a save that renames the old file away) waits the whole moment.
Changes that come while a rebuild runs are gathered for the next one, however long it takes.

The events of a burst can also reach us later than the files changed: watchdog's threads pass
them on, and a busy machine may not run them for a while (a fifth of a second, measured on two
loaded cores). The files are then already as the editor left them, so the first rebuild reads
them whole, and one for the late events changes nothing (`serve` sends no reload for such a
rebuild). watchdog itself could hold the rest of a burst back for 0.5 s at a rename, waiting
for the rename's second half after it had come: `_deliver_renames_at_once`.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from mathblog.config import CONFIG_FILE
from mathblog.content.discover import (
    PAGES_DIR,
    POSTS_DIR,
    STATIC_DIR,
    TEMPLATES_DIR,
    is_temporary,
    is_unpublished_static,
)

WATCHED_FOLDERS = (POSTS_DIR, PAGES_DIR, TEMPLATES_DIR, STATIC_DIR)
QUIET_SECONDS = 0.1  # how long the files must be still before a rebuild starts
SETTLED_SECONDS = 0.02  # the same, when every changed file's last event says it is whole


class ChangeWatcher(FileSystemEventHandler):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._changed: set[Path] = set()
        self._whole: set[Path] = set()  # of those, the ones whose last event says they are whole
        self._last_event = 0.0
        self._wake = threading.Condition()
        self._observer = Observer()
        self._watched: set[Path] = set()
        self._closed = False

    def start(self) -> None:
        _deliver_renames_at_once()
        # Only the sources: watching the whole site would put inotify watches on every folder
        # of the output and the cache, which each build replaces.
        self._observer.schedule(self, str(self.root), recursive=False)
        for name in WATCHED_FOLDERS:
            self._watch_folder(self.root / name)
        self._observer.start()

    def _watch_folder(self, folder: Path) -> None:
        if folder.is_dir() and folder not in self._watched:
            self._watched.add(folder)
            self._observer.schedule(self, str(folder), recursive=True)

    def stop(self) -> None:
        """Stop watching, and wake `wait`, which returns nothing from now on."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        # Its threads race as they stop, and it logs that as an error: not one for the user.
        logging.getLogger("watchdog").setLevel(logging.CRITICAL)
        self._observer.stop()
        self._observer.join(timeout=5)

    def notice(self, path: Path) -> None:
        """Count `path` as changed, as if the files had said so (the output folder deleted)."""
        with self._wake:
            self._changed.add(path)
            self._whole.discard(path)
            self._last_event = time.monotonic()
            self._wake.notify_all()

    def relevant(self, path: Path) -> bool:
        """A source file of the site (not output, cache or an editor's temporary file)."""
        try:
            parts = path.resolve().relative_to(self.root).parts
        except ValueError:
            return False
        if not parts:
            return False
        # static/ publishes dotfiles (.nojekyll, .well-known/); elsewhere they are not inputs
        skipped = is_unpublished_static if parts[0] == STATIC_DIR else is_temporary
        if any(skipped(part) for part in parts[1:]) or is_temporary(parts[0]):
            return False
        return parts == (CONFIG_FILE,) or (len(parts) > 1 and parts[0] in WATCHED_FOLDERS)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a file inside changed; its own event says which
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        changed = {Path(str(p)) for p in paths if p and self.relevant(Path(str(p)))}
        whole = set()
        if not event.is_directory and event.event_type == "closed":  # closed after writing
            whole = {Path(str(event.src_path))} & changed
        elif not event.is_directory and event.event_type == "moved":  # renamed into place
            whole = {Path(str(event.dest_path))} & changed
        for path in paths:
            folder = Path(str(path)) if path else None
            if folder is not None and folder.parent == self.root and folder.name in WATCHED_FOLDERS:
                # posts/, templates/ or static/ made after we started: watch it, and rebuild,
                # since files may have landed in it before the watch was in place.
                self._watch_folder(folder)
                changed.add(folder)
        if changed:
            with self._wake:
                self._changed |= changed
                self._whole.difference_update(changed - whole)
                self._whole |= whole
                self._last_event = time.monotonic()
                self._wake.notify_all()

    def wait(self, timeout: float | None = None) -> set[Path]:
        """Block until a burst of changes is over; its paths (empty after `timeout`, or once
        stopped)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            while not self._changed and not self._closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return set()
                self._wake.wait(remaining)
            while not self._closed and (
                (quiet := time.monotonic() - self._last_event) < self.quiet_needed()
            ):
                self._wake.wait(self.quiet_needed() - quiet)
            if self._closed:
                return set()
            changed, self._changed = self._changed, set()
            self._whole.clear()
            return changed

    def quiet_needed(self) -> float:
        """How long the files must be still before the changes so far are handed over."""
        return SETTLED_SECONDS if self._changed <= self._whole else QUIET_SECONDS


# Where watchdog keeps how long it holds a rename's first half back: 7.x, then 4.x to 6.x.
_RENAME_HOLDERS = (
    ("watchdog.observers.inotify_move_event_grouper", "InotifyMoveEventGrouper"),
    ("watchdog.observers.inotify_buffer", "InotifyBuffer"),
)


def _deliver_renames_at_once() -> None:
    """Let watchdog pass on each half of a rename as it comes. It holds the first half back for
    up to 0.5 s to pair it with the second, and its queue sleeps out that time even when the
    second half pairs it a moment later: a burst of atomic saves (the way many editors save)
    then reached us in two pieces, 0.5 s apart (one burst in 30, measured). Unpaired, a rename
    is a deletion and a creation: the same two paths, which is all a rebuild needs."""
    if not sys.platform.startswith("linux"):
        return
    for module_name, holder_name in _RENAME_HOLDERS:
        try:
            holder = getattr(importlib.import_module(module_name), holder_name)
        except (ImportError, AttributeError):
            continue
        if isinstance(getattr(holder, "delay", None), int | float):
            holder.delay = 0
