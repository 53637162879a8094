"""Package-level variables (globals) from DWARF: the ``DW_TAG_variable``
DIEs at the top level of a package's compile unit, each located by
``DW_OP_addr`` (a link-time address, shifted by the load bias)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.dwarf.constants import AT_LOCATION, AT_TYPE, TAG_VARIABLE
from dapcore.dwarf.dies import Die
from dapcore.dwarf.location import Context, LocationError, evaluate
from dapcore.dwarf.sections import DwarfError
from dapcore.govalues.paths import name_expression
from dapcore.govalues.values import Value, ValueContext

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process

__all__ = ["global_value", "package_globals"]


def _value(ctx: ValueContext, die: Die) -> Value | None:
    d = ctx.reader.dwarf
    name = die.name
    typ = die.int_attr(AT_TYPE)
    expr = d.attr(die, AT_LOCATION)
    if not name or typ is None or not isinstance(expr, (bytes, bytearray)):
        return None
    t = ctx.types.type_at(typ)
    try:
        loc = evaluate(bytes(expr), Context(bias=ctx.proc.bias))
    except LocationError as exc:
        return Value(ctx, name, t, error=str(exc))
    addr = loc.address
    if addr is None:
        return Value(ctx, name, t, error="no address")
    return Value(ctx, name, t, addr=addr, path=name, expression=name_expression(name))


def package_globals(proc: Process, package: str,
                    ctx: ValueContext | None = None) -> list[Value]:
    """The package-level variables of ``package`` (an import path such as
    ``main`` or ``net/http``), in DWARF order; compiler-made names (with
    ``.`` after the package's, e.g. ``main..stmp_0``) left out."""
    ctx = ctx if ctx is not None else ValueContext(proc)
    d = ctx.reader.dwarf
    prefix = package + "."
    out: list[Value] = []
    for unit, uname in zip(d.units, d.unit_names(), strict=True):
        if uname != package:
            continue
        try:
            for die in d.children(d.top(unit)):
                if die.tag != TAG_VARIABLE:
                    continue
                name = die.name or ""
                rest = name[len(prefix):]
                if not name.startswith(prefix) or not rest or "." in rest:
                    continue
                v = _value(ctx, die)
                if v is not None:
                    out.append(v)
        except DwarfError:
            continue
    return out


def global_value(proc: Process, name: str, ctx: ValueContext | None = None) -> Value | None:
    """The package-level variable ``name``: a full name (``main.counter``,
    ``net/http.DefaultClient``) or ``pkg.Var`` with the last element of the
    import path (``http.DefaultClient``)."""
    ctx = ctx if ctx is not None else ValueContext(proc)
    d = ctx.reader.dwarf
    die = d.find_by_bytes(TAG_VARIABLE, name)
    if die is None and "." in name:
        pkg, _, var = name.rpartition(".")
        for uname in set(d.unit_names()):
            if uname and uname.endswith("/" + pkg):
                die = d.find_by_bytes(TAG_VARIABLE, f"{uname}.{var}")
                if die is not None:
                    break
    return _value(ctx, die) if die is not None else None
