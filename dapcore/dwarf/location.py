"""DWARF location expressions: where a variable's bytes are at one PC.

:func:`evaluate` runs a location expression (``DW_OP_*``, DWARF 2 to 5) on a
small stack machine and returns a :class:`Location`: a list of
:class:`Piece` objects, each in memory, in a register, implicit (a value
the expression computed, ``DW_OP_stack_value``/``DW_OP_implicit_value``) or
unavailable. Go writes:

* ``DW_OP_call_frame_cfa`` and ``DW_OP_fbreg N`` (the frame base of every Go
  function is ``DW_OP_call_frame_cfa``, the caller's SP on amd64);
* ``DW_OP_regN``/``DW_OP_regx`` for values in registers (register ABI),
  ``DW_OP_piece`` for composites (strings, slices, interfaces, complex
  numbers and small structs split between registers and stack slots; an
  empty piece is a part the compiler did not track);
* ``DW_OP_fbreg N, DW_OP_deref`` for heap-escaped variables (Go 1.27);
* ``DW_OP_addr`` for globals.

Registers are only known where the caller knows them: the top frame of a
goroutine running on a thread and the frame interrupted by a signal. The
caller passes what it knows in :class:`Context` (DWARF register numbers →
values); a piece that needs any other register is *unavailable*, never read
from a stale register. Addresses computed from ``DW_OP_addr``/``addrx`` are
link-time: the context's ``bias`` moves them to run time (PIE).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from dapcore.dwarf.leb128 import sleb, uleb
from dapcore.errors import DapcoreError, UnreadableMemory

__all__ = [
    "Context",
    "Location",
    "LocationError",
    "Memory",
    "Piece",
    "bare_register",
    "evaluate",
    "register_name",
]

MEMORY: Literal["memory"] = "memory"
REGISTER: Literal["register"] = "register"
IMPLICIT: Literal["implicit"] = "implicit"
UNAVAILABLE: Literal["unavailable"] = "unavailable"
PieceKind = Literal["memory", "register", "implicit", "unavailable"]


def register_name(number: int, names: Sequence[str] = ()) -> str:
    """The name of DWARF register ``number`` among ``names`` (the
    architecture's :attr:`dapcore.arch.Arch.dwarf_regs`); ``#N`` when it has
    none."""
    return names[number] if 0 <= number < len(names) else f"#{number}"


class LocationError(DapcoreError):
    """A variable's location cannot be read (unavailable, or an expression
    dapcore does not evaluate); the message says why."""


class _Unavailable(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True, slots=True)
class Piece:
    """Part of a value. ``size`` is in bytes (None: the whole value, the
    expression had no ``DW_OP_piece``). ``address`` for memory pieces;
    ``register`` (DWARF number) and ``value`` (its contents, little-endian)
    for register pieces; ``value`` for implicit pieces; ``why`` for
    unavailable ones."""

    kind: PieceKind
    size: int | None
    address: int | None = None
    register: int | None = None
    value: bytes | None = None
    why: str | None = None

    @property
    def available(self) -> bool:
        return self.kind != UNAVAILABLE

    def describe(self) -> str:
        if self.kind == MEMORY:
            return f"memory {self.address:#x}"
        if self.kind == REGISTER:
            assert self.register is not None
            return f"register {register_name(self.register)}"
        if self.kind == IMPLICIT:
            return "computed value"
        return f"unavailable ({self.why})"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value is: its pieces, in order. ``offsets`` (one per piece)
    places the pieces in the value when they are not simply one after the
    other (:meth:`placed`); None: each piece starts where the one before it
    ended, as DWARF reads them."""

    pieces: tuple[Piece, ...]
    offsets: tuple[int, ...] | None = None

    @classmethod
    def unavailable(cls, why: str) -> Location:
        return cls((Piece(UNAVAILABLE, None, why=why),))

    @property
    def available(self) -> bool:
        """Every byte can be read (memory may still turn out unreadable)."""
        return bool(self.pieces) and all(p.available for p in self.pieces)

    @property
    def partial(self) -> bool:
        """Some pieces are available, some are not."""
        return any(p.available for p in self.pieces) and not self.available

    @property
    def why(self) -> str | None:
        """Why (part of) the value is unavailable; None when available."""
        return next((p.why for p in self.pieces if not p.available), None)

    @property
    def address(self) -> int | None:
        """The value's address when it is all in memory in one place."""
        if len(self.pieces) == 1 and self.pieces[0].kind == MEMORY:
            return self.pieces[0].address
        if self.pieces and all(p.kind == MEMORY for p in self.pieces):
            bases: set[int] = set()
            for p, off in zip(self.pieces, self._piece_offsets(), strict=True):
                if p.size is None or p.address is None:
                    return None
                bases.add(p.address - off)
            return bases.pop() if len(bases) == 1 else None
        return None

    def _piece_offsets(self) -> tuple[int, ...]:
        if self.offsets is not None:
            return self.offsets
        out, off = [], 0
        for p in self.pieces:
            out.append(off)
            off += p.size or 0
        return tuple(out)

    def placed(self, offsets: tuple[int, ...]) -> Location:
        """This location with its pieces at ``offsets`` in the value."""
        assert len(offsets) == len(self.pieces)
        return Location(self.pieces, offsets)

    def describe(self) -> str:
        return ", ".join(p.describe() + (f" [{p.size}]" if p.size is not None else "")
                         for p in self.pieces)

    @property
    def described_size(self) -> int | None:
        """Bytes the pieces add up to (None: one piece of the whole value)."""
        if any(p.size is None for p in self.pieces):
            return None
        return sum(p.size or 0 for p in self.pieces)

    def fit(self, size: int) -> Location:
        """This location for a value of ``size`` bytes, without the repeated
        pieces Go 1.19 to 1.21 write.

        Go's compiler writes one ``DW_OP_piece`` per slot of a decomposed
        variable (ptr/len/cap of a slice, tab/data of an interface…), sorted
        by offset (``cmd/compile/internal/ssa/debug.go``). In Go 1.19 and
        1.21 (not 1.22+) some variables get a slot twice: ``f.Names`` lists
        it twice and both entries share its values (``f.NamedValues`` is
        keyed by the slot), so the duplicate is an identical piece (same
        place, same size, or both empty) right after the original, and the
        pieces add up to more than the type (``rs []int32``: ``fbreg -1064 [8],
        fbreg -1064 [8], fbreg -1632 [8], fbreg -1624 [8]``). While the
        pieces describe more than ``size`` bytes, a piece equal to the one
        before it is dropped; any other location is returned unchanged."""
        total = self.described_size
        if total is None or total <= size or len(self.pieces) < 2:
            return self
        out = [self.pieces[0]]
        for p in self.pieces[1:]:
            if total > size and p == out[-1]:
                total -= p.size or 0
                continue
            out.append(p)
        return Location(tuple(out))

    def read(self, memory: Memory, size: int) -> bytes:
        """The value's ``size`` bytes. Raises :class:`LocationError` for
        unavailable pieces, :class:`UnreadableMemory` for memory the core
        does not hold."""
        if self.offsets is not None:
            data, holes = self.read_partial(memory, size)
            if holes:
                raise LocationError(f"unavailable: {holes[0][2]}")
            return data
        out = bytearray()
        for p in self.pieces:
            want = p.size if p.size is not None else size - len(out)
            if want <= 0:
                continue
            if p.kind == UNAVAILABLE:
                raise LocationError(f"unavailable: {p.why}")
            if p.kind == MEMORY:
                assert p.address is not None
                out += memory.read(p.address, want)
            else:
                assert p.value is not None
                v = p.value[:want]
                out += v + bytes(want - len(v))
        if len(out) < size:
            raise LocationError(f"the location describes {len(out)} of {size} bytes")
        return bytes(out[:size])


    def read_partial(self, memory: Memory, size: int
                     ) -> tuple[bytes, tuple[tuple[int, int, str], ...]]:
        """The value's ``size`` bytes, those of unavailable pieces as zeros,
        and those holes: (start, end, why) byte ranges. Bytes no piece
        covers (padding between placed pieces) are zeros and no hole.
        Raises :class:`UnreadableMemory` for memory the core does not hold,
        :class:`LocationError` for a whole-value piece of an unplaced
        location that is unavailable."""
        out = bytearray(size)
        holes: list[tuple[int, int, str]] = []
        offsets = self._piece_offsets()
        for p, off in zip(self.pieces, offsets, strict=True):
            want = p.size if p.size is not None else size - off
            want = min(want, size - off)
            if want <= 0:
                continue
            if p.kind == UNAVAILABLE:
                holes.append((off, off + want, p.why or "unavailable"))
                continue
            if p.kind == MEMORY:
                assert p.address is not None
                chunk = memory.read(p.address, want)
            else:
                assert p.value is not None
                chunk = p.value[:want]
                chunk += bytes(want - len(chunk))
            out[off:off + want] = chunk
        if self.offsets is None:
            end = offsets[-1] + (self.pieces[-1].size or size) if self.pieces else 0
            if end < size:
                holes.append((end, size, f"the location describes {end} of {size} bytes"))
        return bytes(out), tuple(holes)


def bare_register(expr: bytes) -> int | None:
    """The DWARF register ``expr`` names when it is nothing else: one
    ``DW_OP_regN``/``DW_OP_regx`` without ``DW_OP_piece`` (a value held
    whole in one register); None for any other expression."""
    if len(expr) == 1 and 0x50 <= expr[0] <= 0x6F:
        return expr[0] - 0x50
    if len(expr) >= 2 and expr[0] == 0x90:
        try:
            r, pos = uleb(expr, 1)
        except IndexError:
            return None
        return r if pos == len(expr) else None
    return None


class Memory(Protocol):
    """What evaluation needs of an address space (``dapcore.elf.memory.AddressSpace``)."""

    def read(self, addr: int, size: int) -> bytes: ...


@dataclass(slots=True)
class Context:
    """What a frame knows: its CFA, its frame base (None: evaluate
    ``frame_base`` instead), the registers known in it (DWARF number →
    value; may be empty), memory for ``DW_OP_deref`` (None: no deref), the
    load bias for ``DW_OP_addr``, and a resolver of ``.debug_addr`` indexes."""

    cfa: int | None = None
    registers: Mapping[int, int] = field(default_factory=dict)
    memory: Memory | None = None
    bias: int = 0
    frame_base: int | None = None
    frame_base_expr: bytes | None = None
    address_index: Callable[[int], int] | None = None
    addr_size: int = 8
    register_sizes: Mapping[int, int] = field(default_factory=dict)  # bytes; default 8
    register_names: Sequence[str] = ()  # DWARF number → name, for messages


_MASK = (1 << 64) - 1


def _to_signed(v: int) -> int:
    v &= _MASK
    return v - (1 << 64) if v >> 63 else v


def evaluate(expr: bytes, ctx: Context) -> Location:
    """The location ``expr`` describes in the frame ``ctx`` describes."""
    if not expr:
        return Location.unavailable("no location (optimized out)")
    return _Evaluator(expr, ctx).run()


class _Evaluator:
    """The state of one evaluation: the expression and the read position in
    it, the DWARF stack, the pieces closed so far and what is known of the
    current piece (a register named by ``DW_OP_regN``, an implicit value,
    ``DW_OP_stack_value``, or why it is lost). Each operation is a handler
    in :data:`_OPS`."""

    __slots__ = ("ctx", "expr", "failed", "implicit", "pieces", "pos", "reg", "stack",
                 "stack_value")

    def __init__(self, expr: bytes, ctx: Context) -> None:
        self.expr = expr
        self.ctx = ctx
        self.pos = 0
        self.pieces: list[Piece] = []
        self.stack: list[int] = []
        self.reg: int | None = None  # a DW_OP_regN result for the current piece
        self.implicit: bytes | None = None
        self.stack_value = False
        self.failed: str | None = None

    def run(self) -> Location:
        expr, n = self.expr, len(self.expr)
        while self.pos < n:
            op = expr[self.pos]
            self.pos += 1
            try:
                if self.failed is not None and op not in (0x93, 0x9D):
                    # Skip to the end of this piece: its value is already lost.
                    self.pos = _skip_operands(expr, self.pos, op, self.ctx.addr_size)
                    continue
                handler = _OPS.get(op)
                if handler is None:
                    raise _Unavailable(f"unsupported DWARF operation {op:#x}")
                handler(self, op)
            except _Unavailable as exc:
                self.failed = exc.why
            except IndexError:
                self.failed = "malformed location expression"
        if self.pos > n:
            self.failed = self.failed or "malformed location expression"
        if self.failed is not None or self.reg is not None or self.implicit is not None \
                or self.stack or self.stack_value or not self.pieces:
            self.close_piece(None)
        return Location(tuple(self.pieces))

    # -- operands ---------------------------------------------------------------------

    def uleb(self) -> int:
        v, self.pos = uleb(self.expr, self.pos)
        return v

    def sleb(self) -> int:
        v, self.pos = sleb(self.expr, self.pos)
        return v

    def fixed(self, size: int, signed: bool = False) -> int:
        """A little-endian operand of ``size`` bytes."""
        v = int.from_bytes(self.expr[self.pos:self.pos + size], "little", signed=signed)
        self.pos += size
        return v

    def byte(self) -> int:
        v = self.expr[self.pos]
        self.pos += 1
        return v

    # -- what the frame knows -------------------------------------------------------

    def need(self, k: int) -> None:
        if len(self.stack) < k:
            raise _Unavailable("malformed location expression (stack underflow)")

    def register_value(self, r: int) -> int:
        if r in self.ctx.registers:
            return self.ctx.registers[r]
        raise _Unavailable(f"needs register {register_name(r, self.ctx.register_names)}, "
                           "not saved in this frame")

    def read_word(self, addr: int, size: int) -> int:
        mem = self.ctx.memory
        if mem is None:
            raise _Unavailable("dereferences memory")
        try:
            raw = mem.read(addr & _MASK, size)
        except UnreadableMemory as exc:
            raise _Unavailable(f"dereferences unreadable memory at {addr & _MASK:#x}") from exc
        return int.from_bytes(raw, "little")

    def address_index(self, i: int) -> int:
        if self.ctx.address_index is None:
            raise _Unavailable("needs .debug_addr")
        return self.ctx.address_index(i)

    def frame_base(self) -> int:
        ctx = self.ctx
        if ctx.frame_base is not None:
            return ctx.frame_base
        if ctx.frame_base_expr is not None:
            fb = evaluate(ctx.frame_base_expr, Context(
                ctx.cfa, ctx.registers, ctx.memory, ctx.bias, None, None, ctx.address_index,
                ctx.addr_size, ctx.register_sizes, ctx.register_names))
            if len(fb.pieces) == 1:
                p = fb.pieces[0]
                if p.kind == MEMORY and p.address is not None:
                    return p.address
                if p.kind in (REGISTER, IMPLICIT) and p.value is not None:
                    return int.from_bytes(p.value[:8], "little")
                if p.why:
                    raise _Unavailable(f"frame base: {p.why}")
            raise _Unavailable("the frame base is not an address")
        if ctx.cfa is not None:
            return ctx.cfa
        raise _Unavailable("the frame base is unknown")

    # -- pieces -----------------------------------------------------------------------

    def close_piece(self, size: int | None) -> None:
        """End the current piece (``size`` bytes; None: the whole value)."""
        self.pieces.append(self._piece(size))
        self.stack.clear()
        self.reg, self.implicit, self.stack_value, self.failed = None, None, False, None

    def _piece(self, size: int | None) -> Piece:
        stack, reg, ctx = self.stack, self.reg, self.ctx
        if self.failed is not None:
            return Piece(UNAVAILABLE, size, why=self.failed)
        if reg is not None:
            if reg in ctx.registers:
                width = ctx.register_sizes.get(reg, 8)
                val = (ctx.registers[reg] & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
                return Piece(REGISTER, size, register=reg, value=val)
            return Piece(UNAVAILABLE, size, register=reg,
                         why=f"in register {register_name(reg, ctx.register_names)}, "
                              "not saved in this frame")
        if self.implicit is not None:
            return Piece(IMPLICIT, size, value=self.implicit)
        if self.stack_value:
            val = (stack[-1] & _MASK).to_bytes(8, "little") if stack else bytes(8)
            return Piece(IMPLICIT, size, value=val)
        if stack and stack[-1] & _MASK:
            return Piece(MEMORY, size, address=stack[-1] & _MASK)
        if stack:  # address 0: a nil pointer followed, or a global the linker dropped
            return Piece(UNAVAILABLE, size, why="at address 0 (nil pointer)")
        return Piece(UNAVAILABLE, size, why="optimized out")


# ---------------------------------------------------------------------------
# The operations (DWARF 5 §2.5, §2.6), one handler each: (state, opcode).

_Handler = Callable[[_Evaluator, int], None]


def _lit(ev: _Evaluator, op: int) -> None:  # lit0..lit31
    ev.stack.append(op - 0x30)


def _reg(ev: _Evaluator, op: int) -> None:  # reg0..reg31
    ev.reg = op - 0x50


def _breg(ev: _Evaluator, op: int) -> None:  # breg0..breg31
    off = ev.sleb()
    ev.stack.append(ev.register_value(op - 0x70) + off)


def _addr(ev: _Evaluator, op: int) -> None:
    ev.stack.append(ev.fixed(ev.ctx.addr_size) + ev.ctx.bias)


def _addrx(ev: _Evaluator, op: int) -> None:  # addrx, GNU_addr_index
    i = ev.uleb()
    ev.stack.append(ev.address_index(i) + ev.ctx.bias)


def _constx(ev: _Evaluator, op: int) -> None:  # constx, GNU_const_index
    i = ev.uleb()
    ev.stack.append(ev.address_index(i))


_CONST_SIZES = {0x08: (1, False), 0x09: (1, True), 0x0A: (2, False), 0x0B: (2, True),
                0x0C: (4, False), 0x0D: (4, True), 0x0E: (8, False), 0x0F: (8, True)}


def _const(ev: _Evaluator, op: int) -> None:  # const1u/1s … const8u/8s
    size, signed = _CONST_SIZES[op]
    ev.stack.append(ev.fixed(size, signed))


def _constu(ev: _Evaluator, op: int) -> None:
    ev.stack.append(ev.uleb())


def _consts(ev: _Evaluator, op: int) -> None:
    ev.stack.append(ev.sleb())


def _dup(ev: _Evaluator, op: int) -> None:
    ev.need(1)
    ev.stack.append(ev.stack[-1])


def _drop(ev: _Evaluator, op: int) -> None:
    ev.need(1)
    ev.stack.pop()


def _over(ev: _Evaluator, op: int) -> None:
    ev.need(2)
    ev.stack.append(ev.stack[-2])


def _pick(ev: _Evaluator, op: int) -> None:
    i = ev.byte()
    ev.need(i + 1)
    ev.stack.append(ev.stack[-1 - i])


def _swap(ev: _Evaluator, op: int) -> None:
    ev.need(2)
    s = ev.stack
    s[-1], s[-2] = s[-2], s[-1]


def _rot(ev: _Evaluator, op: int) -> None:
    ev.need(3)
    s = ev.stack
    s[-1], s[-2], s[-3] = s[-2], s[-3], s[-1]


def _deref(ev: _Evaluator, op: int) -> None:
    ev.need(1)
    ev.stack.append(ev.read_word(ev.stack.pop(), ev.ctx.addr_size))


def _deref_size(ev: _Evaluator, op: int) -> None:
    size = ev.byte()
    ev.need(1)
    ev.stack.append(ev.read_word(ev.stack.pop(), size))


_UNARY: dict[int, Callable[[int], int]] = {
    0x19: lambda a: abs(_to_signed(a)),  # abs
    0x1F: lambda a: -_to_signed(a),  # neg
    0x20: lambda a: ~a & _MASK,  # not
}


def _unary(ev: _Evaluator, op: int) -> None:
    ev.need(1)
    ev.stack.append(_UNARY[op](ev.stack.pop()))


def _plus_uconst(ev: _Evaluator, op: int) -> None:
    v = ev.uleb()
    ev.need(1)
    ev.stack.append(ev.stack.pop() + v)


def _binary(ev: _Evaluator, op: int) -> None:
    ev.need(2)
    b, a = ev.stack.pop(), ev.stack.pop()
    ev.stack.append(_BINARY[op](a, b) & _MASK)


def _skip(ev: _Evaluator, op: int) -> None:
    off = ev.fixed(2, signed=True)
    ev.pos += off


def _bra(ev: _Evaluator, op: int) -> None:
    off = ev.fixed(2, signed=True)
    ev.need(1)
    if ev.stack.pop() & _MASK:
        ev.pos += off


def _regx(ev: _Evaluator, op: int) -> None:
    ev.reg = ev.uleb()


def _bregx(ev: _Evaluator, op: int) -> None:
    r = ev.uleb()
    off = ev.sleb()
    ev.stack.append(ev.register_value(r) + off)


def _fbreg(ev: _Evaluator, op: int) -> None:
    off = ev.sleb()
    ev.stack.append(ev.frame_base() + off)


def _call_frame_cfa(ev: _Evaluator, op: int) -> None:
    if ev.ctx.cfa is None:
        raise _Unavailable("the frame's CFA is unknown")
    ev.stack.append(ev.ctx.cfa)


def _stack_value(ev: _Evaluator, op: int) -> None:
    ev.stack_value = True


def _implicit_value(ev: _Evaluator, op: int) -> None:
    size = ev.uleb()
    ev.implicit = bytes(ev.expr[ev.pos:ev.pos + size])
    ev.pos += size


def _piece(ev: _Evaluator, op: int) -> None:
    ev.close_piece(ev.uleb())


def _bit_piece(ev: _Evaluator, op: int) -> None:  # whole bytes only
    bits = ev.uleb()
    boff = ev.uleb()
    if bits % 8 or boff % 8:
        ev.failed = ev.failed or "a bit-sized piece"
    ev.close_piece(bits // 8)


def _nop(ev: _Evaluator, op: int) -> None:
    pass


def _entry_value(ev: _Evaluator, op: int) -> None:  # entry_value, GNU_entry_value
    ev.pos += ev.uleb()
    raise _Unavailable("the value the caller passed (entry value) is not kept")


def _implicit_pointer(ev: _Evaluator, op: int) -> None:
    raise _Unavailable("an implicit pointer")


_BINARY: dict[int, Callable[[int, int], int]] = {
    0x1A: lambda a, b: a & b,  # and
    0x1B: lambda a, b: _to_signed(a) // _to_signed(b) if b else 0,  # div
    0x1C: lambda a, b: a - b,  # minus
    0x1D: lambda a, b: a % b if b else 0,  # mod
    0x1E: lambda a, b: a * b,  # mul
    0x21: lambda a, b: a | b,  # or
    0x22: lambda a, b: a + b,  # plus
    0x24: lambda a, b: a << b if b < 64 else 0,  # shl
    0x25: lambda a, b: (a & _MASK) >> b,  # shr
    0x26: lambda a, b: _to_signed(a) >> b,  # shra
    0x27: lambda a, b: a ^ b,  # xor
    0x29: lambda a, b: int(a & _MASK == b & _MASK),  # eq
    0x2A: lambda a, b: int(_to_signed(a) >= _to_signed(b)),  # ge
    0x2B: lambda a, b: int(_to_signed(a) > _to_signed(b)),  # gt
    0x2C: lambda a, b: int(_to_signed(a) <= _to_signed(b)),  # le
    0x2D: lambda a, b: int(_to_signed(a) < _to_signed(b)),  # lt
    0x2E: lambda a, b: int(a & _MASK != b & _MASK),  # ne
}

_OPS: dict[int, _Handler] = {
    **dict.fromkeys(range(0x30, 0x50), _lit),
    **dict.fromkeys(range(0x50, 0x70), _reg),
    **dict.fromkeys(range(0x70, 0x90), _breg),
    **dict.fromkeys(_CONST_SIZES, _const),
    **dict.fromkeys(_UNARY, _unary),
    **dict.fromkeys(_BINARY, _binary),
    0x03: _addr,
    0xA1: _addrx, 0xFB: _addrx,  # addrx, GNU_addr_index
    0xA2: _constx, 0xFC: _constx,  # constx, GNU_const_index
    0x10: _constu,
    0x11: _consts,
    0x12: _dup,
    0x13: _drop,
    0x14: _over,
    0x15: _pick,
    0x16: _swap,
    0x17: _rot,
    0x06: _deref,
    0x94: _deref_size,
    0x23: _plus_uconst,
    0x2F: _skip,
    0x28: _bra,
    0x90: _regx,
    0x92: _bregx,
    0x91: _fbreg,
    0x9C: _call_frame_cfa,
    0x9F: _stack_value,
    0x9E: _implicit_value,
    0x93: _piece,
    0x9D: _bit_piece,
    0x96: _nop,
    0xA3: _entry_value, 0xF3: _entry_value,  # entry_value, GNU_entry_value
    0xA0: _implicit_pointer, 0xF2: _implicit_pointer,
}

# Operand sizes for skipping the rest of a piece whose value is lost:
# "u" uleb, "s" sleb, "a" address, digits: fixed bytes.
_OPERANDS: dict[int, str] = {
    0x03: "a", 0x08: "1", 0x09: "1", 0x0A: "2", 0x0B: "2", 0x0C: "4", 0x0D: "4",
    0x0E: "8", 0x0F: "8", 0x10: "u", 0x11: "s", 0x15: "1", 0x23: "u", 0x28: "2",
    0x2F: "2", 0x90: "u", 0x91: "s", 0x92: "us", 0x94: "1", 0xA1: "u", 0xA2: "u",
    0xFB: "u", 0xFC: "u",
}


def _skip_operands(expr: bytes, pos: int, op: int, addr_size: int) -> int:
    if 0x70 <= op <= 0x8F:
        return sleb(expr, pos)[1]
    if op in (0x9E, 0xA3, 0xF3):  # a uleb size and that many bytes
        size, pos = uleb(expr, pos)
        return pos + size
    for kind in _OPERANDS.get(op, ""):
        if kind == "u":
            pos = uleb(expr, pos)[1]
        elif kind == "s":
            pos = sleb(expr, pos)[1]
        elif kind == "a":
            pos += addr_size
        else:
            pos += int(kind)
    return pos
