"""``dapcore goroutines|bt|crash`` on real cores: text and the JSON shape."""

from __future__ import annotations

import json

import pytest

from dapcore.cli import main
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback

SPECS = [make_spec("1.27", "default", "goroutinepanic"), make_spec("1.19", "default", "nilptr"),
         make_spec("1.23", "pie", "custompanic")]
ids = [s.id for s in SPECS]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_goroutines_json_shape(spec: FixtureSpec, fixture: Fixture,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "goroutines", str(fixture.binary), str(fixture.core), "--json")
    assert code == 0
    doc = json.loads(out)
    tb = parse_traceback(fixture.stderr_text())
    assert {g["id"] for g in doc["goroutines"]} == {g.id for g in tb.goroutines}
    keys = {"id", "status", "waitReason", "thread", "crashed", "system", "labels",
            "startFunction", "createdBy"}
    for g in doc["goroutines"]:
        assert keys <= set(g)
    crashed = [g for g in doc["goroutines"] if g["crashed"]]
    assert [g["id"] for g in crashed] == [fixture.facts()["crashGoroutine"]]
    assert crashed[0]["thread"] is not None
    assert doc["crash"]["kind"] == "panic"
    assert doc["crash"]["goroutine"] == crashed[0]["id"]
    assert doc["crash"]["message"].startswith(fixture.facts()["crashMessage"])


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_bt_json_frames(spec: FixtureSpec, fixture: Fixture,
                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bt", str(fixture.binary), str(fixture.core), "--json")
    assert code == 0
    [g] = json.loads(out)["goroutines"]
    assert g["crashed"]
    for fr in g["frames"]:
        assert {"function", "file", "line", "pc", "sp", "inlined"} <= set(fr)
    assert fixture.facts()["crashFunction"] in [f["function"] for f in g["frames"]]


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_crash_text_is_the_runtimes_header(spec: FixtureSpec, fixture: Fixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "crash", str(fixture.binary), str(fixture.core))
    assert code == 0
    tb = parse_traceback(out)
    theirs = parse_traceback(fixture.stderr_text())
    assert [p.message for p in tb.panics] == [p.message for p in theirs.panics]
    assert tb.goroutines[0].id == theirs.goroutines[0].id
    assert tb.goroutines[0].functions() == theirs.goroutines[0].functions()


def test_labels_and_locked_thread(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.factory import ensure

    for go in ("1.19", "1.27"):  # classic map labels, then the sorted slice
        fx = ensure(make_spec(go, "default", "goroutinepanic"))
        code, out, _ = run(capsys, "goroutines", str(fx.binary), str(fx.core), "--json")
        assert code == 0
        by_id = {g["id"]: g for g in json.loads(out)["goroutines"]}
        facts = fx.facts()
        for goid, labels in facts["labels"].items():
            assert by_id[int(goid)]["labels"] == labels
        assert by_id[facts["lockedOSThread"]]["lockedToThread"]
        unlabeled = [g for g in by_id.values() if g["labels"]]
        assert len(unlabeled) == len(facts["labels"])
        system = {g["id"] for g in by_id.values() if g["system"]}
        assert facts["goroutines"]["main"] not in system
        assert not system & set(facts["goroutines"].values())
        assert system, "GC and finalizer goroutines are system goroutines"


def test_json_lists_panics_in_flight(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.factory import ensure

    fx = ensure(make_spec("1.27", "default", "inflight"))
    code, out, _ = run(capsys, "goroutines", str(fx.binary), str(fx.core), "--json")
    assert code == 0
    by_id = {g["id"]: g for g in json.loads(out)["goroutines"]}
    for goid, message in fx.facts()["inflightPanics"].items():
        assert by_id[int(goid)]["panics"] == [message]
    assert by_id[1]["panics"] == ["inflight: main gives up"]
