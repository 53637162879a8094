"""Damaged cores (issue #11, items 9 and 11): copies of real fixture cores
with one field changed. What does not add up is said (a warning on stderr,
``proc.warnings``) or refused with a one-line error; damaged data is never
presented as the process's state without a word."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dapcore.cli import main
from dapcore.elf.core import NT_FILE, NT_PRSTATUS, PT_LOAD, open_core
from dapcore.engine import Engine
from dapcore.goruntime.goroutines import Goroutine
from dapcore.goruntime.status import G_WAITING
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

GPANIC = make_spec("1.27", "default", "goroutinepanic")
HEALTHY = [GPANIC, make_spec("1.27", "default", "nilptr"), make_spec("1.27", "pie", "nilptr"),
           make_spec("1.27", "default", "cgocrash"), make_spec("1.27", "default", "snapshot"),
           make_spec("1.19", "default", "goroutinepanic")]


def sparse_copy(src: Path, dst: Path) -> Path:
    subprocess.run(["cp", "--sparse=always", str(src), str(dst)], check=True)
    return dst


def write_at(core: Path, addr: int, data: bytes) -> None:
    """Overwrite the core's bytes of process address ``addr``."""
    c = open_core(core)
    seg = next(s for s in c.segments if s.vaddr <= addr and addr + len(data) <= s.vaddr + s.present)
    c.data.close()
    with core.open("r+b") as f:
        f.seek(seg.offset + addr - seg.vaddr)
        f.write(data)


def write_file(core: Path, offset: int, data: bytes) -> None:
    with core.open("r+b") as f:
        f.seek(offset)
        f.write(data)


def notes(core: Path) -> list[tuple[int, int, int, bytes]]:
    """(note type, file offset of the note, of its desc, its owner name)."""
    c = open_core(core)
    data = c.data
    phoff, phnum = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
    out = []
    for i in range(phnum):
        ptype, _fl, off, _va, _pa, filesz, _ms, _al = struct.unpack_from("<IIQQQQQQ", data,
                                                                         phoff + i * 56)
        if ptype != 4:
            continue
        pos = off
        while pos + 12 <= off + filesz:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            out.append((ntype, pos, desc, bytes(data[pos + 12:pos + 12 + namesz])))
            pos = desc + ((descsz + 3) & ~3)
    data.close()
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return code, out, err


def warnings_of(fixture: Fixture, core: Path) -> list[str]:
    """Every warning a full read gives: goroutines, every stack, the crash."""
    rep = Engine.open(fixture.binary, core)
    for g in rep.proc.goroutines:
        rep.stack(g)
    _ = rep.crash
    return rep.proc.warnings


@pytest.mark.parametrize("spec", HEALTHY, ids=[s.id for s in HEALTHY])
def test_healthy_cores_give_no_warning(spec: FixtureSpec, fixture: Fixture) -> None:
    """The cross-checks hold on real cores (kernel and gdb, PIE, cgo, Go 1.19)."""
    assert warnings_of(fixture, fixture.core) == []


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_zeroed_memory_is_not_a_normal_answer(spec: FixtureSpec, fixture: Fixture,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A sparse copy whose memory was zero-filled (all but the executable's
    first page, which the identity check reads): no goroutine is damage, not
    'SIGABRT: abort' and '[0 goroutines]' with exit status 0 and no word."""
    bad = sparse_copy(fixture.core, tmp_path / "core")
    c = open_core(bad)
    first = min(f.start for f in c.files if f.path == str(fixture.binary))
    spans = [(s.offset, s.present) for s in c.segments if s.present and s.vaddr != first]
    c.data.close()
    with bad.open("r+b") as f:
        for off, size in spans:
            f.seek(off)
            f.write(bytes(size))
    binary, core = str(fixture.binary), str(bad)
    for command in ("goroutines", "crash"):
        code, _out, err = run(capsys, command, binary, core)
        assert code == 0 and "dapcore: warning: the core holds no live goroutine" in err, err
    for argv in (["bt", binary, core], ["locals", binary, core]):
        code, _out, err = run(capsys, *argv)
        assert code == 1 and err.startswith("dapcore: the core ") and "holds no goroutine" in err


def _parked(rep: Engine) -> Goroutine:
    """A waiting user goroutine (main.park…)."""
    for g in rep.proc.goroutines:
        if g.status == G_WAITING and not g.system and not g.crashed and g.goid > 1:
            return g
    raise AssertionError("no parked goroutine")


# (field of runtime.g, new value from the goroutine, words of the warning)
G_DAMAGE: list[tuple[str, Callable[[Goroutine], int], int, str]] = [
    ("atomicstatus", lambda g: 0x24, 4, "status values the runtime does not use"),
    ("atomicstatus", lambda g: 0, 4, "status values the runtime does not use"),  # _Gidle
    ("goid", lambda g: g.goid | 1 << 34, 8, "goroutine ids out of range"),
    ("parentGoid", lambda g: 1 << 40, 8, "parent id out of range"),
    ("stack.lo", lambda g: g.stack_lo + 8, 8, "stack bounds that are not a Go stack"),
    ("sched.sp", lambda g: g.sched_sp ^ 1 << 40, 8, "saved SP is outside their stack"),
    ("sched.pc", lambda g: 0x1000, 8, "do not unwind to runtime.goexit"),
    ("m", lambda g: 0xDEAD000, 8, "parked goroutines that name an M"),
    ("lockedm", lambda g: 0xDEAD000, 8, "locked to an M that is not on runtime.allm"),
    ("startpc", lambda g: g.start_pc + 1, 8, "start function is not a function"),
    ("_panic", lambda g: 0xC000DEAD00, 8, "panics recorded outside their goroutine's stack"),
    ("waitreason", lambda g: 0xD9, 1, "wait reason the runtime does not have"),
]


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
@pytest.mark.parametrize("field,value,size,want", G_DAMAGE,
                         ids=[f"{d[0]}-{i}" for i, d in enumerate(G_DAMAGE)])
def test_damaged_goroutine_record(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str], field: str,
                                  value: Callable[[Goroutine], int], size: int,
                                  want: str) -> None:
    rep = Engine.open(fixture.binary, fixture.core)
    g = _parked(rep)
    off = rep.proc.layout.struct("runtime.g").off(field)
    bad = sparse_copy(fixture.core, tmp_path / "core")
    write_at(bad, g.addr + off, value(g).to_bytes(size, "little"))
    code, _out, err = run(capsys, "bt", "-a", str(fixture.binary), str(bad))
    assert code == 0 and "dapcore: warning: " in err and want in err, err
    assert f"goroutine {g.goid}" in err or "ids out of range" in want


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_damaged_m_and_allgs(spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    rep = Engine.open(fixture.binary, fixture.core)
    proc = rep.proc
    crashed = proc.crashed_goroutine
    m = proc.crashing_m
    assert crashed is not None and m is not None
    other = _parked(rep)
    # The crashing M's curg names a goroutine that does not name it.
    bad = sparse_copy(fixture.core, tmp_path / "core-m")
    write_at(bad, m.addr + proc.layout.struct("runtime.m").off("curg"),
             other.addr.to_bytes(8, "little"))
    assert any("Ms whose current goroutine does not name them" in w
               for w in warnings_of(fixture, bad))
    # allgs: its len beyond its cap, and allglen.
    allgs = proc.global_addr("runtime.allgs")
    assert allgs is not None
    bad = sparse_copy(fixture.core, tmp_path / "core-allgs")
    write_at(bad, allgs + 16, (proc.memory.u64(allgs + 8) - 1).to_bytes(8, "little"))
    assert any("runtime.allgs does not add up" in w for w in warnings_of(fixture, bad))


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_damaged_program_headers(spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    """A segment moved by one page: its bytes would be read at the wrong addresses."""
    c = open_core(fixture.core)
    data = c.data
    phoff = struct.unpack_from("<Q", data, 32)[0]
    loads = [i for i in range(struct.unpack_from("<H", data, 56)[0])
             if struct.unpack_from("<I", data, phoff + i * 56)[0] == PT_LOAD]
    i = loads[len(loads) // 2]
    vaddr = struct.unpack_from("<Q", data, phoff + i * 56 + 16)[0]
    data.close()
    bad = sparse_copy(fixture.core, tmp_path / "core")
    write_file(bad, phoff + i * 56 + 16, struct.pack("<Q", vaddr + 0x1000))
    assert any("program headers or its NT_FILE note do not add up" in w
               for w in warnings_of(fixture, bad))


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_damaged_notes(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    core = fixture.core
    found = notes(core)
    prstatus = [n for n in found if n[0] == NT_PRSTATUS]
    nt_file = next(n for n in found if n[0] == NT_FILE)
    regs = Engine.open(fixture.binary, core).proc.core.arch.regs

    def damaged(name: str, offset: int, raw: bytes) -> list[str]:
        bad = sparse_copy(core, tmp_path / name)
        write_file(bad, offset, raw)
        return warnings_of(fixture, bad)

    # The first thread's signal, against NT_SIGINFO.
    assert any("took signal 7 but NT_SIGINFO says signal 6" in w
               for w in damaged("sig", prstatus[0][2] + 12, struct.pack("<H", 7)))
    # A note's owner: the notes after it are lost.
    assert any("notes are damaged" in w
               for w in damaged("owner", prstatus[1][1] + 12, b"XORE"))
    # The crashing thread's LWP id: its M's registers are lost.
    assert any("whose thread is not in the core" in w
               for w in damaged("lwp", prstatus[0][2] + 32, struct.pack("<i", 7)))
    # The crashing thread's SP (the stack unwound from it is garbage).
    rsp = prstatus[0][2] + 112 + 8 * regs.index("rsp")
    with core.open("rb") as f:
        f.seek(rsp)
        sp = struct.unpack("<Q", f.read(8))[0]
    assert any("do not unwind to runtime.goexit" in w
               for w in damaged("rsp", rsp, struct.pack("<Q", sp ^ 1 << 27)))
    # NT_FILE: the file offset of the executable's read-only data (the
    # issue's `panic: () 0xc2aa8504560`). The mapping is ignored, said so,
    # and the panic text still comes right (from the executable itself).
    bad = sparse_copy(core, tmp_path / "ntfile")
    c = open_core(core)
    k = next(i for i, f in enumerate(c.files) if f.path == str(fixture.binary) and f.offset)
    c.data.close()
    at = nt_file[2] + 16 + k * 24 + 16  # entry k's page offset
    with bad.open("r+b") as f:
        f.seek(at)
        page = struct.unpack("<Q", f.read(8))[0]
        f.seek(at)
        f.write(struct.pack("<Q", page ^ 1))
    code, out, err = run(capsys, "crash", str(fixture.binary), str(bad))
    assert code == 0 and "panic: goroutinepanic: job 7 failed" in out
    assert "NT_FILE note maps" in err and "is ignored" in err


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_damaged_panic_flag(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    """A _panic flag byte that is neither 0 nor 1 (fuzzer seed 4: 'recovered'
    = 0x40 printed the panic as '[recovered]' with no word)."""
    rep = Engine.open(fixture.binary, fixture.core)
    g = next(g for g in rep.proc.goroutines if g.panic_ptr)
    lay = rep.proc.layout.struct("runtime._panic")
    bad = sparse_copy(fixture.core, tmp_path / "core")
    write_at(bad, g.panic_ptr + lay.off("recovered"), b"\x40")
    code, _out, err = run(capsys, "crash", str(fixture.binary), str(bad))
    assert code == 0 and "neither true nor false" in err, err


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
@pytest.mark.parametrize("word,value,want", [
    (0, lambda old: 0xC000DEAD00, "is not one of the program's types"),
    (0, lambda old: old + 4, "is not one of the program's types"),  # no type starts there
    (8, lambda old: 0xDEAD0000, "cannot be read from the core"),
    (8, lambda old: old + 6, "is misaligned"),
], ids=["type", "type-inside", "data", "data-misaligned"])
def test_damaged_panic_value(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str], word: int,
                             value: Callable[[int], int], want: str) -> None:
    """The panic value's words in the crashing goroutine's _panic record (the
    fuzzer's 'panic: <unreadable 0x…>' and 'panic: () 0x…' with no word)."""
    rep = Engine.open(fixture.binary, fixture.core)
    g = next(g for g in rep.proc.goroutines if g.panic_ptr)
    arg = rep.proc.layout.struct("runtime._panic").off("arg")
    bad = sparse_copy(fixture.core, tmp_path / "core")
    old = rep.proc.memory.ptr(g.panic_ptr + arg + word)
    write_at(bad, g.panic_ptr + arg + word, value(old).to_bytes(8, "little"))
    code, _out, err = run(capsys, "crash", str(fixture.binary), str(bad))
    assert code == 0 and "dapcore: warning: the panic value" in err and want in err, err
    assert err.count(want) == 1


def _moved_return_address(fixture: Fixture, tmp_path: Path) -> tuple[Path, int, str]:
    """A copy of the core where a parked goroutine's first saved return
    address is moved a few bytes inside its function, to a place that
    follows no call: (core, goroutine id, the warning's detail)."""
    from dapcore.arch.amd64 import follows_call

    rep = Engine.open(fixture.binary, fixture.core)
    g = _parked(rep)
    frames = rep.stack(g).frames
    callee = frames[0]
    caller = next(f for f in frames if f.pc != callee.pc)
    slot = callee.fp - 8
    assert rep.proc.memory.ptr(slot) == caller.pc
    exe, bias = rep.proc.exe, rep.proc.bias
    func = rep.proc.pclntab.func_at(caller.pc - bias)
    assert func is not None
    moved = next(pc for pc in range(caller.pc + 1, caller.pc + 64)
                 if rep.proc.pclntab.func_at(pc - bias) == func
                 and not follows_call(exe.read_static(pc - bias - 8, 8)))
    bad = sparse_copy(fixture.core, tmp_path / "core")
    write_at(bad, slot, moved.to_bytes(8, "little"))
    return bad, g.goid, f"goroutine {g.goid}: {caller.function} at {moved:#x}"


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_a_return_address_that_follows_no_call(spec: FixtureSpec, fixture: Fixture,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A saved return address moved a few bytes inside the same function (the
    fuzzer's silent 'sync.(*Cond).Wait +0x53' -> '+0x5e'): the stack still
    reaches goexit, but the address follows no call instruction."""
    bad, _goid, detail = _moved_return_address(fixture, tmp_path)
    code, _out, err = run(capsys, "bt", "-a", str(fixture.binary), str(bad))
    assert code == 0 and "return address that does not follow a call" in err, err
    assert detail in err


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_damage_found_later_reaches_the_editor(spec: FixtureSpec, fixture: Fixture,
                                               tmp_path: Path) -> None:
    """Stacks are unwound when a client asks for them: damage found then is
    sent as an output event (once per kind), not only printed by the CLI."""
    from tests.dap.harness import Client, start_session

    bad, goid, detail = _moved_return_address(fixture, tmp_path)
    with Client.spawn("dap") as c:
        start_session(c, {"program": str(fixture.binary), "coreFilePath": str(bad)})
        c.summary()  # warnings found before it are in it; the later ones follow requests
        threads = {t["name"]: t["id"] for t in c.ok("threads")["threads"]}
        tid = next(i for name, i in threads.items() if name.startswith(f"[Go {goid}] "))
        mark = c.mark()
        c.ok("stackTrace", {"threadId": tid})
        ev = c.wait_for(lambda m: m.get("event") == "output"
                        and "dapcore: warning:" in m["body"]["output"], start=mark)
        assert ev["body"]["category"] == "stderr" and detail in ev["body"]["output"]
        c.ok("stackTrace", {"threadId": tid})
        c.ok("threads")
        assert len([m for m in c.events("output") if "return address" in m["body"]["output"]
                    ]) == 1
        assert c.problems == []


@pytest.mark.parametrize("spec", [make_spec("1.27", "default", "sigquit")],
                         ids=["go1.27-default-sigquit"])
@pytest.mark.parametrize("reg,change,want", [
    ("rsp", lambda v: v - 1, "stack pointer is not 8-byte aligned"),
    ("rip", lambda v: v + 1, "does not follow a system call instruction"),
    ("rip", lambda v: 0x10, "outside the process's memory"),
], ids=["rsp-misaligned", "rip-elsewhere", "rip-unmapped"])
def test_damaged_thread_registers(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str], reg: str,
                                  change: Callable[[int], int], want: str) -> None:
    """The first thread's registers in NT_PRSTATUS (the fuzzer: RSP off by one
    turned 'SIGQUIT: quit' into 'SIGABRT: abort'; RIP moved into another
    function read as a frame of sync.(*Mutex).Lock)."""
    c = open_core(fixture.core)
    t = c.threads[0]
    names = t.registers.arch.regs
    value = t.registers.values[reg]
    c.data.close()
    _ntype, _at, desc, _owner = next(n for n in notes(fixture.core) if n[0] == NT_PRSTATUS)
    bad = sparse_copy(fixture.core, tmp_path / "core")
    write_file(bad, desc + 112 + 8 * names.index(reg), change(value).to_bytes(8, "little"))
    code, _out, err = run(capsys, "crash", str(fixture.binary), str(bad))
    assert code == 0 and want in err and f"thread {t.lwp}" in err, err


@pytest.mark.parametrize("spec", [GPANIC], ids=[GPANIC.id])
def test_an_allgs_entry_that_reads_as_a_nonsense_dead_record(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The fuzzer (seed 7): an allgs entry moved to memory that decodes as a
    dead g with an id never given out; the live goroutine vanished without a
    word. Here the live record itself is turned into such a dead one."""
    rep = Engine.open(fixture.binary, fixture.core)
    g = _parked(rep)
    lay = rep.proc.layout.struct("runtime.g")
    bad = sparse_copy(fixture.core, tmp_path / "core")
    write_at(bad, g.addr + lay.off("atomicstatus"), (6).to_bytes(4, "little"))
    write_at(bad, g.addr + lay.off("goid"), (0xFFFFFFFA).to_bytes(8, "little"))
    code, out, err = run(capsys, "goroutines", str(fixture.binary), str(bad))
    assert code == 0 and f"Goroutine {g.goid} " not in out
    assert "allgs entries that point at no goroutine record" in err and f"{g.addr:#x}" in err
