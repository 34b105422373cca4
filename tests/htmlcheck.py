"""Checks on rendered HTML that do not trust the code under test: every element closed in order,
no `<` that starts no tag, and no URL attribute a browser would run as script. Used by the
property tests and the fuzzer; tests/test_htmlcheck.py shows each check failing."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "mspace", "none", "mprescripts",
}  # fmt: skip
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "data", "values",
}  # fmt: skip
_SCRIPT_URL = re.compile(r"^(javascript|vbscript|data:text|data:application)", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")


def is_script_url(value: str) -> bool:
    """As a browser reads it: entities are already decoded by the parser; it skips controls
    and spaces inside the scheme."""
    return bool(_SCRIPT_URL.match(_INVISIBLE.sub("", value)))


class _Lenient(HTMLParser):
    """Raw HTML may hold a malformed `<![`, on which Python 3.11's parser raises
    AssertionError: read it as text, as a browser does."""

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return i + 3


class _Checker(_Lenient):
    def __init__(self, *, balanced: bool) -> None:
        # Character references reach `handle_charref`, not the text, so a `<` in the text is
        # one written bare (`&lt;` is not); attribute values are decoded either way.
        super().__init__(convert_charrefs=False)
        self.balanced = balanced
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_data(self, data: str) -> None:
        # Inside <script> and <style> the parser hands over the raw text, where `<` is fine.
        if self.balanced and "<" in data and self.cdata_elem is None:
            line, column = self.getpos()
            self.problems.append(f"a bare < in the text at {line}:{column + data.index('<')}")

    def handle_pi(self, data: str) -> None:
        if self.balanced:
            self.problems.append(f"<?{data[:40]}>, which HTML reads as a bogus comment")

    def unknown_decl(self, data: str) -> None:
        if self.balanced:
            self.problems.append(f"<![{data[:40]}…, which HTML reads as a bogus comment")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            pieces = (value or "").split(";") if name == "values" else [value or ""]
            if name in URL_ATTRIBUTES and any(is_script_url(piece) for piece in pieces):
                self.problems.append(f"script URL in <{tag} {name}={value!r}>")
            if self.balanced and name.startswith("on"):
                self.problems.append(f"event handler in <{tag} {name}=…>")
        if self.balanced and tag == "script":
            self.problems.append("a <script> element")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
            return
        if self.balanced:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def html_problems(text: str, *, balanced: bool) -> list[str]:
    """Script URLs anywhere; with `balanced` (HTML we generated from escaped text), also
    elements closed out of order or never, a bare `<` in text (markup left unfinished, or text
    left unescaped), `<?…>` and `<![…]>`, `<script>` and `on…` handlers."""
    checker = _Checker(balanced=balanced)
    checker.feed(text)
    checker.close()
    if balanced and checker.stack:
        checker.problems.append("never closed: " + " ".join(f"<{t}>" for t in checker.stack))
    return checker.problems


class _Ids(_Lenient):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids += [value for name, value in attrs if name == "id" and value]


def duplicate_ids(text: str) -> list[str]:
    parser = _Ids()
    parser.feed(text)
    parser.close()
    return sorted(name for name, count in Counter(parser.ids).items() if count > 1)
