"""Build random whole sites with real `blog build` processes for a set time; report what breaks.

Run by hand, never in the test suite:

    python fuzz/fuzz_sites.py --minutes 30 --seed 1 --out fuzz/site-crashes

Where `fuzz_render.py` feeds one post at a time to the pipeline, this fuzzer works on what only a
whole site has: `site.toml` math macros (some expanding to bracket storms, some recursive),
posts that define their own macros, symlinks in `posts/`, `static/` and `templates/` (inside the
site, outside it, dangling, looping), files a user left in the output (`CNAME`, `.git/`), and
builds that run two at a time or are killed with SIGKILL or SIGTERM part-way. Every site sits in a
fresh temporary folder beside an `outside/` folder whose files hold a secret marker. After the
builds it is a failure when:

- a build hangs past `--timeout` or ends with anything but 0, 1 or the signal it was sent;
- a build prints a Python traceback;
- the output holds a symlink, a `*.blog-tmp` file, or a file with the outside marker;
- the user's `CNAME` or `.git/HEAD` in the output is gone;
- a process of the build is still alive a few seconds after it ended;
- a last, undisturbed build does not end with 0 or 1, or leaves the output without its index.

Each distinct failure is written once to `--out` as `site-N/` (the site as it was generated, with
a `README.txt` saying what went wrong); `summary.json` has the counts. The seed makes the sites
repeatable (the moments of the kills are not).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = "OUTSIDE-THE-SITE-7f3a"
TAG_VARIABLE = "BLOG_FUZZ_SITE_TAG"

MACRO_BODIES = [
    "\\mathbb{R}", "((((((((", "\\left(", "{{{{{{{{", "\\frac{#1}{2}", "#1#1", "\\x", "\\y\\y",
    "[[[[[[[[", "\\begin{pmatrix}", "x^{#1}", "\\sqrt{\\sqrt{\\sqrt{#1}}}", "\\mathrm{KL}",
]  # fmt: skip

FORMULA_PIECES = [
    "x", "^2", "_i", "\\frac{a}{b}", "(", ")", "[", "{", "}", "\\left(", "\\right)", "\\sum_i",
    "\\R", "\\x", "\\y", "\\z", "\\KL", "&=", "\\\\", "\\def\\x{((((((((}", "\\def\\y{\\x\\x}",
    "\\def\\z{\\z}", "\\newcommand{\\w}[1]{(#1(#1}", "\\w{\\w{\\w{a}}}", "\\def\\a{{\\a}}",
    "\\newcommand{\\v}{\\v}", "\\renewcommand{\\R}{\\R\\R}", "\\begin{aligned}", "\\end{aligned}",
]  # fmt: skip

TEMPLATE_BASE = (
    "<!doctype html><html><head><title>{{ page_title }}</title></head>"
    "<body>{% block content %}{% endblock %}</body></html>\n"
)


def random_formula(rng: random.Random) -> str:
    return "".join(rng.choice(FORMULA_PIECES) for _ in range(rng.randint(1, 14)))


def random_post(rng: random.Random, number: int) -> str:
    lines = [f"---\ntitle: Post {number}\ndate: 2024-01-{number % 28 + 1:02d}\ntags: [a]\n---\n"]
    for _ in range(rng.randint(1, 6)):
        formula = random_formula(rng)
        kind = rng.random()
        if kind < 0.4:
            lines.append(f"Inline ${formula}$ and text.\n")
        elif kind < 0.8:
            lines.append(f"$$\n{formula}\n$$\n")
        else:
            lines.append(f"\\begin{{align}}\n{formula}\n\\end{{align}}\n")
        if rng.random() < 0.3:
            lines.append("![figure](/fig.png) and [a link](/static-link/)\n")
    return "\n".join(lines)


def random_site_toml(rng: random.Random) -> str:
    text = 'title = "Fuzz"\nbase_url = "/"\nper_page = 2\n'
    if rng.random() < 0.7:
        text += "\n[math.macros]\n"
        for name in rng.sample(["R", "E", "KL", "x", "y", "loop"], rng.randint(1, 4)):
            body = "".join(rng.choice(MACRO_BODIES) for _ in range(rng.randint(1, 4)))
            if name == "loop":
                body = "\\loop"
            text += f"{name} = {json.dumps(body)}\n"
    return text


def _link(target: str | Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists() and not link.is_symlink():
        os.symlink(target, link)


def add_symlinks(rng: random.Random, site: Path, outside: Path) -> list[str]:
    """Links of every kind; returns a description of what was made."""
    made: list[str] = []
    choices = [
        ("static/out-file.txt", outside / "secret.txt"),
        ("static/out-dir", outside),
        ("static/in-file.txt", site / "static" / "fig.png"),
        ("static/in-dir", site / "static" / "sub"),
        ("static/dangling.txt", site / "nothing-here"),
        ("static/loop", site / "static"),
        ("posts/out-post.md", outside / "post.md"),
        ("posts/out-dir", outside),
        ("posts/in-post.md", site / "posts" / "p0.md"),
        ("posts/loop", site / "posts"),
        ("templates/post.html", outside / "post.html"),
        ("templates/base.html", site / "templates-kept" / "base.html"),
        ("static/up", Path("..") / ".." / "outside"),
    ]
    for relative, target in rng.sample(choices, rng.randint(0, 4)):
        _link(target, site / relative)
        made.append(f"{relative} -> {target}")
    return made


def make_site(rng: random.Random, folder: Path) -> tuple[Path, list[str]]:
    outside = folder / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_text(MARKER, encoding="utf-8")
    (outside / "post.md").write_text(f"---\ntitle: {MARKER}\n---\n{MARKER}\n", encoding="utf-8")
    (outside / "post.html").write_text(MARKER, encoding="utf-8")
    site = folder / "site"
    (site / "posts").mkdir(parents=True)
    (site / "static" / "sub").mkdir(parents=True)
    (site / "static" / "fig.png").write_bytes(b"\x89PNG fuzz")
    (site / "static" / "sub" / "a.css").write_text("a{}", encoding="utf-8")
    (site / "templates-kept").mkdir()
    (site / "templates-kept" / "base.html").write_text(TEMPLATE_BASE, encoding="utf-8")
    (site / "site.toml").write_text(random_site_toml(rng), encoding="utf-8")
    for number in range(rng.randint(1, 5)):
        (site / "posts" / f"p{number}.md").write_text(random_post(rng, number), encoding="utf-8")
    made = add_symlinks(rng, site, outside)
    return site, made


# --- running builds ---------------------------------------------------------------------------


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    signal_sent: int | None = None
    output: bytes = b""
    code: int | None = None


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)


def start_build(site: Path, tag: str, jobs: int) -> Run:
    env = {**os.environ, TAG_VARIABLE: tag, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "mathblog", "build", "-s", str(site), "-j", str(jobs)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
    )
    return Run(process)


def processes_tagged(tag: str) -> list[int]:
    """Live processes (not zombies) whose environment carries `tag`: a build and its children."""
    found = []
    needle = f"{TAG_VARIABLE}={tag}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as file:
                environ = file.read()
            with open(f"/proc/{entry}/stat", "rb") as file:
                state = file.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != b"Z":
            found.append(int(entry))
    return found


def finish(run: Run, timeout: float, problems: list[str], label: str) -> None:
    try:
        run.output, _ = run.process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.output, _ = run.process.communicate()
        problems.append(f"hang: {label} gave no answer in {timeout:.0f} s")
        return
    run.code = run.process.returncode
    allowed = {0, 1}
    if run.signal_sent is not None:
        allowed |= {-run.signal_sent, 128 + run.signal_sent}
    if run.code not in allowed:
        problems.append(f"{label} ended with exit code {run.code}")
    if b"Traceback (most recent call last)" in run.output:
        text = run.output.decode("utf-8", "replace").strip()
        sent = f" (sent signal {run.signal_sent})" if run.signal_sent else ""
        problems.append(
            f"{label}{sent} printed a traceback ending: {text.splitlines()[-1][:200]}"
            f"\n--- its output:\n{text[-6000:]}\n---"
        )


def check_output(site: Path, problems: list[str], *, user_files: bool) -> None:
    out = site / "public"
    if not out.is_dir():
        return
    for folder, folders, files in os.walk(out):
        for name in folders + files:
            path = Path(folder) / name
            relative = path.relative_to(out).as_posix()
            if path.is_symlink():
                problems.append(f"the output holds a symlink: {relative}")
            elif name.endswith(".blog-tmp"):
                problems.append(f"the output holds a temporary file: {relative}")
            elif path.is_file() and MARKER.encode() in path.read_bytes():
                problems.append(f"a file from outside the site was published: {relative}")
        folders[:] = [name for name in folders if not (Path(folder) / name).is_symlink()]
    if user_files:
        for kept in ("CNAME", ".git/HEAD"):
            if not (out / kept).is_file():
                problems.append(f"the user's public/{kept} was deleted")


def leftover_processes(tag: str, problems: list[str], grace: float) -> None:
    deadline = time.monotonic() + grace
    alive = processes_tagged(tag)
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = processes_tagged(tag)
    if alive:
        problems.append(f"{len(alive)} process(es) of the build still alive after {grace:.0f} s")
        for pid in alive:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def fuzz_one(rng: random.Random, folder: Path, timeout: float) -> tuple[list[str], list[str]]:
    site, made = make_site(rng, folder)
    problems: list[str] = []
    tag = uuid.uuid4().hex
    user_files = False
    if rng.random() < 0.5:  # a first quiet build, then the user's own files in its output
        first = start_build(site, tag, rng.choice([1, 2]))
        finish(first, timeout, problems, "the first build")
        if first.code == 0:
            (site / "public" / "CNAME").write_text("example.com\n", encoding="utf-8")
            (site / "public" / ".git").mkdir(exist_ok=True)
            (site / "public" / ".git" / "HEAD").write_text("ref: main\n", encoding="utf-8")
            user_files = True
    runs = [start_build(site, tag, rng.choice([1, 2])) for _ in range(rng.choice([1, 2, 2, 3]))]
    if rng.random() < 0.4:
        victim = rng.choice(runs)
        time.sleep(rng.uniform(0.05, 1.5))
        victim.signal_sent = rng.choice([signal.SIGKILL, signal.SIGTERM])
        with contextlib.suppress(OSError):
            victim.process.send_signal(victim.signal_sent)
    for number, run in enumerate(runs):
        finish(run, timeout, problems, f"build {number + 1} of {len(runs)}")
    leftover_processes(tag, problems, grace=5.0)
    check_output(site, problems, user_files=False)
    last = start_build(site, tag, 1)
    finish(last, timeout, problems, "the last build")
    leftover_processes(tag, problems, grace=5.0)
    check_output(site, problems, user_files=user_files and last.code == 0)
    if last.code == 0 and not (site / "public" / "index.html").is_file():
        problems.append("the last build succeeded but public/index.html is missing")
    return problems, made


def signature(problem: str) -> str:
    """What makes two failures the same: the first line, numbers aside."""
    return re.sub(r"\d+", "N", problem.splitlines()[0])[:200]


def keep(folder: Path, target: Path, problems: list[str], made: list[str], seed: int) -> None:
    shutil.copytree(folder / "site", target / "site", symlinks=True, ignore_dangling_symlinks=True)
    shutil.copytree(folder / "outside", target / "outside")
    shutil.rmtree(target / "site" / "public", ignore_errors=True)
    shutil.rmtree(target / "site" / ".blog-cache", ignore_errors=True)
    text = "\n".join(problems) + "\n\nsymlinks:\n" + "\n".join(made) + f"\n\nseed {seed}\n"
    (target / "README.txt").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", type=Path, default=REPO / "fuzz" / "site-crashes")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per build")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    seen: dict[str, int] = {}
    crashes: list[dict[str, object]] = []
    sites = 0
    last_report = started
    try:
        while time.monotonic() < deadline:
            sites += 1
            with tempfile.TemporaryDirectory(prefix="blog-fuzz-site-") as temporary:
                folder = Path(temporary)
                problems, made = fuzz_one(rng, folder, args.timeout)
                for problem in problems:
                    key = signature(problem)
                    seen[key] = seen.get(key, 0) + 1
                    if seen[key] == 1:
                        target = args.out / f"site-{len(crashes) + 1}"
                        keep(folder, target, problems, made, args.seed)
                        crashes.append({"folder": target.name, "problem": key})
                        print(f"failure {len(crashes)}: {key}", flush=True)
            now = time.monotonic()
            if now - last_report > 60:
                last_report = now
                minutes = (now - started) / 60
                print(f"{minutes:.1f} min: {sites} sites, {len(crashes)} failures", flush=True)
    except KeyboardInterrupt:
        print("interrupted")
    summary = {
        "seed": args.seed,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "sites": sites,
        "distinct_failures": len(crashes),
        "failures": crashes,
        "counts": seen,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(
        f"fuzzed for {summary['minutes']} min with seed {args.seed}: {sites} sites, "
        f"{len(crashes)} distinct failures (sites kept in {args.out})"
    )
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
