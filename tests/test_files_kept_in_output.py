"""Files put into the output by hand are never deleted silently: every build carries them into
the new generation and names them in a warning; a `.git/` there (deploying by committing
`public/`) survives every build as a working repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sites import check_spare_inventory, post, run_blog, tree_digest, write_site


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def kept_warning(stderr: str) -> str:
    lines = stderr.splitlines()
    found = [n for n, line in enumerate(lines) if line.startswith("warning: public/: ")]
    assert len(found) == 1, stderr
    return "\n".join(lines[found[0] : found[0] + 2])


def test_files_put_in_the_output_survive_every_build_with_a_warning(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {f"p{n}.md": post(f"P{n}") for n in range(3)})
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    (out / "CNAME").write_text("notes.example.org\n", encoding="utf-8")
    (out / ".nojekyll").write_text("", encoding="utf-8")
    (out / "posts/p1/notes.txt").write_text("mine\n", encoding="utf-8")
    git("init", "-q", "-b", "pages", cwd=out)
    git("add", "-A", cwd=out)
    git("commit", "-q", "-m", "deploy 1", cwd=out)
    head = (out / ".git/HEAD").read_bytes()

    for n in range(3):  # two builds that swap in a new generation, then one with nothing to do
        if n < 2:
            (root / "posts/p0.md").write_text(post(f"P0, edit {n}"), encoding="utf-8")
        result = run_blog("build", cwd=root)
        assert result.returncode == 0, result.stderr
        warning = kept_warning(result.stderr)
        for name in ("CNAME", ".nojekyll", "posts/p1/notes.txt"):
            assert name in warning
        assert ".git" not in warning  # a repository of the output is how it is deployed
        assert "put it in static/" in warning
        assert (out / "CNAME").read_text(encoding="utf-8") == "notes.example.org\n"
        assert (out / ".nojekyll").is_file()
        assert (out / "posts/p1/notes.txt").read_text(encoding="utf-8") == "mine\n"
        assert (out / ".git/HEAD").read_bytes() == head
        assert git("log", "--format=%s", cwd=out) == "deploy 1\n"
        assert f"P0, edit {min(n, 1)}" in (out / "index.html").read_text(encoding="utf-8")
    git("add", "-A", cwd=out)
    git("commit", "-q", "-m", "deploy 2", cwd=out)
    assert git("status", "--porcelain", cwd=out) == ""

    # Without .blog-cache/ (a fresh CI checkout) nothing tells which files a build made: the
    # files of the site are replaced, everything else is kept.
    shutil.rmtree(root / ".blog-cache")
    (root / "posts/p2.md").write_text(post("P2, edited"), encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "CNAME" in kept_warning(result.stderr)
    assert (out / "CNAME").is_file() and (out / "posts/p1/notes.txt").is_file()
    assert git("log", "--format=%s", cwd=out) == "deploy 2\ndeploy 1\n"

    # Put in static/ as the hint says, it is the site's own file: no longer a kept one.
    (root / "static").mkdir()
    (root / "static/CNAME").write_text("notes.example.org\n", encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    warning = kept_warning(result.stderr)
    assert "CNAME" not in warning and "posts/p1/notes.txt" in warning
    assert (out / "CNAME").read_text(encoding="utf-8") == "notes.example.org\n"

    # So does a dotfile, as in Hugo and Zola: .nojekyll is published from static/.
    (root / "static/.nojekyll").write_text("", encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    warning = kept_warning(result.stderr)
    assert ".nojekyll" not in warning and "posts/p1/notes.txt" in warning


def test_static_dotfiles_are_published_but_not_version_control_or_editor_files(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path / "site", {"p.md": post("P")})
    static = root / "static"
    published = (".nojekyll", ".well-known/security.txt")
    left_behind = (".well-known/.gitkeep", ".gitignore", ".git/HEAD", ".DS_Store")
    editor_leftovers = ("css/.site.css.swp", "css/.#site.css", "css/site.css~")
    for name in published + left_behind + editor_leftovers:
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text("x\n", encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    assert all((out / name).is_file() for name in published)
    for name in left_behind + editor_leftovers:
        assert not (out / name).exists(), name
    assert not (out / ".git").exists()


def test_a_kept_file_deleted_by_hand_stays_deleted(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {f"p{n}.md": post(f"P{n}") for n in range(3)})
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    (out / "CNAME").write_text("notes.example.org\n", encoding="utf-8")
    git("init", "-q", cwd=out)
    for n in range(2):
        (root / "posts/p0.md").write_text(post(f"P0, edit {n}"), encoding="utf-8")
        assert run_blog("build", cwd=root).returncode == 0
    assert (out / "CNAME").is_file() and (out / ".git/HEAD").is_file()
    (out / "CNAME").unlink()
    shutil.rmtree(out / ".git")
    for n in range(3):
        (root / "posts/p1.md").write_text(post(f"P1, edit {n}"), encoding="utf-8")
        result = run_blog("build", cwd=root)
        assert result.returncode == 0, result.stderr
        assert "warning" not in result.stderr
        assert not (out / "CNAME").exists() and not (out / ".git").exists()
        check_spare_inventory(root)
    clean = write_site(tmp_path / "clean", {})
    shutil.copytree(root / "posts", clean / "posts", dirs_exist_ok=True)
    assert run_blog("build", cwd=clean).returncode == 0
    assert tree_digest(out) == tree_digest(clean / "public")
