"""Writing a site plan into the output folder: each output made only if it changed.

An output whose key matches the live output's (and whose file is as the last build left it) is
carried over; a copied file is copied when its size or mtime differ; the rest are made: pages
rendered (on every core when there are many, each worker writing into the staging folder it is
handed), other files by their `produce`. When nothing at all changed, the output is left as it
is, not even swapped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mathblog.config import SiteConfig
from mathblog.errors import Diagnostic
from mathblog.output.files import MARKER, is_copy_of
from mathblog.output.generation import Output, is_repository
from mathblog.site.outputs import OutputFile
from mathblog.site.pages import PageJob
from mathblog.util import timings

if TYPE_CHECKING:
    from mathblog.render.templates import PageRenderer

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Written:
    files: int
    unchanged: int
    rendered: int
    kept: tuple[str, ...] = ()  # what the output holds that no build made


def write_site(
    outputs: Sequence[OutputFile],
    output: Output,
    renderer: Callable[[], PageRenderer],
    *,
    jobs: int,
    progress: Progress | None = None,
) -> Written:
    """Make what changed, carry the rest over, and swap the result in; or, when nothing at all
    changed, leave the output as it is. `renderer` is called only if a page is to be rendered
    (Jinja and the templates cost a no-op build more than the rest of it)."""
    out = output.out
    wanted = {item.path: item.key for item in outputs}
    stale = {
        item.path
        for item in outputs
        if item.key is not None and not output.unchanged(item.path, item.key)
    }
    timings.step("find the files that changed")
    if (
        not stale
        and all(is_copy_of(out / f.path, f.copy_from) for f in outputs if f.copy_from)
        and wanted.keys() == output.live.keys()
        and (out / MARKER).is_file()
    ):
        return Written(len(outputs), len(outputs), 0, output.kept_names(wanted, everywhere=False))

    stage = output.begin({*wanted, MARKER})
    try:
        unchanged = 0
        carried: set[str] = set()
        to_render: list[PageJob] = []
        to_produce: list[OutputFile] = []
        for item in outputs:
            if item.copy_from is not None:
                unchanged += stage.files.put_copy(item.path, item.copy_from)
            elif item.path not in stale and output.keep(stage, item.path):
                unchanged += 1
                carried.add(item.path)
            elif item.page is not None:  # changed, or gone since we looked
                to_render.append(item.page)
            elif item.produce is not None:
                to_produce.append(item)
            else:
                raise ValueError(f"nothing makes {item.path} (from {item.source})")
        timings.step("stage the output, keep the unchanged files")

        def produce_the_rest() -> None:  # the search index and such, while pages render
            nonlocal unchanged
            for item in to_produce:
                assert item.produce is not None
                unchanged += stage.files.put_bytes(item.path, item.produce())
            timings.step("make the search index and other files")

        same = 0
        if to_render:
            from mathblog.render.templates import render_pages  # Jinja: only when it is needed

            same = render_pages(
                renderer(),
                to_render,
                stage.files.put_bytes,
                jobs=jobs,
                progress=progress,
                meanwhile=produce_the_rest,
            )
        else:
            produce_the_rest()
        unchanged += same  # after the call: `produce_the_rest` adds to it meanwhile
        output.commit(stage, wanted, carried)
        timings.step("swap the output in")
    except BaseException:
        output.abandon(stage)
        raise
    return Written(len(outputs), unchanged, len(to_render), stage.kept.names)


def kept_warning(config: SiteConfig, kept: tuple[str, ...]) -> list[Diagnostic]:
    """Files put into the output by hand are kept, and named, so they do not go unnoticed
    (a version control folder there is how some deploy, and is not named)."""
    shown = [name for name in kept if not is_repository(name)]
    if not shown:
        return []
    try:
        folder = config.output_path.relative_to(config.root).as_posix()
    except ValueError:
        folder = str(config.output_path)
    names = ", ".join(shown[:10]) + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")
    return [
        Diagnostic(
            f"kept what no build made: {names}",
            folder + "/",
            hint="a build replaces this folder; to publish a file with the site, put it in "
            "static/ (copied on every build); delete the rest",
        )
    ]
