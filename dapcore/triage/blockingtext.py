"""The text and JSON of ``dapcore blocking`` (what blocks what, issue
#17): one paragraph per channel or sync object, most waiters first, the
cycles, and what a core cannot tell."""

from __future__ import annotations

from typing import Any

from dapcore.triage.records import BlockingReport, ChannelBlock, Site, SyncBlock

__all__ = ["blocking_json", "blocking_text"]


def blocking_json(report: BlockingReport) -> dict[str, Any]:
    """``dapcore blocking --json``: the analysis as data (addresses as
    integers, goroutines by id)."""
    def sites(ss: list[Site]) -> list[dict[str, Any]]:
        return [{"function": x.function, "file": x.file, "line": x.line, "count": x.count}
                for x in ss]

    return {
        "channels": [{
            "address": c.address, "elemType": c.elem_type, "capacity": c.capacity,
            "length": c.length, "closed": c.closed, "senders": c.senders,
            "receivers": c.receivers, "selecting": c.selecting,
            "otherSideWaiting": c.both_sides, "sites": sites(c.sites),
            "problems": c.problems} for c in report.channels],
        "objects": [{
            "kind": o.kind, "address": o.address, "waiters": o.waiters, "state": o.state,
            "stateText": o.state_text,
            "holders": [{"goroutine": h.goroutine, "how": h.how, "mode": h.mode}
                        for h in o.holders],
            "function": o.function, "sites": sites(o.sites), "problems": o.problems}
            for o in report.objects],
        "cycles": [{"certain": cy.certain, "goroutines": cy.goroutines, "edges": [
            {"waiter": e.waiter, "kind": e.kind, "address": e.address, "other": e.other,
             "certain": e.certain, "why": e.why} for e in cy.edges]} for cy in report.cycles],
        "forever": report.forever,
        "limits": report.limits,
        "problems": report.problems,
    }


def blocking_text(report: BlockingReport) -> str:
    """``dapcore blocking``: one paragraph per channel or sync object, the
    most waiters first, then the cycles, then what a core cannot tell."""
    groups: list[tuple[int, list[str]]] = []
    for c in report.channels:
        groups.append((c.waiters, _channel_lines(c)))
    for o in report.objects:
        groups.append((o.count, _object_lines(o)))
    for reason, ids in report.forever.items():
        groups.append((len(ids), [f"{_n(len(ids))} blocked for ever [{reason}]: "
                                  "nothing can wake them", f"    {_ids(ids)}"]))
    groups.sort(key=lambda g: -g[0])
    out = [line for _, lines in groups for line in lines]
    if not groups:
        out.append("No goroutine is blocked on a channel or a sync object.")
    for cy in report.cycles:
        out.append("")
        out.append(("deadlock: " if cy.certain else
                    "possible deadlock (through a channel; a core cannot prove that no other "
                    "goroutine would unblock it): ") + f"goroutines {_ids(cy.goroutines)}")
        for e in cy.edges:
            what = "chan" if e.kind == "chan" else e.kind
            out.append(f"    goroutine {e.waiter} waits on {what} {e.address:#x}: {e.why}")
    for p in report.problems:
        out.append(f"(could not read: {p})")
    out.append("")
    out.append("What a core cannot tell:")
    out.extend(f"  - {x}" for x in report.limits)
    return "\n".join(out)


def _n(count: int) -> str:
    return f"{count:,} goroutine{'s' if count != 1 else ''}"


def _wait(count: int) -> str:
    return _n(count) + (" waits" if count == 1 else " wait")


def _ids(ids: list[int], limit: int = 12) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f", … ({len(ids):,} in all)" if len(ids) > limit else "")


def _created(sites: list[Site]) -> str:
    if not sites:
        return ""
    parts = [f"{s.function or 'the runtime'} at {s.file}:{s.line}"
             + (f" ({s.count:,})" if len(sites) > 1 else "") for s in sites[:3]]
    more = f" and {len(sites) - 3} more sites" if len(sites) > 3 else ""
    return " — created by " + "; ".join(parts) + more


def _channel_lines(c: ChannelBlock) -> list[str]:
    kind = (f"buffered {c.length}/{c.capacity}" if c.capacity else "unbuffered")
    if c.closed:
        kind += ", closed"
    if c.senders:
        who = (f"{_wait(len(c.senders))} to send, "
               + (f"{len(c.receivers):,} to receive" if c.receivers else "none to receive"))
    else:
        who = f"{_wait(len(c.receivers))} to receive, none to send"
    head = f"chan {c.elem_type or '?'} {c.address:#x} ({kind}): {who}"
    if c.selecting:
        head += f" ({len(c.selecting):,} in a select)"
    lines = [head + _created(c.sites)]
    if c.senders:
        lines.append(f"    senders: {_ids(sorted(c.senders))}")
    if c.receivers:
        lines.append(f"    receivers: {_ids(sorted(c.receivers))}")
    lines.extend(f"    ! {p}" for p in c.problems)
    return lines


def _object_lines(o: SyncBlock) -> list[str]:
    ops = "; ".join(f"{_wait(len(ids))} in {_op_name(o, op)}" for op, ids in o.waiters.items())
    state = f" ({o.state_text})" if o.state_text else ""
    lines = [f"{o.kind} {o.address:#x}{state}: {ops}{_created(o.sites)}"]
    if o.kind in ("sync.Mutex", "sync.RWMutex"):
        if o.holders:
            held = "; ".join(f"goroutine {h.goroutine}"
                             + (" (a reader)" if h.mode == "RLock" else "") + f" ({h.how})"
                             for h in o.holders)
            lines.append(f"    holder: {held}")
        else:
            lines.append("    holder: unknown (a core does not record a mutex's owner; no "
                         "goroutine has a deferred Unlock of it pending)")
    for op, ids in o.waiters.items():
        lines.append(f"    {op}: {_ids(sorted(ids))}")
    lines.extend(f"    ! {p}" for p in o.problems)
    return lines


def _op_name(o: SyncBlock, op: str) -> str:
    if o.kind == "semaphore":
        return f"a semaphore acquire ({o.function or 'the runtime'})"
    return f"{o.kind.replace('sync.', 'sync.(*')})." + op if o.kind.startswith("sync.") else op
