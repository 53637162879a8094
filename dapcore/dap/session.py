"""One debug session: the state of one client and its request handlers.

Requests are handled concurrently (each in its own task) so that ``cancel``,
``disconnect`` and cheap requests are answered while a slow one runs; engine
work runs in a worker thread, one call at a time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio

from dapcore.cancellation import check as check_cancelled
from dapcore.cancellation import token_scope
from dapcore.dap.args import RequestError, arguments, non_negative, optional, required
from dapcore.dap.framing import FrameError
from dapcore.dap.handles import GoroutineIds, HandleTable
from dapcore.errors import DapcoreError

log = logging.getLogger("dapcore.dap")
T = TypeVar("T")

Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_SEQ = 2**31 - 1  # the protocol's sequence numbers are 32-bit
CANNOT_RESUME = "a core file cannot be resumed"
BREAKPOINT_REASON = ("breakpoints never trigger in a core dump: it is a snapshot of a process "
                     "that is no longer running")
NO_CORE = "no core is open: send 'launch' (or 'attach') with coreFilePath first"

CAPABILITIES: dict[str, Any] = {
    "supportsConfigurationDoneRequest": True,
    "supportsExceptionInfoRequest": True,
    "supportsCancelRequest": True,
    "supportsTerminateRequest": True,
    "supportsDelayedStackTraceLoading": True,
    "supportsModulesRequest": True,
    "supportsLoadedSourcesRequest": True,
    "supportsReadMemoryRequest": True,
    "supportsDisassembleRequest": True,
    "supportsEvaluateForHovers": True,
    "supportsValueFormattingOptions": True,
    "supportsClipboardContext": True,
}

_RESUME = ("continue", "next", "stepIn", "stepOut", "pause", "reverseContinue", "stepBack",
           "goto", "restartFrame")


@dataclass(slots=True)
class LaunchConfig:
    program: str
    core: str
    cwd: str
    substitute: list[tuple[str, str]] = field(default_factory=list)
    hide_system: bool = False
    stack_depth: int | None = None
    show_registers: bool = False
    show_globals: bool = False
    max_string_len: int | None = None
    max_array_values: int | None = None
    show_crash_frames: bool = False


@dataclass(slots=True)
class Reply:
    """A handler's answer: the response body, and what to send after it."""

    body: dict[str, Any] | None = None
    then: Callable[[], Awaitable[None]] | None = None


class Session:
    def __init__(self, send: Send, close: Callable[[], None], remote: bool = False) -> None:
        self._send_raw = send
        # over TCP the client may be another user: launch errors do not tell
        # which of the files it named exist (dapcore.dap.launch)
        self.remote = remote
        self._close = close
        self._seq = 0
        self._send_lock = anyio.Lock()
        self.client: dict[str, Any] = {}
        self.config: LaunchConfig | None = None
        self.report: Any = None  # dapcore.engine.Engine once launched
        self.sources: Any = None  # dapcore.dap.source.SourceMap
        self.configured = False
        self.stopped_body: dict[str, Any] | None = None
        self._stop_claimed = False
        self.closed = False
        self._pending: dict[int, anyio.CancelScope] = {}
        self._engine_lock = threading.Lock()
        self._tokens: set[threading.Event] = set()  # engine calls in flight
        self._load_lock = anyio.Lock()
        self._loaded = False
        self._launching: anyio.Event | None = None  # set once the launch is over
        self.launch_error: str | None = None
        self._launch_failed = False
        self._progress = 0
        self.threads = GoroutineIds()
        self.frames: HandleTable[tuple[int, int]] = HandleTable()
        self.vars: Any = None  # dapcore.dap.variables.Variables, on first use
        # set by the repl's 'frame N': ((goid, frame index), the frameId then selected)
        self.repl_frame: tuple[tuple[int, int], int | None] | None = None
        self.listings: HandleTable[int] = HandleTable()  # sourceReference → function entry
        self._listings: dict[int, Any] = {}
        self._by_goid: dict[int, Any] | None = None
        self._warned: set[str] = set()  # kinds of engine warnings the user was told

    # -- sending -------------------------------------------------------------

    async def send(self, msg: dict[str, Any]) -> None:
        async with self._send_lock:
            self._seq += 1
            msg = {"seq": self._seq, **msg}
            await self._send_raw(msg)

    async def event(self, name: str, body: dict[str, Any] | None = None) -> None:
        msg: dict[str, Any] = {"type": "event", "event": name}
        if body is not None:
            msg["body"] = body
        await self.send(msg)

    async def respond(self, req_seq: int, command: str, body: dict[str, Any] | None) -> None:
        msg: dict[str, Any] = {"type": "response", "request_seq": req_seq, "success": True,
                               "command": command}
        if body is not None:
            msg["body"] = body
        await self.send(msg)

    async def fail(self, req_seq: int, command: str, message: str, show: bool = True) -> None:
        await self.send({"type": "response", "request_seq": req_seq, "success": False,
                         "command": command, "message": message,
                         "body": {"error": {"id": 1, "format": message.replace("{", "{{")
                                            .replace("}", "}}"), "showUser": show}}})

    async def output(self, text: str, category: str = "console") -> None:
        await self.event("output", {"category": category, "output": text})

    # -- receiving -----------------------------------------------------------

    async def report_frame_error(self, err: FrameError) -> None:
        log.warning("bad input: %s", err.message)
        if err.seq is not None and err.seq <= MAX_SEQ:
            await self.fail(err.seq, err.command or "unknown", err.message)
        else:
            await self.output(f"dapcore: dropped a message: {err.message}\n", "stderr")

    async def handle(self, msg: dict[str, Any]) -> None:
        """Answer one decoded message (run as its own task)."""
        seq = msg.get("seq")
        kind = msg.get("type")
        command = msg.get("command")
        if kind in ("response", "event"):
            log.debug("ignoring a client %s", kind)
            return
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
            # nothing to answer: a response's request_seq must be a 32-bit number
            await self.output("dapcore: dropped a message without a valid 'seq' (an integer "
                              f"from 0 to {MAX_SEQ})\n", "stderr")
            return
        if kind != "request" or not isinstance(command, str):
            await self.fail(seq, command if isinstance(command, str) else "unknown",
                            "not a request: 'type' must be \"request\" and 'command' a string")
            return
        handler = self._handler(command)
        reply: Reply | None = None
        failure: str | None = None
        show = True
        with anyio.CancelScope() as scope:
            self._pending[seq] = scope
            try:
                if handler is None:
                    raise RequestError(f"unknown request '{command}'")
                reply = await handler(arguments(msg))
            except RequestError as exc:
                failure = exc.message
                show = exc.show_user
            except DapcoreError as exc:
                failure = str(exc)
            except Exception as exc:
                log.exception("request %s failed", command)
                failure = f"internal error in dapcore ({type(exc).__name__}: {exc})"
            finally:
                self._pending.pop(seq, None)
        if scope.cancelled_caught:
            await self.fail(seq, command, "cancelled", show=False)
            return
        if failure is not None:
            await self.fail(seq, command, failure, show)
            if command in _RESUME and self.stopped_body is not None:
                await self.event("stopped", self.stopped_body)
            if command in ("launch", "attach") and self._launch_failed:
                self._launch_failed = False
                await self.event("terminated")  # a failed launch ends the session
            return
        assert reply is not None
        await self.respond(seq, command, reply.body)
        if self.stopped_body is not None:
            await self._new_warnings()
        if reply.then is not None:
            try:
                await reply.then()
            except Exception as exc:
                log.exception("after %s", command)
                await self.output(f"dapcore: {exc}\n", "stderr")

    def _handler(self, command: str) -> Callable[[dict[str, Any]], Awaitable[Reply]] | None:
        if command in _RESUME:
            return self.on_resume
        if command == "resume" or not command.isidentifier() or not command[0].islower():
            return None
        fn = getattr(self, f"on_{command}", None)
        return fn if callable(fn) else None

    # -- engine access -------------------------------------------------------

    async def engine(self, fn: Callable[..., T], *args: Any) -> T:
        """Run engine code in a worker thread (one at a time); cancellable.

        A cancelled call returns at once; its thread stops at the engine's
        next :func:`dapcore.cancellation.check` (and never starts when it was
        still waiting for the engine), so cancelled work does not hold up
        the requests after it."""
        token = threading.Event()

        def run() -> T:
            with self._engine_lock, token_scope(token):
                return fn(*args)
        self._tokens.add(token)
        try:
            return await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
        finally:
            token.set()  # done, cancelled or failed: nothing more to do either way
            self._tokens.discard(token)

    def cancel_all(self) -> None:
        """Stop every engine call in flight (the session is ending)."""
        for token in list(self._tokens):
            token.set()

    def _need_core(self) -> Any:
        if self.report is None:
            raise RequestError(NO_CORE)
        return self.report

    async def core(self) -> Any:
        """The open report. A request that arrives while the launch is still
        opening the files waits for it: VS Code sends ``threads`` before the
        ``launch`` response, and clients may pipeline requests after
        ``launch``. After a failed launch the answer is a quiet error (the
        launch's own error response already told the user)."""
        if self.report is None and self._launching is not None:
            await self._launching.wait()
        if self.report is None:
            if self.launch_error is not None:
                raise RequestError(f"no core is open: the launch failed ({self.launch_error})",
                                   show_user=False)
            raise RequestError(NO_CORE)
        return self.report

    async def loaded(self) -> Any:
        """The report, with goroutines and the crash read (the slow first load)."""
        rep = await self.core()
        if self._loaded:
            return rep
        async with self._load_lock:
            if self._loaded:
                return rep
            progress = bool(self.client.get("supportsProgressReporting"))
            pid = ""
            if progress:
                self._progress += 1
                pid = f"load-{self._progress}"
                await self.event("progressStart", {"progressId": pid, "title": "Reading the core",
                                                   "message": "goroutines", "percentage": 0})
            try:
                await self.engine(lambda: rep.proc.goroutines)
                if progress:
                    await self.event("progressUpdate", {"progressId": pid,
                                                        "message": "crash", "percentage": 50})
                await self.engine(self._read_crash, rep)
            finally:
                if progress:
                    with anyio.CancelScope(shield=True):
                        await self.event("progressEnd", {"progressId": pid})
            self._loaded = True
        return rep

    @staticmethod
    def _read_crash(rep: Any) -> None:
        _ = rep.crash
        g = rep.proc.crashed_goroutine
        if g is not None:
            rep.stack(g)

    def goroutine(self, thread_id: int) -> Any:
        goid = self.threads.key_of(thread_id)
        if self._by_goid is None:
            by_goid: dict[int, Any] = {}
            for each in self.report.proc.goroutines:
                by_goid.setdefault(each.goid, each)
            self._by_goid = by_goid
        g = self._by_goid.get(goid) if goid is not None else None
        if g is None:
            raise RequestError(f"no thread {thread_id}")
        return g

    def listing(self, rep: Any, entry: int) -> Any:
        """The cached disassembly listing of the function at run-time ``entry``
        (engine thread only)."""
        from dapcore.dap.disasm import listing

        if entry not in self._listings:
            self._listings[entry] = listing(rep.proc, entry)
        return self._listings[entry]

    # -- lifecycle -----------------------------------------------------------

    async def on_initialize(self, args: dict[str, Any]) -> Reply:
        optional(args, "adapterID", str, None)
        self.client = args

        async def then() -> None:
            await self.event("initialized")
        return Reply(dict(CAPABILITIES), then)

    async def on_launch(self, args: dict[str, Any]) -> Reply:
        from dapcore.dap.launch import open_core
        from dapcore.dap.source import SourceMap

        if self.report is not None:
            raise RequestError("a core is already open in this session")
        if self._launching is not None and not self._launching.is_set():
            raise RequestError("a launch is already in progress in this session")
        self._launching = anyio.Event()  # a failed launch may be retried
        self.launch_error = None
        try:
            config, report = await open_core(self, args)
            sources = await self.engine(SourceMap, report, config.substitute, config.cwd)
        except BaseException as exc:
            if isinstance(exc, RequestError):
                self.launch_error = exc.message
            elif isinstance(exc, DapcoreError):
                self.launch_error = str(exc)
            else:  # a bug, or the launch was cancelled
                self.launch_error = "the launch did not complete"
            self._launch_failed = True  # the error response is followed by 'terminated'
            raise
        else:
            self.config, self.report, self.sources = config, report, sources
        finally:
            self._launching.set()
        return Reply(None, self._maybe_stop)

    on_attach = on_launch

    async def on_configurationDone(self, args: dict[str, Any]) -> Reply:
        self.configured = True
        return Reply(None, self._maybe_stop)

    async def _maybe_stop(self) -> None:
        if not self.configured or self.report is None or self._stop_claimed:
            return
        self._stop_claimed = True  # one stopped event only, whoever gets here first
        from dapcore.dap import exceptions

        try:
            rep = await self.loaded()
            body = await self.engine(self._stopped_body, rep)
        except Exception as exc:
            if not isinstance(exc, DapcoreError | RequestError):
                log.exception("reading the core")
            why = exc.message if isinstance(exc, RequestError) else str(exc)
            # Nothing to show without goroutines: end the session, saying why once.
            core = self.config.core if self.config else "the core"
            await self.output(f"dapcore cannot read {core}: {why}\n", "important")
            await self.event("terminated")
            return
        assert self.config is not None
        summary = await self.engine(exceptions.summary, rep, self.config.core)
        self._warned.update(_warning_kind(w) for w in rep.proc.warnings)  # in the summary
        await self.output(summary)
        self.stopped_body = body
        await self.event("stopped", body)

    async def _new_warnings(self) -> None:
        """Tell the user what the engine found damaged since the last time
        (stacks are read on demand, so damage shows up as they are): one
        ``output`` event per kind of warning, the first time it appears."""
        for w in list(self.report.proc.warnings):
            kind = _warning_kind(w)
            if kind not in self._warned:
                self._warned.add(kind)
                await self.output(f"dapcore: warning: {w}\n", "stderr")

    def _stopped_body(self, rep: Any) -> dict[str, Any]:
        from dapcore.dap import exceptions

        text = exceptions.first_line(rep)
        body: dict[str, Any] = {
            "reason": "exception" if exceptions.is_exception(rep) else "pause",
            "description": text, "text": text, "allThreadsStopped": True}
        goid = rep.crash.goroutine
        if goid is None and rep.proc.goroutines:
            goid = rep.default_goid()
        if goid is not None:
            self._thread_ids(rep)
            body["threadId"] = self.threads.id_of(goid)
        return body

    def _thread_ids(self, rep: Any) -> list[tuple[int, Any]]:
        from dapcore.dap.threads import ordered
        return [(self.threads.id_of(g.goid), g)
                for g in ordered(rep.proc, self.config.hide_system if self.config else False)]

    async def on_disconnect(self, args: dict[str, Any]) -> Reply:
        optional(args, "terminateDebuggee", bool, None)
        optional(args, "restart", bool, None)

        async def then() -> None:
            self.closed = True
            self.cancel_all()
            self._close()
        return Reply(None, then)

    async def on_terminate(self, args: dict[str, Any]) -> Reply:
        async def then() -> None:
            await self.event("terminated")
        return Reply(None, then)

    async def on_cancel(self, args: dict[str, Any]) -> Reply:
        rid = optional(args, "requestId", int, None)
        optional(args, "progressId", str, None)
        if rid is not None and rid in self._pending:
            self._pending[rid].cancel()
        return Reply()

    async def on_resume(self, args: dict[str, Any]) -> Reply:
        await self.core()
        raise RequestError(CANNOT_RESUME)

    async def on_setBreakpoints(self, args: dict[str, Any]) -> Reply:
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

    async def on_setExceptionBreakpoints(self, args: dict[str, Any]) -> Reply:
        filters = optional(args, "filters", list, []) or []
        return Reply({"breakpoints": [{"verified": False, "message": BREAKPOINT_REASON,
                                       "reason": "failed"} for _ in filters]})

    # -- inspection ----------------------------------------------------------

    async def on_threads(self, args: dict[str, Any]) -> Reply:
        from dapcore.dap.threads import thread_name

        if self.report is None and self._launching is None:
            return Reply({"threads": []})  # asked before any launch: nothing to list yet
        rep = await self.loaded()

        def build() -> list[dict[str, Any]]:
            out = []
            for n, (tid, g) in enumerate(self._thread_ids(rep)):
                if not n % 1024:
                    check_cancelled()
                out.append({"id": tid, "name": thread_name(rep.proc, g)})
            return out
        return Reply({"threads": await self.engine(build)})

    async def on_stackTrace(self, args: dict[str, Any]) -> Reply:
        from dapcore.dap.frames import stack_trace

        tid = required(args, "threadId", int)
        start = non_negative(args, "startFrame", 0) or 0
        levels = non_negative(args, "levels", 0) or 0
        optional(args, "format", dict, None)
        rep = await self.loaded()
        g = self.goroutine(tid)
        body = await self.engine(stack_trace, self, rep, g, start, levels)
        return Reply(body)

    async def on_exceptionInfo(self, args: dict[str, Any]) -> Reply:
        from dapcore.dap.exceptions import exception_info

        tid = required(args, "threadId", int)
        rep = await self.loaded()
        g = self.goroutine(tid)
        return Reply(await self.engine(exception_info, rep, g))

    def _variables(self) -> Any:
        """The session's :class:`dapcore.dap.variables.Variables` (made on first use)."""
        from dapcore.dap.variables import Variables

        if self.vars is None:
            rep = self._need_core()
            self.vars = Variables(rep, self.config,
                                  self.sources.main_module if self.sources else None)
        return self.vars

    def _frame_key(self, fid: int) -> tuple[int, int]:
        key = self.frames.key_of(fid)
        if key is None:
            raise RequestError(f"no frame {fid}")
        return key

    async def on_scopes(self, args: dict[str, Any]) -> Reply:
        fid = required(args, "frameId", int)
        await self.loaded()
        goid, index = self._frame_key(fid)
        vs = self._variables()
        return Reply({"scopes": await self.engine(vs.scopes, goid, index)})

    async def on_variables(self, args: dict[str, Any]) -> Reply:
        ref = required(args, "variablesReference", int)
        start = non_negative(args, "start", 0) or 0
        count = non_negative(args, "count", 0) or 0
        filter_ = optional(args, "filter", str, None)
        if filter_ not in (None, "indexed", "named"):
            raise RequestError("argument 'filter' must be \"indexed\" or \"named\"")
        fmt = optional(args, "format", dict, None) or {}
        await self.loaded()
        vs = self._variables()
        values = await self.engine(vs.variables, ref, start, count, filter_,
                                   fmt.get("hex") is True)
        return Reply({"variables": values})

    async def on_source(self, args: dict[str, Any]) -> Reply:
        source = optional(args, "source", dict, None) or {}
        ref = optional(args, "sourceReference", int, 0) or 0
        ref = source.get("sourceReference") or ref
        path = source.get("path")
        await self.core()
        if isinstance(ref, int) and ref > 0:
            entry = self.listings.key_of(ref)
            lst = await self.engine(self.listing, self.report, entry) if entry else None
            if lst is None:
                raise RequestError(f"source not available: no source reference {ref}")
            return Reply({"content": lst.text, "mimeType": "text/x-asm"})
        if not isinstance(path, str) or not path:
            raise RequestError("source not available: no path given")
        text = await self.engine(self.sources.read, path)
        if text is None:
            raise RequestError(f"source not available: {path} is not a readable file of "
                               "this program")
        return Reply({"content": text, "mimeType": "text/x-go" if path.endswith(".go")
                      else "text/plain"})

    async def on_evaluate(self, args: dict[str, Any]) -> Reply:
        """Go expressions (:mod:`dapcore.goexpr.evaluator`) in the contexts watch,
        hover, repl, clipboard and variables; in the repl also the commands of
        :mod:`dapcore.dap.repl` (``goroutines``, ``bt``, ``frame N``, …)."""
        from dapcore.dap.repl import is_command, run_command

        expression = required(args, "expression", str)
        context = optional(args, "context", str, None)
        fid = optional(args, "frameId", int, None)
        fmt = optional(args, "format", dict, None) or {}
        rep = await self.loaded()
        vs = self._variables()
        where = self._frame_key(fid) if fid is not None else None
        if context == "repl":
            if is_command(expression):
                done = await self.engine(run_command, self, rep, expression.strip(), where, fid)
                if isinstance(done, str):
                    return Reply({"result": done, "variablesReference": 0})
                where, expression = (done.goid, done.index), done.expression
            elif self.repl_frame is not None and (where is None or fid == self.repl_frame[1]):
                where = self.repl_frame[0]
            else:
                self.repl_frame = None  # the user selected another frame since 'frame N'
        if where is None:
            where = await self.engine(self.default_frame, rep)
        body = await self.engine(vs.evaluate, where[0], where[1], expression,
                                 fmt.get("hex") is True)
        return Reply(body)

    def default_frame(self, rep: Any) -> tuple[int, int]:
        """(goid, frame index) evaluated in when no frame is given: where an
        editor lands on the crashing (or first) goroutine (the engine's rule,
        :func:`dapcore.goruntime.userframe.landing_frame`)."""
        goid = rep.default_goid()
        return goid, rep.landing_frame(goid)

    async def on_modules(self, args: dict[str, Any]) -> Reply:
        non_negative(args, "startModule", 0)
        non_negative(args, "moduleCount", 0)
        rep = await self.core()

        def build() -> list[dict[str, Any]]:
            proc = rep.proc
            exe = proc.exe
            mods: list[dict[str, Any]] = [{
                "id": 1, "name": os.path.basename(str(exe.path)), "path": str(exe.path),
                "version": proc.go_version or "unknown", "isUserCode": True,
                "symbolStatus": "DWARF" if exe.has_dwarf else "line tables only (no DWARF)",
                "addressRange": f"{proc.bias:#x}" if proc.bias else "0x0"}]
            seen = {str(exe.path)}
            for f in proc.core.files:
                if f.path in seen or not f.path.startswith("/") or "(deleted)" in f.path:
                    continue
                seen.add(f.path)
                mods.append({"id": len(mods) + 1, "name": os.path.basename(f.path),
                             "path": f.path, "isUserCode": False,
                             "addressRange": f"{f.start:#x}"})
            return mods
        mods = await self.engine(build)
        return Reply({"modules": mods, "totalModules": len(mods)})

    async def on_loadedSources(self, args: dict[str, Any]) -> Reply:
        from dapcore.dap.source import line_table_files

        rep = await self.core()

        def build() -> list[dict[str, Any]]:
            out = []
            for name in sorted(line_table_files(rep)):
                if name.startswith("<") or name == "?":
                    continue
                local = self.sources.local(name)
                src: dict[str, Any] = {"name": os.path.basename(name), "path": local or name}
                if local is None:
                    src["origin"] = "not found on this machine"
                out.append(src)
            return out
        return Reply({"sources": await self.engine(build)})

    async def on_readMemory(self, args: dict[str, Any]) -> Reply:
        from dapcore.dap.memory import parse_reference, read_memory

        ref = required(args, "memoryReference", str)
        offset = optional(args, "offset", int, 0) or 0
        count = non_negative(args, "count", None)
        if count is None:
            raise RequestError("argument 'count' is required")
        rep = await self.core()
        try:
            addr = parse_reference(ref) + offset
        except ValueError as exc:
            raise RequestError(str(exc)) from None
        return Reply(await self.engine(read_memory, rep.proc, addr, count))

    async def on_disassemble(self, args: dict[str, Any]) -> Reply:
        from dapcore.dap.memory import disassemble, parse_reference

        ref = required(args, "memoryReference", str)
        offset = optional(args, "offset", int, 0) or 0
        ioff = optional(args, "instructionOffset", int, 0) or 0
        count = non_negative(args, "instructionCount", None)
        if count is None:
            raise RequestError("argument 'instructionCount' is required")
        resolve_symbols = bool(optional(args, "resolveSymbols", bool, True))
        rep = await self.core()
        try:
            addr = parse_reference(ref) + offset
        except ValueError as exc:
            raise RequestError(str(exc)) from None
        insns = await self.engine(disassemble, rep.proc, addr, ioff, min(count, 100000),
                                  resolve_symbols)
        return Reply({"instructions": insns})


def _warning_kind(text: str) -> str:
    """What a warning is about, without the goroutines it lists (the same
    warning grows as more damaged stacks are read)."""
    return text.split(" (", 1)[0]


def resolve(cwd: str, path: str) -> str:
    p = Path(os.path.expanduser(path))
    return str(p if p.is_absolute() else Path(cwd) / p)
