"""``maxThreads``: a capped thread list (what the VS Code extension asks
for on huge cores, see ``benchmarks/bench_vscode.py``), checked on the
10,007-goroutine core against the Go runtime's own traceback: the crashing
goroutine first, every kind of goroutine (wait state) at least once, the
``+N more like it`` counts adding up to every goroutine, the Debug Console
saying so, and ``goroutine N`` bringing a left-out goroutine into the list."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from dapcore.dap.threadcap import pick
from tests.dap.harness import VSCODE_INIT, Client
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback

MANY = make_spec("1.27", "default", "many")
NAME = re.compile(r"^\[Go (\d+)\] (.+?) · (.+?)(?: · thread \d+)?(?: · ⚡ crashed)?"
                  r"(?: · \+([\d,]+) more like it)?$")


def _launch(fx: Fixture, **extra: Any) -> dict[str, Any]:
    return {"type": "gocore", "request": "launch", "name": "Go core", "program": str(fx.binary),
            "coreFilePath": str(fx.core), **extra}


def _open(c: Client, fx: Fixture, **extra: Any) -> dict[str, Any]:
    c.ok("initialize", VSCODE_INIT)
    c.ok("launch", _launch(fx, **extra))
    c.event("initialized")
    c.ok("configurationDone")
    return c.event("stopped", timeout=60)


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_capped_thread_list_shows_every_kind(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = parse_traceback(fixture.stderr_text())
    total = len(tb.goroutines)
    with Client.spawn() as c:
        stopped = _open(c, fixture, maxThreads=50)
        threads = c.ok("threads")["threads"]
        assert len(threads) == 50, len(threads)
        crashed = tb.goroutines[0].id
        assert threads[0]["id"] == crashed == stopped["body"]["threadId"], threads[0]
        parsed = [NAME.match(t["name"]) for t in threads]
        assert all(parsed), [t["name"] for t, m in zip(threads, parsed, strict=True) if not m]
        ids = [int(m.group(1)) for m in parsed if m]
        assert ids == [t["id"] for t in threads]
        assert ids[1:] == sorted(ids[1:])  # then by id
        # every kind of goroutine the runtime printed is there at least once
        states = {m.group(3) for m in parsed if m}
        assert {g.status for g in tb.goroutines} <= states, (
            sorted({g.status for g in tb.goroutines} - states))
        # "+N more like it" (on each listed goroutine of a kind) counts the
        # goroutines of that kind left out: with the listed ones, every
        # goroutine the runtime printed, in total and per wait state
        more = {(m.group(2), m.group(3)): int((m.group(4) or "0").replace(",", ""))
                for m in parsed if m}
        assert len(threads) + sum(more.values()) == total, (len(threads), more, total)
        counted: Counter[str] = Counter()
        for m in parsed:
            if m:
                counted[m.group(3)] += 1
        for (_, state), n in more.items():
            counted[state] += n
        assert counted == Counter(g.status for g in tb.goroutines)
        # the console says the list is capped and how to reach the rest
        note = "".join(e["body"]["output"] for e in c.events("output"))
        assert f"lists 50 of the {total:,} goroutines" in note, note
        # `goroutine N` on a goroutine left out lists it, and shows it
        listed = set(ids)
        hidden = max(g.id for g in tb.goroutines if g.id not in listed)
        mark = len(c.messages)
        answer = c.ok("evaluate", {"expression": f"goroutine {hidden}", "context": "repl"})
        assert answer["result"].startswith(f"goroutine {hidden} ["), answer
        again = c.event("stopped", start=mark, timeout=30)
        assert again["body"]["threadId"] == hidden and again["body"]["allThreadsStopped"], again
        after = c.ok("threads")["threads"]
        assert hidden in {t["id"] for t in after} and len(after) == 51, len(after)
        assert after[0]["id"] == crashed
        frames = c.ok("stackTrace", {"threadId": hidden, "levels": 20})["stackFrames"]
        want = next(g for g in tb.goroutines if g.id == hidden)
        assert any(want.frames[0].function in f["name"] for f in frames), (want.frames[0], frames)
        # a goroutine already listed: no new stop
        c.ok("evaluate", {"expression": f"goroutine {crashed}", "context": "repl"})
        c.ok("threads")
        assert len(c.events("stopped")) == 2


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_uncapped_by_default(spec: FixtureSpec, fixture: Fixture) -> None:
    tb = parse_traceback(fixture.stderr_text())
    with Client.spawn() as c:
        _open(c, fixture)
        threads = c.ok("threads")["threads"]
        assert sorted(t["id"] for t in threads) == sorted(g.id for g in tb.goroutines)
        assert not any("more like it" in t["name"] for t in threads)


def test_pick_keeps_the_wanted_and_the_order() -> None:
    """The selection alone (a pure function of ids and kinds): the crashing
    goroutine, the wanted one, then the first of each kind while the cap
    allows; kept in their order; what each kind shown leaves out."""
    goids = [9, 1, 2, 3, 4, 5, 6, 7, 8, 10]
    kinds = ["crash"] + ["a" if i % 3 else "b" for i in range(1, 9)] + ["c"]
    shown, shown_kinds, left_out = pick(goids, kinds, 3, wanted={7})
    assert shown == [9, 1, 3, 7]  # the wanted one on top of the cap
    assert shown_kinds == ["crash", "a", "b", "a"]
    assert left_out == {"a": 4, "b": 1}
    shown, _, left_out = pick(goids, kinds, 5)
    assert shown == [9, 1, 2, 3, 10]  # one of each kind, then by id
    assert left_out == {"a": 4, "b": 1}
    assert pick(goids, kinds, 0) == (goids, kinds, {})
    assert pick(goids, kinds, 100) == (goids, kinds, {})


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
@pytest.mark.parametrize("client_id", ["vscode", "harness"])
def test_the_threads_vscode_asks_before_the_stop(spec: FixtureSpec, fixture: Fixture,
                                                 client_id: str) -> None:
    """VS Code asks for the threads right after ``configurationDone``,
    before the stop, and again on ``stopped``: the first answer (sent
    after the stop, before the second) holds at most EARLY_THREADS, picked
    as ``maxThreads`` picks them; the second lists every goroutine the
    runtime printed. Any other client gets every goroutine both times."""
    from dapcore.dap.inspection import EARLY_THREADS

    tb = parse_traceback(fixture.stderr_text())
    every = sorted(g.id for g in tb.goroutines)
    assert len(every) > EARLY_THREADS
    with Client.spawn() as c:
        c.ok("initialize", {**VSCODE_INIT, "clientID": client_id})
        c.ok("launch", _launch(fixture))
        c.event("initialized")
        c.ok("configurationDone")
        early = c.send("threads")  # before the stop, as VS Code sends it
        stopped = c.event("stopped", timeout=60)
        first = c.response(early, timeout=60)
        assert first["success"], first
        after = c.ok("threads")["threads"]
        assert sorted(t["id"] for t in after) == every
        listed = first["body"]["threads"]
        assert listed[0]["id"] == stopped["body"]["threadId"] == tb.goroutines[0].id
        if client_id == "vscode":
            assert len(listed) == EARLY_THREADS, len(listed)
            assert {t["id"] for t in listed} <= set(every)
            assert any("more like it" in t["name"] for t in listed)
            # the first answer came before the second
            order = [m.get("request_seq") for m in c.messages
                     if m.get("type") == "response" and m.get("command") == "threads"]
            assert order[0] == early, order
        else:
            assert [t["id"] for t in listed] == [t["id"] for t in after]
        # no cap notice: the whole list followed
        note = "".join(e["body"]["output"] for e in c.events("output"))
        assert "maxThreads" not in note
