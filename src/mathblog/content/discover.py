"""Find the site's inputs: posts and static files, skipping dotfiles and editor leftovers.

`static/` is the exception for dotfiles, as in Hugo and Zola: `.nojekyll` and `.well-known/` are
published, since GitHub Pages and the web look for them; only version-control and desktop files
(`.git/`, `.gitignore`, `.DS_Store`) and editor leftovers stay behind.

The site folder is a boundary: a symlink under `posts/`, `static/` or `templates/` is followed
when it stays inside the site (as Hugo and Zola users expect), or leads into a folder that
`allow_symlinks_to` in `site.toml` names; one that leads anywhere else, or into the output folder
(which a build replaces), is an error naming the link, so `posts/x -> /usr` reads nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from mathblog.config import SiteConfig
from mathblog.errors import BlogError, Diagnostic

POSTS_DIR = "posts"
PAGES_DIR = "pages"  # pages/about.md is /about/ (content.pages)
STATIC_DIR = "static"
TEMPLATES_DIR = "templates"
THEME_DIR = Path(__file__).parent.parent / "theme"  # the built-in theme: templates/ and static/

# vim (.swp, ~, 4913), emacs (#x#, .#x), JetBrains (___jb_tmp___)
_EDITOR_LEFTOVER = re.compile(r"(^\.#|^#.*#$|~$|\.sw[a-p]$|^4913$|___jb_\w+___$|\.tmp$)")
_UNPUBLISHED_DOTFILES = frozenset(
    {".git", ".gitignore", ".gitkeep", ".gitattributes", ".hg", ".svn", ".DS_Store"}
)


def is_temporary(name: str) -> bool:
    """A dotfile or an editor's leftover: not a post or a template."""
    return name.startswith(".") or bool(_EDITOR_LEFTOVER.search(name))


def is_unpublished_static(name: str) -> bool:
    """A name in static/ that is not copied: an editor's leftover or a version-control file."""
    return name in _UNPUBLISHED_DOTFILES or bool(_EDITOR_LEFTOVER.search(name))


def _readable_name(path: str) -> str:
    """`path` on one printable line: bytes that are not UTF-8 (which os.fsdecode kept as
    surrogates) and control characters are shown escaped, `\\xe9`, `\\n`."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(repr(c)[1:-1] if unicodedata.category(c) == "Cc" else c for c in text)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(frozen=True, slots=True)
class Boundary:
    """Where a symlink in the site's folders may lead (real paths): inside the site but not
    into its output folder, or into a folder `allow_symlinks_to` names."""

    site: str  # the site folder as given, which paths found under it start with
    root: str
    output: str
    allowed: tuple[str, ...] = ()
    output_id: tuple[int, int] | None = None  # the output folder's (device, inode)

    @classmethod
    def of(cls, config: SiteConfig) -> Boundary:
        output = os.path.realpath(config.output_path)
        try:
            info = os.stat(output)
            output_id: tuple[int, int] | None = (info.st_dev, info.st_ino)
        except OSError:
            output_id = None
        return cls(
            str(config.root),
            os.path.realpath(config.root),
            output,
            tuple(os.path.realpath(folder) for folder in config.allow_symlinks_to),
            output_id,
        )

    def shown(self, path: str) -> str:
        return os.path.relpath(path, self.site).replace(os.sep, "/")

    def into_output(self, path: str, target: str) -> Diagnostic:
        return Diagnostic(
            f"leads into the output folder ({target}) through a symlink",
            self.shown(path),
            hint="the output is replaced on every build; link to the source file instead",
        )

    def problem(self, link: str) -> Diagnostic | None:
        """Why the symlink `link` may not be followed, or None when it may."""
        target = os.path.realpath(link)
        if _inside(target, self.output):
            return self.into_output(link, target)
        if _inside(target, self.root) or any(_inside(target, a) for a in self.allowed):
            return None
        folder = target if os.path.isdir(target) else os.path.dirname(target)
        return Diagnostic(
            f"symlink leads outside the site: {target}",
            self.shown(link),
            hint="move the file into the site, or allow that folder in site.toml: "
            f"allow_symlinks_to = [{_toml_string(folder)}]",
        )

    def check(self, path: str) -> None:
        """Raise when `path` (a file found under one of the site's folders) really lives
        where a symlink may not lead."""
        if (problem := self.problem(path)) is not None:
            raise BlogError([problem])


def _unusable_name(name: str) -> bool:
    """Bytes that are not UTF-8 (os.fsdecode keeps them as lone surrogates) or a control
    character such as a newline: neither can go into a URL, a page or a log line."""
    if name.isascii():  # nearly every name: its only control characters are the unprintable
        return not name.isprintable()
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in name)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_visible(
    folder: Path,
    suffix: str = "",
    *,
    boundary: Boundary | None = None,
    dotfiles: bool = False,
) -> list[Path]:
    """Files under `folder` whose names end in `suffix`, skipping temporary files and folders
    (and dotfiles, unless `dotfiles`); sorted. With a `boundary`, a symlink that leads out of
    it (the folder itself included) is an error; so is a name that is not valid UTF-8, which
    no URL or page can carry; all of them are reported at once. (os.scandir, not rglob: this
    runs on every build, even one with nothing to do.)"""
    found: list[str] = []
    pending = [str(folder)]
    seen: set[tuple[int, int]] = set()  # folders by inode: a symlink loop is walked once
    problems: list[Diagnostic] = []
    skipped = is_unpublished_static if dotfiles else is_temporary
    if boundary is not None and os.path.islink(folder):
        boundary.check(str(folder))
    with contextlib.suppress(OSError):
        info = os.stat(folder)
        seen.add((info.st_dev, info.st_ino))
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if skipped(entry.name):
                continue
            if _unusable_name(entry.name):
                shown = boundary.shown(entry.path) if boundary else entry.path
                problems.append(
                    Diagnostic(
                        "file name is not valid UTF-8 or holds a control character",
                        _readable_name(shown),
                        hint="rename it: a file's name becomes part of its URL",
                    )
                )
                continue
            problem = boundary.problem(entry.path) if boundary and entry.is_symlink() else None
            if problem is not None:
                problems.append(problem)
                continue
            try:
                if entry.is_dir():
                    info = entry.stat()
                    if boundary is not None and (info.st_dev, info.st_ino) == boundary.output_id:
                        # reached through a symlink to a folder that holds the output
                        problems.append(boundary.into_output(entry.path, boundary.output))
                    elif (info.st_dev, info.st_ino) not in seen:
                        seen.add((info.st_dev, info.st_ino))
                        pending.append(entry.path)
                elif entry.name.endswith(suffix) and entry.is_file():
                    found.append(entry.path)
            except OSError:  # a symlink to itself (ELOOP): leads nowhere, like a dangling one
                continue
    if problems:
        raise BlogError(sorted(problems, key=lambda d: d.path))
    return [Path(path) for path in sorted(found, key=lambda p: p.split(os.sep))]


def find_posts(config: SiteConfig) -> list[Path]:
    return find_visible(config.root / POSTS_DIR, ".md", boundary=Boundary.of(config))


def find_pages(config: SiteConfig) -> list[Path]:
    return find_visible(config.root / PAGES_DIR, ".md", boundary=Boundary.of(config))


# `blog init` leaves a note here on how static/ works; it is for the author, not the site.
STATIC_NOTE = "README.md"


def find_static(root: Path, boundary: Boundary | None = None) -> list[Path]:
    """Static files of the site at `root` (with its `boundary`), or of the theme (without)."""
    folder = root / STATIC_DIR
    found = find_visible(folder, boundary=boundary, dotfiles=True)
    return [path for path in found if path != folder / STATIC_NOTE]


# A site's own icon, in the order a browser is best served by: the theme's favicon.svg is the
# default, and a site's static/favicon.svg simply replaces that file.
FAVICONS = (
    ("favicon.svg", "image/svg+xml"),
    ("favicon.png", "image/png"),
    ("favicon.ico", "image/x-icon"),
)


def site_favicon(config: SiteConfig) -> tuple[str, str]:
    """The icon every page links to, and its media type: the site's `static/favicon.*`, else
    the theme's. Pages name it, so a page's key depends on it (`page_fingerprint`)."""
    folder = config.root / STATIC_DIR
    for name, kind in FAVICONS:
        if (folder / name).is_file():
            return name, kind
    return FAVICONS[0]
