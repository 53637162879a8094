"""The stdio server's first exchange, answered before anyio, asyncio and the
session are imported (start-up time, issue #16).

An editor starts the adapter and sends ``initialize``; its answer is all the
editor waits for before it sends ``launch``. So the stdio server reads the
first message here, with plain blocking reads, and when it is an
``initialize`` request the session would answer with success, answers it
(:mod:`dapcore.dap.greeting`'s capabilities) and sends ``initialized``, as the
session does. Only then is the asynchronous server imported
(:func:`dapcore.dap.server.run`); it goes on from a
:class:`dapcore.dap.start.Start`: the parser holding whatever else was read
(a pipelined ``launch``), the messages already decoded and the session's
state (the client's arguments, the messages sent).

Any other first message (a malformed one, another request, an ``initialize``
the session would refuse) is left untouched for the server, which answers it
exactly as it answers it anywhere in a session; so is the end of the input.
This module imports only the framing, the message shapes and the
capabilities: no logging, no threads, no event loop.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from dapcore.dap.args import RequestError, arguments
from dapcore.dap.framing import FrameError, FrameParser, encode
from dapcore.dap.greeting import initialize_body
from dapcore.dap.messages import event, response, valid_seq
from dapcore.dap.start import Start, protocol_stdout

__all__ = ["first_exchange", "main"]

READ_SIZE = 1 << 16


def first_exchange(in_fd: int, out_fd: int) -> Start:
    """Read until the first message is complete (or the input ends) and
    answer it when it is an ``initialize`` the session would accept."""
    start = Start(out_fd)
    received = b""
    try:
        while not start.pending:
            try:
                data = os.read(in_fd, READ_SIZE)
            except OSError:
                return start  # the server's own read meets the failure and ends the session
            if not data:
                return start  # the end of the input: the server sees it too
            received += data
            try:
                start.pending = start.parser.feed(data)
            except Exception:  # a bug in the decoder: the server decodes it all again,
                start.parser = FrameParser()  # meets the bug and reports it, as it would
                start.unfed = received
                return start
        _answer(start)
    except KeyboardInterrupt:  # the client ended the adapter at once
        start.interrupted = True
    return start


def _answer(start: Start) -> None:
    """Answer ``start.pending[0]`` when it is an ``initialize`` request the
    session would answer with success (the same checks, the same body)."""
    msg = start.pending[0]
    if (isinstance(msg, FrameError) or msg.get("type") != "request"
            or msg.get("command") != "initialize" or not valid_seq(msg.get("seq"))):
        return
    try:
        args = arguments(msg)
        body = initialize_body(args)
    except RequestError:
        return  # the session gives the error response
    start.pending.pop(0)
    start.client = args
    _send(start, response(msg["seq"], "initialize", body))
    _send(start, event("initialized"))


def _send(start: Start, msg: dict[str, Any]) -> None:
    start.sent += 1
    if start.out_gone:
        return
    data = memoryview(encode({"seq": start.sent, **msg}))
    try:
        while data:
            data = data[os.write(start.out_fd, data):]
    except OSError:  # the client closed our stdout: the server drops the rest
        start.out_gone = True


def main() -> int:
    """Serve DAP over stdio with the default options (what editors run:
    ``python -m dapcore``, ``dapcore dap``)."""
    start = first_exchange(0, protocol_stdout())

    # A client may end the adapter (SIGINT) as soon as 'initialize' is
    # answered: while the server is being imported, that is noted (the
    # server then ends as it does on SIGINT), not a traceback.
    def interrupted(signum: int, frame: object) -> None:
        start.interrupted = True

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        from dapcore.dap.server import main as serve  # anyio: after 'initialize' is answered
    finally:
        signal.signal(signal.SIGINT, previous)
    return serve([], start)
