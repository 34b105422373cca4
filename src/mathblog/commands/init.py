"""`blog init`: a new site that builds at once, with a first post, override notes, a
.gitignore and a GitHub Pages workflow. The files live in `scaffold/` inside the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

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


@dataclass(frozen=True, slots=True)
class NewSite:
    files: tuple[str, ...]  # written, relative to the site folder
    knows_install: bool  # whether requirements.txt says where blog comes from
    kept: tuple[str, ...] = ()  # already there, so left as they were


def install_requirement() -> str | None:
    """A pip requirement for the blog this is, when it was installed from a Git repository
    (pip records that: PEP 610); None when it came from a local folder."""
    try:
        recorded = metadata.distribution("mathblog").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        origin = json.loads(recorded or "null")
    except ValueError:
        return None
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git" or not vcs.get("commit_id"):
        return None
    return f"mathblog @ git+{origin['url']}@{vcs['commit_id']}"


def _requirements_text(requirement: str | None) -> str:
    if requirement:
        return f"# What the Pages workflow installs to build this site.\n{requirement}\n"
    return (
        "# What the Pages workflow installs to build this site: put the Git repository you\n"
        "# installed blog from on the line below, e.g.\n"
        "#   mathblog @ git+https://github.com/OWNER/blog@main\n"
        '# (not plain "blog": on PyPI that name is another project).\n'
    )


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
    return NewSite(tuple(sorted(written)), requirement is not None, tuple(sorted(kept)))


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
