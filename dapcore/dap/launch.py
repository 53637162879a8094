"""``launch``/``attach`` arguments (Delve's names) and opening the files."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from dapcore.dap.args import RequestError, non_negative, optional, required
from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    from dapcore.dap.session import LaunchConfig, Session
    from dapcore.go.report import Report


def parse(args: dict[str, Any]) -> LaunchConfig:
    """Check the arguments; unknown attributes (``mode``, ``dlvFlags`` …) are ignored."""
    from dapcore.dap.session import LaunchConfig, resolve

    cwd = optional(args, "cwd", str, None) or os.getcwd()
    cwd = resolve(os.getcwd(), cwd)
    core = required(args, "coreFilePath", str)
    program = optional(args, "program", str, None) or ""
    subs: list[tuple[str, str]] = []
    for item in optional(args, "substitutePath", list, []) or []:
        if (not isinstance(item, dict) or not isinstance(item.get("from"), str)
                or not isinstance(item.get("to"), str)):
            raise RequestError("argument 'substitutePath' must be a list of {\"from\": …, "
                               "\"to\": …} objects with string values")
        subs.append((item["from"], item["to"]))
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
    )


def _check_file(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise RequestError(f"the {what} {path} does not exist")
    if not os.path.isfile(path):
        raise RequestError(f"the {what} {path} is not a file")
    if not os.access(path, os.R_OK):
        raise RequestError(f"the {what} {path} cannot be read (permission denied)")


def _open(config: LaunchConfig) -> Report:
    from dapcore.elf.core import open_core as read_core
    from dapcore.go.identity import executable_path_in_core
    from dapcore.go.releases import explain
    from dapcore.go.report import Report

    _check_file(config.core, "core file")
    if not config.program:
        named = executable_path_in_core(read_core(config.core))
        if named is None:
            raise RequestError(f"the core {config.core} names no executable: set 'program'")
        if not os.path.isfile(named):
            raise RequestError(f"the core {config.core} was produced by {named}, which does "
                               "not exist here: set 'program' to a copy of that executable")
        config.program = named
    _check_file(config.program, "program")
    try:
        report = Report.open(config.program, config.core)
    except DapcoreError:
        raise
    except (OSError, ValueError) as exc:
        raise RequestError(f"cannot open {config.program} with {config.core}: {exc}") from exc
    proc = report.proc
    try:
        # What every later request needs, read now so that a core dapcore
        # cannot read fails the launch (and ends the session) with the reason.
        _ = proc.pclntab, proc.layout
    except DapcoreError as exc:
        raise explain(config.program, proc.go_version, exc) from exc
    return report


async def open_core(session: Session, args: dict[str, Any]) -> tuple[LaunchConfig, Report]:
    config = parse(args)
    report = await session.engine(_open, config)
    return config, report
