"""``python -m tests.factory``: build, list and drop fixtures."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time

from tests.factory.capture import core_method
from tests.factory.matrix import ARCHES, select
from tests.factory.notices import listening
from tests.factory.paths import cache_root
from tests.factory.pipeline import drop, ensure_all
from tests.factory.scenarios import SCENARIOS
from tests.factory.toolchains import (
    TOOLCHAINS,
    ToolchainError,
    ensure,
    ensure_cross_binutils,
    ensure_cross_gcc,
    ensure_qemu,
)
from tests.factory.variants import VARIANTS


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--arch", "-a", action="append", choices=ARCHES,
                   help="GOARCH (repeatable); amd64 unless named, except with no filter at "
                        "all, which means both matrices")
    p.add_argument("--go", "-g", action="append", help="Go release, e.g. 1.27 (repeatable)")
    p.add_argument("--variant", "-v", action="append", choices=sorted(VARIANTS))
    p.add_argument("--scenario", "-s", action="append", choices=sorted(SCENARIOS))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.factory", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build fixtures (the standard matrix without filters)")
    _filters(b)
    b.add_argument("--jobs", "-j", type=int, default=2)
    b.add_argument("--core-method", choices=["kernel", "gdb"], default=None,
                   help="how crash cores are written (default: kernel when core_pattern allows)")
    b.add_argument("--force", action="store_true",
                   help="capture the selected fixtures again even when cached (the compiled "
                        "binaries are reused)")
    d = sub.add_parser("drop", help="delete cached fixtures (a filter, or --all, is required)")
    _filters(d)
    d.add_argument("--all", action="store_true", help="every fixture of the standard matrix")
    ls = sub.add_parser("list", help="list fixtures and whether they are built")
    _filters(ls)
    ls.add_argument("--json", action="store_true")
    sub.add_parser("toolchains", help="install and check every Go toolchain, qemu and the C cross "
                   "compiler and binutils (arm64)")
    sub.add_parser("du", help="disk used by the cache (cores are sparse)")
    args = ap.parse_args(argv)

    if args.cmd == "toolchains":
        failed = 0
        for tc in TOOLCHAINS:
            try:
                ensure(tc)
                print(f"go{tc.version:<8} {tc.goroot}")
            except ToolchainError as exc:
                failed += 1
                print(f"go{tc.version:<8} FAILED: {exc}")
        try:
            q = ensure_qemu()
            print(f"{'qemu':<10} {q.binary} ({', '.join(q.version.splitlines())})")
        except ToolchainError as exc:
            failed += 1
            print(f"{'qemu':<10} FAILED: {exc}")
        try:
            print(f"{'arm64 cc':<10} {ensure_cross_gcc()}")
            print(f"{'objcopy':<10} {ensure_cross_binutils().objcopy} (arm64 split fixtures)")
        except ToolchainError as exc:
            failed += 1
            print(f"{'arm64 cc':<10} FAILED: {exc}")
        return 1 if failed else 0

    if args.cmd == "du":
        subprocess.run(["du", "-sh", *(str(p) for p in sorted(cache_root().iterdir()))])
        return 0

    if args.cmd == "drop" and not (args.go or args.variant or args.scenario or args.arch
                                   or args.all):
        ap.error("drop: name fixtures with --arch/--go/--variant/--scenario, or pass --all")
    specs = select(args.go, args.variant, args.scenario, args.arch)
    if args.cmd == "drop":
        for s in specs:
            print(f"{'dropped' if drop(s) else 'not cached'}  {s.id}")
        return 0
    if args.cmd == "list":
        rows = [{"id": s.id, "directory": str(s.directory),
                 "built": (s.directory / "meta.json").exists()} for s in specs]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for r in rows:
                print(f"{'built' if r['built'] else '-----'}  {r['id']:<42} {r['directory']}")
        return 0

    how = args.core_method or core_method()
    if any(s.arch != "amd64" for s in specs):
        how += " (arm64: qemu)"
    print(f"{len(specs)} fixtures, cache {cache_root()}, cores by {how}", flush=True)
    start = time.monotonic()
    with listening(lambda text: print(f"  {text}", flush=True)):
        outcomes = ensure_all(specs, jobs=args.jobs, method=args.core_method, progress=True,
                              force=args.force)
    failed = [o for o in outcomes if o.error]
    for o in failed:
        print(f"\nFAILED {o.spec.id}\n{o.error}", file=sys.stderr)
    recaptured = [o for o in outcomes if o.produced and o.produced.recaptures]
    if recaptured:
        print(f"{len(recaptured)} captured again because their printout and core were not one "
              f"instant: {', '.join(o.spec.id for o in recaptured)}")
    for o in outcomes:
        if o.produced and o.produced.warning:
            print(f"\nWARNING {o.spec.id}: {o.produced.warning}", file=sys.stderr)
    print(f"{len(outcomes) - len(failed)} built or cached, {len(failed)} failed, "
          f"{time.monotonic() - start:.1f} s")
    if shutil.which("du"):
        subprocess.run(["du", "-sh", str(cache_root() / "fixtures")])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
