"""pprof labels of a goroutine (``g.labels``).

The runtime stores an unsafe.Pointer to runtime/pprof's ``labelMap``: a
``map[string]string`` up to Go 1.23, a struct holding a sorted
``[]label{key, value string}`` from Go 1.24.
"""

from __future__ import annotations

from dapcore.elf.memory import AddressSpace
from dapcore.errors import UnreadableMemory

_MAX_LABELS = 1024


def read_labels(mem: AddressSpace, ptr: int, release: tuple[int, int]) -> dict[str, str]:
    """The labels at ``ptr`` (0 → none). Unreadable memory gives what was read."""
    if ptr == 0:
        return {}
    try:
        if release >= (1, 24):
            return _slice_labels(mem, ptr)
        # *labelMap, and a labelMap is a map: a pointer to its hmap.
        hmap = mem.ptr(ptr)
        return _classic_map_labels(mem, hmap) if hmap else {}
    except UnreadableMemory:
        return {}


def _slice_labels(mem: AddressSpace, ptr: int) -> dict[str, str]:
    data, length = mem.ptr(ptr), mem.ptr(ptr + 8)
    out = {}
    for i in range(min(length, _MAX_LABELS)):
        at = data + i * 32
        out[mem.go_string(at)] = mem.go_string(at + 16)
    return out


# hmap (Go ≤1.23): count int; flags, B uint8; noverflow uint16; hash0 uint32;
# buckets, oldbuckets unsafe.Pointer; … A map[string]string bucket holds
# tophash[8], 8 keys, 8 values (16-byte strings each) and an overflow pointer.
_BUCKET = 8 + 8 * 16 + 8 * 16 + 8
_EMPTY_OR_EVACUATED = 5  # tophash < 5: empty or evacuated


def _classic_map_labels(mem: AddressSpace, hmap: int) -> dict[str, str]:
    count = mem.u64(hmap)
    b = mem.u8(hmap + 9)
    buckets, oldbuckets = mem.ptr(hmap + 16), mem.ptr(hmap + 24)
    out: dict[str, str] = {}
    for base, nb in ((buckets, 1 << b), (oldbuckets, 1 << max(b - 1, 0))):
        if base == 0:
            continue
        for i in range(min(nb, _MAX_LABELS)):
            bucket = base + i * _BUCKET
            seen = 0
            while bucket and seen < 64 and len(out) < count:
                tophash = mem.read(bucket, 8)
                for slot in range(8):
                    if tophash[slot] >= _EMPTY_OR_EVACUATED:
                        key = mem.go_string(bucket + 8 + slot * 16)
                        out[key] = mem.go_string(bucket + 8 + 128 + slot * 16)
                bucket = mem.ptr(bucket + _BUCKET - 8)
                seen += 1
    return out
