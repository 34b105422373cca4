"""A post file is trusted by its size, times and inode only when it cannot have changed unseen; a
build session (what `blog serve` keeps between builds) trusts its post index only while the files
on disk are the ones it wrote."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import pytest
from sites import post, tree_digest, write_site

from mathblog.build import BuildOptions, BuildReport, _locked_build, build, prepare_renderer
from mathblog.config import load_config
from mathblog.incremental.file_keys import RACY_NANOSECONDS, FileKeys
from mathblog.render.templates import THEME_TEMPLATES, PageRenderer
from mathblog.serve.session import ServeSession
from mathblog.site.loading import prepare_parser


def stat_result(size: int, ctime_ns: int, inode: int = 7) -> os.stat_result:
    # st_mode, st_ino, st_dev, st_nlink, st_uid, st_gid, st_size, and the three times as integer
    # seconds; then the float times and the nanosecond times.
    seconds = ctime_ns // 1_000_000_000
    return os.stat_result(
        (0o100644, inode, 1, 1, 0, 0, size, seconds, seconds, seconds)
        + (float(seconds),) * 3
        + (ctime_ns, ctime_ns, ctime_ns)
    )


def test_a_key_is_trusted_only_for_an_unchanged_file_not_changed_lately() -> None:
    keys = FileKeys()
    long_ago = time.time_ns() - 10 * RACY_NANOSECONDS
    keys.remember("p.md", stat_result(100, long_ago), "key")
    assert keys.key("p.md", stat_result(100, long_ago)) == "key"
    assert keys.key("p.md", stat_result(101, long_ago)) is None  # size
    assert keys.key("p.md", stat_result(100, long_ago + 1)) is None  # times
    assert keys.key("p.md", stat_result(100, long_ago, inode=8)) is None  # replaced
    assert keys.key("other.md", stat_result(100, long_ago)) is None

    # Changed a moment ago: another write within the clock's resolution could leave the times as
    # they are, so the file is read again next time.
    keys.remember("p.md", stat_result(100, time.time_ns()), "newer")
    assert keys.key("p.md", stat_result(100, time.time_ns())) is None
    # Old by this machine's clock, new by the clock of the disk it is on (a network disk's).
    keys.remember("q.md", stat_result(100, long_ago), "key", now=long_ago + 1_000_000)
    assert keys.key("q.md", stat_result(100, long_ago)) is None
    keys.remember("q.md", stat_result(100, long_ago), "key", now=long_ago + 3 * RACY_NANOSECONDS)
    assert keys.key("q.md", stat_result(100, long_ago)) == "key"


def session_build(root: Path, session: ServeSession, jobs: int = 1) -> BuildReport:
    try:
        return build(root, BuildOptions(jobs=jobs, build_cache=session))
    finally:
        session.finish()


def make_site(root: Path) -> Path:
    posts = {f"p{n}.md": post(f"Post {n}", date=f"2024-0{n}-01", body="AAAA") for n in (1, 2)}
    return write_site(root, posts, 'title = "T"\n')


def test_same_size_rewrites_in_quick_succession_are_all_seen(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    session = ServeSession()
    session_build(root, session)
    page = root / "public/posts/p1/index.html"
    source = root / "posts/p1.md"
    for text in ("BBBB", "CCCC", "DDDD"):
        source.write_text(post("Post 1", date="2024-01-01", body=text), encoding="utf-8")
        report = session_build(root, session)
        assert report.posts_parsed == 1
        assert text in page.read_text(encoding="utf-8")


def test_a_post_index_written_by_another_build_is_read_again(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    session = ServeSession()
    session_build(root, session)
    (root / "posts/p2.md").write_text(
        post("Post 2", date="2024-02-01", body="Changed by hand"), encoding="utf-8"
    )
    build(root, BuildOptions(jobs=1))  # `blog build` in another terminal
    (root / "posts/p1.md").unlink()
    build(root, BuildOptions(jobs=1))

    report = session_build(root, session)
    assert report.posts == 1 and report.posts_parsed == 0  # the other build's cache was used
    assert "Changed by hand" in (root / "public/posts/p2/index.html").read_text(encoding="utf-8")
    assert not (root / "public/posts/p1").exists()
    other = make_site(tmp_path / "clean")
    (other / "posts/p1.md").unlink()
    (other / "posts/p2.md").write_text(
        post("Post 2", date="2024-02-01", body="Changed by hand"), encoding="utf-8"
    )
    build(other, BuildOptions(cache=False, jobs=1))
    assert tree_digest(root / "public") == tree_digest(other / "public")


def test_a_session_keeps_its_renderer_until_a_site_template_shadows_the_theme(
    tmp_path: Path,
) -> None:
    """`blog serve` keeps its compiled templates between builds, in its session (no module
    keeps them); a site template added since is used, in a renderer made afresh."""
    root = make_site(tmp_path / "site")
    session = ServeSession()
    session_build(root, session)
    first = session.renderer
    assert isinstance(first, PageRenderer)
    (root / "posts/p1.md").write_text(post("Post 1", date="2024-01-01", body="EEEE"), "utf-8")
    assert session_build(root, session).pages_rendered > 0
    assert session.renderer is first

    other = ServeSession()
    session_build(make_site(tmp_path / "other"), other)
    assert other.renderer is not first  # another site's session shares nothing

    assert (THEME_TEMPLATES / "404.html").is_file()
    (root / "templates").mkdir()
    (root / "templates/404.html").write_text("the site's own\n", "utf-8")
    session_build(root, session)
    assert session.renderer is not first
    assert (root / "public/404.html").read_text(encoding="utf-8") == "the site's own\n"


def test_the_first_edit_after_an_up_to_date_start_uses_templates_compiled_before_it(
    tmp_path: Path,
) -> None:
    """`blog serve` on a site already built renders nothing in its first build, so that build
    compiles no template; the templates are compiled before the first edit instead of in it
    (which made the first edit a third of a second slower than the ones after it)."""
    root = make_site(tmp_path / "site")
    assert build(root).pages_rendered > 0
    session = ServeSession()
    assert session_build(root, session).pages_rendered == 0
    assert session.renderer is None  # nothing was rendered: Jinja was not even imported
    prepare_renderer(load_config(root), session)  # what `blog serve` does before the first edit
    compiled = session.renderer
    assert isinstance(compiled, PageRenderer)
    (root / "posts/p1.md").write_text(post("Post 1", date="2024-01-01", body="Edited."), "utf-8")
    assert session_build(root, session).pages_rendered > 0
    assert session.renderer is compiled
    assert "Edited." in (root / "public/posts/p1/index.html").read_text(encoding="utf-8")


def test_a_session_parses_an_edit_with_the_parser_it_kept(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    session = ServeSession()
    session_build(root, session)
    config = load_config(root)
    prepare_parser(config, session)  # what `blog serve` does before the first edit
    kept = session.parser
    assert kept is not None
    for number in range(2):
        (root / "posts/a.md").write_text(post("A", body=f"Edit {number}: $x^{number}$."), "utf-8")
        assert session_build(root, session).posts_parsed == 1
        assert session.parser is kept
    page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    assert "Edit 1: <math" in page

    # New settings for posts: a parser set up for them.
    (root / "site.toml").write_text('title = "T"\n[math.macros]\nR = "\\\\mathbb{R}"\n', "utf-8")
    session_build(root, session)
    assert session.parser is not kept and session.parser is not None


def test_a_one_off_build_pauses_the_cycle_collector_and_a_session_does_not(
    tmp_path: Path,
) -> None:
    """A build that runs once makes no cycles to collect (`util.collector`); `blog serve`'s
    builds run for hours, and keep collecting."""
    posts = {f"p{n}.md": post(f"Post {n}", body=f"$x_{n}$ and *more* text.") for n in range(20)}
    root = write_site(tmp_path, posts)
    collections: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        """Count the collections started while the build runs (one may start as it returns,
        when collecting again)."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code is not _locked_build.__code__:
            frame = frame.f_back
        if phase == "start" and frame is not None:
            collections.append(info["generation"])

    gc.callbacks.append(note)
    try:
        build(root, BuildOptions(jobs=1))
        one_off = len(collections)
        assert gc.isenabled()  # again, once the build is over
        collections.clear()
        build(root, BuildOptions(jobs=1, cache=False, build_cache=ServeSession()))
        in_a_session = len(collections)
    finally:
        gc.callbacks.remove(note)
    assert one_off == 0
    assert in_a_session > 0


# Run in a process of its own, so that no other test has compiled the patterns already.
_PATTERNS_LEFT_FOR_THE_FIRST_EDIT = """
import sys
from pathlib import Path
from mathblog.build import BuildOptions, build
from mathblog.config import load_config
from mathblog.serve.session import ServeSession
from mathblog.site.loading import prepare_parser
from mathblog.util import lazy_pattern

def uncompiled():
    return [p.pattern for p in lazy_pattern.imported_patterns() if "match" not in vars(p)]

root = Path(sys.argv[1])
session = ServeSession()
build(root, BuildOptions(jobs=1, build_cache=session))
session.finish()
prepare_parser(load_config(root), session)
before = uncompiled()
post = root / "posts" / "a.md"
post.write_text(post.read_text(encoding="utf-8") + "\\n中文 and more words, $x$.\\n", "utf-8")
build(root, BuildOptions(jobs=1, build_cache=session))
compiled_by_the_edit = sorted(set(before) - set(uncompiled()))
print(len(before), len(compiled_by_the_edit))
"""


def test_a_session_compiles_its_patterns_before_the_first_edit(tmp_path: Path) -> None:
    """The patterns compiled when first used (the CJK ranges, milliseconds each) are compiled
    by `prepare_parser` in `blog serve`, not by its first edit (30 ms of it at 1,000 posts)."""
    root = write_site(tmp_path / "site", {"a.md": post("A", body="位置编码 $x^2$ and `code`.")})
    done = subprocess.run(
        [sys.executable, "-c", _PATTERNS_LEFT_FOR_THE_FIRST_EDIT, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == ["0", "0"]


def _search_keys(root: Path) -> dict[str, str]:
    (state,) = (root / ".blog-cache").glob("output-*")
    manifest = json.loads((state / "manifest.json").read_text(encoding="utf-8"))
    return {
        path: entry[0]
        for path, entry in manifest.items()
        if path.startswith(("search/shards/", "search/prefixes/"))
    }


@pytest.mark.parametrize("built_before", [False, True])
def test_a_session_rekeys_only_the_search_shards_an_edit_changed(
    tmp_path: Path, built_before: bool
) -> None:
    """Search shards kept between a session's builds are keyed by their content: an edit makes
    and writes only the shards whose terms it changed (all of them were made again and
    compared, each edit). So does the first edit of a session started on a site `blog build`
    left, whose first build (on two workers, as `blog serve`'s) keys the shards by content."""
    words = [f"word{letter}" for letter in "abcdefghijkl"]
    posts = {
        f"p{n}.md": post(f"Post {n}", date=f"2024-01-{n + 1:02d}", body=" ".join(words[n:] * 3))
        for n in range(len(words))
    }
    root = write_site(tmp_path / "site", posts, 'title = "T"\n')
    session = ServeSession()
    if built_before:
        build(root, BuildOptions(jobs=1))
    session_build(root, session, jobs=2 if built_before else 1)
    keys, files = _search_keys(root), tree_digest(root / "public/search")
    assert len(keys) > 4  # several shards, so that an edit leaves most alone
    body = " ".join(words[3:] * 3) + " ubiquitous"  # one word more
    (root / "posts/p3.md").write_text(post("Post 3", date="2024-01-04", body=body), "utf-8")
    session_build(root, session)
    now, files_now = _search_keys(root), tree_digest(root / "public/search")
    assert now.keys() == keys.keys()
    rewritten = {
        path
        for path in keys
        if files_now[path.removeprefix("search/")] != files[path.removeprefix("search/")]
    }
    rekeyed = {path for path in keys if now[path] != keys[path]}
    assert rewritten and rekeyed == rewritten
    assert session_build(root, session).unchanged_files == session_build(root, session).files
