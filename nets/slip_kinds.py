"""The kinds of slip in hand-written backprop, each declared once.

A ``Kind`` is one way learners get the notes' formulas wrong, as one record:
its text (what went wrong, and the formula as the learner has it, in the
notes' notation with ``[l]``), where it is made, when a net has it, and the
learner's formulas as code, side by side with their text. A formula a kind
leaves as None is the notes' right one (``RIGHT``), and the formulas a kind
sets are the gradients it changes itself (``Kind.changes``): the others are
wrong only by following from them. ``nets.slips`` makes a kind at a layer of
a net (a ``Slip``) and recomputes the gradients with it.

The registry is in sections, by where a slip is made; ``slips.slips`` tries
them in this order (where two give the same numbers, the first is named):

- ``ONCE``: the output's dZ[L] (made at layer L), or the whole net at once
  (layer 0: the 1/m of every dW, db, or b left out of the forward pass);
- ``LAYER``: each layer l's dW[l] and db[l];
- ``HIDDEN``: a hidden layer l's dA[l] and dZ[l] = dA[l] * g′(Z[l]); one
  helper or loop body for every hidden layer makes it at each (layer 0);
- ``BY_NUMBERS``: hidden slips whose text is written from the net's
  activations or from the hand's numbers (``slips.other_activations``,
  ``nets.alphas``), never tried as the catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Union

import numpy as np

from nets import activations

__all__ = ["Kind", "At", "RIGHT", "ONCE", "LAYER", "HIDDEN", "BY_NUMBERS", "KINDS", "at_layer",
           "G_PRIME", "WRITTEN", "WRITTEN_ON_Z", "COVERED", "negative_slope", "written_g_prime"]

Values = Mapping[str, np.ndarray]   # "A[0]" (X), "W[l]", "b[l]", "Z[l]", "A[l]"
# a text, or a function of the section's argument (see Kind) that writes it
Text = Union[str, Callable[[Any], str], None]

# g'(Z[l]) as the notes write it, for the slip texts
G_PRIME = {"tanh": "1 − A[l]²", "sigmoid": "A[l](1 − A[l])", "relu": "1 where Z[l] > 0",
           "leaky_relu": "1 where Z[l] > 0, else α", "identity": "1"}
# g' written for A, applied to Z: where the two forms differ
_FROM_A_ON_Z = {"tanh": ("1 − Z[l]²", "1 − A[l]²"),
                "sigmoid": ("Z[l](1 − Z[l])", "A[l](1 − A[l])")}
# the other activation's slope, written for A: sigmoid's for a tanh layer and back
_OTHER_SLOPE = {"tanh": ("A[l](1 − A[l])", "1 − A[l]²"),
                "sigmoid": ("1 − A[l]²", "A[l](1 − A[l])")}
# g' is the same function of A as of Z
_SAME_ON_A = ("relu", "leaky_relu", "identity")
# g' as an assignment for each activation writes it (``written_g_prime``), for
# formulas written for another activation than the net's (``slips.other_activations``)
WRITTEN = {"tanh": "(1 − A[l]²)", "sigmoid": "A[l](1 − A[l])", "relu": "(Z[l] > 0)",
           "leaky_relu": "np.where(Z[l] > 0, 1, α)"}
# σ′ and tanh′ as the course's week-4 helpers write them, from Z (sigmoid_backward(dA,
# Z) computes s = σ(Z)): on a net of another activation, not the A[l](1 − A[l]) above
WRITTEN_ON_Z = {"sigmoid": "σ(Z[l])(1 − σ(Z[l]))", "tanh": "(1 − tanh(Z[l])²)"}
# the activations whose g' a slip of the catalogue already is: "other slope", "alpha dropped"
COVERED = {"tanh": ("sigmoid",), "sigmoid": ("tanh",), "leaky_relu": ("relu",)}
_UPSTREAM = "W[l+1]ᵀ dZ[l+1]"


def at_layer(text: str, layer: int) -> str:
    """A slip's text written for its layer: [l], [l-1], [l+1] numbered, A[0]
    written X; layer 0 (made at every hidden layer, or once for the net) keeps [l]."""
    if not layer:
        return text
    text = (text.replace("[l+1]", f"[{layer + 1}]").replace("[l-1]", f"[{layer - 1}]")
            .replace("[l]", f"[{layer}]"))
    return text.replace("A[0]", "X")


def negative_slope(act: activations.Activation) -> float:
    """g′ where z < 0: leaky relu's α (0 for relu)."""
    return float(act.g_prime(np.array([-1.0]))[0])


def written_g_prime(name: str, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """g′ of activation ``name`` as its assignment writes it, on another net's
    Z and A: from A for tanh and σ (the notes' 1 − A², A(1 − A)), from Z for
    relu and leaky relu (the course's relu_backward masks on Z)."""
    act = activations.get(name)
    return act.g_prime(Z) if name in _SAME_ON_A else act.g_prime_from_a(A)


@dataclass(frozen=True)
class At:
    """Layer l of a backward pass, in the notes' names, as a kind's formulas
    read it; ``g`` is a hidden layer's activation, ``slip`` the slip made (its
    activation or α)."""
    values: Values
    l: int
    g: Optional[activations.Activation] = None
    slip: Any = None
    Y: Optional[np.ndarray] = None   # the backward pass's; a forward pass has none

    def node(self, letter: str, step: int = 0) -> np.ndarray:
        return self.values[f"{letter}[{self.l + step}]"]

    A = property(lambda at: at.node("A"))
    Z = property(lambda at: at.node("Z"))
    W = property(lambda at: at.node("W"))
    A_prev = property(lambda at: at.node("A", -1))
    Z_prev = property(lambda at: at.node("Z", -1))
    A_next = property(lambda at: at.node("A", 1))
    W_next = property(lambda at: at.node("W", 1))
    X = property(lambda at: at.values["A[0]"])
    m = property(lambda at: at.Y.shape[1])


Formula = Optional[Callable[..., Optional[np.ndarray]]]


def _always(_: Any) -> bool:
    return True


@dataclass(frozen=True)
class Kind:
    """One kind of slip. ``where``: "output" (dZ[L]), "net" (once, layer 0),
    "layer" (each layer's dW[l], db[l]) or "hidden" (a hidden layer's dA[l],
    dZ[l]). ``applies``, and ``what``, ``formula``, ``other`` when they are
    functions, take the section's argument: L (ONCE), the activation of A[l-1]
    (LAYER; None at l = 1), layer l's activation (HIDDEN). ``other``: the
    activation whose g′ the slip is, when it is another's (its formulas may be
    right for it); ``broadcast``: "Z" or "A", the slip needs dZ[l+1] or A[l+1]
    of 1 row or of layer l's rows (numpy raises on other shapes).

    The formulas, None where the slip keeps the notes' (``RIGHT``): ``dZ_out(at)``
    dZ[L]; ``dW(dZ, at)``, ``db(dZ, at)`` from dZ[l]; ``dA(dZ, at)`` from
    dZ[l+1] (None: it cannot be made on these shapes); ``dZ(dA, at)`` from
    dA[l]; ``forward_Z(at)``, ``forward_A(at)``: a hand's own forward pass."""
    name: str
    where: str
    what: Text = None
    formula: Text = None
    applies: Callable[[Any], bool] = _always
    other: Text = None
    in_g_prime: bool = False    # in g′(Z[l]) itself (a kink's side is a choice of g′ too)
    broadcast: Optional[str] = None
    dZ_out: Formula = None
    dW: Formula = None
    db: Formula = None
    dA: Formula = None
    dZ: Formula = None
    forward_Z: Formula = None
    forward_A: Formula = None

    @property
    def changes(self) -> str:
        """The gradients whose own formulas it changes ("W": dW[l], ...)."""
        return "".join(letter for letter, formula in (
            ("Z", self.dZ_out or self.dZ), ("W", self.dW), ("b", self.db), ("A", self.dA))
            if formula is not None)

    @property
    def forward(self) -> bool:
        """A slip of the forward pass a hand(params, X, Y) computes itself."""
        return self.forward_Z is not None or self.forward_A is not None


def _sum(dZ: np.ndarray) -> np.ndarray:
    return np.sum(dZ, axis=1, keepdims=True)


RIGHT = Kind("right", "net",
             dZ_out=lambda at: at.A - at.Y,
             dW=lambda dZ, at: dZ @ at.A_prev.T / at.m,
             db=lambda dZ, at: _sum(dZ) / at.m,
             dA=lambda dZ, at: at.W_next.T @ dZ,
             dZ=lambda dA, at: dA * at.g.g_prime(at.Z))

def _dA_out(at: At) -> np.ndarray:
    """dA[L] = −Y/A[L] + (1 − Y)/(1 − A[L]), as the course writes it: inf where A[L]
    is 0 or 1."""
    return -at.Y / at.A + (1.0 - at.Y) / (1.0 - at.A)


def _no_1_m(L: int) -> str:
    return ", ".join(at_layer("dW[l] = dZ[l] A[l-1]ᵀ, db[l] = Σ dZ[l]", l)
                     for l in range(L, 0, -1))


def _twice_1_m(L: int) -> str:
    return ", ".join(at_layer("dW[l] = (1/m)(1/m) dZ[l] A[l-1]ᵀ, db[l] = (1/m)(1/m) Σ dZ[l]", l)
                     for l in range(L, 0, -1))


ONCE = [
    Kind("no 1/m", "net", "no 1/m in any dW, db", _no_1_m,
         dW=lambda dZ, at: dZ @ at.A_prev.T, db=lambda dZ, at: _sum(dZ)),
    Kind("m from X rows", "net", "m read from the rows of X (n_x) for every 1/m",
         "m = X.shape[0]",
         dW=lambda dZ, at: dZ @ at.A_prev.T / at.X.shape[0],
         db=lambda dZ, at: _sum(dZ) / at.X.shape[0]),
    Kind("sign", "output", "the sign of dZ[l] flipped", "dZ[l] = Y − A[l]",
         dZ_out=lambda at: at.Y - at.A),
    Kind("no Y", "output", "Y left out of dZ[l]", "dZ[l] = A[l]", dZ_out=lambda at: at.A),
    Kind("dZ with 1/m", "output", "a 1/m in dZ[l], which is per sample",
         "dZ[l] = (1/m)(A[l] − Y)", dZ_out=lambda at: (at.A - at.Y) / at.m),
    # gives what the one above gives where no dZ, dA is returned (the course's case)
    Kind("1/m twice", "net", "the 1/m of every dW, db applied twice", _twice_1_m,
         dW=lambda dZ, at: dZ @ at.A_prev.T / at.m / at.m,
         db=lambda dZ, at: _sum(dZ) / at.m / at.m),
    # a hand(params, X, Y) runs its own forward pass: b forgotten there
    Kind("no b", "net", "b left out of the forward pass: Z[l] = W[l] A[l-1] at every layer",
         "Z[l] = W[l] A[l-1], without + b[l]", forward_Z=lambda at: at.W @ at.A_prev),
    # dZ[L] = A[L] − Y is dA[L] σ′(Z[L]) already: σ′ once more, or not at all
    Kind("sigma' twice", "output",
         "σ′(Z[l]) applied to dZ[l] = A[l] − Y, which already holds it",
         "dZ[l] = (A[l] − Y) * A[l](1 − A[l])",
         dZ_out=lambda at: (at.A - at.Y) * at.A * (1.0 - at.A)),
    Kind("no sigma'", "output", "dA[l] taken for dZ[l]: σ′(Z[l]) left out",
         "dZ[l] = dA[l] = −Y/A[l] + (1 − Y)/(1 − A[l])", dZ_out=_dA_out),
    Kind("Z for A", "output", "Z[l] in place of A[l] in dZ[l]", "dZ[l] = Z[l] − Y",
         dZ_out=lambda at: at.Z - at.Y),
    # the course's L_model_backward: relu_backward in place of sigmoid_backward at
    # the output (the hidden layers' helper, called once more)
    Kind("relu at output", "output",
         "relu′ in place of σ′ at the output: relu_backward for sigmoid_backward",
         "dZ[l] = dA[l] * (Z[l] > 0), dA[l] = −Y/A[l] + (1 − Y)/(1 − A[l])",
         applies=lambda L: L >= 2, dZ_out=lambda at: _dA_out(at) * (at.Z > 0)),
    # the course's linear_backward (week 4, which its two_layer_model uses too)
    # reads m from its A_prev: with the wrong axis, each layer's 1/m is its own
    # 1/n[l-1], from one line
    Kind("m from A_prev rows", "net",
         "m read from the rows of A[l-1] (n[l-1]) for each layer's 1/m",
         "m = A_prev.shape[0] in every layer, dW[l] = (1/n[l-1]) dZ[l] A[l-1]ᵀ",
         applies=lambda L: L >= 2,
         dW=lambda dZ, at: dZ @ at.A_prev.T / at.A_prev.shape[0],
         db=lambda dZ, at: _sum(dZ) / at.A_prev.shape[0]),
]

LAYER = [
    Kind("layer no 1/m", "layer", "no 1/m in dW[l] and db[l]",
         "dW[l] = dZ[l] A[l-1]ᵀ, db[l] = Σ dZ[l]",
         dW=lambda dZ, at: dZ @ at.A_prev.T, db=lambda dZ, at: _sum(dZ)),
    Kind("dW no 1/m", "layer", "dW[l] without the 1/m", "dW[l] = dZ[l] A[l-1]ᵀ",
         dW=lambda dZ, at: dZ @ at.A_prev.T),
    Kind("db no 1/m", "layer", "db[l] without the 1/m",
         "db[l] = np.sum(dZ[l], axis=1, keepdims=True)", db=lambda dZ, at: _sum(dZ)),
    Kind("dW transposed", "layer", "dW[l] transposed", "dW[l] = (1/m) A[l-1] dZ[l]ᵀ",
         dW=lambda dZ, at: at.A_prev @ dZ.T / at.m),
    Kind("db flat", "layer", "db[l] summed without keepdims=True",
         "db[l] = (1/m) np.sum(dZ[l], axis=1)", db=lambda dZ, at: np.sum(dZ, axis=1) / at.m),
    Kind("db over all", "layer", "db[l] summed over every axis: a number",
         "db[l] = (1/m) np.sum(dZ[l])", db=lambda dZ, at: np.sum(dZ) / at.m),
    Kind("db over samples", "layer",
         "db[l] summed over axis 0 (the units) instead of 1 (the samples)",
         "db[l] = (1/m) np.sum(dZ[l], axis=0, keepdims=True)",
         db=lambda dZ, at: np.sum(dZ, axis=0, keepdims=True) / at.m),
    Kind("dW 1/m twice", "layer", "the 1/m of dW[l] applied twice",
         "dW[l] = (1/m)(1/m) dZ[l] A[l-1]ᵀ", dW=lambda dZ, at: dZ @ at.A_prev.T / at.m / at.m),
    Kind("db 1/m twice", "layer", "the 1/m of db[l] applied twice",
         "db[l] = (1/m)(1/m) Σ dZ[l]", db=lambda dZ, at: _sum(dZ) / at.m / at.m),
    # of a layer l >= 2 whose input is a hidden layer's A[l-1] (its cache holds Z[l-1]
    # too); with the identity, Z[l-1] is A[l-1]
    Kind("Z for A in dW", "layer", "Z[l-1] in place of A[l-1] in dW[l]",
         "dW[l] = (1/m) dZ[l] Z[l-1]ᵀ",
         applies=lambda below: below is not None and below.name != "identity",
         dW=lambda dZ, at: dZ @ at.Z_prev.T / at.m),
]


def _is(*names: str) -> Callable[[activations.Activation], bool]:
    return lambda act: act.name in names


def _relu(act: activations.Activation) -> bool:   # relu, or leaky relu with α = 0
    return negative_slope(act) == 0.0


HIDDEN = [
    # a kind of its own, not the output's "dZ with 1/m": made at every hidden layer
    # (layer 0), the output's dZ keeps its own
    Kind("hidden dZ with 1/m", "hidden", "a 1/m in dZ[l], which is per sample",
         f"dZ[l] = (1/m) {_UPSTREAM} * g′(Z[l])",
         dZ=lambda dA, at: dA * at.g.g_prime(at.Z) / at.m),
    Kind("g is A", "hidden",
         what=lambda act: f"A[l] in place of g′(Z[l]) = {G_PRIME.get(act.name, 'g′(Z[l])')}",
         formula=f"dZ[l] = {_UPSTREAM} * A[l]", in_g_prime=True, dZ=lambda dA, at: dA * at.A),
    Kind("W not transposed", "hidden", "W[l+1] in place of W[l+1]ᵀ", "dA[l] = W[l+1] dZ[l+1]",
         dA=lambda dZ, at: at.W_next @ dZ if at.W_next.shape[0] == at.W_next.shape[1]
         else None),
    Kind("W left out", "hidden", "W[l+1]ᵀ left out of dA[l]", "dA[l] = dZ[l+1]",
         broadcast="Z", dA=lambda dZ, at: np.broadcast_to(dZ, (at.W_next.shape[1], dZ.shape[1]))),
    # tanh′ and σ′ written from A: the next layer's A typed for A[l]
    Kind("next A in g'", "hidden",
         what=lambda act: f"A[l+1] in place of A[l] in g′: {_next_a(act)}",
         formula=lambda act: f"dZ[l] = {_UPSTREAM} * ({_next_a(act)})",
         applies=_is(*_FROM_A_ON_Z), in_g_prime=True, broadcast="A",
         dZ=lambda dA, at: dA * at.g.g_prime_from_a(at.A_next)),
    Kind("square misplaced", "hidden", "(1 − A[l])² in place of 1 − A[l]²",
         f"dZ[l] = {_UPSTREAM} * (1 − A[l])²", applies=_is("tanh"), in_g_prime=True,
         dZ=lambda dA, at: dA * (1.0 - at.A) ** 2),
    # the mask written the other way round
    Kind("mask reversed", "hidden",
         what=lambda act: f"{act.name}′'s mask reversed: " + (
             "1 where Z[l] < 0, not where Z[l] > 0" if _relu(act)
             else "α where Z[l] > 0 and 1 below, not the other way round"),
         formula=lambda act: f"dZ[l] = {_UPSTREAM} * "
         + ("(Z[l] <= 0)" if _relu(act) else "np.where(Z[l] > 0, α, 1)"),
         applies=_is("relu", "leaky_relu"), in_g_prime=True,
         dZ=lambda dA, at: dA * (negative_slope(at.g) + 1.0 - at.g.g_prime(at.Z))),
    # not slips where they change nothing: relu′(A) = relu′(Z), as A > 0 exactly
    # where Z > 0 (leaky ReLU's too), and identity′ = 1 everywhere
    Kind("g' of A", "hidden", "g′ evaluated on A[l] instead of Z[l]",
         f"dZ[l] = {_UPSTREAM} * g′(A[l])", applies=lambda act: act.name not in _SAME_ON_A,
         in_g_prime=True, dZ=lambda dA, at: dA * at.g.g_prime(at.A)),
    Kind("no g'", "hidden", "g′(Z[l]) left out", f"dZ[l] = {_UPSTREAM}",
         applies=lambda act: act.name != "identity", in_g_prime=True, dZ=lambda dA, at: dA),
    Kind("g' from A on Z", "hidden",
         what=lambda act: "{} in place of {}".format(*_FROM_A_ON_Z[act.name]),
         formula=lambda act: f"dZ[l] = {_UPSTREAM} * ({_FROM_A_ON_Z[act.name][0]})",
         applies=_is(*_FROM_A_ON_Z), in_g_prime=True,
         dZ=lambda dA, at: dA * at.g.g_prime_from_a(at.Z)),
    # tanh′ = 1 - A² with the square forgotten: np.power(A1, 2) dropped
    Kind("square forgotten", "hidden", "1 − A[l] in place of 1 − A[l]²",
         f"dZ[l] = {_UPSTREAM} * (1 − A[l])", applies=_is("tanh"), in_g_prime=True,
         dZ=lambda dA, at: dA * (1.0 - at.A)),
    # sigmoid's slope on a tanh net (and back) is also the other assignment's g′
    Kind("other slope", "hidden",
         what=lambda act: "{} in place of {}".format(*_OTHER_SLOPE[act.name]),
         formula=lambda act: f"dZ[l] = {_UPSTREAM} * ({_OTHER_SLOPE[act.name][0]})",
         applies=_is(*_OTHER_SLOPE), other=lambda act: COVERED[act.name][0], in_g_prime=True,
         dZ=lambda dA, at: dA * (at.A * (1.0 - at.A) if at.g.name == "tanh"
                                 else 1.0 - at.A ** 2)),
    # the relu it resembles: no slope α where Z[l] <= 0 (with α = 0 it IS relu: no slip)
    Kind("alpha dropped", "hidden",
         "relu′ (0 where Z[l] ≤ 0) in place of leaky relu′ (α there)",
         f"dZ[l] = {_UPSTREAM} * (Z[l] > 0)",
         applies=lambda act: act.name == "leaky_relu" and not _relu(act), other="relu",
         in_g_prime=True, dZ=lambda dA, at: dA * (at.Z > 0).astype(np.float64)),
    # tanh′ without its parentheses: dA * 1 - A² is (dA) - A²
    Kind("parentheses", "hidden", "the parentheses of (1 − A[l]²) left out",
         f"dZ[l] = {_UPSTREAM} * 1 − A[l]², which is ({_UPSTREAM}) − A[l]²",
         applies=_is("tanh"), in_g_prime=True, dZ=lambda dA, at: dA * 1.0 - at.A ** 2),
]


def _next_a(act: activations.Activation) -> str:
    return G_PRIME[act.name].replace("A[l]", "A[l+1]")


def _leaky_prime(dA: np.ndarray, at: At) -> np.ndarray:
    return dA * activations.leaky_relu_prime(at.Z, at.slip.alpha)


BY_NUMBERS = [
    # g′ of another activation (``slips.other_activations``): its assignment's formulas
    Kind("another g", "hidden", in_g_prime=True,
         dZ=lambda dA, at: dA * written_g_prime(at.slip.activation, at.Z, at.A)),
    Kind("another g from Z", "hidden", in_g_prime=True,
         dZ=lambda dA, at: dA * activations.get(at.slip.activation).g_prime(at.Z)),
    # leaky relu with another α (``nets.alphas``): in g′ alone, or in the forward pass too
    Kind("another alpha", "hidden", in_g_prime=True, dZ=_leaky_prime),
    Kind("another alpha forward", "hidden", dZ=_leaky_prime,
         forward_A=lambda at: activations.leaky_relu(at.Z, at.slip.alpha)),
]

KINDS: Dict[str, Kind] = {kind.name: kind for kind in (*ONCE, *LAYER, *HIDDEN, *BY_NUMBERS)}
