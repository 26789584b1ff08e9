"""The classic slips of hand-written backprop, as hypotheses to test.

A wrong gradient says where an error is, not what it is. Each ``Slip`` here
is one way learners get the notes' formulas wrong (a missing or doubled 1/m,
A[1] in place of g'(Z[1]), 1 - Z² or sigmoid's A(1 - A) for tanh's 1 - A², a
transpose, a lost keepdims, dropped parentheses, σ′ applied twice at the
output, W[2]ᵀ left out, relu's mask reversed, b left out of a hand's own
forward pass, ...; leaky relu with another α than the net's is ``nets.alphas``'s);
``backward`` recomputes every gradient of a net laid out as the notes (Z[l],
A[l], W[l], b[l], sigmoid output) with one slip made, and ``explain`` keeps
the slips whose numbers are the learner's at every node the learner
returned: the evidence ``check_backprop`` reports ("likely slip: ...").

Gradients are in the notes' conventions: dZ, dA per sample; dW, db with 1/m.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np

from nets import activations

__all__ = ["Slip", "slips", "other_activations", "backward", "explain", "one_error_fits"]

Values = Mapping[str, np.ndarray]   # "A[0]" (X), "W[l]", "b[l]", "Z[l]", "A[l]"

# g'(Z[l]) as the notes write it, for the slip texts
_G_PRIME = {"tanh": "1 − A[l]²", "sigmoid": "A[l](1 − A[l])", "relu": "1 where Z[l] > 0",
            "leaky_relu": "1 where Z[l] > 0, else α", "identity": "1"}
# g' written for A, applied to Z: where the two forms differ
_FROM_A_ON_Z = {"tanh": ("1 − Z[l]²", "1 − A[l]²"),
                "sigmoid": ("Z[l](1 − Z[l])", "A[l](1 − A[l])")}
# tanh' = 1 - A² with the square forgotten: np.power(A1, 2) dropped
_SQUARE_FORGOTTEN = {"tanh": ("1 − A[l]", "1 − A[l]²")}
# g' is the same function of A as of Z
_SAME_ON_A = ("relu", "leaky_relu", "identity")
# the other activation's slope, written for A: sigmoid's for a tanh layer and back
_OTHER_SLOPE = {"tanh": ("A[l](1 − A[l])", "1 − A[l]²"),
                "sigmoid": ("1 − A[l]²", "A[l](1 − A[l])")}
# tanh' without its parentheses: dA * 1 - A² is (dA) - A²
_PARENTHESES = {"tanh": ("1 − A[l]²",)}
# g' as an assignment for each activation writes it (``_written_g_prime``), for
# formulas written for another activation than the net's (``other_activations``)
_WRITTEN = {"tanh": "(1 − A[l]²)", "sigmoid": "A[l](1 − A[l])", "relu": "(Z[l] > 0)",
            "leaky_relu": "np.where(Z[l] > 0, 1, α)"}
# σ′ and tanh′ as the course's week-4 helpers write them, from Z (sigmoid_backward(dA,
# Z) computes s = σ(Z)): on a net of another activation, not the A[l](1 − A[l]) above
_WRITTEN_ON_Z = {"sigmoid": "σ(Z[l])(1 − σ(Z[l]))", "tanh": "(1 − tanh(Z[l])²)"}
# the activations whose g' a slip of ``slips`` already is: "other slope", "alpha dropped"
_COVERED = {"tanh": ("sigmoid",), "sigmoid": ("tanh",), "leaky_relu": ("relu",)}

# The slips of every layer l's dW[l] and db[l]: (kind, what, formula as the learner has it)
_LAYER_SLIPS = [
    ("layer no 1/m", "no 1/m in dW[l] and db[l]", "dW[l] = dZ[l] A[l-1]ᵀ, db[l] = Σ dZ[l]"),
    ("dW no 1/m", "dW[l] without the 1/m", "dW[l] = dZ[l] A[l-1]ᵀ"),
    ("db no 1/m", "db[l] without the 1/m", "db[l] = np.sum(dZ[l], axis=1, keepdims=True)"),
    ("dW transposed", "dW[l] transposed", "dW[l] = (1/m) A[l-1] dZ[l]ᵀ"),
    ("db flat", "db[l] summed without keepdims=True", "db[l] = (1/m) np.sum(dZ[l], axis=1)"),
    ("db over all", "db[l] summed over every axis: a number", "db[l] = (1/m) np.sum(dZ[l])"),
    ("db over samples", "db[l] summed over axis 0 (the units) instead of 1 (the samples)",
     "db[l] = (1/m) np.sum(dZ[l], axis=0, keepdims=True)"),
    ("dW 1/m twice", "the 1/m of dW[l] applied twice", "dW[l] = (1/m)(1/m) dZ[l] A[l-1]ᵀ"),
    ("db 1/m twice", "the 1/m of db[l] applied twice", "db[l] = (1/m)(1/m) Σ dZ[l]"),
]
# ... and of a layer l >= 2 whose input is a hidden layer's A[l-1] (its cache holds Z[l-1] too)
_Z_FOR_A = ("Z for A in dW", "Z[l-1] in place of A[l-1] in dW[l]", "dW[l] = (1/m) dZ[l] Z[l-1]ᵀ")

# The gradients whose own formulas a slip changes, by kind ("W": dW[l], ...;
# "no 1/m": every dW and db): the others are wrong only by following from them.
_FORMULAS = {"no 1/m": "Wb", "m from X rows": "Wb", "m from A_prev rows": "Wb",
             "layer no 1/m": "Wb", "dW no 1/m": "W",
             "dW transposed": "W", "dW 1/m twice": "W", "db no 1/m": "b", "db flat": "b",
             "db 1/m twice": "b", "db over all": "b", "db over samples": "b",
             "Z for A in dW": "W", "W not transposed": "A", "W left out": "A"}

# The slips of a hidden layer (``_hidden_slips``): each may be made at every one of them
_HIDDEN_KINDS = frozenset({"g is A", "W not transposed", "g' of A", "no g'", "g' from A on Z",
                           "square forgotten", "other slope", "parentheses",
                           "alpha dropped", "another g", "another alpha",
                           "another alpha forward", "W left out", "square misplaced",
                           "next A in g'", "mask reversed", "hidden dZ with 1/m",
                           "another g from Z"})
# Of those, the slips in g′(Z[l]) itself (a kink's side is a choice of g′ too)
_G_PRIME_KINDS = _HIDDEN_KINDS - {"W not transposed", "W left out", "another alpha forward",
                                   "hidden dZ with 1/m"}
# The slips of the forward pass a hand(params, X, Y) computes itself: its values differ
_FORWARD_KINDS = ("another alpha forward", "no b")
# The slips that need a shape to broadcast: dZ[l+1] or A[l+1] of 1 row (the output's)
# or of layer l's rows; on other shapes they cannot be made (numpy raises)
_BROADCAST = {"W left out": "Z", "next A in g'": "A"}
# leaky relu with another α (``nets.alphas``): in g′ alone, or in the forward pass too
_ALPHA_KINDS = ("another alpha", "another alpha forward")


@dataclass(frozen=True)
class Slip:
    """One slip at one layer: ``what`` went wrong and the ``formula`` as the
    learner's numbers have it, in the notes' notation (W[l], dZ[l]).
    ``activation``: for a g′ that is another activation's (relu′ on a tanh
    net), that activation's name: the formulas may be right for it; ``alpha``:
    for leaky relu with another α than the net's (``nets.alphas``), that α."""
    kind: str
    layer: int
    what: str
    formula: str
    activation: Optional[str] = None
    alpha: Optional[float] = None

    def nodes(self, L: int) -> frozenset:
        """The nodes whose gradient formula the slip itself changes (``"W[1]"``
        for dW[1]): the other nodes it spoils follow from these."""
        kinds = _FORMULAS.get(self.kind, "Z")   # sign, Y, dZ's 1/m and every g′ slip: dZ[l]
        layers = [self.layer] if self.layer else range(1, L) if self.every_hidden_layer \
            else range(1, L + 1)
        if self.kind == "another alpha forward":   # A[l] changes J: dZ[L], and dW[l+1]
            return frozenset({*(f"Z[{l}]" for l in (*layers, L)),
                              *(f"W[{l + 1}]" for l in layers)})
        if self.kind == "no b":   # every Z[l] changes: every g′(Z[l]), A[l], J
            return frozenset({*(f"Z[{l}]" for l in range(1, L + 1)),
                              *(f"W[{l}]" for l in range(2, L + 1))})
        return frozenset(f"{k}[{l}]" for k in kinds for l in layers)

    @property
    def in_g_prime(self) -> bool:
        """A slip in a hidden layer's g′(Z[l]) (left out, A for it, ...)."""
        return self.kind in _G_PRIME_KINDS

    @property
    def every_hidden_layer(self) -> bool:
        """A hidden layer's slip made at each hidden layer (layer 0)."""
        return self.layer == 0 and self.kind in _HIDDEN_KINDS

    def touches(self, kind: str, layer: int) -> bool:
        if self.every_hidden_layer:
            return self.kind == kind
        if self.kind == "no 1/m":    # every dW and db at once
            return kind in ("dW no 1/m", "db no 1/m")
        if self.kind == "layer no 1/m":   # dW[l] and db[l]
            return kind in ("dW no 1/m", "db no 1/m") and self.layer == layer
        return self.kind == kind and self.layer == layer


def _text(template: str, l: int) -> str:
    text = (template.replace("[l+1]", f"[{l + 1}]").replace("[l-1]", f"[{l - 1}]")
            .replace("[l]", f"[{l}]"))
    return text.replace("A[0]", "X")


def slips(L: int, hidden: Mapping[int, activations.Activation]) -> List[Slip]:
    """Every slip of an L-layer net, output layer first; ``hidden[l]`` is g[l]."""
    every = ", ".join(_text("dW[l] = dZ[l] A[l-1]ᵀ, db[l] = Σ dZ[l]", l)
                      for l in range(L, 0, -1))
    found = [Slip("no 1/m", 0, "no 1/m in any dW, db", every),
             Slip("m from X rows", 0, "m read from the rows of X (n_x) for every 1/m",
                  "m = X.shape[0]"),
             Slip("sign", L, _text("the sign of dZ[l] flipped", L), _text("dZ[l] = Y − A[l]", L)),
             Slip("no Y", L, _text("Y left out of dZ[l]", L), _text("dZ[l] = A[l]", L)),
             Slip("dZ with 1/m", L, _text("a 1/m in dZ[l], which is per sample", L),
                  _text("dZ[l] = (1/m)(A[l] − Y)", L)),
             # a hand(params, X, Y) runs its own forward pass: b forgotten there
             Slip("no b", 0, "b left out of the forward pass: Z[l] = W[l] A[l-1] at every layer",
                  "Z[l] = W[l] A[l-1], without + b[l]"),
             # dZ[L] = A[L] − Y is dA[L] σ′(Z[L]) already: σ′ once more, or not at all
             Slip("sigma' twice", L, _text("σ′(Z[l]) applied to dZ[l] = A[l] − Y, which "
                                          "already holds it", L),
                  _text("dZ[l] = (A[l] − Y) * A[l](1 − A[l])", L)),
             Slip("no sigma'", L, _text("dA[l] taken for dZ[l]: σ′(Z[l]) left out", L),
                  _text("dZ[l] = dA[l] = −Y/A[l] + (1 − Y)/(1 − A[l])", L)),
             Slip("Z for A", L, _text("Z[l] in place of A[l] in dZ[l]", L),
                  _text("dZ[l] = Z[l] − Y", L))]
    if L >= 2:
        # the course's L_model_backward: relu_backward in place of sigmoid_backward at
        # the output (the hidden layers' helper, called once more)
        found.append(Slip("relu at output", L,
                          _text("relu′ in place of σ′ at the output: relu_backward for "
                                "sigmoid_backward", L),
                          _text("dZ[l] = dA[l] * (Z[l] > 0), dA[l] = −Y/A[l] + "
                                "(1 − Y)/(1 − A[l])", L)))
        # the course's linear_backward (week 4, which its two_layer_model uses too)
        # reads m from its A_prev: with the wrong axis, each layer's 1/m is its own
        # 1/n[l-1], from one line
        found.append(Slip("m from A_prev rows", 0,
                          "m read from the rows of A[l-1] (n[l-1]) for each layer's 1/m",
                          "m = A_prev.shape[0] in every layer, dW[l] = (1/n[l-1]) dZ[l] A[l-1]ᵀ"))
    for l in range(L, 0, -1):
        found += [Slip(kind, l, _text(what, l), _text(formula, l))
                  for kind, what, formula in _LAYER_SLIPS]
        if l >= 2 and hidden[l - 1].name != "identity":   # identity: Z[l-1] is A[l-1]
            kind, what, formula = _Z_FOR_A
            found.append(Slip(kind, l, _text(what, l), _text(formula, l)))
        if l < L:
            found += [Slip(kind, l, _text(what, l), _text(formula, l), other)
                      for kind, what, formula, other in _hidden_slips(hidden[l])]
    # one helper (relu_backward) or one loop body for every hidden layer: its slip
    # is at each of them, which no slip at one layer reproduces
    names = {hidden[l].name for l in range(1, L)}
    if L >= 3 and len(names) == 1:
        # a leaky relu's α may differ by layer: a relu′ slip shows where one is not 0
        act = max((hidden[l] for l in range(1, L)), key=_negative_slope)
        found += [Slip(kind, 0, f"{what}, at every hidden layer", formula, other)
                  for kind, what, formula, other in _hidden_slips(act)]
    return found


def other_activations(L: int, hidden: Mapping[int, activations.Activation]) -> List[Slip]:
    """g′ of another activation at a hidden layer (relu′ on a tanh net): the
    formulas of an assignment done for that activation, checked on a net of
    this one. Tried only when no slip of ``slips`` gives the numbers (see
    ``explain``). Those ``slips`` has already (σ′ for tanh′ and back, relu′ for
    leaky relu′) are not repeated; the identity's g′ is "g′ left out"."""
    def at(l: int, g: activations.Activation, where: str) -> List[Slip]:
        # layer 0, every hidden layer: the texts keep [l], as the other slips there do
        text = (lambda t: _text(t, l)) if l else (lambda t: t)
        return [Slip("another g", l,
                     text(f"{name}′ ({_G_PRIME[name]}) in place of {g.name}′ "
                          f"({_G_PRIME[g.name]}){where}"),
                     text(f"dZ[l] = W[l+1]ᵀ dZ[l+1] * {_WRITTEN[name]}"), name)
                for name in _WRITTEN if name not in (g.name, *_COVERED.get(g.name, ()))] + \
            [Slip("another g from Z", l,
                  text(f"{name}′ computed from Z[l] (the course's {name}_backward(dA, Z)) in "
                       f"place of {g.name}′ ({_G_PRIME[g.name]}){where}"),
                  text(f"dZ[l] = W[l+1]ᵀ dZ[l+1] * {written}"), name)
             for name, written in _WRITTEN_ON_Z.items() if name != g.name]

    found = [slip for l in range(L - 1, 0, -1) for slip in at(l, hidden[l], "")]
    names = {hidden[l].name for l in range(1, L)}
    if L >= 3 and len(names) == 1:   # one helper for every hidden layer
        found += at(0, hidden[1], ", at every hidden layer")
    return found


def _written_g_prime(name: str, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """g′ of activation ``name`` as its assignment writes it, on another net's
    Z and A: from A for tanh and σ (the notes' 1 − A², A(1 − A)), from Z for
    relu and leaky relu (the course's relu_backward masks on Z)."""
    act = activations.get(name)
    return act.g_prime(Z) if name in _SAME_ON_A else act.g_prime_from_a(A)


def _forward(values: Values, hidden: Mapping[int, activations.Activation], L: int,
             slip: Slip) -> Dict[str, np.ndarray]:
    """The forward values of a learner's own forward pass with ``slip`` (one of
    ``_FORWARD_KINDS``) made, everything after it recomputed (Z[l+1], ...,
    A[L] = σ(Z[L])): leaky relu of ``slip.alpha`` at the hidden layers the slip
    is made at, or Z[l] = W[l] A[l-1] without b[l] at every layer."""
    new, changed = dict(values), False
    for l in range(1, L + 1):
        if slip.kind == "no b":
            new[f"Z[{l}]"] = new[f"W[{l}]"] @ new[f"A[{l - 1}]"]
            changed = True
        elif changed:
            new[f"Z[{l}]"] = new[f"W[{l}]"] @ new[f"A[{l - 1}]"] + new[f"b[{l}]"]
        if l == L:
            if changed:
                new[f"A[{L}]"] = activations.sigmoid(new[f"Z[{L}]"])
        elif slip.kind != "no b" and slip.touches(slip.kind, l):
            new[f"A[{l}]"] = activations.leaky_relu(new[f"Z[{l}]"], slip.alpha)
            changed = True
        elif changed:
            new[f"A[{l}]"] = hidden[l].g(new[f"Z[{l}]"])
    return new


def _broadcasts(values: Values, L: int, slip: Slip) -> bool:
    """Whether ``slip`` (one of ``_BROADCAST``) can be made on these shapes: at
    each hidden layer l it is made at, dZ[l+1] (or A[l+1]) has 1 row or l's."""
    letter = _BROADCAST[slip.kind]
    for l in range(1, L):
        if slip.touches(slip.kind, l):
            rows = values[f"{letter}[{l + 1}]"].shape[0]
            if rows not in (1, values[f"Z[{l}]"].shape[0]):
                return False
    return True


def _negative_slope(act: activations.Activation) -> float:
    """g′ where z < 0: leaky relu's α (0 for relu)."""
    return float(act.g_prime(np.array([-1.0]))[0])


def _hidden_slips(act: activations.Activation) -> List[Tuple[str, str, str, Optional[str]]]:
    """The slips of a hidden layer l with activation ``act``, in the notes'
    notation with ``[l]``: (kind, what went wrong, the formula as the learner has
    it, the activation whose g′ it is when it is another's)."""
    g = act.name
    upstream = "W[l+1]ᵀ dZ[l+1]"
    # a kind of its own, not the output's "dZ with 1/m": made at every hidden layer
    # (layer 0), the output's dZ keeps its own
    found = [("hidden dZ with 1/m", "a 1/m in dZ[l], which is per sample",
              f"dZ[l] = (1/m) {upstream} * g′(Z[l])", None),
             ("g is A", f"A[l] in place of g′(Z[l]) = {_G_PRIME.get(g, 'g′(Z[l])')}",
              f"dZ[l] = {upstream} * A[l]", None),
             ("W not transposed", "W[l+1] in place of W[l+1]ᵀ", "dA[l] = W[l+1] dZ[l+1]", None),
             ("W left out", "W[l+1]ᵀ left out of dA[l]", "dA[l] = dZ[l+1]", None)]
    if g in _FROM_A_ON_Z:   # tanh′ and σ′ written from A: the next layer's A typed for A[l]
        wrong = _G_PRIME[g].replace("A[l]", "A[l+1]")
        found.append(("next A in g'", f"A[l+1] in place of A[l] in g′: {wrong}",
                      f"dZ[l] = {upstream} * ({wrong})", None))
    if g == "tanh":
        found.append(("square misplaced", "(1 − A[l])² in place of 1 − A[l]²",
                      f"dZ[l] = {upstream} * (1 − A[l])²", None))
    if g in ("relu", "leaky_relu"):   # the mask written the other way round
        relu = _negative_slope(act) == 0.0
        written = "(Z[l] <= 0)" if relu else "np.where(Z[l] > 0, α, 1)"
        found.append(("mask reversed", f"{g}′'s mask reversed: "
                      + ("1 where Z[l] < 0, not where Z[l] > 0" if relu
                         else "α where Z[l] > 0 and 1 below, not the other way round"),
                      f"dZ[l] = {upstream} * {written}", None))
    # not slips where they change nothing: relu′(A) = relu′(Z), as A > 0 exactly
    # where Z > 0 (leaky ReLU's too), and identity′ = 1 everywhere
    if g not in _SAME_ON_A:
        found.append(("g' of A", "g′ evaluated on A[l] instead of Z[l]",
                      f"dZ[l] = {upstream} * g′(A[l])", None))
    if g != "identity":
        found.append(("no g'", "g′(Z[l]) left out", f"dZ[l] = {upstream}", None))
    for kind, forms in (("g' from A on Z", _FROM_A_ON_Z), ("square forgotten", _SQUARE_FORGOTTEN),
                        ("other slope", _OTHER_SLOPE)):
        if g in forms:
            wrong, right = forms[g]
            # sigmoid's slope on a tanh net (and back) is also the other assignment's g′
            other = _COVERED[g][0] if kind == "other slope" else None
            found.append((kind, f"{wrong} in place of {right}", f"dZ[l] = {upstream} * ({wrong})",
                          other))
    # the relu it resembles: no slope α where Z[l] <= 0 (with α = 0 it IS relu: no slip)
    if g == "leaky_relu" and _negative_slope(act) != 0.0:
        found.append(("alpha dropped", "relu′ (0 where Z[l] ≤ 0) in place of leaky relu′ (α there)",
                      f"dZ[l] = {upstream} * (Z[l] > 0)", "relu"))
    if g in _PARENTHESES:
        right, = _PARENTHESES[g]
        found.append(("parentheses", f"the parentheses of ({right}) left out",
                      f"dZ[l] = {upstream} * {right}, which is ({upstream}) − A[l]²", None))
    return found


def backward(values: Values, Y: np.ndarray, hidden: Mapping[int, activations.Activation],
             L: int, slip: Optional[Slip] = None,
             start: Optional[Tuple[str, np.ndarray]] = None) -> Optional[Dict[str, np.ndarray]]:
    """The notes' backward pass, with ``slip`` made (None: the right one).
    None when the slip cannot be made on these shapes (W[l] in place of
    W[l]ᵀ where W[l] is not square). ``start``: ``(node, gradient)`` to run
    the pass from a node (``"Z[l]"`` or ``"A[l]"``, per sample) down, instead
    of from the loss: the gradients that follow from that one."""
    on = (lambda kind, l: slip.touches(kind, l)) if slip else (lambda kind, l: False)
    m = Y.shape[1]
    if slip is not None and slip.kind in _FORWARD_KINDS:
        values = _forward(values, hidden, L, slip)

    def m_dW(l: int) -> int:
        """The 1/m of dW[l] and db[l]: the learner's m (a row count for those slips)."""
        kind = slip.kind if slip is not None else None
        return values["A[0]"].shape[0] if kind == "m from X rows" else \
            values[f"A[{l - 1}]"].shape[0] if kind == "m from A_prev rows" else m
    Z_L, A_L = values[f"Z[{L}]"], values[f"A[{L}]"]
    grads: Dict[str, np.ndarray] = {}
    if slip is not None and slip.kind in _BROADCAST and not _broadcasts(values, L, slip):
        return None

    def through_g(l: int, dA: np.ndarray) -> np.ndarray:
        """dZ[l] = dA[l] * g'(Z[l]) of a hidden layer, with the slip made."""
        grads[f"A[{l}]"] = dA
        g, Z, A = hidden[l], values[f"Z[{l}]"], values[f"A[{l}]"]
        if on("no g'", l):
            return dA
        if on("parentheses", l):
            return dA * 1.0 - A ** 2
        slope = (A if on("g is A", l) else g.g_prime(A) if on("g' of A", l)
                 else g.g_prime_from_a(Z) if on("g' from A on Z", l)
                 else 1.0 - A if on("square forgotten", l)
                 else (Z > 0).astype(np.float64) if on("alpha dropped", l)
                 else (A * (1.0 - A) if g.name == "tanh" else 1.0 - A ** 2)
                 if on("other slope", l)
                 else _written_g_prime(slip.activation, Z, A) if on("another g", l)
                 else activations.get(slip.activation).g_prime(Z) if on("another g from Z", l)
                 else activations.leaky_relu_prime(Z, slip.alpha)
                 if any(on(kind, l) for kind in _ALPHA_KINDS)
                 else (1.0 - A) ** 2 if on("square misplaced", l)
                 else g.g_prime_from_a(values[f"A[{l + 1}]"]) if on("next A in g'", l)
                 else _negative_slope(g) + 1.0 - g.g_prime(Z) if on("mask reversed", l)
                 else g.g_prime(Z))
        return dA * slope / m if on("hidden dZ with 1/m", l) else dA * slope

    if start is None:
        top = L
        dZ = Y - A_L if on("sign", L) else A_L if on("no Y", L) else \
            Z_L - Y if on("Z for A", L) else A_L - Y
        if on("dZ with 1/m", L):
            dZ = dZ / m
        if on("sigma' twice", L):
            dZ = dZ * A_L * (1.0 - A_L)
        if on("no sigma'", L) or on("relu at output", L):
            # the course's dA[L], as it is written: inf where A[L] is 0 or 1
            dZ = -Y / A_L + (1.0 - Y) / (1.0 - A_L)
        if on("relu at output", L):
            dZ = dZ * (Z_L > 0)
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
        A_prev = values[f"A[{l - 1}]"]
        dW = A_prev @ dZ.T if on("dW transposed", l) else \
            dZ @ values[f"Z[{l - 1}]"].T if on("Z for A in dW", l) else dZ @ A_prev.T
        grads[f"W[{l}]"] = dW if on("dW no 1/m", l) else dW / m / m if on("dW 1/m twice", l) \
            else dW / m_dW(l)
        db = np.sum(dZ) if on("db over all", l) else \
            np.sum(dZ, axis=0, keepdims=True) if on("db over samples", l) else \
            np.sum(dZ, axis=1, keepdims=not on("db flat", l))
        grads[f"b[{l}]"] = db if on("db no 1/m", l) else db / m / m if on("db 1/m twice", l) \
            else db / m_dW(l)
        if l == 1:
            break
        W = values[f"W[{l}]"]
        if on("W not transposed", l - 1):
            if W.shape[0] != W.shape[1]:
                return None
            dA = W @ dZ
        elif on("W left out", l - 1):
            dA = np.broadcast_to(dZ, (W.shape[1], dZ.shape[1]))
        else:
            dA = W.T @ dZ
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
