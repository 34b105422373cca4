"""Read a GitHub Actions workflow and check the shape a GitHub Pages deploy needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Nothing at the top; each job is given only what it needs.
BUILD_PERMISSIONS = {"contents": "read"}
DEPLOY_PERMISSIONS = {"pages": "write", "id-token": "write"}


def triggers(data: dict[Any, Any]) -> dict[str, Any]:
    found = data.get("on", data.get(True))  # PyYAML reads the key `on` as True
    assert isinstance(found, dict)
    return found


def load_workflow(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def step_index(steps: list[dict[str, Any]], *, uses: str = "", runs: str = "") -> int:
    for index, step in enumerate(steps):
        if uses and str(step.get("uses", "")).startswith(uses + "@"):
            return index
        if runs and runs in str(step.get("run", "")):
            return index
    raise AssertionError(f"no step that uses {uses!r} or runs {runs!r}")


def check_pages_workflow(data: dict[Any, Any], *, called: bool) -> None:
    """`called`: run by another workflow once its tests pass (this repository), rather than on
    each push to main (a site of `blog init`, which has no tests)."""
    on = triggers(data)
    if called:
        assert "workflow_call" in on and "push" not in on
    else:
        assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    assert data["permissions"] == {}
    assert data["concurrency"] == {"group": "pages", "cancel-in-progress": False}

    build = data["jobs"]["build"]
    assert build["permissions"] == BUILD_PERMISSIONS
    steps = build["steps"]
    checkout = step_index(steps, uses="actions/checkout")
    configure = step_index(steps, uses="actions/configure-pages")
    built = step_index(steps, runs="blog build")
    upload = step_index(steps, uses="actions/upload-pages-artifact")
    assert checkout < configure < built < upload
    assert steps[upload]["with"]["path"] == "public"
    # The address comes from configure-pages, through the environment (never pasted into a
    # shell line, where a crafted value could run).
    assert steps[configure]["id"] == "pages"
    assert steps[built]["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert '--base-url "$BASE_URL/"' in steps[built]["run"]
    assert all(step.get("continue-on-error") is not True for step in steps)
    assert not any("ci/run" in str(step.get("run", "")) for step in steps)  # tested before
    # The last build's caches come back before the build (a rebuild parses only what changed).
    cache = step_index(steps, uses="actions/cache")
    assert cache < built and steps[cache]["with"]["path"] == ".blog-cache"
    assert "hashFiles('site.toml')" in steps[cache]["with"]["key"]

    deploy = data["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == DEPLOY_PERMISSIONS
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    (step,) = deploy["steps"]
    assert step["id"] == "deployment" and step["uses"].startswith("actions/deploy-pages@")
    assert "if" not in deploy  # it never runs after a failed build
