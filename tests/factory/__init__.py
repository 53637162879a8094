"""The fixture factory: real Go programs, crashed for real, cores kept.

Every core dapcore is tested on comes from here. A fixture is one scenario of
the zoo program (``tests/fixtures/zoo``) built with one Go toolchain and one
build variant, run until it dies (or is snapshotted), with its core dump, the
runtime's own traceback (stderr) and the side files the program writes about
itself. Results are cached by a hash of everything that shaped them.

Command line: ``python -m tests.factory --help``.
"""

from tests.factory.matrix import Fixture, FixtureSpec, arm64_matrix, full_matrix, select
from tests.factory.pipeline import (
    Outcome,
    Produced,
    cached,
    drop,
    ensure,
    ensure_all,
    produce,
)

__all__ = ["Fixture", "FixtureSpec", "Outcome", "Produced", "arm64_matrix", "cached", "drop",
           "ensure", "ensure_all", "full_matrix", "produce", "select"]
