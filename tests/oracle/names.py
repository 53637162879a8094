"""Function names as the Go runtime prints them (``runtime.funcNameForPrint``):
type arguments shown as ``[...]``. The values fixture writes its functions'
names that way (``values.json``)."""

from __future__ import annotations

__all__ = ["printed_function"]


def printed_function(name: str) -> str:
    """``main.f[go.shape.int]`` → ``main.f[...]``; nested brackets fold into
    the outermost one."""
    out, depth = [], 0
    for ch in name:
        if ch == "[":
            if depth == 0:
                out.append("[...]")
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)
