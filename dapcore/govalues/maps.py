"""Map entries from a core: the classic ``hmap`` with buckets (Go ≤1.23,
``runtime/map.go``) and Swiss tables (Go ≥1.24,
``internal/runtime/maps``), using the DWARF the linker synthesizes for each
map type (``hash<K,V>``/``bucket<K,V>``; ``map<K,V>``/``table<K,V>``/
``groupReference<K,V>`` and the compiler's group struct)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from dapcore.errors import UnreadableMemory
from dapcore.govalues.mapindex import MapIndex, map_layout
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["MapWindow", "map_len", "map_page", "map_pairs"]

# A value context keeps the entry indexes of the maps used last: at most this
# many maps, and this many entries in all (~5-8 bytes each) beyond the one
# in use.
_INDEXES = 16
_INDEXED_ENTRIES = 4_000_000
_STEP = 1024  # entries indexed at a time while iterating


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


def _index(v: Value) -> MapIndex | None:
    """The entry index of map ``v`` (None for nil), kept in the value
    context for the maps used last (:data:`_INDEXES`,
    :data:`_INDEXED_ENTRIES`); a core never changes, so an index stays
    true."""
    h = _header(v)
    if h is None or v.type is None:
        return None
    p, rep = h
    indexes = v.ctx.map_indexes
    key = (p, rep.name)
    got = indexes.pop(key, None)  # re-inserted last: the most recently used
    if got is None:
        layouts = v.ctx.map_layouts
        lay = layouts.get(rep.name)
        if lay is None:
            lay = layouts[rep.name] = map_layout(rep, v.type.map_impl != "classic")
        got = MapIndex(v.ctx.mem, p, rep, lay)
    while indexes and (len(indexes) >= _INDEXES or sum(
            len(x.entries) for x in indexes.values()) > _INDEXED_ENTRIES):
        del indexes[next(iter(indexes))]  # the least recently used
    indexes[key] = got
    return got


def _pairs_at(v: Value, index: MapIndex, start: int, end: int
              ) -> Iterator[tuple[Value, Value]]:
    """The (key, value) pairs of indexed entries ``start`` … ``end``, each
    bucket or group read once."""
    lay = index.layout
    mem = v.ctx.mem
    mkey, mval = (v.type.key, v.type.elem) if v.type is not None else (None, None)
    kind = lay.key_type.kind == "ptr" and mkey is not None and mkey.kind != "ptr"
    vind = lay.val_type.kind == "ptr" and mval is not None and mval.kind != "ptr"
    ks, vs = lay.key_type.size, lay.val_type.size
    k0, kstride, v0, vstride = lay.key_off, lay.key_stride, lay.val_off, lay.val_stride
    size, kt, vt = lay.block_size, lay.key_type, lay.val_type
    last, raw = -1, b""
    for block, slot in index.locations(start, end):
        if block != last:
            raw, last = mem.read(block, size), block
        ko, vo = k0 + slot * kstride, v0 + slot * vstride
        yield (_slot(v, "key", kt, mkey, kind, raw[ko:ko + ks], block + ko),
               _slot(v, "value", vt, mval, vind, raw[vo:vo + vs], block + vo))


def _slot(v: Value, name: str, st: GoType, want: GoType | None, indirect: bool,
          raw: bytes, addr: int) -> Value:
    if indirect and want is not None:
        target = int.from_bytes(raw[:8], "little")
        return Value(v.ctx, name, want, addr=target, visited=v.visited)
    return Value(v.ctx, name, want or st, addr=addr, data=raw, visited=v.visited)


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
    """The map's entries from the ``skip``-th on, indexed as they are
    reached (a walk cut short by unreadable memory raises after the
    entries before it)."""
    index = _index(v)
    if index is None:
        return
    i = skip
    while True:
        n = index.ensure(i + _STEP)
        if i >= n:
            break
        yield from _pairs_at(v, index, i, n)
        i = n
    if index.error is not None:
        raise index.error


def map_pairs(v: Value) -> Iterator[tuple[Value, Value]]:
    """Every (key, value) of a map (of a window: its own), in storage order."""
    if isinstance(v, MapWindow):
        return islice(_all_pairs(v, v.lo), v.hi - v.lo)
    return _all_pairs(v)


def map_page(v: Value, start: int, count: int
             ) -> tuple[list[tuple[Value, Value]], UnreadableMemory | None]:
    """(key, value) pairs ``start`` … ``start+count`` of map ``v`` (of a
    window: of its own entries), and the error that cut the walk short
    (the pairs before it are kept).

    Only the page's own entries are read and built: the map's entry index
    (:class:`~dapcore.govalues.mapindex.MapIndex`, kept in the value
    context) says where each one lives, so a page costs the same at any
    offset and in any order (a page past the indexed part extends the
    index first, in one pass over raw memory)."""
    out: list[tuple[Value, Value]] = []
    if isinstance(v, MapWindow):  # the same entries of the whole map
        count = min(count, v.hi - v.lo - start)
        start += v.lo
    if count <= 0 or start < 0:
        return out, None
    try:
        index = _index(v)
        if index is None:
            return out, None
        end = index.ensure(start + count)
        out.extend(_pairs_at(v, index, start, min(end, start + count)))
    except UnreadableMemory as exc:
        return out, exc
    if end < start + count and index.error is not None:
        return out, index.error
    return out, None
