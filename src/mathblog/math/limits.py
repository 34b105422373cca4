"""The limits a formula must stay within before math-core sees it, so that no formula can freeze
or kill the build.

math-core recurses once per nesting level and overflows the C stack (a segfault, the whole
process dies) somewhere past ~2,000 levels, and its time doubles with each opening bracket left
unclosed in one group. Those limits are cheap to check on the TeX as written, which is all most
formulas need. But math-core expands `\\def`, `\\newcommand` and the site's `[math.macros]`
itself, and a macro can expand to what its text does not show: `\\def\\a{((((}` used twenty
times, or a chain of definitions that nest thousands deep. So a formula that defines or uses a
macro is also measured *after* expansion, by a small expander of our own over TeX tokens with a
budget (tokens made, expansions done). The expander only measures: math-core still gets the TeX
and expands it itself, with the same expansion limit.

Anything these limits miss is still contained: conversions run in a child process that may die
or be killed (`math_converter`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# What is refused is cached like a conversion: bump this whenever a limit or a measure changes,
# so that the formula cache does not keep an old verdict.
LIMITS_VERSION = "1"
# math-core overflows its stack somewhere past ~2,000 levels; real formulas stay far below this.
MAX_NESTING = 256
MAX_LENGTH = 50_000
# math-core's time doubles with each opening bracket left unclosed in one group: 20 take 0.03 s,
# 27 take 2.3 s, 80 never finish. Real formulas leave one or two open (`[0, 1)` closes).
MAX_UNCLOSED = 16
# Macro expansion: math-core's own limit on expansions (handed to it, so both agree), and how
# many tokens the expansions may make in all (what `MAX_LENGTH` is to the TeX as written).
MAX_EXPANSIONS = 1_000
MAX_EXPANDED_TOKENS = 50_000

_NESTING = re.compile(r"(?P<open>\\left\b|\\begin\b|(?<!\\)\{)|\\right\b|\\end\b|(?<!\\)\}")

# Brackets math-core may match up with a later closer (found by timing each one repeated):
# the ASCII ones, control words, and Unicode brackets typed as they are.
_UNICODE_PAIRS = "⌈⌉⌊⌋⌜⌝⌞⌟⎰⎱❲❳⟅⟆⟦⟧⟨⟩⟪⟫⟬⟭⟮⟯⦃⦄⦅⦆⦇⦈⦉⦊⦋⦌⦍⦎⦏⦐⦑⦒⦓⦔⦕⦖⦗⦘⧘⧙⧚⧛⧼⧽"
_OPENER_WORDS = (
    "langle", "lfloor", "lceil", "lvert", "lVert", "lbrack", "lbrace", "lgroup", "lmoustache",
    "ulcorner", "llcorner", "llbracket", "lparen", "lang", "lAngle", "lBrace", "llangle",
    "llparenthesis",
)  # fmt: skip
_OPENERS = {"(", "[", "\\{", *_UNICODE_PAIRS[::2], *(f"\\{name}" for name in _OPENER_WORDS)}
_CLOSERS = {
    ")", "]", "\\}", *_UNICODE_PAIRS[1::2],
    *(f"\\{name}" for name in (
        "rangle", "rfloor", "rceil", "rvert", "rVert", "rbrack", "rbrace", "rgroup", "rmoustache",
        "urcorner", "lrcorner", "rrbracket", "rparen", "rang", "rAngle", "rBrace", "rrangle",
        "rrparenthesis",
    )),
}  # fmt: skip
_UNICODE_OPENER = re.compile(f"[{re.escape(_UNICODE_PAIRS[::2])}]")
_DELIMITER_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[^\\]", re.DOTALL)
# After these the next token is a delimiter of a fixed size: one math-core never matches up
# (`\\left(` is closed by its `\\right`), one it takes for an opener, whatever it is (`\\bigl|`,
# even `\\bigl)`), or a closer.
_SIZED = {
    "\\left", "\\right", "\\middle", "\\big", "\\Big", "\\bigg", "\\Bigg",
    "\\bigm", "\\Bigm", "\\biggm", "\\Biggm",
}  # fmt: skip
_SIZED_OPENING = {"\\bigl", "\\Bigl", "\\biggl", "\\Biggl"}
_SIZED_CLOSING = {"\\bigr", "\\Bigr", "\\biggr", "\\Biggr"}
# How many arguments a command takes (math-core's commands that take any, found by asking it):
# a bracket there is an argument, so `(\\hat)` and `(\\frac{a})` leave the `(` open.
_ONE_ARGUMENT = (
    "Bbb", "Bra", "Braket", "Ket", "Overrightarrow", "Set", "acute", "bar", "bcancel", "bm",
    "bold", "boldsymbol", "boxed", "bra", "braket", "breve", "cancel", "check", "color",
    "cramped", "ddddot", "dddot", "ddot", "dot", "emph", "eqref", "fbox", "frak", "grave", "hat",
    "hphantom", "label", "mathbb", "mathbf", "mathbin", "mathcal", "mathclose", "mathfrak",
    "mathinner", "mathit", "mathop", "mathopen", "mathord", "mathpunct", "mathrel", "mathring",
    "mathrm", "mathscr", "mathsf", "mathtt", "not", "operatorname", "operatornamewithlimits",
    "overbrace", "overbracket", "overgroup", "overleftarrow", "overleftharpoon",
    "overleftrightarrow", "overline", "overparen", "overrightarrow", "overrightharpoon",
    "phantom", "phase", "pmod", "pod", "set", "slashed", "sqrt", "symbf", "tag", "text", "textbf",
    "textit", "textrm", "textsc", "textsf", "texttt", "tilde", "underbar", "underbrace",
    "underbracket", "undergroup", "underleftarrow", "underleftrightarrow", "underline",
    "underparen", "underrightarrow", "vec", "vertoverlay", "vphantom", "widehat", "xLeftarrow",
    "xLeftrightarrow", "xRightarrow", "xcancel", "xhookleftarrow", "xhookrightarrow",
    "xleftarrow", "xleftharpoondown", "xleftharpoonup", "xleftrightarrow", "xleftrightharpoons",
    "xlongequal", "xmapsto", "xrightarrow", "xrightharpoondown", "xrightharpoonup",
    "xrightleftharpoons", "xtofrom", "xtwoheadleftarrow", "xtwoheadrightarrow",
)  # fmt: skip
_TWO_ARGUMENTS = (
    "frac", "dfrac", "tfrac", "cfrac", "binom", "dbinom", "tbinom", "overset", "underset",
    "stackrel", "textcolor", "sideset", "raisebox",
)  # fmt: skip
_ARITY = {
    "^": 1, "_": 1, "\\prescript": 3, "\\mathchoice": 4,
    **{f"\\{name}": 1 for name in _ONE_ARGUMENT},
    **{f"\\{name}": 2 for name in _TWO_ARGUMENTS},
}  # fmt: skip
_SIZING = _SIZED | _SIZED_OPENING | _SIZED_CLOSING
_OPENING = {"{", "\\left", "\\begin"}
# What math-core parses as a sequence of its own: a group, an environment's body, `\\left…\\right`.
_GROUP_OPENING = _OPENING
_GROUP_CLOSING = {"}", "\\right", "\\end"}
_CLOSING = {"}", "\\right", "\\end"}


def written_refusal(tex: str) -> str | None:
    """Why the engine (or even the rewrites) must not see this formula as written, or None."""
    if _nesting_depth(tex) > MAX_NESTING:
        return f"formula nested deeper than {MAX_NESTING} levels"
    if len(tex) > MAX_LENGTH:
        return f"formula longer than {MAX_LENGTH:,} characters"
    return None


def bracket_refusal(tex: str) -> str | None:
    """Why the engine must not see this (rewritten) formula for its brackets, or None."""
    if not _few_openers(tex) and _most_unclosed(tex) > MAX_UNCLOSED:
        return f"more than {MAX_UNCLOSED} brackets left open in one group"
    return None


def _nesting_depth(tex: str) -> int:
    depth = deepest = 0
    for match in _NESTING.finditer(tex):
        if match.group("open"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def _few_openers(tex: str) -> bool:
    """Too few opening brackets in all to leave more than `MAX_UNCLOSED` open: each opener holds
    one of these pieces, so counting them (in C) spares most formulas `_most_unclosed`. Only a
    formula with non-ASCII text (checked in constant time) can hold a Unicode bracket."""
    count = sum(tex.count(piece) for piece in ("(", "[", "\\{", "\\l", "\\u", "igl"))
    if not tex.isascii():
        count += len(_UNICODE_OPENER.findall(tex))
    return count <= MAX_UNCLOSED


def _most_unclosed(tex: str) -> int:
    """The most opening brackets left unclosed in one `{…}` group (`\\left(` does not count;
    math-core sees through a group of one item, as in `{(}`)."""
    measure = _Measure()
    for match in _DELIMITER_TOKEN.finditer(tex):
        measure.brackets(match.group())
    return measure.most_unclosed()


class _Measure:
    """Depth and unclosed brackets of a token stream, fed one token at a time."""

    __slots__ = ("_after", "_arguments", "_depth", "_groups", "_most", "deepest")

    def __init__(self) -> None:
        self._depth = self.deepest = 0
        # Per open `{` group or environment: its unclosed brackets, its items, and how many
        # arguments were still to come outside it.
        self._groups = [[0, 0, 0]]
        self._most = 0
        self._after = ""  # a sizing command just before: the next token is its delimiter
        self._arguments = 0  # how many of the next items are arguments of a command

    def token(self, token: str) -> None:
        if token in _OPENING:
            self._depth += 1
            self.deepest = max(self.deepest, self._depth)
        elif token in _CLOSING:
            self._depth = max(self._depth - 1, 0)
        self.brackets(token)

    def brackets(self, token: str) -> None:
        if token.isspace():
            return
        groups = self._groups
        after, self._after = self._after, ""
        argument = self._arguments > 0
        self._arguments -= argument
        if token in _GROUP_OPENING:
            groups.append([0, 0, self._arguments])
            self._arguments = 0
        elif token in _GROUP_CLOSING:
            self._close_group(token)
        else:
            group = groups[-1]
            group[1] += 1
            if after in _SIZED:
                pass
            elif after in _SIZED_OPENING:
                group[0] += token != "."
            elif token in _OPENERS:
                group[0] += 1
            elif argument:
                pass  # a closer as an argument closes nothing
            elif token in _CLOSERS or after in _SIZED_CLOSING:
                group[0] = max(group[0] - 1, 0)
        if token in _SIZING:
            self._after = token
            self._arguments += argument  # `_\\bigr|`: the delimiter is part of the argument
        else:
            self._arguments += _ARITY.get(token, 0)

    def _close_group(self, token: str) -> None:
        groups = self._groups
        if len(groups) > 1:
            unclosed, items, self._arguments = groups.pop()
            groups[-1][1] += 1
            if items == 1 and token == "}":  # `{(}` is no group to math-core: its bracket
                groups[-1][0] += unclosed  # counts outside
            else:
                self._most = max(self._most, unclosed)

    def most_unclosed(self) -> int:
        return max(self._most, *(group[0] for group in self._groups))


# --- macros -----------------------------------------------------------------------------------

# Spaces and `%` comments do not matter to what a formula expands to; `\\name*` is one command to
# math-core, and `#1`…`#9` are parameters.
_TEX_TOKEN = re.compile(r"(\\(?:[A-Za-z]+\*?|.|\Z)|#[1-9]|[^\s%])|\s+|%[^\n]*", re.DOTALL)
_DEFINERS = frozenset(
    {"\\def", "\\gdef", "\\newcommand", "\\renewcommand", "\\providecommand", "\\let"}
)


@dataclass(frozen=True, slots=True)
class Macro:
    """A macro's parameters and body; `default` is the first parameter's, if it is optional.
    A `literal` macro (`\\let\\a\\alpha`, `\\let\\a(`) stands for the one token of its body."""

    params: int
    body: tuple[str, ...]
    default: tuple[str, ...] | None = None
    literal: bool = False


def tex_tokens(tex: str) -> list[str]:
    return [token for token in _TEX_TOKEN.findall(tex) if token]


def site_macros(macros: Mapping[str, str]) -> dict[str, Macro]:
    """`[math.macros]` as math-core reads them: the highest `#n` in a body is its arity."""
    defined = {}
    for name, text in macros.items():
        body = tuple(tex_tokens(text))
        params = max((int(token[1]) for token in body if token[0] == "#"), default=0)
        defined["\\" + name] = Macro(params, body)
    return defined


def macro_user(names: Iterable[str]) -> re.Pattern[str]:
    """What a formula must contain to need expanding: a definition or one of these macros."""
    words = sorted({"def", "gdef", "newcommand", "renewcommand", "providecommand", "let", *names})
    return re.compile(r"\\(?:" + "|".join(map(re.escape, words)) + r")(?![A-Za-z])")


class _Stop(Exception):
    """The expansion cannot go on as math-core would (a malformed definition, a missing
    argument): math-core stops there with an error, so the rest is measured as it stands."""


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def expanded_refusal(tex: str, macros: Mapping[str, Macro]) -> str | None:
    """Why this formula, once its macros are expanded, is too big or too deep for the engine,
    or None. Its cost is bounded by the budget: each token is read once, and expansions make at
    most `MAX_EXPANDED_TOKENS` more."""
    try:
        measure = _Expander(tex, macros).run()
    except _Refused as refused:
        return refused.message
    if measure.deepest > MAX_NESTING:
        return f"formula nested deeper than {MAX_NESTING} levels once its macros are expanded"
    if measure.most_unclosed() > MAX_UNCLOSED:
        return (
            f"more than {MAX_UNCLOSED} brackets left open in one group once its macros are expanded"
        )
    return None


class _Expander:
    def __init__(self, tex: str, macros: Mapping[str, Macro]) -> None:
        self._pending = tex_tokens(tex)
        self._pending.reverse()  # a stack: the next token is the last
        self._macros = dict(macros)
        self._expansions = 0
        self._made = 0
        self._taken: list[str] = []  # what the definition or macro being read has taken so far

    def run(self) -> _Measure:
        measure = _Measure()
        pending = self._pending
        macros = self._macros
        try:
            while pending:
                token = pending.pop()
                self._taken.clear()
                if token in _DEFINERS:
                    self._count_expansion()
                    self._define(token)
                    continue
                macro = macros.get(token)
                if macro is None:
                    measure.token(token)
                elif macro.literal:
                    self._count_expansion()
                    measure.token(macro.body[0])
                else:
                    self._count_expansion()
                    self._expand(macro)
                if measure.deepest > MAX_NESTING:
                    break
        except _Stop:
            for token in [*self._taken, *reversed(pending)]:
                measure.token(token)
        return measure

    def _count_expansion(self) -> None:
        self._expansions += 1
        if self._expansions > MAX_EXPANSIONS:
            raise _Refused(
                f"formula expands its macros more than {MAX_EXPANSIONS:,} times"
                " (a \\def that calls itself?)"
            )

    def _expand(self, macro: Macro) -> None:
        arguments: list[list[str]] = []
        if macro.default is not None:
            optional = self._optional()
            arguments.append(list(macro.default) if optional is None else optional)
        while len(arguments) < macro.params:
            arguments.append(self._argument())
        body: list[str] = []
        for token in macro.body:
            if token[0] == "#" and len(token) == 2:
                index = int(token[1]) - 1
                if index >= len(arguments):
                    raise _Stop  # math-core refuses the definition
                body += arguments[index]
            else:
                body.append(token)
        self._made += len(body)
        if self._made > MAX_EXPANDED_TOKENS:
            raise _Refused(
                f"formula expands to more than {MAX_EXPANDED_TOKENS:,} tokens"
                " (a \\def that calls itself?)"
            )
        body.reverse()
        self._pending += body

    def _next(self) -> str:
        if not self._pending:
            raise _Stop
        token = self._pending.pop()
        self._taken.append(token)
        return token

    def _group(self) -> list[str]:
        """The tokens of a `{…}` group whose `{` was just read, without its braces."""
        tokens: list[str] = []
        depth = 1
        while True:
            token = self._next()
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if depth == 0:
                    return tokens
            tokens.append(token)

    def _argument(self) -> list[str]:
        token = self._next()
        if token == "{":
            return self._group()
        if token == "}":
            raise _Stop
        return [token]

    def _optional(self) -> list[str] | None:
        """A `[…]` argument if one comes next (brackets inside braces do not end it)."""
        if not self._pending or self._pending[-1] != "[":
            return None
        self._next()
        tokens: list[str] = []
        depth = 0
        while True:
            token = self._next()
            if token == "]" and depth == 0:
                return tokens
            depth += (token == "{") - (token == "}")
            tokens.append(token)

    def _name(self) -> str:
        token = self._next()
        if token == "{":
            inside = self._group()
            if len(inside) != 1:
                raise _Stop
            token = inside[0]
        if token[0] != "\\":
            raise _Stop
        return token

    def _define(self, definer: str) -> None:
        name = self._name()
        if definer == "\\let":
            target = self._next()
            if target == "=":
                target = self._next()
            known = self._macros.get(target)
            self._macros[name] = known or Macro(0, (target,), literal=True)
            return
        if definer in ("\\def", "\\gdef"):
            params = 0
            while (token := self._next()) != "{":
                if token != f"#{params + 1}":
                    raise _Stop  # a delimited parameter, which math-core does not support
                params += 1
            body = self._group()
            default = None
        else:
            params, default = self._arity()
            token = self._next()
            body = self._group() if token == "{" else [token]
        if definer != "\\providecommand" or name not in self._macros:
            self._macros[name] = Macro(params, tuple(body), default)

    def _arity(self) -> tuple[int, tuple[str, ...] | None]:
        """`\\newcommand`'s `[n]` and `[default]`, both optional."""
        count = self._optional()
        if count is None:
            return 0, None
        digits = "".join(count)
        if not digits.isdigit() or not 0 <= int(digits) <= 9:
            raise _Stop
        default = self._optional() if int(digits) > 0 else None
        return int(digits), None if default is None else tuple(default)
