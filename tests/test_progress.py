"""Build progress: a bar on a terminal, plain lines in logs, nothing for short builds."""

from __future__ import annotations

import io

from mathblog.util.progress import ProgressReporter


def reporter(*, terminal: bool) -> tuple[ProgressReporter, io.StringIO]:
    stream = io.StringIO()
    progress = ProgressReporter(stream, terminal=terminal)
    progress.delay = 0.0  # as if the build had already run for a while
    return progress, stream


def test_a_terminal_gets_one_bar_that_is_cleared_at_the_end() -> None:
    progress, stream = reporter(terminal=True)
    progress("posts", 0, 40)
    progress("posts", 40, 40)
    progress.finish()
    text = stream.getvalue()
    assert text.startswith("\rposts [------------------------------] 0/40")
    assert "\rposts [##############################] 40/40" in text
    assert text.endswith("\r\x1b[K")  # the summary starts on a clean line
    assert "\n" not in text


def test_a_log_gets_a_plain_line_when_each_phase_ends() -> None:
    progress, stream = reporter(terminal=False)
    for done in range(0, 11):
        progress("posts", done, 10)
    progress("pages", 7, 7)
    progress.finish()
    assert stream.getvalue() == "posts: 10/10\npages: 7/7\n"


def test_a_short_build_prints_no_progress() -> None:
    stream = io.StringIO()
    progress = ProgressReporter(stream, terminal=True)
    progress.delay = 3600.0  # a build that has not run for long: however slow this machine is
    progress("posts", 5, 10)
    progress.finish()
    assert stream.getvalue() == ""
