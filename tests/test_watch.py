"""`blog serve` starts a rebuild sooner when each changed file's last event says the save is over
(closed after writing, or renamed into place), and waits the whole quiet time for a save still
under way (a write not yet closed, a creation, a deletion). The events are watchdog's own, handed
to the watcher as its observer would; the last test sends them through a real observer."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sites import post, write_site
from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
)

from mathblog.serve.watch import QUIET_SECONDS, SETTLED_SECONDS, ChangeWatcher


def watcher(tmp_path: Path) -> tuple[ChangeWatcher, Path]:
    root = write_site(tmp_path / "site", {"a.md": post("A")}, 'title = "T"\n')
    return ChangeWatcher(root), root.resolve() / "posts"


def test_a_file_closed_after_writing_is_whole(tmp_path: Path) -> None:
    watch, posts = watcher(tmp_path)
    path = str(posts / "a.md")
    watch.on_any_event(FileModifiedEvent(path))
    assert watch.quiet_needed() == QUIET_SECONDS  # still being written, perhaps
    watch.on_any_event(FileClosedEvent(path))
    assert watch.quiet_needed() == SETTLED_SECONDS
    watch.on_any_event(FileModifiedEvent(path))  # written again
    assert watch.quiet_needed() == QUIET_SECONDS


def test_a_file_renamed_into_place_is_whole(tmp_path: Path) -> None:
    watch, posts = watcher(tmp_path)
    watch.on_any_event(FileMovedEvent(str(posts / ".a.md.tmp-save"), str(posts / "a.md")))
    assert watch.quiet_needed() == SETTLED_SECONDS


def test_a_save_that_moves_the_old_file_away_first_waits_for_the_new_one(tmp_path: Path) -> None:
    """vim's way: the old file renamed to a backup, a new one created, written and closed."""
    watch, posts = watcher(tmp_path)
    path = str(posts / "a.md")
    watch.on_any_event(FileMovedEvent(path, str(posts / "a.md~")))  # a.md is gone for now
    assert watch.quiet_needed() == QUIET_SECONDS
    watch.on_any_event(FileCreatedEvent(path))
    assert watch.quiet_needed() == QUIET_SECONDS
    watch.on_any_event(FileClosedEvent(path))
    assert watch.quiet_needed() == SETTLED_SECONDS


def test_every_changed_file_must_be_whole(tmp_path: Path) -> None:
    watch, posts = watcher(tmp_path)
    watch.on_any_event(FileClosedEvent(str(posts / "a.md")))
    watch.on_any_event(FileDeletedEvent(str(posts / "b.md")))
    assert watch.quiet_needed() == QUIET_SECONDS
    watch.notice(posts / "a.md")  # counted as changed by serve itself: nothing says whole
    watch.on_any_event(FileClosedEvent(str(posts / "b.md")))
    assert watch.quiet_needed() == QUIET_SECONDS


def test_a_real_save_is_handed_over_whole(tmp_path: Path) -> None:
    watch, posts = watcher(tmp_path)
    watch.start()
    try:
        source = posts / "a.md"
        got: list[set[Path]] = []
        waiting = threading.Thread(target=lambda: got.append(watch.wait(timeout=60)))
        waiting.start()
        time.sleep(0.05)  # (any time: events that come before `wait` are kept for it)
        temporary = posts / ".a.md.tmp-save"
        temporary.write_text(post("A", body="Saved."), encoding="utf-8")
        os.replace(temporary, source)
        waiting.join(timeout=60)
        assert got == [{source}]
        assert watch.quiet_needed() == SETTLED_SECONDS  # nothing pending after the hand-over
    finally:
        watch.stop()
