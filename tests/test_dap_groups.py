"""The ``dapcore/goroutineGroups`` and ``dapcore/focusGoroutine`` custom
requests and the console's ``groups``/``group``/``leaks`` (issue #17), on
the 10,007-goroutine core: the groups are the engine's
(:meth:`Engine.goroutine_groups`, itself checked against the runtime's
traceback in the engine's tests) and their counts add up to the goroutines
the runtime printed; every threadId answers ``stackTrace`` with the frame the
request says to focus at the file and line the runtime printed for it;
paging, filters, bad arguments (the session keeps serving), cancel."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from dapcore.engine import Engine
from dapcore.triage.groups import GoroutineFilter
from dapcore.triage.text import group_json, leak_json
from tests.dap.harness import VSCODE_INIT, Client
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback

MANY = make_spec("1.27", "default", "many")
MANY_19 = make_spec("1.19", "default", "many")  # the oldest release dapcore reads
REQ = "dapcore/goroutineGroups"


def _open(c: Client, fx: Fixture, **extra: Any) -> None:
    c.ok("initialize", VSCODE_INIT)
    c.ok("launch", {"type": "gocore", "request": "launch", "name": "Go core",
                    "program": str(fx.binary), "coreFilePath": str(fx.core), **extra})
    c.event("initialized")
    c.ok("configurationDone")
    c.event("stopped", timeout=60)


def _engine(fx: Fixture) -> Engine:
    return Engine.open(str(fx.binary), str(fx.core))


def _without_goroutines(group: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in group.items()
            if k not in ("goroutines", "goroutinesStart", "headline")}


@pytest.mark.parametrize("spec", [MANY, MANY_19], ids=[MANY.id, MANY_19.id])
def test_groups_request_is_the_engines_and_pages(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = parse_traceback(fixture.stderr_text())
    rep = _engine(fixture)
    want = rep.goroutine_groups()
    with Client.spawn() as c:
        _open(c, fixture)
        body = c.ok(REQ, {"goroutinesPerGroup": 3}, timeout=120)
        assert body["totalGroups"] == len(want) == len(body["groups"])
        assert body["totalGoroutines"] == sum(g.count for g in want) == len(tb.goroutines)
        assert [_without_goroutines(g) for g in body["groups"]] == [
            group_json(g, ids=False) for g in want]
        assert body["leaks"] == [leak_json(x) for x in rep.leak_summary(want)]
        for got, grp in zip(body["groups"], want, strict=True):
            assert [x["id"] for x in got["goroutines"]] == grp.goids[:3]
            assert got["headline"] == grp.headline
        # the runtime's own traceback: each group's count is the number of
        # goroutines it printed with that status and innermost function
        printed = Counter((g.status, g.frames[0].function) for g in tb.goroutines)
        mine: Counter[tuple[str, str]] = Counter()
        for grp in want:
            mine[(grp.status, rep.print_name(grp.frames[0].function))] += grp.count
        assert mine == printed
        # pages: start/count over groups, goroutinesStart over one group's ids
        page = c.ok(REQ, {"start": 2, "count": 3, "goroutinesPerGroup": 0})
        assert [g["id"] for g in page["groups"]] == [g.id for g in want[2:5]]
        assert all(g["goroutines"] == [] for g in page["groups"])
        assert page["totalGroups"] == len(want)
        big = want[0]
        seen: list[int] = []
        while len(seen) < big.count:
            one = c.ok(REQ, {"group": big.id[:8], "goroutinesStart": len(seen),
                             "goroutinesPerGroup": 100})
            assert [g["id"] for g in one["groups"]] == [big.id]
            got = [x["id"] for x in one["groups"][0]["goroutines"]]
            assert got, "a page inside the group came back empty"
            seen += got
        assert seen == big.goids
        past = c.ok(REQ, {"start": len(want) + 5})
        assert past["groups"] == [] and past["totalGroups"] == len(want)


@pytest.mark.parametrize("spec", [MANY, MANY_19], ids=[MANY.id, MANY_19.id])
def test_thread_ids_and_focus_frames_answer_stacktrace(spec: FixtureSpec,
                                                      fixture: Fixture) -> None:
    tb = {g.id: g for g in parse_traceback(fixture.stderr_text()).goroutines}
    rep = _engine(fixture)
    with Client.spawn() as c:
        _open(c, fixture, maxThreads=50)  # a capped list: most goroutines not listed
        body = c.ok(REQ, {"goroutinesPerGroup": 2}, timeout=120)
        checked = 0
        for grp in body["groups"]:
            for gr in grp["goroutines"]:
                frames = c.ok("stackTrace", {"threadId": gr["threadId"]})["stackFrames"]
                focus = [f for f in frames if f["id"] == gr["frameId"]]
                assert len(focus) == 1, (gr, [f["id"] for f in frames])
                assert gr["frameIndex"] == rep.landing_frame(gr["id"])
                # the runtime printed that goroutine's frame at this file and line
                printed = tb[gr["id"]].frames
                engine_frame = rep.stack(rep.goroutine(gr["id"])).frames[gr["frameIndex"]]
                if focus[0].get("source", {}).get("path"):
                    hits = [f for f in printed if getattr(f, "file", None) == engine_frame.file
                            and getattr(f, "line", None) == engine_frame.line]
                    assert hits, (gr, engine_frame)
                    assert focus[0]["line"] == engine_frame.line
                    checked += 1
        assert checked >= len(body["groups"])
        # focusing a goroutine the capped list left out lists it and stops on it
        listed = {t["id"] for t in c.ok("threads")["threads"]}
        target = next(gr for grp in body["groups"] for gr in grp["goroutines"]
                      if gr["threadId"] not in listed)
        mark = c.mark()
        answer = c.ok("dapcore/focusGoroutine", {"threadId": target["threadId"]})
        assert answer == {"threadId": target["threadId"], "frameId": target["frameId"],
                          "frameIndex": target["frameIndex"]}
        stopped = c.event("stopped", start=mark)
        assert stopped["body"]["threadId"] == target["threadId"]
        assert stopped["body"]["preserveFocusHint"] is False
        assert target["threadId"] in {t["id"] for t in c.ok("threads")["threads"]}


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_filters_and_bad_arguments(spec: FixtureSpec, fixture: Fixture) -> None:
    rep = _engine(fixture)
    with Client.spawn() as c:
        _open(c, fixture)
        for raw, flt in [
            ({"status": "chan receive"}, GoroutineFilter(status="chan receive")),
            ({"function": "main.manyPark", "status": "waiting"},
             GoroutineFilter(function="main.manyPark", status="waiting")),
            ({"reason": "sync.*Mutex*"}, GoroutineFilter(reason="sync.*Mutex*")),
            ({"package": "sync"}, GoroutineFilter(package="sync")),
            ({"system": True}, GoroutineFilter(system=True)),
        ]:
            want = rep.goroutine_groups(flt)
            got = c.ok(REQ, {"filter": raw, "goroutinesPerGroup": 0})
            assert want, raw  # each filter selects something on this core
            assert [_without_goroutines(g) for g in got["groups"]] == [
                group_json(g, ids=False) for g in want], raw
            assert got["totalGoroutines"] == sum(g.count for g in want)
        for bad, words in [
            ({"filter": {"colour": "red"}}, "unknown goroutine filter 'colour'"),
            ({"filter": {"system": "yes"}}, "'system' must be true or false"),
            ({"filter": {"label": ["a"]}}, "filter 'label' must be an object"),
            ({"filter": "status=waiting"}, "argument 'filter' must be an object"),
            ({"start": -1}, "'start' must not be negative"),
            ({"count": "ten"}, "'count' must be an integer"),
            ({"group": "ffffffffffffffff"}, "no goroutine group 'ffffffffffffffff'"),
        ]:
            failed = c.request(REQ, bad)
            assert failed["success"] is False, bad
            assert words in failed["message"], (bad, failed["message"])
        # the session keeps serving
        assert c.ok(REQ, {"count": 1})["totalGroups"] == len(rep.goroutine_groups())
        assert c.ok("threads")["threads"]


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_console_groups_group_and_leaks(spec: FixtureSpec, fixture: Fixture) -> None:
    rep = _engine(fixture)
    want = rep.goroutine_groups()
    with Client.spawn() as c:
        _open(c, fixture)

        def repl(line: str) -> str:
            return str(c.ok("evaluate", {"expression": line, "context": "repl"},
                            timeout=120)["result"])
        text = repl("groups")
        assert text.startswith(f"{sum(g.count for g in want):,} goroutines in {len(want)} "
                               "groups")
        for grp in want[:20]:
            assert f"[{grp.id}] {grp.count:,} goroutine" in text
        assert f"… {len(want) - 20} more groups" in text
        filtered = repl('groups reason="chan receive"')
        chan = rep.goroutine_groups(GoroutineFilter(reason="chan receive"))
        assert filtered.count("] ") == len(chan)
        one = repl(f"group {want[0].id[:6]}")
        ids = [int(w) for line in one.splitlines()[1:] if line.startswith("  ")
               and line.strip()[:1].isdigit() for w in line.split()]
        assert ids == want[0].goids
        leaks = repl("leaks")
        for s in rep.leak_summary(want):
            assert s.sentence() in leaks
        assert "groups [FILTER…]" in repl("help")
        failed = c.request("evaluate", {"expression": "groups colour=red", "context": "repl"})
        assert failed["success"] is False and "bad goroutine filter" in failed["message"]


@pytest.mark.parametrize("spec", [make_spec("1.27", "default", "many-100k")],
                         ids=["go1.27-default-many-100k"])
def test_cancel_stops_the_grouping(spec: FixtureSpec, fixture: Fixture) -> None:
    with Client.spawn() as c:
        _open(c, fixture)
        seq = c.send(REQ, {})
        time.sleep(0.3)
        started = time.monotonic()
        c.ok("cancel", {"requestId": seq})
        answer = c.response(seq, timeout=30)
        assert answer["success"] is False and answer["message"] == "cancelled", answer
        # the engine is free again soon: a cheap request is answered quickly
        c.ok("threads", timeout=60)
        assert time.monotonic() - started < 30
        # and the groups are computed in full when asked again
        body = c.ok(REQ, {"count": 1}, timeout=300)
        assert body["totalGoroutines"] >= 100_000


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_hidden_system_goroutines_and_focus_errors(spec: FixtureSpec, fixture: Fixture) -> None:
    """With ``hideSystemGoroutines`` the groups leave the runtime's own
    goroutines out (as the thread list does) unless the filter names
    ``system``; focusing a thread that does not exist is a clear error."""
    rep = _engine(fixture)
    with Client.spawn() as c:
        _open(c, fixture, hideSystemGoroutines=True)
        body = c.ok(REQ, {"goroutinesPerGroup": 0}, timeout=120)
        want = rep.goroutine_groups(GoroutineFilter(system=False))
        assert [g["id"] for g in body["groups"]] == [g.id for g in want]
        assert not any(g["system"] for g in body["groups"])
        system = c.ok(REQ, {"filter": {"system": True}, "goroutinesPerGroup": 0})
        assert [g["id"] for g in system["groups"]] == [
            g.id for g in rep.goroutine_groups(GoroutineFilter(system=True))]
        assert system["groups"]
        failed = c.request("dapcore/focusGoroutine", {"threadId": 99_999_999})
        assert failed["success"] is False and "no thread 99999999" in failed["message"]
        failed = c.request("dapcore/focusGoroutine", {})
        assert failed["success"] is False and "'threadId' is required" in failed["message"]


BLOCKING_SPECS = [make_spec("1.27", "default", "deadlockcycle"),
                  make_spec("1.19", "default", "mutexpile")]


@pytest.mark.parametrize("spec", BLOCKING_SPECS, ids=[s.id for s in BLOCKING_SPECS])
def test_blocking_request_and_console(spec: FixtureSpec, fixture: Fixture) -> None:
    """``dapcore/blocking`` answers what ``dapcore blocking --json`` says,
    and the console's ``blocking`` its text; both agree with the facts the
    program wrote about its channels and objects."""
    from dapcore.triage.blockingtext import blocking_json, blocking_text

    want = _engine(fixture).blocking()
    facts = fixture.facts()["triage"]
    with Client.spawn() as c:
        _open(c, fixture)
        body = c.ok("dapcore/blocking", {}, timeout=120)
        assert body == blocking_json(want)
        text = str(c.ok("evaluate", {"expression": "blocking", "context": "repl"},
                        timeout=120)["result"])
        assert text == blocking_text(want)
        assert "blocking" in str(c.ok("evaluate", {"expression": "help",
                                                   "context": "repl"})["result"])
    # the program's own addresses are among what was found
    found = {o["address"] for o in body["objects"]} | {ch["address"] for ch in body["channels"]}
    wanted = {int(o["address"]) for o in facts.get("objects", [])} | {
        int(ch["address"]) for ch in facts.get("channels", [])}
    assert wanted and wanted <= found
    if spec.scenario.name == "deadlockcycle":
        assert any(cy["certain"] for cy in body["cycles"])
        assert "deadlock: goroutines" in text
