"""From spec to fixture: build (cached), capture (cached), record."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.factory import build as builder
from tests.factory import capture
from tests.factory.keys import CAPTURE_RECIPE, digest
from tests.factory.locks import exclusive
from tests.factory.matrix import Fixture, FixtureSpec
from tests.factory.paths import scratch_dir


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


def ensure(spec: FixtureSpec, method: str | None = None) -> Fixture:
    """The fixture for ``spec``, produced unless the cache holds it."""
    why_not = spec.applicable()
    if why_not:
        raise FixtureError(f"{spec.id} is not applicable: {why_not}")
    with exclusive(spec.directory.with_name(spec.directory.name + ".lock")):
        b = builder.build(spec.toolchain, spec.variant, spec.scenario.program)
        key = digest(recipe=CAPTURE_RECIPE, build=b.key, scenario=spec.scenario.name,
                     args=spec.scenario.args, trigger=spec.scenario.trigger)
        found = _load(spec, key)
        if found is not None:
            return found
        work = Path(tempfile.mkdtemp(prefix=spec.id + ".", dir=scratch_dir()))
        try:
            cap = capture.run(b.binary, spec.scenario, work, method)
            missing = [f for f in spec.scenario.side_files if not (work / f).exists()]
            if missing:
                raise FixtureError(f"{spec.id}: the program wrote no {', '.join(missing)}"
                                   + capture._tail(work))
            meta = {
                "key": key,
                "id": spec.id,
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
                "argv": cap.argv,
                "signal": cap.signal,
                "coreMethod": cap.method,
                "seconds": round(cap.seconds, 3),
                "coreBytes": (work / "core").stat().st_size,
                "coreDiskBytes": (work / "core").stat().st_blocks * 512,
            }
            (work / "meta.json").write_text(json.dumps(meta, indent=2))
            final = spec.directory
            if final.exists():
                shutil.rmtree(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(work, final)  # same file system: the sparse core is renamed, not copied
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        loaded = _load(spec, key)
        assert loaded is not None
        return loaded


@dataclass(frozen=True, slots=True)
class Outcome:
    spec: FixtureSpec
    fixture: Fixture | None
    error: str | None


def ensure_all(specs: list[FixtureSpec], jobs: int = 2, method: str | None = None,
               progress: bool = False) -> list[Outcome]:
    """Produce every fixture, ``jobs`` at a time; failures are collected, not
    raised, so one broken toolchain does not hide the rest."""
    lock = threading.Lock()
    done = [0]

    def one(spec: FixtureSpec) -> Outcome:
        try:
            out = Outcome(spec, ensure(spec, method), None)
        except Exception as exc:  # reported by the caller
            out = Outcome(spec, None, f"{type(exc).__name__}: {exc}")
        if progress:
            with lock:
                done[0] += 1
                state = "ok" if out.error is None else "FAILED"
                print(f"[{done[0]}/{len(specs)}] {spec.id}: {state}", flush=True)
        return out

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, specs))
