"""The debugger expression language: AST, parser, printer and evaluator protocol.

``parse(text)`` turns a Go-like expression (DAP ``evaluate``, ``dapcore print``)
into an immutable AST; ``str(expr)`` prints it back canonically (DAP
``evaluateName``); :class:`Evaluator` is the visitor the value model implements.
Nothing here reads a core: this is pure syntax.

Grammar (after the Go specification's expression grammar, restricted):

    Expr       = UnaryExpr | Expr binary_op Expr .        (5 levels, left-assoc.)
    UnaryExpr  = PrimaryExpr | unary_op UnaryExpr .       (+ - ! ^ * & <-)
    PrimaryExpr= Operand
               | PrimaryExpr "." identifier               -> Selector
               | PrimaryExpr "." "(" Type ")"             -> TypeAssert
               | PrimaryExpr "[" Expr "]"                 -> Index
               | PrimaryExpr "[" [Expr] ":" [Expr] "]"    -> Slice
               | PrimaryExpr "[" [Expr] ":" Expr ":" Expr "]"
               | PrimaryExpr "(" [Expr {"," Expr} ["..."] [","]] ")"  -> Call
    Operand    = identifier | literal | "(" Expr ")"
               | "(" Type ")" "(" Expr [","] ")"          -> Conversion
               | TypeLit "(" Expr [","] ")"               -> Conversion
               | LitType LitValue                         -> CompositeLit
    LitType    = TypeName [TypeArgs] | "[" Len "]" Type | "[" "..." "]" Type
               | "[" "]" Type | "map" "[" Type "]" Type | "struct" "{" "}" .
    LitValue   = "{" [Element {"," Element} [","]] "}" .
    Element    = [(Expr | LitValue) ":"] (Expr | LitValue)  -> KeyValue if keyed
    Type       = TypeName [TypeArgs] | "*" Type | "[" "]" Type | "[" Len "]" Type
               | "map" "[" Type "]" Type | "chan" ["<-"] Type | "<-" "chan" Type
               | "func" "(" [Types] ")" [Type | "(" Types ")"]
               | "struct" "{" "}" | "interface" "{" "}" | "(" Type ")" .
    TypeName   = identifier | identifier "." identifier | string_lit "." identifier .

Decisions an evaluator must know about:

* ``a.b`` is always a :class:`Selector`: the parser cannot tell a package
  from a variable. ``"path/to/pkg".Var`` is a Selector whose ``x`` is a STRING
  :class:`BasicLit` — strings have no fields, so it can only be a package path.
  :func:`dotted_name` flattens such chains for the lookup.
* ``T(x)`` is a :class:`Call` (``Call(func=Ident("int64"), args=(x,))``), as
  is ``len(x)``/``cap(x)``: only the evaluator knows whether ``T`` names a
  type, a builtin, or (say) a local variable called ``len``. The intended
  order is in :meth:`Evaluator.visit_call`; :func:`builtin_name` and
  :func:`callee_type` do the syntactic part.
* A :class:`Conversion` is produced only when the head is syntactically a type
  other than a bare name: ``(*T)(x)``, ``[]byte(s)``, ``(map[K]V)(p)``, …
  Inside ``( )`` followed by ``(``, a head starting with ``*`` is tried as a
  type first: ``(*T)(0xc000010000)`` is a Conversion, ``(*p)`` alone an Unary.
* ``true``, ``false``, ``nil`` and ``iota`` are plain identifiers.
* Parentheses leave no node; the printer puts back exactly those needed.
* ``(*X)(y)`` is a Conversion even when ``X`` turns out not to be a type (a
  call through a dereferenced func pointer, impossible on a core anyway): the
  evaluator reports "X is not a type" or :data:`CALLS_IMPOSSIBLE`.
* Literals keep their source text (``BasicLit.raw``) and print it back, so
  ``0x1F`` stays ``0x1F`` in evaluateName.
* A composite literal's type is syntactic, as in Go: after a primary
  expression, ``{`` starts one only when that expression can be read as a
  type name (``T``, ``pkg.T``, ``G[int]``; :func:`expr_as_type`), not
  parenthesized (``(T){}`` is refused, as Go refuses it). Whether ``T``
  names a type (and not a variable) is the evaluator's to say. A literal
  inside another may leave its type out (``[]T{{1, 2}}``, ``{1, 2}`` has
  ``type`` None); ``[...]T{…}`` is an :class:`ArrayType` whose ``len`` is
  None, written only in a composite literal.
* ``x.(type)``, function literals, assignments and ``++`` are parse errors.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from dapcore.goexpr.lexer import (
    ParseError,
    Token,
    TokenKind,
    quote_rune,
    quote_string,
    tokenize,
)

__all__ = [
    "CALLS_IMPOSSIBLE",
    "ArrayType",
    "BasicLit",
    "Binary",
    "Call",
    "ChanDir",
    "ChanType",
    "CompositeLit",
    "Conversion",
    "Evaluator",
    "Expr",
    "FuncType",
    "Ident",
    "Index",
    "InterfaceType",
    "KeyValue",
    "LitKind",
    "MapType",
    "Node",
    "ParseError",
    "PointerType",
    "Selector",
    "Slice",
    "SliceType",
    "StructType",
    "TypeAssert",
    "TypeExpr",
    "TypeName",
    "Unary",
    "builtin_name",
    "callee_type",
    "dotted_name",
    "expr_as_type",
    "parse",
    "parse_type",
]

CALLS_IMPOSSIBLE = "function calls are not possible on a core file"

#: Deeper ASTs are refused (they are not debugger expressions, and the
#: recursive printer / comparisons must stay far from Python's stack limit).
MAX_DEPTH = 100

BINARY_PRECEDENCE: dict[str, int] = {
    "||": 1,
    "&&": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
    "+": 4, "-": 4, "|": 4, "^": 4,
    "*": 5, "/": 5, "%": 5, "<<": 5, ">>": 5, "&": 5, "&^": 5,
}  # fmt: skip
UNARY_OPS = frozenset({"+", "-", "!", "^", "*", "&", "<-"})
_UNARY_PREC = 6
_PRIMARY_PREC = 7

R = TypeVar("R")


# ---------------------------------------------------------------------------
# AST


class Node:
    """Base of expressions and type expressions."""

    __slots__ = ()

    def accept(self, v: Evaluator[R]) -> R:  # pragma: no cover - overridden
        raise NotImplementedError

    def __str__(self) -> str:
        return _fmt(self, 0)


class Expr(Node):
    """An expression (something with a value)."""

    __slots__ = ()


class TypeExpr(Node):
    """A type expression (``*pkg.T``, ``[]int``, ``map[string]int`` …)."""

    __slots__ = ()


class LitKind(enum.Enum):
    INT = "int"
    FLOAT = "float"
    IMAG = "imag"
    CHAR = "char"  # a rune literal; value is the code point (int)
    STRING = "string"


@dataclass(slots=True, frozen=True)
class Ident(Expr):
    name: str

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_ident(self)


@dataclass(slots=True, frozen=True)
class BasicLit(Expr):
    """A literal, value decoded (see :mod:`dapcore.goexpr.lexer`).

    ``raw`` is the source text (printed back verbatim); leave it empty for a
    literal built by code and it is printed from ``value``.
    """

    kind: LitKind
    value: int | float | complex | str
    raw: str = field(default="", compare=False)

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_basic_lit(self)

    @property
    def value_bytes(self) -> bytes:
        """The exact bytes of a STRING literal (may be invalid UTF-8)."""
        assert isinstance(self.value, str)
        return self.value.encode("utf-8", "surrogateescape")


@dataclass(slots=True, frozen=True)
class Selector(Expr):
    """``x.sel``: a field, a method value, or ``pkg.Name`` — the evaluator decides."""

    x: Expr
    sel: str

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_selector(self)


@dataclass(slots=True, frozen=True)
class Index(Expr):
    x: Expr
    index: Expr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_index(self)


@dataclass(slots=True, frozen=True)
class Slice(Expr):
    """``x[low:high]`` or, when ``max`` is set, ``x[low:high:max]``."""

    x: Expr
    low: Expr | None = None
    high: Expr | None = None
    max: Expr | None = None

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_slice(self)


@dataclass(slots=True, frozen=True)
class Unary(Expr):
    op: str  # one of UNARY_OPS
    x: Expr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_unary(self)


@dataclass(slots=True, frozen=True)
class Binary(Expr):
    op: str  # a key of BINARY_PRECEDENCE
    x: Expr
    y: Expr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_binary(self)


@dataclass(slots=True, frozen=True)
class Call(Expr):
    """``func(args...)``: a builtin, a conversion ``T(x)``, or an impossible call."""

    func: Expr
    args: tuple[Expr, ...] = ()
    ellipsis: bool = False  # f(xs...)

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_call(self)


@dataclass(slots=True, frozen=True)
class TypeAssert(Expr):
    x: Expr
    type: TypeExpr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_type_assert(self)


@dataclass(slots=True, frozen=True)
class Conversion(Expr):
    """``(T)(x)`` where ``T`` is syntactically a type (``(*T)(0xaddr)``, ``[]byte(s)``)."""

    type: TypeExpr
    x: Expr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_conversion(self)


@dataclass(slots=True, frozen=True)
class KeyValue(Node):
    """``key: value``, an element of a composite literal: the key is a field
    name (an :class:`Ident`), an array index, or a map key."""

    key: Expr
    value: Expr


@dataclass(slots=True, frozen=True)
class CompositeLit(Expr):
    """``T{elts}``; ``type`` is None for a literal inside another that takes
    its type from there (``{1, 2}`` in ``[]main.P{{1, 2}}``)."""

    type: TypeExpr | None
    elts: tuple[Expr | KeyValue, ...] = ()

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_composite_lit(self)


@dataclass(slots=True, frozen=True)
class TypeName(TypeExpr):
    """``name``, ``pkg.name`` or ``"path/to/pkg".name``; ``args`` for generics."""

    name: str
    pkg: str | None = None
    args: tuple[TypeExpr, ...] = ()

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_type_name(self)


@dataclass(slots=True, frozen=True)
class PointerType(TypeExpr):
    elem: TypeExpr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_pointer_type(self)


@dataclass(slots=True, frozen=True)
class SliceType(TypeExpr):
    elem: TypeExpr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_slice_type(self)


@dataclass(slots=True, frozen=True)
class ArrayType(TypeExpr):
    len: Expr | None  # an INT BasicLit or a (constant's) name; None: [...]T{…}
    elem: TypeExpr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_array_type(self)


@dataclass(slots=True, frozen=True)
class MapType(TypeExpr):
    key: TypeExpr
    value: TypeExpr

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_map_type(self)


class ChanDir(enum.Enum):
    BOTH = "chan"
    SEND = "chan<-"
    RECV = "<-chan"


@dataclass(slots=True, frozen=True)
class ChanType(TypeExpr):
    elem: TypeExpr
    dir: ChanDir = ChanDir.BOTH

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_chan_type(self)


@dataclass(slots=True, frozen=True)
class FuncType(TypeExpr):
    """``func(params) results`` — unnamed parameters only."""

    params: tuple[TypeExpr, ...] = ()
    results: tuple[TypeExpr, ...] = ()
    variadic: bool = False  # the last parameter is ...T

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_func_type(self)


@dataclass(slots=True, frozen=True)
class StructType(TypeExpr):
    """``struct{}`` (only the empty struct can be written)."""

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_struct_type(self)


@dataclass(slots=True, frozen=True)
class InterfaceType(TypeExpr):
    """``interface{}`` (only the empty interface can be written; ``any`` is a name)."""

    def accept(self, v: Evaluator[R]) -> R:
        return v.visit_interface_type(self)


# ---------------------------------------------------------------------------
# evaluator protocol


class Evaluator(Generic[R]):
    """One method per node kind; the value model subclasses this.

    ``evaluate(expr)`` dispatches through ``expr.accept``. Every method raises
    NotImplementedError here. Type nodes are visited when the evaluator
    resolves a type (``visit_type_assert`` / ``visit_conversion`` call
    ``t.accept(self)`` on their type, typically returning a runtime type).
    """

    def evaluate(self, node: Node) -> R:
        return node.accept(self)

    def visit_ident(self, e: Ident) -> R:
        """Locals of the frame first, then globals of the frame's package, then
        ``true``/``false``/``nil`` (shadowable, as in Go)."""
        raise NotImplementedError

    def visit_basic_lit(self, e: BasicLit) -> R:
        raise NotImplementedError

    def visit_selector(self, e: Selector) -> R:
        """Field (through pointers) of ``e.x`` if ``e.x`` is a value; otherwise
        ``dotted_name(e)`` names a package global (``pkg.Var``, ``"a/b".Var``)."""
        raise NotImplementedError

    def visit_index(self, e: Index) -> R:
        raise NotImplementedError

    def visit_slice(self, e: Slice) -> R:
        raise NotImplementedError

    def visit_unary(self, e: Unary) -> R:
        raise NotImplementedError

    def visit_binary(self, e: Binary) -> R:
        raise NotImplementedError

    def visit_call(self, e: Call) -> R:
        """Intended order: (1) ``builtin_name(e)`` is ``len``/``cap`` and no
        variable of that name is in scope → the builtin; (2) ``callee_type(e)``
        resolves to a type → a conversion of ``e.args[0]``; (3) otherwise fail
        with ``f"{CALLS_IMPOSSIBLE}: {e.func}"``."""
        raise NotImplementedError

    def visit_type_assert(self, e: TypeAssert) -> R:
        raise NotImplementedError

    def visit_conversion(self, e: Conversion) -> R:
        raise NotImplementedError

    def visit_composite_lit(self, e: CompositeLit) -> R:
        """``T{…}``: a value of type ``T`` (elements without a type, ``{…}``,
        take theirs from ``T``)."""
        raise NotImplementedError

    def visit_type_name(self, t: TypeName) -> R:
        raise NotImplementedError

    def visit_pointer_type(self, t: PointerType) -> R:
        raise NotImplementedError

    def visit_slice_type(self, t: SliceType) -> R:
        raise NotImplementedError

    def visit_array_type(self, t: ArrayType) -> R:
        raise NotImplementedError

    def visit_map_type(self, t: MapType) -> R:
        raise NotImplementedError

    def visit_chan_type(self, t: ChanType) -> R:
        raise NotImplementedError

    def visit_func_type(self, t: FuncType) -> R:
        raise NotImplementedError

    def visit_struct_type(self, t: StructType) -> R:
        raise NotImplementedError

    def visit_interface_type(self, t: InterfaceType) -> R:
        raise NotImplementedError


# ---------------------------------------------------------------------------
# syntactic helpers for the evaluator


def is_quoted_name(t: TypeName) -> bool:
    """Whether ``t`` is a whole type name in quotes (``"struct { a int }"``,
    ``"internal/runtime/maps.Map"``): one that is no identifier nor
    ``pkg.Name``."""
    if t.pkg is not None or t.args:
        return False
    head, _, tail = t.name.partition(".")
    return not (head.isidentifier() and (not tail or tail.isidentifier()))


def dotted_name(e: Expr) -> tuple[str, ...] | None:
    """``a.b.c`` → ``("a", "b", "c")``; ``"x/y".V`` → ``("x/y", "V")``; else None."""
    parts: list[str] = []
    while isinstance(e, Selector):
        parts.append(e.sel)
        e = e.x
    if isinstance(e, Ident):
        parts.append(e.name)
    elif isinstance(e, BasicLit) and e.kind is LitKind.STRING and parts:
        parts.append(str(e.value))
    else:
        return None
    return tuple(reversed(parts))


def builtin_name(call: Call) -> str | None:
    """``"len"`` or ``"cap"`` if ``call`` is syntactically that builtin with one argument."""
    f = call.func
    if isinstance(f, Ident) and f.name in ("len", "cap"):
        if len(call.args) == 1 and not call.ellipsis:
            return f.name
    return None


def callee_type(call: Call) -> TypeExpr | None:
    """The type ``call`` would convert to if its callee names a type (``int64(x)``,
    ``pkg.T(x)``, ``pkg.G[int](x)``), for a one-argument call; else None."""
    if len(call.args) != 1 or call.ellipsis:
        return None
    return expr_as_type(call.func)


def expr_as_type(e: Expr) -> TypeExpr | None:
    """Read an expression as a type name: ``pkg.T`` → TypeName("T", "pkg"), ``*T`` →
    PointerType, ``G[int]`` → TypeName("G", args=…). None if it cannot be one."""
    if isinstance(e, Ident):
        return TypeName(e.name)
    if isinstance(e, BasicLit) and e.kind is LitKind.STRING:
        return TypeName(str(e.value))  # Delve's quoted name: (*"struct { a int }")(p)
    if isinstance(e, Unary) and e.op == "*":
        elem = expr_as_type(e.x)
        return PointerType(elem) if elem is not None else None
    if isinstance(e, Selector):
        parts = dotted_name(e)
        if parts is not None and len(parts) == 2:
            return TypeName(parts[1], parts[0])
        return None
    if isinstance(e, Index):
        base = expr_as_type(e.x)
        arg = expr_as_type(e.index)
        if isinstance(base, TypeName) and not base.args and arg is not None:
            return TypeName(base.name, base.pkg, (arg,))
    return None


# ---------------------------------------------------------------------------
# parser

_TYPE_KEYWORDS = frozenset({"map", "chan", "func", "struct", "interface"})
_ASSIGN_OPS = frozenset(
    {"=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "&^="}
)


class _Parser:
    __slots__ = ("depth", "i", "toks")

    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- token helpers ------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def is_op(self, text: str, tok: Token | None = None) -> bool:
        t = self.tok if tok is None else tok
        return t.kind is TokenKind.OP and t.text == text

    def is_kw(self, word: str, tok: Token | None = None) -> bool:
        t = self.tok if tok is None else tok
        return t.kind is TokenKind.KEYWORD and t.text == word

    def advance(self) -> Token:
        t = self.tok
        if t.kind is not TokenKind.EOF:
            self.i += 1
        return t

    def expect(self, text: str) -> Token:
        if not self.is_op(text):
            raise ParseError(f"expected '{text}'", self.tok.column, self.tok)
        return self.advance()

    def ident(self, what: str = "identifier") -> str:
        t = self.tok
        if t.kind is not TokenKind.IDENT:
            raise ParseError(f"expected {what}", t.column, t)
        self.advance()
        return t.text

    def unexpected(self) -> ParseError:
        t = self.tok
        if t.kind is TokenKind.EOF:
            return ParseError("unexpected end of expression", t.column)
        if t.kind is TokenKind.OP and t.text in _ASSIGN_OPS:
            return ParseError(
                f"unexpected token '{t.text}' (assignment is not possible on a core file)",
                t.column,
            )
        if t.kind is TokenKind.KEYWORD:
            return ParseError(f"unexpected keyword '{t.text}'", t.column)
        return ParseError(f"unexpected token {t.describe()}", t.column)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(
                f"expression nested too deeply (more than {MAX_DEPTH} levels)", self.tok.column
            )

    # -- expressions ----------------------------------------------------------

    def expr(self, min_prec: int = 1) -> Expr:
        self.enter()
        x = self.unary()
        while True:
            t = self.tok
            prec = BINARY_PRECEDENCE.get(t.text, 0) if t.kind is TokenKind.OP else 0
            if prec < min_prec:
                self.depth -= 1
                return x
            self.advance()
            y = self.expr(prec + 1)
            x = Binary(t.text, x, y)

    def unary(self) -> Expr:
        t = self.tok
        if t.kind is TokenKind.OP and t.text in UNARY_OPS:
            if t.text == "<-" and self.is_kw("chan", self.peek()):
                return self.primary()  # <-chan T(x): a conversion
            self.enter()
            self.advance()
            x = self.unary()
            self.depth -= 1
            return Unary(t.text, x)
        return self.primary()

    def primary(self) -> Expr:
        parenthesized = self.is_op("(")
        x = self.operand()
        while True:
            if self.is_op("."):
                self.advance()
                if self.is_op("("):
                    self.advance()
                    if self.is_kw("type"):
                        raise ParseError("use of .(type) outside type switch", self.tok.column)
                    typ = self.type_()
                    self.expect(")")
                    x = TypeAssert(x, typ)
                else:
                    x = Selector(x, self.ident("name after '.'"))
            elif self.is_op("["):
                x = self.index_or_slice(x)
            elif self.is_op("("):
                x = self.call(x)
            elif self.is_op("{"):
                x = self.composite_after(x, parenthesized)
            else:
                return x
            parenthesized = False

    def composite_after(self, x: Expr, parenthesized: bool) -> CompositeLit:
        """``x{…}``: a composite literal if ``x`` reads as a type name."""
        typ = expr_as_type(x)
        if typ is None or isinstance(typ, PointerType):
            raise ParseError(f"invalid composite literal type {x}", self.tok.column)
        if parenthesized:
            raise ParseError("cannot parenthesize type in composite literal", self.tok.column)
        return self.literal_value(typ)

    def literal_value(self, typ: TypeExpr | None) -> CompositeLit:
        """``{elements}`` after the literal's type (None: an element's literal
        whose type is its container's)."""
        self.enter()
        try:
            self.advance()  # {
            elts: list[Expr | KeyValue] = []
            while not self.is_op("}"):
                x: Expr | KeyValue = self.element()
                if self.is_op(":"):
                    self.advance()
                    x = KeyValue(x, self.element())
                elts.append(x)
                if not self.is_op(","):
                    break
                self.advance()
            self.expect("}")
        finally:
            self.depth -= 1
        return CompositeLit(typ, tuple(elts))

    def element(self) -> Expr:
        return self.literal_value(None) if self.is_op("{") else self.expr()

    def index_or_slice(self, x: Expr) -> Expr:
        self.advance()  # [
        low = None if self.is_op(":") else self.expr()
        if self.is_op("]"):
            self.advance()
            assert low is not None
            return Index(x, low)
        if not self.is_op(":"):
            raise ParseError("expected ']' or ':'", self.tok.column, self.tok)
        self.advance()
        high = None if self.is_op("]") or self.is_op(":") else self.expr()
        mx = None
        if self.is_op(":"):
            if high is None:
                raise ParseError("middle index required in 3-index slice", self.tok.column)
            self.advance()
            if self.is_op("]"):
                raise ParseError("final index required in 3-index slice", self.tok.column)
            mx = self.expr()
        self.expect("]")
        return Slice(x, low, high, mx)

    def call(self, func: Expr) -> Call:
        self.advance()  # (
        args: list[Expr] = []
        ellipsis = False
        while not self.is_op(")"):
            args.append(self.expr())
            if self.is_op("..."):
                self.advance()
                ellipsis = True
                if self.is_op(","):
                    self.advance()
                break
            if not self.is_op(","):
                break
            self.advance()
        self.expect(")")
        return Call(func, tuple(args), ellipsis)

    def conversion_args(self, typ: TypeExpr, at: Token,
                        parenthesized: bool = False) -> Conversion | CompositeLit:
        """``T(x)``, or ``T{…}`` when a ``{`` follows the type."""
        if self.is_op("{"):
            if isinstance(typ, FuncType):
                raise ParseError("function literals are not supported", self.tok.column)
            if parenthesized:
                raise ParseError("cannot parenthesize type in composite literal",
                                 self.tok.column)
            if isinstance(typ, ChanType | InterfaceType | PointerType):
                raise ParseError(f"invalid composite literal type {typ}", at.column)
            return self.literal_value(typ)
        if not self.is_op("("):
            raise ParseError(f"type {typ} is not an expression", at.column)
        self.advance()
        if self.is_op(")"):
            raise ParseError(f"missing argument in conversion to {typ}", self.tok.column)
        x = self.expr()
        if self.is_op("..."):
            raise ParseError(f"invalid use of '...' in conversion to {typ}", self.tok.column)
        if self.is_op(","):
            self.advance()
            if not self.is_op(")") and self.tok.kind is not TokenKind.EOF:
                raise ParseError(f"too many arguments in conversion to {typ}", self.tok.column)
        self.expect(")")
        return Conversion(typ, x)

    def operand(self) -> Expr:
        t = self.tok
        if t.kind is TokenKind.IDENT:
            self.advance()
            return Ident(t.text)
        if t.kind in _LIT_KINDS:
            self.advance()
            assert t.value is not None
            return BasicLit(_LIT_KINDS[t.kind], t.value, t.text)
        if self.is_op("("):
            return self.paren()
        if self.is_op("[") and self.is_op("...", self.peek()) and self.is_op("]", self.peek(2)):
            self.i += 3  # [...]T{…}: an array as long as its literal
            typ = ArrayType(None, self.type_())
            if not self.is_op("{"):
                raise ParseError("invalid use of [...] array (outside a composite literal)",
                                 t.column)
            return self.literal_value(typ)
        if self.starts_type_literal():
            return self.conversion_args(self.type_(), t)
        raise self.unexpected()

    def starts_type_literal(self) -> bool:
        t = self.tok
        if t.kind is TokenKind.KEYWORD:
            return t.text in _TYPE_KEYWORDS
        if self.is_op("["):
            return True
        return self.is_op("<-") and self.is_kw("chan", self.peek())

    def paren(self) -> Expr:
        open_tok = self.advance()  # (
        if self.starts_type_literal():
            typ = self.type_()
            self.expect(")")
            return self.conversion_args(typ, open_tok, parenthesized=True)
        if self.is_op("*"):
            # (*T)(x) is a conversion, (*p) a dereference: try the type first.
            saved = (self.i, self.depth)
            try:
                typ = self.type_()
                self.expect(")")
                is_conversion = self.is_op("(")
            except ParseError:
                is_conversion = False
            if is_conversion:
                return self.conversion_args(typ, open_tok)
            self.i, self.depth = saved
        x = self.expr()
        self.expect(")")
        return x

    # -- types ------------------------------------------------------------------

    def type_(self) -> TypeExpr:
        self.enter()
        try:
            return self.type_inner()
        finally:
            self.depth -= 1

    def type_inner(self) -> TypeExpr:
        t = self.tok
        if t.kind is TokenKind.IDENT:
            return self.type_name()
        if t.kind is TokenKind.STRING and self.is_op(".", self.peek()):
            return self.type_name()
        if self.is_op("*"):
            self.advance()
            return PointerType(self.type_())
        if self.is_op("("):
            self.advance()
            typ = self.type_()
            self.expect(")")
            return typ
        if self.is_op("["):
            self.advance()
            if self.is_op("]"):
                self.advance()
                return SliceType(self.type_())
            n = self.tok
            if n.kind is TokenKind.INT:
                self.advance()
                length: Expr = BasicLit(LitKind.INT, n.value, n.text)  # type: ignore[arg-type]
            elif n.kind is TokenKind.IDENT:
                length = self.const_name()
            elif self.is_op("..."):
                raise ParseError("[...] array types are not supported here", n.column)
            else:
                raise ParseError("expected array length", n.column, n)
            self.expect("]")
            return ArrayType(length, self.type_())
        if self.is_op("<-"):
            self.advance()
            if not self.is_kw("chan"):
                raise ParseError("expected 'chan'", self.tok.column, self.tok)
            self.advance()
            return ChanType(self.type_(), ChanDir.RECV)
        if t.kind is TokenKind.KEYWORD:
            if t.text == "map":
                self.advance()
                self.expect("[")
                key = self.type_()
                self.expect("]")
                return MapType(key, self.type_())
            if t.text == "chan":
                self.advance()
                if self.is_op("<-"):
                    self.advance()
                    return ChanType(self.type_(), ChanDir.SEND)
                return ChanType(self.type_())
            if t.text == "func":
                return self.func_type()
            if t.text in ("struct", "interface"):
                self.advance()
                self.expect("{")
                if not self.is_op("}"):
                    raise ParseError(
                        f"only the empty {t.text}{{}} can be written in a type", self.tok.column
                    )
                self.advance()
                return StructType() if t.text == "struct" else InterfaceType()
        raise ParseError("expected type", t.column, t)

    def const_name(self) -> Expr:
        x: Expr = Ident(self.ident())
        if self.is_op("."):
            self.advance()
            x = Selector(x, self.ident())
        return x

    def type_name(self) -> TypeName:
        t = self.advance()
        pkg: str | None = None
        if t.kind is TokenKind.STRING:
            pkg = str(t.value)
            self.expect(".")
            name = self.ident("type name")
        else:
            name = t.text
            if self.is_op("."):
                self.advance()
                pkg, name = name, self.ident("type name after '.'")
        args: tuple[TypeExpr, ...] = ()
        if self.is_op("[") and not self.is_op("]", self.peek()):
            self.advance()
            items = [self.type_()]
            while self.is_op(","):
                self.advance()
                if self.is_op("]"):
                    break
                items.append(self.type_())
            self.expect("]")
            args = tuple(items)
        return TypeName(name, pkg, args)

    def func_type(self) -> FuncType:
        self.advance()  # func
        self.expect("(")
        params: list[TypeExpr] = []
        variadic = False
        while not self.is_op(")"):
            if self.is_op("..."):
                self.advance()
                variadic = True
                params.append(self.type_())
                if self.is_op(","):
                    self.advance()
                break
            params.append(self.type_())
            if not self.is_op(","):
                break
            self.advance()
        self.expect(")")
        results: list[TypeExpr] = []
        if self.is_op("("):
            # func() (A, B) — but in `(func())(x)` the `(` is the conversion's.
            self.advance()
            while not self.is_op(")"):
                results.append(self.type_())
                if not self.is_op(","):
                    break
                self.advance()
            self.expect(")")
        elif self.starts_type():
            results.append(self.type_())
        return FuncType(tuple(params), tuple(results), variadic)

    def starts_type(self) -> bool:
        t = self.tok
        if t.kind is TokenKind.IDENT:
            return True
        if t.kind is TokenKind.KEYWORD:
            return t.text in _TYPE_KEYWORDS
        if t.kind is TokenKind.STRING:
            return self.is_op(".", self.peek())
        return t.kind is TokenKind.OP and t.text in ("*", "[", "<-")


_LIT_KINDS = {
    TokenKind.INT: LitKind.INT,
    TokenKind.FLOAT: LitKind.FLOAT,
    TokenKind.IMAG: LitKind.IMAG,
    TokenKind.CHAR: LitKind.CHAR,
    TokenKind.STRING: LitKind.STRING,
}


def _check_depth(root: Node) -> None:
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, d = stack.pop()
        if d > MAX_DEPTH:
            raise ParseError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", 1)
        for name in node.__slots__:  # type: ignore[attr-defined]
            child = getattr(node, name)
            if isinstance(child, Node):
                stack.append((child, d + 1))
            elif isinstance(child, tuple):
                stack.extend((c, d + 1) for c in child if isinstance(c, Node))


def parse(text: str) -> Expr:
    """Parse a debugger expression; raises :class:`ParseError` (never anything else)."""
    p = _Parser(text)
    if p.tok.kind is TokenKind.EOF:
        raise ParseError("empty expression", 1)
    e = p.expr()
    if p.tok.kind is not TokenKind.EOF:
        if p.is_op(")") or p.is_op("]") or p.is_op("}"):
            raise ParseError(f"unexpected token '{p.tok.text}'", p.tok.column)
        raise p.unexpected()
    _check_depth(e)
    return e


def parse_type(text: str) -> TypeExpr:
    """Parse a type expression alone (``*main.T``, ``map[string]int``)."""
    p = _Parser(text)
    t = p.type_()
    if p.tok.kind is not TokenKind.EOF:
        raise p.unexpected()
    _check_depth(t)
    return t


# ---------------------------------------------------------------------------
# printer


def _prec(e: Node) -> int:
    if isinstance(e, Binary):
        return BINARY_PRECEDENCE[e.op]
    if isinstance(e, Unary):
        return _UNARY_PREC
    if isinstance(e, BasicLit) and not e.raw and _lit_text(e).startswith("-"):
        return _UNARY_PREC
    return _PRIMARY_PREC + 1


_GLUED = frozenset({"++", "--", "&&", "&^", "||", "<-", "!="})


def _fmt(e: Node, ctx: int) -> str:
    s = _FORMATTERS[type(e)](e)
    return f"({s})" if _prec(e) < ctx else s


def _fmt_operand(e: Expr) -> str:
    """``e`` as the operand of a selector, index, slice, call or assertion."""
    if isinstance(e, BasicLit) and e.kind in (LitKind.INT, LitKind.FLOAT, LitKind.IMAG):
        return f"({_fmt(e, 0)})"  # 8.f would scan as a number; (8).f does not
    return _fmt(e, _PRIMARY_PREC)


def _fmt_unary(e: Unary) -> str:
    operand = _fmt(e.x, _UNARY_PREC)
    sep = " " if (e.op[-1] + operand[:1]) in _GLUED else ""
    return f"{e.op}{sep}{operand}"


def _fmt_binary(e: Binary) -> str:
    p = BINARY_PRECEDENCE[e.op]
    return f"{_fmt(e.x, p)} {e.op} {_fmt(e.y, p + 1)}"


def _lit_text(e: BasicLit) -> str:
    if e.raw:
        return e.raw
    v = e.value
    if e.kind is LitKind.STRING:
        return quote_string(str(v))
    if e.kind is LitKind.CHAR:
        return quote_rune(int(v))  # type: ignore[arg-type]
    if e.kind is LitKind.IMAG:
        c = complex(v)
        if c.real:
            return f"({c.real!r} + {c.imag!r}i)"
        return f"{c.imag!r}i"
    return repr(v)


def _fmt_slice(e: Slice) -> str:
    low = "" if e.low is None else _fmt(e.low, 0)
    high = "" if e.high is None else _fmt(e.high, 0)
    s = f"{_fmt_operand(e.x)}[{low}:{high}"
    if e.max is not None:
        s += f":{_fmt(e.max, 0)}"
    return s + "]"


def _fmt_call(e: Call) -> str:
    args = ", ".join(_fmt(a, 0) for a in e.args)
    return f"{_fmt_operand(e.func)}({args}{'...' if e.ellipsis else ''})"


def _needs_paren_as_head(t: TypeExpr) -> bool:
    """Would ``T(x)`` misparse without parentheses around T?"""
    while isinstance(t, SliceType | ArrayType | MapType):
        t = t.value if isinstance(t, MapType) else t.elem
    return not isinstance(t, TypeName | StructType | InterfaceType)


def _fmt_conversion(e: Conversion) -> str:
    typ = str(e.type)
    if isinstance(e.type, TypeName) or _needs_paren_as_head(e.type):
        typ = f"({typ})"
    return f"{typ}({_fmt(e.x, 0)})"


def _fmt_composite(e: CompositeLit) -> str:
    elts = ", ".join(_fmt(x, 0) for x in e.elts)
    return f"{'' if e.type is None else e.type}{{{elts}}}"


def _fmt_type_name(t: TypeName) -> str:
    if is_quoted_name(t):
        return quote_string(t.name)
    s = t.name
    if t.pkg is not None:
        pkg = t.pkg if t.pkg.isidentifier() else quote_string(t.pkg)
        s = f"{pkg}.{s}"
    if t.args:
        s += "[" + ", ".join(str(a) for a in t.args) + "]"
    return s


def _fmt_chan(t: ChanType) -> str:
    elem = str(t.elem)
    if t.dir is ChanDir.BOTH and isinstance(t.elem, ChanType) and t.elem.dir is ChanDir.RECV:
        elem = f"({elem})"  # chan (<-chan T), not chan<- chan T
    return f"{t.dir.value} {elem}"


def _fmt_func(t: FuncType) -> str:
    params = [str(p) for p in t.params]
    if t.variadic and params:
        params[-1] = "..." + params[-1]
    s = f"func({', '.join(params)})"
    if len(t.results) == 1 and not isinstance(t.results[0], FuncType):
        s += f" {t.results[0]}"
    elif t.results:
        s += f" ({', '.join(str(r) for r in t.results)})"
    return s


_FORMATTERS: dict[type, Callable[..., str]] = {
    Ident: lambda e: e.name,
    BasicLit: _lit_text,
    Selector: lambda e: f"{_fmt_operand(e.x)}.{e.sel}",
    Index: lambda e: f"{_fmt_operand(e.x)}[{_fmt(e.index, 0)}]",
    Slice: _fmt_slice,
    Unary: _fmt_unary,
    Binary: _fmt_binary,
    Call: _fmt_call,
    TypeAssert: lambda e: f"{_fmt_operand(e.x)}.({e.type})",
    Conversion: _fmt_conversion,
    CompositeLit: _fmt_composite,
    KeyValue: lambda e: f"{_fmt(e.key, 0)}: {_fmt(e.value, 0)}",
    TypeName: _fmt_type_name,
    PointerType: lambda t: f"*{t.elem}",
    SliceType: lambda t: f"[]{t.elem}",
    ArrayType: lambda t: f"[{'...' if t.len is None else _fmt(t.len, 0)}]{t.elem}",
    MapType: lambda t: f"map[{t.key}]{t.value}",
    ChanType: _fmt_chan,
    FuncType: _fmt_func,
    StructType: lambda t: "struct{}",
    InterfaceType: lambda t: "interface{}",
}
