"""Line-table headers: the file names ``DW_AT_decl_file`` and
``DW_AT_call_file`` index (DWARF 2–4 and 5 formats)."""

from __future__ import annotations

import struct
from collections.abc import Callable

from dapcore.dwarf.constants import AT_DECL_FILE, AT_STMT_LIST
from dapcore.dwarf.dies import Die, DieReader, Unit
from dapcore.dwarf.leb128 import uleb
from dapcore.dwarf.sections import DwarfError, Sections, initial_length

__all__ = ["LineFiles"]

_FIXED_FORMS = {0x0B: 1, 0x05: 2, 0x06: 4, 0x07: 8, 0x1E: 16}  # data1/2/4/8/16


def _join(directory: str, name: str) -> str:
    if not directory or directory == "." or name.startswith("/"):
        return name
    return f"{directory.rstrip('/')}/{name}"


class LineFiles:
    """The file names of the line tables of the units ``dies`` reads."""

    def __init__(self, dies: DieReader) -> None:
        self.dies = dies
        self._files: dict[int, list[str]] = {}

    def file_names(self, unit: Unit) -> list[str]:
        """The unit's line-table file names, indexed as ``DW_AT_decl_file``
        and ``DW_AT_call_file`` count (from 1 before DWARF 5, from 0 in 5;
        Go's DWARF 5 tables start with a dummy entry so that both count
        from 1)."""
        names = self._files.get(unit.offset)
        if names is None:
            stmt = self.dies.top(unit).attrs.get(AT_STMT_LIST)
            try:
                names = _line_files(self.dies.sections, stmt) if isinstance(stmt, int) else []
            except (IndexError, ValueError, struct.error) as exc:
                raise DwarfError(f"undecodable line table at {stmt:#x}: {exc}") from exc
            self._files[unit.offset] = names
        return names

    def file_attr(self, die: Die, attr: int = AT_DECL_FILE) -> str | None:
        """A file attribute (``DW_AT_decl_file``, ``DW_AT_call_file``) as a
        path (through abstract origins)."""
        index = self.dies.attr(die, attr)
        if not isinstance(index, int):
            return None
        names = self.file_names(die.unit)
        return names[index] if 0 <= index < len(names) and names[index] else None


def _line_files(sections: Sections, offset: int) -> list[str]:
    """The file names of the line-table header at ``offset`` of ``.debug_line``
    (of a compressed section, only as much is decompressed as it takes:
    :meth:`Sections.prefix`)."""
    buf = sections.prefix("line", offset + 32)
    if buf is None:
        raise DwarfError("no .debug_line")
    o = sections.order
    _, offsize, pos = initial_length(buf, offset, o)
    (version,) = struct.unpack_from(o + "H", buf, pos)
    pos += 2
    if version >= 5:
        pos += 2  # address_size, segment_selector_size
    header_length = int.from_bytes(buf[pos:pos + offsize], sections.endian)
    pos += offsize
    buf = sections.prefix("line", pos + header_length)  # the whole header
    if buf is None or len(buf) < pos + header_length:
        raise DwarfError(f"the line table header at {offset:#x} runs past its section")
    pos += 1 + (1 if version >= 4 else 0) + 3  # min_inst, max_ops, is_stmt, base, range
    opcode_base = buf[pos]
    pos += opcode_base  # opcode_base and standard_opcode_lengths
    if version < 5:
        return _files_v4(buf, pos)
    return _files_v5(buf, pos, offsize, sections.endian, sections.cstr)


def _files_v4(buf: bytes | bytearray, pos: int) -> list[str]:
    dirs = [""]
    while buf[pos]:
        end = buf.index(b"\0", pos)
        dirs.append(buf[pos:end].decode("utf-8", "replace"))
        pos = end + 1
    pos += 1
    files = [""]  # file 0 does not exist before DWARF 5
    while buf[pos]:
        end = buf.index(b"\0", pos)
        name = buf[pos:end].decode("utf-8", "replace")
        d, pos = uleb(buf, end + 1)
        _, pos = uleb(buf, pos)  # mtime
        _, pos = uleb(buf, pos)  # length
        files.append(_join(dirs[d] if d < len(dirs) else "", name))
    return files


def _files_v5(buf: bytes | bytearray, pos: int, offsize: int, endian: str,
              cstr: Callable[[str, int], str]) -> list[str]:
    dir_entries, pos = _entries(buf, pos, offsize, endian, cstr)
    file_entries, pos = _entries(buf, pos, offsize, endian, cstr)
    dirs5 = [str(e.get(1, "")) for e in dir_entries]
    files5 = []
    for e in file_entries:
        d = e.get(2, 0)
        assert isinstance(d, int)
        files5.append(_join(dirs5[d] if d < len(dirs5) else "", str(e.get(1, ""))))
    return files5


def _entries(buf: bytes | bytearray, pos: int, offsize: int, endian: str,
             cstr: Callable[[str, int], str]) -> tuple[list[dict[int, object]], int]:
    """A DWARF 5 directory or file name table: its entry format, then the
    entries (content type → value)."""
    nformats = buf[pos]
    pos += 1
    formats = []
    for _ in range(nformats):
        ct, pos = uleb(buf, pos)
        form, pos = uleb(buf, pos)
        formats.append((ct, form))
    count, pos = uleb(buf, pos)
    out = []
    for _ in range(count):
        e: dict[int, object] = {}
        for ct, form in formats:
            if form == 0x08:
                end = buf.index(b"\0", pos)
                e[ct] = buf[pos:end].decode("utf-8", "replace")
                pos = end + 1
            elif form in (0x0E, 0x1F):  # strp, line_strp
                off = int.from_bytes(buf[pos:pos + offsize], endian)
                pos += offsize
                e[ct] = cstr("str" if form == 0x0E else "line_str", off)
            elif form in (0x0F, 0x1A):  # udata, strx
                e[ct], pos = uleb(buf, pos)
            elif form in _FIXED_FORMS:
                n = _FIXED_FORMS[form]
                e[ct] = int.from_bytes(buf[pos:pos + n], endian)
                pos += n
            elif form == 0x09:  # block
                n, pos = uleb(buf, pos)
                pos += n
            else:
                raise DwarfError(f"line table entry form {form:#x}")
        out.append(e)
    return out, pos
