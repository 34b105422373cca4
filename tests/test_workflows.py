"""The GitHub workflows of this repository and of every `blog init` site: each official action on
its current major, least-privilege permissions, and a clean run of two real linters (zizmor, a
static checker of workflows; check-jsonschema with the vendored workflow and Dependabot schemas).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SCAFFOLD_GITHUB = REPO / "src" / "mathblog" / "scaffold" / "site" / "dot-github"
WORKFLOWS = sorted(
    [
        *(REPO / ".github" / "workflows").glob("*.yml"),
        *(SCAFFOLD_GITHUB / "workflows").glob("*.yml"),
    ]
)
DEPENDABOT = [REPO / ".github" / "dependabot.yml", SCAFFOLD_GITHUB / "dependabot.yml"]
BIN = Path(sys.executable).parent

# The current major of each action used, from their release notes (checked 2026-12-02: checkout
# v7, setup-python v7, configure-pages v6, upload-pages-artifact v5, deploy-pages v5 and cache v6
# all run on Node 24; pypa/gh-action-pypi-publish is on v1, latest release v1.14, and is used as
# `@release/v1`, the branch its README recommends). Dependabot proposes a newer one; an older
# one fails here.
CURRENT_MAJOR = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/configure-pages": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
    "actions/cache": 6,
    "pypa/gh-action-pypi-publish": 1,
}
# The only scopes a job may write, and only in a job of its own (the Pages deployment, and
# trusted publishing to PyPI).
WRITABLE = {"pages", "id-token"}

_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([^\s#]+)", re.MULTILINE)


def outdated_actions(workflow_text: str) -> list[str]:
    """Each `uses:` that is not a local workflow and not on its action's current major."""
    problems = []
    for reference in _USES.findall(workflow_text):
        if reference.startswith("./"):
            continue
        action, _, ref = reference.partition("@")
        major = re.fullmatch(r"(?:release/)?v(\d+)(?:\.\d+)*", ref)
        if action not in CURRENT_MAJOR:
            problems.append(f"{reference}: not in CURRENT_MAJOR (check its release notes)")
        elif major is None or int(major.group(1)) < CURRENT_MAJOR[action]:
            problems.append(f"{reference}: the current major is v{CURRENT_MAJOR[action]}")
    return problems


def permission_problems(workflow: dict[str, object]) -> list[str]:
    """Top-level permissions given and read-only; writes only in a job, only to WRITABLE."""
    problems = []
    top = workflow.get("permissions")
    if top is None:
        problems.append("no top-level permissions: (the default token can write)")
    elif not isinstance(top, dict) or any(v != "read" for v in top.values()):
        problems.append(f"top-level permissions must be read-only or {{}}: {top!r}")
    jobs = workflow.get("jobs")
    assert isinstance(jobs, dict)
    for name, job in jobs.items():
        granted = job.get("permissions", {}) if isinstance(job, dict) else {}
        if not isinstance(granted, dict):
            problems.append(f"job {name}: permissions must be a mapping, not {granted!r}")
            continue
        for scope, level in granted.items():
            if level == "write" and scope not in WRITABLE:
                problems.append(f"job {name}: {scope}: write is more than Pages needs")
    return problems


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_action_is_on_its_current_major(path: Path) -> None:
    assert outdated_actions(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(REPO)))
def test_permissions_are_least_privilege(path: Path) -> None:
    assert permission_problems(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_the_checks_fail_on_an_old_major_and_on_broad_permissions() -> None:
    old = "steps:\n  - uses: actions/checkout@v4\n  - uses: actions/deploy-pages@v5.0.1\n"
    assert outdated_actions(old) == ["actions/checkout@v4: the current major is v7"]
    assert outdated_actions("  - uses: someone/else@v1") != []
    assert outdated_actions("  - uses: pypa/gh-action-pypi-publish@release/v1") == []
    assert outdated_actions("  - uses: pypa/gh-action-pypi-publish@release/v0") != []
    assert outdated_actions("  - uses: pypa/gh-action-pypi-publish@main") != []
    broad = {"permissions": {"contents": "write"}, "jobs": {"a": {"permissions": "write-all"}}}
    assert len(permission_problems(broad)) == 2
    assert permission_problems({"jobs": {"a": {}}}) != []


def test_both_workflow_sets_deploy_with_the_cache_restored() -> None:
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        if "upload-pages-artifact" in text:
            assert "actions/cache@" in text and "path: .blog-cache" in text, path


def _tool(name: str) -> str:
    found = BIN / name
    assert found.exists(), f"{name} is a test dependency (pip install -e '.[test]')"
    return str(found)


def test_the_schema_check_accepts_every_workflow_and_dependabot_file() -> None:
    for schema, files in (
        ("vendor.github-workflows", WORKFLOWS),
        ("vendor.dependabot", DEPENDABOT),
    ):
        run = subprocess.run(
            [_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stdout + run.stderr


def test_zizmor_finds_nothing_in_either_workflow_set(tmp_path: Path) -> None:
    # The scaffold stores `.github` as `dot-github`; lint it where zizmor looks, as a new site.
    site = tmp_path / "site"
    shutil.copytree(SCAFFOLD_GITHUB, site / ".github")
    config = REPO / ".github" / "zizmor.yml"
    for target in (REPO, site):
        run = subprocess.run(
            [_tool("zizmor"), "--offline", "--config", str(config), str(target)],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, f"{target}:\n{run.stdout}{run.stderr}"


def test_zizmor_fails_on_a_workflow_with_default_permissions(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "x.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v7\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--config",
            str(REPO / ".github" / "zizmor.yml"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0 and "permissions" in run.stdout + run.stderr


def test_a_version_tag_publishes_to_pypi_by_trusted_publishing() -> None:
    release = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text(encoding="utf-8"))
    assert release[True] == {"push": {"tags": ["v*"]}}  # YAML reads the key `on` as True
    assert release["permissions"] == {}
    [job] = release["jobs"].values()  # one job
    assert job["environment"]["name"] == "pypi"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    steps = [step.get("uses", step.get("run", "")) for step in job["steps"]]
    assert steps[-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert any("python -m build" in step for step in steps)
