"""Where the files named in the binary's line tables are on this machine.

Only those files are ever served: a client (possibly remote, over TCP) asks
for a path, and it is read only when the binary's line tables name it (or it
is the local file such a name was mapped to).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dapcore.go.report import Report

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


def line_table_files(report: Report) -> set[str]:
    """Every file name in the pclntab's file table (Go ≥ 1.16 layouts)."""
    tab = report.proc.pclntab
    hdr = getattr(tab, "_hdr", None)
    data = getattr(tab, "_mm", None)
    if hdr is None or data is None or tab.version == "1.2" or not hdr.filetab:
        return set()
    raw = bytes(data[hdr.filetab:hdr.pctab])
    return {s.decode("utf-8", "replace") for s in raw.split(b"\0") if s}


class SourceMap:
    """Maps the binary's file names to readable local files."""

    def __init__(self, report: Report, substitute: list[tuple[str, str]], cwd: str) -> None:
        self.report = report
        self.substitute = substitute
        self.cwd = cwd
        self._cache: dict[str, str | None] = {}
        self._known: set[str] | None = None
        self._served: dict[str, str] = {}  # local path → the binary's name
        bi = report.proc.buildinfo
        self.main_module = bi.main.path if bi.main is not None and bi.main.path else None
        self.goroot = self._binary_goroot()
        self.local_goroots = local_goroots(report.proc.go_version) if bi.go_version else []

    def _binary_goroot(self) -> str | None:
        tab = self.report.proc.pclntab
        f = tab.func_by_name("runtime.main")
        if f is None:
            return None
        file, _ = tab.line_at(f, f.entry)
        if file.endswith(_RUNTIME_SUFFIX):
            return file[: -len(_RUNTIME_SUFFIX)]
        if file == "runtime/proc.go":
            return ""  # -trimpath: standard library files are relative to GOROOT/src
        return None

    def known(self, name: str) -> bool:
        if self._known is None:
            self._known = line_table_files(self.report)
        return name in self._known or name in self._cache

    def candidates(self, name: str) -> list[str]:
        out: list[str] = []
        for src, dst in self.substitute:
            if src and (name == src or name.startswith(src.rstrip("/") + "/")):
                out.append(dst.rstrip("/") + name[len(src.rstrip("/")):])
        if self.goroot and name.startswith(self.goroot + "/src/"):
            rest = name[len(self.goroot):]
            out.extend(str(g) + rest for g in self.local_goroots)
        if os.path.isabs(name):
            out.append(name)
            return out
        first = name.split("/", 1)[0]
        if "@" in first or "@" in name.split("/")[-2:][0]:
            modcache = os.environ.get("GOMODCACHE") or str(
                Path(os.environ.get("GOPATH") or Path.home() / "go") / "pkg" / "mod")
            out.append(os.path.join(modcache, _escape_module(name)))
        if self.main_module and (name.startswith(self.main_module + "/")):
            out.append(os.path.join(self.cwd, name[len(self.main_module) + 1:]))
        if self.goroot == "" and "." not in first:
            out.extend(str(g / "src" / name) for g in self.local_goroots)
        out.append(os.path.join(self.cwd, name))
        return out

    def local(self, name: str) -> str | None:
        """The readable local file for the binary's file ``name``, or None."""
        if name in self._cache:
            return self._cache[name]
        found = next((c for c in self.candidates(name) if os.path.isfile(c)), None)
        self._cache[name] = found
        if found is not None:
            self._served[found] = name
        return found

    def read(self, path: str) -> str | None:
        """The text of ``path`` when it is one of the program's files, else None."""
        if path in self._served:
            local: str | None = path
        elif self.known(path):
            local = self.local(path)
        else:
            return None
        if local is None:
            return None
        try:
            return Path(local).read_text(errors="replace")
        except OSError:
            return None
