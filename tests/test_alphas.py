"""nets.alphas: formulas right for a leaky relu of another α than the net's are
named with their α, and the hint says how to check them on a net of that α;
no α is named for right formulas, or from one number."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nets
from nets import activations
from nets.testing import cases, informative_case
from tests import course_code


def leaky(alpha):
    return activations.get("leaky_relu", alpha=alpha)


def own_forward_hand(alpha, forward=None):
    """hand(params, X, Y) of a learner whose leaky relu has ``alpha`` written in
    its g′, and ``forward`` (default: ``alpha``) in its own forward pass; any depth."""
    forward = alpha if forward is None else forward

    def hand(params, X, Y):
        L, m, A, Z = len(params) // 2, X.shape[1], {0: X}, {}
        for l in range(1, L + 1):
            Z[l] = params[f"W[{l}]"] @ A[l - 1] + params[f"b[{l}]"]
            A[l] = 1 / (1 + np.exp(-Z[l])) if l == L else \
                np.where(Z[l] > 0, Z[l], forward * Z[l])
        grads, dZ = {}, A[L] - Y
        for l in range(L, 0, -1):
            grads.update({f"W[{l}]": dZ @ A[l - 1].T / m,
                          f"b[{l}]": np.sum(dZ, axis=1, keepdims=True) / m})
            if l > 1:
                dZ = params[f"W[{l}]"].T @ dZ * np.where(Z[l - 1] > 0, 1, alpha)
        return grads
    return hand


@pytest.mark.parametrize("net_alpha, named", [(0.2, "the net's α = 0.2"),
                                              (0.0, "the net's relu")])
def test_the_course_function_for_alpha_001_on_a_net_of_another_alpha_names_its_alpha(
        net_alpha, named):
    # the assignment done for leaky relu (α = 0.01 in dZ1), checked on a net of α = 0.2
    # (minigrad check --activation leaky_relu --alpha 0.2): its formulas are right for 0.01
    hand = course_code.load_written_for("leaky_relu")["backward_propagation"]
    report = nets.check_backprop(*informative_case(leaky(net_alpha)), hand=hand)
    text = report.diagnosis()
    assert not report.ok and "no classic slip" not in text, text
    slips = report.likely_slips()
    assert [(s.kind, s.alpha) for s in slips] == [("another alpha", 0.01)], text
    assert f"leaky relu′ with α = 0.01 in place of {named}" in text, text
    assert "activation=activations.get('leaky_relu', alpha=0.01)" in text, text
    assert "--activation leaky_relu --alpha 0.01" in text, text


@pytest.mark.parametrize("hidden_layers", [1, 2])
def test_a_forward_pass_with_another_alpha_is_named_with_it_at_every_layer(hidden_layers):
    # a learner's own forward pass and g′ with α = 0.2, on the default net's 0.01
    case = informative_case(leaky(0.01), hidden_layers)
    report = nets.check_backprop(*case, hand=own_forward_hand(0.2))
    text = report.diagnosis()
    assert [(s.kind, s.alpha, s.layer) for s in report.likely_slips()] == \
        [("another alpha forward", 0.2, 1 if hidden_layers == 1 else 0)], text
    assert "--activation leaky_relu --alpha 0.2" in text, text
    assert ("at every hidden layer" in text) == (hidden_layers > 1), text


def test_relu_written_for_a_leaky_net_is_named_relu_with_its_hint():
    report = nets.check_backprop(*informative_case(leaky(0.2)), hand=own_forward_hand(0.0))
    text = report.diagnosis()
    assert [(s.kind, s.activation) for s in report.likely_slips()] == \
        [("another alpha forward", "relu")], text
    assert "--activation relu" in text and "--alpha" not in text, text


def test_one_wrong_number_is_fitted_by_no_alpha():
    # db2 alone: one number, which some α always gives; it names none
    net, X, Y = informative_case(leaky(0.2))
    right = own_forward_hand(0.2)

    def hand(params, X, Y):
        return {"b[2]": right(params, X, Y)["b[2]"] * 1.5}

    report = nets.check_backprop(net, X, Y, hand=hand)
    assert not report.ok and "α =" not in str(report), str(report)


@given(cases([leaky(0.0), leaky(0.01), leaky(0.2)], hidden_layers=1),
       st.sampled_from([0.0, 0.01, 0.1, 0.2, 0.3]), st.booleans())
def test_an_alpha_named_is_always_the_hands(case, alpha, forward):
    # right formulas for α, on nets of other α's: the check is ok where α is the
    # net's, and an α it names is the hand's own, never another
    net_alpha = case.net.activation.alpha
    report = nets.check_backprop(*case, hand=own_forward_hand(alpha, alpha if forward
                                                              else net_alpha))
    if alpha == net_alpha:
        assert report.ok, str(report)
    # (where Z[1] is all 0, g′ alone and the forward pass too cannot be told apart)
    named = {s.alpha for s in report.likely_slips() if s.alpha is not None}
    assert named <= {alpha}, str(report)


@pytest.mark.parametrize("forward", [False, True])
def test_an_alpha_of_many_digits_is_written_with_all_it_needs(forward):
    # α = 0.123456789 was written "0.123457" (:g), which does not give the hand's
    # numbers: the hint's --alpha 0.123457 would have shown WRONG again
    alpha = 0.123456789
    case = informative_case(leaky(0.2))
    report = nets.check_backprop(*case, hand=own_forward_hand(alpha, alpha if forward else 0.2))
    text = report.diagnosis()
    named = [s.alpha for s in report.likely_slips()]
    # the shortest decimal that gives the hand's numbers to the check's 2e-7
    assert len(named) == 1 and abs(named[0] - alpha) < 1e-6, text
    hinted = float(text.split("--alpha ")[1].split(";")[0])
    assert hinted == named[0] and f"with α = {hinted} " in text, text
    assert f"alpha={hinted})" in text and "0.123457 " not in text, text
    assert nets.check_backprop(*informative_case(leaky(hinted)),
                               hand=own_forward_hand(alpha)).ok, hinted
