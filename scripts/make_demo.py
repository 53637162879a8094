"""Regenerate the demo bundled in ``dapcore/demo/`` from the fixture factory.

    python scripts/make_demo.py

The demo is its own small Go program, ``dapcore/demo/main.go`` (module
``demo``), so changes to the zoo never touch it. This builds (or takes from
the cache) the fixture ``go1.27-trimpath-demo``, then writes ``demo.xz``
(the executable, not stripped: values need DWARF), ``core.xz`` (its core)
and ``demo.json`` (the spec, Go version, build ID, the sources and the
source prefix the binary records, which ``dapcore demo`` maps with
``substitutePath``). The ``-trimpath`` build records ``demo/…`` paths, so
the binary is the same whichever checkout builds it, and its build ID can be
checked anywhere.
"""

from __future__ import annotations

import json
import lzma
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import factory  # noqa: E402
from tests.factory import matrix  # noqa: E402

SPEC = ("1.27", "trimpath", "demo")
SOURCES = ("main.go",)
OUT = ROOT / "dapcore" / "demo"


def compress(src: Path, dst: Path) -> int:
    data = src.read_bytes()
    packed = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    dst.write_bytes(packed)
    return len(packed)


def main() -> int:
    fx = factory.ensure(matrix.spec(*SPEC))
    OUT.mkdir(exist_ok=True)
    sizes = {
        "demo.xz": compress(fx.binary, OUT / "demo.xz"),
        "core.xz": compress(fx.core, OUT / "core.xz"),
    }
    manifest = {
        "fixture": fx.spec.id,
        "spec": {"go": SPEC[0], "variant": SPEC[1], "scenario": SPEC[2]},
        "goVersion": fx.meta["goVersion"],
        "buildID": fx.meta["buildID"],
        "sourceDir": "demo",  # -trimpath: module-relative paths
        "sources": list(SOURCES),
        "binary": "demo.xz",
        "core": "core.xz",
    }
    (OUT / "demo.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(sizes.values())
    print(f"{fx.spec.id}: demo.xz {sizes['demo.xz']} B, core.xz {sizes['core.xz']} B, "
          f"together {total / 1e6:.2f} MB")
    if total >= 5_000_000:
        print("too large: the demo must stay under 5 MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
