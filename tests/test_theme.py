"""The reader's theme as built HTML and CSS: the favicon and its override, the header's search
form and light/dark switch, which TOC a post shows, figures, heading anchors, excerpts without
display equations, and code colours that reach WCAG's 4.5:1 in both schemes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sites import REPO, post, run_blog, write_site

from mathblog.markdown import highlight

STYLE_CSS = REPO / "src/mathblog/theme/static/css/style.css"


def build(root: Path) -> Path:
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "public"


def page(public: Path, path: str) -> str:
    return (public / path).read_text(encoding="utf-8")


# --- favicon ------------------------------------------------------------------------------------


def test_every_page_links_the_themes_favicon_which_is_published(tmp_path: Path) -> None:
    public = build(write_site(tmp_path, {"a.md": post("A")}, 'title = "T"\nbase_url = "/blog/"\n'))
    icon = '<link rel="icon" href="/blog/favicon.svg" type="image/svg+xml">'
    for path in ("index.html", "posts/a/index.html", "tags/index.html", "404.html"):
        assert icon in page(public, path), path
    assert (public / "favicon.svg").read_text(encoding="utf-8").startswith("<svg")


def test_a_sites_own_favicon_svg_replaces_the_themes(tmp_path: Path) -> None:
    own = '<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>\n'
    root = write_site(tmp_path, {"a.md": post("A")}, 'title = "T"\n')
    (root / "static").mkdir()
    (root / "static/favicon.svg").write_text(own, encoding="utf-8")
    public = build(root)
    assert (public / "favicon.svg").read_text(encoding="utf-8") == own
    assert 'href="/favicon.svg" type="image/svg+xml"' in page(public, "index.html")


def test_a_favicon_png_added_later_is_linked_by_every_page_on_the_next_build(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path, {"a.md": post("A")}, 'title = "T"\n')
    build(root)
    (root / "static").mkdir()
    (root / "static/favicon.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    public = build(root)  # the pages are not carried over: their icon changed
    for path in ("index.html", "posts/a/index.html"):
        assert '<link rel="icon" href="/favicon.png" type="image/png">' in page(public, path)


# --- header ---------------------------------------------------------------------------------


def test_the_header_has_a_search_form_to_the_search_page_and_a_hidden_theme_switch(
    tmp_path: Path,
) -> None:
    public = build(write_site(tmp_path, {"a.md": post("A")}, 'title = "T"\nbase_url = "/blog/"\n'))
    html = page(public, "posts/a/index.html")
    header = html[html.index('<header class="site-header">') : html.index("</header>")]
    assert re.search(r'<form class="site-search" role="search" action="/blog/search/"', header)
    assert '<input type="search" name="q"' in header
    # Shown by js/theme.js: without script it could not work.
    assert re.search(r'<button type="button" class="theme-toggle"[^>]* hidden>', header)
    assert '<script src="/blog/js/theme.js" data-live defer></script>' in html
    # The saved choice is applied in <head>, before the stylesheets draw anything.
    head = html[: html.index("</head>")]
    assert head.index('localStorage.getItem("theme")') < head.index('rel="stylesheet"')


def test_the_copy_script_is_loaded_only_on_pages_with_code(tmp_path: Path) -> None:
    code = "```python\nprint(1)\n```\n"
    posts = {"code.md": post("Code", body=code), "prose.md": post("Prose", date="2024-04-01")}
    public = build(write_site(tmp_path, posts, 'title = "T"\nlanguage = "zh-CN"\n'))
    with_code = page(public, "posts/code/index.html")
    assert 'src="/js/code-copy.js" data-live data-copy="复制" data-copied="已复制"' in with_code
    assert '<pre class="highlight" data-lang="python">' in with_code
    assert "code-copy.js" not in page(public, "posts/prose/index.html")
    assert "code-copy.js" not in page(public, "tags/index.html")


# --- table of contents ----------------------------------------------------------------------


def toc_of(html: str) -> list[str]:
    """The TOC's link targets, or [] when the page shows none."""
    match = re.search(r'<details class="toc".*?</details>', html, re.DOTALL)
    return re.findall(r'href="#([^"]+)"', match.group(0)) if match else []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("## Only\n\ntext\n", []),
        ("## One\n\ntext\n\n## Two\n\ntext\n", ["one", "two"]),
        ("## One\n\n### One a\n", ["one", "one-a"]),
        # A body that opens with the title again: that entry goes, its sections stay.
        ("# Moving In\n\n## One\n\n## Two\n", ["one", "two"]),
        ("# moving  in\n\n## One\n\n## Two\n", ["one", "two"]),
        ("# Moving In\n\n## One\n", []),
        ("# Moving In\n\ntext only\n", []),
    ],
)
def test_a_post_shows_a_toc_of_two_entries_or_more_never_repeating_its_title(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    public = build(write_site(tmp_path, {"a.md": post("Moving In", body=body)}, 'title = "T"\n'))
    assert toc_of(page(public, "posts/a/index.html")) == expected


# --- figures and anchors --------------------------------------------------------------------


def test_an_image_with_a_title_alone_in_its_paragraph_is_a_figure_with_its_caption(
    tmp_path: Path,
) -> None:
    body = (
        '![A plot](/plot.png "Loss <b>curve</b> & more")\n\n'
        '![Inline](/i.png "tip") among words.\n\n'
        "![No title](/n.png)\n\n"
        '- ![In a list](/l.png "listed")\n'
    )
    public = build(write_site(tmp_path, {"a.md": post("A", body=body)}, 'title = "T"\n'))
    html = page(public, "posts/a/index.html")
    assert (
        '<figure><img src="/plot.png" alt="A plot" />'
        "<figcaption>Loss &lt;b&gt;curve&lt;/b&gt; &amp; more</figcaption></figure>"
    ) in html
    assert '<p><img src="/i.png" alt="Inline" title="tip" /> among words.</p>' in html
    assert '<p><img src="/n.png" alt="No title" /></p>' in html
    assert '<li><img src="/l.png" alt="In a list" title="listed" /></li>' in html
    assert html.count("<figure>") == 1


def test_heading_anchors_hidden_from_screen_readers_are_out_of_the_tab_order(
    tmp_path: Path,
) -> None:
    public = build(write_site(tmp_path, {"a.md": post("A", body="## Part\n")}, 'title = "T"\n'))
    anchors = re.findall(r'<a class="heading-anchor"[^>]*>', page(public, "posts/a/index.html"))
    assert anchors == ['<a class="heading-anchor" href="#part" aria-hidden="true" tabindex="-1">']


# --- cards ----------------------------------------------------------------------------------


def card_excerpts(html: str) -> list[str]:
    return re.findall(r'<div class="excerpt">(.*?)</div>\s*<footer>', html, re.DOTALL)


def test_a_card_carries_no_display_equation_but_keeps_inline_math(tmp_path: Path) -> None:
    body = (
        "Opening words with $x^2$ inline.\n\n$$\\sum_{i=1}^n i$$\n\n"
        "A line with a formula of its own $$\\int_0^1 f$$ in it.\n\n$$a = b$$\n\nThe end.\n"
    )
    more = "First part $$\\frac{a}{b}$$ shown.\n\n$$c = d$$\n\n<!-- more -->\n\nThe rest.\n"
    posts = {"a.md": post("A", body=body), "b.md": post("B", date="2024-04-01", body=more)}
    public = build(write_site(tmp_path, posts, 'title = "T"\n'))
    html = page(public, "index.html")
    excerpts = card_excerpts(html)
    assert len(excerpts) == 2
    for excerpt in excerpts:
        assert 'display="block"' not in excerpt
        assert "math-display" not in excerpt
        assert "<p></p>" not in excerpt
    assert "<math" in excerpts[0] and "Opening words" in excerpts[0] and "The end" in excerpts[0]
    assert "First part" in excerpts[1] and "The rest" not in excerpts[1]
    # The post itself keeps every equation.
    assert page(public, "posts/a/index.html").count('display="block"') == 3


# --- code colours ---------------------------------------------------------------------------

RULE = re.compile(r"^\s*(?P<selector>[^{@\s][^{]*)\{(?P<body>[^}]*)\}", re.MULTILINE)
COLOR = re.compile(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})\b")
BACKGROUND = re.compile(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})\b")


def scheme_rules(css: str) -> dict[str, dict[str, str]]:
    """Each scheme's token rules: {scheme: {token class: rule body}}."""
    rules: dict[str, dict[str, str]] = {"light": {}, "dark": {}, "system-dark": {}}
    for match in RULE.finditer(css):
        selector = match.group("selector").strip()
        if selector.startswith(highlight.DARK_CHOSEN):
            scheme, selector = "dark", selector.removeprefix(highlight.DARK_CHOSEN).strip()
        elif selector.startswith(highlight.DARK_BY_SYSTEM):
            scheme, selector = (
                "system-dark",
                selector.removeprefix(highlight.DARK_BY_SYSTEM).strip(),
            )
        else:
            scheme = "light"
        token = selector.removeprefix(".highlight").strip().lstrip(".") or "(base)"
        rules[scheme][token] = match.group("body")
    return rules


def theme_colour(name: str, scheme: str) -> str:
    """A colour variable of style.css: the first value in :root, or in its dark block."""
    css = STYLE_CSS.read_text(encoding="utf-8")
    block = css[css.index(':root[data-theme="dark"] {') :] if scheme != "light" else css
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", block)
    assert match, name
    return match.group(1)


def test_the_code_backgrounds_the_colours_are_checked_against_are_the_themes() -> None:
    assert theme_colour("code-bg", "light") == highlight.LIGHT_CODE_BACKGROUND
    assert theme_colour("code-bg", "dark") == highlight.DARK_CODE_BACKGROUND


def test_every_highlight_colour_reaches_4_5_to_1_on_the_code_background_in_both_schemes() -> None:
    rules = scheme_rules(highlight.stylesheet())
    assert rules["dark"] == rules["system-dark"]
    assert len(rules["light"]) > 50 and len(rules["dark"]) > 50
    backgrounds = {"light": highlight.LIGHT_CODE_BACKGROUND, "dark": highlight.DARK_CODE_BACKGROUND}
    failing = []
    for scheme in ("light", "dark"):
        for token, body in rules[scheme].items():
            own = BACKGROUND.search(body)
            background = own.group(1) if own and token != "(base)" else backgrounds[scheme]
            for colour in COLOR.findall(body):
                ratio = highlight.contrast(colour, background)
                if ratio < 4.5:
                    failing.append(f"{scheme} .{token} {colour} on {background}: {ratio:.2f}")
    assert failing == []


def fenced_code(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```([^\n`]*)\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def test_every_token_kind_in_the_example_site_and_corpus_code_is_readable_in_both_schemes() -> None:
    sources = [*(REPO / "posts").rglob("*.md"), *(REPO / "tests/corpus").rglob("*.md")]
    emitted: set[str] = set()
    for source in sources:
        for info, code in fenced_code(source.read_text(encoding="utf-8")):
            if highlight.language_of(info):
                emitted |= set(
                    re.findall(r'<span class="([\w-]+)">', highlight.highlight_code(code, info))
                )
    assert {"c1", "k", "mi"} <= emitted  # comments, keywords, numbers: the corpus has them
    rules = scheme_rules(highlight.stylesheet())
    body_text = {"light": theme_colour("fg", "light"), "dark": "#e6edf3"}
    backgrounds = {"light": highlight.LIGHT_CODE_BACKGROUND, "dark": highlight.DARK_CODE_BACKGROUND}
    failing = []
    for scheme in ("light", "dark"):
        for token in sorted(emitted):
            colours = COLOR.findall(rules[scheme].get(token, ""))
            colour = colours[0] if colours else body_text[scheme]  # inherited from the block
            if highlight.contrast(colour, backgrounds[scheme]) < 4.5:
                failing.append(f"{scheme} .{token} {colour}")
    assert failing == []
    assert COLOR.findall(rules["dark"]["(base)"]) == [body_text["dark"].upper()]


def test_code_has_tab_width_4_and_no_slanted_cjk() -> None:
    css = STYLE_CSS.read_text(encoding="utf-8")
    assert re.search(r"pre, pre\.highlight \{[^}]*tab-size: 4;", css)
    assert re.search(r":lang\(zh\)[^{]*, pre, code \{ font-synthesis: weight; \}", css)


def test_tag_names_keep_their_case(tmp_path: Path) -> None:
    public = build(write_site(tmp_path, {"a.md": post("A", tags="[Transformer]")}, 'title = "T"'))
    assert "#Transformer" in page(public, "tags/transformer/index.html")
    css = STYLE_CSS.read_text(encoding="utf-8")
    heading = re.search(r"\.page-heading \{[^}]*\}", css)
    assert heading and "uppercase" not in heading.group(0)
