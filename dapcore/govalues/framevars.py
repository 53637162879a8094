"""The variables of a frame as the DWARF describes them: parameters and
locals, with their Go types and where their bytes are at the frame's PC
(their values are :mod:`dapcore.govalues.frame`'s; package variables are in
:mod:`dapcore.govalues.pkgvars`, a frame's registers in
:mod:`dapcore.govalues.frameregs`).

For a logical frame (see :class:`dapcore.goruntime.unwind.Frame`: a physical frame
yields one frame per inlined call, innermost first) this finds:

* the ``DW_TAG_subprogram`` holding the PC (only the compile unit of that
  function is read, see :meth:`dapcore.dwarf.reader.Dwarf.subprogram_at`);
* for an inlined frame, the ``DW_TAG_inlined_subroutine`` of its depth whose
  ranges hold the PC: each inlined frame has its own variables (the
  subprogram's own variables belong to the physical frame only);
* the variables of that scope and of the lexical blocks holding the PC,
  with names, types and declaration lines taken through
  ``DW_AT_abstract_origin`` (Go writes inlined and concrete copies of a
  function that way);
* their locations at the PC (location lists; ``DW_OP_fbreg`` against the
  frame's CFA, since Go's frame base is ``DW_OP_call_frame_cfa``).

The PC used is the frame's PC, minus one for a return address (the call
instruction, as the unwinder does for lines): the variables are those of
the moment of the call. Registers are known only where the caller says so
(:func:`frame_registers`: the top frame of a goroutine running on a thread,
the frame a signal interrupted); anything else kept in a register is
reported unavailable, never read from a stale register.

What Go writes, and how it is shown (checked against Go 1.19 to 1.27):

* Parameters are ``DW_TAG_formal_parameter``; results too, flagged with
  ``DW_AT_variable_parameter`` (named ``~r0``… when unnamed): ``is_return``.
* ``&x``: ``x`` moved to the heap; the DWARF variable is a pointer to it.
  Shown as ``x`` (``escaped``), its location the pointer's target.
  Go 1.27 also writes such variables as ``x`` with ``DW_OP_deref``.
* Captured variables of closures carry ``DW_AT_go_closure_offset`` (Go
  1.23+): ``captured``. Before 1.23 nothing in the DWARF tells them from
  locals; those the closure's code places (:mod:`dapcore.govalues.closures`) are
  marked ``captured`` all the same.
* ``.dict`` (generic functions' dictionary), ``.closureptr``, and from Go
  1.27 the spill slots of decomposed variables (``s.ptr``, ``s.len``,
  ``c.real``) are compiler artifacts: ``artificial``, hidden by default.
* Declaration lines: ``DW_AT_decl_line`` of locals (abstract parameters have
  none, Go issue 23374). A local declared after the frame's current line is
  not in scope yet: ``hidden`` says so. Captured variables and parameters
  are never hidden that way, nor the locals of a closure that flags no
  captures (before 1.23 its captured variables are indistinguishable from
  locals, and their declaration line is where the closure uses them).
* Go 1.19 to 1.21 write some pieces twice (a slot listed twice in the
  compiler's ``f.Names``): :meth:`Location.fit` drops the repeats, so a
  variable's location never describes more bytes than its type.
* Values described in part (:meth:`VariableReader._place`): pieces are put
  at the offsets of the type's parts (Go writes no padding pieces); a value
  of which the compiler tracks one word only (a bare register, then a bare
  stack slot, for a 16- or 24-byte variable: a typed-nil ``error`` whose
  itab is a constant, a struct with constant fields) is unavailable rather
  than read as if that word were the whole value; parts left out or empty
  are holes of the value (:class:`dapcore.govalues.values.Value`).
* Generic functions: a variable whose type involves a type parameter has a
  shape type (``go.shape.int``) through a ``.paramN`` typedef; the real type
  is entry N of ``.dict``, resolved when ``.dict`` and the runtime type can
  be read (``shape_type`` keeps the shape).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from dapcore.dwarf.constants import (
    AT_CALL_FILE,
    AT_CALL_LINE,
    AT_DECL_LINE,
    AT_FRAME_BASE,
    AT_GO_CLOSURE_OFFSET,
    AT_LOCATION,
    AT_NAME,
    AT_TYPE,
    AT_VARIABLE_PARAMETER,
    FORM_SEC_OFFSET,
    TAG_FORMAL_PARAMETER,
    TAG_INLINED_SUBROUTINE,
    TAG_LEXICAL_BLOCK,
    TAG_VARIABLE,
)
from dapcore.dwarf.dies import Die
from dapcore.dwarf.location import (
    MEMORY,
    UNAVAILABLE,
    Context,
    Location,
    LocationError,
    Memory,
    Piece,
    bare_register,
    evaluate,
)
from dapcore.dwarf.reader import Dwarf
from dapcore.dwarf.sections import DwarfError
from dapcore.errors import UnreadableMemory
from dapcore.goruntime.rtype import TypeReader
from dapcore.govalues.closures import ClosureLayouts
from dapcore.govalues.types import GoType, GoTypes

if TYPE_CHECKING:
    from dapcore.arch import Arch
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.unwind import Frame, Stack

__all__ = [
    "FrameScope",
    "FrameVariables",
    "Variable",
    "VariableReader",
    "frame_registers",
    "frame_scope",
]

Role = Literal["param", "local"]
_CLOSURE = re.compile(r"\.(func|gowrap)\d+")


@dataclass(slots=True)
class Variable:
    """One variable of a frame."""

    name: str  # the Go name ("x" for DWARF's "&x")
    dwarf_name: str
    role: Role  # formal parameter (results included) or local
    type: GoType  # the variable's type (for "&x": x's type; generics: resolved)
    location: Location  # where the value is at the frame's PC
    decl_line: int | None = None
    is_return: bool = False  # a result parameter (~r0 when unnamed)
    captured: bool = False  # a closure's captured variable (Go 1.23+ says so; before, its code)
    closure_offset: int | None = None
    escaped: bool = False  # "&x": x lives on the heap, `location` is its target
    artificial: bool = False  # .dict, .closureptr, spill slots "s.ptr"
    hidden: str | None = None  # why a debugger would not list it (None: listed)
    shape_type: GoType | None = None  # the generic shape, when `type` was resolved
    pointer_location: Location | None = None  # "&x": where the pointer is
    die_offset: int = 0
    block_depth: int = 0  # lexical blocks between the function and the variable

    @property
    def kind(self) -> Literal["param", "local", "captured"]:
        return "captured" if self.captured else self.role

    @property
    def available(self) -> bool:
        return self.location.available

    def read(self, memory: Memory) -> bytes:
        """The variable's bytes (``type.size`` of them). Raises
        :class:`dapcore.dwarf.location.LocationError` when unavailable and
        :class:`dapcore.errors.UnreadableMemory` when the core lacks them."""
        return self.location.read(memory, self.type.size)


@dataclass(frozen=True, slots=True)
class FrameScope:
    """What locating the variables of one logical frame takes: its
    physical frame's run-time ``pc``, whether that PC is a trapping one
    (else a return address), its CFA, the current line (declaration-line
    filtering), the inline depth (0: the physical function; k: the k-th
    nested inlined call) and the registers known in it (DWARF numbers)."""

    pc: int
    cfa: int
    line: int
    inline_depth: int = 0
    trap: bool = False
    entry: int | None = None
    function: str | None = None  # pclntab's name, for checking the DWARF match
    registers: Mapping[int, int] = field(default_factory=dict)

    @property
    def lookup_pc(self) -> int:
        """The run-time PC scopes and locations are looked up at."""
        if self.trap or self.pc == self.entry:
            return self.pc
        return self.pc - 1


@dataclass(slots=True)
class FrameVariables:
    """The variables of one logical frame. ``function`` is the DWARF name
    of its function (None with ``error`` when the DWARF has none)."""

    function: str | None
    variables: list[Variable]
    error: str | None = None
    inline_mismatch: str | None = None  # the DWARF's inline chain disagrees with pclntab
    call_file: str | None = None  # an inlined frame: where its caller called it
    call_line: int | None = None

    @property
    def visible(self) -> list[Variable]:
        """What a debugger lists: not hidden, not artificial."""
        return [v for v in self.variables if v.hidden is None]

    @property
    def params(self) -> list[Variable]:
        return [v for v in self.visible if v.role == "param"]

    @property
    def locals(self) -> list[Variable]:
        return [v for v in self.visible if v.role == "local"]

    def get(self, name: str) -> Variable | None:
        """The visible variable ``name`` (innermost block first)."""
        best = None
        for v in self.visible:
            if v.name == name and (best is None or v.block_depth > best.block_depth):
                best = v
        return best


def frame_scope(frames: Sequence[Frame], index: int,
                registers: Mapping[int, int] | None = None) -> FrameScope:
    """The scope of ``frames[index]`` in a stack: its inline depth is how
    many frames of the same physical frame (same PC and SP) follow it."""
    f = frames[index]
    depth = 0
    j = index + 1
    while j < len(frames) and frames[j].pc == f.pc and frames[j].sp == f.sp \
            and frames[j - 1].inlined:
        depth += 1
        j += 1
    return FrameScope(f.pc, f.fp, f.line, depth, f.trap, f.entry, f.function,
                      dict(registers or {}))


def frame_registers(proc: Process, stack: Stack, index: int) -> dict[int, int]:
    """The registers known in ``stack.frames[index]`` by DWARF number (see
    :func:`frame_register_names`)."""
    return proc.arch.dwarf_numbered(frame_register_names(proc, stack, index))


def frame_register_names(proc: Process, stack: Stack, index: int) -> dict[str, int]:
    """The registers known in ``stack.frames[index]`` by name: those of the
    thread for the first physical frame when it starts at the thread's PC,
    those of the signal context for the frame a signal interrupted; empty
    for every other frame."""
    frames = stack.frames
    f = frames[index]
    if not f.trap:
        return {}
    first = frames[0]
    if f.pc == first.pc and f.sp == first.sp:
        for m in proc.ms:
            t = m.thread
            if t is not None and t.registers.pc == f.pc and t.registers.sp == f.sp:
                return dict(t.registers.values)
        return {}
    # The frame above a sigtramp frame: the interrupted registers are in the
    # signal frame's ucontext (see the architecture's SignalContext).
    j = index - 1
    while j >= 0 and frames[j].pc == f.pc and frames[j].sp == f.sp:
        j -= 1
    if j < 0 or not frames[j].function.endswith("sigtramp"):
        return {}
    uc = frames[j].fp
    arch = proc.arch
    saved = arch.signal.registers
    lo, size = arch.signal.span
    try:
        raw = proc.memory.read(uc + lo, size)
    except UnreadableMemory:
        return {}
    values = {n: int.from_bytes(raw[off - lo:off - lo + 8], "little") for n, off in saved.items()}
    if values.get(arch.pc) != f.pc or values.get(arch.sp) != f.sp:
        return {}
    return values


class VariableReader:
    """Variables of frames of one process: DWARF, Go types, memory, bias.

    ``runtime_type`` (optional) maps a run-time type descriptor address to
    its DWARF type; with it, generic variables get their real types."""

    def __init__(self, dwarf: Dwarf, memory: Memory, bias: int = 0,
                 types: GoTypes | None = None,
                 runtime_type: Callable[[int], GoType | None] | None = None,
                 closures: ClosureLayouts | None = None, *, arch: Arch) -> None:
        self.dwarf = dwarf
        self.arch = arch  # DWARF register names and sizes
        self.types = types if types is not None else GoTypes(dwarf)
        self.memory = memory
        self.bias = bias
        self.runtime_type = runtime_type
        self.closures = closures  # closure layouts; before Go 1.23 from the code
        self._one_word: dict[int, bool] = {}  # DIE offset → its list has a bare register

    @classmethod
    def for_process(cls, proc: Process, dwarf: Dwarf | None = None) -> VariableReader:
        """A reader for ``proc`` (opening its executable's DWARF unless given)."""
        d = dwarf if dwarf is not None else proc.need_dwarf()
        types = GoTypes(d)
        rtypes = TypeReader(proc)
        base: list[int] = []

        def runtime_type(addr: int) -> GoType | None:
            try:
                if not base:
                    base.append(rtypes.types_base)
                name = rtypes.read(addr).name
            except (UnreadableMemory, KeyError, AssertionError):
                return None
            return types.by_runtime_type(addr - base[0], name)

        closures = ClosureLayouts(d, types, proc.exe, lambda: proc.pclntab)
        return cls(d, proc.memory, proc.bias, types, runtime_type, closures, arch=proc.arch)

    # -- the frame's scope --------------------------------------------------------

    def frame_variables(self, frames: Sequence[Frame], index: int,
                        registers: Mapping[int, int] | None = None) -> FrameVariables:
        """The variables of ``frames[index]`` (a goroutine's stack, as the
        unwinder gives it), knowing ``registers`` (DWARF numbers) there.

        Unnamed results (``~r0``…) hold whatever the stack slot held until
        the function executes ``return``: they are hidden unless the frame is
        returning, i.e. running its deferred calls (its callee is
        ``runtime.deferreturn`` or one of its own ``deferwrap`` functions).
        Named results are the user's variables and always listed."""
        out = self.scope_variables(frame_scope(frames, index, registers))
        if not _returning(frames, index):
            for v in out.variables:
                if v.is_return and v.dwarf_name.startswith("~r") and v.hidden is None:
                    v.hidden = "an unnamed result: set only when the function returns"
        return out

    def scope_variables(self, scope: FrameScope) -> FrameVariables:
        d = self.dwarf
        pc = scope.lookup_pc - self.bias
        try:
            sub = d.subprogram_at(pc)
        except DwarfError as exc:
            return FrameVariables(None, [], f"cannot read the DWARF: {exc}")
        if sub is None:
            return FrameVariables(None, [], f"no DWARF for the function at pc {scope.pc:#x}")
        try:
            return self._variables(sub, scope, pc)
        except DwarfError as exc:
            return FrameVariables(_name(d, sub), [], f"cannot read the DWARF: {exc}")

    def _variables(self, sub: Die, scope: FrameScope, pc: int) -> FrameVariables:
        d = self.dwarf
        holder = sub
        if scope.inline_depth:
            chain = d.inline_chain(sub, pc)
            if len(chain) < scope.inline_depth:
                # Never show another function's variables for this frame.
                return FrameVariables(
                    None, [], None, f"pclntab has {scope.inline_depth} inlined calls at pc "
                    f"{scope.pc:#x}, the DWARF {len(chain)}")
            holder = chain[scope.inline_depth - 1]
        fname = _name(d, holder)
        mismatch = None
        if scope.function and fname and not _same_function(scope.function, fname):
            mismatch = f"pclntab says {scope.function}, the DWARF {fname}"
        ctx = Context(
            cfa=scope.cfa, registers=scope.registers, memory=self.memory, bias=self.bias,
            frame_base_expr=_frame_base(sub), address_index=lambda i: d.address(sub.unit, i),
            addr_size=sub.unit.addrsize, register_sizes=self.arch.dwarf_sizes,
            register_names=self.arch.dwarf_regs)
        out: list[Variable] = []
        self._collect(holder, pc, ctx, scope, 0, out)
        self._finish(out, scope, fname, sub if holder is sub else None)
        fv = FrameVariables(fname, out, None, mismatch)
        if holder.tag == TAG_INLINED_SUBROUTINE:
            fv.call_file = d.file_attr(holder, AT_CALL_FILE)
            line = holder.attrs.get(AT_CALL_LINE)
            fv.call_line = line if isinstance(line, int) else None
        return fv

    def _collect(self, scope_die: Die, pc: int, ctx: Context, scope: FrameScope,
                 depth: int, out: list[Variable]) -> None:
        d = self.dwarf
        for child in d.children(scope_die):
            tag = child.tag
            if tag in (TAG_FORMAL_PARAMETER, TAG_VARIABLE):
                v = self._variable(child, pc, ctx, depth)
                if v is not None:
                    out.append(v)
            elif tag == TAG_LEXICAL_BLOCK:
                if any(lo <= pc < hi for lo, hi in d.ranges(child)):
                    self._collect(child, pc, ctx, scope, depth + 1, out)

    def _variable(self, die: Die, pc: int, ctx: Context, depth: int) -> Variable | None:
        d = self.dwarf
        dwarf_name = d.attr(die, AT_NAME)
        type_off = d.attr(die, AT_TYPE)
        if not isinstance(dwarf_name, str) or not isinstance(type_off, int):
            return None
        decl = d.attr(die, AT_DECL_LINE)
        is_ret = bool(d.attr(die, AT_VARIABLE_PARAMETER))
        closure_off = d.attr(die, AT_GO_CLOSURE_OFFSET)
        typ = self.types.type_at(type_off)
        if AT_LOCATION not in die.attrs:
            loc = Location.unavailable("no location in the DWARF (optimized out)")
        else:
            expr = d.location_at(die, pc)
            loc = evaluate(expr, ctx) if expr is not None else Location.unavailable(
                "optimized out at this PC")
            loc = self._place(die, loc.fit(typ.size), typ)
        escaped = dwarf_name.startswith("&")
        name = dwarf_name[1:] if escaped else dwarf_name
        v = Variable(
            name=name, dwarf_name=dwarf_name,
            role="param" if die.tag == TAG_FORMAL_PARAMETER else "local",
            type=typ, location=loc, decl_line=decl if isinstance(decl, int) else None,
            is_return=is_ret, captured=isinstance(closure_off, int),
            closure_offset=closure_off if isinstance(closure_off, int) else None,
            escaped=escaped, artificial=name.startswith(".") or "." in name,
            die_offset=die.offset, block_depth=depth)
        if escaped:
            self._follow_pointer(v)
        return v

    # -- values the compiler describes in part ----------------------------------

    def _place(self, die: Die, loc: Location, typ: GoType) -> Location:
        """``loc`` with its pieces where they are in a ``typ`` value, and
        what the compiler did not describe marked unavailable.

        Go's compiler writes one ``DW_OP_piece`` per part it tracks of a
        decomposed variable (a struct field, a string's pointer or length,
        an interface's words…), sorted by offset, *without* padding and
        without the parts it does not track (constants), and no
        ``DW_OP_piece`` at all when it tracks a single part
        (``cmd/compile/internal/ssa/debug.go``: pieces only when
        ``len(varSlots) > 1``). So:

        * a bare register (no piece) for a value wider than a word anywhere
          in the variable's location list means the compiler tracks one
          word-sized part of it, and every entry of the list (stack slots
          included) describes that part alone — which part, the DWARF does
          not say (``var err error = f()`` with a constant itab: the data
          word; ``pair{X: f(), Y: "const"}``: X; ``{A: "const", B: f()}``:
          B). The value is unavailable, except for a non-empty interface
          whose word is an itab of its interface type (its type word);
        * pieces whose sizes are those of the type's parts are placed at
          those parts' offsets (padding skipped);
        * pieces that add up to less than the type: placed when their sizes
          fit the type's parts in one way only (the rest unavailable), else
          the value is unavailable."""
        if typ.size <= 8 or not loc.pieces:
            return loc
        pieces = loc.pieces
        if len(pieces) == 1 and pieces[0].size is None:
            return self._one_part(die, loc, typ) if self._one_word_list(die) else loc
        if any(p.size is None for p in pieces):
            return loc
        sizes = [p.size or 0 for p in pieces]
        parts = value_parts(typ)
        if [n for _, n in parts] == sizes:
            offsets = tuple(o for o, _ in parts)
            return loc if offsets == _sequential(sizes) else loc.placed(offsets)
        total = sum(sizes)
        if total >= typ.size:
            return loc  # as DWARF reads it (Go 1.19 to 1.21 repeat pieces)
        where = _embedding(sizes, [n for _, n in parts])
        if where is None:
            return Location.unavailable(
                f"the compiler described {total} of the {typ.size} bytes of this value, "
                "not which ones")
        out: list[Piece] = []
        by_part = dict(zip(where, pieces, strict=True))
        for i, (_, n) in enumerate(parts):
            out.append(by_part.get(i) or Piece(UNAVAILABLE, n, why=_UNTRACKED))
        return Location(tuple(out), tuple(o for o, _ in parts))

    def _one_word_list(self, die: Die) -> bool:
        """Does the variable's location list hold a bare register (a value
        wider than a word described as one register)?"""
        hit = self._one_word.get(die.offset)
        if hit is None:
            v = die.attrs.get(AT_LOCATION)
            hit = False
            if isinstance(v, int):
                try:
                    entries = self.dwarf.location_list(die.unit, v, die.form(AT_LOCATION)
                                                       or FORM_SEC_OFFSET)
                except DwarfError:
                    entries = []
                hit = any(bare_register(e.expr) is not None for e in entries)
            self._one_word[die.offset] = hit
        return hit

    def _one_part(self, die: Die, loc: Location, typ: GoType) -> Location:
        """A bare location of a variable whose list says the compiler tracks
        one word of it (see :meth:`_place`)."""
        why = (f"Go's DWARF describes one 8-byte word of this {typ.size}-byte value "
               "without saying which")
        p = loc.pieces[0]
        if not p.available:
            return loc
        try:
            word = int.from_bytes(loc.read(self.memory, 8), "little")
        except (LocationError, UnreadableMemory):
            return Location.unavailable(f"unavailable: {why}")
        if typ.iface_kind == "iface" and word and self._itab_of(word, typ):
            return Location((replace(p, size=8), Piece(UNAVAILABLE, 8, why=(
                f"Go's DWARF describes only the type word of this {typ.size}-byte "
                "interface"))), (0, 8))
        return Location.unavailable(f"unavailable: {why} (that word is {word:#x})")

    def _itab_of(self, addr: int, iface: GoType) -> bool:
        """Is ``addr`` an itab of the interface type ``iface``
        (``itab.inter``, its first word, is ``iface``'s descriptor)?"""
        if self.runtime_type is None:
            return False
        try:
            inter = int.from_bytes(self.memory.read(addr, 8), "little")
        except UnreadableMemory:
            return False
        t = self.runtime_type(inter) if inter else None
        return t is not None and t.name == iface.name

    def _follow_pointer(self, v: Variable) -> None:
        """``&x``: the DWARF variable is a pointer to x; point at x."""
        ptr_type = v.type
        v.pointer_location = v.location
        if ptr_type.kind == "ptr" and ptr_type.elem is not None:
            v.type = ptr_type.elem
        v.location = self._deref(v.location, "pointer")

    def _deref(self, loc: Location, what: str) -> Location:
        if not loc.available:
            return loc
        try:
            addr = int.from_bytes(loc.read(self.memory, 8), "little")
        except (LocationError, UnreadableMemory) as exc:
            return Location.unavailable(f"cannot read the {what}: {exc}")
        if addr == 0:
            return Location.unavailable(f"the {what} is nil (not allocated yet)")
        return Location((Piece(MEMORY, None, address=addr),))

    def _finish(self, out: list[Variable], scope: FrameScope, fname: str | None,
                sub: Die | None) -> None:
        """Closure variables through .closureptr, generic types through
        .dict, then what a debugger hides."""
        by_name = {v.dwarf_name: v for v in out}
        closureptr = by_name.get(".closureptr")
        dict_var = by_name.get(".dict")
        # Before Go 1.23 a closure's captured variables look like locals,
        # declared (says DW_AT_decl_line) where the closure uses them: in a
        # closure that does not flag its captures, no line filtering.
        by_line = not (fname and _CLOSURE.search(fname) and not any(v.captured for v in out))
        if not by_line and sub is not None and self.closures is not None:
            # Those the closure's code places are marked captured all the same.
            layout = self.closures.layout(sub) or ()
            placed = {c.die_offset: c.offset for c in layout}
            for v in out:
                if v.die_offset in placed:
                    v.captured, v.closure_offset = True, placed[v.die_offset]
        for v in out:
            if v.captured and not v.available and closureptr is not None \
                    and closureptr.available and v.closure_offset is not None:
                base = self._deref(closureptr.location, "closure pointer")
                if base.address is not None:
                    slot = Location((Piece(MEMORY, None, address=base.address + v.closure_offset),))
                    by_pointer = self._captured_by_pointer(v, sub) if v.escaped else False
                    if by_pointer is None:
                        v.location = Location.unavailable(
                            "the closure holds it or a pointer to it, nothing says which")
                    elif by_pointer:
                        v.pointer_location = slot
                        v.location = self._deref(slot, "pointer")
                    else:
                        v.location = slot
            if v.type.dict_index is not None and dict_var is not None:
                real = self._dict_type(dict_var, v.type.dict_index)
                if real is not None:
                    v.shape_type, v.type = v.type, real
            if v.artificial:
                v.hidden = "compiler-generated"
            elif (by_line and v.role == "local" and not v.captured and v.decl_line
                  and scope.line and v.decl_line > scope.line):
                v.hidden = f"declared at line {v.decl_line}, after line {scope.line}"

    def _captured_by_pointer(self, v: Variable, sub: Die | None) -> bool | None:
        """Whether the closure object holds a pointer to the captured ``&x``
        (by reference) or x itself; None when unknown
        (:func:`dapcore.govalues.closures.layout_from_dwarf`)."""
        if sub is None or self.closures is None:
            return True  # an inlined closure's variables are its caller's
        for c in self.closures.layout(sub) or ():
            if c.die_offset == v.die_offset:
                return c.by_pointer
        return None

    def _dict_type(self, dict_var: Variable, index: int) -> GoType | None:
        if self.runtime_type is None:
            return None
        base = self._deref(dict_var.location, "dictionary")
        if base.address is None:
            return None
        try:
            rt = int.from_bytes(self.memory.read(base.address + 8 * index, 8), "little")
        except UnreadableMemory:
            return None
        return self.runtime_type(rt) if rt else None


_UNTRACKED = "optimized out (the compiler did not track this part)"


def value_parts(t: GoType, base: int = 0, depth: int = 0) -> list[tuple[int, int]]:
    """(offset, size) of the parts Go's compiler splits a value of type
    ``t`` into (its ``decompose`` passes and the register ABI): the words of
    strings, slices and interfaces, the halves of complex numbers, the
    fields of structs and the element of one-element arrays, recursively;
    anything else is one part."""
    k = t.kind
    if k == "string" or k == "interface":
        return [(base, 8), (base + 8, 8)]
    if k == "slice":
        return [(base, 8), (base + 8, 8), (base + 16, 8)]
    if k in ("complex64", "complex128"):
        half = t.size // 2
        return [(base, half), (base + half, half)]
    if k == "struct" and depth < 16:
        out: list[tuple[int, int]] = []
        for f in t.fields:
            out += value_parts(f.type, base + f.offset, depth + 1)
        return out
    if k == "array" and t.length in (0, 1) and depth < 16:
        elem = t.elem
        if t.length == 0:
            return []
        if elem is not None:
            return value_parts(elem, base, depth + 1)
    return [(base, t.size)]


def _sequential(sizes: Sequence[int]) -> tuple[int, ...]:
    out, off = [], 0
    for n in sizes:
        out.append(off)
        off += n
    return tuple(out)


def _embedding(sizes: Sequence[int], parts: Sequence[int]) -> list[int] | None:
    """The one way of matching ``sizes`` (pieces, in order) to a
    subsequence of ``parts`` (part sizes, in order) size for size: the
    indexes of the parts; None when there is none or more than one."""
    found: list[list[int]] = []

    def walk(i: int, j: int, acc: list[int]) -> None:
        if len(found) > 1:
            return
        if i == len(sizes):
            found.append(list(acc))
            return
        for k in range(j, len(parts) - (len(sizes) - i) + 1):
            if parts[k] == sizes[i]:
                acc.append(k)
                walk(i + 1, k + 1, acc)
                acc.pop()

    walk(0, 0, [])
    return found[0] if len(found) == 1 else None


def _name(d: Dwarf, die: Die) -> str | None:
    n = d.attr(die, AT_NAME)
    return n if isinstance(n, str) else None


def _frame_base(sub: Die) -> bytes | None:
    fb = sub.attrs.get(AT_FRAME_BASE)
    return fb if isinstance(fb, bytes) else None


def _same_function(pclntab_name: str, dwarf_name: str) -> bool:
    """pclntab and DWARF names of one function (Go 1.19's pclntab writes
    ``[...]`` for type arguments of generated functions)."""
    if pclntab_name == dwarf_name:
        return True
    return _strip_brackets(pclntab_name) == _strip_brackets(dwarf_name)


def _strip_brackets(name: str) -> str:
    out, depth = [], 0
    for ch in name:
        if ch == "[":
            if depth == 0:
                out.append("[")
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                out.append("]")
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _returning(frames: Sequence[Frame], index: int) -> bool:
    """Is ``frames[index]`` running its deferred calls after a return?"""
    if index == 0:
        return False
    callee = frames[index - 1].function
    return (callee == "runtime.deferreturn"
            or callee.startswith(frames[index].function + ".deferwrap"))
