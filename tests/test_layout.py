"""The runtime layout source: DWARF lookups, the generated per-release tables,
wait reasons, the kernel's signal frames, and a real core read with them.

Every DWARF-bearing fixture binary of the matrix must give exactly the
committed table of its release (so the tables are proven, and stay in sync
with the generator); stripped binaries must get that table. The strongest
check reads ``runtime.allgs`` out of every crash core with these offsets and
finds every goroutine the runtime printed.
"""

from __future__ import annotations

import bisect
import mmap
import re
import struct
from functools import cache
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from dapcore.arch.amd64 import SIGNAL_DECLS
from dapcore.dwarf.names import NameIndex
from dapcore.dwarf.sections import debug_section
from dapcore.elf.executable import Executable
from dapcore.errors import NoDwarf
from dapcore.goruntime import layout as L
from dapcore.goruntime.layout import (
    SPECS,
    Layout,
    dwarf_layout,
    load_layout,
    minor_of,
    table_layout,
    wait_reason_strings,
)
from dapcore.goruntime.layout_tables import TABLES
from tests.factory import Fixture, FixtureSpec, full_matrix
from tests.factory.build import build
from tests.factory.toolchains import TOOLCHAINS
from tests.factory.variants import VARIANTS
from tests.oracle import parse_traceback

MATRIX = full_matrix()


def _one_per_binary(specs: list[FixtureSpec]) -> list[FixtureSpec]:
    """One fixture per distinct binary (release × variant × program)."""
    seen: dict[tuple[str, str, str], FixtureSpec] = {}
    for s in specs:
        seen.setdefault((s.toolchain.minor, s.variant.name, s.scenario.program), s)
    return list(seen.values())


BINARIES = _one_per_binary(MATRIX)
DWARF_BINARIES = [s for s in BINARIES if s.variant.dwarf]
STRIPPED_BINARIES = [s for s in BINARIES if not s.variant.dwarf]
# Crashes print every goroutine to stderr (GOTRACEBACK=crash); snapshots don't.
CRASHES = [s for s in MATRIX if s.variant.dwarf and s.scenario.trigger != "snapshot"]


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [f"go{s.toolchain.minor}-{s.variant.name}-{s.scenario.program}"
            if s in BINARIES else s.id for s in specs]


@cache
def _exe(path: Path) -> Executable:
    return Executable(path)


@cache
def _dwarf_layout(path: Path, version: str) -> Layout:
    return dwarf_layout(_exe(path), version)


def _version(fx: Fixture) -> str:
    return str(fx.meta["goVersion"]).removeprefix("go")


def _assert_same_layout(got: Layout, want: Layout) -> None:
    assert sorted(got.structs) == sorted(want.structs)
    for name, s in want.structs.items():
        g = got.structs[name]
        assert (g.name, g.size) == (s.name, s.size), name
        assert dict(g.fields) == dict(s.fields), f"{name}: fields differ"
    assert dict(got.constants) == dict(want.constants)
    assert got.wait_reason_table == want.wait_reason_table


# ---------------------------------------------------------------------------
# DWARF = table, for every DWARF-bearing binary


def test_every_release_has_a_table() -> None:
    assert sorted(TABLES) == sorted(tc.minor for tc in TOOLCHAINS)
    for minor, t in TABLES.items():
        assert minor_of(t["go"]) == minor
        assert t["arch"] == "amd64"
        assert set(t["structs"]) == {spec.name for spec in SPECS}


@pytest.mark.parametrize("spec", DWARF_BINARIES, ids=_ids(DWARF_BINARIES))
def test_dwarf_layout_equals_the_table(spec: FixtureSpec, fixture: Fixture) -> None:
    exe = _exe(fixture.binary)
    assert exe.has_dwarf
    got = load_layout(exe, _version(fixture))
    assert got.source == "dwarf"
    assert got.go_version == _version(fixture)
    _assert_same_layout(got, table_layout(spec.toolchain.minor))


@pytest.mark.parametrize("spec", DWARF_BINARIES, ids=_ids(DWARF_BINARIES))
def test_offsets_are_sane(spec: FixtureSpec, fixture: Fixture) -> None:
    lay = _dwarf_layout(fixture.binary, _version(fixture))
    minor = int(spec.toolchain.minor.split(".")[1])
    for name, s in lay.structs.items():
        for path, f in s.fields.items():
            assert 0 <= f.offset and f.offset + f.size <= s.size, f"{name}.{path}"
            if "." in path:  # nested fields lie inside their parent
                parent = s.fields.get(path.rsplit(".", 1)[0])
                if parent is not None:
                    assert parent.offset <= f.offset
                    assert f.offset + f.size <= parent.offset + parent.size
    g = lay.struct("runtime.g")
    gobuf = lay.struct("runtime.gobuf")
    assert g.off("stack.lo") == 0 and g.off("stack.hi") == 8  # the assembly relies on it
    assert g.off("sched.sp") > 0
    assert g.off("sched.sp") == g.off("sched") + gobuf.off("sp")
    assert g.field("sched").size == gobuf.size == (56 if minor < 25 else 48)
    assert gobuf.has("ret") == (minor < 25)
    assert g.field("atomicstatus").size == 4
    assert g.field("atomicstatus").type_name == (
        "uint32" if minor < 20 else
        "runtime/internal/atomic.Uint32" if minor < 23 else "internal/runtime/atomic.Uint32")
    assert g.field("goid").type_name == ("int64" if minor < 20 else "uint64")
    assert g.has("parentGoid") == (minor >= 21)
    assert g.field("waitreason").size == 1
    assert lay.struct("runtime.stack").size == 16
    assert lay.struct("runtime.eface").size == lay.struct("runtime.iface").size == 16
    assert lay.struct("runtime._type").off("size") == 0
    assert lay.struct("runtime._type").name == (
        "runtime._type" if minor < 21 else "internal/abi.Type")
    assert lay.struct("runtime.itab").name == (
        "runtime.itab" if minor < 23 else "internal/abi.ITab")
    assert lay.struct("runtime.itab").off("fun") == 24
    panic = lay.struct("runtime._panic")
    assert panic.has("argp") == (minor < 26)
    assert panic.has("startPC") == (minor >= 22)
    assert lay.struct("runtime._defer").has("_panic") == (minor < 22)
    md = lay.struct("runtime.moduledata")
    first = "pcHeader" if minor >= 16 else "pclntable"  # the pcHeader came in 1.16
    assert md.off(first) == 0 and md.off("ftab") < md.off("text") < md.off("types")
    assert md.has("typelinks") == (minor < 27)
    m = lay.struct("runtime.m")
    assert m.off("g0") == 0 and m.off("curg") > m.off("procid")
    c = lay.constants
    assert (c["_Grunning"], c["_Gwaiting"], c["_Gdead"], c["_Gscan"]) == (2, 4, 6, 0x1000)
    assert ("_Gdeadextra" in c) == (minor >= 26)
    assert c["tflagDirectIface"] == (0x20 if minor >= 26 else 0)
    assert c["kindMask"] == (0x1F if minor < 26 else 0xFF)


def test_struct_api() -> None:
    lay = table_layout("1.27")
    g = lay.struct("runtime.g")
    assert g.off("sched.sp") == g.off("sched")
    assert g.field("atomicstatus.value") == g.field("atomicstatus")  # atomic wrapper
    assert not g.has("goid.value")
    assert lay.struct("internal/abi.ITab") is lay.struct("runtime.itab")
    assert lay.struct("runtime._type").off("Kind_") == lay.struct("runtime._type").off("kind")
    with pytest.raises(KeyError, match=r"runtime\.g has no field 'nope'.*goid"):
        g.off("nope")
    with pytest.raises(KeyError, match=r"no layout for 'runtime\.nope'"):
        lay.struct("runtime.nope")
    raw = bytearray(g.size)
    struct.pack_into("<Q", raw, g.off("goid"), 42)
    assert g.get(raw, "goid") == 42
    old = table_layout("1.19").struct("runtime.g")
    assert not old.has("atomicstatus.value") and old.has("atomicstatus")
    assert minor_of("go1.27.3") == minor_of("1.27") == minor_of("1.27rc1") == "1.27"


# ---------------------------------------------------------------------------
# How the DWARF is read


@pytest.mark.parametrize("spec", DWARF_BINARIES, ids=_ids(DWARF_BINARIES))
def test_dwarf_reading(spec: FixtureSpec, fixture: Fixture) -> None:
    """Compressed sections decompress as pyelftools does; Go 1.25+ writes
    DWARF 5; all type DIEs sit in one unit named "runtime"."""
    exe = _exe(fixture.binary)
    minor = int(spec.toolchain.minor.split(".")[1])
    if minor >= 19:
        assert exe.sections[".debug_info"].flags & 0x800, "Go 1.19+ compresses DWARF"
    else:
        assert ".zdebug_info" in exe.sections, "Go 1.15 writes the GNU .zdebug_ format"
    ours = debug_section(exe, "info")
    theirs = exe.elf.get_dwarf_info().debug_info_sec.stream.getvalue()
    assert ours == theirs
    d = L._Dwarf(exe)
    go_units = [u for u, n in zip(d.units, d.unit_names(), strict=True) if n]
    assert {u.version for u in go_units} == {5 if minor >= 25 else 4}
    g = d.find_struct("runtime.g")
    assert g is not None and d.types_unit is g.unit
    assert d.unit_names()[d.units.index(g.unit)] == "runtime"
    for s in SPECS:
        die = next((x for n in s.dwarf_names if (x := d.find_struct(n, everywhere=True))), None)
        assert die is not None and die.unit is d.types_unit, s.name


@pytest.mark.parametrize("minor", ["1.19", "1.27"])
def test_byte_search_agrees_with_walking(minor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast lookup finds what walking the units' top-level children
    finds (the slow path, kept for a linker that stops writing names inline)."""
    tc = next(t for t in TOOLCHAINS if t.minor == minor)
    exe = _exe(build(tc, VARIANTS["default"], "zoo").binary)
    d = L._Dwarf(exe)
    names = [n for s in SPECS for n in s.dwarf_names]
    fast = {n: x.offset for n in names if (x := d.find_struct(n))}
    assert fast == {n: x.offset for n, x in d.names.find_by_walking(L._TAG_STRUCT, names).items()}
    fast_layout = dwarf_layout(exe, tc.version)
    monkeypatch.setattr(NameIndex, "has_inline_names", lambda self, tag: False)
    _assert_same_layout(dwarf_layout(exe, tc.version), fast_layout)


@pytest.mark.parametrize("spec", DWARF_BINARIES, ids=_ids(DWARF_BINARIES))
def test_loading_never_walks(spec: FixtureSpec, fixture: Fixture,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    def walk(*args: object) -> None:
        raise AssertionError("walked the DIEs")

    monkeypatch.setattr(NameIndex, "find_by_walking", walk)
    dwarf_layout(_exe(fixture.binary), _version(fixture))


# ---------------------------------------------------------------------------
# Wait reasons


@pytest.mark.parametrize("spec", DWARF_BINARIES, ids=_ids(DWARF_BINARIES))
def test_wait_reasons_of_the_binary_equal_the_table(spec: FixtureSpec, fixture: Fixture) -> None:
    exe = _exe(fixture.binary)
    reasons = wait_reason_strings(exe)
    assert reasons is not None
    assert tuple(reasons) == TABLES[spec.toolchain.minor]["wait_reasons"]
    assert reasons[0] == "" and "chan receive" in reasons and "sleep" in reasons
    # DWARF (address, count) agrees with the symbol table (address, size).
    sym = exe.symbol("runtime.waitReasonStrings")
    assert sym is not None and sym.size == len(reasons) * 16
    assert L._wait_reasons_symtab(exe) == reasons


def test_wait_reasons_move_between_releases() -> None:
    idx = {m: t["wait_reasons"].index("chan receive") for m, t in TABLES.items()}
    assert len(set(idx.values())) > 1, "numbering differs between releases"


# ---------------------------------------------------------------------------
# Stripped binaries


@pytest.mark.parametrize("spec", STRIPPED_BINARIES, ids=_ids(STRIPPED_BINARIES))
def test_stripped_binaries_get_the_table(spec: FixtureSpec, fixture: Fixture) -> None:
    exe = _exe(fixture.binary)
    assert not exe.has_dwarf and ".symtab" not in exe.sections
    assert wait_reason_strings(exe) is None
    lay = load_layout(exe, _version(fixture))
    assert lay.source == "table"
    assert lay.go_version == _version(fixture)
    _assert_same_layout(lay, table_layout(spec.toolchain.minor))
    assert lay.wait_reasons() == list(TABLES[spec.toolchain.minor]["wait_reasons"])
    for version, why in (("1.20.14", "Go 1.20"), ("1.28.0", "Go 1.28"), ("go1.18", "Go 1.18")):
        with pytest.raises(NoDwarf) as err:
            load_layout(exe, version)
        msg = str(err.value)
        assert why in msg and "stripped" in msg and "1.27" in msg, msg


# ---------------------------------------------------------------------------
# The kernel's signal frames (not in Go's DWARF: declared in layout.py)


def _go_struct_decls(source: str) -> dict[str, tuple[tuple[str, str], ...]]:
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", source, re.M | re.S):
        fields = tuple((f[0], f[1]) for line in m.group(2).splitlines()
                       if len(f := line.split()) >= 2 and not f[0].startswith("//"))
        out[m.group(1)] = fields
    return out


@pytest.mark.parametrize("minor", [tc.minor for tc in TOOLCHAINS])
def test_signal_frames_match_the_runtime_sources(minor: str) -> None:
    tc = next(t for t in TOOLCHAINS if t.minor == minor)
    src = (tc.goroot / "src" / "runtime" / "defs_linux_amd64.go").read_text()
    decls = _go_struct_decls(src)
    for name, fields in SIGNAL_DECLS.items():
        assert decls[name] == fields, name
    uc = table_layout(minor).struct("runtime.ucontext")
    # Offsets the kernel ABI fixes (arch/x86/include/uapi/asm/sigcontext.h).
    assert uc.off("uc_mcontext") == 40
    assert uc.off("uc_mcontext.rsp") == 160 and uc.off("uc_mcontext.rip") == 168
    assert table_layout(minor).struct("runtime.sigcontext").size == 256


@pytest.mark.parametrize("spec", [s for s in DWARF_BINARIES if s.variant.name == "default"
                                  and s.scenario.program == "zoo"],
                         ids=lambda s: f"go{s.toolchain.minor}")
def test_signal_stackt_matches_dwarf(spec: FixtureSpec, fixture: Fixture) -> None:
    """runtime.stackt is the one signal type Go's DWARF holds: compare."""
    exe = _exe(fixture.binary)
    d = L._Dwarf(exe)
    die = d.find_struct("runtime.stackt")
    assert die is not None
    members = {n: off for n, (off, _) in d.members(die).items()}
    ours = table_layout(spec.toolchain.minor).struct("runtime.stackt")
    assert members == {n: f.offset for n, f in ours.fields.items()}
    assert die.attrs[L._AT_BYTE_SIZE] == ours.size


# ---------------------------------------------------------------------------
# A real core: runtime.allgs read with these offsets


class CoreMemory:
    """Test-only reader of a core's PT_LOAD segments (file-backed read-only
    pages, absent from kernel cores, fall back to the executable)."""

    def __init__(self, path: Path, exe: Executable) -> None:
        self._file = path.open("rb")
        self.data = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        elf = ELFFile(self._file)
        self.segments = sorted(
            (s.header.p_vaddr, s.header.p_filesz, s.header.p_offset)
            for s in elf.iter_segments() if s.header.p_type == "PT_LOAD")
        self.starts = [s[0] for s in self.segments]
        self.bias = 0
        for seg in elf.iter_segments():
            if seg.header.p_type != "PT_NOTE":
                continue
            for note in seg.iter_notes():
                if note["n_type"] == "NT_AUXV":
                    raw = note["n_descdata"]
                    for key, value in struct.iter_unpack("<QQ", raw[:len(raw) // 16 * 16]):
                        if key == 9 and exe.is_pie:  # AT_ENTRY
                            self.bias = value - exe.entry
        self.exe = exe

    def read(self, addr: int, size: int) -> bytes:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            vaddr, filesz, offset = self.segments[i]
            if addr + size <= vaddr + filesz:
                return bytes(self.data[offset + addr - vaddr:offset + addr - vaddr + size])
        return self.exe.read_static(addr - self.bias, size)

    def u64(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "little")

    def close(self) -> None:
        self.data.close()
        self._file.close()


@pytest.mark.parametrize("spec", CRASHES, ids=[s.id for s in CRASHES])
def test_allgs_holds_every_goroutine_the_runtime_printed(spec: FixtureSpec,
                                                         fixture: Fixture) -> None:
    exe = _exe(fixture.binary)
    lay = _dwarf_layout(fixture.binary, _version(fixture))
    printed = {g.id: g for g in parse_traceback(fixture.stderr_text()).goroutines if g.id != 0}
    assert printed, "no goroutine in the traceback"
    mem = CoreMemory(fixture.core, exe)
    try:
        allgs = exe.symbol("runtime.allgs")
        allglen = exe.symbol("runtime.allglen")
        assert allgs is not None and allglen is not None
        sl = lay.struct("runtime.slice")
        base = allgs.value + mem.bias
        array, n = mem.u64(base + sl.off("array")), mem.u64(base + sl.off("len"))
        assert n == mem.u64(allglen.value + mem.bias)
        assert 0 < n < 1_000_000
        ptrs = struct.unpack(f"<{n}Q", mem.read(array, 8 * n))
        g = lay.struct("runtime.g")
        c = lay.constants
        reasons = lay.wait_reasons()
        live: dict[int, tuple[int, int, int]] = {}
        for gp in ptrs:
            raw = mem.read(gp, g.size)
            status = g.get(raw, "atomicstatus") & ~c["_Gscan"]
            assert status <= max(v for k, v in c.items() if k.startswith("_G") and k != "_Gscan")
            assert g.get(raw, "stack.lo") <= g.get(raw, "stack.hi")
            if status not in (c["_Gdead"], c.get("_Gdeadextra", -1)):
                live[g.get(raw, "goid")] = (gp, status, g.get(raw, "waitreason"))
    finally:
        mem.close()
    missing = sorted(set(printed) - set(live))
    assert not missing, f"printed goroutines not live in allgs: {missing[:10]}"
    # What runtime.goroutineheader prints for a status (a waiting goroutine
    # shows its wait reason, "waiting" for none), maybe with " (scan)" etc.
    names = {c["_Grunnable"]: "runnable", c["_Grunning"]: "running",
             c["_Gsyscall"]: "syscall", c["_Gpreempted"]: "preempted"}
    for goid, tg in printed.items():
        gp, status, wr = live[goid]
        if tg.gp is not None:  # Go 1.22+ prints gp= with GOTRACEBACK=crash
            assert tg.gp == gp, f"goroutine {goid}"
        if status == c["_Gwaiting"]:
            want = reasons[wr] if wr else "waiting"
        else:
            want = names.get(status, "?")
        assert tg.status == want or tg.status.startswith(want + " ("), (
            f"goroutine {goid}: printed [{tg.status}], read status {status} reason {wr}")


@pytest.mark.parametrize("minor", ["1.19", "1.27"])
def test_decoder_reads_every_die_of_a_cgo_binary(minor: str) -> None:
    """The form decoder is complete enough for gcc's DWARF 4/5 as well as
    Go's: decoding every DIE in order ends exactly at each unit's end."""
    tc = next(t for t in TOOLCHAINS if t.minor == minor)
    exe = _exe(build(tc, VARIANTS["default"], "zoocgo").binary)
    d = L._Dwarf(exe)
    names = d.unit_names(walking=True)
    assert any(n and n.endswith(".c") for n in names), "no C unit in a cgo binary"
    for u in d.units:
        pos = u.first_die
        while pos < u.end:
            pos = d.die(pos, u).end
        assert pos == u.end
