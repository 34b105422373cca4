"""A persistent cache of formula conversions in `.blog-cache/`, so an unchanged formula is
converted once, ever.

One JSON file holds the conversions made under one *fingerprint*: the engine's version, the
rewrites' version and the site's macros. Change any of them and the file no longer matches, so
nothing stale is reused. The file is rewritten at the end of a build with only the formulas that
build used, so it never grows past the site. Deleting `.blog-cache/` is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CACHE_DIR = ".blog-cache"
FORMULA_FILE = "math.json"
_FORMAT = 1

# A conversion: the HTML, or the engine's error as (message, offset).
Conversion = str | tuple[str, int | None]


def fingerprint(engine_version: str, rewrites_version: str, macros: Mapping[str, str]) -> str:
    material = json.dumps(
        [_FORMAT, engine_version, rewrites_version, sorted(macros.items())], ensure_ascii=False
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _key(tex: str, display: bool) -> str:
    return ("D" if display else "I") + tex


@dataclass(slots=True)
class FormulaCache:
    """In-memory during a build; `load` and `save` move it to and from disk."""

    fingerprint: str
    path: Path | None = None
    _stored: dict[str, object] = field(default_factory=dict)
    _used: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path, fingerprint: str, *, read: bool = True) -> FormulaCache:
        path = root / CACHE_DIR / FORMULA_FILE
        cache = cls(fingerprint, path)
        if not read:
            return cache
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cache  # no cache yet, or a damaged one: start afresh
        if isinstance(data, dict) and data.get("fingerprint") == fingerprint:
            entries = data.get("entries")
            if isinstance(entries, dict):
                cache._stored = entries
        return cache

    def get(self, tex: str, display: bool) -> Conversion | None:
        key = _key(tex, display)
        value = self._used.get(key)
        if value is None:
            value = self._stored.get(key)
        if isinstance(value, str):
            self._used[key] = value
            return value
        if (
            isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], str)
            and (value[1] is None or isinstance(value[1], int))
        ):
            self._used[key] = value
            return value[0], value[1]
        return None

    def put(self, tex: str, display: bool, conversion: Conversion) -> None:
        self._used[_key(tex, display)] = (
            conversion if isinstance(conversion, str) else list(conversion)
        )

    def drain(self) -> dict[str, object]:
        """The entries used since the last drain (for a worker to hand to the main process)."""
        used, self._used = self._used, {}
        self._stored.update(used)
        return used

    def absorb(self, used: Mapping[str, object]) -> None:
        self._used.update(used)

    def save(self, *, prune: bool = True) -> None:
        """Write what this build used (and, unless `prune`, what earlier builds stored too); a
        cache that cannot be written is only a slower build."""
        if not prune:
            self._used = {**self._stored, **self._used}
        if self.path is None or self._used == self._stored:
            return
        try:
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".math-")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(
                    {"fingerprint": self.fingerprint, "entries": self._used},
                    out,
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
