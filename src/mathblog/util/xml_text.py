"""Text fit for an XML 1.0 document, whatever a post or a setting holds."""

from __future__ import annotations

import re

# XML 1.0 allows tab, newline, carriage return and every other code point from U+0020 on but
# lone surrogates, U+FFFE and U+FFFF; anything else makes a feed reader reject the whole file.
# Listed as what is left out, not as the complement of what is allowed: a class of few code
# points compiles in half a millisecond, the complement in six.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (a form feed from `"\\frac"`, say)."""
    return _NOT_XML_CHAR.sub("", text)
