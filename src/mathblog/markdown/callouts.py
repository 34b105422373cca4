"""Callouts: GitHub's `> [!NOTE]` alerts, and blockquotes that open with an emoji (`> 💡 …`).

GitHub has five kinds (NOTE, TIP, IMPORTANT, WARNING, CAUTION); like Obsidian we also accept a
title after the marker (`> [!TIP] 小技巧`). A quote starting with an emoji becomes a callout with
that emoji as its icon, the way Notion and many Chinese notes write them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

KINDS = ("note", "tip", "important", "warning", "caution")
_ALERT = re.compile(r"\[!(" + "|".join(KINDS) + r")\][ \t]*(.*)", re.IGNORECASE)
# Emoji: pictographs, dingbats and symbols, with variation selectors, skin tones and ZWJ joins.
_EMOJI_CHAR = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u231a\u231b\u23e9-\u23fa"
_EMOJI = re.compile(
    f"([{_EMOJI_CHAR}][\ufe0f\U0001f3fb-\U0001f3ff]*(?:\u200d[{_EMOJI_CHAR}][\ufe0f]*)*)[ \t]*"
)


def callout_plugin(md: MarkdownIt, titles: Mapping[str, str]) -> None:
    """`titles` maps each kind to its shown title in the site's language."""
    md.core.ruler.before("inline", "callouts", lambda state: _find_callouts(state, titles))
    md.add_render_rule("blockquote_open", _render_open)
    md.add_render_rule("blockquote_close", _render_close)


def _closing(tokens: list[Token], open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return len(tokens) - 1


# In a parse's env: the titles in the post's own language, when it is not the site's.
TITLES_KEY = "callout_titles"


def _find_callouts(state: StateCore, titles: Mapping[str, str]) -> None:
    titles = state.env.get(TITLES_KEY) or titles
    tokens = state.tokens
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.type != "blockquote_open" or index + 1 >= len(tokens):
            continue
        if tokens[index].type != "paragraph_open" or tokens[index + 1].type != "inline":
            continue
        inline = tokens[index + 1]
        first_line, _, rest = inline.content.partition("\n")
        close = tokens[_closing(tokens, index - 1)]
        if alert := _ALERT.fullmatch(first_line.strip()):
            kind = alert.group(1).lower()
            title = alert.group(2).strip() or titles.get(kind, kind.title())
            token.meta["callout"] = {"kind": kind, "title": title}
            close.meta["callout"] = True
            inline.content = rest
            if inline.map:
                inline.map = [inline.map[0] + 1, inline.map[1]]
            if not rest.strip():  # the marker had a paragraph of its own
                del tokens[index : index + 3]
        elif emoji := _EMOJI.match(inline.content):
            token.meta["callout"] = {"kind": "emoji", "icon": emoji.group(1)}
            close.meta["callout"] = True
            rest = inline.content[emoji.end() :]
            if not rest.strip():  # the icon stood alone in its paragraph
                del tokens[index : index + 3]
                continue
            stripped = rest.lstrip()
            if inline.map:  # an icon alone on its first line: the text starts a line later
                moved = rest[: len(rest) - len(stripped)].count("\n")
                inline.map = [inline.map[0] + moved, inline.map[1]]
            inline.content = stripped


def _render_open(
    self: Any, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    callout = tokens[idx].meta.get("callout")
    if not isinstance(callout, dict):
        return str(self.renderToken(tokens, idx, options, env))
    kind = callout["kind"]
    if kind == "emoji":
        icon = html.escape(callout["icon"])
        return (
            f'<div class="callout callout-emoji"><span class="callout-icon" aria-hidden="true">'
            f'{icon}</span><div class="callout-body">\n'
        )
    title = html.escape(callout["title"])
    return (
        f'<div class="callout callout-{kind}"><p class="callout-title">{title}</p>'
        f'<div class="callout-body">\n'
    )


def _render_close(
    self: Any, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    if tokens[idx].meta.get("callout"):
        return "</div></div>\n"
    return str(self.renderToken(tokens, idx, options, env))
