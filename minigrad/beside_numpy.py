"""numpy called on a tensor: the operators work, every other call says what to write.

A learner moving the course's numpy code onto tensors writes ``np.tanh(Z1)``,
``np.dot(W1, X)`` and ``np.sum(dZ2, axis=1, keepdims=True)``. numpy's own
answers ("operand 'Tensor' does not support ufuncs", "Tensor.sum() got an
unexpected keyword argument 'out'") name neither the node nor the fix, and
"use .data" would drop the graph. So:

- numpy's operators, as numpy's side of ``a + t`` reaches them (``np.add``,
  ``np.subtract``, ``np.multiply``, ``np.divide``, ``np.matmul``, ``np.power``,
  ``np.negative``), are the ops themselves: ``a + t`` is ``t``'s ``__radd__``,
  and ``np.add(a, t)`` the same op;
- ``np.shape``, ``np.ndim`` and ``np.size`` answer, as they read no entry;
- any other numpy function or ufunc is a ``TypeError`` naming the node, the op
  that does it on tensors (``mg.tanh(Z1) or Z1.tanh()``) where minigrad has one,
  and ``.data`` for the numbers alone.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict

import numpy as np

from minigrad import ops
from minigrad.tensor import Tensor, describe

# numpy's ufuncs behind Python's operators, and the op each one is (by name: ops
# may still be importing when this module is)
_OPERATORS: Dict[np.ufunc, str] = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div",
    np.matmul: "matmul", np.power: "power", np.negative: "neg"}

# How tensors do what a numpy function does, by numpy's name ({t}: the node)
_SPELLING = {
    "tanh": "mg.tanh({t}) or {t}.tanh()",
    "exp": "mg.exp({t}) or {t}.exp()",
    "log": "mg.log({t}) or {t}.log()",
    "sum": "mg.sum({t}, axis=..., keepdims=...) or {t}.sum(...)",
    "mean": "mg.mean({t}, axis=..., keepdims=...) or {t}.mean(...)",
    "dot": "A @ B (mg.matmul(A, B))",
    "transpose": "{t}.T",
    "reshape": "{t}.reshape(...)",
    "square": "{t} ** 2",
    "sqrt": "{t} ** 0.5",
    "maximum": "mg.relu({t}) for np.maximum(0, {t})",
}

_SHAPE_ONLY = {"shape", "ndim", "size"}   # what these read is the array's form, no entry
_SIMPLE_NAME = re.compile(r"[A-Za-z_]\w*(\[\d+\])?")


def ufunc(t: Tensor, function: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_ufunc__``: an operator's op, or the error for anything else."""
    op = _OPERATORS.get(function)
    called = method == "__call__" and len(inputs) == function.nin
    if op is not None and called and not kwargs:
        return getattr(ops, op)(*inputs)
    if function in (np.equal, np.not_equal) and called:
        # a == t: numpy's side asks np.equal; the tensor's own refusal answers
        other = inputs[1] if inputs[0] is t else inputs[0]
        t._compare(other, "==" if function is np.equal else "!=")
    if op is not None and "out" in kwargs:
        raise TypeError(f"numpy cannot write into an array what {describe(t)} makes (np."
                        f"{function.__name__}(..., out=...), as a += t does for an array a): "
                        f"an op on tensors makes a new tensor; write a = a + t, or use its "
                        f"array, .data")
    name = function.__name__ if method == "__call__" else f"{function.__name__}.{method}"
    raise TypeError(_refusal(t, name))


def function(t: Tensor, func: Callable, args: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_function__``: np.shape and its kin answer; the rest is refused."""
    name = getattr(func, "__name__", str(func))
    if name in _SHAPE_ONLY:
        return func(*[a._data if isinstance(a, Tensor) else a for a in args], **kwargs)
    raise TypeError(_refusal(t, name))


def _refusal(t: Tensor, name: str) -> str:
    spelling = _SPELLING.get(name)
    if spelling is None:
        return (f"numpy cannot take {describe(t)} as an array: use its array, .data "
                f"(or .item() for its one number)")
    node = t.name if t.name and _SIMPLE_NAME.fullmatch(t.name) else "t"
    return (f"numpy cannot take {describe(t)} as an array: on tensors, np.{name} is "
            f"{spelling.format(t=node)}, an op that the graph records (np.{name}"
            f"({node}.data) gives numbers only, and no gradient)")
