"""Looking at the core: ``threads``, ``stackTrace``, ``exceptionInfo``,
``scopes``, ``variables``, ``evaluate``, ``source``, ``modules``,
``loadedSources``, ``readMemory``, ``disassemble``; the custom requests
of goroutine groups (:mod:`dapcore.dap.groups`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from dapcore.dap.args import RequestError, bad_argument, non_negative, optional, required
from dapcore.dap.errorids import ErrorId
from dapcore.dap.exceptions import exception_info
from dapcore.dap.frames import stack_trace
from dapcore.dap.framing import RawJSON
from dapcore.dap.memory import disassemble, parse_reference, read_memory
from dapcore.dap.modules import module_list
from dapcore.dap.state import Handler, Reply, State
from dapcore.dap.threads import include_goroutine, thread_list
from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    pass


# VS Code asks for the threads at once after ``configurationDone``, before
# the stop, and again on ``stopped``, and it waits for the second answer
# before it asks for the stack. A list of every goroutine answers the
# second; the first gets at most this many (as ``maxThreads`` picks them):
# at 1,000,000 goroutines a second copy of the whole list was 70 MB more
# to write and for the editor to read (0.4 s) before the crash frame.
EARLY_THREADS = 1000


async def on_threads(s: State, args: dict[str, Any]) -> Reply:
    if s.engine is None and s.launching is None:
        return Reply({"threads": []})  # asked before any launch: nothing to list yet
    rep = await s.loaded()
    early = s.configured and s.stopped_body is None
    if early:
        # VS Code asks before the stop: the stop is sent first (it needs
        # the crashing goroutine alone, the list every goroutine).
        await s.stop_sent.wait()
    hide = s.config.hide_system if s.config else False
    limit = s.config.max_threads if s.config else 0
    if early and s.client.get("clientID") == "vscode" and not 0 < limit <= EARLY_THREADS:
        def first() -> RawJSON:
            return thread_list(rep, s.goroutine_listing(hide), s.threads.id_of,
                               EARLY_THREADS, s.wanted_goroutines)[0]
        return Reply(await s.run(first))

    def build() -> RawJSON:
        if s.thread_list is None:  # a core does not change: the same list every time
            listing = s.goroutine_listing(hide)
            s.goroutines_listable = len(listing.goids)
            s.thread_list, shown = thread_list(rep, listing, s.threads.id_of, limit,
                                               s.wanted_goroutines)
            capped = len(shown) < s.goroutines_listable
            s.threads_shown = frozenset(shown) if capped else None
        return s.thread_list
    body = await s.run(build)
    if s.threads_shown is not None and not s.cap_told:
        s.cap_told = True
        await s.output(
            f"CALL STACK lists {len(s.threads_shown):,} of the {s.goroutines_listable:,} "
            "goroutines (maxThreads): the crashing one, one of each kind (\"+N more like it\" "
            "says how many it stands for), then the first by id. In this console, `goroutines` "
            "lists every one and `goroutine N` adds goroutine N to CALL STACK.\n")
    return Reply(body)


async def want_goroutine(s: State, goid: int) -> None:
    """``goroutine N`` in the console, on a goroutine a capped list left
    out: list it from now on, and show it (a ``stopped`` event on it: the
    client asks for the threads again, marks every one stopped and selects
    it; a ``thread`` event would leave it shown as running)."""
    if not include_goroutine(s, goid):
        return
    tid = s.threads.id_of(goid)
    await s.event("stopped", {"reason": "goroutine", "threadId": tid, "allThreadsStopped": True,
                              "description": f"goroutine {goid}, listed on request"})


async def on_stackTrace(s: State, args: dict[str, Any]) -> Reply:
    tid = required(args, "threadId", int)
    start = non_negative(args, "startFrame", 0) or 0
    levels = non_negative(args, "levels", 0) or 0
    optional(args, "format", dict, None)
    rep = await s.loaded()
    g = s.goroutine(tid)
    return Reply(await s.run(stack_trace, s, rep, g, start, levels))


async def on_exceptionInfo(s: State, args: dict[str, Any]) -> Reply:
    tid = required(args, "threadId", int)
    rep = await s.loaded()
    g = s.goroutine(tid)
    return Reply(await s.run(exception_info, rep, g))


async def on_scopes(s: State, args: dict[str, Any]) -> Reply:
    fid = required(args, "frameId", int)
    await s.loaded()
    goid, index = s.frame_key(fid)
    vs = s.variables()
    return Reply({"scopes": await s.run(vs.scopes, goid, index)})


async def on_variables(s: State, args: dict[str, Any]) -> Reply:
    ref = required(args, "variablesReference", int)
    start = non_negative(args, "start", 0) or 0
    count = non_negative(args, "count", 0) or 0
    filter_ = optional(args, "filter", str, None)
    if filter_ not in (None, "indexed", "named"):
        raise bad_argument("argument 'filter' must be \"indexed\" or \"named\"")
    fmt = optional(args, "format", dict, None) or {}
    await s.loaded()
    vs = s.variables()
    values = await s.run(vs.variables, ref, start, count, filter_, fmt.get("hex") is True)
    return Reply({"variables": values})


async def on_source(s: State, args: dict[str, Any]) -> Reply:
    source = optional(args, "source", dict, None) or {}
    ref = optional(args, "sourceReference", int, 0) or 0
    ref = source.get("sourceReference") or ref
    path = source.get("path")
    rep = await s.core()
    if isinstance(ref, int) and ref > 0:
        entry = s.listings.key_of(ref)
        lst = await s.run(s.listing, rep, entry) if entry else None
        if lst is None:
            raise RequestError(f"source not available: no source reference {ref}",
                               error_id=ErrorId.NOT_FOUND)
        return Reply({"content": lst.text, "mimeType": "text/x-asm"})
    if not isinstance(path, str) or not path:
        raise bad_argument("source not available: no path given")
    text = await s.run(s.source_map().read, path)
    if text is None:
        raise RequestError(f"source not available: {path} is not a readable file of "
                           "this program", error_id=ErrorId.NOT_FOUND)
    return Reply({"content": text, "mimeType": "text/x-go" if path.endswith(".go")
                  else "text/plain"})


# Contexts whose client shows an evaluation's error where the answer would
# be (the console's line, the watch's row, the hover): ``showUser`` would add
# a notification saying it again (VS Code does, for each refused console line,
# each failing watch at every stop). As Delve's adapter does.
SHOWN_IN_PLACE = ("repl", "watch", "hover")


async def on_evaluate(s: State, args: dict[str, Any]) -> Reply:
    """Go expressions (:mod:`dapcore.goexpr.evaluator`) in the contexts watch,
    hover, repl, clipboard and variables; in the repl also the commands of
    :mod:`dapcore.dap.repl` (``goroutines``, ``bt``, ``frame N``, …)."""
    expression = required(args, "expression", str)
    context = optional(args, "context", str, None)
    try:
        return await _evaluate(s, args, expression, context)
    except DapcoreError as exc:
        if context not in SHOWN_IN_PLACE:
            raise
        raise RequestError(str(exc), show_user=False,
                           error_id=ErrorId.EVALUATION_FAILED) from exc
    except RequestError as exc:
        if context not in SHOWN_IN_PLACE:
            raise
        raise RequestError(exc.message, show_user=False, error_id=exc.error_id) from exc


async def _evaluate(s: State, args: dict[str, Any], expression: str,
                    context: str | None) -> Reply:
    fid = optional(args, "frameId", int, None)
    fmt = optional(args, "format", dict, None) or {}
    rep = await s.loaded()
    vs = s.variables()
    where = s.frame_key(fid) if fid is not None else None
    if context == "repl":
        # The console's commands and values: loaded with the first evaluate
        # (the value model is heavy), not before 'initialize'.
        from dapcore.dap.repl import is_command, run_command

        if is_command(expression):
            done = await s.run(run_command, s, rep, expression.strip(), where, fid)
            if s.repl_frame is not None:
                await want_goroutine(s, s.repl_frame[0][0])
            if isinstance(done, str):
                return Reply({"result": done, "variablesReference": 0})
            where, expression = (done.goid, done.index), done.expression
        elif s.repl_frame is not None and (where is None or fid == s.repl_frame[1]):
            where = s.repl_frame[0]
        else:
            s.repl_frame = None  # the user selected another frame since 'frame N'
    if where is None:
        where = await s.run(s.default_frame, rep)
    body = await s.run(vs.evaluate, where[0], where[1], expression, fmt.get("hex") is True)
    return Reply(body)


async def on_modules(s: State, args: dict[str, Any]) -> Reply:
    non_negative(args, "startModule", 0)
    non_negative(args, "moduleCount", 0)
    rep = await s.core()

    def build() -> list[dict[str, Any]]:
        return module_list(rep)

    mods = await s.run(build)
    return Reply({"modules": mods, "totalModules": len(mods)})


async def on_loadedSources(s: State, args: dict[str, Any]) -> Reply:
    rep = await s.core()
    sources = s.source_map()

    def build() -> list[dict[str, Any]]:
        out = []
        for name in sorted(rep.source_files()):
            if name.startswith("<") or name == "?":
                continue
            local = sources.local(name)
            src: dict[str, Any] = {"name": os.path.basename(name), "path": local or name}
            if local is None:
                src["origin"] = "not found on this machine"
            out.append(src)
        return out
    return Reply({"sources": await s.run(build)})


def _address(ref: str, offset: int) -> int:
    try:
        return parse_reference(ref) + offset
    except ValueError as exc:
        raise bad_argument(str(exc)) from None


async def on_readMemory(s: State, args: dict[str, Any]) -> Reply:
    ref = required(args, "memoryReference", str)
    offset = optional(args, "offset", int, 0) or 0
    count = non_negative(args, "count", None)
    if count is None:
        raise bad_argument("argument 'count' is required")
    rep = await s.core()
    addr = _address(ref, offset)
    return Reply(await s.run(read_memory, rep, addr, count))


async def on_disassemble(s: State, args: dict[str, Any]) -> Reply:
    ref = required(args, "memoryReference", str)
    offset = optional(args, "offset", int, 0) or 0
    ioff = optional(args, "instructionOffset", int, 0) or 0
    count = non_negative(args, "instructionCount", None)
    if count is None:
        raise bad_argument("argument 'instructionCount' is required")
    resolve_symbols = bool(optional(args, "resolveSymbols", bool, True))
    rep = await s.core()
    addr = _address(ref, offset)
    insns = await s.run(disassemble, rep, addr, ioff, min(count, 100000), resolve_symbols)
    return Reply({"instructions": insns})


async def on_goroutine_groups(s: State, args: dict[str, Any]) -> Reply:
    """The custom request ``dapcore/goroutineGroups`` (:mod:`dapcore.dap.groups`)."""
    # the triage and the runtime readers under it: with the first of these requests
    from dapcore.dap.groups import on_goroutine_groups as handler

    return await handler(s, args)


async def on_focus_goroutine(s: State, args: dict[str, Any]) -> Reply:
    """The custom request ``dapcore/focusGoroutine`` (:mod:`dapcore.dap.groups`)."""
    from dapcore.dap.groups import on_focus_goroutine as handler

    return await handler(s, args)


async def on_blocking(s: State, args: dict[str, Any]) -> Reply:
    """The custom request ``dapcore/blocking`` (:mod:`dapcore.dap.blocking`)."""
    # the analysis and the runtime readers under it: with the first such request
    from dapcore.dap.blocking import on_blocking as handler

    return await handler(s, args)


HANDLERS: dict[str, Handler] = {
    "threads": on_threads,
    "stackTrace": on_stackTrace,
    "exceptionInfo": on_exceptionInfo,
    "scopes": on_scopes,
    "variables": on_variables,
    "source": on_source,
    "evaluate": on_evaluate,
    "modules": on_modules,
    "loadedSources": on_loadedSources,
    "readMemory": on_readMemory,
    "disassemble": on_disassemble,
    "dapcore/goroutineGroups": on_goroutine_groups,
    "dapcore/focusGoroutine": on_focus_goroutine,
    "dapcore/blocking": on_blocking,
}
