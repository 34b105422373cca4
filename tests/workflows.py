"""Read a GitHub Actions workflow and check the shape a GitHub Pages deploy needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PERMISSIONS = {"contents": "read", "pages": "write", "id-token": "write"}


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


def check_pages_workflow(data: dict[Any, Any], *, test_command: str | None) -> None:
    triggers = data.get("on", data.get(True))  # PyYAML reads the key `on` as True
    assert isinstance(triggers, dict)
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    assert data["permissions"] == PERMISSIONS
    assert data["concurrency"] == {"group": "pages", "cancel-in-progress": False}

    build = data["jobs"]["build"]
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
    if test_command is not None:
        assert step_index(steps, runs=test_command) < built

    deploy = data["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    (step,) = deploy["steps"]
    assert step["id"] == "deployment" and step["uses"].startswith("actions/deploy-pages@")
    assert "if" not in deploy  # it never runs after a failed build
