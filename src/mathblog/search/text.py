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

_TEX_START = '<annotation encoding="application/x-tex">'
# Heading anchors (`#`) are for the eye; the end of a block separates words.
_ANCHOR = re.compile(r'<a class="heading-anchor"[^>]*>[^<]*</a>')
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|li|pre|tr|td|th|blockquote|dt|dd|summary)>|<br\b")
_TAG = re.compile(r"<[^>]*>")


def _without_mathml(body_html: str) -> str:
    """Each `<math>…</math>` as its TeX (still escaped, so `&lt;` does not look like a tag):
    string searches, several times faster than a regular expression over the MathML."""
    pieces = body_html.split("<math")
    out = [pieces[0]]
    for piece in pieces[1:]:
        end = piece.find("</math>")
        if end == -1:
            out.append(piece)
            continue
        at = piece.find(_TEX_START, 0, end)
        if at != -1:
            at += len(_TEX_START)
            tex = piece[at : piece.find("</annotation>", at, end)].strip()
            block = "block" in piece[: piece.find(">")]
            out.append(f" $${tex}$$ " if block else f"${tex}$")
        out.append(piece[end + len("</math>") :])
    return "".join(out)


def plain_text(body_html: str) -> str:
    """The words of a rendered body in order, one space between them, at most `MAX_TEXT`."""
    text = _ANCHOR.sub("", _without_mathml(body_html))
    text = _TAG.sub("", _BLOCK_END.sub(" ", text))
    return " ".join(html.unescape(text).split())[:MAX_TEXT]
