"""One build at a time per site: an OS lock on `.blog-cache/lock`.

Two builds of one site at once (an editor's build-on-save and `blog build`, a retried CI job)
would prepare their generations in the same spare folder and prune each other's caches. So
`blog build`, `blog check` (it writes the caches too) and each rebuild of `blog serve` hold the
lock while they work; a second one waits a few seconds, then says which build is running.

The lock is `flock` on an open file: the kernel lets go of it when its holder dies, by any
signal, so the file a killed build leaves behind blocks nothing. The holder writes its pid into
the file, only for the message.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from mathblog.errors import BlogError, Diagnostic
from mathblog.math.cache import CACHE_DIR

LOCK_FILE = "lock"
WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux or macOS
    fcntl = None  # type: ignore[assignment]


class SiteBusy(BlogError):
    """Another build of the site held the lock for longer than we waited."""


def cache_folder(root: Path) -> Path:
    """`.blog-cache/`, made if missing; a clear error if something else has its name."""
    folder = root / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
    except FileExistsError:
        raise BlogError.at(
            "is a file, not a folder",
            CACHE_DIR,
            hint=f"delete it: blog keeps its caches in the folder {CACHE_DIR}/, "
            "which is always safe to delete",
        ) from None
    return folder


@contextlib.contextmanager
def site_lock(root: Path, *, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the site's lock for the `with` block, waiting up to `wait` seconds for it."""
    folder = cache_folder(root)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, folder / LOCK_FILE, wait)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            # Unlock before closing: a forked worker still exiting shares this open file, and
            # would otherwise hold the lock until it is gone.
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, file: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise _busy(file, wait) from None
            time.sleep(_POLL_SECONDS)


def _busy(file: Path, wait: float) -> SiteBusy:
    try:
        text = file.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    who = f"another build (pid {text})" if text.isdigit() else "another build"
    return SiteBusy(
        [
            Diagnostic(
                f"{who} is running on this site",
                f"{CACHE_DIR}/{LOCK_FILE}",
                hint=f"wait for it to finish, or stop it (a build waits {wait:g} s for another)",
            )
        ]
    )


def when_free(root: Path, work: Callable[[], None]) -> None:
    """Do `work` holding the lock if no build holds it now; skip it if one does (work that
    only keeps the caches up to date, which that build refreshes anyway)."""
    with contextlib.suppress(BlogError), site_lock(root, wait=0):
        work()
