"""`blog build` starts its parsing workers as it starts, on a glance at the post files' times
(`site.parse_workers`): the glance must say what the build then finds, and never hang."""

from __future__ import annotations

import os
from pathlib import Path

from sites import post, run_blog, write_site

from mathblog.content.discover import PAGES_DIR, POSTS_DIR
from mathblog.incremental.post_cache import _INDEX
from mathblog.math.cache import CACHE_DIR
from mathblog.site.parse_workers import POST_FOLDERS, POST_INDEX, likely_to_parse


def test_it_looks_where_the_build_keeps_posts_and_its_index() -> None:
    assert POST_FOLDERS == (POSTS_DIR, PAGES_DIR)
    assert POST_INDEX == (CACHE_DIR, _INDEX)


def test_the_glance_counts_all_posts_cold_one_after_an_edit_and_none_after_a_build(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path, {"a.md": post("A"), "deep/b.md": post("B"), "c.md": post("C")})
    (root / "pages").mkdir()
    (root / "pages" / "about.md").write_text(post("About"), encoding="utf-8")
    assert likely_to_parse(root, read_cache=True) == 4  # no index yet: every post and page
    assert run_blog("build", cwd=root).returncode == 0
    assert likely_to_parse(root, read_cache=True) == 0
    assert likely_to_parse(root, read_cache=False) == 4  # --no-cache parses them all
    index = root.joinpath(*POST_INDEX)
    earlier = os.stat(index).st_mtime_ns - 10 * 10**9
    os.utime(index, ns=(earlier, earlier))  # as if the build had run ten seconds ago
    with (root / "posts" / "deep" / "b.md").open("a", encoding="utf-8") as edited:
        edited.write("An edit.\n")
    assert likely_to_parse(root, read_cache=True) == 1
    assert run_blog("build", cwd=root).returncode == 0
    assert likely_to_parse(root, read_cache=True) == 0


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
    assert likely_to_parse(root, read_cache=True) == 0
