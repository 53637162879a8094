"""Every fixture of the standard matrix is a real core with a complete oracle.

These tests prove the factory's output is usable: the core is an ELF core of
the right process, the runtime's traceback (or the snapshot's own stack dump)
parses completely, and what the traceback says agrees with what the program
wrote about itself in facts.json. The oracle tests run on the arm64 fixtures
too (``arm64_matrix()``, made under qemu; ids ``go1.27-arm64-…``): the
runtime prints the same traceback on every architecture.
"""

from __future__ import annotations

import json
import signal
from functools import cache
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.factory import Fixture, FixtureSpec, arm64_matrix, full_matrix
from tests.factory.corenotes import read_notes
from tests.oracle import Elision, Traceback, parse_traceback

SPECS = full_matrix()
ids = [s.id for s in SPECS]
ARM64 = arm64_matrix()
# The oracle's tests: every fixture, amd64 and arm64.
ORACLE = SPECS + ARM64
oracle_ids = [s.id for s in ORACLE]
EM_AARCH64 = 183

# Wait reasons the runtime prints for each blocked role of blocked.go. Old
# releases report the sync primitives as plain "semacquire".
ROLE_STATES: dict[str, set[str]] = {
    "chanRecv": {"chan receive"},
    "chanSend": {"chan send"},
    "select": {"select"},
    "selectNoCases": {"select (no cases)"},
    "mutexLock": {"sync.Mutex.Lock", "semacquire"},
    "rwmutexRLock": {"sync.RWMutex.RLock", "semacquire"},
    "rwmutexLock": {"sync.RWMutex.Lock", "semacquire"},
    "waitGroupWait": {"sync.WaitGroup.Wait", "semacquire"},
    "condWait": {"sync.Cond.Wait", "semacquire"},
    "sleep": {"sleep"},
    "ioWait": {"IO wait"},
    "syscall": {"syscall"},
}


@cache
def _parse(path: Path) -> Traceback:
    return parse_traceback(path.read_text(errors="replace"))


def oracle(fx: Fixture) -> Traceback:
    """The runtime's own account: stderr, or stack.txt for snapshots."""
    name = "stack.txt" if fx.spec.scenario.trigger == "snapshot" else "stderr.txt"
    return _parse(fx.directory / name)




@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_core_is_an_elf_core_of_the_process(spec: FixtureSpec, fixture: Fixture) -> None:
    with fixture.core.open("rb") as f:
        elf = ELFFile(f)
        assert elf.header.e_type == "ET_CORE"
        assert elf.header.e_machine == {"amd64": "EM_X86_64", "arm64": "EM_AARCH64"}[spec.arch]
        loads = [s for s in elf.iter_segments() if s.header.p_type == "PT_LOAD"]
        assert loads, "a core without memory segments"
        notes = [n for s in elf.iter_segments() if s.header.p_type == "PT_NOTE"
                 for n in s.iter_notes()]
        threads = [n for n in notes if n.n_type == "NT_PRSTATUS"]
        assert threads, "no thread in the core"
        psinfo = next(n for n in notes if n.n_type == "NT_PRPSINFO")
        assert psinfo.n_desc.pr_pid == fixture.facts()["pid"]
    # Cores stay sparse: a gcore snapshot maps ~1.5 GB but holds a few MB.
    st = fixture.core.stat()
    if spec.scenario.trigger == "snapshot":
        assert st.st_blocks * 512 < st.st_size / 10


@pytest.mark.parametrize("spec", ARM64, ids=[s.id for s in ARM64])
def test_arm64_core_is_an_aarch64_core_of_the_guest(spec: FixtureSpec, fixture: Fixture) -> None:
    """qemu's core of the guest: aarch64, one NT_PRSTATUS per thread (the
    thread that took the fatal signal first), the guest's pid; qemu's own
    x86-64 core was discarded. Which notes it has is recorded, not relied on."""
    notes = read_notes(fixture.core)
    assert (notes.machine, notes.machine_number) == ("EM_AARCH64", EM_AARCH64)
    with fixture.core.open("rb") as f:
        elf = ELFFile(f)
        assert elf.header.e_type == "ET_CORE" and elf.elfclass == 64
        assert any(s.header.p_type == "PT_LOAD" for s in elf.iter_segments())
    assert {"NT_PRSTATUS", "NT_PRPSINFO", "NT_AUXV"} <= set(notes.names)
    pid = fixture.facts()["pid"]
    assert notes.pid == pid
    tids = [t.pid for t in notes.threads]
    assert len(set(tids)) == len(tids), "one NT_PRSTATUS per thread"
    assert pid in tids, "the main thread"
    assert notes.threads[0].signal == signal.SIGABRT  # the runtime's final abort
    # Every running goroutine the runtime printed ran on an M of its own:
    # there are at least that many threads.
    running = {g.id for g in oracle(fixture).goroutines if g.status == "running"}
    assert len(notes.threads) >= len(running)
    meta = fixture.meta
    assert meta["goarch"] == "arm64" and meta["coreMethod"] == "qemu"
    # cgo only for the cgo scenarios, built with Debian's cross gcc
    assert meta["buildEnv"] == {"CGO_ENABLED": "1" if spec.scenario.needs_cgo else "0",
                                "GOARCH": "arm64"}
    assert meta["coreNotes"] == notes.names and meta["coreThreads"] == len(notes.threads)
    assert meta["check"]["skipped"] or meta["check"]["agrees"]
    assert sorted(p.name for p in fixture.directory.iterdir()) == sorted(
        {"core", "meta.json", "stderr.txt", "stdout.txt", *spec.scenario.side_files}
        | ({"ready"} if spec.scenario.trigger == "sigquit" else set()))
    with fixture.binary.open("rb") as f:
        assert ELFFile(f).header.e_machine == "EM_AARCH64"


@pytest.mark.parametrize("spec", ORACLE, ids=oracle_ids)
def test_oracle_parses_completely(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = oracle(fixture)
    assert tb.unparsed == [], f"lines the oracle parser did not understand: {tb.unparsed[:5]}"
    assert tb.goroutines, "no goroutine in the traceback"
    for g in tb.goroutines:
        assert g.frames or g.stack_unavailable, f"goroutine {g.id} without frames"
    meta = fixture.meta
    assert meta["goVersion"] == spec.toolchain.version or spec.toolchain.source == "debian"
    assert fixture.facts()["goVersion"].removeprefix("go").startswith(spec.toolchain.minor)


@pytest.mark.parametrize("spec", ORACLE, ids=oracle_ids)
def test_oracle_agrees_with_the_program(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = oracle(fixture)
    facts = fixture.facts()
    kind = facts["crashKind"]
    message = facts.get("crashMessage")
    if kind == "panic":
        assert fixture.meta["signal"] == "SIGABRT"
        assert tb.kind == "panic"
        assert "panic: " + tb.panics[0].message == message
    elif kind == "fatal":
        assert tb.kind == "fatal error"
        assert "fatal error: " + str(tb.fatal_error) == message
    elif kind == "signal":
        assert tb.context is not None
        assert f"{tb.context.name}: {tb.context.description}" == message
    else:
        assert kind == "none" and spec.scenario.trigger == "snapshot"
        assert fixture.meta["signal"] is None

    crash_goid = facts.get("crashGoroutine")
    if crash_goid is not None:
        g = tb.goroutine(crash_goid)
        assert g is not None, f"crashing goroutine {crash_goid} not in the traceback"
        first = tb.goroutines[0]
        if first.id == 0 and first.stack_unavailable and len(tb.goroutines) > 1:
            # A signal in C code that Go 1.15 did not know was a cgo call: it
            # prints the thread's g0 first ("runtime: unknown pc"), then the rest.
            assert spec.toolchain.minor_number < 16 and spec.scenario.needs_cgo
            first = tb.goroutines[1]
        assert g is first, "the runtime prints the crashing goroutine first"
        fn = facts.get("crashFunction", "")
        if fn.startswith("main."):
            assert fn in g.functions()

    if facts.get("crashSignal"):
        # "[signal SIGSEGV: …]" after a panic, or a "SIGSEGV: …" block for a
        # signal the runtime could not turn into a panic (cgo).
        names = {s.name for s in (tb.signal, tb.context) if s is not None}
        assert facts["crashSignal"] in names


BLOCKED = [s for s in ORACLE if s.scenario.name in {"goroutinepanic", "sigquit", "snapshot"}]


@pytest.mark.parametrize("spec", BLOCKED, ids=[s.id for s in BLOCKED])
def test_blocked_goroutines_are_in_their_states(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = oracle(fixture)
    facts = fixture.facts()
    roles: dict[str, int] = facts["goroutines"]
    for role, goid in roles.items():
        g = tb.goroutine(goid)
        assert g is not None, f"{role} goroutine {goid} missing"
        if role in ROLE_STATES:
            assert g.status in ROLE_STATES[role], f"{role}: {g.status}"
    assert tb.goroutine(facts["lockedOSThread"]).locked_to_thread  # type: ignore[union-attr]
    nested = tb.goroutine(roles["nested"])
    assert nested is not None
    names = nested.functions()
    positions = [names.index(f) for f in facts["nestedFrames"]]
    assert positions == sorted(positions)
    for child, parent in facts["spawnedBy"].items():
        g = tb.goroutine(int(child))
        assert g is not None and g.created_by is not None
        if g.created_by.goroutine is not None:  # printed since Go 1.21
            assert g.created_by.goroutine == parent
    if spec.scenario.name == "snapshot":
        # The dumper wrote stack.txt and returned before gcore: only the
        # oracle holds it, and it was running.
        dumper = tb.goroutine(facts["dumperGoroutine"])
        assert dumper is not None and dumper.status == "running"


MANY = [s for s in ORACLE if s.scenario.name == "many"]


@pytest.mark.parametrize("spec", MANY, ids=[s.id for s in MANY])
def test_many_goroutines_are_all_printed(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = oracle(fixture)
    n = int(spec.scenario.args[0])
    assert len(tb.goroutines) >= n


OVERFLOW = [s for s in ORACLE if s.scenario.name == "overflow"]


@pytest.mark.parametrize("spec", OVERFLOW, ids=[s.id for s in OVERFLOW])
def test_overflow_traceback_is_elided(spec: FixtureSpec, fixture: Fixture) -> None:
    g = oracle(fixture).goroutines[0]
    elisions = [f for f in g.frames if isinstance(f, Elision)]
    assert len(elisions) == 1
    assert "main.recurse" in g.functions()


VALUES = [s for s in ORACLE if s.scenario.name == "values"]


@pytest.mark.parametrize("spec", VALUES, ids=[s.id for s in VALUES])
def test_values_are_written_for_frames_of_the_crash(spec: FixtureSpec, fixture: Fixture) -> None:
    doc = json.loads(fixture.side_file("values.json").read_text())
    variables = doc["variables"]
    assert len(variables) >= 100
    frames = set(oracle(fixture).goroutines[0].functions())
    for v in variables:
        assert v["function"] in frames, f"{v['name']}: {v['function']} not on the crash stack"
    assert {"typedNil", "big", "visit", "ring"} <= {v["name"] for v in variables}


NILMAP = [s for s in ORACLE if s.scenario.name == "nilmap"]


@pytest.mark.parametrize("spec", NILMAP, ids=[s.id for s in NILMAP])
def test_nilmap_crash_is_in_an_inlined_frame(spec: FixtureSpec, fixture: Fixture) -> None:
    facts = fixture.facts()
    frames = [f for f in oracle(fixture).goroutines[0].frames if not isinstance(f, Elision)]
    names = [f.function for f in frames]
    i = names.index(facts["crashFunction"])
    inlined = spec.variant.name != "noopt"
    assert frames[i].inlined is inlined
    assert names[i + 1] == facts["inlinedInto"]
    if inlined:  # an inlined frame has a line but no "+0x…" offset of its own
        assert frames[i].line is not None and frames[i].offset is None


THROW = [s for s in ORACLE if s.scenario.name == "throw"]


@pytest.mark.parametrize("spec", THROW, ids=[s.id for s in THROW])
def test_throw_comes_from_one_of_the_writers(spec: FixtureSpec, fixture: Fixture) -> None:
    writers = fixture.facts()["goroutines"]["writers"]
    assert oracle(fixture).goroutines[0].id in writers
