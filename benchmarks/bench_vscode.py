"""F5 to the stopped view with locals, in a real VS Code (code-server).

Usage (from the repository root)::

    python benchmarks/bench_vscode.py [--runs 3] [--only nilmap,many-100k,many-100k@0]
        [--max-threads N] [--explore] [--trace] [--code DIR] [--json]

The machinery of ``tests/test_e2e_vscode.py`` (``tests/e2e/vscode_session.py``:
code-server 4.100.3 in headless Chromium driven by puppeteer-core, the
extension packaged from this tree) runs drive.js's ``f5time`` scenario on a
launch.json for each core, alternating the cores run after run, after one
untimed warm-up run each. drive.js stamps in the page (every 20 ms) the
first moment each part of the stopped view shows; the table gives, from
the F5 that started the session (the last one pressed before the adapter
started: a key pressed while the workbench still connects is dropped), the
medians of: the adapter's start (stamped by the interpreter's wrapper
script), the status bar's debugging colour (session started), the debug
toolbar, the first thread row in CALL STACK, the thread marked paused (the
``stopped`` event seen), the crash line highlighted in the editor, a frame
selected in CALL STACK (its call stack shown) and a ``name = value`` row
in VARIABLES (**locals shown**, the headline), then the ratio of each
core's locals to the first core's (issue #16's target for ``many-100k``:
within 1.5x of ``nilmap``). Each run also prints the page's longest
main-thread tasks (a frozen window) and the CALL STACK's length in rows.

Cores (Go 1.27, default variant, built through the fixture factory when
missing — ``many-100k`` on request only, as here): ``nilmap`` (16
goroutines) and ``many-100k`` (100,007).

``--explore``: on the last run of each core, CALL STACK is scrolled to its
end (End), the last thread expanded, ``goroutine N`` typed in the Debug
Console for the highest goroutine id when the list is capped, and the
times printed; screenshots are
under ``$DAPCORE_CACHE/e2e/artifacts/bench-vscode``. ``--trace``: the
adapter runs behind ``dap_relay.py``, which logs every DAP message's time
and size; the run's timeline of messages is printed next to the UI's.
``--code DIR``: serve another checkout's ``dapcore`` (before/after a change).
``--max-threads N``: the launch configuration's ``maxThreads`` (unset: the
extension's default; 0: every goroutine); ``--only …,many-100k@0``: that
core with ``maxThreads`` 0 (its own row).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e import vscode_session as vs  # noqa: E402
from tests.factory import Fixture, ensure  # noqa: E402
from tests.factory.matrix import spec  # noqa: E402
from tests.factory.paths import cache_root  # noqa: E402

GO = "1.27"
VARIANT = "default"
SCENARIOS = ("nilmap", "many-100k")
# the page's stamps (drive.js, watchMilestones), in the order the user sees them
PHASES = ("adapter started", "session started", "debug toolbar", "threads listed",
          "paused (stopped event)", "stopped line", "call stack shown", "locals shown")
TARGET_RATIO = 1.5
EXTENSION_MAX_THREADS = 1000  # vscode-extension/extension.js, DEFAULT_MAX_THREADS


def adapter_python(tmp: Path, code: Path, trace_log: Path | None) -> Path:
    """The interpreter the launch configuration names: this Python with
    ``code`` first on its path, behind the relay when tracing. The
    extension's check (``-P -c …``) runs the interpreter itself; the
    adapter's start is stamped in ``tmp/adapter-started`` (epoch ms): the
    F5 that started the session is the last one pressed before it."""
    relay = ""
    if trace_log is not None:
        relay = (f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'dap_relay.py'))} "
                 f"{shlex.quote(str(trace_log))} -- ")
    script = tmp / "adapter-python"
    script.write_text(
        "#!/bin/sh\n"
        f"export PYTHONPATH={shlex.quote(str(code))}\n"
        'if [ "$2" = "-m" ]; then\n'
        f"  date +%s%3N >> {shlex.quote(str(tmp / 'adapter-started'))}\n"
        f'  exec {relay}{shlex.quote(sys.executable)} "$@"\nfi\n'
        f'exec {shlex.quote(sys.executable)} "$@"\n')
    script.chmod(0o755)
    return script


def timeline(result: dict[str, Any], spawned: Path) -> dict[str, float]:
    """ms from the F5 that started the session (the last one pressed before
    the adapter started) to each stamped phase."""
    steps = result["steps"]
    stamps = {s["step"][4:]: s["ms"] for s in steps if s["step"].startswith("ui: ")}
    started = (int(spawned.read_text().split()[0]) - result["t0"] if spawned.exists()
               else stamps.get("session started"))
    if started is not None:
        stamps["adapter started"] = started
    presses = [s["ms"] for s in steps if s["step"] == "F5"
               and (started is None or s["ms"] <= started)]
    if not presses:
        return {}
    f5 = presses[-1]
    return {k: v - f5 for k, v in stamps.items()} | {"f5At": f5}


def dap_timeline(log: Path, result: dict[str, Any], f5_ms: float) -> list[str]:
    """The relay's messages of this run, in ms from F5."""
    if not log.exists():
        return []
    f5 = result["t0"] + f5_ms
    lines = []
    for raw in log.read_text().splitlines():
        m = json.loads(raw)
        name = m.get("command") or m.get("event") or "?"
        lines.append(f"  {m['t'] - f5:8.0f} ms  {m['dir']} {m.get('type', '?'):8} {name:18} "
                     f"{m['bytes']:>10,} B")
    return lines


def one_run(tools: dict[str, Path], server: vs.CodeServer, fx: Fixture, run_dir: Path,
            python: Path, explore: bool, max_threads: int | None) -> dict[str, Any]:
    launch = {"type": "gocore", "request": "launch", "name": "Go core",
              "program": str(fx.binary), "coreFilePath": str(fx.core),
              "python": str(python), "cwd": "${workspaceFolder}"}
    if max_threads is not None:
        launch["maxThreads"] = max_threads
    ws = vs.workspace(run_dir, launch)
    art = run_dir / "artifacts"
    extra: dict[str, Any] = {}
    cap = EXTENSION_MAX_THREADS if max_threads is None else max_threads
    ids = [int(g) for g in _goroutine_ids(fx)] if explore else []
    if cap and len(ids) > cap:  # the highest id: left out of the capped list
        extra["consoleGoroutine"] = max(ids)
    result = vs.drive(tools, server, ws, "f5time", art, timeout=900, explore=explore,
                      stoppedTimeout=600000, filledTimeout=300000, **extra)
    result["timeline"] = timeline(result, run_dir / "adapter-started")
    result["artifacts"] = str(art)
    return result


def _goroutine_ids(fx: Fixture) -> list[str]:
    """Goroutine ids from the runtime's traceback (``goroutine N [``)."""
    ids = []
    with open(fx.stderr, errors="replace") as f:
        for line in f:
            if line.startswith("goroutine ") and " [" in line:
                ids.append(line.split()[1])
    return ids


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated cores (first = the reference); "
                    "CORE@N: with maxThreads N")
    ap.add_argument("--explore", action="store_true", help="scroll and expand CALL STACK")
    ap.add_argument("--trace", action="store_true", help="log DAP messages through a relay")
    ap.add_argument("--code", default=str(REPO), help="the checkout whose dapcore is served")
    ap.add_argument("--max-threads", type=int, default=None,
                    help="the launch configuration's maxThreads (unset: the extension's default)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    caps = {n: int(n.split("@")[1]) if "@" in n else args.max_threads for n in names}
    fixtures = {n: ensure(spec(GO, VARIANT, n.split("@")[0])) for n in names}
    tools = vs.install_tools()
    keep = cache_root() / "e2e" / "artifacts" / "bench-vscode"
    shutil.rmtree(keep, ignore_errors=True)
    keep.mkdir(parents=True)
    load = [os.getloadavg()[0]]
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory(prefix="dapcore-bench-vscode.") as tmp_name:
        tmp = Path(tmp_name)
        vsix = vs.package_vsix(tmp / "gocore.vsix")
        with vs.code_server(tools, vsix, tmp / "code-server") as server:
            for i in range(args.runs + 1):  # run 0: the warm-up, not counted
                for name in names:
                    run_dir = tmp / f"{name.replace('@', '-max')}-{i}"
                    (run_dir / "artifacts").mkdir(parents=True)
                    trace = run_dir / "artifacts" / "dap.jsonl" if args.trace else None
                    python = adapter_python(run_dir, Path(args.code).resolve(), trace)
                    explore = args.explore and i == args.runs
                    res = one_run(tools, server, fixtures[name], run_dir, python, explore,
                                  caps[name])
                    load.append(os.getloadavg()[0])
                    report_run(name, i, res, trace)
                    if i:
                        runs[name].append(res)
                    if explore or i == args.runs:
                        shutil.copytree(res["artifacts"], keep / run_dir.name,
                                        ignore=shutil.ignore_patterns("chromium-profile"))
            copy_logs(server, keep)
    print(table(names, runs, load))
    print(f"screenshots and logs: {keep}")
    if args.json:
        print(json.dumps({n: [{k: r[k] for k in ("timeline", "steps", "longTasks",
                                                  "callStackRows", "paintMs") if k in r}
                              for r in rs] for n, rs in runs.items()}, indent=1))
    return 0


def report_run(name: str, i: int, res: dict[str, Any], trace: Path | None) -> None:
    t = res["timeline"]
    what = "warm-up" if i == 0 else f"run {i}"
    err = f"  ERROR: {res['error']}" if "error" in res else ""
    shown = ", ".join(f"{k} {t[k]:.0f}" for k in PHASES if k in t)
    print(f"{name} {what}: {shown} (ms from F5); CALL STACK rows "
          f"{res.get('callStackRows')}, paint {res.get('paintMs')} ms{err}",
          file=sys.stderr, flush=True)
    long_tasks = sorted(res.get("longTasks") or [], key=lambda x: -x["ms"])[:5]
    if long_tasks and "f5At" in t:
        print("  longest main-thread tasks (ms at, from F5: length): " + ", ".join(
            f"{lt['at'] - t['f5At']:.0f}: {lt['ms']}" for lt in long_tasks), file=sys.stderr)
    for step in res["steps"]:
        if step["step"].startswith(("call stack:", "console:")):
            rest = {k: v for k, v in step.items() if k not in ("step", "ms", "ms_to_show")}
            print(f"  {step['step']}: {step.get('ms_to_show')} ms, {rest}", file=sys.stderr)
    if trace is not None and "f5At" in t:
        print("\n".join(dap_timeline(trace, res, t["f5At"])), file=sys.stderr)


def copy_logs(server: vs.CodeServer, keep: Path) -> None:
    """VS Code's own logs (window, extension host, the extension's channel)."""
    if server.logs().is_dir():
        shutil.copytree(server.logs(), keep / "vscode-logs", dirs_exist_ok=True)


def table(names: list[str], runs: dict[str, list[dict[str, Any]]], load: list[float]) -> str:
    head = ["core", "runs", *PHASES, "ratio"]
    lines = [head]
    ref = None
    for name in names:
        rs = [r["timeline"] for r in runs[name] if "locals shown" in r["timeline"]]
        med = {k: statistics.median([r[k] for r in rs if k in r]) for k in PHASES
               if any(k in r for r in rs)}
        loc = med.get("locals shown")
        if ref is None:
            ref = loc
        ratio = f"{loc / ref:.2f}x" if loc and ref else "-"
        lines.append([name, f"{len(rs)}/{len(runs[name])}",
                      *(f"{med[k]:.0f}" if k in med else "-" for k in PHASES), ratio])
    widths = [max(len(x[i]) for x in lines) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip()
            for x in lines]
    text.insert(1, "-" * len(text[0]))
    text.append(f"(ms from F5, medians; ratio: locals shown against {names[0]}; target "
                f"{TARGET_RATIO}x; 1-min load average {min(load):.1f}–{max(load):.1f} "
                f"on {os.cpu_count()} CPUs)")
    return "\n".join(text)


if __name__ == "__main__":
    sys.exit(main())
