"""Evaluating debugger expressions (:mod:`dapcore.goexpr.parser`) against a core.

``evaluate_node(node, names)`` walks a parsed expression over the value
model (:mod:`dapcore.govalues.values`), looking names up in the scope
``names`` (:class:`dapcore.govalues.frame.FrameNames`; evaluating text in a
frame is :func:`dapcore.goexpr.frame.evaluate`): identifiers (the frame's
variables, then package variables), field selection through pointers with
embedded fields promoted, indexing and slicing, ``*p``, ``&x``, the
builtins ``len``, ``cap``, ``real``, ``imag``, ``complex``, ``min`` and
``max``, type assertions (to interface types by the method sets of the
runtime type descriptors, :mod:`dapcore.govalues.methods`), conversions
(numeric ``T(x)``, ``(*T)(0xaddr)``), composite literals
(``main.P{X: 1}``, ``[2]int{5, 6}``, as map keys too), arithmetic and comparisons with
Go's rules (untyped constants, integer wrap-around of sized types,
mismatched types refused). Nothing is executed and nothing is written:
function calls, channel receives and assignments are refused with a
message saying so.

Results read from memory are ordinary :class:`Value` objects; computed
typed results are values whose bytes are held in memory of their own;
untyped constants (``1 + 2``, ``"abc"``, comparisons) are
:class:`Constant`. Every failure is an :class:`EvalError` (or the parser's
:class:`ParseError`), both :class:`DapcoreError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.errors import DapcoreError
from dapcore.goexpr import parser as ast
from dapcore.goexpr.access import Access
from dapcore.goexpr.builtins import Builtins
from dapcore.goexpr.composite import CompositeLiterals
from dapcore.goexpr.conversions import Conversions
from dapcore.goexpr.operands import Const, Constant, EvalError
from dapcore.goexpr.operators import Operators
from dapcore.goexpr.textconv import TextConversions
from dapcore.govalues.values import Value

if TYPE_CHECKING:
    from dapcore.govalues.frame import FrameNames

__all__ = ["Constant", "EvalError", "evaluate_node"]


class _Eval(Access, Operators, Builtins, TextConversions, Conversions, CompositeLiterals):
    """The evaluator: one part per concern (:mod:`dapcore.goexpr.access`,
    :mod:`dapcore.goexpr.operators`, :mod:`dapcore.goexpr.builtins`,
    :mod:`dapcore.goexpr.textconv`, :mod:`dapcore.goexpr.conversions`,
    :mod:`dapcore.goexpr.composite`) on the common part
    (:mod:`dapcore.goexpr.evalbase`)."""


def evaluate_node(node: ast.Expr, names: FrameNames) -> Value:
    """The value of a parsed expression, its names looked up in ``names``.
    Raises :class:`EvalError`, never anything else."""
    ev = _Eval(names)
    text = str(node)
    try:
        r = ev.evaluate(node)
    except DapcoreError as exc:
        if isinstance(exc, EvalError):
            raise
        raise EvalError(f"{text}: {exc}") from exc
    except RecursionError:
        raise EvalError(f"{text}: expression too deep") from None
    except Exception as exc:  # a bug, or damaged input not yet foreseen
        raise EvalError(f"{text}: cannot evaluate ({type(exc).__name__}: {exc})") from exc
    if isinstance(r, Const):
        return Constant(names.ctx, text, r)
    if r.name != text and not isinstance(node, ast.Ident):
        r.name = text
    return r
