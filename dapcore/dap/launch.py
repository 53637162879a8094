"""``launch``/``attach``: opening the files the arguments name
(:mod:`dapcore.dap.config`) with the engine."""

from __future__ import annotations

import logging
import os
import stat
from typing import TYPE_CHECKING, Any

from dapcore.dap.args import RequestError
from dapcore.dap.config import LaunchConfig, parse_launch
from dapcore.dap.errorids import ErrorId
from dapcore.errors import CoreFormatError, DapcoreError, ExecutableError, ExecutableNotFound

log = logging.getLogger("dapcore.dap")

if TYPE_CHECKING:
    from dapcore.dap.state import State
    from dapcore.engine import Engine


def _refused(message: str) -> RequestError:
    return RequestError(message, error_id=ErrorId.LAUNCH_FAILED)


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
        raise _refused(f"the {what} {path} {_NOT_USABLE[what]}")
    if st is None:
        raise _refused(f"the {what} {path} does not exist")
    if not stat.S_ISREG(st.st_mode):
        raise _refused(f"the {what} {path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise _refused(f"the {what} {path} cannot be read (permission denied)")


def _open(config: LaunchConfig, remote: bool = False) -> Engine:
    # The engine is heavy (the Go runtime's readers): the server
    # imports it here, when a launch opens a core, not before it answers
    # 'initialize'.
    from dapcore.engine import Engine

    if remote and isinstance(config.index_cache, str):
        # over TCP the client may be another user: it does not choose where
        # this user's files are written
        raise _refused("'indexCache' may name a directory only over stdio; a remote "
                       "client may set it to true or false")
    _check_file(config.core, "core file", remote)
    if config.program:
        _check_file(config.program, "program", remote)
    program = config.program or "the executable the core names"
    try:
        # No 'program': the executable the core names (a compressed core is
        # decompressed once, here).
        report = Engine.open(config.program or None, config.core, config.debug_dirs,
                             config.index_cache)
    except ExecutableNotFound as exc:
        if remote:
            log.info("launch refused: %s", exc)
            raise _refused(f"the core {config.core} names no executable that can be opened "
                           "here: set 'program'") from None
        raise _refused(f"{exc}: set 'program' to it") from None
    except (CoreFormatError, ExecutableError) as exc:
        if not remote:
            raise
        log.info("launch refused: %s", exc)
        what = "core file" if isinstance(exc, CoreFormatError) else "program"
        if what == "program" and not config.program:
            raise _refused(f"the core {config.core} names no executable that can be opened "
                           "here: set 'program'") from None
        path = config.core if what == "core file" else config.program
        raise _refused(f"the {what} {path} {_NOT_USABLE[what]}") from None
    except DapcoreError:
        raise
    except (OSError, ValueError) as exc:
        if remote:
            log.info("launch refused: %s", exc)
            raise _refused(f"cannot open {program} with {config.core}") from None
        raise _refused(f"cannot open {program} with {config.core}: {exc}") from exc
    config.program = report.executable_path
    # What every later request needs, read now so that a core dapcore
    # cannot read fails the launch (and ends the session) with the reason.
    try:
        report.check_readable(config.program)
    except BaseException:
        report.close()
        raise
    return report


async def open_core(session: State, args: dict[str, Any]) -> tuple[LaunchConfig, Engine]:
    config = parse_launch(args)
    report = await session.run(_open, config, session.remote)
    return config, report
