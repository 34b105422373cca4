"""One build at a time per site: a second build waits for the first or says which build is
running; a build killed while it holds the lock does not block the next one; no temporary file
is ever left in the output."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

from build_processes import lock_holder, new_tag, start_blog, tagged, wait_until
from sites import post, run_blog, tree_digest, write_site

BODY = "Some $x^2$ math and a [link](/posts/p0/).\n\n```python\nprint('hi')\n```\n"


def site(root: Path, posts: int) -> Path:
    return write_site(
        root,
        {f"p{n}.md": post(f"Post {n}", f"2024-01-{n % 28 + 1:02d}", BODY) for n in range(posts)},
        'title = "A"\n',
    )


def temporaries(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.blog-tmp"))


def test_a_second_build_waits_then_names_the_running_one(tmp_path: Path) -> None:
    root = site(tmp_path / "site", 60)  # long enough to be caught holding the lock, then frozen
    tag = new_tag()
    first = start_blog(root, tag, "build", "--quiet", new_session=True)
    assert wait_until(lambda: lock_holder(root) == first.pid), "the lock never named the build"
    os.killpg(first.pid, signal.SIGSTOP)  # frozen mid-build, holding the lock
    try:
        second = run_blog("build", cwd=root)
        checked = run_blog("check", cwd=root)  # it writes the caches too
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    for result, verb in ((second, "build"), (checked, "check")):
        assert result.returncode == 1, result.stderr
        assert f"error: .blog-cache/lock: another build (pid {first.pid}) is running" in (
            result.stderr
        )
        assert "hint: wait for it to finish" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[-1].startswith(f"{verb} failed: 1 error")
    assert first.wait(timeout=120) == 0
    assert tagged(tag) == []
    assert temporaries(root / "public") == []
    again = run_blog("build", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "0 written" in again.stdout


def test_two_builds_started_at_once_both_end_well(tmp_path: Path) -> None:
    root = site(tmp_path / "site", 150)
    assert run_blog("build", "--quiet", cwd=root).returncode == 0
    for attempt in range(3):
        # Every page changes: both builds would be writing the same spare for a while.
        (root / "site.toml").write_text(f'title = "Round {attempt}"\n', encoding="utf-8")
        logs = [tmp_path / f"{attempt}-{n}.log" for n in range(2)]
        builds = [start_blog(root, new_tag(), "build", "-j", "2", log=log) for log in logs]
        codes = [build.wait(timeout=120) for build in builds]
        texts = [log.read_text(encoding="utf-8", errors="replace") for log in logs]
        for code, text in zip(codes, texts, strict=True):
            assert "Traceback" not in text, text
            assert code == 0 or (code == 1 and "another build (pid " in text), text
        assert 0 in codes
        assert temporaries(root / "public") == []
    clean = write_site(tmp_path / "clean", {})
    shutil.copytree(root / "posts", clean / "posts", dirs_exist_ok=True)
    shutil.copy(root / "site.toml", clean / "site.toml")
    assert run_blog("build", "--quiet", cwd=clean).returncode == 0
    assert tree_digest(root / "public") == tree_digest(clean / "public")


def test_a_build_killed_holding_the_lock_does_not_block_the_next(tmp_path: Path) -> None:
    root = site(tmp_path / "site", 120)
    tag = new_tag()
    build = start_blog(root, tag, "build", "-j", "2", "--quiet")
    assert wait_until(lambda: lock_holder(root) == build.pid), "the lock never named the build"
    build.kill()  # the lock file stays, naming a dead process
    build.wait()
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "another build" not in result.stderr
    # A lock file naming a live process that holds no lock (this one) does not block either.
    (root / ".blog-cache/lock").write_text(f"{os.getpid()}\n", encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr


def test_leftover_temporary_files_in_the_output_are_removed(tmp_path: Path) -> None:
    root = site(tmp_path / "site", 5)
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    before = tree_digest(out)
    # What a build of an older version, racing another, could leave in the live output.
    (out / "index.html.blog-tmp").write_text("half a page", encoding="utf-8")
    (out / "posts/p1/index.html.blog-tmp").write_text("half a page", encoding="utf-8")
    result = run_blog("build", cwd=root)  # nothing changed: only the top is looked at
    assert result.returncode == 0, result.stderr
    assert temporaries(out) == ["posts/p1/index.html.blog-tmp"]
    (root / "posts/p3.md").write_text(post("Changed", body=BODY), encoding="utf-8")
    result = run_blog("build", cwd=root)  # a build that writes the output looks everywhere
    assert result.returncode == 0, result.stderr
    assert temporaries(out) == []
    assert "warning" not in result.stderr
    assert tree_digest(out).keys() == before.keys()


def test_a_cache_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    root = site(tmp_path / "site", 3)
    (root / ".blog-cache").write_text("", encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert "error: .blog-cache: is a file, not a folder" in result.stderr
    assert "hint: delete it" in result.stderr
    assert result.stderr.splitlines()[-1] == "build failed: 1 error; nothing was written"
    assert not (root / "public").exists()
    (root / ".blog-cache").unlink()
    assert run_blog("build", cwd=root).returncode == 0
    (root / "posts/p0.md").write_text(post("Changed", body=BODY), encoding="utf-8")
    before = tree_digest(root / "public")
    shutil.rmtree(root / ".blog-cache")
    (root / ".blog-cache").write_text("", encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert "error: .blog-cache: is a file, not a folder" in result.stderr
    assert tree_digest(root / "public") == before
