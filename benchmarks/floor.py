"""How fast can an eager engine be at all? A floor under issue 12's autograd targets.

``BareTape`` builds fit's graph at every step as the smallest eager engine
would: a node per op (value, parents, one closure per input), one global tape
for the backward order, and nothing else: no versions, locks, names, shape or
label checks, no ``inputs=``, no anomaly mode, no pool lookups (its large
arrays are kept by role, as ``AutogradCalls`` keeps them). Its numpy calls are
autograd's own, so its costs and parameters are autograd's bit for bit, which
is checked before timing. It is not a method: no one should train with an
engine that checks nothing. It answers one question: how close to the tuned
step can any eager engine making autograd's calls get, here?

    .venv/bin/python benchmarks/floor.py            # S1 and S2, about 15 seconds
    .venv/bin/python benchmarks/floor.py --quick    # a smoke run, seconds

Printed: per size, the median (min-max) ratio of each to the tuned step over
interleaved rounds, as ``bench.py`` times them (one BLAS thread, glibc's
allocator as it comes), and what the bare engine and minigrad's autograd add
to autograd's calls (their bookkeeping), in µs a step.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

import numpy as np
import threadpoolctl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (puts this checkout's minigrad first on the path)

BARE = "bare tape"


class _Node:
    __slots__ = ("value", "parents", "vjps", "grad", "requires_grad")

    def __init__(self, value: np.ndarray, parents: tuple = (), vjps: tuple = (),
                 requires_grad: bool = False, tape: Optional[list] = None) -> None:
        self.value, self.parents, self.vjps, self.grad = value, parents, vjps, None
        self.requires_grad = requires_grad or any(p.requires_grad for p in parents)
        if tape is not None:
            tape.append(self)


class BareTape(bench.AutogradCalls):
    """Not a method: fit's graph on the least an eager engine needs (module
    docstring), with ``AutogradCalls``' kernels, which are autograd's."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: dict, lr: float) -> None:
        super().__init__(X, Y, params, lr)
        self.tape: List[_Node] = []
        self.leaves = {k: _Node(v, requires_grad=True) for k, v in self.params.items()}
        self.X_node = _Node(X)

    def _op(self, value: np.ndarray, parents: tuple, vjps: tuple) -> _Node:
        return _Node(value, parents, vjps, tape=self.tape)

    def linear(self, role: str, w: _Node, a: _Node, b: _Node) -> _Node:
        W, A = w.value, a.value
        m = A.shape[1]
        return self._op(self._linear(role, W, A, b.value), (w, a, b),
                        (lambda g: self._mm("dW" + role, g, A.T),
                         lambda g: self._mm("dA" + role, W.T, g),
                         lambda g: np.add.reduce(g, axis=(1,), keepdims=True) if m != 1 else g))

    def tanh(self, z: _Node) -> _Node:
        a = np.tanh(z.value, out=self._out("A1", z.value.shape)) \
            if z.value.size >= bench.MIN_ENTRIES else np.tanh(z.value)

        def vjp(g: np.ndarray) -> np.ndarray:
            out = np.multiply(a, a, out=self._out("dZ1", a.shape))
            np.subtract(1.0, out, out=out)
            return np.multiply(g, out, out=out)
        return self._op(a, (z,), (vjp,))

    def cost(self, z: _Node) -> _Node:
        Z2, count = z.value, z.value.size
        e = np.exp(-np.abs(Z2))
        softplus = Z2 * self.signs
        np.maximum(softplus, 0.0, out=softplus)
        softplus += np.log1p(e)

        def vjp(g: np.ndarray) -> np.ndarray:
            out = np.sign(Z2, out=np.empty(Z2.shape))   # σ(Z2) as ops._sigmoid computes it
            np.maximum(e, out, out=out)
            out /= 1.0 + e
            np.subtract(out, self.y, out=out)
            return np.multiply(float(g) / count, out, out=out)
        return self._op(np.asarray(np.add.reduce(softplus, axis=None) / count), (z,), (vjp,))

    def backward(self, root: _Node) -> None:
        root.grad = np.array(1.0)
        for node in reversed(self.tape):
            for parent, vjp in zip(node.parents, node.vjps):
                if parent.requires_grad:
                    g = vjp(node.grad)
                    parent.grad = g if parent.grad is None else parent.grad + g
        self.tape.clear()

    def step(self) -> float:
        p = self.leaves
        A1 = self.tanh(self.linear("Z1", p["W[1]"], self.X_node, p["b[1]"]))
        J = self.cost(self.linear("Z2", p["W[2]"], A1, p["b[2]"]))
        self.backward(J)
        for leaf in p.values():
            grad, leaf.grad = leaf.grad, None
            grad *= -self.lr
            np.add(leaf.value, grad, out=leaf.value)
        return float(J.value)


def run_bare_tape(X, Y, params, lr):
    return bench.run_stepping(BareTape(X, Y, params, lr))


TABLE = {bench.BASE: bench.run_tuned, bench.CALLS: bench.run_autograd_calls,
         BARE: run_bare_tape, "autograd": bench.run_fit("autograd")}


def check_bits(X, Y, params) -> None:
    """The bare engine's three costs and parameters are autograd's, bit for bit."""
    bare, auto = (bench.first_steps(TABLE[n], X, Y, params) for n in (BARE, "autograd"))
    if bare[0] != auto[0] or not all(np.array_equal(bare[1][k], auto[1][k]) for k in auto[1]):
        raise SystemExit(f"{BARE} no longer makes autograd's numpy calls (its costs or "
                         f"parameters differ from autograd's in the last bits): update it "
                         f"with AutogradCalls after a change to the engine's kernels")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 short rounds: a smoke run")
    args = parser.parse_args(argv)
    print(f"| size | (n_x, n_h, m) | tuned | {bench.CALLS} | {BARE} | autograd "
          f"| bookkeeping: {BARE} | bookkeeping: autograd |")
    print("|---|---|---|---|---|---|---|---|")
    with threadpoolctl.threadpool_limits(1):
        for label, shape in bench.QUICK_SIZES.items():
            X, Y, params = bench.make_problem(*shape)
            check_bits(X, Y, params)
            timed = bench.time_size(TABLE, X, Y, params, args.quick, bench.TIMERS["wall"])
            us = {name: entry["median_s"] * 1e6 for name, entry in timed.items()}
            ratios = [(timed[n]["ratio"], timed[n]["ratio_min"], timed[n]["ratio_max"])
                      for n in (bench.CALLS, BARE, "autograd")]
            cells = [f"{us[bench.BASE]:.0f} µs"] + [f"{r:.2f}× ({lo:.2f}–{hi:.2f})"
                                                    for r, lo, hi in ratios]
            extra = [f"{us[n] - us[bench.CALLS]:.0f} µs" for n in (BARE, "autograd")]
            print(f"| {label} | {shape} | " + " | ".join(cells + extra) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
