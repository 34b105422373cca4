"""Split a post into YAML front matter and Markdown body, and validate the front matter.

YAML is read with a safe loader that follows YAML 1.2 where 1.1 surprises writers: `no` stays the
string "no", and dates are parsed by us so a bad date is reported on its own line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import yaml

from mathblog.errors import BlogError, Diagnostic
from mathblog.model import UNDATED
from mathblog.util.urls import MAX_NAME_BYTES, bare_slug, too_long_for_a_file_name

_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\t]")
# Half of a UTF-16 pair, from a "\ud800" escape: no page or feed can hold it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SLUG_FORBIDDEN = re.compile(r"[/\\?#%\s<>\"'`]|^\.|\.\.")


class _PostLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no implicit timestamps."""


# The same rules on libyaml's C parser, several times faster; its error messages are vaguer, so
# a front matter it rejects is parsed again by `_PostLoader` to report the error.
class _FastPostLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


_PostLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PostLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_FastPostLoader.yaml_implicit_resolvers = _PostLoader.yaml_implicit_resolvers


def _load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The document and its root node (for key lines); raises yaml.YAMLError."""
    for loader_class in (_FastPostLoader, _PostLoader):
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            return (loader.construct_document(node) if node is not None else {}), node
        except yaml.YAMLError:
            if loader_class is _PostLoader:
                raise
        finally:
            loader.dispose()
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    title: str
    date: datetime
    updated: datetime | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None
    slug: str | None = None
    draft: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)  # the `extra:` mapping, for themes
    toc: bool = True
    lang: str | None = None  # a language tag, when the post says which
    pinned: bool = False
    weight: int = 0  # orders pinned posts, lower first
    publish_date: datetime | None = None  # hidden until then (`date` if None)
    aliases: tuple[str, ...] = ()  # old URLs, as `alias_path` gives them
    series: str | None = None
    series_weight: int = 0
    warnings: tuple[Diagnostic, ...] = ()  # keys it does not know, spellings of other tools


@dataclass(frozen=True, slots=True)
class SplitPost:
    """The raw pieces of a post file; `body_line` is the file line where the body starts."""

    meta: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int


def split_post(text: str, path: str) -> SplitPost:
    """Separate the `---` YAML block from the body, mapping YAML errors to file lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        raise BlogError.at(
            "missing front matter",
            path,
            1,
            hint="start the file with a YAML block: ---, title: ..., date: 2024-05-01, ---",
        )
    close = next((i for i in range(1, len(lines)) if _CLOSE.match(lines[i])), None)
    if close is None:
        raise BlogError.at(
            "front matter opened with --- on line 1 is never closed",
            path,
            1,
            hint="did you forget the closing --- line after the front matter?",
        )
    yaml_text = "\n".join(lines[1:close])
    try:
        data, node = _load_yaml(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 1
        problem = exc.problem or "invalid YAML"
        raise BlogError.at(
            f"front matter: {problem}", path, line, hint=_yaml_hint(problem)
        ) from None
    except yaml.YAMLError as exc:
        raise BlogError.at(f"front matter: {exc}", path, 2) from None
    except RecursionError:  # PyYAML composes nested [ and { recursively
        raise BlogError.at(
            "front matter: nested too deeply",
            path,
            2,
            hint="front matter holds plain values and lists, e.g. tags: [a, b]",
        ) from None
    if not isinstance(data, dict):
        raise BlogError.at(
            "front matter must be key: value lines",
            path,
            2,
            hint="e.g. title: My post",
        )
    key_lines = _key_lines(node, path)
    body = "\n".join(lines[close + 1 :])
    return SplitPost({str(k): v for k, v in data.items()}, key_lines, body, close + 2)


def _key_lines(node: yaml.Node | None, path: str) -> dict[str, int]:
    """Each top-level key's file line. A key set twice is an error at its second line: YAML
    would silently keep only the last value, and the author edits the one that does nothing."""
    key_lines: dict[str, int] = {}
    twice: list[Diagnostic] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 2
            first = key_lines.get(key)
            if first is not None and isinstance(key_node, yaml.ScalarNode) and key != "<<":
                twice.append(
                    Diagnostic(
                        f"front matter: `{key}` is set twice (first on line {first})",
                        path,
                        line,
                        hint="remove one of them (YAML would silently keep only the last)",
                    )
                )
                continue
            key_lines[key] = line
    if twice:
        raise BlogError(twice)
    return key_lines


def _yaml_hint(problem: str) -> str:
    if "constructor for the tag" in problem:
        return "only plain values (text, numbers, dates, lists) are allowed; remove the !!tag"
    if "escape" in problem:
        return (
            "inside double quotes a backslash starts an escape; write TeX in single quotes: "
            "title: 'RoPE 中的 $\\theta_i$'"
        )
    return (
        "quote values that contain ':' or start with a special character, "
        "e.g. title: 'RoPE: a derivation'"
    )


def parse_datetime(value: Any, tz: ZoneInfo) -> datetime | None:
    """A date, datetime or ISO string → an aware datetime in `tz` unless it names its own zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else _in_zone(moment, tz)


_MINUTE = timedelta(minutes=1)


def _in_zone(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` in `tz`, with an offset of whole minutes: RFC 3339 and ISO 8601 cannot write
    seconds. Before its first recorded change a zone keeps local mean time (Asia/Shanghai:
    +08:05:43); such a moment gets the first standard offset the zone had instead (+08:00), the
    one its author meant. A later offset with seconds (Liberia's -00:44:30 until 1972) is
    rounded to the minute."""
    zoned = moment.replace(tzinfo=tz)
    offset = zoned.utcoffset()
    if offset is None or offset % _MINUTE == timedelta(0):
        return zoned
    if offset == datetime(1, 1, 2, tzinfo=tz).utcoffset():  # local mean time
        for year in range(max(moment.year, 1800), 2100):
            probe = datetime(year, 1, 1, tzinfo=tz)
            probed, summer = probe.utcoffset(), probe.dst()
            standard = offset if probed is None else probed - (summer or timedelta(0))
            if standard % _MINUTE == timedelta(0):
                return moment.replace(tzinfo=timezone(standard))
    return moment.replace(tzinfo=timezone(round(offset / _MINUTE) * _MINUTE))


def _strings(value: object) -> list[str]:
    """Every string in a front matter value, nested lists and tables included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for pair in value.items() for part in pair for text in _strings(part)]
    return []


_TOO_LONG_HINT = (
    f"it names a folder of the output, at most {MAX_NAME_BYTES} bytes in UTF-8 "
    f"({MAX_NAME_BYTES} Latin letters or {MAX_NAME_BYTES // 3} Chinese characters); shorten it"
)


def _shortened(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:30] + "…") + f" ({len(text)} characters)"


# --- the keys ---------------------------------------------------------------------------------

# Every key the build reads. A part of the build that reads a new key adds it here: any other
# key is a warning with a did-you-mean, since a misspelt key (`tag: x`) would otherwise lose what
# it says without a word. A theme's own keys go in the free `extra:` mapping.
KNOWN_KEYS = frozenset(
    {
        "title", "date", "updated", "publish_date", "tags", "summary", "slug", "draft",
        "toc", "lang", "pinned", "weight",
        "aliases", "series", "series_weight",  # redirects from old URLs; a series, its order
        "extra",
    }
)  # fmt: skip

# A page's own: `url:`, its whole path under the site (a post's URL is /posts/<slug>/).
PAGE_KEYS = frozenset({"url"})

# Keys of Hugo, Hexo and Jekyll that mean what one of ours means: read as ours.
SAME_MEANING = MappingProxyType(
    {
        "lastmod": "updated",  # Hugo
        "modified": "updated",  # Jekyll plugins, Pelican
        "publishDate": "publish_date",  # Hugo
        "publishdate": "publish_date",
        "description": "summary",  # Hugo, Hexo: the text shown for the post
    }
)
# Read too, with a meaning of their own: `categories` (Hugo, Hexo) become tags, since this blog
# has one taxonomy and a moved site should keep its grouping without editing every post;
# `published: false` (Hexo, Jekyll) is a draft.
MERGED_KEYS = frozenset({"categories", "published"})

_PERMALINK_HINT = (
    "a post's URL is /posts/<slug>/: set slug: for its last part, and aliases: [/old/url/] "
    "to keep the old address working"
)
_PINNED_HINT = "write pinned: true (and weight: 1, 2… to order pinned posts)"
# Keys of other tools with no counterpart here: what to write instead.
FOREIGN_HINTS = MappingProxyType(
    {
        "keywords": "blog writes no <meta name=keywords> (search engines ignore it): "
        "topics a reader can browse go in tags: [...]",
        "permalink": _PERMALINK_HINT,
        "url": _PERMALINK_HINT,
        "layout": "every post is drawn by post.html (your own goes in templates/post.html); "
        "a page that is not a post goes in pages/",
        "type": "every post is drawn by post.html (your own goes in templates/post.html)",
        "sticky": _PINNED_HINT,
        "top": _PINNED_HINT,
        "author": "the author is set once, in site.toml (author = ...); "
        "a value for your own template goes under extra:",
        "authors": "the author is set once, in site.toml (author = ...); "
        "a value for your own template goes under extra:",
        "excerpt": "write summary: ..., or put <!-- more --> in the body where the excerpt ends",
        "comments": "comments come from a template of yours (see the README's theme hooks); "
        "a per-post switch goes under extra: for it to read",
        "mathjax": "math is always on: $...$ and $$...$$ become MathML at build time",
        "math": "math is always on: $...$ and $$...$$ become MathML at build time",
        "katex": "math is always on: $...$ and $$...$$ become MathML at build time",
        "isCJKLanguage": "CJK text is counted as such by itself; remove the line",
    }
)
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True, slots=True)
class _OurKeys:
    """The front matter with other tools' spellings read as ours."""

    meta: dict[str, Any]
    key_lines: dict[str, int]
    spelled: dict[str, str]  # our key → the key as written, where it differs
    warnings: list[Diagnostic]


def _as_our_keys(split: SplitPost, path: str) -> _OurKeys:
    meta, lines = dict(split.meta), dict(split.key_lines)
    spelled: dict[str, str] = {}
    warnings: list[Diagnostic] = []
    for theirs, ours in SAME_MEANING.items():
        if theirs not in meta:
            continue
        value, line = meta.pop(theirs), lines.pop(theirs, 1)
        if ours in meta:
            warnings.append(
                Diagnostic(
                    f"front matter: `{theirs}` is ignored: `{ours}` is set too",
                    path,
                    line,
                    hint=f"keep one of them (`{theirs}` means `{ours}` here)",
                )
            )
        else:
            meta[ours], lines[ours], spelled[ours] = value, line, theirs
    return _OurKeys(meta, lines, spelled, warnings)


def _suggestion(key: str) -> str | None:
    """Our key that `key` is most likely a misspelling of."""
    import difflib  # only for a post with an unknown key: most builds never need it

    if key.lower() in KNOWN_KEYS:
        return key.lower()
    close = difflib.get_close_matches(key.lower(), sorted(KNOWN_KEYS), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_keys(keys: _OurKeys, path: str, *, page: bool) -> list[Diagnostic]:
    warnings = []
    for key in keys.meta:
        if key in KNOWN_KEYS or key in MERGED_KEYS or key == "<<" or (page and key in PAGE_KEYS):
            continue
        line = keys.key_lines.get(key, 1)
        if key in FOREIGN_HINTS:
            message, hint = f"front matter: `{key}` is not used", FOREIGN_HINTS[key]
        else:
            near = _suggestion(key)
            message = f"front matter: unknown key `{key}`"
            hint = (
                f"did you mean `{near}`?"
                if near
                else "the README's Front matter section lists the keys; "
                "a theme's own keys go under extra:"
            )
        warnings.append(Diagnostic(message, path, line, hint=hint))
    return warnings


def _flat_names(value: object) -> list[object] | None:
    """Tag-like names: a comma-separated string split, nested lists (Hexo's category paths)
    flattened; None for anything else."""
    if isinstance(value, str):
        return list(value.split(","))
    if isinstance(value, list):
        return [
            name
            for item in value
            for name in (_flat_names(item) or [] if isinstance(item, list) else [item])
        ]
    return None


def _language_tag(value: str) -> str:
    """`zh-cn` → `zh-CN`: BCP 47's usual case (language lower, script title, region upper)."""
    first, *rest = value.split("-")
    parts = [first.lower()]
    for part in rest:
        if len(part) == 4 and part.isalpha():
            parts.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            parts.append(part.upper())
        else:
            parts.append(part.lower())
    return "-".join(parts)


def validate_front_matter(
    split: SplitPost, path: str, tz: ZoneInfo, *, needs_date: bool = True
) -> FrontMatter:
    """Check every field, reporting all problems together; keys it does not know are warnings.
    A page (`needs_date=False`) may go without a `date`, and then has `UNDATED`; its `url:` is
    known."""
    keys = _as_our_keys(split, path)
    meta = keys.meta
    problems: list[Diagnostic] = []
    warnings = keys.warnings + _unknown_keys(keys, path, page=not needs_date)

    def line_of(key: str) -> int:
        return keys.key_lines.get(key, 1)

    def written(key: str) -> str:
        return keys.spelled.get(key, key)

    def problem(key: str, message: str, hint: str = "") -> None:
        problems.append(Diagnostic(message, path, line_of(key), hint=hint))

    title = meta.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        problem("title", "front matter needs a `title`", _missing_hint("title", keys))
    elif isinstance(title, list | dict):
        problem("title", "`title` must be text")

    for key in ("title", "summary"):
        value = meta.get(key)
        control = _CONTROL.search(value) if isinstance(value, str) else None
        if control:
            problem(
                key,
                f"`{key}` contains a control character {control.group()!r}",
                'in double quotes \\t, \\b, \\f… are escapes ("$\\theta$" holds a tab); '
                "write TeX in single quotes: title: 'RoPE 中的 $\\theta_i$'",
            )

    for key, value in meta.items():
        if any(_LONE_SURROGATE.search(text) for text in _strings(value)):
            problem(
                key,
                f"`{key}` contains half of a UTF-16 surrogate pair (a \\u escape)",
                "write the character itself, or escape it whole: \\U0001F600",
            )

    def date_field(key: str) -> datetime | None:
        value = meta.get(key)
        moment = parse_datetime(value, tz) if value is not None else None
        if value is not None and moment is None:
            problem(
                key,
                f"`{written(key)}` is not a valid date: {value!r}",
                "use YYYY-MM-DD or YYYY-MM-DD HH:MM, e.g. 2024-05-01 14:30",
            )
        return moment

    if meta.get("date") is None and needs_date:
        problem("date", "front matter needs a `date`", _missing_hint("date", keys))
    when = date_field("date")
    updated = date_field("updated")
    publish_date = date_field("publish_date")

    tags: tuple[str, ...] = ()
    raw_tags = meta.get("tags")
    if "categories" in meta:
        raw_tags = _with_categories(raw_tags, keys, problem)
    if isinstance(raw_tags, str):
        tags = tuple(t.strip() for t in raw_tags.split(",") if t.strip())
    elif isinstance(raw_tags, list) and all(isinstance(t, str | int | float) for t in raw_tags):
        tags = tuple(str(t).strip() for t in raw_tags if str(t).strip())
    elif raw_tags is not None:
        problem(
            "tags", "`tags` must be a list or a comma-separated string", "tags: [RoPE, 位置编码]"
        )
    tags = tuple(dict.fromkeys(unicodedata.normalize("NFC", tag) for tag in tags))
    for tag in tags:
        if not bare_slug(tag):
            # Hugo and Zola users expect a tag page per tag: one made of `.`, `/` or `#` alone
            # has no URL of its own, and naming it `untitled` would merge every such tag.
            problem(
                "tags",
                f"tag {tag!r} leaves nothing to make its URL from",
                "a tag's URL drops / \\ ? # % : * | \" < > [ ] and leading dots: "
                "use a word, e.g. tags: [notes]",
            )
        elif too_long_for_a_file_name(bare_slug(tag)):
            problem("tags", f"tag {_shortened(tag)} is too long for a URL", _TOO_LONG_HINT)

    summary = meta.get("summary")
    if summary is not None and not isinstance(summary, str):
        summary = str(summary)

    slug = meta.get("slug")
    if slug is not None:
        slug = unicodedata.normalize("NFC", str(slug).strip())
        if not slug or _SLUG_FORBIDDEN.search(slug):
            problem(
                "slug",
                f"`slug` {slug!r} cannot be used in a URL",
                "use letters, digits, - and _, e.g. slug: rope-derivation",
            )
        elif too_long_for_a_file_name(slug):
            problem("slug", f"`slug` {_shortened(slug)} is too long for a URL", _TOO_LONG_HINT)

    switches = _switches(meta, problem)
    weight = _weight(meta, switches["pinned"], problem, warnings.append, line_of("weight"), path)
    lang = _lang(meta, problem)
    extra = meta.get("extra", {})
    if not isinstance(extra, dict):
        problem(
            "extra",
            "`extra` must be a mapping",
            "write its keys indented on the lines below it, or as extra: {cover: a.png}",
        )

    aliases = _aliases(meta.get("aliases"), problem)
    series, series_weight = _series(meta, problem)

    if problems or (when is None and needs_date):
        raise BlogError(problems)
    return FrontMatter(
        title=str(title),
        date=when if when is not None else UNDATED,
        updated=updated,
        tags=tags,
        summary=summary,
        slug=slug,
        draft=switches["draft"] or not switches["published"],
        extra={str(k): v for k, v in extra.items()},
        toc=switches["toc"],
        lang=lang,
        pinned=switches["pinned"],
        weight=weight,
        publish_date=publish_date,
        aliases=aliases,
        series=series,
        series_weight=series_weight,
        warnings=tuple(warnings),
    )


Problem = Callable[[str, str, str], None]  # key, message, hint


def _switches(meta: Mapping[str, Any], problem: Problem) -> dict[str, bool]:
    """The true/false keys, by name."""
    switches = {}
    for key, default in (("draft", False), ("published", True), ("toc", True), ("pinned", False)):
        value = meta.get(key, default)
        if not isinstance(value, bool):
            problem(key, f"`{key}` must be true or false", "")
        switches[key] = value is True
    return switches


def _weight(
    meta: Mapping[str, Any],
    pinned: bool,
    problem: Problem,
    warn: Callable[[Diagnostic], None],
    line: int,
    path: str,
) -> int:
    weight = meta.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int):
        problem("weight", "`weight` must be a whole number", "e.g. weight: 1 (lower comes first)")
        return 0
    if "weight" in meta and not pinned:  # Hugo orders every list by it; only pinned posts here
        warn(
            Diagnostic(
                "front matter: `weight` orders pinned posts only, and this one is not pinned",
                path,
                line,
                hint="add pinned: true, or remove the line",
            )
        )
    return weight


def _lang(meta: Mapping[str, Any], problem: Problem) -> str | None:
    lang = meta.get("lang")
    if lang is None:
        return None
    if not (isinstance(lang, str) and _LANGUAGE_TAG.match(lang.strip())):
        problem(
            "lang",
            f"`lang` {lang!r} is not a language tag",
            "write a BCP 47 tag, as in <html lang>: lang: en, lang: zh-CN, lang: ja",
        )
        return None
    return _language_tag(lang.strip())


def _missing_hint(key: str, keys: _OurKeys) -> str:
    """What to add for a missing `key`; a key written that is likely it, if there is one."""
    for other in keys.meta:
        if other not in KNOWN_KEYS and _suggestion(other) == key:
            return f"line {keys.key_lines.get(other, 1)} says `{other}`: write `{key}`"
    return 'add a line: title: "My post"' if key == "title" else "add a line: date: 2024-05-01"


def _with_categories(raw_tags: object, keys: _OurKeys, problem: Problem) -> object:
    """`tags` with the `categories` added after them: one taxonomy here."""
    categories = _flat_names(keys.meta["categories"])
    if categories is None:
        problem(
            "categories",
            "`categories` must be a list or a comma-separated string",
            "categories: [notes, 扩散模型] (they are read as tags)",
        )
        return raw_tags
    keys.key_lines.setdefault("tags", keys.key_lines.get("categories", 1))
    own = _flat_names(raw_tags) if isinstance(raw_tags, str) else raw_tags
    if raw_tags is None:
        return categories
    return [*own, *categories] if isinstance(own, list) else raw_tags


# --- aliases and series -----------------------------------------------------------------------

SERIES_AND_ALIASES = ("aliases", "series", "series_weight")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_PAGE_FILE = (".html", ".htm")
_ALIAS_EXAMPLE = 'aliases: ["/2019/01/old-slug/", "/old.html"]'


class BadAlias(ValueError):
    """Why a path cannot be an alias, and a hint; reported at the `aliases:` line."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def alias_path(text: str) -> str:
    """An old URL of a page, `/2019/01/old-slug/` or `/old.html`, as a path under the site's
    base path, decoded: `2019/01/old-slug/` (a folder: its redirect is `index.html` in it) or
    `old.html`. A path without a trailing `/` whose last part has no extension is a folder too.
    Raises `BadAlias` for what cannot be a file of this site."""
    written = text.strip()
    if _SCHEME.match(written) or written.startswith("//"):
        raise BadAlias(
            f"alias {written!r} names another site",
            "an alias is a path on this site, without scheme or host: " + _ALIAS_EXAMPLE,
        )
    if not written.startswith("/"):
        raise BadAlias(
            f"alias {written!r} must start with /",
            "write the old URL from the site's root (under its base path): " + _ALIAS_EXAMPLE,
        )
    if "?" in written or "#" in written:
        raise BadAlias(
            f"alias {written!r} has a query or fragment",
            "a redirect page is found by its path alone: drop the ?… or #… part",
        )
    decoded = unicodedata.normalize("NFC", unquote(written))
    parts = decoded.split("/")[1:]
    folder = decoded.endswith("/")
    if folder:
        parts.pop()
    if not parts:
        raise BadAlias(
            "alias '/' is the front page", "an alias is an old URL no page of the site has now"
        )
    if any(part in ("", ".", "..") or _CONTROL.search(part) or "\\" in part for part in parts):
        raise BadAlias(
            f"alias {written!r} is not a plain path",
            "no empty parts (//), no . or .., no backslashes or control characters",
        )
    if any(too_long_for_a_file_name(part) for part in parts):
        raise BadAlias(f"alias {_shortened(written)} is too long for a URL", _TOO_LONG_HINT)
    last = parts[-1]
    if folder or "." not in last:
        return "/".join(parts) + "/"
    if last.lower().endswith(_PAGE_FILE):
        return "/".join(parts)
    raise BadAlias(
        f"alias {written!r} is not a page",
        "a redirect is an HTML page: a folder (/old/) or a .html file (/old.html)",
    )


def _aliases(value: object, problem: Problem) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problem("aliases", "`aliases` must be a list of paths", _ALIAS_EXAMPLE)
        return ()
    paths = []
    for item in value:
        try:
            paths.append(alias_path(item))
        except BadAlias as bad:
            problem("aliases", bad.message, bad.hint)
    return tuple(dict.fromkeys(paths))


def _series(meta: Mapping[str, Any], problem: Problem) -> tuple[str | None, int]:
    """`series:` (a name, whose URL is made as a tag's) and `series_weight:` (an integer)."""
    name = meta.get("series")
    if name is not None:
        if not isinstance(name, str | int | float) or isinstance(name, bool):
            problem("series", "`series` must be the series' name", "series: 扩散模型")
            name = None
        else:
            name = unicodedata.normalize("NFC", str(name).strip()) or None
    if name is not None and not bare_slug(name):
        problem(
            "series",
            f"series {name!r} leaves nothing to make its URL from",
            "a series' URL is made as a tag's: use a word, e.g. series: 扩散模型",
        )
    elif name is not None and too_long_for_a_file_name(bare_slug(name)):
        problem("series", f"series {_shortened(name)} is too long for a URL", _TOO_LONG_HINT)
    weight = meta.get("series_weight", 0)
    if not isinstance(weight, int) or isinstance(weight, bool):
        problem(
            "series_weight",
            "`series_weight` must be a whole number",
            "lower comes first in the series; posts without one weigh 0: series_weight: -1",
        )
        weight = 0
    elif name is None and "series_weight" in meta:
        problem("series_weight", "`series_weight` without a `series`", "add a line: series: …")
    return name, weight
