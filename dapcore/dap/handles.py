"""Tables that give engine objects the small integer ids DAP asks for
(threadId, frameId, variablesReference, sourceReference): stable for the
session, unique, and within int32."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

INT32_MAX = 2**31 - 1


class HandleTable(Generic[K]):
    """Maps keys to ids 1, 2, 3 … (the same key always gets the same id)."""

    def __init__(self) -> None:
        self._ids: dict[K, int] = {}
        self._keys: list[K] = []

    def id_of(self, key: K) -> int:
        hid = self._ids.get(key)
        if hid is None:
            if len(self._keys) >= INT32_MAX:
                raise OverflowError("too many handles for one session")
            self._keys.append(key)
            hid = self._ids[key] = len(self._keys)
        return hid

    def key_of(self, hid: int) -> K | None:
        if 1 <= hid <= len(self._keys):
            return self._keys[hid - 1]
        return None


class GoroutineIds:
    """Thread ids for goroutines: the goroutine id itself wherever it fits
    the protocol's int32 (Delve's convention: stable between sessions and the
    number the runtime's traceback, the console and ``dapcore bt -g`` use);
    the rare id beyond int32 gets a free number counted down from the top."""

    def __init__(self) -> None:
        self._big: dict[int, int] = {}  # goid > INT32_MAX → thread id
        self._big_keys: dict[int, int] = {}
        self._next = INT32_MAX

    def id_of(self, goid: int) -> int:
        if 0 < goid <= INT32_MAX and goid not in self._big_keys:
            return goid
        tid = self._big.get(goid)
        if tid is None:
            while self._next in self._big_keys:
                self._next -= 1
            tid = self._big[goid] = self._next
            self._big_keys[tid] = goid
            self._next -= 1
        return tid

    def key_of(self, tid: int) -> int | None:
        if tid in self._big_keys:
            return self._big_keys[tid]
        if 0 < tid <= INT32_MAX:
            return tid
        return None
