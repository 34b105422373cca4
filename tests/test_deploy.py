"""GitHub Pages workflows, this repository's and the one `blog init` writes: here the Pages
workflow runs only after the tests passed on a push to main; the build before the upload, and a
deploy job that runs only after all of them."""

from __future__ import annotations

from sites import REPO
from workflows import check_pages_workflow, load_workflow, step_index, triggers

from mathblog.commands.init import SITE_FILES


def test_this_repository_tests_builds_and_deploys() -> None:
    workflow = load_workflow(REPO / ".github/workflows/pages.yml")
    check_pages_workflow(workflow, called=True)
    tests = load_workflow(REPO / ".github/workflows/tests.yml")
    assert set(triggers(tests)) == {"push", "pull_request"}
    (test_step,) = [s for s in tests["jobs"]["tests"]["steps"] if "run" in s]
    assert test_step["run"] == "bash .ci/run"
    assert tests["jobs"]["tests"]["strategy"]["matrix"]["python-version"] == [
        "3.11",
        "3.12",
        "3.13",
    ]
    pages = tests["jobs"]["pages"]
    assert pages["needs"] == "tests" and pages["uses"] == "./.github/workflows/pages.yml"
    assert pages["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def test_the_scaffold_workflow_builds_and_deploys() -> None:
    workflow = load_workflow(SITE_FILES / "dot-github/workflows/pages.yml")
    check_pages_workflow(workflow, called=False)
    steps = workflow["jobs"]["build"]["steps"]
    install = step_index(steps, runs="pip install -r requirements.txt")
    assert install < step_index(steps, runs="blog build")


def test_the_readme_documents_the_deploy() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Deploy to GitHub Pages" in readme
    assert ".github/workflows/pages.yml" in readme
