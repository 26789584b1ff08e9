"""Activations and losses as functions of Tensors (or arrays).

The activations are the ops themselves; this module adds the loss of the
notes and a lookup by name, which is how networks pick their ``g[l]``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad.ops import _sigmoid_and_slope, identity, leaky_relu, op, relu, sigmoid, tanh
from minigrad.tensor import Tensor

__all__ = ["binary_cross_entropy", "activation", "ACTIVATIONS", "PROBABILITY_CLIP", "identity", "leaky_relu",
           "relu", "sigmoid", "tanh"]

ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu,
               "leaky_relu": leaky_relu, "identity": identity}


def activation(name: str) -> Callable:
    """The activation op called ``name`` (``"tanh"``, ``"relu"``, ...)."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {name!r}; valid: "
                         f"{', '.join(sorted(ACTIVATIONS))}") from None


# A probability of exactly 0 or 1 would make log() infinite; clipping this close
# to them changes no value a float64 cost can show at the course's sizes.
PROBABILITY_CLIP = 1e-15
_TINY = np.finfo(np.float64).tiny   # the smallest normal float64


def _check_labels(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mask Y == 1, once Y is known to hold only 0 and 1 and to have A's shape."""
    if a.shape != y.shape:
        raise ValueError(f"A and Y must have the same shape; got {a.shape} and {y.shape}")
    # Y differs from (Y > 0.5) exactly where Y is neither 0 nor 1, NaN included:
    # two numpy calls on the hot path; argwhere, which is slow, only to name the culprit.
    is_one = y > 0.5
    if np.count_nonzero(y != is_one):
        index = tuple(int(i) for i in np.argwhere((y != 0) & (y != 1))[0])
        raise ValueError(f"Y must hold only 0 and 1; got {y[index]} at {index}")
    return is_one


def binary_cross_entropy(A: Any, Y: Any) -> Tensor:
    """J = -mean(Y log A + (1 - Y) log(1 - A)) over all entries.

    Shapes: A (1, m) and Y (1, m) (any equal shapes) -> scalar ().
    ``ValueError`` when Y holds anything but 0 and 1 or the shapes differ.

    When A was made by ``sigmoid`` (the notes' output layer), J and its
    gradient are computed from the logits Z: A rounds to exactly 1 once
    Z > 37, and log(1 - A) and dA/dZ would then be lost, giving a zero
    gradient to a confidently wrong unit. Any other A is clipped to
    [1e-15, 1 - 1e-15], so J and its gradient stay finite at A = 0 or 1.
    (Inside ``no_grad()`` A keeps no link to its logits, so the clipped
    formula is used: the same J wherever A is not within 1e-15 of 0 or 1.)
    """
    if isinstance(A, Tensor) and A.op == "sigmoid" and A.parents:
        # σ'(Z) as sigmoid's VJP holds it (none when A needs no gradient)
        slope = getattr(A._vjps[0], "slope", None) if A._vjps else None
        return _bce_of_sigmoid(A, Y, A.parents[0].data, slope)
    return _bce(A, Y)


@op("binary_cross_entropy", 2)
def _bce_of_sigmoid(a, y, z, slope=None):
    """J for A = σ(Z): log A = -softplus(-Z), log(1 - A) = -softplus(Z), so
    J = mean(softplus(Z) - Y Z), exact for any Z.

    Each entry softplus(Z) - Y Z is summed as softplus(±Z) (minus where Y = 1):
    softplus(Z) - Z would cancel away every digit of a tiny cost (Z = 40, Y = 1).
    """
    is_one = _check_labels(a, y)
    count = a.size
    if slope is None:
        _, slope = _sigmoid_and_slope(z)
    # dJ/dA = (A - Y) / σ'(Z) / count; sigmoid's VJP multiplies by the same σ'(Z),
    # so Z gets (A - Y) / count, as in the notes. The floor only matters for |Z| > 708.
    slope = np.maximum(slope, _TINY)
    # softplus(S) = max(S, 0) + log(1 + e^-|S|), with |S| = |Z|: np.logaddexp(0, S)
    # gives the same numbers 2x (m = 400) to 8x (m = 4096) slower.
    signed = np.where(is_one, -z, z)
    softplus = np.maximum(signed, 0.0) + np.log1p(np.exp(-np.abs(z)))
    loss = np.add.reduce(softplus, axis=None) / count
    return np.asarray(loss), (lambda g: (g / count) * (a - y) / slope,
                              lambda g: -(g / count) * z)


@op("binary_cross_entropy", 2)
def _bce(a, y):
    """J with A clipped to [1e-15, 1 - 1e-15]; dJ/dA = (A - Y) / (A (1 - A)) / count."""
    _check_labels(a, y)
    one_minus_y = 1.0 - y
    count = a.size
    # np.clip's numbers at a third of its cost; the two sums as dot products.
    p = np.minimum(np.maximum(a, PROBABILITY_CLIP), 1.0 - PROBABILITY_CLIP)
    loss = -(np.vdot(y, np.log(p)) + np.vdot(one_minus_y, np.log1p(-p))) / count
    # As Y is 0 or 1, (A - Y) / (A (1 - A)) is 1 / (1 - Y - A): two numpy calls, not five.
    return np.asarray(loss), (lambda g: (g / count) / (one_minus_y - p),
                              lambda g: (np.log1p(-p) - np.log(p)) * (g / count))
