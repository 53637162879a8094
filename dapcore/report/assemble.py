"""A report assembled from a core, section by section, through the engine's
facade (:class:`dapcore.engine.Engine`) only.

Each section is made by one function; one that fails on a damaged core
says why in its section (``reason``) and the others are still made.
"""

from __future__ import annotations

import signal as pysignal
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dapcore import __version__
from dapcore.errors import DapcoreError
from dapcore.govalues.summary import text_of
from dapcore.report.model import Report, Section
from dapcore.report.providers import PROVIDERS, prefetch
from dapcore.report.redact import redacted_args, redacted_string, redacted_text
from dapcore.report.signature import Signature, is_runtime_error, signature

if TYPE_CHECKING:
    from dapcore.engine import Engine, Frame, Goroutine, ProcStats, Reading

__all__ = ["build_report"]

_SOURCE_LIMIT = 8 << 20  # bytes of a source file read for its line


def build_report(engine: Engine, redact: bool = False) -> Report:
    """The report of ``engine``'s core; ``redact``: see :mod:`dapcore.report.redact`."""
    report = Report(f"dapcore {__version__}", redact, engine.executable_path, engine.core_path)
    prefetch(engine)  # what can run on another CPU meanwhile
    makers: list[tuple[str, str, Callable[[Engine, bool], dict[str, Any]]]] = [
        ("signature", "Crash signature", _signature),
        ("crash", "Crash", _crash),
        ("stack", "Crashing goroutine", _stack),
        ("locals", "Locals of the crash frame", _locals),
        ("build", "Build", _build),
        ("process", "Process", _process),
        ("goroutines", "Goroutines", _goroutines),
    ]
    for key, title, make in makers:
        try:
            report.sections[key] = Section(key, title, make(engine, redact))
        except DapcoreError as exc:
            report.sections[key] = Section(key, title, reason=str(exc))
    for key, provide in PROVIDERS.items():
        report.sections[key] = provide(engine, redact)
    report.warnings = list(engine.warnings)
    return report


def signature_json(sig: Signature) -> dict[str, Any]:
    return {"hash": sig.hash, "text": sig.text, "kind": sig.kind, "class": sig.crash_class,
            "functions": list(sig.functions), "lines": list(sig.lines)}


def _signature(engine: Engine, redact: bool) -> dict[str, Any]:
    return signature_json(signature(engine))


def _crash(engine: Engine, redact: bool) -> dict[str, Any]:
    c = engine.crash
    sig = c.signal or c.fatal_signal
    message = c.header()
    panics = []
    for p in c.panics:
        user = not is_runtime_error(p.message)
        text = redacted_string(p.message, p.type_name or "string") if redact and user \
            else p.message
        panics.append({"message": text, "type": p.type_name, "userValue": user,
                       "recovered": p.recovered, "goexit": p.goexit})
        if redact and user:
            message = message.replace(p.message, text)
    return {"kind": c.kind, "message": message, "goroutine": c.goroutine,
            "signal": sig.name if sig else None, "panics": panics,
            "fatalError": c.fatal_error}


_MAX_USER_FRAMES = 100  # the first ones shown (a stack overflow has thousands)
_TRACEBACK_HEAD, _TRACEBACK_TAIL = 50, 50  # frames of the traceback kept, as the runtime does


_SOURCE_SUFFIXES = (".go", ".s", ".c", ".h")


class _Sources:
    """Lines of the source files the line tables name, read once each: a
    file the binary's file table lists (Go 1.16+; older line tables have no
    such table, and the frame's own file, from the line tables too, is
    taken), with a source file's suffix, regular, not through a symbolic
    link at its last step."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.names = engine.source_files()
        self.files: dict[str, list[str] | None] = {}

    def line(self, path: str, line: int) -> str | None:
        """Line ``line`` of ``path`` when the line tables name the file and
        it is readable here (as the DAP server serves sources); else None."""
        if line <= 0 or not path.endswith(_SOURCE_SUFFIXES) or (
                self.names and path not in self.names):
            return None
        if path not in self.files:
            try:
                with self.engine.open_regular(path, follow_link=False) as fh:
                    data = fh.read(_SOURCE_LIMIT)
                self.files[path] = data.decode(errors="replace").splitlines()
            except OSError:
                self.files[path] = None
        lines = self.files[path]
        return lines[line - 1].rstrip() if lines is not None and line <= len(lines) else None


def _frame_json(engine: Engine, f: Frame, sources: _Sources) -> dict[str, Any]:
    return {"function": engine.print_name(f.function), "file": f.file, "line": f.line,
            "inlined": f.inlined, "source": sources.line(f.file, f.line)}


def _shown_goroutine(engine: Engine) -> Goroutine:
    """The crashing goroutine; without one (a snapshot, a deadlock, a
    crash on a system stack) the one :meth:`Engine.default_goid` names."""
    g = engine.crashed_goroutine
    return g if g is not None else engine.goroutine(engine.default_goid())


def _stack(engine: Engine, redact: bool) -> dict[str, Any]:
    g = _shown_goroutine(engine)
    frames = engine.printed_frames(g) if g.crashed else engine.stack(g).frames
    module = engine.main_module
    sources = _Sources(engine)
    user = [f for f in frames
            if f.c_object is None and engine.is_user_function(f.function, module)]
    lines = [engine.traceback_header(g)]
    elided = len(frames) - _TRACEBACK_HEAD - _TRACEBACK_TAIL
    shown = frames if elided <= 0 else frames[:_TRACEBACK_HEAD] + frames[-_TRACEBACK_TAIL:]
    for i, f in enumerate(shown):
        if elided > 0 and i == _TRACEBACK_HEAD:
            lines.append(f"...{elided} frames elided...")
        lines.extend(engine.traceback_frame(f).splitlines())
    cb = engine.created_by(g)
    return {"goroutine": g.goid, "status": g.status_text, "crashed": g.crashed,
            "userFrames": [_frame_json(engine, f, sources) for f in user[:_MAX_USER_FRAMES]],
            "userFramesElided": max(len(user) - _MAX_USER_FRAMES, 0),
            "traceback": lines,
            "createdBy": None if cb is None else {"function": engine.print_name(cb.function),
                                                  "file": cb.file, "line": cb.line}}


def _locals(engine: Engine, redact: bool) -> dict[str, Any]:
    g = _shown_goroutine(engine)
    index = engine.landing_frame(g.goid)
    f = engine.stack(g).frames[index]
    values = []
    for kind, v in engine.frame_values(g.goid, index):
        values.append({"name": v.name, "kind": kind, "type": v.type_name,
                       "value": redacted_text(v) if redact else text_of(v)})
    return {"goroutine": g.goid, "frame": index, "function": engine.print_name(f.function),
            "file": f.file, "line": f.line, "values": values}


def _build(engine: Engine, redact: bool) -> dict[str, Any]:
    settings = dict(engine.build_settings)
    if redact and settings.get("-ldflags"):  # -X main.key=… puts strings in the build
        settings["-ldflags"] = redacted_string(settings["-ldflags"])
    return {"goVersion": engine.go_version, "mainModule": engine.main_module,
            "moduleVersion": engine.main_module_version,
            "vcs": {"system": settings.get("vcs"), "revision": settings.get("vcs.revision"),
                    "time": settings.get("vcs.time"),
                    "modified": settings.get("vcs.modified")},
            "settings": settings, "executable": engine.executable_path,
            "dwarf": engine.has_dwarf}


def _reading(r: Reading) -> dict[str, Any]:
    return {"value": r.value, "source": r.source, "why": r.why}


def _signal_name(signo: int) -> str | None:
    if not signo:
        return None
    try:
        return pysignal.Signals(signo).name
    except ValueError:
        return f"signal {signo}"


def _process(engine: Engine, redact: bool) -> dict[str, Any]:
    notes = engine.core_notes()
    stats: ProcStats = engine.process_stats()
    args = stats.args
    psargs = notes.psargs
    if redact:
        args = redacted_args(args) if args is not None else None
        if psargs:
            parts = psargs.split(" ")
            psargs = " ".join(redacted_args(parts))
    return {
        "commandLine": args, "commandLineSource": stats.args_source,
        "commandLineWhy": stats.args_why,
        "psargs": psargs, "pid": notes.pid, "ppid": notes.ppid, "uid": notes.uid,
        "gid": notes.gid, "execfn": notes.execfn, "signal": _signal_name(notes.signal),
        "threads": notes.threads, "mappedFiles": notes.mapped_files,
        "distinctFiles": notes.distinct_files,
        "gomaxprocs": _reading(stats.gomaxprocs), "ms": _reading(stats.ms),
        "msCreated": _reading(stats.ms_created), "ps": _reading(stats.ps),
        "heapInUse": _reading(stats.heap_inuse), "numGC": _reading(stats.num_gc),
        "limits": "not recorded: a Linux core holds no resource limits",
        "notes": notes.notes,
    }


def _goroutines(engine: Engine, redact: bool) -> dict[str, Any]:
    listed = engine.listing()
    by_status: Counter[str] = Counter()
    # goroutines that look alike are of one kind: each kind named once
    for k, n in Counter(listed.kinds).items():
        by_status[engine.traits_name(listed.traits[k])[1]] += n
    return {"count": len(listed.goids),
            "byStatus": [{"status": s, "count": n} for s, n in by_status.most_common()]}
