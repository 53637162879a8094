"""What blocks what (issue #17, ``dapcore blocking``) on real cores.

The zootriage program (tests/fixtures/zoo/triage) parks goroutines on
channels and sync objects in known shapes and writes what it knows to
facts.json: every channel's and object's address (``uintptr(unsafe.Pointer
(...))``), element type, buffer, state, the goroutines waiting on each side,
the goroutines holding a mutex and how their Unlock is deferred, the go
statements' lines, the cycles. Every fact must be found; each waiting
goroutine's wait reason and top frames are checked against the runtime's
own traceback (stderr.txt). The zoo's ``many`` and ``deadlock`` fixtures
are checked against their facts too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dapcore.cli import main
from dapcore.engine import Engine
from dapcore.triage.records import BlockingReport, ChannelBlock, SyncBlock
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.factory.scenarios import TRIAGE_RELEASES
from tests.oracle import parse_traceback

SCENARIOS = ("leak", "mutexpile", "wgwait", "deadlockcycle")
TRIAGE = [make_spec(go, "default", s) for go in TRIAGE_RELEASES for s in SCENARIOS]
TRIAGE += [make_spec("1.27", "default", s, "arm64") for s in SCENARIOS]
MANY = [make_spec(go, "default", "many") for go in ("1.15", "1.19", "1.23", "1.27")]
DEADLOCK = [make_spec(go, "default", "deadlock") for go in ("1.15", "1.19", "1.23", "1.27")]
STRIPPED = [make_spec(go, "stripped", "many") for go in ("1.15", "1.23")]
LEAK = make_spec("1.27", "default", "leak")
CYCLE = make_spec("1.27", "default", "deadlockcycle")


def ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def analyse(fixture: Fixture) -> BlockingReport:
    engine = Engine.open(fixture.binary, fixture.core)
    try:
        return engine.blocking()
    finally:
        engine.close()


def by_address(report: BlockingReport) -> tuple[dict[int, ChannelBlock], dict[int, SyncBlock]]:
    return ({c.address: c for c in report.channels}, {o.address: o for o in report.objects})


# The runtime's wait reasons and the function each wait is in, as the
# runtime's traceback shows them (semacquire up to Go 1.19).
_SYNC_REASONS = {"sync.Mutex": ("sync.Mutex.Lock", "semacquire"),
                 "sync.RWMutex": ("sync.RWMutex.Lock", "sync.RWMutex.RLock", "semacquire",
                                  "sync.Mutex.Lock"),
                 "sync.WaitGroup": ("sync.WaitGroup.Wait", "semacquire"),
                 "sync.Cond": ("sync.Cond.Wait",)}
_SYNC_FRAMES = {("sync.Mutex", "Lock"): "sync.(*Mutex).Lock",
                ("sync.RWMutex", "Lock"): "sync.(*RWMutex).Lock",
                ("sync.RWMutex", "RLock"): "sync.(*RWMutex).RLock",
                ("sync.WaitGroup", "Wait"): "sync.(*WaitGroup).Wait",
                ("sync.Cond", "Wait"): "sync.(*Cond).Wait"}


@pytest.mark.parametrize("spec", TRIAGE, ids=ids(TRIAGE))
def test_every_fact_is_found(spec: FixtureSpec, fixture: Fixture) -> None:
    facts = fixture.facts()["triage"]
    report = analyse(fixture)
    chans, objects = by_address(report)
    for c in facts["channels"]:
        got = chans.get(c["address"])
        assert got is not None, f"channel {c['name']} at {c['address']:#x} not found"
        assert (got.elem_type, got.capacity, got.length, got.closed) == (
            c["elemType"], c["cap"], c["len"], c["closed"]), c["name"]
        assert sorted(got.senders) == sorted(c["senders"]), c["name"]
        assert sorted(got.receivers) == sorted(c["receivers"]), c["name"]
        assert sorted(got.selecting) == sorted(c["selecting"]), c["name"]
        assert got.both_sides == bool(c["senders"] and c["receivers"])
        assert not got.problems
    for o in facts["objects"]:
        got_o = objects.get(o["address"])
        assert got_o is not None, f"{o['kind']} {o['name']} at {o['address']:#x} not found"
        assert got_o.kind == o["kind"], o["name"]
        assert {k: sorted(v) for k, v in got_o.waiters.items()} == {
            k: sorted(v) for k, v in o["waiters"].items()}, o["name"]
        _check_state(got_o, o)
        _check_holders(got_o, o)
    assert not report.problems


def _check_state(got: SyncBlock, fact: dict[str, Any]) -> None:
    state, want = got.state, fact["state"]
    if got.kind == "sync.Mutex":
        assert (state["locked"], state["waiters"], state["starving"]) == (
            want["locked"], want["waiters"], want["starving"]), fact["name"]
        assert state["locked"] and "locked" in got.state_text
    elif got.kind == "sync.RWMutex":
        assert (state["readerCount"], state["readerWait"]) == (
            want["readerCount"], want["readerWait"])
        assert (state["readers"], state["readersQueued"], state["writerPending"]) == (
            want["readersHolding"], want["readersQueued"], want["writerWaiting"])
    elif got.kind == "sync.WaitGroup":
        assert (state["counter"], state["waiters"]) == (want["counter"], want["waiters"])
    elif got.kind == "sync.Cond":
        assert (state["waiters"], state["locker"]) == (want["waiters"], want["locker"])


def _check_holders(got: SyncBlock, fact: dict[str, Any]) -> None:
    """A holder named is one the program says holds it; one that defers its
    Unlock is always named, whether the defer is a _defer record or was
    open-coded by the compiler (the default build open-codes it)."""
    named = {h.goroutine: h.how for h in got.holders}
    assert set(named) <= set(fact["holders"]), (fact["name"], got.holders)
    for goid, how in fact["holderDefer"].items():
        assert int(goid) in named, (fact["name"], got.holders)
        assert named[int(goid)].endswith(", open-coded") == (how == "openCoded")


@pytest.mark.parametrize("spec", TRIAGE, ids=ids(TRIAGE))
def test_waiters_agree_with_the_runtimes_traceback(spec: FixtureSpec, fixture: Fixture) -> None:
    """Each goroutine grouped on a channel or object has the runtime's wait
    reason for it and is in the operation's function."""
    tb = {g.id: g for g in parse_traceback(fixture.stderr_text()).goroutines}
    report = analyse(fixture)
    checked = 0
    for c in report.channels:
        for goid in {*c.senders, *c.receivers}:
            status = tb[goid].status.removesuffix(" (scan)")  # a GC was scanning it
            if goid in c.selecting:
                assert status == "select", (goid, status)
            elif goid in c.senders:
                assert status == "chan send", (goid, status)
            else:
                assert status == "chan receive", (goid, status)
            checked += 1
    for o in report.objects:
        for op, goids in o.waiters.items():
            for goid in goids:
                g = tb[goid]
                status = g.status.removesuffix(" (scan)")
                assert status in _SYNC_REASONS[o.kind], (o.kind, goid, g.status)
                assert _SYNC_FRAMES[(o.kind, op)] in g.functions(), (o.kind, op, g.functions())
                checked += 1
    assert checked >= 4


@pytest.mark.parametrize("spec", TRIAGE, ids=ids(TRIAGE))
def test_creation_sites(spec: FixtureSpec, fixture: Fixture) -> None:
    """The go statements' lines, as runtime.Caller gave them and as the
    runtime's traceback prints them ('created by')."""
    facts = fixture.facts()["triage"]
    tb = {g.id: g for g in parse_traceback(fixture.stderr_text()).goroutines}
    report = analyse(fixture)
    groups: list[Any] = [*report.channels, *report.objects]
    for site, goids in facts["siteGoroutines"].items():
        file, line = site.rsplit(":", 1)
        group = next(g for g in groups
                     if set(goids) <= {i for ids in _waiters(g) for i in ids})
        assert (file, int(line)) in {(s.file, s.line) for s in group.sites}, group.sites
        printed = {(c.file, c.line) for i in goids if (c := tb[i].created_by) is not None}
        assert printed == {(file, int(line))}


def _waiters(group: Any) -> list[list[int]]:
    if isinstance(group, ChannelBlock):
        return [group.senders, group.receivers]
    return list(group.waiters.values())


@pytest.mark.parametrize("spec", [s for s in TRIAGE if s.scenario.name == "deadlockcycle"],
                         ids=ids([s for s in TRIAGE if s.scenario.name == "deadlockcycle"]))
def test_cycles(spec: FixtureSpec, fixture: Fixture) -> None:
    """The lock-order cycle is certain (both holders defer their Unlock in a
    record); the channel cycle is a 'may'."""
    facts = fixture.facts()["triage"]
    report = analyse(fixture)
    found = {frozenset(c.goroutines): c for c in report.cycles}
    for want in facts["cycles"]:
        cycle = found.get(frozenset(want["goroutines"]))
        assert cycle is not None, (want, report.cycles)
        assert {e.address for e in cycle.edges} == set(want["objects"])
        assert cycle.certain == (want["kind"] == "mutex")
    assert len(report.cycles) == len(facts["cycles"])


@pytest.mark.parametrize("spec", MANY, ids=ids(MANY))
def test_many(spec: FixtureSpec, fixture: Fixture) -> None:
    """The zoo's many: 10,000 goroutines in 8 wait states, 1,250 each."""
    roles = {k: sorted(v) for k, v in fixture.facts()["many"]["byRole"].items()}
    report = analyse(fixture)
    chans = [(sorted(c.senders), sorted(c.receivers), sorted(c.selecting))
             for c in report.channels]
    assert ([], roles["chanRecv"], []) in chans
    assert (roles["chanSend"], [], []) in chans
    assert ([], roles["select"], roles["select"]) in chans
    assert (roles["select"], [], roles["select"]) in chans
    objects = {(o.kind, op): sorted(ids) for o in report.objects for op, ids in o.waiters.items()}
    assert objects == {("sync.Mutex", "Lock"): roles["mutexLock"],
                       ("sync.RWMutex", "RLock"): roles["rwmutexRLock"],
                       ("sync.WaitGroup", "Wait"): roles["waitGroupWait"],
                       ("sync.Cond", "Wait"): roles["condWait"]}
    rw = next(o for o in report.objects if o.kind == "sync.RWMutex")
    assert rw.state["writerHolds"] and rw.state["readersQueued"] == len(roles["rwmutexRLock"])
    wg = next(o for o in report.objects if o.kind == "sync.WaitGroup")
    assert wg.state == {"counter": 1, "waiters": len(roles["waitGroupWait"])}
    mu = next(o for o in report.objects if o.kind == "sync.Mutex")
    assert mu.state["locked"] and not mu.holders  # main locked it without a defer
    assert any("not looked for" in x for x in report.limits)  # > 5,000 blocked


@pytest.mark.parametrize("spec", DEADLOCK, ids=ids(DEADLOCK))
def test_deadlock(spec: FixtureSpec, fixture: Fixture) -> None:
    gs = fixture.facts()["goroutines"]
    report = analyse(fixture)
    chans = [(c.senders, c.receivers) for c in report.channels]
    assert ([], [gs["chanRecv"]]) in chans
    assert ([gs["chanSend"]], []) in chans
    assert ([], [gs["main"]]) in chans
    [mu] = report.objects
    assert (mu.kind, mu.waiters, mu.state["locked"]) == ("sync.Mutex",
                                                         {"Lock": [gs["mutexLock"]]}, 1)
    assert not report.cycles  # nothing shows who holds the mutex


@pytest.mark.parametrize("spec", STRIPPED, ids=ids(STRIPPED))
def test_stripped_binary_says_what_it_cannot_read(spec: FixtureSpec, fixture: Fixture) -> None:
    """No DWARF: channels are read (their layouts are in the built-in
    tables), sync objects are not, and the report says so with a count."""
    roles = fixture.facts()["many"]["byRole"]
    report = analyse(fixture)
    assert any(sorted(c.receivers) == sorted(roles["chanRecv"]) for c in report.channels)
    assert not report.objects
    waiting = sum(len(roles[r]) for r in ("mutexLock", "rwmutexRLock", "waitGroupWait",
                                          "condWait"))
    assert any(f"sync objects are not analysed ({waiting:,} goroutines" in x
               for x in report.limits), report.limits


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("spec", [LEAK], ids=[LEAK.id])
def test_cli_text_and_json(spec: FixtureSpec, fixture: Fixture,
                           capsys: pytest.CaptureFixture[str]) -> None:
    files = (str(fixture.binary), str(fixture.core))
    code, text, err = run(capsys, "blocking", *files)
    assert code == 0, err
    leak = next(c for c in fixture.facts()["triage"]["channels"] if c["name"] == "leak")
    first = text.splitlines()[0]
    assert first.startswith(f"chan int {leak['address']:#x} (unbuffered): 2,000 goroutines "
                            "wait to send, none to receive — created by main.runLeak at ")
    assert "What a core cannot tell:" in text
    code, out, err = run(capsys, "blocking", *files, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert {"channels", "objects", "cycles", "forever", "limits", "problems"} <= set(doc)
    top = doc["channels"][0]
    assert (top["address"], sorted(top["senders"]), top["otherSideWaiting"]) == (
        leak["address"], sorted(leak["senders"]), False)


@pytest.mark.parametrize("spec", [CYCLE], ids=[CYCLE.id])
def test_cli_shows_the_cycles(spec: FixtureSpec, fixture: Fixture,
                              capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = run(capsys, "blocking", str(fixture.binary), str(fixture.core))
    assert code == 0
    facts = fixture.facts()["triage"]
    mutex = next(c for c in facts["cycles"] if c["kind"] == "mutex")
    a, b = sorted(mutex["goroutines"])
    assert f"deadlock: goroutines {a}, {b}" in text
    assert "deferred sync.(*Mutex).Unlock in main.lockOrderA" in text
    assert "possible deadlock (through a channel" in text
    assert "holder: goroutine" in text


def sparse_copy(src: Path, dst: Path) -> Path:
    subprocess.run(["cp", "--sparse=always", str(src), str(dst)], check=True)
    return dst


@pytest.mark.parametrize("spec", [CYCLE], ids=[CYCLE.id])
def test_truncated_and_garbled_cores(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A core cut short, or with garbage over the semaphore table and the
    channels: an error naming the damage, or an answer that says what could
    not be read — never a traceback."""
    size = fixture.core.stat().st_size
    for keep in (size // 2, size - 4096, 3000):
        cut = sparse_copy(fixture.core, tmp_path / f"core-{keep}")
        with cut.open("r+b") as f:
            f.truncate(keep)
        code, _, err = run(capsys, "blocking", str(fixture.binary), str(cut))
        assert code in (0, 1), err
        assert "Traceback" not in err and "internal error" not in err, err
    engine = Engine.open(fixture.binary, fixture.core)
    table = engine.proc.exe.symbol("runtime.semtable")
    assert table is not None
    targets = [table.value + engine.proc.bias]
    targets += [c["address"] for c in fixture.facts()["triage"]["channels"]]
    segments = engine.proc.core.segments
    bad = sparse_copy(fixture.core, tmp_path / "garbled")
    with bad.open("r+b") as f:
        for at in targets:
            seg = next(s for s in segments if s.vaddr <= at < s.vaddr + s.present)
            f.seek(seg.offset + at - seg.vaddr)
            f.write(b"\x41" * 96)
    engine.close()
    code, out, err = run(capsys, "blocking", str(fixture.binary), str(bad), "--json")
    assert code in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 0:
        doc = json.loads(out)
        assert doc["problems"], "garbage read as if it were sound"
        garbled = {c["address"] for c in fixture.facts()["triage"]["channels"]}
        for c in doc["channels"]:
            if c["address"] in garbled:
                assert any("damaged memory" in p for p in c["problems"]), c
