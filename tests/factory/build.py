"""Compiling the zoo programs (and the demo's), cached per (sources,
toolchain, variant)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.factory import generate, toolchains
from tests.factory.debugsplit import split
from tests.factory.keys import BUILD_RECIPE, SOURCE_SUFFIXES, digest, program_sources_hash
from tests.factory.locks import exclusive
from tests.factory.notices import announce
from tests.factory.paths import DEMO, ZOO, build_dir, source_dir
from tests.factory.toolchains import Toolchain
from tests.factory.variants import Variant

# program → (its Go module's directory, its package in that module)
PROGRAMS = {"zoo": (ZOO, "."), "zoocgo": (ZOO, "./cgo"), "zoobig": (ZOO, "./big"),
            "zoomem": (ZOO, "./memory"), "zoopaging": (ZOO, "./paging"),
            "zootriage": (ZOO, "./triage"), "zoocrashes": (ZOO, "./crashes"),
            "demo": (DEMO, ".")}
# Programs written by a generator into the cache (tests/factory/generate.py),
# keyed by the generator's version, seed and sizes instead of a hash of files.
GENERATED = {"zoogen": (generate.generated_key, generate.ensure_module)}


class BuildError(RuntimeError):
    """``go build`` failed."""


@dataclass(frozen=True, slots=True)
class Build:
    binary: Path
    key: str
    command: list[str]
    env: dict[str, str]  # the settings that matter (CGO_ENABLED …)
    go_version: str
    build_id: str
    # The separate debug info variants (tests/factory/debugsplit.py): the
    # debug file, and the directory to name to find it (None: found by
    # .gnu_debuglink next to the binary).
    debug_file: Path | None = None
    debug_dir: Path | None = None


def source_copy(module: Path, sources_hash: str) -> Path:
    """The module's sources copied into the cache, in a folder named by their
    hash. Binaries are compiled there, not in the checkout: their line tables
    name these paths, which last as long as the cached binaries do, whereas a
    checkout (a CI clone) may be gone when another clone finds the binary in
    the shared cache and needs its sources."""
    dest = source_dir() / f"{module.name}-{sources_hash[:16]}"
    if dest.is_dir():
        return dest
    # per process and thread: the factory builds two fixtures at once (jobs=2)
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for path in sorted(module.rglob("*")):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            target = tmp / path.relative_to(module)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    try:
        os.replace(tmp, dest)
    except OSError:  # another process made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


# The program whose arm64 builds have cgo on (the cross compiler's one user).
CGO_PROGRAM = "zoocgo"


def build_key(tc: Toolchain, variant: Variant, program: str, goarch: str = "amd64") -> str:
    """What the binary depends on; amd64's keys are those from before GOARCH
    was a dimension (no ``goarch`` part), so their caches stay valid."""
    native = goarch == "amd64"
    parts: dict[str, object] = dict(
        recipe=BUILD_RECIPE, sources=_sources_key(program), go=tc.version,
        variant=variant.name, flags=variant.flags,
        cgo=variant.cgo and (native or program == CGO_PROGRAM), program=program,
    )
    if not native:
        parts["goarch"] = goarch
    if variant.split is not None:
        parts["split"] = variant.split
    return digest(**parts)


def _sources_key(program: str) -> str:
    if program in GENERATED:
        return "generated:" + GENERATED[program][0]()
    module, package = PROGRAMS[program]
    return program_sources_hash(module, package)


def _sources(program: str) -> tuple[Path, str]:
    """(the folder ``go build`` runs in: the sources' copy in the cache, the
    package to build); a generated program is written there first."""
    if program in GENERATED:
        return GENERATED[program][1]()
    module, package = PROGRAMS[program]
    return source_copy(module, program_sources_hash(module, package)), package


def build(tc: Toolchain, variant: Variant, program: str, goarch: str = "amd64") -> Build:
    """The binary of ``program`` for this toolchain, variant and GOARCH,
    built unless the cache already holds one with the same key. amd64 is the
    host's (keys and folders as before GOARCH was a dimension); arm64 is
    cross-compiled into ``bin/arm64/`` with cgo off, but for the cgo program
    (zoocgo), which Debian's cross gcc compiles (:func:`toolchains.ensure_cross_gcc`)."""
    native = goarch == "amd64"
    cgo = variant.cgo and (native or program == CGO_PROGRAM)
    key = build_key(tc, variant, program, goarch)
    out_dir = (build_dir() if native else build_dir() / goarch) / f"go{tc.minor}" / variant.name
    binary = out_dir / program
    stamp = out_dir / f"{program}.json"
    with exclusive(out_dir / f"{program}.lock"):
        if binary.exists() and stamp.exists():
            info = json.loads(stamp.read_text())
            debug = info.get("debugFile")
            if info.get("key") == key and (debug is None or Path(debug).exists()):
                return Build(binary, key, info["command"], info["env"], info["goVersion"],
                             info["buildID"], Path(debug) if debug else None,
                             Path(info["debugDir"]) if info.get("debugDir") else None)
        toolchains.ensure(tc)
        arch = "" if native else f"{goarch}, "
        announce(f"compiling {program} with Go {tc.version} ({arch}{variant.name})")
        out_dir.mkdir(parents=True, exist_ok=True)
        env = toolchains.go_env(tc)
        env["CGO_ENABLED"] = "1" if cgo else "0"
        if not native:
            env["GOARCH"] = goarch
            if cgo:
                env["CC"] = str(toolchains.ensure_cross_gcc())
        tmp = binary.with_name(f"{binary.name}.{os.getpid()}.tmp")
        vcs = ["-buildvcs=false"] if tc.minor_number >= 18 else []  # the flag came in 1.18
        sources, package = _sources(program)
        cmd = [str(tc.go), "build", *vcs, *variant.flags, "-o", str(tmp), package]
        res = subprocess.run(cmd, cwd=sources, env=env, capture_output=True, text=True,
                             check=False)
        if res.returncode != 0:
            raise BuildError(
                f"go{tc.version} {variant.name} {program}: {' '.join(cmd)}\n{res.stderr.strip()}"
            )
        made = (split(tmp, variant.split, binary.name, goarch)
                if variant.split is not None else None)
        os.replace(tmp, binary)
        build_id = subprocess.run(
            [str(tc.go), "tool", "buildid", str(binary)], env=env, capture_output=True,
            text=True, check=False,
        ).stdout.strip()
        recorded = {k: env[k] for k in ("CGO_ENABLED", "GOARCH") if k in env}
        result = Build(binary, key, cmd, recorded, tc.version, build_id,
                       made.debug_file if made else None, made.debug_dir if made else None)
        stamp.write_text(json.dumps({
            "key": key, "command": cmd, "env": result.env, "goVersion": tc.version,
            "buildID": build_id,
            "debugFile": str(result.debug_file) if result.debug_file else None,
            "debugDir": str(result.debug_dir) if result.debug_dir else None,
        }, indent=2))
        return result
