"""relu′(0): a choice, not a slip.

At z = 0 relu and leaky relu have no derivative: every slope between the two
sides (0 and 1 for relu, α and 1 for leaky relu) is a valid subgradient.
The notes allow either side; autograd takes the left one (relu′(0) = 0, leaky′(0) = α);
``dZ1[Z1 < 0] = 0``, ``Z >= 0`` or ``np.heaviside(Z, 1)`` take the right one, and
``np.heaviside(Z, 0.5)`` the slope halfway between them.
Where a hidden Z[l] sits on the kink (0, up to the rounding of its sum, so that
a hand that adds the terms in another order may land on either side), the
checker accepts either side at each such entry (beyond ``EVERY_COMBINATION``
entries, one rule per layer), or the slope halfway at a layer's: ``choose``
finds the sides the hand took, and ``KinkSides`` is g[l] with those sides, for
the slip search.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, product
from typing import Callable, Dict, Iterable, List, Mapping, Optional

import numpy as np

from nets import activations, slips

__all__ = ["KinkSides", "KinkChoice", "kink_entries", "choose", "sides"]

# |Z| within this many roundings of the size of its terms (|W| |A| + |b|): on the kink
ROUNDINGS = 64
# Up to this many kink entries every combination of sides is tried; beyond, one rule
# per layer (a hand writes one rule per layer, or one for all): the left side or the
# right side at every entry on the kink, Z > 0 (autograd's) or Z >= 0; and at any count
# the slope halfway between the sides (np.heaviside(Z, 0.5)), per layer too
EVERY_COMBINATION = 6
# Beyond this many choices of one rule per layer (4 layers of 4 distinct rules), one
# rule for every layer: a backward pass each, and a hand rarely mixes its rules
RULE_CHOICES = 256

# np.heaviside(Z, 0.5)'s relu′(0): halfway from the left side to the right
HALFWAY = 0.5

_TINY = np.finfo(np.float64).tiny


def sides(act: activations.Activation) -> Optional[tuple]:
    """(left, right) slopes at 0 of an activation with a kink; None without one."""
    left, right = (float(act.g_prime(np.array([v]))[0]) for v in (-_TINY, _TINY))
    return (left, right) if left != right else None


class KinkSides:
    """g[l] with the slope at its kink entries (``mask``) set to ``slope``
    (one number per entry of Z[l]): what ``nets.slips`` recomputes with."""

    def __init__(self, activation: activations.Activation, mask: np.ndarray,
                 slope: np.ndarray):
        self.activation, self.mask, self.slope = activation, mask, slope

    def __getattr__(self, key: str):   # name, params, g, ...: g[l]'s own
        return getattr(self.activation, key)

    def g_prime(self, z: np.ndarray) -> np.ndarray:
        slope = self.activation.g_prime(z)
        return np.where(self.mask, self.slope, slope) if slope.shape == self.mask.shape \
            else slope


def kink_entries(values: Mapping[str, np.ndarray],
                 hidden: Mapping[int, activations.Activation]) -> Dict[int, np.ndarray]:
    """For each hidden layer whose g has a kink, the entries of Z[l] on it
    (a boolean mask); layers with none are left out."""
    found = {}
    for l, act in hidden.items():
        if sides(act) is None:
            continue
        Z = values[f"Z[{l}]"]
        size = np.abs(values[f"W[{l}]"]) @ np.abs(values[f"A[{l - 1}]"]) \
            + np.abs(values[f"b[{l}]"])
        mask = np.abs(Z) <= ROUNDINGS * np.finfo(np.float64).eps * size
        if mask.any():
            found[l] = mask
    return found


def _candidates(values: Mapping[str, np.ndarray], hidden: Mapping[int, activations.Activation],
                kinks: Dict[int, np.ndarray]) -> List[Dict[int, KinkSides]]:
    """Choices of sides other than autograd's, the right side everywhere first."""
    layers = sorted(kinks)
    on_kink = {l: values[f"Z[{l}]"][kinks[l]] for l in layers}
    # autograd's own sides: the left where Z <= 0, the right at an entry a rounding above 0
    own = tuple(float(z > 0) for l in layers for z in on_kink[l])
    # per layer, a rule a hand writes: the right side or the left side at every entry
    # on the kink (a hand whose sums round the other way), Z >= 0 or Z > 0 on
    # autograd's Z (an entry a rounding below 0, 0.9999999999999999 - 1, takes the
    # left side, one a rounding above it the right); halfway where Z is 0 or at every
    # entry (np.heaviside(Z, 0.5))
    rules = {l: [np.ones(z.size), (z >= 0) * 1.0, np.zeros(z.size), (z > 0) * 1.0,
                 np.where(z == 0, HALFWAY, z > 0), np.full(z.size, HALFWAY)]
             for l, z in on_kink.items()}
    distinct = [_distinct(rules[l]) for l in layers]
    if np.prod([len(d) for d in distinct]) <= RULE_CHOICES:
        picked: Iterable[tuple] = product(*distinct)
    else:
        picked = (tuple(rules[l][k] for l in layers) for k in range(len(rules[layers[0]])))
    choices: Iterable[tuple] = (tuple(float(side) for rule in choice for side in rule)
                                for choice in picked)
    if len(own) <= EVERY_COMBINATION:
        # and every entry on either side
        choices = chain(choices, reversed(list(product((0.0, 1.0), repeat=len(own)))))
    out, seen = [], {own}
    for flat in choices:
        if flat not in seen:   # not autograd's own sides, nor one twice
            seen.add(flat)
            out.append(_with(hidden, kinks, flat))
    return out


def _distinct(rules: List[np.ndarray]) -> List[np.ndarray]:
    """``rules`` without repeats (on a layer with no entry a rounding off 0, Z >= 0 is
    the right side everywhere), in their order."""
    out: List[np.ndarray] = []
    for rule in rules:
        if not any(np.array_equal(rule, r) for r in out):
            out.append(rule)
    return out


def _with(hidden: Mapping[int, activations.Activation], kinks: Dict[int, np.ndarray],
          flat: tuple) -> Dict[int, KinkSides]:
    """``hidden`` with the kink entries (in layer order, then row-major) on the
    sides of ``flat``: 0 left (autograd's), 1 right, ``HALFWAY`` between them."""
    out: Dict[int, object] = dict(hidden)
    start = 0
    for l in sorted(kinks):
        mask, (left, right) = kinks[l], sides(hidden[l])
        n = int(mask.sum())
        slope = np.full(mask.shape, left)
        slope[mask] = left + np.array(flat[start:start + n]) * (right - left)
        out[l] = KinkSides(hidden[l], mask, slope)
        start += n
    return out


def choose(values: Mapping[str, np.ndarray], Y: np.ndarray,
           hidden: Mapping[int, activations.Activation], L: int,
           given: Mapping[str, np.ndarray], right: List[str],
           agree: Callable[[str, np.ndarray, np.ndarray], bool]) -> Optional["KinkChoice"]:
    """The sides at the kink entries that make the most of ``given`` (the
    hand's values by node, those of ``right`` agreeing with autograd already)
    agree, keeping ``right`` agreeing; None when no choice makes one more node
    agree."""
    kinks = kink_entries(values, hidden)
    if not kinks:
        return None
    best = None
    with np.errstate(all="ignore"):
        for candidate in _candidates(values, hidden, kinks):
            grads = slips.backward(values, Y, candidate, L)
            if grads is None:
                continue
            fits = [n for n, v in given.items() if n in grads and grads[n].shape == v.shape
                    and agree(n, grads[n], v)]
            gained = [n for n in fits if n not in right]
            if all(n in fits for n in right) and gained and \
                    (best is None or len(gained) > len(best[1])):
                best = (candidate, gained)
    return None if best is None else KinkChoice(*best)


@dataclass
class KinkChoice:
    """What the hand took at the kink: per layer, the entries on it and how
    many of them it took on the right side (autograd takes the left), or halfway."""
    hidden: Dict[int, object]
    gained: List[str]

    def layers(self) -> List[tuple]:
        """[(l, activation, entries on the kink, {slope: how many took it})], for
        the right side's slope and the one halfway, those taken at all."""
        out = []
        for l, act in sorted(self.hidden.items()):
            if isinstance(act, KinkSides):
                left, right = sides(act.activation)
                taken = {s: int(np.sum(act.mask & (act.slope == s)))
                         for s in (right, left + HALFWAY * (right - left))}
                out.append((l, act.activation, int(act.mask.sum()),
                            {s: n for s, n in taken.items() if n}))
        return out

    @property
    def halfway(self) -> bool:
        """Whether the hand took a slope between the sides somewhere (no side:
        np.heaviside(Z, 0.5))."""
        return any(s != sides(act)[1] for _, act, _, taken in self.layers() for s in taken)
