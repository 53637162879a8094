"""Type DIEs: sizes, typedefs followed, structure members."""

from __future__ import annotations

from dapcore.dwarf.constants import (
    AT_BYTE_SIZE,
    AT_DATA_MEMBER_LOCATION,
    AT_GO_KIND,
    AT_TYPE,
    TAG_MEMBER,
    TAG_POINTER_TYPE,
    TAG_SUBROUTINE_TYPE,
    TAG_TYPEDEF,
)
from dapcore.dwarf.dies import Die, DieReader
from dapcore.dwarf.leb128 import uleb
from dapcore.dwarf.sections import DamagedSection, DwarfError
from dapcore.errors import UnsupportedError

__all__ = ["TypeDies", "member_offset"]


def member_offset(m: Die) -> int | None:
    """A member's ``DW_AT_data_member_location`` as a byte offset (None when
    it is a computed location other than DWARF 2's ``DW_OP_plus_uconst N``)."""
    loc = m.attrs.get(AT_DATA_MEMBER_LOCATION, 0)
    if isinstance(loc, bytes):
        if not loc or loc[0] != 0x23:
            return None
        loc, _ = uleb(loc, 1)
    return loc if isinstance(loc, int) else None


class TypeDies:
    """The type DIEs of the units ``dies`` reads."""

    def __init__(self, dies: DieReader) -> None:
        self.dies = dies
        self._exe_name = dies.sections.exe.path.name
        self._members: dict[int, dict[str, tuple[int, int]]] = {}

    def type_size(self, offset: int) -> tuple[int, Die]:
        """Byte size of the type at ``offset`` (following typedefs)."""
        for _ in range(16):
            d = self.dies.die(offset)
            size = d.attrs.get(AT_BYTE_SIZE)
            if isinstance(size, int):
                return size, d
            if d.tag == TAG_POINTER_TYPE or d.tag == TAG_SUBROUTINE_TYPE:
                # A Go func value is one pointer; Go 1.9's DWARF gives
                # func types no size.
                return d.unit.addrsize, d
            nxt = d.attrs.get(AT_TYPE)
            if d.tag != TAG_TYPEDEF or not isinstance(nxt, int):
                raise UnsupportedError(
                    f"{self._exe_name}: DWARF type {d.name!r} at {offset:#x} has no size")
            offset = nxt
        raise UnsupportedError(f"{self._exe_name}: typedef loop at {offset:#x}")

    def resolve(self, offset: int) -> Die:
        """The type at ``offset`` with typedefs followed."""
        for _ in range(16):
            d = self.dies.die(offset)
            nxt = d.attrs.get(AT_TYPE)
            if d.tag != TAG_TYPEDEF or not isinstance(nxt, int):
                return d
            offset = nxt
        raise UnsupportedError(f"{self._exe_name}: typedef loop at {offset:#x}")

    def members(self, die: Die) -> dict[str, tuple[int, int]]:
        """``name -> (offset, type DIE offset)`` of a structure's members."""
        out = self._members.get(die.offset)
        if out is not None:
            return out
        out = self._members[die.offset] = {}
        for m in self.dies.children(die):
            if m.tag != TAG_MEMBER:
                continue
            loc = member_offset(m)
            typ = m.attrs.get(AT_TYPE)
            if loc is None:
                raise UnsupportedError(
                    f"{self._exe_name}: member {m.name!r} at {m.offset:#x} has a "
                    "computed location")
            if m.name is None or not isinstance(typ, int):
                continue
            out[m.name] = (loc, typ)
        return out

    def is_struct(self, die: Die) -> bool:
        """A well-formed structure DIE: a struct kind (if Go says), a size, and
        children that all decode as members."""
        kind = die.attrs.get(AT_GO_KIND)
        if kind is not None and kind not in (25, 23, 24):  # struct, slice, string
            return False
        if not isinstance(die.attrs.get(AT_BYTE_SIZE), int) or not die.children:
            return False
        try:
            return all(c.tag == TAG_MEMBER for c in self.dies.children(die))
        except DamagedSection:
            raise
        except DwarfError:
            return False
