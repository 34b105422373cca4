"""Where a build's time goes, for `blog build --timings`.

Two kinds of figures. *Steps* are the build's own sequence in this process, wall clock: each
`step(name)` ends the step of that name, begun where the one before it ended, so the steps add up
to the build. *Work* is time spent on one kind of work (parsing a post, converting its math,
rendering a page) wherever it ran: each worker's work is sent back with its results and added
here, so with two workers it may add up to twice the wall clock. Work of one kind may hold work
of another (a post's parsing holds its math).

The figures are kept per process in this module, not handed down the call chain, because the
work is timed deep inside the stages (a formula's conversion in the Markdown renderer) and
inside workers, which only the pool's results connect to the build. Timing costs a clock read
per item, so it is always on; the command prints it only when asked.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

Params = ParamSpec("Params")
Returned = TypeVar("Returned")


@dataclass(slots=True)
class _Clock:
    work: dict[str, float]  # kind of work → seconds, in this process and its workers' results
    steps: dict[str, float]  # step → seconds, in the order they first ended
    step_began: float


_clock = _Clock({}, {}, time.perf_counter())  # this process's


@dataclass(frozen=True, slots=True)
class Timings:
    steps: tuple[tuple[str, float], ...]
    work: tuple[tuple[str, float], ...]


NO_TIMINGS = Timings((), ())


def start() -> None:
    """A build begins: forget the last one's figures."""
    _clock.work.clear()
    _clock.steps.clear()
    _clock.step_began = time.perf_counter()


def step(name: str) -> None:
    """The step `name` ends now (a step that ends twice counts both times)."""
    now = time.perf_counter()
    _clock.steps[name] = _clock.steps.get(name, 0.0) + now - _clock.step_began
    _clock.step_began = now


def _count(kind: str, seconds: float) -> None:
    _clock.work[kind] = _clock.work.get(kind, 0.0) + seconds


@contextmanager
def work(kind: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        _count(kind, time.perf_counter() - began)


def timed(kind: str) -> Callable[[Callable[Params, Returned]], Callable[Params, Returned]]:
    """A function whose every call counts as work of `kind`: cheaper than `work`'s
    generator-based context manager, for functions called on every code block."""

    def timing(function: Callable[Params, Returned]) -> Callable[Params, Returned]:
        @functools.wraps(function)
        def timed_call(*args: Params.args, **kwargs: Params.kwargs) -> Returned:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                _count(kind, time.perf_counter() - began)

        return timed_call

    return timing


def taken() -> dict[str, float]:
    """The work done in this process since last asked, cleared: what a worker sends back."""
    done = dict(_clock.work)
    _clock.work.clear()
    return done


def add(work_done: Mapping[str, float]) -> None:
    """Work a worker did, sent back with its results."""
    for kind, seconds in work_done.items():
        _count(kind, seconds)


def finished() -> Timings:
    return Timings(tuple(_clock.steps.items()), tuple(_clock.work.items()))


# Work done inside a post's parsing, shown under it.
_PARTS_OF_PARSING = ("math", "highlight code", "search terms", "excerpt")


def report_lines(timings: Timings, total: float) -> list[str]:
    """`blog build --timings`: the steps, then the work."""
    named = [(name, seconds) for name, seconds in timings.steps]
    rest = total - sum(seconds for _, seconds in named)
    if rest >= 0.0005:
        named.append(("the rest", rest))
    named.append(("total", total))
    work = dict(timings.work)
    shown: list[tuple[str, float]] = []
    if "parse posts" in work:
        shown.append(("parse posts", work.pop("parse posts")))
        shown += [("  " + part, work.pop(part)) for part in _PARTS_OF_PARSING if part in work]
    shown += sorted(work.items())
    width = max(len(name) for name, _ in (*named, *shown))
    lines = ["steps, one after another in this process (wall clock):"]
    lines += [f"  {name:<{width}}  {seconds:7.3f} s" for name, seconds in named]
    if shown:
        lines.append("work, in this process and its workers together (parsing holds its parts):")
        lines += [f"  {name:<{width}}  {seconds:7.3f} s" for name, seconds in shown]
    return lines
