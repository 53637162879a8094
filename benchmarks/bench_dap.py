"""Time from process start to the crash frame's locals in a DAP session.

Usage (from the repository root)::

    python benchmarks/bench_dap.py [--runs 5] [--only nilmap,many,…] [--code DIR] [--go 1.27]
                                   [--json]

Each run spawns ``python -m dapcore`` (a fresh interpreter: imports and
opening the files are counted) and follows VS Code's request order over its
stdio (as recorded from a real VS Code): ``initialize``, ``launch``,
``configurationDone`` and at once ``threads``; then on the ``stopped``
event ``threads`` again, ``stackTrace`` of the stopped thread (frame 0,
then frames 1–19), ``scopes`` of the focused frame (the first frame with a
source that is not de-emphasised, as VS Code picks it) and ``variables``
of its Locals. Every message's arrival is
stamped on the client's reader thread; the table gives, from spawn, the
medians of the arrival of each answer (``initialize`` … ``variables``;
``threads``: the answer to the second request), the time from ``stopped``
to the first ``threads`` answer after it (listing every goroutine), and the
server's peak RSS (the largest over the runs). One untimed warm-up run per core comes first (the
page cache then holds the files, and the bytecode cache is filled). One
more untimed session per core counts how much of ``.debug_info`` the server
had decompressed when it left (issue #16: a compressed one is decompressed
only as far as read; "whole at open" when it came whole from the index
cache or is stored uncompressed).

The cores (Go 1.27, default variant, built through the fixture factory when
missing): ``nilmap`` (16 goroutines), ``sigquit`` (a SIGQUIT dump), ``many``
(10,000 goroutines), ``many-100k`` (100,000) and ``bigpanic`` (23 MB
binary; ``--only bigprog``: the generated ≥ 150 MB program, built on
request). ``--go 1.19``: another release's fixtures. ``--code DIR``: serve
from another checkout's ``dapcore`` (the code before a change, to compare in
one sitting).

Start-up is measured too: ``-X importtime`` of ``python -m dapcore`` up to
its answer to ``initialize`` (what the stdio server imports before it
answers), split into ``site`` (this environment's start-up: editable-install
finders, ``.pth`` files; not dapcore's) and dapcore's own imports.

dapcore runs from the benchmark venv by default (``--python``, the
interpreter as a user installs dapcore: :mod:`bench_python`); the footer
names it and its bare start time.

``--startup-only``: no cores, start-up alone, in alternating runs (the
machine is shared: each round spawns every configuration once): the time
from spawn to the ``initialize`` response of ``python -m dapcore`` for each
``--code DIR`` (repeatable: before and after a change) and each ``--python
PY`` (repeatable: e.g. virtual environments holding a wheel or an editable
install; ``--code installed`` serves the dapcore installed in that
interpreter's environment), next to the interpreter's own start (``-c pass``
and ``-S -c pass``, spawn to exit), with each configuration's ``-X
importtime`` split.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_engine import REPO, child_env, end_server, in_spawner, start_spawner  # noqa: E402
from bench_python import CURRENT, VENV, footer, runner, venv_python  # noqa: E402

from dapcore.dap.client import Client, ClientError  # noqa: E402
from tests.factory import Fixture, ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402

GO = "1.27"
VARIANT = "default"
SCENARIOS = ("nilmap", "sigquit", "many", "many-100k", "bigpanic")
PHASES = ("initialize", "launch", "stopped", "threads", "stackTrace", "scopes", "variables")
TIMEOUT = 600.0
# issue #16's targets on the 100k core (seconds from spawn; threads: from the stop)
TARGETS_100K = {"stopped": 0.4, "stopped → threads": 0.4, "variables": 0.6}
TARGET_RSS_100K_MB = 250


class StampedClient(Client):
    """The shared client, stamping each message's arrival (reader thread):
    the moment its last bytes were read, before the client decodes it."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        self.arrived: dict[int, float] = {}
        super().__init__(*args, **kw)

    def _decode(self, body: bytearray) -> dict[str, Any]:
        """A ``threads`` response of megabytes counted, not decoded: Python's
        ``json`` takes 0.2–0.5 s over 100,000 threads, an editor's parser a
        fraction of that, and the next request would wait for it."""
        at = body.find(b',"body":{"threads":[')
        if len(body) < 1 << 20 or at < 0:
            return super()._decode(body)
        msg: dict[str, Any] = json.loads(bytes(body[:at]) + b"}")
        msg["body"] = {"threads": [None] * body.count(b'{"id":', at)}
        return msg

    def _received(self, msg: dict[str, Any]) -> None:
        # when its last bytes were read (decoding 7 MB of threads in Python
        # takes longer than in an editor: not the server's time)
        self.arrived[id(msg)] = self.last_read


def session(fx: Fixture, c: StampedClient, start: float) -> tuple[dict[str, float], Any]:
    """VS Code's order; (phase → seconds from spawn, what the session saw)."""
    at: dict[str, float] = {}

    def stamp(name: str, msg: dict[str, Any]) -> dict[str, Any]:
        at[name] = c.arrived[id(msg)] - start
        if msg.get("type") == "response" and not msg.get("success"):
            raise ClientError(f"{name} failed: {msg.get('message')}")
        return msg.get("body") or {}

    stamp("initialize", c.request("initialize", {
        "adapterID": "dapcore", "clientID": "vscode", "linesStartAt1": True,
        "columnsStartAt1": True, "pathFormat": "path", "supportsVariableType": True}))
    stamp("launch", c.request("launch", {"type": "gocore", "request": "launch",
                                         "program": str(fx.binary),
                                         "coreFilePath": str(fx.core)}))
    c.event("initialized")
    c.request("configurationDone")
    early = c.send("threads")  # VS Code asks at once, before the stop
    stopped = stamp("stopped", c.event("stopped", timeout=TIMEOUT))
    first = stamp("early threads", c.response(early, timeout=TIMEOUT))["threads"]
    threads = stamp("threads", c.request("threads", timeout=TIMEOUT))["threads"]
    # the list's own time: from the stop to the first threads answer after it
    # that lists every goroutine (the code before issue #16 answered the
    # early request before the stop; since, VS Code's early request gets at
    # most 1,000 threads, the one after the stop every goroutine)
    at["stopped → threads"] = min(t for t, n in ((at["early threads"], len(first)),
                                                 (at["threads"], len(threads)))
                                  if t >= at["stopped"] and n == len(threads)) - at["stopped"]
    tid = stopped["threadId"]
    frames = c.request("stackTrace", {"threadId": tid, "startFrame": 0, "levels": 1},
                       timeout=TIMEOUT)["body"]["stackFrames"]
    frames += stamp("stackTrace", c.request(
        "stackTrace", {"threadId": tid, "startFrame": 1, "levels": 19},
        timeout=TIMEOUT))["stackFrames"]
    top = next(f for f in frames if f.get("source")
               and f.get("presentationHint") != "label"
               and f["source"].get("presentationHint") != "deemphasize")
    scopes = stamp("scopes", c.request("scopes", {"frameId": top["id"]}))["scopes"]
    loc = next(s for s in scopes if s["name"].startswith("Locals"))
    variables = stamp("variables", c.request(
        "variables", {"variablesReference": loc["variablesReference"]}, timeout=TIMEOUT))
    return at, {"threadId": stopped["threadId"], "threads": len(threads),
                "frame": top["name"], "variables": len(variables["variables"])}


# The server as ``python -m dapcore`` runs it, with each DWARF reader it
# opens noted: when it leaves (``os._exit`` after ``disconnect``), how much
# of ``.debug_info`` was decompressed (issue #16), written as JSON to
# $DAPCORE_BENCH_INFO. Code from before the lazy ``.debug_info`` has no
# ``info_inflated``: its section was whole from the start.
COUNTING_SERVER = r"""
import atexit, json, os, runpy, sys
import dapcore.dwarf.reader as reader
seen = []
init = reader.Dwarf.__init__
def counted(self, *args, **kw):
    init(self, *args, **kw)
    directory = getattr(self.dies, "directory", None)
    seen.append((self, directory is None or directory.complete))
reader.Dwarf.__init__ = counted
def record():
    out = []
    for d, whole in seen:
        done, size = d.info_inflated if hasattr(d, "info_inflated") else (len(d.dies.info),) * 2
        out.append({"inflated": done, "size": size, "wholeAtOpen": whole})
    with open(os.environ["DAPCORE_BENCH_INFO"], "w") as f:
        json.dump(out, f)
leave = os._exit
def leaving(status):
    record()
    leave(status)
os._exit = leaving
atexit.register(record)
sys.argv = ["dapcore"]
runpy.run_module("dapcore", run_name="__main__", alter_sys=True)
"""


def info_inflated(fx: Fixture, env: dict[str, str], tmp: str, python: str) -> dict[str, Any]:
    """How much of ``.debug_info`` one session (untimed, the same requests)
    decompressed: the largest of the server's DWARF readers'."""
    out = Path(tmp) / "info.json"
    out.unlink(missing_ok=True)
    run_once(fx, dict(env, DAPCORE_BENCH_INFO=str(out)), f"{tmp}/info.err", tmp, python,
             ["-c", COUNTING_SERVER])
    readers = json.loads(out.read_text())
    return max(readers, key=lambda r: r["inflated"]) if readers else {}


def run_once(fx: Fixture, env: dict[str, str], err_path: str, cwd: str, python: str,
             argv: list[str] | None = None) -> tuple[dict[str, float], int, Any, float]:
    """One session from spawn: (phases, peak RSS KiB, result, the server's
    CPU seconds from spawn to its exit); ``argv``: what the interpreter runs
    instead of ``-m dapcore``."""
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([python, *(argv or ["-m", "dapcore"])], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, env=env, cwd=cwd)
        try:
            c = StampedClient(proc=proc, timeout=TIMEOUT)
            at, result = session(fx, c, start)
            usage = end_server(proc, c)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    if proc.returncode != 0:
        raise ClientError(f"server exit status {proc.returncode}")
    return at, usage.ru_maxrss, result, usage.ru_utime + usage.ru_stime


def check(fx: Fixture, result: dict[str, Any]) -> None:
    """The session saw the crash the program's facts describe."""
    facts = fx.facts()
    want = facts.get("crashGoroutine")
    if want is not None and result["threadId"] != want:
        raise ValueError(f"stopped on thread {result['threadId']}, facts say {want}")
    many = (facts.get("many") or {}).get("count", 0)
    if result["threads"] < many:
        raise ValueError(f"{result['threads']} threads for {many} goroutines")
    if want is not None and result["frame"].split(" (")[0] != facts.get("crashFunction"):
        raise ValueError(f"focused {result['frame']}, facts say {facts.get('crashFunction')}")


def _until_initialized(argv: list[str], env: dict[str, str], cwd: str) -> str:
    """Run ``argv`` (a DAP server on stdio, stdout and stderr on one pipe),
    send ``initialize``: what the pipe carried before the response (the
    ``-X importtime`` lines of the imports that preceded it). The server
    is ended after."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, cwd=cwd)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        body = json.dumps({"seq": 1, "type": "request", "command": "initialize",
                           "arguments": {"adapterID": "dapcore"}}).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        proc.stdin.flush()
        buf = b""
        while b"Content-Length:" not in buf:
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                raise ClientError(f"the server ended before answering: {buf[-500:]!r}")
            buf += data
        return buf[:buf.index(b"Content-Length:")].decode(errors="replace")
    finally:
        proc.kill()
        proc.wait()


def import_split(importtime: str) -> dict[str, float]:
    """ms of the top-level ``-X importtime`` entries: the interpreter's own
    (before ``site``), ``site`` and what came after it (dapcore's)."""
    split = {"interpreter": 0.0, "site (environment)": 0.0, "dapcore before initialize": 0.0}
    part = "interpreter"
    for m in re.finditer(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", importtime, re.M):
        if m.group(2).strip() == "site":
            split["site (environment)"] += int(m.group(1)) / 1000
            part = "dapcore before initialize"
        else:
            split[part] += int(m.group(1)) / 1000
    return split


def startup(env: dict[str, str], runs: int, cwd: str, python: str = sys.executable
            ) -> dict[str, float]:
    """Medians (ms) of ``-X importtime`` of ``python -m dapcore`` until it
    answers ``initialize``: site, dapcore's imports (cumulative)."""
    splits = [import_split(_until_initialized([python, "-X", "importtime", "-m", "dapcore"],
                                              env, cwd)) for _ in range(runs + 1)][1:]
    return {k: statistics.median(s[k] for s in splits) for k in splits[0] if k != "interpreter"}


class _CpuStampedClient(StampedClient):
    """Also notes the server's CPU time when its first message arrives
    (``/proc/PID/schedstat``: nanoseconds on a CPU; the server is one thread
    until it answers), which the machine's load inflates far less than the
    wall-clock time. A server that goes on working after its answer (the
    handshake imports the server then) is counted until this reader wakes:
    an overestimate under load."""

    cpu_at_first: float | None = None

    def _received(self, msg: dict[str, Any]) -> None:
        super()._received(msg)
        if self.cpu_at_first is None and self.proc is not None:
            try:
                with open(f"/proc/{self.proc.pid}/schedstat") as f:
                    self.cpu_at_first = int(f.read().split()[0]) / 1e6
            except (OSError, ValueError, IndexError):
                self.cpu_at_first = float("nan")


def _initialize_ms(python: str, env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Spawn to the ``initialize`` response of ``python -m dapcore``: (wall
    ms, the server's CPU ms by then)."""
    start = time.perf_counter()
    proc = subprocess.Popen([python, "-m", "dapcore"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    try:
        c = _CpuStampedClient(proc=proc, timeout=TIMEOUT)
        msg = c.request("initialize", {"adapterID": "dapcore", "clientID": "vscode"})
        if not msg.get("success"):
            raise ClientError(f"initialize failed: {msg.get('message')}")
        ms = (c.arrived[id(msg)] - start) * 1000
        end_server(proc, c)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return ms, c.cpu_at_first or float("nan")


def _exit_ms(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Spawn to exit of ``argv``: (wall ms, its CPU ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise ClientError(f"{argv} exit status {proc.returncode}")
    return (time.perf_counter() - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def startup_only(codes: list[str], pythons: list[str], runs: int) -> str:
    """The ``--startup-only`` table: alternating runs, medians and minima
    (``venv``: the benchmark venv, :mod:`bench_python`; ``current``: this
    interpreter)."""
    pythons = [venv_python(REPO) if p == VENV else sys.executable if p == CURRENT else p
               for p in pythons]
    base = child_env(False)
    # PYTHONPATH without any checkout of dapcore: the one served is put first
    rest = [p for p in base["PYTHONPATH"].split(os.pathsep)
            if p and not (Path(p) / "dapcore" / "__init__.py").is_file()]
    cwd = tempfile.gettempdir()  # not a checkout: the one on PYTHONPATH is served
    servers: list[tuple[str, str, dict[str, str]]] = []  # (name, python, env)
    timed: dict[str, Callable[[], tuple[float, float]]] = {}
    for py in pythons:
        for code in codes:
            paths = rest if code == "installed" else [str(Path(code).resolve()), *rest]
            env = dict(base, PYTHONPATH=os.pathsep.join(paths))
            name = f"{py} {code}"
            servers.append((name, py, env))
            timed[f"{name}: spawn → initialize response"] = partial(_initialize_ms, py, env, cwd)
        timed[f"{py} -c pass (spawn → exit)"] = partial(_exit_ms, [py, "-c", "pass"], base, cwd)
        timed[f"{py} -S -c pass (spawn → exit)"] = partial(_exit_ms, [py, "-S", "-c", "pass"],
                                                           base, cwd)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in timed}
    for i in range(runs + 1):  # the first round warms the caches, untimed
        for name, fn in timed.items():
            ms = fn()
            if i:
                times[name].append(ms)
    lines = [f"start-up, ms (medians and minima of {runs} alternating runs; load "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end; CPU: the "
             "child's CPU time by then)"]
    width = max(len(n) for n in times)
    for name, ts in times.items():
        wall, cpu = [t[0] for t in ts], [t[1] for t in ts]
        lines.append(f"  {name.ljust(width)}  median {statistics.median(wall):6.1f}  "
                     f"min {min(wall):6.1f}  CPU median {statistics.median(cpu):6.1f}")
    lines.append("-X importtime until initialize is answered (medians, ms):")
    for name, py, env in servers:
        split = startup(env, runs, cwd, py)
        lines.append(f"  {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in split.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated cores, e.g. nilmap,many-100k")
    ap.add_argument("--code", action="append",
                    help="the checkout whose dapcore is served (default: this one); "
                         "repeatable with --startup-only ('installed': the installed one)")
    ap.add_argument("--python", action="append",
                    help="the interpreter dapcore runs with: 'venv' (the default: a venv of "
                         "dapcore's dependencies from the package index, made once in the "
                         "cache, as a user installs it; benchmarks/bench_python.py), "
                         "'current' (this one, the checkout on PYTHONPATH) or a path; "
                         "repeatable with --startup-only (default there: venv and current)")
    ap.add_argument("--startup-only", action="store_true",
                    help="measure start-up alone (no cores), alternating --code and --python")
    ap.add_argument("--go", default=GO, help=f"the fixtures' Go release (default {GO})")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.startup_only:
        print(startup_only(args.code or [str(REPO)], args.python or [VENV, CURRENT], args.runs))
        return 0
    args.code = (args.code or [str(REPO)])[0]
    names = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    code = str(Path(args.code).resolve())
    run = runner((args.python or [VENV])[0], child_env(False), Path(code))
    start_spawner()
    env = run.env
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "dapcore-bench-pycache")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dapcore-bench-dap.") as tmp:
        for name in names:
            fx = ensure(spec(args.go, VARIANT, name))
            print(f"{name} …", file=sys.stderr, flush=True)
            phases: dict[str, list[float]] = {}
            rss: list[int] = []
            result = None
            for i in range(args.runs + 1):
                at, kb, result, cpu = in_spawner(run_once, fx, env, f"{tmp}/{name}.err", tmp,
                                                 run.python)
                if i == 0:
                    check(fx, result)
                    continue
                at["server CPU"] = cpu
                for k, v in at.items():
                    phases.setdefault(k, []).append(v)
                rss.append(kb)
            info = in_spawner(info_inflated, fx, env, tmp, run.python)
            rows.append({"core": name, "result": result, "peakRssMB": max(rss) / 1024,
                         "median": {k: statistics.median(v) for k, v in phases.items()},
                         "debugInfo": info,
                         # (the names benchmarks/targets.py reads)
                         "debugInfoBytes": info.get("inflated"),
                         "debugInfoTotalBytes": info.get("size")})
        start = startup(env, args.runs, tmp, run.python)
    print(table(rows, start, code))
    print(footer(run))
    if args.json:
        print(json.dumps({"code": code, "startupMs": start, "sessions": rows}, indent=2))
    return 0


def table(rows: list[dict[str, Any]], start: dict[str, float], code: str) -> str:
    cols = [*PHASES, "stopped → threads", "server CPU"]
    head = ["core", "goroutines", *cols, "peak RSS"]
    lines = [head]
    for r in rows:
        m = r["median"]
        lines.append([r["core"], str(r["result"]["threads"]),
                      *(f"{m[c]:.3f}" for c in cols), f"{r['peakRssMB']:.0f} MB"])
    widths = [max(len(x[i]) for x in lines) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip()
            for x in lines]
    text.insert(1, "-" * len(text[0]))
    text.append(f"(seconds from spawn, medians; server CPU: the server's CPU seconds from spawn "
                f"to its exit after `disconnect`, wait4; code: {code})")
    for r in rows:
        if r["core"] == "many-100k":
            m = r["median"]
            missed = [f"{k} {m[k]:.3f} s > {t} s" for k, t in TARGETS_100K.items() if m[k] > t]
            if r["peakRssMB"] > TARGET_RSS_100K_MB:
                missed.append(f"peak RSS {r['peakRssMB']:.0f} MB > {TARGET_RSS_100K_MB} MB")
            text.append("100k targets: " + ("; ".join(missed) + " (missed)" if missed
                                            else "all met"))
    text.append(".debug_info decompressed by the end of a session (initialize … Locals; "
                "one more, untimed): " + "; ".join(f"{r['core']} {_info_text(r['debugInfo'])}"
                                                  for r in rows))
    text.append("start-up (ms, -X importtime medians): " + ", ".join(
        f"{k} {v:.1f}" for k, v in start.items()))
    return "\n".join(text)


def _info_text(info: dict[str, Any]) -> str:
    if not info:
        return "no DWARF"
    mb = 1 << 20
    text = f"{info['inflated'] / mb:.1f} of {info['size'] / mb:.1f} MB"
    if info["wholeAtOpen"]:
        return text + " (whole at open: stored uncompressed, or the index cache's copy)"
    return text + f" ({100 * info['inflated'] / max(info['size'], 1):.0f}%)"


if __name__ == "__main__":
    sys.exit(main())
