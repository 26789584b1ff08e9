"""Activations and losses as functions of Tensors (or arrays).

The activations are the ops themselves; this module adds the loss of the
notes and a lookup by name, which is how networks pick their ``g[l]``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from minigrad.ops import identity, leaky_relu, op, relu, sigmoid, tanh

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


def _check_labels(a: np.ndarray, y: np.ndarray) -> None:
    if a.shape != y.shape:
        raise ValueError(f"A and Y must have the same shape; got {a.shape} and {y.shape}")
    bad = np.argwhere((y != 0) & (y != 1))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        raise ValueError(f"Y must hold only 0 and 1; got {y[index]} at {index}")


@op("binary_cross_entropy", 2)
def binary_cross_entropy(a, y):
    """J = -mean(Y log A + (1 - Y) log(1 - A)) over all entries.

    Shapes: A (1, m) and Y (1, m) (any equal shapes) -> scalar ().
    A is clipped to [1e-15, 1 - 1e-15], so J and its gradient stay finite at
    A = 0 or 1. dJ/dA = (A - Y) / (A (1 - A)) / count.
    """
    _check_labels(a, y)
    count = a.size
    p = np.clip(a, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    return np.asarray(loss), (lambda g: g * (p - y) / (p * (1.0 - p)) / count,
                              lambda g: g * (np.log1p(-p) - np.log(p)) / count)
