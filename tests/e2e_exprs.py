"""What the real-client expression tests (tests/test_e2e_nvim.py,
tests/test_e2e_vscode.py) compare with: the values the exprs fixture's Go
program computed itself (``exprs.json``, tests/fixtures/zoo/scenario_exprs.go),
as dapcore displays them (Delve's format)."""

from __future__ import annotations

import json
from typing import Any

from tests.factory import Fixture

CALLS_REFUSED = "function calls are not possible on a core file"

# What the program wrote for an expression typed in another (equivalent) form.
SAME_AS = {'(*"struct { A int; B string }")(uintptr(&exAB)).B':
           '(*"struct { A int; B string }")(unsafe.Pointer(&exAB)).B'}


def go_quote(s: str) -> str:
    """``strconv.Quote`` for the strings of the exprs fixture (ASCII)."""
    named = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t",
             "\v": r"\v", "\\": "\\\\", '"': '\\"'}
    return '"' + "".join(named.get(c) or (c if " " <= c <= "~" else f"\\x{ord(c):02x}")
                         for c in s) + '"'


def expected_display(entry: dict[str, Any]) -> str | None:
    """How dapcore shows the value the program wrote (Delve's format), where
    the encoding says it exactly: numbers, strings, the program's own text."""
    if entry.get("text"):
        return str(entry["text"])
    value = entry.get("value")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if entry.get("type") in ("float64", "float32") and isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"len", "string"}:
        return go_quote(value["string"])
    return None


def exprs_entries(fixture: Fixture) -> dict[str, dict[str, Any]]:
    doc = json.loads(fixture.side_file("exprs.json").read_text())
    assert doc["function"] == "main.exprsFrame"
    return {e["expr"]: e for e in doc["exprs"]}


def check_answer(expr: str, result: str, typ: str | None, entries: dict[str, dict[str, Any]],
                 why: str) -> None:
    """One evaluated expression's result text (and type) against exprs.json."""
    entry = entries[SAME_AS.get(expr, expr)]
    if typ is not None:
        assert typ == entry["type"], f"{expr}: type {typ!r}, want {entry['type']!r}" + why
    want = expected_display(entry)
    if want is not None:
        assert result == want, f"{expr}: {result!r}, want {want!r}" + why
    elif entry["type"] == "time.Time":
        # Time.String(): exprs.json has the RFC 3339 form
        date, clock = entry["value"]["time"].removesuffix("Z").split("T")
        assert entry["value"]["location"] == "UTC", why
        assert result == f"{date} {clock} +0000 UTC", f"{expr}: {result!r}" + why
    else:  # a struct: its type, then its fields
        fields = entry["value"]["fields"]
        assert result.startswith(entry["type"] + " {"), f"{expr}: {result!r}" + why
        for f in fields:
            if isinstance(f["value"], int):
                assert f"{f['name']}: {f['value']}" in result, f"{expr}: {result!r}" + why
            else:
                for g in f["value"]["fields"]:
                    assert f"{g['name']}: {g['value']}" in result, f"{expr}: {result!r}" + why
