"""The DAP server walking a mutated core the way an editor does.

A case is a file case of :mod:`tests.fuzz.mutate` (rebuilt from seed and
index; its CLI command is ignored): its files are built, ``python -m dapcore
dap`` starts under the fuzz limits, and a client in VS Code's order sends
``initialize``, ``launch {program, coreFilePath}``, then on ``initialized``
``configurationDone`` and an early ``threads``. After ``stopped`` it walks:
``threads``; ``stackTrace`` of the stopped thread (0/1 then 1/19) and of 3
others (a seeded choice); ``scopes`` and ``variables`` of the stopped
thread's top frame with a source, one level into its first expandable
variables; ``exceptionInfo``; ``evaluate`` of two local names (``watch``)
and of the repl commands ``goroutines`` and ``bt``; ``disassemble`` (50
instructions) and ``readMemory`` (64 bytes) at the top frame's
``instructionPointerReference``; ``disconnect``. Every request must be
answered within 10 s. Classes:

- ``ok``: the walk went through (error responses are fine);
- ``launch-refused``: the launch failed with a clear message, or the
  session ended (``terminated``) with an output saying why;
- ``CRASH``: the server exited before ``disconnect`` (or with a status other
  than 0 after it), an answer says ``internal error``, or a Python traceback
  appeared on its stderr;
- ``HANG``: a request unanswered in 10 s, no ``stopped``/``terminated``
  10 s after the launch, or no exit 10 s after ``disconnect``;
- ``PROTOCOL``: broken framing or JSON, a ``seq``/``request_seq`` outside int32;
- ``MEMORY``: the server's peak RSS (VmHWM) over 1 GB, or an answer that
  says ``MemoryError``;
- ``SILENT-DAP``: ``dapcore crash`` on the same files says ``warned`` or
  ``error`` (:func:`tests.fuzz.run.classify`), but the session showed no
  sign of damage: no output with ``Warning:`` or ``dapcore: warning:``, no
  failed launch, no ``terminated`` with an output explaining why. (The CLI
  is only run when the session showed no sign.)
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.dap.harness import VSCODE_INIT
from tests.fuzz.dap import INT32, Server, _traceback
from tests.fuzz.mutate import Case, Target, materialize
from tests.fuzz.run import (
    RSS_LIMIT,
    TIMEOUT,
    Harness,
    class_table,
    classify,
    fixtures_option,
    run_cli,
)

WALK_FAILURES = ("CRASH", "HANG", "PROTOCOL", "MEMORY", "SILENT-DAP")
WALK_CLASSES = ("ok", "launch-refused", *WALK_FAILURES)
CLI_COMMAND = ("crash",)
SIGNS = ("Warning:", "dapcore: warning:")
OTHER_THREADS = 3
EXPAND = 3  # expandable variables opened one level
LOCALS = 2  # local names evaluated in 'watch'
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Stop(Exception):
    """The walk ends with a failure class."""

    def __init__(self, klass: str, detail: str) -> None:
        super().__init__(f"{klass}: {detail}")
        self.klass, self.detail = klass, detail


@dataclass(slots=True)
class WalkOutcome:
    case: Case
    klass: str
    detail: str
    cli: str  # the class of 'dapcore crash' on the same files ('' when not run)
    seconds: float
    maxrss: int
    requests: int  # requests sent (initialize to disconnect)
    cli_detail: str = ""  # what the CLI's class rests on

    @property
    def failed(self) -> bool:
        return self.klass in WALK_FAILURES

    def report(self) -> str:
        c = self.case
        cli = ""
        if self.cli:
            why = f": {self.cli_detail}" if self.cli_detail and self.klass != "SILENT-DAP" else ""
            cli = f" (dapcore crash: {self.cli}{why})"
        return (f"{c.describe()}\n    -> DAP walk {self.klass}: {self.detail}{cli}\n"
                f"    rebuild: python benchmarks/fuzz.py {fixtures_option(c)}--dap-walk "
                f"--seed {c.seed} --only={c.index} --keep /tmp/fuzz-walk")


@dataclass(slots=True)
class Walk:
    """One session: the server, the requests sent, what came back."""

    server: Server
    rng: random.Random
    sent: list[tuple[int, str]] = field(default_factory=list)
    disconnected: bool = False

    # -- waiting -------------------------------------------------------------

    def until(self, pred: Callable[[dict[str, Any]], bool], what: str,
              timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first message (from the start) matching ``pred``, within ``timeout``."""
        s = self.server
        deadline = time.monotonic() + timeout
        with s.cond:
            while True:
                for m in s.messages:
                    if pred(m):
                        return m
                if not s.alive():
                    # the reader may still hold the last messages: one more look
                    s.cond.wait(0.2)
                    for m in s.messages:
                        if pred(m):
                            return m
                    raise Stop("CRASH", f"server exited with {s.exit} while waiting for {what}"
                               f"{self._stderr_tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Stop("HANG", f"no {what} within {timeout:.0f} s")
                s.cond.wait(min(left, 0.2))

    def send(self, command: str, args: dict[str, Any]) -> int:
        seq = self.server.request(command, args)
        self.sent.append((seq, command))
        return seq

    def response(self, seq: int, command: str) -> dict[str, Any]:
        r = self.until(lambda m: m.get("type") == "response" and m.get("request_seq") == seq,
                       f"response to '{command}' (seq {seq})")
        self.check()
        return r

    def call(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        return self.response(self.send(command, args), command)

    def body(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        """The body of a successful answer ({} for an error response)."""
        r = self.call(command, args)
        return (r.get("body") or {}) if r.get("success") else {}

    # -- checks --------------------------------------------------------------

    def _stderr_tail(self) -> str:
        tb = _traceback(bytes(self.server.stderr))
        if tb:
            return f": {tb}"
        tail = bytes(self.server.stderr[-300:]).decode("utf-8", "replace").strip()
        return f"; stderr: {tail!r}" if tail else ""

    def check(self) -> None:
        """Everything so far: no broken protocol, internal error, traceback,
        exit, or peak RSS over the limit."""
        s = self.server
        if s.protocol:
            raise Stop("PROTOCOL", "; ".join(s.protocol)[:300])
        for m in list(s.messages):
            for key in ("seq", "request_seq"):
                v = m.get(key)
                if key in m and (not isinstance(v, int) or isinstance(v, bool)
                                 or not 0 <= v < INT32):
                    raise Stop("PROTOCOL", f"{m.get('type')} with {key} {v!r} (not an int32)")
            if m.get("type") == "response" and "internal error" in str(m.get("message", "")):
                klass = "MEMORY" if "MemoryError" in str(m["message"]) else "CRASH"
                raise Stop(klass, f"'{m.get('command')}' answered: {m['message'][:300]}")
            if m.get("event") == "output":
                text = str((m.get("body") or {}).get("output", ""))
                if "internal error" in text and "dapcore" in text:
                    raise Stop("CRASH", f"output: {text[:300]!r}")
        tb = _traceback(bytes(s.stderr))
        if tb:
            raise Stop("CRASH", f"traceback on the server's stderr: {tb}")
        if s.rss() > RSS_LIMIT:
            raise Stop("MEMORY", f"peak RSS {s.rss() >> 20} MB")
        if not self.disconnected and not s.alive():
            raise Stop("CRASH", f"server exited with {s.exit}{self._stderr_tail()}")

    # -- what the user was told ----------------------------------------------

    def outputs(self) -> list[dict[str, Any]]:
        return [m.get("body") or {} for m in self.server.messages if m.get("event") == "output"]

    def warned(self) -> str | None:
        """The first output that tells of damage (a warning), if any."""
        for b in self.outputs():
            text = str(b.get("output", ""))
            for sign in SIGNS:
                at = text.find(sign)
                if at >= 0:
                    return text[at:at + 200].strip()
        return None

    # -- the walk ------------------------------------------------------------

    def start(self, program: str, core: str) -> str | None:
        """initialize, launch, configurationDone as VS Code does; None when
        stopped, else why the session ended (a clean refusal)."""
        self.call("initialize", VSCODE_INIT)
        launch = self.send("launch", {"type": "gocore", "request": "launch", "name": "Go core",
                                      "program": program, "coreFilePath": core,
                                      "__sessionId": "f022"})
        self.until(lambda m: m.get("event") == "initialized", "'initialized' event")
        done = self.send("configurationDone", {})
        early = self.send("threads", {})  # before the launch response, as VS Code does
        r = self.response(launch, "launch")
        self.response(done, "configurationDone")
        self.response(early, "threads")
        if not r.get("success"):
            self.until(lambda m: m.get("event") == "terminated", "'terminated' after a failed "
                       "launch")
            return f"launch failed: {str(r.get('message'))[:200]}"
        end = self.until(lambda m: m.get("event") in ("stopped", "terminated"),
                         "'stopped' or 'terminated' after the launch")
        self.check()
        if end.get("event") == "terminated":
            said = [str(b.get("output", "")) for b in self.outputs()
                    if b.get("category") in ("important", "stderr")]
            if not said:
                raise Stop("SILENT-DAP", "the session ended ('terminated') without 'stopped' "
                           "and without an output saying why")
            return f"terminated: {said[-1].strip()[:200]}"
        return None

    def stopped_thread(self) -> int | None:
        ev = next(m for m in self.server.messages if m.get("event") == "stopped")
        tid = (ev.get("body") or {}).get("threadId")
        return tid if isinstance(tid, int) else None

    def walk(self) -> None:
        threads = [t.get("id") for t in self.body("threads", {}).get("threads", [])
                   if isinstance(t, dict) and isinstance(t.get("id"), int)]
        tid = self.stopped_thread()
        if tid is None and threads:
            tid = threads[0]
        frames: list[dict[str, Any]] = []
        if tid is not None:
            frames = self.body("stackTrace", {"threadId": tid, "startFrame": 0, "levels": 1}) \
                .get("stackFrames", [])
            frames += self.body("stackTrace", {"threadId": tid, "startFrame": 1, "levels": 19}) \
                .get("stackFrames", [])
        others = [t for t in threads if t != tid]
        for other in self.rng.sample(others, min(OTHER_THREADS, len(others))):
            self.call("stackTrace", {"threadId": other, "startFrame": 0, "levels": 20})
        frames = [f for f in frames if isinstance(f, dict)]
        focus = next((f for f in frames if isinstance(f.get("source"), dict)
                      and (f["source"].get("path") or f["source"].get("sourceReference"))),
                     frames[0] if frames else None)
        names: list[str] = []
        fid = focus.get("id") if focus is not None else None
        if isinstance(fid, int):
            scopes = self.body("scopes", {"frameId": fid}).get("scopes", [])
            expandable: list[int] = []
            for i, sc in enumerate(s for s in scopes if isinstance(s, dict)):
                ref = sc.get("variablesReference")
                if not isinstance(ref, int) or ref <= 0:
                    continue
                for v in self.body("variables", {"variablesReference": ref}).get("variables", []):
                    if not isinstance(v, dict):
                        continue
                    vref = v.get("variablesReference")
                    if isinstance(vref, int) and vref > 0:
                        expandable.append(vref)
                    name = str(v.get("name", ""))
                    if i == 0 and _IDENT.match(name):
                        names.append(name)
            for ref in expandable[:EXPAND]:
                self.call("variables", {"variablesReference": ref})
        if tid is not None:
            self.call("exceptionInfo", {"threadId": tid})
        at = {"frameId": fid} if isinstance(fid, int) else {}
        for name in names[:LOCALS]:
            self.call("evaluate", {"expression": name, "context": "watch", **at})
        for command in ("goroutines", "bt"):
            self.call("evaluate", {"expression": command, "context": "repl", **at})
        ip = frames[0].get("instructionPointerReference") if frames else None
        if isinstance(ip, str):
            self.call("disassemble", {"memoryReference": ip, "offset": 0,
                                      "instructionOffset": 0, "instructionCount": 50,
                                      "resolveSymbols": True})
            self.call("readMemory", {"memoryReference": ip, "offset": 0, "count": 64})

    def disconnect(self) -> None:
        seq = self.send("disconnect", {"restart": False, "terminateDebuggee": True})
        self.disconnected = True  # from now on the server may exit (with 0)
        self.response(seq, "disconnect")
        deadline = time.monotonic() + TIMEOUT
        while self.server.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.server.alive():
            raise Stop("HANG", f"the server did not exit within {TIMEOUT:.0f} s of 'disconnect'")
        if self.server.exit != 0:
            raise Stop("CRASH", f"exit {self.server.exit} after 'disconnect'"
                       f"{self._stderr_tail()}")
        self.check()


def walk_files(program: Path, core: Path, rng: random.Random,
               transcript: Path | None = None) -> tuple[str, str, bool, int, int]:
    """(class, detail, damage shown, peak RSS, requests) of one walk on
    these files; ``transcript``: where to write every message received."""
    with tempfile.NamedTemporaryFile("r", prefix="dapcore-walk-hwm-") as hwm:
        server = Server(hwm.name)
        w = Walk(server, rng)
        shown = False
        try:
            ended = w.start(str(program), str(core))
            if ended is not None:
                klass, detail, shown = "launch-refused", ended, True
            else:
                w.walk()
                klass, detail = "ok", ""
            w.disconnect()
        except Stop as stop:
            klass, detail = stop.klass, stop.detail
        finally:
            server.stop()
            if transcript is not None:
                transcript.write_text("\n".join(json.dumps(m) for m in server.messages) + "\n")
        peak = hwm.read().strip()
        rss = max(server.maxrss, int(peak) * 1024 if peak.isdigit() else 0)
        if klass not in ("MEMORY", "PROTOCOL", "CRASH") and rss > RSS_LIMIT:
            klass, detail = "MEMORY", f"peak RSS {rss >> 20} MB"
        if klass == "ok":
            sign = w.warned()
            shown = sign is not None
            detail = sign or ""
        return klass, detail, shown, rss, len(w.sent)


class WalkHarness:
    """DAP walks over mutated cases, ``jobs`` at a time."""

    def __init__(self, targets: list[Target], workdir: Path, jobs: int = 2) -> None:
        self.targets = {t.id: t for t in targets}
        self.workdir = workdir
        self.jobs = jobs
        self.cli = Harness(targets, workdir, jobs)  # the CLI's pristine outputs

    def cli_class(self, case: Case, binary: Path, core: Path) -> tuple[str, str]:
        """What ``dapcore crash`` says about these files (the file fuzzer's class)."""
        t = self.targets[case.fixture]
        run = run_cli([*CLI_COMMAND, str(binary), str(core)])
        return classify(run, self.cli.baseline(case.fixture, CLI_COMMAND),
                        {str(binary): str(t.binary), str(core): str(t.core)})

    def run_case(self, case: Case, keep: Path | None = None) -> WalkOutcome:
        t = self.targets[case.fixture]
        where = keep if keep is not None else self.workdir / f"walk-{case.index}"
        start = time.monotonic()
        try:
            binary, core = materialize(case, t, where)
            rng = random.Random(f"walk/{case.seed}/{case.index}")
            transcript = where / "transcript.jsonl" if keep is not None else None
            klass, detail, shown, rss, n = walk_files(binary, core, rng, transcript)
            seconds = time.monotonic() - start
            cli = why = ""
            if klass == "ok" and not shown:
                cli, why = self.cli_class(case, binary, core)
                if cli in ("warned", "error"):
                    klass = "SILENT-DAP"
                    detail = (f"'dapcore crash' {cli} ({why[:200]}), but the session showed no "
                              "warning")
            return WalkOutcome(case, klass, detail, cli, seconds, rss, n, why)
        finally:
            if keep is None:
                import shutil

                shutil.rmtree(where, ignore_errors=True)

    def run(self, cases: Iterable[Case],
            progress: Callable[[WalkOutcome], None] | None = None) -> list[WalkOutcome]:
        out: list[WalkOutcome] = []
        with ThreadPoolExecutor(self.jobs) as pool:
            for o in pool.map(self.run_case, list(cases)):
                out.append(o)
                if progress is not None:
                    progress(o)
        return out


def walk_table(outcomes: list[WalkOutcome]) -> str:
    """Counts per class, overall and per mutation target (role:target)."""
    return class_table([(o.case.key, o.klass) for o in outcomes], WALK_CLASSES)
