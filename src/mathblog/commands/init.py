"""`blog init`: a new site that builds at once, with a first post, override notes, a
.gitignore and a GitHub Pages workflow. The files live in `scaffold/` inside the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from mathblog.commands.new import create_post
from mathblog.config import load_config
from mathblog.errors import BlogError

SCAFFOLD_DIR = Path(__file__).parent.parent / "scaffold"
SITE_FILES = SCAFFOLD_DIR / "site"
# Package data leaves out dot files, so they are stored as `dot-name`.
_DOT_PREFIX = "dot-"
FIRST_POST_TITLE = "Hello, notes"
REQUIREMENTS = "requirements.txt"


@dataclass(frozen=True, slots=True)
class NewSite:
    files: tuple[str, ...]  # relative to the site folder
    knows_install: bool  # whether requirements.txt says where blog comes from


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


def init_site(folder: Path) -> NewSite:
    """Create a site in `folder`, which must be missing or empty."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BlogError.at(
            f"{folder} is not an empty folder; nothing was written",
            hint="blog init makes a new site: give it a new or empty folder",
        )
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for source in sorted(SITE_FILES.rglob("*")):
        if source.is_file():
            relative = _target_name(source.relative_to(SITE_FILES))
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(source.read_bytes())
            written.append(relative.as_posix())
    requirement = install_requirement()
    (folder / REQUIREMENTS).write_text(_requirements_text(requirement), encoding="utf-8")
    written.append(REQUIREMENTS)
    body = (SCAFFOLD_DIR / "first-post.md").read_text(encoding="utf-8")
    post = create_post(
        load_config(folder.resolve()),
        FIRST_POST_TITLE,
        slug="hello",
        tags=("notes",),
        draft=False,
        body=body,
    )
    written.append(post.relative_to(folder.resolve()).as_posix())
    return NewSite(tuple(sorted(written)), knows_install=requirement is not None)
