"""A post's plain text for search snippets, made from its rendered body.

search.js cuts a snippet around the best match from it, and marks the matched terms. Each
formula is its TeX source between `$…$` (a reader searches for `\\mathcal{L}`, not for the
MathML); code and prose are kept as text, tags dropped. It is made from the body a build has
already rendered, so a post's search text needs no cache of its own, and only for the document
files that are written (a document's key is its post's fingerprint).
"""

from __future__ import annotations

import html
import re

# Enough for the notes we know (the longest of tests/corpus/ is about 20,000 characters); text
# past it gives no snippet, and the result shows the post's description instead.
MAX_TEXT = 24_000

_MATH = re.compile(r"<math\b([^>]*)>(.*?)</math>", re.DOTALL)
_TEX = re.compile(r'<annotation encoding="application/x-tex">([^<]*)</annotation>')
# Shown to the eye or to a screen reader only: heading anchors (`#`), hidden parts.
_HIDDEN = re.compile(
    r'<a class="heading-anchor"[^>]*>[^<]*</a>|<(script|style)\b.*?</\1>', re.DOTALL
)
_BLOCK = re.compile(
    r"</?(?:p|div|h[1-6]|li|pre|tr|td|th|blockquote|br|hr|dt|dd|figcaption|summary)\b[^>]*>"
)
_TAG = re.compile(r"<[^>]*>")


def _formula(match: re.Match[str]) -> str:
    source = _TEX.search(match[2])
    if source is None:
        return " "
    tex = source[1].strip()  # still escaped: `&lt;` must not look like a tag until the end
    return f" $${tex}$$ " if "block" in match[1] else f"${tex}$"


def plain_text(body_html: str) -> str:
    """The words of a rendered body in order, one space between them, at most `MAX_TEXT`."""
    text = _HIDDEN.sub("", body_html)
    text = _MATH.sub(_formula, text)
    text = _BLOCK.sub(" ", text)
    text = html.unescape(_TAG.sub("", text))
    return " ".join(text.split())[:MAX_TEXT]
