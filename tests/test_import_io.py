"""Importing blog's modules reads no files of their own and lists no folders: the math engine's
stamp and the dev server's script are looked up when first needed."""

from __future__ import annotations

import os
import subprocess
import sys

import math_core

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
