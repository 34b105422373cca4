"""Posts with their files: `posts/x/index.md` bundles, relative links and images resolved and
published, and a warning at the line of each one whose file is missing."""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import time
from pathlib import Path

import pytest
from fixtures import UPDATE
from hypothesis import assume, given
from hypothesis import strategies as st
from serving import DEADLINE, Server, serving
from sites import REPO, post, run_blog, tree_digest, without_progress, write_site

from mathblog.site.post_files import _relative

BUNDLES = REPO / "tests/sites/bundles"
EXPECTED = BUNDLES / "expected"
# the theme's (its folders and its icon), and the search index
THEME_FOLDERS = ("css/", "js/", "fonts/", "search/", "favicon.svg")


def copy_site(tmp_path: Path) -> Path:
    site = tmp_path / "bundles"
    shutil.copytree(BUNDLES, site, ignore=shutil.ignore_patterns("expected"))
    return site


def published(out: Path) -> list[str]:
    return sorted(
        name
        for path in out.rglob("*")
        if path.is_file()
        and not (name := path.relative_to(out).as_posix()).startswith(THEME_FOLDERS)
        and name != ".blog-build"
    )


def warnings(stderr: str) -> list[str]:
    return [line for line in without_progress(stderr) if not line.startswith("built ")]


def compare(name: str, lines: list[str]) -> None:
    """`lines` against the expected file `name` (rewritten under BLOG_UPDATE_FIXTURES=1)."""
    if UPDATE:
        EXPECTED.mkdir(exist_ok=True)
        (EXPECTED / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return
    assert lines == (EXPECTED / name).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    site = copy_site(tmp_path_factory.mktemp("built"))
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    return site, result.stderr


def test_bundle_and_relative_files_are_published_and_nothing_else(
    built: tuple[Path, str],
) -> None:
    site, _ = built
    out = site / "public"
    compare("published.txt", published(out))
    # Copied as they are; the draft's file, dot files and sources stay behind.
    assert (out / "posts/figure-post/fig.svg").read_bytes() == (
        site / "posts/figure-post/fig.svg"
    ).read_bytes()
    assert (out / "posts/typora.assets/pasted image.svg").is_file()
    assert not (out / "posts/figure-post/.secret").exists()
    assert not (out / "posts/draft.assets").exists()
    assert not list(out.rglob("*.md"))


def test_missing_and_refused_files_are_warnings_at_their_line(built: tuple[Path, str]) -> None:
    _, stderr = built
    lines = warnings(stderr)
    compare("warnings.txt", lines)
    assert "warning: posts/broken.md:5: image not found: posts/Fig.svg" in lines
    assert "  hint: did you mean fig.svg? (names are case-sensitive on the web server)" in lines


def test_links_work_on_the_page_in_excerpts_and_in_feeds_under_the_sub_path(
    built: tuple[Path, str],
) -> None:
    out = built[0] / "public"
    page = (out / "posts/figure-post/index.html").read_text(encoding="utf-8")
    assert '<img src="/notes/posts/figure-post/fig.svg" alt="the diagram" />' in page
    assert 'href="/notes/posts/figure-post/data/table.csv"' in page
    assert '<img src="/notes/posts/figure-post/data/small.svg" alt="small">' in page
    assert '<img src="/notes/img/shared.svg" alt="shared" />' in page
    typora = (out / "posts/typora/index.html").read_text(encoding="utf-8")
    assert 'src="/notes/posts/typora.assets/pasted%20image.svg"' in typora
    broken = (out / "posts/broken/index.html").read_text(encoding="utf-8")
    assert (
        'href="../typora/"' in broken and 'href="#wrong-case"' in broken
    )  # pages' URLs, untouched
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<img src="/notes/posts/figure-post/fig.svg" alt="the diagram" />' in index
    feed = (out / "atom.xml").read_text(encoding="utf-8")
    assert "src=&#34;https://example.github.io/notes/posts/figure-post/fig.svg&#34;" in feed
    assert "https://example.github.io/notes/posts/typora.assets/pasted%20image.svg" in feed


def test_blog_check_reports_a_missing_file_as_an_error_at_its_line(tmp_path: Path) -> None:
    result = run_blog("check", cwd=copy_site(tmp_path))
    assert result.returncode == 1
    compare("check.txt", without_progress(result.stdout + result.stderr))
    assert "posts/broken.md:6: image not found: posts/missing.assets/b.png" in result.stdout


def test_a_file_of_a_draft_is_published_only_with_drafts(tmp_path: Path) -> None:
    site = copy_site(tmp_path)
    assert run_blog("build", "--drafts", cwd=site).returncode == 0
    assert (site / "public/posts/draft.assets/d.svg").is_file()
    assert (site / "public/posts/draft/index.html").is_file()


def test_front_matter_slug_wins_and_the_files_follow_it(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site", {"x/index.md": post("X", body="![f](f.svg)", slug="renamed")}
    )
    (site / "posts/x/f.svg").write_text("<svg/>", encoding="utf-8")
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert warnings(result.stderr) == []
    assert (site / "public/posts/renamed/f.svg").read_text() == "<svg/>"
    page = (site / "public/posts/renamed/index.html").read_text(encoding="utf-8")
    assert '<img src="/posts/renamed/f.svg" alt="f" />' in page
    assert not (site / "public/posts/index").exists() and not (site / "public/posts/x").exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [("x/index.md", "x.md"), ("a/x/index.md", "b/x/index.md")],
)
def test_two_posts_of_one_slug_are_an_error_naming_both(
    tmp_path: Path, first: str, second: str
) -> None:
    site = write_site(tmp_path / "site", {first: post("One"), second: post("Two")})
    result = run_blog("build", cwd=site)
    assert result.returncode == 1
    assert f"posts/{first}" in result.stderr and f"posts/{second}" in result.stderr
    assert "both want the URL /posts/x/" in result.stderr
    assert not (site / "public").exists()


def test_a_nested_bundle_keeps_its_own_files(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {"outer/index.md": post("Outer"), "outer/inner/index.md": post("Inner", "2024-05-02")},
    )
    (site / "posts/outer/a.txt").write_text("a", encoding="utf-8")
    (site / "posts/outer/inner/b.txt").write_text("b", encoding="utf-8")
    assert run_blog("build", cwd=site).returncode == 0
    out = site / "public/posts"
    assert (out / "outer/a.txt").is_file() and (out / "inner/b.txt").is_file()
    assert not (out / "outer/inner").exists()


def test_a_symlink_out_of_the_site_is_not_published(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_text("outside", encoding="utf-8")
    site = write_site(tmp_path / "site", {"x.md": post(body="![s](../img/s.png)")})
    (site / "img").mkdir()
    os.symlink(secret, site / "img/s.png")  # outside posts/, which refuses such links itself
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert re.search(r"posts/x\.md:5: img/s\.png symlink leads outside the site", result.stderr)
    assert not (site / "public/img").exists()


def build_quietly(site: Path) -> tuple[str, str]:
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    return result.stdout, "\n".join(warnings(result.stderr))


def test_adding_changing_and_keeping_a_file_across_builds(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {"x/index.md": post(body="![f](f.svg)"), "y.md": post("Y", body="![g](y.assets/g.svg)")},
    )
    stdout, found = build_quietly(site)
    assert "posts/x/index.md:5: image not found: posts/x/f.svg" in found
    assert "posts/y.md:5: image not found: posts/y.assets/g.svg" in found

    (site / "posts/x/f.svg").write_text("<svg/>", encoding="utf-8")
    (site / "posts/y.assets").mkdir()
    (site / "posts/y.assets/g.svg").write_text("<svg>1</svg>", encoding="utf-8")
    stdout, found = build_quietly(site)
    assert found == ""  # the warnings are gone
    assert "0 Markdown files parsed" in stdout  # and no post was parsed again for it
    assert (site / "public/posts/x/f.svg").read_text() == "<svg/>"
    assert (site / "public/posts/y.assets/g.svg").read_text() == "<svg>1</svg>"

    (site / "posts/y.assets/g.svg").write_text("<svg>changed</svg>", encoding="utf-8")
    stdout, _ = build_quietly(site)
    assert (site / "public/posts/y.assets/g.svg").read_text() == "<svg>changed</svg>"
    assert "0 Markdown files parsed" in stdout

    before = tree_digest(site / "public")
    stdout, found = build_quietly(site)
    assert "0 Markdown files parsed, 0 pages rendered" in stdout and " 0 written" in stdout
    assert found == "" and tree_digest(site / "public") == before

    (site / "posts/x/f.svg").unlink()  # gone again: the warning is back, the copy gone
    _, found = build_quietly(site)
    assert "posts/x/index.md:5: image not found: posts/x/f.svg" in found
    assert not (site / "public/posts/x/f.svg").exists()


def wait_for_file(server: Server, path: str, content: bytes) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        status, _, body = server.request(path)
        if status == 200 and body == content:
            return
        server.lines_so_far()
        time.sleep(0.1)
    raise AssertionError(f"{path} never served {content!r}; the server said {server.seen}")


def test_serve_picks_up_new_and_changed_files_of_a_bundle_and_an_assets_folder(
    tmp_path: Path,
) -> None:
    site = write_site(
        tmp_path / "site",
        {"x/index.md": post(body="![f](f.svg)"), "y.md": post("Y", body="![g](y.assets/g.svg)")},
    )
    with serving(site) as server:
        # The first build's lines, read before it said "serving".
        assert "warning: posts/x/index.md:5: image not found: posts/x/f.svg" in server.seen
        assert server.request("/posts/x/f.svg")[0] == 404
        (site / "posts/x/f.svg").write_text("<svg/>", encoding="utf-8")
        wait_for_file(server, "/posts/x/f.svg", b"<svg/>")
        (site / "posts/y.assets").mkdir()
        (site / "posts/y.assets/g.svg").write_text("<svg>1</svg>", encoding="utf-8")
        wait_for_file(server, "/posts/y.assets/g.svg", b"<svg>1</svg>")
        (site / "posts/y.assets/g.svg").write_text("<svg>changed</svg>", encoding="utf-8")
        wait_for_file(server, "/posts/y.assets/g.svg", b"<svg>changed</svg>")
        (site / "posts/x/more.txt").write_text("more", encoding="utf-8")  # any file of a bundle
        wait_for_file(server, "/posts/x/more.txt", b"more")
        # A rebuild now warns of nothing: the missing files' warnings are gone.
        (site / "posts/x/index.md").write_text(post(body="![f](f.svg) again"), encoding="utf-8")
        server.wait_for_line("posts/x/index.md changed")
        start = len(server.seen)
        server.wait_for_line("rebuilt")
        assert [line for line in server.seen[start:] if line.startswith("warning:")] == []


def test_a_warning_names_the_line_of_the_reference_inside_a_paragraph(tmp_path: Path) -> None:
    body = 'First line,\nthen ![a](图%201.svg) here,\nthen <img src="gone.png"> and [c](c.pdf).'
    site = write_site(tmp_path / "site", {"x.md": post(body=body)})
    _, found = build_quietly(site)
    assert "posts/x.md:6: image not found: posts/图 1.svg" in found
    assert "posts/x.md:7: image not found: posts/gone.png" in found
    assert "posts/x.md:7: linked file not found: posts/c.pdf" in found


def test_a_bundle_file_on_the_page_s_own_path_is_an_error_naming_both(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"x/index.md": post()})
    (site / "posts/x/index.html").write_text("<p>old export</p>", encoding="utf-8")
    result = run_blog("build", cwd=site)
    assert result.returncode == 1
    assert "two things write posts/x/index.html: posts/x/index.md and posts/x/index.html" in (
        result.stderr
    )


def test_a_file_kept_in_static_under_the_page_s_url_gets_a_hint_to_move_it(
    tmp_path: Path,
) -> None:
    """Before relative paths were read from the post's folder, `fig.png` in posts/a.md meant
    /posts/a/fig.png, which only static/posts/a/fig.png could provide."""
    site = write_site(tmp_path / "site", {"a.md": post("A", body="![f](fig.png)")})
    (site / "static/posts/a").mkdir(parents=True)
    (site / "static/posts/a/fig.png").write_bytes(b"PNG")
    _, found = build_quietly(site)
    assert "posts/a.md:5: image not found: posts/fig.png" in found
    assert "it is in static/posts/a/fig.png" in found and "/posts/a/fig.png" in found


def test_a_file_in_the_output_folder_is_not_published(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"a.md": post("A", body="![f](../public/old.png)")})
    build_quietly(site)
    (site / "public/old.png").write_bytes(b"PNG")  # kept by every build, never a source
    _, found = build_quietly(site)
    assert "posts/a.md:5: public/old.png is in the output folder: not published" in found


_PARTS = st.sampled_from(["a", "b", "posts", "assets", "..", ".", "图"])


@given(st.lists(_PARTS, min_size=1, max_size=4), st.lists(_PARTS, max_size=3))
def test_the_hints_relative_path_is_relpaths(path: list[str], start: list[str]) -> None:
    """The hint for a file left in static/ writes the link as the post would have: the same as
    `posixpath.relpath` for a file and a post's folder in the site (never above it)."""
    joined, base = "/".join(path), "/".join(start) or "."
    assume(not any(posixpath.normpath(p).startswith("..") for p in (joined, base)))
    assert _relative(joined, base) == posixpath.relpath(joined, base)
