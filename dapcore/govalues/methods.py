"""Method sets read from runtime type descriptors, to decide whether a
dynamic type implements an interface as ``runtime/iface.go`` (itab init)
does: the interface's ``Imethod`` list against the type's ``Method`` list
(``abi.UncommonType``), by name (unexported names qualified by their
package path) and method type.

Layouts (``internal/abi/type.go``, ``runtime/type.go`` before 1.21; 64-bit,
stable from Go 1.19 to 1.27): ``abi.Type`` is 48 bytes; when ``TFlag`` has
``TFlagUncommon`` the ``UncommonType {PkgPath NameOff; Mcount, Xcount
uint16; Moff uint32; _ uint32}`` follows the kind's own struct
(:func:`uncommon_offset`), and its ``Mcount`` ``Method {Name NameOff; Mtyp
TypeOff; Ifn, Tfn TextOff}`` start ``Moff`` bytes after it.
``InterfaceType {Type; PkgPath Name; Methods []Imethod}`` with ``Imethod
{Name NameOff; Typ TypeOff}``. Offsets count from ``moduledata.types``
(one module); -1 is the linker's mark of an unreachable method, which the
runtime never matches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.goruntime import rtype
from dapcore.goruntime.rtype import name_length, varint_names

if TYPE_CHECKING:
    from dapcore.govalues.values import ValueContext

__all__ = ["MethodSig", "interface_methods", "missing_method", "type_methods",
           "uncommon_offset"]

TFLAG_UNCOMMON = 1 << 0
_TYPE = 48  # sizeof(abi.Type)
# sizeof of the kind-specific struct, where UncommonType follows
_KIND_SIZE = {
    rtype.STRUCT: _TYPE + 8 + 24,     # PkgPath Name, Fields []StructField
    rtype.POINTER: _TYPE + 8,         # Elem
    rtype.FUNC: _TYPE + 8,            # InCount, OutCount uint16, padded to 8
    rtype.SLICE: _TYPE + 8,           # Elem
    rtype.ARRAY: _TYPE + 24,          # Elem, Slice, Len
    rtype.CHAN: _TYPE + 16,           # Elem, Dir
    rtype.INTERFACE: _TYPE + 8 + 24,  # PkgPath Name, Methods []Imethod
}
_MAP_CLASSIC = _TYPE + 5 * 8          # Key, Elem, Bucket, Hasher; sizes+Flags
_MAP_SWISS = _TYPE + 8 * 8            # Key, Elem, Group, Hasher, 3 uintptr, Flags


def uncommon_offset(kind: int, swiss_maps: bool = True) -> int:
    """Where ``abi.UncommonType`` starts in a type descriptor of ``kind``."""
    if kind == rtype.MAP:
        return _MAP_SWISS if swiss_maps else _MAP_CLASSIC
    return _KIND_SIZE.get(kind, _TYPE)


@dataclass(frozen=True, slots=True)
class MethodSig:
    """One method: its name, the package path qualifying an unexported
    name (empty for exported ones), and its method type descriptor (None:
    unreachable, the linker's -1)."""

    name: str
    exported: bool
    pkg_path: str
    mtype: int | None


def _varint(buf: bytes, pos: int, varint: bool = True) -> tuple[int, int]:
    """A length inside an ``abi.Name``; ValueError when it runs past ``buf``."""
    try:
        return name_length(buf, pos, varint)
    except IndexError:
        raise ValueError("a damaged name (its length runs past the bytes read)") from None


def read_name(ctx: ValueContext, addr: int) -> tuple[str, bool, str]:
    """An ``abi.Name`` at ``addr``: (name, exported, its own pkgPath or "")."""
    mem = ctx.mem
    head = mem.read(addr, 11)
    flags = head[0]
    varint = varint_names(ctx.proc.go_version)
    n, pos = _varint(head, 1, varint)
    name = mem.read(addr + pos, n).decode(errors="replace") if n else ""
    pos += n
    pkg = ""
    if flags & 4:
        if flags & 2:  # a tag follows the name
            tag = mem.read(addr + pos, 10)
            tn, tp = _varint(tag, 0, varint)
            pos += tp + tn
        off = int.from_bytes(mem.read(addr + pos, 4), "little", signed=True)
        pkg = read_name(ctx, ctx.types_base + off)[0]
    return name, bool(flags & 1), pkg


def _off(raw: bytes, at: int) -> int:
    return int.from_bytes(raw[at:at + 4], "little", signed=True)


def _swiss(ctx: ValueContext) -> bool:
    ver = ctx.proc.layout.go_version
    try:
        minor = int(ver.split(".")[1])
    except (IndexError, ValueError):
        return True
    if minor < 24:
        return False
    if minor >= 26:
        return True
    # 1.24/1.25: Swiss tables unless built with GOEXPERIMENT=noswissmap
    if ctx.types.by_name("internal/runtime/maps.Map") is not None:
        return True
    return ctx.types.by_name("runtime.hmap") is None


def type_methods(ctx: ValueContext, taddr: int) -> list[MethodSig]:
    """The method set of the runtime type at ``taddr`` (empty without
    ``TFlagUncommon``)."""
    mem = ctx.mem
    raw = mem.read(taddr, _TYPE)
    if not raw[20] & TFLAG_UNCOMMON:
        return []
    kind = raw[23] & rtype.KIND_MASK
    u = taddr + uncommon_offset(kind, _swiss(ctx) if kind == rtype.MAP else True)
    ur = mem.read(u, 16)
    tpkg_off = _off(ur, 0)
    mcount = int.from_bytes(ur[4:6], "little")
    moff = int.from_bytes(ur[8:12], "little")
    tpkg: str | None = None
    out: list[MethodSig] = []
    table = mem.read(u + moff, 16 * mcount) if mcount else b""
    base = ctx.types_base
    for i in range(mcount):
        noff, toff = _off(table, 16 * i), _off(table, 16 * i + 4)
        name, exported, pkg = read_name(ctx, base + noff)
        if not exported and not pkg:
            if tpkg is None:
                tpkg = read_name(ctx, base + tpkg_off)[0] if tpkg_off else ""
            pkg = tpkg
        out.append(MethodSig(name, exported, "" if exported else pkg,
                             None if toff in (0, -1) else base + toff))
    return out


def interface_methods(ctx: ValueContext, iaddr: int) -> list[MethodSig]:
    """The methods of the interface runtime type at ``iaddr``."""
    mem = ctx.mem
    raw = mem.read(iaddr, _TYPE + 32)
    pkg_name = int.from_bytes(raw[_TYPE:_TYPE + 8], "little")
    ptr = int.from_bytes(raw[_TYPE + 8:_TYPE + 16], "little")
    n = int.from_bytes(raw[_TYPE + 16:_TYPE + 24], "little", signed=True)
    if n < 0 or n > 1 << 16:
        raise ValueError(f"bad interface method count {n}")
    table = mem.read(ptr, 8 * n) if n else b""
    base = ctx.types_base
    ipkg: str | None = None
    out: list[MethodSig] = []
    for i in range(n):
        noff, toff = _off(table, 8 * i), _off(table, 8 * i + 4)
        name, exported, pkg = read_name(ctx, base + noff)
        if not exported and not pkg:
            if ipkg is None:
                ipkg = read_name(ctx, pkg_name)[0] if pkg_name else ""
            pkg = ipkg
        out.append(MethodSig(name, exported, "" if exported else pkg,
                             None if toff in (0, -1) else base + toff))
    return out


def _same_type(ctx: ValueContext, a: int | None, b: int | None) -> bool:
    if a is None or b is None:
        return False
    if a == b:
        return True
    try:
        return ctx.rtypes.read(a).name == ctx.rtypes.read(b).name
    except Exception:
        return False


def missing_method(ctx: ValueContext, taddr: int, iaddr: int) -> str | None:
    """The first method of the interface at ``iaddr`` that the type at
    ``taddr`` lacks (None: it implements the interface)."""
    have: dict[tuple[str, str], MethodSig] = {}
    for m in type_methods(ctx, taddr):
        have.setdefault((m.name, m.pkg_path), m)
    for im in interface_methods(ctx, iaddr):
        got = have.get((im.name, im.pkg_path))
        if got is None or not _same_type(ctx, got.mtype, im.mtype):
            return im.name
    return None


def find_itab(ctx: ValueContext, iaddr: int, taddr: int) -> int | None:
    """An itab for (interface at ``iaddr``, type at ``taddr``) the program
    has: in the runtime's ``itabTable`` (which ``itabsinit`` fills with the
    linker's itabs) or ``moduledata.itablinks`` (before Go 1.27); None if
    neither holds one."""
    for candidates in (_itab_table, _itablinks):
        try:
            for it in candidates(ctx):
                if it and ctx.mem.read(it, 16) == iaddr.to_bytes(8, "little") + \
                        taddr.to_bytes(8, "little"):
                    return it
        except Exception:  # absent in this release, or unreadable: no itab
            continue
    return None


def _pointers(ctx: ValueContext, addr: int, n: int) -> list[int]:
    if not 0 < n <= 1 << 20:
        return []
    raw = ctx.mem.read(addr, 8 * n)
    return [int.from_bytes(raw[8 * i:8 * i + 8], "little") for i in range(n)]


def _itab_table(ctx: ValueContext) -> list[int]:
    var = ctx.proc.global_addr("runtime.itabTable")
    if var is None:
        return []
    tab = ctx.mem.ptr(var)
    if not tab:
        return []
    size = int.from_bytes(ctx.mem.read(tab, 8), "little")  # itabTableType.size
    return _pointers(ctx, tab + 16, size)  # .entries


def _itablinks(ctx: ValueContext) -> list[int]:
    proc = ctx.proc
    md = proc.global_addr("runtime.firstmoduledata")
    if md is None:
        return []
    off = proc.layout.struct("runtime.moduledata").off("itablinks")
    ptr = ctx.mem.ptr(md + off)
    n = int.from_bytes(ctx.mem.read(md + off + 8, 8), "little")
    return _pointers(ctx, ptr, n)
