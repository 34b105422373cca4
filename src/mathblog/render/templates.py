"""Jinja rendering: the environment (autoescape, StrictUndefined, theme + site overrides) and
turning the pages of the site plan into text. Rendering writes nothing: `render_pages` hands
each page's bytes to a function the output stage gives it."""

from __future__ import annotations

import contextlib
import os
import posixpath
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import jinja2
import jinja2.bccache
import markupsafe

from mathblog.config import SiteConfig
from mathblog.content.discover import TEMPLATES_DIR, THEME_DIR, Boundary, site_favicon
from mathblog.errors import BlogError, Diagnostic, not_utf8
from mathblog.incremental.fingerprints import code_fingerprint, template_files
from mathblog.math.cache import CACHE_DIR
from mathblog.render.line_breaks import keep_punctuation_with_math
from mathblog.render.nav import Nav
from mathblog.render.toc import shown_toc
from mathblog.site.pages import PageJob
from mathblog.site.structured_data import blog_posting
from mathblog.util import timings
from mathblog.util.html_urls import absolute_links
from mathblog.util.i18n import ui_strings
from mathblog.util.parallel import chunked, run_chunks
from mathblog.util.script_json import script_json
from mathblog.util.text import counted
from mathblog.util.xml_text import xml_safe

# Below this many pages to render, a worker pool costs more than it saves.
PARALLEL_MIN_PAGES = 200

THEME_TEMPLATES = THEME_DIR / "templates"
# Templates a site may add to fill a spot of the theme's pages. The theme's own are empty, and
# an include costs every page, so a page includes one only when the site has its own (`hooks`).
HOOKS = ("head_extra.html", "after_content.html", "footer_extra.html")
COMPILED_DIR = "templates"  # in .blog-cache/: the compiled templates


@dataclass(frozen=True, slots=True)
class Page:
    """One output file: where it goes, its text, and what it was made from (for errors)."""

    path: str
    text: str
    source: str


class SiteTemplateLoader(jinja2.FileSystemLoader):
    """The site's `templates/`, then the theme's. A site template that really lives outside the
    site (through a symlink `allow_symlinks_to` does not allow) is refused before it is read:
    this also covers a dot file, which the walk in `template_files` skips."""

    def __init__(self, config: SiteConfig) -> None:
        self.site_folder = str(config.root / TEMPLATES_DIR)
        self.boundary = Boundary.of(config)
        super().__init__([self.site_folder, str(THEME_TEMPLATES)])

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        filename = posixpath.join(self.site_folder, *pieces)
        if os.path.isfile(filename):
            self.boundary.check(filename)
        return super().get_source(environment, template)


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept in `.blog-cache/templates/`: compiling the theme's took a third
    of a build after a one-post edit. Jinja reuses one only for the same source (it checks a
    checksum); the key also holds our code's fingerprint, so a new version of blog, which may
    set up the environment differently, compiles afresh. A folder that cannot be read or
    written only makes the build slower. (Like the post cache, the folder is trusted as code:
    it is the site's own, as its templates are.)"""

    def __init__(self, folder: Path, salt: str) -> None:
        super().__init__(str(folder), "%s.jinja")
        self.salt = salt

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self.salt}|{name}", filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)


def create_environment(config: SiteConfig) -> jinja2.Environment:
    compiled = CompiledTemplates(config.root / CACHE_DIR / COMPILED_DIR, code_fingerprint())
    env = jinja2.Environment(
        loader=SiteTemplateLoader(config),
        bytecode_cache=compiled,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    strings = ui_strings(config.language)
    env.globals.update(
        site=config,
        extra=read_only(config.extra),
        hooks=frozenset(name for name in HOOKS if (config.root / TEMPLATES_DIR / name).is_file()),
        t=strings,
        strings=lambda lang=None: ui_strings(lang or config.language),
        heading=config.index_heading or strings["latest"],
        url=lambda path="": config.base_path + path.lstrip("/"),
        absolute=lambda path: config.site_url + path,
    )
    env.globals["favicon"] = site_favicon(config)
    env.globals["shown_toc"] = shown_toc
    env.globals["json_ld"] = lambda post: markupsafe.Markup(script_json(blog_posting(post, config)))
    env.filters["date"] = _format_date
    env.filters["isodate"] = lambda moment: moment.isoformat()
    env.filters["script_json"] = lambda value: markupsafe.Markup(script_json(value))
    env.filters["keep_punctuation_with_math"] = keep_punctuation_with_math
    # Plain text, not Markup: a feed writes post HTML escaped, as the text of <content>.
    env.filters["absolute_links"] = lambda fragment, page: absolute_links(
        str(fragment), config.site_url + page
    )
    return env


def read_only(value: Any) -> Any:
    """`[extra]` as templates see it: tables and lists that no template can change, so one
    page's rendering cannot leak into the next."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: read_only(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(read_only(item) for item in value)
    return value


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
    def __init__(self, config: SiteConfig, overrides: tuple[Path, ...] = ()) -> None:
        self.config = config
        self.env = create_environment(config)
        self.nav = Nav(config, ui_strings(config.language))
        self.overrides = overrides  # the site's template files it was made with

    def __reduce__(self) -> tuple[type[PageRenderer], tuple[SiteConfig]]:
        # A spawned worker (not on Linux) makes its own from the settings: an environment
        # holds functions, which cannot be pickled. A forked one inherits this one as it is.
        return PageRenderer, (self.config,)

    def _language(self, context: dict[str, Any]) -> dict[str, Any]:
        """`lang`, the page's language (<html lang>): its data's `lang` (a post's own), else the
        site's; and in another language than the site's, that language's strings as `t`."""
        lang = context.get("lang") or self.config.language
        if lang == self.config.language:
            return {"lang": lang}
        return {"lang": lang, "t": ui_strings(lang)}

    def page(self, job: PageJob) -> Page:
        return self.render(job.template, job.output, job.source, **job.context)

    def render(self, template: str, output: str, source: str, **context: Any) -> Page:
        page_url = self.config.base_path + quote(output.removesuffix("index.html"))
        try:
            nav = self.nav.at(page_url)
            variables = {"page_url": page_url, "nav": nav, **context, **self._language(context)}
            text = self.env.get_template(template).render(variables)
            if output.endswith(".xml"):
                text = xml_safe(text)
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
        except UnicodeDecodeError as exc:
            raise _undecodable_template(self.config, exc, f"rendering {output}") from None
        except RecursionError as exc:
            raise _endless_template(exc, self.config, f"rendering {output} from {source}") from None
        except (BlogError, OSError):
            raise  # the site's own error, or the disk's: reported as they are
        # A template's own expression failed: {{ 1 / 0 }}, a filter given a wrong argument, a
        # string too large for memory, a dict changed while a loop walks it.
        except Exception as exc:
            file, line = _template_location(exc, self.config)
            failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise BlogError.at(
                f"template error: {failure} (rendering {output} from {source})",
                file,
                line,
                hint="an expression in the template failed on this page's data",
            ) from None
        return Page(output, text, source)


def _endless_template(exc: RecursionError, config: SiteConfig, doing: str) -> BlogError:
    """Templates that include or extend each other in a loop recurse while rendering, through
    template lines; one nested thousands of blocks deep recurses in Jinja's compiler, through
    none. The theme's templates do not loop by themselves, so the line shown is the site's,
    an `include` if the loop has one (an `extends` loop has none)."""
    frames = [
        frame
        for frame in reversed(traceback.extract_tb(exc.__traceback__))
        if frame.filename.endswith((".html", ".xml"))
    ]
    site_templates = str(config.root / TEMPLATES_DIR) + "/"
    frames = [f for f in frames if f.filename.startswith(site_templates)] or frames
    shown = next((f for f in frames if "include" in (f.line or "")), frames[0] if frames else None)
    if shown is not None:
        file, line = _display_name(shown.filename, config), shown.lineno
        return BlogError.at(
            f"template error: templates include or extend each other without end ({doing})",
            file,
            line,
            hint="an {% include %} or {% extends %} here leads back to this template; "
            "break the loop",
        )
    return BlogError.at(
        f"template error: a template nests blocks too deep to compile ({doing})",
        TEMPLATES_DIR,
        hint="move the deepest {% if %} or {% for %} blocks into a macro or an include",
    )


def _undecodable_template(config: SiteConfig, exc: UnicodeDecodeError, doing: str) -> BlogError:
    """Jinja does not say which file it could not decode: find it."""
    for path in template_files(config):
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            source = path.relative_to(config.root).as_posix()
            hint = "save the template as UTF-8"
            return BlogError([not_utf8(raw, bad, source, hint=hint, doing=doing)])
    return BlogError.at(f"a template is not valid UTF-8 ({exc.reason}; {doing})", TEMPLATES_DIR)


# What the theme's pages extend or import, not pages themselves: Jinja loads them when a page is
# rendered, so compiling them ahead would only slow a build that renders nothing.
LAYOUTS = frozenset({"base.html", "macros.html", *HOOKS})

# Stores a page's bytes; True when the live output already held exactly these.
Put = Callable[[str, bytes], bool]
_RenderContext = tuple[PageRenderer, Sequence[PageJob], Put]


def prepare(config: SiteConfig, previous: PageRenderer | None = None) -> PageRenderer:
    """A renderer with the theme's page templates compiled (while workers parse posts); template
    errors are left for `render`, which reports them with the page being rendered. A process
    that builds again with the same settings (`blog serve`) passes the renderer of its last
    build, which is kept: Jinja recompiles only the templates whose files changed."""
    # Jinja notices an edited template, not a new site template shadowing the theme's one.
    overrides = tuple(template_files(config))
    if previous is not None and (previous.config, previous.overrides) == (config, overrides):
        renderer = previous
    else:
        renderer = PageRenderer(config, overrides)
    for name in sorted(set(os.listdir(THEME_TEMPLATES)) - LAYOUTS):
        # Left for `render`, which reports them with the page being rendered (a template nested
        # too deep to compile raises RecursionError, for one).
        with contextlib.suppress(Exception):
            renderer.env.get_template(name)
    return renderer


def _start_worker(renderer: PageRenderer, pages: Sequence[PageJob], put: Put) -> _RenderContext:
    return renderer, pages, put


def _render_chunk(
    context: _RenderContext, indices: Sequence[int]
) -> tuple[int, int, tuple[Diagnostic, ...]]:
    """Render and store these pages: (how many, how many came out unchanged, the first error)."""
    renderer, pages, put = context
    unchanged = 0
    for index in indices:
        try:
            with timings.work("render pages"):
                page = renderer.page(pages[index])
        except BlogError as exc:
            return len(indices), unchanged, tuple(exc.diagnostics)
        unchanged += put(page.path, page.text.encode("utf-8"))
    return len(indices), unchanged, ()


def render_pages(
    renderer: PageRenderer,
    pages: Sequence[PageJob],
    put: Put,
    *,
    jobs: int,
    progress: Callable[[str, int, int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> int:
    """Render `pages` and `put` each one's bytes, on every core when there are many (each worker
    calls its own copy of `put`); returns how many came out byte-identical to the previous
    output. `meanwhile` is called once the workers have the pages: other work is then done
    while they render, not before or after."""
    unchanged = done = 0
    results = run_chunks(
        _render_chunk,
        chunked(range(len(pages)), jobs, smallest=16, interleaved=True),
        jobs=jobs if len(pages) >= PARALLEL_MIN_PAGES else 1,
        setup=_start_worker,
        setup_args=(renderer, pages, put),
    )
    timings.step("start the page workers")
    try:
        if meanwhile is not None:
            meanwhile()
        for count, same, errors in results:
            if errors:
                raise BlogError(errors)
            unchanged += same
            done += count
            if progress:
                progress("pages", done, len(pages))
        timings.step(f"render {counted(len(pages), 'page')}")
    except BaseException:
        getattr(results, "close", lambda: None)()  # stop the workers now, not when collected
        raise
    return unchanged
