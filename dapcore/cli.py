"""The ``dapcore`` command line: the engine for terminals and CI.

``dapcore goroutines|bt|crash BIN CORE`` print what the DAP server shows an
editor; ``--json`` gives the same as data.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dapcore import __version__
from dapcore.errors import DapcoreError


def _add_files(p: argparse.ArgumentParser) -> None:
    p.add_argument("binary", help="the Go executable that produced the core")
    p.add_argument("core", help="the core dump")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dapcore", description="Open Go core dumps: goroutines, stacks, crash reason.")
    parser.add_argument("--version", action="version", version=f"dapcore {__version__}")
    sub = parser.add_subparsers(dest="command")
    g = sub.add_parser("goroutines", help="list every goroutine")
    _add_files(g)
    b = sub.add_parser("bt", help="stack of a goroutine (the crashing one by default)")
    _add_files(b)
    b.add_argument("-g", "--goroutine", type=int, help="goroutine id")
    b.add_argument("-a", "--all", action="store_true", help="every goroutine")
    c = sub.add_parser("crash", help="the crash header and the crashing goroutine")
    _add_files(c)
    lo = sub.add_parser("locals", help="arguments and locals of a frame")
    _add_files(lo)
    _add_frame(lo)
    pr = sub.add_parser("print", help="evaluate an expression in a frame (variables, "
                        "pkg.Var, x.f, a[i], m[\"k\"], *p, &x, len(s), x.(T), arithmetic)")
    _add_files(pr)
    pr.add_argument("name", metavar="expr",
                    help="a Go expression: a local, a global, pkg.Var, or any expression")
    _add_frame(pr)
    _add_dap(sub)
    sub.add_parser("demo", help="open the bundled demo core through the DAP server and "
                   "print what an editor shows")
    return parser


def _add_frame(p: argparse.ArgumentParser) -> None:
    p.add_argument("-g", "--goroutine", type=int,
                   help="goroutine id (default: the crashing one)")
    p.add_argument("-f", "--frame", type=int, default=0,
                   help="frame number, as `dapcore bt` numbers them (default 0)")


def _add_dap(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from dapcore.dap.options import add_arguments

    add_arguments(sub.add_parser("dap", help="serve the Debug Adapter Protocol (stdio or TCP)"))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dapcore`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "demo":
        from dapcore.demo import main as demo_main

        return demo_main()
    if args.command == "dap":
        from dapcore.dap.server import run

        return run(args)
    from dapcore.go.report import Report

    try:
        report = Report.open(args.binary, args.core)
        if args.command == "goroutines":
            out: Any = (report.goroutines_json(frames=False) if args.json
                        else report.goroutines_text())
        elif args.command == "bt":
            if args.all:
                ids = [g.goid for g in report.proc.goroutines]
            else:
                ids = [args.goroutine if args.goroutine is not None else report.default_goid()]
            out = report.goroutines_json(ids=ids) if args.json else report.bt_text(ids)
        elif args.command in ("locals", "print"):
            from dapcore.go.framevalues import locals_output, print_output

            goid = args.goroutine if args.goroutine is not None else report.default_goid()
            if args.command == "locals":
                out = locals_output(report, goid, args.frame, args.json)
            else:
                out = print_output(report, goid, args.frame, args.name, args.json)
        else:
            out = report.crash_json() if args.json else report.crash_text()
    except DapcoreError as exc:
        print(f"dapcore: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, or input damaged in a way not yet foreseen
        print(f"dapcore: internal error reading the core ({type(exc).__name__}: {exc}); "
              "please report it with the Go version and the command", file=sys.stderr)
        return 2
    if isinstance(out, str):
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    else:
        sys.stdout.write(json.dumps(out, separators=(",", ":")))
        sys.stdout.write("\n")
    for w in report.proc.warnings:
        print(f"dapcore: warning: {w}", file=sys.stderr)
    return 0
