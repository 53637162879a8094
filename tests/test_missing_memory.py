"""Cores that lack part of the process's memory (issue #15): regions the
process excluded with ``madvise(MADV_DONTDUMP)`` (the ``dontdump``
scenario of ``tests/fixtures/zoo/memory``), a ``coredump_filter`` that
leaves out the ELF header pages (0x01) or all memory (0x00), and cores cut
short at several points. What the core holds is shown; what it lacks says
so, and why — per value, per goroutine, in one summary line — checked
against the runtime's traceback (stderr.txt) and the program's facts.json;
nothing is read from the executable's file in its place, nothing raises an
internal error."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from dapcore.cli import main
from dapcore.elf.core import PT_LOAD, open_core
from dapcore.engine import Engine
from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.goruntime.traceback import printed_frames
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.test_engine import _ours, _theirs, assert_same_frames, oracle

DONTDUMP = [make_spec(go, variant, "dontdump")
            for go, variant in (("1.19", "default"), ("1.23", "default"), ("1.27", "default"),
                                ("1.27", "pie"))]
FILTER01 = [make_spec(go, "default", "goroutinepanic-filter01") for go in ("1.19", "1.27")]
FILTER00 = [make_spec(go, "default", "goroutinepanic-filter00") for go in ("1.19", "1.27")]
TRUNCATE = [make_spec("1.23", "default", "goroutinepanic"),
            make_spec("1.27", "default", "goroutinepanic"),
            make_spec("1.27", "default", "goroutinepanic", "arm64")]

EXCLUDED = "not in the core: MADV_DONTDUMP?"  # the inline note of a value in a hole


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return code, out, err


def print_value(capsys: pytest.CaptureFixture[str], fx: Fixture, expr: str) -> str:
    code, out, err = run(capsys, "print", str(fx.binary), str(fx.core), expr)
    assert code == 0, err
    return out.strip()


# -- MADV_DONTDUMP -------------------------------------------------------------


@pytest.mark.parametrize("spec", DONTDUMP, ids=_ids(DONTDUMP))
def test_the_kernel_leaves_excluded_regions_out(spec: FixtureSpec, fixture: Fixture) -> None:
    """The shape the engine relies on: each region the program excluded is a
    PT_LOAD of its own with no bytes in the file (p_filesz 0)."""
    core = open_core(fixture.core)
    try:
        for hole in fixture.facts()["holes"]:
            seg = next(s for s in core.segments if s.vaddr <= hole["start"] < s.vaddr + s.memsz)
            assert (seg.vaddr, seg.vaddr + seg.memsz, seg.filesz) == (hole["start"], hole["end"],
                                                                     0), hole["what"]
    finally:
        core.data.close()


@pytest.mark.parametrize("spec", DONTDUMP, ids=_ids(DONTDUMP))
def test_values_in_a_hole_say_why(spec: FixtureSpec, fixture: Fixture,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    facts = fixture.facts()
    kept, hole = facts["keptRec"], facts["holeRec"]["address"]
    shown = print_value(capsys, fixture, "*main.keptRec")
    assert shown.startswith(f'main.HoleRecord {{ID: {kept["id"]}, Name: "{kept["name"]}", '), shown
    assert f"Next: *main.HoleRecord <unreadable {hole:#x}: {EXCLUDED}>" in shown
    assert print_value(capsys, fixture, "main.holeRec") == (
        f"*main.HoleRecord <unreadable {hole:#x}: {EXCLUDED}>")
    assert print_value(capsys, fixture, "main.holeRec.ID") == f"<unreadable {hole:#x}: {EXCLUDED}>"
    nums = print_value(capsys, fixture, "main.holeNums")
    assert nums.startswith(f"[]int64 len: 8, cap: 8, [<unreadable "
                           f"{facts['holeNums']['address']:#x}: {EXCLUDED}>"), nums
    assert print_value(capsys, fixture, "main.holeName") == (
        f"<unreadable {facts['holeName']['address']:#x}: {EXCLUDED}>")
    # A Go heap slice with a hole in the middle: the elements around it are
    # the program's (bigCache[i] = 3*i), those inside say why they are not.
    big = facts["bigCache"]
    first, last = big["firstInHole"], big["lastInHole"]
    for i in (0, first - 1, last + 1, big["len"] - 1):
        assert print_value(capsys, fixture, f"main.bigCache[{i}]") == str(3 * i)
    for i in (first, (first + last) // 2, last):
        assert print_value(capsys, fixture, f"main.bigCache[{i}]") == (
            f"<unreadable {big['address'] + 8 * i:#x}: {EXCLUDED}>")
    window = print_value(capsys, fixture, f"main.bigCache[{first - 2}:{first + 2}]")
    assert f"[{3 * (first - 2)}, {3 * (first - 1)}, <unreadable " in window, window


@pytest.mark.parametrize("spec", DONTDUMP, ids=_ids(DONTDUMP))
def test_goroutines_with_a_hole_in_their_stack(spec: FixtureSpec, fixture: Fixture,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Every goroutine the runtime printed is listed; every stack but one
    is the runtime's; the one whose outer frames were excluded shows the
    runtime's frames down to the hole, then says it stops there and why."""
    rep = Engine.open(fixture.binary, fixture.core)
    tb = oracle(fixture)
    facts = fixture.facts()
    holed = facts["holeStackGoroutine"]
    stack_hole = next(h for h in facts["holes"] if h["what"] == "goroutine stack")
    assert {g.goid for g in rep.goroutines} == {g.id for g in tb.goroutines if g.id}
    for og in tb.goroutines:
        if not og.id:
            continue
        g = rep.goroutine(og.id)
        st = rep.stack(g)
        frames = printed_frames(st.frames, rep.crash, g.crashed)
        if og.id != holed:
            assert_same_frames(frames, og, f"goroutine {og.id}")
            assert not st.missing
            continue
        theirs, _after, _elision = _theirs(og.frames)
        mine = _ours(frames)
        assert 4 <= len(mine) < len(theirs) and mine == theirs[:len(mine)]
        assert st.missing and st.error is not None
        at = int(st.error.split(" at ")[1].split(":")[0], 16)
        assert stack_hole["start"] <= at < stack_hole["end"], st.error
    assert rep.crash.message == facts["crashMessage"]
    code, _out, err = run(capsys, "bt", "-a", str(fixture.binary), str(fixture.core))
    assert code == 0
    assert (f"dapcore: warning: goroutine stacks cut short by memory the core does not hold "
            f"(goroutine {holed}: cannot read 8 bytes at ") in err
    assert "do not unwind to runtime.goexit" not in err, err  # a gap, not damage
    summary = next(line for line in err.splitlines() if "the core lacks" in line)
    assert "3 regions the kernel did not dump (excluded by the process with MADV_DONTDUMP" \
        in summary


@pytest.mark.parametrize("spec", DONTDUMP[2:3], ids=_ids(DONTDUMP[2:3]))
def test_holes_in_the_editor(spec: FixtureSpec, fixture: Fixture) -> None:
    """DAP: the stop summary names what is missing; values in a hole are
    values whose text says why (no failed request); the goroutine whose
    stack has a hole is a thread with the frames the core holds."""
    from tests.dap.harness import Client, start_session

    facts = fixture.facts()
    hole = facts["holeRec"]["address"]
    with Client.spawn("dap") as c:
        stopped = start_session(c, {"program": str(fixture.binary),
                                    "coreFilePath": str(fixture.core)})
        assert stopped["body"]["text"] == facts["crashMessage"]
        outputs = c.summary()  # it follows the stop
        assert "the core lacks " in outputs and "MADV_DONTDUMP" in outputs
        frame = next(f for f in c.ok("stackTrace", {"threadId": stopped["body"]["threadId"]}
                                     )["stackFrames"] if f.get("source"))

        def evaluate(expr: str) -> dict[str, Any]:
            r: dict[str, Any] = c.ok("evaluate", {"expression": expr, "context": "watch",
                                                  "frameId": frame["id"]})
            return r

        rec = evaluate("main.holeRec")
        assert rec["result"] == (f"(*main.HoleRecord)({hole:#x}) <unreadable {hole:#x}: "
                                 f"{EXCLUDED}>")
        kept = evaluate("main.keptRec")
        assert kept["variablesReference"]
        kids = {v["name"]: v for v in c.ok("variables", {
            "variablesReference": kept["variablesReference"]})["variables"]}
        assert kids["ID"]["value"] == "7"
        assert kids["Next"]["value"].endswith(f"<unreadable {hole:#x}: {EXCLUDED}>")
        threads = {t["id"]: t["name"] for t in c.ok("threads")["threads"]}
        holed = facts["holeStackGoroutine"]
        frames = c.ok("stackTrace", {"threadId": holed})["stackFrames"]
        assert holed in threads and any(f["name"].startswith("main.holeDepth") for f in frames)
        c.wait_for(lambda m: m.get("event") == "output"
                   and "cut short by memory the core does not hold" in m["body"]["output"])
        assert c.problems == []


# -- coredump_filter -----------------------------------------------------------


@pytest.mark.parametrize("spec", FILTER01, ids=_ids(FILTER01))
def test_filter_without_elf_headers(spec: FixtureSpec, fixture: Fixture,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """coredump_filter 0x01: anonymous private memory only. The executable's
    first page is not in the core (so its Go build ID is not either); the
    written data is. Everything reads as usual, the weaker match is said, and
    another build of the program is still refused."""
    core = open_core(fixture.core)
    first = min(f.start for f in core.files)
    seg = next(s for s in core.segments if s.vaddr == first)
    assert seg.filesz == 0  # the kernel's side of the shape
    core.data.close()
    rep = Engine.open(fixture.binary, fixture.core)
    tb = oracle(fixture)
    assert {g.goid for g in rep.goroutines} == {g.id for g in tb.goroutines if g.id}
    for og in tb.goroutines:
        if og.id:
            g = rep.goroutine(og.id)
            assert_same_frames(printed_frames(rep.stack(g).frames, rep.crash, g.crashed), og,
                               f"goroutine {og.id}")
    assert rep.crash.message == fixture.facts()["crashMessage"]
    assert rep.warnings == [
        "the core holds no copy of the executable's first page (the kernel's coredump_filter "
        "left out ELF headers, bit 4), so its Go build ID cannot be compared: zoo was matched "
        "to it by its entry point, where its segments were mapped and its Go build information "
        "only"]
    for other in ("trimpath", "static"):
        exe = Path(str(fixture.binary).replace("/default/", f"/{other}/"))
        if not exe.exists():
            continue
        code, _out, err = run(capsys, "goroutines", str(exe), str(fixture.core))
        assert code == 1 and "does not match the core" in err, err


@pytest.mark.parametrize("spec", FILTER00, ids=_ids(FILTER00))
def test_filter_without_memory(spec: FixtureSpec, fixture: Fixture,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """coredump_filter 0x00: notes and the vDSO only. The executable's data
    is never read from its file instead (its bytes are what the process
    started with); every command gives one line naming the filter."""
    rep = Engine.open(fixture.binary, fixture.core)
    assert rep.proc.memory.missing.no_anonymous
    assert any("holds none of the process's writable memory" in w for w in rep.warnings)
    data = next(s for s in rep.proc.exe.segments if s.flags & 2)
    with pytest.raises(UnreadableMemory, match="coredump_filter"):
        rep.proc.memory.read(data.vaddr + rep.proc.bias, 8)
    for command in ("goroutines", "bt", "crash", "locals"):
        code, out, err = run(capsys, command, str(fixture.binary), str(fixture.core))
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert err.startswith("dapcore: ") and "coredump_filter" in err, err
    from tests.dap.harness import Client

    with Client.spawn("dap") as c:
        c.ok("initialize", {"adapterID": "dapcore"})
        c.ok("launch", {"program": str(fixture.binary), "coreFilePath": str(fixture.core)})
        c.event("initialized")
        c.ok("configurationDone")
        c.event("terminated")
        said = "".join(m["body"]["output"] for m in c.events("output"))
        assert "coredump_filter" in said, said
        assert c.problems == []


# -- truncated cores -------------------------------------------------------------


def _cut_points(fixture: Fixture) -> dict[str, int]:
    """File offsets to cut at: inside the notes, inside the first PT_LOAD
    with bytes, in the middle of the largest writable one, inside the
    goroutine stacks (at the top of the middle one of them), and one page
    before the end."""
    rep = Engine.open(fixture.binary, fixture.core)
    stacks = sorted(g.stack_hi for g in rep.goroutines)
    c = rep.proc.core
    inside = stacks[len(stacks) // 2] - 256
    seg = next(s for s in c.segments if s.vaddr <= inside < s.vaddr + s.present)
    core = fixture.core
    c = open_core(core)
    data = c.data
    phoff, phnum = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
    notes = loads = None
    for i in range(phnum):
        ptype, _fl, off, _va, _pa, filesz, _ms, _al = struct.unpack_from("<IIQQQQQQ", data,
                                                                         phoff + i * 56)
        if ptype == 4 and notes is None:
            notes = off + filesz // 2
        if ptype == PT_LOAD and filesz and loads is None:
            loads = off + min(filesz // 2, 2048)
    heap = max((s for s in c.segments if s.flags & 2), key=lambda s: s.filesz)
    size = c.size
    data.close()
    assert notes is not None and loads is not None
    return {"notes": notes, "first-load": loads, "heap": heap.offset + heap.filesz // 2,
            "stacks": seg.offset + inside - seg.vaddr, "last-page": size - 4096}


CUTS = ["notes", "first-load", "heap", "stacks", "last-page"]


@pytest.mark.parametrize("spec", TRUNCATE, ids=_ids(TRUNCATE))
@pytest.mark.parametrize("cut", CUTS)
def test_truncated_core(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str], cut: str) -> None:
    """A clear one-line error when nothing is usable; else the core opens,
    the summary names the missing byte count, and every goroutine the
    runtime printed is shown or counted as unreadable, each stack either the
    runtime's or cut short saying the core is truncated."""
    at = _cut_points(fixture)[cut]
    bad = tmp_path / "core"
    with fixture.core.open("rb") as src, bad.open("wb") as dst:
        dst.write(src.read(at))
    binary = str(fixture.binary)
    code, _out, err = run(capsys, "goroutines", binary, str(bad))
    if code == 1:
        assert err.count("\n") == 1 and err.startswith("dapcore: "), err
        assert "truncated" in err or "no thread" in err, err
        assert cut in ("notes", "first-load", "heap", "stacks"), err
        return
    assert code == 0
    missing = fixture.core.stat().st_size - at
    try:
        rep = Engine.open(binary, bad)
    except DapcoreError as exc:  # unreachable: the CLI opened it
        raise AssertionError(exc) from exc
    summary = next(w for w in rep.warnings if "cut off the end of the file" in w)
    assert rep.proc.core.missing_bytes <= missing
    assert str(rep.proc.core.missing_bytes) in summary or "KiB" in summary or "MiB" in summary
    tb = oracle(fixture)
    printed = {g.id for g in tb.goroutines if g.id}
    shown = {g.goid for g in rep.goroutines}
    lost = printed - shown
    # the thread list's index (records read in batches) lists the same ones
    listed = Engine.open(binary, bad)
    ids = listed.listing().goids
    assert sorted(ids) == sorted(shown)
    unreadable = any("could not be read from the core" in w for w in rep.warnings)
    assert (listed.proc.goroutine_index.unreadable > 0) == unreadable
    if lost:
        assert any(f"{len(lost)} goroutine record(s) could not be read from the core (not in "
                   "the core: truncated)" in w for w in rep.warnings), rep.warnings
    for og in tb.goroutines:
        if og.id not in shown:
            continue
        g = rep.goroutine(og.id)
        st = rep.stack(g)
        if st.error is not None:
            assert st.missing and "truncated" in st.error, st.error
            mine = _ours(printed_frames(st.frames, rep.crash, g.crashed))
            assert mine == _theirs(og.frames)[0][:len(mine)]
        else:
            assert_same_frames(printed_frames(st.frames, rep.crash, g.crashed), og,
                               f"goroutine {og.id}")
    code, _out, err = run(capsys, "bt", "-a", binary, str(bad))
    assert code in (0, 1)
    if cut == "last-page":
        assert code == 0 and "cut off the end of the file" in err


@pytest.mark.parametrize("spec", TRUNCATE[1:2], ids=_ids(TRUNCATE[1:2]))
def test_truncated_data_is_not_read_from_the_executable(spec: FixtureSpec, fixture: Fixture,
                                                        tmp_path: Path) -> None:
    """A core cut inside its copy of the executable's writable data: the cut
    bytes are missing, not the executable file's (what the process started
    with, which it may have changed)."""
    core = open_core(fixture.core)
    rep = Engine.open(fixture.binary, fixture.core)
    data = next(s for s in rep.proc.exe.segments if s.flags & 2)
    seg = next(s for s in core.segments if s.vaddr == data.vaddr + rep.proc.bias)
    core.data.close()
    at = seg.offset + 4096
    bad = tmp_path / "core"
    with fixture.core.open("rb") as src, bad.open("wb") as dst:
        dst.write(src.read(at))
    cut = Engine.open(fixture.binary, bad)
    addr = seg.vaddr + 4096 + 64
    assert rep.proc.exe.read_static(addr - rep.proc.bias, 8)  # the file has bytes there
    with pytest.raises(UnreadableMemory, match="the core file is truncated") as exc:
        cut.proc.memory.read(addr, 8)
    assert exc.value.note == "not in the core: truncated"
    with pytest.raises(UnreadableMemory, match="truncated"):
        cut.proc.memory.read(addr - 64 - 8, 16)  # across the cut
