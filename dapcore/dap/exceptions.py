"""The crash as DAP presents it: the ``stopped`` event, ``exceptionInfo`` and
the one-paragraph summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dapcore.render import traceback_text

if TYPE_CHECKING:
    from dapcore.engine import Engine, Goroutine


def first_line(report: Engine) -> str:
    """``panic: assignment to entry in nil map``: the preamble's first line."""
    text = report.crash.header().strip()
    return text.splitlines()[0] if text else report.crash.kind


def is_exception(report: Engine) -> bool:
    return report.crash.kind != report.SNAPSHOT


def exception_id(report: Engine) -> str:
    c = report.crash
    if c.kind in (report.PANIC, report.FATAL):
        return c.kind
    if c.kind == report.SIGNAL:
        sig = c.fatal_signal or c.signal
        return sig.name if sig is not None else "signal"
    return c.kind


def exception_info(report: Engine, g: Goroutine | None) -> dict[str, Any]:
    c = report.crash
    details: dict[str, Any] = {"message": c.header()}
    panic = c.panics[-1] if c.panics else None
    type_name = _panic_type(report, g, panic.type_name) if panic is not None else None
    if type_name:
        details["typeName"] = type_name
        details["fullTypeName"] = type_name
    if g is not None:
        details["stackTrace"] = traceback_text(report, g)
    return {"exceptionId": exception_id(report), "description": first_line(report),
            "breakMode": "always", "details": details}


def _panic_type(report: Engine, g: Goroutine | None, type_name: str | None) -> str | None:
    """The panic value's type as far as the core tells it. Before dying the
    runtime replaced an error or Stringer value by its text (preprintpanics),
    so a ``string`` may have been any error: it is ``runtime.Error`` when
    the runtime itself called ``panic`` (nil map, bounds, nil pointer …),
    else unknown (None) rather than a misleading ``string``."""
    if type_name != "string":
        return type_name
    if g is None:
        return None
    frames = report.stack(g).frames
    caller = next((frames[i + 1].function for i, f in enumerate(frames[:-1])
                   if f.function in ("panic", "runtime.gopanic")), "")
    return "runtime.Error" if caller.startswith(("runtime.", "internal/runtime/")) else None


def summary(report: Engine, core: str) -> str:
    """One paragraph for the debug console."""
    c = report.crash
    sig = c.signal or c.fatal_signal
    core_sig = report.core_signal
    parts = [f"Opened core {core} of {report.executable_path} "
             f"({report.go_version or 'unknown Go version'})."]
    parts.extend(f"{n[:1].upper()}{n[1:]}." for n in report.notices)
    if c.kind == report.SNAPSHOT:
        parts.append("The process was snapshotted while running (no crash).")
    else:
        why = f"It died with {first_line(report)}"
        if sig is not None:
            why += f" ({sig.name})"
        parts.append(why + ".")
    if core_sig:
        parts.append(f"The core was written on {report.signal_name(core_sig)}.")
    n = report.goroutine_count
    parts.append(f"{n} goroutine{'s' if n != 1 else ''}")
    if c.goroutine is not None:
        parts[-1] += f"; goroutine {c.goroutine} crashed."
    else:
        parts[-1] += "."
    for w in report.warnings:
        parts.append(f"Warning: {w}.")
    return " ".join(parts) + "\n"
