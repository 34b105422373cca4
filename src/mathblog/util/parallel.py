"""Running a build's independent work items (posts to parse, pages to render) on every core.

Work goes out in chunks to a process pool; results come back in order, so the output never
depends on which worker did what. Small jobs run in this process, where a pool would cost more
than it saves. Workers are forked on Linux (cheap, and they inherit the imported modules) and
spawned elsewhere, where fork is unsafe. Either way a worker gets its state from the pool's
`setup`, run once in each worker: what it returns is the *context* handed to every task there,
as `task(context, chunk)`. Stages keep no state of their own in module globals; the worker's
context is the one slot this module keeps per process, because the tasks an executor runs are
functions it pickles by name.

No worker outlives its build: each asks the kernel to kill it when the build dies, by whatever
signal (a cancelled CI job, `timeout`, SIGKILL), and ignores Ctrl-C, on which the build stops
its workers at once rather than waiting for the chunks in hand.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from mathblog.util import timings

if TYPE_CHECKING:
    from concurrent.futures import Future

# Workers are forked: they start with this process's memory, so handing them data costs nothing.
FORKS = sys.platform.startswith("linux")

Item = TypeVar("Item")
Result = TypeVar("Result")
Context = TypeVar("Context")


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


def chunked(
    items: Sequence[Item], jobs: int, *, smallest: int = 4, interleaved: bool = False
) -> list[Sequence[Item]]:
    """About eight chunks per worker, so a slow chunk does not leave the other cores idle.
    `interleaved` deals the items out like cards (chunk k has items k, k + n, k + 2n…): where
    the slow items come together (the feeds, planned last), they are then spread over every
    chunk instead of making the last chunks the slow ones, which one core works on alone."""
    size = max(smallest, -(-len(items) // max(1, jobs * 8)))
    if interleaved:
        count = -(-len(items) // size)
        return [items[start::count] for start in range(count)]
    return [items[start : start + size] for start in range(0, len(items), size)]


# Every pool not yet stopped, so a command can stop them all before Python's exit: on 3.11 the
# exit wakes each executor's thread while that thread may be closing its wake-up pipe (a build
# that had failed printed `OSError: Bad file descriptor`). Held strongly: a pool dropped unstopped
# (a Ctrl-C between its start and its first task) would otherwise be collected as the command
# returns, and its executor shut down from its own thread in the background, racing that exit.
_LIVE_POOLS: set[Pool] = set()


def stop_pools() -> None:
    """Stop every pool still running (its results unread): at the end of a command."""
    for pool in list(_LIVE_POOLS):
        pool.stop()


class Pool:
    """Worker processes started ahead of their work, so their set-up (imports, `initializer`)
    overlaps with what this process does meanwhile. They die with this process, whatever kills
    it, and are stopped at once when their results are not wanted any more."""

    def __init__(self, workers: int, setup: Callable[..., object], setup_args: tuple[Any, ...]):
        import multiprocessing  # only here: an incremental build never needs them
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        method = "fork" if FORKS else "spawn"
        # Forked workers are children of the thread that makes the pool (the first `submit`),
        # and PR_SET_PDEATHSIG fires when that thread ends: make pools in a long-lived thread.
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(os.getpid(), setup, setup_args),
        )
        _LIVE_POOLS.add(self)  # first: a Ctrl-C held back below lands as the block ends
        with ctrl_c_held():  # the first submit forks every worker
            for _ in range(workers):
                self._executor.submit(_nothing)

    def map(self, task: Callable[[Any, Item], Result], chunks: Sequence[Item]) -> Iterator[Result]:
        """`task(context, chunk)` for each chunk, in a worker; results in order. The pool shuts
        down once they are read, and is stopped at once if reading them fails, is interrupted or
        is abandoned."""
        # Not `executor.map`: its results, when interrupted, cancel what is pending, and on 3.11
        # an executor whose workers are then killed fails on those futures and hangs at exit.
        try:
            futures = [self._executor.submit(_run_task, task, chunk) for chunk in chunks]
        except BaseException:
            self.stop()
            raise
        return _Draining(futures, self)

    def close(self) -> None:
        """No more work: wait for the workers to exit once they are idle."""
        # Always waiting: an executor left shutting down in the background closes its wake-up
        # pipe from its own thread, which on 3.11 races with the wake-up Python sends it at
        # exit (`OSError: Bad file descriptor` printed by a build that had already finished).
        self._executor.shutdown(wait=True, cancel_futures=True)
        _LIVE_POOLS.discard(self)

    def stop(self) -> None:
        """Stop now, without waiting for the work in hand (an error or Ctrl-C)."""
        # ProcessPoolExecutor has no public way to end its workers before Python 3.14. Once
        # they are killed, it finds itself broken, fails the futures still pending and lets go
        # of its queues. (Cancelled futures would make it fail there, on 3.11, and leave its
        # queue's feeder blocked on a full pipe forever: nothing here cancels one.)
        processes = list((getattr(self._executor, "_processes", None) or {}).values())
        with _results_held(self._executor):
            for process in processes:
                with contextlib.suppress(OSError, ValueError):
                    process.kill()
            _wait_for_exit(processes)  # a kill lands a moment later on another core
        self._executor.shutdown(wait=True)
        _LIVE_POOLS.discard(self)


# How long `stop` waits for a worker to finish sending a result: the executor's thread reads
# them as they come, so this is only reached if that thread is stuck anyway.
_SENDING_GRACE = 30.0


def _wait_for_exit(processes: Sequence[Any]) -> None:
    """Until each process has exited (its sentinel, a pipe, closes then), without reaping it:
    the executor's thread does that."""
    from multiprocessing.connection import wait

    waiting = []
    for process in processes:
        with contextlib.suppress(ValueError):  # already closed: long gone
            waiting.append(process.sentinel)
    deadline = time.monotonic() + _SENDING_GRACE
    while waiting and (left := deadline - time.monotonic()) > 0:
        for ended in wait(waiting, timeout=left):
            waiting.remove(ended)


@contextlib.contextmanager
def _results_held(executor: object) -> Iterator[None]:
    """Hold the lock a worker takes to send a result, so none is killed halfway through one:
    the executor's thread would then wait forever for the rest of a message that never comes
    (this process keeps the pipe's writing end open), and `shutdown` with it."""
    lock = getattr(getattr(executor, "_result_queue", None), "_wlock", None)
    if lock is None:  # not a queue with a lock (Windows): nothing to hold
        yield
        return
    held = lock.acquire(timeout=_SENDING_GRACE)
    try:
        yield
    finally:
        if held:
            lock.release()


@contextlib.contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C back in this thread while it forks: children are born with it blocked, and
    take it up only once they ignore it, and a KeyboardInterrupt cannot land in the handlers
    Python runs around a fork (logging's, whose lock it would leave taken: "Exception ignored
    in _releaseLock", and the Ctrl-C lost). Either printed a traceback. This thread gets a
    Ctrl-C held back the moment the block ends."""
    if not FORKS:
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def fork_holding_ctrl_c() -> int:
    """`os.fork` with Ctrl-C held back around it, as `ctrl_c_held` does; the child (0 is
    returned there) keeps it held until it calls `ignore_ctrl_c`."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        raise
    if pid != 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
    return pid


def ignore_ctrl_c() -> None:
    """In a child: ignore Ctrl-C, dropping one that came since the fork (held back by
    `ctrl_c_held`). Ctrl-C reaches the whole process group: the parent decides what to do
    with it, and stops its children."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if FORKS:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


# The context `setup` made in this worker process (see the module's docstring).
_worker_context: object = None


def _start_worker(parent: int, setup: Callable[..., object], setup_args: tuple[Any, ...]) -> None:
    global _worker_context
    ignore_ctrl_c()  # a worker interrupted on its own would only print a traceback
    die_with_parent(parent)
    timings.taken()  # forked: what the parent had timed so far is the parent's
    _worker_context = setup(*setup_args)
    close = getattr(_worker_context, "close", None)
    if callable(close):
        # A worker ends through multiprocessing, which runs its own finalizers but not `atexit`:
        # what the context started (the math engine's process) is stopped and waited for here,
        # not left for the system to reap once the kernel has killed it.
        import multiprocessing.util

        multiprocessing.util.Finalize(None, close, exitpriority=0)


def _run_task(
    task: Callable[[object, Item], Result], chunk: Item
) -> tuple[Result, dict[str, float]]:
    """The task's result, and the time its work took (`util.timings`), sent back with it."""
    return task(_worker_context, chunk), timings.taken()


def _nothing() -> None:
    pass


class _Draining(Iterator[Result]):
    """A pool's results in order. Once all are read the pool shuts down; if reading fails or is
    interrupted, its workers are stopped at once rather than left to finish work nobody will
    read. Whoever drops the results unread (a build that failed meanwhile) calls `close`, and
    `stop_pools` stops what is left at the end of the command. Not `__del__`: a Ctrl-C that
    lands in one is printed as "Exception ignored" and lost, and the build goes on."""

    def __init__(self, futures: list[Future[tuple[Result, dict[str, float]]]], pool: Pool) -> None:
        self._waiting = futures[::-1]  # popped as they are read, so results are not kept
        self._pool: Pool | None = pool

    def __next__(self) -> Result:
        if self._pool is None:
            raise StopIteration
        if not self._waiting:
            self._pool.close()
            self._pool = None
            raise StopIteration
        try:
            result, work_done = self._waiting.pop().result()
        except BaseException:
            self.close()
            raise
        timings.add(work_done)
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool = None


def run_chunks(
    task: Callable[[Context, Item], Result],
    chunks: Sequence[Item],
    *,
    jobs: int,
    setup: Callable[..., Context],
    setup_args: tuple[Any, ...],
) -> Iterator[Result]:
    """`task(context, chunk)` for each chunk, in order, where `context` is what `setup` made:
    in a pool when there is more than one chunk and more than one job, handed over at once so
    the caller can do something else meanwhile."""
    workers = min(jobs, len(chunks))
    if workers <= 1:
        return _in_this_process(task, chunks, setup, setup_args)
    return Pool(workers, setup, setup_args).map(task, chunks)


def _in_this_process(
    task: Callable[[Context, Item], Result],
    chunks: Sequence[Item],
    setup: Callable[..., Context],
    setup_args: tuple[Any, ...],
) -> Iterator[Result]:
    if not chunks:  # no work: no set-up (it may import and make a lot)
        return
    context = setup(*setup_args)
    for chunk in chunks:
        yield task(context, chunk)
