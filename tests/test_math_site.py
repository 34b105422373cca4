"""Math across a whole built site: the formula cache, equation links, math wherever text goes."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mathml import without_source
from sitecheck import broken_references
from sites import post, run_blog, tree_digest, without_progress, write_site

from mathblog.math.cache import fingerprint
from mathblog.math.engine import engine_stamp
from mathblog.math.limits import LIMITS_VERSION

EQUATIONS = r"""
As \eqref{eq:elbo} shows, and $\ref{eq:elbo}$ again.

\begin{equation}
\log p(x) \ge \mathcal{L} \label{eq:elbo}
\end{equation}

$$ y = \textcircled{1} + \mathop{\max}\limits_{x} f \tag{中文} $$
"""


def summary_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("math: "))


def converted(stdout: str) -> int:
    match = re.search(r"(\d+) converted", summary_line(stdout))
    assert match, stdout
    return int(match.group(1))


def test_second_build_converts_no_formula_and_output_is_identical(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"a.md": post("A $\\alpha$", body=EQUATIONS), "b.md": post("B", body="$x^2$ and $y$")},
    )
    first = run_blog("build", cwd=root)
    assert first.returncode == 0, first.stderr
    assert converted(first.stdout) > 0
    digest = tree_digest(root / "public")

    second = run_blog("build", cwd=root)
    assert second.returncode == 0, second.stderr
    assert converted(second.stdout) == 0
    assert re.search(r"(\d+) formulas, 0 converted, \1 from the cache", summary_line(second.stdout))
    assert tree_digest(root / "public") == digest

    uncached = run_blog("build", "--no-cache", "--output", tmp_path / "fresh", cwd=root)
    assert uncached.returncode == 0, uncached.stderr
    assert tree_digest(tmp_path / "fresh") == digest


def test_cache_follows_edits_and_macros(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", body="$\\R^n$ and $x$")}, 'R = "x"')
    (root / "site.toml").write_text('[math.macros]\nR = "\\\\mathbb{R}"\n', encoding="utf-8")
    assert run_blog("build", cwd=root).returncode == 0
    assert "<mi>ℝ</mi>" in (root / "public/posts/a/index.html").read_text(encoding="utf-8")

    # A different macro must not reuse the conversion made under the old one.
    (root / "site.toml").write_text('[math.macros]\nR = "\\\\mathcal{R}"\n', encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert converted(result.stdout) > 0
    page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    assert "<mi>ℝ</mi>" not in page

    # An edited formula is converted; the untouched one comes from the cache.
    (root / "posts/a.md").write_text(post("A", body="$\\R^n$ and $z$"), encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert converted(result.stdout) == 1


def test_damaged_cache_is_ignored(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", body="$x$")})
    assert run_blog("build", cwd=root).returncode == 0
    (root / ".blog-cache/math.json").write_text("{not json", encoding="utf-8")
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    page = without_source((root / "public/posts/a/index.html").read_text("utf-8"))
    assert "<math><mi>x</mi></math>" in page


def test_eqref_links_to_its_equation_on_the_post_page(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", body=EQUATIONS)})
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert without_progress(result.stderr) == []
    page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    assert '<a class="eqref" href="#eq-elbo">(1)</a>' in page
    assert '<a class="eqref" href="#eq-elbo">1</a>' in page
    assert 'id="eq-elbo"><mtext>(1)</mtext>' in page
    assert "<mtext>(中文)</mtext>" in page
    assert "<mi>①</mi>" in page
    assert broken_references(root / "public", "https://example.com/") == []


def test_math_everywhere_text_goes(tmp_path: Path) -> None:
    title = "'RoPE 中的 $\\theta_i$ & <b>'"
    # Two headings: a table of contents is shown from two entries on.
    body = "旋转角 $\\theta_i = 10000^{-2i/d}$ 决定频率。\n\n## 频率 $\\omega$\n\n更多内容。"
    body += "\n\n## 小结"
    root = write_site(
        tmp_path,
        {"r.md": post(title, slug="rope", tags="[RoPE]", body=body)},
        'base_url = "https://example.com/notes/"\n',
    )
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "public"
    page = without_source((out / "posts/rope/index.html").read_text(encoding="utf-8"))
    assert "<title>RoPE 中的 \\theta_i &amp; &lt;b&gt; · " in page
    assert 'content="旋转角 \\theta_i = 10000^{-2i/d} 决定频率。 更多内容。"' in page
    theta = "<math><msub><mi>θ</mi><mi>i</mi></msub></math>"
    assert f'<h1 class="post-title">RoPE 中的 {theta} &amp; &lt;b&gt;</h1>' in page
    # the heading and its TOC entry both carry the formula
    assert re.search(r"<h2 id=[^>]*>频率 <math><mi>ω</mi></math>", page)
    assert re.search(r'<a href="#[^"]*">频率 <math><mi>ω</mi></math></a>', page)
    for listing in ("index.html", "tags/rope/index.html"):
        html = without_source((out / listing).read_text(encoding="utf-8"))
        assert "旋转角 <math><msub><mi>θ</mi><mi>i</mi></msub>" in html, listing
    feed = ET.parse(out / "atom.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = feed.find("a:entry", ns)
    assert entry is not None
    assert entry.findtext("a:title", namespaces=ns) == "RoPE 中的 \\theta_i & <b>"
    assert "<math><msub><mi>θ</mi>" in without_source(entry.findtext("a:summary", "", ns))
    assert "<math><msub><mi>θ</mi>" in without_source(entry.findtext("a:content", "", ns))
    for path in out.rglob("*.html"):
        text = re.sub(r"<(code|pre|title)[^>]*>.*?</\1>", "", path.read_text("utf-8"), flags=re.S)
        text = re.sub(r'content="[^"]*"', "", text)
        assert not re.search(r"\$[^$\s][^$]*\$", text), path


def test_strict_fails_on_unknown_label(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", body="See \\eqref{nope}.")})
    result = run_blog("build", "--strict", cwd=root)
    assert result.returncode == 1
    assert "error: posts/a.md:5:5: math: \\eqref{nope}: no numbered equation" in result.stderr
    assert not (root / "public").exists()


def test_reading_time_and_counts_on_the_post_page(tmp_path: Path) -> None:
    body = "中" * 800 + "\n\n" + " ".join(["word"] * 200)
    root = write_site(tmp_path, {"a.md": post("A", body=body)}, 'language = "zh-CN"\n')
    assert run_blog("build", cwd=root).returncode == 0
    page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    assert "<span>800 字</span>" in page
    assert "<span>200 个英文词</span>" in page
    assert "<span>约 3 分钟</span>" in page


def test_pathological_formulas_end_in_an_error_not_a_hang(tmp_path: Path) -> None:
    nested = "$" + "\\sqrt{" * 10_000 + "x" + "}" * 10_000 + "$"
    chain = "$$" + "\\underbrace{a}_{b}" * 10_000 + "$$"
    deep_braces = "$$" + "\\underbrace{" * 2_000 + "a" + "}_{b}" * 2_000 + "$$"
    body = f"{nested}\n\n{chain}\n\n{deep_braces}\n\nStill here $x$."
    root = write_site(tmp_path, {"a.md": post("A", body=body)})
    result = run_blog("build", cwd=root)  # run_blog gives up after 120 s
    assert result.returncode == 0, result.stderr
    assert "posts/a.md:5:1: math: formula nested deeper than 256 levels" in result.stderr
    assert "posts/a.md:7:1: math: formula longer than 50,000 characters" in result.stderr
    assert "posts/a.md:9:1: math: formula nested deeper than 256 levels" in result.stderr
    page = without_source((root / "public/posts/a/index.html").read_text(encoding="utf-8"))
    assert "Still here <math><mi>x</mi></math>." in page


def test_unclosed_brackets_end_in_an_error_not_a_hang(tmp_path: Path) -> None:
    # Found by fuzz/fuzz_render.py: math-core's time doubles with each unclosed `(`; 83 of
    # them in one formula never finished.
    body = "Before.\n\n\\begin{equation}\nw " + "(" * 83 + "\\ge 0\n\\end{equation}\n\nAfter $x$."
    root = write_site(tmp_path, {"a.md": post("A", body=body)})
    result = run_blog("build", cwd=root)  # run_blog gives up after 120 s
    assert result.returncode == 0, result.stderr
    assert (
        "warning: posts/a.md:7:1: math: more than 16 brackets left open in one group"
        in result.stderr.splitlines()
    )
    page = without_source((root / "public/posts/a/index.html").read_text(encoding="utf-8"))
    assert "After <math><mi>x</mi></math>." in page


def test_formulas_cached_before_the_mathml_fixes_are_converted_again(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"a.md": post("A", body="$\\vec{x}$ and $y$")})
    assert run_blog("build", cwd=root).returncode == 0
    # The cache as the build before the fixes wrote it: its fingerprint (rewrites version "1")
    # and math-core's own `\vec`, the combining arrow that is drawn left of the letter.
    cache = root / ".blog-cache/math.json"
    entries = json.loads(cache.read_text(encoding="utf-8"))["entries"]
    entries["I\\vec{x}"] = entries["I\\vec{x}"].replace("\u2192", "\u20d7")
    old = fingerprint(engine_stamp(), "1", LIMITS_VERSION, {})
    cache.write_text(json.dumps({"fingerprint": old, "entries": entries}), encoding="utf-8")
    # An edit, so the post is parsed again (its parse is cached apart from its formulas).
    (root / "posts/a.md").write_text(post("A", body="$\\vec{x}$ and $y$."), encoding="utf-8")

    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert converted(result.stdout) == 2
    page = (root / "public/posts/a/index.html").read_text(encoding="utf-8")
    assert '<mo stretchy="false">\u2192</mo>' in page
    assert "\u20d7" not in page


def test_ambiguous_delimiters_are_warnings_at_file_line_and_text_on_the_page(
    tmp_path: Path,
) -> None:
    body = "Prices $5 and $10, $ W_2 $ is the width.\n\nsay $5 = x $ here, and \\(x+y\\) there\n"
    root = write_site(tmp_path, {"a.md": post("A", body=body)})
    expected = [
        "warning: posts/a.md:7:5: math: `$5 = x $` is left as text",
        "warning: posts/a.md:7:24: math: `\\(x+y\\)` is left as text",
    ]
    for _ in range(2):  # the second build reads the post from the cache and warns again
        result = run_blog("build", cwd=root)
        assert result.returncode == 0, result.stderr
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert [w.split(" is left")[0] + " is left as text" for w in warnings] == expected
    page = without_source((root / "public/posts/a/index.html").read_text(encoding="utf-8"))
    assert "Prices $5 and $10, <math><msub><mi>W</mi><mn>2</mn></msub></math> is" in page
    assert "say $5 = x $ here, and (x+y) there" in page
    assert run_blog("build", "--strict", cwd=root).returncode != 0
