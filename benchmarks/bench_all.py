"""Every performance figure of issue #16, one script after another.

Usage (from the repository root)::

    python benchmarks/bench_all.py [--runs 3] [--with-1m] [--with-bigprog] [--vscode]
                                   [--skip NAME,…] [--save DIR] [--json] [--dry-run]
    python benchmarks/bench_all.py --summary-only FILE… [--json]

Runs, each in its own process and printing its own table:

- ``vs-delve``: ``bench_vs_delve.py`` — process start to the crash frame's
  locals over DAP and the CLI listing, against Delve on the same Go 1.19
  cores (ratios measured in the same run when ``dlv`` is installed, else
  against Delve's recorded figures); ``--with-1m`` and ``--with-bigprog``
  add the 1,000,007-goroutine core and the generated 158 MB program;
- ``dap``: ``bench_dap.py`` — each phase of a VS Code–ordered session on the
  Go 1.27 cores, the 100k targets checked, and the start-up imports
  (``--with-bigprog``: the generated program too);
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

**The summary.** The scripts that have ``--json`` run with it; what each
prints is shown as before, up to its JSON, which is kept (with the command,
the time, the load average before and after and the exit status) in
``--save DIR/NAME.json`` (default: a new folder under
``~/.cache/dapcore/bench/``). The run ends with one table of issue #16's
targets (:mod:`targets`): per target, the figure measured, the reference
(Delve's figure in the same run where ``dlv`` is installed, else the one
recorded in ``bench_vs_delve.py``; or the target's limit, the first open,
the 16-goroutine case), their ratio, and met, missed or not measured (a
benchmark skipped, a core left out, a run that failed, a key absent).
``--summary-only FILE…`` rebuilds that table without running anything,
from files saved so or from a script's own ``--json`` output (the table
it printed before its JSON is skipped; the benchmark is known by the
JSON's shape). ``--json`` prints the summary as JSON too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _p in (str(HERE.parent), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from targets import SOURCES, detect, evaluate, extract_json, table  # noqa: E402

from tests.factory.paths import cache_root  # noqa: E402


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
        ("dap", ["bench_dap.py", *runs, "--only", "nilmap,many,many-100k,bigpanic"
                 + (",bigprog" if args.with_bigprog else "")]),
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
    return [(name, [sys.executable, str(HERE / cmd[0]), *cmd[1:],
                    *(["--json"] if name in SOURCES else [])])
            for name, cmd in out if name not in skip]


def run_one(cmd: list[str]) -> tuple[int, Any]:
    """Run a benchmark, its output shown as it comes up to a line that opens
    its JSON (``[`` or ``{`` alone): (exit status, its JSON or None)."""
    proc = subprocess.Popen(cmd, cwd=HERE.parent, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    held = -1  # where the JSON may start: not shown
    for line in proc.stdout:
        if held < 0 and line.rstrip() in ("[", "{"):
            held = len(lines)
        if held < 0:
            sys.stdout.write(line)
            sys.stdout.flush()
        lines.append(line)
    rc = proc.wait()
    doc = extract_json("".join(lines[held:])) if held >= 0 else None
    if held >= 0 and doc is None:  # not JSON after all: show it
        sys.stdout.write("".join(lines[held:]))
    return rc, doc


def machine() -> str:
    """This machine in a line: CPUs and their model, memory, kernel, Python."""
    model = mem = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f
                          if ln.startswith("model name")), "?")
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 2**20:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{os.cpu_count()} CPUs ({model}), {mem} of memory, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def run_all(args: argparse.Namespace) -> tuple[dict[str, Any], list[str], list[str]]:
    """Every benchmark of the plan: (name → its JSON, lines about each run,
    the names of those that failed)."""
    save = Path(args.save) if args.save else \
        cache_root() / "bench" / time.strftime("%Y%m%d-%H%M%S")
    outputs: dict[str, Any] = {}
    about: list[str] = []
    failed: list[str] = []
    for name, cmd in plan(args):
        print(f"\n===== {name}: {' '.join(cmd[1:])}", flush=True)
        if args.dry_run:
            continue
        started, load0 = time.monotonic(), os.getloadavg()[0]
        if name in SOURCES:
            rc, doc = run_one(cmd)
        else:  # no JSON to keep: its output as it comes, as before
            rc, doc = subprocess.run(cmd, cwd=HERE.parent, check=False).returncode, None
        took, load1 = time.monotonic() - started, os.getloadavg()[0]
        print(f"===== {name}: exit {rc} after {took:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
        line = f"{name}: exit {rc}, {took:.0f} s, load {load0:.1f} → {load1:.1f}"
        if name in SOURCES:
            outputs[name] = doc
            save.mkdir(parents=True, exist_ok=True)
            (save / f"{name}.json").write_text(json.dumps({
                "benchmark": name, "command": cmd[1:], "exit": rc,
                "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(
                    time.time() - took)), "seconds": took, "load": [load0, load1],
                "machine": machine(), "output": doc}, indent=1))
            line += f", saved in {save / f'{name}.json'}" if doc is not None else \
                ", printed no JSON"
        about.append(line)
    return outputs, about, failed


def read_saved(paths: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Outputs from files: bench_all's saved ones or a script's own
    ``--json`` output. A file that holds neither is an error."""
    outputs: dict[str, Any] = {}
    about: list[str] = []
    for path in paths:
        try:
            text = Path(path).read_text(errors="replace")
        except OSError as exc:
            raise SystemExit(f"bench_all: cannot read {path}: {exc.strerror}") from None
        doc = extract_json(text)
        if isinstance(doc, dict) and doc.get("benchmark") in SOURCES and "output" in doc:
            name, output = doc["benchmark"], doc["output"]
            load = doc.get("load")
            if isinstance(doc.get("machine"), str) and doc["machine"] not in about:
                about.insert(0, doc["machine"])
            about.append(f"{name}: {path} (run {doc.get('started', '?')}, exit "
                         f"{doc.get('exit', '?')}, load "
                         + (" → ".join(f"{x:.1f}" for x in load) if isinstance(load, list)
                            and all(isinstance(x, int | float) for x in load) else "?") + ")")
        else:
            name, output = detect(doc), doc
            if name is None:
                raise SystemExit(f"bench_all: {path} holds no benchmark's JSON output "
                                 f"(expected one of: {', '.join(SOURCES)}, as printed "
                                 "with --json or saved by bench_all.py)")
            load = re.search(r"load(?: average)? ([\d.]+)", text)  # as the script printed it
            about.append(f"{name}: {path}" + (f" (load {load.group(1)})" if load else ""))
        if name in outputs:
            raise SystemExit(f"bench_all: two outputs of {name} ({path} is the second)")
        outputs[name] = output
    return outputs, about


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="timed runs per figure (default 3)")
    ap.add_argument("--with-1m", action="store_true",
                    help="the 1,000,007-goroutine core too (built on request: minutes)")
    ap.add_argument("--with-bigprog", action="store_true",
                    help="the generated 158 MB program too (built on request: minutes)")
    ap.add_argument("--vscode", action="store_true", help="the real VS Code figures too")
    ap.add_argument("--skip", help="comma-separated benchmarks to leave out (vs-delve, dap, "
                                   "index-cache, paging, engine, triage, groups, vscode)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands only")
    ap.add_argument("--save", metavar="DIR",
                    help="where to keep each benchmark's JSON (default: a new folder under "
                         f"{cache_root() / 'bench'})")
    ap.add_argument("--summary-only", nargs="+", metavar="FILE",
                    help="no benchmark run: the summary from saved outputs")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON too")
    args = ap.parse_args()
    failed: list[str] = []
    if args.summary_only:
        outputs, about = read_saved(args.summary_only)
    else:
        outputs, about, failed = run_all(args)
        if args.dry_run:
            return 0
        about.insert(0, machine())
    rows = evaluate(outputs)
    print("\n===== issue #16's targets")
    print("\n".join(about))
    print(table(rows))
    if args.json:
        print(json.dumps({"sources": about, "targets": [r.to_json() for r in rows]},
                         indent=1))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # piped into head: end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
