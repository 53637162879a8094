"""The generated big program (issue #16; ``tests/factory/generate.py``, about
170 MB with DWARF): its crash stack against the runtime's traceback and the
crash frame's variables against what the program wrote (``values.json``).

The fixture is never built by a test run (it takes minutes and about 1 GB
of memory to compile): these tests skip unless it was built with
``python -m tests.factory build -g 1.27 -v default -s bigprog`` (and
``-g 1.19`` for the Go 1.19 one). Nothing here is timed; the figures are
``benchmarks/bench_vs_delve.py``'s.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dapcore.engine import Engine
from dapcore.govalues.children import children
from dapcore.govalues.summary import text_of
from tests.factory import Fixture, cached
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback
from tests.test_engine import assert_same_frames

RELEASES = ("1.27", "1.19")


def _fixture(minor: str) -> Fixture:
    spec = make_spec(minor, "default", "bigprog")
    fx = cached(spec)
    if fx is None:
        pytest.skip(f"{spec.id} is not built (on request only, minutes of compiling): "
                    f"python -m tests.factory build -g {minor} -v default -s bigprog")
    return fx


def _go_text(value: Any) -> str:
    """How dapcore shows a JSON value of values.json (the scalars checked)."""
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


@pytest.mark.parametrize("minor", RELEASES)
def test_crash_stack_matches_the_runtime(minor: str) -> None:
    fx = _fixture(minor)
    rep = Engine.open(fx.binary, fx.core)
    facts = fx.facts()
    tb = parse_traceback(fx.stderr_text())
    g = rep.crashed_goroutine
    assert g is not None and g.goid == facts["crashGoroutine"]
    frames = rep.printed_frames(g)
    printed = tb.goroutine(g.goid)
    assert printed is not None
    assert_same_frames(frames, printed, f"goroutine {g.goid}")
    user = [f.function for f in frames if f.function.startswith("main.")]
    assert user == facts["crashFrames"]


@pytest.mark.parametrize("minor", RELEASES)
def test_crash_frame_variables_are_the_programs(minor: str) -> None:
    """main.settle's variables as the program wrote them: their addresses
    are taken, so each lives in one stack slot that optimized DWARF
    describes at the panic (gdb shows the same)."""
    fx = _fixture(minor)
    rep = Engine.open(fx.binary, fx.core)
    want = json.loads(fx.side_file("values.json").read_text())["main.settle"]
    g = rep.crashed_goroutine
    assert g is not None
    frames = rep.stack(g).frames
    index = next(i for i, f in enumerate(frames) if f.function == "main.settle")
    values = {v.path: v for _, v in rep.frame_values(g.goid, index)}
    assert set(want) <= set(values), sorted(values)
    for name in ("label", "limit", "attempt"):
        assert text_of(values[name]) == _go_text(want[name]), name
    order = values["order"]
    fields = {c.path.rsplit(".", 1)[-1]: c for c in children(order, 0, 100)}
    for field, v in want["order"].items():
        if isinstance(v, list):
            items = children(fields[field], 0, 100)
            assert [text_of(c) for c in items] == [_go_text(x) for x in v], field
        else:
            assert text_of(fields[field]) == _go_text(v), field
