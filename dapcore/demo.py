"""``dapcore demo``: open the bundled demo core through the real DAP server.

The demo (``dapcore/demo/``: a Go 1.27 program that panicked assigning to a
nil map, its core, and the Go sources of the crash) is decompressed into a
cache directory; ``python -m dapcore`` is started over stdio, and the shared
DAP client (:mod:`dapcore.dap.client`) plays what an editor does when it opens a core: initialize,
launch, configurationDone, the ``stopped`` event, threads, the crashing
goroutine's stack, scopes, variables, exceptionInfo, disconnect. What an
editor would show is printed.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import re
import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import IO, Any

from dapcore.dap.client import Client, ClientError, body_of

TIMEOUT = 60.0
SHOW_THREADS = 8
SHOW_FRAMES = 12
SHOW_TRACEBACK = 12
CONTEXT_LINES = 3

# How the bundled program was built, in words (demo.json's factory variant).
_BUILDS = {"default": "an optimized build", "noopt": "built with -gcflags=all=-N -l",
           "pie": "built as a PIE", "trimpath": "built with -trimpath",
           "stripped": "built with -ldflags=-s -w", "static": "built with CGO_ENABLED=0"}
_LISTING_LINE = re.compile(r"^// (?P<file>[^ ]+):(?P<line>\d+)$")


class DemoError(Exception):
    pass


def cache_dir() -> Path:
    base = os.environ.get("DAPCORE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dapcore")
    return Path(base) / "demo"


def _data() -> Any:
    # dapcore/demo/ holds data only (package data of ``dapcore``): this module
    # takes the name, the directory is not a package.
    return resources.files("dapcore").joinpath("demo")


def manifest() -> dict[str, Any]:
    return json.loads(_data().joinpath("demo.json").read_text())


def unpack(dest: Path | None = None) -> tuple[Path, Path, Path, dict[str, Any]]:
    """Decompress the bundled files (once per build ID); returns binary, core,
    source directory, manifest."""
    info = manifest()
    tag = hashlib.sha256(info["buildID"].encode()).hexdigest()[:12]
    dest = (dest or cache_dir()) / tag
    pkg = _data()
    binary, core, src = dest / "demo", dest / "core", dest / "src"
    if not (binary.is_file() and core.is_file()):
        dest.mkdir(parents=True, exist_ok=True)
        for name, out, mode in ((info["binary"], binary, 0o755), (info["core"], core, 0o644)):
            tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
            tmp.write_bytes(lzma.decompress(pkg.joinpath(name).read_bytes()))
            tmp.chmod(mode)
            tmp.replace(out)
    src.mkdir(parents=True, exist_ok=True)
    for name in info["sources"]:
        (src / name).write_bytes(pkg.joinpath(name).read_bytes())
    return binary, core, src, info


class _Client(Client):
    """The shared client, failing as the demo says it."""

    def _no_answer(self, what: str, timeout: float, eof: bool) -> Exception:
        if eof:
            status = self.proc.wait() if self.proc is not None else None
            return DemoError(f"the DAP server exited (status {status})")
        return DemoError(f"the DAP server did not answer within {timeout:.0f} s")


def _source_lines(client: Client, source: dict[str, Any]) -> list[str] | None:
    path = source.get("path")
    if path and os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    ref = source.get("sourceReference") or 0
    if ref > 0:
        body = client.body("source", {"source": source, "sourceReference": ref})
        return str(body.get("content", "")).splitlines()
    return None


def describe(info: dict[str, Any]) -> str:
    """``a Go 1.27.3 program built with -trimpath`` (from demo.json)."""
    variant = (info.get("spec") or {}).get("variant", "default")
    build = _BUILDS.get(variant, f"built as {variant!r}")
    return f"a Go {info.get('goVersion', '?')} program {build}"


class Frames:
    """Where a DAP stack frame is, in Go terms: its file and line, also for
    frames whose source is a disassembly listing (the Go file is not on
    this machine) or that carry no source (their location is in the name)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._listings: dict[int, list[str]] = {}

    def location(self, frame: dict[str, Any], above: dict[str, Any] | None = None) -> str:
        """``above``: the frame printed before this one (its callee)."""
        src = frame.get("source") or {}
        if src.get("path"):
            return f"{src['path']}:{frame.get('line', 0)}"
        ref = src.get("sourceReference") or 0
        if ref > 0:
            go_file = str(src.get("origin", "")).split(" not found on this machine")[0]
            where = self._listing_location(ref, int(frame.get("line") or 0))
            # A callee inlined here shares this frame's instruction: the
            # listing's line there is the callee's, not this frame's.
            shares = (above is not None and above.get("presentationHint") != "label"
                      and above.get("instructionPointerReference")
                      == frame.get("instructionPointerReference"))
            if where is not None and not shares:
                file, line = where
                return f"{go_file or file}:{line} (no local source)"
            return f"{go_file or src.get('name', '?')} (no local source)"
        return ""  # no source: the name says where (runtime/proc.go:435)

    def _listing_location(self, ref: int, line: int) -> tuple[str, int] | None:
        """The Go file:line a disassembly listing's comment gives for the
        instruction on listing line ``line``."""
        if ref not in self._listings:
            body = self.client.body("source", {"source": {"sourceReference": ref},
                                               "sourceReference": ref})
            self._listings[ref] = str(body.get("content", "")).splitlines()
        lines = self._listings[ref]
        for text in reversed(lines[:max(0, min(line, len(lines)))]):
            m = _LISTING_LINE.match(text)
            if m:
                return m["file"], int(m["line"])
        return None

    def line(self, frame: dict[str, Any], focus: bool,
             above: dict[str, Any] | None = None) -> str:
        src = frame.get("source") or {}
        hint = frame.get("presentationHint") or (src.get("presentationHint"))
        mark = "→" if focus else ("·" if hint in ("deemphasize", "subtle", "label") else "*")
        if frame.get("presentationHint") == "label":
            return f"  {mark} {frame.get('name')}"
        where = self.location(frame, above)
        return f"  {mark} {frame.get('name')}" + (f"  {where}" if where else "")


Say = Callable[..., None]


def run(out: IO[str] | None = None, workdir: Path | None = None,
        sources: Path | None = None) -> int:
    """Run the demo; ``sources`` replaces the directory of the bundled Go
    sources (without the files, the editor gets what the ``source`` request
    serves: a disassembly annotated with source lines)."""
    out = out or sys.stdout

    def say(text: str = "") -> None:
        out.write(text + "\n")

    binary, core, src, info = unpack(workdir)
    say(f"dapcore demo: {describe(info)} that panicked; opening its core through the DAP "
        "server, as an editor does")
    say(f"  unpacked into {binary.parent}")
    say(f"  executable    {binary}")
    say(f"  core          {core}")
    say(f"  Go sources    {src}")
    log = tempfile.TemporaryFile("w+")  # the server's stderr, shown if it fails
    client = _Client.start([sys.executable, "-m", "dapcore"], stderr=log, timeout=TIMEOUT)
    try:
        tid, exc = _open(client, say, binary, core, sources or src, info)
        _show_threads(client, say, tid)
        focus = _show_stack(client, say, tid)
        if focus is not None:
            _show_variables(client, say, focus)
        _show_traceback(say, exc, binary, core)
        client.body("disconnect", {"terminateDebuggee": True})
    except (DemoError, ClientError) as exc:
        client.close()
        log.seek(0)
        tail = "".join(log.readlines()[-20:]).rstrip()
        raise DemoError(f"{exc}\n{tail}" if tail else str(exc)) from None
    finally:
        status = client.close()
        log.close()
    if status != 0:
        raise DemoError(f"the DAP server exited with status {status}")
    say("")
    say("That is what VS Code (extension in vscode-extension/) or nvim-dap show on this core.")
    return 0


def _open(client: Client, say: Say, binary: Path, core: Path, sources: Path,
          info: dict[str, Any]) -> tuple[int | None, dict[str, Any]]:
    """initialize, launch, configurationDone, then the stop and the
    exception: (the stopped thread, the exceptionInfo body)."""
    client.body("initialize", {
        "clientID": "dapcore-demo", "adapterID": "gocore", "linesStartAt1": True,
        "columnsStartAt1": True, "pathFormat": "path",
        "supportsVariableType": True})
    launch_seq = client.send("launch", {
        "type": "gocore", "request": "launch", "name": "dapcore demo",
        "program": str(binary), "coreFilePath": str(core),
        "substitutePath": [{"from": info["sourceDir"], "to": str(sources)}],
    })
    client.event("initialized")
    client.body("configurationDone")
    body_of(client.response(launch_seq))
    stopped = client.event("stopped").get("body") or {}
    tid = stopped.get("threadId")
    say("")
    text = stopped.get("text") or stopped.get("description", "")
    say(f"■ stopped: {stopped.get('reason')} — {text}")

    exc = client.body("exceptionInfo", {"threadId": tid})
    description = str(exc.get("description") or exc.get("exceptionId", ""))
    if description.strip() != text.strip():  # said once, unless it adds something
        say("")
        say("Exception")
        for ln in description.splitlines():
            say(f"  {ln}")
    return tid, exc


def _show_threads(client: Client, say: Say, tid: int | None) -> None:
    threads = client.body("threads").get("threads", [])
    say("")
    say(f"Threads ({len(threads)})")
    for t in threads[:SHOW_THREADS]:
        say(f"  {'→' if t['id'] == tid else ' '} {t['name']}")
    if len(threads) > SHOW_THREADS:
        say(f"    … and {len(threads) - SHOW_THREADS} more")


def _show_stack(client: Client, say: Say, tid: int | None) -> dict[str, Any] | None:
    """The crashing goroutine's stack and the source where an editor lands;
    returns that frame."""
    frames = client.body("stackTrace", {"threadId": tid}).get("stackFrames", [])
    focus = next((f for f in frames if ((f.get("source") or {}).get("path")
                                        or (f.get("source") or {}).get("sourceReference"))
                  and f.get("presentationHint") not in ("label", "subtle")
                  and (f.get("source") or {}).get("presentationHint") != "deemphasize"),
                 frames[0] if frames else None)
    say("")
    say(f"Call stack of the crashing goroutine ({len(frames)} frames; → where an editor "
        "lands, * user code, · runtime)")
    where = Frames(client)
    for i, f in enumerate(frames[:SHOW_FRAMES]):
        say(where.line(f, f is focus, frames[i - 1] if i else None))
    if len(frames) > SHOW_FRAMES:
        say(f"    … and {len(frames) - SHOW_FRAMES} more")
    if focus is None:
        return None
    line = int(focus.get("line") or 0)
    lines = _source_lines(client, focus.get("source") or {})
    say("")
    i = frames.index(focus)
    say(f"Source: {where.location(focus, frames[i - 1] if i else None)}")
    if lines:
        lo, hi = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
        for n in range(lo, hi + 1):
            say(f"  {'>' if n == line else ' '} {n:4d}  {lines[n - 1]}")
    else:
        say("  (source not available)")
    return focus


def _show_variables(client: Client, say: Say, focus: dict[str, Any]) -> None:
    scopes = client.body("scopes", {"frameId": focus["id"]}).get("scopes", [])
    say("")
    say(f"Variables of {focus.get('name')}")
    if not scopes:
        say("  (no scopes)")
    for sc in scopes:
        if sc.get("expensive"):
            say(f"  {sc['name']}: (expensive, not expanded)")
            continue
        variables: list[dict[str, Any]] = []
        if sc.get("variablesReference"):
            variables = client.body(
                "variables", {"variablesReference": sc["variablesReference"]}
            ).get("variables", [])
        say(f"  {sc['name']}:" + ("" if variables else " (none)"))
        for v in variables:
            typ = f" ({v['type']})" if v.get("type") else ""
            say(f"    {v['name']}{typ} = {v.get('value', '')}")


def _show_traceback(say: Say, exc: dict[str, Any], binary: Path, core: Path) -> None:
    if not exc.get("details", {}).get("stackTrace"):
        return
    say("")
    say("Traceback (exceptionInfo)")
    tb = str(exc["details"]["stackTrace"]).splitlines()
    for ln in tb[:SHOW_TRACEBACK]:
        say(f"  {ln}")
    if len(tb) > SHOW_TRACEBACK:
        left = len(tb) - SHOW_TRACEBACK
        say(f"  … {left} more line{'s' if left != 1 else ''} (all of it: "
            f"dapcore crash {binary} {core})")


def main(argv: list[str] | None = None) -> int:
    try:
        return run()
    except BrokenPipeError:
        raise  # the reader went away (dapcore demo | head): the command line ends quietly
    except (DemoError, OSError, lzma.LZMAError) as exc:
        print(f"dapcore demo: {exc}", file=sys.stderr)
        return 1
