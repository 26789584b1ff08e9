"""What does autograd cost? One training step of the course's two-layer net,
three ways, timed side by side in one process.

One step = forward + backward + gradient-descent update of W[1], b[1], W[2], b[2]
for the tanh / sigmoid net with the cross-entropy cost J, samples as columns:

    numpy     the notes' formulas, written by hand (dZ2 = A2 - Y, ...)
    minigrad  the same graph built from minigrad ops, gradients by J.backward()
    torch     PyTorch eager autograd in float64, when ``import torch`` works

    .venv/bin/python benchmarks/bench.py                 # all sizes, one BLAS thread
    .venv/bin/python benchmarks/bench.py --quick --sizes S1,S2
    .venv/bin/python benchmarks/bench.py --threads 2 --timer cpu

First every implementation must give the same cost and gradients from the same
parameters; then the steps are timed in interleaved rounds (each round runs a
block of steps of every implementation, in a rotating order) after a warm-up.
Reported: the median time per step, the median over rounds of its ratio to hand
numpy's in the same round, and the peak memory of one step (tracemalloc).
Results go to benchmarks/results/bench.json and bench.png; benchmarks/README.md
explains the method. Absolute times depend on the machine; the ratios are what
this measures.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import threadpoolctl

import minigrad as mg

torch = None   # imported in main() unless --torch off: PyTorch is optional

# glibc returns freed memory at the top of the heap to the system once more
# than MALLOC_TRIM_THRESHOLD_ is free, and the step's 0.1-10 MB temporaries are
# then faulted back in on every step. Whether that happens depends on the
# process's history (importing PyTorch alone changes it), and it costs minigrad,
# which allocates more arrays, more than hand numpy: S3 measured 1.35x without
# PyTorch and 1.00x with it. "--malloc steady" (the default) fixes the
# thresholds so the ratio measures the engines; "--malloc system" leaves them.
STEADY_MALLOC = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(1 << 30)}

SIZES = {"S1": (2, 4, 400), "S2": (2, 50, 400), "S3": (784, 128, 256), "S4": (784, 512, 4096)}
# Targets from the issue: minigrad's time per step as a multiple of hand numpy's.
TARGETS = {"S1": 1.3, "S2": 1.1, "S3": 1.1, "S4": 1.05}
MEMORY_TARGET = ("S3", 1.2)      # peak memory at S3 within 1.2x of hand numpy
TORCH_OVER_MINIGRAD_TARGET = ("S1", 2.5)
LEARNING_RATE = 0.01
RESULTS = Path(__file__).resolve().parent / "results"


def make_problem(n_x: int, n_h: int, m: int, seed: int = 0) -> tuple:
    """Random X (n_x, m), labels Y (1, m) in {0, 1}, and the course's "random"
    initialisation (weights randn * 0.01, zero biases)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_x, m)
    Y = (rng.rand(1, m) > 0.5).astype(np.float64)
    params = {"W1": rng.randn(n_h, n_x) * 0.01, "b1": np.zeros((n_h, 1)),
              "W2": rng.randn(1, n_h) * 0.01, "b2": np.zeros((1, 1))}
    return X, Y, params


class HandNumpy:
    """The notes' forward pass and hand-derived backprop, in plain numpy."""
    name = "numpy"

    def __init__(self, X, Y, params, lr):
        self.X, self.Y, self.lr = X, Y, lr
        self.params = {k: v.copy() for k, v in params.items()}

    def cost_and_grads(self):
        X, Y, p = self.X, self.Y, self.params
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        m = X.shape[1]
        Z1 = W1 @ X + b1
        A1 = np.tanh(Z1)
        Z2 = W2 @ A1 + b2
        A2 = 1.0 / (1.0 + np.exp(-Z2))
        cost = -np.mean(Y * np.log(A2) + (1.0 - Y) * np.log(1.0 - A2))
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / m
        db2 = np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = (W2.T @ dZ2) * (1.0 - A1 ** 2)
        dW1 = dZ1 @ X.T / m
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m
        return float(cost), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def step(self):
        _, grads = self.cost_and_grads()
        for key, value in self.params.items():
            value -= self.lr * grads[key]

    def release(self):
        pass   # keeps nothing between steps


class Minigrad:
    """The same net as a minigrad graph; gradients from J.backward()."""
    name = "minigrad"

    def __init__(self, X, Y, params, lr):
        self.X, self.Y, self.lr = mg.tensor(X, name="X"), mg.tensor(Y, name="Y"), lr
        self.params = {k: mg.tensor(v.copy(), requires_grad=True, name=k)
                       for k, v in params.items()}

    def cost_and_grads(self):
        p = self.params
        for t in p.values():
            t.zero_grad()
        Z1 = p["W1"] @ self.X + p["b1"]
        A1 = mg.tanh(Z1)
        Z2 = p["W2"] @ A1 + p["b2"]
        A2 = mg.sigmoid(Z2)
        J = mg.binary_cross_entropy(A2, self.Y)
        J.backward()
        return J.item(), {k: t.grad for k, t in p.items()}

    def step(self):
        self.cost_and_grads()
        for t in self.params.values():
            t.data -= self.lr * t.grad

    def release(self):
        for t in self.params.values():
            t.zero_grad()


class Torch:
    """PyTorch eager autograd, float64, the idiomatic step."""
    name = "torch"

    def __init__(self, X, Y, params, lr):
        self.X, self.Y, self.lr = torch.from_numpy(X), torch.from_numpy(Y), lr
        self.params = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}

    def cost_and_grads(self):
        p = self.params
        for t in p.values():
            t.grad = None
        Z1 = p["W1"] @ self.X + p["b1"]
        A1 = torch.tanh(Z1)
        Z2 = p["W2"] @ A1 + p["b2"]
        A2 = torch.sigmoid(Z2)
        J = torch.nn.functional.binary_cross_entropy(A2, self.Y)
        J.backward()
        return J.item(), {k: t.grad for k, t in p.items()}

    def step(self):
        self.cost_and_grads()
        with torch.no_grad():
            for t in self.params.values():
                t -= self.lr * t.grad

    def release(self):
        for t in self.params.values():
            t.grad = None


def as_numpy(a):
    return a.detach().numpy() if torch is not None and isinstance(a, torch.Tensor) else a


def check_agreement(impls: list) -> None:
    """Same parameters in, same cost and gradients out, or stop here."""
    reference_cost, reference = impls[0].cost_and_grads()
    for impl in impls[1:]:
        cost, grads = impl.cost_and_grads()
        np.testing.assert_allclose(cost, reference_cost, rtol=1e-10,
                                   err_msg=f"cost: {impl.name} vs numpy")
        for key, expected in reference.items():
            got = as_numpy(grads[key])
            scale = np.abs(expected).max()
            np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12 * scale,
                                       err_msg=f"d{key}: {impl.name} vs numpy")


# "wall": time.perf_counter, what a user waits. "cpu": the CPU time of this
# process (all its threads, BLAS's included), which leaves out the time the OS
# gave to other processes: steadier on a busy machine.
TIMERS = {"wall": time.perf_counter, "cpu": time.process_time}


def steps_per_block(impl, target_seconds: float, clock) -> int:
    """How many steps make one timed block last about target_seconds."""
    start = clock()
    impl.step()
    once = clock() - start
    return max(1, int(target_seconds / max(once, 1e-7)))


def time_interleaved(impls: list, rounds: int, block_seconds: float, warmup: int,
                     clock) -> dict:
    """Seconds per step for each implementation over `rounds` rounds.

    Every round times one block of steps of each implementation, rotating the
    order, so that a slow spell of the machine hits all of them alike. The
    ratio to numpy is the median over rounds of the ratio within a round: the
    blocks it compares ran seconds apart, under the same load.
    """
    for impl in impls:
        for _ in range(warmup):
            impl.step()
    counts = {impl.name: steps_per_block(impl, block_seconds, clock) for impl in impls}
    samples = {impl.name: [] for impl in impls}
    for r in range(rounds):
        k = r % len(impls)
        for impl in impls[k:] + impls[:k]:
            n = counts[impl.name]
            start = clock()
            for _ in range(n):
                impl.step()
            samples[impl.name].append((clock() - start) / n)
    base = samples["numpy"]
    return {name: {"median_s": statistics.median(s), "min_s": min(s),
                   "q1_s": float(np.percentile(s, 25)), "q3_s": float(np.percentile(s, 75)),
                   "ratio_to_numpy": statistics.median(t / b for t, b in zip(s, base)),
                   "steps_per_block": counts[name], "rounds": rounds, "samples_s": s}
            for name, s in samples.items()}


def peak_memory(impl) -> int:
    """Bytes allocated above the starting level at the peak of one step, as
    tracemalloc sees them: numpy arrays' buffers and Python objects. The
    gradients a previous step left on the parameters are dropped first, so
    that freeing them does not hide part of the step's own peak. PyTorch's
    allocator is invisible to tracemalloc, so torch gets no number."""
    impl.release()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        impl.step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def blas_info() -> list:
    keys = ("user_api", "internal_api", "version", "num_threads", "architecture",
            "threading_layer", "filepath")
    return [{k: lib.get(k) for k in keys} for lib in threadpoolctl.threadpool_info()]


def run(sizes: list, quick: bool, clock) -> dict:
    classes = [HandNumpy, Minigrad] + ([Torch] if torch is not None else [])
    results = {}
    for label in sizes:
        n_x, n_h, m = SIZES[label]
        X, Y, params = make_problem(n_x, n_h, m)
        impls = [cls(X, Y, params, LEARNING_RATE) for cls in classes]
        check_agreement(impls)
        big = n_x * n_h * m > 10**8
        rounds = (5 if big else 9) if quick else (15 if big else 41)
        block = 0.0 if big else (0.02 if quick else 0.05)
        timings = time_interleaved(impls, rounds, block, 2 if big else 20, clock)
        memory = {impl.name: peak_memory(impl) for impl in impls if impl.name != "torch"}
        data = X.nbytes + Y.nbytes + sum(v.nbytes for v in params.values())
        entry = {"shape": {"n_x": n_x, "n_h": n_h, "m": m}, "timings": timings,
                 "ratio_to_numpy": {k: v["ratio_to_numpy"] for k, v in timings.items()},
                 "target_ratio": TARGETS[label],
                 "peak_memory_bytes": memory,
                 "memory_ratio_to_numpy": memory["minigrad"] / memory["numpy"],
                 "data_and_params_bytes": data,
                 "memory_ratio_with_data": (memory["minigrad"] + data) / (memory["numpy"] + data)}
        if "torch" in timings:
            entry["torch_over_minigrad"] = statistics.median(
                t / g for t, g in zip(_samples(timings, "torch"), _samples(timings, "minigrad")))
        results[label] = entry
        print_row(label, entry, first=label == sizes[0])
    return results


def _samples(timings: dict, name: str) -> list:
    return timings[name]["samples_s"]


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}" if seconds < 0.1 else f"{seconds * 1e3:,.1f}ms"


def print_row(label: str, e: dict, first: bool) -> None:
    t, r = e["timings"], e["ratio_to_numpy"]
    if first:
        head = (f"{'size':4} {'(n_x, n_h, m)':>16} {'numpy µs':>10} {'minigrad µs':>12} "
                f"{'ratio':>6} {'target':>11}")
        if "torch" in t:
            head += f" {'torch µs':>10} {'ratio':>6} {'torch/mg':>8}"
        head += f" {'mem numpy':>10} {'mem mg':>9} {'ratio':>6} {'+data':>6}"
        print(head)
    shape = "({n_x}, {n_h}, {m})".format(**e["shape"])
    verdict = "ok" if r["minigrad"] <= e["target_ratio"] else "MISS"
    line = (f"{label:4} {shape:>16} {_us(t['numpy']['median_s']):>10} "
            f"{_us(t['minigrad']['median_s']):>12} {r['minigrad']:6.2f} "
            f"{'≤' + format(e['target_ratio'], '.2f'):>6} {verdict:4}")
    if "torch" in t:
        line += (f" {_us(t['torch']['median_s']):>10} {r['torch']:6.2f} "
                 f"{e['torch_over_minigrad']:8.2f}")
    mem = e["peak_memory_bytes"]
    line += (f" {mem['numpy'] / 2**20:8.2f}MB {mem['minigrad'] / 2**20:7.2f}MB "
             f"{e['memory_ratio_to_numpy']:6.2f} {e['memory_ratio_with_data']:6.2f}")
    print(line, flush=True)


def print_targets(results: dict) -> None:
    """The two targets that are not a time ratio to numpy."""
    size, limit = MEMORY_TARGET
    if size in results:
        ratio = results[size]["memory_ratio_to_numpy"]
        print(f"\nmemory at {size}: minigrad / numpy = {ratio:.2f} (target ≤ {limit}): "
              f"{'ok' if ratio <= limit else 'MISS'}")
    size, limit = TORCH_OVER_MINIGRAD_TARGET
    if size in results and "torch_over_minigrad" in results[size]:
        ratio = results[size]["torch_over_minigrad"]
        print(f"torch at {size}: torch / minigrad = {ratio:.2f} (target ≥ {limit}): "
              f"{'ok' if ratio >= limit else 'MISS'}")


def plot(results: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(results)
    names = [n for n in ("minigrad", "torch") if n in results[labels[0]]["ratio_to_numpy"]]
    x = np.arange(len(labels))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, name in enumerate(names):
        values = [results[s]["ratio_to_numpy"][name] for s in labels]
        bars = ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=2)
    ax.scatter(x - (len(names) - 1) / 2 * width, [results[s]["target_ratio"] for s in labels],
               marker="_", s=500, linewidths=2, color="crimson", zorder=3,
               label="minigrad target")
    ax.axhline(1.0, color="gray", lw=1, ls="--")
    ax.set_xticks(x, [f"{s}\n" + "({n_x}, {n_h}, {m})".format(**results[s]["shape"])
                      for s in labels])
    ax.set_ylabel("time per step / hand-written numpy")
    ax.set_title("One training step of the two-layer net (lower is better)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help=f"comma-separated subset of {', '.join(SIZES)} (default: all)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS (and torch) threads; default 1, for stable ratios")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--timer", choices=sorted(TIMERS), default="wall",
                        help="wall-clock time (default), or the process's CPU time, "
                             "steadier when other programs share the machine")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for bench.json/.png")
    parser.add_argument("--torch", choices=["auto", "off"], default="auto",
                        help="time PyTorch when it is installed (auto, the default) or not")
    parser.add_argument("--malloc", choices=["steady", "system"], default="steady",
                        help="steady (default): fixed glibc trim/mmap thresholds, so the "
                             "ratios do not depend on the process's history; system: as is")
    args = parser.parse_args(argv)
    if args.malloc == "steady" and sys.platform.startswith("linux") and argv is None \
            and any(os.environ.get(k) != v for k, v in STEADY_MALLOC.items()):
        # glibc reads these at start-up only: run again with them set.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **STEADY_MALLOC})
    global torch
    if args.torch == "auto":
        try:
            import torch
        except ImportError:   # its columns are left out
            torch = None
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or not sizes or args.threads < 1:
        parser.error(f"--sizes takes names from {', '.join(SIZES)}; got {args.sizes!r}"
                     if unknown or not sizes else "--threads must be at least 1")

    with threadpoolctl.threadpool_limits(args.threads):
        if torch is not None:
            torch.set_num_threads(args.threads)
        blas = blas_info()
        print(f"python {platform.python_version()}, numpy {np.__version__}, "
              f"torch {torch.__version__ if torch is not None else 'off' if args.torch == 'off' else 'not installed'}, "
              f"{os.cpu_count()} CPUs, {args.threads} BLAS thread(s), malloc {args.malloc}")
        for lib in blas:
            print(f"  {lib['internal_api']} {lib['version']} ({lib['architecture']}), "
                  f"{lib['num_threads']} thread(s): {lib['filepath']}")
        print(f"time ({args.timer}): median per step over interleaved rounds; ratio: median "
              f"of the per-round ratios to hand numpy\nmemory: tracemalloc peak above the "
              f"level before one step (numpy buffers + Python objects); +data: the same "
              f"ratio counting X, Y and the parameters\n")
        results = run(sizes, args.quick, TIMERS[args.timer])
    print_targets(results)

    report = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "python": platform.python_version(),
              "numpy": np.__version__, "torch": torch.__version__ if torch is not None else None,
              "cpus": os.cpu_count(), "threads": args.threads, "quick": args.quick,
              "timer": args.timer, "malloc": args.malloc,
              "blas": blas, "learning_rate": LEARNING_RATE, "targets": TARGETS,
              "memory_target": {"size": MEMORY_TARGET[0], "ratio": MEMORY_TARGET[1]},
              "torch_over_minigrad_target": {"size": TORCH_OVER_MINIGRAD_TARGET[0],
                                             "ratio": TORCH_OVER_MINIGRAD_TARGET[1]},
              "memory_note": "tracemalloc peak above the level before one step; "
                             "torch's allocator is not traced",
              "sizes": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(results, args.out / "bench.png")
    print(f"\nwrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
