"""Bad input: a `file:line: message` with a hint, exit 1, and the previous output untouched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from mathml import without_source
from sites import post, run_blog, tree_digest, without_progress, write_site

GOOD = post("Good", body="Fine $x$.")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_site(tmp_path_factory.mktemp("built") / "site", {"good.md": GOOD}, 'title = "T"\n')
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def site(tmp_path: Path, built_site: Path) -> Path:
    """A good site with its output, to break: a copy of one built once for the whole module
    (a build is a process; a copy moved elsewhere parses its posts again, as a moved site does)."""
    return shutil.copytree(built_site, tmp_path / "site", symlinks=True)


def build_fails_with(root: Path, *expected_lines: str) -> str:
    """Build, expect exit 1 with each expected line on stderr and public/ unchanged."""
    before = tree_digest(root / "public")
    result = run_blog("build", cwd=root)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.splitlines()
    for expected in expected_lines:
        assert expected in lines, f"{expected!r} not in:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert lines[-1].startswith("build failed:") and lines[-1].endswith("nothing was written")
    assert tree_digest(root / "public") == before
    return result.stderr


def add_post(root: Path, name: str, text: str) -> None:
    (root / "posts" / name).write_text(text, encoding="utf-8")


def test_broken_yaml_names_the_file_and_its_real_line(site: Path) -> None:
    add_post(site, "bad.md", "---\ndate: 2024-01-01\ntitle: RoPE: a derivation\n---\nbody\n")
    stderr = build_fails_with(
        site, "error: posts/bad.md:3: front matter: mapping values are not allowed here"
    )
    assert "hint: quote values" in stderr


def test_backslash_in_double_quotes_is_explained(site: Path) -> None:
    add_post(site, "bad.md", '---\ntitle: "Loss $\\mathcal{L}$"\ndate: 2024-01-01\n---\n')
    stderr = build_fails_with(
        site, "error: posts/bad.md:2: front matter: found unknown escape character 'm'"
    )
    assert "write TeX in single quotes" in stderr


def test_a_file_name_that_is_not_utf8_is_named_not_a_traceback(site: Path) -> None:
    (site / "posts" / os.fsdecode(b"caf\xe9.md")).write_text(GOOD, encoding="utf-8")
    stderr = build_fails_with(
        site, "error: posts/caf\\xe9.md: file name is not valid UTF-8 or holds a control character"
    )
    assert "hint: rename it" in stderr


def test_a_newline_in_a_static_file_name_is_an_error(site: Path) -> None:
    (site / "static").mkdir()
    (site / "static" / "a\nb.png").write_bytes(b"x")
    build_fails_with(
        site, "error: static/a\\nb.png: file name is not valid UTF-8 or holds a control character"
    )


def test_tab_from_double_quoted_theta_is_caught(site: Path) -> None:
    add_post(site, "bad.md", '---\ntitle: "RoPE $\\theta$"\ndate: 2024-01-01\n---\n')
    build_fails_with(site, "error: posts/bad.md:2: `title` contains a control character '\\t'")


def test_half_a_surrogate_pair_is_an_error_not_a_crash(site: Path) -> None:
    add_post(site, "bad.md", '---\ntitle: ok\ndate: 2024-01-01\ntags: ["a\\ud83d"]\n---\n')
    stderr = build_fails_with(
        site,
        "error: posts/bad.md:4: `tags` contains half of a UTF-16 surrogate pair (a \\u escape)",
    )
    assert "hint: write the character itself" in stderr


def test_every_bad_field_is_reported_at_once(site: Path) -> None:
    add_post(
        site,
        "bad.md",
        "---\ntitle: ok\ndate: 2016-25-35\nslug: ../x\ndraft: maybe\nupdated: soon\n---\n",
    )
    build_fails_with(
        site,
        "error: posts/bad.md:3: `date` is not a valid date: '2016-25-35'",
        "error: posts/bad.md:4: `slug` '../x' cannot be used in a URL",
        "error: posts/bad.md:5: `draft` must be true or false",
        "error: posts/bad.md:6: `updated` is not a valid date: 'soon'",
    )


def test_missing_title_and_date(site: Path) -> None:
    add_post(site, "bad.md", "---\ntags: [a]\n---\nbody\n")
    build_fails_with(
        site,
        "error: posts/bad.md:1: front matter needs a `title`",
        "error: posts/bad.md:1: front matter needs a `date`",
    )


def test_unclosed_front_matter(site: Path) -> None:
    add_post(site, "bad.md", "---\ntitle: x\ndate: 2024-01-01\n\nbody\n")
    stderr = build_fails_with(
        site, "error: posts/bad.md:1: front matter opened with --- on line 1 is never closed"
    )
    assert "did you forget the closing ---" in stderr


def test_no_front_matter(site: Path) -> None:
    add_post(site, "bad.md", "# Just a heading\n")
    build_fails_with(site, "error: posts/bad.md:1: missing front matter")


def test_deeply_nested_front_matter_is_an_error_not_a_crash(site: Path) -> None:
    # Found by the fuzzer: PyYAML composes nested collections recursively.
    add_post(site, "bad.md", "---\ntitle: x\ntags: " + "[" * 5_000 + "\n---\nbody\n")
    stderr = build_fails_with(site, "error: posts/bad.md:2: front matter: nested too deeply")
    assert "RecursionError" not in stderr


def test_python_tags_are_refused(site: Path) -> None:
    add_post(
        site, "bad.md", "---\ntitle: !!python/object/apply:os.system [ls]\ndate: 2024-01-01\n---\n"
    )
    stderr = build_fails_with(site)
    assert "posts/bad.md:2: front matter: could not determine a constructor" in stderr


def test_yaml_1_1_words_stay_strings(site: Path) -> None:
    add_post(site, "no.md", "---\ntitle: no\ndate: 2024-01-02\ntags: [on, 2024]\n---\nx\n")
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    html = (site / "public/posts/no/index.html").read_text(encoding="utf-8")
    assert '<h1 class="post-title">no</h1>' in html
    assert (site / "public/tags/on/index.html").is_file()
    assert (site / "public/tags/2024/index.html").is_file()


def test_two_posts_on_one_url_name_both_files(site: Path) -> None:
    add_post(site, "other.md", post("Other", slug="good"))
    build_fails_with(
        site,
        "error: posts/other.md:1: posts/other.md and posts/good.md both want the URL /posts/good/",
    )


def test_non_utf8_post(site: Path) -> None:
    (site / "posts/latin1.md").write_bytes(post("Caf\xe9").encode("latin-1"))
    build_fails_with(site, "error: posts/latin1.md:2: not valid UTF-8 (byte 0xe9)")


def test_bom_and_crlf_are_accepted(site: Path) -> None:
    text = "\ufeff---\r\ntitle: Windows\r\ndate: 2024-01-03\r\n---\r\nLine $x_1$.\r\n"
    (site / "posts/win.md").write_bytes(text.encode("utf-8"))
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    html = without_source((site / "public/posts/win/index.html").read_text(encoding="utf-8"))
    assert "<math><msub><mi>x</mi><mn>1</mn></msub></math>" in html


def test_site_toml_problems_all_at_once(site: Path) -> None:
    (site / "site.toml").write_text(
        'title = 3\nper_page = 0\nfoo = 1\nlanguage = "fr"\ntimezone = "Mars/Base"\n'
        'feed_limit = "all"\n[math]\nmacros = 3\n[markdown]\nraw = true\n',
        encoding="utf-8",
    )
    build_fails_with(
        site,
        "error: site.toml:1: `title` must be a string",
        "error: site.toml:2: `per_page` must be a whole number ≥ 1",
        "error: site.toml:3: `foo` is not a known setting",
        "error: site.toml:4: `language` must be one of zh-CN, en",
        "error: site.toml:5: `timezone` is not a known time zone (e.g. Asia/Shanghai, UTC)",
        "error: site.toml:6: `feed_limit` must be a whole number ≥ 1",
        "error: site.toml:8: `math.macros` must be a table",
        "error: site.toml:10: `markdown.raw` is not a known setting",
    )


def test_invalid_toml(site: Path) -> None:
    (site / "site.toml").write_text('title = "T"\nbase_url = "https://x.io\n', encoding="utf-8")
    stderr = build_fails_with(site)
    assert "error: site.toml:2: invalid TOML:" in stderr


def test_output_dir_over_the_sources_is_refused(site: Path) -> None:
    (site / "site.toml").write_text('output_dir = "posts"\n', encoding="utf-8")
    build_fails_with(site, "error: site.toml:1: `output_dir` 'posts' would overwrite posts")


def test_template_syntax_error_names_template_line_and_page(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n{{ post.title }\n{% endblock %}\n",
        encoding="utf-8",
    )
    stderr = build_fails_with(site)
    assert "error: templates/post.html:3: template error: unexpected '}'" in stderr
    assert "(rendering posts/good/index.html from posts/good.md)" in stderr


def test_undefined_template_variable(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n\n{{ post.subtitle }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    stderr = build_fails_with(site)
    assert "error: templates/post.html:4: template error: " in stderr
    assert (
        "has no attribute 'subtitle' (rendering posts/good/index.html from posts/good.md)" in stderr
    )


def test_missing_include(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/404.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}{% include 'nope.html' %}{% endblock %}\n",
        encoding="utf-8",
    )
    stderr = build_fails_with(site)
    assert (
        "error: templates/404.html:2: template 'nope.html' not found (rendering 404.html" in stderr
    )


def test_output_folder_not_made_by_blog_is_refused(site: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work", encoding="utf-8")
    result = run_blog("build", "--output", precious, cwd=site)
    assert result.returncode == 1
    assert "is not empty and was not made by `blog build`; refusing to replace it" in result.stderr
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.tex"]


def test_static_file_colliding_with_a_page(site: Path) -> None:
    (site / "static").mkdir()
    (site / "static/404.html").write_text("mine", encoding="utf-8")
    build_fails_with(site, "error: 404: two things write 404.html: static/404.html and 404")


def test_a_date_that_is_a_word(site: Path) -> None:
    add_post(site, "bad.md", "---\ntitle: x\ndate: tuesday\n---\n")
    stderr = build_fails_with(site, "error: posts/bad.md:3: `date` is not a valid date: 'tuesday'")
    assert "hint: use YYYY-MM-DD or YYYY-MM-DD HH:MM" in stderr


def test_a_number_as_title_stays_text(site: Path) -> None:
    add_post(site, "year.md", "---\ntitle: 2024\ndate: 2024-01-02\n---\nx\n")
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    html = (site / "public/posts/year/index.html").read_text(encoding="utf-8")
    assert '<h1 class="post-title">2024</h1>' in html


def test_a_slug_with_a_slash_is_refused(site: Path) -> None:
    # Hugo would nest the page; here a slug is one URL segment, so it can never leave posts/.
    add_post(site, "bad.md", post("Bad", slug="notes/x"))
    build_fails_with(site, "error: posts/bad.md:4: `slug` 'notes/x' cannot be used in a URL")


def test_a_static_file_on_a_post_url_names_both(site: Path) -> None:
    (site / "static/posts/good").mkdir(parents=True)
    (site / "static/posts/good/index.html").write_text("mine", encoding="utf-8")
    build_fails_with(
        site,
        "error: posts/good.md: two things write posts/good/index.html: "
        "static/posts/good/index.html and posts/good.md",
    )


def test_an_empty_posts_folder_builds_an_empty_site(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {}, 'title = "T"\n')
    (root / "posts").mkdir()
    result = run_blog("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert without_progress(result.stderr) == []
    assert result.stdout.startswith("built 0 posts, ")
    assert (root / "public/index.html").is_file()


def test_a_post_with_no_body(site: Path) -> None:
    add_post(site, "empty.md", "---\ntitle: Empty\ndate: 2024-01-02\n---")
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    html = (site / "public/posts/empty/index.html").read_text(encoding="utf-8")
    assert '<h1 class="post-title">Empty</h1>' in html


PARAGRAPH = (
    "RoPE 让内积只依赖相对位置 $m - n$，这是**关键**。The score $\\nabla_x \\log p$ [x](/).\n\n"
)
PATHOLOGICAL = {
    # Big enough that anything quadratic in the post's length would run for hours.
    "1 MB of prose and math": PARAGRAPH * (1_000_000 // len(PARAGRAPH.encode())),
    "10,000 nested [": "[" * 10_000 + "x" + "]" * 10_000,
    "10,000 unclosed [": "[" * 10_000,
    "50,000 *": "a " + "*" * 50_000,
    "*a 50,000 times": "*a" * 50_000,
    "50,000 _": "a " + "_" * 50_000,
    "10,000 nested >": ">" * 10_000 + " x",
    "10,000 quote levels on lines": "".join(">" * n + " x\n" for n in range(1, 10_000, 7)),
    "50,000 $": "$" * 50_000,  # was quadratic: word counting backtracked over the run
    "$$x 50,000 times": "$$x " * 50_000,  # was quadratic: each formula's column searched
    "50,000 \\(": "\\(" * 50_000,  # was quadratic: each opener searched for its closer
    "10,000 nested {": "$" + "{" * 10_000 + "$",
    "3,000 nested list items": "".join("  " * n + "- x\n" for n in range(3_000)),
    "50,000 [^": "[^" * 50_000,
    # Found by the fuzzer: trimming punctuation before an excerpt's … was quadratic in the run.
    "300,000 ， where the excerpt is cut": "中文。" * 20 + "，" * 300_000 + "x。" + "后文" * 100,
}


@pytest.mark.parametrize("body", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_posts_build_in_bounded_time(tmp_path: Path, body: str) -> None:
    root = write_site(tmp_path / "site", {})
    (root / "posts").mkdir()
    (root / "posts/p.md").write_text(post("P", body=body), encoding="utf-8")
    result = run_blog("build", "--quiet", cwd=root)  # run_blog gives up after 120 s
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert (root / "public/posts/p/index.html").stat().st_size > 0


def test_a_template_that_is_not_utf8(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/404.html").write_bytes(b'{% extends "base.html" %}\n{# caf\xe9 #}\n')
    build_fails_with(
        site, "error: templates/404.html:2: not valid UTF-8 (byte 0xe9; rendering 404.html)"
    )


def test_a_failing_template_expression(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n"
        "{{ post.date | date(3) }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    stderr = build_fails_with(site)
    assert (
        "error: templates/post.html:3: template error: TypeError: _format_date() takes 1 "
        "positional argument but 2 were given (rendering posts/good/index.html from posts/good.md)"
    ) in stderr


def test_a_template_that_includes_itself(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n"
        "{% include 'post.html' %}\n{% endblock %}\n",
        encoding="utf-8",
    )
    stderr = build_fails_with(
        site,
        "error: templates/post.html:3: template error: templates include or extend each other "
        "without end (rendering posts/good/index.html from posts/good.md)",
    )
    assert "hint: an {% include %} or {% extends %} here leads back to this template" in stderr


def test_templates_that_include_each_other(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/404.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}{% include 'a.html' %}{% endblock %}\n",
        encoding="utf-8",
    )
    (site / "templates/a.html").write_text("A\n{% include 'b.html' %}\n", encoding="utf-8")
    (site / "templates/b.html").write_text("B\n\n{% include 'a.html' %}\n", encoding="utf-8")
    stderr = build_fails_with(site)
    assert "template error: templates include or extend each other without end" in stderr
    assert "error: templates/a.html:2: " in stderr or "error: templates/b.html:3: " in stderr


def test_a_template_nested_too_deep_to_compile(site: Path) -> None:
    (site / "templates").mkdir()
    deep = "{% if true %}" * 3000 + "x" + "{% endif %}" * 3000
    (site / "templates/post.html").write_text(deep, encoding="utf-8")
    stderr = build_fails_with(site)
    assert "error: templates: template error: a template nests blocks too deep" in stderr


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        ('{{ "x" * 10**15 }}', "MemoryError"),  # more than any address space holds
        (
            "{% set d = {0: 0} %}{% for k in d %}{% set _ = d.update({k + 1: 0}) %}{% endfor %}",
            "RuntimeError: dictionary changed size during iteration",
        ),
    ],
)
def test_a_template_that_raises_anything_else(site: Path, body: str, failure: str) -> None:
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text(
        f"{{% extends 'base.html' %}}\n{{% block content %}}\n{body}\n{{% endblock %}}\n",
        encoding="utf-8",
    )
    stderr = build_fails_with(site)
    assert f"error: templates/post.html:3: template error: {failure} (rendering posts/" in stderr


def test_site_toml_that_is_not_utf8(site: Path) -> None:
    (site / "site.toml").write_bytes(b'title = "T"\nauthor = "Jos\xe9"\n')
    build_fails_with(site, "error: site.toml:2: not valid UTF-8 (byte 0xe9)")


def test_post_names_that_differ_only_in_unicode_normalization_clash(site: Path) -> None:
    add_post(site, "caf\u00e9.md", post("One"))  # é as one character (NFC)
    add_post(site, "cafe\u0301.md", post("Two"))  # e and a combining accent (NFD, as macOS)
    stderr = build_fails_with(
        site,
        "error: posts/caf\u00e9.md:1: posts/caf\u00e9.md and posts/cafe\u0301.md both want the "
        "URL /posts/caf%C3%A9/",
    )
    assert (
        "hint: 'posts/cafe\\u0301.md' and 'posts/caf\\xe9.md' differ only in Unicode "
        "normalization (macOS writes accents as separate characters); delete or rename one"
    ) in stderr


def test_a_decomposed_file_name_gets_the_composed_url(site: Path) -> None:
    add_post(site, "cafe\u0301.md", post("Café", tags="[Cafe\u0301]"))
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert (site / "public/posts/caf\u00e9/index.html").is_file()
    assert not (site / "public/posts/cafe\u0301").exists()
    assert (site / "public/tags/caf\u00e9/index.html").is_file()
    assert 'href="/posts/caf%C3%A9/"' in (site / "public/index.html").read_text("utf-8")


def test_static_names_that_differ_only_in_unicode_normalization_clash(site: Path) -> None:
    (site / "static").mkdir()
    (site / "static/caf\u00e9.png").write_bytes(b"one")
    (site / "static/cafe\u0301.png").write_bytes(b"two")
    stderr = build_fails_with(
        site,
        "error: static/caf\u00e9.png: static/cafe\u0301.png and static/caf\u00e9.png have names "
        "that look the same but are written differently",
    )
    assert "differ only in Unicode normalization" in stderr


@pytest.mark.parametrize("tag", [".", "..", "/", "'#'", "'?%'"])
def test_a_tag_with_nothing_to_make_a_url_from_is_refused(site: Path, tag: str) -> None:
    add_post(site, "bad.md", f"---\ntitle: x\ndate: 2024-01-01\ntags: [ok, {tag}]\n---\n")
    name = tag.strip("'")
    stderr = build_fails_with(
        site, f"error: posts/bad.md:4: tag {name!r} leaves nothing to make its URL from"
    )
    assert "hint: a tag's URL drops / \\ ? # % : * | \" < > [ ] and leading dots" in stderr


def test_tags_that_only_share_a_url_clash_instead_of_merging(site: Path) -> None:
    add_post(site, "one.md", post("One", tags="[a/b, RoPE, Flash Attention]"))
    add_post(site, "two.md", post("Two", tags="[a-b, rope, flash-attention]"))
    stderr = build_fails_with(
        site,
        "error: posts/two.md:4: tags 'a/b' (posts/one.md) and 'a-b' (posts/two.md) both "
        "become the URL /tags/a-b/",
    )
    assert "hint: write them the same way if they are one tag, or rename one" in stderr
    assert stderr.count("error:") == 1  # RoPE/rope and the two flash attentions are one tag each
    add_post(site, "two.md", post("Two", tags="[a/b, rope, flash-attention]"))
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "3 tags" in result.stdout


def test_a_tag_or_slug_too_long_for_a_file_name_is_refused_at_its_line(site: Path) -> None:
    add_post(
        site,
        "bad.md",
        f"---\ntitle: x\ndate: 2024-01-01\ntags: [{'t' * 300}, {'标' * 86}]\nslug: {'s' * 256}\n"
        "---\n",
    )
    stderr = build_fails_with(
        site,
        f"error: posts/bad.md:4: tag '{'t' * 30}…' (300 characters) is too long for a URL",
        f"error: posts/bad.md:4: tag '{'标' * 30}…' (86 characters) is too long for a URL",
        f"error: posts/bad.md:5: `slug` '{'s' * 30}…' (256 characters) is too long for a URL",
    )
    assert (
        "hint: it names a folder of the output, at most 255 bytes in UTF-8 (255 Latin letters "
        "or 85 Chinese characters); shorten it"
    ) in stderr
    assert "File name too long" not in stderr
    add_post(site, "bad.md", post("x", tags=f"[{'标' * 85}]", slug="s" * 255))
    result = run_blog("build", cwd=site)
    assert result.returncode == 0, result.stderr


def test_a_front_matter_key_set_twice_is_an_error_at_the_second(site: Path) -> None:
    add_post(
        site,
        "bad.md",
        "---\ntitle: Draft title\ndate: 2024-01-01\ntags: [a]\ntitle: Real title\ndate: 2024-02-02"
        "\n---\n",
    )
    stderr = build_fails_with(
        site,
        "error: posts/bad.md:5: front matter: `title` is set twice (first on line 2)",
        "error: posts/bad.md:6: front matter: `date` is set twice (first on line 3)",
    )
    assert "hint: remove one of them (YAML would silently keep only the last)" in stderr


def test_a_url_with_an_unclosed_ipv6_host_is_an_error_not_a_crash(site: Path) -> None:
    """`urllib` raises on `//[x`; in `site.toml` it is a setting's error, on the command line
    an option's, and in a post an ordinary link that `blog check` reports."""
    (site / "site.toml").write_text(
        'title = "T"\nbase_url = "https://[me.github.io/"\n[[nav]]\ntitle = "Bad"\n'
        'url = "https://[x/"\n',
        encoding="utf-8",
    )
    build_fails_with(
        site,
        "error: site.toml:2: `base_url` is not a URL: an IPv6 host in [brackets] needs its "
        "closing ]",
        "error: site.toml:5: `nav[0].url` 'https://[x/' is not a URL a browser can follow",
    )
    (site / "site.toml").write_text('title = "T"\n', encoding="utf-8")
    option = run_blog("build", "--base-url", "https://[x/", cwd=site)
    assert option.returncode == 1 and "Traceback" not in option.stderr
    assert "error: --base-url is not a URL" in option.stderr

    add_post(site, "v6.md", post("V6", body='See <a href="//[broken">this</a>.'))
    built = run_blog("build", cwd=site)
    assert built.returncode == 0, built.stderr
    checked = run_blog("check", cwd=site)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert "posts/v6.md:5: broken link: //[broken is not a URL a browser can follow" in (
        checked.stdout + checked.stderr
    )
