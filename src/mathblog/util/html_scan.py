"""The start tags of an HTML text, each attribute with its exact place: to read our own pages
(`blog check`) and to change attribute values in them while every other byte stays as it was.

A small tokenizer, reading the text from the start as a browser does, one token after another:
text, a comment, a doctype or other `<!…>`, a tag; then the text of a `<script>`, `<style>`,
`<textarea>`, `<title>`… up to its end tag. So an attribute is only ever found inside a start tag,
never in text, a comment, a script, or inside another attribute's value (`alt="a src=x"`, the
trap of a regex over the whole text). Its attributes are read one after another from the tag
name on. Where the text is not well-formed HTML it may differ from a browser in small ways (a
quote inside an attribute name is read as quoting); our pages and their raw HTML are the input.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# Elements whose content is text up to their end tag.
_RAW_TEXT = frozenset(
    ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext")
)
_RAW_TEXT_NAMES = "|".join(sorted(_RAW_TEXT))
# What a tag's attributes are made of: quoted values, which may hold `>`, and other characters
# (a `<` outside quotes ends the tag's attempt: an unclosed tag costs one pass, not a hang).
_INSIDE = r"""(?:"[^"]*"|'[^']*'|[^"'<>])"""
_OTHER_TOKENS = (
    r"|<!--(?:-?>|.*?--!?>|.*)"  # a comment (`<!-->` is an empty one), to its end or the text's
    r"|<[!?][^>]*>?|</(?![A-Za-z])[^>]*>?"  # a doctype, CDATA, `<?…>`: to the first `>`
    rf"|<(/?)([A-Za-z][^\t\n\f\r />]*)((?:[\t\n\f\r /]{_INSIDE}*)?)>"  # a tag
)


@functools.cache
def _tokens(having: frozenset[str]) -> re.Pattern[str]:
    """The tokenizer for `start_tags(…, having)`. Its first kind of token is a run of text, end
    tags and, if `having` is given, start tags (not a `<script>`…) without any of its attributes:
    most of a page of math, passed over in one step."""
    passed_over = r"(?:[^<]+|</[A-Za-z][^<>]*>"
    if having:
        names = "|".join(map(re.escape, sorted(having)))
        attributes = rf"(?:[\t\n\f\r /](?:(?!(?i:{names})){_INSIDE})*)?"
        passed_over += (
            rf"|<(?!(?i:{_RAW_TEXT_NAMES})[\t\n\f\r />])[A-Za-z][^\t\n\f\r /<>]*{attributes}>"
        )
    return re.compile(passed_over + ")+" + _OTHER_TOKENS, re.DOTALL)


@functools.cache
def _may_have(having: frozenset[str]) -> re.Pattern[str]:
    """Text in which one of `having` could be an attribute: the name after a separator or a
    closing quote (`title="x"href=…` is read as two attributes), then an end of the name. A
    text without a match has no such attribute, and is not tokenized at all."""
    names = "|".join(map(re.escape, sorted(having)))
    return re.compile(rf"""[\s/"'](?:{names})(?=[\s/=>]|$)""", re.IGNORECASE)


# One attribute: the separators before it, its name, and `= value` unless it is bare.
_ATTRIBUTE = re.compile(r"""[\s/]*([^\s/>][^\s/=>]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_END_OF_RAW_TEXT = re.compile(r"</([A-Za-z]+)[\t\n\f\r />]")


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str  # lowercased
    value: str | None  # entities decoded; None for a bare attribute (`<input checked>`)
    start: int  # where its name begins in the text
    value_start: int  # where its value begins, quote included (`end` for a bare one)
    end: int  # just after its value (or its name)


@dataclass(frozen=True, slots=True)
class StartTag:
    name: str  # lowercased
    start: int  # its `<`
    end: int  # just after its `>`
    attributes: tuple[Attribute, ...]


def _attributes(text: str, start: int, end: int) -> tuple[Attribute, ...]:
    """The attributes in `text[start:end]`, the part of a start tag after its name."""
    found: list[Attribute] = []
    position = start
    while match := _ATTRIBUTE.match(text, position, end):
        raw = match.group(2)
        if raw is None:
            value, value_start = None, match.end(1)
        else:
            quoted = len(raw) > 1 and raw[0] == raw[-1] and raw[0] in ("'", '"')
            value, value_start = html.unescape(raw[1:-1] if quoted else raw), match.start(2)
        found.append(
            Attribute(match.group(1).lower(), value, match.start(1), value_start, match.end())
        )
        position = match.end()
    return tuple(found)


def _end_of_raw_text(text: str, name: str, position: int) -> int:
    """Where the text of a `<script>` (…) opened before `position` ends: at its end tag."""
    if name != "plaintext":
        for end_tag in _END_OF_RAW_TEXT.finditer(text, position):
            if end_tag.group(1).lower() == name:
                return end_tag.start()
    return len(text)


def start_tags(text: str, having: Collection[str] = ()) -> list[StartTag]:
    """Every start tag of `text`, in order; with `having` (lowercase names), only the tags that
    may have one of these attributes (a page of math has thousands of tags with none)."""
    tags: list[StartTag] = []
    wanted = frozenset(having)
    if wanted and not _may_have(wanted).search(text):
        return tags
    position = 0
    tokens = _tokens(wanted)
    while token := tokens.search(text, position):
        position = token.end()
        name = token.group(2)
        if name is None or token.group(1):  # not a tag, or an end tag
            continue
        name = name.lower()
        inside = token.group(3)
        if not having or any(wanted in inside.lower() for wanted in having):
            attributes = _attributes(text, token.start(3), token.end(3))
            tags.append(StartTag(name, token.start(), position, attributes))
        if name in _RAW_TEXT:
            position = _end_of_raw_text(text, name, position)
    return tags


def replace_spans(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each `(start, end, new)` span replaced; spans are in order and apart."""
    pieces: list[str] = []
    last = 0
    for start, end, new in edits:
        pieces += (text[last:start], new)
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)
