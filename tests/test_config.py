"""`site.toml`, unit by unit: `parse_config` checks every key and reports every problem at once,
at its line; `load_config` reads the file.

The cases are in tests/fixtures/config.md (markdown-it-py's fixture format): a site.toml in, and
out either the settings that differ from the defaults or the diagnostics, as `blog build` prints
them. The site folder shows as `<site>`; it holds a folder `figures/` and a file `notes.txt`.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import pytest
from fixtures import UPDATE, case_id, cases, rewrite

from mathblog.config import SiteConfig, load_config, parse_config
from mathblog.errors import BlogError

FIXTURE = "config.md"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "mysite"
    (root / "figures").mkdir(parents=True)
    (root / "notes.txt").write_text("not a folder\n")
    return root.resolve()


def describe(root: Path, title: str, text: str) -> str:
    try:
        config = parse_config(text, root)
    except BlogError as exc:
        shown = "".join(f"{diagnostic}\n" for diagnostic in exc.diagnostics)
    else:
        defaults = SiteConfig(root=root)
        shown = (
            "".join(
                f"{field.name} = {getattr(config, field.name)!r}\n"
                for field in dataclasses.fields(SiteConfig)
                if getattr(config, field.name) != getattr(defaults, field.name)
            )
            or "(all defaults)\n"
        )
    return shown.replace(str(root), "<site>")


@pytest.mark.parametrize("case", cases(FIXTURE), ids=case_id)
def test_config(case: tuple[str, int, str, str, str], site: Path) -> None:
    _, _, title, given, expected = case
    assert describe(site, title, given) == expected


@pytest.mark.skipif(not UPDATE, reason="set BLOG_UPDATE_FIXTURES=1 to rewrite fixtures")
def test_rewrite_config_fixtures(site: Path) -> None:
    rewrite(FIXTURE, partial(describe, site))


def test_load_config_without_site_toml_is_all_defaults(site: Path) -> None:
    assert load_config(site) == SiteConfig(root=site)


def test_load_config_reads_site_toml_with_a_byte_order_mark(site: Path) -> None:
    (site / "site.toml").write_bytes('\ufefftitle = "笔记"\nper_page = 3\n'.encode())
    config = load_config(site)
    assert (config.title, config.per_page, config.root) == ("笔记", 3, site)


def test_load_config_reports_bytes_that_are_not_utf8_at_their_line(site: Path) -> None:
    (site / "site.toml").write_bytes(b'title = "x"\n\nauthor = "caf\xe9"\n')
    with pytest.raises(BlogError) as caught:
        load_config(site)
    assert str(caught.value) == (
        "site.toml:3: not valid UTF-8 (byte 0xe9)\n  hint: save site.toml as UTF-8"
    )


def test_load_config_reports_every_problem_of_the_file(site: Path) -> None:
    (site / "site.toml").write_text('per_page = 0\nlanguage = "fr"\n', encoding="utf-8")
    with pytest.raises(BlogError) as caught:
        load_config(site)
    assert [(d.path, d.line, d.message) for d in caught.value.diagnostics] == [
        ("site.toml", 1, "`per_page` must be a whole number ≥ 1"),
        ("site.toml", 2, "`language` must be one of zh-CN, en"),
    ]


def test_the_settings_derived_from_base_url(site: Path) -> None:
    hosted = parse_config('base_url = "https://user.github.io/notes"\n', site)
    assert (hosted.base_url, hosted.base_path, hosted.site_url) == (
        "https://user.github.io/notes/",
        "/notes/",
        "https://user.github.io",
    )
    local = parse_config('base_url = "/"\n', site)
    assert (local.base_path, local.site_url) == ("/", "")


def test_output_path_and_time_zone(site: Path) -> None:
    config = parse_config('output_dir = "../out"\ntimezone = "Asia/Shanghai"\n', site)
    assert config.output_path == site.parent / "out"
    assert config.tz.key == "Asia/Shanghai"
