"""Goroutines as DAP threads: order and names."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dapcore.engine import Engine, Goroutine


def ordered(engine: Engine, hide_system: bool) -> list[Goroutine]:
    """Every goroutine, the crashing one first, then by goroutine id."""
    gs = [g for g in engine.goroutines if not (hide_system and g.system and not g.crashed)]
    return sorted(gs, key=lambda g: (not g.crashed, g.goid))


def thread_name(engine: Engine, g: Goroutine) -> str:
    """``[Go 7] main.worker · chan receive`` (+ ``· thread 1234`` and the crash mark)."""
    fn = engine.goroutine_name(g)  # the same name the CLI shows
    parts = [f"[Go {g.goid}] {fn or '?'}", g.status_text]
    if g.locked_to_thread:
        parts.append("locked to thread")
    if g.thread:
        parts.append(f"thread {g.thread}")
    name = " · ".join(parts)
    return f"{name} · ⚡ crashed" if g.crashed else name
