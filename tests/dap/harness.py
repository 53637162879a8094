"""A headless DAP client for tests: runs ``python -m dapcore`` over stdio (or
talks to a TCP server), sends requests, collects responses and events with
timeouts, and validates every message in both directions against the
official DAP JSON schema (shipped in debugpy's wheel).

Its framing code is deliberately separate from the server's so that a bug
in one cannot hide a bug in the other.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT = 20.0


class DapTimeout(AssertionError):
    pass


@cache
def _schema() -> dict[str, Any]:
    import debugpy

    path = (Path(debugpy.__file__).parent / "_vendored" / "pydevd" / "_pydevd_bundle"
            / "_debug_adapter" / "debugProtocol.json")
    return json.loads(path.read_text())


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    defs = _schema()["definitions"]
    schema = {"$ref": f"#/definitions/{name}", "definitions": defs}
    return jsonschema.Draft4Validator(schema)


def schema_name(msg: dict[str, Any]) -> str | None:
    """The schema definition a message must satisfy (None: no specific one)."""
    defs = _schema()["definitions"]
    kind = msg.get("type")
    if kind == "event":
        name = f"{str(msg.get('event', ''))[:1].upper()}{str(msg.get('event', ''))[1:]}Event"
        return name if name in defs else "Event"
    cmd = str(msg.get("command", ""))
    cap = cmd[:1].upper() + cmd[1:]
    if kind == "request":
        return f"{cap}Request" if f"{cap}Request" in defs else "Request"
    if kind == "response":
        if not msg.get("success"):
            return "ErrorResponse"
        return f"{cap}Response" if f"{cap}Response" in defs else "Response"
    return None


def validate(msg: dict[str, Any]) -> None:
    name = schema_name(msg)
    if name is None:
        raise AssertionError(f"message of no known type: {msg}")
    errors = sorted(_validator(name).iter_errors(msg), key=lambda e: list(e.path))
    if errors:
        raise AssertionError(f"{name} does not match the DAP schema: "
                             f"{[(list(e.path), e.message) for e in errors[:5]]}\n{msg}")
    for key in ("seq", "request_seq"):
        if key in msg:
            assert 0 <= msg[key] < 2**31, f"{key} outside int32: {msg}"


# What the real clients send in ``initialize`` (recorded, ../shared/dap-notes.md).
VSCODE_INIT = {"clientID": "vscode", "clientName": "code-server", "adapterID": "gocore",
               "pathFormat": "path", "linesStartAt1": True, "columnsStartAt1": True,
               "supportsVariableType": True, "supportsVariablePaging": True,
               "supportsRunInTerminalRequest": True, "locale": "en",
               "supportsProgressReporting": True, "supportsInvalidatedEvent": True,
               "supportsMemoryReferences": True, "supportsArgsCanBeInterpretedByShell": True,
               "supportsMemoryEvent": True, "supportsStartDebuggingRequest": True,
               "supportsANSIStyling": True}
NVIM_INIT = {"clientID": "neovim", "clientName": "neovim", "adapterID": "nvim-dap",
             "pathFormat": "path", "linesStartAt1": True, "columnsStartAt1": True,
             "supportsRunInTerminalRequest": True, "supportsVariableType": True,
             "supportsProgressReporting": True, "supportsStartDebuggingRequest": True,
             "locale": "en_US.UTF-8"}


def frame(msg: dict[str, Any]) -> bytes:
    body = json.dumps(msg).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


class Client:
    """A DAP client over a byte pipe (a subprocess's stdio or a socket)."""

    def __init__(self, proc: subprocess.Popen[bytes] | None = None,
                 sock: socket.socket | None = None, validate_messages: bool = True) -> None:
        self.proc = proc
        self.sock = sock
        self.validate = validate_messages
        self.messages: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self._seq = 0
        self._cv = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- starting ------------------------------------------------------------

    @classmethod
    def spawn(cls, *args: str, validate_messages: bool = True) -> Client:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen([sys.executable, "-m", "dapcore", *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                cwd=str(REPO))
        return cls(proc=proc, validate_messages=validate_messages)

    @classmethod
    def connect(cls, host: str, port: int, validate_messages: bool = True) -> Client:
        sock = socket.create_connection((host, port), timeout=DEFAULT_TIMEOUT)
        sock.settimeout(None)
        return cls(sock=sock, validate_messages=validate_messages)

    # -- raw IO --------------------------------------------------------------

    def _recv(self) -> bytes:
        if self.sock is not None:
            try:
                return self.sock.recv(65536)
            except OSError:
                return b""
        assert self.proc is not None and self.proc.stdout is not None
        return os.read(self.proc.stdout.fileno(), 65536)

    def send_bytes(self, data: bytes) -> None:
        if self.sock is not None:
            self.sock.sendall(data)
        else:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def _read_loop(self) -> None:
        buf = b""
        while True:
            data = self._recv()
            if not data:
                break
            buf += data
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                headers = dict(line.split(b":", 1) for line in buf[:end].split(b"\r\n"))
                length = int(headers[b"Content-Length"].strip())
                if len(buf) < end + 4 + length:
                    break
                body = buf[end + 4:end + 4 + length]
                buf = buf[end + 4 + length:]
                msg = json.loads(body)
                if self.validate:
                    try:
                        validate(msg)
                    except AssertionError as exc:
                        self.problems.append(str(exc))
                with self._cv:
                    self.messages.append(msg)
                    self._cv.notify_all()
        with self._cv:
            self._eof = True
            self._cv.notify_all()

    # -- requests ------------------------------------------------------------

    def send(self, command: str, arguments: dict[str, Any] | None = None,
             check_schema: bool = True) -> int:
        self._seq += 1
        msg: dict[str, Any] = {"seq": self._seq, "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        if self.validate and check_schema:
            validate(msg)
        self.send_bytes(frame(msg))
        return self._seq

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def wait_for(self, pred: Any, timeout: float = DEFAULT_TIMEOUT, start: int = 0,
                 what: str = "message") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for m in self.messages[start:]:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    raise DapTimeout(f"no {what} within {timeout}s; got "
                                     f"{[_short(m) for m in self.messages]}{self._stderr()}")
                self._cv.wait(left)

    def response(self, seq: int, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("type") == "response" and m.get("request_seq") == seq,
                             timeout, what=f"response to {seq}")

    def request(self, command: str, arguments: dict[str, Any] | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return self.response(self.send(command, arguments), timeout)

    def ok(self, command: str, arguments: dict[str, Any] | None = None,
           timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The body of a successful response (fails the test otherwise)."""
        r = self.request(command, arguments, timeout)
        assert r["success"], f"{command} failed: {r.get('message')}"
        return r.get("body") or {}

    def mark(self) -> int:
        with self._cv:
            return len(self.messages)

    def event(self, name: str, start: int = 0, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("type") == "event" and m.get("event") == name,
                             timeout, start, what=f"{name} event")

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._cv:
            return [m for m in self.messages if m.get("type") == "event" and m.get("event") == name]

    def _stderr(self) -> str:
        return ""

    # -- ending --------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> int | None:
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

    def stderr_text(self) -> str:
        assert self.proc is not None and self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.sock is not None:
            self.sock.close()


def _short(m: dict[str, Any]) -> str:
    if m.get("type") == "event":
        return f"event:{m.get('event')}"
    return f"{m.get('type')}:{m.get('command')}:{m.get('success', '')}"


def start_session(client: Client, launch: dict[str, Any], *, launch_first: bool = True,
                  progress: bool = False) -> dict[str, Any]:
    """initialize, launch and configurationDone (launch before or after the
    ``initialized`` event); returns the ``stopped`` event."""
    client.ok("initialize", {"adapterID": "dapcore", "clientID": "harness", "linesStartAt1": True,
                             "columnsStartAt1": True, "pathFormat": "path",
                             "supportsProgressReporting": progress})
    if launch_first:
        client.ok("launch", launch)
        client.event("initialized")
    else:
        client.event("initialized")
        client.ok("launch", launch)
    client.ok("configurationDone")
    return client.event("stopped")
