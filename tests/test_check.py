"""check_backprop: the project's formulas pass, each of the notes' six formulas
broken in turn is caught at its node (and the line "first wrong at ..." names
it), shapes are never broadcast, and bad hands get clear errors."""
import dataclasses
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import nets
from minigrad.table import display_width
from nets import DeepNet, LogisticRegression, TwoLayerNet, activations, data
from nets.check import (MISSING, NOT_COMPARED, OK, UNKNOWN, WRONG, WRONG_SHAPE,
                        BackpropReport)
from nets import slips
from nets.testing import cases
from tests import course_code
from tests.conftest import legend_of_report
from tests.strategies import cancelling_first_layers, labelled_data, two_layer_nets

ALL_ACTIVATIONS = list(activations.NAMES)
TWO_LAYER_ORDER = ["A[2]", "Z[2]", "W[2]", "b[2]", "A[1]", "Z[1]", "W[1]", "b[1]"]


def flower_net(activation="tanh", n_h=4, m=10):
    """n_x = 2, n_h = 4 (so a transposed dW1 has another shape), weights big
    enough (scale 0.5) that g and g' differ clearly."""
    X, Y = data.flower(m=m, seed=1)
    return TwoLayerNet(2, n_h, activation=activation, scale=0.5, seed=3), X, Y


# flower_net's biases are 0, as the course starts: an "ok" there says what it cannot see
ZERO_BIASES = ["b[1] and b[2] are 0 here: a formula that leaves b out (Z = W A) gives the "
               "same numbers",
               "so check at another point too (nonzero biases): "
               "nets.testing.informative_case() is one"]


def notes_hand(activation="tanh", slip=None):
    """The notes' six formulas written by a learner, with one ``slip`` if asked."""
    g = activations.get(activation)

    def hand(params, X, Y):
        m = X.shape[1]
        W1, b1, W2, b2 = params["W[1]"], params["b[1]"], params["W[2]"], params["b[2]"]
        Z1 = W1 @ X + b1
        A1 = g.g(Z1)
        A2 = activations.sigmoid(W2 @ A1 + b2)
        dZ2 = {"dZ2 = A2 + Y": A2 + Y, "dZ2 = A2": A2}.get(slip, A2 - Y)
        dW2 = dZ2 @ A1.T if slip == "dW2 without 1/m" else (1 / m) * dZ2 @ A1.T
        db2 = {"db2 without 1/m": np.sum(dZ2, axis=1, keepdims=True),
               "db2 summed over samples' axis 0": np.sum(dZ2, axis=0, keepdims=True) / m,
               }.get(slip, (1 / m) * np.sum(dZ2, axis=1, keepdims=True))
        slope = g.g(Z1) if slip == "dZ1 with g instead of g'" else g.g_prime(Z1)
        dZ1 = W2.T @ dZ2 if slip == "dZ1 without g'" else W2.T @ dZ2 * slope
        dW1 = (1 / m) * dZ1 @ X.T
        if slip == "dW1 transposed":
            dW1 = dW1.T
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=slip != "db1 without keepdims")
        return {"Z[2]": dZ2, "W[2]": dW2, "b[2]": db2, "Z[1]": dZ1, "W[1]": dW1, "b[1]": db1}

    return hand


# --- the right formulas pass --------------------------------------------------------

@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
def test_two_layer_net_own_formulas_agree_at_every_node(activation):
    net, X, Y = flower_net(activation)
    report = nets.check_backprop(net, X, Y)
    assert report.ok, str(report)
    assert [r.name for r in report.rows] == TWO_LAYER_ORDER
    assert [r.verdict for r in report.rows] == [OK] * 8, str(report)
    assert report.mismatches == [] and bool(report)
    assert report.diagnosis().splitlines() == ["all 8 nodes agree with autograd", *ZERO_BIASES]


@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
def test_learner_six_formulas_agree_and_the_rest_is_missing(activation):
    net, X, Y = flower_net(activation)
    report = nets.check_backprop(net, X, Y, hand=notes_hand(activation))
    assert report.ok, str(report)
    assert report.missing == ["A[2]", "A[1]"]
    assert report.diagnosis().splitlines() == [
        "all 6 returned nodes agree with autograd (not returned: A[2], A[1])", *ZERO_BIASES]


def test_logistic_regression_own_formulas_agree():
    X, Y = data.moons(m=9, seed=4)
    net = LogisticRegression(2, init="random", scale=0.5, seed=1)
    report = nets.check_backprop(net, X, Y)
    assert report.ok, str(report)
    assert [r.name for r in report.rows] == ["A[1]", "Z[1]", "W[1]", "b[1]"]


def test_deep_net_own_formulas_agree_layer_by_layer_in_backward_order():
    X, Y = data.circles(m=8, seed=2)
    net = DeepNet([2, 3, 4, 1], activation="relu", init="he", seed=5)
    report = nets.check_backprop(net, X, Y)
    assert report.ok, str(report)
    assert [r.name for r in report.rows] == [f"{kind}[{l}]" for l in (3, 2, 1)
                                             for kind in "AZWb"]


@given(st.integers(0, 3).flatmap(lambda layers: cases(None, layers)))
def test_own_formulas_agree_for_random_nets_data_and_depths(case):
    report = nets.check_backprop(*case)
    assert report.ok, f"{case!r}\n{report}"


def cancelling_case():
    """Symmetric data through a linear net: db[2] = (σ(z) - 0 + σ(-z) - 1) / 2 is 0 in
    exact arithmetic. What any machine computes for it is round-off, of either sign,
    or exactly 0.0 (as on the machines the suite is written on): never rely on which."""
    net = TwoLayerNet(1, 3, "identity", scale=1.0, seed=2)
    net.params["b[1]"][:], net.params["b[2]"][:] = 0.0, 0.0
    X, Y = np.array([[1.3, -1.3]]), np.array([[0.0, 1.0]])
    g = net.graph(X, Y)
    g.loss.backward()
    terms = (g["A[2]"].data - Y) / X.shape[1]          # the two terms db[2] adds up
    return net, X, Y, g["b[2]"].grad, np.abs(terms).max()


def test_a_gradient_that_cancels_to_round_off_agrees():
    net, X, Y, auto, term = cancelling_case()
    assert abs(auto).max() <= 8 * np.spacing(term), f"not a cancelling case: db[2] = {auto}"
    # A hand formula that adds the terms in another order keeps another residue:
    # made here explicitly, one ulp of the terms away from autograd's, so the two
    # residues differ relatively by far more than 2e-7 on every machine.
    residue = auto + np.spacing(term)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {"b[2]": residue})
    row = report.row("b[2]")
    assert row.difference >= 2e-7, f"the residues should differ relatively: {row.difference}"
    assert row.verdict == OK and "round-off" in row.note, str(report)
    assert report.ok, str(report)


def test_a_cancelling_gradient_off_by_more_than_round_off_is_wrong():
    net, X, Y, auto, term = cancelling_case()
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {"b[2]": auto + 1e-8 * term})
    assert report.mismatches == ["b[2]"], str(report)


def underflow_case():
    """W[2] just above float64's smallest normal number (4.5e-308; hypothesis found
    this net): dA[1] = W[2]ᵀ dZ[2] and what follows from it are subnormal, where a
    number keeps a few digits only. Returns the net, X, Y and autograd's db[1]."""
    net = DeepNet([1, 1, 1, 1], activation="sigmoid", init="zeros")
    net.params["W[2]"][:], net.params["W[3]"][:] = 4.461012335982225e-308, 1.1444091796875e-05
    X, Y = np.array([[0.0, 0.0]]), np.array([[0.0, 1.0]])
    g = net.graph(X, Y)
    g.loss.backward()
    return net, X, Y, g["b[1]"].grad


def test_a_gradient_near_underflow_agrees_within_its_rounding():
    net, X, Y, auto = underflow_case()
    assert 0 < abs(auto).max() < np.finfo(np.float64).tiny, f"not subnormal: db[1] = {auto}"
    # the same formulas rounded elsewhere: one subnormal spacing away, which is
    # relatively far more than 2e-7 at this size
    nudged = auto + 2.0 ** -1074
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {"b[1]": nudged})
    row = report.row("b[1]")
    assert row.difference >= 2e-7 and row.verdict == OK and "near 0" in row.note, str(report)
    assert nets.check_backprop(net, X, Y).ok   # the net's own formulas, as hypothesis drew it


def test_a_gradient_near_underflow_off_by_a_factor_is_still_wrong():
    net, X, Y, auto = underflow_case()
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {"b[1]": 2 * auto})
    assert report.mismatches == ["b[1]"], str(report)



@pytest.mark.parametrize("case, name, other", [
    (cancelling_case, "b[2]",
     lambda auto, term: auto + np.spacing(term)),
    (lambda: underflow_case() + (None,), "b[1]", lambda auto, term: auto + 2.0 ** -1074),
], ids=["a sum that cancels", "near underflow"])
def test_a_wrong_shape_of_round_off_numbers_says_its_numbers_are_right(case, name, other):
    # the course's db = np.sum(dZ) / m, a number, where the sum is round-off: the
    # numbers agree as the right shape's would (within the sum's rounding, or
    # underflow's), so the row says only the shape is wrong
    net, X, Y, auto, term = case()
    flat = other(auto, term).reshape(())
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {name: flat})
    row = report.row(name)
    assert row.verdict == WRONG_SHAPE and row.shape_only == "as is", str(report)

# --- each formula broken in turn ------------------------------------------------------

BELOW_Z2 = ["W[2]", "b[2]", "Z[1]", "W[1]", "b[1]"]   # what backprop computes from dZ2
SLIPS = {  # slip -> (first wrong node, its verdict, the nodes that follow from it, the
    #         slip the diagnosis names, None when no classic slip gives the numbers)
    "dZ2 = A2 + Y": ("Z[2]", WRONG, BELOW_Z2, None),
    "dZ2 = A2": ("Z[2]", WRONG, BELOW_Z2, "Y left out of dZ[2] (dZ[2] = A[2])"),
    "dW2 without 1/m": ("W[2]", WRONG, [], "dW[2] without the 1/m (dW[2] = dZ[2] A[1]ᵀ)"),
    "db2 without 1/m": ("b[2]", WRONG, [], "db[2] without the 1/m"),
    "db2 summed over samples' axis 0": ("b[2]", WRONG_SHAPE, [],
                                        "db[2] summed over axis 0 (the units) instead of 1"),
    "dZ1 with g instead of g'": ("Z[1]", WRONG, ["W[1]", "b[1]"],
                                 "A[1] in place of g′(Z[1]) (dZ[1] = W[2]ᵀ dZ[2] * A[1])"),
    "dZ1 without g'": ("Z[1]", WRONG, ["W[1]", "b[1]"],
                       "g′(Z[1]) left out (dZ[1] = W[2]ᵀ dZ[2])"),
    "dW1 transposed": ("W[1]", WRONG_SHAPE, [], "dW[1] transposed (dW[1] = (1/m) X dZ[1]ᵀ)"),
    "db1 without keepdims": ("b[1]", WRONG_SHAPE, [], "db[1] summed without keepdims=True"),
}


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "leaky_relu"])
@pytest.mark.parametrize("slip", list(SLIPS))
def test_each_broken_formula_is_reported_at_its_node(slip, activation):
    net, X, Y = flower_net(activation)
    first, verdict, followers, named = SLIPS[slip]
    report = nets.check_backprop(net, X, Y, hand=notes_hand(activation, slip))
    assert not report.ok, str(report)
    assert report.mismatches == [first] + followers, str(report)
    assert report.row(first).verdict == verdict, str(report)
    assert report.origins() == [(first, followers)]
    lines = report.diagnosis().splitlines()
    expected = f"first wrong at {first}"
    if followers:
        expected += f"; {', '.join(followers)} follow from it"
    assert lines[0] == expected, str(report)
    if named is None:
        assert lines[1].startswith("no classic slip"), str(report)
        assert report.likely_slips() == []
    else:
        assert lines[1].startswith(f"likely slip: {named.split(' (')[0]}"), str(report)
        assert named.split(" (")[-1].rstrip(")") in lines[1], str(report)
        assert lines[1].endswith(f"recomputed so, {_join([first] + followers)} "
                                 f"come{'s' if not followers else ''} out as hand's"), \
            str(report)
        assert len(report.likely_slips()) == 1, str(report)


def _join(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def test_missing_keepdims_in_db1_is_a_shape_problem_named_b1():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh", "db1 without keepdims"))
    row = report.row("b[1]")
    assert (row.verdict, row.hand_shape, row.shape) == (WRONG_SHAPE, (4,), (4, 1)), str(report)
    assert row.difference is None   # never broadcast (4,) against (4, 1)
    line = next(l for l in str(report).splitlines() if l.startswith("b[1]"))
    assert "WRONG SHAPE" in line and "(4,)" in line and "(4, 1)" in line \
        and "keepdims" in line, line


def test_transposed_dW1_shows_both_shapes_and_says_transposed():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh", "dW1 transposed"))
    line = next(l for l in str(report).splitlines() if l.startswith("W[1]"))
    assert "hand (2, 4), autograd (4, 2): transposed?" in line, line


def test_a_scalar_db2_is_a_wrong_shape_not_broadcast():
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        "b[2]": float(right["b[2]"][0, 0])})
    assert report.row("b[2]").verdict == WRONG_SHAPE and report.row("b[2]").hand_shape == ()


def test_missing_one_over_m_is_named_in_the_row():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh", "dW2 without 1/m"))
    line = next(l for l in str(report).splitlines() if l.startswith("W[2]"))
    assert line.startswith("W[2]  (1, 4)"), line
    assert line.endswith("WRONG  hand = 10 × autograd (m = 10: a missing 1/m?)"), line


@given(cases(None), st.data())
def test_any_node_doubled_is_caught_there_and_only_there(case, data):
    right = case.net.backprop(case.X, case.Y)
    name = data.draw(st.sampled_from(sorted(right)), label="doubled node")
    # a zero (or nearly zero) gradient stays one when doubled: nothing to catch
    assume(np.linalg.norm(right[name]) > 1e-6)
    report = nets.check_backprop(*case, hand=lambda p, X, Y: {**right, name: 2 * right[name]})
    assert report.mismatches == [name], f"{case!r}\n{report}"
    assert report.row(name).note.startswith("hand = 2 × autograd"), str(report)


def test_two_independent_errors_are_both_named():
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        **right, "b[2]": -right["b[2]"], "Z[1]": 3 * right["Z[1]"]})
    assert report.mismatches == ["b[2]", "Z[1]"], str(report)
    assert report.diagnosis().splitlines()[:2] == ["first wrong at b[2]",
                                                   "also wrong at Z[1], independently"]
    assert report.row("b[2]").note == "hand = -1 × autograd (a flipped sign?)"


def test_a_saturated_wrong_output_still_agrees_with_the_notes():
    # σ(40) rounds to 1: a cost computed from A would lose dZ[2] = A - Y = 1;
    # minigrad computes J from the logits, so autograd agrees with the notes.
    net = TwoLayerNet(1, 1, "identity", init="zeros")
    net.params["b[2]"] = np.array([[40.0]])
    report = nets.check_backprop(net, np.array([[1.0]]), np.array([[0.0]]))
    assert report.ok, str(report)
    assert report.row("Z[2]").autograd.item() == 1.0, str(report)


# --- names: missing, unknown, data --------------------------------------------------

def test_unknown_keys_are_failures_with_a_guess():
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        "W[1]": right["W[1]"], "dW1": right["W[1]"], "db[2]": right["b[2]"], 7: 0.0})
    assert not report.ok
    assert report.mismatches == [] and report.unknown == ["dW1", "db[2]", 7], str(report)
    assert report.row("W[1]").verdict == OK and report.row("dW1").verdict == UNKNOWN
    text = str(report)
    assert "did you mean W[1]?" in report.row("dW1").note
    assert "did you mean b[2]?" in report.row("db[2]").note
    assert text.splitlines()[-1] == ("unknown names (not nodes of the graph): "
                                     "'dW1', 'db[2]', 7"), text


def test_data_nodes_are_not_compared_and_do_not_fail():
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        **right, "X": np.zeros_like(X), "J": 1.0})
    assert report.ok, str(report)
    assert [report.row(k).verdict for k in ("X", "J")] == [NOT_COMPARED] * 2


def test_only_some_nodes_returned_is_fine_and_said():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        "W[1]": net.backprop(X, Y)["W[1]"]})
    assert report.ok, str(report)
    assert report.row("Z[1]").verdict == MISSING
    assert report.diagnosis().startswith(
        "the one returned node, W[1], agrees with autograd (not returned: A[2], Z[2]")


def test_an_empty_dict_checks_nothing_and_is_not_ok():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {})
    assert not report.ok
    assert str(report).splitlines()[-1].startswith("no node to compare")


# --- what hand gets, and hands that misbehave -----------------------------------------

def test_hand_gets_copies_and_cannot_change_the_net():
    net, X, Y = flower_net()
    before = {k: v.copy() for k, v in net.params.items()}
    X_before = X.copy()

    def vandal(params, X_, Y_):
        grads = notes_hand()(params, X_, Y_)
        for v in params.values():
            v += 1.0
        X_[:] = 0.0
        return grads

    report = nets.check_backprop(net, X, Y, hand=vandal)
    assert report.ok, str(report)
    for k in before:
        assert np.array_equal(net.params[k], before[k]), f"{k} changed"
    assert np.array_equal(X, X_before)


@pytest.mark.parametrize("returned, expected", [
    ([1, 2], "got list"), (None, "got NoneType"), (np.zeros(3), "got ndarray")])
def test_hand_returning_a_non_dict_is_a_type_error(returned, expected):
    net, X, Y = flower_net()
    with pytest.raises(TypeError, match=f"must return a dict.*{expected}"):
        nets.check_backprop(net, X, Y, hand=lambda p, X, Y: returned)


def test_hand_raising_is_reported_with_its_error_and_shapes():
    net, X, Y = flower_net()

    def broken(params, X, Y):
        return {"W[1]": params["W[2]"] @ X}   # (1, 4) @ (2, 10)

    with pytest.raises(RuntimeError, match=r"broken raised ValueError: .*W\[1\] \(4, 2\).*"
                                           r"X \(2, 10\), Y \(1, 10\)") as info:
        nets.check_backprop(net, X, Y, hand=broken)
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize("value", [None, "0.5", {"a": 1}])
def test_a_value_that_is_not_numbers_is_a_type_error_naming_the_key(value):
    net, X, Y = flower_net()
    with pytest.raises(TypeError, match=r"'b\[1\]'"):
        nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {"b[1]": value})


@pytest.mark.parametrize("tol", [-1, 0, 1, 2.0, float("nan"), "2e-7", True])
def test_a_tolerance_that_cannot_judge_is_refused(tol):
    # tol=-1 once made every node "ok (the sum cancels ...)"
    net, X, Y = flower_net()
    with pytest.raises(ValueError, match=r"tol must be a number between 0 and 1"):
        nets.check_backprop(net, X, Y, tol=tol)


def test_a_hand_that_calls_exit_is_an_error_not_the_end_of_the_check():
    import sys
    net, X, Y = flower_net()
    with pytest.raises(RuntimeError, match=r"<lambda> called exit\(\) \(SystemExit 0\)"):
        nets.check_backprop(net, X, Y, hand=lambda p, X, Y: sys.exit(0))


def test_hand_that_is_not_callable_is_a_type_error():
    net, X, Y = flower_net()
    with pytest.raises(TypeError, match="hand must be a function"):
        nets.check_backprop(net, X, Y, hand={"W[1]": 0})


def test_tensor_values_are_accepted():
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        k: mg.tensor(v) for k, v in right.items()})
    assert report.ok, str(report)


def test_nan_in_hand_is_wrong_and_located():
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    dW1 = right["W[1]"].copy()
    dW1[1, 0] = np.inf
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {**right, "W[1]": dW1})
    assert report.mismatches == ["W[1]"]
    assert report.row("W[1]").note == "hand holds inf at (1, 0)"


def test_bad_data_is_rejected_before_hand_is_called():
    net, X, Y = flower_net()
    with pytest.raises(ValueError, match="samples are columns"):
        nets.check_backprop(net, X.T, Y, hand=lambda p, X, Y: pytest.fail("called"))


# --- the report ------------------------------------------------------------------

def test_rows_hold_gradients_in_the_notes_conventions():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y)
    g = net.graph(X, Y)
    g.loss.backward()
    grads = g.grads()
    m = X.shape[1]
    for r in report.rows:
        factor = m if r.name[0] in "ZA" else 1   # dZ, dA per sample
        assert r.per_sample == (factor == m)
        np.testing.assert_allclose(r.autograd, grads[r.name] * factor, rtol=1e-12,
                                   err_msg=r.name)


def test_report_table_has_one_row_per_node_with_shape_difference_verdict():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh", "dZ1 with g instead of g'"))
    lines = str(report).splitlines()
    assert lines[1].split() == ["node", "shape", "hand", "vs", "autograd", "verdict"]
    body = {l.split()[0]: l for l in lines[2:10]}
    assert list(body) == TWO_LAYER_ORDER
    for r in report.rows:
        line = body[r.name]
        assert str(r.shape) in line and r.verdict in line, line
        if r.difference is not None:
            assert f"{r.difference:.1e}" in line, line
    assert body["A[1]"].split()[-1] == MISSING
    assert body["Z[2]"].split()[-1] == OK
    assert " WRONG" in body["Z[1]"]
    assert lines[-2] == "first wrong at Z[1]; W[1], b[1] follow from it"
    assert lines[-1].startswith("likely slip: A[1] in place of g′(Z[1])"), lines[-1]
    assert isinstance(report, BackpropReport)


def test_report_columns_line_up_for_wide_gradient_names():
    # the hand's own names head the table (the course's dW1, ...); a learner's may be 汉字
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, numerical=True)
    report = dataclasses.replace(report, labels={"W[1]": "梯度W1", "b[2]": "偏置的梯度b2"})
    lines = str(report).splitlines()[1:10]       # the header and the 8 nodes
    node_at = {display_width(re.match(r"^\S+\s+", line).group(0)) for line in lines}
    # both difference columns right-aligned: each ends at one cell on every line
    ends = {tuple(display_width(line[:m.end()])
                  for m in re.finditer(r"(?<=\s)(-|\d\.\de[-+]\d\d|vs autograd|vs numerical)"
                                       r"(?=\s)", line)) for line in lines}
    assert len(node_at) == 1 and len(ends) == 1 and len(next(iter(ends))) == 2, lines


def test_numerical_column_for_parameters_agrees_with_autograd():
    net, X, Y = flower_net()
    before = {k: v.copy() for k, v in net.params.items()}
    report = nets.check_backprop(net, X, Y, numerical=True)
    for r in report.rows:
        if r.name[0] in "Wb":
            assert r.numerical_difference < 1e-6, f"{r.name}: {r.numerical_difference}"
            assert r.numerical.shape == r.shape
        else:
            assert r.numerical is None and r.numerical_difference is None
    assert "autograd vs numerical" in str(report).splitlines()[1]
    for k in before:
        assert np.array_equal(net.params[k], before[k]), f"{k} changed"


def test_draw_highlights_the_mismatches():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh", "dZ1 with g instead of g'"))
    picture = report.draw()
    expected = mg.draw(report.graph.roots, grads=True, highlight=["Z[1]", "W[1]", "b[1]"])
    assert picture.source == legend_of_report(expected.source)
    assert picture.source != mg.draw(report.graph.roots, grads=True).source
    assert report.draw(rankdir="TB").source == legend_of_report(mg.draw(
        report.graph.roots, grads=True, highlight=report.mismatches, rankdir="TB").source)


def test_draw_adds_a_highlight_of_your_own_to_the_mismatches():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh", "dW2 without 1/m"))
    assert report.mismatches == ["W[2]"], str(report)
    expected = mg.draw(report.graph.roots, grads=True, highlight=["W[2]", "A[1]"])
    # the same picture; its legend says what the red nodes are
    assert ">highlighted<" in expected.source
    assert report.draw(highlight="A[1]").source == expected.source.replace(
        ">highlighted<", ">returned, wrong, or highlighted by you<")


def test_draws_legend_calls_the_red_nodes_returned_and_wrong():
    # it said "highlighted", which does not tell a learner why they are red
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh", "dW2 without 1/m"))
    legend = drawn_marks(report.draw())["legend"]
    assert ">returned, wrong<" in legend and "highlighted" not in legend, legend
    assert "highlighted" not in drawn_marks(
        nets.check_backprop(net, X, Y, hand=notes_hand("tanh")).draw())["legend"]


def test_draws_legend_on_a_right_backprop_calls_your_highlight_yours_alone():
    # it said "returned, wrong, or highlighted by you" of A[1] where no gradient was wrong
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand("tanh"))
    assert report.ok, str(report)
    picture = report.draw(highlight="A[1]")
    assert [n for n, look in drawn_marks(picture).items() if look == "highlighted"] == ["A[1]"]
    expected = mg.draw(report.graph.roots, grads=True, highlight="A[1]")
    assert picture.source == expected.source.replace(">highlighted<", ">highlighted by you<")


def drawn_marks(picture) -> dict:
    """{node name: "highlighted", "inferred", "possible" or None} as the DOT source
    of ``picture`` draws each named node, and the legend's rows."""
    looks = {"highlighted": mg.viz._HIGHLIGHT, **mg.viz._MARKS}
    found, legend = {}, ""
    for line in picture.source.splitlines():
        name = re.search(r"label=<<B>(\w)(?:<SUP>(\[\d+\])</SUP>)?</B>", line)
        if line.lstrip().startswith("legend"):
            legend = line
        elif name:
            found["".join(name.groups(""))] = next(
                (k for k, a in looks.items() if f'fillcolor="{a["fillcolor"]}"' in line
                 or f'fillcolor={a["fillcolor"]} ' in line and "dotted" in line), None)
    return {**found, "legend": legend}


ENTERS = "not returned, inferred wrong: the error enters here"
OR_ENTERS = "not returned: or the error enters here"


@pytest.mark.parametrize("slip", ["1 - Z1^2 for 1 - A1^2", "A1 for g'(Z1)", "W2 left out"])
def test_draw_marks_the_node_not_returned_where_the_diagnosis_says_the_error_enters(slip):
    # the course's function returns dW, db only: "first wrong at dZ1 or above it (dA1), not
    # returned" was drawn as dW1 and db1 in red and nothing where the error enters
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=course_code.load(slip)["backward_propagation"])
    assert report.diagnosis().splitlines()[0] == (
        "first wrong at dZ1 or above it (dA1), not returned: dW1, db1 follow from it"), \
        str(report)
    marks = drawn_marks(report.draw())
    legend = marks.pop("legend")
    assert marks == {"X": None, "W[1]": "highlighted", "b[1]": "highlighted",
                     "Z[1]": "inferred", "A[1]": "possible", "W[2]": None, "b[2]": None,
                     "Z[2]": None, "A[2]": None, "Y": None, "J": None}, marks
    assert ENTERS in legend and OR_ENTERS in legend, legend
    assert 'STYLE="dashed"' in legend and 'STYLE="dotted"' in legend, legend


def test_draw_marks_an_inferred_node_whose_source_came_back_right_without_a_dotted_one():
    # dA[1] returned and right: "first wrong at Z[1], not returned", nowhere above it
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    slipped = notes_hand("tanh", "dZ1 with g instead of g'")

    def hand(params, X, Y):
        grads = {k: v for k, v in slipped(params, X, Y).items() if k != "Z[1]"}
        return {**grads, "A[1]": right["A[1]"]}

    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.diagnosis().splitlines()[0] == (
        "first wrong at Z[1], not returned: W[1], b[1] follow from it"), str(report)
    marks = drawn_marks(report.draw())
    assert (marks["Z[1]"], marks["A[1]"], marks["W[1]"], marks["b[1]"]) == (
        "inferred", None, "highlighted", "highlighted"), marks
    assert ENTERS in marks["legend"] and OR_ENTERS not in marks["legend"], marks["legend"]


def test_a_highlight_of_your_own_wins_over_an_inferred_mark():
    net, X, Y = flower_net()
    hand = course_code.load("A1 for g'(Z1)")["backward_propagation"]
    marks = drawn_marks(nets.check_backprop(net, X, Y, hand=hand).draw(highlight="Z[1]"))
    assert (marks["Z[1]"], marks["A[1]"]) == ("highlighted", "possible"), marks
    assert ENTERS not in marks["legend"] and OR_ENTERS in marks["legend"], marks["legend"]


@pytest.mark.parametrize("hand, first", [
    # the 1/m of every dW, db applied twice, or one 1/m in dZ2: "or each is wrong in its
    # own formula: return dZ2 to tell"
    (lambda: _one_over_m_slips(0, 2, ("dW2", "db2", "dW1", "db1")), "or each is wrong"),
    # no 1/m in any dW, db: "in their own formulas (so would one wrong dZ2 ...)"
    (lambda: course_code.load("missing 1/m")["backward_propagation"], "in their own formulas")])
def test_draw_marks_no_node_where_the_diagnosis_names_it_as_one_story_of_two(hand, first):
    net, X, Y = course_start()
    report = nets.check_backprop(net, X, Y, hand=hand())
    assert first in report.diagnosis().splitlines()[0], str(report)
    assert report.draw().source == legend_of_report(mg.draw(
        report.graph.roots, grads=True, highlight=report.mismatches).source)


def test_draw_takes_minigrad_draws_options_only():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y)
    for option in ("marks", "frame", "colour"):
        with pytest.raises(TypeError, match=f"draw: unknown option '{option}'"):
            report.draw(**{option: None})
    assert report.draw(values=True, dpi=50).source == mg.draw(
        report.graph.roots, values=True, grads=True, dpi=50).source


@pytest.mark.parametrize("slip", sorted(course_code.SLIPS))
def test_draw_marks_a_node_not_returned_exactly_where_the_text_says_the_error_enters(slip):
    # the picture claims no more than the lines: a dashed node only under "first wrong at
    # dZl ..., not returned" (no "cannot tell", no "more than one", no second story)
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=course_code.load(slip)["backward_propagation"])
    stated = [line for line in report.diagnosis().splitlines()
              if re.match(r"(first|also) wrong at dZ\d( or above it \(dA\d\))?, not returned",
                          line) and "or each is wrong" not in line]
    marks = drawn_marks(report.draw())
    inferred = sorted(n for n, k in marks.items() if k == "inferred")
    assert inferred == sorted(f"Z[{line.split('dZ')[1][0]}]" for line in stated), \
        (str(report), marks)
    assert ("possible" in marks.values()) == any("or above it" in line for line in stated)


# --- where an error enters: "follows" only along a wrong path -------------------------------

def test_an_error_below_a_right_node_is_independent_not_a_follower():
    # dZ[2] wrong, dA[1] and dZ[1] right, db[1] wrong: db[1] did not come from dZ[2]
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        **right, "Z[2]": 2 * right["Z[2]"], "b[1]": -right["b[1]"]})
    assert report.mismatches == ["Z[2]", "b[1]"], str(report)
    assert report.origins() == [("Z[2]", []), ("b[1]", [])]
    assert report.diagnosis().splitlines()[:2] == ["first wrong at Z[2]",
                                                   "also wrong at b[1], independently"]


def test_an_error_below_unreturned_nodes_may_follow_and_is_said_to():
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        "Z[2]": 2 * right["Z[2]"], "W[2]": 2 * right["W[2]"], "b[1]": 2 * right["b[1]"]})
    assert report.origins() == [("Z[2]", ["W[2]", "b[1]"])], str(report)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "leaky_relu"])
def test_only_dW_db_returned_a_wrong_dZ1_is_traced_to_dZ1(activation):
    net, X, Y = flower_net(activation)
    full = notes_hand(activation, "dZ1 with g instead of g'")
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        k: v for k, v in full(p, X, Y).items() if k[0] in "Wb"})
    assert report.mismatches == ["W[1]", "b[1]"], str(report)
    assert report.origins() == [("Z[1]", ["W[1]", "b[1]"])], str(report)
    lines = report.diagnosis().splitlines()
    assert lines[0] == ("first wrong at Z[1] or above it (A[1]), not returned: W[1], b[1] "
                        "follow from it"), str(report)
    assert lines[1].startswith("likely slip: A[1] in place of g′(Z[1])") \
        and lines[1].endswith("recomputed so, W[1] and b[1] come out as hand's"), str(report)


def test_one_wrong_dW_alone_is_not_traced_above_itself():
    # dW[1] wrong, db[1] right: dZ[1] is right, the error is in dW[1]'s own formula
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        "W[1]": 3 * right["W[1]"], "b[1]": right["b[1]"], "W[2]": right["W[2]"]})
    assert report.origins() == [("W[1]", [])], str(report)
    assert report.diagnosis().splitlines()[0] == "first wrong at W[1]"


def test_two_independent_slips_are_each_named():
    net, X, Y = flower_net()
    dW2_slip, dZ1_slip = notes_hand("tanh", "dW2 without 1/m"), \
        notes_hand("tanh", "dZ1 with g instead of g'")
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        **dZ1_slip(p, X, Y), "W[2]": dW2_slip(p, X, Y)["W[2]"]})
    lines = report.diagnosis().splitlines()
    assert lines[:2] == ["first wrong at W[2]",
                         "also wrong at Z[1], independently; W[1], b[1] follow from it"], \
        str(report)
    assert lines[2].startswith("likely slip: dW[2] without the 1/m"), str(report)
    assert lines[3].startswith("likely slip: A[1] in place of g′(Z[1])"), str(report)


# --- NaN and overflow: never "ok" -------------------------------------------------------------

def saturated_net(z):
    """Z[2] = z at both samples, labels 0: dA[2] = 1/σ'(z) is about e^z."""
    net = TwoLayerNet(1, 1, "identity", init="zeros")
    net.params["b[2]"] = np.array([[z]])
    return net, np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])


@pytest.mark.parametrize("z", [500.0, 800.0])
@pytest.mark.parametrize("factor", [0.0, 2.0, -1.0])
def test_a_wrong_huge_gradient_is_wrong_not_nan_ok(z, factor):
    net, X, Y = saturated_net(z)
    right = net.backprop(X, Y)
    # (the suite turns warnings into errors: no RuntimeWarning on the way either)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        **right, "A[2]": factor * right["A[2]"]})
    row = report.row("A[2]")
    assert row.verdict == WRONG and not report.ok, str(report)
    assert np.isfinite(row.difference) and row.difference > 0.3, str(report)


@pytest.mark.parametrize("z", [500.0, 800.0])
def test_a_right_huge_gradient_agrees(z):
    net, X, Y = saturated_net(z)
    report = nets.check_backprop(net, X, Y)
    assert report.ok, str(report)


@given(st.floats(-1e300, 1e300, allow_nan=False), st.sampled_from([np.nan, np.inf, -np.inf]),
       st.integers(0, 3))
def test_nan_or_inf_anywhere_in_hand_is_never_ok(value, bad, index):
    net, X, Y = flower_net()
    right = net.backprop(X, Y)
    dW1 = right["W[1]"].copy()
    dW1.flat[index] = bad
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {**right, "W[1]": dW1})
    assert report.row("W[1]").verdict == WRONG and not report.ok, str(report)


def test_scale_100_a_zero_output_gradient_is_caught():
    # issue 11, item 4: at scale 100 a zero dA[2] passed because nan < tol was "ok"
    X, Y = data.flower(m=10, seed=1)
    for seed in range(5):
        net = TwoLayerNet(2, 4, scale=100.0, seed=seed)
        right = net.backprop(X, Y)
        report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
            **right, "A[2]": np.zeros_like(right["A[2]"])})
        assert report.mismatches == ["A[2]"], str(report)
        assert nets.check_backprop(net, X, Y).ok


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_autograd_gradient_fails_with_a_note_never_ok(bad):
    # no check is possible there: say so, rather than pass whatever hand says
    from nets.check import _compare
    auto = np.array([[1.0, bad]])
    row = _compare("A[2]", auto, np.array([[1.0, 2.0]]), 2e-7, 2, None, None)
    assert row.verdict == WRONG and row.note.startswith(f"autograd holds {bad} at (0, 1)"), row
    assert row.note.endswith("no check is possible at this scale"), row


def test_a_leaky_slope_of_its_own_is_checked_and_its_slips_named_with_it():
    # issue 11 item 10: the graph, the hand and the slips' g' all use alpha = 0.3
    X, Y = data.flower(m=10, seed=1)
    net = TwoLayerNet(2, 4, activations.get("leaky_relu", alpha=0.3), scale=0.5, seed=3)
    assert nets.check_backprop(net, X, Y).ok
    right = net.backprop(X, Y)   # dZ[1] with leaky' = 0.3 where Z[1] <= 0
    assert np.any(net.forward(X)["Z[1]"] < 0)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        "W[2]": right["W[2]"], "b[1]": right["b[1]"], "W[1]": right["W[1]"] * X.shape[1]})
    assert report.mismatches == ["W[1]"], str(report)
    # recomputed with alpha = 0.01, dZ[1] would differ and no slip would fit
    assert report.diagnosis().splitlines()[1].startswith(
        "likely slip: dW[1] without the 1/m"), str(report)


def test_of_two_independent_errors_the_one_without_a_classic_slip_is_said_so():
    net, X, Y = flower_net()
    dW2_slip = notes_hand("tanh", "dW2 without 1/m")
    right = net.backprop(X, Y)
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {
        **right, "W[2]": dW2_slip(p, X, Y)["W[2]"], "b[1]": right["b[1]"] + 1.0})
    assert report.diagnosis().splitlines()[2:] == [
        "likely slip: dW[2] without the 1/m (dW[2] = dZ[2] A[1]ᵀ): recomputed so, W[2] comes "
        "out as hand's",
        "no classic slip gives b[1]"], str(report)


def test_a_huge_hand_value_against_a_tiny_autograd_one_is_wrong_without_a_warning():
    # "hand = c × autograd" divided 1e10 by 1e-300: an overflow warning (an error under -W error)
    net = TwoLayerNet(1, 1, "identity", init="zeros")
    net.params["W[2]"], net.params["W[1]"] = np.array([[1e-300]]), np.array([[1.0]])
    X, Y = np.array([[1.0, 2.0]]), np.array([[0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: {"W[1]": np.array([[1e10]])})
    assert not report.ok and "× autograd" not in str(report)


# --- fewer digits than float64 --------------------------------------------------------

def course_start():
    """The course's net and data: small weights, where float32's digits run out
    in sums that cancel (db)."""
    X, Y = data.flower(m=400, seed=1)
    return TwoLayerNet(2, 4, seed=2), X, Y


def float32_deltas(parameters, cache, X, Y):
    """The course's dZ2 and dZ1 on float32 copies of everything, with A1 and X in
    float32 for the rest of the formulas."""
    W2 = parameters["W2"].astype(np.float32)
    A1, A2 = cache["A1"].astype(np.float32), cache["A2"].astype(np.float32)
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    dZ2 = A2 - Y
    return dZ2, W2.T @ dZ2 * (1 - A1 ** 2), A1, X


def in_float32(parameters, cache, X, Y):
    """The course's backward_propagation, right, on float32 copies of everything:
    its results are float32."""
    dZ2, dZ1, A1, X = float32_deltas(parameters, cache, X, Y)
    m = X.shape[1]
    return {"dW2": dZ2 @ A1.T / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
            "dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}


def test_right_formulas_in_float32_are_wrong_for_want_of_digits_and_said_so():
    net, X, Y = course_start()

    def backward_propagation(parameters, cache, X, Y):
        return in_float32(parameters, cache, X, Y)

    report = nets.check_backprop(net, X, Y, hand=backward_propagation)
    assert not report.ok and report.mismatches, str(report)
    for name in report.mismatches:   # none says "hand = 1 × autograd"
        assert report.row(name).note == "hand is float32: about 7 digits", str(report)
    wrong = [report.label(n) for n in report.mismatches]
    wrong = wrong[0] if len(wrong) == 1 else ", ".join(wrong[:-1]) + " and " + wrong[-1]
    assert report.diagnosis() == (
        f"{wrong} came back as float32, which keeps about 7 significant digits: too few for "
        f"this check's 2e-07, whether the formulas are right or not. Compute in float64 "
        f"(numpy's default, and the course's), then check again"), str(report)


def test_right_formulas_summed_sample_by_sample_in_float32_at_m_2000_are_read_as_float32():
    # a loop over the samples (i), adding into float32 arrays: its rounding grows with
    # the m terms (db1 8.6 float32 roundings of its terms' size off here, more than a
    # handful), still nowhere near a slip: "came back as float32", not traced as one
    X, Y = data.flower(m=2000, seed=2)
    net = TwoLayerNet(2, 4, seed=2)

    def backward_propagation(parameters, cache, X, Y):
        dZ2, dZ1, A1, X = float32_deltas(parameters, cache, X, Y)
        m = X.shape[1]
        grads = {"dW2": np.zeros(parameters["W2"].shape, np.float32),
                 "db2": np.zeros((1, 1), np.float32),
                 "dW1": np.zeros(parameters["W1"].shape, np.float32),
                 "db1": np.zeros((dZ1.shape[0], 1), np.float32)}
        for i in range(m):
            grads["dW2"] += dZ2[:, i:i + 1] @ A1[:, i:i + 1].T
            grads["db2"] += dZ2[:, i:i + 1]
            grads["dW1"] += dZ1[:, i:i + 1] @ X[:, i:i + 1].T
            grads["db1"] += dZ1[:, i:i + 1]
        return {k: v / np.float32(m) for k, v in grads.items()}

    report = nets.check_backprop(net, X, Y, hand=backward_propagation)
    assert not report.ok and "b[1]" in report.mismatches, str(report)
    for name in report.mismatches:
        assert report.row(name).note == "hand is float32: about 7 digits", str(report)
    assert "came back as float32" in report.diagnosis().splitlines()[0], str(report)
    assert "first wrong" not in report.diagnosis(), str(report)


def test_a_real_slip_in_float64_beside_float32_values_is_still_traced():
    net, X, Y = course_start()

    def backward_propagation(parameters, cache, X, Y):
        grads = in_float32(parameters, cache, X, Y)
        A1, A2 = cache["A1"], cache["A2"]
        grads["dW2"] = (A2 - Y) @ A1.T   # float64, without its 1/m
        return grads

    report = nets.check_backprop(net, X, Y, hand=backward_propagation)
    imprecise = [n for n in report.mismatches if report.row(n).hand_dtype == "float32"]
    assert "W[2]" in report.mismatches and report.row("W[2]").hand_dtype is None
    assert imprecise, str(report)
    # the float32 nodes are no evidence either way: dW2 is traced alone, and its slip
    # named (beside the one that would also drop db2's 1/m: db2 cannot tell)
    lines = report.diagnosis().splitlines()
    assert "float32" in lines[0] and lines[1] == "first wrong at dW2", str(report)
    assert "  - dW2 without the 1/m: dW2 = dZ2 A1ᵀ" in lines, str(report)


def test_a_slip_in_float32_is_still_a_slip_named_as_in_float64():
    # a missing 1/m is 400 times off: no float32 rounding does that
    net, X, Y = course_start()

    def backward_propagation(parameters, cache, X, Y):
        grads = in_float32(parameters, cache, X, Y)
        return {k: (v * X.shape[1]).astype(np.float32) for k, v in grads.items()}

    report = nets.check_backprop(net, X, Y, hand=backward_propagation)
    assert all(report.row(n).hand_dtype is None for n in report.mismatches), str(report)
    assert report.row("dW2").note == "hand = 400 × autograd (m = 400: a missing 1/m?)"
    assert "likely slip: no 1/m in any dW, db" in report.diagnosis(), str(report)


def through_float32(a):
    """A float64 array that went through float32 on the way (astype and back)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


@pytest.mark.parametrize("cast", ["dZ1", "every dZ"])
def test_right_formulas_through_float32_returned_as_float64_are_said_to_look_right(cast):
    # dZ1 cast to float32 and back: the values are float64, their digits float32's;
    # the sums that cancel (db1) lose them past the check's 2e-7
    net, X, Y = course_start()

    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        A1, A2, W2 = cache["A1"], cache["A2"], parameters["W2"]
        dZ2 = A2 - Y
        if cast == "every dZ":
            dZ2 = through_float32(dZ2)
        dZ1 = through_float32(np.dot(W2.T, dZ2) * (1 - np.power(A1, 2)))
        return {"dW2": (1 / m) * np.dot(dZ2, A1.T),
                "db2": (1 / m) * np.sum(dZ2, axis=1, keepdims=True),
                "dW1": (1 / m) * np.dot(dZ1, X.T),
                "db1": (1 / m) * np.sum(dZ1, axis=1, keepdims=True)}

    report = nets.check_backprop(net, X, Y, hand=backward_propagation)
    assert not report.ok and report.mismatches == ["b[1]"], str(report)
    row = report.row("db1")
    assert row.digits_only and row.hand_dtype == "float32", str(report)
    assert row.note == "agrees to float32's precision: about 7 digits", str(report)
    text = report.diagnosis()
    assert text.startswith("db1 agrees with autograd to float32's precision") and \
        "the formulas look right" in text and "astype(np.float32)" in text, text
    assert "no classic slip" not in text and "first wrong" not in text, text


def test_one_minus_z1_squared_at_the_course_start_is_the_slip_in_dw1_too_not_float32():
    # At the untrained net Z1 is small: 1 − Z1² and 1 − A1² differ by about Z1⁴, and
    # dW1 is off by as little as float32's rounding (6e-6). The hand is float64 all
    # along and the slip found for db1 gives dW1 too: it was "agrees to float32's
    # precision", a paragraph on a float32 cast that is not there, "first wrong at db1"
    from tests import course_code
    net, X, Y = course_start()
    hand = course_code.load("1 - Z1^2 for 1 - A1^2")["backward_propagation"]
    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.mismatches == ["W[1]", "b[1]"], str(report)
    row = report.row("dW1")
    assert row.verdict == WRONG and 1e-6 < row.difference < 1e-4, str(report)
    assert row.hand_dtype is None and not row.digits_only and row.note == "", str(report)
    assert "float32" not in str(report), str(report)
    assert report.diagnosis().splitlines() == [
        "first wrong at dZ1 or above it (dA1), not returned: dW1, db1 follow from it",
        "likely slip: 1 − Z1² in place of 1 − A1² (dZ1 = W2ᵀ dZ2 * (1 − Z1²)): recomputed so, "
        "dW1 and db1 come out as yours"], str(report)


def test_a_slip_whose_every_row_is_within_float32s_rounding_is_named_where_nothing_shows_float32():
    # the course's net at m = 5: 1 − Z1² for 1 − A1² leaves dW1 and db1 both within
    # float32's rounding (8e-7 off), so nothing else was traced and no slip searched:
    # "right formulas through float32, or formulas off by as little; cannot tell",
    # to a learner whose code is float64 throughout
    from tests import course_code
    X, Y = data.flower(m=5, seed=1)
    hand = course_code.load("1 - Z1^2 for 1 - A1^2")["backward_propagation"]
    report = nets.check_backprop(TwoLayerNet(2, 4, seed=2), X, Y, hand=hand)
    assert report.mismatches == ["W[1]", "b[1]"], str(report)
    assert all(report.row(n).difference < 1e-4 for n in report.mismatches), str(report)
    assert "float32" not in str(report), str(report)
    assert report.diagnosis().splitlines() == [
        "first wrong at dZ1 or above it (dA1), not returned: dW1, db1 follow from it",
        "likely slip: 1 − Z1² in place of 1 − A1² (dZ1 = W2ᵀ dZ2 * (1 − Z1²)): recomputed so, "
        "dW1 and db1 come out as yours"], str(report)


def float32_dz1_hand(dW2_without_1_over_m=False, db2_without_1_over_m=False,
                     one_minus_z1_squared=False, dz1_through_float32=True):
    """The course's backward_propagation, float64, with dZ1 through float32 and back
    (db1 then agrees with autograd to float32's digits only), and the slips asked."""
    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        A1, A2, W2, Z1 = cache["A1"], cache["A2"], parameters["W2"], cache["Z1"]
        dZ2 = A2 - Y
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(Z1 if one_minus_z1_squared else A1, 2))
        if dz1_through_float32:
            dZ1 = through_float32(dZ1)
        return {"dW2": np.dot(dZ2, A1.T) / (1 if dW2_without_1_over_m else m),
                "db2": np.sum(dZ2, axis=1, keepdims=True) / (1 if db2_without_1_over_m else m),
                "dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
    return backward_propagation


@pytest.mark.parametrize("slip", ["dW2", "db2"])
def test_float32_digits_beside_a_slip_that_does_not_give_them_are_still_read_as_float32(slip):
    # a missing 1/m in dW2 (or db2) leaves dW1, db1 right: it does not give the db1
    # that went through float32, which stays float32's digits, not the slip's
    net, X, Y = course_start()
    hand = float32_dz1_hand(dW2_without_1_over_m=slip == "dW2",
                            db2_without_1_over_m=slip == "db2")
    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.mismatches == [f"{slip[1]}[2]", "b[1]"], str(report)
    assert report.row("db1").digits_only and report.row("db1").hand_dtype == "float32", \
        str(report)
    lines = report.diagnosis().splitlines()
    assert lines[0].startswith("db1 agrees with autograd to float32's precision"), str(report)
    assert lines[1] == f"first wrong at {slip}", str(report)
    assert lines[2].startswith(f"likely slip: {slip} without the 1/m") and \
        lines[2].endswith(f"recomputed so, {slip} comes out as yours"), str(report)


def test_an_independent_slip_that_gives_rows_read_as_float32_traces_them_as_its_own():
    # two errors: dW2 without 1/m, and 1 − Z1² for 1 − A1², all float64. The second
    # slip's part gives dW1 (off by float32's rounding only) as well as db1
    net, X, Y = course_start()
    hand = float32_dz1_hand(dW2_without_1_over_m=True, one_minus_z1_squared=True,
                            dz1_through_float32=False)
    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.mismatches == ["W[2]", "W[1]", "b[1]"], str(report)
    assert not any(r.digits_only for r in report.rows) and "float32" not in str(report), \
        str(report)
    assert report.diagnosis().splitlines() == [
        "first wrong at dW2",
        "also wrong at dZ1 or above it (dA1), not returned, independently: dW1, db1 follow "
        "from it",
        "likely slip: dW2 without the 1/m (dW2 = dZ2 A1ᵀ): recomputed so, dW2 comes out as "
        "yours",
        "likely slip: 1 − Z1² in place of 1 − A1² (dZ1 = W2ᵀ dZ2 * (1 − Z1²)): recomputed so, "
        "dW1 and db1 come out as yours"], str(report)


@pytest.mark.parametrize("node", ["b[2]", "b[1]"])
def test_a_one_percent_slip_in_a_sum_that_cancels_is_not_read_as_float32(node):
    # db2, db1 cancel on the course's start (balanced classes, A2 near 0.5): off by
    # 1%, they are still within float32's rounding of their terms; only their
    # relative difference (5e-3) tells the slip from the missing digits
    net, X, Y = course_start()
    right = notes_hand()

    def hand(params, X, Y):
        grads = right(params, X, Y)
        grads[node] = grads[node] * 1.01
        return grads

    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.mismatches == [node], str(report)
    assert not report.row(node).digits_only and "float32" not in str(report), str(report)


def test_float32_everywhere_on_the_course_start_says_a_cancelled_sum_cannot_tell():
    # the forward and backward in float32 with the course's small weights: db2, db1
    # cancel so far (A2 near 0.5) that float32 leaves them 2e-4 to 1e-3 off, as far
    # as a 1% slip would: not read as float32's, but not blamed on a formula either
    net, X, Y = course_start()

    def hand(params, X, Y):
        W1, b1, W2, b2 = (params[k].astype(np.float32) for k in ("W[1]", "b[1]", "W[2]", "b[2]"))
        X, Y = X.astype(np.float32), Y.astype(np.float32)
        m = X.shape[1]
        A1 = np.tanh(W1 @ X + b1)
        A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
        dZ2 = A2 - Y
        dA1 = W2.T @ dZ2
        dZ1 = dA1 * (1 - A1 ** 2)
        in32 = {"Z[2]": dZ2, "W[2]": dZ2 @ A1.T / m, "b[2]": np.sum(dZ2, axis=1, keepdims=True) / m,
                "A[1]": dA1, "Z[1]": dZ1, "W[1]": dZ1 @ X.T / m,
                "b[1]": np.sum(dZ1, axis=1, keepdims=True) / m}
        return {k: v.astype(np.float64) for k, v in in32.items()}

    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.mismatches == ["b[2]", "b[1]"], str(report)
    assert not any(report.row(n).digits_only for n in report.mismatches), str(report)
    text = report.diagnosis()
    assert "but Z[2], W[2], A[1], Z[1] and W[1] are off by float32's rounding (more than " \
        "float64's): these numbers look as if they went through float32. b[2] and b[1] " \
        "are sums that cancel" in text, text
    assert "cannot tell a slip from float32's missing digits" in text, text
    assert "the formulas look right" not in text, text


def course_backward(c=1.0, eps=0.0, cast=None):
    """The course's backward_propagation, its own forward pass from X and the
    parameters (cast to float32 where ``cast`` says: "X", "params"; "both": both
    rounded to float32 and back, the arithmetic float64's); dZ2 times
    ``c``, or dA2 with ``eps`` added to its denominators (-Y/(A2 + ε) + ...)."""
    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        if cast == "X":
            X = X.astype(np.float32)
        p = {k: v.astype(np.float32) if cast == "params" else v for k, v in parameters.items()}
        if cast == "both":   # loaded from a float32 file, say, and made float64 again
            X, p = through_float32(X), {k: through_float32(v) for k, v in p.items()}
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
        dZ2 = (A2 - Y) * c
        if eps:
            dZ2 = (-Y / (A2 + eps) + (1 - Y) / (1 - A2 + eps)) * A2 * (1 - A2)
        dZ1 = np.dot(p["W2"].T, dZ2) * (1 - np.power(A1, 2))
        return {"dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
                "dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
    return backward_propagation


@pytest.mark.parametrize("c, eps", [(0.99999, 0.0), (0.999999, 0.0), (1.000003, 0.0),
                                    (1.0, 1e-6), (1.0, 1e-5)])
def test_a_formula_off_by_a_tiny_constant_in_float64_is_not_said_to_have_gone_through_float32(
        c, eps):
    # all float64: dZ2 times 0.99999, or an ε in dA2's denominators, is as close to
    # autograd as float32's rounding; nothing in the numbers shows float32, so the
    # report says it cannot tell (it said "the formulas look right ... went through float32")
    net, X, Y = course_start()
    report = nets.check_backprop(net, X, Y, hand=course_backward(c, eps))
    assert not report.ok and any(r.digits_only for r in report.rows), str(report)
    text = report.diagnosis()
    assert "the formulas look right" not in text and "went through float32" not in text, text
    assert "or formulas off by about as little (a constant such as 0.99999, an ε added in a " \
        "log); these numbers cannot tell them apart" in text, text


@pytest.mark.parametrize("cast", ["X", "params", "both"])
def test_right_formulas_from_a_float32_x_or_float32_parameters_are_said_to_look_right(cast):
    # X.astype(np.float32) (or the parameters, or both) with the rest in float64: the right
    # formulas from X rounded to float32 give the hand's numbers, which shows float32
    net, X, Y = course_start()
    net.fit(X, Y, iterations=1000, learning_rate=1.2)   # trained: sums that cancel
    report = nets.check_backprop(net, X, Y, hand=course_backward(cast=cast))
    assert not report.ok and all(report.row(n).digits_only for n in report.mismatches), \
        str(report)
    text = report.diagnosis()
    assert "the formulas look right" in text and "cannot tell them apart" not in text, text


TWO_LAYER_NODES = ["Z[2]", "W[2]", "b[2]", "A[1]", "Z[1]", "W[1]", "b[1]"]


@given(two_layer_nets(), st.data(), st.sampled_from([1.01, 0.99, 2.0, 0.5, -1.0]),
       st.booleans())
def test_a_wrong_formula_is_never_read_as_float32(net, data, factor, float32_elsewhere):
    # one formula off by 1%, 2x or a sign at any node (and what follows from it),
    # the others right, in float64 or through float32: the slip's nodes are never
    # "right formulas, float32's digits"
    X, Y = data.draw(labelled_data(net.n_x))
    node = data.draw(st.sampled_from(TWO_LAYER_NODES))
    values = {**net.forward(X), **net.params, "A[0]": X}
    hidden = {1: net.activation}
    with np.errstate(all="ignore"):
        right = slips.backward(values, Y, hidden, 2)
        slipped = {node: right[node] * factor}
        if node[0] in "ZA":   # a slip at dZ, dA spoils every gradient below it
            slipped.update(slips.backward(values, Y, hidden, 2,
                                          start=(node, right[node] * factor)))
    grads = {n: slipped[n] if n in slipped else
             through_float32(right[n]) if float32_elsewhere else right[n]
             for n in TWO_LAYER_NODES}
    with np.errstate(all="ignore"):
        report = nets.check_backprop(net, X, Y, hand=lambda params, X, Y: grads)
    read = [r.name for r in report.rows if r.digits_only and r.name in slipped]
    assert not read, str(report)
    if not float32_elsewhere:
        assert "float32" not in str(report), str(report)


def test_m_read_from_the_rows_of_x_is_named():
    net, X, Y = course_start()
    right = notes_hand()

    def hand(params, X, Y):   # m = X.shape[0]: every 1/m is 1/2
        return {k: v * X.shape[1] / X.shape[0] if k[0] in "Wb" else v
                for k, v in right(params, X, Y).items()}

    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.row("W[1]").note == ("hand = 200 × autograd (m / n_x = 400 / 2: m read as "
                                       "X.shape[0]?)"), str(report)
    assert "likely slip: m read from the rows of X (n_x) for every 1/m (m = X.shape[0])" \
        in report.diagnosis(), str(report)


def test_an_ok_where_n_x_equals_m_says_m_may_have_come_from_the_wrong_axis():
    X, Y = data.flower(m=2, seed=1)
    net = TwoLayerNet(2, 4, scale=0.5, seed=3)
    net.params = {k: v + 0.1 for k, v in net.params.items()}   # nonzero biases
    report = nets.check_backprop(net, X, Y)
    assert report.ok
    assert report.blind_spots()[0] == ("a slip gives the same numbers here: m read from the "
                                       "rows of X (n_x) for every 1/m"), str(report)


# --- what an "ok" cannot see ----------------------------------------------------------

def test_an_ok_at_one_sample_says_a_1_over_m_cannot_show():
    net, X, Y = flower_net(m=2)
    net.params = {k: v + 0.1 for k, v in net.params.items()}   # nonzero biases
    report = nets.check_backprop(net, X[:, :1], Y[:, :1])
    assert report.ok
    assert report.blind_spots()[0] == ("m = 1 here: a missing or doubled 1/m gives the same "
                                      "numbers"), str(report)
    assert not any("1/m" in line for line in report.blind_spots()[1:]), str(report)


def test_an_ok_where_a_zero_weight_hides_slips_names_them():
    X, Y = data.flower(m=10, seed=1)
    net = TwoLayerNet(2, 4, init="zeros")
    net.params["b[1]"] = net.params["b[1]"] + 0.1
    net.params["b[2]"] = net.params["b[2]"] + 0.1
    report = nets.check_backprop(net, X, Y)
    assert report.ok
    hidden = report.blind_spots()
    # W[2] = 0: nothing reaches dZ[1], so no slip in it shows
    assert re.fullmatch(r"these slips give the same numbers here: .*; and \d+ more",
                        hidden[0]), hidden
    assert hidden[-1] == ("so check at another point too (weights and data where they show): "
                          "nets.testing.informative_case() is one"), hidden


def test_an_ok_at_an_informative_point_has_nothing_to_add():
    from nets.testing import informative_case
    case = informative_case()
    report = nets.check_backprop(case.net, case.X, case.Y)
    assert report.ok and report.blind_spots() == []
    assert report.diagnosis() == "all 8 nodes agree with autograd"


def test_a_wrong_report_lists_no_blind_spots():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=notes_hand(slip="dW2 without 1/m"))
    assert not report.ok and report.blind_spots() == []


def test_the_course_names_in_a_function_of_three_parameters_get_a_hint():
    net, X, Y = flower_net()

    def backward_propagation(parameters, X, Y):
        return {"dW1": parameters["W1"]}

    with pytest.raises(RuntimeError, match=r"KeyError: 'W1' .*keyed as the notes name them "
                                           r"\('W\[1\]'\); the course's names \('W1'\) come "
                                           r"with its four parameters"):
        nets.check_backprop(net, X, Y, hand=backward_propagation)


def test_a_course_function_reading_a_layer_the_net_lacks_is_told_the_layers():
    net, X, Y = flower_net()   # two layers

    def backward_propagation(parameters, cache, X, Y):   # written for three layers
        W2, W3 = parameters["W2"], parameters["W3"]
        return {"dW3": W3}

    with pytest.raises(RuntimeError) as caught:
        nets.check_backprop(net, X, Y, hand=backward_propagation)
    message = str(caught.value)
    assert "KeyError: 'W3'" in message and "The net has 2 layers: parameters holds W1, W2; " \
        "your function reads 'W3'" in message, message
    assert "three parameters" not in message, message


def test_a_hand_reading_a_layer_the_net_lacks_is_told_the_layers():
    net, X, Y = flower_net()

    def hand(params, X, Y):
        return {"A[3]": params["A[3]"]}

    with pytest.raises(RuntimeError, match=r"The net has 2 layers: the forward pass holds "
                                           r"A\[1\], A\[2\]; your function reads 'A\[3\]'"):
        nets.check_backprop(net, X, Y, hand=hand)


def test_jupyter_shows_the_whole_report():
    # A cell that ends in nets.check_backprop(...) shows what print(report) would,
    # the slip's row included; repr() stays one line
    from IPython.lib.pretty import pretty
    X, Y = data.flower(m=20, seed=3)
    net = TwoLayerNet(2, 3, seed=1)

    def no_one_over_m(params, X, Y):
        grads = net.backprop(X, Y)
        return {"W[2]": grads["W[2]"] * X.shape[1]}
    report = nets.check_backprop(net, X, Y, hand=no_one_over_m)
    assert pretty(report) == str(report)
    assert "W[2]" in pretty(report) and "WRONG" in pretty(report)
    assert repr(report).startswith("BackpropReport(ok=False") and "\n" not in repr(report)


def test_nan_from_dividing_by_1_minus_a_at_a_saturated_output_is_explained():
    net, X, Y = flower_net()
    net.params["W[2]"] = net.params["W[2]"] * 200   # |Z[2]| past 37 at some samples: A[2] = 1

    def hand(params, X, Y):
        A2 = activations.sigmoid(params["W[2]"] @ np.tanh(params["W[1]"] @ X + params["b[1]"])
                                 + params["b[2]"])
        with np.errstate(all="ignore"):
            return {"A[2]": -(Y / A2) + (1 - Y) / (1 - A2), "Z[2]": A2 - Y}

    report = nets.check_backprop(net, X, Y, hand=hand)
    text = report.diagnosis()
    assert report.mismatches == ["A[2]"], str(report)
    assert "A[2] holds nan or inf (hand's) where A[2] is exactly 0 or 1 in float64" in text, text
    assert "dZ[2] = A[2] − Y directly" in text and "no classic slip" not in text, text


def test_a_value_under_another_nodes_key_is_named_as_swapped_keys():
    net, X, Y = flower_net()

    def swapped(params, X, Y):
        grads = net.backprop(X, Y)
        return {**grads, "Z[1]": grads["A[1]"]}   # dA1 returned as dZ1

    report = nets.check_backprop(net, X, Y, hand=swapped)
    text = report.diagnosis()
    assert report.mismatches == ["Z[1]"], str(report)
    assert "hand's Z[1] equals autograd's A[1]: g′(Z[1]) left out, or swapped keys?" in text, text
    assert "no classic slip" not in text, text


def test_no_swapped_keys_line_for_a_node_a_slip_gives_among_two_slips():
    # g′ left out makes dZ[1] equal dA[1]; with a second slip (db[2] without 1/m)
    # no one slip gives every node, but one gives Z[1]: no "swapped keys?" there
    from nets.testing import informative_case
    net, X, Y = informative_case("tanh", 1)

    def two_slips(params, X, Y):
        grads = net.backprop(X, Y)
        dZ1 = params["W[2]"].T @ grads["Z[2]"]   # g′(Z1) left out
        m = X.shape[1]
        return {"Z[2]": grads["Z[2]"], "W[2]": grads["W[2]"], "b[2]": grads["b[2]"] * m,
                "Z[1]": dZ1, "W[1]": dZ1 @ X.T / m, "b[1]": dZ1.sum(axis=1, keepdims=True) / m}

    text = nets.check_backprop(net, X, Y, hand=two_slips).diagnosis()
    assert "likely slip: g′(Z[1]) left out" in text, text
    assert "likely slip: db[2] without the 1/m" in text, text
    assert "swapped" not in text, text


def test_an_inf_of_its_own_under_finite_dZ_is_not_blamed_on_a_saturated_output():
    # 2 of 6 samples saturate A[2]; db[1] divides by m − m = 0 while dZ[1] is finite
    from nets.testing import informative_case
    net, X, Y = informative_case("tanh", 1)
    net.params["W[2]"] = net.params["W[2]"] * 400

    def divides_by_0(params, X, Y):
        grads = net.backprop(X, Y)
        with np.errstate(divide="ignore"):
            db1 = grads["Z[1]"].sum(axis=1, keepdims=True) / (X.shape[1] - X.shape[1])
        return {**{k: v for k, v in grads.items() if k[0] in "ZWb"}, "b[1]": db1}

    report = nets.check_backprop(net, X, Y, hand=divides_by_0)
    A2 = report.context.values["A[2]"]
    assert np.any((A2 == 0) | (A2 == 1)), "the case lost its saturated samples"
    assert report.mismatches == ["b[1]"], str(report)
    assert "holds nan or inf" not in report.diagnosis(), str(report)


def test_course_names_in_a_hand_of_three_parameters_are_named_before_missing_layers():
    net, X, Y = flower_net()   # two layers

    def hand(params, X, Y):
        return {"W[1]": params["W3"]}

    with pytest.raises(RuntimeError) as caught:
        nets.check_backprop(net, X, Y, hand=hand)
    message = str(caught.value)
    assert "notes name them (W[1], W[2]); the course's names ('W3') come with its four " \
        "parameters" in message and "this net has 2 layers, no layer 3" in message, message
    assert "holds W1, W2" not in message, message


@pytest.mark.parametrize("key, course_style, said", [
    ("A0", True, "Layers count from 1: cache holds A1, A2; your function reads 'A0', and "
                 "A[0] is X, which your function gets as X"),
    ("b[0]", False, "Layers count from 1: params holds b[1], b[2]; your function reads "
                    "'b[0]', and layer 0 is the input X, which has no b"),
])
def test_layer_0_is_said_to_be_the_input_x(key, course_style, said):
    net, X, Y = flower_net()

    def hand(params, X, Y):
        return {"W[1]": params[key]}

    def backward_propagation(parameters, cache, X, Y):
        return {"dW1": cache[key]}

    with pytest.raises(RuntimeError) as caught:
        nets.check_backprop(net, X, Y, hand=backward_propagation if course_style else hand)
    assert said in str(caught.value) and "deeper net" not in str(caught.value), caught.value


@pytest.mark.parametrize("setting", ["raise", "warn"])
def test_a_np_seterr_in_the_hand_does_not_reach_the_checks_own_arithmetic(setting):
    # np.seterr(all="raise") made the check's own sums raise FloatingPointError on an
    # underflow; "warn" made them warn as if the learner's arithmetic did
    net, X, Y = nets.testing.informative_case("tanh")
    before = np.geterr()

    def hand(params, X, Y):
        np.seterr(all=setting)
        return {"W[2]": net.backprop(X, Y)["W[2]"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.ok and np.geterr() == before, str(report)


ANY_ACTIVATION = [activations.get(n) for n in activations.NAMES] + \
    [activations.get("leaky_relu", alpha=0.3)]
PIECES = ["right", "scaled", "noise", "zero", "float32", "nan", "transposed"]


@given(st.integers(0, 3).flatmap(lambda layers: cases(ANY_ACTIVATION, layers)), st.data())
def test_the_report_prints_for_any_mix_of_values_and_a_right_mix_is_ok(case, data):
    # every node right, scaled (2, -1, 1.01, 1e-300, 1e300), noisy, 0, through float32,
    # nan or transposed, at any depth: the diagnosis (slips, α fit, float32 lines)
    # never raises nor warns, and the right values alone are ok
    net, X, Y = case
    values = {**net.forward(X), **net.params, "A[0]": X}
    with np.errstate(all="ignore"):
        right = slips.backward(values, Y, {l: net._g(l) for l in range(1, net.L)}, net.L)
    grads = {}
    for name in data.draw(st.sets(st.sampled_from(sorted(right))), label="returned"):
        piece, value = data.draw(st.sampled_from(PIECES), label=name), right[name]
        factor = data.draw(st.sampled_from([2.0, -1.0, 1.01, 1e-300, 1e300])) \
            if piece == "scaled" else 1.0
        grads[name] = {"right": value, "scaled": value * factor,
                       "noise": value + 1e-3 * np.random.RandomState(0).standard_normal(
                           value.shape),
                       "zero": np.zeros_like(value), "float32": through_float32(value),
                       "nan": np.full(value.shape, np.nan), "transposed": value.T}[piece]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = nets.check_backprop(net, X, Y, hand=lambda params, X, Y: grads)
        text = str(report)
    if grads and all(np.array_equal(grads[n], right[n]) for n in grads):
        assert report.ok, text


def test_a_huge_wrong_value_does_not_overflow_the_one_error_test():
    # dA[2] 1e300 times too big beside a wrong dW[3] (hypothesis found it): the test
    # whether one error at Z[3] gives both took a norm of 1e300 values (overflow warning)
    net = DeepNet([1, 1, 1, 1], activation="sigmoid", init="zeros")
    net.params["W[3]"] = np.array([[1.0]])
    X, Y = np.array([[0.0]]), np.array([[0.0]])
    values = {**net.forward(X), **net.params, "A[0]": X}
    right = slips.backward(values, Y, {l: net._g(l) for l in range(1, net.L)}, net.L)
    grads = {"W[3]": right["W[3]"] * 2.0, "A[2]": right["A[2]"] * 1e300}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = nets.check_backprop(net, X, Y, hand=lambda params, X, Y: grads)
        text = str(report)
    assert "more than one error" in text, text


def test_float32_numbers_are_shown_only_where_autograds_are_not_float32_numbers_too():
    # nets.precision.float32_shown, from the values alone (no SlipContext): a hand value
    # every entry of which is a float32 number says the numbers went through float32
    # only where autograd's are not float32 numbers themselves (0.5, 0.25, 0 are:
    # then a formula off by a tiny constant is as likely, and the report cannot tell)
    from nets.precision import float32_shown
    from nets.report import WRONG, NodeCheck

    def row(auto, hand):
        r = NodeCheck("b[2]", auto.shape, hand.shape, auto, hand, 1e-6, WRONG)
        r.hand_dtype, r.digits_only = "float32", True
        return r
    exact = np.array([[0.5, 0.25]])
    near = exact.astype(np.float32) * np.float32(1 + 2 ** -20)   # float32 numbers, off a little
    assert not float32_shown([row(exact, near.astype(np.float64))], None)
    inexact = np.array([[0.1, 0.3]])
    assert float32_shown([row(inexact, inexact.astype(np.float32).astype(np.float64))], None)


def test_an_object_with_params_alone_is_no_net_for_check_backprop():
    # a learner's own class holding .params: it has no graph to check against, and
    # read as a net it failed later with an AttributeError about 'graph'
    from types import SimpleNamespace
    own = SimpleNamespace(params={"W[1]": np.zeros((1, 2)), "b[1]": np.zeros((1, 1))})
    with pytest.raises(TypeError, match=r"net must be a nets network .*; got SimpleNamespace$"):
        nets.check_backprop(own, np.ones((2, 3)), np.array([[0.0, 1.0, 1.0]]))


def _one_over_m_slips(in_dZ2: int, in_each: int, returned: tuple):
    """The course's backward_propagation with (1/m)^in_dZ2 in dZ2 and (1/m)^in_each
    in every dW, db (the right one: 0 and 1), returning the gradients named."""
    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        A1, A2 = cache["A1"], cache["A2"]
        dZ2 = (A2 - Y) / m ** in_dZ2
        dZ1 = parameters["W2"].T @ dZ2 * (1 - A1 ** 2)
        grads = {"dZ2": dZ2, "dW2": dZ2 @ A1.T / m ** in_each,
                 "db2": np.sum(dZ2, axis=1, keepdims=True) / m ** in_each,
                 "dW1": dZ1 @ X.T / m ** in_each,
                 "db1": np.sum(dZ1, axis=1, keepdims=True) / m ** in_each}
        return {k: grads[k] for k in returned}
    return backward_propagation


TWICE = ("likely slip: the 1/m of every dW, db applied twice (dW2 = (1/m)(1/m) dZ2 A1ᵀ, "
         "db2 = (1/m)(1/m) Σ dZ2, dW1 = (1/m)(1/m) dZ1 Xᵀ, db1 = (1/m)(1/m) Σ dZ1)")


def test_the_1_over_m_of_every_dw_db_applied_twice_is_named_where_dz2_shows_it_right():
    net, X, Y = course_start()
    hand = _one_over_m_slips(0, 2, ("dZ2", "dW2", "db2", "dW1", "db1"))
    lines = nets.check_backprop(net, X, Y, hand=hand).diagnosis().splitlines()
    assert lines[0] == ("first wrong at dW2, db2, dW1 and db1, in their own formulas: one "
                        "slip gives them all"), lines
    assert lines[1].startswith(TWICE), lines


def test_without_dz2_a_1_over_m_twice_is_not_placed_in_dz2_alone():
    # the course returns dW, db only: a 1/m in dZ2 and the 1/m of every dW, db
    # applied twice give the same numbers, and the report must not say where it is
    net, X, Y = course_start()
    for in_dZ2, in_each in ((1, 1), (0, 2)):
        hand = _one_over_m_slips(in_dZ2, in_each, ("dW2", "db2", "dW1", "db1"))
        text = nets.check_backprop(net, X, Y, hand=hand).diagnosis()
        lines = text.splitlines()
        assert lines[0].endswith("dW2, db2, dW1, db1 follow from it, or each is wrong in "
                                 "its own formula: return dZ2 to tell"), text
        assert "  - a 1/m in dZ2, which is per sample: dZ2 = (1/m)(A2 − Y)" in lines, text
        assert "  - " + TWICE[len("likely slip: "):].replace(" (", ": ", 1)[:-1] in lines, text


def test_a_1_over_m_in_dz2_returned_is_still_placed_in_dz2():
    net, X, Y = course_start()
    hand = _one_over_m_slips(1, 1, ("dZ2", "dW2", "db2", "dW1", "db1"))
    lines = nets.check_backprop(net, X, Y, hand=hand).diagnosis().splitlines()
    assert lines[0] == "first wrong at dZ2; dW2, db2, dW1, db1 follow from it", lines
    assert lines[1].startswith("likely slip: a 1/m in dZ2, which is per sample"), lines


@given(case=cancelling_first_layers(), activation=st.sampled_from(["tanh", "sigmoid"]))
def test_a_hand_that_sums_z1_in_another_order_is_right_where_z1_cancels(case, activation):
    # Z[1] = 0.1 + 0.1 - 0.6 + 0.4 is 5.6e-17 in autograd's order and 0 in the
    # hand's: dW[2] = dZ[2] A[1]ᵀ (tanh) then differs by all of itself, which the
    # sizes allowed for its terms (|dZ[2]| |A[1]|) did not cover, and read WRONG
    params, X, Y = case
    g = activations.get(activation)
    net = TwoLayerNet(X.shape[0], 1, activation=activation)
    net.params = params

    def hand(p, X, Y):
        m = X.shape[1]
        Z1 = p["b[1]"] + sum(p["W[1]"][:, k:k + 1] * X[k:k + 1] for k in reversed(range(len(X))))
        A1 = g.g(Z1)
        dZ2 = activations.sigmoid(p["W[2]"] @ A1 + p["b[2]"]) - Y
        dZ1 = p["W[2]"].T @ dZ2 * g.g_prime(Z1)
        return {"W[2]": dZ2 @ A1.T / m, "b[2]": dZ2.sum(axis=1, keepdims=True) / m,
                "W[1]": dZ1 @ X.T / m, "b[1]": dZ1.sum(axis=1, keepdims=True) / m}

    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.ok, str(report)
