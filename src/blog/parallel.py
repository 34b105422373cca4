"""Running a build's independent work items (posts to parse, pages to render) on every core.

Work goes out in chunks to a process pool; results come back in order, so the output never
depends on which worker did what. Small jobs run in this process, where a pool would cost more
than it saves. Workers are forked on Linux (cheap, and they inherit the imported modules) and
spawned elsewhere, where fork is unsafe; either way they get their state from `initializer`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

# Workers are forked: they start with this process's memory, so handing them data costs nothing.
FORKS = sys.platform.startswith("linux")

Item = TypeVar("Item")
Result = TypeVar("Result")


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """In a child process: be killed as soon as `parent` dies, by whatever signal (Linux's
    PR_SET_PDEATHSIG), so no worker outlives a killed build. Where the system has no such
    call, the child at least exits if the parent is already gone."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the call above took effect
        os._exit(1)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunked(items: Sequence[Item], jobs: int, *, smallest: int = 4) -> list[Sequence[Item]]:
    """About eight chunks per worker, so a slow chunk does not leave the other cores idle."""
    size = max(smallest, -(-len(items) // max(1, jobs * 8)))
    return [items[start : start + size] for start in range(0, len(items), size)]


class Pool:
    """Worker processes started ahead of their work, so their set-up (imports, `initializer`)
    overlaps with what this process does meanwhile."""

    def __init__(self, workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...]):
        import multiprocessing  # only here: an incremental build never needs them
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        method = "fork" if FORKS else "spawn"
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=initializer,
            initargs=initargs,
        )
        for _ in range(workers):
            self._executor.submit(_nothing)

    def map(self, function: Callable[[Item], Result], chunks: Sequence[Item]) -> Iterator[Result]:
        """Results in order; the pool shuts down once they are read (or abandoned)."""
        try:
            results = self._executor.map(function, chunks)
        except BaseException:
            self.close()
            raise
        return _draining(results, self._executor.shutdown)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _nothing() -> None:
    pass


def run_chunks(
    function: Callable[[Item], Result],
    chunks: Sequence[Item],
    *,
    jobs: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> Iterator[Result]:
    """`function(chunk)` for each chunk, in order: in a pool when there is more than one chunk
    and more than one job, handed over at once so the caller can do something else meanwhile."""
    workers = min(jobs, len(chunks))
    if workers <= 1:
        return _in_this_process(function, chunks, initializer, initargs)
    return Pool(workers, initializer, initargs).map(function, chunks)


def _in_this_process(
    function: Callable[[Item], Result],
    chunks: Sequence[Item],
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> Iterator[Result]:
    initializer(*initargs)
    yield from map(function, chunks)


def _draining(results: Iterator[Result], shutdown: Callable[..., None]) -> Iterator[Result]:
    try:
        yield from results
    finally:
        shutdown(cancel_futures=True)
