"""`blog build --timings`: where a build's time went, step by step in the build's own process,
then the work wherever it ran, the workers' sent back with their results."""

from __future__ import annotations

import re
from pathlib import Path

from serving import serving
from sites import big_site, run_blog

LINE = re.compile(r" +(?P<name>\S.*?)\s+(?P<seconds>\d+\.\d{3}) s")


def sections(output: str) -> tuple[dict[str, float], dict[str, float]]:
    """The steps and the work that `--timings` printed, by name."""
    steps: dict[str, float] = {}
    work: dict[str, float] = {}
    shown = None
    for line in output.splitlines():
        if line.startswith("steps, "):
            shown = steps
        elif line.startswith("work, "):
            shown = work
        elif shown is not None and (found := LINE.fullmatch(line)):
            shown[found["name"].strip()] = float(found["seconds"])
    return steps, work


def test_a_cold_build_shows_every_step_and_the_work_of_its_workers(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 40)
    result = run_blog("build", "--quiet", "--timings", "-j", "2", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "built " not in result.stdout  # --quiet: the timings alone
    steps, work = sections(result.stdout)
    assert "parse 40 posts" in steps
    assert any(re.fullmatch(r"render \d+ pages", name) for name in steps), steps
    total = steps.pop("total")
    # The steps follow one another: with "the rest" they add up to the build, rounding apart.
    assert abs(sum(steps.values()) - total) < 0.001 * (len(steps) + 1)
    # Parsing and rendering ran in the two workers; their time came back with their results.
    assert work["parse posts"] > 0 and work["render pages"] > 0
    for part in ("math", "highlight code", "search terms", "excerpt"):
        assert 0 < work[part] <= work["parse posts"], part


def test_after_one_edit_only_that_post_is_parsed(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 12)
    assert run_blog("build", "--quiet", cwd=root).returncode == 0
    with (root / "posts/p3.md").open("a", encoding="utf-8") as post:
        post.write("\nOne more line.\n")
    result = run_blog("build", "--timings", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("steps, ")
    assert "built 12 posts" in result.stdout  # without --quiet, the summary follows
    steps, work = sections(result.stdout)
    assert "parse 1 post" in steps
    assert work["parse posts"] > 0


def test_a_build_with_nothing_to_do_parses_and_renders_nothing(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 5)
    assert run_blog("build", "--quiet", cwd=root).returncode == 0
    result = run_blog("build", "--quiet", "--timings", cwd=root)
    assert result.returncode == 0, result.stderr
    steps, work = sections(result.stdout)
    assert "parse 0 posts" in steps
    assert not any(name.startswith("render ") for name in steps)
    assert "parse posts" not in work and "render pages" not in work


def test_serve_prints_each_rebuilds_steps_after_its_line(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 6)
    with serving(root, "--timings") as server:
        with (root / "posts/p2.md").open("a", encoding="utf-8") as post:
            post.write("\nOne more line.\n")
        server.wait_for_line("rebuilt in ")
        assert (
            server.wait_for_line("steps, ") == "steps, one after another in this process "
            "(wall clock):"
        )
        step = server.wait_for_line("  parse ")
        assert LINE.fullmatch(step) and step.split()[:3] == ["parse", "1", "post"], step
        assert LINE.fullmatch(server.wait_for_line("  total "))
