"""Where a closure keeps its captured variables, for Go releases whose DWARF
does not say (before 1.23, which writes ``DW_AT_go_closure_offset``).

A closure value is a pointer to a funcval: the code pointer, then the
captured variables in ``fn.ClosureVars`` order (a pointer for those captured
by reference). Nothing in the DWARF before Go 1.23 places them: a variable
captured by value is a plain local, one captured by reference an ``&x``
local, and the closure object's struct type names its fields ``X0, X1…``
(Go 1.21+) or is not tied to the function at all.

The closure's own code does say (the architecture's ``closure_entry``
runs it: :mod:`dapcore.arch.amd64_closure`, :mod:`dapcore.arch.arm64_closure`).
On amd64 the closure context arrives in DX (on arm64 in x26), and
``ssagen`` loads every captured variable the body keeps from
``DX+offset`` with the memory the closure was called with, so before the
body's first call or store: ``mov r9, [rdx+0x18]``, then, in unoptimized
code, a store of that register to the variable's stack slot. So the code is
run symbolically from the entry along the fall-through path until another
path joins it: which register or stack slot holds which bytes of the closure
object, or the address of some (``lea``: a large value captured by value).
A variable whose DWARF location at that point is such a register, or a slot
first filled that way, sits at that offset. Values copied back from a stack
slot are not evidence; a variable whose pieces disagree, and two variables
claiming overlapping bytes, are dropped: a capture shown must be right, a
missing one is merely not shown.

Checked against Go 1.23+'s own offsets on every closure of the fixtures'
binaries (``tests/test_closures.py``; 25 binaries, 8,900 captures placed):
no wrong offset, no variable taken for a capture; 92-97% of the captures
placed in optimized builds, 74-85% in ``-N -l`` builds (arm64: 11 binaries
of the zoo, 95-99% and 76-79%, none wrong). Not placed: mostly
compiler temporaries (``.autotmp_N``, ``.dict``: hidden anyway), captures
the body never keeps in a variable, and those loaded only after a call. The case the rules cannot
exclude: a variable copied from a field of a large captured struct before
the closure's first call, when the struct itself has no DWARF variable,
would be taken for a capture at the field's offset (with the field's value);
it does not occur in those binaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from dapcore.arch import lookup
from dapcore.arch.descriptor import Arch, EntryBlock, Sym
from dapcore.dwarf.constants import (
    AT_FRAME_BASE,
    AT_GO_CLOSURE_OFFSET,
    AT_LOCATION,
    AT_NAME,
    AT_TYPE,
    TAG_FORMAL_PARAMETER,
    TAG_LEXICAL_BLOCK,
    TAG_VARIABLE,
)
from dapcore.dwarf.dies import Die
from dapcore.dwarf.location import (
    MEMORY,
    UNAVAILABLE,
    Context,
    LocationError,
    evaluate,
)
from dapcore.dwarf.reader import Dwarf
from dapcore.dwarf.sections import DwarfError
from dapcore.errors import DapcoreError
from dapcore.govalues.types import GoType

if TYPE_CHECKING:
    from dapcore.elf.executable import Executable
    from dapcore.gobin.pclntab import PCLnTab
    from dapcore.govalues.types import GoTypes

__all__ = ["Capture", "ClosureLayouts", "derive_layout", "layout_from_dwarf"]

_PTR = 8
_BASE = 1 << 48  # a stand-in CFA: stack slots are addresses _BASE + k
_MAX_CODE = 1 << 18  # larger closures are not disassembled (bytes)


class Capture(NamedTuple):
    """A captured variable of a closure: where it is in the closure object
    (the funcval: code pointer, then the captures), its Go type, and
    whether the object holds a pointer to it (captured by reference, or
    ``&x`` for a large value captured by value: ``type`` is then x's)."""

    name: str
    offset: int
    type: GoType
    by_pointer: bool
    die_offset: int = 0  # the closure's DWARF variable


_CLOSURE_NAME = re.compile(r"\.(func|gowrap|deferwrap)\d+")


class ClosureLayouts:
    """Closure layouts of one executable, each worked out once: from the
    DWARF's ``DW_AT_go_closure_offset`` (Go 1.23+), else from the code."""

    def __init__(self, dwarf: Dwarf, types: GoTypes, exe: Executable,
                 pclntab: Callable[[], PCLnTab]) -> None:
        self.dwarf = dwarf
        self.types = types
        self.exe = exe
        self._pclntab = pclntab
        self._cache: dict[int, list[Capture] | None] = {}

    def layout(self, sub: Die) -> list[Capture] | None:
        """The captured variables of the closure function ``sub`` (a
        ``DW_TAG_subprogram``) with their offsets in the closure object;
        None when neither the DWARF nor the code places any."""
        if sub.offset in self._cache:
            return self._cache[sub.offset]
        d = self.dwarf
        out: list[Capture] | None = None
        code: list[list[Capture] | None] = []

        def from_code() -> list[Capture] | None:
            """What the closure's code says, read once and only when needed."""
            if not code:
                name = d.attr(sub, AT_NAME)
                ranges = d.ranges(sub)
                code.append(derive_layout(d, self.types, self.exe, self._pclntab(), sub,
                                          min(lo for lo, _hi in ranges))
                            if isinstance(name, str) and _CLOSURE_NAME.search(name) and ranges
                            else None)
            return code[0]

        try:
            out = layout_from_dwarf(d, self.types, sub, from_code)
            if out is None:
                out = from_code() or None
        except (DapcoreError, IndexError, KeyError, ValueError):
            out = None  # damaged DWARF or code: the captures are not shown
        self._cache[sub.offset] = out
        return out


_BYVAL_MAX = 128  # escape.flowClosure: larger variables are captured by reference


def layout_from_dwarf(d: Dwarf, types: GoTypes, sub: Die,
                      code: Callable[[], list[Capture] | None] | None = None
                      ) -> list[Capture] | None:
    """The captures ``DW_AT_go_closure_offset`` places (Go 1.23+, written by
    ``cmd/compile/internal/dwarfgen``); None when no variable has it.

    An ``&x`` variable gets the offset both when the object holds a pointer
    to x (captured by reference) and when it holds x itself (captured by
    value but not SSA-able, so ``ssagen`` points ``&x`` into the object):
    dwarfgen writes ``closureVars[n.Heapaddr]`` either way. ``code`` (giving
    what :func:`derive_layout` reads from the closure's entry block, called
    only for such a variable) tells which where it places x; otherwise a
    pointer it is when x is larger than 128 bytes (never captured by value)
    or does not fit before the next capture, and x is left out when nothing
    tells."""
    found: list[tuple[str, int, GoType, bool, int]] = []
    for c in _variables(d, sub):
        off = c.int_attr(AT_GO_CLOSURE_OFFSET)
        typ = c.int_attr(AT_TYPE)
        name = c.name
        if off is None or typ is None or not name:
            continue
        t = types.type_at(typ)
        amp = name.startswith("&") and t.kind == "ptr" and t.elem is not None
        found.append((name, off, t, amp, c.offset))
    if not found:
        return None
    offsets = sorted({f[1] for f in found})
    by_code: dict[int, Capture] | None = None
    out: list[Capture] = []
    for name, off, t, amp, die_off in found:
        if not amp or t.elem is None:
            out.append(Capture(name, off, t, False, die_off))
            continue
        x = t.elem
        if by_code is None:
            by_code = {c.die_offset: c for c in (code() if code is not None else None) or ()}
        known = by_code.get(die_off)
        nxt = next((o for o in offsets if o > off), None)
        if known is not None and known.offset == off:
            by_pointer = known.by_pointer
        elif x.size > _BYVAL_MAX or (nxt is not None and nxt - off < x.size):
            by_pointer = True
        else:
            continue
        out.append(Capture(name[1:], off, x, by_pointer, die_off))
    return out


def _variables(d: Dwarf, scope: Die) -> list[Die]:
    out: list[Die] = []
    for c in d.children(scope):
        if c.tag in (TAG_VARIABLE, TAG_FORMAL_PARAMETER):
            out.append(c)
        elif c.tag == TAG_LEXICAL_BLOCK:
            out.extend(_variables(d, c))
    return out


def _claims(d: Dwarf, sub: Die, die: Die, typ: GoType, block: EntryBlock,
            amp: bool, arch: Arch) -> set[tuple[str, int]] | None:
    """What the entry block says of variable ``die``: {("field", offset of
    the variable in the closure object)} or {("addr", offset)} for an
    ``&x`` holding the address of x inside it; None when it contradicts
    itself."""
    v = die.attrs.get(AT_LOCATION)
    if isinstance(v, bytes):
        entries = [(block.start, block.stop, v)]
    elif isinstance(v, int):
        try:
            entries = [(e.low, e.high, e.expr) for e in
                       d.location_list(die.unit, v, die.form(AT_LOCATION) or 0x17)]
        except DwarfError:
            return None
    else:
        return set()
    fb = sub.attrs.get(AT_FRAME_BASE)
    ctx = Context(cfa=_BASE, frame_base_expr=fb if isinstance(fb, bytes) else None,
                  address_index=lambda i: d.address(sub.unit, i),
                  addr_size=sub.unit.addrsize)
    out: set[tuple[str, int]] = set()
    for lo, hi, expr in entries:
        if hi <= block.start or lo >= block.stop:
            continue
        try:
            loc = evaluate(expr, ctx).fit(typ.size)
        except (LocationError, DwarfError):
            continue
        pos = 0
        for p in loc.pieces:
            size = p.size if p.size is not None else typ.size
            sym: Sym | None = None
            if p.kind == MEMORY and p.address is not None:
                sym = _slots_value(block, p.address - _BASE, size)
            elif p.kind == UNAVAILABLE and p.register is not None:
                regs = block.regs_before.get(max(lo, block.start))
                reg = arch.dwarf_name(p.register) or ""
                sym = regs.get(reg) if regs is not None else None
            if sym is not None:
                # A register's low bytes: Go may load two small captures
                # with one wider load (mov rbx, [rdx+0x20] for two int32s).
                if sym[0] == "field" and sym[3] and (sym[2] == size or (
                        p.kind == UNAVAILABLE and sym[2] > size)):
                    out.add(("field", sym[1] - pos))
                elif sym[0] == "addr" and amp and pos == 0 and size == _PTR:
                    out.add(("addr", sym[1]))
            pos += size
    return out if len(out) <= 1 else None


def _slots_value(block: EntryBlock, rel: int, size: int) -> Sym | None:
    """What the first stores into the stack slots ``[rel, rel+size)`` put
    there, when it is one run of bytes of the closure object."""
    first = block.first_store.get(rel)
    if first is None or first[0] != "field" or not first[3]:
        return None
    done = first[2]
    while done < size:
        nxt = block.first_store.get(rel + done)
        if nxt is None or nxt[0] != "field" or not nxt[3] or nxt[1] != first[1] + done:
            return None
        done += nxt[2]
    return ("field", first[1], done, True) if done == size else None


def derive_layout(d: Dwarf, types: GoTypes, exe: Executable, pclntab: PCLnTab,
                  sub: Die, entry: int) -> list[Capture] | None:
    """The captured variables of the closure whose code starts at link-time
    ``entry`` (``sub`` its DWARF subprogram), placed by its entry block (see
    the module's docstring); None when the code cannot be read."""
    f = pclntab.func_at(entry)
    if f is None or f.entry != entry or not 0 < f.end - f.entry <= _MAX_CODE:
        return None
    arch = lookup(exe.machine)
    if arch is None:
        return None
    try:
        code = exe.read_static(f.entry, f.end - f.entry)
        block = arch.closure_entry(code, f.entry, f.end, lambda pc: pclntab.pcsp(f, pc))
    except Exception:  # capstone or an unreadable text segment: no layout
        return None
    if block is None:
        return None
    found: list[Capture] = []
    for die in _variables(d, sub):
        name = d.attr(die, AT_NAME)
        toff = d.attr(die, AT_TYPE)
        if not isinstance(name, str) or not isinstance(toff, int) or "." in name:
            continue  # Go 1.27's spill slots (s.ptr) and artifacts (.dict)
        t = types.type_at(toff)
        amp = name.startswith("&") and t.kind == "ptr" and t.elem is not None
        claims = _claims(d, sub, die, t, block, amp, arch)
        if not claims:
            continue
        ((how, off),) = claims
        if off < _PTR:
            continue
        if amp and t.elem is not None:
            # &x holding a pointer read from the object: x captured by
            # reference; holding the address of bytes inside it: x captured
            # by value (too large for SSA) and stored right there.
            found.append(Capture(name[1:], off, t.elem, how == "field", die.offset))
        elif how == "field":
            found.append(Capture(name, off, t, False, die.offset))
    return _without_conflicts(found)


def _without_conflicts(found: list[Capture]) -> list[Capture]:
    """Drop captures whose bytes overlap another's (two variables claiming
    one place: at least one of them is only a copy)."""
    def span(c: Capture) -> tuple[int, int]:
        return c.offset, c.offset + (_PTR if c.by_pointer else max(c.type.size, 1))

    found = list(dict.fromkeys(found))
    keep: list[Capture] = []
    for c in found:
        lo, hi = span(c)
        clash = any(o is not c and span(o)[0] < hi and lo < span(o)[1] for o in found)
        if not clash:
            keep.append(c)
    return sorted(keep, key=lambda c: c.offset)
