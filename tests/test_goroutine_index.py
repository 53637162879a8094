"""The goroutine index (the editor's thread list without an object per
goroutine, issue #16) says what the full records say, and what the
runtime's own traceback printed: the same goroutines, order, names,
statuses, threads and crash mark; a goroutine read alone is the one the full
read returns later."""

from __future__ import annotations

import pytest

from dapcore.engine import Engine
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback

SPECS = [make_spec("1.27", "default", "sigquit"), make_spec("1.27", "default", "many"),
         make_spec("1.19", "default", "nilmap"), make_spec("1.15", "default", "nilptr"),
         make_spec("1.27", "default", "snapshot"), make_spec("1.27", "stripped", "cgocallback"),
         make_spec("1.23", "default", "deadlock", arch="arm64")]


def _full(rep: Engine, hide_system: bool) -> tuple[list[int], list[tuple[object, ...]]]:
    """The listing as the full records give it (the code before the index)."""
    gs = sorted(rep.goroutines, key=lambda g: (not g.crashed, g.goid))
    gs = [g for g in gs if not (hide_system and g.system and not g.crashed)]
    return ([g.goid for g in gs],
            [(rep.goroutine_name(g), g.status_text, g.locked_to_thread, g.thread, g.crashed)
             for g in gs])


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
@pytest.mark.parametrize("hide_system", [False, True], ids=["all", "user"])
def test_listing_agrees_with_the_full_records(spec: FixtureSpec, fixture: Fixture,
                                              hide_system: bool) -> None:
    rep = Engine.open(fixture.binary, fixture.core)
    crashed = rep.crashed_goroutine
    listed = rep.listing(hide_system)
    goids = listed.goids
    traits = [listed.traits_of(i) for i in range(len(goids))]
    assert not rep.proc.goroutines_read  # listed from the index alone
    ours = [(*rep.traits_name(t), t[3], t[4], t[5]) for t in traits]
    assert rep.goroutine_count == len(rep.proc.goroutine_index)
    want_ids, want = _full(rep, hide_system)
    assert goids == want_ids
    assert ours == want
    if not hide_system:
        assert rep.goroutine_count == len(rep.goroutines)
        # the runtime printed the same goroutines (those it shows)
        tb = parse_traceback(fixture.stderr_text() if spec.scenario.trigger != "snapshot"
                             else fixture.side_file("stack.txt").read_text())
        printed = {g.id for g in tb.goroutines if g.id != 0}
        assert printed <= set(goids) | {fixture.facts().get("dumperGoroutine")}
    if crashed is not None:
        assert goids[0] == crashed.goid and traits[0][5]


@pytest.mark.parametrize("spec", [make_spec("1.27", "default", "many")], ids=["many"])
def test_a_goroutine_read_alone_is_the_one_listed_later(spec: FixtureSpec,
                                                        fixture: Fixture) -> None:
    rep = Engine.open(fixture.binary, fixture.core)
    goids = rep.listing().goids
    some = goids[len(goids) // 2]
    alone = rep.goroutine(some)
    stack = rep.stack(alone)
    assert not rep.proc.goroutines_read
    assert rep.goroutine(some) is alone
    full = next(g for g in rep.goroutines if g.goid == some)
    assert full is alone and rep.stack(full) is stack
    with pytest.raises(Exception, match="no goroutine"):
        Engine.open(fixture.binary, fixture.core).goroutine(max(goids) + 1_000_000)


@pytest.mark.parametrize("spec", [make_spec("1.27", "default", "many"),
                                  make_spec("1.23", "default", "deadlock", arch="arm64")],
                         ids=["many", "arm64"])
def test_records_read_one_at_a_time_index_the_same(spec: FixtureSpec, fixture: Fixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The index copies a batch of records out of one core mapping; records
    the core holds otherwise (across mappings, in pieces, or not at all) are
    read one at a time: both give the same columns."""
    fast = Engine.open(fixture.binary, fixture.core).proc.goroutine_index
    slow_proc = Engine.open(fixture.binary, fixture.core).proc
    monkeypatch.setattr(slow_proc.memory, "core_mapping", lambda addr: None)
    slow = slow_proc.goroutine_index
    for column in ("addr", "goid", "status", "reason", "start_pc", "m", "locked", "live"):
        assert getattr(slow, column) == getattr(fast, column), column
    assert slow.unreadable == fast.unreadable == 0


MANY = make_spec("1.27", "default", "many")


def _columns(idx: object) -> dict[str, object]:
    from dapcore.goruntime import gindex

    return {name: getattr(idx, name) for name in (*gindex._COLUMNS, "live", "unreadable")}


@pytest.mark.parametrize("spec", [MANY], ids=["many"])
def test_the_index_read_in_two_processes_is_the_same(spec: FixtureSpec, fixture: Fixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """From SPLIT_AT goroutines a forked worker reads the second half of the
    records (set low here, for the 10,007-goroutine core): the index is the
    one a single pass makes, the worker's half really came from it, and
    the thread list from it holds every goroutine the runtime printed."""
    from dapcore.goruntime import gindex

    rep = Engine.open(fixture.binary, fixture.core)
    one = _columns(gindex.build_index(rep.proc, _allgs(rep)))
    came: list[int] = []
    real = gindex.in_worker

    def watched(work: object, timeout: float) -> object:
        wait = real(work, timeout)  # type: ignore[arg-type]

        def result() -> bytes | None:
            data = wait()
            came.append(len(data or b""))
            return data
        return result
    monkeypatch.setattr(gindex, "SPLIT_AT", 1000)
    monkeypatch.setattr(gindex, "in_worker", watched)
    two = _columns(gindex.build_index(rep.proc, _allgs(rep)))
    assert came and came[0] > 0, came
    assert two == one
    listed = Engine.open(fixture.binary, fixture.core).listing().goids
    tb = parse_traceback(fixture.stderr_text())
    assert {g.id for g in tb.goroutines} <= set(listed)


@pytest.mark.parametrize("spec", [MANY], ids=["many"])
@pytest.mark.parametrize("worker", ["none", "cut"])
def test_without_a_worker_the_index_is_read_here(spec: FixtureSpec, fixture: Fixture,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 worker: str) -> None:
    """No worker could be made, or it sent back only part of its half: the
    second half is read here, and the index is the same."""
    from dapcore.goruntime import gindex

    rep = Engine.open(fixture.binary, fixture.core)
    one = _columns(gindex.build_index(rep.proc, _allgs(rep)))

    def fake(work: object, timeout: float) -> object:
        data = work() if worker == "cut" else None  # type: ignore[operator]
        return lambda: data[:len(data) // 2] if data else None
    monkeypatch.setattr(gindex, "SPLIT_AT", 1000)
    monkeypatch.setattr(gindex, "in_worker", fake)
    assert _columns(gindex.build_index(rep.proc, _allgs(rep))) == one


def _allgs(rep: Engine) -> object:
    from dapcore.goruntime.goroutines import read_allgs

    return read_allgs(rep.proc)
