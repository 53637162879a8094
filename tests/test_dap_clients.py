"""The real clients' behaviour, replayed over stdio in their order (see
``shared/dap-notes.md``; recorded from code-server 4.100.3 and nvim-dap):

- VS Code: ``initialize``, ``launch``, then on ``initialized``
  ``configurationDone`` and **``threads`` at once, before the launch
  response**; after ``stopped``: ``threads``, ``stackTrace`` 0/1 then 1/19,
  ``scopes``, ``variables``, ``exceptionInfo``. It focuses the first loaded
  frame with a source that is not de-emphasised; an error response with
  ``showUser`` becomes a red notification.
- nvim-dap: ``launch`` right after the ``initialize`` response, then
  ``configurationDone``; on ``stopped``: ``threads``, ``stackTrace`` with no
  ``levels``; it jumps to the **first frame that has any source**.

Both must land on the user's crash line, as the Go runtime's own traceback
gives it, on every crash scenario, with no option set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest

from dapcore.goruntime.userframe import is_user_function
from tests.dap.harness import NVIM_INIT, REPO, VSCODE_INIT, Client
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import Frame, parse_traceback

CRASH_SCENARIOS = ("nilmap", "nilptr", "index", "custompanic", "throw", "goroutinepanic",
                   "deadlock", "overflow", "cgocrash", "cgocallback", "inflight")
CRASHES = [make_spec("1.27", "default", s) for s in CRASH_SCENARIOS] + [
    make_spec("1.19", "default", "nilmap"), make_spec("1.19", "default", "cgocrash"),
    make_spec("1.23", "stripped", "goroutinepanic"), make_spec("1.27", "noopt", "throw"),
    make_spec("1.27", "trimpath", "deadlock"), make_spec("1.27", "pie", "overflow"),
    make_spec("1.27", "default", "sigquit")]
MANY = make_spec("1.27", "default", "many")
MISMATCH = (make_spec("1.27", "default", "nilmap"), make_spec("1.19", "default", "nilmap"))

def launch_args(fx: Fixture, **extra: Any) -> dict[str, Any]:
    return {"type": "gocore", "request": "launch", "name": "Go core", "program": str(fx.binary),
            "coreFilePath": str(fx.core), "__sessionId": "c0ffee", **extra}


def crash_line(fx: Fixture) -> tuple[int, Frame]:
    """(goroutine id, the user's crash frame) from the runtime's traceback."""
    tb = parse_traceback(fx.stderr_text())
    g = tb.goroutines[0]
    if g.id == 0:  # a SIGQUIT that landed on an idle thread: main's goroutine is shown
        g = next(x for x in tb.goroutines if x.id == 1)
    user = next(f for f in g.frames if isinstance(f, Frame) and is_user_function(f.function, "zoo"))
    return g.id, user


def shown_errors(c: Client) -> list[dict[str, Any]]:
    """Error responses a client would show the user."""
    return [m for m in c.messages if m.get("type") == "response" and not m.get("success")
            and (m.get("body") or {}).get("error", {}).get("showUser", True)]


def same_place(frame: dict[str, Any], want: Frame) -> bool:
    src = frame.get("source") or {}
    path = src.get("path") or ""
    return (frame["line"] == want.line and want.file is not None
            and os.path.basename(path) == os.path.basename(want.file))


@pytest.mark.parametrize("spec", CRASHES, ids=[s.id for s in CRASHES])
def test_vscode_order_lands_on_the_crash_line(spec: FixtureSpec, fixture: Fixture) -> None:
    goid, want = crash_line(fixture)
    with Client.spawn() as c:
        c.ok("initialize", VSCODE_INIT)
        zoo = REPO / "tests" / "fixtures" / "zoo"
        launch = c.send("launch", launch_args(fixture, cwd=str(zoo)))
        c.event("initialized")
        c.send("configurationDone")
        early = c.send("threads")  # before the launch response, as VS Code does
        seen_before = {m.get("request_seq") for m in c.messages if m.get("type") == "response"}
        r = c.response(early)
        assert r["success"], r  # no red notification
        assert c.response(launch)["success"]
        stopped = c.event("stopped")
        tid = stopped["body"]["threadId"]
        assert tid == goid  # thread id = goroutine id
        assert any(t["id"] == tid for t in r["body"]["threads"])
        threads = c.ok("threads")["threads"]
        assert threads == r["body"]["threads"]
        first = c.ok("stackTrace", {"threadId": tid, "startFrame": 0, "levels": 1})
        rest = c.ok("stackTrace", {"threadId": tid, "startFrame": 1, "levels": 19})
        frames = first["stackFrames"] + rest["stackFrames"]
        focus = next(f for f in frames if f.get("source")
                     and f["source"].get("presentationHint") != "deemphasize")
        assert same_place(focus, want), (focus, want)
        assert focus["name"].removesuffix(" (inlined)") == want.function
        scopes = c.ok("scopes", {"frameId": focus["id"]})["scopes"]
        c.ok("variables", {"variablesReference": scopes[0]["variablesReference"]})
        c.ok("exceptionInfo", {"threadId": tid})
        again = c.mark()
        cont = c.request("continue", {"threadId": tid})
        assert not cont["success"] and "cannot be resumed" in cont["message"]
        assert c.event("stopped", start=again)["body"]["threadId"] == tid  # still stopped
        assert [m["request_seq"] for m in shown_errors(c)] == [cont["request_seq"]]
        assert early not in seen_before or r["success"]
        c.ok("disconnect", {"restart": False, "terminateDebuggee": True})
        assert c.proc is not None and c.proc.wait(5) == 0
        assert not c.problems, c.problems


@pytest.mark.parametrize("spec", CRASHES, ids=[s.id for s in CRASHES])
def test_nvim_dap_order_jumps_to_the_crash_line(spec: FixtureSpec, fixture: Fixture) -> None:
    goid, want = crash_line(fixture)
    with Client.spawn() as c:
        c.ok("initialize", NVIM_INIT)
        zoo = REPO / "tests" / "fixtures" / "zoo"  # where -trimpath sources are found
        launch = c.send("launch", launch_args(fixture, cwd=str(zoo)))  # before 'initialized'
        c.event("initialized")
        assert c.response(launch)["success"]
        c.ok("configurationDone")
        stopped = c.event("stopped")
        tid = stopped["body"]["threadId"]
        assert tid == goid
        c.ok("threads")
        frames = c.ok("stackTrace", {"threadId": tid, "startFrame": 0})["stackFrames"]
        jump = next(f for f in frames if f.get("source"))  # nvim-dap's rule
        assert same_place(jump, want), (jump, want)
        assert stopped["body"]["reason"] == ("pause" if spec.scenario.name == "snapshot"
                                             else "exception")
        c.ok("exceptionInfo", {"threadId": tid})
        scopes = c.ok("scopes", {"frameId": jump["id"]})["scopes"]
        for s in scopes:
            if not s.get("expensive"):
                c.ok("variables", {"variablesReference": s["variablesReference"]})
        assert shown_errors(c) == []
        # dap.terminate(): disconnect with terminateDebuggee; stdin stays open
        c.ok("disconnect", {"terminateDebuggee": True})
        assert c.proc is not None and c.proc.wait(5) == 0
        assert not c.problems, c.problems


def test_show_crash_frames_still_shows_everything() -> None:
    """``showCrashFrames``: every frame with its source, the runtime's included."""
    from tests.factory import ensure_all

    fx = next(iter(ensure_all([CRASHES[0]], jobs=1))).fixture
    assert fx is not None
    with Client.spawn() as c:
        c.ok("initialize", NVIM_INIT)
        c.ok("launch", launch_args(fx, showCrashFrames=True))
        c.ok("configurationDone")
        tid = c.event("stopped")["body"]["threadId"]
        frames = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        assert frames[0]["name"] == "runtime.raise" and frames[0].get("source")
        assert all(f.get("source") for f in frames if f["name"].startswith("runtime."))


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_requests_pipelined_after_launch_are_answered(spec: FixtureSpec,
                                                      fixture: Fixture) -> None:
    """200 requests sent without waiting right after ``launch`` on a
    10,000-goroutine core: each waits for the launch and is answered."""
    goid, _ = crash_line(fixture)
    with Client.spawn() as c:
        c.ok("initialize", VSCODE_INIT)
        launch = c.send("launch", launch_args(fixture))
        seqs = [c.send("configurationDone")]
        for i in range(199):
            kind = i % 4
            if kind == 0:
                seqs.append(c.send("threads"))
            elif kind == 1:
                seqs.append(c.send("stackTrace", {"threadId": goid, "startFrame": 0,
                                                  "levels": 20}))
            elif kind == 2:
                seqs.append(c.send("exceptionInfo", {"threadId": goid}))
            else:
                seqs.append(c.send("evaluate", {"expression": "goroutines",
                                                "context": "repl"}))
        assert c.response(launch, timeout=60)["success"]
        for s in seqs:
            r = c.response(s, timeout=120)
            assert r["success"], r
        assert shown_errors(c) == []
        c.event("stopped", timeout=60)
        c.ok("threads")  # anything sent after it comes after it
        assert len(c.events("stopped")) == 1


@pytest.mark.parametrize("spec", [MISMATCH[1]], ids=["mismatched-core"])
def test_failed_launch_ends_the_session_once(spec: FixtureSpec, fixture: Fixture) -> None:
    """A launch that fails is answered with the reason (shown once), then
    ``terminated``: neither client is left 'running' with an empty call
    stack. VS Code's early requests get quiet answers."""
    from tests.factory import ensure_all

    other = next(iter(ensure_all([MISMATCH[0]], jobs=1))).fixture
    assert other is not None
    with Client.spawn() as c:
        c.ok("initialize", VSCODE_INIT)
        launch = c.send("launch", {"program": str(other.binary),
                                   "coreFilePath": str(fixture.core)})
        c.event("initialized")
        done = c.send("configurationDone")
        early = c.send("threads")
        r = c.response(launch)
        assert not r["success"]
        assert "does not match the core" in r["message"], r["message"]
        assert r["message"].count("Go build ID") == 1 and " has " in r["message"]  # both IDs
        assert "internal error" not in r["message"]
        c.event("terminated")
        assert c.response(done)["success"]
        t = c.response(early)
        assert t["success"] or t["body"]["error"]["showUser"] is False, t
        assert [m["request_seq"] for m in shown_errors(c)] == [launch]
        c.ok("disconnect", {"restart": False})
        assert c.proc is not None and c.proc.wait(5) == 0
        assert not c.problems, c.problems


def test_a_launch_can_be_retried_after_a_failure() -> None:
    with Client.spawn() as c:
        c.ok("initialize", NVIM_INIT)
        r = c.request("launch", {"coreFilePath": "/nonexistent/core"})
        assert not r["success"] and "does not exist" in r["message"]
        c.event("terminated")
        r = c.request("launch", {"coreFilePath": "/nonexistent/other"})
        assert not r["success"] and "/nonexistent/other" in r["message"]


def test_stdio_adapter_exits_after_disconnect_with_stdin_open() -> None:
    """The DAP spec: the adapter shuts itself down after ``disconnect``; the
    client may keep our stdin open."""
    with Client.spawn() as c:
        c.ok("initialize", NVIM_INIT)
        t0 = time.monotonic()
        c.ok("disconnect", {"terminateDebuggee": True})
        assert c.proc is not None
        assert c.proc.wait(5) == 0
        assert time.monotonic() - t0 < 3
        assert c.proc.stdin is not None and not c.proc.stdin.closed  # we never closed it


def test_tcp_disconnect_ends_the_session_not_the_listener() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "dapcore", "dap", "--listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    try:
        assert proc.stderr is not None
        port = int(proc.stderr.readline().decode().rsplit(":", 1)[1])
        for _ in range(2):
            with Client.connect("127.0.0.1", port) as c:
                c.ok("initialize", NVIM_INIT)
                c.ok("disconnect", {"terminateDebuggee": True})
                deadline = time.monotonic() + 5
                while not c._eof and time.monotonic() < deadline:  # the server hangs up
                    time.sleep(0.05)
                assert c._eof, "the server kept the connection after disconnect"
        assert proc.poll() is None  # still listening
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("spec", CRASHES[:1], ids=[CRASHES[0].id])
def test_nvim_dap_terminate_ends_the_adapter_cleanly(spec: FixtureSpec,
                                                     fixture: Fixture) -> None:
    """``dap.terminate()`` with an adapter that supports ``terminate``: the
    request, then (on its response) stdin closed and SIGINT at once. The
    adapter ends with status 0 (nvim-dap reports any other status as an
    error: "adapter gocore exited with 130")."""
    import signal

    with Client.spawn() as c:
        c.ok("initialize", NVIM_INIT)
        c.ok("launch", launch_args(fixture))
        c.ok("configurationDone")
        c.event("stopped")
        mark = c.mark()
        c.ok("terminate", {})
        c.event("terminated", start=mark)
        assert c.proc is not None and c.proc.stdin is not None
        c.proc.stdin.close()
        c.proc.send_signal(signal.SIGINT)
        assert c.proc.wait(5) == 0
