"""What ``dapcore triage`` prints: the distinct crashes, most frequent
first, and the cores it could not read — as text, Markdown or JSON."""

from __future__ import annotations

import json
import time
from typing import Any

from dapcore.report.triage import Triage

__all__ = ["render_triage", "triage_json"]

SCHEMA_VERSION = 1


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + " UTC"


def triage_json(t: Triage) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "cores": t.cores, "seconds": round(t.seconds, 2), "jobs": t.jobs,
        "crashes": [{"signature": c.signature, "count": len(c.cores),
                     "first": _when(c.first), "last": _when(c.last),
                     "cores": [{"path": r.core, "executable": r.executable,
                                "time": _when(r.mtime), "timeSource": r.time_source}
                               for r in c.cores],
                     "report": c.report, "reportError": c.report_error}
                    for c in t.crashes],
        "unreadable": [{"path": p, "error": e} for p, e in t.unreadable],
    }


_PLURALS = {"distinct crash": "distinct crashes"}


def _n(count: int, what: str) -> str:
    return f"{count} {what if count == 1 else _PLURALS.get(what, what + 's')}"


def _headline(t: Triage) -> str:
    if not t.cores and not t.unreadable:
        return "no core found (a core is told by its first bytes: an ELF core, or gzip, xz, " \
               "zstd or LZ4)"
    return (f"{_n(t.cores, 'core')}, {_n(len(t.crashes), 'distinct crash')}, "
            f"{len(t.unreadable)} unreadable ({t.seconds:.1f} s, {_n(t.jobs, 'job')})")


def _text(t: Triage) -> str:
    out = [f"dapcore triage: {_headline(t)}", ""]
    for c in t.crashes:
        s = c.signature
        out.append(f"{len(c.cores):>5}  {s['hash']}  {s['text']}")
        out.append(f"       first {_when(c.first)}, last {_when(c.last)}")
        out.extend(f"       {r.core}" for r in c.cores)
        if c.report:
            out.append(f"       report: {c.report}")
        elif c.report_error:
            out.append(f"       no report: {c.report_error}")
        out.append("")
    if t.unreadable:
        out.append("Not read:")
        out.extend(f"  {p}: {e}" for p, e in t.unreadable)
    return "\n".join(out).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(t: Triage) -> str:
    out = ["# Crash triage", "", _headline(t) + ".", "",
           "| count | signature | crash | first | last | report |", "|---|---|---|---|---|---|"]
    for c in t.crashes:
        s = c.signature
        out.append(f"| {len(c.cores)} | `{s['hash']}` | {_cell(s['text'])} | {_when(c.first)} | "
                   f"{_when(c.last)} | {_cell(c.report or c.report_error or '—')} |")
    for c in t.crashes:
        out += ["", f"## `{c.signature['hash']}` ({len(c.cores)} cores)", ""]
        out.extend(f"- `{r.core}`" for r in c.cores)
    if t.unreadable:
        out += ["", "## Not read", ""]
        out.extend(f"- `{p}`: {_cell(e)}" for p, e in t.unreadable)
    return "\n".join(out) + "\n"


def render_triage(t: Triage, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(triage_json(t), indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(t)
    return _text(t)
