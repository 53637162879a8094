"""Every expression of the ``exprs`` fixture (tests/fixtures/zoo/scenario_exprs.go),
evaluated in the frame that stopped at ``runtime.Breakpoint()``, against what
the program computed in Go (``exprs.json``): the value in expect.go's encoding,
the type as ``%T`` prints it, and, where the program wrote one, the display
text. On every release of the matrix, optimized and not."""

from __future__ import annotations

import json
import time
from functools import cache
from itertools import islice
from typing import Any

import pytest

from dapcore.dwarf.location import LocationError
from dapcore.engine import Engine
from dapcore.errors import DapcoreError
from dapcore.goexpr.frame import evaluate
from dapcore.govalues.children import child_count, children
from dapcore.govalues.frame import FrameRef
from dapcore.govalues.maps import map_pairs
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import Value
from tests.factory import Fixture, FixtureSpec, full_matrix, matrix
from tests.test_values import _drop_errors, _first_diff, canon

EXPRS = [s for s in full_matrix() if s.variant.dwarf and s.scenario.name == "exprs"
         and s.variant.name in ("default", "noopt")]
IDS = [s.id for s in EXPRS]


class Stop:
    """The core's frame of main.exprsFrame, and what the program wrote."""

    def __init__(self, binary: str, core: str, side: str) -> None:
        self.engine = Engine.open(binary, core)
        g = self.engine.proc.crashed_goroutine
        assert g is not None
        self.goid = g.goid
        self.stack = self.engine.stack(g)
        doc = json.loads((__import__("pathlib").Path(side) / "exprs.json").read_text())
        self.entries: list[dict[str, Any]] = doc["exprs"]
        names = [f.function for f in self.stack.frames]
        self.index = names.index(doc["function"])

    def ev(self, text: str) -> Value:
        ref = FrameRef(self.engine.proc, self.goid, self.stack, self.index)
        return evaluate(ref, text)

    def error(self, text: str) -> str:
        with pytest.raises(DapcoreError) as info:
            self.ev(text)
        return str(info.value)


@cache
def _stop(binary: str, core: str, side: str) -> Stop:
    return Stop(binary, core, side)


def stop_of(fixture: Fixture) -> Stop:
    return _stop(str(fixture.binary), str(fixture.core), str(fixture.directory))


def _go_unix_nano(x: Any) -> Any:
    """``x`` with each time's ``unixNano`` as Go's ``UnixNano`` gives it: int64
    arithmetic that wraps for times more than 292 years from 1970."""
    if isinstance(x, dict):
        out = {k: _go_unix_nano(v) for k, v in x.items()}
        if isinstance(out.get("unixNano"), int) and "time" in out:
            n = out["unixNano"] & ((1 << 64) - 1)
            out["unixNano"] = n - (1 << 64) if n >> 63 else n
        return out
    if isinstance(x, list):
        return [_go_unix_nano(v) for v in x]
    return x


# Why a local may be missing at the breakpoint in an optimized build.
_LOCAL_GONE = ("optimized out", "could not find symbol value")


def check(stop: Stop, entry: dict[str, Any], optimized: bool) -> str | None:
    """What is wrong with one expression's result, or None."""
    expr = entry["expr"]
    try:
        v = stop.ev(expr)
    except DapcoreError as exc:
        if optimized and entry.get("local") and any(w in str(exc) for w in _LOCAL_GONE):
            print(f"{expr}: {exc} (a local of an optimized build)")
            return None
        return f"{expr}: refused: {exc}"
    if entry.get("type") and v.type_name != entry["type"]:
        return f"{expr}: type {v.type_name!r}, want {entry['type']!r}"
    if "value" in entry:
        try:
            got = _go_unix_nano(canon(v))
        except LocationError as exc:  # a piece of the variable has no location
            if optimized and entry.get("local") and "optimized out" in str(exc):
                print(f"{expr}: {exc} (part of a local of an optimized build)")
                return None
            raise
        want = _drop_errors(entry["value"])
        if got != want:
            return f"{expr}: {_first_diff(got, want)}"
    if entry.get("text") and text_of(v) != entry["text"]:
        return f"{expr}: shows {text_of(v)!r}, want {entry['text']!r}"
    return None


@pytest.mark.parametrize("spec", EXPRS, ids=IDS)
def test_every_expression_equals_the_program(spec: FixtureSpec, fixture: Fixture) -> None:
    stop = stop_of(fixture)
    assert len(stop.entries) >= 100
    optimized = spec.variant.name != "noopt"
    problems = [p for p in (check(stop, e, optimized) for e in stop.entries) if p]
    assert not problems, f"{len(problems)} of {len(stop.entries)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("spec", EXPRS, ids=IDS)
def test_elements_under_a_dereference_are_parenthesised(spec: FixtureSpec,
                                                        fixture: Fixture) -> None:
    """A slice's or a map's entries reached through ``*p`` are ``(*p)[i]``,
    not ``*p[i]`` (which is ``*(p[i])`` in Go), and evaluate to themselves."""
    stop = stop_of(fixture)
    for base in ("*&exBytes", "*&exBigMap"):
        kids = children(stop.ev(base), 0, 3)
        assert len(kids) == 3
        for c in kids:
            assert c.expression_path.startswith("(*&ex") and c.expression == c.expression_path
            assert text_of(stop.ev(c.expression)) == text_of(c)
    assert children(stop.ev("*&exBytes"), 1, 1)[0].expression == "(*&exBytes)[1]"


@pytest.mark.parametrize("spec", EXPRS, ids=IDS)
def test_a_cast_pointer_shows_its_address_and_has_its_target_as_child(
        spec: FixtureSpec, fixture: Fixture) -> None:
    """``(*T)(addr)`` shows ``(*T)(0x…)`` as Delve does; expanding it gives
    the target, which reads as ``*(*T)(addr)``; a pointer variable keeps
    its display; ``(*T)(0)`` is nil."""
    stop = stop_of(fixture)
    p = stop.ev("(*main.ExRect)(exRectAddr)")
    addr = stop.ev("exRectAddr").number()
    assert isinstance(addr, int)
    assert text_of(p) == f"(*main.ExRect)({addr:#x})"
    assert child_count(p) == 1
    (target,) = children(p)
    assert target.addr == addr and target.type_name == "main.ExRect"
    assert target.expression == "*(*main.ExRect)(exRectAddr)"
    assert text_of(target) == text_of(stop.ev("exRect")) == text_of(stop.ev(target.expression))
    assert text_of(stop.ev("(*main.ExRect)(exRectAddr).Corner")) == \
        text_of(stop.ev("exRect.Corner"))
    assert text_of(stop.ev("&exRect")).startswith("*main.ExRect {")
    assert text_of(stop.ev("(*main.ExRect)(0)")) == "nil"
    assert child_count(stop.ev("(*main.ExRect)(0)")) == 0


@pytest.mark.parametrize("spec", EXPRS, ids=IDS)
def test_a_slice_with_a_nil_data_pointer_says_so(spec: FixtureSpec, fixture: Fixture) -> None:
    """``exNilBase`` (data pointer 0, len 3, cap 3): its text says it has a
    nil data pointer, it has no children, ``len``/``cap`` read its header,
    and indexing or slicing into it is refused with the reason, not an
    unreadable read at address 0."""
    stop = stop_of(fixture)
    v = stop.ev("exNilBase")
    assert text_of(v) == "[]int len: 3, cap: 3, nil data pointer"
    assert child_count(v) == 0 and children(v) == [] and children(v, 0, 3) == []
    assert stop.ev("len(exNilBase)").number() == 3
    assert stop.ev("cap(exNilBase)").number() == 3
    for bad in ("exNilBase[0]", "exNilBase[1:]", "(*&exNilBase)[2]"):
        assert "has a nil data pointer with length 3" in stop.error(bad)
    assert "index out of range [3] with length 3" in stop.error("exNilBase[3]")
    assert text_of(stop.ev("exNilBase[:0]")) == "[]int len: 0, cap: 3, []"


def _entries(vs: list[Value]) -> list[tuple[str, str]]:
    return [(c.name, text_of(c)) for c in vs]


_WINDOWS = {"exBigMap[64:]": (64, 100), "exBigMap[:10]": (0, 10),
            "exBigMap[10:20]": (10, 20), "exBigMap[:]": (0, 100), "exBigMap[100:]": (100, 100),
            "exBigMap[10:20][2:5]": (12, 15), "(*&exBigMap)[97:]": (97, 100)}


@pytest.mark.parametrize("spec", EXPRS, ids=IDS)
def test_a_map_slice_is_a_window_of_its_listing(spec: FixtureSpec, fixture: Fixture) -> None:
    """``m[lo:hi]`` of a map (as in Delve): the map's entries ``lo`` … ``hi`` in
    the order its children are listed, a map of that length whose children
    (paged) are those entries, each of the map (``exBigMap`` holds i → i*i
    for i < 100), indexed by a key inside the window only; Go's bounds
    errors; no 3-index form."""
    stop = stop_of(fixture)
    listing = _entries(children(stop.ev("exBigMap"), 0, 100))
    assert len(listing) == 100
    for expr, (lo, hi) in _WINDOWS.items():
        w = stop.ev(expr)
        want = listing[lo:hi]
        assert w.type_name == "map[int]int" and child_count(w) == hi - lo, expr
        assert stop.ev(f"len({expr})").number() == hi - lo
        assert _entries(children(w)) == want, expr
        assert _entries(children(w, 2, 3)) == want[2:5], expr
        shown = ", ".join(f"{n[1:-1]}: {t}" for n, t in want[:5])
        more = ", …" if len(want) > 5 else ""
        assert text_of(w) == f"map[int]int len: {hi - lo}, [{shown}{more}]"
        for c in children(w):
            key = c.key
            assert key is not None
            k = key.number()
            assert isinstance(k, int) and 0 <= k < 100 and c.number() == k * k
            assert c.expression == f"{expr}[{k}]"
            assert stop.ev(c.expression).number() == k * k
    small = _entries(children(stop.ev("exStructMap")))  # one group without a directory
    assert _entries(children(stop.ev("exStructMap[1:]"))) == small[1:]
    outside = listing[0][0][1:-1]
    assert f"key {outside} not found in exBigMap[64:]" in stop.error(f"exBigMap[64:][{outside}]")
    assert stop.error("exBigMap[:200]") == "slice bounds out of range [:200] with length 100"
    assert stop.error("exBigMap[101:]") == "slice bounds out of range [101:100]"
    assert stop.error("exBigMap[20:10]") == "slice bounds out of range [20:10]"
    assert "3-index slice of map" in stop.error("exBigMap[1:2:3]")
    assert "for built-in cap" in stop.error("cap(exBigMap[1:])")


BIGPANIC = [matrix.spec("1.27", "default", "bigpanic")]


@pytest.mark.parametrize("spec", BIGPANIC, ids=[s.id for s in BIGPANIC])
def test_the_end_of_a_map_of_100000_entries(spec: FixtureSpec, fixture: Fixture) -> None:
    """A window at the end of a 100,000-entry map skips the entries before it
    (counted from the control words, not read as values): fast, and the
    same entries as the map's own listing from there."""
    engine = Engine.open(str(fixture.binary), str(fixture.core))
    g = engine.proc.crashed_goroutine
    assert g is not None
    ref = FrameRef(engine.proc, g.goid, engine.stack(g), 0)
    start = time.perf_counter()
    w = evaluate(ref, "main.bigIndex[99990:]")
    kids = children(w)
    assert time.perf_counter() - start < 2.0
    assert child_count(w) == 10 and len(kids) == 10
    assert text_of(evaluate(ref, "len(main.bigIndex[99990:])")) == "10"
    m = evaluate(ref, "main.bigIndex")
    tail = list(islice(map_pairs(m), 99_990, None))  # every entry built: the slow way
    assert [(k.number(), v.number()) for k, v in tail] == \
        [(c.key.number() if c.key else None, c.number()) for c in kids]
    assert all(c.number() == 3 * (c.key.number() if c.key else -1) for c in kids)
