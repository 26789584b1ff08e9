"""The classic slips of hand-written backprop, as hypotheses to test.

A wrong gradient says where an error is, not what it is. Each ``Slip`` here
is one way learners get the notes' formulas wrong (a missing or doubled 1/m,
A[1] in place of g'(Z[1]), 1 - Z² or sigmoid's A(1 - A) for tanh's 1 - A², a
transpose, a lost keepdims, dropped parentheses, σ′ applied twice at the
output, W[2]ᵀ left out, relu's mask reversed, b left out of a hand's own
forward pass, ...; leaky relu with another α than the net's is ``nets.alphas``'s;
each kind is declared once, in ``nets.slip_kinds``); ``backward`` recomputes
every gradient of a net laid out as the notes (Z[l], A[l], W[l], b[l],
sigmoid output) with one slip made, and ``explain`` keeps the slips whose
numbers are the learner's at every node the learner returned: the evidence
``check_backprop`` reports ("likely slip: ...").

Gradients are in the notes' conventions: dZ, dA per sample; dW, db with 1/m.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from nets import activations
from nets.slip_kinds import (COVERED, G_PRIME, HIDDEN, KINDS, LAYER, ONCE, RIGHT, WRITTEN,
                             WRITTEN_ON_Z, At, Kind, Values, at_layer, negative_slope)

__all__ = ["Slip", "slips", "other_activations", "backward", "explain", "one_error_fits"]


@dataclass(frozen=True)
class Slip:
    """One slip at one layer: ``what`` went wrong and the ``formula`` as the
    learner's numbers have it, in the notes' notation (W[l], dZ[l]); ``kind``
    names its record in ``nets.slip_kinds``. ``activation``: for a g′ that is
    another activation's (relu′ on a tanh net), that activation's name: the
    formulas may be right for it; ``alpha``: for leaky relu with another α
    than the net's (``nets.alphas``), that α."""
    kind: str
    layer: int
    what: str
    formula: str
    activation: Optional[str] = None
    alpha: Optional[float] = None

    @classmethod
    def at(cls, kind: str, layer: int, what: str, formula: str,
           activation: Optional[str] = None, alpha: Optional[float] = None) -> "Slip":
        """The slip with its texts (in [l]) written for ``layer``."""
        return cls(kind, layer, at_layer(what, layer), at_layer(formula, layer), activation, alpha)

    def layers(self, L: int) -> Sequence[int]:
        """The layers it is made at: its own; at layer 0, every hidden layer for
        a hidden layer's slip, every layer for the net's."""
        if self.layer:
            return [self.layer]
        return range(1, L) if KINDS[self.kind].where == "hidden" else range(1, L + 1)

    def nodes(self, L: int) -> frozenset:
        """The nodes whose gradient formula the slip itself changes (``"W[1]"``
        for dW[1]): the other nodes it spoils follow from these."""
        kind, layers = KINDS[self.kind], self.layers(L)
        own = {f"{letter}[{l}]" for letter in kind.changes for l in layers}
        if kind.forward:   # an A[l] it changes changes J (dZ[L]) and dW[l+1]; a Z[l], g′(Z[l])
            own |= {f"Z[{L}]", *(f"W[{l + 1}]" for l in layers if l < L)}
            if kind.forward_Z is not None:
                own |= {f"Z[{l}]" for l in layers}
        return frozenset(own)

    @property
    def in_g_prime(self) -> bool:
        """A slip in a hidden layer's g′(Z[l]) (left out, A for it, ...)."""
        return KINDS[self.kind].in_g_prime

    @property
    def every_hidden_layer(self) -> bool:
        """A hidden layer's slip made at each hidden layer (layer 0)."""
        return self.layer == 0 and KINDS[self.kind].where == "hidden"


def _made(kind: Kind, layer: int, arg: object, suffix: str = "") -> Slip:
    """``kind`` made at ``layer``, its texts written with the section's ``arg``."""
    def text(t: object) -> Optional[str]:
        return t(arg) if callable(t) else t
    return Slip.at(kind.name, layer, text(kind.what) + suffix, text(kind.formula), text(kind.other))


def slips(L: int, hidden: Mapping[int, activations.Activation]) -> List[Slip]:
    """Every slip of an L-layer net, output layer first; ``hidden[l]`` is g[l]."""
    found = [_made(kind, L if kind.where == "output" else 0, L)
             for kind in ONCE if kind.applies(L)]
    for l in range(L, 0, -1):
        below = hidden.get(l - 1)   # the activation of A[l-1]; None at l = 1 (X)
        found += [_made(kind, l, below) for kind in LAYER if kind.applies(below)]
        if l < L:
            found += [_made(kind, l, hidden[l]) for kind in HIDDEN if kind.applies(hidden[l])]
    # one helper (relu_backward) or one loop body for every hidden layer: its slip
    # is at each of them, which no slip at one layer reproduces
    names = {hidden[l].name for l in range(1, L)}
    if L >= 3 and len(names) == 1:
        # a leaky relu's α may differ by layer: a relu′ slip shows where one is not 0
        act = max((hidden[l] for l in range(1, L)), key=negative_slope)
        found += [_made(kind, 0, act, ", at every hidden layer")
                  for kind in HIDDEN if kind.applies(act)]
    return found


def other_activations(L: int, hidden: Mapping[int, activations.Activation]) -> List[Slip]:
    """g′ of another activation at a hidden layer (relu′ on a tanh net): the
    formulas of an assignment done for that activation, checked on a net of
    this one. Tried only when no slip of ``slips`` gives the numbers (see
    ``explain``). Those ``slips`` has already (σ′ for tanh′ and back, relu′ for
    leaky relu′) are not repeated; the identity's g′ is "g′ left out"."""
    def at(l: int, g: activations.Activation, where: str) -> List[Slip]:
        return [Slip.at("another g", l,
                        f"{name}′ ({G_PRIME[name]}) in place of {g.name}′ "
                        f"({G_PRIME[g.name]}){where}",
                        f"dZ[l] = W[l+1]ᵀ dZ[l+1] * {WRITTEN[name]}", name)
                for name in WRITTEN if name not in (g.name, *COVERED.get(g.name, ()))] + \
            [Slip.at("another g from Z", l,
                     f"{name}′ computed from Z[l] (the course's {name}_backward(dA, Z)) in "
                     f"place of {g.name}′ ({G_PRIME[g.name]}){where}",
                     f"dZ[l] = W[l+1]ᵀ dZ[l+1] * {written}", name)
             for name, written in WRITTEN_ON_Z.items() if name != g.name]

    found = [slip for l in range(L - 1, 0, -1) for slip in at(l, hidden[l], "")]
    names = {hidden[l].name for l in range(1, L)}
    if L >= 3 and len(names) == 1:   # one helper for every hidden layer
        found += at(0, hidden[1], ", at every hidden layer")
    return found


def _forward(values: Values, hidden: Mapping[int, activations.Activation], L: int,
             slip: Slip) -> Dict[str, np.ndarray]:
    """The forward values of a learner's own forward pass with ``slip`` (a kind
    with ``forward_Z`` or ``forward_A``) made, everything after it recomputed
    (Z[l+1], ..., A[L] = σ(Z[L])): leaky relu of ``slip.alpha`` at the hidden
    layers the slip is made at, or Z[l] = W[l] A[l-1] without b[l] at every layer."""
    kind, layers = KINDS[slip.kind], slip.layers(L)
    new, changed = dict(values), False
    for l in range(1, L + 1):
        at = At(new, l, hidden.get(l), slip)
        if kind.forward_Z is not None and l in layers:
            new[f"Z[{l}]"] = kind.forward_Z(at)
            changed = True
        elif changed:
            new[f"Z[{l}]"] = new[f"W[{l}]"] @ new[f"A[{l - 1}]"] + new[f"b[{l}]"]
        if l == L:
            if changed:
                new[f"A[{L}]"] = activations.sigmoid(new[f"Z[{L}]"])
        elif kind.forward_A is not None and l in layers:
            new[f"A[{l}]"] = kind.forward_A(at)
            changed = True
        elif changed:
            new[f"A[{l}]"] = hidden[l].g(new[f"Z[{l}]"])
    return new


def _broadcasts(values: Values, L: int, slip: Slip) -> bool:
    """Whether ``slip`` (a kind with ``broadcast``) can be made on these shapes:
    at each hidden layer l it is made at, dZ[l+1] (or A[l+1]) has 1 row or l's."""
    letter = KINDS[slip.kind].broadcast
    for l in slip.layers(L):
        rows = values[f"{letter}[{l + 1}]"].shape[0]
        if rows not in (1, values[f"Z[{l}]"].shape[0]):
            return False
    return True


def backward(values: Values, Y: np.ndarray, hidden: Mapping[int, activations.Activation],
             L: int, slip: Optional[Slip] = None,
             start: Optional[Tuple[str, np.ndarray]] = None) -> Optional[Dict[str, np.ndarray]]:
    """The notes' backward pass, with ``slip`` made (None: the right one).
    None when the slip cannot be made on these shapes (W[l] in place of
    W[l]ᵀ where W[l] is not square). ``start``: ``(node, gradient)`` to run
    the pass from a node (``"Z[l]"`` or ``"A[l]"``, per sample) down, instead
    of from the loss: the gradients that follow from that one."""
    kind = KINDS[slip.kind] if slip is not None else RIGHT
    layers = slip.layers(L) if slip is not None else ()
    if kind.forward:
        values = _forward(values, hidden, L, slip)
    if kind.broadcast and not _broadcasts(values, L, slip):
        return None

    def formula(name: str, l: int) -> Callable:
        """The formula of gradient ``name`` at layer l: the slip's where it is
        made there and changes it, else the notes'."""
        own = getattr(kind, name) if l in layers else None
        return own or getattr(RIGHT, name)

    def at(l: int) -> At:
        return At(values, l, hidden.get(l), slip, Y)

    Z_L = values[f"Z[{L}]"]
    grads: Dict[str, np.ndarray] = {}

    def through_g(l: int, dA: np.ndarray) -> np.ndarray:
        """dZ[l] = dA[l] * g'(Z[l]) of a hidden layer, with the slip made."""
        grads[f"A[{l}]"] = dA
        return formula("dZ", l)(dA, at(l))

    if start is None:
        top = L
        dZ = formula("dZ_out", L)(at(L))
        # dA[L] = (A - Y) / σ'(Z[L]) per sample (σ' from Z keeps its digits where A rounds to 1)
        grads[f"A[{L}]"] = dZ / np.maximum(activations.sigmoid_prime(Z_L),
                                           np.finfo(np.float64).tiny)
    else:
        node, gradient = start
        top = int(node[2:-1])
        if node[0] == "Z":
            dZ = gradient
        elif top == L:   # dZ[L] = dA[L] * σ'(Z[L])
            grads[node] = gradient
            dZ = gradient * activations.sigmoid_prime(Z_L)
        else:
            dZ = through_g(top, gradient)
    for l in range(top, 0, -1):
        grads[f"Z[{l}]"] = dZ
        grads[f"W[{l}]"] = formula("dW", l)(dZ, at(l))
        grads[f"b[{l}]"] = formula("db", l)(dZ, at(l))
        if l == 1:
            break
        dA = formula("dA", l - 1)(dZ, at(l - 1))
        if dA is None:
            return None
        dZ = through_g(l - 1, dA)
    return grads


def explain(values: Values, Y: np.ndarray, hidden: Mapping[int, activations.Activation],
            L: int, given: Mapping[str, np.ndarray],
            agree: Callable[[str, np.ndarray, np.ndarray], bool]) -> List[Tuple[Slip, Dict]]:
    """The slips whose gradients ``agree`` with ``given`` (the learner's, by
    node name) at every node of ``given``, with those gradients."""
    def fitting(candidates: List[Slip]) -> List[Tuple[Slip, Dict]]:
        found = []
        with np.errstate(all="ignore"):   # a slip may overflow where the right formula does not
            for slip in candidates:
                grads = backward(values, Y, hidden, L, slip)
                if grads is not None and all(
                        name in grads and grads[name].shape == value.shape
                        and agree(name, grads[name], value) for name, value in given.items()):
                    found.append((slip, grads))
        return found

    # formulas for another activation come after every classic slip: where both give
    # the numbers (relu′ is 1 where every Z > 0, as "g′ left out" is), the slip is likelier;
    # another leaky relu α, fitted to the numbers, last
    from nets import alphas   # lazily: nets.alphas builds on this module
    return fitting(slips(L, hidden)) or fitting(other_activations(L, hidden)) or \
        fitting(alphas.alpha_slips(values, Y, hidden, L, given, agree))


def one_error_fits(values: Values, hidden: Mapping[int, activations.Activation], L: int,
                   node: str, given: Mapping[str, np.ndarray], rtol: float = 1e-6,
                   budget: int = 20_000_000) -> Optional[bool]:
    """Could ONE wrong gradient at ``node`` (``"Z[l]"`` or ``"A[l]"``, not
    returned), with the notes' right formulas below it, give every value of
    ``given`` (wrong nodes below ``node``)?

    The gradients below ``node`` are linear in its gradient E: dW[l] = (1/m)
    E A[l-1]ᵀ, db[l] = (1/m) Σ E, dA[l-1] = W[l]ᵀ E, dZ[l-1] = dA[l-1] * g′(Z[l-1]),
    ... So the question is whether the given values lie in the range of that
    linear map F: a least-squares residual, relative to the values' size.
    False when no E gives them (they need more than one error), True when
    one does, None when this cannot say (a node not below ``node``, values
    that are not finite, or an F too big to build: more than ``budget`` entries).
    A value of another shape than the node's never fits (no E gives it).

    With many samples this rarely says False: E has n[l]·m entries, and when
    m > n[l-1] + 1 any dW[l], db[l] whatsoever come from some E.
    """
    kind, l = node[0], int(node[2:-1])
    if kind not in "ZA" or not 1 <= l <= L:
        return None
    m = values["A[0]"].shape[1]

    def slope(k: int) -> np.ndarray:   # g'(Z[k]) per sample, the output's σ' for k = L
        Z = values[f"Z[{k}]"]
        return activations.sigmoid_prime(Z) if k == L else hidden[k].g_prime(Z)

    shape = {}
    for k in range(1, l + 1):
        shape.update({f"W[{k}]": values[f"W[{k}]"].shape, f"b[{k}]": values[f"b[{k}]"].shape,
                      f"Z[{k}]": values[f"Z[{k}]"].shape})
        if k < l:
            shape[f"A[{k}]"] = values[f"A[{k}]"].shape
    shape.pop(node, None)   # Z[l] is E itself; A[l], when E is dA[l], is not in shape
    if any(name not in shape for name in given):
        return None
    if any(np.shape(value) != shape[name] for name, value in given.items()):
        return False
    target = np.concatenate([np.ravel(given[n]) for n in given]) if given else np.zeros(0)
    unknowns = values[f"Z[{l}]"].size
    if target.size * unknowns > budget:
        return None
    if not np.isfinite(target).all():
        return None
    rows = []
    for name in given:   # F's rows: F's adjoint applied to each unit value of name
        k = int(name[2:-1])
        n = int(np.prod(shape[name]))
        unit = np.eye(n).reshape((n, *shape[name]))
        if name[0] == "W":             # dW[k] = (1/m) dZ[k] A[k-1]ᵀ
            adj = unit @ values[f"A[{k - 1}]"] / m
        elif name[0] == "b":           # db[k] = (1/m) Σ dZ[k]
            adj = np.broadcast_to(unit, (n, shape[name][0], m)) / m
        elif name[0] == "Z":
            adj = unit
        else:                          # dA[k] = W[k+1]ᵀ dZ[k+1]
            k += 1
            adj = values[f"W[{k}]"] @ unit
        for j in range(k, l):          # dZ[j+1] feeds dZ[j] = (W[j+1]ᵀ dZ[j+1]) * g'(Z[j])
            adj = values[f"W[{j + 1}]"] @ (adj * slope(j))
        rows.append(adj.reshape(n, -1))
    F = np.concatenate(rows)
    if kind == "A":   # E is dA[l]: dZ[l] = E * g'(Z[l])
        F = F * slope(l).ravel()
    top = float(np.max(np.abs(target), initial=0.0))
    if top == 0.0:
        return True
    target = target / top   # the residual is relative: scaled, a 1e300 value does not overflow
    size = float(np.linalg.norm(target))
    u, s, _ = np.linalg.svd(F, full_matrices=False)
    # directions F reaches only by an E ~1e10 times too big count as not reached
    u = u[:, s > 1e-10 * s[0]] if s.size and s[0] > 0 else u[:, :0]
    residual = float(np.linalg.norm(target - u @ (u.T @ target)))
    return residual <= rtol * size
