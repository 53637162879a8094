"""Goroutine groups and the leak summary (issue #17) against the runtime's
own traceback: grouping the goroutines the runtime printed by their printed
stack and status gives the groups the engine finds in the core, with the
same creation sites; filters keep exactly the goroutines whose printed
stack and status pass them; the leak summary counts what the traceback's
``created by`` lines count."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from functools import cache

import pytest

from dapcore.engine import Engine
from dapcore.gobin.pclntab import print_name
from dapcore.goruntime.clock import WaitClock
from dapcore.triage.groups import GoroutineFilter, GoroutineGroup, parse_filters
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import Elision, Traceback, parse_traceback
from tests.oracle import Goroutine as OGoroutine

SPECS = [make_spec("1.27", "default", "many"), make_spec("1.19", "default", "many"),
         make_spec("1.15", "default", "many"), make_spec("1.27", "default", "sigquit"),
         make_spec("1.23", "default", "goroutinepanic"),
         make_spec("1.27", "trimpath", "goroutinepanic"),
         make_spec("1.23", "default", "deadlock", arch="arm64"),
         make_spec("1.27", "stripped", "cgocallback")]

FrameKey = tuple[tuple[str, str, int, bool], ...]


@cache
def _engine(binary: str, core: str) -> Engine:
    return Engine.open(binary, core)


def engine(fx: Fixture) -> Engine:
    return _engine(str(fx.binary), str(fx.core))


@cache
def _groups(binary: str, core: str) -> list[GoroutineGroup]:
    return _engine(binary, core).goroutine_groups()


def groups(fx: Fixture) -> list[GoroutineGroup]:
    return _groups(str(fx.binary), str(fx.core))


def oracle(fx: Fixture) -> Traceback:
    return parse_traceback(fx.stderr_text())


def _printed(og: OGoroutine) -> FrameKey | None:
    """The printed frames as the group key names them; None when the
    runtime elided some (then the stack cannot be compared whole)."""
    if any(isinstance(f, Elision) for f in og.frames):
        return None
    return tuple((f.function, f.file or "", f.line or 0, f.inlined) for f in og.frames
                 if not isinstance(f, Elision))


def _ours(grp: GoroutineGroup) -> FrameKey:
    return tuple((print_name(f.function), f.file, f.line, f.inlined) for f in grp.frames)


def _oracle_goroutines(fx: Fixture) -> list[OGoroutine]:
    return [g for g in oracle(fx).goroutines if g.id != 0]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_groups_are_the_tracebacks_stacks_counted(spec: FixtureSpec, fixture: Fixture) -> None:
    mine = groups(fixture)
    by_goid = {goid: grp for grp in mine for goid in grp.goids}
    # every goroutine in exactly one group
    assert sum(g.count for g in mine) == len(by_goid) == engine(fixture).goroutine_count
    assert len({g.id for g in mine}) == len(mine)
    printed = _oracle_goroutines(fixture)
    assert printed
    theirs: dict[tuple[str, FrameKey], set[int]] = {}
    for og in printed:
        key = _printed(og)
        if key is None:
            continue
        theirs.setdefault((og.status.removesuffix(" (scan)"), key), set()).add(og.id)
    compared = 0
    for (status, key), ids in theirs.items():
        grp = by_goid[min(ids)]
        assert grp.status == status
        assert _ours(grp) == key
        # the runtime's goroutines of this stack are all in this group (the
        # group may hold more: goroutines the runtime did not print)
        assert ids <= set(grp.goids), f"group {grp.id}"
        compared += 1
    assert compared
    # groups are ordered: most goroutines first
    counts = [g.count for g in mine]
    assert counts == sorted(counts, reverse=True)
    crashed = [g for g in mine if g.crashed]
    crash_g = engine(fixture).crashed_goroutine
    assert len(crashed) == (1 if crash_g is not None else 0)
    if crash_g is not None:
        assert crash_g.goid in crashed[0].goids


@pytest.mark.parametrize("spec", SPECS[:2] + SPECS[4:5], ids=[s.id for s in SPECS[:2] + SPECS[4:5]])
def test_creation_sites_are_the_tracebacks(spec: FixtureSpec, fixture: Fixture) -> None:
    by_goid = {goid: grp for grp in groups(fixture) for goid in grp.goids}
    want: dict[str, Counter[tuple[str, str, int]]] = {}
    for og in _oracle_goroutines(fixture):
        if og.created_by is None:
            continue
        cb = og.created_by
        want.setdefault(by_goid[og.id].id, Counter())[
            (cb.function, cb.file or "", cb.line or 0)] += 1
    for grp in groups(fixture):
        got = Counter({(s.function, s.file, s.line): s.count for s in grp.sites})
        if grp.id in want:
            # the printed goroutines' sites are among the group's, no more often
            for site, n in want[grp.id].items():
                assert got[site] >= n, f"group {grp.id}: {site}"
        assert sum(got.values()) <= grp.count


@pytest.mark.parametrize("spec", SPECS[:1], ids=[SPECS[0].id])
@pytest.mark.parametrize("items", [["status=waiting"], ["status=chan receive"],
                                   ["function=main.manyPark"], ["package=sync"],
                                   ["reason=sema*"], ["status=running"],
                                   ["function=main.*", "status=select"], ["system=true"]],
                         ids=lambda x: "+".join(x))
def test_filters_keep_what_the_traceback_says(spec: FixtureSpec, fixture: Fixture,
                                              items: list[str]) -> None:
    flt = parse_filters(items)
    kept = engine(fixture).goroutine_groups(flt)
    kept_ids = {goid for g in kept for goid in g.goids}
    every = {goid: g for g in groups(fixture) for goid in g.goids}
    for og in _oracle_goroutines(fixture):
        grp = every[og.id]
        assert (og.id in kept_ids) == _passes(flt, og, grp), f"goroutine {og.id}"
    assert kept_ids <= set(every)


def _passes(flt: GoroutineFilter, og: OGoroutine, grp: GoroutineGroup) -> bool:
    """Whether the printed goroutine ``og`` passes ``flt`` (written from
    the traceback's words; ``grp`` only says whether it is the runtime's)."""
    import fnmatch

    def match(pat: str, text: str) -> bool:
        return (fnmatch.fnmatchcase(text, pat) if any(c in pat for c in "*?[")
                else pat in text)

    status = og.status.removesuffix(" (scan)")
    funcs = [f.function for f in og.frames if not isinstance(f, Elision)]
    if flt.system is not None and grp.system != flt.system:
        return False
    if flt.status is not None:
        waiting_words = status not in ("running", "runnable", "syscall")
        if not (match(flt.status, status) or (flt.status == "waiting" and waiting_words)):
            return False
    if flt.reason is not None and not (status not in ("running", "runnable", "syscall")
                                       and match(flt.reason, status)):
        return False
    if flt.function is not None and not any(match(flt.function, f) for f in funcs):
        return False
    return flt.package is None or any(match(flt.package, Engine.package_of(f)) for f in funcs)


@pytest.mark.parametrize("spec", SPECS[:2], ids=[s.id for s in SPECS[:2]])
def test_leak_summary_counts_the_creation_sites(spec: FixtureSpec, fixture: Fixture) -> None:
    leaks = engine(fixture).leak_summary(groups(fixture), min_count=2, limit=None)
    assert leaks
    assert [s.count for s in leaks] == sorted((s.count for s in leaks), reverse=True)
    # what the runtime printed: blocked goroutines per (created by, status)
    want: Counter[tuple[str, str, int, str]] = Counter()
    for og in _oracle_goroutines(fixture):
        status = og.status.removesuffix(" (scan)")
        if og.created_by is None or status in ("running", "runnable", "syscall"):
            continue
        cb = og.created_by
        if cb.function.startswith("runtime."):
            continue  # the runtime's own goroutines are not leaks
        want[(cb.function, cb.file or "", cb.line or 0, status)] += 1
    got = {(s.function, s.file, s.line, s.status): s for s in leaks}
    for key, n in want.items():
        if n >= 2:
            assert key in got and got[key].count >= n, key
            assert f"{got[key].count:,} goroutines created at" in got[key].sentence()


@pytest.mark.parametrize("spec", SPECS[:1], ids=[SPECS[0].id])
def test_wait_minutes_are_lower_bounds(spec: FixtureSpec, fixture: Fixture) -> None:
    rep = engine(fixture)
    clock = WaitClock.of_process(rep.proc)
    printed = {og.id: og for og in _oracle_goroutines(fixture)}
    for grp in groups(fixture):
        if grp.wait_minutes is None:
            continue
        lo, hi = grp.wait_minutes
        assert 0 <= lo <= hi
        for goid in grp.goids[:50]:
            og = printed.get(goid)
            if og is not None:
                assert hi <= (og.minutes or 0) or lo <= (og.minutes or 0)
    assert clock.now >= 0


@pytest.mark.parametrize("spec", SPECS[1:2], ids=[SPECS[1].id])
def test_cli_groups_and_leaks(spec: FixtureSpec, fixture: Fixture) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dapcore", "goroutines", *args,
                               str(fixture.binary), str(fixture.core)],
                              capture_output=True, text=True, timeout=300)

    r = run("--group", "--leaks", "--json", "--filter", "status=waiting")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    want = engine(fixture).goroutine_groups(parse_filters(["status=waiting"]))
    assert [g["id"] for g in data["groups"]] == [g.id for g in want]
    assert [g["count"] for g in data["groups"]] == [g.count for g in want]
    assert data["goroutines"] == sum(g.count for g in want)
    assert data["leaks"] and all(x["summary"].startswith(f"{x['count']:,} goroutine")
                                 for x in data["leaks"])
    r = run("--group")
    assert r.returncode == 0, r.stderr
    first = want[0]
    assert f"{first.count:,} goroutines [{first.status}]" in r.stdout
    assert f"goroutines in {len(groups(fixture)):,} groups" in r.stdout
    r = run("--filter", "colour=blue")
    assert r.returncode == 1
    assert "bad goroutine filter 'colour=blue'" in r.stderr and "Traceback" not in r.stderr


def test_bad_filters_are_refused() -> None:
    for bad in ["status", "label=", "system=maybe", "function=", "x=y"]:
        with pytest.raises(ValueError, match="bad goroutine filter"):
            parse_filters([bad])
    flt = parse_filters(["label=job=export", "label=tenant", "system=false"])
    assert flt.labels == {"job": "export", "tenant": None} and flt.system is False


LABELLED = make_spec("1.27", "default", "goroutinepanic")


@pytest.mark.parametrize("spec", [LABELLED], ids=[LABELLED.id])
def test_label_filters_keep_the_labelled_goroutines(spec: FixtureSpec, fixture: Fixture) -> None:
    """The goroutines the program labelled (``facts.json``: goroutine id →
    pprof labels) are the ones a label filter keeps, and their group says
    the labels."""
    labelled = {int(k): v for k, v in fixture.facts()["labels"].items()}
    assert labelled
    rep = engine(fixture)
    for goid, labels in labelled.items():
        for key, value in labels.items():
            for items in ([f"label={key}"], [f"label={key}={value}"],
                          [f"label={key}={value[:2]}*"]):
                kept = {g for grp in rep.goroutine_groups(parse_filters(items))
                        for g in grp.goids}
                want = {i for i, ls in labelled.items() if key in ls and _label_match(
                    items[0].split("=", 2)[2] if items[0].count("=") == 2 else None, ls[key])}
                assert goid in kept and kept == want, items
        grp = next(g for g in groups(fixture) if goid in g.goids)
        for key, value in labels.items():
            assert value in grp.labels[key]
    none = rep.goroutine_groups(parse_filters(["label=no-such-label"]))
    assert none == []


def _label_match(pattern: str | None, value: str) -> bool:
    import fnmatch

    if pattern is None:
        return True
    return (fnmatch.fnmatchcase(value, pattern) if any(c in pattern for c in "*?[")
            else pattern in value)


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_parked_shapes_are_the_full_unwinds(spec: FixtureSpec, fixture: Fixture) -> None:
    """Grouping reads a parked goroutine's frames without making a Frame
    each (``Unwinder.parked_shape``); wherever it gives an answer, that is
    what the full unwind and the runtime's printed frames give, and it gives
    one for most goroutines of a big core."""
    from dapcore.goruntime.traceback import printed_frames

    rep = Engine.open(fixture.binary, fixture.core)
    answered = 0
    for g in rep.goroutines:
        shape = rep.unwinder.parked_shape(g)
        if shape is None:
            continue
        answered += 1
        full = printed_frames(rep.stack(g).frames, rep.crash, g.crashed)
        assert shape == tuple((f.function, f.file, f.line, f.inlined, f.func_kind)
                              for f in full), f"goroutine {g.goid}"
    if spec.scenario.name == "many":
        assert answered >= rep.goroutine_count - 10
