"""Splitting a linked zoo binary into a stripped executable and a separate
debug file, the way distributions and release pipelines do (issue #15).

* ``debuglink``: ``objcopy --only-keep-debug BIN BIN.debug``, then
  ``objcopy --strip-debug --add-gnu-debuglink=BIN.debug BIN``: the
  executable keeps its symbol table and names ``BIN.debug`` (with its
  CRC32), which lies next to it.
* ``buildid``: the binary is linked with a GNU build id (``-B gobuildid``);
  ``objcopy --only-keep-debug`` into ``debug/.build-id/xx/yyyy.debug`` (a
  directory a user names, as ``/usr/lib/debug`` is laid out), then
  ``objcopy --strip-all BIN``: no symbol table, no DWARF, no debuglink.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dapcore.elf.executable import Executable


class SplitError(RuntimeError):
    """objcopy failed, or the binary has no GNU build id to file it under."""


@dataclass(frozen=True, slots=True)
class Split:
    debug_file: Path  # the debug file made
    debug_dir: Path | None  # the directory to name to find it (None: found next to the binary)


def _objcopy(*args: str) -> None:
    res = subprocess.run(["objcopy", *args], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SplitError(f"objcopy {' '.join(args)}: {res.stderr.strip()}")


def split(binary: Path, how: str, final_name: str) -> Split:
    """Split ``binary`` in place (``how``: "debuglink" or "buildid"); the
    debug file goes beside it, named after ``final_name`` (the name the
    binary will have once moved into place)."""
    out_dir = binary.parent
    if how == "debuglink":
        debug = out_dir / f"{final_name}.debug"
        tmp = debug.with_name(f"{debug.name}.{os.getpid()}.tmp")
        _objcopy("--only-keep-debug", str(binary), str(tmp))
        os.replace(tmp, debug)  # --add-gnu-debuglink records the file's own name
        _objcopy("--strip-debug", f"--add-gnu-debuglink={debug}", str(binary))
        return Split(debug, None)
    if how == "buildid":
        exe = Executable(binary)
        try:
            build_id = exe.gnu_build_id
        finally:
            exe.close()
        if not build_id:
            raise SplitError(f"{binary} was linked without a GNU build id")
        root = out_dir / "debug"
        debug = root / ".build-id" / build_id[:2] / f"{build_id[2:]}.debug"
        debug.parent.mkdir(parents=True, exist_ok=True)
        tmp = debug.with_name(f"{debug.name}.{os.getpid()}.tmp")
        _objcopy("--only-keep-debug", str(binary), str(tmp))
        os.replace(tmp, debug)
        _objcopy("--strip-all", str(binary))
        return Split(debug, root)
    raise SplitError(f"unknown split {how!r}")
