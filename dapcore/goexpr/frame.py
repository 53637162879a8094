"""Expressions in a frame, for the front ends: the value of an expression
typed by the user (:func:`evaluate`), and what the command line's
``dapcore locals`` and ``dapcore print`` show.

The frame is a :class:`dapcore.govalues.frame.FrameRef`; its names (locals,
then package variables) are looked up through
:class:`dapcore.govalues.frame.FrameNames`.
"""

from __future__ import annotations

from typing import Any

from dapcore.errors import DapcoreError
from dapcore.goexpr.evaluator import EvalError, evaluate_node
from dapcore.goexpr.parser import ParseError, parse
from dapcore.govalues.children import child_count, children
from dapcore.govalues.frame import FrameNames, FrameRef, frame_values, lookup
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import Value, ValueConfig, ValueContext

__all__ = ["evaluate", "evaluate_or_lookup", "locals_output", "print_output", "value_json"]


def evaluate(ref: FrameRef, text: str, config: ValueConfig | None = None,
             ctx: ValueContext | None = None) -> Value:
    """The value of the expression ``text`` in the frame ``ref``. Raises
    :class:`ParseError` or :class:`EvalError`, never anything else."""
    node = parse(text)
    if ctx is None:
        try:
            ctx = ValueContext(ref.proc, config=config)
        except DapcoreError:
            raise
        except Exception as exc:
            raise EvalError(f"cannot read the program's values ({type(exc).__name__}: "
                            f"{exc})") from exc
    return evaluate_node(node, FrameNames(ref, ctx))


def evaluate_or_lookup(ref: FrameRef, text: str, ctx: ValueContext | None = None) -> Value:
    """:func:`evaluate`, except that a name the expression parser refuses
    (``net/http.DefaultClient``) is looked up as is; when it is not found
    either, the parser's error is raised."""
    try:
        return evaluate(ref, text, ctx=ctx)
    except ParseError as exc:
        try:
            return lookup(ref, text.strip(), ctx)
        except DapcoreError:
            raise exc from None


def value_json(v: Value, kind: str | None = None, depth: int = 1) -> dict[str, Any]:
    """``{name, kind?, type, value, children?}``; children one level deep."""
    out: dict[str, Any] = {"name": v.name}
    if kind is not None:
        out["kind"] = kind
    out["type"] = v.type_name
    out["value"] = text_of(v)
    if depth > 0 and v.error is None and child_count(v):
        out["children"] = [value_json(c, None, depth - 1)
                           for c in children(v, 0, v.ctx.config.max_array_values)]
    return out


def locals_output(ref: FrameRef, as_json: bool) -> Any:
    """``dapcore locals``: the frame's parameters and locals."""
    values = frame_values(ref)
    if as_json:
        return [value_json(v, kind) for kind, v in values]
    return "\n".join(f"{v.name} = {text_of(v)}" for _, v in values) or "(no locals)"


def print_output(ref: FrameRef, text: str, as_json: bool) -> Any:
    """``dapcore print``: an expression; a name the expression parser
    refuses (``net/http.DefaultClient``) is looked up as is."""
    try:
        v = evaluate(ref, text)
    except ParseError as exc:
        try:
            v = lookup(ref, text.strip())
        except DapcoreError:
            raise DapcoreError(f"{exc}\n{exc.caret(text)}") from None
    return value_json(v) if as_json else text_of(v)
