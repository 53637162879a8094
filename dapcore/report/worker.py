"""What a ``dapcore triage`` worker process does with one core: find its
executable, open both, and give back the crash's signature (or, for one
core per signature, its report) as plain data. The engine is closed before
the task ends, so a worker holds one core's index at most."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from dapcore.engine import Engine
from dapcore.errors import DapcoreError
from dapcore.report.assemble import signature_json
from dapcore.report.render import render
from dapcore.report.signature import signature

__all__ = ["CoreResult", "find_executable", "read_core", "report_core"]


# systemd-coredump's names: core.COMM.UID.BOOT_ID.PID.USEC[.zst|.lz4|.xz]
_SYSTEMD_NAME = re.compile(r"^core\..+\.\d+\.[0-9a-f]{32}\.\d+\.(\d{16})(?:\.(?:zst|lz4|xz))?$")


@dataclass(slots=True)
class CoreResult:
    core: str
    mtime: float  # when the core was written (see core_time)
    time_source: str = "file modification time"
    executable: str | None = None
    signature: dict[str, Any] | None = None
    error: str | None = None


def find_executable(core: str, by_build_id: dict[str, str], named: str | None,
                    build_id: str | None) -> str:
    """The executable of ``core``: the file named as the core names it in
    the core's own directory, else the one with the core's Go build ID in
    ``by_build_id`` (``--executables``). Not the path the core records:
    a triage directory says which builds it holds (cores from other hosts
    name paths that mean nothing here). ``named``, ``build_id``: the path
    and Go build ID the core records. :class:`DapcoreError` saying what was
    looked for."""
    beside = os.path.join(os.path.dirname(core), os.path.basename(named)) if named else None
    tried = []
    for cand in (beside, by_build_id.get(build_id or "")):
        if not cand or not os.path.isfile(cand):
            if cand:
                tried.append(cand)
            continue
        try:
            theirs = Engine.executable_build_id(cand)
        except (DapcoreError, OSError):
            tried.append(f"{cand} (not an executable)")
            continue
        if build_id and theirs and theirs != build_id:
            tried.append(f"{cand} (another build: Go build ID {theirs})")
            continue
        return cand
    what = f"{named}" if named else "no executable"
    bid = f", Go build ID {build_id}" if build_id else ""
    looked = "; looked for " + ", ".join(tried) if tried else ""
    raise DapcoreError(f"executable not found: the core names {what}{bid}{looked}; put it "
                       "beside the core or name its directory with --executables")


def core_time(path: str, mtime: float) -> tuple[float, str]:
    """When the core was written: the time systemd-coredump puts in its file
    names (microseconds since the epoch, taken when the process died), else
    the file's modification time (a copy's is the copy's)."""
    m = _SYSTEMD_NAME.match(os.path.basename(path))
    if m is not None:
        return int(m.group(1)) / 1e6, "systemd-coredump file name"
    return mtime, "file modification time"


def read_core(core: str, by_build_id: dict[str, str]) -> CoreResult:
    """The signature of one core (a worker's task); never raises for bad input."""

    try:
        mtime = os.stat(core).st_mtime
    except OSError as exc:
        return CoreResult(core, 0.0, error=f"cannot be read: {exc.strerror or exc}")
    out = CoreResult(core, *core_time(core, mtime))
    try:
        def choose(named: str | None, build_id: str | None) -> str:
            out.executable = find_executable(core, by_build_id, named, build_id)
            return out.executable

        engine = Engine.open_choosing(core, choose)
        try:
            engine.check_readable()
            out.signature = signature_json(signature(engine))
        finally:
            engine.close()
    except DapcoreError as exc:
        out.error = str(exc)
    except Exception as exc:  # a bug, or damage not yet foreseen: said, the run goes on
        out.error = f"internal error ({type(exc).__name__}: {exc}); please report it"
    return out


def report_core(core: str, executable: str, fmt: str, redact: bool) -> tuple[str | None, str]:
    """(the rendered report, or None; the error) of one core."""

    try:
        engine = Engine.open(executable, core)
        try:
            return render(engine, fmt, redact), ""
        finally:
            engine.close()
    except DapcoreError as exc:
        return None, str(exc)
    except Exception as exc:
        return None, f"internal error ({type(exc).__name__}: {exc}); please report it"
