from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import settings

# The tests import their small helpers (fixtures.py, sitecheck.py) from this folder.
sys.path.insert(0, str(Path(__file__).parent))

# Hypothesis fails an example that takes longer than 200 ms, which a busy machine makes any
# example do now and then; no test here is about speed.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


@pytest.fixture(scope="session")
def browser_path() -> str:
    """The Chromium the browser tests drive (they skip without one, or fail under CI)."""
    from browser import find_browser

    return find_browser()


@pytest.fixture(scope="session")
def fonts_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fontconfig file that hides every system math font, as on a stock phone."""
    from math_browser import hidden_fonts_config

    return hidden_fonts_config(tmp_path_factory.mktemp("fonts"))
