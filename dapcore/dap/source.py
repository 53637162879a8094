"""Where the files named in the binary's line tables are on this machine.

Only those files are ever served: a client (possibly remote, over TCP) asks
for a path, and it is read only when the binary's line tables name it (or it
is the local file such a name was mapped to). A mapping (``substitutePath``,
``cwd``, a local Go tree, the module cache) moves a file's directory, never
its name, and what is served is a regular file whose real path still ends
with the part of the line-table name the mapping kept.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from dapcore.engine import Engine

_RUNTIME_SUFFIX = "/src/runtime/proc.go"


def _escape_module(path: str) -> str:
    """The module cache's case encoding: ``Azure`` → ``!azure``."""
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


def local_goroots(version: str) -> list[Path]:
    """Installed Go trees that could hold the sources of Go ``version``."""
    home = Path.home()
    minor = ".".join(version.removeprefix("go").split(".")[:2])
    cands = [home / ".cache/dapcore/toolchains" / version / "go", Path(f"/usr/lib/go-{minor}"),
             Path("/usr/local/go"), Path("/usr/lib/go")]
    env = os.environ.get("GOROOT")
    if env:
        cands.insert(0, Path(env))
    out = []
    for c in cands:
        try:
            first = (c / "VERSION").read_text().splitlines()[0].strip()
        except (OSError, IndexError):
            continue
        if first == version:
            out.append(c)
    return out


class SourceMap:
    """Maps the binary's file names to readable local files."""

    def __init__(self, report: Engine, substitute: list[tuple[str, str]], cwd: str) -> None:
        self.report = report
        self.substitute = substitute
        self.cwd = cwd
        self._cache: dict[str, str | None] = {}
        self._known: set[str] | None = None
        self._served: dict[str, str] = {}  # local path → the binary's name
        self.main_module = report.main_module
        self.goroot = self._binary_goroot()
        self.local_goroots = local_goroots(report.go_version) if report.has_go_version else []

    def _binary_goroot(self) -> str | None:
        where = self.report.function_line("runtime.main")
        if where is None:
            return None
        file = where[0]
        if file.endswith(_RUNTIME_SUFFIX):
            return file[: -len(_RUNTIME_SUFFIX)]
        if file == "runtime/proc.go":
            return ""  # -trimpath: standard library files are relative to GOROOT/src
        return None

    def known(self, name: str) -> bool:
        if self._known is None:
            self._known = self.report.source_files()
        return name in self._known or name in self._cache

    def candidates(self, name: str) -> list[tuple[str, str]]:
        """Where the binary's file ``name`` may be here, as (local path, tail):
        each local path is a directory prefix joined to ``tail``, a trailing
        part of ``name`` that includes its file name (mappings may move a
        file's directory, never rename the file)."""
        out: list[tuple[str, str]] = []
        for src, dst in self.substitute:
            src = src.rstrip("/")
            if dst and name.startswith(src + "/"):
                tail = name[len(src) + 1:]
                out.append((os.path.join(dst, tail), tail))
        if self.goroot and name.startswith(self.goroot + "/src/"):
            tail = name[len(self.goroot) + 1:]
            out.extend((str(g / tail), tail) for g in self.local_goroots)
        if os.path.isabs(name):
            out.append((name, name.lstrip("/")))
            return out
        first = name.split("/", 1)[0]
        if "@" in first or "@" in name.split("/")[-2:][0]:
            modcache = os.environ.get("GOMODCACHE") or str(
                Path(os.environ.get("GOPATH") or Path.home() / "go") / "pkg" / "mod")
            tail = _escape_module(name)
            out.append((os.path.join(modcache, tail), tail))
        if self.main_module and (name.startswith(self.main_module + "/")):
            tail = name[len(self.main_module) + 1:]
            out.append((os.path.join(self.cwd, tail), tail))
        if self.goroot == "" and "." not in first:
            out.extend((str(g / "src" / name), name) for g in self.local_goroots)
        out.append((os.path.join(self.cwd, name), name))
        return out

    def local(self, name: str) -> str | None:
        """The readable local file for the binary's file ``name``, or None.

        A candidate is served only when its real path (symbolic links
        resolved) is a regular file and still ends with the candidate's
        tail: a link that leads elsewhere, a mapping onto another file name,
        a name with ``..`` in it or a file that is not source code is never
        served."""
        if name in self._cache:
            return self._cache[name]
        found = None
        if _plausible_source(name):
            found = next((real for c, tail in self.candidates(name)
                          if (real := _checked(c, tail)) is not None), None)
        self._cache[name] = found
        if found is not None:
            self._served[found] = name
        return found

    def read(self, path: str) -> str | None:
        """The text of ``path`` when it is one of the program's files, else
        None (the same answer whether or not such a file exists)."""
        if path in self._served:
            local: str | None = path
        elif self.known(path):
            local = self.local(path)
        else:
            return None
        if local is None:
            return None
        return _read_regular(local, self.report.open_regular)


# Files a Go binary's line tables name: Go and assembly sources (cgo's C
# files appear in DWARF line tables only).
_SOURCE_SUFFIXES = (".go", ".s", ".S", ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp")
MAX_SOURCE = 16 * 1024 * 1024  # bytes served for one file


def _plausible_source(name: str) -> bool:
    parts = name.split("/")
    return (name.endswith(_SOURCE_SUFFIXES) and "\0" not in name
            and ".." not in parts and "." not in parts[1:])


def _checked(candidate: str, tail: str) -> str | None:
    """``candidate``'s real path when it is a regular file whose path still
    ends with ``tail``; else None."""
    try:
        real = os.path.realpath(candidate, strict=True)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode) or not real.endswith("/" + tail.lstrip("/")):
        return None
    return real


def _read_regular(path: str, open_regular: Callable[[str, bool], BinaryIO]) -> str | None:
    """The text of the regular file ``path`` (no link followed at the last
    step, no special file, at most :data:`MAX_SOURCE` bytes), opened with
    :meth:`dapcore.engine.Engine.open_regular`."""
    try:
        with open_regular(path, False) as f:  # follow_link=False
            if os.fstat(f.fileno()).st_size > MAX_SOURCE:
                return None
            return f.read(MAX_SOURCE).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
