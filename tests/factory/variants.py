"""Build variants: how a zoo binary is compiled."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    flags: tuple[str, ...]
    cgo: bool  # CGO_ENABLED
    dwarf: bool  # does the binary keep DWARF?
    description: str


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("default", (), True, True, "optimized, DWARF, cgo enabled (Go's default)"),
        Variant("noopt", ("-gcflags=all=-N -l",), True, True, "optimizations and inlining off"),
        Variant("pie", ("-buildmode=pie",), True, True, "position-independent executable"),
        Variant("trimpath", ("-trimpath",), True, True, "file paths without local prefixes"),
        Variant("stripped", ("-ldflags=-s -w",), True, False, "no symbol table, no DWARF"),
        Variant("static", (), False, True, "CGO_ENABLED=0, statically linked"),
    )
}
