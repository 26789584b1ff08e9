"""Wrong dW, db whose dZ was not returned: traced to one error at that dZ only
when that is shown (one slip gives them all), never when it is ruled out.

With only dW[l], db[l] returned, two separate slips (a wrong dW[1] AND a wrong
db[1], or slips in two layers) once read "first wrong at Z[1] ...: W[1], b[1]
follow from it": one error, which the learner would trust. Now the report says
"more than one error" only when no single gradient at the shared node gives
the numbers (``slips.one_error_fits``: a least-squares residual, or a shape
no right formula gives), and "one error ... or more than one" when the numbers
cannot tell. The pinned texts are words and node names; the numerical verdicts
have margins of many orders of magnitude (checked, and run nudged)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nets
from nets import TwoLayerNet, activations, data, slips
from tests.conftest import legend_of_report
from tests.strategies import labelled_data, two_layer_nets

ONE_AT_Z1 = "first wrong at Z[1] or above it (A[1]), not returned: W[1], b[1] follow from it"
EITHER_Z1 = ("first wrong at W[1] and b[1]: one error at Z[1] or above it (A[1]), not returned, "
             "or more than one; these numbers cannot tell (return Z[1] to see)")
TWO_Z1 = ("first wrong at W[1] and b[1]: more than one error, as no single Z[1] (not returned) "
          "gives both")


def flower_net(m=400, nudge=None):
    """The course's sizes: n_x = 2, n_h = 4, tanh, the flower data."""
    X, Y = data.flower(m=m, seed=1)
    net = TwoLayerNet(2, 4, "tanh", scale=0.5, seed=3)
    if nudge is not None:
        net, X = nudge.weights(net), nudge.data(X)
    return net, X, Y


def hand(net, X, Y, slips_made=(), dZ1=None, dZ2=None):
    """The notes' dW, db (and nothing else), with ``slips_made``; ``dZ1``, ``dZ2``:
    a gradient of one's own at that node, the right formulas below it."""
    m, W2 = X.shape[1], net.params["W[2]"]
    g = net.graph(X, Y)
    A1, A2, Z1 = g["A[1]"].data, g["A[2]"].data, g["Z[1]"].data
    dZ2 = A2 - Y if dZ2 is None else dZ2
    grads = {"W[2]": dZ2 @ A1.T / m, "b[2]": dZ2.sum(axis=1, keepdims=True) / m}
    if "layer 2 no 1/m" in slips_made:
        grads = {k: m * v for k, v in grads.items()}
    if dZ1 is None:
        slope = A1 if "A1 for g'" in slips_made else 1 - A1 ** 2
        dZ1 = W2.T @ dZ2 * slope
    grads["W[1]"] = dZ1 @ X.T / m
    grads["b[1]"] = dZ1.sum(axis=1, keepdims=True) / m
    if "dW1 no 1/m" in slips_made:
        grads["W[1]"] = m * grads["W[1]"]
    if "dW1 transposed" in slips_made:
        grads["W[1]"] = grads["W[1]"].T
    if "db1 no 1/m" in slips_made:
        grads["b[1]"] = m * grads["b[1]"]
    if "db1 flat" in slips_made:
        grads["b[1]"] = grads["b[1]"].ravel()
    if "db1 sign" in slips_made:
        grads["b[1]"] = -grads["b[1]"]
    return grads


def check(net, X, Y, **kwargs):
    returned = hand(net, X, Y, **kwargs)
    return nets.check_backprop(net, X, Y, hand=lambda p, X, Y: returned)


# --- two errors: never "one error" ----------------------------------------------------

@pytest.mark.parametrize("made, first, second", [
    (("dW1 no 1/m", "db1 flat"), "likely slip: dW[1] without the 1/m",
     "likely slip: db[1] summed without keepdims=True"),
    (("dW1 transposed", "db1 no 1/m"), "likely slip: dW[1] transposed",
     "likely slip: db[1] without the 1/m")])
def test_two_slips_in_dW1_and_db1_one_of_another_shape_are_more_than_one_error(
        made, first, second):
    # no dZ[1] gives a value of another shape through the right formulas
    report = check(*flower_net(), slips_made=made)
    assert report.mismatches == ["W[1]", "b[1]"], str(report)
    lines = report.diagnosis().splitlines()
    assert lines[0] == TWO_Z1, str(report)
    assert lines[1].startswith(first) and lines[1].endswith("W[1] comes out as hand's"), \
        str(report)
    assert lines[2].startswith(second) and lines[2].endswith("b[1] comes out as hand's"), \
        str(report)
    assert "follow from it" not in report.diagnosis()


def test_two_errors_the_numbers_cannot_tell_from_one_are_said_to_be_either():
    # m = 400 samples: some dZ[1] (1600 numbers) gives any dW[1], db[1] (12 numbers)
    report = check(*flower_net(), slips_made=("dW1 no 1/m", "db1 sign"))
    assert report.diagnosis().splitlines() == [
        EITHER_Z1,
        "likely slip: dW[1] without the 1/m (dW[1] = dZ[1] Xᵀ): recomputed so, W[1] comes "
        "out as hand's",
        "no classic slip gives b[1]"], str(report)


def test_slips_in_two_layers_at_the_course_size_are_either_with_both_slips_named():
    report = check(*flower_net(), slips_made=("layer 2 no 1/m", "A1 for g'"))
    assert report.mismatches == ["W[2]", "b[2]", "W[1]", "b[1]"], str(report)
    lines = report.diagnosis().splitlines()
    assert lines[0] == ("first wrong at W[2], b[2], W[1] and b[1]: one error at Z[2] or above "
                        "it (A[2]), not returned, or more than one; these numbers cannot tell "
                        "(return Z[2] to see)"), str(report)
    assert lines[1].startswith("likely slip: no 1/m in dW[2] and db[2]") and \
        lines[1].endswith("W[2] and b[2] come out as hand's"), str(report)
    assert lines[2].startswith("likely slip: A[1] in place of g′(Z[1])") and \
        lines[2].endswith("W[1] and b[1] come out as hand's"), str(report)


@pytest.mark.numerics
def test_slips_in_two_layers_with_few_samples_are_more_than_one_error(nudge):
    # m = 10: dZ[2] has 10 numbers and dW[2], db[2], dW[1], db[1] 17; no dZ[2] gives these
    net, X, Y = flower_net(m=10, nudge=nudge)
    report = check(net, X, Y, slips_made=("layer 2 no 1/m", "A1 for g'"))
    assert report.diagnosis().splitlines()[0] == (
        "first wrong at W[2], b[2], W[1] and b[1]: more than one error, as no single Z[2] "
        "(not returned) gives them all"), str(report)
    # the verdict has a margin: the values are nowhere near F's range
    c = report.context
    given = {n: report.row(n).hand for n in report.mismatches}
    assert not slips.one_error_fits(c.values, c.hidden, c.L, "Z[2]", given, rtol=1e-2)


# --- one error: the old text, or "either" when no slip shows it -------------------------

def test_one_slip_at_dZ1_giving_dW1_and_db1_keeps_the_one_error_text():
    report = check(*flower_net(), slips_made=("A1 for g'",))
    lines = report.diagnosis().splitlines()
    assert lines[0] == ONE_AT_Z1, str(report)
    assert lines[1].startswith("likely slip: A[1] in place of g′(Z[1])") and \
        lines[1].endswith("W[1] and b[1] come out as hand's")
    assert report.origins() == [("Z[1]", ["W[1]", "b[1]"])]


def test_one_slip_in_the_formulas_of_dW1_and_db1_is_placed_there_not_at_dZ1():
    # the learner's dZ1 is right: the 1/m is missing from dW1 and db1 themselves.
    # A dZ1 m times too big would give the same numbers, and the report says so.
    report = check(*flower_net(), slips_made=("dW1 no 1/m", "db1 no 1/m"))
    lines = report.diagnosis().splitlines()
    assert lines[0] == ("first wrong at W[1] and b[1], in their own formulas: one slip gives "
                        "both (so would one wrong Z[1], not returned: return Z[1] to tell)"), \
        str(report)
    assert lines[1].startswith("likely slip: no 1/m in dW[1] and db[1]") and \
        lines[1].endswith("W[1] and b[1] come out as hand's")
    assert report.origins() == [("Z[1]", ["W[1]", "b[1]"])]   # where one error would enter


def test_one_wrong_dZ1_no_slip_gives_is_either_never_more_than_one():
    net, X, Y = flower_net()
    dZ1 = np.random.default_rng(0).normal(size=(4, X.shape[1]))
    report = check(net, X, Y, dZ1=dZ1)
    lines = report.diagnosis().splitlines()
    assert lines[0] == EITHER_Z1, str(report)
    assert lines[1].startswith("no classic slip (a missing 1/m"), str(report)


# --- the picture (report.draw) says no more than the lines ------------------------------

@pytest.mark.parametrize("made, first", [
    ({"slips_made": ("dW1 no 1/m", "db1 sign")}, EITHER_Z1),
    ({"dZ1": np.random.default_rng(0).normal(size=(4, 400))}, EITHER_Z1),
    ({"slips_made": ("dW1 no 1/m", "db1 flat")}, TWO_Z1),
    ({"slips_made": ("layer 2 no 1/m", "A1 for g'")}, "first wrong at W[2], b[2], W[1] and "
     "b[1]: one error at Z[2] or above it (A[2]), not returned, or more than one; these "
     "numbers cannot tell (return Z[2] to see)"),
    ({"slips_made": ("dW1 no 1/m", "db1 no 1/m")}, "first wrong at W[1] and b[1], in their "
     "own formulas: one slip gives both (so would one wrong Z[1], not returned: return Z[1] "
     "to tell)")])
def test_the_picture_marks_no_node_not_returned_where_the_lines_cannot_tell(made, first):
    # one error at Z[1] or more, or none there: drawn as the wrong nodes alone, as the lines say
    report = check(*flower_net(), **made)
    assert report.diagnosis().splitlines()[0] == first, str(report)
    assert report.draw().source == legend_of_report(mg.draw(
        report.graph.roots, grads=True, highlight=report.mismatches).source)


def test_the_picture_marks_the_node_not_returned_where_one_error_is_shown():
    report = check(*flower_net(), slips_made=("A1 for g'",))
    assert report.diagnosis().splitlines()[0] == ONE_AT_Z1, str(report)
    source = report.draw().source
    z1, a1 = (next(line for line in source.splitlines() if f"<B>{n}<SUP>[1]</SUP></B>" in line)
              for n in "ZA")
    assert "dashed" in z1 and "dotted" in a1, (z1, a1)
    assert "not returned, inferred wrong: the error enters here" in source


@given(st.integers(2, 12), st.sampled_from([1, 2]), st.integers(0, 2**32 - 1),
       st.floats(0.1, 10.0))
def test_one_wrong_dZ_is_never_called_more_than_one_error(m, layer, seed, size):
    # whatever one wrong dZ[l], at any number of samples: a single error at Z[l] fits
    net, X, Y = flower_net(m=m)
    shape = (4, m) if layer == 1 else (1, m)
    dZ = size * np.random.default_rng(seed).normal(size=shape)
    report = check(net, X, Y, **{f"dZ{layer}": dZ})
    assert "more than one error" not in report.diagnosis(), str(report)
    for origin in report._origins():
        c = report.context
        given = {n: report.row(n).hand for n in origin.members}
        if origin.inferred:
            assert slips.one_error_fits(c.values, c.hidden, c.L, origin.node, given), \
                str(report)


# --- a returned source: a follower must be what the right formula gives from it -------------

def with_dZ1(net, X, Y, extra=None):
    """dZ[2], dZ[1] and every dW, db returned; dZ[1] with A[1] for g′(Z[1]) (one
    error), and ``extra`` a second one of dW[1] or db[1]'s own."""
    returned = hand(net, X, Y, slips_made=("A1 for g'",))
    g = net.graph(X, Y)
    returned["Z[2]"] = g["A[2]"].data - Y
    returned["Z[1]"] = net.params["W[2]"].T @ returned["Z[2]"] * g["A[1]"].data
    if extra == "dW1 no 1/m":
        returned["W[1]"] = X.shape[1] * returned["W[1]"]
    if extra == "db1 flat":
        returned["b[1]"] = returned["b[1]"].ravel()
    return nets.check_backprop(net, X, Y, hand=lambda p, X, Y: returned)


def test_a_follower_that_is_what_the_formula_gives_from_a_wrong_dZ1_follows():
    report = with_dZ1(*flower_net())
    assert report.origins() == [("Z[1]", ["W[1]", "b[1]"])], str(report)
    assert report.diagnosis().splitlines()[0] == "first wrong at Z[1]; W[1], b[1] follow from it"


@pytest.mark.parametrize("extra, node", [("dW1 no 1/m", "W[1]"), ("db1 flat", "b[1]")])
def test_a_second_error_below_a_returned_wrong_dZ1_is_its_own(extra, node):
    report = with_dZ1(*flower_net(), extra=extra)
    other = "b[1]" if node == "W[1]" else "W[1]"
    assert report.origins() == [("Z[1]", [other]), (node, [])], str(report)
    lines = report.diagnosis().splitlines()
    assert lines[:2] == [f"first wrong at Z[1]; {other} follows from it",
                         f"also wrong at {node}, independently (not what the right formula "
                         f"gives from hand's Z[1])"], str(report)
    assert lines[2].startswith("likely slip: A[1] in place of g′(Z[1])"), str(report)


def test_one_wrong_shaped_dZ1_giving_wrong_shaped_dW1_and_db1_is_not_ruled_out():
    # W[1] in place of W[2] with n_h = 1: dZ1 = W1ᵀ dZ2 is (2, m), not (1, m), and the
    # right formulas from it give dW1 (2, 2) and db1 (2, 1): one error, possible
    X, Y = nets.data.flower(m=40, seed=1)
    net = nets.TwoLayerNet(2, 1, seed=2)

    def hand(params, X, Y):
        m = X.shape[1]
        A1 = np.tanh(params["W[1]"] @ X + params["b[1]"])
        A2 = 1 / (1 + np.exp(-(params["W[2]"] @ A1 + params["b[2]"])))
        dZ2 = A2 - Y
        dZ1 = params["W[1]"].T @ dZ2 * (1 - A1 ** 2)   # W1 for W2
        return {"W[2]": dZ2 @ A1.T / m, "b[2]": np.sum(dZ2, axis=1, keepdims=True) / m,
                "W[1]": dZ1 @ X.T / m, "b[1]": np.sum(dZ1, axis=1, keepdims=True) / m}

    report = nets.check_backprop(net, X, Y, hand=hand)
    assert report.mismatches == ["W[1]", "b[1]"], str(report)
    line = report.diagnosis().splitlines()[0]
    assert "more than one error" not in line and "one error at Z[1]" in line, str(report)


# --- a slip made at every layer: named only where every layer it changes shows it ---------

M_FROM_A_PREV = "m read from the rows of A[l-1]"


def scaled(net, X, Y, factors):
    """The notes' dW, db of the nodes in ``factors``, each times its factor
    (``{"W[2]": 0.25, "b[2]": 0.25}``): the hand returns only those."""
    right = net.backprop(X, Y)
    return {n: factor * right[n] for n, factor in factors.items()}


def one_sample():
    """flower_net's net, and its first sample: m = 1."""
    net, X, Y = flower_net(m=2)
    return net, X[:, :1], Y[:, :1]


def test_a_scaled_dZ2_at_one_sample_is_not_read_as_m_from_the_rows_of_A_prev():
    # 0.25 (A[2] − Y) at m = 1, n[1] = 4: W[2], b[2] are 1/n[1] times right, as that
    # slip's are, but it would make W[1], b[1] 1/n[0] = 1/2 times right, not 1/4
    net, X, Y = one_sample()
    report = check(net, X, Y, dZ2=0.25 * (net.graph(X, Y)["A[2]"].data - Y))
    assert report.mismatches == ["W[2]", "b[2]", "W[1]", "b[1]"], str(report)
    assert M_FROM_A_PREV not in report.diagnosis(), str(report)
    assert report.diagnosis().splitlines()[1].startswith("no classic slip (a missing 1/m"), \
        str(report)


def test_m_from_the_rows_of_A_prev_with_a_second_error_in_dW1_is_still_named():
    # dW[1] wrong twice over (1.5 times the slip's); b[1] shows the slip at layer 1
    net, X, Y = flower_net(m=3)
    returned = scaled(net, X, Y, {"W[2]": 3 / 4, "b[2]": 3 / 4, "W[1]": 1.5 * 3 / 2,
                                  "b[1]": 3 / 2})
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: returned)
    lines = report.diagnosis().splitlines()
    assert lines[1].startswith(f"likely slip: {M_FROM_A_PREV}") and lines[1].endswith(
        "W[2], b[2] and b[1] come out as hand's"), str(report)
    assert lines[2] == "no classic slip gives W[1]", str(report)


def test_m_from_the_rows_of_A_prev_is_named_when_layer_1_is_not_returned():
    # nothing at layer 1 says otherwise: W[2], b[2] are the slip's (and one wrong Z[2]'s)
    net, X, Y = one_sample()
    returned = scaled(net, X, Y, {"W[2]": 0.25, "b[2]": 0.25})
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: returned)
    assert f"likely slip: {M_FROM_A_PREV}" in report.diagnosis(), str(report)


@given(two_layer_nets(), st.data())
def test_a_slip_made_at_every_layer_is_named_only_where_each_layer_shows_it(net, data_):
    # dZ[2] = c (A[2] − Y), the rest right: every dW, db is c times right, c = m / k,
    # k often n[1] or n_x, as a slip's 1/m read from a row count makes it
    X, Y = data_.draw(labelled_data(net.n_x, max_m=4), label="X, Y")
    m = X.shape[1]
    k = data_.draw(st.sampled_from([net.n_h, net.n_x, 2, 3]), label="k")
    c = m / k
    returned = scaled(net, X, Y, dict.fromkeys(["W[2]", "b[2]", "W[1]", "b[1]"], c))
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: returned)
    agree = report.context.agree
    for members, each in report._slip_parts:
        for slip, grads in each:
            for l in slip.layers(net.L) if slip.layer == 0 else ():
                shown = [n for n in (f"W[{l}]", f"b[{l}]")
                         if grads[n].shape == returned[n].shape
                         and agree(n, grads[n], returned[n])]
                assert shown, (f"{slip.what} named for {members}, not shown at layer {l}",
                               str(report))


def test_m_from_the_rows_of_A_prev_beside_a_g_prime_slip_is_named_where_the_hand_s_dZ1_shows_it():
    # the hand makes both: m = A_prev.shape[0] at every layer and A[1] for g′(Z[1]);
    # its dW[1], db[1] are (1/n[0]) dZ[1] Xᵀ, Σ dZ[1] / n[0] of its own returned dZ[1]:
    # layer 1 shows the slip, through the hand's dZ[1] (neither is the right dZ[1]'s)
    net, X, Y = flower_net(m=5)
    m, n = X.shape[1], net.layer_dims
    g = net.graph(X, Y)
    A1, A2 = g["A[1]"].data, g["A[2]"].data
    dZ2 = A2 - Y
    dZ1 = net.params["W[2]"].T @ dZ2 * A1
    returned = {"W[2]": dZ2 @ A1.T / n[1], "b[2]": dZ2.sum(axis=1, keepdims=True) / n[1],
                "Z[1]": dZ1, "W[1]": dZ1 @ X.T / n[0],
                "b[1]": dZ1.sum(axis=1, keepdims=True) / n[0]}
    assert m not in n[:2]
    report = nets.check_backprop(net, X, Y, hand=lambda p, X, Y: returned)
    lines = report.diagnosis().splitlines()
    assert any(line.startswith(f"likely slip: {M_FROM_A_PREV}") and "W[2]" in line
               for line in lines), str(report)
