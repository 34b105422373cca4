"""Bytes a reader downloads to search: the example site and a generated one, in headless Chromium.

    python bench/search_weight.py                 # the example site
    python bench/search_weight.py --posts 1000    # a generated site (build_speed.generate_site)
    PYTHONPATH=/tmp/old/src python bench/search_weight.py --posts 1000   # another checkout's code

The built site is served by `http.server` on 127.0.0.1 (no compression); for each query the
script opens /search/?q=… in a fresh page and adds up the files it fetched, split into the
page with its CSS and JS and the index files (shards, prefix shards and documents). Gzip sizes
(what a static host that compresses JSON would send) are computed from the same files. Each
query is typed in full; `softm` and `\\math` are what a reader has typed on the way to a word.
The index build time is that of every index file's content, made again in one process from
the built site's post cache (the shards, and each document's file). Run by hand.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from build_speed import generate_site
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
QUERIES = (
    "扩散",
    "位置编码",
    "RoPE",
    "softmax",
    "softm",
    "\\math",
    "\\mathcal{L}",
    "扩散模型 softmax",
)
INDEX_PARTS = ("search/shards/", "search/prefixes/", "search/docs/")


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def measure(public: Path, queries: tuple[str, ...]) -> None:
    handler = functools.partial(Quiet, directory=str(public))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    browser_path = shutil.which("chromium") or shutil.which("google-chrome")
    print("| query | results | page + CSS + JS | index files | index, gzip | index requests |")
    print("|---|---|---|---|---|---|")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path)
            for query in queries:
                page = browser.new_page()
                paths: list[str] = []
                page.on("requestfinished", lambda r, paths=paths: paths.append(r.url))
                page.goto(f"http://127.0.0.1:{port}/search/?q={quote(query)}")
                page.wait_for_function("document.documentElement.dataset.search === 'done'")
                results = page.eval_on_selector_all("#search-results li", "l => l.length")
                files = [public / unquote(urlsplit(u).path).lstrip("/") for u in paths]
                files = [f / "index.html" if f.is_dir() else f for f in files]
                index = [f for f in files if any(part in str(f) for part in INDEX_PARTS)]
                other = sum(f.stat().st_size for f in files if f not in index)
                raw = sum(f.stat().st_size for f in index)
                packed = sum(len(gzip.compress(f.read_bytes())) for f in index)
                shards = sum("search/docs" not in str(f) for f in index)
                print(
                    f"| `{query}` | {results} | {other / 1000:.1f} kB | {raw / 1000:.1f} kB | "
                    f"{packed / 1000:.1f} kB | {shards} shards + {len(index) - shards} docs |"
                )
                page.close()
            browser.close()
    finally:
        server.shutdown()
    for part in INDEX_PARTS:
        folder = public / part
        if folder.is_dir():
            files = list(folder.iterdir())
            size = sum(f.stat().st_size for f in files)
            packed = sum(len(gzip.compress(f.read_bytes())) for f in files)
            print(
                f"{part}: {len(files)} files, {size / 1e6:.2f} MB ({packed / 1e6:.2f} MB gzipped)"
            )


INDEX_TIME = """
import sys, time
from pathlib import Path
from mathblog.build import BuildOptions, build_time, configure
from mathblog.search.index import SearchIndex
from mathblog.site.loading import load_posts
root = Path(sys.argv[1])
options = BuildOptions()
config = configure(root, options)
loaded = load_posts(config, drafts=False, now=build_time(config, options))
start = time.perf_counter()
index = SearchIndex(loaded.posts, loaded.search_terms, loaded.fingerprints)
files = [index.content(f.path) for f in index.files()]
print(f"{time.perf_counter() - start:.3f}")
"""


def index_build_time(root: Path, runs: int = 3) -> None:
    """The median of `runs` makings of every index file's content, from the post cache."""
    times = []
    for _ in range(runs):
        made = subprocess.run(
            [sys.executable, "-c", INDEX_TIME, str(root)], check=True, capture_output=True
        )
        times.append(float(made.stdout))
    print(f"index build time: {sorted(times)[len(times) // 2]:.3f} s (median of {runs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=0, help="generate a site of this many")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "site"
        if args.posts:
            generate_site(root, args.posts)
        else:
            root.mkdir()
            shutil.copy(REPO / "site.toml", root)
            shutil.copytree(REPO / "posts", root / "posts")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mathblog", "build", "--quiet"], cwd=root, check=True)
        print(f"cold build: {time.perf_counter() - started:.2f} s\n")
        measure(root / "public", QUERIES)
        index_build_time(root, runs=1 if args.posts >= 10_000 else 3)  # minutes each at 10k


if __name__ == "__main__":
    main()
