"""Every performance figure of issue #16, one script after another.

Usage (from the repository root)::

    python benchmarks/bench_all.py [--runs 3] [--with-1m] [--with-bigprog] [--vscode]
                                   [--skip NAME,…] [--dry-run]

Runs, each in its own process and printing its own table:

- ``vs-delve``: ``bench_vs_delve.py`` — process start to the crash frame's
  locals over DAP and the CLI listing, against Delve on the same Go 1.19
  cores (ratios measured in the same run when ``dlv`` is installed, else
  against Delve's recorded figures); ``--with-1m`` and ``--with-bigprog``
  add the 1,000,007-goroutine core and the generated 158 MB program;
- ``dap``: ``bench_dap.py`` — each phase of a VS Code–ordered session on the
  Go 1.27 cores, the 100k targets checked, and the start-up imports;
- ``index-cache``: ``bench_index_cache.py`` — first open against second;
- ``paging``: ``bench_paging.py`` — the slowest ``variables`` page of 1,000
  children per container and offset (server CPU and wall time);
- ``engine``: ``bench_engine.py`` — the engine's figures (a)–(i);
- ``groups``: ``bench_groups.py`` — goroutine groups, blocking and the
  report against ``dapcore goroutines`` on the 100k and 10k cores;
- ``triage``: ``bench_triage.py`` — ``dapcore triage`` of 100 small cores
  (issue #17; ``--runs`` is its runs too);
- ``vscode`` (with ``--vscode``): ``bench_vscode.py`` — F5 to the locals in a
  real VS Code, 16 goroutines against 100,007 (capped and not).

The figures recorded in the README come from these scripts. A script that
fails is reported at the end and the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def plan(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """(name, command) of each benchmark to run, in order."""
    runs = ["--runs", str(args.runs)]
    delve = ["--only", "nilmap,many,many-100k,bigpanic" + (",bigprog" if args.with_bigprog
                                                            else "")]
    if args.with_1m:
        delve.append("--with-1m")
        delve[1] += ",many-1m"
    if args.with_bigprog:
        delve.append("--with-bigprog")
    out = [
        ("vs-delve", ["bench_vs_delve.py", *runs, *delve]),
        ("dap", ["bench_dap.py", *runs, "--only", "nilmap,many,many-100k,bigpanic"]),
        ("index-cache", ["bench_index_cache.py", *runs]),
        ("paging", ["bench_paging.py", *runs]),
        ("engine", ["bench_engine.py", *runs]),
        ("triage", ["bench_triage.py", *runs]),
        ("groups", ["bench_groups.py", *runs]),
    ]
    if args.vscode:
        out.append(("vscode", ["bench_vscode.py", *runs,
                               "--only", "nilmap,many-100k,many-100k@0"]))
    skip = {s for s in (args.skip or "").split(",") if s}
    return [(name, [sys.executable, str(HERE / cmd[0]), *cmd[1:]]) for name, cmd in out
            if name not in skip]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="timed runs per figure (default 3)")
    ap.add_argument("--with-1m", action="store_true",
                    help="the 1,000,007-goroutine core too (built on request: minutes)")
    ap.add_argument("--with-bigprog", action="store_true",
                    help="the generated 158 MB program too (built on request: minutes)")
    ap.add_argument("--vscode", action="store_true", help="the real VS Code figures too")
    ap.add_argument("--skip", help="comma-separated benchmarks to leave out (vs-delve, dap, "
                                   "index-cache, paging, engine, vscode)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = ap.parse_args()
    failed: list[str] = []
    for name, cmd in plan(args):
        print(f"\n===== {name}: {' '.join(cmd[1:])}", flush=True)
        if args.dry_run:
            continue
        started = time.monotonic()
        rc = subprocess.run(cmd, cwd=HERE.parent, check=False).returncode
        print(f"===== {name}: exit {rc} after {time.monotonic() - started:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
