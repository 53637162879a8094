"""Runtime globals of a stripped binary, found by reading the runtime's code.

Without ``.symtab`` nothing names ``runtime.allgs``, ``runtime.allglen`` or
``runtime.allm``; but the functions that write them are still listed in the
pclntab, and their machine code addresses the variables PC-relative. Three
small functions are disassembled (by the architecture: on amd64,
:mod:`dapcore.arch.amd64_refs`):

- ``runtime.allgadd`` (``allgs = append(allgs, gp)`` …
  ``atomic.Storeuintptr(&allglen, uintptr(len(allgs)))``, a plain store
  before Go 1.16): ``allgs`` is the
  one address whose three words (pointer, length, capacity) the append loads
  or stores; ``allglen`` is where an atomic store (``XCHG``, the intrinsic of
  ``atomic.Store*`` on amd64) writes the value just loaded from ``allgs``'s
  length word. ``runtime.forEachG`` (``for _, gp := range allgs``) must read
  the same pointer and length words, when the function exists.
- ``runtime.mcommoninit`` (``mp.alllink = allm`` then
  ``atomicstorep(unsafe.Pointer(&allm), unsafe.Pointer(mp))``): ``allm`` is
  the one address the function both loads and publishes with an atomic
  pointer store (``XCHG`` when ``atomicstorep`` is inlined, else a call to
  ``atomicstorep`` with the address as first argument).

``runtime.firstmoduledata`` comes from the pclntab, which finds it without
symbols (:func:`dapcore.gobin.moduledata.find_moduledata`).

Every address found must lie in a writable segment of the executable. The
facts were checked against the symbol tables of Go 1.15, 1.19 and 1.21–1.27
binaries (optimised, ``-N -l``, PIE, static, cgo). Everything here is in
link-time addresses; :func:`verify` checks the finds against a core.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from dapcore.arch import lookup
from dapcore.arch.descriptor import CodeRefs
from dapcore.elf.executable import Executable
from dapcore.elf.memory import AddressSpace
from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.gobin.moduledata import StaticImage, find_moduledata
from dapcore.gobin.pclntab import PCLnTab

# Which runtime function each global is read from (for error messages).
SOURCES: dict[str, str] = {
    "runtime.allgs": "runtime.allgadd",
    "runtime.allglen": "runtime.allgadd",
    "runtime.allm": "runtime.mcommoninit",
    "runtime.firstmoduledata": "the pclntab",
}

# Functions that store their second argument at their first:
# atomicstorep itself when not inlined (-N -l builds), and atomicwb, the
# write barrier half of an inlined atomicstorep.
_ATOMIC_STORE_CALLS = frozenset({
    "runtime.atomicstorep", "runtime.atomicwb",
    "runtime/internal/atomic.StorepNoWB", "internal/runtime/atomic.StorepNoWB",
})


class NotFound(DapcoreError):
    """The runtime's code does not show where a global lives."""


def _disassemble(exe: Executable, pclntab: PCLnTab, name: str) -> CodeRefs | None:
    """PC-relative references and atomic stores of function ``name`` (None
    when the pclntab has no such function)."""
    f = pclntab.func_by_name(name)
    if f is None or f.end <= f.entry:
        return None
    arch = lookup(exe.machine)
    assert arch is not None  # explain() checked
    code = exe.read_static(f.entry, f.end - f.entry)

    def callee_at(addr: int) -> str | None:
        fn = pclntab.func_at(addr)
        return fn.name if fn is not None and fn.entry == addr else None

    return arch.pc_relative_refs(code, f.entry, _ATOMIC_STORE_CALLS, callee_at)


def _writable(exe: Executable) -> list[tuple[int, int]]:
    return [(s.vaddr, s.vaddr + s.memsz) for s in exe.segments if s.flags & 2 and s.memsz]


def _in(ranges: list[tuple[int, int]], addr: int, size: int = 8) -> bool:
    return any(lo <= addr and addr + size <= hi for lo, hi in ranges)


def _allgs(exe: Executable, pclntab: PCLnTab, data: list[tuple[int, int]]) -> dict[str, int]:
    code = _disassemble(exe, pclntab, "runtime.allgadd")
    if code is None:
        raise NotFound("the pclntab has no runtime.allgadd")
    words = {r.target for r in code.refs if r.kind in ("load", "store") and r.width == "qword"}
    headers = [t for t in sorted(words) if t + 8 in words and t + 16 in words and _in(data, t, 24)]
    if len(headers) != 1:
        raise NotFound(f"runtime.allgadd appends to {len(headers)} slices, not one")
    allgs = headers[0]
    each = _disassemble(exe, pclntab, "runtime.forEachG")
    if each is not None:  # Go ≥ 1.17: it ranges over allgs (pointer and length)
        read = {r.target for r in each.refs if r.kind == "load"}
        if allgs not in read or allgs + 8 not in read:
            raise NotFound(f"runtime.forEachG does not read the slice at {allgs:#x}")
    lens = {t for t, src in code.atomic_stores if src == allgs + 8 and _in(data, t)}
    if not lens and not code.atomic_stores:
        # Before Go 1.16, ``allglen = uintptr(len(allgs))`` under the lock: a
        # plain store, the function's only word store outside the slice header.
        lens = {r.target for r in code.refs if r.kind == "store" and r.width == "qword"
                and not allgs <= r.target < allgs + 24 and _in(data, r.target)}
    if len(lens) != 1:
        raise NotFound(f"runtime.allgadd stores len(allgs) atomically at {len(lens)} places, "
                       "not one")
    return {"runtime.allgs": allgs, "runtime.allglen": lens.pop()}


def _allm(exe: Executable, pclntab: PCLnTab, data: list[tuple[int, int]]) -> dict[str, int]:
    code = _disassemble(exe, pclntab, "runtime.mcommoninit")
    if code is None:
        raise NotFound("the pclntab has no runtime.mcommoninit")
    loaded = {r.target for r in code.refs if r.kind == "load" and r.width == "qword"}
    found = {t for t, _ in code.atomic_stores if t in loaded and _in(data, t)}
    if len(found) != 1:
        raise NotFound(f"runtime.mcommoninit publishes {len(found)} loaded pointers, not one")
    return {"runtime.allm": found.pop()}


def _moduledata(exe: Executable, pclntab: PCLnTab) -> dict[str, int]:
    md = pclntab.moduledata
    if md is None and pclntab.version != "1.2":
        # Symbols gave text and gofunc, so the pclntab did not look: scan.
        order = "<" if exe.little_endian else ">"
        p = exe.ptr_size
        image = StaticImage(exe)
        word = 2 if pclntab.version == "1.16" else 3  # funcnameOffset in pcHeader
        raw = image.read(pclntab.addr + 8 + word * p, p)
        fnt = pclntab.addr + struct.unpack(order + ("Q" if p == 8 else "I"), raw)[0]
        md = find_moduledata(exe, image, pclntab.addr, pclntab.version, fnt, None)
    if md is None:
        raise NotFound("no moduledata points at the pclntab")
    return {"runtime.firstmoduledata": md.addr}


def explain(exe: Executable, pclntab: PCLnTab) -> tuple[dict[str, int], dict[str, str]]:
    """The globals found and, for each one not found, why not."""
    if lookup(exe.machine) is None:
        why = f"reading {exe.machine} code is not supported"
        return {}, {name: why for name in SOURCES}
    data = _writable(exe)
    found: dict[str, int] = {}
    why: dict[str, str] = {}
    for finder, names in ((_allgs, ("runtime.allgs", "runtime.allglen")),
                          (_allm, ("runtime.allm",))):
        try:
            found.update(finder(exe, pclntab, data))
        except DapcoreError as e:  # NotFound, or code outside the file
            why.update({n: str(e) for n in names})
    try:
        found.update(_moduledata(exe, pclntab))
    except DapcoreError as e:
        why["runtime.firstmoduledata"] = str(e)
    return found, why


def verify(mem: AddressSpace, bias: int, found: dict[str, int],
           goid_offset: Callable[[], int]) -> dict[str, str]:
    """Check the finds (link-time addresses) against the core (``mem``, the
    executable loaded at ``bias``); remove those the core contradicts and say
    why. Cheap: a few words and one ``g``, whose ``goid`` is at
    ``goid_offset()`` (asked for only then; it may raise a
    :class:`DapcoreError`, e.g. without a ``runtime.g`` layout)."""
    why: dict[str, str] = {}
    allgs = found.get("runtime.allgs")
    if allgs is not None:
        problem = None
        try:
            data, length, cap = struct.unpack("<3Q", mem.read(allgs + bias, 24))
            allglen = found.get("runtime.allglen")
            n = mem.ptr(allglen + bias) if allglen is not None else length
            if not (0 < length <= cap < 1 << 40) or not (0 < n <= length) or data % 8:
                problem = f"no []*g slice header there (len {length}, cap {cap}, allglen {n})"
            else:
                first = mem.ptr(data)
                goid = struct.unpack("<q", mem.read(first + goid_offset(), 8))[0]
                if goid != 1:
                    problem = f"its first g has goid {goid}, not 1 (runtime.main)"
        except DapcoreError:  # unreadable memory, no runtime.g layout: nothing
            problem = None  # contradicts the find; the reader reports the failure
        if problem is not None:
            for name in ("runtime.allgs", "runtime.allglen"):
                found.pop(name, None)
                why[name] = f"the address found there ({allgs:#x}) holds {problem}"
    allm = found.get("runtime.allm")
    if allm is not None:
        try:
            m = mem.ptr(allm + bias)
        except UnreadableMemory:
            m = None
        if m == 0 or (m is not None and m % 8):
            found.pop("runtime.allm")
            why["runtime.allm"] = f"the address found there ({allm:#x}) holds {m:#x}, not an m"
    return why
