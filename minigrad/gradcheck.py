"""Gradient checking as the course does it: central differences, and the
relative difference ``‖g - g̃‖₂ / (‖g‖₂ + ‖g̃‖₂)`` against a threshold."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Sequence

import numpy as np

from minigrad.tensor import Tensor, no_grad

__all__ = ["numerical_grad", "gradcheck", "relative_difference", "GradcheckReport",
           "InputCheck"]


def _scalar(value: Any, where: str) -> float:
    array = value.data if isinstance(value, Tensor) else np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"{where}: f must return a scalar; got shape {array.shape}")
    return float(array.reshape(()))


def _tensors(inputs: Sequence[Tensor], where: str) -> list:
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: inputs must be Tensors; got {type(t).__name__}")
    return inputs


def numerical_grad(f: Callable[..., Any], inputs: Sequence[Tensor],
                   eps: float = 1e-7) -> List[np.ndarray]:
    """d f(*inputs) / d input for each input, by central differences
    ``(f(x + ε) - f(x - ε)) / 2ε``, one entry at a time. f must return a scalar.

    The inputs' data is changed in place during the call and restored after.
    """
    inputs = _tensors(inputs, "numerical_grad")
    grads = []
    with no_grad():
        for t in inputs:
            grad = np.zeros_like(t.data)
            for index in np.ndindex(t.data.shape):
                saved = t.data[index]
                try:   # the data may be the caller's own array: never leave it nudged
                    t.data[index] = saved + eps
                    plus = _scalar(f(*inputs), "numerical_grad")
                    t.data[index] = saved - eps
                    minus = _scalar(f(*inputs), "numerical_grad")
                finally:
                    t.data[index] = saved
                grad[index] = (plus - minus) / (2 * eps)
            grads.append(grad)
    return grads


def relative_difference(g: np.ndarray, g_tilde: np.ndarray) -> float:
    """‖g - g̃‖₂ / (‖g‖₂ + ‖g̃‖₂): 0 when both are zero."""
    g, g_tilde = np.asarray(g, dtype=np.float64), np.asarray(g_tilde, dtype=np.float64)
    denominator = np.linalg.norm(g) + np.linalg.norm(g_tilde)
    return 0.0 if denominator == 0 else float(np.linalg.norm(g - g_tilde) / denominator)


@dataclass
class InputCheck:
    """One input's verdict: its autograd and numerical gradients and their difference."""
    name: str
    shape: tuple
    autograd: np.ndarray
    numerical: np.ndarray
    difference: float
    ok: bool


@dataclass
class GradcheckReport:
    """What ``gradcheck`` found, one row per input. Truthy when every input passes."""
    inputs: List[InputCheck]
    tol: float

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.inputs)

    @property
    def max_difference(self) -> float:
        return max((row.difference for row in self.inputs), default=0.0)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        width = max([len(r.name) for r in self.inputs] + [5])
        lines = [f"{'input':<{width}}  {'shape':<12} {'difference':>12}  verdict"]
        for r in self.inputs:
            verdict = "ok" if r.ok else f"WRONG (>= {self.tol:g})"
            lines.append(f"{r.name:<{width}}  {str(r.shape):<12} {r.difference:>12.3e}  {verdict}")
        return "\n".join(lines)


def gradcheck(f: Callable[..., Any], inputs: Sequence[Tensor], eps: float = 1e-7,
              tol: float = 2e-7) -> GradcheckReport:
    """Compare autograd's gradient of the scalar ``f(*inputs)`` with central
    differences, input by input; below ``tol`` (the course's 2e-7) is correct.

    The inputs' ``.grad`` is left as it was before the call.
    """
    inputs = _tensors(inputs, "gradcheck")
    saved = [(t.grad, t.requires_grad) for t in inputs]
    try:
        for t in inputs:
            t.grad, t.requires_grad = None, True
        out = f(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: f must return a Tensor; got {type(out).__name__}")
        _scalar(out, "gradcheck")
        out.backward()
        analytic = [np.zeros_like(t.data) if t.grad is None else t.grad for t in inputs]
    finally:
        for t, (grad, requires) in zip(inputs, saved):
            t.grad, t.requires_grad = grad, requires
    numeric = numerical_grad(f, inputs, eps)
    rows = []
    for i, (t, g, n) in enumerate(zip(inputs, analytic, numeric)):
        d = relative_difference(g, n)
        rows.append(InputCheck(t.name or f"input {i}", t.shape, g, n, d, d < tol))
    return GradcheckReport(rows, tol)
