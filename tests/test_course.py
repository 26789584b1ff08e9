"""The course's own backward_propagation(parameters, cache, X, Y), checked as
the assignment writes it (tests/course_code.py): right as written, and each
classic slip named in the course's names (dW1, not W[1]) with the slip the
numbers point to. The pinned texts are words and node names, not round-off."""
import subprocess
import sys

import numpy as np
import pytest

import nets
from nets import TwoLayerNet, data
from nets.check import MISSING, OK, UNKNOWN, WRONG, WRONG_SHAPE
from nets.course import course_name, course_text, node_name
from tests import course_code
from tests.checkout import child_env

COURSE_ROWS = ["dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"]
FROM_DZ1 = "first wrong at dZ1 or above it (dA1), not returned: dW1, db1 follow from it"
# slip -> (wrong nodes, the diagnosis as printed, a note every wrong row carries)
COURSE_SLIPS = {
    "missing 1/m": (
        ["W[2]", "b[2]", "W[1]", "b[1]"],
        ["first wrong at dW2, db2, dW1 and db1, in their own formulas: one slip gives them "
         "all (so would one wrong dZ2, not returned: return dZ2 to tell)",
         "likely slip: no 1/m in any dW, db (dW2 = dZ2 A1ᵀ, db2 = Σ dZ2, dW1 = dZ1 Xᵀ, "
         "db1 = Σ dZ1): recomputed so, dW2, db2, dW1 and db1 come out as yours"],
        "hand = 10 × autograd (m = 10: a missing 1/m?)"),
    "A1 for g'(Z1)": (
        ["W[1]", "b[1]"],
        [FROM_DZ1,
         "likely slip: A1 in place of g′(Z1) = 1 − A1² (dZ1 = W2ᵀ dZ2 * A1): recomputed "
         "so, dW1 and db1 come out as yours"], ""),
    "1 - Z1^2 for 1 - A1^2": (
        ["W[1]", "b[1]"],
        [FROM_DZ1,
         "likely slip: 1 − Z1² in place of 1 − A1² (dZ1 = W2ᵀ dZ2 * (1 − Z1²)): "
         "recomputed so, dW1 and db1 come out as yours"], ""),
    "transposed dW1": (
        ["W[1]"],
        ["first wrong at dW1",
         "likely slip: dW1 transposed (dW1 = (1/m) X dZ1ᵀ): recomputed so, dW1 comes out "
         "as yours"],
        "hand (2, 4), autograd (4, 2): transposed? (its transpose is right)"),
    "dropped keepdims": (
        ["b[1]"],
        ["first wrong at db1",
         "likely slip: db1 summed without keepdims=True (db1 = (1/m) np.sum(dZ1, axis=1)): "
         "recomputed so, db1 comes out as yours"],
        "hand (4,), autograd (4, 1): a sum without keepdims=True? (its numbers are right; "
        "only its shape is wrong)"),
    "sum over every axis": (
        ["b[2]"],
        ["first wrong at db2",
         "likely slip: db2 summed over every axis: a number (db2 = (1/m) np.sum(dZ2)): "
         "recomputed so, db2 comes out as yours"],
        "hand (), autograd (1, 1): a sum over every axis (no axis=1)? (its numbers are "
        "right; only its shape is wrong)"),
    "1/m twice": (
        ["W[1]"],
        ["first wrong at dW1",
         "likely slip: the 1/m of dW1 applied twice (dW1 = (1/m)(1/m) dZ1 Xᵀ): recomputed so, "
         "dW1 comes out as yours"],
        "hand = 0.1 × autograd (1/m: 1/m applied twice?)"),
    "sigmoid's slope for tanh": (
        ["W[1]", "b[1]"],
        [FROM_DZ1,
         "likely slip: A1(1 − A1) in place of 1 − A1² (dZ1 = W2ᵀ dZ2 * (A1(1 − A1))): "
         "recomputed so, dW1 and db1 come out as yours",
         # σ′ is also what an assignment done for a sigmoid layer has
         "if your formulas are for sigmoid, check them on a net with g = sigmoid: "
         "activation='sigmoid' (minigrad check --activation sigmoid)"], ""),
    "dropped parentheses": (
        ["W[1]", "b[1]"],
        [FROM_DZ1,
         "likely slip: the parentheses of (1 − A1²) left out (dZ1 = W2ᵀ dZ2 * 1 − A1², which "
         "is (W2ᵀ dZ2) − A1²): recomputed so, dW1 and db1 come out as yours"], ""),
}


def flower_net(m=10):
    """The course's shapes: n_x = 2, n_h = 4, tanh; weights at scale 0.5 so that
    A1 and 1 - A1² differ clearly."""
    X, Y = data.flower(m=m, seed=1)
    return TwoLayerNet(2, 4, "tanh", scale=0.5, seed=3), X, Y


def backward_propagation(slip=None):
    return course_code.load(slip)["backward_propagation"]


# --- names -----------------------------------------------------------------------------

@pytest.mark.parametrize("node, name", [("W[1]", "dW1"), ("b[2]", "db2"), ("Z[1]", "dZ1"),
                                        ("A[12]", "dA12")])
def test_course_names_and_node_names_map_both_ways(node, name):
    assert course_name(node) == name and node_name(name) == node


@pytest.mark.parametrize("key", ["dw1", "W1", "grads", "dX1", 3])
def test_keys_that_name_no_gradient_stay_as_they_are(key):
    assert node_name(key) == key


def test_notes_formulas_are_written_in_the_course_notation():
    assert course_text("dZ[1] = W[2]ᵀ dZ[2] * g′(Z[1]), dW[1] = (1/m) dZ[1] A[0]ᵀ") == \
        "dZ1 = W2ᵀ dZ2 * g′(Z1), dW1 = (1/m) dZ1 Xᵀ"


def test_code_indexing_stays_as_it_is_in_the_course_notation():
    assert course_text("m read from the rows of X (n_x) (m = X.shape[0]), np.sum(A[1], "
                       "axis=0), a[1]") == \
        "m read from the rows of X (n_x) (m = X.shape[0]), np.sum(A1, axis=0), a1"


def test_the_m_from_rows_slip_shows_x_shape_0_in_the_course_report():
    net, (X, Y) = TwoLayerNet(2, 4, seed=2, scale=1.0), data.flower(m=10, seed=1)
    namespace = course_code.load()
    def backward_propagation(parameters, cache, X, Y):   # noqa: E306
        grads = namespace["backward_propagation"](parameters, cache, X, Y)
        return {k: v * X.shape[1] / X.shape[0] for k, v in grads.items()}
    text = str(nets.check_backprop(net, X, Y, hand=backward_propagation))
    assert "(m = X.shape[0])" in text and "shape0" not in text, text


# --- as written -------------------------------------------------------------------------

def test_the_course_function_as_written_agrees_and_is_named_as_it_names_things():
    net, X, Y = flower_net()
    report = nets.check_backprop(net, X, Y, hand=backward_propagation())
    assert report.ok, str(report)
    lines = str(report).splitlines()
    assert lines[0].startswith("check_backprop: backward_propagation vs autograd on m = 10"), \
        lines[0]
    assert lines[1].split()[:2] == ["gradient", "node"], lines[1]
    assert [line.split()[:2] for line in lines[2:10]] == [
        [name, node] for name, node in zip(COURSE_ROWS, [r.name for r in report.rows])]
    # nothing about b = 0: the course's function takes Z and A from the cache, not from b
    assert lines[10:] == [
        "all 4 returned nodes agree with autograd (not returned: dA2, dZ2, dA1, dZ1)"], \
        str(report)
    assert report.row("dW1") is report.row("W[1]") and report.row("dW1").verdict == OK


def test_the_explicit_adapter_gives_the_same_report():
    net, X, Y = flower_net()
    f = backward_propagation("A1 for g'(Z1)")
    assert str(nets.check_backprop(net, X, Y, hand=nets.course(f))) == \
        str(nets.check_backprop(net, X, Y, hand=f))
    assert nets.course(nets.course(f)).function is f


def test_the_course_function_gets_the_forward_cache_and_copies_only():
    net, X, Y = flower_net()
    before = {k: v.copy() for k, v in net.params.items()}
    seen = {}

    def backward_propagation(parameters, cache, X, Y):
        seen.update(parameters=sorted(parameters), cache=sorted(cache))
        grads = course_code.load()["backward_propagation"](parameters, cache, X, Y)
        for v in [*parameters.values(), *cache.values(), X]:
            v += 1.0
        return grads

    report = nets.check_backprop(net, X, Y, hand=backward_propagation)
    assert report.ok, str(report)
    assert seen == {"parameters": ["W1", "W2", "b1", "b2"], "cache": ["A1", "A2", "Z1", "Z2"]}
    for k in before:
        assert np.array_equal(net.params[k], before[k]), f"{k} changed"
    g = net.graph(X, Y)
    np.testing.assert_array_equal(report.graph["A[1]"].data, g["A[1]"].data)


def test_dZ_returned_too_are_checked_per_sample_like_the_course_dZ2():
    net, X, Y = flower_net()
    f = backward_propagation("A1 for g'(Z1)")

    def with_dZ(parameters, cache, X, Y):
        grads = f(parameters, cache, X, Y)
        dZ2 = cache["A2"] - Y
        return {**grads, "dZ2": dZ2, "dZ1": parameters["W2"].T @ dZ2 * cache["A1"]}

    report = nets.check_backprop(net, X, Y, hand=with_dZ)
    assert report.row("dZ2").verdict == OK and report.row("dZ1").verdict == WRONG, str(report)
    assert report.diagnosis().splitlines()[0] == "first wrong at dZ1; dW1, db1 follow from it"


# --- each classic slip ------------------------------------------------------------------

@pytest.mark.parametrize("slip", list(COURSE_SLIPS))
def test_each_classic_slip_names_the_wrong_gradients_and_the_slip(slip):
    net, X, Y = flower_net()
    wrong, diagnosis, note = COURSE_SLIPS[slip]
    report = nets.check_backprop(net, X, Y, hand=backward_propagation(slip))
    assert not report.ok and report.mismatches == wrong, str(report)
    assert report.diagnosis().splitlines() == diagnosis, str(report)
    for name in wrong:
        assert report.row(name).note == note, str(report)
        line = next(l for l in str(report).splitlines()
                    if l.split()[:2] == [course_name(name), name])
        assert (WRONG_SHAPE if "shape" in slip or "transposed" in slip else WRONG) in line, \
            line
    assert [r.name for r in report.rows if r.verdict == MISSING] == [
        "A[2]", "Z[2]", "A[1]", "Z[1]"]


@pytest.mark.parametrize("slip", list(COURSE_SLIPS))
def test_each_slip_is_named_at_every_size_where_it_shows(slip):
    # another net and m: the words stay, only the numbers change
    X, Y = data.moons(m=7, seed=3)
    net = TwoLayerNet(2, 3, "tanh", scale=0.7, seed=8)
    report = nets.check_backprop(net, X, Y, hand=backward_propagation(slip))
    wrong, diagnosis, _ = COURSE_SLIPS[slip]
    assert report.mismatches == wrong, str(report)
    assert report.diagnosis().splitlines()[1].split(":")[0] == \
        diagnosis[1].split(":")[0], str(report)


def test_a_misspelled_key_is_unknown_with_the_course_name_guessed():
    net, X, Y = flower_net()
    f = backward_propagation()

    def lower_case(parameters, cache, X, Y):
        grads = f(parameters, cache, X, Y)
        return {"dw1": grads["dW1"], "db1": grads["db1"]}

    report = nets.check_backprop(net, X, Y, hand=lower_case)
    assert report.unknown == ["dw1"] and report.row("dw1").verdict == UNKNOWN, str(report)
    assert report.row("dw1").note == "not a node of the graph; did you mean dW1?"


@pytest.mark.parametrize("function, shown", [
    (lambda parameters, cache: {}, "<lambda>(parameters, cache) takes 2 parameters"),
    (lambda a, b, c, d, e: {}, "<lambda>(a, b, c, d, e) takes 5 parameters")])
def test_a_function_of_another_signature_is_a_type_error_naming_both(function, shown):
    net, X, Y = flower_net()
    with pytest.raises(TypeError, match=r"check_backprop: .*") as info:
        nets.check_backprop(net, X, Y, hand=function)
    message = str(info.value)
    assert shown in message and "hand(params, X, Y)" in message \
        and "backward_propagation(parameters, cache, X, Y)" in message, message


def test_the_courses_l_layer_backward_is_refused_saying_how_to_wrap_it(tmp_path):
    # L_model_backward(AL, Y, caches) has three parameters, as hand(params, X, Y):
    # called so, it failed with "'dict' object has no attribute 'shape'"
    def L_model_backward(AL, Y, caches):
        return {"dW1": AL.shape}
    net, X, Y = flower_net()
    with pytest.raises(TypeError, match=r"^check_backprop: L_model_backward\(AL, Y, caches\) "
                                        r"is the course's L-layer backward.*Wrap it in a "
                                        r"backward_propagation\(parameters, cache, X, Y\)"):
        nets.check_backprop(net, X, Y, hand=L_model_backward)
    mywork = tmp_path / "mywork.py"
    mywork.write_text("def L_model_backward(AL, Y, caches):\n    return {}\n")
    result = subprocess.run([sys.executable, "-m", "nets", "check", "--hand",
                             f"{mywork}:L_model_backward"], capture_output=True, text=True,
                            env=child_env())
    assert result.returncode == 2 and result.stdout == "", result
    assert len(result.stderr.splitlines()) == 1 and "L-layer backward" in result.stderr, result


def test_a_course_function_that_raises_names_itself_and_the_shapes():
    net, X, Y = flower_net()
    source = course_code.source().replace("np.dot(W2.T, dZ2)", "np.dot(W2, dZ2)")
    namespace = {}
    exec(source, namespace)
    with pytest.raises(RuntimeError, match=r"backward_propagation raised ValueError"):
        nets.check_backprop(net, X, Y, hand=namespace["backward_propagation"])


def test_course_names_reach_every_layer_of_a_deep_net():
    X, Y = data.circles(m=8, seed=2)
    net = nets.DeepNet([2, 3, 3, 1], activation="tanh", scale=0.8, seed=5)

    def L_model_backward(parameters, cache, X, Y):   # the course's names, L layers
        L, m = len(parameters) // 2, X.shape[1]
        A = {0: X, **{l: cache[f"A{l}"] for l in range(1, L + 1)}}
        grads, dZ = {}, A[L] - Y
        for l in range(L, 0, -1):
            grads[f"dW{l}"] = np.dot(dZ, A[l - 1].T)           # the 1/m forgotten
            grads[f"db{l}"] = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
            if l > 1:
                dZ = np.dot(parameters[f"W{l}"].T, dZ) * (1 - np.power(A[l - 1], 2))
        return grads

    report = nets.check_backprop(net, X, Y, hand=L_model_backward)
    assert report.mismatches == ["W[3]", "W[2]", "W[1]"], str(report)
    assert [line.split()[0] for line in str(report).splitlines()[2:14]] == [
        f"d{k}{l}" for l in (3, 2, 1) for k in "AZWb"], str(report)
    lines = report.diagnosis().splitlines()
    assert lines[0] == "first wrong at dW3", str(report)
    assert lines[1:3] == ["also wrong at dW2, independently",
                          "also wrong at dW1, independently"], str(report)
    assert [l.split(" (")[0] for l in lines[3:]] == [
        f"likely slip: dW{l} without the 1/m" for l in (3, 2, 1)], str(report)


def test_a_missing_1_over_m_in_one_layer_is_named_for_that_layer():
    net, X, Y = flower_net()
    source = course_code.source().replace("dW1 = (1 / m) * ", "dW1 = ") \
        .replace("db1 = (1 / m) * ", "db1 = ")
    namespace = {}
    exec(source, namespace)
    report = nets.check_backprop(net, X, Y, hand=namespace["backward_propagation"])
    assert report.diagnosis().splitlines() == [
        "first wrong at dW1 and db1, in their own formulas: one slip gives both (so would "
        "one wrong dZ1, not returned: return dZ1 to tell)",
        "likely slip: no 1/m in dW1 and db1 (dW1 = dZ1 Xᵀ, db1 = Σ dZ1): recomputed so, "
        "dW1 and db1 come out as yours"], str(report)


def test_a_slip_in_every_dW_db_is_one_error_also_when_the_right_dZ2_comes_back():
    # the learner's dZ2 is right and returned: the 1/m is missing from the four
    # formulas themselves, one slip, never "wrong at dZ1, independently"
    net, X, Y = flower_net()
    slipped = backward_propagation("missing 1/m")

    def with_dZ2(parameters, cache, X, Y):
        return {**slipped(parameters, cache, X, Y), "dZ2": cache["A2"] - Y}

    report = nets.check_backprop(net, X, Y, hand=with_dZ2)
    assert report.row("dZ2").verdict == OK
    assert report.diagnosis().splitlines() == [
        "first wrong at dW2, db2, dW1 and db1, in their own formulas: one slip gives them all",
        COURSE_SLIPS["missing 1/m"][1][1]], str(report)


@pytest.mark.parametrize("signature", ["AL, Y, cache", "A_L, Y, caches", "al, y, Caches"])
def test_the_l_layer_backward_is_refused_under_its_usual_spellings(signature):
    namespace = {}
    exec(f"def L_model_backward({signature}):\n    return {{}}\n", namespace)
    net, X, Y = flower_net()
    with pytest.raises(TypeError, match=r"is the course's L-layer backward"):
        nets.check_backprop(net, X, Y, hand=namespace["L_model_backward"])


def test_m_read_from_the_rows_of_a_prev_in_every_layer_is_one_slip():
    # the course's linear_backward(dZ, cache) with m = A_prev.shape[0]: every layer's
    # 1/m is 1/n[l-1], a factor of its own at each layer, from one line
    X, Y = data.flower(m=40, seed=1)
    net = nets.DeepNet([2, 5, 3, 1], activation="tanh", scale=0.8, seed=5)

    def L_model_backward(parameters, cache, X, Y):
        L = len(parameters) // 2
        A = {0: X, **{l: cache[f"A{l}"] for l in range(1, L + 1)}}
        grads, dZ = {}, A[L] - Y
        for l in range(L, 0, -1):
            m = A[l - 1].shape[0]                          # the slip: shape[1] is due
            grads[f"dW{l}"] = 1. / m * np.dot(dZ, A[l - 1].T)
            grads[f"db{l}"] = 1. / m * np.sum(dZ, axis=1, keepdims=True)
            if l > 1:
                dZ = np.dot(parameters[f"W{l}"].T, dZ) * (1 - np.power(A[l - 1], 2))
        return grads

    report = nets.check_backprop(net, X, Y, hand=L_model_backward)
    text = report.diagnosis()
    assert report.row("dW3").note == ("hand = 13.33 × autograd (m / n[2] = 40 / 3: m read "
                                      "as A_prev.shape[0]?)"), str(report)
    lines = text.splitlines()
    assert len(lines) == 2 and lines[0].startswith(
        "first wrong at dW3, db3, dW2, db2, dW1 and db1, in their own formulas: one slip "
        "gives them all"), str(report)
    assert lines[1:] == [
        "likely slip: m read from the rows of A[l-1] (n[l-1]) for each layer's 1/m "
        "(m = A_prev.shape[0] in every layer, dW[l] = (1/n[l-1]) dZ[l] A[l-1]ᵀ): "
        "recomputed so, dW3, db3, dW2, db2, dW1 and db1 come out as yours"], str(report)


@pytest.mark.parametrize("change, note", [
    # the course's db2 = np.sum(dZ2) / m: the one number of a (1, 1) b[2], shape ()
    (lambda g: g.update(db2=g["db2"].sum()),
     "hand (), autograd (1, 1): a sum over every axis (no axis=1)? (its numbers are right; "
     "only its shape is wrong)"),
    (lambda g: g.update(dW2=g["dW2"].T),
     "hand (4, 1), autograd (1, 4): transposed? (its numbers are right; only its shape is "
     "wrong)"),
    # a wrong shape and wrong numbers: nothing says the numbers are right
    (lambda g: g.update(db1=g["db1"].ravel() * 10),
     "hand (4,), autograd (4, 1): a sum without keepdims=True?"),
    (lambda g: g.update(dW1=g["dW1"][::-1].T),
     "hand (2, 4), autograd (4, 2): transposed?"),
    (lambda g: g.update(db1=g["db1"][:1, 0]), "hand (1,), autograd (4, 1)"),
])
def test_a_wrong_shape_says_whether_its_numbers_are_right(change, note):
    # so that a learner with np.sum(dZ2) / m fixes the shape, not the formula
    net, X, Y = flower_net()
    right = backward_propagation()

    def hand(parameters, cache, X, Y):
        grads = right(parameters, cache, X, Y)
        change(grads)
        return grads
    report = nets.check_backprop(net, X, Y, hand=hand)
    [name] = report.mismatches
    assert report.row(name).verdict == WRONG_SHAPE and report.row(name).note == note, str(report)


@pytest.mark.parametrize("change, line", [
    # dW[2] of one output unit as a sum of products: the right numbers, flat
    (lambda g: g.update(dW2=g["dW2"].ravel()),
     "dW2 has the right numbers in the shape (4,), not (1, 4): no slip in its formula"),
    (lambda g: g.update(db1=g["db1"].reshape(1, -1)),
     "db1 has the right numbers in the shape (1, 4), not (4, 1): no slip in its formula"),
    (lambda g: g.update(dZ1=g["dZ1"].T),
     "dZ1 is the transpose of the right one, (10, 4) for (4, 10): no slip in its formula"),
])
def test_a_wrong_shape_with_right_numbers_is_not_told_no_slip_gives_its_numbers(change, line):
    # the row said "its numbers are right" and the diagnosis under it "no classic
    # slip (...) gives these numbers", of the same numbers
    net, X, Y = flower_net()
    right = backward_propagation()

    def hand(parameters, cache, X, Y):
        grads = right(parameters, cache, X, Y)
        A1, A2 = cache["A1"], cache["A2"]
        grads["dZ1"] = parameters["W2"].T @ (A2 - Y) * (1 - A1 ** 2)
        change(grads)
        return grads
    report = nets.check_backprop(net, X, Y, hand=hand)
    lines = report.diagnosis().splitlines()
    assert line in lines and not any("no classic slip" in x for x in lines), str(report)


@pytest.mark.parametrize("slip, change, expected", [
    # beside an error no slip gives: "no classic slip" is said of that one only
    (None, lambda g: g.update(dW2=g["dW2"].ravel(), dW1=g["dW1"] * 1.37),
     ["no classic slip (a missing 1/m, A for g′(Z), 1 − Z² for 1 − A², a transpose, a lost "
      "keepdims, a sign) gives dW1",
      "dW2 has the right numbers in the shape (4,), not (1, 4): no slip in its formula"]),
    # beside a slip that is named: the shape's line, not "no classic slip gives dW2"
    ("1 - Z1^2 for 1 - A1^2", lambda g: g.update(dW2=g["dW2"].ravel()),
     ["dW2 has the right numbers in the shape (4,), not (1, 4): no slip in its formula",
      "likely slip: 1 − Z1² in place of 1 − A1² (dZ1 = W2ᵀ dZ2 * (1 − Z1²)): recomputed so, "
      "dW1 and db1 come out as yours"]),
], ids=["beside an unnamed error", "beside a named slip"])
def test_a_wrong_shape_with_right_numbers_beside_another_error_is_told_apart(slip, change,
                                                                             expected):
    net, X, Y = flower_net()
    base = backward_propagation(slip)

    def hand(parameters, cache, X, Y):
        grads = base(parameters, cache, X, Y)
        change(grads)
        return grads
    lines = nets.check_backprop(net, X, Y, hand=hand).diagnosis().splitlines()
    assert lines[-2:] == expected, lines


def test_m_read_from_the_rows_of_a_prev_is_one_slip_on_a_two_layer_net_too():
    # the course's two_layer_model backprops through linear_backward as well: with
    # m = A_prev.shape[0] dW[2] gets 1/n_h and dW[1] 1/n_x; this read "m read from
    # the rows of X" for W[1] and b[1], and "no classic slip gives W[2]" and b[2]
    net, X, Y = flower_net()

    def backward_propagation(parameters, cache, X, Y):
        A = {0: X, 1: cache["A1"], 2: cache["A2"]}
        grads, dZ = {}, A[2] - Y
        for l in (2, 1):
            m = A[l - 1].shape[0]                          # the slip: shape[1] is due
            grads[f"dW{l}"] = 1. / m * np.dot(dZ, A[l - 1].T)
            grads[f"db{l}"] = 1. / m * np.sum(dZ, axis=1, keepdims=True)
            if l == 2:
                dZ = np.dot(parameters["W2"].T, dZ) * (1 - np.power(A[1], 2))
        return grads

    report = nets.check_backprop(net, X, Y, hand=backward_propagation)
    lines = report.diagnosis().splitlines()
    assert len(lines) == 2 and lines[0].startswith(
        "first wrong at dW2, db2, dW1 and db1, in their own formulas: one slip gives them "
        "all"), str(report)
    assert lines[1].startswith("likely slip: m read from the rows of A[l-1] (n[l-1]) for each "
                               "layer's 1/m"), str(report)


@pytest.mark.parametrize("flat_db1", [False, True])
def test_a_slip_that_changes_the_right_numbers_of_a_wrong_shape_is_not_named(flat_db1):
    # dW2 and db2 negated, dW1 transposed (its numbers right) and db1 right or as
    # a (1, 4) row: "the sign of dZ2 flipped" would negate dW1 and db1 too. With
    # db1 a (1, 4) row the diagnosis named it ("likely slip: the sign of dZ2
    # flipped"): numbers right in a wrong shape did not count as right
    net, X, Y = flower_net(m=400)
    right = backward_propagation()

    def hand(parameters, cache, X, Y):
        grads = right(parameters, cache, X, Y)
        grads["dW2"], grads["db2"], grads["dW1"] = -grads["dW2"], -grads["db2"], grads["dW1"].T
        if flat_db1:
            grads["db1"] = grads["db1"].T
        return grads
    report = nets.check_backprop(net, X, Y, hand=hand)
    lines = report.diagnosis().splitlines()
    assert "no classic slip gives dW2" in lines, str(report)
    assert not any("sign" in line for line in lines), str(report)


PROPAGATE = '''
def propagate(w, b, X, Y):                      # the course's logistic regression
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(np.dot(w.T, X) + b)))
    cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dw = 1 / m * np.dot(X, (A - Y).T)
    db = 1 / m * np.sum(A - Y)
    return {"dw": dw, "db": db}, cost
'''


def _wrap_as_the_message_says(message, propagate):
    # the message's own wrapper, run as the learner would paste it
    body = message.split("Wrap it in a hand(params, X, Y) for a LogisticRegression: ")[1]
    body = body.split(" (docs:")[0].replace("; return", "\n    return")
    namespace = {"np": np, "propagate": propagate}
    exec(f"def hand(params, X, Y):\n    {body}\n", namespace)
    return namespace["hand"]


def test_the_courses_logistic_regression_propagate_is_refused_saying_how_to_wrap_it(tmp_path):
    # propagate(w, b, X, Y) has four parameters, as backward_propagation: called
    # so, it failed with "'dict' object has no attribute 'T'"
    net, X, Y = nets.testing.informative_case(hidden_layers=0)
    assert isinstance(net, nets.LogisticRegression)
    namespace = {"np": np}
    exec(PROPAGATE, namespace)
    with pytest.raises(TypeError, match=r"^check_backprop: propagate\(w, b, X, Y\) is the "
                                        r"course's logistic regression propagate") as info:
        nets.check_backprop(net, X, Y, hand=namespace["propagate"])
    hand = _wrap_as_the_message_says(str(info.value), namespace["propagate"])
    assert nets.check_backprop(net, X, Y, hand=hand).ok
    slipped = {"np": np}
    exec(PROPAGATE.replace("dw = 1 / m * ", "dw = "), slipped)
    report = nets.check_backprop(net, X, Y,
                                 hand=_wrap_as_the_message_says(str(info.value),
                                                                slipped["propagate"]))
    assert report.mismatches == ["W[1]"], str(report)
    assert "without the 1/m" in report.diagnosis(), str(report)
    mywork = tmp_path / "mywork.py"
    mywork.write_text("def propagate(w, b, X, Y):\n    return {}, 0.0\n")
    result = subprocess.run([sys.executable, "-m", "nets", "check", "--hand",
                             f"{mywork}:propagate"], capture_output=True, text=True,
                            env=child_env())
    assert result.returncode == 2 and result.stdout == "", result
    assert len(result.stderr.splitlines()) == 1 and "logistic regression" in result.stderr, \
        result


def test_the_courses_dw_db_of_a_logistic_regression_are_taken_for_w1_b1():
    net, X, Y = nets.testing.informative_case(hidden_layers=0)
    report = nets.check_backprop(net, X, Y, hand=lambda params, X, Y: {"dw": 0, "db": 0})
    assert [report.row(k).note for k in ("dw", "db")] == [
        "not a node of the graph; did you mean W[1]?",
        "not a node of the graph; did you mean b[1]?"], str(report)


# --- the course's parameters dict where a net is meant --------------------------------------

def _course_parameters(dims: list) -> dict:
    rng = np.random.RandomState(2)
    return {k: v for l in range(1, len(dims))
            for k, v in ((f"W{l}", rng.randn(dims[l], dims[l - 1]) * 0.01),
                         (f"b{l}", np.zeros((dims[l], 1))))}


@pytest.mark.parametrize("dims, made", [([2, 4, 1], 'nets.TwoLayerNet(2, 4, activation="tanh")'),
                                        ([2, 1], "nets.LogisticRegression(2)"),
                                        ([3, 5, 2, 1], 'nets.DeepNet([3, 5, 2, 1], activation="relu")')])
def test_the_courses_parameters_passed_as_the_net_are_told_how_to_make_one(dims, made):
    # was: AttributeError: 'dict' object has no attribute 'graph'
    parameters = _course_parameters(dims)
    X, Y = np.ones((dims[0], 3)), np.array([[0.0, 1.0, 1.0]])
    with pytest.raises(TypeError, match="net must be a nets network") as caught:
        nets.check_backprop(parameters, X, Y, hand=course_code.load()["backward_propagation"])
    message = str(caught.value)
    assert f"net = {made}" in message, message
    # the code the message gives, run as written: a net holding these parameters
    convert = message.split("then ", 1)[1].split(" gives it", 1)[0]
    net = eval(made, {"nets": nets})
    exec(convert, {"net": net, "parameters": parameters, "np": np})
    assert all(np.array_equal(net.params[f"{k[0]}[{k[1:]}]"], v) for k, v in parameters.items())
    if len(dims) == 3:
        assert nets.check_backprop(net, X, Y, hand=course_code.load()["backward_propagation"]).ok


def test_a_net_given_the_courses_keys_is_told_the_notes_names():
    net = TwoLayerNet(2, 4)
    net.params = _course_parameters([2, 4, 1])
    with pytest.raises(ValueError, match=r"got W1, b1, W2, b2; the course's names: net\.params = "):
        net.fit(np.ones((2, 3)), np.array([[0.0, 1.0, 1.0]]), iterations=1)


def test_anything_else_passed_as_the_net_is_a_type_error_naming_its_type():
    with pytest.raises(TypeError, match=r"net must be a nets network .*; got str$"):
        nets.check_backprop("net", np.ones((2, 3)), np.array([[0.0, 1.0, 1.0]]))


# --- pinned by planted bugs (each test failed with one small change to course.py) ---------
@pytest.mark.parametrize("parameters", [
    {"W": np.zeros((1, 2)), "b": 0.0},                   # the notes' one-layer names, no l
    {},
    {"W1": np.zeros(3), "b1": np.zeros(1)},              # a W that is no matrix
    {"W2": np.zeros((1, 3)), "b2": np.zeros((1, 1))},    # no W1: its sizes are unknown
], ids=["W b", "empty", "1-d W1", "no W1"])
def test_a_dict_the_hint_cannot_read_is_the_type_error_without_one(parameters):
    # these crashed the hint (int(''), max() of nothing, shapes[0][1]) into a
    # ValueError or IndexError about the hint's own code
    with pytest.raises(TypeError, match=r"net must be a nets network .*; got dict$"):
        nets.check_backprop(parameters, np.ones((2, 3)), np.array([[0.0, 1.0, 1.0]]))


def test_the_hint_asks_for_the_hidden_activation_only_of_a_net_with_a_hidden_layer():
    from nets.course import course_parameters_hint
    assert "hidden activation" not in course_parameters_hint(_course_parameters([2, 1]))
    assert "hidden activation" in course_parameters_hint(_course_parameters([2, 4, 1]))
    # the layers are counted by the W's: W1, W2 without b's is still two layers
    two = {k: v for k, v in _course_parameters([2, 3, 1]).items() if k[0] == "W"}
    assert 'net = nets.TwoLayerNet(2, 3, activation="tanh")' in course_parameters_hint(two)


@pytest.mark.parametrize("text, hint, not_said", [
    # a magic inside an indented block (an IndentationError whose line starts with spaces)
    ("def f():\n    %time g()\n", r"line 2, '%time g\(\)', is a Jupyter command", "neither"),
    # the module is there, the name is not: no word that the module is missing
    ("from math import nosuchthing\n", r"ImportError: cannot import name 'nosuchthing'", "beside"),
    # json is installed, json.nosuch is not: it said "'json' is neither beside m.py nor
    # installed" (sklearn.cross_validation, gone from newer sklearn, did the same)
    ("import json.nosuch\n", r"'json' is there \(installed or beside m\.py\) but has no "
                             r"'json\.nosuch': code written for another version of json\?",
     "neither"),
])
def test_an_import_error_gets_the_hint_that_fits_it(tmp_path, text, hint, not_said):
    from nets.course import load_function
    path = tmp_path / "m.py"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=hint) as caught:
        load_function(str(path))
    assert not_said not in str(caught.value), str(caught.value)
