"""Pages and fragments without each formula's TeX annotation (`mathblog.math.source`), for tests
that look at the MathML alone."""

from __future__ import annotations

import re

_SOURCE_OPEN = re.compile(r"<semantics><mrow>")
_SOURCE_CLOSE = re.compile(
    r'</mrow><annotation encoding="application/x-tex">[^<]*</annotation></semantics>'
)


def without_source(html: str) -> str:
    """`html` as it was before formulas carried their TeX: `<math>` holds the MathML alone."""
    return _SOURCE_CLOSE.sub("", _SOURCE_OPEN.sub("", html))
