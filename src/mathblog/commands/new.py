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
    bundle: bool = False,
) -> Path:
    """Write `posts/<slug>.md`, or `posts/<slug>/index.md` for a `bundle` (a folder the post's
    files go beside), the slug made from the title unless given, and return its path; refuse a
    slug that is not one already, or that either form of post already has, and never replace a
    file."""
    if slug is None:
        slug = slugify(title)
    elif slugify(slug) != slug:
        raise BlogError.at(
            f"{slug!r} cannot be a slug",
            hint="lower-case letters (Chinese too), digits and -, e.g. --slug rope-derivation",
        )
    forms = (f"{POSTS_DIR}/{slug}.md", f"{POSTS_DIR}/{slug}/index.md")
    relative = forms[1] if bundle else forms[0]
    when = now or datetime.now(config.tz)
    text = post_text(title, when, tags=tags, draft=draft, body=body)
    # The rules of a build, now: a title with a control character fails here, not later.
    validate_front_matter(split_post(text, relative), relative, config.tz)
    path = config.root / relative
    # The other form would be a second post with the same URL: a build refuses the pair.
    for taken in forms:
        if taken != relative and (config.root / taken).exists():
            raise _taken(taken)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise _taken(relative) from None
    return path


def _taken(relative: str) -> BlogError:
    return BlogError.at(
        f"{relative} already exists; nothing was written", hint="give another title or --slug"
    )
