"""The index cache (issue #16): a second open of a core of the same build
reads what the first derived from the executable, answers exactly as an
open without the cache does, and a cache file that is damaged, truncated,
of another build, planted or unwritable changes nothing but the time.

Every test names its own cache directory (``tmp_path``); the suite's
shared one (tests/conftest.py) is not used here. Each open is compared
with an open of the same files with the cache off, and the crashed
goroutine's stack also with the runtime's own traceback (stderr.txt).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.errors import DapcoreError
from dapcore.goruntime.traceback import printed_frames
from dapcore.govalues.summary import text_of
from dapcore.indexcache import IndexCache
from dapcore.indexcache.fileformat import HEAD_SIZE
from dapcore.indexcache.store import SUFFIX
from tests.dap.harness import Client, start_session
from tests.factory import Fixture, FixtureSpec, ensure
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback
from tests.test_dap_security import tcp_server
from tests.test_engine import assert_same_frames

REPO = Path(__file__).resolve().parent.parent

SMALL = make_spec("1.27", "default", "nilptr")
SPECS = [
    SMALL,
    make_spec("1.19", "default", "nilptr"),
    make_spec("1.15", "default", "nilptr"),  # .zdebug_* sections, the 1.2 pclntab
    make_spec("1.27", "pie", "nilptr"),
    make_spec("1.27", "stripped", "nilptr"),  # no DWARF: the name lookups alone
    make_spec("1.27", "default", "bigpanic"),  # 23 MB
    make_spec("1.27", "debuglink", "nilmap"),  # DWARF in a separate debug file: its own entry
    make_spec("1.27", "debuglink", "nilmap", "arm64"),  # the same, arm64 (split by its objcopy)
]
OTHER_BUILD = make_spec("1.19", "default", "nilptr")
THIRD_BUILD = make_spec("1.27", "pie", "nilptr")


def _open(fx: Fixture, cache: Any, binary: Path | None = None) -> Engine:
    return Engine.open(str(binary or fx.binary), str(fx.core), index_cache=cache)


def snapshot(e: Engine) -> dict[str, Any]:
    """Everything an editor shows on opening: every goroutine's stack, the
    crash, the landing frame's values, the warnings."""
    g = e.crashed_goroutine or e.goroutines[0]
    index = e.landing_frame(g.goid)
    try:
        values: Any = [(k, v.name, text_of(v)) for k, v in e.frame_values(g.goid, index)]
    except DapcoreError as exc:  # a stripped binary: no values, and why
        values = str(exc)
    return {
        "stacks": {h.goid: [(f.function, f.file, f.line, f.inlined, f.pc, f.sp)
                            for f in e.stack(h).frames] for h in e.goroutines},
        "crash": repr(e.crash),
        "layout": e.proc.layout,
        "values": (g.goid, index, values),
        "warnings": list(e.warnings),
    }


def entry_files(d: Path) -> list[Path]:
    """The entries in ``d`` (40 hex digits, then .idx)."""
    return sorted(p for p in d.glob("*" + SUFFIX) if re.fullmatch(r"[0-9a-f]{40}", p.stem))


def cache_entries(e: Engine) -> list[Any]:
    """The entries in use: the executable's, its separate debug file's."""
    files = [e.proc.exe, e.proc.exe.__dict__.get("debug_file")]
    return [x.index for x in files if x is not None and x.index.enabled]


class Parts:
    """The parts found and derived over an engine's entries."""

    def __init__(self, e: Engine) -> None:
        entries = cache_entries(e)
        self.hits = [h for x in entries for h in x.hits]
        self.misses = [m for x in entries for m in x.misses]


def check_oracle(e: Engine, fx: Fixture) -> None:
    with open(fx.stderr, errors="replace") as f:
        tb = parse_traceback(f.read())
    g = e.crashed_goroutine
    assert g is not None
    og = tb.goroutine(g.goid)
    assert og is not None
    assert_same_frames(printed_frames(e.stack(g).frames, e.crash, True), og,
                       f"goroutine {g.goid}")


@pytest.fixture(scope="module")
def plain() -> dict[str, dict[str, Any]]:
    """Snapshots of opens without the cache, by fixture id."""
    return {}


def plain_snapshot(fx: Fixture, plain: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if fx.spec.id not in plain:
        e = _open(fx, False)
        plain[fx.spec.id] = snapshot(e)
        e.close()
    return plain[fx.spec.id]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_second_open_is_the_first(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                  plain: dict[str, dict[str, Any]]) -> None:
    want = plain_snapshot(fixture, plain)
    first = _open(fixture, tmp_path)
    assert snapshot(first) == want
    parts = Parts(first)
    assert parts.misses and not parts.hits  # a cold cache: everything derived
    first.close()
    files = entry_files(tmp_path)
    assert len(files) == len(cache_entries(first))  # one per file (and debug file)
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    stamps = [f.stat().st_mtime_ns for f in files]
    second = _open(fixture, tmp_path)
    assert snapshot(second) == want
    check_oracle(second, fixture)
    parts = Parts(second)
    assert parts.hits and not parts.misses, parts.misses  # all of it found
    if spec.variant.dwarf or spec.variant.name == "debuglink":
        assert any(h.startswith("dwarf.section") for h in parts.hits)
        assert "runtime.layout" in parts.hits  # (the PC → unit index grows unit by unit: not kept)
    assert "pclntab.names" in parts.hits
    second.close()
    assert entry_files(tmp_path) == files  # nothing new: not rewritten
    assert [f.stat().st_mtime_ns for f in files] >= stamps


def _warm(fx: Fixture, d: Path) -> Path:
    """The entry file of ``fx``'s executable in ``d``, after an open."""
    e = _open(fx, d)
    snapshot(e)
    e.close()
    entry = e.proc.exe.index
    assert entry.cache is not None
    f = entry.cache.path_of(entry.key)
    assert f in entry_files(d)
    return f


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def _part_offset(path: Path, name_prefix: str) -> int:
    """File offset of the middle of the first part whose name starts with
    ``name_prefix``."""
    raw = path.read_bytes()
    (hlen,) = struct.unpack_from("<I", raw, 12)
    header = json.loads(raw[HEAD_SIZE:HEAD_SIZE + hlen])
    for name, _kind, off, length, *_ in header["parts"]:
        if name.startswith(name_prefix):
            return HEAD_SIZE + hlen + off + length // 2
    raise AssertionError(f"no part {name_prefix}")


DAMAGE = ["truncated", "truncated-header", "empty", "flipped-header", "flipped-section",
          "flipped-layout", "garbage", "other-build", "format-version", "symlink",
          "world-writable", "directory"]


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_bad_cache_file_changes_nothing(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                          damage: str, plain: dict[str, dict[str, Any]]) -> None:
    want = plain_snapshot(fixture, plain)
    d = tmp_path / "cache"
    f = _warm(fixture, d)
    good = f.read_bytes()
    if damage == "truncated":
        f.write_bytes(good[:len(good) * 2 // 3])
    elif damage == "truncated-header":
        f.write_bytes(good[:HEAD_SIZE + 10])
    elif damage == "empty":
        f.write_bytes(b"")
    elif damage == "flipped-header":
        _flip(f, HEAD_SIZE + 20)
    elif damage == "flipped-section":
        _flip(f, _part_offset(f, "dwarf.section"))
    elif damage == "flipped-layout":
        _flip(f, _part_offset(f, "runtime.layout"))
    elif damage == "garbage":
        f.write_bytes(os.urandom(len(good)))
    elif damage == "other-build":  # another build's entry under this build's name
        other = _warm(_fixture_of(OTHER_BUILD), tmp_path / "other")
        shutil.copyfile(other, f)
    elif damage == "format-version":
        f.write_bytes(good[:8] + struct.pack("<I", 999) + good[12:])
    elif damage == "symlink":  # planted: a link to a file elsewhere
        target = tmp_path / "elsewhere.idx"
        target.write_bytes(good)
        f.unlink()
        f.symlink_to(target)
    elif damage == "world-writable":
        f.chmod(0o666)
    elif damage == "directory":
        f.unlink()
        f.mkdir()
    e = _open(fixture, d)
    assert snapshot(e) == want
    (entry,) = cache_entries(e)
    if damage not in ("flipped-section", "flipped-layout"):
        assert not entry.hits  # nothing of it was used
    else:  # the damaged part alone is derived again
        assert entry.misses and entry.hits
    e.close()
    if damage == "directory":
        assert f.is_dir()  # not ours to remove: the entry is not written
        return
    # replaced by a good one: the next open finds everything
    assert f.is_file() and not f.is_symlink()
    if damage == "symlink":
        assert (tmp_path / "elsewhere.idx").read_bytes() == good  # left alone
    if damage == "world-writable":
        assert f.stat().st_mode & 0o777 == 0o600
    again = _open(fixture, d)
    assert snapshot(again) == want
    (entry,) = cache_entries(again)
    assert entry.hits and not entry.misses
    again.close()


def _fixture_of(spec: FixtureSpec) -> Fixture:
    return ensure(spec)


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_a_changed_section_is_noticed(spec: FixtureSpec, fixture: Fixture,
                                      tmp_path: Path) -> None:
    """A copy of the executable changed inside its DWARF, headers and build
    ids kept (same key): the parts derived from the DWARF are not used, and
    the open answers as it does without the cache."""
    d = tmp_path / "cache"
    _warm(fixture, d)
    copy = tmp_path / "zoo"
    shutil.copyfile(fixture.binary, copy)
    exe = Executable(copy)
    sec = exe.sections[".debug_info"]
    exe.close()
    assert Executable(copy).index is not None
    _flip(copy, sec.offset + sec.size // 2)  # inside the compressed bytes

    def outcome(cache: Any) -> Any:
        try:
            e = _open(fixture, cache, copy)
        except DapcoreError as exc:
            return "error", str(exc).replace(str(copy), "X")
        try:
            return snapshot(e)
        except DapcoreError as exc:
            return "error", str(exc)
        finally:
            e.close()

    assert outcome(d) == outcome(False)


def test_a_changed_pclntab_name_is_not_trusted(tmp_path: Path) -> None:
    """A remembered function position is used only when the function there
    has the name looked up."""
    fx = _fixture_of(SMALL)
    d = tmp_path / "cache"
    _warm(fx, d)
    e = _open(fx, d)
    tab = e.proc.pclntab
    names = tab._memo._load()
    assert names.get("runtime.goexit", -1) >= 0
    other = next(n for n, i in names.items() if i >= 0 and n != "runtime.goexit")
    names["runtime.goexit"] = names[other]  # a position that holds another function
    f = tab.func_by_name("runtime.goexit")
    assert f is not None and f.name == "runtime.goexit"
    e.close()


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_an_unusable_cache_directory(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                     plain: dict[str, dict[str, Any]]) -> None:
    want = plain_snapshot(fixture, plain)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # anyone may write here: not used
    for where in (blocker / "index", blocker, shared):
        e = _open(fixture, where)
        assert snapshot(e) == want
        e.close()
    assert blocker.read_text() == "not a directory"
    assert list(shared.iterdir()) == []
    if os.geteuid() != 0:  # root writes anywhere: the mode cannot stop it
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        e = _open(fixture, ro)
        assert snapshot(e) == want
        e.close()
        assert list(ro.iterdir()) == []


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_off_writes_nothing(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAPCORE_INDEX_CACHE", "off")
    e = _open(fixture, None)
    snapshot(e)
    assert e.proc.exe.index.enabled is False
    e.close()
    monkeypatch.delenv("DAPCORE_INDEX_CACHE")
    e = _open(fixture, False)
    snapshot(e)
    e.close()
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()
    # the default place, when nothing says otherwise
    e = _open(fixture, None)
    snapshot(e)
    e.close()
    assert len(entry_files(tmp_path / "xdg" / "dapcore" / "index")) == 1


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_the_cli_passes_the_setting(spec: FixtureSpec, fixture: Fixture,
                                    tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAPCORE_INDEX_CACHE": str(tmp_path / "env")}

    def run(*flags: str) -> str:
        p = subprocess.run([sys.executable, "-m", "dapcore", "locals", *flags,
                            str(fixture.binary), str(fixture.core)],
                           env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout

    out = run("--no-index-cache")
    assert not (tmp_path / "env").exists()
    assert run("--index-cache", str(tmp_path / "flag")) == out
    assert len(entry_files(tmp_path / "flag")) == 1
    assert run() == out  # the environment's
    assert run() == out
    assert len(entry_files(tmp_path / "env")) == 1


def test_the_size_bound_evicts_the_least_recently_used(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fxs = [_fixture_of(s) for s in (SMALL, OTHER_BUILD, THIRD_BUILD)]
    sizes = [_warm(fx, tmp_path / str(i)).stat().st_size for i, fx in enumerate(fxs)]
    # room for any two entries (each at most half of it), not for three
    limit = max(2 * max(sizes), sum(sizes) - min(sizes))
    assert limit < sum(sizes), sizes
    monkeypatch.setenv("DAPCORE_INDEX_CACHE_MB", str(limit / (1 << 20)))
    d = tmp_path / "bounded"
    first = _warm(fxs[0], d)
    second = _warm(fxs[1], d)
    os.utime(first, (2, 2))
    os.utime(second, (1, 1))  # the least recently used
    e = _open(fxs[0], d)  # reading an entry makes it the most recently used
    snapshot(e)
    e.close()
    assert first.stat().st_mtime > 2
    third = _warm(fxs[2], d)
    assert entry_files(d) == sorted([first, third])
    assert sum(p.stat().st_size for p in entry_files(d)) <= limit
    # an entry never takes more than half the bound: its largest parts go
    small = IndexCache(tmp_path / "tiny", "x", limit=1000)
    parts = [("big", "b", b"x" * 501, (), 0), ("small", "b", b"y", (), 0)]
    assert [p[0] for p in small.fit(parts)] == ["small"]


def test_stale_temporary_files_go_and_others_stay(tmp_path: Path) -> None:
    fx = _fixture_of(SMALL)
    d = tmp_path / "cache"
    d.mkdir(mode=0o700)
    dead = d / (".%s.123.456.tmp" % ("a" * 40))
    dead.write_bytes(b"half")
    mine = d / "notes.tmp"
    mine.write_text("a person's file")
    other = d / "report.idx"
    other.write_text("not an entry")
    for p in (dead, mine, other):
        os.utime(p, (1, 1))
    _warm(fx, d)
    assert not dead.exists() and mine.exists() and other.exists()


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_concurrent_writers_leave_a_good_file(spec: FixtureSpec, fixture: Fixture,
                                              tmp_path: Path,
                                              plain: dict[str, dict[str, Any]]) -> None:
    """Several processes opening the same build at once: each writes its
    own temporary file and renames it; the entry is always a whole one."""
    d = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAPCORE_INDEX_CACHE": str(d)}
    procs = [subprocess.Popen([sys.executable, "-m", "dapcore", "locals", str(fixture.binary),
                               str(fixture.core)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(3)]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    assert len(entry_files(d)) == 1
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]
    e = _open(fixture, d)
    assert snapshot(e) == plain_snapshot(fixture, plain)
    (entry,) = cache_entries(e)
    assert entry.hits and not entry.misses
    e.close()


def _dap_locals(fx: Fixture, **launch: Any) -> list[tuple[str, str]]:
    """A DAP session to the focused frame's Locals, ended with disconnect."""
    with Client.spawn() as c:
        stopped = start_session(c, {"type": "gocore", "request": "launch",
                                    "program": str(fx.binary), "coreFilePath": str(fx.core),
                                    **launch})
        frames = c.ok("stackTrace", {"threadId": stopped["body"]["threadId"], "startFrame": 0,
                                     "levels": 20})["stackFrames"]
        top = next(f for f in frames if f.get("source")
                   and f["source"].get("presentationHint") != "deemphasize")
        scopes = c.ok("scopes", {"frameId": top["id"]})["scopes"]
        ref = next(s for s in scopes if s["name"].startswith("Locals"))["variablesReference"]
        got = [(v["name"], v["value"]) for v in c.ok("variables", {"variablesReference": ref})[
            "variables"]]
        c.ok("disconnect")
        assert c.close() == 0
        assert not c.problems
    return got


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_the_launch_attribute(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAPCORE_INDEX_CACHE", str(tmp_path / "env"))
    want = _dap_locals(fixture, indexCache=False)
    assert want and not (tmp_path / "env").exists()
    assert _dap_locals(fixture, indexCache=str(tmp_path / "attr")) == want
    assert len(entry_files(tmp_path / "attr")) == 1 and not (tmp_path / "env").exists()
    assert _dap_locals(fixture) == want  # the environment's (true: the same)
    assert _dap_locals(fixture, indexCache=True) == want
    assert len(entry_files(tmp_path / "env")) == 1
    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "dapcore"})
        r = c.request("launch", {"type": "gocore", "request": "launch",
                                 "coreFilePath": str(fixture.core), "indexCache": 3})
        assert not r["success"] and "indexCache" in r["message"]


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_a_remote_client_does_not_choose_the_directory(spec: FixtureSpec, fixture: Fixture,
                                                       tmp_path: Path) -> None:
    """Over TCP the client may be another user: 'indexCache' may turn the
    cache off, never point it at a directory."""
    where = tmp_path / "chosen"
    with tcp_server("--listen", "127.0.0.1:0") as (_, port), \
            Client.connect("127.0.0.1", port) as c:
        c.ok("initialize", {"adapterID": "dapcore"})
        r = c.request("launch", {"type": "gocore", "request": "launch",
                                 "program": str(fixture.binary),
                                 "coreFilePath": str(fixture.core), "indexCache": str(where)})
        assert not r["success"] and "indexCache" in r["message"]
    assert not where.exists()


@pytest.mark.parametrize("spec", [SMALL], ids=[SMALL.id])
def test_written_in_the_background(spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    """Without close(), the entry is written a second after the last
    addition (a session that is killed later still leaves it)."""
    e = _open(fixture, tmp_path)
    snapshot(e)
    deadline = time.monotonic() + 30
    while not entry_files(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(entry_files(tmp_path)) == 1
    assert not e.proc.exe.index.dirty
    e.close()


def test_a_changed_dapcore_does_not_read_an_older_ones_entries(tmp_path: Path) -> None:
    """The key holds a hash of the code that derives what is kept: changing
    it (here a copy of one of those modules) changes every key."""
    from dapcore.goruntime import indexing
    from dapcore.indexcache import code_digest

    files = [m.__file__ for m in indexing.DERIVING]
    assert all(files)
    copy = tmp_path / "layout.py"
    shutil.copyfile(files[0], copy)
    before = code_digest([*files[1:], copy], "v")
    copy.write_text(copy.read_text() + "\n# changed\n")
    assert code_digest([*files[1:], copy], "v") != before
    assert code_digest(files, "v") != code_digest(files, "w")
    cache = indexing.open_index_cache(tmp_path / "c")
    assert cache is not None and cache.code == code_digest(
        files, f"{indexing.__version__}/{sys.byteorder}")


def test_processes_spawned_from_threads_do_not_wait_on_the_cache(tmp_path: Path) -> None:
    """The cache's fork safety is the report worker's own business
    (``fork_guard``), not an at-fork hook: two threads spawning programs
    with a ``preexec_fn`` (a fork that runs Python's at-fork handlers)
    while an engine with a cache is open finish (such a hook, taking the
    entries' locks from two forking threads at once, deadlocked the fixture
    factory in an empty-HOME run)."""
    import threading

    from tests.factory import ensure

    fx = ensure(SMALL)
    engine = Engine.open(fx.binary, fx.core, index_cache=str(tmp_path))
    engine.goroutine_count  # noqa: B018 (reads and caches indexes: the entry is live)
    errors: list[BaseException] = []

    def spawn() -> None:
        try:
            for _ in range(30):
                subprocess.run(["true"], preexec_fn=lambda: None, check=True, timeout=10)
        except BaseException as exc:  # (reported below)
            errors.append(exc)
    threads = [threading.Thread(target=spawn) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "spawning hung"
    assert not errors
    engine.close()
