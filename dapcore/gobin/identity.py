"""Does this core come from this executable? Checked before anything else,
because reading a core through the wrong binary gives confident nonsense."""

from __future__ import annotations

import os
import re

from dapcore.elf.core import AT_ENTRY, CoreFile
from dapcore.elf.executable import Executable
from dapcore.elf.memory import AddressSpace
from dapcore.errors import DapcoreError, ExecutableNotFound, MismatchError, printable

_PAGE = 4096
_GO_NOTE = re.compile(rb"Go\x00\x00([\x21-\x7e]{20,200})")


def executable_path_in_core(core: CoreFile) -> str | None:
    """The path the process ran from: the NT_FILE mapping holding AT_ENTRY,
    else the first mapped file (None when the core names none)."""
    entry = core.auxv.get(AT_ENTRY)
    for f in core.files:
        if entry is not None and f.start <= entry < f.end:
            return f.path
    return core.files[0].path if core.files else None


def named_executable(core: CoreFile) -> tuple[str | None, str | None]:
    """(path, Go build ID) of the executable ``core`` names: the path as
    :func:`executable_path_in_core` finds it, the build ID from the core's
    own copy of that file's first page (the kernel dumps it; the Go linker
    puts its build ID note there), never from a file on this machine; None
    when the core holds no such page."""
    named = executable_path_in_core(core)
    first = next((f for f in core.files if f.path == named and f.offset == 0), None)
    if first is None:
        return named, None
    try:
        page = AddressSpace(core, None, file_backing=False).read(first.start, _PAGE)
    except DapcoreError:
        return named, None
    return named, go_build_id_in_page(page)


def executable_for(core: CoreFile) -> str:
    """The executable to read ``core`` with when only the core is given: the
    one it names, when that path is a file here. Otherwise
    :class:`ExecutableNotFound` says which path the core names, its Go build
    ID, and how to get that executable."""
    named, build_id = named_executable(core)
    if named is None:
        raise ExecutableNotFound(
            f"the core {core.path} names no executable (no NT_FILE note): give the Go "
            "executable that produced it", None, build_id)
    if os.path.isfile(named):
        return named
    ident = (f"Go build ID {printable(build_id)}" if build_id else
             "no Go build ID in the core: it holds no copy of the executable's first page")
    raise ExecutableNotFound(
        f"the core {core.path} was produced by {printable(named)} ({ident}), which does not "
        "exist on this machine (a core from another host or a container): copy that "
        "executable here (from the build that made it, or from the container image: "
        "docker cp, kubectl cp) and give it explicitly; any copy of the same build works",
        named, build_id)


def check_match(core: CoreFile, exe: Executable, memory: AddressSpace) -> str | None:
    """Raise :class:`MismatchError`, saying what differs, when ``core`` was not
    produced by ``exe``; the message names both Go build IDs when the core
    holds the executable's first page (kernel cores and gcore do). Returns a
    warning when the check was weaker than usual: a kernel core (it names
    its mapped files) without that page, as a coredump_filter without ELF
    headers makes, is matched by the entry point and the build information
    in the executable's data, which name no build."""
    ran = executable_path_in_core(core)
    where = f" (the core was produced by {printable(ran)})" if ran else ""
    entry = core.auxv.get(AT_ENTRY)
    # Where the process mapped the executable's first page: NT_FILE's mapping
    # at file offset 0, else where this executable would have put it.
    seg0 = (exe.segments[0].vaddr & ~(_PAGE - 1)) if exe.segments else 0
    base = next((f.start for f in core.files if f.path == ran and f.offset == 0),
                seg0 + memory.bias)
    page = memory._core_bytes(base, _PAGE) if exe.segments else None
    theirs = go_build_id_in_page(page) if page is not None else None
    ours = printable(exe.go_build_id) if exe.go_build_id else None
    ids = (f"; the core's executable has Go build ID {theirs}, {exe.path.name} has {ours}"
           if theirs and ours and theirs != ours else "")

    def mismatch(detail: str) -> MismatchError:
        return MismatchError(f"{exe.path} does not match the core{where}: {detail}{ids}")

    if entry is not None and not exe.is_pie and entry != exe.entry:
        raise mismatch(f"the process started at {entry:#x}, this executable starts at "
                       f"{exe.entry:#x}")
    if not exe.segments:
        return
    if exe.is_pie and entry is not None and entry - exe.entry != base - seg0:
        raise mismatch("its entry point is not where the process started")
    if page is not None and page != bytes(exe.data[:_PAGE]):
        raise mismatch("different builds" if ids else "their ELF headers differ")
    if entry is not None:
        # gcore snapshots hold the text itself: compare a few bytes at entry.
        text = memory._core_bytes(entry, 64)
        if text is not None:
            link = entry - memory.bias
            if exe.read_static(link, 64) != text:
                raise mismatch("the code at the entry point differs")
    if page is not None or not core.files:
        return None
    compared = "its entry point and where its segments were mapped"
    starts = {f.start for f in core.files if f.path == ran}
    if any((seg.vaddr & ~(_PAGE - 1)) + memory.bias not in starts for seg in exe.segments) \
            or any(f.path == ran and not memory._exe_place(f) for f in core.files):
        raise mismatch("the process mapped the executable's file where this executable's "
                       "program headers do not put it")
    differs = _buildinfo_differs(exe, memory)
    if differs:
        raise mismatch("their Go build information (Go release, modules) differs")
    if differs is False:
        compared = "its entry point, where its segments were mapped and its Go build information"
    return ("the core holds no copy of the executable's first page (the kernel's "
            "coredump_filter left out ELF headers, bit 4), so its Go build ID cannot be "
            f"compared: {exe.path.name} was matched to it by {compared} only")


def _buildinfo_differs(exe: Executable, memory: AddressSpace) -> bool | None:
    """The core's copy of ``.go.buildinfo`` (in the writable data, which the
    kernel dumps with anonymous memory) against the executable's, when it is
    inline (Go 1.18+: no pointers a PIE relocates); None: not compared."""
    sec = exe.sections.get(".go.buildinfo")
    if sec is None or sec.size < 32:
        return None
    ours = exe.section_bytes(".go.buildinfo")
    if ours is None or not ours[15] & 2:
        return None
    size = min(sec.size, _PAGE)
    theirs = memory._core_bytes(sec.addr + memory.bias, size)
    if theirs is None:
        return None
    return theirs != bytes(ours[:size])


def go_build_id_in_page(page: bytes) -> str | None:
    m = _GO_NOTE.search(page)
    return m.group(1).decode() if m else None

