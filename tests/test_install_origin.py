"""`blog init` writes a requirements.txt that installs this tool however it was installed: each
kind of install is made for real, in a throwaway venv, and that venv's `blog init` is run.

The venvs have no pip (pip is run from outside with `--python`) and see the dependencies of the
test venv through a `.pth` line, which adds its site-packages to the path without running the
test venv's own `.pth` files (its editable mathblog): each venv holds only its own mathblog.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from sites import REPO

from mathblog import __version__
from mathblog.commands.init import requirement_for

# pyproject's [project.urls] Repository, the one place the project's home is written (read here
# from the file itself: the installed metadata, which init reads, is what is under test).
with (REPO / "pyproject.toml").open("rb") as _pyproject:
    HOME = tomllib.load(_pyproject)["project"]["urls"]["Repository"]
TIMEOUT = 300  # a build of the package, on a busy machine
# Builds use the test venv's setuptools (a test dependency): no download of a build backend.
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
BUILD = ["--no-build-isolation", "--no-deps"]


@dataclass(frozen=True)
class Venv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def pip_install(self, *args: str, env: dict[str, str] | None = None) -> None:
        # --ignore-installed: pip would take the test venv's mathblog, on the path, for this one.
        install = [*PIP, "--python", str(self.python), "install", "--ignore-installed", *BUILD]
        run([*install, *args], env=env)

    def init_site(self, folder: Path) -> tuple[str, str]:
        """That venv's own `blog init`: what it printed and the requirements.txt it wrote."""
        done = run([str(self.root / "bin" / "blog"), "init", str(folder)])
        return done.stdout, (folder / "requirements.txt").read_text(encoding="utf-8")

    def mathblog_file(self) -> Path:
        code = "import mathblog; print(mathblog.__file__)"
        return Path(run([str(self.python), "-c", code]).stdout.strip())


def run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}{done.stderr}"
    return done


def new_venv(root: Path) -> Venv:
    run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    purelib = Path(run([str(root / "bin" / "python"), "-c", _PURELIB]).stdout.strip())
    dependencies = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "test-dependencies.pth").write_text(
        "\n".join(sorted(dependencies)) + "\n", encoding="utf-8"
    )
    return Venv(root)


_PURELIB = "import sysconfig; print(sysconfig.get_path('purelib'))"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a clone holds that the package is built from, as a Git repository of its own."""
    tree = tmp_path_factory.mktemp("clone") / "mathblog"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, tree / name)
    shutil.copytree(REPO / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(tree), "-c", "user.name=t", "-c", "user.email=t@t"]
    git += ["-c", "commit.gpgsign=false"]
    run([*git, "init", "--quiet"])
    run([*git, "add", "."])
    run([*git, "commit", "--quiet", "-m", "source"])
    return tree


@pytest.fixture(scope="module")
def wheel_folder(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    run([*PIP, "wheel", *BUILD, "--wheel-dir", str(folder), str(source)])
    return folder


def _stand_in_text() -> str:
    return (
        "# What the Pages workflow installs to build this site.\n"
        "# This copy of blog was installed from a folder or file on your machine, which GitHub's\n"
        "# runner cannot reach, so the line below installs the same version from PyPI.\n"
        "# To build with the source instead, name a pushed commit or tag, e.g.\n"
        f"#   mathblog @ git+{HOME}@v{__version__}\n"
        f"mathblog=={__version__}\n"
    )


def test_a_wheel_on_disk_gives_the_same_version_from_pypi(
    wheel_folder: Path, tmp_path: Path
) -> None:
    venv = new_venv(tmp_path / "venv")
    venv.pip_install(str(next(wheel_folder.glob("mathblog-*.whl"))))
    assert venv.mathblog_file().is_relative_to(venv.root)  # its own copy, not the test venv's
    printed, requirements = venv.init_site(tmp_path / "site")
    assert requirements == _stand_in_text()
    assert "requirements.txt installs this version of blog from PyPI" in printed


def test_an_editable_clone_gives_the_same_version_from_pypi(source: Path, tmp_path: Path) -> None:
    venv = new_venv(tmp_path / "venv")
    venv.pip_install("--editable", str(source))
    assert venv.mathblog_file().is_relative_to(source)
    printed, requirements = venv.init_site(tmp_path / "site")
    assert requirements == _stand_in_text()
    assert "note:" in printed


def test_a_release_from_an_index_is_pinned_by_version(wheel_folder: Path, tmp_path: Path) -> None:
    # Installed by name from an index (here a folder of wheels): pip records no direct URL.
    venv = new_venv(tmp_path / "venv")
    venv.pip_install("--no-index", "--find-links", str(wheel_folder), f"mathblog=={__version__}")
    printed, requirements = venv.init_site(tmp_path / "site")
    assert requirements.splitlines()[-1] == f"mathblog=={__version__}"
    assert "PyPI" not in requirements and "note:" not in printed


def test_a_git_install_is_pinned_to_its_commit(source: Path, tmp_path: Path) -> None:
    # The project's home URL, which git is told to fetch from the local clone: pip records the
    # URL as given and the commit it checked out (PEP 610 vcs_info).
    commit = run(["git", "-C", str(source), "rev-parse", "HEAD"]).stdout.strip()
    env = {
        **os.environ,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{source.as_uri()}.insteadOf",
        "GIT_CONFIG_VALUE_0": HOME,
    }
    venv = new_venv(tmp_path / "venv")
    venv.pip_install(f"git+{HOME}", env=env)
    printed, requirements = venv.init_site(tmp_path / "site")
    assert requirements == (
        "# What the Pages workflow installs to build this site.\n"
        "# The copy of blog this site was made with.\n"
        f"mathblog @ git+{HOME}@{commit}\n"
    )
    assert "note:" not in printed


def test_what_the_runner_cannot_reach_is_replaced_and_the_rest_kept() -> None:
    # The recorded forms no venv above makes: a Git clone on disk, another VCS, a server's
    # archive, a subdirectory, and a record that cannot be read.
    version = "1.2.3"
    git_on_disk = '{"url": "file:///src/mathblog", "vcs_info": {"vcs": "git", "commit_id": "ab"}}'
    mercurial = '{"url": "https://hg.example/m", "vcs_info": {"vcs": "hg", "commit_id": "ab"}}'
    archive = '{"url": "https://example.org/m.tar.gz", "archive_info": {}}'
    sub = '{"url": "https://g.example/r", "vcs_info": {"vcs": "git", "commit_id": "cd"}, '
    sub += '"subdirectory": "py"}'
    for recorded in (git_on_disk, mercurial, "not json", "[]"):
        stand_in = requirement_for(recorded, version, home=HOME)
        assert (stand_in.line, stand_in.exact) == ("mathblog==1.2.3", False), recorded
        assert f"  mathblog @ git+{HOME}@v1.2.3" in stand_in.comment
    assert requirement_for(archive, version, HOME).line == "mathblog @ https://example.org/m.tar.gz"
    assert requirement_for(sub, version, HOME).line == (
        "mathblog @ git+https://g.example/r@cd#subdirectory=py"
    )
    assert requirement_for(None, version, HOME).line == "mathblog==1.2.3"
    assert all("git+" not in line for line in requirement_for("{}", version, None).comment)
