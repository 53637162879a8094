"""The engine's performance figures, each measured from a fresh process.

Usage (from the repository root)::

    python benchmarks/bench_engine.py [--runs 5] [--only a,b,…,i] [--json] [--keep-env]
                                      [--arch amd64|arm64]

Every figure runs a small Python program (or the ``dapcore`` CLI) in a new
interpreter, so imports, opening the files and parsing them are counted; the
wall time is taken from spawn to exit. Each figure gets one untimed warm-up
run (the page cache then holds the files, as it would for a second look at
the same core, and the bytecode cache is filled), then ``--runs`` timed runs:
the median and the range are printed, with the peak RSS of the child
processes (``wait4``'s ``ru_maxrss``, the largest over the runs). The
children run as an installed dapcore would: see :func:`child_env`.

=== ================================================ ============================
(a) crashed goroutine's stack, ~23 MB binary         open + crashed g + its stack
(b) all goroutines with full stacks, 10k goroutines  every ``Engine.stack(g)``
(c) goroutine list with top user frames, 100k        ``render.goroutines_text()``
(d) ``python -m dapcore crash`` on the big core      CLI wall time
(e) ``python -m dapcore bt -a --json``, 10k          CLI wall time (for reference)
(f) ``python -m dapcore locals -f N``, big binary    CLI wall time, N = first user
                                                     frame of the crashed goroutine
(g) slowest 1,000-entry page of a 100,000-entry map  ``children()`` page by
                                                     page with the children's text,
                                                     timed inside the process
(h) DAP initialize → … → variables (Locals), big     spawn of ``python -m dapcore``
                                                     to the variables response
(i) DAP ``threads``, 100k goroutines                 the request to its response
                                                     (from spawn: in the notes)
=== ================================================ ============================

(a)–(c) and (f) are issue 4's and the engine's targets, (g) issue 4's map
paging target (``main.bigIndex`` of the ``bigpanic`` fixture, 100,000
entries), (h) and (i) issue 5's. For (h) and (i) the benchmark
is the shared DAP client (:mod:`dapcore.dap.client`) over the server's stdio,
one request at a time, as an editor sends them; the phases of the session
(each request's round trip) are printed in the notes.

The fixtures (``bigpanic``, ``many``, ``many-100k``, ``values``, Go 1.27,
default variant; amd64, or arm64 with ``--arch arm64``) are built through
the fixture factory when missing. The exit status
is non-zero only on errors (a fixture that cannot be built, a child that
fails, a result that does not match the program's facts); missed targets are
reported, not failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dapcore.dap.client import Client, ClientError  # noqa: E402
from tests.factory import Fixture, ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402
from tests.factory.paths import cache_root  # noqa: E402

GO = "1.27"
VARIANT = "default"
DAP_TIMEOUT = 600.0  # seconds one DAP answer may take (far beyond any figure)

# Each snippet gets BIN CORE as argv[1:] and prints one JSON line (checked
# against the fixture's facts) on stdout; "rss" splits the resident memory at
# exit into anonymous memory and pages of mapped files (the core is mapped:
# the pages read from it count as resident until the kernel needs them back).
_RSS = """
def _rss():
    kb = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmHWM", "RssAnon", "RssFile"):
            kb[k] = int(v.split()[0]) // 1024
    return kb
"""

CRASHED_STACK = _RSS + """
import json, sys
from dapcore.engine import Engine
r = Engine.open(sys.argv[1], sys.argv[2])
g = r.proc.crashed_goroutine
st = r.stack(g)
print(json.dumps({"goid": g.goid, "functions": [f.function for f in st.frames],
                  "error": st.error, "rss": _rss()}))
"""

ALL_STACKS = _RSS + """
import json, sys
from dapcore.engine import Engine
r = Engine.open(sys.argv[1], sys.argv[2])
frames = errors = 0
for g in r.proc.goroutines:
    st = r.stack(g)
    frames += len(st.frames)
    errors += st.error is not None
print(json.dumps({"goroutines": len(r.proc.goroutines), "frames": frames, "errors": errors,
                  "rss": _rss()}))
"""

GOROUTINE_LIST = _RSS + """
import json, sys
from dapcore.engine import Engine
from dapcore.render import goroutines_text
r = Engine.open(sys.argv[1], sys.argv[2])
text = goroutines_text(r)
lines = text.splitlines()
print(json.dumps({"lines": len(lines) - 1, "located": sum(".go:" in l for l in lines),
                  "main": sum(" main." in l for l in lines), "last": lines[-1], "rss": _rss()}))
"""

# (g): the ``bigpanic`` fixture's global ``main.bigIndex`` (100,000 entries
# i -> 3i, a Swiss map); every page of 1,000 is read in order, as a DAP client
# pages it, and the slowest page is timed inside the process after opening.
MAP_PAGE = _RSS + """
import json, sys, time
from dapcore.engine import Engine
from dapcore.govalues.children import child_count, children
from dapcore.govalues.pkgvars import global_value
from dapcore.govalues.summary import text_of
t0 = time.perf_counter()
r = Engine.open(sys.argv[1], sys.argv[2])
big = global_value(r.proc, "main.bigIndex")
count = child_count(big)
t1 = time.perf_counter()
got, pages = {}, []
for start in range(0, count, 1000):
    p0 = time.perf_counter()
    texts = [(c.name, text_of(c)) for c in children(big, start, 1000)]
    pages.append(time.perf_counter() - p0)
    got.update((int(n.strip("[]")), int(t)) for n, t in texts)
print(json.dumps({"count": count, "pages": len(pages),
                  "correct": got == {i: 3 * i for i in range(count)},
                  "times": {"open": t1 - t0, "page": max(pages), "first": pages[0]},
                  "rss": _rss()}))
"""


@dataclass
class Figure:
    key: str
    title: str
    scenario: str
    argv: list[str]  # after the interpreter; BIN and CORE are appended
    target_s: float | None = None
    target_mb: float | None = None
    note: str = ""
    # "spawn": wall time of the child; "inner": the child's own "times"
    # ["page"]; "dap": a DAP session (see run_dap)
    kind: str = "spawn"
    phases: dict[str, list[float]] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    result: Any = None
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_mb(self) -> float:
        return max(self.rss_kb) / 1024

    def missed(self) -> list[str]:
        out = []
        if self.target_s is not None and self.median > self.target_s:
            out.append(f"time {self.median:.3f} s > {self.target_s:g} s")
        if self.target_mb is not None and self.peak_mb > self.target_mb:
            out.append(f"RSS {self.peak_mb:.0f} MB > {self.target_mb:g} MB")
        return out


def figures() -> list[Figure]:
    py = ["-c"]
    return [
        Figure("a", "crashed goroutine's stack (big binary)", "bigpanic",
               [*py, CRASHED_STACK], target_s=0.3),
        Figure("b", "all goroutines, full stacks (10k)", "many",
               [*py, ALL_STACKS], target_s=2.0, target_mb=300),
        Figure("c", "goroutine list + top user frame (100k)", "many-100k",
               [*py, GOROUTINE_LIST], target_s=3.0,
               note="dlv core: 3.7 s, 357 MB"),
        Figure("d", "python -m dapcore crash (big binary)", "bigpanic",
               ["-m", "dapcore", "crash"]),
        Figure("e", "python -m dapcore bt -a --json (10k)", "many",
               ["-m", "dapcore", "bt", "-a", "--json"]),
        Figure("f", "python -m dapcore locals -f N (big binary)", "bigpanic",
               ["-m", "dapcore", "locals", "--json", "-f", "{user_frame}"], target_s=0.3),
        Figure("g", "slowest 1,000-entry page, 100,000-entry map", "bigpanic",
               [*py, MAP_PAGE], target_s=0.2, kind="inner",
               note="main.bigIndex (Swiss map) paged in order as a DAP client does; "
                    "the slowest of the 100 pages, children + their text, after "
                    "opening; median over fresh processes"),
        Figure("h", "DAP initialize … variables (big binary)", "bigpanic",
               [], target_s=0.45, kind="dap",
               note="Delve's same sequence: 0.15–0.45 s on this machine (issue 5)"),
        Figure("i", "DAP threads request (100k)", "many-100k",
               [], target_s=3.0, kind="dap"),
    ]


def end_server(proc: subprocess.Popen[bytes], c: Client) -> Any:
    """Disconnect the DAP server ``proc`` (its stdin closed after) and wait
    for it: its resource usage (``wait4``), ``proc.returncode`` set."""
    try:
        c.request("disconnect", {})
    except ClientError:
        pass
    assert proc.stdin is not None
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


def child_env(keep: bool) -> dict[str, str]:
    """The children's environment: this one with the repository first on
    PYTHONPATH and, unless ``keep``, as an installed dapcore runs: buffered
    stdout (without PYTHONUNBUFFERED; unbuffered, ``bt -a --json`` makes a
    system call per JSON token) and cached bytecode (without
    PYTHONDONTWRITEBYTECODE; the cache goes to PYTHONPYCACHEPREFIX, outside
    the tree, and the warm-up run fills it)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    # The index cache (issue #16) of the benchmarks' own, not the user's: the
    # warm-up run fills it, so the timed runs are second opens of each build
    # (benchmarks/bench_index_cache.py compares first and second opens).
    env.setdefault("DAPCORE_INDEX_CACHE", str(cache_root() / "bench-index"))
    if not keep:
        env.pop("PYTHONUNBUFFERED", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.setdefault("PYTHONPYCACHEPREFIX", str(cache_root() / "pycache"))
    return env


# The children are spawned by a small process forked when the benchmark
# starts: on Linux a child spawned with vfork (posix_spawn, subprocess)
# inherits the spawning process's peak RSS as a floor of its own ``ru_maxrss``
# (exec records the old, shared mm's high-water mark), and this process grows
# when it reads big results (``bt -a --json``), which would then show as the
# next children's peak RSS.
_SPAWNER: Any = None


def start_spawner() -> None:
    global _SPAWNER
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _SPAWNER = ProcessPoolExecutor(max_workers=1,
                                   mp_context=multiprocessing.get_context("fork"))
    _SPAWNER.submit(int).result()  # forked now, while this process is small


def in_spawner(fn: Any, *args: Any) -> Any:
    return fn(*args) if _SPAWNER is None else _SPAWNER.submit(fn, *args).result()


def run_child(argv: list[str], out: Path, env: dict[str, str]) -> tuple[float, int, int, str]:
    """Spawn the interpreter with ``argv``; (seconds, peak RSS KiB, exit
    status, stderr tail). Stdout goes to ``out``."""
    err = out.with_suffix(".err")
    fa = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(out), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, str(err), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(sys.executable, [sys.executable, *argv], env, file_actions=fa)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    tail = err.read_text(errors="replace").strip()[-2000:]
    return seconds, usage.ru_maxrss, code, tail


def check_result(fig: Figure, fx: Fixture, stdout: str) -> Any:
    """What the child printed, checked against the program's facts; raises
    ValueError when it does not match."""
    facts = fx.facts()
    if fig.key == "a":
        res = json.loads(stdout)
        if res["goid"] != facts["crashGoroutine"]:
            raise ValueError(f"crashed goroutine {res['goid']}, facts say "
                             f"{facts['crashGoroutine']}")
        names = res["functions"]
        want = facts["crashFrames"]
        got = [n for n in names if n in want]
        if got != want:
            raise ValueError(f"crash frames {got}, expected {want} in {names}")
        return {"frames": len(names), "rss": res["rss"]}
    if fig.key == "b":
        res = json.loads(stdout)
        if res["goroutines"] < facts["many"]["count"]:
            raise ValueError(f"{res['goroutines']} goroutines, the program started "
                             f"{facts['many']['count']}")
        return res
    if fig.key == "c":
        res = json.loads(stdout)
        n = facts["many"]["count"]
        if res["lines"] < n or res["located"] < n or res["main"] < n // 4:
            raise ValueError(f"{res} for {n} goroutines")
        return res
    if fig.key == "d":
        if not stdout.startswith(facts["crashMessage"]):
            raise ValueError(f"crash header {stdout.splitlines()[:1]}, expected "
                             f"{facts['crashMessage']!r}")
        return {"lines": len(stdout.splitlines())}
    if fig.key == "e":
        doc = json.loads(stdout)
        gs = doc["goroutines"]
        if len(gs) < facts["many"]["count"] or doc["crash"]["goroutine"] != \
                facts["crashGoroutine"]:
            raise ValueError(f"{len(gs)} goroutines, crash {doc['crash']}")
        return {"goroutines": len(gs), "frames": sum(len(g["frames"]) for g in gs)}
    if fig.key == "f":
        res = json.loads(stdout)
        if not isinstance(res, list) or not res:
            raise ValueError(f"no locals: {stdout[:200]!r}")
        return {"variables": [f"{v['name']} = {v['value']}" for v in res]}
    if fig.key == "g":
        res = json.loads(stdout)
        if res["count"] != 100_000 or res["pages"] != 100 or not res["correct"]:
            raise ValueError(f"map pages {res}")
        return {k: res[k] for k in ("count", "pages", "rss")}
    raise AssertionError(fig.key)


def user_frame(fx: Fixture, env: dict[str, str], tmp: Path) -> int:
    """The index (as ``dapcore bt`` numbers frames) of the crashed
    goroutine's first user frame: the first ``main.`` function, which the
    facts say is where the program crashed."""
    out = tmp / "bt.out"
    _, _, code, tail = in_spawner(run_child, ["-m", "dapcore", "bt", "--json",
                                              str(fx.binary), str(fx.core)], out, env)
    if code != 0:
        raise ValueError(f"dapcore bt: exit status {code}: {tail}")
    frames = json.loads(out.read_text())["goroutines"][0]["frames"]
    n = next(i for i, f in enumerate(frames) if f["function"].startswith("main."))
    if frames[n]["function"] != fx.facts()["crashFunction"]:
        raise ValueError(f"first user frame {frames[n]['function']}, the facts say "
                         f"{fx.facts()['crashFunction']}")
    return n


# -- (h), (i): a DAP session over the server's stdio (the shared client) ------------


def dap_session(fig: Figure, fx: Fixture, c: Client,
                mark: Any) -> dict[str, Any]:
    """The session of (h) or (i); ``mark(name)`` records a phase's end."""
    c.body("initialize", {"adapterID": "dapcore", "clientID": "bench",
                             "linesStartAt1": True, "columnsStartAt1": True,
                             "pathFormat": "path"})
    mark("initialize")
    c.body("launch", {"type": "gocore", "request": "launch", "program": str(fx.binary),
                         "coreFilePath": str(fx.core)})
    mark("launch")
    c.event("initialized")
    c.body("configurationDone")
    mark("configurationDone")
    stopped = c.event("stopped")["body"]
    mark("stopped")
    threads = c.body("threads")["threads"]
    mark("threads")
    if fig.key == "i":
        return {"threads": len(threads), "stoppedThread": stopped["threadId"]}
    frames = c.body("stackTrace", {"threadId": stopped["threadId"]})["stackFrames"]
    mark("stackTrace")
    top = next(f for f in frames if f.get("source")
               and f.get("presentationHint") != "label"
               and f["source"].get("presentationHint") != "deemphasize")
    scopes = c.body("scopes", {"frameId": top["id"]})["scopes"]
    mark("scopes")
    locals_ = next(s for s in scopes if s["name"].startswith("Locals"))
    variables = c.body("variables",
                          {"variablesReference": locals_["variablesReference"]})["variables"]
    mark("variables")
    return {"stoppedThread": stopped["threadId"], "reason": stopped.get("reason"),
            "threads": len(threads), "frames": len(frames), "frame": top["name"],
            "line": top.get("line"),
            "variables": [f"{v['name']} = {v['value']}" for v in variables]}


def run_dap(fig: Figure, fx: Fixture, tmp: Path,
            env: dict[str, str]) -> tuple[float, dict[str, float], int, Any]:
    """Spawn ``python -m dapcore`` and run the figure's session: (seconds
    from spawn to the last response, phase ends from spawn, peak RSS KiB,
    result). The server is then disconnected and reaped."""
    phases: dict[str, float] = {}
    with open(tmp / f"{fig.key}.err", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "dapcore"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, env=env)
        try:
            c = Client(proc=proc, timeout=DAP_TIMEOUT)
            result = dap_session(fig, fx, c,
                                 lambda name: phases.__setitem__(
                                     name, time.perf_counter() - start))
            seconds = time.perf_counter() - start
            usage = end_server(proc, c)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    if proc.returncode != 0:
        raise ClientError(f"server exit status {proc.returncode}: "
                       f"{(tmp / f'{fig.key}.err').read_text(errors='replace')[-2000:]}")
    return seconds, phases, usage.ru_maxrss, result


def check_dap(fig: Figure, fx: Fixture, res: dict[str, Any]) -> Any:
    facts = fx.facts()
    if res["stoppedThread"] != facts["crashGoroutine"]:
        raise ValueError(f"stopped on thread {res['stoppedThread']}, the crash is on "
                         f"goroutine {facts['crashGoroutine']}")
    if fig.key == "h":
        if res["frame"] != facts["crashFunction"] or not res["variables"]:
            raise ValueError(f"focused frame {res['frame']}, variables {res['variables']}")
    elif res["threads"] < facts["many"]["count"]:
        raise ValueError(f"{res['threads']} threads, the program started "
                         f"{facts['many']['count']} goroutines")
    return res


def measure(fig: Figure, fx: Fixture, runs: int, tmp: Path, env: dict[str, str]) -> None:
    if fig.kind == "dap":
        return measure_dap(fig, fx, runs, tmp, env)
    try:
        fmt = {"user_frame": user_frame(fx, env, tmp)} if fig.key == "f" else {}
    except (ValueError, KeyError, StopIteration, json.JSONDecodeError) as exc:
        fig.error = f"first user frame: {exc!r}"
        return
    argv = [*(str(fmt["user_frame"]) if a == "{user_frame}" else a for a in fig.argv),
            str(fx.binary), str(fx.core)]
    if fmt:
        fig.title = fig.title.replace(" N ", f" {fmt['user_frame']} ")
    out = tmp / f"{fig.key}.out"
    for i in range(runs + 1):  # the first run warms the page cache
        seconds, rss, code, tail = in_spawner(run_child, argv, out, env)
        if code != 0:
            fig.error = f"exit status {code}:\n{tail}"
            return
        if i == 0:
            try:
                fig.result = check_result(fig, fx, out.read_text())
            except (ValueError, KeyError, json.JSONDecodeError) as exc:
                fig.error = f"wrong result: {exc}"
                return
            continue
        if fig.kind == "inner":
            inner = json.loads(out.read_text())["times"]
            for name, t in inner.items():
                fig.phases.setdefault(name, []).append(t)
            fig.phases.setdefault("process (spawn to exit)", []).append(seconds)
            seconds = inner["page"]
        fig.times.append(seconds)
        fig.rss_kb.append(rss)


def measure_dap(fig: Figure, fx: Fixture, runs: int, tmp: Path, env: dict[str, str]) -> None:
    for i in range(runs + 1):  # the first run warms the page cache
        try:
            seconds, phases, rss, res = in_spawner(run_dap, fig, fx, tmp, env)
            if i == 0:
                fig.result = check_dap(fig, fx, res)
                continue
        except (ClientError, ValueError, KeyError, StopIteration, OSError) as exc:
            fig.error = f"{type(exc).__name__}: {exc}"
            return
        if fig.key == "i":
            # the request's round trip; from spawn in the phases
            prev = phases["stopped"]
            fig.phases.setdefault("spawn to threads response", []).append(phases["threads"])
            seconds = phases["threads"] - prev
        else:
            prev = 0.0
            for name, t in phases.items():
                fig.phases.setdefault(name, []).append(t - prev)
                prev = t
        fig.times.append(seconds)
        fig.rss_kb.append(rss)


def table(figs: list[Figure], fixtures: dict[str, Fixture]) -> str:
    rows = [("", "figure", "median", "min–max", "peak RSS", "target", "")]
    for f in figs:
        if f.error is not None:
            rows.append((f"({f.key})", f.title, "ERROR", "", "", "", ""))
            continue
        target = " ".join(x for x in (f"≤ {f.target_s:g} s" if f.target_s else "",
                                      f"≤ {f.target_mb:g} MB" if f.target_mb else "") if x)
        verdict = "" if not target else ("MISSED" if f.missed() else "ok")
        rows.append((f"({f.key})", f.title, f"{f.median:.3f} s",
                     f"{min(f.times):.3f}–{max(f.times):.3f}", f"{f.peak_mb:.0f} MB",
                     target or "—", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    for name, fx in fixtures.items():
        size = fx.binary.stat().st_size / 1e6
        core = fx.core.stat().st_size / 1e6
        lines.append(f"{name}: {fx.spec.id}, binary {size:.1f} MB, core {core:.0f} MB "
                     f"({fx.core})")
    for f in figs:
        if f.note:
            lines.append(f"({f.key}) reference: {f.note}")
        if f.phases:
            lines.append(f"({f.key}) phases (median s): " + ", ".join(
                f"{name} {statistics.median(ts):.3f}" for name, ts in f.phases.items()))
        if f.result is not None:
            lines.append(f"({f.key}) result: {json.dumps(f.result)}")
        for m in f.missed() if f.error is None else []:
            lines.append(f"({f.key}) target missed: {m}")
        if f.error is not None:
            lines.append(f"({f.key}) ERROR: {f.error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    ap.add_argument("--only", default="", help="comma-separated figure keys, e.g. a,c")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    ap.add_argument("--arch", default="amd64", choices=("amd64", "arm64"),
                    help="the fixtures' architecture (arm64: cores of qemu's guest)")
    ap.add_argument("--keep-env", action="store_true",
                    help="run the children in this environment unchanged (see child_env)")
    args = ap.parse_args(argv)
    only = {k.strip() for k in args.only.split(",") if k.strip()}
    figs = [f for f in figures() if not only or f.key in only]
    if not figs:
        ap.error(f"no figure among {args.only!r}")
    start_spawner()

    fixtures: dict[str, Fixture] = {}
    for name in sorted({f.scenario for f in figs}):
        try:
            fixtures[name] = ensure(spec(GO, VARIANT, name, args.arch))
        except Exception as exc:  # reported, and the exit status says it
            print(f"fixture go{GO}-{VARIANT}-{name}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 2

    env = child_env(args.keep_env)
    with tempfile.TemporaryDirectory(prefix="dapcore-bench.") as tmp:
        for f in figs:
            print(f"({f.key}) {f.title} …", file=sys.stderr, flush=True)
            measure(f, fixtures[f.scenario], args.runs, Path(tmp), env)
    _SPAWNER.shutdown()

    print(table(figs, fixtures))
    if args.json:
        print(json.dumps([{
            "key": f.key, "title": f.title, "fixture": fixtures[f.scenario].spec.id,
            "times": f.times, "median": f.median if f.times else None,
            "peakRssMB": f.peak_mb if f.rss_kb else None, "targetS": f.target_s,
            "targetMB": f.target_mb, "missed": f.missed() if f.times else [],
            "phases": f.phases,
            "result": f.result, "error": f.error,
        } for f in figs], indent=2))
    return 1 if any(f.error is not None for f in figs) else 0


if __name__ == "__main__":
    sys.exit(main())
