"""Make small real sites on disk and run the real `blog` command on them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mathblog.model import InMemoryBody, Post

REPO = Path(__file__).resolve().parent.parent


def write_site(root: Path, posts: dict[str, str], config: str = "", **files: str) -> Path:
    """A site in `root`: `posts` maps a path under posts/ to its text (dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.toml").write_text(textwrap.dedent(config), encoding="utf-8")
    for name, text in posts.items():
        path = root / "posts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    for name, text in files.items():
        path = root / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def post(title: str = "A post", date: str = "2024-05-01", body: str = "Hello.", **meta: str) -> str:
    lines = [f"title: {title}", f"date: {date}", *(f"{k}: {v}" for k, v in meta.items())]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def run_blog(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real `blog` command; `env` adds to the environment (an EDITOR, say)."""
    return subprocess.run(
        [sys.executable, "-m", "mathblog", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env} if env else None,
    )


def without_progress(stderr: str) -> list[str]:
    """What a build printed on stderr besides its progress lines, which a build that runs past a
    second prints (as any build may on a busy machine)."""
    return [line for line in stderr.splitlines() if not re.fullmatch(r"\w+: \d+/\d+", line)]


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the hash of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def check_spare_inventory(root: Path) -> None:
    """The spare output a build left in `.blog-cache/` holds no file its inventory does not
    list: the next build deletes only what it lists, so anything else would be published."""
    for state in (root / ".blog-cache").glob("output-*"):
        inventory = state / "spare.json"
        if not inventory.exists():
            continue
        listed = json.loads(inventory.read_text(encoding="utf-8"))
        spare = state / "spare"
        found = {
            path.relative_to(spare).as_posix()
            for path in spare.rglob("*")
            if path.is_file() or path.is_symlink()
        }
        assert found <= set(listed["files"]), found - set(listed["files"])
        # Files not listed as "not linked" are carried into the next build without a look:
        # each must be the live output's own file.
        live = root / "public"
        if "not linked" in listed and live.is_dir():
            for name in set(listed["files"]).difference(listed["not linked"]):
                assert os.path.samefile(spare / name, live / name), name
        # An empty folder is one kept, or one a listed file was in (deleted from the output by
        # hand): the next build deletes it with the file, or puts the file back.
        known = set(listed["kept folders"])
        for name in listed["files"]:
            while "/" in name:
                name = name.rpartition("/")[0]
                known.add(name)
        empty = {
            path.relative_to(spare).as_posix()
            for path in spare.rglob("*")
            if path.is_dir() and not path.is_symlink() and not any(path.iterdir())
        }
        assert empty <= known, empty - known


BIG_SITE_BODY = (
    "## 推导\n\nRoPE 让内积只依赖相对位置 $m - n$，见式 \\eqref{eq:a}。\n\n"
    "\\begin{equation}\\label{eq:a}\nf(q, m) = q e^{i m \\theta}\n\\end{equation}\n\n"
    "```python\nprint('hello')\n```\n\nSee [the first](/posts/p0/).\n"
)


def big_site(root: Path, posts: int) -> Path:
    """A site of `posts` posts with a heading, a numbered equation, code and a link each: enough
    work for a build to be caught part-way."""
    return write_site(
        root,
        {
            f"p{n}.md": post(f"Post {n}", f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}", BIG_SITE_BODY,
                             tags=f"[t{n % 9}, 标签{n % 5}]")
            for n in range(posts)
        },
        'title = "A"\n',
    )  # fmt: skip


def copy_example_site(root: Path) -> Path:
    """The repository's example site (site.toml, posts/, pages/, static/, templates/) copied to
    `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("site.toml", "posts", "pages", "static", "templates"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        elif source.is_file():
            shutil.copy(source, root / name)
    return root


def model_post(n: int, *, base_path: str = "/", **changes: Any) -> Post:
    """Post `n` as the model holds it, with only what listings and page keys read: for unit
    tests that need no build."""
    post = Post(
        source=f"posts/p{n}.md",
        slug=f"p{n}",
        url=f"{base_path}posts/p{n}/",
        title=f"Post {n}",
        title_html=f"Post {n}",
        date=datetime(2024, 1, 1 + n, tzinfo=UTC),
        body=InMemoryBody(),
        excerpt="",
        excerpt_truncated=False,
    )
    return dataclasses.replace(post, **changes)
