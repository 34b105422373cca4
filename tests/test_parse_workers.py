"""`blog build` starts its parsing workers as it starts, on a glance at the post files' times
(`site.parse_workers`): the glance must say what the build then finds, and never hang."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sites import post, run_blog, write_site

from mathblog.build import BuildOptions, build
from mathblog.content.discover import PAGES_DIR, POSTS_DIR
from mathblog.incremental.file_keys import RACY_NANOSECONDS
from mathblog.incremental.post_cache import _INDEX
from mathblog.math.cache import CACHE_DIR
from mathblog.site.parse_workers import POST_FOLDERS, POST_INDEX, EarlyWorkers, glance


def test_it_looks_where_the_build_keeps_posts_and_its_index() -> None:
    assert POST_FOLDERS == (POSTS_DIR, PAGES_DIR)
    assert POST_INDEX == (CACHE_DIR, _INDEX)


def test_the_glance_counts_all_posts_cold_one_after_an_edit_and_none_after_a_build(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path, {"a.md": post("A"), "deep/b.md": post("B"), "c.md": post("C")})
    (root / "pages").mkdir()
    (root / "pages" / "about.md").write_text(post("About"), encoding="utf-8")
    assert glance(root, read_cache=True).parse == 4  # no index yet: every post and page
    assert run_blog("build", cwd=root).returncode == 0
    assert glance(root, read_cache=True).parse == 0
    assert glance(root, read_cache=False).parse == 4  # --no-cache parses them all
    index = root.joinpath(*POST_INDEX)
    earlier = os.stat(index).st_mtime_ns - 10 * 10**9
    os.utime(index, ns=(earlier, earlier))  # as if the build had run ten seconds ago
    with (root / "posts" / "deep" / "b.md").open("a", encoding="utf-8") as edited:
        edited.write("An edit.\n")
    assert glance(root, read_cache=True).parse == 1
    assert run_blog("build", cwd=root).returncode == 0
    assert glance(root, read_cache=True).parse == 0


def test_dot_files_are_passed_over_and_a_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A")})
    assert run_blog("build", cwd=root).returncode == 0
    index = root.joinpath(*POST_INDEX)
    earlier = os.stat(index).st_mtime_ns - 10 * 10**9
    os.utime(index, ns=(earlier, earlier))
    os.utime(root / "posts" / "a.md", ns=(earlier - 10**9, earlier - 10**9))
    # An editor's file, which the build passes over too.
    (root / "posts" / ".a.md.swp.md").write_text("x", encoding="utf-8")
    (root / "posts" / "loop").symlink_to(root / "posts", target_is_directory=True)
    assert glance(root, read_cache=True).parse == 0


def test_the_build_takes_the_times_the_glance_read(tmp_path: Path) -> None:
    """The build looks posts up by the times the glance read, not by asking again: a post
    edited after the glance is built as it was then, and as it is by the next build, as an
    edit after the build's own look at it would be."""
    root = write_site(tmp_path, {"a.md": post("A", body="Before.")})
    source = root / "posts" / "a.md"
    time.sleep(RACY_NANOSECONDS / 1e9 + 0.5)  # so that the build trusts the file's times
    build(root, BuildOptions(jobs=1))
    seen = glance(root, read_cache=True)
    assert (seen.parse, list(seen.stats)) == (0, [str(source)])
    source.write_text(post("A", body="After."), encoding="utf-8")
    page = root / "public" / "posts" / "a" / "index.html"
    build(root, BuildOptions(jobs=1, early_workers=EarlyWorkers(None, seen)))
    assert "Before." in page.read_text(encoding="utf-8")
    build(root, BuildOptions(jobs=1))
    assert "After." in page.read_text(encoding="utf-8")
