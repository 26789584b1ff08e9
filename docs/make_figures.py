"""Make every picture of the documentation, with the project's own functions.

    .venv/bin/python docs/make_figures.py                  # into docs/figures/ (what `make docs` runs)
    .venv/bin/python docs/make_figures.py --out DIR        # somewhere else
    .venv/bin/python docs/make_figures.py --quick          # few iterations: same files, in seconds

Graphs are drawn by ``minigrad.save_graph`` (and ``BackpropReport.draw``),
plots by ``nets.plots`` and ``nets.experiments``. Nothing here is committed:
``docs/figures/`` is generated (and gitignored). ``--quick`` trains for a few
iterations only; ``tests/test_docs.py`` uses it to check that every figure a
page links to is produced, without spending a minute on training.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, Dict

import numpy as np

DOCS = Path(__file__).resolve().parent
# the checkout this script is in, not whichever copy is installed: run as a
# script, Python puts docs/ (not the project) first on sys.path
sys.path.insert(0, str(DOCS.parent))

import minigrad as mg  # noqa: E402
import nets  # noqa: E402
from nets import DeepNet, LogisticRegression, TwoLayerNet, data, experiments, plots  # noqa: E402

# Graphs are SVG: zoomable, their text selectable; each page links to the full size.


def graphs(out: Path, iterations: Callable[[int], int]) -> None:
    """Computation graphs: mg.save_graph, and BackpropReport.draw."""
    X, Y = data.flower(m=400, seed=1)

    # The course's net on the flower data, with its gradients (tutorial, gallery).
    net = TwoLayerNet(n_x=2, n_h=4, activation="tanh", seed=2)
    g = net.graph(X, Y)
    g.loss.backward()
    g.save(out / "graph_two_layer.svg", grads=True)

    # A tiny net, every number visible: the forward pass, then with gradients.
    X3, Y3 = data.flower(m=3, seed=1)
    small = TwoLayerNet(n_x=2, n_h=2, activation="tanh", seed=2)
    g3 = small.graph(X3, Y3)
    g3.save(out / "forward_values.svg", values=True)
    g3.loss.backward()
    g3.save(out / "graph_values_grads.svg", values=True, grads=True)

    # Logistic regression, where the notes start, drawn top to bottom.
    logistic = LogisticRegression(n_x=2)
    gl = logistic.graph(X, Y)
    gl.loss.backward()
    gl.save(out / "graph_logistic.svg", grads=True, rankdir="TB")

    # An L-layer net.
    deep = DeepNet([2, 3, 3, 1], activation="relu", seed=2)
    deep.graph(X, Y).save(out / "graph_deep.svg")

    # The README's first example: one layer and a made-up cost, any graph at all.
    Xe = mg.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], name="X")
    W = mg.tensor([[0.1, -0.2], [0.3, 0.4]], requires_grad=True, name="W[1]")
    b = mg.tensor([[0.0], [0.1]], requires_grad=True, name="b[1]")
    Z = (W @ Xe + b).named("Z[1]")
    A = mg.tanh(Z).named("A[1]")
    J = (A ** 2).mean().named("J")
    J.backward()
    mg.save_graph(J, out / "graph_first_example.svg", values=True, grads=True)

    # A wrong hand-derived backprop, found node by node (testing page).
    report = nets.check_backprop(net, X, Y, hand=_backprop_with_wrong_derivative)
    (out / "check_mismatch.svg").write_bytes(report.draw().pipe(format="svg"))

    # The course's backward_propagation, dW and db only, with a slip in dZ1: the
    # report infers dZ1, not returned, and the picture marks it (gallery, testing page).
    report = nets.check_backprop(net, X, Y, hand=_course_backward_with_z1)
    (out / "check_inferred.svg").write_bytes(report.draw().pipe(format="svg"))


def _backprop_with_wrong_derivative(params: Dict[str, np.ndarray], X: np.ndarray,
                                    Y: np.ndarray) -> Dict[str, np.ndarray]:
    """The notes' formulas with one slip: 1 - A[1] instead of tanh' = 1 - A[1]²."""
    W1, b1, W2, b2 = params["W[1]"], params["b[1]"], params["W[2]"], params["b[2]"]
    m = X.shape[1]
    A1 = np.tanh(W1 @ X + b1)
    A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
    dZ2 = A2 - Y
    dZ1 = W2.T @ dZ2 * (1 - A1)
    return {"Z[2]": dZ2, "W[2]": dZ2 @ A1.T / m, "b[2]": dZ2.sum(axis=1, keepdims=True) / m,
            "Z[1]": dZ1, "W[1]": dZ1 @ X.T / m, "b[1]": dZ1.sum(axis=1, keepdims=True) / m}


def _course_backward_with_z1(parameters: Dict[str, np.ndarray], cache: Dict[str, np.ndarray],
                             X: np.ndarray, Y: np.ndarray) -> Dict[str, np.ndarray]:
    """The course's backward_propagation with one slip: 1 - Z1² for tanh' = 1 - A1²."""
    m = X.shape[1]
    W2, Z1, A1, A2 = parameters["W2"], cache["Z1"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(Z1, 2))
    return {"dW1": (1 / m) * np.dot(dZ1, X.T),
            "db1": (1 / m) * np.sum(dZ1, axis=1, keepdims=True),
            "dW2": (1 / m) * np.dot(dZ2, A1.T),
            "db2": (1 / m) * np.sum(dZ2, axis=1, keepdims=True)}


def plots_and_experiments(out: Path, iterations: Callable[[int], int]) -> None:
    """Activations, decision boundaries, cost curves: nets.plots and nets.experiments."""
    X, Y = data.flower(m=400, seed=1)
    plots.activation_figure(out / "activations.png")

    # The tutorial's run: the course's net and settings.
    net = TwoLayerNet(n_x=2, n_h=4, activation="tanh", seed=2)
    costs = net.fit(X, Y, iterations=iterations(10_000), learning_rate=1.2)
    plots.decision_boundary(net, X, Y, out / "boundary.png")
    plots.cost_curves({"$n^{[1]} = 4$, tanh, learning rate 1.2": costs}, out / "costs.png")

    # Why non-linear activations: the same net with identity and with tanh units,
    # trained as on that page (1500 iterations).
    panels = []
    for activation in ("identity", "tanh"):
        model = TwoLayerNet(n_x=2, n_h=4, activation=activation, seed=2)
        model.fit(X, Y, iterations=iterations(1500), learning_rate=1.2, method="hand")
        acc = nets.accuracy(model.predict(X), Y)
        panels.append((f"$g^{{[1]}}$ = {activation}: accuracy {100 * acc:.1f}%", model))
    plots.decision_boundaries(panels, X, Y, out / "boundary_linear_vs_tanh.png", ncols=2)

    # The command line's experiments, each with its own figure (gallery, CLI page).
    for name, function in [("zero-init", experiments.zero_init),
                           ("linear", experiments.linear),
                           ("activations", experiments.activations),
                           ("hidden-sizes", experiments.hidden_sizes)]:
        spec = experiments.EXPERIMENTS[name]
        function(iterations=iterations(spec.iterations), out=out / f"experiment_{name}.png")
    # the command line's defaults (scales 0.01 to 100, init seeds 1 to 5), as the pages say
    spec = experiments.EXPERIMENTS["init-scale"]
    experiments.init_scale(iterations=iterations(spec.iterations), out=out / "init_scale.png")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS / "figures",
                        help="the folder to write into (default: docs/figures)")
    parser.add_argument("--quick", action="store_true",
                        help="train for a few iterations only (for tests): same files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    iterations = (lambda n: max(2, n // 1000)) if args.quick else (lambda n: n)
    start, started = time.perf_counter(), time.time()
    for make in (graphs, plots_and_experiments):
        make(args.out, iterations)
    written = sorted(p for p in args.out.glob("*.*") if p.stat().st_mtime >= started - 1)
    for path in written:
        print(f"Wrote {path}")
    print(f"{len(written)} figures in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
