"""Gradient checking as the course does it: numerical_grad by central
differences, relative_difference, and gradcheck's per-input report."""
import doctest
import re
import warnings
import weakref
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import nets
from minigrad import round_off
from minigrad.gradcheck import GradcheckReport, InputCheck
from minigrad.table import display_width
from minigrad.ops import op
from tests.strategies import (SLIP_FACTORS, arrays, arrays_away_from_zero,
                              cancelling_linear_cases, cancelling_product_cases,
                              ordinary_net_cases,
                              saturated_logits_cases, small_shapes)


def _layer_inputs():
    rng = np.random.RandomState(0)
    W = mg.tensor(rng.randn(3, 2), name="W[1]")
    b = mg.tensor(rng.randn(3, 1), name="b[1]")
    return W, b


X = np.random.RandomState(1).randn(2, 4)
Y = np.array([[0.0, 1.0, 1.0, 0.0]])


def smooth_loss(W, b):
    A = (W @ X + b).tanh()
    return mg.binary_cross_entropy(A.sum(axis=0, keepdims=True).sigmoid(), Y)


@op("wrong_square")
def wrong_square(x):
    """x², whose VJP is off by a factor of 2 (2 · 2x instead of 2x)."""
    return x * x, (lambda g: g * 4 * x,)


def test_gradcheck_passes_on_a_smooth_function_with_the_course_threshold():
    report = mg.gradcheck(smooth_loss, list(_layer_inputs()))
    assert report.ok and bool(report), str(report)
    assert report.max_difference < 2e-7, f"difference {report.max_difference:.3e}"
    assert report.tol == 2e-7


def test_gradcheck_fails_on_a_wrong_gradient_and_says_which_input():
    W, b = _layer_inputs()
    x = mg.tensor([0.5, -1.0, 2.0], name="x")
    report = mg.gradcheck(lambda W, x: (W.tanh().sum() + wrong_square(x).sum()), [W, x])
    assert not report.ok and not bool(report), str(report)
    by_name = {row.name: row for row in report.inputs}
    assert by_name["W[1]"].ok, str(report)
    assert not by_name["x"].ok, str(report)
    # |4x - 2x| / (|4x| + |2x|) = 1/3 whatever x is
    assert abs(by_name["x"].difference - 1 / 3) < 1e-6, f"difference {by_name['x'].difference}"
    np.testing.assert_allclose(by_name["x"].autograd, 4 * x.data)
    np.testing.assert_allclose(by_name["x"].numerical, 2 * x.data, rtol=1e-6)


def test_gradcheck_report_has_one_row_per_input_and_a_readable_str():
    W, b = _layer_inputs()
    unnamed = mg.tensor(np.ones((3, 1)))
    report = mg.gradcheck(lambda W, b, c: smooth_loss(W, b * c), [W, b, unnamed])
    rows = [(row.name, row.shape) for row in report.inputs]
    assert rows == [("W[1]", (3, 2)), ("b[1]", (3, 1)), ("input 2", (3, 1))], rows
    for row, t in zip(report.inputs, (W, b, unnamed)):
        assert row.autograd.shape == row.numerical.shape == t.shape
    lines = str(report).splitlines()
    assert len(lines) == 4, str(report)
    assert lines[0].split() == ["input", "shape", "difference", "verdict"], lines[0]
    assert lines[1].startswith("W[1]") and lines[1].endswith("ok"), lines[1]
    assert "(3, 1)" in lines[2] and "input 2" in lines[3], str(report)


def test_gradcheck_report_str_marks_a_wrong_input():
    x = mg.tensor([1.0, 2.0], name="x")
    text = str(mg.gradcheck(lambda x: wrong_square(x).sum(), [x]))
    assert "WRONG" in text and "3.333e-01" in text, text


def test_gradcheck_leaves_grad_and_requires_grad_as_they_were():
    W, b = _layer_inputs()
    b.requires_grad = True
    b.grad = np.full((3, 1), 7.0)
    mg.gradcheck(smooth_loss, [W, b])
    assert W.grad is None and not W.requires_grad, (W.grad, W.requires_grad)
    assert b.requires_grad and (b.grad == 7.0).all(), (b.grad, b.requires_grad)


def test_relative_difference_is_0_for_two_zeros():
    assert mg.relative_difference(np.zeros(3), np.zeros(3)) == 0.0


@pytest.mark.parametrize("g, g_tilde, expected", [
    ([1.0, 0.0], [0.0, 1.0], 1 / np.sqrt(2)),     # √2 / (1 + 1)
    ([1.0, 2.0], [1.0, 2.0], 0.0),
    ([2.0], [1.0], 1 / 3),
    ([1.0, 1.0], [-1.0, -1.0], 1.0),               # opposite: the largest it gets
    ([0.0, 0.0], [3.0, 4.0], 1.0),                 # one side zero
])
def test_relative_difference_is_the_course_formula(g, g_tilde, expected):
    value = mg.relative_difference(np.array(g), np.array(g_tilde))
    assert abs(value - expected) < 1e-15, f"difference {value}, expected {expected}"


@given(x=arrays())
def test_numerical_grad_of_sum_of_squares_is_twice_x(x):
    t = mg.tensor(x.copy())
    (grad,) = mg.numerical_grad(lambda t: (t * t).sum(), [t], eps=1e-6)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-7, atol=1e-7)


@given(x=arrays())
def test_numerical_grad_restores_the_inputs_data_exactly(x):
    original = x.copy()
    t = mg.as_tensor(x)
    mg.numerical_grad(lambda t: (t.exp() * 3).sum(), [t])
    assert t.data is x, "numerical_grad replaced the data array"
    np.testing.assert_array_equal(t.data, original)


def test_numerical_grad_restores_the_data_even_when_f_raises():
    x = mg.tensor([1.0, 2.0])
    calls = []

    def f(t):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("f failed at x + eps")
        return t.sum()

    with pytest.raises(RuntimeError):
        mg.numerical_grad(f, [x])
    assert x.data.tolist() == [1.0, 2.0], f"data left at {x.data.tolist()}"


def test_numerical_grad_records_no_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    made = []
    mg.numerical_grad(lambda t: made.append(t * 2) or made[-1].sum(), [x])
    assert all(m.parents == () for m in made), "numerical_grad built a graph"


def test_numerical_grad_needs_f_to_return_a_scalar():
    with pytest.raises(ValueError, match=r"scalar.*\(2,\)"):
        mg.numerical_grad(lambda t: t * 2, [mg.tensor([1.0, 2.0])])


def test_gradcheck_needs_tensor_inputs():
    with pytest.raises(TypeError, match="Tensors"):
        mg.gradcheck(lambda x: x.sum(), [np.ones(2)])


def test_numerical_grad_needs_tensor_inputs():
    with pytest.raises(TypeError, match="numerical_grad: inputs must be Tensors; got ndarray"):
        mg.numerical_grad(lambda x: x.sum(), [np.ones(2)])


def test_gradcheck_needs_f_to_return_a_scalar_tensor():
    x = mg.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"gradcheck: f must return a scalar; got shape \(2,\)"):
        mg.gradcheck(lambda t: t * 2, [x])
    with pytest.raises(TypeError, match="gradcheck: f must return a Tensor; got float"):
        mg.gradcheck(lambda t: 3.0, [x])


# --- relative_difference: overflow-safe, no broadcasting, NaN fails -----------------
@pytest.mark.parametrize("scale", [1e200, 1e-300, 1e300, 5e-324])
def test_relative_difference_of_huge_and_tiny_values_is_a_third(scale):
    value = mg.relative_difference([scale], [2 * scale])
    assert abs(value - 1 / 3) < 1e-15, f"difference {value} at scale {scale}"


@given(arrays((3,), -10, 10), st.floats(0.0, 10.0, exclude_min=True))
def test_relative_difference_of_opposite_vectors_is_at_most_one(g, c):
    # exactly 1 in exact arithmetic: [-0.59277344] * 3 against [0.15722656] * 3
    # gave 1.0000000000000002 before the bound
    assume(np.any(g != 0))
    assert mg.relative_difference(g, -c * g) <= 1.0
    assert mg.relative_difference([-0.59277344] * 3, [0.15722656] * 3) <= 1.0


@given(g=arrays((3,), -10, 10), delta=arrays((3,), -1, 1), exponent=st.integers(-290, 290))
def test_relative_difference_does_not_depend_on_the_scale(g, delta, exponent):
    g_tilde = g + delta
    # the claim is about relative_difference, not about scaling that rounds an
    # entry to 0 or to a subnormal (delta = 3.6e-142 times 1e-183 is 0)
    assume(all(np.all((a == 0) | (np.abs(a * 10.0 ** exponent) >= np.finfo(np.float64).tiny))
               for a in (g, g_tilde)))
    unscaled = mg.relative_difference(g, g_tilde)
    scaled = mg.relative_difference(g * 10.0 ** exponent, g_tilde * 10.0 ** exponent)
    assert 0.0 <= scaled <= 1.0 and abs(scaled - unscaled) <= 1e-9 * unscaled + 1e-12, (
        f"{scaled} at 1e{exponent}, {unscaled} at 1")


@given(shapes=st.tuples(small_shapes(), small_shapes()).filter(lambda s: s[0] != s[1]))
def test_relative_difference_of_arrays_of_different_shapes_is_a_value_error_naming_both(shapes):
    first, second = shapes
    with pytest.raises(ValueError, match=re.escape(f"shapes {first} and {second} differ")):
        mg.relative_difference(np.full(first, 0.1), np.full(second, 0.1))


@given(g=arrays((4,)), where=st.integers(0, 3), bad=st.sampled_from([np.nan, np.inf, -np.inf]),
       side=st.booleans())
def test_a_nan_or_infinity_anywhere_makes_the_difference_nan_which_fails(g, where, bad, side):
    broken = g.copy()
    broken[where] = bad
    pair = (broken, g) if side else (g, broken)
    value = mg.relative_difference(*pair)
    assert np.isnan(value) and not value < 2e-7, value


@op("nan_slope")
def nan_slope(x):
    """x, whose VJP says NaN."""
    return x * 1.0, (lambda g: g * np.nan,)


def test_gradcheck_reports_a_nan_gradient_as_wrong():
    report = mg.gradcheck(lambda t: nan_slope(t).sum(), [mg.tensor([1.0, 2.0])])
    assert not report.ok and np.isnan(report.max_difference), str(report)
    assert "WRONG (not finite)" in str(report)


# --- gradcheck on private copies ---------------------------------------------------
def test_gradcheck_of_inputs_that_share_an_array_passes_and_leaves_it_alone():
    t = mg.tensor([1.0, 2.0])
    report = mg.gradcheck(lambda a, b: (a * b).sum(), [t, t.detach()])
    assert report.ok, str(report)
    np.testing.assert_array_equal(report.inputs[0].autograd, [1.0, 2.0])
    np.testing.assert_allclose(report.inputs[1].numerical, [1.0, 2.0], rtol=1e-6)
    assert t.data.tolist() == [1.0, 2.0]


def test_gradcheck_leaves_the_callers_arrays_unchanged_even_when_f_raises():
    arr = np.array([1.0, 2.0])
    x = mg.as_tensor(arr)
    calls = []

    def f(t):
        calls.append(t.data.copy())
        if len(calls) == 2:   # inside numerical_grad, at x + eps
            raise RuntimeError("f failed")
        return (t * t).sum()

    with pytest.raises(RuntimeError, match="f failed"):
        mg.gradcheck(f, [x])
    assert x.data is arr and arr.tolist() == [1.0, 2.0] and arr.flags.writeable
    assert calls[1][0] != 1.0, "f must have been called on a nudged copy"


def test_gradcheck_works_on_read_only_data():
    arr = np.array([1.0, 2.0])
    arr.setflags(write=False)
    report = mg.gradcheck(lambda t: (t * t).sum(), [mg.as_tensor(arr, name="x")])
    assert report.ok and report.inputs[0].name == "x", str(report)
    assert not arr.flags.writeable and arr.tolist() == [1.0, 2.0]


def test_gradcheck_of_a_constant_function_passes_with_zero_gradients_and_says_so():
    x = mg.tensor([1.0, 2.0])
    report = mg.gradcheck(lambda t: mg.tensor(3.0), [x])
    assert report.ok and not report.depends_on_inputs, str(report)
    assert report.inputs[0].autograd.tolist() == [0.0, 0.0]
    assert report.inputs[0].numerical.tolist() == [0.0, 0.0]
    assert "does not depend on any input" in str(report)
    assert "does not depend" not in str(mg.gradcheck(lambda t: t.sum(), [x]))


def test_an_input_f_does_not_use_gets_a_zero_gradient_row():
    a, b = mg.tensor([1.0, 2.0], name="a"), mg.tensor([[3.0], [4.0], [5.0]], name="b")
    report = mg.gradcheck(lambda a, b: (a * a).sum(), [a, b])
    row = report.inputs[1]
    assert row.ok and row.name == "b" and row.shape == (3, 1), str(report)
    assert row.autograd.shape == (3, 1) and not row.autograd.any(), row.autograd
    assert row.numerical.shape == (3, 1) and not row.numerical.any(), row.numerical
    assert report.depends_on_inputs


# --- eps and tol are used, with the course's defaults ---------------------------------
def _cube(t):
    return (t * t * t).sum()


def test_gradcheck_uses_its_eps_the_central_difference_error_is_eps_squared():
    # (f(1 + ε) - f(1 - ε)) / 2ε = 3 + ε² for f = x³: the truncation error shows ε.
    for eps in (1e-2, 1e-3):
        report = mg.gradcheck(_cube, [mg.tensor([1.0])], eps=eps, tol=1.0)
        numerical = report.inputs[0].numerical[0]
        assert abs(numerical - (3 + eps ** 2)) < 1e-9, f"eps {eps}: numerical {numerical}"
        assert report.inputs[0].autograd[0] == 3.0


def test_gradcheck_uses_its_tol_strictly():
    x = mg.tensor([1.0])
    difference = mg.gradcheck(_cube, [x], eps=1e-2).max_difference   # ε² / (6 + ε²)
    assert abs(difference - 1e-4 / (6 + 1e-4)) < 1e-12, difference
    assert mg.gradcheck(_cube, [x], eps=1e-2, tol=difference * (1 + 1e-9)).ok
    assert not mg.gradcheck(_cube, [x], eps=1e-2, tol=difference * (1 - 1e-9)).ok
    assert not mg.gradcheck(_cube, [x], eps=1e-2, tol=1e-30).ok


def test_gradcheck_defaults_are_the_courses_eps_1e_7_and_tol_2e_7():
    x = mg.tensor([0.0, 0.01])
    f = lambda t: (t * 100.0).exp().sum()   # noqa: E731
    report = mg.gradcheck(f, [x])
    assert report.tol == 2e-7
    np.testing.assert_array_equal(report.inputs[0].numerical,
                                  mg.numerical_grad(f, [x], eps=1e-7)[0])


def test_numerical_grad_default_eps_is_1e_7_accurate_where_1e_4_is_not():
    # exp(100 x): the truncation error ε² · 100² / 6 is 2e-5 relative at ε = 1e-4
    # and 2e-11 at 1e-7; the round-off at 1e-7 is near 1e-11.
    x = mg.tensor([0.0, 0.01])
    f = lambda t: (t * 100.0).exp().sum()   # noqa: E731
    exact = 100.0 * np.exp(100.0 * x.data)
    (default,) = mg.numerical_grad(f, [x])
    np.testing.assert_array_equal(default, mg.numerical_grad(f, [x], eps=1e-7)[0])
    assert np.max(np.abs(default / exact - 1)) < 1e-7, default / exact - 1
    (coarse,) = mg.numerical_grad(f, [x], eps=1e-4)
    assert np.max(np.abs(coarse / exact - 1)) > 1e-6, "the test must tell 1e-4 from 1e-7"


@pytest.mark.parametrize("function", ["gradcheck", "numerical_grad"])
@pytest.mark.parametrize("eps, error", [(0, ValueError), (-1e-7, ValueError), (np.nan, ValueError),
                                        (np.inf, ValueError), ("1e-7", TypeError),
                                        (True, TypeError), (None, TypeError)])
def test_a_bad_eps_is_an_error_naming_eps(function, eps, error):
    with pytest.raises(error, match=f"{function}: eps must be"):
        getattr(mg, function)(_cube, [mg.tensor([1.0])], eps=eps)


@pytest.mark.parametrize("tol, error", [(0, ValueError), (-1.0, ValueError), (np.nan, ValueError),
                                        ("2e-7", TypeError)])
def test_a_bad_tol_is_an_error_naming_tol(tol, error):
    with pytest.raises(error, match="gradcheck: tol must be"):
        mg.gradcheck(_cube, [mg.tensor([1.0])], tol=tol)


# eps grows with z so that rounding z ± eps (ulp(z) / 2eps) stays far below tol
@pytest.mark.parametrize("z, eps", [(40.0, 1e-7), (-40.0, 1e-7), (720.0, 1e-4), (1e4, 1e-3)])
def test_gradcheck_agrees_on_a_saturated_cross_entropy(z, eps):
    # issue 11: with grad on and in no_grad (numerical_grad) the value used to differ
    y = mg.tensor([[0.0]])
    for f in (lambda t: mg.binary_cross_entropy(t.sigmoid(), y),
              lambda t: mg.binary_cross_entropy_with_logits(t, y)):
        report = mg.gradcheck(f, [mg.tensor([[z]])], eps=eps)
        assert report.ok, str(report)


# --- the report's exact text, and the edges of relative_difference ---------------------
def _row(name, difference, ok):
    return InputCheck(name, (2,), np.zeros(2), np.zeros(2), difference, ok)


def test_gradcheck_report_str_is_an_aligned_table_with_one_verdict_per_row():
    report = GradcheckReport([_row("x", 1e-9, True), _row("bias", 0.5, False),
                              _row("W", float("nan"), False)], 2e-7, depends_on_inputs=False)
    # minigrad.table's layout: columns as wide as their widest cell, two spaces apart
    assert str(report).splitlines() == [
        "input  shape  difference  verdict",
        "x      (2,)    1.000e-09  ok",
        "bias   (2,)    5.000e-01  WRONG (>= 2e-07)",
        "W      (2,)          nan  WRONG (not finite)",
        "f does not depend on any input: every gradient is 0",
    ], str(report)
    assert np.isnan(report.max_difference) and not report.ok


def test_gradcheck_report_columns_line_up_for_wide_names_and_long_shapes():
    report = GradcheckReport([_row("权重", 1e-9, True), _row("x", 0.5, False),
                              InputCheck("b", (400, 400, 3), np.zeros(1), np.zeros(1), 0.0,
                                         True)], 2e-7)
    lines = str(report).splitlines()
    shape_at = {display_width(re.match(r"^\S+\s+", line).group(0)) for line in lines}
    number_ends = {display_width(line[:re.search(r"difference|\d\.\d{3}e[-+]\d\d", line).end()])
                   for line in lines}
    assert len(shape_at) == 1 and len(number_ends) == 1, lines


def test_gradcheck_report_max_difference_is_the_largest_and_0_when_empty():
    report = GradcheckReport([_row("a", 0.25, False), _row("b", 0.5, False),
                              _row("c", 0.125, True)], 2e-7)
    assert report.max_difference == 0.5
    assert GradcheckReport([], 2e-7).max_difference == 0.0 and GradcheckReport([], 2e-7).ok


def test_gradcheck_needs_tensor_inputs_and_says_where():
    with pytest.raises(TypeError, match=r"^gradcheck: inputs must be Tensors; got list as "
                                        r"input 0: make it one, mg\.tensor\(\.\.\.\)$"):
        mg.gradcheck(lambda x: x.sum(), [[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"got ndarray of shape \(2, 3\) as input 1"):
        mg.gradcheck(lambda x, y: x.sum(), [mg.tensor([1.0]), np.ones((2, 3))])


@pytest.mark.parametrize("inputs, got", [
    (np.ones((2, 3)), r"one ndarray of shape \(2, 3\): pass \[mg\.tensor\(\.\.\.\)\]"),
    (np.ones(2), r"one ndarray of shape \(2,\): pass \[mg\.tensor\(\.\.\.\)\]"),
    ({"W": mg.tensor([1.0])}, r"one dict: pass list\(d\.values\(\)\)"),
    (3.0, r"one float: pass \[mg\.tensor\(\.\.\.\)\]"),
], ids=["2-d array", "1-d array", "dict", "float"])
@pytest.mark.parametrize("check", [mg.gradcheck, mg.numerical_grad])
def test_inputs_that_are_not_a_list_say_what_came_not_what_is_inside_it(check, inputs, got):
    # list() of an array gave its numbers: a learner who passed W (an ndarray)
    # read "inputs must be Tensors; got float64"
    with pytest.raises(TypeError, match=f"^{check.__name__}: inputs must be a list of "
                                        f"Tensors; got {got}, one Tensor per argument of f$"):
        check(lambda x: x.sum(), inputs)


def test_inputs_may_be_any_iterable_of_tensors():
    x = mg.tensor([1.0, 2.0], name="x")
    for inputs in ((x,), {"x": x}.values(), (t for t in [x])):
        assert mg.gradcheck(lambda t: (t * t).sum(), inputs).ok


def test_gradcheck_takes_a_single_tensor_as_its_inputs():
    report = mg.gradcheck(lambda x: (x * x).sum(), mg.tensor([1.0, 2.0], name="x"))
    assert [row.name for row in report.inputs] == ["x"] and report.ok


def test_a_difference_equal_to_tol_fails():
    x = mg.tensor([1.0])
    difference = mg.gradcheck(_cube, [x], eps=1e-2).max_difference
    assert not mg.gradcheck(_cube, [x], eps=1e-2, tol=difference).ok


def test_relative_difference_of_empty_arrays_is_0():
    assert mg.relative_difference(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


def test_relative_difference_takes_lists_of_ints_and_bools():
    assert abs(mg.relative_difference([True, False], [True, True]) - 1 / (1 + np.sqrt(2))) < 1e-15
    assert mg.relative_difference([1, 0], [0, 1]) == mg.relative_difference([1.0, 0.0], [0.0, 1.0])


def test_relative_difference_computes_in_float64_whatever_the_input_dtype():
    a, b = np.float32([1.0, 3.0]), np.float32([1 + 2 ** -20, 3.0 - 2 ** -21])
    assert mg.relative_difference(a, b) == mg.relative_difference(a.astype(float), b.astype(float))
    assert mg.relative_difference(b, a) == mg.relative_difference(b.astype(float), a.astype(float))


@pytest.mark.parametrize("check", ["gradcheck", "numerical_grad"])
def test_f_sees_copies_with_the_inputs_names_and_requires_grad(check):
    a = mg.tensor([1.0, 2.0], requires_grad=True, name="a")
    b = mg.tensor([3.0, 4.0], name="b")
    seen = set()

    def f(x, y):
        seen.add((x.name, x.requires_grad, y.name, y.requires_grad))
        return (x * y).sum()

    getattr(mg, check)(f, [a, b])
    # gradcheck's autograd pass asks every input for a gradient; numerical_grad
    # (and gradcheck's numerical pass) keeps each input's own requires_grad
    expected = {("a", True, "b", False)} | ({("a", True, "b", True)} if check == "gradcheck" else set())
    assert seen == expected, seen


def test_numerical_grad_checks_every_value_f_returns():
    calls = []

    def f(t):   # a scalar at x + eps, a vector at x - eps
        calls.append(1)
        return t.sum() if len(calls) % 2 else t * 2

    with pytest.raises(ValueError, match=r"^numerical_grad: f must return a scalar; got shape \(2,\)$"):
        mg.numerical_grad(f, [mg.tensor([1.0, 2.0])])
    with pytest.raises(ValueError, match=r"^numerical_grad: f must return a scalar; got shape \(2,\)$"):
        mg.numerical_grad(lambda t: t * 2, [mg.tensor([1.0, 2.0])])


def test_numerical_grad_takes_f_returning_a_number_or_a_1_element_array():
    x = mg.tensor([1.0, 2.0])
    for f in (lambda t: float((t.data ** 2).sum()), lambda t: (t * t).sum().reshape(1, 1),
              lambda t: int(round(float(t.data.sum()))) * 0 + (t.data ** 2).sum()):
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # no "array to scalar" deprecation either
            (grad,) = mg.numerical_grad(f, [x], eps=1e-6)
        np.testing.assert_allclose(grad, [2.0, 4.0], rtol=1e-6)


# --- what gradcheck leaves behind, and what it says about f -----------------------------
def test_gradcheck_leaves_the_grad_of_a_tensor_f_closes_over_alone():
    # only the inputs are checked: a parameter f reads from outside (requires_grad)
    # must not collect a gradient, or the learner's next step would use it
    W = mg.tensor([3.0, 4.0], requires_grad=True, name="W")
    Z = W * 2.0   # an intermediate made outside f
    x = mg.tensor([1.0, 2.0], name="x")
    report = mg.gradcheck(lambda t: (t * W + Z).sum(), [x])
    assert report.ok, str(report)
    assert W.grad is None and Z.grad is None, (W.grad, Z.grad)
    W.grad = np.full(2, 7.0)
    mg.gradcheck(lambda t: (t * W).sum(), [x])
    assert W.grad.tolist() == [7.0, 7.0], W.grad


@pytest.mark.parametrize("f", [lambda t: mg.tensor((t.data ** 2).sum()),
                               lambda t: (t.detach() ** 2).sum()],
                         ids=["from .data", "detach"])
def test_gradcheck_of_f_cut_off_from_its_inputs_does_not_say_f_is_constant(f):
    x = mg.tensor([1.0, 2.0], name="x")
    report = mg.gradcheck(f, [x])
    assert not report.ok and report.depends_on_inputs, str(report)
    text = str(report)
    assert "does not depend on any input" not in text, text
    assert "not connected to the inputs in the graph" in text, text


def _writes_into_its_input(t):
    t.data[...] = t.data + 0.1
    return (t * t).sum()


def _adds_to_its_input(t):
    t += 1.0   # in place: inside no_grad (numerical_grad) nothing refuses it
    return (t * t).sum()


@pytest.mark.parametrize("f", [_writes_into_its_input, _adds_to_its_input])
def test_numerical_grad_refuses_f_that_changes_its_input(f):
    # before: a gradient of -2e6 (each call started from the point the last one left)
    x = mg.tensor([1.0, 2.0], name="x")
    with pytest.raises(RuntimeError, match=r"^numerical_grad: f changed its input x "
                                           r"\(shape \(2,\)\) in place"):
        mg.numerical_grad(f, [x])
    assert x.data.tolist() == [1.0, 2.0]


def test_gradcheck_refuses_f_that_changes_its_input():
    # before: 'WRONG', blaming the gradient for f's write
    x = mg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"^gradcheck: f changed input 0 "
                                           r"\(shape \(2,\)\) in place"):
        mg.gradcheck(_writes_into_its_input, [x])
    assert x.data.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("value, kind", [(None, "NoneType"), ("1.0", "str"), (1j, "complex")])
def test_numerical_grad_says_what_f_returned_when_it_is_not_a_number(value, kind):
    with pytest.raises(TypeError, match=f"^numerical_grad: f must return a scalar; got {kind}"):
        mg.numerical_grad(lambda t: value, [mg.tensor([1.0])])


def test_relative_difference_works_under_np_seterr_all_raise():
    # a learner's np.seterr(all="raise") (to catch NaN early) made the norm's
    # harmless underflow (1e-170 squared) a FloatingPointError on a right gradient
    with np.errstate(all="raise"):
        assert mg.relative_difference([1.0, 1e-170], [1.0, 1e-170]) == 0.0
        assert mg.relative_difference([1e-300], [1.0]) == 1.0
        x = mg.tensor([0.0, -300.0, 1.0], name="x")
        assert mg.gradcheck(lambda t: (t * 2.0).exp().sum(), [x]).ok


def test_gradcheck_of_a_masked_f_warns_of_nothing_and_works_under_np_seterr_all_raise():
    # x + (-inf) masks an entry: exp makes it 0, and f and its gradient are finite.
    # The round-off size multiplied that part's -inf by its gradient, 0: NaN, a
    # RuntimeWarning printed by a check of a right gradient, and under
    # np.errstate(all="raise") a FloatingPointError instead of a report
    mask = mg.tensor([0.0, -np.inf])
    x = mg.tensor([0.5, 0.3], name="x")
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        report = mg.gradcheck(lambda t: ((t + mask).exp() + t * t).sum(), [x])
    assert report.ok, str(report)


_ROUND_OFF_NOTE = "no entry differs by more than round-off can make here"


@pytest.mark.parametrize("seed", range(6))
def test_at_the_courses_start_the_rows_that_miss_tol_are_said_to_be_within_round_off(seed):
    # weights × 0.01 and biases 0: the biases' gradients are near 1e-6, the size of
    # the round-off of J (~0.7) divided by 2ε, so a right gradient misses 2e-7
    from nets import TwoLayerNet, data
    X, Y = data.flower(m=20, seed=1)

    def J(W1, b1, W2, b2):
        return mg.binary_cross_entropy(mg.sigmoid(W2 @ mg.tanh(W1 @ X + b1) + b2), Y)

    net = TwoLayerNet(n_x=2, n_h=4, activation="tanh", scale=0.01, seed=seed)
    report = mg.gradcheck(J, [mg.tensor(net.params[k], name=k)
                              for k in ["W[1]", "b[1]", "W[2]", "b[2]"]])
    missed = [r.name for r in report.inputs if not r.ok]
    assert "b[1]" in missed
    assert [r.name for r in report.inputs if r.within_round_off] == missed
    assert str(report).splitlines()[-1].startswith(f"{', '.join(missed)}: {_ROUND_OFF_NOTE}")


def test_large_inputs_miss_tol_by_round_off_and_the_report_says_so():
    # at x = 1000, x ± ε and f = 5e6 both round far above ε's scale
    report = mg.gradcheck(lambda t: (t * t).sum(), [mg.tensor([1000.0, -2000.0], name="x")])
    assert not report.ok and report.inputs[0].within_round_off
    assert _ROUND_OFF_NOTE in str(report)


@pytest.mark.parametrize("x", [1e-9, 1.0, 1000.0])
def test_a_wrong_gradient_is_never_put_down_to_round_off(x):
    report = mg.gradcheck(lambda t: wrong_square(t).sum(), [mg.tensor([x, -2 * x])])
    assert not report.ok and not report.inputs[0].within_round_off
    assert _ROUND_OFF_NOTE not in str(report)


def test_a_kink_or_a_graph_cut_off_from_its_input_is_not_put_down_to_round_off():
    at_kink = mg.gradcheck(lambda t: t.relu().sum(), [mg.tensor([0.0, 1.0])])
    cut_off = mg.gradcheck(lambda t: mg.tensor((t.data ** 2).sum()), [mg.tensor([1.0, 2.0])])
    for report in (at_kink, cut_off):
        assert not report.ok and not report.inputs[0].within_round_off


@given(x=arrays_away_from_zero(margin=1e-3), c=st.sampled_from([0.0, 0.7, 1e3, 1e6]))
def test_a_right_gradient_that_misses_tol_is_always_said_to_be_within_round_off(x, c):
    # (not where f underflows: x near 1e-200 makes x tanh(x) 0, which no rounding
    # of f's value explains)
    report = mg.gradcheck(lambda t: (t * t.tanh()).sum() + c, [mg.tensor(x)])
    row = report.inputs[0]
    assert row.ok != row.within_round_off, row


@pytest.mark.parametrize("activation", [mg.relu, lambda z: mg.leaky_relu(z, alpha=0.1)])
def test_a_wrong_verdict_at_a_relu_kink_says_so_and_names_the_node(activation):
    W = mg.tensor(np.zeros((3, 2)), name="W[1]")   # a zero init: every Z[1] is 0
    report = mg.gradcheck(lambda W: (activation(W @ X).named("A[1]") * 2).sum(), [W])
    assert not report.ok and report.kinks == ["A[1] (3, 4)"]
    assert report.inputs[0].kinks == ["A[1] (3, 4)"]
    assert "at a kink: A[1] (3, 4): the differences of W[1] crossed 0" in str(report)


def test_no_kink_note_off_the_kink_or_on_an_ok_report():
    away = mg.gradcheck(lambda z: z.relu().sum(), [mg.tensor([0.5, -1.0])])
    assert away.ok and away.kinks == [] and "kink" not in str(away)
    # at the kink but both sides agree (the slope of what follows is 0 there)
    flat = mg.gradcheck(lambda z: (z.relu() * 0.0).sum(), [mg.tensor([0.0, 1.0])])
    assert flat.ok and flat.kinks and "kink" not in str(flat)


@pytest.mark.parametrize("x", [[3e-4], [3e-4, -1e-4, 2e-4]])
def test_a_right_gradient_of_a_small_f_made_of_larger_parts_is_said_to_be_within_round_off(x):
    # log(1 + x²) near its minimum: f is ~1e-7 but 1 + x² is ~1, rounded to ~1e-16,
    # which central differences divide by 2ε: an error of ~5e-10 next to gradients
    # of ~1e-3, far more than u |f| / 2ε; the row read a bare WRONG
    report = mg.gradcheck(lambda t: mg.log(t * t + 1).sum(), [mg.tensor(x)])
    row = report.inputs[0]
    assert not row.ok and row.within_round_off, row
    # a gradient wrong by a factor of 2 there is still no matter of round-off
    wrong = mg.gradcheck(lambda t: mg.log(wrong_square(t) + 1).sum(), [mg.tensor(x)])
    assert not wrong.inputs[0].ok and not wrong.inputs[0].within_round_off


@given(case=cancelling_linear_cases())
def test_a_right_gradient_through_linear_whose_w_a_cancels_b_is_never_a_plain_wrong(case):
    # f(W ± ε) rounds W A (up to 1e9) before b takes it back: mg.linear makes no
    # node of W A, yet its rounding is f's as much as W @ A + b's matmul node's
    # is; the fused row read a bare WRONG, or put its gap down to curvature
    W, A, b = case
    for how, layer in (("linear", mg.linear), ("W @ A + b", lambda W, A, b: W @ A + b)):
        report = mg.gradcheck(lambda W: layer(W, A, b).tanh().sum(), [mg.tensor(W, name="W")])
        row = report.inputs[0]
        assert row.ok or (row.within_round_off and row.curving is None), f"{how}:\n{report}"


@given(case=cancelling_product_cases())
def test_a_right_gradient_through_a_product_that_cancels_inside_is_never_a_plain_wrong(case):
    # W A's terms are 10^p while W A is a few units: f(A ± ε) is rounded to u 10^p,
    # not to u |W A|, which was all the walk counted of the matmul node, so a right
    # row read a bare WRONG, or put its gap down to curvature
    W, A = case
    for how, layer in (("W @ A", lambda A: W @ A), ("linear", lambda A: mg.linear(W, A, 0.0))):
        report = mg.gradcheck(lambda A: layer(A).tanh().sum(), [mg.tensor(A, name="A")])
        row = report.inputs[0]
        assert row.ok or (row.within_round_off and row.curving is None), f"{how}:\n{report}"


# --- autograd's own round-off: a tiny gradient computed from numbers near 1 ----------
_AUTOGRAD_NOTE = ("tiny, and autograd computes it as a difference of numbers near 1 in "
                  "float64 (σ(Z) - Y, 1 - A² where logits or activations saturate)")


def _bce_of_logits(Y):
    return lambda z: mg.binary_cross_entropy_with_logits(z, Y)


@pytest.mark.parametrize("z", [[[30.0]], [[35.0]], [[40.0]], [[30.0, 33.0, 36.0, 45.0]]])
def test_a_saturated_logit_on_its_labels_side_is_said_to_be_within_autograd_round_off(z):
    # σ(Z) - Y at Z = 30, Y = 1 keeps what is left of 1 - 9.4e-14 after the
    # subtraction, give or take 1.1e-16: the row read a bare WRONG (5e-4 at 30,
    # 1.0 at 40 where autograd's gradient is 0 and the true one -4e-18)
    Y = np.ones_like(np.asarray(z))
    report = mg.gradcheck(_bce_of_logits(Y), [mg.tensor(z, name="Z")])
    row = report.inputs[0]
    assert not row.ok and row.within_round_off and row.autograd_round_off, str(report)
    assert str(report).splitlines()[-1] == (
        f"Z: the gradient is {_AUTOGRAD_NOTE} or of larger terms that cancel, whose last "
        f"digits are round-off: no entry differs by more than that round-off can make, so "
        f"this point cannot tell right from wrong: check again where the gradients are not "
        f"tiny (less saturated logits and activations)"), str(report)
    assert _ROUND_OFF_NOTE not in str(report), str(report)   # the differences are accurate here
    # less saturated, the same formula passes
    assert mg.gradcheck(_bce_of_logits(Y), [mg.tensor(np.full_like(Y, 3.0))]).ok


@given(case=saturated_logits_cases())
def test_a_right_gradient_at_saturated_logits_is_never_a_plain_wrong(case):
    J, params = case
    report = mg.gradcheck(J, [mg.tensor(v, name=k) for k, v in params.items()])
    for row in report.inputs:
        assert row.ok or row.within_round_off, str(report)


@op("scaled_gradient")
def scaled_gradient(x, c=2.0):
    """x, whose VJP multiplies the gradient by c: a slip placed anywhere in a graph."""
    return x * 1.0, (lambda g: g * c,)


@given(case=ordinary_net_cases(), slip=st.sampled_from(SLIP_FACTORS),
       where=st.sampled_from(["Z[1]", "Z[2]", "J"]))
def test_a_slip_at_an_ordinary_point_is_wrong_and_never_put_down_to_round_off(case, slip,
                                                                               where):
    X, Y, params = case
    m = X.shape[1]
    c = {"2": 2.0, "1/2": 0.5, "1/m": 1 / m, "-1": -1.0}[slip]

    def J(W1, b1, W2, b2):
        Z1 = W1 @ X + b1
        Z1 = scaled_gradient(Z1, c) if where == "Z[1]" else Z1
        Z2 = W2 @ mg.tanh(Z1) + b2
        Z2 = scaled_gradient(Z2, c) if where == "Z[2]" else Z2
        cost = mg.binary_cross_entropy_with_logits(Z2, Y)
        return scaled_gradient(cost, c) if where == "J" else cost

    report = mg.gradcheck(J, [mg.tensor(v, name=k) for k, v in params.items()])
    # (a row the slip does not reach may miss tol by the differences' round-off:
    # db[2] = mean(A[2] - Y) can be 1e-4)
    slipped = ["W[1]", "b[1]"] + ([] if where == "Z[1]" else ["W[2]", "b[2]"])
    for row in report.inputs:
        if row.name in slipped:
            assert not row.ok and not row.within_round_off, str(report)


@pytest.mark.parametrize("z", [25.0, 30.0])
def test_a_wrong_vjp_at_a_saturated_logit_is_wrong_when_its_gap_is_more_than_round_off(z):
    # the gradient's last digits are round-off there, its first are not: a VJP
    # off by 2 (a slip on the cost's gradient) is seen; so is an op of one's own
    # off by 1e-15, its result taken to be known to its own size
    report = mg.gradcheck(lambda t: scaled_gradient(_bce_of_logits([[1.0]])(t), 2.0),
                          [mg.tensor([[z]], name="Z")])
    assert not report.ok and not report.inputs[0].within_round_off, str(report)

    @op("logits_cross_entropy_off_by_1e_15")
    def off(t, y):
        a = 1 / (1 + np.exp(-t))
        return np.asarray(np.mean(np.logaddexp(0, -t))), \
            (lambda g: g * (a - y + 1e-15) / t.size, lambda g: np.zeros_like(y))

    report = mg.gradcheck(lambda t: off(t, np.array([[1.0]])), [mg.tensor([[z]], name="Z")])
    assert not report.ok and not report.inputs[0].within_round_off, str(report)


@given(x=arrays(small_shapes(1, 2), 8.0, 20.0), sign=st.sampled_from([1.0, -1.0]),
       y=st.sampled_from([0.0, 1.0]))
def test_autograds_round_off_bound_holds_against_accurate_slopes(x, sign, y):
    # the bound is of autograd's own arithmetic, whatever the differences say:
    # tanh's 1 - A² and σ(Z) - Y against 1 / cosh² and -σ(-Z) computed without
    # subtracting from 1
    x = sign * x
    cases = [(lambda t: mg.tanh(t).sum(), 1 / np.cosh(x) ** 2),
             (lambda t: mg.binary_cross_entropy_with_logits(t, np.full(x.shape, y)),
              (1 / (1 + np.exp(-x)) if y == 0 else -1 / (1 + np.exp(x))) / x.size)]
    for f, exact in cases:
        t = mg.tensor(x, requires_grad=True)
        out = f(t)
        _, (sizes,) = round_off._rounded_sizes(out, [t])
        out.backward()
        bound = round_off._autograd_round_off_bound(sizes)
        assert np.all(np.abs(t.grad - exact) <= bound), (t.grad, exact, bound)


def test_every_op_of_the_engine_has_its_rounding_described():
    # an op missing from both would be taken to lose no digits to cancellation
    from minigrad.steps import RULES
    described = set(round_off._CANCELLING_TERMS) | round_off._PRODUCT_VJPS
    assert described == set(RULES), sorted(described ^ set(RULES))


@pytest.mark.parametrize("f", [lambda a, b: (a * a).sum() + mg.tensor(b.data.sum()),
                               lambda a, b: (a * a).sum() + (b.detach() * 2).sum()],
                         ids=["from .data", "detach"])
def test_gradcheck_names_the_one_input_f_is_cut_off_from(f):
    # the note said so only when no input was reached; y alone cut off read a bare
    # WRONG, as if autograd's gradient were wrong
    report = mg.gradcheck(f, [mg.tensor([1.0, 2.0], name="x"), mg.tensor([3.0], name="y")])
    assert [r.ok for r in report.inputs] == [True, False], str(report)
    assert str(report).splitlines()[-1].startswith("y: f's value changes with it, but it is "
                                                   "not connected to f in the graph"), str(report)


_NEAR = mg.tensor([5e-6, 1.0], name="a")   # within 100 ε of relu's kink, but ε never crosses it


def branch_skipping_a_relu(x):
    """A Python `if` on x's value: f jumps at x[0] = 0, where a relu call drops out
    (its input a constant, [1, -1]); no relu's input ever crosses 0."""
    total = (x * x).sum()
    if x.data[0] >= 0:
        total = total + mg.tensor([1.0, -1.0]).relu().sum()
    return total + mg.tensor([-1.0, 1.0]).relu().sum()


def branch_changing_a_relu_shape(x):
    """As above, with a relu of another shape (constant) below x[0] = 0."""
    c = mg.tensor([1.0, -1.0]) if x.data[0] >= 0 else mg.tensor([-1.0, 1.0, 1.0])
    return (x * x).sum() + c.relu().sum()


@pytest.mark.parametrize("f, inputs", [
    # the wrong gradient is x's; a's nudges cross the kink, but a's row is ok
    (lambda a, x: (a.relu() * 0.0).sum() + wrong_square(x).sum(),
     [mg.tensor([0.0, 1.0], name="a"), mg.tensor([0.5, 2.0], name="x")]),
    # a relu nudges never move (its input a constant), beside a wrong gradient
    (lambda x: (wrong_square(x) * mg.tensor([0.0, 1.0]).relu()).sum(), [mg.tensor([0.5, 2.0])]),
    # an input near the kink that a nudge of ε cannot cross, beside a wrong gradient
    (lambda a, x: (a.relu() * wrong_square(x)).sum(), [_NEAR, mg.tensor([0.5, 2.0])]),
    # a graph cut off by detach(), near a kink the nudges do not cross
    (lambda x: (mg.relu(x.detach() - 0.3 + 1e-6) * x).sum(), [mg.tensor([0.3, 1.0])]),
    # NaN: no kink makes a difference not finite
    (lambda x, c: (x.log() + c.relu()).sum(), [mg.tensor([0.0, 1.0]), mg.tensor([0.0])]),
    # leaky_relu(alpha=1) has no kink
    (lambda x: (wrong_square(x) + x.leaky_relu(alpha=1.0)).sum(), [mg.tensor([0.0, 2.0])]),
    # f's relu calls change with a nudge (an `if` on a value): the calls of f(x ± ε)
    # are not those of f(x) one for one, and none of them crossed 0
    (branch_skipping_a_relu, [mg.tensor([0.0, 0.5])]),
    (branch_changing_a_relu_shape, [mg.tensor([0.0, 0.5])]),
])
def test_a_failure_a_kink_did_not_cause_gets_no_kink_note(f, inputs):
    with np.errstate(all="ignore"):
        report = mg.gradcheck(f, inputs)
    assert not report.ok
    assert "kink" not in str(report), str(report)


@pytest.mark.parametrize("weight", [1e3, 1e5])
def test_a_kink_a_large_weight_makes_a_nudge_cross_is_named(weight):
    # z = weight · x moves by weight · ε: from x = 5e-8 it crosses 0 though |z| > 100 ε
    x = mg.tensor([5e-8, 1.0], name="x")
    report = mg.gradcheck(lambda x: (x * weight).relu().named("A[1]").sum(), [x])
    assert not report.ok and report.kinks == ["A[1] (2,)"], str(report)
    assert "at a kink" in str(report)


def test_a_kink_deep_in_a_net_through_functional_and_nets_activations_is_named():
    # three layers; W[1] = 0 puts every Z[1] at the kink, two layers below J
    rng = np.random.RandomState(3)
    params = [mg.tensor(np.zeros((3, 2)), name="W[1]"), mg.tensor(rng.randn(3, 3), name="W[2]"),
              mg.tensor(rng.randn(1, 3), name="W[3]")]
    leaky = nets.activations.get("leaky_relu", alpha=0.2).op

    def J(W1, W2, W3):
        A1 = mg.functional.relu(W1 @ X).named("A[1]")
        A2 = leaky(W2 @ A1 + 1.0).named("A[2]")
        return mg.binary_cross_entropy_with_logits(W3 @ A2, Y)

    report = mg.gradcheck(J, params)
    assert not report.inputs[0].ok and report.kinks == ["A[1] (3, 4)"], str(report)
    assert "at a kink" in str(report)


@given(x=arrays(low=-1e-5, high=1e-5), w=st.sampled_from([1.0, 30.0, 1e3]))
def test_a_relu_is_named_exactly_when_a_nudge_moves_its_input_across_0(x, w):
    eps = 1e-7
    report = mg.gradcheck(lambda t: (t * w).relu().sum(), [mg.tensor(x)], eps=eps)
    sides = lambda v: (v * w) > 0   # noqa: E731  (what relu sees, nudge included)
    crossed = any(sides(x.flat[i] + eps) != sides(x.flat[i]) or
                  sides(x.flat[i] - eps) != sides(x.flat[i]) for i in range(x.size))
    assert report.kinks == ([f"<relu> {x.shape}"] if crossed else []), (x, str(report))


def test_the_kink_watch_of_a_gradcheck_sees_only_its_own_threads_ops():
    import threading

    seen_elsewhere = []

    def other_thread():
        mg.relu(mg.tensor([0.0, 1.0]))   # while the gradcheck below watches
        seen_elsewhere.append(mg.ops.kink_watch.seen)

    def f(t):
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        return t.relu().sum()

    report = mg.gradcheck(f, [mg.tensor([0.5, 2.0])])
    assert report.ok and report.kinks == []
    assert seen_elsewhere and all(s is None for s in seen_elsewhere)


def test_the_kink_watch_keeps_no_relu_input_of_a_nudged_evaluation():
    # f(x ± ε) runs without a graph, which frees each relu's input once the next
    # layer is made; the watch held every one to the end of the evaluation (twice
    # the time of a check of a deep relu net on many samples, and their memory)
    kept = []

    def f(x):
        inputs, a = [], x
        for _ in range(3):
            z = a * 1.0
            inputs.append(weakref.ref(z.data))
            a = z.relu()
        del z
        if not mg.is_grad_enabled():   # a nudged evaluation
            kept.append(sum(ref() is not None for ref in inputs))
        return a.sum()

    report = mg.gradcheck(f, [mg.tensor([0.5, -2.0])])
    assert report.ok and kept and set(kept) == {0}, kept


def test_the_kink_watch_is_let_go_when_f_raises():
    def f(x):
        x.relu()
        raise ValueError("f fails")

    with pytest.raises(ValueError, match="f fails"):
        mg.gradcheck(f, [mg.tensor([0.5])])
    assert mg.ops.kink_watch.seen is None   # else every relu call from now on is kept
    calls = iter([0, 1])

    def g(x):   # fails in a nudged evaluation, not at the point
        if next(calls, 2) == 2:
            raise ValueError("g fails")
        return x.relu().sum()

    with pytest.raises(ValueError, match="g fails"):
        mg.gradcheck(g, [mg.tensor([0.5])])
    assert mg.ops.kink_watch.seen is None


def test_jupyter_shows_the_gradcheck_table_not_the_dataclass():
    # A cell that ends in mg.gradcheck(...) showed GradcheckReport(inputs=[InputCheck(...
    # autograd=array(...), numerical=array(...)...)]): every gradient, twice, in one repr
    from IPython.lib.pretty import pretty
    W = mg.tensor([[0.1, -0.2], [0.3, 0.4]], requires_grad=True, name="W[1]")
    X = mg.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    report = mg.gradcheck(lambda W: (mg.tanh(W @ X) ** 2).mean(), [W])
    assert pretty(report) == str(report), pretty(report)
    assert pretty(report).splitlines()[0].split() == ["input", "shape", "difference", "verdict"]


# --- what a failed row says under the table: where, how much, and why -------------------
_FIRST, _SECOND = np.array([1.0, 0.0]), np.array([0.0, 1.0])


def test_a_kink_at_one_entry_is_no_excuse_for_a_wrong_gradient_at_another():
    # x[0] sits on relu's kink, x[1] has a wrong VJP: the note said "at a kink ...
    # check again at another point" for the row, and the learner let the bug go
    report = mg.gradcheck(lambda x: (x * _FIRST).relu().sum() + wrong_square(x * _SECOND).sum(),
                          [mg.tensor([0.0, 1.0], name="x")])
    row = report.inputs[0]
    assert not report.ok and row.kinks == ["<relu> (2,)"] and row.kink_entries == [(0,)]
    assert not row.at_kink and "kink" not in str(report), str(report)
    # the entry shown is the wrong one, not the kink's
    assert "x at (1,): autograd 4, numerical 2" in str(report).splitlines(), str(report)


def test_a_failure_at_the_kinks_entries_alone_is_put_down_to_the_kink_naming_them():
    W = mg.tensor(np.array([[0.0, 0.0], [1.0, -1.0], [0.5, 0.5]]), name="W[1]")
    x = np.array([[1.0], [0.0]])   # Z[1] = W x: only row 0 of W's entries sit at 0
    report = mg.gradcheck(lambda W: (W @ x).relu().named("A[1]").sum(), [W])
    row = report.inputs[0]
    assert row.at_kink and row.kink_entries == [(0, 0)], str(report)
    assert str(report).splitlines()[-1] == (
        "at a kink: A[1] (3, 1): the differences of W[1] crossed 0 in this node's input "
        "(at (0, 0)), so f(x + ε) and f(x - ε) saw different slopes: check again at another "
        "point"), str(report)


def test_each_failed_row_names_the_kinks_its_own_differences_crossed():
    # the note read "at a kink: A (2,), B (2,): the differences of a, b crossed 0 in
    # this node's input", as if each row crossed both
    report = mg.gradcheck(lambda a, b: a.relu().named("A").sum() + b.relu().named("B").sum(),
                          [mg.tensor([0.0, 1.0], name="a"), mg.tensor([1.0, 0.0], name="b")])
    lines = str(report).splitlines()
    assert "at a kink: A (2,): the differences of a crossed 0 in this node's input (at (0,))," \
        " so f(x + ε) and f(x - ε) saw different slopes: check again at another point" in lines
    assert "at a kink: B (2,): the differences of b crossed 0 in this node's input (at (1,))," \
        " so f(x + ε) and f(x - ε) saw different slopes: check again at another point" in lines


def test_two_kink_nodes_that_read_one_array_are_both_named():
    # relu(z) and leaky_relu(z): both were named after the last node made from z
    z = mg.tensor([0.0, 1.0], name="z")
    report = mg.gradcheck(lambda z: z.relu().named("A").sum()
                          + mg.leaky_relu(z, alpha=0.5).named("B").sum(), [z])
    assert report.kinks == ["A (2,)", "B (2,)"], str(report)
    assert "at a kink: A (2,), B (2,): the differences of z crossed 0 in these nodes' inputs" \
        in str(report), str(report)
    twice = mg.gradcheck(lambda z: z.relu().named("A").sum() + z.relu().named("B").sum(), [z])
    assert twice.kinks == ["A (2,)", "B (2,)"], str(twice)
    # leaky_relu with alpha = 1 has no kink: it takes no relu call's name
    linear = mg.gradcheck(lambda z: mg.leaky_relu(z, alpha=1.0).named("C").sum()
                          + mg.leaky_relu(z, alpha=0.5).named("B").sum(), [z])
    assert linear.kinks == ["B (2,)"], str(linear)


@pytest.mark.parametrize("x, line", [
    ([1.0, 2.0, 3.0], "x at (2,): autograd 12, numerical 6"),
    ([[1.0], [-3.0]], "x at (1, 0): autograd -12, numerical -6"),
    (2.0, "x: autograd 8, numerical 4"),   # a 0-d input has no entry to name
])
def test_a_failed_row_shows_its_largest_gap_with_both_numbers(x, line):
    # the row said WRONG and a relative difference; which entry, and the two
    # numbers there, a learner had to dig out of row.autograd and row.numerical
    report = mg.gradcheck(lambda x: wrong_square(x).sum(), [mg.tensor(x, name="x")])
    assert str(report).splitlines()[2] == line, str(report)


def test_the_largest_gap_is_shown_with_the_digits_that_tell_the_two_apart():
    wrong = op("slightly_off")(lambda x: (x * 1.0, (lambda g: g * 1.000001,)))
    report = mg.gradcheck(lambda x: wrong(x).sum(), [mg.tensor([1.0], name="x")])
    g, n = re.match(r"x at \(0,\): autograd (\S+), numerical (\S+)$",
                    str(report).splitlines()[2]).groups()
    assert g != n and float(g) == 1.000001 and float(n) != 1.000001, str(report)


def test_a_passing_report_shows_no_entry():
    report = mg.gradcheck(smooth_loss, list(_layer_inputs()))
    assert len(str(report).splitlines()) == 3, str(report)


@pytest.mark.parametrize("x, side", [([1e-8, 1.0], "f(x - ε) = nan"),
                                     ([1e-7, 1.0], "f(x - ε) = -inf")])
def test_a_right_gradient_where_a_nudge_leaves_fs_domain_says_why_it_is_not_finite(x, side):
    # log at 1e-8: x - ε < 0. The row read a bare "WRONG (not finite)"
    with np.errstate(all="ignore"):
        report = mg.gradcheck(lambda t: mg.log(t).sum(), [mg.tensor(x, name="x")])
    lines = str(report).splitlines()
    assert not report.ok and report.inputs[0].not_finite[0] == (0,), str(report)
    assert lines[-1].startswith(f"x at (0,): f(x + ε) = ") and side in lines[-1], str(report)
    assert "f is not finite within ε = 1e-07 of this point" in lines[-1], str(report)


@pytest.mark.parametrize("activation, x", [(mg.relu, [np.inf, 1.0]),
                                           (mg.log, [0.0, 1.0])])   # f = -inf
def test_an_f_that_is_not_finite_at_the_point_says_so(activation, x):
    # the row read a bare "WRONG (not finite)"
    with np.errstate(all="ignore"):
        report = mg.gradcheck(lambda t: activation(t).sum(), [mg.tensor(x, name="x")])
    assert not report.ok and str(report).splitlines()[-1] == (
        f"f = {report.value} at this point: no gradient can be checked where f is not "
        f"finite"), str(report)


@pytest.mark.parametrize("f, x", [(mg.log, 1e-6), (lambda t: 1 / t, 1e-6),
                                  (lambda t: 1 / t, 5e-8)],   # 5e-8: x - ε is across the pole
                         ids=["log", "1/x", "1/x across its pole"])
def test_a_right_gradient_where_f_curves_too_fast_for_eps_says_so(f, x):
    # the central difference's own error, ~f''' ε² / 6, is 3e-3 of log's slope at
    # 1e-6; the row read a bare WRONG
    report = mg.gradcheck(lambda t: f(t).sum(), [mg.tensor([x, 1.0], name="x")])
    row = report.inputs[0]
    assert not row.ok and row.curving is not None and row.curving[0] == (0,), str(report)
    assert re.match(r"x at \(0,\): the difference is \S+ with ε and \S+ with (2ε|ε/2): f curves"
                    r" so fast here", str(report).splitlines()[-1]), str(report)


@pytest.mark.parametrize("x", [1e-6, 1e-3, 1.0])
def test_a_wrong_gradient_is_never_put_down_to_curvature(x):
    halved = op("log_half_slope")(lambda t: (np.log(t), (lambda g: g * 0.5 / t,)))
    report = mg.gradcheck(lambda t: halved(t).sum(), [mg.tensor([x, 2.0])])
    assert not report.ok and report.inputs[0].curving is None, str(report)
    assert "curves" not in str(report), str(report)


def test_the_steps_that_look_for_curvature_let_f_refuse_them():
    # f may check its input's domain and raise at a step gradcheck takes on its own
    # (2ε, ε/2): the report stands without the note, as before
    calls = []

    def f(t):
        calls.append(1)
        if len(calls) > 2 * t.size + 2:   # the point, the nudges, the point again
            raise ValueError("outside f's domain")
        return wrong_square(t).sum()

    report = mg.gradcheck(f, [mg.tensor([1.0, 2.0])])
    assert not report.ok and report.inputs[0].curving is None, str(report)


def test_an_f_that_gives_two_values_at_one_point_is_said_so():
    # random numbers inside f: the differences are noise, the row read a bare WRONG
    rng = np.random.RandomState(0)
    report = mg.gradcheck(lambda t: (t * t).sum() + float(rng.rand()) * 1e-3,
                          [mg.tensor([1.0, 2.0], name="x")])
    assert not report.ok and not report.repeatable, str(report)
    text = str(report)
    assert f"at the same point: its value does not depend on the inputs alone" in text, text
    assert "curves" not in text, text   # no other step means anything either


@given(x=arrays(low=-3, high=3))
def test_a_deterministic_f_is_never_said_to_give_two_values(x):
    report = mg.gradcheck(lambda t: (mg.tanh(t) * mg.sigmoid(t * 3) + t.relu()).sum(),
                          [mg.tensor(x)])
    assert report.repeatable and "same point" not in str(report), str(report)


@pytest.mark.parametrize("check", [mg.gradcheck, mg.numerical_grad])
def test_an_error_f_raises_at_a_nudge_says_it_came_from_the_nudge(check):
    # A = 0 is a probability, A - ε is not: the learner read "got -1e-07 at (0, 0)"
    # of an A that held 0, with no word that the -1e-07 was gradcheck's step
    Y = np.array([[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"got -1e-07 at \(0, 0\)") as raised:
        check(lambda A: mg.binary_cross_entropy(A, Y), [mg.tensor([[0.0, 0.5]], name="A")])
    notes = getattr(raised.value, "__notes__", None)
    if hasattr(raised.value, "add_note"):   # Python >= 3.11
        assert notes == ["(f raised this at a nudged point, x - ε: entry (0, 0) of A was -1e-07 "
                         "there, 0.0 at the point. Central differences need f defined within ε "
                         "of the point: check at a point farther from the edge of f's "
                         "domain)"], notes
    else:
        assert notes is None


def test_a_relu_kink_a_wider_step_crosses_is_not_put_down_to_curvature():
    # z = x - c sits 1.5ε above relu's kink: ε's nudges stay on one side, 2ε's cross.
    # The 2ε difference moved by a kink, not by curvature, and excused x's wrong
    # gradient as "f curves so fast here"
    c = np.array([1e-2 - 1.5e-7])
    report = mg.gradcheck(lambda x: wrong_square(x).sum() + (x - c).relu().sum(),
                          [mg.tensor([1e-2], name="x")])
    assert not report.ok and report.inputs[0].curving is None, str(report)
    assert "curves" not in str(report) and "kink" not in str(report), str(report)


@given(x=arrays(low=-3, high=3))
def test_a_wrong_gradient_of_a_smooth_f_is_never_put_down_to_curvature(x):
    report = mg.gradcheck(lambda t: (wrong_square(t) + t.tanh()).sum(), [mg.tensor(x)])
    assert report.inputs[0].curving is None, (x, str(report))


def test_a_kink_too_small_for_the_gap_is_no_excuse_for_it():
    # x - c sits 5e-8 above relu's kink, so x's one entry is a kink entry, and the
    # row read "at a kink ... check again at another point" for a VJP off by a
    # factor of 2 (gap 2) where the kink moves the difference by 0.5 at most
    c = np.array([1.0 - 5e-8])
    report = mg.gradcheck(lambda x: wrong_square(x).sum() + (x - c).relu().sum(),
                          [mg.tensor([1.0], name="x")])
    row = report.inputs[0]
    assert not report.ok and row.kink_entries == [(0,)], str(report)
    assert not row.at_kink and "kink" not in str(report), str(report)
    # a right gradient at the same point: the kink is the whole gap, and says so
    right = mg.gradcheck(lambda x: (x * x).sum() + (x - c).relu().sum(),
                         [mg.tensor([1.0], name="x")])
    assert not right.ok and right.inputs[0].at_kink, str(right)


@pytest.mark.parametrize("off", [11.0, 11.5])
def test_round_off_is_not_put_down_to_curvature(off):
    # f = x² + 1e9: its differences are steps of ulp(1e9) / 2ε = 0.6, the round-off
    # bound ~10.6; a VJP off by 11 read "f curves so fast here (near a pole, or log
    # near 0?)" for a parabola, as the ε/2 difference moved by one such step
    slip = op("square_off")(lambda x: (x * x, (lambda g: g * (2 * x + off),)))
    report = mg.gradcheck(lambda x: slip(x).sum() + 1e9, [mg.tensor([1.0, 2.0, 3.0], name="x")])
    assert not report.ok and report.inputs[0].curving is None, str(report)
    assert "curves" not in str(report), str(report)


def test_a_wider_step_that_leaves_fs_domain_is_no_excuse_for_a_wrong_gradient():
    # log(x - c) 1.5ε above its 0, weighted 1e-3, beside x²: 2ε's nudge leaves log's
    # domain (NaN), which counted as an infinite move and read "f curves so fast
    # here" for a VJP with the wrong sign, off by 1.5e4 where ε's error is 1.4e3
    c = np.array([1.0 - 1.5e-7])
    slip = op("log_sign_slip")(lambda t: (np.log(t), (lambda g: -g / t,)))
    for log, excused in [(slip, False), (mg.log, True)]:
        report = mg.gradcheck(lambda x: (x * x).sum() + (log(x - c) * 1e-3).sum(),
                              [mg.tensor([1.0], name="x")])
        assert not report.ok and (report.inputs[0].curving is not None) == excused, str(report)


def test_a_0d_input_at_a_kink_names_no_entry():
    # the line read "crossed 0 in this node's input (at ())"
    c = np.float64(1.0 - 5e-8)
    report = mg.gradcheck(lambda x: (x - c).relu() + x * x, [mg.tensor(1.0, name="x")])
    assert report.inputs[0].at_kink, str(report)
    assert str(report).splitlines()[-1] == (
        "at a kink: <relu> (): the differences of x crossed 0 in this node's input, so "
        "f(x + ε) and f(x - ε) saw different slopes: check again at another point"), str(report)


def test_f_not_finite_at_one_entry_is_no_excuse_for_a_wrong_gradient_at_another():
    # log at 1e-8 (x - ε < 0) beside a VJP off by 2 at 1 and 2: the report was the
    # same as for a right gradient, entry (0,) and "f is not finite within ε ...
    # check at another point", and the wrong entries, checkable here, went unseen
    with np.errstate(all="ignore"):
        report = mg.gradcheck(lambda x: mg.log(x).sum() + wrong_square(x).sum(),
                              [mg.tensor([1e-8, 1.0, 2.0], name="x")])
    assert report.inputs[0].not_finite is None, str(report)
    assert "x at (2,): autograd 8.5, numerical 4.5" in str(report).splitlines(), str(report)
    assert "not finite within" not in str(report), str(report)
    # autograd's own NaN where f's difference is finite comes before f's edge
    nan_vjp = op("nan_vjp")(lambda x: (x * 1.0, (lambda g: g * np.where(x > 1.5, np.nan, 1.0),)))
    with np.errstate(all="ignore"):
        report = mg.gradcheck(lambda x: mg.log(x).sum() + nan_vjp(x).sum(),
                              [mg.tensor([1e-8, 1.0, 2.0], name="x")])
    assert str(report).splitlines()[2] == "x at (2,): autograd nan, numerical 1.5", str(report)
    assert "not finite within" not in str(report), str(report)


@given(x=arrays_away_from_zero(small_shapes(min_dims=1, max_dims=2), margin=0.5, high=3),
       offset=st.floats(0.05, 0.95), below=st.booleans(), weight=st.floats(1e-3, 0.1))
def test_a_wrong_vjp_beside_a_slight_kink_is_never_put_down_to_it(x, offset, below, weight):
    # every entry sits within ε of a relu kink of weight <= 0.1 (not on it: at an
    # exact 0 any gap is the kink's); wrong_square is off by 2|x| >= 1 at each
    c = x - (-offset if below else offset) * 1e-7
    report = mg.gradcheck(lambda t: wrong_square(t).sum() + ((t - c).relu() * weight).sum(),
                          [mg.tensor(x, name="x")])
    row = report.inputs[0]
    assert not row.ok and row.kink_entries and not row.at_kink, (x, str(report))
    assert "kink" not in str(report) and "curves" not in str(report), (x, str(report))


def test_an_error_f_raises_at_the_point_too_gets_no_note_about_the_nudge():
    # numerical_grad's first call is a nudge: a shape bug in f read "(f raised this
    # at a nudged point ... check at a point farther from the edge of f's domain)"
    W = mg.tensor(np.ones((2, 3)), name="W")
    with pytest.raises(ValueError, match="inner dimensions 3 and 4 differ") as raised:
        mg.numerical_grad(lambda W: (W @ mg.tensor(np.ones((4, 1)))).sum(), [W])
    assert getattr(raised.value, "__notes__", None) is None, raised.value.__notes__


# --- pinned by planted bugs (each test failed with one small change to gradcheck.py) ------
def test_an_unnamed_input_is_named_by_its_position_in_the_nudge_note():
    Y = np.array([[1.0, 0.0]])
    with pytest.raises(ValueError) as raised:
        mg.numerical_grad(lambda W, A: mg.binary_cross_entropy(A, Y) + W.sum(),
                          [mg.tensor([1.0]), mg.tensor([[0.0, 0.5]])])
    if hasattr(raised.value, "add_note"):   # Python >= 3.11
        assert "entry (0, 0) of input 1 was -1e-07" in raised.value.__notes__[0], \
            raised.value.__notes__


def test_f_not_finite_within_eps_at_two_entries_names_the_first():
    # x = 0.3 beside them: that entry's difference is a little off, as most are
    with np.errstate(all="ignore"):
        report = mg.gradcheck(lambda t: mg.log(t).sum(),
                              [mg.tensor([0.3, 1e-8, 2.0, 1e-8], name="x")])
    lines = str(report).splitlines()
    assert report.inputs[0].not_finite[0] == (1,), str(report)
    assert lines[2] == "x at (1,): autograd 1e+08, numerical nan", str(report)
    assert lines[3].startswith("x at (1,): f(x + ε) = "), str(report)


def test_a_wrong_gradient_beside_a_steeper_kink_is_the_entry_shown():
    # the kink entry's gap (5) is larger than the wrong one's (2), and explains
    # nothing about it: the entry shown is the wrong one
    report = mg.gradcheck(lambda x: (x * _FIRST * 10).relu().sum()
                          + wrong_square(x * _SECOND).sum(), [mg.tensor([0.0, 1.0], name="x")])
    assert not report.inputs[0].at_kink, str(report)
    assert str(report).splitlines()[2] == "x at (1,): autograd 4, numerical 2", str(report)
    # the kink too small for the gap: the one entry is still shown, with both numbers
    c = np.array([1.0 - 5e-8])
    report = mg.gradcheck(lambda x: wrong_square(x).sum() + (x - c).relu().sum(),
                          [mg.tensor([1.0], name="x")])
    assert str(report).splitlines()[2] == "x at (0,): autograd 5, numerical 2.75", str(report)


@pytest.mark.parametrize("x, at", [([1e-8, -1e-8, 2e-8], "(0,), (1,) and (2,)"),
                                   ([1e-8, -1e-8, 2e-8, 5e-9], "(0,), (1,), (2,) and 1 more")])
def test_the_kink_note_lists_three_entries_then_counts_the_rest(x, at):
    report = mg.gradcheck(lambda t: t.relu().sum(), [mg.tensor(x, name="x")])
    assert f"crossed 0 in this node's input (at {at}), so" in str(report), str(report)


def test_two_values_of_f_that_part_in_the_12th_digit_are_shown_apart():
    calls = iter(range(100))
    report = mg.gradcheck(lambda t: (t * t).sum() + mg.tensor(1.0 + next(calls) * 1e-12),
                          [mg.tensor([1.0, 2.0], name="x")])
    shown = re.search(r"f gave (\S+), then (\S+) at the same point", str(report))
    assert shown and shown[1] != shown[2], str(report)   # 6, then 6.00000000001


def test_a_passing_f_that_drifts_below_tol_gets_no_two_values_note():
    # its differences move by 1e-14 / ε = 1e-7 of a gradient of 2 to 4: they pass
    calls = iter(range(100))
    report = mg.gradcheck(lambda t: (t * t).sum() + mg.tensor(1.0 + next(calls) * 1e-14),
                          [mg.tensor([1.0, 2.0], name="x")])
    assert report.ok and not report.repeatable, str(report)
    assert len(str(report).splitlines()) == 2, str(report)


def test_an_f_whose_value_moves_by_a_few_ulps_is_repeatable():
    # a sum taken in another order can differ in its last bits: that is f's
    # round-off, not state kept between calls
    calls = iter(range(100))
    report = mg.gradcheck(lambda t: wrong_square(t).sum() + mg.tensor(next(calls) * 2.0 ** -55),
                          [mg.tensor([0.5, 0.25], name="x")])
    assert report.value != report.value_again and report.repeatable, str(report)
    assert "same point" not in str(report), str(report)


def test_an_f_that_is_nan_at_the_point_is_not_said_to_give_two_values():
    with np.errstate(all="ignore"):
        report = mg.gradcheck(lambda t: mg.log(t).sum(), [mg.tensor([-1.0, 1.0], name="x")])
    assert np.isnan(report.value) and report.repeatable, str(report)
    assert "same point" not in str(report), str(report)


def test_a_right_gradient_between_two_kinks_within_eps_is_put_down_to_them():
    # relu(x + 0.6ε) - relu(x - 0.2ε) at 0: the two kinks part the one-sided
    # slopes by 0.4 but move the difference by 0.6 (autograd 1, numerical 0.4):
    # kinks on both sides of the point, which the bound's factor 2 is for
    a, b = np.array([6e-8]), np.array([2e-8])
    report = mg.gradcheck(lambda x: (x + a).relu().sum() - (x - b).relu().sum(),
                          [mg.tensor([0.0], name="x")])
    assert report.inputs[0].at_kink and "at a kink" in str(report), str(report)


def test_a_wrong_gradient_at_a_kink_gets_no_curvature_note_for_another_entry():
    # entry 0: a VJP off by 2 beside a kink that moves its difference by 0.5 at most;
    # entry 1: log at 1e-6, whose difference is off by its curvature. "Check again
    # at another point" would let the wrong entry go
    c = np.array([1.0 - 5e-8, -1.0])
    report = mg.gradcheck(lambda x: wrong_square(x * _FIRST).sum() + (x * _FIRST - c).relu().sum()
                          + mg.log(x * _SECOND + _FIRST).sum(), [mg.tensor([1.0, 1e-6], name="x")])
    row = report.inputs[0]
    assert row.kink_entries == [(0,)] and not row.at_kink, str(report)
    assert row.curving is None and "curves" not in str(report), str(report)


def test_a_failure_at_a_kink_gets_no_curvature_note_for_an_entry_that_agrees():
    # entry 1 (log at 1e-3) is off by its curvature, but by less than tol
    report = mg.gradcheck(lambda t: (t * _FIRST).relu().sum() + mg.log(t * _SECOND + _FIRST).sum(),
                          [mg.tensor([1e-8, 1e-3], name="x")])
    assert report.inputs[0].at_kink and report.inputs[0].curving is None, str(report)
    assert "curves" not in str(report), str(report)


def test_the_curvature_note_names_the_step_that_moved_the_difference_most():
    at = lambda f, x, eps: mg.numerical_grad(f, [mg.tensor([x, 1.0])], eps=eps)[0][0]  # noqa: E731
    for f, x, step, eps in [(mg.log, 1e-6, "2ε", 2e-7), (lambda t: 1 / t, 5e-8, "ε/2", 5e-8)]:
        report = mg.gradcheck(lambda t: f(t).sum(), [mg.tensor([x, 1.0], name="x")])
        index, one, other, shown = report.inputs[0].curving
        assert (index, shown) == ((0,), step), str(report)
        assert one == at(lambda t: f(t).sum(), x, 1e-7), str(report)
        with np.errstate(all="ignore"):
            assert other == at(lambda t: f(t).sum(), x, eps), str(report)


def test_two_relu_calls_on_one_array_are_named_in_the_order_f_made_them():
    z = mg.tensor([0.0, 1.0], name="z")

    def f(z):
        a, b = z.relu().named("A"), z.relu().named("B")
        return b.sum() + a.sum()   # the graph reaches B first

    assert mg.gradcheck(f, [z]).kinks == ["A (2,)", "B (2,)"]


def test_a_kink_two_calls_share_a_name_for_is_named_once():
    def layer(z):   # one helper, one name, called twice
        return z.relu().named("A")

    report = mg.gradcheck(lambda x: layer(x).sum() + layer(x * 2.0).sum(),
                          [mg.tensor([0.0, 1.0], name="x")])
    assert report.inputs[0].kinks == ["A (2,)"], str(report)
    assert "at a kink: A (2,): the differences of x crossed 0 in this node's input" \
        in str(report), str(report)


def test_a_kink_at_an_exact_0_of_its_input_excuses_the_gap_there():
    # relu(x) - relu(-x) = x: autograd takes relu's slope 0 at 0 for both, 0; the
    # difference is 1. Entry 1 (not at 0) does not change that
    report = mg.gradcheck(lambda t: (t.relu() - (-t).relu()).sum(),
                          [mg.tensor([0.0, 1.0], name="x")])
    assert report.inputs[0].at_kink and "at a kink" in str(report), str(report)


def test_an_error_at_the_plus_nudge_says_x_plus_eps():
    Y = np.array([[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"got 1\.0000001 at \(0, 0\)") as raised:
        mg.numerical_grad(lambda A: mg.binary_cross_entropy(A, Y),
                          [mg.tensor([[1.0, 0.5]], name="A")])
    if hasattr(raised.value, "add_note"):   # Python >= 3.11
        assert raised.value.__notes__[0].startswith(
            "(f raised this at a nudged point, x + ε: entry (0, 0) of A was 1.0000001 there, "
            "1.0 at the point."), raised.value.__notes__


# --- a row whose gradients are all 0 passes, and tests nothing ------------------------
_ALL_ZERO_NOTE = "both gradients are 0 at every entry, so this point tests nothing"


def test_a_wrong_vjp_at_a_point_where_it_is_0_passes_and_is_said_to_test_nothing():
    # wrong_square's VJP is 4x for 2x: at x = 0 both are 0, the difference 0 < tol.
    # The row must stay ok (a right gradient of 0 is ok), and say it proves nothing
    report = mg.gradcheck(lambda t: wrong_square(t).sum(), [mg.tensor([0.0, 0.0], name="x")])
    row = report.inputs[0]
    assert report.ok and row.all_zero, str(report)
    assert str(report).splitlines()[-1].startswith(f"x: {_ALL_ZERO_NOTE} of its formula"), \
        str(report)
    # one entry off 0 tells the slip apart, and the row says nothing of zeros
    report = mg.gradcheck(lambda t: wrong_square(t).sum(), [mg.tensor([0.0, 1.0], name="x")])
    assert not report.ok and not report.inputs[0].all_zero, str(report)
    assert _ALL_ZERO_NOTE not in str(report), str(report)


def test_a_zero_init_makes_the_rows_before_the_zero_weights_test_nothing():
    # the classic: W[2] = 0 makes dW[1] and db[1] 0 whatever the formula of tanh's
    # slope, so a wrong one passes; W[2] and b[2] are checked all the same
    @op("tanh_with_sigmoids_slope")
    def tanh_slip(z):
        a = np.tanh(z)
        return a, (lambda g: g * a * (1 - a),)   # the slip: σ's a(1 - a), not 1 - a²

    Y3 = np.array([[0.0, 1.0, 1.0, 1.0]])   # not half ones: db[2] = mean(A[2] - Y) is not 0

    def J(W1, b1, W2, b2):
        A1 = tanh_slip(W1 @ X + b1)
        return mg.binary_cross_entropy((W2 @ A1 + b2).sigmoid(), Y3)

    rng = np.random.RandomState(3)
    params = [mg.tensor(rng.randn(3, 2), name="W[1]"), mg.tensor(np.zeros((3, 1)), name="b[1]"),
              mg.tensor(np.zeros((1, 3)), name="W[2]"), mg.tensor(np.zeros((1, 1)), name="b[2]")]
    report = mg.gradcheck(J, params)
    assert report.ok, str(report)
    assert [row.all_zero for row in report.inputs] == [True, True, False, False], str(report)
    assert f"W[1], b[1]: {_ALL_ZERO_NOTE} of their formula" in str(report), str(report)
    # away from the zero init the slip fails
    params[2] = mg.tensor(rng.randn(1, 3), name="W[2]")
    assert not mg.gradcheck(J, params).ok


def test_an_autograd_gradient_of_0_where_the_numerical_one_is_not_is_wrong_not_all_zero():
    # a VJP that drops the gradient (0 for 2x): only autograd's side is 0, so the row
    # is WRONG, and "both gradients are 0" would be false
    @op("square_without_gradient")
    def square_slip(x):
        return x * x, (lambda g: g * 0.0,)

    report = mg.gradcheck(lambda t: square_slip(t).sum(), [mg.tensor([1.0, 2.0], name="x")])
    assert not report.ok and not report.inputs[0].all_zero, str(report)
    assert _ALL_ZERO_NOTE not in str(report), str(report)


def test_a_constant_f_says_so_once_not_row_by_row():
    report = mg.gradcheck(lambda a, b: mg.tensor(3.0),
                          [mg.tensor([1.0], name="a"), mg.tensor([2.0], name="b")])
    assert report.ok and all(row.all_zero for row in report.inputs), str(report)
    assert str(report).splitlines()[-1] == "f does not depend on any input: every gradient is 0"
    assert _ALL_ZERO_NOTE not in str(report), str(report)


def test_an_empty_input_is_not_said_to_test_nothing():
    report = mg.gradcheck(lambda a, b: (a * a).sum() + b.sum(),
                          [mg.tensor([1.0], name="a"), mg.tensor(np.zeros((0,)), name="b")])
    assert report.ok and not report.inputs[1].all_zero, str(report)
    assert _ALL_ZERO_NOTE not in str(report), str(report)


# --- the page's outputs of the two-layer net hold under another machine's round-off ---
def _shown(page, marker, then=0):
    """What a docs page shows for its one ``>>>`` example whose code holds ``marker``
    (``then``: for the example that many after it)."""
    text = (Path(__file__).resolve().parent.parent / "docs" / page).read_text(encoding="utf-8")
    examples = doctest.DocTestParser().get_examples(text)
    found = [i for i, e in enumerate(examples) if marker in e.source]
    assert len(found) == 1, f"{page}: {len(found)} examples hold {marker!r}"
    return examples[found[0] + then].want


def _matches(want, got):
    return doctest.OutputChecker().check_output(
        want, got, doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)


def _another_machine(seed, hidden):
    """The page's J and net, with the samples (and the hidden units, if ``hidden``)
    in another order: the same function, summed in another order, as another
    BLAS kernel or CPU may add. None: the page's own order."""
    from nets import TwoLayerNet, data
    X, Y = data.flower(m=20, seed=1)
    rng = np.random.default_rng(seed)
    samples = np.arange(20) if seed is None else rng.permutation(20)
    units = rng.permutation(4) if hidden else np.arange(4)
    X, Y = X[:, samples], Y[:, samples]

    def J(W1, b1, W2, b2):
        A1 = mg.tanh(W1 @ X + b1)
        return mg.binary_cross_entropy(mg.sigmoid(W2 @ A1 + b2), Y)

    def params(scale):
        p = TwoLayerNet(n_x=2, n_h=4, activation="tanh", scale=scale, seed=2).params
        return [mg.tensor(p["W[1]"][units], name="W[1]"), mg.tensor(p["b[1]"][units], name="b[1]"),
                mg.tensor(p["W[2]"][:, units], name="W[2]"), mg.tensor(p["b[2]"], name="b[2]")]
    return J, params


# 3187: W[2]'s difference is 9.6e-10 at scale 1 (the page showed e-09); 4644: W[1]'s
# is 2.06e-7 at the course's start (the page showed it below 2e-7)
@pytest.mark.parametrize("seed, hidden", [(None, False), (3187, False), (4644, True)])
@pytest.mark.parametrize("page", ["gradcheck.md", "gradcheck.zh.md"])
def test_the_pages_two_layer_outputs_hold_in_another_summation_order(page, seed, hidden):
    J, params = _another_machine(seed, hidden)
    report = mg.gradcheck(J, params(1.0))
    want = _shown(page, "print(report)          #")
    assert _matches(want, str(report) + "\n"), f"shown:\n{want}\ngot:\n{report}"

    W1, b1, W2, b2 = params(0.01)
    report = mg.gradcheck(lambda b1, b2: J(W1, b1, W2, b2), [b1, b2])
    lines = []
    for row in report.inputs:   # the page's loop
        error = np.abs(row.autograd - row.numerical).max()
        size = np.abs(row.autograd).max()
        lines.append(f"{row.name}: |g| up to {size:.0e}, |g - g~| below 1e-8: {error < 1e-8}, "
                     f"relative difference {'< 2e-7' if row.ok else '>= 2e-7'}\n")
    want = _shown(page, "for row in report.inputs:")
    assert _matches(want, "".join(lines)), f"shown:\n{want}\ngot:\n{''.join(lines)}"
    # the next example but the weights' is the report's last line, about b[1] and b[2]
    want = _shown(page, "for row in report.inputs:", then=3)
    assert _matches(want, str(report).splitlines()[-1] + "\n"), f"shown:\n{want}\ngot:\n{report}"
    weights = mg.gradcheck(lambda W1, W2: J(W1, b1, W2, b2), [W1, W2])
    assert all(1e-8 < row.difference < 1e-6 for row in weights.inputs), str(weights)


# --- rows and errors say which input, when two share a name ---------------------------
@op("mul_slip_in_y", 2)
def mul_slip_in_y(x, y):
    """x y, whose VJP for y is off by a factor of 2."""
    return x * y, (lambda g: g * y, lambda g: g * x * 2)


@pytest.mark.parametrize("same", [True, False], ids=["one tensor twice", "two named alike"])
def test_two_inputs_that_share_a_name_are_told_apart_by_position(same):
    # both rows read "W", and "W at (1,): autograd 4, numerical 2" named neither
    W = mg.tensor([1.0, 2.0], name="W")
    report = mg.gradcheck(lambda a, b: mul_slip_in_y(a, b).sum(),
                          [W, W if same else mg.tensor([3.0, 4.0], name="W")])
    assert [(row.name, row.ok) for row in report.inputs] == \
        [("W (input 0)", True), ("W (input 1)", False)], str(report)
    assert "\nW (input 1) at (1,): autograd " in str(report), str(report)
    # a name no other input has is left as it is
    report = mg.gradcheck(lambda a, b: (a * b).sum(), [W, mg.tensor([3.0, 4.0], name="b")])
    assert [row.name for row in report.inputs] == ["W", "b"], str(report)


def test_an_error_of_f_at_a_nudge_names_which_of_two_inputs_that_share_a_name():
    def f(a, b):
        if b.data[0] > 1.0:
            raise ValueError("b too large")
        return (a * b).sum()

    W = mg.tensor([1.0, 0.5], name="W")
    with pytest.raises(ValueError) as raised:
        mg.numerical_grad(f, [W, W])
    if hasattr(raised.value, "add_note"):   # Python >= 3.11
        assert "entry (0,) of W (input 1) was" in raised.value.__notes__[0], \
            raised.value.__notes__
    with pytest.raises(RuntimeError, match=r"f changed its input W \(input 1\)"):
        mg.numerical_grad(lambda a, b: b.data.__setitem__(0, 9.0) or (a * b).sum(), [W, W])


@pytest.mark.parametrize("dtype, digits", [(np.float32, 6), (np.float16, 3)])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_numerical_grad_refuses_f_that_returns_a_narrower_float(dtype, digits, shape):
    # a float32 f moves by less than its last digit at ε = 1e-7: numerical_grad
    # returned [0, 4.77] for the gradient [2, 4] of x² at (1, 2), without a word
    x = mg.tensor([1.0, 2.0], name="x")
    with pytest.raises(TypeError, match=rf"^numerical_grad: f returned a {np.dtype(dtype)} "
                                        rf"value, 5\.0\d*; its {digits} or so significant "
                                        rf"digits cannot see a step of ε.*compute f in float64$"):
        mg.numerical_grad(lambda t: np.full(shape, (t.data ** 2).sum(), dtype=dtype), [x])


def test_numerical_grad_takes_f_returning_a_wider_float_or_an_int():
    x = mg.tensor([1.0, 2.0], name="x")
    grad, = mg.numerical_grad(lambda t: np.longdouble((t.data ** 2).sum()), [x])
    assert np.allclose(grad, [2.0, 4.0], rtol=1e-6), grad
    assert mg.numerical_grad(lambda t: 3, [x])[0].tolist() == [0.0, 0.0]
