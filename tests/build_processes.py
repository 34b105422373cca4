"""Real `blog build` processes, and every process they start, found through /proc.

A build is started with a tag in its environment. Every process it forks inherits that
environment, even one that leaves the process group or is adopted by init, so reading
`/proc/*/environ` finds all of them, however they were started."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

TAG = "BLOG_TEST_PROCESS_TAG"
DEADLINE = 60.0  # seconds: generous, for a busy CI machine


def new_tag() -> str:
    return uuid.uuid4().hex


def tagged(tag: str) -> list[int]:
    """The pids of live processes (zombies are dead) whose environment carries `tag`."""
    wanted = f"{TAG}={tag}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes()
            status = Path(f"/proc/{name}/stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # gone, or not ours to read
        state = status.rpartition(")")[2].split()[:1]
        if state and state[0] not in ("Z", "X") and wanted in environ.split(b"\0"):
            found.append(int(name))
    return found


def wait_until(condition: Callable[[], bool], seconds: float = DEADLINE) -> bool:
    """Poll `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def start_blog(
    root: Path, tag: str, *args: str, log: Path | None = None, new_session: bool = False
) -> subprocess.Popen[bytes]:
    """`blog ARGS` in `root`, tagged; its output goes to `log` (a file, not a pipe: a pipe
    would keep a reader waiting for as long as any process holding it lives)."""
    command = [sys.executable, "-m", "mathblog", *args]
    environment = {**os.environ, TAG: tag}
    if log is None:
        return subprocess.Popen(
            command, cwd=root, env=environment, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=new_session,
        )  # fmt: skip
    with open(log, "wb") as output:
        return subprocess.Popen(
            command, cwd=root, env=environment, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )  # fmt: skip


def lock_holder(root: Path) -> int | None:
    """The pid a build wrote into the site's lock file, if any."""
    try:
        text = (root / ".blog-cache" / "lock").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
