"""gcore snapshots: a live process, no crash. The program's own
``runtime.Stack(all)`` dump, written just before it parked, is the oracle."""

from __future__ import annotations

import pytest

from dapcore.engine import Engine
from dapcore.goruntime.traceback import created_by, print_name, shown_by_default
from tests.factory import Fixture, FixtureSpec, full_matrix
from tests.oracle import Frame, parse_traceback

SPECS = [s for s in full_matrix() if s.scenario.trigger == "snapshot" and s.variant.dwarf]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_snapshot_matches_the_programs_own_dump(spec: FixtureSpec, fixture: Fixture) -> None:
    rep = Engine.open(fixture.binary, fixture.core)
    assert rep.crash.kind == "snapshot"
    assert rep.crash.goroutine is None
    assert not any(g.crashed for g in rep.proc.goroutines)
    tb = parse_traceback(fixture.side_file("stack.txt").read_text())
    dumper = fixture.facts()["dumperGoroutine"]
    # The dumper wrote the file and returned before gcore ran.
    assert rep.proc.goroutine(dumper) is None
    old_runtime = spec.toolchain.minor_number < 16  # see shown_by_default
    for og in tb.goroutines:
        if og.id == dumper:
            continue
        g = rep.proc.goroutine(og.id)
        assert g is not None, f"goroutine {og.id}"
        assert g.status_text == og.status, f"goroutine {og.id}"
        theirs = [(f.function, f.file, f.line, f.inlined) for f in og.frames
                  if isinstance(f, Frame)]
        ours = [(print_name(f.function), f.file, f.line, f.inlined)
                for f in shown_by_default(rep.stack(g).frames, old_runtime)]
        assert ours == theirs, f"goroutine {og.id}"
        if og.created_by is not None:
            cb = created_by(rep.proc, g)
            assert cb is not None
            assert (cb.function, cb.line, cb.goroutine) == (
                og.created_by.function, og.created_by.line, og.created_by.goroutine)
