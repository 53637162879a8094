"""Values of a frame's variables, as DAP ``Variable`` objects."""

from __future__ import annotations

from typing import Any

from dapcore.go.goroutines import Goroutine
from dapcore.go.report import Report
from dapcore.go.unwind import Frame


def frame_locals(report: Report, goroutine: Goroutine, frame: Frame) -> list[dict[str, Any]]:
    """The arguments and locals of ``frame`` as DAP variables.

    Reading values from DWARF is delivered by issue 4; until it is wired in,
    every frame's Locals scope is empty.
    """
    return []
