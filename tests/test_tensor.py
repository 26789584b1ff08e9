"""Tensor basics: float64 data (converted or refused), the promised
attributes, and the ways out of the graph (detach, numpy, item, repr)."""
import math
import re

import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from tests.strategies import arrays

CONVERTED = {
    "int": (3, np.array(3.0)),
    "float": (2.5, np.array(2.5)),
    "bool": (True, np.array(1.0)),
    "list of ints": ([1, 2, 3], np.array([1.0, 2.0, 3.0])),
    "nested list": ([[1, 2.5], [True, 0]], np.array([[1.0, 2.5], [1.0, 0.0]])),
    "int array": (np.arange(4, dtype=np.int32), np.arange(4.0)),
    "uint8 array": (np.array([0, 255], dtype=np.uint8), np.array([0.0, 255.0])),
    "bool array": (np.array([True, False]), np.array([1.0, 0.0])),
    "float32 array": (np.array([0.5, -1.25], dtype=np.float32), np.array([0.5, -1.25])),
    "numpy float64 scalar": (np.float64(4.0), np.array(4.0)),
}


@pytest.mark.parametrize("case", sorted(CONVERTED))
def test_data_is_converted_to_a_float64_array(case):
    given_data, expected = CONVERTED[case]
    t = mg.tensor(given_data)
    assert isinstance(t.data, np.ndarray), f"{case}: data is a {type(t.data).__name__}"
    assert t.data.dtype == np.float64, f"{case}: dtype {t.data.dtype}"
    assert t.shape == expected.shape, f"{case}: shape {t.shape}, expected {expected.shape}"
    np.testing.assert_array_equal(t.data, expected, err_msg=case)


REFUSED = {
    "string": "abc",
    "list of strings": ["1", "2"],
    "object": object(),
    "None": None,
    "dict": {"a": 1},
    "complex": 1 + 2j,
    "complex array": np.array([1.0, 2.0], dtype=np.complex128),
    "object array": np.array([1.0, "x"], dtype=object),
    "datetime array": np.array(["2024-01-01"], dtype="datetime64[D]"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_non_numeric_data_is_a_type_error_naming_the_dtype(case):
    with pytest.raises(TypeError, match="real numbers") as error:
        mg.tensor(REFUSED[case])
    assert "dtype" in str(error.value), str(error.value)


def test_an_operand_that_is_not_a_number_is_a_type_error():
    t = mg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="real numbers"):
        t + "a"
    with pytest.raises(TypeError, match="real numbers"):
        t * (1 + 1j)


@given(x=arrays())
def test_tensor_copies_its_input_and_as_tensor_shares_it(x):
    kept = x.copy()
    t, shared = mg.tensor(x), mg.as_tensor(x)
    assert shared.data is x, "as_tensor must share a float64 array"
    assert mg.Tensor(x).data is not x and not np.shares_memory(t.data, x)
    x += 1.0   # the caller edits its array afterwards
    np.testing.assert_array_equal(t.data, kept, err_msg="mg.tensor kept the caller's array")
    np.testing.assert_array_equal(shared.data, kept + 1.0)


def test_as_tensor_converts_other_data_and_takes_requires_grad_and_name():
    t = mg.as_tensor([1, 2], requires_grad=True, name="W")
    assert t.data.dtype == np.float64 and t.requires_grad and t.name == "W" and t.op is None
    assert mg.as_tensor(t).data is t.data and mg.as_tensor(t).op is None
    for dtype in (np.float32, np.int64, np.bool_):   # other dtypes are converted
        assert mg.as_tensor(np.ones(2, dtype=dtype)).data.dtype == np.float64, dtype


def test_a_tensor_made_from_a_tensor_copies_its_data_but_not_its_history():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = mg.Tensor(y)
    assert z.data is not y.data
    np.testing.assert_array_equal(z.data, y.data)
    assert z.parents == () and z.op is None and not z.requires_grad


def test_leaf_attributes():
    t = mg.tensor(np.zeros((2, 3)), requires_grad=True, name="W[1]")
    assert (t.shape, t.ndim, t.name, t.requires_grad) == ((2, 3), 2, "W[1]", True)
    assert t.op is None and t.op_params is None and t.parents == () and t.grad is None
    plain = mg.tensor(1.0)
    assert (plain.shape, plain.ndim, plain.name, plain.requires_grad) == ((), 0, None, False)


def test_op_result_attributes_name_the_op_and_its_parents():
    W = mg.tensor(np.ones((4, 3)), requires_grad=True, name="W[1]")
    X = mg.tensor(np.ones((3, 5)), name="X")
    Z = W @ X
    assert Z.op == "matmul", Z.op
    assert Z.parents == (W, X) and Z.parents[0] is W and Z.parents[1] is X
    assert Z.requires_grad and Z.name is None and Z.grad is None
    assert Z.shape == (4, 5) and Z.ndim == 2
    assert Z.op_params is None   # matmul has no parameters


@pytest.mark.parametrize("make, params", [
    (lambda x: mg.leaky_relu(x), {"alpha": 0.01}),                 # the default, kept
    (lambda x: mg.leaky_relu(x, 0.3), {"alpha": 0.3}),             # positional
    (lambda x: x.leaky_relu(alpha=0.2), {"alpha": 0.2}),
    (lambda x: x ** 3, {"p": 3.0}),
    (lambda x: x.sum(axis=1, keepdims=True), {"axis": 1, "keepdims": True}),
    (lambda x: mg.mean(x, 0), {"axis": 0, "keepdims": False}),
    (lambda x: x.transpose(1, 0), {"axes": (1, 0)}),
    (lambda x: x.reshape(3, 2), {"shape": (3, 2)}),
    (lambda x: x.tanh() + 1.0, None),
])
def test_an_op_result_keeps_the_parameters_it_was_called_with(make, params):
    x = mg.tensor(np.arange(6.0).reshape(2, 3) - 2.5, requires_grad=True)
    assert make(x).op_params == params
    with mg.no_grad():   # a leaf there, as in PyTorch: nothing recorded
        assert make(x).op_params is None and make(x).op is None
    assert mg.tensor(make(x)).op_params is None   # a copy is a leaf


def test_a_constant_operand_becomes_a_parent_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x + 2
    assert y.parents[0] is x
    assert y.parents[1].data.tolist() == 2.0 and not y.parents[1].requires_grad


def test_op_results_hold_ndarrays_even_when_0_d():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    s = mg.tensor(2.0, requires_grad=True)
    for out in (x.sum(), x.mean(), (s * 3).tanh(), s.exp(), s ** 2):
        assert isinstance(out.data, np.ndarray), f"{out.op}: data is {type(out.data).__name__}"
        out.backward()
    assert isinstance(s.grad, np.ndarray), f"s.grad is {type(s.grad).__name__}"
    assert isinstance(x.grad, np.ndarray), f"x.grad is {type(x.grad).__name__}"


def test_a_misspelt_attribute_is_an_error_not_a_new_attribute():
    t = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(AttributeError):
        t.gard = np.zeros(1)   # __slots__: no silent typo


def test_named_sets_the_name_and_returns_the_tensor_itself():
    t = mg.tensor([1.0])
    assert t.named("Z[1]") is t
    assert t.name == "Z[1]"


def test_detach_shares_data_and_drops_history():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * 2).named("y")
    d = y.detach()
    assert np.shares_memory(d.data, y._data), "detach copied the data"
    with pytest.raises(ValueError, match="read-only"):   # nor a way to write under y's graph
        d.data[0] = 7.0
    assert d.parents == () and d.op is None and not d.requires_grad and d.grad is None
    assert d.name == "y"


def test_numpy_returns_the_data_array_itself():
    t = mg.tensor([1.0, 2.0])
    assert t.numpy() is t.data


@pytest.mark.parametrize("data", [3.5, [3.5], [[3.5]]])
def test_item_returns_the_single_value_as_a_float(data):
    value = mg.tensor(data).item()
    assert type(value) is float and value == 3.5, repr(value)


def test_item_on_a_tensor_of_several_values_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match=r"A\[1\] \(2, 3\).*has 6"):
        mg.tensor(np.ones((2, 3)), name="A[1]").item()


@given(arrays(shape=(1, 1)))
def test_a_one_number_tensor_prints_as_its_number(data):
    # float(J), f"{J:.4f}" and round(J, 4): how a learner prints a cost
    J = mg.tensor(data, name="J")
    value = float(data.item())
    assert type(float(J)) is float and float(J) == value
    assert f"{J:.4f}" == f"{value:.4f}" and f"{J:e}" == f"{value:e}"
    assert round(J, 3) == round(value, 3)
    assert f"{J}" == str(J)   # no format spec: the tensor's own str


def test_formatting_a_tensor_of_several_numbers_is_an_error_naming_it():
    A = mg.tensor(np.ones((1, 3)), name="A[2]")
    with pytest.raises(TypeError, match=r"format '\.2f'.*A\[2\] \(1, 3\) has 3.*\.data"):
        f"{A:.2f}"
    for call, convert in (("float()", float), ("round()", lambda t: round(t, 2)),
                          ("float()", math.isfinite)):
        # the message names the call made, not item(), which the learner did not call
        with pytest.raises(ValueError, match=re.escape(call) + r".*A\[2\] \(1, 3\) has 3"):
            convert(A)
    E = mg.tensor(np.zeros((3, 0)), name="A[1]")   # no number at all (m = 0): as refused
    with pytest.raises(ValueError, match=r"float\(\).*A\[1\] \(3, 0\) has 0"):
        float(E)


def test_repr_shows_values_name_op_and_requires_grad():
    W = mg.tensor([[0.5, -1.25]], requires_grad=True, name="W[1]")
    assert repr(W) == "tensor([[ 0.5 , -1.25]], name='W[1]', requires_grad=True)", repr(W)
    Z = W * 2
    assert repr(Z) == "tensor([[ 1. , -2.5]], op='mul', requires_grad=True)", repr(Z)
    assert repr(mg.tensor(3.0)) == "tensor(3.)", repr(mg.tensor(3.0))


def test_repr_of_a_large_tensor_is_summarised():
    text = repr(mg.tensor(np.arange(1000.0)))
    assert "..." in text and len(text) < 200, text


def test_repr_rounds_to_4_digits_summarises_long_data_and_aligns_rows():
    assert repr(mg.tensor([1.234567])) == "tensor([1.2346])"
    assert repr(mg.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(mg.tensor(np.arange(20.0))).count("...") == 0
    assert repr(mg.tensor(np.arange(21.0))) == (
        "tensor([ 0.,  1.,  2., ..., 18., 19., 20.])")


def test_sum_and_mean_reduce_everything_to_a_scalar_by_default():
    t = mg.tensor(np.ones((2, 3)))
    assert t.sum().shape == () and t.mean().shape == ()
    assert t.sum(axis=1).shape == (2,) and t.mean(axis=0).shape == (3,)


# --- numpy beside a tensor: an error that says .data, never a silent answer ------------------

@pytest.mark.parametrize("use", [
    lambda t, a: np.allclose(t, a),                # was: bad operand type for abs()
    lambda t, a: np.asarray(t).shape,              # was: () (an object array holding t)
    lambda t, a: t == a, lambda t, a: a == t,      # was: False (identity)
    lambda t, a: t != a,                           # was: True
    lambda t, a: float(np.mean(t == a)),           # an accuracy of 0.0
    lambda t, a: t == 0.5,                         # was: False
    lambda t, a: t == a.tolist(),                  # was: False (a list, as a learner types it)
    lambda t, a: (1.0, 0.0) != t,                  # was: True
    lambda t, a: t[0, 1],                          # was: 'Tensor' object is not subscriptable
    lambda t, a: list(t),                          # was: 'Tensor' object is not iterable
    lambda t, a: len(t),                           # was: object of type 'Tensor' has no len()
])
def test_numpy_on_a_tensor_is_an_error_that_says_data(use):
    t = mg.tensor([[0.0, 1.0, 1.0]], name="A[2]")
    with pytest.raises(TypeError, match=r"A\[2\] \(1, 3\).*\.data"):
        use(t, np.array([[0.0, 1.0, 1.0]]))


@pytest.mark.parametrize("draw", ["plot", "hist", "scatter"])
def test_matplotlib_on_a_tensor_is_an_error_that_says_data(draw):
    # plt.plot(t) indexed it (t[:, np.newaxis]): "'Tensor' object is not subscriptable"
    import matplotlib.pyplot as plt   # the plot extra, which the suite runs with
    t = mg.tensor([0.7, 0.5, 0.4], name="costs")
    figure = plt.figure()
    try:
        with pytest.raises(TypeError, match=r"costs \(3,\).*\.data"):
            getattr(plt, draw)(*([t, t] if draw == "scatter" else [t]))
    finally:
        plt.close(figure)


def test_a_tensor_is_still_equal_to_itself_only_and_a_dict_key():
    a, b = mg.tensor(1.0), mg.tensor(1.0)
    assert a == a and a != b and a in [b, a] and None not in [a] and {a: 1}[a] == 1


@pytest.mark.parametrize("compare, symbol", [(lambda t, a: t != a, "!="), (lambda t, a: a != t, "!="),
                                             (lambda t, a: t != 0.5, "!="), (lambda t, a: t == a, "==")])
def test_a_refused_comparison_names_the_operator_written(compare, symbol):
    # t != a said "== between ...": Python's default != asks == and the message named that
    t = mg.tensor([[0.0, 1.0, 1.0]], name="A[2]")
    with pytest.raises(TypeError, match=rf"^{re.escape(symbol)} between A\[2\] \(1, 3\) and "):
        compare(t, np.array([[0.0, 1.0, 1.0]]))


@pytest.mark.parametrize("loop", [iter, lambda t: [v for v in t], lambda t: zip(t, t)])
def test_a_loop_over_a_tensor_says_loop_over_data_at_once(loop):
    # without __iter__, iter(t) succeeded and the first step said "cannot be indexed"
    t = mg.tensor([0.7, 0.5], name="costs")
    with pytest.raises(TypeError, match=r"costs \(2,\) cannot be looped over: loop over its "
                                        r"array, \.data"):
        loop(t)
