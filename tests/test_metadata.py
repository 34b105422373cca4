"""What search engines and link previews read: sitemap, robots.txt, canonical URLs, <html lang>,
OpenGraph and Twitter tags, and JSON-LD; all of it safe for any title."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sitecheck import ATOM, SITEMAP, parse_page, sitemap_urls
from sites import post, run_blog, write_site

from mathblog.util.script_json import script_json

BASE = "https://example.org/notes/"
EVIL = '"><script>alert(1)</script>'
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def meta(page: Path) -> dict[str, list[str]]:
    """Every <meta property|name=…> content on a page, as the browser decodes it."""
    found: dict[str, list[str]] = {}
    for tag, attrs in parse_page(page).tags:
        key = attrs.get("property") or attrs.get("name")
        if tag == "meta" and key:
            found.setdefault(key, []).append(attrs.get("content") or "")
    return found


def link_href(page: Path, rel: str) -> list[str]:
    return [
        attrs.get("href") or ""
        for tag, attrs in parse_page(page).tags
        if tag == "link" and attrs.get("rel") == rel
    ]


def page_url(out: Path, page: Path, base: str = BASE) -> str:
    path = page.relative_to(out).as_posix().removesuffix("index.html")
    from urllib.parse import quote

    return base + quote(path)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    posts = {
        "rope.md": post(
            "'RoPE 中的 $\\theta_i$'",
            "2024-03-01 09:30",
            "旋转位置编码让内积只依赖 $m - n$。\n\n## 推导\n\nMore.",
            tags="[RoPE, 位置编码]",
            updated="2024-04-02",
        ),
        "old.md": post("Old", "2023-01-01", "Old text.", tags="[RoPE]"),
    }
    config = f'base_url = "{BASE}"\nlanguage = "zh-CN"\nauthor = "Ada"\ntitle = "N"\n'
    config += 'description = "Site notes"\ntimezone = "Asia/Shanghai"\nper_page = 1\n'
    root = write_site(tmp_path_factory.mktemp("meta"), posts, config)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "public"


def test_sitemap_lists_every_page_once_with_a_lastmod(site: Path) -> None:
    # Every page but those that ask not to be indexed (the 404 and search pages).
    pages = {
        page_url(site, page)
        for page in site.rglob("*.html")
        if '<meta name="robots" content="noindex">' not in read(page)
    }
    assert BASE + "search/" not in pages
    urls = sitemap_urls(site / "sitemap.xml")
    assert sorted(urls) == sorted(pages) and len(urls) == len(set(urls))
    root = ET.parse(site / "sitemap.xml").getroot()
    lastmods = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root}
    assert all(lastmods.values()), lastmods
    assert lastmods[BASE + "posts/rope/"] == "2024-04-02T00:00:00+08:00"
    assert lastmods[BASE + "posts/old/"] == "2023-01-01T00:00:00+08:00"
    assert lastmods[BASE] == "2024-04-02T00:00:00+08:00"  # its newest post
    assert lastmods[BASE + "page/2/"] == "2023-01-01T00:00:00+08:00"
    assert lastmods[BASE + "archive/"] == "2024-04-02T00:00:00+08:00"


def test_robots_points_at_the_sitemap_with_a_full_url(site: Path) -> None:
    assert read(site / "robots.txt") == (
        f"User-agent: *\nDisallow:\n\nSitemap: {BASE}sitemap.xml\n"
    )


def test_robots_without_a_host_has_no_sitemap_line(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A")}, 'base_url = "/notes/"\n')
    assert run_blog("build", cwd=root).returncode == 0
    robots = read(root / "public/robots.txt")
    assert robots.startswith("User-agent: *\nDisallow:\n")
    assert not any(line.startswith("Sitemap:") for line in robots.splitlines())
    assert "# No Sitemap line" in robots
    index = root / "public/index.html"
    assert link_href(index, "canonical") == [] and "og:url" not in meta(index)


def test_every_page_has_lang_canonical_and_og_url(site: Path) -> None:
    for page in site.rglob("*.html"):
        parsed = parse_page(page)
        assert parsed.tags[0] == ("html", {"lang": "zh-CN"}), page
        tags = meta(page)
        if page.name == "404.html":  # shown at any missing address
            assert link_href(page, "canonical") == [] and tags["robots"] == ["noindex"]
            continue
        assert link_href(page, "canonical") == [page_url(site, page)], page
        assert tags["og:url"] == [page_url(site, page)]
        assert tags["og:site_name"] == ["N"] and tags["twitter:card"] == ["summary"]
        assert len(tags["og:title"]) == 1 and len(tags["og:description"]) == 1


def test_posts_are_articles_and_other_pages_websites(site: Path) -> None:
    post_meta = meta(site / "posts/rope/index.html")
    assert post_meta["og:type"] == ["article"]
    assert post_meta["og:title"] == ["RoPE 中的 \\theta_i"]
    assert post_meta["og:description"] == ["旋转位置编码让内积只依赖 m - n。 More."]
    assert post_meta["description"] == post_meta["og:description"]
    assert post_meta["article:published_time"] == ["2024-03-01T09:30:00+08:00"]
    assert post_meta["article:modified_time"] == ["2024-04-02T00:00:00+08:00"]
    assert post_meta["article:tag"] == ["RoPE", "位置编码"]
    old = meta(site / "posts/old/index.html")
    assert old["article:modified_time"] == old["article:published_time"]
    for page in ("index.html", "tags/rope/index.html", "archive/index.html"):
        tags = meta(site / page)
        assert tags["og:type"] == ["website"] and "article:tag" not in tags, page
        assert tags["og:description"] == ["Site notes"]
    assert meta(site / "tags/rope/index.html")["og:title"] == ["#RoPE · N"]


def test_posts_carry_json_ld_blog_posting(site: Path) -> None:
    html = read(site / "posts/rope/index.html")
    (data,) = [json.loads(found) for found in JSON_LD.findall(html)]
    assert data == {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": "RoPE 中的 \\theta_i",
        "description": "旋转位置编码让内积只依赖 m - n。 More.",
        "url": BASE + "posts/rope/",
        "mainEntityOfPage": BASE + "posts/rope/",
        "datePublished": "2024-03-01T09:30:00+08:00",
        "dateModified": "2024-04-02T00:00:00+08:00",
        "author": {"@type": "Person", "name": "Ada"},
        "keywords": ["RoPE", "位置编码"],
        "inLanguage": "zh-CN",
    }
    assert JSON_LD.findall(read(site / "index.html")) == []


def test_json_in_a_script_element_cannot_break_out() -> None:
    hostile = {"a": "</script><script>alert(1)</script><!-- & \u2028\u2029 -->"}
    text = script_json(hostile)
    for unsafe in ("<", ">", "&", "\u2028", "\u2029"):
        assert unsafe not in text
    assert json.loads(text) == hostile
    assert "\\u003c/script\\u003e" in text


# The theme's, on every page: the reader's saved light/dark choice, applied atop <head>, and the
# light/dark switch.
THEME_CHOICE = re.compile(r'<script id="theme-choice" data-live>[^<]*</script>')
THEME_SCRIPT = '<script src="/notes/js/theme.js" data-live defer>'
SEARCH_BOX_SCRIPT = '<script src="/notes/js/search-box.js" data-live defer>'


def test_a_hostile_title_is_text_in_every_place(tmp_path: Path) -> None:
    posts = {"x.md": post(f"'{EVIL}'", tags=f"['{EVIL}']", slug="x", summary=f"'{EVIL}'")}
    config = f"base_url = \"{BASE}\"\ntitle = '{EVIL}'\nauthor = '{EVIL}'\n"
    config += "[markdown]\nraw_html = false\n"  # else a summary may hold HTML, as a body may
    root = write_site(tmp_path, posts, config)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    for page in out.rglob("*.html"):
        html = THEME_CHOICE.sub("", read(page))
        assert "<script>" not in html and "alert(1)</script>" not in html, page
        scripts = set(re.findall(r"<script\b[^>]*>", html)) - {THEME_SCRIPT, SEARCH_BOX_SCRIPT}
        if page == out / "search/index.html":  # the search page's settings and script
            scripts -= {
                '<script id="search-settings" type="application/json">',
                '<script src="/notes/js/search.js" defer>',
            }
        assert scripts <= {'<script type="application/ld+json">'}, page
    page = out / "posts/x/index.html"
    tags = meta(page)
    for key in ("og:title", "og:description", "article:tag", "og:site_name", "description"):
        assert tags[key] == [EVIL], key
    assert parse_page(page).tags[0] == ("html", {"lang": "en"})
    (data,) = [json.loads(found) for found in JSON_LD.findall(read(page))]
    assert data["headline"] == data["description"] == EVIL
    assert data["keywords"] == [EVIL] and data["author"]["name"] == EVIL
    for feed_path in sorted(out.rglob("atom.xml")):
        feed = ET.parse(feed_path).getroot()
        assert feed.findtext(f"{ATOM}entry/{ATOM}title") == EVIL
        assert feed.findtext(f"{ATOM}author/{ATOM}name") == EVIL
    ET.parse(out / "sitemap.xml")
    (document,) = [json.loads(read(found)) for found in out.glob("search/docs/*.json")]
    assert document["title"] == EVIL and document["tags"] == [EVIL]


def test_a_date_before_1900_gets_the_zone_standard_offset_not_local_mean_time(
    tmp_path: Path,
) -> None:
    """zoneinfo gives Shanghai +08:05:43 (local mean time) before 1901, which RFC 3339 cannot
    write; the author meant Shanghai's +08:00."""
    root = write_site(
        tmp_path,
        {
            "old.md": post("Old", "0001-01-01 10:00", updated="1850-06-01"),
            "new.md": post("New", "2024-01-01"),
        },
        f'base_url = "{BASE}"\ntimezone = "Asia/Shanghai"\n',
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    page = read(out / "posts/old/index.html")
    assert 'datetime="0001-01-01T10:00:00+08:00"' in page
    assert meta(out / "posts/old/index.html")["article:modified_time"] == [
        "1850-06-01T00:00:00+08:00"
    ]
    assert "0001-01-01T10:00:00+08:00" in read(out / "atom.xml")
    everything = "".join(read(p) for p in out.rglob("*") if p.suffix in (".html", ".xml"))
    assert "+08:05" not in everything
