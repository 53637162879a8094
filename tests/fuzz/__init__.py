"""A fuzzer that stays (issue #11): seeded mutations of fixture cores,
executables and DAP messages, run through the real CLI and DAP server.

- :mod:`tests.fuzz.elfmap`: where the interesting bytes of an ELF file are;
- :mod:`tests.fuzz.mutate`: seeded cases (byte edits, truncations, holes,
  special files) and building their files;
- :mod:`tests.fuzz.run`: running ``python -m dapcore`` with a deadline and a
  memory limit, and classifying the result;
- :mod:`tests.fuzz.dap`: hostile DAP messages against a live server;
- :mod:`tests.fuzz.dapwalk`: the DAP server walking mutated cores and
  executables as an editor does, checked against what the CLI reports.

``tests/test_fuzz.py`` runs a bounded set in the test suite;
``benchmarks/fuzz.py`` runs thousands and prints the tables.
"""

from tests.factory.matrix import spec

# The fixtures mutated: Go 1.27 crash, goroutine panic and SIGQUIT, and a Go 1.19 core.
FUZZ_SPECS = (spec("1.27", "default", "nilptr"), spec("1.27", "default", "goroutinepanic"),
              spec("1.27", "default", "sigquit"), spec("1.19", "default", "goroutinepanic"))
SEED = 11  # the test suite's seed

# Where a mutation can leave a value that is wrong but plausible, which nothing
# in the core or the executable can tell from the real one: a pointer moved to
# another valid object of the right kind, a goroutine id no other goroutine
# has, a saved PC moved to another return address, a line number in the
# executable's tables (it has no checksum). A changed output without a warning
# there is counted as such (SILENT) in the figures; the suite lists them and
# fails only when they are many (a lost cross-check). Everywhere else, none.
UNVERIFIABLE = frozenset({"core:g-struct", "core:g-panic", "core:g-stack", "exe:.gopclntab",
                          "exe:.debug_info", "exe:.debug_line", "exe:random"})
