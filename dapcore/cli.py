"""The ``dapcore`` command line: the engine for terminals and CI.

``dapcore goroutines|bt|crash BIN CORE`` print what the DAP server shows an
editor; ``--json`` gives the same as data.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from typing import TYPE_CHECKING, Any

from dapcore.errors import DapcoreError, command_failure

if TYPE_CHECKING:
    import argparse

    from dapcore.engine import Engine  # heavy: imported when a command needs a core

def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dapcore`` console script."""
    if (sys.argv[1:] if argv is None else argv) == ["dap"]:
        # what editors run: 'initialize' is answered before the parser and
        # the server are built (start-up time, issue #16)
        from dapcore.dap.handshake import main as serve_stdio

        return serve_stdio()
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader went away (``dapcore bt -a | head``): stop quietly, as
        # Unix tools do. Python would complain again when it flushes stdout
        # at exit, so stdout is pointed at /dev/null first.
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool SIGPIPE ended


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file descriptor (tests capture it)
        pass


def _main(argv: list[str] | None) -> int:
    from dapcore.cliargs import build_parser  # argparse: not before 'dapcore dap' answers

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "demo":
        from dapcore.demo import main as demo_main  # a DAP client: subprocess, sockets

        return demo_main()
    if args.command == "dap":
        from dapcore.dap.server import run  # anyio: only the server needs it

        return run(args)
    if args.command in ("report", "triage"):
        # the report's renderers and the process pool: only these commands need them
        from dapcore.report.command import run_report, run_triage

        return run_report(args) if args.command == "report" else run_triage(args)
    if args.command == "executable":
        sys.stdout.write(json.dumps(executable_info(args.core)) + "\n")
        return 0
    from dapcore.engine import Engine  # heavy: imported when a command needs a core

    try:
        report = Engine.open(args.binary, args.core, args.debug_dirs, args.index_cache)
        out = _output(report, args)
        # The checks of every goroutine and thread (warnings below), also
        # when the command needed the crashing goroutine alone.
        report.check_goroutines()
        notes = report.notices
    except Exception as exc:  # DapcoreError: 1; a bug, or damage not yet foreseen: 2
        text, status = command_failure(
            exc, f"dapcore {args.command} EXECUTABLE {args.core}",
            f"reading {args.binary or 'the executable it names'} with {args.core}")
        print(f"dapcore: {text}", file=sys.stderr)
        return status
    if isinstance(out, str):
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    else:
        sys.stdout.write(json.dumps(out, separators=(",", ":")))
        sys.stdout.write("\n")
    for n in notes:
        print(f"dapcore: {n}", file=sys.stderr)
    for w in report.warnings:
        print(f"dapcore: warning: {w}", file=sys.stderr)
    return 0


def executable_info(core: str, limit: int = 20) -> dict[str, Any]:
    """What ``dapcore executable CORE`` prints: ``core`` (``named``: the
    executable the core names, ``goBuildId``: its Go build ID as the core
    holds it, ``namedGoBuildId``: the Go build ID of the file at ``named``
    on this machine; null for a file that is not a readable core) and ``nextTo``:
    up to ``limit`` ELF executables in the core's directory (``path``,
    ``mtimeMs``, ``goBuildId``, ``match``: the core's Go build ID), the
    matching ones first, then newest first."""
    from dapcore.engine import Engine  # heavy: the runtime readers

    build_id: str | None = None
    found: dict[str, Any] | None = None
    try:
        named, build_id = Engine.core_executable(core)
        found = {"named": named, "goBuildId": build_id, "namedGoBuildId": None}
    except (DapcoreError, OSError):
        pass
    if found is not None and found["named"] and os.path.isfile(found["named"]):
        try:
            found["namedGoBuildId"] = Engine.executable_build_id(found["named"])
        except (DapcoreError, OSError):
            pass
    out = []
    directory = os.path.dirname(core) or "."
    try:
        names = os.listdir(directory)[:5000]
    except OSError:
        names = []
    for name in names:
        path = os.path.join(directory, name)
        if os.path.normpath(path) == os.path.normpath(core) or _SHARED_LIBRARY.search(name):
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111 or st.st_size < 64:
            continue
        try:
            their_id = Engine.executable_build_id(path)
        except (DapcoreError, OSError):
            continue  # not an ELF executable
        out.append({"path": path, "mtimeMs": st.st_mtime * 1000, "goBuildId": their_id,
                    "match": bool(build_id and their_id == build_id)})
    out.sort(key=lambda c: (not c["match"], -c["mtimeMs"]))
    return {"core": found, "nextTo": out[:limit]}


def _groups_output(report: Engine, args: argparse.Namespace) -> Any:
    """``goroutines --group/--leaks/--filter``: the groups (a filter alone
    lists the goroutines it keeps, one group each… as groups: the same
    stacks counted together is what a filter is for)."""
    from dapcore.triage.groups import parse_filters
    from dapcore.triage.text import groups_json, groups_text, leak_json, leaks_text

    try:
        flt = parse_filters(args.filter)
    except ValueError as exc:
        raise DapcoreError(str(exc)) from None
    groups = report.goroutine_groups(flt)
    leaks = report.leak_summary(groups) if args.leaks else None
    if args.json:
        out: dict[str, Any] = {}
        if args.group or not args.leaks:
            out.update(groups_json(groups))
        if leaks is not None:
            out["leaks"] = [leak_json(s) for s in leaks]
        return out
    parts = []
    if args.group or not args.leaks:
        parts.append(groups_text(groups, report.goroutine_count))
    if leaks is not None:
        parts.append(("\nLeak summary:\n" if parts else "") + leaks_text(leaks))
    return "\n".join(parts)


_SHARED_LIBRARY = re.compile(r"\.so(\.\d+)*$")


def _output(report: Engine, args: argparse.Namespace) -> Any:
    """What the command prints (text, or data for ``--json``)."""
    from dapcore import render  # threads, the value model's seams: once a core is open

    if args.command == "goroutines":
        if args.group or args.leaks or args.filter:
            return _groups_output(report, args)
        return (render.goroutines_json(report, frames=False) if args.json
                else render.goroutines_text(report))
    if args.command == "blocking":
        from dapcore.triage.blockingtext import blocking_json, blocking_text

        found = report.blocking()
        return blocking_json(found) if args.json else blocking_text(found)
    if args.command == "bt":
        if args.all:
            ids = [g.goid for g in report.goroutines]
        else:
            ids = [args.goroutine if args.goroutine is not None else report.default_goid()]
        return render.goroutines_json(report, ids=ids) if args.json else render.bt_text(report, ids)
    if args.command in ("locals", "print"):

        goid = args.goroutine if args.goroutine is not None else report.default_goid()
        frame = args.frame
        if frame is None:
            frame = report.landing_frame(goid)
            print(f"dapcore: goroutine {goid}, {render.frame_line(report, goid, frame)}",
                  file=sys.stderr)
        if args.command == "locals":
            return render.locals_output(report, goid, frame, args.json)
        return render.print_output(report, goid, frame, args.name, args.json)
    return render.crash_json(report) if args.json else render.crash_text(report)
