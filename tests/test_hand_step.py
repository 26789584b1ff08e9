"""fit(method="hand"), the buffered step of nets.hand_step: the same trajectory
as autograd's, for random sizes, depths and every activation; the parameters
a caller held before the fit are not touched."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nets
from nets import DeepNet, LogisticRegression, TwoLayerNet
from tests.strategies import ACTIVATION_NAMES, labelled_data, two_layer_nets


def twins(make):
    return make(), make()


def assert_same_steps(a, b, X, Y, iterations=50, learning_rate=0.5):
    """Each of ``iterations`` steps, from the same parameters, gives the same cost
    (1e-12 relative) and updated parameters by either method. The parameters are
    re-synchronised after every step: where gradient descent overshoots, two
    correct implementations' last-bit differences grow to 1e-8 within a few
    steps, so a free-running comparison would test the chaos, not the step.
    A descent that diverges (a deep linear net at lr 0.5 reached 1e250) is
    compared while its weights stay below 1e30: products of four layers of
    them, forward and back, would overflow soon after, in both methods."""
    for i in range(iterations):
        if max(float(np.abs(v).max()) for v in a.params.values()) > 1e30:
            break
        auto = a.fit(X, Y, iterations=1, learning_rate=learning_rate, method="autograd")
        hand = b.fit(X, Y, iterations=1, learning_rate=learning_rate, method="hand")
        np.testing.assert_allclose(hand, auto, rtol=1e-12, atol=0, err_msg=f"cost at step {i}")
        for name in a.params:
            np.testing.assert_allclose(b.params[name], a.params[name], rtol=1e-12, atol=1e-15,
                                       err_msg=f"{name} after step {i}")
        b.params = {k: v.copy() for k, v in a.params.items()}


@given(two_layer_nets(), st.sampled_from([0.1, 0.5, 1.2]), st.data())
def test_hand_steps_equal_autograd_steps_two_layers(net, learning_rate, data):
    X, Y = data.draw(labelled_data(net.n_x, max_m=12))
    twin = TwoLayerNet(net.n_x, net.n_h, net.activation, net.init, net.scale, net.seed)
    assert_same_steps(twin, net, X, Y, learning_rate=learning_rate)


@given(st.lists(st.integers(1, 5), min_size=0, max_size=3), st.integers(1, 3),
       st.sampled_from(ACTIVATION_NAMES), st.integers(0, 100), st.data())
def test_hand_steps_equal_autograd_steps_any_depth(hidden, n_x, activation, seed, data):
    X, Y = data.draw(labelled_data(n_x, max_m=12))
    a, b = twins(lambda: DeepNet([n_x, *hidden, 1], activation=activation, scale=0.7, seed=seed))
    assert_same_steps(a, b, X, Y)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_hand_fit_follows_the_autograd_trajectory_for_50_steps(activation):
    # Free-running, on the course's data and learning rate, where descent is stable.
    X, Y = nets.data.flower(m=400, seed=1)
    a, b = twins(lambda: TwoLayerNet(2, 4, activation=activation, seed=2))
    auto = a.fit(X, Y, iterations=50, learning_rate=1.2, method="autograd")
    hand = b.fit(X, Y, iterations=50, learning_rate=1.2, method="hand")
    np.testing.assert_allclose(hand, auto, rtol=1e-12, atol=0)


def test_hand_fit_of_logistic_regression_follows_autograd():
    X, Y = nets.data.flower(m=40, seed=3)
    a, b = twins(lambda: LogisticRegression(2, init="random", scale=0.5, seed=1))
    assert_same_steps(a, b, X, Y, iterations=30, learning_rate=1.2)


def test_hand_fit_updates_copies_and_leaves_earlier_arrays_and_graphs_alone():
    X, Y = nets.data.flower(m=10)
    net = TwoLayerNet(2, 3)
    held = net.params["W[1]"]
    before = held.copy()
    g = net.graph(X, Y)
    net.fit(X, Y, iterations=3, learning_rate=1.0, method="hand")
    np.testing.assert_array_equal(held, before)
    np.testing.assert_array_equal(g["W[1]"].data, before)
    assert not np.array_equal(net.params["W[1]"], before)


def test_hand_fit_calls_back_with_each_cost():
    X, Y = nets.data.flower(m=20)
    seen = []
    costs = TwoLayerNet(2, 3).fit(X, Y, iterations=4, method="hand",
                                  callback=lambda i, J: seen.append((i, J)))
    assert seen == list(enumerate(costs)) and len(costs) == 4


def test_hand_cost_stays_exact_where_the_output_saturates():
    # Z[2] = ±40: A rounds to 0 or 1; the cost from the logits keeps its digits
    # (log(1 + e^-40) = 4.2e-18), as autograd's does.
    net = LogisticRegression(1, init="zeros")
    net.params["W[1]"][:] = 10.0
    X, Y = np.array([[4.0, -4.0]]), np.array([[1.0, 0.0]])
    hand = net.fit(X, Y, iterations=1, learning_rate=1e-9, method="hand")[0]
    auto = LogisticRegression(1, init="zeros")
    auto.params["W[1]"][:] = 10.0
    expected = auto.fit(X, Y, iterations=1, learning_rate=1e-9, method="autograd")[0]
    exact = 4.248354255291589e-18   # log(1 + e^-40)
    assert abs(hand - exact) <= 1e-12 * exact and abs(expected - exact) <= 1e-12 * exact, \
        (hand, expected)
