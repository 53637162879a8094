"""Closure layouts before Go 1.23 (``dapcore.govalues.closures``), checked on the
fixtures' whole binaries, every closure of the runtime and std included.

Before Go 1.23 the DWARF does not place a closure's captured variables; the
closure's entry block does (it loads them from the closure context), and
dapcore reads them from there. The oracle:

* Go 1.23+ writes ``DW_AT_go_closure_offset``. Running the code analysis on
  those binaries, ignoring the attribute, must agree with it on every
  capture it places (never a wrong offset, never a variable that is not a
  capture) and place most of them.
* On Go 1.21 and 1.22, each closure the same-named closure of Go 1.23
  places (the same source, for the zoo's own closures) must get the same
  layout; in the runtime and std, where some closures changed between the
  releases, nearly all do.
* Go 1.19 names the closure object's fields after the variables in its
  runtime type names (``struct { F uintptr; hits *int; tag string }``): a
  layout must list its captures in that order.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from dapcore.dwarf.constants import AT_GO_CLOSURE_OFFSET, AT_NAME, TAG_SUBPROGRAM
from dapcore.dwarf.dies import Die
from dapcore.dwarf.reader import Dwarf
from dapcore.elf.executable import Executable
from dapcore.gobin.pclntab import PCLnTab
from dapcore.govalues.closures import Capture, derive_layout, layout_from_dwarf
from dapcore.govalues.types import GoTypes
from tests.factory import Fixture, FixtureSpec, full_matrix

_CLOSURE = re.compile(r"\.(func|gowrap|deferwrap)\d+")
Layout = tuple[tuple[str, int, bool, str], ...]


def _binaries(pred: object) -> list[FixtureSpec]:
    """One spec per (release, variant, program) with DWARF: the values
    scenario for zoo, cgocrash for zoocgo."""
    return [s for s in full_matrix() if s.variant.dwarf and pred(s)  # type: ignore[operator]
            and s.scenario.name in ("values", "cgocrash")]


def _minor(spec: FixtureSpec) -> int:
    return int(spec.toolchain.version.split(".")[1])


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def _subprograms(d: Dwarf) -> list[tuple[int, Die]]:
    """Every top-level subprogram with code and its lowest link-time pc,
    unit by unit, in pc order."""
    out: list[tuple[int, Die]] = []
    for u in d.units:
        subs = [(min(lo for lo, _ in rs), c) for c in d.children(d.top(u))
                if c.tag == TAG_SUBPROGRAM and (rs := d.ranges(c))]
        out += sorted(subs, key=lambda s: (s[0], s[1].offset))
    return out


@cache
def _layouts(binary: Path) -> tuple[dict[str, Layout], dict[str, Layout]]:
    """Per closure function: (the layout the code gives, the layout the
    DWARF's DW_AT_go_closure_offset gives, with captured-by-reference
    decided by sizes only where the sizes decide it, see
    ``layout_from_dwarf``)."""
    exe = Executable(binary)
    d = Dwarf(exe)
    tab = PCLnTab.from_executable(exe)
    types = GoTypes(d)
    derived: dict[str, Layout] = {}
    truth: dict[str, Layout] = {}

    def norm(caps: list[Capture] | None) -> Layout:
        return tuple((c.name, c.offset, c.by_pointer, c.type.name) for c in caps or ())

    for lo, sub in _subprograms(d):
        name = d.attr(sub, AT_NAME)
        if not isinstance(name, str) or not _CLOSURE.search(name):
            continue
        derived[name] = norm(derive_layout(d, types, exe, tab, sub, lo))
        truth[name] = norm(layout_from_dwarf(d, types, sub))
        offsets = {c.name: c.int_attr(AT_GO_CLOSURE_OFFSET) for c in d.children(sub)}
        # &x captures the sizes leave undecided: offset and type only.
        truth[name] += tuple(
            (c[0], c[1], None, c[3]) for c in derived[name]  # type: ignore[misc]
            if offsets.get("&" + c[0]) == c[1] and c[0] not in {t[0] for t in truth[name]})
    return derived, truth


WITH_OFFSETS = _binaries(lambda s: _minor(s) >= 23)


@pytest.mark.parametrize("spec", WITH_OFFSETS, ids=_ids(WITH_OFFSETS))
def test_code_layouts_agree_with_go_closure_offsets(spec: FixtureSpec, fixture: Fixture) -> None:
    derived, truth = _layouts(fixture.binary)
    wrong: list[str] = []
    right = total = 0
    for fn, caps in derived.items():
        want = {c[0]: c for c in truth[fn]}
        total += len(want)
        for c in caps:
            w = want.get(c[0])
            if w is None or (w[0], w[1], w[3]) != (c[0], c[1], c[3]) or w[2] not in (None, c[2]):
                wrong.append(f"{fn}: {c}, the DWARF says {w}")
            else:
                right += 1
    assert not wrong, "\n".join(wrong[:20])
    assert len(derived) > 200 and total > 200
    # Captures the code does not show (loaded only after a call, or kept in
    # a register no location list names at the load) are not placed.
    floor = 0.9 if spec.variant.name != "noopt" else 0.7
    assert right >= floor * total, f"placed {right} of {total}"


BEFORE = _binaries(lambda s: _minor(s) in (21, 22) and s.variant.name == "default")


@pytest.mark.parametrize("spec", BEFORE, ids=_ids(BEFORE))
def test_code_layouts_before_go_1_23_agree_with_go_1_23(spec: FixtureSpec,
                                                        fixture: Fixture) -> None:
    later = fixture.binary.parents[2] / "go1.23" / "default" / fixture.binary.name
    assert later.exists(), f"{later} is built with the matrix (Go 1.23, default)"
    derived, _ = _layouts(fixture.binary)
    _, truth = _layouts(later)
    same = differ = 0
    mine: list[str] = []
    for fn, caps in derived.items():
        if fn not in truth:
            continue
        want = {c[0]: c for c in truth[fn]}
        for c in caps:
            if c[0] not in want:
                continue
            w = want[c[0]]
            if (w[0], w[1], w[3]) == (c[0], c[1], c[3]) and w[2] in (None, c[2]):
                same += 1
            else:
                differ += 1
                if fn.startswith("main."):
                    mine.append(f"{fn}: {c}, Go 1.23 {want[c[0]]}")
    assert not mine, "\n".join(mine)
    assert same > 100
    assert differ <= 0.02 * (same + differ), (same, differ)


GO119 = _binaries(lambda s: _minor(s) == 19)


def _closure_type_fields(binary: Path) -> list[list[str]]:
    """Field names of the closure objects' runtime types, from the type
    names Go 1.19 writes (``struct { F uintptr; hits *int; tag string }``)."""
    raw = binary.read_bytes()
    out = []
    for m in re.finditer(rb"struct \{ F uintptr; ([^\x00{}]*?) \}", raw):
        out.append([f.split(" ", 1)[0] for f in m.group(1).decode("latin-1").split("; ")])
    return out


@pytest.mark.parametrize("spec", GO119, ids=_ids(GO119))
def test_go_1_19_layouts_follow_the_closure_type_names(spec: FixtureSpec,
                                                       fixture: Fixture) -> None:
    derived, truth = _layouts(fixture.binary)
    assert not any(truth.values()), "Go 1.19 writes no DW_AT_go_closure_offset"
    structs = _closure_type_fields(fixture.binary)
    checked = 0
    for fn, caps in derived.items():
        names = [c[0] for c in caps]
        matches = [s for s in structs if names and set(s) == set(names)]
        if len(matches) != 1:
            continue  # no runtime type (a closure on the stack), or ambiguous
        checked += 1
        assert names == matches[0], f"{fn}: {names}, its type {matches[0]}"
        assert [c[1] for c in caps] == sorted({c[1] for c in caps})
    assert checked >= 3
