"""Values printed the way the Go runtime's ``print`` prints them (panic
values: ``printpanicval``)."""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING

from dapcore.errors import UnreadableMemory
from dapcore.goruntime import rtype as K
from dapcore.goruntime.errtext import error_text

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.rtype import TypeReader

_INTS = {K.INT: "<q", K.INT8: "<b", K.INT16: "<h", K.INT32: "<i", K.INT64: "<q",
         K.UINT: "<Q", K.UINT8: "<B", K.UINT16: "<H", K.UINT32: "<I", K.UINT64: "<Q",
         K.UINTPTR: "<Q"}


def go_print_float(v: float) -> str:
    """The runtime's ``printfloat``: ``+1.500000e+000``."""
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    n = 7
    sign = "+"
    e = 0
    if v == 0:
        if math.copysign(1.0, v) < 0:
            sign = "-"
    else:
        if v < 0:
            v, sign = -v, "-"
        while v >= 10:
            e += 1
            v /= 10
        while v < 1:
            e -= 1
            v *= 10
        h = 5.0
        for _ in range(n):
            h /= 10
        v += h
        if v >= 10:
            e += 1
            v /= 10
    digits = []
    for _ in range(n):
        s = int(v)
        digits.append(chr(s + 48))
        v -= s
        v *= 10
    esign = "-" if e < 0 else "+"
    e = abs(e)
    return f"{sign}{digits[0]}.{''.join(digits[1:])}e{esign}{e // 100}{e // 10 % 10}{e % 10}"


def indented(s: str) -> str:
    """``printindented``: continuation lines get a tab (Go 1.23+)."""
    return s.replace("\n", "\n\t")


def print_eface(proc: Process, types: TypeReader, typ: int, data: int,
                indent: bool = True) -> tuple[str, str | None]:
    """(text, dynamic type name) of an ``any`` as ``printpanicval`` prints it."""
    if typ == 0:
        return "nil", None
    rt = types.read(typ)
    mem = proc.memory
    derived = error_text(proc, rt, data)
    if derived is not None:  # an error value the runtime has not printed yet
        return (indented(derived) if indent else derived), rt.name
    try:
        if rt.kind == K.STRING:
            s = mem.go_string(data)
            text = indented(s) if indent else s
            return (text if rt.name == "string" else f'{rt.name}("{text}")'), rt.name
        if rt.kind == K.BOOL:
            text = "true" if mem.u8(data) else "false"
        elif rt.kind in _INTS:
            fmt = _INTS[rt.kind]
            text = str(struct.unpack(fmt, mem.read(data, struct.calcsize(fmt)))[0])
        elif rt.kind in (K.FLOAT32, K.FLOAT64):
            fmt = "<f" if rt.kind == K.FLOAT32 else "<d"
            text = go_print_float(struct.unpack(fmt, mem.read(data, struct.calcsize(fmt)))[0])
        elif rt.kind in (K.COMPLEX64, K.COMPLEX128):
            fmt = "<ff" if rt.kind == K.COMPLEX64 else "<dd"
            re_, im = struct.unpack(fmt, mem.read(data, struct.calcsize(fmt)))
            text = f"({go_print_float(re_)}{go_print_float(im)}i)"
        else:
            return f"({rt.name}) {data:#x}", rt.name
    except UnreadableMemory as exc:
        return f"({rt.name}) <{exc.short}>", rt.name
    builtin = rt.name in {"bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8",
                          "uint16", "uint32", "uint64", "uintptr", "float32", "float64",
                          "complex64", "complex128"}
    return (text if builtin else f"{rt.name}({text})"), rt.name
