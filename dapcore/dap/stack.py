"""Which frames a goroutine's stack shows, and which are the runtime's."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dapcore.engine import Engine, Frame, Goroutine


class Shown(NamedTuple):
    """One entry of the stack as DAP shows it: a real frame, or the label that
    stands for the crash handler's frames folded away."""

    index: int  # position in the engine's frame list (of the first folded one for a label)
    frame: Frame | None
    folded: tuple[Frame, ...] = ()

    def label(self, engine: Engine) -> str:
        n = len(self.folded)
        first = engine.print_name(self.folded[0].function)
        last = engine.print_name(self.folded[-1].function)
        span = first if n == 1 else f"{first} … {last}"
        return f"[{n} crash-handling runtime frame{'s' if n != 1 else ''}: {span}]"


def shown_frames(report: Engine, g: Goroutine, show_all: bool) -> list[Shown]:
    """The goroutine's frames, innermost first. Frames above the point where
    the runtime's own traceback of this goroutine begins (signal delivery,
    ``crash``, ``raise``, ``fatalpanic`` …) are folded into one label entry
    unless ``show_all``."""
    frames = report.stack(g).frames
    if show_all or not frames:
        return [Shown(i, f) for i, f in enumerate(frames)]
    printed = report.printed_frames(g)
    skip = len(frames) - len(printed)
    # C frames (a crash in cgo code) and the runtime's frames between them
    # and the goroutine's own are shown: only the handler's are folded.
    first_c = next((i for i, f in enumerate(frames[:skip]) if f.c_object is not None), skip)
    skip = min(skip, first_c)
    out: list[Shown] = []
    if skip > 0:
        out.append(Shown(0, None, tuple(frames[:skip])))
    out.extend(Shown(i, frames[i]) for i in range(skip, len(frames)))
    return out


def is_runtime(engine: Engine, function: str, main_module: str | None) -> bool:
    """True for the Go runtime, the standard library and compiler-made
    functions: frames the user did not write, shown de-emphasised (the
    engine's rule, :func:`dapcore.goruntime.userframe.is_user_function`)."""
    return not engine.is_user_function(function, main_module)
