"""`blog check --external`: does each link to another site still answer?

Every distinct http(s) URL is asked once: `HEAD` first, `GET` when the server refuses `HEAD`
(403, 405, 501), redirects followed by hand (at most `MAX_REDIRECTS`, a loop is named as one).
The body of a `GET` is never read: the status says what we need.

Bounds, so that no link can hang the command: at most `workers` requests at once, at most
`per_host` to one host (`host:port`), so a site with fifty links to one wiki does not look like
an attack; each connect and each read waits at most `timeout`; and a URL gets `BUDGET_FACTOR ×
timeout` in all (its fallback and redirects included), after which a watchdog closes its socket
(a server that trickles one byte a second never trips a read timeout).

429 is a warning, not an error: the server did not say the page is gone, only that we (or the
shared address of a CI runner) asked too often; failing a deploy on it would make the check
flaky. It is not cached either, so the next run asks again.

The cache, `.blog-cache/external-links.json`, keeps the time each URL last answered OK; such a
URL is not asked again for `cache_hours`. Failures are never cached: a fixed link is seen at
once. A damaged cache file is ignored (every URL is asked), and it is replaced atomically.

The standard library's `http.client` rather than `urllib.request`: we need the connection in
hand (to close it from the watchdog) and redirects under our own control. A proxy from the
environment is not used.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from mathblog import __version__
from mathblog.math.cache import CACHE_DIR
from mathblog.util.atomic import write_atomically

USER_AGENT = f"blog/{__version__} (+link checker)"
CACHE_FILE = "external-links.json"
MAX_REDIRECTS = 10
BUDGET_FACTOR = 3  # a URL's time in all, in timeouts: HEAD, the GET fallback, a redirect
_GET_INSTEAD = frozenset({403, 405, 501})  # how servers say they do not do HEAD
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Characters left as they are in a request's path and query: the reserved ones and `%`, so an
# already-encoded URL is sent as written and only spaces, CJK and the like are encoded.
_SAFE_IN_TARGET = "/?#[]@!$&'()*+,;=:%~"
_CACHE_VERSION = 1

State = Literal["ok", "broken", "rate limited"]


@dataclass(frozen=True, slots=True)
class ExternalOptions:
    timeout: float = 10.0  # seconds, for each connect and each read
    workers: int = 8  # requests at once, in all
    per_host: int = 2  # requests at once to one host:port
    cache_hours: float = 24.0  # how long an OK answer is trusted
    skip: tuple[str, ...] = ()  # `[check] skip_external`: URL prefixes, `*` for any text


@dataclass(frozen=True, slots=True)
class Answer:
    state: State
    reason: str  # "200", "404 Not Found", "timeout after 10 s", "connection refused", …
    cached: bool = False
    retry_after: str = ""  # a 429's Retry-After header


@dataclass(frozen=True, slots=True)
class Outcome:
    answers: Mapping[str, Answer]  # every URL asked or found in the cache
    skipped: frozenset[str]  # matched `skip`: not asked


def request_url(url: str) -> str:
    """The URL as it is asked and reported: without its fragment, which is never sent."""
    return url.split("#", 1)[0]


def skip_pattern(entries: Collection[str]) -> re.Pattern[str] | None:
    """One pattern for `[check] skip_external`: each entry a prefix of the URLs it skips, where
    `*` stands for any text (`https://*.example.com/`)."""
    if not entries:
        return None
    alternatives = (".*".join(re.escape(part) for part in entry.split("*")) for entry in entries)
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


def check_external(urls: Collection[str], options: ExternalOptions, root: Path) -> Outcome:
    """Ask every URL in `urls` (each without a fragment) unless the cache in `root`'s
    `.blog-cache/` knows it answered OK lately or `options.skip` names it."""
    skip = skip_pattern(options.skip)
    skipped = frozenset(url for url in urls if skip is not None and skip.match(url))
    cache = _LinkCache.read(root / CACHE_DIR / CACHE_FILE, options.cache_hours * 3600, time.time())
    answers: dict[str, Answer] = {}
    to_ask = []
    for url in sorted(set(urls) - skipped):
        if cache.knows_ok(url):
            answers[url] = Answer("ok", "OK", cached=True)
        else:
            to_ask.append(url)
    asked = _ask_all(to_ask, options)
    answers.update(asked)
    cache.record_ok(url for url, answer in asked.items() if answer.state == "ok")
    cache.write()
    return Outcome(answers, skipped)


class _LinkCache:
    """URL → when it last answered OK (seconds since the epoch)."""

    def __init__(self, path: Path, max_age: float, now: float, ok: dict[str, float]) -> None:
        self.path = path
        self.now = now
        self.ok = {url: when for url, when in ok.items() if now - max_age <= when <= now}
        self.changed = len(self.ok) != len(ok)

    @classmethod
    def read(cls, path: Path, max_age: float, now: float) -> _LinkCache:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):  # missing, unreadable or not JSON: start afresh
            return cls(path, max_age, now, {})
        if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
            return cls(path, max_age, now, {})
        ok = data.get("ok")
        if not isinstance(ok, dict):
            return cls(path, max_age, now, {})
        valid = {
            url: float(when)
            for url, when in ok.items()
            if isinstance(when, int | float) and not isinstance(when, bool)
        }
        return cls(path, max_age, now, valid)

    def knows_ok(self, url: str) -> bool:
        return url in self.ok

    def record_ok(self, urls: Iterator[str]) -> None:
        for url in urls:
            self.ok[url] = self.now
            self.changed = True

    def write(self) -> None:
        if not self.changed:
            return
        data = {"version": _CACHE_VERSION, "ok": dict(sorted(self.ok.items()))}
        self.path.parent.mkdir(exist_ok=True)
        write_atomically(self.path, json.dumps(data, indent=0).encode("utf-8"))


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


@dataclass
class _Queue:
    """The URLs still to ask, handed out so that no host has more than `per_host` in flight."""

    pending: list[str]
    per_host: int
    in_flight: Counter[str] = field(default_factory=Counter)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def take(self) -> str | None:
        """The next URL whose host has room, waiting for one; None once all are handed out."""
        with self.condition:
            while self.pending:
                for index, url in enumerate(self.pending):
                    if self.in_flight[_host(url)] < self.per_host:
                        self.in_flight[_host(url)] += 1
                        return self.pending.pop(index)
                self.condition.wait()
            return None

    def done(self, url: str) -> None:
        with self.condition:
            self.in_flight[_host(url)] -= 1
            self.condition.notify_all()


class _Attempt:
    """One URL being asked: the connection open now, which the watchdog may close."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None
        self.expired = False

    def attach(self, connection: http.client.HTTPConnection | None) -> None:
        with self._lock:
            self._connection = connection
            if self.expired and connection is not None:
                _shut(connection)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._connection is not None:
                _shut(self._connection)


def _shut(connection: http.client.HTTPConnection) -> None:
    """Make a read blocked on `connection` (in another thread) return at once."""
    sock = connection.sock
    if sock is not None:
        # Not connected yet, or closed already: the connect timeout bounds it.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _ask_all(urls: list[str], options: ExternalOptions) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    if not urls:
        return answers
    queue = _Queue(list(urls), options.per_host)
    context = ssl.create_default_context()
    lock = threading.Lock()
    crashes: list[BaseException] = []  # a bug of ours, raised again once the others are done

    def work() -> None:
        while (url := queue.take()) is not None:
            try:
                answer = _ask_within_budget(url, options.timeout, context)
            except BaseException as exc:
                with lock:
                    crashes.append(exc)
                return
            finally:
                queue.done(url)
            with lock:
                answers[url] = answer

    # Daemon threads: an interrupted check (Ctrl-C) does not wait for their sockets.
    threads = [
        threading.Thread(target=work, name=f"link-check-{n}", daemon=True)
        for n in range(min(options.workers, len(urls)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if crashes:
        raise crashes[0]
    return answers


def _ask_within_budget(url: str, timeout: float, context: ssl.SSLContext) -> Answer:
    attempt = _Attempt()
    budget = BUDGET_FACTOR * timeout
    watchdog = threading.Timer(budget, attempt.expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        answer = _ask(url, timeout, context, attempt)
    finally:
        watchdog.cancel()
    if attempt.expired:  # even a 200: its headers were cut off when the watchdog closed it
        return Answer("broken", f"timeout after {budget:g} s in all")
    return answer


def _ask(url: str, timeout: float, context: ssl.SSLContext, attempt: _Attempt) -> Answer:
    method = "HEAD"
    current = url
    visited = [url]
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, reason, headers = _request(current, method, timeout, context, attempt)
            if method == "HEAD" and status in _GET_INSTEAD:
                method = "GET"
                status, reason, headers = _request(current, method, timeout, context, attempt)
            where = f" at {current}" if current != url else ""
            if status not in _REDIRECTS:
                return _judge(status, reason, headers, where)
            location = headers.get("Location", "").strip()
            if not location:
                return Answer("broken", f"{status} redirect without a Location{where}")
            current = request_url(urljoin(current, location))
            if urlsplit(current).scheme not in ("http", "https"):
                return Answer("broken", f"redirect to {current}, not an http(s) URL")
            if current in visited:
                return Answer("broken", "redirect loop: " + " → ".join([*visited, current]))
            visited.append(current)
        return Answer("broken", f"more than {MAX_REDIRECTS} redirects")
    except (OSError, http.client.HTTPException, ValueError) as exc:  # this URL's answer
        return Answer("broken", _failure(exc, timeout))


def _judge(status: int, reason: str, headers: Message, where: str) -> Answer:
    if 200 <= status < 300:
        return Answer("ok", f"{status} {reason}".strip())
    if status == 429:
        retry = headers.get("Retry-After", "").strip()
        return Answer("rate limited", f"429 Too Many Requests{where}", retry_after=retry)
    return Answer("broken", f"{status} {reason}".strip() + where)


def _failure(exc: OSError | http.client.HTTPException | ValueError, timeout: float) -> str:
    """What went wrong, in the words a reader of the report needs."""
    if isinstance(exc, TimeoutError):
        return f"timeout after {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, socket.gaierror):
        return f"DNS: {exc.strerror or exc}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: {exc.verify_message or exc.reason or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer ({type(exc).__name__})"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return f"not a valid URL ({exc})"  # a port out of range, a host IDNA cannot encode


def _request(
    url: str, method: str, timeout: float, context: ssl.SSLContext, attempt: _Attempt
) -> tuple[int, str, Message]:
    """One request: its status, reason and headers. The connection is closed after it."""
    if attempt.expired:  # out of time before a redirect or the GET fallback
        raise TimeoutError
    parts = urlsplit(url)
    host = (parts.hostname or "").encode("idna").decode("ascii")
    if not host:
        raise ValueError("no host")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    attempt.attach(connection)
    try:
        target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        connection.putrequest(
            method, quote(target, safe=_SAFE_IN_TARGET), skip_accept_encoding=True
        )
        connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Accept", "*/*")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.reason, response.headers
    finally:
        attempt.attach(None)
        connection.close()
