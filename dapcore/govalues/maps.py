"""Map entries from a core: the classic ``hmap`` with buckets (Go ≤1.23,
``runtime/map.go``) and Swiss tables (Go ≥1.24,
``internal/runtime/maps``), using the DWARF the linker synthesizes for each
map type (``hash<K,V>``/``bucket<K,V>``; ``map<K,V>``/``table<K,V>``/
``groupReference<K,V>`` and the compiler's group struct)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from dapcore.errors import UnreadableMemory
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["MapWindow", "map_len", "map_page", "map_pairs"]

_BUCKET = 8  # abi.MapBucketCount / abi.SwissMapGroupSlots
_MIN_TOPHASH = 5  # tophash: 0,1 empty; 2..4 evacuated (runtime/map.go)
_SAME_SIZE_GROW = 8  # hmap.flags
_CTRL_EMPTY = 0x80  # ctrl bytes with this bit: empty or deleted


def _header(v: Value) -> tuple[int, GoType] | None:
    t = v.type
    rep = t.representation if t is not None else None
    p = v.word(0)
    if not p or rep is None:
        return None
    return p, rep


def map_len(v: Value) -> int:
    """How many entries map ``v`` has (a window: how many it shows)."""
    if isinstance(v, MapWindow):
        return v.hi - v.lo
    h = _header(v)
    if h is None:
        return 0
    p, rep = h
    f = rep.field("count") or rep.field("used")
    assert f is not None
    return v.ctx.mem.u64(p + f.offset) if f.type.size == 8 else v.ctx.mem.uint(p + f.offset,
                                                                                   f.type.size)


def _field_off(t: GoType, name: str) -> int:
    f = t.field(name)
    if f is None:
        raise KeyError(f"{t.name} has no field {name}")
    return f.offset


def _pairs_classic(v: Value, p: int, rep: GoType, skip: int
                   ) -> Iterator[tuple[Value, Value]]:
    ctx = v.ctx
    mem = ctx.mem
    hdr = mem.read(p, rep.size)
    flags = hdr[_field_off(rep, "flags")]
    b = hdr[_field_off(rep, "B")]
    buckets = int.from_bytes(hdr[_field_off(rep, "buckets"):][:8], "little")
    old = int.from_bytes(hdr[_field_off(rep, "oldbuckets"):][:8], "little")
    bf = rep.field("buckets")
    assert bf is not None and bf.type.elem is not None
    bt = bf.type.elem
    keys, vals, ovf = bt.field("keys"), bt.field("values"), bt.field("overflow")
    assert keys is not None and vals is not None and ovf is not None
    assert keys.type.elem is not None and vals.type.elem is not None
    kt, vt = keys.type.elem, vals.type.elem
    mkey, mval = v.type.key if v.type else None, v.type.elem if v.type else None
    kind = kt.kind == "ptr" and mkey is not None and mkey.kind != "ptr"
    vind = vt.kind == "ptr" and mval is not None and mval.kind != "ptr"

    def chain(addr: int, skip_evacuated: bool) -> Iterator[tuple[Value, Value]]:
        nonlocal skip
        seen = 0
        while addr and seen < 1 << 20:
            seen += 1
            raw = mem.read(addr, bt.size)
            if skip_evacuated and 1 < raw[0] < _MIN_TOPHASH:
                return  # evacuated: its entries are in the new buckets
            for i in range(_BUCKET):
                if raw[i] < _MIN_TOPHASH:
                    continue
                if skip:  # counted, not built
                    skip -= 1
                    continue
                ko = keys.offset + i * kt.size
                vo = vals.offset + i * vt.size
                yield (_slot(v, "key", kt, mkey, kind, raw[ko:ko + kt.size], addr + ko),
                       _slot(v, "value", vt, mval, vind, raw[vo:vo + vt.size], addr + vo))
            addr = int.from_bytes(raw[ovf.offset:ovf.offset + 8], "little")

    if buckets:
        for i in range(1 << b):
            yield from chain(buckets + i * bt.size, False)
    if old:
        n_old = 1 << b if flags & _SAME_SIZE_GROW else 1 << max(b - 1, 0)
        for i in range(n_old):
            yield from chain(old + i * bt.size, True)


def _slot(v: Value, name: str, st: GoType, want: GoType | None, indirect: bool,
          raw: bytes, addr: int) -> Value:
    if indirect and want is not None:
        target = int.from_bytes(raw[:8], "little")
        return Value(v.ctx, name, want, addr=target, visited=v.visited)
    return Value(v.ctx, name, want or st, addr=addr, data=raw, visited=v.visited)


def _pairs_swiss(v: Value, p: int, rep: GoType, skip: int) -> Iterator[tuple[Value, Value]]:
    mem = v.ctx.mem
    hdr = mem.read(p, rep.size)
    dir_ptr = int.from_bytes(hdr[_field_off(rep, "dirPtr"):][:8], "little")
    dir_len = int.from_bytes(hdr[_field_off(rep, "dirLen"):][:8], "little", signed=True)
    df = rep.field("dirPtr")
    assert df is not None
    table_t = df.type.elem.elem if df.type.elem is not None else None
    assert table_t is not None
    gref = table_t.field("groups")
    assert gref is not None
    data_f = gref.type.field("data")
    mask_f = gref.type.field("lengthMask")
    assert data_f is not None and mask_f is not None and data_f.type.elem is not None
    group_t = data_f.type.elem
    slots_f, ctrl_f = group_t.field("slots"), group_t.field("ctrl")
    assert slots_f is not None and ctrl_f is not None and slots_f.type.elem is not None
    slot_t = slots_f.type.elem
    kf, ef = slot_t.field("key"), slot_t.field("elem")
    assert kf is not None and ef is not None
    mkey, mval = v.type.key if v.type else None, v.type.elem if v.type else None
    kind = kf.type.kind == "ptr" and mkey is not None and mkey.kind != "ptr"
    vind = ef.type.kind == "ptr" and mval is not None and mval.kind != "ptr"

    def group(addr: int) -> Iterator[tuple[Value, Value]]:
        nonlocal skip
        if skip:  # the control word alone says how many slots are full
            ctrl = mem.read(addr + ctrl_f.offset, 8)
            full = sum(1 for c in ctrl if not c & _CTRL_EMPTY)
            if full <= skip:
                skip -= full
                return
        raw = mem.read(addr, group_t.size)
        ctrl = raw[ctrl_f.offset:ctrl_f.offset + 8]
        for i in range(_BUCKET):
            if ctrl[i] & _CTRL_EMPTY:
                continue
            if skip:
                skip -= 1
                continue
            base = slots_f.offset + i * slot_t.size
            ko, eo = base + kf.offset, base + ef.offset
            yield (_slot(v, "key", kf.type, mkey, kind, raw[ko:ko + kf.type.size], addr + ko),
                   _slot(v, "value", ef.type, mval, vind, raw[eo:eo + ef.type.size],
                         addr + eo))

    if not dir_ptr:
        return
    if dir_len == 0:
        yield from group(dir_ptr)
        return
    seen: set[int] = set()
    dir_raw = mem.read(dir_ptr, 8 * dir_len)
    for j in range(dir_len):
        tp = int.from_bytes(dir_raw[8 * j:8 * j + 8], "little")
        if not tp or tp in seen:
            continue
        seen.add(tp)
        traw = mem.read(tp, table_t.size)
        go = gref.offset
        data = int.from_bytes(traw[go + data_f.offset:][:8], "little")
        mask = int.from_bytes(traw[go + mask_f.offset:][:8], "little")
        for gi in range(mask + 1):
            yield from group(data + gi * group_t.size)


class MapWindow(Value):
    """Entries ``lo`` … ``hi`` of a map, in the order its entries are listed
    (:func:`map_pairs`): what ``m[lo:hi]`` gives in an expression, as in
    Delve. A map value of the map's type whose length, entries and pages
    are the window's (:func:`map_len`, :func:`map_pairs`, :func:`map_page`)."""

    __slots__ = ("hi", "lo")

    def __init__(self, m: Value, lo: int, hi: int, path: str) -> None:
        super().__init__(m.ctx, path, m.type, data=m.raw(), path=path, visited=m.visited)
        base = m.lo if isinstance(m, MapWindow) else 0
        self.lo, self.hi = base + lo, base + hi


def _all_pairs(v: Value, skip: int = 0) -> Iterator[tuple[Value, Value]]:
    """The map's entries from the ``skip``-th on (those before it are
    counted, not built)."""
    h = _header(v)
    if h is None:
        return iter(())
    p, rep = h
    if v.type is not None and v.type.map_impl == "classic":
        return _pairs_classic(v, p, rep, skip)
    return _pairs_swiss(v, p, rep, skip)


def map_pairs(v: Value) -> Iterator[tuple[Value, Value]]:
    """Every (key, value) of a map (of a window: its own), in storage order."""
    if isinstance(v, MapWindow):
        return islice(_all_pairs(v, v.lo), v.hi - v.lo)
    return _all_pairs(v)


def map_page(v: Value, start: int, count: int
             ) -> tuple[list[tuple[Value, Value]], UnreadableMemory | None]:
    """(key, value) pairs ``start`` … ``start+count`` of map ``v`` (of a
    window: of its own entries), and the error that cut the walk short
    (the pairs before it are kept). The entries before ``start`` are
    counted, not built.

    Pages are usually asked for in order (0, 1000, 2000 …): the iteration
    where the previous page of the same map stopped is kept in the value
    context and resumed, so each page costs its own entries only (a core
    never changes, so the storage order is stable)."""
    out: list[tuple[Value, Value]] = []
    if isinstance(v, MapWindow):  # the same entries of the whole map
        count = min(count, v.hi - v.lo - start)
        start += v.lo
    if count <= 0:
        return out, None
    h = _header(v)
    cursors = v.ctx.map_cursors
    key = h[0] if h is not None else None
    saved = cursors.pop(key, None) if key is not None else None
    if saved is not None and saved[0] <= start:
        i, pairs = saved
    else:
        i, pairs = start, _all_pairs(v, start)
    try:
        for pair in pairs:
            if i >= start:
                out.append(pair)
            i += 1
            if i >= start + count:
                if key is not None:
                    cursors[key] = (i, pairs)
                break
    except UnreadableMemory as exc:
        return out, exc
    return out, None
