"""Expressions evaluated on the ``values`` fixture (dapcore.goexpr.evaluator), checked
against what the program wrote (values.json) and against Go's own rules and
messages; ``dapcore print`` with expressions."""

from __future__ import annotations

import json
import struct
from functools import cache
from typing import Any

import pytest

from dapcore.cli import main as cli_main
from dapcore.engine import Engine
from dapcore.errors import DapcoreError
from dapcore.goexpr.evaluator import Constant, EvalError
from dapcore.goexpr.frame import evaluate
from dapcore.goexpr.parser import ParseError
from dapcore.govalues.children import child_count, children
from dapcore.govalues.frame import FrameRef
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import Value
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

SPECS = [make_spec("1.19", "default", "values"), make_spec("1.23", "default", "values"),
         make_spec("1.27", "default", "values"), make_spec("1.27", "noopt", "values")]
IDS = [s.id for s in SPECS]
SC, CO, IF = "main.valuesScalars", "main.valuesComposite", "main.valuesIfaces"


class Frames:
    def __init__(self, fx: Fixture) -> None:
        self.fx = fx
        self.report = Engine.open(fx.binary, fx.core)
        g = self.report.proc.crashed_goroutine
        assert g is not None
        self.goid = g.goid
        self.stack = self.report.stack(g)
        self.index: dict[str, int] = {}
        for i, f in enumerate(self.report.stack(g).frames):
            self.index.setdefault(f.function.split("[")[0], i)
        self.expected = {(e["function"], e["name"]): e["value"] for e in
                         json.loads(fx.side_file("values.json").read_text())["variables"]}

    def ev(self, function: str, text: str) -> Value:
        return evaluate(FrameRef(self.report.proc, self.goid, self.stack, self.index[function]),
                        text)

    def text(self, function: str, text: str) -> str:
        return text_of(self.ev(function, text))

    def error(self, function: str, text: str) -> str:
        with pytest.raises(DapcoreError) as info:
            self.ev(function, text)
        return str(info.value)

    def want(self, function: str, name: str) -> Any:
        return self.expected[(function, name)]


@cache
def _frames(binary: str, core: str, side: str) -> Frames:
    class _Fx:
        pass
    fx = _Fx()
    fx.binary, fx.core = binary, core  # type: ignore[attr-defined]
    fx.side_file = lambda name: __import__("pathlib").Path(side) / name  # type: ignore[attr-defined]
    return Frames(fx)  # type: ignore[arg-type]


def _fr(fixture: Fixture) -> Frames:
    return _frames(str(fixture.binary), str(fixture.core), str(fixture.directory))


def _num(v: Value) -> Any:
    return v.number()


# -- identifiers, literals ------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_identifiers_and_literals(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    assert _num(fr.ev(SC, "count")) == fr.want(SC, "count") == -42
    assert fr.text(SC, "label") == '"paràm"'
    assert fr.text(CO, "expectedVars").startswith("[]main.expectEntry len: ")  # main global
    assert fr.text(CO, "main.expectedVars").startswith("[]main.expectEntry len: ")
    assert _num(fr.ev(CO, "len(os.Args)")) == 2  # pkg.Var
    assert text_of(fr.ev(SC, "os.Args[1]")) == '"values"'
    lit = fr.ev(SC, '"abc"')
    assert isinstance(lit, Constant) and text_of(lit) == '"abc"' and children(lit) == []
    assert child_count(lit) == 0 and lit.type_name == "string"
    assert fr.text(SC, "true") == "true" and fr.text(SC, "!false") == "true"
    assert fr.text(SC, "'a'") == "97 'a'"
    assert fr.text(SC, "0x10 + 1") == "17" and fr.text(SC, "1.5 * 2") == "3"
    assert fr.error(SC, "nope") == "could not find symbol value for nope"
    assert fr.error(SC, "nope.Field") == "could not find symbol value for nope.Field"


# -- indexing and slicing ---------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_index_and_slice(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    nums = fr.want(SC, "nums")
    assert _num(fr.ev(SC, "nums[1]")) == nums["elems"][1]
    assert _num(fr.ev(SC, "len(nums)")) == nums["len"]
    assert _num(fr.ev(SC, "cap(nums)")) == nums["cap"]
    assert fr.text(SC, "nums[1:2]") == f"[]int len: 1, cap: {nums['cap'] - 1}, [{nums['elems'][1]}]"
    three = fr.ev(SC, "nums[1:3:5]")
    assert three.slice_header()[1:] == (2, 4)
    assert [c.number() for c in children(three)] == nums["elems"][1:3]
    assert children(three)[0].expression_path == "nums[1:3:5][0]"
    assert _num(fr.ev(SC, "nums[len(nums)-1]")) == nums["elems"][-1]
    assert _num(fr.ev(SC, "vec[2]")) == fr.want(SC, "vec")["elems"][2]
    assert fr.text(SC, "vec[1:]") == "[]int len: 2, cap: 2, [20, -30]"
    assert fr.text(SC, "label[1:3]") == '"ar"' and _num(fr.ev(SC, "label[0]")) == ord("p")
    assert fr.text(SC, "uni[8:]") == '"世界 🌍"'
    assert fr.text(SC, '"hello"[1:3]') == '"el"'
    assert _num(fr.ev(CO, "backing[2:5:8][2]")) == 16
    assert fr.ev(CO, "window[0:6]").slice_header()[1:] == (6, 6)
    assert fr.text(CO, "points[2].Y") == "9"
    assert fr.text(CO, "strs[2]") == '"ÿ"'
    # Go's messages
    assert fr.error(SC, "nums[5]") == "index out of range [5] with length 4"
    assert fr.error(SC, "vec[3]") == "index out of range [3] with length 3"
    assert fr.error(SC, "label[6]") == "index out of range [6] with length 6"
    assert fr.error(CO, "window[0:7]") == "slice bounds out of range [:7] with capacity 6"
    assert fr.error(CO, "window[3:2]") == "slice bounds out of range [3:2]"
    assert fr.error(CO, "window[1:2:9]") == "slice bounds out of range [::9] with capacity 6"
    assert fr.error(CO, "window[1:5:4]") == "slice bounds out of range [:5:4]"
    assert fr.error(SC, "label[:7]") == "slice bounds out of range [:7] with length 6"
    assert "must not be negative" in fr.error(SC, "nums[-1]")
    assert "must be integer" in fr.error(SC, 'nums["a"]')
    assert "cannot index" in fr.error(SC, "count[0]")
    if spec.id == "go1.23-default-values":  # Go 1.23-1.26 describe no location for grid
        assert fr.text(SC, "grid") == "<optimized out>"
        assert fr.error(SC, "grid[1][2]") == "grid: optimized out"
        assert fr.error(SC, "&grid") == "grid: optimized out"


# -- maps -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_map_index(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    small = fr.want(CO, "small")
    assert small["entries"]
    for key, val in small["entries"]:
        v = fr.ev(CO, f'small["{key["string"]}"]')
        assert v.number() == val and v.key is not None
    assert _num(fr.ev(CO, 'lookup["beta"]')) == 2
    for key, val in fr.want(CO, "medium")["entries"][:3]:
        assert fr.text(CO, f"medium[{key}]") == json.dumps(val["string"])
    assert fr.text(CO, "len(big) == 1500") == "true"
    assert _num(fr.ev(CO, "big[1000]")) == 7000
    assert _num(fr.ev(CO, "big[1499] - big[1]")) == 1499 * 7 - 7
    assert _num(fr.ev(CO, 'byName["far"].X')) == -1000
    assert fr.text(CO, 'byPoint[byName["origin"]]') == '"zero"'  # a struct key
    assert fr.error(CO, 'small["zzz"]') == 'key "zzz" not found in small'
    assert fr.error(CO, "big[-5]") == "key -5 not found in big"
    assert "as string value in map index" in fr.error(CO, "small[1]")
    assert fr.text(CO, "nilMap == nil") == "true" and fr.text(CO, "emptyMap == nil") == "false"
    assert _num(fr.ev(CO, "len(nilMap)")) == 0 and _num(fr.ev(CO, "len(small)")) == 3


# -- fields, pointers, addresses -------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_fields_and_pointers(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    ptr = fr.want(CO, "ptr")
    assert _num(fr.ev(CO, "ptr.X")) == ptr["elem"]["fields"][0]["value"] == 100
    assert fr.text(CO, "*ptr") == "main.ValPoint {X: 100, Y: 200}"
    assert _num(fr.ev(CO, "(*ptr).Y")) == 200
    assert _num(fr.ev(CO, "origin.Y")) == -8
    # promoted through an embedded struct and an embedded pointer
    assert _num(fr.ev(CO, "item.ID")) == 1001 and fr.text(CO, "item.name") == '"widget"'
    assert fr.text(CO, "item.Tags[1]") == '"sale"' and _num(fr.ev(CO, "item.score")) == 0.75
    assert _num(fr.ev(CO, "item.ValBase.ID")) == 1001
    # **T
    pp = fr.ev(CO, "*pp")
    assert pp.type_name == "*main.ValItem"
    assert pp.word(0) == int(fr.want(CO, "pp")["elem"]["addr"], 16)
    assert _num(fr.ev(CO, "(**pp).Price")) == 9.99 and _num(fr.ev(CO, "(*pp).count")) == 3
    assert _num(fr.ev(CO, "loop.Next.Next.Val")) == 1
    # &x and the pointer read back through a conversion of its address
    addr = fr.ev(CO, "&ptr.Y")
    assert addr.type_name == "*int" and addr.word(0) == int(ptr["addr"], 16) + 8
    assert _num(fr.ev(CO, f"*(*int)({addr.word(0):#x})")) == 200
    assert _num(fr.ev(CO, f"(*main.ValPoint)({int(ptr['addr'], 16):#x}).X")) == 100
    assert fr.text(CO, "*(*main.ValPoint)(raw)") == "main.ValPoint {X: 100, Y: 200}"
    assert fr.text(CO, 'byName["unit"] == points[0]') == "true"  # structs compare by fields
    assert fr.text(CO, "*ptr == origin") == "false" and fr.text(SC, "pts == pts") == "true"
    assert fr.text(CO, "&ptr.Y == &ptr.Y") == "true" and fr.text(CO, "ptr == nil") == "false"
    if spec.variant.name == "noopt":  # every local in a stack slot
        n = fr.ev(SC, "&n")
        assert n.type_name == "*int" and text_of(n) == "*int -7"
        assert _num(fr.ev(SC, f"*(*int)({n.word(0):#x})")) == -7
        assert fr.text(SC, "(*&arr)[4]") == "5"
    # errors
    assert fr.error(SC, "count.x") == "count (type int) has no field x"
    assert fr.error(CO, "item.nope") == "item (type *main.ValItem) has no field nope"
    assert "nil pointer dereference" in fr.error(CO, "nilPtr.Price")
    assert "nil pointer dereference" in fr.error(CO, "*nilPtr")
    assert "cannot indirect" in fr.error(SC, "*count")
    assert "cannot take address" in fr.error(SC, "&3")


# -- interfaces --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_interfaces(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    assert fr.want(IF, "typedNil")["dynamicType"] == "*main.ValErr"
    assert fr.text(IF, "typedNil == nil") == "false"  # a typed nil is not nil
    assert fr.text(IF, "typedNil != nil") == "true"
    assert fr.text(IF, "typedNil.(*main.ValErr) == nil") == "true"
    assert fr.text(IF, "nilErr == nil") == "true" and fr.text(IF, "nilAny == nil") == "true"
    box = fr.ev(IF, "box.(main.ValPoint)")
    assert box.type_name == "main.ValPoint" and text_of(box) == "main.ValPoint {X: 5, Y: 6}"
    assert _num(fr.ev(IF, "box.(main.ValPoint).Y")) == 6
    assert _num(fr.ev(IF, "anyInt.(int) + 1")) == 43
    assert _num(fr.ev(IF, "fail.(*main.ValErr).Code")) == 3
    assert fr.text(IF, "fail.(*main.ValErr).Msg") == '"param"'
    assert _num(fr.ev(IF, "float64(stringer.(main.ValCelsius)) * 2")) == 43.0
    assert fr.error(IF, "box.(main.ValErr)") == \
        "interface conversion: interface {} is main.ValPoint, not main.ValErr"
    assert fr.error(IF, "fail.(main.ValPoint)") == \
        "interface conversion: error is *main.ValErr, not main.ValPoint"
    assert fr.error(IF, "nilAny.(int)") == "interface conversion: interface is nil, not int"
    assert "is not an interface" in fr.error(IF, "hits.(int)")
    # interfaces compare by dynamic type and value
    assert fr.text(IF, "box == box") == "true" and fr.text(IF, "box == anyStruct") == "false"
    assert fr.text(IF, "anyInt != anyBig") == "true" and fr.text(IF, "fail == customErr") == "false"
    assert "mismatched types interface {} and error" in fr.error(IF, "nilAny == nilErr")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_fields_through_interfaces(spec: FixtureSpec, fixture: Fixture) -> None:
    """A field of an interface's dynamic value, as Delve finds it (the
    interface unwrapped, a pointer followed): against values.json."""
    fr = _fr(fixture)
    err = fr.want(IF, "customErr")
    assert err["dynamicType"] == "*main.ValErr"
    fields = {f["name"]: f["value"] for f in err["value"]["elem"]["fields"]}
    assert _num(fr.ev(IF, "customErr.Code")) == fields["Code"]
    assert fr.text(IF, "customErr.Msg") == f'"{fields["Msg"]["string"]}"'
    assert fr.ev(IF, "customErr.Code").path == "customErr.Code"
    point = {f["name"]: f["value"] for f in fr.want(IF, "anyStruct")["value"]["fields"]}
    assert _num(fr.ev(IF, "anyStruct.X")) == point["X"] and _num(fr.ev(IF, "anyStruct.Y")) == \
        point["Y"]
    assert _num(fr.ev(IF, "anyStruct.X + anyStruct.Y")) == point["X"] + point["Y"]
    assert fr.error(IF, "nilErr.Code") == "nilErr is a nil error: it has no field Code"
    assert fr.error(IF, "stringer.X") == \
        "stringer (fmt.Stringer holding main.ValCelsius) has no field X"
    assert fr.error(IF, "customErr.Nope") == \
        "customErr (error holding *main.ValErr) has no field Nope"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_channel_internals(spec: FixtureSpec, fixture: Fixture) -> None:
    """A channel's runtime.hchan fields, as Delve shows them, against the
    program's own record of its channels (values.json): the queue read
    from the ring buffer starting at recvx is the queue the program left."""
    fr = _fr(fixture)
    for name in ("ring", "closedCh"):
        want = fr.want(IF, name)
        assert _num(fr.ev(IF, f"{name}.qcount")) == want["len"] == len(want["elems"])
        assert _num(fr.ev(IF, f"{name}.dataqsiz")) == want["cap"]
        assert _num(fr.ev(IF, f"{name}.closed")) == int(want["closed"])
        assert _num(fr.ev(IF, f"len({name}.buf)")) == want["cap"]
        recvx = _num(fr.ev(IF, f"{name}.recvx"))
        got = [fr.ev(IF, f"{name}.buf[{(recvx + i) % want['cap']}]") for i in range(want["len"])]
        elems = [e if isinstance(e, int) else e["string"] for e in want["elems"]]
        assert [_num(v) if v.kind != "string" else text_of(v).strip('"') for v in got] == elems
    assert fr.ev(IF, "ring.dataqsiz").path == "ring.dataqsiz"
    assert fr.error(IF, "nilCh.qcount") == "nilCh is a nil channel: it has no field qcount"
    assert fr.error(IF, "ring.nope") == "ring (type chan int) has no field nope"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_functions_as_values(spec: FixtureSpec, fixture: Fixture) -> None:
    """A function named as a value shows its name, as Delve shows it: the
    same name the program recorded for the func variables it stored them in
    (values.json)."""
    fr = _fr(fixture)
    for var, text in (("mainFn", "main.valuesManhattan"), ("mainFn", "valuesManhattan"),
                      ("named", "strconv.Itoa")):
        want = fr.want(IF, var)["function"]
        assert fr.text(IF, var) == want
        v = fr.ev(IF, text)
        assert text_of(v) == want and v.kind == "func" and children(v) == []
    # method values, through interfaces too: the method of the dynamic type
    # the program recorded, named as Go names methods
    for var, method in (("customErr", "Error"), ("stringer", "String")):
        dyn = fr.want(IF, var)["dynamicType"]
        pkg, _, typ = dyn.lstrip("*").partition(".")
        want = f"{pkg}.(*{typ}).{method}" if dyn.startswith("*") else f"{pkg}.{typ}.{method}"
        v = fr.ev(IF, f"{var}.{method}")
        assert text_of(v) == want and v.kind == "func", var
    assert fr.error(IF, "customErr.Nope") == \
        "customErr (error holding *main.ValErr) has no field Nope"
    assert fr.text(IF, "valuesManhattan == nil") == "false"
    assert fr.text(IF, "nil != strconv.Itoa") == "true"
    assert fr.error(IF, "main.nopeFunc") == "could not find symbol value for main.nopeFunc"
    for text in ("*main.valuesManhattan", "&strconv.Itoa", "len(valuesManhattan)",
                 "valuesManhattan.X", "valuesManhattan[0]", "valuesManhattan + 1"):
        assert isinstance(fr.error(IF, text), str)  # refused with a message, never a bug


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_reinterpreting_memory(spec: FixtureSpec, fixture: Fixture) -> None:
    """Pointer ↔ uintptr ↔ unsafe.Pointer, as Delve allows them: the address
    the program recorded for ``guard`` (values.json), and its fields read
    back through the casts."""
    fr = _fr(fixture)
    guard = fr.want(IF, "guard")
    addr = int(guard["addr"], 16)
    hits = next(f["value"] for f in guard["elem"]["fields"] if f["name"] == "hits")
    for text in ("uintptr(unsafe.Pointer(guard))", "uintptr(guard)"):
        v = fr.ev(IF, text)
        assert v.type_name == "uintptr" and _num(v) == addr, text
    back = "(*main.ValGuarded)(uintptr(unsafe.Pointer(guard)))"
    assert _num(fr.ev(IF, f"{back}.hits")) == hits
    assert _num(fr.ev(IF, f"(*main.ValGuarded)({addr:#x}).hits")) == hits
    assert fr.text(IF, "uintptr(guard) == uintptr(unsafe.Pointer(guard))") == "true"
    assert _num(fr.ev(IF, "uint8(uintptr(guard))")) == addr & 0xFF


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_string_byte_rune_conversions(spec: FixtureSpec, fixture: Fixture) -> None:
    """string(b), []byte(s), []rune(s), string(r) with Go's rules, against
    the program's own slices (values.json) and Python's UTF-8 (one U+FFFD
    per byte that starts no valid sequence, as Go decodes)."""
    fr = _fr(fixture)
    bs, rs, bad = fr.want(SC, "bs"), fr.want(SC, "rs"), fr.want(SC, "badBytes")
    text = bytes(bs["elems"]).decode()
    assert fr.ev(SC, "string(bs)").string_bytes()[0] == bytes(bs["elems"])
    assert fr.ev(SC, "string(rs)").string_bytes()[0] == "".join(map(chr, rs["elems"])).encode()
    assert _num(fr.ev(SC, "len(string(rs))")) == len("".join(map(chr, rs["elems"])).encode())
    b = fr.ev(SC, "[]byte(string(bs))")
    assert b.type_name == "[]uint8" and [_num(c) for c in children(b, 0, 100)] == bs["elems"]
    r = fr.ev(SC, "[]rune(string(bs))")
    assert [_num(c) for c in children(r, 0, 100)] == [ord(c) for c in text]
    assert _num(fr.ev(SC, "len([]rune(string(rs)))")) == rs["len"]
    assert [_num(c) for c in children(fr.ev(SC, "[]rune(string(badBytes))"), 0, 10)] == \
        [ord(c) for c in bytes(bad["elems"]).decode("utf-8", "replace")]
    assert fr.text(SC, f"string(rs[{len(rs['elems']) - 1}])") == f'"{chr(rs["elems"][-1])}"'
    assert fr.text(SC, "string(bs[0])") == f'"{chr(bs["elems"][0])}"'
    assert fr.text(SC, "string(65)") == '"A"' and fr.text(SC, "string(-1)") == '"\ufffd"'
    assert fr.text(SC, "string([]byte(label)) == label") == "true"
    assert fr.text(SC, '[]byte("abc")[1]') == "98"
    assert fr.error(SC, "string(f64)") == \
        "cannot convert f64 (variable of type float64) to type string"


# -- conversions, arithmetic, comparison ------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_arithmetic_and_conversions(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    assert fr.want(SC, "i16") == -12345
    cases = {
        "int8(i16)": (-57, "int8"), "uint8(i16)": (199, "uint8"),
        "int64(i16) * 2": (-24690, "int64"),
        "i8 - 1": (127, "int8"), "-i8": (-128, "int8"), "u64 + 1": (0, "uint64"),
        "u8 << 1": (254, "uint8"), "^u8": (0, "uint8"), "u16 &^ 1": (54320, "uint16"),
        "n*3 + 1": (-20, "int"), "n / 2": (-3, "int"), "n % 3": (-1, "int"), "-n": (7, "int"),
        "^n": (6, "int"), "n | 8": (-7, "int"), "n & 0xff": (249, "int"), "n >> 1": (-4, "int"),
        "i32 + 1": (-(1 << 31), "int32"), "int(f64)": (3, "int"), "uint32(un) * 2": (84, "uint32"),
        "float64(count) / 4": (-10.5, "float64"), "f64 * 2": (6.283185307179586, "float64"),
        "7 / 2": (3, "int"), "7.0 / 2": (3.5, "float64"), "1 << 70 >> 68": (4, "int"),
    }
    for text, (value, typ) in cases.items():
        v = fr.ev(SC, text)
        assert (v.number(), v.type_name) == (value, typ), text
    assert fr.text(SC, "f32 + 1") == "4.14159"  # rounded to float32
    assert fr.text(SC, "c64 * 2") == "(3-4.5i)"
    for text, want in {"count > -50": "true", "count == -42": "true", "ratio >= 2.5": "true",
                       "u8 == 255": "true", "i8 < 0 && u8 > 0": "true", "yes != no": "true",
                       'label == "paràm"': "true", 'label < "q"': "true", "nan == nan": "false",
                       "len(long) == 1600": "true", '"a" + "b" == "ab"': "true"}.items():
        assert fr.text(SC, text) == want, text
    assert fr.error(SC, "i8 + i16") == \
        "invalid operation: i8 + i16 (mismatched types int8 and int16)"
    assert fr.error(SC, "count + ratio") == \
        "invalid operation: count + ratio (mismatched types int and float64)"
    assert "mismatched types" in fr.error(SC, 'count == "a"') or \
        "cannot use" in fr.error(SC, 'count == "a"')
    assert "overflows" in fr.error(SC, "i8 + 1000")
    assert "overflows" in fr.error(SC, "int8(300)")
    assert "truncated" in fr.error(SC, "count + 1.5")
    assert fr.error(SC, "count / 0") == "integer divide by zero"
    assert fr.error(SC, "1 / 0") == "invalid operation: division by zero"
    assert "not defined" in fr.error(SC, "label - label")
    assert "not defined" in fr.error(SC, "!count")
    assert "not defined" in fr.error(SC, "yes < no")


# -- numeric builtins: real, imag, complex, min, max ------------------------------------


def _float_text(text: str) -> float:
    return float(text.replace("+Inf", "inf").replace("-Inf", "-inf"))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_numeric_builtins(spec: FixtureSpec, fixture: Fixture) -> None:
    """Against the program's own values (values.json) and Go's typing rules:
    they are computed from the core, not called."""
    fr = _fr(fixture)
    for name, part_type in (("c64", "float32"), ("c128", "float64")):
        want = fr.want(SC, name)
        for part in ("real", "imag"):
            v = fr.ev(SC, f"{part}({name})")
            assert v.type_name == part_type
            assert _num(v) == _float_text(want[part]), (name, part)
    z = fr.ev(SC, "complex(f32, 0.5)")
    assert z.type_name == "complex64"
    f32 = struct.unpack("<f", struct.pack("<f", float(fr.want(SC, "f32"))))[0]
    assert _num(z) == complex(f32, 0.5)  # f32's float32 value, exactly
    assert fr.ev(SC, "complex(f64, f64)").type_name == "complex128"
    assert fr.text(SC, "complex(1, 2)") == "(1+2i)" and fr.text(SC, "real(2+3i)") == "2"
    assert fr.text(SC, "imag(5)") == "0"
    count, i8 = fr.want(SC, "count"), fr.want(SC, "i8")
    assert _num(fr.ev(SC, "min(count, 3, -7)")) == min(count, 3, -7)
    assert _num(fr.ev(SC, "max(count, 3, -7)")) == max(count, 3, -7)
    m = fr.ev(SC, "max(i8, -100)")
    assert m.type_name == "int8" and _num(m) == max(i8, -100)
    assert fr.text(SC, "min(f64, nan)") == "NaN"  # a NaN operand wins
    assert fr.text(SC, "max(label, \"zzz\")") == '"zzz"'
    assert fr.text(SC, "min(label, \"zzz\")") == '"paràm"'
    assert fr.text(SC, "min(1, 2.5)") == "1" and fr.text(SC, "max(\"a\", \"b\")") == '"b"'
    assert fr.text(SC, "min(0.0, -0.0)") == "0"  # constants have no negative zero
    assert fr.error(SC, "real(f64)") == \
        "invalid argument: f64 (variable of type float64) not of complex type"
    assert "mismatched types int (previous argument) and int8" in fr.error(SC, "min(count, i8)")
    assert "mismatched types float32" in fr.error(SC, "complex(f32, f64)")
    assert fr.error(SC, "min()") == "not enough arguments in call to min"
    assert fr.error(SC, "real(c64, c64)") == "too many arguments in call to real"
    assert "cannot be ordered" in fr.error(SC, "max(c64, c64)")
    assert "function calls are not possible" not in fr.error(SC, "real(label)")


# -- what cannot be done on a core -------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS[-2:], ids=IDS[-2:])
def test_refusals_and_never_a_bug(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    assert fr.error(IF, "valuesKeep(1)") == \
        "function calls are not possible on a core file: valuesKeep"
    assert fr.error(IF, "strconv.Itoa(3)") == \
        "function calls are not possible on a core file: strconv.Itoa"
    assert fr.error(IF, "<-ring") == "receiving from a channel is not possible on a core file"
    with pytest.raises(ParseError, match="assignment is not possible"):
        fr.ev(IF, "hits = 3")
    with pytest.raises(ParseError):
        fr.ev(IF, "hits +")
    assert "could not find type" in fr.error(IF, "(*main.Nope)(0x10)")
    odd = ["box.X", "ring[0]", "ring + 1", "conv == conv", "fixed.wall + fixed", "(*int)(label)",
           "*(*int)(0x10)", "nilFn == nil", "len(hits)", "cap(box)", "guard.mu.state", "typedNil.X",
           "fixed < fixed", "box == box", "main.ValPoint(3)", "int(label)", "string(65)",
           "[]byte(tag)",
           "tag[:8][1:][0]", "typedNil.(error)", "nil == nil", "-label", "hits << -1", "1.5 << 2",
           "(*[2]int)(0x10)[1]", "os.Nope", '"a/b".Var', "x.(type)"]
    for text in odd:
        try:
            v = fr.ev(IF, text)
        except DapcoreError as exc:
            assert isinstance(exc, EvalError | ParseError) or str(exc), text
            continue
        assert isinstance(text_of(v), str), text
    assert fr.text(IF, "nilFn == nil") == "true" and fr.text(IF, "conv == nil") == "false"
    assert fr.text(IF, "*(*int)(0x10)") == "<unreadable 0x10>"


# -- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS[-1:], ids=IDS[-1:])
def test_cli_print_expressions(spec: FixtureSpec, fixture: Fixture,
                               capsys: pytest.CaptureFixture[str]) -> None:
    fr = _fr(fixture)
    b, c = str(fixture.binary), str(fixture.core)
    fc, fi = str(fr.index[CO]), str(fr.index[IF])
    assert cli_main(["print", b, c, "len(big) == 1500", "-f", fc]) == 0
    assert capsys.readouterr().out == "true\n"
    assert cli_main(["print", b, c, "ptr.X + ptr.Y", "-f", fc]) == 0
    assert capsys.readouterr().out == "300\n"
    assert cli_main(["print", b, c, "box.(main.ValPoint)", "-f", fi, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["type"] == "main.ValPoint" and data["value"] == "main.ValPoint {X: 5, Y: 6}"
    assert [(k["name"], k["value"]) for k in data["children"]] == [("X", "5"), ("Y", "6")]
    assert cli_main(["print", b, c, "nums[1:3]", "-f", fc, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["type"] == "[]int" and [k["value"] for k in data["children"]] == ["22", "33"]
    assert cli_main(["print", b, c, '"abc"', "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"name": '"abc"', "type": "string",
                                                   "value": '"abc"'}
    assert cli_main(["print", b, c, "ring", "-f", fi]) == 0  # plain identifiers as before
    assert capsys.readouterr().out == "chan int 3/4\n"
    assert cli_main(["print", b, c, "os.Args", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "[]string"
    assert cli_main(["print", b, c, "nums[9]", "-f", fc]) == 1
    assert "index out of range [9] with length 4" in capsys.readouterr().err
    assert cli_main(["print", b, c, "valuesKeep()", "-f", fc]) == 1
    assert "function calls are not possible on a core file" in capsys.readouterr().err
    assert cli_main(["print", b, c, "nums[", "-f", fc]) == 1
    err = capsys.readouterr().err
    assert "column" in err and "nums[\n" in err and "^" in err
    assert cli_main(["print", b, c, "nope", "-f", fc]) == 1
    assert "could not find symbol value for nope" in capsys.readouterr().err


# -- type assertions to interface types ---------------------------------------------------


@pytest.mark.parametrize("spec", SPECS[:3], ids=IDS[:3])
def test_assert_to_interface(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    ce = fr.ev(IF, "customErr.(error)")
    assert ce.type_name == "error" and text_of(ce).startswith("error(*main.ValErr) ")
    assert ce.name == "customErr.(error)"
    assert _num(fr.ev(IF, "customErr.(error).(*main.ValErr).Code")) == 7
    pe = fr.ev(IF, "plainErr.(error)")
    assert pe.type_name == "error" and text_of(pe).startswith("error(*errors.errorString) ")
    assert fr.error(IF, "anyStruct.(error)") == \
        "interface conversion: main.ValPoint is not error: missing method Error"
    st = fr.ev(IF, "stringer.(fmt.Stringer)")
    assert st.type_name == "fmt.Stringer" and text_of(st) == "fmt.Stringer(main.ValCelsius) 21.5"
    assert fr.error(IF, "anyInt.(fmt.Stringer)") == \
        "interface conversion: int is not fmt.Stringer: missing method String"
    assert fr.error(IF, "nilAny.(error)") == "interface conversion: interface is nil, not error"
    assert fr.error(IF, "nilErr.(any)") == "interface conversion: interface is nil, not any"
    a = fr.ev(IF, "anyStruct.(any)")
    assert a.type_name == "interface {}" and \
        text_of(a) == "interface {}(main.ValPoint) main.ValPoint {X: 3, Y: 4}"
    assert text_of(fr.ev(IF, "anyStruct.(interface{})")) == text_of(a)
    assert text_of(fr.ev(IF, "customErr.(any)")).startswith("interface {}(*main.ValErr) ")
    assert _num(fr.ev(IF, "box.(any).(main.ValPoint).X")) == 5
    # typed nil: a non-nil interface holding a nil *ValErr, which has Error
    assert fr.text(IF, "typedNil.(error)") == "error(*main.ValErr) nil"
    assert fr.text(IF, "typedNil.(error) != nil") == "true"
    # from any to a non-empty interface: the program's itab for the pair
    ae = fr.ev(IF, "customErr.(any).(error)")
    assert ae.type_name == "error" and text_of(ae) == text_of(ce)
    assert fr.text(IF, "customErr.(any).(error) == customErr") == "true"
    assert fr.text(IF, "stringer.(any).(fmt.Stringer)") == text_of(st)
    assert fr.text(IF, "plainErr.(any).(error)") == text_of(pe)
    assert fr.error(IF, "box.(fmt.Stringer)") == \
        "interface conversion: main.ValPoint is not fmt.Stringer: missing method String"
    assert fr.error(IF, "customErr.(fmt.Stringer)") == \
        "interface conversion: *main.ValErr is not fmt.Stringer: missing method String"
    assert fr.error(IF, "stringer.(error)") == \
        "interface conversion: main.ValCelsius is not error: missing method Error"
    # unexported interface methods are qualified by their package path
    from dapcore.govalues.methods import interface_methods, missing_method
    from dapcore.govalues.values import ValueContext

    ctx = ValueContext(fr.report.proc)

    def rt(name: str) -> int:
        t = ctx.types.by_name(name)
        assert t is not None and t.runtime_type is not None, name
        return ctx.types_base + t.runtime_type

    hidden = [(m.name, m.pkg_path) for m in interface_methods(ctx, rt("reflect.Type"))
              if not m.exported]
    assert hidden == [("common", "reflect"), ("uncommon", "reflect")]
    assert missing_method(ctx, rt("*reflect.rtype"), rt("reflect.Type")) is None
    assert missing_method(ctx, rt("*sync.Mutex"), rt("reflect.Type")) == "Align"



@pytest.mark.parametrize("spec", SPECS[-2:-1], ids=IDS[-2:-1])
def test_assert_to_interface_without_itab(spec: FixtureSpec, fixture: Fixture,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """No itab for the pair in the core: the dynamic value, presented as an I."""
    from dapcore.govalues import methods

    fr = _fr(fixture)
    want = fr.text(IF, "customErr")
    monkeypatch.setattr(methods, "find_itab", lambda *a: None)
    v = fr.ev(IF, "customErr.(any).(error)")
    assert v.type_name == "error" and text_of(v) == want
    assert child_count(v) == 1 and children(v)[0].type_name == "*main.ValErr"
    assert _num(fr.ev(IF, "customErr.(any).(error).(*main.ValErr).Code")) == 7
    assert fr.text(IF, "customErr.(any).(error) == customErr") == "true"
    assert fr.text(IF, "customErr.(any).(error) != nil") == "true"
    assert fr.text(IF, "customErr.(any).(error).(any)") == fr.text(IF, "customErr.(any)")
    assert fr.error(IF, "customErr.(any).(error).(main.ValPoint)") == \
        "interface conversion: error is *main.ValErr, not main.ValPoint"


def test_uncommon_offsets() -> None:
    """Where abi.UncommonType follows each kind's struct (internal/abi/type.go)."""
    from dapcore.goruntime import rtype
    from dapcore.govalues.methods import uncommon_offset

    assert uncommon_offset(rtype.INT) == 48 and uncommon_offset(rtype.STRUCT) == 80
    assert uncommon_offset(rtype.POINTER) == 56 and uncommon_offset(rtype.FUNC) == 56
    assert uncommon_offset(rtype.SLICE) == 56 and uncommon_offset(rtype.ARRAY) == 72
    assert uncommon_offset(rtype.CHAN) == 64 and uncommon_offset(rtype.INTERFACE) == 80
    assert uncommon_offset(rtype.MAP, swiss_maps=False) == 88
    assert uncommon_offset(rtype.MAP, swiss_maps=True) == 112
