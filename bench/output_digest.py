"""Print a digest of every byte `blog build` writes, for the example site and a generated site.

    python bench/output_digest.py                   # the example site and 1,000 generated posts
    python bench/output_digest.py --posts 200

A refactoring that should change no output is checked by running this before and after it: the
digests must match. Each site is built in a fresh copy, in a subprocess of whichever `blog` the
running Python imports, so a checkout's own code is measured with `PYTHONPATH=src`.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from build_speed import generate_site

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = ("site.toml", "posts", "static", "templates")


def digest(public: Path) -> tuple[str, int]:
    """One SHA-256 over every output file's relative path and bytes, in sorted order."""
    total = hashlib.sha256()
    files = sorted(path for path in public.rglob("*") if path.is_file())
    for path in files:
        total.update(path.relative_to(public).as_posix().encode() + b"\0")
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest(), len(files)


def build(site: Path) -> tuple[str, int]:
    command = [sys.executable, "-m", "mathblog", "build", "--source", str(site)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"build of {site} failed:\n{result.stderr[-4000:]}")
    return digest(site / "public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="posts in the generated site")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        example = Path(scratch) / "example"
        example.mkdir()
        for name in EXAMPLE:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, example / name)
            elif source.is_file():
                shutil.copy2(source, example / name)
        generated = Path(scratch) / "generated"
        generate_site(generated, options.posts)
        for label, site in (("example site", example), (f"{options.posts} posts", generated)):
            hexdigest, count = build(site)
            print(f"{label}: {count} files, sha256 {hexdigest}")


if __name__ == "__main__":
    main()
