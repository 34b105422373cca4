"""Short, stable digests: what a cached result is keyed by."""

from __future__ import annotations

import hashlib
import os
from importlib.util import find_spec
from pathlib import Path


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()[:32]


def installed_library(module: str, distribution: str) -> str:
    """A library's version (the name of its `.dist-info` folder) and its files' stamp. Cheaper
    than importlib.metadata or importing the library, which an up-to-date build never needs."""
    spec = find_spec(module)
    if spec is None or spec.origin is None:
        return f"{module} missing"
    stat = os.stat(spec.origin)
    folder = Path(spec.origin).parent
    site = folder.parent if spec.submodule_search_locations else folder
    prefix = distribution.lower() + "-"
    try:
        infos = sorted(n for n in os.listdir(site) if n.lower().startswith(prefix))
    except OSError:
        infos = []
    return f"{module} {spec.origin} {stat.st_size} {stat.st_mtime_ns} {infos}"
