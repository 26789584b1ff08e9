"""mg.record / Tape.replay and fit(method="replay"): the eager engine's numbers
bit for bit (np.array_equal, every node's value and gradient) on new values,
for random sizes, depths, activations and expressions; a changed structure is
recorded again or refused, never replayed stale."""
import copy
import functools
import gc
import importlib
import json
import logging
import pickle
import random
import re
import threading
import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nets
import nets.replay_step
from minigrad.functional import CheckedLabels
from minigrad.replay_kernels import OPS
from nets import DeepNet, LogisticRegression, TwoLayerNet
from tests.strategies import (activations_with_params, computation_graphs, every_float_arrays,
                              replayed_op_cases,
                              labelled_data, labels)


def eager(build, values):
    """Every node of build(*leaves) by the eager engine: {name: (value, grad)}."""
    leaves = [mg.tensor(v.copy(), requires_grad=True, name=f"x{i}") for i, v in enumerate(values)]
    root = build(*leaves)
    root.backward()
    return root, {id_: t for id_, t in enumerate(mg.topological_order(root))}


# Correctly rounded by IEEE 754: every numpy kernel gives the same bits, in place or not.
EXACT_UFUNCS = {np.add, np.subtract, np.multiply, np.divide, np.negative, np.absolute,
                np.maximum, np.minimum, np.sign, np.copysign, np.sqrt, np.square,
                np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal}


def inexact_calls_in_place(tape):
    """The tape's kernels that run an inexact ufunc (exp, log, tanh, ...) with an
    output sharing memory with an input. The eager ops never do, and numpy may
    pick another kernel in place: numpy 1.22 does for one element, where exp
    and log come out 1 ulp apart, so replay and fit differed at m = n_h = 1."""
    found = []
    for kernel in tape._kernels:
        func = getattr(kernel, "func", None)
        if not isinstance(func, np.ufunc) or func in EXACT_UFUNCS:
            continue
        ins = [a for a in kernel.args[:func.nin] if isinstance(a, np.ndarray)]
        outs = [a for a in (*kernel.args[func.nin:], kernel.keywords.get("out"))
                if isinstance(a, np.ndarray)]
        if any(np.shares_memory(x, o) for x in ins for o in outs):
            found.append(func.__name__)
    return found


def test_the_in_place_check_sees_an_exp_in_place():
    x = mg.tensor(np.ones((1, 1)), requires_grad=True)
    tape = mg.record(lambda: x.exp().sum(), [x])
    assert inexact_calls_in_place(tape) == []
    e = tape._kernels[0].args[1]   # the exp op's output
    tape._kernels.insert(0, functools.partial(np.exp, e, e))
    assert inexact_calls_in_place(tape) == ["exp"]


def same_bits(a, b):
    """Bit for bit: -0.0 is not 0.0 (np.array_equal takes them as equal); a NaN
    is any NaN (its payload is no number)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    keep = ~np.isnan(a)
    return np.array_equal(a[keep].view(np.int64), b[keep].view(np.int64))


def test_same_bits_tells_signed_zeros_apart_and_takes_any_nan():
    assert same_bits(np.array([0.0, np.nan]), np.array([0.0, -np.nan]))
    assert not same_bits(np.array([0.0]), np.array([-0.0]))
    assert not same_bits(np.array([1.0]), np.array([np.nan]))
    assert not same_bits(np.zeros((1, 2)), np.zeros((2, 1)))


def assert_replay_is_eager(build, first, second, intermediates=True):
    """Record build(*leaves) at ``first``, replay at ``second``: equal to eager at
    ``second`` (every node; without intermediates the root and the leaves, and
    the other nodes' values and gradients are refused)."""
    leaves = [mg.tensor(v.copy(), requires_grad=True, name=f"x{i}") for i, v in enumerate(first)]
    tape = mg.record(lambda: build(*leaves), leaves, intermediates=intermediates)
    assert inexact_calls_in_place(tape) == []
    J = tape.replay(*second)
    root, nodes = eager(build, second)
    assert same_bits(J, root.item()), (J, root.item())
    recorded = tape.nodes
    assert [t.op for t in recorded] == [t.op for t in nodes.values()]
    for mine, theirs in zip(recorded, nodes.values()):
        label = f"{theirs.op or 'leaf'} {theirs.shape}"
        if not intermediates and theirs.op is not None and mine is not recorded[-1]:
            with pytest.raises(KeyError, match="intermediates=False"):
                tape.value(mine)
            with pytest.raises(KeyError, match="intermediates=False"):
                tape.grad(mine)
            continue
        assert same_bits(tape.value(mine), theirs.data), label
        if theirs.grad is None:
            assert tape.grad(mine) is None, label
        else:
            assert same_bits(tape.grad(mine), theirs.grad), label


# --- the networks' graphs ------------------------------------------------------
def net_loss(layer_dims, activation, X, Y):
    def build(*params):
        A = mg.tensor(X, name="X")
        L = len(layer_dims) - 1
        for l in range(1, L + 1):
            Z = params[2 * l - 2] @ A + params[2 * l - 1]
            if l < L:
                A = nets.activations.get(activation).op(Z)
        return mg.binary_cross_entropy_with_logits(Z, mg.tensor(Y))
    return build


def random_params(layer_dims, rng, scale):
    out = []
    for n_in, n_out in zip(layer_dims[:-1], layer_dims[1:]):
        out += [rng.randn(n_out, n_in) * scale, rng.randn(n_out, 1) * scale]
    return out


@pytest.mark.parametrize("intermediates", [True, False])
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(1, 3),
       activations_with_params(), st.integers(0, 10**6), st.data())
def test_replaying_a_network_equals_eager_bit_for_bit(intermediates, hidden, n_x, activation,
                                                      seed, data):
    X, Y = data.draw(labelled_data(n_x, max_m=12))
    dims = [n_x, *hidden, 1]
    rng = np.random.RandomState(seed)
    first, second = random_params(dims, rng, 1.0), random_params(dims, rng, 1.0)
    assert_replay_is_eager(net_loss(dims, activation, X, Y), first, second, intermediates)


@given(activations_with_params(), st.integers(1, 3), st.lists(st.integers(1, 6), max_size=3),
       st.integers(0, 1000), st.sampled_from([0.1, 1.2]), st.data())
def test_fit_replay_is_fit_autograd_bit_for_bit(activation, n_x, hidden, seed, learning_rate,
                                                data):
    # n_x = 1 (W[1] X an outer product), m = 1, and every depth: logistic
    # regression (no hidden layer), the two-layer net, a DeepNet
    X, Y = data.draw(labelled_data(n_x, max_m=12))

    def make():
        if not hidden:
            return LogisticRegression(n_x, init="random", scale=0.5, seed=seed)
        if len(hidden) == 1:
            return TwoLayerNet(n_x, hidden[0], activation=activation, scale=0.5, seed=seed)
        return DeepNet([n_x, *hidden, 1], activation=activation, scale=0.5, seed=seed)
    a, b = make(), make()
    auto, auto_error = fit_until_it_diverges(b, X, Y, learning_rate, "autograd")
    replay, replay_error = fit_until_it_diverges(a, X, Y, learning_rate, "replay")
    # a deep net at learning rate 1.2 can diverge: then both at the same step
    assert np.array_equal(replay, auto) and replay_error == auto_error, (replay_error, auto_error)
    for name in a.params:
        assert np.array_equal(a.params[name], b.params[name], equal_nan=True), name


def fit_until_it_diverges(net, X, Y, learning_rate, method):
    """The costs of a 50-step fit up to where it stops, and fit's error there, if any."""
    costs = []
    with np.errstate(all="ignore"):
        try:
            net.fit(X, Y, iterations=50, learning_rate=learning_rate, method=method,
                    callback=lambda i, J: costs.append(J))
        except FloatingPointError as error:
            return costs, str(error)
    return costs, None


def test_fit_replay_reproduces_the_course_and_leaves_earlier_arrays_alone():
    X, Y = nets.data.flower(m=400, seed=1)
    net, twin = TwoLayerNet(2, 4, seed=2), TwoLayerNet(2, 4, seed=2)
    held = net.params["W[1]"]
    before = held.copy()
    costs = net.fit(X, Y, iterations=1001, learning_rate=1.2, method="replay")
    np.testing.assert_allclose([costs[0], costs[1000]], [0.693048, 0.288083], atol=5e-7)
    assert np.array_equal(costs, twin.fit(X, Y, iterations=1001, learning_rate=1.2))
    np.testing.assert_array_equal(held, before)


# --- expressions: every op the tape replays, broadcasting, a node used twice ------
EXPRESSIONS = {
    "broadcast add, mul, sub": lambda a, b: ((a * b - b) + a.sum(axis=1, keepdims=True)).mean(),
    "div and neg": lambda a, b: (-(a / (b * b + 1.0))).sum(),
    "exp, log, tanh, sigmoid": lambda a, b: (mg.log(mg.exp(a) + 1.0) * mg.tanh(b)
                                              + mg.sigmoid(a)).mean(),
    "relu, identity, transpose, matmul": lambda a, b: (mg.relu(a).T @ mg.identity(b)).sum(),
    "a node used three times": lambda a, b: ((a * a) * a + a * b).sum(),
    # numpy computes x ** 2, ** 0.5 and ** -1 with other calls than np.power
    "pow: 2, 3, 0.5, -1, 0": lambda a, b: ((a - b) ** 2 + a ** 3.0 + (b * b + 1.0) ** 0.5
                                           + (a * a + 1.0) ** -1 + b ** 0).mean(),
    "sum and mean over axes, without keepdims": lambda a, b: (
        a.sum(axis=0) * b.mean(axis=-1).sum() + (a * b).mean(axis=(0, 1))).sum(),
    "reshape, also of a transposed view": lambda a, b: (
        a.reshape(-1) * b.T.reshape(-1) + a.T.reshape(a.size).mean()).sum(),
    # numpy keeps X.T's memory order in a * b and tanh: Fortran-ordered results,
    # which a sum adds in memory order (the tape's buffers must be laid out alike)
    "elementwise on transposes, then sums": lambda a, b: (
        (a.T * b.T).sum(axis=0).sum() + mg.tanh(a.T).mean() + (mg.sigmoid(b.T) ** 2).sum()),
    "cross-entropy of a sigmoid": lambda a, b: mg.binary_cross_entropy(
        mg.sigmoid((a - b).sum(axis=0, keepdims=True)),
        mg.tensor((np.arange(a.shape[1]) % 2).reshape(1, -1))),
}


@pytest.mark.parametrize("intermediates", [True, False])
@pytest.mark.parametrize("name", list(EXPRESSIONS))
@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 10**6))
def test_replaying_expressions_equals_eager_bit_for_bit(name, intermediates, n, m, seed):
    rng = np.random.RandomState(seed)
    shapes = [(n, m), (n, m)] if name != "relu, identity, transpose, matmul" else [(n, m), (n, 3)]
    if name == "broadcast add, mul, sub":
        shapes = [(n, m), (n, 1)]
    first = [rng.randn(*s) for s in shapes]
    second = [rng.randn(*s) for s in shapes]
    assert_replay_is_eager(EXPRESSIONS[name], first, second, intermediates)


# --- never a stale graph -------------------------------------------------------------
def test_a_new_shape_records_again_from_the_function():
    W = mg.tensor(np.ones((2, 3)), requires_grad=True)
    tape = mg.record(lambda: mg.tanh(W).sum(), [W])
    bigger = np.full((4, 5), 0.5)
    J = tape.replay(bigger)
    assert J == np.tanh(bigger).sum()
    assert tape.grad(tape.leaves[0]).shape == (4, 5)


def test_a_new_shape_is_refused_for_a_tape_of_a_built_graph():
    W = mg.tensor(np.ones((2, 3)), requires_grad=True, name="W")
    tape = mg.record(mg.tanh(W).sum(), [W])
    with pytest.raises(ValueError, match=r"shapes changed \(\[\(2, 3\)\] -> \[\(4, 5\)\]\), and "
                                         r"this tape was recorded from a built graph"):
        tape.replay(np.ones((4, 5)))


def test_a_guard_with_a_new_answer_records_the_other_branch():
    W = mg.tensor(np.ones((2, 2)), requires_grad=True)

    def loss():   # Python picks the op from the values: the tape cannot see this...
        return (mg.tanh(W) if W.data.sum() > 0 else mg.relu(W)).sum()
    tape = mg.record(loss, [W], guard=lambda w: bool(w.sum() > 0))   # ...the guard can
    negative = -np.ones((2, 2))
    assert tape.replay(negative) == 0.0                          # relu, not a stale tanh
    assert [t.op for t in tape.nodes] == [None, "relu", "sum"]
    assert tape.replay(np.ones((2, 2))) == np.tanh(np.ones((2, 2))).sum()
    assert [t.op for t in tape.nodes] == [None, "tanh", "sum"]


def logit_loss():
    """J of Z = W X against labels Y, X and Y constants of the tape."""
    W = mg.tensor(np.array([[0.5, -1.0]]), requires_grad=True, name="W")
    X = mg.tensor(np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]]), name="X")
    Y = mg.tensor(np.array([[1.0, 0.0, 1.0]]), name="Y")
    return W, X, Y, lambda: mg.binary_cross_entropy_with_logits(W @ X, Y)


def test_a_constant_stays_read_only_while_its_tape_lives():
    # the tape made Y's signs when it recorded: a label changed in place would
    # give J of the old labels and a gradient of the new ones
    W, X, Y, loss = logit_loss()
    tape = mg.record(loss, [W])
    for constant in (X, Y):
        with pytest.raises(ValueError, match="read-only"):
            constant.data[0, 0] = 0.0
    del tape
    gc.collect()
    X.data[0, 0] = Y.data[0, 0] = 0.0   # the tape is gone: writable again


def test_a_constant_given_a_new_array_is_a_new_graph_recorded_again():
    W, X, Y, loss = logit_loss()
    tape = mg.record(loss, [W])
    X.data = X.data * 2.0
    Y.data = 1.0 - Y.data
    J = tape.replay()
    eager = loss()   # the eager engine on the new X and Y
    eager.backward()
    assert J == eager.item()
    np.testing.assert_array_equal(tape.grad(tape.leaves[0]), W.grad)


def test_a_constant_given_a_new_array_is_refused_for_a_tape_of_a_built_graph():
    W, X, Y, loss = logit_loss()
    tape = mg.record(loss(), [W])
    X.data = X.data * 2.0
    with pytest.raises(ValueError, match=r"X \(2, 3\), a constant, was given a new array"):
        tape.replay()
    with pytest.raises(ValueError, match=r"X \(2, 3\), a constant"):
        tape.replay(np.ones((1, 2)))


def test_replay_with_no_values_uses_the_tapes_inputs_updated_in_place():
    W = mg.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    tape = mg.record(lambda: (W * W).sum(), [W])
    tape.inputs[0][:] = [[3.0, 4.0]]
    assert tape.replay() == 25.0
    np.testing.assert_array_equal(tape.grads[0], [[6.0, 8.0]])
    np.testing.assert_array_equal(W.data, [[1.0, 2.0]])   # the leaf itself is untouched


@pytest.mark.parametrize("values", [lambda tape: tape.inputs[::-1],
                                    lambda tape: (tape.flat_inputs[2:6], tape.inputs[0])],
                         ids=["inputs swapped", "a view across flat_inputs"])
def test_values_taken_from_the_tapes_own_inputs_are_read_before_any_is_written(values):
    # the copy into the first leaf's buffer overwrote what the second value read:
    # tape.replay(*reversed(tape.inputs)) gave both leaves the second's value
    W = mg.tensor(np.array([0.5, -1.0, 2.0, 0.25]), requires_grad=True, name="W")
    V = mg.tensor(np.array([3.0, 1.5, -2.0, 4.0]), requires_grad=True, name="V")

    def build(W, V):
        return (mg.tanh(W) * V * V).sum()
    tape = mg.record(lambda: build(W, V), [W, V])
    given = values(tape)
    w, v = (np.array(a) for a in given)   # what they hold when passed
    J = tape.replay(*given)
    Wt, Vt = mg.tensor(w, requires_grad=True), mg.tensor(v, requires_grad=True)
    E = build(Wt, Vt)
    E.backward()
    assert J == E.item(), (J, E.item())
    assert np.array_equal(tape.grads[0], Wt.grad) and np.array_equal(tape.grads[1], Vt.grad)


def _step_in_place(W, g):
    W.data -= 0.5 * g


def _step_to_a_new_array(W, g):
    W.data = W.data - 0.5 * g


def _step_into_the_array(W, g):
    np.subtract(W.data, 0.5 * g, out=W.data)   # no assignment: only the values tell


@pytest.mark.parametrize("update", [_step_in_place, _step_to_a_new_array, _step_into_the_array])
def test_replay_without_values_refuses_a_leaf_given_new_data_it_would_not_read(update):
    # the eager loop's update, then tape.replay(): the tape replayed its own inputs,
    # and gave the same J at every step while W moved (2.0296 three times over)
    W = mg.tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True, name="W")
    X = mg.tensor(np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]]), name="X")
    tape = mg.record(lambda: mg.tanh(W @ X).sum(), [W])
    update(W, tape.grads[0].copy())
    with pytest.raises(ValueError, match=r"the leaf W \(2, 2\) was given new data .* "
                                         r"replay\(\) with no values replays tape.inputs"):
        tape.replay()
    assert tape.replay(W.data) == mg.tanh(W @ X).sum().item()   # given: W's data
    tape.inputs[0][...] = 0.0
    assert tape.replay() == 0.0   # and, once given values, tape.inputs again


def test_recording_leaves_every_grad_as_it_was():
    W = mg.tensor(np.ones((2, 2)), requires_grad=True)
    W.grad = np.full((2, 2), 7.0)
    mg.record(lambda: (W * 2.0).sum(), [W])
    np.testing.assert_array_equal(W.grad, np.full((2, 2), 7.0))


def test_labels_of_a_replayed_y_are_checked_at_every_replay():
    Z = mg.tensor(np.zeros((1, 3)), requires_grad=True)
    Y = mg.tensor(np.array([[0.0, 1.0, 1.0]]))
    tape = mg.record(lambda: mg.binary_cross_entropy_with_logits(Z, Y), [Z, Y])
    with pytest.raises(ValueError, match=r"only 0 and 1; got 2.0 at \(0, 1\)"):
        tape.replay(np.zeros((1, 3)), np.array([[0.0, 2.0, 1.0]]))


@pytest.mark.parametrize("loss", [mg.binary_cross_entropy_with_logits, mg.binary_cross_entropy])
def test_a_label_or_probability_refused_at_a_replay_says_a_replay_refused_it(loss):
    # the replay's check said only "Y must hold only 0 and 1": nothing told the
    # learner it came from a recorded tape run on new values, nor which node
    A = mg.tensor(np.full((1, 3), 0.5), requires_grad=True, name="A")
    Y = mg.tensor(np.array([[0.0, 1.0, 1.0]]), name="Y")
    tape = mg.record(lambda: loss(A, Y).named("J"), [A, Y])
    op = loss.__name__
    with pytest.raises(ValueError, match=rf"^replay: the tape \(mg.record\) replays op {op} "
                                         rf"\(J\) on the values given to replay, and its input "
                                         rf"Y \(1, 3\) \(a leaf\) is refused: Y must hold "
                                         rf"only 0 and 1; got 2.0 at \(0, 1\)$"):
        tape.replay(np.full((1, 3), 0.5), np.array([[0.0, 2.0, 1.0]]))
    # a wrong shape makes the tape run f again: the eager op's message, said to
    # come from that
    with pytest.raises(ValueError, match=r"^replay: the leaves' shapes changed \(\[\(1, 3\), "
                                         r"\(1, 3\)\] -> \[\(1, 3\), \(1, 4\)\]\), so the "
                                         r"tape ran f again .*, which raised: "
                                         rf"{op}: A \(1, 3\), Y \(1, 4\): .*same shape"):
        tape.replay(np.full((1, 3), 0.5), np.ones((1, 4)))
    y = np.array([[0.0, 1.0, 1.0]])
    assert tape.replay(np.full((1, 3), 0.5), y) == loss(np.full((1, 3), 0.5), y).item()
    # the eager engine's own messages are unchanged
    with pytest.raises(ValueError, match=rf"^{op}: A \(1, 3\), tensor \(1, 3\): Y must hold"):
        loss(A, np.array([[0.0, 2.0, 1.0]]))


@pytest.mark.parametrize("loss", [mg.binary_cross_entropy_with_logits, mg.binary_cross_entropy])
@pytest.mark.parametrize("read_only", [True, False])
def test_labels_given_as_a_view_are_read_at_every_replay(loss, read_only):
    # the op keeps a float64 view as it is; the tape cannot lock its base, through
    # which the labels changed: the logit loss's signs, made once, gave 0.571 for
    # eager's 0.638, and a label 2.0 went through unchecked (both losses)
    y = np.array([[0.0, 1.0, 1.0]])
    Y = y[:, :]
    Y.flags.writeable = not read_only
    Z = mg.tensor(np.full((1, 3), 0.3), requires_grad=True, name="Z")
    tape = mg.record(lambda: loss(Z, Y), [Z])
    y[0, 0], y[0, 2] = 1.0, 0.0
    value = np.array([[0.2, 0.7, 0.4]])
    V = mg.tensor(value, requires_grad=True)
    E = loss(V, Y)
    E.backward()
    assert tape.replay(value) == E.item(), (tape.replay(value), E.item())
    assert np.array_equal(tape.grads[0], V.grad)
    y[0, 1] = 2.0
    with pytest.raises(ValueError, match=r"^replay: .* its input tensor \(1, 3\) \(a constant, "
                                         r"read at each replay\) is refused: Y must hold only 0 "
                                         r"and 1; got 2.0"):
        tape.replay(value)


@pytest.mark.parametrize("loss", [mg.binary_cross_entropy_with_logits, mg.binary_cross_entropy])
def test_labels_written_through_a_view_taken_before_recording_are_read_at_every_replay(loss):
    # Y owns its memory, so the tape checked it once and made its signs once,
    # and locked it; but v = Y[:, :], taken before the lock, stays writable:
    # the logit loss replayed 0.817 for eager's 0.692, and a label 0.5 went
    # through unchecked (both losses)
    Y = np.array([[0.0, 1.0, 0.0, 1.0]])
    v = Y[:, :]
    Z = mg.tensor([[0.5, 0.3, 0.1, 0.9]], requires_grad=True, name="Z")
    tape = mg.record(lambda: loss(Z, mg.as_tensor(Y, name="Y")), [Z])
    v[0, 0] = 1.0
    V = mg.tensor(Z.data, requires_grad=True)
    E = loss(V, Y)
    E.backward()
    assert tape.replay(Z.data) == E.item()
    assert np.array_equal(tape.grads[0], V.grad)
    v[0, 1] = 0.5
    with pytest.raises(ValueError, match=r"^replay: .* its input Y \(1, 4\) \(a constant, "
                                         r"read at each replay\) is refused: Y must hold only 0 "
                                         r"and 1; got 0.5"):
        tape.replay(Z.data)


def test_fit_replay_checks_its_private_labels_once():
    # fit's labels are a read-only copy nobody else holds: no check per replay
    X, Y = np.random.RandomState(0).randn(2, 5), np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    step = nets.replay_step.ReplayStep(TwoLayerNet(2, 3, seed=0), X, CheckedLabels(Y).y, 0.5)
    assert not [k for k in step.tape._kernels if getattr(k, "__name__", "") == "kernel"]


def test_a_probability_computed_at_a_replay_and_refused_names_its_op():
    Z = mg.tensor(np.zeros((1, 3)), requires_grad=True, name="Z")
    tape = mg.record(lambda: mg.binary_cross_entropy(mg.sigmoid(Z) * 2.0, np.ones((1, 3))), [Z])
    with pytest.raises(ValueError, match=r"^replay: .* replays op binary_cross_entropy on the "
                                         r"values given to replay, and its input <mul> \(1, 3\) "
                                         r"\(computed at each replay by op mul\) is refused: "
                                         r"A must hold probabilities in \[0, 1\]; got 1.46"):
        tape.replay(np.ones((1, 3)))


@pytest.mark.parametrize("make, message", [
    (lambda W: mg.record(lambda: (W.sum(axis=0) @ W).sum(), [W]), r"2-D matmul only"),
    (lambda W: mg.record(lambda: W * 2.0, [W]), r"one-element tensor"),
    (lambda W: mg.record(lambda: W.sum(), [W * 2.0]), r"leaves must be leaf tensors"),
    (lambda W: mg.record(lambda: W.sum(), [mg.tensor(1.0, name="V")]),
     r"V \(\) is not part of the graph"),
    (lambda W: mg.record(lambda: W.sum(), [W]).replay(np.ones((2, 2)), np.ones(2)), r"2 values"),
    (lambda W: mg.record(lambda: W.sum(), [W, W]), r"listed twice"),
])
def test_what_a_tape_cannot_do_is_a_clear_error(make, message):
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    with pytest.raises(ValueError, match=message):
        make(W)


def test_an_op_the_tape_has_no_kernels_for_is_named_with_the_ones_it_has():
    from minigrad.ops import op

    @op("cube")
    def cube(x):
        return x ** 3, (lambda g: 3 * g * x * x,)
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    with pytest.raises(ValueError, match=r"cannot replay op 'cube' \(<cube> \(2, 2\)\); "
                                         r"ops a tape replays: add, .*, pow, relu, reshape"):
        mg.record(lambda: cube(W).sum(), [W])


def test_a_leaky_relu_slope_no_recorded_value_shows_is_the_ops_own():
    # every recorded input > 0 (or = 0): the values show no slope; the node keeps it
    for start in (np.ones((1, 2)), np.zeros((1, 2))):
        W = mg.tensor(start, requires_grad=True)
        tape = mg.record(lambda: mg.leaky_relu(W, alpha=0.2).sum(), [W])
        J = tape.replay(np.array([[-1.0, 2.0]]))
        assert J == -0.2 + 2.0
        np.testing.assert_array_equal(tape.grads[0], [[0.2, 1.0]])
    V = mg.tensor(np.ones((1, 2)), requires_grad=True)
    built = mg.record(mg.leaky_relu(V, alpha=0.2).sum(), [V])
    assert built.replay(np.array([[-1.0, 2.0]])) == -0.2 + 2.0


def test_a_leaky_relu_with_alpha_zero_replays_relu_bit_for_bit_also_at_minus_infinity():
    W = mg.tensor(np.ones((1, 3)), requires_grad=True)
    tape = mg.record(lambda: (mg.leaky_relu(W, alpha=0.0) * 2.0).sum(), [W])
    new = np.array([[-np.inf, -1.0, 3.0]])
    J = tape.replay(new)
    V = mg.tensor(new, requires_grad=True)
    eager = (mg.leaky_relu(V, alpha=0.0) * 2.0).sum()
    eager.backward()
    assert J == eager.item() == 6.0
    np.testing.assert_array_equal(tape.grads[0], V.grad)


def test_fit_replay_follows_autograd_when_a_leaky_relu_input_first_drops_below_zero():
    X, Y = np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 1.0, 0.0]])
    a = TwoLayerNet(1, 2, activation="leaky_relu", init="constant", scale=0.5)
    b = TwoLayerNet(1, 2, activation="leaky_relu", init="constant", scale=0.5)
    replay = a.fit(X, Y, iterations=30, learning_rate=2.0, method="replay")
    auto = b.fit(X, Y, iterations=30, learning_rate=2.0, method="autograd")
    assert np.array_equal(replay, auto)
    assert (b.params["W[1]"] < 0).any(), "the test needs an input of leaky_relu below 0"


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.3, 0.05, 1e-3, 0.0])
def test_a_leaky_relu_slope_written_as_a_short_decimal_replays_bit_for_bit(alpha):
    rng = np.random.RandomState(0)
    first, second = [rng.randn(3, 5)], [rng.randn(3, 5)]
    assert_replay_is_eager(lambda a: mg.leaky_relu(a * 1.7, alpha=alpha).sum(), first, second)


# --- intermediates=False: buffers shared, the numbers a step reads still eager's ----------
@given(computation_graphs(), st.integers(0, 10**6))
def test_a_tape_sharing_buffers_gives_eager_root_and_leaf_grads_on_random_graphs(build, seed):
    root = build()
    order = mg.topological_order(root)
    leaves = [t for t in order if t.op is None and t.requires_grad]
    root.backward()
    want = [t.grad.copy() for t in leaves]
    try:
        tape = mg.record(root, leaves, intermediates=False)
    except ValueError as error:   # what a tape refuses (a 1-D matmul, say), said why
        assert str(error).startswith("record: "), error
        return
    assert inexact_calls_in_place(tape) == []
    rng = np.random.RandomState(seed)
    # other values first, so that a buffer shared too early would hold stale numbers
    tape.replay(*[rng.randn(*t.shape) for t in leaves])
    J = tape.replay(*[t.data for t in leaves])
    assert J == root.item(), (J, root.item())
    for leaf, got, expected in zip(leaves, tape.grads, want):
        assert np.array_equal(got, expected, equal_nan=True), (leaf.shape, got, expected)


def two_layer_tape(n_h, m, intermediates):
    X, Y = np.random.RandomState(0).randn(2, m), (np.arange(m) % 2).reshape(1, m)
    g = TwoLayerNet(2, n_h, seed=1).graph(X, Y)
    params = [g[name] for name in ("W[1]", "b[1]", "W[2]", "b[2]")]
    return mg.record(g.loss, params, intermediates=intermediates)


def test_a_two_layer_tape_without_intermediates_holds_three_arrays_of_z1s_size():
    n_h, m = 50, 400
    big = n_h * m * 8   # bytes of Z[1], A[1], their gradients, W[1] X
    every = two_layer_tape(n_h, m, intermediates=True).nbytes
    shared = two_layer_tape(n_h, m, intermediates=False).nbytes
    # W[1] X and Z[1] (forward), then A[1]'s and Z[1]'s gradients (backward), take
    # turns in two arrays; A[1] lives from its tanh to tanh's VJP. What is left:
    # arrays of shape (1, m) and the parameters and their gradients.
    assert every >= 5 * big, every / big
    assert shared < 3.5 * big, shared / big


def test_flat_inputs_and_grads_hold_every_leaf_end_to_end():
    W = mg.tensor(np.ones((2, 3)), requires_grad=True)
    b = mg.tensor(np.ones((2, 1)), requires_grad=True)
    tape = mg.record(lambda: (mg.tanh(W * 0.5 + b) + b).sum(), [W, b], intermediates=False)
    tape.flat_inputs[:] = np.arange(8.0) / 8
    np.testing.assert_array_equal(tape.inputs[0], np.arange(6.0).reshape(2, 3) / 8)
    np.testing.assert_array_equal(tape.inputs[1], [[0.75], [0.875]])
    J = tape.replay()
    Wn, bn = (mg.tensor(a.copy(), requires_grad=True) for a in tape.inputs)
    eager_J = (mg.tanh(Wn * 0.5 + bn) + bn).sum()
    eager_J.backward()
    assert J == eager_J.item()
    np.testing.assert_array_equal(tape.flat_grads, np.concatenate([Wn.grad.ravel(),
                                                                     bn.grad.ravel()]))
    tape.flat_grads[:] = 7.0   # views, not copies
    assert all((g == 7.0).all() for g in tape.grads)


def test_flat_layouts_start_every_leaf_16_byte_aligned_as_a_fresh_array():
    # an odd-sized leaf would leave the next one 8 bytes off, and OpenBLAS's
    # Prescott ddot adds unaligned data in another order than eager's fresh arrays
    leaves = [mg.tensor(np.full(shape, 0.5), requires_grad=True)
              for shape in [(1, 3), (1, 1), (1, 3), (1, 1)]]
    W1, b1, W2, b2 = leaves
    tape = mg.record(lambda: (W2 @ mg.tanh(W1.T @ W1 + b1) + b2).sum(), leaves,
                     intermediates=False)
    tape.replay()
    flat_in, flat_grad = tape.flat_inputs, tape.flat_grads
    for value, grad in zip(tape.inputs, tape.grads):
        assert value.ctypes.data % 16 == 0 and grad.ctypes.data % 16 == 0
        # the same place in both layouts: one call W - lr dW updates them all
        assert value.ctypes.data - flat_in.ctypes.data == grad.ctypes.data - flat_grad.ctypes.data
    used = np.zeros(flat_in.shape, bool)
    for value in tape.inputs:
        start = (value.ctypes.data - flat_in.ctypes.data) // 8
        used[start:start + value.size] = True
    np.subtract(flat_in, 0.1 * flat_grad, out=flat_in)   # as fit does, gaps included
    assert (flat_in[~used] == 0).all() and (flat_grad[~used] == 0).all() and (~used).any()


def test_leaves_sharing_one_gradient_array_each_get_their_own():
    # x + y hands both leaves the same array as eager's VJP; the tape copies the second
    x = mg.tensor(np.ones((1, 3)), requires_grad=True)
    y = mg.tensor(np.ones((1, 3)), requires_grad=True)
    tape = mg.record(lambda: mg.tanh(x + y).sum(), [x, y])
    tape.replay()
    gx, gy = tape.grads
    assert not np.shares_memory(gx, gy)
    np.testing.assert_array_equal(gx, 1 - np.tanh(2.0) ** 2)
    np.testing.assert_array_equal(gy, gx)


def test_flat_grads_is_none_when_a_leaf_needs_no_gradient():
    x = mg.tensor(np.ones((1, 3)), requires_grad=True)
    c = mg.tensor(np.ones((1, 3)))
    tape = mg.record(lambda: (x * c).sum(), [x, c])
    assert tape.grads[1] is None and tape.flat_grads is None


def test_three_gradients_reaching_one_node_are_added_in_the_eager_order():
    # the graph's depth-first order would add -1 (from -x), 1/3 (the mean), then 1
    # (the sum); backward() goes newest node first: 1 - 1, then 1/3, which rounds otherwise
    x = mg.tensor(np.zeros((3, 1)), requires_grad=True)

    def loss():
        mean, negated = x.mean(axis=0, keepdims=True), -x
        return (x.sum() + mean.sum()) + negated.sum()
    J = loss()
    J.backward()
    assert x.grad[0, 0] == (1 - 1) + 1 / 3 != (-1 + 1 / 3) + 1
    for intermediates in (True, False):
        tape = mg.record(loss, [x], intermediates=intermediates)
        tape.replay(np.ones((3, 1)))
        np.testing.assert_array_equal(tape.grads[0], x.grad)


@given(every_float_arrays(st.tuples(st.just(1), st.integers(1, 12))), st.data())
def test_replayed_sigmoid_and_logit_loss_are_eager_at_every_float(z, data):
    # the tape builds σ's numerator where(Z >= 0, 1, e^-|Z|) as maximum(e^-|Z|, sign Z)
    y = data.draw(labels(z.shape))
    Z = mg.tensor(np.zeros(z.shape), requires_grad=True)
    tape = mg.record(lambda: mg.binary_cross_entropy_with_logits(Z, y) + mg.sigmoid(Z).sum(), [Z])
    sigmoid = next(t for t in tape.nodes if t.op == "sigmoid")
    with np.errstate(all="ignore"):   # inf - inf and the like: NaN, as eager makes them
        J = tape.replay(z)
        Ze = mg.tensor(z, requires_grad=True)
        Je = mg.binary_cross_entropy_with_logits(Ze, y) + mg.sigmoid(Ze).sum()
        Je.backward()
        A = mg.sigmoid(z).data
    assert np.array_equal(tape.value(sigmoid), A, equal_nan=True), (tape.value(sigmoid), A)
    assert np.array_equal(J, Je.item(), equal_nan=True), (J, Je.item())
    assert np.array_equal(tape.grads[0], Ze.grad, equal_nan=True), (tape.grads[0], Ze.grad)


@pytest.mark.parametrize("alpha, z", [
    (1e-200, -1e-200),                 # alpha Z rounds to 0, as for every tiny alpha
    (0.09735316728105328, -3.0),       # one input: 3 alpha rounds as 3 times its neighbour
])
def test_a_leaky_relu_slope_the_values_cannot_pin_replays_exactly(alpha, z):
    # values alone fit several slopes here; the node's own alpha decides
    first = [np.full((1, 1), z)]
    second = [np.array([[-7.0]])]
    assert_replay_is_eager(lambda a: mg.leaky_relu(a, alpha=alpha).sum(), first, second)


@pytest.mark.parametrize("alpha", [0.0, 0.09735316728105328, 0.01])
def test_a_leaky_relu_slope_the_values_pin_replays_bit_for_bit(alpha):
    # many inputs below 0 leave one float that fits, also for a 17-digit alpha
    rng = np.random.RandomState(1)
    first, second = [-np.abs(rng.randn(4, 25)) - 1.0], [rng.randn(4, 25)]
    assert_replay_is_eager(lambda a: mg.leaky_relu(a, alpha=alpha).sum(), first, second)


def test_a_tape_of_a_built_graph_without_it_lets_the_leaves_go():
    import gc
    import weakref
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    tape = mg.record(mg.tanh(W).sum(), [W], keep_graph=False)
    array = weakref.ref(W.data)
    assert tape.leaves == [W]
    del W
    gc.collect()
    assert array() is None and tape.leaves == []
    assert tape.replay(np.zeros((2, 2))) == 0.0
    np.testing.assert_array_equal(tape.grads[0], np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"1 leaves were recorded \(W \(2, 2\)\); got 2 values"):
        tape.replay(np.zeros((2, 2)), np.zeros((2, 2)))


def test_fit_replay_does_not_hold_the_parameter_arrays_it_started_from():
    import gc
    import weakref
    X, Y = nets.data.flower(m=40, seed=1)
    net = TwoLayerNet(2, 4, seed=2)
    first = weakref.ref(net.params["W[1]"])
    alive = []

    def callback(i, J):   # while the fit and its tape run
        gc.collect()
        alive.append(first() is not None)
    net.fit(X, Y, iterations=3, method="replay", callback=callback)
    assert alive == [False] * 3


def test_recording_holds_no_more_than_an_eager_backward_and_the_tapes_buffers():
    # the planning compile uses placeholders, not arrays: recording a tape costs
    # the eager pass it checks against, plus the buffers the tape keeps
    import tracemalloc

    def traced_peak(run):
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            result = run()
            return tracemalloc.get_traced_memory()[1] - base, result
        finally:
            tracemalloc.stop()
    n_h, m = 50, 4000
    X, Y = np.random.RandomState(0).randn(2, m), (np.arange(m) % 2).reshape(1, m)
    net = TwoLayerNet(2, n_h, seed=1)
    eager, _ = traced_peak(net.graph(X, Y).loss.backward)
    g = net.graph(X, Y)
    params = [g[name] for name in ("W[1]", "b[1]", "W[2]", "b[2]")]
    peak, tape = traced_peak(lambda: mg.record(g.loss, params, intermediates=False))
    assert peak <= eager + tape.nbytes, (peak / 1e6, eager / 1e6, tape.nbytes / 1e6)


def test_a_tape_refuses_a_no_grad_result_made_after_its_leaves():
    # S depends on W: replayed as a constant, it would stay at the recorded W
    rng = np.random.RandomState(0)
    W, X = mg.tensor(rng.randn(2, 3), requires_grad=True), mg.tensor(rng.randn(3, 4))

    def f():
        with mg.no_grad():
            S = (W @ X).sigmoid()
        return ((W @ X) * S).mean()
    with pytest.raises(ValueError, match=r"made by sigmoid under no_grad after the leaves"):
        mg.record(f, [W])
    with mg.no_grad():   # made before the leaf: it cannot depend on it
        H = mg.tanh(X)
    V = mg.tensor(rng.randn(2, 3), requires_grad=True)
    tape = mg.record(lambda: (V @ H).sum(), [V])
    assert tape.replay(np.ones((2, 3))) == 2 * H.data.sum()


@pytest.mark.parametrize("detached", [lambda W: W.data, lambda W: W.data.T,
                                      lambda W: W.data[:, :1]],
                         ids=["W.data", "W.data.T", "slice"])
def test_a_constant_holding_a_leafs_memory_is_refused(detached):
    # W * W.data: the op keeps W's own array as a constant; eager f() at new values
    # reads W's new data, the tape replayed W's recorded array (-0.15 for 0.99)
    W = mg.tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True, name="W")
    memory = r"the constant tensor \(2, .\) holds the memory of the leaf W \(2, 2\).*Use the leaf"
    D = detached(W)   # taken before f: f reads no value, its graph holds W's memory
    with pytest.raises(ValueError, match=memory):
        mg.record(lambda: (W * D).sum(), [W])
    # taken inside f, the read is refused first; a guard takes the read, not the memory
    with pytest.raises(ValueError, match=r"f read the value of W \(2, 2\) into Python \(.data\)"):
        mg.record(lambda: (W * detached(W)).sum(), [W])
    with pytest.raises(ValueError, match=memory):
        mg.record(lambda: (W * detached(W)).sum(), [W], guard=lambda w: 0)
    # a copy of another array is fine, and so is a constant of the same values
    C = mg.tensor(W.data, name="C")
    tape = mg.record(lambda: (W * C).sum(), [W])
    assert tape.replay(np.ones((2, 2))) == C.data.sum()


def test_a_tape_refuses_a_leaf_not_laid_out_in_c_order_and_fit_copies_its_parameters():
    W = mg.as_tensor(np.arange(8.0).reshape(1, 8)[:, ::2], requires_grad=True)
    with pytest.raises(ValueError, match=r"leaf tensor \(1, 4\) is not laid out in C order"):
        mg.record(lambda: (W @ W.T).sum(), [W])
    X, Y = nets.data.flower(m=40, seed=2)
    a, b = TwoLayerNet(2, 4, seed=1), TwoLayerNet(2, 4, seed=1)
    a.params = {k: np.asfortranarray(v) for k, v in a.params.items()}
    replay = a.fit(X, Y, iterations=5, learning_rate=1.0, method="replay")
    assert replay == b.fit(X, Y, iterations=5, learning_rate=1.0, method="autograd")


def test_a_new_shape_given_in_fortran_order_records_again_as_c_ordered_values():
    # the tape keeps its leaves C-ordered: a Fortran-ordered value of a new shape,
    # which records again, is taken as such a copy, and eager on it agrees
    W = mg.tensor(np.ones((2, 3)), requires_grad=True)
    tape = mg.record(lambda: mg.tanh(W @ mg.tensor(np.ones((W.shape[1], 2)))).sum(), [W])
    value = np.asfortranarray(np.random.RandomState(0).randn(4, 5))
    J = tape.replay(value)
    V = mg.tensor(value, requires_grad=True)   # tensor() copies in C order
    eager = mg.tanh(V @ mg.tensor(np.ones((5, 2)))).sum()
    eager.backward()
    assert J == eager.item() and np.array_equal(tape.grads[0], V.grad)


@pytest.mark.parametrize("transpose", [lambda W: W.T, lambda W: W.transpose(1, 0),
                                       lambda W: W.transpose(-1, 0), lambda W: W.transpose(0, 1),
                                       lambda W: W.T.T])
def test_a_transpose_replays_by_its_axes_also_of_a_symmetric_matrix(transpose):
    # the course's zero init and an identity are symmetric: their values cannot
    # show a swap, the op's axes can (the tape refused W.T of them, and
    # W.transpose(0, 1) of any matrix, saying "non-symmetric matrix only")
    rng = np.random.RandomState(0)
    for start in (np.zeros((3, 3)), np.eye(3), rng.randn(3, 3), rng.randn(2, 3)):
        W = mg.tensor(start, requires_grad=True, name="W")
        tape = mg.record(lambda: ((transpose(W) + 1) * mg.tanh(transpose(W))).sum(), [W])
        for value in (rng.randn(*start.shape), start, rng.randn(4, 2)):
            eager = mg.tensor(value, requires_grad=True)
            J = ((transpose(eager) + 1) * mg.tanh(transpose(eager))).sum()
            J.backward()
            assert tape.replay(value) == J.item()
            assert np.array_equal(tape.grads[0], eager.grad)


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (0, -1, 1), (0, 1, 2),
                                  (0,), (3, 1, 0, 2)])
def test_a_transpose_of_any_axes_replays_bit_for_bit_also_recorded_at_zero(axes):
    # recorded at W = 0, where the value and the gradient of (Wᵀ)² * C are 0 however
    # the axes go, so the tape's check of its recorded replay cannot see a wrong
    # permutation: replayed on other values it would be wrong unseen. The tape
    # refused more than two axes; it now replays the op's own axes.
    shape = {1: (3,), 3: (2, 3, 4), 4: (2, 3, 1, 4)}[3 if axes is None else len(axes)]
    rng = np.random.RandomState(0)

    def loss(W, C):
        V = W.T if axes is None else W.transpose(*axes)
        return (V * V * C + mg.tanh(V).sum(axis=0, keepdims=True)).sum()
    C = mg.tensor(rng.randn(*shape[::-1] if axes is None else
                            [shape[a] for a in axes]), name="C")
    W = mg.tensor(np.zeros(shape), requires_grad=True, name="W")
    tape = mg.record(lambda: loss(W, C), [W])
    for value in (rng.randn(*shape), np.zeros(shape), rng.randn(*shape)):
        eager = mg.tensor(value, requires_grad=True)
        J = loss(eager, C)
        J.backward()
        assert tape.replay(value) == J.item()
        assert np.array_equal(tape.grads[0], eager.grad), (tape.grads[0], eager.grad)


# --- a failed or refused replay leaves the tape as it was ----------------------------
def test_a_new_graph_the_tape_refuses_leaves_the_recorded_one_replaying():
    # (3, 3) records again; the new graph (a matmul of a 1-D operand, which a tape
    # does not replay) is refused. The tape must still be the (2, 2) one, not half
    # the new one: a second replay of the refused value replayed the (2, 2)
    # graph's kernels and said J = 58
    start = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = mg.tensor(start, requires_grad=True, name="W")

    def f():
        return (W.T @ W).sum() if W.shape == (2, 2) else W.reshape(-1) @ W.reshape(-1)
    tape = mg.record(f, [W])
    bigger = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    for _ in range(2):
        with pytest.raises(ValueError, match="2-D matmul only"):
            tape.replay(bigger)
        np.testing.assert_array_equal(W.data, start)   # the leaf's data as it was
    assert tape.replay() == (start.T @ start).sum()
    assert [a.shape for a in tape.inputs] == [(2, 2)]
    other = np.array([[0.5, -1.0], [2.0, 3.0]])
    assert tape.replay(other) == (other.T @ other).sum()



def test_an_interrupted_recording_again_leaves_the_recorded_tape_replaying():
    # Ctrl-C inside f while the tape records again for a new shape: the tape and
    # the leaf stay as they were, as for a refused graph (KeyboardInterrupt is no
    # Exception: a handler of Exception only kept half the new tape)
    start = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = mg.tensor(start, requires_grad=True, name="W")

    def f():
        if W.shape != (2, 2):
            raise KeyboardInterrupt
        return (W.T @ W).sum()
    tape = mg.record(f, [W])
    with pytest.raises(KeyboardInterrupt):
        tape.replay(np.ones((3, 3)))
    np.testing.assert_array_equal(W.data, start)
    assert [a.shape for a in tape.inputs] == [(2, 2)]
    other = np.array([[0.5, -1.0], [2.0, 3.0]])
    assert tape.replay(other) == (other.T @ other).sum()

@pytest.mark.parametrize("intermediates", [True, False])
def test_a_one_element_root_of_any_shape_replays_to_a_float(intermediates):
    # the course's J = -(1/m) (Y log(A)ᵀ + ...) is (1, 1): float() of it is a
    # TypeError on numpy 2, which record (checking) never met and replay did
    W = mg.tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True, name="W")
    X = mg.tensor(np.array([[1.0], [2.0], [3.0]]), name="X")
    tape = mg.record(lambda: mg.tanh(W @ X), [W], intermediates=intermediates)
    value = np.array([[0.1, 0.2, -0.3]])
    J = tape.replay(value)
    V = mg.tensor(value, requires_grad=True)
    eager = mg.tanh(V @ X)
    eager.backward()
    assert type(J) is float and J == eager.item()
    np.testing.assert_array_equal(tape.grads[0], V.grad)


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy,
                                       lambda tape: pickle.loads(pickle.dumps(tape))])
def test_a_tape_cannot_be_copied_or_pickled(duplicate):
    # a deep copy's views (W.T of the input buffer) no longer saw its buffers, so it
    # replayed the recorded values: 5.72 for tanh(0); a shallow copy shared them all
    W = mg.tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]]), requires_grad=True, name="W")
    tape = mg.record(mg.tanh(W.T).sum(), [W])
    with pytest.raises(TypeError, match=r"a tape cannot be copied or pickled.*mg.record"):
        duplicate(tape)
    assert tape.replay(np.zeros((2, 3))) == 0.0


def test_a_replay_while_the_tape_replays_in_another_thread_is_refused():
    # the two replays would write the same buffers: 8 threads replaying one tape got
    # 118 wrong costs in 240. The guard holds the first replay inside until the
    # second has been tried (events, no timing)
    inside, go_on = threading.Event(), threading.Event()

    def guard(w):
        if threading.current_thread() is not threading.main_thread():
            inside.set()
            go_on.wait()
        return None
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    tape = mg.record(lambda: mg.tanh(W).sum(), [W], guard=guard)
    got = []
    worker = threading.Thread(target=lambda: got.append(tape.replay(np.zeros((2, 2)))))
    worker.start()
    inside.wait()
    try:
        with pytest.raises(RuntimeError, match=r"replaying already.*a tape per thread"):
            tape.replay(np.ones((2, 2)))
    finally:
        go_on.set()
        worker.join()
    assert got == [0.0]
    assert tape.replay(np.ones((2, 2))) == np.tanh(np.ones((2, 2))).sum()   # free again


def test_a_ctrl_c_as_the_replay_takes_the_tape_leaves_it_free(monkeypatch):
    # Ctrl-C lands as a call returns: it arrived right after the tape's lock was
    # taken, before the try that releases it, and every later replay said
    # "replaying already". Raised here from the claim itself, after it took hold.
    from minigrad import replay as replay_module
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    tape = mg.record(lambda: mg.tanh(W).sum(), [W])
    real = replay_module._claim

    def interrupted(owner, token):
        assert real(owner, token), "the claim must succeed before the interrupt"
        raise KeyboardInterrupt
    monkeypatch.setattr(replay_module, "_claim", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tape.replay(np.zeros((2, 2)))
    monkeypatch.undo()
    assert tape.replay(np.zeros((2, 2))) == 0.0


def test_a_replay_from_inside_the_same_tapes_replay_is_refused():
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    tape = mg.record(lambda: mg.tanh(W).sum(), [W],
                     guard=lambda w: tape.replay() if w[0, 0] == 5.0 else None)
    with pytest.raises(RuntimeError, match="replaying already"):
        tape.replay(np.full((2, 2), 5.0))
    assert tape.replay(np.zeros((2, 2))) == 0.0


def test_an_op_result_made_before_f_and_given_new_data_is_refused():
    # H outlives f, which reads it: eager f() reads H's new data; the tape, which
    # replays H = tanh(X), gave J of the old H (4.72 for 0). A tape cannot replay
    # an op whose result is not the op's: recording it again says so, and so does
    # recording it in the first place (a replay of the recorded values differed)
    X = mg.tensor(np.arange(6.0).reshape(2, 3), name="X")
    H = mg.tanh(X).named("H")
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    f = lambda: (W @ H).sum()   # noqa: E731
    tape = mg.record(f, [W])
    H.data = np.zeros((2, 3))
    message = r"H \(2, 3\), an op's result, was given new data"
    for replay in (lambda: tape.replay(np.ones((1, 2))), tape.replay, lambda: mg.record(f, [W])):
        with pytest.raises(ValueError, match=message):
            replay()


def test_a_node_computed_before_its_input_got_a_new_array_is_refused_saying_so():
    # Xn = X / X.sum() made before f; X.data = ... then makes the tape record again,
    # and its check of the recorded values finds X.sum() stale. The error blamed
    # only memory layouts and kernels
    X = mg.tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), name="X")
    Xn = X / X.sum()
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    tape = mg.record(lambda: mg.tanh(W @ Xn).sum(), [W])
    X.data = X.data * 2
    with pytest.raises(RuntimeError, match=r"<sum> \(\) was computed \(outside f\) from a "
                                           r"tensor since given a new array"):
        tape.replay(np.ones((1, 2)))


def test_a_name_f_reads_bound_to_another_tensor_or_array_records_again():
    # X = mg.tensor(new) after recording: f() reads the new X, the tape replayed
    # the old one (1.41 for 0.99); likewise a global of a helper f calls
    rng = np.random.RandomState(0)
    W = mg.tensor(rng.randn(2, 2), requires_grad=True, name="W")
    X = mg.tensor(rng.randn(2, 3), name="X")
    module = {"mg": mg, "G": rng.randn(2, 3)}
    exec("def helper(W):\n    return (W @ G).sum()", module)   # G: the helper module's
    helper = module["helper"]

    def f(W):
        return mg.tanh(W @ X).sum() + helper(W)
    tape = mg.record(lambda: f(W), [W])

    def eager(value):
        V = mg.tensor(value, requires_grad=True)
        J = f(V)
        J.backward()
        return J.item(), V.grad
    value = rng.randn(2, 2)
    X = mg.tensor(rng.randn(2, 3), name="X2")   # f's closure
    J, grad = eager(value)
    assert tape.replay(value) == J
    assert np.array_equal(tape.grads[0], grad)
    module["G"] = rng.randn(2, 3)   # the helper's global
    J, grad = eager(value)
    assert tape.replay() == J   # without values: tape.inputs, which hold value
    assert np.array_equal(tape.grads[0], grad)


@pytest.mark.parametrize("source", [
    "def f(W):\n    return [(W @ G).sum() for _ in range(1)][0]",
    "def f(W):\n    g = lambda V: (V @ G).sum()\n    return g(W)"],
    ids=["a comprehension", "a lambda"])
def test_a_global_read_only_inside_a_lambda_or_comprehension_of_f_bound_anew_records_again(
        source):
    # G is read by the code nested in f, not by f's own: rebinding it must still
    # make the next replay record again, as a name f reads itself does
    rng = np.random.RandomState(3)
    W = mg.tensor(rng.randn(2, 2), requires_grad=True, name="W")
    module = {"mg": mg, "G": rng.randn(2, 3)}
    exec(source, module)
    f = module["f"]
    tape = mg.record(lambda: f(W), [W])
    module["G"] = rng.randn(2, 3)
    value = rng.randn(2, 2)
    V = mg.tensor(value, requires_grad=True)
    J = f(V)
    J.backward()
    assert tape.replay(value) == J.item()
    assert np.array_equal(tape.grads[0], V.grad)


@pytest.mark.parametrize("copied", [lambda G: mg.tensor(G), lambda G: G.astype(int)],
                         ids=["mg.tensor(G)", "an int array"])
def test_an_array_f_copies_into_its_graph_and_that_is_written_since_records_again(copied):
    # f copies the global G (mg.tensor(G), or an int array the op makes float64):
    # G[0, 0] = 100 after recording, and eager f() read it; the tape replayed the
    # copy made when it recorded (-4.08 for 263.45)
    rng = np.random.RandomState(1)
    W = mg.tensor(rng.randn(2, 2), requires_grad=True, name="W")
    G = np.round(rng.randn(2, 3) * 4)

    def f(W):
        return (W @ copied(G)).sum()
    tape = mg.record(lambda: f(W), [W])
    G[0, 0] = 100.0
    for value in (rng.randn(2, 2), None):
        V = mg.tensor(tape.inputs[0] if value is None else value, requires_grad=True)
        J = f(V)
        J.backward()
        assert (tape.replay() if value is None else tape.replay(value)) == J.item()
        assert np.array_equal(tape.grads[0], V.grad)


def test_a_name_f_could_not_read_when_it_recorded_makes_no_second_recording():
    # f names its own tape (in a branch not taken): the name is bound only once
    # record returns, which is no new graph, and f ran again at the first replay
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    calls = []

    def f():
        calls.append(1)
        if not calls:
            tape.replay()
        return mg.tanh(W).sum()
    tape = mg.record(f, [W])
    for value in (np.zeros((2, 2)), np.ones((2, 2))):
        assert tape.replay(value) == np.tanh(value).sum()
    assert len(calls) == 1


def test_a_leaf_f_reads_bound_to_another_tensor_is_refused_naming_it():
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    tape = mg.record(lambda: mg.tanh(W).sum(), [W])
    W = mg.tensor(np.zeros((2, 2)), requires_grad=True, name="W")   # noqa: F841
    with pytest.raises(ValueError, match=r"the name 'W', which f read when it recorded, is "
                                         r"bound to another object, so the tape ran f again "
                                         r".*leaf W \(2, 2\) is not part of the graph"):
        tape.replay(np.ones((2, 2)))


def test_an_op_result_of_a_built_graph_given_new_data_is_refused():
    X = mg.tensor(np.arange(6.0).reshape(2, 3), name="X")
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    H = mg.tanh(X).named("H")
    tape = mg.record((W @ H).sum(), [W])
    H.data = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"H \(2, 3\), an op's result, was given new data"):
        tape.replay(np.ones((1, 2)))


def test_a_replay_under_no_grad_that_records_again_records_with_grad_on():
    # a replay computes gradients whatever the grad mode; recording again under
    # no_grad built no graph and said "the root must be ... made by an op"
    W = mg.tensor(np.ones((2, 3)), requires_grad=True, name="W")
    tape = mg.record(lambda: mg.tanh(W).sum(), [W])
    with mg.no_grad():
        assert tape.replay(np.zeros((3, 3))) == 0.0
        assert mg.is_grad_enabled() is False
    np.testing.assert_array_equal(tape.grads[0], np.ones((3, 3)))


def test_a_guard_answer_must_be_hashable_and_is_told_so():
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    with pytest.raises(TypeError, match=r"guard must return a hashable .*got ndarray"):
        mg.record(lambda: W.sum(), [W], guard=lambda w: w > 0)


def test_an_in_place_update_of_a_constant_a_tape_reads_names_the_tape():
    # no backward releases a tape's hold: the error said only "run that backward first"
    X = mg.tensor(np.ones((2, 3)), name="X")
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    tape = mg.record(lambda: (W @ X).sum(), [W])
    with pytest.raises(RuntimeError, match=r"X \(2, 3\): .*a tape \(mg.record\) that reads it"):
        X += 1
    X.data = X.data + 1   # the way out the message gives: the tape records again
    assert tape.replay() == 12.0


def test_an_in_place_update_under_a_tape_of_a_built_graph_gives_a_way_out_that_is_true():
    # the message said a new array makes "the tape record again": a tape recorded
    # from a built graph cannot, and refuses it at replay
    X = mg.tensor(np.ones((2, 3)), name="X")
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    J = (W @ X).sum()
    tape = mg.record(J, [W])
    J.backward()
    with pytest.raises(RuntimeError, match=r"a tape of a built graph refuses it") as info:
        X += 1
    assert "the tape record again" not in str(info.value)
    X.data = X.data + 1
    with pytest.raises(ValueError, match="recorded from a built graph"):
        tape.replay()


def test_a_global_named_as_an_attribute_f_reads_makes_no_second_recording():
    # f reads net.loss; the loop binds a global `loss` (and `W`) at every step,
    # which f never reads: the tape ran f again at every replay
    module = {"mg": mg, "np": np}
    exec("class Net:\n"
         "    def __init__(self):\n"
         "        self.W = mg.tensor(np.ones((1, 2)), requires_grad=True)\n"
         "        self.X = mg.tensor(np.arange(6.0).reshape(2, 3))\n"
         "        self.calls = 0\n"
         "    def loss(self):\n"
         "        self.calls += 1\n"
         "        return mg.tanh(self.W @ self.X).sum()\n"
         "net = Net()\n"
         "loss, W = 0.0, None\n"
         "f = lambda: net.loss() + mg.tanh(net.W).sum()\n", module)
    net = module["net"]
    tape = mg.record(module["f"], [net.W])
    for _ in range(3):
        module["loss"] = tape.replay()
        module["W"] = tape.inputs[0]
        np.subtract(tape.inputs[0], 0.1 * tape.grads[0], out=tape.inputs[0])
    assert net.calls == 1, f"f ran {net.calls} times"


@pytest.mark.parametrize("how", ["f = partial", "f calls a partial by name",
                                 "f = a callable object", "a builtin rebound",
                                 "a class rebound"])
def test_a_name_read_through_a_partial_a_callable_or_a_builtin_or_class_rebound_records_again(how):
    # f a functools.partial or an object with __call__, or a partial f calls by
    # name: the names their functions read were not watched, and `scale = 2.0`
    # replayed the recorded 1.0; a global bound to max then min, or to a class
    # defined again (a notebook's cell run again), was skipped
    module = {"mg": mg, "np": np, "partial": functools.partial}
    exec("W = mg.tensor(np.ones((1, 2)), requires_grad=True)\n"
         "X = mg.tensor(np.arange(6.0).reshape(2, 3) / 6)\n"
         "scale, pick = 1.0, max\n"
         "class Scale:\n"
         "    k = 1.0\n"
         "def helper(W, X):\n"
         "    return (mg.tanh(W @ X) * scale * pick(1.0, 2.0) * Scale.k).sum()\n"
         "class Loss:\n"
         "    def __call__(self):\n"
         "        return helper(W, X)\n"
         "bound = partial(helper, W)\n"
         "fs = {'f = partial': partial(helper, W, X), 'f = a callable object': Loss(),\n"
         "      'f calls a partial by name': lambda: bound(X),\n"
         "      'a builtin rebound': lambda: helper(W, X),\n"
         "      'a class rebound': lambda: helper(W, X)}\n", module)
    f = module["fs"][how]
    tape = mg.record(f, [module["W"]])
    if how == "a builtin rebound":
        module["pick"] = min
    elif how == "a class rebound":
        module["Scale"] = type("Scale", (), {"k": 3.0})
    else:
        module["scale"] = 2.0
    assert tape.replay(np.ones((1, 2))) == f().item()


def test_a_leaf_holding_nan_is_not_taken_for_one_given_new_data():
    # the leaves' check compares without equal_nan first (30x cheaper), then with it
    W = mg.tensor(np.array([[np.nan, 1.0]]), requires_grad=True, name="W")
    tape = mg.record(lambda: (W * 2.0).sum(), [W])
    assert np.isnan(tape.replay())
    assert np.isnan(tape.replay())


def test_an_array_f_copies_a_part_of_while_the_graph_reads_another_records_again_when_written():
    # the graph reads a view of the global G (its first columns) and f copies
    # the rest (mg.tensor(G[:, 3:].copy())): G counted as read by the graph, so
    # no copy of it was kept, and a write into the copied part replayed the old
    # values (8.13 for eager's 57.73)
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    G = (np.arange(12.0).reshape(2, 6) / 10)[:, :]   # a view: no lock stops a write

    def f():
        return (mg.tanh(W @ G[:, :3]) + mg.tensor(G[:, 3:].copy())).sum()
    tape = mg.record(f, [W])
    G[0, 4] = 50.0
    assert tape.replay() == f().item()


def test_a_global_array_the_graph_reads_itself_is_not_copied_by_the_tape():
    # read at every replay (and locked), it needs no copy: X of 2 x 400k would
    # cost its size again and a comparison per replay
    module = {"mg": mg, "X": np.arange(6.0).reshape(2, 3),
              "W": mg.tensor(np.ones((1, 2)), requires_grad=True)}
    exec("f = lambda: mg.tanh(W @ X).sum()", module)
    tape = mg.record(module["f"], [module["W"]])
    assert [name for name, *_, copy in tape._names if copy is not None] == []


def test_a_leaf_whose_data_is_the_tapes_input_is_not_refused_at_replay():
    # W.data = tape.inputs[0], so that eager code sees the values the loop
    # updates in place: replay() replays exactly W's data, and was refused
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    X = mg.tensor(np.arange(6.0).reshape(2, 3) / 6, name="X")

    def f():
        return mg.tanh(W @ X).sum()
    tape = mg.record(f, [W])
    W.data = tape.inputs[0]
    for _ in range(3):
        assert tape.replay() == f().item()
        np.subtract(tape.inputs[0], 0.1 * tape.grads[0], out=tape.inputs[0])
    W.data = W.data + 1.0   # other values than the tape's: refused, as before
    with pytest.raises(ValueError, match=r"the leaf W \(1, 2\) was given new data"):
        tape.replay()


# --- what f reads besides names: defaults, a partial's arguments, attributes --------------
def _replay_equals_eager(tape, f, value):
    """tape.replay(value) against f() run eagerly with the tape's leaf at value."""
    J = tape.replay(value)
    (W,) = tape.leaves
    W.data = np.array(value, dtype=np.float64)
    W.grad = None
    root = f()
    root.backward()
    return J == root.item() and np.array_equal(tape.grads[0], W.grad)


def test_a_default_or_a_partials_array_written_or_a_default_rebound_records_again():
    # def f(G=G0): mg.tensor(G) copies G0 into the graph; G0[0] = 5 after
    # recording, and the tape replayed the copy (0.5 for eager's 0.9); likewise
    # an array given to a partial, and a keyword default given another number
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    G0 = np.array([[1.0], [2.0]])

    def with_default(G=G0):
        return (W @ mg.tensor(G)).sum()

    def with_keyword(*, p=2):
        return (W ** p).sum()
    given = functools.partial(lambda G: (W @ mg.tensor(G)).sum(), G0)
    tapes = [(f, mg.record(f, [W])) for f in (with_default, with_keyword, given)]
    G0[0] = 5.0
    with_keyword.__kwdefaults__["p"] = 3
    for f, tape in tapes:
        assert _replay_equals_eager(tape, f, np.array([[0.1, 0.2]])), f


def test_an_attribute_f_reads_bound_anew_records_again():
    # f = m.loss reads self.X, self.p and mod.X: given new objects after
    # recording, f() read them and the tape replayed the old ones (0.5 for 1.1)
    mod = types.ModuleType("course_data")
    mod.X = mg.tensor([[1.0], [2.0]])
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")

    class Model:
        p = 2   # a class attribute, then the instance's own

        def __init__(self):
            self.X = mg.tensor([[1.0], [2.0]])

        def loss(self):
            return (W @ self.X).sum() + (W ** self.p).sum() + (W @ mod.X).sum()

        @property
        def Xs(self):   # a property's getter reads _G
            return mg.tensor(self._G)

        def loss_of_property(self):
            return (W @ self.Xs).sum()
    m = Model()
    m._G = np.array([[1.0], [2.0]])
    changes = [lambda: setattr(m, "X", mg.tensor([[3.0], [4.0]])), lambda: setattr(m, "p", 3),
               lambda: setattr(mod, "X", mg.tensor([[5.0], [6.0]]))]
    for change in changes:
        tape = mg.record(m.loss, [W])
        change()
        assert _replay_equals_eager(tape, m.loss, np.array([[0.1, 0.2]]))
    tape = mg.record(m.loss_of_property, [W])
    m._G = np.array([[7.0], [8.0]])
    assert _replay_equals_eager(tape, m.loss_of_property, np.array([[0.1, 0.2]]))

    class Slotted:   # __slots__: no instance dict, the values live in the class's slots
        __slots__ = ("X",)

        def loss(self):
            return (W @ self.X).sum()
    s = Slotted()
    s.X = mg.tensor([[1.0], [2.0]])
    tape = mg.record(s.loss, [W])
    s.X = mg.tensor([[3.0], [4.0]])
    assert _replay_equals_eager(tape, s.loss, np.array([[0.1, 0.2]]))


def test_a_number_bound_anew_to_an_equal_number_makes_no_second_recording():
    # lr = 0.1 at every step: another float object, the same graph; -0.0 is not 0.0
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")

    class Config:
        pass
    cfg, calls = Config(), []
    cfg.scale = 2.0

    def f():
        calls.append(1)
        if cfg.scale == 3.0:
            raise ValueError("three")
        return (W * cfg.scale).sum()
    tape = mg.record(f, [W])
    cfg.scale = float("2.0")
    tape.replay(np.ones((1, 2)))
    assert len(calls) == 1
    cfg.scale = -0.0
    tape.replay(np.ones((1, 2)))
    cfg.scale = 0.0
    tape.replay(np.ones((1, 2)))
    assert len(calls) == 3
    cfg.scale = 3.0   # the message says what changed
    with pytest.raises(ValueError, match=r"the attribute 'cfg.scale', which f read when it "
                                         r"recorded, is bound to another object, so the tape "
                                         r"ran f again .* three"):
        tape.replay(np.ones((1, 2)))


@pytest.mark.parametrize("draw", [lambda: np.random.rand(1, 1), lambda: np.random.randn(),
                                  lambda: random.random()], ids=["rand", "randn", "random"])
def test_a_random_draw_inside_f_is_refused_and_a_mask_listed_as_a_leaf_replays(draw):
    # a dropout mask drawn inside f: the tape replayed the recorded mask at every
    # replay, where f() draws a new one, without a word
    W = mg.tensor(np.ones((1, 3)), requires_grad=True, name="W")
    with pytest.raises(ValueError, match=r"record: f drew random numbers .* Draw them outside "
                                         r"f, into a tensor listed in leaves"):
        mg.record(lambda: (W * draw()).sum(), [W])
    mask = mg.tensor(np.ones((1, 3)), name="mask")   # the way out the message gives
    tape = mg.record(lambda: (W * mask).sum(), [W, mask])
    assert tape.replay(np.ones((1, 3)), np.array([[1.0, 0.0, 1.0]])) == 2.0
    assert np.array_equal(tape.grads[0], [[1.0, 0.0, 1.0]])
    # run again for a new graph, f's draw is refused the same way
    calls = []

    def f():
        calls.append(1)
        return (W * (draw() if W.shape[1] == 4 else 1.0)).sum()
    tape = mg.record(f, [W])
    with pytest.raises(ValueError, match=r"the leaves' shapes changed .* f drew random numbers"):
        tape.replay(np.ones((1, 4)))
    assert tape.replay(np.ones((1, 3))) == 3.0


@pytest.mark.parametrize("intermediates", [True, False])
def test_a_replay_inside_detect_anomaly_raises_at_a_non_finite_value(intermediates):
    # inside mg.detect_anomaly() the eager engine stops at log's -inf; the replay
    # returned -inf without a word
    X = mg.tensor([[1.0, 2.0], [3.0, -1.0]], name="X")
    W = mg.tensor([[0.5, -0.3]], requires_grad=True, name="W")
    tape = mg.record(lambda: mg.log(mg.tanh(W @ X) + 1.0).sum(), [W],
                     intermediates=intermediates)
    node = r"unnamed \(op log, shape \(1, 2\)\)" if intermediates else \
        r"unnamed \(op sum, shape \(\)\) .* intermediates=False"
    with mg.detect_anomaly(), np.errstate(all="ignore"):
        assert tape.replay(np.array([[0.1, 0.2]])) == mg.log(mg.tanh(
            mg.tensor([[0.1, 0.2]]) @ X) + 1.0).sum().item()
        with pytest.raises(FloatingPointError, match=r"detect_anomaly: value of " + node):
            tape.replay(np.array([[-1e3, 0.2]]))
        with pytest.raises(FloatingPointError, match=r"detect_anomaly: value of W \(op leaf"):
            tape.replay(np.array([[np.nan, 0.2]]))
    with np.errstate(all="ignore"):   # outside it, the replay gives eager's -inf
        assert tape.replay(np.array([[-1e3, 0.2]])) == -np.inf


def test_a_replay_inside_detect_anomaly_raises_at_a_non_finite_gradient():
    # sqrt at 0: a finite value, an infinite slope
    W = mg.tensor([[1.0, 4.0]], requires_grad=True, name="W")
    tape = mg.record(lambda: (W ** 0.5).sum(), [W])
    with mg.detect_anomaly(), np.errstate(all="ignore"):
        with pytest.raises(FloatingPointError, match=r"detect_anomaly: gradient of W \(op leaf"):
            tape.replay(np.array([[0.0, 4.0]]))


def test_a_leaf_frozen_or_unfrozen_since_recording_records_again_or_is_refused():
    # W.requires_grad = False (a layer frozen): eager gives W no gradient, and a
    # loop updating what has one leaves W alone; the tape still gave W one
    W = mg.tensor([[0.5, -0.3]], requires_grad=True, name="W")
    b = mg.tensor([[0.5]], requires_grad=True, name="b")

    def f():
        return mg.tanh(W * 2.0 + b).sum()
    tape, built = mg.record(f, [W, b]), mg.record(f(), [W, b])
    for requires in (False, True):
        W.requires_grad = requires
        for values in ([np.array([[1.0, 2.0]]), np.array([[0.3]])], []):
            J = tape.replay(*values)
            W.grad = b.grad = None
            root = f()
            root.backward()
            assert J == root.item()
            assert (tape.grads[0] is None) == (W.grad is None) == (not requires)
            assert np.array_equal(tape.grads[1], b.grad)
    W.requires_grad = False
    with pytest.raises(ValueError, match=r"replay: the leaf W \(1, 2\) was given "
                                         r"requires_grad=False since the tape recorded it, and "
                                         r"this tape was recorded from a built graph"):
        built.replay(W.data, b.data)


# --- every op the tape replays, at any float: eager's bits, NaN and ±inf included ---------
# every op of the tape's table: one added without a case in replayed_op_cases fails here
@pytest.mark.parametrize("name", sorted(OPS))
@given(st.data(), st.booleans())
def test_every_op_replays_eager_bit_for_bit_at_any_float(name, data, intermediates):
    # recorded at one set of values, replayed at another (NaN, ±inf, subnormal,
    # huge; the shape, broadcasting, axes, exponent and alpha drawn too)
    build, first, second = data.draw(replayed_op_cases(name))
    with np.errstate(all="ignore"):
        assert_replay_is_eager(build, first, second, intermediates)


def test_a_list_or_dict_f_reads_changed_in_place_records_again():
    # layers.append(...), d["X"] = ..., a default dict's entry, an array in a
    # tuple written: f() read the new entries, the tape replayed the old graph
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    layers = [mg.tanh]
    d = {"X": mg.tensor([[1.0], [2.0]])}
    pair = (np.array([[1.0], [2.0]]), None)
    config = {"p": 2}

    def stacked():
        A = W
        for layer in layers:
            A = layer(A)
        return A.sum()

    def from_dict():
        return (W @ d["X"]).sum()

    def from_tuple():
        return (W @ mg.tensor(pair[0])).sum()

    def with_default(c=config):
        return (W ** c["p"]).sum()
    changes = {stacked: lambda: layers.append(mg.sigmoid),
               from_dict: lambda: d.__setitem__("X", mg.tensor([[3.0], [4.0]])),
               from_tuple: lambda: pair[0].__setitem__((0, 0), 5.0),
               with_default: lambda: config.__setitem__("p", 3)}
    for f, change in changes.items():
        tape = mg.record(f, [W])
        change()
        assert _replay_equals_eager(tape, f, np.array([[0.1, 0.2]])), f.__name__


def test_a_list_f_reads_changed_in_place_is_named_when_recording_again_fails():
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    scales = [2.0]

    def f():
        if len(scales) > 1:
            raise ValueError("two")
        return (W * scales[0]).sum()
    tape = mg.record(f, [W])
    scales[0] = float("2.0")   # an equal number: the same graph, f not run again
    assert tape.replay(np.ones((1, 2))) == 4.0
    scales.append(3.0)
    with pytest.raises(ValueError, match=r"the list 'scales', which f read when it recorded, "
                                         r"was changed in place .* two"):
        tape.replay(np.ones((1, 2)))


def test_a_constant_reshaped_in_place_is_a_new_graph():
    # X.data.shape = (2, 3): numpy reshapes even a read-only array in place;
    # eager W * X.T then refuses (2, 3) * (3, 2), the tape replayed its
    # transpose view of the old shape and gave a number
    X = mg.tensor(np.arange(6.0).reshape(3, 2), name="X")
    W = mg.tensor(np.ones((2, 3)), requires_grad=True, name="W")
    tape = mg.record(lambda: mg.tanh(W * X.T).sum(), [W])
    X.data.shape = (2, 3)
    with pytest.raises(ValueError, match=r"X \(2, 3\), a constant, was given a new array \(or "
                                         r"its array a new shape\), so the tape ran f again .* "
                                         r"do not broadcast"):
        tape.replay(W.data)
    X.data.shape = (3, 2)
    assert tape.replay(W.data) == np.tanh(W.data * X.data.T).sum()


def test_what_f_reads_inside_pythons_library_or_installed_packages_is_not_walked():
    # f logs (logging's Logger, its manager, their caches and levels): walking
    # them bound thousands of names, took seconds to record, and a level set
    # between replays made every replay record again
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    log = logging.getLogger("minigrad.tests.replay")
    calls = []

    def f():
        calls.append(1)
        log.debug("a cost %s", json.dumps({"W": W.shape}))
        return mg.tanh(W).sum()
    tape = mg.record(f, [W])
    assert len(tape._names) < 10, [name for name, *_ in tape._names]
    for level in (logging.INFO, logging.DEBUG, logging.WARNING):
        log.setLevel(level)
        log.info("between replays")
        assert tape.replay(np.ones((1, 2))) == np.tanh(np.ones((1, 2))).sum()
    assert len(calls) == 1


# What f reads of a listed leaf's value (or of a tensor computed from one) into
# Python, as it records. Each branch read was replayed stale without a word:
# the tape replayed the branch (or the copy) of the recorded values.
def _branch_on_data(W):
    return (W * W).sum() if W.data.sum() > 0 else (W * 3.0).sum()


def _branch_on_item(W):
    J = (W * W).sum()
    return J * 2.0 if J.item() > 3 else J


def _branch_on_bool(W):
    J = mg.relu(W).sum()
    return J * 2.0 if J else (W * 3.0).sum()


def _branch_on_float(W):
    J = (W * W).sum()
    return J * 2.0 if float(J) > 3 else J


def _branch_on_round(W):
    J = (W * W).sum()
    return J * 2.0 if round(J, 1) > 3 else J


def _branch_on_numpy(W):
    return (W * W).sum() if W.numpy().sum() > 0 else (W * 3.0).sum()


# each with the guard that names its branch, from the leaf's values
BRANCHES = {".data": (_branch_on_data, lambda w: bool(w.sum() > 0)),
            ".item()": (_branch_on_item, lambda w: bool((w * w).sum() > 3)),
            "bool()": (_branch_on_bool, lambda w: bool(np.maximum(w, 0).sum() != 0)),
            "float()": (_branch_on_float, lambda w: bool((w * w).sum() > 3)),
            "round()": (_branch_on_round, lambda w: bool(round((w * w).sum(), 1) > 3)),
            ".numpy()": (_branch_on_numpy, lambda w: bool(w.sum() > 0))}


@pytest.mark.parametrize("how", BRANCHES)
def test_a_value_f_reads_into_python_without_a_guard_is_refused_and_a_guard_takes_it(how):
    W = mg.tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W")
    branch, guard = BRANCHES[how]
    read = r"W \(1, 2\)" if how in (".data", ".numpy()") else \
        r"<(sum|mul)> \(\), computed from the leaf W \(1, 2\),"
    with pytest.raises(ValueError, match=rf"record: f read the value of {read} into Python "
                                         rf"\({re.escape(how)}\) as it ran.*pass guard="):
        mg.record(lambda: branch(W), [W])
    # with a guard naming the branch (the message's way out), each value replays
    # what eager f() gives, the other branch included
    tape = mg.record(lambda: branch(W), [W], guard=guard)
    for values in ([[1.0, -2.0]], [[5.0, 1.0]], [[-1.0, 0.5]], [[0.0, 0.0]]):
        values = np.array(values)
        V = mg.tensor(values, requires_grad=True)
        J = branch(V)
        J.backward()
        assert tape.replay(values) == J.item(), values
        assert np.array_equal(tape.grads[0], V.grad), values


# f(W) -> (tensor, the read it makes): a tensor copy of W's value, or of a node
# computed from W, made into a constant of the graph. The tape replayed the
# recorded copy; a guard names a branch, and does not make a copy follow W.
# (mg.tensor(W.data) reads .data, which a guard takes: the branch tests refuse it.)
COPIES = {
    "mg.tensor()": lambda W: (W * mg.tensor(W), "mg.tensor()"),
    "mg.as_tensor()": lambda W: (W * mg.as_tensor(W * 2.0), "mg.as_tensor()"),
    ".detach()": lambda W: (W * (W * 2.0).detach(), ".detach()"),
    "copy": lambda W: (W * copy.copy(W), "a copy"),
}


@pytest.mark.parametrize("name", COPIES)
def test_a_copy_of_a_leafs_value_made_inside_f_is_refused_even_with_a_guard(name):
    W = mg.tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W")
    _, how = COPIES[name](W)
    for guard in (None, lambda w: 0):
        with pytest.raises(ValueError, match=rf"record: f read the value of .* into Python "
                                             rf"\({re.escape(how)}\) as it ran"):
            mg.record(lambda: COPIES[name](W)[0].sum(), [W], guard=guard)


def test_what_f_reads_of_constants_and_shapes_or_shows_is_not_refused():
    W = mg.tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W")
    X = mg.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), name="X")
    shown = []

    def f():
        m = X.data.shape[1] + W.shape[0] - 1           # shapes, and a constant's value
        J = ((W @ X) * float(X.data.sum())).sum() / m
        shown.append(f"{J:.3f} {W!r} {J}")            # shown: repr and format read none
        return J
    tape = mg.record(f, [W])
    assert tape.replay(np.array([[1.0, 1.0]])) == 10.0 * 10.0 / 2
    assert shown and "tensor(" in shown[0]


def test_a_read_refused_when_f_records_again_for_a_new_shape_names_it():
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    tape = mg.record(lambda: (W * W).sum() if W.shape[1] == 2 or W.data.sum() > 0
                     else W.sum(), [W])
    with pytest.raises(ValueError, match=r"the leaves' shapes changed .* f read the value of "
                                         r"W \(1, 3\)"):
        tape.replay(np.ones((1, 3)))
    assert tape.replay(np.full((1, 2), 2.0)) == 8.0


def test_reads_are_watched_in_the_recording_thread_only_and_no_longer_after_it():
    W = mg.tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W")
    started, read = threading.Event(), threading.Event()

    def other_thread():   # eager code reading W while another thread records
        started.wait(10)
        assert W.data.sum() == -1.0
        read.set()

    def f():
        started.set()
        assert read.wait(10)
        return (W * W).sum()
    thread = threading.Thread(target=other_thread)
    thread.start()
    tape = mg.record(f, [W])
    thread.join()
    assert tape.replay(np.array([[2.0, 1.0]])) == 5.0
    # a recording refused halfway leaves nothing watching
    with pytest.raises(ValueError, match="read the value"):
        mg.record(lambda: W.sum() * float(W.data.sum()), [W])
    engine = importlib.import_module("minigrad.tensor")
    assert engine._watching_reads == 0 and engine._modes.reads is None


def test_a_read_inside_a_recording_made_inside_f_is_f_own():
    # the inner tape's guard speaks for its own function, not for f's branch
    W = mg.tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W")

    def f():
        inner = mg.record(lambda: W.sum() * 2.0 if W.sum().item() > 0 else W.sum(), [W],
                          guard=lambda w: bool(w.sum() > 0))
        return (W * 2.0).sum() if len(inner.nodes) == 4 else W.sum()
    with pytest.raises(ValueError, match=r"f read the value of <sum> \(\), computed from the "
                                         r"leaf W \(1, 2\), into Python \(.item\(\)\)"):
        mg.record(f, [W])



def test_a_guard_that_reads_the_leaves_own_values_is_refused():
    # a replay gives the guard the new values; W keeps those it had when it
    # recorded: a guard reading W.data named the recorded branch at every replay
    # (4.49 where eager f() at [[2, -2.7]] gives (W * 3).sum() = -2.1)
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")

    def loss():
        return (W * W).sum() if W.data.sum() > 0 else (W * 3.0).sum()
    for guard in (lambda w: bool(W.data.sum() > 0), lambda w: bool((W * 1.0).sum().item() > 0)):
        with pytest.raises(ValueError, match=r"record: the guard read the value of .*W \(1, 2\)"
                                             r".* into Python .* use its arguments"):
            mg.record(loss, [W], guard=guard)
    # a constant's value, and its own arguments, it may read
    X = mg.tensor(np.array([[0.0, 0.0]]), name="X")
    tape = mg.record(loss, [W], guard=lambda w: bool(w.sum() > X.data.sum()))
    assert tape.replay(np.array([[2.0, -2.7]])) == (mg.tensor([[2.0, -2.7]]) * 3.0).sum().item()


def test_an_array_f_reads_by_name_that_is_a_leafs_memory_records_again_when_written():
    # W shares W1 (mg.as_tensor): f's branch on W1 is a read of W's value the
    # tape did not see. A write into W1 changes W: the tape replayed the recorded
    # branch (26.0 where eager f() gives -12.0)
    W1 = np.array([[1.0, 2.0]])
    W = mg.as_tensor(W1, requires_grad=True, name="W")

    def loss():
        return (W * W).sum() if W1.sum() > 0 else (W * 3.0).sum()
    tape = mg.record(loss, [W])
    W1[...] = [[-5.0, 1.0]]
    assert tape.replay(W1) == loss().item() == -12.0
    assert np.array_equal(tape.grads[0], [[3.0, 3.0]])


def test_a_tensor_f_reads_the_value_of_by_name_given_new_data_records_again():
    # C is no constant of the graph: f reads its value into a number. C given a
    # new array, or a write into it, was not seen (6.0 where eager gives 60.0)
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    C = mg.tensor(np.array([[1.0, 2.0]]), name="C")
    H = mg.tanh(mg.tensor(np.array([[1.0, 2.0]])))
    tape = mg.record(lambda: (W * (C.sum().item() + float(H.data.sum()))).sum(), [W])
    one = np.ones((1, 2))
    for change in (lambda: setattr(C, "data", np.array([[10.0, 20.0]])),
                   lambda: C.data.__setitem__(..., 5.0),
                   lambda: setattr(H, "data", np.zeros((1, 2)))):
        change()
        want = 2.0 * (C.data.sum() + H.data.sum())
        assert tape.replay(one) == want


def test_a_leafs_grad_f_reads_given_another_array_records_again():
    # f reads W.grad (a first-order term): after an eager backward, or W.grad = ...,
    # the tape replayed the recorded gradient (3.4 where eager gives 13.5)
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    W.grad = np.array([[1.0, 2.0]])
    tape = mg.record(lambda: (W * W.grad).sum(), [W])
    values = np.array([[2.0, 0.7]])
    assert tape.replay(values) == 2.0 + 1.4
    W.grad = np.array([[5.0, 5.0]])
    assert tape.replay(values) == 13.5
    (W * 1.0).sum().backward()   # adds to W.grad (a new array; the tape holds the old)
    assert tape.replay(values) == (mg.tensor(values) * W.grad).sum().item()


def test_a_shape_read_through_data_is_refused_saying_to_read_the_tensors_shape():
    # W.data.shape reads W's array, which the tape cannot tell from a read of its
    # values: the message shows the read that is not refused
    W = mg.tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W")
    with pytest.raises(ValueError, match=r"\(.data\) as it ran.*a shape is t.shape, not "
                                         r"t.data.shape"):
        mg.record(lambda: (W * W.data.shape[1]).sum(), [W])
    tape = mg.record(lambda: (W * W.shape[1]).sum(), [W])
    assert tape.replay(np.array([[3.0, 4.0]])) == 14.0


def test_a_picture_or_table_of_the_graph_made_inside_f_is_not_refused():
    # they only show the values, as print(J) does: mg.draw(J, values=True) read
    # W.data, and a learnable scale c (one unnamed number) is written by its value
    W = mg.tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W")
    c = mg.tensor(0.5, requires_grad=True)
    shown = []

    def f():
        J = (mg.tanh(W * c) * c).sum()
        shown.append((mg.draw(J, values=True, grads=True).source, mg.draw(J).source,
                      mg.summary(J)))
        return J
    tape = mg.record(f, [W, c])
    assert len(shown) == 1 and "0.5" in shown[0][1]
    values = [np.array([[2.0, 1.0]]), np.array(-1.5)]
    V, d = (mg.tensor(v, requires_grad=True) for v in values)
    J = (mg.tanh(V * d) * d).sum()
    J.backward()
    assert tape.replay(*values) == J.item()
    assert np.array_equal(tape.grads[1], d.grad)



def test_a_constant_given_requires_grad_since_recording_records_again():
    # ∂J/∂X (which input moves the cost): eager gives X a gradient once X requires
    # grad; tape.grad(X) stayed None, and a constant frozen again kept its gradient
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    X = mg.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), name="X")
    tape = mg.record(lambda: mg.tanh(W @ X).sum(), [W])
    values = np.array([[1.0, 1.0]])
    for requires in (True, False):
        X.requires_grad = requires
        tape.replay(values)
        V = mg.tensor(values, requires_grad=True)
        X.grad = None
        mg.tanh(V @ X).sum().backward()
        assert (tape.grad(X) is None) == (X.grad is None), requires
        assert X.grad is None or np.array_equal(tape.grad(X), X.grad)
    built = mg.record(mg.tanh(W @ X).sum(), [W])
    X.requires_grad = True
    with pytest.raises(ValueError, match=r"the leaf X \(2, 2\) was given requires_grad=True"):
        built.replay(values)


def test_a_tape_buffer_another_tape_holds_read_only_is_named_at_replay():
    # t2 reads t1's gradient buffer as a constant and keeps it read-only while it
    # lives: t1's replay said numpy's "assignment destination is read-only"
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    t1 = mg.record(lambda: (W * W).sum() * 1.0, [W])
    t2 = mg.record(lambda: (W * t1.grad(W)).sum(), [W])
    with pytest.raises(ValueError, match=r"replay: the gradient of W \(1, 2\), a buffer of "
                                         r"this tape, is read-only: .*copy what you keep"):
        t1.replay(np.array([[2.0, 0.7]]))
    del t2
    assert t1.replay(np.array([[2.0, 0.7]])) == 4.49


def test_a_guard_computing_fs_value_from_its_arguments_under_no_grad_is_taken():
    # it reads .item() of a tensor made under no_grad after the leaves, which f's
    # check takes for maybe computed from them: the guard's own come from its
    # arguments, and it was refused as reading W's value
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")

    def cost(V):
        return (V * V).sum()

    def loss():
        J = cost(W)
        return J * 2.0 if J.item() > 1 else J

    def guard(w):
        with mg.no_grad():
            return cost(mg.tensor(w)).item() > 1
    tape = mg.record(loss, [W], guard=guard)
    assert tape.replay(np.array([[1.0, 2.0]])) == 10.0
    assert tape.replay(np.array([[0.5, 0.5]])) == 0.5


# f(W) -> J reading W's value without a read the engine notes (tensor.py):
# an in-place op copying W into a tensor of f's (C += W under no_grad), a pickle
# round trip, and a backward inside f (a look-ahead step W - 0.1 W.grad). The
# tape replayed the recorded copy or gradient (0.79 where eager gives 4.49).
def _copied_in_place(W):
    C = mg.tensor(np.zeros(W.shape))
    with mg.no_grad():
        C += W
    return (W * C).sum()


def _look_ahead(W):
    (W * W).sum().backward()
    ahead, W.grad = W - 0.1 * W.grad, None
    return (ahead * ahead).sum()


UNNOTED_READS = {"C += W": (_copied_in_place, "a copy"),
                 "pickle": (lambda W: (W * pickle.loads(pickle.dumps(W))).sum(), "a copy"),
                 "backward()": (_look_ahead, "backward()")}


@pytest.mark.parametrize("name", UNNOTED_READS)
def test_a_value_f_reads_by_an_in_place_op_a_pickle_or_a_backward_is_refused(name):
    W = mg.tensor(np.array([[0.5, -0.3]]), requires_grad=True, name="W")
    fn, how = UNNOTED_READS[name]
    with pytest.raises(ValueError, match=rf"record: f read the value of .*W \(1, 2\).* into "
                                         rf"Python \({re.escape(how)}\)"):
        mg.record(lambda: fn(W), [W])
