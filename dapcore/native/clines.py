"""File and line of C code in the executable, from the DWARF line programs
of its C compile units (cgo's C, built by the external linker's C compiler,
and the runtime/cgo C files). Go's own units are left out: Go code is
described by the pclntab.

Decoded with pyelftools on first use (a cgo program has a few dozen C units:
~30 ms), into one sorted table of rows.
"""

from __future__ import annotations

import os
import struct
from bisect import bisect_right

from elftools.common.exceptions import DWARFError, ELFError

from dapcore.elf.executable import Executable

__all__ = ["CLines"]

_DW_LANG_GO = 0x16


class CLines:
    """``pc → (file, line)`` for the executable's C compile units."""

    def __init__(self, exe: Executable) -> None:
        self.exe = exe
        self._rows: tuple[list[int], list[tuple[str, int] | None]] | None = None

    @property
    def files(self) -> set[str]:
        """Every file a C row names."""
        return {r[0] for r in self._table()[1] if r is not None}

    def line_at(self, pc: int) -> tuple[str, int] | None:
        """File and line of link-time ``pc``, None outside the C units' rows."""
        addrs, rows = self._table()
        i = bisect_right(addrs, pc) - 1
        return rows[i] if i >= 0 else None

    def _table(self) -> tuple[list[int], list[tuple[str, int] | None]]:
        if self._rows is None:
            try:
                pairs = _read(self.exe)
            except (ELFError, DWARFError, ValueError, KeyError, IndexError, AttributeError,
                    struct.error, UnicodeDecodeError):
                pairs = []
            pairs.sort(key=lambda p: p[0])
            self._rows = [p[0] for p in pairs], [p[1] for p in pairs]
        return self._rows


def _read(exe: Executable) -> list[tuple[int, tuple[str, int] | None]]:
    if not exe.has_dwarf:
        return []
    dwarf = exe.elf.get_dwarf_info(relocate_dwarf_sections=False)
    out: list[tuple[int, tuple[str, int] | None]] = []
    for cu in dwarf.iter_CUs():
        top = cu.get_top_DIE()
        lang = top.attributes.get("DW_AT_language")
        if lang is None or lang.value == _DW_LANG_GO:
            continue
        prog = dwarf.line_program_for_CU(cu)
        if prog is None:
            continue
        comp = top.attributes.get("DW_AT_comp_dir")
        comp_dir = comp.value.decode(errors="replace") if comp is not None else ""
        names = _file_names(prog, comp_dir)
        for entry in prog.get_entries():
            st = entry.state
            if st is None:
                continue
            if st.end_sequence:
                out.append((st.address, None))
            else:
                name = names.get(st.file)
                out.append((st.address, (name, st.line) if name else None))
    return out


def _file_names(prog: object, comp_dir: str) -> dict[int, str]:
    header = prog.header  # type: ignore[attr-defined]
    version = header["version"]
    dirs = [d if isinstance(d, bytes) else getattr(d, "DW_LNCT_path", b"")
            for d in header["include_directory"]]
    dirs = [d.decode(errors="replace") if isinstance(d, bytes) else str(d) for d in dirs]
    out: dict[int, str] = {}
    base = 0 if version >= 5 else 1
    for i, fe in enumerate(header["file_entry"]):
        name = fe.name if hasattr(fe, "name") else fe.DW_LNCT_path
        name = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
        dir_index = fe.dir_index if hasattr(fe, "dir_index") else fe.DW_LNCT_directory_index
        if version >= 5:
            directory = dirs[dir_index] if dir_index < len(dirs) else ""
        else:
            directory = comp_dir if dir_index == 0 else (
                dirs[dir_index - 1] if dir_index - 1 < len(dirs) else "")
        if not name.startswith("/") and directory:
            if not directory.startswith("/") and comp_dir:
                directory = os.path.join(comp_dir, directory)
            name = os.path.join(directory, name)
        out[i + base] = name
    return out
