"""Which fixtures exist: architectures × Go versions × variants × scenarios.

amd64 is the host's architecture; arm64 fixtures are built for the same
releases under qemu (:func:`arm64_matrix`). The standard matrix
(:func:`full_matrix`, which the engine's tests iterate) holds both."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.factory.paths import fixture_dir
from tests.factory.scenarios import SCENARIOS, SNAPSHOT, Scenario
from tests.factory.toolchains import TOOLCHAINS, Toolchain, find
from tests.factory.variants import SPLIT_RELEASES, SPLIT_SCENARIOS, VARIANTS, Variant

# Every variant is built for these releases (one with classic maps and the
# pre-1.24 layouts, one current); every other release gets the default.
ALL_VARIANT_RELEASES: tuple[str, ...] = ("1.23", "1.27")
# The oldest release also gets the variants its layouts matter most for:
# stripped (the per-release tables), -N -l (every variable described) and PIE.
OLDEST_VARIANTS: dict[str, tuple[str, ...]] = {"1.15": ("default", "noopt", "pie", "stripped")}

HOST_ARCH = "amd64"
ARCHES: tuple[str, ...] = (HOST_ARCH, "arm64")
# arm64 binaries are built with CGO_ENABLED=0 (no cross C compiler is
# installed), so ``static`` would repeat ``default``.
ARM64_VARIANTS: tuple[str, ...] = ("default", "noopt", "pie", "trimpath", "stripped")


@dataclass(frozen=True, slots=True)
class FixtureSpec:
    toolchain: Toolchain
    variant: Variant
    scenario: Scenario
    arch: str = HOST_ARCH  # GOARCH: "amd64" (the host, native) or "arm64" (under qemu)

    @property
    def id(self) -> str:
        """A short name, also the pytest id: ``go1.27-default-nilmap``,
        ``go1.27-arm64-default-nilmap``."""
        arch = "" if self.arch == HOST_ARCH else f"-{self.arch}"
        return f"go{self.toolchain.minor}{arch}-{self.variant.name}-{self.scenario.name}"

    @property
    def directory(self) -> Path:
        root = fixture_dir() if self.arch == HOST_ARCH else fixture_dir() / self.arch
        return root / f"go{self.toolchain.minor}" / self.variant.name / self.scenario.name

    @property
    def cgo(self) -> bool:
        """CGO_ENABLED for the build: the variant's; on arm64 only for the
        cgo scenarios (the one program the cross compiler builds)."""
        return self.variant.cgo and (self.arch == HOST_ARCH or self.scenario.needs_cgo)

    def applicable(self) -> str | None:
        """None when this combination can be built, else why not."""
        if self.arch not in ARCHES:
            return f"unknown architecture {self.arch!r}; known: {', '.join(ARCHES)}"
        if self.scenario.needs_cgo and not self.cgo:
            return "the scenario calls C code and the variant disables cgo"
        if self.toolchain.minor_number < self.scenario.min_minor:
            return (f"the scenario's program needs Go 1.{self.scenario.min_minor} "
                    "(generics, newer packages)")
        narrow = self._outside_narrow_matrix()
        if narrow:
            return narrow
        split = self.variant.split
        if split is not None:
            if self.scenario.name not in SPLIT_SCENARIOS[split]:
                return (f"the {self.variant.name} variant is built for "
                        f"{', '.join(SPLIT_SCENARIOS[split])} only")
            if split == "buildid" and int(self.toolchain.minor.split(".")[1]) < 22:
                return "the linker's -B gobuildid exists since Go 1.22"
        if self.arch != HOST_ARCH:
            if self.scenario.kernel_shape:
                return ("the scenario's core is shaped by the Linux kernel's dumper, and qemu "
                        "writes the guest's core itself")
            if self.scenario.trigger == SNAPSHOT:
                return ("qemu's gdbstub gives no complete core of a live guest (no memory "
                        "map: the Go heap is missing)")
            if self.variant.name not in ARM64_VARIANTS and split is None:
                return "arm64 builds are all CGO_ENABLED=0: the variant repeats default"
        return None


    def _outside_narrow_matrix(self) -> str | None:
        """Why not, for a scenario built for a few releases and variants only."""
        s = self.scenario
        releases = s.arm64_releases if self.arch != HOST_ARCH and s.arm64_releases else s.releases
        if releases and self.toolchain.minor not in releases:
            return f"the scenario is built for Go {', '.join(releases)} only ({self.arch})"
        if s.variants and self.variant.name not in s.variants:
            return f"the scenario is built for the {', '.join(s.variants)} variant only"
        return None


@dataclass(frozen=True, slots=True)
class Fixture:
    """A built fixture: the files a test opens."""

    spec: FixtureSpec
    binary: Path
    core: Path
    stderr: Path
    meta: dict[str, Any]

    @property
    def directory(self) -> Path:
        return self.spec.directory

    def side_file(self, name: str) -> Path:
        return self.directory / name

    def facts(self) -> dict[str, Any]:
        return json.loads(self.side_file("facts.json").read_text())

    def stderr_text(self) -> str:
        return self.stderr.read_text(errors="replace")

    @property
    def debug_file(self) -> Path | None:
        """The separate debug file of a ``debuglink``/``buildid`` binary."""
        path = self.meta.get("debugFile")
        return Path(path) if path else None

    @property
    def debug_dirs(self) -> list[str]:
        """The directories to name so that the debug file is found (none
        for a debuglink, found next to the binary)."""
        path = self.meta.get("debugDir")
        return [path] if path else []


def spec(go: str, variant: str, scenario: str, arch: str = HOST_ARCH) -> FixtureSpec:
    return FixtureSpec(find(go), VARIANTS[variant], SCENARIOS[scenario], arch)


def _variants(tc: Toolchain, arch: str) -> list[Variant]:
    """The standard matrix's variants of one release on one architecture."""
    if tc.minor in OLDEST_VARIANTS and arch == HOST_ARCH:
        return [VARIANTS[v] for v in OLDEST_VARIANTS[tc.minor]]
    if tc.minor not in ALL_VARIANT_RELEASES:
        return [VARIANTS["default"]]
    if arch == HOST_ARCH:
        return [v for v in VARIANTS.values() if v.split is None]
    return [VARIANTS[v] for v in ARM64_VARIANTS]


def full_matrix() -> list[FixtureSpec]:
    """The standard matrix, on amd64 then arm64: the default variant for
    every release, every variant for :data:`ALL_VARIANT_RELEASES`;
    inapplicable combinations left out (see :meth:`FixtureSpec.applicable`)."""
    return _matrix(HOST_ARCH) + arm64_matrix()


def arm64_matrix() -> list[FixtureSpec]:
    """The arm64 fixtures: the amd64 matrix's releases with the variants of
    :data:`ARM64_VARIANTS`, without the cgo scenarios and the snapshot (see
    :meth:`FixtureSpec.applicable`)."""
    return _matrix("arm64")


def _matrix(arch: str) -> list[FixtureSpec]:
    out: list[FixtureSpec] = []
    for tc in TOOLCHAINS:
        for v in _variants(tc, arch):
            for s in SCENARIOS.values():
                fs = FixtureSpec(tc, v, s, arch)
                if s.in_matrix and fs.applicable() is None:
                    out.append(fs)
    return out


def debuginfo_matrix() -> list[FixtureSpec]:
    """The separate debug info fixtures (issue #15): the ``debuglink`` and
    ``buildid`` variants, for :data:`SPLIT_RELEASES` and their few
    scenarios, amd64's then arm64's. Not in
    :func:`full_matrix` (their binaries hold no DWARF of their own;
    ``tests/test_debug_info.py`` checks them)."""
    out: list[FixtureSpec] = []
    for arch in ARCHES:
        for tc in TOOLCHAINS:
            if tc.minor not in SPLIT_RELEASES:
                continue
            for v in VARIANTS.values():
                if v.split is None:
                    continue
                for name in SPLIT_SCENARIOS[v.split]:
                    fs = FixtureSpec(tc, v, SCENARIOS[name], arch)
                    if fs.applicable() is None:
                        out.append(fs)
    return out


def every_matrix() -> list[FixtureSpec]:
    """What ``python -m tests.factory build`` builds without a filter: the
    standard matrix, both architectures, and the separate debug info
    fixtures."""
    return full_matrix() + debuginfo_matrix()


def select(
    go: list[str] | None = None,
    variant: list[str] | None = None,
    scenario: list[str] | None = None,
    arch: list[str] | None = None,
) -> list[FixtureSpec]:
    """A subset. With no filter at all, both matrices (:func:`every_matrix`);
    with no filter on a dimension, the standard matrix's choice applies (the
    architecture: amd64 unless named); naming a scenario outside the matrix
    (``many-100k``) or a variant for any release builds exactly that."""
    if go is None and variant is None and scenario is None:
        if arch is None:
            return every_matrix()
    for name in arch or []:
        if name not in ARCHES:
            raise KeyError(f"unknown architecture {name!r}; known: {', '.join(ARCHES)}")
    for name in scenario or []:
        if name not in SCENARIOS:
            raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    for name in variant or []:
        if name not in VARIANTS:
            raise KeyError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    tcs = [find(g) for g in go] if go else list(TOOLCHAINS)
    out: list[FixtureSpec] = []
    for a in arch or [HOST_ARCH]:
        for tc in tcs:
            vs = [VARIANTS[v] for v in variant] if variant else _variants(tc, a)
            for v in vs:
                names = scenario or [s.name for s in SCENARIOS.values() if s.in_matrix]
                for name in names:
                    fs = FixtureSpec(tc, v, SCENARIOS[name], a)
                    if fs.applicable() is None:
                        out.append(fs)
    return out
