"""Parse the text the Go runtime prints about goroutines into expectations.

Two kinds of input are understood:

* what a Go program writes to stderr when it dies (``panic: ...``,
  ``fatal error: ...``, a fatal signal such as SIGQUIT), in particular with
  ``GOTRACEBACK=crash``, where the runtime relays SIGQUIT to the other Ms and
  each of them adds a ``-----``-separated section with its registers;
* the text of ``runtime.Stack(buf, true)`` (a snapshot: goroutines only).

The parser never raises on odd input.  Every line is classified; a line that
is not part of a recognised block is recorded in ``Traceback.unparsed`` as
``(lineno, text)`` (1-based line numbers), so that a test can assert that
nothing was left over.  Program output printed before the crash therefore
ends up there too.

Formats were checked against the runtime sources and real output of Go 1.19
and 1.21 to 1.27 (``runtime/panic.go`` printpanics/dopanic_m,
``runtime/traceback.go`` goroutineheader/traceback2/printcreatedby1,
``runtime/signal_unix.go`` sighandler/fatalsignal, ``runtime/signal_amd64.go``
dumpregs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "Ancestor",
    "CreatedBy",
    "Elision",
    "Frame",
    "Goroutine",
    "Panic",
    "Section",
    "Signal",
    "SignalContext",
    "Traceback",
    "parse_traceback",
]


# ---------------------------------------------------------------------------
# Result types


@dataclass(slots=True)
class Frame:
    """One logical frame: ``FUNC(ARGS)`` and its ``\\tFILE:LINE`` line.

    ``function`` is the name as printed (``panic`` for runtime.gopanic,
    ``main.pair[...].m`` for generic code since Go 1.21).  ``args`` is the
    text between the parentheses; ``inlined`` is true when it is ``...``.
    ``offset`` is the ``+0x..`` pc offset from the function entry; fp/sp/pc
    are only printed when GOTRACEBACK>=system or for the throwing goroutine.
    A cgo frame printed as ``non-Go function at pc=0x..`` has function
    ``"non-Go function"`` and only ``pc`` set.  A function line that is not
    followed by a location line (truncated output) gives a frame with
    ``file`` and ``line`` None, and the line is also recorded as unparsed.
    """

    function: str
    args: str
    inlined: bool
    file: str | None
    line: int | None
    offset: int | None
    fp: int | None = None
    sp: int | None = None
    pc: int | None = None


@dataclass(slots=True)
class Elision:
    """``...N frames elided...`` (Go 1.21+: the middle of a stack deeper than
    100 frames) or ``...additional frames elided...`` (older: everything after
    the first 100 frames; count None)."""

    count: int | None


@dataclass(slots=True)
class CreatedBy:
    """``created by FUNC[ in goroutine N]`` and its location line."""

    function: str
    goroutine: int | None
    file: str | None
    line: int | None
    offset: int | None


@dataclass(slots=True)
class Ancestor:
    """``[originating from goroutine N]:`` block (GODEBUG=tracebackancestors)."""

    goroutine: int
    frames: list[Frame | Elision] = field(default_factory=list)
    created_by: CreatedBy | None = None


@dataclass(slots=True)
class Goroutine:
    """A ``goroutine N [...]:`` header and the stack printed under it.

    ``status`` is the text inside the brackets before the first comma (a
    status such as ``running`` or a wait reason such as ``chan receive`` or
    ``GC worker (idle)``; the runtime may append `` (scan)``, `` (leaked)``
    or `` (durable)``).  gp/m/mp are printed by Go 1.22+ when
    GOTRACEBACK>=system or for the throwing goroutine; ``m`` is None both
    when absent and for ``m=nil``.  ``labels`` are the ``{k: v}`` pprof
    labels Go 1.26+ prints with GODEBUG=tracebacklabels=1; ``bubble`` is
    the ``synctest bubble N`` id.  ``stack_unavailable`` is set for
    ``goroutine running on other thread; stack unavailable`` and for a
    goroutine whose first line is ``runtime: unknown pc`` (a signal in C).
    """

    id: int
    status: str
    minutes: int | None = None
    locked_to_thread: bool = False
    gp: int | None = None
    m: int | None = None
    mp: int | None = None
    frames: list[Frame | Elision] = field(default_factory=list)
    created_by: CreatedBy | None = None
    bubble: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    stack_unavailable: bool = False
    ancestors: list[Ancestor] = field(default_factory=list)
    lineno: int = 0

    def functions(self) -> list[str]:
        """Function names of the frames, elisions left out."""
        return [f.function for f in self.frames if isinstance(f, Frame)]


@dataclass(slots=True)
class Panic:
    """One ``panic: MSG`` line (with continuation lines) of the panic chain,
    oldest first.  ``suffix`` is the bracketed text the runtime appends
    (``recovered``, or ``recovered, repanicked`` since Go 1.25; with
    repanicking the re-raised value is then not printed again).
    ``goexit`` is true for a panic printed after the first one without the
    leading tab, which the runtime does when the previous link of the chain
    was a runtime.Goexit."""

    message: str
    recovered: bool = False
    suffix: str | None = None
    goexit: bool = False


@dataclass(slots=True)
class Signal:
    """``[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x..]``."""

    name: str
    description: str
    code: int | None
    addr: int | None
    pc: int | None


@dataclass(slots=True)
class SignalContext:
    """``SIGQUIT: quit`` / ``PC=0x.. m=N sigcode=N [addr=0x..]`` block that
    starts the dump of a fatal signal, and the register dump (``rax 0x..``)
    printed at the end of that dump."""

    name: str
    description: str
    pc: int | None
    m: int | None
    sigcode: int | None
    addr: int | None
    registers: dict[str, int] = field(default_factory=dict)
    cgo: bool = False
    instruction_bytes: bytes | None = None


@dataclass(slots=True)
class Section:
    """One dump: the main one, or one per M after a ``-----`` separator."""

    context: SignalContext | None = None
    runtime_stack: list[Frame | Elision] | None = None
    goroutines: list[Goroutine] = field(default_factory=list)
    _by_id: dict[int, Goroutine] = field(default_factory=dict)  # built on lookup
    _indexed: int = 0  # how many of goroutines _by_id covers

    def goroutine(self, goid: int) -> Goroutine | None:
        """The first goroutine ``goid`` of the section (a lookup per
        goroutine of a 100,000-goroutine printout: by a dict)."""
        gs = self.goroutines
        if self._indexed != len(gs):
            for g in gs[self._indexed:]:
                self._by_id.setdefault(g.id, g)
            self._indexed = len(gs)
        return self._by_id.get(goid)


@dataclass(slots=True)
class Traceback:
    panics: list[Panic] = field(default_factory=list)
    fatal_error: str | None = None
    runtime_messages: list[str] = field(default_factory=list)
    signal: Signal | None = None
    sections: list[Section] = field(default_factory=list)
    unparsed: list[tuple[int, str]] = field(default_factory=list)
    preamble_lines: list[str] = field(default_factory=list)

    @property
    def primary(self) -> Section | None:
        """The first section that holds a stack dump."""
        for s in self.sections:
            if s.goroutines or s.runtime_stack is not None:
                return s
        return self.sections[0] if self.sections else None

    @property
    def goroutines(self) -> list[Goroutine]:
        primary = self.primary
        return primary.goroutines if primary is not None else []

    @property
    def context(self) -> SignalContext | None:
        primary = self.primary
        return primary.context if primary is not None else None

    @property
    def kind(self) -> str:
        """What killed the process: "fatal error" (also for a throw while
        panicking, which Go 1.27 prints after the panics), "panic", "signal"
        (a fatal signal such as SIGQUIT), "snapshot" (goroutines only, as
        from runtime.Stack) or "empty"."""
        if self.fatal_error is not None:
            return "fatal error"
        if self.panics:
            return "panic"
        if self.signal is not None or any(s.context for s in self.sections):
            return "signal"
        if self.goroutines:
            return "snapshot"
        return "empty"

    def goroutine(self, goid: int) -> Goroutine | None:
        """Goroutine ``goid`` of the primary dump.  If the primary dump could
        not print its stack (``stack unavailable``, it was running on another
        M) and a later section printed it, that later record is returned."""
        primary = self.primary
        g = primary.goroutine(goid) if primary is not None else None
        if g is not None and g.stack_unavailable:
            for section in self.sections:
                other = section.goroutine(goid)
                if other is not None and other.frames:
                    return other
        return g


# ---------------------------------------------------------------------------
# Line patterns: one per kind of line.

_HEX = r"0x[0-9a-f]+"
_PANIC = re.compile(r"^(?P<tab>\t?)panic:(?: (?P<msg>.*))?$")
_PANIC_SUFFIX = re.compile(r"^(?P<msg>.*) \[(?P<suffix>recovered[^\]]*)\]$", re.S)
_FATAL = re.compile(r"^\t?fatal error:(?: (?P<msg>.*))?$")
_SIGNAL = re.compile(
    rf"^\[signal (?P<sig>.*?) code=(?P<code>{_HEX}) addr=(?P<addr>{_HEX})"
    rf" pc=(?P<pc>{_HEX})\]$"
)
_CONTEXT = re.compile(r"^(?P<name>SIG[A-Z0-9]+|signal \d+|Signal \d+)(?:: (?P<desc>.*))?$")
_CONTEXT_PC = re.compile(
    rf"^PC=(?P<pc>{_HEX}) m=(?P<m>\d+) sigcode=(?P<code>-?\d+)(?: addr=(?P<addr>{_HEX}))?$"
)
_CGO_SIGNAL = re.compile(r"^signal arrived during cgo execution$")
_INSTRUCTION_BYTES = re.compile(r"^instruction bytes:(?P<bytes>(?: 0x[0-9a-f]+)*)$")
_REGISTER = re.compile(rf"^(?P<reg>[a-z][a-z0-9]*) +(?P<val>{_HEX})$")
_SEPARATOR = re.compile(r"^-----$")
_RUNTIME_MSG = re.compile(r"^ ?runtime: .*$")
_OTHER_RUNTIME_MSG = re.compile(
    r"^(?:preempt off reason: .*|panic during panic|stack trace unavailable"
    r"|stack: frame=\{.*|fatal: morestack on g0|unexpected fault address .*)$"
)
_STACK_DUMP = re.compile(r"^stack: frame=\{.*$")
# Lines of the hex dump after "stack: frame={...}": "0x..: words" (Go <= 1.25),
# or a hex header row, "0000c000..: bytes  ascii" rows and "^ FP" marks (1.26+).
_HEXDUMP = re.compile(rf"^(?:{_HEX}: .*|[0-9a-f]{{8,16}}: .*| +\^ .*|[ 0-9a-f]+)$")
_CONTINUATION = re.compile(r"^\t.*$")
_GOROUTINE = re.compile(
    r"^goroutine (?P<id>\d+)"
    rf"(?: gp=(?P<gp>{_HEX}) m=(?:(?P<m>\d+) mp=(?P<mp>{_HEX})|nil))?"
    r" \[(?P<state>[^\]]*)\](?: \{(?P<labels>.*)\})?:$"
)
_MINUTES = re.compile(r"^(?P<n>\d+) minutes$")
_BUBBLE = re.compile(r"^synctest bubble (?P<id>\d+)$")
_RUNTIME_STACK = re.compile(r"^runtime stack:$")
_FUNCTION = re.compile(r"^(?P<func>\S.*?)\((?P<args>[0-9a-fx?{}_., ]*)\)$")
_LOCATION = re.compile(
    r"^\t(?P<file>.*?):(?P<line>\d+)(?: \+0x(?P<off>[0-9a-f]+))?"
    rf"(?: fp=(?P<fp>{_HEX}) sp=(?P<sp>{_HEX}) pc=(?P<pc>{_HEX}))?$"
)
_NON_GO = re.compile(rf"^non-Go function at pc=(?P<pc>{_HEX})$")
_ELIDED = re.compile(r"^\.\.\.(?:(?P<n>\d+)|additional) frames elided\.\.\.$")
_CREATED_BY = re.compile(r"^created by (?P<func>.+?)(?: in goroutine (?P<goid>\d+))?$")
_UNAVAILABLE = re.compile(r"^\tgoroutine running on other thread; stack unavailable$")
_ANCESTOR = re.compile(r"^\[originating from goroutine (?P<id>\d+)\]:$")

# Lines that end a multi-line panic / fatal error message.
_MESSAGE_END = (
    _PANIC, _FATAL, _SIGNAL, _GOROUTINE, _RUNTIME_STACK, _RUNTIME_MSG,
    _OTHER_RUNTIME_MSG, _SEPARATOR,
)  # fmt: skip


def _int(text: str | None, base: int = 16) -> int | None:
    return int(text, base) if text is not None else None


# ---------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, text: str) -> None:
        # Split on "\n" only: str.splitlines() also splits on \f, \x1c, \u2028...
        # which may occur in program output and would shift line numbers.
        self.lines = [line.removesuffix("\r") for line in text.split("\n")]
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.i = 0
        self.tb = Traceback()
        self.section: Section | None = None
        self.dump_start: int | None = None  # index of the first dump line
        self.section_ids: set[int] = set()  # goroutine ids in self.section

    # -- cursor helpers

    def peek(self, ahead: int = 0) -> str | None:
        j = self.i + ahead
        return self.lines[j] if j < len(self.lines) else None

    def match(self, pattern: re.Pattern[str], ahead: int = 0) -> re.Match[str] | None:
        line = self.peek(ahead)
        return pattern.match(line) if line is not None else None

    def unparsed(self, index: int) -> None:
        self.tb.unparsed.append((index + 1, self.lines[index]))

    def current_section(self) -> Section:
        if self.section is None:
            if self.dump_start is None:
                self.dump_start = self.i
            self.section = Section()
            self.tb.sections.append(self.section)
            self.section_ids = set()
        return self.section

    # -- top level

    def parse(self) -> Traceback:
        handlers: list[tuple[re.Pattern[str], Callable[[re.Match[str]], None]]] = [
            (_SEPARATOR, self.on_separator),
            (_PANIC, self.on_panic),
            (_FATAL, self.on_fatal),
            (_SIGNAL, self.on_signal),
            (_RUNTIME_MSG, self.on_runtime_message),
            (_OTHER_RUNTIME_MSG, self.on_runtime_message),
            (_CONTEXT, self.on_context),
            (_REGISTER, self.on_register),
            (_GOROUTINE, self.on_goroutine),
            (_RUNTIME_STACK, self.on_runtime_stack),
        ]
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if not line.strip():
                self.i += 1
                continue
            for pattern, handler in handlers:
                m = pattern.match(line)
                if m is not None:
                    start = self.i
                    handler(m)
                    if self.i > start:
                        break
            else:
                self.unparsed(self.i)
                self.i += 1
        preamble = self.lines[: self.dump_start]
        self.tb.preamble_lines = [line for line in preamble if line.strip()]
        return self.tb

    def on_separator(self, m: re.Match[str]) -> None:
        self.section = None
        self.i += 1

    # -- preamble blocks

    def take_message(self, first: str) -> str:
        """A message and its continuation lines, up to a blank line or a line
        of another kind.  Go 1.23+ indents continuation lines with a tab
        (printindented); if all of them are, one tab is removed.  Older
        versions print the message raw, so a blank line inside it is kept
        when the next line is not one the runtime prints after a message."""
        self.i += 1
        rest: list[str] = []
        while (line := self.peek()) is not None:
            if line == "":
                if not self.message_goes_on(rest):
                    break
            elif self.ends_message(self.i):
                break
            rest.append(line)
            self.i += 1
        if rest and all(r.startswith("\t") for r in rest):
            rest = [r[1:] for r in rest]
        return "\n".join([first, *rest])

    def ends_message(self, index: int) -> bool:
        line = self.lines[index]
        return any(p.match(line) for p in _MESSAGE_END) or self.is_context_start(index)

    def message_goes_on(self, rest: list[str]) -> bool:
        """At a blank line: does an old-style (unindented) message go on?"""
        if any(r.startswith("\t") for r in rest):
            return False
        j = self.i
        while j < len(self.lines) and self.lines[j] == "":
            j += 1
        return j < len(self.lines) and not self.ends_message(j)

    def on_panic(self, m: re.Match[str]) -> None:
        if m["tab"] and not self.tb.panics:
            # "\tpanic: " only continues a chain.
            return
        first = not self.tb.panics
        message = self.take_message(m["msg"] or "")
        panic = Panic(message=message, goexit=not first and not m["tab"])
        s = _PANIC_SUFFIX.match(message)
        if s is not None:
            panic.message = s["msg"]
            panic.suffix = s["suffix"]
            panic.recovered = True
        self.tb.panics.append(panic)

    def on_fatal(self, m: re.Match[str]) -> None:
        message = self.take_message(m["msg"] or "")
        if self.tb.fatal_error is None:
            self.tb.fatal_error = message
        else:
            self.tb.runtime_messages.append("fatal error: " + message)

    def on_signal(self, m: re.Match[str]) -> None:
        name, _, desc = m["sig"].partition(": ")
        signal = Signal(name, desc, _int(m["code"]), _int(m["addr"]), _int(m["pc"]))
        if self.tb.signal is None:
            self.tb.signal = signal
        else:
            self.tb.runtime_messages.append(self.lines[self.i])
        self.i += 1

    def on_runtime_message(self, m: re.Match[str]) -> None:
        """``runtime: ...`` diagnostics and a few other runtime lines, with
        their tab-indented continuation lines (``\\tmorebuf={...}``) and, for
        ``stack: frame={...}``, the hex dump that follows."""
        self.tb.runtime_messages.append(m[0].strip())
        hexdump = _STACK_DUMP.match(m[0]) is not None
        self.i += 1
        while (line := self.peek()) is not None:
            if _CONTINUATION.match(line) and not _LOCATION.match(line):
                self.tb.runtime_messages[-1] += "\n" + line.strip()
            elif hexdump and line.strip() and _HEXDUMP.match(line):
                self.tb.runtime_messages[-1] += "\n" + line
            else:
                break
            self.i += 1

    # -- signal context: "SIGQUIT: quit" then "PC=... m=N sigcode=N"

    def is_context_start(self, index: int) -> bool:
        following = self.lines[index + 1] if index + 1 < len(self.lines) else ""
        return bool(_CONTEXT.match(self.lines[index]) and _CONTEXT_PC.match(following))

    def on_context(self, m: re.Match[str]) -> None:
        pcm = self.match(_CONTEXT_PC, 1)
        if pcm is None:
            return  # not followed by a PC= line: left to the fallback
        old = self.section
        if old is not None and (old.context or old.goroutines or old.runtime_stack is not None):
            self.section = None  # a new dump starts without a "-----" separator
        section = self.current_section()
        section.context = SignalContext(
            name=m["name"],
            description=m["desc"] or "",
            pc=_int(pcm["pc"]),
            m=_int(pcm["m"], 10),
            sigcode=_int(pcm["code"], 10),
            addr=_int(pcm["addr"]),
        )
        self.i += 2
        if self.match(_CGO_SIGNAL):
            section.context.cgo = True
            self.i += 1
        if (ib := self.match(_INSTRUCTION_BYTES)) is not None:
            section.context.instruction_bytes = bytes(int(b, 16) for b in ib["bytes"].split())
            self.i += 1

    def on_register(self, m: re.Match[str]) -> None:
        if self.section is None or self.section.context is None:
            return
        self.section.context.registers[m["reg"]] = int(m["val"], 16)
        self.i += 1

    # -- stacks

    def on_runtime_stack(self, m: re.Match[str]) -> None:
        section = self.current_section()
        self.i += 1
        frames: list[Frame | Elision] = []
        self.take_frames(frames)
        if section.runtime_stack is None:
            section.runtime_stack = frames
        else:
            section.runtime_stack.extend(frames)

    def on_goroutine(self, m: re.Match[str]) -> None:
        g = Goroutine(id=int(m["id"]), status="", lineno=self.i + 1)
        if g.id in self.section_ids:
            # A second dump without a separator: e.g. two goroutines that
            # threw at once (Go < 1.24 lets the second one print its stack).
            self.section = None
        section = self.current_section()
        self.section_ids.add(g.id)
        g.gp, g.mp = _int(m["gp"]), _int(m["mp"])
        g.m = _int(m["m"], 10)
        self.parse_state(g, m["state"])
        if m["labels"]:
            g.labels = _parse_labels(m["labels"])
        section.goroutines.append(g)
        self.i += 1
        if self.match(_UNAVAILABLE):
            g.stack_unavailable = True
            self.i += 1
        elif (self.peek() or "").startswith("runtime: unknown pc "):
            # The signal came in C code the runtime cannot walk (Go 1.15
            # prints goroutine 0 so, then the stack's hex dump).
            g.stack_unavailable = True
        g.created_by = self.take_frames(g.frames)
        while (am := self.match(_ANCESTOR)) is not None:
            self.i += 1
            ancestor = Ancestor(goroutine=int(am["id"]))
            ancestor.created_by = self.take_frames(ancestor.frames)
            g.ancestors.append(ancestor)

    def parse_state(self, g: Goroutine, state: str) -> None:
        status, *extras = state.split(", ")
        g.status = status
        for extra in extras:
            if (mm := _MINUTES.match(extra)) is not None:
                g.minutes = int(mm["n"])
            elif extra == "locked to thread":
                g.locked_to_thread = True
            elif (bm := _BUBBLE.match(extra)) is not None:
                g.bubble = int(bm["id"])
            else:  # unknown: keep it in the status rather than lose it
                g.status += ", " + extra

    def take_frames(self, frames: list[Frame | Elision]) -> CreatedBy | None:
        """Frames, elision markers and runtime diagnostics up to the end of
        the stack; returns the ``created by`` record that ends it, if any."""
        while (line := self.peek()) is not None:
            if (em := _ELIDED.match(line)) is not None:
                frames.append(Elision(_int(em["n"], 10)))
                self.i += 1
            elif (nm := _NON_GO.match(line)) is not None:
                pc = _int(nm["pc"])
                frames.append(Frame("non-Go function", "", False, None, None, None, pc=pc))
                self.i += 1
            elif (cm := _CREATED_BY.match(line)) is not None:
                return self.take_created_by(cm)
            elif (rm := _RUNTIME_MSG.match(line) or _OTHER_RUNTIME_MSG.match(line)) is not None:
                self.on_runtime_message(rm)
            elif (fm := _FUNCTION.match(line)) is not None and not _GOROUTINE.match(line):
                frames.append(self.take_frame(fm))
            else:
                return None
        return None

    def take_frame(self, fm: re.Match[str]) -> Frame:
        frame = Frame(fm["func"], fm["args"], fm["args"] == "...", None, None, None)
        self.i += 1
        loc = self.match(_LOCATION)
        if loc is None:
            self.unparsed(self.i - 1)
            return frame
        frame.file, frame.line = loc["file"], int(loc["line"])
        frame.offset = _int(loc["off"])
        frame.fp, frame.sp, frame.pc = _int(loc["fp"]), _int(loc["sp"]), _int(loc["pc"])
        self.i += 1
        return frame

    def take_created_by(self, cm: re.Match[str]) -> CreatedBy:
        created = CreatedBy(cm["func"], _int(cm["goid"], 10), None, None, None)
        self.i += 1
        loc = self.match(_LOCATION)
        if loc is None:
            self.unparsed(self.i - 1)
            return created
        created.file, created.line = loc["file"], int(loc["line"])
        created.offset = _int(loc["off"])
        self.i += 1
        return created


def _parse_labels(text: str) -> dict[str, str]:
    """``k: v, "k 2": "v, 2"`` (keys/values quoted when they need it)."""
    token = r'"(?:[^"\\]|\\.)*"|[^:,"]*'
    labels: dict[str, str] = {}
    for m in re.finditer(rf"\s*({token}): ({token})(?:,|$)", text):
        labels[_unquote(m[1])] = _unquote(m[2])
    return labels


def _unquote(s: str) -> str:
    """Undo runtime.printquoted: ASCII with \\n \\t \\" \\xNN \\uNNNN escapes."""
    if len(s) >= 2 and s[0] == s[-1] == '"':
        return s[1:-1].encode("ascii", "backslashreplace").decode("unicode_escape")
    return s


def parse_traceback(text: str) -> Traceback:
    """Parse a Go crash traceback or a runtime.Stack(all) snapshot."""
    return _Parser(text).parse()
