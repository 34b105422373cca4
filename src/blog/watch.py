"""Watch a site's sources and hand over each burst of changes as one set of paths.

Editors save in many steps: a temporary file renamed over the original, a backup `x~`, vim's
`.x.swp` and `4913` probe, emacs' `.#x` lock. Temporary files never count, and events that come
close together (50 saves in 100 ms) are gathered until the files have been quiet for a moment,
so one save gives one rebuild.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .config import CONFIG_FILE
from .discover import POSTS_DIR, STATIC_DIR, TEMPLATES_DIR, is_temporary

WATCHED_FOLDERS = (POSTS_DIR, TEMPLATES_DIR, STATIC_DIR)
QUIET_SECONDS = 0.03  # how long the files must be still before a rebuild starts


class ChangeWatcher(FileSystemEventHandler):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._changed: set[Path] = set()
        self._last_event = 0.0
        self._wake = threading.Condition()
        self._observer = Observer()
        self._watched: set[Path] = set()

    def start(self) -> None:
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
        self._observer.stop()
        self._observer.join(timeout=5)

    def relevant(self, path: Path) -> bool:
        """A source file of the site (not output, cache or an editor's temporary file)."""
        try:
            parts = path.resolve().relative_to(self.root).parts
        except ValueError:
            return False
        if not parts or any(is_temporary(part) for part in parts):
            return False
        return parts == (CONFIG_FILE,) or (len(parts) > 1 and parts[0] in WATCHED_FOLDERS)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write", "closed"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a file inside changed; its own event says which
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        changed = {Path(str(p)) for p in paths if p and self.relevant(Path(str(p)))}
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
                self._last_event = time.monotonic()
                self._wake.notify_all()

    def wait(self, timeout: float | None = None) -> set[Path]:
        """Block until a burst of changes is over; its paths (empty after `timeout`)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            while not self._changed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return set()
                self._wake.wait(remaining)
            while (quiet := time.monotonic() - self._last_event) < QUIET_SECONDS:
                self._wake.wait(QUIET_SECONDS - quiet)
            changed, self._changed = self._changed, set()
            return changed
