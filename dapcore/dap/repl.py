"""Debug-console commands for people who know ``dlv``: ``goroutines``,
``bt [N]``, ``crash``, ``help``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dapcore.dap.args import RequestError
from dapcore.dap.exceptions import runtime_traceback

if TYPE_CHECKING:
    from dapcore.dap.session import Session
    from dapcore.go.report import Report

HELP = """dapcore debug console commands:
  goroutines      every goroutine, its state and where it is
  bt [N]          the stack of goroutine N (the crashing one by default)
  crash           the crash as the runtime printed it
  help            this text
Go expressions are not evaluated yet."""


def run_command(session: Session, rep: Report, line: str) -> str:
    words = line.split()
    if not words or words[0] in ("help", "h", "?"):
        return HELP
    cmd, rest = words[0], words[1:]
    if cmd in ("goroutines", "grs"):
        return rep.goroutines_text()
    if cmd in ("bt", "stack"):
        goid = rep.default_goid()
        if rest:
            if not rest[0].isdigit():
                raise RequestError("usage: bt [GOROUTINE-ID]")
            goid = int(rest[0])
        g: Any = next((x for x in rep.proc.goroutines if x.goid == goid), None)
        if g is None:
            raise RequestError(f"no goroutine {goid} in the core")
        return runtime_traceback(rep, g)
    if cmd == "crash":
        return rep.crash_text()
    raise RequestError(f"unknown command {cmd!r} (Go expressions are not evaluated yet; "
                       "type 'help')")
