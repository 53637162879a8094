"""Scopes, variables and evaluate over real fixture cores, driven by the
headless harness (``python -m dapcore`` over stdio); every message in both
directions is checked against the official DAP JSON schema.

The values come from the ``values`` fixture (tests/fixtures/zoo/values.go;
what the program wrote is in ``values.json``), the crash from ``nilmap``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest

from dapcore.dap.errorids import ErrorId
from tests.dap.harness import Client, start_session
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle.names import printed_function

VALUES = [make_spec("1.27", "default", "values"), make_spec("1.19", "default", "values"),
          make_spec("1.23", "default", "values")]
LATEST = VALUES[:1]
NILMAP = [make_spec("1.27", "default", "nilmap")]
NOOPT = [make_spec("1.27", "noopt", "values")]
STRIPPED = [make_spec("1.27", "stripped", "nilptr")]
INT32_MAX = 2**31 - 1


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def launch_args(fx: Fixture, **extra: Any) -> dict[str, Any]:
    return {"type": "gocore", "request": "launch", "mode": "core", "program": str(fx.binary),
            "coreFilePath": str(fx.core), **extra}


class Dap:
    """A started session on a fixture, with helpers for the calls under test."""

    def __init__(self, client: Client, fx: Fixture, **launch: Any) -> None:
        self.c = client
        self.stopped = start_session(client, launch_args(fx, **launch))["body"]
        self.tid = self.stopped["threadId"]
        self.frames = client.ok("stackTrace", {"threadId": self.tid})["stackFrames"]

    def frame(self, name: str) -> dict[str, Any]:
        return next(f for f in self.frames if f["name"] == name)

    def focused(self) -> dict[str, Any]:
        return next(f for f in self.frames if f.get("source")
                    and f.get("presentationHint") != "label"
                    and f["source"].get("presentationHint") != "deemphasize")

    def scopes(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        return self.c.ok("scopes", {"frameId": frame["id"]})["scopes"]

    def scope(self, frame: dict[str, Any], prefix: str) -> dict[str, Any]:
        return next(s for s in self.scopes(frame) if s["name"].startswith(prefix))

    def variables(self, ref: int, **args: Any) -> list[dict[str, Any]]:
        vs = self.c.ok("variables", {"variablesReference": ref, **args})["variables"]
        for v in vs:
            assert 0 <= v["variablesReference"] <= INT32_MAX
        return vs

    def locals(self, frame: dict[str, Any], **args: Any) -> dict[str, dict[str, Any]]:
        ref = self.scope(frame, "Locals")["variablesReference"]
        return {v["name"]: v for v in self.variables(ref, **args)}

    def evaluate(self, expression: str, frame: dict[str, Any] | None,
                 context: str = "watch", **args: Any) -> dict[str, Any]:
        a: dict[str, Any] = {"expression": expression, "context": context, **args}
        if frame is not None:
            a["frameId"] = frame["id"]
        return self.c.request("evaluate", a)

    def value(self, expression: str, frame: dict[str, Any] | None,
              context: str = "watch", **args: Any) -> dict[str, Any]:
        r = self.evaluate(expression, frame, context, **args)
        assert r["success"], f"evaluate {expression!r}: {r.get('message')}"
        return r["body"]

    def done(self) -> None:
        assert not self.c.problems, self.c.problems




def _expected(fx: Fixture) -> dict[str, list[str]]:
    by_fn: dict[str, list[str]] = defaultdict(list)
    for e in json.loads(fx.side_file("values.json").read_text())["variables"]:
        by_fn[e["function"]].append(e["name"])
    return by_fn


# -- capabilities -------------------------------------------------------------------


def test_capabilities_list_what_is_implemented() -> None:
    with Client.spawn() as c:
        caps = c.ok("initialize", {"adapterID": "dapcore"})
        for name in ("supportsEvaluateForHovers", "supportsValueFormattingOptions",
                     "supportsClipboardContext"):
            assert caps.get(name) is True, name
        assert "supportsSetVariable" not in caps
        assert not c.problems, c.problems


# -- scopes -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_locals_of_every_values_frame(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        by_name = {printed_function(f["name"]): f for f in reversed(d.frames)}
        for function, names in _expected(fixture).items():
            frame = by_name[function]
            scopes = d.scopes(frame)
            assert scopes[0]["name"] == "Locals (optimized)"  # a default (optimized) build
            assert scopes[0]["presentationHint"] == "locals"
            assert scopes[0]["expensive"] is False
            assert scopes[1]["name"] == "Globals (package main)"
            assert scopes[1]["expensive"] is True
            assert d.scopes(frame) == scopes  # stable references
            got = d.locals(frame)
            missing = [n for n in names if n not in got]
            assert not missing, f"{function}: {missing} not in {sorted(got)}"
            for v in got.values():
                assert v["evaluateName"] == v["name"]
                assert isinstance(v["value"], str) and v["value"]
        d.done()


@pytest.mark.parametrize("spec", NOOPT, ids=_ids(NOOPT))
def test_locals_of_a_build_without_optimizations(spec: FixtureSpec, fixture: Fixture) -> None:
    """-gcflags=all=-N -l: no scope says "(optimized)", every variable is there."""
    with Client.spawn() as c:
        d = Dap(c, fixture)
        for frame in d.frames:
            if frame.get("presentationHint") == "label":
                continue
            assert d.scopes(frame)[0]["name"] == "Locals", frame["name"]
        got = d.locals(d.frame("main.valuesComposite"))
        assert got["origin"]["value"] == "main.ValPoint {X: 7, Y: -8}"
        assert "<optimized out>" not in {v["value"] for v in got.values()}
        d.done()


@pytest.mark.parametrize("spec", STRIPPED, ids=_ids(STRIPPED))
def test_a_binary_without_dwarf_says_why(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.focused()
        scopes = d.scopes(frame)
        assert not any(s["name"].startswith("Globals") for s in scopes)
        (why,) = d.variables(scopes[0]["variablesReference"])
        assert "no DWARF" in why["value"] and why["variablesReference"] == 0
        r = d.evaluate("x", frame, "hover")
        assert r["success"] is False and "no DWARF" in r["message"]
        d.done()


@pytest.mark.parametrize("spec", NILMAP, ids=_ids(NILMAP))
def test_scopes_of_the_crashing_frame(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.focused()
        scopes = d.scopes(frame)
        assert [s["name"].split(" ")[0] for s in scopes[:2]] == ["Locals", "Globals"]
        got = d.locals(frame)
        assert got, "the crashing frame has variables"
        for name, v in got.items():
            # every top-level evaluateName is accepted by evaluate, with the same text
            if v["value"] == "<optimized out>":
                continue
            r = d.value(v["evaluateName"], frame)
            assert r["result"] == v["value"], name
        d.done()


# -- variables ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_maps_small_and_big(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.valuesComposite")
        got = d.locals(frame)
        small = got["small"]
        assert small["type"] == "map[string]int"
        assert small["indexedVariables"] == 3 and "namedVariables" not in small
        kids = d.variables(small["variablesReference"])
        assert {k["name"]: k["value"] for k in kids} == {'["one"]': "1", '["two"]': "2",
                                                         '["three"]': "3"}
        assert {k["evaluateName"] for k in kids} == {'small["one"]', 'small["two"]',
                                                     'small["three"]'}

        big = got["big"]
        assert big["indexedVariables"] == 1500
        ref = big["variablesReference"]
        seen: dict[int, int] = {}
        for start in (0, 1000):
            page = d.variables(ref, filter="indexed", start=start, count=1000)
            assert len(page) == (1000 if start == 0 else 500)
            for k in page:
                key = int(k["name"].strip("[]"))
                assert key not in seen
                seen[key] = int(k["value"])
                assert k["evaluateName"] == f"big[{key}]"
        assert seen == {i: i * 7 for i in range(1500)}
        assert len(d.variables(ref, filter="indexed", start=1495, count=10)) == 5
        assert d.variables(ref, filter="named") == []
        assert d.locals(frame)["big"]["variablesReference"] == ref  # stable
        d.done()


@pytest.mark.parametrize("spec", LATEST, ids=_ids(LATEST))
def test_named_children_paging_and_filters(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.valuesComposite")
        origin = d.locals(frame)["origin"]
        assert origin["value"] == "main.ValPoint {X: 7, Y: -8}"
        assert origin["namedVariables"] == 2 and "indexedVariables" not in origin
        ref = origin["variablesReference"]
        kids = d.variables(ref, filter="named")
        assert [(k["name"], k["value"], k["type"], k["evaluateName"]) for k in kids] == [
            ("X", "7", "int", "origin.X"), ("Y", "-8", "int", "origin.Y")]
        assert d.variables(ref, filter="indexed") == []
        assert [k["name"] for k in d.variables(ref, start=1, count=1)] == ["Y"]
        # the Locals scope pages too
        scope = d.scope(frame, "Locals")["variablesReference"]
        everything = d.variables(scope)
        assert d.variables(scope, start=2, count=3) == everything[2:5]
        # a pointer to a struct shows the fields right under it (as Delve
        # does: no extra '*ptr' level) and names its address in its value
        ptr = d.locals(frame)["ptr"]
        addr = ptr["memoryReference"]
        assert addr.startswith("0x")
        assert ptr["value"] == f"(*main.ValPoint)({addr}) {{X: 100, Y: 200}}"
        assert ptr["namedVariables"] == 2 and ptr["type"] == "*main.ValPoint"
        fields = d.variables(ptr["variablesReference"])
        assert [(f["name"], f["evaluateName"], f["value"]) for f in fields] == [
            ("X", "(*ptr).X", "100"), ("Y", "(*ptr).Y", "200")]
        # the same through evaluate (watch, hover)
        body = d.value("ptr", frame)
        assert body["result"] == ptr["value"] and body["namedVariables"] == 2
        assert [f["value"] for f in d.variables(body["variablesReference"])] == ["100", "200"]
        d.done()


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_typed_nil_interface(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.valuesIfaces")
        got = d.locals(frame)
        typed = got["typedNil"]
        assert typed["value"] == "error(*main.ValErr) nil"
        assert typed["type"] == "error"
        (kid,) = d.variables(typed["variablesReference"])
        assert kid["type"] == "*main.ValErr" and kid["value"] == "nil"
        assert kid["variablesReference"] == 0
        assert got["nilErr"]["value"] == "nil" and got["nilErr"]["variablesReference"] == 0
        d.done()


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_evaluate_names_round_trip(spec: FixtureSpec, fixture: Fixture) -> None:
    """Every child's evaluateName, evaluated in the same frame, gives the
    child's value again (two levels below every local of valuesComposite)."""
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.valuesComposite")
        checked = 0
        todo = [(v, 0) for v in d.locals(frame).values()]
        while todo:
            v, depth = todo.pop()
            if "evaluateName" not in v:  # in a channel, or a composite-literal map key
                assert v["name"] in ("closed", "waiting senders", "waiting receivers") \
                    or v["name"].startswith(("[main.", "[0]", "[1]", "[2]")), v
            elif v["value"] != "<optimized out>":
                r = d.value(v["evaluateName"], frame)
                assert r["result"] == v["value"], v["evaluateName"]
                assert r["variablesReference"] == v["variablesReference"]
                checked += 1
            if depth < 2 and v["variablesReference"]:
                todo.extend((k, depth + 1) for k in d.variables(v["variablesReference"],
                                                                start=0, count=5))
        assert checked > 60
        d.done()


@pytest.mark.parametrize("spec", LATEST, ids=_ids(LATEST))
def test_hex_format(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.valuesComposite")
        nums = d.locals(frame, format={"hex": True})["nums"]
        assert nums["value"] == "[]int len: 4, cap: 6, [0xb, 0x16, 0x21, 0x2c]"
        origin = d.locals(frame)["origin"]
        kids = d.variables(origin["variablesReference"], format={"hex": True})
        assert [k["value"] for k in kids] == ["0x7", "-0x8"]
        # decimal again without the format
        assert [k["value"] for k in d.variables(origin["variablesReference"])] == ["7", "-8"]
        assert d.value("origin.X", frame, format={"hex": True})["result"] == "0x7"
        assert d.value("origin.X", frame)["result"] == "7"
        d.done()


@pytest.mark.parametrize("spec", LATEST, ids=_ids(LATEST))
def test_launch_limits(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture, maxArrayValues=2, maxStringLen=3)
        frame = d.frame("main.valuesComposite")
        big = d.locals(frame)["big"]
        # no paging asked (as nvim-dap does): one page of maxArrayValues
        assert len(d.variables(big["variablesReference"])) == 2
        assert len(d.variables(big["variablesReference"], start=0, count=50)) == 50
        label = d.locals(d.frame("main.valuesScalars"))["label"]
        assert label["value"].endswith("... (len: 6)"), label
        d.done()


# -- globals and registers -----------------------------------------------------------


@pytest.mark.parametrize("spec", LATEST, ids=_ids(LATEST))
def test_globals_of_package_main(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.valuesComposite")
        scope = d.scope(frame, "Globals")
        assert scope["name"] == "Globals (package main)" and scope["expensive"] is True
        gs = d.variables(scope["variablesReference"])
        assert gs and all(g["name"].startswith("main.") for g in gs)
        for g in gs[:5]:
            assert d.value(g["evaluateName"], frame)["result"] == g["value"]
        d.done()
    with Client.spawn() as c:
        d = Dap(c, fixture, showGlobalVariables=True)
        scope = d.scope(d.frame("main.valuesComposite"), "Globals")
        assert scope["expensive"] is False
        d.done()


@pytest.mark.parametrize("spec", NILMAP, ids=_ids(NILMAP))
def test_registers_of_the_running_goroutine(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        # every frame shown: the top one is the crashing goroutine's, on its thread
        d = Dap(c, fixture, showCrashFrames=True)
        top = d.frames[0]
        regs = d.scope(top, "Registers")
        assert regs["expensive"] is True and regs["presentationHint"] == "registers"
        values = {v["name"]: v["value"] for v in d.variables(regs["variablesReference"])}
        assert {"rip", "rsp"} <= set(values), values
        assert all(v.startswith("0x") for v in values.values())
        assert regs["namedVariables"] == len(values)
        # a user frame further down has none: Go saves no callee registers
        assert not any(s["name"] == "Registers" for s in d.scopes(d.focused()))
        d.done()
    with Client.spawn() as c:
        # folded: the label of the crash handler's frames offers the same registers
        d = Dap(c, fixture, showRegisters=True)
        label = d.frames[0]
        assert label.get("presentationHint") == "label"
        (regs,) = d.scopes(label)
        assert regs["name"] == "Registers" and regs["expensive"] is False
        assert {"rip", "rsp"} <= {v["name"] for v in d.variables(regs["variablesReference"])}
        d.done()


# -- evaluate -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", LATEST, ids=_ids(LATEST))
def test_evaluate_contexts_and_errors(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.valuesComposite")
        for context in ("watch", "hover", "repl", "clipboard", "variables"):
            r = d.value("small", frame, context)
            assert r["result"] == 'map[string]int len: 3, ["one": 1, "two": 2, "three": 3]'
            assert r["type"] == "map[string]int" and r["indexedVariables"] == 3
        assert d.value('small["two"]', frame)["result"] == "2"
        assert d.value("origin.X", frame)["result"] == "7"
        bad = {
            "valuesComposite()": "function calls are not possible on a core file",
            "nosuchvariable": "could not find symbol value for nosuchvariable",
            "origin.Nope": "Nope",
        }
        for expr, message in bad.items():
            r = d.evaluate(expr, frame)
            assert r["success"] is False, expr
            assert message in r["message"], (expr, r["message"])
        r = d.evaluate("origin.", frame)
        assert r["success"] is False and r["message"]
        # the label standing for the folded crash-handling frames is no frame
        assert d.frames[0]["presentationHint"] == "label"
        r = d.evaluate("origin", d.frames[0])
        assert r["success"] is False and "not a frame" in r["message"]
        r = c.request("variables", {"variablesReference": 999999})
        assert r["success"] is False and "no variables for reference 999999" in r["message"]
        seq = c.send("variables", {"variablesReference": 1, "filter": "odd"},
                     check_schema=False)  # a bad request on purpose
        r = c.response(seq)
        assert r["success"] is False and "filter" in r["message"]
        # no frameId: the first user frame of the crashing goroutine
        assert d.value("1 + 2", None)["result"] == "3"
        d.done()


@pytest.mark.parametrize("spec", LATEST, ids=_ids(LATEST))
def test_repl_commands_and_frame(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        d = Dap(c, fixture, showCrashFrames=True)
        top = d.frames[0]
        assert "frame N" in d.value("help", top, "repl")["result"]
        assert "goroutine" in d.value("goroutines", top, "repl")["result"]
        index = next(i for i, f in enumerate(d.frames) if f["name"] == "main.valuesIfaces")
        # 'typedNil' is not a variable of the top frame
        assert d.evaluate("typedNil", top, "repl")["success"] is False
        out = d.value(f"frame {index}", top, "repl")["result"]
        assert out.startswith(f"frame {index}: main.valuesIfaces at ") and "values.go:" in out
        assert d.value("typedNil", top, "repl")["result"] == "error(*main.ValErr) nil"
        assert d.value("frame", top, "repl")["result"].startswith(f"frame {index}: ")
        # one-off evaluation in another frame
        comp = next(i for i, f in enumerate(d.frames) if f["name"] == "main.valuesComposite")
        assert d.value(f"frame {comp} origin.Y", top, "repl")["result"] == "-8"
        # selecting another frame in the client ends 'frame N'
        assert d.value("origin.X", d.frames[comp], "repl")["result"] == "7"
        assert d.evaluate("typedNil", top, "repl")["success"] is False
        r = d.evaluate("frame 100000", top, "repl")
        assert r["success"] is False and "no frame 100000" in r["message"]
        d.done()


@pytest.mark.parametrize("spec", LATEST, ids=_ids(LATEST))
def test_repl_speaks_delve(spec: FixtureSpec, fixture: Fixture) -> None:
    """What Delve users type: ``print``/``p EXPR`` (expandable like any
    value), ``goroutine [N [CMD]]``, ``frame N``, ``up``/``down``,
    ``locals``/``args``."""
    with Client.spawn() as c:
        d = Dap(c, fixture, showCrashFrames=True)
        top = d.frames[0]
        comp = next(i for i, f in enumerate(d.frames) if f["name"] == "main.valuesComposite")
        assert d.value(f"frame {comp}", top, "repl")["result"].startswith(
            f"frame {comp}: main.valuesComposite at ")
        for cmd in ("print origin", "p origin", "origin"):
            body = d.value(cmd, top, "repl")
            assert body["result"] == "main.ValPoint {X: 7, Y: -8}", cmd
            assert [k["value"] for k in d.variables(body["variablesReference"])] == ["7", "-8"]
        assert d.value("p origin.X + 1", top, "repl")["result"] == "8"
        args = d.value("args", top, "repl")["result"].splitlines()
        assert "origin = main.ValPoint {X: 7, Y: -8}" in args
        assert not any(a.startswith("ptr = ") for a in args)
        assert any(x.startswith("ptr = ") for x in
                   d.value("locals", top, "repl")["result"].splitlines())
        # up: towards the caller; down: back
        out = d.value("up", top, "repl")["result"]
        assert out.startswith(f"frame {comp + 1}: ")
        assert d.value("down", top, "repl")["result"].startswith(f"frame {comp}: ")
        r = d.evaluate(f"down {comp + 1}", top, "repl")
        assert r["success"] is False and "innermost" in r["message"]
        # goroutine N switches to its top user frame; goroutine N CMD runs once there
        tb_ids = [int(x) for x in re.findall(r"(?im)^\W*goroutine (\d+)",
                                             d.value("goroutines", top, "repl")["result"])]
        other = next(i for i in tb_ids if i != d.tid)
        here = d.value("goroutine", top, "repl")["result"]
        assert here.startswith(f"goroutine {d.tid} [") and f"frame {comp}:" in here
        bt = d.value(f"goroutine {other} bt", top, "repl")["result"]
        assert bt.startswith(f"goroutine {other} [")
        assert d.value("goroutine", top, "repl")["result"].startswith(f"goroutine {d.tid} [")
        out = d.value(f"goroutine {other}", top, "repl")["result"]
        assert out.startswith(f"goroutine {other} [")
        assert d.value("goroutine", top, "repl")["result"].startswith(f"goroutine {other} [")
        assert d.value(f"bt {other}", top, "repl")["result"] == bt
        r = d.evaluate("goroutine 999999", top, "repl")
        assert r["success"] is False and "no goroutine 999999" in r["message"]
        for bad in ("print", "p ", "up x"):
            r = d.evaluate(bad, top, "repl")
            assert r["success"] is False and "usage" in r["message"], bad
        d.done()


CLOSURES = [make_spec("1.21", "default", "values"), *VALUES]


@pytest.mark.parametrize("spec", CLOSURES, ids=_ids(CLOSURES))
def test_closure_value_shows_its_captures(spec: FixtureSpec, fixture: Fixture) -> None:
    """A func value holding a closure expands to its captured variables, on
    Go releases whose DWARF places them (1.23+) and those where the
    closure's code does (dapcore.govalues.closures)."""
    with Client.spawn() as c:
        d = Dap(c, fixture)
        for function, name in (("main.valuesIfaces", "visit"), ("main.valuesCall", "f")):
            v = d.locals(d.frame(function))[name]
            if v["value"] == "<optimized out>":
                continue
            assert v["value"] == "main.valuesIfaces.func1" and v["type"] == "func()"
            kids = d.variables(v["variablesReference"])
            assert {k["name"]: k["value"] for k in kids} == {
                "hits": "42", "tag": '"captured-by-value"'}
            assert not any("evaluateName" in k for k in kids)  # no Go expression for them
        d.done()


EXPRS = [make_spec("1.27", "default", "exprs"), make_spec("1.19", "default", "exprs")]


@pytest.mark.parametrize("spec", EXPRS, ids=_ids(EXPRS))
def test_delve_expressions_in_a_session(spec: FixtureSpec, fixture: Fixture) -> None:
    """What a Delve user types, through evaluate in each context, on the core
    stopped at runtime.Breakpoint (the exprs fixture): the answer, its
    children, and their evaluateNames evaluating to the same again."""
    with Client.spawn() as c:
        d = Dap(c, fixture)
        assert d.focused()["name"] == "main.exprsStop"
        frame = d.frame("main.exprsFrame")
        for context in ("watch", "hover", "repl", "clipboard"):
            assert d.value("exErrIface.Code", frame, context)["result"] == "404"
        data = d.value("exAny.(data)", frame)
        assert data["type"] == "main.ExRect" and data["result"].startswith("main.ExRect {W: 5")
        kids = d.variables(data["variablesReference"])
        assert [k["name"] for k in kids] == ["W", "H", "Corner"]
        for k in kids:
            assert d.value(k["evaluateName"], frame)["result"] == k["value"]
        assert d.value("exErrIface.Error", frame)["result"] == "main.(*ExErr).Error"
        assert d.value("exErrIface.Error", frame)["type"] == "func() string"
        assert d.value("string(exBytes)", frame)["result"] == '"bytes\\x00ok"'
        assert d.value("complex128(exF)", frame)["result"] == "(2.75+0i)"
        assert d.value('main.ExString("test")', frame)["type"] == "main.ExString"
        assert d.value("max(exF, 1.5, -3)", frame)["result"] == "2.75"
        assert d.value('(*"struct { A int; B string }")(uintptr(&exAB)).B', frame)["result"] \
            == '"bee"'
        assert d.value("exTimes[0]", frame)["result"] == "300000-01-01 00:00:00 +0000 UTC"
        r = d.value("p exChBuf.buf[1]", frame, "repl")
        assert r["result"] == "20"
        r = d.evaluate("exErrIface.Error()", frame)
        assert r["success"] is False and "exErrIface.(data)" in r["message"]
        d.done()


@pytest.mark.parametrize("spec", EXPRS[:1], ids=_ids(EXPRS[:1]))
def test_refused_expressions_are_shown_where_they_were_typed(spec: FixtureSpec,
                                                            fixture: Fixture) -> None:
    """The console, a watch and a hover show an evaluation's error in place:
    no ``showUser`` (VS Code would also raise a notification for each refused
    console line, and for each failing watch at every stop); copying a value
    has no other place to say why it failed."""
    with Client.spawn() as c:
        d = Dap(c, fixture)
        frame = d.frame("main.exprsFrame")
        for expression in ("exErrIface.Error()", "nosuch", '(*"struct { Z int }")(exRectAddr)',
                           "goroutine 999999 p exI"):
            for context in ("repl", "watch", "hover", "clipboard", None):
                if context != "repl" and expression.startswith("goroutine "):
                    continue
                args = {"expression": expression, "frameId": frame["id"]}
                if context is not None:
                    args["context"] = context
                r = c.request("evaluate", args)
                assert r["success"] is False, (expression, context, r)
                error = r["body"]["error"]
                assert error["format"] == r["message"], r
                assert error["showUser"] is (context not in ("repl", "watch", "hover")), (
                    expression, context, r)
                assert error["id"] == ErrorId.EVALUATION_FAILED, r
        d.done()
