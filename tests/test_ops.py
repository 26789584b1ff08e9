"""Every op's gradient against central differences, on generated shapes and
values; operators with numbers and arrays on either side; the numerically
delicate points (sigmoid at ±1000, cross-entropy at A = 0 and 1)."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.functional import PROBABILITY_CLIP
from tests.strategies import (arrays, arrays_away_from_zero, arrays_with_axis,
                              assert_grads_match_numerical, broadcastable_pairs, finite_floats,
                              labels, linear_triples, matmul_pairs, permutations_of_axes, positive_arrays,
                              probabilities, reshape_targets, small_shapes)

BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
}
NUMPY_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


# --- elementwise arithmetic with broadcasting -----------------------------------
@pytest.mark.parametrize("name", ["add", "sub", "mul"])
@given(pair=broadcastable_pairs())
def test_arithmetic_gradient_matches_numerical_with_broadcasting(name, pair):
    assert_grads_match_numerical(BINARY[name], pair)


@given(pair=broadcastable_pairs(second=lambda shape: arrays_away_from_zero(shape, margin=0.5)))
def test_div_gradient_matches_numerical_with_denominator_away_from_zero(pair):
    assert_grads_match_numerical(BINARY["div"], pair)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=broadcastable_pairs(second=lambda shape: arrays_away_from_zero(shape, margin=0.5)))
def test_arithmetic_value_and_op_match_numpy(name, pair):
    x, y = pair
    out = BINARY[name](mg.tensor(x), mg.tensor(y))
    assert out.op == name, f"op is {out.op!r}, expected {name!r}"
    np.testing.assert_array_equal(out.data, NUMPY_BINARY[name](x, y))


# --- operators with numbers and numpy arrays on either side ---------------------
ARRAY = np.array([[1.5, -2.0, 0.5], [0.25, 3.0, -1.0]])
OPERAND_CASES = {
    "2 + t": (lambda t: 2 + t, lambda d: 2 + d),
    "t + 2": (lambda t: t + 2, lambda d: d + 2),
    "2 - t": (lambda t: 2 - t, lambda d: 2 - d),
    "t - 2": (lambda t: t - 2, lambda d: d - 2),
    "2 * t": (lambda t: 2 * t, lambda d: 2 * d),
    "t * 2": (lambda t: t * 2, lambda d: d * 2),
    "2 / t": (lambda t: 2 / t, lambda d: 2 / d),
    "t / 2": (lambda t: t / 2, lambda d: d / 2),
    "arr + t": (lambda t: ARRAY + t, lambda d: ARRAY + d),
    "t + arr": (lambda t: t + ARRAY, lambda d: d + ARRAY),
    "arr - t": (lambda t: ARRAY - t, lambda d: ARRAY - d),
    "t - arr": (lambda t: t - ARRAY, lambda d: d - ARRAY),
    "arr * t": (lambda t: ARRAY * t, lambda d: ARRAY * d),
    "arr / t": (lambda t: ARRAY / t, lambda d: ARRAY / d),
    "t / arr": (lambda t: t / ARRAY, lambda d: d / ARRAY),
    "arr.T @ t": (lambda t: ARRAY.T @ t, lambda d: ARRAY.T @ d),
    "t @ arr.T": (lambda t: t @ ARRAY.T, lambda d: d @ ARRAY.T),
    "list + t": (lambda t: [[1.0, 2.0, 3.0]] + t, lambda d: np.array([[1.0, 2.0, 3.0]]) + d),
    "int array * t": (lambda t: np.arange(3).reshape(1, 3) * t,
                      lambda d: np.arange(3).reshape(1, 3) * d),
}


@pytest.mark.parametrize("case", sorted(OPERAND_CASES))
def test_operator_with_number_or_array_on_either_side_gives_a_tensor(case):
    expression, expected = OPERAND_CASES[case]
    data = np.array([[0.5, -1.5, 2.0], [1.0, -0.75, 2.5]])
    out = expression(mg.tensor(data, requires_grad=True))
    assert isinstance(out, mg.Tensor), f"{case} gave {type(out).__name__}: {out!r}"
    assert out.data.dtype == np.float64, f"{case} gave dtype {out.data.dtype}"
    np.testing.assert_allclose(out.data, expected(data), rtol=1e-15, err_msg=case)
    assert_grads_match_numerical(expression, [data])


def test_unary_plus_returns_the_tensor_itself():
    t = mg.tensor([1.0, -2.0])
    assert +t is t


# --- pow ----------------------------------------------------------------------------
@given(x=positive_arrays(low=0.5), p=finite_floats(-3, 3))
def test_pow_by_any_number_gradient_matches_numerical_on_positive_base(x, p):
    assert_grads_match_numerical(lambda t: t ** p, [x])


@given(x=arrays_away_from_zero(margin=0.5), p=st.integers(-3, 4))
def test_pow_by_an_integer_gradient_matches_numerical_on_any_sign(x, p):
    assert_grads_match_numerical(lambda t: t ** p, [x])


@pytest.mark.parametrize("p", [2, 2.0, np.float64(2.0), np.int64(2)])
def test_pow_accepts_python_and_numpy_numbers(p):
    x = mg.tensor([1.0, -3.0], requires_grad=True)
    y = x ** p
    y.backward(np.ones(2))
    assert y.op == "pow", y.op
    np.testing.assert_array_equal(y.data, [1.0, 9.0])
    np.testing.assert_array_equal(x.grad, [2.0, -6.0])


# --- matmul, transpose, reshape -----------------------------------------------------
@given(pair=matmul_pairs())
def test_matmul_gradient_matches_numerical(pair):
    a, b = pair
    assert_grads_match_numerical(lambda x, y: x @ y, pair)
    out = mg.tensor(a) @ mg.tensor(b)
    assert out.shape == (a @ b).shape, f"{a.shape} @ {b.shape} gave {out.shape}"
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-15, atol=1e-15)


@given(pair=matmul_pairs())
def test_mg_matmul_function_equals_the_operator(pair):
    a, b = pair
    np.testing.assert_array_equal(mg.matmul(a, b).data, (mg.tensor(a) @ mg.tensor(b)).data)


# --- linear: Z = W A + b as one node --------------------------------------------------
@given(triple=linear_triples())
def test_linear_is_w_a_plus_b_bit_for_bit_and_so_are_its_gradients(triple):
    # the same numbers as the two ops it fuses, forward and backward, for every b
    # that broadcasts to W A's shape (the bias column, a row, a number, (n, m))
    W, A, b = triple
    fused = [mg.tensor(a, requires_grad=True) for a in triple]
    apart = [mg.tensor(a, requires_grad=True) for a in triple]
    Z = mg.linear(*fused)
    Z_apart = apart[0] @ apart[1] + apart[2]
    assert Z.op == "linear" and Z.parents == tuple(fused), Z
    np.testing.assert_array_equal(Z.data, Z_apart.data)
    G = np.random.RandomState(0).standard_normal(Z.shape)
    Z.backward(G)
    Z_apart.backward(G)
    for t, u in zip(fused, apart):
        assert t.grad.shape == t.shape, (t.grad.shape, t.shape)
        np.testing.assert_array_equal(t.grad, u.grad)


@given(triple=linear_triples())
def test_linear_gradients_are_the_notes_formulas_and_match_numerical(triple):
    # dW = dZ Aᵀ, dA = Wᵀ dZ, db = dZ summed over the axes b was broadcast along
    W, A, b = triple
    assert_grads_match_numerical(mg.linear, triple)
    w, a, bias = (mg.tensor(x, requires_grad=True) for x in triple)
    G = np.random.RandomState(1).standard_normal((W.shape[0], A.shape[1]))
    mg.linear(w, a, bias).backward(G)
    np.testing.assert_allclose(w.grad, G @ A.T, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(a.grad, W.T @ G, rtol=1e-13, atol=1e-13)
    summed = G.sum(axis=tuple(range(G.ndim - b.ndim)))
    summed = summed.sum(axis=tuple(i for i in range(b.ndim) if b.shape[i] == 1), keepdims=True)
    np.testing.assert_allclose(bias.grad, summed.reshape(b.shape), rtol=1e-13, atol=1e-13)


def test_linear_takes_numbers_and_arrays_as_constants_and_records_no_parameters():
    W = mg.tensor([[1.0, 2.0]], requires_grad=True, name="W")
    Z = mg.linear(W, np.array([[1.0], [3.0]]), 0.5)
    assert Z.data.tolist() == [[7.5]] and Z.op_params is None
    Z.backward()
    assert W.grad.tolist() == [[1.0, 3.0]]


def test_an_op_takes_one_to_three_inputs_and_says_so_for_more():
    from minigrad.ops import op
    with pytest.raises(ValueError, match=r"op 'four': n_inputs must be 1, 2 or 3; got 4"):
        op("four", 4)(lambda a, b, c, d: (a, ()))


@given(x=arrays())
def test_T_reverses_the_axes_and_its_gradient_matches_numerical(x):
    assert mg.tensor(x).T.shape == x.T.shape
    assert_grads_match_numerical(lambda t: t.T, [x])


@given(data=st.data())
def test_transpose_with_axes_gradient_matches_numerical(data):
    x = data.draw(arrays(small_shapes(min_dims=1)), label="x")
    axes = data.draw(permutations_of_axes(x.ndim), label="axes")
    out = mg.tensor(x).transpose(*axes)
    np.testing.assert_array_equal(out.data, np.transpose(x, axes))
    assert_grads_match_numerical(lambda t: t.transpose(*axes), [x])
    assert_grads_match_numerical(lambda t: mg.transpose(t, axes), [x])


def test_transpose_with_negative_axes_sends_the_gradient_back_transposed():
    x = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    seed = np.arange(6.0).reshape(3, 2)
    x.transpose(-1, 0).backward(seed)
    np.testing.assert_array_equal(x.grad, seed.T)


@given(data=st.data())
def test_reshape_gradient_matches_numerical(data):
    x = data.draw(arrays(), label="x")
    shape = data.draw(reshape_targets(x.shape), label="shape")
    out = mg.tensor(x).reshape(*shape)
    assert out.shape == x.reshape(shape).shape, f"{x.shape} -> {shape} gave {out.shape}"
    assert_grads_match_numerical(lambda t: t.reshape(*shape), [x])
    assert_grads_match_numerical(lambda t: t.reshape(shape), [x])


# --- reductions ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean"])
@given(case=arrays_with_axis())
def test_reduction_gradient_matches_numerical(name, case):
    x, axis, keepdims = case
    out = getattr(mg.tensor(x), name)(axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected), (
        f"{name}(axis={axis}, keepdims={keepdims}) of {x.shape}: {out.shape} vs numpy "
        f"{np.shape(expected)}")
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert_grads_match_numerical(
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])
    assert_grads_match_numerical(
        lambda t: getattr(mg, name)(t, axis=axis, keepdims=keepdims), [x])


def test_mean_over_columns_with_keepdims_gives_n_by_1():
    b = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    db = b.mean(axis=1, keepdims=True)
    db.backward(np.ones((2, 1)))
    assert db.shape == (2, 1), db.shape
    np.testing.assert_array_equal(db.data, [[1.0], [4.0]])
    np.testing.assert_array_equal(b.grad, np.full((2, 3), 1 / 3))


# --- elementwise functions --------------------------------------------------------
UNARY = {
    "neg": (lambda t: -t, np.negative),
    "exp": (lambda t: t.exp(), np.exp),
    "tanh": (lambda t: t.tanh(), np.tanh),
    "sigmoid": (lambda t: t.sigmoid(), lambda z: 1 / (1 + np.exp(-z))),
    "identity": (mg.identity, lambda z: z),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(x=arrays())
def test_smooth_function_gradient_matches_numerical(name, x):
    method, reference = UNARY[name]
    out = method(mg.tensor(x))
    assert out.op == name, f"op is {out.op!r}, expected {name!r}"
    np.testing.assert_allclose(out.data, reference(x), rtol=1e-14, atol=1e-15)
    assert_grads_match_numerical(method, [x])


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "relu", "leaky_relu", "identity"])
def test_mg_function_equals_the_method(name):
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
    via_function = getattr(mg, name)(mg.tensor(x))
    via_method = getattr(mg.tensor(x), name)() if name != "identity" else mg.tensor(x)
    np.testing.assert_array_equal(via_function.data, via_method.data)


@given(x=positive_arrays(low=0.1))
def test_log_gradient_matches_numerical_on_positive_values(x):
    np.testing.assert_array_equal(mg.log(x).data, np.log(x))
    assert_grads_match_numerical(lambda t: t.log(), [x])
    assert_grads_match_numerical(mg.log, [x])


@given(x=arrays_away_from_zero(margin=0.01))
def test_relu_gradient_matches_numerical_away_from_zero(x):
    np.testing.assert_array_equal(mg.relu(x).data, np.maximum(x, 0.0))
    assert_grads_match_numerical(lambda t: t.relu(), [x])


@given(x=arrays_away_from_zero(margin=0.01), alpha=finite_floats(0.0, 0.5))
def test_leaky_relu_gradient_matches_numerical_away_from_zero(x, alpha):
    np.testing.assert_allclose(mg.leaky_relu(x, alpha=alpha).data,
                               np.where(x > 0, x, alpha * x), rtol=1e-15)
    assert_grads_match_numerical(lambda t: t.leaky_relu(alpha), [x])
    assert_grads_match_numerical(lambda t: mg.leaky_relu(t, alpha=alpha), [x])


def test_relu_and_leaky_relu_take_the_left_slope_at_zero():
    z = mg.tensor([0.0], requires_grad=True)
    z.relu().backward(np.ones(1))
    assert z.grad[0] == 0.0, f"relu'(0) = {z.grad[0]}"
    z.zero_grad()
    z.leaky_relu(0.1).backward(np.ones(1))
    assert z.grad[0] == 0.1, f"leaky_relu'(0) with alpha 0.1 = {z.grad[0]}"


def test_leaky_relu_default_alpha_is_one_hundredth():
    z = mg.tensor([-2.0, 3.0])
    np.testing.assert_array_equal(z.leaky_relu().data, [-0.02, 3.0])


# --- sigmoid saturation ---------------------------------------------------------
def test_sigmoid_at_plus_minus_1000_is_exactly_1_and_0_without_warning():
    z = mg.tensor([-1000.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            a = z.sigmoid()
            a.backward(np.ones(2))
    assert a.data.tolist() == [0.0, 1.0], f"sigmoid(±1000) = {a.data.tolist()}"
    assert z.grad.tolist() == [0.0, 0.0], f"sigmoid'(±1000) = {z.grad.tolist()}"


# --- binary cross-entropy ---------------------------------------------------------
# the nets' loss takes logits: both at any shape (0-d, a column, (2, 1, 3)), not only (1, m)
@pytest.mark.parametrize("loss, values, probability", [
    (mg.binary_cross_entropy, probabilities, lambda a: a),
    (mg.binary_cross_entropy_with_logits, arrays, lambda z: 1 / (1 + np.exp(-z))),
], ids=["from A", "from logits Z"])
@given(data=st.data())
def test_binary_cross_entropy_gradient_matches_numerical(loss, values, probability, data):
    shape = data.draw(small_shapes(), label="shape")
    x = data.draw(values(shape), label="input")
    Y = data.draw(labels(shape), label="Y")
    J = loss(mg.tensor(x), Y)
    A = probability(x)
    expected = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    assert J.shape == (), f"J has shape {J.shape}"
    np.testing.assert_allclose(J.data, expected, rtol=1e-12)
    assert_grads_match_numerical(lambda t: loss(t, Y), [x])


def test_binary_cross_entropy_of_a_half_is_log_2():
    J = mg.binary_cross_entropy(mg.tensor([[0.5, 0.5, 0.5]]), np.array([[0.0, 1.0, 1.0]]))
    assert abs(J.item() - np.log(2)) < 1e-15, f"J = {J.item()}, log 2 = {np.log(2)}"


def test_binary_cross_entropy_value_and_gradient_are_finite_at_0_and_1():
    A = mg.tensor([[0.0, 1.0, 0.0, 1.0]], requires_grad=True)
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    J = mg.binary_cross_entropy(A, Y)
    J.backward()
    assert np.isfinite(J.data), f"J = {J.data}"
    # a wrong answer costs -log(1e-15) = 34.5 each; right ones cost nothing
    expected = (-np.log(PROBABILITY_CLIP) - np.log1p(-(1 - PROBABILITY_CLIP))) / 4
    np.testing.assert_allclose(J.item(), expected, rtol=1e-12)
    # the clip is flat where it acts: its gradient is 0 there, as numerical differences say
    assert np.array_equal(A.grad, np.zeros((1, 4))), f"dJ/dA = {A.grad}"


def test_binary_cross_entropy_with_logits_is_exact_where_the_sigmoid_saturates():
    z = np.array([[-1e4, -800.0, -40.0, 0.0, 40.0, 720.0, 1e4]])
    for y in (np.zeros_like(z), np.ones_like(z)):
        Z = mg.tensor(z, requires_grad=True)
        J = mg.binary_cross_entropy_with_logits(Z, y)
        J.backward()
        with np.errstate(over="ignore"):
            a = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
        # each entry costs softplus(z) = |z| for a wrong sign; the gradient is the notes' A - Y
        per_entry = np.logaddexp(0.0, np.where(y == 1, -z, z))
        np.testing.assert_allclose(J.item(), per_entry.mean(), rtol=1e-14)
        np.testing.assert_allclose(Z.grad, (a - y) / z.size, rtol=1e-14, atol=1e-300)
        with mg.no_grad():
            assert mg.binary_cross_entropy_with_logits(mg.tensor(z), y).item() == J.item()


# --- the course's check, one fixed case per op ---------------------------------------
_rng = np.random.RandomState(1)
_X, _Y = _rng.uniform(-2, 2, (3, 4)), _rng.uniform(0.5, 2, (3, 4))
COURSE_CASES = {
    "add": (lambda x, y: x + y, [_X, _Y[:, :1]]),
    "sub": (lambda x, y: x - y, [_X, _Y[:1]]),
    "mul": (lambda x, y: x * y, [_X, _Y]),
    "div": (lambda x, y: x / y, [_X, _Y]),
    "pow": (lambda y: y ** 1.5, [_Y]),
    "matmul": (lambda x, y: x @ y, [_X, _Y.T]),
    "linear": (mg.linear, [_X, _Y.T, _Y[:, :1]]),
    "neg": (lambda x: -x, [_X]),
    "transpose": (lambda x: x.transpose(1, 0), [_X]),
    "reshape": (lambda x: x.reshape(2, 6), [_X]),
    "sum": (lambda x: x.sum(axis=1, keepdims=True), [_X]),
    "mean": (lambda x: x.mean(axis=0), [_X]),
    "exp": (lambda x: x.exp(), [_X]),
    "log": (lambda y: y.log(), [_Y]),
    "tanh": (lambda x: x.tanh(), [_X]),
    "sigmoid": (lambda x: x.sigmoid(), [_X]),
    "relu": (lambda x: x.relu(), [_X]),
    "leaky_relu": (lambda x: x.leaky_relu(0.2), [_X]),
    "identity": (mg.identity, [_X]),
    "binary_cross_entropy": (lambda y: mg.binary_cross_entropy(y / 3, (_X > 0) * 1.0), [_Y]),
    "binary_cross_entropy_with_logits": (
        lambda x: mg.binary_cross_entropy_with_logits(x, (_Y > 1) * 1.0), [_X]),
}


def test_the_course_check_covers_every_op_the_engine_has():
    from minigrad.steps import RULES   # one rule per op: the engine's list of its ops
    assert sorted(COURSE_CASES) == sorted(RULES), \
        f"ops without a course case: {sorted(set(RULES) - set(COURSE_CASES))}"


@pytest.mark.parametrize("name", sorted(COURSE_CASES))
def test_every_op_passes_the_course_gradient_check(name):
    f, arrays_in = COURSE_CASES[name]
    weights = np.random.RandomState(2).standard_normal(f(*map(mg.tensor, arrays_in)).shape)
    inputs = [mg.tensor(a.copy(), name=f"x{i}") for i, a in enumerate(arrays_in)]
    report = mg.gradcheck(lambda *ts: (f(*ts) * weights).sum(), inputs)
    assert report.ok, f"{name}:\n{report}"
    assert report.max_difference < 2e-7, f"{name}: difference {report.max_difference:.3e}"


# --- powers at 0 ------------------------------------------------------------------
@pytest.mark.parametrize("p, slope_at_0", [(0, 0.0), (1, 1.0), (2, 0.0), (3, 0.0)])
def test_pow_has_the_exact_gradient_at_zero(p, slope_at_0):
    x = mg.tensor([0.0, 0.0], requires_grad=True)
    (x ** p).sum().backward()
    assert x.grad.tolist() == [slope_at_0] * 2, f"d(x ** {p})/dx at 0 is {x.grad}"


@given(x=arrays(), p=st.integers(0, 4), zeros=st.lists(st.booleans(), min_size=1))
def test_pow_by_a_natural_number_has_the_formula_gradient_everywhere_zero_included(x, p, zeros):
    mask = np.array([zeros[i % len(zeros)] for i in range(x.size)], dtype=bool).reshape(x.shape)
    x = np.where(mask, 0.0, x)
    t = mg.tensor(x, requires_grad=True)
    (t ** p).backward(np.ones(x.shape))
    expected = np.zeros(x.shape) if p == 0 else p * x ** (p - 1)
    # atol=0: an exact 0 stays exactly 0 (and NaN never passes)
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12, atol=0, err_msg=f"p = {p}, x = {x}")


def test_relu_of_minus_infinity_is_zero_not_nan():
    a = mg.tensor([-np.inf, np.inf, -1.0]).relu()
    assert a.data.tolist() == [0.0, np.inf, 0.0], a.data


def test_leaky_relu_of_minus_infinity_is_minus_infinity_times_alpha():
    assert mg.tensor([-np.inf]).leaky_relu(0.5).data.tolist() == [-np.inf]


def test_leaky_relu_with_alpha_zero_is_relu_also_at_infinities():
    # 0 * -inf is NaN: alpha = 0 must not compute alpha * z where relu gives 0
    z = np.array([-np.inf, -1.0, 0.0, 2.0, np.inf])
    leaky, relu = mg.tensor(z, requires_grad=True), mg.tensor(z, requires_grad=True)
    leaky.leaky_relu(0.0).backward(np.ones(5))
    relu.relu().backward(np.ones(5))
    assert leaky.leaky_relu(0.0).data.tolist() == [0.0, 0.0, 0.0, 2.0, np.inf]
    np.testing.assert_array_equal(leaky.grad, relu.grad)


def test_leaky_relu_with_alpha_zero_gives_relus_very_bits():
    # its zeros are relu's +0.0 (a -0.0 prints as "-0.")
    z = np.array([-np.inf, -1.0, 0.0, 2.0, np.inf])
    assert mg.leaky_relu(mg.tensor(z), alpha=0.0).data.tobytes() == \
        mg.relu(mg.tensor(z)).data.tobytes()
