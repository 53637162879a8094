"""The session's life: ``initialize``, ``launch``/``attach``,
``configurationDone`` (then the one ``stopped`` event), ``disconnect``,
``terminate``, ``cancel``; and what a core cannot do (resume, breakpoints)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from dapcore.dap.args import RequestError, optional, required
from dapcore.dap.errorids import ErrorId
from dapcore.dap.greeting import initialize_body
from dapcore.dap.state import Handler, Reply, State
from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    from dapcore.engine import Engine

log = logging.getLogger("dapcore.dap")

CANNOT_RESUME = "a core file cannot be resumed"
BREAKPOINT_REASON = ("breakpoints never trigger in a core dump: it is a snapshot of a process "
                     "that is no longer running")

# Requests that would run the process: answered with an error (and the
# stopped event again, so that clients show the stop they still are in).
RESUME = ("continue", "next", "stepIn", "stepOut", "pause", "reverseContinue", "stepBack",
          "goto", "restartFrame")


async def on_initialize(s: State, args: dict[str, Any]) -> Reply:
    body = initialize_body(args)
    s.client = args

    async def then() -> None:
        await s.event("initialized")
    return Reply(body, then)


async def on_launch(s: State, args: dict[str, Any]) -> Reply:
    if s.engine is not None:
        raise RequestError("a core is already open in this session",
                           error_id=ErrorId.LAUNCH_FAILED)
    if s.launching is not None and not s.launching.is_set():
        raise RequestError("a launch is already in progress in this session",
                           error_id=ErrorId.LAUNCH_FAILED)
    s.launching = anyio.Event()  # a failed launch may be retried
    s.launch_error = None
    # Loaded with the launch, not before the server answers 'initialize'.
    from dapcore.dap.launch import open_core
    from dapcore.dap.source import SourceMap

    try:
        config, engine = await open_core(s, args)
        sources = await s.run(SourceMap, engine, config.substitute, config.cwd)
    except BaseException as exc:
        if isinstance(exc, RequestError):
            s.launch_error = exc.message
        elif isinstance(exc, DapcoreError):
            s.launch_error = str(exc)
        else:  # a bug, or the launch was cancelled
            s.launch_error = "the launch did not complete"
        s.launch_failed = True  # the error response is followed by 'terminated'
        raise
    else:
        s.config, s.engine, s.sources = config, engine, sources
    finally:
        s.launching.set()
    return Reply(None, lambda: maybe_stop(s))


async def on_configurationDone(s: State, args: dict[str, Any]) -> Reply:
    s.configured = True
    return Reply(None, lambda: maybe_stop(s))


async def maybe_stop(s: State) -> None:
    """Once configured and launched: the one ``stopped`` event (or, for a
    core without goroutines, why not and ``terminated``), then the summary.

    Only the crash is read before ``stopped`` (its goroutine alone: issue
    #16); the summary counts every goroutine and lists the warnings, so it
    follows (the ``threads`` request the client sends next needs every
    goroutine anyway)."""
    if not s.configured or s.engine is None or s.stop_claimed:
        return
    s.stop_claimed = True  # one stopped event only, whoever gets here first
    try:
        rep = await s.loaded()
        body = await s.run(_stopped_body, s, rep)
    except Exception as exc:
        await _unreadable(s, exc)
        s.stop_sent.set()
        return
    s.stopped_body = body
    try:
        await s.event("stopped", body)
    finally:
        s.stop_sent.set()
    assert s.config is not None
    try:
        summary = await _in_background(s, _summary, rep, s.config.core)
    except Exception as exc:
        if not isinstance(exc, DapcoreError | RequestError):
            log.exception("reading the goroutines")
        why = exc.message if isinstance(exc, RequestError) else str(exc)
        summary = f"dapcore cannot list the goroutines of {s.config.core}: {why}\n"
    s.warned.update(_warning_kind(w) for w in rep.warnings)  # in the summary
    s.summarized = True
    await s.output(summary)


# How long the client must have been silent before the summary is read: it
# reads every goroutine, which must not delay what the client asks for after
# the stop (the thread list, the crash frame and its locals).
QUIET = 0.1


async def _in_background(s: State, fn: Callable[..., str], *args: Any) -> str:
    """``fn(*args)`` once the client is quiet, given up (and begun again
    later) as soon as a request comes: what the user asks for goes first."""
    while True:
        await _quiet(s)
        with anyio.CancelScope() as scope:
            s.background = scope
            try:
                return await s.run(fn, *args)
            finally:
                s.background = None
        if not scope.cancelled_caught:
            raise RuntimeError("background work neither finished nor was cancelled")


async def _quiet(s: State) -> None:
    """Until no request has been in flight for :data:`QUIET` seconds."""
    while True:
        idle = time.monotonic() - s.last_activity
        if not s.pending and idle >= QUIET:
            return
        await anyio.sleep(max(QUIET - idle, 0.01) if not s.pending else QUIET)


async def _unreadable(s: State, exc: Exception) -> None:
    """Nothing to show without goroutines: end the session, saying why once."""
    if not isinstance(exc, DapcoreError | RequestError):
        log.exception("reading the core")
    why = exc.message if isinstance(exc, RequestError) else str(exc)
    core = s.config.core if s.config else "the core"
    await s.output(f"dapcore cannot read {core}: {why}\n", "important")
    await s.event("terminated")


def _summary(rep: Engine, core: str) -> str:
    """The summary, once every goroutine and the crashing one's stack (which
    the client asks for next) are read: their warnings are in it."""
    from dapcore.dap import exceptions  # (render): loaded once a core is open

    rep.check_goroutines()  # (one at a time: not kept)
    g = rep.crashed_goroutine
    if g is not None:
        rep.stack(g)
    return exceptions.summary(rep, core)


async def new_warnings(s: State) -> None:
    """Tell the user what the engine found damaged since the last time
    (stacks are read on demand, so damage shows up as they are): one
    ``output`` event per kind of warning, the first time it appears."""
    for w in list(s.need_core().warnings):
        kind = _warning_kind(w)
        if kind not in s.warned:
            s.warned.add(kind)
            await s.output(f"dapcore: warning: {w}\n", "stderr")


def _stopped_body(s: State, rep: Engine) -> dict[str, Any]:
    from dapcore.dap import exceptions  # (render): loaded once a core is open

    text = exceptions.first_line(rep)
    body: dict[str, Any] = {
        "reason": "exception" if exceptions.is_exception(rep) else "pause",
        "description": text, "text": text, "allThreadsStopped": True}
    goid = rep.crash.goroutine
    if goid is None and rep.has_goroutines:
        goid = rep.default_goid()
    if goid is not None:
        # the crashed goroutine is the first thread: its id, as the list gives it
        body["threadId"] = s.threads.id_of(goid)
    return body


def _warning_kind(text: str) -> str:
    """What a warning is about, without the goroutines it lists (the same
    warning grows as more damaged stacks are read)."""
    return text.split(" (", 1)[0]


async def on_disconnect(s: State, args: dict[str, Any]) -> Reply:
    optional(args, "terminateDebuggee", bool, None)
    optional(args, "restart", bool, None)

    async def then() -> None:
        s.closed = True
        s.cancel_all()
        await s.save_index()  # the process ends right after
        s.close()
    return Reply(None, then)


async def on_terminate(s: State, args: dict[str, Any]) -> Reply:
    async def then() -> None:
        await s.event("terminated")
    return Reply(None, then)


async def on_cancel(s: State, args: dict[str, Any]) -> Reply:
    rid = optional(args, "requestId", int, None)
    optional(args, "progressId", str, None)
    if rid is not None and rid in s.pending:
        s.pending[rid].cancel()
    return Reply()


async def on_resume(s: State, args: dict[str, Any]) -> Reply:
    await s.core()
    raise RequestError(CANNOT_RESUME, error_id=ErrorId.CANNOT_RESUME)


async def on_setBreakpoints(s: State, args: dict[str, Any]) -> Reply:
    required(args, "source", dict)
    bps = optional(args, "breakpoints", list, []) or []
    lines = optional(args, "lines", list, []) or []
    wanted = [b.get("line") if isinstance(b, dict) else None for b in bps] or list(lines)
    out = []
    for line in wanted:
        bp: dict[str, Any] = {"verified": False, "message": BREAKPOINT_REASON,
                              "reason": "failed"}
        if isinstance(line, int) and not isinstance(line, bool):
            bp["line"] = line
        out.append(bp)
    return Reply({"breakpoints": out})


async def on_setExceptionBreakpoints(s: State, args: dict[str, Any]) -> Reply:
    filters = optional(args, "filters", list, []) or []
    return Reply({"breakpoints": [{"verified": False, "message": BREAKPOINT_REASON,
                                   "reason": "failed"} for _ in filters]})


HANDLERS: dict[str, Handler] = {
    "initialize": on_initialize,
    "launch": on_launch,
    "attach": on_launch,
    "configurationDone": on_configurationDone,
    "disconnect": on_disconnect,
    "terminate": on_terminate,
    "cancel": on_cancel,
    "setBreakpoints": on_setBreakpoints,
    "setExceptionBreakpoints": on_setExceptionBreakpoints,
    **{command: on_resume for command in RESUME},
}
