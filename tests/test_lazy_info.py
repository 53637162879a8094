"""A compressed ``.debug_info`` decompressed only as far as it is read (issue #16).

Go 1.19+ compresses its DWARF; a big program's ``.debug_info`` is 30–40 MB,
and what the crash frame's locals need (the units of ``main`` and of the
runtime, the unit holding the types, the runtime's constants) is near its
start. Checked on real cores: after the crash frame's locals only part of
the section is out, and every stack, layout and value is the one read with
the whole section decompressed up front (the code before: ``Sections.
inflating`` answering with the whole section); a name searched for in
what is out so far is found even when the end of what is out cuts it; a
lookup of a runtime constant absent from the release (the layout asks for
those of every release) gives what searching every unit gives; damaged or
cut bytes past what is read raise the clear error where they are met.

The generated big program (``bigprog``) is on request only: its cases skip
unless it was built (``python -m tests.factory build -g 1.19 -s bigprog``).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dapcore.cli import main
from dapcore.dwarf import sections as sections_module
from dapcore.dwarf.constants import TAG_CONSTANT, TAG_STRUCTURE_TYPE
from dapcore.dwarf.reader import Dwarf
from dapcore.dwarf.sections import DwarfError, Sections, debug_section
from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.goruntime.layout import CONSTANT_SPECS, dwarf_layout
from dapcore.govalues.children import children
from dapcore.govalues.summary import text_of
from tests.factory import Fixture, FixtureSpec, cached, full_matrix, matrix

MATRIX = full_matrix()
# One binary per release (1.19+: SHF_COMPRESSED; 1.15: the GNU .zdebug_*).
DWARF_SPECS = [s for s in MATRIX if s.variant.name == "default" and s.scenario.name == "values"]
VALUES_127 = [matrix.spec("1.27", "default", "values")]
# Small programs (most of their .debug_info is the types unit: read to near
# its end), of the three forms of compressed DWARF: .zdebug_* (Go 1.15) and
# SHF_COMPRESSED (1.19+), amd64 and arm64.
SMALL = [matrix.spec("1.15", "default", "nilptr"), matrix.spec("1.19", "default", "nilmap"),
         matrix.spec("1.27", "default", "values"),
         matrix.spec("1.27", "default", "nilmap", "arm64")]
BIGPANIC = [matrix.spec("1.27", "default", "bigpanic")]  # 23 MB binary
BIGPROG = ("1.19", "1.27")


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def _bigprog(minor: str) -> Fixture:
    spec = matrix.spec(minor, "default", "bigprog")
    fx = cached(spec)
    if fx is None:
        pytest.skip(f"{spec.id} is not built (on request only, minutes of compiling): "
                    f"python -m tests.factory build -g {minor} -v default -s bigprog")
    return fx


def _whole_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers made from now on decompress .debug_info whole when opened
    (as before issue #16's lazy .debug_info)."""
    monkeypatch.setattr(Sections, "inflating", lambda self, name: self.get(name))


def _value_texts(v: Any, depth: int = 2) -> list[Any]:
    out: list[Any] = [v.path, text_of(v)]
    if depth:
        out.append([_value_texts(c, depth - 1) for c in children(v, 0, 50)])
    return out


def _first_locals(fx: Fixture) -> tuple[dict[str, Any], Engine]:
    """What an editor's first stop shows: the crashing goroutine's stack and
    the locals of the frame it lands on (with two levels of children)."""
    rep = Engine.open(fx.binary, fx.core, index_cache=False)
    g = rep.crashed_goroutine
    assert g is not None
    frames = rep.stack(g).frames
    index = rep.landing_frame(g.goid)
    values = [(kind, _value_texts(v)) for kind, v in rep.frame_values(g.goid, index)]
    seen = {"frames": [(f.function, f.file, f.line, f.pc, f.inlined) for f in frames],
            "frame": frames[index].function, "values": values,
            "layout": (dict(rep.proc.layout.structs), dict(rep.proc.layout.constants))}
    return seen, rep


def _check_first_locals(fx: Fixture, monkeypatch: pytest.MonkeyPatch,
                        most: float) -> tuple[int, int]:
    got, rep = _first_locals(fx)
    d = rep.proc.dwarf
    assert d is not None
    out, size = d.info_inflated
    assert out <= most * size, f"{out} of {size} bytes of .debug_info decompressed"
    assert got["values"], got["frame"]
    _whole_up_front(monkeypatch)
    want, whole = _first_locals(fx)
    wd = whole.proc.dwarf
    assert wd is not None and wd.info_inflated == (size, size)
    assert got == want
    return out, size


@pytest.mark.parametrize("spec", SMALL, ids=_ids(SMALL))
def test_first_locals_of_small_programs(spec: FixtureSpec, fixture: Fixture,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _check_first_locals(fixture, monkeypatch, most=1.0)


@pytest.mark.parametrize("spec", BIGPANIC, ids=_ids(BIGPANIC))
def test_first_locals_need_part_of_debug_info(spec: FixtureSpec, fixture: Fixture,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The 23 MB benchmark program (its types unit reaches far into the
    section: most of it is out, not all)."""
    _check_first_locals(fixture, monkeypatch, most=0.95)


@pytest.mark.parametrize("minor", BIGPROG)
def test_first_locals_of_the_big_program(minor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated 500-package program: 15% (Go 1.19) and 37% (Go 1.27,
    whose ``internal/abi`` constants the layout needs sit there) of its
    32–39 MB ``.debug_info``."""
    _check_first_locals(_bigprog(minor), monkeypatch, most=0.5)


def _every_unit_of_the_package(d: Dwarf, tag: int, names: list[str]) -> dict[str, int]:
    """The oracle: each name searched in every unit of its package (the
    whole section), the first unit holding it kept."""
    by_pkg: dict[str, list[Any]] = {}
    for u, n in zip(d.units, d.unit_names(), strict=True):
        if n:
            by_pkg.setdefault(n, []).append(u)
    found: dict[str, int] = {}
    for n in names:
        for u in by_pkg.get(n.rsplit(".", 1)[0], ()):
            die = d.find_by_bytes(tag, n, within=u)
            if die is not None:
                found[n] = die.offset
                break
    return found


def _layout(d: Dwarf, exe: Executable, fx: Fixture) -> Any:
    from dapcore.gobin.buildinfo import read_buildinfo

    version = read_buildinfo(exe).go_version.removeprefix("go")
    lay = dwarf_layout(exe, version, d)
    return dict(lay.structs), dict(lay.constants), lay.wait_reason_table


_CONSTANTS = [SMALL[0], *DWARF_SPECS, *BIGPANIC]


@pytest.mark.parametrize("spec", _CONSTANTS, ids=_ids(_CONSTANTS))
def test_runtime_constants_are_those_of_every_unit(spec: FixtureSpec, fixture: Fixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The layout's constant lookup (every release's names, most of them
    absent from any one release) stops at the unit Go's linker wrote the
    package's constants into: what it finds is what searching every unit of
    the package finds, and the layout read so is the one read from the
    whole section."""
    wanted = sorted({n for names, _ in CONSTANT_SPECS.values() for n in names})
    exe = Executable(fixture.binary)
    lazy = Dwarf(exe)
    got = {n: die.offset for n, die in lazy.find(TAG_CONSTANT, wanted).items()}
    out, size = lazy.info_inflated
    oracle = Dwarf(Executable(fixture.binary))
    want = _every_unit_of_the_package(oracle, TAG_CONSTANT, wanted)
    assert got == want
    assert any(n.startswith("runtime._G") for n in got)
    lay = _layout(Dwarf(Executable(fixture.binary)), exe, fixture)
    _whole_up_front(monkeypatch)
    assert _layout(Dwarf(Executable(fixture.binary)), exe, fixture) == lay
    if spec.scenario.name == "bigpanic":
        assert out < size, "the constants needed the whole section"


@pytest.mark.parametrize("minor", BIGPROG)
def test_big_program_constants_need_part_of_debug_info(minor: str) -> None:
    fx = _bigprog(minor)
    wanted = sorted({n for names, _ in CONSTANT_SPECS.values() for n in names})
    lazy = Dwarf(Executable(fx.binary))
    got = {n: die.offset for n, die in lazy.find(TAG_CONSTANT, wanted).items()}
    out, size = lazy.info_inflated
    assert out < size / 2
    assert got == _every_unit_of_the_package(Dwarf(Executable(fx.binary)), TAG_CONSTANT, wanted)


@pytest.mark.parametrize("spec", BIGPANIC, ids=_ids(BIGPANIC))
def test_a_name_cut_by_the_end_of_what_is_out_is_found(spec: FixtureSpec, fixture: Fixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The byte search of the whole section looks in what is out, then in
    more: a structure's name that the end of what is out cuts in two is
    still found, the same DIE as in the whole section."""
    whole = Dwarf(Executable(fixture.binary))
    whole.units  # noqa: B018 (every unit: the whole section)
    g = whole.find_struct("runtime.g")
    assert g is not None
    # the named structures of the types unit after runtime.g, by where their names are
    named = [c for c in whole.children(whole.top(g.unit))
             if c.tag == TAG_STRUCTURE_TYPE and c.name and c.offset > g.offset
             and "." in c.name and "[" not in c.name][:400]
    monkeypatch.setattr(sections_module, "_FEED", 16)  # out in small steps
    monkeypatch.setattr(sections_module, "_FEED_MAX", 16)
    tried = 0
    for die in named:
        assert die.name is not None
        start = whole.dies.info.index(die.name.encode() + b"\0", die.offset)  # after its code
        lazy = Dwarf(Executable(fixture.binary))
        part = lazy.dies.directory._part
        assert part is not None
        part.upto(start + len(die.name) // 2)
        cut = len(part.data)
        tried += 1
        if not start < cut < start + len(die.name):
            continue  # came out whole: try the next one
        if whole.find_by_bytes(TAG_STRUCTURE_TYPE, die.name).offset != die.offset:
            continue  # the first of that name is elsewhere
        found = lazy.find_by_bytes(TAG_STRUCTURE_TYPE, die.name)
        assert found is not None and found.offset == die.offset, die.name
        assert lazy.info_inflated[0] < lazy.info_inflated[1]
        return
    pytest.fail(f"no structure name of {tried} was cut by what was out")


def _damaged_copy(fx: Fixture, tmp_path: Path, where: int, garbage: bytes) -> Path:
    sec = Executable(fx.binary).sections[".debug_info"]
    bad = tmp_path / fx.binary.name
    shutil.copyfile(fx.binary, bad)
    with bad.open("r+b") as f:
        f.seek(sec.offset + (where if where >= 0 else sec.size + where))
        f.write(garbage)
    return bad


@pytest.mark.parametrize("spec", BIGPANIC, ids=_ids(BIGPANIC))
def test_damage_past_what_is_read_is_met_later(spec: FixtureSpec, fixture: Fixture,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The zlib stream's checksum (its last 4 bytes) damaged: the first
    locals never reach it and come as from the good file; what needs the
    whole section (a global that does not exist is searched for in all of
    it) meets it and says so, as reading the whole did."""
    bad = _damaged_copy(fixture, tmp_path, -4, b"\x00\x01\x02\x03")
    with pytest.raises(DwarfError, match=r"\.debug_info is damaged"):
        debug_section(Executable(bad), "info")  # the whole, as before
    code = main(["locals", "--json", "--no-index-cache", str(bad), str(fixture.core)])
    out_bad, err = capsys.readouterr()
    assert code == 0, err
    main(["locals", "--json", "--no-index-cache", str(fixture.binary), str(fixture.core)])
    out_good, _ = capsys.readouterr()
    assert out_bad == out_good
    code = main(["print", "--no-index-cache", str(bad), str(fixture.core), "main.noSuchGlobal"])
    _, err = capsys.readouterr()
    assert code == 1
    assert ".debug_info is damaged" in err and "Traceback" not in err


def _cut_section(path: Path, name: str, by: int) -> None:
    """Make the section header of ``name`` (ELF64 little-endian) ``by``
    bytes shorter: its compressed stream ends early."""
    sec = Executable(path).sections[name]
    with path.open("r+b") as f:
        head = f.read(64)
        shoff, = struct.unpack_from("<Q", head, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", head, 0x3A)
        for i in range(shnum):
            f.seek(shoff + i * shentsize + 0x18)
            offset, size = struct.unpack("<QQ", f.read(16))
            if offset == sec.offset and size == sec.size:
                f.seek(shoff + i * shentsize + 0x20)
                f.write(struct.pack("<Q", size - by))
                return
    raise AssertionError(f"no section header for {name}")


@pytest.mark.parametrize("spec", BIGPANIC, ids=_ids(BIGPANIC))
def test_a_cut_section_says_so_where_its_end_is_read(spec: FixtureSpec, fixture: Fixture,
                                                     tmp_path: Path) -> None:
    bad = tmp_path / fixture.binary.name
    shutil.copyfile(fixture.binary, bad)
    _cut_section(bad, ".debug_info", 64)
    with pytest.raises(DwarfError, match=r"\.debug_info is damaged"):
        debug_section(Executable(bad), "info")
    d = Dwarf(Executable(bad))
    g = d.find_struct("runtime.g")  # near the start: read
    assert g is not None
    with pytest.raises(DwarfError, match=r"\.debug_info is damaged.*truncated"):
        d.units  # noqa: B018 (every unit: to the end)
    with pytest.raises(DwarfError, match=r"\.debug_info is damaged"):
        d.find_by_bytes(TAG_STRUCTURE_TYPE, "main.noSuchType")  # met again, not a hang
    # from then on nothing of the section is read (zlib checks a stream at
    # its end only: what came out before is not known to be good)
    with pytest.raises(DwarfError, match=r"\.debug_info is damaged"):
        d.die(g.offset)
    with pytest.raises(DwarfError, match=r"\.debug_info is damaged"):
        d.find_struct("runtime.g")


@pytest.mark.parametrize("spec", VALUES_127, ids=_ids(VALUES_127))
def test_debug_info_is_never_kept_in_the_index_cache(spec: FixtureSpec, fixture: Fixture,
                                                     tmp_path: Path) -> None:
    """.debug_info is not written to the index cache, in part or whole (even
    once every unit was needed): the next open decompresses it as far as it
    reads again, which costs less than reading a cached whole copy."""
    first = Engine.open(fixture.binary, fixture.core, index_cache=tmp_path)
    d = first.proc.dwarf
    assert d is not None
    d.find_by_bytes(TAG_STRUCTURE_TYPE, "main.noSuchType")  # every unit
    assert d.info_inflated[0] == d.info_inflated[1]
    first.close()
    second = Engine.open(fixture.binary, fixture.core, index_cache=tmp_path)
    d2 = second.proc.dwarf
    assert d2 is not None and not d2.dies.directory.complete  # in order again
    entry = d2.file.index
    assert entry.hits  # the cache was read (the layout, the names)
    assert not any(h.startswith("dwarf.section") and h.endswith("info")
                   for h in (*entry.hits, *entry.misses))
    second.close()


@pytest.mark.parametrize("spec", VALUES_127, ids=_ids(VALUES_127))
def test_uncompressed_dwarf_is_read_whole(spec: FixtureSpec, fixture: Fixture,
                                          tmp_path: Path) -> None:
    """DWARF stored as it is (``objcopy --decompress-debug-sections``, as
    ``-ldflags=-compressdwarf=false`` writes it): read whole, every unit
    known at once, the same locals."""
    from dapcore.goruntime.process import Process

    plain = tmp_path / "zoo-plain"
    subprocess.run(["objcopy", "--decompress-debug-sections", str(fixture.binary), str(plain)],
                   check=True)
    assert not Executable(plain).sections[".debug_info"].flags & 0x800  # SHF_COMPRESSED
    d = Dwarf(Executable(plain))
    assert d.dies.directory.complete and d.info_inflated[0] == d.info_inflated[1]
    # objcopy rewrote the ELF header: the identity check would refuse it
    legacy = Engine(Process(plain, fixture.core, check=False))
    original = Engine.open(fixture.binary, fixture.core, index_cache=False)
    for rep in (legacy, original):
        g = rep.crashed_goroutine
        assert g is not None
    goid = original.default_goid()
    frames = original.stack(original.proc.goroutine(goid)).frames
    compared = 0
    for i, f in enumerate(frames):
        if f.function.startswith("main.values"):
            assert [(k, _value_texts(v)) for k, v in legacy.frame_values(goid, i)] == \
                [(k, _value_texts(v)) for k, v in original.frame_values(goid, i)]
            compared += 1
    assert compared >= 5
