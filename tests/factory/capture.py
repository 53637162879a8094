"""Running a scenario to its end and keeping its core.

Two ways to get a core:

* ``kernel`` — the kernel writes it (``ulimit -c unlimited``, a plain
  ``core_pattern`` such as ``core``); used whenever the pattern allows.
* ``gdb`` — when cores are piped away (systemd-coredump, apport) the program
  runs under gdb, which stops at the runtime's final SIGABRT and writes the
  core with ``gcore``. Snapshots always use ``gcore`` on the live process.

arm64 binaries run under ``qemu-aarch64-static`` (``qemu``): qemu itself
writes the guest's aarch64 core, ``qemu_<exe>_<date>-<time>_<pid>.core``
in the working directory, whatever ``core_pattern`` says (it needs
``ulimit -c`` all the same), then aborts, and the kernel may dump qemu's own
x86-64 process as ``core``: that one is deleted. SIGQUIT goes to the qemu
process, which delivers it to the guest.

gdb writes every mapped page; ``fallocate --dig-holes`` turns the zero pages
back into holes, so every core is kept sparse.
"""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.factory.scenarios import CRASH, SIGQUIT, SNAPSHOT, Scenario
from tests.factory.toolchains import Qemu

READY_TIMEOUT = 60.0
EXIT_TIMEOUT = 90.0
SNAPSHOT_SETTLE = 0.2


class CaptureError(RuntimeError):
    """The scenario did not end the way it should, or left no core."""


@dataclass(frozen=True, slots=True)
class Capture:
    workdir: Path  # holds core, stderr.txt, stdout.txt and the side files
    method: str
    signal: str | None  # the signal that ended the process
    argv: list[str]
    seconds: float


def core_method() -> str:
    """``kernel`` when the kernel writes cores into the working directory,
    else ``gdb``."""
    try:
        pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    except OSError:
        return "gdb"
    if not pattern or pattern.startswith("|") or "/" in pattern:
        return "gdb"
    return "kernel"


def _env(workdir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "GOTRACEBACK": "crash",
        "ZOO_OUT": str(workdir),
    }


def _allow_cores() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _no_cores() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_setup(method: str, coredump_filter: int | None) -> Callable[[], None]:
    """What the child does before exec: allow cores (the kernel writes them)
    or not (gdb does), and set the coredump_filter the program inherits."""
    def setup() -> None:
        (_allow_cores if method == "kernel" else _no_cores)()
        if coredump_filter is not None:
            with open("/proc/self/coredump_filter", "w") as f:
                f.write(f"{coredump_filter:#x}")
    return setup


def _wait_ready(proc: subprocess.Popen[bytes], workdir: Path, what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not (workdir / "ready").exists():
        if proc.poll() is not None:
            raise CaptureError(f"{what}: exited ({proc.returncode}) before it was ready"
                               + _tail(workdir))
        if time.monotonic() > deadline:
            proc.kill()
            raise CaptureError(f"{what}: not ready after {READY_TIMEOUT:.0f} s" + _tail(workdir))
        time.sleep(0.02)


def _wait_exit(proc: subprocess.Popen[bytes], workdir: Path, what: str,
               timeout: float = EXIT_TIMEOUT) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise CaptureError(f"{what}: still running after {timeout:.0f} s"
                           + _tail(workdir)) from None


def _tail(workdir: Path) -> str:
    try:
        lines = (workdir / "stderr.txt").read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\nstderr ends with:\n" + "\n".join(lines[-15:])


def _signal_name(returncode: int) -> str | None:
    return signal.Signals(-returncode).name if returncode < 0 else None


def _find_core(workdir: Path, pid: int) -> Path:
    for name in ("core", f"core.{pid}"):
        if (workdir / name).exists():
            return workdir / name
    found = sorted(p for p in workdir.glob("core*") if p.is_file())
    if not found:
        raise CaptureError(f"no core file in {workdir} (core_pattern, ulimit -c?)"
                           + _tail(workdir))
    return found[0]


def _gcore(pid: int, workdir: Path, extra: list[str]) -> None:
    """Attach gdb to ``pid``, run ``extra`` commands, write ``workdir/core``."""
    if shutil.which("gdb") is None:
        raise CaptureError("gdb is needed to write this core and is not installed")
    cmd = ["gdb", "-nx", "-batch", "-q", "-p", str(pid),
           "-ex", "set pagination off", *extra,
           "-ex", f"gcore {workdir / 'core'}", "-ex", "detach"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=EXIT_TIMEOUT, check=False)
    if not (workdir / "core").exists():
        raise CaptureError(f"gcore of {pid} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")


# Let Go's own signals (SIGURG preemption, SIGPIPE …) through; stop only at
# the runtime's final abort.
_GDB_STOP_AT_ABORT = ["-ex", "handle all nostop noprint pass",
                      "-ex", "handle SIGABRT stop print nopass"]


def run(binary: Path, scenario: Scenario, workdir: Path, method: str | None = None,
        qemu: Qemu | None = None) -> Capture:
    """Run ``binary`` for ``scenario`` in ``workdir`` and leave its core there
    as ``workdir/core`` next to ``stderr.txt`` and the side files. With
    ``qemu`` (an arm64 binary) the program runs under qemu, which writes
    the core (``method`` does not apply)."""
    if qemu is not None:
        return _run_under_qemu(binary, scenario, workdir, qemu)
    method = method or core_method()
    if scenario.trigger == SNAPSHOT:
        method = "gcore"
    argv = [str(binary), scenario.argv_name, *scenario.args]
    what = f"{binary.name} {scenario.name}"
    env = _env(workdir)
    start = time.monotonic()
    if method == "gdb" and scenario.trigger == CRASH:
        sig = _run_under_gdb(argv, workdir, env, what, scenario.coredump_filter,
                             scenario.exit_timeout or EXIT_TIMEOUT)
    else:
        with (workdir / "stdout.txt").open("wb") as out, (workdir / "stderr.txt").open("wb") as err:
            proc = subprocess.Popen(
                argv, cwd=workdir, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                preexec_fn=_child_setup(method, scenario.coredump_filter),
                start_new_session=True,
            )
            if scenario.trigger == CRASH:
                sig = _signal_name(_wait_exit(proc, workdir, what,
                                              scenario.exit_timeout or EXIT_TIMEOUT))
            elif scenario.trigger == SIGQUIT:
                _wait_ready(proc, workdir, what)
                if method == "kernel":
                    proc.send_signal(signal.SIGQUIT)
                else:
                    _gcore(proc.pid, workdir, [*_GDB_STOP_AT_ABORT, "-ex", "signal SIGQUIT"])
                    proc.kill()
                sig = _signal_name(_wait_exit(proc, workdir, what))
            else:
                _wait_ready(proc, workdir, what)
                # The goroutine that wrote stack.txt returns right after
                # creating "ready": let it finish dying before the snapshot.
                time.sleep(SNAPSHOT_SETTLE)
                _gcore(proc.pid, workdir, [])
                proc.kill()
                proc.wait()
                sig = None
        if method == "kernel":
            core = _find_core(workdir, proc.pid)
            if core.name != "core":
                core.rename(workdir / "core")
    _finish(workdir, what, sig, scenario)
    if scenario.gdb_bt:
        write_gdb_bt(binary, workdir / "core", workdir / GDB_BT)
    return Capture(workdir, method, sig, argv, time.monotonic() - start)


GDB_BT = "gdb_bt.txt"


def gdb_backtrace(binary: Path, core: Path) -> str | None:
    """gdb's backtrace of every thread of the core (``thread apply all
    bt``), None without gdb."""
    gdb = shutil.which("gdb")
    if gdb is None:
        return None
    done = subprocess.run([gdb, "-batch", "-nx", "-ex", "set pagination off",
                           "-ex", "thread apply all bt",
                           str(binary), str(core)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, check=False)
    return done.stdout


def write_gdb_bt(binary: Path, core: Path, dest: Path) -> None:
    """gdb's backtrace as a side file: the oracle of C frames
    (tests/test_cframes.py); nothing when gdb is not installed."""
    text = gdb_backtrace(binary, core)
    if text is not None:
        dest.write_text(text)


def _finish(workdir: Path, what: str, sig: str | None, scenario: Scenario) -> None:
    if scenario.trigger != SNAPSHOT and sig is None:
        raise CaptureError(f"{what}: exited normally instead of dying by a signal" + _tail(workdir))
    core = workdir / "core"
    if not core.exists() or core.stat().st_size == 0:
        raise CaptureError(f"{what}: no core was written" + _tail(workdir))
    subprocess.run(["fallocate", "--dig-holes", str(core)], check=False, capture_output=True)


def _run_under_qemu(binary: Path, scenario: Scenario, workdir: Path, qemu: Qemu) -> Capture:
    """An arm64 crash or SIGQUIT under qemu; qemu writes the guest's core."""
    if scenario.trigger == SNAPSHOT:
        raise CaptureError(f"{binary.name} {scenario.name}: no snapshot of a qemu guest "
                           "(qemu's gdbstub gives gcore no memory map)")
    argv = qemu.argv(binary, scenario.argv_name, *scenario.args)
    what = f"{binary.name} {scenario.name} (qemu)"
    start = time.monotonic()
    with (workdir / "stdout.txt").open("wb") as out, (workdir / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen(
            argv, cwd=workdir, env=_env(workdir), stdout=out, stderr=err,
            stdin=subprocess.DEVNULL, preexec_fn=_allow_cores, start_new_session=True,
        )
        if scenario.trigger == SIGQUIT:
            _wait_ready(proc, workdir, what)
            proc.send_signal(signal.SIGQUIT)  # qemu hands it to the guest
        sig = _signal_name(_wait_exit(proc, workdir, what,
                                      scenario.exit_timeout or EXIT_TIMEOUT))
    # qemu's own x86-64 core (core_pattern "core", "core.%p" …): not ours.
    for own in workdir.glob("core*"):
        own.unlink()
    guest = sorted(workdir.glob("qemu_*.core"))
    if len(guest) != 1:
        raise CaptureError(f"{what}: {len(guest)} qemu_*.core files in {workdir} "
                           "(ulimit -c?)" + _tail(workdir))
    guest[0].rename(workdir / "core")
    _finish(workdir, what, sig, scenario)
    return Capture(workdir, "qemu", sig, argv, time.monotonic() - start)


def _run_under_gdb(argv: list[str], workdir: Path, env: dict[str, str], what: str,
                   coredump_filter: int | None = None,
                   timeout: float = EXIT_TIMEOUT) -> str | None:
    if shutil.which("gdb") is None:
        raise CaptureError("cores are piped away on this machine and gdb is not installed")
    redirect = (f"{shlex.join(argv[1:])} >{shlex.quote(str(workdir / 'stdout.txt'))}"
                f" 2>{shlex.quote(str(workdir / 'stderr.txt'))} </dev/null")
    cmd = ["gdb", "-nx", "-batch", "-q", "-ex", "set pagination off",
           "-ex", "set startup-with-shell on", *_GDB_STOP_AT_ABORT,
           "-ex", f"run {redirect}", "-ex", f"gcore {workdir / 'core'}", "-ex", "kill",
           argv[0]]
    try:
        res = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True,
                             timeout=timeout, check=False,
                             preexec_fn=_child_setup("gdb", coredump_filter))
    except subprocess.TimeoutExpired:
        raise CaptureError(f"{what}: still running under gdb after {timeout:.0f} s") from None
    if "SIGABRT" in res.stdout:
        return "SIGABRT"
    raise CaptureError(f"{what}: gdb saw no SIGABRT:\n{res.stdout[-2000:]}" + _tail(workdir))
