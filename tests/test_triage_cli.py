"""``dapcore triage`` on real cores (issue #17): crashes of one site with
different goroutine ids and addresses are one signature, another crash is
another; cores that cannot be read, or whose executable is not there, are
listed with the reason; bad arguments are one clear line."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

from dapcore.cli import main
from tests.factory import Fixture, ensure
from tests.factory.matrix import spec as make_spec

GO = "1.27"


def _fixtures() -> tuple[list[Fixture], Fixture]:
    vary = [ensure(make_spec(GO, "default", f"crashvary-{n}")) for n in (1, 2, 3)]
    return vary, ensure(make_spec(GO, "default", "crashother"))


def triage(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["triage", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _report_hash(capsys: pytest.CaptureFixture[str], fx: Fixture) -> str:
    assert main(["report", str(fx.binary), str(fx.core), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)["sections"]["signature"]["data"]["hash"]


def test_triage_groups_crashes_by_signature(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    vary, other = _fixtures()
    cores = tmp_path / "cores"
    cores.mkdir()
    shutil.copy(vary[0].binary, cores / "zoocrashes")  # beside the cores, by the name they record
    for i, fx in enumerate([*vary, other]):
        os.link(fx.core, cores / f"core.{i}")  # names say nothing; the header does
    (cores / "README").write_text("not a core " * 20)
    out = tmp_path / "reports"
    code, text, err = triage(capsys, str(cores), "--format", "json", "--out", str(out),
                             "--jobs", "2")
    assert code == 0, err
    doc = json.loads(text)
    assert doc["cores"] == 4 and doc["unreadable"] == []
    counts = {c["signature"]["hash"]: c["count"] for c in doc["crashes"]}
    assert counts == {_report_hash(capsys, vary[0]): 3, _report_hash(capsys, other): 1}
    first = doc["crashes"][0]
    assert sorted(Path(c["path"]).name for c in first["cores"]) == ["core.0", "core.1", "core.2"]
    assert first["first"] <= first["last"]
    # one report per signature, redacted by default
    reports = sorted(out.iterdir())
    assert [p.name for p in reports] == sorted(f"crash-{h}.json" for h in counts)
    secrets = [s for fx in (*vary, other) for s in fx.facts()["secrets"]]
    for p in reports:
        body = p.read_text()
        assert json.loads(body)["redacted"] is True
        assert not [s for s in secrets if s in body]


def test_triage_text_and_no_redact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vary, _ = _fixtures()
    shutil.copy(vary[0].binary, tmp_path / "zoocrashes")
    with open(vary[0].core, "rb") as src, gzip.open(tmp_path / "c", "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst)  # a compressed core, told by its magic
    code, text, _ = triage(capsys, str(tmp_path), "--out", str(tmp_path / "r"), "--no-redact",
                           "--format", "markdown")
    assert code == 0
    assert text.startswith("# Crash triage") and "| 1 | `" in text
    [report] = (tmp_path / "r").iterdir()
    body = report.read_text()
    assert report.suffix == ".md" and any(s in body for s in vary[0].facts()["secrets"])


def test_unreadable_cores_and_missing_executables_are_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vary, _ = _fixtures()
    d = tmp_path / "in"
    exes = tmp_path / "exes"
    d.mkdir()
    exes.mkdir()
    with open(vary[0].core, "rb") as fh:  # an ELF core header, then nothing
        (d / "cut.core").write_bytes(fh.read(4096))
    orphan = ensure(make_spec(GO, "default", "nilmap"))  # a zoo core: no zoo anywhere here
    os.link(orphan.core, d / "orphan")
    # found by Go build ID; its time from systemd-coredump's name
    name = "core.zoocrashes.0.0123456789abcdef0123456789abcdef.4242.1733580000123456"
    os.link(vary[1].core, d / name)
    shutil.copy(vary[1].binary, exes / "build-1234")
    code, text, err = triage(capsys, str(d), "--executables", str(exes), "--jobs", "1")
    assert code == 0, err
    lines = text.splitlines()
    assert lines[0].startswith("dapcore triage: 3 cores, 1 distinct crash, 2 unreadable")
    by_path = {line.split(": ", 1)[0].strip(): line for line in lines if line.startswith("  /")}
    assert "executable not found: the core names " in by_path[str(d / "orphan")]
    assert "--executables" in by_path[str(d / "orphan")]
    assert str(d / "cut.core") in by_path
    assert f"       {d / name}" in lines
    assert "first 2024-12-07 14:00:00 UTC" in text  # 1733580000 s


def test_no_core_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("nothing here " * 10)
    code, text, _ = triage(capsys, str(tmp_path))
    assert code == 0 and text.startswith("dapcore triage: no core found")


@pytest.mark.parametrize(("argv", "message"), [
    (["triage", "/nonexistent/cores"], "no such file or directory: /nonexistent/cores"),
    (["triage", ".", "--jobs", "0"], "--jobs must be 1 or more"),
    (["triage", ".", "--executables", "/nonexistent/exes"], "not a directory"),
    (["report", "/nonexistent/prog", "/nonexistent/core"], "/nonexistent/core"),
])
def test_bad_arguments_are_one_clear_line(argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_report_output_file_and_unwritable_place(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    fx = ensure(make_spec(GO, "default", "crashother"))
    target = tmp_path / "r.md"
    assert main(["report", str(fx.binary), str(fx.core), "--format", "markdown", "-o",
                 str(target)]) == 0
    assert target.read_text().startswith("# Go crash report")
    capsys.readouterr()
    assert main(["report", str(fx.binary), str(fx.core), "-o",
                 str(tmp_path / "no" / "such" / "dir" / "r.txt")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dapcore: cannot write the report to ") and err.count("\n") == 1


def test_unknown_format_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "prog", "core", "--format", "pdf"])
    assert exc.value.code == 2
    assert "invalid choice: 'pdf'" in capsys.readouterr().err


def test_a_worker_that_dies_takes_only_its_own_task() -> None:
    """A task whose process dies (here: it exits at once, as one killed for
    its memory would) is retried alone and then reported; the others'
    results stand, in order."""
    from dapcore.report.triage import _run_all

    tasks = [(abs, (-3,)), (os._exit, (7,)), (abs, (-5,)), (abs, (4,))]
    assert _run_all(2, tasks, lambda args: f"died {args}") == [3, "died (7,)", 5, 4]
