"""Hostile DAP messages against a live ``python -m dapcore dap`` (stdio).

A session starts the server under the fuzz limits, opens a fixture
(``initialize``, ``launch``, ``configurationDone``) and then runs cases one
after the other. A case is a few raw frames (bytes: valid requests with
hostile arguments, wrong types, huge integers, deeply nested JSON, lone
surrogates, invalid UTF-8, broken headers, cancel storms …); after each,
a ``threads`` request must be answered within 10 s. Classes:

- ``ok``: the server answered the probe, and every request of the case that
  had a valid ``seq`` (an int32) got its response;
- ``CRASH``: the server exited, an answer says ``internal error``, or a new
  Python traceback appeared on its stderr (a task that failed unanswered);
- ``HANG``: no answer to the probe, or to one of the case's requests, in 10 s;
- ``PROTOCOL``: the server wrote something that is not a DAP message
  (broken framing or JSON, a ``request_seq`` outside int32);
- ``MEMORY``: its peak RSS passed 1 GB.

After a failure the server is started again for the cases that follow;
the failure's report lists the cases the same server had run before it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fuzz.run import REPO, RSS_LIMIT, TIMEOUT, child_env, limited_command

DAP_FAILURES = ("CRASH", "HANG", "PROTOCOL", "MEMORY")
DAP_CLASSES = ("ok", *DAP_FAILURES)
SESSION = 10  # cases per server process
PROBE_SEQ = 1_000_000_000  # the harness's own requests count from here
INT32 = 2**31


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def jframe(msg: Any) -> bytes:
    return frame(json.dumps(msg, separators=(",", ":")).encode())


@dataclass(frozen=True, slots=True)
class DapCase:
    seed: int
    index: int
    kind: str
    frames: tuple[bytes, ...]
    expect: tuple[int, ...]  # seqs that must be answered

    def describe(self, limit: int = 300) -> str:
        shown = b"".join(self.frames)
        text = repr(shown[:limit]) + (f" … ({len(shown)} bytes)" if len(shown) > limit else "")
        return f"dap case {self.index} (seed {self.seed}) {self.kind}: {text}"


# -- hostile values ----------------------------------------------------------

_HUGE = (2**63, 2**63 - 1, 2**64, -(2**63), 2**31, 2**31 - 1, -1, 10**30, 2**53 + 1)
_STRINGS = ("", " ", "\ud800", "\udfff", "a\u0000b", "\u202e", "x" * 70000, "0x", "0x" + "f" * 40,
            "-1", "NaN", "../../../../etc/passwd", "%s%n", "{0}", "\n", "🙂" * 100)


def hostile(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any shape: the kind a confused client might send."""
    pick = rng.randrange(9 if depth < 3 else 6)
    if pick == 0:
        return rng.choice(_HUGE)
    if pick == 1:
        return rng.randint(-5, 100)
    if pick == 2:
        return rng.choice(_STRINGS)
    if pick == 3:
        return rng.choice((None, True, False, 0.5, -0.0, 1e308, 1.5e-323))
    if pick == 4:
        return "".join(rng.choice("abc019xyz.*&()[]{}\"'\\ ") for _ in range(rng.randint(1, 20)))
    if pick == 5:
        return rng.getrandbits(64) - 2**63
    if pick == 6:
        return [hostile(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if pick == 7:
        return {rng.choice(("a", "", "seq", "__class__", "\ud800")): hostile(rng, depth + 1)
                for _ in range(rng.randint(0, 3))}
    return rng.choice(([], {}, [[[]]], {"": {}}))


def _templates(rng: random.Random, program: str, core: str) -> list[tuple[str, dict[str, Any]]]:
    ref = rng.randint(1, 40)
    fid = rng.randint(1, 40)
    tid = rng.choice((1, 2, 17, 37, rng.randint(1, 100)))
    expr = rng.choice(("s", "m", "p", "x", "runtime.allgs", "len(runtime.allgs)", "*p",
                       "runtime.allgs[0]", "runtime.allgs[1<<62]", "(*runtime.g)(0x0)",
                       "*(*[1<<40]byte)(0xc000000000)", "main", "goroutines", "bt 100000",
                       "frame 99999 p x", "goroutine 1 bt", "p " + "(" * 2000 + "1" + ")" * 2000,
                       "1" + "+1" * 20000, "runtime.allgs[0].sched", "&runtime.allgs"))
    return [
        ("threads", {}),
        ("stackTrace", {"threadId": tid, "startFrame": rng.choice((0, 1, 2**31)),
                        "levels": rng.choice((0, 20, 2**31, 2**63))}),
        ("scopes", {"frameId": fid}),
        ("variables", {"variablesReference": ref, "start": rng.choice((0, 1, 2**31 - 1)),
                       "count": rng.choice((0, 10, 2**31, 2**31 - 1, 2**63)),
                       "filter": rng.choice(("indexed", "named", None))}),
        ("evaluate", {"expression": expr, "frameId": fid,
                      "context": rng.choice(("repl", "watch", "hover", "clipboard"))}),
        ("exceptionInfo", {"threadId": tid}),
        ("source", {"sourceReference": rng.randint(0, 40), "source": {"path": "/etc/passwd"}}),
        ("readMemory", {"memoryReference": rng.choice(("0xc000000000", "0x0", "0x400000",
                                                       "0xffffffffffffffff", "zz")),
                        "offset": rng.choice((0, -4096, 2**63)),
                        "count": rng.choice((16, 2**31, 2**40, 2**63))}),
        ("disassemble", {"memoryReference": rng.choice(("0x400000", "0x0", "0x401000")),
                         "offset": rng.choice((0, -1, 2**40)),
                         "instructionOffset": rng.choice((0, -2**31, 2**31)),
                         "instructionCount": rng.choice((10, 2**20, 2**31))}),
        ("modules", {"startModule": rng.choice((0, 2**31)), "moduleCount": rng.choice((0, 2**31))}),
        ("loadedSources", {}),
        ("setBreakpoints", {"source": {"path": "x.go"}, "breakpoints": [{"line": 2**31}]}),
        ("setExceptionBreakpoints", {"filters": ["x"]}),
        ("continue", {"threadId": tid}),
        ("next", {"threadId": tid}),
        ("launch", {"program": program, "coreFilePath": rng.choice((core, "/dev/zero", "/",
                                                                    "", "\ud800"))}),
        ("initialize", {"adapterID": "x", "linesStartAt1": rng.choice((True, 7))}),
        ("completions", {"text": "ru", "column": 2**31}),
    ]


_BAD_HEADERS = (
    b"Content-Length: -1\r\n\r\n", b"Content-Length: abc\r\n\r\n", b"Content-Length:\r\n\r\n",
    b"no colon here\r\n\r\n", b"Content-Type: application/json\r\n\r\n",
    b"Content-Length: 99999999999999999999999999\r\n\r\n",
    b"Content-Length: 9223372036854775808\r\n\r\n", b"Content-Length: 67108865\r\n\r\n",
    b"Content-Length: \xff\xfe\r\n\r\n", b"\r\n\r\n", b"X" * 9000, b"Content-Length: 1e3\r\n\r\n",
    b"content-length: \xd9\xa3\r\n\r\n",
)


def make_dap_case(seed: int, index: int, program: str, core: str) -> DapCase:
    """Case ``index`` of ``seed`` (deterministic): its kind, bytes and the seqs owed."""
    rng = random.Random(f"dap/{seed}/{index}")
    seq0 = 1000 + index * 1000  # this case's own seqs (below the probes')
    kinds = ("mutated-args", "wrong-types", "huge-seq", "deep-json", "surrogate", "bad-utf8",
             "bad-header", "unknown-command", "variables-count", "cancel-storm", "big-body",
             "not-object")
    kind = rng.choice(kinds)
    templates = _templates(rng, program, core)
    frames: list[bytes] = []
    expect: list[int] = []

    def req(command: Any, args: Any, seq: int | None = None, **extra: Any) -> None:
        s = seq0 + len(frames) if seq is None else seq
        msg = {"seq": s, "type": "request", "command": command, "arguments": args, **extra}
        frames.append(jframe(msg))
        if isinstance(s, int) and 0 <= s < INT32 and isinstance(command, str):
            expect.append(s)

    if kind == "mutated-args":
        for _ in range(rng.randint(1, 4)):
            command, args = rng.choice(templates)
            args = dict(args)
            for _ in range(rng.randint(1, 3)):
                op = rng.randrange(3)
                if op == 0 and args:
                    args[rng.choice(list(args))] = hostile(rng)
                elif op == 1 and args:
                    del args[rng.choice(list(args))]
                else:
                    args[rng.choice(("x", "format", "frameId", "threadId", "start"))] = hostile(rng)
            req(command, args)
    elif kind == "wrong-types":
        command, args = rng.choice(templates)
        msg: dict[str, Any] = {"seq": seq0, "type": "request", "command": command,
                               "arguments": args}
        field = rng.choice(("seq", "type", "command", "arguments"))
        msg[field] = hostile(rng)
        if rng.random() < 0.3:
            del msg[rng.choice(list(msg))]
        frames.append(jframe(msg))
        s = msg.get("seq")
        if (msg.get("type") == "request" and isinstance(msg.get("command"), str)
                and isinstance(s, int) and not isinstance(s, bool) and 0 <= s < INT32):
            expect.append(s)
    elif kind == "huge-seq":
        command, args = rng.choice(templates)
        req(command, args, seq=rng.choice(_HUGE))
        req("threads", {}, seq=rng.choice((2**63, 2**31, 2**64 + 5)))
    elif kind == "deep-json":
        depth = rng.choice((1000, 10000, 100000))
        opener, closer = rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
        nested = opener * depth + b"1" + closer * depth
        if rng.random() < 0.5:
            frames.append(frame(nested))
        else:
            body = (b'{"seq":%d,"type":"request","command":"evaluate","arguments":'
                    b'{"expression":"1","x":' % seq0 + nested + b"}}")
            frames.append(frame(body))
            expect.append(seq0)
    elif kind == "surrogate":
        where = rng.choice(("command", "expression", "path", "key"))
        if where == "command":
            body = b'{"seq":%d,"type":"request","command":"thr\\ud800eads"}' % seq0
        elif where == "expression":
            body = (b'{"seq":%d,"type":"request","command":"evaluate","arguments":'
                    b'{"expression":"x\\udc00\\ud800","context":"repl"}}' % seq0)
        elif where == "path":
            body = (b'{"seq":%d,"type":"request","command":"source","arguments":'
                    b'{"source":{"path":"/tmp/\\ud800.go"},"sourceReference":0}}' % seq0)
        else:
            body = (b'{"seq":%d,"type":"request","command":"scopes","arguments":'
                    b'{"\\udfff":1,"frameId":1}}' % seq0)
        frames.append(frame(body))
        expect.append(seq0)
    elif kind == "bad-utf8":
        bad = rng.choice((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"))
        body = (b'{"seq":%d,"type":"request","command":"evaluate","arguments":'
                b'{"expression":"' % seq0 + bad + b'"}}')
        frames.append(frame(body))
        # The seq can be recovered from the bytes: an error response is owed.
        expect.append(seq0)
    elif kind == "bad-header":
        header = rng.choice(_BAD_HEADERS)
        frames.append(header + rng.choice((b"", b'{"seq":1}', b"garbage")))
    elif kind == "unknown-command":
        command = rng.choice(("resume", "Threads", "__init__", "on_threads", "_handler",
                              "handle", "send", "engine", "cancel_all", "fail", "x" * 5000,
                              "threads ", "", "launch\u0000", "évaluer", "ﬁ"))
        req(command, hostile(rng) if rng.random() < 0.3 else {})
    elif kind == "variables-count":
        for _ in range(rng.randint(1, 5)):
            req("variables", {"variablesReference": rng.randint(1, 60),
                              "start": rng.choice((0, 5, 2**31 - 1, 2**40)),
                              "count": rng.choice((2**31, 2**31 - 1, 2**32, 2**62, 1 << 20)),
                              "format": {"hex": rng.random() < 0.5}})
    elif kind == "cancel-storm":
        for i in range(rng.randint(20, 200)):
            if i % 10 == 0:
                command, args = rng.choice(templates[:6])
                req(command, args)
            req("cancel", {"requestId": rng.choice((seq0 + rng.randint(0, 300), 2**63, -1,
                                                    PROBE_SEQ, None))})
    elif kind == "big-body":
        pad = b" " * rng.choice((1 << 16, 1 << 20, 8 << 20))
        frames.append(frame(b'{"seq":%d,"type":"request","command":"threads"' % seq0 + pad + b"}"))
        expect.append(seq0)
    else:  # not-object
        frames.append(frame(rng.choice((b"[]", b"1", b'"x"', b"null", b"true", b"[1,2]",
                                        b"1e999999", b"-", b'{"seq":1e400}', b"{}"))))
    return DapCase(seed, index, kind, tuple(frames), tuple(expect))


# -- the server --------------------------------------------------------------

class Server:
    """``python -m dapcore dap`` over pipes, with a reader for each stream."""

    def __init__(self, hwm_file: str = "-") -> None:
        # hwm_file: where the server writes its peak RSS (KiB) when it exits
        self.proc = subprocess.Popen(limited_command(["dap"], hwm_file), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                                     env=child_env(), start_new_session=True)
        self.messages: list[dict[str, Any]] = []
        self.protocol: list[str] = []  # what broke the protocol
        self.stderr = bytearray()
        self.cond = threading.Condition()
        self.seq = PROBE_SEQ
        self.maxrss = 0
        self.exit: int | None = None
        self.readers = [threading.Thread(target=self._read, daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _chunk(fd: int) -> bytes:
        try:
            return os.read(fd, 1 << 16)
        except OSError:  # closed under us: the end
            return b""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        while True:
            chunk = self._chunk(fd)
            if not chunk:
                break
            buf += chunk
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                header = buf[:end].decode("ascii", "replace")
                try:
                    length = int(header.partition("Content-Length:")[2].split("\r\n")[0])
                except ValueError:
                    self._broken(f"bad header from the server: {header[:100]!r}")
                    buf = buf[end + 4:]
                    continue
                if len(buf) < end + 4 + length:
                    break
                body, buf = buf[end + 4:end + 4 + length], buf[end + 4 + length:]
                try:
                    msg = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as exc:
                    self._broken(f"undecodable message from the server ({exc}): {body[:100]!r}")
                    continue
                with self.cond:
                    self.messages.append(msg)
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _broken(self, why: str) -> None:
        with self.cond:
            self.protocol.append(why)
            self.cond.notify_all()

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        while True:
            chunk = self._chunk(fd)
            if not chunk:
                break
            if len(self.stderr) < 8 << 20:
                self.stderr += chunk

    def send(self, data: bytes) -> bool:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def request(self, command: str, args: dict[str, Any]) -> int:
        self.seq += 1
        self.send(jframe({"seq": self.seq, "type": "request", "command": command,
                          "arguments": args}))
        return self.seq

    def answered(self, seqs: set[int], start: int) -> set[int]:
        return {m.get("request_seq") for m in self.messages[start:]  # type: ignore[misc]
                if m.get("type") == "response"} & seqs

    def wait(self, seqs: set[int], start: int, deadline: float) -> set[int]:
        """The seqs still unanswered at ``deadline`` (or when the server exits)."""
        with self.cond:
            while True:
                missing = seqs - self.answered(seqs, start)
                if not missing or not self.alive():
                    return missing
                left = deadline - time.monotonic()
                if left <= 0:
                    return missing
                self.cond.wait(min(left, 0.2))

    def alive(self) -> bool:
        if self.exit is None:
            pid, status, _usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid == 0:
                return True
            self.exit = os.waitstatus_to_exitcode(status)
            self.proc.returncode = self.exit
            # not usage.ru_maxrss: it counts the parent's RSS at the fork
            # (GBs in a long pytest session); the last VmHWM read stands
        return False

    def rss(self) -> int:
        """Current (alive) or peak (exited) RSS in bytes."""
        if not self.alive():
            return self.maxrss
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.maxrss = max(self.maxrss, int(line.split()[1]) * 1024)
                        return self.maxrss
        except OSError:
            pass
        return 0

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.wait4(self.proc.pid, 0)
            self.exit = -9
            self.proc.returncode = -9
        # The readers end at EOF (the process group is gone); closing the pipes
        # under them could hand their fd numbers to another server's pipes.
        for reader in self.readers:
            reader.join(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


@dataclass(slots=True)
class DapOutcome:
    case: DapCase
    klass: str
    detail: str
    before: tuple[int, ...]  # cases the same server ran first
    fixture: str

    @property
    def failed(self) -> bool:
        return self.klass in DAP_FAILURES

    def report(self) -> str:
        c = self.case
        prior = (f"after cases {', '.join(map(str, self.before))} on the same server"
                 if self.before else "on a fresh server")
        return (f"{c.describe()}\n    -> {self.klass}: {self.detail}\n    ({self.fixture}, "
                f"{prior}; rebuild: python benchmarks/fuzz.py --dap --seed {c.seed} --only "
                f"{c.index} --keep /tmp/fuzz-dap)")


def _traceback(err: bytes) -> str | None:
    text = err.decode("utf-8", "replace")
    if "Traceback (most recent call last)" not in text:
        return None
    lines = [line for line in text.split("\n") if line.strip()]
    tail = [line for line in lines if not line.startswith((" ", "Traceback"))]
    where = [line.strip() for line in lines if line.strip().startswith("File ")]
    return (tail[-1][:300] if tail else "") + (f" (at {where[-1]})" if where else "")


class DapHarness:
    """Runs DAP cases in sessions of :data:`SESSION`, two servers at a time."""

    def __init__(self, program: Path, core: Path, fixture: str, jobs: int = 2) -> None:
        self.program, self.core, self.fixture, self.jobs = str(program), str(core), fixture, jobs

    def case(self, seed: int, index: int) -> DapCase:
        return make_dap_case(seed, index, self.program, self.core)

    def start(self) -> Server:
        server = Server()
        launched = server.request("initialize", {"adapterID": "gocore", "clientID": "fuzz"})
        launch = server.request("launch", {"program": self.program, "coreFilePath": self.core})
        done = server.request("configurationDone", {})
        missing = server.wait({launched, launch, done}, 0, time.monotonic() + 3 * TIMEOUT)
        if missing:
            err = server.stderr.decode("utf-8", "replace")[-1000:]
            server.stop()
            raise AssertionError(f"the pristine session did not start: {missing} unanswered; "
                                 f"{err}")
        return server

    def run_one(self, server: Server, case: DapCase) -> tuple[str, str]:
        start_msgs = len(server.messages)
        start_err = len(server.stderr)
        began = time.monotonic()
        for data in case.frames:
            if not server.send(data):
                break
        probe = server.request("threads", {})
        deadline = began + TIMEOUT
        missing = server.wait({probe, *case.expect}, start_msgs, deadline)
        time.sleep(0.01)
        news = server.messages[start_msgs:]
        for m in news:
            text = json.dumps(m.get("message", "")) + json.dumps(m.get("body", ""))
            if "internal error" in text:
                return "CRASH", f"answer: {text[:300]}"
        tb = _traceback(bytes(server.stderr[start_err:]))
        if not server.alive():
            why = tb or bytes(server.stderr[-300:]).decode("utf-8", "replace")
            return "CRASH", f"server exited with {server.exit}: {why}"
        if server.rss() > RSS_LIMIT:
            return "MEMORY", f"peak RSS {server.rss() >> 20} MB"
        if tb:
            return "CRASH", f"traceback on the server's stderr: {tb}"
        if server.protocol:
            return "PROTOCOL", "; ".join(server.protocol)[:300]
        for m in news:
            rs = m.get("request_seq")
            if m.get("type") == "response" and (not isinstance(rs, int) or not 0 <= rs < INT32):
                return "PROTOCOL", f"response with request_seq {rs!r} (not an int32)"
        if probe in missing:
            return "HANG", f"no answer to 'threads' within {TIMEOUT:.0f} s"
        if missing:
            return "HANG", f"requests {sorted(missing)} never answered (within {TIMEOUT:.0f} s)"
        return "ok", ""

    def run_session(self, cases: list[DapCase]) -> list[DapOutcome]:
        out: list[DapOutcome] = []
        server = self.start()
        ran: list[int] = []
        try:
            for case in cases:
                klass, detail = self.run_one(server, case)
                out.append(DapOutcome(case, klass, detail, tuple(ran), self.fixture))
                ran.append(case.index)
                if klass != "ok":
                    server.stop()
                    server = self.start()
                    ran = []
        finally:
            server.stop()
        return out

    def run(self, seed: int, count: int, first: int = 0,
            progress: Callable[[DapOutcome], None] | None = None) -> list[DapOutcome]:
        cases = [self.case(seed, first + i) for i in range(count)]
        sessions = [cases[i:i + SESSION] for i in range(0, len(cases), SESSION)]
        out: list[DapOutcome] = []
        with ThreadPoolExecutor(self.jobs) as pool:
            for batch in pool.map(self.run_session, sessions):
                for o in batch:
                    out.append(o)
                    if progress is not None:
                        progress(o)
        return out

    def dump(self, seed: int, index: int, path: Path) -> Path:
        """The bytes a client sends to reproduce case ``index`` on a fresh
        server (initialize, launch, configurationDone, the case, threads)."""
        server_msgs = [jframe({"seq": i + 1, "type": "request", "command": c, "arguments": a})
                       for i, (c, a) in enumerate((
                           ("initialize", {"adapterID": "gocore"}),
                           ("launch", {"program": self.program, "coreFilePath": self.core}),
                           ("configurationDone", {})))]
        case = self.case(seed, index)
        probe = jframe({"seq": PROBE_SEQ, "type": "request", "command": "threads"})
        path.write_bytes(b"".join(server_msgs) + b"".join(case.frames) + probe)
        return path


def dap_table(outcomes: list[DapOutcome]) -> str:
    """Counts per class, overall and per kind of hostile message."""
    from tests.fuzz.run import class_table

    return class_table([(f"dap:{o.case.kind}", o.klass) for o in outcomes], DAP_CLASSES)
