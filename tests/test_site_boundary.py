"""The site folder is a boundary: a symlink in posts/, static/ or templates/ is followed while it
stays inside the site (or leads into a folder `allow_symlinks_to` names), anything else is an
error naming the link, the output never holds a symlink, and `blog serve` follows none."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from serving import serving
from sites import post, run_blog, tree_digest, write_site


def make_site(tmp_path: Path, config: str = "") -> Path:
    root = write_site(tmp_path / "site", {"good.md": post("Good")}, 'title = "T"\n' + config)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def outside(tmp_path: Path) -> Path:
    """A folder next to the site with a post, a secret file and a subfolder."""
    folder = tmp_path / "elsewhere"
    (folder / "deep").mkdir(parents=True)
    (folder / "secret.txt").write_text("OUTSIDE-SECRET", encoding="utf-8")
    (folder / "deep/inner.txt").write_text("OUTSIDE-SECRET too", encoding="utf-8")
    (folder / "post.md").write_text(post("Outside", body="OUTSIDE-SECRET post"), "utf-8")
    return folder


def symlinks_in(folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_symlink()]


def fails_with(root: Path, *expected: str) -> str:
    """Build, expect exit 1, each expected line on stderr, and public/ as it was."""
    before = tree_digest(root / "public")
    result = run_blog("build", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert lines[-1].endswith("nothing was written"), result.stderr
    assert tree_digest(root / "public") == before
    return result.stderr


def test_a_post_linking_to_a_file_outside_the_site_is_an_error_naming_the_link(
    tmp_path: Path,
) -> None:
    root, elsewhere = make_site(tmp_path), outside(tmp_path)
    (root / "posts/x.md").symlink_to(elsewhere / "post.md")
    stderr = fails_with(
        root, f"error: posts/x.md: symlink leads outside the site: {elsewhere}/post.md"
    )
    assert (
        "hint: move the file into the site, or allow that folder in site.toml: "
        f'allow_symlinks_to = ["{elsewhere}"]' in stderr
    )


def test_a_posts_link_to_a_big_folder_outside_is_refused_without_walking_it(
    tmp_path: Path,
) -> None:
    root = make_site(tmp_path)
    (root / "posts/usr").symlink_to("/usr")
    fails_with(root, "error: posts/usr: symlink leads outside the site: /usr")


def test_a_posts_folder_that_is_itself_a_link_outside_is_refused(tmp_path: Path) -> None:
    root, elsewhere = make_site(tmp_path), outside(tmp_path)
    (root / "posts").rename(tmp_path / "old-posts")
    (root / "posts").symlink_to(elsewhere)
    fails_with(root, f"error: posts: symlink leads outside the site: {elsewhere}")


def test_static_links_outside_are_all_reported_at_once(tmp_path: Path) -> None:
    root, elsewhere = make_site(tmp_path), outside(tmp_path)
    (root / "static/img").mkdir(parents=True)
    (root / "static/folder").symlink_to(elsewhere / "deep")
    (root / "static/img/file.txt").symlink_to(elsewhere / "secret.txt")
    fails_with(
        root,
        f"error: static/folder: symlink leads outside the site: {elsewhere}/deep",
        f"error: static/img/file.txt: symlink leads outside the site: {elsewhere}/secret.txt",
    )


def test_a_template_linking_outside_is_refused_even_as_a_dot_file(tmp_path: Path) -> None:
    root, elsewhere = make_site(tmp_path), outside(tmp_path)
    (root / "templates").mkdir()
    (root / "templates/post.html").symlink_to(elsewhere / "secret.txt")
    fails_with(
        root, f"error: templates/post.html: symlink leads outside the site: {elsewhere}/secret.txt"
    )
    # A dot file is skipped when templates/ is walked, but Jinja can still include it by name.
    (root / "templates/post.html").unlink()
    (root / "templates/.secret.html").symlink_to(elsewhere / "secret.txt")
    (root / "templates/404.html").write_text(
        '{% extends "base.html" %}{% block content %}{% include ".secret.html" %}{% endblock %}\n',
        encoding="utf-8",
    )
    fails_with(
        root,
        f"error: templates/.secret.html: symlink leads outside the site: {elsewhere}/secret.txt",
    )


def test_links_that_stay_inside_the_site_are_followed_and_copied_as_files(
    tmp_path: Path,
) -> None:
    root = make_site(tmp_path)
    (root / "drafts").mkdir()
    (root / "drafts/real.md").write_text(post("Linked in", body="Through a link."), "utf-8")
    (root / "posts/alias.md").symlink_to("../drafts/real.md")
    (root / "assets/figures").mkdir(parents=True)
    (root / "assets/logo.svg").write_text("<svg/>", encoding="utf-8")
    (root / "assets/figures/a.png").write_bytes(b"PNG")
    (root / "static").mkdir()
    (root / "static/logo.svg").symlink_to("../assets/logo.svg")
    (root / "static/figures").symlink_to("../assets/figures")
    for _ in range(2):  # and again, from the cache
        result = run_blog("build", cwd=root)
        assert result.returncode == 0, result.stderr
        out = root / "public"
        assert "Through a link." in (out / "posts/alias/index.html").read_text("utf-8")
        assert (out / "logo.svg").read_text("utf-8") == "<svg/>"
        assert (out / "figures/a.png").read_bytes() == b"PNG"
        assert symlinks_in(out) == []


def test_allow_symlinks_to_lets_links_reach_a_named_folder(tmp_path: Path) -> None:
    elsewhere = outside(tmp_path)
    root = make_site(tmp_path, 'allow_symlinks_to = ["../elsewhere"]\n')
    (root / "posts/x.md").symlink_to(elsewhere / "post.md")
    (root / "static").mkdir()
    (root / "static/secret.txt").symlink_to(elsewhere / "secret.txt")
    (root / "static/deep").symlink_to(elsewhere / "deep")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    assert "OUTSIDE-SECRET post" in (out / "posts/x/index.html").read_text("utf-8")
    assert (out / "secret.txt").read_text("utf-8") == "OUTSIDE-SECRET"
    assert (out / "deep/inner.txt").read_text("utf-8") == "OUTSIDE-SECRET too"
    assert symlinks_in(out) == []
    # Only that folder: a link beside it is still refused.
    (tmp_path / "other").mkdir()
    (tmp_path / "other/x.txt").write_text("other", encoding="utf-8")
    (root / "static/x.txt").symlink_to(tmp_path / "other/x.txt")
    stderr = fails_with(root)
    assert f"error: static/x.txt: symlink leads outside the site: {tmp_path}/other/x.txt" in stderr


def test_allow_symlinks_to_is_validated(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    (root / "notes.txt").write_text("", encoding="utf-8")
    (root / "site.toml").write_text(
        'allow_symlinks_to = ["../missing", "notes.txt"]\n', encoding="utf-8"
    )
    stderr = fails_with(
        root,
        f"error: site.toml:1: `allow_symlinks_to` names '../missing', which is not a folder "
        f"({tmp_path}/missing)",
        f"error: site.toml:1: `allow_symlinks_to` names 'notes.txt', which is not a folder "
        f"({root}/notes.txt)",
    )
    assert "hint: a path relative to the site folder, or an absolute one" in stderr
    (root / "site.toml").write_text('title = "T"\nallow_symlinks_to = "/srv"\n', "utf-8")
    fails_with(
        root,
        "error: site.toml:2: `allow_symlinks_to` must be a list of folders, "
        'e.g. ["../shared-figures"]',
    )


def test_a_link_into_the_output_folder_is_refused(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    (root / "static").mkdir()
    (root / "static/copy").symlink_to("../public")
    (root / "static/site").symlink_to("..")  # the whole site: its output folder among it
    stderr = fails_with(
        root,
        f"error: static/copy: leads into the output folder ({root}/public) through a symlink",
        f"error: static/site/public: leads into the output folder ({root}/public) "
        "through a symlink",
    )
    assert "hint: the output is replaced on every build; link to the source file instead" in stderr


def test_symlink_loops_and_dangling_links_are_harmless(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    (root / "posts/loop").symlink_to(".")
    (root / "posts/self.md").symlink_to("self.md")
    (root / "posts/gone.md").symlink_to("nothing-here.md")
    (root / "static/a").mkdir(parents=True)
    (root / "static/a/up").symlink_to("..")
    (root / "static/ping").symlink_to("pong")
    (root / "static/pong").symlink_to("ping")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "built 1 post," in result.stdout
    assert symlinks_in(root / "public") == []


@pytest.mark.parametrize(
    ("setting", "folder"),
    [("posts/public", "posts"), ("static/out", "static"), ("templates/x/y", "templates")],
)
def test_an_output_folder_inside_a_source_folder_is_refused(
    tmp_path: Path, setting: str, folder: str
) -> None:
    root = make_site(tmp_path)
    (root / "site.toml").write_text(f'title = "T"\noutput_dir = "{setting}"\n', "utf-8")
    stderr = fails_with(
        root,
        f"error: site.toml:2: `output_dir` '{setting}' is inside {folder}/, so every build "
        "would read its own output back from there",
    )
    assert 'hint: use a folder of its own, e.g. output_dir = "public"' in stderr
    assert not (root / setting).exists()
    result = run_blog("build", "--output", setting, cwd=root)
    assert result.returncode == 1
    assert f"is inside {folder}/, so every build would read its own output back" in result.stderr


def test_the_dev_server_never_follows_a_symlink_in_the_output(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    with serving(root) as server:
        out = root / "public"
        status, _, body = server.request("/posts/good/")
        assert status == 200 and b"Hello." in body
        # Links that stay inside the output, which the old check (leads out?) let through.
        os.symlink(out / "posts/good/index.html", out / "alias.html")
        os.symlink(out / "posts", out / "mirror")
        os.symlink("index.html", out / "posts/good/again.html")
        for path in ("/alias.html", "/mirror/good/", "/mirror/good/index.html", "/mirror",
                     "/posts/good/again.html"):  # fmt: skip
            status, _, body = server.request(path)
            assert status == 404, (path, status)
            assert b"Hello." not in body, path
