"""relu's and leaky_relu's kinks inside the step of central differences.

relu and leaky_relu bend at 0. Where a nudge x ± ε carries one's input
across 0, f(x + ε) and f(x - ε) see different slopes, and their difference is
not the slope autograd takes (the one on the point's side): a right gradient
can fail there. The report says so (``InputCheck.at_kink``), rather than a
bare WRONG, when the row's other entries agree and the kinks can account for
the gaps at theirs. How gradcheck finds that out:

- ``_watching_kinks`` runs f with ``ops.kink_watch`` listening: each relu /
  leaky_relu call appends ``(op, input, input > 0)``. At the point the calls
  are kept (``sides``); in a nudged evaluation ``_NudgedCalls`` compares each
  call, as it comes, with the call in its place at the point, and keeps only
  which changed side of 0 (without a graph, f frees each input once used);
- ``_kinks_explain`` says whether the kinks crossed can account for the gaps
  at their entries: by no more than twice |f(x + ε) - 2 f(x) + f(x - ε)| / ε,
  how far they bend f, plus round-off (by any gap where a kink's input is
  exactly 0 at the point, where autograd's slope may be neither side's);
- ``_kink_names`` names each call by its node in f's graph, for the report.
"""
from __future__ import annotations

from typing import Any, Callable, List

import numpy as np

from minigrad import ops
from minigrad.tensor import Tensor, describe, topological_order


def _watching_kinks(call: Callable[[], Any], seen: Any) -> tuple:
    """``call()``, and ``seen`` with what its relu / leaky_relu calls saw
    appended in their order: ``(op, input, input > 0)`` each (``ops.kink_watch``)."""
    watch = ops.kink_watch
    previous, watch.seen = watch.seen, seen
    try:
        result = call()
    finally:
        seen, watch.seen = watch.seen, previous
    return result, seen


class _NudgedCalls:
    """The kink watch of a nudged evaluation: each relu / leaky_relu call is
    compared, as it comes, with the call in its place at the point (``sides``),
    and nothing of it is kept: without a graph, f frees each input once used."""

    def __init__(self, sides: list) -> None:
        self.sides, self.count, self.crossed, self.paired = sides, 0, set(), True

    def append(self, call: tuple) -> None:
        k, self.count = self.count, self.count + 1
        if not self.paired or k >= len(self.sides):
            self.paired = False
            return
        name, z, positive = self.sides[k]
        if call[0] != name or np.shape(call[1]) != np.shape(z):
            self.paired = False
        elif not np.array_equal(positive, call[2]):
            self.crossed.add(k)

    def crossings(self) -> set:
        """The calls whose input changed side of 0, if the evaluation made the calls
        f made at the point, one for one (the same ops on the same shapes, as many).
        An ``if`` on a value in f can skip one or call another: then no call pairs
        with its place."""
        return self.crossed if self.paired and self.count == len(self.sides) else set()


def _kinks_explain(g: np.ndarray, n: np.ndarray, noise: np.ndarray, ends: dict,
                   crossed: dict, value: float, eps: float, sides: list) -> bool:
    """Whether the kinks crossed can account for the gaps at their entries. A
    kink inside the step bends f: the central difference is the mean of the
    one-sided ones, (f(x + ε) - f(x)) / ε and (f(x) - f(x - ε)) / ε, and
    autograd's slope is the one on the point's side, so a kink moves the
    difference by half of how far the two part, |f(x + ε) - 2 f(x) + f(x - ε)| / ε.
    Kinks on both sides of the point can part them less than they move it: the
    bound is twice that, plus round-off. A relu kink of weight 1e-3 beside a VJP
    off by 2 parts them by 1e-3, and excuses nothing. No bound where a kink's
    input is exactly 0 at the point: autograd takes relu's slope at 0 there (0,
    leaky_relu's alpha), which may be neither side's."""
    at_zero: dict = {}
    for index, (plus, minus) in ends.items():
        calls = crossed[index]
        for k in calls:
            if k not in at_zero:
                at_zero[k] = bool(np.any(np.asarray(sides[k][1]) == 0))
        if any(at_zero[k] for k in calls):
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            bend = abs(plus - 2 * value + minus) / eps
            if not abs(g[index] - n[index]) <= 2 * bend + noise[index]:   # NaN: not explained
                return False
    return True


def _kink_names(out: Tensor, sides: list) -> List[str]:
    """How the report names each relu / leaky_relu call f made: its node in
    ``out``'s graph, else ``<op> shape``. Calls are matched to nodes by input
    array and op, in the order they were made: two nodes can read one array
    (relu(z) and leaky_relu(z), or relu(z) twice)."""
    nodes: dict = {}
    for t in sorted(topological_order(out), key=lambda t: t._seq):
        # leaky_relu with alpha = 1 has no kink, and makes no call in ``sides``
        if t.op == "relu" or (t.op == "leaky_relu" and (t.op_params or {}).get("alpha") != 1):
            nodes.setdefault((t.op, id(t.parents[0]._data)), []).append(describe(t))
    names = []
    for name, z, _ in sides:
        made = nodes.get((name, id(z)))
        names.append(made.pop(0) if made else f"<{name}> {z.shape}")
    return names
