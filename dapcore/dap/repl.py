"""Debug-console commands for people who know ``dlv``: ``goroutines``,
``goroutine [N [CMD]]``, ``bt [N]``, ``frame N [EXPR]``, ``up``/``down``,
``print``/``p EXPR``, ``locals``, ``args``, ``crash``, ``help``, and the
goroutine groups' ``groups [FILTER…]``, ``group ID``, ``leaks``
(:mod:`dapcore.dap.groupconsole`). Anything else
typed in the console is a Go expression (see :func:`dapcore.dap.inspection.on_evaluate`).

``frame N`` numbers frames as ``dapcore bt`` does: 0 is the innermost frame
of the goroutine, every frame counted (inlined ones and the runtime's
crash-handling ones too). It picks the goroutine of the frame selected in the
client (the crashing goroutine when none is), and later console evaluations
happen in that frame until another frame is selected in the client's call
stack or ``frame``/``goroutine`` is used again. ``frame N EXPR`` evaluates once
in frame N without changing it. ``goroutine N`` switches to goroutine N's top
user frame (its top frame when it has none); ``goroutine N CMD`` runs one
command there (``goroutine 7 bt``, ``goroutine 7 frame 2 x``, ``goroutine 7 p x``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.dap.args import RequestError
from dapcore.dap.errorids import ErrorId
from dapcore.dap.groupconsole import group_command, groups_command, leaks_command
from dapcore.govalues.summary import text_of
from dapcore.render import crash_text, frame_line, goroutines_text, traceback_text

if TYPE_CHECKING:
    from dapcore.dap.state import State
    from dapcore.engine import Engine

HELP = """dapcore debug console commands (Delve's names):
  goroutines            every goroutine, its state and where it is
  goroutine             the goroutine later expressions are evaluated in
  goroutine N           switch to goroutine N (its top user frame)
  goroutine N CMD       run one command in goroutine N: bt, frame M [EXPR], print EXPR, locals
  bt [N]                the stack of goroutine N (the current one by default)
  frame N [EXPR]        evaluate later expressions in frame N of the current goroutine
                        (0 = innermost, numbered like 'dapcore bt'); with EXPR, only that one
  up [N] / down [N]     move N frames towards the caller / the callee (default 1)
  print EXPR, p EXPR    evaluate a Go expression (the same as typing EXPR)
  locals, args          the current frame's local variables / arguments
  crash                 the crash as the runtime printed it
  groups [FILTER…]      goroutines with the same stack, grouped, the biggest groups first;
                        filters: status=waiting reason="chan receive" function=main.*
                        package=net/http label=KEY[=VALUE] system=false
  group ID              one group: its whole stack and every goroutine id in it
  leaks                 blocked goroutines per creation site, the biggest piles first
  blocking              what blocks what: channels and sync objects with their waiters
                        and holders, deadlock cycles
  help                  this text
Anything else is a Go expression: x, p.Field, s[3], m["k"], *p, len(s), x + 1 …
(nothing runs: function calls and channel receives are refused on a core file)."""

COMMANDS = ("help", "h", "?", "goroutines", "grs", "goroutine", "gr", "bt", "stack", "crash",
            "frame", "up", "down", "print", "p", "locals", "args", "groups", "group",
            "leaks", "blocking")


@dataclass(frozen=True, slots=True)
class Evaluate:
    """A command that asks for an expression's value in a frame: the session
    evaluates it (so the result can be expanded like any other)."""

    goid: int
    index: int
    expression: str


def is_command(line: str) -> bool:
    words = line.split()
    return not words or words[0] in COMMANDS


def run_command(session: State, rep: Engine, line: str,
                where: tuple[int, int] | None = None, selected: int | None = None
                ) -> str | Evaluate:
    """One console command; ``where`` is (goid, frame index) of the frame
    selected in the client (``selected``: its frameId), if any."""
    words = line.split()
    if not words or words[0] in ("help", "h", "?"):
        return HELP
    cur = _current(session, rep, where, selected)
    return _run(session, rep, line.strip(), cur, selected, switch=True)


def _current(session: State, rep: Engine, where: tuple[int, int] | None,
             selected: int | None) -> tuple[int, int]:
    """The frame console commands work in: the one chosen with ``frame``/
    ``goroutine`` while the client's selection has not changed since, else
    the client's selected frame, else the default one."""
    if session.repl_frame is not None and (where is None or selected == session.repl_frame[1]):
        return session.repl_frame[0]
    if where is not None:
        return where
    return session.default_frame(rep)


def _run(session: State, rep: Engine, line: str, cur: tuple[int, int],
         selected: int | None, switch: bool) -> str | Evaluate:
    words = line.split()
    cmd, rest = words[0], words[1:]
    goid, index = cur
    if cmd in ("goroutines", "grs"):
        return goroutines_text(rep)
    if cmd == "groups":
        return groups_command(session, rep, rest)
    if cmd == "group":
        return group_command(session, rep, rest)
    if cmd == "leaks":
        return leaks_command(session, rep, rest)
    if cmd == "blocking":
        from dapcore.dap.blocking import blocking_command  # the analysis: when asked for

        return blocking_command(session, rep, rest)
    if cmd in ("print", "p"):
        expr = line.split(None, 1)[1] if rest else ""
        if not expr.strip():
            raise RequestError(f"usage: {cmd} EXPRESSION")
        return Evaluate(goid, index, expr)
    if cmd in ("bt", "stack"):
        if rest:
            if not rest[0].isdigit():
                raise RequestError("usage: bt [GOROUTINE-ID]")
            goid = int(rest[0])
        return traceback_text(rep, rep.goroutine(goid))
    if cmd == "crash":
        return crash_text(rep)
    if cmd in ("locals", "args"):
        return _locals(session, rep, goid, index, arguments=cmd == "args")
    if cmd in ("goroutine", "gr"):
        if not rest:
            return (f"goroutine {goid} [{rep.goroutine(goid).status_text}], "
                    f"{frame_line(rep, goid, index)}")
        if not rest[0].isdigit():
            raise RequestError("usage: goroutine [ID [COMMAND]]")
        new = int(rest[0])
        g = rep.goroutine(new)
        target = (new, rep.landing_frame(new))
        if len(rest) > 1:
            return _run(session, rep, line.split(None, 2)[2], target, selected, switch=False)
        if switch:
            session.repl_frame = (target, selected)
        return f"goroutine {new} [{g.status_text}], {frame_line(rep, *target)}"
    if cmd in ("frame", "up", "down"):
        frames = rep.stack(rep.goroutine(goid)).frames
        if cmd == "frame":
            if not rest:
                return frame_line(rep, goid, index)
            if not rest[0].isdigit():
                raise RequestError("usage: frame N [EXPRESSION]")
            new = int(rest[0])
            expr = line.split(None, 2)[2] if len(rest) > 1 else ""
        else:
            if rest and not rest[0].isdigit():
                raise RequestError(f"usage: {cmd} [N]")
            step = int(rest[0]) if rest else 1
            new = index + step if cmd == "up" else index - step
            expr = ""
            if new < 0:
                raise RequestError("already at the innermost frame (frame 0)")
        if new >= len(frames) or new < 0:
            raise RequestError(f"goroutine {goid} has {len(frames)} frames (0 to "
                               f"{len(frames) - 1}); no frame {new}")
        if expr:
            return Evaluate(goid, new, expr)
        if switch:
            session.repl_frame = ((goid, new), selected)
        return frame_line(rep, goid, new)
    raise RequestError(f"unknown command {cmd!r} (type 'help')",
                       error_id=ErrorId.EVALUATION_FAILED)


def _locals(session: State, rep: Engine, goid: int, index: int, arguments: bool) -> str:
    vs = session.variables()
    why = vs.no_dwarf()
    if why is not None:
        raise RequestError(why, error_id=ErrorId.CORE_UNREADABLE)
    lines = []
    for kind, v in rep.frame_values(goid, index, vs.ctx):
        if (kind == "param") == arguments:
            lines.append(f"{v.name} = {text_of(v)}")
    what = "arguments" if arguments else "locals"
    return "\n".join(lines) if lines else f"(no {what})"
