"""Go build information from the ``.go.buildinfo`` section, and the Go
release of a program built before it existed (Go 1.13 added it).

Layout (from Go's ``debug/buildinfo`` format notes): a 32-byte header
``"\\xff Go buildinf:"``, pointer size, flags; from Go 1.18 (flag bit 1) the
version and module-info strings follow inline, each prefixed by a uvarint
(unsigned LEB128) length; before, two pointers lead to Go string headers.
The module info is tab-separated lines between 16-byte sentinels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

from dapcore.dwarf.leb128 import uleb
from dapcore.elf.executable import Executable
from dapcore.errors import ExecutableError, UnreadableMemory
from dapcore.gobin.goversion import release_without_buildinfo

_MAGIC = b"\xff Go buildinf:"


class Module(NamedTuple):
    path: str
    version: str
    sum: str = ""
    replaced_by: Module | None = None


@dataclass(slots=True)
class BuildInfo:
    go_version: str  # "go1.27.3"; "" when nothing names the release
    path: str = ""  # main package path
    main: Module | None = None
    deps: list[Module] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    # Where go_version came from: "build information", "runtime.buildVersion",
    # "DWARF producer"; or, when the release is unknown, the range the
    # pclntab's format allows ("Go 1.2–1.15 (the pclntab's format)").
    version_source: str = "build information"

    @property
    def release(self) -> tuple[int, int]:
        """(major, minor) of the Go release, e.g. (1, 27); (0, 0) if unknown."""
        digits = self.go_version.removeprefix("go").split(" ")[0]
        parts = digits.replace("rc", ".").replace("beta", ".").split(".")
        try:
            return int(parts[0]), int(parts[1])
        except (IndexError, ValueError):
            return 0, 0


def read_buildinfo(exe: Executable) -> BuildInfo:
    """Parse the executable's build info; :class:`ExecutableError` when it is
    not a Go program (no ``.go.buildinfo`` or no magic)."""
    raw = exe.section_bytes(".go.buildinfo")
    if raw is None:
        data = _scan_data_for_magic(exe)
    else:
        data = bytes(raw[:64 * 1024])
    if data is None or not data.startswith(_MAGIC) or len(data) < 32:
        # Go 1.12 and older, or a linker that dropped it: name the release
        # from what else the binary holds.
        version, source = release_without_buildinfo(exe)
        return BuildInfo(go_version=version, version_source=source)
    ptr_size, flags = data[14], data[15]
    try:
        if flags & 2:
            n, pos = uleb(data, 32)
            version = data[pos:pos + n].decode(errors="replace")
            n, pos = uleb(data, pos + n)
            modinfo = data[pos:pos + n].decode(errors="replace")
        else:
            fmt = "<Q" if ptr_size == 8 else "<I"
            vptr = struct.unpack_from(fmt, data, 16)[0]
            mptr = struct.unpack_from(fmt, data, 16 + ptr_size)[0]
            version = _static_go_string(exe, vptr, ptr_size)
            modinfo = _static_go_string(exe, mptr, ptr_size)
    except (IndexError, ValueError, UnreadableMemory, struct.error) as exc:
        raise ExecutableError(f"{exe.path}: damaged Go build information ({exc})") from exc
    info = BuildInfo(go_version=version)
    _parse_modinfo(info, modinfo)
    return info


def _scan_data_for_magic(exe: Executable) -> bytes | None:
    """Some linkers drop the section name; the blob is 16-byte aligned in
    writable data."""
    for seg in exe.segments:
        if seg.flags & 2 and seg.filesz:
            chunk = exe.data[seg.offset:seg.offset + seg.filesz]
            i = chunk.find(_MAGIC)
            while i >= 0 and i % 16:
                i = chunk.find(_MAGIC, i + 1)
            if i >= 0:
                return bytes(chunk[i:i + 64 * 1024])
    return None


def _static_go_string(exe: Executable, addr: int, ptr_size: int) -> str:
    fmt = "<Q" if ptr_size == 8 else "<I"
    hdr = exe.read_static(addr, 2 * ptr_size)
    data = struct.unpack_from(fmt, hdr, 0)[0]
    length = struct.unpack_from(fmt, hdr, ptr_size)[0]
    return exe.read_static(data, length).decode(errors="replace") if length else ""


def _parse_modinfo(info: BuildInfo, text: str) -> None:
    # Strip the 16-byte sentinels around the text when present.
    if len(text) >= 33 and text[-17] == "\n":
        text = text[16:-16]
    last: Module | None = None
    for line in text.splitlines():
        key, _, rest = line.partition("\t")
        cols = rest.split("\t")
        if key == "path":
            info.path = rest
        elif key == "mod" and cols:
            info.main = last = Module(cols[0], _col(cols, 1), _col(cols, 2))
        elif key == "dep" and cols:
            last = Module(cols[0], _col(cols, 1), _col(cols, 2))
            info.deps.append(last)
        elif key == "=>" and cols and last is not None:
            repl = Module(cols[0], _col(cols, 1), _col(cols, 2))
            fixed = Module(last.path, last.version, last.sum, repl)
            if info.deps and info.deps[-1] is last:
                info.deps[-1] = fixed
            else:
                info.main = fixed
        elif key == "build":
            k, _, v = rest.partition("=")
            info.settings[k] = v


def _col(cols: list[str], i: int) -> str:
    return cols[i] if i < len(cols) else ""
