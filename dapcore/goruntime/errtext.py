"""``Error()`` of the runtime's and the standard library's common error
values, derived from their memory: what a panic prints for a value the
runtime has not yet turned into text (a panic still in flight)."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from dapcore.errors import UnreadableMemory

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.rtype import RType

# runtime.boundsError's formats, indexed by its code (same order since 1.13).
_BOUNDS = (
    "index out of range [%x] with length %y",
    "slice bounds out of range [:%x] with length %y",
    "slice bounds out of range [:%x] with capacity %y",
    "slice bounds out of range [%x:%y]",
    "slice bounds out of range [::%x] with length %y",
    "slice bounds out of range [::%x] with capacity %y",
    "slice bounds out of range [:%x:%y]",
    "slice bounds out of range [%x:%y:]",
    "cannot convert slice with length %y to array or pointer to array with length %x",
)
_BOUNDS_NEG = (
    "index out of range [%x]",
    "slice bounds out of range [:%x]",
    "slice bounds out of range [:%x]",
    "slice bounds out of range [%x:]",
    "slice bounds out of range [::%x]",
    "slice bounds out of range [::%x]",
    "slice bounds out of range [:%x:]",
    "slice bounds out of range [%x::]",
)


def error_text(proc: Process, rt: RType, data: int) -> str | None:
    """The ``Error()`` text of an interface value of runtime type ``rt``
    whose data word is ``data``, for the types known here; else None."""
    mem = proc.memory
    try:
        if rt.name in ("*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors"):
            return mem.go_string(data)  # the message is the first field
        if rt.name == "runtime.plainError":
            return mem.go_string(data)
        if rt.name == "runtime.errorString":
            return "runtime error: " + mem.go_string(data)
        if rt.name == "runtime.boundsError":
            return _bounds(mem.read(data, 18))
    except UnreadableMemory:
        return None
    return None


def _bounds(raw: bytes) -> str | None:
    x, y = struct.unpack_from("<qq", raw)
    signed, code = raw[16], raw[17]
    if code >= len(_BOUNDS):
        return None
    fmt = _BOUNDS_NEG[code] if signed and x < 0 and code < len(_BOUNDS_NEG) else _BOUNDS[code]
    xs = str(x) if signed else str(x & 0xFFFFFFFFFFFFFFFF)
    return "runtime error: " + fmt.replace("%x", xs).replace("%y", str(y))
