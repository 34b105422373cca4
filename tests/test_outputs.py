"""The site plan is the one list of outputs: a build writes exactly its files, and a new kind of
output is one generator, written, keyed and carried over like the others."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

from sites import post, write_site

from mathblog.build import BuildOptions, build
from mathblog.config import load_config
from mathblog.model import collect_tags
from mathblog.output.files import MARKER, StagingFolder
from mathblog.output.generation import Output
from mathblog.output.writer import write_site as write_outputs
from mathblog.render.templates import PageRenderer, prepare
from mathblog.search.index import SearchIndex
from mathblog.site.loading import load_posts
from mathblog.site.outputs import (
    GENERATORS,
    Generator,
    OutputFile,
    Planned,
    Site,
    SitePlan,
    plan_site,
    sitemap,
)
from mathblog.site.pages import PageJob


def make_site(root: Path) -> Path:
    posts = {
        "a.md": post("A", "2024-01-01", tags="[x, y]"),
        "b.md": post("B", "2024-02-01", tags="[x]"),
    }
    return write_site(
        root,
        posts,
        'base_url = "https://example.org/"\n',
        **{"static/img/a.png": "png", "static/robots.txt": "User-agent: *\n"},
    )


def plan(root: Path, generators: Sequence[Generator] = GENERATORS) -> SitePlan:
    config = load_config(root)
    loaded = load_posts(config, drafts=False)
    posts, fingerprints = loaded.posts, loaded.fingerprints
    search = SearchIndex(posts, loaded.search_terms, fingerprints)
    return plan_site(config, posts, collect_tags(posts), search, fingerprints, generators)


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_build_writes_exactly_the_planned_outputs(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    report = build(root, BuildOptions(jobs=1))
    planned = plan(root)
    paths = [item.path for item in planned.outputs]
    assert len(paths) == len(set(paths)) == report.files
    assert files_in(root / "public") == {*paths, MARKER}
    kinds = {item.path: item for item in planned.outputs}
    assert kinds["css/syntax.css"].produce is not None  # not a special case any more
    assert kinds["search/docs/0.json"].produce is not None
    assert kinds["img/a.png"].copy_from == root / "static/img/a.png"
    assert kinds["robots.txt"].copy_from is not None  # the site's replaces the template's
    assert kinds["posts/a/index.html"].page is not None
    assert all((item.key is None) == (item.copy_from is not None) for item in planned.outputs)


def colophon(site: Site, earlier: Sequence[Planned]) -> Iterator[Planned]:
    """A page kind and a file kind the theme does not have."""
    url = site.config.base_path + "colophon/"
    context = {"count": len(site.posts)}
    yield PageJob("colophon.html", "colophon/index.html", "colophon", context, sitemap=(url, None))
    count = str(len(site.posts)).encode()
    yield OutputFile.made("count.txt", "colophon", f"count {count!r}", lambda: count)


def test_a_new_kind_of_output_is_one_generator(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    (root / "templates").mkdir()
    (root / "templates/colophon.html").write_text("{{ count }} posts\n", encoding="utf-8")
    at = GENERATORS.index(sitemap)
    generators = (*GENERATORS[:at], colophon, *GENERATORS[at:])
    config = load_config(root)

    def write() -> tuple[int, int]:
        output = Output.open(config.root, config.output_path)
        renderer = prepare(config)
        written = write_outputs(plan(root, generators).outputs, output, lambda: renderer, jobs=1)
        return written.rendered, written.unchanged

    write()
    out = root / "public"
    assert (out / "colophon/index.html").read_text(encoding="utf-8") == "2 posts\n"
    assert (out / "count.txt").read_bytes() == b"2"
    assert "<loc>https://example.org/colophon/</loc>" in (out / "sitemap.xml").read_text("utf-8")
    page_inode = (out / "colophon/index.html").stat().st_ino
    count_inode = (out / "count.txt").stat().st_ino

    rendered, _ = write()  # nothing changed: nothing made again
    assert rendered == 0
    assert (out / "colophon/index.html").stat().st_ino == page_inode
    assert (out / "count.txt").stat().st_ino == count_inode

    (root / "posts/c.md").write_text(post("C", "2024-03-01"), encoding="utf-8")
    write()
    assert (out / "colophon/index.html").read_text(encoding="utf-8") == "3 posts\n"
    assert (out / "count.txt").read_bytes() == b"3"


def test_what_a_spawned_worker_is_handed_pickles(tmp_path: Path) -> None:
    """Where workers are spawned, not forked (not on Linux), the renderer and the staging folder
    reach them pickled: the renderer as its settings, the folder as its paths."""
    root = make_site(tmp_path / "site")
    config = load_config(root)
    renderer = PageRenderer(config)
    job = next(j for j in plan(root).page_jobs() if j.output == "posts/a/index.html")
    again = pickle.loads(pickle.dumps(renderer))
    assert again.config == config
    assert again.page(job).text == renderer.page(job).text
    folder = StagingFolder(tmp_path / "stage", tmp_path / "live")
    copy = pickle.loads(pickle.dumps(folder))
    assert not copy.put_bytes("a/b.txt", b"x")
    assert (tmp_path / "stage/a/b.txt").read_bytes() == b"x"
