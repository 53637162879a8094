"""Build variants: how a zoo binary is compiled (and, for the separate
debug info variants, split after linking)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    flags: tuple[str, ...]
    cgo: bool  # CGO_ENABLED
    dwarf: bool  # does the binary keep DWARF?
    description: str
    # Separate debug info (issue #15): how the linked binary is split into a
    # stripped executable and a debug file (tests/factory/debugsplit.py):
    # "debuglink" or "buildid"; None: not split.
    split: str | None = None


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("default", (), True, True, "optimized, DWARF, cgo enabled (Go's default)"),
        Variant("noopt", ("-gcflags=all=-N -l",), True, True, "optimizations and inlining off"),
        Variant("pie", ("-buildmode=pie",), True, True, "position-independent executable"),
        Variant("trimpath", ("-trimpath",), True, True, "file paths without local prefixes"),
        Variant("stripped", ("-ldflags=-s -w",), True, False, "no symbol table, no DWARF"),
        Variant("static", (), False, True, "CGO_ENABLED=0, statically linked"),
        Variant("debuglink", (), True, False,
                "objcopy --only-keep-debug into zoo.debug, then --strip-debug "
                "--add-gnu-debuglink (symbol table kept, debug file next to it)",
                split="debuglink"),
        Variant("buildid", ("-ldflags=-B gobuildid",), True, False,
                "linked with a GNU build id, objcopy --only-keep-debug into a "
                ".build-id tree, then --strip-all (no symbol table)", split="buildid"),
    )
}

# The separate debug info variants are not in the standard matrix: only these
# releases and scenarios are built (a few fixtures; tests/test_debug_info.py),
# on both architectures (arm64's under qemu, split with the aarch64 objcopy).
SPLIT_RELEASES: tuple[str, ...] = ("1.23", "1.27")
SPLIT_SCENARIOS: dict[str, tuple[str, ...]] = {
    "debuglink": ("nilmap", "goroutinepanic", "values"),
    "buildid": ("nilptr", "values"),
}
