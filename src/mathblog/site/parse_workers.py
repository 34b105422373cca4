"""The worker processes that parse posts, started as `blog build` starts.

After an edit, a build waits for the worker that parses the post: it imports the Markdown stack
(about a fifth of a second) before it can parse, the longest path of the build. Started once
the build had imported its own modules, read site.toml and listed the posts, the worker was
forked a quarter of a second into the process at 1,000 posts; started as the command starts, it
is forked after a tenth and imports while the build does. So this module imports nothing of
the build: a worker imports what it needs, and learns the site's settings from its first chunk
of work (`WorkerSlot`).

Whether to start any is a glance at the post files' times (`glance`); a wrong guess costs only
a fork, and the build starts the workers it needs itself. The build takes the times the glance
read instead of asking for them again (10,000 `stat` calls at 10,000 posts).
"""

from __future__ import annotations

import gc
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from mathblog.util.parallel import Pool

# Where the posts are, and the post index whose time says when the last build wrote it: the
# names `content.discover` and `incremental.post_cache` use (a test checks they agree).
POST_FOLDERS = ("posts", "pages")
POST_INDEX = (".blog-cache", "posts")


@dataclass
class WorkerSlot:
    """A worker's parser: made for the settings the first chunk carries, and again only if a
    chunk carries other ones (`site.loading` makes it)."""

    made: object = None  # what `site.loading` made for `setup`
    setup: object = None

    def close(self) -> None:
        """Stop what the parser started (the math engine's process), as the worker ends."""
        close = getattr(self.made, "close", None)
        if callable(close):
            close()


# What a worker imports before its first chunk, which then only parses: the parsing stage
# (named, not imported: it imports this module) and the Markdown stack under it.
PARSER_MODULES = ("mathblog.site.loading", "mathblog.content.post")


def warm_worker() -> WorkerSlot:
    """A worker's set-up before the site's settings are known: the parser's imports. A worker
    lives for one build, so it does not collect cycles either (`util.collector`); one started
    before the build paused the collector would otherwise collect all along."""
    gc.disable()
    for name in PARSER_MODULES:
        importlib.import_module(name)
    return WorkerSlot()


@dataclass(frozen=True)
class Glance:
    """How many post files a build will probably parse, and the `os.stat` of each file the
    glance looked at, by its path (the posts folder joined with the names under it)."""

    parse: int
    stats: dict[str, os.stat_result] = field(default_factory=dict)


@dataclass(frozen=True)
class EarlyWorkers:
    """The parsing workers the command started (None: the glance saw nothing to parse), and
    what the glance read."""

    pool: Pool | None
    glance: Glance


def start_early(root: Path, jobs: int, *, read_cache: bool) -> EarlyWorkers:
    seen = glance(root, read_cache=read_cache)
    return EarlyWorkers(workers_for(seen, jobs), seen)


def expected_workers(seen: Glance, jobs: int) -> int:
    """How many parsing workers what the glance saw is worth, with `jobs` cores to use."""
    return min(jobs, seen.parse) if jobs > 1 else 0


def workers_for(seen: Glance, jobs: int) -> Pool | None:
    """The parsing workers to start now for what the glance saw (None: none are worth it)."""
    expected = expected_workers(seen, jobs)
    try:
        return Pool(expected, warm_worker, ()) if expected else None
    except OSError:  # no process to be had now: the build starts its own, or says why not
        return None


def glance(root: Path, *, read_cache: bool) -> Glance:
    """How many post files a build of `root` will probably parse: all without a post index,
    one when a post file is newer than the index (an edit), none when nothing seems changed.
    Dot files and folders are passed over, as the build passes them over; a symlinked folder
    is not looked into (the guess only has to be cheap, the build finds what is there). Files
    are looked at only while there is an index to compare them with."""
    written = _index_written_at(root) if read_cache else None
    count = 0
    stats: dict[str, os.stat_result] = {}
    pending = [os.path.join(root, folder) for folder in POST_FOLDERS]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.name.endswith(".md"):
                    if written is None:
                        count += 1
                        continue
                    info = stats[entry.path] = entry.stat()
                    if info.st_mtime_ns >= written:
                        return Glance(1, stats)
            except OSError:
                return Glance(1, stats)
    return Glance(count if written is None else 0, stats)


def _index_written_at(root: Path) -> int | None:
    try:
        return os.stat(os.path.join(root, *POST_INDEX)).st_mtime_ns
    except OSError:
        return None
