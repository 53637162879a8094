"""Test oracles: what the Go runtime itself says about a crashed process."""

from .traceback import (
    Ancestor,
    CreatedBy,
    Elision,
    Frame,
    Goroutine,
    Panic,
    Section,
    Signal,
    SignalContext,
    Traceback,
    parse_traceback,
)

__all__ = [
    "Ancestor",
    "CreatedBy",
    "Elision",
    "Frame",
    "Goroutine",
    "Panic",
    "Section",
    "Signal",
    "SignalContext",
    "Traceback",
    "parse_traceback",
]
