"""Front matter keys as `blog build` shows them: warnings for unknown keys, `extra:`, `toc`,
future posts (`--future`, the clock crossing a post's date between two builds), pinned posts,
per-post `lang`, and the spellings of Hugo and Hexo. Real sites, the real command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from serving import serving
from sites import post, run_blog, without_progress, write_site

from mathblog.util.i18n import ui_strings

ZH_SITE = 'title = "笔记"\nlanguage = "zh-CN"\ntimezone = "Asia/Shanghai"\nper_page = 3\n'


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def blog_at(now: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`blog` with its clock set by $BLOG_NOW, the knob a reader of the README has."""
    env = {**os.environ, "BLOG_NOW": now}
    return subprocess.run(
        [sys.executable, "-m", "mathblog", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def every_output_text(public: Path) -> str:
    """All text the build wrote (pages, feeds, sitemap, search files), one string."""
    suffixes = (".html", ".xml", ".json", ".txt")
    return "\n".join(read(p) for p in sorted(public.rglob("*")) if p.suffix in suffixes)


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="[^"]*">([^<]*)</a>', html)


# --- unknown keys, extra ----------------------------------------------------------------------


def test_an_unknown_key_is_a_warning_at_its_line_with_a_did_you_mean(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", tag="RoPE")})
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert without_progress(result.stderr) == [
        "warning: posts/a.md:4: front matter: unknown key `tag`",
        "  hint: did you mean `tags`?",
    ]
    assert "with 1 warning" in result.stdout
    strict = run_blog("build", "--strict", cwd=root)
    assert strict.returncode == 1
    assert "error: posts/a.md:4: front matter: unknown key `tag`" in strict.stderr


def test_extra_reaches_templates_as_post_extra_and_never_warns(tmp_path: Path) -> None:
    text = "---\ntitle: A\ndate: 2024-05-01\nextra:\n  cover: c.png\n---\nBody.\n"
    root = write_site(tmp_path, {"a.md": text})
    (root / "templates").mkdir()
    (root / "templates/post.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        "<p id=cover>{{ post.extra.cover }}</p>{% endblock %}",
        encoding="utf-8",
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert "<p id=cover>c.png</p>" in read(root / "public/posts/a/index.html")


# --- toc --------------------------------------------------------------------------------------

TWO_HEADINGS = "## One\n\nText.\n\n## Two\n\nMore.\n"


def test_toc_false_hides_the_table_of_contents_of_that_post(tmp_path: Path) -> None:
    posts = {
        "with.md": post("With", body=TWO_HEADINGS),
        "without.md": post("Without", body=TWO_HEADINGS, toc="false"),
    }
    root = write_site(tmp_path, posts)
    assert run_blog("build", cwd=root).returncode == 0
    shown = read(root / "public/posts/with/index.html")
    hidden = read(root / "public/posts/without/index.html")
    assert 'class="toc"' in shown
    assert 'class="toc"' not in hidden
    assert 'id="one"' in hidden  # the headings keep their anchors


# --- future posts -----------------------------------------------------------------------------


def future_site(root: Path) -> Path:
    posts = {
        "past.md": post("Past post", "2025-01-01", tags="[t]"),
        "soon.md": post("Soon post", "2025-03-01 09:00", tags="[t]"),
        "later.md": post("Later post", "2025-01-02", publish_date="2025-06-01", tags="[t]"),
    }
    return write_site(root, posts, ZH_SITE)


def test_a_post_dated_after_now_is_left_out_of_every_output(tmp_path: Path) -> None:
    root = future_site(tmp_path)
    result = blog_at("2025-02-01T00:00+08:00", "build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "note: 2 posts are dated in the future, left out (--future includes them)" in (
        result.stdout
    )
    assert "built 1 post," in result.stdout
    public = root / "public"
    assert (public / "posts/past/index.html").is_file()
    assert not (public / "posts/soon").exists()
    assert not (public / "posts/later").exists()
    text = every_output_text(public)
    assert "Past post" in text
    for hidden in ("Soon post", "Later post", "/posts/soon/", "/posts/later/"):
        assert hidden not in text


def test_future_includes_them(tmp_path: Path) -> None:
    root = future_site(tmp_path)
    result = blog_at("2025-02-01T00:00+08:00", "build", "--future", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "dated in the future" not in result.stdout
    for slug in ("past", "soon", "later"):
        assert (root / f"public/posts/{slug}/index.html").is_file()
    index = read(root / "public/index.html")
    assert card_titles(index) == ["Soon post", "Later post", "Past post"]


def test_the_date_is_read_in_the_site_time_zone(tmp_path: Path) -> None:
    root = future_site(tmp_path)
    # 09:00 in Shanghai is 01:00 UTC: at 00:59 UTC the post is not out yet, at 01:00 it is.
    assert blog_at("2025-03-01T00:59Z", "build", cwd=root).returncode == 0
    assert not (root / "public/posts/soon").exists()
    assert blog_at("2025-03-01T01:00Z", "build", cwd=root).returncode == 0
    assert (root / "public/posts/soon/index.html").is_file()


def test_a_no_op_build_after_the_date_has_passed_publishes_the_post(tmp_path: Path) -> None:
    root = future_site(tmp_path)
    assert blog_at("2025-02-01", "build", cwd=root).returncode == 0
    assert not (root / "public/posts/soon").exists()
    second = blog_at("2025-07-01", "build", cwd=root)
    assert second.returncode == 0, second.stderr
    assert "work: 0 Markdown files parsed" in second.stdout  # nothing changed but the clock
    assert "dated in the future" not in second.stdout
    public = root / "public"
    assert (public / "posts/soon/index.html").is_file()
    assert (public / "posts/later/index.html").is_file()
    assert card_titles(read(public / "index.html")) == ["Soon post", "Later post", "Past post"]
    assert "/posts/soon/" in read(public / "sitemap.xml")
    assert "Soon post" in read(public / "atom.xml")
    assert "Soon post" in read(public / "tags/t/index.html")
    assert "Soon post" in read(public / "archive/index.html")
    assert "Soon post" in "".join(read(p) for p in (public / "search/docs").glob("*.json"))


def test_serve_leaves_future_posts_out_unless_future(tmp_path: Path) -> None:
    posts = {"now.md": post("Now"), "far.md": post("Far off", "2999-01-01")}
    root = write_site(tmp_path, posts, ZH_SITE)
    with serving(root) as server:
        assert server.request("/posts/now/")[0] == 200
        assert server.request("/posts/far/")[0] == 404
    assert any("1 future post left out" in line for line in server.seen)
    with serving(root, "--future") as server:
        status, _, body = server.request("/posts/far/")
        assert status == 200
        assert "Far off" in body.decode("utf-8")


def test_a_bad_blog_now_is_an_error(tmp_path: Path) -> None:
    root = future_site(tmp_path)
    result = blog_at("next tuesday", "build", cwd=root)
    assert result.returncode == 1
    assert "error: BLOG_NOW is not a date: 'next tuesday'" in result.stderr
    assert not (root / "public").exists()


# --- pinned posts -----------------------------------------------------------------------------


def test_pinned_posts_come_first_on_the_front_page_by_weight_then_date(tmp_path: Path) -> None:
    posts = {
        "a.md": post("A", "2024-01-01", tags="[t]"),
        "b.md": post("B", "2024-02-01", tags="[t]"),
        "c.md": post("C", "2024-03-01", tags="[t]"),
        "d.md": post("D", "2024-04-01", tags="[t]"),
        "p1.md": post("Pinned old", "2023-01-01", pinned="true", weight="1", tags="[t]"),
        "p2.md": post("Pinned new", "2023-06-01", pinned="true", weight="2", tags="[t]"),
        "p3.md": post("Pinned newer", "2023-07-01", pinned="true", weight="2", tags="[t]"),
    }
    root = write_site(tmp_path, posts, ZH_SITE)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    public = root / "public"
    first = read(public / "index.html")
    assert card_titles(first) == ["Pinned old", "Pinned newer", "Pinned new"]
    assert first.count('<span class="pinned-mark">置顶</span>') == 3
    assert first.count('<article class="card pinned">') == 3
    assert card_titles(read(public / "page/2/index.html")) == ["D", "C", "B"]
    assert card_titles(read(public / "page/3/index.html")) == ["A"]
    # Elsewhere the order is by date.
    tag = read(public / "tags/t/index.html")
    assert card_titles(tag) == ["D", "C", "B"]
    assert "pinned-mark" not in tag
    titles = re.findall(r"<entry>\s*<title>([^<]*)</title>", read(public / "atom.xml"))
    assert titles == ["D", "C", "B", "A", "Pinned newer", "Pinned new", "Pinned old"]
    archive = re.findall(r'<a href="/posts/[^"]*">([^<]*)</a>', read(public / "archive/index.html"))
    assert archive == ["D", "C", "B", "A", "Pinned newer", "Pinned new", "Pinned old"]


# --- lang -------------------------------------------------------------------------------------


NOTE = "Text.\n\n> [!NOTE]\n> A note.\n"
CALLOUT_TITLE = re.compile(r'<p class="callout-title">(?:<[^>]*>[^<]*</span>)?([^<]*)</p>')


def test_an_english_post_on_a_chinese_site_is_marked_english_wherever_it_is(
    tmp_path: Path,
) -> None:
    posts = {
        "en.md": post("An English post", "2024-02-01", lang="en", tags="[t]", body=NOTE),
        "zh.md": post("中文文章", "2024-01-01", tags="[t]", body=NOTE),
    }
    root = write_site(tmp_path, posts, ZH_SITE)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    public = root / "public"
    english = read(public / "posts/en/index.html")
    assert '<html lang="en">' in english
    assert "1 min read" in english and "约 1 分钟" not in english
    assert CALLOUT_TITLE.findall(english) == ["Note"]
    assert '"inLanguage":"en"' in english.replace(" ", "")
    chinese = read(public / "posts/zh/index.html")
    assert '<html lang="zh-CN">' in chinese and "约 1 分钟" in chinese
    assert CALLOUT_TITLE.findall(chinese) == ["注意"]
    for listing in ("index.html", "tags/t/index.html"):
        html = read(public / listing)
        assert '<html lang="zh-CN">' in html
        cards = re.findall(r"<article [^>]*>.*?</article>", html, re.S)
        assert cards[0].startswith('<article class="card" lang="en">')
        assert "Read more" in cards[0] and "1 min read" in cards[0]
        assert cards[1].startswith('<article class="card">') and "阅读全文" in cards[1]
    archive = read(public / "archive/index.html")
    assert '<a href="/posts/en/" lang="en">An English post</a>' in archive
    assert '<a href="/posts/zh/">中文文章</a>' in archive
    assert '<entry xml:lang="en">' in read(public / "atom.xml")


def test_interface_strings_follow_the_language_of_a_tag() -> None:
    assert ui_strings("en-GB")["read_more"] == "Read more"
    assert ui_strings("zh")["read_more"] == "阅读全文"
    assert ui_strings("fr")["read_more"] == "Read more"  # no strings of its own yet


def test_lang_the_same_as_the_site_adds_nothing(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", lang="zh-cn")}, ZH_SITE)
    assert run_blog("build", cwd=root).returncode == 0
    assert 'lang="zh-CN"' not in read(root / "public/index.html").split("<main", 1)[1]


def test_a_bad_lang_is_an_error_with_its_line_and_a_hint(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", lang="'English (US)'")}, ZH_SITE)
    result = run_blog("build", cwd=root)
    assert result.returncode == 1
    assert without_progress(result.stderr)[:2] == [
        "error: posts/a.md:4: `lang` 'English (US)' is not a language tag",
        "  hint: write a BCP 47 tag, as in <html lang>: lang: en, lang: zh-CN, lang: ja",
    ]
    assert not (root / "public").exists()


# --- Hugo and Hexo spellings ------------------------------------------------------------------


def test_hugo_and_hexo_spellings_mean_what_they_mean_there(tmp_path: Path) -> None:
    body = "The opening.\n\n<!-- more -->\n\nThe rest, not on the card.\n"
    posts = {
        "hexo.md": post(
            "Hexo post", "2024-03-01", body=body, categories="[扩散模型]", updated="2024-03-05"
        ),
        "hugo.md": post("Hugo post", "2024-02-01", lastmod="2024-02-09", description="'Short.'"),
        "hidden.md": post("Hidden post", "2024-01-01", published="false"),
    }
    root = write_site(tmp_path, posts, ZH_SITE)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    public = root / "public"
    assert "Hexo post" in read(public / "tags/扩散模型/index.html")
    hugo = read(public / "posts/hugo/index.html")
    assert '<time datetime="2024-02-09T00:00:00+08:00">2024-02-09</time>' in hugo
    assert '<meta name="description" content="Short.">' in hugo
    index = read(public / "index.html")
    assert "<p>Short.</p>" in index
    assert "The opening." in index and "The rest, not on the card." not in index
    assert not (public / "posts/hidden").exists()
    assert run_blog("build", "--drafts", cwd=root).returncode == 0
    assert (public / "posts/hidden/index.html").is_file()


def test_keys_of_other_tools_without_a_counterpart_say_what_to_write(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", permalink="/2024/a/", sticky="1")})
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert without_progress(result.stderr) == [
        "warning: posts/a.md:4: front matter: `permalink` is not used",
        "  hint: a post's URL is /posts/<slug>/: set slug: for its last part, and "
        "aliases: [/old/url/] to keep the old address working",
        "warning: posts/a.md:5: front matter: `sticky` is not used",
        "  hint: write pinned: true (and weight: 1, 2… to order pinned posts)",
    ]


def test_a_toc_marker_line_is_dropped_not_shown(tmp_path: Path) -> None:
    """Typora, Hexo and GitLab notes start with `[TOC]` on a line of its own; the theme shows
    the table of contents already, so the marker is neither in the post nor on its card."""
    body = "[TOC]\n\nFirst words.\n\n## One\n\nText.\n\n## Two\n\n[[_TOC_]]\n\nSee [TOC] here."
    root = write_site(tmp_path / "site", {"a.md": post("A", body=body)})
    result = run_blog("build", "--quiet", cwd=root)
    assert result.returncode == 0, result.stderr
    page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    index = (root / "public/index.html").read_text(encoding="utf-8")
    for html in (page, index):
        assert "<p>[TOC]</p>" not in html and "[[_TOC_]]" not in html
        assert "<p>First words.</p>" in html
    assert "<p>See [TOC] here.</p>" in page  # only a line of its own is the marker
