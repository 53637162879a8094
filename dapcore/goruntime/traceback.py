"""The engine's findings in the runtime's own words: goroutine headers,
frames, ``created by`` lines, and which frames the runtime would print."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.arch import lookup
from dapcore.errors import DapcoreError
from dapcore.gobin.pclntab import PCLnTab, print_name
from dapcore.goruntime.crash import FATAL, PANIC

if TYPE_CHECKING:
    from dapcore.arch.descriptor import Arch
    from dapcore.elf.executable import Executable
    from dapcore.gobin.pclntab import Func
    from dapcore.goruntime.crash import Crash
    from dapcore.goruntime.goroutines import Goroutine
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.unwind import Frame


@dataclass(frozen=True, slots=True)
class CreatedBy:
    function: str
    file: str
    line: int
    offset: int
    goroutine: int | None


def created_by(proc: Process, g: Goroutine) -> CreatedBy | None:
    """Where ``go`` started ``g`` (none for goroutine 1 and runtime-made gs)."""
    if g.goid == 1 or not g.go_pc:
        return None
    tab = proc.pclntab
    link_pc = g.go_pc - proc.bias
    f = tab.func_at(link_pc)
    if f is None:
        return None
    trace_pc = link_pc - 1 if link_pc > f.entry else link_pc
    file, line = tab.line_at(f, trace_pc)
    return CreatedBy(print_name(f.name), file, line, link_pc - f.entry, g.parent_id or None)


def start_function(proc: Process, g: Goroutine) -> str | None:
    return _start_function(proc, g.start_pc)


def _start_function(proc: Process, start_pc: int) -> str | None:
    f = proc.pclntab.func_at(start_pc - proc.bias) if start_pc else None
    return f.name if f is not None else None


_GOWRAP = re.compile(r"\.gowrap\d+$")


def go_statement_function(proc: Process, g: Goroutine) -> str | None:
    """The function the goroutine's ``go`` statement named: its start
    function, except that from Go 1.22 ``go f(x)`` starts a compiler
    wrapper (``main.main.gowrap1``) that calls f; then f (inlined into the
    wrapper or called by it), when the wrapper's code shows it."""
    return _go_statement_function(proc, g.start_pc)


def _go_statement_function(proc: Process, start_pc: int) -> str | None:
    name = _start_function(proc, start_pc)
    if name is None or not _GOWRAP.search(name):
        return name
    entry = start_pc - proc.bias
    memo = proc.wrapped_functions
    if entry not in memo:
        memo[entry] = _wrapped(proc.pclntab, proc.exe, entry)
    return memo[entry] or name


def called_function(proc: Process, entry: int) -> str | None:
    """The function a small wrapper at ``entry`` (run-time) calls, inlined or
    by a direct call: a ``go`` statement's gowrap, a ``defer`` statement's
    deferwrap (or, before Go 1.22, its ``funcN`` closure)."""
    link = entry - proc.bias
    memo = proc.wrapped_functions
    if link not in memo:
        memo[link] = _wrapped(proc.pclntab, proc.exe, link)
    return memo[link]


def goroutine_name(proc: Process, g: Goroutine) -> str | None:
    """The name a goroutine goes by wherever dapcore shows one (thread
    names, ``dapcore goroutines``, ``startFunction`` in JSON): the function
    its ``go`` statement named (:func:`go_statement_function`), and
    ``main.main`` for the main goroutine (which starts in ``runtime.main``)."""
    return name_by_start(proc, g.start_pc)


def name_by_start(proc: Process, start_pc: int) -> str | None:
    """:func:`goroutine_name` of the goroutines that started at ``start_pc``."""
    memo = proc.goroutine_names  # by start pc: the same for the same start
    if start_pc not in memo:
        fn = _go_statement_function(proc, start_pc)
        memo[start_pc] = "main.main" if fn == "runtime.main" else fn
    return memo[start_pc]


def _wrapped(pclntab: PCLnTab, exe: Executable, entry: int) -> str | None:
    f = pclntab.func_at(entry)
    if f is None or not 0 < f.end - f.entry <= 4096:
        return None
    arch = lookup(exe.machine)
    if arch is None:
        return None
    try:
        code = exe.read_static(f.entry, f.end - f.entry)
    except DapcoreError:
        return None
    found = _wrapped_without_disassembler(pclntab, arch, f, code)
    return found if found is not None else _wrapped_by_disassembly(pclntab, arch, f, code)


def _wrapped_by_disassembly(pclntab: PCLnTab, arch: Arch, f: Func, code: bytes) -> str | None:
    """The function a wrapper's ``code`` calls, instruction by instruction
    (capstone): the first one inlined into it, or the first direct call."""
    cs = arch.disassembler(False)
    for addr, _size, mnemonic, op_str in cs.disasm_lite(code, f.entry):
        frames = pclntab.frames_at(addr)
        if len(frames) > 1:  # f was inlined into the wrapper
            return frames[-2].function
        target = arch.direct_call_target(mnemonic, op_str)
        if target is not None:
            callee = pclntab.func_at(target)
            if callee is not None and not callee.name.startswith("runtime.morestack"):
                return callee.name
    return None


def _wrapped_without_disassembler(pclntab: PCLnTab, arch: Arch, f: Func,
                                  code: bytes) -> str | None:
    """What :func:`_wrapped` finds with capstone, found from the inline table
    and the call instructions' bytes: the thread names need it for every
    program with ``go f(x)``, and importing capstone takes ~80 ms (issue
    #16). The first inlined instruction or the first direct call to a
    function's entry (not ``morestack``), whichever comes first; None when
    neither is found (then capstone decides)."""
    inlined = None
    off = pclntab.pcdata_offset(f, pclntab.inline_pcdata_index()) if pclntab.inline_trees else 0
    if off:
        for value, start, _end in pclntab.table(off):
            if value >= 0:
                frames = pclntab.frames_at(f.entry + start)
                if len(frames) > 1:
                    inlined = (f.entry + start, frames[-2].function)
                break
    for addr, target in arch.call_candidates(code, f.entry):
        if inlined is not None and inlined[0] <= addr:
            break
        callee = pclntab.func_at(target)
        if callee is not None and callee.entry == target \
                and not callee.name.startswith("runtime.morestack"):
            return callee.name
    return inlined[1] if inlined is not None else None


def header(g: Goroutine) -> str:
    extra = ", locked to thread" if g.locked_to_thread else ""
    return f"goroutine {g.goid} [{g.status_text}{extra}]:"


def printed_frames(frames: list[Frame], crash: Crash | None, crashed: bool) -> list[Frame]:
    """The frames the runtime would have printed for this goroutine: for the
    crashing goroutine its traceback starts at the panic, the throw or the
    interrupted PC, not at the crash handler's own frames."""
    own = next((i for i, f in enumerate(frames) if f.stack == "goroutine"), None)
    if own is None:
        return frames
    # A goroutine whose own frames begin with a systemstack switch was
    # itself panicking or throwing on its thread (the crash, or a second
    # thrower): the runtime's traceback of it begins at the panic or throw.
    # Otherwise (a signal, a thread interrupted by the SIGQUIT relay) it
    # begins at the goroutine's first frame.
    if not crashed and frames[own].function != "runtime.systemstack":
        return frames[own:]
    throws = ("runtime.throw", "runtime.fatal")
    if crash is not None and crash.kind == PANIC and crashed:
        wanted: tuple[str, ...] = ("runtime.gopanic",)
    elif crash is not None and crash.kind == FATAL and crashed:
        wanted = throws
    else:
        wanted = (*throws, "runtime.gopanic")
    start = next((i for i in range(own, len(frames)) if frames[i].function in wanted), own)
    return frames[start:]


def format_frame(f: Frame) -> str:
    name = print_name(f.function)
    loc = f"\t{f.file}:{f.line}"
    if not f.inlined:
        loc += f" +{f.offset:#x}"
    return f"{name}({'...' if f.inlined else ''})\n{loc}"


def _exported_runtime(name: str) -> bool:
    return len(name) > 8 and name.startswith("runtime.") and name[8].isupper()


def shown_by_default(frames: list[Frame], judge_inlined_by_caller: bool = False
                     ) -> list[Frame]:
    """The frames a traceback shows at the default level (GOTRACEBACK=single,
    ``runtime.Stack``): runtime internals and wrappers hidden, as the
    runtime's ``showfuncinfo`` decides. The frames are innermost first.
    ``judge_inlined_by_caller``: an inlined frame is shown when the physical
    function it was inlined into is (Go 1.15's runtime; 1.19's judges each
    frame by its own name)."""
    out = []
    callee: str | None = None
    for i, f in enumerate(frames):
        name = f.function
        if judge_inlined_by_caller and f.inlined:
            name = next((g.function for g in frames[i + 1:] if not g.inlined), name)
        if f.func_kind == "wrapper" and callee not in ("gopanic", "sigpanic", "panicwrap"):
            show = False
        elif name == "runtime.gopanic" and i > 0:
            show = True
        else:
            show = "." in name and (not name.startswith("runtime.") or _exported_runtime(name))
        if show:
            out.append(f)
        callee = f.func_kind
    return out
