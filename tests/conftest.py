from __future__ import annotations

import sys
from pathlib import Path

# The tests import their small helpers (fixtures.py, sitecheck.py) from this folder.
sys.path.insert(0, str(Path(__file__).parent))
