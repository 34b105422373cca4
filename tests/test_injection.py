"""Hostile text in titles, tags, settings and links never reaches a page as markup or a script URL.

The checks scan every file of the output, so pages added later (JSON-LD, a search index) are
covered without changing these tests.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mathml import without_source
from sites import post, run_blog, write_site

EVIL = '"><script>alert(1)</script>'
RAW = "<script>alert(1)"

# What a browser would run or load as a document: checked without the code under test.
_SCHEME = re.compile(r"^(javascript|vbscript|data:text|data:application)", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcset", "values"}

LINKS = """\
[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](&#106;avascript:alert(1))
[d](<java\tscript:alert(1)>) [e](data:text/html,<script>alert(1)</script>)
[f](&#x6A;avascript&colon;alert(1)) [g](vbscript:x) [h][ref] <javascript:alert(1)>
![i](javascript:alert(1)) ![j](data:text/html;base64,PHNjcmlwdD4=) ![k](JAVASCRIPT:x)

[ref]: javascript:alert(1)

<a href="javascript:alert(1)">l</a> <a href='&#106;avascript:alert(1)'>m</a>
<a href=" java\tscript:alert(1)">n</a> <img src="data:text/html,x"> <a href=JaVaScRiPt:x>o</a>
<object data="javascript:alert(1)"></object> <img srcset="javascript:alert(1) 1x">
<svg><a><animate attributeName="href" values="x;javascript:alert(1)"/><text>p</text></a></svg>

<div>
<a/href="javascript:alert(1)">v</a> <a title="x"href="javascript:alert(1)">w</a>
</div>

Math: $\\href{javascript:alert(1)}{q}$ $\\url{javascript:alert(1)}$ $\\href{JaVaScRiPt:x}{r}$

Fine: [s](/posts/x/) ![t](data:image/png;base64,iVBORw0KGgo=) [u](https://example.com/)
"""


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append((tag, name, value))
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")


def event_handlers(text: str) -> list[str]:
    parser = _Attributes()
    parser.feed(text)
    parser.close()
    return parser.handlers


def dangerous_urls(text: str) -> list[str]:
    parser = _Attributes()
    parser.feed(text)
    parser.close()
    found = []
    for tag, name, value in parser.urls:
        for piece in value.split(";") if name == "values" else [value]:
            if _SCHEME.match(re.sub(r"[\x00-\x20\x7f]", "", piece)):
                found.append(f"<{tag} {name}={value!r}>")
    return found


def output_files(out: Path) -> list[Path]:
    return sorted(path for path in out.rglob("*") if path.is_file())


def test_hostile_titles_tags_and_settings_are_escaped_everywhere(tmp_path: Path) -> None:
    quoted = EVIL.replace("'", "''")
    root = write_site(
        tmp_path,
        {
            "x.md": post(
                f"'{quoted}'",
                tags=f"['{quoted}', ok]",
                summary=f"'{quoted} $x$'",
                slug="x",
                body="Body.",
            ),
            "y.md": post(f"'{quoted} $y$'", "2024-01-01", slug="y", tags=f"['{quoted}']"),
        },
        f"title = '{EVIL}'\ndescription = '{EVIL}'\nauthor = '{EVIL}'\n"
        'base_url = "https://example.com/notes/"\n',
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    files = output_files(out)
    assert len(files) > 8
    for path in files:  # the theme's font is binary: compare bytes
        assert RAW.encode() not in path.read_bytes(), path
    page = (out / "posts/x/index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None
    assert html.unescape(title.group(1)) == f"{EVIL} · {EVIL}"
    escaped = "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"  # Jinja's autoescape
    assert f'<meta name="author" content="{escaped}">' in page
    assert f'<h1 class="post-title">{html.escape(EVIL)}</h1>' in page

    # The feed is well-formed XML whose text is exactly the hostile string, escaped once.
    feed = ET.parse(out / "atom.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.findtext("a:title", namespaces=ns) == EVIL
    entries = feed.findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == [EVIL, f"{EVIL} y"]
    categories = {c.get("term") for c in feed.iter("{http://www.w3.org/2005/Atom}category")}
    assert categories == {EVIL, "ok"}
    summary = entries[0].findtext("a:summary", namespaces=ns) or ""
    assert RAW not in summary  # the summary is HTML inside XML: its markup is escaped once more
    ET.parse(out / "sitemap.xml")


@pytest.mark.parametrize("raw_html", ["true", "false"])
def test_script_urls_are_dropped_from_links_images_html_and_math(
    tmp_path: Path, raw_html: str
) -> None:
    root = write_site(
        tmp_path,
        {"x.md": post("X", slug="x", body=LINKS)},
        f"[markdown]\nraw_html = {raw_html}\n",
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    for path in output_files(out):
        if path.suffix in (".html", ".xml"):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".xml":
                text = html.unescape(text)  # the feed carries each post's HTML escaped
            assert dangerous_urls(text) == [], path
    page = (out / "posts/x/index.html").read_text(encoding="utf-8")
    assert 'href="/posts/x/"' in page
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page
    assert 'href="https://example.com/"' in page
    # \href keeps its text and loses its target
    assert "<math><mi>q</mi></math>" in without_source(page)
    if raw_html == "false":
        assert "&lt;a href=&quot;javascript:alert(1)&quot;&gt;" in page
        ours = (
            '<script type="application/ld+json">',
            '<script src="/js/math-copy.js" data-live defer>',
            '<script src="/js/search-box.js" data-live defer>',
            '<script src="/js/theme.js" data-live defer>',
            '<script id="theme-choice" data-live>',  # the theme's saved scheme, in <head>
        )
        for script in ours:
            page = page.replace(script, "")
        assert "<script" not in page


def test_alt_text_and_titles_never_become_attributes(tmp_path: Path) -> None:
    # Found by the fuzzer: making an excerpt's or a feed entry's links absolute rewrote `src=`
    # inside an image's alt text, and the `"` it added closed the attribute, so `onerror` ran.
    body = (
        '![x src=y onerror=alert(1)](/a.png) [l](/b "t href=y onmouseover=alert(2)")\n\n'
        "![a <img src=z onerror=alert(3)>](img/c.png)\n"
    )
    root = write_site(
        tmp_path,
        {"x.md": post("X", slug="x", body=body, tags="[t]")},
        'base_url = "https://example.com/notes/"\n[markdown]\nraw_html = false\n',
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    checked = 0
    for path in output_files(out):
        if path.suffix in (".html", ".xml"):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".xml":
                text = html.unescape(text)  # the feed carries each post's HTML escaped
            assert event_handlers(text) == [], path
            checked += "alert(1)" in text
    assert checked >= 4  # the post, the index, the tag page and the feeds show it
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'alt="x src=y onerror=alert(1)"' in index
