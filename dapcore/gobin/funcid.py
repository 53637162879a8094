"""Special runtime functions: FuncID values and FuncFlag bits.

The linker marks a few runtime functions with a FuncID (``_func.funcID``,
Go ≥ 1.10ish; values from ``internal/abi/symtab.go`` ≥ 1.21 and
``runtime/symtab.go`` before) so that the unwinder treats them specially.
The numbering changes between releases (1.22 inserted ``corostart``, 1.25
replaced ``runfinq`` by ``runFinalizers``/``runCleanups``), and a pclntab
magic spans several releases, so the numbers are not taken from a table:
they are read from the binary itself, from the funcID of the function each
kind is named after (``cmd/internal/objabi/funcid.go`` maps names to IDs).
``FuncIDWrapper`` has no function of its own: ``runtime.deferreturn`` is
marked as a wrapper (1.17+); failing that, the per-release tables below
that agree with the calibrated names give it.

FuncFlag (``_func.flag``, Go ≥ 1.17): TOPFRAME=1, SPWRITE=2, ASM=4 (1.19+).
"""

from __future__ import annotations

# kind → names of the functions carrying it (older names after newer).
KIND_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "abort": ("runtime.abort",),
    "asmcgocall": ("runtime.asmcgocall",),
    "asyncPreempt": ("runtime.asyncPreempt",),
    "cgocallback": ("runtime.cgocallback", "runtime.cgocallback_gofunc"),
    "corostart": ("runtime.corostart",),
    "debugCallV2": ("runtime.debugCallV2",),
    "debugCallV1": ("runtime.debugCallV1",),
    "externalthreadhandler": ("runtime.externalthreadhandler",),
    "gcBgMarkWorker": ("runtime.gcBgMarkWorker",),
    "goexit": ("runtime.goexit",),
    "gogo": ("runtime.gogo",),
    "gopanic": ("runtime.gopanic",),
    "handleAsyncEvent": ("runtime.handleAsyncEvent",),
    "jmpdefer": ("runtime.jmpdefer",),
    "mcall": ("runtime.mcall",),
    "morestack": ("runtime.morestack",),
    "mstart": ("runtime.mstart",),
    "panicwrap": ("runtime.panicwrap",),
    "rt0_go": ("runtime.rt0_go",),
    "runfinq": ("runtime.runfinq",),
    "runFinalizers": ("runtime.runFinalizers",),
    "runCleanups": ("runtime.runCleanups",),
    "runtime_main": ("runtime.main",),
    "sigpanic": ("runtime.sigpanic",),
    "systemstack": ("runtime.systemstack",),
    "systemstack_switch": ("runtime.systemstack_switch",),
}

WRAPPER = "wrapper"

# Full tables of the releases we can check, in FuncID order (0 = normal).
_TABLE_119 = (  # 1.19 (runtime/symtab.go) – 1.21 (internal/abi/symtab.go)
    "normal", "abort", "asmcgocall", "asyncPreempt", "cgocallback", "debugCallV2",
    "gcBgMarkWorker", "goexit", "gogo", "gopanic", "handleAsyncEvent", "mcall", "morestack",
    "mstart", "panicwrap", "rt0_go", "runfinq", "runtime_main", "sigpanic", "systemstack",
    "systemstack_switch", WRAPPER,
)
_TABLE_122 = (  # 1.22 – 1.24: corostart
    "normal", "abort", "asmcgocall", "asyncPreempt", "cgocallback", "corostart", "debugCallV2",
    "gcBgMarkWorker", "goexit", "gogo", "gopanic", "handleAsyncEvent", "mcall", "morestack",
    "mstart", "panicwrap", "rt0_go", "runfinq", "runtime_main", "sigpanic", "systemstack",
    "systemstack_switch", WRAPPER,
)
_TABLE_125 = (  # 1.25+: runFinalizers, runCleanups
    "normal", "abort", "asmcgocall", "asyncPreempt", "cgocallback", "corostart", "debugCallV2",
    "gcBgMarkWorker", "goexit", "gogo", "gopanic", "handleAsyncEvent", "mcall", "morestack",
    "mstart", "panicwrap", "rt0_go", "runtime_main", "runFinalizers", "runCleanups", "sigpanic",
    "systemstack", "systemstack_switch", WRAPPER,
)
KNOWN_TABLES: tuple[tuple[str, ...], ...] = (_TABLE_119, _TABLE_122, _TABLE_125)

# FuncFlag bits (_func.flag, Go ≥ 1.17).
FLAG_TOPFRAME = 1
FLAG_SPWRITE = 2
FLAG_ASM = 4

# Before 1.17 the unwinder stopped at these (runtime.topofstack).
TOPFRAME_KINDS_BEFORE_117 = frozenset(
    {"goexit", "mstart", "mcall", "morestack", "rt0_go", "externalthreadhandler"})


def calibrate(ids_by_kind: dict[str, int], deferreturn_id: int) -> dict[int, str]:
    """FuncID → kind from the IDs found on the named functions.

    ``ids_by_kind`` holds the nonzero funcID of each kind's function found
    in the binary; ``deferreturn_id`` the funcID of runtime.deferreturn
    (the wrapper ID from 1.17 on, 0 before)."""
    out = {fid: kind for kind, fid in ids_by_kind.items() if fid}
    if not out:  # before Go 1.12 functions carry no funcID: kinds go by name
        return out
    if deferreturn_id and deferreturn_id not in out:
        out[deferreturn_id] = WRAPPER
        return out
    for table in KNOWN_TABLES:
        if all(fid < len(table) and table[fid] == kind for kind, fid in ids_by_kind.items()
               if fid):
            out.setdefault(len(table) - 1, WRAPPER)
            break
    return out
