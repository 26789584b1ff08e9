"""Gradient checking as the course does it: numerical_grad by central
differences, relative_difference, and gradcheck's per-input report."""
import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.ops import op
from tests.strategies import arrays


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
