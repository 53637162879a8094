"""dapcore against Delve on the same cores: time to the crash frame's locals
over DAP, and the CLI's goroutine listing (issue #16).

Usage (from the repository root)::

    python benchmarks/bench_vs_delve.py [--runs 5] [--only nilmap,many,…] [--with-1m]
                                        [--with-bigprog] [--go 1.19] [--no-delve]
                                        [--delve-timeout 300] [--json]
                                        [--python venv|current|PATH]

**dapcore as installed.** dapcore runs from a venv of its own dependencies
without the system site-packages, made once in the cache, with the
checkout on a ``.pth`` (:mod:`bench_python`: this machine's interpreter
spends ~30 ms of every start in ``.pth`` hooks no user of dapcore has);
``--python current`` runs this interpreter instead. The table's footer
names the interpreter and its bare start time (``-c pass``).

**Delve.** Debian's ``delve`` package (1.20.2) reads cores of Go ≤ 1.20, so
every core here is a Go 1.19 fixture (default variant, amd64). Install it
with ``apt-get install -y delve`` (``dlv`` on PATH). Without it the script
says so and prints dapcore's figures alone, next to Delve's figures recorded
on this machine (:data:`RECORDED`).

**DAP.** Each session runs from process start to the ``variables`` response
of the crash frame's Locals, in VS Code's order (/work/shared/dap-notes.md):
``initialize``; ``launch`` (``mode: core``, ``program``, ``coreFilePath``);
on ``initialized``, ``configurationDone`` and at once ``threads`` (VS Code
asks before the launch response); after ``stopped``, ``threads`` again,
``stackTrace`` of the stopped thread (``levels: 1``, then 19 more),
``scopes`` of the crash frame and ``variables`` of its Locals. The crash
frame is the first frame with a source that neither adapter marks as the
runtime's (``presentationHint`` ``subtle``/``label``, a ``deemphasize``
source): the user's crash line (real VS Code focuses Delve 1.20's
``runtime.raise``, whose source exists, instead). dapcore is ``python -m
dapcore`` over stdio (the shared client, :mod:`dapcore.dap.client`), Delve
``dlv dap --listen 127.0.0.1:0`` over TCP (the time to its "listening" line
is counted). Each message's arrival is stamped on the client's reader
thread when its last bytes are read, before it is decoded (a threads list of
megabytes is counted, not decoded: :class:`TimedClient`): the phases are
"initialize" (its response), "launch", "stopped", "threads" (the response
after ``stopped``), "stackTrace", "locals" (the ``variables`` response, the
total), all from spawn.

**CLI.** ``python -m dapcore goroutines BIN CORE`` against ``dlv core BIN
CORE --init F`` with F holding ``goroutines`` and ``exit``: wall time from
spawn to exit and peak RSS.

Every measurement is paired: dapcore and Delve alternately (the order
flips each run), one untimed warm-up pair first (page cache, bytecode
cache); medians and ranges of ``--runs`` pairs. Peak RSS is ``wait4``'s
``ru_maxrss`` of the server or CLI process, each spawned from a process
forked for it alone from this small one (a child spawned with vfork starts
with its spawner's peak RSS as the floor of its own, and a client that
received 100,000 threads is no longer small; this process never parses the
fixtures' facts, 31 MB of JSON for many-1m, for the same reason). The load average is printed:
the machine is shared.

Fixtures: ``nilmap`` (16 goroutines), ``many`` (10,000), ``many-100k``,
``bigpanic`` (23 MB binary) and, with ``--with-1m``, ``many-1m`` (1,000,000
goroutines: its capture takes minutes and the core ~3 GB of sparse disk),
and with ``--with-bigprog``, ``bigprog`` (the generated ≥ 150 MB program,
``tests/factory/generate.py``: its compilation takes 5–11 minutes and about
1 GB of memory), built through the factory when missing.

``--go 1.27`` measures dapcore alone on that release's fixtures (Delve
1.20.2 reads no core of Go > 1.20).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for p in (str(REPO), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_dap import StampedClient  # noqa: E402
from bench_engine import child_env  # noqa: E402
from bench_python import add_argument as add_python_argument  # noqa: E402
from bench_python import footer, runner  # noqa: E402

from dapcore.dap.client import ClientError  # noqa: E402
from tests.factory import Fixture, ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402

GO = "1.19"
VARIANT = "default"
DAPCORE, DELVE = "dapcore", "delve"
PHASES = ("initialize", "launch", "stopped", "threads", "stackTrace", "locals")

# (scenario, label); many-1m only with --with-1m
CORES = [
    ("nilmap", "16 goroutines, 2.8 MB binary (nilmap)"),
    ("many", "10,007 goroutines (many)"),
    ("many-100k", "100,007 goroutines (many-100k)"),
    ("bigpanic", "18 MB binary, 100k-entry map (bigpanic)"),
    ("many-1m", "1,000,007 goroutines (many-1m)"),
    ("bigprog", "generated program, 500 packages (bigprog)"),
]
# built on request only: measured with --with-1m, --with-bigprog or --only
ON_REQUEST = {"many-1m": "with_1m", "bigprog": "with_bigprog"}

# Delve 1.20.2's medians on this machine (2 shared cores, load 2–5),
# 2026-12-07 (5 pairs; many-1m 2), printed when Delve is not installed:
# scenario -> (DAP locals s, DAP peak RSS MB, CLI listing s, CLI peak RSS MB).
RECORDED: dict[str, tuple[float, float, float, float]] = {
    "nilmap": (0.098, 32, 0.104, 35),
    "many": (0.170, 38, 0.779, 132),
    "many-100k": (0.238, 37, 8.145, 372),
    "bigpanic": (0.397, 76, 0.523, 93),
    "many-1m": (0.203, 39, 96.0, 2936),
    "bigprog": (3.633, 449, 3.479, 529),  # 3 pairs, load 5
}


@dataclass
class Series:
    """One adapter's runs on one core."""

    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the server's CPU seconds (wait4)
    phases: dict[str, list[float]] = field(default_factory=dict)
    result: Any = None
    error: str | None = None

    def add(self, seconds: float, rss: int, phases: dict[str, float] | None = None,
            cpu: float | None = None) -> None:
        self.times.append(seconds)
        self.rss_kb.append(rss)
        if cpu is not None:
            self.cpu.append(cpu)
        for k, v in (phases or {}).items():
            self.phases.setdefault(k, []).append(v)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.rss_kb) / 1024 if self.rss_kb else None

    def span(self) -> str:
        if not self.times:
            return self.error or "—"
        return f"{self.median:.3f} s ({min(self.times):.3f}–{max(self.times):.3f})"


# -- DAP sessions ------------------------------------------------------------------


class TimedClient(StampedClient):
    """The shared client, stamping each message's arrival (seconds since
    ``t0``) on the reader thread when its last bytes were read, before it is
    decoded: responses by request seq, events by name (the first of each). A
    threads list of megabytes is counted, not decoded (as in
    :class:`bench_dap.StampedClient`: Python's ``json`` takes 0.2–0.5 s over
    100,000 threads, an editor's parser a fraction of that, and the next
    request would wait for it); Delve's list of at most 1,024 threads is
    decoded as before."""

    def __init__(self, t0: float, **kw: Any) -> None:
        self.t0 = t0
        self.arrivals: dict[str, float] = {}
        super().__init__(**kw)

    def _received(self, msg: dict[str, Any]) -> None:
        key = (f"response:{msg.get('request_seq')}" if msg.get("type") == "response"
               else f"event:{msg.get('event')}")
        self.arrivals.setdefault(key, self.last_read - self.t0)


def _crash_frame(frames: list[dict[str, Any]]) -> dict[str, Any]:
    """The first frame with a source that is not marked as the runtime's."""
    for f in frames:
        src = f.get("source") or {}
        if (src.get("path") or src.get("sourceReference")) \
                and f.get("presentationHint") not in ("label", "subtle") \
                and src.get("presentationHint") != "deemphasize":
            return f
    raise ValueError("no user frame among the first 20: "
                     + ", ".join(f["name"] for f in frames))


def vscode_session(c: TimedClient, adapter: str, fx: Fixture) -> tuple[dict[str, float], Any]:
    """VS Code's requests up to the crash frame's Locals; (phase ends from
    spawn, what was seen)."""
    init = c.send("initialize", {"adapterID": "go" if adapter == DELVE else "gocore",
                                 "clientID": "vscode", "linesStartAt1": True,
                                 "columnsStartAt1": True, "pathFormat": "path",
                                 "supportsVariableType": True, "supportsMemoryReferences": True})
    c.response(init)
    launch = c.send("launch", {"type": "go" if adapter == DELVE else "gocore",
                               "request": "launch", "name": "core", "mode": "core",
                               "program": str(fx.binary), "coreFilePath": str(fx.core)})
    c.event("initialized")
    done = c.send("configurationDone")
    c.send("threads")  # VS Code's early threads; its answer is not waited for
    for seq in (launch, done):
        if not c.response(seq).get("success"):
            raise ClientError(f"{c.response(seq)}")
    stopped = c.event("stopped")["body"]
    threads = c.send("threads")
    nthreads = len(_ok(c.response(threads))["threads"])
    tid = stopped["threadId"]
    first = _ok(c.response(c.send("stackTrace", {"threadId": tid, "startFrame": 0,
                                                  "levels": 1})))["stackFrames"]
    st = c.send("stackTrace", {"threadId": tid, "startFrame": 1, "levels": 19})
    frames = first + _ok(c.response(st))["stackFrames"]
    top = _crash_frame(frames)
    scopes = _ok(c.response(c.send("scopes", {"frameId": top["id"]})))["scopes"]
    loc = next(s for s in scopes if s["name"].lower().startswith("local"))
    var = c.send("variables", {"variablesReference": loc["variablesReference"]})
    variables = _ok(c.response(var))["variables"]
    a = c.arrivals
    at = {"initialize": a[f"response:{init}"], "launch": a[f"response:{launch}"],
          "stopped": a["event:stopped"], "threads": a[f"response:{threads}"],
          "stackTrace": a[f"response:{st}"], "locals": a[f"response:{var}"]}
    seen = {"thread": tid, "threads": nthreads, "frame": top["name"],
            "line": top.get("line"), "variables": len(variables),
            "first": [f"{v['name']} = {v['value']}" for v in variables[:3]]}
    return at, seen


def _ok(resp: dict[str, Any]) -> dict[str, Any]:
    if not resp.get("success"):
        raise ClientError(f"{resp.get('command')} failed: {resp.get('message')}")
    return resp.get("body") or {}


def _spawn_delve(t0: float, err: Any, timeout: float) -> tuple[subprocess.Popen[bytes],
                                                                TimedClient]:
    proc = subprocess.Popen(["dlv", "dap", "--listen", "127.0.0.1:0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=err)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode(errors="replace").strip()
    if "listening at" not in line:
        proc.kill()
        raise ClientError(f"dlv dap said {line!r} instead of its address")
    host, _, port = line.rsplit(" ", 1)[-1].rpartition(":")
    sock = __import__("socket").create_connection((host, int(port)), timeout=timeout)
    sock.settimeout(None)
    return proc, TimedClient(t0, sock=sock, timeout=timeout)


def run_dap(adapter: str, fx: Fixture, env: dict[str, str], tmp: str,
            timeout: float, python: str) -> tuple[dict[str, float], int, Any, float]:
    """One session from spawn (in a process forked for it): (phases, peak RSS
    KiB, what was seen, the server's CPU seconds from spawn to its exit). The
    server is disconnected and reaped."""
    with open(Path(tmp) / f"{adapter}.err", "wb") as err:
        t0 = time.perf_counter()
        if adapter == DELVE:
            proc, c = _spawn_delve(t0, err, timeout)
        else:
            proc = subprocess.Popen([python, "-m", "dapcore"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=err, env=env)
            c = TimedClient(t0, proc=proc, timeout=timeout)
        try:
            at, seen = vscode_session(c, adapter, fx)
            try:
                c.request("disconnect", {}, timeout=30)
            except ClientError:
                pass
            if proc.stdin is not None:
                proc.stdin.close()
            if c.sock is not None:
                c.sock.close()
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    return at, usage.ru_maxrss, seen, usage.ru_utime + usage.ru_stime


# -- the CLI listing --------------------------------------------------------------------


def run_cli(adapter: str, fx: Fixture, env: dict[str, str], tmp: str,
            timeout: float, python: str) -> tuple[float, int, int]:
    """``dapcore goroutines`` or ``dlv core … goroutines``: (seconds, peak
    RSS KiB, goroutines listed)."""
    if adapter == DELVE:
        init = Path(tmp) / "dlv-init"
        init.write_text("goroutines\nexit\n")
        argv = ["dlv", "core", str(fx.binary), str(fx.core), "--init", str(init),
                "--allow-non-terminal-interactive=true"]
    else:
        argv = [python, "-m", "dapcore", "goroutines", str(fx.binary), str(fx.core)]
    out_path = Path(tmp) / f"{adapter}.cli"
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.DEVNULL, env=env, cwd=tmp)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                proc.wait()
                raise ClientError(f"{adapter}'s listing still running after {timeout:.0f} s")
            time.sleep(0.005)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise ClientError(f"{' '.join(argv[:3])}: exit status {proc.returncode}")
    with open(out_path, "rb") as f:
        listed = sum(1 for line in f if line.lstrip(b"* ").startswith(b"Goroutine "))
    return seconds, usage.ru_maxrss, listed


# -- measuring --------------------------------------------------------------------


@dataclass
class Core:
    scenario: str
    label: str
    fixture: Fixture
    dap: dict[str, Series] = field(default_factory=dict)
    cli: dict[str, Series] = field(default_factory=dict)


def fresh(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in a process forked for it (see the module's notes on
    peak RSS)."""
    with ProcessPoolExecutor(max_workers=1,
                             mp_context=multiprocessing.get_context("fork")) as ex:
        return ex.submit(fn, *args).result()


def _facts_summary(fx: Fixture) -> dict[str, Any]:
    facts = fx.facts()
    return {"crashFunction": facts["crashFunction"],
            "count": facts.get("many", {}).get("count", 1)}


def _check_dap(adapter: str, facts: dict[str, Any], seen: dict[str, Any]) -> None:
    """The session stopped on the crashing goroutine, focused its crash
    frame (the facts' function) and got its locals."""
    frame, want = seen["frame"], facts["crashFunction"]
    if not (frame == want or frame.startswith(want + " ") or frame.startswith(want + "(")):
        raise ValueError(f"{adapter} focused {frame!r}, the crash is in {want}")
    if seen["variables"] == 0:
        raise ValueError(f"{adapter}: no locals in {frame}")


def measure_core(core: Core, adapters: list[str], runs: int, env: dict[str, str], tmp: str,
                 timeout: float, log: Any, python: str) -> None:
    """``runs`` timed pairs after one warm-up pair, DAP then CLI, the
    adapters' order flipping each run."""
    fx = core.fixture
    facts = fresh(_facts_summary, fx)
    for a in adapters:
        core.dap[a], core.cli[a] = Series(), Series()
    for i in range(runs + 1):
        order = adapters if i % 2 == 0 else adapters[::-1]
        for a in order:
            s = core.dap[a]
            if s.error is None:
                try:
                    at, rss, seen, cpu = fresh(run_dap, a, fx, env, tmp, timeout, python)
                    if i == 0:
                        _check_dap(a, facts, seen)
                        s.result = seen
                    else:
                        s.add(at["locals"], rss, at, cpu)
                except (ClientError, ValueError, KeyError, StopIteration, OSError) as exc:
                    s.error = f"{type(exc).__name__}: {exc}"
                    log(f"  {core.scenario} {a} DAP: {s.error}")
        for a in order:
            s = core.cli[a]
            if s.error is None:
                try:
                    seconds, rss, listed = fresh(run_cli, a, fx, env, tmp, timeout, python)
                    if listed < facts["count"]:
                        raise ValueError(f"{a} listed {listed} goroutines")
                    if i == 0:
                        s.result = {"listed": listed}
                    else:
                        s.add(seconds, rss)
                except (ClientError, ValueError, OSError) as exc:
                    s.error = f"{type(exc).__name__}: {exc}"
                    log(f"  {core.scenario} {a} CLI: {s.error}")
        if i:
            log(f"  {core.scenario} run {i}/{runs} done (load {os.getloadavg()[0]:.2f})")


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    return f"{r:.2f}× ({'ahead' if r <= 1 else 'slower'})"


def _mb(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f} MB"


def _rows(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
           for r in rows]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return out


def report(cores: list[Core], have_delve: bool) -> str:
    """The tables: DAP to the crash frame's locals, its phases, the CLI."""
    d2 = DELVE if have_delve else "Delve (recorded)"
    rows: list[tuple[str, ...]] = [("core", "dapcore", "peak RSS", d2, "peak RSS", "ratio",
                                    "threads (dapcore / Delve)")]
    for c in cores:
        me = c.dap[DAPCORE]
        if have_delve:
            dv = c.dap[DELVE]
            dt, drss, dspan = dv.median, dv.peak_mb, dv.span()
            dthreads = (dv.result or {}).get("threads", "—")
        else:
            rec = RECORDED.get(c.scenario)
            dt, drss = (rec[0], rec[1]) if rec else (None, None)
            dspan, dthreads = (f"{dt:.3f} s" if dt else "—"), "—"
        rows.append((c.label, me.span(), _mb(me.peak_mb), dspan, _mb(drss),
                     _ratio(me.median, dt), f"{(me.result or {}).get('threads', '—')} / "
                                              f"{dthreads}"))
    lines = ["DAP: process start to the crash frame's Locals (median, range)", *_rows(rows), ""]
    rows = [("core", "adapter", *PHASES, "server CPU")]
    for c in cores:
        for a, s in c.dap.items():
            if s.phases:
                rows.append((c.scenario, a, *(f"{statistics.median(s.phases[p]):.3f}"
                                               for p in PHASES),
                             f"{statistics.median(s.cpu):.3f}" if s.cpu else "—"))
    lines += ["DAP phases (median seconds from spawn to each answer; server CPU: the "
              "server's CPU seconds from spawn to exit after `disconnect`, wait4)",
              *_rows(rows), ""]
    rows = [("core", "dapcore goroutines", "peak RSS", "dlv core: goroutines", "peak RSS",
             "time ratio", "RSS ratio")]
    for c in cores:
        me = c.cli[DAPCORE]
        dv = c.cli.get(DELVE, Series())
        rec = RECORDED.get(c.scenario) if not have_delve else None
        dt, drss = (rec[2], rec[3]) if rec else (dv.median, dv.peak_mb)
        rows.append((c.label, me.span(), _mb(me.peak_mb),
                     dv.span() if have_delve else (f"{dt:.3f} s" if dt else "—"), _mb(drss),
                     _ratio(me.median, dt), _ratio(me.peak_mb, drss).split(" ")[0]))
    lines += ["CLI: listing every goroutine, spawn to exit", *_rows(rows), ""]
    for c in cores:
        fx = c.fixture
        lines.append(f"{c.scenario}: {fx.spec.id}, binary {fx.binary.stat().st_size / 1e6:.1f} MB,"
                     f" core {fx.core.stat().st_size / 1e6:.0f} MB "
                     f"({fx.core.stat().st_blocks * 512 / 1e6:.0f} MB on disk)")
        for kind, series in (("DAP", c.dap), ("CLI", c.cli)):
            for a, s in series.items():
                if s.result is not None:
                    lines.append(f"  {kind} {a}: {json.dumps(s.result)}")
                if s.error is not None:
                    lines.append(f"  {kind} {a} ERROR: {s.error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed pairs per core (default 5)")
    ap.add_argument("--only", default="", help="comma-separated scenarios, e.g. nilmap,many")
    ap.add_argument("--with-1m", action="store_true",
                    help="also the 1,000,000-goroutine core (built on request: minutes)")
    ap.add_argument("--with-bigprog", action="store_true",
                    help="also the generated ≥ 150 MB program (built on request: minutes)")
    ap.add_argument("--go", default=GO,
                    help=f"the fixtures' Go release (default {GO}; Delve is measured on 1.19 "
                         "only)")
    ap.add_argument("--no-delve", action="store_true", help="measure dapcore alone")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds one DAP answer or one listing may take (default 300)")
    ap.add_argument("--json", action="store_true", help="print the series as JSON too")
    add_python_argument(ap)
    args = ap.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    chosen = [(s, lbl) for s, lbl in CORES
              if (s in only if only else s not in ON_REQUEST or getattr(args, ON_REQUEST[s]))]
    if not chosen:
        ap.error(f"no core among {args.only!r}")
    have_delve = not args.no_delve and args.go == GO and shutil.which("dlv") is not None
    if not have_delve:
        why = ("--no-delve" if args.no_delve else f"Delve 1.20 reads no Go {args.go} core"
               if args.go != GO else "`dlv` is not on PATH (apt-get install -y delve)")
        print(f"Delve is not measured: {why}; its figures below are those recorded in "
              "RECORDED (for Go 1.19).", file=sys.stderr)
    adapters = [DAPCORE, DELVE] if have_delve else [DAPCORE]
    cores = []
    for scenario, label in chosen:
        try:
            cores.append(Core(scenario, label,
                              ensure(spec(args.go, VARIANT, scenario, "amd64"))))
        except Exception as exc:  # reported; the exit status says it
            print(f"fixture go{args.go}-{VARIANT}-{scenario}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 2
    run = runner(args.python, child_env(False))
    env = run.env

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dapcore-vs-delve.") as tmp:
        for c in cores:
            log(f"{c.scenario} …")
            measure_core(c, adapters, args.runs, env, tmp, args.timeout, log, run.python)
    print(report(cores, have_delve))
    print(f"\nload average {load0[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end "
          f"({os.cpu_count()} CPUs); {args.runs} pairs per core")
    print(footer(run))
    if args.json:
        print(json.dumps([{"scenario": c.scenario, "fixture": c.fixture.spec.id, **{
            f"{kind}:{a}": {"times": s.times, "peakRssMB": s.peak_mb, "phases": s.phases,
                            "cpu": s.cpu,
                            "result": s.result, "error": s.error}
            for kind, series in (("dap", c.dap), ("cli", c.cli)) for a, s in series.items()}}
            for c in cores], indent=1))
    return 1 if any(s.error for c in cores for s in (*c.dap.values(), *c.cli.values())) else 0


if __name__ == "__main__":
    sys.exit(main())
