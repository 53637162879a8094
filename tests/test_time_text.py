"""``time.Time`` text for every instant a Go time can hold, against Go itself.

dapcore prints a ``time.Time`` as ``Time.String()`` and
``Format(time.RFC3339Nano)`` do. Python's ``datetime`` stops at year 9999
(a year-300000 time once crashed ``print`` with ``OverflowError``), so the
calendar is dapcore's own arithmetic: this test runs a Go program printing
both texts for instants from year -300000 to 300000 (leap days, the epoch's
neighbours, negative Unix times with nanoseconds, zone offsets either side)
and compares each line with :class:`dapcore.govalues.special.GoTime`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from dapcore.govalues.special import GoTime
from tests.factory.toolchains import TOOLCHAINS, go_env

# (Unix seconds, nanoseconds, zone offset in seconds east of UTC)
INSTANTS = [
    (0, 0, 0), (-1, 999_999_999, 0), (-1, 1, 3600), (951_782_400, 0, 0),  # 2000-02-29
    (1_709_212_455, 123_456_789, 5 * 3600 + 30 * 60),
    (253_402_300_799, 0, 0), (253_402_300_800, 0, 0),  # 9999-12-31T23:59:59, year 10000
    (253_402_300_799, 0, 3600),  # past year 9999 only in the zone
    (-62_135_596_800, 0, 0), (-62_135_596_801, 5, 0),  # 0001-01-01, year 0
    (-62_167_219_200, 0, -7 * 3600),  # 0000-01-01 in UTC, year -1 west of it
    (9_467_107_200_000, 0, 0), (-9_529_199_999_999, 42, -(9 * 3600 + 30 * 60)),
    (4_107_542_400 * 1000, 1, 14 * 3600),
]

PROGRAM = """package main

import (
\t"encoding/json"
\t"fmt"
\t"os"
\t"time"
)

func main() {
\tvar in [][3]int64
\tif err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
\t\tpanic(err)
\t}
\tfor _, x := range in {
\t\tt := time.Unix(x[0], x[1]).In(time.FixedZone("ZN", int(x[2])))
\t\tfmt.Printf("%s\\t%s\\n", t.String(), t.Format(time.RFC3339Nano))
\t}
}
"""


def test_time_text_equals_go(tmp_path: Path) -> None:
    tc = TOOLCHAINS[-1]
    (tmp_path / "main.go").write_text(PROGRAM)
    (tmp_path / "go.mod").write_text("module timetext\n\ngo 1.19\n")
    out = subprocess.run([str(tc.go), "run", "."], cwd=tmp_path, env=go_env(tc), check=True,
                         input=json.dumps(INSTANTS), capture_output=True, text=True).stdout
    lines = out.splitlines()
    assert len(lines) == len(INSTANTS)
    for (sec, nsec, offset), line in zip(INSTANTS, lines, strict=True):
        t = GoTime(sec, nsec, False, "ZN", "ZN", offset)
        assert f"{t.string()}\t{t.rfc3339nano()}" == line, (sec, nsec, offset)
