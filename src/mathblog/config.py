"""`site.toml` → a frozen `SiteConfig`, every unknown key and bad value reported at once."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mathblog.errors import BlogError, Diagnostic, decode_utf8

CONFIG_FILE = "site.toml"
LANGUAGES = ("zh-CN", "en")
_MACRO_NAME = re.compile(r"^\\?[A-Za-z]+$")


@dataclass(frozen=True, slots=True)
class NavEntry:
    """A link of the site's nav (`[[nav]]`): `url` is site-relative (`/about/`, moved under the
    base path when shown) or a full http(s) URL."""

    title: str
    url: str
    hint: str = ""  # a tooltip; `[[nav]]` sets none, the theme's default nav does


@dataclass(frozen=True, slots=True)
class SiteConfig:
    root: Path
    title: str = "My notes"
    description: str = ""
    author: str = ""
    base_url: str = "/"
    language: str = "en"
    per_page: int = 10
    feed_limit: int = 20  # posts in /atom.xml and in each tag's feed
    excerpt_length: int = 100
    timezone: str = "UTC"
    output_dir: str = "public"
    index_heading: str = ""
    raw_html: bool = True
    cjk_latin_spacing: bool = (
        False  # `[markdown] cjk_latin_spacing`: 中文 and English → 中文 and English
    )
    math_macros: Mapping[str, str] = field(default_factory=dict)
    # Folders outside the site that symlinks in posts/, static/ and templates/ may lead into
    # (absolute, resolved); see `discover.Boundary`.
    allow_symlinks_to: tuple[str, ...] = ()
    nav: tuple[NavEntry, ...] = ()  # `[[nav]]`; none: the theme's default nav
    # `[check] skip_external`: URL prefixes (`*` for any text) `blog check --external` skips.
    skip_external: tuple[str, ...] = ()
    # `[extra]`: the site's own settings, any TOML, for its templates (as `extra`).
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, always ending in `/` (e.g. `/notes/`)."""
        return urlsplit(self.base_url).path or "/"

    @property
    def site_url(self) -> str:
        """`scheme://host` of `base_url`, or "" when the base URL is only a path."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def output_path(self) -> Path:
        return (self.root / self.output_dir).resolve()


_DEFAULT = SiteConfig(root=Path("."))


def normalize_base_url(value: str) -> str:
    """Give a base URL exactly one trailing slash: `https://a.io/notes` → `https://a.io/notes/`."""
    return value.rstrip("/") + "/"


def base_url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
    except ValueError:  # `https://[x/`: a host in brackets with no end
        return "is not a URL: an IPv6 host in [brackets] needs its closing ]"
    if value.startswith("/") and not parts.netloc:
        return None
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    return "must be an http(s) URL like https://user.github.io/notes/ or a path like /"


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """Map (table, key) to the line where it is set, for error messages (tomllib gives none)."""
    lines: dict[tuple[str, str], int] = {}
    table = ""
    arrays: dict[str, int] = {}  # how many `[[name]]` headers so far, by name
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        array = re.match(r"^\[\[\s*([^\[\]]+?)\s*\]\]", line)
        if array:  # `[[nav]]`: its keys are those of `nav[0]`, `nav[1]`, …
            name = array.group(1).replace('"', "").replace(" ", "")
            arrays[name] = arrays.get(name, -1) + 1
            table = f"{name}[{arrays[name]}]"
            lines.setdefault((table, ""), number)
            continue
        header = re.match(r"^\[\s*([^\[\]]+?)\s*\]", line)
        if header:
            table = header.group(1).replace('"', "").replace(" ", "")
            lines.setdefault((table, ""), number)
            continue
        key = re.match(r'^("[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-\\]+)\s*=', line)
        if key:
            name = key.group(1).strip("\"'")
            lines.setdefault((table, name), number)
    return lines


_Check = Callable[[Any], str | None]


def _is_str(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _positive_int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return None if ok else "must be a whole number ≥ 1"


def _is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _language(value: Any) -> str | None:
    return None if value in LANGUAGES else f"must be one of {', '.join(LANGUAGES)}"


def _timezone(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not a known time zone (e.g. Asia/Shanghai, UTC)"
    return None


def _base_url(value: Any) -> str | None:
    return _is_str(value) or base_url_problem(value)


def _output_dir(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "must be a folder name"
    return None


def _folder_list(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return 'must be a list of folders, e.g. ["../shared-figures"]'
    return None


def _url_prefixes(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return 'must be a list of URL prefixes, e.g. ["https://example.com/private/"]'
    return None


_TOP_LEVEL: dict[str, _Check] = {
    "title": _is_str,
    "description": _is_str,
    "author": _is_str,
    "base_url": _base_url,
    "language": _language,
    "per_page": _positive_int,
    "feed_limit": _positive_int,
    "excerpt_length": _positive_int,
    "timezone": _timezone,
    "output_dir": _output_dir,
    "index_heading": _is_str,
    "allow_symlinks_to": _folder_list,
}
_TABLES: dict[str, dict[str, _Check]] = {
    "math": {"macros": lambda v: None if isinstance(v, dict) else "must be a table"},
    "markdown": {"raw_html": _is_bool, "cjk_latin_spacing": _is_bool},
    "check": {"skip_external": _url_prefixes},
}


_NAV_HINT = '[[nav]] entries are tables: [[nav]], then title = "About" and url = "/about/"'


def _nav_entries(value: Any, report: Callable[..., None]) -> tuple[NavEntry, ...]:
    """`[[nav]]` (or `nav = [{…}]`) → its entries; problems go to `report(table, key, …)`."""
    if not isinstance(value, list):
        report("", "nav", "must be a list of links", hint=_NAV_HINT)
        return ()
    entries = []
    for number, item in enumerate(value):
        table = f"nav[{number}]"
        if not isinstance(item, dict):
            report("", "nav", f"entry {number + 1} is not a table", hint=_NAV_HINT)
            continue
        for key in sorted(set(item) - {"title", "url"}):
            report(table, key, "is not a known setting", hint="a nav entry has title and url")
        title, url = item.get("title"), item.get("url")
        if not isinstance(title, str) or not title.strip():
            report(table, "title", "must be the link's text", hint='e.g. title = "About"')
        if not isinstance(url, str) or (problem := _nav_url(url)):
            report(
                table,
                "url",
                problem if isinstance(url, str) else "must be a string",
                hint='a path under the site, url = "/about/", or a full https:// URL',
            )
        elif isinstance(title, str) and title.strip():
            entries.append(NavEntry(title.strip(), url.strip()))
    return tuple(entries)


def _nav_url(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # `https://[x`: a host in brackets with no end
        return f"{url!r} is not a URL a browser can follow"
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    if url.strip().startswith("/") and not url.strip().startswith("//") and not parts.scheme:
        return None
    return f"{url!r} is neither a path under the site (/about/) nor an http(s) URL"


def load_config(root: Path) -> SiteConfig:
    """Read `root/site.toml`; a missing file means all defaults."""
    path = root / CONFIG_FILE
    if not path.exists():
        return SiteConfig(root=root.resolve())
    text = decode_utf8(path.read_bytes(), CONFIG_FILE, hint="save site.toml as UTF-8", bom=True)
    return parse_config(text, root.resolve())


def parse_config(text: str, root: Path) -> SiteConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise BlogError.at(
            f"invalid TOML: {message}",
            CONFIG_FILE,
            line,
            hint='strings need quotes: title = "My notes"',
        ) from None

    lines = _key_lines(text)
    problems: list[Diagnostic] = []

    def line_of(table: str, key: str) -> int | None:
        """The line setting `key`; else its own `[table]` header (an unknown table); else its
        table's header, or the line setting its table (`macros = {…}` in `[math]`)."""
        name = f"{table}.{key}" if table else key
        parent, _, leaf = table.rpartition(".")
        # (`nav[0]` set inline, `nav = [{…}]`: the line of `nav`)
        inline = (parent, leaf.partition("[")[0])
        for place in ((table, key), (name, ""), (table, ""), (parent, leaf), inline):
            if place in lines:
                return lines[place]
        return None

    def report(table: str, key: str, message: str, hint: str = "") -> None:
        name = f"{table}.{key}" if table else key
        line = line_of(table, key)
        problems.append(Diagnostic(f"`{name}` {message}", CONFIG_FILE, line, hint=hint))

    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "nav":
            values["nav"] = _nav_entries(value, report)
            continue
        if key == "extra":
            if not isinstance(value, dict):
                report("", key, "must be a table", hint="write it as [extra], then your keys")
            values["extra"] = value if isinstance(value, dict) else {}
            continue
        if key in _TABLES:
            if not isinstance(value, dict):
                report("", key, "must be a table", hint=f"write it as [{key}]")
                continue
            for sub_key, sub_value in value.items():
                check = _TABLES[key].get(sub_key)
                if check is None:
                    known = ", ".join(_TABLES[key])
                    report(
                        key, sub_key, "is not a known setting", hint=f"known in [{key}]: {known}"
                    )
                elif (complaint := check(sub_value)) is not None:
                    report(key, sub_key, complaint)
                else:
                    values[f"{key}.{sub_key}"] = sub_value
            continue
        check = _TOP_LEVEL.get(key)
        if check is None:
            known = ", ".join([*_TOP_LEVEL, *(f"[{t}]" for t in _TABLES), "[[nav]]", "[extra]"])
            report("", key, "is not a known setting", hint=f"known settings: {known}")
        elif (complaint := check(value)) is not None:
            report("", key, complaint)
        else:
            values[key] = value

    macros: dict[str, str] = {}
    for name, body in values.pop("math.macros", {}).items():
        if not _MACRO_NAME.match(name) or not isinstance(body, str):
            report(
                "math.macros",
                name,
                "must map a command name to a TeX string",
                hint='e.g. R = "\\\\mathbb{R}"',
            )
            continue
        macros[name.lstrip("\\")] = body

    allowed: list[str] = []
    for folder in values.get("allow_symlinks_to", []):
        path = (root / Path(folder).expanduser()).resolve()
        if path.is_dir():
            allowed.append(str(path))
        else:
            report(
                "",
                "allow_symlinks_to",
                f"names {folder!r}, which is not a folder ({path})",
                hint="a path relative to the site folder, or an absolute one",
            )

    if problems:
        raise BlogError(problems)

    config = SiteConfig(
        root=root,
        title=values.get("title", _DEFAULT.title),
        description=values.get("description", ""),
        author=values.get("author", ""),
        base_url=normalize_base_url(values.get("base_url", "/")),
        language=values.get("language", _DEFAULT.language),
        per_page=values.get("per_page", _DEFAULT.per_page),
        feed_limit=values.get("feed_limit", _DEFAULT.feed_limit),
        excerpt_length=values.get("excerpt_length", _DEFAULT.excerpt_length),
        timezone=values.get("timezone", _DEFAULT.timezone),
        output_dir=values.get("output_dir", _DEFAULT.output_dir),
        index_heading=values.get("index_heading", ""),
        raw_html=values.get("markdown.raw_html", True),
        cjk_latin_spacing=values.get("markdown.cjk_latin_spacing", False),
        math_macros=macros,
        allow_symlinks_to=tuple(allowed),
        nav=values.get("nav", ()),
        skip_external=tuple(values.get("check.skip_external", ())),
        extra=values.get("extra", {}),
    )
    check_output_dir(config, lines.get(("", "output_dir")))
    return config


SOURCE_FOLDERS = ("posts", "pages", "templates", "static")


def check_output_dir(config: SiteConfig, line: int | None) -> None:
    """Refuse an output folder that would overwrite the site's own sources, or sit inside one
    of them, where the next build would read it back as posts, templates or static files."""
    out = config.output_path
    hint = 'use a folder of its own, e.g. output_dir = "public"'
    for place in [config.root, *(config.root / name for name in SOURCE_FOLDERS)]:
        if out == place.resolve() or out in place.resolve().parents:
            raise BlogError.at(
                f"`output_dir` {config.output_dir!r} would overwrite {place.name or 'the site'}",
                CONFIG_FILE,
                line,
                hint=hint,
            )
    for name in SOURCE_FOLDERS:
        if (config.root / name).resolve() in out.parents:
            raise BlogError.at(
                f"`output_dir` {config.output_dir!r} is inside {name}/, so every build would "
                f"read its own output back from there",
                CONFIG_FILE,
                line,
                hint=hint,
            )
