"""nets.slips and nets.diagnosis: the slip hypotheses are sound (the right
formulas are autograd's; a slip made is always among the slips the report
names, whatever the net, depth, activation and data) and the diagnosis traces
errors along the graph."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nets
from nets import slips
from nets.testing import cases, informative_case
from tests import course_code
from tests.strategies import course_start_cases

HIDDEN = list(nets.activations.NAMES)


def forward_values(net, X):
    return {**net.forward(X), **net.params}


def hidden_of(net):
    return {l: net._g(l) for l in range(1, net.L)}


def slipped_hand(slip, only_parameters=False):
    """A hand that makes ``slip`` (None: none) on whatever net it is given."""
    def hand_for(net):
        def hand(params, X, Y):
            grads = slips.backward(forward_values(net, X), Y, hidden_of(net), net.L, slip)
            return {k: v for k, v in grads.items()
                    if not only_parameters or k[0] in "Wb"}
        return hand
    return hand_for


@given(st.integers(1, 3).flatmap(lambda layers: cases(HIDDEN, layers)))
def test_the_formulas_without_a_slip_are_autograds(case):
    report = nets.check_backprop(*case, hand=slipped_hand(None)(case.net))
    assert report.ok, f"{case!r}\n{report}"


@given(st.integers(1, 2).flatmap(lambda layers: cases(HIDDEN, layers)), st.data(),
       st.booleans())
def test_a_slip_made_is_among_the_slips_named(case, data, only_parameters):
    net = case.net
    slip = data.draw(st.sampled_from(slips.slips(net.L, hidden_of(net))), label="slip")
    made = slips.backward(forward_values(net, case.X), case.Y, hidden_of(net), net.L, slip)
    if made is None:
        # W[l] for W[l]ᵀ cannot be written with a W[l] that is not square, nor dZ[l+1]
        # or A[l+1] for a dA[l] or A[l] of another number of rows (numpy raises)
        assert slip.kind in ("W not transposed", "W left out", "next A in g'"), slip
        return
    report = nets.check_backprop(*case, hand=slipped_hand(slip, only_parameters)(net))
    if report.ok:
        return   # the slip does not show on this case (m = 1 hides a 1/m, ...)
    assert slip in report.likely_slips(), f"{slip}\n{case!r}\n{report}"


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("layers", [1, 2, 3, 4, 5])   # deep relu nets have dead layers
def test_on_the_informative_case_every_slip_shows_and_is_named_alone(activation, layers):
    net, X, Y = informative_case(activation, layers)
    values, hidden = forward_values(net, X), hidden_of(net)
    right = slips.backward(values, Y, hidden, net.L)
    for slip in slips.slips(net.L, hidden):
        made = slips.backward(values, Y, hidden, net.L, slip)
        if made is None:
            continue   # W[L] (1, 3) is not square: W[L] for W[L]ᵀ cannot be written
        # the catalogue leaves out what is no slip for the activation (relu'(A) = relu'(Z))
        assert not all(made[k].shape == right[k].shape and np.allclose(made[k], right[k],
                                                                        rtol=1e-12)
                       for k in right), slip
        report = nets.check_backprop(net, X, Y, hand=slipped_hand(slip, True)(net))
        assert not report.ok, f"{slip} does not show:\n{report}"
        assert slip in report.likely_slips(), f"{slip}\n{report}"


def test_a_slip_that_cannot_be_made_on_these_shapes_gives_none():
    net, X, Y = informative_case("tanh", 2)   # W[2] is (3, 3): square
    square = next(s for s in slips.slips(3, hidden_of(net))
                  if s.kind == "W not transposed" and s.layer == 1)
    assert slips.backward(forward_values(net, X), Y, hidden_of(net), 3, square) is not None
    net2, X2, Y2 = informative_case("tanh", 1)   # W[2] is (1, 3)
    wide = next(s for s in slips.slips(2, hidden_of(net2)) if s.kind == "W not transposed")
    assert slips.backward(forward_values(net2, X2), Y2, hidden_of(net2), 2, wide) is None


def test_slip_texts_name_layers_and_write_X_for_A0():
    texts = {(s.kind, s.layer): (s.what, s.formula)
             for s in slips.slips(2, {1: nets.activations.get("tanh")})}
    assert texts[("dW no 1/m", 1)] == ("dW[1] without the 1/m", "dW[1] = dZ[1] Xᵀ")
    assert texts[("g is A", 1)] == ("A[1] in place of g′(Z[1]) = 1 − A[1]²",
                                    "dZ[1] = W[2]ᵀ dZ[2] * A[1]")
    assert texts[("g' from A on Z", 1)][0] == "1 − Z[1]² in place of 1 − A[1]²"
    assert texts[("square forgotten", 1)][0] == "1 − A[1] in place of 1 − A[1]²"
    assert texts[("no 1/m", 0)][1] == ("dW[2] = dZ[2] A[1]ᵀ, db[2] = Σ dZ[2], "
                                      "dW[1] = dZ[1] Xᵀ, db[1] = Σ dZ[1]")
    assert texts[("other slope", 1)] == ("A[1](1 − A[1]) in place of 1 − A[1]²",
                                         "dZ[1] = W[2]ᵀ dZ[2] * (A[1](1 − A[1]))")
    assert texts[("parentheses", 1)] == (
        "the parentheses of (1 − A[1]²) left out",
        "dZ[1] = W[2]ᵀ dZ[2] * 1 − A[1]², which is (W[2]ᵀ dZ[2]) − A[1]²")
    assert texts[("dW 1/m twice", 2)] == ("the 1/m of dW[2] applied twice",
                                          "dW[2] = (1/m)(1/m) dZ[2] A[1]ᵀ")
    assert texts[("db over all", 1)] == ("db[1] summed over every axis: a number",
                                         "db[1] = (1/m) np.sum(dZ[1])")


def test_each_slip_names_the_formulas_it_changes_and_no_others():
    nodes = {(s.kind, s.layer): s.nodes(2)
             for s in slips.slips(2, {1: nets.activations.get("tanh")})}
    assert nodes[("no 1/m", 0)] == {"W[1]", "b[1]", "W[2]", "b[2]"}
    assert nodes[("layer no 1/m", 1)] == {"W[1]", "b[1]"}
    assert nodes[("db over all", 2)] == {"b[2]"}
    assert nodes[("sign", 2)] == nodes[("dZ with 1/m", 2)] == {"Z[2]"}
    assert nodes[("parentheses", 1)] == nodes[("g is A", 1)] == {"Z[1]"}
    assert nodes[("W not transposed", 1)] == {"A[1]"}


@pytest.mark.parametrize("activation, kinds", [
    ("relu", {"g' of A"}), ("leaky_relu", {"g' of A"}), ("identity", {"g' of A", "no g'"})])
def test_what_is_no_slip_for_an_activation_is_not_in_its_catalogue(activation, kinds):
    # relu′(A) = relu′(Z) exactly, and identity′ = 1: the same numbers, not a slip
    found = {s.kind for s in slips.slips(2, {1: nets.activations.get(activation)})}
    assert not kinds & found and "g is A" in found


def notes_up(name, L):
    """The node whose gradient ``name``'s is computed from, in the notes' layout."""
    kind, l = name[0], int(name[2:-1])
    if kind in "Wb":
        return f"Z[{l}]"
    if kind == "Z":
        return f"A[{l}]"
    return None if l == L else f"Z[{l + 1}]"   # dA[l] = W[l+1]ᵀ dZ[l+1]


@given(st.integers(1, 2).flatmap(lambda layers: cases(HIDDEN, layers)), st.data())
def test_a_node_follows_only_along_a_path_with_nothing_right_in_between(case, data):
    net = case.net
    right = net.backprop(case.X, case.Y)
    names = sorted(right)
    returned = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True),
                         label="returned")
    spoiled = data.draw(st.lists(st.sampled_from(returned), min_size=1, unique=True),
                        label="made wrong")
    hand = {k: (right[k] + 1.0 if k in spoiled else right[k]) for k in returned}
    report = nets.check_backprop(*case, hand=lambda p, X, Y: hand)
    assert set(report.mismatches) == set(spoiled), str(report)
    status = {r.name: r.verdict for r in report.rows}
    for origin, followers in report.origins():
        for name in followers:
            node, path = name, []
            while node != origin:
                node = notes_up(node, net.L)
                assert node is not None, f"{name} is no follower of {origin}:\n{report}"
                path.append(node)
            assert all(status.get(n) != "ok" for n in path[:-1]), \
                f"{name} follows {origin} through a right node {path}:\n{report}"


# --- one_error_fits: could one wrong gradient at a node give these values -------------------

def below(values, hidden, L, node, E):
    """Every gradient below ``node`` (Z[l] or A[l]) by the notes' right formulas, from E."""
    kind, l = node[0], int(node[2:-1])
    m = values["A[0]"].shape[1]
    if kind == "A":
        Z = values[f"Z[{l}]"]
        E = E * (nets.activations.sigmoid_prime(Z) if l == L else hidden[l].g_prime(Z))
    out = {}
    for k in range(l, 0, -1):
        if k < l or kind == "A":
            out[f"Z[{k}]"] = E
        out[f"W[{k}]"] = E @ values[f"A[{k - 1}]"].T / m
        out[f"b[{k}]"] = E.sum(axis=1, keepdims=True) / m
        if k > 1:
            out[f"A[{k - 1}]"] = values[f"W[{k}]"].T @ E
            E = out[f"A[{k - 1}]"] * hidden[k - 1].g_prime(values[f"Z[{k - 1}]"])
    return out


@given(st.integers(1, 2).flatmap(lambda layers: cases(HIDDEN, layers)), st.data())
def test_the_gradients_of_one_wrong_node_always_fit_one_error(case, data):
    net = case.net
    values, hidden = forward_values(net, case.X), hidden_of(net)
    node = data.draw(st.sampled_from([f"{k}[{l}]" for l in range(1, net.L + 1) for k in "ZA"]),
                     label="node")
    E = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed")).normal(
        size=values[node].shape)
    grads = below(values, hidden, net.L, node, E)
    names = data.draw(st.lists(st.sampled_from(sorted(grads)), min_size=1, unique=True),
                      label="returned")
    assert slips.one_error_fits(values, hidden, net.L, node,
                                {n: grads[n] for n in names}) is True


def test_a_second_error_below_a_node_does_not_fit_one_error_there_with_few_samples():
    # m = 2 samples, n_x = 2: dZ[1] (4 x 2) cannot give every (dW[1], db[1]) (4 x 3)
    X, Y = nets.data.flower(m=2, seed=1)
    net = nets.TwoLayerNet(2, 4, "tanh", scale=0.5, seed=3)
    values, hidden = forward_values(net, X), hidden_of(net)
    E = np.random.default_rng(1).normal(size=(4, 2))
    grads = below(values, hidden, 2, "Z[1]", E)
    fits = lambda given: slips.one_error_fits(values, hidden, 2, "Z[1]", given)  # noqa: E731
    assert fits({"W[1]": grads["W[1]"], "b[1]": grads["b[1]"]}) is True
    assert fits({"W[1]": grads["W[1]"], "b[1]": -grads["b[1]"]}) is False
    assert fits({"W[1]": grads["W[1]"], "b[1]": grads["b[1]"].ravel()}) is False   # a shape
    assert fits({"W[2]": grads["W[1]"]}) is None   # W[2] is not below Z[1]
    assert slips.one_error_fits(values, hidden, 2, "W[1]", {"b[1]": grads["b[1]"]}) is None


def test_backward_from_a_node_is_backward_from_the_loss_below_it():
    case = informative_case("tanh", 2)
    values, hidden = forward_values(case.net, case.X), hidden_of(case.net)
    right = slips.backward(values, case.Y, hidden, 3)
    for node in ["A[3]", "Z[3]", "A[2]", "Z[2]", "A[1]", "Z[1]"]:
        part = slips.backward(values, case.Y, hidden, 3, start=(node, right[node]))
        assert sorted(part) == sorted({node, *below(values, hidden, 3, node, right[node])}), node
        for name, value in part.items():
            assert np.allclose(value, right[name], rtol=1e-12, atol=0), (node, name)


def one_error_hand(case, data, second=False):
    """A hand whose gradients come from one wrong gradient E at a node P (the
    right formulas below it, right ones above); ``second``: and a second error
    at a returned node Q below P (what follows from Q recomputed from it)."""
    net = case.net
    values, hidden = forward_values(net, case.X), hidden_of(net)
    right = net.backprop(case.X, case.Y)
    nodes = [f"{k}[{l}]" for l in range(net.L, 0, -1) for k in "AZ"]
    P = data.draw(st.sampled_from(nodes), label="P")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    E = rng.normal(size=values[P].shape)
    grads = {**right, **below(values, hidden, net.L, P, E), P: E}
    under = sorted(below(values, hidden, net.L, P, E))
    returned = data.draw(st.lists(st.sampled_from(sorted(right)), min_size=1, unique=True),
                         label="returned")
    Q = None
    if second:
        returned = sorted({*returned, P})
        Q = data.draw(st.sampled_from(under), label="Q")
        returned = sorted({*returned, Q})
        moved = grads[Q] + rng.normal(size=grads[Q].shape) * (1 + np.abs(grads[Q]))
        grads[Q] = moved
        if Q[0] in "ZA":
            grads.update(below(values, hidden, net.L, Q, moved))
    return {k: grads[k] for k in returned}, P, Q


@given(st.integers(1, 2).flatmap(lambda layers: cases(HIDDEN, layers)), st.data())
def test_one_error_entering_at_any_node_is_told_as_one(case, data):
    returned, P, _ = one_error_hand(case, data)
    report = nets.check_backprop(*case, hand=lambda p, X, Y: returned)
    text = report.diagnosis()
    assert len(report.origins()) <= 1, f"{P}:\n{report}"
    assert "independently" not in text and "more than one error" not in text, f"{P}:\n{report}"


class Drawn:
    """Stands in for hypothesis' ``data``: hands out the given draws in order."""
    def __init__(self, *draws):
        self.draws = list(draws)

    def draw(self, strategy, label=None):
        return self.draws.pop(0)


@pytest.mark.parametrize("W3, returned", [
    (1.0, ["A[1]", "b[3]", "b[2]"]),   # W[2] = 0: dA[1] is 0 whatever dZ[2] is
    (0.0, ["W[3]", "b[3]", "A[1]"]),   # W[3] = 0: nothing below Z[3] moves
])
def test_a_right_node_a_zero_weight_cuts_off_rules_out_no_error_above_it(W3, returned):
    # hypothesis found both (at 600 and 1000 examples): one error at dA[3], told
    # as two independent ones because A[1], right, hangs below a zero weight
    net = nets.DeepNet([1, 1, 1, 1], activation="sigmoid", init="zeros")
    net.params["W[3]"][:] = W3
    case = nets.testing.Case(net, np.array([[0.0]]), np.array([[0.0]]))
    hand, P, _ = one_error_hand(case, Drawn("A[3]", 0, returned))
    report = nets.check_backprop(*case, hand=lambda p, X, Y: hand)
    assert [origin for origin, _ in report.origins()] == ["Z[3]"], str(report)
    assert "independently" not in report.diagnosis(), str(report)


def test_a_node_a_right_one_rules_out_does_not_stop_the_trace_to_one_cut_off_from_it():
    # hypothesis found it: one error at dA[2], told as two independent ones (dW[2],
    # db[2]) because a right dA[1] rules out dZ[2], where the trace stopped, though
    # not dA[2]: unit 1 of layer 2 sits at relu's kink (slope 0), unit 0 has a zero
    # row in W[2], so no error at dA[2] reaches dA[1]
    net = nets.DeepNet([1, 2, 2, 1], activation="relu", init="zeros")
    net.params.update({"b[1]": np.array([[1.0], [0.0]]), "W[2]": np.array([[0.0, 0.0], [0.0, 1.0]]),
                       "b[2]": np.array([[1.0], [0.0]])})
    case = nets.testing.Case(net, np.array([[0.0]]), np.array([[0.0]]))
    hand, P, _ = one_error_hand(case, Drawn("A[2]", 0, ["A[1]", "A[3]", "W[1]", "W[2]",
                                                        "W[3]", "b[2]"]))
    report = nets.check_backprop(*case, hand=lambda p, X, Y: hand)
    assert report.mismatches == ["W[2]", "b[2]"], str(report)
    assert len(report.origins()) == 1, str(report)
    assert "independently" not in report.diagnosis(), str(report)


@given(st.integers(1, 2).flatmap(lambda layers: cases(HIDDEN, layers)), st.data())
def test_a_second_error_below_a_returned_first_one_is_never_said_to_follow(case, data):
    returned, P, Q = one_error_hand(case, data, second=True)
    report = nets.check_backprop(*case, hand=lambda p, X, Y: returned)
    for origin, followers in report.origins():
        assert Q not in followers, f"P = {P}, Q = {Q}:\n{report}"


# --- one slip at every hidden layer ------------------------------------------------------

def loop_hand(activation, slope):
    """A learner's L-layer loop whose g′ is ``slope(Z, A)`` at every hidden layer."""
    return layers_hand(activation, slope, None, returned="Wb")


LOOP_SLIPS = {   # activation, g′ as the loop writes it, the slip's text
    "1 − Z²": ("tanh", lambda Z, A: 1 - Z ** 2, "1 − Z[l]² in place of 1 − A[l]²"),
    "relu′ = A": ("relu", lambda Z, A: A, "A[l] in place of g′(Z[l]) = 1 where Z[l] > 0"),
    "Z(1 − Z)": ("sigmoid", lambda Z, A: Z * (1 - Z), "Z[l](1 − Z[l]) in place of A[l](1 − A[l])"),
    "leaky as relu": ("leaky_relu", lambda Z, A: (Z > 0) * 1.0,
                      "relu′ (0 where Z[l] ≤ 0) in place of leaky relu′ (α there)"),
}


@pytest.mark.parametrize("hidden_layers", [2, 3])
@pytest.mark.parametrize("slip", list(LOOP_SLIPS))
def test_a_slip_in_a_loop_body_is_named_once_at_every_hidden_layer(slip, hidden_layers):
    activation, slope, what = LOOP_SLIPS[slip]
    report = nets.check_backprop(*informative_case(activation, hidden_layers),
                                 hand=loop_hand(activation, slope))
    text = report.diagnosis()
    assert f"likely slip: {what}, at every hidden layer" in text, text
    assert "no classic slip" not in text and "more than one error" not in text, text
    assert [s.layer for s in report.likely_slips()] == [0], text


@pytest.mark.parametrize("slip", ["1 − Z²", "leaky as relu"])
def test_a_loop_slip_in_a_two_layer_net_is_named_at_its_layer(slip):
    activation, slope, what = LOOP_SLIPS[slip]
    text = nets.check_backprop(*informative_case(activation),
                               hand=loop_hand(activation, slope)).diagnosis()
    assert f"likely slip: {what.replace('[l]', '[1]')} (" in text and "every" not in text, text


def test_a_slip_at_one_hidden_layer_of_a_deep_net_is_not_said_to_be_at_every_one():
    net, X, Y = informative_case("tanh", 2)
    hidden = hidden_of(net)
    slip = next(s for s in slips.slips(net.L, hidden) if s.kind == "g' from A on Z"
                and s.layer == 2)
    wrong = slips.backward({**forward_values(net, X), "A[0]": X}, Y, hidden, net.L, slip)

    def one_layer(params, X, Y):   # 1 − Z² at layer 2 only; dW, db returned
        return {k: v for k, v in wrong.items() if k[0] in "Wb"}

    text = nets.check_backprop(net, X, Y, hand=one_layer).diagnosis()
    assert "likely slip: 1 − Z[2]² in place of 1 − A[2]²" in text and "every" not in text, text


def test_relu_for_a_leaky_relu_of_alpha_0_is_no_slip():
    # leaky relu with α = 0 is relu: no point can show relu′ written for it
    for layers in (1, 3):
        net, X, Y = informative_case(nets.activations.get("leaky_relu", alpha=0.0), layers)
        kinds = [s.kind for s in slips.slips(net.L, hidden_of(net))]
        assert "alpha dropped" not in kinds, kinds
        text = str(nets.check_backprop(net, X, Y))
        assert "leaky relu′" not in text, text


def layers_hand(activation, slope, layers, returned="ZWb", extra=None):
    """A learner's L-layer loop with the slip ``slope(Z, A)`` at the hidden ``layers``
    (None: every one) and the right g′ elsewhere, returning the nodes whose
    letters are in ``returned``; ``extra(grads, m)`` adds a second slip."""
    g = nets.activations.get(activation)

    def hand(params, X, Y):
        L, m, A, Z = len(params) // 2, X.shape[1], {0: X}, {}
        for l in range(1, L + 1):
            Z[l] = params[f"W[{l}]"] @ A[l - 1] + params[f"b[{l}]"]
            A[l] = nets.activations.sigmoid(Z[l]) if l == L else g.g(Z[l])
        grads, dZ = {}, A[L] - Y
        for l in range(L, 0, -1):
            grads.update({f"Z[{l}]": dZ, f"W[{l}]": dZ @ A[l - 1].T / m,
                          f"b[{l}]": dZ.sum(axis=1, keepdims=True) / m})
            if l > 1:
                k = l - 1
                dZ = params[f"W[{l}]"].T @ dZ * (slope(Z[k], A[k]) if layers is None
                                                 or k in layers else g.g_prime(Z[k]))
        if extra:
            extra(grads, m)
        return {k: v for k, v in grads.items() if k[0] in returned}
    return hand


@pytest.mark.parametrize("returned", ["ZWb", "Wb"])
@pytest.mark.parametrize("slip", ["no g'", "g is A"])
def test_a_slip_at_some_hidden_layers_is_not_said_to_be_at_every_one(slip, returned):
    # layers 2 and 3 of 3: layer 1 is right, so no "at every hidden layer", and
    # nothing sends the learner to layer 1 as that slip's
    slope = (lambda Z, A: 1.0) if slip == "no g'" else (lambda Z, A: A)
    report = nets.check_backprop(*informative_case("tanh", 3),
                                 hand=layers_hand("tanh", slope, {2, 3}, returned))
    text = report.diagnosis()
    assert "every hidden layer" not in text and "made again" not in text, text
    assert all(s.layer != 0 for s in report.likely_slips()), text


def test_a_slip_at_every_layer_with_a_second_slip_is_named_once_and_not_independent():
    # g′ left out at every hidden layer, and db[1] without its 1/m
    def no_one_over_m(grads, m):
        grads["b[1]"] = grads["b[1]"] * m

    report = nets.check_backprop(*informative_case("tanh", 3),
                                 hand=layers_hand("tanh", lambda Z, A: 1.0, {1, 2, 3},
                                                  extra=no_one_over_m))
    lines = report.diagnosis().splitlines()
    named = [line for line in lines if "at every hidden layer" in line]
    assert len(named) == 1 and named[0].startswith("likely slip: g′(Z[l]) left out"), lines
    assert "also wrong at Z[2]: the same slip, made again there" in lines, lines
    assert "also wrong at Z[1]: the same slip, made again there" in lines, lines
    assert not any("swapped" in line for line in lines), lines


NET_ACTIVATIONS = [a for a in course_code.G_PRIME]


@pytest.mark.parametrize("net_activation", NET_ACTIVATIONS)
@pytest.mark.parametrize("written", NET_ACTIVATIONS)
def test_formulas_for_another_activation_are_named_with_the_activation_they_are_for(
        written, net_activation):
    # a right assignment for one hidden activation, checked on a net of another
    # (minigrad check without --activation): WRONG, and the report says which g′ it holds
    if written == net_activation:
        return
    hand = course_code.load_written_for(written)["backward_propagation"]
    report = nets.check_backprop(*informative_case(net_activation), hand=hand)
    text = report.diagnosis()
    assert not report.ok and "no classic slip" not in text, text
    assert [s.activation for s in report.likely_slips()] == [written], text
    assert f"activation='{written}'" in text and f"--activation {written}" in text, text


@pytest.mark.parametrize("written, net_activation", [("relu", "tanh"), ("tanh", "relu")])
def test_a_loop_written_for_another_activation_is_named_at_every_hidden_layer(
        written, net_activation):
    g = nets.activations.get(written)
    slope = (lambda Z, A: g.g_prime(Z)) if written == "relu" else \
        (lambda Z, A: g.g_prime_from_a(A))
    report = nets.check_backprop(*informative_case(net_activation, 2),
                                 hand=layers_hand(net_activation, slope, None, "Wb"))
    text = report.diagnosis()
    assert [(s.layer, s.activation) for s in report.likely_slips()] == [(0, written)], text


# The slips of the course's file the catalogue names since it reads them (tests/course_code):
# the kind named, alone, on the informative case and on minigrad check's default net
NAMED_COURSE_SLIPS = {
    "sigma' twice": "sigma' twice", "dA2 for dZ2": "no sigma'", "Z2 for A2": "Z for A",
    "W2 left out": "W left out", "(1 - A1)^2 for 1 - A1^2": "square misplaced",
    "A2 for A1 in g'": "next A in g'", "Z1 for A1 in dW2": "Z for A in dW",
    "1/m in dZ1": "hidden dZ with 1/m",
}


def default_check_case(activation="tanh"):
    """minigrad check's net and data (flower, m = 10, n_h = 4, scale 1, biases drawn)."""
    from nets import cli
    args = cli.build_parser().parse_args(["check", "--activation", activation])
    X, Y = cli._data(args)
    return cli._net(args, X, biases=True), X, Y


@pytest.mark.parametrize("where", ["informative", "default"])
@pytest.mark.parametrize("slip", list(NAMED_COURSE_SLIPS))
def test_more_course_slips_are_named_alone(slip, where):
    case = informative_case() if where == "informative" else default_check_case()
    report = nets.check_backprop(*case, hand=course_code.load(slip)["backward_propagation"])
    text = report.diagnosis()
    assert not report.ok and "no classic slip" not in text, str(report)
    assert [s.kind for s in report.likely_slips()] == [NAMED_COURSE_SLIPS[slip]], str(report)


@pytest.mark.parametrize("where", ["informative", "default"])
@pytest.mark.parametrize("slip", list(course_code.RELU_SLIPS))
def test_a_reversed_relu_mask_is_named(slip, where):
    case = informative_case("relu") if where == "informative" else default_check_case("relu")
    hand = course_code.load_written_for("relu", slip)["backward_propagation"]
    report = nets.check_backprop(*case, hand=hand)
    assert [s.kind for s in report.likely_slips()] == ["mask reversed"], str(report)
    assert "likely slip: relu′'s mask reversed: 1 where Z1 < 0, not where Z1 > 0 " \
        "(dZ1 = W2ᵀ dZ2 * (Z1 <= 0))" in report.diagnosis(), str(report)



def week4_backward(last_layer_backward, hidden_backward="relu"):
    """The course's L_model_backward (week 4), its helpers as it writes them, with
    ``last_layer_backward`` ("sigmoid" or, the slip, "relu") at the output and
    ``hidden_backward`` ("relu" or, the slip, "sigmoid") at the hidden layers."""
    def relu_backward(dA, Z):
        dZ = np.array(dA, copy=True)
        dZ[Z <= 0] = 0
        return dZ

    def sigmoid_backward(dA, Z):
        s = 1 / (1 + np.exp(-Z))
        return dA * s * (1 - s)

    def linear_backward(dZ, A_prev, W):
        m = A_prev.shape[1]
        return np.dot(W.T, dZ), 1. / m * np.dot(dZ, A_prev.T), \
            1. / m * np.sum(dZ, axis=1, keepdims=True)

    def hand(params, X, Y):
        L, A, caches = len(params) // 2, X, []
        for l in range(1, L + 1):
            Z = params[f"W[{l}]"] @ A + params[f"b[{l}]"]
            caches.append((A, params[f"W[{l}]"], Z))
            A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
        dA = -(np.divide(Y, A) - np.divide(1 - Y, 1 - A))
        grads = {}
        for l in range(L, 0, -1):
            A_prev, W, Z = caches[l - 1]
            kind = last_layer_backward if l == L else hidden_backward
            dZ = sigmoid_backward(dA, Z) if kind == "sigmoid" else relu_backward(dA, Z)
            dA, grads[f"W[{l}]"], grads[f"b[{l}]"] = linear_backward(dZ, A_prev, W)
        return grads
    return hand


def test_relu_backward_at_the_output_of_the_course_l_layer_model_is_named():
    net, X, Y = informative_case("relu", 2)
    Z3 = net.forward(X)["Z[3]"]   # moved to either sign: relu′ is not 1 everywhere
    net.params["b[3]"] = net.params["b[3]"] - (Z3.min() + Z3.max()) / 2
    Z3 = net.forward(X)["Z[3]"]
    assert (Z3 > 0).any() and (Z3 < 0).any(), Z3
    assert nets.check_backprop(net, X, Y, hand=week4_backward("sigmoid")).ok
    report = nets.check_backprop(net, X, Y, hand=week4_backward("relu"))
    assert [s.kind for s in report.likely_slips()] == ["relu at output"], str(report)
    assert "likely slip: relu′ in place of σ′ at the output: relu_backward for " \
        "sigmoid_backward" in report.diagnosis(), str(report)


@pytest.mark.parametrize("hidden_layers", [1, 2])
def test_b_left_out_of_a_hands_own_forward_pass_is_named(hidden_layers):
    # hand(params, X, Y) runs its own forward pass; Z = W A there, without + b
    def hand(params, X, Y):
        L, m, A, Z = len(params) // 2, X.shape[1], {0: X}, {}
        for l in range(1, L + 1):
            Z[l] = params[f"W[{l}]"] @ A[l - 1]
            A[l] = 1 / (1 + np.exp(-Z[l])) if l == L else np.tanh(Z[l])
        grads, dZ = {}, A[L] - Y
        for l in range(L, 0, -1):
            grads.update({f"W[{l}]": dZ @ A[l - 1].T / m,
                          f"b[{l}]": np.sum(dZ, axis=1, keepdims=True) / m})
            if l > 1:
                dZ = params[f"W[{l}]"].T @ dZ * (1 - A[l - 1] ** 2)
        return grads

    report = nets.check_backprop(*informative_case("tanh", hidden_layers), hand=hand)
    assert [s.kind for s in report.likely_slips()] == ["no b"], str(report)
    assert "likely slip: b left out of the forward pass" in report.diagnosis(), str(report)


@pytest.mark.parametrize("hidden_layers", [1, 2])
def test_sigmoid_backward_at_the_hidden_layers_is_named_as_sigmoid_from_z(hidden_layers):
    # sigmoid_backward(dA, Z) computes σ(Z)(1 − σ(Z)), not the A(1 − A) of the
    # two-layer assignment: on a relu net the two differ
    report = nets.check_backprop(*informative_case("relu", hidden_layers),
                                 hand=week4_backward("sigmoid", "sigmoid"))
    assert [(s.kind, s.activation) for s in report.likely_slips()] == \
        [("another g from Z", "sigmoid")], str(report)
    assert "--activation sigmoid" in report.diagnosis(), str(report)


@pytest.mark.parametrize("activation", HIDDEN)
def test_a_slip_at_every_hidden_layer_leaves_the_output_layer_right(activation):
    # one helper (or loop body) for the hidden layers: its slip never reaches dZ[L],
    # dW[L], db[L] (a 1/m in the hidden dZ[l] is not the output's dZ[L] / m)
    net, X, Y = informative_case(activation, 2)
    values, hidden = forward_values(net, X), hidden_of(net)
    right = slips.backward(values, Y, hidden, net.L)
    every = [s for s in slips.slips(net.L, hidden) if s.every_hidden_layer]
    assert "hidden dZ with 1/m" in {s.kind for s in every}
    for slip in every:
        made = slips.backward(values, Y, hidden, net.L, slip)
        if made is None:
            continue
        for name in ("Z[3]", "W[3]", "b[3]"):
            assert np.array_equal(made[name], right[name]), (slip, name)


@pytest.mark.parametrize("kind", ["relu at output", "m from A_prev rows"])
def test_the_course_helpers_slips_are_named_on_a_two_layer_net_too(kind):
    # the week-4 helpers (relu_backward for sigmoid_backward at the output; m from
    # A_prev's rows) are the two-layer model's too: L = 2 is in their catalogue,
    # not only the deeper nets every other test of them draws from it
    net, X, Y = informative_case("tanh", 1)
    assert net.L == 2
    slip = next((s for s in slips.slips(2, hidden_of(net)) if s.kind == kind), None)
    assert slip is not None, [s.kind for s in slips.slips(2, hidden_of(net))]
    report = nets.check_backprop(net, X, Y, hand=slipped_hand(slip, True)(net))
    assert not report.ok and slip in report.likely_slips(), str(report)


# --- slips as small as float32's rounding, at the course's untrained net ----------------

# the g′ slips a small Z hides: 1 − Z² and tanh′(A) = 1 − tanh(A)² are 1 − A² + O(Z⁴)
SMALL_AT_START = ["g' from A on Z", "g' of A"]


def course_start():
    X, Y = nets.data.flower(m=400, seed=1)
    return nets.TwoLayerNet(2, 4, "tanh", seed=2), X, Y


@pytest.mark.parametrize("returned", ["ZWb", "Wb"])
@pytest.mark.parametrize("kind", SMALL_AT_START)
def test_a_g_prime_slip_at_the_course_start_is_named_for_every_node_it_gives(kind, returned):
    # dW1 is off by 6e-6 only, as float32's rounding could make it: it was read as
    # float32's digits, left out of "first wrong at ..." and of the slip's nodes
    net, X, Y = course_start()
    slip = next(s for s in slips.slips(2, hidden_of(net)) if s.kind == kind and s.layer == 1)
    grads = slips.backward({**forward_values(net, X), "A[0]": X}, Y, hidden_of(net), 2, slip)
    given = {k: v for k, v in grads.items() if k[0] in returned}
    report = nets.check_backprop(net, X, Y, hand=lambda params, X, Y: given)
    wrong = [n for n in ["Z[1]", "W[1]", "b[1]"] if n[0] in returned]
    assert report.mismatches == wrong and report.likely_slips() == [slip], str(report)
    assert "float32" not in str(report) and not any(r.digits_only for r in report.rows), \
        str(report)
    lines = report.diagnosis().splitlines()
    assert lines[0] == ("first wrong at Z[1]; W[1], b[1] follow from it" if "Z" in returned
                        else "first wrong at Z[1] or above it (A[1]), not returned: W[1], b[1] "
                        "follow from it"), str(report)
    assert lines[1].endswith(f"recomputed so, {nets.diagnosis.join(wrong)} come out as hand's"), \
        str(report)


@given(course_start_cases(), st.sampled_from(SMALL_AT_START), st.booleans())
def test_rows_a_named_slip_gives_are_never_read_as_float32(case, kind, only_parameters):
    # the hand is the slip, float64 throughout: the slip is named, and every row it
    # gives is its, none float32's
    net, X, Y = case
    slip = next(s for s in slips.slips(2, hidden_of(net)) if s.kind == kind and s.layer == 1)
    report = nets.check_backprop(net, X, Y, hand=slipped_hand(slip, only_parameters)(net))
    if report.ok or report.float32_shown and all(report.row(n).digits_only
                                                  for n in report.mismatches):
        # the slip does not show, or shows only within float32's rounding in values
        # that right formulas with one dZ rounded to float32 give too (W[1] 2e-7 off)
        return
    assert slip in report.likely_slips(), str(report)
    assert not any(r.digits_only for r in report.rows), str(report)
    assert "float32" not in report.diagnosis(), str(report)


def slip_line_nodes(line):
    """The nodes a slip line names: "recomputed so, W[1] and b[1] come out as
    hand's", or "W[1] and b[1] come out as hand's with any of 2 slips"."""
    names = line.split("recomputed so, ")[-1]
    return set(re.findall(r"[ZAWb]\[[0-9]+\]", names))


@pytest.mark.parametrize("activation, kind, layer", [
    ("tanh", "no g'", 2), ("tanh", "parentheses", 2), ("tanh", "g' from A on Z", 1),
    ("sigmoid", "next A in g'", 2), ("tanh", "Z for A in dW", 3)])
def test_slips_as_small_as_float32s_rounding_on_an_untrained_deep_net_are_named(
        activation, kind, layer):
    # a deep net at the 0.01 init: these slips leave some wrong rows (or all of them:
    # dW[3] with Z[2] for A[2], 4e-7 off) within float32's rounding, once read as
    # float32's digits beside the slip, or alone with no slip named
    X, Y = nets.data.flower(m=400, seed=1)
    net = nets.DeepNet([2, 4, 3, 1], activation=activation, seed=2)
    slip = next(s for s in slips.slips(net.L, hidden_of(net))
                if s.kind == kind and s.layer == layer)
    report = nets.check_backprop(net, X, Y, hand=slipped_hand(slip)(net))
    assert not report.ok and slip in report.likely_slips(), str(report)
    assert "float32" not in str(report) and not any(r.digits_only for r in report.rows), \
        str(report)
    slip_line = next(line for line in report.diagnosis().splitlines()
                     if line.startswith("likely slip") or "with any of" in line)
    assert slip_line_nodes(slip_line) == set(report.mismatches), str(report)
