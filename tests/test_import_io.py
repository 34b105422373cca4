"""Importing blog's modules reads no files of their own and lists no folders: the math engine's
stamp and the dev server's script are looked up when first needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import math_core
from sites import post, write_site

# Runs in a fresh interpreter: math_core is imported first (the import system lists its folder
# then, once), and only what `blog` does afterwards is recorded.
SCRIPT = """
import os, sys
import math_core
site = os.path.dirname(os.path.dirname(math_core.__file__))
seen = []

def hook(event, args):
    if event == "os.listdir" and args and os.fspath(args[0] or ".") == site:
        seen.append("listdir " + site)
    if event == "open" and args and str(args[0]).endswith("livereload.js"):
        seen.append("open livereload.js")

sys.addaudithook(hook)
import mathblog.math.engine, mathblog.serve.http, mathblog.cli
print("at import:", seen)
seen.clear()
from mathblog.math.engine import cache_fingerprint
from mathblog.serve.http import inject
cache_fingerprint({})
inject(b"<body></body>", 1)
print("when used:", sorted(set(seen)))
"""


def test_nothing_is_read_at_import_and_everything_when_used() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "at import: []",
        "when used: ['listdir " + _site() + "', 'open livereload.js']",
    ]


def _site() -> str:
    return os.path.dirname(os.path.dirname(math_core.__file__))


# A build of a site whose output is up to date, and then one with a post edited, in one fresh
# interpreter each: which of the heavy libraries each imported.
HEAVY = ("jinja2", "markdown_it", "pygments", "mathblog.content.post", "mathblog.render.templates")
BUILD_SCRIPT = """
import sys
from mathblog.build import build
build(__import__("pathlib").Path(sys.argv[1]))
print(" ".join(sorted(name for name in sys.argv[2:] if name in sys.modules)))
"""


def test_a_build_with_nothing_to_make_imports_no_markdown_nor_jinja(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"a.md": post("A", body="```python\nx = 1\n```\n")})

    def imported() -> str:
        done = subprocess.run(
            [sys.executable, "-c", BUILD_SCRIPT, str(root), *HEAVY],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    # (Posts may be parsed in worker processes, which this process does not see.)
    assert "jinja2 mathblog.render.templates" in imported()  # the first build makes everything
    assert imported() == ""  # nothing changed: nothing to parse or render
    (root / "posts/a.md").write_text(post("A", body="Edited."), encoding="utf-8")
    assert "jinja2 mathblog.render.templates" in imported()
