"""Goroutines, stacks and the crash, assembled for the CLI (text and JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dapcore.cancellation import check as check_cancelled
from dapcore.errors import CoreFormatError, DapcoreError
from dapcore.goruntime.checks import StackFindings
from dapcore.goruntime.crash import Crash, analyse, read_panics
from dapcore.goruntime.goroutines import Goroutine
from dapcore.goruntime.process import Process
from dapcore.goruntime.traceback import (
    created_by,
    format_frame,
    goroutine_name,
    header,
    print_name,
    printed_frames,
)
from dapcore.goruntime.unwind import Frame, Stack, Unwinder
from dapcore.goruntime.userframe import landing_frame, main_module, top_user_frame


@dataclass
class Engine:
    proc: Process
    _stacks: dict[int, Stack] = field(default_factory=dict)

    @classmethod
    def open(cls, binary: str | Path, core: str | Path) -> Engine:
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
            st = self._stacks[g.goid] = self._unwind(g)
        return st

    def _unwind(self, g: Goroutine) -> Stack:
        """``g``'s stack, checked: every goroutine's stack ends in
        ``runtime.goexit``; one that does not was read from damaged memory
        (said once in ``proc.warnings``, naming the goroutines)."""
        st = self.unwinder.goroutine_stack(g)
        frames = st.frames
        if st.error or not frames or frames[-1].func_kind != "goexit":
            why = st.error or (f"ends in {frames[-1].function}" if frames else "no frame")
            self._stack_findings.note(self.proc.warnings, f"goroutine {g.goid}: {why}")
        if st.suspect_pc is not None:
            name = next((f.function for f in frames if f.pc == st.suspect_pc and not f.inlined),
                        "?")
            self._call_findings.note(self.proc.warnings, f"goroutine {g.goid}: {name} at "
                                     f"{st.suspect_pc:#x}")
        return st

    @cached_property
    def _stack_findings(self) -> StackFindings:
        return StackFindings()

    @cached_property
    def _call_findings(self) -> StackFindings:
        return StackFindings("goroutine stacks with a return address that does not follow a "
                             "call")

    def default_goid(self) -> int:
        g = self.proc.crashed_goroutine
        if g is not None:
            return g.goid
        if not self.proc.goroutines:
            raise CoreFormatError(
                f"the core {self.proc.core.path} holds no goroutine (runtime.allgs is empty or "
                "unreadable): its memory is damaged")
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
            "startFunction": goroutine_name(self.proc, g),
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
        """One line per goroutine: ``Goroutine 6 [chan receive] main.worker
        at FILE:LINE`` — its name (the function its ``go`` statement named),
        then where it is: its top user frame (``in FUNCTION`` when that is
        another function), for a goroutine without one (the runtime's) the
        frame of its own function."""
        module = main_module(self.proc)
        lines = []
        for n, g in enumerate(self.proc.goroutines):
            if not n & 1023:
                check_cancelled()  # the DAP console's 'goroutines' on a big core
            # Only the top frame is needed: a stack not unwound yet is not
            # kept (100,000 goroutines' frames would be hundreds of MB).
            st = self._stacks.get(g.goid) or self._unwind(g)
            name = goroutine_name(self.proc, g)
            parts = [f"{'*' if g.crashed else ' '} Goroutine {g.goid} [{g.status_text}]",
                     name or "?"]
            where = _where(st.frames, name, module)
            if where is not None:
                if where.function != name:
                    parts.append(f"in {print_name(where.function)}")
                parts.append(f"at {where.file}:{where.line}")
            if g.thread:
                parts.append(f"(thread {g.thread})")
            if g.system:
                parts.append("(system)")
            lines.append(" ".join(parts))
        lines.append(f"[{len(self.proc.goroutines)} goroutines]")
        return "\n".join(lines)

    def landing_frame(self, goid: int) -> int:
        """The frame an editor lands on for goroutine ``goid``
        (:func:`dapcore.goruntime.userframe.landing_frame`)."""
        g = self._g(goid)
        return landing_frame(self.stack(g).frames, self.crash, g.crashed, main_module(self.proc))

    def frame_line(self, goid: int, index: int) -> str:
        """``frame 3: main.store at /x/main.go:81`` (as ``bt`` numbers frames)."""
        frames = self.stack(self._g(goid)).frames
        if not 0 <= index < len(frames):
            return f"frame {index}"
        f = frames[index]
        inl = " (inlined)" if f.inlined else ""
        where = f"{f.file}:{f.line}" if f.file and f.file != "?" else f"{f.pc:#x}"
        return f"frame {index}: {print_name(f.function)}{inl} at {where}"

    def bt_text(self, ids: list[int]) -> str:
        out = []
        for goid in ids:
            check_cancelled()
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


def _where(frames: list[Frame], name: str | None, module: str | None) -> Frame | None:
    """The frame ``dapcore goroutines`` locates a goroutine by: its top user
    frame, else the frame of the function it was started for, else its
    first own frame."""
    i = top_user_frame(frames, module)
    if i is not None:
        return frames[i]
    own = [f for f in frames if f.stack == "goroutine"]
    return next((f for f in own if f.function == name), own[0] if own else None)
