"""Feed random Markdown + math posts to the real post pipeline for a set time; report crashes.

Run by hand, never in the test suite:

    python fuzz/fuzz_render.py --minutes 30 --seed 1 --out fuzz/crashes
    python fuzz/fuzz_render.py --replay fuzz/crashes/crash-1.md [--no-raw-html] [--macros FILE]

Each input is a whole post file (front matter and body): a real post from `posts/` mutated
(pieces spliced in, ranges cut, duplicated or swapped, bytes flipped), or one generated from
pieces that stress the delimiter rules (`$`, `\\`, `{`, `*`, `_`, `[`, backticks, CJK, `<`, deep
nesting), and formulas that define macros (`\\def`, `\\newcommand`, `\\let`: nested, recursive,
expanding to brackets) and use them many times or nested deep. About 30% of the inputs come
with site macros of their own (`[math.macros]`), which may call each other. It goes
through `mathblog.content.post.load_post`, the post page is rendered with the theme, and the
result is checked:

- nothing but `BlogError` may be raised;
- with `raw_html = false`, every element the output opens is closed, in order;
- no `href`/`src` in the output holds a `javascript:`-style URL, and no `<script>` appears
  when raw HTML is off;
- without raw HTML, no page has an id twice (unless a `\\label` is used twice, a warning);
- one input may take at most `--timeout` seconds (a hang), and should take less than `--slow`
  seconds of CPU time in the checking process (a sign of quadratic time); an input found slow
  or hanging is tried once more and reported only if it is again.

Inputs run in a child process, so a segfault or a hang in the math engine (a Rust extension) is
caught too: the child is replaced and the input is reported. Every distinct failure (by kind and
the place it was raised) is written once to `--out` as `crash-N.md` (the post, byte for byte)
with `crash-N.txt` (what went wrong and how to reproduce it); `summary.json` has the counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

PIECES = [
    "$", "$$", "$$\n", "\n$$\n", "\\(", "\\)", "\\[", "\\]", "\\$", "\\", "\\\\", "`", "```",
    "```python\n", "\n```\n", "~~~", "\n", "\n\n", " ", "  \n", "\t", "    ", "*", "**", "***",
    "_", "__", "~~", "{", "}", "[", "]", "](", "](/posts/x/)", "![", "]: /x", "(", ")", "<", ">",
    "> ", ">>> ", "- ", "* ", "1. ", "1) ", "+ ", "- [ ] ", "- [x] ", "#", "## ", "###### ",
    "|", "| a | b |\n|---|---|\n", "\\|", "---", "\n---\n", "===", "<!--more-->", "<!-- ",
    " -->", "<div>", "</div>", "<span>", "<b>", "</b>", "<br>", "<a href='/x'>", "</a>",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&amp;", "&lt;", "&#106;",
    "&#x6A;", "&", ";", "[^1]", "[^1]: note", "[^a]", "\\begin{align}", "\\end{align}",
    "\\begin{equation}", "\\end{equation}", "\\begin{equation*}", "\\begin{eqnarray}",
    "\\end{eqnarray}", "\\begin{cases}", "\\end{cases}", "\\begin{pmatrix}", "\\end{pmatrix}",
    "\\begin{aligned}", "\\end{aligned}", "\\frac{", "\\frac{1}{2}", "\\sqrt[", "\\left(",
    "\\right)", "\\left.", "\\right|", "x_1", "x^{2}", "^", "_", "&=", "\\label{eq:a}",
    "\\eqref{eq:a}", "\\ref{eq:b}", "\\tag{中}", "\\tag*{", "\\nonumber", "\\notag",
    "\\textcircled{1}", "\\mathop{x}\\limits_", "\\substack{", "\\text{中文}", "\\mathbb{R}",
    "\\operatorname{softmax}", "\\href{javascript:alert(1)}{x}", "\\url{javascript:x}",
    "\\color{red}", "\\large", "\\require{", "\\def\\x{", "\\newcommand", "\\R", "\\E", "\\KL",
    "\u200b", "\ufeff", "\u00a0", "\u3000", "中文", "位置编码", "。", "，", "“", "”", "（", "）",
    "、", "：", "！", "😀", "💡", "> [!NOTE]", "> [!WARNING] 注意", "> 💡 ", "5", "10", "$5",
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))", "![i](data:text/html,<script>alert(1)</script>)",
    "<javascript:alert(1)>", "<https://example.com>", "https://example.com", "[x]: javascript:y",
    "\r", "\r\n", "\x00", "\x0b", "\x7f", "é", "\U0001d400",
]  # fmt: skip

STORMS = ["[", "]", "*", "_", ">", "$", "\\", "{", "}", "`", "<", "(", "- ", "> ", "~", "|", "#"]

FRONT_PIECES = [
    "title: x\n", "title: 'a $x$'\n", 'title: "a"\n', "title: no\n", "title: [a]\n",
    "date: 2024-01-01\n", "date: tuesday\n", "date: 2016-25-35\n", "date: 2024-01-01 10:00\n",
    "tags: [a, b]\n", "tags: a, 中文\n", "tags: {a: 1}\n", "slug: x\n", "slug: ../x\n",
    "summary: 一句 $x$\n", "draft: true\n", "draft: maybe\n", "updated: 2024-02-02\n", ": x\n",
    "- a\n", "&a x\n", "*a\n", "!!python/object:os.system x\n", "'\n", '"\\m"\n', "\t\n",
]  # fmt: skip

GOOD_FRONT = "---\ntitle: Fuzz\ndate: 2024-05-01\n---\n"

# Macros: what a post defines (`\\def`, `\\newcommand`…) and what site.toml does, with bodies
# that nest, recurse, call each other and expand to brackets, so the limits math-core gets are
# tried after expansion too.
MACRO_NAMES = ["\\a", "\\b", "\\c", "\\R", "\\E", "\\KL", "\\alpha"]
SITE_MACRO_NAMES = ["A", "B", "R", "E", "KL", "op"]
BODY_PIECES = [
    "(", "((((", "[", "\\{", "x", "#1", "#2", "##1", "#", "\\left(", "\\right)", "\\sqrt",
    "\\frac", "^", "_", "\\bigl|", "\\bigr)", "⟨", "⌊", "{(}", "\\begin{matrix}",
    "\\end{matrix}", "&", "\\\\", " ", "\\mathbf", "\\hat", "\\text{(}", "}", "{", "%",
    "\\mathbb{R}", "\\sqrt[3]", "\\label{eq:m}", "\\tag{m}", "$", "中",
]  # fmt: skip

# --- generating inputs ------------------------------------------------------------------------


def random_text(rng: random.Random, budget: int, site_names: list[str] | None = None) -> str:
    parts: list[str] = []
    while budget > 0:
        roll = rng.random()
        if roll < 0.04:
            piece = macro_formula(rng, site_names or [])
        elif roll < 0.72:
            piece = rng.choice(PIECES)
        elif roll < 0.9:
            piece = "".join(
                chr(rng.choice([rng.randint(32, 126), rng.randint(0x4E00, 0x9FFF)]))
                for _ in range(rng.randint(1, 8))
            )
        elif roll < 0.97:
            piece = rng.choice(STORMS) * rng.randint(2, 200)
        else:
            piece = rng.choice(STORMS) * rng.randint(1_000, 20_000)
        parts.append(piece)
        budget -= 1
    return "".join(parts)


def macro_body(rng: random.Random, names: list[str], depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(0, 8)):
        roll = rng.random()
        if roll < 0.25:
            parts.append(rng.choice(names))  # a call: of itself, of another, of a site macro
        elif roll < 0.3 and depth < 2:
            parts.append(macro_definition(rng, names, depth + 1))  # a definition inside
        elif roll < 0.4 and depth < 3:
            parts.append("{" + macro_body(rng, names, depth + 1) + "}")
        else:
            parts.append(rng.choice(BODY_PIECES))
    return "".join(parts)


def macro_definition(rng: random.Random, names: list[str], depth: int = 0) -> str:
    name = rng.choice(names)
    params = rng.choice([0, 0, 1, 2, 9, 10])
    body = macro_body(rng, names, depth)
    roll = rng.random()
    if roll < 0.1:
        target = rng.choice([*names, "(", "\\alpha"])
        return f"\\let{name}{rng.choice(['=', ''])}{target}"
    if roll < 0.5:
        signature = "".join(f"#{n}" for n in range(1, params + 1))
        return f"\\{rng.choice(['def', 'def', 'gdef'])}{name}{signature}{{{body}}}"
    command = rng.choice(["newcommand", "renewcommand", "providecommand"])
    named = name if rng.random() < 0.5 else "{" + name + "}"
    count = f"[{params}]" if params or rng.random() < 0.2 else ""
    default = f"[{macro_body(rng, names, depth + 1)}]" if params and rng.random() < 0.3 else ""
    return f"\\{command}{named}{count}{default}{{{body}}}"


def macro_use(rng: random.Random, names: list[str]) -> str:
    name = rng.choice(names)
    roll = rng.random()
    if roll < 0.2:  # nested calls, as deep as a chain that crashed math-core
        depth = rng.choice([2, 10, 300])
        return (name + "{") * depth + "x" + "}" * depth
    argument = rng.choice(["", "x", "{x}", "{(}", "{((((}", "{" + macro_body(rng, names) + "}"])
    return (name + argument) * rng.choice([1, 1, 2, 5, 20, 300])


def macro_formula(rng: random.Random, site_names: list[str]) -> str:
    names = rng.sample(MACRO_NAMES, rng.randint(1, 3)) + [f"\\{n}" for n in site_names]
    definitions = "".join(macro_definition(rng, names) for _ in range(rng.randint(0, 3)))
    uses = "".join(macro_use(rng, names) for _ in range(rng.randint(1, 3)))
    wrap = rng.choice(
        [
            "${}$",
            "$${}$$",
            "\n\n$$\n{}\n$$\n\n",
            "\\({}\\)",
            "\n\\begin{{equation}}{}\\end{{equation}}\n",
        ]
    )
    return wrap.format(definitions + uses)


def random_site_macros(rng: random.Random) -> dict[str, str]:
    """`[math.macros]` for one input: none mostly, else a few that may call each other."""
    if rng.random() < 0.7:
        return {}
    names = rng.sample(SITE_MACRO_NAMES, rng.randint(1, 3))
    calls = [f"\\{name}" for name in names]
    return {name: macro_body(rng, calls, depth=2) for name in names}


def random_front_matter(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return GOOD_FRONT
    lines = "".join(rng.choice(FRONT_PIECES) for _ in range(rng.randint(0, 6)))
    return rng.choice(["---\n", "---\r\n", "\ufeff---\n", ""]) + lines + rng.choice(["---\n", ""])


def mutate(rng: random.Random, text: str, site_names: list[str]) -> str:
    for _ in range(rng.randint(1, 8)):
        size = len(text)
        a = rng.randint(0, size)
        b = rng.randint(a, min(size, a + rng.randint(0, 400)))
        kind = rng.random()
        if kind < 0.35:
            text = text[:a] + random_text(rng, rng.randint(1, 6), site_names) + text[a:]
        elif kind < 0.55:
            text = text[:a] + text[b:]
        elif kind < 0.7:
            text = text[:b] + text[a:b] * rng.randint(1, 4) + text[b:]
        elif kind < 0.8 and size:
            c = rng.randint(0, size)
            text = text[:c] + text[a:b] + text[c:]
        elif kind < 0.9 and size:
            c = rng.randrange(size)
            text = text[:c] + chr(rng.choice([0x24, 0x5C, 0x7B, 0x7D, 0x5B, 0x2A])) + text[c + 1 :]
        else:
            text = text[:a] + rng.choice(STORMS) * rng.randint(10, 3_000) + text[a:]
    return text


def make_input(rng: random.Random, corpus: list[str], site_names: list[str]) -> bytes:
    if corpus and rng.random() < 0.55:
        text = mutate(rng, rng.choice(corpus), site_names)
        if rng.random() < 0.2:  # the front matter too
            text = random_front_matter(rng) + text.split("---\n", 2)[-1]
    else:
        text = random_front_matter(rng) + random_text(rng, rng.randint(1, 120), site_names)
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.02:  # bytes that are not UTF-8
        cut = rng.randint(0, len(data))
        data = data[:cut] + bytes([rng.randint(0x80, 0xFF)]) + data[cut:]
    return data


# --- checking one input (in the child) --------------------------------------------------------


def _child(connection: Connection) -> None:
    """Render posts sent over `connection` until it closes; answer each with problems found."""
    from mathblog.config import SiteConfig, load_config
    from mathblog.content.post import load_post
    from mathblog.errors import BlogError
    from mathblog.math.engine import MathEngine, MathRenderError
    from mathblog.render.templates import PageRenderer
    from mathblog.site.loading import create_renderers

    sys.path.insert(0, str(REPO / "tests"))
    from htmlcheck import duplicate_ids, html_problems

    root = Path(tempfile.mkdtemp(prefix="blog-fuzz-"))
    (root / "posts").mkdir()
    site_macros = load_config(REPO).math_macros
    setups = []
    for raw_html in (True, False):
        config = SiteConfig(root=root, raw_html=raw_html, math_macros=site_macros, base_url="/n/")
        setups.append((config, create_renderers(config, None), PageRenderer(config)))
    engines: dict[tuple[tuple[str, str], ...], MathEngine] = {}  # by the input's site macros
    while True:
        try:
            data, raw_html, macros = connection.recv()
        except EOFError:
            return
        config, renderers, pages = setups[0 if raw_html else 1]
        problems: list[str] = []
        started = time.process_time()  # CPU time: a busy machine stretches the wall clock
        try:
            if macros:
                key = tuple(sorted(macros.items()))
                if key not in engines:
                    if len(engines) >= 4:  # each holds a process
                        engines.pop(next(iter(engines))).close()
                    try:
                        engines[key] = MathEngine({**site_macros, **macros})
                    except MathRenderError:  # a bad macro: the build says so, naming site.toml
                        connection.send(([], time.process_time() - started))
                        continue
                renderers = dataclasses.replace(renderers, engine=engines[key])
            loaded = load_post(root / "posts" / "fuzz.md", config, renderers, data)
            post, warnings = loaded.post, loaded.warnings
            page = pages.render(
                "post.html", post.output_file, post.source, post=post, older=None, newer=None
            )
            for label, fragment in (
                ("body", post.content),
                ("excerpt", post.excerpt),
                ("title", post.title_html),
                ("page", page.text),
            ):
                found = html_problems(fragment, balanced=not raw_html and label != "page")
                problems += [f"{label}: {problem}" for problem in found]
            if "<script>alert(1)" in page.text and not raw_html:
                problems.append("page: unescaped <script>alert(1)")
            label_twice = any("used twice" in w.message for w in warnings)
            if not raw_html and not label_twice:
                problems += [f"page: duplicate id {i!r}" for i in duplicate_ids(page.text)]
        except BlogError as exc:
            if not exc.diagnostics or any(not d.path for d in exc.diagnostics):
                problems.append(f"BlogError without a file: {exc}")
        except Exception as exc:
            stack = traceback.extract_tb(exc.__traceback__)
            where = f"{stack[-1].filename}:{stack[-1].lineno}" if stack else "?"
            problems.append(
                f"raised {type(exc).__name__} at {where}: {str(exc)[:300]}\n"
                + "".join(traceback.format_exception(exc))
            )
        connection.send((problems, time.process_time() - started))


# --- the parent -------------------------------------------------------------------------------


@dataclass
class Child:
    process: multiprocessing.process.BaseProcess
    connection: Connection


def start_child(context: Any, target: Callable[[Connection], None] | None = None) -> Child:
    """A child process running `target` (the post checker by default) on one end of a pipe."""
    parent_end, child_end = context.Pipe()
    process = context.Process(target=target or _child, args=(child_end,), daemon=True)
    process.start()
    child_end.close()
    return Child(process, parent_end)


def signature(problem: str) -> str:
    """What makes two failures the same bug: the first line, without the volatile parts."""
    first = problem.splitlines()[0]
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "…", first)
    return re.sub(r"\d+", "N", first)[:200]


def load_corpus(folder: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(folder.rglob("*.md"))]


TIMING = ("slow", "hang")


def run_one(
    context: Any, child: Child, job: tuple[bytes, bool, dict[str, str]], args: argparse.Namespace
) -> tuple[Child, list[str]]:
    """Send one input to `child`; its problems, and the child to use next (a new one after a
    hang or a death)."""
    data = job[0]
    child.connection.send(job)
    if child.connection.poll(args.timeout):
        try:
            problems, seconds = child.connection.recv()
        except EOFError:
            problems, seconds = [f"child died (exit code {child.process.exitcode})"], 0.0
        if seconds > args.slow:
            problems.append(f"slow: {seconds:.0f} s for {len(data) // 1024} KB")
    else:
        problems = [f"hang: no answer in {args.timeout:.0f} s"]
    if problems and problems[0].startswith(("child died", "hang")):
        child.process.kill()
        child.process.join()
        code = child.process.exitcode
        problems = [f"{problems[0]} (exit {code})"] if code and code < 0 else problems
        child = start_child(context)
    return child, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", type=Path, default=REPO / "fuzz" / "crashes")
    parser.add_argument("--posts", type=Path, default=REPO / "posts", help="posts to mutate")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per input")
    parser.add_argument(
        "--slow", type=float, default=5.0, help="report an input that takes more CPU seconds"
    )
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    corpus = load_corpus(args.posts)
    args.out.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    child = start_child(context)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    tried = retimed = 0
    seen: dict[str, int] = {}
    crashes: list[dict[str, object]] = []
    last_report = started

    def record(data: bytes, raw_html: bool, macros: dict[str, str], problem: str) -> None:
        key = signature(problem)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            return
        number = len(crashes) + 1
        (args.out / f"crash-{number}.md").write_bytes(data)
        options = "" if raw_html else " --no-raw-html"
        if macros:  # the site's macros, as site.toml would have them
            toml = args.out / f"crash-{number}.toml"
            lines = [f"{name} = {json.dumps(body)}" for name, body in macros.items()]
            toml.write_text("[math.macros]\n" + "\n".join(lines) + "\n", encoding="utf-8")
            options += f" --macros {toml}"
        (args.out / f"crash-{number}.txt").write_text(
            f"{problem}\n\nraw_html = {str(raw_html).lower()}, input #{tried}, "
            f"seed {args.seed}\nreproduce: python fuzz/fuzz_render.py --replay "
            f"{args.out / f'crash-{number}.md'}{options}\n",
            encoding="utf-8",
        )
        crashes.append({"file": f"crash-{number}.md", "problem": key, "raw_html": raw_html})
        print(f"crash {number}: {key}", flush=True)

    try:
        while time.monotonic() < deadline:
            macros = random_site_macros(rng)
            data = make_input(rng, corpus, list(macros))
            raw_html = rng.random() < 0.5
            tried += 1
            child, problems = run_one(context, child, (data, raw_html, macros), args)
            if problems and all(problem.startswith(TIMING) for problem in problems):
                # A busy machine makes any input slow now and then: time it once more, and
                # report it only if it is slow (or hangs) again.
                retimed += 1
                child, problems = run_one(context, child, (data, raw_html, macros), args)
            for problem in problems:
                record(data, raw_html, macros, problem)
            now = time.monotonic()
            if now - last_report > 60:
                last_report = now
                minutes = (now - started) / 60
                print(f"{minutes:.1f} min: {tried} inputs, {len(crashes)} crashes", flush=True)
    except KeyboardInterrupt:  # Ctrl-C stops early; the summary is still written
        print("interrupted")
    child.connection.close()
    child.process.join(5)
    summary = {
        "seed": args.seed,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "inputs": tried,
        "retimed": retimed,
        "distinct_crashes": len(crashes),
        "crashes": crashes,
        "counts": seen,
    }
    (args.out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print(
        f"fuzzed for {summary['minutes']} min with seed {args.seed}: {tried} inputs, "
        f"{len(crashes)} distinct crashes (reproducers in {args.out})"
    )
    return 1 if crashes else 0


def replay(path: Path, raw_html: bool, macros_file: Path | None) -> int:
    """Run one reproducer in this process and print what goes wrong."""
    macros = {}
    if macros_file is not None:
        macros = tomllib.loads(macros_file.read_text(encoding="utf-8"))["math"]["macros"]
    context = multiprocessing.get_context("spawn")
    child = start_child(context)
    child.connection.send((path.read_bytes(), raw_html, macros))
    try:
        problems, seconds = child.connection.recv()
    except EOFError:
        child.process.join()
        problems, seconds = [f"child died (exit {child.process.exitcode})"], 0.0
    print(f"{seconds:.2f} s")
    child.connection.close()
    for problem in problems:
        print(html.unescape(problem))
    print("ok" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


# --- symlinked sites (`--symlinks`): the site folder is a boundary -----------------------------

SECRET = "OUTSIDE-SECRET"  # in the folder beside the site, which a site may allow
FORBIDDEN = "FORBIDDEN-SECRET"  # in a folder no site ever allows
LINK_PLACES = ("posts", "posts/sub", "static", "static/sub", "templates")


def _write_linked_site(rng: random.Random, base: Path) -> Path:
    """A small site in `base/site` with real posts, static files and a template, and beside it
    `outside/` (SECRET; sometimes allowed) and `forbidden/` (FORBIDDEN; never allowed), each
    with a post, a file, a template and a folder. `outside/` holds links back into the site and
    on into `forbidden/`."""
    root = base / "site"
    for folder in ("outside", "forbidden"):
        token = SECRET if folder == "outside" else FORBIDDEN
        (base / folder / "deep").mkdir(parents=True)
        (base / folder / "file.txt").write_text(token, encoding="utf-8")
        (base / folder / "deep/inner.txt").write_text(token, encoding="utf-8")
        (base / folder / "post.md").write_text(GOOD_FRONT + token + "\n", encoding="utf-8")
        (base / folder / "post.html").write_text(token + "{{ post.title }}\n", encoding="utf-8")
    for folder in ("posts/sub", "static/sub", "templates", "lib", "assets/deep"):
        (root / folder).mkdir(parents=True)
    (root / "posts/a.md").write_text(GOOD_FRONT + "A post.\n", encoding="utf-8")
    (root / "posts/sub/b.md").write_text(GOOD_FRONT.replace("Fuzz", "B") + "B.\n", "utf-8")
    (root / "static/logo.txt").write_text("logo", encoding="utf-8")
    (root / "assets/deep/img.txt").write_text("img", encoding="utf-8")
    (root / "lib/post.md").write_text(GOOD_FRONT.replace("Fuzz", "Lib") + "lib\n", "utf-8")
    (root / "lib/post.html").write_text("{{ post.title }}\n", encoding="utf-8")
    allowed = rng.random() < 0.4
    (root / "site.toml").write_text(
        'allow_symlinks_to = ["../outside"]\n' if allowed else "", encoding="utf-8"
    )
    if rng.random() < 0.5:
        (base / "outside/back").symlink_to(root / rng.choice(["posts", "lib", "assets"]))
    if rng.random() < 0.3:
        (base / "outside/further").symlink_to(base / "forbidden" / rng.choice(["deep", "file.txt"]))
    return root


def _link_targets(base: Path) -> list[str]:
    """Where a random link may point, relative to `base` (absolute when written)."""
    return [
        "site/posts/a.md", "site/lib/post.md", "site/lib/post.html", "site/assets",
        "site/assets/deep/img.txt", "site/static/logo.txt", "site", "site/posts", "site/public",
        "site/public/index.html", "site/public/posts", "outside", "outside/post.md",
        "outside/file.txt", "outside/deep", "outside/post.html", "forbidden/post.md",
        "forbidden/deep", "forbidden/file.txt", "forbidden/post.html", "/usr", "/",
        "missing", "site/posts/missing.md",
    ]  # fmt: skip


def _add_random_links(rng: random.Random, base: Path, root: Path) -> None:
    targets = _link_targets(base)
    inside = [target for target in targets if target.startswith("site/")]
    for _ in range(rng.randint(1, 4)):
        place = root / rng.choice(LINK_PLACES)
        choices = inside if rng.random() < 0.6 else targets
        if place.relative_to(root).parts[0] == "posts":
            # posts/ reads only .md files: a link to anything else is a folder or not a post
            choices = [t for t in choices if t.endswith(".md") or "." not in t] or choices
        target = rng.choice(choices)
        kind = rng.random()
        if kind < 0.1:
            name = f"loop{rng.randint(0, 9)}"
            destination: str | Path = name  # a link to itself
        elif kind < 0.2:
            destination = rng.choice([".", "..", "../.."])  # a loop through a folder
            name = f"up{rng.randint(0, 9)}"
        else:
            absolute = target if target.startswith("/") else str(base / target)
            destination = absolute if rng.random() < 0.5 else os.path.relpath(absolute, place)
            suffix = (
                ".html" if place.name == "templates" else (".md" if "posts" in str(place) else "")
            )
            name = rng.choice(["post", "x", "link", "深"]) + str(rng.randint(0, 9)) + suffix
            if place.name == "templates" and rng.random() < 0.5:
                name = "post.html"  # one the build renders with
        link = place / name
        if not os.path.lexists(link):
            link.symlink_to(destination)


def _escapes(link: Path, root: Path, allowed: list[Path]) -> bool:
    """The fuzzer's own judgement, written apart from `discover`: a link whose real path is
    neither inside the site nor inside an allowed folder, or inside the output folder."""
    real = Path(os.path.realpath(link))
    public = Path(os.path.realpath(root / "public"))
    if real == public or public in real.parents:
        return True
    return not any(real == place or place in real.parents for place in [root, *allowed])


def _reachable_bad_link(root: Path, allowed: list[Path]) -> bool:
    """Would a correct build have to refuse something? Walks the site's three folders the
    simple way (following links, once per real folder, skipping dot names)."""
    public = os.path.realpath(root / "public")
    seen: set[str] = set()
    pending = [root / name for name in ("posts", "static", "templates")]
    while pending:
        folder = pending.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        if os.path.exists(root / "public") and real == public:
            return True
        try:
            entries = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in entries:
            if name.startswith(".") or name.endswith("~"):
                continue
            path = folder / name
            if path.is_symlink() and _escapes(path, root, allowed):
                return True
            if os.path.isdir(path):
                pending.append(path)
    return False


def _symlink_child(connection: Connection) -> None:
    """Build the sites sent over `connection`; answer with the outcome of each."""
    from mathblog.build import BuildOptions, build
    from mathblog.errors import BlogError
    from mathblog.serve.http import resolve_path

    while True:
        try:
            root_text, cache, plants, requests = connection.recv()
        except EOFError:
            return
        root = Path(root_text)
        outcome: tuple[str, list[str]]
        try:
            build(root, BuildOptions(jobs=1, cache=cache))
            outcome = ("ok", [])
        except BlogError as exc:
            outcome = ("error", [f"{d.path}\0{d.message}" for d in exc.diagnostics])
        except Exception as exc:
            outcome = ("crash", ["".join(traceback.format_exception(exc))])
        served = []
        if outcome[0] == "ok":
            for link, target in plants:
                if os.path.isdir(os.path.dirname(link)) and not os.path.lexists(link):
                    os.symlink(target, link)
            for request in requests:
                try:
                    found = resolve_path(root / "public", "/", request)
                except UnicodeDecodeError:
                    found = None
                served.append(str(found) if isinstance(found, Path) else "")
        connection.send((outcome, served))


def _through_a_link(out: Path, request: str) -> bool:
    """The request's path crosses a symlink in the output (its `index.html` included)."""
    step = Path(os.path.realpath(out))
    for part in [*request.strip("/").split("/"), "index.html"]:
        step = step / part
        if step.is_symlink():
            return True
        if not step.is_dir():
            return False
    return False


def _check_linked_build(
    root: Path,
    base: Path,
    outcome: tuple[str, list[str]],
    must_refuse: bool,
    before: str,
    planted: set[Path],
) -> list[str]:
    """What is wrong with one build's outcome: an exception other than `BlogError`, a build
    that should have refused (or a refusal that should not be), a symlink or outside content in
    the output, or a changed file outside the site."""
    kind, details = outcome
    allowed = (root / "site.toml").read_text(encoding="utf-8") != ""
    problems = []
    if kind == "crash":
        problems.append("raised " + details[0].strip().splitlines()[-1] + "\n" + details[0])
    if kind == "error" and any(not d.split("\0")[0] for d in details):
        problems.append(f"BlogError without a file: {details}")
    if kind == "ok" and must_refuse:
        problems.append("built although a symlink leads out of the site or into the output")
    refusals = [d for d in details if "symlink" in d]  # other errors (a URL clash) may happen
    if kind == "error" and refusals and not must_refuse:
        problems.append("refused a site whose links all stay inside: " + "; ".join(refusals)[:300])
    out = root / "public"
    if kind == "ok":
        for path in out.rglob("*"):
            if path.is_symlink():
                if path not in planted:  # one planted below, left by a build with nothing to do
                    problems.append(f"a symlink in the output: {path.relative_to(out)}")
            elif path.is_file():
                text = path.read_bytes()
                if FORBIDDEN.encode() in text or (SECRET.encode() in text and not allowed):
                    problems.append(f"outside content in the output: {path.relative_to(out)}")
    if _tree_state(base, ("outside", "forbidden")) != before:
        problems.append("a file outside the site changed")
    return problems


def _links_in(base: Path) -> list[Path]:
    """The symlinks under `base`, but not in the output or the cache (which a build's
    housekeeping may still be changing)."""
    links = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = [d for d in dirs if d not in ("public", ".blog-cache")]
        for name in [*dirs, *files]:
            if os.path.islink(os.path.join(folder, name)):
                links.append(Path(folder, name))
    return sorted(links)


def _tree_state(base: Path, folders: tuple[str, ...]) -> str:
    parts = []
    for folder in folders:
        for path in sorted((base / folder).rglob("*")):
            if path.is_file() and not path.is_symlink():
                parts.append(f"{path}:{path.read_bytes()!r}")
    return "\n".join(parts)


def _plants_and_requests(
    rng: random.Random, out: Path, base: Path
) -> tuple[list[tuple[str, str]], list[str]]:
    """Symlinks to plant in the output once it is built (links inside it and out of it), and
    the requests to try on the dev server then."""
    names = ["alias.html", "mirror", "posts/again.html", "up"]
    targets = [out / "index.html", out / "posts", base / "outside", out, base / "outside/file.txt"]
    plants = [
        (str(out / name), str(rng.choice(targets)))
        for name in rng.sample(names, rng.randint(1, len(names)))
    ]
    return plants, [
        "/alias.html", "/mirror/", "/mirror/a/", "/posts/again.html", "/up/index.html",
        "/up/up/", "/mirror/fuzz/index.html", "/", "/posts/fuzz/", "/index.html",
    ]  # fmt: skip


_Outcome = tuple[str, list[str]]  # ("ok" | "error" | "crash" | "hang" | "died", details)


def _ask_symlink_child(
    child: Child, job: tuple[object, ...], timeout: float
) -> tuple[_Outcome, list[str]]:
    """Send one build to the child: its outcome, and the paths the dev server gave."""
    child.connection.send(job)
    if not child.connection.poll(timeout):
        return ("hang", [f"no answer in {timeout:.0f} s"]), []
    try:
        outcome, served = child.connection.recv()
    except EOFError:
        return ("died", [f"exit code {child.process.exitcode}"]), []
    return outcome, served


@dataclass
class _SymlinkRun:
    """The failures found so far, each distinct one written to `out` once."""

    seed: int
    out: Path
    builds: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)  # what was exercised

    def count(self, outcome: _Outcome) -> None:
        refused = any("symlink" in detail for detail in outcome[1])
        label = "refused" if refused else {"ok": "built"}.get(outcome[0], "other")
        self.outcomes[label] = self.outcomes.get(label, 0) + 1

    def record(self, problem: str, base: Path, root: Path) -> None:
        key = signature(problem)
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] > 1:
            return
        self.found.append(key)
        layout = "\n".join(f"{p.relative_to(base)} -> {os.readlink(p)}" for p in _links_in(base))
        (self.out / f"links-{len(self.found)}.txt").write_text(
            f"{problem}\n\nseed {self.seed}, build #{self.builds}\nlinks:\n{layout}\n"
            f"site.toml: {(root / 'site.toml').read_text('utf-8')!r}\n",
            encoding="utf-8",
        )
        print(f"failure {len(self.found)}: {key}", flush=True)


def _fuzz_one_site(
    rng: random.Random, base: Path, child: Child, context: Any, run: _SymlinkRun, timeout: float
) -> Child:
    """Build one random site one to three times, with new links before each build; returns the
    child to use next (a new one after a hang or a death)."""
    root = _write_linked_site(rng, base)
    before = _tree_state(base, ("outside", "forbidden"))
    allowed = [base / "outside"] if (root / "site.toml").read_text("utf-8") else []
    planted: set[Path] = set()  # by the fuzzer: a build with nothing to do leaves them
    public = root / "public"
    for _ in range(rng.randint(1, 3)):
        _add_random_links(rng, base, root)
        must_refuse = _reachable_bad_link(root, allowed)
        plants, requests = _plants_and_requests(rng, public, base)
        run.builds += 1
        job = (str(root), rng.random() < 0.5, plants, requests)
        outcome, served = _ask_symlink_child(child, job, timeout)
        if outcome[0] in ("hang", "died"):
            run.record(f"{outcome[0]}: {outcome[1][0]}", base, root)
            child.process.kill()
            child.process.join()
            return start_child(context, _symlink_child)
        run.count(outcome)
        planted.update(Path(link) for link, _ in plants)
        problems = _check_linked_build(root, base, outcome, must_refuse, before, planted)
        problems += [
            f"dev server followed a symlink for {request}"
            for request, path in zip(requests, served, strict=False)
            if path and _through_a_link(public, request)
        ]
        for problem in problems:
            run.record(problem, base, root)
    return child


def fuzz_symlinks(minutes: float, seed: int, out: Path, timeout: float) -> int:
    """Build random small sites with symlinks in posts/, static/ and templates/ (inside and
    outside the site, into the output, loops, dangling ones), one to three times each with new
    links between builds, and check that the boundary holds (see fuzz/README.md)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    child = start_child(context, _symlink_child)
    run = _SymlinkRun(seed, out)
    started = time.monotonic()
    try:
        while time.monotonic() < started + minutes * 60:
            with tempfile.TemporaryDirectory(
                prefix="blog-fuzz-links-", ignore_cleanup_errors=True
            ) as folder:
                child = _fuzz_one_site(rng, Path(folder), child, context, run, timeout)
    except KeyboardInterrupt:
        print("interrupted")
    child.connection.close()
    child.process.join(5)
    summary = {
        "seed": seed,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "builds": run.builds,
        "distinct_failures": len(run.found),
        "outcomes": run.outcomes,
        "counts": run.seen,
    }
    (out / "links-summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(
        f"fuzzed symlinked sites for {summary['minutes']} min with seed {seed}: {run.builds} "
        f"builds, {len(run.found)} distinct failures (in {out}); {run.outcomes}"
    )
    return 1 if run.found else 0


if __name__ == "__main__":
    if "--symlinks" in sys.argv:  # --symlinks [--minutes M] [--seed S] [--out DIR]
        options = argparse.ArgumentParser()
        options.add_argument("--symlinks", action="store_true")
        options.add_argument("--minutes", type=float, default=1.0)
        options.add_argument("--seed", type=int, default=0)
        options.add_argument("--out", type=Path, default=REPO / "fuzz" / "crashes")
        options.add_argument("--timeout", type=float, default=60.0)
        given = options.parse_args()
        sys.exit(fuzz_symlinks(given.minutes, given.seed, given.out, given.timeout))
    if len(sys.argv) >= 3 and sys.argv[1] == "--replay":
        flags = sys.argv[3:]
        macros_file = Path(flags[flags.index("--macros") + 1]) if "--macros" in flags else None
        sys.exit(replay(Path(sys.argv[2]), "--no-raw-html" not in flags, macros_file))
    sys.exit(main())
