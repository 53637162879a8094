"""Goroutines, stacks and the crash, assembled for the CLI (text and JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dapcore.errors import DapcoreError
from dapcore.go.crash import Crash, analyse, read_panics
from dapcore.go.goroutines import Goroutine
from dapcore.go.process import Process
from dapcore.go.traceback import (
    created_by,
    format_frame,
    header,
    print_name,
    printed_frames,
    start_function,
)
from dapcore.go.unwind import Stack, Unwinder


@dataclass
class Report:
    proc: Process
    _stacks: dict[int, Stack] = field(default_factory=dict)

    @classmethod
    def open(cls, binary: str | Path, core: str | Path) -> Report:
        return cls(Process(binary, core))

    @cached_property
    def unwinder(self) -> Unwinder:
        return Unwinder(self.proc)

    @cached_property
    def crash(self) -> Crash:
        return analyse(self.proc)

    def stack(self, g: Goroutine) -> Stack:
        st = self._stacks.get(g.goid)
        if st is None:
            st = self._stacks[g.goid] = self.unwinder.goroutine_stack(g)
        return st

    def default_goid(self) -> int:
        g = self.proc.crashed_goroutine
        if g is not None:
            return g.goid
        return self.proc.goroutines[0].goid

    @cached_property
    def _by_goid(self) -> dict[int, Goroutine]:
        """Goroutines by id (the first one, as ``Process.goroutine`` finds it):
        ``bt -a`` looks every goroutine up."""
        out: dict[int, Goroutine] = {}
        for g in self.proc.goroutines:
            out.setdefault(g.goid, g)
        return out

    def _g(self, goid: int) -> Goroutine:
        g = self._by_goid.get(goid)
        if g is None:
            raise DapcoreError(f"no goroutine {goid} in the core")
        return g

    # -- JSON ----------------------------------------------------------------

    def goroutine_json(self, g: Goroutine, frames: bool = True) -> dict[str, Any]:
        cb = created_by(self.proc, g)
        out: dict[str, Any] = {
            "id": g.goid,
            "status": g.status_text,
            "waitReason": g.wait_reason if g.status == 4 else None,
            "thread": g.thread,
            "crashed": g.crashed,
            "system": g.system,
            "lockedToThread": g.locked_to_thread,
            "labels": g.labels,
            "startFunction": start_function(self.proc, g),
            "createdBy": None if cb is None else {
                "function": cb.function, "file": cb.file, "line": cb.line,
                "goroutine": cb.goroutine},
        }
        if g.panic_ptr:
            out["panics"] = [p.message for p in read_panics(self.proc, g.panic_ptr)]
        if frames:
            st = self.stack(g)
            out["frames"] = [
                {"function": f.function, "file": f.file, "line": f.line, "pc": f.pc, "sp": f.sp,
                 "inlined": f.inlined}
                for f in st.frames
            ]
            if st.error:
                out["stackError"] = st.error
        return out

    def goroutines_json(self, frames: bool = True, ids: list[int] | None = None) -> dict[str, Any]:
        gs = self.proc.goroutines if ids is None else [self._g(i) for i in ids]
        return {"goroutines": [self.goroutine_json(g, frames) for g in gs],
                "crash": self.crash_json()["crash"]}

    def crash_json(self) -> dict[str, Any]:
        c = self.crash
        sig = c.signal or c.fatal_signal
        return {"crash": {"kind": c.kind, "message": c.header(),
                          "signal": sig.name if sig else None, "goroutine": c.goroutine}}

    # -- text ----------------------------------------------------------------

    def goroutines_text(self) -> str:
        lines = []
        for g in self.proc.goroutines:
            # Only the top frame is needed: a stack not unwound yet is not
            # kept (100,000 goroutines' frames would be hundreds of MB).
            st = self._stacks.get(g.goid) or self.unwinder.goroutine_stack(g)
            top = next((f for f in st.frames if f.stack == "goroutine"
                        and not f.function.startswith("runtime.")), None)
            where = f"{top.file}:{top.line} {top.function}" if top else ""
            mark = "*" if g.crashed else " "
            thread = f" (thread {g.thread})" if g.thread else ""
            lines.append(f"{mark} Goroutine {g.goid} [{g.status_text}] {where}{thread}")
        lines.append(f"[{len(self.proc.goroutines)} goroutines]")
        return "\n".join(lines)

    def bt_text(self, ids: list[int]) -> str:
        out = []
        for goid in ids:
            g = self._g(goid)
            out.append(header(g))
            st = self.stack(g)
            for i, f in enumerate(st.frames):
                name = print_name(f.function)
                out.append(f"{i:3d}  {f.pc:#018x} in {name}{' (inlined)' if f.inlined else ''}")
                out.append(f"     at {f.file}:{f.line}")
            if st.error:
                out.append(f"     ({st.error})")
            out.append("")
        return "\n".join(out)

    def crash_text(self) -> str:
        c = self.crash
        out = [c.header(), ""]
        g = self.proc.crashed_goroutine
        if g is not None:
            out.append(header(g))
            for f in printed_frames(self.stack(g).frames, c, True):
                out.append(format_frame(f))
        return "\n".join(out)
