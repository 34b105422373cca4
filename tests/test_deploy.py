"""GitHub Pages workflows, this repository's and the one `blog init` writes: tests (here) before
the build, the build before the upload, and a deploy job that runs only after all of them."""

from __future__ import annotations

from sites import REPO
from workflows import check_pages_workflow, load_workflow, step_index

from mathblog.commands.init import SITE_FILES


def test_this_repository_tests_builds_and_deploys() -> None:
    workflow = load_workflow(REPO / ".github/workflows/pages.yml")
    check_pages_workflow(workflow, test_command="bash .ci/run")


def test_the_scaffold_workflow_builds_and_deploys() -> None:
    workflow = load_workflow(SITE_FILES / "dot-github/workflows/pages.yml")
    check_pages_workflow(workflow, test_command=None)
    steps = workflow["jobs"]["build"]["steps"]
    install = step_index(steps, runs="pip install -r requirements.txt")
    assert install < step_index(steps, runs="blog build")


def test_the_readme_documents_the_deploy() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Deploy to GitHub Pages" in readme
    assert ".github/workflows/pages.yml" in readme
