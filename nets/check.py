"""Check hand-derived backprop against autograd, node by node.

    report = nets.check_backprop(net, X, Y, hand=my_backprop)  # my_backprop(params, X, Y) -> dict
    report.ok          # every returned node agrees with autograd
    report.mismatches  # ["Z[1]", "W[1]", "b[1]"]: where the error enters, and what it spoils
    print(report)      # one row per node, and "first wrong at Z[1]; W[1], b[1] follow from it"
    report.draw()      # the graph, wrong nodes in red

``hand`` may also be the course's own ``backward_propagation(parameters,
cache, X, Y)`` returning ``dW1, db1, ...`` (see ``nets.course``): the report
then names each gradient as it does (``dW1``, node ``W[1]``).

``hand(params, X, Y)`` returns any subset of the node names ``"A[L]", "Z[L]",
"W[L]", "b[L]", ..., "b[1]"`` in the notes' conventions: ``dZ[l]`` and
``dA[l]`` stack the per-sample derivatives ∂L(i)/∂z(i), so autograd's
``Z[l].grad`` (∂J/∂Z) is ``dZ[l] / m``; ``dW[l]``, ``db[l]`` are ∂J/∂W, ∂J/∂b
exactly. The report shows every gradient in those conventions (autograd's
``Z[l].grad`` times m), so a row's ``autograd`` is what ``dZ[l]`` should be.

Two nodes agree when the course's relative difference
``‖g - g̃‖ / (‖g‖ + ‖g̃‖)`` is below ``tol`` (2e-7), or when a gradient that
is a sum of terms cancels to round-off on both sides (its size is below
1e-10 of the sum of the terms' sizes): then the relative difference of two
round-off residues means nothing. A hand value of another shape is never
broadcast: it is "WRONG SHAPE", named, with both shapes. NaN or inf on
either side is never "ok", and the comparison does not overflow at any size.

Under the table, the diagnosis says where each error enters (``nets.diagnosis``:
"follows from" only along a path that is wrong, and dZ[1] inferred when only
dW[1], db[1] came back) and which classic slip reproduces the numbers
(``nets.slips``: "likely slip: A1 in place of g′(Z1) = 1 − A1²").
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

import minigrad as mg
from nets import activations, diagnosis, slips
from nets.course import (CourseBackprop, check_signature, course, course_name, course_text,
                         is_course_function)
from nets.network import Graph, check_data

if TYPE_CHECKING:  # pragma: no cover - only for the annotations
    import graphviz

__all__ = ["check_backprop", "BackpropReport", "NodeCheck", "OK", "WRONG", "WRONG_SHAPE",
           "MISSING", "UNKNOWN", "NOT_COMPARED"]

Hand = Callable[[Dict[str, np.ndarray], np.ndarray, np.ndarray], Mapping[str, Any]]

# Verdicts. Only WRONG, WRONG SHAPE and unknown names are failures.
OK = "ok"
WRONG = "WRONG"
WRONG_SHAPE = "WRONG SHAPE"
MISSING = "missing"             # a node hand did not return: neutral
UNKNOWN = "unknown name"        # a key that is no node of the graph (a typo such as "dW1")
NOT_COMPARED = "not compared"   # a node autograd gives no gradient: the data X, Y, and J

# A gradient whose size is below this share of the sum of its terms' sizes has
# cancelled: what is left on either side is round-off (about 1e-16 per term).
ROUNDOFF = 1e-10

_PER_SAMPLE = re.compile(r"^[ZA]\[[0-9]+\]$")


@dataclass
class NodeCheck:
    """One node: autograd's gradient and the hand one, in the notes' conventions.

    ``autograd`` is ∂J/∂node for W and b, and m ∂J/∂node for Z and A
    (``per_sample``); ``hand`` is the value hand returned (None when missing).
    ``numerical`` is the central-difference gradient (parameters, with
    ``numerical=True``), ``numerical_difference`` its difference with autograd.
    """
    name: str
    shape: Optional[tuple]
    hand_shape: Optional[tuple]
    autograd: Optional[np.ndarray]
    hand: Optional[np.ndarray]
    difference: Optional[float]
    verdict: str
    per_sample: bool = False
    numerical: Optional[np.ndarray] = None
    numerical_difference: Optional[float] = None
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict in (WRONG, WRONG_SHAPE, UNKNOWN)

    @property
    def compared(self) -> bool:
        return self.verdict in (OK, WRONG, WRONG_SHAPE)


@dataclass
class SlipContext:
    """What ``nets.slips`` needs to recompute the gradients with a slip made:
    the forward values (``"A[0]"`` is X), Y, the hidden activations g[l], L,
    and the agreement rule of the check (``agree(name, expected, given)``)."""
    values: Dict[str, np.ndarray]
    Y: np.ndarray
    hidden: Dict[int, activations.Activation]
    L: int
    agree: Callable[[str, np.ndarray, np.ndarray], bool]


@dataclass
class BackpropReport:
    """What ``check_backprop`` found: ``rows`` in backward order (J side first),
    then the keys that name no node. Truthy when ``ok``.

    ``labels`` maps a node to the name the hand gave its gradient (``"W[1]"``
    -> ``"dW1"`` for the course's function; empty: the node names)."""
    rows: List[NodeCheck]
    graph: Graph
    tol: float
    m: int
    labels: Dict[str, str] = field(default_factory=dict)
    hand_name: str = "hand"
    context: Optional[SlipContext] = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Every returned node agrees, no key is unknown, and at least one node
        was compared (a hand that returns nothing checks nothing)."""
        return any(r.compared for r in self.rows) and not any(r.failed for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return (f"BackpropReport(ok={self.ok}, mismatches={self.mismatches}, "
                f"unknown={self.unknown}, missing={self.missing}, m={self.m})")

    @property
    def mismatches(self) -> List[str]:
        """Nodes whose hand gradient is wrong (in value or shape), in backward order."""
        return [r.name for r in self.rows if r.verdict in (WRONG, WRONG_SHAPE)]

    @property
    def unknown(self) -> List[Any]:
        """Keys hand returned that are no node of the graph."""
        return [r.name for r in self.rows if r.verdict == UNKNOWN]

    @property
    def missing(self) -> List[str]:
        """Nodes with a gradient that hand did not return."""
        return [r.name for r in self.rows if r.verdict == MISSING]

    def row(self, name: str) -> NodeCheck:
        """The row of node ``name`` (``"W[1]"``; the hand's own name, ``"dW1"``, too)."""
        for r in self.rows:
            if r.name == name or self.labels.get(r.name) == name:
                return r
        raise KeyError(f"no row {name!r}; rows: {', '.join(str(r.name) for r in self.rows)}")

    def label(self, name: Any) -> str:
        """The hand's name for node ``name``: ``dW1`` for the course, else ``W[1]``."""
        return self.labels.get(name, str(name))

    def text(self, notes: str) -> str:
        """A formula in the notes' notation, written as the hand names things."""
        return course_text(notes) if self.labels else notes

    def origins(self) -> List[tuple]:
        """``[(wrong node, [nodes that follow from it]), ...]`` in backward order.

        A later mismatch follows from an earlier one when backprop computes it
        from it along a path with nothing right in between. Wrong nodes whose
        sources were not returned are traced to the lowest node they all come
        from (not returned itself), when every returned node it feeds is wrong.
        """
        return [(o.node, o.followers) for o in self._origins()]

    def _origins(self) -> List[diagnosis.Origin]:
        status = {r.name: (diagnosis.WRONG if r.verdict in (WRONG, WRONG_SHAPE)
                           else diagnosis.RIGHT if r.verdict == OK else diagnosis.UNSEEN)
                  for r in self.rows if isinstance(r.name, str)}
        flow = diagnosis.sources(self.graph.nodes, self.graph.roots, self.graph.loss)
        return diagnosis.origins(self.mismatches, status, flow)

    def diagnosis(self) -> str:
        """The lines under the table: where each error enters and the likely
        slip, or that all agree."""
        lines = []
        found = self._origins()
        for i, origin in enumerate(found):
            where = self.label(origin.node)
            if origin.inferred:
                above = (f" or above it ({', '.join(map(self.label, origin.above))})"
                         if origin.above else "")
                text = f"first wrong at {where}{above}, not returned" if i == 0 else \
                    f"also wrong at {where}{above}, not returned, independently"
            else:
                text = f"first wrong at {where}" if i == 0 else \
                    f"also wrong at {where}, independently"
            if origin.followers:
                verb = "follows" if len(origin.followers) == 1 else "follow"
                text += (":" if origin.inferred else ";") + \
                    f" {', '.join(map(self.label, origin.followers))} {verb} from it"
            lines.append(text)
        lines += self._slip_lines(found)
        if self.unknown:
            lines.append("unknown names (not nodes of the graph): "
                         + ", ".join(repr(k) for k in self.unknown))
        if lines:
            return "\n".join(lines)
        compared = [self.label(r.name) for r in self.rows if r.compared]
        if not compared:
            return "no node to compare: hand returned no gradient for any node of the graph"
        if self.missing:
            agree = (f"all {len(compared)} returned nodes agree" if len(compared) > 1
                     else f"the one returned node, {compared[0]}, agrees")
            return (f"{agree} with autograd (not returned: "
                    f"{', '.join(map(self.label, self.missing))})")
        return f"all {len(compared)} nodes agree with autograd"

    def likely_slips(self) -> List[slips.Slip]:
        """The classic slips that reproduce the hand's numbers at every returned
        node (``nets.slips``): one, several the case cannot tell apart, or none."""
        return [slip for slip, _ in self._explain(self._given())]

    def _given(self, names: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
        return {r.name: r.hand for r in self.rows if r.hand is not None and r.compared
                and (names is None or r.name in names)}

    def _explain(self, given: Dict[str, np.ndarray]) -> list:
        if self.context is None or not self.mismatches:
            return []
        c = self.context
        return slips.explain(c.values, c.Y, c.hidden, c.L, given, c.agree)

    def _slip_lines(self, found: List[diagnosis.Origin]) -> List[str]:
        """"likely slip: ..." with its evidence: recomputed with the slip, the
        wrong nodes equal the hand's (and the right ones stay right)."""
        if self.context is None or not found:
            return []
        explained = self._explain(self._given())
        if explained:
            return self._slip_text(explained, self.mismatches)
        lines = []
        if len(found) > 1:   # independent errors: one slip each, right nodes kept right
            right = [r.name for r in self.rows if r.verdict == OK]
            for origin in found:
                each = self._explain(self._given([*origin.members, *right]))
                lines += self._slip_text(each, origin.members)
        if not lines:
            lines.append("no classic slip (a missing 1/m, A for g′(Z), 1 − Z² for 1 − A², "
                         "a transpose, a lost keepdims, a sign) gives these numbers")
        return lines

    def _slip_text(self, explained: list, members: List[str]) -> List[str]:
        if not explained:
            return []
        wrong = diagnosis.join([self.label(n) for n in members])
        whose = "yours" if self.labels else "hand's"
        if len(explained) == 1:
            slip = explained[0][0]
            return [f"likely slip: {self.text(slip.what)} ({self.text(slip.formula)}): "
                    f"recomputed so, {wrong} come{'s' if len(members) == 1 else ''} out "
                    f"as {whose}"]
        return [f"{wrong} come{'s' if len(members) == 1 else ''} out as {whose} with any of "
                f"{len(explained)} slips (this case cannot tell them apart):"] + \
            [f"  - {self.text(s.what)}: {self.text(s.formula)}" for s, _ in explained]

    def __str__(self) -> str:
        numerical = any(r.numerical_difference is not None for r in self.rows)
        header = (["gradient", "node"] if self.labels else ["node"]) + \
            ["shape", "hand vs autograd"]
        if numerical:
            header.append("autograd vs numerical")
        header.append("verdict")
        table = [header]
        for r in self.rows:
            names = [self.label(r.name), str(r.name)] if self.labels else [str(r.name)]
            cells = names + ["-" if r.shape is None else str(r.shape), _number(r.difference)]
            if numerical:
                cells.append(_number(r.numerical_difference))
            cells.append(f"{r.verdict}  {r.note}" if r.note else r.verdict)
            table.append(cells)
        widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
        # names and shapes left-aligned, numbers right-aligned, the verdict free
        text_columns = len(header) - (3 if numerical else 2)
        aligns = ["<"] * text_columns + [">"] * (len(header) - 1 - text_columns)
        lines = ["  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, aligns, widths))
                 + "  " + row[-1] for row in table]
        convention = ("dZ per sample, as the course's dZ2 = A2 − Y" if self.labels
                      else "dZ, dA per sample")
        who = self.hand_name if self.labels else "hand"   # the course's function by its name
        title = (f"check_backprop: {who} vs autograd on m = {self.m} samples "
                 f"(agree below {self.tol:g}; {convention}"
                 + ("; numerical is shown, not judged)" if numerical else ")"))
        return "\n".join([title] + lines + [self.diagnosis()])

    def draw(self, **options: Any) -> "graphviz.Digraph":
        """The graph of J with its gradients, the mismatching nodes highlighted.
        ``options`` go to ``minigrad.draw`` (``values=True``, ``rankdir="TB"``, ...);
        a ``highlight`` of your own is added to the mismatches."""
        from minigrad.viz import draw   # graphviz only when a picture is asked for
        options.setdefault("grads", True)
        extra = options.pop("highlight", ())
        extra = [extra] if isinstance(extra, (str, mg.Tensor)) else list(extra)
        return draw(self.graph.roots, highlight=[*self.mismatches, *extra], **options)


def _number(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.1e}"


# --- the check ------------------------------------------------------------------

def check_backprop(net: Any, X: np.ndarray, Y: np.ndarray, hand: Optional[Hand] = None,
                   tol: float = 2e-7, numerical: bool = False) -> BackpropReport:
    """Compare hand-derived gradients with autograd's, node by node.

    ``net`` is a ``nets`` network (``params``, ``graph(X, Y)``, ``backprop``);
    X (n_x, m), Y (1, m) of 0/1. ``hand(params, X, Y)`` returns a dict keyed
    by node names (``"Z[1]"``, ``"W[2]"``, ...; any subset), dZ and dA per
    sample; it gets copies, so it cannot change the net. ``hand`` may be the
    course's ``backward_propagation(parameters, cache, X, Y)`` instead (told
    by its four parameters, or wrapped in ``nets.course``): it gets ``W1, b1,
    ...`` and the cache ``Z1, A1, ...`` of this net's forward pass, and the
    report names its gradients ``dW1, db1, ...``. ``hand=None`` checks the
    net's own ``backprop``. With ``numerical=True`` each parameter row also
    gets central differences of J (ε = 1e-7), shown beside autograd; they are
    noisier (round-off in J over 2ε), so they do not decide ``ok``.

    A hand that raises, or returns something other than a dict, or a value
    that is not an array of numbers, is an error naming what came.
    """
    if hand is not None:
        check_signature(hand, "check_backprop")
    X, Y = check_data(X, Y, getattr(net, "n_x", None))
    m = X.shape[1]
    g = net.graph(X, Y)
    g.loss.backward()
    grads = g.grads()
    labels: Dict[str, str] = {}
    if hand is None:
        label = "hand"
        returned = _call(net.backprop, "net.backprop", X, Y)
    else:
        label = _fn_name(hand)
        params = {k: np.array(v, dtype=np.float64) for k, v in net.params.items()}
        if is_course_function(hand):
            cache = {k: g[k].data for k in g if k[:2] in ("Z[", "A[")}
            returned = _call(course(hand), label, params, X.copy(), Y.copy(), cache=cache)
            labels = {k: course_name(k) for k in (*g, *returned) if isinstance(k, str)}
        else:
            returned = _call(hand, label, params, X.copy(), Y.copy())
    scales = _term_sizes(g, grads)
    order = _backward_order(g, grads)
    rows = []
    for name in order:
        node = g[name]
        factor = m if _PER_SAMPLE.match(name) else 1
        with np.errstate(over="ignore"):
            auto = grads[name] * factor
        if name not in returned:
            rows.append(NodeCheck(name, node.shape, None, auto, None, None, MISSING,
                                  factor != 1))
            continue
        value = _as_array(returned[name], name)
        rows.append(_compare(name, auto, value, tol, m, scales.get(name)))
    for key in returned:
        if any(r.name == key for r in rows):
            continue
        value = returned[key]
        if isinstance(key, str) and key in g:
            rows.append(NodeCheck(key, g[key].shape, _shape_of(value), None, None, None,
                                  NOT_COMPARED, note="data or the loss: no gradient to compare"))
        else:
            rows.append(NodeCheck(key, None, _shape_of(value), None, None, None, UNKNOWN,
                                  note=_unknown_note(key, order, labels)))
    if numerical:
        _add_numerical(rows, net, X, Y)
    context = _slip_context(net, g, Y, lambda name, expected, given: _agree(
        expected, given, tol, scales.get(name), m if _PER_SAMPLE.match(name) else 1)[0])
    return BackpropReport(rows, g, tol, m, labels, label, context)


def _slip_context(net: Any, g: Graph, Y: np.ndarray,
                  agree: Callable[[str, np.ndarray, np.ndarray], bool]) -> Optional[SlipContext]:
    """The forward values and g[l] of a net laid out as the notes (Z[l], A[l],
    W[l], b[l], a sigmoid output); None for any other graph."""
    L = getattr(net, "L", None)
    names = [f"{k}[{l}]" for l in range(1, (L or 0) + 1) for k in "WbZA"]
    if not L or not all(n in g for n in names) or g[f"A[{L}]"].op != "sigmoid":
        return None
    values = {n: g[n].data for n in names}
    values["A[0]"] = g["X"].data
    hidden = {}
    for l in range(1, L):
        layer = getattr(net, "_g", None)
        hidden[l] = layer(l) if callable(layer) else activations.get(g[f"A[{l}]"].op)
    return SlipContext(values, Y, hidden, L, agree)


def _fn_name(f: Callable) -> str:
    return getattr(f, "__name__", None) or repr(f)


def _call(f: Callable, label: str, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
    try:
        out = f(*args, **kwargs)
    except Exception as error:
        # as the function names them: parameters {W1 (4, 2), ...} for the course's
        course_style = isinstance(f, CourseBackprop)
        shapes = ", ".join(f"{course_name(k)[1:] if course_style else k} {v.shape}"
                           for k, v in args[0].items()) if isinstance(args[0], dict) else ""
        given = f"{'parameters' if course_style else 'params'} {{{shapes}}}, " if shapes else ""
        X, Y = args[-2], args[-1]
        raise RuntimeError(f"check_backprop: {label} raised {type(error).__name__}: {error} "
                           f"(called with {given}X {X.shape}, Y {Y.shape}); see the "
                           f"traceback above") from error
    if not isinstance(out, Mapping):
        raise TypeError(f"check_backprop: {label} must return a dict of gradients keyed by "
                        f"node name, such as {{'W[1]': dW1, 'b[1]': db1}}; got "
                        f"{type(out).__name__}")
    return out


def _as_array(value: Any, name: str) -> np.ndarray:
    data = value.data if isinstance(value, mg.Tensor) else value
    if data is None:
        raise TypeError(f"check_backprop: hand returned None for {name!r}; expected an array")
    try:
        array = np.asarray(data)
    except Exception:   # ragged lists and the like
        array = np.asarray(None)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"check_backprop: hand's value for {name!r} must be an array of "
                        f"real numbers; got {type(value).__name__}"
                        + (f" of dtype {array.dtype}" if array.dtype != object else ""))
    return array.astype(np.float64)


def _shape_of(value: Any) -> Optional[tuple]:
    return getattr(value, "shape", None)


def _norm(x: np.ndarray) -> float:
    """‖x‖₂ without overflow: scaled by the largest entry first."""
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return top   # 0, inf, or nan

    return top * float(np.linalg.norm(x / top))


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """The course's ‖a - b‖ / (‖a‖ + ‖b‖), overflow-safe; nan when either holds
    nan or inf (a difference that can never be "below tol")."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    top = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if top == 0.0:
        return 0.0
    a, b = a / top, b / top
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


def _agree(auto: np.ndarray, hand: np.ndarray, tol: float, scale: Optional[float],
           factor: int) -> tuple:
    """(agree, difference, note) for two finite arrays of one shape: below
    ``tol``, or both round-off of a sum that cancels. NaN never agrees."""
    difference = _difference(auto, hand)
    if difference < tol:
        return True, difference, ""
    if scale is not None and np.isfinite(scale) and np.isfinite(difference):
        gap = _norm(auto - hand) if np.isfinite(auto - hand).all() else float("inf")
        if gap <= ROUNDOFF * scale * factor:
            return True, difference, "(the sum cancels: both sides are round-off)"
    return False, difference, ""


def _compare(name: str, auto: np.ndarray, hand: np.ndarray, tol: float, m: int,
             scale: Optional[float]) -> NodeCheck:
    """One node's verdict; ``auto`` is already in the notes' conventions."""
    factor = m if _PER_SAMPLE.match(name) else 1
    row = NodeCheck(name, auto.shape, hand.shape, auto, hand, None, OK, factor != 1)
    if hand.shape != auto.shape:
        row.verdict, row.note = WRONG_SHAPE, _shape_note(name, hand.shape, auto.shape)
        return row
    for side, values in (("hand", hand), ("autograd", auto)):
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            index = tuple(int(i) for i in bad[0])
            row.difference = float("nan")
            row.verdict = WRONG
            row.note = f"{side} holds {values[index]} at {index}" + (
                "" if side == "hand" else ": no check is possible at this scale")
            return row
    with np.errstate(over="ignore", invalid="ignore"):
        agree, row.difference, note = _agree(auto, hand, tol, scale, factor)
    if agree:
        row.note = note
        return row
    row.verdict, row.note = WRONG, _factor_note(auto, hand, m, factor != 1)
    return row


def _shape_note(name: str, hand: tuple, auto: tuple) -> str:
    text = f"hand {hand}, autograd {auto}"
    if len(auto) == 2 and hand == auto[::-1]:
        return text + ": transposed?"
    if len(hand) < len(auto) and np.prod(hand) == np.prod(auto):
        # the classic: np.sum(dZ, axis=1) gives (n,), not the (n, 1) of b
        return text + (": a sum without keepdims=True?" if name.startswith("b[")
                       else ": an axis lost")
    return text


def _factor_note(auto: np.ndarray, hand: np.ndarray, m: int, per_sample: bool) -> str:
    """Name the classic slips when hand is a multiple of autograd."""
    top = float(np.max(np.abs(auto), initial=0.0))
    if top == 0.0:
        return ""
    unit = auto / top   # scaled: no overflow in the dot products
    c = float(np.dot((hand / top).ravel(), unit.ravel())) / float(np.dot(unit.ravel(),
                                                                         unit.ravel()))
    if not np.isfinite(c) or _difference(c * auto, hand) > 1e-6:
        return ""
    close = lambda a, b: abs(a - b) <= 1e-6 * abs(b)  # noqa: E731
    text = f"hand = {c:.4g} × autograd"
    if close(c, -1.0):
        return text + " (a flipped sign?)"
    if m > 1 and close(c, float(m)):
        return text + f" (m = {m}: a missing 1/m?)"
    if m > 1 and close(c, 1.0 / m):
        return text + (" (1/m: dZ, dA are per sample, with no 1/m)" if per_sample
                       else " (1/m: 1/m applied twice?)")
    return text


def _backward_order(g: Graph, grads: Mapping[str, np.ndarray]) -> List[str]:
    """A[L], Z[L], W[L], b[L], A[L-1], ..., b[1]; then any other node with a
    gradient (other nets), J side first."""
    L = max((int(k[2:-1]) for k in g if re.match(r"^Z\[[0-9]+\]$", k)), default=0)
    names = [f"{kind}[{l}]" for l in range(L, 0, -1) for kind in "AZWb"]
    order = [n for n in names if n in grads]
    by_id = {id(t): k for k, t in g.items()}
    for t in reversed(mg.topological_order(g.loss)):
        k = by_id.get(id(t))
        if k is not None and t is not g.loss and k in grads and k not in order:
            order.append(k)
    return order


def _term_sizes(g: Graph, grads: Mapping[str, np.ndarray]) -> Dict[str, float]:
    """For each node, the size ‖Σ|terms|‖ of the sum its gradient adds up, in
    ∂J units: backprop run on absolute values (|W|ᵀ, |A|, |g'|). A gradient far
    smaller than this has cancelled, and only round-off is left of it."""
    L = max((int(k[2:-1]) for k in g if re.match(r"^Z\[[0-9]+\]$", k)), default=0)
    sizes: Dict[str, float] = {}
    try:
        # a size that overflows is inf: _agree then uses the plain difference alone
        with np.errstate(over="ignore", invalid="ignore"):
            dA = np.abs(grads[f"A[{L}]"])
            for l in range(L, 0, -1):
                A, Z = g[f"A[{l}]"], g[f"Z[{l}]"]
                sizes[f"A[{l}]"] = _norm(dA)
                dZ = dA * np.abs(_g_prime(A.op, Z.data))
                sizes[f"Z[{l}]"] = _norm(dZ)
                sizes[f"W[{l}]"] = _norm(dZ @ np.abs(g[f"A[{l - 1}]"].data).T)
                sizes[f"b[{l}]"] = _norm(dZ.sum(axis=1))
                dA = np.abs(g[f"W[{l}]"].data).T @ dZ
    except (KeyError, TypeError, ValueError):
        return {}   # a net not laid out as the notes: plain relative differences
    return sizes


def _g_prime(op: Optional[str], Z: np.ndarray) -> np.ndarray:
    try:
        return activations.get(op).g_prime(Z)
    except ValueError:
        return np.ones_like(Z)   # an activation we do not know: |g'| <= 1 for the usual ones


def _unknown_note(key: Any, names: Sequence[str], labels: Mapping[str, str]) -> str:
    """Why ``key`` names no node, with the node (as the hand names it) it may mean."""
    text = "not a node of the graph"
    named = [labels.get(n, n) for n in names]
    if not isinstance(key, str):
        return f"{text}: keys are node names such as {named[-1]!r}; got a {type(key).__name__}"
    simple = lambda s: re.sub(r"[^0-9a-z]", "", s.lower())  # noqa: E731
    # "dW1", "dw1", "W1", "db[2]" all simplify to the node's "w1"
    candidates = {simple(n): labels.get(n, n) for n in names}
    core = simple(key)
    guess = candidates.get(core) or (candidates.get(core[1:]) if core.startswith("d") else None)
    return f"{text}; did you mean {guess}?" if guess else f"{text} ({', '.join(named)})"


def _add_numerical(rows: List[NodeCheck], net: Any, X: np.ndarray, Y: np.ndarray) -> None:
    """Central differences of J with respect to each parameter, on copies."""
    names = [r.name for r in rows if isinstance(r.name, str) and r.name in net.params]
    if not names:
        return
    clone = copy.copy(net)
    clone.params = {k: np.array(v, dtype=np.float64) for k, v in net.params.items()}
    # the tensors share clone.params' arrays: numerical_grad nudges them in place
    leaves = [mg.tensor(clone.params[k], name=k) for k in names]
    grads = mg.numerical_grad(lambda *_: clone.graph(X, Y).loss, leaves)
    for r in rows:
        if r.name in names:
            r.numerical = grads[names.index(r.name)]
            r.numerical_difference = _difference(r.autograd, r.numerical)
