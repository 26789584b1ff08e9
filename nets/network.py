"""What every network of the notes shares: layer sizes, parameters, the
forward pass by hand, the computation graph for autograd, gradient descent,
prediction. The backward pass by hand is the one thing each net writes
itself (``DeepNet`` in general, ``TwoLayerNet`` and ``LogisticRegression``
exactly as the notes write them), so that tests comparing them mean something.

Conventions (the notes' notation, as the project's README and docs use it):
samples are columns, ``X (n_x, m)``, ``Y (1, m)``;
``W[l] (n[l], n[l-1])``, one row per neuron; ``b[l] (n[l], 1)``.
The hand-derived ``dZ[l]`` and ``dA[l]`` stack per-sample derivatives
∂L(i)/∂z(i), so autograd's ``Z[l].grad`` (∂J/∂Z) equals ``dZ[l] / m``;
``dW[l]`` and ``db[l]`` are ∂J/∂W and ∂J/∂b exactly.
"""
from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from pathlib import Path
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional,
                    Sequence, Set, Tuple, Union)

import numpy as np

import minigrad as mg
from minigrad.functional import CheckedLabels, check_labels
from nets import activations
from nets.course import course_parameters_hint
from nets.hand_step import HandStep
from nets.init import check_dims, initialize
from nets.replay_step import ReplayStep

if TYPE_CHECKING:  # pragma: no cover - only for the annotations
    import graphviz

Params = Dict[str, np.ndarray]
Grads = Dict[str, np.ndarray]
Activation = activations.Activation

__all__ = ["Network", "DeepNet", "Graph", "accuracy", "cost", "cost_from_logits", "check_data",
           "graph_bytes"]


class Graph(Mapping):
    """The computation graph of one forward pass: ``g["Z[1]"]`` is a node
    (``g["A[0]"]`` is ``g["X"]``), ``g.loss`` is ``J``.

    J is computed from the logits Z[L] (``binary_cross_entropy_with_logits``),
    which keeps dZ[L] = A[L] - Y exact where A[L] rounds to 0 or 1; the output
    A[L] = σ(Z[L]) is made beside it. So ``J.backward()`` gives every node a
    gradient but A[L] (J does not go through it), and ``g.draw()`` draws both.
    """

    def __init__(self, nodes: Dict[str, mg.Tensor], loss: mg.Tensor,
                 output: Optional[mg.Tensor] = None,
                 activations: Optional[Mapping[int, Activation]] = None) -> None:
        self.nodes, self.loss, self.output = nodes, loss, output
        #: ``{l: g[l]}``, the ``Activation`` (with its parameters) that made A[l]
        self.activations: Dict[int, Activation] = dict(activations or {})

    @property
    def roots(self) -> List[mg.Tensor]:
        """J, and the output A[L] drawn beside it: what ``mg.draw`` takes to show both."""
        return [self.loss] + ([self.output] if self.output is not None else [])

    def draw(self, **options: Any) -> "graphviz.Digraph":
        """``mg.draw`` of J and A[L] (``values=True``, ``grads=True``, ``highlight=...``)."""
        return mg.draw(self.roots, **options)

    def save(self, path: Union[str, Path], **options: Any) -> Path:
        """``mg.save_graph`` of J and A[L]; the format comes from the suffix."""
        return mg.save_graph(self.roots, path, **options)

    def summary(self) -> str:
        """``mg.summary`` of J and A[L]: one row per tensor, inputs first."""
        return mg.summary(self.roots)

    def __getitem__(self, name: str) -> mg.Tensor:
        if name == "A[0]":
            name = "X"
        try:
            return self.nodes[name]
        except KeyError:
            raise KeyError(f"no node {name!r} in this graph; nodes: "
                           f"{', '.join(self.nodes)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def grads(self) -> Grads:
        """``{name: ∂J/∂node}`` after ``loss.backward()``, for the nodes that have one.

        The output A[L] gets none from backward (J is computed from Z[L]); as
        σ is invertible, its entry is ∂J/∂A[L] = ∂J/∂Z[L] / σ'(Z[L]), with σ'
        taken from autograd too, floored at the smallest normal float."""
        grads = {k: t.grad for k, t in self.nodes.items() if t.grad is not None}
        A = self.output
        if A is not None and A.grad is None and A.op == "sigmoid" and A.parents[0].grad is not None:
            z = mg.tensor(A.parents[0].data, requires_grad=True)
            mg.sigmoid(z).sum().backward()   # σ'(Z), entry by entry
            name = next(k for k, t in self.nodes.items() if t is A)
            grads[name] = A.parents[0].grad / np.maximum(z.grad, np.finfo(np.float64).tiny)
        return grads

    def __repr__(self) -> str:
        return f"Graph({', '.join(f'{k} {t.shape}' for k, t in self.nodes.items())})"


_NO_LABELS: Any = object()   # check_data without Y (a prediction), unlike a Y of None


def check_data(X: np.ndarray, Y: Optional[np.ndarray] = _NO_LABELS,
               n_x: Optional[int] = None) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """X as float64 (n_x, m) and Y as float64 (1, m) of 0/1, or a ValueError
    naming the shapes. Samples are columns: a (m, n_x) X is the classic slip.
    Without Y (``check_data(X, n_x=2)``, for a prediction) Y comes back None;
    a Y given as None is an error."""
    if Y is None:
        raise ValueError("Y is None; expected the labels, a (1, m) array of 0 and 1")
    X = _float_matrix(X, "X")
    if n_x is not None and X.shape[0] != n_x:
        hint = " (samples are columns: pass X.T)" if X.shape[1] == n_x else ""
        raise ValueError(f"X has shape {X.shape}; expected ({n_x}, m), "
                         f"one row per input feature{hint}")
    if not np.isfinite(X).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(f"X {X.shape} holds {X[index]} at {index}; X must be finite")
    if Y is _NO_LABELS:
        return X, None
    Y = _float_matrix(Y, "Y")
    if Y.shape != (1, X.shape[1]):
        # a Y of one row per sample of an X with samples as rows: X is the slip
        hint = (" (samples are columns: pass X.T)" if Y.shape == (1, X.shape[0])
                and X.shape[1] != X.shape[0] else
                " (a column: Y.reshape(1, -1) makes the row)" if Y.shape == (X.shape[1], 1)
                else "")
        raise ValueError(f"Y has shape {Y.shape}; expected (1, {X.shape[1]}) "
                         f"to match X {X.shape} (one label per column of X){hint}")
    check_labels(Y)   # the engine's rule, the one the cost applies
    return X, Y


def _float_matrix(a: np.ndarray, what: str) -> np.ndarray:
    if a is None:
        raise ValueError(f"{what} is None; expected a 2-D array of numbers")
    if isinstance(a, mg.Tensor):
        raise ValueError(f"{what} is a minigrad Tensor; pass its array, {what}.data")
    try:
        array = np.asarray(a)
    except (TypeError, ValueError):   # ragged nested lists
        array = np.asarray(None)
    # not complex (numpy would drop the imaginary part) nor strings (it would parse them)
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{what} must be a 2-D array of real numbers; got "
                         f"{type(a).__name__}" + (f" of dtype {array.dtype}"
                                                  if array.dtype != object else ""))
    a = array.astype(np.float64, copy=False)   # float64 data is not copied (fit holds X once)
    if a.ndim != 2 or a.shape[1] == 0:
        row = ("" if a.ndim != 1 else f" ({what}.reshape(1, -1) makes one)" if what == "Y"
               else f" (one sample: {what}.reshape(-1, 1); one feature: {what}.reshape(1, -1))")
        raise ValueError(f"{what} has shape {a.shape}; expected a 2-D array with "
                         f"one column per sample{', (1, m) for Y' if what == 'Y' else ''}{row}")
    return a


def cost(A: np.ndarray, Y: np.ndarray) -> float:
    """J = -(1/m) Σ (Y log A + (1-Y) log(1-A)): the engine's
    ``mg.binary_cross_entropy`` (A clipped to [1e-15, 1 - 1e-15]) as a float.
    The networks compute the same J from their logits instead
    (``cost_from_logits``), which stays exact where A rounds to 0 or 1."""
    return mg.binary_cross_entropy(A, Y).item()


def cost_from_logits(Z: np.ndarray, Y: np.ndarray) -> float:
    """J for A = σ(Z), from the logits: the engine's
    ``mg.binary_cross_entropy_with_logits`` as a float (the one place the
    formula lives), so the hand-derived training and the graph report one J."""
    return mg.binary_cross_entropy_with_logits(Z, Y).item()


def graph_bytes(layer_dims: Sequence[int], m: int) -> int:
    """About how many bytes one training step of a net of ``layer_dims`` on m
    samples holds at once: X and Y; per layer the parameters, their gradients
    and the updated copies (3 (n[l] n[l-1] + n[l])), and eight (n[l], m)
    arrays: W A, Z, A, the activation's saved slope, the three gradients and a
    temporary of the backward pass. float64: 8 bytes an entry. An estimate to
    refuse sizes no machine holds before allocating, not an exact count."""
    dims = [int(n) for n in layer_dims]
    entries = dims[0] * m + 2 * m
    for n_prev, n in zip(dims, dims[1:]):
        entries += 3 * (n * n_prev + n) + 8 * n * m
    return 8 * entries


def accuracy(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    """The fraction of columns where the prediction (0 or 1, ``net.predict``)
    equals the label, in [0, 1]."""
    Y_hat, Y = np.asarray(Y_hat), np.asarray(Y)
    if Y_hat.shape != Y.shape:
        raise ValueError(f"accuracy: Y_hat {Y_hat.shape} and Y {Y.shape} differ in shape")
    if Y.size == 0:
        raise ValueError("accuracy: no samples")
    for name, values in (("Y_hat", Y_hat), ("Y", Y)):
        off = np.argwhere((values != 0) & (values != 1))
        if off.size:   # a probability compared with labels would count as wrong everywhere
            index = tuple(int(i) for i in off[0])
            hint = (": probabilities? net.predict(X) gives 0 or 1 (Ŷ > 0.5)"
                    if name == "Y_hat" else "")
            raise ValueError(f"accuracy: {name} must hold 0 and 1; got {values[index]} at "
                             f"{index}{hint}")
    return float(np.mean(Y_hat == Y))


class Network(ABC):
    """L layers: hidden layers use ``activation``, the single output unit uses
    sigmoid, the cost is the cross-entropy J. Subclasses write ``backprop``.

    ``init`` names the initialiser (``nets.init.INITIALIZERS``); ``scale`` is
    for "random" (randn * scale, 0.01 when left out: the course's) and
    "constant" (the value of every weight) only: given with another init it
    is a ValueError, not silently ignored."""

    def __init__(self, layer_dims: Sequence[int], activation: Union[str, Activation] = "tanh",
                 init: str = "random", scale: Optional[float] = None, seed: int = 2) -> None:
        self.layer_dims = check_dims(layer_dims)
        if self.layer_dims[-1] != 1:   # before the parameters are allocated
            raise ValueError(f"the output layer has one sigmoid unit (binary labels); "
                             f"got layer_dims ending in {self.layer_dims[-1]}")
        self.params: Params = initialize(self.layer_dims, init, scale=scale, seed=seed)
        self.L = len(self.layer_dims) - 1
        # a name or an Activation (with its parameters: get("leaky_relu", alpha=0.3))
        self.activation = activations.get(activation)
        self.init, self.scale, self.seed = init, scale, seed

    @property
    def n_x(self) -> int:
        return self.layer_dims[0]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(layer_dims={self.layer_dims}, "
                f"activation={_activation_repr(self.activation)}, init={self.init!r})")

    def _check(self, X: np.ndarray,
               Y: Any = _NO_LABELS) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """``check_data`` for this net, once its parameters are known to fit its
        layers: ``params`` is a plain dict a learner may edit."""
        expected = {}
        for l in range(1, self.L + 1):
            n, n_prev = self.layer_dims[l], self.layer_dims[l - 1]
            expected[f"W[{l}]"], expected[f"b[{l}]"] = (n, n_prev), (n, 1)
        if not isinstance(self.params, dict) or set(self.params) != set(expected):
            got = ", ".join(map(str, self.params)) if isinstance(self.params, dict) \
                else type(self.params).__name__
            raise ValueError(f"params must hold {', '.join(expected)} (the notes' names) for "
                             f"layer_dims {self.layer_dims}; got {got}"
                             f"{course_parameters_hint(self.params, make_net=False)}")
        for name, shape in expected.items():
            value = self.params[name]
            if not isinstance(value, np.ndarray) or value.dtype != np.float64:
                raise ValueError(f"params[{name!r}] must be a float64 array; got "
                                 f"{type(value).__name__}"
                                 + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray)
                                    else ""))
            if value.shape != shape:
                hint = ": transposed?" if value.shape == shape[::-1] else ""
                raise ValueError(f"params[{name!r}] has shape {value.shape}; layer_dims "
                                 f"{self.layer_dims} need {shape}{hint}")
            if not np.isfinite(value).all():   # predict would say 0 everywhere
                index = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
                raise ValueError(f"params[{name!r}] holds {value[index]} at {index}; the "
                                 f"parameters must be finite")
        return check_data(X, Y, self.n_x)

    def _g(self, l: int) -> Activation:
        return self.activation if l < self.L else activations.get("sigmoid")

    # --- forward by hand ------------------------------------------------------
    def forward(self, X: np.ndarray) -> Dict[str, np.ndarray]:
        """The notes' vectorised forward pass: ``{"A[0]": X, "Z[1]": ..., "A[L]": Ŷ}``."""
        X, _ = self._check(X)
        cache = {"A[0]": X}
        A = X
        for l in range(1, self.L + 1):
            Z = self.params[f"W[{l}]"] @ A + self.params[f"b[{l}]"]
            A = self._g(l).g(Z)
            cache[f"Z[{l}]"], cache[f"A[{l}]"] = Z, A
        return cache

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """A[L] = Ŷ (1, m): the probability of label 1 for each column of X."""
        return self.forward(X)[f"A[{self.L}]"]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """(1, m) of 0.0/1.0: 1 where Ŷ > 0.5."""
        return (self.predict_proba(X) > 0.5).astype(np.float64)

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        X, Y = self._check(X, Y)
        return cost_from_logits(self.forward(X)[f"Z[{self.L}]"], Y)

    # --- the same forward pass as a computation graph ----------------------
    def graph(self, X: np.ndarray, Y: np.ndarray) -> Graph:
        """Build J as a minigrad graph with nodes named as in the notes
        (X, Y, W[l], b[l], Z[l], A[l], J). Parameters require grad; the
        tensors share the arrays in ``params`` and X (``mg.as_tensor``: no copy),
        which the engine keeps read-only until this graph's backward."""
        X, Y = self._check(X, Y)
        return self._graph(X, Y)

    def _graph(self, X: np.ndarray, Y: np.ndarray) -> Graph:
        # ``graph`` for data check_data has passed.
        # as_tensor, not tensor (which copies): g["W[1]"].data is net.params["W[1]"]
        # for learners to compare, and nothing is copied
        nodes = self._build(mg.as_tensor(X, name="X"), mg.as_tensor(Y, name="Y"),
                            self._leaves(), self._layers(), output=True)
        return Graph(nodes, nodes["J"], output=nodes[f"A[{self.L}]"],
                     activations={l: self._g(l) for l in range(1, self.L + 1)})

    def _leaves(self) -> Dict[str, mg.Tensor]:
        """The parameters as leaves that require grad, sharing ``params``' arrays."""
        return {k: mg.as_tensor(v, requires_grad=True, name=k) for k, v in self.params.items()}

    def _layers(self) -> List[Tuple[str, str, str, str, Callable[[mg.Tensor], mg.Tensor]]]:
        """Per layer l: the names W[l], b[l], Z[l], A[l] and the op making A[l]."""
        return [(f"W[{l}]", f"b[{l}]", f"Z[{l}]", f"A[{l}]", self._g(l).bound_op())
                for l in range(1, self.L + 1)]

    @staticmethod
    def _build(X: mg.Tensor, Y: mg.Tensor, leaves: Mapping[str, mg.Tensor],
               layers: Sequence[tuple], output: bool,
               loss: Callable[..., mg.Tensor] = mg.binary_cross_entropy_with_logits
               ) -> Dict[str, mg.Tensor]:
        """The forward pass as a graph on the given leaves: ``{name: node}``, J
        included. output=False gives a step's private graph (fit's, autograd's):
        it leaves out A[L], which J does not use, and makes each Z[l] one node,
        ``mg.linear`` (the same numbers as W[l] A[l-1] + b[l], with a node and
        an array less); the public graph keeps W[l] A[l-1] as a node of its own,
        as the notes draw it. ``loss`` is the cross-entropy from the logits (fit's
        skips checking its labels again). Names are set directly: they are the
        notes' own."""
        nodes = {"X": X, "Y": Y}
        A, last = X, len(layers) - 1
        for l, (w, b, z, a, g) in enumerate(layers):
            W, B = nodes[w], nodes[b] = leaves[w], leaves[b]
            Z = nodes[z] = W @ A + B if output else mg.linear(W, A, B)
            Z.name = z
            if l < last or output:
                A = nodes[a] = g(Z)
                A.name = a
        J = nodes["J"] = loss(Z, Y)
        J.name = "J"
        return nodes

    def autograd(self, X: np.ndarray, Y: np.ndarray) -> Tuple[float, Grads]:
        """J and ``{"W[1]": ∂J/∂W[1], ...}`` for every parameter, by autograd."""
        X, Y = self._check(X, Y)
        return self._autograd(X, Y)

    def _autograd(self, X: np.ndarray, Y: np.ndarray) -> Tuple[float, Grads]:
        leaves = self._leaves()
        J = self._cost(mg.as_tensor(X, name="X"), mg.as_tensor(Y, name="Y"), leaves,
                       set(leaves.values()), self._layers(),
                       mg.binary_cross_entropy_with_logits)
        return J.item(), {k: t.grad for k, t in leaves.items()}

    def _cost(self, X: mg.Tensor, Y: mg.Tensor, leaves: Mapping[str, mg.Tensor],
              parameters: Set[mg.Tensor], layers: Sequence[tuple],
              loss: Callable[..., mg.Tensor]) -> mg.Tensor:
        """J, after J.backward(inputs=parameters): a graph nobody else sees, so
        only the parameters keep a .grad (same numbers, less memory), and
        A[L], which J does not use, is not made. ``parameters`` (the leaves that
        require grad) are the caller's, checked once: fit's, before its first step."""
        J = self._build(X, Y, leaves, layers, False, loss)["J"]
        J._backward(np.array(1.0), parameters)   # J is 0-d: its seed is 1
        return J

    # --- backward by hand ----------------------------------------------------
    def backprop(self, X: np.ndarray, Y: np.ndarray) -> Grads:
        """The hand-derived gradients, keyed by node name (dZ, dA per sample)."""
        X, Y = self._check(X, Y)
        return self._backprop(self.forward(X), Y)

    @abstractmethod
    def _backprop(self, cache: Dict[str, np.ndarray], Y: np.ndarray) -> Grads:
        """The formulas, from the forward pass's ``cache`` ("A[0]" is X)."""

    def _hand(self, X: np.ndarray, Y: np.ndarray) -> Tuple[float, Grads]:
        # One forward pass serves both the cost and the gradients.
        cache = self.forward(X)
        return cost_from_logits(cache[f"Z[{self.L}]"], Y), self._backprop(cache, Y)

    # --- training --------------------------------------------------------------
    def fit(self, X: np.ndarray, Y: np.ndarray, iterations: int = 10_000,
            learning_rate: float = 1.2, method: str = "autograd",
            callback: Optional[Callable[[int, float], None]] = None) -> List[float]:
        """Batch gradient descent; returns the cost before each update.

        ``method`` picks where the gradients come from: ``"autograd"`` (the
        graph) or ``"hand"`` (the notes' formulas, run by ``nets.hand_step``);
        both give the same trajectory; ``"replay"`` records the graph once and
        replays it (``mg.record``), autograd's trajectory bit for bit. Every
        method updates fresh copies of the parameter arrays in place: arrays
        (and graphs) taken from ``params`` before the fit keep their values,
        and ``params`` holds the same arrays from step to step (copy one to
        keep a step's values). ``callback(i, cost)`` is called after each
        update's cost is known. X is read at every step (a change the callback
        makes to it is seen by the next step, by every method alike; an X that
        is not float64, or a list, is converted once, and changes to the
        caller's original are then not seen); Y is taken once, when the fit
        starts. A callback that makes X non-finite, or replaces ``net.params``
        or one of its arrays (instead of writing into it), is a ``ValueError``.
        """
        if method not in ("autograd", "hand", "replay"):
            raise ValueError(f"fit: method must be 'replay', 'autograd' or 'hand'; "
                             f"got {method!r}")
        if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) \
                or iterations < 0:
            raise ValueError(f"fit: iterations must be an int >= 0; got {iterations!r}")
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise TypeError(f"fit: learning_rate must be a number; got {learning_rate!r} "
                            f"of type {type(learning_rate).__name__}")
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"fit: learning_rate must be a positive number; "
                             f"got {learning_rate!r}")
        if callback is not None and not callable(callback):   # found after a step, otherwise
            raise TypeError(f"fit: callback must be a function callback(i, cost); got "
                            f"{callback!r} of type {type(callback).__name__}")
        X, Y = self._check(X, Y)
        # What every method reads, decided here once: X through a read-only view
        # (a change the callback makes to X is seen by the next step, and nothing
        # locks the caller's array), the labels as a private read-only copy,
        # checked now (Y taken once: the cost and dZ[L] = A[L] - Y use the same)
        X, labels = _read_only(X), CheckedLabels(Y)
        if method in ("hand", "replay"):
            make = HandStep if method == "hand" else ReplayStep
            step = make(self, X, labels.y, learning_rate).step
            watch = _Watch(self, X, learning_rate)
            costs = _fit_in_place(step, iterations, watch, callback)
            watch.end(iterations)
            return costs
        # A PyTorch training loop: the parameters are leaves kept across steps, and
        # each step builds a fresh graph on them. params gets fresh copies, updated
        # in place, so that arrays (and graphs) taken from it before the fit keep
        # their values. The leaves hold read-only views of them, as X's and Y's are:
        # nothing writes them while a graph is alive (the update comes after the
        # step's graph is gone), so the engine need not lock them at every step.
        # X and Y were checked and taken above, once.
        self.params = {k: v.copy() for k, v in self.params.items()}
        leaves = {k: mg.as_tensor(_read_only(v), requires_grad=True, name=k)
                  for k, v in self.params.items()}
        updates = [(t, self.params[k]) for k, t in leaves.items()]
        parameters, layers = set(leaves.values()), self._layers()
        # labels.loss skips checking the labels again at every step's cost
        X_t, Y_t = mg.as_tensor(X, name="X"), mg.as_tensor(labels.y, name="Y")
        # mg.recycling: each step's large arrays reuse those of the step before,
        # whose graph is gone, instead of being faulted in again (same bits)
        costs, watch = [], _Watch(self, X, learning_rate)
        with mg.recycling():
            for i in range(iterations):
                J = self._cost(X_t, Y_t, leaves, parameters, layers, labels.loss)
                cost = J.item()
                del J   # the step's graph goes before its parameters change
                if not math.isfinite(cost):
                    watch.stop(cost, i)
                costs.append(cost)
                for t, value in updates:
                    grad, t.grad = t.grad, None
                    grad *= -learning_rate   # W + (-lr dW) rounds as W - lr dW does
                    np.add(value, grad, out=value)
                if callback is not None:
                    callback(i, cost)
        watch.end(iterations)
        return costs


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``: it sees ``a``'s changes, and makes none."""
    view = a.view()
    view.flags.writeable = False
    return view


def _check_cost(J: float, i: int, learning_rate: float) -> None:
    """Stop a fit whose cost is no longer a number, rather than go on with NaN."""
    if not math.isfinite(J):
        raise FloatingPointError(
            f"fit: the cost is {J} at iteration {i}: gradient descent diverged (float64 "
            f"overflowed); try a smaller learning_rate (now {learning_rate:g}) or smaller "
            f"initial weights")


class _Watch:
    """What every method of ``fit`` checks around its steps, alike: a cost that is
    no number (``_check_cost``), unless X is to blame (the callback may write X,
    which every step reads, and check_data saw it finite only at the start); a
    callback that replaced ``net.params`` (or an entry), which the fit no longer
    updates, and parameters the last update left non-finite (an inf in X can
    give a finite cost and NaN gradients), both at the end. Only the error
    paths and the end look: a step costs what it did."""

    def __init__(self, net: "Network", X: np.ndarray, learning_rate: float) -> None:
        self.net, self.X, self.lr = net, X, learning_rate
        self.dict = net.params
        self.arrays = dict(net.params)

    def stop(self, J: float, i: int) -> None:
        """The error for the cost J of iteration i, which is no number."""
        self._x(i)
        _check_cost(J, i, self.lr)

    def end(self, iterations: int) -> None:
        """After the last step: net.params still the fit's arrays, and finite."""
        params = self.net.params
        if params is not self.dict or any(params.get(k) is not v for k, v in self.arrays.items()):
            names = [k for k, v in self.arrays.items()
                     if not isinstance(params, dict) or params.get(k) is not v]
            what = ("net.params" if params is not self.dict or len(names) == len(self.arrays)
                    else ", ".join(f"net.params[{k!r}]" for k in names))
            # checked once, here, not after every callback: a step costs what it did
            raise ValueError(
                f"fit: the callback replaced {what} during the fit (net.params = ..., or "
                f"another fit); this fit updated the arrays it started with, so the new ones "
                f"were not trained nor are the costs theirs: write into the arrays instead "
                f"(net.params['W[1]'][...] = ...), or fit again after this fit returns")
        if not iterations:
            return
        for name, value in self.net.params.items():
            if not np.isfinite(value).all():
                self._x(iterations - 1)
                index = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
                raise FloatingPointError(
                    f"fit: the last update (iteration {iterations - 1}) left "
                    f"params[{name!r}] holding {value[index]} at {index}: gradient descent "
                    f"diverged (float64 overflowed); try a smaller learning_rate (now "
                    f"{self.lr:g}) or smaller initial weights")

    def _x(self, i: int) -> None:
        X = self.X
        if not np.isfinite(X).all():
            index = tuple(int(j) for j in np.argwhere(~np.isfinite(X))[0])
            raise ValueError(f"fit: X {X.shape} holds {X[index]} at {index} by iteration {i}: "
                             f"it changed during the fit (from the callback?), and X must "
                             f"be finite")


def _fit_in_place(step: Callable[[], float], iterations: int, watch: _Watch,
                  callback: Optional[Callable[[int, float], None]]) -> List[float]:
    """Run ``step()`` (one update of the net's parameters in place, returning J
    before it) ``iterations`` times; the costs, and ``callback`` after each."""
    costs, isfinite = [], math.isfinite
    for i in range(iterations):
        J = step()
        if not isfinite(J):
            watch.stop(J, i)
        costs.append(J)
        if callback is not None:
            callback(i, J)
    return costs


class DeepNet(Network):
    """L layers, ``layer_dims = [n_x, n[1], ..., n[L-1], 1]``: the notes'
    formulas generalised layer by layer."""

    def _backprop(self, cache: Dict[str, np.ndarray], Y: np.ndarray) -> Grads:
        """For l = L..1: dW[l] = (1/m) dZ[l] A[l-1]ᵀ, db[l] = (1/m) Σ dZ[l],
        dA[l-1] = W[l]ᵀ dZ[l], dZ[l-1] = dA[l-1] * g'(Z[l-1]); dZ[L] = A[L] - Y."""
        m = Y.shape[1]
        grads = {f"A[{self.L}]": _dA_output(cache[f"Z[{self.L}]"], cache[f"A[{self.L}]"], Y)}
        dZ = cache[f"A[{self.L}]"] - Y
        for l in range(self.L, 0, -1):
            grads[f"Z[{l}]"] = dZ
            grads[f"W[{l}]"] = dZ @ cache[f"A[{l - 1}]"].T / m
            grads[f"b[{l}]"] = dZ.sum(axis=1, keepdims=True) / m
            if l > 1:
                dA = self.params[f"W[{l}]"].T @ dZ
                grads[f"A[{l - 1}]"] = dA
                dZ = dA * self._g(l - 1).g_prime(cache[f"Z[{l - 1}]"])
        return grads


def _activation_repr(act: Activation) -> str:
    """How a net's repr shows g[1]: its name, or ``get(...)`` when it has parameters
    other than the registry's (so a repr never hides a leaky ReLU's slope)."""
    if act == activations.ACTIVATIONS[act.name]:
        return repr(act.name)
    params = ", ".join(f"{k}={v!r}" for k, v in act.params)
    return f"activations.get({act.name!r}, {params})"


def _dA_output(Z: np.ndarray, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """dA[L] = -Y/A + (1-Y)/(1-A) = (A - Y) / σ'(Z[L]), per sample (σ' from Z,
    which keeps its digits where A rounds to 1)."""
    return (A - Y) / np.maximum(activations.sigmoid_prime(Z), np.finfo(np.float64).tiny)
