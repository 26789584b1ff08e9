"""Check hand-derived backprop against autograd, node by node.

    report = nets.check_backprop(net, X, Y, hand=my_backprop)  # my_backprop(params, X, Y) -> dict
    report.ok          # every returned node agrees with autograd
    report.mismatches  # ["Z[1]", "W[1]", "b[1]"]: where the error enters, and what it spoils
    print(report)      # one row per node, and "first wrong at Z[1]; W[1], b[1] follow from it"
    report.draw()      # the graph, wrong nodes in red

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
broadcast: it is "WRONG SHAPE", named, with both shapes.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

import minigrad as mg
from nets import activations
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
class BackpropReport:
    """What ``check_backprop`` found: ``rows`` in backward order (J side first),
    then the keys that name no node. Truthy when ``ok``."""
    rows: List[NodeCheck]
    graph: Graph
    tol: float
    m: int

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
        """The row of node ``name``."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row {name!r}; rows: {', '.join(str(r.name) for r in self.rows)}")

    def origins(self) -> List[tuple]:
        """``[(wrong node, [nodes that follow from it]), ...]`` in backward order.

        A later mismatch "follows from" an earlier one when its gradient is
        computed from it: it is an ancestor of it in the forward graph (its
        value flows into it), so backprop reaches it through the wrong node.
        """
        groups: List[tuple] = []
        for name in self.mismatches:
            node = self.graph[name]
            for root, followers, ancestors in groups:
                if id(node) in ancestors:
                    followers.append(name)
                    break
            else:
                groups.append((name, [], _ancestor_ids(self.graph[name])))
        return [(root, followers) for root, followers, _ in groups]

    def diagnosis(self) -> str:
        """The last line of the table: where the error enters, or that all agree."""
        lines = []
        for i, (root, followers) in enumerate(self.origins()):
            text = f"first wrong at {root}" if i == 0 else f"also wrong at {root}, independently"
            if followers:
                verb = "follows" if len(followers) == 1 else "follow"
                text += f"; {', '.join(followers)} {verb} from it"
            lines.append(text)
        if self.unknown:
            lines.append("unknown names (not nodes of the graph): "
                         + ", ".join(repr(k) for k in self.unknown))
        if lines:
            return "\n".join(lines)
        compared = [r.name for r in self.rows if r.compared]
        if not compared:
            return "no node to compare: hand returned no gradient for any node of the graph"
        if self.missing:
            agree = (f"all {len(compared)} returned nodes agree" if len(compared) > 1
                     else f"the one returned node, {compared[0]}, agrees")
            return f"{agree} with autograd (not returned: {', '.join(self.missing)})"
        return f"all {len(compared)} nodes agree with autograd"

    def __str__(self) -> str:
        numerical = any(r.numerical_difference is not None for r in self.rows)
        header = ["node", "shape", "hand vs autograd"]
        if numerical:
            header.append("autograd vs numerical")
        header.append("verdict")
        table = [header]
        for r in self.rows:
            cells = [str(r.name), "-" if r.shape is None else str(r.shape),
                     _number(r.difference)]
            if numerical:
                cells.append(_number(r.numerical_difference))
            cells.append(f"{r.verdict}  {r.note}" if r.note else r.verdict)
            table.append(cells)
        widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
        # names and shapes left-aligned, numbers right-aligned, the verdict free
        aligns = ["<", "<"] + [">"] * (len(header) - 3)
        lines = ["  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, aligns, widths))
                 + "  " + row[-1] for row in table]
        title = (f"check_backprop: hand vs autograd on m = {self.m} samples "
                 f"(agree below {self.tol:g}; dZ, dA per sample"
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


def _ancestor_ids(node: mg.Tensor) -> set:
    """ids of every tensor ``node`` is computed from (not ``node`` itself)."""
    seen: set = set()
    stack = list(node.parents)
    while stack:
        t = stack.pop()
        if id(t) not in seen:
            seen.add(id(t))
            stack.extend(t.parents)
    return seen


# --- the check ------------------------------------------------------------------

def check_backprop(net: Any, X: np.ndarray, Y: np.ndarray, hand: Optional[Hand] = None,
                   tol: float = 2e-7, numerical: bool = False) -> BackpropReport:
    """Compare hand-derived gradients with autograd's, node by node.

    ``net`` is a ``nets`` network (``params``, ``graph(X, Y)``, ``backprop``);
    X (n_x, m), Y (1, m) of 0/1. ``hand(params, X, Y)`` returns a dict keyed
    by node names (``"Z[1]"``, ``"W[2]"``, ...; any subset), dZ and dA per
    sample; it gets copies, so it cannot change the net. ``hand=None`` checks
    the net's own ``backprop``. With ``numerical=True`` each parameter row also
    gets central differences of J (ε = 1e-7), shown beside autograd; they are
    noisier (round-off in J over 2ε), so they do not decide ``ok``.

    A hand that raises, or returns something other than a dict, or a value
    that is not an array of numbers, is an error naming what came.
    """
    X, Y = check_data(X, Y, getattr(net, "n_x", None))
    m = X.shape[1]
    if hand is None:
        returned = _call(net.backprop, "net.backprop", X, Y)
    else:
        if not callable(hand):
            raise TypeError(f"check_backprop: hand must be a function hand(params, X, Y) "
                            f"-> dict; got {type(hand).__name__}")
        params = {k: np.array(v, dtype=np.float64) for k, v in net.params.items()}
        returned = _call(hand, _fn_name(hand), params, X.copy(), Y.copy())
    g = net.graph(X, Y)
    g.loss.backward()
    grads = g.grads()
    scales = _term_sizes(g, grads)
    order = _backward_order(g, grads)
    rows = []
    for name in order:
        node = g[name]
        factor = m if _PER_SAMPLE.match(name) else 1
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
                                  note=_unknown_note(key, order)))
    if numerical:
        _add_numerical(rows, net, X, Y)
    return BackpropReport(rows, g, tol, m)


def _fn_name(f: Callable) -> str:
    return getattr(f, "__name__", None) or repr(f)


def _call(f: Callable, label: str, *args: Any) -> Mapping[str, Any]:
    try:
        out = f(*args)
    except Exception as error:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in args[0].items()) \
            if isinstance(args[0], dict) else ""
        given = f"params {{{shapes}}}, " if shapes else ""
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


def _compare(name: str, auto: np.ndarray, hand: np.ndarray, tol: float, m: int,
             scale: Optional[float]) -> NodeCheck:
    """One node's verdict; ``auto`` is already in the notes' conventions."""
    factor = m if _PER_SAMPLE.match(name) else 1
    row = NodeCheck(name, auto.shape, hand.shape, auto, hand, None, OK, factor != 1)
    if hand.shape != auto.shape:
        row.verdict, row.note = WRONG_SHAPE, _shape_note(name, hand.shape, auto.shape)
        return row
    bad = np.argwhere(~np.isfinite(hand))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        row.difference = float("nan")
        row.verdict, row.note = WRONG, f"hand holds {hand[index]} at {index}"
        return row
    row.difference = mg.relative_difference(auto, hand)
    if row.difference < tol:
        return row
    gap = float(np.linalg.norm(auto - hand))
    if scale is not None and gap <= ROUNDOFF * scale * factor:
        row.note = "(the sum cancels: both sides are round-off)"
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
    norm2 = float(np.dot(auto.ravel(), auto.ravel()))
    if norm2 == 0:
        return ""
    c = float(np.dot(hand.ravel(), auto.ravel())) / norm2
    if mg.relative_difference(c * auto, hand) > 1e-6:
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
        dA = np.abs(grads[f"A[{L}]"])
        for l in range(L, 0, -1):
            A, Z = g[f"A[{l}]"], g[f"Z[{l}]"]
            sizes[f"A[{l}]"] = float(np.linalg.norm(dA))
            dZ = dA * np.abs(_g_prime(A.op, Z.data))
            sizes[f"Z[{l}]"] = float(np.linalg.norm(dZ))
            sizes[f"W[{l}]"] = float(np.linalg.norm(dZ @ np.abs(g[f"A[{l - 1}]"].data).T))
            sizes[f"b[{l}]"] = float(np.linalg.norm(dZ.sum(axis=1)))
            dA = np.abs(g[f"W[{l}]"].data).T @ dZ
    except (KeyError, TypeError, ValueError):
        return {}   # a net not laid out as the notes: plain relative differences
    return sizes


def _g_prime(op: Optional[str], Z: np.ndarray) -> np.ndarray:
    try:
        return activations.get(op).g_prime(Z)
    except ValueError:
        return np.ones_like(Z)   # an activation we do not know: |g'| <= 1 for the usual ones


def _unknown_note(key: Any, names: Sequence[str]) -> str:
    text = "not a node of the graph"
    if not isinstance(key, str):
        return f"{text}: keys are node names such as 'W[1]'; got a {type(key).__name__}"
    simple = lambda s: re.sub(r"[^0-9a-z]", "", s.lower())  # noqa: E731
    candidates = {simple(n): n for n in names}
    core = simple(key)
    guess = candidates.get(core) or (candidates.get(core[1:]) if core.startswith("d") else None)
    return f"{text}; did you mean {guess}?" if guess else f"{text} ({', '.join(names)})"


def _add_numerical(rows: List[NodeCheck], net: Any, X: np.ndarray, Y: np.ndarray) -> None:
    """Central differences of J with respect to each parameter, on copies."""
    names = [r.name for r in rows if isinstance(r.name, str) and r.name in net.params]
    if not names:
        return
    clone = copy.copy(net)
    clone.params = {k: np.array(v, dtype=np.float64) for k, v in net.params.items()}
    leaves = [mg.tensor(clone.params[k], name=k) for k in names]

    def J(*nudged: mg.Tensor) -> mg.Tensor:
        # numerical_grad nudges private copies of the leaves: J reads those
        clone.params.update({k: t.data for k, t in zip(names, nudged)})
        return clone.graph(X, Y).loss

    grads = mg.numerical_grad(J, leaves)
    for r in rows:
        if r.name in names:
            r.numerical = grads[names.index(r.name)]
            r.numerical_difference = mg.relative_difference(r.autograd, r.numerical)
