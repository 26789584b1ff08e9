"""Losses as functions of Tensors (or arrays): the cross-entropy of the notes.

The activations are the ops themselves (``minigrad.ops``), re-exported here;
choosing one by name is the networks' concern (``nets.activations``).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from minigrad.ops import _sigmoid, identity, leaky_relu, op, relu, sigmoid, tanh
from minigrad.tensor import Tensor

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "check_labels",
           "CheckedLabels",
           "PROBABILITY_CLIP",
           "identity", "leaky_relu", "relu", "sigmoid", "tanh"]

# A probability of exactly 0 or 1 would make log() infinite; clipping this close
# to them changes no value a float64 cost can show at the course's sizes.
PROBABILITY_CLIP = 1e-15


def _check_labels(a: np.ndarray, y: np.ndarray, what: str) -> np.ndarray:
    """The mask Y == 1, once Y is known to hold only 0 and 1 and to have A's shape."""
    if a.shape != y.shape:
        raise ValueError(f"{what} and Y must have the same shape; got {a.shape} and {y.shape}")
    return check_labels(y)


def check_labels(y: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """The mask Y == 1 of a float array Y (written into ``out``, a bool array of
    Y's shape, when given: a tape's replays), or a ``ValueError`` naming the first
    entry that is not 0 or 1: the one label rule, for the losses, the nets and
    the tapes."""
    # Y differs from (Y > 0.5) exactly where Y is neither 0 nor 1, NaN included;
    # argwhere only runs to name the culprit.
    is_one = np.greater(y, 0.5, out=out)
    if np.count_nonzero(y != is_one):
        index = tuple(int(i) for i in np.argwhere((y != 0) & (y != 1))[0])
        raise ValueError(f"Y must hold only 0 and 1; got {y[index]} at {index}"
                         f"{_other_convention(y)}")
    return is_one


def _other_convention(y: np.ndarray) -> str:
    """The mapping to 0/1 of labels written in another convention, or ""."""
    values = set(np.unique(y).tolist())
    if values <= {-1.0, 1.0}:   # SVMs, perceptrons
        return "; labels in {-1, 1}? (Y + 1) / 2 makes them 0 and 1"
    if values <= {1.0, 2.0}:    # class numbers counted from 1
        return "; labels in {1, 2}? Y - 1 makes them 0 and 1"
    return ""


def check_probabilities(a: np.ndarray) -> None:
    """A ``ValueError`` naming the first entry of A outside [0, 1]: logits
    passed for probabilities would be clipped to a wrong J with a zero slope."""
    outside = np.argwhere((a < 0) | (a > 1))
    if outside.size:
        index = tuple(int(i) for i in outside[0])
        raise ValueError(f"A must hold probabilities in [0, 1]; got {a[index]} at {index}. "
                         f"For logits Z (before σ), use binary_cross_entropy_with_logits(Z, Y)")


def binary_cross_entropy(A: Any, Y: Any) -> Tensor:
    """J = -mean(Y log A + (1 - Y) log(1 - A)) over all entries, A a probability.

    Shapes: A (1, m) and Y (1, m) (any equal shapes) -> scalar ().
    ``ValueError`` when Y holds anything but 0 and 1, A anything outside [0, 1]
    (logits: use ``binary_cross_entropy_with_logits``) or the shapes differ.

    A is clipped to [1e-15, 1 - 1e-15], so J stays finite at A = 0 or 1, and
    the gradient is the clipped function's own: 0 where the clip is active.
    That is the honest derivative of the number computed (numerical
    differences agree), but a sigmoid output that rounds to 0 or 1 then
    learns nothing from its mistake: when A = σ(Z), use
    ``binary_cross_entropy_with_logits(Z, Y)``, exact at every finite Z.
    """
    return _bce(A, Y)


def binary_cross_entropy_with_logits(Z: Any, Y: Any) -> Tensor:
    """J = -mean(Y log σ(Z) + (1 - Y) log(1 - σ(Z))), computed from the logits Z.

    Shapes: Z (1, m) and Y (1, m) (any equal shapes) -> scalar ().
    ∂J/∂Z = (σ(Z) - Y) / count: the notes' dZ[2] = A[2] - Y (per sample), as
    that formula computes it from σ(Z) rounded to float64, so within a few
    1e-16 (the spacing of floats near 1) of the true σ(Z) - Y at every finite
    Z: also where σ(Z) rounds to 0 or 1 (|Z| > 37) and where σ'(Z) underflows
    (|Z| > 745), which no route through A = σ(Z) survives (a misclassified
    sample's A - Y of ±1 stays ±1). Where Y = 1 and Z is large, the true
    -σ(-Z) is smaller than that spacing and comes out 0 (Z > 37), as A[2] - Y
    gives it: a learner's formula agrees with it to the last bit.
    The value and the gradient are the same with and without ``no_grad()``.
    """
    return _bce_with_logits(Z, Y)


class CheckedLabels:
    """Labels Y checked once, for a loop that takes the cost of the same Y at
    every step (``fit``): ``y`` is a read-only copy nobody else holds, so it
    cannot change after the check, and ``loss(Z, Y)`` on a tensor of that very
    array skips checking it again. Any other Y is checked as always."""

    __slots__ = ("y", "signs")

    def __init__(self, Y: Any) -> None:
        y = np.array(Y, dtype=np.float64)   # a copy: the caller's array may change
        check_labels(y)
        y.flags.writeable = False
        self.y = y
        # -1 where Y = 1, else 1: made by the first loss (a fit whose steps take
        # only y, by hand or by replay, holds no second (1, m) array)
        self.signs = None

    def loss(self, Z: Any, Y: Any) -> Tensor:
        """``binary_cross_entropy_with_logits(Z, Y)``, the same bits."""
        if self.signs is None:
            self.signs = np.where(self.y > 0.5, -1.0, 1.0)   # check_labels' mask
        return _bce_with_logits(Z, Y, _labels=self)


@op("binary_cross_entropy_with_logits", 2)
def _bce_with_logits(z, y, _labels=None):
    """log σ(Z) = -softplus(-Z), log(1 - σ(Z)) = -softplus(Z), so each entry is
    softplus(Z) - Y Z, summed as softplus(-Z) where Y = 1 and softplus(Z) where
    Y = 0: softplus(Z) - Z would cancel away every digit of a tiny cost."""
    count = z.size
    e = np.exp(-np.abs(z))   # e^-|Z|: softplus's now, σ's in backward
    # softplus(S) = max(S, 0) + log(1 + e^-|S|), with |S| = |Z|: never overflows.
    # S = -Z where Y = 1, else Z; Z times ±1 is the same, exactly.
    if _labels is not None and _labels.y is y and z.shape == y.shape:
        softplus = z * _labels.signs
    else:
        softplus = np.where(_check_labels(z, y, "Z"), -z, z)
    np.maximum(softplus, 0.0, out=softplus)
    softplus += np.log1p(e)
    loss = np.add.reduce(softplus, axis=None) / count
    return np.asarray(loss), (lambda g: _bce_with_logits_vjp(g, z, e, y, count),
                              lambda g: -(g / count) * z)


def _bce_with_logits_vjp(g: np.ndarray, z: np.ndarray, e: np.ndarray, y: np.ndarray,
                         count: int) -> np.ndarray:
    """(g / count) * (σ(Z) - Y): the notes' dZ[2] = A[2] - Y, scaled; computed in
    σ's own fresh array (the same roundings as the expression, fewer arrays)."""
    out = _sigmoid(z, e)
    np.subtract(out, y, out=out)
    # g is 0-d (J is a scalar): a Python float divides it with the same rounding, faster
    return np.multiply(float(g) / count, out, out=out)


@op("binary_cross_entropy", 2)
def _bce(a, y):
    """J with A clipped to [1e-15, 1 - 1e-15]; dJ/dA = (A - Y) / (A (1 - A)) / count
    inside the clip, 0 outside it."""
    _check_labels(a, y, "A")
    check_probabilities(a)
    one_minus_y = 1.0 - y
    count = a.size
    p = np.minimum(np.maximum(a, PROBABILITY_CLIP), 1.0 - PROBABILITY_CLIP)
    inside = p == a   # where the clip changed nothing, the formula's slope holds
    loss = -(np.vdot(y, np.log(p)) + np.vdot(one_minus_y, np.log1p(-p))) / count
    # As Y is 0 or 1, (A - Y) / (A (1 - A)) is 1 / (1 - Y - A).
    return np.asarray(loss), (lambda g: (g / count) * inside / (one_minus_y - p),
                              lambda g: (np.log1p(-p) - np.log(p)) * (g / count))
