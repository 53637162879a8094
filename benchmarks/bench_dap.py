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
page cache then holds the files, and the bytecode cache is filled).

The cores (Go 1.27, default variant, built through the fixture factory when
missing): ``nilmap`` (16 goroutines), ``sigquit`` (a SIGQUIT dump), ``many``
(10,000 goroutines), ``many-100k`` (100,000) and ``bigpanic`` (23 MB
binary; ``--only bigprog``: the generated ≥ 150 MB program, built on
request). ``--go 1.19``: another release's fixtures. ``--code DIR``: serve
from another checkout's ``dapcore`` (the code before a change, to compare in
one sitting).

Start-up is measured too: ``-X importtime`` of ``dapcore.dap.server`` (what
the stdio server imports before it reads its first message), split into
``site`` (this environment's start-up: editable-install finders, ``.pth``
files; not dapcore's) and dapcore's own imports.
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_engine import REPO, child_env, end_server, in_spawner, start_spawner  # noqa: E402

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
    stamp("early threads", c.response(early, timeout=TIMEOUT))
    threads = stamp("threads", c.request("threads", timeout=TIMEOUT))["threads"]
    # the list's own time: from the stop to the first threads answer after it
    # (the code before issue #16 answered the early request before the stop)
    at["stopped → threads"] = min(t for t in (at["early threads"], at["threads"])
                                  if t >= at["stopped"]) - at["stopped"]
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


def run_once(fx: Fixture, env: dict[str, str], err_path: str, cwd: str
             ) -> tuple[dict[str, float], int, Any]:
    """One session from spawn: (phases, peak RSS KiB, result)."""
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "dapcore"], stdin=subprocess.PIPE,
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
    return at, usage.ru_maxrss, result


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


def startup(env: dict[str, str], runs: int, cwd: str) -> dict[str, float]:
    """Medians (ms) of ``-X importtime``: site, dapcore.dap.server (cumulative)."""
    site, ours = [], []
    for _ in range(runs + 1):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c",
                              "import dapcore.dap.server"], env=env, cwd=cwd,
                             capture_output=True, text=True, check=True).stderr
        tops = {m.group(2).strip(): int(m.group(1)) for m in re.finditer(
            r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", out, re.M)}
        site.append(tops.get("site", 0) / 1000)
        ours.append(tops.get("dapcore.dap.server", 0) / 1000)
    return {"site (environment)": statistics.median(site[1:]),
            "dapcore.dap.server imports": statistics.median(ours[1:])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated cores, e.g. nilmap,many-100k")
    ap.add_argument("--code", default=str(REPO), help="the checkout whose dapcore is served")
    ap.add_argument("--go", default=GO, help=f"the fixtures' Go release (default {GO})")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    start_spawner()
    env = child_env(False)
    code = str(Path(args.code).resolve())
    env["PYTHONPATH"] = os.pathsep.join([code, *env["PYTHONPATH"].split(os.pathsep)[1:]])
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
                at, kb, result = in_spawner(run_once, fx, env, f"{tmp}/{name}.err", code)
                if i == 0:
                    check(fx, result)
                    continue
                for k, v in at.items():
                    phases.setdefault(k, []).append(v)
                rss.append(kb)
            rows.append({"core": name, "result": result, "peakRssMB": max(rss) / 1024,
                         "median": {k: statistics.median(v) for k, v in phases.items()}})
    start = startup(env, args.runs, code)
    print(table(rows, start, code))
    if args.json:
        print(json.dumps({"code": code, "startupMs": start, "sessions": rows}, indent=2))
    return 0


def table(rows: list[dict[str, Any]], start: dict[str, float], code: str) -> str:
    cols = [*PHASES, "stopped → threads"]
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
    text.append(f"(seconds from spawn, medians; code: {code})")
    for r in rows:
        if r["core"] == "many-100k":
            m = r["median"]
            missed = [f"{k} {m[k]:.3f} s > {t} s" for k, t in TARGETS_100K.items() if m[k] > t]
            if r["peakRssMB"] > TARGET_RSS_100K_MB:
                missed.append(f"peak RSS {r['peakRssMB']:.0f} MB > {TARGET_RSS_100K_MB} MB")
            text.append("100k targets: " + ("; ".join(missed) + " (missed)" if missed
                                            else "all met"))
    text.append("start-up (ms, -X importtime medians): " + ", ".join(
        f"{k} {v:.1f}" for k, v in start.items()))
    return "\n".join(text)


if __name__ == "__main__":
    sys.exit(main())
