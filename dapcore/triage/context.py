"""What every part of the blocking analysis reads: the live goroutines of
the goroutine index (ids, statuses, wait reasons by g address) and a few
fields of their records, read only for the goroutines that need them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from dapcore.errors import UnreadableMemory
from dapcore.gobin.pclntab import print_name
from dapcore.goruntime.status import G_LEAKED, G_WAITING
from dapcore.goruntime.sudog import Cursor
from dapcore.triage.records import Site

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process

__all__ = ["Scan"]


class Scan:
    def __init__(self, proc: Process) -> None:
        self.proc = proc
        self.mem = proc.memory
        idx = proc.goroutine_index
        self.index = idx
        try:
            reasons = proc.layout.wait_reasons()
        except KeyError:
            reasons = []
        self.goid: dict[int, int] = {}  # g address -> goroutine id (live ones)
        self.reason: dict[int, str] = {}  # g address -> wait reason (waiting ones)
        for i in idx.live:
            addr = idx.addr[i]
            self.goid[addr] = idx.goid[i]
            if idx.status[i] in (G_WAITING, G_LEAKED):
                code = idx.reason[i]
                self.reason[addr] = reasons[code] if 0 < code < len(reasons) else ""
        g = proc.layout.struct("runtime.g")
        self.g = g
        self.cursor = Cursor(proc.memory)
        self._sites: dict[int, tuple[str | None, str, int]] = {}

    def with_reason(self, pred: Callable[[str], bool]) -> list[int]:
        """The g addresses whose wait reason satisfies ``pred``."""
        return [a for a, r in self.reason.items() if pred(r)]

    def field(self, g_addr: int, name: str) -> int:
        return self.cursor.ptr(g_addr + self.g.off(name))

    def sites(self, g_addrs: list[int]) -> list[Site]:
        """Where the goroutines were created, most common first."""
        counts: Counter[tuple[str | None, str, int]] = Counter()
        off = self.g.off("gopc")
        for n, a in enumerate(g_addrs, 1):
            if not n & 0x7FF:
                self.mem.release_pages()  # resident memory on a big core
            try:
                gopc = self.cursor.ptr(a + off)
            except UnreadableMemory:
                continue
            counts[self._site(gopc)] += 1
        return [Site(fn, file, line, n) for (fn, file, line), n in counts.most_common()]

    def _site(self, gopc: int) -> tuple[str | None, str, int]:
        site = self._sites.get(gopc)
        if site is None:
            tab = self.proc.pclntab
            link = gopc - self.proc.bias
            f = tab.func_at(link) if gopc else None
            if f is None:
                site = (None, "", 0)
            else:
                file, line = tab.line_at(f, link - 1 if link > f.entry else link)
                site = (print_name(f.name), file, line)
            self._sites[gopc] = site
        return site

    def ids(self, g_addrs: list[int]) -> list[int]:
        return [self.goid[a] for a in g_addrs if a in self.goid]
