"""The zoo's scenarios and how each one is brought to its end."""

from __future__ import annotations

from dataclasses import dataclass

# How the factory ends a scenario's process.
CRASH = "crash"  # the program dies by itself (panic, throw, signal)
SIGQUIT = "sigquit"  # the factory sends SIGQUIT once the program is ready
SNAPSHOT = "snapshot"  # gdb's gcore dumps the live process, then it is killed


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str  # fixture name
    program: str  # "zoo" (tests/fixtures/zoo), "zoocgo" (…/zoo/cgo), "zoobig" (…/zoo/big),
    # "zoomem" (…/zoo/memory), "zoopaging" (…/zoo/paging), "zootriage" (…/zoo/triage),
    # "zoocrashes" (…/zoo/crashes), "demo" (dapcore/demo),
    # "zoogen" (generated: tests/factory/generate.py)
    trigger: str
    args: tuple[str, ...] = ()
    in_matrix: bool = True  # part of the standard matrix (else: on request)
    side_files: tuple[str, ...] = ("facts.json",)
    # The oldest Go 1.N that builds it: the zoo's generic code (values,
    # exprs, partial; the big program's packages) is left out of older
    # builds by build constraints (tests/fixtures/zoo/any_go115.go).
    min_minor: int = 0
    # Written to /proc/self/coredump_filter before the program starts (it is
    # inherited): which kinds of memory the kernel puts in the core. None:
    # the system's (0x33: anonymous private and shared, ELF headers, huge
    # pages).
    coredump_filter: int | None = None
    # the factory writes gdb's backtrace of the core next to it (gdb_bt.txt):
    # the oracle of C frames (tests/test_cframes.py)
    gdb_bt: bool = False
    # Seconds the program may take to end (start, crash, the runtime's
    # traceback of every goroutine and the kernel's core); None: the
    # capture's default (capture.EXIT_TIMEOUT).
    exit_timeout: float | None = None
    # The capture check compares every goroutine's status in the core with
    # the runtime's printout (tests/factory/check.py); False for printouts
    # too big to parse in memory (many-1m's 1.4 GB), which is then recorded
    # as not checked.
    compare_printout: bool = True
    # A narrow matrix: the releases ("1.27") and variants it is built for
    # (empty: all), and the releases of its arm64 builds (empty: those of
    # ``releases``).
    releases: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    arm64_releases: tuple[str, ...] = ()

    @property
    def needs_cgo(self) -> bool:
        return self.program == "zoocgo"

    @property
    def kernel_shape(self) -> bool:
        """The core's shape comes from the Linux kernel's dumper (a
        coredump_filter, MADV_DONTDUMP), which qemu's does not imitate."""
        return self.coredump_filter is not None or self.program == "zoomem"

    @property
    def argv_name(self) -> str:
        """The scenario argument the program takes (fixtures may share one)."""
        return self.name.split("-", 1)[0]


# The releases the triage scenarios are built for: the oldest, the last
# before the 1.20 layouts, the last with classic maps, the newest.
TRIAGE_RELEASES = ("1.15", "1.19", "1.23", "1.27")

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("nilmap", "zoo", CRASH),
        Scenario("nilptr", "zoo", CRASH),
        Scenario("custompanic", "zoo", CRASH),
        Scenario("goroutinepanic", "zoo", CRASH),
        Scenario("index", "zoo", CRASH),
        Scenario("throw", "zoo", CRASH),
        Scenario("deadlock", "zoo", CRASH),
        Scenario("overflow", "zoo", CRASH),
        Scenario("sigquit", "zoo", SIGQUIT),
        Scenario("snapshot", "zoo", SNAPSHOT, side_files=("facts.json", "stack.txt")),
        Scenario("many", "zoo", CRASH, ("10000",)),
        Scenario("values", "zoo", CRASH, min_minor=18, side_files=("facts.json", "values.json")),
        Scenario("exprs", "zoo", CRASH, min_minor=18, side_files=("facts.json", "exprs.json")),
        Scenario("inflight", "zoo", CRASH),
        Scenario("typednil", "zoo", CRASH, side_files=("facts.json", "values.json")),
        Scenario("partial", "zoo", CRASH, min_minor=18, side_files=("facts.json", "values.json")),
        Scenario("cgocrash", "zoocgo", CRASH, gdb_bt=True),
        Scenario("cgocallback", "zoocgo", CRASH),
        Scenario("cgoabort", "zoocgo", CRASH, gdb_bt=True),
        # Benchmark-sized, built on request only (-s many-100k, -s bigpanic).
        Scenario("many-100k", "zoo", CRASH, ("100000",), in_matrix=False),
        Scenario("bigpanic", "zoobig", CRASH, in_matrix=False, min_minor=19),
        # A generated program of ~170–210 MB with DWARF (issue #16's big binary,
        # -s bigprog; never in a test run): hundreds of packages, minutes
        # of compiling. Panics in main.settle; values.json: its locals.
        Scenario("bigprog", "zoogen", CRASH, in_matrix=False, min_minor=19,
                 side_files=("facts.json", "values.json")),
        # 1,000,000 goroutines (issue #16's benchmark, -s many-1m; never in a
        # test run): ~3 GB of stacks, a 1.4 GB traceback on stderr (parsing
        # it for the capture check would take over 8 GB: not compared); the
        # capture takes minutes.
        Scenario("many-1m", "zoo", CRASH, ("1000000",), in_matrix=False, exit_timeout=1800.0,
                 compare_printout=False),
        # What `dapcore demo` bundles (scripts/make_demo.py, -s demo).
        Scenario("demo", "demo", CRASH, in_matrix=False, side_files=()),
        # Cores lacking memory (tests/test_missing_memory.py, on request):
        # regions the process excluded (MADV_DONTDUMP), and a coredump_filter
        # of anonymous private memory only (no ELF header pages) or nothing.
        Scenario("dontdump", "zoomem", CRASH, in_matrix=False),
        Scenario("goroutinepanic-filter01", "zoo", CRASH, in_matrix=False,
                 coredump_filter=0x01),
        Scenario("goroutinepanic-filter00", "zoo", CRASH, in_matrix=False,
                 coredump_filter=0x00),
        # Containers of 100,000 elements for variables paging (issue #16,
        # tests/test_dap_paging.py, benchmarks/bench_paging.py; on request).
        Scenario("bigcontainers", "zoopaging", CRASH, in_matrix=False, min_minor=19),
        # What blocks what (issue #17, tests/test_triage_blocking.py): live
        # processes dumped by SIGQUIT once every goroutine has parked on the
        # channels and sync objects facts.json describes. A narrow matrix.
        *(Scenario(name, "zootriage", SIGQUIT, releases=TRIAGE_RELEASES, variants=("default",),
                   arm64_releases=("1.27",))
          for name in ("leak", "mutexpile", "wgwait", "deadlockcycle")),
        # Crash signatures (issue #17, tests/test_report.py, tests/test_triage_cli.py;
        # on request): one crash site reached with goroutine ids, addresses and
        # an index drawn from the seed, and one other crash.
        *(Scenario(f"crashvary-{n}", "zoocrashes", CRASH, (str(n),), in_matrix=False)
          for n in (1, 2, 3)),
        Scenario("crashother", "zoocrashes", CRASH, in_matrix=False),
    )
}
