"""pc-value tables: the run-length encoding behind pcsp, pcfile, pcln and
every PCDATA table of Go's pclntab.

Format (``runtime/symtab.go``: ``pcvalue``, ``step``, ``readvarint``): the
value starts at -1 and the pc at the function entry; each step is a uvarint
value delta, zig-zag encoded, then a uvarint pc delta in units of the pc
quantum. A zero value delta ends the table, except in the first step. The
value of a step holds for the pcs before the pc that step reaches.

A table is decoded once into the pcs where each run ends and the run's
value; a lookup is a bisect. The varints are Go's uvarints, that is
unsigned LEB128 (:func:`dapcore.dwarf.leb128.uleb_matches`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from dapcore.dwarf.leb128 import uleb_matches, uleb_value

# Guard against a damaged table running on through the pctab.
MAX_STEPS = 1 << 20


@dataclass(frozen=True, slots=True)
class PCValueTable:
    """A decoded table; pcs are offsets from the function entry."""

    ends: list[int]  # ends[i]: first pc offset after run i
    values: list[int]  # values[i]: value of run i

    def lookup(self, off: int) -> int:
        """The value at pc offset ``off``; -1 outside the table (as the runtime)."""
        i = bisect_right(self.ends, off)
        return self.values[i] if i < len(self.values) else -1

    def run(self, off: int) -> tuple[int, int, int] | None:
        """(value, start, end) of the run holding ``off``, or None."""
        i = bisect_right(self.ends, off)
        if i >= len(self.values) or off < 0:
            return None
        return self.values[i], self.ends[i - 1] if i else 0, self.ends[i]

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        """(value, start, end) for each run."""
        start = 0
        for end, value in zip(self.ends, self.values, strict=True):
            yield value, start, end
            start = end


EMPTY = PCValueTable([], [])


def decode(buf: bytes | memoryview, start: int, quantum: int) -> PCValueTable:
    """Decode the table at ``buf[start:]``. A table cut short by the end of
    ``buf`` keeps the runs decoded so far."""
    ends: list[int] = []
    values: list[int] = []
    pc = 0
    val = -1
    first = True
    it = uleb_matches(buf, start)
    for m in it:
        raw = m.group()
        v = raw[0] if len(raw) == 1 else uleb_value(raw) & 0xFFFFFFFF  # the runtime reads uint32
        if v == 0 and not first:
            break
        first = False
        val += -(v & 1) ^ (v >> 1)
        m = next(it, None)
        if m is None or len(ends) >= MAX_STEPS:
            break
        raw = m.group()
        pc += (raw[0] if len(raw) == 1 else uleb_value(raw) & 0xFFFFFFFF) * quantum
        ends.append(pc)
        values.append(_int32(val))
    return PCValueTable(ends, values)


def _int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v
