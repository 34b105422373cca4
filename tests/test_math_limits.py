"""No formula can freeze or kill the build: limits hold after macros expand, a crash or a hang of
the engine is a warning at the formula's place, and a cached conversion is checked before it
goes into a page.

Builds run as real processes with a deadline (`run_blog` gives up after 120 s), so a formula
that hangs the engine fails its test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mathml import without_source
from serving import EventStream, serving
from sites import post, run_blog, write_site

from mathblog.math.cache import FormulaCache, looks_like_mathml
from mathblog.math.converter import FORMULA_SECONDS
from mathblog.site.loading import PARALLEL_MIN_POSTS

# Enough posts for `-j 2` to parse them in two worker processes.
FILLERS = {
    f"filler-{n:02}.md": post(f"Filler {n}", body=f"Note $x_{{{n}}}$.")
    for n in range(PARALLEL_MIN_POSTS + 4)
}

DEF_BRACKETS = r"\def\a{((((}" + r"\a" * 10 + " x"  # 40 brackets open once expanded
SITE_MACRO_BRACKETS = r"\B" * 5 + " x"  # with B = "((((((((" in site.toml
# A chain of groups 81 × 250 deep once expanded (each call 81 levels), under 256 as written.
DEF_DEEP = r"\def\g#1{" + "{" * 80 + "#1" + "}" * 80 + "}" + r"\g{" * 250 + "x" + "}" * 250
DEF_RECURSIVE = r"\def\a{\a}\a"
UNICODE_BRACKETS = "⟨" * 40 + "x"
SIZED_BRACKETS = r"\bigl|x" * 20

LIMITED = f"""Before $x$.

${DEF_BRACKETS}$

${SITE_MACRO_BRACKETS}$

$${DEF_DEEP}$$

${DEF_RECURSIVE}$

${UNICODE_BRACKETS}$

${SIZED_BRACKETS}$

After $y$.
"""

OPEN = "more than 16 brackets left open in one group"
EXPANDED = "once its macros are expanded"
LIMITED_WARNINGS = [
    f"warning: posts/limits.md:7:1: math: {OPEN} {EXPANDED}",
    f"warning: posts/limits.md:9:1: math: {OPEN} {EXPANDED}",
    f"warning: posts/limits.md:11:1: math: formula nested deeper than 256 levels {EXPANDED}",
    "warning: posts/limits.md:13:1: math: formula expands its macros more than 1,000 times"
    " (a \\def that calls itself?)",
    f"warning: posts/limits.md:15:1: math: {OPEN}",
    f"warning: posts/limits.md:17:1: math: {OPEN}",
]

# Past the limits, which do not model every argument (`\sqrt[3]` takes `)` as its argument, so
# the `(` stays open: time doubles with each) or every kind of nesting (a chain of `\sqrt`
# overflows math-core's stack): the engine's process hangs or dies, and only this formula fails.
CRASHES = r"\def\s{" + r"\sqrt" * 50 + "}" + r"\s " * 400 + "x"
HANGS = r"(\sqrt[3])" * 40

KILLERS = f"""Before $x$.

${CRASHES}$

${HANGS}$

After $y$.
"""

KILLER_WARNINGS = [
    "warning: posts/killers.md:7:1: math: the math engine crashed on this formula",
    f"warning: posts/killers.md:9:1: math: the math engine took longer than {FORMULA_SECONDS:g} s"
    " on this formula",
]


def site_with(root: Path, name: str, body: str) -> Path:
    return write_site(
        root,
        {name: post("Hostile", body=body), **FILLERS},
        '[math.macros]\nB = "(((((((("\n',
    )


def assert_built_around(root: Path, name: str, stderr: str, warnings: list[str]) -> None:
    lines = stderr.splitlines()
    for warning in warnings:
        assert warning in lines, f"{warning!r} not in:\n{stderr}"
    assert "Traceback" not in stderr
    page = without_source((root / "public/posts" / name / "index.html").read_text("utf-8"))
    assert "Before <math><mi>x</mi></math>." in page
    assert "After <math><mi>y</mi></math>." in page
    assert page.count('class="math-error') == len(warnings)
    filler = (root / "public/posts/filler-07/index.html").read_text(encoding="utf-8")
    assert "<msub><mi>x</mi><mn>7</mn></msub>" in filler


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_macros_cannot_expand_past_the_limits(tmp_path: Path, jobs: str) -> None:
    root = site_with(tmp_path, "limits.md", LIMITED)
    result = run_blog("build", "-j", jobs, cwd=root)
    assert result.returncode == 0, result.stderr
    assert_built_around(root, "limits", result.stderr, LIMITED_WARNINGS)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_engine_crash_or_hang_costs_only_its_formula(tmp_path: Path, jobs: str) -> None:
    root = site_with(tmp_path, "killers.md", KILLERS)
    result = run_blog("build", "-j", jobs, cwd=root)
    assert result.returncode == 0, result.stderr
    assert_built_around(root, "killers", result.stderr, KILLER_WARNINGS)
    # The failures are not cached: the next build that parses the post tries them again.
    assert "the math engine" not in (root / ".blog-cache/math.json").read_text(encoding="utf-8")


def test_the_server_keeps_serving_after_the_engine_crashes_or_hangs(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", body="First.")})
    with serving(root) as server:
        stream = EventStream(server)
        assert stream.next() == ("hello", "1")
        (root / "posts/a.md").write_text(post("A", body=KILLERS), encoding="utf-8")
        assert stream.next(timeout=120) == ("reload", "page")
        page = without_source(server.request("/posts/a/")[2].decode("utf-8"))
        assert "After <math><mi>y</mi></math>." in page
        (root / "posts/a.md").write_text(post("A", body="Fixed $z$."), encoding="utf-8")
        assert stream.next(timeout=120) == ("reload", "page")
        assert "Fixed <math><mi>z</mi></math>." in without_source(
            server.request("/posts/a/")[2].decode()
        )
        stream.close()
        assert server.process.poll() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_the_server_while_a_formula_hangs_the_engine(tmp_path: Path) -> None:
    # Once math-core held the server's lock on Python for as long as it ran: Ctrl-C waited.
    hanging = " ".join(f"${HANGS}x_{{{n}}}$" for n in range(6))  # 30 s of hanging at least
    root = write_site(tmp_path, {"a.md": post("A", body="First.")})
    with serving(root) as server:
        before = _tree_cpu_seconds(server.process.pid)
        (root / "posts/a.md").write_text(post("A", body=hanging), encoding="utf-8")
        deadline = time.monotonic() + 60
        while _tree_cpu_seconds(server.process.pid) < before + 0.5:  # math-core is at work
            assert time.monotonic() < deadline, "the rebuild never started converting"
            time.sleep(0.05)
        engines = _descendants(server.process.pid)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=60) == 0
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in engines):
        assert time.monotonic() < deadline, "the engine's process outlived the server"
        time.sleep(0.05)


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # the thread ended
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def _tree_cpu_seconds(pid: int) -> float:
    ticks = 0
    for member in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


HOSTILE_VALUES = [
    "<math><mi>x</mi></math><script>alert(1)</script>",
    "<math><mi>x</mi><script>alert(1)</script></math>",
    '<math><mi onmouseover="alert(1)">x</mi></math>',
    "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
    '<math><mtext><a href="javascript:alert(1)">x</a></mtext></math>',
    '<math><mi style="background:url(https://example.com/t.png)">x</mi></math>',
    "<math><mi/onfocus=alert(1)>x</mi></math>",
    '<math><mi title="a" onclick="alert(1)">x</mi></math>',
    "<svg onload=alert(1)><math><mi>x</mi></math>",
]


def test_a_tampered_formula_cache_is_not_pasted_into_pages(tmp_path: Path) -> None:
    formulas = [f"$v_{{{n}}}$" for n in range(len(HOSTILE_VALUES))]
    body = " ".join(formulas) + " and $w$."
    root = write_site(tmp_path, {"a.md": post("A", body=body)})
    assert run_blog("build", cwd=root).returncode == 0
    cache_file = root / ".blog-cache/math.json"
    stored = json.loads(cache_file.read_text(encoding="utf-8"))
    for formula, value in zip(formulas, HOSTILE_VALUES, strict=True):
        stored["entries"]["I" + formula.strip("$")] = value
    # A value shaped like math-core's is taken as it is: the cache is read, not thrown away.
    stored["entries"]["Iw"] = "<math><mi>ω</mi></math>"
    cache_file.write_text(json.dumps(stored), encoding="utf-8")
    (root / "posts/a.md").write_text(post("A", body=body + "\n\nEdited."), encoding="utf-8")

    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    page = without_source((root / "public/posts/a/index.html").read_text(encoding="utf-8"))
    assert "alert" not in page and "url(" not in page and "<svg" not in page
    for n in range(len(HOSTILE_VALUES)):
        assert f"<math><msub><mi>v</mi><mn>{n}</mn></msub></math>" in page
    assert "and <math><mi>ω</mi></math>." in page
    assert "alert" not in cache_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_cached_value_that_math_core_never_writes_is_refused(value: str) -> None:
    assert not looks_like_mathml(value)
    cache = FormulaCache("f")
    cache._stored = {"Ix": value}
    assert cache.conversion("x", False) is None


def test_what_math_core_writes_is_accepted_from_the_cache() -> None:
    """Every conversion of the fixtures and the corpus passes the check, or a warm build would
    quietly convert them all again."""
    from mathblog.markdown.parser import create_markdown, render_body
    from mathblog.math.engine import MathEngine

    cache = FormulaCache("f")
    engine = MathEngine({"R": r"\mathbb{R}"}, cache)
    md = create_markdown(raw_html=True)
    folder = Path(__file__).parent
    sources = ["fixtures/*.md", "corpus/notes/**/*.md", "sites/**/*.md", "../posts/*.md"]
    for path in [path for pattern in sources for path in folder.glob(pattern)]:
        render_body(md, path.read_text(encoding="utf-8-sig"), engine=engine)
    engine.close()
    made = [value for value in cache.drain().values() if isinstance(value, str)]
    assert len(made) > 1000
    assert [value for value in made if not looks_like_mathml(value)] == []


CHILD_OF = """
import sys, time
from mathblog.math.engine import MathEngine
engine = MathEngine()
engine.render("x", display=False)
print("converted", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_engine_process_dies_with_the_build(tmp_path: Path) -> None:
    build = subprocess.Popen(
        [sys.executable, "-c", CHILD_OF], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert build.stdout is not None and build.stdout.readline() == "converted\n"
        children = Path(f"/proc/{build.pid}/task/{build.pid}/children").read_text().split()
        assert len(children) == 1  # the engine's process
        engine = int(children[0])
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    deadline = time.monotonic() + 60
    while _alive(engine):
        assert time.monotonic() < deadline, "the engine's process outlived the build"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie is dead, waiting to be reaped
