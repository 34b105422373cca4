"""Behaviour of `blog build` on small real sites."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mathml import without_source
from sitecheck import broken_references
from sites import post, run_blog, tree_digest, write_site


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_math_error_is_a_warning_with_its_line_and_shown_in_place(tmp_path: Path) -> None:
    body = "First line.\n\nSecond $x$ and $\\frac{1$ bad.\n\n$$\n\\begin{pmatrix}\n$$\n"
    root = write_site(tmp_path, {"m.md": post("M", body=body)})
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert (
        'warning: posts/m.md:7:24: math: Expected closing token "}", but reached end of input.'
        in lines
    )
    assert any(line.startswith("warning: posts/m.md:9:1: math: ") for line in lines)
    assert "with 2 warnings" in result.stdout
    html = without_source(read(root / "public/posts/m/index.html"))
    assert '<span class="math-error" title="Expected closing token' in html
    assert "<code>$\\frac{1$</code>" in html
    assert "<math><mi>x</mi></math>" in html


def test_strict_turns_math_warnings_into_errors_and_writes_nothing(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"m.md": post("M", body="Bad $\\frac{1$.")})
    result = run_blog("build", "--strict", cwd=root)
    assert result.returncode == 1
    assert "error: posts/m.md:5:13: math: Expected closing token" in result.stderr
    assert "--strict is on" in result.stderr
    assert not (root / "public").exists()


def test_math_in_titles_renders_and_plain_title_keeps_tex(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"r.md": post("'RoPE 中的 $\\theta_i$'", slug="rope")})
    assert run_blog("build", cwd=root).returncode == 0
    html = without_source(read(root / "public/posts/rope/index.html"))
    assert "<title>RoPE 中的 \\theta_i · My notes</title>" in html
    assert (
        '<h1 class="post-title">RoPE 中的 <math><msub><mi>θ</mi><mi>i</mi></msub></math></h1>'
        in html
    )


def test_drafts_only_with_flag(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A"), "d.md": post("Draft", draft="true")})
    assert run_blog("build", cwd=root).returncode == 0
    assert not (root / "public/posts/d").exists()
    assert run_blog("build", "--drafts", cwd=root).returncode == 0
    assert (root / "public/posts/d/index.html").is_file()


def test_sub_path_base_url_keeps_every_link_under_it(tmp_path: Path) -> None:
    posts = {
        f"p{n}.md": post(
            f"P{n}",
            f"2024-01-{n:02d}",
            f"See [p1](/posts/p1/) ![i](/img/a.png) $x_{n}$.",
            tags="[RoPE, 位置编码]",
        )
        for n in range(1, 14)
    }
    root = write_site(tmp_path, posts, "per_page = 5\n", static__img__a_png="png")
    (root / "static/img/a_png").rename(root / "static/img/a.png")
    url = "https://user.github.io/notes/"
    result = run_blog("build", "--base-url", url, cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    assert broken_references(out, url) == []
    index = read(out / "index.html")
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', index)
    assert hrefs and all(
        h.startswith(("/notes/", "https://user.github.io/notes/", "#")) for h in hrefs
    ), hrefs
    assert '<link rel="canonical" href="https://user.github.io/notes/">' in index
    assert (out / "page/3/index.html").is_file() and not (out / "page/4").exists()
    assert (out / "tags/位置编码/page/3/index.html").is_file()
    assert "<loc>https://user.github.io/notes/posts/p1/</loc>" in read(out / "sitemap.xml")


def test_chinese_file_names_give_percent_encoded_urls(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"扩散 模型.md": post("扩散", tags="[扩散模型]")})
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    assert (out / "posts/扩散-模型/index.html").is_file()
    index = read(out / "index.html")
    assert 'href="/posts/%E6%89%A9%E6%95%A3-%E6%A8%A1%E5%9E%8B/"' in index
    assert 'href="/tags/%E6%89%A9%E6%95%A3%E6%A8%A1%E5%9E%8B/"' in index
    assert broken_references(out, "https://example.com/") == []


def test_tags_differing_in_case_are_one_tag(tmp_path: Path) -> None:
    posts = {
        "a.md": post("A", "2024-01-01", tags="[RoPE]"),
        "b.md": post("B", "2024-01-02", tags="rope, Attention"),
        "c.md": post("C", "2024-01-03", tags="[RoPE]"),
    }
    root = write_site(tmp_path, posts)
    assert run_blog("build", cwd=root).returncode == 0
    tags = read(root / "public/tags/index.html")
    assert re.search(r'href="/tags/rope/">#RoPE <span class="count">3</span>', tags)
    assert re.search(r'href="/tags/attention/">#Attention <span class="count">1</span>', tags)
    assert len(list((root / "public/tags").iterdir())) == 3  # index.html, rope/, attention/


def test_exactly_per_page_posts_make_one_page(tmp_path: Path) -> None:
    posts = {f"p{n}.md": post(f"P{n}", f"2024-02-{n:02d}") for n in range(1, 11)}
    root = write_site(tmp_path, posts)
    assert run_blog("build", cwd=root).returncode == 0
    assert not (root / "public/page").exists()
    assert 'class="pager"' not in read(root / "public/index.html")


def test_index_is_newest_first_with_stable_ties(tmp_path: Path) -> None:
    posts = {
        "old.md": post("Old", "2023-01-01"),
        "b.md": post("Same B", "2024-06-01 10:00:00"),
        "a.md": post("Same A", "2024-06-01 10:00:00"),
        "new.md": post("New", "2025-01-01"),
    }
    root = write_site(tmp_path, posts)
    assert run_blog("build", cwd=root).returncode == 0
    titles = re.findall(
        r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', read(root / "public/index.html")
    )
    assert titles == ["New", "Same A", "Same B", "Old"]


def test_site_templates_override_theme_and_static_is_copied(tmp_path: Path) -> None:
    root = write_site(
        tmp_path,
        {"a.md": post("A")},
        templates__404_html="<p>custom {{ site.title }} {{ '<b>' }}</p>\n",
        static__robots_txt="User-agent: *\n",
        static__css__style_css="body{}\n",
    )
    (root / "static/robots_txt").rename(root / "static/robots.txt")
    (root / "static/css/style_css").rename(root / "static/css/style.css")
    (root / "templates/404_html").rename(root / "templates/404.html")
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    assert read(out / "404.html") == "<p>custom My notes &lt;b&gt;</p>\n"
    assert read(out / "robots.txt") == "User-agent: *\n"
    assert read(out / "css/style.css") == "body{}\n"
    assert '<link rel="stylesheet" href="/css/style.css">' in read(out / "index.html")


def test_raw_html_switch(tmp_path: Path) -> None:
    body = "<b>bold</b> and $x<y$"
    root = write_site(tmp_path, {"a.md": post("A", body=body)}, "[markdown]\nraw_html = false\n")
    assert run_blog("build", cwd=root).returncode == 0
    html = read(root / "public/posts/a/index.html")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<mo>&lt;</mo>" in html


def test_titles_and_tags_are_escaped(tmp_path: Path) -> None:
    evil = '"><script>alert(1)</script>'
    root = write_site(tmp_path, {"x.md": post(f"'{evil}'", tags=f"['{evil}']", slug="x")})
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    for page in (root / "public").rglob("*.html"):
        assert "<script>" not in read(page), page
    assert "<script>" not in read(root / "public/atom.xml")


def test_removed_post_leaves_no_stale_page(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A"), "b.md": post("B")})
    assert run_blog("build", cwd=root).returncode == 0
    (root / "posts/b.md").unlink()
    assert run_blog("build", cwd=root).returncode == 0
    assert not (root / "public/posts/b").exists()
    leftovers = [p.name for p in root.iterdir() if p.name.startswith(".public")]
    assert leftovers == []


def test_empty_site_builds(tmp_path: Path) -> None:
    root = write_site(tmp_path, {})
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "built 0 posts" in result.stdout
    assert "No posts yet." in read(root / "public/index.html")


def test_source_option_and_python_dash_m(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", {"a.md": post("A")})
    result = run_blog("build", "--source", root, "--output", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out/posts/a/index.html").is_file()
    assert tree_digest(tmp_path / "out")


def test_unchanged_output_files_keep_their_bytes_and_mtime(tmp_path: Path) -> None:
    root = write_site(
        tmp_path,
        {"a.md": post("A", date="2024-01-01"), "b.md": post("B", date="2023-01-01")},
    )
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    old_time = 1_000_000_000  # 2001: any rewrite would move it to now
    for path in out.rglob("*"):
        if path.is_file():
            os.utime(path, (old_time, old_time))
    result = run_blog("build", cwd=root)
    assert "0 written" in result.stdout, result.stdout
    assert all(p.stat().st_mtime == old_time for p in out.rglob("*") if p.is_file())

    # Editing B's body rewrites B's page (and the listings showing its excerpt), not A's page.
    (root / "posts/b.md").write_text(post("B", date="2023-01-01", body="Changed."), "utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (out / "posts/b/index.html").stat().st_mtime != old_time
    assert "Changed." in (out / "posts/b/index.html").read_text(encoding="utf-8")
    assert (out / "posts/a/index.html").stat().st_mtime == old_time
    assert (out / "css/style.css").stat().st_mtime == old_time


def test_a_symlink_planted_in_the_output_is_never_followed(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"a.md": post("A")})
    assert run_blog("build", cwd=root).returncode == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("do not touch", encoding="utf-8")
    page = root / "public/posts/a/index.html"
    expected = page.read_bytes()
    page.unlink()
    page.symlink_to(secret)
    assert run_blog("build", cwd=root).returncode == 0
    assert not page.is_symlink()
    assert page.read_bytes() == expected
    assert secret.read_text(encoding="utf-8") == "do not touch"
