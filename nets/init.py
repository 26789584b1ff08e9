"""Weight initialisers for a net with layer sizes ``[n_x, n_h, ..., n_y]``.

``initialize(layer_dims, method, scale=None, seed)`` returns the parameters in the
notes' names and shapes::

    {"W[1]": (n[1], n[0]), "b[1]": (n[1], 1), "W[2]": (n[2], n[1]), ...}

float64 throughout, keys in layer order, every bias zero (biases do not need
to differ to break symmetry: the weights do that). Methods, in ``INITIALIZERS``:

- ``"random"``: ``randn * scale`` (scale 0.01 unless given: the course's,
  small so tanh and sigmoid start in their steep middle);
- ``"zeros"``: every weight 0, the notes' example of a net whose hidden units
  stay identical forever;
- ``"constant"``: every weight equals ``scale`` (0.01 unless given). The
  constant is ``scale``, not a separate argument, so any caller that passes
  ``method`` and ``scale`` (``TwoLayerNet``, the command line) reaches it; the
  symmetry problem is the same as with zeros, but the units are not dead;
- ``"xavier"``: ``randn * sqrt(1 / n[l-1])``, keeps the variance of Z steady
  through tanh layers;
- ``"he"``: ``randn * sqrt(2 / n[l-1])``, the same for ReLU layers.

Only "random" and "constant" take a ``scale`` (``SCALE_DEFAULTS``); "xavier"
and "he" set their own, "zeros" has none, and a scale given to them is a
``ValueError``: a learner who passes one expects it to matter.

Random methods draw W[1] first, then W[2], ... from one
``RandomState(seed)``, each as ``rng.randn(n[l], n[l-1])``: that order makes
the course's seed 2 give the course's numbers.
"""
from __future__ import annotations

import collections.abc
import math
import numbers
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from nets.seeds import random_state

__all__ = ["initialize", "INITIALIZERS", "SCALE_DEFAULTS"]

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

# The methods that take a scale, and the one they use when none is given (the
# course's 0.01). Every other method refuses a scale: see _resolve_scale.
SCALE_DEFAULTS: Dict[str, float] = {"random": 0.01, "constant": 0.01}

# What the methods without a scale do instead, for the error that refuses one.
_OWN_SCALE = {"zeros": "every weight is 0, there is nothing to scale",
              "xavier": "it sets its own, randn * sqrt(1 / n[l-1])",
              "he": "it sets its own, randn * sqrt(2 / n[l-1])"}


def _size(nbytes: int) -> str:
    """``nbytes`` for a reader: 14.6 TiB."""
    size, unit = float(nbytes), "bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if size < 1024 or unit == "EiB":
            break
        size /= 1024
    return f"{size:.1f} {unit}" if unit != "bytes" else f"{nbytes} bytes"


def check_dims(layer_dims: object) -> List[int]:
    """``layer_dims`` as a list of ints, or the ``ValueError`` ``initialize`` raises."""
    # an ordered sequence, read once: an iterator would be used up here (the net
    # then found no sizes: IndexError), a set has no order, a dict's keys and a
    # string's characters are not layer sizes
    ordered = isinstance(layer_dims, (collections.abc.Sequence, np.ndarray)) and \
        not isinstance(layer_dims, (str, bytes, bytearray))
    if not ordered:
        kind = f" (a {type(layer_dims).__name__}: pass a list)" if layer_dims is not None and \
            not isinstance(layer_dims, numbers.Number) else ""
        raise ValueError(f"initialize: layer_dims must be a sequence of layer sizes "
                         f"[n_x, n_h, ..., n_y]; got {layer_dims!r}{kind}")
    dims = list(layer_dims)  # type: ignore[call-overload]
    if len(dims) < 2:
        raise ValueError(f"initialize: layer_dims needs at least two sizes "
                         f"(inputs and outputs); got {dims!r}")
    for l, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"initialize: every layer size must be a positive int; "
                             f"got n[{l}] = {n!r} in {dims!r}")
    return [int(n) for n in dims]


def _resolve_scale(method: str, scale: Optional[float]) -> float:
    """The scale ``method`` uses: the given one, or its default when None. A
    scale given to a method that takes none is refused, never dropped."""
    if method not in SCALE_DEFAULTS:
        if scale is None:
            return 0.0   # unused: the method's weights do not depend on it
        why = _OWN_SCALE.get(method, "it does not take one")
        takes = " and ".join(repr(m) for m in SCALE_DEFAULTS)
        raise ValueError(f"initialize: init {method!r} takes no scale ({why}); got "
                         f"scale={scale!r}. Only init {takes} take a scale: leave scale "
                         f"out, or choose one of those")
    if scale is None:
        return SCALE_DEFAULTS[method]
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) \
            or not math.isfinite(scale):
        raise ValueError(f"initialize: scale must be a finite number; got {scale!r}")
    return float(scale)


def initialize(layer_dims: Sequence[int], method: str = "random",
               scale: Optional[float] = None, seed: int = 2) -> Dict[str, np.ndarray]:
    """Parameters ``{"W[l]": (n[l], n[l-1]), "b[l]": (n[l], 1)}`` for l = 1..L.

    ``layer_dims`` is ``[n_x, n_h, ..., n_y]`` (L + 1 positive ints: a list,
    tuple, range or 1-D int array; an iterator, set or dict is refused);
    ``method`` one of ``INITIALIZERS``; ``scale`` the multiplier for "random"
    and the value for "constant" (None: 0.01, ``SCALE_DEFAULTS``), and not
    given for the others; ``seed`` an int in [0, 2**32 - 1].
    Bad input is a ``ValueError`` saying what was expected.

    >>> p = initialize([2, 4, 1], seed=2)
    >>> p["W[1]"].shape, p["b[1]"].shape, p["W[2]"].shape
    ((4, 2), (4, 1), (1, 4))
    """
    dims = check_dims(layer_dims)
    if not isinstance(method, str) or method not in INITIALIZERS:
        raise ValueError(f"initialize: unknown method {method!r}; "
                         f"valid methods: {', '.join(INITIALIZERS)}")
    scale = _resolve_scale(method, scale)
    rng = random_state(seed, "initialize")
    weights = INITIALIZERS[method]
    params: Dict[str, np.ndarray] = {}
    for l in range(1, len(dims)):
        # W[l] before b[l], layer by layer: the draws happen in this order
        with np.errstate(over="raise", invalid="raise"):
            try:
                W = weights(rng, dims[l], dims[l - 1], scale)
            except FloatingPointError:
                raise ValueError(f"initialize: scale {scale:g} makes the weights of layer "
                                 f"{l} overflow float64; use a smaller scale") from None
            except MemoryError:   # numpy's own names no layer
                raise MemoryError(f"initialize: W[{l}] ({dims[l]}, {dims[l - 1]}) of "
                                  f"layer_dims {dims} needs {_size(8 * dims[l] * dims[l - 1])}"
                                  f" of float64, more than this machine can allocate; "
                                  f"n[{l}] = {dims[l]}, n[{l - 1}] = {dims[l - 1]}: a "
                                  f"typo?") from None
        params[f"W[{l}]"] = np.asarray(W, dtype=np.float64)
        params[f"b[{l}]"] = np.zeros((dims[l], 1), dtype=np.float64)
    return params
