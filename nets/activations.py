"""Activations g and their derivatives g', written by hand in numpy.

These are the formulas the notes derive, used by the hand-written backprop
(``dZ[1] = W[2]ᵀ dZ[2] * g[1]'(Z[1])``), kept apart from the engine's ops in
``minigrad`` so that the two can be checked against each other. Every function works
elementwise on an array of any shape and returns float64 of that shape.

Each derivative comes in two forms:

- ``g_prime(z)`` takes the **pre-activation** Z, like ``g[1]'(Z[1])`` above;
- ``g_prime_from_a(a)`` takes the **activation** A = g(Z), as the notes write
  ``σ' = a(1-a)`` and ``tanh' = 1-a²``, reusing A from the forward pass. For
  relu and leaky relu, ``a > 0`` exactly when ``z > 0``, so both forms agree.

At the kink z = 0 we pick one side, as the notes and PyTorch do:
``relu'(0) = 0`` and ``leaky'(0) = α``.

This module is the one registry of activations: ``ACTIVATIONS`` maps a name
to an ``Activation``, which knows its parameters, g, g' (from z and from a)
and the engine op that computes it on a graph (``act.op(Z)``). The networks,
the command line and the tests take their activations from here;
``get(name, **params)`` looks one up (``get("leaky_relu", alpha=0.1)`` for
another slope).
"""
from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, Tuple

import numpy as np
from numpy.typing import ArrayLike

import minigrad as mg

__all__ = [
    "sigmoid", "sigmoid_prime", "sigmoid_prime_from_a",
    "tanh", "tanh_prime", "tanh_prime_from_a",
    "relu", "relu_prime", "relu_prime_from_a",
    "leaky_relu", "leaky_relu_prime", "leaky_relu_prime_from_a",
    "identity", "identity_prime",
    "Activation", "ACTIVATIONS", "NAMES", "get",
]

Fn = Callable[[ArrayLike], np.ndarray]


def _f64(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


# --- sigmoid --------------------------------------------------------------

def sigmoid(z: ArrayLike) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(-z)), without overflow at any z.

    e^(-z) overflows for z < -709, so we only ever exponentiate -|z| (<= 0):
    σ(z) = 1 / (1 + e^(-|z|)) for z >= 0 and e^(-|z|) / (1 + e^(-|z|)) for
    z < 0. This also keeps full relative precision for very negative z.
    """
    z = _f64(z)
    with np.errstate(under="ignore"):  # e^(-1000) -> 0.0 is the right answer
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime_from_a(a: ArrayLike) -> np.ndarray:
    """σ' = a (1 - a), given a = σ(z)."""
    a = _f64(a)
    return a * (1.0 - a)


def sigmoid_prime(z: ArrayLike) -> np.ndarray:
    """σ'(z) = σ(z) (1 - σ(z)); 1/4 at z = 0, vanishing as |z| grows (saturation).

    Computed as e / (1 + e)² with e = e^(-|z|): the same number, but it keeps
    its digits where 1 - σ(z) rounds to 0 (z > 37) instead of becoming 0.
    """
    z = _f64(z)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
    return e / ((1.0 + e) * (1.0 + e))


# --- tanh -------------------------------------------------------------------

def tanh(z: ArrayLike) -> np.ndarray:
    """tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z)); numpy's is stable at any z."""
    return np.tanh(_f64(z))


def tanh_prime_from_a(a: ArrayLike) -> np.ndarray:
    """tanh' = 1 - a², given a = tanh(z)."""
    a = _f64(a)
    return 1.0 - a * a


def tanh_prime(z: ArrayLike) -> np.ndarray:
    """tanh'(z) = 1 - tanh(z)²; 1 at z = 0, vanishing as |z| grows."""
    return tanh_prime_from_a(tanh(z))


# --- relu -------------------------------------------------------------------

def relu(z: ArrayLike) -> np.ndarray:
    """relu(z) = max(0, z). NaN stays NaN (np.maximum propagates it)."""
    return np.maximum(_f64(z), 0.0)


def relu_prime(z: ArrayLike) -> np.ndarray:
    """relu'(z) = 1 if z > 0 else 0; 0 at z = 0 (PyTorch's choice; the notes allow 0 or 1)."""
    return (_f64(z) > 0).astype(np.float64)


def relu_prime_from_a(a: ArrayLike) -> np.ndarray:
    """relu' from a = relu(z): a > 0 exactly when z > 0."""
    return relu_prime(a)


# --- leaky relu ---------------------------------------------------------------

def _check_alpha(alpha: object) -> float:
    # alpha >= 0 keeps sign(a) == sign(z), which g_prime_from_a relies on.
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) \
            or not math.isfinite(alpha) or alpha < 0:
        raise ValueError(f"leaky_relu: alpha must be a finite number >= 0; got {alpha!r}")
    return float(alpha)


def leaky_relu(z: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """leaky_relu(z) = z if z > 0 else α z (α = 0.01: negative inputs keep a small slope)."""
    alpha = _check_alpha(alpha)
    z = _f64(z)
    if alpha == 0:   # relu: alpha * z would be NaN at z = -inf, where relu gives 0
        return np.maximum(z, 0.0)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_prime(z: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """leaky'(z) = 1 if z > 0 else α; α at z = 0 (same side as relu'(0) = 0)."""
    alpha = _check_alpha(alpha)
    return np.where(_f64(z) > 0, 1.0, alpha)


def leaky_relu_prime_from_a(a: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """leaky' from a = leaky_relu(z): for α >= 0, a > 0 exactly when z > 0."""
    return leaky_relu_prime(a, alpha)


# --- identity -----------------------------------------------------------------

def identity(z: ArrayLike) -> np.ndarray:
    """g(z) = z, the "linear activation" whose layers collapse into one."""
    return _f64(z).copy()


def identity_prime(z: ArrayLike) -> np.ndarray:
    """identity'(z) = 1 everywhere."""
    return np.ones_like(_f64(z))


# --- registry -------------------------------------------------------------

@dataclass(frozen=True)
class Activation:
    """One activation, everything about it in one place.

    ``name`` and ``params`` (leaky ReLU's ``alpha``; none for the others) say
    which function it is; ``g(z)``, ``g_prime(z)`` and ``g_prime_from_a(a)``
    are the hand formulas and ``op(Z)`` the engine's op, all with those
    parameters bound: ``get("leaky_relu", alpha=0.3).op(Z)`` is
    ``mg.leaky_relu(Z, alpha=0.3)``. A parameter reads as an attribute
    (``act.alpha``). Build one with ``get``; the fields that start with
    ``_`` hold the unbound functions, each taking the parameters as keywords.
    """

    name: str
    params: Tuple[Tuple[str, float], ...]
    _g: Callable[..., np.ndarray] = field(repr=False, compare=False)
    _g_prime: Callable[..., np.ndarray] = field(repr=False, compare=False)
    _g_prime_from_a: Callable[..., np.ndarray] = field(repr=False, compare=False)
    _op: Callable[..., mg.Tensor] = field(repr=False, compare=False)
    _check: Callable[..., Dict[str, float]] = field(repr=False, compare=False)

    @property
    def kwargs(self) -> Dict[str, float]:
        """The parameters as keywords: ``{"alpha": 0.3}``, or ``{}``."""
        return dict(self.params)

    def __getattr__(self, key: str) -> float:
        # only reached when ordinary lookup fails: a parameter, by name
        if not key.startswith("_"):
            for name, value in object.__getattribute__(self, "params"):
                if name == key:
                    return value
        raise AttributeError(f"activation has no attribute {key!r}")

    def g(self, z: ArrayLike) -> np.ndarray:
        """a = g(z), elementwise."""
        return self._g(z, **self.kwargs)

    def g_prime(self, z: ArrayLike) -> np.ndarray:
        """g'(z), from the pre-activation z."""
        return self._g_prime(z, **self.kwargs)

    def g_prime_from_a(self, a: ArrayLike) -> np.ndarray:
        """g' from the activation a = g(z), as the notes write σ' = a(1-a)."""
        return self._g_prime_from_a(a, **self.kwargs)

    def op(self, Z: mg.Tensor) -> mg.Tensor:
        """The engine's op on a tensor, with this activation's parameters."""
        return self._op(Z, **self.kwargs)

    def bound_op(self) -> Callable[[mg.Tensor], mg.Tensor]:
        """``op`` as one function with the parameters bound, for a loop that calls
        it at every step (``mg.tanh`` itself when there are none)."""
        return functools.partial(self._op, **self.kwargs) if self.params else self._op

    def with_params(self, **params: float) -> "Activation":
        """The same activation with other parameters (checked, as ``get`` does)."""
        unknown = sorted(set(params) - {k for k, _ in self.params})
        if unknown:
            takes = (f"only {', '.join(k for k, _ in self.params)}" if self.params
                     else "no parameters")
            raise ValueError(f"activation {self.name!r} takes {takes}; "
                             f"got {', '.join(unknown)}")
        checked = self._check(**{**self.kwargs, **params})
        return replace(self, params=tuple(checked.items()))

    def __str__(self) -> str:
        """``tanh``, ``leaky_relu(alpha=0.3)``: the name, and the parameters if any."""
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.params)})"


def _no_params() -> Dict[str, float]:
    return {}


def _leaky_params(alpha: object = 0.01) -> Dict[str, float]:
    return {"alpha": _check_alpha(alpha)}


def _activation(name: str, g: Callable, g_prime: Callable, g_prime_from_a: Callable,
                op: Callable, check: Callable = _no_params) -> Activation:
    return Activation(name, tuple(check().items()), g, g_prime, g_prime_from_a, op, check)


ACTIVATIONS: Dict[str, Activation] = {a.name: a for a in [
    _activation("sigmoid", sigmoid, sigmoid_prime, sigmoid_prime_from_a, mg.sigmoid),
    _activation("tanh", tanh, tanh_prime, tanh_prime_from_a, mg.tanh),
    _activation("relu", relu, relu_prime, relu_prime_from_a, mg.relu),
    _activation("leaky_relu", leaky_relu, leaky_relu_prime, leaky_relu_prime_from_a,
                mg.leaky_relu, _leaky_params),
    _activation("identity", identity, identity_prime, identity_prime, mg.identity),
]}

#: Every activation's name: what the command line, the test strategies and
#: ``nets.testing`` offer.
NAMES: Tuple[str, ...] = tuple(ACTIVATIONS)


def get(name: "str | Activation", **params: float) -> Activation:
    """The ``Activation`` called ``name``, with ``params`` (``get("leaky_relu",
    alpha=0.3)``); an ``Activation`` is returned as is.

    An unknown name or a parameter the activation does not take is a
    ``ValueError`` that lists what is valid.
    """
    if isinstance(name, Activation):
        if params:
            raise ValueError(f"get: pass parameters with a name, e.g. get('leaky_relu', "
                             f"alpha=0.1), or use {name.name}.with_params(...); got an "
                             f"Activation and {', '.join(sorted(params))}")
        return name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid names: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name].with_params(**params) if params else ACTIVATIONS[name]
