"""Finding cores and executables in directories (``dapcore triage``).

A core is told by its first bytes, never its name: an ELF file of type
ET_CORE, or a compressed stream (gzip, xz, zstd, LZ4) that may hold one —
which only opening it tells; a compressed file that holds no core is
listed with that error. Executables are ELF files with the execute bit
that carry a Go build ID, indexed by it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dapcore.engine import Engine
from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Found", "executables_by_build_id", "find_cores"]

_HEAD = 64
_MAX_FILES = 1_000_000


@dataclass(slots=True)
class Found:
    cores: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def _walk(root: str) -> Iterable[str]:
    if os.path.isfile(root):
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield os.path.join(dirpath, name)


def find_cores(dirs: list[str]) -> Found:
    """The cores under ``dirs`` (directories walked; a file named is
    looked at itself); a directory that does not exist is a problem."""

    out = Found()
    for root in dirs:
        if not os.path.exists(root):
            out.problems.append((root, "no such file or directory"))
            continue
        for n, path in enumerate(_walk(root)):
            if n >= _MAX_FILES:
                out.problems.append((root, f"more than {_MAX_FILES:,} files: the rest skipped"))
                break
            try:
                st = os.stat(path)
                if not stat.S_ISREG(st.st_mode) or st.st_size < _HEAD:
                    continue
                with open(path, "rb") as fh:
                    head = fh.read(_HEAD)
            except OSError as exc:
                out.problems.append((path, f"cannot be read: {exc.strerror or exc}"))
                continue
            if Engine.core_format(head) is None:
                continue
            out.cores.append(path)
    return out


def executables_by_build_id(dirs: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """``{Go build ID: path}`` of the executables under ``dirs`` (the first
    found wins), and the directories that could not be read."""

    found: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for root in dirs:
        if not os.path.isdir(root):
            problems.append((root, "not a directory"))
            continue
        for path in _walk(root):
            try:
                st = os.stat(path)
                if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111 or st.st_size < _HEAD:
                    continue
                with open(path, "rb") as fh:
                    if fh.read(4) != b"\x7fELF":
                        continue
                build_id = Engine.executable_build_id(path)
            except (OSError, DapcoreError):
                continue
            if build_id:
                found.setdefault(build_id, path)
    return found, problems
