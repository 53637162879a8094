"""Expressions in a frame, for the front ends: the value of an expression
typed by the user (:func:`evaluate`, :func:`evaluate_or_lookup`).

The frame is a :class:`dapcore.govalues.frame.FrameRef`; its names (locals,
then package variables) are looked up through
:class:`dapcore.govalues.frame.FrameNames`.
"""

from __future__ import annotations

from dapcore.errors import DapcoreError
from dapcore.goexpr.evaluator import EvalError, evaluate_node
from dapcore.goexpr.parser import ParseError, parse
from dapcore.govalues.frame import FrameNames, FrameRef, lookup
from dapcore.govalues.values import Value, ValueConfig, ValueContext

__all__ = ["evaluate", "evaluate_or_lookup"]


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
