"""The ``stackTrace`` response: DAP frames for a goroutine."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from dapcore.dap.modules import module_id
from dapcore.dap.stack import is_runtime, shown_frames

if TYPE_CHECKING:
    from dapcore.dap.state import State
    from dapcore.engine import Engine, Frame, Goroutine


def _source(session: State, rep: Engine, f: Frame) -> tuple[dict[str, Any] | None, int]:
    """The frame's source and line: the local file, else the disassembly of
    the function (a ``sourceReference``), else none."""
    line = f.line
    if not f.file or f.file == "?":
        return None, 0
    sources = session.source_map()
    local = sources.local(f.file)
    if local is not None:
        src: dict[str, Any] = {"name": os.path.basename(f.file), "path": local}
    else:
        entry = f.entry
        lst = session.listing(rep, entry)
        if lst is None:
            return None, 0
        src = {"name": f"{os.path.basename(f.file)} ({rep.print_name(f.function)} disassembly)",
               "sourceReference": session.listings.id_of(entry),
               "origin": f"{f.file} not found on this machine: disassembly"}
        line = lst.line_for(f.pc if f.trap else f.pc - 1)  # the call, not the return address
    if is_runtime(rep, f.function, sources.main_module):
        src["presentationHint"] = "deemphasize"
    return src, line


def _frame_name(rep: Engine, f: Frame) -> str:
    """``main.(*T).m``, ``f (inlined)``; C code as ``zoo_write [C]`` or,
    in a shared library, ``abort [C, libc.so.6]``."""
    if f.c_object is None:
        return rep.print_name(f.function) + (" (inlined)" if f.inlined else "")
    where = "" if f.c_object == os.path.basename(rep.executable_path) else f", {f.c_object}"
    return f"{f.function} [C{where}]"


def _short_path(path: str) -> str:
    """``/usr/lib/go/src/runtime/panic.go`` → ``runtime/panic.go``: the
    path under ``src/`` (the Go tree, GOPATH), else the last two parts; a
    relative (``-trimpath``) path as it is."""
    if not path.startswith("/"):
        return path  # -trimpath: already relative to its module or GOROOT/src
    parts = path.replace("\\", "/").split("/")
    if "src" in parts:
        i = len(parts) - 1 - parts[::-1].index("src")
        if i + 1 < len(parts) - 1:
            return "/".join(parts[i + 1:])
    return "/".join(parts[-2:])


def stack_trace(session: State, rep: Engine, g: Goroutine, start: int,
                levels: int) -> dict[str, Any]:
    """The ``stackTrace`` body: frames ``start`` … (``levels`` of them; 0: all)."""
    config = session.config
    assert config is not None
    shown = shown_frames(rep, g, config.show_crash_frames)
    stack = rep.stack(g)
    line_base = 0 if session.client.get("linesStartAt1") is False else 1
    col = 0 if session.client.get("columnsStartAt1") is False else 1
    main = session.source_map().main_module
    # Clients land on the first frame with a source (nvim-dap whatever the
    # hints, VS Code the first not de-emphasised one): the runtime frames
    # above the first user frame (panic, gopark, sigpanic …) carry their
    # place in their name instead, unless showCrashFrames asks for all.
    first_user = None if config.show_crash_frames else next(
        (i for i, s in enumerate(shown)
         if s.frame is not None and not is_runtime(rep, s.frame.function, main)), None)
    entries: list[dict[str, Any]] = []
    for pos, s in enumerate(shown):
        if s.frame is None:
            f0 = s.folded[0]
            entries.append({"id": session.frames.id_of((g.goid, -1)), "name": s.label(rep),
                            "line": 0, "column": 0, "presentationHint": "label",
                            "instructionPointerReference": f"{f0.pc:#x}"})
            continue
        f = s.frame
        entry: dict[str, Any] = {
            "id": session.frames.id_of((g.goid, s.index)),
            "name": _frame_name(rep, f),
            "line": 0, "column": 0,
            "instructionPointerReference": f"{f.pc:#x}",
        }
        if f.c_object is not None:
            mid = module_id(rep, f.c_object)
            if mid is not None:
                entry["moduleId"] = mid
        if first_user is not None and pos < first_user:
            if f.file and f.file != "?":
                entry["name"] += f" ({_short_path(f.file)}:{f.line})"
            entry["presentationHint"] = "subtle"
            entries.append(entry)
            continue
        src, line = _source(session, rep, f)
        if src is not None:
            entry["source"] = src
            entry["line"] = max(line - 1 + line_base, 0) if line else 0
            entry["column"] = col
        if src is not None and src.get("presentationHint") == "deemphasize":
            entry["presentationHint"] = "subtle"
        entries.append(entry)
    if stack.error:
        last = stack.frames[-1].pc if stack.frames else 0
        entries.append({"id": session.frames.id_of((g.goid, -2)),
                        "name": f"[stack unwinding stopped: {stack.error}]", "line": 0,
                        "column": 0, "presentationHint": "label",
                        "instructionPointerReference": f"{last:#x}"})
    if config.stack_depth:
        entries = entries[:config.stack_depth]
    total = len(entries)
    page = entries[start:start + levels] if levels else entries[start:]
    return {"stackFrames": page, "totalFrames": total}
