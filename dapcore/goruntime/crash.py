"""Why the process died: the panic chain, the fatal error, or the signal —
worded the way the Go runtime printed it."""

from __future__ import annotations

import re
import signal as pysignal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dapcore.errors import UnreadableMemory
from dapcore.goruntime.goroutines import GoroutineReader
from dapcore.goruntime.printval import print_eface
from dapcore.goruntime.rtype import TypeReader
from dapcore.goruntime.unwind import Unwinder

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.unwind import Frame, Stack

PANIC, FATAL, SIGNAL, SNAPSHOT, UNKNOWN = "panic", "fatal error", "signal", "snapshot", "unknown"

_PRINTABLE = re.compile(rb"^[\t\n\x20-\x7e\x80-\xff]+$")

_SIGNAL_TEXT = {
    "SIGHUP": "terminal line hangup", "SIGINT": "interrupt", "SIGQUIT": "quit",
    "SIGILL": "illegal instruction", "SIGTRAP": "trace trap", "SIGABRT": "abort",
    "SIGBUS": "bus error", "SIGFPE": "floating-point exception", "SIGKILL": "kill",
    "SIGUSR1": "user-defined signal 1", "SIGSEGV": "segmentation violation",
    "SIGUSR2": "user-defined signal 2", "SIGPIPE": "write to broken pipe",
    "SIGALRM": "alarm clock", "SIGTERM": "termination", "SIGSYS": "bad system call",
}


def signal_name(signo: int) -> str:
    try:
        return pysignal.Signals(signo).name
    except ValueError:
        return f"signal {signo}"


def signal_text(signo: int) -> str:
    return _SIGNAL_TEXT.get(signal_name(signo), "")


@dataclass(slots=True)
class PanicInfo:
    message: str  # the value as printed
    type_name: str | None
    recovered: bool
    repanicked: bool
    goexit: bool


@dataclass(slots=True)
class SignalInfo:
    signo: int
    code: int
    addr: int
    pc: int

    @property
    def name(self) -> str:
        return signal_name(self.signo)

    def line(self) -> str:
        """``[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x…]``."""
        return (f"[signal {self.name}: {signal_text(self.signo)} code={self.code:#x} "
                f"addr={self.addr:#x} pc={self.pc:#x}]")


@dataclass(slots=True)
class Crash:
    kind: str
    message: str  # first line(s) as the runtime printed them
    goroutine: int | None  # id of the crashing goroutine (None: on a system stack)
    panics: list[PanicInfo] = field(default_factory=list)
    fatal_error: str | None = None
    signal: SignalInfo | None = None  # the fault behind a panic (g.sig …)
    fatal_signal: SignalInfo | None = None  # a signal the runtime did not turn into a panic

    def header(self) -> str:
        """The preamble as the runtime prints it."""
        lines = []
        if self.kind == PANIC:
            lines.append(self.message)
        elif self.kind == FATAL:
            if self.panics:
                lines.append(_panic_lines(self.panics))
            lines.append(f"fatal error: {self.fatal_error}")
        elif self.kind == SIGNAL and self.fatal_signal is not None:
            s = self.fatal_signal
            lines.append(f"{s.name}: {signal_text(s.signo)}")
        else:
            lines.append(self.message)
        if self.signal is not None:
            lines.append(self.signal.line())
        return "\n".join(lines)


def _panic_lines(panics: list[PanicInfo]) -> str:
    out: list[str] = []
    for i, p in enumerate(panics):
        if i > 0 and panics[i - 1].repanicked:
            break
        if p.goexit:
            continue
        prefix = "\t" if i > 0 and not panics[i - 1].goexit else ""
        suffix = (" [recovered, repanicked]" if p.recovered and p.repanicked
                  else " [recovered]" if p.recovered else "")
        out.append(f"{prefix}panic: {p.message}{suffix}")
    return "\n".join(out)


def read_panics(proc: Process, panic_ptr: int) -> list[PanicInfo]:
    """The ``g._panic`` chain, oldest first (the order the runtime prints)."""
    lay = proc.layout.struct("runtime._panic")
    types = TypeReader(proc)
    mem = proc.memory
    chain: list[PanicInfo] = []
    seen: set[int] = set()
    p = panic_ptr
    while p and p not in seen and len(seen) < 1000:
        seen.add(p)
        try:
            typ = mem.ptr(p + lay.off("arg"))
            data = mem.ptr(p + lay.off("arg") + 8)
            named = bool(typ) and _plausible_type_name(types, typ)
            if typ and not (named and types.is_type(typ)):
                _warn(proc, f"the panic value's type pointer {typ:#x} (the _panic record at "
                      f"{p:#x}) is not one of the program's types: the record is damaged and "
                      "the panic message shown may be wrong")
            if named and data % 4:
                _warn(proc, f"the panic value's data pointer {data:#x} (the _panic record at "
                      f"{p:#x}) is misaligned for a {types.read(typ).name}: the record is "
                      "damaged and the panic message shown may be wrong")
            text, tname = print_eface(proc, types, typ, data)
            if "<unreadable " in text:
                _warn(proc, f"the panic value (the _panic record at {p:#x}) cannot be read "
                      "from the core: the panic message is incomplete")
            raw = {name: mem.u8(p + lay.off(name)) if lay.has(name) else 0
                   for name in ("recovered", "repanicked", "goexit")}
            if any(v > 1 for v in raw.values()):
                _warn(proc, f"the _panic record at {p:#x} holds a flag that is neither true "
                      "nor false: the record is damaged and the panic shown may be wrong")
            flags = {name: bool(v) for name, v in raw.items()}
            link = mem.ptr(p + lay.off("link"))
        except UnreadableMemory as exc:
            _warn(proc, f"the _panic record at {p:#x} cannot be read from the core: the panic "
                  "message is incomplete")
            chain.append(PanicInfo(f"<{exc.short}>", None, False, False, False))
            break
        chain.append(PanicInfo(text, tname, flags["recovered"], flags["repanicked"],
                               flags["goexit"]))
        p = link
    chain.reverse()
    return chain


def _plausible_type_name(types: TypeReader, typ: int) -> bool:
    """A type descriptor has a printable, non-empty name."""
    try:
        name = types.read(typ).name
    except UnreadableMemory:
        return False
    return bool(name) and name.isprintable() and not name.startswith("<type at ")


def _warn(proc: Process, text: str) -> None:
    if text not in proc.warnings:
        proc.warnings.append(text)


def _throw_message(proc: Process, frames: list[Frame]) -> str | None:
    """The string passed to ``runtime.throw``/``runtime.fatal``: its
    ``systemstack`` closure ({fn, s}) lives in the thrower's frame."""
    for fr in frames:
        if fr.function not in ("runtime.throw", "runtime.fatal") or fr.inlined:
            continue
        closure = proc.pclntab.func_by_name(fr.function + ".func1")
        mem = proc.memory
        words = []
        try:
            for a in range(fr.sp, fr.fp - 8, 8):
                words.append((a, mem.u64(a)))
        except UnreadableMemory:
            pass
        if closure is not None:
            target = closure.entry + proc.bias
            for a, w in words:
                if w == target:
                    s = _string_at(proc, a + 8)
                    if s is not None:
                        return s
        for a, _ in words:  # any printable string header in the frame
            s = _string_at(proc, a)
            if s is not None:
                return s
    return None


def _string_at(proc: Process, addr: int) -> str | None:
    mem = proc.memory
    try:
        ptr, n = mem.u64(addr), mem.u64(addr + 8)
        if not 0 < n < 4096:
            return None
        raw = mem.read(ptr, n)
    except UnreadableMemory:
        return None
    if not _PRINTABLE.match(raw):
        return None
    return raw.decode(errors="replace")


def _signal_frames(proc: Process, stack: Stack) -> list[SignalInfo]:
    out = []
    frame = proc.arch.signal  # the kernel's signal frame: ucontext, then siginfo
    for uc in stack.signal_contexts:
        try:
            info = uc + frame.siginfo
            signo, _errno, code = (proc.memory.i32(info), proc.memory.i32(info + 4),
                                   proc.memory.i32(info + 8))
            addr = proc.memory.u64(info + 16)
            pc = proc.memory.u64(uc + frame.pc)
        except UnreadableMemory:
            continue
        out.append(SignalInfo(signo, code & 0xFFFFFFFF, addr, pc))
    return out


_FATAL_SIGNALS = (6, 11, 7, 4, 8, 3)  # SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGQUIT


def analyse(proc: Process) -> Crash:
    """Work out the crash from the crashing thread, its goroutine and the
    runtime's own records."""
    g = proc.crashed_goroutine
    m = proc.crashing_m
    unwinder = Unwinder(proc)
    stack = unwinder.thread_stack(m) if m is not None and m.thread is not None else None
    frames = stack.frames if stack is not None else []
    names = {f.function for f in frames}
    sigs = [s for s in (_signal_frames(proc, stack) if stack else []) if s.signo != 6]
    siginfo = proc.core.siginfo
    goid = g.goid if g is not None else None

    panics = read_panics(proc, g.panic_ptr) if g is not None and g.panic_ptr else []
    fault = None
    holders = [g] if g is not None else []
    if m is not None and m.g0:
        # A fault in C or runtime code is recorded on the thread's g0.
        try:
            holders.append(GoroutineReader(proc).read(m.g0))
        except UnreadableMemory:
            pass
    for holder in holders:
        if holder.sig:
            fault = SignalInfo(holder.sig, holder.sigcode0, holder.sigcode1, holder.sigpc)
            break

    if {"runtime.throw", "runtime.fatal", "runtime.fatalthrow"} & names:
        msg = _throw_message(proc, frames) or "<message not found>"
        return Crash(FATAL, f"fatal error: {msg}", goid, panics, msg, fault)
    if "runtime.fatalpanic" in names or (panics and not all(p.recovered for p in panics)):
        return Crash(PANIC, _panic_lines(panics), goid, panics, signal=fault)
    if sigs:
        s = sigs[0]
        return Crash(SIGNAL, f"{s.name}: {signal_text(s.signo)}", goid, panics,
                     fatal_signal=s)
    if siginfo is not None and siginfo.signo in _FATAL_SIGNALS:
        s = SignalInfo(siginfo.signo, siginfo.code & 0xFFFFFFFF, siginfo.addr or 0, 0)
        return Crash(SIGNAL, f"{s.name}: {signal_text(s.signo)}", goid, panics, fatal_signal=s)
    # No NT_SIGINFO (qemu's cores): the signal the first thread took (e.g.
    # SIGABRT from abort() in C, which the runtime reports as it is)
    first = proc.core.crashing_thread
    if siginfo is None and first is not None and first.signal in _FATAL_SIGNALS:
        s = SignalInfo(first.signal, 0, 0, 0)
        return Crash(SIGNAL, f"{s.name}: {signal_text(s.signo)}", goid, panics, fatal_signal=s)
    return Crash(SNAPSHOT, "no crash: the core is a snapshot of a live process", None, panics)
