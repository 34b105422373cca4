"""Text fit for an XML 1.0 document, whatever a post or a setting holds."""

from __future__ import annotations

import re

# XML 1.0 allows tab, newline, carriage return and the code points below (no C0 controls, no
# lone surrogates, no U+FFFE/U+FFFF); anything else makes a feed reader reject the whole file.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (a form feed from `"\\frac"`, say)."""
    return _NOT_XML_CHAR.sub("", text)
