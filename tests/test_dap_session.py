"""Full DAP sessions over real fixture cores, driven by the headless harness
(``python -m dapcore`` over stdio). Every message in both directions is
checked against the official DAP JSON schema."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from dapcore.dap.errorids import ErrorId
from dapcore.goruntime.userframe import is_user_function
from tests.dap.harness import REPO, Client, start_session
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import Frame, parse_traceback

CRASHES = [
    make_spec("1.27", "default", "nilmap"),
    make_spec("1.27", "default", "nilptr"),
    make_spec("1.27", "default", "goroutinepanic"),
    make_spec("1.27", "default", "sigquit"),
    make_spec("1.19", "default", "custompanic"),
    make_spec("1.27", "pie", "nilmap"),
    make_spec("1.27", "stripped", "nilptr"),
    make_spec("1.23", "trimpath", "custompanic"),
    make_spec("1.15", "default", "typednil"),
    make_spec("1.15", "stripped", "nilptr"),
]
SNAPSHOT = make_spec("1.27", "default", "snapshot")
ALL = [*CRASHES, SNAPSHOT]
NILMAP = CRASHES[0]

ZOO = REPO / "tests" / "fixtures" / "zoo"


def recorded_zoo(fixture: Fixture) -> str:
    """The zoo directory the fixture's binary was compiled in, as its line
    tables (and so the runtime's traceback) record it: the fixture cache is
    shared between checkouts, so it need not be this checkout's ZOO."""
    tb = parse_traceback(fixture.stderr_text())
    for g in tb.goroutines:
        for f in g.frames:
            if isinstance(f, Frame) and f.function.startswith("main.") and f.file:
                return os.path.dirname(f.file)
    raise AssertionError("no main.* frame in the traceback")
_GOID = re.compile(r"^\[Go (\d+)\] ")


def launch_args(fx: Fixture, **extra: Any) -> dict[str, Any]:
    return {"type": "gocore", "request": "launch", "mode": "core", "program": str(fx.binary),
            "coreFilePath": str(fx.core), **extra}


def goid_of(client: Client, thread_id: int) -> int:
    names = {t["id"]: t["name"] for t in client.ok("threads")["threads"]}
    m = _GOID.match(names[thread_id])
    assert m, names[thread_id]
    return int(m.group(1))


def oracle(fx: Fixture) -> Any:
    if fx.spec.scenario.name == "snapshot":
        return parse_traceback(fx.side_file("stack.txt").read_text())
    return parse_traceback(fx.stderr_text())


def first_user_frame(frames: list[Any], main_module: str | None) -> Frame:
    return next(f for f in frames
                if isinstance(f, Frame) and is_user_function(f.function, main_module))


def frame_function(f: dict[str, Any]) -> str:
    """The function a DAP frame shows: its name without `` (inlined)`` and
    without the `` (runtime/panic.go:878)`` of a runtime frame above the
    first user frame (such frames carry no ``source``)."""
    name = f["name"]
    if "source" not in f:
        name = re.sub(r" \([^()]*:\d+\)$", "", name)
    return name.removesuffix(" (inlined)")


def focused_frame(frames: list[dict[str, Any]]) -> dict[str, Any]:
    """The frame VS Code focuses: the first with a source that is not de-emphasised."""
    return next(f for f in frames if f.get("source") and f.get("presentationHint") != "label"
                and f["source"].get("presentationHint") != "deemphasize")


@pytest.mark.parametrize("spec", CRASHES, ids=[s.id for s in CRASHES])
def test_crash_session_lands_on_the_crash_line(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = oracle(fixture)
    first_line = fixture.stderr_text().splitlines()[0]
    with Client.spawn() as c:
        # cwd: where -trimpath's relative file names are found
        stopped = start_session(c, launch_args(fixture, cwd=str(ZOO)))
        body = stopped["body"]
        assert body["reason"] == "exception"
        assert body["allThreadsStopped"] is True
        assert body["description"] == body["text"] == first_line
        tid = body["threadId"]
        crashed = tb.goroutines[0]
        on_g0 = crashed.id == 0  # a SIGQUIT that landed on an idle thread (goroutine 0 [idle])
        if on_g0:
            crashed = tb.goroutine(1)  # no goroutine was hit: dapcore stops on main's
        assert goid_of(c, tid) == crashed.id == tid  # thread id = goroutine id
        if "crashGoroutine" in fixture.facts():
            assert crashed.id == fixture.facts()["crashGoroutine"]

        threads = c.ok("threads")["threads"]
        ids = [int(_GOID.match(t["name"]).group(1)) for t in threads]  # type: ignore[union-attr]
        assert sorted(ids) == sorted(g.id for g in tb.goroutines if g.id != 0)
        assert [t["id"] for t in threads] == ids
        assert ids[0] == crashed.id and ("crashed" in threads[0]["name"] or on_g0)
        assert len({t["id"] for t in threads}) == len(threads)

        st = c.ok("stackTrace", {"threadId": tid})
        frames = st["stackFrames"]
        assert st["totalFrames"] == len(frames)
        main_module = fixture.meta.get("module") or "zoo"
        want = first_user_frame(crashed.frames, main_module)
        got = focused_frame(frames)
        assert got["name"].removesuffix(" (inlined)") == want.function
        assert got["line"] == want.line
        assert want.file is not None and (got["source"]["path"].endswith(want.file.lstrip("/"))
                                          or want.file.endswith(got["source"]["name"]))
        # nvim-dap jumps to the first frame with any source: the same frame.
        assert next(f for f in frames if f.get("source")) is got
        # Only the label may come before the runtime's own first printed frame;
        # runtime frames above the user's carry their place in their name.
        printed = [f for f in frames if f.get("presentationHint") != "label"]
        assert frame_function(printed[0]) == crashed.frames[0].function
        for f in frames:
            assert "instructionPointerReference" in f
            if "source" not in f:
                assert f["line"] == 0

        info = c.ok("exceptionInfo", {"threadId": tid})
        assert info["description"] == first_line
        assert info["breakMode"] == "always"
        assert info["details"]["message"].splitlines()[0] == first_line
        assert info["details"]["stackTrace"].startswith(f"goroutine {crashed.id} [")
        if fixture.facts().get("crashKind") == "panic":
            assert info["exceptionId"] == "panic"
            # An error value was replaced by its Error() text before the
            # runtime printed it (preprintpanics), so the core holds a string:
            # a runtime error when the runtime called panic, else unknown
            # (never a misleading "string" for the user's error value).
            runtime_raised = crashed.frames[1].function.startswith("runtime.")
            if runtime_raised:
                assert info["details"]["typeName"] == "runtime.Error"
            else:
                assert "typeName" not in info["details"], info["details"]

        c.summary()  # (it follows once the client has been quiet: issue #16)
        outs = [e for e in c.events("output") if e["body"].get("category") == "console"]
        assert len(outs) == 1, outs
        out = outs[0]
        text = out["body"]["output"]
        assert str(fixture.core) in text and first_line in text and "goroutines" in text
        assert len(c.events("stopped")) == 1
        c.ok("disconnect", {"terminateDebuggee": True})
        assert c.close() == 0
        assert c.problems == []


def test_snapshot_session_stops_with_pause(fixture: Fixture, spec: FixtureSpec = SNAPSHOT) -> None:
    tb = oracle(fixture)
    dumper = fixture.facts()["dumperGoroutine"]
    with Client.spawn() as c:
        # runtime.Stack(buf, true) leaves out the runtime's own goroutines.
        body = start_session(c, launch_args(fixture, hideSystemGoroutines=True))["body"]
        assert body["reason"] == "pause"
        threads = c.ok("threads")["threads"]
        ids = {int(_GOID.match(t["name"]).group(1)) for t in threads}  # type: ignore[union-attr]
        assert ids == {g.id for g in tb.goroutines if g.id != dumper}
        for t in threads[:5]:
            st = c.ok("stackTrace", {"threadId": t["id"], "startFrame": 0, "levels": 20})
            assert st["totalFrames"] >= len(st["stackFrames"]) > 0
        c.ok("disconnect")
        assert c.close() == 0
        assert c.problems == []


test_snapshot_session_stops_with_pause = pytest.mark.parametrize(
    "spec", [SNAPSHOT], ids=[SNAPSHOT.id])(test_snapshot_session_stops_with_pause)


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_nvim_dap_style_session(spec: FixtureSpec, fixture: Fixture) -> None:
    """nvim-dap: launch right after the initialize response, all frames at
    once, continue (an error, then stopped again), disconnect terminateDebuggee."""
    with Client.spawn() as c:
        init = c.send("initialize", {"adapterID": "gocore", "clientID": "neovim",
                                     "pathFormat": "path", "linesStartAt1": True,
                                     "columnsStartAt1": True})
        c.response(init)
        launch = c.send("launch", launch_args(fixture))
        c.event("initialized")
        assert c.response(launch)["success"]
        c.ok("setExceptionBreakpoints", {"filters": []})
        c.ok("configurationDone")
        stopped = c.event("stopped")
        tid = stopped["body"]["threadId"]
        frames = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        # nvim-dap jumps to the first frame with a source, ignoring hints: the
        # folded crash-handling frames carry none.
        assert frames[0]["presentationHint"] == "label" and "source" not in frames[0]
        c.ok("exceptionInfo", {"threadId": tid})
        scopes = c.ok("scopes", {"frameId": frames[3]["id"]})["scopes"]
        # An optimized build: "Locals (optimized)", then the package's globals.
        assert scopes[0]["name"].startswith("Locals") and scopes[0]["presentationHint"] == "locals"
        assert not scopes[0].get("expensive")
        # nvim-dap asks for the variables of non-expensive scopes without a count.
        c.ok("variables", {"variablesReference": scopes[0]["variablesReference"]})
        for command in ("continue", "next", "stepIn", "stepOut", "pause", "reverseContinue"):
            mark = c.mark()
            r = c.request(command, {"threadId": tid})
            assert not r["success"] and r["message"] == "a core file cannot be resumed"
            assert r["body"]["error"]["id"] == ErrorId.CANNOT_RESUME
            again = c.event("stopped", start=mark)
            assert again["body"]["threadId"] == tid and again["body"]["allThreadsStopped"]
        c.ok("disconnect", {"terminateDebuggee": True})
        assert c.close() == 0
        assert c.problems == []


@pytest.mark.parametrize("spec", [CRASHES[2]], ids=[CRASHES[2].id])
def test_vscode_style_paging_and_ids(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        tid = start_session(c, launch_args(fixture), launch_first=False)["body"]["threadId"]
        whole = c.ok("stackTrace", {"threadId": tid})
        first = c.ok("stackTrace", {"threadId": tid, "startFrame": 0, "levels": 1})
        rest = c.ok("stackTrace", {"threadId": tid, "startFrame": 1, "levels": 19})
        assert first["totalFrames"] == rest["totalFrames"] == whole["totalFrames"]
        assert first["stackFrames"] + rest["stackFrames"] == whole["stackFrames"][:20]
        assert c.ok("stackTrace", {"threadId": tid, "startFrame": 999})["stackFrames"] == []
        seen: set[int] = set()
        for t in c.ok("threads")["threads"]:
            ids = [f["id"] for f in c.ok("stackTrace", {"threadId": t["id"]})["stackFrames"]]
            assert not seen & set(ids), "frame ids must be unique across threads"
            seen |= set(ids)
            again = [f["id"] for f in c.ok("stackTrace", {"threadId": t["id"]})["stackFrames"]]
            assert again == ids, "frame ids must be stable"
        assert all(0 < i < 2**31 for i in seen)
        c.ok("disconnect")
        assert c.problems == []


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_show_crash_frames_and_progress(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        tid = start_session(c, launch_args(fixture, showCrashFrames=True),
                            progress=True)["body"]["threadId"]
        frames = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        assert frames[0]["name"] == "runtime.raise"
        assert not any(f.get("presentationHint") == "label" for f in frames)
        start, end = c.event("progressStart"), c.event("progressEnd")
        assert start["body"]["progressId"] == end["body"]["progressId"]
        c.ok("disconnect")
        assert c.problems == []
    with Client.spawn() as c:  # no progress unless the client supports it; a depth cap
        tid = start_session(c, launch_args(fixture, stackTraceDepth=3))["body"]["threadId"]
        st = c.ok("stackTrace", {"threadId": tid})
        assert st["totalFrames"] == len(st["stackFrames"]) == 3
        assert c.events("progressStart") == []
        c.ok("disconnect")
        assert c.problems == []


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_launch_errors_and_omitted_program(spec: FixtureSpec, fixture: Fixture,
                                          tmp_path: Any) -> None:
    other = make_spec("1.19", "default", "custompanic")
    from tests.factory import ensure

    other_fx = ensure(other)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"coreFilePath": str(tmp_path / "nope.core"), "program": str(fixture.binary)},
         "does not exist"),
        ({"coreFilePath": str(fixture.core), "program": str(tmp_path / "nope")},
         "does not exist"),
        ({"coreFilePath": str(fixture.core), "program": str(other_fx.binary)}, "does not match"),
        ({"program": str(fixture.binary)}, "coreFilePath"),
        ({"coreFilePath": 42}, "must be a string"),
        ({"coreFilePath": str(fixture.core), "substitutePath": [{"from": 1}]}, "substitutePath"),
    ]
    for args, needle in cases:
        with Client.spawn() as c:
            c.ok("initialize", {"adapterID": "gocore"})
            r = c.request("launch", args)
            assert not r["success"] and needle in r["message"], (args, r)
            r = c.request("threads")
            assert not r["success"] and "launch" in r["message"]
            c.ok("disconnect")
            assert c.problems == []
    # The core names the executable it ran from, and it exists here.
    with Client.spawn() as c:
        body = start_session(c, {"coreFilePath": str(fixture.core)})["body"]
        assert body["reason"] == "exception"
        c.ok("disconnect")
    # attach means the same as launch; terminate then disconnect ends cleanly.
    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "gocore"})
        c.ok("attach", launch_args(fixture, request="attach", dlvFlags=["--check-go-version"]))
        c.ok("configurationDone")
        c.event("stopped")
        r = c.request("launch", launch_args(fixture))
        assert not r["success"] and "already open" in r["message"]
        mark = c.mark()
        c.ok("terminate", {})
        c.event("terminated", start=mark)
        c.ok("disconnect", {"terminateDebuggee": True})
        assert c.close() == 0
        assert c.problems == []


@pytest.mark.parametrize("spec", [CRASHES[7]], ids=[CRASHES[7].id])
def test_source_mapping_and_safety(spec: FixtureSpec, fixture: Fixture) -> None:
    """-trimpath paths map to cwd; only the binary's files are ever served."""
    from tests.dap.harness import REPO

    zoo = REPO / "tests" / "fixtures" / "zoo"
    with Client.spawn() as c:
        tid = start_session(c, launch_args(fixture, cwd=str(zoo)))["body"]["threadId"]
        frames = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        user = focused_frame(frames)
        assert user["source"]["path"] == str(zoo / "scenario_custompanic.go")
        text = c.ok("source", {"source": user["source"], "sourceReference": 0})["content"]
        assert "func mustLoadConfig" in text
        runtime = next(f for f in frames if f.get("source", {}).get("presentationHint"))
        assert runtime["source"]["path"].endswith("/src/runtime/proc.go")  # runtime.main
        c.ok("source", {"source": runtime["source"], "sourceReference": 0})
        for path in ("/etc/passwd", str(REPO / "pyproject.toml"), "../../etc/passwd"):
            r = c.request("source", {"source": {"path": path}, "sourceReference": 0})
            assert not r["success"] and "source not available" in r["message"]
        r = c.request("setBreakpoints", {"source": user["source"],
                                         "breakpoints": [{"line": 3}, {"line": 7}]})
        bps = r["body"]["breakpoints"]
        assert [b["verified"] for b in bps] == [False, False] and bps[0]["message"]
        c.ok("disconnect")
        assert c.problems == []


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_substitute_path(spec: FixtureSpec, fixture: Fixture, tmp_path: Any) -> None:
    from tests.dap.harness import REPO

    zoo = REPO / "tests" / "fixtures" / "zoo"
    copy = tmp_path / "src"
    copy.mkdir()
    (copy / "scenario_nilmap.go").write_text((zoo / "scenario_nilmap.go").read_text())
    with Client.spawn() as c:
        sub = [{"from": recorded_zoo(fixture), "to": str(copy)}]
        tid = start_session(c, launch_args(fixture, substitutePath=sub))["body"]["threadId"]
        user = focused_frame(c.ok("stackTrace", {"threadId": tid})["stackFrames"])
        assert user["source"]["path"] == str(copy / "scenario_nilmap.go")
        c.ok("source", {"source": user["source"], "sourceReference": 0})
        c.ok("disconnect")
        assert c.problems == []


@pytest.mark.parametrize("spec", [CRASHES[7]], ids=[CRASHES[7].id])
def test_disassembly_when_the_file_is_missing(spec: FixtureSpec, fixture: Fixture,
                                              tmp_path: Any) -> None:
    """No local copy of the program's files: the frame's source is the
    function's disassembly, annotated with its lines, and its line is the
    crashing instruction's."""
    with Client.spawn() as c:
        tid = start_session(c, launch_args(fixture, cwd=str(tmp_path)))["body"]["threadId"]
        frames = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        user = focused_frame(frames)
        src = user["source"]
        assert "path" not in src and src["sourceReference"] > 0
        text = c.ok("source", {"source": src, "sourceReference": src["sourceReference"]})[
            "content"]
        lines = text.splitlines()
        assert "main.mustLoadConfig" in lines[0]
        shown = lines[user["line"] - 1].split("\t")
        assert shown[1] == "call"  # the call that panicked, just before the return address
        assert int(shown[0], 16) < int(user["instructionPointerReference"], 16)
        assert "// scenario_custompanic.go:" in text
        c.ok("disconnect")
        assert c.problems == []


@pytest.mark.parametrize("spec", [CRASHES[1], CRASHES[5]], ids=[CRASHES[1].id, CRASHES[5].id])
def test_modules_sources_memory_disassembly(spec: FixtureSpec, fixture: Fixture) -> None:
    import base64

    with Client.spawn() as c:
        tid = start_session(c, launch_args(fixture, cwd=str(ZOO)))["body"]["threadId"]
        mods = c.ok("modules", {})
        assert mods["modules"][0]["path"] == str(fixture.binary)
        assert mods["modules"][0]["version"] == fixture.facts()["goVersion"]
        sources = c.ok("loadedSources", {})["sources"]
        assert any(s["path"] == os.path.join(recorded_zoo(fixture), "main.go")
                   for s in sources)
        assert any(s["path"].endswith("/src/runtime/proc.go") for s in sources)

        user = focused_frame(c.ok("stackTrace", {"threadId": tid})["stackFrames"])
        ip = user["instructionPointerReference"]
        mem = c.ok("readMemory", {"memoryReference": ip, "count": 16})
        assert len(base64.b64decode(mem["data"])) == 16 and "unreadableBytes" not in mem
        bad = c.ok("readMemory", {"memoryReference": "0x8", "count": 32})
        assert bad["unreadableBytes"] == 32 and not base64.b64decode(bad.get("data", ""))

        insns = c.ok("disassemble", {"memoryReference": ip, "instructionOffset": -4,
                                     "instructionCount": 10, "resolveSymbols": True})
        ins = insns["instructions"]
        assert len(ins) == 10
        assert ins[4]["address"] == ip
        # The line of the call before a return address, or of the faulting
        # instruction itself: the nearest location at or before it.
        k = 3 if ins[3].get("presentationHint") != "invalid" else 4
        while "line" not in ins[k]:
            k -= 1
        assert ins[k]["line"] == user["line"]
        r = c.request("readMemory", {"memoryReference": "nonsense", "count": 1})
        assert not r["success"]
        c.ok("disconnect")
        assert c.problems == []


@pytest.mark.parametrize("spec", [CRASHES[2]], ids=[CRASHES[2].id])
def test_debug_console_commands(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = oracle(fixture)
    with Client.spawn() as c:
        start_session(c, launch_args(fixture))

        def run(line: str) -> str:
            return str(c.ok("evaluate", {"expression": line, "context": "repl"})["result"])

        assert "goroutines" in run("help")
        listing = run("goroutines")
        assert f"[{len(tb.goroutines)} goroutines]" in listing
        bt = run("bt")
        assert bt.startswith(f"goroutine {tb.goroutines[0].id} [")
        other = tb.goroutines[1].id
        assert run(f"bt {other}").startswith(f"goroutine {other} [")
        assert run("crash").startswith(fixture.stderr_text().splitlines()[0])
        for bad in ("bt 999999", "frobnicate", "x + 1"):
            assert not c.request("evaluate", {"expression": bad, "context": "repl"})["success"]
        assert not c.request("evaluate", {"expression": "x", "context": "hover"})["success"]
        c.ok("disconnect")
        assert c.problems == []
