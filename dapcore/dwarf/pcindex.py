"""PC → compile unit → subprogram → inlined calls.

* **PC → compile unit** (:meth:`PCIndex.unit_for_pc`): an index of
  ``.debug_aranges`` for the units it covers (Go's linker never writes
  that section; gcc does, for the C units of cgo binaries) and, for every
  other unit, of the top DIE alone (``DW_AT_low_pc``/``DW_AT_high_pc`` or
  ``DW_AT_ranges``), extended unit by unit until one holds the PC.
* **PC → subprogram** (:meth:`PCIndex.subprogram_at`): the top-level children
  of that one unit, indexed by PC range the first time the unit is asked
  for; the DIEs between subprograms are scanned, not decoded.
* **Inlined calls** (:meth:`PCIndex.inline_chain`): the nested
  ``DW_TAG_inlined_subroutine`` DIEs holding a PC.
"""

from __future__ import annotations

import bisect

from dapcore.dwarf.constants import (
    TAG_COMPILE_UNIT,
    TAG_INLINED_SUBROUTINE,
    TAG_LEXICAL_BLOCK,
    TAG_PARTIAL_UNIT,
    TAG_SUBPROGRAM,
)
from dapcore.dwarf.dies import Die, DieReader, Unit
from dapcore.dwarf.lists import Lists
from dapcore.dwarf.sections import DamagedSection, DwarfError, Sections, initial_length
from dapcore.indexcache import Entry

__all__ = ["PCIndex", "read_aranges"]

_Table = tuple[list[int], list[int], list[int]]


def read_aranges(sections: Sections) -> dict[int, list[tuple[int, int]]]:
    """``.debug_aranges`` sets by unit offset (empty when absent or damaged)."""
    buf = sections.get("aranges")
    out: dict[int, list[tuple[int, int]]] = {}
    if not buf:
        return out
    o, endian, pos = sections.order, sections.endian, 0
    try:
        while pos + 12 <= len(buf):
            length, offsize, hdr = initial_length(buf, pos, o)
            end = hdr + length
            p = hdr + 2  # version
            info_off = int.from_bytes(buf[p:p + offsize], endian)
            p += offsize
            asize, ssize = buf[p], buf[p + 1]
            p += 2
            tup = 2 * asize + ssize
            p = pos + (p - pos + tup - 1) // tup * tup  # tuples are aligned to their size
            rs = out.setdefault(info_off, [])
            while p + tup <= end:
                p += ssize
                a = int.from_bytes(buf[p:p + asize], endian)
                n = int.from_bytes(buf[p + asize:p + 2 * asize], endian)
                p += 2 * asize
                if a == 0 and n == 0:
                    break
                if n:
                    rs.append((a, a + n))
            pos = end
    except IndexError:
        return {}
    return out


# The parts of the index cache, and what they are derived from.
DWARF_SOURCES = (".debug_*", ".zdebug_*")


def _valid(doc: object) -> _Table | None:
    """A table kept as JSON (three equally long lists of integers, the first
    sorted), or None when ``doc`` is not one. Checked and converted in C
    (``map(int, …)``, ``sorted``): the runtime unit's table has thousands
    of rows."""
    if not isinstance(doc, list) or len(doc) != 3 or \
            not all(isinstance(col, list) for col in doc):
        return None
    try:
        starts, ends, offsets = (list(map(int, col)) for col in doc)
    except (TypeError, ValueError, OverflowError):
        return None
    if not len(starts) == len(ends) == len(offsets) or starts != sorted(starts):
        return None
    return starts, ends, offsets


def _get(entry: Entry, part: str) -> _Table | None:
    doc = entry.get_json(part, DWARF_SOURCES)
    table = _valid(doc)
    if doc is not None and table is None:
        entry.reject(part)
    return table


class PCIndex:
    """Where link-time PCs are in the DWARF ``dies`` reads."""

    def __init__(self, dies: DieReader, lists: Lists) -> None:
        self.dies = dies
        self.lists = lists
        # PC → unit: the spans of the units read so far, sorted by start
        # (see unit_for_pc); the .debug_aranges sets, read once.
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._span_units: list[Unit] = []
        self._aranges: dict[int, list[tuple[int, int]]] | None = None
        self._next_unit = 0  # the units before it are indexed
        self.subprogram_tables: dict[int, _Table] = {}  # by unit offset, once asked for
        # Both indexes are kept in the index cache of the file the DWARF is
        # read from (dapcore.indexcache), checked against its sections' CRC.
        self._entry = dies.sections.exe.index

    def _unit_ranges(self, u: Unit) -> list[tuple[int, int]]:
        """The code ranges of unit ``u``: its .debug_aranges set, else its
        top DIE's ranges."""
        assert self._aranges is not None
        rs = self._aranges.get(u.offset)
        if rs:
            return rs
        if u.unit_type not in (1, 3):  # compile and partial units only
            return []
        try:
            top = self.dies.top(u)
            if top.tag not in (TAG_COMPILE_UNIT, TAG_PARTIAL_UNIT):
                return []
            return self.lists.ranges(top)
        except DamagedSection:
            raise
        except DwarfError:
            return []

    def _index_unit(self, u: Unit) -> bool:
        """Add the spans of ``u`` to the index; True if it has any."""
        spans = [(lo, hi) for lo, hi in self._unit_ranges(u) if hi > lo]
        for lo, hi in spans:
            i = bisect.bisect_left(self._starts, lo)
            while i < len(self._starts) and self._starts[i] == lo and self._ends[i] <= hi:
                i += 1  # sorted by (start, end), as the spans of all units were
            self._starts.insert(i, lo)
            self._ends.insert(i, hi)
            self._span_units.insert(i, u)
        return bool(spans)

    def _lookup(self, pc: int) -> Unit | None:
        starts, ends, units = self._starts, self._ends, self._span_units
        i = bisect.bisect_right(starts, pc) - 1
        while i >= 0 and starts[i] <= pc:
            if pc < ends[i]:
                return units[i]
            i -= 1
            if i >= 0 and ends[i] <= starts[i + 1]:
                break  # no overlap left to look through
        return None

    def unit_for_pc(self, pc: int) -> Unit | None:
        """The compile unit whose code holds link-time ``pc``. The units are
        indexed in their order in .debug_info until one holds ``pc``, not
        all at once (issue #16: a big program has thousands, and the first
        locals need two or three, Go's linker writing ``main``'s and the
        runtime's first); units hold disjoint code, so the first found is
        the one. Units .debug_aranges describes (gcc's C units) are indexed
        from it, all at once."""
        if self._aranges is None:
            self._aranges = read_aranges(self.dies.sections)
            for off in sorted(self._aranges):
                try:
                    u = self.dies.unit_at(off)
                except DamagedSection:
                    raise
                except DwarfError:
                    continue
                if u.offset == off:
                    self._index_unit(u)
        found = self._lookup(pc)
        while found is None:
            u = self.dies.directory.nth(self._next_unit)
            if u is None:
                break
            self._next_unit += 1
            if u.offset in self._aranges:
                continue  # indexed above
            if self._index_unit(u):
                found = self._lookup(pc)
        return found

    def _subprogram_table(self, unit: Unit) -> _Table:
        table = self.subprogram_tables.get(unit.offset)
        if table is not None:
            return table
        part = f"dwarf.subprograms.{unit.offset}"
        table = _get(self._entry, part)
        if table is not None and (not table[2] or (unit.first_die <= min(table[2])
                                  and max(table[2]) < unit.end)):
            self.subprogram_tables[unit.offset] = table
            return table
        if table is not None:
            self._entry.reject(part)
        table = self._scan_subprograms(unit)
        self.subprogram_tables[unit.offset] = table
        self._entry.put_json(part, list(table), DWARF_SOURCES)
        return table

    def _scan_subprograms(self, unit: Unit) -> _Table:
        dies = self.dies
        spans: list[tuple[int, int, int]] = []
        top = dies.top(unit)
        if top.children:
            plans = dies.plans_for(unit)
            pos = top.end
            while pos < unit.end:
                start = pos
                plan, end = dies.scan(pos, unit, plans)
                if plan is None:
                    break
                if plan.abbrev.tag == TAG_SUBPROGRAM:
                    d = dies.die(start, unit)
                    spans.extend((lo, hi, start) for lo, hi in self.lists.ranges(d))
                    pos = dies.skip_subtree(d)
                elif plan.abbrev.children:
                    pos = dies.skip_children(end, unit)
                else:
                    pos = end
        spans.sort()
        return [s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans]

    def subprogram_at(self, pc: int) -> Die | None:
        """The ``DW_TAG_subprogram`` DIE whose code holds link-time ``pc``:
        a top-level child of the unit :meth:`unit_for_pc` finds (only that
        unit's top level is scanned, once)."""
        unit = self.unit_for_pc(pc)
        if unit is None:
            return None
        starts, ends, offsets = self._subprogram_table(unit)
        i = bisect.bisect_right(starts, pc) - 1
        while i >= 0 and starts[i] <= pc:
            if pc < ends[i]:
                return self.dies.die(offsets[i], unit)
            i -= 1
        return None

    def inline_chain(self, scope: Die, pc: int) -> list[Die]:
        """The ``DW_TAG_inlined_subroutine`` DIEs holding link-time ``pc``
        inside ``scope`` (a subprogram), outermost first: entry k is the call
        inlined at depth k + 1. Lexical blocks are looked through."""
        chain: list[Die] = []
        holder: Die | None = scope
        while holder is not None:
            holder = self._inlined_at(holder, pc)
            if holder is not None:
                chain.append(holder)
        return chain

    def _inlined_at(self, die: Die, pc: int) -> Die | None:
        for child in self.dies.children(die):
            if child.tag == TAG_INLINED_SUBROUTINE:
                if any(lo <= pc < hi for lo, hi in self.lists.ranges(child)):
                    return child
            elif child.tag == TAG_LEXICAL_BLOCK:
                if any(lo <= pc < hi for lo, hi in self.lists.ranges(child)):
                    found = self._inlined_at(child, pc)
                    if found is not None:
                        return found
        return None
