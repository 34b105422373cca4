"""Find the site's inputs: posts and static files, skipping dotfiles and editor leftovers."""

from __future__ import annotations

import os
import re
from pathlib import Path

POSTS_DIR = "posts"
STATIC_DIR = "static"
TEMPLATES_DIR = "templates"
THEME_DIR = Path(__file__).parent / "theme"  # the built-in theme: templates/ and static/

# vim (.swp, ~, 4913), emacs (#x#, .#x), JetBrains (___jb_tmp___), macOS (.DS_Store)
_TEMPORARY = re.compile(r"(^\.|^#.*#$|~$|\.sw[a-p]$|^4913$|___jb_\w+___$|\.tmp$)")


def is_temporary(name: str) -> bool:
    return bool(_TEMPORARY.search(name))


def find_visible(folder: Path, suffix: str = "") -> list[Path]:
    """Files under `folder` whose names end in `suffix`, skipping temporary files and folders;
    sorted. (os.scandir, not rglob: this runs on every build, even one with nothing to do.)"""
    found: list[str] = []
    pending = [str(folder)]
    seen: set[tuple[int, int]] = set()  # folders by inode: a symlink loop is walked once
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if is_temporary(entry.name):
                continue
            if entry.is_dir():
                info = entry.stat()
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    pending.append(entry.path)
            elif entry.name.endswith(suffix) and entry.is_file():
                found.append(entry.path)
    return [Path(path) for path in sorted(found, key=lambda p: p.split(os.sep))]


def find_posts(root: Path) -> list[Path]:
    return find_visible(root / POSTS_DIR, ".md")


# `blog init` leaves a note here on how static/ works; it is for the author, not the site.
STATIC_NOTE = "README.md"


def find_static(root: Path) -> list[Path]:
    folder = root / STATIC_DIR
    return [path for path in find_visible(folder) if path != folder / STATIC_NOTE]
