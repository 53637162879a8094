"""What the front ends print: the command line's text and JSON (values
too: ``dapcore locals``, ``dapcore print``), and the texts the DAP debug
console shows (``goroutines``, ``bt``, ``crash``).

Every function takes an :class:`dapcore.engine.Engine` and reads the core
through it only (this module imports no engine code, so the DAP server can
import it before a core is open).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dapcore.cancellation import check as check_cancelled
from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    from dapcore.engine import Engine, Frame, Goroutine
    from dapcore.govalues.values import Value

__all__ = ["bt_text", "crash_json", "crash_text", "frame_line", "goroutine_json",
           "goroutines_json", "goroutines_text", "locals_output", "print_output",
           "traceback_text", "value_json"]


# -- JSON ----------------------------------------------------------------------


def goroutine_json(engine: Engine, g: Goroutine, frames: bool = True) -> dict[str, Any]:
    cb = engine.created_by(g)
    out: dict[str, Any] = {
        "id": g.goid,
        "status": g.status_text,
        "waitReason": g.wait_reason if g.status == 4 else None,
        "thread": g.thread,
        "crashed": g.crashed,
        "system": g.system,
        "lockedToThread": g.locked_to_thread,
        "labels": g.labels,
        "startFunction": engine.goroutine_name(g),
        "createdBy": None if cb is None else {
            "function": cb.function, "file": cb.file, "line": cb.line,
            "goroutine": cb.goroutine},
    }
    if g.panic_ptr:
        out["panics"] = engine.panic_messages(g)
    if frames:
        st = engine.stack(g)
        out["frames"] = [_frame_json(f) for f in st.frames]
        if st.error:
            out["stackError"] = st.error
        if st.notes:
            out["stackNotes"] = list(st.notes)
    return out


def _frame_json(f: Frame) -> dict[str, Any]:
    out: dict[str, Any] = {"function": f.function, "file": f.file, "line": f.line, "pc": f.pc,
                           "sp": f.sp, "inlined": f.inlined}
    if f.c_object is not None:  # C code (cgo): which ELF object holds it
        out["language"] = "c"
        out["object"] = f.c_object
    return out


def goroutines_json(engine: Engine, frames: bool = True, ids: list[int] | None = None
                    ) -> dict[str, Any]:
    gs = engine.each_goroutine() if ids is None else (engine.goroutine(i) for i in ids)
    return {"goroutines": [goroutine_json(engine, g, frames) for g in gs],
            "crash": crash_json(engine)["crash"]}


def crash_json(engine: Engine) -> dict[str, Any]:
    c = engine.crash
    sig = c.signal or c.fatal_signal
    return {"crash": {"kind": c.kind, "message": c.header(),
                      "signal": sig.name if sig else None, "goroutine": c.goroutine}}


# -- text ----------------------------------------------------------------------


def goroutines_text(engine: Engine) -> str:
    """One line per goroutine: ``Goroutine 6 [chan receive] main.worker
    at FILE:LINE`` — its name (the function its ``go`` statement named),
    then where it is: its top user frame (``in FUNCTION`` when that is
    another function), for a goroutine without one (the runtime's) the
    frame of its own function."""
    module = engine.main_module
    lines = []
    n = 0
    for n, g in enumerate(engine.each_goroutine(), 1):
        if not n & 1023:
            check_cancelled()  # the DAP console's 'goroutines' on a big core
            if not n & 0x3FFF:
                engine.release_pages()  # (the stacks read so far are not kept)
        # Only the top frame is needed: a stack not unwound yet is not kept.
        st = engine.stack(g, keep=False)
        name = engine.goroutine_name(g)
        parts = [f"{'*' if g.crashed else ' '} Goroutine {g.goid} [{g.status_text}]",
                 name or "?"]
        where = _where(engine, st.frames, name, module)
        if where is not None:
            if where.function != name:
                parts.append(f"in {engine.print_name(where.function)}")
            parts.append(f"at {where.file}:{where.line}")
        if g.thread:
            parts.append(f"(thread {g.thread})")
        if g.system:
            parts.append("(system)")
        lines.append(" ".join(parts))
    lines.append(f"[{n} goroutines]")
    return "\n".join(lines)


def _where(engine: Engine, frames: list[Frame], name: str | None, module: str | None
           ) -> Frame | None:
    """The frame ``dapcore goroutines`` locates a goroutine by: its top user
    frame, else the frame of the function it was started for, else its
    first own frame."""
    i = engine.top_user_frame(frames, module)
    if i is not None:
        return frames[i]
    own = [f for f in frames if f.stack == "goroutine"]
    return next((f for f in own if f.function == name), own[0] if own else None)


def frame_line(engine: Engine, goid: int, index: int) -> str:
    """``frame 3: main.store at /x/main.go:81`` (as ``bt`` numbers frames)."""
    frames = engine.stack(engine.goroutine(goid)).frames
    if not 0 <= index < len(frames):
        return f"frame {index}"
    f = frames[index]
    inl = " (inlined)" if f.inlined else ""
    if f.c_object is not None:
        inl = f" [C, {f.c_object}]"
    where = f"{f.file}:{f.line}" if f.file and f.file != "?" else f"{f.pc:#x}"
    name = f.function if f.c_object is not None else engine.print_name(f.function)
    return f"frame {index}: {name}{inl} at {where}"


def bt_text(engine: Engine, ids: list[int]) -> str:
    """The stacks of goroutines ``ids``, every frame numbered (``dapcore bt``)."""
    out = []
    for goid in ids:
        check_cancelled()
        g = engine.goroutine(goid)
        out.append(engine.traceback_header(g))
        st = engine.stack(g)
        for i, f in enumerate(st.frames):
            if f.c_object is not None:  # C code: "in zoo_write [C, zoocgo]"
                out.append(f"{i:3d}  {f.pc:#018x} in {f.function} [C, {f.c_object}]")
                out.append(f"     at {f.file}:{f.line}" if f.file else
                           "     at ? (no line information)")
                continue
            name = engine.print_name(f.function)
            out.append(f"{i:3d}  {f.pc:#018x} in {name}{' (inlined)' if f.inlined else ''}")
            out.append(f"     at {f.file}:{f.line}")
        for note in st.notes:
            out.append(f"     (C frames: {note})")
        if st.error:
            out.append(f"     ({st.error})")
        out.append("")
    return "\n".join(out)


def crash_text(engine: Engine) -> str:
    """The crash header and the crashing goroutine's traceback, as the
    runtime printed them."""
    c = engine.crash
    out = [c.header(), ""]
    g = engine.crashed_goroutine
    if g is not None:
        out.append(engine.traceback_header(g))
        for f in engine.printed_frames(g):
            out.append(engine.traceback_frame(f))
    return "\n".join(out)


def traceback_text(engine: Engine, g: Goroutine) -> str:
    """The goroutine's stack as the runtime printed it in the crash."""
    out = [engine.traceback_header(g)]
    out.extend(engine.traceback_frame(f) for f in engine.printed_frames(g))
    cb = engine.created_by(g)
    if cb is not None:
        where = f" in goroutine {cb.goroutine}" if cb.goroutine else ""
        out.append(f"created by {cb.function}{where}\n\t{cb.file}:{cb.line} +{cb.offset:#x}")
    return "\n".join(out)


# -- values --------------------------------------------------------------------


def value_json(v: Value, kind: str | None = None, depth: int = 1) -> dict[str, Any]:
    """``{name, kind?, type, value, children?}``; children one level deep."""
    # The value model loads on the first value shown (the goroutine and
    # stack commands do not pay for it).
    from dapcore.govalues.children import child_count, children
    from dapcore.govalues.summary import text_of

    out: dict[str, Any] = {"name": v.name}
    if kind is not None:
        out["kind"] = kind
    out["type"] = v.type_name
    out["value"] = text_of(v)
    if depth > 0 and v.error is None and child_count(v):
        out["children"] = [value_json(c, None, depth - 1)
                           for c in children(v, 0, v.ctx.config.max_array_values)]
    return out


def locals_output(engine: Engine, goid: int, index: int, as_json: bool) -> Any:
    """``dapcore locals``: the parameters and locals of frame ``index`` of
    goroutine ``goid``, as ``name = value`` lines or JSON data."""
    from dapcore.govalues.summary import text_of  # see value_json

    values = engine.frame_values(goid, index)
    if as_json:
        return [value_json(v, kind) for kind, v in values]
    return "\n".join(f"{v.name} = {text_of(v)}" for _, v in values) or "(no locals)"


def print_output(engine: Engine, goid: int, index: int, text: str, as_json: bool) -> Any:
    """``dapcore print``: an expression's value in a frame, as text or JSON
    data; a syntax error names the column."""
    from dapcore.govalues.summary import text_of  # see value_json

    try:
        v = engine.evaluate(goid, index, text)
    except DapcoreError as exc:
        caret = getattr(exc, "caret", None)  # a syntax error (goexpr's ParseError)
        if caret is None:
            raise
        raise DapcoreError(f"{exc}\n{caret(text)}") from None
    return value_json(v) if as_json else text_of(v)
