"""The ``minigrad`` command line (also ``python -m nets``).

    minigrad demo                         train the flower net; write graph.png and boundary.png
    minigrad train --hidden 4 --lr 1.2    train a two-layer net, print the cost like the course
    minigrad draw --hidden 4 --grads      draw the computation graph
    minigrad check --activation relu      hand-derived backprop vs autograd vs numerical
    minigrad experiment zero-init         run one of the notes' claims: a table and a PNG
    minigrad figure activations           the four activations and their derivatives

Every command that makes a picture prints the path it wrote. Bad arguments
give one line on stderr starting "minigrad: error: " and exit code 2, never a
traceback; output paths are checked before any training starts. Exit code 1
means the work could not be done (a backprop check failed, Graphviz or
matplotlib missing).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Callable, List, NoReturn, Optional, Sequence

import numpy as np

import minigrad as mg
from nets import activations, data, experiments, init, plots
from nets.network import accuracy
from nets.two_layer import TwoLayerNet

__all__ = ["main", "build_parser"]

PROG = "minigrad"
USAGE_ERROR = 2     # bad arguments, as argparse itself exits
FAILURE = 1         # the arguments were fine but the work failed


# --- argument types: each says what it expected and what it got ---------------------------

def _int(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected {what}; got {value}")
    return value


def _positive_int(text: str) -> int:
    return _int(text, 1, "an int >= 1")


def _iterations(text: str) -> int:
    return _int(text, 0, "an int >= 0")


def _samples(text: str) -> int:
    return _int(text, 2, "an int >= 2 (one point per class)")


def _seed(text: str) -> int:
    value = _int(text, 0, "an int in [0, 2**32 - 1]")
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"expected an int in [0, 2**32 - 1]; got {value}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}")
    return value


def _name(text: str) -> str:
    """Names are matched without regard to case or '-' vs '_' (leaky-relu works)."""
    return text.strip().lower().replace("-", "_")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``minigrad: error: ...``."""

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.split())
        self.exit(USAGE_ERROR, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


# --- the parser -------------------------------------------------------------------------

def _add_net_options(p: argparse.ArgumentParser, *, hidden: int, activation: str, m: int,
                     dataset: bool = True, scale: float = 0.01) -> None:
    """The flags that say which net, on which data."""
    if dataset:
        p.add_argument("--dataset", type=_name, default="flower", choices=list(data.DATASETS),
                       help="planar dataset, made in numpy (default: %(default)s)")
    p.add_argument("--hidden", type=_positive_int, default=hidden, metavar="N_H",
                   help="n[1], the number of hidden units (default: %(default)s)")
    p.add_argument("--activation", type=_name, default=activation,
                   choices=list(activations.ACTIVATIONS),
                   help="g[1], the hidden activation; the output unit is always "
                        "sigmoid (default: %(default)s)")
    p.add_argument("--init", type=_name, default="random", choices=list(init.INITIALIZERS),
                   help="weight initialiser; biases start at 0 (default: %(default)s)")
    p.add_argument("--scale", type=_float, default=scale,
                   help="the multiplier of randn for --init random, the value of every "
                        "weight for --init constant (default: %(default)s)")
    p.add_argument("--seed", type=_seed, default=2,
                   help="seed of the weight initialisation (default: %(default)s, the course's)")
    p.add_argument("--m", type=_samples, default=m,
                   help="number of samples, the columns of X (default: %(default)s)")
    p.add_argument("--data-seed", type=_seed, default=1,
                   help="seed of the dataset (default: %(default)s, the course's flower)")


def _add_training_options(p: argparse.ArgumentParser, *, iterations: int) -> None:
    p.add_argument("--iterations", type=_iterations, default=iterations,
                   help="gradient descent steps (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=1.2, metavar="LEARNING_RATE",
                   help="learning rate α, > 0 (default: %(default)s)")
    p.add_argument("--method", choices=["autograd", "hand"], default="autograd",
                   help="where the gradients come from: the computation graph (autograd) "
                        "or the notes' hand-derived formulas (the same formulas; over "
                        "thousands of steps rounding can make them drift apart a "
                        "little) (default: %(default)s)")
    p.add_argument("--print-every", type=_iterations, default=1000, metavar="K",
                   help="print the cost every K iterations, like the course; 0: never "
                        "(default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    """The ``minigrad`` argument parser (every flag documented in ``--help``)."""
    parser = _Parser(
        prog=PROG,
        description="Backpropagation, seen: a small autodiff engine and the shallow neural "
                    "networks of the course, in the notes' notation (X (n_x, m), W[l], "
                    "b[l], Z[l], A[l], J).",
        epilog="Run 'minigrad COMMAND --help' for the flags of a command. "
               "Exit codes: 0 done, 1 failed (a backprop check, a missing tool), 2 bad arguments.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo", help="train the flower net and write graph.png and boundary.png",
        description="Train the course's flower net (n[1] = 4, tanh, learning rate 1.2, "
                    "10,000 iterations, init seed 2) printing the cost every 1000 "
                    "iterations, then write the computation graph with its gradients "
                    "(graph.png) and the decision boundary (boundary.png), and print their "
                    "paths and the accuracy (≈ 90%).")
    demo.add_argument("--out-dir", type=Path, default=Path("."), metavar="DIR",
                      help="where to write graph.png and boundary.png; created if missing "
                           "(default: the current directory)")
    demo.add_argument("--iterations", type=_iterations, default=10_000,
                      help="gradient descent steps (default: %(default)s)")
    demo.add_argument("--method", choices=["autograd", "hand"], default="autograd",
                      help="gradients from the graph or the hand-derived formulas "
                           "(default: %(default)s)")

    train = commands.add_parser(
        "train", help="train a two-layer net and print the cost and accuracy",
        description="Train X -> n[1] hidden units (g[1]) -> one sigmoid unit by batch "
                    "gradient descent on a planar dataset. Prints 'Cost after iteration i: "
                    "J' every --print-every iterations, shows a progress bar on a terminal, "
                    "ends with the training accuracy.")
    _add_net_options(train, hidden=4, activation="tanh", m=400)
    _add_training_options(train, iterations=10_000)
    train.add_argument("--plot", type=Path, metavar="FILE",
                       help="also write the decision boundary to FILE (.png, .svg, .pdf, ...)")

    draw = commands.add_parser(
        "draw", help="draw the computation graph of a two-layer net",
        description="Build J for a freshly initialised two-layer net on --m samples and "
                    "draw its computation graph (Graphviz's dot is needed for .png/.svg/"
                    ".pdf; .dot/.gv are written without it).")
    _add_net_options(draw, hidden=4, activation="tanh", m=5)
    draw.add_argument("--out", type=Path, default=Path("graph.png"), metavar="FILE",
                      help="the picture to write; the format comes from the suffix: "
                           f"{', '.join(mg.viz.FORMATS)} (default: %(default)s)")
    draw.add_argument("--values", action="store_true",
                      help="show each node's value (all numbers when it has at most 6, "
                           "else its mean and max |x|)")
    draw.add_argument("--grads", action="store_true",
                      help="run J.backward() and show each node's gradient ∂J/∂node")

    check = commands.add_parser(
        "check", help="check the hand-derived backprop against autograd and numerical",
        description="Compare, node by node, the notes' hand-derived gradients (dZ, dA per "
                    "sample; dW, db) with autograd, and autograd with numerical gradients "
                    "(central differences, ε = 1e-7), on a freshly initialised net. Prints "
                    "the table; exit code 1 if a node disagrees. The weights default to "
                    "scale 1: with the course's 0.01 the gradients are so small that the "
                    "rounding in J, divided by ε, exceeds the course's 2e-7.")
    _add_net_options(check, hidden=4, activation="tanh", m=10, scale=1.0)

    experiment = commands.add_parser(
        "experiment", help="run one of the notes' claims: a table and a PNG",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run one of the notes' claims on the flower set, print its table and "
                    "write its figure:\n\n"
                    + "\n".join(f"  {e.name:<13} {e.summary}"
                                for e in experiments.EXPERIMENTS.values()))
    experiment.add_argument("name", type=lambda s: _name(s).replace("_", "-"),
                            choices=list(experiments.EXPERIMENTS), metavar="NAME",
                            help="one of: " + ", ".join(experiments.EXPERIMENTS))
    experiment.add_argument("--out", type=Path, metavar="FILE",
                            help="the figure to write (default: NAME.png)")
    experiment.add_argument("--iterations", type=_iterations,
                            help="gradient descent steps per net (default: the course's, "
                                 "10000; 5000 for hidden-sizes)")
    experiment.add_argument("--m", type=_samples, default=400,
                            help="number of samples of the flower set (default: %(default)s)")
    experiment.add_argument("--method", choices=["hand", "autograd"], default="hand",
                            help="where the gradients come from; the hand-derived "
                                 "formulas are ~1.6x faster than the graph "
                                 "(default: %(default)s)")

    figure = commands.add_parser(
        "figure", help="draw a figure of the notes (activations)",
        description="activations: sigmoid, tanh, ReLU and leaky ReLU with their "
                    "derivatives, marking σ'(0) = 1/4, tanh'(0) = 1 and the saturated tails.")
    figure.add_argument("name", choices=["activations"], metavar="NAME",
                        help="the figure: activations")
    figure.add_argument("--out", type=Path, metavar="FILE",
                        help="the figure to write (default: NAME.png)")
    return parser


# --- helpers ------------------------------------------------------------------------------

def _graph_path(path: Path) -> Path:
    """Fail before training if the graph picture cannot be written."""
    if path.suffix.lower() not in mg.viz.FORMATS:
        raise ValueError(f"cannot tell the picture format of {str(path)!r}; the suffix must "
                         f"be one of {', '.join(mg.viz.FORMATS)}")
    return plots.check_writable(path)


def _progress(total: int, desc: str):
    """A tqdm bar on stderr when stderr is a terminal; a bar in a pipe or a log
    file is only noise (carriage returns), so there it is disabled."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="it", file=sys.stderr, leave=False,
                disable=not sys.stderr.isatty(), dynamic_ncols=True)


def _say(bar, line: str) -> None:
    """Print a line without tearing the progress bar (tqdm.write clears it first)."""
    if bar.disable:
        print(line, flush=True)
    else:
        bar.write(line, file=sys.stdout)


def _train(net: TwoLayerNet, X: np.ndarray, Y: np.ndarray, iterations: int, lr: float,
           method: str, print_every: int) -> List[float]:
    """fit(), printing "Cost after iteration i: J" like the course, with a bar."""
    with _progress(iterations, "training") as bar:
        def callback(i: int, J: float) -> None:
            if print_every and i % print_every == 0:
                _say(bar, f"Cost after iteration {i}: {J:f}")
            bar.update(1)

        costs = net.fit(X, Y, iterations=iterations, learning_rate=lr, method=method,
                        callback=callback)
        # the cost after the last update: "iteration N" in the same sense as above
        if print_every and iterations and iterations % print_every == 0:
            _say(bar, f"Cost after iteration {iterations}: {net.cost(X, Y):f}")
    return costs


def _net(args: argparse.Namespace, X: np.ndarray) -> TwoLayerNet:
    return TwoLayerNet(X.shape[0], args.hidden, args.activation, init=args.init,
                       scale=args.scale, seed=args.seed)


def _data(args: argparse.Namespace):
    return data.load(getattr(args, "dataset", "flower"), m=args.m, seed=args.data_seed)


def _wrote(path: Path, what: str = "") -> None:
    print(f"Wrote {path}" + (f" ({what})" if what else ""))


# --- the commands ----------------------------------------------------------------------------

def _demo(args: argparse.Namespace) -> int:
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    graph_png = _graph_path(out_dir / "graph.png")
    boundary_png = plots.check_output(out_dir / "boundary.png")
    X, Y = data.flower()
    net = TwoLayerNet(X.shape[0], 4, "tanh", seed=2)
    print(f"Training on the flower set (m = {X.shape[1]}): n[1] = 4, g[1] = tanh, learning "
          f"rate 1.2, {args.iterations} iterations, gradients by {args.method}")
    _train(net, X, Y, args.iterations, 1.2, args.method, 1000)
    print(f"Accuracy: {100 * accuracy(net.predict(X), Y):.2f}%")
    g = net.graph(X, Y)
    g.loss.backward()
    g.save(graph_png, grads=True)
    _wrote(graph_png, "the computation graph of J, with the gradients of the trained net")
    plots.decision_boundary(net, X, Y, boundary_png)
    _wrote(boundary_png, "the decision boundary")
    return 0


def _train_command(args: argparse.Namespace) -> int:
    if args.plot is not None:
        plots.check_output(args.plot)
    X, Y = _data(args)
    net = _net(args, X)
    _train(net, X, Y, args.iterations, args.lr, args.method, args.print_every)
    print(f"Accuracy: {100 * accuracy(net.predict(X), Y):.2f}%")
    if args.plot is not None:
        _wrote(plots.decision_boundary(net, X, Y, args.plot), "the decision boundary")
    return 0


def _draw(args: argparse.Namespace) -> int:
    out = _graph_path(args.out)
    X, Y = _data(args)
    g = _net(args, X).graph(X, Y)
    if args.grads:
        g.loss.backward()
    _wrote(g.save(out, values=args.values, grads=args.grads))
    return 0


def _check(args: argparse.Namespace) -> int:
    from nets.check import check_backprop

    X, Y = _data(args)
    report = check_backprop(_net(args, X), X, Y, numerical=True)
    print(report)
    return 0 if report.ok else FAILURE


def _experiment(args: argparse.Namespace) -> int:
    spec = experiments.EXPERIMENTS[args.name]
    out = plots.check_output(args.out if args.out is not None else Path(f"{args.name}.png"))
    iterations = spec.iterations if args.iterations is None else args.iterations
    with _progress(spec.runs * iterations, args.name) as bar:
        result = spec.run(iterations=iterations, m=args.m, method=args.method, out=out,
                          progress=lambda i, J: bar.update(1))
    print(result.table())
    _wrote(result.figure)
    return 0


def _figure(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else Path(f"{args.name}.png")
    _wrote(plots.activation_figure(out))
    return 0


COMMANDS: dict = {"demo": _demo, "train": _train_command, "draw": _draw, "check": _check,
                  "experiment": _experiment, "figure": _figure}


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``minigrad`` command line on ``argv`` (default: ``sys.argv[1:]``);
    returns the exit code (0 done, 1 failed, 2 bad arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as stop:     # --help (0) and usage errors (2): already printed
        return stop.code if isinstance(stop.code, int) else USAGE_ERROR
    command: Callable[[argparse.Namespace], int] = COMMANDS[args.command]
    try:
        return command(args)
    except BrokenPipeError:
        # `minigrad train | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's final flush does not raise a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return FAILURE
    except (ValueError, OSError) as error:
        # the library's own checks (sizes, names, paths) say what was wrong
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return USAGE_ERROR
    except (ImportError, mg.viz.GraphvizNotFoundError) as error:
        # a missing tool: the message's later lines say how to install it
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover - `python -m nets` goes through __main__.py
    sys.exit(main())
