"""The package's architecture, asserted from the code itself.

``dapcore`` is built in one-way layers (README, "Architecture"): each
package imports only packages below it, the DAP front end reaches the engine
through one facade and the value model, nothing imports in a cycle at run
time, and imports inside function bodies are kept for the dependencies that
are optional or heavy — each one listed here with its reason. Classes and
functions stay small enough to read.

An ``ast`` walk over ``dapcore/``: no module is imported or executed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "dapcore"

# Lowest first. A module may import its own package and the layers before it.
LAYERS: list[tuple[str, ...]] = [
    ("__init__",),  # the version
    ("errors",),
    ("cancellation",),
    ("arch",),
    ("indexcache",),  # the on-disk index cache (issue #16): stdlib only
    ("forkwork",),  # work in a forked worker (the report's analysis, a huge thread list)
    ("elf",),
    ("dwarf",),
    ("native",),
    ("gobin",),
    ("goruntime",),
    ("govalues",),
    ("goexpr",),
    ("triage",),  # goroutine groups, leaks, blocking (issue #17)
    ("engine_triage",),  # the facade's triage part (Engine inherits it)
    ("engine_process",),  # the facade's process part: counters, notes (issue #17's report)
    ("engine",),
    ("render",),
    ("report",),  # dapcore report / triage (issue #17): a front end like render
    ("dap",),
    ("demo",),
    ("cli", "cliargs"),
    ("__main__",),
]
RANK = {name: n for n, names in enumerate(LAYERS) for name in names}

# What the DAP front end may import besides itself: the facade, the value
# model it renders, the runtime-style text the console prints (render, which
# reads the core only through the facade), and the base.
DAP_MAY_IMPORT = ("engine", "govalues", "render", "triage", "errors", "cancellation")

# Imports inside function bodies, each with the reason it is deferred.
# (importer, imported): reason. Nothing else may import lazily.
_STARTUP = "start-up: an editor waits for the answer to 'initialize' (issue #16)"
_ENGINE = ("heavy (the runtime readers): loaded when a core is opened, "
           "not before the server answers 'initialize' or the CLI parses its arguments")
_VALUES = "the value model: loaded once a core is open"
_ON_FIRST_VALUE = ("the value model and the evaluator (~40 ms of imports): loaded with the "
                   "first value asked for, not to open a core and unwind its stacks")
_TRIAGE = ("triage (groups, leaks, blocking; issue #17): loaded when a command or request "
           "asks for it, not to open a core")
_CGO_ONLY = ("the C unwinder (CFI, symbols, pyelftools' C line tables): only a stack that "
             "enters C code needs it, not the first open of a Go core (issue #16)")
LAZY_IMPORTS: dict[tuple[str, str], str] = {
    ("dapcore.__main__", "dapcore.cli"): _STARTUP + ": only the front end asked for",
    ("dapcore.__main__", "dapcore.dap.server"): _STARTUP + ": only the front end asked for",
    ("dapcore.__main__", "dapcore.dap.handshake"): _STARTUP + ": only the front end asked for",
    ("dapcore.cli", "dapcore.dap.handshake"):
        _STARTUP + ": 'dapcore dap' answers it before the parser is built",
    ("dapcore.dap.handshake", "dapcore.dap.server"):
        _STARTUP + ": anyio, asyncio and the session load once it is answered",
    ("dapcore.cli", "dapcore.dap.server"): "anyio: only 'dapcore dap' needs the server",
    ("dapcore.cli", "dapcore.engine"): _ENGINE,
    ("dapcore.cli", "dapcore.cliargs"): _STARTUP + ": argparse, not before 'dapcore dap' answers",
    ("dapcore.cli", "dapcore.render"): (_STARTUP + ": threading and the render code, once a "
                                        "command has a core open"),
    ("dapcore.cli", "dapcore.report.command"):
        _ENGINE + "; the report's renderers and the process pool: only 'report' and "
        "'triage' need them",
    ("dapcore.cli", "dapcore.demo"): "a DAP client (subprocess, sockets, hashing): only "
                                     "'dapcore demo' needs it",
    ("dapcore.dap.launch", "dapcore.engine"): _ENGINE,
    ("dapcore.dap.state", "dapcore.dap.variables"): _VALUES,
    ("dapcore.dap.state", "dapcore.engine"):
        "the index cache's save when the session ends: the engine module is loaded by "
        "then (the launch imported it)",
    ("dapcore.engine", "dapcore.govalues.frame"): _ON_FIRST_VALUE,
    ("dapcore.engine", "dapcore.govalues.frameregs"): _ON_FIRST_VALUE,
    ("dapcore.engine", "dapcore.govalues.pkgvars"): _ON_FIRST_VALUE,
    ("dapcore.engine", "dapcore.goexpr.frame"): _ON_FIRST_VALUE,
    ("dapcore.render", "dapcore.govalues.children"): _ON_FIRST_VALUE,
    ("dapcore.render", "dapcore.govalues.summary"): _ON_FIRST_VALUE,
    ("dapcore.dap.inspection", "dapcore.dap.repl"): _VALUES,
    ("dapcore.dap.inspection", "dapcore.dap.blocking"): _TRIAGE,
    ("dapcore.dap.repl", "dapcore.dap.blocking"): _TRIAGE,
    ("dapcore.dap.inspection", "dapcore.dap.groups"):
        "the triage (and ~60 runtime modules under it, 300 ms): with the first goroutine-groups "
        "request, not with the first inspection request",
    # issue #16: the server answers 'initialize' having imported only what
    # the session's first messages need
    ("dapcore.dap.session", "dapcore.dap.inspection"):
        _STARTUP + ": the handlers that look at a core load with the first of their requests",
    ("dapcore.dap.lifecycle", "dapcore.dap.launch"): _STARTUP + ": opening files, with 'launch'",
    ("dapcore.dap.lifecycle", "dapcore.dap.source"): _STARTUP + ": the source map, with 'launch'",
    ("dapcore.dap.lifecycle", "dapcore.dap.exceptions"):
        _STARTUP + ": the crash's wording (and dapcore.render), once a core is open",
    ("dapcore.dap.state", "dapcore.dap.disasm"):
        _STARTUP + ": disassembly listings, with the first source file that is missing",
    ("dapcore.report.command", "dapcore.report.triage"):
        "the process pool (multiprocessing, concurrent.futures): 'dapcore triage' only",
    ("dapcore.report.command", "dapcore.report.triageout"):
        "the process pool (multiprocessing, concurrent.futures): 'dapcore triage' only",
    ("dapcore.engine_triage", "dapcore.triage.collect"): _TRIAGE,
    ("dapcore.engine_triage", "dapcore.triage.leaks"): _TRIAGE,
    ("dapcore.cli", "dapcore.triage.groups"): _TRIAGE,
    ("dapcore.cli", "dapcore.triage.text"): _TRIAGE,
    ("dapcore.engine_triage", "dapcore.triage.blocking"): _TRIAGE,
    ("dapcore.cli", "dapcore.triage.blockingtext"): _TRIAGE,
    ("dapcore.goruntime.unwind", "dapcore.native.objects"): _CGO_ONLY,
    ("dapcore.goruntime.unwind", "dapcore.native.unwind"): _CGO_ONLY,
    ("dapcore.goruntime.layout", "dapcore.goruntime.layout_tables"):
        "2,900 lines of generated tables, read only for a binary without DWARF",
}

MAX_CLASS_LINES = 500
MAX_FUNCTION_LINES = 100
GENERATED = {"dapcore.goruntime.layout_tables"}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # a dapcore module (or package) name
    line: int
    kind: str  # "module" (runs on import), "function" (runs when called), "typing"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


ALL = modules()


def _resolve(importer: str, path: Path, node: ast.ImportFrom | ast.Import,
             known: dict[str, Path]) -> list[str]:
    """The dapcore modules an import statement names (``from a.b import c``
    names ``a.b.c`` when that is a module, else ``a.b``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "dapcore"]
    if node.level:
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "dapcore":
        return []
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.append(sub if sub in known else target)
    return out


class _Walker(ast.NodeVisitor):
    def __init__(self, importer: str, path: Path, known: dict[str, Path]) -> None:
        self.importer, self.path, self.known = importer, path, known
        self.depth_function = 0
        self.depth_typing = 0
        self.found: list[Import] = []

    def _kind(self) -> str:
        if self.depth_typing:
            return "typing"
        return "function" if self.depth_function else "module"

    def visit_If(self, node: ast.If) -> None:
        typing = "TYPE_CHECKING" in ast.unparse(node.test)
        self.depth_typing += typing
        for child in node.body:
            self.visit(child)
        self.depth_typing -= typing
        for child in node.orelse:
            self.visit(child)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth_function += 1
        self.generic_visit(node)
        self.depth_function -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def _imports(self, node: ast.Import | ast.ImportFrom) -> None:
        for name in _resolve(self.importer, self.path, node, self.known):
            self.found.append(Import(self.importer, name, node.lineno, self._kind()))

    visit_Import = _imports
    visit_ImportFrom = _imports


def imports(known: dict[str, Path] = ALL) -> list[Import]:
    out = []
    for name, path in known.items():
        w = _Walker(name, path, known)
        w.visit(ast.parse(path.read_text(), str(path)))
        out.extend(w.found)
    return out


IMPORTS = imports()


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer() -> None:
    assert {layer(m) for m in ALL} <= set(RANK), sorted({layer(m) for m in ALL} - set(RANK))


def test_packages_import_only_layers_below_them() -> None:
    bad = [f"{i.importer}:{i.line} imports {i.imported} ({i.kind})" for i in IMPORTS
           if RANK[layer(i.imported)] > RANK[layer(i.importer)]]
    assert not bad, "\n".join(bad)


def test_dap_goes_through_the_engine_facade_and_the_value_model() -> None:
    bad = [f"{i.importer}:{i.line} imports {i.imported}" for i in IMPORTS
           if layer(i.importer) == "dap" and layer(i.imported) not in ("dap", *DAP_MAY_IMPORT)]
    assert not bad, "\n".join(bad)


def run_time_cycles(found: list[Import]) -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for i in found:
        if i.kind != "typing" and i.imported != i.importer:
            graph.setdefault(i.importer, set()).add(i.imported)
    return list(_cycles(graph))


def test_no_import_cycle_at_run_time() -> None:
    cycles = run_time_cycles(IMPORTS)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """One cycle per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    counter = [0]
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    yield from out


def test_function_body_imports_are_the_listed_exceptions() -> None:
    lazy = {(i.importer, i.imported) for i in IMPORTS if i.kind == "function"}
    unlisted = sorted(lazy - set(LAZY_IMPORTS))
    assert not unlisted, "\n".join(f"{a} imports {b} inside a function" for a, b in unlisted)
    stale = sorted(set(LAZY_IMPORTS) - lazy)
    assert not stale, f"listed but no longer lazy: {stale}"


def _sized() -> Iterator[tuple[str, str, str, int]]:
    for name, path in ALL.items():
        if name in GENERATED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                yield name, kind, node.name, node.end_lineno - node.lineno + 1


@pytest.mark.parametrize(("kind", "limit"), [("class", MAX_CLASS_LINES),
                                             ("function", MAX_FUNCTION_LINES)])
def test_classes_and_functions_stay_small(kind: str, limit: int) -> None:
    big = [f"{m}.{n}: {lines} lines" for m, k, n, lines in _sized()
           if k == kind and lines > limit]
    assert not big, "\n".join(big)


def test_the_walk_sees_the_package() -> None:
    """A control: the walk finds the modules and the imports it checks."""
    assert "dapcore.engine" in ALL and "dapcore.dap.session" in ALL
    assert any(i.importer == "dapcore.engine" and layer(i.imported) == "goruntime"
               for i in IMPORTS)
    assert any(i.kind == "typing" for i in IMPORTS)


def test_the_walk_finds_a_cycle_and_the_kinds_of_import(tmp_path: Path) -> None:
    """A control on a package made for it: a cycle through a function-body
    import is found, one through a ``TYPE_CHECKING`` import is not run time."""
    root = tmp_path / "dapcore"
    (root / "gobin").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "gobin" / "__init__.py").write_text("")
    (root / "gobin" / "a.py").write_text("from dapcore.gobin import b\n")
    (root / "gobin" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dapcore.gobin.c import X\n"
        "def f():\n    from . import a\n")
    (root / "gobin" / "c.py").write_text("from dapcore.gobin import b\n")
    found = imports(modules(root))
    kinds = {(i.importer, i.imported): i.kind for i in found}
    assert kinds == {("dapcore.gobin.a", "dapcore.gobin.b"): "module",
                     ("dapcore.gobin.b", "dapcore.gobin.c"): "typing",
                     ("dapcore.gobin.b", "dapcore.gobin.a"): "function",
                     ("dapcore.gobin.c", "dapcore.gobin.b"): "module"}
    assert run_time_cycles(found) == [["dapcore.gobin.a", "dapcore.gobin.b"]]
