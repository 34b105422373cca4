"""Front matter, unit by unit: `split_post` finds the YAML block and maps YAML errors to file
lines; `validate_front_matter` checks every field and reports every problem at once.

The cases are in tests/fixtures/front_matter.md (markdown-it-py's fixture format): a post file in,
and out either the fields it gives or the diagnostics, as `blog build` prints them. A title's
`[tz=…]` sets the site's time zone (default Asia/Shanghai).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from fixtures import UPDATE, case_id, cases, rewrite

from mathblog.content.frontmatter import split_post, validate_front_matter
from mathblog.errors import BlogError

PATH = "posts/x.md"
FIXTURE = "front_matter.md"
# The optional fields and their defaults: a case shows only those it sets.
OPTIONAL: dict[str, object] = {
    "updated": None,
    "tags": (),
    "summary": None,
    "slug": None,
    "draft": False,
    "extra": {},
    "aliases": (),
    "series": None,
    "series_weight": 0,
    "toc": True,
    "lang": None,
    "pinned": False,
    "weight": 0,
    "publish_date": None,
}


def describe(title: str, text: str) -> str:
    """The fields that differ from their defaults, one a line, where the body starts and the
    warnings; or the diagnostics."""
    match = re.search(r"\[tz=([^\]]+)\]", title)
    tz = ZoneInfo(match.group(1) if match else "Asia/Shanghai")
    try:
        split = split_post(text, PATH)
        front = validate_front_matter(split, PATH, tz)
    except BlogError as exc:
        return "".join(f"{diagnostic}\n" for diagnostic in exc.diagnostics)
    lines = [f"title: {front.title!r}", f"date: {front.date.isoformat()}"]
    for name, default in OPTIONAL.items():
        value = getattr(front, name)
        if value != default:
            dated = name in ("updated", "publish_date")
            shown = value.isoformat() if dated else repr(value)
            lines.append(f"{name}: {shown}")
    lines.append(f"body from line {split.body_line}: {split.body!r}")
    lines.extend(f"warning: {warning}" for warning in front.warnings)
    return "".join(f"{line}\n" for line in lines)


@pytest.mark.parametrize("case", cases(FIXTURE), ids=case_id)
def test_front_matter(case: tuple[str, int, str, str, str]) -> None:
    _, _, title, given, expected = case
    assert describe(title, given) == expected


@pytest.mark.skipif(not UPDATE, reason="set BLOG_UPDATE_FIXTURES=1 to rewrite fixtures")
def test_rewrite_front_matter_fixtures() -> None:
    rewrite(FIXTURE, describe)


UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff---\ntitle: x\ndate: 2024-05-01\n---\nBody.\n",
        "---\r\ntitle: x\r\ndate: 2024-05-01\r\n---\r\nBody.\r\n",
        "---\rtitle: x\rdate: 2024-05-01\r---\rBody.\r",
        "--- \ntitle: x\ndate: 2024-05-01\n---\t\nBody.\n",
    ],
    ids=["byte order mark", "CRLF", "CR", "spaces after the fences"],
)
def test_line_ends_a_byte_order_mark_and_trailing_spaces_change_nothing(text: str) -> None:
    split = split_post(text, PATH)
    assert (split.meta, split.key_lines, split.body, split.body_line) == (
        {"title": "x", "date": "2024-05-01"},
        {"title": 2, "date": 3},
        "Body.\n",
        5,
    )


def test_every_key_has_its_file_line() -> None:
    split = split_post("---\ntitle: x\n\ndate: 2024-05-01\ntags:\n  - a\n  - b\nz: 1\n---\n", PATH)
    assert split.key_lines == {"title": 2, "date": 4, "tags": 5, "z": 8}


def test_dates_are_strings_until_validated_so_a_bad_one_is_reported_on_its_line() -> None:
    split = split_post("---\ntitle: x\ndate: 2024-02-30\n---\n", PATH)
    assert split.meta["date"] == "2024-02-30"
    with pytest.raises(BlogError) as caught:
        validate_front_matter(split, PATH, UTC)
    assert [(d.path, d.line) for d in caught.value.diagnostics] == [(PATH, 3)]
    assert str(caught.value) == (
        "posts/x.md:3: `date` is not a valid date: '2024-02-30'\n"
        "  hint: use YYYY-MM-DD or YYYY-MM-DD HH:MM, e.g. 2024-05-01 14:30"
    )


def test_the_extra_keys_hold_their_yaml_values() -> None:
    text = (
        "---\ntitle: x\ndate: 2024-05-01\n"
        "extra:\n  giscus: {term: 扩散, strict: 2}\n  links: [a, b]\n---\n"
    )
    front = validate_front_matter(split_post(text, PATH), PATH, UTC)
    assert front.extra == {"giscus": {"term": "扩散", "strict": 2}, "links": ["a", "b"]}
