"""The long fuzz run (issue #11): thousands of mutated cores, executables
and DAP messages through the real CLI and DAP server.

Usage (from the repository root)::

    python benchmarks/fuzz.py [--cases 3000] [--dap-cases 1000] [--seed 1] [--jobs 2]
    python benchmarks/fuzz.py --seed 11 --only 17 --keep /tmp/fuzz-case     # one file case
    python benchmarks/fuzz.py --fixtures go1.27-default-nilptr --seed 11 --only=-1  # a FIFO core
    python benchmarks/fuzz.py --dap --seed 11 --only 5 --keep /tmp/fuzz-dap  # one DAP case
    python benchmarks/fuzz.py --dap-walk 200 --seed 1     # DAP walks over 200 mutated cases
    python benchmarks/fuzz.py --dap-walk --seed 1 --only 17 --keep /tmp/fuzz-walk  # one walk

The harness is ``tests/fuzz`` (``tests/test_fuzz.py`` runs a bounded set of
the same cases with seed 11). Each file case mutates one fixture core or
executable (Go 1.27 ``nilptr``, ``goroutinepanic``, ``sigquit``; Go 1.19
``goroutinepanic``) and runs ``python -m dapcore crash|goroutines|locals|bt -a``
on it with a 10 s deadline and a 1.5 GB address-space limit; each DAP case
sends hostile messages to a live server on the Go 1.27 ``nilptr`` core, then
checks it still answers ``threads`` within 10 s. ``--dap-walk N`` runs the
DAP server over the file cases' mutated cores and executables as an editor
would (``tests/fuzz/dapwalk.py``; alone, unless ``--cases``/``--dap-cases``
are given too). Printed: a table of the
classes per mutation target, the figures for the README, and every failing
case with what rebuilds it. ``--only N --keep DIR`` writes case N's files
(or, with ``--dap``, the bytes a client sends) to DIR and runs it. The exit
status is 1 when a case failed (CRASH, HANG, MEMORY, SILENT, PROTOCOL, SILENT-DAP).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.factory import ensure  # noqa: E402
from tests.fuzz import FUZZ_SPECS  # noqa: E402
from tests.fuzz.dap import DapHarness, DapOutcome, dap_table  # noqa: E402
from tests.fuzz.dapwalk import WalkHarness, WalkOutcome, walk_table  # noqa: E402
from tests.fuzz.mutate import Target, generate, make_case, materialize  # noqa: E402
from tests.fuzz.run import FAILURES, Harness, Outcome, child_env, run_cli, table  # noqa: E402


def targets(ids: str | None = None) -> list[Target]:
    """The fixtures to mutate: ``FUZZ_SPECS``, or those named (comma-separated ids)."""
    wanted = ids.split(",") if ids else [s.id for s in FUZZ_SPECS]
    by_id = {s.id: s for s in FUZZ_SPECS}
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise SystemExit(f"unknown fixture(s) {unknown}; known: {sorted(by_id)}")
    out = []
    for fid in wanted:
        f = ensure(by_id[fid])
        out.append(Target.load(fid, f.binary, f.core))
    return out


def dap_harness() -> DapHarness:
    f = ensure(FUZZ_SPECS[0])
    return DapHarness(f.binary, f.core, FUZZ_SPECS[0].id)


def _only_file(args: argparse.Namespace) -> int:
    ts = targets(args.fixtures)
    case = make_case(args.seed, args.only, ts)
    print(case.describe())
    t = next(x for x in ts if x.id == case.fixture)
    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fuzz-case-"))
    binary, core = materialize(case, t, keep)
    print(f"files in {keep}\n  python -m dapcore {' '.join(case.command)} {binary} {core}")
    h = Harness(ts, keep)
    run = run_cli([*case.command, str(binary), str(core)])
    from tests.fuzz.run import classify

    klass, detail = classify(run, h.baseline(case.fixture, case.command),
                             {str(binary): str(t.binary), str(core): str(t.core)})
    print(f"-> {klass}: {detail} ({run.seconds:.1f} s, exit {run.returncode})")
    if run.stderr:
        print("stderr:\n" + run.stderr[-3000:])
    return 1 if klass in FAILURES else 0


def _only_dap(args: argparse.Namespace) -> int:
    h = dap_harness()
    case = h.case(args.seed, args.only)
    print(case.describe(600))
    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fuzz-dap-"))
    keep.mkdir(parents=True, exist_ok=True)
    path = h.dump(args.seed, args.only, keep / "input.bin")
    print(f"client bytes (initialize, launch, configurationDone, the case, threads) in {path}\n"
          f"  python -m dapcore dap < {path}")
    out = h.run_session([case])[0]
    print(f"-> {out.klass}: {out.detail}")
    # Also replay the bytes once as a client would, to show the server's answers.
    proc = subprocess.run([sys.executable, "-m", "dapcore", "dap"], stdin=path.open("rb"),
                          capture_output=True, cwd=REPO, env=child_env(), timeout=60)
    (keep / "output.bin").write_bytes(proc.stdout)
    (keep / "stderr.txt").write_bytes(proc.stderr)
    print(f"server output in {keep / 'output.bin'}, its stderr in {keep / 'stderr.txt'}")
    return 1 if out.failed else 0


def _only_walk(args: argparse.Namespace) -> int:
    ts = targets(args.fixtures)
    case = make_case(args.seed, args.only, ts)
    print(case.describe())
    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fuzz-walk-"))
    out = WalkHarness(ts, keep).run_case(case, keep=keep)
    t = next(x for x in ts if x.id == case.fixture)
    binary, core = (t.binary, keep / t.core.name) if case.role == "core" else \
        (keep / t.binary.name, t.core)
    print(f"files in {keep}\n  launch {{\"program\": \"{binary}\", \"coreFilePath\": "
          f"\"{core}\"}}\n  python -m dapcore crash {binary} {core}\n"
          f"the server's messages in {keep / 'transcript.jsonl'}")
    why = f": {out.cli_detail}" if out.cli_detail else ""
    cli = f" (dapcore crash: {out.cli}{why})" if out.cli else ""
    print(f"-> {out.klass}: {out.detail}{cli} ({out.seconds:.1f} s, {out.requests} requests, "
          f"peak RSS {out.maxrss >> 20} MB)")
    return 1 if out.failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, help="random file cases (default 3000, or 0 with "
                    "--dap-walk)")
    ap.add_argument("--dap-cases", type=int, help="DAP cases (default 1000, or 0 with "
                    "--dap-walk)")
    ap.add_argument("--dap-walk", type=int, nargs="?", const=-1, metavar="N",
                    help="DAP walks over N mutated cases (and the special files); with "
                    "--only, no N: the case is a walk")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fixtures", help="comma-separated fixture ids to mutate (default: all "
                    "four; the test suite draws each fixture's cases from that one alone)")
    ap.add_argument("--only", type=int, help="run one case (by its index; negative: the "
                    "special files) and show it")
    ap.add_argument("--dap", action="store_true", help="with --only: a DAP case")
    ap.add_argument("--keep", help="with --only: where to write the case's files")
    args = ap.parse_args()
    if args.only is not None:
        if args.dap_walk is not None:
            return _only_walk(args)
        return _only_dap(args) if args.dap else _only_file(args)
    walks = max(0, args.dap_walk or 0)
    if args.cases is None:
        args.cases = 0 if walks else 3000
    if args.dap_cases is None:
        args.dap_cases = 0 if walks else 1000

    start = time.monotonic()
    ts = targets(args.fixtures)
    cases = generate(args.seed, args.cases, ts) if args.cases else []
    done = [0]

    def tick(o: Outcome | DapOutcome | WalkOutcome) -> None:
        done[0] += 1
        if o.failed or done[0] % 250 == 0:
            print(f"  [{done[0]}] {o.klass} {o.case.index} {o.detail[:160]}", file=sys.stderr,
                  flush=True)

    with tempfile.TemporaryDirectory(prefix="dapcore-fuzz-") as tmp:
        outcomes = Harness(ts, Path(tmp), jobs=args.jobs).run(cases, tick)
    files_s = time.monotonic() - start
    dstart = time.monotonic()
    dap = dap_harness().run(args.seed, args.dap_cases, progress=tick) if args.dap_cases else []
    dap_s = time.monotonic() - dstart
    wstart = time.monotonic()
    walked: list[WalkOutcome] = []
    if walks:
        with tempfile.TemporaryDirectory(prefix="dapcore-walk-") as tmp:
            walked = WalkHarness(ts, Path(tmp), jobs=args.jobs).run(
                generate(args.seed, walks, ts), tick)
    walk_s = time.monotonic() - wstart

    if outcomes:
        print(f"\nfile cases: {len(outcomes)} (seed {args.seed}, {args.jobs} jobs) in "
              f"{files_s:.0f} s ({files_s / max(1, len(outcomes)):.2f} s per case)")
        print(table(outcomes))
    if dap:
        print(f"\nDAP cases: {len(dap)} (seed {args.seed}) in {dap_s:.0f} s")
        print(dap_table(dap))
    if walked:
        clis = Counter(o.cli for o in walked if o.cli)
        print(f"\nDAP walks: {len(walked)} (seed {args.seed}, {args.jobs} jobs) in {walk_s:.0f} s "
              f"({walk_s / len(walked):.2f} s per case; 'dapcore crash' run on the "
              f"{sum(clis.values())} without a warning shown: "
              f"{', '.join(f'{n} {k}' for k, n in sorted(clis.items())) or 'none'})")
        print(walk_table(walked))
        wslow = max(walked, key=lambda o: o.seconds)
        wpeak = max(walked, key=lambda o: o.maxrss)
        print(f"slowest walk: {wslow.seconds:.1f} s ({wslow.case.index}); largest server peak "
              f"RSS: {wpeak.maxrss >> 20} MB ({wpeak.case.index})")
    failed: list[Outcome | DapOutcome | WalkOutcome] = [o for o in outcomes if o.failed]
    failed += [o for o in dap if o.failed]
    failed += [o for o in walked if o.failed]
    slowest = max(outcomes, key=lambda o: o.seconds, default=None)
    peak = max(outcomes, key=lambda o: o.maxrss, default=None)
    if slowest is not None and peak is not None:
        print(f"\nslowest file case: {slowest.seconds:.1f} s ({slowest.case.index}); "
              f"largest peak RSS: {peak.maxrss >> 20} MB ({peak.case.index})")
    print(f"\n{len(failed)} failing case(s)")
    for o in failed:
        print(o.report())
    noticed = [o for o in walked if o.cli in FAILURES]
    if noticed:  # the file fuzzer's failures, seen by the walks' CLI runs
        print(f"\n'dapcore crash' failed on {len(noticed)} walked case(s) (the file fuzzer's "
              "classes; rebuild with --only, without --dap-walk):")
        for o in noticed:
            print(o.report())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
