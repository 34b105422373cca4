"""Our search against Pagefind's, same queries, same sites, in headless Chromium.

    pip download 'pagefind[extended]' -d /tmp/pf && python -m venv /tmp/pfenv \\
        && /tmp/pfenv/bin/pip install --no-index /tmp/pf/*.whl
    python bench/search_pagefind.py --pagefind /tmp/pfenv/bin/python

Two sites are built with `blog build`: the example site, and every note of tests/corpus/ as a
post of one zh-CN site (as tests/test_phone_browser.py's `corpus_site` makes it; each post is
titled by its note's file name). Pagefind (`python -m pagefind --site public`, unconfigured,
as a reader would first run it) indexes the built HTML. Both are served by `http.server` on
127.0.0.1; for each query the script reads our /search/?q=… result list, and calls Pagefind's
JS API (`pagefind.js`, `search(q)`, each result's `data()`) in a page of the same site. It prints
the first hits of each as Markdown. Pagefind is used here only: never by the product or tests.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests/corpus/notes"
QUERIES = (
    *("扩散", "位置编码", "注意力", "梯度下降", "KL散度"),
    *("RoPE", "softmax", "attention", "RoPE 推导"),
    *("softm", "flash", "atten", "transf"),
    *("\\mathcal{L}", "\\math", "\\nabla", "\\frac"),
)
SHOWN = 5  # hits printed per query
WAIT_MS = 60_000


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def example_site(root: Path) -> None:
    root.mkdir()
    shutil.copy(REPO / "site.toml", root)
    shutil.copytree(REPO / "posts", root / "posts")


def corpus_site(root: Path) -> None:
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Corpus"\nlanguage = "zh-CN"\n', encoding="utf-8")
    for n, path in enumerate(sorted(CORPUS.rglob("*.md"))):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n") and (end := text.find("\n---", 4)) != -1:
            text = text[end + 4 :].lstrip("\n")
        front = (
            f'---\ntitle: "{path.stem}"\ndate: 2024-01-{n % 28 + 1:02d}\nslug: note{n:03d}\n---\n'
        )
        (root / "posts" / f"note{n:03d}.md").write_text(front + text, encoding="utf-8")


def name_of(url: str) -> str:
    """A hit as a short name: a post's slug, else the page's path."""
    path = unquote(urlsplit(url).path)
    if path.startswith("/posts/"):
        return path.removeprefix("/posts/").strip("/")
    return path.removesuffix("index.html") or "/"


def ours(page: Page, port: int, query: str) -> tuple[int, list[str]]:
    page.goto(f"http://127.0.0.1:{port}/search/?q={quote(query)}")
    page.wait_for_function("document.documentElement.dataset.search === 'done'", timeout=WAIT_MS)
    status = page.inner_text("#search-status")
    links = page.eval_on_selector_all(
        "#search-results .search-result-title a", "links => links.map(l => l.href)"
    )
    count = int("".join(c for c in status if c.isdigit()) or len(links)) if links else 0
    return count, [name_of(link) for link in links[:SHOWN]]


PAGEFIND = """async ([query, shown]) => {
    const pagefind = await import("/pagefind/pagefind.js");
    await pagefind.init();
    const found = await pagefind.search(query);
    const data = await Promise.all(found.results.slice(0, shown).map(r => r.data()));
    return [found.results.length, data.map(d => d.url)];
}"""


def pagefinds(page: Page, port: int, query: str) -> tuple[int, list[str]]:
    page.goto(f"http://127.0.0.1:{port}/404.html")
    count, urls = page.evaluate(PAGEFIND, [query, SHOWN])
    return count, [name_of(url) for url in urls]


def compare(public: Path, title: str) -> None:
    handler = functools.partial(Quiet, directory=str(public))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    print(f"\n### {title}\n")
    print(f"| query | ours: hits, first {SHOWN} | Pagefind: hits, first {SHOWN} |")
    print("|---|---|---|")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or shutil.which("google-chrome")
            )
            page = browser.new_page()
            for query in QUERIES:
                our_count, our_hits = ours(page, port, query)
                their_count, their_hits = pagefinds(page, port, query)
                print(
                    f"| `{query}` | {our_count}: {', '.join(our_hits) or '—'} "
                    f"| {their_count}: {', '.join(their_hits) or '—'} |"
                )
            browser.close()
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pagefind", required=True, help="a Python with pagefind[extended]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for make, title in ((example_site, "Example site"), (corpus_site, "Corpus notes")):
            root = Path(scratch) / make.__name__
            make(root)
            build = [sys.executable, "-m", "mathblog", "build", "--quiet"]
            subprocess.run(build, cwd=root, check=True)
            pagefind = [args.pagefind, "-m", "pagefind", "--site", "public"]
            subprocess.run(pagefind, cwd=root, check=True, capture_output=True)
            compare(root / "public", title)


if __name__ == "__main__":
    main()
