"""Gradients with fewer digits than float64 in a backprop check.

``check_backprop`` compares in float64 (the course's 2e-7 needs its digits). A
hand value that came back as float32, or went through float32 on the way (an
``astype(np.float32)``, a float32 X), is WRONG there for want of digits, not of
formulas: the check says so when the difference is no more than float32's
rounding of the terms the gradient adds up (``within_rounding``), and that the
formulas look right only when the value also agrees with autograd to
``FLOAT32_AGREEMENT`` (``float32_digits``): a 1% slip in a sum that cancels is
as close to autograd, in the size of its terms, as float32's rounding is. And
only when the numbers show float32 themselves (``float32_shown``): a float64
formula off by a constant 0.99999, or with an ε added in a log, is as close;
without that evidence the report says it cannot tell the two apart. And a
float64 value that a classic slip the report finds for the other wrong nodes
gives too is the slip's, not float32's (``given_by_slips``): at the course's
untrained net, 1 − Z[1]² for 1 − A[1]² is off by about Z[1]⁴, and dW[1] by as
little as float32's rounding.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Set

import numpy as np

from nets import activations, slips
from nets.diagnosis import join

__all__ = ["FEW_DIGITS_ROUNDINGS", "FLOAT32_AGREEMENT", "norm", "digits", "within_rounding",
           "float32_digits", "float32_gap", "float32_shown", "given_by_slips",
           "precision_lines", "cannot_tell_lines"]

# How many roundings of float32's precision, on the size of a gradient's terms,
# computing the course's formulas in float32 may leave (4 measured on the flower
# set, m up to 2000): a value off by more has a slip, whatever its type.
FEW_DIGITS_ROUNDINGS = 64
# A float64 value that is off by no more than float32's rounding (above) is read as
# the right formulas computed partly in float32 only if it also agrees with autograd
# to this relative difference (4 significant digits): a 1% slip is 5e-3, 50 times
# beyond, while float32 on sums that cancel reached 4e-5 (m from 1 to 400).
FLOAT32_AGREEMENT = 1e-4


def norm(x: np.ndarray) -> float:
    """‖x‖₂ without overflow: scaled by the largest entry first."""
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return top   # 0, inf, or nan

    return top * float(np.linalg.norm(x / top))


def digits(dtype: str) -> str:
    """"about 7": the significant decimal digits of a float type (float32's 24 bits)."""
    return f"about {round((np.finfo(dtype).nmant + 1) * np.log10(2))}"


def within_rounding(auto: np.ndarray, hand: np.ndarray, dtype: np.dtype,
                    scale: Optional[float], factor: int) -> bool:
    """Whether a hand value that came in fewer digits than float64 (float32)
    is off by no more than computing in them could make it: a few roundings of
    that type's precision on each term of the sums (``scale``). A slip such as
    a missing 1/m is far beyond that, and is traced as any other."""
    if dtype.kind != "f" or dtype.itemsize >= 8 or not np.isfinite(hand).all():
        return False
    size = max(scale * factor if scale is not None and np.isfinite(scale) else 0.0,
               norm(auto))
    return norm(auto - hand) <= FEW_DIGITS_ROUNDINGS * float(np.finfo(dtype).eps) * size


def float32_digits(auto: np.ndarray, hand: np.ndarray, dtype: np.dtype,
                   difference: Optional[float], scale: Optional[float], factor: int) -> bool:
    """Whether a float64 hand value that disagrees with autograd is what the
    right formulas give when part of them ran in float32: off by no more than
    float32's rounding on the terms of the sums (``within_rounding``) AND equal
    to autograd to ``FLOAT32_AGREEMENT`` (a slip, even a 1% one, is further off)."""
    if dtype.kind != "f" or dtype.itemsize < 8 or difference is None \
            or not difference <= FLOAT32_AGREEMENT:
        return False
    return within_rounding(auto, hand, np.dtype(np.float32), scale, factor)


def float32_gap(auto: np.ndarray, hand: np.ndarray, scale: Optional[float],
                factor: int, roundoff: float) -> str:
    """How far apart two finite arrays of one shape are, in the size of the terms
    their sums add up (``roundoff``: float64's share of them, the check's):
    "float64" (float64's round-off), "float32" (beyond float64's round-off, within
    float32's rounding: numbers that went through float32) or "" (further: a slip,
    or no scale to tell)."""
    if scale is None or not np.isfinite(scale) or not np.isfinite(hand).all():
        return ""
    size = max(scale * factor, norm(auto))
    gap = norm(auto - hand)
    if gap <= roundoff * size:
        return "float64"
    return "float32" if gap <= FEW_DIGITS_ROUNDINGS * float(np.finfo(np.float32).eps) * size \
        else ""


def given_by_slips(rows: Sequence[Any], found: Sequence[Sequence[tuple]],
                   agree: Callable[[str, np.ndarray, np.ndarray], bool]) -> List[str]:
    """The rows read as float32's digits (``digits_only``: float64 values off by
    no more than float32's rounding) whose values every slip of one group of
    ``found`` gives, to the check's tolerance (``agree(name, expected, given)``).
    ``found``: the groups of ``(slip, gradients)`` the report names for the
    other wrong nodes (one group for all of them, or one per part). Such a value
    is the slip's, computed in float64, not autograd's with float32's rounding
    in it: that rounding would have to land on the slip's numbers to 2e-7, which
    it does not by chance. The slip is the reading; the rows are traced with the
    others."""
    out = []
    for r in rows:
        if not r.digits_only or r.hand is None or r.hand.shape != r.shape:
            continue
        if any(each and all(r.name in grads and grads[r.name].shape == r.hand.shape
                            and agree(r.name, grads[r.name], r.hand) for _, grads in each)
               for each in found):
            out.append(r.name)
    return out


def precision_lines(rows: Sequence[Any], label: Callable[[str], str], tol: float,
                    shown: bool = True) -> List[str]:
    """The lines for the WRONG rows read as fewer digits (``hand_dtype``): those that
    came back as float32, and those float64 that went through float32 on the way
    (``digits_only``: the formulas look right), or, where the numbers do not show
    float32 (``shown``, ``float32_shown``), that may have: then a formula off by
    as little is as likely. ``label``: a node as the hand names it."""
    lines = []
    came = [r for r in rows if not r.digits_only]
    if came:
        dtypes = sorted({r.hand_dtype for r in came})
        wrong = join([label(r.name) for r in came])
        lines.append(f"{wrong} came back as {' and '.join(dtypes)}, which keeps "
                     f"{digits(dtypes[0])} significant digits: too few for this check's "
                     f"{tol:g}, whether the formulas are right or not. Compute in "
                     f"float64 (numpy's default, and the course's), then check again")
    cast = [r for r in rows if r.digits_only]
    if cast:
        wrong = join([label(r.name) for r in cast])
        one = len(cast) == 1
        worst = max(r.difference for r in cast)
        close = (f"{wrong} {'agrees' if one else 'agree'} with autograd to float32's precision "
                 f"(relative difference up to {worst:.1e}, within float32's rounding of the "
                 f"terms {'its sum adds' if one else 'their sums add'} up)")
        where = ("(an astype(np.float32), a float32 X or parameter, np.float32(...))")
        if shown:
            lines.append(
                f"{close}: the formulas look right; the digits are what is off. float32 "
                f"keeps {digits('float32')} significant digits, float64 "
                f"{digits('float64')}: somewhere the numbers went through float32 {where}. "
                f"Compute in float64 (numpy's default, and the course's), then check again")
        else:
            lines.append(
                f"{close}, not to float64's: either the right formulas with the numbers "
                f"gone through float32 somewhere {where}, or formulas off by about as "
                f"little (a constant such as 0.99999, an ε added in a log); these numbers "
                f"cannot tell them apart. Compute in float64 (numpy's default, and the "
                f"course's), then check again: what is still off is in the formulas")
    return lines


def cannot_tell_lines(rows: Sequence[Any], wrong: Set[str], named: Set[str], gained: Set[str],
                      label: Callable[[str], str]) -> List[str]:
    """Wrong nodes within float32's rounding of their terms, but too far from
    autograd's value to be read as float32's (sums that cancel: a 1% slip
    there is as small), where other nodes show the numbers went through
    float32 (off by more than float64's round-off, within float32's): the
    numbers cannot tell a slip there from float32's missing digits.
    ``wrong``: the nodes of a WRONG value the diagnosis traces; ``named``: those a slip
    gives (to the check's 2e-7: float32's noise would spoil that, the slip is
    the likelier story); ``gained``: rows the kink's other side made agree
    (off by that, not by float32)."""
    close = [r for r in rows if r.name in wrong - named and r.float32_gap == "float32"]
    trace = [r for r in rows if r.float32_gap == "float32" and r.name not in wrong
             and r.name not in gained]
    if not close or not trace:
        return []
    sums = join([label(r.name) for r in close])
    one = len(close) == 1
    seen = join([label(r.name) for r in trace])
    return [f"but {seen} {'is' if len(trace) == 1 else 'are'} off by float32's rounding "
            f"(more than float64's): these numbers look as if they went through float32. "
            f"{sums} {'is a sum' if one else 'are sums'} that cancel"
            f"{'s' if one else ''}, off by no more than float32's rounding of "
            f"{'its' if one else 'their'} terms: there the numbers cannot tell a slip from "
            f"float32's missing digits. Compute in float64 (numpy's default, and the "
            f"course's), then check again"]


def _in_float32(a: np.ndarray) -> np.ndarray:
    """``a`` rounded to float32's nearest, in float64 again."""
    with np.errstate(over="ignore"):
        return a.astype(np.float32).astype(np.float64)


def float32_shown(rows: Sequence[Any], context: Any) -> bool:
    """Whether the hand's numbers show that they went through float32, beyond
    being off by no more than its rounding (a formula off by a constant 0.99999,
    or an ε added in a log, is that close too): a value that came back as
    float32, or holds float32 numbers where autograd's are not (a cast at the
    end or on the way), or the notes' right formulas computed from X, from W
    and b, or from both rounded to float32, or with dZ[l] rounded to float32
    at one layer or at each, give every value the hand returned (to the check's
    tolerance). ``context``: ``nets.report.SlipContext`` (None: the net is
    not laid out as the notes, and only the values can show it)."""
    returned = [r for r in rows if r.compared and r.hand is not None
                and r.autograd is not None and r.hand.shape == r.autograd.shape
                and np.isfinite(r.hand).all()]
    if any(r.hand_dtype is not None and not r.digits_only for r in rows):
        return True   # a dtype of fewer digits came back
    if any(np.array_equal(r.hand, _in_float32(r.hand))
           and not np.array_equal(r.autograd, _in_float32(r.autograd)) for r in returned):
        return True
    if context is None or not returned:
        return False
    c = context
    given = {r.name: r.hand for r in returned}
    params = tuple(f"{k}[{l}]" for l in range(1, c.L + 1) for k in "Wb")
    inputs = [("A[0]",), params, ("A[0]", *params)]   # X, W and b, or both, in float32

    def fits(grads: Optional[dict]) -> bool:
        return grads is not None and all(n in grads and grads[n].shape == v.shape
                                         and c.agree(n, grads[n], v) for n, v in given.items())

    with np.errstate(all="ignore"):
        for names in inputs:
            values = {k: _in_float32(v) if k in names else v for k, v in c.values.items()}
            for l in range(1, c.L + 1):   # the forward pass again, from the rounded numbers
                values[f"Z[{l}]"] = values[f"W[{l}]"] @ values[f"A[{l - 1}]"] + values[f"b[{l}]"]
                values[f"A[{l}]"] = (c.hidden[l].g if l < c.L else activations.sigmoid)(
                    values[f"Z[{l}]"])
            if fits(slips.backward(values, c.Y, c.hidden, c.L)):
                return True
        right = slips.backward(c.values, c.Y, c.hidden, c.L)
        if right is None:
            return False
        for rounded in [{l} for l in range(1, c.L + 1)] + [set(range(1, c.L + 1))]:
            grads = dict(right)
            for l in range(c.L, 0, -1):   # dZ[l] rounded, and what follows from it
                if l in rounded:
                    below = slips.backward(c.values, c.Y, c.hidden, c.L,
                                           start=(f"Z[{l}]", _in_float32(grads[f"Z[{l}]"])))
                    if below is None:
                        break
                    grads.update(below)
            else:
                if fits(grads):
                    return True
    return False


