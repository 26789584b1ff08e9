"""backward(): random multi-op programs against numerical gradients,
broadcasting undone, gradients on intermediates, accumulation, the seed, a
100,000-op chain, and a graph freed by reference counting alone."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from tests.strategies import arrays, assert_grads_match_numerical, broadcastable_pairs

# --- random programs ------------------------------------------------------------
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
def programs(draw):
    """A list of steps ``(op name, i, j)``: apply the op to values i (and j)
    of the stack [x, y, results so far]; indices are taken modulo its length."""
    n_steps = draw(st.integers(1, 6))
    steps = []
    for _ in range(n_steps):
        name = draw(st.sampled_from(sorted(UNARY_STEPS) + sorted(BINARY_STEPS)))
        steps.append((name, draw(st.integers(0, 7)), draw(st.integers(0, 7))))
    return steps


def run(program, x, y):
    values = [x, y]
    for name, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(UNARY_STEPS[name](a) if name in UNARY_STEPS else BINARY_STEPS[name](a, b))
    return values[-1]


@given(program=programs(), pair=broadcastable_pairs())
def test_random_program_gradient_matches_numerical(program, pair):
    out = run(program, mg.tensor(pair[0]), mg.tensor(pair[1]))
    scale = max(1.0, float(np.abs(out.data).max()))   # rounding in f grows with its size
    assert_grads_match_numerical(lambda x, y: run(program, x, y), pair, atol=1e-6 * scale,
                                 allow_unused=True)


# --- broadcasting is undone in the gradient -----------------------------------------
@given(pair=broadcastable_pairs())
def test_gradient_has_the_shape_of_its_input_under_broadcasting(pair):
    x, y = (mg.tensor(a, requires_grad=True) for a in pair)
    out = x * y + x - y
    out.backward(np.ones(out.shape))
    assert x.grad.shape == x.shape and y.grad.shape == y.shape, (
        f"x {x.shape} got {x.grad.shape}, y {y.shape} got {y.grad.shape}")


def test_column_bias_gets_the_row_sums_of_the_gradient():
    b = mg.tensor(np.zeros((3, 1)), requires_grad=True, name="b[1]")
    Z = mg.tensor(np.ones((3, 4))) + b
    seed = np.arange(12.0).reshape(3, 4)
    Z.backward(seed)
    assert b.grad.shape == (3, 1), b.grad.shape
    np.testing.assert_array_equal(b.grad, seed.sum(axis=1, keepdims=True))


def test_scalar_plus_matrix_gives_the_scalar_the_total():
    s = mg.tensor(2.0, requires_grad=True)
    M = mg.tensor(np.ones((2, 3)), requires_grad=True)
    seed = np.arange(6.0).reshape(2, 3)
    (s + M).backward(seed)
    assert s.grad.shape == (), s.grad.shape
    assert s.grad == seed.sum(), f"s.grad = {s.grad}, expected {seed.sum()}"
    np.testing.assert_array_equal(M.grad, seed)


def test_row_vector_plus_matrix_gets_the_column_sums():
    v = mg.tensor(np.zeros(3), requires_grad=True)
    M = mg.tensor(np.ones((2, 3)))
    seed = np.arange(6.0).reshape(2, 3)
    (v + M).backward(seed)
    assert v.grad.shape == (3,), v.grad.shape
    np.testing.assert_array_equal(v.grad, seed.sum(axis=0))


# --- what backward leaves behind ------------------------------------------------
def _layer():
    rng = np.random.RandomState(3)
    W = mg.tensor(rng.randn(4, 2), requires_grad=True, name="W[1]")
    b = mg.tensor(rng.randn(4, 1), requires_grad=True, name="b[1]")
    X = mg.tensor(rng.randn(2, 5), name="X")
    Z = (W @ X + b).named("Z[1]")
    A = Z.tanh().named("A[1]")
    J = A.mean().named("J")
    return W, b, X, Z, A, J


def test_intermediates_hold_their_gradient_after_backward():
    W, b, X, Z, A, J = _layer()
    J.backward()
    np.testing.assert_allclose(A.grad, np.full((4, 5), 1 / 20), rtol=1e-15)
    np.testing.assert_allclose(Z.grad, (1 - A.data ** 2) / 20, rtol=1e-14)
    np.testing.assert_allclose(W.grad, Z.grad @ X.data.T, rtol=1e-14)
    np.testing.assert_allclose(b.grad, Z.grad.sum(axis=1, keepdims=True), rtol=1e-14)
    assert J.grad == 1.0, f"J.grad = {J.grad}"
    WX = Z.parents[0]
    assert WX.op == "matmul" and WX.grad is not None, f"W @ X: op {WX.op}, grad {WX.grad}"


def test_leaves_without_requires_grad_get_no_gradient():
    W, b, X, Z, A, J = _layer()
    c = mg.tensor(3.0)
    (J * c + 1).backward()
    assert X.grad is None, f"X.grad = {X.grad}"
    assert c.grad is None, f"c.grad = {c.grad}"
    assert W.grad is not None and b.grad is not None


def test_nodes_that_depend_on_no_trainable_leaf_get_no_gradient():
    W = mg.tensor([[1.0, 2.0]], requires_grad=True)
    X = mg.tensor([[3.0], [4.0]])
    X2 = X * 2   # depends only on a constant
    J = (W @ X2).sum()
    J.backward()
    assert X2.grad is None and not X2.requires_grad, f"X2.grad = {X2.grad}"
    np.testing.assert_array_equal(W.grad, [[6.0, 8.0]])


def test_a_node_used_twice_accumulates():
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)
    x.zero_grad()
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_a_diamond_sends_both_paths_to_the_shared_node():
    x = mg.tensor(1.5, requires_grad=True)
    u = x * 2          # used by both branches below
    J = u.tanh() * u + u ** 2
    J.backward()
    # dJ/du = tanh'(u) u + tanh(u) + 2u, and du/dx = 2
    uu = 3.0
    expected_u = (1 - np.tanh(uu) ** 2) * uu + np.tanh(uu) + 2 * uu
    assert abs(u.grad - expected_u) < 1e-14, f"u.grad = {u.grad}, expected {expected_u}"
    assert abs(x.grad - 2 * expected_u) < 1e-13, f"x.grad = {x.grad}, expected {2 * expected_u}"


def test_backward_twice_gives_exactly_twice_the_gradients_everywhere():
    x = mg.tensor([0.5, -1.0], requires_grad=True, name="x")
    u = (x * 2).named("u")
    v = (u * u + u.tanh()).named("v")      # u reaches v along two paths
    J = (v.sum() * 3).named("J")
    nodes = [x, u, v, J]
    J.backward()
    first = {t.name: np.copy(t.grad) for t in nodes}
    J.backward()
    for t in nodes:
        np.testing.assert_array_equal(t.grad, 2 * first[t.name],
                                      err_msg=f"{t.name}: first {first[t.name]}, now {t.grad}")


def test_zero_grad_resets_so_backward_gives_the_same_again():
    W, b, X, Z, A, J = _layer()
    J.backward()
    first = np.copy(W.grad)
    for t in (W, b, Z, A, J):
        t.zero_grad()
        assert t.grad is None, f"{t.name}.grad = {t.grad} after zero_grad()"
    J.backward()
    np.testing.assert_array_equal(W.grad, first)


def test_a_seed_is_the_root_gradient_and_scales_the_rest():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seed = np.array([0.5, -2.0])
    y.backward(seed)
    np.testing.assert_array_equal(y.grad, seed)
    np.testing.assert_array_equal(x.grad, 3 * seed)


def test_scalar_root_of_shape_1_1_needs_no_seed():
    w = mg.tensor([[2.0]], requires_grad=True)
    (w * w).backward()
    np.testing.assert_array_equal(w.grad, [[4.0]])


def test_backward_through_a_100000_op_chain_needs_no_recursion():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert y.data == 100_001.0, f"y = {y.data}"
    assert x.grad == 1.0, f"x.grad = {x.grad}"
    del y   # freeing the chain must not overflow the C stack either
    gc.collect()


def test_non_scalar_root_without_seed_is_a_value_error_saying_so():
    Z = mg.tensor(np.ones((2, 3)), requires_grad=True).named("Z[1]") * 2
    with pytest.raises(ValueError, match=r"non-scalar.*needs a seed") as error:
        Z.backward()
    assert "(2, 3)" in str(error.value), str(error.value)


@pytest.mark.parametrize("seed_shape", [(), (3, 2), (1, 2, 3), (6,)])
def test_seed_of_the_wrong_shape_is_a_value_error(seed_shape):
    Z = mg.tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"does not match") as error:
        Z.backward(np.ones(seed_shape))
    assert str(seed_shape) in str(error.value), str(error.value)


def test_backward_on_a_tensor_that_needs_no_grad_is_a_value_error():
    c = mg.tensor([1.0, 2.0], name="c").sum()
    with pytest.raises(ValueError, match="requires_grad=True"):
        c.backward()


# --- the graph order and memory ------------------------------------------------
def test_topological_order_lists_each_node_once_after_its_parents():
    W, b, X, Z, A, J = _layer()
    order = mg.topological_order(J)
    position = {id(t): i for i, t in enumerate(order)}
    assert len(position) == len(order) == 7, [t.name or t.op for t in order]
    assert order[-1] is J
    for t in order:
        for p in t.parents:
            assert position[id(p)] < position[id(t)], f"{p.name or p.op} after {t.name or t.op}"


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        W, b, X, Z, A, J = _layer()
        loss = mg.binary_cross_entropy((A.sum(axis=0, keepdims=True)).sigmoid(),
                                       np.array([[0.0, 1.0, 1.0, 0.0, 1.0]]))
        loss.backward()
        nodes = mg.topological_order(loss)
        intermediates = [weakref.ref(t) for t in nodes if t.op is not None]
        assert len(intermediates) == 6, [r().op for r in intermediates]
        del nodes, Z, A, J, loss
        alive = [r().op for r in intermediates if r() is not None]
        assert alive == [], f"still alive without the cycle collector: {alive}"
        assert W.grad is not None and b.grad is not None
    finally:
        gc.enable()


@given(x=arrays())
def test_no_reference_cycles_for_any_single_op(x):
    gc.disable()
    try:
        t = mg.tensor(x, requires_grad=True)
        outs = [t + 1, t - 1, t * t, t / 2, -t, t ** 2, t.T, t.reshape(-1), t.sum(), t.mean(),
                t.exp(), t.tanh(), t.sigmoid(), t.relu(), t.leaky_relu(), mg.identity(t),
                t.reshape(-1) @ t.reshape(-1),
                mg.binary_cross_entropy(t.sigmoid(), np.ones(x.shape))]
        for out in outs:
            out.backward(np.ones(out.shape))
        refs = [weakref.ref(out) for out in outs]
        del outs, out
        alive = [r().op for r in refs if r() is not None]
        assert alive == [], f"still alive without the cycle collector: {alive}"
    finally:
        gc.enable()


def test_grad_of_a_summed_leaf_is_a_writable_array_the_user_may_scale_in_place():
    # sum's VJP spreads the gradient with a read-only broadcast view.
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    x.grad *= 0.5
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 0.5))
