"""Write the site atomically: everything goes to a staging folder next to the output, which is
swapped in only when complete. A failed build leaves the previous output untouched."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import BlogError

# Written into every output folder, so a later build knows it may replace that folder.
MARKER = ".blog-build"
MARKER_TEXT = "This folder is written by `blog build` and replaced on every build.\n"


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative, with `/`
    source: str  # what made it, for collision messages
    text: str | None = None
    copy_from: Path | None = None


def check_output_folder(out: Path) -> None:
    """Refuse to replace a folder that a build of ours did not make (it may be the user's work)."""
    if out.is_file():
        raise BlogError.at(
            f"output path {out} is a file",
            hint="choose a folder with --output or `output_dir` in site.toml",
        )
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise BlogError.at(
            f"output folder {out} is not empty and was not made by `blog build`; "
            "refusing to replace it",
            hint="delete it yourself, or choose another folder with --output",
        )


def _collect(files: Iterable[OutputFile]) -> dict[str, OutputFile]:
    """Later static files override earlier ones (site over theme); pages never collide."""
    chosen: dict[str, OutputFile] = {}
    for item in files:
        clash = chosen.get(item.path)
        overriding = (
            clash is not None and clash.copy_from is not None and item.copy_from is not None
        )
        if clash is not None and not overriding:
            raise BlogError.at(
                f"two things write {item.path}: {clash.source} and {item.source}",
                item.source,
                hint="rename the post's slug or the static file",
            )
        chosen[item.path] = item
    return chosen


def write_site(out: Path, files: Iterable[OutputFile]) -> int:
    """Write all files and swap them into `out`; returns the number of files written."""
    check_output_folder(out)
    chosen = _collect(files)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        for relative, item in sorted(chosen.items()):
            target = (staging / relative).resolve()
            if staging.resolve() not in target.parents:
                raise BlogError.at(f"refusing to write outside the output: {relative}", item.source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if item.copy_from is not None:
                shutil.copyfile(item.copy_from, target)
            else:
                target.write_text(item.text or "", encoding="utf-8", newline="\n")
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(chosen)


def _swap(staging: Path, out: Path) -> None:
    os.chmod(staging, 0o755)  # mkdtemp makes it private; a published site is world-readable
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, retired / out.name)
    os.replace(staging, out)
    shutil.rmtree(retired, ignore_errors=True)
