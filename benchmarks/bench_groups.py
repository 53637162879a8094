"""Triage on a big core against the plain listing (issue #17's target:
goroutine groups and the report of the 100,000-goroutine core in ≤ 1.0×
the time of ``dapcore goroutines`` on it).

Usage (from the repository root)::

    python benchmarks/bench_groups.py [--runs 3] [--only many-100k,many] [--go 1.27]

Each command runs from a fresh interpreter (spawn → exit, peak RSS from
``wait4``), the commands alternating within each run so that they share
the machine's load: ``dapcore goroutines`` (every goroutine, its stack
unwound for the top user frame), ``goroutines --group --leaks`` (every
stack unwound and grouped, and the leak summary), and — when this
checkout has them — ``blocking`` and ``report``. The table gives medians
and each command's ratio to the listing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_engine import REPO, child_env, in_spawner, run_child, start_spawner  # noqa: E402

from tests.factory import ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402

TARGET = 1.0


def commands() -> list[tuple[str, list[str]]]:
    """(name, the dapcore command's words before BIN CORE) of each timed
    command this checkout has."""
    from dapcore.cliargs import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    have = set(sub.choices)  # type: ignore[arg-type]
    out = [("goroutines", ["goroutines"]),
           ("groups + leaks", ["goroutines", "--group", "--leaks"])]
    if "blocking" in have:
        out.append(("blocking", ["blocking"]))
    if "report" in have:
        out.append(("report", ["report", "--format", "json"]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="many-100k,many")
    ap.add_argument("--go", default="1.27")
    args = ap.parse_args(argv)
    start_spawner()
    env = child_env(False)
    cmds = commands()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.txt"
        for name in args.only.split(","):
            fx = ensure(spec(args.go, "default", name))
            times: dict[str, list[float]] = {c: [] for c, _ in cmds}
            rss: dict[str, list[int]] = {c: [] for c, _ in cmds}
            for run in range(args.runs + 1):  # the first run warms caches, not counted
                for cname, words in cmds:
                    secs, kib, code, tail = in_spawner(
                        run_child, ["-m", "dapcore", *words, str(fx.binary), str(fx.core)],
                        out, env)
                    if code != 0:
                        raise SystemExit(f"{cname} on {fx.spec.id} failed ({code}): {tail}")
                    if run:
                        times[cname].append(secs)
                        rss[cname].append(kib)
            base = statistics.median(times["goroutines"])
            for cname, _ in cmds:
                med = statistics.median(times[cname])
                rows.append((fx.spec.id, cname, med, max(rss[cname]) / 1024, med / base))
    print(f"Triage against the listing ({args.runs} runs, medians; target ≤ {TARGET:.1f}×)")
    print("| core | command | time | peak RSS | ratio to goroutines |")
    print("|---|---|---|---|---|")
    for core, cname, med, mib, ratio in rows:
        print(f"| {core} | {cname} | {med:.2f} s | {mib:.0f} MB | {ratio:.2f}× |")
    print(f"\nrepository {REPO}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
