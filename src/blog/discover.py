"""Find the site's inputs: posts and static files, skipping dotfiles and editor leftovers."""

from __future__ import annotations

import re
from pathlib import Path

POSTS_DIR = "posts"
STATIC_DIR = "static"
TEMPLATES_DIR = "templates"

# vim (.swp, ~, 4913), emacs (#x#, .#x), JetBrains (___jb_tmp___), macOS (.DS_Store)
_TEMPORARY = re.compile(r"(^\.|^#.*#$|~$|\.sw[a-p]$|^4913$|___jb_\w+___$|\.tmp$)")


def is_temporary(name: str) -> bool:
    return bool(_TEMPORARY.search(name))


def _visible_files(folder: Path, pattern: str) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.rglob(pattern):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(is_temporary(part) for part in parts):
            found.append(path)
    return sorted(found)


def find_posts(root: Path) -> list[Path]:
    return _visible_files(root / POSTS_DIR, "*.md")


def find_static(root: Path) -> list[Path]:
    return _visible_files(root / STATIC_DIR, "*")
