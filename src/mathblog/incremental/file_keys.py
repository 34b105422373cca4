"""A post file's key known without reading the file: by its size, times and inode, as they were
when it was last read. Kept in the post index, so every build (not only `blog serve`) reads and
hashes only the files that changed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

# A file changed this recently may change again within the file system's timestamp resolution
# without its times moving: it is read again next build rather than trusted by its times.
RACY_NANOSECONDS = 2_000_000_000

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def signature(info: os.stat_result) -> Signature:
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


@dataclass(slots=True)
class FileKeys:
    """Each file's key by its name, with the signature it had before it was read."""

    known: dict[str, tuple[Signature, str]] = field(default_factory=dict)

    def key(self, name: str, info: os.stat_result) -> str | None:
        """The key of a file read before, if it cannot have changed since."""
        known = self.known.get(name)
        if known is None or known[0] != signature(info):
            return None
        return known[1]

    def remember(self, name: str, info: os.stat_result, key: str, now: int | None = None) -> None:
        """`info` is the file's stat from before it was read for `key`; `now`, the time by the
        clock of the file system it is on, if known (a network disk's may be seconds off
        this machine's: judged by this one, a file changed a moment ago could look old)."""
        if (time.time_ns() if now is None else now) - info.st_ctime_ns > RACY_NANOSECONDS:
            self.known[name] = (signature(info), key)
        else:
            self.known.pop(name, None)
