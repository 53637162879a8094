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

    def __len__(self) -> int:
        return len(self._keys)
