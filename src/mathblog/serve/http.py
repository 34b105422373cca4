"""The HTTP side of `blog serve`: files from the output folder and nothing else, a live-reload
event stream, and the checks that keep a local preview from being a hole.

- Only GET and HEAD. Only regular files inside the output folder, after decoding the path once:
  `..`, `%2e%2e`, encoded slashes and backslashes, absolute paths, dot files (`.git/`, the
  build marker; `.well-known/` is served) and symlinks all give 404. A build never writes a
  symlink, so one in the output was put there by someone else, and is never followed.
- A request whose `Host` is not this machine by name or address is refused (DNS rebinding), and
  the event stream refuses a foreign `Origin`: another host, or another port of this one (any
  other local server, or a page it serves, is a foreign origin).
- HTML pages get the live-reload script; the files on disk never do.
- A client that goes away mid-answer is not an error, and prints nothing. If the output folder
  is deleted while serving, the next request rebuilds it and waits for it.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import json
import mimetypes
import os
import stat
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mathblog.output.files import MARKER

EVENTS_PATH = "/__blog/events"
KEEPALIVE_SECONDS = 15.0
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
NO_SITE_YET = b"<!doctype html><title>No page</title><body><p>No page here (yet).</p></body>"
# How long a request waits for the output folder to be built again after it was deleted; a build
# of a big site on a busy machine can take this long.
REBUILD_WAIT_SECONDS = 120.0


class SiteState:
    """What the rebuild loop tells the server: where the site is, the build `version`
    (successful builds that changed the site, so far), the last build's errors, and a lock held
    while the output folder is being replaced."""

    def __init__(self, out: Path, base_path: str) -> None:
        self.out = out
        self.base_path = base_path
        self.version = 0
        self.builds = 0  # finished, good or not
        self.errors: list[str] = []
        self.css_only = False
        self.swap_lock = threading.Lock()
        self.changed = threading.Condition()
        self.closing = False
        self.rebuild_soon: Callable[[], None] = lambda: None  # set by the rebuild loop
        self._rebuild_asked_at = -1  # the version when a request last asked for a rebuild

    def built(self, *, css_only: bool, wrote: bool = True) -> None:
        """A build succeeded; `wrote` says whether it changed any file of the output. One that
        changed none after a good build (the late events of a burst the build before already
        read, a save that changed nothing) leaves the open pages as they are."""
        with self.changed:
            self.builds += 1
            if wrote or self.errors:
                self.version += 1
                self.errors = []
                self.css_only = css_only
            self.changed.notify_all()

    def failed(self, errors: list[str]) -> None:
        with self.changed:
            self.builds += 1
            self.errors = errors
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closing = True
            self.changed.notify_all()

    def rebuild_if_output_gone(self) -> None:
        """If the output of the last (good) build has been deleted since, build it again and
        wait for that build: a `rm -rf public` is not a reason to serve 404s until the next
        edit."""
        with self.swap_lock:  # not while a build swaps folders, when it is briefly elsewhere
            gone = not (self.out / MARKER).is_file()
        with self.changed:
            if not gone or self.version == 0 or self.errors or self.closing:
                return  # still there, or no good build to repeat: the overlay says why
            version, builds = self.version, self.builds
            if self._rebuild_asked_at != version:  # once, however many requests come
                self._rebuild_asked_at = version
                self.rebuild_soon()
            self.changed.wait_for(
                lambda: self.closing or self.builds != builds, timeout=REBUILD_WAIT_SECONDS
            )


def host_allowed(host_header: str | None, bound_host: str) -> bool:
    """`localhost`, a loopback or the bound address; any IP literal when bound to all
    interfaces. Never an arbitrary name, which is how DNS rebinding gets in."""
    if host_header is None:
        return True  # HTTP/1.0 clients; browsers always send Host
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host in LOCAL_NAMES or host == bound_host.strip("[]").lower():
        return True
    if bound_host in ("0.0.0.0", "::", ""):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True
    return False


def origin_allowed(origin: str, bound_host: str, port: int) -> bool:
    """An `Origin` of a page this server served: http, a local host, and this port."""
    parts = urlsplit(origin)
    try:
        origin_port = parts.port or 80
    except ValueError:
        return False  # not a port number
    return parts.scheme == "http" and origin_port == port and host_allowed(parts.netloc, bound_host)


# RFC 8615's folder, published from static/ like any file there; the only dotted name served
WELL_KNOWN = ".well-known"


def resolve_path(out: Path, base_path: str, request_path: str) -> Path | str | None:
    """The file to serve, a path to redirect to (a str), or None for 404."""
    path = urlsplit(request_path).path
    if not path.startswith(base_path):
        return base_path if path in ("/", base_path.rstrip("/")) else None
    decoded = unquote(path[len(base_path) :], errors="strict")
    if "\\" in decoded or "\x00" in decoded:
        return None
    parts = decoded.split("/")
    if parts and parts[-1] == "":
        parts.pop()  # a trailing slash
    if any(part == "" or (part.startswith(".") and part != WELL_KNOWN) for part in parts):
        return None  # `//`, `..`, `.` and dot files
    root = os.path.realpath(out)
    if _through_symlink(root, parts):
        return None  # a build never writes a link, so someone put it there: never follow it
    target = os.path.join(root, *parts)
    if os.path.isdir(target):
        if not path.endswith("/"):
            return path + "/"
        target = os.path.join(target, "index.html")
        if os.path.islink(target):
            return None
    return Path(target) if os.path.isfile(target) else None


def _through_symlink(root: str, parts: list[str]) -> bool:
    """Some step from `root` along `parts` is a symlink (or cannot be looked at)."""
    step = root
    for part in parts:
        step = os.path.join(step, part)
        try:
            if stat.S_ISLNK(os.lstat(step).st_mode):
                return True
        except OSError:
            return True
    return False


@functools.cache
def _livereload_js() -> str:
    """The dev server's script, read when a first page is served, not when this is imported."""
    return (Path(__file__).parent.parent / "theme" / "dev" / "livereload.js").read_text("utf-8")


def inject(page: bytes, version: int) -> bytes:
    script = f'<script data-version="{version}">\n{_livereload_js()}</script>\n'.encode()
    at = page.rfind(b"</body>")
    return page[:at] + script + page[at:] if at >= 0 else page + script


class DevServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: SiteState) -> None:
        self.state = state
        super().__init__(address, DevRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the browser closed the tab or stopped a load: nothing went wrong here
        super().handle_error(request, client_address)


class DevRequestHandler(BaseHTTPRequestHandler):
    server: DevServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a preview server that prints every request buries the rebuild messages

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _not_allowed(self) -> None:
        self._plain(HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD", {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _respond(self, *, send_body: bool) -> None:
        bound = str(self.server.server_address[0])
        if not host_allowed(self.headers.get("Host"), bound):
            self._plain(HTTPStatus.FORBIDDEN, "unexpected Host header")
            return
        if urlsplit(self.path).path == EVENTS_PATH:
            origin = self.headers.get("Origin")
            if origin is not None and not origin_allowed(origin, bound, self.server.server_port):
                self._plain(HTTPStatus.FORBIDDEN, "unexpected Origin")
                return
            self._events()
            return
        state = self.server.state
        state.rebuild_if_output_gone()
        with state.swap_lock:  # never a 404 for a page while the folders are being swapped
            try:
                found = resolve_path(state.out, state.base_path, self.path)
            except UnicodeDecodeError:
                found = None
        if isinstance(found, str):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", found)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = HTTPStatus.OK
        if found is None:
            status = HTTPStatus.NOT_FOUND
            found = state.out / "404.html"
        with state.swap_lock:  # never a file from a half-replaced output
            try:
                body = found.read_bytes()
            except OSError:  # no site yet (the first build failed): a page for the overlay
                body, found = NO_SITE_YET, state.out / "404.html"
        kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        if kind == "text/html":
            body = inject(body, state.version)
        if kind.startswith("text/") or kind in ("application/xml", "application/javascript"):
            kind += "; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _plain(self, status: HTTPStatus, text: str, headers: dict[str, str] | None = None) -> None:
        body = f"{status.value} {html.escape(text)}\n".encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _events(self) -> None:
        """Server-sent events: `hello` with the build version, then `reload` after each build
        and `build-error` with the messages of a failed one."""
        state = self.server.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        with state.changed:
            version, errors = state.version, list(state.errors)
        try:
            self._send("hello", str(version))
            if errors:
                self._send("build-error", json.dumps(errors))
            while True:
                with state.changed:
                    seen = (version, errors)
                    state.changed.wait_for(
                        lambda seen=seen: (
                            state.closing  # type: ignore[misc]
                            or (state.version, state.errors) != seen
                        ),
                        timeout=KEEPALIVE_SECONDS,
                    )
                    if state.closing:
                        return
                    new_version, errors = state.version, list(state.errors)
                    css_only = state.css_only
                if errors:
                    self._send("build-error", json.dumps(errors))
                elif new_version != version:
                    self._send("reload", "css" if css_only else "page")
                else:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                version = new_version
        except OSError:
            return  # the page went away

    def _send(self, event: str, data: str) -> None:
        self.wfile.write(f"event: {event}\ndata: {data}\n\n".encode())
        self.wfile.flush()
