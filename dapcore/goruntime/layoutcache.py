"""The runtime layout read from DWARF, kept in the index cache.

Reading the layout (a few dozen structures, their fields' types, the
runtime's constants, where the wait reasons are) is most of what opening a
core costs after the DWARF is decompressed. It is kept as JSON in the entry
of the file the DWARF is read from, checked against the CRC of its
``.debug_*`` sections and the Go release it was read for; the signal-frame
structures (the architecture's, never in DWARF) and the wait reason
strings (read from the executable at the address kept) are not kept.
A part of the wrong shape is dropped and the layout read again.
"""

from __future__ import annotations

from typing import Any

from dapcore.dwarf.reader import Dwarf
from dapcore.elf.executable import Executable
from dapcore.goruntime.layout import (
    Field,
    Layout,
    Struct,
    dwarf_wait_reasons,
    load_layout,
    signal_structs,
    wait_reasons_place,
)

__all__ = ["DWARF_SOURCES", "cached_layout"]

DWARF_SOURCES = (".debug_*", ".zdebug_*")
PART = "runtime.layout"
_MAX_REASONS = 4096


def cached_layout(exe: Executable, go_version: str, dwarf: Dwarf | None) -> Layout:
    """:func:`dapcore.goruntime.layout.load_layout`, through the index cache."""
    if dwarf is None:
        return load_layout(exe, go_version, dwarf)
    entry = dwarf.file.index
    doc = entry.get_json(PART, DWARF_SOURCES)
    if doc is not None:
        lay = _from_json(doc, exe, go_version)
        if lay is not None:
            return lay
        entry.reject(PART)
    lay = load_layout(exe, go_version, dwarf)
    if lay.source == "dwarf" and entry.enabled:
        entry.put_json(PART, _to_json(lay, exe, wait_reasons_place(exe, dwarf)), DWARF_SOURCES)
    return lay


def _to_json(lay: Layout, exe: Executable, place: tuple[int, int] | None) -> dict[str, Any]:
    signal = signal_structs(exe)
    return {
        "go": lay.go_version,
        "ptr": lay.ptr_size,
        "structs": {k: [s.name, s.size, {p: [f.name, f.offset, f.size, f.type_name]
                                         for p, f in s.fields.items()}]
                    for k, s in lay.structs.items() if k not in signal},
        "constants": dict(lay.constants),
        "reasons": list(place) if place is not None else None,
    }


def _int(x: object) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise TypeError("not an integer")
    return x


def _str(x: object) -> str:
    if not isinstance(x, str):
        raise TypeError("not a string")
    return x


def _from_json(doc: Any, exe: Executable, go_version: str) -> Layout | None:
    """The layout ``doc`` describes, or None when it is not one (or not for
    this Go release)."""
    try:
        if doc["go"] != go_version or _int(doc["ptr"]) != exe.ptr_size:
            return None
        structs: dict[str, Struct] = {}
        for key, (name, size, fields) in doc["structs"].items():
            structs[_str(key)] = Struct(_str(name), _int(size), {
                _str(p): Field(_str(n), _int(o), _int(sz), _str(t))
                for p, (n, o, sz, t) in fields.items()})
        structs.update(signal_structs(exe))
        constants = {_str(k): _int(v) for k, v in doc["constants"].items()}
        place = doc["reasons"]
        if place is not None:
            addr, count = _int(place[0]), _int(place[1])
            place = (addr, count) if 0 <= count <= _MAX_REASONS else None
        reasons = dwarf_wait_reasons(exe, go_version, place)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None
    return Layout(go_version, "dwarf", structs, constants, reasons, exe.ptr_size)
