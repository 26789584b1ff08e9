"""The notes' claims, run: each experiment trains a few nets on a planar set,
returns a result with the numbers, and draws a PNG when given a path.

    from nets import experiments
    result = experiments.zero_init(out="zero-init.png")
    print(result.table())

=============  ==================================================================
zero-init      zeros/constant init keep the hidden units identical; random breaks it
linear         identity activations collapse to one linear map: logistic regression
activations    sigmoid, tanh, ReLU, leaky ReLU hidden layers: speed and accuracy
init-scale     weights ×0.01 to ×100, 5 init seeds: saturation, the plateau, the costs
hidden-sizes   the course's sweep n[1] = 1, 2, 3, 4, 5, 20, 50
=============  ==================================================================

The defaults are the course's sizes (the flower set, m = 400, lr 1.2,
10,000 iterations; 5,000 for the sweep). Tests pass small ``iterations`` and
``m``. Gradients come from the hand-derived formulas (``method="hand"``) by
default: they skip building the graph (benchmarks/README.md measures what that
saves), and hand == autograd is tested on its own; pass ``method="autograd"``
to run on the engine (or ``method="replay"``: its numbers, recorded once). The two
agree to rounding, saturated outputs included (init-scale's ×100): the cost is
computed from the logits Z[2], so autograd's dZ[2] is the notes' A[2] - Y there too.

Every function takes ``progress``, called as ``progress(i, J)`` after each
gradient step of each run (``fit``'s callback), so a caller can drive one
progress bar over ``EXPERIMENTS[name].runs × iterations`` steps.
"""
from __future__ import annotations

import inspect
import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from minigrad.table import Table, text_table
from nets import data, plots, seeds as _seeds
from nets.network import Network, accuracy
from nets.two_layer import LogisticRegression, TwoLayerNet

__all__ = ["Run", "ZeroInitResult", "ROUND_OFF", "FIRST_UPDATES", "LinearResult",
           "ActivationsResult", "InitScaleResult", "HiddenSizesResult", "zero_init", "linear",
           "activations", "init_scale", "hidden_sizes", "Experiment", "EXPERIMENTS",
           "first_below"]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Optional[Callable[[int, float], None]]


# --- pieces every experiment uses -------------------------------------------------------

@dataclass
class Run:
    """One trained net: what it was, its cost before each update, and how it ended."""

    label: str
    net: Network
    costs: np.ndarray
    final_cost: float       # J after the last update (the cost at "iteration N")
    accuracy: float         # on the training data, in [0, 1]

    @property
    def initial_cost(self) -> float:
        return float(self.costs[0]) if self.costs.size else self.final_cost


def _train(label: str, net: Network, X: np.ndarray, Y: np.ndarray, iterations: int,
           learning_rate: float, method: str, progress: Progress) -> Run:
    costs = np.asarray(net.fit(X, Y, iterations=iterations, learning_rate=learning_rate,
                               method=method, callback=progress), dtype=np.float64)
    return Run(label, net, costs, net.cost(X, Y), accuracy(net.predict(X), Y))


def first_below(costs: Sequence[float], target: float) -> Optional[int]:
    """The first iteration whose cost is below ``target``, or None if none is."""
    below = np.flatnonzero(np.asarray(costs) < target)
    return int(below[0]) if below.size else None


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.2f}%"


def _cost(J: float, digits: int) -> str:
    """J to ``digits`` decimals, but a huge one (weights ×1e100: J ≈ 1e102) in a few
    digits: fixed point writes every digit of it."""
    return f"{J:.{digits}f}" if abs(J) < 1e6 else f"{J:.3g}"


def _iters(n: Optional[int]) -> str:
    return "never" if n is None else str(n)


def _rounding(gap: float) -> str:
    """A difference that should be 0: its value, or "< 1e-12" when it is 0 or
    round-off. Exactly 0 on one machine (BLAS, CPU) is 1e-17 on another, so
    both print alike."""
    return "< 1e-12" if gap < 1e-12 else f"{gap:.2g}"


def _dataset(dataset: str, m: int, data_seed: int) -> Tuple[np.ndarray, np.ndarray]:
    return data.load(dataset, m=m, seed=data_seed)


def _values(where: str, what: str, values: object, check: Callable[[object], bool],
            expected: str) -> Tuple:
    """``values`` as a tuple, each one passing ``check``, none twice, at least one: a
    ValueError naming ``where`` and ``what`` otherwise. A value is never rounded into
    another (a seed of 1.5 is not seed 1, n[1] = 2.5 not 2), and a repeated one would
    be trained once but counted twice."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{where}: {what} must be a sequence of {expected}; got {values!r}")
    values = tuple(values.tolist() if isinstance(values, np.ndarray) else values)
    if not values:
        raise ValueError(f"{where}: {what} must hold at least one value; got {values!r}")
    for v in values:
        if isinstance(v, bool) or not check(v):
            raise ValueError(f"{where}: {what} must hold {expected}; got {v!r} in {values!r}")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{where}: {what} must not repeat a value; got {repeated[0]!r} "
                         f"twice in {values!r}")
    return values


def _positive_numbers(where: str, what: str, values: object) -> Tuple[float, ...]:
    return tuple(float(v) for v in _values(
        where, what, values, lambda v: isinstance(v, numbers.Real) and math.isfinite(v) and v > 0,
        "finite numbers > 0"))


def _row_spread(P: np.ndarray) -> float:
    """max |P[i, :] - P[0, :]|: 0 when every row (hidden unit) is the same."""
    return float(np.max(np.abs(P - P[:1])))


# --- zero-init ----------------------------------------------------------------------------

# Rows of W[1] closer than this, relative to the weights' size, are equal up to rounding:
# float64 rounds at ~1e-16 of a value, and a rounding difference needs hundreds of updates
# to grow to 1e-12 (on the flower at lr 1.2, n[1] = 3 to 6: 500 to 800).
ROUND_OFF = 1e-12
# Rows that started equal and are apart after this few updates were split by the training
# itself, not by rounding: no rounding difference grows past ROUND_OFF that fast.
FIRST_UPDATES = 10


def _relative_spread(W1: np.ndarray) -> float:
    """max |W[1][i] - W[1][0]| in units of the weights' size, max(1, max |W[1]|)."""
    return _row_spread(W1) / max(1.0, float(np.abs(W1).max()))


@dataclass
class ZeroInitResult:
    """Per init ("random", "zeros", "constant", and a one-unit net for
    comparison): the run, and how far apart the hidden units were at init,
    after each update and at the end.

    In exact arithmetic rows of W[1] that start equal stay equal. In float64 a
    kernel may round one row's sums differently from another's (which rows, and
    whether at all, depends on the BLAS kernel and on n[1]), and training at a
    large learning rate amplifies such a difference: the symmetric state is
    unstable. So ``symmetry`` tells three cases apart, from the spread history."""

    runs: Dict[str, Run]
    spread: Dict[str, float]        # max |W[1][i] - W[1][0]| after training
    one_unit_gap: Dict[str, float]  # max |Ŷ - Ŷ of the equivalent one-unit net|
    # max |W[1][i] - W[1][0]| / max(1, max |W[1]|): [0] at init, [k] after update k
    spread_history: Dict[str, np.ndarray]
    figure: Optional[Path] = None

    def split_after(self, label: str) -> Optional[int]:
        """The first k whose rows of W[1] were further apart than round-off
        after update k (0: at init), or None if they never were."""
        over = np.flatnonzero(self.spread_history[label] > ROUND_OFF)
        return int(over[0]) if over.size else None

    def symmetry(self, label: str) -> str:
        """Are the hidden units identical? ``"yes"``: the rows of W[1] were equal
        up to round-off at init and after every update. ``"split by rounding"``:
        equal at init and through the first ``FIRST_UPDATES`` updates, so exact
        arithmetic keeps them equal; apart later, so rounding, amplified by
        training, split them (see ``split_after``). ``"no"``: apart at init
        (random init), or split at once. ``"-"``: one unit, nothing to compare."""
        if self.runs[label].net.layer_dims[1] == 1:
            return "-"
        k = self.split_after(label)
        if k is None:
            return "yes"
        return "split by rounding" if k > FIRST_UPDATES else "no"

    def identical_units(self, label: str) -> bool:
        """The rows of W[1] stayed equal up to round-off from init to the end."""
        return self.symmetry(label) == "yes"

    def _identical_cell(self, label: str) -> str:
        verdict = self.symmetry(label)
        return f"{verdict} at update {self.split_after(label)}" \
            if verdict == "split by rounding" else verdict

    def table(self) -> str:
        rows = [[label, run.net.layer_dims[1],
                 "-" if run.net.layer_dims[1] == 1 else _spread(self.spread[label]),
                 self._identical_cell(label), f"{run.final_cost:.4f}", _pct(run.accuracy)]
                for label, run in self.runs.items()]
        note = (f"\n{', '.join(self.one_unit_gap)}: the rows of W[1] start equal and exact "
                f"arithmetic keeps them equal, so the net\ncomputes what one unit does "
                f"(max |Ŷ - Ŷ of one unit| = "
                + ", ".join(f"{k}: {_rounding(v)}" for k, v in self.one_unit_gap.items())
                + ");\nrandom init breaks the symmetry.")
        for k in self.one_unit_gap:
            if self.symmetry(k) == "split by rounding":
                at = self.split_after(k)
                note += (f"\n{k}: rows equal up to round-off ({ROUND_OFF:g} of the weights) "
                         f"through update {at - 1}, apart after update {at}:\nfloat64 rounded "
                         f"one row differently from another (it depends on the BLAS kernel and "
                         f"n[1]),\nand training amplified the difference.")
        return Table(text_table(["init", "n[1]", "max |W[1] row i - row 0|", "units identical",
                                 "final J", "accuracy"], rows) + note)


def _spread(spread: float) -> str:
    """A row spread: 3 digits, or "< 1e-12" for one that is 0 or round-off (so both
    print alike on every machine)."""
    return _rounding(spread) if spread < 1e-12 else f"{spread:.3g}"


def zero_init(iterations: int = 10_000, m: int = 400, n_h: int = 4,
              learning_rate: float = 1.2, constant: float = 0.5, seed: int = 2,
              dataset: str = "flower", data_seed: int = 1, method: str = "hand",
              out: Optional[PathLike] = None, progress: Progress = None) -> ZeroInitResult:
    """Train n[1] = ``n_h`` tanh nets from random (×0.01), zero and constant
    (every weight = ``constant``) weights, and a one-unit net from random
    weights. Zeros and constant keep the rows of W[1] identical (in exact
    arithmetic): their n[1] units act as one, so they train no better than
    the one-unit net. The
    spread of the rows is recorded after every update, so the result can tell
    rows that rounding split late in training from rows that were never equal."""
    X, Y = _dataset(dataset, m, data_seed)
    out = plots.check_output(out) if out is not None else None
    runs, spread, gap, history = {}, {}, {}, {}
    for label, n, init, scale in _zero_init_plan(n_h, constant):
        net = TwoLayerNet(X.shape[0], n, "tanh", init=init, scale=scale, seed=seed)
        spreads = [_relative_spread(net.params["W[1]"])]
        runs[label] = _train(label, net, X, Y, iterations, learning_rate, method,
                             _watching_rows(net, spreads, progress))
        history[label] = np.array(spreads, dtype=np.float64)
        spread[label] = _row_spread(net.params["W[1]"])
        if init in ("zeros", "constant"):
            gap[label] = float(np.max(np.abs(net.predict_proba(X)
                                             - _one_unit(net).predict_proba(X))))
    result = ZeroInitResult(runs, spread, gap, history)
    if out is not None:
        split = [k for k in gap if result.symmetry(k) == "split by rounding"]
        title = f"Zero and constant init keep the {n_h} hidden units identical" + (
            f" (until rounding split {', '.join(split)})" if split else "")
        result.figure = plots.costs_and_boundaries(
            {k: r.costs for k, r in runs.items()},
            [(f"{k} ({_pct(r.accuracy)})", r.net) for k, r in runs.items()], X, Y, out,
            title=title, log_x=True)
    return result


def _watching_rows(net: TwoLayerNet, spreads: List[float], progress: Progress
                   ) -> Callable[[int, float], None]:
    """A ``fit`` callback that appends the relative row spread of W[1] after each
    update to ``spreads`` (read from ``net.params``: each method updates it), then
    calls ``progress``."""
    def callback(i: int, J: float) -> None:
        spreads.append(_relative_spread(net.params["W[1]"]))
        if progress is not None:
            progress(i, J)
    return callback


def _zero_init_plan(n_h: int, constant: float) -> List[Tuple[str, int, str, Optional[float]]]:
    """(label, n[1], init, scale) of each net zero_init trains (zeros takes no scale)."""
    return [("random", n_h, "random", 0.01), ("zeros", n_h, "zeros", None),
            ("constant", n_h, "constant", constant), ("random, n[1] = 1", 1, "random", 0.01)]


def _one_unit(net: TwoLayerNet) -> TwoLayerNet:
    """The one-unit net that computes what a net of identical units computes:
    unit 0's row, and the output weights summed (identical a's add up)."""
    one = TwoLayerNet(net.n_x, 1, net.activation, init="zeros")
    one.params.update({"W[1]": net.params["W[1]"][:1], "b[1]": net.params["b[1]"][:1],
                       "W[2]": net.params["W[2]"].sum(axis=1, keepdims=True),
                       "b[2]": net.params["b[2]"]})
    return one


# --- linear -------------------------------------------------------------------------------

@dataclass
class LinearResult:
    """Logistic regression, the identity net and the tanh net; and the identity
    net written as the one linear map it is: Z[2] = W X + b with
    W = W[2]W[1], b = W[2]b[1] + b[2]."""

    runs: Dict[str, Run]
    W: np.ndarray               # (1, n_x): W[2]W[1] of the identity net
    b: float                    # W[2]b[1] + b[2]
    collapse_error: float       # max |Z[2] - (W X + b)| over the data
    figure: Optional[Path] = None

    def table(self) -> str:
        rows = [[label, f"{r.final_cost:.4f}", _pct(r.accuracy)] for label, r in self.runs.items()]
        w = ", ".join(f"{x:.4g}" for x in self.W.ravel())
        return Table(text_table(["model", "final J", "accuracy"], rows)
                     + f"\nidentity net = one linear map: W[2]W[1] = [{w}], "
                       f"W[2]b[1] + b[2] = {self.b:.4g};\n"
                       f"max |Z[2] - (W[2]W[1] X + W[2]b[1] + b[2])| = "
                       f"{_rounding(self.collapse_error)}: {self._accuracy_note()}")

    def _accuracy_note(self) -> str:
        """What the run shows: logistic regression's accuracy, or (a short run) a
        line that is not there yet."""
        identity = next(r for label, r in self.runs.items() if label.endswith("identity"))
        logistic = self.runs["logistic regression"]
        if _pct(identity.accuracy) == _pct(logistic.accuracy):
            return "a straight boundary, logistic regression's accuracy."
        n = len(identity.costs)
        return (f"a straight boundary, as logistic regression's;\nnot yet its accuracy after "
                f"{n} iteration{'' if n == 1 else 's'} ({_pct(identity.accuracy)} against "
                f"{_pct(logistic.accuracy)}).")


def linear(iterations: int = 10_000, m: int = 400, n_h: int = 4, learning_rate: float = 1.2,
           seed: int = 2, dataset: str = "flower", data_seed: int = 1, method: str = "hand",
           out: Optional[PathLike] = None, progress: Progress = None) -> LinearResult:
    """Logistic regression vs a two-layer net with identity hidden activations
    vs the same net with tanh. The identity net's layers collapse into one
    linear map, so its boundary is a line and its accuracy is logistic
    regression's (≈ 47% on the flower); tanh bends the boundary (≈ 90%)."""
    X, Y = _dataset(dataset, m, data_seed)
    out = plots.check_output(out) if out is not None else None
    runs = {}
    for label, g in _linear_plan(n_h):
        model = LogisticRegression(X.shape[0]) if g is None \
            else TwoLayerNet(X.shape[0], n_h, g, seed=seed)
        runs[label] = _train(label, model, X, Y, iterations, learning_rate, method, progress)
    p = runs[f"n[1] = {n_h}, g[1] = identity"].net.params
    W = p["W[2]"] @ p["W[1]"]
    b = p["W[2]"] @ p["b[1]"] + p["b[2]"]
    Z2 = runs[f"n[1] = {n_h}, g[1] = identity"].net.forward(X)["Z[2]"]
    result = LinearResult(runs, W, float(b.item()), float(np.max(np.abs(Z2 - (W @ X + b)))))
    if out is not None:
        result.figure = plots.costs_and_boundaries(
            {k: r.costs for k, r in runs.items()},
            [(f"{plots.describe(r.net)} ({_pct(r.accuracy)})", r.net) for r in runs.values()],
            X, Y, out, title="Without a non-linear activation the net is logistic regression",
            log_x=True)
    return result


def _linear_plan(n_h: int) -> List[Tuple[str, Optional[str]]]:
    """(label, hidden activation) of each model linear trains; None: logistic regression."""
    return [("logistic regression", None)] + [(f"n[1] = {n_h}, g[1] = {g}", g)
                                              for g in ("identity", "tanh")]


# --- activations ----------------------------------------------------------------------------

@dataclass
class ActivationsResult:
    """One run per hidden activation g[1]; the output unit is σ in all of them."""

    runs: Dict[str, Run]
    targets: Tuple[float, ...]
    reached: Dict[str, Dict[float, Optional[int]]]   # g -> {target: first iteration below}
    figure: Optional[Path] = None

    def table(self) -> str:
        rows = [[g, *(_iters(self.reached[g][t]) for t in self.targets),
                 f"{r.final_cost:.4f}", _pct(r.accuracy)] for g, r in self.runs.items()]
        return text_table(["g[1]", *(f"iterations to J < {t:g}" for t in self.targets),
                       "final J", "accuracy"], rows)


def activations(iterations: int = 10_000, m: int = 400, n_h: int = 4,
                learning_rate: float = 1.2, targets: Sequence[float] = (0.6, 0.4),
                seed: int = 2, dataset: str = "flower", data_seed: int = 1,
                method: str = "hand", out: Optional[PathLike] = None,
                progress: Progress = None) -> ActivationsResult:
    """sigmoid, tanh, relu and leaky_relu hidden layers, same init and data:
    the cost curves, the first iteration each gets below each of ``targets``,
    the final cost and accuracy.

    What comes out on the course's flower (data seed 1, n[1] = 4, init seed 2):
    tanh is fastest (≈ 90%); sigmoid gets there more slowly; ReLU and leaky ReLU
    stop near 70%. Over 3 seeds × 2 learning rates × 2 inits ReLU ends at 56-75%
    on that flower, with no dead unit (docs/activations.md runs it); why four
    ReLU units do worse here is
    described there, not proven. Their advantage, slopes that do not vanish,
    is a deep-network story that this small problem does not show.
    """
    targets = _positive_numbers("activations", "targets", targets)
    X, Y = _dataset(dataset, m, data_seed)
    out = plots.check_output(out) if out is not None else None
    runs, reached = {}, {}
    for g in _activations_plan():
        runs[g] = _train(g, TwoLayerNet(X.shape[0], n_h, g, seed=seed), X, Y, iterations,
                         learning_rate, method, progress)
        reached[g] = {t: first_below(runs[g].costs, t) for t in targets}
    result = ActivationsResult(runs, targets, reached)
    if out is not None:
        result.figure = plots.costs_and_boundaries(
            {g: r.costs for g, r in runs.items()},
            [(f"{plots.describe(r.net)} ({_pct(r.accuracy)})", r.net) for r in runs.values()],
            X, Y, out, title=f"Hidden activations on the {dataset} set, n[1] = {n_h}",
            targets=targets, log_x=True)
    return result


def _activations_plan() -> Tuple[str, ...]:
    return ("sigmoid", "tanh", "relu", "leaky_relu")


# --- init-scale ---------------------------------------------------------------------------

# |z| > 2: tanh'(z) < 0.071, under a fourteenth of its slope at 0: the flat tails
SATURATION = 2.0
# a run "trains" when it ends at or above this accuracy (the flower's good runs: ≈ 90%,
# the stuck ones: 55-75%)
GOOD_ACCURACY = 0.85
PLATEAU_COST = 0.6


@dataclass
class InitScaleResult:
    """Per (scale, init seed) of the random init ``randn × scale``: the hidden
    pre-activations Z[1] at init, how many are saturated, the first gradient,
    and the run. ``table()`` sums each scale up over the seeds."""

    scales: Tuple[float, ...]
    seeds: Tuple[int, ...]
    runs: Dict[Tuple[float, int], Run]
    Z1: Dict[Tuple[float, int], np.ndarray]          # Z[1] at init
    saturated: Dict[Tuple[float, int], float]        # share of entries with |z| > SATURATION
    mean_slope: Dict[Tuple[float, int], float]       # mean g'(Z[1]) at init
    grad_norm: Dict[Tuple[float, int], float]        # ‖dW[1]‖ at init
    relative_grad: Dict[Tuple[float, int], float]    # ‖dW[1]‖ / ‖W[1]‖ at init
    figure: Optional[Path] = None

    @property
    def iterations(self) -> int:
        return len(next(iter(self.runs.values())).costs) if self.runs else 0

    def over_seeds(self, values: Dict[Tuple[float, int], float], scale: float) -> np.ndarray:
        """``values`` of one scale, one per seed (in the order of ``seeds``)."""
        return np.array([values[(scale, seed)] for seed in self.seeds], dtype=np.float64)

    def plateau(self, scale: float) -> List[Optional[int]]:
        """Per seed, the first iteration with J < 0.6 (None: never)."""
        return [first_below(self.runs[(scale, s)].costs, PLATEAU_COST) for s in self.seeds]

    def trained(self, scale: float) -> int:
        """How many seeds ended at or above ``GOOD_ACCURACY``."""
        return sum(self.runs[(scale, s)].accuracy >= GOOD_ACCURACY for s in self.seeds)

    def median(self, values: Dict[Tuple[float, int], float], scale: float) -> float:
        """The median over the seeds of one scale's ``values``."""
        return float(np.median(self.over_seeds(values, scale)))

    def table(self) -> str:
        rows = []
        for s in self.scales:
            reached = [i for i in self.plateau(s) if i is not None]
            never = len(self.seeds) - len(reached)
            span = "never" if not reached else f"{min(reached)}-{max(reached)}" \
                + (f" ({never} never)" if never else "")
            start = {k: r.initial_cost for k, r in self.runs.items()}
            end = {k: r.final_cost for k, r in self.runs.items()}
            rows.append([f"{s:g}", f"{100 * self.median(self.saturated, s):.0f}%",
                         f"{self.median(self.mean_slope, s):.3f}",
                         f"{self.median(self.grad_norm, s):.2g}",
                         f"{self.median(self.relative_grad, s):.2g}",
                         _cost(self.median(start, s), 3), span, _cost(self.median(end, s), 2),
                         f"{self.trained(s)} of {len(self.seeds)}"])
        header = ["scale", f"|Z[1]| > {SATURATION:g}", "mean g'(Z[1])", "‖dW[1]‖",
                  "‖dW[1]‖/‖W[1]‖", "J at init", f"iterations to J < {PLATEAU_COST:g}",
                  f"J after {self.iterations}", f"seeds ≥ {100 * GOOD_ACCURACY:.0f}%"]
        return Table(text_table(header, rows)
                     + f"\nmedians over init seeds {', '.join(map(str, self.seeds))}, at init "
                       f"except the last three columns")


def init_scale(iterations: int = 10_000, m: int = 400, n_h: int = 4,
               learning_rate: float = 1.2,
               scales: Sequence[float] = (0.01, 0.1, 1.0, 10.0, 100.0),
               seeds: Sequence[int] = (1, 2, 3, 4, 5), activation: str = "tanh",
               dataset: str = "flower", data_seed: int = 1, method: str = "hand",
               out: Optional[PathLike] = None, progress: Progress = None) -> InitScaleResult:
    """Random init ``randn × scale`` for each of ``scales`` and each init seed.

    Large weights put Z[1] in the flat tails of tanh (g' ≈ 0), so each step
    moves W[1] by a tiny fraction of its size, and large output weights make
    the first predictions confidently wrong (J far above log 2 ≈ 0.693); on
    the flower, some seeds then stall far below 90%. Tiny weights cost a
    plateau instead: with W[1] and W[2] both near 0, each one's gradient is
    proportional to the other, and J stays near log 2 for tens of iterations
    (``iterations to J < 0.6``: 65-149 on the course's flower, 32-42 on
    data seeds 2-4; docs/initialisation.md runs both)."""
    scales, seeds = _scales_and_seeds(scales, seeds)
    X, Y = _dataset(dataset, m, data_seed)
    out = plots.check_output(out) if out is not None else None
    result = InitScaleResult(scales, seeds, {}, {}, {}, {}, {}, {})
    built = {}
    # every net's state at init first, before any training: a scale whose numbers
    # overflow float64 is refused at once, not after the smaller scales have trained
    for key in _init_scale_plan(scales, seeds):
        s, seed = key
        built[key] = net = TwoLayerNet(X.shape[0], n_h, activation, scale=s, seed=seed)
        with np.errstate(over="raise", invalid="raise"):
            try:
                Z1 = net.forward(X)["Z[1]"]
                dW1 = net.backprop(X, Y)["W[1]"]
                norms = [float(np.linalg.norm(a)) for a in (dW1, net.params["W[1]"])]
                # numpy 1.x's BLAS dot (inside norm and W X) overflows to inf without
                # raising: scale 1e300 then trained, reporting a relative gradient of
                # 0/inf, where numpy 2 refused it; look at the numbers themselves
                if not (np.isfinite(Z1).all() and np.isfinite(norms).all()):
                    raise FloatingPointError("not finite")
                result.grad_norm[key] = norms[0]
                result.relative_grad[key] = norms[0] / norms[1]
            except FloatingPointError:
                raise ValueError(f"init_scale: scale {s:g} (init seed {seed}) overflows "
                                 f"float64 at init (Z = W X + b or the norm of W[1] is not "
                                 f"finite); choose smaller scales") from None
        result.Z1[key] = Z1
        result.saturated[key] = float(np.mean(np.abs(Z1) > SATURATION))
        result.mean_slope[key] = float(np.mean(net.activation.g_prime(Z1)))
    for key, net in built.items():
        result.runs[key] = _train(f"scale {key[0]:g}, seed {key[1]}", net, X, Y, iterations,
                                  learning_rate, method, progress)
    if out is not None:
        result.figure = plots.init_scale_figure(
            {f"×{s:g}": np.concatenate([result.Z1[(s, k)].ravel() for k in seeds])
             for s in scales},
            {f"×{s:g}": [result.runs[(s, k)].costs for k in seeds] for s in scales}, out,
            activation=activation, threshold=SATURATION,
            title=f"Initial weights randn × scale, {n_h} {activation} units, "
                  f"init seeds {', '.join(map(str, seeds))}")
    return result


def _scales_and_seeds(scales: Sequence[float], seeds: Sequence[int]
                      ) -> Tuple[Tuple[float, ...], Tuple[int, ...]]:
    """init_scale's scales and init seeds, once both lists pass their checks."""
    return (_positive_numbers("init_scale", "scales", scales),
            tuple(_seeds.check_seed(k, "init_scale") for k in _values(
                "init_scale", "seeds", seeds, lambda k: isinstance(k, numbers.Integral),
                _seeds.SEED_RANGE.replace("an int", "ints"))))


def _init_scale_plan(scales: Sequence[float], seeds: Sequence[int]) -> List[Tuple[float, int]]:
    """(scale, init seed) of each net init_scale trains."""
    scales, seeds = _scales_and_seeds(scales, seeds)
    return [(s, seed) for s in scales for seed in seeds]


# --- hidden-sizes ---------------------------------------------------------------------------

def _sizes_plan(sizes: Sequence[int]) -> List[int]:
    """The n[1] of each net hidden_sizes trains, once the list passes its checks."""
    return [int(n) for n in _values("hidden_sizes", "sizes", sizes,
                                    lambda n: isinstance(n, numbers.Integral) and n >= 1,
                                    "ints >= 1")]


@dataclass
class HiddenSizesResult:
    """One run per hidden-layer size n[1] (the course's sweep)."""

    runs: Dict[int, Run]
    figure: Optional[Path] = None

    def table(self) -> str:
        rows = [[n, f"{r.final_cost:.4f}", _pct(r.accuracy)] for n, r in self.runs.items()]
        return text_table(["n[1]", "final J", "accuracy"], rows)


def hidden_sizes(iterations: int = 5000, m: int = 400,
                 sizes: Sequence[int] = (1, 2, 3, 4, 5, 20, 50), learning_rate: float = 1.2,
                 activation: str = "tanh", seed: int = 2, dataset: str = "flower",
                 data_seed: int = 1, method: str = "hand", out: Optional[PathLike] = None,
                 progress: Progress = None) -> HiddenSizesResult:
    """The course's sweep over n[1] (lr 1.2, 5,000 iterations): 1 and 2 units
    cannot draw the petals (≈ 67%); from 3 units on, ≈ 90% (init seeds 1 to 10 alike,
    but for seed 9's 3 units, which stop at 67%).
    Accuracies are on the training data: whether more units fit the noise would
    need held-out points, which the sweep does not measure. Table of accuracies
    and a grid of decision boundaries."""
    sizes = _sizes_plan(sizes)
    X, Y = _dataset(dataset, m, data_seed)
    out = plots.check_output(out) if out is not None else None
    runs = {n: _train(f"n[1] = {n}", TwoLayerNet(X.shape[0], n, activation, seed=seed),
                      X, Y, iterations, learning_rate, method, progress)
            for n in sizes}
    result = HiddenSizesResult(runs)
    if out is not None:
        result.figure = plots.decision_boundaries(
            [(f"$n^{{[1]}} = {n}$\naccuracy {_pct(r.accuracy)}", r.net) for n, r in runs.items()],
            X, Y, out, ncols=4,
            title=f"Hidden layers of n[1] {activation} units: decision boundaries after "
                  f"{iterations} iterations (learning rate {learning_rate:g})")
    return result


# --- the registry the command line reads ------------------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """An experiment by name: its function, the function that lists what it
    trains (``plan``, called with the same parameters), and one line on what
    it shows. ``runs`` and ``iterations`` are read from the function's
    defaults, so they cannot drift from what a default run does."""

    name: str
    run: Callable[..., object]
    plan: Callable[..., Sequence[object]]
    summary: str = field(default="")

    def _defaults(self) -> Dict[str, object]:
        return {k: p.default for k, p in inspect.signature(self.run).parameters.items()
                if p.default is not inspect.Parameter.empty}

    @property
    def runs(self) -> int:
        """How many nets a run with the defaults trains (for a progress bar)."""
        defaults = self._defaults()
        return len(self.plan(**{k: defaults[k]
                                for k in inspect.signature(self.plan).parameters}))

    @property
    def iterations(self) -> int:
        """The default number of gradient steps per net."""
        return int(self._defaults()["iterations"])


EXPERIMENTS: Dict[str, Experiment] = {e.name: e for e in [
    Experiment("zero-init", zero_init, _zero_init_plan,
               "zeros/constant init keep the hidden units identical; random init breaks it"),
    Experiment("linear", linear, _linear_plan,
               "identity activations collapse to one linear map: logistic regression's accuracy"),
    Experiment("activations", activations, _activations_plan,
               "sigmoid, tanh, relu, leaky_relu hidden layers: cost curves and accuracy"),
    Experiment("init-scale", init_scale, _init_scale_plan,
               "init scales 0.01 to 100 over 5 seeds: saturated tanh units, plateaus, accuracy"),
    Experiment("hidden-sizes", hidden_sizes, _sizes_plan,
               "the course's sweep n[1] = 1, 2, 3, 4, 5, 20, 50: accuracies and boundaries"),
]}
