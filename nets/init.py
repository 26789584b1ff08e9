"""Weight initialisers for a net with layer sizes ``[n_x, n_h, ..., n_y]``.

``initialize(layer_dims, method, scale, seed)`` returns the parameters in the
notes' names and shapes::

    {"W[1]": (n[1], n[0]), "b[1]": (n[1], 1), "W[2]": (n[2], n[1]), ...}

float64 throughout, keys in layer order, every bias zero (biases do not need
to differ to break symmetry: the weights do that). Methods, in ``INITIALIZERS``:

- ``"random"``: ``randn * scale`` (the course: scale 0.01, small so tanh and
  sigmoid start in their steep middle);
- ``"zeros"``: every weight 0, the notes' example of a net whose hidden units
  stay identical forever;
- ``"constant"``: every weight equals ``scale``. The constant is ``scale``,
  not a separate argument, so any caller that passes ``method`` and ``scale``
  (``TwoLayerNet``, the command line) reaches it; the symmetry problem is the
  same as with zeros, but the units are not dead;
- ``"xavier"``: ``randn * sqrt(1 / n[l-1])``, keeps the variance of Z steady
  through tanh layers;
- ``"he"``: ``randn * sqrt(2 / n[l-1])``, the same for ReLU layers.

``scale`` is used by "random" and "constant" only; "xavier" and "he" set
their own scale, "zeros" has none. Random methods draw W[1] first, then W[2],
... from one ``RandomState(seed)``, each as ``rng.randn(n[l], n[l-1])``: that
order makes the course's seed 2 give the course's numbers.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Dict, List, Sequence

import numpy as np

from nets.seeds import random_state

__all__ = ["initialize", "INITIALIZERS"]

# One layer's weights: (rng, n_out, n_in, scale) -> W (n_out, n_in).
# zeros and constant ignore the rng and draw nothing.
_WeightFn = Callable[[np.random.RandomState, int, int, float], np.ndarray]

INITIALIZERS: Dict[str, _WeightFn] = {
    "random": lambda rng, n_out, n_in, scale: rng.randn(n_out, n_in) * scale,
    "zeros": lambda rng, n_out, n_in, scale: np.zeros((n_out, n_in)),
    "constant": lambda rng, n_out, n_in, scale: np.full((n_out, n_in), float(scale)),
    "xavier": lambda rng, n_out, n_in, scale: rng.randn(n_out, n_in) * np.sqrt(1.0 / n_in),
    "he": lambda rng, n_out, n_in, scale: rng.randn(n_out, n_in) * np.sqrt(2.0 / n_in),
}


def _check_dims(layer_dims: object) -> List[int]:
    try:
        dims = list(layer_dims)  # type: ignore[call-overload]
    except TypeError:
        raise ValueError(f"initialize: layer_dims must be a sequence of layer sizes "
                         f"[n_x, n_h, ..., n_y]; got {layer_dims!r}") from None
    if len(dims) < 2:
        raise ValueError(f"initialize: layer_dims needs at least two sizes "
                         f"(inputs and outputs); got {dims!r}")
    for l, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"initialize: every layer size must be a positive int; "
                             f"got n[{l}] = {n!r} in {dims!r}")
    return [int(n) for n in dims]


def initialize(layer_dims: Sequence[int], method: str = "random",
               scale: float = 0.01, seed: int = 2) -> Dict[str, np.ndarray]:
    """Parameters ``{"W[l]": (n[l], n[l-1]), "b[l]": (n[l], 1)}`` for l = 1..L.

    ``layer_dims`` is ``[n_x, n_h, ..., n_y]`` (L + 1 positive ints);
    ``method`` one of ``INITIALIZERS``; ``scale`` the multiplier for "random"
    and the value for "constant"; ``seed`` an int in [0, 2**32 - 1].
    Bad input is a ``ValueError`` saying what was expected.

    >>> p = initialize([2, 4, 1], seed=2)
    >>> p["W[1]"].shape, p["b[1]"].shape, p["W[2]"].shape
    ((4, 2), (4, 1), (1, 4))
    """
    dims = _check_dims(layer_dims)
    if not isinstance(method, str) or method not in INITIALIZERS:
        raise ValueError(f"initialize: unknown method {method!r}; "
                         f"valid methods: {', '.join(INITIALIZERS)}")
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) \
            or not math.isfinite(scale):
        raise ValueError(f"initialize: scale must be a finite number; got {scale!r}")
    rng = random_state(seed, "initialize")
    weights = INITIALIZERS[method]
    params: Dict[str, np.ndarray] = {}
    for l in range(1, len(dims)):
        # W[l] before b[l], layer by layer: the draws happen in this order
        with np.errstate(over="raise", invalid="raise"):
            try:
                W = weights(rng, dims[l], dims[l - 1], float(scale))
            except FloatingPointError:
                raise ValueError(f"initialize: scale {scale:g} makes the weights of layer "
                                 f"{l} overflow float64; use a smaller scale") from None
        params[f"W[{l}]"] = np.asarray(W, dtype=np.float64)
        params[f"b[{l}]"] = np.zeros((dims[l], 1), dtype=np.float64)
    return params
