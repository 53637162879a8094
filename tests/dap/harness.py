"""The tests' DAP client: the shared one (:mod:`dapcore.dap.client`: runs
``python -m dapcore`` over stdio or talks to a TCP server, collects
responses and events with timeouts), validating every message in both
directions against the official DAP JSON schema (shipped in debugpy's
wheel); and what the real clients send in ``initialize``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from dapcore.dap import client as dap_client
from dapcore.dap.client import encode

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
    return encode(msg)


class Client(dap_client.Client):
    """The shared client (:class:`dapcore.dap.client.Client`), validating
    every message in both directions against the DAP schema (problems are
    collected in ``problems``); a wait that gets no answer fails the test."""

    def summary(self, timeout: float | None = None) -> str:
        """The stop summary's text (the ``output`` event that starts "Opened
        core"), which follows the ``stopped`` event."""
        m = self.wait_for(lambda m: m.get("event") == "output" and m["body"].get(
            "output", "").startswith("Opened core"), timeout, what="stop summary")
        return m["body"]["output"]  # type: ignore[no-any-return]

    def __init__(self, proc: subprocess.Popen[bytes] | None = None,
                 sock: socket.socket | None = None, validate_messages: bool = True) -> None:
        self.validate = validate_messages
        self.problems: list[str] = []
        super().__init__(proc, sock, timeout=DEFAULT_TIMEOUT)

    # -- starting ------------------------------------------------------------

    @classmethod
    def spawn(cls, *args: str, validate_messages: bool = True) -> Client:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen([sys.executable, "-m", "dapcore", *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                cwd=str(REPO))
        return cls(proc=proc, validate_messages=validate_messages)

    @classmethod
    def connect(cls, host: str, port: int, timeout: float = DEFAULT_TIMEOUT,
                validate_messages: bool = True) -> Client:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.settimeout(None)
        return cls(sock=sock, validate_messages=validate_messages)

    def _received(self, msg: dict[str, Any]) -> None:
        if self.validate:
            try:
                validate(msg)
            except AssertionError as exc:
                self.problems.append(str(exc))

    # -- requests ------------------------------------------------------------

    def send(self, command: str, arguments: dict[str, Any] | None = None,
             check_schema: bool = True) -> int:
        msg: dict[str, Any] = {"seq": self.next_seq(), "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        if self.validate and check_schema:
            validate(msg)
        self.send_message(msg)
        return int(msg["seq"])

    def _no_answer(self, what: str, timeout: float, eof: bool) -> Exception:
        return DapTimeout(f"no {what} within {timeout}s; got "
                          f"{[_short(m) for m in self.messages]}")

    def ok(self, command: str, arguments: dict[str, Any] | None = None,
           timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The body of a successful response (fails the test otherwise)."""
        r = self.request(command, arguments, timeout)
        assert r["success"], f"{command} failed: {r.get('message')}"
        return r.get("body") or {}

    def stderr_text(self) -> str:
        assert self.proc is not None and self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")

    def __enter__(self) -> Client:
        return self


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
