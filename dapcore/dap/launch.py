"""``launch``/``attach`` arguments (Delve's names) and opening the files."""

from __future__ import annotations

import logging
import os
import stat
from typing import TYPE_CHECKING, Any

from dapcore.dap.args import RequestError, non_negative, optional, required
from dapcore.errors import DapcoreError

log = logging.getLogger("dapcore.dap")

if TYPE_CHECKING:
    from dapcore.dap.session import LaunchConfig, Session
    from dapcore.engine import Engine


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


_NOT_USABLE = {
    "core file": "is missing, cannot be read, or is not a core dump",
    "program": "is missing, cannot be read, or is not a Go executable",
}


def _check_file(path: str, what: str, remote: bool) -> None:
    """A regular, readable file, else a clear error. Over TCP (``remote``)
    one message covers every reason, so that a client cannot probe which
    paths exist on the server's machine."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        st = None
    if remote and (st is None or not stat.S_ISREG(st.st_mode) or not os.access(path, os.R_OK)):
        raise RequestError(f"the {what} {path} {_NOT_USABLE[what]}")
    if st is None:
        raise RequestError(f"the {what} {path} does not exist")
    if not stat.S_ISREG(st.st_mode):
        raise RequestError(f"the {what} {path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise RequestError(f"the {what} {path} cannot be read (permission denied)")


def _open(config: LaunchConfig, remote: bool = False) -> Engine:
    from dapcore.elf.core import open_core as read_core
    from dapcore.engine import Engine
    from dapcore.errors import CoreFormatError, ExecutableError
    from dapcore.gobin.identity import executable_path_in_core
    from dapcore.gobin.releases import explain

    _check_file(config.core, "core file", remote)
    if not config.program:
        try:
            named = executable_path_in_core(read_core(config.core))
        except CoreFormatError as exc:
            if remote:
                log.info("launch refused: %s", exc)
                raise RequestError(f"the core file {config.core} {_NOT_USABLE['core file']}"
                                   ) from None
            raise
        if named is None:
            raise RequestError(f"the core {config.core} names no executable: set 'program'")
        if remote:
            try:
                _check_file(named, "program", remote)
            except RequestError:
                raise RequestError(f"the core {config.core} names no executable that can be "
                                   "opened here: set 'program'") from None
        elif not os.path.isfile(named):
            raise RequestError(f"the core {config.core} was produced by {named}, which does "
                               "not exist here: set 'program' to a copy of that executable")
        config.program = named
    _check_file(config.program, "program", remote)
    try:
        report = Engine.open(config.program, config.core)
    except (CoreFormatError, ExecutableError) as exc:
        if not remote:
            raise
        log.info("launch refused: %s", exc)
        what = "core file" if isinstance(exc, CoreFormatError) else "program"
        path = config.core if what == "core file" else config.program
        raise RequestError(f"the {what} {path} {_NOT_USABLE[what]}") from None
    except DapcoreError:
        raise
    except (OSError, ValueError) as exc:
        if remote:
            log.info("launch refused: %s", exc)
            raise RequestError(f"cannot open {config.program} with {config.core}") from None
        raise RequestError(f"cannot open {config.program} with {config.core}: {exc}") from exc
    proc = report.proc
    try:
        # What every later request needs, read now so that a core dapcore
        # cannot read fails the launch (and ends the session) with the reason.
        _ = proc.pclntab, proc.layout
    except DapcoreError as exc:
        raise explain(config.program, proc.go_version, exc) from exc
    return report


async def open_core(session: Session, args: dict[str, Any]) -> tuple[LaunchConfig, Engine]:
    config = parse(args)
    report = await session.engine(_open, config, session.remote)
    return config, report
