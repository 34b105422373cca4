"""Atom feeds: the site's and one per tag, well-formed for any text, full content with absolute
links, found from the pages' <head>."""

from __future__ import annotations

import dataclasses
import html
import xml.dom.minidom
import xml.etree.ElementTree as ET
from pathlib import Path

from sitecheck import ATOM, broken_absolute_urls, feed_urls, parse_page
from sites import post, run_blog, write_site

from mathblog.config import load_config
from mathblog.content.post import Renderers, create_title_markdown, load_post
from mathblog.markdown.parser import create_markdown
from mathblog.math.engine import MathEngine
from mathblog.model import collect_tags
from mathblog.render.templates import PageRenderer
from mathblog.search.index import SearchIndex
from mathblog.site.outputs import plan_site
from mathblog.util.xml_text import xml_safe

BASE = "https://example.org/blog/"
HOSTILE = "A & B <c> ]]> "  # and a form feed, which XML cannot hold
# The same text in markdown, so the page shows it as text; a raw form feed and other C0 controls.
HOSTILE_MARKDOWN = "A & B \\<c\\> ]]> \x0c \x01\x08\x0b\x1f"


def is_xml_char(code: int) -> bool:
    """XML 1.0's `Char` production."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def test_xml_safe_keeps_exactly_the_characters_xml_allows() -> None:
    every = "".join(map(chr, range(0x110000)))  # lone surrogates included
    kept = "".join(char for char in every if is_xml_char(ord(char)))
    assert xml_safe(every) == kept
    assert xml_safe("\\frac\x0c") == "\\frac"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def feeds(out: Path) -> list[Path]:
    return sorted(out.rglob("atom.xml"))


def check_atom(path: Path) -> ET.Element:
    """Parse the feed both ways and check the elements RFC 4287 requires."""
    xml.dom.minidom.parse(str(path))
    feed = ET.parse(path).getroot()
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None, (path, required)
    self_links = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(self_links) == 1
    entries = feed.findall(f"{ATOM}entry")
    has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in entries:
        for required in ("id", "title", "updated", "link", "content"):
            assert entry.find(f"{ATOM}{required}") is not None, (path, required)
        assert has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
    return feed


def entry_titles(feed: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title") or "" for entry in feed.iter(f"{ATOM}entry")]


def test_every_feed_is_well_formed_for_hostile_text(tmp_path: Path) -> None:
    posts = {
        "hostile.md": post(
            "'A & B <c> ]]>'",
            "2024-03-01",
            f"{HOSTILE_MARKDOWN}\n\nInline $a<b$ and `]]>` code.",
            tags='[common, "A & B <c> ]]> \\f"]',
            summary="'S & <t> ]]>'",
        ),
        "plain.md": post("Plain", "2024-02-01", "Nothing odd.", tags="[common]"),
    }
    config = f'base_url = "{BASE}"\ntitle = "Site & <co> ]]> \\f"\ndescription = "D \\f &"\n'
    root = write_site(tmp_path, posts, config)
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    found = feeds(out)
    assert [p.relative_to(out).as_posix() for p in found] == [
        "atom.xml",
        "tags/a-&-b-c/atom.xml",
        "tags/common/atom.xml",
    ]
    for path in found:
        raw = path.read_bytes()
        assert b"\x0c" not in raw and b"\x01" not in raw and b"]]>" not in raw
        feed = check_atom(path)
        assert (feed.findtext(f"{ATOM}title") or "").startswith("Site & <co> ]]> ")
        assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Site & <co> ]]> "  # no author set
        assert entry_titles(feed)[0] == "A & B <c> ]]>"
        entry = feed.find(f"{ATOM}entry")
        assert entry is not None
        content = html.unescape(entry.findtext(f"{ATOM}content") or "")
        assert "<p>A & B <c> ]]>  </p>" in content  # the controls dropped, the rest exact
        assert "<code>]]></code>" in content and "<math>" in content
        assert html.unescape(entry.findtext(f"{ATOM}summary") or "") == "<p>S & <t> ]]></p>\n"
        terms = [c.get("term") for c in entry.iter(f"{ATOM}category")]
        assert terms == ["common", "A & B <c> ]]>"]


def test_a_title_with_a_form_feed_loses_only_the_form_feed(tmp_path: Path) -> None:
    """Front matter refuses a control character in a title (it is nearly always `"\\frac"` in
    double quotes); the feed drops one, whichever way it came, and keeps the rest exact."""
    root = write_site(
        tmp_path,
        {"a.md": post("Placeholder", body=HOSTILE_MARKDOWN, tags="[t]")},
        f'base_url = "{BASE}"\n',
    )
    config = load_config(root)
    renderers = Renderers(
        create_markdown(raw_html=True, base_path=config.base_path),
        create_title_markdown(),
        MathEngine(),
    )
    loaded = load_post(root / "posts/a.md", config, renderers)
    title = HOSTILE + "\x0c"
    hostile = dataclasses.replace(
        loaded.post, title=title, title_text=title, title_html=html.escape(title)
    )
    renderer = PageRenderer(config)
    written = {}
    posts = (hostile,)
    index = SearchIndex(posts, {"posts/a.md": loaded.search_terms}, {"posts/a.md": "x"})
    plan = plan_site(config, posts, collect_tags(posts), index, {"posts/a.md": "x"})
    for job in plan.page_jobs():
        if job.template == "atom.xml":
            written[job.output] = renderer.page(job).text
    assert sorted(written) == ["atom.xml", "tags/t/atom.xml"]
    for name, text in written.items():
        path = tmp_path / name.replace("/", "_")
        path.write_text(text, encoding="utf-8")
        feed = check_atom(path)
        assert entry_titles(feed) == [HOSTILE]
        content = html.unescape(feed.findtext(f"{ATOM}entry/{ATOM}content") or "")
        assert content.startswith("<p>" + HOSTILE)
        assert "\x0c" not in text


def test_feed_content_has_absolute_links_and_images(tmp_path: Path) -> None:
    body = (
        "See [next](../b/), [b](/posts/b/), [top](#part), [ext](https://arxiv.org/abs/1) "
        "and ![fig](fig.png) ![abs](/img/a.png).[^1]\n\n"
        '<img src="/img/a.png" alt="raw"> <a href=\'../b/\'>raw</a>\n\n'
        "## Part\n\n$$\nx \\label{eq:x}\n$$\n\nAs $\\eqref{eq:x}$ says.\n\n[^1]: A note.\n"
    )
    posts = {
        "a.md": post("A", "2024-02-01", body),
        "b.md": post("B", "2024-01-01", "B."),
    }
    root = write_site(tmp_path, posts, f'base_url = "{BASE}"\n')
    (root / "posts/a").mkdir()
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    own, inside = feed_urls(out / "atom.xml")
    assert len(inside) >= 10
    assert broken_absolute_urls(out, BASE, own) == []
    resolvable = [u for u in inside if not u.endswith(("fig.png", "a.png"))]  # no such images
    assert broken_absolute_urls(out, BASE, resolvable) == []
    # `fig.png` is read beside posts/a.md (posts/fig.png), as an editor's preview shows it
    assert "https://example.org/blog/posts/fig.png" in inside
    assert "https://example.org/blog/img/a.png" in inside
    assert "https://example.org/blog/posts/b/" in inside
    assert "https://example.org/blog/posts/a/#eq-x" in inside
    assert "https://arxiv.org/abs/1" in inside
    # The page itself keeps its relative links.
    page = parse_page(out / "posts/a/index.html")
    assert "../b/" in page.references and "#part" in page.references


def test_feed_limit_keeps_the_newest_posts_in_every_feed(tmp_path: Path) -> None:
    posts = {f"p{n}.md": post(f"P{n}", f"2024-01-0{n}", tags="[t]") for n in range(2, 5)}
    posts["p1.md"] = post("P1", "2024-01-01", tags="[t]", updated="2024-06-01")
    root = write_site(tmp_path, posts, f'base_url = "{BASE}"\nfeed_limit = 2\n')
    assert run_blog("build", cwd=root).returncode == 0
    for path in ("atom.xml", "tags/t/atom.xml"):
        feed = check_atom(root / "public" / path)
        assert entry_titles(feed) == ["P4", "P3"]
        assert feed.findtext(f"{ATOM}updated") == "2024-01-04T00:00:00+00:00"
    (root / "site.toml").write_text(f'base_url = "{BASE}"\n', encoding="utf-8")
    assert run_blog("build", cwd=root).returncode == 0
    feed = check_atom(root / "public/atom.xml")
    assert entry_titles(feed) == ["P4", "P3", "P2", "P1"]  # default 20
    # An entry's `updated` is the post's; the feed's is the latest of its entries.
    assert feed.findtext(f"{ATOM}updated") == "2024-06-01T00:00:00+00:00"
    updated = [e.findtext(f"{ATOM}updated") for e in feed.iter(f"{ATOM}entry")]
    assert updated[-1] == "2024-06-01T00:00:00+00:00"


def test_feeds_are_linked_from_every_head_and_named_by_author(tmp_path: Path) -> None:
    posts = {"a.md": post("A", tags="[RoPE, 位置编码]")}
    root = write_site(tmp_path, posts, f'base_url = "{BASE}"\nauthor = "Ada"\ntitle = "N"\n')
    assert run_blog("build", cwd=root).returncode == 0
    out = root / "public"
    for page in out.rglob("*.html"):
        links = [
            attrs.get("href")
            for tag, attrs in parse_page(page).tags
            if tag == "link" and attrs.get("type") == "application/atom+xml"
        ]
        assert "/blog/atom.xml" in links, page
    tag_page = parse_page(out / "tags/位置编码/index.html")
    alternates = [
        attrs
        for tag, attrs in tag_page.tags
        if tag == "link" and attrs.get("type") == "application/atom+xml"
    ]
    tag_feed = "/blog/tags/%E4%BD%8D%E7%BD%AE%E7%BC%96%E7%A0%81/atom.xml"
    assert {"title": "N · #位置编码", "href": tag_feed} in [
        {"title": attrs.get("title"), "href": attrs.get("href")} for attrs in alternates
    ]
    feed = check_atom(out / "tags/位置编码/atom.xml")
    assert feed.findtext(f"{ATOM}title") == "N · #位置编码"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Ada"
    own_links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert own_links == {
        "self": "https://example.org/blog/tags/%E4%BD%8D%E7%BD%AE%E7%BC%96%E7%A0%81/atom.xml",
        "alternate": "https://example.org/blog/tags/%E4%BD%8D%E7%BD%AE%E7%BC%96%E7%A0%81/",
    }


def test_a_link_urljoin_cannot_read_is_kept_as_written_in_the_feed(tmp_path: Path) -> None:
    body = '<a href="//[broken">an IPv6 host with no end</a> and [a part](#part).\n\n## Part\n'
    root = write_site(tmp_path, {"a.md": post("A", body=body)}, f'base_url = "{BASE}"\n')
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    feed = (root / "public/atom.xml").read_text(encoding="utf-8")
    assert "href=&#34;//[broken&#34;" in feed or "href=&quot;//[broken&quot;" in feed
    assert "https://example.org/blog/posts/a/#part" in feed
