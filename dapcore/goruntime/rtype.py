"""Runtime type descriptors (``internal/abi.Type``, ``runtime._type``): the
kind and the name of a value's dynamic type, read from the core."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from dapcore.dwarf.leb128 import uleb
from dapcore.errors import UnreadableMemory

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process

# abi.Kind values (stable since Go 1.0), masked with KIND_MASK.
KIND_MASK = 0x1F
(BOOL, INT, INT8, INT16, INT32, INT64, UINT, UINT8, UINT16, UINT32, UINT64, UINTPTR, FLOAT32,
 FLOAT64, COMPLEX64, COMPLEX128, ARRAY, CHAN, FUNC, INTERFACE, MAP, POINTER, SLICE, STRING,
 STRUCT, UNSAFE_POINTER) = range(1, 27)
TFLAG_EXTRA_STAR = 1 << 1

# Offsets inside abi.Type on 64-bit targets (unchanged from Go 1.14 to 1.27).
_SIZE, _TFLAG, _KIND, _STR = 0, 20, 23, 40


def name_length(buf: bytes | memoryview, pos: int, varint: bool) -> tuple[int, int]:
    """The length of a string inside an ``abi.Name`` (the name after the
    flag byte, or its tag) and the position of its first byte: a uvarint
    from Go 1.17, a big-endian uint16 before. IndexError when ``buf`` ends
    first."""
    if varint:
        return uleb(buf, pos)
    if pos + 2 > len(buf):
        raise IndexError(pos)
    return (buf[pos] << 8) | buf[pos + 1], pos + 2


def varint_names(go_version: str) -> bool:
    """Whether ``abi.Name`` lengths are uvarints (Go 1.17+) in this release
    (an unknown release: the current encoding)."""
    m = re.match(r"(?:go)?1\.(\d+)", go_version or "")
    return m is None or int(m.group(1)) >= 17


class RType(NamedTuple):
    addr: int
    size: int
    kind: int
    name: str


class TypeReader:
    def __init__(self, proc: Process) -> None:
        self.proc = proc
        self.mem = proc.memory
        self._cache: dict[int, RType] = {}
        self._varint = varint_names(proc.go_version)

    @property
    def types_base(self) -> int:
        """``moduledata.types``: where name offsets count from."""
        md = self.proc.global_addr("runtime.firstmoduledata")
        assert md is not None
        off = self.proc.layout.struct("runtime.moduledata").off("types")
        return self.mem.ptr(md + off)

    def is_type(self, addr: int) -> bool:
        """Whether ``addr`` can be one of the program's type descriptors:
        8-byte aligned, between ``moduledata.types`` and ``etypes`` (when
        those are known)."""
        if addr % 8:
            return False
        try:
            md = self.proc.global_addr("runtime.firstmoduledata")
            lay = self.proc.layout.struct("runtime.moduledata")
            if md is None or not lay.has("etypes"):
                return True
            lo = self.mem.ptr(md + lay.off("types"))
            hi = self.mem.ptr(md + lay.off("etypes"))
        except UnreadableMemory:
            return True
        return lo <= addr < hi if lo < hi else True

    def read(self, addr: int) -> RType:
        cached = self._cache.get(addr)
        if cached is not None:
            return cached
        raw = self.mem.read(addr, 48)
        size = int.from_bytes(raw[_SIZE:_SIZE + 8], "little")
        tflag, kind = raw[_TFLAG], raw[_KIND] & KIND_MASK
        str_off = int.from_bytes(raw[_STR:_STR + 4], "little", signed=True)
        try:
            name = self._name(self.types_base + str_off)
        except UnreadableMemory:
            name = f"<type at {addr:#x}>"
        if tflag & TFLAG_EXTRA_STAR and name.startswith("*"):
            name = name[1:]
        rt = RType(addr, size, kind, name)
        self._cache[addr] = rt
        return rt

    def _name(self, addr: int) -> str:
        """An abi.Name: flag byte, length, bytes."""
        head = self.mem.read(addr, 11)
        try:
            length, pos = name_length(head, 1, self._varint)
        except IndexError:
            raise UnreadableMemory(addr, len(head), "a damaged name") from None
        return self.mem.read(addr + pos, length).decode(errors="replace") if length else ""
