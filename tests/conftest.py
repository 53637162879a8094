"""Test-session plumbing: fixtures (real cores) are built before tests run.

Tests that need a core take a ``FixtureSpec`` parameter named ``spec``
(``@pytest.mark.parametrize("spec", specs, ids=...)``). After collection, every
spec the selected tests use is produced by the factory (cached: a warm run
takes seconds). A fixture that cannot be produced makes its tests fail with
the factory's error; nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable

import pytest

from tests.factory import Fixture, FixtureSpec, Outcome, ensure_all
from tests.factory.notices import listening
from tests.factory.paths import cache_root

_outcomes: dict[str, tuple[Fixture | None, str | None]] = {}
_index_dir: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """The index cache (dapcore.indexcache) of every engine the tests open,
    in-process or in a child (CLI, DAP server): one temporary directory per
    test session, never the user's cache. Shared by the session's tests, so
    every open of a build after its first goes through the cache and is
    checked against the same oracles; ``DAPCORE_TEST_INDEX_CACHE=off`` runs
    the suite without it. The tests of the cache itself use their own
    directories."""
    global _index_dir
    if os.environ.get("DAPCORE_TEST_INDEX_CACHE", "").strip().lower() == "off":
        os.environ["DAPCORE_INDEX_CACHE"] = "off"
        return
    _index_dir = tempfile.mkdtemp(prefix="dapcore-test-index-")
    os.environ["DAPCORE_INDEX_CACHE"] = _index_dir


def pytest_unconfigure(config: pytest.Config) -> None:
    if _index_dir is not None:
        shutil.rmtree(_index_dir, ignore_errors=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    specs: dict[str, FixtureSpec] = {}
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        spec = callspec.params.get("spec") if callspec else None
        if isinstance(spec, FixtureSpec):
            specs[spec.id] = spec
    if not specs:
        return
    jobs = int(os.environ.get("DAPCORE_FIXTURE_JOBS", "2"))
    say = _terminal(session.config)
    say(f"fixture factory: {len(specs)} fixtures (cached ones are reused; building a "
        f"missing one takes seconds, the whole matrix minutes), cache {cache_root()}")
    start = time.monotonic()
    with listening(lambda text: say(f"fixture factory: {text}")):
        outcomes = ensure_all(list(specs.values()), jobs=jobs, progress=_progress(say))
    for out in outcomes:
        _outcomes[out.spec.id] = (out.fixture, out.error)
    actions = Counter(o.produced.action if o.produced else "failed" for o in outcomes)
    if set(actions) != {"cached"}:
        say(f"fixture factory: {len(specs)} fixtures ready in {time.monotonic() - start:.0f} s ("
            + ", ".join(f"{n} {a}" for a, n in sorted(actions.items())) + ")")


def _terminal(config: pytest.Config) -> Callable[[str], None]:
    """A line on the terminal now, even while pytest captures output."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")

    def say(text: str) -> None:
        if reporter is None:
            return
        if capman is None:
            reporter.write_line(text)
            return
        with capman.global_and_fixture_disabled():
            reporter.write_line(text)
            reporter.flush()

    return say


def _progress(say: Callable[[str], None]) -> Callable[[int, int, Outcome], None]:
    """One line per fixture built (or failed, or captured again); fixtures
    only checked (cached before captures were checked) every 25th."""
    def progress(done: int, total: int, out: Outcome) -> None:
        made = out.produced
        if made is not None and made.action == "cached" and not made.warning:
            return
        if (made is not None and made.action == "checked" and not made.warning
                and done % 25 and done != total):
            return
        state = made.describe() if made is not None else f"FAILED ({out.error})"
        say(f"fixture factory: [{done}/{total}] {out.spec.id}: {state}")

    return progress


@pytest.fixture
def fixture(spec: FixtureSpec) -> Fixture:
    """The built fixture for the test's ``spec`` parameter."""
    built, error = _outcomes.get(spec.id, (None, "fixture was not built"))
    if built is None:
        pytest.fail(f"fixture {spec.id} could not be produced:\n{error}", pytrace=False)
    return built


@pytest.fixture(autouse=True, scope="module")
def _release_module_caches(request: pytest.FixtureRequest) -> object:
    """Engines a test module keeps for its own tests (``functools.cache`` of
    ``Engine.open`` by fixture) are let go when the module is done: each
    holds its core's mapped pages and decompressed DWARF, and a suite run
    that kept every module's engines grew past 12 GB of resident memory."""
    yield
    import gc

    for value in list(vars(request.module).values()):
        clear = getattr(value, "cache_clear", None)
        if callable(clear) and hasattr(value, "cache_info"):
            clear()
    gc.collect()
