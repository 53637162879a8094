"""The debugger expression parser (pure syntax: no core needed)."""

from __future__ import annotations

import random
import time

import pytest

from dapcore.errors import DapcoreError
from dapcore.goexpr.lexer import TokenKind, tokenize
from dapcore.goexpr.parser import (
    CALLS_IMPOSSIBLE,
    ArrayType,
    BasicLit,
    Binary,
    Call,
    ChanDir,
    ChanType,
    CompositeLit,
    Conversion,
    Evaluator,
    Expr,
    FuncType,
    Ident,
    Index,
    InterfaceType,
    KeyValue,
    LitKind,
    MapType,
    ParseError,
    PointerType,
    Selector,
    Slice,
    SliceType,
    StructType,
    TypeAssert,
    TypeName,
    Unary,
    builtin_name,
    callee_type,
    dotted_name,
    expr_as_type,
    parse,
    parse_type,
)

Id, N = Ident, TypeName


def lit(kind: LitKind, value: object) -> BasicLit:
    return BasicLit(kind, value)  # type: ignore[arg-type]


def INT(v: int) -> BasicLit:
    return lit(LitKind.INT, v)


def STR(v: str) -> BasicLit:
    return lit(LitKind.STRING, v)


def roundtrip(text: str) -> Expr:
    """Parse, and check that printing it back parses to the same tree."""
    e = parse(text)
    printed = str(e)
    assert parse(printed) == e, (text, printed)
    assert str(parse(printed)) == printed  # canonical: a fixed point
    return e


# ---------------------------------------------------------------------------
# forms: (source, AST, canonical text)

FORMS = [
    ("x", Id("x"), "x"),
    ("_", Id("_"), "_"),
    ("héllo", Id("héllo"), "héllo"),
    ("日本語", Id("日本語"), "日本語"),
    ("x1_y", Id("x1_y"), "x1_y"),
    ("true", Id("true"), "true"),
    ("nil", Id("nil"), "nil"),
    ("pkg.Var", Selector(Id("pkg"), "Var"), "pkg.Var"),
    ("a.b.c", Selector(Selector(Id("a"), "b"), "c"), "a.b.c"),
    ('"path/to/pkg".Var', Selector(STR("path/to/pkg"), "Var"), '"path/to/pkg".Var'),
    ("a[i]", Index(Id("a"), Id("i")), "a[i]"),
    ('m["key"]', Index(Id("m"), STR("key")), 'm["key"]'),
    ("m[3]", Index(Id("m"), INT(3)), "m[3]"),
    ("a[i][j].f", Selector(Index(Index(Id("a"), Id("i")), Id("j")), "f"), "a[i][j].f"),
    ("a[i:j]", Slice(Id("a"), Id("i"), Id("j")), "a[i:j]"),
    ("a[i:]", Slice(Id("a"), Id("i")), "a[i:]"),
    ("a[:j]", Slice(Id("a"), None, Id("j")), "a[:j]"),
    ("a[:]", Slice(Id("a")), "a[:]"),
    ("a[i:j:k]", Slice(Id("a"), Id("i"), Id("j"), Id("k")), "a[i:j:k]"),
    ("a[:j:k]", Slice(Id("a"), None, Id("j"), Id("k")), "a[:j:k]"),
    ("a[ 1 + 2 : n ]", Slice(Id("a"), Binary("+", INT(1), INT(2)), Id("n")), "a[1 + 2:n]"),
    ("*p", Unary("*", Id("p")), "*p"),
    ("&x", Unary("&", Id("x")), "&x"),
    ("-x", Unary("-", Id("x")), "-x"),
    ("+x", Unary("+", Id("x")), "+x"),
    ("!b", Unary("!", Id("b")), "!b"),
    ("^x", Unary("^", Id("x")), "^x"),
    ("<-ch", Unary("<-", Id("ch")), "<-ch"),
    ("**pp", Unary("*", Unary("*", Id("pp"))), "**pp"),
    ("- -x", Unary("-", Unary("-", Id("x"))), "- -x"),
    ("-(-x)", Unary("-", Unary("-", Id("x"))), "- -x"),
    ("& &x", Unary("&", Unary("&", Id("x"))), "& &x"),
    ("&(^x)", Unary("&", Unary("^", Id("x"))), "& ^x"),
    ("*p.f", Unary("*", Selector(Id("p"), "f")), "*p.f"),
    ("(*p).f", Selector(Unary("*", Id("p")), "f"), "(*p).f"),
    ("(*p)", Unary("*", Id("p")), "*p"),
    ("((x))", Id("x"), "x"),
    ("&a[0].f", Unary("&", Selector(Index(Id("a"), INT(0)), "f")), "&a[0].f"),
    ("len(x)", Call(Id("len"), (Id("x"),)), "len(x)"),
    ("cap(s.buf)", Call(Id("cap"), (Selector(Id("s"), "buf"),)), "cap(s.buf)"),
    ("f()", Call(Id("f")), "f()"),
    ("f(a, b,)", Call(Id("f"), (Id("a"), Id("b"))), "f(a, b)"),
    ("f(a, xs...)", Call(Id("f"), (Id("a"), Id("xs")), True), "f(a, xs...)"),
    ("pkg.F(1)(2)", Call(Call(Selector(Id("pkg"), "F"), (INT(1),)), (INT(2),)), "pkg.F(1)(2)"),
    ("int64(x)", Call(Id("int64"), (Id("x"),)), "int64(x)"),
    ("uint8(x + 1)", Call(Id("uint8"), (Binary("+", Id("x"), INT(1)),)), "uint8(x + 1)"),
    ("float64(n)", Call(Id("float64"), (Id("n"),)), "float64(n)"),
    ("(int64)(x)", Call(Id("int64"), (Id("x"),)), "int64(x)"),
    ("x.(T)", TypeAssert(Id("x"), N("T")), "x.(T)"),
    ("x.(*pkg.T)", TypeAssert(Id("x"), PointerType(N("T", "pkg"))), "x.(*pkg.T)"),
    ('x.("a/b.c".T)', TypeAssert(Id("x"), N("T", "a/b.c")), 'x.("a/b.c".T)'),
    ("x.(error).Error", Selector(TypeAssert(Id("x"), N("error")), "Error"), "x.(error).Error"),
    (
        "x.(G[int, string])",
        TypeAssert(Id("x"), N("G", None, (N("int"), N("string")))),
        "x.(G[int, string])",
    ),
    (
        "(*T)(0xc000010000)",
        Conversion(PointerType(N("T")), lit(LitKind.INT, 0xC000010000)),
        "(*T)(0xc000010000)",
    ),
    ("*(*T)(0xaddr0)", None, None),  # not a number: error, tested below
    (
        "*(*main.T)(0xc0)",
        Unary("*", Conversion(PointerType(N("T", "main")), INT(0xC0))),
        "*(*main.T)(0xc0)",
    ),
    ("(**T)(p)", Conversion(PointerType(PointerType(N("T"))), Id("p")), "(**T)(p)"),
    ("(*p.f)(x)", Conversion(PointerType(N("f", "p")), Id("x")), "(*p.f)(x)"),
    (
        "(*a.b.c)(x)",
        Call(Unary("*", Selector(Selector(Id("a"), "b"), "c")), (Id("x"),)),
        "(*a.b.c)(x)",
    ),
    ("[]byte(s)", Conversion(SliceType(N("byte")), Id("s")), "[]byte(s)"),
    ("([]byte)(s)", Conversion(SliceType(N("byte")), Id("s")), "[]byte(s)"),
    ("[4]int(a)", Conversion(ArrayType(INT(4), N("int")), Id("a")), "[4]int(a)"),
    ("map[string]int(m)", Conversion(MapType(N("string"), N("int")), Id("m")), "map[string]int(m)"),
    ("(chan int)(c)", Conversion(ChanType(N("int")), Id("c")), "(chan int)(c)"),
    ("(<-chan int)(c)", Conversion(ChanType(N("int"), ChanDir.RECV), Id("c")), "(<-chan int)(c)"),
    ("<-chan int(c)", Conversion(ChanType(N("int"), ChanDir.RECV), Id("c")), "(<-chan int)(c)"),
    ("(func())(f)", Conversion(FuncType(), Id("f")), "(func())(f)"),
    ("struct{}(x)", Conversion(StructType(), Id("x")), "struct{}(x)"),
    ("interface{}(x)", Conversion(InterfaceType(), Id("x")), "interface{}(x)"),
    ("[]func()(x)", None, None),  # func() (x) is a result list: error
    ("(x)", Id("x"), "x"),
    ("(a + b) * c", Binary("*", Binary("+", Id("a"), Id("b")), Id("c")), "(a + b) * c"),
    ("-(a + b)", Unary("-", Binary("+", Id("a"), Id("b"))), "-(a + b)"),
    ("(a + b).f", Selector(Binary("+", Id("a"), Id("b")), "f"), "(a + b).f"),
    ("(-x)[0]", Index(Unary("-", Id("x")), INT(0)), "(-x)[0]"),
    # composite literals
    ("T{}", CompositeLit(N("T")), "T{}"),
    (
        "m[main.P{1, 2}]",
        Index(Id("m"), CompositeLit(N("P", "main"), (INT(1), INT(2)))),
        "m[main.P{1, 2}]",
    ),
    (
        "main.P{Y: 4, X: x,}",
        CompositeLit(N("P", "main"), (KeyValue(Id("Y"), INT(4)), KeyValue(Id("X"), Id("x")))),
        "main.P{Y: 4, X: x}",
    ),
    ("[2]int{5,6}", CompositeLit(ArrayType(INT(2), N("int")), (INT(5), INT(6))), "[2]int{5, 6}"),
    ("[...]int{2: 1}", CompositeLit(ArrayType(None, N("int")), (KeyValue(INT(2), INT(1)),)),
     "[...]int{2: 1}"),
    ("[]int{1}", CompositeLit(SliceType(N("int")), (INT(1),)), "[]int{1}"),
    (
        "[]main.P{{1, 2}, {X: 3}}",
        CompositeLit(SliceType(N("P", "main")), (CompositeLit(None, (INT(1), INT(2))),
                                                 CompositeLit(None, (KeyValue(Id("X"), INT(3)),)))),
        "[]main.P{{1, 2}, {X: 3}}",
    ),
    (
        'map[string]int{"a": 1}',
        CompositeLit(MapType(N("string"), N("int")), (KeyValue(STR("a"), INT(1)),)),
        'map[string]int{"a": 1}',
    ),
    (
        "T{A: U{1}}.A",
        Selector(CompositeLit(N("T"), (KeyValue(Id("A"), CompositeLit(N("U"), (INT(1),))),)), "A"),
        "T{A: U{1}}.A",
    ),
    ('"a/b".T{}', CompositeLit(N("T", "a/b")), '"a/b".T{}'),
    ("G[int]{}", CompositeLit(N("G", None, (N("int"),))), "G[int]{}"),
    ("struct{}{}", CompositeLit(StructType()), "struct{}{}"),
    ("[2]int{1, 2}[i]", Index(CompositeLit(ArrayType(INT(2), N("int")), (INT(1), INT(2))),
                              Id("i")), "[2]int{1, 2}[i]"),
    ("x == T{-1}", Binary("==", Id("x"), CompositeLit(N("T"), (Unary("-", INT(1)),))),
     "x == T{-1}"),
    ("T{a + b: c}", CompositeLit(N("T"), (KeyValue(Binary("+", Id("a"), Id("b")), Id("c")),)),
     "T{a + b: c}"),
]


@pytest.mark.parametrize(("text", "ast", "canonical"), [f for f in FORMS if f[1] is not None])
def test_form(text: str, ast: Expr, canonical: str) -> None:
    assert parse(text) == ast
    assert str(parse(text)) == canonical
    roundtrip(text)


@pytest.mark.parametrize("text", [f[0] for f in FORMS if f[1] is None])
def test_form_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)


TYPES = [
    ("T", N("T")),
    ("pkg.T", N("T", "pkg")),
    ('"github.com/a/b".T', N("T", "github.com/a/b")),
    ("*T", PointerType(N("T"))),
    ("[]T", SliceType(N("T"))),
    ("[8]T", ArrayType(INT(8), N("T"))),
    ("[pkg.N]T", ArrayType(Selector(Id("pkg"), "N"), N("T"))),
    ("map[K]V", MapType(N("K"), N("V"))),
    ("map[string][]*main.T", MapType(N("string"), SliceType(PointerType(N("T", "main"))))),
    ("chan T", ChanType(N("T"))),
    ("chan<- T", ChanType(N("T"), ChanDir.SEND)),
    ("<-chan T", ChanType(N("T"), ChanDir.RECV)),
    ("chan<- chan int", ChanType(ChanType(N("int")), ChanDir.SEND)),
    ("chan (<-chan int)", ChanType(ChanType(N("int"), ChanDir.RECV))),
    ("func()", FuncType()),
    ("func(int) bool", FuncType((N("int"),), (N("bool"),))),
    (
        "func(int, ...string) (bool, error)",
        FuncType((N("int"), N("string")), (N("bool"), N("error")), True),
    ),
    ("func() func() int", FuncType((), (FuncType((), (N("int"),)),))),
    ("struct{}", StructType()),
    ("interface{}", InterfaceType()),
    ("G[int, map[string]int]", N("G", None, (N("int"), MapType(N("string"), N("int"))))),
    ("(T)", N("T")),
]


@pytest.mark.parametrize(("text", "typ"), TYPES)
def test_types(text: str, typ: object) -> None:
    t = parse_type(text)
    assert t == typ
    assert parse_type(str(t)) == t
    e = parse(f"x.({text})")
    assert e == TypeAssert(Id("x"), t)  # type: ignore[arg-type]
    assert parse(str(e)) == e


def test_canonical_type_text() -> None:
    assert str(parse_type("func() (func() int)")) == "func() (func() int)"
    assert str(parse_type("map[ string ] * T")) == "map[string]*T"
    assert str(N("T", "github.com/a/b")) == '"github.com/a/b".T'


# ---------------------------------------------------------------------------
# precedence and associativity

PRECEDENCE = [
    ("a || b && c", "(a || (b && c))"),
    ("a && b || c", "((a && b) || c)"),
    ("a == b && c != d", "((a == b) && (c != d))"),
    ("a < b == c", "((a < b) == c)"),
    ("a + b < c * d", "((a + b) < (c * d))"),
    ("a + b * c", "(a + (b * c))"),
    ("a * b + c", "((a * b) + c)"),
    ("a - b - c", "((a - b) - c)"),
    ("a / b / c", "((a / b) / c)"),
    ("a << b >> c", "((a << b) >> c)"),
    ("a | b ^ c", "((a | b) ^ c)"),
    ("a & b | c", "((a & b) | c)"),
    ("a &^ b % c", "((a &^ b) % c)"),
    ("a << 1 + b", "((a << 1) + b)"),
    ("a || b || c", "((a || b) || c)"),
    ("a == b == c", "((a == b) == c)"),
    ("-a * b", "((-a) * b)"),
    ("!a && b", "((!a) && b)"),
    ("*p + 1", "((*p) + 1)"),
    ("-a.b[c]", "(-a.b[c])"),
    ("^a &^ b", "((^a) &^ b)"),
    ("a <= b || c >= d && e > f", "((a <= b) || ((c >= d) && (e > f)))"),
    ("1 + 2*3 - 4/2 % 3", "((1 + (2 * 3)) - ((4 / 2) % 3))"),
]


def _full_parens(e: Expr) -> str:
    if isinstance(e, Binary):
        return f"({_full_parens(e.x)} {e.op} {_full_parens(e.y)})"
    if isinstance(e, Unary):
        return f"({e.op}{_full_parens(e.x)})"
    return str(e)


@pytest.mark.parametrize(("text", "grouped"), PRECEDENCE)
def test_precedence(text: str, grouped: str) -> None:
    e = roundtrip(text)
    assert _full_parens(e) == grouped


def test_printer_minimal_parentheses() -> None:
    assert str(Binary("-", Id("a"), Binary("-", Id("b"), Id("c")))) == "a - (b - c)"
    assert str(Binary("*", Binary("+", Id("a"), Id("b")), Id("c"))) == "(a + b) * c"
    assert str(Binary("+", Id("a"), Binary("*", Id("b"), Id("c")))) == "a + b * c"
    assert str(Unary("-", Unary("-", Id("x")))) == "- -x"
    assert str(Unary("<-", Unary("-", Id("x")))) == "<- -x"
    assert str(Binary("-", Id("a"), Unary("-", Id("b")))) == "a - -b"
    assert str(Binary("<", Id("a"), Unary("-", Id("b")))) == "a < -b"
    assert str(Selector(Unary("*", Id("p")), "f")) == "(*p).f"


def test_printer_constructed_literals() -> None:
    # Literals built by code (no raw text) print as Go literals that parse back.
    for e in [
        INT(42),
        INT(-3),
        lit(LitKind.FLOAT, 1.5),
        lit(LitKind.FLOAT, 1e300),
        lit(LitKind.IMAG, 2j),
        STR('a"b\\c\n\té\x00'),
        STR("\udcff\U0001f600"),
        lit(LitKind.CHAR, ord("'")),
        lit(LitKind.CHAR, 0x1F600),
        lit(LitKind.CHAR, 7),
    ]:
        assert parse(str(e)) == e or (isinstance(e.value, int) and e.value < 0), str(e)
    assert str(Index(Id("m"), STR("k\n"))) == 'm["k\\n"]'
    assert str(Selector(INT(-3), "f")) == "(-3).f"
    assert parse(str(Binary("-", Id("a"), INT(-3)))) == Binary("-", Id("a"), Unary("-", INT(3)))


# ---------------------------------------------------------------------------
# literals

NUMBERS = [
    ("0", 0),
    ("42", 42),
    ("1_000_000", 1_000_000),
    ("0x1F", 0x1F),
    ("0X_ff", 0xFF),
    ("0b1011", 0b1011),
    ("0B_1_0", 0b10),
    ("0o17", 0o17),
    ("0O17", 0o17),
    ("017", 0o17),
    ("0_17", 0o17),
    ("0777", 0o777),
    ("18446744073709551615", 2**64 - 1),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ("1.5", 1.5),
    ("1.", 1.0),
    (".5", 0.5),
    ("1e3", 1e3),
    ("1E-3", 1e-3),
    ("1.5e+10", 1.5e10),
    ("08.5", 8.5),
    ("0.", 0.0),
    ("1_0.2_5", 10.25),
    ("6.67428e-11", 6.67428e-11),
    ("0x1p-2", 0.25),
    ("0x1.8p3", 12.0),
    ("0X.8p1", 1.0),
    ("0x_1FFFp-16", 0x1FFF / 65536),
    ("0x15e-2", 0x15E - 2),  # a hex int minus 2, not an exponent
    ("1i", 1j),
    ("0i", 0j),
    ("0123i", 123j),
    ("0o123i", 83j),
    ("0x10i", 16j),
    ("0b11i", 3j),
    ("1.5i", 1.5j),
    ("1e2i", 100j),
    (".25i", 0.25j),
    ("0x1p-2i", 0.25j),
    ("1_0i", 10j),
]


@pytest.mark.parametrize(("text", "value"), NUMBERS)
def test_number_literals(text: str, value: object) -> None:
    e = parse(text)
    if text == "0x15e-2":
        assert e == Binary("-", INT(0x15E), INT(2))
        return
    assert isinstance(e, BasicLit)
    assert type(e.value) is type(value)
    assert e.value == value
    expect_kind = {int: LitKind.INT, float: LitKind.FLOAT, complex: LitKind.IMAG}[type(value)]
    assert e.kind is expect_kind
    assert str(e) == text  # numbers print back as written


RUNES = [
    ("'a'", "a"),
    ("'ä'", "ä"),
    ("'本'", "本"),
    ("'\\n'", "\n"),
    ("'\\t'", "\t"),
    ("'\\a'", "\a"),
    ("'\\b'", "\b"),
    ("'\\f'", "\f"),
    ("'\\r'", "\r"),
    ("'\\v'", "\v"),
    ("'\\\\'", "\\"),
    ("'\\''", "'"),
    ("'\"'", '"'),
    ("'\\000'", "\x00"),
    ("'\\x41'", "A"),
    ("'\\xff'", "\xff"),
    ("'\\377'", "\xff"),
    ("'\\u00e9'", "é"),
    ("'\\U0001F600'", "😀"),
    ("'\\u12e4'", "\u12e4"),
    ("'\\U00101234'", "\U00101234"),
]


@pytest.mark.parametrize(("text", "char"), RUNES)
def test_rune_literals(text: str, char: str) -> None:
    e = parse(text)
    assert e == lit(LitKind.CHAR, ord(char))
    assert str(e) == text
    assert parse(str(lit(LitKind.CHAR, ord(char)))) == e


STRINGS = [
    ('""', ""),
    ('"hello"', "hello"),
    ('"日本語"', "日本語"),
    ('"\\a\\b\\f\\n\\r\\t\\v\\\\\\""', '\a\b\f\n\r\t\v\\"'),
    ('"\\u65e5本\\U00008a9e"', "日本語"),
    ('"\\xe6\\x97\\xa5"', "日"),
    ('"\\346\\227\\245"', "日"),
    ('"\\x41\\102"', "AB"),
    ("`raw\\n`", "raw\\n"),
    ("`a\nb`", "a\nb"),
    ("`a\r\nb`", "a\nb"),
    ('`"`', '"'),
]


@pytest.mark.parametrize(("text", "value"), STRINGS)
def test_string_literals(text: str, value: str) -> None:
    e = parse(text)
    assert e == STR(value)
    assert parse(str(STR(value))) == e


def test_string_with_invalid_utf8_bytes() -> None:
    e = parse('"\\xff\\xfeA\\u00e9"')
    assert isinstance(e, BasicLit)
    assert e.value_bytes == b"\xff\xfeA\xc3\xa9"
    again = parse(str(STR(str(e.value))))
    assert isinstance(again, BasicLit) and again.value_bytes == e.value_bytes
    assert str(STR(str(e.value))) == '"\\xff\\xfeAé"'


def test_comments_and_whitespace() -> None:
    assert parse(" a /* c */ +\n\tb // end") == Binary("+", Id("a"), Id("b"))


def test_tokens() -> None:
    kinds = [t.kind for t in tokenize("x.y[1] &^ 'c' \"s\" 2.5 3i chan")]
    assert kinds == [
        TokenKind.IDENT, TokenKind.OP, TokenKind.IDENT, TokenKind.OP, TokenKind.INT,
        TokenKind.OP, TokenKind.OP, TokenKind.CHAR, TokenKind.STRING, TokenKind.FLOAT,
        TokenKind.IMAG, TokenKind.KEYWORD, TokenKind.EOF,
    ]  # fmt: skip


# ---------------------------------------------------------------------------
# errors: (input, exact message)

DEEP = "expression nested too deeply (more than 100 levels)"
ERRORS = [
    ("", "empty expression at column 1"),
    ("   ", "empty expression at column 1"),
    ("(a + b", "expected ')' at column 7, found end of expression"),
    ("f(a b)", "expected ')' at column 5, found 'b'"),
    ("a[1", "expected ']' or ':' at column 4, found end of expression"),
    ("a[1:2", "expected ']' at column 6, found end of expression"),
    ("a[]", "unexpected token ']' at column 3"),
    ("a[1::3]", "middle index required in 3-index slice at column 5"),
    ("a[1:2:]", "final index required in 3-index slice at column 7"),
    ("a}", "unexpected token '}' at column 2"),
    ("a)", "unexpected token ')' at column 2"),
    ("a b", "unexpected token 'b' at column 3"),
    ("a +", "unexpected end of expression at column 4"),
    ("a + * ", "unexpected end of expression at column 7"),
    ("x.", "expected name after '.' at column 3, found end of expression"),
    ("x.1", "unexpected token '.1' at column 2"),
    ("x.(type)", "use of .(type) outside type switch at column 4"),
    ("x.(3)", "expected type at column 4, found '3'"),
    ("x.(T", "expected ')' at column 5, found end of expression"),
    ('"abc', "unterminated string literal at column 1"),
    ('"a\nb"', "unterminated string literal at column 1"),
    ("`abc", "unterminated raw string literal at column 1"),
    ("'a", "unterminated rune literal at column 1"),
    ("''", "empty rune literal at column 1"),
    ("'ab'", "more than one character in rune literal at column 1"),
    ('"\\q"', "unknown escape sequence '\\q' at column 2"),
    ("'\\\"'", "unknown escape sequence '\\\"' at column 2"),
    ('"\\\'"', "unknown escape sequence '\\'' at column 2"),
    ('"\\x4"', "escape sequence '\\x' needs 2 hexadecimal digits at column 2"),
    ('"\\u12"', "escape sequence '\\u' needs 4 hexadecimal digits at column 2"),
    ('"\\12"', "escape sequence '\\1' needs 3 octal digits at column 2"),
    ('"\\400"', "octal escape value > 255 at column 2"),
    ('"\\ud800"', "escape sequence is invalid Unicode code point at column 2"),
    ("'\\U00110000'", "escape sequence is invalid Unicode code point at column 2"),
    ('"abc\\', "escape sequence not terminated at column 5"),
    ("a /* x", "unterminated comment at column 3"),
    ("a @ b", "unexpected character '@' at column 3"),
    ("a # b", "unexpected character '#' at column 3"),
    ("a\x01", "unexpected character U+0001 at column 2"),
    ("a\ud800", "invalid character U+D800 at column 2"),
    ("08", "invalid digit '8' in octal literal at column 1"),
    ("0b102", "invalid digit '2' in binary literal at column 1"),
    ("0o8", "invalid digit '8' in octal literal at column 1"),
    ("0x", "hexadecimal literal has no digits at column 1"),
    ("0b", "binary literal has no digits at column 1"),
    ("1__0", "'_' must separate successive digits at column 1"),
    ("1_", "'_' must separate successive digits at column 1"),
    ("1_.5", "'_' must separate successive digits at column 1"),
    ("1e_5", "'_' must separate successive digits at column 1"),
    ("1e", "exponent has no digits at column 1"),
    ("1e+", "exponent has no digits at column 1"),
    ("0x1.8", "hexadecimal mantissa requires a 'p' exponent at column 1"),
    ("0x1p", "exponent has no digits at column 1"),
    ("1p3", "'p' exponent requires hexadecimal mantissa at column 1"),
    ("12abc", "malformed number literal '12abc' at column 1"),
    ("x + 1e400", "number literal '1e400' overflows float64 at column 5"),
    ("0x1p99999", "number literal '0x1p99999' overflows float64 at column 1"),
    ("1" * 5000, "integer literal '111111111111111111111...' is too long at column 1"),
    ("x = 1", "unexpected token '=' (assignment is not possible on a core file) at column 3"),
    ("x++", "unexpected token '++' at column 2"),
    ("(T){}", "cannot parenthesize type in composite literal at column 4"),
    ("([]int){1}", "cannot parenthesize type in composite literal at column 8"),
    ("(*T){}", "invalid composite literal type *T at column 5"),
    ("a.b.c{}", "invalid composite literal type a.b.c at column 6"),
    ("f(x){}", "invalid composite literal type f(x) at column 5"),
    ("a[0]{}", "invalid composite literal type a[0] at column 5"),
    ("x.(T){}", "invalid composite literal type x.(T) at column 6"),
    ("T{}{}", "invalid composite literal type T{} at column 4"),
    ("chan int{}", "invalid composite literal type chan int at column 1"),
    ("interface{}{}", "invalid composite literal type interface{} at column 1"),
    ("[...]int", "invalid use of [...] array (outside a composite literal) at column 1"),
    ("[...]int(x)", "invalid use of [...] array (outside a composite literal) at column 1"),
    ("T{1 2}", "expected '}' at column 5, found '2'"),
    ("T{1,", "unexpected end of expression at column 5"),
    ("T{a:}", "unexpected token '}' at column 5"),
    ("T{a: b: c}", "expected '}' at column 7, found ':'"),
    ("{1}", "unexpected token '{' at column 1"),
    ("T{" * 120, f"{DEEP} at column 101"),
    ("T" + "{" * 200, f"{DEEP} at column 101"),
    ("func() {}", "function literals are not supported at column 8"),
    ("[]int", "type []int is not an expression at column 1"),
    ("(*T)", None),  # valid: a dereference of T
    ("([]int)", "type []int is not an expression at column 1"),
    ("[]int()", "missing argument in conversion to []int at column 7"),
    ("[]byte(a, b)", "too many arguments in conversion to []byte at column 11"),
    ("[]byte(a...)", "invalid use of '...' in conversion to []byte at column 9"),
    ("[]byte(a b)", "expected ')' at column 10, found 'b'"),
    ("[]byte(a,)", None),
    ("x.(struct{ a int })", "only the empty struct{} can be written in a type at column 12"),
    ("x.([...]int)", "[...] array types are not supported here at column 5"),
    ("x.([n+1]int)", "expected ']' at column 6, found '+'"),
    ("x.(<-int)", "expected 'chan' at column 6, found 'int'"),
    ("for", "unexpected keyword 'for' at column 1"),
    ("x.(*pkg.)", "expected type name after '.' at column 9, found ')'"),
    ("(" * 200 + "x" + ")" * 200, f"{DEEP} at column 101"),
    ("-" * 3 + "x", "unexpected token '--' at column 1"),
    ("- " * 150 + "x", f"{DEEP} at column 199"),
    ("+".join(["x"] * 150), f"{DEEP} at column 1"),
    ("*(*T)(0xaddr0)", "malformed number literal '0xaddr0' at column 7"),
    ("[]func()(x)", "type []func() x is not an expression at column 1"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors(text: str, message: str | None) -> None:
    if message is None:
        parse(text)
        return
    with pytest.raises(ParseError) as info:
        parse(text)
    assert str(info.value) == message
    assert isinstance(info.value, DapcoreError)
    assert info.value.column >= 1


def test_error_caret() -> None:
    with pytest.raises(ParseError) as info:
        parse("f(a b)")
    assert info.value.caret("f(a b)") == "f(a b)\n    ^"
    assert info.value.reason == "expected ')'"


# ---------------------------------------------------------------------------
# helpers for the evaluator


def test_dotted_name() -> None:
    assert dotted_name(parse("a.b.c")) == ("a", "b", "c")
    assert dotted_name(parse("x")) == ("x",)
    assert dotted_name(parse('"a/b.c".V')) == ("a/b.c", "V")
    assert dotted_name(parse('"a/b"')) is None
    assert dotted_name(parse("a[0].b")) is None


def test_builtin_and_conversion_disambiguation() -> None:
    c = parse("len(x)")
    assert isinstance(c, Call) and builtin_name(c) == "len"
    assert builtin_name(parse("cap(a.b)")) == "cap"  # type: ignore[arg-type]
    assert builtin_name(parse("len(a, b)")) is None  # type: ignore[arg-type]
    assert builtin_name(parse("pkg.len(a)")) is None  # type: ignore[arg-type]
    assert callee_type(parse("int64(x)")) == N("int64")  # type: ignore[arg-type]
    assert callee_type(parse("main.T(x)")) == N("T", "main")  # type: ignore[arg-type]
    assert callee_type(parse('"a/b".T(x)')) == N("T", "a/b")  # type: ignore[arg-type]
    assert callee_type(parse("G[int](x)")) == N("G", None, (N("int"),))  # type: ignore[arg-type]
    assert callee_type(parse("a.b.c(x)")) is None  # type: ignore[arg-type]
    assert callee_type(parse("f(x, y)")) is None  # type: ignore[arg-type]
    assert callee_type(parse("f(1)(x)")) is None  # type: ignore[arg-type]
    assert expr_as_type(parse("*pkg.T")) == PointerType(N("T", "pkg"))
    # Delve's quoted type names: a whole name in quotes
    quoted = parse('(*"struct { a int }")(p)')
    assert isinstance(quoted, Call)
    assert callee_type(quoted) == PointerType(N("struct { a int }"))
    assert str(quoted) == '(*"struct { a int }")(p)'
    assert str(parse('(*"internal/runtime/maps.Map")(p).used')) == \
        '(*"internal/runtime/maps.Map")(p).used'
    assert str(parse("x.(data)")) == "x.(data)"
    call = parse("runtime.GC()")
    assert isinstance(call, Call)
    assert f"{CALLS_IMPOSSIBLE}: {call.func}" == (
        "function calls are not possible on a core file: runtime.GC"
    )


def test_evaluator_protocol() -> None:
    class Names(Evaluator[str]):
        def visit_ident(self, e: Ident) -> str:
            return e.name

        def visit_selector(self, e: Selector) -> str:
            return self.evaluate(e.x) + "->" + e.sel

    assert Names().evaluate(parse("a.b.c")) == "a->b->c"
    with pytest.raises(NotImplementedError):
        Names().evaluate(parse("a[0]"))
    every = [parse(t) for t, a, _ in FORMS if a is not None] + [parse_type(t) for t, _ in TYPES]
    for node in every:
        with pytest.raises(NotImplementedError):
            Evaluator[None]().evaluate(node)


def test_nodes_are_frozen_and_hashable() -> None:
    e = parse("a.b[1:2] + len(x)")
    with pytest.raises(AttributeError):
        e.op = "-"  # type: ignore[misc]
    assert hash(e) == hash(parse("a.b[1:2]+len(x)"))
    assert not hasattr(e, "__dict__")


# ---------------------------------------------------------------------------
# fuzz: random text and random token soups give an AST or a ParseError, fast,
# and every AST prints back to text that parses to the same AST.

_SOUP = [
    "x", "y", "pkg", "T", "_", "é", "len", "cap", "int64", "nil", "0", "1", "0x1F", "1.5",
    "1e3", "2i", "'a'", "'\\n'", '"s"', '"\\xff"', "`r`", "0b1", "017", ".5",
    "+", "-", "*", "/", "%", "&", "|", "^", "&^", "<<", ">>", "&&", "||", "!", "<-",
    "==", "!=", "<", "<=", ">", ">=", "(", ")", "[", "]", "{", "}", ".", ",", ":", "...",
    "map", "chan", "func", "struct", "interface", "type", "for", "=", "++",
]  # fmt: skip
_CHARS = "xyT_0123456789abefipxXoObB.+-*/%&|^<>=!()[]{},:;'\"`\\ \n\tuUé本"


def _check(text: str) -> None:
    try:
        e = parse(text)
    except ParseError as err:
        assert err.column >= 1
        return
    printed = str(e)
    assert parse(printed) == e, (text, printed)


def test_fuzz_random_text() -> None:
    rng = random.Random(20261128)
    start = time.monotonic()
    for _ in range(3000):
        _check("".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 30))))
    assert time.monotonic() - start < 10


def test_fuzz_token_soup() -> None:
    rng = random.Random(4)
    start = time.monotonic()
    for _ in range(4000):
        _check(" ".join(rng.choice(_SOUP) for _ in range(rng.randint(1, 14))))
    assert time.monotonic() - start < 10


def test_fuzz_mutated_valid_expressions() -> None:
    rng = random.Random(7)
    seeds = [t for t, a, _ in FORMS if a is not None] + [t for t, _ in PRECEDENCE]
    for _ in range(3000):
        s = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(3)
            pos = rng.randrange(len(s) + 1)
            if op == 0:
                s.insert(pos, rng.choice(_CHARS))
            elif op == 1 and pos < len(s):
                del s[pos]
            elif pos < len(s):
                s[pos] = rng.choice(_CHARS)
        _check("".join(s))


def test_pathological_inputs_are_fast() -> None:
    start = time.monotonic()
    for text in [
        "(*" * 60 + "x" + ")" * 60,
        "(*(" * 40,
        "[" * 500,
        "x" + ".(*" * 300,
        "a" + "[0]" * 99,
        "f(" * 400,
        "1" * 100_000,
        '"' + "a" * 100_000 + '"',
        "T" + "{" * 500,
        "T{" + "{1}," * 20_000 + "}",
    ]:
        _check(text)
    # Not a timing target (those are benchmarks): a parser that backtracks
    # exponentially on these would take hours; under a loaded CI machine a
    # linear one takes seconds.
    assert time.monotonic() - start < 60
