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
# A long formula split for line breaks (math_source.py): the punctuation joins its first or last
# piece inside its span, which the copy script copies as the formula's TeX and the text in it.
_SPLIT_START = '<span class="math-split">'
_SPLIT_END = "</math></span>"


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
            unit_start = begin
            if (
                text.endswith(_SPLIT_START, 0, begin)
                and (split := text.find(_SPLIT_END, begin)) > 0
            ):
                unit_start, end = begin - len(_SPLIT_START), split + len(_SPLIT_END)
            start, stop = unit_start, end
            while start > done and text[start - 1] in _OPENING:
                start -= 1
            while stop < len(text) and text[stop] in _CLOSING:
                stop += 1
            if start < unit_start or stop > end:
                pieces.append(text[done:start])
                opening, unit, closing = (
                    text[start:unit_start],
                    text[unit_start:end],
                    text[end:stop],
                )
                if unit_start == begin:
                    pieces.append(_nobreak(opening + unit + closing))
                else:
                    pieces.append(_split_nobreak(opening, unit, closing))
                done = stop
        begin = text.find("<math", end)
    pieces.append(text[done:])
    return markupsafe.Markup("".join(pieces))


def _nobreak(html: str) -> str:
    return f'<span class="math-nobreak">{html}</span>'


def _split_nobreak(opening: str, split: str, closing: str) -> str:
    """A split formula's span, with `opening` kept with its first piece and `closing` with its
    last: the pieces still break apart, but not from their punctuation."""
    inner = split[len(_SPLIT_START) : -len("</span>")]
    first_end = inner.find(_END) + len(_END)
    last_start = inner.rfind("<math")
    if last_start < first_end:  # one piece only
        return _SPLIT_START + _nobreak(opening + inner + closing) + "</span>"
    first, middle, last = inner[:first_end], inner[first_end:last_start], inner[last_start:]
    if opening:
        first = _nobreak(opening + first)
    if closing:
        last = _nobreak(last + closing)
    return _SPLIT_START + first + middle + last + "</span>"
