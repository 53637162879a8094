"""``dapcore report`` and ``dapcore triage`` as commands: arguments checked,
output written, errors as one line on stderr (exit status 1)."""

from __future__ import annotations

import argparse
import os
import sys

from dapcore.engine import Engine
from dapcore.errors import DapcoreError, command_failure
from dapcore.report.render import render

__all__ = ["run_report", "run_triage"]


def _write(text: str, path: str | None) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise DapcoreError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


def run_report(args: argparse.Namespace) -> int:
    try:
        engine = Engine.open(args.binary, args.core, args.debug_dirs, args.index_cache)
        try:
            engine.check_readable()
            text = render(engine, args.format, args.redact)
        finally:
            engine.close()
        _write(text, args.output)
    except Exception as exc:  # DapcoreError: 1; a bug, or damage not yet foreseen: 2
        text, status = command_failure(exc, f"dapcore report EXECUTABLE {args.core}",
                                       f"making the report of {args.core}")
        print(f"dapcore: {text}", file=sys.stderr)
        return status
    if args.output is not None:
        print(f"dapcore: report written to {args.output}", file=sys.stderr)
    return 0


def run_triage(args: argparse.Namespace) -> int:
    # the process pool (multiprocessing, concurrent.futures): triage only
    from dapcore.report.triage import run
    from dapcore.report.triageout import render_triage

    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        print(f"dapcore: --jobs must be 1 or more (got {jobs})", file=sys.stderr)
        return 1
    missing = [d for d in args.dirs if not os.path.exists(d)]
    if missing:
        print(f"dapcore: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 1
    bad = [d for d in args.executables if not os.path.isdir(d)]
    if bad:
        print(f"dapcore: --executables {bad[0]}: not a directory", file=sys.stderr)
        return 1
    if args.out is not None and os.path.exists(args.out) and not os.path.isdir(args.out):
        print(f"dapcore: --out {args.out}: exists and is not a directory", file=sys.stderr)
        return 1
    try:
        result = run(args.dirs, args.executables, jobs, args.format, args.out,
                     not args.no_redact)
    except OSError as exc:
        print(f"dapcore: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(render_triage(result, args.format))
    return 0
