"""Highlighted code blocks kept in `.blog-cache/code.json`, by language and code.

Highlighting is the slowest step after parsing, and many notes repeat their code (translations,
a setup block copied into each post): a block seen before, in this build or an earlier one, is
not highlighted again. This module does not import Pygments, so a build that parses nothing
does not pay for it."""

from __future__ import annotations

import re
from pathlib import Path

from mathblog.math.cache import CACHE_DIR
from mathblog.util.digests import installed_library
from mathblog.util.kept_results import KeptResults

CODE_FILE = "code.json"
_FORMAT = 1  # raise when the markup kept for a block changes (`highlight._FORMATTER`)
# What Pygments' HTML formatter (nowrap) writes: escaped text and spans of one class list. A
# kept value from disk must be only that, so a hand-edited cache cannot put a tag in a page.
_PYGMENTS_MARKUP = re.compile(r'(?:[^<]+|<span class="[\w -]*">|</span>)*')


def _looks_like_pygments(value: object) -> bool:
    return isinstance(value, str) and _PYGMENTS_MARKUP.fullmatch(value) is not None


class CodeCache(KeptResults):
    """Each value is the inside of a block's `<code>`, as Pygments made it."""

    __slots__ = ()

    @classmethod
    def for_site(cls, root: Path, *, read: bool = True) -> CodeCache:
        stamp = f"{_FORMAT} {installed_library('pygments', 'pygments')}"
        return cls.load(root / CACHE_DIR / CODE_FILE, stamp, read=read)

    def highlighted(self, language: str, code: str) -> str | None:
        kept = self.get(f"{language}\n{code}", _looks_like_pygments)
        return kept if isinstance(kept, str) else None

    def keep(self, language: str, code: str, markup: str) -> None:
        self.put(f"{language}\n{code}", markup)
