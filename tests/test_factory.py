"""The fixture factory itself: a capture whose printout and core are not one
instant is captured again; one fixture can be captured again or dropped on
request; a test session says what it builds; arm64 fixtures are made under
qemu, in a matrix of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import Fixture, FixtureSpec, arm64_matrix, check, full_matrix, pipeline, produce
from tests.factory.__main__ import main as factory_main
from tests.factory.check import check_capture
from tests.factory.matrix import ARM64_VARIANTS, debuginfo_matrix, select
from tests.factory.matrix import spec as make_spec
from tests.factory.paths import REPO, cache_root, fixture_dir
from tests.factory.toolchains import TOOLCHAINS
from tests.oracle import parse_traceback

GP = make_spec("1.27", "default", "goroutinepanic")
SNAP = make_spec("1.27", "default", "snapshot")
NILMAP = make_spec("1.27", "default", "nilmap")


def copy_fixture(fx: Fixture, dest: Path) -> Path:
    dest.mkdir()
    subprocess.run(["cp", "--sparse=always", str(fx.core), str(dest / "core")], check=True)
    for name in ("stderr.txt", "facts.json", "stack.txt"):
        if (fx.directory / name).exists():
            (dest / name).write_bytes((fx.directory / name).read_bytes())
    return dest


def set_printed_status(directory: Path, function: str, status: str) -> int:
    """Rewrite the printout's header of the goroutine running ``function``
    as if it had been printed in another state; its id."""
    text = (directory / "stderr.txt").read_text()
    g = next(g for g in parse_traceback(text).goroutines if function in g.functions())
    lines = text.split("\n")
    head = lines[g.lineno - 1]
    assert head.startswith(f"goroutine {g.id} ") and head.endswith("]:")
    lines[g.lineno - 1] = head[:head.rindex("[") + 1] + status + "]:"
    (directory / "stderr.txt").write_text("\n".join(lines))
    return g.id


@pytest.mark.parametrize("spec", [GP], ids=[GP.id])
def test_check_tells_a_capture_race_from_other_disagreements(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    same = check_capture(copy_fixture(fixture, tmp_path / "same"), fixture.binary,
                         spec.scenario)
    assert same.error is None and same.disagreements == [] and not same.recapture
    # The scavenger woke between the printout and the dump: a capture race.
    racy = copy_fixture(fixture, tmp_path / "racy")
    goid = set_printed_status(racy, "runtime.bgscavenge", "runnable")
    result = check_capture(racy, fixture.binary, spec.scenario)
    assert result.recapture
    [d] = result.disagreements
    assert (d.goroutine, d.function, d.printed, d.program_controls) == (
        goid, "runtime.bgscavenge", "runnable", False)
    assert f"goroutine {goid} (runtime.bgscavenge): " in result.summary()
    # A goroutine of the program disagreeing is not the factory's to hide.
    user = copy_fixture(fixture, tmp_path / "user")
    set_printed_status(user, "main.parkChanRecv", "select")
    set_printed_status(user, "runtime.bgscavenge", "runnable")
    result = check_capture(user, fixture.binary, spec.scenario)
    assert len(result.disagreements) == 2 and not result.recapture


@pytest.mark.parametrize("spec", [SNAP], ids=[SNAP.id])
def test_check_of_a_snapshot_uses_its_stack_dump(spec: FixtureSpec, fixture: Fixture) -> None:
    """runtime.Stack leaves the runtime's goroutines out and the dumper is
    gone by the snapshot: neither is a disagreement."""
    result = check_capture(fixture.directory, fixture.binary, spec.scenario)
    assert result.oracle == "stack.txt"
    assert result.error is None and result.disagreements == []


def make_cache(root: Path, shared: tuple[str, ...]) -> Path:
    """A cache of its own, sharing these folders of the real one."""
    real = cache_root()
    root.mkdir()
    for name in shared:
        (real / name).mkdir(exist_ok=True)
        (root / name).symlink_to(real / name)
    return root


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of its own for fixtures (toolchains and binaries shared)."""
    root = make_cache(tmp_path / "cache", ("toolchains", "bin"))
    monkeypatch.setenv("DAPCORE_CACHE", str(root))
    return root


def test_racy_cached_fixture_is_captured_again(own_cache: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    made = produce(NILMAP)
    assert made.action == "built" and made.recaptures == [] and made.warning is None
    meta = made.fixture.meta
    assert meta["captureAttempts"] == 1 and meta["check"]["agrees"]
    assert made.fixture.directory.is_relative_to(own_cache)
    assert produce(NILMAP).action == "cached"

    # A core cached before captures were checked, whose printout raced:
    # checked on first use, captured again, the reason recorded.
    directory = made.fixture.directory
    goid = set_printed_status(directory, "runtime.bgscavenge", "runnable")
    meta["check"]["version"] = 1  # checked by an older factory, or never
    (directory / "meta.json").write_text(json.dumps(meta))
    again = produce(NILMAP)
    assert again.action == "built" and again.warning is None
    [why] = again.recaptures
    assert why.startswith(f"goroutine {goid} (runtime.bgscavenge): ")
    assert again.fixture.meta["captureAttempts"] == 2
    assert again.fixture.meta["recaptured"] == [why]
    assert again.fixture.meta["check"]["agrees"]
    assert "re-captured 1x (goroutine " in again.describe()

    # --force captures one fixture again; drop deletes it.
    pid = again.fixture.facts()["pid"]
    assert factory_main(["build", "-g", "1.27", "-v", "default", "-s", "nilmap",
                         "--force"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] go1.27-default-nilmap: built" in out
    assert json.loads((directory / "facts.json").read_text())["pid"] != pid
    assert factory_main(["drop", "-g", "1.27", "-v", "default", "-s", "nilmap"]) == 0
    assert "dropped  go1.27-default-nilmap" in capsys.readouterr().out
    assert not directory.exists()


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_one_fixture(spec: FixtureSpec, fixture: Fixture) -> None:
    """(Run by the next test in a session of its own.)"""
    assert fixture.core.stat().st_size > 0


def test_session_prints_fixture_progress(tmp_path: Path) -> None:
    """``python -m pytest`` on a cold cache says what it builds, under
    pytest's output capture (the toolchain and Go's build cache are shared)."""
    root = make_cache(tmp_path / "cache", ("toolchains", "gocache"))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_factory.py::test_one_fixture"],
        cwd=REPO, env=dict(os.environ, DAPCORE_CACHE=str(root)), capture_output=True,
        text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("fixture factory: 1 fixtures") for ln in lines), proc.stdout
    assert (f"fixture factory: compiling zoo with Go {NILMAP.toolchain.version} (default)"
            in lines), proc.stdout
    assert "fixture factory: [1/1] go1.27-default-nilmap: built" in lines
    assert any(ln.startswith("fixture factory: 1 fixtures ready in ") and "1 built" in ln
               for ln in lines)


ARM64_NILMAP = make_spec("1.27", "default", "nilmap", "arm64")


def test_arm64_is_a_matrix_of_its_own() -> None:
    """arm64 fixtures have their own ids and folders and are part of
    full_matrix() (the engine's tests) after amd64's; amd64's ids and folders
    are as they were."""
    full, arm = full_matrix(), arm64_matrix()
    amd = [s for s in full if s.arch == "amd64"]
    assert full == amd + arm
    assert all("-arm64-" not in s.id for s in amd)
    assert all(s.id.startswith(f"go{s.toolchain.minor}-arm64-") for s in arm)
    assert NILMAP.id == "go1.27-default-nilmap"
    assert NILMAP.directory == fixture_dir() / "go1.27" / "default" / "nilmap"
    assert ARM64_NILMAP.id == "go1.27-arm64-default-nilmap"
    assert ARM64_NILMAP.directory == fixture_dir() / "arm64" / "go1.27" / "default" / "nilmap"
    assert select() == full + debuginfo_matrix()
    assert select(arch=["arm64"]) == arm
    assert select(go=["1.27"], scenario=["nilmap"], variant=["default"]) == [NILMAP]
    assert select(go=["1.27"], scenario=["nilmap"], variant=["default"],
                  arch=["arm64"]) == [ARM64_NILMAP]
    assert {s.toolchain.minor for s in arm} == {tc.minor for tc in TOOLCHAINS}
    assert {s.variant.name for s in arm if s.toolchain.minor == "1.27"} == set(ARM64_VARIANTS)
    assert {s.variant.name for s in arm if s.toolchain.minor == "1.22"} == {"default"}
    names = {s.scenario.name for s in arm}
    assert names == {s.scenario.name for s in full} - {"snapshot"}
    why = make_spec("1.27", "default", "snapshot", "arm64").applicable()
    assert why is not None and "gdbstub" in why
    # the cgo scenarios have cgo on arm64 too (the cross compiler); nothing else does
    cgo = make_spec("1.27", "default", "cgocrash", "arm64")
    assert cgo.applicable() is None and cgo.cgo
    assert not make_spec("1.27", "default", "nilmap", "arm64").cgo


def test_the_separate_debug_info_fixtures_are_built_for_arm64_too() -> None:
    """debuginfo_matrix() — in the factory's default build set — holds
    the same debuglink and buildid fixtures for both architectures (Go 1.23
    and 1.27), arm64's in ids and folders of their own; neither architecture's standard matrix
    has them (their binaries hold no DWARF of their own)."""
    split = debuginfo_matrix()
    arm = [s for s in split if s.arch == "arm64"]
    assert split == [s for s in split if s.arch == "amd64"] + arm
    def shape(s: FixtureSpec) -> tuple[str, str, str]:
        return s.toolchain.minor, s.variant.name, s.scenario.name

    assert {shape(s) for s in arm} == {shape(s) for s in split if s.arch == "amd64"}
    assert {"1.23", "1.27"} <= {s.toolchain.minor for s in arm}
    link = make_spec("1.27", "debuglink", "nilmap", "arm64")
    assert link in arm and link.id == "go1.27-arm64-debuglink-nilmap"
    assert link.directory == fixture_dir() / "arm64" / "go1.27" / "debuglink" / "nilmap"
    assert all(s in select() for s in arm)
    assert not any(s.variant.split for s in full_matrix())
    why = make_spec("1.27", "buildid", "goroutinepanic", "arm64").applicable()
    assert why is not None and "nilptr, values only" in why
    why = make_spec("1.21", "buildid", "nilptr", "arm64").applicable()
    assert why is not None and "-B gobuildid" in why


def test_arm64_fixture_under_qemu(own_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An arm64 capture: qemu's guest core kept, its own x86-64 core gone;
    made while the engine did not read the architecture (as arm64 once was),
    the check is recorded as skipped, then run once when it does; --arch on
    the command line."""
    with monkeypatch.context() as m:
        m.setattr(pipeline, "engine_refuses", lambda goarch: "not read yet")
        m.setattr(check, "engine_refuses", lambda goarch: "not read yet")
        made = produce(ARM64_NILMAP)
        assert made.action == "built" and made.warning is None
        fx = made.fixture
        meta = fx.meta
        assert meta["check"]["skipped"] == "not read yet"
        assert meta["check"]["agrees"] is None and meta["check"]["disagreements"] == []
        assert produce(ARM64_NILMAP).action == "cached"
    assert fx.directory.is_relative_to(own_cache / "fixtures" / "arm64")
    assert meta["coreMethod"] == "qemu" and meta["signal"] == "SIGABRT"
    assert meta["argv"][0].endswith("qemu-aarch64-static")
    assert any(v.startswith("qemu-user-static ") for v in meta["emulator"])
    assert meta["coreMachine"] == "EM_AARCH64"
    assert not list(fx.directory.glob("qemu_*")) and not list(fx.directory.glob("core.*"))
    assert fx.core.stat().st_blocks * 512 < fx.core.stat().st_size  # sparse
    # The engine reads arm64: the cached core is checked once, and agrees.
    again = produce(ARM64_NILMAP)
    assert again.action == "checked" and again.recaptures == []
    assert again.fixture.meta["check"]["skipped"] is None
    assert again.fixture.meta["check"]["agrees"] is True
    assert again.fixture.directory.is_relative_to(own_cache)
    assert produce(ARM64_NILMAP).action == "cached"

    assert factory_main(["list", "--arch", "arm64", "-g", "1.27", "-v", "default",
                         "-s", "nilmap"]) == 0
    assert capsys.readouterr().out.startswith("built  go1.27-arm64-default-nilmap ")
    assert factory_main(["build", "--arch", "arm64", "-g", "1.27", "-v", "default",
                         "-s", "nilmap", "--force"]) == 0
    assert "[1/1] go1.27-arm64-default-nilmap: built" in capsys.readouterr().out
    assert factory_main(["drop", "--arch", "arm64", "-g", "1.27", "-v", "default",
                         "-s", "nilmap"]) == 0
    assert "dropped  go1.27-arm64-default-nilmap" in capsys.readouterr().out
    assert not fx.directory.exists()


def test_generated_program_is_deterministic_and_on_request(tmp_path: Path) -> None:
    """The big program's generator (issue #16) writes the same module from
    the same version, seed and sizes (its cache key names nothing else),
    other bytes from another seed; main imports and calls every package;
    its scenario is built on request only, never in the matrix."""
    import hashlib

    from tests.factory import build, generate
    from tests.factory.variants import VARIANTS

    def digest(root: Path) -> str:
        h = hashlib.sha256()
        for p in sorted(root.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
        return h.hexdigest()

    small = generate.Shape(packages=3, funcs=4, types=2)
    generate.write_module(tmp_path / "a", small, 7)
    generate.write_module(tmp_path / "b", small, 7)
    generate.write_module(tmp_path / "c", small, 8)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")
    assert generate.generated_key(small, 7) == generate.generated_key(small, 7) \
        != generate.generated_key(small, 8)
    main = (tmp_path / "a" / "main0003" / "main.go").read_text()
    for k in range(3):
        assert f'"zoogen/p{k:04d}"' in main and f"p{k:04d}.Run(" in main
    assert (tmp_path / "a" / "internal" / "harness" / "harness.go").is_file()
    tc = next(t for t in TOOLCHAINS if t.minor == "1.27")
    big = build.build_key(tc, VARIANTS["default"], "zoogen")
    assert big == build.build_key(tc, VARIANTS["default"], "zoogen")
    assert not any(s.scenario.program == "zoogen" for s in full_matrix())
