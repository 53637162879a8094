"""Goroutine status values and wait reasons (per-version fallbacks)."""

from __future__ import annotations

G_SCAN = 0x1000
G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING = 0, 1, 2, 3, 4
G_DEAD = 6
G_COPYSTACK = 8
G_PREEMPTED = 9
G_LEAKED = 10  # Go 1.26+
G_DEADEXTRA = 11  # Go 1.26+: a dead g kept for a cgo callback thread

# The runtime's gStatusStrings (the names it prints in goroutine headers).
STATUS_NAMES = {
    0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting", 5: "moribund",
    6: "dead", 7: "enqueue", 8: "copystack", 9: "preempted", 10: "leaked",
    11: "waiting for cgo callback",
}


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status & ~G_SCAN, "???")


# Records of goroutines that exited (kept on allgs for reuse).
DEAD_STATUSES = frozenset({G_DEAD, G_DEADEXTRA})


def is_dead(status: int) -> bool:
    return status & ~G_SCAN in DEAD_STATUSES
