"""Types shown specially: ``time.Time`` (``time/time.go``: wall/ext/loc,
hasMonotonic, the year-1885 epoch of the wall seconds) and
``sync.Mutex`` (``sync/mutex.go`` state bits)."""

from __future__ import annotations

from typing import NamedTuple

from dapcore.govalues.composite import elements, fields
from dapcore.govalues.values import Value

__all__ = ["GoTime", "decode_time", "mutex_text", "time_text"]

_HAS_MONOTONIC = 1 << 63
_NSEC_MASK = (1 << 30) - 1
_NSEC_SHIFT = 30
_SECS_PER_DAY = 86400


def _days(y: int) -> int:
    return y * 365 + y // 4 - y // 100 + y // 400


_WALL_TO_INTERNAL = _days(1884) * _SECS_PER_DAY
_UNIX_TO_INTERNAL = _days(1969) * _SECS_PER_DAY


class GoTime(NamedTuple):
    unix_sec: int
    nsec: int
    monotonic: bool
    location: str  # Location.String()
    zone: str  # abbreviation at that instant
    offset: int  # seconds east of UTC

    @property
    def unix_nano(self) -> int:
        return self.unix_sec * 1_000_000_000 + self.nsec

    def _local(self) -> tuple[int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second) at the zone's offset: any
        instant a Go ``time.Time`` can hold (Python's ``datetime`` stops at
        year 9999)."""
        days, sec = divmod(self.unix_sec + self.offset, _SECS_PER_DAY)
        return (*_civil(days), sec // 3600, sec // 60 % 60, sec % 60)

    def _date_time(self, sep: str) -> str:
        y, mo, d, h, mi, s = self._local()
        year = f"-{-y:04d}" if y < 0 else f"{y:04d}"  # as Go's Format writes "2006"
        return f"{year}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}"

    def _offset_text(self, colon: bool) -> str:
        sign = "-" if self.offset < 0 else "+"
        o = abs(self.offset)
        return f"{sign}{o // 3600:02d}{':' if colon else ''}{o // 60 % 60:02d}"

    def rfc3339nano(self) -> str:
        frac = f".{self.nsec:09d}".rstrip("0") if self.nsec else ""
        z = "Z" if self.offset == 0 else self._offset_text(True)
        return f"{self._date_time('T')}{frac}{z}"

    def string(self) -> str:
        """``Time.String()`` without the monotonic reading."""
        frac = f".{self.nsec:09d}".rstrip("0") if self.nsec else ""
        return f"{self._date_time(' ')}{frac} {self._offset_text(False)} {self.zone}"


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) in the proleptic Gregorian calendar of the day
    ``days`` after 1970-01-01 (negative: before), for any year: counted in
    400-year eras of 146,097 days, years starting in March so that the leap
    day ends them."""
    days += 719_468  # from 0000-03-01
    era, doe = divmod(days, 146_097)
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return era * 400 + yoe + (month <= 2), month, day


def _field(v: Value, name: str) -> Value:
    for c in fields(v):
        if c.name == name:
            return c
    raise KeyError(f"{v.type_name} has no field {name}")


def _zone_at(v: Value, loc: int, sec: int) -> tuple[str, str, int]:
    """(Location.String(), zone name, offset) of the Location at ``loc``."""
    ctx = v.ctx
    lt = ctx.types.by_name("time.Location")
    if lt is None:
        return "?", "?", 0
    lv = Value(ctx, "loc", lt, addr=loc)
    name_b, _ = _field(lv, "name").string_bytes(256)
    name = name_b.decode("utf-8", "replace")
    try:
        cz = _field(lv, "cacheZone").word(0)
        start = _field(lv, "cacheStart").number()
        end = _field(lv, "cacheEnd").number()
        assert isinstance(start, int) and isinstance(end, int)
        zone_addr = 0
        if cz and start <= sec < end:
            zone_addr = cz
        else:
            zones = _field(lv, "zone")
            zptr, zn, _ = zones.slice_header()
            tx = _field(lv, "tx")
            txs = elements(tx, 0, 100000)
            idx = 0
            for t in txs:
                when = _field(t, "when").number()
                assert isinstance(when, int)
                if when > sec:
                    break
                i = _field(t, "index").number()
                assert isinstance(i, int)
                idx = i
            zt = zones.type.elem if zones.type is not None else None
            if zn and zt is not None:
                zone_addr = zptr + min(idx, zn - 1) * zt.size
        if zone_addr:
            zt = ctx.types.by_name("time.zone")
            assert zt is not None
            zv = Value(ctx, "zone", zt, addr=zone_addr)
            zname, _ = _field(zv, "name").string_bytes(64)
            off = _field(zv, "offset").number()
            assert isinstance(off, int)
            return name, zname.decode("utf-8", "replace"), off
    except KeyError:
        pass
    return name, "UTC", 0


def decode_time(v: Value) -> GoTime:
    wall = _field(v, "wall").number()
    ext = _field(v, "ext").number()
    loc = _field(v, "loc").word(0)
    assert isinstance(wall, int) and isinstance(ext, int)
    mono = bool(wall & _HAS_MONOTONIC)
    if mono:
        sec = _WALL_TO_INTERNAL + ((wall >> _NSEC_SHIFT) & ((1 << 33) - 1))
    else:
        sec = ext
    unix = sec - _UNIX_TO_INTERNAL
    nsec = wall & _NSEC_MASK
    if not loc:
        return GoTime(unix, nsec, mono, "UTC", "UTC", 0)
    name, zone, off = _zone_at(v, loc, unix)
    return GoTime(unix, nsec, mono, name, zone, off)


def time_text(v: Value) -> str:
    return decode_time(v).string()


def mutex_state(v: Value) -> int | None:
    """The ``state`` word of a sync.Mutex (directly or in its ``mu``)."""
    for c in fields(v):
        if c.name == "state" and c.kind == "int32":
            n = c.number()
            assert isinstance(n, int)
            return n
        if c.kind == "struct":
            s = mutex_state(c)
            if s is not None:
                return s
    return None


def mutex_text(v: Value) -> str:
    s = mutex_state(v)
    if s is None:
        return "sync.Mutex {?}"
    parts = ["locked" if s & 1 else "unlocked"]
    if s & 2:
        parts.append("woken")
    if s & 4:
        parts.append("starving")
    if s >> 3:
        parts.append(f"waiters: {s >> 3}")
    return "sync.Mutex {" + ", ".join(parts) + "}"
