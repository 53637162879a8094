"""What blocks what (issue #17): the goroutines blocked on channels grouped
by channel, those waiting on sync objects grouped by object with its state,
and the deadlock cycles the data shows.

Reads only what it needs: the goroutine index (statuses and wait reasons),
then ``g.waiting`` of the goroutines blocked on channels, the runtime's
semaphore table, the stacks of Cond waiters, and the ``_defer`` records
when there are mutexes to find holders of.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.errors import DapcoreError, NoDwarf, UnreadableMemory
from dapcore.goruntime.sema import read_semtable
from dapcore.goruntime.sudog import SudogReader
from dapcore.goruntime.synclayout import SyncLayout, sync_layout
from dapcore.triage.channels import channel_blocks, is_forever
from dapcore.triage.context import Scan
from dapcore.triage.records import BlockingReport, SyncBlock
from dapcore.triage.syncobjects import cond_blocks, sema_blocks
from dapcore.triage.waitsfor import find_cycles, find_holders

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process

__all__ = ["LIMITS", "analyse_blocking"]

# What a core cannot tell, whatever it holds.
LIMITS = (
    "A core does not record which goroutine holds a sync.Mutex or RWMutex: a holder is "
    "named only when its stack shows a pending deferred Unlock on the object (a _defer "
    "record, or a defer the compiler open-coded in one of its frames).",
    "A channel has no owner: which goroutines could still send or receive on it is not in "
    "the core, so a cycle through a channel is a possible deadlock, not a proven one.",
    "A WaitGroup's counter says how many Done calls are missing, not which goroutines "
    "should make them.",
)


def analyse_blocking(proc: Process) -> BlockingReport:
    report = BlockingReport(limits=list(LIMITS))
    scan = Scan(proc)
    for g, reason in scan.reason.items():
        if is_forever(reason):
            report.forever.setdefault(reason, []).append(scan.goid[g])
    sudogs = SudogReader(proc.layout, proc.memory)
    report.channels = channel_blocks(scan, sudogs, report.problems)
    proc.memory.release_pages()  # the core's pages read so far (resident memory)
    sync = _sync_layout(proc, report, scan)
    if sync is not None:
        report.objects = _sync_objects(proc, scan, sync, sudogs, report)
        find_holders(scan, report.objects, report.limits)
    report.cycles = find_cycles(scan, report.channels, report.objects, report.limits)
    proc.memory.release_pages()
    report.channels.sort(key=lambda c: (-c.waiters, c.address))
    report.objects.sort(key=lambda b: (-b.count, b.address))
    return report


def _sync_layout(proc: Process, report: BlockingReport, scan: Scan) -> SyncLayout | None:
    try:
        return sync_layout(proc.dwarf, proc.exe.path.name)
    except DapcoreError as exc:
        waiting = len(scan.with_reason(lambda r: r == "semacquire" or r.startswith("sync.")))
        report.limits.append(f"sync objects are not analysed ({waiting:,} goroutines wait on "
                             f"a semaphore or a sync object by their wait reasons): {exc}")
        return None


def _sync_objects(proc: Process, scan: Scan, sync: SyncLayout, sudogs: SudogReader,
                  report: BlockingReport) -> list[SyncBlock]:
    sym = proc.exe.symbol("runtime.semtable")
    out: list[SyncBlock] = []
    if sym is None or not sym.size:
        report.limits.append("the executable has no symbol runtime.semtable: goroutines "
                             "waiting on mutexes, RWMutexes and WaitGroups are not grouped")
    else:
        try:
            sema = read_semtable(sym.value + proc.bias, sym.size, sync, sudogs)
        except (UnreadableMemory, NoDwarf) as exc:
            report.problems.append(f"the runtime's semaphore table: {exc}")
        else:
            report.problems.extend(sema.problems)
            out.extend(sema_blocks(scan, sema, sync))
    out.extend(cond_blocks(scan, sync, sudogs, report.problems))
    return out
