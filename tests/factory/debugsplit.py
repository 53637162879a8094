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

objcopy is the one for the binary's architecture: the host's for amd64
(Debian's binutils read x86 ELF files only), the aarch64 cross binutils'
``aarch64-linux-gnu-objcopy`` for arm64, from the cross toolchain the
factory unpacks into the cache (:func:`toolchains.ensure_cross_binutils`).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dapcore.elf.executable import Executable
from tests.factory import toolchains


class SplitError(RuntimeError):
    """objcopy failed, or the binary has no GNU build id to file it under."""


@dataclass(frozen=True, slots=True)
class Split:
    debug_file: Path  # the debug file made
    debug_dir: Path | None  # the directory to name to find it (None: found next to the binary)


@dataclass(frozen=True, slots=True)
class Objcopy:
    """An objcopy that reads one architecture's ELF files."""

    path: str  # "objcopy" (found on PATH) or the cross binutils' file
    env: dict[str, str] | None  # None: the caller's environment

    def __call__(self, *args: str) -> None:
        try:
            res = subprocess.run([self.path, *args], capture_output=True, text=True,
                                 env=self.env, check=False)
        except OSError as exc:
            raise SplitError(f"{self.path}: {exc}") from exc
        if res.returncode != 0:
            raise SplitError(f"{self.path} {' '.join(args)}: {res.stderr.strip()}")


def objcopy_for(goarch: str) -> Objcopy:
    """The objcopy for ``goarch``'s binaries (the cross binutils are
    unpacked into the cache first when an arm64 binary needs them)."""
    if goarch == "amd64":
        return Objcopy("objcopy", None)
    if goarch == "arm64":
        tools = toolchains.ensure_cross_binutils()
        return Objcopy(str(tools.objcopy), tools.env())
    raise SplitError(f"no objcopy known for {goarch} binaries")


def split(binary: Path, how: str, final_name: str, goarch: str = "amd64") -> Split:
    """Split ``binary`` (a ``goarch`` executable) in place (``how``:
    "debuglink" or "buildid"); the debug file goes beside it, named after
    ``final_name`` (the name the binary will have once moved into place)."""
    if how not in ("debuglink", "buildid"):
        raise SplitError(f"unknown split {how!r}")
    objcopy = objcopy_for(goarch)
    out_dir = binary.parent
    if how == "debuglink":
        debug = out_dir / f"{final_name}.debug"
        tmp = debug.with_name(f"{debug.name}.{os.getpid()}.tmp")
        objcopy("--only-keep-debug", str(binary), str(tmp))
        os.replace(tmp, debug)  # --add-gnu-debuglink records the file's own name
        objcopy("--strip-debug", f"--add-gnu-debuglink={debug}", str(binary))
        return Split(debug, None)
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
    objcopy("--only-keep-debug", str(binary), str(tmp))
    os.replace(tmp, debug)
    objcopy("--strip-all", str(binary))
    return Split(debug, root)
