"""The habits Hugo and Zola users bring: no site.toml is refused, `blog init` in `.`, the short
flags, `new --date/--bundle/--open`, `serve` keeping drafts out of public/, summaries that count
right, and help that shows examples."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from serving import serving
from sites import post, run_blog, write_site

from mathblog.cli import main

NO_SITE_HINT = "  hint: run `blog init` to make a site here, or pass -s/--source"


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`blog ARGS` run by this process: its exit code, stdout and stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- no site.toml -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["build"], ["serve", "--port", "0"], ["check"], ["new", "A title"]],
    ids=lambda c: c[0],
)
def test_a_folder_without_site_toml_is_refused_and_left_empty(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts/a.md").write_text(post("A"), encoding="utf-8")
    result = run_blog(*command, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: no site.toml in {tmp_path}", NO_SITE_HINT]
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["posts"]  # no public/, no .blog-cache/
    assert [p.name for p in (tmp_path / "posts").iterdir()] == ["a.md"]


def test_source_without_site_toml_names_that_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes").mkdir()
    monkeypatch.chdir(tmp_path)
    code, _, err = in_process(capsys, "build", "-s", "notes")
    assert code == 1 and err.splitlines() == ["error: no site.toml in notes", NO_SITE_HINT]
    assert [p.name for p in tmp_path.iterdir()] == ["notes"]
    assert list((tmp_path / "notes").iterdir()) == []


# --- blog init --------------------------------------------------------------------------------


def test_init_defaults_to_this_folder_and_dot_files_do_not_count(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("mine\n", encoding="utf-8")
    result = run_blog("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("created a site here: .github/dependabot.yml, ")
    assert "kept 1 file already there: .gitignore" in lines
    assert lines[-1] == "next: blog serve"
    assert "cd ." not in result.stdout
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "mine\n"  # never replaced
    assert (tmp_path / "site.toml").is_file() and (tmp_path / "posts/hello.md").is_file()


def test_init_refuses_a_folder_with_files_unless_force_which_keeps_them(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(site, {"hello.md": post("My own hello")}, 'title = "Mine"\n')
    (site / "README.md").write_text("# Me\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}

    refused = run_blog("init", "site", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "error: site is not an empty folder; nothing was written (it holds README.md, posts, "
        "site.toml)",
        "  hint: give a new or empty folder, or --force to add the site's files to this one "
        "(a file already there is kept, never replaced)",
    ]
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before

    forced = run_blog("init", "site", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "kept 2 files already there: posts/hello.md, site.toml" in forced.stdout
    assert forced.stdout.splitlines()[-1] == "next: cd site && blog serve"
    assert all(path.read_bytes() == data for path, data in before.items())
    assert (site / ".github/workflows/pages.yml").is_file() and (site / "pages/about.md").is_file()


# --- blog new ---------------------------------------------------------------------------------

EDITOR = """\
import sys
from pathlib import Path
Path(sys.argv[1]).write_text("opened " + sys.argv[2], encoding="utf-8")
"""


def test_new_bundle_with_a_date_opens_in_the_editor(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {}, 'timezone = "Asia/Shanghai"\n')
    (tmp_path / "editor.py").write_text(EDITOR, encoding="utf-8")
    marker = tmp_path / "marker"
    editor = f"{sys.executable} {tmp_path / 'editor.py'} {marker}"
    result = run_blog(
        "new",
        "Flash Attention",
        "--bundle",
        "--date",
        "2025-01-02 03:04",
        "--open",
        cwd=site,
        env={"VISUAL": "", "EDITOR": editor},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "posts/flash-attention/index.md\n"
    written = site / "posts/flash-attention/index.md"
    assert marker.read_text(encoding="utf-8") == f"opened {written}"
    text = written.read_text(encoding="utf-8")
    assert "date: 2025-01-02 03:04\n" in text and "draft: true\n" in text

    # The other form of the same slug would be a second post at the same URL.
    again = run_blog("new", "Flash Attention", "--date", "2025-01-02", cwd=site)
    assert again.returncode == 1
    assert again.stderr.startswith(
        "error: posts/flash-attention/index.md already exists; nothing was written"
    )
    assert not (site / "posts/flash-attention.md").exists()


def test_new_date_is_checked_and_a_missing_editor_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = write_site(tmp_path / "site", {})
    with pytest.raises(SystemExit) as stopped:
        main(["new", "X", "--date", "next week", "-s", str(site)])
    assert stopped.value.code == 2
    assert 'expected YYYY-MM-DD or "YYYY-MM-DD HH:MM"' in capsys.readouterr().err
    assert not (site / "posts").exists()

    monkeypatch.setenv("VISUAL", "")
    monkeypatch.setenv("EDITOR", "")
    code, _, err = in_process(
        capsys, "new", "Day", "--date", "2024-05-06", "--open", "-s", str(site)
    )
    assert code == 1
    assert err.startswith("error: cannot open ") and "neither $VISUAL nor $EDITOR" in err
    assert (site / "posts/day.md").read_text(encoding="utf-8").count(
        "date: 2024-05-06 00:00\n"
    ) == 1


# --- flags ------------------------------------------------------------------------------------


def test_hugo_short_flags_parse_as_the_long_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mathblog.cli import _parser

    serve = _parser().parse_args(
        ["serve", "-D", "-F", "-p", "9000", "-o", "out", "-j", "2", "-q", "--base-url", "/n/"]
    )
    assert (serve.drafts, serve.future, serve.port, serve.output, serve.jobs, serve.quiet) == (
        True,
        True,
        9000,
        Path("out"),
        2,
        True,
    )
    assert serve.base_url == "/n/"
    build = _parser().parse_args(["build", "-D", "-F", "-o", "out", "-v"])
    assert (build.drafts, build.future, build.output, build.verbose) == (
        True,
        True,
        Path("out"),
        True,
    )
    with pytest.raises(SystemExit):
        _parser().parse_args(["build", "-q", "-v"])  # one or the other
    assert "not allowed with argument" in capsys.readouterr().err


# --- serve renders drafts into a folder of its own --------------------------------------------


def test_serve_drafts_never_reach_public(tmp_path: Path) -> None:
    posts = {"a.md": post("Published"), "d.md": post("Secret draft", draft="true")}
    root = write_site(tmp_path / "site", posts)
    with serving(root, "-D", "--quiet") as server:
        status, _, body = server.request("/posts/d/")
        assert status == 200 and "Secret draft" in body.decode("utf-8")
    assert not (root / "public").exists()
    assert (root / ".blog-cache/serve/posts/d/index.html").is_file()
    assert not any(line.startswith("built") for line in server.seen)  # --quiet
    # A plain serve builds what `blog build` would, into public/: no draft there.
    with serving(root) as server:
        assert server.request("/posts/d/")[0] == 404
        assert any(line.startswith("built in ") for line in server.seen)  # not --quiet
    assert (root / "public/posts/a/index.html").is_file()
    assert not (root / "public/posts/d").exists()


def test_serve_output_and_base_url(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"a.md": post("Published")})
    elsewhere = tmp_path / "preview"
    with serving(root, "-o", str(elsewhere), "--base-url", "/notes/", "-j", "1") as server:
        assert server.base == "/notes/"
        status, _, body = server.request("/notes/posts/a/")
        assert status == 200 and 'href="/notes/' in body.decode("utf-8")
    assert (elsewhere / "posts/a/index.html").is_file()
    assert not (root / "public").exists() and not (root / ".blog-cache/serve").exists()


# --- wording ----------------------------------------------------------------------------------

TWO_FORMULAS = "$x^2$ and again $x^2$, then $y$."


def test_summaries_count_one_and_many_and_a_cold_build_has_no_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_site(tmp_path / "site", {"a.md": post("A", tags="[t]", body=TWO_FORMULAS)})
    code, cold, _ = in_process(capsys, "build", "-j", "1", "-s", str(root))
    assert code == 0
    assert re.match(r"built 1 post, \d+ pages, 1 tag into .*/ with 0 warnings in ", cold)
    assert "work: 1 Markdown file parsed, " in cold
    assert "math: 3 formulas, 2 converted, 1 repeated\n" in cold
    assert "cache" not in cold

    (root / "posts/b.md").write_text(post("B", tags="[t, u]", body="$y$ and $z$"), encoding="utf-8")
    code, warm, _ = in_process(capsys, "build", "-j", "1", "-v", "-s", str(root))
    assert code == 0
    assert re.match(r"built 2 posts, \d+ pages, 2 tags into ", warm)
    assert "work: 1 Markdown file parsed, " in warm
    assert ", the rest reused from the last build" in warm
    assert "math: 2 formulas, 1 converted, 1 from the cache\n" in warm
    steps = warm.split("steps:\n", 1)[1].splitlines()
    assert re.fullmatch(r"  posts: 2 files read by \d+\.\d\d s", steps[0]), steps
    assert re.fullmatch(r"  pages: \d+ pages rendered by \d+\.\d\d s", steps[1]), steps
    assert re.fullmatch(r"  finished by \d+\.\d\d s", steps[2]), steps

    (root / "posts/c.md").write_text(post("C", body="[x](/nowhere/)"), encoding="utf-8")
    code, _, err = in_process(capsys, "check", "-s", str(root))
    assert code == 1 and "check failed: 1 problem in 1 file (3 posts, " in err
    (root / "posts/c.md").unlink()
    code, out, _ = in_process(capsys, "check", "-s", str(root))
    assert code == 0 and re.match(r"checked 2 posts, \d+ pages, \d+ links and references: ", out)

    (root / "posts/a.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    code, _, err = in_process(capsys, "build", "-j", "1", "-s", str(root))
    assert code == 1 and err.splitlines()[-1] == "build failed: 1 error; nothing was written"


# --- help and version -------------------------------------------------------------------------


def test_help_lists_commands_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    text = capsys.readouterr().out
    for command in ("build", "serve", "check", "init", "new"):
        assert re.search(rf"^    {command} +\S", text, re.M), command
    assert "  blog init mysite && cd mysite && blog serve\n" in text
    for command in ("build", "serve", "check", "init", "new"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        shown = capsys.readouterr().out
        assert "\nexamples:\n  blog " + command in shown, command


def test_version_names_the_engines() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mathblog", "--version"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    from mathblog import __version__

    assert result.stdout.startswith(f"blog {__version__} (")
    for engine in ("math-core", "markdown-it-py", "Pygments"):
        assert f"{engine} {metadata.version(engine)}" in result.stdout, engine
