"""Where the factory keeps toolchains, binaries and cores."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ZOO = REPO / "tests" / "fixtures" / "zoo"
DEMO = REPO / "dapcore" / "demo"  # the program behind `dapcore demo` (its own module)


def cache_root() -> Path:
    """The cache folder: ``$DAPCORE_CACHE`` or ``~/.cache/dapcore``.

    It lives outside the source tree so that a fresh clone (CI) on the same
    machine finds the toolchains and fixtures already built.
    """
    env = os.environ.get("DAPCORE_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "dapcore"
    root.mkdir(parents=True, exist_ok=True)
    return root


def toolchain_dir() -> Path:
    return cache_root() / "toolchains"


def build_dir() -> Path:
    return cache_root() / "bin"


def source_dir() -> Path:
    """Copies of the programs' sources that binaries were built from (see
    :func:`tests.factory.build.build`)."""
    return cache_root() / "src"


def fixture_dir() -> Path:
    return cache_root() / "fixtures"


def scratch_dir() -> Path:
    """Temporary work folders, on the same file system as the fixtures so a
    finished core is renamed into place, never copied (cores are sparse)."""
    d = cache_root() / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return d
