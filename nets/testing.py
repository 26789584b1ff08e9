"""Property-test your own backprop, in your own pytest suite.

Three lines check hand-derived formulas against autograd on many random
networks and datasets (sizes, m = 1 included, parameters, labels)::

    from nets.testing import assert_backprop_matches

    def test_my_backprop():
        assert_backprop_matches(my_backprop)   # my_backprop(params, X, Y) -> dict

``my_backprop`` gets ``params`` (``{"W[1]": (n_h, n_x), "b[1]": (n_h, 1),
"W[2]": (1, n_h), "b[2]": (1, 1)}``), ``X (n_x, m)`` and ``Y (1, m)``, and
returns any of ``"Z[2]", "W[2]", "b[2]", "A[1]", "Z[1]", "W[1]", "b[1]",
"A[2]"`` in the notes' conventions (dZ, dA per sample; dW, db with the 1/m).
The hidden activation is tanh unless you say which g your formulas use:
``assert_backprop_matches(my_backprop, activation="relu")`` (or an ``Activation``
with its parameters: ``activation=activations.get("leaky_relu", alpha=0.2)``); ``hidden_layers=3``
checks L-layer formulas on a ``DeepNet``. On the first disagreement
the test fails with ``AssertionError``: ``check_backprop``'s table on
``informative_case()`` (m = 6, X away from 0, where every wrong node and the
likely slip show: "first wrong at Z[1]; W[1], b[1] follow from it", "likely
slip: A[1] in place of g′(Z[1]) ..."), then the smallest case hypothesis
shrank the failure to, with its table. The course's own
``backward_propagation(parameters, cache, X, Y)`` is taken as it is.

The strategies are here to build your own properties:
``network_sizes()``, ``datasets()``, ``params(layer_dims)``, ``networks()``
and ``cases()`` (a network with a dataset that fits it).

Entries are bounded (X in [-2, 2], parameters in [-1, 1]) and cases whose
output reaches |Z[L]| > 30 are set aside: past about 34 the cost clips A[L]
to [1e-15, 1 - 1e-15] so that its log stays finite, and there autograd's
gradient of the clipped cost is no longer the notes' A - Y.
``assert_backprop_matches`` draws each entry as 0 or at least 2⁻¹⁰ (about
0.001) in size (the strategies' ``min_magnitude``; by default they draw any
size): a weight of 1e-300 tests float arithmetic, not formulas, and there
right formulas with one float32 step give 0 (float32 has nothing below
1e-45), which reads as a wrong formula. From 2⁻¹⁰ up, float32 is reported
as what it is ("hand is float32").

This module needs hypothesis (the ``test`` extra); ``import nets`` does not.
"""
from __future__ import annotations

import functools
import hashlib
import os
import sys
import traceback
from types import FrameType
from typing import (Callable, Dict, Iterable, NamedTuple, Optional, Sequence, Tuple,
                    Union)

import numpy as np

try:
    from hypothesis import HealthCheck, Phase, assume, given, settings
    from hypothesis import strategies as st
    from hypothesis.database import ExampleDatabase
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("nets.testing needs hypothesis: pip install hypothesis "
                      "(or the project's test extra: pip install 'minigrad[test]')") from error

from nets import activations, slips
from nets.check import Hand, check_backprop
from nets.course import CourseBackprop, check_signature
from nets.network import DeepNet, Network
from nets.two_layer import LogisticRegression, TwoLayerNet

__all__ = ["Sizes", "Case", "network_sizes", "datasets", "params", "networks", "cases",
           "informative_case", "assert_backprop_matches", "ACTIVATION_NAMES", "X_LIMIT",
           "PARAM_LIMIT", "Z_LIMIT", "MIN_MAGNITUDE"]

ACTIVATION_NAMES = activations.NAMES   # the registry's, in its order
X_LIMIT = 2.0       # |X| entries
PARAM_LIMIT = 1.0   # |W|, |b| entries
Z_LIMIT = 30.0      # |Z[L]| of a case: below the cost's clip (about 34.5)
# The smallest nonzero |entry| assert_backprop_matches draws: products of a few
# stay far above float32's smallest normal number (1.2e-38) and its subnormals
MIN_MAGNITUDE = 2.0 ** -10

Activations = Union[str, activations.Activation, Sequence[Union[str, activations.Activation]],
                    None]


class Sizes(NamedTuple):
    """The sizes of a two-layer problem: inputs, hidden units, samples."""
    n_x: int
    n_h: int
    m: int


class Case(NamedTuple):
    """A network and a dataset it fits: ``net, X, Y = case``. Its repr holds
    every number, so a falsifying example can be rebuilt from it."""
    net: Network
    X: np.ndarray
    Y: np.ndarray

    def __repr__(self) -> str:
        params = ", ".join(f"{k!r}: np.array({v.tolist()!r})" for k, v in self.net.params.items())
        return (f"Case(net={self.net!r} with params {{{params}}}, "
                f"X=np.array({self.X.tolist()!r}), Y=np.array({self.Y.tolist()!r}))")


def _floats(limit: float, min_magnitude: float = 0.0) -> st.SearchStrategy:
    # no subnormals: some platforms flush them to zero, and they add nothing here
    if not min_magnitude:
        return st.floats(-limit, limit, allow_nan=False, allow_infinity=False,
                         allow_subnormal=False, width=64)
    # 0 first, so that hypothesis still shrinks an entry to 0 (X = 0, W = 0)
    size = st.floats(min_magnitude, limit, allow_nan=False, allow_infinity=False, width=64)
    return st.one_of(st.just(0.0), size, size.map(lambda v: -v))


def _check_min_magnitude(min_magnitude: float) -> float:
    """``min_magnitude`` as a float in [0, 1]: an error at the call, not at a draw."""
    if isinstance(min_magnitude, bool) or not isinstance(min_magnitude, (int, float)) \
            or not 0 <= min_magnitude <= PARAM_LIMIT:
        raise ValueError(f"min_magnitude must be a number from 0 (any size) to {PARAM_LIMIT:g}, "
                         f"such as nets.testing.MIN_MAGNITUDE (2**-10); got {min_magnitude!r}")
    return float(min_magnitude)


def network_sizes(max_n_x: int = 3, max_n_h: int = 4, max_m: int = 6) -> st.SearchStrategy:
    """``Sizes(n_x, n_h, m)`` with each in 1..max; m = 1 (one sample, where a
    missing or extra 1/m cannot show) is included."""
    return st.builds(Sizes, st.integers(1, max_n_x), st.integers(1, max_n_h),
                     st.integers(1, max_m))


def datasets(n_x: Optional[int] = None, m: Optional[int] = None, *, max_n_x: int = 3,
             max_m: int = 6, min_magnitude: float = 0.0) -> st.SearchStrategy:
    """``(X, Y)``: X (n_x, m) float64 in [-2, 2], Y (1, m) of 0.0/1.0 holding
    both classes whenever m >= 2. ``n_x`` and ``m`` are drawn when not given.
    ``min_magnitude``: each entry of X is 0 or at least this in size."""
    return _datasets(n_x, m, max_n_x, max_m, _check_min_magnitude(min_magnitude))


@st.composite
def _datasets(draw: Callable, n_x: Optional[int], m: Optional[int], max_n_x: int, max_m: int,
              min_magnitude: float) -> Tuple[np.ndarray, np.ndarray]:
    n_x = draw(st.integers(1, max_n_x)) if n_x is None else n_x
    m = draw(st.integers(1, max_m)) if m is None else m
    X = draw(hnp.arrays(np.float64, (n_x, m), elements=_floats(X_LIMIT, min_magnitude)))
    Y = draw(hnp.arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0])))
    if m >= 2 and np.all(Y == Y[0, 0]):
        Y[0, -1] = 1.0 - Y[0, -1]   # one of each class at least, as real data has
    return X, Y


def params(layer_dims: Sequence[int], *, min_magnitude: float = 0.0) -> st.SearchStrategy:
    """``{"W[l]": (n[l], n[l-1]), "b[l]": (n[l], 1)}`` for ``layer_dims = [n_x,
    ..., 1]``, entries in [-1, 1] (zeros and equal entries included: the
    symmetric nets of the notes); ``min_magnitude``: each entry is 0 or at
    least this in size."""
    return _params(list(layer_dims), _check_min_magnitude(min_magnitude))


@st.composite
def _params(draw: Callable, layer_dims: Sequence[int],
            min_magnitude: float) -> Dict[str, np.ndarray]:
    entries = _floats(PARAM_LIMIT, min_magnitude)
    out = {}
    for l in range(1, len(layer_dims)):
        n, n_prev = layer_dims[l], layer_dims[l - 1]
        out[f"W[{l}]"] = draw(hnp.arrays(np.float64, (n, n_prev), elements=entries))
        out[f"b[{l}]"] = draw(hnp.arrays(np.float64, (n, 1), elements=entries))
    return out


def _activation_names(activation: Activations) -> list:
    """The activations to draw from: names of the registry, or ``Activation``
    objects (``activations.get("leaky_relu", alpha=0.2)``) for other parameters."""
    if activation is None:
        return list(ACTIVATION_NAMES)
    single = isinstance(activation, (str, activations.Activation))
    if not single and not isinstance(activation, (list, tuple)):
        raise TypeError(f"activation must be a name ({', '.join(map(repr, ACTIVATION_NAMES))}), "
                        f"an Activation (nets.activations.get('leaky_relu', alpha=0.2)), a "
                        f"list of these, or None for all five; got {type(activation).__name__}")
    names = [activation] if single else list(activation)
    unknown = [a for a in names
               if not isinstance(a, activations.Activation) and a not in ACTIVATION_NAMES]
    if unknown or not names:
        raise ValueError(f"unknown activation {', '.join(map(repr, unknown)) or '(none)'}; "
                         f"valid: {', '.join(ACTIVATION_NAMES)}, or an Activation such as "
                         f"nets.activations.get('leaky_relu', alpha=0.2)")
    return names


def networks(activation: Activations = None, hidden_layers: int = 1, *,
             n_x: Optional[int] = None, max_n_x: int = 3, max_n_h: int = 4,
             min_magnitude: float = 0.0) -> st.SearchStrategy:
    """Networks with drawn sizes and parameters (``params``).

    ``activation``: a name, an ``Activation`` (``activations.get("leaky_relu",
    alpha=0.2)``: other parameters), a list of these to draw from, or None for all five.
    ``hidden_layers``: 1 gives a ``TwoLayerNet``, 0 a ``LogisticRegression``
    (no hidden layer, so no activation to choose), more a ``DeepNet``.
    ``n_x`` fixes the number of inputs; otherwise it is drawn from 1..max_n_x.
    ``min_magnitude``: each parameter is 0 or at least this in size.
    """
    # checked here, not at the first draw, so a typo fails where it is written
    names = _activation_names(activation)
    if isinstance(hidden_layers, bool) or not isinstance(hidden_layers, int) \
            or hidden_layers < 0:
        raise ValueError(f"networks: hidden_layers must be an int >= 0; got {hidden_layers!r}")
    return _networks(names, hidden_layers, n_x, max_n_x, max_n_h,
                     _check_min_magnitude(min_magnitude))


@st.composite
def _networks(draw: Callable, names: list, hidden_layers: int, n_x: Optional[int],
              max_n_x: int, max_n_h: int, min_magnitude: float) -> Network:
    n_x = draw(st.integers(1, max_n_x)) if n_x is None else n_x
    hidden = [draw(st.integers(1, max_n_h)) for _ in range(hidden_layers)]
    if hidden_layers == 0:
        net: Network = LogisticRegression(n_x)
    elif hidden_layers == 1:
        net = TwoLayerNet(n_x, hidden[0], activation=draw(st.sampled_from(names)),
                          init="zeros")
    else:
        net = DeepNet([n_x, *hidden, 1], activation=draw(st.sampled_from(names)),
                      init="zeros")
    net.params = draw(_params(net.layer_dims, min_magnitude))
    # the repr shows init=: "zeros" would mislead in a falsifying example
    net.init = "drawn"
    return net


def cases(activation: Activations = None, hidden_layers: int = 1, *, max_n_x: int = 3,
          max_n_h: int = 4, max_m: int = 6, min_magnitude: float = 0.0) -> st.SearchStrategy:
    """``Case(net, X, Y)``: a network from ``networks`` and a dataset from
    ``datasets`` that fits it, with |Z[L]| <= 30 (see the module docstring);
    ``min_magnitude``: each entry of X and of the parameters is 0 or at least
    this in size."""
    return _cases(networks(activation, hidden_layers, max_n_x=max_n_x, max_n_h=max_n_h,
                           min_magnitude=min_magnitude), max_m, float(min_magnitude))


@st.composite
def _cases(draw: Callable, nets: st.SearchStrategy, max_m: int, min_magnitude: float) -> Case:
    net = draw(nets)
    X, Y = draw(_datasets(net.n_x, None, net.n_x, max_m, min_magnitude))
    assume(np.abs(net.forward(X)[f"Z[{net.L}]"]).max() <= Z_LIMIT)
    return Case(net, X, Y)


# Seeds informative_case tries, from 0, for a draw where every slip shows
INFORMATIVE_SEEDS = 100


def informative_case(activation: Union[str, activations.Activation] = "tanh",
                     hidden_layers: int = 1) -> Case:
    """A fixed case where every classic slip shows, whatever it is: m = 6 (a
    missing 1/m makes a gradient 6 ×, not 1 ×), n_x = 2 and n[l] = 3 (a
    transposed dW has another shape), no entry of X near 0 (|x| in [0.5, 2],
    so dW[1] = (1/m) dZ[1] Xᵀ is not 0 whatever dZ[1] is), both labels, and
    weights of either sign big enough that g(Z) and g'(Z) differ.

    The draw of seed 0, or of the first seed after it where every slip of
    ``nets.slips`` changes some dW or db (what the course's function returns):
    a deep relu net may draw a layer whose units are all 0 on every sample,
    where a slip below it changes nothing."""
    for seed in range(INFORMATIVE_SEEDS):
        case = _drawn_case(activation, hidden_layers, seed)
        if _every_slip_shows(case):
            return case
    return _drawn_case(activation, hidden_layers, 0)


def _every_slip_shows(case: Case) -> bool:
    """Whether every slip that can be made on ``case`` changes some dW[l] or db[l]."""
    net, X, Y = case
    values = {**net.forward(X), **net.params}
    hidden = {l: net.activation for l in range(1, net.L)}   # g[l]; the output's is σ
    with np.errstate(all="ignore"):
        right = slips.backward(values, Y, hidden, net.L)
        for slip in slips.slips(net.L, hidden):
            made = slips.backward(values, Y, hidden, net.L, slip)
            if made is not None and all(
                    made[k].shape == right[k].shape and np.allclose(made[k], right[k],
                                                                    rtol=1e-9, atol=0)
                    for k in right if k[0] in "Wb"):
                return False
    return True


def _drawn_case(activation: Union[str, activations.Activation], hidden_layers: int,
                seed: int) -> Case:
    """informative_case's sizes, X and Y, and parameters, drawn from ``seed``."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0.5, X_LIMIT, (2, 6)) * rng.choice([-1.0, 1.0], (2, 6))
    Y = np.array([[0.0, 1.0, 0.0, 1.0, 1.0, 0.0]])
    dims = [2] + [3] * hidden_layers + [1]
    if hidden_layers == 0:
        net: Network = LogisticRegression(2)
    elif hidden_layers == 1:
        net = TwoLayerNet(2, 3, activation=activation, init="zeros")
    else:
        net = DeepNet(dims, activation=activation, init="zeros")
    net.params = {k: rng.uniform(-PARAM_LIMIT, PARAM_LIMIT, v.shape)
                  for k, v in net.params.items()}
    net.init = "drawn"
    return Case(net, X, Y)


def assert_backprop_matches(hand: Hand, activation: Activations = "tanh",
                            hidden_layers: int = 1, *, max_examples: int = 100,
                            tol: float = 2e-7, max_n_x: int = 3, max_n_h: int = 4,
                            max_m: int = 6) -> None:
    """Check ``hand(params, X, Y) -> dict`` (or the course's
    ``backward_propagation(parameters, cache, X, Y)``) against autograd with
    ``check_backprop`` on ``max_examples`` random cases; raise
    ``AssertionError`` when one disagrees. Call it inside a test function (see
    the module docstring).

    The message leads with ``check_backprop``'s report on ``informative_case``
    (m = 6, X away from 0: every wrong node and the likely slip show), then
    the smallest failing case hypothesis found (where a missing 1/m or a
    wrong g' can hide: m = 1, X = 0), with its report.

    ``activation``: the hidden activation your formulas are written for, a
    name or an ``Activation`` with its parameters (``activations.get(
    "leaky_relu", alpha=0.2)``) (a list or None, for all five, only suits a
    hand that does not use g' itself:
    it cannot tell from params which one a case has); ``hidden_layers`` as in
    ``networks``. Each drawn entry is 0 or at least ``MIN_MAGNITUDE`` (2⁻¹⁰) in
    size: see the module docstring. Other hypothesis settings (derandomize,
    database) come from the active profile. The failures saved in the
    database are kept apart for each call: by the test it is called in (the
    calling function, and pytest's test id with its parameters), the hand's
    qualified name and the options that shape the cases (not
    ``max_examples``, not ``tol``). So the next run of that same test
    replays its own last failure first (with a profile that has a database:
    hypothesis's default does), and no other call replays it.
    """
    check_signature(hand, "assert_backprop_matches")
    options = (_activation_names(activation), hidden_layers, max_n_x, max_n_h, max_m)
    database = settings.default.database
    if database is not None:
        database = _CallSiteDatabase(database, _call_site(sys._getframe(1), hand, options))
    label = getattr(hand, "__name__", None) or repr(hand)
    strategy = cases(activation, hidden_layers, max_n_x=max_n_x, max_n_h=max_n_h, max_m=max_m,
                     min_magnitude=MIN_MAGNITUDE)
    typical: list = []   # the informative case's text, made once at the first failure

    def informative() -> str:
        if not typical:
            case = informative_case(_activation_names(activation)[0], hidden_layers)
            try:
                report = check_backprop(*case, hand=hand, tol=tol)
            except Exception as error:   # the hand raises there too: say where
                text = _raised_at(error)
            else:
                text = str(report) if not report.ok else \
                    "every node agrees: only the smaller case below shows the error"
            act = case.net.activation
            name = "" if hidden_layers == 0 else repr(act.name) if not act.params else \
                f"activations.get({act.name!r}, {', '.join(f'{k}={v!r}' for k, v in act.params)})"
            layers = "" if hidden_layers == 1 else f", hidden_layers={hidden_layers}"
            typical.append(f"On nets.testing.informative_case({name}{layers}) (n_x = 2, "
                           f"n[l] = 3, m = 6, X away from 0):\n{text}")
        return typical[0]

    # given() on a function made here, then called: it runs as a plain call inside
    # the caller's test, so no fixture or decorator is needed on their side.
    # No "explain" phase: it traces every line while shrinking (slow), and the
    # lines it would point at are check_backprop's, not the learner's. One
    # failure reported, not an ExceptionGroup of all it found (a hand that raises
    # on some sizes and is wrong on others): pages of tracebacks say no more.
    @settings(max_examples=max_examples, deadline=None, report_multiple_bugs=False,
              database=database,
              phases=[p for p in settings.default.phases if p is not Phase.explain],
              suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def hand_matches_autograd(case: Case) -> None:
        report = check_backprop(case.net, case.X, case.Y, hand=hand, tol=tol)
        if not report.ok:
            failures.append(AssertionError(
                f"{label} disagrees with autograd.\n\n{informative()}\n\n"
                f"The smallest failing case found:\n{case!r}\n\n{report}"))
            raise failures[-1]

    failures: list = []   # the AssertionErrors made above, told from any other
    __tracebackhide__ = True   # pytest: the learner's test line is the last one shown
    try:
        hand_matches_autograd()
    except (AssertionError, RuntimeError) as error:
        # Under the learner's test line, the traceback is hypothesis's and this
        # module's (with the decorator lines of hand_matches_autograd as the
        # failing line): nothing there is about their formulas. Dropped for the
        # disagreement, and for check_backprop's "hand raised" (its cause keeps
        # the traceback down to the hand's own line). Any other error keeps all.
        ours = any(error is e for e in failures) or (
            isinstance(error, RuntimeError) and error.__cause__ is not None
            and str(error).startswith("check_backprop: "))
        if not ours:
            raise
        raise error.with_traceback(None)


def _call_site(caller: FrameType, hand: Hand, options: tuple) -> bytes:
    """What tells one call of assert_backprop_matches from another, as bytes
    that are the same on every run: names and options, no id() or address (a
    failure saved on one run is looked up under them on the next)."""
    code = caller.f_code
    where = f"{caller.f_globals.get('__name__')}.{getattr(code, 'co_qualname', code.co_name)}"
    # course(f) and partial(f) bear the wrapper's name, whatever f is: f's tells them apart
    while isinstance(hand, (CourseBackprop, functools.partial)):
        hand = hand.function if isinstance(hand, CourseBackprop) else hand.func
    name = getattr(hand, "__qualname__", None) or type(hand).__qualname__
    text = repr((os.environ.get("PYTEST_CURRENT_TEST", ""), where,
                 f"{getattr(hand, '__module__', None)}.{name}", options))
    return hashlib.sha256(text.encode()).hexdigest().encode()


class _CallSiteDatabase(ExampleDatabase):
    """The active database, with every key prefixed by one call's: hypothesis
    keys saved examples by its test function's source, and
    assert_backprop_matches's inner test has the same source at every call,
    so without this each call would replay (and, passing, delete) the
    failures saved by every other."""

    def __init__(self, database: ExampleDatabase, call_site: bytes) -> None:
        super().__init__()
        self._database = database
        self._prefix = call_site + b":"

    def __repr__(self) -> str:
        return f"_CallSiteDatabase({self._database!r}, {self._prefix[:-1]!r})"

    def save(self, key: bytes, value: bytes) -> None:
        self._database.save(self._prefix + key, value)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self._database.fetch(self._prefix + key)

    def delete(self, key: bytes, value: bytes) -> None:
        self._database.delete(self._prefix + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self._database.move(self._prefix + src, self._prefix + dest, value)


# numpy's and this package's own frames: where a hand's error surfaces, not its line
_NOT_THE_HANDS = tuple(os.path.dirname(os.path.abspath(f)) + os.sep
                       for f in (np.__file__, __file__))


def _raised_at(error: Exception) -> str:
    """What the hand raised on the informative case, and the line of the hand's
    code it came from: this case's traceback is not shown, so "see the
    traceback above" would point at another case's, or at none."""
    text = f"{type(error).__name__}: {error}".replace("; see the traceback above", "")
    cause = error.__cause__ or error
    frames = [f for f in traceback.extract_tb(cause.__traceback__)
              if not os.path.abspath(f.filename).startswith(_NOT_THE_HANDS)]
    if frames:
        where = frames[-1]
        text += f"\n  at {os.path.basename(where.filename)}:{where.lineno}"
        text += f": {where.line}" if where.line else ""
    return text
