"""A real VS Code, end to end: code-server 4.100.3 serves VS Code to headless
Chromium, driven by puppeteer-core (``tests/e2e/vscode/drive.js``). The
extension is packaged from this tree (``vscode-extension/package.sh``) and
installed into a private extensions folder; the adapter is this checkout's
dapcore, found through the ``gocore.pythonPath`` *User* setting (the
extension's log must say so: an ignored setting falls back to python3).
Assertions are on what the UI shows, against the Go runtime's own traceback
of real cores.

The tools are installed by ``tests/e2e/vscode/install.sh`` (Debian's
chromium, ripgrep and libkrb5-dev; npm's code-server and puppeteer-core,
under ``$DAPCORE_CACHE/e2e``); the tests run it first (about a second when
everything is there), and a missing tool fails them. Screenshots are kept
under ``$DAPCORE_CACHE/e2e/artifacts/<test>`` (printed by each test)."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from dapcore.goruntime.userframe import is_user_function
from tests.e2e import vscode_session as vs
from tests.e2e.vscode_session import CodeServer
from tests.e2e_exprs import CALLS_REFUSED, check_answer, exprs_entries
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.factory.paths import cache_root
from tests.oracle import Frame, parse_traceback

NILMAP = make_spec("1.27", "default", "nilmap")
SPECS = [NILMAP, make_spec("1.27", "default", "goroutinepanic"),
         make_spec("1.27", "default", "nilmap", "arm64"),  # an arm64 core, read here
         make_spec("1.15", "default", "typednil")]  # Go 1.15: the seed's typed-nil error
EXPRS = make_spec("1.27", "default", "exprs")


# ------------------------------------------------------------ the tools


def _fail(msg: str) -> NoReturn:
    pytest.fail(msg, pytrace=False)


@pytest.fixture(scope="module")
def tools() -> dict[str, Path]:
    """Runs install.sh (idempotent) and returns the tools' paths."""
    try:
        return vs.install_tools()
    except vs.HarnessError as exc:
        _fail(str(exc))


@pytest.fixture(scope="module")
def vsix(tools: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return vs.package_vsix(tmp_path_factory.mktemp("vsix") / "gocore.vsix")
    except vs.HarnessError as exc:
        _fail(str(exc))


@pytest.fixture(scope="module")
def code_server(tools: dict[str, Path], vsix: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodeServer]:
    # Under test: gocore.pythonPath in *User* settings, in a remote window
    # (code-server is one); the extension's log says which interpreter ran.
    root = tmp_path_factory.mktemp("code-server")
    try:
        with vs.code_server(tools, vsix, root) as server:
            yield server
    except vs.HarnessError as exc:
        _fail(str(exc))


# ------------------------------------------------------------ helpers


def _artifacts(request: pytest.FixtureRequest) -> Path:
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    d = cache_root() / "e2e" / "artifacts" / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    print(f"screenshots: {d}")
    return d


def _drive(tools: dict[str, Path], server: CodeServer, folder: Path, scenario: str,
           artifacts: Path, **extra: Any) -> dict[str, Any]:
    try:
        result = vs.drive(tools, server, folder, scenario, artifacts, **extra)
    except vs.HarnessError as exc:
        _fail(str(exc))
    log = (artifacts / "drive.log").read_text()
    assert "error" not in result, (f"{result['error']}\nlast UI state: "
                                   f"{json.dumps(result.get('lastSnapshot'), indent=1)[:4000]}\n"
                                   f"steps: {result['steps']}\nlog: {log[-3000:]}")
    return result


def _user_frame(fixture: Fixture) -> Frame:
    """The crash line: the first frame of the crashing goroutine, in the Go
    runtime's own traceback, that is not the runtime's."""
    tb = parse_traceback(fixture.stderr_text())
    return next(f for f in tb.goroutines[0].frames
                if isinstance(f, Frame) and is_user_function(f.function, "zoo"))


def _locals(fixture: Fixture, frame: Frame) -> list[dict[str, Any]]:
    """dapcore's own locals of that frame (the CLI), to compare with VARIABLES."""
    def cli(command: str, *args: str) -> Any:
        done = subprocess.run([sys.executable, "-m", "dapcore", command, str(fixture.binary),
                               str(fixture.core), *args, "--json"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    bt = cli("bt")
    frames = next(g for g in bt["goroutines"] if g["crashed"])["frames"]
    index = next(i for i, f in enumerate(frames)
                 if f["function"] == frame.function and f["line"] == frame.line)
    return cli("locals", "-f", str(index))


def _workspace(tmp_path: Path, launch: dict[str, Any]) -> Path:
    return vs.workspace(tmp_path, launch)


def _assert_stopped_view(result: dict[str, Any], fixture: Fixture, view: dict[str, Any]) -> None:
    user = _user_frame(fixture)
    tb = parse_traceback(fixture.stderr_text())
    lines = view["topLines"] + view["focusedLines"]
    # the highlighted line is the user's crash line, in the user's file
    assert user.line in lines, (user, view["topLines"], view["focusedLines"])
    assert view["statusLine"] == user.line, (user, view["statusLine"])
    assert view["activeTab"] and Path(user.file).name in view["activeTab"], view["activeTab"]
    # the exception widget shows the panic
    message = fixture.stderr_text().splitlines()[0]
    assert view["exception"], "no exception widget"
    text = message
    if message.startswith(("panic: ", "fatal error: ")):
        text = message.split(": ", 1)[1]
    assert text in view["exception"], (message, view["exception"])
    # CALL STACK: every goroutine a thread; the crashing one expanded with
    # the user's frame selected
    rows = result["callStackAll"]
    threads = [r for r in rows if r["kind"] == "thread"]
    ids = [int(m.group(1)) for t in threads if (m := re.search(r"\[Go (\d+)\]", t["label"]))]
    assert len(ids) == len(threads), [t["label"] for t in threads]
    assert sorted(ids) == sorted(g.id for g in tb.goroutines), (sorted(ids), len(tb.goroutines))
    crashed_id = tb.goroutines[0].id
    crashed = [t for t in threads if f"[Go {crashed_id}]" in t["text"] + t["label"]]
    assert crashed and crashed[0]["expanded"] == "true", crashed
    selected = [r for r in view["callStack"] if r["kind"] == "frame" and r["selected"]]
    short = user.function.rsplit("/", 1)[-1]
    assert selected and short in selected[0]["text"] + selected[0]["label"], (short, selected)
    assert str(user.line) in selected[0]["text"] + selected[0]["label"], selected
    # VARIABLES: the frame's locals with their values ("name = value" rows
    # under the expanded first scope)
    expected = {v["name"] for v in _locals(fixture, user)}
    scopes = [r for r in view["variables"] if r["label"].startswith("Scope ")]
    assert scopes and scopes[0]["text"].startswith("Locals") and scopes[0]["expanded"] == "true", \
        scopes
    shown = dict(r["text"].split(" = ", 1) for r in view["variables"]
                 if not r["label"].startswith("Scope ") and " = " in r["text"])
    assert shown or not expected, view["variables"]
    assert set(shown) <= expected, (shown, sorted(expected))
    assert set(shown) == expected or len(shown) >= 3, (shown, sorted(expected))
    for name, value in shown.items():
        assert value.strip(), f"{name} shows no value"
    # no error notification, no dialog, up to here
    toasts = result.get("toastsBeforeContinue", result["toastsSeen"])
    dialogs = result.get("dialogsBeforeContinue", result["dialogsSeen"])
    assert not toasts, toasts
    assert not dialogs, dialogs


# ------------------------------------------------------------ the tests


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_f5_stops_on_the_crash_line(spec: FixtureSpec, fixture: Fixture, tools: dict[str, Path],
                                    code_server: CodeServer, tmp_path: Path,
                                    request: pytest.FixtureRequest) -> None:
    """F5 on a launch.json (no "python": the User setting gocore.pythonPath
    is what finds dapcore): the stopped view, Continue refused, Stop."""
    ws = _workspace(tmp_path, {"type": "gocore", "request": "launch", "name": "Go core",
                               "program": str(fixture.binary),
                               "coreFilePath": str(fixture.core), "cwd": "${workspaceFolder}"})
    result = _drive(tools, code_server, ws, "f5", _artifacts(request))
    view = result["stopped"]
    _assert_stopped_view(result, fixture, view)
    # Continue: refused, and the session stays stopped
    after = result["afterContinue"]
    refusal = [t for t in after["toasts"] + after["repl"] if "cannot be resumed" in t]
    assert refusal, (after["toasts"], after["repl"][-5:])
    assert after["debugToolbar"], "the session ended on Continue"
    assert _user_frame(fixture).line in after["topLines"] + after["focusedLines"], after
    # Stop ends it
    assert "stopError" not in result, (result.get("stopError"), result["afterStop"])
    # the interpreter came from the User setting (ignored in remote windows
    # when its scope was machine-overridable)
    log = _extension_log(code_server)
    assert f"{sys.executable} (from the setting gocore.pythonPath)" in log, log


def _extension_log(server: CodeServer) -> str:
    """The extension's "Go Core Dump" output channel, as VS Code logs it."""
    logs = sorted(server.logs().rglob("*Go Core Dump*.log"))
    return "\n".join(p.read_text(errors="replace") for p in logs)


def _retarget_core(src: Path, dst: Path, old: str, new: str) -> None:
    """A copy of a core whose NT_FILE note names ``new`` instead of ``old``
    (same length): a core from another machine, whose executable path does
    not exist here. Only the PT_NOTE segments are changed."""
    assert len(old) == len(new)
    subprocess.run(["cp", "--sparse=always", str(src), str(dst)], check=True)
    with dst.open("r+b") as f:
        head = f.read(64)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        patched = 0
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _flags, offset, _va, _pa, filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type != 4:
                continue
            f.seek(offset)
            notes = f.read(filesz)
            if old.encode() in notes:
                f.seek(offset)
                f.write(notes.replace(old.encode() + b"\0", new.encode() + b"\0"))
                patched += 1
        assert patched, f"{old} not in the core's notes"


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_open_core_file_proposes_the_executable_next_to_the_core(
        spec: FixtureSpec, fixture: Fixture, tools: dict[str, Path], code_server: CodeServer,
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Go Core Dump: Open Core File… from the command palette, on a core
    whose recorded executable path does not exist here, with a copy of the
    executable next to it (and a newer executable of another build)."""
    named = str(fixture.binary)
    gone = named[:-3] + "zzz" if not named.endswith("zzz") else named[:-3] + "yyy"
    ws = tmp_path / "cores"
    ws.mkdir()
    core = ws / "core.4242"
    _retarget_core(fixture.core, core, named, gone)
    server = ws / "server"
    shutil.copy2(fixture.binary, server)
    other = ws / "other-tool"
    shutil.copy2("/bin/true", other)
    later = time.time() + 60
    os.utime(other, (later, later))
    result = _drive(tools, code_server, ws, "openCore", _artifacts(request), corePath=str(core))
    pick = result["executablePick"]
    assert f"the core names {gone}, which does not exist here" in pick["title"], pick
    assert pick["rows"][0].startswith(str(server)), pick["rows"]
    assert "same Go build ID" in pick["rows"][0], pick["rows"]
    assert any(r.startswith(str(other)) for r in pick["rows"][1:]), pick["rows"]
    assert pick["rows"][-1].startswith("Choose the executable"), pick["rows"]
    _assert_stopped_view(result, fixture, result["stopped"])
    assert "stopError" not in result, (result.get("stopError"), result["afterStop"])


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_adapter_dying_early_shows_its_stderr(spec: FixtureSpec, fixture: Fixture,
                                              tools: dict[str, Path], code_server: CodeServer,
                                              tmp_path: Path,
                                              request: pytest.FixtureRequest) -> None:
    """An adapter that dies at start-up (here: an interpreter that passes
    the extension's check, then exits 7): the Debug Console shows its stderr
    and exit code, and the session ends instead of hanging."""
    fake = tmp_path / "dying-python"
    fake.write_text(
        "#!/bin/sh\n"
        "# the check (-P -c …) runs the real interpreter; the adapter (-P -m dapcore) dies\n"
        'if [ "$2" = "-m" ]; then\n'
        "  echo 'Traceback (most recent call last):' >&2\n"
        "  echo 'RuntimeError: simulated adapter start-up failure (e2e test)' >&2\n"
        "  exit 7\nfi\n"
        f'exec "{sys.executable}" "$@"\n')
    fake.chmod(0o755)
    ws = _workspace(tmp_path, {"type": "gocore", "request": "launch", "name": "Go core",
                               "program": str(fixture.binary), "python": str(fake),
                               "coreFilePath": str(fixture.core)})
    result = _drive(tools, code_server, ws, "adapterDies", _artifacts(request))
    after = result["afterDeath"]
    assert "deathError" not in result, (result["deathError"], after)
    console = "\n".join(after["repl"])
    assert "RuntimeError: simulated adapter start-up failure (e2e test)" in console, console
    assert "exited with code 7" in console, console
    assert not after["debugToolbar"], "the session did not end"


# Typed into the Debug Console, as a Delve user would; the refused call last.
CONSOLE_EXPRS = ["exErrIface.Code", "exAny.(data)", "string(exBytes)", "exChBuf.buf[1]",
                 '(*"struct { A int; B string }")(uintptr(&exAB)).B', "exTimes[0]",
                 "exErrIface.Error()", '(*"struct { Z int }")(exRectAddr)']
REFUSED = {"exErrIface.Error()": CALLS_REFUSED,
           '(*"struct { Z int }")(exRectAddr)': "could not find type struct { Z int }"}
WATCH_EXPR = "exAny.W"


@pytest.mark.parametrize("spec", [EXPRS], ids=[EXPRS.id])
def test_delve_expressions_in_the_debug_console(spec: FixtureSpec, fixture: Fixture,
                                                tools: dict[str, Path], code_server: CodeServer,
                                                tmp_path: Path,
                                                request: pytest.FixtureRequest) -> None:
    """F5 on the core stopped at runtime.Breakpoint() in main.exprsStop; the
    user clicks main.exprsFrame in CALL STACK, types Delve's expressions into
    the Debug Console and adds a watch: the console shows the values the Go
    program computed (exprs.json), and the refused call's reason, with no
    error notification."""
    entries = exprs_entries(fixture)
    tb = parse_traceback(fixture.stderr_text())
    frame_line = next(f.line for f in tb.goroutines[0].frames
                      if isinstance(f, Frame) and f.function == "main.exprsFrame")
    ws = _workspace(tmp_path, {"type": "gocore", "request": "launch", "name": "Go core",
                               "program": str(fixture.binary),
                               "coreFilePath": str(fixture.core), "cwd": "${workspaceFolder}"})
    result = _drive(tools, code_server, ws, "exprs", _artifacts(request),
                    frame="main.exprsFrame", frameLine=frame_line, exprs=CONSOLE_EXPRS,
                    watch=WATCH_EXPR)
    why = f"\nconsole: {json.dumps(result.get('console'), indent=1)[:6000]}"
    # the frame the user clicked is the one shown, and the one evaluated in
    chosen = result["frameChosen"]
    assert chosen["statusLine"] == frame_line, chosen
    selected = [r for r in chosen["callStack"] if r["kind"] == "frame" and r["selected"]]
    assert len(selected) == 1 and "main.exprsFrame" in selected[0]["text"], selected
    shown = [r["text"] for r in chosen["variables"]]
    assert "seed = 6" in shown, shown  # exprsFrame(exOpaque(6)): its locals are shown
    assert [c["expr"] for c in result["console"]] == CONSOLE_EXPRS, why
    for answer in result["console"]:
        expr, rows = answer["expr"], answer["rows"]
        assert answer["typed"] == expr, why  # the input held what was typed
        assert rows[0]["text"] == expr, why  # the console echoes the input
        shown = rows[1]["text"]
        assert rows[1]["error"] is (expr in REFUSED), why  # red for a refusal only
        if expr in REFUSED:
            assert REFUSED[expr] in shown, why
            continue
        check_answer(expr, shown, None, entries, why)
        if expr == "exAny.(data)":
            assert rows[1]["expanded"] == "false", why  # expandable, collapsed
    # the watch: "expr = value"
    assert "watchError" not in result, (result.get("watchError"), result.get("watch"))
    row = next(r for r in result["watch"]["rows"] if r["text"].startswith(WATCH_EXPR))
    assert row["text"].startswith(f"{WATCH_EXPR} = "), result["watch"]
    check_answer(WATCH_EXPR, row["text"].split(" = ", 1)[1], None, entries, why)
    assert "exErrIface.(data)" in result["console"][CONSOLE_EXPRS.index(
        "exErrIface.Error()")]["rows"][1]["text"], why  # what to read instead
    # refusals and answers stay in the console: no notification, no dialog
    assert result["toastsSeen"] == [], result["toastsSeen"]
    assert result["dialogsSeen"] == [], result["dialogsSeen"]
    assert "stopError" not in result, (result.get("stopError"), result["afterStop"])


MANY = make_spec("1.27", "default", "many")


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_many_goroutines_capped_list_and_goroutine_n(spec: FixtureSpec, fixture: Fixture,
                                                     tools: dict[str, Path],
                                                     code_server: CodeServer, tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    """F5 on the 10,007-goroutine core with no maxThreads in launch.json: the
    extension's default caps CALL STACK at 1,000 threads (VS Code's debug
    model is quadratic in the thread count), the Debug Console says how to
    reach the rest, and `goroutine N` typed there for the highest goroutine
    id (left out) shows N in CALL STACK with its frame selected."""
    tb = parse_traceback(fixture.stderr_text())
    hidden = max(g.id for g in tb.goroutines)
    ws = _workspace(tmp_path, {"type": "gocore", "request": "launch", "name": "Go core",
                               "program": str(fixture.binary),
                               "coreFilePath": str(fixture.core), "cwd": "${workspaceFolder}"})
    result = _drive(tools, code_server, ws, "f5time", _artifacts(request), explore=True,
                    consoleGoroutine=hidden)
    user = _user_frame(fixture)
    view = result["stopped"]
    assert view["statusLine"] == user.line, view["statusLine"]
    assert any(" = " in r["text"] for r in view["variables"]), view["variables"]
    # 1,000 threads and the crashing goroutine's frames shown (rows of the virtual list)
    assert 1000 < result["callStackRows"] < 1000 + 40, result["callStackRows"]
    threads = [r for r in view["callStack"] if r["kind"] == "thread"]
    assert f"[Go {tb.goroutines[0].id}]" in threads[0]["text"] + threads[0]["label"], threads[:2]
    assert any("more like it" in t["text"] for t in threads), [t["text"] for t in threads]
    note = f"CALL STACK lists 1,000 of the {len(tb.goroutines):,} goroutines"
    assert any(note in line for line in view["repl"]), view["repl"]
    step = next(s for s in result["steps"] if s["step"] == "console: goroutine N")
    assert "consoleGoroutineError" not in result, (result["consoleGoroutineError"], step)
    assert step["answer"][-1].startswith(f"goroutine {hidden} ["), step
    want = next(g for g in tb.goroutines if g.id == hidden)
    top_user = next(f for f in want.frames if isinstance(f, Frame)
                    and is_user_function(f.function, "zoo"))
    assert step["selected"] and top_user.function.rsplit(".", 1)[-1] in step["selected"][0], (
        top_user, step["selected"])
    assert not result["toastsSeen"] and not result["dialogsSeen"], result["toastsSeen"]
    assert "stopError" not in result, (result.get("stopError"), result["afterStop"])


def _vscode_label(rep: Any, grp: Any) -> str:
    """A group's row in the Goroutines view: count × [status] headline
    (the headline's last path element, as goroutines.js shortens it)."""
    name = grp.headline
    cut = name.find("(") if "(" in name else len(name)
    slash = name.rfind("/", 0, cut)
    return f"{grp.count:,} × [{grp.status}] {name[slash + 1:]}"


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_goroutines_view_groups_and_focus(spec: FixtureSpec, fixture: Fixture,
                                          tools: dict[str, Path], code_server: CodeServer,
                                          tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The Goroutines view on the 10,007-goroutine core: its group rows are
    the engine's groups (counts, states, headlines, in order; the engine's
    groups add up to the runtime's traceback); a group of 313 expanded shows
    200 goroutines and "… 113 more", which loads the rest; clicking the
    group's last goroutine (left out of the capped CALL STACK) shows it in
    CALL STACK with a frame selected and the editor at its top user frame:
    the engine's landing frame, the file and line the runtime printed."""
    from dapcore.engine import Engine

    rep = Engine.open(str(fixture.binary), str(fixture.core))
    groups = rep.goroutine_groups()
    tb = parse_traceback(fixture.stderr_text())
    assert sum(g.count for g in groups) == len(tb.goroutines)
    big = next(g for g in groups if g.count > 200 and not g.system)
    goid = big.goids[-1]
    frame = rep.stack(rep.goroutine(goid)).frames[rep.landing_frame(goid)]
    printed = next(g for g in tb.goroutines if g.id == goid)
    top_user = next(f for f in printed.frames if isinstance(f, Frame)
                    and is_user_function(f.function, "zoo"))
    assert (top_user.file, top_user.line) == (frame.file, frame.line), (top_user, frame)
    ws = _workspace(tmp_path, {"type": "gocore", "request": "launch", "name": "Go core",
                               "program": str(fixture.binary),
                               "coreFilePath": str(fixture.core), "cwd": "${workspaceFolder}"})
    label = _vscode_label(rep, big)
    result = _drive(tools, code_server, ws, "goroutines", _artifacts(request), groupsShown=5,
                    group=label, goroutine=goid, line=frame.line)
    shown = [r["label"] for r in result["groupRows"] if r["expanded"] is not None]
    want = [_vscode_label(rep, g) for g in groups]
    assert shown == want[:len(shown)], (shown, want[:len(shown)])
    assert len(shown) >= 5
    kids = [r["label"] for r in result["firstGoroutineRows"]
            if r["label"].startswith("Goroutine ")]
    assert kids[:3] == [f"Goroutine {i}" for i in big.goids[:3]], kids[:3]
    assert result["moreRow"] == f"… {big.count - 200:,} more", result["moreRow"]
    assert "focusError" not in result, (result["focusError"], result["focused"])
    view = result["focused"]
    assert view["statusLine"] == frame.line
    assert view["activeTab"] and Path(frame.file).name in view["activeTab"], view["activeTab"]
    at = next(i for i, r in enumerate(view["callStack"])
              if r["kind"] == "thread" and f"[Go {goid}]" in r["text"] + r["label"])
    selected = [r for r in view["callStack"][at + 1:] if r["kind"] == "frame" and r["selected"]]
    short = frame.function.rsplit(".", 1)[-1]
    assert selected and short in selected[0]["text"] + selected[0]["label"], selected
    assert not result["toastsSeen"] and not result["dialogsSeen"], result["toastsSeen"]
