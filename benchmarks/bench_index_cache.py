"""First open against second open: what the index cache saves (issue #16).

Usage (from the repository root)::

    python benchmarks/bench_index_cache.py [--runs 5] [--only nilptr,many-100k,bigpanic]
                                           [--go 1.27] [--json]

For each core, each run empties a private cache directory (never the
user's: ``DAPCORE_INDEX_CACHE`` points the children at it), then opens the
core twice, each time from a fresh interpreter:

* **engine**: a Python child imports the engine and the value model
  (``imports``), then times ``Engine.open`` → the crashed goroutine → its
  stack → the landing frame's values
  (``open → locals``), then their text apart (``+text``: read from the
  core; on the 100k core a channel's 50,000 waiters are counted there),
  then ``close()``, which writes the cache on the first open (``save``);
  the wall time from spawn to exit is given too (the interpreter and
  imports, which no cache changes, included);
* **DAP**: ``python -m dapcore`` over stdio with VS Code's requests, as
  :mod:`bench_dap` runs them, spawn → the ``variables`` answer of the
  focused frame's Locals (the server writes the cache in the background
  after those values, and waits for it on ``disconnect``).

The table gives medians, the second open's ratio to the first (issue #16's
target: ≤ 0.5 for the engine's open → locals), and the entry's size. The
cores: ``nilptr`` (a small program), ``many-100k`` (100,000 goroutines)
and ``bigpanic`` (a 23 MB binary), Go 1.27 by default (``--go 1.19``: the
Go 1.19 builds), built through the fixture factory when missing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_dap import check as check_dap  # noqa: E402
from bench_dap import run_once as dap_once  # noqa: E402
from bench_engine import REPO, child_env, in_spawner, run_child, start_spawner  # noqa: E402

from tests.factory import Fixture, ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402

SCENARIOS = ("nilptr", "many-100k", "bigpanic")
TARGET = 0.5

OPEN_TO_LOCALS = """
import json, sys, time
t0 = time.perf_counter()
from dapcore.engine import Engine
from dapcore.govalues.summary import text_of
import dapcore.govalues.frame  # the value model (Engine.frame_values imports it on first use)
t1 = time.perf_counter()
e = Engine.open(sys.argv[1], sys.argv[2])
g = e.crashed_goroutine or e.goroutines[0]
e.stack(g)
i = e.landing_frame(g.goid)
values = e.frame_values(g.goid, i)
tv = time.perf_counter()
texts = [f"{v.name} = {text_of(v)}" for _, v in values]
t2 = time.perf_counter()
entry = e.proc.exe.index
e.close()
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "open": tv - t1, "text": t2 - tv, "save": t3 - t2,
                  "goid": g.goid, "locals": texts, "hits": len(entry.hits),
                  "misses": len(entry.misses)}))
"""


def engine_once(fx: Fixture, env: dict[str, str], out: Path) -> dict[str, Any]:
    wall, kb, code, tail = run_child(["-c", OPEN_TO_LOCALS, str(fx.binary), str(fx.core)],
                                     out, env)
    if code != 0:
        raise RuntimeError(f"{fx.spec.id}: exit status {code}: {tail}")
    res = json.loads(out.read_text())
    want = fx.facts().get("crashGoroutine")
    if want is not None and res["goid"] != want:
        raise ValueError(f"{fx.spec.id}: goroutine {res['goid']}, facts say {want}")
    return {**res, "wall": wall, "rssKB": kb}


def measure(fx: Fixture, env: dict[str, str], runs: int, tmp: Path) -> dict[str, Any]:
    cache = tmp / "index"
    env = {**env, "DAPCORE_INDEX_CACHE": str(cache)}
    got: dict[str, list[float]] = {}
    sizes: list[int] = []
    locals_seen: set[str] = set()

    def add(key: str, v: float) -> None:
        got.setdefault(key, []).append(v)

    for i in range(runs + 1):  # the first round warms the page and bytecode caches
        shutil.rmtree(cache, ignore_errors=True)
        first = in_spawner(engine_once, fx, env, tmp / "engine1.out")
        second = in_spawner(engine_once, fx, env, tmp / "engine2.out")
        if first["locals"] != second["locals"] or second["misses"] or not second["hits"]:
            raise ValueError(f"{fx.spec.id}: second open differs: {first} / {second}")
        locals_seen.add(json.dumps(second["locals"]))
        sizes.append(sum(p.stat().st_size for p in cache.glob("*.idx")))
        shutil.rmtree(cache, ignore_errors=True)
        d1, _, r1, _ = in_spawner(dap_once, fx, env, str(tmp / "dap.err"), str(REPO),
                                  sys.executable)
        d2, _, r2, _ = in_spawner(dap_once, fx, env, str(tmp / "dap.err"), str(REPO),
                                  sys.executable)
        check_dap(fx, r2)
        if r1 != r2:
            raise ValueError(f"{fx.spec.id}: DAP sessions differ: {r1} / {r2}")
        if i == 0:
            continue
        for n, res in (("1", first), ("2", second)):
            add(f"engine open → locals {n}", res["open"])
            add(f"engine text {n}", res["text"])
            add(f"engine spawn → exit {n}", res["wall"])
        add("engine save 1", first["save"])
        add("dap spawn → locals 1", d1["variables"])
        add("dap spawn → locals 2", d2["variables"])
    med = {k: statistics.median(v) for k, v in got.items()}
    return {"core": fx.spec.id, "median": med, "entryBytes": max(sizes),
            "locals": sorted(locals_seen)}


def table(rows: list[dict[str, Any]]) -> str:
    head = ["core", "engine open→locals 1st", "2nd", "ratio", "+text 1st", "2nd",
            "spawn→exit 1st", "2nd", "save", "DAP spawn→locals 1st", "2nd", "ratio", "entry"]
    lines = [head]
    for r in rows:
        m = r["median"]
        e1, e2 = m["engine open → locals 1"], m["engine open → locals 2"]
        d1, d2 = m["dap spawn → locals 1"], m["dap spawn → locals 2"]
        lines.append([r["core"], f"{e1:.3f}", f"{e2:.3f}", f"{e2 / e1:.2f}",
                      f"{m['engine text 1']:.3f}", f"{m['engine text 2']:.3f}",
                      f"{m['engine spawn → exit 1']:.3f}", f"{m['engine spawn → exit 2']:.3f}",
                      f"{m['engine save 1']:.3f}", f"{d1:.3f}", f"{d2:.3f}", f"{d2 / d1:.2f}",
                      f"{r['entryBytes'] / (1 << 20):.1f} MB"])
    widths = [max(len(x[i]) for x in lines) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip()
            for x in lines]
    text.insert(1, "-" * len(text[0]))
    text.append("(seconds, medians; 1st: empty cache, 2nd: the cache the 1st wrote)")
    for r in rows:
        m = r["median"]
        ratio = m["engine open → locals 2"] / m["engine open → locals 1"]
        text.append(f"{r['core']}: second open {ratio:.2f}× the first "
                    f"({'met' if ratio <= TARGET else 'MISSED'}: target ≤ {TARGET}×)")
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated cores, e.g. nilptr,bigpanic")
    ap.add_argument("--go", default="1.27", help="the Go release of the fixtures")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    start_spawner()
    env = child_env(False)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dapcore-bench-index.") as tmp:
        for name in names:
            fx = ensure(spec(args.go, "default", name))
            print(f"{fx.spec.id} …", file=sys.stderr, flush=True)
            rows.append(measure(fx, env, args.runs, Path(tmp)))
    print(table(rows))
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
