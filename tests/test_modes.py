"""The two modes: no_grad() records no graph (in this thread only), and
detect_anomaly() names the first node whose value or gradient is not finite;
in-place operators in both modes (PyTorch's rules), and values that never
depend on the mode."""
import contextlib
import importlib
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from tests.strategies import (arrays, arrays_away_from_zero, broadcastable_pairs, labels, programs,
                              run_program)


# --- no_grad --------------------------------------------------------------------
def test_no_grad_records_no_parents_and_needs_no_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        y = (w * 2 + 1).tanh()
        assert not mg.is_grad_enabled()
    assert y.parents == () and not y.requires_grad, f"parents {y.parents}"
    np.testing.assert_allclose(y.data, np.tanh([3.0, 5.0]), rtol=1e-15)
    with pytest.raises(ValueError, match="requires_grad=True"):
        y.sum().backward()


def test_a_result_made_without_grad_is_a_leaf_as_in_pytorch():
    # The course's update, with a new tensor for W: W stays a leaf, so W.data -= ...
    # and W -= ... update it in place, and a tape takes it as a constant
    W = mg.tensor([[1.0, 2.0]], requires_grad=True)
    (W * W).sum().backward()
    with mg.no_grad():
        W = W - 0.5 * W.grad
    assert W.op is None and W.op_params is None and W.parents == () and not W.requires_grad
    W.data -= 1.0
    same = W
    W -= 1.0
    assert W is same and W.data.tolist() == [[-2.0, -2.0]]
    with mg.no_grad():
        H = mg.tanh(W)
    x = mg.tensor([[1.0], [2.0]], requires_grad=True)
    tape = mg.record(lambda: (H @ x).sum(), [x])
    tape.replay(np.array([[3.0], [4.0]]))
    np.testing.assert_array_equal(tape.grads[0], H.data.T)


def test_grad_is_recorded_again_after_the_block_even_after_an_error():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        with mg.no_grad():
            raise RuntimeError("inside")
    assert mg.is_grad_enabled()
    y = w * 2
    assert y.requires_grad and y.parents[0] is w


def test_nested_no_grad_blocks_restore_the_outer_state():
    w = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        with mg.no_grad():
            pass
        assert not (w * 2).requires_grad, "the inner block switched grad back on"
    assert (w * 2).requires_grad


def test_no_grad_in_one_thread_does_not_affect_another():
    w = mg.tensor([1.0], requires_grad=True)
    worker_inside, main_done = threading.Event(), threading.Event()
    seen = {}

    def worker():
        try:
            with mg.no_grad():
                worker_inside.set()
                main_done.wait()
                seen["worker"] = (w * 2).requires_grad
        finally:
            worker_inside.set()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        worker_inside.wait()
        seen["main"] = (w * 2).requires_grad   # while the worker is inside no_grad
    finally:
        main_done.set()
        thread.join()
    assert seen == {"main": True, "worker": False}, seen


def test_a_no_grad_block_in_the_main_thread_does_not_reach_a_new_thread():
    w = mg.tensor([1.0], requires_grad=True)
    seen = {}

    def worker():
        seen["worker"] = (w * 2).requires_grad

    with mg.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        seen["main"] = (w * 2).requires_grad
    assert seen == {"main": False, "worker": True}, seen


# --- detect_anomaly ----------------------------------------------------------------
def test_log_of_zero_in_forward_names_the_op_and_shape():
    x = mg.tensor([1.0, 0.0, 2.0], requires_grad=True, name="x")
    with np.errstate(divide="ignore"), mg.detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            x.log()
    message = str(error.value)
    assert "log" in message and "(3,)" in message and "-inf" in message, message
    assert "x (3,)" in message, f"the input is not named: {message}"


def test_zero_over_zero_in_forward_names_the_op_and_shape():
    x = mg.tensor(np.zeros((2, 2)), name="x")
    with np.errstate(invalid="ignore"), mg.detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            x / x
    message = str(error.value)
    assert "div" in message and "(2, 2)" in message and "nan" in message, message


def test_non_finite_gradient_in_backward_names_the_node_its_op_and_shape():
    x = mg.tensor([0.0, 4.0], requires_grad=True, name="x")
    with np.errstate(divide="ignore"), mg.detect_anomaly():
        u = (x * 1.0).named("u")
        J = (u ** 0.5).sum()          # finite values, but d sqrt(u)/du = inf at u = 0
        with pytest.raises(FloatingPointError) as error:
            J.backward()
    message = str(error.value)
    assert "gradient" in message, message
    for part in ("u", "mul", "(2,)", "inf"):
        assert part in message, f"{part!r} missing from: {message}"


def test_backward_names_the_first_node_whose_value_is_not_finite():
    # Made outside the mode, NaN spreads from the log down to J; backward in
    # the mode must point at the log, where it started, not at J.
    x = mg.tensor([-1.0, 1.0], requires_grad=True, name="x")
    with np.errstate(invalid="ignore"):
        L = x.log().named("L")
        J = (L * 2).sum().named("J")
    with mg.detect_anomaly(), pytest.raises(FloatingPointError) as error:
        J.backward()
    message = str(error.value)
    assert "L" in message and "log" in message and "(2,)" in message, message
    assert "J" not in message.replace("detect_anomaly", ""), message


def test_outside_detect_anomaly_non_finite_values_pass_silently():
    x = mg.tensor([1.0, 0.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x.log()
        z = x / x
        J = (x * 1.0) ** 0.5
        J.backward(np.ones(2))
    assert y.data[1] == -np.inf and np.isnan(z.data[1]), f"log {y.data}, 0/0 {z.data}"
    assert x.grad[1] == np.inf, f"x.grad = {x.grad}"


def test_detect_anomaly_is_off_again_after_the_block_even_after_an_error():
    x = mg.tensor([0.0])
    with np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError), mg.detect_anomaly():
            x.log()
        assert x.log().data[0] == -np.inf


def test_detect_anomaly_lets_finite_graphs_through_unchanged():
    x = mg.tensor([0.5, 2.0], requires_grad=True)
    with mg.detect_anomaly():
        J = (x.log() * x).sum()
        J.backward()
    np.testing.assert_allclose(x.grad, np.log(x.data) + 1, rtol=1e-15)


# --- in-place operators: PyTorch's rules ---------------------------------------------
IN_PLACE = {
    "-=": (lambda t, u: t.__isub__(u), np.subtract),
    "+=": (lambda t, u: t.__iadd__(u), np.add),
    "*=": (lambda t, u: t.__imul__(u), np.multiply),
    "/=": (lambda t, u: t.__itruediv__(u), np.divide),
}


@pytest.mark.parametrize("symbol", sorted(IN_PLACE))
def test_in_place_on_a_leaf_that_requires_grad_with_grad_on_is_an_error_showing_the_fix(symbol):
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W[1]")
    with pytest.raises(RuntimeError, match=r"W\[1\] \(2,\), a leaf that requires grad") as error:
        IN_PLACE[symbol][0](W, 0.5)
    assert "with mg.no_grad(): W" in str(error.value) and f"W.data {symbol}" in str(error.value)
    assert W.data.tolist() == [1.0, 2.0] and W.op is None and W.parents == ()


@pytest.mark.parametrize("symbol", sorted(IN_PLACE))
@given(pair=broadcastable_pairs(second=lambda shape: arrays_away_from_zero(shape, margin=0.5)),
       requires_grad=st.booleans(), operand=st.sampled_from(["array", "tensor", "number"]))
def test_in_place_under_no_grad_updates_the_same_leaf_in_place(symbol, pair, requires_grad,
                                                               operand):
    x, u = pair
    if np.broadcast_shapes(x.shape, u.shape) != x.shape:
        u = u.reshape(-1)[:1].reshape(())   # a right side that keeps x's shape
    right = {"array": u, "tensor": mg.tensor(u, requires_grad=True), "number": float(u.flat[0])}
    right = right[operand]
    W = mg.tensor(x, requires_grad=requires_grad, name="W")
    array, version = W.data, W._version
    with mg.no_grad():
        result = IN_PLACE[symbol][0](W, right)
    assert result is W and W.data is array, "the same leaf, updated in its own array"
    assert W.op is None and W.parents == () and W.requires_grad == requires_grad
    expected = IN_PLACE[symbol][1](x, right.data if isinstance(right, mg.Tensor) else right)
    np.testing.assert_array_equal(W.data, expected)
    assert W._version == version + 1, "an in-place update must be visible to pending graphs"


def test_the_course_update_under_no_grad_keeps_the_graph_the_same_size_every_step():
    W = mg.tensor([[0.5, -0.3]], requires_grad=True, name="W")
    X = mg.tensor([[1.0, 2.0], [0.5, -1.0]])
    sizes = []
    for _ in range(3):
        W.zero_grad()
        J = (W @ X).tanh().sum()
        J.backward()
        with mg.no_grad():
            W -= 0.1 * W.grad
        sizes.append(len(mg.topological_order(J)))
    assert sizes == [sizes[0]] * 3 and W.op is None and W.requires_grad, sizes


def test_in_place_on_a_constant_with_grad_on_updates_it_in_place():
    c = mg.tensor([1.0, 2.0], name="c")
    array = c.data
    c += 1
    c *= mg.tensor([2.0, 3.0])
    assert c.data is array and c.data.tolist() == [4.0, 9.0] and c.op is None


def test_in_place_on_a_constant_with_a_right_side_that_requires_grad_makes_a_node():
    c = mg.tensor([1.0, 2.0], name="c")
    before = c
    W = mg.tensor([3.0, 4.0], requires_grad=True, name="W")
    c += W * W
    assert c is not before and c.op == "add" and before.data.tolist() == [1.0, 2.0]
    c.sum().backward()
    assert W.grad.tolist() == [6.0, 8.0]


@pytest.mark.parametrize("grad_on", [True, False])
def test_in_place_on_an_op_result_makes_a_new_node_and_keeps_the_old_one(grad_on):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    Z = x * x
    old = Z
    with contextlib.ExitStack() as stack:
        if not grad_on:
            stack.enter_context(mg.no_grad())
        Z -= 1.0
    assert Z is not old and old.data.tolist() == [1.0, 4.0] and Z.data.tolist() == [0.0, 3.0]
    old.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_in_place_that_would_change_the_shape_is_a_value_error_naming_the_tensor():
    c = mg.tensor([1.0, 2.0], name="c")
    with pytest.raises(ValueError, match=r"c \(2,\).*\(2, 2\)"):
        c += np.ones((2, 2))


def test_in_place_on_a_leaf_a_pending_graph_reads_is_an_error_naming_it():
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W")
    J = (W * W).sum()
    with mg.no_grad():
        with pytest.raises(RuntimeError, match=r"W \(2,\): a recorded graph uses its data"):
            W -= 1.0
    J.backward()
    with mg.no_grad():
        W -= 0.5 * W.grad
    assert W.data.tolist() == [0.0, 0.0]


def test_in_place_on_a_users_read_only_array_is_a_value_error():
    frozen = np.array([1.0, 2.0])
    frozen.setflags(write=False)
    c = mg.as_tensor(frozen, name="c")
    with pytest.raises(ValueError, match=r"c \(2,\): its data array is read-only"):
        c += 1


# --- a value never depends on the grad mode ------------------------------------------
@given(program=programs(), pair=broadcastable_pairs())
def test_a_value_is_the_same_inside_and_outside_no_grad(program, pair):
    x, y = (mg.tensor(a, requires_grad=True) for a in pair)
    with_grad = run_program(program, x, y).data
    with mg.no_grad():
        without = run_program(program, x, y).data
    np.testing.assert_array_equal(with_grad, without, err_msg=str(program))


@given(z=arrays((1, 3), -1e4, 1e4), y=labels((1, 3)), logits=st.booleans())
def test_the_cross_entropy_of_a_sigmoid_is_the_same_inside_and_outside_no_grad(z, y, logits):
    def cost(Z):
        if logits:
            return mg.binary_cross_entropy_with_logits(Z, y)
        return mg.binary_cross_entropy(Z.sigmoid(), y)

    Z = mg.tensor(z, requires_grad=True)
    with_grad = cost(Z)
    with mg.no_grad():
        without = cost(Z)
    assert with_grad.data == without.data, (z, y, with_grad.data, without.data)
    with_grad.backward()   # and the gradient of the recorded one is finite
    assert np.isfinite(Z.grad).all(), Z.grad


@pytest.mark.parametrize("symbol, op", [("-=", "sub"), ("+=", "add"), ("*=", "mul"), ("/=", "div")])
def test_each_in_place_operator_on_an_op_result_makes_the_matching_op(symbol, op):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    Z = IN_PLACE[symbol][0](x * 4.0, 2.0)
    assert Z.op == op and Z.data.tolist() == IN_PLACE[symbol][1](np.array([4.0, 8.0]), 2.0).tolist()


def test_every_in_place_update_is_seen_by_a_later_graph_too():
    W = mg.tensor([1.0, 2.0], requires_grad=True, name="W")
    for _ in range(2):   # the second update must be caught as well as the first
        J = (W * W).sum()
        J.backward()
        with mg.no_grad():
            W -= 0.25 * W.grad
        with pytest.raises(RuntimeError, match=r"W \(2,\) was changed"):
            J.backward()


def test_anomaly_messages_name_an_unnamed_leaf_and_the_first_bad_entry():
    x = mg.tensor([1.0, np.nan, np.inf], requires_grad=True)
    J = (x * 1.0).sum()
    with mg.detect_anomaly(), pytest.raises(FloatingPointError) as error:
        J.backward()
    assert str(error.value) == ("detect_anomaly: value of unnamed (op leaf, shape (3,)) "
                                "is not finite (nan at (1,))"), str(error.value)
    with mg.detect_anomaly(), pytest.raises(FloatingPointError) as error:
        mg.tensor(np.inf).exp()
    assert "a non-finite value (inf) of shape ()" in str(error.value), str(error.value)


@pytest.mark.parametrize("view", [mg.identity, lambda A: A.T, lambda A: A.reshape(-1)])
def test_a_view_made_under_no_grad_is_a_copy_that_cannot_write_the_tensor_it_views(view):
    # P is a leaf, whose data is its own array: a view of A's memory would let
    # P += 1 write A under tanh's VJP, or X under a graph that reads X
    W = mg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    A = (W @ mg.tensor([[1.0], [2.0]])).tanh()
    J = A.sum()
    before = A.data.copy()
    with mg.no_grad():
        P = view(A)
    with pytest.raises(ValueError, match=r"a copy that x.T or x.reshape\(...\) made under "
                                         r"no_grad: update x itself"):
        P += 1.0   # an update through a copy would change nothing: refused, not lost
    assert np.array_equal(A.data, before) and not np.shares_memory(P.data, A.data)
    J.backward()
    np.testing.assert_allclose(W.grad, (1 - before ** 2) @ np.array([[1.0, 2.0]]), rtol=1e-15)
    X = mg.tensor([[1.0, 2.0]])
    with mg.no_grad():
        XT = X.T
    J = (W @ XT).sum()
    X.data[0, 0] = 5.0   # X is not under J: XT has its own copy
    J.backward()
    assert XT.data.tolist() == [[1.0], [2.0]]


def test_ops_skip_the_thread_local_only_while_no_mode_block_is_open_anywhere():
    # ops read the thread-local modes only while a block is open (a count kept by
    # the blocks); the count must come back to 0 after blocks that end, raise or
    # are used as decorators, and be above 0 inside each, nested or not
    engine = importlib.import_module("minigrad.tensor")
    w = mg.tensor([1.0], requires_grad=True)
    assert engine._open_mode_blocks == 0
    with mg.no_grad():
        assert engine._open_mode_blocks == 1 and not (w * 2).requires_grad
        with mg.detect_anomaly():
            assert engine._open_mode_blocks == 2
            with pytest.raises(FloatingPointError):
                mg.tensor([np.inf]) * 2.0
    with pytest.raises(KeyError), mg.detect_anomaly():
        raise KeyError("inside")

    @mg.no_grad()
    def doubled(t):
        return t * 2
    assert not doubled(w).requires_grad
    assert engine._open_mode_blocks == 0
    assert (w * 2).requires_grad and not engine._modes.anomaly
    assert np.isinf((mg.tensor([np.inf]) * 2.0).data).all()   # no anomaly mode left on
