"""The ``dapcore`` command line: the engine for terminals and CI.

``dapcore goroutines|bt|crash BIN CORE`` print what the DAP server shows an
editor; ``--json`` gives the same as data.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
from typing import TYPE_CHECKING, Any

from dapcore import __version__, render
from dapcore.dap.options import add_arguments
from dapcore.errors import DapcoreError, ExecutableNotFound

if TYPE_CHECKING:
    from dapcore.engine import Engine  # heavy (pyelftools): imported when a command needs a core

_FILES_EPILOG = ("Errors (missing or damaged files, a core from another build, unreadable "
                 "memory) are one line on stderr and exit status 1.")


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: its positionals may come before, between and after
    its options (``print BIN CORE -g 7 x``) although the executable may be
    left out (``print CORE x``), which argparse's usual parsing cannot tell
    apart when options split the positionals."""

    _plain = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._plain:  # the intermixed parsing's own two passes
            return super().parse_known_args(args, namespace)
        self._plain = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._plain = False


def _add_files(p: argparse.ArgumentParser) -> None:
    p.add_argument("binary", nargs="?",
                   help="the Go executable that produced the core (default: the one the core "
                        "names, when that file is on this machine)")
    p.add_argument("core", help="the core dump: plain, or compressed with gzip, xz, zstd or "
                                "LZ4 (systemd-coredump's .zst/.lz4/.xz files), told by its "
                                "first bytes")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--debug-dir", dest="debug_dirs", action="append", default=[],
                   metavar="DIR",
                   help="a directory holding the stripped executable's separate debug file: "
                        "by its .gnu_debuglink name (DIR/NAME, DIR/<the executable's "
                        "directory>/NAME) or GNU build id (DIR/.build-id/xx/yyyy.debug); "
                        "repeatable. Next to the executable, its .debug/ and /usr/lib/debug "
                        "are always searched")


def _command(sub: argparse._SubParsersAction, name: str, summary: str,  # type: ignore[type-arg]
             description: str, files: bool = True) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=description,
        epilog=_FILES_EPILOG if files else None)
    if files:
        _add_files(p)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dapcore", description="Open Go core dumps: goroutines, stacks, crash reason.")
    parser.add_argument("--version", action="version", version=f"dapcore {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_CommandParser)
    _command(sub, "goroutines", "list every goroutine",
             "List every goroutine: its status or wait reason, the function its go statement "
             "named, where it is (its top user frame), its thread; the crashing one is "
             "marked with '*'.")
    b = _command(sub, "bt", "stack of a goroutine (the crashing one by default)",
                 "Print a goroutine's stack, inlined frames included, numbered the way "
                 "'locals' and 'print' take them (-f).")
    b.add_argument("-g", "--goroutine", type=int, help="goroutine id")
    b.add_argument("-a", "--all", action="store_true", help="every goroutine")
    _command(sub, "crash", "the crash header and the crashing goroutine",
             "Print the crash header (panic, fatal error or signal) and the crashing "
             "goroutine's traceback, the way the Go runtime prints them.")
    lo = _command(sub, "locals", "arguments and locals of a frame",
                  "Print the arguments and locals of a frame. Without -f: the frame an editor "
                  "lands on (see -f); the frame used is named on stderr.")
    _add_frame(lo)
    pr = _command(sub, "print", "evaluate an expression in a frame (variables, "
                  "pkg.Var, x.f, a[i], m[\"k\"], *p, &x, len(s), x.(T), arithmetic)",
                  "Evaluate a Go expression in a frame: a local, a global, pkg.Var, x.f, a[i], "
                  "m[\"k\"], *p, &x, len(s), x.(T), arithmetic. Without -f: the frame an "
                  "editor lands on (see -f); the frame used is named on stderr.")
    pr.add_argument("name", metavar="expr",
                    help="a Go expression: a local, a global, pkg.Var, or any expression")
    _add_frame(pr)
    ex = _command(sub, "executable", "the executable a core names, and executables next to "
                  "the core (JSON, for editors)",
                  "Print as JSON the executable the core names (its path, and the Go build ID "
                  "of the core's copy of it when the core holds its first page) and the ELF "
                  "executables in the core's directory, the ones with that Go build ID "
                  "first, then newest first: what an editor proposes as 'program'. A file "
                  "that is not a core names nothing ('core': null).", files=False)
    ex.add_argument("core", help="the core dump")
    _add_dap(sub)
    _command(sub, "demo", "open the bundled demo core through the DAP server and print "
             "what an editor shows",
             "Unpack the bundled demo (a small Go program that panicked, and its core) into "
             "the cache, open it through the real DAP server over stdio, as an editor does, "
             "and print what the editor shows: the exception, the threads, the crashing "
             "goroutine's stack, the source around the crash, the locals and the traceback.",
             files=False)
    return parser


def _add_frame(p: argparse.ArgumentParser) -> None:
    p.add_argument("-g", "--goroutine", type=int,
                   help="goroutine id (default: the crashing one)")
    p.add_argument("-f", "--frame", type=int, default=None,
                   help="frame number, as `dapcore bt` numbers them (default: the frame an "
                        "editor lands on: the user's crash frame on the crashing goroutine, "
                        "the top user frame on others)")


def _add_dap(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add_arguments(_command(
        sub, "dap", "serve the Debug Adapter Protocol (stdio or TCP)",
        "Serve the Debug Adapter Protocol for Go core dumps: over stdio (what editors "
        "start: VS Code, nvim-dap) or, with --listen, over TCP. The client's launch request "
        "names the executable ('program') and the core ('coreFilePath'). stdout carries "
        "only the protocol.", files=False))


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
    if args.command == "executable":
        sys.stdout.write(json.dumps(executable_info(args.core)) + "\n")
        return 0
    from dapcore.engine import Engine  # heavy (pyelftools): imported when a command needs a core

    try:
        report = Engine.open(args.binary, args.core, args.debug_dirs)
        out = _output(report, args)
        # The checks of every goroutine and thread (warnings below), also
        # when the command needed the crashing goroutine alone.
        _ = report.goroutines
        notes = report.notices
    except ExecutableNotFound as exc:
        print(f"dapcore: {exc}: dapcore {args.command} EXECUTABLE {args.core}", file=sys.stderr)
        return 1
    except DapcoreError as exc:
        print(f"dapcore: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, or input damaged in a way not yet foreseen
        print(f"dapcore: internal error ({type(exc).__name__}: {exc}) while reading "
              f"{args.binary or 'the executable it names'} with {args.core}; please report "
              "it with the Go version and the command", file=sys.stderr)
        return 2
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
    from dapcore.engine import Engine  # heavy (pyelftools)

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


_SHARED_LIBRARY = re.compile(r"\.so(\.\d+)*$")


def _output(report: Engine, args: argparse.Namespace) -> Any:
    """What the command prints (text, or data for ``--json``)."""
    if args.command == "goroutines":
        return (render.goroutines_json(report, frames=False) if args.json
                else render.goroutines_text(report))
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
