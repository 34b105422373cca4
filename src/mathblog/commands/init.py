"""`blog init`: a new site that builds at once, with a first post, override notes, a
.gitignore and a GitHub Pages workflow. The files live in `scaffold/` inside the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from mathblog import __version__
from mathblog.commands.new import create_post
from mathblog.config import load_config
from mathblog.content.discover import POSTS_DIR
from mathblog.errors import BlogError

SCAFFOLD_DIR = Path(__file__).parent.parent / "scaffold"
SITE_FILES = SCAFFOLD_DIR / "site"
# Package data leaves out dot files, so they are stored as `dot-name`.
_DOT_PREFIX = "dot-"
FIRST_POST_TITLE = "Hello, notes"
FIRST_POST_SLUG = "hello"
REQUIREMENTS = "requirements.txt"
_DISTRIBUTION = "mathblog"
# direct_url.json of an install whose origin is unknown: treated as a local folder.
_LOCAL = "{}"


@dataclass(frozen=True, slots=True)
class NewSite:
    files: tuple[str, ...]  # written, relative to the site folder
    knows_install: bool  # whether requirements.txt names where this very copy came from
    kept: tuple[str, ...] = ()  # already there, so left as they were


@dataclass(frozen=True, slots=True)
class Requirement:
    """The line of requirements.txt that installs blog, with the comment written above it."""

    line: str
    comment: tuple[str, ...]
    exact: bool  # the source this copy was installed from, not a stand-in for it


def install_requirement() -> Requirement:
    """A pip requirement for the blog this is, from how pip recorded its install (PEP 610)."""
    try:
        installed = metadata.distribution(_DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return requirement_for(_LOCAL, __version__, home=None)
    return requirement_for(
        installed.read_text("direct_url.json"), installed.version, _home(installed)
    )


def requirement_for(recorded: str | None, version: str, home: str | None) -> Requirement:
    """`recorded` is the install's direct_url.json: None for a release from an index (PyPI)."""
    if recorded is None:
        release = f"{_DISTRIBUTION}=={version}"
        return Requirement(release, ("The release of blog this site was made with.",), True)
    try:
        origin = json.loads(recorded)
    except ValueError:
        origin = None
    reachable = _reachable_requirement(origin) if isinstance(origin, dict) else None
    if reachable is not None:
        return Requirement(reachable, ("The copy of blog this site was made with.",), True)
    return _stand_in(version, home)


def _reachable_requirement(origin: dict[str, object]) -> str | None:
    """A requirement for a Git commit or an archive on a server; None for a local path, which
    the Pages runner cannot reach."""
    url = origin.get("url")
    if not isinstance(url, str) or not url or url.startswith("file:"):
        return None
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id")
        if vcs.get("vcs") != "git" or not isinstance(commit, str) or not commit:
            return None
        subdirectory = origin.get("subdirectory")
        where = f"#subdirectory={subdirectory}" if isinstance(subdirectory, str) else ""
        return f"{_DISTRIBUTION} @ git+{url}@{commit}{where}"
    if isinstance(origin.get("archive_info"), dict):
        return f"{_DISTRIBUTION} @ {url}"
    return None


def _stand_in(version: str, home: str | None) -> Requirement:
    """A local folder, an editable clone or a wheel on disk: the same version from PyPI, which
    is immutable, installs a built wheel that pip caches, and is what Dependabot bumps."""
    comment = [
        "This copy of blog was installed from a folder or file on your machine, which GitHub's",
        "runner cannot reach, so the line below installs the same version from PyPI.",
    ]
    if home is not None:
        comment += [
            "To build with the source instead, name a pushed commit or tag, e.g.",
            f"  {_DISTRIBUTION} @ git+{home}@v{version}",
        ]
    return Requirement(f"{_DISTRIBUTION}=={version}", tuple(comment), False)


def _home(installed: metadata.Distribution) -> str | None:
    """The project's Git repository, from pyproject's [project.urls] (the one place it is)."""
    for entry in installed.metadata.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip() == "Repository" and url.strip():
            return url.strip()
    return None


def _requirements_text(requirement: Requirement) -> str:
    lines = ["What the Pages workflow installs to build this site.", *requirement.comment]
    return "".join(f"# {line}\n" for line in lines) + requirement.line + "\n"


def _target_name(relative: Path) -> Path:
    """`dot-github/workflows/pages.yml` → `.github/workflows/pages.yml`."""
    return Path(*(_dotted(part) for part in relative.parts))


def _dotted(name: str) -> str:
    return "." + name.removeprefix(_DOT_PREFIX) if name.startswith(_DOT_PREFIX) else name


def init_site(folder: Path, *, force: bool = False) -> NewSite:
    """Create a site in `folder`, which must be missing or hold nothing but dot files (`.git`,
    `.gitignore`, an editor's folder), as `zola init` allows; with `force`, any folder. A file
    that is already there is never replaced: it is kept, and named in `kept`."""
    _check_folder(folder, force=force)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    kept: list[str] = []
    for source in sorted(SITE_FILES.rglob("*")):
        if source.is_file():
            relative = _target_name(source.relative_to(SITE_FILES))
            sort = written if _write_new(folder / relative, source.read_bytes()) else kept
            sort.append(relative.as_posix())
    requirement = install_requirement()
    text = _requirements_text(requirement)
    sort = written if _write_new(folder / REQUIREMENTS, text.encode("utf-8")) else kept
    sort.append(REQUIREMENTS)
    first_post = folder / POSTS_DIR / f"{FIRST_POST_SLUG}.md"
    if _exists(first_post) or _exists(first_post.with_suffix("") / "index.md"):
        kept.append(first_post.relative_to(folder).as_posix())
    else:
        body = (SCAFFOLD_DIR / "first-post.md").read_text(encoding="utf-8")
        post = create_post(
            load_config(folder.resolve()),
            FIRST_POST_TITLE,
            slug=FIRST_POST_SLUG,
            tags=("notes",),
            draft=False,
            body=body,
        )
        written.append(post.relative_to(folder.resolve()).as_posix())
    return NewSite(tuple(sorted(written)), requirement.exact, tuple(sorted(kept)))


def _check_folder(folder: Path, *, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise BlogError.at(
            f"{folder} is not an empty folder; nothing was written",
            hint="blog init makes a new site: give it a new or empty folder",
        )
    if force or not folder.exists():
        return
    # Dot files are a checkout's or an editor's (`.git`, `.vscode`), not a site's.
    taken = sorted(entry.name for entry in folder.iterdir() if not entry.name.startswith("."))
    if taken:
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
        raise BlogError.at(
            f"{folder} is not an empty folder; nothing was written (it holds {shown})",
            hint="give a new or empty folder, or --force to add the site's files to this one "
            "(a file already there is kept, never replaced)",
        )


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _write_new(path: Path, data: bytes) -> bool:
    """Write `path` unless something has that name (a dangling symlink too); whether it did."""
    if _exists(path):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("xb") as file:
            file.write(data)
    except FileExistsError:  # made since we looked: it is the user's
        return False
    return True
