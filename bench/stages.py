"""Where a cold `blog build` spends its time, stage by stage: a profile of one build in one process.

    python bench/stages.py SITE     # a site folder (its public/ and .blog-cache/ are removed)
    python bench/build_speed.py --notes --posts 1000 --keep /tmp/sites --runs 1
    python bench/stages.py /tmp/sites/1000/site

The build runs with `-j 1` under cProfile, so every stage is in this process and the profile sees
it; the profiler's overhead makes it slower than a real build (compare shares, not seconds). A
stage's time is the cumulative time of the functions that do it; the parse stage's parts are
taken out of it, so the rows add up to the build (apart from start-up and what no row names).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

# stage → (module path under src/mathblog, function name) pairs whose cumulative times it is.
STAGES: dict[str, list[tuple[str, str]]] = {
    "find and hash files": [("site/loading.py", "_look_up"), ("content/discover.py", "find_posts")],
    "parse: highlight code": [("markdown/highlight.py", "highlight_code")],
    "parse: math": [("markdown/math_syntax.py", "_render_formulas")],
    "parse: search terms": [("search/tokens.py", "weighted_terms")],
    "parse: excerpt": [("markdown/excerpt.py", "make_excerpt")],
    "parse: the rest (markdown-it, front matter)": [("content/post.py", "load_post")],
    "search index (documents, shards)": [("search/index.py", "content")],
    "plan the site": [("site/outputs.py", "plan_site")],
    "render pages (Jinja)": [("render/templates.py", "page")],
    "write files": [("output/writer.py", "write_site")],
}
# Stages whose time another stage's functions include, and which one.
INSIDE = {
    "parse: highlight code": "parse: the rest (markdown-it, front matter)",
    "parse: math": "parse: the rest (markdown-it, front matter)",
    "parse: search terms": "parse: the rest (markdown-it, front matter)",
    "parse: excerpt": "parse: the rest (markdown-it, front matter)",
    "render pages (Jinja)": "write files",
    "search index (documents, shards)": "write files",  # made as its files are written
}


def cumulative(stats: pstats.Stats, module: str, function: str) -> float:
    total = 0.0
    table = stats.stats  # type: ignore[attr-defined]
    for (filename, _, name), (_, _, _, cum, _) in table.items():
        if name == function and filename.replace("\\", "/").endswith("mathblog/" + module):
            total += cum
    return float(total)


def profile_build(site: Path) -> pstats.Stats:
    from mathblog.cli import main

    for made in ("public", ".blog-cache"):
        shutil.rmtree(site / made, ignore_errors=True)
    profiler = cProfile.Profile()
    argv = sys.argv
    sys.argv = ["blog", "build", "-q", "-j", "1", "-s", str(site)]
    try:
        profiler.runcall(main)
    except SystemExit as done:
        if done.code:
            sys.exit(f"the build failed (exit {done.code})")
    finally:
        sys.argv = argv
    with tempfile.NamedTemporaryFile(suffix=".prof") as file:
        profiler.dump_stats(file.name)
        return pstats.Stats(file.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("site", type=Path)
    args = parser.parse_args()
    stats = profile_build(args.site.resolve())
    total = float(stats.total_tt)  # type: ignore[attr-defined]
    seconds = {
        stage: sum(cumulative(stats, *where) for where in functions)
        for stage, functions in STAGES.items()
    }
    for stage, outer in INSIDE.items():
        seconds[outer] -= seconds[stage]
    print(f"one cold build, -j 1, under cProfile: {total:.2f} s")
    print(f"{'stage':46}{'seconds':>9}{'share':>8}")
    for stage, value in seconds.items():
        print(f"{stage:46}{value:9.2f}{value / total:8.1%}")
    rest = total - sum(seconds.values())
    print(f"{'(start-up, config, other)':46}{rest:9.2f}{rest / total:8.1%}")


if __name__ == "__main__":
    main()
