"""Jinja rendering: the environment (autoescape, StrictUndefined, theme + site overrides) and
turning the site model into output pages."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from .config import SiteConfig
from .discover import TEMPLATES_DIR
from .errors import BlogError
from .i18n import ui_strings
from .model import Pager, Post, Tag, YearGroup
from .urls import file_path, url_path

THEME_DIR = Path(__file__).parent / "theme"
THEME_TEMPLATES = THEME_DIR / "templates"


@dataclass(frozen=True, slots=True)
class Page:
    """One output file: where it goes, its text, and what it was made from (for errors)."""

    path: str
    text: str
    source: str


def create_environment(config: SiteConfig) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(config.root / TEMPLATES_DIR), str(THEME_TEMPLATES)]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    strings = ui_strings(config.language)
    env.globals.update(
        site=config,
        t=strings,
        heading=config.index_heading or strings["latest"],
        url=lambda path="": config.base_path + path.lstrip("/"),
        absolute=lambda path: config.site_url + path,
    )
    env.filters["date"] = _format_date
    env.filters["isodate"] = lambda moment: moment.isoformat()
    return env


def _format_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _template_location(exc: BaseException, config: SiteConfig) -> tuple[str, int | None]:
    """The template file and line an error came from: the site's own, else the theme's."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return _display_name(exc.filename or exc.name or "", config), exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml")):
            return _display_name(frame.filename, config), frame.lineno
    return "", None


def _display_name(filename: str, config: SiteConfig) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(config.root).as_posix()
    except ValueError:
        pass
    try:
        return "theme/" + path.resolve().relative_to(THEME_TEMPLATES).as_posix()
    except ValueError:
        return filename


class PageRenderer:
    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.env = create_environment(config)

    def render(self, template: str, output: str, source: str, **context: Any) -> Page:
        page_url = self.config.base_path + output.removesuffix("index.html")
        try:
            text = self.env.get_template(template).render(page_url=page_url, **context)
        except jinja2.TemplateNotFound as exc:
            file, line = _template_location(exc, self.config)
            raise BlogError.at(
                f"template {exc.name!r} not found (rendering {output} from {source})",
                file or f"{TEMPLATES_DIR}/{template}",
                line,
                hint=f"add it to {TEMPLATES_DIR}/ or fix the name in the include",
            ) from None
        except jinja2.TemplateError as exc:
            file, line = _template_location(exc, self.config)
            raise BlogError.at(
                f"template error: {exc.message} (rendering {output} from {source})",
                file,
                line,
                hint="see the Jinja docs: https://jinja.palletsprojects.com/templates/",
            ) from None
        return Page(output, text, source)


def render_site(
    renderer: PageRenderer,
    posts: tuple[Post, ...],
    tags: tuple[Tag, ...],
    index_pages: tuple[Pager, ...],
    tag_pages: dict[str, tuple[Pager, ...]],
    years: tuple[YearGroup, ...],
    neighbours: dict[str, tuple[Post | None, Post | None]],
) -> Iterator[Page]:
    config = renderer.config
    render: Callable[..., Page] = renderer.render
    for pager in index_pages:
        yield render("index.html", pager.output_file, "index", pager=pager)
    for post in posts:
        older, newer = neighbours[post.slug]
        yield render(
            "post.html", post.output_file, post.source, post=post, older=older, newer=newer
        )
    yield render("tags.html", file_path("tags"), "tags", tags=tags)
    for tag in tags:
        for pager in tag_pages[tag.slug]:
            yield render("tag.html", pager.output_file, f"tag {tag.name}", tag=tag, pager=pager)
    yield render("archive.html", file_path("archive"), "archive", years=years)
    yield render("404.html", "404.html", "404")
    feed_posts = posts[:20]
    updated = max((p.updated or p.date for p in feed_posts), default=None)
    yield render(
        "atom.xml",
        "atom.xml",
        "feed",
        posts=feed_posts,
        updated=updated.isoformat() if updated else "1970-01-01T00:00:00+00:00",
    )
    sitemap_urls = [
        *((pager.url, None) for pager in index_pages),
        *((post.url, post.updated or post.date) for post in posts),
        (url_path(config.base_path, "tags"), None),
        *((pager.url, None) for tag in tags for pager in tag_pages[tag.slug]),
        (url_path(config.base_path, "archive"), None),
    ]
    yield render("sitemap.xml", "sitemap.xml", "sitemap", entries=sitemap_urls)
