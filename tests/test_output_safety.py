"""Nothing is lost: a killed or failed build leaves the previous output byte for byte, the next
build succeeds, removed things leave nothing behind, and two clean builds are identical."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sites import BIG_SITE_BODY as BODY
from sites import big_site, post, run_blog, tree_digest, write_site


def start_build(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mathblog", "build", "--quiet"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the workers too
    )


def written_since(root: Path, started_ns: int) -> bool:
    """Some file of a generation being prepared (the spare, or a fresh staging folder) was
    written after `started_ns`: the build had started writing when it was killed."""
    places = [*root.glob(".blog-cache/output-*/spare"), *root.glob(".public.staging-*")]
    for place in places:
        for path in place.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime_ns > started_ns:
                    return True
            except OSError:
                continue
    return False


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".public"))


def kill_build(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the build and its workers; False if it had finished first."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process.returncode == 0:
        return False  # this attempt's output is the new site
    assert process.returncode == -signal.SIGKILL
    return True


def check_after_kill(root: Path, before: dict[str, str], when: str) -> None:
    after = tree_digest(root / "public")
    if after != before:
        # Killed after the new site was swapped in (writing caches, exiting): it must be the
        # whole new site, which a build then has nothing to change in.
        assert run_blog("build", "--quiet", cwd=root).returncode == 0
        assert tree_digest(root / "public") == after, f"{when}: mixed output"


def test_a_killed_build_leaves_the_previous_output_untouched(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 240)
    assert run_blog("build", "--quiet", cwd=root).returncode == 0
    # Timing one full rebuild (every page changes with the title) tells where to aim the kills.
    (root / "site.toml").write_text('title = "B"\n', encoding="utf-8")
    started = time.monotonic()
    assert run_blog("build", "--quiet", cwd=root).returncode == 0
    full = time.monotonic() - started

    killed_while_writing = 0
    for attempt, fraction in enumerate((0.1, 0.3, 0.5, 0.7, 0.9, 0.97)):
        (root / "site.toml").write_text(f'title = "T{attempt}"\n', encoding="utf-8")
        before = tree_digest(root / "public")
        started_ns = time.time_ns()
        process = start_build(root)
        time.sleep(full * fraction)
        if kill_build(process):
            killed_while_writing += written_since(root, started_ns)
            check_after_kill(root, before, f"killed at {fraction:.0%}")
    # On a busy machine the times above can all miss the writing (a slower start, a quicker
    # build): then kill a build at the moment it is seen writing. Each try either kills it
    # there or sees it finish first, which a build this size cannot do every time.
    for attempt in range(20):
        if killed_while_writing:
            break
        (root / "site.toml").write_text(f'title = "W{attempt}"\n', encoding="utf-8")
        before = tree_digest(root / "public")
        started_ns = time.time_ns()
        process = start_build(root)
        while process.poll() is None and not written_since(root, started_ns):
            time.sleep(0.002)
        if kill_build(process):
            killed_while_writing += 1
            check_after_kill(root, before, "killed while writing")
    assert killed_while_writing >= 1, "no kill landed while the build was writing"

    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert leftovers(root) == []
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copytree(root / "posts", clean / "posts")
    shutil.copy(root / "site.toml", clean / "site.toml")
    assert run_blog("build", "--quiet", cwd=clean).returncode == 0
    assert tree_digest(root / "public") == tree_digest(clean / "public")


def test_a_failed_first_build_writes_nothing(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"a.md": post("A"), "b.md": "---\ntitle: [\n---\n"})
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "build failed: 1 error; nothing was written"
    assert not (root / "public").exists()
    assert leftovers(root) == []


def test_a_build_failing_while_rendering_leaves_the_output_and_no_staging(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path / "site", {f"p{n}.md": post(f"P{n}", body=BODY) for n in range(30)})
    assert run_blog("build", cwd=root).returncode == 0
    before = tree_digest(root / "public")
    # A template error is only found while pages are being written into the next generation.
    (root / "templates").mkdir()
    (root / "templates/archive.html").write_text("{{ years.nope }}\n", encoding="utf-8")
    (root / "posts/p3.md").write_text(post("Changed", body=BODY), encoding="utf-8")
    result = run_blog("build", "--no-cache", cwd=root)
    assert result.returncode == 1
    assert "templates/archive.html:1: template error" in result.stderr
    assert tree_digest(root / "public") == before
    assert leftovers(root) == []


def test_two_clean_builds_are_byte_identical(tmp_path: Path) -> None:
    digests = []
    for name in ("one", "two"):
        root = big_site(tmp_path / name, 25)
        assert run_blog("build", "--quiet", cwd=root).returncode == 0
        digests.append(tree_digest(root / "public"))
    assert digests[0] == digests[1]


def test_removed_things_leave_no_stale_files(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {f"p{n}.md": post(f"P{n}", f"2024-01-{n + 1:02d}", tags="[gone]") for n in range(12)},
        "per_page = 5\n",
        static__img__x_png="png",
    )
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    assert (out / "page/3/index.html").is_file() and (out / "tags/gone/page/3/index.html").is_file()
    assert (out / "img/x_png").is_file()
    for n in range(2, 12):
        (root / f"posts/p{n}.md").unlink()
    (root / "posts/p0.md").write_text(post("P0", "2024-01-01"), encoding="utf-8")  # no tag
    (root / "static/img/x_png").unlink()
    assert run_blog("build", cwd=root).returncode == 0
    files = set(tree_digest(out))
    clean = write_site(
        tmp_path / "clean",
        {"p0.md": post("P0", "2024-01-01"), "p1.md": post("P1", "2024-01-02", tags="[gone]")},
        "per_page = 5\n",
    )
    assert run_blog("build", cwd=clean).returncode == 0
    assert files == set(tree_digest(clean / "public"))
    assert not (out / "page").exists() and not (out / "img").exists()
    assert not (out / "posts/p5").exists()


def test_an_output_left_in_a_holder_by_a_kill_between_two_renames_is_put_back(
    tmp_path: Path,
) -> None:
    # Where the system has no atomic exchange, a swap is two renames; a kill between them
    # leaves the live output in a holder folder beside it. The next build puts it back.
    root = write_site(tmp_path / "site", {"a.md": post("A"), "b.md": post("B", "2024-01-01")})
    assert run_blog("build", cwd=root).returncode == 0
    before = tree_digest(root / "public")
    holder = root / ".public.old-x1y2"
    holder.mkdir()
    (root / "public").rename(holder / "public")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert tree_digest(root / "public") == before
    assert leftovers(root) == []
