"""The engine's optimised paths give the numbers of the plain code they replace.

Each fast path (benchmarks/README.md lists them with what they bought) is
checked against a reference written the plain way, in numpy, for
hypothesis-generated shapes and values: the backward pass's heap order against
a textbook reverse sweep over ``topological_order``, the pure-Python broadcast
check against ``np.broadcast_shapes``, ``np.add.reduce`` against ``.sum``, the
cross-entropy's shortcuts against its textbook formulas, and the whole
two-layer step against the notes' hand-derived backprop. Each test compares
what its fast path itself produces (a gradient, not a value computed without
it), so breaking a fast path fails a test here. Replacing one by the plain code
it stands for gives the same numbers by design: only the benchmark sees that.
No timing here.
"""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import ops
from minigrad.functional import PROBABILITY_CLIP, CheckedLabels
from minigrad.tensor import _unbroadcast, _unbroadcast_axes, topological_order
from tests.strategies import arrays, broadcastable_pairs, finite_floats, labels, small_shapes


# --- references: the plain code, as it would be written without a care for speed ----
def reference_backward(root, seed):
    """Reverse-mode sweep over the full depth-first topological order, keyed by
    id(), unbroadcasting with np.sum; returns {id(node): dJ/dnode}."""
    grads = {id(root): seed}
    for node in reversed(topological_order(root)):
        g = grads.get(id(node))
        if g is None or node._vjps is None:
            continue
        for parent, vjp in zip(node.parents, node._vjps):
            if not parent.requires_grad:
                continue
            pg = np.asarray(vjp(g))
            extra = pg.ndim - parent.ndim
            pg = np.sum(pg, axis=tuple(range(extra))) if extra else pg
            axes = tuple(i for i, n in enumerate(parent.shape) if n == 1 and pg.shape[i] != 1)
            pg = np.sum(pg, axis=axes, keepdims=True) if axes else pg
            grads[id(parent)] = grads[id(parent)] + pg if id(parent) in grads else pg
    return grads


def reference_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def reference_sigmoid_slope(z):
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def count_vjp_calls(nodes):
    """Wrap each VJP of ``nodes``; returns {(id(node), input index): calls}."""
    calls = {}

    def counted(key, vjp):
        def wrapper(g):
            calls[key] += 1
            return vjp(g)
        return wrapper

    for node in {id(t): t for t in nodes}.values():
        if node._vjps is not None:
            for i, vjp in enumerate(node._vjps):
                calls[(id(node), i)] = 0
            node._vjps = tuple(counted((id(node), i), vjp) for i, vjp in enumerate(node._vjps))
    return calls


# --- random graphs with shared nodes: the heap order against the textbook sweep -----
STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b.tanh(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "column sum": lambda a, b: a.sum(axis=-1, keepdims=True) if a.ndim else a,
}


@st.composite
def graphs(draw):
    """A program over the stack [x, y, c (a constant), results...]; operands are
    drawn by index, so nodes get reused (diamonds, a node feeding many)."""
    steps = [(draw(st.sampled_from(sorted(STEPS))), draw(st.integers(0, 20)),
              draw(st.integers(0, 20))) for _ in range(draw(st.integers(1, 10)))]
    return steps


def build(steps, x, y, c):
    values = [x, y, c]
    for name, i, j in steps:
        values.append(STEPS[name](values[i % len(values)], values[j % len(values)]))
    return values


@given(graphs(), broadcastable_pairs(), st.booleans())
def test_heap_backward_matches_the_textbook_reverse_sweep_at_every_node(steps, pair, x_grad):
    x = mg.tensor(pair[0], requires_grad=x_grad, name="x")
    y = mg.tensor(pair[1], requires_grad=True, name="y")
    c = mg.tensor(np.full(pair[1].shape, 0.5), name="c")   # a constant, as X and Y are
    values = build(steps, x, y, c)
    root = values[-1]
    assume(root.requires_grad)
    seed = np.random.RandomState(0).standard_normal(root.shape)
    expected = reference_backward(root, seed)
    calls = count_vjp_calls(values)
    root.backward(seed)
    for t in values:
        if id(t) in expected:
            assert t.grad is not None, f"{t.op or t.name} {t.shape} got no gradient"
            np.testing.assert_allclose(t.grad, expected[id(t)], rtol=1e-12, atol=1e-15,
                                       err_msg=f"{t.op or t.name} {t.shape}")
        else:   # the constant, and whatever does not depend on a requires_grad leaf
            assert t.grad is None, f"{t.op or t.name} {t.shape} got a gradient: {t.grad}"
    # The heap's promise: a node leaves it once all its gradient has arrived, so
    # each VJP runs once. (Any order gives the right sums, by linearity; a wrong
    # one sends partial gradients down twice and does the work again.)
    for (node_id, i), n in calls.items():
        node = next(t for t in values if id(t) == node_id)
        wanted = int(node_id in expected and node.parents[i].requires_grad)
        assert n == wanted, f"{node.op} {node.shape}: VJP {i} ran {n} times, not {wanted}"


@given(graphs(), broadcastable_pairs())
def test_backward_twice_accumulates_exactly_as_the_reference_does(steps, pair):
    x = mg.tensor(pair[0], requires_grad=True, name="x")
    y = mg.tensor(pair[1], requires_grad=True, name="y")
    values = build(steps, x, y, mg.tensor(np.ones(pair[1].shape)))
    root = values[-1]
    assume(root.requires_grad)
    seed = np.ones(root.shape)
    expected = reference_backward(root, seed)
    root.backward(seed)
    root.backward(seed)
    for leaf in (x, y):
        if id(leaf) in expected:
            np.testing.assert_allclose(leaf.grad, 2 * expected[id(leaf)], rtol=1e-12,
                                       atol=1e-15, err_msg=leaf.name)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_the_default_seed_is_one_of_the_roots_shape(shape):
    x = mg.tensor(np.full(shape, 3.0), requires_grad=True)
    root = x * 1.0
    root.backward()
    assert isinstance(root.grad, np.ndarray) and root.grad.shape == shape
    np.testing.assert_array_equal(root.grad, np.ones(shape))


def test_a_long_chain_is_walked_newest_first_without_recursion():
    x = mg.tensor(0.5, requires_grad=True)
    t = x
    for _ in range(20_000):
        t = t * 1.0
    t.backward()
    assert x.grad == 1.0


# --- the pieces ------------------------------------------------------------------
@given(small_shapes(), small_shapes())
def test_python_broadcast_shape_agrees_with_numpy(shape_x, shape_y):
    x, y = np.zeros(shape_x), np.zeros(shape_y)
    try:
        expected = np.broadcast_shapes(shape_x, shape_y)
    except ValueError:
        with pytest.raises(ValueError, match="do not broadcast"):
            ops._broadcast_shape(x, y)
    else:
        assert ops._broadcast_shape(x, y) == expected


@given(broadcastable_pairs())
def test_unbroadcast_with_add_reduce_is_bit_identical_to_sum(pair):
    _unbroadcast_axes.clear()   # work the axes out, not just read them back
    small, big = pair[0], np.broadcast_to(pair[0], np.broadcast_shapes(*map(np.shape, pair)))
    g = np.random.RandomState(1).standard_normal(big.shape)
    got = np.asarray(_unbroadcast(g, small.shape))
    extra = g.ndim - small.ndim
    expected = g.sum(axis=tuple(range(extra))) if extra else g
    axes = tuple(i for i, n in enumerate(small.shape) if n == 1 and expected.shape[i] != 1)
    expected = np.asarray(expected.sum(axis=axes, keepdims=True) if axes else expected)
    assert got.shape == small.shape
    np.testing.assert_array_equal(got, expected)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.data())
def test_matrix_matmul_fast_path_gives_the_textbook_gradients(n, k, m, data):
    A = data.draw(arrays((n, k)))
    B = data.draw(arrays((k, m)))
    G = data.draw(arrays((n, m)))
    a, b = mg.tensor(A, requires_grad=True), mg.tensor(B, requires_grad=True)
    out = a @ b
    np.testing.assert_array_equal(out.data, A @ B)
    out.backward(G)
    np.testing.assert_array_equal(a.grad, G @ B.T)
    np.testing.assert_array_equal(b.grad, A.T @ G)


@given(hnp.arrays(np.float64, small_shapes(), elements=st.one_of(
    finite_floats(-800, 800), st.sampled_from([0.0, -0.0, 36.9, 37.5, -745.2, 709.9]))))
def test_sigmoid_and_its_slope_match_the_plain_formulas_bit_for_bit(z):
    a, slope = ops._sigmoid_and_slope(z)
    np.testing.assert_array_equal(a, reference_sigmoid(z))
    np.testing.assert_allclose(slope, reference_sigmoid_slope(z), rtol=1e-15, atol=0)
    t = mg.tensor(z, requires_grad=True)
    s = mg.sigmoid(t)
    assert isinstance(s.data, np.ndarray)
    g = np.random.RandomState(2).standard_normal(z.shape)
    s.backward(g)
    np.testing.assert_array_equal(t.grad, g * slope)


@given(st.data())
def test_operands_that_are_numbers_or_arrays_give_what_tensors_give(data):
    x_array, y_array = data.draw(broadcastable_pairs())
    for op in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b):
        as_tensors = op(mg.tensor(x_array), mg.tensor(y_array))
        np.testing.assert_array_equal(op(mg.tensor(x_array), y_array).data, as_tensors.data)
        np.testing.assert_array_equal(op(x_array, mg.tensor(y_array)).data, as_tensors.data)
        number = float(y_array.reshape(-1)[0])
        np.testing.assert_array_equal(op(mg.tensor(x_array), number).data,
                                      op(x_array, number))


@given(broadcastable_pairs(), st.booleans(), st.booleans())
def test_an_op_needs_grad_exactly_when_an_input_does(pair, x_grad, y_grad):
    x = mg.tensor(pair[0], requires_grad=x_grad)
    y = mg.tensor(pair[1], requires_grad=y_grad)
    out = x * y
    assert out.requires_grad == (x_grad or y_grad)
    assert (out._vjps is not None) == (x_grad or y_grad)
    with mg.no_grad():
        assert (x * y).requires_grad is False and (x * y).parents == ()


# --- the cross-entropy's shortcuts ---------------------------------------------------
@st.composite
def probabilities_and_labels(draw):
    shape = draw(small_shapes(min_dims=1))
    edge = st.sampled_from([0.0, 1.0, 1e-17, 1 - 1e-16, 0.5])
    a = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.floats(0.0, 1.0, allow_subnormal=False, width=64), edge)))
    return a, draw(labels(shape))


@given(probabilities_and_labels())
def test_clipped_cross_entropy_matches_the_textbook_formulas(case):
    a, y = case
    p = np.clip(a, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    expected_loss = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
    # the clip's own slope: the formula's inside the clip, 0 where the clip acts
    expected_grad = np.where(p == a, (p - y) / (p * (1 - p)), 0.0) / a.size
    A = mg.tensor(a, requires_grad=True)   # a leaf: not a sigmoid output
    J = mg.binary_cross_entropy(A, y)
    np.testing.assert_allclose(J.item(), expected_loss, rtol=1e-13, atol=1e-16)
    J.backward()
    np.testing.assert_allclose(A.grad, expected_grad, rtol=1e-13)


@given(probabilities_and_labels())
def test_clipped_cross_entropy_gradient_for_y_matches_the_textbook(case):
    a, y = case
    p = np.clip(a, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    Y = mg.tensor(y, requires_grad=True)
    mg.binary_cross_entropy(mg.tensor(a), Y).backward()
    np.testing.assert_allclose(Y.grad, (np.log1p(-p) - np.log(p)) / a.size, rtol=1e-13)


@st.composite
def logits_and_labels(draw):
    """Logits where σ is steep, where σ(z) rounds to 0 or 1 (|z| > 37), where
    σ'(z) underflows (|z| > 745), up to |z| = 1e4; labels 0 and 1."""
    shape = draw(small_shapes(min_dims=1))
    z = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        finite_floats(-60, 60), finite_floats(-1e4, 1e4),
        st.sampled_from([0.0, 36.9, 37.5, -40.0, 700.0, -700.0, 745.2, -800.0, 1e4, -1e4]))))
    return z, draw(labels(shape))


@given(logits_and_labels(), st.booleans())
def test_cross_entropy_with_logits_matches_the_formulas_in_the_logits(case, z_grad):
    z, y = case
    m = z.size
    Z = mg.tensor(z, requires_grad=z_grad, name="Z")
    Y = mg.tensor(y, requires_grad=True)
    J = mg.binary_cross_entropy_with_logits(Z, Y)
    # J = mean(softplus(Z) - Y Z) = mean(softplus(±Z)), numpy's softplus as the reference
    np.testing.assert_allclose(J.item(), np.mean(np.logaddexp(0.0, np.where(y == 1, -z, z))),
                               rtol=1e-13, atol=1e-300)
    with mg.no_grad():   # the value never depends on the grad mode
        assert mg.binary_cross_entropy_with_logits(mg.tensor(z), y).item() == J.item()
    J.backward()
    # J = mean(softplus(Z) - Y Z): ∂J/∂Y = -Z / m
    np.testing.assert_allclose(Y.grad, -z / m, rtol=1e-15, atol=0)
    if not z_grad:
        assert Z.grad is None
        return
    # the notes' dZ[2] = A[2] - Y, per sample, at every logit
    np.testing.assert_allclose(Z.grad, (reference_sigmoid(z) - y) / m, rtol=1e-13, atol=1e-300)
    # and the true σ(Z) - Y (-σ(-Z) where Y = 1, which cancels nothing) within a few
    # 1e-16, as the docstring says, also past |Z| = 37 (where Y = 1 that is 0 for -e^-Z);
    # 5 units of 2^-53: σ's roundings, the reference's and the division by m
    true = np.where(y == 1, -reference_sigmoid(-z), reference_sigmoid(z))
    assert np.all(np.abs(Z.grad - true / m) * m <= 5 * 2.0 ** -53), (Z.grad * m, true)


@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.one_of(
    st.sampled_from([0.0, 1.0, -0.0]),
    st.floats(allow_nan=True, allow_infinity=True, width=64))))
def test_label_check_rejects_exactly_what_is_not_0_or_1(y):
    bad = ~((y == 0) | (y == 1))
    a = np.full(y.shape, 0.5)
    if bad.any():
        first = int(np.argwhere(bad)[0][0])
        with pytest.raises(ValueError, match=rf"Y must hold only 0 and 1; .* at \({first},\)"):
            mg.binary_cross_entropy(a, y)
    else:
        assert mg.binary_cross_entropy(a, y).item() == pytest.approx(np.log(2.0))


# --- the whole step, as the nets run it ---------------------------------------------------
@st.composite
def two_layer_problems(draw):
    n_x, n_h, m = draw(st.integers(1, 5)), draw(st.integers(1, 6)), draw(st.integers(1, 9))
    rng = np.random.RandomState(draw(st.integers(0, 10_000)))
    scale = draw(st.sampled_from([0.01, 0.5, 3.0]))
    X = rng.randn(n_x, m)
    Y = (rng.rand(1, m) > 0.5).astype(np.float64)
    params = {"W1": rng.randn(n_h, n_x) * scale, "b1": rng.randn(n_h, 1) * scale,
              "W2": rng.randn(1, n_h) * scale, "b2": rng.randn(1, 1) * scale}
    return X, Y, params


@given(two_layer_problems())
def test_two_layer_autograd_equals_the_notes_formulas_at_every_node(problem):
    X, Y, p = problem
    m = X.shape[1]
    # the notes, by hand
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.tanh(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = reference_sigmoid(Z2)
    dZ2 = A2 - Y
    dW2, db2 = dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m
    dA1 = p["W2"].T @ dZ2
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1, db1 = dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m
    # the graph, from minigrad ops
    W1, b1, W2, b2 = (mg.tensor(p[k], requires_grad=True, name=k) for k in ("W1", "b1", "W2", "b2"))
    z1 = W1 @ mg.tensor(X) + b1
    a1 = mg.tanh(z1)
    z2 = W2 @ a1 + b2
    a2 = mg.sigmoid(z2)                              # ŷ, beside the cost
    J = mg.binary_cross_entropy_with_logits(z2, Y)   # the cost from the logits
    J.backward()
    np.testing.assert_array_equal(a2.data, A2)
    for name, got, expected in [("Z[2]", z2.grad, dZ2 / m), ("A[1]", a1.grad, dA1 / m),
                                ("Z[1]", z1.grad, dZ1 / m), ("W[2]", W2.grad, dW2),
                                ("b[2]", b2.grad, db2), ("W[1]", W1.grad, dW1),
                                ("b[1]", b1.grad, db1)]:
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15, err_msg=name)


@given(st.integers(1, 70), st.integers(1, 70), st.data())
def test_an_outer_product_by_broadcasting_is_bit_identical_to_blas(n, m, data):
    # W[2]ᵀ dZ[2]: (n_h, 1) @ (1, m), the product that skips BLAS
    a = data.draw(arrays((n, 1), -1e3, 1e3))
    b = data.draw(arrays((1, m), -1e3, 1e3))
    got = ops._mm(a, b)
    assert got.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(got, a @ b)
    W = mg.tensor(b, requires_grad=True)            # (1, m) @ (m, k): the output layer's shape
    A = mg.tensor(data.draw(arrays((m, n))), requires_grad=True)
    G = data.draw(arrays((1, n)))
    (W @ A).backward(G)
    np.testing.assert_array_equal(A.grad, W.data.T @ G)
    np.testing.assert_array_equal(W.grad, G @ A.data.T)


@given(hnp.arrays(np.float64, small_shapes(), elements=finite_floats(-20, 20)), st.data())
def test_tanh_gradient_in_one_buffer_is_the_plain_formula_bit_for_bit(z, data):
    g = data.draw(hnp.arrays(np.float64, z.shape, elements=finite_floats(-1e3, 1e3)))
    t = mg.tensor(z, requires_grad=True)
    a = mg.tanh(t)
    a.backward(g)
    np.testing.assert_array_equal(t.grad, g * (1.0 - a.data * a.data))
    assert t.grad.shape == z.shape and isinstance(t.grad, np.ndarray)


@given(hnp.arrays(np.float64, small_shapes(), elements=finite_floats(-800, 800)), st.data())
def test_sigmoid_slope_made_in_backward_is_the_one_of_the_forward_value(z, data):
    # The slope is computed from Z when backward reaches the node, not kept from the forward.
    g = data.draw(hnp.arrays(np.float64, z.shape, elements=finite_floats(-1e3, 1e3)))
    t = mg.tensor(z, requires_grad=True)
    mg.sigmoid(t).backward(g)
    np.testing.assert_array_equal(t.grad, g * ops._sigmoid_slope(z))
    np.testing.assert_allclose(t.grad, g * reference_sigmoid_slope(z), rtol=1e-14, atol=0)


@given(logits_and_labels())
def test_cross_entropy_with_logits_gradient_is_sigma_minus_y_bit_for_bit(case):
    z, y = case
    Z = mg.tensor(z, requires_grad=True)
    mg.binary_cross_entropy_with_logits(Z, y).backward()
    np.testing.assert_array_equal(Z.grad, (1.0 / z.size) * (ops._sigmoid(z) - y))


@given(logits_and_labels())
def test_labels_checked_once_give_the_same_cost_and_gradient_bit_for_bit(case):
    z, y = case
    labels = CheckedLabels(y)
    y[...] = 1.0 - y   # the caller's array changes; the checked copy does not
    assert not labels.y.flags.writeable and labels.y.base is None
    Z1, Z2 = mg.tensor(z, requires_grad=True), mg.tensor(z, requires_grad=True)
    J1 = mg.binary_cross_entropy_with_logits(Z1, 1.0 - y)
    J2 = labels.loss(Z2, mg.as_tensor(labels.y))
    assert J2.op == J1.op and J2.data.tobytes() == J1.data.tobytes()
    J1.backward()
    J2.backward()
    assert Z2.grad.tobytes() == Z1.grad.tobytes()


def test_checked_labels_refuse_bad_labels_and_check_any_other_y():
    from_ints = CheckedLabels([[0, 1, 1]])
    assert from_ints.y.dtype == np.float64 and from_ints.y.tolist() == [[0.0, 1.0, 1.0]]
    with pytest.raises(ValueError, match="only 0 and 1; got 0.5"):
        CheckedLabels([[0.0, 0.5]])
    labels = CheckedLabels([[0.0, 1.0]])
    with pytest.raises(ValueError, match="only 0 and 1; got 2.0"):
        labels.loss(mg.tensor([[1.0, 2.0]]), mg.tensor([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="same shape"):
        labels.loss(mg.tensor([[1.0, 2.0, 3.0]]), mg.tensor([[0.0, 1.0]]))


@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 9), st.floats(0.01, 2.0),
       st.integers(0, 2**16))
def test_fit_by_autograd_is_the_plain_loop_bit_for_bit(n_x, n_h, m, learning_rate, seed):
    """fit checks the data once and writes each update into the step's gradient
    array: the same numbers as checking every step and computing W - lr dW anew."""
    from nets import DeepNet
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(n_x, m), (rng.rand(1, m) > 0.5).astype(np.float64)
    fitted = DeepNet([n_x, n_h, 1], scale=1.0, seed=seed)
    plain = DeepNet([n_x, n_h, 1], scale=1.0, seed=seed)
    before = dict(fitted.params)
    copies = {k: v.copy() for k, v in before.items()}
    costs = fitted.fit(X, Y, iterations=4, learning_rate=learning_rate)
    expected = []
    for _ in range(4):
        J, grads = plain.autograd(X, Y)
        expected.append(J)
        plain.params = {k: v - learning_rate * grads[k] for k, v in plain.params.items()}
    assert costs == expected
    for name, value in fitted.params.items():
        np.testing.assert_array_equal(value, plain.params[name], err_msg=name)
        np.testing.assert_array_equal(before[name], copies[name], err_msg=name)   # untouched
        assert value.flags.writeable and value.flags.owndata
    arrays_now = list(fitted.params.values())
    assert len({id(a) for a in arrays_now + list(before.values())}) == 2 * len(arrays_now)


def _a_bias_column(big: tuple, shape: tuple) -> bool:
    """A gradient (n, m) of an (n, 1) input, m > 1: a bias b[l]'s, in every step."""
    return len(big) == 2 == len(shape) and shape[1] == 1 != big[1] and shape[0] == big[0]


@given(arrays(small_shapes(min_dims=2, max_dims=2)), st.data())
def test_a_bias_columns_gradient_is_summed_as_every_other_broadcast_is(grad, data):
    # the (n, m) -> (n, 1) fast path of _unbroadcast: the general path's bits
    n, m = grad.shape
    shape = data.draw(st.sampled_from([(n, 1), (1, m), (1, 1), (m,), ()]))
    general = grad
    leading = tuple(range(grad.ndim - len(shape)))
    if leading:
        general = np.add.reduce(general, axis=leading)
    stretched = tuple(i for i, k in enumerate(shape) if k == 1 and general.shape[i] != 1)
    if stretched:
        general = np.add.reduce(general, axis=stretched, keepdims=True)
    got = _unbroadcast(grad, shape)
    assert got.shape == shape
    np.testing.assert_array_equal(got, general)


def test_a_bias_columns_sum_is_numpys_own_in_its_order():
    # where the order of a sum shows in its bits (1e16 + 1 rounds to 1e16)
    g = np.array([[1e16, 1.0, -1e16, 1.0], [1.0, 1e16, 1.0, -1e16]])
    got = _unbroadcast(g, (2, 1))
    np.testing.assert_array_equal(got, np.add.reduce(g, axis=(1,), keepdims=True))
    np.testing.assert_array_equal(got, g.sum(axis=1, keepdims=True))


@given(broadcastable_pairs())
def test_unbroadcast_remembers_the_axes_of_each_shape_pair_and_forgets_them_all_when_full(pair):
    small = pair[0]
    big_shape = np.broadcast_shapes(*map(np.shape, pair))
    cache = _unbroadcast_axes
    cache.clear()
    g = np.ones(big_shape)
    first = _unbroadcast(g, small.shape)
    if _a_bias_column(big_shape, small.shape):   # summed without the cache
        assert not cache
    elif big_shape != small.shape:
        extra = len(big_shape) - small.ndim
        leading, stretched = cache[big_shape, small.shape]
        assert leading == tuple(range(extra))
        assert stretched == tuple(i for i, n in enumerate(small.shape)
                                  if n == 1 and big_shape[extra + i] != 1)
    np.testing.assert_array_equal(_unbroadcast(g, small.shape), first)   # from the cache
    # full of pairs other than the probe's below (the drawn pair may be the probe's)
    cache.clear()
    cache.update({((i,), ()): ((0,), ()) for i in range(5000)})
    _unbroadcast(np.ones((2, 3)), (3,))
    assert len(cache) == 1   # a program of ever new shapes starts again, bounded
