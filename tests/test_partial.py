"""Values the DWARF describes only in part (issue #11, item 12), on the
``partial`` fixture, against what the program recorded (``values.json``).

Go's compiler writes no ``DW_OP_piece`` for a decomposed variable of which
it tracks one part only (``cmd/compile/internal/ssa/debug.go``), so a
16-byte ``error`` or a 24-byte struct gets a one-register, then one-slot,
location: read as the whole value it showed ``err = nil`` for a typed nil
``*PartErr`` and ``{X: 23, Y: ""}`` for ``PartPair{X: 23, Y: "w5-local"}``
(and Delve 1.27 still does). Every part dapcore shows must equal the
program's own record; the rest must say it is unavailable, and why.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dapcore.cli import main as cli_main
from dapcore.govalues.children import children
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import Value, value_of_variable
from tests.factory import Fixture, FixtureSpec, full_matrix
from tests.test_values import _drop_errors, _first_diff, _fr, canon

PARTIAL = [s for s in full_matrix() if s.variant.dwarf and s.scenario.name == "partial"]
DEFAULT = [s for s in PARTIAL if s.variant.name == "default"]
_UNKNOWN = "<unknown>"


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def _shown(v: Value) -> Any:
    """``v`` in the canonical encoding, with each part dapcore does not show
    (unavailable, optimized out) as :data:`_UNKNOWN`."""
    if v.error is not None:
        assert text_of(v).startswith(("<optimized out", "<unavailable")), text_of(v)
        return _UNKNOWN
    if not v.holes:
        return canon(v)
    text = text_of(v)
    assert "<optimized out" in text or "<unavailable" in text, text
    if v.kind == "struct":
        return {"fields": [{"name": c.name, "embedded": c.embedded, "value": _shown(c)}
                           for c in children(v)]}
    if v.kind == "interface":
        kids = children(v)
        if not kids:
            return _UNKNOWN
        assert len(kids) == 1 and kids[0].error is not None
        assert text == f"{v.type_name}({kids[0].type_name}) {kids[0].text}"
        return {"dynamicType": kids[0].type_name, "value": _UNKNOWN}
    assert text.startswith("<"), text
    return _UNKNOWN


def _agrees(got: Any, want: Any) -> bool:
    """Every part of ``got`` that is shown equals ``want``'s."""
    if got == _UNKNOWN:
        return True
    if isinstance(got, dict) and isinstance(want, dict):
        return set(got) == set(want) and all(_agrees(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_agrees(a, b) for a, b in
                                             zip(got, want, strict=True))
    return bool(got == want)


def _variables(fixture: Fixture) -> dict[str, tuple[dict[str, Any], Value]]:
    fr = _fr(fixture)
    doc = json.loads(fixture.side_file("values.json").read_text())
    out = {}
    for e in doc["variables"]:
        fv = fr.variables(fr.by_function[e["function"]])
        var = fv.get(e["name"])
        assert var is not None, f"{e['function']} {e['name']}: not listed"
        assert var.type.name == e["type"]
        out[e["name"]] = (e, value_of_variable(fr.ctx, var))
    assert set(out) == {"w3", "w5", "rev", "err"}
    return out


@pytest.mark.parametrize("spec", PARTIAL, ids=_ids(PARTIAL))
def test_never_a_wrong_value(spec: FixtureSpec, fixture: Fixture) -> None:
    """Whatever is shown of each variable is what the program held; in
    ``-N -l`` builds everything is shown."""
    problems = []
    for name, (e, v) in _variables(fixture).items():
        got, want = _shown(v), _drop_errors(e["value"])
        if spec.variant.name == "noopt":
            if got != want:
                problems.append(f"{name}: {_first_diff(got, want)} ({v.text})")
        elif not _agrees(got, want):
            problems.append(f"{name}: shown {v.text!r}, the program held {want}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec", DEFAULT, ids=_ids(DEFAULT))
def test_certain_parts_still_shown(spec: FixtureSpec, fixture: Fixture) -> None:
    """``w3``'s location has a piece per part, Y's empty: X is shown and Y
    is optimized out. ``err`` (its data word alone described), ``w5`` and
    ``rev`` (one field each, not said which) are unavailable, saying why —
    never ``nil``, never an empty string."""
    vs = _variables(fixture)
    w3 = vs["w3"][1]
    assert text_of(w3) == "main.PartPair {X: 21, Y: <optimized out>}", text_of(w3)
    x, y = children(w3)
    assert (text_of(x), x.error, y.error) == ("21", None, "optimized out")
    for name in ("err", "w5", "rev"):
        v = vs[name][1]
        assert text_of(v) != "nil" and '""' not in text_of(v), text_of(v)
        assert text_of(v).startswith("<unavailable: Go's DWARF describes one 8-byte word of this ")
    assert text_of(vs["err"][1]).endswith("(that word is 0x0)>")  # the typed nil's data word


@pytest.mark.parametrize("spec", DEFAULT[-1:], ids=_ids(DEFAULT[-1:]))
def test_cli_shows_why(spec: FixtureSpec, fixture: Fixture,
                       capsys: pytest.CaptureFixture[str]) -> None:
    fr = _fr(fixture)
    b, c = str(fixture.binary), str(fixture.core)
    assert cli_main(["locals", b, c, "-f", str(fr.by_function["main.partialPair"])]) == 0
    out = capsys.readouterr().out
    assert "w3 = main.PartPair {X: 21, Y: <optimized out>}\n" in out
    assert "w5 = <unavailable: Go's DWARF describes one 8-byte word of this 24-byte value" in out
    frame = str(fr.by_function["main.partialErr"])
    assert cli_main(["print", b, c, "err", "-f", frame]) == 0
    assert capsys.readouterr().out.startswith("<unavailable: ")
    assert cli_main(["print", b, c, "w3.X", "-f", str(fr.by_function["main.partialPair"])]) == 0
    assert capsys.readouterr().out == "21\n"


@pytest.mark.parametrize("spec", DEFAULT[-1:], ids=_ids(DEFAULT[-1:]))
def test_dap_variables_show_why(spec: FixtureSpec, fixture: Fixture) -> None:
    """The DAP variables of the frames: w3 expands to X (21) and Y
    (optimized out); err, w5 and rev say they are unavailable and why."""
    from tests.dap.harness import Client
    from tests.test_dap_variables import Dap

    with Client.spawn() as c:
        s = Dap(c, fixture)
        pair = s.locals(s.frame("main.partialPair"))
        w3 = pair["w3"]
        assert w3["value"] == "main.PartPair {X: 21, Y: <optimized out>}"
        kids = {k["name"]: k["value"] for k in s.variables(w3["variablesReference"])}
        assert kids == {"X": "21", "Y": "<optimized out>"}
        for name in ("w5", "rev"):
            assert pair[name]["value"].startswith("<unavailable: Go's DWARF describes one")
        err = s.locals(s.frame("main.partialErr"))["err"]
        assert err["value"].startswith("<unavailable: ") and err["type"] == "error"
        assert s.value("w3.X", s.frame("main.partialPair"))["result"] == "21"
        s.done()
