"""Punctuation stays on the line of the inline formula it touches.

A browser lays an inline `<math>` out as one atomic box and allows a line break on either side
of it, even where the text rule would forbid one: before `，` `。` `)` or `,`, after `（` or `(`.
Neither CSS nor a word joiner (U+2060) stops that in Chromium, so a reader sees a line that
starts with `，`. Wrapping the formula and the punctuation that touches it in a
`<span class="math-nobreak">` (`white-space: nowrap` in the theme) does. Display math is left
alone: it has a line of its own.

The theme applies this to a page's main content (the `keep_punctuation_with_math` filter);
the text inside the span is unchanged, so copying, search and feeds see the same text.
"""

from __future__ import annotations

import re

import markupsafe

# Punctuation that must not start a line (closing) or end one (opening), full-width and ASCII.
_CLOSING = "，。、；：？！）》」』】〉〕］｝”’…,.;:!?)]}"
_OPENING = "（《「『【〈〔［｛“‘([{"

# An inline <math> element (not display="block"), then what touches it. <math> does not nest,
# and each repeat of the body starts at a "<" that is not "</math>", so no backtracking blows up.
_INLINE_MATH_WITH_PUNCTUATION = re.compile(
    rf"(?P<before>[{re.escape(_OPENING)}]*)"
    r"(?P<math><math(?:>|\s(?![^>]*\bdisplay=\"block\")[^>]*>)[^<]*(?:<(?!/math>)[^<]*)*</math>)"
    rf"(?P<after>[{re.escape(_CLOSING)}]*)"
)


def _wrap(match: re.Match[str]) -> str:
    if not match["before"] and not match["after"]:
        return match[0]
    return f'<span class="math-nobreak">{match[0]}</span>'


def keep_punctuation_with_math(html: str) -> markupsafe.Markup:
    """`html` (trusted page HTML) with each inline formula that touches punctuation wrapped."""
    if "<math" not in html:
        return markupsafe.Markup(html)
    return markupsafe.Markup(_INLINE_MATH_WITH_PUNCTUATION.sub(_wrap, str(html)))
