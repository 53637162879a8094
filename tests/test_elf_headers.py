"""The executable's ELF headers, read with ``struct`` (issue #16: pyelftools
took ~25 ms to import at every launch), against pyelftools' reading of the
same real files, and the Go path to the first locals without pyelftools."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from dapcore.elf.elfheader import SH_TYPES, ELFTables
from dapcore.elf.executable import Executable
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

REPO = Path(__file__).resolve().parent.parent
# Executables of several shapes: static, PIE, cgo (dynamic, C sections),
# stripped, an old release, arm64.
SPECS = [make_spec("1.27", "default", "nilptr"), make_spec("1.15", "pie", "nilptr"),
         make_spec("1.27", "default", "cgocrash"), make_spec("1.27", "stripped", "nilptr"),
         make_spec("1.19", "default", "nilmap"), make_spec("1.27", "default", "nilptr", "arm64")]


def _oracle(path: Path) -> dict[str, object]:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return {
            "header": (elf.header.e_entry, elf.header.e_machine, elf.header.e_type,
                       elf.little_endian, elf.elfclass),
            "segments": [(s.header.p_vaddr, s.header.p_memsz, s.header.p_offset,
                          s.header.p_filesz, s.header.p_flags)
                         for s in elf.iter_segments() if s.header.p_type == "PT_LOAD"],
            "sections": [(s.name, s.header.sh_addr, s.header.sh_offset, s.header.sh_size,
                          s.header.sh_type, s.header.sh_flags) for s in elf.iter_sections()],
        }


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_headers_as_pyelftools_reads_them(spec: FixtureSpec, fixture: Fixture) -> None:
    want = _oracle(fixture.binary)
    exe = Executable(fixture.binary)
    try:
        entry, machine, etype, little, elfclass = want["header"]  # type: ignore[misc]
        assert (exe.entry, exe.machine, exe.is_pie, exe.little_endian, exe.ptr_size) == (
            entry, machine, etype == "ET_DYN", little, elfclass // 8)
        assert [tuple(s) for s in exe.segments] == want["segments"]
        sections = want["sections"]
        assert isinstance(sections, list)
        assert {s[0] for s in sections} == set(exe.sections)
        for name, addr, offset, size, sh_type, flags in sections:
            mine = exe.sections[name]
            assert (mine.addr, mine.offset, mine.size, mine.flags) == (addr, offset, size, flags)
            # the types dapcore tests are named as pyelftools names them
            assert mine.type == sh_type or mine.type not in SH_TYPES.values(), name
    finally:
        exe.close()
    # the core is an ELF file too: its program headers as pyelftools reads them
    with open(fixture.core, "rb") as f:
        core = ELFFile(f)
        loads = [(s.header.p_type, s.header.p_offset, s.header.p_vaddr, s.header.p_filesz)
                 for s in core.iter_segments()]
    tables = ELFTables(fixture.core.read_bytes()[:1 << 20])
    assert [(t, o, v, fs) for t, _fl, o, v, fs, _m in tables.segments] == [
        (1 if t == "PT_LOAD" else 4 if t == "PT_NOTE" else t, o, v, fs) for t, o, v, fs in loads]


_FIRST_LOCALS = """
import json, sys
from dapcore.engine import Engine
e = Engine.open(sys.argv[1], sys.argv[2])
goid = e.default_goid()
values = e.frame_values(goid, e.landing_frame(goid))
print(json.dumps({"locals": len(values), "elftools": sorted(m for m in sys.modules
                                                           if m.startswith("elftools"))}))
"""


@pytest.mark.parametrize("spec", SPECS[:1], ids=[SPECS[0].id])
def test_first_locals_without_pyelftools(spec: FixtureSpec, fixture: Fixture) -> None:
    """Opening a Go core and reading its crash frame's locals imports no
    pyelftools (only C frames' line tables use it)."""
    out = subprocess.run([sys.executable, "-c", _FIRST_LOCALS, str(fixture.binary),
                          str(fixture.core)], capture_output=True, text=True, cwd=REPO,
                         timeout=120, check=True)
    seen = json.loads(out.stdout)
    assert seen["locals"] > 0 and seen["elftools"] == [], seen
