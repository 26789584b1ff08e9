"""Every claim of the notes, as a test (most of them as a property)."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import nets
from nets import LogisticRegression, TwoLayerNet
from tests.strategies import (KINKED, at_a_kink, fit_watching_kinks, labelled_data,
                              two_layer_nets)


def slope(f, z: float) -> float:
    """dA/dZ at z, by autograd."""
    Z = mg.tensor(z, requires_grad=True)
    f(Z).backward()
    return float(Z.grad)


def test_sigmoid_slope_at_zero_is_a_quarter():
    assert slope(mg.sigmoid, 0.0) == 0.25


def test_tanh_slope_at_zero_is_one():
    assert slope(mg.tanh, 0.0) == 1.0


@given(st.floats(10, 700), st.sampled_from([1.0, -1.0]))
def test_sigmoid_and_tanh_saturate_so_their_slope_vanishes_for_large_z(magnitude, sign):
    z = sign * magnitude
    assert slope(mg.sigmoid, z) < 5e-5, f"σ'({z}) = {slope(mg.sigmoid, z)}"
    assert slope(mg.tanh, z) < 1e-8, f"tanh'({z}) = {slope(mg.tanh, z)}"


@given(st.floats(-50, 50))
def test_tanh_is_sigmoid_stretched_and_shifted_down_with_range_minus_one_to_one(z):
    # ours, the hand activation the formulas use and the engine's op, not numpy's
    stretched = 2 * nets.activations.sigmoid(2 * z) - 1
    for name, a in [("nets.activations.tanh", float(nets.activations.tanh(z))),
                    ("mg.tanh", mg.tanh(mg.tensor(z)).item())]:
        assert a == pytest.approx(stretched, abs=1e-12), (name, z, a, stretched)
        assert -1.0 <= a <= 1.0, (name, z, a)


def test_relu_keeps_its_slope_where_sigmoid_has_lost_it():
    assert slope(mg.relu, 30.0) == 1.0 and slope(mg.sigmoid, 30.0) < 1e-12
    assert slope(mg.relu, 0.0) == 0.0 and slope(mg.leaky_relu, 0.0) == 0.01


def test_saturated_hidden_units_learn_slowly():
    # The notes' story: z far from 0 makes da/dz tiny, so dL/dw is tiny and w moves slowly.
    X, Y = np.array([[1.0]]), np.array([[0.0]])
    step = {}
    for w in (0.5, 10.0):
        net = TwoLayerNet(1, 1, activation="tanh")
        net.params["W[1]"][:], net.params["W[2]"][:] = w, 1.0
        step[w] = abs(net.backprop(X, Y)["W[1]"].item())
    assert step[10.0] < 1e-7 < 0.1 < step[0.5], step


def test_cross_entropy_cancels_the_output_sigmoids_saturation():
    # dZ[2] = A[2] - Y: a confidently wrong output unit still gets a full-size gradient.
    net = LogisticRegression(1)
    net.params["W[1]"][:] = 10.0
    grad = net.backprop(np.array([[1.0]]), np.array([[0.0]]))["W[1]"].item()
    assert grad == pytest.approx(1.0, abs=1e-4)


def test_at_a_kink_sees_columns_that_cancel_and_not_exact_zeros():
    net = TwoLayerNet(3, 2, activation="relu", init="constant", scale=0.3)
    assert at_a_kink(net, np.array([[0.0], [-1e-7], [1e-7]]))
    assert not at_a_kink(net, np.array([[0.0], [0.0], [0.0]]))
    assert not at_a_kink(net, np.array([[1.0], [-1.0], [0.5]]))


@pytest.mark.numerics
def test_logistic_regression_can_start_from_zero_weights(nudge):
    # The notes: zeros are fine for logistic regression (one unit: no symmetry to
    # break; its cost is convex), not for a net. From w = 0 it learns, and ends
    # where random starts end.
    X, Y = nets.data.flower(m=200, seed=1)
    X = nudge.data(X)
    zero = LogisticRegression(2)
    assert not zero.params["W[1]"].any() and not zero.params["b[1]"].any()
    costs = zero.fit(X, Y, iterations=1500, learning_rate=1.2, method="hand")
    assert costs[-1] < costs[0] - 0.01, (costs[0], costs[-1])
    for seed in (1, 2, 3):
        start = nudge.weights(LogisticRegression(2, init="random", scale=1.0, seed=seed))
        start.fit(X, Y, iterations=1500, learning_rate=1.2, method="hand")
        for k in zero.params:
            np.testing.assert_allclose(zero.params[k], start.params[k], rtol=1e-6, atol=1e-9,
                                       err_msg=f"{k}: from zeros vs from seed {seed}")


@pytest.mark.numerics
@given(st.integers(1, 3), st.integers(2, 6), st.sampled_from(["zeros", "constant"]),
       st.sampled_from(["tanh", "sigmoid", "relu"]), st.data())
def test_zero_or_constant_init_keeps_hidden_units_identical_through_training(
        nudge, n_x, n_h, init, activation, data):
    X, Y = data.draw(labelled_data(n_x))
    X = nudge.data(X)
    scale = 0.3 if init == "constant" else None   # zeros takes no scale
    net = nudge.weights(TwoLayerNet(n_x, n_h, activation=activation, init=init, scale=scale))
    _, kinked = fit_watching_kinks(net, X, Y, iterations=20, learning_rate=1.0,
                                   method="autograd")
    if activation in KINKED:
        # relu' jumps at 0, so a Z[1] that is 0 up to rounding (columns of X that
        # cancel: [0, -a, a]) gets slope 1 in one row and 0 in the next, and the
        # rows part for real. The claim is exact arithmetic's; such data tests
        # the convention relu'(0) = 0 against rounding, not the claim.
        assume(not kinked)
    # Identical in exact arithmetic; BLAS may round the entries of one matmul
    # differently (1 ulp), so "identical" here means up to rounding. The nudge
    # of the weights starts the rows one ulp apart, as such a kernel would make them.
    W1, b1, W2 = net.params["W[1]"], net.params["b[1]"], net.params["W[2]"]
    for name, p in [("W[1]", W1), ("b[1]", b1), ("W[2]ᵀ", W2.T)]:
        spread = np.max(np.abs(p - p[0]))
        assert spread <= 1e-12 * max(1.0, np.abs(p).max()), f"rows of {name} differ:\n{p}"


@pytest.mark.numerics
@given(st.integers(1, 3), st.integers(2, 6), st.data())
def test_a_symmetric_net_computes_what_one_hidden_unit_computes(nudge, n_x, n_h, data):
    X, Y = data.draw(labelled_data(n_x))
    X = nudge.data(X)
    net = nudge.weights(TwoLayerNet(n_x, n_h, init="constant", scale=0.5))
    net.fit(X, Y, iterations=10, learning_rate=1.0, method="hand")
    one = TwoLayerNet(n_x, 1, init="zeros")
    one.params.update({"W[1]": net.params["W[1]"][:1], "b[1]": net.params["b[1]"][:1],
                       "W[2]": net.params["W[2]"].sum(keepdims=True),
                       "b[2]": net.params["b[2]"]})
    np.testing.assert_allclose(net.predict_proba(X), one.predict_proba(X), rtol=1e-12)


@pytest.mark.numerics
def test_random_init_breaks_the_symmetry_and_zero_biases_train_fine(nudge):
    X, Y = nets.data.flower(m=200, seed=3)
    X = nudge.data(X)
    net = nudge.weights(TwoLayerNet(2, 4, init="random", scale=0.01, seed=2))
    assert not net.params["b[1]"].any()
    costs = net.fit(X, Y, iterations=1500, learning_rate=1.2, method="hand")
    W1 = net.params["W[1]"]
    assert np.min([np.abs(W1[i] - W1[j]).max() for i in range(4) for j in range(i)]) > 0.1
    assert costs[-1] < 0.45 < costs[0], (costs[0], costs[-1])


@given(st.integers(1, 3), st.integers(1, 5), st.integers(0, 100), st.data())
def test_identity_activations_collapse_to_one_linear_map(n_x, n_h, seed, data):
    X, _ = data.draw(labelled_data(n_x))
    net = TwoLayerNet(n_x, n_h, activation="identity", scale=1.0, seed=seed)
    net.params["b[1]"] += 0.3
    W1, b1, W2, b2 = (net.params[k] for k in ("W[1]", "b[1]", "W[2]", "b[2]"))
    logistic = LogisticRegression(n_x)
    logistic.params.update({"W[1]": W2 @ W1, "b[1]": W2 @ b1 + b2})
    np.testing.assert_allclose(net.predict_proba(X), logistic.predict_proba(X),
                               rtol=1e-10, atol=1e-14)


@given(st.integers(1, 3), st.lists(st.integers(1, 4), max_size=4), st.integers(0, 100),
       st.data())
def test_identity_activations_collapse_to_one_linear_map_at_any_depth(n_x, hidden, seed,
                                                                      data):
    # the notes: however many linear layers, one linear map, then σ: logistic regression
    X, _ = data.draw(labelled_data(n_x))
    net = nets.DeepNet([n_x, *hidden, 1], activation="identity", scale=0.5, seed=seed)
    W, b = np.eye(n_x), np.zeros((n_x, 1))
    for l in range(1, net.L + 1):
        net.params[f"b[{l}]"] += 0.3
        W, b = net.params[f"W[{l}]"] @ W, net.params[f"W[{l}]"] @ b + net.params[f"b[{l}]"]
    logistic = LogisticRegression(n_x)
    logistic.params.update({"W[1]": W, "b[1]": b})
    np.testing.assert_allclose(net.predict_proba(X), logistic.predict_proba(X),
                               rtol=1e-10, atol=1e-14)


@pytest.mark.numerics
def test_a_linear_net_does_no_better_than_logistic_regression_on_the_flower(nudge):
    X, Y = nets.data.flower()
    X = nudge.data(X)
    linear = nudge.weights(TwoLayerNet(2, 4, activation="identity", seed=2))
    linear.fit(X, Y, iterations=1500, learning_rate=1.2, method="hand")
    logistic = LogisticRegression(2)
    logistic.fit(X, Y, iterations=1500, learning_rate=1.2, method="hand")
    tanh = nudge.weights(TwoLayerNet(2, 4, activation="tanh", seed=2))
    tanh.fit(X, Y, iterations=1500, learning_rate=1.2, method="hand")
    acc = {name: nets.accuracy(net.predict(X), Y)
           for name, net in [("linear", linear), ("logistic", logistic), ("tanh", tanh)]}
    assert acc["linear"] <= acc["logistic"] + 0.02 and acc["tanh"] > acc["logistic"] + 0.3, acc


@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 100), st.data())
def test_w_has_one_row_per_neuron_and_vectorising_equals_the_loop_over_samples(
        n_x, n_h, seed, data):
    X, _ = data.draw(labelled_data(n_x))
    net = TwoLayerNet(n_x, n_h, scale=1.0, seed=seed)
    W1, b1 = net.params["W[1]"], net.params["b[1]"]
    assert W1.shape == (n_h, n_x)
    Z1 = net.forward(X)["Z[1]"]
    for i in range(X.shape[1]):           # sample (i): one column
        for j in range(n_h):              # neuron j: one row of W[1]
            assert Z1[j, i] == pytest.approx(W1[j] @ X[:, i] + b1[j, 0], rel=1e-12, abs=1e-12)
    per_sample = np.hstack([net.predict_proba(X[:, i:i + 1]) for i in range(X.shape[1])])
    np.testing.assert_allclose(net.predict_proba(X), per_sample, rtol=1e-12)


@given(two_layer_nets(), st.data())
def test_the_m_sample_formulas_stack_the_one_sample_ones_per_sample_dz_and_mean_dw(net, data):
    # The notes give the backprop for one sample, then for m: column i of dZ[l]
    # (and dA[l]) is sample i's own dz[l] with no 1/m (the per-sample convention),
    # and dW[l], db[l] are the mean of the m one-sample dW[l], db[l].
    X, Y = data.draw(labelled_data(net.n_x))
    # at relu's kink one ulp of Z[1] (a column alone vs in the batch) picks the slope
    assume(net.activation.name not in KINKED or not at_a_kink(net, X))
    m = X.shape[1]
    batch = net.backprop(X, Y)
    alone = [net.backprop(X[:, i:i + 1], Y[:, i:i + 1]) for i in range(m)]
    assert set(batch) == set(alone[0]), sorted(batch)
    for name, d in batch.items():
        if name[0] in "ZA":
            stacked = np.hstack([one[name] for one in alone])
        else:
            stacked = sum(one[name] for one in alone) / m
        np.testing.assert_allclose(
            d, stacked, rtol=1e-9, atol=1e-12 * (1 + np.abs(stacked).max()),
            err_msg=f"{name}: m = {m}, the m-sample formula vs the one-sample ones "
                    + ("stacked as columns" if name[0] in "ZA" else "averaged"))


@pytest.mark.numerics
def test_the_cost_is_not_convex_in_the_weights(nudge):
    # Swapping two hidden units gives the same cost; halfway between the two
    # equally good weight settings the cost is higher, which a convex J forbids.
    X, Y = nets.data.flower(m=200)
    X = nudge.data(X)
    net = nudge.weights(TwoLayerNet(2, 4, seed=2))
    net.fit(X, Y, iterations=2000, learning_rate=1.2, method="hand")
    swap = [1, 0, 2, 3]
    swapped = {"W[1]": net.params["W[1]"][swap], "b[1]": net.params["b[1]"][swap],
               "W[2]": net.params["W[2]"][:, swap], "b[2]": net.params["b[2]"]}
    J = net.cost(X, Y)
    original = dict(net.params)
    net.params.update(swapped)
    assert net.cost(X, Y) == pytest.approx(J, rel=1e-12)
    net.params.update({k: (original[k] + swapped[k]) / 2 for k in original})
    midpoint = net.cost(X, Y)
    assert midpoint > J + 0.05, f"J = {J:.4f} at both ends, {midpoint:.4f} halfway"
