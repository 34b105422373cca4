"""Highlighted code kept in `.blog-cache/code.json`: a repeated block is highlighted once, the
kept markup is what Pygments would write, and a tampered file puts nothing into a page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sites import post, run_blog, write_site

from mathblog.markdown.code_cache import CodeCache
from mathblog.markdown.highlight import highlight_code

SNIPPET = "import torch\nx = torch.randn(2, 3)  # <noise>\nprint(x @ x.T & 1)\n"
FENCE = f"```python\n{SNIPPET}```\n"

HOSTILE_MARKUP = [
    "<script>alert(1)</script>",
    '<span class="k" onclick="alert(1)">import</span>',
    "<img src=x onerror=alert(1)>",
    '<span class="k"><a href="javascript:alert(1)">x</a></span>',
    '<span class="x">a</span><svg onload=alert(1)>',
    '<span class=k onmouseover="alert(1)">x</span>',
]


def test_a_block_is_the_same_with_the_cache_and_without(tmp_path: Path) -> None:
    cache = CodeCache.for_site(tmp_path)
    plain = highlight_code(SNIPPET, "python")
    assert highlight_code(SNIPPET, "python", cache) == plain
    assert highlight_code(SNIPPET, "python", cache) == plain  # from the cache this time
    assert list(cache.drain()) == [f"python\n{SNIPPET}"]
    # A language Pygments does not know is not highlighted, so nothing is kept for it.
    assert highlight_code("x", "no-such-language", cache) == highlight_code("x", "no-such-language")
    assert cache.drain() == {}


@pytest.mark.parametrize("value", HOSTILE_MARKUP)
def test_kept_markup_that_pygments_never_writes_is_refused(tmp_path: Path, value: str) -> None:
    cache = CodeCache.for_site(tmp_path)
    cache._stored = {f"python\n{SNIPPET}": value}
    assert cache.highlighted("python", SNIPPET) is None
    assert highlight_code(SNIPPET, "python", cache) == highlight_code(SNIPPET, "python")


def test_what_pygments_writes_is_accepted_from_the_cache(tmp_path: Path) -> None:
    """Every code block of the corpus and the example site passes the check, or a warm build
    would quietly highlight them all again."""
    from mathblog.markdown.parser import create_markdown, render_body

    cache = CodeCache.for_site(tmp_path)
    md = create_markdown(raw_html=True)
    folder = Path(__file__).parent
    for pattern in ["fixtures/*.md", "corpus/notes/**/*.md", "../posts/*.md"]:
        for path in folder.glob(pattern):
            render_body(md, path.read_text(encoding="utf-8-sig"), engine=None, code_cache=cache)
    made = cache.drain()
    assert len(made) > 50
    reread = CodeCache.for_site(tmp_path)
    reread._stored = made
    assert [key for key in made if reread.highlighted(*key.split("\n", 1)) is None] == []


def test_a_build_keeps_each_block_once_and_a_tampered_file_changes_no_page(
    tmp_path: Path,
) -> None:
    posts = {"a.md": post("A", body=FENCE), "b.md": post("B", body=f"Again:\n\n{FENCE}")}
    root = write_site(tmp_path, posts)
    assert run_blog("build", cwd=root).returncode == 0
    page_a = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    assert '<span class="kn">import</span>' in page_a and "&lt;noise&gt;" in page_a
    cache_file = root / ".blog-cache/code.json"
    stored = json.loads(cache_file.read_text(encoding="utf-8"))
    assert list(stored["entries"]) == [f"python\n{SNIPPET}"]

    key = f"python\n{SNIPPET}"
    for number, value in enumerate(HOSTILE_MARKUP):
        stored["entries"][key] = value
        cache_file.write_text(json.dumps(stored), encoding="utf-8")
        edited = f"Edited {number}.\n\n{FENCE}"  # so that the post is parsed again
        (root / "posts/a.md").write_text(post("A", body=edited), encoding="utf-8")
        result = run_blog("build", cwd=root)
        assert result.returncode == 0, result.stderr
        page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
        assert "alert" not in page and "<svg" not in page and "<img src=x" not in page
        assert '<span class="kn">import</span>' in page
    assert "alert" not in cache_file.read_text(encoding="utf-8")

    # Markup of the right shape is taken as it is: the file is read, not thrown away.
    stored["entries"][key] = '<span class="nn">kept</span>'
    cache_file.write_text(json.dumps(stored), encoding="utf-8")
    (root / "posts/a.md").write_text(post("A", body=f"Once more.\n\n{FENCE}"), encoding="utf-8")
    assert run_blog("build", cwd=root).returncode == 0
    page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    assert '<code class="language-python"><span class="nn">kept</span></code>' in page
