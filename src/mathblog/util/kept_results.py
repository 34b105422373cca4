"""Results kept between builds in one JSON file of `.blog-cache/`: what a slow, pure function
(a formula's conversion, a code block's highlighting) gave for each input, so an input seen
before is not worked on again, within a build or in the next one.

The file holds the results made under one *fingerprint* (the versions and settings the function
depends on). Change any of them and the file no longer matches, so nothing stale is reused. It
is rewritten at the end of a build with only the results that build used, so it never grows past
the site; a file that cannot be read or written only makes a slower build. A worker process
hands what it used to the main process (`drain`, `absorb`), which writes the file once.

A value read from disk goes into pages as it is, so each user checks it before use (`get`'s
`valid`): a file edited by hand, or by someone else, must not put a script into a page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from mathblog.util.atomic import write_atomically


@dataclass(slots=True)
class KeptResults:
    """In memory during a build; `load` and `save` move it to and from disk."""

    fingerprint: str
    path: Path | None = None
    _stored: dict[str, object] = field(default_factory=dict)  # as read from disk
    _used: dict[str, object] = field(default_factory=dict)  # what this build used or made

    @classmethod
    def load(cls, path: Path, fingerprint: str, *, read: bool = True) -> Self:
        kept = cls(fingerprint, path)
        if not read:
            return kept
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return kept  # no file yet, or a damaged one: start afresh
        if isinstance(data, dict) and data.get("fingerprint") == fingerprint:
            entries = data.get("entries")
            if isinstance(entries, dict):
                kept._stored = entries
        return kept

    def get(self, key: str, valid: Callable[[object], bool]) -> object | None:
        """The value kept for `key`; one from disk only if `valid` says it may be used."""
        value = self._used.get(key)
        if value is None:  # not used yet in this build: from disk, so checked first
            value = self._stored.get(key)
            if value is None or not valid(value):
                return None
            self._used[key] = value
        return value

    def put(self, key: str, value: object) -> None:
        self._used[key] = value

    def drain(self) -> dict[str, object]:
        """The entries used since the last drain (for a worker to hand to the main process)."""
        used, self._used = self._used, {}
        self._stored.update(used)
        return used

    def absorb(self, used: Mapping[str, object]) -> None:
        self._used.update(used)

    def save(self, *, prune: bool = True) -> None:
        """Write what this build used (and, unless `prune`, what earlier builds stored too)."""
        if not prune:
            self._used = {**self._stored, **self._used}
        if self.path is None or self._used == self._stored:
            return
        try:
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            stored = {"fingerprint": self.fingerprint, "entries": self._used}
            text = json.dumps(stored, ensure_ascii=False, separators=(",", ":"))
            write_atomically(self.path, text.encode("utf-8"))
        except OSError:
            return
