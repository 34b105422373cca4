"""Punctuation stays on the line of the inline formula it touches.

A browser lays an inline `<math>` out as one atomic box and allows a line break on either side
of it, even where the text rule would forbid one: before `，` `。` or `）`, after `（`.
Neither CSS nor a word joiner (U+2060) stops that in Chromium, so a reader sees a line that
starts with `，`. Wrapping the formula and the punctuation that touches it in a
`<span class="math-nobreak">` (`white-space: nowrap` in the theme) does. Display math is left
alone: it has a line of its own.

The theme applies this to a page's main content (the `keep_punctuation_with_math` filter);
the text inside the span is unchanged, so copying, search and feeds see the same text.
"""

from __future__ import annotations

import markupsafe

# Punctuation that must not start a line (closing) or end one (opening): the full-width kind
# of Chinese text, curly quotes and the ellipsis. ASCII `,` `.` `)` are left as they are for now
# (a break before them is rarer in English text, and would change every English page).
_CLOSING = "，。、；：？！）》」』】〉〕］｝”’…"
_OPENING = "（《「『【〈〔［｛“‘"

_END = "</math>"


def keep_punctuation_with_math(html: str) -> markupsafe.Markup:
    """`html` (trusted page HTML) with each inline formula that touches punctuation wrapped.
    <math> does not nest, so a formula runs from `<math` to the next `</math>`; plain string
    searches keep this far cheaper than the page's rendering."""
    text = str(html)
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces
    begin = text.find("<math")
    while begin != -1:
        tag_end = text.find(">", begin)
        end = text.find(_END, begin)
        if tag_end == -1 or end == -1:
            break
        end += len(_END)
        tag = text[begin : tag_end + 1]
        if tag in ("<math>", "<math/>") or (tag[5].isspace() and 'display="block"' not in tag):
            start, stop = begin, end
            while start > done and text[start - 1] in _OPENING:
                start -= 1
            while stop < len(text) and text[stop] in _CLOSING:
                stop += 1
            if start < begin or stop > end:
                pieces += [text[done:start], '<span class="math-nobreak">', text[start:stop]]
                pieces.append("</span>")
                done = stop
        begin = text.find("<math", end)
    pieces.append(text[done:])
    return markupsafe.Markup("".join(pieces))
