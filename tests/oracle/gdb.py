"""gdb's backtraces of a core (``thread apply all bt``), the oracle of C
frames: gdb unwinds C with the same CFI and names frames from the same
symbols and DWARF, independently of dapcore.

Only what the tests compare is kept: per thread (by LWP), each frame's PC
(None where gdb prints none: the innermost frame, a frame a signal
interrupted, an inlined frame at its caller's PC), function, file and line,
and where gdb says ``<signal handler called>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["GdbFrame", "GdbThread", "parse_gdb_threads"]

_THREAD = re.compile(r"^Thread \d+ \(.*\(LWP (\d+)\)\)")
_FRAME = re.compile(r"^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(.*?\)(?: at (\S+):(\d+))?"
                    r"(?: from (\S+))?\s*$")
_SIGNAL = re.compile(r"^#(\d+)\s+<signal handler called>")


@dataclass(frozen=True, slots=True)
class GdbFrame:
    pc: int | None
    function: str  # "??" when gdb cannot name it
    file: str | None
    line: int | None
    signal: bool = False  # the "<signal handler called>" marker


@dataclass(slots=True)
class GdbThread:
    lwp: int
    frames: list[GdbFrame] = field(default_factory=list)

    def after_last_signal(self) -> list[GdbFrame]:
        """The frames below the last signal frame (what the signal interrupted)."""
        marks = [i for i, f in enumerate(self.frames) if f.signal]
        return self.frames[marks[-1] + 1:] if marks else list(self.frames)


def parse_gdb_threads(text: str) -> dict[int, GdbThread]:
    """Threads by LWP from ``thread apply all bt`` output."""
    threads: dict[int, GdbThread] = {}
    current: GdbThread | None = None
    for line in text.splitlines():
        m = _THREAD.match(line)
        if m:
            current = threads.setdefault(int(m.group(1)), GdbThread(int(m.group(1))))
            continue
        if current is None:
            continue
        if _SIGNAL.match(line):
            current.frames.append(GdbFrame(None, "<signal handler called>", None, None, True))
            continue
        m = _FRAME.match(line)
        if m:
            pc = int(m.group(2), 16) if m.group(2) else None
            current.frames.append(GdbFrame(pc, m.group(3), m.group(4),
                                           int(m.group(5)) if m.group(5) else None))
    return threads
