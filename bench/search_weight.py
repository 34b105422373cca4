"""Bytes a reader downloads to search: the example site and a generated one, in headless Chromium.

    python bench/search_weight.py                 # the example site
    python bench/search_weight.py --posts 1000    # a generated site (build_speed.generate_site)

The built site is served by `http.server` on 127.0.0.1 (no compression); for each query the
script opens /search/?q=… in a fresh page and adds up the files it fetched, split into the
page with its CSS and JS and the index files (shards and documents). Gzip sizes (what a static
host that compresses JSON would send) are computed from the same files. Run by hand.
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
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from build_speed import generate_site
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
QUERIES = ("扩散", "位置编码", "RoPE", "softmax", "\\mathcal{L}", "扩散模型 softmax")


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
                index = [f for f in files if "search/shards" in str(f) or "search/docs" in str(f)]
                other = sum(f.stat().st_size for f in files if f not in index)
                raw = sum(f.stat().st_size for f in index)
                packed = sum(len(gzip.compress(f.read_bytes())) for f in index)
                shards = sum("search/shards" in str(f) for f in index)
                print(
                    f"| `{query}` | {results} | {other / 1000:.1f} kB | {raw / 1000:.1f} kB | "
                    f"{packed / 1000:.1f} kB | {shards} shards + {len(index) - shards} docs |"
                )
                page.close()
            browser.close()
    finally:
        server.shutdown()
    shards = list((public / "search/shards").iterdir())
    total = sum(f.stat().st_size for f in shards)
    docs = sum(f.stat().st_size for f in (public / "search/docs").iterdir())
    print(
        f"\nindex on disk: {len(shards)} shards, {total / 1e6:.2f} MB; "
        f"documents {docs / 1e6:.2f} MB"
    )


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
        subprocess.run([sys.executable, "-m", "mathblog", "build", "--quiet"], cwd=root, check=True)
        measure(root / "public", QUERIES)


if __name__ == "__main__":
    main()
