"""`blog serve`: build, serve the output with live reload, rebuild on every change.

The first build uses every core; rebuilds run in this process (everything is imported and warm,
and forking a threaded process is asking for trouble), and are incremental like any build, so an
edit renders only the pages that show it. A failed rebuild keeps the last good site on the page
with the errors over it; fixing them reloads the page.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sys
import threading
import time
import traceback
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from mathblog.build import BuildOptions, BuildReport, build, configure, prepare_renderer
from mathblog.config import SiteConfig
from mathblog.content.discover import STATIC_DIR
from mathblog.errors import BlogError
from mathblog.incremental.build_cache import BuildCache
from mathblog.incremental.file_keys import RACY_NANOSECONDS
from mathblog.math.cache import CACHE_DIR
from mathblog.serve.http import DevServer, SiteState
from mathblog.serve.session import ServeSession
from mathblog.serve.watch import ChangeWatcher
from mathblog.site.loading import prepare_parser
from mathblog.util.parallel import stop_pools
from mathblog.util.text import counted
from mathblog.util.timings import report_lines


@dataclass(frozen=True, slots=True)
class ServeOptions:
    root: Path
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    future: bool = False
    strict: bool = False
    open_browser: bool = False
    output: Path | None = None  # None: `output_folder` decides
    base_url: str | None = None
    jobs: int | None = None  # worker processes of the first build; None: one per core
    quiet: bool = False  # no line per build: only the address, warnings and errors
    timings: bool = False  # after each build, where its time went

    def output_folder(self) -> Path | None:
        """Where the site is rendered: `--output`; else, when drafts, future posts or another
        base URL are asked for, a folder of serve's own in `.blog-cache/`, so that `public/`
        only ever holds what `blog build` would put there (a deploy of it by hand carries no
        draft); else None, the site's output_dir, which a plain serve keeps up to date for the
        next `blog build`."""
        if self.output is not None:
            return self.output
        if self.drafts or self.future or self.base_url is not None:
            return self.root / SERVE_OUTPUT
        return None

    def build_options(
        self, *, jobs: int | None = None, build_cache: BuildCache | None = None
    ) -> BuildOptions:
        return BuildOptions(
            drafts=self.drafts,
            future=self.future,
            strict=self.strict,
            output=self.output_folder(),
            base_url=self.base_url,
            jobs=jobs,
            build_cache=build_cache,
        )


SERVE_OUTPUT = Path(CACHE_DIR) / "serve"


SHOWN_CHANGES = 3  # files named in the line that says a rebuild started


class PortInUse(Exception):
    pass


def _summary(report: BuildReport) -> str:
    held_back = f", {counted(report.held_back, 'future post')} left out" if report.held_back else ""
    return (
        f"{counted(report.posts_parsed, 'Markdown file')} parsed, "
        f"{counted(report.pages_rendered, 'page')} rendered, "
        f"{counted(report.files - report.unchanged_files, 'file')} written{held_back}"
    )


def _messages(exc: BaseException, root: Path) -> list[str]:
    """A failed build as lines for the browser: `file:line: message`, hints, and no absolute
    path of this machine outside the site."""
    if isinstance(exc, BlogError):
        lines = [str(diagnostic) for diagnostic in exc.diagnostics]
    elif isinstance(exc, OSError):
        lines = [f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)]
    else:
        lines = [f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__]
    prefix = str(root.resolve()) + "/"
    return [line.replace(prefix, "") for line in lines]


def _what_changed(changed: set[Path], root: Path, out: Path) -> str:
    """`posts/a.md changed`, `posts/a.md, posts/b.md and 3 more changed`, `public/ is gone`."""
    if out in changed:
        return f"{_shown(out, root)}/ is gone"
    names = sorted(_shown(path, root) for path in changed)
    shown = ", ".join(names[:SHOWN_CHANGES])
    more = len(names) - SHOWN_CHANGES
    return f"{shown}{f' and {more} more' if more > 0 else ''} changed"


def _shown(path: Path, root: Path) -> str:
    try:
        shown = path.relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    # A name that is not UTF-8 (its bytes are surrogates here) cannot be printed as it is.
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


class Rebuilder:
    """Builds the site on demand. A build that fails, whatever the cause, leaves the last good
    site on the page with the errors over it; the next change builds again."""

    def __init__(self, options: ServeOptions, state: SiteState) -> None:
        self.options = options
        self.state = state
        self.attempts = 0
        self.session = ServeSession()
        self.building = threading.Lock()  # held by the loop while it builds
        self.files = -1  # in the output of the last good build
        self.warned: frozenset[str] = frozenset()  # the last good build's warnings, as printed
        self.first_started = time.monotonic()  # when the first build started (`settle`)

    def build(self, changed: set[Path], *, jobs: int | None = 1) -> None:
        started = time.perf_counter()
        verb = "rebuilt" if self.attempts else "built"  # tests and tools count "rebuilt" lines
        if not self.attempts:
            self.first_started = time.monotonic()
        self.attempts += 1
        try:
            if changed and not self.options.quiet:
                what = _what_changed(changed, self.options.root, self.state.out)
                print(f"{what}: rebuilding", flush=True)
            report, config = self._build(jobs)
            self.state.out, self.state.base_path = config.output_path, config.base_path
            seconds = time.perf_counter() - started
            # Written or deleted files; the same number and none written is the same output.
            wrote = report.files != report.unchanged_files or report.files != self.files
            self.files = report.files
            self.state.built(css_only=_only_css(changed), wrote=wrote)
            self._warn([str(warning) for warning in report.warnings])
            # After the state: whoever reads the line finds the server as it says.
            if not self.options.quiet:
                print(f"{verb} in {seconds:.2f} s: {_summary(report)}", flush=True)
            if self.options.timings:
                print("\n".join(report_lines(report.timings, report.seconds)), flush=True)
            self.session.finish()  # caches are written once the browser has its page
        except (KeyboardInterrupt, SystemExit):
            raise  # Ctrl-C during the first build, which runs in the main thread
        # Anything else: a site error, the disk, or a bug (an extension's panic is not even an
        # Exception). The server must go on serving the last good build either way.
        except BaseException as exc:
            stop_pools()  # workers whose results the failed build left unread
            self._failed(exc, "rebuild" if verb == "rebuilt" else "build")
            with contextlib.suppress(Exception):  # what the failed build left for later
                self.session.finish()

    def _warn(self, warnings: list[str]) -> None:
        """Print the warnings the last good build did not have, and count the rest: an edit
        shows what it brought, not every missing image of the site again (a fixed one is
        simply not counted)."""
        for warning in warnings:
            if warning not in self.warned:
                print(f"warning: {warning}", flush=True)
        if standing := sum(warning in self.warned for warning in warnings):
            print(
                f"{counted(standing, 'earlier warning')} still "
                f"{'stands' if standing == 1 else 'stand'} (`blog build` prints them all)",
                flush=True,
            )
        self.warned = frozenset(warnings)

    def _build(self, jobs: int | None) -> tuple[BuildReport, SiteConfig]:
        options = self.options.build_options(jobs=jobs, build_cache=self.session)
        with self.state.swap_lock:
            report = build(self.options.root, options)
            return report, configure(self.options.root, options)  # site.toml may have changed

    def _failed(self, exc: BaseException, attempt: str) -> None:
        messages = _messages(exc, self.options.root)
        self.state.failed(messages)
        count = counted(len(messages), "error")
        print(f"{attempt} failed: {count}; the browser shows them", flush=True)
        if not isinstance(exc, BlogError | OSError):  # not the site's fault: a bug to report
            traceback.print_exception(exc, file=sys.stderr)
        for line in messages:
            print(f"  {line}", file=sys.stderr, flush=True)

    def run(self, watcher: ChangeWatcher, stop: threading.Event) -> None:
        # In the thread that builds (the engine's process lives as long as the thread that
        # started it); not under `building`: it writes nothing, and Ctrl-C need not wait for it.
        with contextlib.suppress(Exception):  # if it fails, the first edit is only slower
            config = configure(self.options.root, self.options.build_options())
            prepare_parser(config, self.session)
            prepare_renderer(config, self.session)
        # What exists now (modules, the parser, the templates, the first build's posts) mostly
        # lives as long as the server: left out of every later collection, which no longer
        # walks it (a rebuild of 1,000 posts spent 15 ms collecting, 9 ms after this).
        gc.freeze()
        # The files the first build could not trust had changed shortly before it started.
        settle_after: float | None = self.first_started + RACY_NANOSECONDS / 1e9
        while not stop.is_set():
            changed = watcher.wait(timeout=0.5)
            with self.building:
                if stop.is_set():
                    continue
                if not changed:
                    if settle_after is not None and time.monotonic() > settle_after:
                        settle_after = None
                        self.settle()
                    continue
                settle_after = None  # this build reads what the first one could not trust
                # A build reports its own failures; this is for the report failing (a terminal
                # that went away), which must not end the rebuilds either.
                with contextlib.suppress(OSError):
                    self.build(changed)

    def settle(self) -> None:
        """Build once more, quietly, if the first build could not trust post files by their
        times: they had changed a moment before it read them (a fresh clone, a generated
        site), so the next build reads and hashes every one of them again. Done while nothing
        happens, that next build is not the first edit (at 1,000 posts, 0.3 s of it)."""
        if not self.session.untrusted_posts():
            return
        try:
            report, _ = self._build(jobs=1)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # as in `build`: if it fails, the first edit is only slower
            stop_pools()
        else:
            if report.files != report.unchanged_files or report.files != self.files:
                self.files = report.files  # a change no event told of: the page is told
                self.state.built(css_only=False, wrote=True)
        with contextlib.suppress(Exception):  # the caches it wrote, or what it left for later
            self.session.finish()

    def busy(self, stop: threading.Event) -> bool:
        """Stop the loop; whether a build is under way (then it would finish on its own time)."""
        stop.set()
        if not self.building.acquire(blocking=False):
            return True
        self.building.release()
        return False


def _only_css(changed: set[Path]) -> bool:
    return bool(changed) and all(
        path.suffix == ".css" and STATIC_DIR in path.parts for path in changed
    )


def serve(options: ServeOptions) -> int:
    config = configure(options.root, options.build_options())
    state = SiteState(config.output_path, config.base_path)
    rebuilder = Rebuilder(options, state)
    rebuilder.build(set(), jobs=options.jobs)  # every core by default, before any thread exists
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
    state.rebuild_soon = lambda: watcher.notice(state.out)
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
        # A second Ctrl-C while stopping ends the process there and then.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if rebuilder.busy(stop):
            _exit_during_a_build()
        state.close()
        server.server_close()
        watcher.stop()
    loop.join(timeout=5)
    print("stopped", flush=True)
    return 0


def _exit_during_a_build() -> NoReturn:
    """Stop now rather than when the rebuild is done, which may be seconds away. A build cannot
    be stopped halfway, and the interpreter's own shutdown would wait for it or trip over it, so
    the process ends here, sockets, watches and all (each step of an orderly stop waits for the
    busy thread to let go of the interpreter). A build cut short leaves the output as it was
    (see `output`)."""
    print("stopped; the unfinished rebuild left the output as it was", flush=True)
    sys.stderr.flush()
    os._exit(0)
