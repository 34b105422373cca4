"""Running a build's independent work items (posts to parse, pages to render) on every core.

Work goes out in chunks to a process pool; results come back in order, so the output never
depends on which worker did what. Small jobs run in this process, where a pool would cost more
than it saves. Workers are forked on Linux (cheap, and they inherit the imported modules) and
spawned elsewhere, where fork is unsafe; either way they get their state from `initializer`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunked(items: Sequence[Item], jobs: int, *, smallest: int = 4) -> list[Sequence[Item]]:
    """About eight chunks per worker, so a slow chunk does not leave the other cores idle."""
    size = max(smallest, -(-len(items) // max(1, jobs * 8)))
    return [items[start : start + size] for start in range(0, len(items), size)]


def run_chunks(
    function: Callable[[Sequence[Item]], Result],
    chunks: Sequence[Sequence[Item]],
    *,
    jobs: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    always_pool: bool = False,
) -> Iterator[Result]:
    """`function(chunk)` for each chunk, in order. With more than one chunk and job (or with
    `always_pool`), the work is handed to a pool at once, so the caller can do something else
    before reading the results."""
    workers = min(jobs, len(chunks))
    if workers <= 1 and not always_pool:
        return _in_this_process(function, chunks, initializer, initargs)
    import multiprocessing  # only here: an incremental build never needs them
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=max(1, workers),
        mp_context=multiprocessing.get_context(method),
        initializer=initializer,
        initargs=initargs,
    )
    try:
        results = pool.map(function, chunks)
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return _draining(results, pool.shutdown)


def _in_this_process(
    function: Callable[[Sequence[Item]], Result],
    chunks: Sequence[Sequence[Item]],
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
