"""Errors a person can read. Every failure the engine can meet has a type;
the CLI and the DAP server turn them into messages, never into tracebacks."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` read from a file (a path in a core, a build ID), safe to put
    in a one-line message: control characters (newlines, terminal escapes)
    become ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class DapcoreError(Exception):
    """Base of every error dapcore reports to its user."""


class UnreadableMemory(DapcoreError):
    """The core (and the files behind it) hold no bytes at this address."""

    def __init__(self, addr: int, size: int = 1, why: str = "not in the core",
                 note: str = "") -> None:
        self.addr = addr
        self.size = size
        # Why, briefly, for a value shown inline ("not in the core: truncated");
        # empty when the process could not read the address either.
        self.note = note
        super().__init__(f"cannot read {size} byte{'s' if size != 1 else ''} at {addr:#x}: {why}")

    @property
    def short(self) -> str:
        """``unreadable 0x…`` with the brief why when there is one: the text
        of a value that cannot be read."""
        return f"unreadable {self.addr:#x}" + (f": {self.note}" if self.note else "")


class CoreFormatError(DapcoreError):
    """The core file is not a usable ELF core (wrong type, truncated, damaged)."""


class ExecutableError(DapcoreError):
    """The executable is missing, not an ELF executable, or not a Go program."""


class ExecutableNotFound(ExecutableError):
    """Only a core was given, and the executable it names is not on this
    machine (a core from another host or a container). ``named``: the path
    the core names (None: it names none); ``build_id``: its Go build ID, as
    the core's copy of its first page holds it (None: not there)."""

    def __init__(self, message: str, named: str | None, build_id: str | None) -> None:
        super().__init__(message)
        self.named = named
        self.build_id = build_id


class MismatchError(DapcoreError):
    """The core was not produced by this executable."""


class UnsupportedError(DapcoreError):
    """A format or Go version this build of dapcore cannot read."""


class NoDwarf(DapcoreError):
    """The executable has no DWARF and no built-in layout can stand in."""


def command_failure(exc: BaseException, usage: str, doing: str) -> tuple[str, int]:
    """The one line (without ``dapcore: ``) a command prints on stderr for
    ``exc``, and its exit status: 1 for an error a person can act on
    (:class:`ExecutableNotFound` followed by ``usage``, the command with the
    executable named), 2 for a bug or damage not yet foreseen (``doing``:
    what the command was doing, for the report of it)."""
    if isinstance(exc, ExecutableNotFound):
        return f"{exc}: {usage}", 1
    if isinstance(exc, DapcoreError):
        return str(exc), 1
    return (f"internal error ({type(exc).__name__}: {exc}) while {doing}; please report it "
            "with the Go version and the command"), 2
