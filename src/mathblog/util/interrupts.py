"""Ctrl-C that is never lost. Python runs `__del__` methods and weakref callbacks wherever the
collector happens to run; a KeyboardInterrupt raised inside one is printed as "Exception
ignored" and dropped, and the command carries on as if the key had never been pressed. While
`ctrl_c_delivered` is active, such an interrupt is sent to the main thread again, to land once
the finalizer has returned."""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SignalHandler = Callable[[int, FrameType | None], Any]


@contextmanager
def ctrl_c_delivered(handler: SignalHandler) -> Iterator[None]:
    """Handle SIGINT with `handler`, and deliver again any KeyboardInterrupt a finalizer
    swallowed; both are put back as they were on leaving. Outside the main thread, which never
    sees a signal, this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    main = threading.get_ident()
    previous_hook = sys.unraisablehook
    active = [True]  # until the block is left: a signal sent after that is not ours to send

    def redeliver(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt) or _thread.get_ident() != main:
            previous_hook(unraisable)
            return
        # Sent from a helper thread that waits for this hook to let go of `returning`: a signal
        # raised here, in the hook, would be swallowed too. Bare `_thread` primitives, because
        # a finalizer may run while `threading` holds its own locks.
        returning = _thread.allocate_lock()
        returning.acquire()
        _thread.start_new_thread(_interrupt_after, (returning, main, active))
        returning.release()  # the hook's last call: nothing after it checks for signals

    previous_handler = signal.signal(signal.SIGINT, handler)
    sys.unraisablehook = redeliver
    try:
        yield
    finally:
        active[0] = False
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGINT, previous_handler)


def _interrupt_after(returning: _thread.LockType, main: int, active: list[bool]) -> None:
    with returning:
        pass
    # A real signal, not `_thread.interrupt_main`: it also wakes a main thread blocked waiting.
    if active[0]:
        signal.pthread_kill(main, signal.SIGINT)
