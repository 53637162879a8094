"""Which Go releases dapcore reads, and how to say so when a program was
built with another one."""

from __future__ import annotations

import re

from dapcore.errors import DapcoreError, UnsupportedError

OLDEST_READ = (1, 13)  # build information, the 1.12+ inline trees, the layouts of DWARF
TESTED = "Go 1.15, 1.19 and 1.21–1.27"


def release_of(go_version: str) -> tuple[int, int] | None:
    """``"go1.15.3"`` → ``(1, 15)``; None when the text names no release."""
    m = re.match(r"(?:go)?(\d+)\.(\d+)", go_version.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def explain(program: str, go_version: str, exc: DapcoreError, source: str = "") -> DapcoreError:
    """``exc`` met while reading a program's runtime, reworded when the
    program was built by a release older than dapcore reads, or by one
    nothing names (``source``: the releases the binary's format allows):
    the user learns the release first, the detail after."""
    release = release_of(go_version or "")
    if release is None and source:
        return UnsupportedError(
            f"{program} names no Go release (no build information, runtime.buildVersion or "
            f"DWARF): its line tables were written by {source}. dapcore reads Go "
            f"{OLDEST_READ[0]}.{OLDEST_READ[1]} and newer (tested: {TESTED}). Detail: {exc}")
    if release is None or release >= OLDEST_READ:
        return exc
    version = go_version.removeprefix("go").split(" ")[0]
    return UnsupportedError(
        f"{program} was built with Go {version}; dapcore reads Go "
        f"{OLDEST_READ[0]}.{OLDEST_READ[1]} and newer (tested: {TESTED}). Detail: {exc}")
