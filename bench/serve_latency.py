"""Measure `blog serve`'s edit-to-browser latency on a generated site, in headless Chromium.

    python bench/serve_latency.py                 # 1,000 posts, 10 edits
    python bench/serve_latency.py --posts 5000 --edits 20
    python bench/serve_latency.py --notes          # the real notes of tests/corpus, 1,000 posts

The site is build_speed.py's seeded one (with `--notes`, its real-notes one). `blog serve --port
0` serves it and headless Chromium (the system's, driven by Playwright) opens one post from the
middle of the date order. Each edit
rewrites that post with a new unique marker paragraph; the latency is the time from the file write
to the first frame drawn with the marker in the page. A script the browser runs in every page it
loads (before the page's own) watches the DOM with a `MutationObserver`: when the marker comes
in it notes the time (wall clock, `performance.timeOrigin + performance.now()`), and again after
the next animation frame, which is the figure given. Nothing polls the page while the server
works: an earlier version of this script read `document.body.innerText` every 5 ms, which lays
out the whole page each time and kept one of two cores busy in the browser during the rebuild
it measured. It includes noticing the change, the incremental rebuild, the server's event, the
fetch of the new page and putting it in place (or a reload). The time at which the
server printed its `rebuilt` line is shown beside it. This is a measurement, run by hand; it is
not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, Response, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import edit_targets, environment, generate_notes_site, generate_site

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SERVING_URL = re.compile(r"http://127\.0\.0\.1:\d+/\S*")
REBUILT = re.compile(r"^rebuilt in ([\d.]+) s\b.*?(?:(\d+) files? written)?$")
EVENTS = "/__blog/events"
# Run in every document before its own scripts: when a marker of `measure` comes into the DOM,
# the time, and the time once the frame after it is drawn (a task after the next animation
# frame runs after that frame's paint), both on the wall clock, in milliseconds.
MARKER_WATCH = r"""(() => {
    const seen = (window.__latencyMarkers = {});
    const marker = /latency-\d+-[0-9a-f]{32}/g;
    const now = () => performance.timeOrigin + performance.now();
    function look(text) {
        for (const [found] of text.matchAll(marker)) {
            if (found in seen) continue;
            const times = (seen[found] = { dom: now(), drawn: null });
            requestAnimationFrame(() => setTimeout(() => (times.drawn = now()), 0));
        }
    }
    new MutationObserver((records) => {
        for (const record of records) {
            for (const node of record.addedNodes) look(node.textContent || "");
        }
    }).observe(document, { childList: true, subtree: true });
})();"""
DRAWN = "marker => window.__latencyMarkers?.[marker]?.drawn ?? null"
NAVIGATION = """() => {
    const load = performance.getEntriesByType("navigation")[0];
    return [performance.timeOrigin, load.responseEnd, load.domInteractive];
}"""


@dataclass
class Server:
    """`blog serve` in a subprocess; a thread reads its output, each line with the time it came."""

    process: subprocess.Popen[str]
    lines: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.perf_counter(), line.rstrip("\n")))

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def wait_for_url(self, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for _, line in list(self.lines):
                if "serving" in line and (found := SERVING_URL.search(line)):
                    return found[0]
            if self.process.poll() is not None:
                time.sleep(0.2)
                sys.exit(f"blog serve exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        sys.exit(f"blog serve printed no URL within {seconds:.0f} s:\n{self.output()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@dataclass
class Connections:
    """Counts the page's loads and its event-stream connections: the page can miss an edit that
    comes after a load but before its event stream is open."""

    loads: int = 0
    streams: int = 0

    def follow(self, page: Page) -> None:
        page.on("framenavigated", lambda frame: self._loaded(frame == page.main_frame))
        page.on("response", self._response)

    def _loaded(self, main: bool) -> None:
        if main:
            self.loads += 1

    def _response(self, response: Response) -> None:
        if EVENTS in response.url:
            self.streams += 1

    def wait_until_listening(self, page: Page, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while self.streams < self.loads:
            if time.monotonic() > deadline:
                sys.exit(f"the page opened no {EVENTS} stream within {seconds:.0f} s of loading")
            page.wait_for_timeout(5)  # lets Playwright deliver events, unlike time.sleep


@dataclass(frozen=True)
class Rebuild:
    printed: float  # file written → `rebuilt` line on the server's stdout
    build: float  # the build itself, as the line says
    files_written: int | None


@dataclass(frozen=True)
class Edit:
    seconds: float  # file written → the first frame drawn with the marker in the page
    rebuild: Rebuild | None
    reload: float | None  # file written → the browser starting the page's reload; None: no reload
    served: float  # reload began → the page's HTML fully received
    interactive: float  # reload began → the page's DOM parsed


def find_browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    sys.exit(
        f"no browser on PATH (looked for {', '.join(BROWSERS)}); e.g. apt-get install chromium"
    )


def rebuild(server: Server, since: int, written: float) -> Rebuild | None:
    """The first `rebuilt` line after line `since`: when it came, and what it says."""
    for stamp, line in server.lines[since:]:
        if line.startswith("rebuild failed"):
            sys.exit(f"the rebuild failed:\n{server.output()}")
        if found := REBUILT.match(line):
            files = int(found[2]) if found[2] else None
            return Rebuild(stamp - written, float(found[1]), files)
    return None


def measure(page: Page, server: Server, post: Path, original: str, run: int) -> Edit:
    marker = f"latency-{run}-{uuid.uuid4().hex}"
    text = f"{original.rstrip()}\n\nEdited by the benchmark: {marker}\n"
    since = len(server.lines)
    wall = time.time()  # the page's performance.timeOrigin is on this clock
    written = time.perf_counter()
    post.write_text(text, encoding="utf-8")
    try:
        # Seldom: what is measured is the time the page noted, not when this loop looks.
        page.wait_for_function(DRAWN, arg=marker, polling=200, timeout=60_000)
    except PlaywrightTimeout:
        sys.exit(f"edit {run + 1}: not in the page after 60 s; the server said:\n{server.output()}")
    seconds = float(page.evaluate(DRAWN, marker)) / 1000 - wall
    origin, served, interactive = (float(ms) / 1000 for ms in page.evaluate(NAVIGATION))
    time.sleep(0.1)  # the `rebuilt` line may be read a moment after the page has it
    reload = origin - wall if origin > wall else None
    return Edit(seconds, rebuild(server, since, written), reload, served, interactive)


def milliseconds(value: float | None) -> str:
    return "?" if value is None else f"{value * 1000:.0f} ms"


def describe(edit: Edit) -> str:
    shown = f"{milliseconds(edit.seconds):>7} in the page"
    if edit.rebuild is None:
        shown += "; no `rebuilt` line seen"
    else:
        files = "?" if edit.rebuild.files_written is None else edit.rebuild.files_written
        shown += (
            f"; `rebuilt` printed at {milliseconds(edit.rebuild.printed)} "
            f"(build {milliseconds(edit.rebuild.build)}, files written: {files})"
        )
    if edit.reload is None:
        return shown + "; no reload"
    return (
        f"{shown}; reload began at {milliseconds(edit.reload)} (HTML received "
        f"{milliseconds(edit.served)} and DOM parsed {milliseconds(edit.interactive)} after it)"
    )


def spread(values: list[float]) -> str:
    return (
        f"median {milliseconds(statistics.median(values))}, "
        f"min {milliseconds(min(values))}, max {milliseconds(max(values))}"
    )


def run(posts: int, edits: int, pause: float, notes: bool) -> list[Edit]:
    with tempfile.TemporaryDirectory(prefix="blog-serve-latency-") as folder:
        root = Path(folder) / "site"
        (generate_notes_site if notes else generate_site)(root, posts)
        target = root / "posts" / edit_targets(root / "posts", 1)[0]
        original = target.read_text(encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "mathblog", "serve", "-s", str(root), "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        server = Server(process)
        results: list[Edit] = []
        try:
            started = time.perf_counter()
            url = server.wait_for_url(600) + f"posts/{target.stem}/"
            print(f"first build and start: {time.perf_counter() - started:.2f} s; {url}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=find_browser(), args=["--no-sandbox"]
                )
                print(f"browser: {browser.version}")
                page = browser.new_page()
                page.add_init_script(MARKER_WATCH)
                page.on(
                    "console", lambda m: print(f"console {m.type}: {m.text} ({m.location['url']})")
                )
                connections = Connections()
                connections.follow(page)
                page.goto(url)
                for number in range(edits):
                    connections.wait_until_listening(page)
                    page.wait_for_timeout(pause * 1000)
                    edit = measure(page, server, target, original, number)
                    results.append(edit)
                    print(f"edit {number + 1:2}: {describe(edit)}")
                browser.close()
        finally:
            code = server.stop()
        print(f"blog serve stopped by Ctrl-C with exit code {code}")
        return results


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=positive, default=1000, help="posts in the site (1000)")
    parser.add_argument("--edits", type=positive, default=10, help="edits to time (10)")
    parser.add_argument(
        "--pause", type=float, default=0.5, help="seconds between a page update and the next edit"
    )
    parser.add_argument(
        "--notes", action="store_true", help="posts from tests/corpus/notes, not generated ones"
    )
    args = parser.parse_args()
    print("\n".join(environment(None)))
    kind = "real notes (tests/corpus) repeated" if args.notes else "generated"
    print(f"site: {args.posts} posts, {kind}; {args.edits} edits of one post")
    results = run(args.posts, args.edits, args.pause, args.notes)
    print(f"edit → page: {spread([edit.seconds for edit in results])}")
    rebuilds = [edit.rebuild for edit in results if edit.rebuild is not None]
    if rebuilds:
        print(f"edit → `rebuilt` line: {spread([r.printed for r in rebuilds])}")
        print(f"build alone: {spread([r.build for r in rebuilds])}")
    reloads = [edit.reload for edit in results if edit.reload is not None]
    if reloads:
        print(f"edit → reload began: {spread(reloads)}")
        loads = [edit.interactive for edit in results if edit.reload is not None]
        print(f"reload began → DOM parsed: {spread(loads)}")


if __name__ == "__main__":
    main()
