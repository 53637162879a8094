"""What a session's request handlers work with: the session's state (typed),
sending messages, and the engine, run in a worker thread.

:class:`State` sits below the handlers (:mod:`dapcore.dap.lifecycle`,
:mod:`dapcore.dap.inspection`) and :class:`dapcore.dap.session.Session` (the
protocol: decoding requests, dispatching them, answering) builds on it, so
no module imports the one that imports it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import anyio

from dapcore.cancellation import token_scope
from dapcore.dap.args import RequestError
from dapcore.dap.errorids import ErrorId
from dapcore.dap.framing import RawJSON
from dapcore.dap.handles import GoroutineIds, HandleTable
from dapcore.dap.messages import event
from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    from dapcore.dap.config import LaunchConfig
    from dapcore.dap.disasm import Listing
    from dapcore.dap.groups import GroupCache
    from dapcore.dap.source import SourceMap
    from dapcore.dap.variables import Variables
    from dapcore.engine import Engine, Goroutine
    from dapcore.engine import Listing as GoroutineListing
    from dapcore.triage.records import BlockingReport

log = logging.getLogger("dapcore.dap")
T = TypeVar("T")

Send = Callable[[dict[str, Any]], Awaitable[None]]

NO_CORE = "no core is open: send 'launch' (or 'attach') with coreFilePath first"


class Reply(NamedTuple):
    """A handler's answer: the response body, and what to send after it."""

    body: dict[str, Any] | RawJSON | None = None
    then: Callable[[], Awaitable[None]] | None = None


Handler = Callable[["State", dict[str, Any]], Awaitable[Reply]]


class State:
    """One client's session: what it said, what is open, the id tables."""

    def __init__(self, send: Send, close: Callable[[], None], remote: bool = False) -> None:
        self._send_raw = send
        # over TCP the client may be another user: launch errors do not tell
        # which of the files it named exist (dapcore.dap.launch)
        self.remote = remote
        self.close = close
        self._seq = 0
        self._send_lock = anyio.Lock()
        self.client: dict[str, Any] = {}  # the initialize arguments
        self.config: LaunchConfig | None = None
        self.engine: Engine | None = None  # once launched
        self.sources: SourceMap | None = None  # once launched
        self.configured = False
        self.stopped_body: dict[str, Any] | None = None
        self.stop_claimed = False  # the one stopped event is being sent
        self.summarized = False  # the summary (after 'stopped') was sent
        self.stop_sent = anyio.Event()  # 'stopped' (or 'terminated' instead) was sent
        self.thread_list: RawJSON | None = None  # the threads response's body
        # Engine.listing, by hide_system (both threads answers share it)
        self._goroutine_listings: dict[bool, GoroutineListing] = {}
        # with maxThreads: the goroutines listed (None: every one), the ones
        # the user switched to in the console (always listed), how many the
        # list could hold, whether the user was told it is capped
        self.threads_shown: frozenset[int] | None = None
        self.wanted_goroutines: set[int] = set()
        self.goroutines_listable = 0
        self.cap_told = False
        self.closed = False
        self.pending: dict[int, anyio.CancelScope] = {}  # request seq → its scope
        self.last_activity = time.monotonic()  # a request came or was answered
        # Work done while the client is quiet (the stop summary): cancelled
        # when a request comes, and done again later.
        self.background: anyio.CancelScope | None = None
        self._engine_lock = threading.Lock()
        self._tokens: set[threading.Event] = set()  # engine calls in flight
        self._load_lock = anyio.Lock()
        self._loaded = False
        self.launching: anyio.Event | None = None  # set once the launch is over
        self.launch_error: str | None = None
        self.launch_failed = False  # the failed launch's response is followed by 'terminated'
        self._progress = 0
        self.threads = GoroutineIds()
        self.frames: HandleTable[tuple[int, int]] = HandleTable()  # frameId → (goid, index)
        self.vars: Variables | None = None  # on first use
        # set by the repl's 'frame N': ((goid, frame index), the frameId then selected)
        self.repl_frame: tuple[tuple[int, int], int | None] | None = None
        self.listings: HandleTable[int] = HandleTable()  # sourceReference → function entry
        self._listings: dict[int, Listing | None] = {}
        self.warned: set[str] = set()  # kinds of engine warnings the user was told
        self.group_cache: GroupCache | None = None  # goroutine groups, on first use
        self.blocking: BlockingReport | None = None  # what blocks what, on first use

    def greeted(self, client: dict[str, Any] | None, sent: int) -> None:
        """Go on from a first exchange answered before the session existed
        (:mod:`dapcore.dap.handshake`): ``client``, the ``initialize``
        arguments (None: not answered), ``sent`` messages numbered."""
        if client is not None:
            self.client = client
        self._seq = sent

    # -- sending -------------------------------------------------------------

    async def send(self, msg: dict[str, Any]) -> None:
        async with self._send_lock:
            self._seq += 1
            msg = {"seq": self._seq, **msg}
            await self._send_raw(msg)

    async def event(self, name: str, body: dict[str, Any] | None = None) -> None:
        await self.send(event(name, body))

    async def output(self, text: str, category: str = "console") -> None:
        await self.event("output", {"category": category, "output": text})

    # -- engine access -------------------------------------------------------

    async def save_index(self) -> None:
        """Write what the index cache gained (the server leaves with
        ``os._exit`` when the session ends, past the engine's exit hook)."""
        if self.engine is not None:
            from dapcore.engine import save_index  # imported with the launch already

            await anyio.to_thread.run_sync(save_index, self.engine)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
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

    def need_core(self) -> Engine:
        if self.engine is None:
            raise RequestError(NO_CORE, error_id=ErrorId.NO_CORE)
        return self.engine

    async def core(self) -> Engine:
        """The open engine. A request that arrives while the launch is still
        opening the files waits for it: VS Code sends ``threads`` before the
        ``launch`` response, and clients may pipeline requests after
        ``launch``. After a failed launch the answer is a quiet error (the
        launch's own error response already told the user)."""
        if self.engine is None and self.launching is not None:
            await self.launching.wait()
        if self.engine is None:
            if self.launch_error is not None:
                raise RequestError(f"no core is open: the launch failed ({self.launch_error})",
                                   show_user=False, error_id=ErrorId.NO_CORE)
            raise RequestError(NO_CORE, error_id=ErrorId.NO_CORE)
        return self.engine

    async def loaded(self) -> Engine:
        """The engine, with the crash read (the slow first load: the crashing
        goroutine alone; every goroutine is read when asked for)."""
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
                                                   "message": "crash", "percentage": 0})
            try:
                await self.run(_read_crash, rep)
            finally:
                if progress:
                    with anyio.CancelScope(shield=True):
                        await self.event("progressEnd", {"progressId": pid})
            self._loaded = True
        return rep

    # -- the session's tables ------------------------------------------------

    def goroutine(self, thread_id: int) -> Goroutine:
        goid = self.threads.key_of(thread_id)
        try:
            if goid is not None:
                return self.need_core().goroutine(goid)
        except DapcoreError:
            pass
        raise RequestError(f"no thread {thread_id}", error_id=ErrorId.NOT_FOUND)

    def frame_key(self, fid: int) -> tuple[int, int]:
        """(goid, frame index) of frameId ``fid``."""
        key = self.frames.key_of(fid)
        if key is None:
            raise RequestError(f"no frame {fid}", error_id=ErrorId.NOT_FOUND)
        return key

    def default_frame(self, rep: Engine) -> tuple[int, int]:
        """(goid, frame index) evaluated in when no frame is given: where an
        editor lands on the crashing (or first) goroutine (the engine's rule,
        :func:`dapcore.goruntime.userframe.landing_frame`)."""
        goid = rep.default_goid()
        return goid, rep.landing_frame(goid)

    def goroutine_listing(self, hide_system: bool) -> GoroutineListing:
        """The engine's listing of the goroutines (kept: every ``threads``
        answer is made from it). Engine code: call it in :meth:`run`."""
        found = self._goroutine_listings.get(hide_system)
        if found is None:
            found = self._goroutine_listings[hide_system] = \
                self.need_core().listing(hide_system)
        return found

    def listing(self, rep: Engine, entry: int) -> Listing | None:
        """The cached disassembly listing of the function at run-time ``entry``
        (engine thread only)."""
        if entry not in self._listings:
            # with the first missing source file, not before 'initialize'
            from dapcore.dap.disasm import listing

            self._listings[entry] = listing(rep, entry)
        return self._listings[entry]

    def variables(self) -> Variables:
        """The session's :class:`dapcore.dap.variables.Variables` (made on first use)."""
        if self.vars is None:
            # The value model loads once a core is open, not before the
            # server answers 'initialize'.
            from dapcore.dap.variables import Variables

            rep = self.need_core()
            self.vars = Variables(rep, self.config,
                                  self.sources.main_module if self.sources else None)
        return self.vars

    def source_map(self) -> SourceMap:
        """The launch's source map (the launch made it with the engine)."""
        if self.sources is None:
            raise RequestError(NO_CORE, error_id=ErrorId.NO_CORE)
        return self.sources


def _read_crash(rep: Engine) -> None:
    _ = rep.crash
