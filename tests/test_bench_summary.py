"""The summary of issue #16's targets (``benchmarks/bench_all.py``,
``benchmarks/targets.py``): one row per target whatever the benchmarks
printed, never a crash on a missing or odd key, and the figures it reads
from a real benchmark's ``--json`` output are the ones that benchmark's own
table printed. Nothing here is timed: the figures are not judged."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import targets  # noqa: E402

# issue #16's targets: 6 cores against Delve, start-up, 4 at 100k, 5 at 1M,
# .debug_info, the index cache's 3 default cores × (engine, DAP), paging
# (wall, CPU), VS Code (capped, every thread)
TARGET_ROWS = 6 + 1 + 4 + 5 + 1 + 6 + 2 + 2

JUNK: list[Any] = [None, "text", 3, [], {}, [1, "x", None], {"sessions": "x"},
                   {"sessions": 3, "startupMs": {"site": "b"}, "wall time": 2},
                   {"many-100k@0": 7, "nilmap": {"timeline": {}}},
                   [{"scenario": "many-1m", "dap:dapcore": {"phases": {"stopped": [1, None],
                                                                      "threads": "x"}},
                     "cli:dapcore": {"times": None, "peakRssMB": "big"}, "cli:delve": 4}],
                   {"wall time": {"slowestMs": {"bigInts": None, "byName": {"end": "slow"}}}},
                   [{"scenario": "nilmap", "dap:dapcore": {"times": ["a", None, True]},
                     "dap:delve": {"times": [], "error": 5}}],
                   {"sessions": [{"core": "many-100k", "median": {"stopped": "fast"},
                                  "peakRssMB": float("nan")}], "startupMs": "x"},
                   [{"core": "go1.27-default-nilptr", "median": {"engine open → locals 1": 0}}],
                   {"nilmap": [{"timeline": "x"}], "many-100k": [None]},
                   [{"key": "h", "title": "t", "fixture": "x-bigpanic", "result": [None]}]]


def test_every_target_has_a_row_when_nothing_was_measured() -> None:
    rows = targets.evaluate({})
    assert len(rows) == TARGET_ROWS
    assert {r.verdict for r in rows} == {"not measured"}
    text = targets.table(rows)
    assert f"{TARGET_ROWS} not measured" in text


@pytest.mark.parametrize("source", targets.SOURCES)
@pytest.mark.parametrize("junk", range(len(JUNK)))
def test_odd_outputs_are_not_measured(source: str, junk: int) -> None:
    rows = targets.evaluate({source: JUNK[junk]})
    assert len(rows) == TARGET_ROWS
    # a recorded Delve figure is a reference, never a measurement
    assert {r.verdict for r in rows} == {"not measured"}, [
        (r.target, r.measured) for r in rows if r.verdict != "not measured"]
    targets.table(rows)
    for r in rows:
        r.to_json()


def test_a_file_without_benchmark_output_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("| a table |\n[\nnot json\n")
    res = subprocess.run([sys.executable, str(BENCH / "bench_all.py"), "--summary-only",
                          str(bad), str(tmp_path / "missing.json")],
                         capture_output=True, text=True, cwd=REPO, check=False)
    assert res.returncode != 0
    assert "holds no benchmark's JSON output" in res.stderr
    assert "Traceback" not in res.stderr


def test_summary_reads_what_bench_dap_printed(tmp_path: Path) -> None:
    """A real run of bench_dap.py (one session on the 16-goroutine core,
    this interpreter): the summary built from its saved output finds the
    start-up figure its own table printed (spawn → initialize)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, str(BENCH / "bench_dap.py"), "--runs", "1",
                          "--only", "nilmap", "--python", "current", "--json"],
                         capture_output=True, text=True, cwd=REPO, env=env, check=False,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    row = next(line for line in res.stdout.splitlines() if line.startswith("nilmap "))
    printed = float(row.split()[2])  # core, goroutines, initialize, …
    out = tmp_path / "dap.out"
    out.write_text(res.stdout)

    doc = targets.extract_json(res.stdout)
    assert targets.detect(doc) == "dap"
    startup = next(r for r in targets.evaluate({"dap": doc}) if r.target.startswith("start-up"))
    assert startup.measured is not None
    assert round(startup.measured / 1000, 3) == printed
    assert startup.verdict in ("met", "missed")

    # any part of the real output replaced by something else: still a row per target
    for path in _paths(doc):
        for junk in (None, "x", 3, [], {}):
            rows = targets.evaluate({"dap": _replaced(doc, path, junk)})
            assert len(rows) == TARGET_ROWS
            targets.table(rows)

    summary = subprocess.run([sys.executable, str(BENCH / "bench_all.py"), "--summary-only",
                              str(out), "--json"], capture_output=True, text=True, cwd=REPO,
                             env=env, check=False, timeout=120)
    assert summary.returncode == 0, summary.stderr
    line = next(x for x in summary.stdout.splitlines() if x.startswith("| start-up"))
    assert re.search(rf"\| {targets.fmt(startup.measured, 'ms')} +\|", line), line
    assert f"{TARGET_ROWS - 1} not measured" in summary.stdout


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every node under ``doc`` (dict keys, list indexes)."""
    kids = doc.items() if isinstance(doc, dict) else enumerate(doc) \
        if isinstance(doc, list) else []
    out = []
    for k, v in kids:
        out += [(*prefix, k), *_paths(v, (*prefix, k))]
    return out


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``doc`` with the node at ``path`` replaced by ``value``."""
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _replaced(doc[path[0]], path[1:], value)
    return copy


def test_debug_info_bytes_are_found_where_a_benchmark_puts_them() -> None:
    """The ``.debug_info`` figure (another branch adds it to bench_dap and
    bench_engine): found under any of its names at any depth of the core's
    entry; judged against the section's size when that is given too."""
    figure = {"key": "h", "title": "t", "fixture": "go1.27-default-bigpanic",
              "result": {"dwarf": [{"debugInfoBytes": 2_000_000,
                                    "debugInfoTotalBytes": 40_000_000}]}}
    row = next(r for r in targets.evaluate({"engine": [figure]}) if "debug_info" in r.target)
    assert (row.measured, row.reference, row.verdict) == (2e6, 4e7, "met")
    assert "(bigpanic)" in row.target
    session = {"core": "bigprog", "median": {}, "debugInfoDecompressedBytes": 5}
    row = next(r for r in targets.evaluate({"dap": {"sessions": [session]}})
               if "debug_info" in r.target)
    assert (row.measured, row.reference, row.verdict) == (5, None, "reported")
