"""The engine facade's process part (issue #17's report and triage): the
runtime's counters, the core's notes, what a file's first bytes say it is.
:class:`dapcore.engine.Engine` inherits it; front ends reach it through the
engine only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

from dapcore.elf.compressed import compression_of
from dapcore.elf.core import open_core
from dapcore.gobin.identity import named_executable
from dapcore.goruntime.process import Process
from dapcore.goruntime.procstats import CoreNotes, ProcStats, read_core_notes, read_procstats

if TYPE_CHECKING:
    from dapcore.indexcache import IndexSetting

__all__ = ["ProcessFacade"]


class ProcessFacade:
    """The engine's questions about the process as a whole and the core's
    notes (``dapcore report``, ``dapcore triage``)."""

    if TYPE_CHECKING:
        proc: Process

        def __init__(self, proc: Process) -> None: ...

    @classmethod
    def open_choosing(cls, core: str | Path,
                      choose: Callable[[str | None, str | None], str | Path],
                      debug_dirs: Sequence[str | Path] = (),
                      index_cache: IndexSetting = None) -> Self:
        """``Engine.open`` with the executable chosen by ``choose(path the
        core names, its Go build ID)`` once the core is open: a compressed
        core is decompressed once (``dapcore triage``). What ``choose``
        raises goes through, the core closed."""
        core_file = open_core(core)
        try:
            binary = choose(*named_executable(core_file))
            return cls(Process(binary, core_file, debug_dirs=debug_dirs, index_cache=index_cache))
        except BaseException:
            core_file.close()
            raise

    @staticmethod
    def core_format(head: bytes) -> str | None:
        """What the first bytes of a file say it is, for finding cores among
        other files: ``"core"`` (an ELF core: ET_CORE), the compression
        (``"gzip"``, ``"xz"``, ``"zstd"``, ``"lz4"``: a compressed core,
        maybe; only opening it tells), or None (neither)."""
        if head[:4] == b"\x7fELF" and len(head) >= 18 and head[16:18] == b"\x04\x00":
            return "core"
        return compression_of(head)

    @property
    def main_module_version(self) -> str | None:
        """The main module's version from the build info (``(devel)``, ``v1.2.3``;
        None when not recorded)."""
        main = self.proc.buildinfo.main
        return main.version if main is not None and main.version else None

    def process_stats(self) -> ProcStats:
        """The runtime's counters (GOMAXPROCS, Ms, Ps, heap in use, GC count)
        and ``os.Args``, each with where it was read or why it was not
        (:mod:`dapcore.goruntime.procstats`)."""
        return read_procstats(self.proc)

    def core_notes(self) -> CoreNotes:
        """What the kernel's notes say of the process: NT_PRPSINFO (pid,
        ppid, uid, gid, the first 80 bytes of the command line), AT_EXECFN,
        NT_FILE's count, the threads and the signal."""
        return read_core_notes(self.proc)

    @property
    def core_path(self) -> str:
        return str(self.proc.core.path)
