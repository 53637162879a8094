"""Channels from a core (``runtime/chan.go`` ``hchan``): length, capacity,
closed, the queued elements in receive order (starting at ``recvx`` in the
ring buffer), and how many goroutines wait to send or receive."""

from __future__ import annotations

from typing import NamedTuple

from dapcore.govalues.paths import operand
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["ChanState", "chan_children", "chan_state"]

# The types of the synthesized children (len, cap, closed, waiter counts)
# when the DWARF lacks them (GoTypes.by_name finds them in every release).
_INT = GoType(-1, "int", "int", 8)
_BOOL = GoType(-2, "bool", "bool", 1)


def _basic(v: Value, name: str, fallback: GoType) -> GoType:
    t = v.ctx.types.by_name(name)
    return t if t is not None and t.kind == name else fallback


class ChanState(NamedTuple):
    addr: int
    qcount: int
    dataqsiz: int
    buf: int
    elemsize: int
    closed: bool
    recvx: int
    sendx: int
    senders: int
    receivers: int


def _waiters(v: Value, q: int, qt: object) -> int:
    mem = v.ctx.mem
    n = 0
    p = mem.ptr(q)  # waitq.first
    seen: set[int] = set()
    sudog = qt.field("first")
    next_off = 0
    if sudog is not None and sudog.type.elem is not None:
        f = sudog.type.elem.field("next")
        next_off = f.offset if f is not None else 0
    while p and p not in seen and n < 100000:
        seen.add(p)
        n += 1
        p = mem.ptr(p + next_off)
    return n


def chan_state(v: Value, waiters: bool = True) -> ChanState | None:
    """The channel's header (None for a nil channel); ``waiters=False``:
    without walking its wait queues (``senders``/``receivers`` 0), which
    holds a node per blocked goroutine: a one-line summary does not show
    them, and a channel a million goroutines wait on takes 0.5 s to walk."""
    p = v.word(0)
    t = v.type
    rep = t.representation if t is not None else None
    if not p or rep is None:
        return None
    raw = v.ctx.mem.read(p, rep.size)

    def get(name: str) -> int:
        f = rep.field(name)
        if f is None:
            raise KeyError(f"hchan has no field {name}")
        return int.from_bytes(raw[f.offset:f.offset + f.type.size], "little")

    counts = [0, 0]
    for i, qn in enumerate(("sendq", "recvq") if waiters else ()):
        f = rep.field(qn)
        counts[i] = _waiters(v, p + f.offset, f.type) if f is not None else 0
    return ChanState(p, get("qcount"), get("dataqsiz"), get("buf"), get("elemsize"),
                     bool(get("closed")), get("recvx"), get("sendx"), counts[0], counts[1])


def queued(v: Value, st: ChanState) -> list[Value]:
    """The buffered elements, in the order they will be received."""
    elem = v.type.elem if v.type is not None else None
    out: list[Value] = []
    if elem is None or not st.dataqsiz:
        return out
    n = min(st.qcount, st.dataqsiz, v.ctx.config.max_array_values)
    for i in range(n):
        slot = (st.recvx + i) % st.dataqsiz
        out.append(Value(v.ctx, f"[{i}]", elem, addr=st.buf + slot * elem.size,
                     path=f"{operand(v.path)}[{i}]", visited=v.visited))
    return out


def chan_children(v: Value) -> list[Value]:
    """The queued elements, then the channel's state: len, cap, closed and
    the waiting senders and receivers."""
    st = chan_state(v)
    if st is None:
        return []
    out = queued(v, st)
    intt, boolt = _basic(v, "int", _INT), _basic(v, "bool", _BOOL)
    for name, val, t in (("len", st.qcount, intt), ("cap", st.dataqsiz, intt),
                         ("closed", int(st.closed), boolt),
                         ("waiting senders", st.senders, intt),
                         ("waiting receivers", st.receivers, intt)):
        e = f"{name}({v.expression})" if name in ("len", "cap") and v.expression else None
        out.append(Value(v.ctx, name, t, data=val.to_bytes(8, "little")[:t.size],
                     path=f"len({v.path})" if name == "len" else
                     f"cap({v.path})" if name == "cap" else v.path, expression=e))
    return out
