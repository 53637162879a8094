"""What a core lacks of the process's memory, and why.

The kernel writes each mapping of the process as a PT_LOAD whose ``p_filesz``
says how many of its bytes follow in the file (``fs/coredump.c``,
``vma_dump_size``): all of them, the first page only (an ELF file's
headers), or none — read-only file pages, which the files on disk still
hold; memory the process marked ``MADV_DONTDUMP``; kinds of memory the
process's ``/proc/PID/coredump_filter`` leaves out; anonymous memory never
written (it held zeros). A core cut short (``ulimit -c``, a full disk, a
dump interrupted) has segments whose bytes run past its end.

:class:`MissingMemory` sorts the segments into those cases so that a failed
read says which one it met, the address space never takes the executable's
bytes for writable memory the core should have held, and the process can say
in one line what is missing.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

from dapcore.elf.core import CoreFile, CoreSegment

PF_W = 2
PF_R = 4

TRUNCATED = "truncated"
OMITTED = "omitted"  # writable, written by the kernel as p_filesz 0
NO_ANONYMOUS = "coredump_filter"

# Short forms for values shown inline (``<unreadable 0x…: NOTE>``).
_NOTES = {
    TRUNCATED: "not in the core: truncated",
    OMITTED: "not in the core: MADV_DONTDUMP?",
    NO_ANONYMOUS: "not in the core: coredump_filter",
}


class Gap(NamedTuple):
    """``[start, end)`` of the process's memory the core lacks."""

    start: int
    end: int
    kind: str  # TRUNCATED, OMITTED


@dataclass(slots=True)
class MissingMemory:
    """The gaps of one core (see the module docstring)."""

    core: CoreFile
    gaps: list[Gap] = field(default_factory=list)
    blocks: list[tuple[int, int]] = field(default_factory=list)  # files must not serve
    writable_bytes: int = 0
    no_anonymous: bool = False
    _gap_starts: list[int] = field(default_factory=list, init=False, repr=False)
    _block_starts: list[int] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        files = sorted((f.start, f.end) for f in self.core.files)
        anonymous_kept = False
        writable = [s for s in self.core.segments if s.flags & PF_W]
        for s in self.core.segments:
            if s.present < s.filesz:
                self.gaps.append(Gap(s.vaddr + s.present, s.vaddr + s.filesz, TRUNCATED))
                if s.flags & PF_W:
                    self.blocks.append((s.vaddr + s.present, s.vaddr + s.filesz))
        for s in writable:
            if s.filesz == 0:
                self.gaps.append(Gap(s.vaddr, s.vaddr + s.memsz, OMITTED))
            elif not _overlaps(files, s):
                anonymous_kept = True
            self.writable_bytes += s.memsz
        # Not one byte of anonymous writable memory (heap, stacks, .bss):
        # the filter left it out, so the executable's file pages are not what
        # the process had in its written data either.
        self.no_anonymous = bool(writable) and not anonymous_kept
        if self.no_anonymous:
            self.blocks.extend((s.vaddr, s.vaddr + s.memsz) for s in writable if s.filesz == 0)
        self.gaps.sort(key=lambda g: g.start)
        self.blocks.sort()
        self._gap_starts = [g.start for g in self.gaps]
        self._block_starts = [b[0] for b in self.blocks]

    # -- reads ---------------------------------------------------------------

    def blocked(self, addr: int, size: int) -> bool:
        """Some of ``[addr, addr + size)`` is writable memory the core lacks
        (the files must not stand in for it)."""
        if not self.blocks:
            return False
        i = bisect_right(self._block_starts, addr + size - 1) - 1
        return i >= 0 and self.blocks[i][1] > addr

    def next_block(self, addr: int) -> int | None:
        """Where the first blocked range at or after ``addr`` starts."""
        i = bisect_right(self._block_starts, addr)
        if i and self.blocks[i - 1][1] > addr:
            return addr
        return self.blocks[i][0] if i < len(self.blocks) else None

    def gap_at(self, addr: int) -> Gap | None:
        i = bisect_right(self._gap_starts, addr) - 1
        if i >= 0 and addr < self.gaps[i].end:
            return self.gaps[i]
        return None

    def why(self, addr: int) -> tuple[str, str]:
        """(why ``addr`` cannot be read, the short form for an inline value;
        empty when the process could not read it either)."""
        gap = self.gap_at(addr)
        if gap is not None and gap.kind == TRUNCATED:
            return (f"not in the core: the core file is truncated, "
                    f"{_size(self.core.missing_bytes)} short (was ulimit -c too small, the "
                    "disk full, or the dump cut off?)", _NOTES[TRUNCATED])
        if gap is not None and self.no_anonymous:
            return ("not in the core: it holds none of the process's writable memory (the "
                    "kernel's coredump_filter left out anonymous memory, bit 0)",
                    _NOTES[NO_ANONYMOUS])
        if gap is not None:
            return ("not in the core: the kernel did not dump this region (the process "
                    "excluded it with MADV_DONTDUMP, or it was never written)", _NOTES[OMITTED])
        seg = self._segment(addr)
        if seg is None:
            return "not mapped in the process", ""
        if not seg.flags & PF_R:
            return "the process could not read it either (a PROT_NONE reservation)", ""
        named = next((f.path for f in self.core.files if f.start <= addr < f.end), None)
        if named is not None:
            return (f"not in the core: the kernel leaves out read-only file pages, and {named} "
                    "is not on this machine (or not the same file)", "not in the core")
        return "the core omits this page and no file on disk backs it", "not in the core"

    def _segment(self, addr: int) -> CoreSegment | None:
        for s in self.core.segments:
            if s.vaddr <= addr < s.vaddr + s.memsz:
                return s
        return None

    # -- the summary -----------------------------------------------------------

    def summary(self) -> str | None:
        """One line saying what the core lacks (None: nothing that matters)."""
        if self.no_anonymous:
            return ("the core holds none of the process's writable memory (heap, stacks, "
                    f"globals: {_size(self.writable_bytes)}): the kernel's coredump_filter "
                    "left out anonymous memory (bit 0 was not set), so goroutines and values "
                    "cannot be read")
        omitted = [g for g in self.gaps if g.kind == OMITTED]
        cut = self.core.missing_bytes
        if not omitted and not cut:
            return None
        lacking = sum(g.end - g.start for g in omitted) + sum(
            s.filesz - s.present for s in self.core.segments if s.flags & PF_W)
        parts = []
        if omitted:
            n = len(omitted)
            parts.append(f"{n} region{'s' if n != 1 else ''} the kernel did not dump (excluded "
                         "by the process with MADV_DONTDUMP, or never written)")
        if cut:
            parts.append(f"{_size(cut)} cut off the end of the file (the core is truncated: was "
                         "ulimit -c too small, the disk full, or the dump cut off?)")
        if not lacking:  # read-only pages only (the vDSO, text)
            return (f"the core is truncated: {_size(cut)} cut off the end of the file, none of "
                    "it the process's writable memory (was ulimit -c too small, the disk "
                    "full, or the dump cut off?)")
        return (f"the core lacks {_size(lacking)} of {_size(self.writable_bytes)} of the "
                f"process's writable memory: {', '.join(parts)}")


def _overlaps(files: list[tuple[int, int]], s: CoreSegment) -> bool:
    end = s.vaddr + s.memsz
    return any(lo < end and s.vaddr < hi for lo, hi in files)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n} bytes"
