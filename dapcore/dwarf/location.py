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

from dapcore.dwarf.info import sleb, uleb
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
    pieces: list[Piece] = []
    stack: list[int] = []
    reg: int | None = None  # a DW_OP_regN result for the current piece
    implicit: bytes | None = None
    stack_value = False
    failed: str | None = None
    pos, n = 0, len(expr)

    def close_piece(size: int | None) -> None:
        nonlocal reg, implicit, stack_value, failed
        if failed is not None:
            pieces.append(Piece(UNAVAILABLE, size, why=failed))
        elif reg is not None:
            if reg in ctx.registers:
                width = ctx.register_sizes.get(reg, 8)
                val = (ctx.registers[reg] & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
                pieces.append(Piece(REGISTER, size, register=reg, value=val))
            else:
                name = register_name(reg, ctx.register_names)
                pieces.append(Piece(UNAVAILABLE, size, register=reg,
                                    why=f"in register {name}, not saved in this frame"))
        elif implicit is not None:
            pieces.append(Piece(IMPLICIT, size, value=implicit))
        elif stack_value:
            val = (stack[-1] & _MASK).to_bytes(8, "little") if stack else bytes(8)
            pieces.append(Piece(IMPLICIT, size, value=val))
        elif stack and stack[-1] & _MASK:
            pieces.append(Piece(MEMORY, size, address=stack[-1] & _MASK))
        elif stack:  # address 0: a nil pointer followed, or a global the linker dropped
            pieces.append(Piece(UNAVAILABLE, size, why="at address 0 (nil pointer)"))
        else:
            pieces.append(Piece(UNAVAILABLE, size, why="optimized out"))
        stack.clear()
        reg, implicit, stack_value, failed = None, None, False, None

    def need(k: int) -> None:
        if len(stack) < k:
            raise _Unavailable("malformed location expression (stack underflow)")

    def register_value(r: int) -> int:
        if r in ctx.registers:
            return ctx.registers[r]
        raise _Unavailable(f"needs register {register_name(r, ctx.register_names)}, "
                           "not saved in this frame")

    def read_word(addr: int, size: int) -> int:
        mem = ctx.memory
        if mem is None:
            raise _Unavailable("dereferences memory")
        try:
            raw = mem.read(addr & _MASK, size)
        except UnreadableMemory as exc:
            raise _Unavailable(f"dereferences unreadable memory at {addr & _MASK:#x}") from exc
        return int.from_bytes(raw, "little")

    def frame_base() -> int:
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

    while pos < n:
        op = expr[pos]
        pos += 1
        try:
            if failed is not None and op not in (0x93, 0x9D):
                # Skip to the end of this piece: its value is already lost.
                pos = _skip_operands(expr, pos, op, ctx.addr_size)
                continue
            if 0x30 <= op <= 0x4F:  # lit0..lit31
                stack.append(op - 0x30)
            elif 0x50 <= op <= 0x6F:  # reg0..reg31
                reg = op - 0x50
            elif 0x70 <= op <= 0x8F:  # breg0..breg31
                off, pos = sleb(expr, pos)
                stack.append(register_value(op - 0x70) + off)
            elif op == 0x03:  # addr
                a = int.from_bytes(expr[pos:pos + ctx.addr_size], "little")
                pos += ctx.addr_size
                stack.append(a + ctx.bias)
            elif op in (0xA1, 0xFB):  # addrx, GNU_addr_index
                i, pos = uleb(expr, pos)
                if ctx.address_index is None:
                    raise _Unavailable("needs .debug_addr")
                stack.append(ctx.address_index(i) + ctx.bias)
            elif op in (0xA2, 0xFC):  # constx, GNU_const_index
                i, pos = uleb(expr, pos)
                if ctx.address_index is None:
                    raise _Unavailable("needs .debug_addr")
                stack.append(ctx.address_index(i))
            elif op in (0x08, 0x0A, 0x0C, 0x0E):  # const1u/2u/4u/8u
                size = {0x08: 1, 0x0A: 2, 0x0C: 4, 0x0E: 8}[op]
                stack.append(int.from_bytes(expr[pos:pos + size], "little"))
                pos += size
            elif op in (0x09, 0x0B, 0x0D, 0x0F):  # const1s/2s/4s/8s
                size = {0x09: 1, 0x0B: 2, 0x0D: 4, 0x0F: 8}[op]
                stack.append(int.from_bytes(expr[pos:pos + size], "little", signed=True))
                pos += size
            elif op == 0x10:  # constu
                v, pos = uleb(expr, pos)
                stack.append(v)
            elif op == 0x11:  # consts
                v, pos = sleb(expr, pos)
                stack.append(v)
            elif op == 0x12:  # dup
                need(1)
                stack.append(stack[-1])
            elif op == 0x13:  # drop
                need(1)
                stack.pop()
            elif op == 0x14:  # over
                need(2)
                stack.append(stack[-2])
            elif op == 0x15:  # pick
                i = expr[pos]
                pos += 1
                need(i + 1)
                stack.append(stack[-1 - i])
            elif op == 0x16:  # swap
                need(2)
                stack[-1], stack[-2] = stack[-2], stack[-1]
            elif op == 0x17:  # rot
                need(3)
                stack[-1], stack[-2], stack[-3] = stack[-2], stack[-3], stack[-1]
            elif op == 0x06:  # deref
                need(1)
                stack.append(read_word(stack.pop(), ctx.addr_size))
            elif op == 0x94:  # deref_size
                size = expr[pos]
                pos += 1
                need(1)
                stack.append(read_word(stack.pop(), size))
            elif op == 0x19:  # abs
                need(1)
                stack.append(abs(_to_signed(stack.pop())))
            elif op == 0x1F:  # neg
                need(1)
                stack.append(-_to_signed(stack.pop()))
            elif op == 0x20:  # not
                need(1)
                stack.append(~stack.pop() & _MASK)
            elif op == 0x23:  # plus_uconst
                v, pos = uleb(expr, pos)
                need(1)
                stack.append(stack.pop() + v)
            elif op in _BINARY:
                need(2)
                b, a = stack.pop(), stack.pop()
                stack.append(_BINARY[op](a, b) & _MASK)
            elif op == 0x2F:  # skip
                off = int.from_bytes(expr[pos:pos + 2], "little", signed=True)
                pos += 2 + off
            elif op == 0x28:  # bra
                off = int.from_bytes(expr[pos:pos + 2], "little", signed=True)
                pos += 2
                need(1)
                if stack.pop() & _MASK:
                    pos += off
            elif op == 0x90:  # regx
                reg, pos = uleb(expr, pos)
            elif op == 0x92:  # bregx
                r, pos = uleb(expr, pos)
                off, pos = sleb(expr, pos)
                stack.append(register_value(r) + off)
            elif op == 0x91:  # fbreg
                off, pos = sleb(expr, pos)
                stack.append(frame_base() + off)
            elif op == 0x9C:  # call_frame_cfa
                if ctx.cfa is None:
                    raise _Unavailable("the frame's CFA is unknown")
                stack.append(ctx.cfa)
            elif op == 0x9F:  # stack_value
                stack_value = True
            elif op == 0x9E:  # implicit_value
                size, pos = uleb(expr, pos)
                implicit = bytes(expr[pos:pos + size])
                pos += size
            elif op == 0x93:  # piece
                size, pos = uleb(expr, pos)
                close_piece(size)
            elif op == 0x9D:  # bit_piece: whole bytes only
                bits, pos = uleb(expr, pos)
                boff, pos = uleb(expr, pos)
                if bits % 8 or boff % 8:
                    failed = failed or "a bit-sized piece"
                close_piece(bits // 8)
            elif op == 0x96:  # nop
                pass
            elif op in (0xA3, 0xF3):  # entry_value, GNU_entry_value
                size, pos = uleb(expr, pos)
                pos += size
                raise _Unavailable("the value the caller passed (entry value) is not kept")
            elif op in (0xA0, 0xF2):  # implicit_pointer
                raise _Unavailable("an implicit pointer")
            else:
                raise _Unavailable(f"unsupported DWARF operation {op:#x}")
        except _Unavailable as exc:
            failed = exc.why
        except IndexError:
            failed = "malformed location expression"
    if pos > n:
        failed = failed or "malformed location expression"
    if failed is not None or reg is not None or implicit is not None or stack or stack_value \
            or not pieces:
        close_piece(None)
    return Location(tuple(pieces))


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
