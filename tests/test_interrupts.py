"""A Ctrl-C that lands inside a finalizer (a `__del__`, a weakref callback) is not lost: Python
would print "Exception ignored" and carry on, and a build went on after Ctrl-C."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A finalizer that receives Ctrl-C while it runs, then a main program that would sleep on for
# 30 s if that Ctrl-C were swallowed.
SCRIPT = textwrap.dedent(
    """
    import signal, time
    from mathblog.util.interrupts import ctrl_c_delivered

    class PressesCtrlC:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)  # its handler raises here, in the finalizer

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    with ctrl_c_delivered(interrupted):
        try:
            PressesCtrlC()
            time.sleep(30)
            print("lost")
        except KeyboardInterrupt:
            print("delivered")
    import sys
    print("put back:", sys.unraisablehook is sys.__unraisablehook__,
          signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    """
)


def test_a_ctrl_c_swallowed_by_a_finalizer_reaches_the_main_program() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["delivered", "put back: True True"]
    assert result.stderr == ""


def test_other_unraisable_exceptions_are_still_reported() -> None:
    script = textwrap.dedent(
        """
        import signal
        from mathblog.util.interrupts import ctrl_c_delivered

        class Fails:
            def __del__(self):
                raise ValueError("from a finalizer")

        with ctrl_c_delivered(signal.default_int_handler):
            Fails()
            print("went on")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.stdout == "went on\n"
    assert "Exception ignored" in result.stderr and "ValueError: from a finalizer" in result.stderr
