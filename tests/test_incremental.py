"""Incremental builds are never stale: after every kind of change, the output of a cached build is
byte-for-byte the output of a clean build of a fresh copy of the site, and only what the change
touches is parsed or rendered again. Every test of a `site` runs twice: with one-off builds
(`blog build`) and with the builds of one long-lived session (`blog serve`)."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from search_lookup import lookup
from sites import check_spare_inventory, post, run_blog, tree_digest, write_site

from mathblog.build import BuildOptions, BuildReport, build
from mathblog.config import SiteConfig
from mathblog.incremental.file_keys import RACY_NANOSECONDS
from mathblog.incremental.fingerprints import PAGE_ONLY_FIELDS, POST_FIELDS
from mathblog.render.templates import THEME_TEMPLATES
from mathblog.serve.session import ServeSession

CONFIG = """\
title = "Notes"
base_url = "https://example.org/"
per_page = 2

[math.macros]
R = "\\\\mathbb{R}"
"""


def make_site(root: Path) -> Path:
    posts = {
        f"p{n}.md": post(
            f"'Post {n} $x_{n}$'",
            date=f"2024-0{n}-01",
            tags=f"[common, t{n % 3}]",
            body=f"Body {n} with $\\R^{n}$.\n\n## Part {n}\n\n```python\nprint({n})\n```\n",
        )
        for n in range(1, 7)
    }
    return write_site(root, posts, CONFIG, static__img__a_txt="static file")


def clean_build(root: Path, scratch: Path) -> dict[str, str]:
    """The output of a from-scratch build of a copy of the site (no cache, no old output)."""
    copy = scratch / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("public", ".blog-cache", ".public*"))
    build(copy, BuildOptions(cache=False, jobs=1))
    return tree_digest(copy / "public")


_session: ServeSession | None = None


@pytest.fixture(params=["one-off", "session"])
def session(request: pytest.FixtureRequest) -> Iterator[ServeSession | None]:
    """Which kind of build `incremental` runs; a session lives for the whole test."""
    global _session
    _session = ServeSession() if request.param == "session" else None
    yield _session
    _session = None


def incremental(root: Path, scratch: Path) -> BuildReport:
    try:
        report = build(root, BuildOptions(jobs=1, build_cache=_session))
    finally:
        if _session is not None:
            _session.finish()
    assert tree_digest(root / "public") == clean_build(root, scratch)
    check_spare_inventory(root)
    return report


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, session: ServeSession | None) -> Path:
    root = make_site(tmp_path / "site")
    report = incremental(root, tmp_path)
    assert report.posts_parsed == 6
    return root


def test_nothing_changed_means_nothing_parsed_rendered_or_written(
    site: Path, tmp_path: Path
) -> None:
    before = {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*")}
    report = incremental(site, tmp_path)
    assert (report.posts_parsed, report.pages_rendered) == (0, 0)
    assert report.pages_keyed == 1  # the search page (its data is the index); the rest known
    assert report.unchanged_files == report.files
    assert {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*")} == before


def test_editing_a_body_renders_only_the_pages_that_show_it(site: Path, tmp_path: Path) -> None:
    untouched = site / "public/posts/p1/index.html"
    before = untouched.stat().st_mtime_ns
    edit(site / "posts/p4.md", "Body 4", "Rewritten body 4")
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 1
    # Its page, two neighbours, its listing and tag pages, tags, archive, feed, sitemap.
    assert 0 < report.pages_rendered < report.pages
    assert "Rewritten body 4" in read(site / "public/posts/p4/index.html")
    assert untouched.stat().st_mtime_ns == before


def test_the_manifest_describes_every_output_file_as_it_is_after_an_edit(
    site: Path, tmp_path: Path
) -> None:
    """Files carried over unchanged are recorded from the last manifest rather than looked at
    again: the record must still be each file's size, mtime and inode as they are."""
    edit(site / "posts/p4.md", "Body 4", "Rewritten body 4")
    incremental(site, tmp_path)
    (manifest,) = (site / ".blog-cache").glob("output-*/manifest.json")
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    assert len(entries) > 20
    for relative, (_key, size, mtime, inode) in entries.items():
        info = (site / "public" / relative).lstat()
        assert (info.st_size, info.st_mtime_ns, info.st_ino) == (size, mtime, inode), relative


@pytest.mark.parametrize("templates", [{}, {"README.md": "What `blog init` writes here.\n"}])
def test_an_edit_below_the_excerpt_leaves_the_pages_of_the_posts_card_alone(
    site: Path, tmp_path: Path, templates: dict[str, str]
) -> None:
    """The theme shows a post's body only on its own page and in feeds: the listings, tag
    pages, archive and neighbours show its card, and are not rendered again for the body. A
    file in templates/ that replaces no theme template (the README of `blog init`) changes
    nothing of that."""
    for name, text in templates.items():
        (site / "templates").mkdir(exist_ok=True)
        (site / "templates" / name).write_text(text, encoding="utf-8")
    edit(site / "posts/p4.md", "## Part 4", "<!--more-->\n\n## Part 4")
    incremental(site, tmp_path)
    cards = ("posts/p3", "posts/p5", "page/2", "tags/common/page/2", "tags/t1", "archive")
    before = {page: (site / "public" / page / "index.html").stat().st_mtime_ns for page in cards}
    edit(site / "posts/p4.md", "print(4)", "print('only in the body')")
    report = incremental(site, tmp_path)  # and the output is that of a clean build
    assert "only in the body" in read(site / "public/posts/p4/index.html")
    for feed in ("atom.xml", "tags/common/atom.xml", "tags/t1/atom.xml"):
        assert "only in the body" in read(site / "public" / feed), feed
    after = {page: (site / "public" / page / "index.html").stat().st_mtime_ns for page in cards}
    assert after == before
    # Its page, its three feeds and the search page (whose data holds every post's fingerprint).
    assert report.pages_rendered == 5
    # And only those are keyed again: every other key is known from the last build.
    assert report.pages_keyed == 5


def test_with_a_template_of_the_sites_own_a_body_edit_reaches_every_page_showing_it(
    site: Path, tmp_path: Path
) -> None:
    """A site template may show any post's body anywhere: then every page counts its posts in
    full, as before."""
    (site / "templates").mkdir()
    (site / "templates/index.html").write_text(
        "{% for post in pager.posts %}{{ post.content | safe }}{% endfor %}\n", encoding="utf-8"
    )
    incremental(site, tmp_path)
    edit(site / "posts/p4.md", "print(4)", "print('only in the body')")
    report = incremental(site, tmp_path)
    assert "only in the body" in read(site / "public/page/2/index.html")
    assert report.pages_keyed == report.pages  # no key is known to hold


def test_an_edit_reaches_the_search_index(site: Path, tmp_path: Path) -> None:
    docs = sorted((site / "public/search/docs").iterdir())
    before = {doc: doc.stat().st_mtime_ns for doc in docs}
    edit(site / "posts/p4.md", "Body 4", "Body 4 mentions 扩散模型 and Zeitgeist")
    incremental(site, tmp_path)
    assert lookup(site / "public", "zeitgeist 扩散") == ["/posts/p4/"]
    changed = [doc.name for doc in docs if doc.stat().st_mtime_ns != before[doc]]
    assert changed == ["3.json"]  # p4's: documents are numbered oldest first

    (site / "posts/p4.md").unlink()
    incremental(site, tmp_path)
    assert lookup(site / "public", "zeitgeist") == []
    assert not (site / "public/search/docs/5.json").exists()


def test_a_new_title_reaches_the_index_and_both_neighbours(site: Path, tmp_path: Path) -> None:
    edit(site / "posts/p4.md", "Post 4", "Renamed four")
    incremental(site, tmp_path)
    for page in ("posts/p3", "posts/p5", "page/2", "tags/common/page/2", "archive"):
        assert "Renamed four" in read(site / "public" / page / "index.html"), page
    assert "Renamed four" in read(site / "public/atom.xml")
    assert "Renamed four" in read(site / "public/tags/common/atom.xml")
    assert "Renamed four" in read(site / "public/tags/t1/atom.xml")
    assert "Renamed four" not in read(site / "public/tags/t2/atom.xml")


def test_tags_dates_drafts_and_summaries(site: Path, tmp_path: Path) -> None:
    edit(site / "posts/p2.md", "tags: [common, t2]", "tags: [brand-new]")
    incremental(site, tmp_path)
    assert (site / "public/tags/brand-new/index.html").is_file()

    edit(site / "posts/p1.md", "date: 2024-01-01", "date: 2025-01-01")  # now the newest
    incremental(site, tmp_path)

    edit(site / "posts/p3.md", "title:", "draft: true\ntitle:")
    incremental(site, tmp_path)
    assert not (site / "public/posts/p3").exists()

    edit(site / "posts/p5.md", "title:", "summary: A hand-written summary\ntitle:")
    incremental(site, tmp_path)
    assert "A hand-written summary" in read(site / "public/page/2/index.html")


def test_adding_deleting_and_renaming_posts(site: Path, tmp_path: Path) -> None:
    (site / "posts/p7.md").write_text(post("Seven", date="2024-09-09"), encoding="utf-8")
    incremental(site, tmp_path)
    (site / "posts/p2.md").unlink()
    incremental(site, tmp_path)
    assert not (site / "public/posts/p2").exists()
    (site / "posts/p7.md").rename(site / "posts/seven.md")
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 1
    assert not (site / "public/posts/p7").exists()
    assert (site / "public/posts/seven/index.html").is_file()


def test_page_only_settings_render_pages_but_parse_no_post(site: Path, tmp_path: Path) -> None:
    edit(site / "site.toml", "per_page = 2", "per_page = 4")
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 0
    assert not (site / "public/page/3").exists()

    edit(site / "site.toml", "per_page = 4", "per_page = 4\nfeed_limit = 1")
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 0
    assert read(site / "public/tags/common/atom.xml").count("<entry>") == 1

    edit(site / "site.toml", 'title = "Notes"', 'title = "Other notes"')
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 0
    assert report.pages_rendered == report.pages
    assert "Other notes" in read(site / "public/posts/p1/index.html")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('R = "\\\\mathbb{R}"', 'R = "\\\\mathcal{R}"'),
        ('base_url = "https://example.org/"', 'base_url = "https://example.org/notes/"'),
        ("per_page = 2", 'per_page = 2\nexcerpt_length = 5\nlanguage = "zh-CN"'),
    ],
    ids=["macro", "base_url", "excerpt-and-language"],
)
def test_settings_that_shape_posts_parse_them_again(
    site: Path, tmp_path: Path, old: str, new: str
) -> None:
    edit(site / "site.toml", old, new)
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 6


def test_templates_added_edited_and_removed(site: Path, tmp_path: Path) -> None:
    override = site / "templates/post.html"
    override.parent.mkdir()
    theme = read(THEME_TEMPLATES / "post.html")
    override.write_text(theme.replace("{% block content %}", "{% block content %}MARK-1"))
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 0
    assert "MARK-1" in read(site / "public/posts/p1/index.html")

    edit(override, "MARK-1", "MARK-2")
    incremental(site, tmp_path)
    assert "MARK-2" in read(site / "public/posts/p6/index.html")

    (override.parent / ".post.html.swp").write_text("editor junk")  # ignored
    override.unlink()
    incremental(site, tmp_path)
    assert "MARK" not in read(site / "public/posts/p1/index.html")


def test_compiled_templates_are_kept_and_a_damaged_one_is_compiled_again(
    site: Path, tmp_path: Path
) -> None:
    compiled = sorted((site / ".blog-cache/templates").glob("*.jinja"))
    assert len(compiled) >= 5  # base, post, index, tag, atom… of the first build
    for path in compiled:
        path.write_bytes(b"not a compiled template")
    (site / "posts/p1.md").write_text(post("'Post 1 edited'", date="2024-01-01"), "utf-8")
    report = incremental(site, tmp_path)  # the same output as a clean build
    assert report.pages_rendered > 0
    if _session is None:  # (a session keeps its templates in memory and reads none)
        assert all(path.read_bytes() != b"not a compiled template" for path in compiled)


def test_static_files_added_changed_and_removed(site: Path, tmp_path: Path) -> None:
    assert "Sitemap: https://example.org/sitemap.xml" in read(site / "public/robots.txt")
    (site / "static/robots.txt").write_text("User-agent: *\n")  # replaces the generated one
    incremental(site, tmp_path)
    assert read(site / "public/robots.txt") == "User-agent: *\n"
    (site / "static/img/a.txt").write_text("a longer static file")
    incremental(site, tmp_path)
    assert read(site / "public/img/a.txt") == "a longer static file"
    (site / "static/img/a.txt").unlink()
    incremental(site, tmp_path)
    assert not (site / "public/img/a.txt").exists()
    (site / "static/robots.txt").unlink()
    incremental(site, tmp_path)
    assert "Sitemap:" in read(site / "public/robots.txt")


def test_a_spare_left_without_its_inventory_is_made_exact_again(site: Path, tmp_path: Path) -> None:
    """A build deletes the spare's inventory before it changes the spare: one killed after that
    leaves none, and the next build looks at every file of the spare (here, one that no build
    made, as a build killed while writing might leave)."""
    (state,) = (site / ".blog-cache").glob("output-*")
    edit(site / "posts/p2.md", "Body 2", "Body two")
    incremental(site, tmp_path)
    assert (state / "spare.json").is_file()
    (state / "spare.json").unlink()
    (state / "spare/posts/stray.html").write_text("left by a killed build", encoding="utf-8")
    (state / "spare/empty/inside").mkdir(parents=True)
    edit(site / "posts/p3.md", "Body 3", "Body three")
    incremental(site, tmp_path)  # the same output as a clean build
    assert not (site / "public/posts/stray.html").exists()
    assert not (site / "public/empty").exists()


def test_a_spare_list_naming_files_outside_the_spare_is_not_used(
    site: Path, tmp_path: Path
) -> None:
    """The next build deletes what the list names and the site does not need: a tampered
    list must not reach outside the spare."""
    (state,) = (site / ".blog-cache").glob("output-*")
    outside = site / "posts/keep-me.txt"
    outside.write_text("not the build's to delete", encoding="utf-8")
    listed = {"files": ["../../../posts/keep-me.txt"], "kept folders": []}
    (state / "spare.json").write_text(json.dumps(listed), encoding="utf-8")
    edit(site / "posts/p3.md", "Body 3", "Body three")
    incremental(site, tmp_path)  # the spare walked instead, and made exact
    assert outside.read_text(encoding="utf-8") == "not the build's to delete"


def test_output_edited_or_deleted_by_hand_is_restored(site: Path, tmp_path: Path) -> None:
    page = site / "public/posts/p2/index.html"
    page.write_text("scribbled over", encoding="utf-8")
    (site / "public/posts/p3/index.html").unlink()
    (site / "public/atom.xml").unlink()
    (site / "public/search/shards/0.json").write_text("scribbled over", encoding="utf-8")
    (site / "public/search/docs/0.json").unlink()
    report = incremental(site, tmp_path)
    assert report.pages_rendered == 3
    assert "Body 2" in read(page)


def test_a_damaged_or_deleted_cache_is_rebuilt(site: Path, tmp_path: Path) -> None:
    cache = site / ".blog-cache"
    for body in (cache / "bodies").iterdir():
        body.write_bytes(b"not a pickle")
        break
    edit(site / "posts/p1.md", "Body 1", "Body one")  # forces its page to read bodies
    incremental(site, tmp_path)

    shutil.rmtree(cache / "bodies")
    report = incremental(site, tmp_path)
    assert report.posts_parsed == 6

    buckets = sorted((cache / "posts").iterdir())
    assert 1 < len(buckets) <= 6  # the index in buckets of posts, by file name
    buckets[0].write_bytes(b"\x80\x05garbage")  # only its own posts are parsed again
    assert 0 < incremental(site, tmp_path).posts_parsed < 6
    for bucket in buckets:
        bucket.write_bytes(b"\x80\x05garbage")
    assert incremental(site, tmp_path).posts_parsed == 6

    # Page keys cut short, or of another shape: every page is keyed afresh. (A session keeps
    # its keys in memory and writes none.)
    if _session is None:
        keys = (cache / "page-keys.pickle").read_bytes()
        damages = (keys[: len(keys) // 2], pickle.dumps((1, ["not", "keys"])), b"garbage")
        for number, damaged in enumerate(damages):
            (cache / "page-keys.pickle").write_bytes(damaged)
            edit(site / "posts/p2.md", "```python", f"```python\n# edit {number}")
            report = incremental(site, tmp_path)
            assert report.pages_keyed == report.pages

    shutil.rmtree(cache)
    assert incremental(site, tmp_path).posts_parsed == 6


def test_an_edit_rewrites_only_the_bucket_of_the_index_its_post_is_in(
    site: Path, tmp_path: Path
) -> None:
    posts = sorted((site / "posts").iterdir())
    deadline = time.monotonic() + 60
    # Until their keys are kept by their times, with a margin: the build judges their age by
    # the disk's clock (a file's time), which runs behind this one by up to a kernel tick.
    settled = RACY_NANOSECONDS + 500_000_000
    while any(time.time_ns() - p.stat().st_ctime_ns <= settled for p in posts):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    incremental(site, tmp_path)
    folder = site / ".blog-cache/posts"
    before = {file.name: file.stat().st_ino for file in folder.iterdir()}
    edit(site / "posts/p1.md", "Body 1", "Body one")
    assert incremental(site, tmp_path).posts_parsed == 1
    after = {file.name: file.stat().st_ino for file in folder.iterdir()}
    assert before.keys() == after.keys() and len(before) > 1
    assert sum(before[name] != after[name] for name in before) == 1  # replaced, so a new inode


def test_body_packs_are_pruned_and_compacted(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mathblog.incremental.post_cache.MAX_PACKS", 3)
    packs = site / ".blog-cache/bodies"
    for round_ in range(6):
        edit(site / f"posts/p{1 + round_ % 6}.md", "Body", f"Round {round_} body")
        incremental(site, tmp_path)
        assert len(list(packs.iterdir())) <= 3
    assert "Round 5 body" in read(site / "public/posts/p6/index.html")


class _Exploit:
    """Unpickling this would run a shell command, if the cache loader allowed it."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("touch PWNED",)


def test_a_tampered_cache_cannot_run_code(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = site / ".blog-cache"
    for bucket in (cache / "posts").iterdir():
        bucket.write_bytes(pickle.dumps({"format": 7, "posts": _Exploit()}))
    for body in (cache / "bodies").iterdir():
        body.write_bytes(pickle.dumps(_Exploit()))
    (cache / "page-keys.pickle").write_bytes(pickle.dumps((1, ("basis", {"x": _Exploit()}))))
    edit(site / "posts/p1.md", "Body 1", "Body one")
    monkeypatch.chdir(site)
    assert incremental(site, tmp_path).posts_parsed == 6
    assert not (site / "PWNED").exists()


@pytest.mark.parametrize("documents_per_task", [250, 7])
def test_parallel_output_is_identical_to_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, documents_per_task: int
) -> None:
    # The search documents come back from the worker that makes them in tasks of this many.
    monkeypatch.setattr("mathblog.search.index.DOCUMENTS_PER_TASK", documents_per_task)
    posts = {
        f"n{n:02d}.md": post(
            f"Note {n}",
            date=f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
            tags=f"[t{n % 5}]",
            body=f"扩散模型 {n}: $\\alpha_{n}$\n\n$$\nx^{n}\n$$\n\n```python\nx = {n}\n```\n",
        )
        for n in range(40)
    }
    serial = write_site(tmp_path / "serial", posts)
    parallel = write_site(tmp_path / "parallel", posts)
    one = build(serial, BuildOptions(jobs=1))
    two = build(parallel, BuildOptions(jobs=2))
    assert one.posts_parsed == two.posts_parsed == 40
    assert tree_digest(serial / "public") == tree_digest(parallel / "public")
    # The formulas the workers converted reached the shared formula cache.
    assert (parallel / ".blog-cache/math.json").stat().st_size > 0
    edit(parallel / "posts/n07.md", "扩散模型 7", "扩散模型 seven")
    again = build(parallel, BuildOptions(jobs=2))
    assert again.posts_parsed == 1
    assert "扩散模型 seven" in read(parallel / "public/posts/n07/index.html")


def test_cli_reports_the_work_and_quiet_prints_nothing(site: Path) -> None:
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "work: 0 Markdown files parsed, 0 pages rendered" in result.stdout
    quiet = run_blog("build", "--quiet", "--no-cache", cwd=site)
    assert quiet.returncode == 0, quiet.stderr
    assert (quiet.stdout, quiet.stderr) == ("", "")
    refused = run_blog("build", "--jobs", "0", cwd=site)
    assert refused.returncode == 2
    assert "expected a whole number of at least 1" in refused.stderr


def test_every_setting_is_classed_as_shaping_posts_or_only_pages() -> None:
    """A new setting must be added to one list, or a change to it could leave stale posts."""
    settings = {field.name for field in dataclasses.fields(SiteConfig)}
    assert settings == POST_FIELDS | PAGE_ONLY_FIELDS
    assert not POST_FIELDS & PAGE_ONLY_FIELDS
