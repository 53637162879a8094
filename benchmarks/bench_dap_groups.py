"""Goroutine groups over DAP against ``dapcore goroutines`` (issue #17: groups
in ≤ 1.0× the time of ``dapcore goroutines`` on the 100,000-goroutine core).

Usage (from the repository root)::

    python benchmarks/bench_dap_groups.py [--runs 3] [--only many,many-100k] [--go 1.27]

Per core, in alternating runs (the machine is shared): the wall time of
``python -m dapcore goroutines BIN CORE`` (a fresh process: imports, opening
the files, every goroutine's stack, printed to a pipe) and of
``python -m dapcore goroutines --group`` (the CLI's grouping), then one DAP
session (``python -m dapcore``): from the ``stopped`` event, the first
``dapcore/goroutineGroups`` request (default arguments: every group with
10 goroutines each and the frame to focus for those; the groups are
computed) and a second one (the session's cache). Medians, in seconds.
(``bench_groups.py`` times the CLI's triage commands against the listing.)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dapcore.dap.client import Client  # noqa: E402
from tests.factory import ensure  # noqa: E402
from tests.factory.matrix import spec as make_spec  # noqa: E402


def _cli(binary: Path, core: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dapcore", "goroutines", str(binary), str(core),
                    *extra], cwd=REPO, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _dap(binary: Path, core: Path) -> tuple[float, float]:
    with Client.start([sys.executable, "-m", "dapcore"], cwd=str(REPO)) as c:
        c.request("initialize", {"adapterID": "gocore", "linesStartAt1": True})
        c.request("launch", {"type": "gocore", "request": "launch", "program": str(binary),
                             "coreFilePath": str(core)}, timeout=300)
        c.request("configurationDone")
        c.event("stopped", timeout=300)
        times = []
        for _ in range(2):
            start = time.perf_counter()
            r = c.request("dapcore/goroutineGroups", {}, timeout=600)
            times.append(time.perf_counter() - start)
            assert r["success"], r
        return times[0], times[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--only", default="many,many-100k")
    p.add_argument("--go", default="1.27")
    args = p.parse_args()
    for name in args.only.split(","):
        fx = ensure(make_spec(args.go, "default", name))
        rows: dict[str, list[float]] = {"goroutines": [], "goroutines --group": [],
                                        "DAP groups (first)": [], "DAP groups (cached)": []}
        for _ in range(args.runs):
            rows["goroutines"].append(_cli(fx.binary, fx.core))
            rows["goroutines --group"].append(_cli(fx.binary, fx.core, "--group"))
            first, again = _dap(fx.binary, fx.core)
            rows["DAP groups (first)"].append(first)
            rows["DAP groups (cached)"].append(again)
        print(f"go{args.go} {name}:")
        for what, ts in rows.items():
            each = ", ".join(f"{t:.2f}" for t in ts)
            print(f"  {what:22} {statistics.median(ts):7.2f} s   ({each})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
