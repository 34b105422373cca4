"""What a cached result depends on, as short digests: the code, the config, the templates.

A post is parsed again only when its file or its `post_fingerprint` changes; a page is rendered
again only when the data it is given or its `page_fingerprint` changes. Each config field is listed
below as shaping posts or not, and a test keeps that list complete, so a new setting cannot be
forgotten and leave a stale page behind.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from mathblog.config import SiteConfig
from mathblog.content.discover import (
    TEMPLATES_DIR,
    THEME_DIR,
    Boundary,
    find_visible,
    site_favicon,
)
from mathblog.model import Post
from mathblog.util.digests import digest, installed_library

PACKAGE_DIR = Path(__file__).parent.parent
# The libraries whose output ends up in a post; a new version may render differently.
# (module, distribution) pairs.
RENDERING_LIBRARIES = (
    ("markdown_it", "markdown_it_py"),
    ("mdit_py_plugins", "mdit_py_plugins"),
    ("pygments", "pygments"),
    ("math_core", "math_core"),
    ("yaml", "pyyaml"),
    ("jinja2", "jinja2"),
)

# Settings that change how a post file is turned into a `Post` (its HTML, URLs, dates, excerpt).
POST_FIELDS = frozenset(
    {
        "root",
        "base_url",
        "language",
        "excerpt_length",
        "timezone",
        "raw_html",
        "cjk_latin_spacing",
        "math_macros",
    }
)
# Settings that only pages use; changing one renders the pages again but parses no post.
PAGE_ONLY_FIELDS = frozenset(
    {
        "title",
        "description",
        "author",
        "per_page",
        "feed_limit",
        "output_dir",
        "index_heading",
        "allow_symlinks_to",  # which files are found; a post found is parsed on its own terms
        "nav",
        "extra",  # for templates only
        "skip_external",  # read by `blog check --external`; templates see all of `site`
    }
)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Our own source and the installed libraries we render with; editing either (even without a
    version bump, as in a development checkout) invalidates every cached result."""
    parts: list[str | bytes] = [installed_library(*library) for library in RENDERING_LIBRARIES]
    for name in _package_files():
        with open(os.path.join(PACKAGE_DIR, name), "rb") as file:
            parts += [name, file.read()]
    return digest(*parts)


def _package_files() -> list[str]:
    """The package's files (no bytecode) by their paths in it with `/`, in order: a walk with
    os.scandir, as every build makes one (pathlib's rglob took two thirds of the fingerprint)."""
    found: list[str] = []
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(os.path.join(PACKAGE_DIR, folder)) as entries:
            for entry in entries:
                name = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(name)
                elif entry.is_file() and not entry.name.endswith(".pyc"):
                    found.append(name)
    return sorted(found, key=lambda name: name.split("/"))


def _config_fields(config: SiteConfig, names: frozenset[str]) -> str:
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    return repr(sorted((name, _stable(values[name])) for name in names))


def _stable(value: object) -> object:
    if isinstance(value, Mapping):
        return sorted((str(k), repr(v)) for k, v in value.items())
    return repr(value)


def post_fingerprint(config: SiteConfig) -> str:
    return digest("post", code_fingerprint(), _config_fields(config, POST_FIELDS))


# What the theme's templates show of a post on another post's page, a listing or a tag's feed
# (its card, a link to it): every field but its body and the counts only its own page shows.
_NOT_ON_CARDS = frozenset({"body", "words", "cjk_chars"})


def card_fingerprint(post: Post) -> str:
    """A digest of what the theme shows of `post` away from its own page (`_NOT_ON_CARDS`
    aside): a page that shows it only so is not rendered again when only its body changed."""
    shown = [getattr(post, f.name) for f in dataclasses.fields(post) if f.name not in _NOT_ON_CARDS]
    return digest("card", repr(shown))


def template_files(config: SiteConfig) -> list[Path]:
    """The site's templates (editor leftovers skipped); the theme's are part of the code."""
    return find_visible(config.root / TEMPLATES_DIR, boundary=Boundary.of(config))


def shadows_theme(config: SiteConfig, templates: list[Path]) -> bool:
    """Whether one of the site's `templates` takes the place of a theme template (a hook is
    one too): only then can a page show anything the theme's templates do not. Any other file
    there (the README `blog init` writes, a partial) is read only by such a template."""
    folder = config.root / TEMPLATES_DIR
    theme = THEME_DIR / "templates"
    return any((theme / path.relative_to(folder)).is_file() for path in templates)


def page_fingerprint(config: SiteConfig, templates: list[Path] | None = None) -> str:
    """Every setting (templates see all of `site`), every template, and the code; `templates`:
    `template_files(config)`, if the caller has them already."""
    every = frozenset(f.name for f in dataclasses.fields(config))
    parts: list[str | bytes] = ["page", code_fingerprint(), _config_fields(config, every)]
    parts += site_favicon(config)  # every page links to the site's icon
    for path in template_files(config) if templates is None else templates:
        parts += [str(path), path.read_bytes()]
    return digest(*parts)
