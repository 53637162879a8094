"""A section's content as blocks — paragraphs, key/value lists, tables and
preformatted text — which the text and Markdown renderers each lay out in
their own way, so that both say the same thing.

Sections provided from elsewhere (:mod:`dapcore.report.providers`) use the
generic shape: ``summary`` (a paragraph), ``rows`` (a table), ``text``
(preformatted lines).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "section_blocks"]


@dataclass(slots=True)
class Block:
    kind: str  # "para", "pairs", "table", "code"
    text: str = ""
    pairs: list[tuple[str, str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _para(text: str) -> Block:
    return Block("para", text=text)


def _pairs(pairs: list[tuple[str, Any]]) -> Block:
    return Block("pairs", pairs=[(k, _show(v)) for k, v in pairs])


def _table(header: list[str], rows: list[list[Any]]) -> Block:
    return Block("table", header=header, rows=[[_show(c) for c in r] for r in rows])


def _code(lines: list[str]) -> Block:
    return Block("code", lines=lines)


def _show(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _reading(r: dict[str, Any]) -> str:
    if r["value"] is None:
        return f"not readable ({r['why']})"
    return f"{r['value']:,} ({r['source']})"


def _bytes_reading(r: dict[str, Any]) -> str:
    if r["value"] is None:
        return _reading(r)
    return f"{r['value'] / (1 << 20):.1f} MiB ({r['value']:,} bytes, {r['source']})"


def _signature(d: dict[str, Any]) -> list[Block]:
    out = [_pairs([("signature", d["hash"]), ("kind", d["kind"]), ("class", d["class"])])]
    out.append(_table(["user frame", "at"], [[f, at] for f, at in
                                             zip(d["functions"], d["lines"], strict=True)]))
    out.append(_code([d["text"]]))
    return out


def _crash(d: dict[str, Any]) -> list[Block]:
    return [_code(d["message"].splitlines()),
            _pairs([("kind", d["kind"]), ("goroutine", d["goroutine"]),
                    ("signal", d["signal"])])]


def _stack(d: dict[str, Any]) -> list[Block]:
    rows = [[f["function"], f"{f['file']}:{f['line']}", f["source"].strip()
             if f["source"] is not None else None] for f in d["userFrames"]]
    which = "" if d["crashed"] else ("Nothing crashed on a goroutine (a snapshot, a deadlock, "
                                     "or a crash on a system stack): the first one is shown. ")
    more = f" ({d['userFramesElided']} more not listed)" if d["userFramesElided"] else ""
    out = [_para(f"{which}goroutine {d['goroutine']} [{d['status']}], its frames of user "
                 f"code, innermost first{more}:"),
           _table(["function", "at", "source line"], rows),
           _para("The goroutine's traceback, as the Go runtime prints it:"),
           _code(d["traceback"])]
    return out


def _locals(d: dict[str, Any]) -> list[Block]:
    where = f"frame {d['frame']}: {d['function']} at {d['file']}:{d['line']}"
    values = [f"{v['name']} = {v['value']}" for v in d["values"]] or ["(no locals)"]
    return [_para(where), _code(values)]


def _build(d: dict[str, Any]) -> list[Block]:
    vcs = d["vcs"]
    out = [_pairs([("Go release", d["goVersion"]), ("main module", d["mainModule"]),
                   ("module version", d["moduleVersion"]), ("VCS", vcs["system"]),
                   ("revision", vcs["revision"]), ("revision time", vcs["time"]),
                   ("modified", vcs["modified"]), ("executable", d["executable"]),
                   ("DWARF", d["dwarf"])])]
    if d["settings"]:
        out.append(_table(["build setting", "value"], [[k, v] for k, v in d["settings"].items()]))
    return out


def _process(d: dict[str, Any]) -> list[Block]:
    args = d["commandLine"]
    line = (" ".join(args) + f"  ({d['commandLineSource']})" if args is not None
            else f"{d['psargs']}  (NT_PRPSINFO, first 80 bytes; {d['commandLineWhy']})")
    out = [_pairs([
        ("command line", line), ("pid", d["pid"]), ("parent pid", d["ppid"]),
        ("uid / gid", f"{_show(d['uid'])} / {_show(d['gid'])}"),
        ("executable (AT_EXECFN)", d["execfn"]), ("signal", d["signal"]),
        ("threads (NT_PRSTATUS)", d["threads"]),
        ("mapped files (NT_FILE)", f"{d['mappedFiles']:,} mappings of "
                                   f"{d['distinctFiles']:,} files"),
        ("GOMAXPROCS", _reading(d["gomaxprocs"])), ("Ms", _reading(d["ms"])),
        ("Ms created", _reading(d["msCreated"])), ("Ps", _reading(d["ps"])),
        ("heap in use", _bytes_reading(d["heapInUse"])), ("GC cycles", _reading(d["numGC"])),
        ("resource limits", d["limits"]),
    ])]
    out.extend(_para(n) for n in d["notes"])
    return out


def _goroutines(d: dict[str, Any]) -> list[Block]:
    return [_para(f"{d['count']:,} goroutines."),
            _table(["status", "goroutines"], [[s["status"], s["count"]] for s in d["byStatus"]])]


def _generic(d: dict[str, Any]) -> list[Block]:
    out = []
    if d.get("summary"):
        out.append(_para(str(d["summary"])))
    rows = d.get("rows") or []
    if rows:
        header = list(rows[0])
        out.append(_table(header, [[r.get(h) for h in header] for r in rows]))
    if d.get("text"):
        out.append(_code([str(x) for x in d["text"]]))
    return out


_BY_KEY: dict[str, Callable[[dict[str, Any]], list[Block]]] = {
    "signature": _signature, "crash": _crash, "stack": _stack, "locals": _locals,
    "build": _build, "process": _process, "goroutines": _goroutines,
}


def section_blocks(key: str, section: dict[str, Any]) -> list[Block]:
    """The blocks of one section of :meth:`Report.to_json`'s ``sections``."""
    if not section["available"]:
        reason = str(section["reason"])
        if reason.startswith("not available"):
            return [_para(reason[0].upper() + reason[1:] + ".")]
        return [_para(f"Not available: {reason}.")]
    return _BY_KEY.get(key, _generic)(section["data"])
