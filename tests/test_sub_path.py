"""The example site deployed under a sub-path (a GitHub Pages project site): every reference in
every page, feed, sitemap and robots.txt stays under it and resolves to a file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from sitecheck import (
    broken_absolute_urls,
    broken_references,
    feed_urls,
    parse_page,
    robots_sitemaps,
    sitemap_urls,
)
from sites import REPO, run_blog

BASE = "https://user.github.io/notes/"
# Beside the example's posts: relative links and images, in markdown and in raw HTML.
EXTRA_POST = """\
---
title: 子路径检查
date: 2020-01-01
tags: [Meta]
---
图 ![点](/img/dot.svg)，相对链接 [RoPE](../rope-derivation/) 和 [本节](#小结)。

<p><img src="/img/dot.svg" alt="raw"> <a href="/posts/score-matching/">raw</a></p>

## 小结

完。
"""


TYPORA_POST = """\
---
title: Typora 的图片
date: 2020-01-02
---
![粘贴的图](typora-style.assets/图%201.svg)，HTML 里也行：
<img src="./typora-style.assets/图 1.svg" alt="">
"""
BUNDLE_IMAGE = "posts/flashattention-online-softmax/tiling.svg"  # the example's bundle
TYPORA_IMAGE = "posts/typora-style.assets/%E5%9B%BE%201.svg"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sub-path")
    shutil.copy(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "posts", root / "posts")
    for name in ("pages", "static", "templates"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    (root / "posts/sub-path-check.md").write_text(EXTRA_POST, encoding="utf-8")
    (root / "static/img").mkdir(parents=True, exist_ok=True)
    (root / "static/img/dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n', encoding="utf-8"
    )
    # Typora's way: pasted images in `x.assets/` beside `x.md` (the example has a bundle)
    (root / "posts/typora-style.md").write_text(TYPORA_POST, encoding="utf-8")
    (root / "posts/typora-style.assets").mkdir()
    (root / "posts/typora-style.assets/图 1.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>\n', encoding="utf-8"
    )
    result = run_blog("build", "--base-url", BASE, cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "public"


def page_address(out: Path, page: Path) -> str:
    return BASE + page.relative_to(out).as_posix().removesuffix("index.html")


def test_no_broken_internal_reference(site: Path) -> None:
    assert len(list(site.rglob("*.html"))) > 25
    assert broken_references(site, BASE) == []
    # among them a bundle's image and a Typora post's, on their pages and on the index
    bundle = parse_page(site / "posts/flashattention-online-softmax/index.html").references
    assert "/notes/" + BUNDLE_IMAGE in bundle
    typora = parse_page(site / "posts/typora-style/index.html").references
    assert typora.count("/notes/" + TYPORA_IMAGE) == 2
    assert (site / "posts/typora-style.assets/图 1.svg").is_file()


def test_pages_and_the_nav_are_under_the_sub_path(site: Path) -> None:
    about = (site / "about/index.html").read_text(encoding="utf-8")
    assert '<a href="/notes/about/" aria-current="page">关于</a>' in about
    assert '<a href="/notes/tags/">标签</a>' in about  # a [[nav]] path moves under it
    assert f"<loc>{BASE}about/</loc>" in (site / "sitemap.xml").read_text(encoding="utf-8")


def test_every_href_and_src_stays_under_the_sub_path(site: Path) -> None:
    origin = urlsplit(BASE).netloc
    checked = 0
    for page in site.rglob("*.html"):
        for reference in parse_page(page).references:
            target = urlsplit(urljoin(page_address(site, page), reference))
            if target.scheme in ("http", "https") and target.netloc == origin:
                assert target.path.startswith("/notes/"), (page, reference)
                checked += 1
            if reference.startswith("/"):
                assert reference.startswith("/notes/"), (page, reference)
    assert checked > 500


def test_feeds_sitemap_and_robots_use_full_urls_under_the_sub_path(site: Path) -> None:
    feeds = sorted(site.rglob("atom.xml"))
    assert len(feeds) > 5  # the site's and one per tag
    for feed in feeds:
        own, inside = feed_urls(feed)
        assert own and all(url.startswith(BASE) for url in own), feed
        assert inside and all(url.startswith(BASE) for url in inside), feed
        assert broken_absolute_urls(site, BASE, own + inside) == [], feed
    content = " ".join(feed_urls(site / "atom.xml")[1])
    assert BASE + "img/dot.svg" in content
    assert BASE + "posts/rope-derivation/" in content
    assert BASE + BUNDLE_IMAGE in content and BASE + TYPORA_IMAGE in content
    locs = sitemap_urls(site / "sitemap.xml")
    assert len(locs) > 20 and all(url.startswith(BASE) for url in locs)
    assert broken_absolute_urls(site, BASE, locs) == []
    assert robots_sitemaps(site / "robots.txt") == [BASE + "sitemap.xml"]
    for path in (site / "atom.xml", site / "sitemap.xml", site / "robots.txt"):
        text = re.sub(r'xmlns="[^"]*"', "", path.read_text(encoding="utf-8"))  # names, not links
        for url in re.findall(r"https?://[^\s\"'<>&]+", text):
            assert url.startswith(BASE), (path.name, url)


def test_page_addresses_and_json_ld_are_full_urls_under_the_sub_path(site: Path) -> None:
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue
        html = page.read_text(encoding="utf-8")
        canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', html)
        redirect = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
        if redirect:  # an alias's page: canonical is the page it leads to, under the sub-path
            assert redirect.group(1).startswith(urlsplit(BASE).path), page
            assert canonical == [urljoin(BASE, redirect.group(1))], page
            assert (
                site / unquote(redirect.group(1)).removeprefix("/notes/") / "index.html"
            ).is_file()
            continue
        assert canonical == [quote(page_address(site, page), safe=":/")], page
        for data in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html):
            assert json.loads(data)["url"] == canonical[0]
