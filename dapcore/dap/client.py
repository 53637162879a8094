"""A small DAP client: ``dapcore demo``, the benchmarks and the tests talk
to the server through it.

It runs a server (``python -m dapcore`` or any command) over its stdio, or
connects to one over TCP, sends requests and collects every message the
server sends, in order, on a reader thread; callers wait for a response or
an event with a timeout. Its framing code is its own, deliberately separate
from the server's (:mod:`dapcore.dap.framing`), so that a bug in one cannot
hide a bug in the other.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO, Any

__all__ = ["Client", "ClientError", "RequestFailed", "body_of", "encode"]

DEFAULT_TIMEOUT = 20.0


class ClientError(Exception):
    """No answer: the server did not send the message waited for in time,
    or went away first."""


class RequestFailed(ClientError):
    """The server answered a request with an error response."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(f"{response.get('command')} failed: {response.get('message')}")
        self.response = response


def encode(msg: dict[str, Any]) -> bytes:
    """``msg`` framed: a ``Content-Length`` header, then the JSON body."""
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Client:
    """A DAP client over a byte pipe (a child's stdio, or a socket).

    ``messages`` holds everything received, in order; :meth:`wait_for` and
    the methods built on it look through it (from ``start``) and wait for
    more until ``timeout`` seconds have passed."""

    def __init__(self, proc: subprocess.Popen[bytes] | None = None,
                 sock: socket.socket | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.proc = proc
        self.sock = sock
        self.timeout = timeout
        self.messages: list[dict[str, Any]] = []
        self.last_read = 0.0  # perf_counter of the last read from the server
        self._seq = 0
        self._cv = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- starting ------------------------------------------------------------

    @classmethod
    def start(cls, argv: list[str], *, env: dict[str, str] | None = None,
              cwd: str | None = None, stderr: int | IO[Any] | None = subprocess.DEVNULL,
              timeout: float = DEFAULT_TIMEOUT) -> Client:
        """Run ``argv`` (a DAP server on its stdio) and talk to it."""
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, env=env, cwd=cwd)
        return cls(proc=proc, timeout=timeout)

    @classmethod
    def connect(cls, host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> Client:
        """Talk to a server listening on ``host:port``."""
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.settimeout(None)
        return cls(sock=sock, timeout=timeout)

    # -- raw IO --------------------------------------------------------------

    def _recv(self) -> bytes:
        if self.sock is not None:
            try:
                return self.sock.recv(65536)
            except OSError:
                return b""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            return os.read(self.proc.stdout.fileno(), 65536)
        except OSError:
            return b""

    def send_bytes(self, data: bytes) -> None:
        if self.sock is not None:
            self.sock.sendall(data)
        else:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def _read_loop(self) -> None:
        buf = bytearray()  # (a 7 MB threads response comes in many reads)
        try:
            while True:
                data = self._recv()
                self.last_read = time.perf_counter()  # a message's last bytes came then
                if not data:
                    break
                buf += data
                while True:
                    msg = _take_message(buf, self._decode)
                    if msg is None:
                        break
                    self._received(msg)
                    with self._cv:
                        self.messages.append(msg)
                        self._cv.notify_all()
        finally:
            with self._cv:
                self._eof = True
                self._cv.notify_all()

    def _decode(self, body: bytearray) -> dict[str, Any]:
        """One message's JSON body, decoded (on the reader thread)."""
        return json.loads(body)  # type: ignore[no-any-return]

    def _received(self, msg: dict[str, Any]) -> None:
        """Called on the reader thread for each message, before it is kept."""

    # -- requests ------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        """Send a request; returns its ``seq``."""
        msg: dict[str, Any] = {"seq": self.next_seq(), "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.send_message(msg)
        return msg["seq"]  # type: ignore[no-any-return]

    def send_message(self, msg: dict[str, Any]) -> None:
        self.send_bytes(encode(msg))

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float | None = None,
                 start: int = 0, what: str = "message") -> dict[str, Any]:
        """The first message from ``messages[start]`` on that ``pred`` accepts."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for m in self.messages[start:]:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    raise self._no_answer(what, timeout, self._eof)
                self._cv.wait(left)

    def _no_answer(self, what: str, timeout: float, eof: bool) -> Exception:
        """The exception :meth:`wait_for` raises."""
        if eof:
            return ClientError(f"the DAP server closed the connection before the {what}")
        return ClientError(f"the DAP server sent no {what} within {timeout:.0f} s")

    def response(self, seq: int, timeout: float | None = None) -> dict[str, Any]:
        """The response to request ``seq``."""
        return self.wait_for(lambda m: m.get("type") == "response" and m.get("request_seq") == seq,
                             timeout, what=f"response to {seq}")

    def request(self, command: str, arguments: dict[str, Any] | None = None,
                timeout: float | None = None) -> dict[str, Any]:
        """Send a request and wait for its response (successful or not)."""
        return self.response(self.send(command, arguments), timeout)

    def body(self, command: str, arguments: dict[str, Any] | None = None,
             timeout: float | None = None) -> dict[str, Any]:
        """The body of a successful response; :class:`RequestFailed` otherwise."""
        return body_of(self.request(command, arguments, timeout))

    def mark(self) -> int:
        """The number of messages received so far (a ``start`` for later waits)."""
        with self._cv:
            return len(self.messages)

    def event(self, name: str, start: int = 0, timeout: float | None = None
              ) -> dict[str, Any]:
        """The first ``name`` event from ``messages[start]`` on."""
        return self.wait_for(lambda m: m.get("type") == "event" and m.get("event") == name,
                             timeout, start, what=f"{name} event")

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._cv:
            return [m for m in self.messages if m.get("type") == "event" and m.get("event") == name]

    # -- ending --------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> int | None:
        """Close the connection; a child server is waited for (killed after
        ``timeout`` seconds) and its exit status returned."""
        if self.sock is not None:
            self.sock.close()
            return None
        assert self.proc is not None
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.sock is not None:
            self.sock.close()


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    """A successful response's body (``{}`` when it has none); :class:`RequestFailed` otherwise."""
    if not response.get("success"):
        raise RequestFailed(response)
    return response.get("body") or {}


def _take_message(buf: bytearray, decode: Callable[[bytearray], dict[str, Any]]
                  ) -> dict[str, Any] | None:
    """The first whole message in ``buf``, taken out of it (None: not all of
    it is there yet)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = None
    for line in buf[:end].split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ValueError(f"a message without Content-Length: {buf[:end]!r}")
    if len(buf) < end + 4 + length:
        return None
    msg = decode(buf[end + 4:end + 4 + length])
    del buf[:end + 4 + length]
    return msg
