"""Command line: `blog build`, `check`, `serve`, `init` and `new`. The only place that prints
problems and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from mathblog import __version__
from mathblog.build import BuildOptions, build
from mathblog.errors import BlogError, Diagnostic
from mathblog.util.parallel import stop_pools
from mathblog.util.progress import ProgressReporter

FUTURE_HELP = "include posts whose date (or publish_date) is still to come"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blog",
        description="A static site generator for technical notes with LaTeX math and code.",
    )
    parser.add_argument("--version", action="version", version=f"blog {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # What every command that works on a site takes.
    site = argparse.ArgumentParser(add_help=False)
    site.add_argument(
        "-s", "--source", type=Path, default=Path("."), help="the site folder (default: .)"
    )

    build_cmd = commands.add_parser(
        "build", parents=[site], help="build the site into output_dir (public/)"
    )
    build_cmd.add_argument("--drafts", action="store_true", help="include posts with draft: true")
    build_cmd.add_argument("--future", action="store_true", help=FUTURE_HELP)
    build_cmd.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build_cmd.add_argument("--output", type=Path, help="write here instead of output_dir")
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
        "-q", "--quiet", action="store_true", help="print only warnings and errors"
    )
    init_cmd = commands.add_parser(
        "init", help="make a new site: settings, a first post and a GitHub Pages workflow"
    )
    init_cmd.add_argument("folder", type=Path, help="a new or empty folder")
    new_cmd = commands.add_parser(
        "new", parents=[site], help="start a post: posts/<slug>.md, a draft"
    )
    new_cmd.add_argument("title", help='the title, e.g. "RoPE 的推导"')
    new_cmd.add_argument("--slug", help="the file and URL name (default: made from the title)")
    new_cmd.add_argument("--tags", default="", help="comma-separated, e.g. RoPE,位置编码")
    check_cmd = commands.add_parser(
        "check",
        parents=[site],
        help="build in memory and check every link, anchor, image, id and formula",
        description="Build the site in memory (nothing is written to the output folder) and "
        "check every internal link and #anchor, image and stylesheet, duplicate ids and math "
        "errors. Exits 1 when anything is wrong.",
    )
    check_cmd.add_argument("--drafts", action="store_true", help="include posts with draft: true")
    check_cmd.add_argument("--future", action="store_true", help=FUTURE_HELP)
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
    serve_cmd = commands.add_parser(
        "serve", parents=[site], help="build, serve with live reload, and rebuild on every change"
    )
    serve_cmd.add_argument("--port", type=_port, default=8000, help="default: 8000; 0 for any")
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="default: 127.0.0.1 (0.0.0.0 shares it on the network)"
    )
    serve_cmd.add_argument("--drafts", action="store_true", help="include posts with draft: true")
    serve_cmd.add_argument("--future", action="store_true", help=FUTURE_HELP)
    serve_cmd.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve_cmd.add_argument("--open", action="store_true", help="open the site in a browser")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    from mathblog.serve.loop import PortInUse, ServeOptions, serve

    options = ServeOptions(
        root=args.source.resolve(),
        host=args.host,
        port=args.port,
        drafts=args.drafts,
        future=args.future,
        strict=args.strict,
        open_browser=args.open,
    )
    try:
        return serve(options)
    except PortInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BlogError as exc:  # site.toml cannot be read: nothing to serve
        _print_problems(exc.diagnostics, "error")
        return 1


def _shown(path: Path) -> str:
    """`path` relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _init(args: argparse.Namespace) -> int:
    from mathblog.commands.init import REQUIREMENTS, init_site

    site = init_site(args.folder)
    folder = _shown(args.folder)
    print(f"created a site in {folder}/: {', '.join(site.files)}")
    if not site.knows_install:
        print(
            f"note: before you push, put where blog comes from in {folder}/{REQUIREMENTS} "
            "(the Pages workflow installs it from there)"
        )
    print(f"next: cd {folder} && blog serve")
    return 0


def _new(args: argparse.Namespace) -> int:
    from mathblog.commands.new import create_post
    from mathblog.config import CONFIG_FILE, load_config

    if not (args.source / CONFIG_FILE).is_file():
        raise BlogError.at(
            f"no {CONFIG_FILE} in {_shown(args.source)}/",
            hint="run this in a site's folder, pass -s SITE, or make a site with blog init DIR",
        )
    tags = [tag.strip() for tag in args.tags.split(",") if tag.strip()]
    path = create_post(load_config(args.source), args.title, slug=args.slug, tags=tags)
    print(_shown(path))
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
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _build(args: argparse.Namespace) -> int:
    progress = None if args.quiet else ProgressReporter()
    options = BuildOptions(
        drafts=args.drafts,
        future=args.future,
        strict=args.strict,
        output=args.output,
        base_url=args.base_url,
        cache=not args.no_cache,
        jobs=args.jobs,
        progress=progress,
    )
    try:
        try:
            report = build(args.source, options)
        finally:
            if progress:
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
    if args.quiet:
        return 0
    try:
        shown = report.output.relative_to(Path.cwd())
    except ValueError:
        shown = report.output
    formulas = report.formulas_converted + report.formulas_reused
    reused = ", the rest reused from the last build" if report.pages_rendered < report.pages else ""
    print(
        f"built {report.posts} posts, {report.pages} pages, {report.tags} tags "
        f"into {shown}/ with {_count(len(report.warnings), 'warning')}"
        f" in {report.seconds:.2f} s\n"
        f"work: {report.posts_parsed} posts parsed, {report.pages_rendered} pages rendered"
        f"{reused}\n"
        f"files: {report.files} in the output, {report.files - report.unchanged_files} written, "
        f"{report.unchanged_files} unchanged\n"
        f"math: {formulas} formulas, {report.formulas_converted} converted, "
        f"{report.formulas_reused} from the cache"
    )
    if report.held_back:
        print(held_back_note(report.held_back))
    return 0


def held_back_note(posts: int) -> str:
    dated = "is dated" if posts == 1 else "are dated"
    return f"note: {_count(posts, 'post')} {dated} in the future, left out (--future includes them)"


def _check(args: argparse.Namespace) -> int:
    from mathblog.commands.check import check_site
    from mathblog.commands.external import ExternalOptions

    external = ExternalOptions(timeout=args.timeout) if args.external else None
    try:
        report = check_site(args.source, drafts=args.drafts, future=args.future, external=external)
    except OSError as exc:
        _print_disk_error(exc)
        return 1
    except BlogError as exc:
        _print_problems(exc.diagnostics, "error")
        errors = _count(len(exc.diagnostics), "error")
        print(f"check failed: {errors} stop the build", file=sys.stderr)
        return 1
    for problem in report.problems:
        print(problem)
    _print_problems(report.warnings, "warning")
    checked = (
        f"{report.posts} posts, {report.pages} pages, {report.references} links and references"
    )
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
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _interrupted) if in_main_thread else None
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `blog build | head -1`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except BlogError as exc:  # init and new; build and serve report their own
        _print_problems(exc.diagnostics, "error")
        return 1
    except OSError as exc:  # a folder that cannot be made or written
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    finally:
        stop_pools()  # a failed build may leave one whose results nobody read
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
