from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import settings

# The tests import their small helpers (fixtures.py, sitecheck.py) from this folder.
sys.path.insert(0, str(Path(__file__).parent))

# Hypothesis fails an example that takes longer than 200 ms, which a busy machine makes any
# example do now and then; no test here is about speed.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")
