"""Command line: `blog build`, `check`, `serve`, `init` and `new`. The only place that prints
problems and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from mathblog import __version__
from mathblog.errors import BlogError, Diagnostic
from mathblog.util.interrupts import ctrl_c_delivered
from mathblog.util.parallel import default_jobs, stop_pools
from mathblog.util.progress import ProgressReporter
from mathblog.util.text import counted
from mathblog.util.timings import report_lines

if TYPE_CHECKING:  # the build itself is imported once its parsing workers are on their way
    from mathblog.build import BuildReport, Progress

# The engines whose versions change the output; `blog --version` names them.
ENGINES = ("math-core", "markdown-it-py", "Pygments")
FUTURE_HELP = "include posts whose date (or publish_date) is still to come"
DRAFTS_HELP = "include posts with draft: true"
TOP_EPILOG = """\
examples:
  blog init mysite && cd mysite && blog serve
  blog new "RoPE 的推导" --tags RoPE,位置编码
  blog build --base-url https://me.github.io/notes/

`blog COMMAND --help` tells more about each command."""
BUILD_EPILOG = """\
examples:
  blog build                      # into public/ (site.toml's output_dir)
  blog build -D -o /tmp/preview   # drafts too, somewhere else
  blog build -v                   # and when each step was done
  blog build -q --timings         # only where the time went, step by step"""
SERVE_EPILOG = """\
examples:
  blog serve                      # http://127.0.0.1:8000/, into public/
  blog serve -D -F -p 8001        # drafts and future posts, into .blog-cache/serve/

With --drafts, --future or --base-url the site is rendered into .blog-cache/serve/, never into
public/, so a deploy of public/ never carries a draft."""
CHECK_EPILOG = """\
examples:
  blog check
  blog check -D -s ~/notes        # drafts too, in another folder
  blog check --external           # and every link to another site (asked at most 8 at once)"""
INIT_EPILOG = """\
examples:
  blog init mysite && cd mysite && blog serve
  blog init                       # here, in an empty folder (dot files such as .git are fine)
  blog init --force               # here, keeping every file that is already there"""
NEW_EPILOG = """\
examples:
  blog new "RoPE 的推导" --tags RoPE,位置编码     # posts/rope-的推导.md
  blog new "Flash Attention" --bundle --open       # posts/flash-attention/index.md, in $EDITOR
  blog new "Notes" --date "2025-01-01 08:00"       # dated then, not now"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blog",
        description="A static site generator for technical notes with LaTeX math and code.",
        epilog=TOP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=_PrintVersion, nargs=0, help="show the versions of blog and its engines"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # What every command that works on a site takes.
    site = argparse.ArgumentParser(add_help=False)
    site.add_argument(
        "-s", "--source", type=Path, default=Path("."), help="the site folder (default: .)"
    )
    _add_build(commands, site)
    _add_serve(commands, site)
    _add_check(commands, site)
    _add_init(commands)
    _add_new(commands, site)
    return parser


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _command(
    commands: Commands, name: str, summary: str, description: str, epilog: str, **extra: Any
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, width=80),  # the raw formatter keeps lines
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **extra,
    )


def _add_selection(command: argparse.ArgumentParser) -> None:
    """Which posts are in: the drafts and the future ones too, when asked (Hugo's -D, -F)."""
    command.add_argument("-D", "--drafts", action="store_true", help=DRAFTS_HELP)
    command.add_argument("-F", "--future", action="store_true", help=FUTURE_HELP)


def _add_build(commands: Commands, site: argparse.ArgumentParser) -> None:
    build_cmd = _command(
        commands,
        "build",
        "build the site into output_dir (public/)",
        "Build the site into site.toml's output_dir (public/): every post, page, feed and the "
        "search index. Only what changed is made again; the new output is swapped in whole.",
        BUILD_EPILOG,
        parents=[site],
    )
    _add_selection(build_cmd)
    build_cmd.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build_cmd.add_argument("-o", "--output", type=Path, help="write here instead of output_dir")
    build_cmd.add_argument("--base-url", help="override base_url, e.g. https://me.github.io/notes/")
    build_cmd.add_argument(
        "--no-cache",
        action="store_true",
        help="parse every post and render every page again (.blog-cache/ is refreshed)",
    )
    build_cmd.add_argument(
        "-j", "--jobs", type=_positive, help="worker processes (default: one per core)"
    )
    build_cmd.add_argument(
        "--timings", action="store_true", help="print where the build's time went, step by step"
    )
    talk = build_cmd.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    talk.add_argument(
        "-v", "--verbose", action="store_true", help="also print when each step of the build ended"
    )


def _add_serve(commands: Commands, site: argparse.ArgumentParser) -> None:
    serve_cmd = _command(
        commands,
        "serve",
        "build, serve with live reload, and rebuild on every change",
        "Build the site, serve it on this machine, and rebuild it when anything in posts/, "
        "pages/, templates/, static/ or site.toml changes; the open page updates by itself.",
        SERVE_EPILOG,
        parents=[site],
    )
    serve_cmd.add_argument(
        "-p", "--port", type=_port, default=8000, help="default: 8000; 0 for any"
    )
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="default: 127.0.0.1 (0.0.0.0 shares it on the network)"
    )
    _add_selection(serve_cmd)
    serve_cmd.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve_cmd.add_argument(
        "-o", "--output", type=Path, help="render here (default: public/, or .blog-cache/serve/)"
    )
    serve_cmd.add_argument(
        "--base-url", help="override base_url (the site is served under its path)"
    )
    serve_cmd.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        help="worker processes for the first build (default: one per core)",
    )
    serve_cmd.add_argument(
        "-q", "--quiet", action="store_true", help="print only the address, warnings and errors"
    )
    serve_cmd.add_argument("--open", action="store_true", help="open the site in a browser")
    serve_cmd.add_argument(
        "--timings", action="store_true", help="print where each build's time went, step by step"
    )


def _add_check(commands: Commands, site: argparse.ArgumentParser) -> None:
    check_cmd = _command(
        commands,
        "check",
        "build in memory and check every link, anchor, image, id and formula",
        "Build the site in memory (nothing is written to the output folder) and check every "
        "internal link and #anchor, image and stylesheet, duplicate ids and math errors; with "
        "--external, every link to another site too. Exits 1 when anything is wrong.",
        CHECK_EPILOG,
        parents=[site],
    )
    _add_selection(check_cmd)
    check_cmd.add_argument(
        "--external",
        action="store_true",
        help="also ask every link to another site (OK answers are cached for 24 h)",
    )
    check_cmd.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        help="seconds to wait for each connect or read of --external (default: 10)",
    )


def _add_init(commands: Commands) -> None:
    init_cmd = _command(
        commands,
        "init",
        "make a new site: settings, a first post and a GitHub Pages workflow",
        "Make a new site that builds at once: site.toml, a first post, an about page, "
        "templates/ and static/ notes, a .gitignore and a GitHub Pages workflow.",
        INIT_EPILOG,
    )
    init_cmd.add_argument(
        "folder", type=Path, nargs="?", default=Path("."), help="a new or empty folder (default: .)"
    )
    init_cmd.add_argument(
        "--force",
        action="store_true",
        help="use a folder that is not empty: write only the files it lacks, replace none",
    )


def _add_new(commands: Commands, site: argparse.ArgumentParser) -> None:
    new_cmd = _command(
        commands,
        "new",
        "start a post: posts/<slug>.md, a draft",
        "Start a post: write posts/<slug>.md (or posts/<slug>/index.md with --bundle) with its "
        "front matter filled in, as a draft, and print its path. Never replaces a file.",
        NEW_EPILOG,
        parents=[site],
    )
    new_cmd.add_argument("title", help='the title, e.g. "RoPE 的推导"')
    new_cmd.add_argument("--slug", help="the file and URL name (default: made from the title)")
    new_cmd.add_argument("--tags", default="", help="comma-separated, e.g. RoPE,位置编码")
    new_cmd.add_argument(
        "--date", type=_post_date, help='"YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (default: now)'
    )
    new_cmd.add_argument(
        "--bundle",
        action="store_true",
        help="a folder for the post and its files: posts/<slug>/index.md",
    )
    new_cmd.add_argument(
        "--open", action="store_true", help="open the new file in $VISUAL or $EDITOR"
    )


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    from mathblog.serve.loop import PortInUse, ServeOptions, serve

    root = _site_folder(args.source)
    options = ServeOptions(
        root=root.resolve(),
        host=args.host,
        port=args.port,
        drafts=args.drafts,
        future=args.future,
        strict=args.strict,
        open_browser=args.open,
        output=args.output,
        base_url=args.base_url,
        jobs=args.jobs,
        quiet=args.quiet,
        timings=args.timings,
    )
    try:
        return serve(options)
    except PortInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BlogError as exc:  # site.toml cannot be read: nothing to serve
        _print_problems(exc.diagnostics, "error")
        return 1


def _site_folder(source: Path) -> Path:
    """`source`, once it is known to hold a site: a command run in the wrong folder must not
    build an empty site there (or fill it with `public/` and `.blog-cache/`)."""
    from mathblog.config import CONFIG_FILE

    if not (source / CONFIG_FILE).is_file():
        shown = _shown(source)
        raise BlogError.at(
            f"no {CONFIG_FILE} in {source.resolve() if shown == '.' else shown}",
            hint="run `blog init` to make a site here, or pass -s/--source",
        )
    return source


class _PrintVersion(argparse.Action):
    """`--version`, whose text is looked up only when asked for: the metadata of three
    packages is no cost every build should pay."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(version_text())
        parser.exit()


def version_text() -> str:
    """blog's version and the versions of the engines that decide what a page looks like."""
    from importlib import metadata

    engines = []
    for name in ENGINES:
        try:
            engines.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            engines.append(f"{name} (not installed)")
    return f"blog {__version__} ({', '.join(engines)})"


def _shown(path: Path) -> str:
    """`path` relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _init(args: argparse.Namespace) -> int:
    from mathblog.commands.init import REQUIREMENTS, init_site

    site = init_site(args.folder, force=args.force)
    here = args.folder.resolve() == Path.cwd()
    folder = _shown(args.folder)
    where = "here" if here else f"in {folder}/"
    written = ", ".join(site.files) if site.files else "nothing"
    print(f"created a site {where}: {written}")
    if site.kept:
        print(f"kept {_count(len(site.kept), 'file')} already there: {', '.join(site.kept)}")
    if not site.knows_install and REQUIREMENTS in site.files:
        print(
            f"note: {'' if here else folder + '/'}{REQUIREMENTS} installs this version of blog "
            "from PyPI, as this copy came from a local folder; the file says how to name your "
            "own source instead"
        )
    print("next: blog serve" if here else f"next: cd {shlex.quote(folder)} && blog serve")
    return 0


def _new(args: argparse.Namespace) -> int:
    from mathblog.commands.new import create_post
    from mathblog.config import load_config

    config = load_config(_site_folder(args.source))
    tags = [tag.strip() for tag in args.tags.split(",") if tag.strip()]
    when = args.date.replace(tzinfo=config.tz) if args.date else None
    path = create_post(config, args.title, slug=args.slug, tags=tags, now=when, bundle=args.bundle)
    print(_shown(path), flush=True)
    return _open_in_editor(path) if args.open else 0


def _post_date(text: str) -> datetime:
    for layout in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(
        f'expected YYYY-MM-DD or "YYYY-MM-DD HH:MM" (in the site\'s time zone), got {text!r}'
    )


def _open_in_editor(path: Path) -> int:
    """Run `$VISUAL` (else `$EDITOR`) on the new post and wait for it, as git does."""
    editor = os.environ.get("VISUAL", "").strip() or os.environ.get("EDITOR", "").strip()
    if not editor:
        raise BlogError.at(
            f"cannot open {_shown(path)}: neither $VISUAL nor $EDITOR is set (the post is written)",
            hint="e.g. export EDITOR=vim, or open the file yourself",
        )
    import subprocess  # only here: every other command starts without it

    try:
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)
    except OSError as exc:
        raise BlogError.at(
            f"cannot run the editor {editor!r}: {exc.strerror or exc} (the post is written)",
            hint="set $VISUAL or $EDITOR to a command that is installed",
        ) from None
    if done.returncode != 0:
        print(f"error: the editor {editor!r} exited with {done.returncode}", file=sys.stderr)
        return 1
    return 0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds, above 0 and up to 3600, got {text!r}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _print_problems(problems: Sequence[Diagnostic], label: str) -> None:
    for problem in problems:
        print(f"{label}: {problem}", file=sys.stderr)


def _print_disk_error(exc: OSError) -> None:
    """The disk, not the site, failed: a full disk, a permission, a vanished folder."""
    where = f" ({exc.filename})" if exc.filename else ""
    print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)


def _count(number: int, noun: str) -> str:
    return counted(number, noun)


class StepTimes:
    """`build -v`: passes progress on, and notes when each step (reading the posts, rendering
    the pages) reached its end, counted from the start of the command."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.started = time.perf_counter()
        self.ended: dict[str, tuple[int, float]] = {}  # step → (items, seconds)

    def __call__(self, step: str, done: int, total: int) -> None:
        self.progress(step, done, total)
        if done == total:
            self.ended[step] = (total, time.perf_counter() - self.started)

    def lines(self, report: BuildReport) -> list[str]:
        shown = []
        for step, what in (("posts", "files read"), ("pages", "pages rendered")):
            if step in self.ended:
                items, seconds = self.ended[step]
                shown.append(f"  {step}: {items} {what} by {seconds:.2f} s")
        shown.append(f"  finished by {report.seconds:.2f} s")
        return shown


def _summary(report: BuildReport, shown: Path, *, cold: bool) -> str:
    """What a build did. `cold`: there was no cache to read, so nothing came from one."""
    formulas = report.formulas_converted + report.formulas_reused
    reused = ", the rest reused from the last build" if report.pages_rendered < report.pages else ""
    if cold:  # a formula met twice is converted once: the repeat is no cache hit
        repeats = f", {report.formulas_reused} repeated" if report.formulas_reused else ""
        math = f"{_count(formulas, 'formula')}, {report.formulas_converted} converted{repeats}"
    else:
        math = (
            f"{_count(formulas, 'formula')}, {report.formulas_converted} converted, "
            f"{report.formulas_reused} from the cache"
        )
    written = report.files - report.unchanged_files
    return (
        f"built {_count(report.posts, 'post')}, {_count(report.pages, 'page')}, "
        f"{_count(report.tags, 'tag')} into {shown}/ with {_count(len(report.warnings), 'warning')}"
        f" in {report.seconds:.2f} s\n"
        f"work: {_count(report.posts_parsed, 'Markdown file')} parsed, "
        f"{_count(report.pages_rendered, 'page')} rendered{reused}\n"
        f"files: {report.files} in the output, {written} written, "
        f"{report.unchanged_files} unchanged\n"
        f"math: {math}"
    )


def _build(args: argparse.Namespace) -> int:
    from mathblog.site.parse_workers import start_early

    root = _site_folder(args.source)
    early = start_early(root, args.jobs or default_jobs(), read_cache=not args.no_cache)
    # Imported while those workers import the parser.
    from mathblog.build import BuildOptions, build
    from mathblog.math.cache import CACHE_DIR, FORMULA_FILE

    progress: Progress | None = None if args.quiet else ProgressReporter()
    steps = StepTimes(progress) if args.verbose and progress else None
    options = BuildOptions(
        drafts=args.drafts,
        future=args.future,
        strict=args.strict,
        output=args.output,
        base_url=args.base_url,
        cache=not args.no_cache,
        jobs=args.jobs,
        progress=steps or progress,
        early_workers=early,
    )
    # Cold: no conversions to read (a first build, or only `blog check`'s lock so far).
    cold = args.no_cache or not (root / CACHE_DIR / FORMULA_FILE).is_file()
    try:
        try:
            report = build(root, options)
        finally:
            if isinstance(progress, ProgressReporter):
                progress.finish()
    except OSError as exc:
        _print_disk_error(exc)
        print("build failed; the previous output was left as it was", file=sys.stderr)
        return 1
    except BlogError as exc:
        _print_problems(exc.diagnostics, "error")
        errors = _count(len(exc.diagnostics), "error")
        print(f"build failed: {errors}; nothing was written", file=sys.stderr)
        return 1
    _print_problems(report.warnings, "warning")
    if args.timings:
        print("\n".join(report_lines(report.timings, report.seconds)))
    if args.quiet:
        return 0
    try:
        shown = report.output.relative_to(Path.cwd())
    except ValueError:
        shown = report.output
    print(_summary(report, shown, cold=cold))
    if steps:
        print("\n".join(["steps:", *steps.lines(report)]))
    if report.held_back:
        print(held_back_note(report.held_back))
    return 0


def held_back_note(posts: int) -> str:
    dated = "is dated" if posts == 1 else "are dated"
    return f"note: {_count(posts, 'post')} {dated} in the future, left out (--future includes them)"


def _check(args: argparse.Namespace) -> int:
    from mathblog.commands.check import check_site
    from mathblog.commands.external import ExternalOptions

    root = _site_folder(args.source)
    external = ExternalOptions(timeout=args.timeout) if args.external else None
    try:
        report = check_site(root, drafts=args.drafts, future=args.future, external=external)
    except OSError as exc:
        _print_disk_error(exc)
        return 1
    except BlogError as exc:
        _print_problems(exc.diagnostics, "error")
        errors = _count(len(exc.diagnostics), "error")
        stop = "stops" if len(exc.diagnostics) == 1 else "stop"
        print(f"check failed: {errors} {stop} the build", file=sys.stderr)
        return 1
    for problem in report.problems:
        print(problem)
    _print_problems(report.warnings, "warning")
    links = counted(report.references, "link or reference", "links and references")
    checked = f"{_count(report.posts, 'post')}, {_count(report.pages, 'page')}, {links}"
    if report.external is not None:
        checked += ", " + report.external.summary()
    if report.problems:
        problems = _count(len(report.problems), "problem")
        files = _count(len({p.path for p in report.problems}), "file")
        print(f"check failed: {problems} in {files} ({checked} checked)", file=sys.stderr)
        return 1
    print(f"checked {checked}: no problems")
    return 0


# How long a Ctrl-C'd command may spend cleaning up before it is ended anyway.
INTERRUPT_GRACE = 10.0


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: unwind as usual (workers are stopped, staging folders removed), but never for
    longer than `INTERRUPT_GRACE`, so a clean-up that blocks (a pool's exit handler joining its
    threads) cannot keep the command alive. Ending there is safe: the output is only ever swapped
    in whole, and the workers die with this process."""

    def give_up() -> None:
        print("interrupted", file=sys.stderr, flush=True)
        os._exit(130)

    timer = threading.Timer(INTERRUPT_GRACE, give_up)
    timer.daemon = True
    timer.start()
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"build": _build, "check": _check, "serve": _serve, "init": _init, "new": _new}
    with ctrl_c_delivered(_interrupted):
        return _run(commands[args.command], args)


def _run(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return command(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `blog build | head -1`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except BlogError as exc:  # no site.toml, init and new; build and serve report their own
        _print_problems(exc.diagnostics, "error")
        return 1
    except OSError as exc:  # a folder that cannot be made or written
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    finally:
        stop_pools()  # a failed build may leave one whose results nobody read


if __name__ == "__main__":
    sys.exit(main())
