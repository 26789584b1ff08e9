"""nets.testing: the strategies draw what they promise, and
assert_backprop_matches passes right formulas and fails wrong ones with the
table, called from inside a plain pytest test as a learner would."""
import ast
import functools
import os
import re
import subprocess
import sys
import textwrap
import unittest

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

import nets
from nets import DeepNet, LogisticRegression, TwoLayerNet, activations, testing
from nets.testing import (MIN_MAGNITUDE, PARAM_LIMIT, X_LIMIT, Z_LIMIT,
                          assert_backprop_matches, cases, datasets, network_sizes, networks,
                          params)
from tests import course_code


def notes_backprop(activation, g_prime=None):
    """A learner's correct two-layer formulas for one hidden activation (with
    ``g_prime(Z1)`` for its g′, when given: another valid slope at a kink)."""
    g = activations.get(activation)
    g_prime = g_prime or g.g_prime

    def my_backprop(params, X, Y):
        m = X.shape[1]
        Z1 = params["W[1]"] @ X + params["b[1]"]
        A1 = g.g(Z1)
        A2 = activations.sigmoid(params["W[2]"] @ A1 + params["b[2]"])
        dZ2 = A2 - Y
        dZ1 = params["W[2]"].T @ dZ2 * g_prime(Z1)
        return {"Z[2]": dZ2, "W[2]": dZ2 @ A1.T / m, "b[2]": dZ2.sum(axis=1, keepdims=True) / m,
                "Z[1]": dZ1, "W[1]": dZ1 @ X.T / m, "b[1]": dZ1.sum(axis=1, keepdims=True) / m}

    return my_backprop


def deep_backprop(params, X, Y):
    """A learner's L-layer formulas for tanh hidden layers."""
    L = len(params) // 2
    A, cache = X, {0: X}
    for l in range(1, L + 1):
        Z = params[f"W[{l}]"] @ A + params[f"b[{l}]"]
        A = activations.sigmoid(Z) if l == L else np.tanh(Z)
        cache[l] = A
    m, grads, dZ = X.shape[1], {}, A - Y
    for l in range(L, 0, -1):
        grads[f"Z[{l}]"] = dZ
        grads[f"W[{l}]"] = dZ @ cache[l - 1].T / m
        grads[f"b[{l}]"] = dZ.sum(axis=1, keepdims=True) / m
        if l > 1:
            dZ = params[f"W[{l}]"].T @ dZ * (1 - cache[l - 1] ** 2)
    return grads


# --- the strategies ----------------------------------------------------------------

@given(network_sizes(max_n_x=2, max_n_h=3, max_m=4))
def test_network_sizes_stay_in_their_bounds(sizes):
    assert 1 <= sizes.n_x <= 2 and 1 <= sizes.n_h <= 3 and 1 <= sizes.m <= 4, sizes


def test_network_sizes_include_a_single_sample():
    from hypothesis import find
    assert find(network_sizes(), lambda s: s.m == 1).m == 1


@given(datasets(max_n_x=3, max_m=6))
def test_datasets_are_float_columns_of_both_classes(dataset):
    X, Y = dataset
    n_x, m = X.shape
    assert X.dtype == Y.dtype == np.float64
    assert Y.shape == (1, m) and 1 <= n_x <= 3 and 1 <= m <= 6, (X.shape, Y.shape)
    assert set(np.unique(Y)) <= {0.0, 1.0}, Y
    if m >= 2:
        assert set(np.unique(Y)) == {0.0, 1.0}, f"one class only: {Y}"
    assert np.abs(X).max() <= X_LIMIT, X


@given(st.lists(st.integers(1, 4), min_size=2, max_size=4).flatmap(
    lambda dims: st.tuples(st.just(dims), params(dims))))
def test_params_have_the_notes_shapes(dims_and_params):
    dims, p = dims_and_params
    assert list(p) == [f"{k}[{l}]" for l in range(1, len(dims)) for k in "Wb"]
    for l in range(1, len(dims)):
        assert p[f"W[{l}]"].shape == (dims[l], dims[l - 1]), (l, p[f"W[{l}]"].shape)
        assert p[f"b[{l}]"].shape == (dims[l], 1), (l, p[f"b[{l}]"].shape)
        assert np.abs(p[f"W[{l}]"]).max() <= PARAM_LIMIT


@given(st.integers(0, 3).flatmap(
    lambda layers: st.tuples(st.just(layers), networks("relu", layers, n_x=2))))
def test_networks_have_the_asked_activation_depth_and_inputs(layers_and_net):
    layers, net = layers_and_net
    kind = {0: LogisticRegression, 1: TwoLayerNet}.get(layers, DeepNet)
    assert type(net) is kind and net.L == layers + 1 and net.n_x == 2, repr(net)
    if layers:
        assert net.activation.name == "relu"
    assert [net.params[f"W[{l}]"].shape[0] for l in range(1, net.L + 1)] == net.layer_dims[1:]


@given(cases(["sigmoid", "identity"], max_m=3))
def test_cases_fit_their_net_and_stay_below_the_clip(case):
    net, X, Y = case
    assert X.shape[0] == net.n_x and Y.shape == (1, X.shape[1]) and X.shape[1] <= 3
    assert net.activation.name in ("sigmoid", "identity")
    assert np.abs(net.forward(X)["Z[2]"]).max() <= Z_LIMIT
    assert "W[1]" in repr(case) and "init='drawn'" in repr(case), repr(case)


@given(cases(max_m=3))
def test_case_repr_holds_every_number_exactly(case):
    # a falsifying example is printed with this repr: it must rebuild the case
    written = [np.array(ast.literal_eval(text))
               for text in re.findall(r"np\.array\((\[[^()]*\])\)", repr(case))]
    expected = [*case.net.params.values(), case.X, case.Y]
    assert len(written) == len(expected), repr(case)
    for got, want in zip(written, expected):
        assert np.array_equal(got, want), f"{got} != {want} in {case!r}"


@pytest.mark.parametrize("bad, match", [
    (dict(activation="tahn"), "unknown activation 'tahn'"),
    (dict(activation=[]), "unknown activation"),
    (dict(hidden_layers=-1), "hidden_layers must be an int >= 0"),
    (dict(hidden_layers=1.5), "hidden_layers must be an int >= 0")])
def test_bad_strategy_arguments_fail_where_they_are_written(bad, match):
    with pytest.raises(ValueError, match=match):
        networks(**bad)


@given(cases(min_magnitude=0.01, hidden_layers=2))
def test_cases_with_a_min_magnitude_draw_entries_of_0_or_at_least_it(case):
    for name, value in [*case.net.params.items(), ("X", case.X)]:
        small = value[(value != 0) & (np.abs(value) < 0.01)]
        assert small.size == 0, f"{name} has {small} below min_magnitude=0.01: {case!r}"


@given(datasets(min_magnitude=0.5), params([2, 3, 1], min_magnitude=0.5))
def test_datasets_and_params_take_a_min_magnitude(dataset, p):
    for value in [dataset[0], *p.values()]:
        assert np.all((value == 0) | (np.abs(value) >= 0.5)), value


@pytest.mark.parametrize("bad", [-1e-3, 2.0, True, "0.1", float("nan")])
def test_a_bad_min_magnitude_fails_where_it_is_written(bad):
    with pytest.raises(ValueError, match=r"min_magnitude must be a number from 0 .* got"):
        cases(min_magnitude=bad)


# --- assert_backprop_matches --------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "leaky_relu", "identity"])
def test_assert_backprop_matches_passes_right_formulas(activation):
    calls = []

    def counted(params, X, Y):
        calls.append(X.shape)
        return notes_backprop(activation)(params, X, Y)

    assert_backprop_matches(counted, activation, max_examples=15)
    assert 1 <= len(calls) <= 15, len(calls)


def test_assert_backprop_matches_draws_no_entry_tinier_than_min_magnitude():
    # entries like 1e-300 test float arithmetic, not formulas: a float32 step in a
    # right formula turns their products into 0, read as a wrong formula
    right, tiny, zeros = notes_backprop("tanh"), [], []

    def recorded(params, X, Y):
        for value in [X, *params.values()]:
            tiny.extend(value[(value != 0) & (np.abs(value) < MIN_MAGNITUDE)])
            zeros.append(np.any(value == 0))
        return right(params, X, Y)

    assert_backprop_matches(recorded, max_examples=100)
    assert tiny == [], f"drawn below MIN_MAGNITUDE: {tiny[:5]}"
    assert any(zeros), "no 0 drawn: X = 0 and W = 0 hide slips; they must still come"


def through_float32(params, cache, X, Y):
    """The course's right formulas, with float32 intermediates (float64 Y upcasts
    dZ2 back): right formulas, float32's digits."""
    m = X.shape[1]
    W2, A1 = params["W2"].astype(np.float32), cache["A1"].astype(np.float32)
    dZ2 = cache["A2"].astype(np.float32) - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1 ** 2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def test_right_formulas_through_float32_fail_as_float32_never_as_a_slip():
    # the check asks float64's digits, so this fails; but the report must say
    # float32, not "likely slip: A1 in place of g′(Z1)" on a W2 of 1e-137
    with pytest.raises(AssertionError) as info:
        assert_backprop_matches(through_float32, max_examples=100)
    smallest = str(info.value).split("The smallest failing case found:")[1]
    # where a wrong row is a sum that cancels, the report says it cannot tell a slip
    # from float32's missing digits, and (truly) that no classic slip gives it: rare,
    # but a case hypothesis may shrink to (n_x = n_h = 1, m = 2, db1 off by 1.3e-4)
    cannot_tell = "cannot tell a slip from float32's missing digits" in smallest
    assert cannot_tell or "float32's precision" in smallest or "hand is float32" in smallest, \
        smallest
    for slip in ("likely slip", "with any of") + (() if cannot_tell else ("no classic slip",)):
        assert slip not in smallest, smallest


def test_assert_backprop_matches_checks_deep_formulas():
    assert_backprop_matches(deep_backprop, "tanh", hidden_layers=3, max_examples=15)


def test_assert_backprop_matches_fails_wrong_formulas_with_the_table():
    right = notes_backprop("tanh")

    def g_not_g_prime(params, X, Y):
        grads = right(params, X, Y)
        Z1 = params["W[1]"] @ X + params["b[1]"]
        grads["Z[1]"] = params["W[2]"].T @ grads["Z[2]"] * np.tanh(Z1)
        grads["W[1]"] = grads["Z[1]"] @ X.T / X.shape[1]
        grads["b[1]"] = grads["Z[1]"].sum(axis=1, keepdims=True) / X.shape[1]
        return grads

    with pytest.raises(AssertionError) as info:
        assert_backprop_matches(g_not_g_prime, max_examples=30)
    message = str(info.value)
    assert message.startswith("g_not_g_prime disagrees with autograd.\n\nOn "
                              "nets.testing.informative_case('tanh') (n_x = 2, n[l] = 3, "
                              "m = 6, X away from 0):\ncheck_backprop: hand vs autograd"), message
    typical, smallest = message.split("\nThe smallest failing case found:\nCase(net=")
    assert re.search(r"^Z\[1\] .* WRONG", typical, re.M), message
    assert "\nfirst wrong at Z[1]; W[1], b[1] follow from it\nlikely slip: A[1] in place " \
           "of g′(Z[1]) = 1 − A[1]²" in typical, message
    assert "\nfirst wrong at" in smallest, message


# slip -> (the wrong gradients, the likely slip) on the informative case
COURSE_SLIP_MESSAGES = {
    "missing 1/m": (["dW2", "db2", "dW1", "db1"], "no 1/m in any dW, db"),
    "A1 for g'(Z1)": (["dW1", "db1"], "A1 in place of g′(Z1) = 1 − A1²"),
    "1 - Z1^2 for 1 - A1^2": (["dW1", "db1"], "1 − Z1² in place of 1 − A1²"),
    "transposed dW1": (["dW1"], "dW1 transposed"),
    "dropped keepdims": (["db1"], "db1 summed without keepdims=True"),
}


@pytest.mark.parametrize("slip", list(COURSE_SLIP_MESSAGES))
def test_a_failure_message_names_every_wrong_node_and_the_slip(slip):
    # the course's function as written, with one classic slip: however far
    # hypothesis shrinks, the message leads with a case where all of it shows
    with pytest.raises(AssertionError) as info:
        assert_backprop_matches(course_code.load(slip)["backward_propagation"],
                                max_examples=30)
    typical = str(info.value).split("\nThe smallest failing case found:")[0]
    wrong, named = COURSE_SLIP_MESSAGES[slip]
    rows = {line.split()[0]: line for line in typical.splitlines()
            if re.match(r"^d[WbZA][0-9] ", line)}
    assert sorted(n for n, line in rows.items() if "WRONG" in line) == sorted(wrong), typical
    assert f"\nlikely slip: {named} (" in typical, typical


def test_the_course_function_as_written_passes():
    assert_backprop_matches(course_code.load()["backward_propagation"], max_examples=20)


def test_a_hand_right_on_the_informative_case_still_shows_its_small_case():
    right = notes_backprop("tanh")

    def wrong_for_one_sample(params, X, Y):
        grads = right(params, X, Y)
        if X.shape[1] == 1:
            grads["W[2]"] = 2 * grads["W[2]"]
        return grads

    with pytest.raises(AssertionError) as info:
        assert_backprop_matches(wrong_for_one_sample, max_examples=50)
    message = str(info.value)
    assert "every node agrees: only the smaller case below shows the error" in message, message
    assert re.search(r"^W\[2\] .*WRONG", message.split("smallest")[1], re.M), message


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "leaky_relu", "identity"])
@pytest.mark.parametrize("hidden_layers", [0, 1, 2])
def test_the_informative_case_shows_every_slip(activation, hidden_layers):
    net, X, Y = testing.informative_case(activation, hidden_layers)
    m = X.shape[1]
    assert m >= 2 and np.abs(X).min() >= 0.5 and set(Y.ravel()) == {0.0, 1.0}, (X, Y)
    assert net.L == hidden_layers + 1 and net.n_x == 2
    assert all(n != net.n_x for n in net.layer_dims[1:-1]), net.layer_dims   # transposes show
    assert np.abs(net.forward(X)[f"Z[{net.L}]"]).max() <= Z_LIMIT
    if hidden_layers:
        Z1 = net.forward(X)["Z[1]"]   # g(Z) and g'(Z) differ: the A-for-g' slip shows
        g = net.activation
        assert np.abs(g.g(Z1) - g.g_prime(Z1)).max() > 0.1, Z1


@pytest.mark.parametrize("gradient, note", [
    ("dW1", "a per-sample dZ where dW, a sum over the samples, is due?"),
    ("db1", "not summed over the samples (axis=1)?")])
def test_a_per_sample_dz_returned_as_dw_or_db_is_said_to_be_one(gradient, note):
    # the informative case's row said only "hand (3, 6), autograd (3, 2)"
    right = course_code.load()["backward_propagation"]

    def per_sample(parameters, cache, X, Y):
        grads = right(parameters, cache, X, Y)
        dZ1 = np.dot(parameters["W2"].T, cache["A2"] - Y) * (1 - cache["A1"] ** 2)
        return {**grads, gradient: dZ1}

    with pytest.raises(AssertionError) as info:
        assert_backprop_matches(per_sample, max_examples=30)
    typical = str(info.value).split("The smallest failing case found:")[0]
    row = next(line for line in typical.splitlines() if line.startswith(gradient))
    shape = "(3, 2)" if gradient == "dW1" else "(3, 1)"
    assert row.endswith(f"WRONG SHAPE  hand (3, 6), autograd {shape}: one column per sample "
                        f"(m = 6): {note}"), typical


def test_assert_backprop_matches_fails_a_missing_keepdims():
    right = notes_backprop("tanh")

    def flat_db1(params, X, Y):
        return {**right(params, X, Y), "b[1]": right(params, X, Y)["b[1]"].ravel()}

    with pytest.raises(AssertionError, match=r"b\[1\] .*WRONG SHAPE  hand \(1,\), autograd "
                                             r"\(1, 1\): a sum without keepdims=True\?"):
        assert_backprop_matches(flat_db1, max_examples=10)


def raises_past_two_samples(params, X, Y):
    """Wrong on m <= 2 (dW[2] doubled), and raises on more samples: two distinct
    failures for hypothesis, as with dW1 = dZ1 @ X, which fits only when m = n_x."""
    if X.shape[1] > 2:
        raise ValueError("shapes not aligned")
    grads = notes_backprop("tanh")(params, X, Y)
    return {**grads, "W[2]": 2 * grads["W[2]"]}


def test_a_hand_failing_two_ways_gets_one_failure_not_an_exception_group():
    # an ExceptionGroup printed every failure's traceback: pages for one slip
    with pytest.raises(Exception) as info:
        assert_backprop_matches(raises_past_two_samples, max_examples=100)
    assert not hasattr(info.value, "exceptions"), f"a group: {info.value!r}"
    assert type(info.value) in (AssertionError, RuntimeError), repr(info.value)


def test_a_hand_raising_on_the_informative_case_is_shown_with_its_line():
    # the informative case's error has no traceback in the message: "see the
    # traceback above" pointed at another case's, and the line was not named
    with pytest.raises(AssertionError) as info:
        assert_backprop_matches(raises_past_two_samples, max_examples=100, max_m=2)
    typical = str(info.value).split("The smallest failing case found:")[0]
    assert "raised ValueError: shapes not aligned" in typical, typical
    assert "see the traceback above" not in typical, typical
    line = next(n for n, text in enumerate(open(__file__), 1)
                if "raise ValueError(\"shapes" in text)
    assert f"\n  at test_testing.py:{line}: raise ValueError(\"shapes not aligned\")" in typical, \
        typical


LEARNERS_TEST = """\
import numpy as np
from nets.testing import assert_backprop_matches


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - cache["A1"])     # the slip
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def test_mine():
    assert_backprop_matches(backward_propagation)
"""


def test_pytest_shows_a_learner_their_test_line_and_the_report_not_our_code(tmp_path):
    # run as a learner does: plain pytest in their folder, their own hypothesis settings
    (tmp_path / "test_mine.py").write_text(LEARNERS_TEST)
    root = os.path.dirname(os.path.dirname(os.path.abspath(testing.__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    env.pop("HYPOTHESIS_PROFILE", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "test_mine.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert ">       assert_backprop_matches(backward_propagation)\nE       AssertionError: " \
           "backward_propagation disagrees with autograd." in out, out
    assert "likely slip: 1 − A1 in place of 1 − A1²" in out, out
    # hypothesis's frames and this module's (its decorator lines shown as the failing
    # line) are not the learner's concern
    assert "testing.py" not in out and "phases=" not in out and "raise " not in out, out


# --- the failures saved in the example database ------------------------------------

def wrong_b2(params, X, Y):
    """db[2] with the wrong sign: wrong on nearly every case, found at once."""
    grads = notes_backprop("tanh")(params, X, Y)
    return {**grads, "b[2]": -grads["b[2]"]}


class FailuresOnly(ExampleDatabase):
    """A database that keeps what hypothesis saves but a passing test's pareto
    front: hypothesis 6.80 (which setup.cfg allows) saves one under the test's
    own key and replays it, newer versions save none without target(). So a
    replay runs exactly the failures saved for each call, on every version."""

    def __init__(self, database: ExampleDatabase) -> None:
        super().__init__()
        self.database = database

    def save(self, key, value):
        if not key.endswith(b".pareto"):
            self.database.save(key, value)

    def fetch(self, key):
        return () if key.endswith(b".pareto") else self.database.fetch(key)

    def delete(self, key, value):
        self.database.delete(key, value)

    def move(self, src, dest, value):
        self.database.move(src, dest, value)


@pytest.fixture
def example_database(tmp_path):
    """Hypothesis's example database in tmp_path, and ``outcome`` to run a
    learner's test on it: as usual (failures saved), or with ``replay=True``
    the reuse phase alone, which runs exactly the cases saved for each call."""
    # the profile tests/conftest.py loaded (settings.get_current_profile_name is
    # newer than the hypothesis 6.80 setup.cfg allows)
    previous = os.environ.get("HYPOTHESIS_PROFILE", "dev")
    settings.register_profile("saving", parent=settings.get_profile(previous),
                              database=FailuresOnly(
                                  DirectoryBasedExampleDatabase(tmp_path / "examples")),
                              derandomize=False)
    settings.register_profile("replaying", parent=settings.get_profile("saving"),
                              phases=[Phase.reuse])

    def outcome(learners_test, replay=False):
        settings.load_profile("replaying" if replay else "saving")
        # each case the inner test runs checks the hand once: none checked, it ran
        # nothing (newer hypothesis raises SkipTest then; 6.80 returns)
        checked, check = [], testing.check_backprop
        testing.check_backprop = lambda *a, **k: checked.append(1) or check(*a, **k)
        try:
            learners_test()
        except AssertionError:
            return "failed"
        except unittest.SkipTest:   # hypothesis: it ran no case (nothing saved for it)
            return "ran nothing"
        finally:
            testing.check_backprop = check
            settings.load_profile("saving")
        return "passed" if checked else "ran nothing"

    yield outcome
    settings.load_profile(previous)


def test_a_passing_test_neither_replays_nor_deletes_another_tests_saved_failure(
        example_database):
    # the inner test has the same source at every call, so hypothesis gave all
    # one database key: a right hand was replayed the wrong one's failure and,
    # passing it, deleted it, so the failing test lost its replay
    right = notes_backprop("tanh")

    def learners_failing_test():
        assert_backprop_matches(wrong_b2, max_examples=10)

    def learners_passing_test():
        assert_backprop_matches(right, max_examples=10)

    assert example_database(learners_failing_test) == "failed"
    assert example_database(learners_passing_test) == "passed"
    assert example_database(learners_passing_test, replay=True) == "ran nothing"
    assert example_database(learners_failing_test, replay=True) == "failed"


def test_the_same_hand_in_two_tests_keeps_two_saved_failures(example_database):
    def learners_test():
        assert_backprop_matches(wrong_b2, max_examples=10)

    def another_learners_test():
        assert_backprop_matches(wrong_b2, max_examples=10)

    assert example_database(learners_test) == "failed"
    assert example_database(another_learners_test, replay=True) == "ran nothing"
    assert example_database(learners_test, replay=True) == "failed"


def wrong_b2_course(parameters, cache, X, Y):
    """wrong_b2 as the course writes it."""
    return {"db2": -np.sum(cache["A2"] - Y, axis=1, keepdims=True) / X.shape[1]}


RIGHT_COURSE = course_code.load()["backward_propagation"]


@pytest.mark.parametrize("hand, other", [
    (wrong_b2, {"hand": notes_backprop("tanh")}),
    # a wrapper's qualified name is the wrapper's: the function inside it counts
    (nets.course(wrong_b2_course), {"hand": nets.course(RIGHT_COURSE)}),
    (functools.partial(wrong_b2), {"hand": functools.partial(notes_backprop("tanh"))}),
    (wrong_b2, {"activation": "relu"}), (wrong_b2, {"hidden_layers": 2}),
    (wrong_b2, {"max_n_x": 2}), (wrong_b2, {"max_n_h": 3}), (wrong_b2, {"max_m": 4})])
def test_two_calls_in_one_test_keep_their_saved_failures_apart(example_database, hand, other):
    # another hand (by its qualified name) or other cases: another call
    def learners_test(hand=hand, max_examples=10, **options):
        assert_backprop_matches(hand, max_examples=max_examples, **options)

    assert example_database(learners_test) == "failed"
    assert example_database(functools.partial(learners_test, **other), replay=True) \
        == "ran nothing"
    # neither max_examples nor tol changes the cases: the same call, replayed
    assert example_database(functools.partial(learners_test, max_examples=3, tol=1e-6),
                            replay=True) == "failed"


LEARNERS_TWO_TESTS = """\
import os

import numpy as np
import pytest
from nets.testing import assert_backprop_matches

CALLED = os.path.join(os.path.dirname(__file__), "called")


def backward_propagation(parameters, cache, X, Y, slip=False):
    if not slip:
        with open(CALLED, "a") as f:
            f.write("called\\n")
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - (cache["A1"] if slip else cache["A1"] ** 2))
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def with_slip(parameters, cache, X, Y):
    return backward_propagation(parameters, cache, X, Y, slip=True)


def test_mine():
    assert_backprop_matches(with_slip, max_examples=20)


def test_right():
    assert_backprop_matches(backward_propagation, max_examples=20)


SLIP = []


def switched(parameters, cache, X, Y):
    return backward_propagation(parameters, cache, X, Y, slip=SLIP[0])


@pytest.mark.parametrize("slip", [True, False])
def test_parametrized(slip):
    SLIP[:] = [slip]
    assert_backprop_matches(switched, max_examples=20)
"""

REPLAY_ONLY_CONFTEST = """\
import os
from hypothesis import Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from tests.test_testing import FailuresOnly

# hypothesis's default database, less the pareto fronts 6.80 also keeps
settings.register_profile("failures", database=FailuresOnly(
    DirectoryBasedExampleDatabase(os.path.join(".hypothesis", "examples"))))
settings.register_profile("replay_only", parent=settings.get_profile("failures"),
                          phases=[Phase.reuse])
settings.load_profile("replay_only" if os.environ.get("REPLAY_ONLY") else "failures")
"""


def test_a_learners_saved_failure_replays_on_their_next_run_and_in_no_other_test(tmp_path):
    # as a learner runs it: plain pytest twice in their folder, the default
    # database (.hypothesis there); the second run replays saved cases and
    # nothing else, so what it runs is what the first run saved for each test
    (tmp_path / "test_mine.py").write_text(LEARNERS_TWO_TESTS)
    (tmp_path / "conftest.py").write_text(REPLAY_ONLY_CONFTEST)
    root = os.path.dirname(os.path.dirname(os.path.abspath(testing.__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    env.pop("HYPOTHESIS_PROFILE", None)

    def run(**more):
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfs", "-p",
                               "no:cacheprovider", "test_mine.py"], cwd=tmp_path,
                              env={**env, **more}, capture_output=True, text=True)
        return done.stdout + done.stderr

    first = run()
    assert re.search(r"\b2 failed, 2 passed\b", first), first
    assert (tmp_path / "called").exists()    # the right hands ran then
    (tmp_path / "called").unlink()
    second = run(REPLAY_ONLY="1")
    assert re.search(r"\b2 failed, 2 skipped\b", second), second
    assert "FAILED test_mine.py::test_mine " in second, second
    assert "FAILED test_mine.py::test_parametrized[True] " in second, second
    assert not (tmp_path / "called").exists(), second   # no saved failure of theirs ran


def test_assert_backprop_matches_rejects_a_non_function():
    with pytest.raises(TypeError, match="hand must be a function"):
        assert_backprop_matches({"W[1]": 0})


def test_assert_backprop_matches_rejects_another_signature_before_any_case():
    with pytest.raises(TypeError, match=r"takes 2 parameters; expected hand\(params, X, Y\) "
                                        r"or the course's backward_propagation"):
        assert_backprop_matches(lambda params, X: {})


def test_module_docstring_example_runs_as_a_learner_writes_it(monkeypatch):
    block = re.search(r"::\n\n((?:    .*\n|\n)+)", testing.__doc__).group(1)
    source = textwrap.dedent(block)
    assert "def test_my_backprop():" in source, source
    namespace = {"my_backprop": notes_backprop("tanh")}
    # the example as written, with fewer examples than the default 100 to stay fast
    monkeypatch.setattr(testing, "assert_backprop_matches",
                        functools.partial(assert_backprop_matches, max_examples=10))
    exec(compile(source, "nets.testing docstring", "exec"), namespace)
    namespace["test_my_backprop"]()


# --- hypothesis stays a test extra ----------------------------------------------------

def run_python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True)


def test_import_nets_does_not_import_hypothesis():
    done = run_python("""
        import sys, nets
        assert "hypothesis" not in sys.modules, "import nets imported hypothesis"
        assert nets.testing.assert_backprop_matches
        assert "hypothesis" in sys.modules
    """)
    assert done.returncode == 0, done.stderr


def test_without_hypothesis_nets_works_and_nets_testing_says_what_to_install():
    done = run_python("""
        import sys
        sys.modules["hypothesis"] = None   # as if it were not installed
        import nets
        nets.check_backprop
        try:
            nets.testing
        except ImportError as error:
            print(error)
        else:
            raise SystemExit("nets.testing imported without hypothesis")
    """)
    assert done.returncode == 0, done.stderr
    assert "nets.testing needs hypothesis: pip install hypothesis" in done.stdout, done.stdout


# --- an Activation with its parameters ------------------------------------------------

def leaky_hand(alpha):
    """Right two-layer formulas for a leaky relu of slope ``alpha``."""
    def my_backprop(params, X, Y):
        m = X.shape[1]
        Z1 = params["W[1]"] @ X + params["b[1]"]
        A2 = activations.sigmoid(params["W[2]"] @ np.where(Z1 > 0, Z1, alpha * Z1)
                                 + params["b[2]"])
        dZ1 = params["W[2]"].T @ (A2 - Y) * np.where(Z1 > 0, 1.0, alpha)
        return {"Z[1]": dZ1, "W[1]": dZ1 @ X.T / m}
    return my_backprop


def test_an_activation_with_its_parameters_is_accepted():
    leaky = activations.get("leaky_relu", alpha=0.2)
    assert_backprop_matches(leaky_hand(0.2), activation=leaky, max_examples=50)
    with pytest.raises(AssertionError, match=r"informative_case\(activations.get\("
                                             r"'leaky_relu', alpha=0.2\)\)"):
        assert_backprop_matches(leaky_hand(0.01), activation=leaky, max_examples=50)


@given(cases(activation=activations.get("leaky_relu", alpha=0.3)))
def test_cases_of_an_activation_keep_its_parameters(case):
    assert case.net.activation.name == "leaky_relu" and case.net.activation.alpha == 0.3


@pytest.mark.parametrize("activation", [3, activations.get])
def test_an_activation_of_another_type_is_a_type_error_saying_what_to_pass(activation):
    with pytest.raises(TypeError, match=r"activation must be a name .*an Activation"):
        assert_backprop_matches(leaky_hand(0.2), activation=activation)
