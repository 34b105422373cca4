"""Replacing a file so that a reader sees the old contents or the new, never half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable


def write_atomically(
    target: str | os.PathLike[str],
    content: bytes | Callable[[str], object],
    *,
    temporary: str | None = None,
) -> None:
    """Give `target` new contents: they are written to a temporary file in the same folder,
    which a rename then puts in place. The old file is never opened for writing (it may be a
    hard link shared with the live output), and on any failure the temporary file is removed
    and `target` is left as it was.

    `content` is the bytes, or a function that makes the file at the path it is given (a copy).
    `temporary` is the temporary file's path when a later run must recognize leftovers by name;
    by default it is a new unique name. No fsync: every file written this way is a cache or an
    output the next build can make again.
    """
    target = os.fspath(target)
    if temporary is None:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target) or None, prefix=".tmp-")
        os.close(handle)
    try:
        if isinstance(content, bytes):
            with open(temporary, "wb") as out:
                out.write(content)
        else:
            content(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
