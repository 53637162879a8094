"""Every expression of the ``exprs`` fixture (tests/fixtures/zoo/scenario_exprs.go),
evaluated in the frame that stopped at ``runtime.Breakpoint()``, against what
the program computed in Go (``exprs.json``): the value in expect.go's encoding,
the type as ``%T`` prints it, and, where the program wrote one, the display
text. On every release of the matrix and every variant with DWARF (optimized
or not, PIE, -trimpath, static)."""

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
from dapcore.goexpr.operands import FunctionValue
from dapcore.govalues.children import child_count, children
from dapcore.govalues.frame import FrameRef
from dapcore.govalues.maps import map_pairs
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import Value
from tests.factory import Fixture, FixtureSpec, full_matrix, matrix
from tests.test_values import _drop_errors, _first_diff, canon

EXPRS = [s for s in full_matrix() if s.variant.dwarf and s.scenario.name == "exprs"]
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
    if "value" in entry and isinstance(v, FunctionValue):  # named, not read from memory
        if {"function": v.function} != entry["value"]:
            return f"{expr}: function {v.function}, want {entry['value']}"
    elif "value" in entry:
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


REFUSALS = [s for s in EXPRS
            if s.toolchain.minor in ("1.19", "1.27") and s.variant.name == "default"]


@pytest.mark.parametrize("spec", REFUSALS, ids=[s.id for s in REFUSALS])
def test_refusals_say_what_to_do(spec: FixtureSpec, fixture: Fixture) -> None:
    stop = stop_of(fixture)
    calls = "function calls are not possible on a core file"
    assert stop.error("exDouble(2)") == f"{calls}: exDouble"
    assert stop.error("strconv.Itoa(2)") == f"{calls}: strconv.Itoa"
    assert stop.error("exErrIface.Error()") == (
        f"{calls}: exErrIface.Error (nothing runs on a core file: read exErrIface's fields "
        "instead, or exErrIface.(data) for the value an interface holds)")
    assert stop.error("new(int)") == f"{calls}: new (new allocates memory, which a core file " \
        "cannot do)"
    assert stop.error("main.ExPoint") == (
        "main.ExPoint is a type, not a value: convert to it, main.ExPoint(x), or read memory "
        "as one, *(*main.ExPoint)(address)")
    assert stop.error("exNilAny.(data)") == "exNilAny is a nil interface: it holds no data"
    assert stop.error("exBytes == exBytes") == (
        "invalid operation: exBytes (variable of type []uint8): a slice can only be compared "
        "to nil")
    assert stop.error("exI + exText") == \
        "invalid operation: exI + exText (mismatched types int and string)"
    assert stop.error('(*"struct { Z int }")(exRectAddr)') == \
        "could not find type struct { Z int }"
    assert stop.error("(*nosuch.T)(exRectAddr)") == "could not find type nosuch.T"
    assert stop.error("exAny.(main.ExPoint)") == \
        "interface conversion: interface {} is main.ExRect, not main.ExPoint"
    assert stop.error("exAny.Nope") == "exAny (interface {} holding main.ExRect) has no field Nope"


@pytest.mark.parametrize("spec", REFUSALS, ids=[s.id for s in REFUSALS])
def test_short_and_quoted_type_names(spec: FixtureSpec, fixture: Fixture) -> None:
    stop = stop_of(fixture)
    v = stop.ev('(*"main.ExRect")(exRectAddr)')
    assert v.type_name == "*main.ExRect"
    assert stop.ev('(*"main.ExRect")(exRectAddr)').expression == \
        '(*"main.ExRect")(exRectAddr)'
    # runtime-internal types by their package's last path element
    hchan = stop.ev("(*runtime.hchan)(*(*uintptr)(unsafe.Pointer(&exChBuf))).qcount")
    assert hchan.number() == 2
    assert stop.ev("exFn").type_name == "func(int) int"
    assert stop.ev("main.exSetGlobals").type_name == "func()"
    assert stop.ev("exErrIface.Error").type_name == "func() string"
    assert text_of(stop.ev("exErrIface.Error")) == "main.(*ExErr).Error"


# What the fuzzer puts around, into and after the program's expressions.
_WRAPS = ("*{}", "&{}", "len({})", "cap({})", "{}.(data)", "{}[0]", "{}[1:]", "{}[:2]",
          "{}.X", "{}.buf[0]", "({}).qcount", "-{}", "!{}", "^{}", "{} + 1", "{} == nil",
          "{} < {}", "string({})", "[]byte({})", "[]rune({})", "uintptr({})",
          "(*main.ExRect)({})", "*(*int)(unsafe.Pointer({}))", "{}.(error)",
          "{}.(main.ExShape)", "complex({}, {})", "min({}, 1)", "max({}, {})", "real({})",
          "{}[{}]", "(*\"struct {{ A int; B string }}\")({})", "{}.Next.Next.Val",
          "main.ExString({})", "int8({})", "float32({})", "{}[64:]", "{} / 0", "{} << 70")
_NOISE = [*"()[]{}*&.,:+-<>=!^\"'0123456789abcXY _", "nil", "data", "0x", "1e400"]


def _fuzz_cases(entries: list[dict[str, Any]], rng: Any) -> list[str]:
    exprs = [e["expr"] for e in entries]
    out = [w.format(*(rng.choice(exprs) for _ in range(w.count("{}"))))
           for w in _WRAPS for _ in range(6)]
    for _ in range(1000):
        s = list(rng.choice(exprs))
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(s) + 1)
            if rng.random() < 0.5 and pos < len(s):
                del s[pos]
            else:
                s.insert(pos, rng.choice(_NOISE))
        out.append("".join(s))
    return out


FUZZED = [s for s in EXPRS if s.id in ("go1.19-default-exprs", "go1.27-noopt-exprs")]


@pytest.mark.parametrize("spec", FUZZED, ids=[s.id for s in FUZZED])
def test_no_expression_gives_an_internal_error(spec: FixtureSpec, fixture: Fixture) -> None:
    """Mutations of the program's expressions, and the expressions inside one
    another: each evaluates, or is refused with a message; the result's text
    and first children read without an exception other than dapcore's own."""
    import random

    from dapcore.govalues.children import children
    stop = stop_of(fixture)
    answered = refused = 0
    for text in _fuzz_cases(stop.entries, random.Random(13)):
        try:
            v = stop.ev(text)
            text_of(v)
            for c in children(v, 0, 3):
                text_of(c)
            answered += 1
        except DapcoreError:
            refused += 1
        except Exception as exc:
            pytest.fail(f"{text!r}: {type(exc).__name__}: {exc}")
    print(f"\n{spec.id}: {answered} answered, {refused} refused")
    assert answered >= 50 and refused >= 500
# Composite literals Go refuses, in its compiler's words; and the ones dapcore
# cannot make, said so (never a Python exception).
LITERAL_ERRORS = [
    ("main.ExPoint{Z: 1}", "unknown field Z in struct literal of type main.ExPoint"),
    ("exStructMap[main.ExPoint{Z: 1}]", "unknown field Z in struct literal of type main.ExPoint"),
    ("main.ExPoint{1}", "too few values in struct literal of type main.ExPoint"),
    ("main.ExPoint{1, 2, 3}", "too many values in struct literal of type main.ExPoint"),
    ("main.ExPoint{X: 1, 2}", "mixture of field:value and value elements in struct literal"),
    ("main.ExPoint{1, Y: 2}", "mixture of field:value and value elements in struct literal"),
    ("main.ExPoint{X: 1, X: 2}", "duplicate field name X in struct literal"),
    ("main.ExPoint{1 + 1: 2}", "invalid field name 1 + 1 in struct literal"),
    ('main.ExPoint{"a", 2}',
     'cannot use "a" (untyped string constant) as int value in struct literal'),
    ("main.ExPoint{exF, 2}",
     "cannot use exF (variable of type float64) as int value in struct literal"),
    ("main.ExPoint{1.5, 2}",
     "cannot use 1.5 (untyped float constant) as int value in struct literal (truncated)"),
    ("main.ExKey{N: 300}",
     "cannot use 300 (untyped int constant) as int8 value in struct literal (overflows)"),
    ("main.ExKey{Pt: {1, 2}}", "missing type in composite literal {1, 2}"),
    ("[2]main.ExPoint{{1}, {1, 2}}", "too few values in struct literal of type main.ExPoint"),
    ("[2]int{{1}, 2}", "invalid composite literal type int"),
    ("[2]int{1, 2, 3}", "index 2 is out of bounds (>= 2)"),
    ("[2]int{5: 1}", "invalid argument: index 5 out of bounds [0:2]"),
    ("[2]int{exI: 1}", "index exI must be integer constant"),
    ("[2]int{-1: 1}", "invalid argument: index -1 (constant of type int) must not be negative"),
    ("[]int{1: 1, 1: 2}", "duplicate index 1 in array or slice literal"),
    ("[]int{exText}",
     "cannot use exText (variable of type string) as int value in array or slice literal"),
    ("exStructMap[main.ExRect{}]",
     "cannot use main.ExRect{} (value of type main.ExRect) as main.ExPoint value in map index"),
    ("exStructMap[main.ExPoint{7, 7}]", "key main.ExPoint{7, 7} not found in exStructMap"),
    ("exI{}", "exI is not a type"),
    ("main.NoSuchType{}", "could not find type main.NoSuchType"),
    ('map[string]int{"a": 1}', "map literals are not supported in expressions "
     "(map[string]int): a map cannot be made on a core"),
    ("main.ExHolder{exAny, \"x\"}",
     "cannot use exAny (variable of type interface {}) as main.ExShape value in struct "
     "literal: making an interface value is not supported in expressions"),
    ("main.ExHolder{ExShape: main.ExRect{}}",
     "cannot use main.ExRect{} (variable of type main.ExRect) as main.ExShape value in "
     "struct literal: making an interface value is not supported in expressions"),
    ("[1099511627776]int{}",
     "a composite literal of type [1099511627776]int (8796093022208 bytes) is too large"),
    ("[]int{1099511627776: 1}",
     "a composite literal of type [1099511627777]int (8796093022216 bytes) is too large"),
    ("&main.ExPoint{}",
     "invalid operation: cannot take address of main.ExPoint{} (value not in memory)"),
    ("(main.ExPoint){}", "cannot parenthesize type in composite literal at column 15"),
]


@pytest.mark.parametrize("spec", EXPRS[:1] + EXPRS[-1:], ids=IDS[:1] + IDS[-1:])
def test_composite_literal_errors(spec: FixtureSpec, fixture: Fixture) -> None:
    stop = stop_of(fixture)
    wrong = [f"{text}: {got!r}, want {want!r}" for text, want in LITERAL_ERRORS
             if (got := stop.error(text)) not in (want, f"{text}: {want}")]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("spec", EXPRS[:1] + EXPRS[-1:], ids=IDS[:1] + IDS[-1:])
def test_composite_literal_values(spec: FixtureSpec, fixture: Fixture) -> None:
    """A literal alone is a value like any: shown, expanded, its parts named
    by expressions that evaluate to them."""
    stop = stop_of(fixture)
    v = stop.ev('main.ExAB{B: "bee", A: exI}')
    assert text_of(v) == 'main.ExAB {A: -7, B: "bee"}' and v.type_name == "main.ExAB"
    assert v.expression == 'main.ExAB{B: "bee", A: exI}'
    kids = children(v)
    assert [k.expression for k in kids] == ['main.ExAB{B: "bee", A: exI}.A',
                                            'main.ExAB{B: "bee", A: exI}.B']
    assert [text_of(stop.ev(k.expression)) for k in kids] == ["-7", '"bee"']
    nested = stop.ev("[2]main.ExRect{1: {W: 2, Corner: main.ExPoint{Y: exJ}}}")
    assert text_of(nested) == ("[2]main.ExRect [main.ExRect {W: 0, H: 0, Corner: main.ExPoint "
                               "{…}}, main.ExRect {W: 2, H: 0, Corner: main.ExPoint {…}}]")
    assert text_of(stop.ev("[2]main.ExRect{1: {W: 2, Corner: main.ExPoint{Y: exJ}}}[1]"
                           ".Corner")) == "main.ExPoint {X: 0, Y: 12}"
    s = stop.ev('[]string{2: "c", 0: exText}')
    assert text_of(s) == '[]string len: 3, cap: 3, ["héllo, 世界", "", "c"]'
    assert text_of(stop.ev("main.ExPoint{} == main.ExPoint{0, 0}")) == "true"
    assert text_of(stop.ev("struct{}{}")) == "struct {} {}"
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


@pytest.mark.parametrize("spec", REFUSALS, ids=[s.id for s in REFUSALS])
def test_map_entries_with_composite_keys_have_expressions(spec: FixtureSpec,
                                                          fixture: Fixture) -> None:
    """An entry of a map whose keys are structs or arrays has an expression
    (a composite literal key) that evaluates to the same entry."""
    stop = stop_of(fixture)
    checked = 0
    for name in ("exStructMap", "exArrMap", "exKeyMap"):
        m = stop.ev(name)
        for entry in children(m):
            assert entry.expression is not None, entry.path
            again = stop.ev(entry.expression)
            assert text_of(again) == text_of(entry), entry.expression
            checked += 1
    assert checked >= 4
    assert {e.expression for e in children(stop.ev("exArrMap"))} == {
        "exArrMap[[2]int{5, 6}]"}
