"""Gradient checking as the course does it: central differences, and the
relative difference ``‖g - g̃‖₂ / (‖g‖₂ + ‖g̃‖₂)`` against a threshold."""
from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from minigrad import ops
from minigrad.steps import backward_steps
from minigrad.table import text_table
from minigrad.tensor import Tensor, describe, no_grad, topological_order

__all__ = ["numerical_grad", "gradcheck", "relative_difference", "GradcheckReport",
           "InputCheck"]


def _scalar(value: Any, where: str) -> float:
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.size != 1:
        raise ValueError(f"{where}: f must return a scalar; got shape {array.shape}")
    item = array.item()
    if not isinstance(item, Real):   # None, a string (float() takes "1.0"), a complex
        raise TypeError(f"{where}: f must return a scalar; got {type(value).__name__} "
                        f"{value!r:.60}")
    return float(item)


def _tensors(inputs: Sequence[Tensor], where: str) -> list:
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: inputs must be Tensors; got {type(t).__name__}")
    return inputs


def _positive(value: Any, argument: str, where: str) -> float:
    """A step or a threshold: a real number, finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{where}: {argument} must be a positive real number; got "
                        f"{value!r} ({type(value).__name__})")
    if not 0 < value < np.inf:
        raise ValueError(f"{where}: {argument} must be finite and > 0; got {value!r}")
    return float(value)


def _private_copies(inputs: list, requires_grad: Optional[bool] = None) -> list:
    # Leaves with their own copy of the data: nudging one never moves another
    # input that shares its array, nor the caller's array (read-only ones included).
    # Each keeps its input's name and, unless told otherwise, its requires_grad.
    return [Tensor(t.data, name=t.name,
                   requires_grad=t.requires_grad if requires_grad is None else requires_grad)
            for t in inputs]


def _check_unchanged(leaves: list, arrays: list, expected: list, where: str) -> None:
    """f may only read its inputs: an input it changed (in place, or given a new
    array) moves the point every later difference is taken at, and the gradient
    would come out wrong without a word."""
    for i, (t, array, values) in enumerate(zip(leaves, arrays, expected)):
        if t.data is not array or not np.array_equal(array, values, equal_nan=True):
            label = f"its input {t.name}" if t.name else f"input {i}"
            raise RuntimeError(f"{where}: f changed {label} "
                               f"(shape {t.shape}) in place; f must only read its inputs "
                               f"(make a new tensor, t + 1, rather than t += 1)")


def numerical_grad(f: Callable[..., Any], inputs: Sequence[Tensor],
                   eps: float = 1e-7) -> List[np.ndarray]:
    """d f(*inputs) / d input for each input, by central differences
    ``(f(x + ε) - f(x - ε)) / 2ε``, one entry at a time. f must return a scalar.

    f is called on private copies of the inputs (own data arrays, the same
    names and requires_grad), so inputs that share an array are nudged
    independently and the caller's arrays are never changed. f must only read
    them: an f that changes one is a ``RuntimeError`` naming it.
    """
    inputs = _tensors(inputs, "numerical_grad")
    eps = _positive(eps, "eps", "numerical_grad")
    return _differences(f, inputs, eps)[0]


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


def _differences(f: Callable[..., Any], inputs: list, eps: float,
                  sides: Optional[list] = None) -> tuple:
    """numerical_grad's gradients and, given ``sides`` (what f's relu /
    leaky_relu calls saw at the point, ``_watching_kinks``), per input the
    indices of those calls whose input changed side of 0 in one of its nudges:
    there f(x + ε) and f(x - ε) saw different slopes."""
    copies = _private_copies(inputs)
    arrays = [t.data for t in copies]
    expected = [a.copy() for a in arrays]   # what the copies hold, nudge included
    crossed: List[set] = [set() for _ in inputs]

    def value(i: int) -> float:
        if sides is None:
            result = _scalar(f(*copies), "numerical_grad")
        else:
            result, seen = _watching_kinks(lambda: _scalar(f(*copies), "numerical_grad"),
                                           _NudgedCalls(sides))
            crossed[i].update(seen.crossings())
        _check_unchanged(copies, arrays, expected, "numerical_grad")
        return result

    grads = []
    with no_grad():
        for i, (data, values) in enumerate(zip(arrays, expected)):
            grad = np.zeros_like(data)
            for index in np.ndindex(data.shape):
                saved = data[index]
                data[index] = values[index] = saved + eps
                plus = value(i)
                data[index] = values[index] = saved - eps
                minus = value(i)
                data[index] = values[index] = saved
                grad[index] = (plus - minus) / (2 * eps)
            grads.append(grad)
    return grads, crossed


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


def _round_off_bound(f_size: float, x: Any, g: Any, eps: float = 1e-7) -> np.ndarray:
    """How far central differences can be from the true gradient ``g`` by
    round-off alone, entry by entry, with a margin of 10: f(x ± ε) is known to
    about u f_size (u = 2.2e-16; f_size from ``_rounded_size``: |f| and the
    intermediates its value is made of), and the step x ± ε rounds by up to
    u |x|, so (f(x + ε) - f(x - ε)) / 2ε is off by about u (f_size + |x| |g|) / 2ε.
    Where |g| is that small (small weights) or |x| that large, a right gradient
    can miss the course's threshold."""
    u = np.finfo(np.float64).eps
    return 10 * u * (f_size + np.abs(np.asarray(x) * np.asarray(g))) / (2 * eps)


def _rounded_size(out: Tensor) -> float:
    """The size of f's rounding, u times: Σ |v| |∂f/∂v| over f's value and the op
    results it is made of (each rounded to ~u |v|). Not |f| alone: log(1 + x²)
    near x = 0 is ~1e-7 while 1 + x² is 1, rounded to ~1e-16."""
    if not out.requires_grad:   # no graph to look into: f's own value
        return abs(float(out.data.reshape(-1)[0]))
    # where ∂f/∂v is 0, v adds no rounding to f, infinite as it may be (x + (-inf)
    # masked by exp): not inf * 0. Under- and overflow here are no error of f's.
    with np.errstate(under="ignore", over="ignore"):
        return sum(float(np.sum(np.abs(np.multiply(s.node.data, s.grad, where=s.grad != 0,
                                                   out=np.zeros(s.grad.shape)))))
                   for s in backward_steps(out) if s.node.op is not None)


def relative_difference(g: Any, g_tilde: Any) -> float:
    """‖g - g̃‖₂ / (‖g‖₂ + ‖g̃‖₂): 0 when both are zero, in [0, 1] otherwise.

    Both are scaled by their largest magnitude first, so 1e200 and 2e200 give
    1/3 (not an overflow). A NaN or an infinity anywhere gives NaN, which no
    threshold accepts: every comparison ``difference < tol`` then fails.
    ``ValueError`` when the shapes differ (nothing is broadcast).
    """
    g, g_tilde = np.asarray(g, dtype=np.float64), np.asarray(g_tilde, dtype=np.float64)
    if g.shape != g_tilde.shape:
        raise ValueError(f"relative_difference: the shapes {g.shape} and {g_tilde.shape} "
                         f"differ (gradients are compared entry by entry, not broadcast)")
    if g.size == 0:
        return 0.0
    if not (np.isfinite(g).all() and np.isfinite(g_tilde).all()):
        return float("nan")
    scale = max(np.max(np.abs(g)), np.max(np.abs(g_tilde)))
    if scale == 0:
        return 0.0
    # entries far below the largest underflow to 0 (in the scaling, or squared in
    # the norms), which changes nothing: not an error under a np.seterr(all="raise")
    with np.errstate(under="ignore"):
        g, g_tilde = g / scale, g_tilde / scale
        difference = np.linalg.norm(g - g_tilde) / (np.linalg.norm(g) + np.linalg.norm(g_tilde))
    # at most 1 by the triangle inequality; for opposite vectors the three
    # rounded norms can give 1 + 1 ulp
    return min(float(difference), 1.0)


@dataclass
class InputCheck:
    """One input's verdict: its autograd and numerical gradients and their difference."""
    name: str
    shape: tuple
    autograd: np.ndarray
    numerical: np.ndarray
    difference: float
    ok: bool
    #: True when the row misses ``tol`` but no entry differs by more than
    #: round-off can make (``_round_off_bound``): this point cannot tell
    within_round_off: bool = False
    #: False when f's graph does not reach this input (made from its ``.data``,
    #: ``detach()``, ``no_grad``), so that autograd's gradient for it is 0
    in_graph: bool = True
    #: the relu / leaky_relu nodes whose input crossed 0 in a nudge of this
    #: input: there f(x + ε) and f(x - ε) saw different slopes
    kinks: List[str] = field(default_factory=list)


@dataclass
class GradcheckReport:
    """What ``gradcheck`` found, one row per input. Truthy when every input passes."""
    inputs: List[InputCheck]
    tol: float
    #: False when f's value does not depend on any input (every gradient is 0)
    depends_on_inputs: bool = True
    @property
    def in_graph(self) -> bool:
        """False when f's result is connected to none of its inputs in the graph, so
        that autograd's gradients are all 0 (made from ``.data``, ``detach()``,
        ``no_grad``)."""
        return not self.inputs or any(row.in_graph for row in self.inputs)

    @property
    def kinks(self) -> List[str]:
        """The relu / leaky_relu nodes whose input crossed its kink at 0 in a nudge
        of some input, so that the two sides of a difference saw different slopes."""
        return list(dict.fromkeys(k for row in self.inputs for k in row.kinks))

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.inputs)

    @property
    def max_difference(self) -> float:
        """The largest difference; NaN when any difference is NaN."""
        differences = [row.difference for row in self.inputs]
        if any(np.isnan(d) for d in differences):
            return float("nan")
        return max(differences, default=0.0)

    def __bool__(self) -> bool:
        return self.ok

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # How IPython and Jupyter show a cell's last value: the table, as print(report)
        # does, not the dataclass's repr with every gradient in it
        printer.text(str(self))

    def __str__(self) -> str:
        rows = [[r.name, r.shape, f"{r.difference:.3e}",
                 "ok" if r.ok else "WRONG (not finite)" if np.isnan(r.difference)
                 else f"WRONG (>= {self.tol:g})"] for r in self.inputs]
        lines = [text_table(["input", "shape", "difference", "verdict"], rows, align="<<>",
                            rule=False)]
        blurred = [r.name for r in self.inputs if r.within_round_off]
        if blurred:
            lines.append(f"{', '.join(blurred)}: no entry differs by more than round-off can "
                         f"make here (f's last digits, and x ± ε rounded), so this point cannot "
                         f"tell right from wrong: check again where f and the inputs are about 1 "
                         f"in size and the gradients are not tiny")
        # a kink makes a difference wrong, never one that is not finite
        failed = [r for r in self.inputs if r.kinks and not r.ok and not np.isnan(r.difference)]
        if failed:
            kinks = list(dict.fromkeys(k for r in failed for k in r.kinks))
            lines.append(f"at a kink: {', '.join(kinks)}: the differences of "
                         f"{', '.join(r.name for r in failed)} crossed 0 in this node's input, "
                         f"so f(x + ε) and f(x - ε) saw different slopes: check again at "
                         f"another point")
        if not self.depends_on_inputs:
            lines.append("f does not depend on any input: every gradient is 0")
        elif not self.in_graph:
            lines.append("f's value changes with the inputs, but it is not connected to the "
                         "inputs in the graph (made from .data, with detach() or inside "
                         "no_grad()?): autograd's gradients are 0")
        else:
            cut = [r.name for r in self.inputs if not r.in_graph and not r.ok]
            if cut:
                one = len(cut) == 1
                lines.append(f"{', '.join(cut)}: f's value changes with "
                             f"{'it, but it is' if one else 'them, but they are'} not connected "
                             f"to f in the graph (made from .data, with detach() or inside "
                             f"no_grad()?): autograd's "
                             f"{'gradient is' if one else 'gradients are'} 0")
        return "\n".join(lines)


def gradcheck(f: Callable[..., Any], inputs: Sequence[Tensor], eps: float = 1e-7,
              tol: float = 2e-7) -> GradcheckReport:
    """Compare autograd's gradient of the scalar ``f(*inputs)`` with central
    differences, input by input; below ``tol`` (the course's 2e-7) is correct.

    f runs on private copies of the inputs: the inputs (their data, ``.grad``
    and ``requires_grad``) are left as they were, and so is the ``.grad`` of any
    tensor f reads from outside. A difference that is NaN
    (a NaN or infinite gradient) is WRONG. A function that does not depend on
    any input has zero gradients both ways and passes; the report says so, and
    says when f's value moves with the inputs but its graph does not reach them.
    """
    inputs = _tensors(inputs, "gradcheck")
    eps = _positive(eps, "eps", "gradcheck")
    tol = _positive(tol, "tol", "gradcheck")
    leaves = _private_copies(inputs, requires_grad=True)
    arrays = [t.data for t in leaves]
    out, sides = _watching_kinks(lambda: f(*leaves), [])
    _check_unchanged(leaves, arrays, [t.data for t in inputs], "gradcheck")
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor; got {type(out).__name__}")
    _scalar(out, "gradcheck")
    f_size = _rounded_size(out)
    if out.requires_grad and leaves:
        # only the inputs get a .grad: a tensor f reads from outside (a parameter
        # with requires_grad) is the caller's and keeps the grad it had
        out.backward(inputs=leaves)
    analytic = [np.zeros_like(t.data) if t.grad is None else t.grad for t in leaves]
    numeric, crossed = _differences(f, inputs, eps, sides)
    names = _kink_names(out, sides) if any(crossed) else []
    rows = []
    for i, (t, g, n) in enumerate(zip(inputs, analytic, numeric)):
        d = relative_difference(g, n)
        noise = _round_off_bound(f_size, t.data, g, eps)
        blurred = bool(d >= tol and np.all(np.abs(g - n) <= noise))
        rows.append(InputCheck(t.name or f"input {i}", t.shape, g, n, d, d < tol, blurred,
                               in_graph=leaves[i].grad is not None,
                               kinks=[names[k] for k in sorted(crossed[i])]))
    # out.requires_grad is not the test: f made from .data has no graph, yet its
    # value moves with the inputs, and a tensor f reads from outside can give one
    depends = any(row.in_graph for row in rows) or any(n.any() for n in numeric)
    return GradcheckReport(rows, tol, depends_on_inputs=depends)


def _kink_names(out: Tensor, sides: list) -> List[str]:
    """How the report names each relu / leaky_relu call f made: its node in
    ``out``'s graph (found by its input array), else ``<op> shape``."""
    nodes = {id(t.parents[0]._data): describe(t) for t in topological_order(out)
             if t.op in ("relu", "leaky_relu")}
    return [nodes.get(id(z), f"<{name}> {z.shape}") for name, z, _ in sides]
