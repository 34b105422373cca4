"""The page keys of the last plan (`site.pages.KnownKeys`), kept in `.blog-cache/` for the next
one-off build: plain data (a tuple, dicts and strings), read with an unpickler that makes no
other object, so a damaged or tampered file is ignored and can never run code."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from mathblog.math.cache import CACHE_DIR
from mathblog.util.atomic import write_atomically

PAGE_KEYS_FILE = "page-keys.pickle"
FORMAT = 1  # of the file; the keys themselves change with the code, through their basis


class _BuiltinsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the page keys")


def read_page_keys(root: Path) -> object | None:
    """What `write_page_keys` left, or None (none, another format, or not readable)."""
    try:
        with open(root / CACHE_DIR / PAGE_KEYS_FILE, "rb") as file:
            data = _BuiltinsOnly(file).load()
    except Exception:  # any damage (a cut file raises EOFError, a tampered one anything)
        return None
    if isinstance(data, tuple) and len(data) == 2 and data[0] == FORMAT:
        keys: object = data[1]
        return keys
    return None


def write_page_keys(root: Path, keys: object) -> None:
    folder = root / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / PAGE_KEYS_FILE, pickle.dumps((FORMAT, keys), pickle.HIGHEST_PROTOCOL))
