"""The one diagnostic for a file that is not UTF-8: the file, the line, the first bad byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from mathblog.config import load_config
from mathblog.errors import BlogError, decode_utf8


def test_valid_text_comes_back_as_it_is() -> None:
    assert decode_utf8("标题\n".encode(), "posts/a.md", hint="h") == "标题\n"


def test_the_first_bad_byte_is_named_with_its_line_and_the_hint() -> None:
    raw = "第一行\nline two\ncaf".encode() + b"\xe9\n"
    with pytest.raises(BlogError) as caught:
        decode_utf8(raw, "posts/latin1.md", hint="save the file as UTF-8")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.path, diagnostic.line) == ("posts/latin1.md", 3)
    assert diagnostic.message == "not valid UTF-8 (byte 0xe9)"
    assert diagnostic.hint == "save the file as UTF-8"


def test_a_byte_order_mark_is_dropped_and_not_counted(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_bytes(b'\xef\xbb\xbftitle = "x"\nauthor = "Ren\xe9"\n')
    with pytest.raises(BlogError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (
        "site.toml:2: not valid UTF-8 (byte 0xe9)\n  hint: save site.toml as UTF-8"
    )
    (tmp_path / "site.toml").write_bytes(b'\xef\xbb\xbftitle = "x"\n')
    assert load_config(tmp_path).title == "x"
