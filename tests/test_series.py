"""`series:` in front matter: a page per series at `/series/<slug>/` (its posts in reading
order, with "part k"), a `/series/` index, and on each post of a series "part k of n" with the
series' link and the previous and next part. A post's page shows its siblings, so it is
rendered again when one of them changes title, is added or is removed."""

from __future__ import annotations

import re
from pathlib import Path

from sites import post, run_blog, write_site

from mathblog.build import BuildOptions, build

CONFIG = 'title = "Notes"\nbase_url = "https://example.org/notes/"\nlanguage = "zh-CN"\n'


def series_site(root: Path) -> Path:
    """Three parts of 扩散模型, written out of order and with other posts between them, so
    that a part's neighbours in the series are not its neighbours by date."""
    return write_site(
        root,
        {
            "forward.md": post("前向过程", "2024-01-01", series="扩散模型"),
            "x.md": post("无关一", "2024-02-01"),
            "reverse.md": post("反向过程", "2024-03-01", series="扩散模型"),
            "y.md": post("无关二", "2024-04-01"),
            "z.md": post("无关三", "2024-05-01"),
            # Written last, read first: its weight puts it before the others.
            "prelude.md": post("预备知识", "2024-06-01", series="扩散模型", series_weight="-1"),
            "lora.md": post("LoRA", "2024-07-01", series="Fine Tuning"),
        },
        CONFIG,
    )


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def main_of(page: Path) -> str:
    html = read(page)
    return html[html.index("<main") : html.index("</main>")]


def links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"', html)


def test_a_series_page_lists_its_posts_in_reading_order(tmp_path: Path) -> None:
    root = series_site(tmp_path / "site")
    build(root, BuildOptions(jobs=1))
    page = main_of(root / "public/series/扩散模型/index.html")  # slugged as a tag is
    assert links(page) == [
        "/notes/series/",
        "/notes/posts/prelude/",
        "/notes/posts/forward/",
        "/notes/posts/reverse/",
    ]
    parts = re.findall(r'class="series-part">([^<]+)<', page)
    assert parts == ["第 1 篇", "第 2 篇", "第 3 篇"]
    assert "无关" not in page


def test_the_series_index_lists_every_series_newest_first(tmp_path: Path) -> None:
    root = series_site(tmp_path / "site")
    build(root, BuildOptions(jobs=1))
    page = main_of(root / "public/series/index.html")
    series_url = "/notes/series/%E6%89%A9%E6%95%A3%E6%A8%A1%E5%9E%8B/"
    assert links(page) == [
        "/notes/series/fine-tuning/",
        "/notes/posts/lora/",
        series_url,
        "/notes/posts/prelude/",
        "/notes/posts/forward/",
        "/notes/posts/reverse/",
    ]
    sitemap = read(root / "public/sitemap.xml")
    assert "<loc>https://example.org/notes/series/</loc>" in sitemap
    assert f"<loc>https://example.org{series_url}</loc>" in sitemap


def series_box(page: Path) -> tuple[str, list[str]]:
    """The "part k of n" line, and the links of the in-series navigation."""
    html = read(page)
    note = re.search(r'<p class="series-note">(.*?)</p>', html)
    assert note, page
    nav = re.search(r'<nav class="series-nav".*?</nav>', html, re.DOTALL)
    return note.group(1), links(nav.group(0)) if nav else []


def test_each_post_says_which_part_it_is_with_the_previous_and_next(tmp_path: Path) -> None:
    root = series_site(tmp_path / "site")
    build(root, BuildOptions(jobs=1))
    out = root / "public/posts"
    link = '<a href="/notes/series/%E6%89%A9%E6%95%A3%E6%A8%A1%E5%9E%8B/">扩散模型</a>'
    assert series_box(out / "prelude/index.html") == (
        f"系列「{link}」第 1 篇，共 3 篇",
        ["/notes/posts/forward/"],
    )
    assert series_box(out / "forward/index.html") == (
        f"系列「{link}」第 2 篇，共 3 篇",
        ["/notes/posts/prelude/", "/notes/posts/reverse/"],
    )
    assert series_box(out / "reverse/index.html") == (
        f"系列「{link}」第 3 篇，共 3 篇",
        ["/notes/posts/forward/"],
    )
    forward = read(out / "forward/index.html")
    assert "<span>← 系列上一篇</span>预备知识</a>" in forward
    assert "<span>系列下一篇 →</span>反向过程</a>" in forward
    # The series box is beside the site's own older/newer navigation, which it does not change.
    assert '<a class="post-nav-older" rel="prev" href="/notes/posts/x/">' not in forward
    assert 'rel="next" href="/notes/posts/x/"' in forward
    lora = read(out / "lora/index.html")
    assert "第 1 篇，共 1 篇" in lora and "series-nav" not in lora  # no other part to go to
    assert "series-note" not in read(out / "y/index.html")


def test_english_strings_on_an_english_site(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {
            "a.md": post("One", "2024-01-01", series="Diffusion Models"),
            "b.md": post("Two", "2024-02-01", series="diffusion-models"),  # one spelling
        },
        'title = "Notes"\n',
    )
    build(root, BuildOptions(jobs=1))
    note, nav = series_box(root / "public/posts/b/index.html")
    # Shown as its most used spelling, as a tag is; a tie goes to the first in code point order.
    assert (
        note == 'Part 2 of 2 in the series <a href="/series/diffusion-models/">Diffusion Models</a>'
    )
    assert nav == ["/posts/a/"]
    assert "Previous part" in read(root / "public/posts/b/index.html")


def test_two_series_on_one_url_spelled_differently_are_an_error(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"a.md": post("A", series="a/b"), "b.md": post("B", "2024-04-01", series="a-b")},
        'title = "Notes"\n',
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert (
        "error: posts/b.md:4: series 'a/b' (posts/a.md) and 'a-b' (posts/b.md) both become "
        "the URL /series/a-b/\n"
        "  hint: write them the same way if they are one series, or rename one"
    ) in result.stderr
    assert not (root / "public").exists()


def test_a_site_without_series_has_no_series_pages(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"a.md": post("A")}, 'title = "Notes"\n')
    build(root, BuildOptions(jobs=1))
    assert not (root / "public/series").exists()
    assert "series" not in read(root / "public/sitemap.xml")


# --- a post's page is keyed on its series -----------------------------------------------------


def rebuild(root: Path) -> None:
    report = build(root, BuildOptions(jobs=1))
    assert report.posts_parsed <= 1  # the others come from the cache


def edit(path: Path, old: str, new: str) -> None:
    text = read(path)
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_part_is_rendered_again_when_its_series_changes(tmp_path: Path) -> None:
    root = series_site(tmp_path / "site")
    build(root, BuildOptions(jobs=1))
    out = root / "public"
    prelude = out / "posts/prelude/index.html"
    untouched = out / "posts/lora/index.html"  # in another series, and no neighbour
    before = untouched.stat().st_mtime_ns

    # A sibling's new title: neither of prelude's neighbours by date is in the series.
    edit(root / "posts/reverse.md", "title: 反向过程", "title: 反向过程与采样")
    rebuild(root)
    assert "反向过程与采样" in read(out / "posts/forward/index.html")
    assert "反向过程与采样" in main_of(out / "series/扩散模型/index.html")
    assert "第 1 篇，共 3 篇" in read(prelude)
    assert untouched.stat().st_mtime_ns == before

    # A part added: every part says so.
    (root / "posts/sampling.md").write_text(
        post("加速采样", "2024-08-01", series="扩散模型"), encoding="utf-8"
    )
    rebuild(root)
    assert "第 1 篇，共 4 篇" in read(prelude)
    assert "第 4 篇，共 4 篇" in read(out / "posts/sampling/index.html")
    assert series_box(out / "posts/reverse/index.html")[1] == [
        "/notes/posts/forward/",
        "/notes/posts/sampling/",
    ]

    # Parts removed: one deleted, one leaving the series.
    (root / "posts/sampling.md").unlink()
    edit(root / "posts/forward.md", "series: 扩散模型", "tags: [x]")
    rebuild(root)
    assert "第 1 篇，共 2 篇" in read(prelude)
    assert series_box(prelude)[1] == ["/notes/posts/reverse/"]
    assert "series-note" not in read(out / "posts/forward/index.html")
    assert links(main_of(out / "series/扩散模型/index.html")) == [
        "/notes/series/",
        "/notes/posts/prelude/",
        "/notes/posts/reverse/",
    ]
