"""The project's DWARF reader: lazy, single DIEs on demand, DWARF 2 to 5.

Everything DWARF in dapcore goes through :class:`Dwarf`, a facade over the
modules of this package, each holding one part of the format:

* :mod:`~dapcore.dwarf.sections`: ``.debug_*`` sections, decompressed on
  first use (``SHF_COMPRESSED`` as Go 1.19+ writes them, or the legacy
  ``.zdebug_*`` GNU format);
* :mod:`~dapcore.dwarf.units`: unit headers, found in order as far as
  asked for (a compressed ``.debug_info`` is decompressed only that far);
* :mod:`~dapcore.dwarf.dies`: abbreviations, DIEs decoded one at a time
  (nothing is walked up front);
* :mod:`~dapcore.dwarf.lists`: ``.debug_addr``, range lists and location
  lists (DWARF 4 and 5);
* :mod:`~dapcore.dwarf.lines`: line-table file names;
* :mod:`~dapcore.dwarf.pcindex`: PC → compile unit (~6 ms for the 309 units
  of a 23 MB binary; opening it, mostly zlib, takes ~20 ms more) →
  subprogram (~4 ms for a ``main`` unit, ~20 ms for ``runtime``'s 400 KB) →
  inlined calls;
* :mod:`~dapcore.dwarf.names`: named DIEs found by a byte search of their
  unit (Go writes every name inline), with a walk as the fallback;
* :mod:`~dapcore.dwarf.types`: type sizes, typedefs, structure members.

Addresses in DWARF are link-time addresses; a PIE ran at ``address + bias``.
The sections come from the executable or, when it was stripped, from its
separate debug file (:attr:`dapcore.elf.executable.Executable.dwarf_file`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from dapcore.dwarf.constants import AT_DECL_FILE, AT_LOCATION
from dapcore.dwarf.dies import Die, DieReader, Unit
from dapcore.dwarf.lines import LineFiles
from dapcore.dwarf.lists import Lists, LocListEntry
from dapcore.dwarf.names import NameIndex
from dapcore.dwarf.pcindex import PCIndex
from dapcore.dwarf.sections import DamagedSection, Sections
from dapcore.dwarf.types import TypeDies
from dapcore.elf.executable import Executable
from dapcore.errors import NoDwarf

__all__ = ["Dwarf"]


class Dwarf:
    """Lazy DWARF access for one executable (see the module documentation).
    Its parts are public for the few callers that need more than the
    methods here: ``dies``, ``lists``, ``lines``, ``pcindex``, ``names``,
    ``types``."""

    def __init__(self, exe: Executable) -> None:
        self.exe = exe
        # The executable's own sections, or those of its separate debug file.
        self.file: Executable = exe.dwarf_file or exe
        self.sections = Sections(self.file)
        info = self.sections.inflating("info")  # decompressed as far as read (issue #16)
        abbrev = self.sections.get("abbrev")
        if info is None or abbrev is None:
            raise NoDwarf(f"{exe.path.name} has no DWARF (.debug_info/.debug_abbrev)")
        self.dies = DieReader(self.sections, info, abbrev)
        self.lists = Lists(self.dies)
        self.lines = LineFiles(self.dies)
        self.pcindex = PCIndex(self.dies, self.lists)
        self.types = TypeDies(self.dies)
        self.names = NameIndex(self.dies, self.types)

    @property
    def units(self) -> list[Unit]:
        """Every unit, in section order (the whole ``.debug_info``
        decompressed; see :attr:`DieReader.units`)."""
        return self.dies.units

    @property
    def damage(self) -> DamagedSection | None:
        """The error met decompressing ``.debug_info`` (damaged bytes in the
        part read so far; raised where it was met), if one was."""
        return self.dies.directory.damage

    @property
    def info_inflated(self) -> tuple[int, int]:
        """(bytes of ``.debug_info`` decompressed so far, its size): equal
        when it is whole (stored as it is, from the index cache, or every
        unit was needed)."""
        return self.dies.directory.inflated, self.dies.directory.size

    # -- DIEs ------------------------------------------------------------------------

    def die(self, offset: int, unit: Unit | None = None) -> Die:
        """The DIE at ``offset`` (see :meth:`DieReader.die`)."""
        return self.dies.die(offset, unit)

    def top(self, unit: Unit) -> Die:
        """The unit's own DIE (``DW_TAG_compile_unit``)."""
        return self.dies.top(unit)

    def children(self, die: Die) -> Iterator[Die]:
        """The direct children of ``die``."""
        return self.dies.children(die)

    def attr(self, die: Die, attr: int) -> object | None:
        """``attr`` of ``die`` or of the DIEs it completes (see :meth:`DieReader.attr`)."""
        return self.dies.attr(die, attr)

    # -- addresses, ranges, locations ----------------------------------------------

    def address(self, unit: Unit, index: int) -> int:
        """Entry ``index`` of the unit's ``.debug_addr`` table (DWARF 5)."""
        return self.lists.address(unit, index)

    def ranges(self, die: Die) -> list[tuple[int, int]]:
        """The link-time PC ranges ``[low, high)`` of ``die``."""
        return self.lists.ranges(die)

    def location_list(self, unit: Unit, value: int, form: int) -> list[LocListEntry]:
        """The entries of a location list (see :meth:`Lists.location_list`)."""
        return self.lists.location_list(unit, value, form)

    def location_at(self, die: Die, pc: int, attr: int = AT_LOCATION) -> bytes | None:
        """The location expression of ``die`` at link-time ``pc`` (None:
        optimized out there)."""
        return self.lists.location_at(die, pc, attr)

    # -- PC lookups, source files ---------------------------------------------------

    def subprogram_at(self, pc: int) -> Die | None:
        """The ``DW_TAG_subprogram`` DIE whose code holds link-time ``pc``."""
        return self.pcindex.subprogram_at(pc)

    def inline_chain(self, scope: Die, pc: int) -> list[Die]:
        """The inlined calls holding link-time ``pc`` in ``scope``, outermost first."""
        return self.pcindex.inline_chain(scope, pc)

    def file_attr(self, die: Die, attr: int = AT_DECL_FILE) -> str | None:
        """A file attribute (``DW_AT_decl_file``, ``DW_AT_call_file``) as a path."""
        return self.lines.file_attr(die, attr)

    # -- types and named DIEs -------------------------------------------------------

    def type_size(self, offset: int) -> tuple[int, Die]:
        """Byte size of the type at ``offset`` (following typedefs)."""
        return self.types.type_size(offset)

    def resolve(self, offset: int) -> Die:
        """The type at ``offset`` with typedefs followed."""
        return self.types.resolve(offset)

    def members(self, die: Die) -> dict[str, tuple[int, int]]:
        """``name -> (offset, type DIE offset)`` of a structure's members."""
        return self.types.members(die)

    @property
    def types_unit(self) -> Unit | None:
        """The unit where the first structure was found (Go's linker writes
        every type DIE into one unit)."""
        return self.names.types_unit

    def unit_names(self, walking: bool = False) -> list[str | None]:
        """The name of each unit (see :meth:`NameIndex.unit_names`)."""
        return self.names.unit_names(walking)

    def find(self, tag: int, names: Iterable[str]) -> dict[str, Die]:
        """Package-level DIEs of ``tag`` by qualified name."""
        return self.names.find(tag, names)

    def find_struct(self, name: str, everywhere: bool = False) -> Die | None:
        """A structure type by name (see :meth:`NameIndex.find_struct`)."""
        return self.names.find_struct(name, everywhere)

    def find_by_bytes(self, tag: int | Iterable[int], name: str,
                      accept: Callable[[Die], bool] | None = None,
                      within: Unit | None = None) -> Die | None:
        """The DIE of ``tag`` named ``name`` (see :meth:`NameIndex.find_by_bytes`)."""
        return self.names.find_by_bytes(tag, name, accept, within)
