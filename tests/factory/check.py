"""Does a capture's printout describe the same instant as its core?

The runtime prints every goroutine (stderr; ``stack.txt`` before a
snapshot) and only then is the core written. Goroutines the program does
not control keep running in between: the scavenger is woken
(``GC scavenge wait`` printed, ``runnable`` in memory), a GC worker starts,
the finalizer goroutine runs. Such a capture is not wrong, but the test
oracle no longer describes the core, so the factory captures it again.

The check reads every goroutine's status from the core with dapcore's
engine and compares it with the parsed printout (``tests/oracle``). Only
disagreements confined to goroutines the program does not control ask for
a re-capture; any other disagreement is recorded and left to the tests,
which say whether the engine or the scenario is at fault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.factory.scenarios import SNAPSHOT, Scenario
from tests.oracle import Goroutine as OGoroutine
from tests.oracle import Traceback, parse_traceback

if TYPE_CHECKING:
    from dapcore.goruntime.goroutines import Goroutine


# Bump when the check learns something new: cached fixtures are checked
# again once (not captured again unless they fail it).
CHECK_VERSION = 2


@dataclass(frozen=True, slots=True)
class Disagreement:
    goroutine: int
    function: str  # the goroutine's function (the go statement's), "?" when unknown
    core: str | None  # status read from the core (None: not in the core)
    printed: str | None  # status in the printout (None: not printed)
    program_controls: bool  # False for the runtime's own goroutines

    def describe(self) -> str:
        core = self.core or "absent"
        printed = self.printed or "absent"
        return (f"goroutine {self.goroutine} ({self.function}): {core} in the core, "
                f"{printed} in the printout")


@dataclass(slots=True)
class CheckResult:
    oracle: str  # the printout compared with: stderr.txt or stack.txt
    disagreements: list[Disagreement] = field(default_factory=list)
    error: str | None = None  # the check itself could not run (engine error)
    skipped: str | None = None  # not checked: the engine does not read this architecture yet

    @property
    def recapture(self) -> bool:
        """Only goroutines outside the program disagree: a capture race."""
        return bool(self.disagreements) and not any(
            d.program_controls for d in self.disagreements)

    def summary(self) -> str:
        if self.skipped is not None:
            return f"not checked ({self.skipped})"
        if self.error is not None:
            return f"not checked ({self.error})"
        if not self.disagreements:
            return "printout and core agree"
        return "; ".join(d.describe() for d in self.disagreements)

    def as_meta(self) -> dict[str, Any]:
        agrees = None if self.skipped else not self.disagreements and not self.error
        return {"version": CHECK_VERSION, "oracle": self.oracle,
                "agrees": agrees, "error": self.error, "skipped": self.skipped,
                "captureRace": self.recapture,
                "disagreements": [d.describe() for d in self.disagreements]}


def oracle_name(scenario: Scenario) -> str:
    return "stack.txt" if scenario.trigger == SNAPSHOT else "stderr.txt"


def engine_refuses(goarch: str) -> str | None:
    """Why dapcore's engine cannot read cores of ``goarch`` (None: it can)."""
    from dapcore.arch import named

    if named(goarch) is not None:
        return None
    return f"dapcore's engine does not read {goarch} cores yet"


def check_capture(directory: Path, binary: Path, scenario: Scenario,
                  goarch: str = "amd64") -> CheckResult:
    """Compare the core in ``directory`` with the printout next to it. A
    core of an architecture the engine does not read yet (arm64) is not
    compared: the result says so (``skipped``), and the pipeline checks it
    once the engine learns the architecture."""
    name = oracle_name(scenario)
    result = CheckResult(name)
    if not scenario.compare_printout:
        result.skipped = f"{scenario.name}'s printout is too big to compare in memory"
        return result
    try:
        tb = parse_traceback((directory / name).read_text(errors="replace"))
        result.skipped = engine_refuses(goarch)
        if result.skipped is not None:
            return result
        skip: set[int] = set()
        facts = directory / "facts.json"
        if scenario.trigger == SNAPSHOT and facts.exists():
            # The goroutine that wrote stack.txt returns before the snapshot.
            dumper = json.loads(facts.read_text()).get("dumperGoroutine")
            if dumper is not None:
                skip.add(int(dumper))
        result.disagreements = compare(binary, directory / "core", tb, skip,
                                       prints_system=scenario.trigger != SNAPSHOT)
        result.disagreements += _garbled_header(tb, facts)
    except Exception as exc:  # the engine cannot read it: the tests will say why
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def _garbled_header(tb: Traceback, facts: Path) -> list[Disagreement]:
    """A fatal error printed by two threads at once (``concurrent map
    writes`` caught by two goroutines: ``fatal error: fatal error: …``) is
    not the message the program provoked: a capture race, captured again."""
    if not facts.exists():
        return []
    said = json.loads(facts.read_text())
    message = said.get("crashMessage")
    if said.get("crashKind") != "fatal" or tb.kind != "fatal error" or not message:
        return []
    printed = f"fatal error: {tb.fatal_error}"
    if printed == message:
        return []
    return [Disagreement(0, "the crash header", message, printed, False)]


def compare(binary: Path, core: Path, tb: Traceback, skip: set[int],
            prints_system: bool = True) -> list[Disagreement]:
    """Goroutines whose status differs between the core and the printout,
    or that only one of them has. ``prints_system`` is False for
    ``runtime.Stack`` dumps, which leave the runtime's goroutines out."""
    from dapcore.engine import Engine
    from dapcore.goruntime.traceback import goroutine_name
    from dapcore.goruntime.userframe import is_user_function, main_module

    report = Engine.open(binary, core)
    proc = report.proc
    module = main_module(proc)

    def _name(g: Goroutine | None, og: OGoroutine | None) -> str:
        if g is not None:
            return goroutine_name(proc, g) or "?"
        names = og.functions() if og is not None else []
        return names[-1] if names else "?"

    ours = {g.goid: g for g in proc.goroutines}
    printed = {g.id: g for g in tb.goroutines if g.id != 0 and g.id not in skip}
    out: list[Disagreement] = []
    for goid in sorted((set(ours) | set(printed)) - skip):
        g, og = ours.get(goid), printed.get(goid)
        status = g.status_text if g is not None else None
        theirs = og.status.removesuffix(" (scan)") if og is not None else None
        if og is not None and status == theirs:
            full = tb.goroutine(goid)
            if full is not None and full.stack_unavailable:
                # Running on another thread, and that thread did not print
                # its section before the process died (GOTRACEBACK=crash
                # asks every M to): the printout lacks a stack the core has.
                out.append(Disagreement(goid, _name(g, og), status,
                                        f"{theirs} (its stack never printed)", False))
            continue
        if status == theirs or (og is None and g is not None and g.system
                                and not prints_system):
            continue
        if g is not None:
            controlled = not g.system
        else:
            assert og is not None
            # printed but not in the core: the program's if any frame is
            controlled = any(is_user_function(f, module) for f in og.functions())
        out.append(Disagreement(goid, _name(g, og), status, theirs, controlled))
    return out
