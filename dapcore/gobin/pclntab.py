"""Go's ``.gopclntab``: functions, frame sizes, files and lines, inlined calls.

A pure-Python reader of the table the runtime itself uses for tracebacks, so
it works on stripped binaries (no ``.symtab``, no DWARF) and PIE alike. All
addresses are link-time addresses: the caller subtracts the PIE load bias.

Formats (by magic; see ``internal/abi/symtab.go``, ``runtime/symtab.go``,
``runtime/runtime2.go`` ``_func``, ``cmd/link/internal/ld/pcln.go``):

=========== ======== =====================================================
magic       Go       layout
=========== ======== =====================================================
0xfffffffb  1.2–1.15 one table: header, functab of (entry, funcoff) words,
                     filetab offset; names, files and pc-value tables are
                     offsets into the table itself
0xfffffffa  1.16–17  header with offsets of funcnametab, cutab, filetab,
                     pctab, pclntable; ``_func`` gains cuOffset (files go
                     through the per-CU cutab), flag (1.17)
0xfffffff0  1.18–19  header adds textStart; functab and ``_func.entryoff``
                     are uint32 offsets from the text start; funcdata are
                     uint32 offsets from ``moduledata.gofunc``
0xfffffff1  1.20+    ``_func.startLine``; 16-byte inlinedCall; textStart in
                     the header is 0 from 1.26 (use moduledata.text)
=========== ======== =====================================================

Opening reads the header and the functab only; a function's record, its
pc-value tables and inline tree are decoded on first use and cached, and
per-PC answers (``func_at``, ``pcsp``, ``frames_at``) are memoised: a core
with 100,000 goroutines has a few dozen distinct PCs.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from dapcore.elf.executable import Executable
from dapcore.errors import ExecutableError, UnsupportedError
from dapcore.gobin import funcid
from dapcore.gobin.funcnames import FuncNames
from dapcore.gobin.inline import inline_format, inline_indexes
from dapcore.gobin.moduledata import ModuleData, StaticImage, find_moduledata, find_symbols
from dapcore.gobin.namememo import NameMemo
from dapcore.gobin.pcvalue import EMPTY, PCValueTable, decode

__all__ = [
    "Func",
    "PCLnTab",
    "SourceFrame",
    "func_name_for_print",
    "print_name",
]

MAGICS: dict[int, str] = {
    0xFFFFFFFB: "1.2",
    0xFFFFFFFA: "1.16",
    0xFFFFFFF0: "1.18",
    0xFFFFFFF1: "1.20",
}

PCDATA_UNSAFEPOINT = 0
PCDATA_STACKMAPINDEX = 1

_SECTIONS = (".gopclntab", ".data.rel.ro.gopclntab")
_SYMBOLS = ["runtime.text", "runtime.pclntab", "runtime.epclntab", "runtime.firstmoduledata",
            "go:func.*", "go.func.*"]
_CACHE_LIMIT = 1 << 18  # per-PC memo entries before a memo is reset


@dataclass(frozen=True, slots=True)
class Func:
    """A physical function (one ``_func`` record)."""

    entry: int
    end: int  # first pc after the function
    name: str
    args: int  # argument size (in/out), or ArgsSizeUnknown
    deferreturn: int  # offset of the deferreturn call from entry (0: none)
    func_id: int  # raw FuncID (see PCLnTab.func_kind)
    flag: int  # FuncFlag bits; 0 before Go 1.17
    start_line: int | None  # line of the func keyword / TEXT directive (Go ≥ 1.20)
    pcsp: int  # pctab offsets of the pc-value tables (0: none)
    pcfile: int
    pcln: int
    npcdata: int
    nfuncdata: int
    cu_offset: int  # index of the function's CU in cutab (Go ≥ 1.16)
    index: int  # position in the functab
    record: int  # file offset of the _func record


@dataclass(frozen=True, slots=True)
class SourceFrame:
    """One logical frame at a pc: an inlined call or the physical function."""

    function: str
    file: str
    line: int
    inlined: bool
    func_id: int
    entry: int  # entry of the physical function
    start_line: int | None


@dataclass(frozen=True, slots=True)
class _Header:
    version: str
    quantum: int
    ptr_size: int
    nfunc: int
    nfiles: int
    text_start: int  # as the header says (≥ 1.18; 0 from 1.26)
    funcname: int  # file offsets of the subtables
    cutab: int
    filetab: int
    pctab: int
    pcln: int  # the func table (pclntable): functab then _func records


class PCLnTab:
    """The decoded pclntab of one executable."""

    def __init__(self, exe: Executable, addr: int, fileoff: int, size: int,
                 symbols: dict[str, int] | None = None) -> None:
        self.exe = exe
        self.addr = addr  # link-time address of the pcHeader
        self.size = size
        self._mm = exe.data
        self._fo = fileoff
        self._order = "<" if exe.little_endian else ">"
        self._image = StaticImage(exe)
        hdr = self._read_header()
        self.version: str = hdr.version
        self.quantum: int = hdr.quantum
        self.ptr_size: int = hdr.ptr_size
        self.nfunc: int = hdr.nfunc
        self._hdr = hdr
        syms = symbols if symbols is not None else {}
        self.moduledata: ModuleData | None = None
        self.text_start: int = 0
        self.gofunc: int | None = None
        self._resolve_module(syms)
        self._read_functab()
        self._setup_records()
        self._inline = inline_format(self.version, exe.little_endian)
        self._table = lru_cache(maxsize=16384)(self._decode_table)
        self._funcs: dict[int, Func] = {}
        self._strings: dict[int, str] = {}
        self._pc_funcs: dict[int, Func | None] = {}
        self._pc_frames: dict[int, tuple[SourceFrame, ...]] = {}
        self._pc_sp: dict[tuple[int, int], int] = {}
        self._names: FuncNames | None = None
        self._memo = NameMemo(exe.index, self.nfunc)  # names the index cache remembers
        self._kinds: dict[int, str] | None = None
        self._flags_used = self.version in ("1.18", "1.20")
        # Whether inline trees are read: their records have the call site's
        # pc from Go 1.12; the owner turns this off for older releases.
        self.inline_trees = True
        # The Go release, when the owner knows it (the inline tables' indexes
        # moved in 1.13 and 1.17); None: judged from the table's format.
        self.release: tuple[int, int] | None = None

    # -- opening ----------------------------------------------------------------

    @classmethod
    def from_executable(cls, exe: Executable, *, use_symbols: bool = True) -> PCLnTab:
        """Find and open the pclntab of ``exe``: the ``.gopclntab`` section
        (``.data.rel.ro.gopclntab`` in internally linked PIE), else the
        ``runtime.pclntab`` symbol (externally linked PIE merges the table
        into ``.data.rel.ro``), else a search of the read-only segments for a
        valid header. ``use_symbols=False`` ignores ``.symtab`` (as if
        stripped)."""
        syms = find_symbols(exe, _SYMBOLS) if use_symbols else {}
        image = StaticImage(exe)
        for name in _SECTIONS:
            s = exe.sections.get(name)
            if s is not None and s.type != "SHT_NOBITS" and s.size >= 16:
                return cls(exe, s.addr, s.offset, s.size, syms)
        start = syms.get("runtime.pclntab")
        if start is not None:
            fo = image.file_offset(start)
            if fo is not None:
                end = syms.get("runtime.epclntab")
                size = end - start if end and end > start else image.remaining(start)
                return cls(exe, start, fo, size, syms)
        found = _scan_for_header(exe, image)
        if found is None:
            raise ExecutableError(f"{exe.path} has no Go pclntab: not a Go program?")
        addr, fo, size = found
        return cls(exe, addr, fo, size, syms)

    def _u32(self, fo: int) -> int:
        try:
            return struct.unpack_from(self._order + "I", self._mm, fo)[0]
        except struct.error as exc:
            raise self._damaged(exc) from None

    def _damaged(self, exc: Exception) -> ExecutableError:
        """The error for an offset or record that does not fit the section."""
        why = "an offset points past its end" if isinstance(exc, struct.error) else str(exc)
        return ExecutableError(f"{self.exe.path}: the Go line tables (.gopclntab) are damaged: "
                               f"{why}")

    def _read_header(self) -> _Header:
        fo = self._fo
        magic = self._u32(fo)
        version = MAGICS.get(magic)
        if version is None:
            raise UnsupportedError(
                f"{self.exe.path}: unknown pclntab magic {magic:#x} (a Go release newer than "
                "this dapcore, or not a Go binary)")
        try:
            pad1, pad2, quantum, ptr = struct.unpack_from("BBBB", self._mm, fo + 4)
            nwords = {"1.2": 1, "1.16": 7, "1.18": 8, "1.20": 8}[version]
            w = struct.unpack_from(self._order + ("Q" if ptr == 8 else "I") * nwords, self._mm,
                                   fo + 8)
        except struct.error as exc:
            raise self._damaged(exc) from None
        if pad1 or pad2 or quantum not in (1, 2, 4) or ptr not in (4, 8):
            raise ExecutableError(f"{self.exe.path}: damaged pclntab header")
        if version == "1.2":
            return _Header(version, quantum, ptr, w[0], 0, 0, fo, fo, fo, fo, fo)
        if version == "1.16":
            nfunc, nfiles, fname, cu, ftab, pct, pcln = w
            text = 0
        else:
            nfunc, nfiles, text, fname, cu, ftab, pct, pcln = w
        return _Header(version, quantum, ptr, nfunc, nfiles, text, fo + fname, fo + cu, fo + ftab,
                       fo + pct, fo + pcln)

    def _resolve_module(self, syms: dict[str, int]) -> None:
        """text_start and gofunc: from symbols, else from the moduledata."""
        v = self.version
        text = syms.get("runtime.text")
        gofunc = syms.get("go:func.*", syms.get("go.func.*"))
        need_md = v in ("1.18", "1.20") and (text is None or gofunc is None)
        if need_md or v in ("1.2", "1.16"):
            fnt = self.addr + (self._hdr.funcname - self._fo) if v != "1.2" else None
            self.moduledata = find_moduledata(self.exe, self._image, self.addr, v, fnt,
                                              syms.get("runtime.firstmoduledata"))
        md = self.moduledata
        if text is None and md is not None:
            text = md.text
        if text is None and self._hdr.text_start:
            text = self._hdr.text_start
        if text is None:
            s = self.exe.sections.get(".text")
            text = s.addr if s is not None else 0
        self.text_start = text
        if gofunc is None and md is not None:
            gofunc = md.gofunc
        # Before 1.18 funcdata are absolute pointers: nothing counts from gofunc.
        self.gofunc = gofunc if v in ("1.18", "1.20") else None

    def _read_functab(self) -> None:
        """The functab: nfunc (entry, funcoff) pairs and the end pc."""
        n = self.nfunc
        if self.version in ("1.18", "1.20"):
            code, width, self._key_base = "I", 4, self.text_start
        else:
            code, width, self._key_base = ("Q" if self.ptr_size == 8 else "I"), self.ptr_size, 0
        if self.version == "1.2":
            self._ftab = self._fo + 8 + self.ptr_size
            self._func_base = self._fo  # funcoff counts from the table start
        else:
            self._ftab = self._func_base = self._hdr.pcln
        words = array(code)
        words.frombytes(self._mm[self._ftab:self._ftab + (2 * n + 1) * width])
        if (self._order == "<") != (struct.pack("=H", 1) == b"\x01\x00"):
            words.byteswap()
        self._entries = words[0::2]  # n + 1 values: the last is the end of text
        self._funcoffs = words[1::2]
        if len(self._entries) != n + 1:
            raise ExecutableError(f"{self.exe.path}: truncated pclntab functab")

    def _setup_records(self) -> None:
        """The ``_func`` struct layout of this version."""
        o = self._order
        p = "Q" if self.ptr_size == 8 else "I"
        self._name_base = self._fo if self.version == "1.2" else self._hdr.funcname
        self._pctab = self._fo if self.version == "1.2" else self._hdr.pctab
        self.pctab_fileoff: int = self._pctab  # where pctab offsets count from
        if self.version == "1.20":
            self._rec = struct.Struct(o + "IiiIIIIIIiBBxB")
        elif self.version == "1.18":
            self._rec = struct.Struct(o + "IiiIIIIIIBBxB")
        elif self.version == "1.16":
            self._rec = struct.Struct(o + p + "iiIIIIIIBBxB")
        else:
            self._rec = struct.Struct(o + p + "iiIIIIIBBBB")
            self._old_tail = self._detect_old_tail()
        self._name_field = struct.Struct(o + "i")
        self._name_at = 4 if self.version in ("1.18", "1.20") else self.ptr_size

    def _detect_old_tail(self) -> bool:
        """1.2–1.15: does the last word hold funcID, pad, nfuncdata bytes
        rather than an int32 nfuncdata (before funcIDs)? The int32 never
        sets the byte that is nfuncdata little-endian (byte 3) or funcID
        big-endian (byte 0) in the newer layout."""
        last = self._rec.size - 4 + (3 if self._order == "<" else 0)
        mm, base = self._mm, self._func_base
        return any(mm[base + fo + last] for fo in self._funcoffs)

    # -- functions ----------------------------------------------------------------

    def file_names(self) -> set[str]:
        """Every file name in the file table (Go ≥ 1.16 layouts; empty for
        the go1.2 layout, whose file table is per function)."""
        hdr = self._hdr
        if self.version == "1.2" or not hdr.filetab:
            return set()
        raw = bytes(self._mm[hdr.filetab:hdr.pctab])
        return {s.decode("utf-8", "replace") for s in raw.split(b"\0") if s}

    def funcs(self) -> Iterator[Func]:
        for i in range(self.nfunc):
            yield self._func(i)

    def func_at(self, pc: int) -> Func | None:
        """The function whose code holds ``pc`` (None outside Go text)."""
        cache = self._pc_funcs
        try:
            return cache[pc]
        except KeyError:
            pass
        key = pc - self._key_base
        i = bisect_right(self._entries, key) - 1 if key >= 0 else -1
        f = self._func(i) if 0 <= i < self.nfunc and key < self._entries[i + 1] else None
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[pc] = f
        return f

    def func_by_name(self, name: str) -> Func | None:
        """The function named ``name`` (as in the binary: ``main.(*T).m``,
        ``main.f[go.shape.int]``); see :meth:`funcs_by_name`."""
        return self.funcs_by_name((name,)).get(name)

    def funcs_by_name(self, names: Iterable[str]) -> dict[str, Func]:
        """The functions of these names that exist (:class:`FuncNames`: the
        first lookups search for the names alone), or as the index cache
        remembers them (:mod:`dapcore.gobin.namememo`: checked)."""
        out: dict[str, Func] = {}
        rest: list[str] = []
        for name in names:
            known, f = self._memo.lookup(name, self._func)
            if not known:
                rest.append(name)
            elif f is not None:
                out[name] = f
        if not rest:
            return out
        if self._names is None:
            self._names = FuncNames(
                self._mm, self._funcoffs, self._func_base, self._name_at, self._name_field,
                self._name_base, self._hdr.cutab, self.version != "1.2", self._cstring_bytes)
        try:
            found = self._names.lookup([n.encode() for n in rest])
        except (struct.error, IndexError) as exc:
            raise self._damaged(exc) from None
        for name in rest:
            i = found.get(name.encode())
            self._memo.record(name, i)
            if i is not None:
                out[name] = self._func(i)
        return out

    def _func(self, i: int) -> Func:
        f = self._funcs.get(i)
        if f is not None:
            return f
        fo = self._func_base + self._funcoffs[i]
        try:
            r = self._rec.unpack_from(self._mm, fo)
        except struct.error as exc:
            raise self._damaged(exc) from None
        end = self._entries[i + 1] + self._key_base
        v = self.version
        start_line = None
        if v == "1.20":
            (entry, name, args, dret, pcsp, pcfile, pcln, npcdata, cu, start_line, fid, flag,
             nfd) = r
            entry += self.text_start
        elif v == "1.18":
            entry, name, args, dret, pcsp, pcfile, pcln, npcdata, cu, fid, flag, nfd = r
            entry += self.text_start
        elif v == "1.16":
            entry, name, args, dret, pcsp, pcfile, pcln, npcdata, cu, fid, flag, nfd = r
        else:
            entry, name, args, dret, pcsp, pcfile, pcln, npcdata, b0, b1, b2, b3 = r
            cu, flag = 0, 0
            if self._old_tail:  # funcID uint8, pad [2], nfuncdata uint8
                fid, nfd = b0, b3
            else:  # nfuncdata int32
                fid = 0
                raw = bytes((b0, b1, b2, b3))
                nfd = int.from_bytes(raw, "little" if self._order == "<" else "big")
        if not 0 <= self._name_base + name < self._fo + self.size:
            raise self._damaged(ValueError(f"the name of function {i} lies outside them"))
        f = Func(entry, end, self._cstring(self._name_base + name), args, dret, fid, flag,
                 start_line, pcsp, pcfile, pcln, npcdata, nfd, cu, i, fo)
        self._funcs[i] = f
        return f

    def _cstring_bytes(self, fo: int) -> bytes:
        end = self._mm.find(b"\0", fo, self._fo + self.size)
        return self._mm[fo:end if end >= 0 else self._fo + self.size]

    def _cstring(self, fo: int) -> str:
        s = self._strings.get(fo)
        if s is None:
            s = self._cstring_bytes(fo).decode("utf-8", "replace")
            self._strings[fo] = s
        return s

    # -- pc-value tables --------------------------------------------------------

    def _decode_table(self, off: int) -> PCValueTable:
        if off == 0:
            return EMPTY
        if self._pctab + off >= self._fo + self.size:
            raise self._damaged(ValueError(f"a pc-value table offset ({off:#x}) lies outside "
                                           "them"))
        try:
            return decode(self._mm, self._pctab + off, self.quantum)
        except (struct.error, IndexError, ValueError) as exc:
            raise self._damaged(exc) from None

    def table(self, off: int) -> PCValueTable:
        """The decoded pc-value table at pctab offset ``off`` (pcs relative
        to the function entry), cached."""
        return self._table(off)

    def _value(self, off: int, f: Func, pc: int) -> int:
        if off == 0:
            return -1
        return self._table(off).lookup(pc - f.entry)

    def pcsp(self, f: Func, pc: int) -> int:
        """SP delta at ``pc``: bytes between the SP at ``pc`` and the SP at
        entry (excluding the return address on amd64); -1 without a table."""
        key = (f.entry, pc)
        cache = self._pc_sp
        v = cache.get(key)
        if v is None:
            v = self._value(f.pcsp, f, pc)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[key] = v
        return v

    def pcdata(self, f: Func, table: int, pc: int) -> int:
        """Value of PCDATA table ``table`` at ``pc`` (-1 when absent)."""
        return self._value(self.pcdata_offset(f, table), f, pc)

    def pcdata_offset(self, f: Func, table: int) -> int:
        """pctab offset of PCDATA table ``table`` of ``f`` (0: none)."""
        if table >= f.npcdata or table < 0:
            return 0
        return self._u32(f.record + self._rec.size + 4 * table)

    def funcdata(self, f: Func, index: int) -> int | None:
        """Link-time address of FUNCDATA ``index`` of ``f``, None if absent."""
        if index >= f.nfuncdata or index < 0:
            return None
        at = f.record + self._rec.size + 4 * f.npcdata
        if self.version in ("1.18", "1.20"):
            off = self._u32(at + 4 * index)
            if off == 0xFFFFFFFF or self.gofunc is None:
                return None
            return self.gofunc + off
        # Before 1.18: pointers, aligned to the pointer size.
        addr = self.addr + (at - self._fo)
        if self.ptr_size == 8 and addr & 4:
            at += 4
        word = self._order + ("Q" if self.ptr_size == 8 else "I")
        try:
            value = struct.unpack_from(word, self._mm, at + self.ptr_size * index)[0]
        except struct.error as exc:
            raise self._damaged(exc) from None
        return value or None

    # -- files and lines ------------------------------------------------------------

    def line_at(self, f: Func, pc: int) -> tuple[str, int]:
        """File and line of ``pc`` in the physical function (no inlining);
        ("?", 0) when unknown, as the runtime prints it."""
        fileno = self._value(f.pcfile, f, pc)
        line = self._value(f.pcln, f, pc)
        if fileno == -1 or line == -1:
            return "?", 0
        return self._file(f, fileno), line

    def _file(self, f: Func, fileno: int) -> str:
        if self.version == "1.2":
            filetab = self._fo + self._u32(self._ftab + (2 * self.nfunc + 1) * self.ptr_size)
            if fileno <= 0 or fileno >= self._u32(filetab):
                return "?"
            return self._cstring(self._fo + self._u32(filetab + 4 * fileno))
        at = self._hdr.cutab + 4 * (f.cu_offset + fileno)
        if at + 4 > self._hdr.filetab:
            return "?"
        off = self._u32(at)
        if off == 0xFFFFFFFF:
            return "?"
        return self._cstring(self._hdr.filetab + off)

    # -- logical frames -------------------------------------------------------------

    def frames_at(self, pc: int) -> list[SourceFrame]:
        """The logical frames at ``pc``, innermost first: the inlined calls
        (from the inline tree) and last the physical function. ``pc`` must
        be the pc to symbolise: a return address minus one for callers."""
        frames = self._pc_frames.get(pc)
        if frames is None:
            frames = self._frames_at(pc)
            if len(self._pc_frames) >= _CACHE_LIMIT:
                self._pc_frames.clear()
            self._pc_frames[pc] = frames
        return list(frames)

    def _frames_at(self, pc: int) -> tuple[SourceFrame, ...]:
        f = self.func_at(pc)
        if f is None:
            return ()
        out: list[SourceFrame] = []
        tree = self._inline_tree(f)
        if tree is not None:
            buf, base = tree
            pcdata_index = self._inline_indexes()[0]
            idx = self.pcdata(f, pcdata_index, pc)
            seen = 0
            while idx >= 0 and seen < 1000:
                try:
                    call = self._inline.decode(buf, base + idx * self._inline.size)
                except (struct.error, IndexError) as exc:
                    raise self._damaged(exc) from None
                file, line = self.line_at(f, pc)
                out.append(SourceFrame(self._cstring(self._name_base + call.name_off), file,
                                       line, True, call.func_id, f.entry, call.start_line))
                pc = f.entry + call.parent_pc
                idx = self.pcdata(f, pcdata_index, pc)
                seen += 1
        file, line = self.line_at(f, pc)
        out.append(SourceFrame(f.name, file, line, False, f.func_id, f.entry, f.start_line))
        return tuple(out)

    def _inline_tree(self, f: Func) -> tuple[memoryview, int] | None:
        pcdata_index, funcdata_index = self._inline_indexes()
        if not self.inline_trees or f.npcdata <= pcdata_index:
            return None
        addr = self.funcdata(f, funcdata_index)
        if addr is None:
            return None
        return self._image.view(addr)

    def inline_pcdata_index(self) -> int:
        """PCDATA_InlTreeIndex of this program (2 from Go 1.13, 1 before)."""
        return self._inline_indexes()[0]

    def open_coded_defer_index(self) -> int:
        """FUNCDATA_OpenCodedDeferInfo: the one after FUNCDATA_InlTree (5
        before Go 1.17, which dropped FUNCDATA_RegPointerMaps; 4 after)."""
        return self._inline_indexes()[1] + 1

    def _inline_indexes(self) -> tuple[int, int]:
        if self.version == "1.16" and self.release is None:
            self._kind_map()  # learns whether this 1.16-magic binary is a 1.17 one
        return inline_indexes(self.release, self._flags_used, self.version)

    # -- special functions ------------------------------------------------------------

    def func_kind(self, f: Func) -> str | None:
        """What the runtime's unwinder knows ``f`` as: "goexit", "mstart",
        "rt0_go", "sigpanic", "asyncPreempt", "morestack", "systemstack",
        "systemstack_switch", "mcall", "gogo", "asmcgocall", "cgocallback",
        "wrapper", "debugCallV2", "gopanic", "panicwrap", "runtime_main", …;
        None for an ordinary function."""
        kinds = self._kind_map()
        if kinds:
            return kinds.get(f.func_id) if f.func_id else None
        return _KIND_BY_NAME.get(f.name)

    def kind_of_id(self, func_id: int) -> str | None:
        """The kind of a raw FuncID (e.g. ``SourceFrame.func_id``)."""
        return self._kind_map().get(func_id) if func_id else None

    def _kind_map(self) -> dict[int, str]:
        if self._kinds is None:
            ids: dict[str, int] = {}
            named = self.funcs_by_name([*(n for ns in funcid.KIND_FUNCTIONS.values()
                                          for n in ns), "runtime.deferreturn"])
            for kind, names in funcid.KIND_FUNCTIONS.items():
                for name in names:
                    g = named.get(name)
                    if g is not None and g.func_id:
                        ids[kind] = g.func_id
                        break
            dr = named.get("runtime.deferreturn")
            self._kinds = funcid.calibrate(ids, dr.func_id if dr is not None else 0)
            goexit = named.get("runtime.goexit")
            if goexit is not None and goexit.flag:
                self._flags_used = True
        return self._kinds

    def is_topframe(self, f: Func) -> bool:
        """The unwinder stops at ``f``: the bottom of a stack (goexit,
        mstart, rt0_go …)."""
        if f.flag & funcid.FLAG_TOPFRAME:
            return True
        if self._flags_used:
            return False
        self._kind_map()  # learns whether this 1.16-magic binary is a 1.17 one
        return not self._flags_used and self.func_kind(f) in funcid.TOPFRAME_KINDS_BEFORE_117

    def is_spwrite(self, f: Func) -> bool:
        """``f`` writes SP arbitrarily: unwinding through it is unsafe."""
        return bool(f.flag & funcid.FLAG_SPWRITE)


_KIND_BY_NAME: dict[str, str] = {
    name: kind for kind, names in funcid.KIND_FUNCTIONS.items() for name in names
}


def _scan_for_header(exe: Executable, image: StaticImage) -> tuple[int, int, int] | None:
    """Find a pcHeader in the PT_LOADs of a binary without section headers
    or symbols, the non-executable ones first (GNU ld on arm64 puts read-only
    data in the text segment): (address, file offset, bytes to segment end)."""
    order = "<" if exe.little_endian else ">"
    for seg in sorted(exe.segments, key=lambda s: s.flags & 1):
        if not seg.filesz:
            continue
        start, end = seg.offset, seg.offset + seg.filesz
        for magic in MAGICS:
            for quantum in (1, 2, 4):
                needle = struct.pack(order + "IBBBB", magic, 0, 0, quantum, exe.ptr_size)
                pos = exe.data.find(needle, start, end)
                while pos >= 0:
                    addr = seg.vaddr + pos - seg.offset
                    if addr % exe.ptr_size == 0 and _plausible(exe, pos, end):
                        return addr, pos, end - pos
                    pos = exe.data.find(needle, pos + 1, end)
    return None


def _plausible(exe: Executable, fo: int, end: int) -> bool:
    """A header whose counts fit and (1.16+) whose subtable offsets are
    increasing and inside the segment."""
    order = "<" if exe.little_endian else ">"
    word = "Q" if exe.ptr_size == 8 else "I"
    version = MAGICS[struct.unpack_from(order + "I", exe.data, fo)[0]]
    nfunc = struct.unpack_from(order + word, exe.data, fo + 8)[0]
    if not 0 < nfunc < (end - fo) // 8:
        return False
    if version == "1.2":
        return True
    first = 2 if version == "1.16" else 3  # after nfunc, nfiles[, textStart]
    offs = struct.unpack_from(order + word * (first + 5), exe.data, fo + 8)[first:]
    return all(a < b for a, b in pairwise(offs)) and offs[-1] < end - fo


# -- names as the runtime prints them ------------------------------------------------


def func_name_for_print(name: str, *, nested_generics: bool = True) -> str:
    """``runtime.funcNameForPrint``: the shape arguments of a generic
    function's name become ``[...]`` (Go ≥ 1.21). ``nested_generics``
    follows Go 1.27, which keeps the method name of a generic type's
    generic method (``pkg.T[...].m[...]``); 1.21–1.26 cut from the first
    ``[`` to the last ``]``."""
    i = name.find("[")
    if i < 0:
        return name
    j = name.rfind("]")
    if j <= i:
        return name
    if not nested_generics:
        return name[:i] + "[...]" + name[j + 1:]
    interior = name[i + 1:j]
    if "[" not in interior:
        return name[:i] + "[...]" + name[j + 1:]
    depth, rbr, lbr = 1, -1, -1
    for k, c in enumerate(interior):
        if c == "[":
            depth += 1
            if depth != 1:
                continue
            lbr = k
            break
        if c == "]":
            depth -= 1
            if depth < 0:
                break
            if depth != 0:
                continue
            rbr = k
    if depth == 1:
        if rbr >= 0 and lbr > rbr:
            return name[:i] + "[...]" + interior[rbr + 1:lbr] + "[...]" + name[j + 1:]
        if rbr == -1 and lbr == -1:
            return name[:i] + "[...]" + name[j + 1:]
    return name


def package_of(function: str) -> str:
    """The import path of the package a function belongs to, from its
    symbol name: ``github.com/a/b.(*T).M`` → ``github.com/a/b``, ``main.f``
    → ``main`` (the name up to the first dot after its last slash; the
    whole name when there is none). Slashes inside a generic function's
    type arguments (``main.Map[example.com/x.T]``) do not count."""
    bracket = function.find("[")
    slash = function.rfind("/", 0, bracket if bracket >= 0 else len(function))
    dot = function.find(".", slash + 1)
    return function if dot < 0 else function[:dot]


def print_name(name: str, *, nested_generics: bool = True) -> str:
    """``runtime.printFuncName``: ``panic`` for runtime.gopanic, generic
    shapes elided."""
    if name == "runtime.gopanic":
        return "panic"
    return func_name_for_print(name, nested_generics=nested_generics)
