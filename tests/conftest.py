"""Test-session plumbing: fixtures (real cores) are built before tests run.

Tests that need a core take a ``FixtureSpec`` parameter named ``spec``
(``@pytest.mark.parametrize("spec", specs, ids=...)``). After collection, every
spec the selected tests use is produced by the factory (cached: a warm run
takes seconds). A fixture that cannot be produced makes its tests fail with
the factory's error; nothing is skipped.
"""

from __future__ import annotations

import os

import pytest

from tests.factory import Fixture, FixtureSpec, ensure_all

_outcomes: dict[str, tuple[Fixture | None, str | None]] = {}


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
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(f"fixture factory: {len(specs)} fixtures (cached ones are reused)")
    for out in ensure_all(list(specs.values()), jobs=jobs):
        _outcomes[out.spec.id] = (out.fixture, out.error)


@pytest.fixture
def fixture(spec: FixtureSpec) -> Fixture:
    """The built fixture for the test's ``spec`` parameter."""
    built, error = _outcomes.get(spec.id, (None, "fixture was not built"))
    if built is None:
        pytest.fail(f"fixture {spec.id} could not be produced:\n{error}", pytrace=False)
    return built
