"""`blog serve`: build, serve the output with live reload, rebuild on every change.

The first build uses every core; rebuilds run in this process (everything is imported and warm,
and forking a threaded process is asking for trouble), and are incremental like any build, so an
edit renders only the pages that show it. A failed rebuild keeps the last good site on the page
with the errors over it; fixing them reloads the page.
"""

from __future__ import annotations

import errno
import signal
import sys
import threading
import time
import webbrowser
from dataclasses import dataclass
from pathlib import Path

from .build import BuildOptions, BuildReport, build, configure
from .dev_server import DevServer, SiteState
from .discover import STATIC_DIR
from .errors import BlogError
from .session import BuildSession
from .watch import ChangeWatcher


@dataclass(frozen=True, slots=True)
class ServeOptions:
    root: Path
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    strict: bool = False
    open_browser: bool = False


class PortInUse(Exception):
    pass


def _summary(report: BuildReport) -> str:
    return (
        f"{report.posts_parsed} posts parsed, {report.pages_rendered} pages rendered, "
        f"{report.files - report.unchanged_files} files written"
    )


def _messages(exc: BaseException, root: Path) -> list[str]:
    """A failed build as lines for the browser: `file:line: message`, hints, and no absolute
    path of this machine outside the site."""
    if isinstance(exc, BlogError):
        lines = [str(diagnostic) for diagnostic in exc.diagnostics]
    elif isinstance(exc, OSError):
        lines = [f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)]
    else:
        lines = [f"{type(exc).__name__}: {exc}"]
    prefix = str(root.resolve()) + "/"
    return [line.replace(prefix, "") for line in lines]


class Rebuilder:
    def __init__(self, options: ServeOptions, state: SiteState) -> None:
        self.options = options
        self.state = state
        self.attempts = 0
        self.session = BuildSession()

    def build(self, changed: set[Path], *, jobs: int | None = 1) -> None:
        try:
            self._build(changed, jobs)
        finally:
            self.session.finish()  # caches are written once the browser has its page

    def _build(self, changed: set[Path], jobs: int | None) -> None:
        started = time.perf_counter()
        verb = "rebuilt" if self.attempts else "built"  # tests and tools count "rebuilt" lines
        self.attempts += 1
        options = BuildOptions(
            drafts=self.options.drafts, strict=self.options.strict, jobs=jobs, session=self.session
        )
        with self.state.swap_lock:
            try:
                report = build(self.options.root, options)
                config = configure(self.options.root, options)  # site.toml may have changed
            except (BlogError, OSError) as exc:
                messages = _messages(exc, self.options.root)
                count = f"{len(messages)} error{'s' if len(messages) != 1 else ''}"
                attempt = "rebuild" if verb == "rebuilt" else "build"
                print(f"{attempt} failed: {count}; the browser shows them", flush=True)
                for line in messages:
                    print(f"  {line}", file=sys.stderr, flush=True)
                self.state.failed(messages)
                return
        self.state.out, self.state.base_path = config.output_path, config.base_path
        css_only = bool(changed) and all(
            path.suffix == ".css" and STATIC_DIR in path.parts for path in changed
        )
        seconds = time.perf_counter() - started
        print(f"{verb} in {seconds:.2f} s: {_summary(report)}", flush=True)
        self.state.built(css_only=css_only)

    def run(self, watcher: ChangeWatcher, stop: threading.Event) -> None:
        while not stop.is_set():
            changed = watcher.wait(timeout=0.5)
            if changed and not stop.is_set():
                self.build(changed)


def serve(options: ServeOptions) -> int:
    config = configure(options.root, BuildOptions())
    state = SiteState(config.output_path, config.base_path)
    rebuilder = Rebuilder(options, state)
    rebuilder.build(set(), jobs=None)  # every core, before any thread exists
    try:
        server = DevServer((options.host, options.port), state)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {options.port} on {options.host} is in use; "
                f"try --port {options.port + 1}, or --port 0 for any free port"
            ) from None
        raise
    host, port = str(server.server_address[0]), server.server_address[1]
    everywhere = options.host in ("0.0.0.0", "::")
    shown_host = "127.0.0.1" if everywhere else f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}{state.base_path}"
    if everywhere:
        print(
            "warning: serving on every network interface; anyone who can reach this machine "
            "can read the site (and drafts with --drafts)",
            file=sys.stderr,
        )
    # Ctrl-C, and a plain `kill`, stop the server cleanly (even when started in the background,
    # where a shell leaves SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    watcher = ChangeWatcher(options.root)
    watcher.start()
    stop = threading.Event()
    loop = threading.Thread(target=rebuilder.run, args=(watcher, stop), daemon=True)
    loop.start()
    try:  # from here on: whoever reads the line below may press Ctrl-C at once
        print(f"serving {options.root} at {url} (Ctrl-C to stop)", flush=True)
        if options.open_browser:
            webbrowser.open(url)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        state.close()
        watcher.stop()
        server.server_close()
        loop.join(timeout=5)
    print("stopped", flush=True)
    return 0
