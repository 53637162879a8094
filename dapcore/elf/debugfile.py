"""Finding a stripped executable's separate debug file, the way gdb does.

Distributions and release pipelines keep a program's DWARF and symbol table
in a file of their own (``objcopy --only-keep-debug``) and leave the
executable a pointer to it:

* ``.gnu_debuglink``: the debug file's name and the CRC32 of its contents,
  looked for next to the executable, in its ``.debug/`` subdirectory, in
  ``/usr/lib/debug/<the executable's directory>/`` and in each directory the
  user names (directly, and under the executable's directory there);
* the GNU build id (``.note.gnu.build-id``), looked for as
  ``<dir>/.build-id/xx/yyyy….debug`` under each directory the user names and
  ``/usr/lib/debug``.

Only those names are ever opened: the debuglink name is a file name (a name
with a ``/`` in it is refused) and the build id is hexadecimal, so a file
cannot send dapcore anywhere else. A candidate is used only when it belongs
to the executable: its GNU build id equals the executable's (and its Go
build ID, when both have one), and for a debuglink its CRC32 equals the one
the executable records. A wrong one is reported (naming both ids) and the
search goes on; a file there that is not an ELF file is passed over like a
missing one.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from dapcore.elf.executable import Executable
from dapcore.errors import ExecutableError, printable

__all__ = ["SYSTEM_DEBUG_DIR", "DebugFiles"]

SYSTEM_DEBUG_DIR = "/usr/lib/debug"
_HEX = re.compile(r"[0-9a-f]{4,}")


class DebugFiles:
    """The finder an :class:`Executable` asks for its debug file
    (:meth:`Executable.set_debug_finder`): looks in the standard places and
    in ``directories``, checks what it finds, and remembers where it looked
    and what it used. ``warn`` receives a line for each file found but
    refused (a debug file of another build)."""

    def __init__(self, directories: Sequence[str | os.PathLike[str]] = (),
                 warn: Callable[[str], None] | None = None,
                 system_dir: str | os.PathLike[str] | None = SYSTEM_DEBUG_DIR) -> None:
        self.directories = [Path(os.path.expanduser(os.fspath(d))) for d in directories]
        self.system_dir = Path(system_dir) if system_dir is not None else None
        self._warn = warn
        self.looked: list[Path] = []  # every path tried, in order
        self.found: Executable | None = None
        self.how: str | None = None  # how the file in use was found and checked
        self.wanted: str | None = None  # what was looked for (None: the executable names none)

    # -- the finder ------------------------------------------------------------

    def __call__(self, exe: Executable) -> Executable | None:
        self.wanted = _wanted(exe)
        for path, via in self._candidates(exe):
            self.looked.append(path)
            if not path.is_file() or _same_file(path, exe.path):
                continue
            debug = self._check(exe, path, via)
            if debug is not None:
                self.found = debug
                return debug
        return None

    def _candidates(self, exe: Executable) -> Iterator[tuple[Path, str]]:
        """(path, "build-id" or "debuglink") in the order gdb tries them;
        each path once."""
        seen: set[Path] = set()
        roots = [*self.directories, *([self.system_dir] if self.system_dir else [])]
        out: list[tuple[Path, str]] = []
        build_id = exe.gnu_build_id
        if build_id is not None and _HEX.fullmatch(build_id):
            tail = Path(".build-id") / build_id[:2] / f"{build_id[2:]}.debug"
            out += [(root / tail, "build-id") for root in roots]
        link = exe.debuglink
        name = link[0] if link is not None else None
        if name is not None and _plain_name(name):
            for d in _exe_dirs(exe):
                out += [(d / name, "debuglink"), (d / ".debug" / name, "debuglink")]
            for root in self.directories:
                out.append((root / name, "debuglink"))
            for root in roots:
                out += [(root / d.relative_to("/") / name, "debuglink") for d in _exe_dirs(exe)]
        for path, via in out:
            if path not in seen:
                seen.add(path)
                yield path, via

    def _check(self, exe: Executable, path: Path, via: str) -> Executable | None:
        """The debug file at ``path`` if it belongs to ``exe``, else None
        (and a warning saying why)."""
        try:
            debug = Executable(path, role="debug file")
        except ExecutableError:
            # Not an ELF file (or unreadable): passed over without a word, as
            # a missing one is, so that a client naming directories over TCP
            # learns nothing about files that are not debug files.
            return None
        why = _mismatch(exe, debug, via)
        if why is None and not (debug.has_own_dwarf or debug.has_own_symbols):
            why = "it holds neither DWARF nor a symbol table"
        if why is not None:
            debug.close()
            self._refuse(exe, path, why)
            return None
        if via == "build-id":
            self.how = f"through its GNU build id {exe.gnu_build_id}"
        else:
            assert exe.debuglink is not None
            self.how = f"through .gnu_debuglink, CRC32 {exe.debuglink[1]:#010x} checked"
        return debug

    def _refuse(self, exe: Executable, path: Path, why: str) -> None:
        if self._warn is not None:
            self._warn(printable(f"{path} is not the debug file of {exe.path.name}: {why}; "
                                 "it is not used"))

    # -- what to tell the user -------------------------------------------------

    def source_text(self) -> str | None:
        """``debug information from /x/zoo.debug (found through …)``, or
        None when no separate debug file is in use."""
        if self.found is None:
            return None
        return f"debug information from {self.found.path} (found {self.how})"

    def missing_text(self, exe: Executable) -> str | None:
        """Why values cannot be read, naming the debug file looked for and
        where; None when the executable names no debug file."""
        wanted = self.wanted if self.wanted is not None else _wanted(exe)
        if wanted is None or self.found is not None:
            return None
        where = ", ".join(str(p) for p in self.looked) or "no directory"
        return (f"{exe.path.name} has no DWARF and its separate debug file ({wanted}) was not "
                f"found (looked for {where}): stacks come from the pclntab, values need the "
                "debug file (name its directory with --debug-dir, or 'debugInfoDirectories' "
                "in the launch configuration)")


def _wanted(exe: Executable) -> str | None:
    parts = []
    if exe.debuglink is not None:
        parts.append(f"{exe.debuglink[0]!r} named by .gnu_debuglink")
    if exe.gnu_build_id is not None:
        parts.append(f"GNU build id {exe.gnu_build_id}")
    return printable(" or ".join(parts)) if parts else None


def _mismatch(exe: Executable, debug: Executable, via: str) -> str | None:
    """Why ``debug`` is not ``exe``'s debug file (None: it is)."""
    if debug.machine != exe.machine:
        return f"it is for {debug.machine}, the executable for {exe.machine}"
    mine, theirs = exe.gnu_build_id, debug.gnu_build_id
    if mine is not None and theirs is not None and mine != theirs:
        return f"its GNU build id is {theirs}, the executable's is {mine}"
    if via == "build-id" and theirs is None:
        return "it has no GNU build id"
    go_mine, go_theirs = exe.go_build_id, debug.go_build_id
    if go_mine is not None and go_theirs is not None and go_mine != go_theirs:
        return f"its Go build ID is {go_theirs}, the executable's is {go_mine}"
    if via == "debuglink":
        assert exe.debuglink is not None
        want = exe.debuglink[1]
        got = zlib.crc32(debug.data) & 0xFFFFFFFF
        if got != want:
            return (f"its CRC32 is {got:#010x}, the executable's .gnu_debuglink expects "
                    f"{want:#010x}")
    return None


def _plain_name(name: str) -> bool:
    """A file name, not a path: nothing a debuglink can use to leave the
    directories searched."""
    return bool(name) and "/" not in name and "\0" not in name and name not in (".", "..")


def _exe_dirs(exe: Executable) -> list[Path]:
    """The executable's directory, as given and with links resolved
    (absolute; one entry when they are the same)."""
    given = Path(os.path.abspath(exe.path)).parent
    real = Path(os.path.realpath(exe.path)).parent
    return [given] if given == real else [real, given]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
