"""Seeded mutations of fixture cores and executables.

A :class:`Case` is everything needed to rebuild one mutated input: the
fixture, which file (core or executable), the region aimed at and the exact
byte operations (offsets and bytes), so a failure can be reproduced by hand
from its description alone. Case ``i`` of seed ``s`` draws from
``random.Random(f"{s}/{i}")`` (``f"{s}/{i}/{fixture ids}"`` for a pool other
than the default four): any case is rebuilt without generating the ones
before it.
"""

from __future__ import annotations

import mmap
import os
import random
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz.elfmap import Load, Region, core_regions, file_offset, loads, sections

# What each case runs: ``python -m dapcore <command> BIN CORE``.
COMMANDS: tuple[tuple[str, ...], ...] = (("crash",), ("goroutines",), ("locals",), ("bt", "-a"))
SPECIALS = ("fifo", "devzero", "directory", "symlink-loop")
EXE_SECTIONS = (".gopclntab", ".go.buildinfo", ".debug_info", ".note.go.buildid",
                "section-headers", ".debug_line", ".go.module", ".debug_abbrev")

# (target, weight): what a core mutation aims at; "g-*"/"allgs" are the
# runtime's goroutine structures, located through dapcore on the pristine core.
CORE_TARGETS = (("elf-header", 3), ("program-headers", 5), ("notes", 3),
                ("note-prstatus-regs", 6), ("note-prstatus-head", 2), ("note-file", 4),
                ("note-siginfo", 3), ("note-auxv", 2), ("allgs", 4), ("g-struct", 14),
                ("g-stack", 8), ("g-panic", 3), ("random", 8), ("truncate", 8), ("hole", 7))
EXE_TARGETS = (("elf-header", 3), ("program-headers", 3), ("section-headers", 4),
               (".gopclntab", 10), (".go.buildinfo", 4), (".debug_info", 5),
               (".note.go.buildid", 2), (".debug_line", 2), (".go.module", 2),
               ("random", 4), ("truncate", 5))
CORE_SHARE = 0.7  # of the random cases: the rest mutate the executable

_WORDS = (0, 1, 0xFF, 0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000,
          0xFFFF_FFFF_FFFF_FFFF, 0x1_0000_0000, 0xC000_0000_00, 2**31, 2**31 - 1)


@dataclass(frozen=True, slots=True)
class Op:
    """One edit: ``write`` ``data`` at ``offset``; ``zero`` ``size`` bytes
    from ``offset``; ``truncate`` the file to ``offset`` bytes."""

    kind: str
    offset: int
    data: bytes = b""
    size: int = 0
    was: bytes = b""  # the bytes a write replaced (for the description)

    def describe(self) -> str:
        if self.kind == "write":
            return f"write {self.data.hex()} at {self.offset:#x} (was {self.was.hex()})"
        if self.kind == "zero":
            return f"zero {self.size:#x} bytes at {self.offset:#x}"
        return f"truncate to {self.offset} bytes"


@dataclass(frozen=True, slots=True)
class Case:
    seed: int
    index: int
    fixture: str
    role: str  # "core" or "exe": the file mutated
    target: str  # the region aimed at ("special:fifo" for special files)
    command: tuple[str, ...]
    ops: tuple[Op, ...] = ()
    where: str = ""  # the region's detail (goroutine id, section range)
    pool: tuple[str, ...] = ()  # the fixtures the case was drawn from

    @property
    def special(self) -> str | None:
        return self.target.split(":", 1)[1] if self.target.startswith("special:") else None

    @property
    def key(self) -> str:
        return f"{self.role}:{self.target}"

    def describe(self) -> str:
        what = "; ".join(op.describe() for op in self.ops) or "replaced by a special file"
        where = f" [{self.where}]" if self.where else ""
        return (f"case {self.index} (seed {self.seed}): {self.fixture} {self.role} "
                f"{self.target}{where}: {what}; dapcore {' '.join(self.command)}")


@dataclass(slots=True)
class Target:
    """A fixture's pristine files and the regions worth aiming at."""

    id: str
    binary: Path
    core: Path
    core_data: mmap.mmap
    exe_data: mmap.mmap
    core_regions: dict[str, list[Region]] = field(default_factory=dict)
    exe_regions: dict[str, list[Region]] = field(default_factory=dict)
    core_loads: list[Load] = field(default_factory=list)

    @classmethod
    def load(cls, fid: str, binary: Path, core: Path) -> Target:
        def mapped(p: Path) -> mmap.mmap:
            with p.open("rb") as f:
                return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

        t = cls(fid, binary, core, mapped(core), mapped(binary))
        for r in core_regions(t.core_data):
            t.core_regions.setdefault(r.name, []).append(r)
        t.core_loads = loads(t.core_data)
        for r in _goroutine_regions(binary, core, t.core_data, t.core_loads):
            t.core_regions.setdefault(r.name, []).append(r)
        for name, r in sections(t.exe_data).items():
            t.exe_regions[name] = [r]
        t.exe_regions["elf-header"] = [Region("elf-header", 0, 64)]
        phoff, phentsize, phnum = struct.unpack_from("<Q", t.exe_data, 32)[0], 56, \
            struct.unpack_from("<H", t.exe_data, 56)[0]
        t.exe_regions["program-headers"] = [Region("program-headers", phoff, phentsize * phnum)]
        return t


def _goroutine_regions(binary: Path, core: Path, data: mmap.mmap,
                       segs: list[Load]) -> list[Region]:
    """The ``allgs`` slice and its array, each ``g``, the top of each
    goroutine's stack and its ``_panic``: found with dapcore on the pristine
    core, given as file offsets."""
    from dapcore.engine import Engine

    rep = Engine.open(binary, core)
    proc = rep.proc
    out: list[Region] = []

    def add(name: str, vaddr: int, size: int, detail: str) -> None:
        off = file_offset(segs, vaddr, size)
        if off is not None and size > 0:
            out.append(Region(f"{name}|{detail}", off, size))

    allgs = proc.global_addr("runtime.allgs")
    if allgs is not None:
        add("allgs", allgs, 24, "slice header")
        off = file_offset(segs, allgs, 24)
        if off is not None:
            ptr, n = struct.unpack_from("<QQ", data, off)
            add("allgs", ptr, 8 * n, f"array of {n}")
    gsize = proc.layout.struct("runtime.g").size
    for g in proc.goroutines:
        add("g-struct", g.addr, gsize, f"goroutine {g.goid} @{g.addr:#x}")
        if g.sched_sp and g.stack_hi > g.sched_sp:
            add("g-stack", g.sched_sp, min(g.stack_hi - g.sched_sp, 4096),
                f"goroutine {g.goid} sp {g.sched_sp:#x}")
        if g.panic_ptr:
            add("g-panic", g.panic_ptr, 64, f"goroutine {g.goid} _panic @{g.panic_ptr:#x}")
    return out


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    names = [n for n, _ in table]
    return rng.choices(names, weights=[w for _, w in table])[0]


def _region(rng: random.Random, regions: dict[str, list[Region]], name: str) -> Region | None:
    choices = regions.get(name)
    if not choices:
        return None
    return rng.choice(choices)


def _byte_ops(rng: random.Random, data: mmap.mmap, region: Region) -> list[Op]:
    """One small edit inside ``region``: a bit flip, a byte, a word set to an
    interesting value, or a few scattered bytes."""
    size = min(region.size, len(data) - region.offset)
    if size <= 0:
        return []
    kind = rng.choices(("bit", "byte", "word", "scatter"), weights=(4, 3, 4, 1))[0]
    if kind == "word" and size >= 8:
        off = region.offset + rng.randrange(size // 8) * 8
        old = int.from_bytes(data[off:off + 8], "little")
        value = rng.choice((
            rng.choice(_WORDS), old ^ (1 << rng.randrange(64)), (old + rng.randint(-64, 64)),
            old ^ (1 << rng.randrange(32, 48)), rng.getrandbits(64)))
        new = (value % 2**64).to_bytes(8, "little")
        return [Op("write", off, new, was=bytes(data[off:off + 8]))]
    n = rng.randint(2, 8) if kind == "scatter" else 1
    ops = []
    for _ in range(n):
        off = region.offset + rng.randrange(size)
        old = data[off]
        new = old ^ (1 << rng.randrange(8)) if kind == "bit" else rng.choice(
            [b for b in range(256) if b != old])
        ops.append(Op("write", off, bytes([new]), was=bytes([old])))
    return ops


def _core_case(rng: random.Random, t: Target) -> tuple[str, str, list[Op]]:
    target = _pick(rng, CORE_TARGETS)
    size = len(t.core_data)
    if target == "truncate":
        notes = t.core_regions.get("notes", [Region("notes", 0, 4096)])[0]
        cut = rng.choice((rng.randrange(notes.offset + notes.size),
                          rng.randrange(size), rng.randrange(max(0, size - (1 << 20)), size)))
        return target, "", [Op("truncate", cut)]
    if target == "hole":
        if rng.random() < 0.5 and t.core_regions:
            gs = [r for k, rs in t.core_regions.items() if k.startswith(("g-", "allgs"))
                  for r in rs]
            if gs:
                r = rng.choice(gs)
                start = r.offset & ~0xFFF
                return target, r.name, [Op("zero", start, size=min(4096, size - start))]
        seg = rng.choice(t.core_loads)
        pages = seg.filesz // 4096
        start = seg.offset + rng.randrange(max(1, pages)) * 4096
        length = min(4096 * rng.randint(1, 64), seg.offset + seg.filesz - start)
        return target, f"segment @{seg.vaddr:#x}", [Op("zero", start, size=length)]
    if target == "random":
        return target, "", _byte_ops(rng, t.core_data, Region("random", 0, size))
    if target in ("allgs", "g-struct", "g-stack", "g-panic"):
        names = [k for k in t.core_regions if k.split("|")[0] == target]
        if not names:
            return _core_case(rng, t)
        region = rng.choice([r for k in names for r in t.core_regions[k]])
        return target, region.name.split("|", 1)[1], _byte_ops(rng, t.core_data, region)
    region = _region(rng, t.core_regions, target)
    if region is None:
        return _core_case(rng, t)
    return target, "", _byte_ops(rng, t.core_data, region)


def _exe_case(rng: random.Random, t: Target) -> tuple[str, str, list[Op]]:
    target = _pick(rng, EXE_TARGETS)
    size = len(t.exe_data)
    if target == "truncate":
        cut = rng.choice((rng.randrange(4096), rng.randrange(size), rng.randrange(size)))
        return target, "", [Op("truncate", cut)]
    if target == "random":
        return target, "", _byte_ops(rng, t.exe_data, Region("random", 0, size))
    region = _region(rng, t.exe_regions, target)
    if region is None:
        return _exe_case(rng, t)
    detail = f"{region.offset:#x}+{region.size:#x}"
    return target, detail, _byte_ops(rng, t.exe_data, region)


def make_case(seed: int, index: int, targets: list[Target]) -> Case:
    """Random case ``index`` of ``seed`` over ``targets`` (deterministic;
    ``index`` >= 0; negative indices are the special files)."""
    if index < 0:
        return special_cases(seed, targets[0])[-index - 1]
    # Another pool than the default four is part of the seed: the same index
    # on another fixture is another case.
    from tests.fuzz import FUZZ_SPECS

    ids = [t.id for t in targets]
    pool = "" if ids == [s.id for s in FUZZ_SPECS] else "/" + "+".join(ids)
    rng = random.Random(f"{seed}/{index}{pool}")
    t = rng.choice(targets)
    command = rng.choice(COMMANDS)
    if rng.random() < CORE_SHARE:
        role, (target, where, ops) = "core", _core_case(rng, t)
    else:
        role, (target, where, ops) = "exe", _exe_case(rng, t)
    return Case(seed, index, t.id, role, target, command, tuple(ops), where,
                tuple(x.id for x in targets))


def special_cases(seed: int, target: Target) -> list[Case]:
    """Each special file in place of the core, then of the executable
    (indices -1, -2, …), on ``target``."""
    out = []
    for role in ("core", "exe"):
        for kind in SPECIALS:
            out.append(Case(seed, -len(out) - 1, target.id, role, f"special:{kind}", ("crash",),
                            pool=(target.id,)))
    return out


def generate(seed: int, count: int, targets: list[Target], specials: bool = True) -> list[Case]:
    """The special files on the first target (when asked), then cases 0 to
    ``count - 1``."""
    cases = special_cases(seed, targets[0]) if specials else []
    return cases + [make_case(seed, i, targets) for i in range(count)]


# -- building the inputs -----------------------------------------------------

def sparse_copy(src: Path, dst: Path) -> None:
    """Copy ``src`` keeping its holes (cores are mostly holes)."""
    with src.open("rb") as fi, dst.open("wb") as fo:
        size = os.fstat(fi.fileno()).st_size
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fi.fileno(), pos, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole remains
                break
            end = os.lseek(fi.fileno(), start, os.SEEK_HOLE)
            while start < end:
                chunk = os.pread(fi.fileno(), min(1 << 20, end - start), start)
                if not chunk:
                    break
                os.pwrite(fo.fileno(), chunk, start)
                start += len(chunk)
            pos = end
        fo.truncate(size)


def apply(path: Path, ops: tuple[Op, ...]) -> None:
    with path.open("r+b") as f:
        for op in ops:
            if op.kind == "write":
                f.seek(op.offset)
                f.write(op.data)
            elif op.kind == "zero":
                f.seek(op.offset)
                f.write(bytes(op.size))
            else:
                f.truncate(op.offset)


def materialize(case: Case, target: Target, workdir: Path) -> tuple[Path, Path]:
    """The (executable, core) to run ``case`` on, created under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    binary, core = target.binary, target.core
    original = core if case.role == "core" else binary
    path = workdir / original.name
    kind = case.special
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "devzero":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    elif kind == "symlink-loop":
        path.symlink_to(path.name + ".loop")
        (workdir / (path.name + ".loop")).symlink_to(path.name)
    elif case.role == "core":
        sparse_copy(original, path)
        apply(path, case.ops)
    else:
        shutil.copyfile(original, path)
        apply(path, case.ops)
    return (binary, path) if case.role == "core" else (path, core)
