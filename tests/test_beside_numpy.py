"""numpy called on a tensor (minigrad/beside_numpy.py): the operators are the ops,
np.shape and its kin answer, and every other call is an error that names the
node and what to write, never numpy's "operand 'Tensor' does not support ufuncs"."""
import re

import numpy as np
import pytest

import minigrad as mg


def node(name="Z[1]"):
    return mg.tensor([[0.5, -1.0, 2.0]], requires_grad=True, name=name)


# (numpy's call as the course writes it, minigrad's op the message names, the op run)
COURSE_CALLS = [
    (lambda t: np.tanh(t), "mg.tanh(Z[1]) or Z[1].tanh()", lambda t: mg.tanh(t)),
    (lambda t: np.exp(t), "mg.exp(Z[1]) or Z[1].exp()", lambda t: t.exp()),
    (lambda t: np.log(t * t), "mg.log(t) or t.log()", lambda t: mg.log(t * t)),
    (lambda t: np.dot(t.T, t), "A @ B (mg.matmul(A, B))", lambda t: t.T @ t),
    (lambda t: np.sum(t, axis=1, keepdims=True), "mg.sum(Z[1], axis=..., keepdims=...)",
     lambda t: t.sum(axis=1, keepdims=True)),
    (lambda t: np.mean(t), "mg.mean(Z[1], axis=..., keepdims=...) or Z[1].mean(...)",
     lambda t: mg.mean(t)),
    (lambda t: np.transpose(t), "Z[1].T", lambda t: t.T),
    (lambda t: np.reshape(t, (3, 1)), "Z[1].reshape(...)", lambda t: t.reshape(3, 1)),
    (lambda t: np.square(t), "Z[1] ** 2", lambda t: t ** 2),
    (lambda t: np.sqrt(t * t), "t ** 0.5", lambda t: (t * t) ** 0.5),
    (lambda t: np.maximum(0, t), "mg.relu(Z[1]) for np.maximum(0, Z[1])", lambda t: mg.relu(t)),
]


@pytest.mark.parametrize("call, spelled, op", COURSE_CALLS)
def test_the_course_s_numpy_call_on_a_tensor_names_the_node_and_the_op(call, spelled, op):
    t = node()
    with pytest.raises(TypeError, match=r"^numpy cannot take .*\(.*\) as an array: on tensors, "
                                        r"np\.\w+ is " + re.escape(spelled)) as error:
        call(t)
    assert "gives numbers only, and no gradient" in str(error.value)
    # what the message says to write is right: the op gives numpy's numbers, in a graph
    data = mg.tensor(t.data)
    expected = call(data.data)
    made = op(t)
    assert made.requires_grad and made.op is not None
    np.testing.assert_allclose(made.data, expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("call", [
    lambda t, a: np.abs(t),                        # was: does not support ufuncs
    lambda t, a: np.isfinite(t),
    lambda t, a: np.squeeze(t),                    # the course's float(np.squeeze(cost))
    lambda t, a: np.linalg.norm(t),
    lambda t, a: np.array_equal(t, a),             # was: False
    lambda t, a: np.isclose(t, a),
    lambda t, a: np.zeros_like(t),
    lambda t, a: np.concatenate([a, t]),
    lambda t, a: np.where(a > 0, t, a),
    lambda t, a: np.add.reduce(t),                 # a ufunc's other methods
    lambda t, a: np.multiply.outer(a, t),
    lambda t, a: a < t,                            # was: '<' not supported between ...
    lambda t, a: np.power(t, 2, dtype=np.float64),
])
def test_numpy_without_an_op_on_tensors_says_data(call):
    with pytest.raises(TypeError, match=r"^numpy cannot take Z\[1\] \(1, 3\) as an array: use "
                                        r"its array, \.data \(or \.item\(\) for its one number\)"):
        call(node(), np.array([[0.5, -1.0, 2.0]]))


def every_ufunc():
    found = {id(u): u for u in vars(np).values() if isinstance(u, np.ufunc) and u.nout == 1}
    return sorted(found.values(), key=lambda u: u.__name__)   # np.pow is np.power: once


OPERATORS = {np.add, np.subtract, np.multiply, np.true_divide, np.matmul, np.power,
             np.negative}


@pytest.mark.parametrize("ufunc", every_ufunc(), ids=lambda u: u.__name__)
def test_every_ufunc_on_a_tensor_is_an_op_or_an_error_naming_the_node(ufunc):
    # never an object array, a bool array or numpy's own message
    t = mg.tensor(np.full((2, 2), 0.5), requires_grad=True, name="A[1]")
    # the second input an array, but for power's exponent: a number, as pow takes
    inputs = [t] + [2.0 if ufunc is np.power else np.full((2, 2), 0.25)] * (ufunc.nin - 1)
    try:
        made = ufunc(*inputs)
    except TypeError as error:
        assert ufunc not in OPERATORS
        assert re.match(r"(numpy cannot take A\[1\] \(2, 2\)|[=!]= between A\[1\] \(2, 2\))",
                        str(error)), str(error)
    else:
        assert ufunc in OPERATORS
        assert isinstance(made, mg.Tensor) and made.requires_grad
        np.testing.assert_array_equal(made.data, ufunc(*[t.data] + inputs[1:]))


@pytest.mark.parametrize("call, op", [
    (lambda a, t: a + t, "add"), (lambda a, t: np.add(a, t), "add"),
    (lambda a, t: a - t, "sub"), (lambda a, t: np.float64(2.0) * t, "mul"),
    (lambda a, t: a / t, "div"), (lambda a, t: a.T @ t, "matmul"),
    (lambda a, t: np.matmul(a.T, t), "matmul"), (lambda a, t: np.power(t, 2), "pow"),
    (lambda a, t: np.negative(t), "neg"),
])
def test_numpy_s_operators_with_a_tensor_are_the_ops_and_carry_the_gradient(call, op):
    a, t = np.array([[2.0, 4.0, 8.0]]), node()
    made = call(a, t)
    assert isinstance(made, mg.Tensor) and made.op == op
    np.testing.assert_array_equal(made.data, call(a, t.data))
    made.sum().backward()
    assert t.grad is not None and t.grad.shape == t.shape


def test_an_array_plus_equals_a_tensor_says_to_make_a_tensor_and_leaves_the_array():
    a, t = np.array([[2.0, 4.0, 8.0]]), node()
    with pytest.raises(TypeError, match=r"^numpy cannot write into an array what Z\[1\] "
                                        r"\(1, 3\) makes .*write a = a \+ t, or use its "
                                        r"array, \.data"):
        a += t
    np.testing.assert_array_equal(a, [[2.0, 4.0, 8.0]])


def test_the_exponent_of_numpy_s_power_is_refused_as_pow_refuses_it():
    with pytest.raises(TypeError, match=r"^pow: the exponent must be a real number; got Tensor"):
        np.array([2.0]) ** mg.tensor([1.0])


@pytest.mark.parametrize("ask, expected", [(np.shape, (1, 3)), (np.ndim, 2), (np.size, 3)])
def test_np_shape_ndim_and_size_answer_for_a_tensor(ask, expected):
    assert ask(node()) == expected


def test_an_array_compared_with_a_tensor_gets_the_tensor_s_own_refusal():
    a = np.array([[0.5, -1.0, 2.0]])
    for compare, symbol in [(lambda: a == node(), "=="), (lambda: a != node(), "!="),
                            (lambda: np.float64(0.5) == node(), "==")]:
        with pytest.raises(TypeError, match=rf"^{symbol} between Z\[1\] \(1, 3\) and "):
            compare()


def test_an_unnamed_or_oddly_named_node_is_spelled_t():
    for t in (node(None) * 2.0, node("my z")):
        with pytest.raises(TypeError, match=r"np\.tanh is mg\.tanh\(t\) or t\.tanh\(\)"):
            np.tanh(t)


@pytest.mark.parametrize("axes", [(), (None,), ((1, 0),), (1, 0)])
def test_transpose_takes_none_as_numpy_s_transpose_does(axes):
    t = node()
    assert t.transpose(*axes).shape == (3, 1)
