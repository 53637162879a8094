"""Which fixtures exist: Go versions × variants × scenarios."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.factory.paths import fixture_dir
from tests.factory.scenarios import SCENARIOS, Scenario
from tests.factory.toolchains import TOOLCHAINS, Toolchain, find
from tests.factory.variants import VARIANTS, Variant

# Every variant is built for these releases (one with classic maps and the
# pre-1.24 layouts, one current); every other release gets the default.
ALL_VARIANT_RELEASES: tuple[str, ...] = ("1.23", "1.27")


@dataclass(frozen=True, slots=True)
class FixtureSpec:
    toolchain: Toolchain
    variant: Variant
    scenario: Scenario

    @property
    def id(self) -> str:
        """A short name, also the pytest id: ``go1.27-default-nilmap``."""
        return f"go{self.toolchain.minor}-{self.variant.name}-{self.scenario.name}"

    @property
    def directory(self) -> Path:
        return fixture_dir() / f"go{self.toolchain.minor}" / self.variant.name / self.scenario.name

    def applicable(self) -> str | None:
        """None when this combination can be built, else why not."""
        if self.scenario.needs_cgo and not self.variant.cgo:
            return "the scenario calls C code and the variant disables cgo"
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


def spec(go: str, variant: str, scenario: str) -> FixtureSpec:
    return FixtureSpec(find(go), VARIANTS[variant], SCENARIOS[scenario])


def full_matrix() -> list[FixtureSpec]:
    """The standard matrix: the default variant for every release, every
    variant for :data:`ALL_VARIANT_RELEASES`; inapplicable combinations left
    out (see :meth:`FixtureSpec.applicable`)."""
    out: list[FixtureSpec] = []
    for tc in TOOLCHAINS:
        variants = VARIANTS.values() if tc.minor in ALL_VARIANT_RELEASES else [VARIANTS["default"]]
        for v in variants:
            for s in SCENARIOS.values():
                fs = FixtureSpec(tc, v, s)
                if s.in_matrix and fs.applicable() is None:
                    out.append(fs)
    return out


def select(
    go: list[str] | None = None,
    variant: list[str] | None = None,
    scenario: list[str] | None = None,
) -> list[FixtureSpec]:
    """A subset. With no filter on a dimension, the standard matrix's choice
    applies; naming a scenario outside the matrix (``many-100k``) or a variant
    for any release builds exactly that."""
    if go is None and variant is None and scenario is None:
        return full_matrix()
    for name in scenario or []:
        if name not in SCENARIOS:
            raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    for name in variant or []:
        if name not in VARIANTS:
            raise KeyError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    tcs = [find(g) for g in go] if go else list(TOOLCHAINS)
    out: list[FixtureSpec] = []
    for tc in tcs:
        if variant:
            vs = [VARIANTS[v] for v in variant]
        elif tc.minor in ALL_VARIANT_RELEASES:
            vs = list(VARIANTS.values())
        else:
            vs = [VARIANTS["default"]]
        for v in vs:
            names = scenario or [s.name for s in SCENARIOS.values() if s.in_matrix]
            for name in names:
                fs = FixtureSpec(tc, v, SCENARIOS[name])
                if fs.applicable() is None:
                    out.append(fs)
    return out
