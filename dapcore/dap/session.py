"""One debug session: decoding a client's requests, dispatching each to its
handler, answering.

Requests are handled concurrently (each in its own task) so that ``cancel``,
``disconnect`` and cheap requests are answered while a slow one runs; engine
work runs in a worker thread, one call at a time (:meth:`State.run`). The
handlers are in :mod:`dapcore.dap.lifecycle` and :mod:`dapcore.dap.inspection`,
the state they share in :mod:`dapcore.dap.state`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio

from dapcore.dap import lifecycle
from dapcore.dap.args import RequestError, arguments
from dapcore.dap.errorids import ErrorId
from dapcore.dap.framing import FrameError, RawJSON
from dapcore.dap.messages import MAX_SEQ, response, valid_seq
from dapcore.dap.state import Handler, Reply, State
from dapcore.errors import DapcoreError

__all__ = ["HANDLERS", "Session", "handler_for"]

log = logging.getLogger("dapcore.dap")

# The requests of the session's life, by command; those that look at the
# core (threads, stackTrace, scopes …) are the inspection's: see handler_for.
HANDLERS: dict[str, Handler] = dict(lifecycle.HANDLERS)


def handler_for(command: str) -> Handler | None:
    """The handler of ``command`` (None: dapcore answers no such request).
    The inspection's handlers (about 15 ms of imports) load with the first
    request that is not in :data:`HANDLERS`, not before the server answers
    ``initialize`` (start-up time, issue #16)."""
    handler = HANDLERS.get(command)
    if handler is None:
        from dapcore.dap import inspection

        handler = inspection.HANDLERS.get(command)
    return handler


class Session(State):
    """A client's session: its state (:class:`State`) and the protocol."""

    async def respond(self, req_seq: int, command: str,
                      body: dict[str, Any] | RawJSON | None) -> None:
        await self.send(response(req_seq, command, body))

    async def fail(self, req_seq: int, command: str, message: str, show: bool = True,
                   error_id: ErrorId = ErrorId.REQUEST_FAILED) -> None:
        """An error response; ``body.error`` is the message numbered ``error_id``.

        ``format`` is the message as it is: the protocol defines ``{name}``
        for the ``variables`` it sends (none here) and no escape, and the
        clients show it verbatim (VS Code replaces only names found in
        ``variables``; nvim-dap shows ``format`` when ``showUser``), so an
        escaped ``{{`` would reach the user doubled (``struct {{ Z int }}``)."""
        await self.send({"type": "response", "request_seq": req_seq, "success": False,
                         "command": command, "message": message,
                         "body": {"error": {"id": int(error_id), "format": message,
                                            "showUser": show}}})

    async def report_frame_error(self, err: FrameError) -> None:
        log.warning("bad input: %s", err.message)
        if err.seq is not None and err.seq <= MAX_SEQ:
            await self.fail(err.seq, err.command or "unknown", err.message,
                            error_id=ErrorId.BAD_MESSAGE)
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
        if not valid_seq(seq):
            # nothing to answer: a response's request_seq must be a 32-bit number
            await self.output("dapcore: dropped a message without a valid 'seq' (an integer "
                              f"from 0 to {MAX_SEQ})\n", "stderr")
            return
        if kind != "request" or not isinstance(command, str):
            await self.fail(seq, command if isinstance(command, str) else "unknown",
                            "not a request: 'type' must be \"request\" and 'command' a string",
                            error_id=ErrorId.BAD_MESSAGE)
            return
        handler = handler_for(command)
        reply: Reply | None = None
        failure: str | None = None
        error_id = ErrorId.REQUEST_FAILED
        show = True
        self.last_activity = time.monotonic()
        if self.background is not None:
            self.background.cancel()  # the request first (the work is done again later)
        with anyio.CancelScope() as scope:
            self.pending[seq] = scope
            try:
                if handler is None:
                    raise RequestError(f"unknown request '{command}'",
                                       error_id=ErrorId.UNKNOWN_REQUEST)
                reply = await handler(self, arguments(msg))
            except RequestError as exc:
                failure, error_id = exc.message, exc.error_id
                show = exc.show_user
            except DapcoreError as exc:
                failure, error_id = str(exc), _engine_error_id(command)
            except Exception as exc:
                log.exception("request %s failed", command)
                failure = f"internal error in dapcore ({type(exc).__name__}: {exc})"
                error_id = ErrorId.INTERNAL
            finally:
                self.pending.pop(seq, None)
                self.last_activity = time.monotonic()
        if scope.cancelled_caught:
            await self.fail(seq, command, "cancelled", show=False, error_id=ErrorId.CANCELLED)
            return
        if failure is not None:
            await self._failed(seq, command, failure, show, error_id)
            return
        assert reply is not None
        await self.respond(seq, command, reply.body)
        # Quiet only once the answer is out: background work (the summary)
        # while 70 MB of threads go down the pipe would make each write wait
        # for the interpreter lock (a convoy: seconds at 1,000,000 threads).
        self.last_activity = time.monotonic()
        if self.summarized:  # (the summary lists the warnings found before it)
            await lifecycle.new_warnings(self)
        if reply.then is not None:
            try:
                await reply.then()
            except Exception as exc:
                log.exception("after %s", command)
                await self.output(f"dapcore: {exc}\n", "stderr")

    async def _failed(self, seq: int, command: str, failure: str, show: bool,
                      error_id: ErrorId) -> None:
        """The error response, and what follows it: a refused resume shows
        the stop again; a failed launch ends the session."""
        launch = command in ("launch", "attach")
        if launch and error_id == ErrorId.REQUEST_FAILED:
            error_id = ErrorId.LAUNCH_FAILED
        await self.fail(seq, command, failure, show, error_id)
        if command in lifecycle.RESUME and self.stopped_body is not None:
            await self.event("stopped", self.stopped_body)
        if launch and self.launch_failed:
            self.launch_failed = False
            await self.event("terminated")  # a failed launch ends the session


def _engine_error_id(command: str) -> ErrorId:
    """The id of an engine error (:class:`DapcoreError`) in answer to ``command``."""
    if command in ("launch", "attach"):
        return ErrorId.LAUNCH_FAILED
    if command == "evaluate":
        return ErrorId.EVALUATION_FAILED
    return ErrorId.CORE_UNREADABLE
