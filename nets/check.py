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
round-off residues means nothing. Near 0, float64 has subnormal numbers with
fewer digits (1e-319 has about five), so each operation may be off by up to
their spacing, 2^-1074, whatever the size of its operands: a difference within
that spacing, carried through the backward pass as the terms are, agrees too.
A hand value of another shape is never
broadcast: it is "WRONG SHAPE", named, with both shapes. NaN or inf on
either side is never "ok", and the comparison does not overflow at any size.

Under the table, the diagnosis says where each error enters (``nets.diagnosis``:
"follows from" only along a path that is wrong, and dZ[1] inferred when only
dW[1], db[1] came back) and which classic slip reproduces the numbers
(``nets.slips``: "likely slip: A1 in place of g′(Z1) = 1 − A1²").
A WRONG value that went through float32 on the way (``astype(np.float32)``)
and is off by no more than float32's rounding of its terms is said to be
that, not a slip, when it also agrees with autograd to ``FLOAT32_AGREEMENT``
(a 1% slip is 50 times further off) and the numbers show float32 (float32
values, or the right formulas from X or W, b rounded to float32 give them:
``precision.float32_shown``); where they do not, a formula off by as little
(0.99999 for 1) is as likely, and the report says it cannot tell. It stays
WRONG (the check asks float64's digits). A float64 value that a slip the
report finds for the other wrong nodes gives too is that slip's, not float32's,
and is traced with them (``report.digits_read_by_slips``: on the course's
untrained net, 1 − Z1² for 1 − A1² leaves dW1 off by as little as float32's
rounding).
"""
from __future__ import annotations

import copy
import numbers
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

import minigrad as mg
from nets import activations, kinks
from nets.course import (CourseBackprop, check_signature, course, course_name,
                         course_parameters_hint, is_course_function)
from nets.network import Graph, check_data
from nets.precision import digits, float32_digits, float32_gap, float32_shown, within_rounding
from nets.precision import norm as _norm
from nets.report import (MISSING, NOT_COMPARED, OK, UNKNOWN, WRONG, WRONG_SHAPE, BackpropReport,
                         NodeCheck, SlipContext, digits_read_by_slips, in_autograd_shape)

__all__ = ["check_backprop", "BackpropReport", "NodeCheck", "OK", "WRONG", "WRONG_SHAPE",
           "MISSING", "UNKNOWN", "NOT_COMPARED"]

Hand = Callable[[Dict[str, np.ndarray], np.ndarray, np.ndarray], Mapping[str, Any]]

# A gradient whose size is below this share of the sum of its terms' sizes has
# cancelled: what is left on either side is round-off (about 1e-16 per term).
ROUNDOFF = 1e-10
# The spacing of float64 next to 0 (the smallest subnormal number): how far any
# operation may round a result that small, on top of its relative 1e-16.
UNDERFLOW = 2.0 ** -1074
# A few such roundings per operation, on either side (hand's and autograd's).
UNDERFLOW_ROUNDINGS = 4.0

_PER_SAMPLE = re.compile(r"^[ZA]\[[0-9]+\]$")


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
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise ValueError(f"check_backprop: tol must be a number between 0 and 1, such as the "
                         f"course's 2e-7; got {tol!r}")
    if not all(hasattr(net, a) for a in ("params", "graph", "backprop")):
        raise TypeError(f"check_backprop: net must be a nets network (TwoLayerNet, DeepNet, "
                        f"LogisticRegression); got {type(net).__name__}"
                        f"{course_parameters_hint(net)}")
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
    scales, floors = _term_sizes(g, grads), _underflow_floors(g, grads)
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
        value, dtype = _as_array(returned[name], labels.get(name, name), label)
        row = _compare(name, auto, value, tol, m, scales.get(name), floors.get(name), X.shape[0],
                       _rows_below(g, name))
        if row.verdict == WRONG and within_rounding(auto, value, dtype,
                                                     scales.get(name), factor):
            # the formulas may be right: the digits are missing (float32 keeps about 7)
            row.hand_dtype = dtype.name
            row.note = f"hand is {dtype.name}: {digits(dtype.name)} digits"
        elif row.verdict == WRONG and float32_digits(auto, value, dtype, row.difference,
                                                     scales.get(name), factor):
            # float64 that went through float32 on the way (X.astype(np.float32), a
            # dZ cast and back): right formulas, float32's digits
            row.hand_dtype, row.digits_only = "float32", True
            row.note = f"agrees to float32's precision: {digits('float32')} digits"
        if row.verdict in (OK, WRONG) and row.hand_dtype in (None, "float32"):
            row.float32_gap = float32_gap(auto, value, scales.get(name), factor, ROUNDOFF)
        rows.append(row)
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
        expected, given, tol, scales.get(name), floors.get(name),
        m if _PER_SAMPLE.match(name) else 1)[0])
    # read before the kink's sides change the context's g′
    shown = not any(r.digits_only for r in rows) or float32_shown(rows, context)
    kink = _kink_choice(rows, context)
    # a slip that gives the other wrong nodes may give the rows read as float32's too
    return digits_read_by_slips(BackpropReport(rows, g, tol, m, labels, label, context, kink,
                                               shown))


def _kink_choice(rows: List[NodeCheck],
                 context: Optional[SlipContext]) -> Optional[kinks.KinkChoice]:
    """Where a hidden Z[l] sits on relu's kink, either side of g′ is right: the
    sides the hand took there, when they make WRONG rows agree (those rows
    become "ok", and the slip search recomputes with those sides); None when
    the hand is wrong elsewhere alone, or no Z[l] is on a kink."""
    # A float64 row read as "float32's digits" is a guess: the other side at a
    # kink a few samples sit on moves a sum as little (two kink samples of
    # nearly opposite dZ), and there the kink is the answer, not float32.
    def open_to_it(r: NodeCheck) -> bool:
        return r.hand_dtype is None or r.digits_only

    if context is None or not any(r.verdict == WRONG and open_to_it(r) for r in rows):
        return None
    c = context
    given = {r.name: r.hand for r in rows if r.verdict in (OK, WRONG) and open_to_it(r)}
    right = [r.name for r in rows if r.verdict == OK]
    choice = kinks.choose(c.values, c.Y, c.hidden, c.L, given, right, c.agree)
    if choice is None:
        return None
    took = "a slope between the sides" if choice.halfway else "the other side"
    for r in rows:
        if r.name in choice.gained:
            r.verdict, r.note = OK, f"{took} of g′ at the kink Z = 0: valid too"
            r.hand_dtype, r.digits_only = None, False
    c.hidden = choice.hidden
    return choice


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
    hidden = {l: _activation_of(g, l) for l in range(1, L)}
    if any(act is None for act in hidden.values()):
        return None   # an activation the registry does not know: no g' to recompute with
    return SlipContext(values, Y, hidden, L, agree)


def _fn_name(f: Callable) -> str:
    return getattr(f, "__name__", None) or repr(f)


def _call(f: Callable, label: str, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
    # as the function names them: parameters {W1 (4, 2), ...} for the course's
    course_style = isinstance(f, CourseBackprop)
    errors = np.geterr()   # a np.seterr in the function is its own, not the check's after it
    try:
        out = f(*args, **kwargs)
    except SystemExit as error:   # exit() in the function: never a silent end of the check
        raise RuntimeError(f"check_backprop: {label} called exit() (SystemExit {error.code!r}) "
                           f"instead of returning its gradients") from error
    except Exception as error:
        def shapes(values: Any) -> str:
            return ", ".join(f"{course_name(k)[1:] if course_style else k} {v.shape}"
                             for k, v in values.items()) if isinstance(values, dict) else ""
        given = f"{'parameters' if course_style else 'params'} {{{shapes(args[0])}}}, " \
            if shapes(args[0]) else ""
        if kwargs.get("cache"):   # the course's cache: Z1 (4, 400), A1 (4, 400), ...
            given += f"cache {{{shapes(kwargs['cache'])}}}, "
        X, Y = args[-2], args[-1]
        raise RuntimeError(f"check_backprop: {label} raised {type(error).__name__}: {error} "
                           f"(called with {given}X {X.shape}, Y {Y.shape})"
                           f"{_key_hint(error, args[0], course_style)}; "
                           f"see the traceback above") from error
    finally:
        np.seterr(**errors)
    if not isinstance(out, Mapping):
        example = "{'dW1': dW1, 'db1': db1, ...}" if course_style else \
            "{'W[1]': dW1, 'b[1]': db1}"
        raise TypeError(f"check_backprop: {label} must return a dict of gradients keyed by "
                        f"{'name' if course_style else 'node name'}, such as {example}; got "
                        f"{type(out).__name__}")
    return out


def _key_hint(error: Exception, params: Any, course_style: bool) -> str:
    """For a KeyError of a parameter or cache name: why that key is not there.
    A layer the net does not have (``W3`` of a net of 2 layers) is said so,
    whatever the names, and layer 0 (a loop from 0) is the input X; the course's
    names (``params["W1"]``) in a hand(params, X, Y), which gets the notes'
    names, say where those come from."""
    key = error.args[0] if isinstance(error, KeyError) and error.args else None
    if not isinstance(key, str):
        return ""
    found = re.fullmatch(r"([WbZA])(?:\[([0-9]+)\]|([0-9]+))", key)
    if not found:
        return ""
    kind, layer = found.group(1), int(found.group(2) or found.group(3))
    # the names the function gets: the course's W1 with its four parameters, else W[1]
    names = (lambda l: f"{kind}{l}") if course_style else (lambda l: f"{kind}[{l}]")
    L = sum(1 for k in params if str(k).startswith("W")) if isinstance(params, Mapping) else 0
    where = ("cache" if kind in "ZA" else "parameters") if course_style else \
        ("the forward pass" if kind in "ZA" else "params")
    listed = ", ".join(names(l) for l in range(1, L + 1)) or f"{kind}[1], ..."
    held = f"{where} holds {listed}"
    input_layer = ("A[0] is X, which your function gets as X" if kind == "A" else
                   f"layer 0 is the input X, which has no {kind}")
    if found.group(3) is not None and not course_style:
        # the course's names in a hand(params, X, Y): the first thing to change
        # the notes' name of that layer, or those of the layers there are
        notes = f"'{kind}[{layer}]'" if not L or 1 <= layer <= L else listed
        text = (f". A function of three parameters is called as hand(params, X, Y), with "
                f"params keyed as the notes name them ({notes}); the "
                f"course's names ('{key}') come with its four parameters, "
                f"backward_propagation(parameters, cache, X, Y)")
        if L and layer == 0:
            return text + f"; and layers count from 1: {input_layer}"
        if L and layer > L:
            return text + f"; and this net has {L} layer{'s' if L != 1 else ''}, no layer {layer}"
        return text
    if L and layer == 0:
        return (f". Layers count from 1: {held}; your function reads {key!r}, and "
                f"{input_layer}")
    if L and not 1 <= layer <= L:
        return (f". The net has {L} layer{'s' if L != 1 else ''}: {held}; your "
                f"function reads {key!r}, a layer this net does not have (written for a "
                f"deeper net? read L from the parameters, e.g. L = len(parameters) // 2)")
    return ""


def _as_array(value: Any, name: str, who: str = "hand") -> tuple:
    """``value`` as a float64 array, and the dtype it came in; ``name`` as the
    hand names it (``dW1`` for the course's function, whose name is ``who``)."""
    data = value.data if isinstance(value, mg.Tensor) else value
    if data is None:
        raise TypeError(f"check_backprop: {who} returned None for {name!r}; expected an array")
    try:
        array = np.asarray(data)
    except Exception:   # ragged lists and the like
        array = np.asarray(None)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"check_backprop: {who}'s value for {name!r} must be an array of "
                        f"real numbers; got {type(value).__name__}"
                        + (f" of dtype {array.dtype}" if array.dtype != object else ""))
    return array.astype(np.float64), array.dtype


def _shape_of(value: Any) -> Optional[tuple]:
    return getattr(value, "shape", None)


def _agree(auto: np.ndarray, hand: np.ndarray, tol: float, scale: Optional[float],
           floor: Optional[float], factor: int) -> tuple:
    """(agree, difference, note) for two finite arrays of one shape: below
    ``tol``, or both round-off of a sum that cancels (``scale``: the size of
    its terms), or apart by no more than underflow's rounding (``floor``). NaN
    never agrees."""
    difference = mg.relative_difference(auto, hand)
    if difference < tol:
        return True, difference, ""
    if not np.isfinite(difference):
        return False, difference, ""
    gap = _norm(auto - hand) if np.isfinite(auto - hand).all() else float("inf")
    if scale is not None and np.isfinite(scale) and gap <= ROUNDOFF * scale * factor:
        return True, difference, "(the sum cancels: both sides are round-off)"
    if floor is not None and np.isfinite(floor) and gap <= floor * factor:
        return True, difference, "(near 0, where float64 keeps few digits: both sides are round-off)"
    return False, difference, ""


def _rows_below(g: Graph, name: str) -> tuple:
    """(l - 1, n[l-1]) for W[l] and b[l] of a graph laid out as the notes (the
    rows of A[l-1], X's for l = 1); (0, 0) for any other node."""
    found = re.match(r"^[Wb]\[([0-9]+)\]$", name)
    if not found:
        return 0, 0
    l = int(found.group(1))
    below = g["X"] if l == 1 and "X" in g else g[f"A[{l - 1}]"] if f"A[{l - 1}]" in g else None
    return (l - 1, below.shape[0]) if below is not None and len(below.shape) == 2 else (0, 0)


def _compare(name: str, auto: np.ndarray, hand: np.ndarray, tol: float, m: int,
             scale: Optional[float], floor: Optional[float], n_x: int = 0,
             below: tuple = (0, 0)) -> NodeCheck:
    """One node's verdict; ``auto`` is already in the notes' conventions."""
    factor = m if _PER_SAMPLE.match(name) else 1
    row = NodeCheck(name, auto.shape, hand.shape, auto, hand, None, OK, factor != 1)
    if hand.shape != auto.shape:
        row.shape_only = _right_numbers(auto, hand, tol, scale, floor, factor)
        row.verdict, row.note = WRONG_SHAPE, _shape_note(name, hand.shape, auto.shape, m) + {
            "": "", "as is": " (its numbers are right; only its shape is wrong)",
            "transposed": " (its transpose is right)"}[row.shape_only]
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
        agree, row.difference, note = _agree(auto, hand, tol, scale, floor, factor)
    if agree:
        row.note = note
        return row
    row.verdict, row.note = WRONG, _factor_note(auto, hand, m, factor != 1, n_x, below)
    return row


def _shape_note(name: str, hand: tuple, auto: tuple, m: int = 0) -> str:
    text = f"hand {hand}, autograd {auto}"
    if len(auto) == 2 and hand == auto[::-1]:
        return text + ": transposed?"
    if m > 1 and len(auto) == 2 and hand == (auto[0], m) and auto[1] != m \
            and name[:2] in ("W[", "b["):
        # dZ[l] returned as dW[l] or db[l]: the per-sample values, not their sum
        return text + (f": one column per sample (m = {m}): a per-sample dZ where dW, a sum "
                       f"over the samples, is due?" if name[0] == "W" else
                       f": one column per sample (m = {m}): not summed over the samples "
                       f"(axis=1)?")
    if hand == () and len(auto) == 2:   # np.sum(dZ) with no axis: one number
        return text + ": a sum over every axis (no axis=1)?"
    if len(hand) < len(auto) and np.prod(hand) == np.prod(auto):
        # the classic: np.sum(dZ, axis=1) gives (n,), not the (n, 1) of b
        return text + (": a sum without keepdims=True?" if name.startswith("b[")
                       else ": an axis lost")
    return text


def _right_numbers(auto: np.ndarray, hand: np.ndarray, tol: float, scale: Optional[float],
                   floor: Optional[float], factor: int) -> str:
    """For a wrong shape: whether the numbers themselves are right, in the order
    the shape suggests: ``"as is"`` (a lost axis of 1: ``np.sum(dZ2) / m`` for the
    (1, 1) db[2]), ``"transposed"``, or ``""`` (not right, or another size), so
    that the learner fixes the shape, not the formula."""
    if hand.size != auto.size or not np.isfinite(hand).all() or not np.isfinite(auto).all():
        return ""
    if [n for n in hand.shape if n != 1] == [n for n in auto.shape if n != 1]:
        kind = "as is"
    elif hand.ndim == 2 and hand.shape == auto.shape[::-1]:
        kind = "transposed"
    else:
        return ""
    with np.errstate(over="ignore", invalid="ignore"):
        agree = _agree(auto, in_autograd_shape(hand, auto.shape, kind), tol, scale, floor,
                       factor)[0]
    return kind if agree else ""


def _factor_note(auto: np.ndarray, hand: np.ndarray, m: int, per_sample: bool,
                 n_x: int = 0, below: tuple = (0, 0)) -> str:
    """Name the classic slips when hand is a multiple of autograd; ``below``:
    (l - 1, n[l-1]) for dW[l] and db[l] (an m read from the rows of A[l-1])."""
    top = float(np.max(np.abs(auto), initial=0.0))
    if top == 0.0:
        return ""
    unit = auto / top   # scaled: no overflow in the dot products
    # hand / top may still overflow (hand 1e10, autograd 1e-300): c is then inf, no factor
    with np.errstate(over="ignore", invalid="ignore"):
        c = float(np.dot((hand / top).ravel(), unit.ravel())) / float(np.dot(unit.ravel(),
                                                                             unit.ravel()))
        scaled = c * auto
    if not np.isfinite(c) or not mg.relative_difference(scaled, hand) <= 1e-6:   # nan: no
        return ""
    close = lambda a, b: abs(a - b) <= 1e-6 * abs(b)  # noqa: E731
    if abs(c - 1.0) < 1e-3:
        return ""   # "hand = 1 × autograd" would read as a contradiction and name nothing
    text = f"hand = {c:.4g} × autograd"
    if close(c, -1.0):
        return text + " (a flipped sign?)"
    if m > 1 and close(c, float(m)):
        return text + f" (m = {m}: a missing 1/m?)"
    if m > 1 and close(c, 1.0 / m):
        return text + (" (1/m: dZ, dA are per sample, with no 1/m)" if per_sample
                       else " (1/m: 1/m applied twice?)")
    if n_x and n_x != m and close(c, m / n_x):
        return text + f" (m / n_x = {m} / {n_x}: m read as X.shape[0]?)"
    layer, n_prev = below
    if n_prev and n_prev != m and close(c, m / n_prev):   # dW[l], db[l] with l > 1
        return text + f" (m / n[{layer}] = {m} / {n_prev}: m read as A_prev.shape[0]?)"
    return text


def _backward_order(g: Graph, grads: Mapping[str, np.ndarray]) -> List[str]:
    """A[L], Z[L], W[L], b[L], A[L-1], ..., b[1]; then any other node with a
    gradient (other nets), J side first."""
    L = _layers(g)
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
    return _abs_backprop(g, grads, np.abs, 0.0)


def _underflow_floors(g: Graph, grads: Mapping[str, np.ndarray]) -> Dict[str, float]:
    """For each node, how far underflow alone may move its gradient, in ∂J units:
    every operation of the backward pass may round by ``UNDERFLOW`` (a few
    times), and what it rounds is carried on as the terms are (|W|ᵀ, |A|, |g'|).
    About 1e-322 for the usual nets: it decides only where a gradient is that small."""
    added = UNDERFLOW_ROUNDINGS * UNDERFLOW
    return _abs_backprop(g, grads, lambda dA: np.full(dA.shape, added), added)


def _value_sizes(g: Graph, L: int) -> Dict[int, np.ndarray]:
    """|A[l]| for l < L, plus what the rounding of Z[l]'s sum carries into it: a hand
    that adds Z[l]'s terms in another order gets another A[l], and where they
    cancel (0.1 + 0.1 - 0.6 + 0.4 is 5.6e-17 in float64, 0 in another order)
    that is all of A[l]: |g′(Z[l])| (|W[l]| sizes[l-1] + |b[l]|); X is exact."""
    sizes = {0: np.abs(g["A[0]"].data)}
    for l in range(1, L):
        act = _activation_of(g, l)
        slope = np.abs(act.g_prime(g[f"Z[{l}]"].data)) if act is not None else 1.0
        sizes[l] = np.abs(g[f"A[{l}]"].data) + slope * (
            np.abs(g[f"W[{l}]"].data) @ sizes[l - 1] + np.abs(g[f"b[{l}]"].data))
    return sizes


def _layers(g: Graph) -> int:
    """L: the highest l of a node Z[l] (0 when there is none)."""
    return max((int(k[2:-1]) for k in g if re.match(r"^Z\[[0-9]+\]$", k)), default=0)


def _abs_backprop(g: Graph, grads: Mapping[str, np.ndarray],
                  seed: Callable[[np.ndarray], np.ndarray], added: float) -> Dict[str, float]:
    """The norms of backprop run on absolute values from ``seed(dA[L])``,
    ``added`` to each entry every time an operation makes it. {} for a net
    not laid out as the notes (then plain relative differences decide)."""
    L, out = _layers(g), {}
    try:
        # a norm that overflows is inf: _agree then uses the plain difference alone
        with np.errstate(over="ignore", invalid="ignore"):
            sizes = _value_sizes(g, L)
            dA = seed(grads[f"A[{L}]"])
            for l in range(L, 0, -1):
                Z, A_prev = g[f"Z[{l}]"].data, sizes[l - 1]
                out[f"A[{l}]"] = _norm(dA)
                act = _activation_of(g, l)
                # an activation we do not know: |g'| <= 1 for the usual ones
                dZ = dA * (np.abs(act.g_prime(Z)) if act is not None else 1.0) + added
                out[f"Z[{l}]"] = _norm(dZ)
                # a sum of k products rounds k times
                out[f"W[{l}]"] = _norm(dZ @ A_prev.T + added * (A_prev.shape[1] + 1))
                out[f"b[{l}]"] = _norm(dZ.sum(axis=1) + added * (dZ.shape[1] + 1))
                W = np.abs(g[f"W[{l}]"].data)
                dA = W.T @ dZ + added * (W.shape[0] + 1)
    except (KeyError, TypeError, ValueError):
        return {}
    return out


def _activation_of(g: Graph, l: int) -> Optional[activations.Activation]:
    """g[l] with its parameters as the graph was built (``Graph.activations``);
    for a graph built without them, the registry's by the op's name; None
    when the registry does not know it."""
    act = getattr(g, "activations", {}).get(l)
    if act is not None:
        return act
    try:
        return activations.get(g[f"A[{l}]"].op)
    except ValueError:
        return None


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
    if guess is None and not any(c.isdigit() for c in core) and \
            not any(n.endswith("[2]") for n in names):
        # the course's logistic regression names them dw, db: one layer, no number
        guess = candidates.get(core + "1") or \
            (candidates.get(core[1:] + "1") if core.startswith("d") else None)
    return f"{text}; did you mean {guess}?" if guess else f"{text} ({', '.join(named)})"


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
