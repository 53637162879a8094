"""A crash's signature: what stays the same when the same bug crashes again.

The signature is the crash's kind (``panic``, ``fatal error``, ``signal``),
its class, and the names of the user functions on the crashing goroutine's
stack, innermost first. It leaves out what changes from one crash of the
same bug to the next: addresses, goroutine ids, the numbers in a runtime
error (``index out of range [N] with length N``), the build's paths, and
line numbers (an unrelated edit above a function moves its lines; they are
given beside the signature, not in it).

The class is the runtime's own message for runtime errors
(``runtime error: invalid memory address or nil pointer dereference``,
``assignment to entry in nil map``), fatal errors (``concurrent map
writes``) and signals (``SIGSEGV``), with numbers and addresses replaced.
For a panic with a value of the program's own (``panic("…")``,
``panic(err)``, whose message the runtime turned into a string before it
died) it is the value's type (``panic(string)``): such messages often carry
data (a user name, an order id) that would split one bug into many
signatures, and could not be shown in a redacted report. A runtime error is
told by its text: ``runtime error: …`` or one of the runtime's plain errors
(:data:`RUNTIME_PLAIN_ERRORS`).

The hash is the first 12 hex digits of SHA-256 over the readable form.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    from dapcore.engine import Crash, Engine, Frame

__all__ = ["RUNTIME_PLAIN_ERRORS", "Signature", "crash_class", "is_runtime_error", "normalize",
           "signature"]

MAX_FUNCTIONS = 8  # user frames in the signature, innermost first

_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?![\w])")
_GOROUTINE = re.compile(r"\bgoroutine \d+\b")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Signature:
    kind: str
    crash_class: str
    functions: tuple[str, ...]  # innermost first
    lines: tuple[str, ...]  # "file:line" of each function, not hashed

    @property
    def text(self) -> str:
        """``panic: runtime error: … @ main.f < main.g``: what is hashed."""
        where = " < ".join(self.functions) if self.functions else "(no user frame)"
        return f"{self.kind}: {self.crash_class} @ {where}"

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]


def normalize(text: str) -> str:
    """``text`` without its variable parts: addresses become ``0x?``,
    numbers ``N``, ``goroutine 7`` ``goroutine N``; blanks collapsed."""
    text = _GOROUTINE.sub("goroutine N", text)
    text = _HEX.sub("0x?", text)
    text = _NUMBER.sub("N", text)
    return _SPACE.sub(" ", text).strip()


# The runtime's panics whose text has no "runtime error: " prefix (plainError).
RUNTIME_PLAIN_ERRORS = (
    "assignment to entry in nil map", "close of nil channel", "close of closed channel",
    "send on closed channel", "makechan: size out of range", "makeslice: len out of range",
    "makeslice: cap out of range", "growslice: len out of range", "makemap: size out of range",
    "unsafe.Slice: ", "unsafe.String: ", "unsafe.SliceData: ", "unsafe.StringData: ",
    "interface conversion: ",  # runtime.TypeAssertionError: type names only
)


def is_runtime_error(message: str) -> bool:
    """Whether a panic's text is one the runtime made (not a user's value)."""
    return message.startswith("runtime error: ") or message.startswith(RUNTIME_PLAIN_ERRORS)


def crash_class(crash: Crash) -> str:
    """The class of a crash (module docstring)."""
    if crash.kind == "fatal error":
        return normalize(crash.fatal_error or "")
    if crash.kind == "signal":
        sig = crash.fatal_signal
        return sig.name if sig is not None else normalize(crash.message)
    if crash.kind == "panic":
        parts = []
        for p in crash.panics:
            if p.goexit:
                continue
            if is_runtime_error(p.message):
                parts.append(normalize(p.message))
            else:
                parts.append(f"panic({p.type_name or 'value'})")
        return " / ".join(parts) or normalize(crash.message)
    return crash.kind


def _user_frames(engine: Engine, frames: list[Frame]) -> list[Frame]:
    module = engine.main_module
    out: list[Frame] = []
    for f in frames:
        if f.c_object is None and engine.is_user_function(f.function, module):
            if out and out[-1].function == f.function:
                continue  # recursion: one entry, whatever its depth
            out.append(f)
    return out


def signature(engine: Engine) -> Signature:
    """The signature of the core's crash (of its snapshot: the main
    goroutine's, for a core with nothing crashed)."""
    crash = engine.crash
    g = engine.crashed_goroutine
    if g is None:
        try:
            g = engine.goroutine(engine.default_goid())
        except DapcoreError:  # no goroutine at all: kind and class alone
            g = None
    frames = engine.printed_frames(g) if g is not None else []
    user = _user_frames(engine, frames)
    if not user:  # the runtime's own crash: its top frames stand in
        user = [f for f in frames if f.c_object is None][:3]
    user = user[:MAX_FUNCTIONS]
    return Signature(crash.kind, crash_class(crash),
                     tuple(engine.print_name(f.function) for f in user),
                     tuple(f"{f.file}:{f.line}" for f in user))
