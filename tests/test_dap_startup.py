"""The stdio server's start-up (issue #16): ``initialize`` is answered by a
synchronous first exchange before anyio, asyncio, the session and the engine
are imported, and the session goes on from it exactly as it would have: any
other first message is answered by the session itself, the same way as
anywhere in a session, and requests sent with ``initialize`` in one write
are all answered.

What the server imported before it answered is read from ``-X importtime``
with stdout and stderr on one pipe: the interpreter writes each import's
line before the server writes its response, so the lines before the
response's ``Content-Length`` header are the imports that preceded it (a
behavioural check, not a timing). The interpreter runs without ``site``
(``-S``, the site-packages directories on ``PYTHONPATH`` instead), so that
what this environment's ``.pth`` files import cannot hide an import of
dapcore's."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import site
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from dapcore.dap.framing import encode
from dapcore.dap.greeting import CAPABILITIES
from tests.dap.harness import REPO, Client, frame
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

NILMAP = make_spec("1.27", "default", "nilmap")
INITIALIZE = {"seq": 1, "type": "request", "command": "initialize",
              "arguments": {"adapterID": "gocore", "clientID": "vscode", "linesStartAt1": True,
                            "columnsStartAt1": True, "pathFormat": "path"}}

# How editors start the adapter: the VS Code extension and the README's
# nvim-dap setup run ``python -m dapcore``; the console script runs
# dapcore.cli.main with ``dap``.
ENTRIES = {
    "python -m dapcore": ["-m", "dapcore"],
    "python -m dapcore dap": ["-m", "dapcore", "dap"],
    "dapcore dap": ["-c", "import sys; from dapcore.cli import main; sys.exit(main(['dap']))"],
}
# Not one of these may be imported before 'initialize' is answered.
NOT_BEFORE = ("anyio", "asyncio", "sniffio", "logging", "threading", "dataclasses", "inspect",
              "dapcore.dap.server", "dapcore.dap.session", "dapcore.dap.lifecycle",
              "dapcore.dap.state", "dapcore.dap.inspection", "dapcore.engine", "elftools",
              "capstone")


def _env() -> dict[str, str]:
    """This checkout and the installed packages, without ``site`` (``-S``)."""
    paths = [str(REPO), *site.getsitepackages(), site.getusersitepackages()]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (*paths, os.environ.get("PYTHONPATH")) if p))


def _first_frame(proc: subprocess.Popen[bytes], timeout: float = 60.0
                 ) -> tuple[str, dict[str, Any]]:
    """(what the pipe carried before the first protocol message, that message)."""
    assert proc.stdout is not None
    buf = b""
    deadline = time.monotonic() + timeout
    while True:
        start = buf.find(b"Content-Length:")
        end = buf.find(b"\r\n\r\n", start) if start >= 0 else -1
        if end >= 0:
            length = int(buf[start + len(b"Content-Length:"):end])
            if len(buf) >= end + 4 + length:
                body = json.loads(buf[end + 4:end + 4 + length])
                return buf[:start].decode(errors="replace"), body
        left = deadline - time.monotonic()
        assert left > 0, f"no response within {timeout} s; got {buf[-2000:]!r}"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        data = os.read(proc.stdout.fileno(), 65536) if ready else b""
        assert data or not ready, f"the server ended before answering: {buf[-2000:]!r}"
        buf += data


def imported_by_dapcore(importtime: str) -> list[str]:
    """The modules ``-X importtime`` lists after ``site``, when there is one
    (its imports — editable-install finders, ``.pth`` files — are not
    dapcore's)."""
    lines = re.findall(r"^import time:\s+\d+ \|\s+\d+ \| ( *)(\S+)\s*$", importtime, re.M)
    names = [name for _, name in lines]
    site = [i for i, (indent, name) in enumerate(lines) if name == "site" and not indent]
    return names[site[0] + 1:] if site else names


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_initialize_is_answered_before_the_server_is_imported(entry: str) -> None:
    proc = subprocess.Popen([sys.executable, "-S", "-X", "importtime", *ENTRIES[entry]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=_env(), cwd=str(REPO))
    try:
        assert proc.stdin is not None
        proc.stdin.write(frame(INITIALIZE))
        proc.stdin.flush()
        before, response = _first_frame(proc)
        proc.stdin.close()
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert response == {"seq": 1, "type": "response", "request_seq": 1, "success": True,
                        "command": "initialize", "body": CAPABILITIES}
    ours = imported_by_dapcore(before)
    assert "dapcore.dap.handshake" in ours, before[-3000:]
    early = [m for m in ours if m.split(".")[0] in NOT_BEFORE or m in NOT_BEFORE]
    assert early == [], f"imported before 'initialize' was answered: {early}"


def _first_answer(c: Client, start: int) -> dict[str, Any]:
    return c.wait_for(lambda m: True, start=start, what="an answer")


def _numbered(c: Client) -> None:
    """The server numbered its messages 1, 2, 3 … with no gap or repeat."""
    assert [m["seq"] for m in c.messages] == list(range(1, len(c.messages) + 1))


def _not_json(seq: int) -> bytes:
    body = b'{"seq": %d, "type": "request", "command": "initialize", ' % seq
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


SEQ = 100
FIRST_MESSAGES = {
    "garbage": b"garbage\r\n\r\n",
    "body not JSON": _not_json(SEQ),
    "threads before initialize": frame({"seq": SEQ, "type": "request", "command": "threads"}),
    "adapterID not a string": frame({"seq": SEQ, "type": "request", "command": "initialize",
                                     "arguments": {"adapterID": 5}}),
    "arguments not an object": frame({"seq": SEQ, "type": "request", "command": "initialize",
                                      "arguments": [1]}),
    "lone surrogate": frame({"seq": SEQ, "type": "request", "command": "initialize",
                             "arguments": {"adapterID": "\ud800"}}),
    "seq out of range": frame({"seq": 2**31, "type": "request", "command": "initialize"}),
    "not a request": frame({"seq": SEQ, "type": "nonsense", "command": "initialize"}),
}


@pytest.mark.parametrize("first", list(FIRST_MESSAGES))
def test_a_first_message_that_is_not_a_good_initialize_gets_the_sessions_answer(
        first: str) -> None:
    """The answer is the one the session gives the same message after a
    good ``initialize`` (the reference), and the session goes on."""
    bad = FIRST_MESSAGES[first]
    with Client.spawn(validate_messages=False) as ref:
        ref.ok("initialize", {"adapterID": "gocore"})
        ref.event("initialized")
        mark = ref.mark()
        ref.send_bytes(bad)
        want = _first_answer(ref, mark)
        ref.ok("disconnect")
        assert ref.close() == 0
    with Client.spawn(validate_messages=False) as c:
        c.send_bytes(bad)
        got = _first_answer(c, 0)
        assert {**got, "seq": None} == {**want, "seq": None}
        body = c.ok("initialize", {"adapterID": "gocore"})
        assert body == CAPABILITIES
        c.event("initialized")
        assert c.request("setBreakpoints", {"source": {"path": "x.go"}, "lines": [1]})["success"]
        c.ok("disconnect")
        assert c.close() == 0
        _numbered(c)


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_requests_sent_with_initialize_in_one_write(spec: FixtureSpec, fixture: Fixture) -> None:
    """initialize, launch, configurationDone and threads in one write (the
    first exchange reads them all): each is answered, the stop is on the
    crashing goroutine, and a later initialize gets the same capabilities."""
    launch = {"type": "gocore", "request": "launch", "program": str(fixture.binary),
              "coreFilePath": str(fixture.core)}
    with Client.spawn() as c:
        seqs = [c.next_seq() for _ in range(4)]
        c.send_bytes(b"".join(frame({"seq": s, "type": "request", "command": cmd,
                                     **({"arguments": a} if a is not None else {})})
                              for s, (cmd, a) in zip(seqs, [("initialize", INITIALIZE["arguments"]),
                                                            ("launch", launch),
                                                            ("configurationDone", None),
                                                            ("threads", None)], strict=True)))
        answers = [c.response(s, timeout=120) for s in seqs]
        assert all(a["success"] for a in answers), answers
        assert answers[0]["body"] == CAPABILITIES
        stopped = c.event("stopped", timeout=120)
        assert stopped["body"]["threadId"] == fixture.facts()["crashGoroutine"]
        ids = {t["id"] for t in answers[3]["body"]["threads"]}
        assert stopped["body"]["threadId"] in ids
        assert c.messages.index(c.event("initialized")) == 1  # right after the response
        assert c.ok("initialize", {"adapterID": "gocore"}) == CAPABILITIES
        c.ok("disconnect")
        assert c.close() == 0
        _numbered(c)
        assert c.problems == []


@pytest.mark.parametrize("sent", [b"", b"Content-Length: 40\r\n\r\n{\"seq\": 1"])
def test_input_that_ends_before_the_first_message_ends_the_adapter(sent: bytes) -> None:
    with Client.spawn() as c:
        c.send_bytes(sent)
        assert c.close() == 0
        assert c.messages == []


def test_sigint_before_the_first_message_ends_the_adapter_quietly() -> None:
    """nvim-dap ends an adapter with SIGINT; before the first message too."""
    proc = subprocess.Popen([sys.executable, "-S", "-X", "importtime", "-m", "dapcore"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env(), cwd=str(REPO))
    try:
        assert proc.stderr is not None
        seen = b""
        while b"dapcore.dap.handshake" not in seen:  # waiting for its first message
            data = os.read(proc.stderr.fileno(), 65536)
            assert data, seen[-2000:]
            seen += data
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        err = (seen + proc.stderr.read()).decode(errors="replace")
        assert "interrupted by the client" in err and "Traceback" not in err, err[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigint_right_after_the_answer_to_initialize_ends_the_adapter_quietly(
        tmp_path: Path) -> None:
    """A SIGINT that arrives while the server is still being imported (the
    answer to 'initialize' came first) ends the adapter as any SIGINT does.
    An empty bytecode cache makes that import slow enough to be hit."""
    env = dict(_env(), PYTHONPYCACHEPREFIX=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "dapcore"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=str(REPO))
    try:
        assert proc.stdin is not None and proc.stderr is not None
        proc.stdin.write(frame(INITIALIZE))
        proc.stdin.flush()
        _, response = _first_frame(proc)
        proc.send_signal(signal.SIGINT)
        assert response["success"]
        assert proc.wait(60) == 0
        err = proc.stderr.read().decode(errors="replace")
        assert "interrupted by the client" in err and "Traceback" not in err, err[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _exchange(chunks: list[bytes]) -> tuple[Any, bytes]:
    """first_exchange over pipes fed ``chunks`` (then the end of the input):
    (its Start, what it wrote)."""
    from dapcore.dap.handshake import first_exchange

    rin, win = os.pipe()
    rout, wout = os.pipe()
    try:
        for chunk in chunks:
            os.write(win, chunk)
        os.close(win)
        start = first_exchange(rin, wout)
        os.close(wout)
        written = b""
        while data := os.read(rout, 65536):
            written += data
        return start, written
    finally:
        os.close(rin)
        os.close(rout)


def test_a_decoder_failure_in_the_first_exchange_is_left_to_the_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every byte read is handed on undecoded (the server decodes it again,
    meets the failure and reports it as it does anywhere in a session)."""
    from dapcore.dap.framing import FrameParser
    from dapcore.dap.handshake import first_exchange

    calls: list[bytes] = []
    real = FrameParser.feed

    def feed(self: FrameParser, data: bytes) -> Any:
        calls.append(data)
        if len(calls) == 2:
            raise ValueError("a decoder bug")
        return real(self, data)

    monkeypatch.setattr(FrameParser, "feed", feed)
    whole = frame(INITIALIZE)
    rin, win = os.pipe()
    os.write(win, whole[:10])
    later = threading.Timer(0.3, os.write, (win, whole[10:]))  # a second read
    later.start()
    try:
        start = first_exchange(rin, -1)
    finally:
        later.join()
        os.close(rin)
        os.close(win)
    assert calls == [whole[:10], whole[10:]]
    assert start.unfed == whole and start.pending == [] and start.sent == 0
    monkeypatch.undo()
    assert start.parser.feed(b"") == []  # a fresh parser


def test_the_first_exchange_hands_on_what_came_with_initialize() -> None:
    launch = {"seq": 2, "type": "request", "command": "launch", "arguments": {"program": "x"}}
    rest = frame(launch)
    start, written = _exchange([frame(INITIALIZE) + rest + rest[:7]])
    assert start.client == INITIALIZE["arguments"] and start.sent == 2
    assert start.pending == [launch]  # decoded, for the session
    assert start.parser.feed(rest[7:]) == [launch]  # the parser holds the partial third
    assert written == encode({"seq": 1, "type": "response", "request_seq": 1, "success": True,
                              "command": "initialize", "body": CAPABILITIES}) + encode(
        {"seq": 2, "type": "event", "event": "initialized"})
