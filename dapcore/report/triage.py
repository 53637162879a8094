"""``dapcore triage DIR…``: many cores read in parallel worker processes,
grouped by crash signature, one report per signature.

Each core is one task (:func:`dapcore.report.worker.read_core`): a worker
opens it, computes its signature and closes it, so a worker never holds
more than one core's index. Then one core of each signature (the newest)
is read again for its report. A core that cannot be read is listed with
its error; a worker that dies (a bug, memory) takes only its own core with
it: the cores it left unfinished are read again one at a time.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dapcore.report.discover import executables_by_build_id, find_cores
from dapcore.report.render import EXTENSIONS
from dapcore.report.worker import CoreResult, read_core, report_core

__all__ = ["Crash", "Triage", "run"]

T = TypeVar("T")


@dataclass(slots=True)
class Crash:
    """The cores of one signature."""

    signature: dict[str, Any]
    cores: list[CoreResult] = field(default_factory=list)
    report: str | None = None  # the file written
    report_error: str | None = None

    @property
    def first(self) -> float:
        return min(c.mtime for c in self.cores)

    @property
    def last(self) -> float:
        return max(c.mtime for c in self.cores)


@dataclass(slots=True)
class Triage:
    crashes: list[Crash]
    unreadable: list[tuple[str, str]]  # (path, why)
    cores: int
    seconds: float
    jobs: int


def _pool(jobs: int) -> ProcessPoolExecutor:
    # forkserver: workers forked from a server that imported the engine once
    # (fast), not from this process (whatever threads it has)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["dapcore.report.worker"])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)


def _run_all(jobs: int, tasks: list[tuple[Callable[..., T], tuple[Any, ...]]],
             died: Callable[[tuple[Any, ...]], T]) -> list[T]:
    """Every task's result, in order, in ``jobs`` processes; a task whose
    worker died is run again alone, and ``died(args)`` stands for it when
    it kills its worker again."""
    if not tasks:
        return []
    results: list[T | None] = [None] * len(tasks)
    again: list[int] = []
    with _pool(min(jobs, len(tasks))) as pool:
        futures: list[Future[T]] = [pool.submit(fn, *args) for fn, args in tasks]
        for i, fut in enumerate(futures):
            try:
                results[i] = fut.result()
            except BrokenProcessPool:
                again.append(i)
    for i in again:
        fn, args = tasks[i]
        try:
            with _pool(1) as pool:
                results[i] = pool.submit(fn, *args).result()
        except BrokenProcessPool:
            results[i] = died(args)
    return [r for r in results if r is not None]


def run(dirs: list[str], executable_dirs: list[str], jobs: int, fmt: str, out_dir: str | None,
        redact: bool) -> Triage:
    start = time.monotonic()
    found = find_cores(dirs)
    by_id, exe_problems = executables_by_build_id(executable_dirs)
    unreadable = list(found.problems) + exe_problems

    def died(args: tuple[Any, ...]) -> CoreResult:
        return CoreResult(args[0], 0.0, error="the worker reading it died (out of memory?)")

    results = _run_all(jobs, [(read_core, (c, by_id)) for c in found.cores], died)
    crashes: dict[str, Crash] = {}
    for r in results:
        if r.error is not None or r.signature is None:
            unreadable.append((r.core, r.error or "no signature"))
            continue
        crashes.setdefault(r.signature["hash"], Crash(r.signature)).cores.append(r)
    ordered = sorted(crashes.values(), key=lambda c: (-len(c.cores), c.signature["hash"]))
    for c in ordered:
        c.cores.sort(key=lambda r: (r.mtime, r.core))
    if out_dir is not None:
        _write_reports(ordered, jobs, fmt, out_dir, redact)
    return Triage(ordered, unreadable, len(found.cores), time.monotonic() - start, jobs)


def _write_reports(crashes: list[Crash], jobs: int, fmt: str, out_dir: str,
                   redact: bool) -> None:
    os.makedirs(out_dir, exist_ok=True)
    newest = [c.cores[-1] for c in crashes]
    tasks: list[tuple[Callable[..., tuple[str | None, str]], tuple[Any, ...]]] = [
        (report_core, (r.core, r.executable, fmt, redact)) for r in newest]
    texts = _run_all(jobs, tasks, lambda args: (None, "the worker making it died"))
    for c, (text, error) in zip(crashes, texts, strict=True):
        if text is None:
            c.report_error = error
            continue
        path = os.path.join(out_dir, f"crash-{c.signature['hash']}.{EXTENSIONS[fmt]}")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        c.report = path
