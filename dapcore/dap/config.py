"""The ``launch``/``attach`` arguments (Delve's names) as a checked
:class:`LaunchConfig`; unknown attributes (``mode``, ``dlvFlags`` …) are
ignored."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dapcore.dap.args import bad_argument, non_negative, optional, required


@dataclass(slots=True)
class LaunchConfig:
    program: str  # "" until the core names it (launch.open_core)
    core: str
    cwd: str
    substitute: list[tuple[str, str]] = field(default_factory=list)  # (from, to) prefixes
    hide_system: bool = False
    stack_depth: int | None = None
    show_registers: bool = False
    show_globals: bool = False
    max_string_len: int | None = None
    max_array_values: int | None = None
    show_crash_frames: bool = False
    # At most this many threads in the threads answer (0: every goroutine);
    # dapcore.dap.threadcap says which.
    max_threads: int = 0
    # Directories holding a stripped program's separate debug file (by its
    # .gnu_debuglink name or GNU build id; dapcore.elf.debugfile), absolute.
    debug_dirs: list[str] = field(default_factory=list)
    # The index cache (dapcore.indexcache): None the default place, False
    # none, or a directory (absolute).
    index_cache: bool | str | None = None


# At most this many debugInfoDirectories (each costs a few stat calls).
MAX_DEBUG_DIRS = 64


def parse_launch(args: dict[str, Any]) -> LaunchConfig:
    """Check the arguments; paths are made absolute (relative ones are under ``cwd``)."""
    cwd = optional(args, "cwd", str, None) or os.getcwd()
    cwd = resolve(os.getcwd(), cwd)
    core = required(args, "coreFilePath", str)
    program = optional(args, "program", str, None) or ""
    subs: list[tuple[str, str]] = []
    for item in optional(args, "substitutePath", list, []) or []:
        if (not isinstance(item, dict) or not isinstance(item.get("from"), str)
                or not isinstance(item.get("to"), str)):
            raise bad_argument("argument 'substitutePath' must be a list of {\"from\": …, "
                               "\"to\": …} objects with string values")
        subs.append((item["from"], item["to"]))
    dirs = optional(args, "debugInfoDirectories", list, []) or []
    if not all(isinstance(d, str) and d for d in dirs) or len(dirs) > MAX_DEBUG_DIRS:
        raise bad_argument(f"argument 'debugInfoDirectories' must be a list of at most "
                           f"{MAX_DEBUG_DIRS} directory paths (non-empty strings)")
    return LaunchConfig(
        program=resolve(cwd, program) if program else "",
        core=resolve(cwd, core),
        cwd=cwd,
        substitute=subs,
        hide_system=bool(optional(args, "hideSystemGoroutines", bool, False)),
        stack_depth=non_negative(args, "stackTraceDepth", None),
        show_registers=bool(optional(args, "showRegisters", bool, False)),
        show_globals=bool(optional(args, "showGlobalVariables", bool, False)),
        max_string_len=non_negative(args, "maxStringLen", None),
        max_array_values=non_negative(args, "maxArrayValues", None),
        show_crash_frames=bool(optional(args, "showCrashFrames", bool, False)),
        max_threads=non_negative(args, "maxThreads", 0) or 0,
        debug_dirs=[resolve(cwd, d) for d in dirs],
        index_cache=_index_cache(args, cwd),
    )


def _index_cache(args: dict[str, Any], cwd: str) -> bool | str | None:
    """``indexCache``: true (the default place), false (none), or a directory."""
    if isinstance(args.get("indexCache"), bool):
        return None if optional(args, "indexCache", bool, None) else False
    value = optional(args, "indexCache", str, None)
    if value == "":
        raise bad_argument("argument 'indexCache' must be true, false or a directory path")
    return resolve(cwd, value) if value is not None else None


def resolve(cwd: str, path: str) -> str:
    """``path`` with ``~`` expanded, under ``cwd`` when relative."""
    p = Path(os.path.expanduser(path))
    return str(p if p.is_absolute() else Path(cwd) / p)
