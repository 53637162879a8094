"""The factory's second way to write cores: under gdb, for machines whose
kernel pipes cores away (systemd-coredump, apport)."""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.factory import Fixture, FixtureSpec
from tests.factory.capture import run
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback

GDB_SPECS = [make_spec("1.27", "default", "nilptr"), make_spec("1.23", "default", "sigquit")]


@pytest.mark.parametrize("spec", GDB_SPECS, ids=[s.id for s in GDB_SPECS])
def test_gdb_core_method_matches_the_kernel_core(
    spec: FixtureSpec, fixture: Fixture, tmp_path: Path
) -> None:
    cap = run(fixture.binary, spec.scenario, tmp_path, method="gdb")
    assert cap.method == "gdb"
    with (tmp_path / "core").open("rb") as f:
        elf = ELFFile(f)
        assert elf.header.e_type == "ET_CORE"
        notes = [n for s in elf.iter_segments() if s.header.p_type == "PT_NOTE"
                 for n in s.iter_notes()]
        assert any(n.n_type == "NT_PRSTATUS" for n in notes)
    under_gdb = parse_traceback((tmp_path / "stderr.txt").read_text())
    by_kernel = parse_traceback(fixture.stderr_text())
    assert under_gdb.unparsed == []
    assert under_gdb.kind == by_kernel.kind
    assert [p.message for p in under_gdb.panics] == [p.message for p in by_kernel.panics]
    if spec.scenario.trigger == "crash":
        assert under_gdb.goroutines[0].functions() == by_kernel.goroutines[0].functions()
    else:
        # Which thread takes a SIGQUIT is the kernel's choice: compare the
        # program's own goroutines, run by run, by role.
        import json

        roles = json.loads((tmp_path / "facts.json").read_text())["goroutines"]
        kernel_roles = fixture.facts()["goroutines"]
        for role, goid in roles.items():
            ours, theirs = under_gdb.goroutine(goid), by_kernel.goroutine(kernel_roles[role])
            assert ours is not None and theirs is not None, role
            assert ours.status == theirs.status, role


MANY_119 = make_spec("1.19", "default", "many")


@pytest.mark.parametrize("spec", [MANY_119], ids=[MANY_119.id])
def test_a_scenarios_exit_timeout_bounds_its_capture(
    spec: FixtureSpec, fixture: Fixture, tmp_path: Path
) -> None:
    """A scenario's own ``exit_timeout`` (many-1m's minutes) replaces the
    default: 10,000 goroutines cannot start, print and dump in 50 ms."""
    from dataclasses import replace

    from tests.factory.capture import EXIT_TIMEOUT, CaptureError
    from tests.factory.scenarios import SCENARIOS

    big = SCENARIOS["many-1m"]
    assert not big.in_matrix and big.args == ("1000000",)
    assert big.exit_timeout is not None and big.exit_timeout > EXIT_TIMEOUT
    assert not big.compare_printout and SCENARIOS["many-100k"].compare_printout
    with pytest.raises(CaptureError, match=r"still running after 0 s"):
        run(fixture.binary, replace(spec.scenario, exit_timeout=0.05), tmp_path)
