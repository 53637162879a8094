"""``dapcore report`` on real cores (issue #17): the crash, the stack and
the process checked against the runtime's traceback (stderr.txt) and what
the programs say about themselves (facts.json); the JSON against its
schema; Markdown's structure; redaction against every string the program
put in its crash frame; signatures across crashes of one site."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from dapcore.cli import main
from dapcore.report.jsonout import schema
from tests.factory import Fixture, FixtureSpec, ensure
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback
from tests.oracle.traceback import Frame as OracleFrame

RELEASES = ("1.15", "1.19", "1.27")
SPECS = [make_spec(go, "default", s) for go in RELEASES for s in ("crashvary-1", "crashother")]
ids = [s.id for s in SPECS]
FORMATS = ("text", "markdown", "json")


def report(capsys: pytest.CaptureFixture[str], fx: Fixture, *extra: str) -> str:
    code = main(["report", str(fx.binary), str(fx.core), *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def sections(capsys: pytest.CaptureFixture[str], fx: Fixture, *extra: str) -> dict:
    doc = json.loads(report(capsys, fx, "--format", "json", *extra))
    return {k: v["data"] for k, v in doc["sections"].items()}


@pytest.mark.parametrize("redact", [False, True], ids=["plain", "redacted"])
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_json_follows_its_schema(spec: FixtureSpec, fixture: Fixture, redact: bool,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(report(capsys, fixture, "--format", "json", *(["--redact"] * redact)))
    jsonschema.validate(doc, schema())
    assert doc["schemaVersion"] == 1 and doc["redacted"] is redact
    assert "secrets included" in doc["warning"]
    for key in ("groups", "leaks", "blocking"):  # the triage analyses' (providers.py)
        assert doc["sections"][key]["available"] is True


def test_schema_rejects_a_report_without_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    """A control: the schema is not so loose that anything passes."""
    fx = ensure(SPECS[0])
    doc = json.loads(report(capsys, fx, "--format", "json"))
    del doc["schemaVersion"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema())


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_crash_and_stack_are_the_runtimes(spec: FixtureSpec, fixture: Fixture,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = sections(capsys, fixture)
    facts = fixture.facts()
    tb = parse_traceback(fixture.stderr_text())
    assert data["crash"]["message"] == "\n".join(f"panic: {p.message}" for p in tb.panics)
    assert data["crash"]["message"] == facts["crashMessage"]
    g = tb.goroutines[0]
    assert data["stack"]["goroutine"] == g.id == facts["crashGoroutine"]
    theirs = [f for f in g.frames if isinstance(f, OracleFrame) and f.function.startswith("main.")]
    ours = data["stack"]["userFrames"]
    assert [f["function"] for f in ours] == [f.function for f in theirs]
    assert [(f["file"], f["line"]) for f in ours] == [(f.file, f.line) for f in theirs]
    # the source line is the file's own line (the fixture's sources are in the cache)
    for f in ours:
        assert f["source"] == Path(f["file"]).read_text().splitlines()[f["line"] - 1].rstrip()
    assert ours[0]["function"] == facts["crashFunction"]
    assert data["locals"]["function"] == facts["crashFunction"]
    assert data["signature"]["functions"] == [f["function"] for f in ours]


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_process_facts(spec: FixtureSpec, fixture: Fixture,
                       capsys: pytest.CaptureFixture[str]) -> None:
    p = sections(capsys, fixture)["process"]
    facts = fixture.facts()
    assert p["pid"] == facts["pid"]
    assert p["commandLine"][1:] == [facts["scenario"], *facts["args"]]
    assert p["commandLineSource"] == "os.Args"
    assert p["psargs"].split(" ")[1:] == p["commandLine"][1:]
    assert p["execfn"] == p["commandLine"][0]
    assert p["gomaxprocs"]["value"] == facts["gomaxprocs"]
    assert p["numGC"]["value"] == facts["numGC"]  # the collector was off from there on
    heap = p["heapInUse"]["value"]
    assert facts["heapInuse"] * 0.5 <= heap <= facts["heapInuse"] * 2 + (1 << 20)
    tb = parse_traceback(fixture.stderr_text())
    assert p["ps"]["value"] == facts["gomaxprocs"]
    assert p["ms"]["value"] == p["threads"]  # every M has its thread in a crash core
    assert p["signal"] == "SIGABRT"  # GOTRACEBACK=crash ends in abort()
    assert "no resource limits" in p["limits"]
    gs = sections(capsys, fixture)["goroutines"]
    assert gs["count"] == len(tb.goroutines)
    assert sum(s["count"] for s in gs["byStatus"]) == gs["count"]


def _secrets(fx: Fixture) -> list[str]:
    secrets = fx.facts()["secrets"]
    assert secrets
    return secrets


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_redacted_report_quotes_no_string_of_the_core(spec: FixtureSpec, fixture: Fixture,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    secrets = _secrets(fixture)
    plain = report(capsys, fixture, "--format", "markdown")
    # the control: unredacted, the crash frame's values are quoted
    assert any(s in plain for s in secrets), plain
    for fmt in FORMATS:
        text = report(capsys, fixture, "--format", fmt, "--redact")
        for s in secrets:
            assert s not in text, (fmt, s)
    p = sections(capsys, fixture, "--redact")["process"]
    assert p["commandLine"][1:] == [f"string(len {len(a)})" for a in
                                    [fixture.facts()["scenario"], *fixture.facts()["args"]]]


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_markdown_structure(spec: FixtureSpec, fixture: Fixture,
                            capsys: pytest.CaptureFixture[str]) -> None:
    md = report(capsys, fixture, "--format", "markdown")
    doc = json.loads(report(capsys, fixture, "--format", "json"))
    lines = md.splitlines()
    assert lines[0].startswith("# Go crash report `")
    assert lines[2].startswith("> **Warning.**")
    headings = [line[3:] for line in lines if line.startswith("## ")]
    assert headings == [s["title"] for s in doc["sections"].values()]
    fences = [line for line in lines if line.startswith("```")]
    assert len(fences) % 2 == 0 and fences
    in_code = False
    table: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not in_code and line.startswith("|"):
            table.append(line)
            continue
        if table:  # every row has the header's columns, the second row is the rule
            cols = {len(re.split(r"(?<!\\)\|", row)) for row in table}
            assert len(cols) == 1, table
            assert set(table[1]) <= {"|", "-"}
            table = []
    assert "goroutine" in md and doc["sections"]["signature"]["data"]["hash"] in lines[0]


def test_reports_do_not_depend_on_where_the_files_are(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The same core and executable in two places: the reports are equal
    once each place's paths are replaced by a name."""
    fx = ensure(SPECS[0])
    texts = []
    for place in ("a", "b/deeper"):
        d = tmp_path / place
        d.mkdir(parents=True)
        shutil.copy(fx.binary, d / "prog")
        os.link(fx.core, d / "core")
        for fmt in FORMATS:
            code = main(["report", str(d / "prog"), str(d / "core"), "--format", fmt])
            out = capsys.readouterr().out
            assert code == 0
            texts.append(out.replace(str(d), "<DIR>"))
    assert texts[:3] == texts[3:]
    assert "<DIR>/core" in texts[0]


@pytest.mark.parametrize("go", RELEASES)
def test_signature_is_the_same_for_crashes_of_one_site(go: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    fxs = [ensure(make_spec(go, "default", f"crashvary-{n}")) for n in (1, 2, 3)]
    other = ensure(make_spec(go, "default", "crashother"))
    # the control: the crashes differ in what a signature leaves out
    facts = [fx.facts() for fx in fxs]
    assert len({f["crashMessage"] for f in facts}) == 3
    assert len({f["idleGoroutines"] for f in facts}) == 3
    sigs = [sections(capsys, fx)["signature"] for fx in fxs]
    assert len({s["hash"] for s in sigs}) == 1
    assert sigs[0]["class"] == "runtime error: index out of range [N] with length N"
    assert sigs[0]["functions"][:2] == ["main.lookupOrder", "main.handleOrder"]
    mine = sections(capsys, other)["signature"]
    assert mine["hash"] != sigs[0]["hash"]
    assert mine["class"] == "assignment to entry in nil map"
    # redaction changes nothing of the signature
    assert sections(capsys, fxs[0], "--redact")["signature"] == sigs[0]


def _strings_in(value: object) -> list[str]:
    """Every string content values.json records (``{"string": …}``,
    recursively), and string map keys and elements."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ("string", "text") and isinstance(v, str):
                out.append(v)
            else:
                out.extend(_strings_in(v))
    elif isinstance(value, list):
        for v in value:
            out.extend(_strings_in(v))
    return out


@pytest.mark.parametrize("go", RELEASES[1:])  # the values scenario needs Go 1.18
def test_redaction_of_every_kind_of_value(go: str) -> None:
    """Every frame of the values scenario (strings, []byte, [N]byte, maps
    with string keys, interfaces holding errors, structs with unexported
    fields, pointers, closures): no string values.json records appears in
    the redacted text, while the plain text quotes them (the control)."""
    from dapcore.engine import Engine
    from dapcore.govalues.summary import text_of
    from dapcore.report.redact import redacted_text

    fx = ensure(make_spec(go, "default", "values"))
    wanted = {s for v in json.loads(fx.side_file("values.json").read_text())["variables"]
              for s in _strings_in(v["value"]) if len(s) >= 3}
    assert len(wanted) > 10
    engine = Engine.open(fx.binary, fx.core)
    try:
        g = engine.crashed_goroutine
        assert g is not None
        plain, redacted = [], []
        for i, f in enumerate(engine.stack(g).frames):
            if f.function.startswith("main."):
                for _, v in engine.frame_values(g.goid, i):
                    plain.append(text_of(v))
                    redacted.append(redacted_text(v))
    finally:
        engine.close()
    plain_text = "\n".join(plain)
    # function names (a func value, a closure) are the program's, not data
    redacted_text_ = re.sub(r"\bmain\.[\w.]+", "main.F", "\n".join(redacted))
    quoted = {s for s in wanted if s in plain_text}
    assert len(quoted) > len(wanted) // 2  # the control
    assert [s for s in wanted if s in redacted_text_] == []
    assert "string(len " in redacted_text_ and "(unexported, " in redacted_text_


@pytest.mark.parametrize("scenario", ["custompanic", "goroutinepanic"])
def test_redacted_report_hides_a_user_panic_value(scenario: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    fx = ensure(make_spec("1.27", "default", scenario))
    message = fx.facts()["crashMessage"].removeprefix("panic: ")
    assert message in report(capsys, fx)  # the control
    for fmt in FORMATS:
        text = report(capsys, fx, "--format", fmt, "--redact")
        assert message not in text
        assert "panic: string(len " in text


@pytest.mark.parametrize("scenario", ["deadlock", "snapshot"])
def test_nothing_crashed_on_a_goroutine(scenario: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A deadlock (the runtime throws on a system stack) and a snapshot: the
    report shows the first goroutine instead of a crashing one, and says so."""
    fx = ensure(make_spec("1.27", "default", scenario))
    data = sections(capsys, fx)
    assert data["stack"]["crashed"] is False
    assert data["stack"]["goroutine"] == fx.facts()["mainGoroutine"]
    assert data["locals"]["goroutine"] == fx.facts()["mainGoroutine"]
    assert data["signature"]["kind"] == ("fatal error" if scenario == "deadlock" else "snapshot")
    assert "Nothing crashed on a goroutine" in report(capsys, fx)


def test_groups_leaks_and_blocking_sections(capsys: pytest.CaptureFixture[str]) -> None:
    """The sections the triage analyses provide: the groups count every
    goroutine of the runtime's traceback; a redacted report quotes no pprof
    label value (the program's strings)."""
    fx = ensure(make_spec("1.27", "default", "goroutinepanic"))
    data = sections(capsys, fx)
    tb = parse_traceback(fx.stderr_text())
    assert sum(r["goroutines"] for r in data["groups"]["rows"]) == len(tb.goroutines)
    assert data["leaks"]["summary"] and data["blocking"]["summary"]
    values = {v for labels in fx.facts()["labels"].values() for v in labels.values()}
    assert any(v in report(capsys, fx, "--format", "json") for v in values)  # the control
    redacted = report(capsys, fx, "--format", "json", "--redact")
    assert not [v for v in values if f'"{v}"' in redacted]


CLASS_SPECS = [make_spec("1.27", "default", s) for s in
               ("nilmap", "nilptr", "index", "custompanic", "throw", "overflow", "deadlock")]


@pytest.mark.parametrize("spec", CLASS_SPECS, ids=[s.id for s in CLASS_SPECS])
def test_signature_class_is_the_runtimes_message_without_numbers(
        spec: FixtureSpec, fixture: Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    sig = sections(capsys, fixture)["signature"]
    tb = parse_traceback(fixture.stderr_text())
    assert not re.search(r"\d", sig["class"]), sig["class"]
    assert re.fullmatch(r"[0-9a-f]{12}", sig["hash"])
    if tb.panics and tb.panics[-1].message.startswith(("runtime error: ", "assignment to")):
        assert sig["class"] == re.sub(r"\d+", "N", tb.panics[-1].message)
    elif tb.panics:  # the program's own value: its type, not its text
        assert sig["class"] == "panic(string)"
    else:
        assert sig["kind"] == "fatal error"
        assert f"\nfatal error: {sig['class']}\n" in "\n" + fixture.stderr_text()
    # the user frames of the runtime's traceback of the crashing goroutine
    # (the first printed), innermost first, recursion folded
    user = [f.function for f in tb.goroutines[0].frames
            if isinstance(f, OracleFrame) and f.function.startswith("main.")]
    folded = [f for i, f in enumerate(user) if not i or user[i - 1] != f]
    assert sig["functions"] == folded[:8]


MUTEXPILE = make_spec("1.27", "default", "mutexpile")


@pytest.mark.parametrize("spec", [MUTEXPILE], ids=[MUTEXPILE.id])
@pytest.mark.parametrize("how", ["worker", "no-fork", "many-files-open"])
def test_blocking_section_is_the_analysis(spec: FixtureSpec, fixture: Fixture,
                                          monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """The report's blocking section, made in a forked worker while the
    groups are made here (or here, when no worker can be made), is the
    engine's analysis, and names the objects the program wrote about; also
    when the process has over 1,024 files open (a descriptor select()
    cannot watch)."""
    import resource

    from dapcore.engine import Engine
    from dapcore.report.assemble import build_report
    from dapcore.triage.blockingtext import blocking_json

    held: list[int] = []
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    if how == "no-fork":
        def no_fork() -> int:
            raise OSError("no fork here")
        monkeypatch.setattr(os, "fork", no_fork)
    elif how == "many-files-open":
        soft, hard = limits
        if soft < 1200:
            if hard != resource.RLIM_INFINITY and hard < 1200:
                pytest.skip(f"the hard limit of open files is {hard}")
            resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
        held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        engine = Engine.open(fixture.binary, fixture.core)
        section = build_report(engine).sections["blocking"]
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    want = blocking_json(Engine.open(fixture.binary, fixture.core).blocking())
    assert section.data is not None and section.data["detail"] == want
    found = {o["address"] for o in want["objects"]}
    assert {int(o["address"]) for o in fixture.facts()["triage"]["objects"]} <= found
