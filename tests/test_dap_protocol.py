"""Bad protocol input gets error responses (or a stderr ``output`` event when
no request can be recovered) and the server keeps serving; framing counts
bytes and copes with split and merged reads; cancel; TCP mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import anyio
import pytest

from dapcore.dap.errorids import ErrorId
from dapcore.dap.framing import FrameError, FrameParser, encode
from dapcore.dap.session import HANDLERS, Session
from dapcore.dap.state import State
from tests.dap.harness import REPO, Client, frame

# -- framing (unit) ------------------------------------------------------------


def test_length_is_counted_in_bytes() -> None:
    msg = {"seq": 1, "type": "request", "command": "x", "arguments": {"s": "héllo → 世界"}}
    data = encode(msg)
    head, body = data.split(b"\r\n\r\n", 1)
    assert int(head.split(b":")[1]) == len(body) > len(body.decode())
    assert FrameParser().feed(data) == [msg]


def test_split_and_merged_reads() -> None:
    msgs = [{"seq": i, "type": "request", "command": "c", "arguments": {"n": "é" * i}}
            for i in range(1, 6)]
    data = b"".join(encode(m) for m in msgs)
    for size in (1, 2, 3, 7, 64, len(data)):
        p = FrameParser()
        out: list[Any] = []
        for i in range(0, len(data), size):
            out += p.feed(data[i:i + size])
        assert out == msgs


@pytest.mark.parametrize("bad", [
    b"garbage\r\n\r\n",
    b"Content-Type: x\r\n\r\n",
    b"Content-Length: -5\r\n\r\n",
    b"Content-Length: abc\r\n\r\n",
    b"Content-Length: 99999999999\r\n\r\n",
    b"Content-Length: 5\r\n\r\n[1,2]",
    b"Content-Length: 4\r\n\r\nnull",
    b"Content-Length: 3\r\n\r\n\xff\xfe\xfd",
    b"x" * 10000,
])
def test_bad_input_is_reported_and_parsing_goes_on(bad: bytes) -> None:
    good = {"seq": 9, "type": "request", "command": "threads"}
    p = FrameParser()
    out = p.feed(bad + encode(good))
    assert any(isinstance(o, FrameError) for o in out)
    assert out[-1] == good


def test_unparsable_body_keeps_its_seq() -> None:
    [err] = FrameParser().feed(b'Content-Length: 30\r\n\r\n{"seq": 12, "command": "next",')
    assert isinstance(err, FrameError) and err.seq == 12 and err.command == "next"


# -- the server over stdio ----------------------------------------------------------


def answered(c: Client) -> None:
    """The server still serves: a valid request gets its response."""
    assert c.request("setBreakpoints", {"source": {"path": "x.go"}, "lines": [1]})["success"]


def test_garbage_and_wrong_lengths_over_stdio() -> None:
    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "gocore"})
        for bad in (b"garbage\r\n\r\n", b"Content-Length: -1\r\n\r\n",
                    b"Content-Length: 70000000000\r\n\r\n", b"Content-Length: 7\r\n\r\n[1,2,3]"):
            mark = c.mark()
            c.send_bytes(bad)
            ev = c.event("output", start=mark)
            assert ev["body"]["category"] == "stderr" and "dropped" in ev["body"]["output"]
            answered(c)
        # A body too short for its JSON: an error response to the seq found in it.
        seq = c.next_seq()
        body = json.dumps({"seq": seq, "type": "request", "command": "threads"}).encode()
        c.send_bytes(b"Content-Length: %d\r\n\r\n" % (len(body) - 3) + body[:-3])
        r = c.response(seq)
        assert not r["success"] and "not JSON" in r["message"]
        c.send_bytes(body[-3:] + b"\r\n\r\n")  # the leftover bytes: garbage
        answered(c)
        # Split into single bytes, and two requests merged in one write.
        s1, s2 = c.next_seq(), c.next_seq()
        msgs = [{"seq": s, "type": "request", "command": "setBreakpoints",
                 "arguments": {"source": {"path": "é.go"}, "lines": [s]}} for s in (s1, s2)]
        for b in frame(msgs[0]):
            c.send_bytes(bytes([b]))
        assert c.response(s1)["success"]
        c.send_bytes(frame(msgs[1]) + frame({"seq": c.next_seq(), "type": "request",
                                             "command": "setExceptionBreakpoints",
                                             "arguments": {"filters": []}}))
        assert c.response(s2)["success"]
        c.ok("disconnect")
        assert c.close() == 0
        assert c.problems == []


def test_bad_requests_get_error_responses() -> None:
    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "gocore"})
        bad: list[tuple[str, Any, str]] = [
            ("frobnicate", {}, "unknown request"),
            ("resume", {}, "unknown request"),
            ("frame_error", {}, "unknown request"),
            ("__init__", {}, "unknown request"),
            ("stackTrace", {"threadId": 1}, "launch"),
            ("exceptionInfo", {"threadId": 1}, "launch"),
            ("scopes", {"frameId": 1}, "launch"),
            ("variables", {"variablesReference": 1}, "launch"),
            ("source", {"sourceReference": 0, "source": {"path": "/etc/passwd"}}, "launch"),
            ("continue", {"threadId": 1}, "launch"),
            ("stackTrace", {"threadId": "1"}, "must be an integer"),
            ("stackTrace", {"threadId": True}, "must be an integer"),
            ("stackTrace", {}, "required"),
            ("stackTrace", {"threadId": 1, "levels": -3}, "negative"),
            ("launch", {"coreFilePath": ["a"]}, "must be a string"),
            ("launch", {"coreFilePath": "/nonexistent/core", "hideSystemGoroutines": "yes"},
             "must be a boolean"),
            ("setBreakpoints", {"source": "x.go"}, "must be an object"),
        ]
        ids = {"unknown request": ErrorId.UNKNOWN_REQUEST, "launch": ErrorId.NO_CORE}
        for command, args, needle in bad:
            seq = c.send(command, args, check_schema=False)
            r = c.response(seq)
            assert not r["success"] and needle in r["message"], (command, args, r)
            assert r["body"]["error"]["id"] == ids.get(needle, ErrorId.BAD_ARGUMENTS), r
            answered(c)
        # Not an object as arguments; not a request; no seq at all.
        seq = c.next_seq()
        c.send_bytes(frame({"seq": seq, "type": "request", "command": "threads",
                            "arguments": [1]}))
        assert not c.response(seq)["success"]
        seq = c.next_seq()
        c.send_bytes(frame({"seq": seq, "type": "nonsense", "command": "threads"}))
        assert not c.response(seq)["success"]
        mark = c.mark()
        c.send_bytes(frame({"type": "request", "command": "threads"}))
        assert c.event("output", start=mark)["body"]["category"] == "stderr"
        answered(c)
        c.ok("disconnect")
        assert c.close() == 0
        assert c.problems == []


def test_error_format_is_the_message_as_it_is() -> None:
    """``body.error.format`` is what VS Code and nvim-dap show (``showUser``):
    the message with its braces as they are (a Go type such as
    ``struct { Z int }``, a path), never escaped to ``{{``: the protocol has
    no escape, and the clients substitute only the ``variables`` sent."""
    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "gocore"})
        for command, args in (("launch", {"coreFilePath": "/nonexistent/{core}/x"}),
                              ("fr{ob}nicate", {})):
            r = c.response(c.send(command, args, check_schema=False))
            assert not r["success"] and "{" in r["message"], r
            assert r["body"]["error"]["format"] == r["message"], r
            assert "{{" not in r["message"] and "variables" not in r["body"]["error"], r
            answered(c)
        c.ok("disconnect")
        assert c.close() == 0


def test_stdout_carries_protocol_only_and_eof_ends() -> None:
    with Client.spawn("--log", os.devnull) as c:
        c.ok("initialize", {"adapterID": "gocore"})
        assert c.close() == 0  # stdin closed: the server exits
        assert c.problems == []


def test_tcp_listen_port_zero() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "dapcore", "dap", "--listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=REPO)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        assert line.startswith("dapcore: listening on 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        for _ in range(2):  # one session per connection, one after another
            with Client.connect("127.0.0.1", port) as c:
                body = c.ok("initialize", {"adapterID": "gocore"})
                assert body["supportsConfigurationDoneRequest"] is True
                c.event("initialized")
                # before any launch: nothing to list, and nothing to alarm the user with
                assert c.ok("threads") == {"threads": []}
                c.ok("disconnect")
                assert c.problems == []
    finally:
        proc.terminate()
        proc.wait(10)


# -- concurrency and cancel (in process) ------------------------------------------------


def test_cancel_and_answers_while_a_slow_request_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []

    async def slow_threads(self: State, args: dict[str, Any]) -> Any:
        await self.run(time.sleep, 3)
        raise AssertionError("not cancelled")

    monkeypatch.setitem(HANDLERS, "threads", slow_threads)

    async def main() -> float:
        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg)

        session = Session(send, lambda: None)
        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(session.handle, {"seq": 1, "type": "request", "command": "threads"})
            await anyio.sleep(0.1)
            await session.handle({"seq": 2, "type": "request", "command": "initialize",
                                  "arguments": {"adapterID": "x"}})
            await session.handle({"seq": 3, "type": "request", "command": "cancel",
                                  "arguments": {"requestId": 1}})
        return time.monotonic() - started

    elapsed = anyio.run(main)
    assert elapsed < 2
    responses = [m for m in sent if m["type"] == "response"]
    assert [(r["request_seq"], r["success"]) for r in responses] == [
        (2, True), (3, True), (1, False)]
    assert responses[-1]["message"] == "cancelled"
    assert responses[-1]["body"]["error"]["id"] == ErrorId.CANCELLED


def test_a_core_that_cannot_be_read_ends_the_session_with_the_reason() -> None:
    from dapcore.dap.config import LaunchConfig
    from dapcore.errors import UnreadableMemory
    from tests.dap.harness import validate

    class Rep:  # the crash is read first (its goroutine alone), then every goroutine
        @property
        def crash(self) -> Any:
            raise UnreadableMemory(0x1000, 8)

        @property
        def goroutines(self) -> list[Any]:
            raise UnreadableMemory(0x1000, 8)

    sent: list[dict[str, Any]] = []

    async def main() -> None:
        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg)

        session = Session(send, lambda: None)
        session.engine = Rep()  # type: ignore[assignment]
        session.config = LaunchConfig(program="p", core="c", cwd="/")
        await session.handle({"seq": 1, "type": "request", "command": "configurationDone"})
        await session.handle({"seq": 2, "type": "request", "command": "threads"})

    anyio.run(main)
    for m in sent:
        validate(m)
    assert not [m for m in sent if m.get("event") == "stopped"]
    said = [m["body"]["output"] for m in sent if m.get("event") == "output"
            and m["body"].get("category") == "important"]
    assert len(said) == 1 and "cannot read 8 bytes" in said[0], sent
    assert [m for m in sent if m.get("event") == "terminated"]
    threads = next(m for m in sent if m.get("command") == "threads")
    assert not threads["success"] and "cannot read" in threads["message"]
