"""Paging the children of big containers through DAP ``variables``
(``start``, ``count``, ``filter``; issue #16), on the ``bigcontainers``
core (``tests/fixtures/zoo/paging``: slices, an array, maps and a channel of
about 100,000 elements, held as package variables and as the arguments of
``main.crashHolding``), on the bucket maps of Go 1.19 and 1.23 (with a map
caught in the middle of a growth) and the Swiss tables of Go 1.24 and 1.27.

Each container is listed whole, in order, in the server's largest pages
(the map caught growing: each of its keys once);
pages asked in a fresh session at random offsets, of random sizes, out of
order, must be exactly the matching slices of that listing; the listing
must hold what the program wrote in ``facts.json`` (its length, and every
997th entry with its value). Not timed: ``benchmarks/bench_paging.py``
measures the cost of a page.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.dap.harness import Client, start_session
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

RELEASES = [make_spec(go, "default", "bigcontainers") for go in ("1.19", "1.23", "1.24", "1.27")]
EDGES = [RELEASES[0], RELEASES[-1]]
# the containers that page (the channel does not: its queue is one page)
PAGED = ("bigInts", "bigRecs", "bigBytes", "byName", "byID", "byKey", "growing")
# main.crashHolding's arguments the optimized build's DWARF locates at the
# call to main.boom, and the package variable each one holds (recs, names,
# ids and keys are "in register …, not saved in this frame" on every release)
ARGS = {"ints": "bigInts", "grow": "growing"}
MAX_VARIABLES = 5_000  # dapcore.dap.variables.MAX_VARIABLES: the largest page

Entry = tuple[str, str, str | None, bool]  # name, value, evaluateName, expandable


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


class Session:
    """A session stopped on the core, its frame main.crashHolding."""

    def __init__(self, c: Client, fx: Fixture) -> None:
        self.c = c
        start_session(c, {"type": "gocore", "request": "launch", "program": str(fx.binary),
                          "coreFilePath": str(fx.core)})
        tid = c.event("stopped")["body"]["threadId"]
        frames = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        self.frame = next(f for f in frames if f["name"].startswith("main.crashHolding"))

    def evaluate(self, expression: str) -> dict[str, Any]:
        return self.c.ok("evaluate", {"expression": expression, "frameId": self.frame["id"],
                                      "context": "watch"})

    def request(self, ref: int, **args: Any) -> dict[str, Any]:
        # arguments of the wrong type are sent too (not checked against the schema)
        seq = self.c.send("variables", {"variablesReference": ref, **args}, check_schema=False)
        return self.c.response(seq)

    def page(self, ref: int, **args: Any) -> list[Entry]:
        r = self.request(ref, **args)
        assert r["success"], r.get("message")
        # kept short: the client keeps every message, and a listing is 100,000 entries
        vs = r["body"].pop("variables")
        return [(v["name"], v["value"], v.get("evaluateName"), v["variablesReference"] > 0)
                for v in vs]

    def listing(self, ref: int, n: int) -> list[Entry]:
        out: list[Entry] = []
        for start in range(0, n, MAX_VARIABLES):
            out += self.page(ref, filter="indexed", start=start, count=MAX_VARIABLES)
        return out


def _go_float(x: float) -> str:
    """The quarter-integers main.Rec.Score holds, as Go prints them."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _check_facts(name: str, entries: list[Entry], facts: dict[str, Any]) -> None:
    """The entries the program sampled, with their values, in ``entries``."""
    by_name = {e[0]: e for e in entries}
    assert len(by_name) == len(entries), f"{name}: names repeat"
    sample = facts["growingSample" if name == "growing" else name]
    assert len(sample) >= 100
    for key, want in sample.items():
        if name == "bigInts":
            assert by_name[f"[{key}]"][1] == str(want)
        elif name == "bigBytes":
            assert by_name[f"[{key}]"][1].split()[0] == str(want)
        elif name == "bigRecs":
            assert by_name[f"[{key}]"][1] == (
                f'main.Rec {{ID: {want["ID"]}, Name: "{want["Name"]}", '
                f'Score: {_go_float(want["Score"])}}}')
        elif name == "byName":
            assert by_name[f'["{key}"]'][1] == str(want)
            assert by_name[f'["{key}"]'][2] == f'main.byName["{key}"]'
        elif name == "byID":
            e = by_name[f"[{key}]"]
            assert e[1].startswith("(*main.Node)(0x") and e[1].endswith(
                f'{{ID: {want["ID"]}, Label: "{want["Label"]}"}}'), e
            assert e[3], e  # expandable
        elif name == "byKey":
            e = by_name[f'[main.Key {{A: {key}, B: "s{key}"}}]']
            assert e[1] == str(want)
            assert e[2] is not None and e[2].startswith("main.byKey[main.Key"), e
        elif name == "growing":
            assert by_name[f"[{key}]"][1] == str(want)


@pytest.mark.parametrize("spec", RELEASES, ids=_ids(RELEASES))
def test_pages_in_any_order_are_slices_of_the_listing(spec: FixtureSpec,
                                                      fixture: Fixture) -> None:
    """On the bucket maps (Go ≤1.23) main.growing is in the middle of an
    incremental growth: entries in the new buckets and in old ones not yet
    evacuated, each listed once."""
    facts = fixture.facts()
    lengths = facts["lengths"]
    state = facts["growing"]
    assert state["inProgress"] == (state["impl"] == "classic"), state
    listings: dict[str, list[Entry]] = {}
    with Client.spawn(validate_messages=False) as c:  # 100,000s of variables: not validated
        s = Session(c, fixture)
        for name in PAGED:
            ev = s.evaluate(f"main.{name}")
            assert ev["indexedVariables"] == lengths[name], (name, ev)
            assert "namedVariables" not in ev
            listing = s.listing(ev["variablesReference"], lengths[name])
            assert len(listing) == lengths[name], name
            if name in ("bigInts", "bigRecs", "bigBytes"):
                assert [e[0] for e in listing] == [f"[{i}]" for i in range(len(listing))]
            if name == "growing":  # every key the program stored, once
                assert sorted(int(e[0].strip("[]")) for e in listing) == list(range(len(listing)))
            _check_facts(name, listing, facts)
            listings[name] = listing
            for e in listing[::9973]:  # an entry's evaluateName gives the entry
                assert e[2] is not None, (name, e)
                assert s.evaluate(e[2])["result"] == e[1], (name, e)
    rng = random.Random(f"{spec.id} 16")
    with Client.spawn() as c:  # a fresh session: nothing read yet, pages out of order
        s = Session(c, fixture)
        refs = {n: s.evaluate(f"main.{n}")["variablesReference"] for n in PAGED}
        for _ in range(12):
            for name in PAGED:
                n = lengths[name]
                start = rng.randrange(n)
                count = rng.choice((1, 7, 100, 999, 1000))
                got = s.page(refs[name], filter="indexed", start=start, count=count)
                assert got == listings[name][start:start + count], (name, start, count)
        # the arguments: the same containers, listed in the same order
        args = s.c.ok("scopes", {"frameId": s.frame["id"]})["scopes"][0]
        local = {v["name"]: v for v in s.c.ok("variables", {
            "variablesReference": args["variablesReference"]})["variables"]}
        for arg, name in ARGS.items():
            v = local[arg]
            assert v["indexedVariables"] == lengths[name], v
            start = rng.randrange(lengths[name])
            got = s.page(v["variablesReference"], filter="indexed", start=start, count=500)
            assert [e[:2] for e in got] == [e[:2] for e in listings[name][start:start + 500]]
        assert not c.problems, c.problems


@pytest.mark.parametrize("spec", EDGES, ids=_ids(EDGES))
def test_pages_past_the_end_and_absurd_arguments(spec: FixtureSpec, fixture: Fixture) -> None:
    lengths = fixture.facts()["lengths"]
    with Client.spawn() as c:
        s = Session(c, fixture)
        for name in PAGED:
            n = lengths[name]
            ref = s.evaluate(f"main.{name}")["variablesReference"]
            tail = s.page(ref, filter="indexed", start=n - 3, count=1000)
            assert len(tail) == 3, name
            assert s.page(ref, filter="indexed", start=n, count=10) == []
            assert s.page(ref, filter="indexed", start=2**40, count=2**31 - 1) == []
            assert s.page(ref, filter="indexed", start=n - 10, count=2**31 - 1)[:10] == \
                s.page(ref, filter="indexed", start=n - 10, count=10)
            assert s.page(ref, filter="named") == []
            for bad in ({"start": -1}, {"count": -5}, {"start": "ten"}, {"count": 1.5}):
                r = s.request(ref, filter="indexed", **{"start": 0, "count": 10, **bad})
                assert not r["success"] and "argument" in r["message"], (bad, r)
            # the largest page a response holds, then a note saying where to go on
            big = s.page(ref, start=0, count=n)
            assert len(big) == MAX_VARIABLES + 1 and big[-1][0] == "…", big[-1]
            assert f"start={MAX_VARIABLES}" in big[-1][1]
        # a window of a map (Delve's m[lo:hi]) pages as the same entries
        ref = s.evaluate("main.byKey")["variablesReference"]
        whole = s.page(ref, filter="indexed", start=lengths["byKey"] - 50, count=50)
        w = s.evaluate(f"main.byKey[{lengths['byKey'] - 50}:]")
        assert w["indexedVariables"] == 50
        assert [e[:2] for e in s.page(w["variablesReference"], filter="indexed", start=40,
                                      count=1000)] == [e[:2] for e in whole[40:]]
        assert not c.problems, c.problems


@pytest.mark.parametrize("spec", EDGES, ids=_ids(EDGES))
def test_clients_are_told_to_page(spec: FixtureSpec, fixture: Fixture) -> None:
    """Every big container says how many children it has (``indexedVariables``,
    which makes VS Code ask for ranges of them), in the Globals scope and as
    arguments; a client that does not page gets one page of
    ``maxArrayValues``; the channel shows its first queued elements in
    receive order, then its state."""
    facts = fixture.facts()
    lengths = facts["lengths"]
    with Client.spawn() as c:
        s = Session(c, fixture)
        scopes = c.ok("scopes", {"frameId": s.frame["id"]})["scopes"]
        globals_ = next(x for x in scopes if x["name"].startswith("Globals"))
        shown = {v["name"]: v for v in c.ok("variables", {
            "variablesReference": globals_["variablesReference"]})["variables"]}
        for name in PAGED:
            v = shown[f"main.{name}"] if f"main.{name}" in shown else shown[name]
            assert v["indexedVariables"] == lengths[name], v
            assert len(s.page(v["variablesReference"])) == 100  # maxArrayValues
        q = s.evaluate("main.queue")
        assert q["result"] == f"chan int64 {lengths['queue']}/{lengths['queue']}"
        kids = s.page(q["variablesReference"])
        assert [e[1] for e in kids[:2]] == [str(x) for x in facts["queueFirst"]]
        assert [e[0] for e in kids[100:]] == ["len", "cap", "closed", "waiting senders",
                                              "waiting receivers"]
        text = s.evaluate("main.bigText")
        assert text["result"].startswith('"' + facts["bigTextPrefix"])
        assert text["result"].endswith(f"... (len: {lengths['bigText']})")
        assert not c.problems, c.problems
