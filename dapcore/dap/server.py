"""Serving sessions over stdio or TCP with anyio.

stdout carries the protocol only: while the stdio server runs, file
descriptor 1 is pointed at stderr, so a stray ``print`` cannot corrupt the
stream. Logs go through :mod:`logging` to ``--log FILE`` or stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc

from dapcore.dap.framing import FrameError, FrameParser, encode_parts
from dapcore.dap.options import REMOTE_WARNING, add_arguments, is_loopback
from dapcore.dap.session import Session
from dapcore.dap.start import Start, protocol_stdout

log = logging.getLogger("dapcore.dap")

Read = Callable[[], Awaitable[bytes]]
Write = Callable[[list[bytes]], Awaitable[None]]  # buffers written in order


async def serve(read: Read, write: Write, remote: bool = False,
                start: Start | None = None) -> None:
    """Run one session until the client disconnects or the input ends;
    ``remote``: the client came over TCP (it may be another user);
    ``start``: the stdio session's first exchange, already answered
    (:mod:`dapcore.dap.handshake`)."""
    parser = FrameParser() if start is None else start.parser
    async with anyio.create_task_group() as tg:
        def close() -> None:
            tg.cancel_scope.cancel()

        async def send(msg: dict[str, Any]) -> None:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("-> %s", _shown(msg))
            await write(encode_parts(msg))

        def dispatch(items: list[dict[str, Any] | FrameError]) -> None:
            for item in items:
                if isinstance(item, FrameError):
                    tg.start_soon(_guarded, session.report_frame_error, item)
                else:
                    if log.isEnabledFor(logging.DEBUG):
                        log.debug("<- %s", _shown(item))
                    tg.start_soon(_guarded, session.handle, item)

        session = Session(send, close, remote=remote)
        data = b""
        if start is not None:
            session.greeted(start.client, start.sent)
            dispatch(start.pending)
            data = start.unfed
        while True:
            if not data:
                try:
                    data = await read()
                except OSError as exc:  # the input broke: the same as its end
                    log.info("input failed: %s", exc)
                    break
                if not data:
                    break
            try:
                items = parser.feed(data)
            except Exception as exc:  # a bug in the decoder: drop the input, keep serving
                log.exception("while decoding input")
                parser = FrameParser()
                items = [FrameError(f"input dropped: it could not be decoded ({exc})")]
            data = b""
            dispatch(items)
        # Input closed: let answers in flight finish, then stop.
    await session.save_index()  # what the index cache gained (if not written yet)
    log.info("session ended")


def _shown(msg: dict[str, Any]) -> str:
    """A message as the debug log shows it (never fails)."""
    try:
        return json.dumps(msg, default=repr)[:2000]
    except (ValueError, RecursionError):
        return repr(msg)[:2000]


async def _guarded(fn: Callable[[Any], Awaitable[None]], arg: Any) -> None:
    """One message's task: a failure is logged, never fatal to the server."""
    try:
        await fn(arg)
    except Exception:
        log.exception("while answering a message")


async def serve_stdio(start: Start | None = None) -> None:
    """Serve one session over stdin/stdout; ``start``: its first exchange,
    already answered (:func:`dapcore.dap.handshake.first_exchange`)."""
    out_fd = protocol_stdout() if start is None else start.out_fd
    write_lock = anyio.Lock()
    gone = start is not None and start.out_gone

    async def read() -> bytes:
        return await anyio.to_thread.run_sync(os.read, 0, 1 << 16, abandon_on_cancel=True)

    def write_all(parts: list[bytes]) -> None:
        for data in parts:
            view = memoryview(data)
            while view:
                n = os.write(out_fd, view)
                view = view[n:]

    async def write(parts: list[bytes]) -> None:
        nonlocal gone
        async with write_lock:
            if gone:
                return
            try:
                await anyio.to_thread.run_sync(write_all, parts)
            except OSError as exc:  # the client closed our stdout: drop the rest
                gone = True
                log.info("client went away (%s)", exc)

    await serve(read, write, start=start)


async def serve_tcp(host: str, port: int) -> None:
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    sock_port = listener.extra(anyio.abc.SocketAttribute.local_port)
    sock_host = listener.extra(anyio.abc.SocketAttribute.local_address)[0]
    print(f"dapcore: listening on {sock_host}:{sock_port}", file=sys.stderr, flush=True)
    log.info("listening on %s:%s", sock_host, sock_port)

    async def one(stream: anyio.abc.SocketStream) -> None:
        lock = anyio.Lock()

        async def read() -> bytes:
            try:
                return await stream.receive(1 << 16)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return b""

        async def write(parts: list[bytes]) -> None:
            async with lock:
                try:
                    for data in parts:
                        await stream.send(data)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    pass

        async with stream:
            try:
                await serve(read, write, remote=True)
            except Exception:
                log.exception("session failed")

    await listener.serve(one)


def run(args: argparse.Namespace, start: Start | None = None) -> int:
    """Start the server as the parsed ``dap`` arguments say; ``start``: the
    stdio session's first exchange, already answered."""
    handler: logging.Handler = (logging.FileHandler(args.log) if args.log
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("dapcore")
    root.addHandler(handler)
    root.setLevel(getattr(logging, args.log_level))
    root.propagate = False
    if args.listen is not None:
        host = args.listen[0]
        if not is_loopback(host):
            if not args.allow_remote:
                print(f"dapcore: refusing to listen on {host}, which is not a loopback "
                      "address: anyone who can reach it could read the core's memory and "
                      "the program's sources. Add --allow-remote to do it anyway.",
                      file=sys.stderr)
                return 2
            print(REMOTE_WARNING.format(where=f"{host}:{args.listen[1]}"), file=sys.stderr,
                  flush=True)
            log.warning("listening beyond loopback on %s", host)
        try:
            anyio.run(serve_tcp, *args.listen)
        except KeyboardInterrupt:
            return 130  # a person stopped the listener
        return 0
    try:
        if start is not None and start.interrupted:
            raise KeyboardInterrupt
        anyio.run(serve_stdio, start)
    except KeyboardInterrupt:
        # Clients end an adapter with SIGINT (nvim-dap does, right after the
        # 'terminate' response): a normal end of the session, not an error.
        log.info("interrupted by the client")
    # The session is over (disconnect, stdin closed, SIGINT). A worker thread
    # may still sit in a read of stdin, which the client can keep open: leave
    # now instead of waiting for it (the DAP spec: the adapter shuts itself
    # down after disconnecting).
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)


def main(argv: list[str] | None = None, start: Start | None = None) -> int:
    """``dapcore dap [options]``; ``start``: the stdio session's first
    exchange, already answered (``argv`` then holds no option)."""
    p = argparse.ArgumentParser(prog="dapcore dap", description="Serve the Debug Adapter "
                                "Protocol for Go core dumps")
    add_arguments(p)
    return run(p.parse_args(argv), start)
