"""backward(): random multi-op programs against numerical gradients,
broadcasting undone, gradients on intermediates, accumulation, the seed, a
100,000-op chain, a graph freed by reference counting alone; a node is its
own identity (copies and pickles are new leaves), each node owns its grad,
and data changed under a pending graph is an error, never a mix."""
import copy
import gc
import pickle
import weakref

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.tensor import _unbroadcast
from tests.strategies import (arrays, assert_grads_match_numerical, broadcastable_pairs,
                              program_values, programs, run_program)


@given(program=programs(), pair=broadcastable_pairs())
def test_random_program_gradient_matches_numerical(program, pair):
    out = run_program(program, mg.tensor(pair[0]), mg.tensor(pair[1]))
    scale = max(1.0, float(np.abs(out.data).max()))   # rounding in f grows with its size
    assert_grads_match_numerical(lambda x, y: run_program(program, x, y), pair, atol=1e-6 * scale,
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
    # a row (1, 3); a rank-1 (3,) repeated down the rows is refused (test_errors.py)
    v = mg.tensor(np.zeros((1, 3)), requires_grad=True)
    M = mg.tensor(np.ones((2, 3)))
    seed = np.arange(6.0).reshape(2, 3)
    (v + M).backward(seed)
    assert v.grad.shape == (1, 3), v.grad.shape
    np.testing.assert_array_equal(v.grad, seed.sum(axis=0, keepdims=True))


def test_rank_1_plus_a_row_gets_the_gradient_of_its_shape():
    v = mg.tensor(np.zeros(3), requires_grad=True)
    (v + mg.tensor(np.ones((1, 3)))).backward(np.array([[1.0, 2.0, 3.0]]))
    assert v.grad.tolist() == [1.0, 2.0, 3.0]


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


# --- a node is the object itself: copies and pickles are independent leaves ------
COPIERS = {"copy.copy": copy.copy, "copy.deepcopy": copy.deepcopy,
           "pickle": lambda t: pickle.loads(pickle.dumps(t))}


@given(program=programs(), pair=broadcastable_pairs(), data=st.data())
def test_copies_of_random_graph_nodes_are_new_leaves_and_mixed_graphs_get_right_gradients(
        program, pair, data):
    x, y = (mg.tensor(a, requires_grad=True, name=n) for a, n in zip(pair, "xy"))
    values = program_values(program, x, y)
    picks = data.draw(st.lists(st.tuples(st.integers(0, len(values) - 1),
                                         st.sampled_from(sorted(COPIERS))), min_size=1, max_size=4))
    copies = [COPIERS[how](values[i]) for i, how in picks]
    for (i, how), c in zip(picks, copies):
        v = values[i]
        assert c is not v and c.op is None and c.parents == (), f"{how} of {v!r} is {c!r}"
        assert (c.requires_grad, c.name) == (v.requires_grad, v.name), how
        assert not np.shares_memory(c.data, v.data), f"{how} shares the data array"
        np.testing.assert_array_equal(c.data, v.data, err_msg=how)

    def mixed(xt, yt, *cs):   # each picked original beside its copy
        vals = program_values(program, xt, yt)
        total = 0.0
        for k, ((i, _), c) in enumerate(zip(picks, cs)):
            total = total + (vals[i].tanh() * (k + 2.0) + c * c * (k + 1.0)).sum()
        return total

    J = mixed(x, y, *copies)
    J.backward()
    numeric = mg.numerical_grad(mixed, [x, y, *copies], eps=1e-6)
    for t, expected in zip([x, y, *copies], numeric):
        got = np.zeros(t.shape) if t.grad is None else t.grad
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{t.name} (op {t.op}) in {program}, picks {picks}")


@pytest.mark.parametrize("how", sorted(COPIERS))
def test_a_copy_of_a_leaf_gets_its_own_gradient(how):
    # The reproducer of issue 11: the copy used to share the original's gradient.
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W")
    V = COPIERS[how](W)
    (W * 10 + V).sum().backward()
    assert W.grad.tolist() == [10.0, 10.0] and V.grad.tolist() == [1.0, 1.0], (W.grad, V.grad)


@pytest.mark.parametrize("how", sorted(COPIERS))
def test_a_copy_keeps_a_copy_of_the_grad_and_is_made_after_its_original(how):
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W")
    (W * W).sum().backward()
    V = COPIERS[how](W)
    np.testing.assert_array_equal(V.grad, W.grad)
    assert not np.shares_memory(V.grad, W.grad), how
    V.grad *= 0
    assert W.grad.tolist() == [2.0, 4.0]
    fresh = mg.tensor(0.0)
    order = mg.topological_order(V + fresh)
    assert order.index(V) < order.index(fresh), "a copy must take a new place in creation order"


def test_a_copy_of_a_leaf_under_a_pending_graph_is_writable_and_apart_from_it():
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W")
    J = (W * W).sum()
    V = copy.deepcopy(W)
    V.data[0] = 5.0   # the copy's own array: the graph does not see it
    J.backward()
    assert W.grad.tolist() == [2.0, 4.0]


def test_an_unpickled_tensor_does_not_collide_with_the_next_new_one():
    W = mg.tensor([1.0, 2.0], requires_grad=True)
    loaded = pickle.loads(pickle.dumps(W))
    U = mg.tensor([3.0, 4.0], requires_grad=True)
    (loaded * 2 + U * 3).sum().backward()
    assert loaded.grad.tolist() == [2.0, 2.0] and U.grad.tolist() == [3.0, 3.0]


# --- each node owns its gradient ----------------------------------------------------
@given(program=programs(), pair=broadcastable_pairs(), twice=st.booleans())
def test_every_grad_is_owned_by_its_node_and_the_seed_is_never_kept(program, pair, twice):
    x, y = (mg.tensor(a, requires_grad=True, name=n) for a, n in zip(pair, "xy"))
    out = run_program(program, x, y)
    seed = np.random.RandomState(0).standard_normal(out.shape)
    kept = seed.copy()
    out.backward(seed)
    if twice:
        out.backward(seed)
    nodes = [n for n in mg.topological_order(out) if n.grad is not None]
    for n in nodes:
        assert type(n.grad) is np.ndarray and n.grad.dtype == np.float64, type(n.grad)
        assert n.grad.shape == n.shape and n.grad.flags.writeable, (n.op, n.grad.flags)
    saved = [n.grad.copy() for n in nodes]
    for k, n in enumerate(nodes):
        n.grad += 1000.0 * (k + 1)   # a user's in-place edit of one gradient
        for j, other in enumerate(nodes):
            if j != k:
                np.testing.assert_array_equal(
                    other.grad, saved[j],
                    err_msg=f"editing the grad of {n.name or n.op} changed {other.name or other.op}")
        np.testing.assert_array_equal(seed, kept, err_msg=f"editing {n.name or n.op} changed the seed")
        n.grad[...] = saved[k]


def test_the_reproducers_of_shared_grads_are_fixed():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    u = w + 1
    (u * u).sum().backward()
    w.grad *= 0
    assert u.grad.tolist() == [4.0, 6.0]
    G = np.array([1.0, 1.0])
    v = w * 3
    v.backward(grad=G)
    assert v.grad is not G
    v.grad += 1
    assert G.tolist() == [1.0, 1.0]


# --- data changed under a pending graph ---------------------------------------------
def _pending_layer():
    W = mg.as_tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True, name="W")
    X = mg.as_tensor(np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]), name="X")
    return W, X, (W @ X).tanh().sum()


def _layer_grad(W0, X0):
    return (1 - np.tanh(W0 @ X0) ** 2) @ X0.T


@pytest.mark.parametrize("which", ["W", "X"])
def test_writing_into_a_leafs_array_while_its_graph_waits_is_refused(which):
    W, X, J = _pending_layer()
    W0, X0 = W.data.copy(), X.data.copy()
    leaf = {"W": W, "X": X}[which]
    with pytest.raises(ValueError, match="read-only"):
        leaf.data[0, 0] = 10.0
    with pytest.raises(ValueError, match="read-only"):
        leaf.data -= 1.0
    J.backward()
    np.testing.assert_allclose(W.grad, _layer_grad(W0, X0), rtol=1e-12)
    leaf.data[0, 0] = 10.0   # after backward the array is the caller's again
    assert leaf.data[0, 0] == 10.0


@pytest.mark.parametrize("which", ["W", "X"])
def test_assigning_a_leafs_data_between_forward_and_backward_makes_backward_name_it(which):
    W, X, J = _pending_layer()
    leaf = {"W": W, "X": X}[which]
    leaf.data = leaf.data + 1.0
    with pytest.raises(RuntimeError, match=rf"{which} \(2, [23]\) was changed after the graph"):
        J.backward()


def test_the_course_update_after_backward_works_in_place_on_the_shared_array():
    params = {"W": np.array([[0.5, -1.0], [2.0, 0.25]])}
    X0 = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    expected = params["W"].copy()
    W = mg.as_tensor(params["W"], requires_grad=True, name="W")
    for _ in range(3):
        W.zero_grad()
        (W @ mg.as_tensor(X0)).tanh().sum().backward()
        W.data -= 0.1 * W.grad
        expected -= 0.1 * _layer_grad(expected, X0)
    assert W.data is params["W"], "the update must stay in the shared array"
    np.testing.assert_allclose(params["W"], expected, rtol=1e-12)


def test_backward_again_after_the_course_update_is_refused():
    W, X, J = _pending_layer()
    J.backward()
    W.data -= 0.1 * W.grad
    with pytest.raises(RuntimeError, match=r"W \(2, 2\) was changed"):
        J.backward()


MODIFICATIONS = {
    "t.data = t.data + 1": lambda t: setattr(t, "data", t.data + 1.0),
    "t.data[...] = 1": lambda t: t.data.__setitem__(Ellipsis, 1.0),
    "t.data += 1": lambda t: t.data.__iadd__(1.0),
    "with no_grad(): t += 1": lambda t: _no_grad_iadd(t),
}


def _no_grad_iadd(t):
    with mg.no_grad():
        t += 1.0


@given(program=programs(), pair=broadcastable_pairs(), which=st.sampled_from("xy"),
       how=st.sampled_from(sorted(MODIFICATIONS)), needs_grad=st.booleans())
# x + identity(y), y needing no grad, y given a new array: the graph holds y's old
# one, so backward runs, on the old values (the old oracle wanted an error)
@example(program=[("identity", 1, 0), ("add", 0, 2)], pair=(np.zeros(()), np.zeros(())),
         which="y", how="t.data = t.data + 1", needs_grad=False)
# identity(y) * tanh(x), y needing no grad, y's array written in place: mul's VJP
# for tanh(x) reads that very array, so the write must be refused; a write that
# got through would mix (x.grad from the new y), which only the twin shows. A
# random draw almost never makes this program (1000 draws did not)
@example(program=[("identity", 1, 0), ("mul", 2, 0)],
         pair=(np.array([0.5, -1.0]), np.array([2.0, 3.0])),
         which="y", how="t.data[...] = 1", needs_grad=False)
@example(program=[("identity", 1, 0), ("mul", 2, 0)],
         pair=(np.array([0.5, -1.0]), np.array([2.0, 3.0])),
         which="y", how="with no_grad(): t += 1", needs_grad=False)
def test_data_changed_between_forward_and_backward_is_an_error_never_a_mix(
        program, pair, which, how, needs_grad):
    x = mg.as_tensor(pair[0].copy(), requires_grad=True, name="x")
    y = mg.as_tensor(pair[1].copy(), requires_grad=needs_grad, name="y")
    out = run_program(program, x, y)
    if not out.requires_grad:
        return
    seed = np.ones(out.shape)
    # the same graph on copies, left alone: what a backward on the old values gives
    twin = {"x": mg.tensor(pair[0], requires_grad=True), "y": mg.tensor(pair[1],
                                                                        requires_grad=needs_grad)}
    run_program(program, twin["x"], twin["y"]).backward(seed)
    leaf = {"x": x, "y": y}[which]
    nodes = [node for node in mg.topological_order(out) if node.requires_grad]
    # read by a node whose backward runs (one that requires grad), directly, or
    # through a constant op result that is its very memory (identity(y), y needing
    # none: x + identity(y) holds y's array); a leaf read only where no gradient
    # flows (y in 1 + y*y, y needing none) is read by no backward
    direct = any(p is leaf for node in nodes for p in node.parents)
    viewed = any(p.op is not None and not p.requires_grad and np.shares_memory(p.data, leaf.data)
                 for node in nodes for p in node.parents)
    try:
        MODIFICATIONS[how](leaf)
    except ValueError as error:   # numpy refuses to write into the frozen array
        assert (direct or viewed) and "read-only" in str(error), (how, str(error))
        return
    except RuntimeError as error:
        assert (direct or viewed) and f"{which} {leaf.shape}" in str(error), (how, str(error))
        return
    if direct:   # a new array under a node's input: backward names it
        with pytest.raises(RuntimeError, match=f"{which} "):
            out.backward(seed)
        return
    # otherwise the graph still holds the array it read (a view's node keeps the
    # old one when y is given a new one): backward gives the old values' gradients
    out.backward(seed)
    for name, t in {"x": x, "y": y}.items():
        if t.requires_grad:
            assert np.array_equal(t.grad, twin[name].grad), (name, t.grad, twin[name].grad)


@given(program=programs(), pair=broadcastable_pairs())
def test_after_backward_every_leaf_array_is_writable_again(program, pair):
    arrays_ = [a.copy() for a in pair]
    x = mg.as_tensor(arrays_[0], requires_grad=True)
    y = mg.as_tensor(arrays_[1])
    out = run_program(program, x, y)
    if out.requires_grad:
        out.backward(np.ones(out.shape))
    assert all(a.flags.writeable for a in arrays_)


def test_a_users_read_only_array_stays_read_only():
    frozen = np.array([1.0, 2.0])
    frozen.setflags(write=False)
    x = mg.as_tensor(frozen, requires_grad=True)
    (x * x).sum().backward()
    assert not frozen.flags.writeable and x.grad.tolist() == [2.0, 4.0]


def test_a_graph_dropped_without_backward_gives_the_arrays_back():
    from minigrad.tensor import _frozen
    arr = np.ones(3)
    x = mg.as_tensor(arr, requires_grad=True)
    J = (x * 2).sum()
    assert not arr.flags.writeable
    del J
    assert arr.flags.writeable and id(arr) not in _frozen


class _FreezeInterrupted(np.ndarray):
    """An array whose locking is interrupted (Ctrl-C) just before (``after=False``)
    or just after (``after=True``) numpy makes it read-only."""
    after = False

    def setflags(self, write=None, align=None, uic=None):
        if write is False and not self.after:
            raise KeyboardInterrupt
        super().setflags(write=write)
        if write is False:
            raise KeyboardInterrupt


def _hold_interrupted(arrays):
    from minigrad.tensor import _Hold
    try:
        _Hold(arrays)
    except KeyboardInterrupt:
        pass
    gc.collect()


@pytest.mark.parametrize("after", [False, True])
def test_a_lock_interrupted_halfway_releases_what_it_took_and_nothing_else(after):
    # a Ctrl-C while a new node locks its inputs (or a tape its constants) let
    # go of every array in its list: another graph's lock on the next one went
    # too (writable while that graph reads it), and an array frozen but not yet
    # registered stayed read-only for good
    from minigrad.tensor import _frozen
    arr = np.array([1.0, 2.0])
    J = (mg.as_tensor(arr, requires_grad=True, name="a") * 3).sum()   # holds arr
    interrupted = np.zeros(2).view(_FreezeInterrupted)
    interrupted.after = after
    _hold_interrupted((interrupted, arr))
    assert not arr.flags.writeable, "arr was made writable while J still reads it"
    assert interrupted.flags.writeable and id(interrupted) not in _frozen
    del J
    assert arr.flags.writeable and id(arr) not in _frozen


def test_an_array_stays_read_only_while_any_pending_graph_reads_it():
    arr = np.array([1.0, 2.0])
    J1 = (mg.as_tensor(arr, requires_grad=True, name="a") * 3).sum()
    x2 = mg.as_tensor(arr, requires_grad=True, name="b")
    J2 = (x2 * x2).sum()
    J2.backward()
    with pytest.raises(ValueError, match="read-only"):
        arr[0] = 10.0   # J1 still waits for its backward
    J1.backward()
    arr[0] = 10.0
    assert x2.grad.tolist() == [2.0, 4.0]


# --- _unbroadcast: the one place that undoes broadcasting -----------------------------
UNBROADCAST_CASES = {
    "(3, 1) + (1, 4) -> (3, 1)": ((3, 4), (3, 1)),
    "(3, 1) + (1, 4) -> (1, 4)": ((3, 4), (1, 4)),
    "(2, 1, 3) in (4, 2, 5, 3)": ((4, 2, 5, 3), (2, 1, 3)),
    "(5, 1) in (4, 2, 5, 3)": ((4, 2, 5, 3), (5, 1)),
    "() in (2, 3)": ((2, 3), ()),
    "(1, 1) in (2, 3)": ((2, 3), (1, 1)),
    "(3,) in (2, 3)": ((2, 3), (3,)),
    "(2, 1) in (2, 3), keepdims": ((2, 3), (2, 1)),
}


@pytest.mark.parametrize("case", sorted(UNBROADCAST_CASES))
def test_unbroadcast_sums_exactly_the_broadcast_axes(case):
    big, small = UNBROADCAST_CASES[case]
    g = np.arange(float(np.prod(big))).reshape(big) + 1.0
    got = _unbroadcast(g, small)
    assert got.shape == small, f"{case}: {got.shape}"
    # the reference: sum the leading axes, then every axis where small has a 1
    expected = g.sum(axis=tuple(range(len(big) - len(small))))
    expected = expected.sum(axis=tuple(i for i, n in enumerate(small) if n == 1), keepdims=True)
    np.testing.assert_array_equal(got, expected, err_msg=case)


@given(shapes=broadcastable_pairs().map(lambda pair: (pair[0].shape, pair[1].shape)))
def test_unbroadcast_gives_each_input_its_shape_and_the_sum_over_its_broadcast_axes(shapes):
    big = np.broadcast_shapes(*shapes)
    g = np.random.RandomState(0).standard_normal(big)
    for small in shapes:
        got = np.asarray(_unbroadcast(g, small))
        expected = g.sum(axis=tuple(range(len(big) - len(small))))
        expected = expected.sum(axis=tuple(i for i, n in enumerate(small) if n == 1),
                                keepdims=True).reshape(small)
        assert got.shape == small, (big, small, got.shape)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=f"{big} -> {small}")


@pytest.mark.parametrize("how", sorted(COPIERS))
def test_a_copy_keeps_the_name_and_requires_grad(how):
    for requires_grad in (True, False):
        W = mg.tensor([1.0, 2.0], requires_grad=requires_grad, name="W[1]")
        V = COPIERS[how](W)
        assert (V.name, V.requires_grad) == ("W[1]", requires_grad), how
    assert COPIERS[how](mg.tensor(1.0)).name is None


def test_deepcopy_of_a_structure_copies_each_tensor_once():
    W = mg.tensor([1.0, 2.0], requires_grad=True)
    first, second = copy.deepcopy([W, W])
    assert first is second and first is not W


def test_an_unpickled_tensor_owns_a_writable_array_also_from_protocol_5():
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W")
    W.grad = np.array([3.0, 4.0])
    J = (W * W).sum()   # W's array is read-only while J waits
    for protocol in (2, 5):
        loaded = pickle.loads(pickle.dumps(W, protocol=protocol))
        assert loaded.data.flags.writeable and loaded.grad.flags.writeable, protocol
        loaded.data[0] = 7.0
        loaded.grad[0] = 7.0
        assert W.data[0] == 1.0 and W.grad[0] == 3.0
    J.backward()


def test_a_scalar_that_collects_several_gradients_holds_an_array():
    # 0-d gradients add up to a numpy scalar, which .grad must not become
    x = mg.tensor(2.0, requires_grad=True)
    (x * x + x).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 5.0, repr(x.grad)


def test_assigning_an_op_results_data_is_seen_by_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    Z = (x * 2.0).named("Z")
    J = (Z * Z).sum()
    Z.data = Z.data + 1.0
    with pytest.raises(RuntimeError, match=r"Z \(2,\) was changed"):
        J.backward()


@pytest.mark.parametrize("order", ["leaf second", "leaf first"])
def test_a_leaf_beside_an_op_result_is_read_only_while_pending_and_the_op_result_is_not(order):
    # Leaves are frozen (their arrays may be the caller's, shared through as_tensor);
    # an op result's array belongs to the graph alone and stays as numpy made it
    # (the engine may recycle it), shown to the user through a read-only view.
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W")
    Z = mg.tensor([3.0, 4.0], requires_grad=True) * 2.0
    J = ((Z * W) if order == "leaf second" else (W * Z)).sum()
    with pytest.raises(ValueError, match="read-only"):
        W.data[0] = 10.0
    assert Z._data.flags.writeable and not Z.data.flags.writeable
    J.backward()
    assert W.data.flags.writeable and W.grad.tolist() == [6.0, 8.0]


def test_an_op_results_data_cannot_be_written_under_its_gradients():
    # tanh's VJP reads A: a write into A.data would change Z's gradient unseen
    Z = mg.tensor([[0.5, -1.0]], requires_grad=True)
    A = mg.tanh(Z)
    J = A.sum()
    with pytest.raises(ValueError, match="read-only"):
        A.data[0, 0] = 100.0
    A.data = A.data * 2.0   # a new array: the graph's backward refuses it, by name
    with pytest.raises(RuntimeError, match=r"<tanh> \(1, 2\) was changed"):
        J.backward()


@pytest.mark.parametrize("view", [lambda X: X.T.T, lambda X: X.reshape(1, 2),
                                  lambda X: mg.identity(X), lambda X: X.transpose(0, 1)])
def test_a_leaf_seen_through_a_view_op_is_locked_while_its_graph_waits(view):
    # X needs no grad, so X.T.T is not recorded: only its memory's lock stops a
    # write into X from reaching W's gradient (J used [1, 2])
    X = mg.tensor([[1.0, 2.0]], name="X")
    W = mg.tensor([[3.0, 4.0]], requires_grad=True)
    J = (W * view(X)).sum()
    with pytest.raises(RuntimeError, match="has not run backward yet"):
        X += 10.0
    with pytest.raises(ValueError, match="read-only"):
        X.data[0, 0] = 100.0
    J.backward()
    assert J.item() == 11.0 and W.grad.tolist() == [[1.0, 2.0]]
    X += 10.0   # the graph is done: X is the caller's again
    assert X.data.tolist() == [[11.0, 12.0]]


def test_a_view_given_as_an_operand_is_locked_and_the_array_it_views_is_not():
    # Only the arrays the graph holds are locked: the dataset a slice came from stays
    # writable (a write through it is not seen: the documented limit), and views
    # of it made meanwhile stay writable after the graph is gone
    data = np.array([[1.0, 2.0, 5.0, 7.0]])
    X = mg.as_tensor(data[:, :2])
    W = mg.tensor([[3.0, 4.0]], requires_grad=True)
    J = (W * X).sum() + (W * X.T.T).sum()   # directly, and through views
    with pytest.raises(ValueError, match="read-only"):
        X.data[0, 0] = 100.0
    assert data.flags.writeable
    test_part = data[:, 2:]
    data[:, 2:] -= 1.0
    J.backward()
    del J
    assert W.grad.tolist() == [[2.0, 4.0]]
    assert X.data.flags.writeable and test_part.flags.writeable


def test_as_tensor_of_an_op_result_shares_its_value_read_only():
    W = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    A = (W * 2).tanh()
    J = A.sum()
    L = mg.as_tensor(A)
    with pytest.raises(ValueError, match="read-only.*t.data = t.data \\+"):
        L += 5.0
    J.backward()
    np.testing.assert_allclose(W.grad, 2 * (1 - np.tanh([[2.0, 4.0, 6.0]]) ** 2), rtol=1e-14)


def test_an_op_results_new_data_keeps_its_shape_and_is_a_copy():
    W = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    Z = W * 2
    with pytest.raises(ValueError, match=r"<mul> \(1, 3\), an op's result, keeps its shape"):
        Z.data = np.ones(1)
    new = np.ones((1, 3))
    Z.data = new
    new[0, 0] = 7.0   # the caller's array is not the node's
    assert Z.data.tolist() == [[1.0, 1.0, 1.0]]


def test_a_grad_of_an_old_shape_is_an_error_not_broadcast_into_the_new_one():
    W = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True, name="W")
    (W * 2).sum().backward()
    W.data = np.ones((2, 3))   # a notebook that re-initialises with a new size
    with pytest.raises(ValueError, match=r"W \(2, 3\) holds a .grad of shape \(1, 3\)"):
        (W * 2).sum().backward()
    W.zero_grad()
    (W * 2).sum().backward()
    assert W.grad.tolist() == [[2.0, 2.0, 2.0]] * 2


# --- backward(inputs=...): only the named tensors keep a gradient -------------------
@given(program=programs(), pair=broadcastable_pairs(), which=st.sampled_from(["x", "y", "xy"]),
       twice=st.booleans())
def test_backward_with_inputs_gives_them_the_full_backwards_gradients_and_nobody_else_any(
        program, pair, which, twice):
    full = [mg.tensor(a, requires_grad=True, name=n) for a, n in zip(pair, "xy")]
    some = [mg.tensor(a, requires_grad=True, name=n) for a, n in zip(pair, "xy")]
    out_full, out_some = run_program(program, *full), run_program(program, *some)
    if not out_full.requires_grad:
        return   # a program that ignores both inputs: nothing to compare
    seed = np.random.RandomState(1).standard_normal(out_full.shape)
    chosen = [t for t in some if t.name in which]
    for _ in range(1 + twice):
        out_full.backward(seed)
        out_some.backward(seed, inputs=chosen)
    for f, s in zip(full, some):
        if s in chosen:
            # the same VJPs in the same order: the same bits
            assert (f.grad is None) == (s.grad is None)
            if f.grad is not None:
                np.testing.assert_array_equal(s.grad, f.grad)
                assert s.grad.flags.writeable and s.grad.shape == s.shape
        else:
            assert s.grad is None
    kept = set(map(id, chosen))
    assert all(n.grad is None for n in mg.topological_order(out_some) if id(n) not in kept)


def test_backward_with_inputs_accepts_one_tensor_and_keeps_its_grad_owned():
    W = mg.tensor([[1.0, 2.0]], requires_grad=True, name="W")
    x = mg.tensor([[3.0], [4.0]], name="x")
    Z = (W @ x).named("Z")
    seed = np.array([[2.0]])
    Z.backward(seed, inputs=W)
    assert W.grad.tolist() == [[6.0, 8.0]] and Z.grad is None
    W.grad += 1
    assert seed.tolist() == [[2.0]]


@pytest.mark.parametrize("inputs, error, message", [
    ([], ValueError, "empty"),
    ([np.ones(2)], TypeError, "takes tensors; got ndarray"),
    ("x", ValueError, "x \\(2,\\) does not require grad"),
])
def test_backward_with_bad_inputs_is_an_error_naming_them(inputs, error, message):
    x = mg.tensor([1.0, 2.0], name="x")
    w = mg.tensor([1.0, 1.0], requires_grad=True, name="w")
    out = (w * x).sum()
    with pytest.raises(error, match=message):
        out.backward(inputs=[x] if inputs == "x" else inputs)
    assert w.grad is None
