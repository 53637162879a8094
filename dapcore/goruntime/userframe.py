"""Which frames are the user's: the rule an editor's landing frame, the
command line's default frame and "top user frame" listings share.

A user frame is one the program's author wrote: package ``main`` or a
package of the main module. The Go runtime, the standard library (import
paths whose first element has no dot: ``sync``, ``net/http``) and
compiler-made runtime helpers are not; third-party modules
(``github.com/…``) count as user code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from dapcore.gobin.buildinfo import BuildInfo
from dapcore.gobin.pclntab import package_of
from dapcore.goruntime.crash import Crash
from dapcore.goruntime.traceback import printed_frames
from dapcore.goruntime.unwind import Frame

__all__ = ["is_user_function", "landing_frame", "main_module", "top_user_frame"]


class _Built(Protocol):
    @property
    def buildinfo(self) -> BuildInfo: ...


def main_module(proc: _Built) -> str | None:
    """The main module's path from the build info (None when not recorded)."""
    main = proc.buildinfo.main
    return main.path if main is not None and main.path else None


_CGO_MADE = re.compile(r"\.(_Cfunc_|_cgo_|_cgoexp_|_Cmacro_|_C2func_)[^./]*$")


@lru_cache(maxsize=8192)  # a few hundred names serve 100,000 goroutines
def is_user_function(function: str, module: str | None) -> bool:
    """True for functions the user wrote (see the module docstring);
    ``module`` is the main module's path (:func:`main_module`). cgo's
    generated wrappers (``main._Cfunc_f``, in ``_cgo_gotypes.go``) are not:
    the user's line is the call to ``C.f`` below them."""
    if _CGO_MADE.search(function):
        return False
    pkg = package_of(function)
    if pkg == "main" or function.startswith("main."):
        return True
    if module and (pkg == module or pkg.startswith(module + "/")):
        return True
    return "." in pkg.split("/", 1)[0]


def top_user_frame(frames: list[Frame], module: str | None) -> int | None:
    """Index of the innermost user frame of the goroutine's own stack
    (frames on g0 or the signal stack are not the goroutine's), or None."""
    for i, f in enumerate(frames):
        if f.stack == "goroutine" and is_user_function(f.function, module):
            return i
    return None


def landing_frame(frames: list[Frame], crash: Crash | None, crashed: bool,
                  module: str | None) -> int:
    """The frame an editor lands on for a goroutine whose stack is
    ``frames`` (``crashed``: the crashing one, ``crash`` what crashed;
    ``module``: :func:`main_module`), numbered as ``dapcore bt`` numbers
    them: the innermost user frame where the runtime's own traceback of the
    goroutine begins or below it (for the crashing goroutine, the user's
    crash line, past the crash handler's frames); without a user frame, the
    first frame the runtime would print."""
    if not frames:
        return 0
    start = len(frames) - len(printed_frames(frames, crash, crashed))
    found = top_user_frame(frames[start:], module)
    return start + found if found is not None else start
