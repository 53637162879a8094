"""Call frame information (``.eh_frame``, ``.debug_frame``), read lazily.

An FDE is found for a PC without parsing the whole section: through the
binary search table of ``.eh_frame_hdr`` when there is one, else through a
sorted index of FDE address ranges built once from the entries' headers.
Only the FDE found (and its CIE) is decoded; its instructions are run up to
the PC, giving the :class:`Rules` there: how to compute the CFA and where
each register of the caller was saved.

Both formats share the entry layout (DWARF 5, section 6.4; the LSB's
``.eh_frame``): ``.eh_frame`` has CIE id 0, CIE pointers relative to the
field and pointer encodings (``DW_EH_PE_*``); ``.debug_frame`` has CIE id
``0xffffffff`` and section offsets. Expressions (``DW_CFA_def_cfa_expression``,
``DW_CFA_expression``, ``DW_CFA_val_expression``) are kept as bytes and
evaluated by :func:`eval_expression` with the few operators CFI uses (PLT
entries, signal trampolines).
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dapcore.dwarf.leb128 import sleb, uleb
from dapcore.errors import DapcoreError

__all__ = ["CFIError", "FrameTable", "Rule", "Rules", "eval_expression"]


class CFIError(DapcoreError):
    """Call frame information that does not decode."""


# Register rule kinds.
UNDEFINED, SAME, OFFSET, VAL_OFFSET, REGISTER, EXPRESSION, VAL_EXPRESSION = range(7)


@dataclass(frozen=True, slots=True)
class Rule:
    kind: int
    value: int = 0  # offset, or register number for REGISTER
    expr: bytes = b""


@dataclass(slots=True)
class Rules:
    """The unwind rules at one PC."""

    cfa_reg: int = -1
    cfa_offset: int = 0
    cfa_expr: bytes | None = None  # DW_CFA_def_cfa_expression
    regs: dict[int, Rule] = field(default_factory=dict)
    ra_reg: int = 16
    signal_frame: bool = False  # the CIE's "S": the PC is not a return address
    fde_start: int = 0

    def copy(self) -> Rules:
        return Rules(self.cfa_reg, self.cfa_offset, self.cfa_expr, dict(self.regs),
                     self.ra_reg, self.signal_frame, self.fde_start)


@dataclass(frozen=True, slots=True)
class _CIE:
    code_align: int
    data_align: int
    ra_reg: int
    instructions: bytes
    fde_encoding: int
    has_aug_data: bool
    signal_frame: bool


class FrameTable:
    """The CFI of one section. ``data``: its bytes; ``addr``: its address
    (``.eh_frame``'s pc-relative pointers are relative to it); ``hdr``: the
    ``.eh_frame_hdr`` bytes and address, if any. Addresses are link-time."""

    def __init__(self, data: bytes | memoryview, addr: int, eh: bool,
                 hdr: tuple[bytes | memoryview, int] | None = None) -> None:
        self.data = bytes(data)
        self.addr = addr
        self.eh = eh
        self._cies: dict[int, _CIE] = {}
        self._table: tuple[list[int], list[int]] | None = None  # (pc starts, fde offsets)
        if hdr is not None:
            self._table = self._hdr_table(bytes(hdr[0]), hdr[1])

    # -- finding the FDE ----------------------------------------------------

    def _hdr_table(self, hdr: bytes, hdr_addr: int) -> tuple[list[int], list[int]] | None:
        if len(hdr) < 4 or hdr[0] != 1:
            return None
        ptr_enc, count_enc, table_enc = hdr[1], hdr[2], hdr[3]
        try:
            _, pos = _pointer(hdr, 4, ptr_enc, hdr_addr, hdr_addr)
            count, pos = _pointer(hdr, pos, count_enc, hdr_addr, hdr_addr)
            starts, offsets = [], []
            for _ in range(count):
                pc, pos = _pointer(hdr, pos, table_enc, hdr_addr, hdr_addr)
                fde, pos = _pointer(hdr, pos, table_enc, hdr_addr, hdr_addr)
                starts.append(pc)
                offsets.append(fde - self.addr)
        except (struct.error, IndexError, CFIError):
            return None
        return starts, offsets

    def _scan(self) -> tuple[list[int], list[int]]:
        """Every FDE's (start pc, offset), sorted: headers only."""
        pairs = []
        pos, data = 0, self.data
        while pos + 4 <= len(data):
            length, id_at, end = _entry_bounds(data, pos)
            if length == 0:
                if self.eh:
                    break  # the terminator
                pos = end
                continue
            cie_id = _u(data, id_at, 8 if id_at - pos == 12 else 4)
            if not self._is_cie(cie_id):
                try:
                    cie = self._cie(self._cie_offset(id_at, cie_id))
                    size = 8 if id_at - pos == 12 else 4
                    start, _ = self._fde_pc(data, id_at + size, cie)
                    pairs.append((start, pos))
                except (struct.error, IndexError, CFIError):
                    pass
            pos = end
        pairs.sort()
        return [p for p, _ in pairs], [o for _, o in pairs]

    def _is_cie(self, cie_id: int) -> bool:
        return cie_id == 0 if self.eh else cie_id in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)

    def _cie_offset(self, id_at: int, cie_id: int) -> int:
        return id_at - cie_id if self.eh else cie_id

    def rules_at(self, pc: int) -> Rules | None:
        """The unwind rules at link-time ``pc`` (None: no FDE covers it)."""
        if self._table is None:
            self._table = self._scan()
        starts, offsets = self._table
        i = bisect_right(starts, pc) - 1
        if i < 0:
            return None
        try:
            return self._run_fde(offsets[i], pc)
        except (struct.error, IndexError, ValueError) as exc:
            raise CFIError(f"undecodable call frame information at {offsets[i]:#x}: "
                           f"{exc}") from exc

    # -- decoding -------------------------------------------------------------

    def _cie(self, off: int) -> _CIE:
        cie = self._cies.get(off)
        if cie is not None:
            return cie
        data = self.data
        _length, id_at, end = _entry_bounds(data, off)
        pos = id_at + (8 if id_at - off == 12 else 4)
        version = data[pos]
        pos += 1
        nul = data.index(b"\0", pos)
        aug = data[pos:nul].decode("latin-1")
        pos = nul + 1
        if "eh" in aug:
            pos += 8
        if version >= 4:
            pos += 2  # address_size, segment_selector_size
        code_align, pos = uleb(data, pos)
        data_align, pos = sleb(data, pos)
        if version == 1:
            ra_reg, pos = data[pos], pos + 1
        else:
            ra_reg, pos = uleb(data, pos)
        fde_enc = 0
        has_aug = aug.startswith("z")
        if has_aug:
            aug_len, pos = uleb(data, pos)
            aug_end = pos + aug_len
            for ch in aug[1:]:
                if ch == "R":
                    fde_enc, pos = data[pos], pos + 1
                elif ch == "P":
                    enc = data[pos]
                    _, pos = _pointer(data, pos + 1, enc, self.addr, 0)
                elif ch == "L":
                    pos += 1
            pos = aug_end
        cie = _CIE(code_align, data_align, ra_reg, data[pos:end], fde_enc, has_aug, "S" in aug)
        self._cies[off] = cie
        return cie

    def _fde_pc(self, data: bytes, pos: int, cie: _CIE) -> tuple[int, int]:
        if not self.eh:
            return _u(data, pos, 8), pos + 8
        return _pointer(data, pos, cie.fde_encoding, self.addr, 0)

    def _run_fde(self, off: int, pc: int) -> Rules | None:
        data = self.data
        _length, id_at, end = _entry_bounds(data, off)
        wide = id_at - off == 12
        cie_id = _u(data, id_at, 8 if wide else 4)
        if self._is_cie(cie_id):
            return None
        cie = self._cie(self._cie_offset(id_at, cie_id))
        pos = id_at + (8 if wide else 4)
        start, pos = self._fde_pc(data, pos, cie)
        if self.eh:
            size, pos = _pointer(data, pos, cie.fde_encoding & 0x0F, self.addr, 0)
        else:
            size, pos = _u(data, pos, 8), pos + 8
        if not start <= pc < start + size:
            return None
        if cie.has_aug_data:
            aug_len, pos = uleb(data, pos)
            pos += aug_len
        initial = Rules(ra_reg=cie.ra_reg, signal_frame=cie.signal_frame, fde_start=start)
        _execute(cie.instructions, cie, initial, start, None, None)
        rules = initial.copy()
        _execute(data[pos:end], cie, rules, start, pc, initial)
        return rules


def _entry_bounds(data: bytes, pos: int) -> tuple[int, int, int]:
    """(length, where the CIE id / pointer is, end) of the entry at ``pos``."""
    (length,) = struct.unpack_from("<I", data, pos)
    if length == 0xFFFFFFFF:
        (length,) = struct.unpack_from("<Q", data, pos + 4)
        return length, pos + 12, pos + 12 + length
    return length, pos + 4, pos + 4 + length


def _u(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos:pos + size], "little")


_FIXED = {2: ("<H", 2), 3: ("<I", 4), 4: ("<Q", 8), 0x0A: ("<h", 2), 0x0B: ("<i", 4),
          0x0C: ("<q", 8), 0: ("<Q", 8)}


def _pointer(data: bytes, pos: int, enc: int, section_addr: int, data_base: int
             ) -> tuple[int, int]:
    """A ``DW_EH_PE_*``-encoded value at ``pos`` (of a section at
    ``section_addr``): (value, position after it)."""
    if enc == 0xFF:  # DW_EH_PE_omit
        return 0, pos
    fmt = enc & 0x0F
    here = section_addr + pos
    if fmt == 1:
        value, end = uleb(data, pos)
    elif fmt == 9:
        value, end = sleb(data, pos)
    elif fmt in _FIXED:
        f, n = _FIXED[fmt]
        (value,) = struct.unpack_from(f, data, pos)
        end = pos + n
    else:
        raise CFIError(f"unknown pointer encoding {enc:#x}")
    app = enc & 0x70
    if app == 0x10:  # pcrel
        value += here
    elif app == 0x30:  # datarel (.eh_frame_hdr)
        value += data_base
    elif app not in (0,):
        raise CFIError(f"unsupported pointer application {enc:#x}")
    return value & 0xFFFFFFFFFFFFFFFF, end


def _execute(code: bytes, cie: _CIE, rules: Rules, loc: int, pc: int | None,
             initial: Rules | None) -> None:
    """Run CFA instructions from ``loc`` until the location passes ``pc``
    (None: all of them, for a CIE's initial instructions)."""
    pos, n = 0, len(code)
    stack: list[Rules] = []
    ca, da = cie.code_align, cie.data_align
    while pos < n:
        op = code[pos]
        pos += 1
        hi, low = op & 0xC0, op & 0x3F
        if hi == 0x40:  # advance_loc
            loc += low * ca
            if pc is not None and loc > pc:
                return
            continue
        if hi == 0x80:  # offset
            off, pos = uleb(code, pos)
            rules.regs[low] = Rule(OFFSET, off * da)
            continue
        if hi == 0xC0:  # restore
            _restore(rules, initial, low)
            continue
        if op in (0x01, 0x02, 0x03, 0x04):  # set_loc, advance_loc1/2/4
            if op == 0x01:
                loc, pos = _u(code, pos, 8), pos + 8
            else:
                size = {0x02: 1, 0x03: 2, 0x04: 4}[op]
                loc += _u(code, pos, size) * ca
                pos += size
            if pc is not None and loc > pc:
                return
        elif op == 0x0A:
            stack.append(rules.copy())
        elif op == 0x0B:
            if stack:
                saved = stack.pop()
                rules.cfa_reg, rules.cfa_offset = saved.cfa_reg, saved.cfa_offset
                rules.cfa_expr, rules.regs = saved.cfa_expr, saved.regs
        else:
            pos = _operand_op(op, code, pos, rules, initial, da)


def _operand_op(op: int, code: bytes, pos: int, rules: Rules, initial: Rules | None,
                da: int) -> int:
    """One instruction with register/offset operands; the position after it."""
    if op == 0x00 or op == 0x2E:  # nop; GNU_args_size
        return pos if op == 0 else uleb(code, pos)[1]
    if op == 0x13:  # def_cfa_offset_sf
        off, pos = sleb(code, pos)
        rules.cfa_offset = off * da
        return pos
    reg, pos = uleb(code, pos)
    if op in (0x05, 0x11, 0x14, 0x15, 0x2F):  # offset(_sf), val_offset(_sf), negative
        if op in (0x11, 0x15):
            off, pos = sleb(code, pos)
        else:
            off, pos = uleb(code, pos)
        off = -off if op == 0x2F else off
        rules.regs[reg] = Rule(VAL_OFFSET if op in (0x14, 0x15) else OFFSET, off * da)
    elif op == 0x06:
        _restore(rules, initial, reg)
    elif op == 0x07:
        rules.regs[reg] = Rule(UNDEFINED)
    elif op == 0x08:
        rules.regs[reg] = Rule(SAME)
    elif op == 0x09:
        other, pos = uleb(code, pos)
        rules.regs[reg] = Rule(REGISTER, other)
    elif op in (0x0C, 0x12):  # def_cfa(_sf)
        if op == 0x0C:
            off, pos = uleb(code, pos)
        else:
            off, pos = sleb(code, pos)
            off *= da
        rules.cfa_reg, rules.cfa_offset, rules.cfa_expr = reg, off, None
    elif op == 0x0D:
        rules.cfa_reg, rules.cfa_expr = reg, None
    elif op == 0x0E:  # def_cfa_offset: reg was its operand
        rules.cfa_offset = reg
    elif op == 0x0F:  # def_cfa_expression: reg was the length
        rules.cfa_expr = bytes(code[pos:pos + reg])
        pos += reg
    elif op in (0x10, 0x16):
        size, pos = uleb(code, pos)
        kind = EXPRESSION if op == 0x10 else VAL_EXPRESSION
        rules.regs[reg] = Rule(kind, 0, bytes(code[pos:pos + size]))
        pos += size
    else:
        raise CFIError(f"unknown call frame instruction {op:#x}")
    return pos


def _restore(rules: Rules, initial: Rules | None, reg: int) -> None:
    if initial is not None and reg in initial.regs:
        rules.regs[reg] = initial.regs[reg]
    else:
        rules.regs.pop(reg, None)


def eval_expression(expr: bytes, regs: Mapping[int, int], read: Callable[[int], int],
                    push: int | None = None) -> int:
    """The value of a CFI DWARF expression: the operators CFI uses in
    practice (``DW_OP_breg*``, literals, constants, arithmetic, ``deref``).
    ``push``: an initial stack entry (the CFA, for register rules). A
    register it needs that is not in ``regs`` raises :class:`KeyError`."""
    stack: list[int] = [] if push is None else [push]
    pos, n, mask = 0, len(expr), (1 << 64) - 1
    while pos < n:
        op = expr[pos]
        pos += 1
        if 0x70 <= op <= 0x8F:  # breg0..31
            off, pos = sleb(expr, pos)
            stack.append((regs[op - 0x70] + off) & mask)
        elif 0x50 <= op <= 0x6F:  # reg0..31 (a value in a register)
            stack.append(regs[op - 0x50])
        elif 0x30 <= op <= 0x4F:  # lit0..31
            stack.append(op - 0x30)
        elif op in (0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F):  # const1u … const8s
            size = 1 << ((op - 0x08) // 2)
            signed = (op - 0x08) % 2 == 1
            stack.append(int.from_bytes(expr[pos:pos + size], "little", signed=signed) & mask)
            pos += size
        elif op in (0x10, 0x11):  # constu, consts
            val, pos = uleb(expr, pos) if op == 0x10 else sleb(expr, pos)
            stack.append(val & mask)
        elif op == 0x23:  # plus_uconst
            val, pos = uleb(expr, pos)
            stack.append((stack.pop() + val) & mask)
        elif op == 0x06:  # deref
            stack.append(read(stack.pop()))
        elif op == 0x12:  # dup
            stack.append(stack[-1])
        elif op in _BINARY:
            b, a = stack.pop(), stack.pop()
            stack.append(_BINARY[op](a, b) & mask)
        else:
            raise CFIError(f"call frame expression operator {op:#x} is not supported")
    if not stack:
        raise CFIError("empty call frame expression")
    return stack[-1]


def _s64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


_BINARY: dict[int, Callable[[int, int], int]] = {
    0x1A: lambda a, b: a & b,
    0x1C: lambda a, b: a - b,
    0x21: lambda a, b: a | b,
    0x22: lambda a, b: a + b,
    0x24: lambda a, b: a << b,
    0x25: lambda a, b: a >> b,
    0x27: lambda a, b: a ^ b,
    0x1E: lambda a, b: a * b,
    0x29: lambda a, b: int(a == b),
    0x2A: lambda a, b: int(_s64(a) >= _s64(b)),
    0x2B: lambda a, b: int(_s64(a) > _s64(b)),
    0x2C: lambda a, b: int(_s64(a) <= _s64(b)),
    0x2D: lambda a, b: int(_s64(a) < _s64(b)),
    0x2E: lambda a, b: int(a != b),
}
