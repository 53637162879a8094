"""Debug-console commands for people who know ``dlv``: ``goroutines``,
``bt [N]``, ``frame N [EXPR]``, ``crash``, ``help``. Anything else typed in
the console is a Go expression (see :meth:`Session.on_evaluate`).

``frame N`` numbers frames as ``dapcore bt`` does: 0 is the innermost frame
of the goroutine, every frame counted (inlined ones and the runtime's
crash-handling ones too). It picks the goroutine of the frame selected in the
client (the crashing goroutine when none is), and later console evaluations
happen in that frame until another frame is selected in the client's call
stack or ``frame`` is used again. ``frame N EXPR`` evaluates once in frame N
without changing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dapcore.dap.args import RequestError
from dapcore.dap.exceptions import runtime_traceback
from dapcore.go.pclntab import print_name

if TYPE_CHECKING:
    from dapcore.dap.session import Session
    from dapcore.go.report import Report

HELP = """dapcore debug console commands:
  goroutines      every goroutine, its state and where it is
  bt [N]          the stack of goroutine N (the crashing one by default)
  frame N [EXPR]  evaluate later expressions in frame N of the selected goroutine
                  (0 = innermost, numbered like 'dapcore bt'); with EXPR, only that one
  crash           the crash as the runtime printed it
  help            this text
Anything else is a Go expression: x, p.Field, s[3], m["k"], *p, len(s), x + 1 …
(nothing runs: function calls and channel receives are refused on a core file)."""

COMMANDS = ("help", "h", "?", "goroutines", "grs", "bt", "stack", "crash", "frame")


def is_command(line: str) -> bool:
    words = line.split()
    return not words or words[0] in COMMANDS


def run_command(session: Session, rep: Report, line: str,
                where: tuple[int, int] | None = None, selected: int | None = None) -> str:
    """One console command; ``where`` is (goid, frame index) of the frame
    selected in the client (``selected``: its frameId), if any."""
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
    if cmd == "frame":
        return _frame(session, rep, line, rest, where, selected)
    raise RequestError(f"unknown command {cmd!r} (type 'help')")


def _frame(session: Session, rep: Report, line: str, rest: list[str],
           where: tuple[int, int] | None, selected: int | None) -> str:
    if where is not None:
        goid = where[0]
    elif session.repl_frame is not None:
        goid = session.repl_frame[0][0]
    else:
        goid = rep.default_goid()
    frames = rep.stack(rep._g(goid)).frames
    if not rest:
        if session.repl_frame is None:
            return "no frame chosen with 'frame N': the frame selected in the call stack is used"
        i = session.repl_frame[0][1]
        return f"frame {i}: {_describe(frames[i])}"
    if not rest[0].isdigit():
        raise RequestError("usage: frame N [EXPRESSION]")
    index = int(rest[0])
    if index >= len(frames):
        raise RequestError(f"goroutine {goid} has {len(frames)} frames (0 to "
                           f"{len(frames) - 1}); no frame {index}")
    if len(rest) > 1:
        expr = line.split(None, 2)[2]
        body = session.vars.evaluate(goid, index, expr, False)
        return str(body["result"])
    session.repl_frame = ((goid, index), selected)
    return f"frame {index}: {_describe(frames[index])}"


def _describe(f: Any) -> str:
    where = f"{f.file}:{f.line}" if f.file and f.file != "?" else f"{f.pc:#x}"
    return f"{print_name(f.function)}{' (inlined)' if f.inlined else ''} at {where}"
