"""The cost of one ``variables`` page of a big container (issue #16:
"any page of up to 1,000 children ≤ 50 ms at any offset").

Usage (from the repository root)::

    python benchmarks/bench_paging.py [--go 1.27] [--runs 3] [--page 1000]
                                      [--only bigInts,byName,…] [--code DIR] [--json]

Each run spawns ``python -m dapcore`` on the ``bigcontainers`` core
(``tests/fixtures/zoo/paging``: slices, maps, an array and a channel of
about 100,000 elements, built through the fixture factory when missing),
opens it as an editor does (``initialize``, ``launch``,
``configurationDone``, ``stopped``), then for each container evaluates it
(``evaluate main.bigInts``, context ``watch``: its ``variablesReference``
and ``indexedVariables``) and asks, one request at a time, for pages of
``--page`` children with ``filter: "indexed"``:

- ``end``: the last page first (nothing of the container was read yet: a
  cold start at the far end);
- ``first``: offset 0;
- ``middle``: the page holding the middle element;
- ``random``: ten pages at random offsets (seeded: the same in every run);
- ``whole``: one request without ``start``/``count`` (what a client that
  does not page sends; the server answers one page of ``maxArrayValues``),
  and one with ``count`` = the length (capped by the server at 5,000).

Every request's round trip (send to response, on the client) is timed, and
the CPU time the server spent on it (its threads' ``/proc/PID/task/*/schedstat``
run time: on a loaded machine the wall time also counts the time the server
waited for a CPU). The tables give, per container and offset, the slowest
request over the runs (in ms), wall and CPU, and flag those over the 50 ms
target; the header line gives the server's peak RSS (``wait4``). Every page is checked
against its length (a full page unless it is the last). ``--code DIR``:
serve another checkout's ``dapcore`` (the code before a change, to
compare in one sitting: alternate the two under the same load).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_engine import REPO, child_env, end_server  # noqa: E402

from dapcore.dap.client import Client, ClientError  # noqa: E402
from tests.factory import Fixture, ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402

CONTAINERS = ("bigInts", "bigRecs", "bigBytes", "byName", "byID", "byKey", "growing", "queue")
OFFSETS = ("end", "first", "middle", "random", "whole", "whole (count=len)")
TARGET_MS = 50.0
TIMEOUT = 600.0


def cpu_ns(pid: int) -> int:
    """The CPU time process ``pid``'s threads ran (ns, from schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended
    return total


class Timer:
    """Wall and server CPU time of one request (ms), appended to lists."""

    def __init__(self, pid: int, wall: list[float], cpu: list[float]) -> None:
        self.pid, self.wall, self.cpu = pid, wall, cpu

    def __enter__(self) -> Timer:
        self.c0, self.t0 = cpu_ns(self.pid), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append((time.perf_counter() - self.t0) * 1000)
        self.cpu.append((cpu_ns(self.pid) - self.c0) / 1e6)


Times = dict[str, dict[str, list[float]]]  # container → offset → ms of each request


def session(fx: Fixture, c: Client, pid: int, names: list[str], page: int, seed: int
            ) -> tuple[Times, Times]:
    """One session: (wall times, server CPU times)."""
    c.body("initialize", {"adapterID": "dapcore", "clientID": "bench", "linesStartAt1": True,
                          "columnsStartAt1": True, "pathFormat": "path"})
    c.body("launch", {"type": "gocore", "request": "launch", "program": str(fx.binary),
                      "coreFilePath": str(fx.core)})
    c.event("initialized")
    c.body("configurationDone")
    stopped = c.event("stopped")["body"]
    frames = c.body("stackTrace", {"threadId": stopped["threadId"]})["stackFrames"]
    frame = next(f for f in frames if f["name"].startswith("main.crashHolding"))
    out: Times = {}
    cpu: Times = {}
    rng = random.Random(seed)
    for name in names:
        ev = c.body("evaluate", {"expression": f"main.{name}", "frameId": frame["id"],
                                 "context": "watch"})
        ref, n = ev["variablesReference"], ev.get("indexedVariables", 0)
        if not ref:
            raise ClientError(f"main.{name}: no children ({ev})")
        times: dict[str, list[float]] = {k: [] for k in OFFSETS}
        cpus: dict[str, list[float]] = {k: [] for k in OFFSETS}
        out[name], cpu[name] = times, cpus
        if not n:  # a channel: its queue (maxArrayValues of it) and its state, not paged
            with Timer(pid, times["whole"], cpus["whole"]):
                c.body("variables", {"variablesReference": ref})
            continue
        last = (n - 1) // page * page
        plan = [("end", last), ("first", 0), ("middle", n // 2 // page * page)]
        plan += [("random", rng.randrange(0, n)) for _ in range(10)]
        for what, start in plan:
            with Timer(pid, times[what], cpus[what]):
                got = c.body("variables", {"variablesReference": ref, "start": start,
                                           "count": page, "filter": "indexed"})["variables"]
            want = min(page, n - start)
            if len(got) != want:
                raise ClientError(f"main.{name} page at {start}: {len(got)} variables, "
                                  f"{want} expected")
        for what, args in (("whole", {}), ("whole (count=len)", {"start": 0, "count": n})):
            with Timer(pid, times[what], cpus[what]):
                c.body("variables", {"variablesReference": ref, **args})
    return out, cpu


def run_once(fx: Fixture, env: dict[str, str], err_path: str, names: list[str], page: int,
             seed: int, code: str) -> tuple[Times, Times, int]:
    """One session: (wall times, server CPU times, server peak RSS in KiB)."""
    with open(err_path, "wb") as err:  # cwd: "python -m" imports from there first
        proc = subprocess.Popen([sys.executable, "-m", "dapcore"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, env=env, cwd=code)
        try:
            c = Client(proc=proc, timeout=TIMEOUT)
            walls, cpus = session(fx, c, proc.pid, names, page, seed)
            usage = end_server(proc, c)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    return walls, cpus, usage.ru_maxrss


def table(worst: dict[str, dict[str, float]], lengths: dict[str, int], what: str) -> str:
    head = ["container", "length", *OFFSETS]
    lines = [head]
    for name, row in worst.items():
        lines.append([name, f"{lengths[name]:,}",
                      *(f"{row[k]:.1f}" + ("!" if k in OFFSETS[:4] and row[k] > TARGET_MS
                                           else "") for k in OFFSETS)])
    widths = [max(len(x[i]) for x in lines) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip()
            for x in lines]
    text.insert(1, "-" * len(text[0]))
    text.append(f"({what}, ms per variables request, the slowest over the runs; ! over the "
                f"{TARGET_MS:.0f} ms target)")
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--go", default="1.27")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--page", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--only", default="", help="comma-separated containers, e.g. byName,bigInts")
    ap.add_argument("--code", default=str(REPO), help="the checkout whose dapcore is served")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.only.split(",") if s.strip()] or list(CONTAINERS)
    env = child_env(False)
    code = str(Path(args.code).resolve())
    env["PYTHONPATH"] = os.pathsep.join([code, *env["PYTHONPATH"].split(os.pathsep)[1:]])
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "dapcore-bench-pycache")
    fx = ensure(spec(args.go, "default", "bigcontainers"))
    lengths = {k: v for k, v in fx.facts()["lengths"].items() if k in names}
    runs: list[tuple[Times, Times, int]] = []
    with tempfile.TemporaryDirectory(prefix="dapcore-bench-paging.") as tmp:
        for i in range(args.runs):
            print(f"run {i + 1}/{args.runs} …", file=sys.stderr, flush=True)
            runs.append(run_once(fx, env, f"{tmp}/server.err", names, args.page, args.seed,
                                 code))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    peak = max(r[2] for r in runs) / 1024
    print(f"Go {args.go}, pages of {args.page}, {args.runs} runs; code: {code}; "
          f"load average {load}; server peak RSS {peak:.0f} MB")
    result: dict[str, Any] = {"code": code, "go": args.go, "load": load, "peakRssMB": peak}
    for j, what in enumerate(("wall time", "server CPU time")):
        worst = {n: {k: max((t for r in runs for t in r[j][n][k]), default=float("nan"))
                     for k in OFFSETS} for n in names}
        median = {n: {k: statistics.median([t for r in runs for t in r[j][n][k]]
                                           or [float("nan")]) for k in OFFSETS}
                  for n in names}
        print(table(worst, lengths, what))
        result[what] = {"slowestMs": worst, "medianMs": median}
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
