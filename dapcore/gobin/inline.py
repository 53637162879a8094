"""Inline trees: the records behind ``FUNCDATA_InlTree`` (funcdata 3).

``PCDATA_InlTreeIndex`` (pcdata 2) gives, at each pc of a physical function,
the index of the innermost inlined call whose code the pc belongs to (-1:
the function's own code). The record names the inlined function and gives
``parentPc``, the offset from the function entry of an instruction whose
position is the call site; the walk goes on from there (``runtime/
symtabinl.go``: ``inlineUnwinder``).

Record layouts (``inlinedCall``):

* Go 1.12–1.19 (20 bytes): parent int16, funcID uint8, pad, file int32,
  line int32, func_ (name offset) int32, parentPc int32;
* Go 1.20+ (16 bytes): funcID uint8, pad [3], nameOff int32, parentPc int32,
  startLine int32.

(Go 1.9–1.11 records had no parentPc; they are not read.)
"""

from __future__ import annotations

import struct
from typing import NamedTuple

FUNCDATA_INLTREE = 3  # Go 1.17+ (register ABI: FUNCDATA_RegPointerMaps gone)
FUNCDATA_INLTREE_BEFORE_117 = 4  # Go 1.13–1.16
PCDATA_INLTREEINDEX = 2  # Go 1.13+


def inline_indexes(release: tuple[int, int] | None, flags_used: bool, version: str
                   ) -> tuple[int, int]:
    """(PCDATA_InlTreeIndex, FUNCDATA_InlTree) of a program: by its release
    when known (Go 1.12 had 1 and 2: PCDATA_RegMapIndex came after them);
    else by its pclntab's format (``flags_used``: a 1.16-format table with
    Go 1.17's function flags)."""
    if release is not None and release != (0, 0):
        if release < (1, 13):
            return 1, 2
        return PCDATA_INLTREEINDEX, (FUNCDATA_INLTREE_BEFORE_117 if release < (1, 17)
                                     else FUNCDATA_INLTREE)
    if version == "1.2" or (version == "1.16" and not flags_used):
        return PCDATA_INLTREEINDEX, FUNCDATA_INLTREE_BEFORE_117
    return PCDATA_INLTREEINDEX, FUNCDATA_INLTREE


class InlinedCall(NamedTuple):
    func_id: int
    name_off: int
    parent_pc: int  # offset from the physical function's entry
    start_line: int | None


class InlineFormat(NamedTuple):
    size: int
    fmt: struct.Struct
    new: bool  # the 1.20 layout

    def decode(self, buf: bytes | memoryview, off: int) -> InlinedCall:
        if self.new:
            func_id, name_off, parent_pc, start_line = self.fmt.unpack_from(buf, off)
            return InlinedCall(func_id, name_off, parent_pc, start_line)
        func_id, name_off, parent_pc = self.fmt.unpack_from(buf, off)
        return InlinedCall(func_id, name_off, parent_pc, None)


def inline_format(version: str, little_endian: bool) -> InlineFormat:
    order = "<" if little_endian else ">"
    if version == "1.20":
        return InlineFormat(16, struct.Struct(order + "B3xiii"), True)
    # parent int16 (skipped), funcID, pad, file, line (skipped), name, parentPc
    return InlineFormat(20, struct.Struct(order + "2xB9xii"), False)
