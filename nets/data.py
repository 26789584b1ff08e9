"""Planar two-class datasets, made in numpy (no downloads).

Every function returns ``X (2, m)`` float64, one sample per column as in the
notes, and ``Y (1, m)`` float64 holding 0 and 1. All randomness goes through
``np.random.RandomState(seed)``, so a seed means the same data everywhere.

Shared conventions, so that every dataset behaves the same way:

- signature ``(m, seed, noise)``; ``noise`` is the standard deviation of the
  Gaussian jitter, so ``noise=0`` gives the noiseless shape;
- class 0 fills the first ``ceil(m/2)`` columns and class 1 the last
  ``m//2`` (no shuffle). An odd ``m`` is accepted: class 0 gets the extra
  point. For even ``m`` the flower is exactly the course's;
- ``m`` must be an int >= 2 (one point per class), ``noise`` a finite number
  >= 0, ``seed`` an int in [0, 2**32 - 1]; anything else is a ``ValueError``.

``DATASETS`` maps each name to its function; ``load(name, **kwargs)`` looks a
name up (the command line's ``--dataset NAME``).
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Dict, Tuple

import numpy as np

from nets.seeds import random_state

Dataset = Tuple[np.ndarray, np.ndarray]

__all__ = ["flower", "moons", "circles", "xor", "blobs", "gaussian_quantiles",
           "DATASETS", "load"]


# --- checks and helpers ---------------------------------------------------

def _check_m(name: str, m: object) -> int:
    # bool is an int subclass; True points is a bug, not a size.
    if isinstance(m, bool) or not isinstance(m, numbers.Integral):
        raise ValueError(f"{name}: m must be an int >= 2 (the number of points); "
                         f"got {m!r} of type {type(m).__name__}")
    if m < 2:
        raise ValueError(f"{name}: m must be >= 2, at least one point per class; got {m}")
    return int(m)


def _check_noise(name: str, noise: object, what: str = "noise") -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) \
            or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"{name}: {what} must be a finite number >= 0; got {noise!r}")
    return float(noise)


def _class_sizes(m: int) -> Tuple[int, int]:
    """Points in class 0 and class 1: class 0 takes the extra point of an odd m."""
    return m - m // 2, m // 2


def _stack(parts0: np.ndarray, parts1: np.ndarray) -> Dataset:
    """Columns of class 0 then class 1 -> X (2, m), Y (1, m) float64."""
    X = np.concatenate([parts0, parts1], axis=1).astype(np.float64)
    Y = np.concatenate([np.zeros(parts0.shape[1]), np.ones(parts1.shape[1])])
    return X, Y.reshape(1, -1)


# --- the datasets -------------------------------------------------------------

def flower(m: int = 400, seed: int = 1, noise: float = 0.2) -> Dataset:
    """The course's planar "flower": two classes of petals around the origin.

    For class j (0 then 1), with ``rng = RandomState(seed)`` and ray length 4::

        t = linspace(3.12 j, 3.12 (j+1), N_j) + noise * rng.randn(N_j)
        r = 4 sin(4 t)                         + noise * rng.randn(N_j)
        (x1, x2) = (r sin t, r cos t)

    With the defaults this is exactly the course's ``load_planar_dataset()``
    (its first point is (1.204442, 3.576114)). Returns X (2, m), Y (1, m).
    """
    m = _check_m("flower", m)
    noise = _check_noise("flower", noise)
    rng = random_state(seed, "flower")
    a = 4.0  # maximum ray length of a petal
    classes = []
    for j, n in enumerate(_class_sizes(m)):
        # draw t then r, class 0 then class 1: the course's order of draws
        t = np.linspace(3.12 * j, 3.12 * (j + 1), n) + noise * rng.randn(n)
        r = a * np.sin(4 * t) + noise * rng.randn(n)
        classes.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return _stack(*classes)


def moons(m: int = 400, seed: int = 1, noise: float = 0.2) -> Dataset:
    """Two interleaving half circles (like scikit-learn's ``make_moons``).

    Class 0 lies on the upper unit half circle, class 1 on a lower half circle
    centred at (1, 0.5); Gaussian jitter of std ``noise`` on both coordinates.
    Returns X (2, m), Y (1, m).
    """
    m = _check_m("moons", m)
    noise = _check_noise("moons", noise)
    rng = random_state(seed, "moons")
    n0, n1 = _class_sizes(m)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X0 = np.vstack([np.cos(t0), np.sin(t0)])
    X1 = np.vstack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    X0 = X0 + noise * rng.randn(2, n0)
    X1 = X1 + noise * rng.randn(2, n1)
    return _stack(X0, X1)


def circles(m: int = 400, seed: int = 1, noise: float = 0.05,
            factor: float = 0.5) -> Dataset:
    """A circle inside a circle (like scikit-learn's ``make_circles``).

    Class 0 on the unit circle, class 1 on the circle of radius ``factor``
    (0 < factor < 1), evenly spaced angles; Gaussian jitter of std ``noise``.
    Returns X (2, m), Y (1, m).
    """
    m = _check_m("circles", m)
    noise = _check_noise("circles", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) \
            or not 0 < factor < 1:
        raise ValueError(f"circles: factor (inner radius / outer radius) must be "
                         f"a number in (0, 1); got {factor!r}")
    rng = random_state(seed, "circles")
    classes = []
    for radius, n in zip((1.0, float(factor)), _class_sizes(m)):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        Xj = radius * np.vstack([np.cos(t), np.sin(t)])
        classes.append(Xj + noise * rng.randn(2, n))
    return _stack(*classes)


def xor(m: int = 400, seed: int = 1, noise: float = 0.1) -> Dataset:
    """The XOR pattern: label 1 where x1 and x2 have opposite signs.

    Each point is uniform in a quadrant of [-1, 1]²: class 0 in the first or
    third quadrant, class 1 in the second or fourth (a fair coin picks which),
    then Gaussian jitter of std ``noise``. With ``noise=0``, ``Y == (x1 x2 < 0)``.
    No single line separates the classes. Returns X (2, m), Y (1, m).
    """
    m = _check_m("xor", m)
    noise = _check_noise("xor", noise)
    rng = random_state(seed, "xor")
    classes = []
    for j, n in enumerate(_class_sizes(m)):
        u = rng.uniform(0.0, 1.0, size=(2, n))          # distances from the axes
        s = rng.choice([-1.0, 1.0], size=n)             # which of the two quadrants
        sign2 = s if j == 0 else -s                     # class 1: x2 has the other sign
        Xj = np.vstack([s * u[0], sign2 * u[1]])
        classes.append(Xj + noise * rng.randn(2, n))
    return _stack(*classes)


def blobs(m: int = 400, seed: int = 1, noise: float = 1.0) -> Dataset:
    """Two Gaussian blobs: class 0 around (-1.5, -1.5), class 1 around (1.5, 1.5).

    ``noise`` is each blob's standard deviation; at the default 1.0 the classes
    overlap a little, so a line (logistic regression) does well but not
    perfectly. Returns X (2, m), Y (1, m).
    """
    m = _check_m("blobs", m)
    noise = _check_noise("blobs", noise)
    rng = random_state(seed, "blobs")
    centres = (np.array([[-1.5], [-1.5]]), np.array([[1.5], [1.5]]))
    classes = [c + noise * rng.randn(2, n) for c, n in zip(centres, _class_sizes(m))]
    return _stack(*classes)


def gaussian_quantiles(m: int = 400, seed: int = 1, noise: float = 0.0) -> Dataset:
    """A standard 2-D Gaussian cut at its median radius (like ``make_gaussian_quantiles``).

    Draws m points from N(0, I); the ``ceil(m/2)`` nearest the origin are
    class 0 (a disc), the rest class 1 (a ring). ``noise`` (default 0) adds
    Gaussian jitter of that std after labelling, blurring the boundary.
    Columns keep their draw order within each class. Returns X (2, m), Y (1, m).
    """
    m = _check_m("gaussian_quantiles", m)
    noise = _check_noise("gaussian_quantiles", noise)
    rng = random_state(seed, "gaussian_quantiles")
    X = rng.randn(2, m)
    n0, _ = _class_sizes(m)
    # stable sort: equal radii keep their order, so the split is reproducible
    order = np.argsort(np.sum(X * X, axis=0), kind="stable")
    inner = np.zeros(m, dtype=bool)
    inner[order[:n0]] = True
    X0, X1 = X[:, inner], X[:, ~inner]
    X0 = X0 + noise * rng.randn(*X0.shape)
    X1 = X1 + noise * rng.randn(*X1.shape)
    return _stack(X0, X1)


# --- lookup by name -------------------------------------------------------------

DATASETS: Dict[str, Callable[..., Dataset]] = {
    "flower": flower,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "blobs": blobs,
    "gaussian_quantiles": gaussian_quantiles,
}


def load(name: str, **kwargs) -> Dataset:
    """``DATASETS[name](**kwargs)``: X (2, m), Y (1, m).

    Case and "-" vs "_" do not matter (``gaussian-quantiles`` works on the
    command line). An unknown name is a ``ValueError`` listing the valid ones.
    """
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else None
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    return DATASETS[key](**kwargs)
