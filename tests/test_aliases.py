"""`aliases:` in front matter: a redirect page at each old URL, with a canonical link to the
post, `noindex` and a link a reader can follow; under a sub-path; in no sitemap, feed or
search; and a clear error for an alias that is no path of the site or that stands where another
output or alias is."""

from __future__ import annotations

import re
from pathlib import Path

from browser import browser_page, find_browser
from hypothesis import given, settings
from hypothesis import strategies as st
from search_lookup import lookup
from serving import serving
from sites import post, run_blog, write_site

from mathblog.build import BuildOptions, build
from mathblog.commands.check import check_site
from mathblog.content.frontmatter import BadAlias, alias_path

SUB_PATH = 'title = "Notes"\nbase_url = "https://example.org/notes/"\nlanguage = "en"\n'
ALIASES = '["/2019/01/old-slug/", "/old.html", "/%E6%97%A7%E6%96%87/", "/archive/2019"]'


def aliased_site(root: Path, config: str = SUB_PATH) -> Path:
    return write_site(
        root,
        {
            "new.md": post("Moved here", "2024-05-01", "The post.", aliases=ALIASES),
            "other.md": post("Other", "2024-04-01", "Another post."),
        },
        config,
    )


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_each_alias_is_a_redirect_page_to_the_post_under_the_base_path(tmp_path: Path) -> None:
    root = aliased_site(tmp_path / "site")
    build(root, BuildOptions(jobs=1))
    out = root / "public"
    redirects = [
        out / "2019/01/old-slug/index.html",  # a folder URL
        out / "old.html",  # a file
        out / "旧文/index.html",  # percent-encoded, as copied from an address bar
        out / "archive/2019/index.html",  # no extension: a folder
    ]
    for page in redirects:
        html = read(page)
        assert '<meta http-equiv="refresh" content="0; url=/notes/posts/new/">' in html, page
        assert '<link rel="canonical" href="https://example.org/notes/posts/new/">' in html
        assert '<meta name="robots" content="noindex">' in html
        assert '<a href="/notes/posts/new/">Moved here</a>' in html  # without meta refresh
        assert "<title>Moved here</title>" in html
    # The real archive page beside the alias inside its folder is untouched.
    assert "Moved here" in read(out / "archive/index.html")
    assert "refresh" not in read(out / "archive/index.html")


def test_without_a_host_the_canonical_link_is_the_posts_path(tmp_path: Path) -> None:
    root = aliased_site(tmp_path / "site", 'title = "Notes"\n')
    build(root, BuildOptions(jobs=1))
    html = read(root / "public/old.html")
    assert '<link rel="canonical" href="/posts/new/">' in html
    assert 'content="0; url=/posts/new/"' in html


def test_the_title_is_text_in_the_redirect(tmp_path: Path) -> None:
    title = "'<b>x</b> & $\\alpha$'"
    root = write_site(
        tmp_path / "site", {"a.md": post(title, aliases="[/old/]")}, 'language = "zh-CN"\n'
    )
    build(root, BuildOptions(jobs=1))
    html = read(root / "public/old/index.html")  # formulas as TeX, as in <title> elsewhere
    assert "<title>&lt;b&gt;x&lt;/b&gt; &amp; \\alpha</title>" in html
    assert '<p>本页已移至<a href="/posts/a/">&lt;b&gt;x&lt;/b&gt; &amp; \\alpha</a>。</p>' in html


def test_aliases_are_in_no_sitemap_feed_or_search(tmp_path: Path) -> None:
    root = aliased_site(tmp_path / "site")
    build(root, BuildOptions(jobs=1))
    out = root / "public"
    assert (out / "old.html").is_file() and (out / "2019/01/old-slug/index.html").is_file()
    sitemap = read(out / "sitemap.xml")
    assert "https://example.org/notes/posts/new/" in sitemap
    assert not re.search(r"old|2019|%E6%97%A7|archive/2019", sitemap)
    assert "old" not in read(out / "atom.xml")
    assert lookup(out, "moved") == ["/notes/posts/new/"]
    docs = "".join(read(doc) for doc in (out / "search/docs").iterdir())
    assert "old" not in docs


def test_blog_check_finds_every_redirect_target(tmp_path: Path) -> None:
    root = aliased_site(tmp_path / "site")
    report = check_site(root, jobs=1)
    assert report.problems == ()
    source = root / "posts/new.md"
    source.write_text(read(source).replace(f"aliases: {ALIASES}\n", ""), encoding="utf-8")
    assert check_site(root, jobs=1).pages == report.pages - 4  # the redirects were checked


def test_a_removed_alias_leaves_no_redirect_behind(tmp_path: Path) -> None:
    root = aliased_site(tmp_path / "site")
    build(root, BuildOptions(jobs=1))
    assert (root / "public/old.html").is_file()
    source = root / "posts/new.md"
    source.write_text(read(source).replace('"/old.html", ', ""), encoding="utf-8")
    build(root, BuildOptions(jobs=1))
    assert not (root / "public/old.html").exists()
    assert (root / "public/2019/01/old-slug/index.html").is_file()


def test_a_browser_lands_on_the_post(tmp_path: Path) -> None:
    root = aliased_site(tmp_path / "site")
    with serving(root) as server, browser_page(find_browser()) as page:
        assert server.base == "/notes/"
        page.goto(f"http://127.0.0.1:{server.port}/notes/2019/01/old-slug/")
        page.wait_for_url(f"http://127.0.0.1:{server.port}/notes/posts/new/")
        assert page.locator("h1.post-title").inner_text() == "Moved here"


def failed_build(root: Path) -> list[str]:
    result = run_blog("build", cwd=root)
    assert result.returncode == 1, result.stdout
    assert not (root / "public").exists()  # nothing was written
    return [line for line in result.stderr.splitlines() if line.startswith(("error", "  hint"))]


def test_an_alias_in_the_way_of_an_output_names_both(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {
            "a.md": post("A", aliases='["/tags/", "/posts/b/", "/atom.xml/"]'),
            "b.md": post("B", "2024-04-01"),
        },
        'title = "Notes"\n',
    )
    (root / "static/img").mkdir(parents=True)
    (root / "static/img/logo.png").write_bytes(b"png")
    (root / "static/old.html").write_text("<p>kept</p>", encoding="utf-8")
    # A redirect may live in a folder beside other files (img/index.html), not in a file's place.
    aliases = "[/img/, /img/logo.png/, /old.html]"
    (root / "posts/c.md").write_text(post("C", aliases=aliases), encoding="utf-8")
    assert failed_build(root) == [
        "error: posts/a.md:4: alias /tags/ would replace tags/index.html, made from tags",
        "  hint: an alias is an old URL that no page of the site has now: remove it",
        "error: posts/a.md:4: alias /posts/b/ would replace posts/b/index.html, "
        "made from posts/b.md",
        "  hint: an alias is an old URL that no page of the site has now: remove it",
        "error: posts/a.md:4: alias /atom.xml/ cannot be written beside atom.xml, made from feed",
        "  hint: a path cannot be both a file and a folder: remove the alias",
        "error: posts/c.md:4: alias /img/logo.png/ cannot be written beside img/logo.png, "
        "made from static/img/logo.png",
        "  hint: a path cannot be both a file and a folder: remove the alias",
        "error: posts/c.md:4: alias /old.html would replace old.html, made from static/old.html",
        "  hint: an alias is an old URL that no page of the site has now: remove it",
    ]


def test_two_posts_with_one_alias_name_both(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {
            "a.md": post("A", "2024-05-01", aliases="[/old/]"),
            "b.md": post("B", "2024-04-01", tags="[x]", aliases="/old"),
        },
        'title = "Notes"\n',
    )
    assert failed_build(root) == [
        "error: posts/b.md:5: alias /old/ is an alias in posts/a.md:4 too",
        "  hint: an old URL can lead to one page only: remove one of them",
    ]


def test_an_alias_that_is_no_path_of_the_site_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"a.md": post("A", aliases='["https://old.example.org/a/", "/../../etc/x.html"]')},
        'title = "Notes"\n',
    )
    assert failed_build(root) == [
        "error: posts/a.md:4: alias 'https://old.example.org/a/' names another site",
        "  hint: an alias is a path on this site, without scheme or host: aliases: "
        '["/2019/01/old-slug/", "/old.html"]',
        "error: posts/a.md:4: alias '/../../etc/x.html' is not a plain path",
        "  hint: no empty parts (//), no . or .., no backslashes or control characters",
    ]


PATH_PIECES = st.sampled_from(
    ["/", "a", "旧", ".", "..", "%2E", "%2F", "%5C", "\\", ".html", "?", "#", ":", "%", " "]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(PATH_PIECES, max_size=12).map("".join) | st.text(max_size=30))
def test_an_alias_is_refused_or_a_plain_path_inside_the_output(text: str) -> None:
    try:
        path = alias_path(text)
    except BadAlias:
        return
    folders = path.removesuffix("/").split("/")
    assert all(part not in ("", ".", "..") and "\\" not in part for part in folders), path
    assert path.endswith("/") or path.lower().endswith((".html", ".htm")), path
