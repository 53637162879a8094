"""Stack unwinding from a core, following the Go runtime's own unwinder.

Frames come from pclntab only (frame sizes from pcsp, names, lines and
inlined calls from the inline tree); DWARF is never needed. Starting points:

* a goroutine running on a thread: that thread's registers, which may be on
  the thread's g0 or gsignal stack; the unwinder crosses ``systemstack`` and
  ``morestack`` into the goroutine (as the runtime does), and signal frames
  (``runtime.sigtramp`` → the kernel's ucontext → the interrupted PC/SP);
* a goroutine in a system call or cgo call: ``g.syscallpc``/``syscallsp``;
* any other goroutine: ``g.sched``.

A PC is a return address except at the top of a thread's stack and above an
injected call (``sigpanic``, ``asyncPreempt``), where it is the trapping
instruction itself; lines are looked up at ``pc − 1`` otherwise.

What is the instruction set's comes from the process's architecture
(``proc.arch``): the signal frame's layout, whether a return address
follows a call, and where the return address is. Where a call pushes it
(amd64) it is at CFA − 8. Where it arrives in a link register (arm64), a
function that makes a frame stores it at its SP, and the runtime's rules
say when the register still holds it: in the innermost frame of a stack
(a thread's registers, a signal frame, ``g.sched.lr``) until the function
has made its frame, and in the function an injected call (``sigpanic``)
interrupted, whose LR the signal handler saved on the stack
(``runtime/traceback.go``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from dapcore.errors import UnreadableMemory
from dapcore.goruntime.status import G_RUNNING, G_SYSCALL

if TYPE_CHECKING:
    from dapcore.gobin.pclntab import Func
    from dapcore.goruntime.goroutines import Goroutine
    from dapcore.goruntime.process import M, Process
    from dapcore.native.unwind import NativeUnwinder

MAX_FRAMES = 200_000  # a stack overflow fixture has ~40,000 frames
_PTR = 8
# Goroutine stacks are read a window at a time (return addresses come from
# the copy): one read per goroutine instead of one per frame.
_WINDOW = 64 * 1024
_CACHE_LIMIT = 1 << 16  # per-PC memo entries before a memo is reset
_U64 = struct.Struct("<Q").unpack_from
_INJECTED = ("sigpanic", "asyncPreempt", "debugCallV2")

GOROUTINE_STACK, G0_STACK, GSIGNAL_STACK = "goroutine", "g0", "gsignal"


# Not frozen: a frozen dataclass's __init__ sets each field through
# object.__setattr__, five times the cost of a plain one (1.2 µs against
# 0.24 for these 11 fields), and frames are made by the million (grouping
# 100,000 goroutines). Treated as immutable all the same; hashed by value.
@dataclass(slots=True, unsafe_hash=True)
class Frame:
    """One logical frame (a physical frame yields one per inlined call)."""

    function: str
    file: str
    line: int
    pc: int  # run-time PC of the physical frame
    sp: int
    fp: int  # the caller's SP (CFA)
    entry: int  # run-time entry of the physical function
    inlined: bool
    stack: str  # which stack the frame lives on
    trap: bool  # pc is a trapping PC (not a return address)
    func_kind: str | None = None  # "goexit", "sigpanic", … (see pclntab.func_kind)

    @property
    def c_object(self) -> str | None:
        """C code (cgo): the ELF object holding it ("zoocgo", "libc.so.6");
        None for Go frames (a :class:`CFrame` has one)."""
        return None

    @property
    def is_c(self) -> bool:
        return self.c_object is not None

    @property
    def offset(self) -> int:
        """``pc − entry``, what the runtime prints as ``+0x…``."""
        return self.pc - self.entry


@dataclass(slots=True, unsafe_hash=True)
class CFrame(Frame):
    """A frame of C code (a field of its own, so that Go frames, made by the
    hundred thousand, stay as small and quick to make as before). Its file
    is "" when no line table describes it."""

    c_object: str | None = None  # type: ignore[assignment]


@dataclass(slots=True)
class Stack:
    frames: list[Frame] = field(default_factory=list)
    error: str | None = None  # why the unwind stopped early, if it did
    # it stopped at process memory the core lacks (truncated, MADV_DONTDUMP,
    # coredump_filter), not at damage
    missing: bool = False
    truncated: bool = False  # stopped at MAX_FRAMES
    # the first saved return address that follows no call instruction (read
    # from damaged memory), None when every one does
    suspect_pc: int | None = None
    signal_contexts: list[int] = field(default_factory=list)  # sigtramp CFAs crossed
    # why a C part of the stack stopped early (a missing library, no CFI …)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _State:
    pc: int
    sp: int
    trap: bool
    stack: str
    g: Goroutine | None  # the goroutine whose stack we are on (None: g0/gsignal)
    lr: int = 0  # the link register where it is known (0: read it from the stack)
    innermost: bool = False  # the first frame of a register set (thread, signal, sched)
    regs: dict[int, int] | None = None  # every register known here, by DWARF number

    def unpack(self) -> tuple[int, int, bool, str, Goroutine | None, int, bool]:
        """The fields but ``regs``, which the loop reads only for C code."""
        return self.pc, self.sp, self.trap, self.stack, self.g, self.lr, self.innermost


# A logical frame as the per-PC memo keeps it: (function, file, line,
# inlined, func_kind).
LogicalFrame = tuple[str, str, int, bool, "str | None"]


class _PCInfo(NamedTuple):
    """The unwinder's per-PC facts about a Go function."""

    func: Func
    kind: str | None  # pclntab.func_kind
    entry: int  # run-time entry
    pcsp: int  # pclntab.pcsp at the pc
    spwrite: bool  # writes SP (and is not cgocallback)
    sigtramp: bool
    injected: bool  # the caller's pc is a trapping pc (sigpanic, asyncPreempt …)
    topframe: bool  # pclntab.is_topframe
    # the pc follows a call instruction (what a return address always does);
    # True where that cannot be told or does not apply (made-up return pcs)
    after_call: bool


_MISSING = object()


class Unwinder:
    def __init__(self, proc: Process) -> None:
        self.proc = proc
        self.tab = proc.pclntab
        self.bias = proc.bias
        self.mem = proc.memory
        self.arch = proc.arch
        self.ra_on_stack = self.arch.return_address_on_stack
        self.lr_name = self.arch.lr
        # Per run-time PC: what the loop needs about its function (None
        # outside Go code); per symbolised PC: its logical frames as Frame
        # arguments. A core with 100,000 goroutines has a few dozen PCs.
        self._pc_info: dict[int, _PCInfo | None] = {}
        self._pc_frames: dict[int, tuple[LogicalFrame, ...]] = {}

    # -- starting points ------------------------------------------------------

    def goroutine_stack(self, g: Goroutine) -> Stack:
        """The stack of ``g``, the way the runtime would have printed it plus
        (for a goroutine running on a thread) the frames above that point."""
        m = self.proc.m_at(g.m) if g.m else None
        # Only a running goroutine is on its thread's registers; one that
        # waits on the system stack (e.g. "flushing proc caches" in forEachP)
        # is printed by the runtime from its saved sched, and so is it here.
        if m is not None and m.curg == g.addr and m.thread is not None and (
                g.status == G_RUNNING or self._in_cgo_call(g)):
            return self._unwind(self._thread_state(m, g), g, m)
        if g.status == G_SYSCALL and g.syscall_sp:
            return self._unwind(_State(g.syscall_pc, g.syscall_sp, False, GOROUTINE_STACK, g,
                                       0, True), g, None)
        return self._unwind(self._sched_state(g), g, None)

    def parked_shape(self, g: Goroutine) -> tuple[LogicalFrame, ...] | None:
        """The logical frames of a goroutine parked on its own stack, innermost
        first, as ``(function, file, line, inlined, func_kind)`` — the frames
        the runtime's traceback prints for it — without a :class:`Frame` each
        (grouping 100,000 goroutines). None whenever the stack is not the
        plain case: not parked, a frame outside Go, a signal or injected
        frame, a frame that writes SP, a return address that follows no call,
        memory the core lacks, no ``goexit`` at the end, more than
        :data:`MAX_FRAMES`. Then :meth:`goroutine_stack` unwinds it and says
        why (the same walk as ``_unwind``'s for this case)."""
        if g.m or g.status in (G_RUNNING, G_SYSCALL) or self.mem.ptr_size != _PTR:
            return None
        pc, sp, lr, inner = g.sched_pc, g.sched_sp, g.sched_lr or 0, True
        ra_on_stack = self.ra_on_stack
        pc_info, pc_frames = self._pc_info, self._pc_frames
        win, win_lo, win_hi = b"", 0, 0
        out: list[tuple[LogicalFrame, ...]] = []
        for _ in range(MAX_FRAMES):
            info = pc_info.get(pc, _MISSING)
            info = self._info(pc) if info is _MISSING else info
            if info is None or info.sigtramp or info.injected or (
                    info.spwrite and not info.topframe):
                return None
            entry = info.entry
            if not info.after_call and (out or pc != entry):
                return None
            fp = sp + info.pcsp + _PTR if ra_on_stack else sp + info.pcsp
            sym_pc = pc if pc == entry else pc - 1
            logical = pc_frames.get(sym_pc)
            out.append(self._frames(sym_pc, info.kind) if logical is None else logical)
            if info.topframe:
                return tuple(f for fs in out for f in fs) if info.kind == "goexit" else None
            at = fp - _PTR if ra_on_stack else sp if (inner and sp < fp) or lr == 0 else -1
            if at < 0:
                ret = lr
            else:
                if not (win_lo <= at and at + _PTR <= win_hi):
                    win, win_lo, win_hi = self._window(at, g)
                    if not win:
                        return None
                ret = _U64(win, at - win_lo)[0]
            if ret == 0 or (fp <= sp and ret == pc):
                return None
            pc, sp, lr, inner = ret, fp, 0, False
        return None

    def thread_stack(self, m: M) -> Stack:
        """The stack of an M's thread from its registers (g0 or gsignal for
        idle threads, e.g. the runtime stack of a fatal error)."""
        assert m.thread is not None
        curg = self._g(m.curg) if m.curg else None
        return self._unwind(self._thread_state(m, curg), curg, m)

    def _thread_state(self, m: M, g: Goroutine | None) -> _State:
        assert m.thread is not None
        regs = m.thread.registers
        return _State(regs.pc, regs.sp, True, self._which_stack(m, g, regs.sp), g,
                      regs.lr or 0, True, self.arch.dwarf_numbered(regs.values))

    def _in_cgo_call(self, g: Goroutine) -> bool:
        """Whether ``g`` is in a system call made by ``runtime.cgocall``: a
        call into C, whose thread's registers are in the C code (or in a
        signal handler that interrupted it), on the thread's system stack."""
        if g.status != G_SYSCALL or not g.syscall_pc:
            return False
        info = self._info(g.syscall_pc)
        return info is not None and info.func.name == "runtime.cgocall"

    @cached_property
    def native(self) -> NativeUnwinder:
        """The C unwinder (CFI of the executable and the mapped libraries)."""
        # deferred: cgo frames only (the CFI reader and pyelftools' errors)
        from dapcore.native.objects import NativeObjects
        from dapcore.native.unwind import NativeUnwinder

        proc = self.proc
        objects = NativeObjects(proc.core, proc.exe, proc.bias, proc.memory)
        return NativeUnwinder(self.arch, objects, proc.memory)

    def c_source_files(self) -> set[str]:
        """The files the C line tables name, once C frames were unwound
        (empty before: reading them costs a DWARF walk no Go stack needs)."""
        if "native" not in self.__dict__ or self.native.clines is None:
            return set()
        return self.native.clines.files

    def _c_frames(self, out: Stack, pc: int, sp: int, trap: bool, stack: str,
                  regs: dict[int, int] | None, g: Goroutine | None) -> _State | None:
        """The C frames from ``pc`` appended to ``out``; the state where Go
        code resumes, or None (the C part ended, ``out.notes`` says why)."""
        known = dict(regs) if regs else {}
        known[self.native.sp_reg] = sp
        walk = self.native.walk(pc, known, trap, lambda p: self._info(p) is not None)
        for c in walk.frames:
            out.frames.append(CFrame(c.function, c.file, c.line, c.pc, c.sp, c.cfa, c.entry,
                                     False, stack, c.trap, None, c.object_name))
        if walk.note is not None:
            out.notes.append(walk.note)
        if walk.resume is None:
            return None
        rpc, rsp, rregs = walk.resume
        lr = rregs.get(self.arch.dwarf_numbers[self.lr_name], 0) if self.lr_name else 0
        return _State(rpc, rsp, False, stack, g, lr, True, rregs)

    @staticmethod
    def _sched_state(g: Goroutine) -> _State:
        """Where a parked goroutine resumes: ``g.sched`` (its LR too, where
        one is kept: ``morestack`` saves the caller's there)."""
        return _State(g.sched_pc, g.sched_sp, False, GOROUTINE_STACK, g, g.sched_lr or 0, True)

    def _g(self, addr: int) -> Goroutine | None:
        return self.proc.goroutine_at(addr)

    def _which_stack(self, m: M, g: Goroutine | None, sp: int) -> str:
        if g is not None and g.stack_lo <= sp < g.stack_hi:
            return GOROUTINE_STACK
        reader_g = self.proc.layout.struct("runtime.g")
        for name, gaddr in ((GSIGNAL_STACK, m.gsignal), (G0_STACK, m.g0)):
            if not gaddr:
                continue
            try:
                lo = self.mem.ptr(gaddr + reader_g.off("stack.lo"))
                hi = self.mem.ptr(gaddr + reader_g.off("stack.hi"))
            except UnreadableMemory:
                continue
            if lo <= sp < hi:
                return name
        return G0_STACK  # cgo threads' g0 stacks are the pthread's: bounds may be unknown

    # -- the loop ----------------------------------------------------------------

    def _info(self, pc: int) -> _PCInfo | None:
        """What the loop needs to know about the function at run-time ``pc``."""
        info = self._pc_info.get(pc, _MISSING)
        if info is not _MISSING:
            return info  # type: ignore[return-value]
        tab = self.tab
        f = tab.func_at(pc - self.bias)
        if f is None:
            info = None
        else:
            kind = tab.func_kind(f)  # first: is_topframe may need what it learns
            info = _PCInfo(
                f, kind, f.entry + self.bias, tab.pcsp(f, pc - self.bias),
                tab.is_spwrite(f) and kind != "cgocallback",
                kind == "sigtramp" or f.name == "runtime.sigtramp",
                kind in _INJECTED, tab.is_topframe(f), self._after_call(pc, kind))
        if len(self._pc_info) >= _CACHE_LIMIT:
            self._pc_info.clear()
        self._pc_info[pc] = info
        return info

    def _after_call(self, pc: int, kind: str | None) -> bool:
        """Whether ``pc``, as a return address, follows a call instruction
        (goexit's and systemstack_switch's return pcs are made up)."""
        if kind in ("goexit", "systemstack_switch"):
            return True
        n = self.arch.call_window
        try:
            code = self.proc.exe.read_static(pc - self.bias - n, n)
        except UnreadableMemory:
            return True
        return self.arch.follows_call(code)

    def _frames(self, sym_pc: int, kind: str | None
                ) -> tuple[LogicalFrame, ...]:
        """The logical frames at ``sym_pc`` as (function, file, line,
        inlined, func_kind); ``kind`` is that of the physical function,
        which ``sym_pc`` determines (inlined calls have their own)."""
        got = self._pc_frames.get(sym_pc)
        if got is None:
            tab = self.tab
            got = tuple((sf.function, sf.file, sf.line, sf.inlined,
                         tab.kind_of_id(sf.func_id) if sf.inlined else kind)
                        for sf in tab.frames_at(sym_pc - self.bias))
            if len(self._pc_frames) >= _CACHE_LIMIT:
                self._pc_frames.clear()
            self._pc_frames[sym_pc] = got
        return got

    def _unwind(self, st: _State, g: Goroutine | None, m: M | None) -> Stack:
        out = Stack()
        frames = out.frames
        switched = False
        start_in_syscall = g is not None and st.sp == g.syscall_sp and not st.trap
        # The state lives in locals (pc, sp, trap, stack, sg: an unpacked
        # _State); the per-PC memos are read inline. This loop runs once per
        # physical frame of every goroutine: what is rare (the end of a
        # stack, a switch of stacks, a signal frame) is in methods.
        pc, sp, trap, stack, sg, lr, inner = st.unpack()
        regs = st.regs
        c_tried = False  # C frames are walked once per stack
        ra_on_stack = self.ra_on_stack
        pc_info, pc_frames = self._pc_info, self._pc_frames
        mem = self.mem
        window = mem.ptr_size == _PTR
        win_lo = win_hi = 0
        win = b""
        append = frames.append
        while True:
            if len(frames) >= MAX_FRAMES:
                return _truncated(out)
            info = pc_info.get(pc, _MISSING)
            info = self._info(pc) if info is _MISSING else info
            if info is None:
                nxt, switched, c_tried = self._outside_go(out, _State(
                    pc, sp, trap, stack, sg, lr, inner, regs), g, switched, c_tried)
                if nxt is None:
                    return out
                pc, sp, trap, stack, sg, lr, inner = nxt.unpack()
                regs = nxt.regs
                continue
            kind = info.kind
            spwrite = info.spwrite and not (start_in_syscall and not frames)
            # Switch from the system stack to the goroutine, as the runtime does
            # (not systemstack in its prologue or epilogue on an LR machine).
            if stack == G0_STACK and g is not None and not switched \
                    and kind in ("morestack", "systemstack") \
                    and (ra_on_stack or kind == "morestack" or info.pcsp != 0):
                switched = True
                if kind == "morestack":
                    pc, sp, trap, stack, sg = g.sched_pc, g.sched_sp, False, GOROUTINE_STACK, g
                    lr = g.sched_lr
                    continue
                sp, stack, sg = g.sched_sp, GOROUTINE_STACK, g
                spwrite = False
            elif kind == "systemstack" and not ra_on_stack and info.pcsp == 0:
                spwrite = False
            entry = info.entry
            # a return address that follows no call (a goroutine that has not
            # run yet is parked at its entry)
            if not (trap or info.after_call) and (frames or pc != entry) and out.suspect_pc is None:
                out.suspect_pc = pc
            fp = sp + info.pcsp + _PTR if ra_on_stack else sp + info.pcsp
            sym_pc = pc if trap or pc == entry else pc - 1
            logical = pc_frames.get(sym_pc)
            if logical is None:
                logical = self._frames(sym_pc, kind)
            for function, file, line, inlined, fkind in logical:
                append(Frame(function, file, line, pc, sp, fp, entry, inlined, stack, trap,
                             fkind))
            if info.sigtramp or info.topframe or spwrite:
                nxt, switched = self._jump(out, info.sigtramp, fp, stack, g, m, switched)
                if nxt is None:
                    return out
                pc, sp, trap, stack, sg, lr, inner = nxt.unpack()
                regs = nxt.regs
                continue
            # Where the return address is: pushed by the call (CFA − 8); with a
            # link register, stored at the bottom of the frame once it is made
            # (-1: still in the link register).
            at = fp - _PTR if ra_on_stack else sp if (inner and sp < fp) or lr == 0 else -1
            if at < 0:
                ret = lr
            else:
                if not (win_lo <= at and at + _PTR <= win_hi) and window \
                        and stack == GOROUTINE_STACK and sg is not None:
                    win, win_lo, win_hi = self._window(at, sg)
                if win_lo <= at and at + _PTR <= win_hi:
                    ret = _U64(win, at - win_lo)[0]
                else:
                    try:
                        ret = mem.ptr(at)
                    except UnreadableMemory as exc:
                        out.error, out.missing = str(exc), bool(exc.note)
                        return out
            if ret == 0:
                return out
            if fp <= sp and ret == pc:
                out.error = f"stack does not progress at pc {pc:#x} sp {sp:#x}"
                return out
            pc, sp, trap, lr, inner, regs = ret, fp, info.injected, 0, False, None
            if info.injected and not ra_on_stack:
                try:
                    pc, sp, lr = self._below_injected(pc, sp)
                except UnreadableMemory as exc:
                    out.error, out.missing = str(exc), bool(exc.note)
                    return out

    def _outside_go(self, out: Stack, st: _State, g: Goroutine | None, switched: bool,
                    c_tried: bool) -> tuple[_State | None, bool, bool]:
        """Where the unwind goes from a PC outside Go code: C code (cgo) on a
        system stack is walked by CFI back to the Go code that called it
        (asmcgocall), once per stack; otherwise the goroutine itself is
        parked in its sched or syscall state. (next state or None when the
        unwind ends — ``out.error`` set —, switched, c_tried)."""
        if not c_tried:
            nxt = self._c_frames(out, st.pc, st.sp, st.trap, st.stack, st.regs, st.g)
            if nxt is not None:
                return nxt, switched, True
        nxt = self._resume(st.stack, g, switched)
        if nxt is None:
            out.error = _lost(st.pc, bool(out.frames) and st.stack == GOROUTINE_STACK)
            return None, switched, True
        return nxt, True, True

    def _jump(self, out: Stack, sigtramp: bool, fp: int, stack: str, g: Goroutine | None,
              m: M | None, switched: bool) -> tuple[_State | None, bool]:
        """Where the unwind goes from a frame that is not returned from:
        through a signal frame to the interrupted state; at the end of a
        stack (a top frame, or one that wrote SP directly, where the runtime
        stops too), to the goroutine's own state when on a system stack.
        (None, …) when the unwind ends (``out.error`` set if it is cut short);
        the new ``switched``."""
        if sigtramp:
            out.signal_contexts.append(fp)
            nxt = self._signal_return(fp, g, m)
            if nxt is None:
                out.error = "cannot read the signal context"
            return nxt, switched
        return self._resume(stack, g, switched), True

    def _below_injected(self, pc: int, sp: int) -> tuple[int, int, int]:
        """(pc, sp, lr) of the function an injected call (``sigpanic``)
        interrupted, on a link-register machine: the signal handler saved its
        LR on the stack before faking the call (16 bytes: StackAlign)."""
        saved = self.mem.ptr(sp)
        below = self._info(pc)
        if below is None:
            return saved, sp + 16, 0
        return pc, sp + 16, saved if below.pcsp == 0 else 0

    def _resume(self, stack: str, g: Goroutine | None, switched: bool) -> _State | None:
        """Where the unwind goes on when it ends on a system stack: the
        goroutine's own parked state (once); None when it ends for good."""
        if stack != GOROUTINE_STACK and g is not None and not switched:
            return self._resume_goroutine(g)
        return None

    def _window(self, at: int, sg: Goroutine) -> tuple[bytes, int, int]:
        """Goroutine ``sg``'s stack from ``at`` up (at most :data:`_WINDOW`
        bytes) as (bytes, lo, hi); empty when ``at`` is not in the stack or
        the bytes cannot be read."""
        if not (sg.stack_lo <= at and at + _PTR <= sg.stack_hi):
            return b"", 0, 0
        size = min(sg.stack_hi - at, _WINDOW)
        try:
            return self.mem.read(at, size), at, at + size
        except UnreadableMemory:
            return b"", 0, 0

    def _resume_goroutine(self, g: Goroutine) -> _State:
        if g.syscall_sp:
            return _State(g.syscall_pc, g.syscall_sp, False, GOROUTINE_STACK, g, 0, True)
        return self._sched_state(g)

    def _signal_return(self, uc: int, g: Goroutine | None, m: M | None) -> _State | None:
        """The interrupted state a signal frame saved (``uc``: sigtramp's
        CFA, the kernel's ucontext); None when it cannot be read."""
        sig = self.arch.signal
        lr_at = sig.registers.get(self.lr_name) if self.lr_name else None
        try:
            pc, sp = self.mem.u64(uc + sig.pc), self.mem.u64(uc + sig.sp)
            lr = self.mem.u64(uc + lr_at) if lr_at is not None else 0
        except UnreadableMemory:
            return None
        regs: dict[int, int] | None = None
        lo, size = sig.span
        try:
            raw = self.mem.read(uc + lo, size)
        except UnreadableMemory:
            pass
        else:
            saved = {name: _U64(raw, off - lo)[0] for name, off in sig.registers.items()}
            regs = self.arch.dwarf_numbered(saved)
        return _State(pc, sp, True, self._stack_of(sp, g, m), g, lr, True, regs)

    def _stack_of(self, sp: int, g: Goroutine | None, m: M | None) -> str:
        if g is not None and g.stack_lo <= sp < g.stack_hi:
            return GOROUTINE_STACK
        if m is not None:
            return self._which_stack(m, g, sp)
        return GOROUTINE_STACK


def _truncated(out: Stack) -> Stack:
    out.truncated = True
    out.error = f"stopped after {MAX_FRAMES} frames"
    return out


def _lost(pc: int, on_goroutine_stack: bool) -> str:
    """Why an unwind stops at ``pc``, which no Go function holds."""
    return (f"unexpected return address {pc:#x}" if on_goroutine_stack
            else f"no Go function at pc {pc:#x}")
