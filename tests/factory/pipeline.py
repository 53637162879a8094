"""From spec to fixture: build (cached), capture (cached; checked, captured
again when the printout and the core are not one instant), record."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.factory import build as builder
from tests.factory import capture
from tests.factory.check import CHECK_VERSION, CheckResult, check_capture, engine_refuses
from tests.factory.corenotes import read_notes
from tests.factory.keys import CAPTURE_RECIPE, digest
from tests.factory.locks import exclusive
from tests.factory.matrix import HOST_ARCH, Fixture, FixtureSpec
from tests.factory.paths import scratch_dir
from tests.factory.toolchains import Qemu, ensure_qemu


class FixtureError(RuntimeError):
    """A fixture could not be produced."""


def _load(spec: FixtureSpec, key: str) -> Fixture | None:
    meta_path = spec.directory / "meta.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    binary = Path(meta["binary"])
    if meta.get("key") != key or not binary.exists() or not (spec.directory / "core").exists():
        return None
    return Fixture(spec, binary, spec.directory / "core", spec.directory / "stderr.txt", meta)


# A capture whose printout and core disagree only on the runtime's own
# goroutines (see tests/factory/check.py) is captured again, this often.
MAX_RECAPTURES = 3
RECAPTURE_PAUSE = 0.5  # seconds: let a loaded machine settle a little


@dataclass(frozen=True, slots=True)
class Produced:
    """A fixture and how this call came by it."""

    fixture: Fixture
    action: str  # "cached", "checked" (cached, checked once now), "built"
    recaptures: list[str]  # why earlier captures were dropped (empty: none were)
    warning: str | None  # printout and core still disagree: the tests may fail

    def describe(self) -> str:
        text = self.action
        if self.recaptures:
            n = len(self.recaptures)
            text += f", re-captured {n}x ({self.recaptures[-1]})"
        if self.warning:
            text += f"; WARNING: {self.warning}"
        return text


def ensure(spec: FixtureSpec, method: str | None = None, force: bool = False) -> Fixture:
    """The fixture for ``spec``, produced unless the cache holds it (always
    produced anew with ``force``)."""
    return produce(spec, method, force).fixture


def cached(spec: FixtureSpec) -> Fixture | None:
    """The fixture if the cache holds it for the current sources, else None;
    nothing is built (for fixtures too big to build in a test run: the
    tests that use them skip, saying how to build them)."""
    if spec.applicable() or spec.arch != HOST_ARCH:
        return None
    build = builder.build_key(spec.toolchain, spec.variant, spec.scenario.program)
    return _load(spec, _capture_key(spec, build, None))


def _capture_key(spec: FixtureSpec, build_key: str, qemu: Qemu | None) -> str:
    """What a capture depends on: the binary, the scenario, the emulator."""
    parts: dict[str, object] = dict(
        recipe=CAPTURE_RECIPE, build=build_key, scenario=spec.scenario.name,
        args=spec.scenario.args, trigger=spec.scenario.trigger)
    if spec.scenario.coredump_filter is not None:  # (other keys stay as they were)
        parts["coredumpFilter"] = spec.scenario.coredump_filter
    if qemu is not None:
        parts["qemu"] = qemu.version
    return digest(**parts)


def drop(spec: FixtureSpec) -> bool:
    """Delete the cached fixture (the compiled binary stays); True if there was one."""
    with exclusive(spec.directory.with_name(spec.directory.name + ".lock")):
        if not spec.directory.exists():
            return False
        shutil.rmtree(spec.directory)
        return True


def produce(spec: FixtureSpec, method: str | None = None, force: bool = False) -> Produced:
    """:func:`ensure`, saying whether the fixture was cached or built and
    whether captures were dropped because their printout and core were not
    one instant."""
    why_not = spec.applicable()
    if why_not:
        raise FixtureError(f"{spec.id} is not applicable: {why_not}")
    with exclusive(spec.directory.with_name(spec.directory.name + ".lock")):
        b = builder.build(spec.toolchain, spec.variant, spec.scenario.program, spec.arch)
        qemu = ensure_qemu() if spec.arch != HOST_ARCH else None
        key = _capture_key(spec, b.key, qemu)
        dropped: list[str] = []
        found = None if force else _load(spec, key)
        if found is not None:
            check = found.meta.get("check") or {}
            learned = (check.get("skipped") and engine_refuses(spec.arch) is None
                       and spec.scenario.compare_printout)
            if check.get("version") == CHECK_VERSION and not learned:
                return Produced(found, "cached", [], _warning(found.meta, spec))
            # Cached before captures were checked (or by an older check, or
            # before the engine read its architecture): check it once now.
            result = check_capture(found.directory, found.binary, spec.scenario, spec.arch)
            if not result.recapture:
                meta = dict(found.meta, check=result.as_meta())
                tmp = found.directory / f"meta.json.{os.getpid()}.tmp"
                tmp.write_text(json.dumps(meta, indent=2))
                os.replace(tmp, found.directory / "meta.json")  # readers never see half
                loaded = _load(spec, key)
                assert loaded is not None
                return Produced(loaded, "checked", [], _warning(loaded.meta, spec))
            dropped.append(result.summary())
        for attempt in range(MAX_RECAPTURES + 1):
            if attempt:
                time.sleep(RECAPTURE_PAUSE)
            work, result = _capture(spec, b, key, method, dropped, qemu)
            if not result.recapture or attempt == MAX_RECAPTURES:
                break
            shutil.rmtree(work, ignore_errors=True)
            dropped.append(result.summary())
        _install(spec, work)
        loaded = _load(spec, key)
        assert loaded is not None
        return Produced(loaded, "built", dropped, _warning(loaded.meta, spec))


def _warning(meta: dict[str, Any], spec: FixtureSpec) -> str | None:
    check = meta.get("check") or {}
    if not check.get("disagreements"):
        return None
    n = len(meta.get("recaptured") or [])
    after = f" after {n} re-capture{'s' if n != 1 else ''}" if n else ""
    arch = "" if spec.arch == HOST_ARCH else f"--arch {spec.arch} "
    return (f"the printout and the core disagree{after}: {'; '.join(check['disagreements'])}"
            f" (capture it again: python -m tests.factory build {arch}-g {spec.toolchain.minor} "
            f"-v {spec.variant.name} -s {spec.scenario.name} --force)")


def _capture(spec: FixtureSpec, b: builder.Build, key: str, method: str | None,
             dropped: list[str], qemu: Qemu | None = None) -> tuple[Path, CheckResult]:
    """One capture into a work folder, checked, with its meta.json."""
    work = Path(tempfile.mkdtemp(prefix=spec.id + ".", dir=scratch_dir()))
    try:
        cap = capture.run(b.binary, spec.scenario, work, method, qemu)
        missing = [f for f in spec.scenario.side_files if not (work / f).exists()]
        if missing:
            raise FixtureError(f"{spec.id}: the program wrote no {', '.join(missing)}"
                               + capture._tail(work))
        result = check_capture(work, b.binary, spec.scenario, spec.arch)
        notes = read_notes(work / "core")
        meta = {
            "key": key,
            "id": spec.id,
            "goarch": spec.arch,
            "goVersion": b.go_version,
            "variant": spec.variant.name,
            "variantDescription": spec.variant.description,
            "scenario": spec.scenario.name,
            "trigger": spec.scenario.trigger,
            "program": spec.scenario.program,
            "binary": str(b.binary),
            "buildCommand": b.command,
            "buildEnv": b.env,
            "buildID": b.build_id,
            "dwarf": spec.variant.dwarf,
            "split": spec.variant.split,
            "debugFile": str(b.debug_file) if b.debug_file else None,
            "debugDir": str(b.debug_dir) if b.debug_dir else None,
            "argv": cap.argv,
            "signal": cap.signal,
            "coreMethod": cap.method,
            "coredumpFilter": spec.scenario.coredump_filter,
            "emulator": qemu.version.splitlines() if qemu is not None else None,
            "coreMachine": notes.machine,
            "coreNotes": notes.names,
            "coreThreads": len(notes.threads),
            "seconds": round(cap.seconds, 3),
            "coreBytes": (work / "core").stat().st_size,
            "coreDiskBytes": (work / "core").stat().st_blocks * 512,
            "captureAttempts": len(dropped) + 1,
            "recaptured": list(dropped),
            "check": result.as_meta(),
        }
        (work / "meta.json").write_text(json.dumps(meta, indent=2))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return work, result


def _install(spec: FixtureSpec, work: Path) -> None:
    try:
        final = spec.directory
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(work, final)  # same file system: the sparse core is renamed, not copied
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


@dataclass(frozen=True, slots=True)
class Outcome:
    spec: FixtureSpec
    fixture: Fixture | None
    error: str | None
    produced: Produced | None = None


# progress(done, total, outcome), called as each fixture is finished
Progress = Callable[[int, int, Outcome], None]


def print_progress(done: int, total: int, out: Outcome) -> None:
    """The ``build`` command's progress: one line per fixture."""
    state = out.produced.describe() if out.produced else f"FAILED ({out.error})"
    print(f"[{done}/{total}] {out.spec.id}: {state}", flush=True)


def ensure_all(specs: list[FixtureSpec], jobs: int = 2, method: str | None = None,
               progress: bool | Progress = False, force: bool = False) -> list[Outcome]:
    """Produce every fixture, ``jobs`` at a time; failures are collected, not
    raised, so one broken toolchain does not hide the rest. ``progress``:
    True prints a line per fixture, or a function called as each finishes."""
    report: Progress | None = print_progress if progress is True else (progress or None)
    lock = threading.Lock()
    done = [0]

    def one(spec: FixtureSpec) -> Outcome:
        try:
            made = produce(spec, method, force)
            out = Outcome(spec, made.fixture, None, made)
        except Exception as exc:  # reported by the caller
            out = Outcome(spec, None, f"{type(exc).__name__}: {exc}")
        if report is not None:
            with lock:
                done[0] += 1
                report(done[0], len(specs), out)
        return out

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, specs))
