"""Cache keys: a hash of everything that shapes a binary or a core."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from tests.factory.paths import ZOO

# Bump when the way binaries are built or cores are captured changes.
BUILD_RECIPE = 1
CAPTURE_RECIPE = 1


@cache
def zoo_sources_hash() -> str:
    """sha256 over the zoo's Go sources (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted(ZOO.rglob("*")):
        if path.is_file() and path.suffix in {".go", ".mod", ".sum", ".c", ".h"}:
            h.update(str(path.relative_to(ZOO)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def digest(**parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
