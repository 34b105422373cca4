"""Run the real `blog serve` on an ephemeral port and talk to it over real HTTP.

Every wait here is for something to happen, with a deadline generous enough for a busy 2-core
machine running the suite twice at once (a request waits while a rebuild runs); none is a
window in which something must happen quickly."""

from __future__ import annotations

import http.client
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/\S*)")
DEADLINE = 60.0  # seconds to wait for a line, an answer or an event before giving up


@dataclass
class Server:
    process: subprocess.Popen[str]
    root: Path
    port: int = 0
    base: str = "/"  # the site's base path, e.g. "/" or "/notes/"
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    stderr: str = ""  # all of it, once the server has stopped

    def request(
        self, path: str, *, method: str = "GET", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
            for name, value in all_headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()

    def wait_for_line(self, prefix: str, timeout: float = DEADLINE) -> str:
        """The next stdout line starting with `prefix` (earlier other lines are kept in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {prefix!r} line from the server; saw {self.seen}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def lines_so_far(self) -> list[str]:
        """Everything printed so far and not read yet (for a failing test's message)."""
        found = []
        while not self.lines.empty():
            found.append(self.lines.get())
        self.seen += found
        return found


def _pump(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.rstrip("\n"))


@contextmanager
def serving(root: Path, *args: str) -> Iterator[Server]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mathblog", "serve", "-s", str(root), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="backslashreplace",  # a file name that is not UTF-8, say
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    server = Server(process, root, lines=lines)
    try:
        line = server.wait_for_line("serving")
        match = URL.search(line)
        assert match, line
        server.port, server.base = int(match.group(1)), match.group(2)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            server.stderr = process.stderr.read()
            process.stderr.close()


class EventStream:
    """A live-reload connection: server-sent events as (name, data) pairs."""

    def __init__(self, server: Server, origin: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
        headers = {"Origin": origin} if origin else {}
        self.connection.request("GET", "/__blog/events", headers=headers)
        self.response = self.connection.getresponse()

    def next(self, timeout: float = DEADLINE) -> tuple[str, str]:
        name = data = ""
        deadline = time.monotonic() + timeout  # keep-alive comments must not make us wait forever
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"no event within {timeout} s")
            line = self.response.fp.readline().decode("utf-8")
            if line == "":
                raise AssertionError("the event stream closed")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and name:
                return name, data

    def close(self) -> None:
        self.connection.close()


def path_of(url: str) -> str:
    return urlsplit(url).path
