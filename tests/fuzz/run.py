"""Running the CLI on mutated inputs and classifying what it did.

Each case is one ``python -m dapcore`` process with a 10 s deadline, an
address-space limit and its peak RSS measured (``os.wait4``). Classes:

- ``ok``: exit 0, output equal to the pristine files' output;
- ``warned``: exit 0, output changed, and stderr says ``dapcore: warning:``;
- ``error``: exit 1 with ``dapcore: …`` lines only (a clean refusal);
- ``CRASH``: a traceback, ``internal error``, exit 2, another status, a signal;
- ``HANG``: still running after the deadline;
- ``MEMORY``: peak RSS over 1 GB, or Python's ``MemoryError``;
- ``SILENT``: exit 0, output changed, no warning.

The upper-case classes are failures.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.mutate import Case, Target, materialize

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 10.0
RSS_LIMIT = 1 << 30  # bytes of peak RSS counted as a MEMORY failure
AS_LIMIT = 3 << 29  # RLIMIT_AS of each run (1.5 GB)
FSIZE_LIMIT = 256 << 20  # no run may write more output than this
FAILURES = ("CRASH", "HANG", "MEMORY", "SILENT")
CLASSES = ("ok", "warned", "error", *FAILURES)
WARNING = "dapcore: warning:"

# ``python -m dapcore ARGS`` under resource limits, without preexec_fn (the
# runs start from worker threads). At exit the child writes its own peak RSS
# (VmHWM) to the file named in argv[3]: the kernel's ru_maxrss of a child
# counts the parent's RSS at the fork, which in a long pytest session is GBs.
_LIMITED = (
    "import atexit, resource, runpy, sys\n"
    "lim = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (lim, lim))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "hwm_file = sys.argv[3]\n"
    "def hwm():\n"
    "    if hwm_file == '-':\n"
    "        return\n"
    "    with open('/proc/self/status') as f:\n"
    "        kb = next((ln.split()[1] for ln in f if ln.startswith('VmHWM:')), '0')\n"
    "    with open(hwm_file, 'w') as f:\n"
    "        f.write(kb)\n"
    "atexit.register(hwm)\n"
    "sys.argv = ['dapcore'] + sys.argv[4:]\n"
    "runpy.run_module('dapcore', run_name='__main__', alter_sys=True)\n"
)


def limited_command(args: list[str], hwm_file: str = "-") -> list[str]:
    """The argv running ``python -m dapcore *args`` under the fuzz limits
    (its peak RSS in KiB is written to ``hwm_file`` at exit)."""
    return [sys.executable, "-c", _LIMITED, str(AS_LIMIT), str(FSIZE_LIMIT), hwm_file, *args]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONWARNINGS", None)
    return env


@dataclass(slots=True)
class Run:
    returncode: int | None  # None: killed at the deadline
    stdout: str
    stderr: str
    seconds: float
    maxrss: int  # bytes

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_cli(args: list[str], timeout: float = TIMEOUT) -> Run:
    """Run ``python -m dapcore *args``; stdout and stderr go to files (no
    pipe can fill up), the process group is killed at the deadline."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as hwm:
        start = time.monotonic()
        proc = subprocess.Popen(limited_command(args, hwm.name), stdin=subprocess.DEVNULL,
                                stdout=out,
                                stderr=err, cwd=REPO, env=child_env(), start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, _usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        try:  # leftovers of the group (none expected)
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out.seek(0)
        err.seek(0)
        peak = hwm.read().strip()  # empty when the child died before its atexit
        return Run(None if killed.is_set() else code,
                   out.read(1 << 20).decode("utf-8", "replace"),
                   err.read(1 << 20).decode("utf-8", "replace"), seconds,
                   int(peak) * 1024 if peak.isdigit() else 0)


def comparable(run: Run, replace: dict[str, str]) -> str:
    """stdout plus the stderr lines that are not warnings, mutated paths
    put back to the pristine ones."""
    text = run.stdout + "".join(line + "\n" for line in run.stderr.split("\n")
                                if line and not line.startswith(WARNING))
    for new, old in replace.items():
        text = text.replace(new, old)
    return text


def classify(run: Run, baseline: str | None, replace: dict[str, str]) -> tuple[str, str]:
    """(class, detail) of one run against the pristine files' output."""
    err_lines = [line for line in run.stderr.split("\n") if line.strip()]
    last = err_lines[-1][:300] if err_lines else ""
    if run.timed_out:
        return "HANG", f"killed after {TIMEOUT:.0f} s; stderr: {last!r}"
    if run.maxrss > RSS_LIMIT or "MemoryError" in run.stderr:
        return "MEMORY", f"peak RSS {run.maxrss >> 20} MB; exit {run.returncode}; {last!r}"
    code = run.returncode
    assert code is not None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return "CRASH", f"killed by {name}; stderr: {last!r}"
    if "Traceback (most recent call last)" in run.stderr or "internal error" in run.stderr:
        return "CRASH", f"exit {code}: {_traceback_tail(run.stderr)}"
    if code == 1:
        if err_lines and all(line.startswith("dapcore: ") for line in err_lines):
            return "error", last
        return "CRASH", f"exit 1 without a clean one-line 'dapcore: …' message: {last!r}"
    if code != 0:
        return "CRASH", f"exit {code}: {last!r}"
    got = comparable(run, replace)
    if baseline is None or got == baseline:
        return "ok", ""
    if WARNING in run.stderr:
        return "warned", next(line for line in err_lines if line.startswith(WARNING))[:300]
    return "SILENT", first_difference(baseline, got)


def _traceback_tail(stderr: str) -> str:
    lines = [line for line in stderr.split("\n") if line.strip()]
    for line in reversed(lines):
        if "internal error" in line or "Error" in line or "Exception" in line:
            where = [x.strip() for x in lines if x.strip().startswith("File ")]
            at = f" (at {where[-1]})" if where else ""
            return line.strip()[:300] + at
    return lines[-1][:300] if lines else ""


def first_difference(old: str, new: str) -> str:
    a, b = old.split("\n"), new.split("\n")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"line {i + 1}: {x[:140]!r} -> {y[:140]!r}"
    return f"{len(a)} lines -> {len(b)} lines"


@dataclass(slots=True)
class Outcome:
    case: Case
    klass: str
    detail: str
    returncode: int | None
    seconds: float
    maxrss: int

    @property
    def failed(self) -> bool:
        return self.klass in FAILURES

    def report(self) -> str:
        """The case, what happened, and how to rebuild its files."""
        c = self.case
        return (f"{c.describe()}\n    -> {self.klass}: {self.detail}\n"
                f"    rebuild: python benchmarks/fuzz.py {fixtures_option(c)}--seed {c.seed} "
                f"--only={c.index} --keep /tmp/fuzz-case")


def fixtures_option(case: Case) -> str:
    """``--fixtures …`` for a rebuild command (empty for the default four)."""
    from tests.fuzz import FUZZ_SPECS

    default = list(case.pool) == [s.id for s in FUZZ_SPECS]
    return "" if default else f"--fixtures {','.join(case.pool)} "


class Harness:
    """Pristine outputs per (fixture, command), then cases run in parallel."""

    def __init__(self, targets: list[Target], workdir: Path, jobs: int = 2) -> None:
        self.targets = {t.id: t for t in targets}
        self.workdir = workdir
        self.jobs = jobs
        self.baselines: dict[tuple[str, tuple[str, ...]], str] = {}

    def baseline(self, fid: str, command: tuple[str, ...]) -> str:
        key = (fid, command)
        if key not in self.baselines:
            t = self.targets[fid]
            run = run_cli([*command, str(t.binary), str(t.core)])
            if run.returncode != 0:
                raise AssertionError(f"pristine {fid}: dapcore {' '.join(command)} exited "
                                     f"{run.returncode}: {run.stderr[-500:]}")
            self.baselines[key] = comparable(run, {})
        return self.baselines[key]

    def run_case(self, case: Case) -> Outcome:
        t = self.targets[case.fixture]
        base = self.baseline(case.fixture, case.command)
        where = self.workdir / f"case-{case.index}"
        try:
            binary, core = materialize(case, t, where)
            run = run_cli([*case.command, str(binary), str(core)])
            replace = {str(binary): str(t.binary), str(core): str(t.core)}
            klass, detail = classify(run, base, replace)
            return Outcome(case, klass, detail, run.returncode, run.seconds, run.maxrss)
        finally:
            _remove(where)

    def run(self, cases: Iterable[Case],
            progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
        cases = list(cases)
        for key in dict.fromkeys((c.fixture, c.command) for c in cases):
            self.baseline(*key)
        out: list[Outcome] = []
        with ThreadPoolExecutor(self.jobs) as pool:
            for o in pool.map(self.run_case, cases):
                out.append(o)
                if progress is not None:
                    progress(o)
        return out


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)  # a case's own directory: files, a FIFO, links


def counts(outcomes: list[Outcome]) -> Counter[str]:
    return Counter(o.klass for o in outcomes)


def table(outcomes: list[Outcome]) -> str:
    """Counts per class, overall and per mutation target (role:target)."""
    return class_table([(o.case.key, o.klass) for o in outcomes], CLASSES)


def class_table(keyed: list[tuple[str, str]], classes: tuple[str, ...]) -> str:
    """A table of (row key, class) pairs: a row per key, a column per class
    (at least 7 wide), the totals last."""
    by_key: dict[str, Counter[str]] = {}
    for key, klass in keyed:
        by_key.setdefault(key, Counter())[klass] += 1
    total = Counter(klass for _, klass in keyed)
    width = max([len(k) for k in by_key] + [6])
    cols = [(c, max(len(c), 7)) for c in classes]

    def row(name: str, counts: Counter[str], blank: str) -> str:
        return (f"{name:<{width}} " + " ".join(f"{counts[c] or blank:>{n}}" for c, n in cols)
                + f" {sum(counts.values()):>7}")

    head = f"{'target':<{width}} " + " ".join(f"{c:>{n}}" for c, n in cols) + "   total"
    rows = [head, "-" * len(head)]
    rows += [row(key, by_key[key], "") for key in sorted(by_key)]
    rows += ["-" * len(head), row("all", total, "0")]
    return "\n".join(rows)
