"""`blog check`: every problem at its file:line, exit 1; a clean site exits 0; nothing written."""

from __future__ import annotations

from pathlib import Path

from sites import copy_example_site, post, run_blog, write_site

BROKEN = """\
## 基本思路

See [a missing post](/posts/nope/) here.

A [broken anchor](#不存在), [good](#基本思路), [encoded](#%E5%9F%BA%E6%9C%AC%E6%80%9D%E8%B7%AF).

![diagram](/img/missing.png) and ![fine](/img/ok.png)

<span id="dup">one</span> <span id="dup">two</span>

Broken $\\frac{1$ formula.

To [B's section](/posts/b/#第二节) and [B's nothing](/posts/b/#没有), [home](/), [feed](/atom.xml).

<p id="main">Raw HTML that takes the theme's id.</p>
"""


def broken_site(root: Path, config: str = "") -> Path:
    site = write_site(
        root,
        {
            "a.md": post("A", "2024-05-01", BROKEN),
            "b.md": post(
                "B", "2024-05-02", "## 第二节\n\nBack to [A](/posts/a/) [x](https://x.org/y)."
            ),
        },
        config,
    )
    (site / "static/img").mkdir(parents=True)
    (site / "static/img/ok.png").write_bytes(b"png")
    return site


EXPECTED = [
    "posts/a.md:7: broken link: /posts/nope/ (no such page or file in the site)",
    "posts/a.md:9: broken link: #不存在 (no id '不存在' on posts/a/)",
    "posts/a.md:11: missing image: /img/missing.png (no such page or file in the site)",
    "posts/a.md:13: duplicate id 'dup': 2 elements of the page have it",
    'posts/a.md:15:16: math: Expected closing token "}", but reached end of input.',
    "posts/a.md:17: broken link: /posts/b/#没有 (no id '没有' on posts/b/)",
    # Raw HTML that takes the theme's own id (<main id="main">).
    "posts/a.md:19: duplicate id 'main': 2 elements of the page have it",
]


def problems(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if not line.startswith("  hint:")]


def test_every_problem_is_reported_at_its_line(tmp_path: Path) -> None:
    site = broken_site(tmp_path / "site")
    result = run_blog("check", cwd=site)
    assert result.returncode == 1, result.stdout + result.stderr
    assert problems(result.stdout) == EXPECTED
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("check failed: 7 problems in 1 file (2 posts, ")
    assert "hint: put images in static/" in result.stdout
    assert not (site / "public").exists()


def test_under_a_sub_path_the_lines_are_the_same(tmp_path: Path) -> None:
    site = broken_site(tmp_path / "site", 'base_url = "https://me.github.io/notes/"\n')
    result = run_blog("check", "-s", site, cwd=tmp_path)
    assert result.returncode == 1
    assert problems(result.stdout) == EXPECTED


def test_a_link_outside_the_base_path(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {"a.md": post("A", body="Up [one](https://me.github.io/other/) [two](../../..).")},
        'base_url = "https://me.github.io/notes/"\n',
    )
    result = run_blog("check", cwd=site)
    assert result.returncode == 1
    assert problems(result.stdout) == [
        "posts/a.md:5: broken link: https://me.github.io/other/ is outside the site (/notes/)",
        "posts/a.md:5: broken link: ../../.. is outside the site (/notes/)",
    ]


def test_a_template_problem_names_the_template_and_the_pages(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {"a.md": post("A"), "b.md": post("B", "2024-01-01")},
        templates__post_html="""\
            {% extends "base.html" %}
            {% block head %}<link rel="stylesheet" href="{{ url('css/nope.css') }}">{% endblock %}
            """,
    )
    (site / "templates/post_html").rename(site / "templates/post.html")
    result = run_blog("check", cwd=site)
    assert result.returncode == 1
    [problem] = problems(result.stdout)
    assert problem.startswith(
        "templates/post.html: missing stylesheet: /css/nope.css (no such page or file in the "
        "site); on the page posts/a/index.html (line "
    )
    assert problem.endswith(") and 1 more page")


def test_drafts_are_checked_with_the_flag_and_linking_to_one_is_broken_without(
    tmp_path: Path,
) -> None:
    site = write_site(
        tmp_path / "site",
        {
            "a.md": post("A", body="Soon: [the draft](/posts/d/)."),
            "d.md": post("D", draft="true", body="Bad $\\frac{$."),
        },
    )
    result = run_blog("check", cwd=site)
    assert problems(result.stdout) == [
        "posts/a.md:5: broken link: /posts/d/ (no such page or file in the site)"
    ]
    result = run_blog("check", "--drafts", cwd=site)
    assert result.returncode == 1
    assert [line.split(": math:")[0] for line in problems(result.stdout)] == ["posts/d.md:6:12"]


def test_a_site_that_cannot_be_built_is_an_error(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"a.md": "---\ntitle: [\n---\n"})
    result = run_blog("check", cwd=site)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("error: posts/a.md:2: front matter:")
    assert result.stderr.splitlines()[-1] == "check failed: 1 error stops the build"


def test_a_clean_site_passes_and_nothing_is_written(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {
            "扩散 模型.md": post("扩散", tags="[扩散模型]", body="## 小结\n\n[上面](#小结) $x$"),
            "b.md": post("B", "2024-01-01", body="[扩散](/posts/扩散-模型/#小结)"),
        },
    )
    (site / "public").mkdir()
    (site / "public/keep.txt").write_text("untouched", encoding="utf-8")
    result = run_blog("check", cwd=site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("checked 2 posts, ")
    assert result.stdout.endswith(": no problems\n")
    assert len(result.stdout.splitlines()) == 1
    assert [p.name for p in (site / "public").iterdir()] == ["keep.txt"]


def test_the_example_site_passes(tmp_path: Path) -> None:
    copy_example_site(tmp_path)
    result = run_blog("check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "public").exists()


def test_malformed_raw_html_does_not_stop_the_check(tmp_path: Path) -> None:
    # Found by the fuzzer: Python's HTML parser raised AssertionError on these `<![`.
    body = "<div>\n<![\x0b## </a>\n</div>\n\n<div>\n<![foo[ x ]]>\n</div>\n"
    site = write_site(tmp_path / "site", {"a.md": post("A", body=body)})
    result = run_blog("check", cwd=site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
