"""The interpreter the benchmarks run dapcore with: by default as a user
installs it, in a virtual environment of its own (issue #16).

This machine's interpreter starts slowly for reasons that are not
dapcore's: its ``site-packages`` holds ``.pth`` files that run at every
start (a sandbox hook that imports ``certifi`` and ``importlib.resources``,
setuptools' ``distutils-precedence.pth``), so ``python -c pass`` takes about
40 ms where ``python -S -c pass`` takes 10 ms. A user who installs dapcore
with pipx or into a venv pays none of it. So the benchmarks spawn dapcore
from a venv *without* the system site-packages, in the cache
(``$DAPCORE_CACHE/bench-venv/KEY``), holding dapcore's dependencies as
pyproject.toml lists them, installed from the package index by pip, and a
``.pth`` naming the checkout under test (placed after site-packages on
``sys.path``, as an installed package is: ``PYTHONPATH`` would put the
checkout before the standard library, adding a lookup to every import).
KEY hashes the base interpreter, the dependencies and the checkout's path:
one venv per checkout, made once (a few seconds), reused after.

``--python current`` runs the benchmark's own interpreter instead (with the
checkout on ``PYTHONPATH``, as before); ``--python PATH`` any other.
:func:`footer` says which one ran and what its bare start costs
(``-c pass``, spawn to exit), so a reader sees that fixed cost.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.factory.locks import exclusive  # noqa: E402
from tests.factory.paths import cache_root  # noqa: E402

CURRENT, VENV = "current", "venv"
PTH = "dapcore-checkout.pth"


@dataclass(frozen=True)
class Runner:
    """How dapcore is spawned: ``python`` (``[python, "-m", "dapcore", …]``)
    with ``env`` (the benchmark's child environment, adjusted)."""

    python: str
    env: dict[str, str]
    kind: str  # "venv", "current" or "other"
    code: Path  # the checkout whose dapcore runs

    def describe(self) -> str:
        if self.kind == VENV:
            return (f"{self.python} (a venv without the system site-packages: "
                    f"{', '.join(installed(self.python))}; dapcore from {self.code} by a .pth)")
        return f"{self.python} (dapcore from {self.code} on PYTHONPATH)"


def dependencies(code: Path = REPO) -> list[str]:
    """The ``[project] dependencies`` of ``code``'s pyproject.toml."""
    with open(code / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def base_python() -> str:
    """The real interpreter behind this one (not a venv's or pyenv's shim)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def venv_python(code: Path = REPO) -> str:
    """The benchmark venv's interpreter for checkout ``code``, made (once)
    if missing: dependencies from the package index, the checkout by a
    ``.pth``."""
    code = code.resolve()
    base = base_python()
    deps = dependencies(code)
    key = hashlib.sha256("\0".join([base, sys.version, str(code), *deps]).encode()).hexdigest()
    root = cache_root() / "bench-venv"
    where = root / key[:16]
    python = where / "bin" / "python"
    with exclusive(root / f"{key[:16]}.lock"):
        if (where / "ready").is_file():
            return str(python)
        shutil.rmtree(where, ignore_errors=True)
        print(f"making the benchmark venv {where} (dapcore's dependencies from the package "
              "index; once)", file=sys.stderr, flush=True)
        try:
            subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True)
            subprocess.run([base, "-m", "pip", "--python", str(python), "install", "--quiet",
                            "--disable-pip-version-check", *deps], check=True)
        except subprocess.CalledProcessError as exc:
            sys.exit(f"could not make the benchmark venv {where} ({exc}): is the package "
                     "index reachable? '--python current' runs this interpreter instead")
        site = subprocess.run([str(python), "-c", "import sysconfig; "
                               "print(sysconfig.get_path('purelib'))"],
                              check=True, capture_output=True, text=True).stdout.strip()
        (Path(site) / PTH).write_text(f"{code}\n")
        (where / "ready").write_text("\n".join(deps) + "\n")
    return str(python)


def installed(python: str) -> list[str]:
    """``name version`` of what the venv of ``python`` holds (its
    dist-info directories)."""
    site = Path(python).parent.parent / "lib"
    out = []
    for d in sorted(site.glob("python*/site-packages/*.dist-info")):
        name, _, version = d.name.removesuffix(".dist-info").partition("-")
        out.append(f"{name} {version}")
    return out


def runner(choice: str, env: dict[str, str], code: Path = REPO) -> Runner:
    """The interpreter ``--python`` names (``venv``, ``current`` or a path)
    for checkout ``code``, with ``env`` (whose PYTHONPATH puts the checkout
    first, :func:`bench_engine.child_env`) adjusted: in the venv the
    checkout comes from the ``.pth``, so it leaves PYTHONPATH."""
    code = code.resolve()
    if choice == VENV:
        rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                if p and not (Path(p) / "dapcore" / "__init__.py").is_file()]
        out = dict(env)
        out.pop("PYTHONPATH", None)
        if rest:
            out["PYTHONPATH"] = os.pathsep.join(rest)
        return Runner(venv_python(code), out, VENV, code)
    paths = [str(code), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                          if p and Path(p).resolve() != code)]
    python = sys.executable if choice == CURRENT else choice
    return Runner(python, dict(env, PYTHONPATH=os.pathsep.join(paths)),
                  CURRENT if choice == CURRENT else "other", code)


def bare_start_ms(python: str, env: dict[str, str], runs: int = 5) -> float:
    """Median wall ms of ``python -c pass``, spawn to exit (one untimed run first)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run([python, "-c", "pass"], env=env, check=True,
                       stdin=subprocess.DEVNULL)
        if i:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def footer(run: Runner) -> str:
    """Which interpreter ran dapcore and its bare start (``-c pass``), next
    to the current interpreter's when another one ran."""
    line = (f"dapcore ran with {run.describe()}; its bare start (`-c pass`, spawn to exit, "
            f"median of 5): {bare_start_ms(run.python, run.env):.0f} ms")
    if run.kind != CURRENT:
        line += (f" (this benchmark's interpreter, {sys.executable}: "
                 f"{bare_start_ms(sys.executable, run.env):.0f} ms)")
    return line


def add_argument(ap: argparse.ArgumentParser) -> None:
    """``--python`` for a benchmark's argument parser."""
    ap.add_argument("--python", default=VENV,
                    help="the interpreter dapcore runs with: 'venv' (default: a venv of "
                         "dapcore's dependencies from the package index, made once in the "
                         "cache, as a user installs it), 'current' (this one, the checkout "
                         "on PYTHONPATH) or a path")
