"""Cache keys: a hash of everything that shapes a binary or a core."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

# Bump when the way binaries are built or cores are captured changes.
# 2: built from a copy of the sources in the cache, not from the checkout.
BUILD_RECIPE = 2
CAPTURE_RECIPE = 1


SOURCE_SUFFIXES = frozenset({".go", ".mod", ".sum", ".c", ".h"})


@cache
def program_sources_hash(module: Path, package_dir: str) -> str:
    """sha256 over one program's sources: its module's ``go.mod``, the files
    of its package directory (not of the other programs in subdirectories)
    and those of the module's ``internal/`` packages they share, so a change
    to one program rebuilds only its own fixtures."""
    h = hashlib.sha256()
    pkg = (module / package_dir).resolve()
    shared = module / "internal"  # packages every program of the module may import
    files = [module / "go.mod", *sorted(p for p in pkg.iterdir() if p.is_file()),
             *(sorted(p for p in shared.rglob("*") if p.is_file()) if shared.is_dir() else [])]
    for path in files:
        if path.suffix in SOURCE_SUFFIXES:
            h.update(str(path.relative_to(module)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def digest(**parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
