"""What does a training step cost? ``net.fit(...)`` by every method, against a
tuned hand-written numpy step, timed as a sceptic would.

One step = forward + backward + gradient-descent update of W[1], b[1], W[2],
b[2] of the course's two-layer net (tanh hidden layer, sigmoid output, the
cross-entropy J; samples are columns). Compared:

    tuned numpy   the baseline: the notes' formulas as a competent person writes
                  them for speed (below, ``TunedStep``)
    autograd      net.fit(X, Y, method="autograd"): a new graph each step, J.backward()
    autograd's calls  not a method: the numpy calls autograd makes, written out
                  without the graph (``AutogradCalls``), the same bits; autograd
                  less this is the cost of the graph's bookkeeping
    hand          net.fit(X, Y, method="hand"): the notes' formulas
    replay        net.fit(X, Y, method="replay"), when fit offers it
    torch         PyTorch eager autograd in float64, when ``import torch`` works

    .venv/bin/python benchmarks/bench.py                  # everything, 3 to 7 minutes
    .venv/bin/python benchmarks/bench.py --quick          # a smoke run, seconds
    .venv/bin/python benchmarks/bench.py --update-docs    # and refresh the docs' tables

Method (benchmarks/README.md has the details): every method must first give
the same costs and parameters as the tuned step over three steps (and autograd
the same gradients; autograd's calls autograd's very bits), or the run stops; glibc's allocator as it comes (no
tuning); one BLAS thread; interleaved rounds; the median and the min-max of
the per-round ratios to the tuned step; peak memory (tracemalloc's live numpy
bytes, and RSS) against the tuned step's; GFLOP/s against one core's measured
matrix-product peak.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import shutil
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import threadpoolctl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Measure the checkout this script lives in, not whichever minigrad is installed.
sys.path.insert(0, str(ROOT))

import minigrad  # noqa: E402
from minigrad.buffers import MIN_ENTRIES  # noqa: E402
from minigrad.functional import CheckedLabels  # noqa: E402
from nets import TwoLayerNet  # noqa: E402

RESULTS = HERE / "results"
# Every page with the bench markers: the README and both languages of the Performance page.
DOC_PAGES = [HERE / "README.md", ROOT / "docs" / "performance.md",
             ROOT / "docs" / "performance.zh.md"]
DOC_CHART = ROOT / "docs" / "img" / "bench.png"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

SIZES = {"S1": (2, 4, 400), "S2": (2, 50, 400), "S3": (784, 128, 256),
         "S4": (784, 512, 4096)}
SWEEP = {f"m={m:g} n_h={n_h}": (2, n_h, m) for n_h in (4, 50)
         for m in (400, 4_000, 40_000, 400_000)}
QUICK_SIZES = {"S1": SIZES["S1"], "S2": SIZES["S2"]}
QUICK_SWEEP = {"m=400 n_h=4": (2, 4, 400), "m=4000 n_h=4": (2, 4, 4000)}
# Issue 12's targets: time per step / the tuned step's.
TARGETS = {"hand": {"S1": 1.15, "S2": 1.15, "S3": 1.15},
           "replay": {"S1": 1.25, "S2": 1.1, "S3": 1.05},
           "autograd": {"S1": 2.0, "S2": 1.3, "S3": 1.15}}
LEARNING_RATE = 0.01
BASE = "tuned"
# Not a method: autograd's numpy calls alone, without its graph (AutogradCalls).
CALLS = "autograd's calls"


# --- the problem --------------------------------------------------------------
def make_problem(n_x: int, n_h: int, m: int, seed: int = 0) -> tuple:
    """X (n_x, m) standard normal, labels Y (1, m) in {0, 1}, and the course's
    "random" initialisation (weights randn * 0.01, zero biases)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_x, m)
    Y = (rng.rand(1, m) > 0.5).astype(np.float64)
    params = {"W[1]": rng.randn(n_h, n_x) * 0.01, "b[1]": np.zeros((n_h, 1)),
              "W[2]": rng.randn(1, n_h) * 0.01, "b[2]": np.zeros((1, 1))}
    return X, Y, params


class TunedStep:
    """The baseline: the notes' formulas with preallocated ``out=`` buffers, 1/m
    folded into dZ[2] once, the (n_h, 1) x (1, m) outer product W[2]ᵀ dZ[2]
    by broadcasting, ``ufunc.reduce`` for the sums, in-place updates. The cost
    is the course's -(1/m)(Y·log A + (1 - Y)·log(1 - A)), as two dot products."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: dict, lr: float) -> None:
        self.X, self.Y, self.lr = X, Y, lr
        self.params = {k: v.copy() for k, v in params.items()}
        n_h, m = self.params["W[1]"].shape[0], X.shape[1]
        self.one_minus_Y = (1.0 - Y).ravel()
        self.y = Y.ravel()
        self.inv_m = 1.0 / m
        self.Z1, self.A1 = np.empty((n_h, m)), np.empty((n_h, m))
        self.dZ1, self.G = np.empty((n_h, m)), np.empty((n_h, m))
        self.Z2, self.A2, self.T, self.dZ2 = (np.empty((1, m)) for _ in range(4))
        self.grads = {k: np.empty_like(v) for k, v in self.params.items()}

    def cost_and_grads(self) -> float:
        """J, and ∂J/∂W, ∂J/∂b into ``self.grads``."""
        p, g, X = self.params, self.grads, self.X
        Z1, A1, Z2, A2, T, dZ2, dZ1, G = (self.Z1, self.A1, self.Z2, self.A2, self.T,
                                          self.dZ2, self.dZ1, self.G)
        np.matmul(p["W[1]"], X, out=Z1)
        np.add(Z1, p["b[1]"], out=Z1)
        np.tanh(Z1, out=A1)
        np.matmul(p["W[2]"], A1, out=Z2)
        np.add(Z2, p["b[2]"], out=Z2)
        np.negative(Z2, out=A2)             # A2 = 1 / (1 + e^-Z2)
        np.exp(A2, out=A2)
        np.add(A2, 1.0, out=A2)
        np.reciprocal(A2, out=A2)
        np.log(A2, out=T)
        J = np.dot(self.y, T.ravel())
        np.negative(A2, out=T)
        np.log1p(T, out=T)
        J = -(J + np.dot(self.one_minus_Y, T.ravel())) * self.inv_m
        np.subtract(A2, self.Y, out=dZ2)    # dZ2 = (A2 - Y) / m: 1/m once, here
        np.multiply(dZ2, self.inv_m, out=dZ2)
        np.matmul(dZ2, A1.T, out=g["W[2]"])
        np.add.reduce(dZ2, axis=1, keepdims=True, out=g["b[2]"])
        np.multiply(p["W[2]"].T, dZ2, out=dZ1)   # W2ᵀ dZ2: an outer product
        np.multiply(A1, A1, out=G)               # tanh' = 1 - A1²
        np.subtract(1.0, G, out=G)
        np.multiply(dZ1, G, out=dZ1)
        np.matmul(dZ1, X.T, out=g["W[1]"])
        np.add.reduce(dZ1, axis=1, keepdims=True, out=g["b[1]"])
        return float(J)

    def step(self) -> float:
        J = self.cost_and_grads()
        for key, value in self.params.items():
            grad = self.grads[key]
            np.multiply(grad, self.lr, out=grad)
            np.subtract(value, grad, out=value)
        return J


def run_tuned(X, Y, params, lr):
    """``run(n, callback)`` runs n steps, as ``fit`` does (costs kept, callback
    after each); ``current()`` gives the parameters."""
    step = TunedStep(X, Y, params, lr)

    def run(iterations, callback):
        costs = []
        for i in range(iterations):   # the same per-step bookkeeping as fit's loop
            J = step.step()
            costs.append(J)
            callback(i, J)
        return costs
    return run, lambda: step.params


class AutogradCalls:
    """Not a method: a measurement of one. The numpy calls ``fit(method="autograd")``
    makes in a step, written out in its order, with no graph: what autograd's
    step would cost if its bookkeeping (Tensors, closures, the backward walk,
    the buffer pool's lookups) were free. The difference to autograd is that
    bookkeeping; the difference to the tuned step is the calls themselves (the
    cost that cannot overflow, results allocated or written into pooled arrays). The same bits as autograd, which
    ``check_agreement`` demands, so a change in the engine's calls stops the run
    instead of leaving a stale mirror."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: dict, lr: float) -> None:
        self.X, self.lr = X, lr
        self.params = {k: v.copy() for k, v in params.items()}
        labels = CheckedLabels(Y)
        self.y, self.signs = labels.y, np.where(labels.y > 0.5, -1.0, 1.0)   # loss's
        # the arrays mg.recycling() would hand out (large ones only), by role
        self.pool: dict = {}

    def _out(self, role: str, shape: tuple) -> np.ndarray:
        """buffers.empty: a kept array when large, else a fresh one."""
        if math.prod(shape) < MIN_ENTRIES:
            return np.empty(shape)
        if role not in self.pool:
            self.pool[role] = np.empty(shape)
        return self.pool[role]

    def _mm(self, role: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """ops._mm: an inner dimension of 1 by broadcasting; large results pooled."""
        shape = (a.shape[0], b.shape[1])
        multiply = a.shape[1] == 1
        if math.prod(shape) >= MIN_ENTRIES:
            out = self._out(role, shape)
            return np.multiply(a, b, out=out) if multiply else np.matmul(a, b, out=out)
        return a * b if multiply else a @ b

    def _linear(self, role: str, W: np.ndarray, A: np.ndarray, b: np.ndarray) -> np.ndarray:
        """ops.linear: W A (ops._mm), then b added into that array."""
        Z = self._mm(role, W, A)
        return np.add(Z, b, out=Z)

    def step(self) -> float:
        p, X, y = self.params, self.X, self.y
        W1, b1, W2, b2 = p["W[1]"], p["b[1]"], p["W[2]"], p["b[2]"]
        # forward: linear, tanh, linear, the cross-entropy from the logits
        Z1 = self._linear("Z1", W1, X, b1)
        A1 = np.tanh(Z1, out=self._out("A1", Z1.shape)) if Z1.size >= MIN_ENTRIES \
            else np.tanh(Z1)
        Z2 = self._linear("Z2", W2, A1, b2)
        count = Z2.size
        e = np.exp(-np.abs(Z2))
        softplus = Z2 * self.signs
        np.maximum(softplus, 0.0, out=softplus)
        softplus += np.log1p(e)
        J = float(np.asarray(np.add.reduce(softplus, axis=None) / count).item())
        # backward, in the engine's order; the seed is 1.0
        dZ2 = np.sign(Z2, out=np.empty(Z2.shape))
        np.maximum(e, dZ2, out=dZ2)
        dZ2 /= 1.0 + e
        np.subtract(dZ2, y, out=dZ2)
        np.multiply(1.0 / count, dZ2, out=dZ2)
        m = X.shape[1]
        db2 = np.add.reduce(dZ2, axis=(1,), keepdims=True) if m != 1 else dZ2
        dW2 = self._mm("dW2", dZ2, A1.T)
        dA1 = self._mm("dA1", W2.T, dZ2)
        dZ1 = np.multiply(A1, A1, out=self._out("dZ1", A1.shape))
        np.subtract(1.0, dZ1, out=dZ1)
        np.multiply(dA1, dZ1, out=dZ1)
        db1 = np.add.reduce(dZ1, axis=(1,), keepdims=True) if m != 1 else dZ1
        dW1 = self._mm("dW1", dZ1, X.T)
        for value, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            grad *= -self.lr
            np.add(value, grad, out=value)
        return J


def run_stepping(step) -> tuple:
    """``(run, current)`` for an object whose ``step()`` returns J and whose
    ``params`` are the parameters: ``run(n, callback)`` steps as fit's loop
    does (a list of costs, a callback per step, a non-finite cost stops it)."""
    def run(iterations, callback):
        costs = []
        for i in range(iterations):
            J = step.step()
            if not math.isfinite(J):
                raise FloatingPointError(f"the cost is {J} at iteration {i}")
            costs.append(J)
            callback(i, J)
        return costs
    return run, lambda: step.params


def run_autograd_calls(X, Y, params, lr):
    return run_stepping(AutogradCalls(X, Y, params, lr))


def run_fit(method: str):
    def make(X, Y, params, lr):
        n_x, n_h = params["W[1]"].shape[1], params["W[1]"].shape[0]
        net = TwoLayerNet(n_x, n_h, activation="tanh")
        net.params = {k: v.copy() for k, v in params.items()}

        def run(iterations, callback):
            return net.fit(X, Y, iterations=iterations, learning_rate=lr, method=method,
                           callback=callback)
        return run, lambda: net.params
    return make


def run_torch(X, Y, params, lr):
    import torch
    F = torch.nn.functional
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}

    def run(iterations, callback):
        costs = []
        for i in range(iterations):
            Z1 = p["W[1]"] @ Xt + p["b[1]"]
            Z2 = p["W[2]"] @ torch.tanh(Z1) + p["b[2]"]
            J = F.binary_cross_entropy_with_logits(Z2, Yt)
            J.backward()
            with torch.no_grad():
                for t in p.values():
                    t -= lr * t.grad
                    t.grad = None
            costs.append(J.item())
            callback(i, costs[-1])
        return costs
    return run, lambda: {k: t.detach().numpy() for k, t in p.items()}


def fit_methods() -> List[str]:
    """The methods ``fit`` accepts (replay only once it exists)."""
    X, Y, params = make_problem(2, 2, 3)
    found = []
    for method in ("autograd", "hand", "replay"):
        try:
            TwoLayerNet(2, 2).fit(X, Y, iterations=1, method=method)
        except ValueError as error:
            if "method" not in str(error):
                raise
            continue
        found.append(method)
    return found


def methods(use_torch: bool) -> Dict[str, Callable]:
    table = {BASE: run_tuned}
    for m in fit_methods():
        table[m] = run_fit(m)
        if m == "autograd":   # beside it: how much of its time is numpy's
            table[CALLS] = run_autograd_calls
    if use_torch:
        table["torch"] = run_torch
    return table



# --- agreement before timing -------------------------------------------------
def first_steps(make, X, Y, params, steps: int = 3) -> tuple:
    run, current = make(X, Y, params, LEARNING_RATE)
    costs = run(steps, lambda i, J: None)
    return list(costs), {k: np.array(v) for k, v in current().items()}


def check_agreement(table: dict, X, Y, params) -> dict:
    """The tuned step's cost and gradients equal autograd's (minigrad's eager
    engine) from the same parameters; then every method's first three costs
    and the parameters after them equal the tuned step's. Stops the run otherwise."""
    tuned = TunedStep(X, Y, params, LEARNING_RATE)
    J = tuned.cost_and_grads()
    net = TwoLayerNet(params["W[1]"].shape[1], params["W[1]"].shape[0])
    net.params = {k: v.copy() for k, v in params.items()}
    J_auto, grads = net.autograd(X, Y)
    report = {"tuned vs autograd: cost": _rel(J, J_auto),
              "tuned vs autograd: gradients": max(_rel(tuned.grads[k], grads[k]) for k in grads)}
    if report["tuned vs autograd: cost"] > 1e-10 or report["tuned vs autograd: gradients"] > 1e-8:
        raise SystemExit(f"the tuned step disagrees with autograd: {report}")
    if CALLS in table:   # a mirror of autograd's calls must give autograd's bits
        calls, auto = (first_steps(table[n], X, Y, params) for n in (CALLS, "autograd"))
        report[f"{CALLS} vs autograd"] = max(
            [_rel(np.array(calls[0]), np.array(auto[0]))]
            + [_rel(calls[1][k], auto[1][k]) for k in auto[1]])
        if calls[0] != auto[0] or not all(np.array_equal(calls[1][k], auto[1][k])
                                          for k in auto[1]):
            raise SystemExit(f"{CALLS} no longer makes the engine's numpy calls (its costs "
                             f"or parameters differ from autograd's in the last bits): "
                             f"update AutogradCalls after a change to the engine's kernels")
    base_costs, base_params = first_steps(table[BASE], X, Y, params)
    for name, make in table.items():
        if name == BASE:
            continue
        costs, after = first_steps(make, X, Y, params)
        cost_rel = _rel(np.array(costs), np.array(base_costs))
        param_rel = max(_rel(after[k], base_params[k]) for k in base_params)
        report[f"{name}: 3 costs"], report[f"{name}: parameters after 3 steps"] = \
            cost_rel, param_rel
        if cost_rel > 1e-10 or param_rel > 1e-10:
            raise SystemExit(f"{name} disagrees with the tuned step: costs {costs} vs "
                             f"{base_costs}; parameters differ by {param_rel:.2e} (relative)")
    return report


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# --- timing: every method in the main thread, blocks interleaved -------------
class Runner:
    """Times one method in blocks: each block is one call ``run(k + 1, callback)``
    (for the fit methods, ``net.fit(X, Y, iterations=k + 1, ...)``, continuing
    the same training); the clock starts at the callback after the first step
    and stops at the callback after the last, so the k steps timed leave out
    the call's one-time setup (validation, buffers, recording) and the first
    step, whose buffers are new. ``setup_s`` is the time from the call to that
    first callback (setup + one step). Everything runs in the main thread, as
    a user's fit does: glibc gives other threads other arenas, which behave
    differently."""

    def __init__(self, name: str, run: Callable, clock: Callable) -> None:
        self.name, self.run, self.clock = name, run, clock
        self.setups: List[float] = []

    def block(self, k: int) -> float:
        """Seconds per step over k steps."""
        marks = []
        clock = self.clock

        def callback(i, J):
            marks.append(clock())
        start = clock()
        self.run(k + 1, callback)
        self.setups.append(marks[0] - start)
        return (marks[-1] - marks[0]) / k


def time_size(table: dict, X, Y, params, quick: bool, clock) -> dict:
    runners = [Runner(name, make(X, Y, params, LEARNING_RATE)[0], clock)
               for name, make in table.items()]
    target = 0.01 if quick else 0.05
    per_step = {}
    for r in runners:   # warm-up, which also sizes the blocks
        r.block(2)
        per_step[r.name] = r.block(max(1, int(0.2 * target / max(r.block(1), 1e-7))))
    slowest = max(per_step.values())
    rounds = 3 if quick else (31 if slowest < 0.005 else 9 if slowest < 0.05 else 5)
    counts = {n: max(1, int(target / max(s, 1e-7))) for n, s in per_step.items()}
    samples = {r.name: [] for r in runners}
    for i in range(rounds):
        k = i % len(runners)
        for r in runners[k:] + runners[:k]:   # rotate the order every round
            samples[r.name].append(r.block(counts[r.name]))
    base = samples[BASE]
    out = {}
    for r in runners:
        s = samples[r.name]
        ratios = sorted(t / b for t, b in zip(s, base))
        out[r.name] = {"median_s": statistics.median(s),
                       "setup_s": statistics.median(r.setups),
                       "steps_per_block": counts[r.name], "rounds": rounds,
                       "ratio": statistics.median(ratios), "ratio_min": ratios[0],
                       "ratio_max": ratios[-1], "ratio_q1": float(np.percentile(ratios, 25)),
                       "ratio_q3": float(np.percentile(ratios, 75)), "samples_s": s}
    return out


# --- memory --------------------------------------------------------------------
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None


def _trim() -> None:
    # Give freed heap memory back to the system, so that one method's RSS peak
    # is not hidden by pages a previous one left in the allocator.
    gc.collect()
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


def _status_kb(key: str) -> Optional[int]:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_rss_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")   # resets VmHWM (Linux >= 4.0)
        return True
    except OSError:
        return False


def memory(make, X, Y, params, traced: bool) -> dict:
    """Memory of a method, above the level before it is set up: the peak while
    it steps (steps 2 and 3; what it keeps from its setup, such as buffers, is
    included) and the peak of setting up and running the first step, as
    tracemalloc's live bytes (numpy reports its buffers to it; PyTorch does
    not) and as growth of the resident set (RSS)."""
    result = {}
    if traced:
        _trim()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            marks = []

            def callback(i, J):
                if i == 0:
                    marks.append(tracemalloc.get_traced_memory()[1] - base)
                    tracemalloc.reset_peak()
            run, _ = make(X, Y, params, LEARNING_RATE)
            run(3, callback)
            result["traced_setup_bytes"] = marks[0]
            result["traced_bytes"] = tracemalloc.get_traced_memory()[1] - base
            del run
        finally:
            tracemalloc.stop()
    _trim()
    rss = _status_kb("VmRSS")
    if rss is not None and _reset_rss_peak():
        marks = []

        def callback(i, J):
            if i == 0:
                marks.append(_status_kb("VmHWM"))
                _reset_rss_peak()
        run, _ = make(X, Y, params, LEARNING_RATE)
        run(3, callback)
        result["rss_setup_bytes"] = max(0, marks[0] - rss) * 1024
        result["rss_bytes"] = max(0, _status_kb("VmHWM") - rss) * 1024
    return result


# --- GFLOP/s ---------------------------------------------------------------------
def matmul_flops(n_x: int, n_h: int, m: int) -> int:
    """FLOPs of a step's matrix products: W[1]X and dZ[1]Xᵀ (2 n_h n_x m each),
    W[2]A[1] and dZ[2]A[1]ᵀ (2 n_h m each). The elementwise work adds O(n_h m)."""
    return 4 * n_h * n_x * m + 4 * n_h * m


def matmul_peak(clock) -> float:
    """One thread's best GFLOP/s on float64 matrix products: S3's shape and 1024²."""
    best = 0.0
    for (a, b, c), repeats in (((128, 784, 256), 30), ((1024, 1024, 1024), 4)):
        A, B = np.random.rand(a, b), np.random.rand(b, c)
        out = np.empty((a, c))
        for _ in range(repeats):
            t = clock()
            np.matmul(A, B, out=out)
            best = max(best, 2 * a * b * c / max(clock() - t, 1e-9) / 1e9)
    return best


# --- output ------------------------------------------------------------------------
def _t(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _shape(shape: tuple) -> str:
    return "({}, {}, {})".format(*shape)


def time_table(results: dict, names: List[str]) -> str:
    head = ["size", "(n_x, n_h, m)", f"{BASE} numpy"] + names
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, e in results.items():
        t = e["timings"]
        cells = [label, _shape(e["shape"]), _t(t[BASE]["median_s"])]
        for n in names:
            r = t[n]
            target = TARGETS.get(n, {}).get(label)
            mark = "" if target is None else (" ✓" if r["ratio"] <= target else " ✗")
            cells.append(f"{r['ratio']:.2f}× ({r['ratio_min']:.2f}–{r['ratio_max']:.2f}){mark}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def memory_table(results: dict, names: List[str]) -> str:
    head = ["size", f"{BASE} numpy: traced / RSS"] + [f"{n}" for n in names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, e in results.items():
        mem = e.get("memory")
        if not mem:
            continue
        b = mem[BASE]
        cells = [label, f"{_mb(b.get('traced_bytes'))} / {_mb(b.get('rss_bytes'))}"]
        for n in names:
            cells.append(f"{_ratio(mem[n].get('traced_bytes'), b.get('traced_bytes'))} / "
                         f"{_ratio(mem[n].get('rss_bytes'), b.get('rss_bytes'))}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _mb(n: Optional[int]) -> str:
    return "–" if n is None else f"{n / 1e6:.2f} MB"


def _ratio(a: Optional[int], b: Optional[int]) -> str:
    return "–" if a is None or not b else f"{a / b:.2f}×"


def markdown(report: dict) -> str:
    names = [n for n in report["methods"] if n != BASE]
    when = report["when"]
    lines = [
        f"Run of {when} at commit {report.get('commit') or '?'} "
        f"(`bench.py {' '.join(report['argv'])}`): Python {report['python']}, "
        f"numpy {report['numpy']}, {report['blas_summary']}, torch {report['torch'] or 'absent'}, "
        f"{report['cpus']} CPUs, load average {report['load_before']:.1f} before and "
        f"{report['load_after']:.1f} after the run, glibc's allocator as it comes, "
        f"one BLAS thread, {report['timer']} time.",
        "",
        "Time per step as a multiple of the tuned numpy step's: the median of the "
        "per-round ratios (min–max over rounds); ✓/✗: the issue's target met or not.",
        "",
        time_table(report["sizes"], names),
        "",
        *(["Scaling, n_x = 2:", "", time_table(report["sweep"], names), ""]
          if report["sweep"] else []),
        *(["PyTorch ran in a process of its own (importing it changes glibc's allocator "
           "thresholds for the process), timed against the tuned step there.", ""]
          if report["torch"] else []),
        *without_avx512_section(report, names),
        "Peak memory while stepping (steps 2 and 3, buffers kept from the setup "
        "included), above the level before the method was set up: tracemalloc's live "
        "bytes / RSS growth, as a multiple of the tuned step's (PyTorch's allocator is "
        "invisible to tracemalloc). The JSON also holds the peak of the setup and first "
        "step (for replay: the eager graph it records and the tape's buffers at once).",
        "",
        memory_table({**report["sizes"], **report["sweep"]},
                     [n for n in names if n != CALLS]),   # it keeps no graph to measure
    ]
    s3 = report["sizes"].get("S3")
    if s3 and report.get("peak_gflops"):
        flops = matmul_flops(*s3["shape"])
        rates = ", ".join(f"{n} {flops / s3['timings'][n]['median_s'] / 1e9:.1f}"
                          for n in report["methods"])
        lines += ["", f"At S3 a step's matrix products are {flops / 1e6:.0f} M FLOPs; "
                      f"one core's measured peak is {report['peak_gflops']:.1f} GFLOP/s; "
                      f"achieved GFLOP/s: {rates}."]
    return "\n".join(lines) + "\n"


def without_avx512_section(report: dict, names: List[str]) -> List[str]:
    """The second, labelled table: the same methods where numpy ran without its
    AVX-512 kernels. The table above, this machine as it comes, is the headline."""
    other = report.get("without_avx512")
    if not other:
        return []
    here, there = report["tanh_s"], other["tanh_s"]
    return [f"The same methods without numpy's AVX-512 kernels, in a process of their own "
            f"(`NPY_DISABLE_CPU_FEATURES=\"{' '.join(other['disabled'])}\"`): the code numpy "
            f"runs on a CPU without AVX-512. np.tanh of a (50, 400) array takes "
            f"{_t(there)} there against {_t(here)} above, so the tuned step's time, and "
            f"every ratio to it, moves. This table shows how much; the one above is this "
            f"machine as it comes.",
            "", time_table(other["sizes"], [n for n in names if n != "torch"]), ""]


def plot(report: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in report["methods"] if n != BASE]
    sweep = report["sweep"]
    # --no-sweep: one panel, not an empty "Scaling" beside it
    fig, axes = plt.subplots(1, 2 if sweep else 1, figsize=(12 if sweep else 6.5, 4.5),
                             squeeze=False)
    left = axes[0, 0]
    sizes = report["sizes"]
    x = np.arange(len(sizes))
    width = 0.8 / max(len(names), 1)
    for i, n in enumerate(names):
        med = np.array([sizes[s]["timings"][n]["ratio"] for s in sizes])
        lo = med - [sizes[s]["timings"][n]["ratio_min"] for s in sizes]
        hi = np.array([sizes[s]["timings"][n]["ratio_max"] for s in sizes]) - med
        bars = left.bar(x + (i - (len(names) - 1) / 2) * width, med, width, label=n,
                        yerr=[lo, hi], capsize=2)
        left.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    left.axhline(1.0, color="gray", lw=1, ls="--")
    left.set_xticks(x, [f"{s}\n{_shape(sizes[s]['shape'])}" for s in sizes])
    left.set_ylabel("time per step / tuned numpy step")
    left.set_title("fit(...) per step (median, min–max over rounds)")
    left.legend(fontsize=8)
    if sweep:
        _plot_sweep(axes[0, 1], sweep, names)
    fig.suptitle(f"One training step of the two-layer net (lower is better); run {report['when']}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_sweep(right, sweep: dict, names: List[str]) -> None:
    """Each method's ratio against m, a line per n_h."""
    for i, n in enumerate(names):
        for n_h, style in ((4, "-"), (50, "--")):
            pts = [(e["shape"][2], e["timings"][n]["ratio"]) for e in sweep.values()
                   if e["shape"][1] == n_h]
            if pts:
                right.plot(*zip(*pts), style, marker="o", color=f"C{i}",
                           label=f"{n}, n_h={n_h}")
    right.axhline(1.0, color="gray", lw=1, ls="--")
    right.set_xscale("log")
    right.set_xlabel("m (samples), n_x = 2")
    right.set_ylabel("time per step / tuned numpy step")
    right.set_title("Scaling")
    right.legend(fontsize=7, ncol=2)


def update_docs(table_md: str, chart: Path) -> None:
    """Put the run's tables between the bench markers of the README and the
    Performance pages (English and Chinese), and its chart where the pages show it."""
    for page in DOC_PAGES:
        text = page.read_text(encoding="utf-8")   # not the locale's: the Chinese page
        if BEGIN not in text or END not in text:
            raise SystemExit(f"{page}: no {BEGIN} ... {END} markers to put the results between")
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        page.write_text(f"{head}{BEGIN}\n{table_md}{END}{tail}", encoding="utf-8")
    DOC_CHART.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(chart, DOC_CHART)


# --- main ---------------------------------------------------------------------------
TIMERS = {"wall": time.perf_counter, "cpu": time.process_time}


def run_sizes(sizes: dict, table: dict, quick: bool, clock,
              memory_up_to: Optional[int]) -> dict:
    """Agreement and timings of each size; peak memory too up to ``memory_up_to``
    entries of A[1] (n_h * m), or at no size when None."""
    results = {}
    for label, shape in sizes.items():
        X, Y, params = make_problem(*shape)
        agreement = check_agreement(table, X, Y, params)
        timings = time_size(table, X, Y, params, quick, clock)
        entry = {"shape": list(shape), "agreement": agreement, "timings": timings}
        if memory_up_to is not None and shape[1] * shape[2] <= memory_up_to:
            entry["memory"] = {n: memory(make, X, Y, params, traced=n != "torch")
                               for n, make in table.items() if n != CALLS}
        results[label] = entry
        line = "  ".join(f"{n} {v['ratio']:.2f}×" for n, v in timings.items() if n != BASE)
        print(f"{label:>16} {_shape(shape):>18}  {BASE} {_t(timings[BASE]['median_s'])}  "
              f"{line}", flush=True)
    return results


def _commit() -> Optional[str]:
    """The checkout's commit, with "+" when it has uncommitted changes."""
    import subprocess
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+" if dirty else "")


def torch_in_a_child(args: argparse.Namespace) -> Optional[dict]:
    """PyTorch's timings from a process of its own: importing torch changes
    glibc's allocator thresholds for the whole process (its own allocations
    raise them), and with them what the numpy methods pay. The child times
    torch against the tuned step, interleaved, as here."""
    import importlib.util
    import subprocess
    import tempfile
    if args.torch == "off" or importlib.util.find_spec("torch") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, str(Path(__file__).resolve()), "--only-torch",
                   "--timer", args.timer, "--out", tmp]
        command += ["--quick"] if args.quick else []
        command += ["--sizes", args.sizes] if args.sizes else []
        command += ["--no-sweep"] if args.no_sweep else []
        subprocess.run(command, check=True)
        return json.loads((Path(tmp) / "bench.json").read_text())


def merge_torch(report: dict, child: dict) -> None:
    report["torch"] = child["torch"]
    report["methods"].append("torch")
    for part in ("sizes", "sweep"):
        for label, entry in report[part].items():
            theirs = child[part][label]
            entry["timings"]["torch"] = theirs["timings"]["torch"]
            entry["timings"]["torch"]["tuned_in_its_process_s"] = \
                theirs["timings"][BASE]["median_s"]
            entry["agreement"].update({k: v for k, v in theirs["agreement"].items()
                                       if k.startswith("torch")})
            if "memory" in entry:
                entry["memory"]["torch"] = theirs["memory"]["torch"]


def _numpy_cpu() -> tuple:
    """numpy's (dispatch targets it was built with, {feature: this process runs it})."""
    try:
        from numpy._core import _multiarray_umath as umath   # numpy 2
    except ImportError:
        from numpy.core import _multiarray_umath as umath    # numpy 1
    return getattr(umath, "__cpu_dispatch__", []), getattr(umath, "__cpu_features__", {})


def avx512_targets() -> List[str]:
    """numpy's AVX-512 dispatch targets that this CPU runs (X86_V4, AVX512_ICL, ...
    in numpy 2.4; AVX512F, AVX512_SKX, ... before): empty on a CPU without AVX-512."""
    dispatch, features = _numpy_cpu()
    return [f for f in dispatch if ("AVX512" in f or f == "X86_V4") and features.get(f)]


def check_avx512_left_out() -> None:
    """In the child: stop unless numpy really left out what it was asked to."""
    features = _numpy_cpu()[1]
    asked = os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split()
    kept = [f for f in asked if features.get(f)]
    if not asked or kept:
        raise SystemExit(f"numpy still runs {kept or 'every kernel'}: "
                         f"NPY_DISABLE_CPU_FEATURES={' '.join(asked)!r} was not applied")


def tanh_seconds(clock) -> float:
    """np.tanh on a (50, 400) array (S2's A[1]), best of 200: the kernel that
    differs most between CPUs with and without AVX-512."""
    z = np.random.RandomState(0).randn(50, 400)
    out = np.empty_like(z)
    best = float("inf")
    for _ in range(200):
        t = clock()
        np.tanh(z, out=out)
        best = min(best, clock() - t)
    return best


def without_avx512_in_a_child(args: argparse.Namespace) -> Optional[dict]:
    """The numpy methods at S1 to S3 again, in a process where numpy leaves out
    its AVX-512 kernels (NPY_DISABLE_CPU_FEATURES, read when numpy is imported):
    the code a CPU without AVX-512 runs. np.tanh there is several times slower,
    and a ratio to the tuned step moves with it. None on a CPU without AVX-512."""
    import subprocess
    import tempfile
    targets = avx512_targets()
    if args.without_avx512 == "off" or not targets:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, str(Path(__file__).resolve()), "--only-without-avx512",
                   "--timer", args.timer, "--out", tmp, "--no-sweep", "--torch", "off"]
        command += ["--quick"] if args.quick else []
        command += ["--sizes", args.sizes] if args.sizes else []
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(targets)}
        subprocess.run(command, check=True, env=env)
        child = json.loads((Path(tmp) / "bench.json").read_text())
    return {"disabled": targets, "tanh_s": child["tanh_s"], "sizes": child["sizes"]}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="S1, S2 and a small sweep, 3 short rounds: a smoke run")
    parser.add_argument("--sizes", default=None,
                        help=f"a comma-separated subset of {', '.join(SIZES)} (default: all; "
                             f"--quick: S1,S2)")
    parser.add_argument("--no-sweep", action="store_true", help="leave out the m x n_h sweep")
    parser.add_argument("--timer", choices=sorted(TIMERS), default="wall",
                        help="wall-clock (default) or the process's CPU time")
    parser.add_argument("--torch", choices=["auto", "off"], default="auto",
                        help="time PyTorch, in a process of its own, when it is installed "
                             "(default) or not")
    parser.add_argument("--only-torch", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--without-avx512", choices=["auto", "off"], default="auto",
                        help="on a CPU with AVX-512, also time S1 to S3 in a process where "
                             "numpy leaves its AVX-512 kernels out, as a second, labelled "
                             "table (default) or not")
    parser.add_argument("--only-without-avx512", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--from-json", type=Path, default=None,
                        help="time nothing: write the tables and chart (and, with "
                             "--update-docs, the docs) from a bench.json of an earlier run")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="directory for bench.json, bench.md and bench.png")
    parser.add_argument("--update-docs", action="store_true",
                        help="also put the tables and chart into benchmarks/README.md "
                             "and docs/performance.md (and .zh.md)")
    args = parser.parse_args(argv)
    if args.sizes and not set(args.sizes.upper().split(",")) <= set(SIZES):
        parser.error(f"--sizes takes names from {', '.join(SIZES)}; got {args.sizes!r}")
    argv_used = sys.argv[1:] if argv is None else list(argv)
    if args.from_json is not None:
        write_outputs(json.loads(args.from_json.read_text()), args)
        return 0
    clock = TIMERS[args.timer]
    load_before = os.getloadavg()[0]
    torch_version = None
    with threadpoolctl.threadpool_limits(1):
        if args.only_torch:
            import torch
            torch.set_num_threads(1)
            torch_version = torch.__version__
            table = {BASE: run_tuned, "torch": run_torch}
        else:
            table = methods(use_torch=False)
        blas = [{k: lib.get(k) for k in ("internal_api", "version", "num_threads",
                                         "architecture", "filepath")}
                for lib in threadpoolctl.threadpool_info()]
        blas_summary = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']})"
                                 for b in blas if b["internal_api"] not in ("openmp",)
                                 and "torch" not in str(b["filepath"])) or "BLAS ?"
        print(f"python {platform.python_version()}, numpy {np.__version__}, {blas_summary}, "
              f"{os.cpu_count()} CPUs, 1 BLAS thread, glibc malloc as it comes, {args.timer} "
              f"time; methods: {', '.join(table)}; minigrad from "
              f"{Path(minigrad.__file__).parent}", flush=True)
        sizes = QUICK_SIZES if args.quick else SIZES
        if args.sizes:
            sizes = {k: SIZES[k] for k in args.sizes.upper().split(",")}
        if args.only_without_avx512:   # the kernels change the time, not the memory
            sizes = {k: v for k, v in sizes.items() if k in ("S1", "S2", "S3")}
            check_avx512_left_out()
        sweep = {} if args.no_sweep else QUICK_SWEEP if args.quick else SWEEP
        results = run_sizes(sizes, table, args.quick, clock,
                            memory_up_to=None if args.only_without_avx512 else 10**9)
        sweep_results = run_sizes(sweep, table, args.quick, clock, memory_up_to=4 * 400_000)
        peak = None if args.only_torch or args.only_without_avx512 else matmul_peak(clock)
        tanh_s = None if args.only_torch else tanh_seconds(clock)   # nobody reads torch's
    report = {"when": time.strftime("%Y-%m-%d %H:%M %Z"), "argv": argv_used,
              "commit": _commit(),
              "python": platform.python_version(), "numpy": np.__version__,
              "torch": torch_version, "cpus": os.cpu_count(),
              "blas": blas, "blas_summary": blas_summary, "timer": args.timer,
              "quick": args.quick, "load_before": load_before,
              "learning_rate": LEARNING_RATE, "targets": TARGETS, "methods": list(table),
              "peak_gflops": peak, "tanh_s": tanh_s, "sizes": results, "sweep": sweep_results}
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only_torch or args.only_without_avx512:
        (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
        return 0
    child = torch_in_a_child(args)
    if child is not None:
        merge_torch(report, child)
    report["without_avx512"] = without_avx512_in_a_child(args)
    report["load_after"] = os.getloadavg()[0]
    write_outputs(report, args)
    return 0


def write_outputs(report: dict, args: argparse.Namespace) -> None:
    """The table (stdout, bench.md), the JSON, the chart, and the docs if asked."""
    table_md = markdown(report)
    print("\n" + table_md)
    worst = {}
    for entry in {**report["sizes"], **report["sweep"]}.values():
        for k, v in entry["agreement"].items():
            worst[k] = max(worst.get(k, 0.0), v)
    print("agreement checked before timing (largest relative difference over all sizes):")
    for k, v in worst.items():
        print(f"  {k}: {v:.1e}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "bench.md").write_text(table_md)
    plot(report, args.out / "bench.png")
    print(f"wrote {args.out / 'bench.json'}, bench.md and bench.png")
    if args.update_docs:
        update_docs(table_md, args.out / "bench.png")
        print(f"updated {', '.join(str(p.relative_to(ROOT)) for p in DOC_PAGES)} and "
              f"{DOC_CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
