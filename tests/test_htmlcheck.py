"""The HTML checks the property tests and the fuzzer rely on can fail: each kind of broken HTML
is reported, and well-formed HTML is not."""

from __future__ import annotations

import pytest
from htmlcheck import duplicate_ids, html_problems

BROKEN = [
    ("<p><em>x</p></em>", ["</p> closes <em>", "</em> closes <>"]),
    ("<p>x", ["never closed: <p>"]),
    ("<ul><li>a</ul>", ["</ul> closes <li>"]),
    ("<p>a < b</p>", ["a bare < in the text at 1:5"]),
    ("<p>1 <2</p>", ["a bare < in the text at 1:5"]),
    ('<p>x</p>\n<a href="y', ["a bare < in the text at 2:0"]),
    ("<p>中 <文</p>", ["a bare < in the text at 1:5"]),
    ("<?php echo 1 ?>", ["<?php echo 1 ?>, which HTML reads as a bogus comment"]),
    ("<![CDATA[x]]>", ["<![CDATA[x…, which HTML reads as a bogus comment"]),
    ("<script>alert(1)</script>", ["a <script> element"]),
    ('<img src="x" onerror="alert(1)">', ["event handler in <img onerror=…>"]),
    ('<a href="java\tscript:x">y</a>', ["script URL in <a href='java\\tscript:x'>"]),
    ('<a href="&#106;avascript:x">y</a>', ["script URL in <a href='javascript:x'>"]),
]
WELL_FORMED = [
    "<p>a &lt; b &amp; c &gt; d</p>",
    "<p>x<br>y<img src=z alt=''></p>",
    "<!-- a comment --><p>x</p>",
    '<pre><code class="language-py">if a &lt; b: pass\n</code></pre>',
    '<math display="block"><mi>x</mi><mo>&lt;</mo><mspace width="1em"/></math>',
    "<p>中文，<strong>English</strong>。</p>",
    "",
]


@pytest.mark.parametrize(("html", "problems"), BROKEN, ids=[html for html, _ in BROKEN])
def test_broken_html_is_reported(html: str, problems: list[str]) -> None:
    assert html_problems(html, balanced=True) == problems


@pytest.mark.parametrize("html", WELL_FORMED)
def test_well_formed_html_passes(html: str) -> None:
    assert html_problems(html, balanced=True) == []


def test_raw_html_is_only_checked_for_script_urls() -> None:
    """Raw HTML a post writes may be unbalanced, so without `balanced` only script URLs count."""
    assert html_problems("<div><p>a < b", balanced=False) == []
    assert html_problems("<a href='javascript:x'>", balanced=False) == [
        "script URL in <a href='javascript:x'>"
    ]


def test_duplicate_ids_are_found() -> None:
    assert duplicate_ids('<h2 id="a">x</h2><p id="b"></p><h3 id="a">y</h3>') == ["a"]
    assert duplicate_ids('<h2 id="a">x</h2><h3 id="b">y</h3>') == []
