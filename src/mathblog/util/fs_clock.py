"""The time by a file system's own clock, which stamps the files on it: on a network disk it
may be seconds away from this machine's."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def file_system_time(folder: Path, prefix: str = ".tmp-") -> int | None:
    """The mtime (ns) of a file made in `folder` for the purpose, then deleted; None if none
    can be made there. A file changed later than this has an mtime at least this."""
    try:
        handle, name = tempfile.mkstemp(prefix=prefix, dir=folder)
    except OSError:
        return None
    try:
        return os.fstat(handle).st_mtime_ns
    finally:
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(name)
