"""What a report says about the process as a whole: the runtime's counters
(GOMAXPROCS, Ms, Ps, heap in use, GC count), the command line the runtime
kept (``os.Args``), and what the kernel's notes record (NT_PRPSINFO,
NT_AUXV's AT_EXECFN, NT_FILE).

The statistics moved between releases: ``runtime.memstats.heap_inuse``
up to Go 1.18, ``runtime.gcController.heapInUse`` from 1.19 on;
``memstats.numgc`` throughout. Their places are taken from DWARF (the
first spelling that resolves wins); without DWARF, or when no spelling
resolves, the reading says why instead of guessing. A Linux core holds no
resource limits (no note records them), so none are read here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dapcore.dwarf.constants import TAG_STRUCTURE_TYPE
from dapcore.dwarf.sections import DwarfError
from dapcore.errors import DapcoreError, UnreadableMemory

if TYPE_CHECKING:
    from dapcore.dwarf.reader import Dwarf
    from dapcore.goruntime.process import Process

__all__ = ["CoreNotes", "ProcStats", "Reading", "read_core_notes", "read_procstats"]

AT_EXECFN = 31  # auxv: the address of the executable's name as execve got it

# (global, its structure type, field path): the first that resolves is read.
HEAP_INUSE = (("runtime.gcController", "runtime.gcControllerState", "heapInUse"),
              ("runtime.memstats", "runtime.mstats", "heap_inuse"),
              ("runtime.memstats", "runtime.mstats", "heapInUse"))
NUM_GC = (("runtime.memstats", "runtime.mstats", "numgc"),)

_MAX_ARGS = 4096
_MAX_ARG_LEN = 1 << 16


@dataclass(frozen=True, slots=True)
class Reading:
    """A counter read from the core (``value``, where from: ``source``), or
    why it could not be (``why``)."""

    value: int | None
    source: str | None = None
    why: str | None = None


@dataclass(slots=True)
class ProcStats:
    gomaxprocs: Reading
    ms: Reading  # the runtime.allm chain's length
    ms_created: Reading  # runtime.sched.mnext: Ms ever made
    ps: Reading  # len(runtime.allp)
    heap_inuse: Reading
    num_gc: Reading
    args: list[str] | None = None  # os.Args as the runtime kept it
    args_source: str | None = None
    args_why: str | None = None


@dataclass(slots=True)
class CoreNotes:
    """What the kernel wrote about the process besides its threads."""

    pid: int | None = None
    ppid: int | None = None
    uid: int | None = None
    gid: int | None = None
    fname: str | None = None  # NT_PRPSINFO's pr_fname (16 bytes at most)
    psargs: str | None = None  # NT_PRPSINFO's pr_psargs (80 bytes at most)
    execfn: str | None = None  # AT_EXECFN's string
    mapped_files: int = 0  # NT_FILE entries
    distinct_files: int = 0
    threads: int = 0
    signal: int = 0  # the first thread's signal (NT_PRSTATUS)
    notes: list[str] = field(default_factory=list)  # what is not there, said


def read_core_notes(proc: Process) -> CoreNotes:
    core = proc.core
    out = CoreNotes(threads=len(core.threads), mapped_files=len(core.files),
                    distinct_files=len({f.path for f in core.files}))
    ct = core.crashing_thread
    out.signal = ct.signal if ct is not None else 0
    ps = core.psinfo
    if ps is None:
        out.notes.append("the core has no NT_PRPSINFO note (pid, command line)")
    else:
        out.pid, out.ppid, out.uid, out.gid = ps.pid, ps.ppid, ps.uid, ps.gid
        out.fname, out.psargs = ps.fname, ps.args
    addr = core.auxv.get(AT_EXECFN)
    if addr:
        try:
            out.execfn = _c_string(proc, addr)
        except UnreadableMemory:
            out.notes.append(f"AT_EXECFN points at {addr:#x}, which the core does not hold")
    else:
        out.notes.append("the core has no AT_EXECFN in NT_AUXV")
    return out


def _c_string(proc: Process, addr: int, limit: int = 4096) -> str:
    raw = b""
    while len(raw) < limit:
        at = addr + len(raw)
        chunk = proc.memory.read(at, min(64, 4096 - at % 4096))  # not past the page
        end = chunk.find(b"\0")
        if end >= 0:
            return (raw + chunk[:end]).decode(errors="replace")
        raw += chunk
    return raw.decode(errors="replace")


def read_procstats(proc: Process) -> ProcStats:
    out = ProcStats(
        gomaxprocs=_global_int(proc, "runtime.gomaxprocs", 4, signed=True),
        ms=_count_ms(proc),
        ms_created=_sched_field(proc, "mnext"),
        ps=_slice_len(proc, "runtime.allp"),
        heap_inuse=_dwarf_counter(proc, HEAP_INUSE),
        num_gc=_dwarf_counter(proc, NUM_GC),
    )
    for name in ("os.Args", "runtime.argslice"):
        try:
            args = _string_slice(proc, name)
        except (UnreadableMemory, DapcoreError, struct.error) as exc:
            out.args_why = f"{name} cannot be read: {exc}"
            continue
        if args is not None:
            out.args, out.args_source, out.args_why = args, name, None
            break
        out.args_why = out.args_why or f"the executable names no {name} (stripped?)"
    return out


def _count_ms(proc: Process) -> Reading:
    try:
        return Reading(len(proc.ms), "runtime.allm")
    except (UnreadableMemory, DapcoreError, KeyError) as exc:
        return Reading(None, why=f"runtime.allm cannot be read: {exc}")


def _global_int(proc: Process, name: str, size: int, offset: int = 0,
                signed: bool = False) -> Reading:
    try:
        addr = proc.global_addr(name, required=False)
    except DapcoreError as exc:
        return Reading(None, why=str(exc))
    if addr is None:
        return Reading(None, why=f"the executable names no {name} (stripped?)")
    try:
        raw = proc.memory.read(addr + offset, size)
    except UnreadableMemory as exc:
        return Reading(None, why=str(exc))
    return Reading(int.from_bytes(raw, "little", signed=signed), name)


def _sched_field(proc: Process, name: str) -> Reading:
    try:
        lay = proc.layout.struct("runtime.schedt")
        f = lay.field(name)
    except (KeyError, DapcoreError) as exc:
        return Reading(None, why=f"runtime.sched.{name} is not known: {exc}")
    r = _global_int(proc, "runtime.sched", f.size, f.offset, signed=True)
    return Reading(r.value, f"runtime.sched.{name}" if r.value is not None else None, r.why)


def _slice_len(proc: Process, name: str) -> Reading:
    r = _global_int(proc, name, 8, offset=8)
    return Reading(r.value, f"len({name})" if r.value is not None else None, r.why)


def _dwarf_counter(proc: Process, candidates: tuple[tuple[str, str, str], ...]) -> Reading:
    """The first of ``candidates`` whose field DWARF describes, read."""
    try:
        d = proc.dwarf
    except DapcoreError as exc:
        return Reading(None, why=f"not readable: {exc}")
    if d is None:
        return Reading(None, why="not readable: the executable has no DWARF")
    tried = []
    for var, typ, path in candidates:
        tried.append(f"{var}.{path}")
        try:
            place = _field_place(d, typ, path)
        except (DwarfError, DapcoreError, KeyError):
            place = None
        if place is None:
            continue
        offset, size = place
        r = _global_int(proc, var, size, offset)
        return Reading(r.value, f"{var}.{path}" if r.value is not None else None, r.why)
    return Reading(None, why=f"not readable: DWARF describes none of {', '.join(tried)}")


def _field_place(d: Dwarf, struct_name: str, path: str) -> tuple[int, int] | None:
    """(offset, size) of the integer at ``path`` in ``struct_name``; a
    field that is a wrapper structure (``atomic.Uint64``, ``sysMemStat``
    as a struct) is read at its ``value`` member."""
    die = d.find_struct(struct_name)
    if die is None:
        die = d.find_struct(struct_name, everywhere=True)
    if die is None:
        return None
    offset = 0
    cur = die
    parts = path.split(".")
    type_off = -1
    for i, part in enumerate(parts):
        if i:
            cur = d.resolve(type_off)
        member = d.members(cur).get(part)
        if member is None:
            return None
        offset += member[0]
        type_off = member[1]
    for _ in range(3):
        inner = d.resolve(type_off)
        if inner.tag != TAG_STRUCTURE_TYPE:
            break
        member = d.members(inner).get("value")
        if member is None:
            return None
        offset += member[0]
        type_off = member[1]
    size, _ = d.type_size(type_off)
    return (offset, size) if size in (1, 2, 4, 8) else None


def _string_slice(proc: Process, name: str) -> list[str] | None:
    """A package-level ``[]string`` (None: the executable does not name it)."""
    addr = proc.global_addr(name, required=False)
    if addr is None:
        return None
    mem = proc.memory
    ptr, n = mem.ptr(addr), mem.u64(addr + 8)
    if n > _MAX_ARGS:
        raise DapcoreError(f"{n} elements, more than a command line holds")
    out = []
    for i in range(n):
        sp, sn = mem.ptr(ptr + 16 * i), mem.u64(ptr + 16 * i + 8)
        if sn > _MAX_ARG_LEN:
            raise DapcoreError(f"element {i} is {sn} bytes long")
        out.append(mem.read(sp, sn).decode(errors="replace") if sn else "")
    return out
