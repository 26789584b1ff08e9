"""Hypothesis strategies shared by the test suite, and the one gradient check
the engine tests build on.

Arrays are float64, of small shapes (every side 1..4, 0-d and 1-d included,
so broadcasting over 1s is exercised), with entries bounded to [-3, 3] and
never NaN or infinite. Strategies that depend on a shape take it as an
argument, so a test draws the shape first and the rest from it.
"""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

MAX_SIDE = 4
MAX_DIMS = 3
LIMIT = 3.0

Shape = Tuple[int, ...]
ShapeOrStrategy = Union[Shape, st.SearchStrategy, None]


def small_shapes(min_dims: int = 0, max_dims: int = MAX_DIMS,
                 max_side: int = MAX_SIDE) -> st.SearchStrategy:
    """Shapes such as (), (1,), (3, 1), (2, 1, 4): every side in 1..max_side."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                            max_side=max_side)


def finite_floats(low: float = -LIMIT, high: float = LIMIT) -> st.SearchStrategy:
    """float64 numbers in [low, high]: no NaN, no infinity, no subnormals."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False, width=64)


def _shape(shape: ShapeOrStrategy) -> st.SearchStrategy:
    if shape is None:
        return small_shapes()
    return shape if isinstance(shape, st.SearchStrategy) else st.just(tuple(shape))


def arrays(shape: ShapeOrStrategy = None, low: float = -LIMIT,
           high: float = LIMIT) -> st.SearchStrategy:
    """float64 arrays of ``shape`` (a tuple, a strategy, or None for
    ``small_shapes()``) with entries in [low, high]."""
    return hnp.arrays(np.float64, _shape(shape), elements=finite_floats(low, high))


def every_float_arrays(shape: ShapeOrStrategy = None) -> st.SearchStrategy:
    """float64 arrays whose entries may be any float64: huge, subnormal, ±0,
    ±inf, NaN (for kernels that must agree with the eager engine everywhere)."""
    return hnp.arrays(np.float64, _shape(shape), elements=st.floats(width=64))


def positive_arrays(shape: ShapeOrStrategy = None, low: float = 0.5,
                    high: float = LIMIT) -> st.SearchStrategy:
    """float64 arrays with entries in [low, high], low > 0: the safe domain of
    log, of a denominator, and of a non-integer power."""
    assert low > 0, f"positive_arrays needs low > 0; got {low}"
    return arrays(shape, low, high)


def arrays_away_from_zero(shape: ShapeOrStrategy = None, margin: float = 0.1,
                          high: float = LIMIT) -> st.SearchStrategy:
    """float64 arrays whose entries have |x| in [margin, high], of either sign:
    denominators, and the inputs of relu / leaky_relu kept off their kink at 0."""
    elements = st.one_of(finite_floats(-high, -margin), finite_floats(margin, high))
    return hnp.arrays(np.float64, _shape(shape), elements=elements)


def probabilities(shape: ShapeOrStrategy = None, low: float = 0.05,
                  high: float = 0.95) -> st.SearchStrategy:
    """Activations A of a sigmoid output, kept inside (0, 1): the safe domain
    of the cross-entropy's gradient."""
    return arrays(shape, low, high)


def labels(shape: ShapeOrStrategy = None) -> st.SearchStrategy:
    """Labels Y: float64 arrays of 0.0 and 1.0."""
    return hnp.arrays(np.float64, _shape(shape), elements=st.sampled_from([0.0, 1.0]))


def broadcastable_shapes(num_shapes: int = 2, max_dims: int = MAX_DIMS,
                         max_side: int = MAX_SIDE,
                         rank_1_rows: bool = False) -> st.SearchStrategy:
    """Tuples of ``num_shapes`` shapes that the engine broadcasts together, such
    as ((3, 1), (3, 4)), ((), (2, 3)) or ((4,), (1, 4)): numpy's rule, less a
    rank-1 array repeated down two rows or more (((4,), (2, 1, 4))), which the
    engine refuses; ``rank_1_rows=True`` keeps those too (all of numpy's)."""
    shapes = hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=0, max_dims=max_dims, min_side=1,
        max_side=max_side).map(lambda shapes: shapes.input_shapes)
    return shapes if rank_1_rows else shapes.filter(lambda s: not repeats_rank_1_rows(*s))


def repeats_rank_1_rows(*shapes: Shape) -> bool:
    """Whether broadcasting ``shapes`` repeats a rank-1 (n,), n > 1, down two
    rows or more: what the engine refuses (a bias (n,) where (n, 1) is meant)."""
    out = np.broadcast_shapes(*shapes)
    return any(len(s) == 1 and s[0] > 1 for s in shapes) and int(np.prod(out[:-1])) > 1


ArrayMaker = Callable[..., st.SearchStrategy]


@st.composite
def broadcastable_pairs(draw: Callable, first: ArrayMaker = arrays,
                        second: ArrayMaker = arrays) -> Tuple[np.ndarray, np.ndarray]:
    """Two arrays of mutually broadcastable shapes; ``first`` and ``second``
    make each one's strategy from its shape (e.g. ``second=arrays_away_from_zero``
    for a denominator)."""
    shape_x, shape_y = draw(broadcastable_shapes())
    return draw(first(shape_x)), draw(second(shape_y))


@st.composite
def axis_and_keepdims(draw: Callable, shape: Shape) -> Tuple[object, bool]:
    """``(axis, keepdims)`` for reducing an array of ``shape``: axis is None,
    one axis (possibly negative) or a tuple of distinct axes (any order, each
    possibly negative, the empty tuple included)."""
    ndim = len(shape)
    keepdims = draw(st.booleans())
    kinds = ["none", "tuple"] + (["int"] if ndim else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None, keepdims
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1)), keepdims
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen), keepdims


@st.composite
def arrays_with_axis(draw: Callable, elements: ArrayMaker = arrays
                     ) -> Tuple[np.ndarray, object, bool]:
    """``(array, axis, keepdims)``: an array and a valid reduction over it."""
    shape = draw(small_shapes())
    axis, keepdims = draw(axis_and_keepdims(shape))
    return draw(elements(shape)), axis, keepdims


@st.composite
def permutations_of_axes(draw: Callable, ndim: int) -> Tuple[int, ...]:
    """A permutation of ``range(ndim)`` for transpose, each axis possibly
    written as its negative alias (-1 for the last)."""
    order = draw(st.permutations(range(ndim)))
    return tuple(a - ndim if draw(st.booleans()) else a for a in order)


@st.composite
def reshape_targets(draw: Callable, shape: Shape) -> Tuple[int, ...]:
    """A new shape with as many entries as ``shape``: its prime factors
    regrouped into up to 3 sides, with 1s sprinkled in and possibly one -1."""
    size = int(np.prod(shape))
    factors, n, p = [], size, 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    factors = draw(st.permutations(factors))
    n_sides = draw(st.integers(1 if factors else 0, 3))
    sides = [1] * n_sides
    for f in factors:
        sides[draw(st.integers(0, n_sides - 1))] *= f
    for _ in range(draw(st.integers(0, 1))):
        sides.insert(draw(st.integers(0, len(sides))), 1)
    if sides and draw(st.booleans()):
        sides[draw(st.integers(0, len(sides) - 1))] = -1
    return tuple(sides)


MATMUL_KINDS = ("matrix @ matrix", "matrix @ vector", "vector @ matrix", "vector @ vector")


@st.composite
def matmul_pairs(draw: Callable, kinds: Sequence[str] = MATMUL_KINDS,
                 max_side: int = MAX_SIDE) -> Tuple[np.ndarray, np.ndarray]:
    """``(A, B)`` with ``A @ B`` defined: (n, k) @ (k, m), (n, k) @ (k,),
    (k,) @ (k, m) or (k,) @ (k,); every side in 1..max_side, so n = 1 and
    m = 1 (a row times a column) come up."""
    kind = draw(st.sampled_from(kinds))
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    left = (n, k) if kind.startswith("matrix") else (k,)
    right = (k, m) if kind.endswith("matrix") else (k,)
    return draw(arrays(left)), draw(arrays(right))


@st.composite
def linear_triples(draw: Callable, max_side: int = MAX_SIDE
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(W, A, b)`` for ``mg.linear``: W (n, k), A (k, m), b of a shape that
    broadcasts to (n, m) without growing it: the bias column (n, 1) most often,
    else (1, m), (n, m), (1, 1), a 0-d or (1,) number, or (m,) where n = 1 (a
    row). Every side in 1..max_side: n = 1, m = 1 and k = 1 (W A an outer
    product) come up."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    shapes = [(n, 1), (n, 1), (1, m), (n, m), (1, 1), (), (1,)] + ([(m,)] if n == 1 else [])
    return draw(arrays((n, k))), draw(arrays((k, m))), draw(arrays(draw(st.sampled_from(shapes))))


def assert_grads_match_numerical(f: Callable[..., mg.Tensor], inputs: Sequence[np.ndarray],
                                 eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-6,
                                 allow_unused: bool = False,
                                 weights: Optional[np.ndarray] = None) -> None:
    """Check autograd against central differences for ``f(*tensors)``.

    Each array in ``inputs`` becomes a leaf with ``requires_grad=True``. The
    output is reduced to the scalar ``sum(f(...) * R)`` with a fixed random
    weighting R (standard normal, seed 0, or ``weights``), so every entry of
    every input's gradient matters. Autograd gets R as the seed of
    ``backward``; the numerical side sums in numpy, so neither relies on the
    ops under test to form the scalar. With ``allow_unused``, an input the
    output does not depend on must get no gradient and a numerical zero.
    """
    leaves = [mg.tensor(np.array(a, dtype=np.float64), requires_grad=True, name=f"x{i}")
              for i, a in enumerate(inputs)]
    out = f(*leaves)
    assert isinstance(out, mg.Tensor), f"f returned {type(out).__name__}, not a Tensor"
    R = np.random.RandomState(0).standard_normal(out.shape) if weights is None else weights
    out.backward(R)
    numeric = mg.numerical_grad(lambda *ts: float(np.sum(f(*ts).data * R)), leaves, eps=eps)
    for leaf, expected in zip(leaves, numeric):
        if leaf.grad is None:
            assert allow_unused, f"{leaf.name} {leaf.shape} got no gradient"
            assert not expected.any(), (f"{leaf.name} got no gradient, but the numerical "
                                        f"one is {expected}")
            continue
        assert leaf.grad.shape == leaf.shape, (
            f"gradient of {leaf.name} has shape {leaf.grad.shape}, its data {leaf.shape}")
        np.testing.assert_allclose(
            leaf.grad, expected, rtol=rtol, atol=atol,
            err_msg=f"gradient of {leaf.name} {leaf.shape}: autograd vs numerical; "
                    f"inputs {[a.tolist() for a in inputs]}")


# --- random programs of ops -------------------------------------------------------
# Each step keeps values bounded (a tanh or a 1 + b² where a product or a
# quotient could blow up), so central differences stay accurate.
UNARY_STEPS = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "gaussian": lambda a: (-(a * a)).exp(),
    "log(1 + a²)": lambda a: (1 + a ** 2).log(),
    "sqrt(a² + 1)": lambda a: (a ** 2 + 1) ** 0.5,
    "identity": mg.identity,
    "half": lambda a: 0.5 * a,
    "2 - a": lambda a: 2 - a,
    "sum over last axis, keepdims": lambda a: a.sum(axis=tuple(range(a.ndim))[-1:], keepdims=True),
    "mean over first axis, keepdims": lambda a: a.mean(axis=tuple(range(a.ndim))[:1],
                                                       keepdims=True),
}
BINARY_STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b.tanh(),
    "div": lambda a, b: a / (1 + b * b),
}


@st.composite
def programs(draw: Callable) -> list:
    """A list of steps ``(op name, i, j)``: apply the op to values i (and j)
    of the stack [x, y, results so far]; indices are taken modulo its length."""
    n_steps = draw(st.integers(1, 6))
    steps = []
    for _ in range(n_steps):
        name = draw(st.sampled_from(sorted(UNARY_STEPS) + sorted(BINARY_STEPS)))
        steps.append((name, draw(st.integers(0, 7)), draw(st.integers(0, 7))))
    return steps


def program_values(program: list, x, y) -> list:
    """Every value a program makes: [x, y, the result of each step]."""
    values = [x, y]
    for name, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(UNARY_STEPS[name](a) if name in UNARY_STEPS else BINARY_STEPS[name](a, b))
    return values


def run_program(program: list, x, y):
    """The program's result (its last value)."""
    return program_values(program, x, y)[-1]


# --- nets: networks and labelled data ------------------------------------------
from hypothesis import strategies as _st  # noqa: E402

from nets import activations as _activations  # noqa: E402
from nets.init import SCALE_DEFAULTS  # noqa: E402
from nets.testing import datasets  # noqa: E402  (the one strategy for X, Y)

# every activation, from the one registry
ACTIVATION_NAMES = list(_activations.NAMES)


def labelled_data(n_x: int, max_m: int = 8) -> st.SearchStrategy:
    """X (n_x, m) in [-2, 2] and Y (1, m) of 0/1, m from 1 (the edge case the
    notes' 1/m formulas must survive) to ``max_m``: ``nets.testing.datasets``."""
    return datasets(n_x, max_m=max_m)


def activations_with_params() -> st.SearchStrategy:
    """Every registered activation, each with parameters drawn for it (leaky
    ReLU's α in [0, 1], 0 and 1 included), as ``Activation`` objects."""
    def with_params(name: str) -> st.SearchStrategy:
        act = _activations.ACTIVATIONS[name]
        drawn = {k: _st.floats(0.0, 1.0, allow_subnormal=False) for k, _ in act.params}
        return _st.fixed_dictionaries(drawn).map(lambda kw: act.with_params(**kw))
    return _st.sampled_from(ACTIVATION_NAMES).flatmap(with_params)


@_st.composite
def two_layer_nets(draw, activations=None):
    """A TwoLayerNet of random sizes, hidden activation (by default any, with
    drawn parameters: ``activations_with_params``), initialiser, scale and seed."""
    from nets import TwoLayerNet
    hidden = activations_with_params() if activations is None else \
        _st.sampled_from(list(activations))
    init = draw(_st.sampled_from(["random", "xavier", "he", "constant"]))
    # xavier and he refuse a scale: they set their own
    scale = draw(_st.sampled_from([0.01, 0.3, 1.0, 2.0])) if init in SCALE_DEFAULTS else None
    return TwoLayerNet(n_x=draw(_st.integers(1, 4)), n_h=draw(_st.integers(1, 6)),
                       activation=draw(hidden), init=init, scale=scale,
                       seed=draw(_st.integers(0, 1000)))


@_st.composite
def course_start_cases(draw):
    """(net, X, Y): the course's untrained net, tanh at its 0.01 init (Z[1] small,
    where g′ slips are off by about as little as float32's rounding), n_x = 2,
    n_h and seed drawn, on the flower data of a drawn m (2 to 400) and seed."""
    from nets import TwoLayerNet, data
    m = draw(_st.sampled_from([2, 5, 10, 50, 400]))
    X, Y = data.flower(m=m, seed=draw(_st.integers(0, 1000)))
    return TwoLayerNet(2, draw(_st.integers(1, 6)), "tanh", seed=draw(_st.integers(0, 1000))), X, Y


# Hidden activations whose slope jumps at 0.
KINKED = ("relu", "leaky_relu")


def at_a_kink(net, X: np.ndarray) -> bool:
    """Whether some entry of Z[1] = W[1] X + b[1] is 0 up to the rounding of its
    sum (and not an exact 0 of zero terms, which every row computes alike). At a
    kink (``KINKED``) one ulp picks the slope, so rows or nets that start one ulp
    apart (X = [1, -1] with equal weights) part for real: a property that holds
    up to round-off needs trajectories that stay off it."""
    W1, b1 = net.params["W[1]"], net.params["b[1]"]
    size = np.abs(W1) @ np.abs(X) + np.abs(b1)
    return bool(np.any((np.abs(W1 @ X + b1) <= 1e-9 * size) & (size > 0)))


def fit_watching_kinks(net, X: np.ndarray, Y: np.ndarray, **fit_args) -> Tuple[list, bool]:
    """``net.fit(X, Y, **fit_args)``'s costs, and whether Z[1] was at a kink
    (``at_a_kink``) before it or after any update."""
    costs, sides = fit_watching_sides(net, X, Y, **fit_args)
    return costs, any(kinked for kinked, _ in sides)


def fit_watching_sides(net, X: np.ndarray, Y: np.ndarray,
                       **fit_args) -> Tuple[list, List[Tuple[bool, np.ndarray]]]:
    """``net.fit(X, Y, **fit_args)``'s costs, and before each step (and after
    the last): whether Z[1] is at a kink (``at_a_kink``), and the side of 0
    each entry of Z[1] is on (``Z[1] > 0``)."""
    def sides() -> Tuple[bool, np.ndarray]:
        Z1 = net.params["W[1]"] @ X + net.params["b[1]"]
        return at_a_kink(net, X), Z1 > 0
    seen = [sides()]
    costs = net.fit(X, Y, callback=lambda i, cost: seen.append(sides()), **fit_args)
    return costs, seen


def first_split(a: List[Tuple[bool, np.ndarray]], b: List[Tuple[bool, np.ndarray]]) -> int:
    """The first step at which two nets' Z[1] (``fit_watching_sides``) may take
    relu's slopes apart: either is at a kink, or an entry is on another side of
    0 in each (a bias that rounding left at 0 in one and at 1e-18 in the other,
    under a column of X that is 0). Their costs agree up to it, included (relu
    is continuous); from the next step their gradients may part for real.
    ``len(a)`` when they never split."""
    for i, ((kink_a, side_a), (kink_b, side_b)) in enumerate(zip(a, b)):
        if kink_a or kink_b or not np.array_equal(side_a, side_b):
            return i
    return len(a)


# --- viz: tensor names as users write them, and worse ----------------------------
# Characters that break DOT or HTML-like labels when not escaped, plus control
# characters and a lone surrogate (which cannot even be encoded as UTF-8).
_MARKUP = '<>&|{}"\'[]\\;=-:#%'


def tensor_names() -> st.SearchStrategy:
    """Names a user might give a tensor: any text, rich in markup characters."""
    character = st.one_of(st.sampled_from(_MARKUP), st.characters(),
                          st.sampled_from(["\x00", "\n", "\t", "\ud800", "\u200b", "\u2028"]))
    return st.text(character, min_size=1, max_size=12)


def layered_names() -> st.SearchStrategy:
    """Names holding a layer index, such as ``W[1]``, ``dZ[12]ᵀ`` or ``<&[0]``."""
    return st.builds(lambda before, layer, after: f"{before}[{layer}]{after}",
                     st.sampled_from(["W", "b", "Z", "A", "dZ", "<&", ""]),
                     st.integers(0, 12), tensor_names() | st.just(""))


def long_names() -> st.SearchStrategy:
    """Names of 1 to 300 characters, mostly longer than a line: words (W, 权重),
    single and double spaces, layer indices ([12]), any characters; what a
    picture has to cut into lines."""
    word = st.text(st.sampled_from("aW权-"), min_size=1, max_size=14)
    piece = st.one_of(word, st.sampled_from([" ", "  "]),
                      st.integers(0, 120).map(lambda layer: f"[{layer}]"),
                      st.text(st.characters(), max_size=3))
    return st.lists(piece, min_size=4, max_size=40).map("".join).filter(lambda n: 0 < len(n))


# --- text tables: cells as a terminal shows them ---------------------------------
def terminal_cells(max_size: int = 6) -> st.SearchStrategy:
    """Table cells mixing one-cell characters (ASCII) and two-cell ones (汉字,
    fullwidth ｗ): no spaces and no combining marks, so each character takes
    one or two terminal cells, and a cell may be empty."""
    return st.text(st.sampled_from("aZ0.-[]()权重梯度ｗ＋"), max_size=max_size)


# --- steps: random computation graphs --------------------------------------------
_UNARY = ("neg", "tanh", "sigmoid", "relu", "leaky_relu", "identity", "square",
          "sum_rows", "mean_columns", "transpose_twice")
_BINARY = ("add", "sub", "mul", "matmul", "linear")


@st.composite
def computation_graphs(draw: Callable, max_ops: int = 8) -> Callable[[], mg.Tensor]:
    """A random graph of minigrad ops, as a function that builds it afresh and
    returns its scalar root. Leaves are (n, m), (n, 1), (1, m) or 0-d arrays, some
    requiring grad (at least one), plus a square W (n, n); each op takes any
    earlier node, so nodes get several consumers and gradients accumulate, and
    broadcasting is undone (b (n, 1) across m columns). Values stay bounded."""
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    shapes = [(n, m), (n, 1), (1, m), ()]
    leaves = [(draw(arrays(draw(st.sampled_from(shapes)))), draw(st.booleans()))
              for _ in range(draw(st.integers(1, 3)))]
    leaves[0] = (draw(arrays((n, m))), True)
    square = (draw(arrays((n, n), -1.0, 1.0)), draw(st.booleans()))
    node_shapes = [a.shape for a, _ in leaves] + [(n, n)]
    recipe = []
    for _ in range(draw(st.integers(1, max_ops))):
        candidates = [i for i, s in enumerate(node_shapes) if len(s) == 2 and s[0] == n]
        kind = draw(st.sampled_from(_UNARY + _BINARY))
        if kind in ("matmul", "linear"):
            args = (len(leaves), draw(st.sampled_from(candidates)))
            shape = (n, node_shapes[args[1]][1])
            if kind == "linear":   # W a + any earlier node that broadcasts to (n, columns)
                biases = [i for i, s in enumerate(node_shapes) if s == () or (
                    len(s) == 2 and s[0] in (1, n) and s[1] in (1, shape[1]))]
                args += (draw(st.sampled_from(biases)),)
        elif kind in _BINARY:
            args = tuple(draw(st.integers(0, len(node_shapes) - 1)) for _ in range(2))
            a, b = (node_shapes[i] for i in args)
            try:
                shape = np.broadcast_shapes(a, b)
            except ValueError:   # (n, n) against (n, m): use the first operand twice
                args, shape = (args[0], args[0]), a
        else:
            args = (draw(st.integers(0, len(node_shapes) - 1)),)
            shape = node_shapes[args[0]]
            if kind == "sum_rows" and len(shape) == 2:
                shape = (shape[0], 1)
            elif kind == "mean_columns" and len(shape) == 2:
                shape = (1, shape[1])
        recipe.append((kind, args))
        node_shapes.append(shape)

    def build() -> mg.Tensor:
        nodes = [mg.tensor(a, requires_grad=rg) for a, rg in leaves]
        nodes.append(mg.tensor(square[0], requires_grad=square[1], name="W"))
        for kind, args in recipe:
            x = nodes[args[0]]
            y = nodes[args[1 if len(args) > 1 else 0]]
            nodes.append({
                "neg": lambda: -x, "tanh": lambda: x.tanh(), "sigmoid": lambda: x.sigmoid(),
                "relu": lambda: x.relu(), "leaky_relu": lambda: x.leaky_relu(0.2),
                "identity": lambda: mg.identity(x), "square": lambda: x ** 2,
                "sum_rows": lambda: x.sum(axis=-1, keepdims=True) if x.ndim == 2 else x.sum(),
                "mean_columns": lambda: x.mean(axis=0, keepdims=True) if x.ndim == 2 else x.mean(),
                "transpose_twice": lambda: x.T.T,
                "add": lambda: x + y, "sub": lambda: x - y, "mul": lambda: x * y,
                "matmul": lambda: x @ y,
                "linear": lambda: mg.linear(x, y, nodes[args[-1]])}[kind]())
        # every node feeds the root, so that each one's gradient counts
        root = nodes[0].sum()
        for node in nodes[1:]:
            root = root + node.sum()
        return root
    return build


# --- printed text: what the command line writes to a stream -----------------------
def printed_text(max_size: int = 12) -> st.SearchStrategy:
    """Text as minigrad prints it: ASCII, the notes' symbols (Ŷ, ᵀ, σ, ‖, ², ∂,
    a combining tilde), runs of super- and subscripts, Chinese (a path, a name),
    and any other character, lone surrogates included (undecodable bytes in argv)."""
    from nets.cli import ASCII_SPELLINGS

    notes = "".join(ASCII_SPELLINGS) + "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺₀₁₂₃₄₅₆₇₈₉"
    character = st.one_of(st.sampled_from("aZ0 .-[]()|/\\:'"), st.sampled_from(notes),
                          st.sampled_from("作业目录权重梯度ｗ"), st.characters(),
                          st.sampled_from(["\udc80", "\udcff", "\ud800"]))
    return st.text(character, max_size=max_size)


# --- one op of a tape (mg.record) at any float, for the replay's bit-for-bit test --------
REPLAYED_EXPONENTS = (2, 3, 0.5, -1, 0, 1, -2, 2.5, 1 / 3, -0.5)


@st.composite
def replayed_op_cases(draw: Callable, name: str) -> Tuple[Callable[..., mg.Tensor],
                                                          List[np.ndarray], List[np.ndarray]]:
    """``(build, first, second)`` for the op ``name`` of ``minigrad.replay_kernels.OPS``:
    ``build(*leaves)`` makes a one-element root through that op (with the
    parameters it takes drawn: an exponent, alpha, axes, a shape), and two
    sets of leaf values to record at and to replay at. Values are any float64
    (NaN, ±inf, subnormal, huge), as the op's input domain allows: labels 0
    and 1, probabilities in [0, 1] (0 and 1 included)."""
    def two(shapes: Sequence[Shape], elements: ArrayMaker = every_float_arrays) -> List[list]:
        return [[draw(elements(s)) for s in shapes] for _ in range(2)]

    def summed(op: Callable[..., mg.Tensor]) -> Callable[..., mg.Tensor]:
        return lambda *leaves: op(*leaves).sum()
    unary = {"neg": lambda x: -x, "tanh": mg.tanh, "exp": mg.exp, "log": mg.log,
             "sigmoid": mg.sigmoid, "relu": mg.relu, "identity": mg.identity}
    if name in unary or name in ("pow", "leaky_relu"):
        shape = draw(small_shapes())
        if name == "pow":
            p = draw(st.sampled_from(REPLAYED_EXPONENTS))
            op = lambda x: x ** p   # noqa: E731
        elif name == "leaky_relu":
            alpha = draw(st.sampled_from([0.0, 0.01, 0.2, 1.0, 3.0]))
            op = lambda x: mg.leaky_relu(x, alpha)   # noqa: E731
        else:
            op = unary[name]
        return (summed(op), *two([shape]))
    if name in ("add", "sub", "mul", "div"):
        shapes = draw(broadcastable_shapes())
        op = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
              "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[name]
        return (summed(op), *two(shapes))
    if name == "matmul":
        n, k, m = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
        return (summed(lambda a, b: a @ b), *two([(n, k), (k, m)]))
    if name == "linear":
        w, a, b = draw(linear_triples())
        return (summed(mg.linear), *two([w.shape, a.shape, b.shape]))
    if name == "transpose":
        shape = draw(small_shapes(min_dims=1))
        axes = draw(st.none() | permutations_of_axes(len(shape)))
        return (summed(lambda x: x.transpose(axes) * 1.0), *two([shape]))
    if name == "reshape":
        shape = draw(small_shapes())
        target = draw(reshape_targets(shape))
        return (summed(lambda x: x.reshape(target) * 1.0), *two([shape]))
    if name in ("sum", "mean"):
        shape = draw(small_shapes())
        axis, keepdims = draw(axis_and_keepdims(shape))
        reduce = (lambda x: x.sum(axis=axis, keepdims=keepdims)) if name == "sum" else \
            (lambda x: x.mean(axis=axis, keepdims=keepdims))
        return (summed(lambda x: reduce(x) * 1.0), *two([shape]))
    if name == "binary_cross_entropy_with_logits":
        shape = (draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE)))
        (z1,), (z2,) = two([shape])
        return (mg.binary_cross_entropy_with_logits, [z1, draw(labels(shape))],
                [z2, draw(labels(shape))])
    if name == "binary_cross_entropy":
        shape = (draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE)))
        probability = lambda s: hnp.arrays(   # noqa: E731
            np.float64, s, elements=st.floats(0.0, 1.0, width=64))
        (a1,), (a2,) = two([shape], probability)
        return (mg.binary_cross_entropy, [a1, draw(labels(shape))], [a2, draw(labels(shape))])
    raise ValueError(f"replayed_op_cases: no case for op {name!r}")


# --- steps: graphs as the notes' (the root a cross-entropy of a (1, m) row) -----------
# Every op of minigrad/ops.py and functional.py on (n, m) nodes, each kind making one
# or a few nodes; gradients meet where an op takes a node twice or an earlier one.
NOTES_KINDS = ("neg", "tanh", "sigmoid", "relu", "leaky_relu", "identity", "exp", "log",
               "square", "cube", "sqrt", "div", "add", "sub", "mul", "same_mul", "matmul",
               "transposes", "reshape", "sum_rows", "sum_all", "mean_columns", "mean_all",
               "scale", "constants", "bias", "bias_tanh", "bias_relu", "bias_square",
               "weight_sigmoid", "linear")
# Names users give their nodes: the notes', the course code's, and unusual ones
# (Chinese, a space, an operator sign): {k} makes each one unique in its graph.
_NOTES_NAMES = (None, None, "Z[{k}]", "A[{k}]", "H{k}", "权重{k}", "h {k}", "h+{k}",
                "Z{k}", "中间 {k}")


def notes_op(kind: str, a: mg.Tensor, b: mg.Tensor, W: mg.Tensor, bias: mg.Tensor,
             c: mg.Tensor, alpha: float = 0.2) -> mg.Tensor:
    """One of ``NOTES_KINDS`` on (n, m) nodes a and b: an (n, m) node. W is (n, n),
    bias (n, 1), c a 0-d tensor; alpha is leaky ReLU's."""
    n, m = a.shape
    return {
        "neg": lambda: -a, "tanh": lambda: a.tanh(), "sigmoid": lambda: a.sigmoid(),
        "relu": lambda: a.relu(), "leaky_relu": lambda: a.leaky_relu(alpha),
        "identity": lambda: mg.identity(a), "exp": lambda: a.tanh().exp(),
        "log": lambda: (a * a + 1.0).log(), "square": lambda: a.tanh() ** 2,
        "cube": lambda: a.tanh() ** 3, "sqrt": lambda: (a * a + 1.0) ** 0.5,
        "div": lambda: a / (b * b + 1.0), "add": lambda: a + b, "sub": lambda: a - b,
        "mul": lambda: a.tanh() * b.tanh(), "same_mul": lambda: a.tanh() * a.tanh(),
        "matmul": lambda: W @ a.tanh(), "transposes": lambda: (a.T @ W.T).T,
        "reshape": lambda: a.reshape(n * m).reshape(n, m),
        "sum_rows": lambda: a + a.tanh().sum(axis=0, keepdims=True),
        "sum_all": lambda: a * a.tanh().sum(),
        "mean_columns": lambda: a - a.mean(axis=1, keepdims=True),
        "mean_all": lambda: a.tanh() + a.mean(), "scale": lambda: a * c,
        "constants": lambda: 0.5 - a / 2.0 + 1.0, "bias": lambda: a + bias,
        # a parameter straight into an op: db[3] = (1/m) … on every side of "="
        "bias_tanh": lambda: a + bias.tanh(), "bias_relu": lambda: a * bias.relu(),
        "bias_square": lambda: a - bias ** 2,
        "weight_sigmoid": lambda: W.sigmoid() @ a.tanh(),
        "linear": lambda: mg.linear(W, a.tanh(), bias)}[kind]()


@st.composite
def notes_graphs(draw: Callable, max_ops: int = 6) -> Callable[[], mg.Tensor]:
    """A graph the notes' convention applies to: X (n_x, m), Y (1, m), W[1], b[1]
    (or the course code's W1, b1), Z = W[1] X + b[1], then up to ``max_ops`` random
    ops on (n, m) nodes (every op of the engine, some taking a node twice, some
    named, some not, some named unusually), then W[2] h + b[2] (1, m) into
    binary_cross_entropy_with_logits, or σ of it into binary_cross_entropy. m = 1
    and n_x = 1 are drawn as often as the rest. Returns a function that builds
    the graph afresh and returns J. Values stay bounded, and the probabilities
    stay inside the cross-entropy's clip."""
    m, n_x, n = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    course = draw(st.booleans())
    x, y = draw(arrays((n_x, m), -2.0, 2.0)), draw(labels((1, m)))
    w1, b1 = draw(arrays((n, n_x), -1.0, 1.0)), draw(arrays((n, 1), -1.0, 1.0))
    w2, b2 = draw(arrays((1, n), -1.0, 1.0)), draw(arrays((1, 1), -1.0, 1.0))
    square, bias = draw(arrays((n, n), -1.0, 1.0)), draw(arrays((n, 1), -1.0, 1.0))
    c = draw(finite_floats(0.25, 2.0))
    c_named, x_grad, y_grad = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    names = [draw(st.sampled_from(_NOTES_NAMES))]
    recipe = []
    for k in range(draw(st.integers(0, max_ops))):
        kind = draw(st.sampled_from(NOTES_KINDS))
        args = (draw(st.integers(0, k)), draw(st.integers(0, k)))
        recipe.append((kind, args, draw(st.sampled_from([0.0, 0.01, 0.2]))))
        names.append(draw(st.sampled_from(_NOTES_NAMES)))
    last = draw(st.integers(0, len(recipe)))
    logits = draw(st.booleans())
    fused = (draw(st.booleans()), draw(st.booleans()))
    out_name = draw(st.sampled_from([None, "Z[9]", "Z9", "logit"]))

    def named(t: mg.Tensor, name: Optional[str], k: int) -> mg.Tensor:
        return t if name is None else t.named(name.format(k=k))

    def build() -> mg.Tensor:
        p = (lambda name, a: mg.tensor(a, requires_grad=True, name=name))
        W1, b1_ = p("W1" if course else "W[1]", w1), p("b1" if course else "b[1]", b1)
        W2, b2_ = p("W2" if course else "W[2]", w2), p("b2" if course else "b[2]", b2)
        W3, b3 = p("W[3]", square), p("b[3]", bias)
        C = mg.tensor(c, requires_grad=True, name="c" if c_named else None)
        X = mg.tensor(x, requires_grad=x_grad, name="X")
        Y = mg.tensor(y, requires_grad=y_grad, name="Y")
        # Z = W X + b as the notes draw it, or one node (mg.linear, fit's own graph)
        nodes = [named(mg.linear(W1, X, b1_) if fused[0] else W1 @ X + b1_, names[0], 0)]
        for k, (kind, (i, j), alpha) in enumerate(recipe, start=1):
            a, b = nodes[i], nodes[j]
            made = notes_op(kind, a, b, W3, b3, C, alpha)
            nodes.append(named(made, names[k], k))
        Z = mg.linear(W2, nodes[last].tanh(), b2_) if fused[1] else W2 @ nodes[last].tanh() + b2_
        Z = Z if out_name is None else Z.named(out_name)
        if logits:
            return mg.binary_cross_entropy_with_logits(Z, Y).named("J")
        return mg.binary_cross_entropy(Z.sigmoid().named("A[9]" if out_name == "Z[9]"
                                                         else None), Y).named("J")
    return build


# --- gradcheck: saturated logits, and slips at ordinary points ---------------------
@st.composite
def saturated_logits_cases(draw: Callable) -> Tuple[Callable[..., mg.Tensor], dict]:
    """(J, params): a logistic regression, or a tanh layer under one, whose every
    logit Z has |Z| >= 25 (up to about 300) on the side of its label Y (confident
    and right: σ(Z) - Y is tiny, computed from numbers near 1), as the course's
    nets become on separable data. J(*params.values()) is binary_cross_entropy_with_logits.
    X in [-1, 1] (a tanh layer's A[1] too), so the bias b sets |Z| and the weights
    w (the last layer's, in [-3, 3]) move it by at most Σ |w|."""
    n_x, m = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    x = draw(arrays((n_x, m), -1.0, 1.0))
    params = {}
    if draw(st.booleans()):   # a tanh layer, saturated or not (weights up to 20)
        n_h = draw(st.integers(1, 3))
        params["W[1]"] = draw(arrays((n_h, n_x), -20.0, 20.0))
        params["b[1]"] = draw(arrays((n_h, 1), -20.0, 20.0))
    n_in = params["W[1]"].shape[0] if params else n_x
    w = draw(arrays((1, n_in), -3.0, 3.0))
    reach = float(np.abs(w).sum())
    b = np.array([[draw(finite_floats(25.0 + reach, 300.0))]]) * draw(st.sampled_from([1.0, -1.0]))
    params.update({"W": w, "b": b})

    a = np.tanh(params["W[1]"] @ x + params["b[1]"]) if "W[1]" in params else x
    y = ((params["W"] @ a + params["b"]) > 0).astype(float)   # each label on its logit's side

    # Z = W A + b as two ops, or as one (mg.linear, as fit's graph makes it)
    layer = mg.linear if draw(st.booleans()) else (lambda W, A, b: W @ A + b)

    def J(*tensors: mg.Tensor) -> mg.Tensor:
        p = dict(zip(params, tensors))
        a = mg.tanh(layer(p["W[1]"], x, p["b[1]"])) if "W[1]" in p else x
        return mg.binary_cross_entropy_with_logits(layer(p["W"], a, p["b"]), y)
    return J, params


# slips of a learner's formula: doubled, halved, a 1/m too many, the wrong sign
SLIP_FACTORS = ("2", "1/2", "1/m", "-1")


@st.composite
def ordinary_net_cases(draw: Callable) -> Tuple[np.ndarray, np.ndarray, dict]:
    """(X, Y, params) of a two-layer net at an ordinary point: values drawn from
    a seeded RandomState (normal, scale 1: logits of order 1, no saturation, no
    gradient that cancels by chance), n_x in 1..3, n_h in 1..4, m in 2..8."""
    rng = np.random.RandomState(draw(st.integers(0, 2 ** 31 - 1)))
    n_x, n_h, m = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(2, 8))
    X, Y = rng.randn(n_x, m), rng.randint(0, 2, (1, m)).astype(float)
    params = {"W[1]": rng.randn(n_h, n_x), "b[1]": rng.randn(n_h, 1),
              "W[2]": rng.randn(1, n_h), "b[2]": rng.randn(1, 1)}
    return X, Y, params


@st.composite
def cancelling_linear_cases(draw: Callable) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(W, A, b)`` of a layer whose W A is large (one column of W from 1e3 to
    1e9, the rest and A in [0.5, 1.5], A one sample) and whose b takes nearly all
    of it back: Z = W A + b in [-1, 1], so tanh(Z) is not saturated. Right
    gradients of W here miss the course's threshold by the round-off of W A
    (f(W ± ε) rounds to u |W A|, which 2ε divides), not of Z."""
    n, k = draw(st.integers(1, 2)), draw(st.integers(2, 4))
    W = draw(arrays((n, k), 0.5, 1.5))
    W[:, 0] = 10.0 ** draw(finite_floats(3.0, 9.0))
    A = draw(arrays((k, 1), 0.5, 1.5))
    b = draw(arrays((n, 1), -1.0, 1.0)) - W @ A
    return W, A, b


@st.composite
def cancelling_product_cases(draw: Callable) -> Tuple[np.ndarray, np.ndarray]:
    """``(W, A)`` whose product cancels inside: A's first and last rows are 10^p and
    -10^p (p from 3 to 9), W's first and last columns equal, the rest in
    [0.5, 1.5], so each entry of W A is a few units made of terms of 10^p, and a
    sum in the order of k passes through 10^p. A right gradient of A's middle
    misses the course's threshold here by the rounding at that size (f(A ± ε) is
    known to u 10^p, which 2ε divides), not at W A's own; f does not curve fast
    along A (its slopes are W's, near 1)."""
    n, k, m = draw(st.integers(1, 2)), draw(st.integers(3, 4)), draw(st.integers(1, 2))
    W = draw(arrays((n, k), 0.5, 1.5))
    W[:, -1] = W[:, 0]
    A = draw(arrays((k, m), 0.5, 1.5))
    A[0] = 10.0 ** draw(finite_floats(3.0, 9.0))
    A[-1] = -A[0]
    return W, A


@st.composite
def cancelling_first_layers(draw: Callable) -> Tuple[dict, np.ndarray, np.ndarray]:
    """``(params, X, Y)`` of a two-layer net with one hidden unit whose Z[1] on X = 1
    is a sum of tenths that is 0 in the reals (0.1 + 0.1 - 0.6 + 0.4): in float64
    often a rounding (5.6e-17), whose size and sign the order of the sum decides."""
    n_x = draw(st.integers(2, 4))
    tenths = [draw(st.sampled_from([k for k in range(-7, 8) if k])) for _ in range(n_x)]
    params = {"W[1]": np.array([tenths]) / 10, "b[1]": np.array([[-sum(tenths) / 10]]),
              "W[2]": np.array([[draw(st.sampled_from([-1.0, -0.5, 0.5, 1.0]))]]),
              "b[2]": np.array([[draw(st.sampled_from([0.0, 0.1, -0.3]))]])}
    m = draw(st.integers(1, 2))
    return params, np.ones((n_x, m)), np.array([[float(draw(st.booleans())) for _ in range(m)]])
