"""The Go release of a program without build information (``.go.buildinfo``
came with Go 1.13): from ``runtime.buildVersion`` (a symbol of every Go
program), from the compiler's DWARF producer string (``Go cmd/compile
go1.15.15``), else only the range of releases the pclntab's format was
written by. A file none of these call a Go program is refused."""

from __future__ import annotations

import re
import struct
import zlib

from dapcore.elf.executable import Executable
from dapcore.errors import DapcoreError, ExecutableError, UnreadableMemory
from dapcore.gobin.pclntab import MAGICS, PCLnTab

_PRODUCER = re.compile(rb"Go cmd/compile (go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)")
_RELEASE = re.compile(r"go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?")
# pclntab magic → the releases that wrote that format.
_FORMATS = {
    0xFFFFFFFB: "Go 1.2–1.15", 0xFFFFFFFA: "Go 1.16–1.17", 0xFFFFFFF0: "Go 1.18–1.19",
    0xFFFFFFF1: "Go 1.20 or newer",
}
_PROBE = 1 << 20  # decompressed bytes of .debug_info searched for the producer


def release_without_buildinfo(exe: Executable) -> tuple[str, str]:
    """(go_version, where it came from); go_version is "" when only the
    pclntab's format bounds it (the second item then names the range).
    :class:`ExecutableError` when nothing says the file is a Go program."""
    version = _build_version_symbol(exe)
    if version:
        return version, "runtime.buildVersion"
    version = _dwarf_producer(exe)
    if version:
        return version, "DWARF producer"
    magic = _pclntab_magic(exe)
    if magic is None:
        raise ExecutableError(f"{exe.path} is not a Go program (no Go build information, no "
                              "runtime.buildVersion, no Go line tables)")
    return "", f"{_FORMATS[magic]} (the format of its line tables)"


def _build_version_symbol(exe: Executable) -> str | None:
    sym = exe.symbol("runtime.buildVersion")
    if sym is None:
        return None
    p = exe.ptr_size
    word = ("<" if exe.little_endian else ">") + ("Q" if p == 8 else "I")
    try:
        hdr = exe.read_static(sym.value, 2 * p)
        data, length = struct.unpack(word, hdr[:p])[0], struct.unpack(word, hdr[p:])[0]
        text = exe.read_static(data, length).decode(errors="replace") if 0 < length < 64 else ""
    except (UnreadableMemory, ExecutableError, struct.error):
        return None
    m = _RELEASE.match(text)
    return m.group(0) if m else None


def _dwarf_producer(exe: Executable) -> str | None:
    """The first compile unit's producer, from the start of ``.debug_info``
    (plain, SHF_COMPRESSED or ``.zdebug_info``): only the first megabyte is
    decompressed."""
    for name in (".debug_info", ".zdebug_info"):
        raw = exe.section_bytes(name)
        if raw is None:
            continue
        sec = exe.sections[name]
        head = bytes(raw[:_PROBE])
        try:
            if name == ".zdebug_info" and head.startswith(b"ZLIB"):
                head = zlib.decompressobj().decompress(head[12:], _PROBE)
            elif sec.flags & 0x800:  # SHF_COMPRESSED: Elf64_Chdr (24 bytes) or Elf32_Chdr
                skip = 24 if exe.ptr_size == 8 else 12
                head = zlib.decompressobj().decompress(head[skip:], _PROBE)
        except zlib.error:
            return None
        m = _PRODUCER.search(head)
        return m.group(1).decode() if m else None
    return None


def _pclntab_magic(exe: Executable) -> int | None:
    for name in (".gopclntab", ".data.rel.ro.gopclntab"):
        raw = exe.section_bytes(name)
        if raw is not None and len(raw) >= 8:
            magic = struct.unpack_from("<I" if exe.little_endian else ">I", raw, 0)[0]
            if magic in _FORMATS:
                return magic
    try:
        tab = PCLnTab.from_executable(exe, use_symbols=False)
    except DapcoreError:  # not readable as Go line tables
        return None
    return next((m for m, v in MAGICS.items() if v == tab.version), None)
