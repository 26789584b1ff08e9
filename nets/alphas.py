"""Leaky relu with another α than the net's: the α a hand's numbers have.

A learner's formulas for leaky relu hold α as a number (``np.where(Z1 > 0, 1,
0.01)``); checked on a net of another α (``minigrad check --activation
leaky_relu --alpha 0.2``, or ``activations.get("leaky_relu", alpha=0.2)``)
every gradient below the hidden layer is off, right as the formulas are for
their own α. The α is read from the numbers: the gradients are affine in the
α of g′ alone (dZ[l] = dA[l] * where(Z[l] > 0, 1, α)), so one least-squares
step gives it; with α in the forward pass too (A[l] = where(Z[l] > 0, Z[l],
α Z[l])) a few Gauss-Newton steps do. An α is named only when the gradients
recomputed with it (its shortest decimal that does) agree with the hand's at
every node it returned, right nodes included (``slips.explain`` checks again),
when the net's own α does not, and when at least two numbers the hand
returned move with α: one number is fitted by any α, and says nothing.
"""
from __future__ import annotations

from typing import Callable, List, Mapping, Optional

import numpy as np

from nets import activations
from nets.slips import Slip, Values, backward

__all__ = ["alpha_slips", "written"]

_KINKED = ("relu", "leaky_relu")
# α is read in [0, 1]: a leaky relu's slope below 0 (relu's 0 included)
_LOW, _HIGH = 0.0, 1.0
_STEPS = 8     # Gauss-Newton steps for the forward pass's α (quadratic near the answer)
_H = 1e-6      # the forward difference of those steps


def alpha_slips(values: Values, Y: np.ndarray, hidden: Mapping[int, activations.Activation],
                L: int, given: Mapping[str, np.ndarray],
                agree: Callable[[str, np.ndarray, np.ndarray], bool]) -> List[Slip]:
    """The slips "leaky relu with α = a" (in g′ alone, or in the forward pass
    and g′) whose gradients are ``given``'s at every node, for a net whose
    hidden layers are all relu or all leaky relu; [] for any other."""
    names = {hidden[l].name for l in range(1, L)}
    if L < 2 or len(names) != 1 or not names <= set(_KINKED) or not given:
        return []
    current = _alpha_of(hidden[1])
    if any(_alpha_of(hidden[l]) != current for l in range(1, L)):
        return []   # layers of their own α: one α for all of them is no story
    layer = 1 if L == 2 else 0   # 0: every hidden layer (one helper for all)
    target = np.concatenate([np.ravel(v) for v in given.values()])
    found: List[Slip] = []
    with np.errstate(all="ignore"):
        for kind in ("another alpha", "another alpha forward"):
            def at(alpha: float, kind: str = kind) -> Optional[np.ndarray]:
                return _flat(backward(values, Y, hidden, L, _slip(kind, layer, alpha, current)),
                             given)
            fits = (lambda a, kind=kind: _fits(
                backward(values, Y, hidden, L, _slip(kind, layer, a, current)), given, agree))
            if fits(current):
                continue   # the net's own α gives the numbers: no other α is shown
            low, high = at(_LOW), at(_HIGH)
            if low is None or high is None or np.count_nonzero(high - low) < 2:
                continue   # fewer than two returned numbers move with α
            alpha = _step(0.0, target - low, high - low)
            if kind == "another alpha forward" and alpha is not None:
                alpha = _gauss_newton(at, target, alpha)
            if alpha is None:
                continue
            named = _shortest(alpha, fits)
            if named is not None:
                found.append(_slip(kind, layer, named, current))
    return found


def written(alpha: float) -> str:
    """α as the hint and the slip's text write it: every digit it needs
    (0.123456789, not :g's 0.123457, whose gradients are not the hand's)."""
    return np.format_float_positional(alpha, trim="-")


def _alpha_of(act: activations.Activation) -> float:
    return float(dict(act.params).get("alpha", 0.0))   # relu: α = 0


def _slip(kind: str, layer: int, alpha: float, current: float) -> Slip:
    """The slip of ``kind`` with ``alpha``, in the notes' notation; the net's α
    is ``current`` (0: a relu net)."""
    where = "" if layer else ", at every hidden layer"
    mine = "relu" if alpha == 0 else f"leaky relu with α = {written(alpha)}"
    net = "the net's relu" if current == 0 else f"the net's α = {current:g}"
    slope = "(Z[l] > 0)" if alpha == 0 else f"np.where(Z[l] > 0, 1, {written(alpha)})"
    formula = f"dZ[l] = W[l+1]ᵀ dZ[l+1] * {slope}"
    if kind == "another alpha":
        mine = "relu′" if alpha == 0 else f"leaky relu′ with α = {written(alpha)}"
        what = f"{mine} in place of {net}{where}"
    else:
        what = f"{mine} in the forward pass and in g′, in place of {net}{where}"
        forward = "A[l] = np.maximum(Z[l], 0)" if alpha == 0 else \
            f"A[l] = np.where(Z[l] > 0, Z[l], {written(alpha)} * Z[l])"
        formula = f"{forward}, {formula}"
    return Slip.at(kind, layer, what, formula, "relu" if alpha == 0 else "leaky_relu", alpha)


def _flat(grads: Optional[Mapping[str, np.ndarray]],
          given: Mapping[str, np.ndarray]) -> Optional[np.ndarray]:
    """The recomputed gradients of ``given``'s nodes, flat; None when a node is
    missing or of another shape, or they are not finite."""
    if grads is None or any(n not in grads or grads[n].shape != v.shape
                            for n, v in given.items()):
        return None
    out = np.concatenate([np.ravel(grads[n]) for n in given])
    return out if np.isfinite(out).all() else None


def _fits(grads: Optional[Mapping[str, np.ndarray]], given: Mapping[str, np.ndarray],
          agree: Callable[[str, np.ndarray, np.ndarray], bool]) -> bool:
    return _flat(grads, given) is not None and all(agree(n, grads[n], v)
                                                   for n, v in given.items())


def _gauss_newton(at: Callable[[float], Optional[np.ndarray]], target: np.ndarray,
                  alpha: float) -> float:
    """The α whose gradients come nearest ``target``, from ``alpha`` (the α of
    g′ alone: near it when the forward pass's α moves J little)."""
    for _ in range(_STEPS):
        alpha = min(max(alpha, _LOW), _HIGH - _H)
        here, ahead = at(alpha), at(alpha + _H)
        if here is None or ahead is None:
            break
        moved = _step(alpha, target - here, (ahead - here) / _H)
        if moved is None:
            break
        alpha = moved
    return alpha


def _step(alpha: float, gap: np.ndarray, slope: np.ndarray) -> Optional[float]:
    """``alpha`` moved by the least-squares step along ``slope`` that closes ``gap``;
    None when the slope is 0 or the step is not finite. Scaled first: a slope of
    1e-200 squares to 0 (underflow), not to a number."""
    top = float(np.max(np.abs(slope), initial=0.0))
    if not np.isfinite(top) or top == 0.0:
        return None
    unit = slope / top
    moved = alpha + float(np.dot(gap / top, unit) / np.dot(unit, unit))
    return moved if np.isfinite(moved) else None


def _shortest(alpha: float, fits: Callable[[float], bool]) -> Optional[float]:
    """The shortest decimal of ``alpha`` (0.2 for 0.19999999, 0 for 4e-17) in [0, 1] whose
    gradients fit; None when none does (then no α gives the hand's numbers)."""
    if not np.isfinite(alpha) or not _LOW - 1e-9 <= alpha <= _HIGH + 1e-9:
        return None
    for places in range(0, 13):   # decimal places: 4e-17 is read as 0, 0.19999999 as 0.2
        rounded = min(max(round(alpha, places), _LOW), _HIGH)
        if fits(rounded):
            return rounded
    return None
