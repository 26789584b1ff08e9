"""relu′(0) is a choice: where a hidden Z[l] is 0 (relu's kink), a hand that
takes the other side (dZ1[Z1 < 0] = 0, Z >= 0, np.heaviside(Z, 1)) is right,
and the checker says so; a slip there is still a slip."""
import numpy as np
import pytest

import nets
from nets import DeepNet, TwoLayerNet, activations
from nets.testing import assert_backprop_matches
from tests.test_testing import notes_backprop


def right_side_hand(activation, slip=None):
    """A learner's formulas taking g′(0) = 1 (the right side) at relu's kink."""
    g = activations.get(activation)

    def slope(Z):
        return np.where(Z >= 0, 1.0, g.g_prime(Z))

    def my_backprop(params, X, Y):
        L, m, A, Z = len(params) // 2, X.shape[1], {0: X}, {}
        for l in range(1, L + 1):
            Z[l] = params[f"W[{l}]"] @ A[l - 1] + params[f"b[{l}]"]
            A[l] = activations.sigmoid(Z[l]) if l == L else g.g(Z[l])
        grads, dZ = {}, A[L] - Y
        for l in range(L, 0, -1):
            grads[f"Z[{l}]"] = dZ
            grads[f"W[{l}]"] = dZ @ A[l - 1].T / m
            grads[f"b[{l}]"] = dZ.sum(axis=1, keepdims=True) / (1 if slip == "db no 1/m" else m)
            if l > 1:
                dZ = params[f"W[{l}]"].T @ dZ * (1.0 if slip == "no g'" else slope(Z[l - 1]))
        return grads

    return my_backprop


def course_lt_relu(parameters, cache, X, Y):
    """The course's relu_backward written with < instead of <=."""
    m = X.shape[1]
    W2, A1, A2, Z1 = parameters["W2"], cache["A1"], cache["A2"], cache["Z1"]
    dZ2 = A2 - Y
    dZ1 = np.array(W2.T @ dZ2, copy=True)
    dZ1[Z1 < 0] = 0
    return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
            "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}


def zero_case(activation="relu"):
    """X = 0, W[1] = b[1] = 0: every Z[1] is exactly 0, on the kink."""
    net = TwoLayerNet(1, 1, activation=activation, init="zeros")
    net.params = {"W[1]": np.array([[0.0]]), "b[1]": np.array([[0.0]]),
                  "W[2]": np.array([[1.0]]), "b[2]": np.array([[0.0]])}
    return net, np.array([[0.0]]), np.array([[0.0]])


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_the_right_side_at_the_kink_is_ok_and_said(activation):
    report = nets.check_backprop(*zero_case(activation), hand=right_side_hand(activation))
    text = str(report)
    assert report.ok, text
    assert "Z[1] is 0 at 1 entry" in text and "either side is right" in text, text
    assert "likely slip" not in text, text


def test_the_course_relu_backward_with_lt_passes_the_property_test():
    assert_backprop_matches(course_lt_relu, activation="relu", max_examples=100)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_the_right_side_at_the_kink_passes_the_property_test(activation):
    assert_backprop_matches(right_side_hand(activation), activation=activation,
                            max_examples=100)


def test_the_right_side_where_z_is_0_itself_is_ok_beside_an_entry_a_rounding_below_0():
    # more than six entries on the kink, one of them -1.1e-16 (0.9999999999999999 - 1),
    # which Z >= 0 puts on the left: only "the right side everywhere" was tried, and
    # this right hand read WRONG at Z[1] (hypothesis found it)
    net = TwoLayerNet(1, 4, activation="leaky_relu")
    net.params = {"W[1]": np.array([[0.0], [0.0], [-0.9999999999999999], [0.0]]),
                  "b[1]": np.array([[0.0], [0.0], [-1.0], [0.0]]),
                  "W[2]": np.array([[0.0, 0.0, 1.0, 1.0]]), "b[2]": np.array([[0.0]])}
    X, Y = np.array([[0.0, -1.0]]), np.array([[0.0, 1.0]])
    report = nets.check_backprop(net, X, Y, hand=right_side_hand("leaky_relu"))
    assert report.ok, str(report)
    assert "Z[1] is 0 at 7 entries" in str(report), str(report)
    slipped = nets.check_backprop(net, X, Y, hand=right_side_hand("leaky_relu", "no g'"))
    assert not slipped.ok, str(slipped)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_z_ge_0_is_ok_beside_entries_a_rounding_above_and_below_0(activation):
    # eight entries on the kink: six exactly 0, Z[1][2, 1] = -1.1e-16 and Z[1][3, 1] =
    # +1.1e-16 (0.9999999999999999 - 1 and its negative). Z >= 0 takes the right side at
    # the six and at +1.1e-16, the left at -1.1e-16: neither "the right side everywhere"
    # nor "the right side where Z is 0 itself" (left at +1.1e-16, where autograd, and
    # this hand, take the right), so this right hand read WRONG at Z[1], W[1], b[1]
    net = TwoLayerNet(1, 4, activation=activation)
    net.params = {"W[1]": np.array([[0.0], [0.0], [-0.9999999999999999], [0.9999999999999999]]),
                  "b[1]": np.array([[0.0], [0.0], [-1.0], [1.0]]),
                  "W[2]": np.array([[1.0, 1.0, 1.0, 1.0]]), "b[2]": np.array([[0.0]])}
    X, Y = np.array([[0.0, -1.0, 1.0]]), np.array([[0.0, 1.0, 1.0]])
    report = nets.check_backprop(net, X, Y, hand=right_side_hand(activation))
    assert report.ok, str(report)
    assert "Z[1] is 0 at 8 entries" in str(report) and "took 1 at 7 of them" in str(report), \
        str(report)
    slipped = nets.check_backprop(net, X, Y, hand=right_side_hand(activation, "db no 1/m"))
    assert slipped.mismatches == ["b[2]", "b[1]"], str(slipped)


def test_the_right_side_at_kinks_of_two_layers_of_a_deep_net_is_ok():
    net = DeepNet([2, 2, 2, 1], activation="relu", init="zeros")
    net.params = {"W[1]": np.array([[0.0, 0.0], [1.0, -0.5]]), "b[1]": np.array([[0.0], [0.2]]),
                  "W[2]": np.array([[0.0, 0.0], [0.7, 0.3]]), "b[2]": np.array([[0.0], [0.1]]),
                  "W[3]": np.array([[0.9, -1.1]]), "b[3]": np.array([[0.3]])}
    X, Y = np.array([[1.0, -2.0, 0.5], [0.5, 1.0, -1.5]]), np.array([[1.0, 0.0, 1.0]])
    report = nets.check_backprop(net, X, Y, hand=right_side_hand("relu"))
    assert report.ok, str(report)
    assert "Z[1] is 0 at 3 entries" in str(report) and "Z[2] is 0 at 3" in str(report), \
        str(report)


def test_the_notes_side_at_the_kink_reports_no_kink_line():
    report = nets.check_backprop(*zero_case())
    assert report.ok and "kink" not in str(report), str(report)


@pytest.mark.parametrize("slip", ["no g'", "db no 1/m"])
def test_a_slip_with_the_right_side_at_the_kink_is_still_caught(slip):
    with pytest.raises(AssertionError):
        assert_backprop_matches(right_side_hand("relu", slip), activation="relu",
                                max_examples=100)


def test_a_wrong_slope_at_a_kink_point_is_still_wrong():
    net, X, Y = zero_case()
    X = np.array([[0.0, 1.0, -1.0]])
    Y = np.array([[0.0, 1.0, 1.0]])
    net.params["W[1]"] = np.array([[1.0]])

    def half(params, X, Y):   # relu′ = 0.5 everywhere: no side of anything
        out = right_side_hand("relu")(params, X, Y)
        Z1 = params["W[1]"] @ X + params["b[1]"]
        A2 = activations.sigmoid(params["W[2]"] @ np.maximum(Z1, 0) + params["b[2]"])
        dZ1 = params["W[2]"].T @ (A2 - Y) * 0.5
        out["Z[1]"] = dZ1
        return out

    report = nets.check_backprop(net, X, Y, hand=half)
    assert not report.ok and "Z[1]" in report.mismatches, str(report)


def test_a_forgotten_relu_mask_at_the_kink_is_named_first_under_the_ok():
    # dZ1 = W2.T @ dZ2, relu′ left out: at Z = 0 the numbers are the right side's,
    # so db1 is ok; the slip that gives them must be said, not hidden in "and 2 more"
    def forgot_mask(parameters, cache, X, Y):
        m = X.shape[1]
        W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
        dZ2 = A2 - Y
        dZ1 = W2.T @ dZ2
        return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
                "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}

    report = nets.check_backprop(*zero_case(), hand=forgot_mask)
    lines = report.diagnosis().splitlines()
    assert report.ok, report
    assert any(line.startswith("but g′(Z1) left out gives the same numbers here")
               and "informative_case()" in line for line in lines), lines
    same = next(line for line in lines if line.startswith("these slips give the same numbers"))
    assert same.startswith("these slips give the same numbers here: g′(Z1) left out;"), same


def test_a_hand_on_autograds_side_of_the_kink_gets_no_g_prime_line():
    # autograd's side (0) is no slip's: nothing to warn about at the kink
    report = nets.check_backprop(*zero_case())   # the net's own backprop: relu′(0) = 0
    assert report.ok and "but g′" not in str(report), report


@pytest.mark.parametrize("slip", ["no 1/m", "sign"])
def test_a_large_unit_on_the_kink_excuses_no_slip_in_the_other_units_dw(slip):
    # One unit of W[1] ~ 1e10 sits on the kink (Z = 0 exactly, A = 0): its rounding
    # must not stand for the other units' dW[2] entries, where the slip is
    net = TwoLayerNet(2, 3, activation="relu", init="zeros")
    net.params = {"W[1]": np.array([[1e10, -1e10], [2e-4, 1e-4], [-1e-4, 3e-4]]),
                  "b[1]": np.zeros((3, 1)), "W[2]": np.array([[0.5, 1.0, -1.0]]),
                  "b[2]": np.array([[0.1]])}
    X, Y = np.array([[1.0, 2, 3, 0.5], [1.0, 2, 3, 0.5]]), np.array([[1.0, 0, 1, 0]])

    def hand(p, X, Y):
        m = X.shape[1]
        A1 = np.maximum(p["W[1]"] @ X + p["b[1]"], 0)
        dZ2 = 1 / (1 + np.exp(-(p["W[2]"] @ A1 + p["b[2]"]))) - Y
        dW2 = dZ2 @ A1.T if slip == "no 1/m" else -(dZ2 @ A1.T) / m
        return {"Z[2]": dZ2, "W[2]": dW2}
    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.mismatches == ["W[2]"], str(report)


def test_a_node_the_kinks_other_side_made_agree_is_no_sign_of_float32():
    # m = 500000 and one sample X = 0 (Z[1] = 0 on 4 units: the kink): the hand's
    # other side there leaves db1 off by less than float32's rounding of its terms,
    # and its db2 is 0.5% off, a sum that cancels as closely. db1 is explained (either
    # side is right), so it is no evidence the numbers went through float32: no
    # "cannot tell a slip from float32" line, db2 is traced as a slip is
    rng = np.random.RandomState(0)
    m = 500_000
    X = rng.randn(2, m)
    X[:, 0] = 0.0
    Y = (rng.rand(1, m) > 0.5).astype(float)
    net = TwoLayerNet(2, 4, activation="relu", seed=2)
    other_side = right_side_hand("relu")

    def my_backprop(params, X, Y):
        grads = other_side(params, X, Y)
        grads["b[2]"] = grads["b[2]"] * 1.005
        return grads

    report = nets.check_backprop(net, X, Y, hand=my_backprop)
    assert report.mismatches == ["b[2]"] and report.kink.gained == ["Z[1]", "b[1]"], str(report)
    assert report.row("b[1]").float32_gap == "float32", str(report)   # what makes it a test
    text = report.diagnosis()
    assert "first wrong at b[2]" in text and "either side is right" in text, text
    assert "float32" not in text, text


def test_the_other_side_at_two_kink_samples_that_nearly_cancel_is_not_read_as_float32():
    # what assert_backprop_matches drew (hypothesis seed 3) for a right hand taking
    # relu′(0) = 1: unit 4 sits on the kink at samples 1 and 3, whose dZ2 (0.501,
    # -0.499) nearly cancel, so the other side moves db1 by 7.5e-6 relatively: inside
    # float32's rounding of its terms. It was "WRONG  agrees to float32's precision"
    # (the kink was not tried on rows read as float32), a right formula failing.
    for activation in ("relu", "leaky_relu"):
        net = TwoLayerNet(1, 4, activation=activation, init="zeros")
        net.params = {"W[1]": np.array([[0.0], [0.0], [0.0], [1.0]]),
                      "b[1]": np.array([[0.0], [2.0 ** -8], [0.0], [0.0]]),
                      "W[2]": np.array([[0.0, 1.0, 0.0, 2.0 ** -8]]), "b[2]": np.array([[0.0]])}
        X, Y = np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 1.0]])
        report = nets.check_backprop(net, X, Y, hand=right_side_hand(activation))
        text = str(report)
        assert report.ok, text
        note = report.row("b[1]").note
        assert note == "the other side of g′ at the kink Z = 0: valid too", text
        assert "either side is right" in text and "float32" not in text, text


def test_the_sides_tried_at_kinks_of_many_layers_stay_few():
    # eight hidden layers, each with entries exactly 0 and a rounding either side of
    # 0: one rule per layer would be 3^8 - 1 = 6560 backward passes (seconds for one
    # check); beyond RULE_CHOICES a hand is taken to use one rule for every layer
    from nets import kinks
    relu = activations.get("relu")
    Z = np.array([[0.0, 0.0, 0.0, -1.1e-16, 1.1e-16]])
    values = {f"Z[{l}]": Z for l in range(1, 9)}
    masks = {l: np.ones(Z.shape, bool) for l in range(1, 9)}
    tried = kinks._candidates(values, {l: relu for l in range(1, 9)}, masks)
    assert 0 < len(tried) <= 256, len(tried)   # kinks.RULE_CHOICES


def halfway_hand(activation):
    """A learner's formulas taking g′(0) halfway between the sides, as
    np.heaviside(Z, 0.5) does for relu: a valid slope too."""
    left, right = (float(activations.get(activation).g_prime(np.array([v]))[0])
                   for v in (-1.0, 1.0))
    return notes_backprop(activation,
                          lambda Z1: left + (right - left) * np.heaviside(Z1, 0.5))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("n_h, m", [(1, 1), (4, 2)])   # 1 and 8 entries on the kink
def test_the_slope_halfway_at_the_kink_is_ok_and_said(activation, n_h, m):
    # np.heaviside(Z1, 0.5): relu′(0) = 0.5, a slope between the two sides (the
    # testing page: any is a valid choice). It read WRONG at Z[1], W[1], b[1] with
    # "no classic slip gives these numbers": only the sides were tried
    net = TwoLayerNet(1, n_h, activation=activation, init="zeros")
    net.params["W[2]"] = np.ones((1, n_h))
    X, Y = np.zeros((1, m)), np.zeros((1, m))
    report = nets.check_backprop(net, X, Y, hand=halfway_hand(activation))
    text, entries = str(report), n_h * m
    assert report.ok, text
    half = 0.5 if activation == "relu" else 0.505
    assert f"hand took {half:g} at {entries} of them" in text, text
    assert "likely slip" not in text and "as it takes the kink's other side" not in text, text


def test_the_slope_halfway_at_the_kink_passes_the_property_test():
    assert_backprop_matches(halfway_hand("relu"), activation="relu", max_examples=100)
