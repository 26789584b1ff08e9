"""Gradient checking as the course does it: central differences, and the
relative difference ``‖g - g̃‖₂ / (‖g‖₂ + ‖g̃‖₂)`` against a threshold.

Two of the questions the report answers under a failed row have modules of
their own: whether round-off alone can account for the gaps
(``minigrad.round_off``), and whether relu kinks the nudges crossed can
(``minigrad.kinks``)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from minigrad.kinks import _kink_names, _kinks_explain, _NudgedCalls, _watching_kinks
from minigrad.round_off import _autograd_round_off_bound, _round_off_bound, _rounded_sizes
from minigrad.table import text_table
from minigrad.tensor import Tensor, no_grad

__all__ = ["numerical_grad", "gradcheck", "relative_difference", "GradcheckReport",
           "InputCheck"]


def _scalar(value: Any, where: str) -> float:
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.size != 1:
        raise ValueError(f"{where}: f must return a scalar; got shape {array.shape}")
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        # ε = 1e-7 moves a float32 f by less than its last digit: its differences
        # would be round-off ([0, 4.77] for the gradient [2, 4] of x² at (1, 2))
        raise TypeError(f"{where}: f returned a {array.dtype} value, "
                        f"{float(array.reshape(-1)[0])!r}; its {np.finfo(array.dtype).precision} "
                        f"or so significant digits cannot see a step of ε, so its differences "
                        f"would be round-off: compute f in float64")
    item = array.item()
    if not isinstance(item, Real):   # None, a string (float() takes "1.0"), a complex
        raise TypeError(f"{where}: f must return a scalar; got {type(value).__name__} "
                        f"{value!r:.60}")
    return float(item)


def _tensors(inputs: Sequence[Tensor], where: str) -> list:
    if isinstance(inputs, Tensor):
        return [inputs]
    # list() of an array is its rows or its numbers, of a dict its keys: the error
    # would name a float64 or a str the caller never passed
    if isinstance(inputs, (np.ndarray, Mapping, str)) or not isinstance(inputs, Iterable):
        shape = f" of shape {inputs.shape}" if isinstance(inputs, np.ndarray) else ""
        hint = "list(d.values())" if isinstance(inputs, Mapping) else "[mg.tensor(...)]"
        raise TypeError(f"{where}: inputs must be a list of Tensors; got one "
                        f"{type(inputs).__name__}{shape}: pass {hint}, one Tensor per "
                        f"argument of f")
    inputs = list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            shape = f" of shape {t.shape}" if isinstance(t, np.ndarray) else ""
            raise TypeError(f"{where}: inputs must be Tensors; got {type(t).__name__}{shape} "
                            f"as input {i}: make it one, mg.tensor(...)")
    return inputs


def _positive(value: Any, argument: str, where: str) -> float:
    """A step or a threshold: a real number, finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{where}: {argument} must be a positive real number; got "
                        f"{value!r} ({type(value).__name__})")
    if not 0 < value < np.inf:
        raise ValueError(f"{where}: {argument} must be finite and > 0; got {value!r}")
    return float(value)


def _labels(inputs: list) -> List[str]:
    """How the report and the errors name each input: its name, else ``input i``;
    a name two inputs share (one tensor passed twice, or two named alike) gets
    its position too, ``W (input 1)``, so that a row or an error says which."""
    names = [t.name for t in inputs]
    return [f"input {i}" if not name else
            f"{name} (input {i})" if names.count(name) > 1 else name
            for i, name in enumerate(names)]


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
            label = f"its input {_labels(leaves)[i]}" if t.name else f"input {i}"
            raise RuntimeError(f"{where}: f changed {label} "
                               f"(shape {t.shape}) in place; f must only read its inputs "
                               f"(make a new tensor, t + 1, rather than t += 1)")


def numerical_grad(f: Callable[..., Any], inputs: Sequence[Tensor],
                   eps: float = 1e-7) -> List[np.ndarray]:
    """d f(*inputs) / d input for each input, by central differences
    ``(f(x + ε) - f(x - ε)) / 2ε``, one entry at a time. f must return a scalar,
    not of a narrower float than float64 (a float32 f cannot see a step of ε).

    f is called on private copies of the inputs (own data arrays, the same
    names and requires_grad), so inputs that share an array are nudged
    independently and the caller's arrays are never changed. f must only read
    them: an f that changes one is a ``RuntimeError`` naming it. An error f
    raises at a nudged point carries a note (Python 3.11+) naming the entry,
    its value there and at the point, unless f raises at the point too.
    """
    inputs = _tensors(inputs, "numerical_grad")
    eps = _positive(eps, "eps", "numerical_grad")
    return _differences(f, inputs, eps).grads


class _Differences:
    """What ``_differences`` found, per input: ``grads`` (the central
    differences), ``crossed`` (entry -> the indices of the relu / leaky_relu
    calls whose input changed side of 0 in that entry's nudges), ``ends``
    (entry -> its f(x + ε) and f(x - ε), for those entries), ``outside``
    (the first entry whose difference is not finite, with f(x + ε) and
    f(x - ε) there, or None); and ``point``, f at the unnudged point once more
    after the nudges (None unless asked)."""

    def __init__(self, n: int) -> None:
        self.grads: List[np.ndarray] = []
        self.crossed: List[dict] = [{} for _ in range(n)]
        self.ends: List[dict] = [{} for _ in range(n)]
        self.outside: List[Optional[tuple]] = [None] * n
        self.point: Optional[float] = None


def _differences(f: Callable[..., Any], inputs: list, eps: float,
                  sides: Optional[list] = None, again: bool = False,
                  which: Optional[Sequence[int]] = None) -> _Differences:
    """numerical_grad's gradients (of the inputs in ``which``, all by default;
    the others get None) and, given ``sides`` (what f's relu / leaky_relu calls
    saw at the point, ``_watching_kinks``), for each entry the calls whose
    input changed side of 0 in one of its nudges: there f(x + ε) and f(x - ε)
    saw different slopes. ``again``: f at the point is evaluated once more."""
    copies = _private_copies(inputs)
    arrays = [t.data for t in copies]
    expected = [a.copy() for a in arrays]   # what the copies hold, nudge included
    found = _Differences(len(inputs))
    crossings: set = set()

    def defined_at_point(nudge: tuple) -> bool:
        """Whether f runs at the point itself (the nudged entry put back): else
        its error is its own, not the step's (numerical_grad's first call is a
        nudge, and a shape bug raises there too)."""
        i, index, saved, _ = nudge
        nudged, arrays[i][index] = arrays[i][index], saved
        try:
            f(*copies)
        except Exception:   # noqa: BLE001  any error: the same one, most likely
            return False
        finally:
            arrays[i][index] = nudged   # for the note, which names the nudged value
        return True

    def value(nudge: Optional[tuple] = None) -> float:
        """f at the copies; ``nudge`` (input, entry, value at the point, side):
        where they were nudged, for an error f raises there."""
        def call() -> Any:
            try:
                return f(*copies)
            except Exception as error:
                if nudge is not None and defined_at_point(nudge):
                    _say_nudged(error, copies, nudge)
                raise

        if sides is None:
            result = _scalar(call(), "numerical_grad")
        else:
            result, seen = _watching_kinks(lambda: _scalar(call(), "numerical_grad"),
                                           _NudgedCalls(sides))
            crossings.update(seen.crossings())
        _check_unchanged(copies, arrays, expected, "numerical_grad")
        return result

    with no_grad():
        for i, (data, values) in enumerate(zip(arrays, expected)):
            if which is not None and i not in which:
                found.grads.append(None)
                continue
            grad = np.zeros_like(data)
            for index in np.ndindex(data.shape):
                crossings.clear()
                saved = data[index]
                data[index] = values[index] = saved + eps
                plus = value((i, index, saved, "x + ε"))
                data[index] = values[index] = saved - eps
                minus = value((i, index, saved, "x - ε"))
                data[index] = values[index] = saved
                grad[index] = (plus - minus) / (2 * eps)   # floats: inf - inf is NaN, no warning
                if crossings:
                    found.crossed[i][index] = set(crossings)
                    found.ends[i][index] = (plus, minus)
                if found.outside[i] is None and not np.isfinite(grad[index]):
                    found.outside[i] = (index, plus, minus)
            found.grads.append(grad)
        if again:   # after the nudges: the calls f sees first are the point's, then x + ε
            found.point = value()
    return found


def _say_nudged(error: Exception, copies: list, nudge: tuple) -> None:
    """Add to f's error that it came at a nudged point, not at the caller's: an
    error about -1e-07 where the input held 0 is gradcheck's step, and says so."""
    if not hasattr(error, "add_note"):   # Python < 3.11: the error as f raised it
        return
    i, index, saved, side = nudge
    t = copies[i]
    nudged = t.data[index]
    label = _labels(copies)[i]
    where = f"entry {index} of {label}" if index else label
    error.add_note(f"(f raised this at a nudged point, {side}: {where} was {float(nudged)!r} there, "
                   f"{float(saved)!r} at the point. Central differences need f defined within ε "
                   f"of the point: check at a point farther from the edge of f's domain)")


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
    #: round-off can make, the differences' (``_round_off_bound``) and
    #: autograd's own (``_autograd_round_off_bound``): this point cannot tell
    within_round_off: bool = False
    #: False when f's graph does not reach this input (made from its ``.data``,
    #: ``detach()``, ``no_grad``), so that autograd's gradient for it is 0
    in_graph: bool = True
    #: the relu / leaky_relu nodes whose input crossed 0 in a nudge of this
    #: input: there f(x + ε) and f(x - ε) saw different slopes
    kinks: List[str] = field(default_factory=list)
    #: the entries whose nudges crossed those kinks (the differences a kink
    #: can spoil)
    kink_entries: List[tuple] = field(default_factory=list)
    #: True when the row fails, its entries off the kink agree, and the kinks
    #: bend f enough to account for the gaps at theirs: the kink entries alone
    #: make it fail
    at_kink: bool = False
    #: (entry, f(x + ε), f(x - ε)) for the first entry whose difference is not
    #: finite (f is not finite within ε of the point there), when the entries
    #: whose differences are finite agree: f's edge alone makes the row fail;
    #: else None
    not_finite: Optional[tuple] = None
    #: True when both gradients are 0 at every entry: the row passes, and so
    #: would a wrong formula that is 0 here too (a multiple of zero weights after
    #: the input, of dead ReLUs, of x = 0), so this point tests nothing of it
    all_zero: bool = False
    #: (entry, difference with ε, with another step, that step: "2ε" or "ε/2")
    #: when the row fails and no gap to autograd is larger than the differences
    #: move with the step: f curves too fast here for ε (a pole, log near 0);
    #: else None
    curving: Optional[tuple] = None
    #: True when ``within_round_off`` takes autograd's own round-off into account:
    #: the gradient is tiny next to the numbers autograd computes it from (σ(Z) - Y
    #: with both near 1, where a logit saturates), so its last digits are round-off
    #: (``_autograd_round_off_bound``)
    autograd_round_off: bool = False

    def largest_gap(self) -> Optional[tuple]:
        """The entry to show for a failed row: the first where autograd's gradient
        is not finite and the difference is, else ``not_finite``'s entry when f's
        edge alone makes the row fail, else the largest gap between finite
        gradients (off the kink entries when those do not explain the failure),
        else the first entry not finite; None when no entry differs."""
        g, n = np.asarray(self.autograd, dtype=float), np.asarray(self.numerical, dtype=float)
        if g.shape != n.shape or g.size == 0:
            return None
        blind = ~np.isfinite(g) & np.isfinite(n)   # autograd's own inf or NaN
        if blind.any():
            return tuple(int(i) for i in np.argwhere(blind)[0])
        if self.not_finite is not None:
            return self.not_finite[0]
        bad = ~(np.isfinite(g) & np.isfinite(n))
        with np.errstate(over="ignore", invalid="ignore"):   # 1e308 - (-1e308): inf, still the largest
            gap = np.where(bad, 0.0, np.abs(g - n))
        if self.kink_entries and not self.at_kink:
            # a kink may spoil its entries' differences, not the others': the
            # largest gap among those is what no kink explains
            off = _off(g.shape, self.kink_entries)
            if (gap[off] > 0).any():
                gap = np.where(off, gap, 0.0)
        if not (gap > 0).any():
            return tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else None
        return tuple(int(i) for i in np.unravel_index(np.argmax(gap), g.shape))


def _off(shape: tuple, entries: List[tuple]) -> np.ndarray:
    """True everywhere but at ``entries``."""
    off = np.ones(shape, dtype=bool)
    for index in entries:
        off[index] = False
    return off


def _entries(entries: List[tuple], shown: int = 3) -> str:
    """``(0, 1), (2, 0), (3, 1) and 9 more``: a few entries, the count of the rest."""
    words = [str(e) for e in entries[:shown]]
    if len(entries) > shown:
        return f"{', '.join(words)} and {len(entries) - shown} more"
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def _two(a: float, b: float) -> tuple:
    """a and b with as few significant digits (6 to 17) as tell them apart."""
    for digits in range(6, 18):
        left, right = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if left != right:
            break
    return left, right


@dataclass
class GradcheckReport:
    """What ``gradcheck`` found, one row per input. Truthy when every input passes."""
    inputs: List[InputCheck]
    tol: float
    #: False when f's value does not depend on any input (every gradient is 0)
    depends_on_inputs: bool = True
    #: f's value at the point
    value: float = 0.0
    #: f's value at the same point once more, after the nudges (None if not taken)
    value_again: Optional[float] = None
    #: False when the two differ by more than f's round-off: f is not a function
    #: of its inputs alone, and its differences mean nothing
    repeatable: bool = True
    #: the step of the differences
    eps: float = 1e-7

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
        failed = [r for r in self.inputs if not r.ok]
        # the verdict says which input; a learner also needs where, and by how much
        for r in failed:
            index = r.largest_gap()
            if index is not None:
                g, n = _two(float(np.asarray(r.autograd)[index]),
                            float(np.asarray(r.numerical)[index]))
                lines.append(f"{_where(r.name, index)}: autograd {g}, numerical {n}")
        if failed and not self.repeatable:
            a, b = _two(self.value, self.value_again)
            lines.append(f"f gave {a}, then {b} at the same point: its value does not depend on "
                         f"the inputs alone (random numbers drawn inside f? state it keeps?), so "
                         f"its differences mean nothing: make f give the same value for the "
                         f"same inputs, then check again")
        blurred = [r.name for r in self.inputs if r.within_round_off and not r.autograd_round_off]
        if blurred:
            lines.append(f"{', '.join(blurred)}: no entry differs by more than round-off can "
                         f"make here (f's last digits, and x ± ε rounded), so this point cannot "
                         f"tell right from wrong: check again where f and the inputs are about 1 "
                         f"in size and the gradients are not tiny")
        tiny = [r.name for r in self.inputs if r.autograd_round_off]
        if tiny:
            one = len(tiny) == 1
            lines.append(f"{', '.join(tiny)}: the {'gradient is' if one else 'gradients are'} "
                         f"tiny, and autograd computes {'it' if one else 'them'} as a difference "
                         f"of numbers near 1 in float64 (σ(Z) - Y, 1 - A² where logits or "
                         f"activations saturate) or of larger terms that cancel, whose last "
                         f"digits are round-off: no entry differs by more than that round-off "
                         f"can make, so this point cannot tell right from wrong: check again "
                         f"where the gradients are not tiny (less saturated logits and "
                         f"activations)")
        # one line per row: each names the kinks its own entries crossed
        for r in failed:
            if r.at_kink:
                whose = "this node's input" if len(r.kinks) == 1 else "these nodes' inputs"
                at = f" (at {_entries(r.kink_entries)})" if r.shape else ""   # 0-d: no entry
                lines.append(f"at a kink: {', '.join(r.kinks)}: the differences of {r.name} "
                             f"crossed 0 in {whose}{at}, so f(x + ε) and f(x - ε) saw different "
                             f"slopes: check again at another point")
        if not np.isfinite(self.value):
            lines.append(f"f = {self.value} at this point: no gradient can be checked where "
                         f"f is not finite")
        else:
            for r in failed:
                if r.not_finite is not None:
                    index, plus, minus = r.not_finite
                    lines.append(f"{_where(r.name, index)}: f(x + ε) = {plus:.6g}, f(x - ε) = "
                                 f"{minus:.6g}: f is not finite within ε = {self.eps:g} of this "
                                 f"point (log or division at 0 inside the step?), so no "
                                 f"difference can be taken there: check at another point")
        for r in failed:
            if r.curving is not None:
                index, one, two, step = r.curving
                one, two = _two(one, two)
                lines.append(f"{_where(r.name, index)}: the difference is {one} with ε and {two} "
                             f"with {step}: f curves so fast here (near a pole, or log near 0?) that "
                             f"the differences' own error is as large as their gap to autograd, "
                             f"so this point cannot tell right from wrong: check again at "
                             f"another point")
        # difference 0 passes any tol, and tells nothing: a wrong gradient times the
        # 0 that makes the right one 0 here is 0 too (the slip x for 2x, at x = 0)
        zero = [r.name for r in self.inputs if r.all_zero]
        if zero and self.depends_on_inputs:
            one = len(zero) == 1
            lines.append(f"{', '.join(zero)}: both gradients are 0 at every entry, so this "
                         f"point tests nothing of {'its' if one else 'their'} formula (a wrong "
                         f"one that is a multiple of the same 0 passes too: zero weights after "
                         f"{'it' if one else 'them'}, dead ReLUs, x = 0?): check again at a "
                         f"random point")
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


def _where(name: str, index: tuple) -> str:
    """``W[1] at (0, 1)``; a 0-d input by its name alone."""
    return f"{name} at {index}" if index else name


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
    A row whose two gradients are 0 at every entry passes too, with a line
    that this point tests nothing of it (``InputCheck.all_zero``).

    Under a failed row the report shows the entry that differs most (both
    numbers), and says why when this point cannot tell right from wrong:
    round-off (of the differences, or autograd's own where a tiny gradient is
    a difference of numbers near 1, as σ(Z) - Y at a saturated logit), a relu
    kink crossed by the very entries that differ, f not finite within ε, f
    curving too fast for ε, f giving two values at one point.
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
    value = _scalar(out, "gradcheck")
    f_size, sizes = _rounded_sizes(out, leaves)
    if out.requires_grad and leaves:
        # only the inputs get a .grad: a tensor f reads from outside (a parameter
        # with requires_grad) is the caller's and keeps the grad it had
        out.backward(inputs=leaves)
    analytic = [np.zeros_like(t.data) if t.grad is None else t.grad for t in leaves]
    found = _differences(f, inputs, eps, sides, again=True)
    names = _kink_names(out, sides) if any(found.crossed) else []
    rows, noises, unexplained = [], [], set()
    labels = _labels(inputs)
    for i, (t, g, n) in enumerate(zip(inputs, analytic, found.grads)):
        d = relative_difference(g, n)
        differences_noise = np.broadcast_to(_round_off_bound(f_size, t.data, g, eps), g.shape)
        # round-off on either side: the differences', and autograd's own
        noise = differences_noise + _autograd_round_off_bound(sizes[i])
        noises.append(noise)
        gap = np.abs(g - n)
        blurred = bool(d >= tol and np.all(gap <= noise))
        # it takes autograd's round-off to account for the gaps: a tiny gradient of terms near 1
        tiny_of_large = blurred and not np.all(gap <= differences_noise)
        crossed = found.crossed[i]
        calls = sorted(set().union(*crossed.values())) if crossed else []
        entries = sorted(crossed)
        # a kink explains a failure only when the entries it spoiled are the ones
        # that differ (a wrong gradient at another entry is no matter of kinks),
        # and by no more than it bends f there
        bent = _kinks_explain(g, n, noise, found.ends[i], crossed, value, eps, sides)
        if not bent:
            unexplained.add(i)
        at_kink = bool(entries) and bent and d >= tol and not np.isnan(d) and \
            _agrees_off(g, n, noise, entries, tol)
        # f's edge spoils the differences of its entries, not the others'
        outside = found.outside[i]
        if outside is not None and not _agrees_off(
                g, n, noise, [tuple(k) for k in np.argwhere(~np.isfinite(n))], tol):
            outside = None
        rows.append(InputCheck(labels[i], t.shape, g, n, d, d < tol, blurred,
                               autograd_round_off=tiny_of_large,
                               in_graph=leaves[i].grad is not None,
                               kinks=list(dict.fromkeys(names[k] for k in calls)),
                               kink_entries=entries, at_kink=at_kink,
                               not_finite=outside,
                               all_zero=bool(g.size and not g.any() and not n.any())))
    # f's two values at the point may part by its round-off, no more
    again = found.point
    repeatable = again is None or value == again or (np.isnan(value) and np.isnan(again)) \
        or abs(value - again) <= 10 * np.finfo(np.float64).eps * f_size
    if repeatable:   # else no step tells anything
        _curving(f, inputs, eps, rows, noises, sides, unexplained)
    # out.requires_grad is not the test: f made from .data has no graph, yet its
    # value moves with the inputs, and a tensor f reads from outside can give one
    depends = any(row.in_graph for row in rows) or any(n.any() for n in found.grads)
    return GradcheckReport(rows, tol, depends_on_inputs=depends, value=value,
                           value_again=again, repeatable=bool(repeatable), eps=eps)


def _agrees_off(g: np.ndarray, n: np.ndarray, noise: np.ndarray, entries: List[tuple],
                tol: float) -> bool:
    """Whether g and n agree (below tol, or within round-off) off ``entries``."""
    off = _off(g.shape, entries)
    noise = np.broadcast_to(noise, g.shape)
    return bool(relative_difference(g[off], n[off]) < tol or
                np.all(np.abs(g[off] - n[off]) <= noise[off]))


def _curving(f: Callable[..., Any], inputs: list, eps: float, rows: List[InputCheck],
             noises: list, sides: list, unexplained: set) -> None:
    """Set ``curving`` on the failed rows that nothing else explains and whose
    gaps to autograd are no larger than their differences move when the step
    is doubled or halved (plus round-off). Central differences are off by about
    f's third derivative times ε² / 6: near a pole or log's 0 that is more than
    tol, and another step shows it (2ε: four times as much; ε/2: no longer
    across a pole ε crossed), while a wrong gradient stays as far from all.
    A step whose nudges cross a relu kink that ε's did not shows a kink, not
    curvature: its move does not count at that entry; nor does a move within
    round-off (f = x² + 1e9 moves by ulp(1e9) / ε). A row with a kink entry that
    its kinks cannot account for (``unexplained``) gets no note."""
    which = [i for i, r in enumerate(rows) if not r.ok and not np.isnan(r.difference)
             and not r.within_round_off and not r.at_kink and r.not_finite is None
             and i not in unexplained]
    if not which:
        return
    try:
        # gradcheck's own probes: what f warns of here (1/0 at a pole ε/2 away) the
        # learner did not ask about, and its warnings at ε were shown already
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            steps = [_differences(f, inputs, step, sides, which=which)
                     for step in (2 * eps, eps / 2)]
    except Exception:   # noqa: BLE001  f refuses another step (a domain check): no note
        return
    wider, narrower = (found.grads for found in steps)
    for i in which:
        r = rows[i]
        g, n = np.asarray(r.autograd, dtype=float), r.numerical
        with np.errstate(invalid="ignore", over="ignore"):
            gap = np.abs(g - n)
            # ε/2 not finite: f is not, between x - ε and x + ε, and ε's difference
            # is across a pole: any move. 2ε not finite: the edge of f's domain is
            # past ε, which it need not spoil (a log weighted 1e-3): ε's error is
            # then about 4/3 of ε/2's move, 2 with a margin
            wide = np.isfinite(wider[i])
            moves = [np.where(wide, np.abs(wider[i] - n), 0.0),
                     np.where(np.isfinite(narrower[i]), np.abs(narrower[i] - n), np.inf)
                     * np.where(wide, 1.0, 2.0)]
        # a step that crosses a kink moves by the kink, not by curvature
        moves = [np.where(_off(g.shape, list(found.crossed[i])), move, 0.0)
                 for found, move in zip(steps, moves)]
        move, off, noise = np.maximum(*moves), _off(g.shape, r.kink_entries), noises[i]
        # each gap within round-off, or within a move larger than round-off
        explained = (gap <= noise) | ((move > noise) & (gap <= move + noise))
        if (gap[off] > noise[off]).any() and np.all(explained[off]):
            index = tuple(int(k) for k in
                          np.unravel_index(np.argmax(np.where(off, gap, -1.0)), g.shape))
            other = wider[i] if moves[0][index] >= moves[1][index] else narrower[i]
            r.curving = (index, float(n[index]), float(other[index]),
                         "2ε" if other is wider[i] else "ε/2")
