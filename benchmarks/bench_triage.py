"""``dapcore triage`` of 100 small cores: issue #17's target is ≤ 30 s on 2 CPUs.

Usage (from the repository root)::

    python benchmarks/bench_triage.py [--cores 100] [--jobs 2] [--runs 3]

Makes a directory of ``--cores`` hard links to the cores of several small
fixtures (Go 1.27, default variant: the zoocrashes program's crashvary-1/2/3
and crashother, the zoo's nilmap, nilptr, index and goroutinepanic), each
scenario in a folder of its own with its executable beside the cores, then
runs ``python -m dapcore triage DIR --jobs N --out REPORTS`` in a fresh
process and takes its wall time, from spawn to exit. The first run starts
with an empty index cache (every build's indexes made once, in the workers),
the next ones reuse it (a second triage of the same builds). Prints the
load average before each run: the machine is shared. Expected result: six
distinct crashes (the three crashvary cores are one); the exit status is
non-zero when the output says otherwise.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.factory import ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402

SCENARIOS = ("crashvary-1", "crashvary-2", "crashvary-3", "crashother", "nilmap", "nilptr",
             "index", "goroutinepanic")
DISTINCT = 6


def make_cores(root: Path, count: int) -> None:
    fixtures = [ensure(spec("1.27", "default", s)) for s in SCENARIOS]
    for i in range(count):
        fx = fixtures[i % len(fixtures)]
        d = root / fx.spec.scenario.name
        if not d.exists():
            d.mkdir()
            os.link(fx.binary, d / fx.binary.name)
        os.link(fx.core, d / f"core.{i}")


def run_once(cores: Path, out: Path, jobs: int, index_cache: Path) -> tuple[float, dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env["DAPCORE_INDEX_CACHE"] = str(index_cache)
    start = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "dapcore", "triage", str(cores), "--jobs",
                          str(jobs), "--format", "json", "--out", str(out)],
                         capture_output=True, text=True, env=env, check=False)
    took = time.monotonic() - start
    if res.returncode != 0:
        raise SystemExit(f"triage failed ({res.returncode}): {res.stderr}")
    return took, json.loads(res.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-triage-") as tmp:
        root = Path(tmp)
        cores = root / "cores"
        cores.mkdir()
        make_cores(cores, args.cores)
        index_cache = root / "index"
        times = []
        for run in range(args.runs):
            load = os.getloadavg()[0]
            took, doc = run_once(cores, root / f"out{run}", args.jobs, index_cache)
            times.append(took)
            state = "empty index cache" if run == 0 else "index cache filled"
            print(f"run {run + 1}: {took:.1f} s ({state}; load {load:.1f}): {doc['cores']} cores, "
                  f"{len(doc['crashes'])} distinct crashes, {len(doc['unreadable'])} unreadable")
            if len(doc["crashes"]) != DISTINCT or doc["unreadable"] or doc["cores"] != args.cores:
                print(json.dumps(doc, indent=1)[:4000])
                return 1
    print(f"{args.cores} cores, {args.jobs} jobs on {os.cpu_count()} CPUs: first {times[0]:.1f} s"
          + (f", then median {statistics.median(times[1:]):.1f} s" if len(times) > 1 else "")
          + " (target: ≤ 30 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
