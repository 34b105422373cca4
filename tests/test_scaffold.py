"""`blog init` makes a site that builds at once; `blog new` starts a draft and never overwrites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sites import run_blog
from workflows import check_pages_workflow, load_workflow

from mathblog import __version__


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    result = run_blog("init", "mysite", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "mysite"


def front_matter(path: Path) -> dict[str, object]:
    match = re.match(r"---\n(.*?)\n---\n", read(path), re.S)
    assert match, path
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


def test_init_makes_a_site_that_builds_at_once(site: Path) -> None:
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == [
        ".github/dependabot.yml",
        ".github/workflows/pages.yml",
        ".gitignore",
        "pages/about.md",
        "posts/hello.md",
        "requirements.txt",
        "site.toml",
        "static/README.md",
        "templates/README.md",
    ]
    assert {"/public/", "/.blog-cache/"} <= set(read(site / ".gitignore").split())
    check_pages_workflow(load_workflow(site / ".github/workflows/pages.yml"), called=False)
    assert read(site / "requirements.txt").endswith(f"\nmathblog=={__version__}\n")  # editable
    assert "draft" not in front_matter(site / "posts/hello.md")

    result = run_blog("build", "--strict", cwd=site)  # strict: the first post's math is valid
    assert result.returncode == 0, result.stderr
    out = site / "public"
    page = read(out / "posts/hello/index.html")
    assert page.count("<math") >= 3 and '<pre class="highlight" data-lang="python">' in page
    assert '<mi mathvariant="double-struck">R</mi>' in page or "ℝ" in page  # the \R macro
    assert (out / "atom.xml").is_file() and (out / "tags/notes/atom.xml").is_file()
    assert not (out / "README.md").exists()  # static/README.md is a note, not a page
    about = read(out / "about/index.html")  # pages/about.md, linked from the nav
    assert '<a href="/about/" aria-current="page">About</a>' in about
    assert '<a href="/about/">About</a>' in read(out / "index.html")


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken/notes.txt").write_text("mine", encoding="utf-8")
    result = run_blog("init", "taken", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: taken is not an empty folder; nothing was written")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert run_blog("init", "file", cwd=tmp_path).returncode == 1
    (tmp_path / "empty").mkdir()
    assert run_blog("init", "empty", cwd=tmp_path).returncode == 0


def test_new_writes_a_draft_that_builds_with_drafts(site: Path) -> None:
    (site / "site.toml").write_text(
        read(site / "site.toml").replace('timezone = "UTC"', 'timezone = "Asia/Shanghai"'),
        encoding="utf-8",
    )
    title = "RoPE 的推导：'引号' $\\theta_i$ #1"
    result = run_blog("new", title, "--tags", "RoPE, 位置编码,", cwd=site)
    assert result.returncode == 0, result.stderr
    relative = result.stdout.strip()
    assert re.fullmatch(r"posts/rope-的推导：'引号'-\$-theta_i\$-1\.md", relative), relative
    meta = front_matter(site / relative)
    assert meta["title"] == title and meta["tags"] == ["RoPE", "位置编码"]
    assert meta["draft"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", str(meta["date"]))

    assert run_blog("build", cwd=site).returncode == 0
    assert not any("RoPE" in read(p) for p in (site / "public").rglob("*.html"))
    assert run_blog("build", "--drafts", "--strict", cwd=site).returncode == 0
    slug = Path(relative).stem
    page = read(site / "public/posts" / slug / "index.html")
    assert "<h1 class=\"post-title\">RoPE 的推导：'引号' <math>" in page
    assert "+08:00" in page  # dated in the site's time zone
    assert (site / "public/tags/位置编码/index.html").is_file()


def test_new_refuses_to_overwrite_a_post(site: Path) -> None:
    first = run_blog("new", "扩散模型", cwd=site)
    assert first.returncode == 0 and first.stdout == "posts/扩散模型.md\n"
    before = read(site / "posts/扩散模型.md")
    again = run_blog("new", "扩散模型", cwd=site)
    assert again.returncode == 1
    assert again.stderr.splitlines()[0] == (
        "error: posts/扩散模型.md already exists; nothing was written"
    )
    assert read(site / "posts/扩散模型.md") == before
    assert run_blog("new", "Hello", "--slug", "hello", cwd=site).returncode == 1


def test_new_slug_option_site_option_and_refusals(site: Path, tmp_path: Path) -> None:
    result = run_blog("new", "Flash Attention", "--slug", "flash", "-s", site, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert tmp_path / result.stdout.strip() == site / "posts/flash.md"
    bad_slug = run_blog("new", "X", "--slug", "../x", cwd=site)
    assert bad_slug.returncode == 1 and "'../x' cannot be a slug" in bad_slug.stderr
    no_site = run_blog("new", "X", cwd=tmp_path)
    assert no_site.returncode == 1 and no_site.stderr.startswith("error: no site.toml in ")
    # What a build would refuse is refused now: a tab (from "\t" in double quotes, say).
    tab = run_blog("new", "a\tb", cwd=site)
    assert tab.returncode == 1 and "`title` contains a control character" in tab.stderr
    assert sorted(p.name for p in (site / "posts").iterdir()) == ["flash.md", "hello.md"]
