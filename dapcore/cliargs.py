"""The ``dapcore`` command line's parser: the commands, their options and
their help. Apart from :mod:`dapcore.cli` so that ``dapcore dap`` answers
the editor's ``initialize`` before argparse is imported (issue #16)."""

from __future__ import annotations

import argparse
from typing import Any

from dapcore import __version__
from dapcore.dap.options import add_arguments

__all__ = ["build_parser"]

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


def _add_files(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    p.add_argument("binary", nargs="?",
                   help="the Go executable that produced the core (default: the one the core "
                        "names, when that file is on this machine)")
    p.add_argument("core", help="the core dump: plain, or compressed with gzip, xz, zstd or "
                                "LZ4 (systemd-coredump's .zst/.lz4/.xz files), told by its "
                                "first bytes")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--debug-dir", dest="debug_dirs", action="append", default=[],
                   metavar="DIR",
                   help="a directory holding the stripped executable's separate debug file: "
                        "by its .gnu_debuglink name (DIR/NAME, DIR/<the executable's "
                        "directory>/NAME) or GNU build id (DIR/.build-id/xx/yyyy.debug); "
                        "repeatable. Next to the executable, its .debug/ and /usr/lib/debug "
                        "are always searched")
    cache = p.add_mutually_exclusive_group()
    cache.add_argument("--index-cache", dest="index_cache", metavar="DIR", default=None,
                       help="keep what is derived from the executable (DWARF indexes, runtime "
                            "layouts) in DIR for the next core of the same build (default: "
                            "$DAPCORE_INDEX_CACHE, else ~/.cache/dapcore/index)")
    cache.add_argument("--no-index-cache", dest="index_cache", action="store_false",
                       help="neither read nor write the index cache")


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
    gr = _command(sub, "goroutines", "list every goroutine (or their groups, --group)",
                  "List every goroutine: its status or wait reason, the function its go "
                  "statement named, where it is (its top user frame), its thread; the crashing "
                  "one is marked with '*'. --group: goroutines with the same stack and status "
                  "counted together; --leaks: blocked goroutines per creation site.")
    gr.add_argument("--group", action="store_true",
                    help="group goroutines with the same stack (functions, lines) and status")
    gr.add_argument("--leaks", action="store_true",
                    help="the leak summary: blocked goroutines per creation site and wait "
                         "reason, the biggest piles first")
    gr.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                    help="only goroutines with: status=waiting|running|<wait reason>, "
                         "reason=<wait reason>, function=<a function on the stack>, "
                         "package=<a package on the stack>, label=KEY[=VALUE], "
                         "system=true|false; '*' and '?' as in shell patterns, else a "
                         "substring; repeat to require several")
    _command(sub, "blocking", "what blocks what: channels and sync objects with their waiters",
             "Group the goroutines blocked on channels by channel (element type, buffer, "
             "closed, who waits on each side) and those waiting on a sync.Mutex, RWMutex, "
             "WaitGroup or Cond by object (its state, its holder when a pending deferred "
             "Unlock shows it), most waiters first; show the deadlock cycles the data shows "
             "and what a core cannot tell.")
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
    _add_report(sub)
    _add_triage(sub)
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


_FORMATS = ("text", "markdown", "json")


def _add_report(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report", help="a shareable crash report (text, Markdown or JSON)",
        description="Write one document about the core for a ticket or a CI artifact: the "
                    "crash signature, the crash, the crashing goroutine's user frames with "
                    "their source lines, the crash frame's locals, the build (Go release, "
                    "module, VCS revision, build settings), the process (command line, pid, "
                    "GOMAXPROCS, Ms, Ps, heap in use, GC count) and the goroutines by "
                    "status. A core holds all of the process's memory, secrets included: "
                    "the report says so at the top; --redact replaces every string, []byte "
                    "and unexported value and the command line's arguments by their type "
                    "and length.", epilog=_FILES_EPILOG)
    _add_files(p, json_flag=False)
    p.add_argument("--format", choices=_FORMATS, default="text",
                   help="text (a terminal), markdown (an issue tracker) or json (tools; "
                        "schema: dapcore/report/report-schema.json); default: text")
    p.add_argument("--redact", action="store_true",
                   help="replace every string, []byte and unexported value, the command "
                        "line's arguments and user panic values by their type and length")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")


def _add_triage(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "triage", help="many cores grouped by crash signature, one report per signature",
        description="Find the cores under the directories (ELF cores and compressed cores, "
                    "told by their first bytes), find each one's executable (beside the "
                    "core under the name the core records, or by Go build ID in "
                    "--executables), read them in parallel processes and print the "
                    "distinct crashes: signature, count, first and last core time (the "
                    "core files' modification times) and their cores. With --out, one "
                    "report per signature (redacted unless --no-redact). A core that "
                    "cannot be read is listed with the reason.")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="directories (or core files)")
    p.add_argument("--executables", metavar="DIR", action="append", default=[],
                   help="a directory of executables, matched to cores by Go build ID "
                        "(repeatable)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="worker processes (default: the number of CPUs)")
    p.add_argument("--format", choices=_FORMATS, default="text",
                   help="of the summary and of the reports (default: text)")
    p.add_argument("--out", metavar="DIR", help="write one report per signature into DIR")
    p.add_argument("--no-redact", action="store_true",
                   help="do not redact the reports written with --out")


def _add_dap(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add_arguments(_command(
        sub, "dap", "serve the Debug Adapter Protocol (stdio or TCP)",
        "Serve the Debug Adapter Protocol for Go core dumps: over stdio (what editors "
        "start: VS Code, nvim-dap) or, with --listen, over TCP. The client's launch request "
        "names the executable ('program') and the core ('coreFilePath'). stdout carries "
        "only the protocol.", files=False))
