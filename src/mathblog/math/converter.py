"""math-core in a child process, so that a formula which crashes it or runs for ever costs a
warning, not the build.

math-core is Rust: a recursion too deep overflows the C stack and kills the whole process
(SIGSEGV, no exception), and a call cannot be interrupted from Python (not by a timeout, not by
Ctrl-C). `math_limits` refuses what is known to do that; this is for whatever it misses. Each
build process that converts formulas starts one long-lived child and hands it a post's formulas
at a time over a pipe (one round trip per batch, not per formula). A batch that has not come back
within `FORMULA_SECONDS`, or whose child died, is converted again one formula at a time in a
fresh child, which finds the formula to blame; that formula alone gets an error. So a hang costs
about `FORMULA_SECONDS` per bad formula (twice that when it shares its batch with no crash), and
a crash a restart of the child.

On Linux the child is forked: it has math-core loaded already and is ready in about 10 ms, where
a new interpreter took 60-100 ms on a busy machine (every build process, and every `blog serve`
rebuild, starts one). It closes every file it inherited but its pipes, so it holds no socket or
output file of its parent open. Forking `blog serve`'s threaded process is safe for what the
child does: it reads and writes pipes and calls math-core, which take no lock another thread can
hold (glibc resets its allocator and loader locks in a forked child); a child that never gets
ready is killed and replaced once. Elsewhere, where forking is unsafe, the child is a new
interpreter. Either way it dies with its parent (`parallel.die_with_parent`), ignores Ctrl-C (the
parent decides when to stop), and writes nothing to the terminal: a Rust panic prints there, and
the formula's warning already says what went wrong. Messages are `marshal`led: both ends are the
same interpreter, and it is the fastest way to move a list of strings.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import select
import signal
import struct
import sys
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mathblog.errors import BlogError
from mathblog.util.parallel import FORKS, die_with_parent, fork_holding_ctrl_c, ignore_ctrl_c

# How long one formula may take. Real formulas take milliseconds; this is generous for a busy
# machine, and it is what a formula that hangs the engine costs the build.
FORMULA_SECONDS = 5.0
# How long a child may take to start (a new interpreter on a busy machine).
_START_SECONDS = 30.0

# An engine answer: the MathML, or the engine's error as (message, offset).
Answer = str | tuple[str, int | None]
Setup = tuple[dict[str, str], int]  # the site's macros, math-core's expansion limit

_HEADER = struct.Struct("<I")
_SPAWNED = "from mathblog.math.converter import spawned_main; spawned_main()"


@dataclass(frozen=True, slots=True)
class Lost:
    """No answer for a formula: the engine crashed on it or took too long (not cached, since it
    may go differently on an idle machine)."""

    message: str


class _Gone(Exception):
    """The child died, or did not answer in time."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _NotReady(Exception):
    """The child died or hung before it was ready for formulas."""


class Converter:
    """Converts batches of (TeX, display) in a child process, started on first use."""

    def __init__(self, macros: Mapping[str, str], max_expansions: int) -> None:
        self._setup: Setup = (dict(macros), max_expansions)
        self._child: _Child | None = None

    def convert(self, formulas: Sequence[tuple[str, bool]]) -> list[Answer | Lost]:
        if not formulas:
            return []
        try:
            return list(self._round_trip(formulas))
        except _Gone as gone:
            self.close()
            if len(formulas) == 1:
                return [Lost(gone.message)]
        # Somewhere in the batch is a formula the engine cannot survive: find it alone.
        return [answer for formula in formulas for answer in self.convert([formula])]

    def start(self) -> None:
        """Start the child now (if there is none, or it was inherited through a fork)."""
        if self._child is None or self._child.owner != os.getpid():
            self._child = _Child(self._setup)

    def close(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None

    def _round_trip(self, formulas: Sequence[tuple[str, bool]]) -> list[Answer]:
        for _ in range(2):
            self.start()
            assert self._child is not None
            try:
                answers = self._child.ask(list(formulas))
                break
            except _NotReady:
                self.close()
        else:  # twice: not a fluke but a broken install
            raise BlogError.at(
                "the math engine could not start",
                hint="check that math-core is installed: pip install math-core",
            )
        if not isinstance(answers, list) or len(answers) != len(formulas):
            raise _Gone("the math engine gave an answer that does not fit")
        return answers


class _Child:
    """One child process and the pipes to it; `owner` is the process that started it."""

    def __init__(self, setup: Setup) -> None:
        self.owner = os.getpid()
        self.pid, self._to, self._from = _fork(setup) if FORKS else _spawn(setup)
        self._poll = select.poll()
        self._poll.register(self._from, select.POLLIN)
        self._started = False
        # Stopped when garbage collected or at exit, and only by the process that started it.
        self._finalizer = weakref.finalize(self, _stop, self.pid, self._to, self._from, self.owner)

    def ask(self, batch: list[tuple[str, bool]]) -> Any:
        _send(self._to, batch)
        if not self._started:
            # The child's first message says it is ready. If it never comes, the fault is the
            # child's, not the formulas'.
            try:
                self._receive(time.monotonic() + _START_SECONDS)
            except _Gone:
                raise _NotReady from None
            self._started = True
        return self._receive(time.monotonic() + FORMULA_SECONDS)

    def stop(self) -> None:
        self._finalizer()

    def _receive(self, deadline: float) -> Any:
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        return marshal.loads(self._read(size, deadline))

    def _read(self, size: int, deadline: float) -> bytes:
        pieces = []
        while size > 0:
            left = deadline - time.monotonic()
            if left <= 0 or not self._poll.poll(left * 1000):
                seconds = f"{FORMULA_SECONDS:g} s"
                raise _Gone(f"the math engine took longer than {seconds} on this formula")
            piece = os.read(self._from, size)
            if not piece:
                raise _Gone("the math engine crashed on this formula")
            pieces.append(piece)
            size -= len(piece)
        return b"".join(pieces)


def _fork(setup: Setup) -> tuple[int, int, int]:
    parent = os.getpid()
    to_child, from_parent = os.pipe()[::-1]
    from_child, to_parent = os.pipe()
    pid = fork_holding_ctrl_c()
    if pid == 0:  # the child: never returns
        try:
            os.close(to_child)
            os.close(from_child)
            _become_child(parent, keep=(from_parent, to_parent))
            _close_inherited(keep=(from_parent, to_parent))
            _serve(from_parent, to_parent, setup)
        finally:
            os._exit(0)
    os.close(from_parent)
    os.close(to_parent)
    return pid, to_child, from_child


def _spawn(setup: Setup) -> tuple[int, int, int]:
    from_parent, to_child = os.pipe()
    from_child, to_parent = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, from_parent, 0), (os.POSIX_SPAWN_DUP2, to_parent, 1)]
    argv = [sys.executable, "-c", _SPAWNED, str(os.getpid())]
    pid = os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions)
    os.close(from_parent)
    os.close(to_parent)
    _send(to_child, setup)
    return pid, to_child, from_child


def _stop(pid: int, to_child: int, from_child: int, owner: int) -> None:
    if os.getpid() != owner:
        return  # a forked copy: the child belongs to the process that started it
    for fd in (to_child, from_child):
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _send(fd: int, message: Any) -> None:
    data = marshal.dumps(message)
    data = _HEADER.pack(len(data)) + data
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:  # the child died: the answer will be missing
        pass


# --- the child --------------------------------------------------------------------------------


def spawned_main() -> None:
    """A new interpreter's child (where it is not forked): set up from the first message."""
    parent = int(sys.argv[1])
    _become_child(parent, keep=(0, 1))
    setup = _read_message(0)
    if setup is not None:
        _serve(0, 1, setup)


def _become_child(parent: int, keep: tuple[int, ...]) -> None:
    ignore_ctrl_c()
    die_with_parent(parent)
    # A forked child shares its parent's objects: collecting them would only copy their pages
    # (and run their finalizers here). What the child makes itself has no cycles.
    gc.disable()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd not in keep:
            os.dup2(devnull, fd)
    os.close(devnull)


def _close_inherited(keep: tuple[int, ...]) -> None:
    """Close what a fork inherited (sockets, output files, a pool's pipes) but `keep`."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own folder, gone already
                os.close(fd)


def _serve(source: int, out: int, setup: Setup) -> None:
    """Answer batches from `source` on `out` until `source` closes."""
    import math_core

    macros, max_expansions = setup
    converter = math_core.LatexToMathML(
        macros=macros, fancy_error=False, max_expansions=max_expansions
    )
    _send(out, None)  # ready
    while (batch := _read_message(source)) is not None:
        _send(out, [_answer(converter, tex, display) for tex, display in batch])


def _answer(converter: Any, tex: str, display: bool) -> Answer:
    import math_core

    try:
        return str(converter.convert_with_local_state(tex, displaystyle=display))
    except math_core.LatexError as exc:
        return str(exc), None
    except BaseException as exc:  # a Rust panic is pyo3's PanicException, a BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return f"the math engine failed on this formula ({type(exc).__name__})", None


def _read_message(fd: int) -> Any:
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    data = _read_exactly(fd, size)
    return None if data is None else marshal.loads(data)


def _read_exactly(fd: int, size: int) -> bytes | None:
    pieces = []
    while size > 0:
        piece = os.read(fd, size)
        if not piece:
            return None
        pieces.append(piece)
        size -= len(piece)
    return b"".join(pieces)
