"""Pages (`pages/**/*.md`), the nav (`[[nav]]`), `[extra]` and the theme's hooks, on a real site
built by the real `blog` command.

`tests/sites/pages/` is built under a sub-path and compared with the pages it ships in
`expected/` (BLOG_UPDATE_FIXTURES=1 rewrites them; read the diff). The other tests build small
sites of their own for what goes wrong: a page on a URL the site already makes, two pages of one
URL, a bad `url:`, a broken nav link."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures import UPDATE
from serving import EventStream, serving
from sites import REPO, post, run_blog, write_site

from mathblog.build import BuildOptions, build
from mathblog.config import NavEntry, SiteConfig
from mathblog.render.nav import Nav
from mathblog.util.i18n import ui_strings

SITE = REPO / "tests/sites/pages"
EXPECTED = SITE / "expected"
COMPARED = (
    "about/index.html",
    "docs/setup/index.html",
    "team/index.html",
    "posts/first/index.html",
    "index.html",
    "sitemap.xml",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    site = tmp_path_factory.mktemp("pages") / "site"
    shutil.copytree(SITE, site, ignore=shutil.ignore_patterns("expected"))
    result = run_blog("build", "--quiet", cwd=site)
    assert result.returncode == 0, result.stderr
    yield site / "public"


def read(public: Path, name: str) -> str:
    return (public / name).read_text(encoding="utf-8")


def nav_of(html: str) -> str:
    found = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert found, "no site nav"
    return found.group(0)


def test_the_pages_site_is_built_as_expected(built: Path) -> None:
    if UPDATE:
        for name in COMPARED:
            (EXPECTED / name).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / name).write_text(read(built, name), encoding="utf-8")
        pytest.skip("expected pages rewritten; review the diff")
    for name in COMPARED:
        assert read(built, name) == (EXPECTED / name).read_text(encoding="utf-8"), name


def test_a_page_file_becomes_a_folder_url_and_an_index_md_its_folder(built: Path) -> None:
    about = read(built, "about/index.html")
    assert "<title>About these notes · Pages</title>" in about
    assert '<meta name="description" content="Who writes here, and why.">' in about
    assert "<math" in about  # the same markdown and math as a post
    assert '<a href="#who">Who</a>' in about  # and a TOC as a post has
    assert "<time" not in about  # no date given, none shown
    assert "Install it." in read(built, "docs/setup/index.html")
    assert "One person." in read(built, "team/index.html")  # pages/team/index.md
    assert not (built / "team/index/index.html").exists()
    assert not (built / "draft").exists()  # a draft page, as a draft post, is left out


def test_pages_are_in_the_sitemap_and_in_no_listing_feed_or_search(built: Path) -> None:
    sitemap = read(built, "sitemap.xml")
    for url in ("about/", "docs/setup/", "team/"):
        assert f"<loc>https://example.org/notes/{url}</loc>" in sitemap
    assert "<lastmod>2024-02-03T00:00:00+00:00</lastmod>" in sitemap  # the page's `updated`
    for listing in ("index.html", "archive/index.html", "tags/index.html", "atom.xml"):
        assert "About these notes" not in read(built, listing), listing
    searched = "".join(p.read_text(encoding="utf-8") for p in (built / "search").rglob("*.json"))
    assert "About these notes" not in searched and "First post" in searched


def test_the_nav_marks_the_current_entry_under_the_sub_path(built: Path) -> None:
    about = nav_of(read(built, "about/index.html"))
    assert '<a href="/notes/about/" aria-current="page">About</a>' in about
    assert '<a href="/notes/">Home</a>' in about
    assert '<a href="https://github.com/example/notes">GitHub</a>' in about  # a full URL stays
    assert about.count("aria-current") == 1
    home = nav_of(read(built, "index.html"))
    assert '<a href="/notes/" aria-current="page">Home</a>' in home
    assert home.count("aria-current") == 1
    post_page = nav_of(read(built, "posts/first/index.html"))
    assert "aria-current" not in post_page  # no entry is a post's page or its section


def test_extra_and_the_hooks_reach_the_pages_meant(built: Path) -> None:
    post_page, about = read(built, "posts/first/index.html"), read(built, "about/index.html")
    comments = '<section class="comments" data-repo="example/notes" data-category="Comments">'
    assert comments in post_page
    assert comments not in about and comments not in read(built, "index.html")
    assert '</article>\n<aside class="page-end">About these notes</aside>\n</main>' in about
    assert "page-end" not in post_page and "page-end" not in read(built, "index.html")
    for html in (post_page, about, read(built, "index.html"), read(built, "404.html")):
        assert '<meta name="analytics" content="pages-test">\n</head>' in html
        assert '<a class="footer-link" href="/notes/about/">About</a>' in html


def test_without_nav_the_default_nav_marks_home_and_sections(tmp_path: Path) -> None:
    posts = {f"p{n}.md": post(f"P{n}", f"2024-01-{n + 1:02d}", tags="[x]") for n in range(3)}
    root = write_site(tmp_path / "site", posts, 'per_page = 1\nbase_url = "/b/"\n')
    result = run_blog("build", "--quiet", cwd=root)
    assert result.returncode == 0, result.stderr
    public = root / "public"

    def current(name: str) -> list[tuple[str, str]]:
        found = re.findall(r'<a href="([^"]*)"[^>]* aria-current="(\w+)"', read(public, name))
        return [(href, state) for href, state in found]

    assert current("index.html") == [("/b/", "page")]
    assert current("page/2/index.html") == [("/b/", "page")]
    assert current("archive/index.html") == [("/b/archive/", "page")]
    assert current("tags/index.html") == [("/b/tags/", "page")]
    assert current("tags/x/index.html") == [("/b/tags/", "true")]  # in the tags section
    assert current("posts/p1/index.html") == []
    nav = nav_of(read(public, "index.html"))
    assert '<a href="/b/atom.xml" title="Atom feed">RSS</a>' in nav


def test_a_page_on_a_url_the_site_makes_is_an_error_naming_both(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"x.md": post("X")},
        "",
        **{"pages/tags.md": post("Tags page"), "pages/posts/x.md": post("Shadow")},
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert "posts/x.md and pages/posts/x.md both want the URL /posts/x/" in result.stderr
    (root / "pages/posts/x.md").unlink()
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert (
        "error: pages/tags.md:1: pages/tags.md wants the URL /tags/, which the site's tags page "
        "already has" in result.stderr
    )
    assert not (root / "public").exists()


def test_two_pages_of_one_url_and_a_bad_url_are_errors(tmp_path: Path) -> None:
    page = "---\ntitle: About\n---\nHi.\n"
    root = write_site(
        tmp_path / "site",
        {},
        "",
        **{
            "pages/about.md": page,
            "pages/about/index.md": page,
            "pages/moved.md": "---\ntitle: Moved\nurl: /../up/\n---\nHi.\n",
            "pages/untitled.md": "---\ndate: 2024-01-01\n---\nHi.\n",
        },
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    err = result.stderr
    assert "pages/about/index.md and pages/about.md both want the URL /about/" in err
    assert "pages/moved.md:3: `url` '/../up/' cannot be used as a page's path" in err
    assert "pages/untitled.md:1: front matter needs a `title`" in err


def test_slug_and_url_move_a_page(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {},
        "",
        **{
            "pages/docs/setup.md": "---\ntitle: Setup\nslug: install\n---\nA.\n",
            "pages/me.md": "---\ntitle: Me\nurl: /about/me/\n---\nB.\n",
            "pages/关于.md": "---\ntitle: 关于\n---\nC.\n",
        },
    )
    result = run_blog("build", "--quiet", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "A." in read(root / "public", "docs/install/index.html")
    assert "B." in read(root / "public", "about/me/index.html")
    assert "C." in read(root / "public", "关于/index.html")


def test_blog_check_follows_nav_links_and_reports_a_broken_one_at_its_line(
    tmp_path: Path,
) -> None:
    root = SITE.parent / "pages"
    site = tmp_path / "site"
    shutil.copytree(root, site, ignore=shutil.ignore_patterns("expected"))
    result = run_blog("check", "-s", site)
    assert result.returncode == 0, result.stdout + result.stderr
    config = (site / "site.toml").read_text(encoding="utf-8")
    (site / "site.toml").write_text(config.replace('"/team/"', '"/crew/"'), encoding="utf-8")
    line = config.splitlines().index('url = "/team/"') + 1
    result = run_blog("check", "-s", site)
    assert result.returncode == 1
    assert (
        f"site.toml:{line}: broken link: /crew/ (no such page or file in the site) (in [[nav]])"
        in result.stdout + result.stderr
    )
    assert "theme/" not in result.stdout + result.stderr  # once, at its line, not per template


def test_a_page_edit_renders_that_page_and_extra_renders_every_page(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"a.md": post("A"), "b.md": post("B", "2024-06-01")},
        '[extra]\nnote = "one"\n',
        **{
            "pages/about.md": "---\ntitle: About\n---\nFirst.\n",
            "templates/footer_extra.html": "<span class=note>{{ extra.note }}</span>\n",
        },
    )
    first = build(root, BuildOptions(jobs=1))
    (root / "pages/about.md").write_text("---\ntitle: About\n---\nSecond.\n", encoding="utf-8")
    second = build(root, BuildOptions(jobs=1))
    assert (second.posts_parsed, second.pages_rendered) == (1, 1)  # the page, nothing else
    assert "Second." in read(root / "public", "about/index.html")
    (root / "site.toml").write_text('[extra]\nnote = "two"\n', encoding="utf-8")
    third = build(root, BuildOptions(jobs=1))
    assert third.posts_parsed == 0 and third.pages_rendered == first.pages_rendered
    assert "<span class=note>two</span>" in read(root / "public", "about/index.html")


def test_extra_is_read_only_in_templates(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"a.md": post("A")},
        '[extra]\nlinks = ["a"]\n[extra.t]\nk = 1\n',
        **{"templates/footer_extra.html": "{{ extra.t.update({'k': 2}) }}\n"},
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert "templates/footer_extra.html:1: template error" in result.stderr


def test_serve_shows_an_edited_page_and_a_new_one(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"a.md": post("A")},
        "",
        **{"pages/about.md": "---\ntitle: About\n---\nFirst version.\n"},
    )
    with serving(root) as server:
        stream = EventStream(server)
        assert stream.next() == ("hello", "1")
        assert b"First version." in server.request("/about/")[2]
        (root / "pages/about.md").write_text(
            "---\ntitle: About\n---\nSecond version.\n", encoding="utf-8"
        )
        assert stream.next() == ("reload", "page")
        assert b"Second version." in server.request("/about/")[2]
        (root / "pages/now.md").write_text("---\ntitle: Now\n---\nNew page.\n", encoding="utf-8")
        assert stream.next() == ("reload", "page")
        assert b"New page." in server.request("/now/")[2]
        stream.close()


def test_the_closest_section_is_current_and_a_page_entry_beats_a_section() -> None:
    entries = (
        NavEntry("Home", "/"),
        NavEntry("Docs", "/docs/"),
        NavEntry("Setup", "/docs/setup/"),
        NavEntry("中文", "/关于/"),
        NavEntry("Out", "https://example.org/docs/"),
    )
    nav = Nav(SiteConfig(root=Path("."), base_url="/n/", nav=entries), ui_strings("en"))

    def marks(page_url: str) -> list[str]:
        return [item.current for item in nav.at(page_url)]

    assert marks("/n/") == ["page", "", "", "", ""]
    assert marks("/n/page/3/") == ["page", "", "", "", ""]
    assert marks("/n/posts/x/") == ["", "", "", "", ""]  # home is no section of everything
    assert marks("/n/docs/") == ["", "page", "", "", ""]
    assert marks("/n/docs/setup/") == ["", "", "page", "", ""]
    assert marks("/n/docs/setup/more/") == ["", "", "true", "", ""]
    assert marks("/n/docs/other/") == ["", "true", "", "", ""]
    assert marks("/n/%E5%85%B3%E4%BA%8E/") == ["", "", "", "page", ""]  # as page URLs are
    assert [item.href for item in nav.at("/n/")][:2] == ["/n/", "/n/docs/"]


def test_a_page_folder_publishes_its_files_beside_the_page(tmp_path: Path) -> None:
    """`pages/about/index.md` is a bundle as a post folder is: `me.svg` beside it lands at
    `/about/me.svg`, under the sub-path too, and a missing image is a warning at its line."""
    site = write_site(
        tmp_path / "site", {"a.md": post()}, 'base_url = "https://x.github.io/notes/"'
    )
    folder = site / "pages/about"
    folder.mkdir(parents=True)
    (folder / "index.md").write_text("---\ntitle: About\n---\n![me](me.svg)\n\n![gone](gone.png)\n")
    (folder / "me.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    public = site / "public"
    assert (public / "about/me.svg").read_bytes() == (site / "pages/about/me.svg").read_bytes()
    assert 'src="/notes/about/me.svg"' in read(public, "about/index.html")
    assert "pages/about/index.md:6:" in result.stderr and "gone.png" in result.stderr
