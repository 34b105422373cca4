"""No process outlives its build: a build killed by any signal takes its workers with it, and
once `blog build` has exited nothing of it runs or writes `.blog-cache/` any more."""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from build_processes import new_tag, start_blog, tagged, wait_until
from sites import BIG_SITE_BODY as BODY
from sites import big_site, post, run_blog, tree_digest

from mathblog.cli import main
from mathblog.config import load_config
from mathblog.site.loading import load_posts
from mathblog.util.parallel import Pool, stop_pools


def workers_seen(tag: str, process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    """The build and two workers run, or the build is over."""
    return lambda: len(tagged(tag)) >= 3 or process.poll() is not None


def gone(tag: str) -> Callable[[], bool]:
    return lambda: not tagged(tag)


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_build_takes_its_workers_with_it(tmp_path: Path, signal_number: int) -> None:
    root = big_site(tmp_path / "site", 300)
    assert run_blog("build", "--quiet", cwd=root).returncode == 0
    before = tree_digest(root / "public")
    # Every post is parsed again, on two workers: the kill lands while they work.
    (root / "site.toml").write_text('title = "B"\n', encoding="utf-8")
    tag = new_tag()
    log = tmp_path / "build.log"
    build = start_blog(root, tag, "build", "-j", "2", "--no-cache", log=log)
    workers_up = wait_until(workers_seen(tag, build))
    assert workers_up and build.poll() is None, "the build ended before its workers were seen"
    # Only the build itself is signalled, as `timeout` and a cancelled CI job do.
    build.send_signal(signal_number)
    assert build.wait(timeout=60) == -signal_number
    assert wait_until(gone(tag)), f"still running: {tagged(tag)}"
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")
    after = tree_digest(root / "public")
    if after != before:  # killed after the swap: then it is the whole new site
        assert run_blog("build", "--quiet", cwd=root).returncode == 0
        assert tree_digest(root / "public") == after
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "<title>B</title>" in (root / "public/index.html").read_text(encoding="utf-8")


def many_static_files(root: Path, count: int) -> None:
    for n in range(count):
        folder = root / "static" / f"d{n % 400}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n}.txt").write_text(str(n), encoding="utf-8")


def test_nothing_of_a_build_runs_or_writes_the_cache_after_it_exits(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 30)
    many_static_files(root, 12000)  # housekeeping after a build has plenty to do
    for attempt in range(2):  # a first build (no spare yet), then a rebuild after an edit
        (root / "posts/p1.md").write_text(post(f"Edited {attempt}", body=BODY), encoding="utf-8")
        tag = new_tag()
        build = start_blog(root, tag, "build", "--quiet", log=tmp_path / "build.log")
        assert build.wait(timeout=120) == 0
        assert tagged(tag) == []
    # Nothing is left writing into it: it can be deleted at once, and stays deleted.
    shutil.rmtree(root / ".blog-cache")
    assert not (root / ".blog-cache").exists()
    assert not any(p.name.startswith(".public") for p in root.iterdir())


def test_a_failed_build_leaves_no_process_behind(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 60)
    many_static_files(root, 6000)
    (root / "templates").mkdir()
    (root / "templates/archive.html").write_text("{{ years.nope }}\n", encoding="utf-8")
    tag = new_tag()
    build = start_blog(root, tag, "build", "-j", "2", log=tmp_path / "build.log")
    assert build.wait(timeout=120) == 1
    assert tagged(tag) == []
    shutil.rmtree(root / ".blog-cache")
    assert not (root / ".blog-cache").exists()
    assert not any(p.name.startswith(".public") for p in root.iterdir())


def finished_build(root: Path, copy: Path) -> dict[str, str]:
    """The output a whole build of the site at `root` gives, made in a copy of it."""
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("public", ".blog-cache"))
    assert run_blog("build", "--quiet", cwd=copy).returncode == 0
    return tree_digest(copy / "public")


@pytest.mark.parametrize("command", [("build", "-j", "2"), ("serve", "--port", "0")])
def test_ctrl_c_stops_a_build_and_its_workers_cleanly(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    root = big_site(tmp_path / "site", 150)
    started = time.monotonic()
    assert run_blog("build", "--quiet", "-j", "2", cwd=root).returncode == 0
    full = time.monotonic() - started
    before = tree_digest(root / "public")
    # Ctrl-C at several moments of a build that parses every post again on two workers (the
    # first build of `serve` too): however it lands, the build stops cleanly.
    for attempt, fraction in enumerate((0.0, 0.3, 0.5, 0.7)):
        (root / "site.toml").write_text(f'title = "T{attempt}"\n', encoding="utf-8")
        # (None if the last attempt was stopped before it took the site's lock: `blog build`
        # starts its workers first.)
        shutil.rmtree(root / ".blog-cache", ignore_errors=True)
        tag = new_tag()
        log = tmp_path / f"{attempt}.log"
        build = start_blog(root, tag, *command, log=log, new_session=True)
        assert wait_until(workers_seen(tag, build))
        time.sleep(full * fraction)
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGINT)  # as Ctrl-C on a terminal: to the whole group
        code = build.wait(timeout=60)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, text
        if code == 0:  # done before Ctrl-C reached it
            before = tree_digest(root / "public")
            continue
        # 130, or death by SIGINT itself (-2) when it lands during the exit: a shell shows both
        # as 130, the exit of a command stopped by Ctrl-C.
        assert code in (130, -signal.SIGINT), text
        last = text.splitlines()[-1]
        # Death by SIGINT after the build had printed its whole report (the handler is put back
        # as `main` returns) says nothing more; the output is then checked as that whole build.
        finished = code == -signal.SIGINT and last.startswith("math: ")
        assert finished or last == "interrupted", text
        assert wait_until(gone(tag)), f"still running: {tagged(tag)}"
        after = tree_digest(root / "public")
        if after != before:
            # Ctrl-C came just after the build had swapped its output in (before `serve`
            # began serving, or as `build` was exiting): then the output is that whole build.
            assert after == finished_build(root, tmp_path / f"{attempt}-expected"), text
            before = after
        assert not any(p.name.startswith(".public") for p in root.iterdir())
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr


def test_workers_started_for_nothing_are_gone_when_loading_returns(tmp_path: Path) -> None:
    """A post touched but not changed makes the build start a worker before it finds every
    post in its cache. That worker is stopped and waited for then, not left to shut down in
    the background, where on Python 3.11 its executor's thread races with the interpreter's
    exit (a finished build printed `OSError: [Errno 9] Bad file descriptor`)."""
    root = big_site(tmp_path / "site", 8)
    assert run_blog("build", "--quiet", cwd=root).returncode == 0
    later = time.time() + 60
    os.utime(root / "posts/p0.md", (later, later))
    config = load_config(root)
    loaded = load_posts(config, drafts=False, jobs=2)
    assert len(loaded.posts) == 8 and loaded.parsed == 0
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if type(t).__name__ == "_ExecutorManagerThread"]


def test_a_failed_build_leaves_no_pool_for_python_exit_to_trip_over(tmp_path: Path) -> None:
    """A build that fails while its workers parse (a static/ symlink out of the site, found
    meanwhile) leaves their pool with results nobody reads. The command stops it before it
    returns, so Python's exit has no executor to wake (on 3.11 that raced with the executor's
    own thread: `OSError: [Errno 9] Bad file descriptor`, found by the site fuzzer)."""
    root = big_site(tmp_path / "site", 60)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "static").mkdir()
    (root / "static/out").symlink_to(outside)
    assert main(["build", "--quiet", "-s", str(root), "-j", "2"]) == 1
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if type(t).__name__ == "_ExecutorManagerThread"]


def _no_setup() -> None:
    return None


def _start_and_drop_a_pool() -> None:
    Pool(2, _no_setup, ())  # as a Ctrl-C between a pool's start and its first task leaves it


def test_a_pool_dropped_unstopped_is_still_stopped_by_the_command() -> None:
    """A pool nobody holds any more is not collected, which would shut its executor down from
    the executor's own thread, in the background, racing with Python's exit on 3.11 (`serve`
    stopped by Ctrl-C printed `OSError: [Errno 9] Bad file descriptor`): it is left for the
    command's `stop_pools`, which stops it and waits."""
    _start_and_drop_a_pool()
    gc.collect()
    assert len(multiprocessing.active_children()) == 2
    stop_pools()
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if type(t).__name__ == "_ExecutorManagerThread"]


def _slow_square(context: None, number: int) -> int:
    time.sleep(0.2)
    return number * number


def test_results_dropped_unread_are_stopped_by_the_command_not_a_finalizer() -> None:
    """No finalizer stops a pool whose results were dropped unread: a Ctrl-C that lands in a
    `__del__` is printed as "Exception ignored" and lost, and the build went on (seen once in
    this suite). Whoever drops them closes them; what is left, the command's `stop_pools`
    stops."""
    results = Pool(2, _no_setup, ()).map(_slow_square, [1, 2, 3, 4])
    assert next(results) == 1
    del results
    gc.collect()
    assert len(multiprocessing.active_children()) == 2
    stop_pools()
    assert multiprocessing.active_children() == []


# Pools stopped while their workers send results of several megabytes each, in a process of
# its own so that a stop that hangs fails the test instead of hanging the suite.
_STOP_WHILE_SENDING = """
import time
from mathblog.util.parallel import Pool

def no_setup():
    return None

def large(context, size):
    return b"x" * size

for round in range(20):
    results = Pool(2, no_setup, ()).map(large, [4_000_000] * 16)
    next(results)
    time.sleep(round % 5 / 1000)
    results.close()
print("stopped")
"""


def test_a_pool_stopped_while_workers_send_results_stops() -> None:
    """A worker killed halfway through sending a result left the executor's thread waiting
    for the rest of that message forever, and `stop` with it (a build failing or interrupted
    while a large chunk of parsed posts came back): workers are killed only between results."""
    done = subprocess.run(
        [sys.executable, "-c", _STOP_WHILE_SENDING], capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "stopped", "")


# Run as a process of its own: it becomes the "subreaper" of what it starts, so a process the
# build leaves for the system to reap becomes its child instead of init's (which may be a
# container's, reaping nothing), and is counted.
_COUNT_LEFT_TO_REAP = """
import ctypes, os, subprocess, sys
PR_SET_CHILD_SUBREAPER = 36
assert ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
build = subprocess.run([sys.executable, "-m", "mathblog", *sys.argv[1:]], capture_output=True)
assert build.returncode == 0, build.stderr
left = 0
while True:  # each one the build orphaned is ours now, dead or about to be (killed with it)
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        break
    left += 1
print(left)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_CHILD_SUBREAPER")
def test_a_build_reaps_every_process_it_starts(tmp_path: Path) -> None:
    """The parsing workers each start a math engine process; each worker stops and waits for
    its own as it ends, so none is left for the system to reap (a zombie, where nobody does)."""
    root = big_site(tmp_path / "site", 40)
    counted = subprocess.run(
        [sys.executable, "-c", _COUNT_LEFT_TO_REAP, "build", "-q", "-j", "2", "-s", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.split() == ["0"]
