"""Issue #16's targets, checked against the benchmarks' JSON outputs.

Each benchmark script prints its figures as JSON with ``--json``
(``bench_all.py`` runs them so and saves what they print). :func:`evaluate`
turns those outputs into one :class:`Row` per target of the issue: the
figure measured, the reference it is compared with (Delve's figure in the
same run, else the one recorded on this machine in ``bench_vs_delve.py``;
the target's limit; the 16-goroutine case; the first open), their ratio and
the verdict: ``met`` (ratio ≤ the target's), ``missed``, or ``not
measured`` when a figure is absent (a benchmark not run, a core left out, a
run that failed, a key this version of a script does not print). A missing
or odd-typed key never raises: every lookup goes through :func:`dig`.

The limits are the scripts' own constants where they have one (the 100k
session's, paging's, the index cache's, VS Code's), so the two cannot drift.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from bench_dap import TARGET_RSS_100K_MB, TARGETS_100K
from bench_index_cache import SCENARIOS as REOPEN_CORES
from bench_index_cache import TARGET as REOPEN_RATIO
from bench_paging import OFFSETS, TARGET_MS
from bench_vs_delve import RECORDED
from bench_vscode import TARGET_RATIO as VSCODE_RATIO

# the benchmarks whose JSON the summary reads (bench_all.py's names)
SOURCES = ("vs-delve", "dap", "index-cache", "paging", "engine", "vscode")

# time to the crash frame's locals against Delve: (scenario, what it is)
DELVE_CORES = (
    ("nilmap", "16 goroutines"),
    ("many", "10,007 goroutines"),
    ("many-100k", "100,007 goroutines"),
    ("bigpanic", "18 MB binary"),
    ("many-1m", "1,000,007 goroutines (--with-1m)"),
    ("bigprog", "generated ≥ 150 MB program (--with-bigprog)"),
)
STARTUP_MS = 60.0
LOCALS_1M_S, THREADS_1M_S, RSS_1M_MB = 2.0, 3.0, 1536.0
CLI_RATIO = 0.5
# ``.debug_info`` decompressed before the first locals: the names a benchmark
# may give the figure (bytes) and the section's whole size; "nothing
# proportional to the DWARF size" is read as at most this share of it
DEBUG_INFO_KEYS = ("debugInfoBytes", "debugInfoDecompressedBytes", "debugInfoDecompressed")
DEBUG_INFO_TOTAL_KEYS = ("debugInfoTotalBytes", "debugInfoSize", "debugInfoSectionBytes")
DEBUG_INFO_SHARE = 0.25


@dataclass
class Row:
    """One target: ``measured / reference ≤ limit`` is met."""

    target: str
    unit: str  # "s", "ms", "MB" or "B"
    measured: float | None = None
    reference: float | None = None
    basis: str = ""  # what the reference is
    limit: float | None = 1.0  # None: no limit (the figure is reported)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.measured is None or self.reference is None or self.reference <= 0:
            return None
        return self.measured / self.reference

    @property
    def verdict(self) -> str:
        if self.measured is None:
            return "not measured"
        if self.limit is None or self.ratio is None:
            return "reported" if self.reference is None else "not measured"
        return "met" if self.ratio <= self.limit else "missed"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "verdict": self.verdict}


# -- robust lookups -------------------------------------------------------------------


def num(x: Any) -> float | None:
    """``x`` as a finite float, else None (bools, strings, NaN are not figures)."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None


def dig(obj: Any, *path: str | int) -> Any:
    """``obj[p0][p1]…``, or None where a step is missing or of another type."""
    for p in path:
        if isinstance(p, str) and isinstance(obj, dict):
            obj = obj.get(p)
        elif isinstance(p, int) and isinstance(obj, list) and -len(obj) <= p < len(obj):
            obj = obj[p]
        else:
            return None
    return obj


def median(xs: Any) -> float | None:
    vals = [v for v in (num(x) for x in xs) if v is not None] if isinstance(xs, list) else []
    return statistics.median(vals) if vals else None


def find_number(obj: Any, keys: tuple[str, ...]) -> float | None:
    """The first number under one of ``keys`` anywhere in ``obj``."""
    if isinstance(obj, dict):
        for k in keys:
            if num(obj.get(k)) is not None:
                return num(obj[k])
        children: list[Any] = list(obj.values())
    elif isinstance(obj, list):
        children = obj
    else:
        return None
    for child in children:
        found = find_number(child, keys)
        if found is not None:
            return found
    return None


def _by(items: Any, key: str, value: str) -> dict[str, Any] | None:
    """The first dict of ``items`` whose ``key`` is ``value`` (or a spec id
    ending in ``-value``)."""
    for it in items if isinstance(items, list) else []:
        got = dig(it, key)
        if isinstance(got, str) and (got == value or got.endswith(f"-{value}")):
            return it
    return None


# -- the targets, one evaluator per source --------------------------------------------


def locals_rows(out: Any) -> dict[str, Row]:
    """Time to the crash frame's locals against Delve, per core (scenario →
    its row)."""
    rows = {}
    for scenario, label in DELVE_CORES:
        entry = _by(out, "scenario", scenario)
        row = Row(f"locals ≤ 1.0× Delve: {label}", "s",
                  median(dig(entry, "dap:dapcore", "times")))
        _delve_reference(row, entry, "dap", scenario, 0)
        rows[scenario] = row
    return rows


def million_rows(out: Any) -> list[Row]:
    """The 1M core's own targets, from bench_vs_delve.py's sessions and CLI
    listing on it."""
    entry = _by(out, "scenario", "many-1m")
    me = dig(entry, "dap:dapcore")
    stopped, threads = dig(me, "phases", "stopped"), dig(me, "phases", "threads")
    listing = None
    if isinstance(stopped, list) and isinstance(threads, list):
        listing = median([t - s for t, s in zip(threads, stopped, strict=False)
                          if num(t) is not None and num(s) is not None])
    rows = [
        Row("1M goroutines: locals ≤ 2 s", "s", median(dig(me, "times")), LOCALS_1M_S,
            "limit"),
        Row("1M goroutines: all threads ≤ 3 s (stopped → threads)", "s", listing,
            THREADS_1M_S, "limit"),
        Row("1M goroutines: DAP peak RSS ≤ 1.5 GB", "MB", num(dig(me, "peakRssMB")),
            RSS_1M_MB, "limit"),
    ]
    cli_time = Row("1M goroutines: CLI listing time ≤ 0.5× Delve", "s",
                   median(dig(entry, "cli:dapcore", "times")), limit=CLI_RATIO)
    _delve_reference(cli_time, entry, "cli", "many-1m", 2)
    cli_rss = Row("1M goroutines: CLI listing peak RSS ≤ 0.5× Delve", "MB",
                  num(dig(entry, "cli:dapcore", "peakRssMB")), limit=CLI_RATIO)
    _delve_reference(cli_rss, entry, "cli", "many-1m", 3)
    return [*rows, cli_time, cli_rss]


def _delve_reference(row: Row, entry: Any, kind: str, scenario: str, recorded: int) -> None:
    """Delve's figure of the same run (its median time, or peak RSS when
    ``row`` is in MB), else the recorded one (``RECORDED[scenario][recorded]``)."""
    dv = dig(entry, f"{kind}:delve")
    same = num(dig(dv, "peakRssMB")) if row.unit == "MB" else median(dig(dv, "times"))
    if same is not None:
        row.reference, row.basis = same, "Delve, this run"
        return
    rec = RECORDED.get(scenario)
    if rec is not None:
        row.reference, row.basis = float(rec[recorded]), "Delve 1.20.2, recorded"
    err = dig(dv, "error")
    if isinstance(err, str):
        row.note = f"Delve failed in this run: {err[:120]}"


def dap_rows(out: Any) -> list[Row]:
    """Start-up, and the 100k core's session (bench_dap.py, Go 1.27)."""
    sessions = dig(out, "sessions")
    init = median([dig(s, "median", "initialize")
                   for s in (sessions if isinstance(sessions, list) else [])])
    split = dig(out, "startupMs")
    note = ("-X importtime (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in split.items()
                                               if num(v) is not None)
            if isinstance(split, dict) else "")
    rows = [Row("start-up: spawn → initialize answered ≤ 60 ms", "ms",
                None if init is None else init * 1000, STARTUP_MS, "limit", note=note)]
    s100k = _by(sessions, "core", "many-100k")
    for key, what in (("stopped", "`stopped`"), ("stopped → threads", "all threads"),
                      ("variables", "locals")):
        limit = TARGETS_100K[key]
        rows.append(Row(f"100k goroutines: {what} ≤ {limit:g} s", "s",
                        num(dig(s100k, "median", key)), limit, "limit"))
    rows.append(Row(f"100k goroutines: peak RSS ≤ {TARGET_RSS_100K_MB} MB", "MB",
                    num(dig(s100k, "peakRssMB")), float(TARGET_RSS_100K_MB), "limit"))
    return rows


def debug_info_row(outputs: dict[str, Any]) -> Row:
    """``.debug_info`` bytes decompressed before the first locals, on the
    biggest binary a benchmark reports it for."""
    engine = outputs.get("engine")
    figures = engine if isinstance(engine, list) else []
    for scenario in ("bigprog", "bigpanic"):
        places = [_by(dig(outputs, "dap", "sessions"), "core", scenario),
                  _by(outputs.get("vs-delve"), "scenario", scenario),
                  *[f for f in figures if isinstance(f, dict)
                    and str(f.get("fixture", "")).endswith(f"-{scenario}")]]
        for place in places:
            got = find_number(place, DEBUG_INFO_KEYS)
            if got is not None:
                total = find_number(place, DEBUG_INFO_TOTAL_KEYS)
                return Row(f"big binary ({scenario}): `.debug_info` decompressed before "
                           f"the first locals ≤ {DEBUG_INFO_SHARE:g} of it", "B", got, total,
                           "the whole section", DEBUG_INFO_SHARE)
    return Row("big binary: `.debug_info` decompressed before the first locals", "B",
               limit=DEBUG_INFO_SHARE)


def reopen_rows(out: Any) -> list[Row]:
    """Second open against first (bench_index_cache.py), engine and DAP."""
    cores = [c for c in (dig(r, "core") for r in out or []) if isinstance(c, str)] \
        if isinstance(out, list) else []
    names = cores + [f"go1.27-default-{s}" for s in REOPEN_CORES  # the script's default
                     if not any(c.endswith(f"-{s}") for c in cores)]
    rows = []
    for name in names:
        m = dig(_by(out, "core", name), "median")
        for what, key in (("engine open → locals", "engine open → locals"),
                          ("DAP spawn → locals", "dap spawn → locals")):
            rows.append(Row(f"repeated open ({name}): {what} ≤ {REOPEN_RATIO:g}× the first",
                            "s", num(dig(m, f"{key} 2")), num(dig(m, f"{key} 1")),
                            "first open", REOPEN_RATIO))
    return rows


def paging_rows(out: Any) -> list[Row]:
    """The slowest page (bench_paging.py's targeted offsets), wall and CPU."""
    rows = []
    for what in ("wall time", "server CPU time"):
        worst, where = None, ""
        slowest = dig(out, what, "slowestMs")
        for container, offsets in (slowest or {}).items() if isinstance(slowest, dict) else []:
            for offset in OFFSETS[:4]:
                ms = num(dig(offsets, offset))
                if ms is not None and (worst is None or ms > worst):
                    worst, where = ms, f"slowest: {container}, {offset}"
        rows.append(Row(f"paging: a page of 1,000 ≤ {TARGET_MS:g} ms ({what})", "ms", worst,
                        TARGET_MS, "limit", note=where))
    return rows


def vscode_rows(out: Any) -> list[Row]:
    """F5 to locals shown, 100k against 16 goroutines (bench_vscode.py)."""

    def locals_ms(name: str) -> float | None:
        runs = dig(out, name)
        return median([dig(r, "timeline", "locals shown") for r in runs]
                      if isinstance(runs, list) else [])

    ref = locals_ms("nilmap")
    return [Row(f"VS Code: F5 → locals, 100k {how} ≤ {VSCODE_RATIO:g}× 16 goroutines", "ms",
                locals_ms(name), ref, "16 goroutines, nilmap", VSCODE_RATIO)
            for name, how in (("many-100k", "(maxThreads default)"),
                              ("many-100k@0", "(every thread)"))]


def evaluate(outputs: dict[str, Any]) -> list[Row]:
    """Every target's row, in the issue's order, from the outputs found
    (source name → its parsed JSON; absent sources give "not measured")."""
    vs_delve = outputs.get("vs-delve")
    delve = locals_rows(vs_delve)
    return [*(row for s, row in delve.items() if s != "bigprog"), *dap_rows(outputs.get("dap")),
            *million_rows(vs_delve), delve["bigprog"], debug_info_row(outputs),
            *reopen_rows(outputs.get("index-cache")),
            *paging_rows(outputs.get("paging")), *vscode_rows(outputs.get("vscode"))]


# -- reading outputs ------------------------------------------------------------------


def extract_json(text: str) -> Any:
    """The JSON document a script printed after its tables (its last
    output, starting on a line of its own), or None."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    dec = json.JSONDecoder()
    for m in re.finditer(r"^[\[{]\s*$", text, re.M):
        try:
            doc, end = dec.raw_decode(text, m.start())
        except ValueError:
            continue
        if not text[end:].strip():
            return doc
    return None


def detect(doc: Any) -> str | None:
    """Which benchmark printed ``doc``, from its shape."""
    items = [d for d in doc if isinstance(d, dict)] if isinstance(doc, list) else []
    if isinstance(doc, dict):
        if "sessions" in doc:
            return "dap"
        if "wall time" in doc:
            return "paging"
        if doc and all(isinstance(v, list) for v in doc.values()) and any(
                isinstance(r, dict) and "timeline" in r for v in doc.values() for r in v):
            return "vscode"
    if any("scenario" in d for d in items):
        return "vs-delve"
    if any("entryBytes" in d or dig(d, "median", "engine open → locals 1") is not None
           for d in items):
        return "index-cache"
    if any("key" in d and "title" in d for d in items):
        return "engine"
    return None


# -- the table ------------------------------------------------------------------------


def fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "—"
    if unit == "s":
        return f"{x:.3f} s"
    if unit == "ms":
        return f"{x:.1f} ms" if x < 100 else f"{x:.0f} ms"
    if unit == "B":
        return f"{x / 1e6:.1f} MB" if x >= 1e5 else f"{x:.0f} B"
    return f"{x:.0f} MB"


def table(rows: list[Row]) -> str:
    """A Markdown table of the rows, their notes below it."""
    cells = [("target", "measured", "reference", "ratio", "verdict")]
    for r in rows:
        ref = fmt(r.reference, r.unit) + (f" ({r.basis})" if r.basis and r.reference is not None
                                           else "")
        cells.append((r.target, fmt(r.measured, r.unit), ref,
                      "—" if r.ratio is None else f"{r.ratio:.2f}×", r.verdict))
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    counts = {v: sum(r.verdict == v for r in rows) for v in ("met", "missed", "not measured")}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    lines += [f"- {r.target}: {r.note}" for r in rows if r.note]
    return "\n".join(lines)
