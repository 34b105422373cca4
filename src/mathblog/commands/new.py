"""`blog new`: a post file with its front matter filled in, checked by the same rules a build
applies, written only where no file is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from mathblog.config import SiteConfig
from mathblog.content.discover import POSTS_DIR
from mathblog.content.frontmatter import split_post, validate_front_matter
from mathblog.errors import BlogError
from mathblog.util.urls import slugify


def yaml_string(text: str) -> str:
    """`text` as a single-quoted YAML scalar: backslashes stay themselves (`'$\\theta$'`) and
    only the quote needs doubling."""
    return "'" + text.replace("'", "''") + "'"


def post_text(
    title: str, date: datetime, *, tags: Sequence[str] = (), draft: bool = True, body: str = ""
) -> str:
    lines = ["---", f"title: {yaml_string(title)}", f"date: {date:%Y-%m-%d %H:%M}"]
    if tags:
        lines.append("tags: [" + ", ".join(yaml_string(tag) for tag in tags) + "]")
    if draft:
        lines.append("draft: true")
    return "\n".join([*lines, "---", body])


def create_post(
    config: SiteConfig,
    title: str,
    *,
    slug: str | None = None,
    tags: Sequence[str] = (),
    draft: bool = True,
    body: str = "",
    now: datetime | None = None,
) -> Path:
    """Write `posts/<slug>.md` (the slug made from the title unless given) and return its path;
    refuse a slug that is not one already, and never replace a file."""
    if slug is None:
        slug = slugify(title)
    elif slugify(slug) != slug:
        raise BlogError.at(
            f"{slug!r} cannot be a slug",
            hint="lower-case letters (Chinese too), digits and -, e.g. --slug rope-derivation",
        )
    relative = f"{POSTS_DIR}/{slug}.md"
    when = now or datetime.now(config.tz)
    text = post_text(title, when, tags=tags, draft=draft, body=body)
    # The rules of a build, now: a title with a control character fails here, not later.
    validate_front_matter(split_post(text, relative), relative, config.tz)
    path = config.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise BlogError.at(
            f"{relative} already exists; nothing was written",
            hint="give another title or --slug",
        ) from None
    return path
