"""Bad input gets an exception that names the nodes and shapes involved,
never a bare numpy traceback and never a silently wrong answer."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nets
from tests.strategies import arrays, broadcastable_shapes, repeats_rank_1_rows


def test_matmul_inner_dimension_mismatch_names_both_nodes_and_shapes():
    W = mg.tensor(np.ones((4, 3)), requires_grad=True, name="W[1]")
    X = mg.tensor(np.ones((2, 5)), name="X")
    with pytest.raises(ValueError) as error:
        W @ X
    message = str(error.value)
    assert "W[1] (4, 3) @ X (2, 5)" in message, message
    assert "inner dimensions 3 and 2" in message, message


@pytest.mark.parametrize("A, b, message", [
    (np.ones((2, 5)), np.ones((4, 1)), r"^linear: W\[1\] \(4, 3\), X \(2, 5\), b\[1\] \(4, 1\): "
                                       r"inner dimensions 3 and 2 of W A differ"),
    (np.ones((3, 5)), np.ones(4), r"b\[1\] \(4,\): b \(4,\) does not fit W A \(4, 5\): a bias is "
                                  r"a column \(4, 1\), one value per row: b.reshape\(-1, 1\)$"),
    (np.ones((3, 1)), np.ones(4), r"b \(4,\) is rank-1: .* a bias is a column \(4, 1\): "
                                  r"b.reshape\(-1, 1\)$"),
    (np.ones((3, 5)), np.ones(5), r"b \(5,\) is rank-1: numpy would add its entry j to column j"),
    (np.ones((3, 5)), np.ones((4, 2)), r"b \(4, 2\) does not fit W A \(4, 5\): a bias is \(4, 1\)"),
    (np.ones((3, 5)), np.ones((2, 4, 5)), r"b \(2, 4, 5\) does not fit W A \(4, 5\)"),
    (np.ones(3), np.ones((4, 1)), r"X \(3,\), b\[1\] \(4, 1\): linear takes a 2-D W and A "
                                  r"\(samples as columns\); got 2-D and 1-D"),
])
def test_linear_refuses_what_w_a_plus_b_would_get_wrong_naming_each_input(A, b, message):
    # b must broadcast to W A's shape without growing it, and never as a rank-1
    # row repeated down the rows (numpy's silent case, as + refuses it)
    W = mg.tensor(np.ones((4, 3)), requires_grad=True, name="W[1]")
    X, B = mg.tensor(A, name="X"), mg.tensor(b, requires_grad=True, name="b[1]")
    with pytest.raises(ValueError, match=message):
        mg.linear(W, X, B)


@given(n=st.integers(2, 4), m=st.integers(1, 4), size=st.integers(2, 5))
def test_linear_says_numpy_would_repeat_a_rank_1_b_only_where_it_would_and_each_fix_fits(
        n, m, size):
    # b (size,) beside W A (n, m): numpy repeats it down the rows where size = m
    # (or grows W A where m = 1) and refuses it elsewhere; the message said
    # "numpy would add its entry j to column j" for every size, and offered
    # b.reshape(-1, 1) for a b of m entries, which does not fit either
    W, A, b = np.ones((n, 3)), np.ones((3, m)), np.arange(1.0, size + 1)
    with pytest.raises(ValueError) as error:
        mg.linear(W, A, b)
    message = str(error.value)
    try:
        np.broadcast_shapes((n, m), b.shape)
        numpy_repeats = True
    except ValueError:
        numpy_repeats = False
    assert ("numpy would add its entry j to column j" in message) == numpy_repeats, message
    fixes = re.findall(r"b\.reshape\((-?1), (-?1)\)", message)
    assert fixes or size not in (n, m), message   # a shape that can fit gets its fix
    for fix in fixes:
        Z = mg.linear(W, A, b.reshape(*map(int, fix)))   # each fix offered fits
        assert Z.shape == (n, m), (message, fix)


def test_linear_with_samples_as_rows_says_the_transpose_would_fit():
    W = mg.tensor(np.ones((4, 2)), name="W[1]")
    with pytest.raises(ValueError, match=r"the right operand transposed \(2, 400\) would fit"):
        mg.linear(W, mg.tensor(np.ones((400, 2)), name="X"), np.zeros((4, 1)))


def test_matmul_with_an_unnamed_operand_names_its_op():
    W = mg.tensor(np.ones((4, 3)), name="W[1]")
    with pytest.raises(ValueError, match=r"W\[1\] \(4, 3\) @ <tanh> \(2, 5\)"):
        W @ mg.tensor(np.ones((2, 5))).tanh()


def test_matmul_of_a_numpy_array_with_a_bad_tensor_is_our_error():
    X = mg.tensor(np.ones((2, 5)), name="X")
    with pytest.raises(ValueError, match=r"tensor \(4, 3\) @ X \(2, 5\): inner dimensions"):
        np.ones((4, 3)) @ X


@pytest.mark.parametrize("ndim", [0, 3])
def test_matmul_on_data_that_is_not_1_or_2_d_is_a_value_error(ndim):
    A = mg.tensor(np.ones((2,) * ndim), name="A")
    with pytest.raises(ValueError, match=re.escape(f"A {(2,) * ndim}") + f".*{ndim}-D"):
        A @ mg.tensor(np.ones((2, 2)))


@pytest.mark.parametrize("ndim", [0, 3])
def test_matmul_with_a_right_operand_that_is_not_1_or_2_d_is_a_value_error(ndim):
    B = mg.tensor(np.ones((2,) * ndim), name="B")
    with pytest.raises(ValueError, match=re.escape(f"B {(2,) * ndim}") + f".*2-D and {ndim}-D"):
        mg.tensor(np.ones((2, 2)), name="A") @ B


@pytest.mark.parametrize("symbol, apply", [("+", lambda a, b: a + b), ("-", lambda a, b: a - b),
                                           ("*", lambda a, b: a * b), ("/", lambda a, b: a / b)])
def test_broadcasting_error_names_both_nodes_and_shapes(symbol, apply):
    A = mg.tensor(np.ones((4, 5)), name="A[1]")
    b = mg.tensor(np.ones((3, 1)), name="b[2]")
    with pytest.raises(ValueError) as error:
        apply(A, b)
    message = str(error.value)
    assert f"A[1] (4, 5) {symbol} b[2] (3, 1)" in message, message
    assert "do not broadcast" in message, message


def test_cross_entropy_with_a_label_that_is_not_0_or_1_names_value_and_index():
    A = mg.tensor(np.full((1, 4), 0.5), name="A[2]")
    Y = np.array([[0.0, 1.0, 1.0, 2.0]])
    with pytest.raises(ValueError) as error:
        mg.binary_cross_entropy(A, Y)
    message = str(error.value)
    assert "binary_cross_entropy" in message and "0 and 1" in message, message
    assert "2.0 at (0, 3)" in message, message


def test_cross_entropy_with_a_nan_label_is_a_value_error():
    with pytest.raises(ValueError, match=r"nan at \(0, 1\)"):
        mg.binary_cross_entropy(mg.tensor([[0.5, 0.5]]), np.array([[1.0, np.nan]]))


@pytest.mark.parametrize("y_shape", [(4, 1), (4,), (1, 3), ()])
def test_cross_entropy_with_shapes_that_differ_is_a_value_error_showing_both(y_shape):
    A = mg.tensor(np.full((1, 4), 0.5), name="A[2]")
    with pytest.raises(ValueError, match="same shape") as error:
        mg.binary_cross_entropy(A, np.zeros(y_shape))
    message = str(error.value)
    assert "(1, 4)" in message and str(y_shape) in message, message


@pytest.mark.parametrize("exponent", [mg.tensor(2.0), np.array([2.0]), "2", None, 2j])
def test_pow_with_an_exponent_that_is_not_a_number_is_a_type_error(exponent):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="exponent must be a real number"):
        x ** exponent


def test_a_tensor_as_the_base_of_a_number_power_is_a_type_error():
    with pytest.raises(TypeError):
        2 ** mg.tensor([1.0, 2.0])


@pytest.mark.parametrize("shape", [(4, 2), (7,), (-1, 4), (2, -1, -1)])
def test_reshape_to_a_wrong_size_is_a_value_error_naming_sizes(shape):
    x = mg.tensor(np.ones((2, 3)), name="Z[1]")
    with pytest.raises(ValueError) as error:
        x.reshape(*shape)
    message = str(error.value)
    assert "reshape" in message and "Z[1] (2, 3)" in message and "6" in message, message


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("axis", [2, -3, (0, 2), (0, 0), (1, -1), 1.0, "0"])
def test_reduction_over_a_bad_axis_is_a_value_error_naming_the_node(name, axis):
    x = mg.tensor(np.ones((2, 3)), name="A[1]")
    with pytest.raises(ValueError, match="axis") as error:
        getattr(x, name)(axis=axis)
    assert "A[1] (2, 3)" in str(error.value), str(error.value)


@pytest.mark.parametrize("axes", [(0, 0), (0, 2), (0,), (0, 1, 2)])
def test_transpose_with_bad_axes_is_a_value_error_naming_the_node(axes):
    x = mg.tensor(np.ones((2, 3)), name="A[1]")
    with pytest.raises(ValueError, match=r"transpose: A\[1\] \(2, 3\): bad axes"):
        x.transpose(*axes)


# --- tensor construction and arguments -------------------------------------------------
@pytest.mark.parametrize("name", [5, 1.5, b"W", ["W"]])
def test_a_name_that_is_not_a_str_is_a_type_error(name):
    with pytest.raises(TypeError, match="name must be a str"):
        mg.tensor([1.0], requires_grad=True, name=name)
    with pytest.raises(TypeError, match="name must be a str"):
        mg.as_tensor([1.0], name=name)
    with pytest.raises(TypeError, match="name must be a str"):
        mg.tensor([1.0]).named(name)


@pytest.mark.parametrize("data", [[[1, 2], [3]], [[1.0], [2.0, 3.0]], [1, [2, 3]],
                                  [[[1, 2], [3, 4]], [[5, 6], [7]]]])
def test_ragged_nested_lists_are_a_value_error_saying_so(data):
    with pytest.raises(ValueError, match="ragged nested lists") as error:
        mg.tensor(data)
    assert "inhomogeneous" not in str(error.value)


@pytest.mark.parametrize("make", [mg.tensor, mg.as_tensor])
def test_a_list_of_tensors_is_a_type_error_saying_to_use_their_data(make):
    with pytest.raises(TypeError, match=r"holds Tensors.*t\.data"):
        make([mg.tensor(1.0), mg.tensor(2.0)])


@pytest.mark.parametrize("alpha", ["x", None, 1j, True, [0.1]])
def test_leaky_relu_alpha_that_is_not_a_real_number_is_a_type_error(alpha):
    with pytest.raises(TypeError, match=r"leaky_relu: alpha must be a real number >= 0"):
        mg.tensor([1.0, -1.0]).leaky_relu(alpha)


@pytest.mark.parametrize("alpha", [-0.01, np.nan, np.inf])
def test_leaky_relu_alpha_that_is_negative_or_not_finite_is_a_value_error(alpha):
    with pytest.raises(ValueError, match=r"leaky_relu: .*alpha must be a real number >= 0"):
        mg.tensor([1.0, -1.0], name="Z").leaky_relu(alpha)


@pytest.mark.parametrize("alpha", [0, 0.3, np.float64(0.2), 1])
def test_leaky_relu_takes_any_real_alpha_at_least_zero(alpha):
    out = mg.tensor([2.0, -2.0]).leaky_relu(alpha)
    assert out.data.tolist() == [2.0, -2.0 * alpha]


def test_the_ragged_message_shows_the_data_up_to_60_characters():
    short = [[1.5, 2.5], [3.5]]
    with pytest.raises(ValueError, match=re.escape(f"lengths): {short!r}") + "$"):
        mg.tensor(short)
    exactly_60 = [[0] * 17, [100]]          # repr is 60 characters
    assert len(repr(exactly_60)) == 60
    with pytest.raises(ValueError, match=re.escape(f"lengths): {exactly_60!r}") + "$"):
        mg.tensor(exactly_60)
    longer = [[0] * 18, [100]]              # 63 characters: the first 57 and "..."
    with pytest.raises(ValueError, match=re.escape(f"lengths): {repr(longer)[:57]}...") + "$"):
        mg.tensor(longer)


def test_a_two_input_op_without_a_symbol_lists_its_inputs_with_commas():
    from minigrad.ops import op

    @op("pair", 2)
    def pair(x, y):
        raise ValueError("no")

    with pytest.raises(ValueError, match=r"^pair: a \(2,\), b \(3,\): no$"):
        pair(mg.tensor([1.0, 2.0], name="a"), mg.tensor([1.0, 2.0, 3.0], name="b"))


def test_a_61_character_excerpt_is_cut_too():
    sixty_one = [[0] * 17, [1000]]
    assert len(repr(sixty_one)) == 61
    with pytest.raises(ValueError, match=re.escape(f"lengths): {repr(sixty_one)[:57]}...") + "$"):
        mg.tensor(sixty_one)


# --- what a learner may pass by mistake: refused, not silently turned into numbers -----------

@pytest.mark.parametrize("A", [[[-3.0, 2.0, 40.0]], [[0.2, 1.4, 0.5]], [[0.5, 0.5, -0.6]]])
def test_probabilities_outside_0_1_are_refused_by_the_cross_entropy(A):
    # logits passed for A would be clipped to a wrong J with a zero slope
    Z = mg.tensor(A, requires_grad=True, name="Z[2]")
    with pytest.raises(ValueError, match=r"binary_cross_entropy: Z\[2\] \(1, 3\), tensor \(1, 3\)"
                                         r": A must hold probabilities in \[0, 1\]; got .* "
                                         r"binary_cross_entropy_with_logits"):
        mg.binary_cross_entropy(Z, [[0.0, 1.0, 0.0]])


def test_a_replayed_cross_entropy_refuses_what_the_eager_one_refuses():
    A = mg.tensor([[0.2, 0.9, 0.5]], requires_grad=True)
    tape = mg.record(lambda: mg.binary_cross_entropy(A, [[0.0, 1.0, 0.0]]), [A])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]; got 3.0 at \(0, 1\)"):
        tape.replay(np.array([[0.2, 3.0, 0.5]]))


def test_probabilities_0_and_1_themselves_are_fine():
    assert np.isfinite(mg.binary_cross_entropy([[0.0, 1.0]], [[0.0, 1.0]]).item())


def test_a_tensor_in_an_if_is_its_one_element_or_an_error():
    assert not mg.tensor(0.0) and mg.tensor([[2.0]])
    with pytest.raises(ValueError, match=r"truth value of W \(2,\), of 2 elements"):
        bool(mg.tensor([1.0, 0.0], name="W"))


def test_record_inside_no_grad_says_so():
    W = mg.tensor(np.ones((2, 2)), requires_grad=True)
    with mg.no_grad(), pytest.raises(ValueError, match=r"record: grad is disabled"):
        mg.record(lambda: W.sum(), [W])


def test_an_in_place_right_side_that_does_not_broadcast_names_the_tensor():
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    with mg.no_grad(), pytest.raises(ValueError, match=r"-= on W \(2, 2\): a right side of shape "
                                                       r"\(3, 3\) does not fit"):
        W -= np.ones((3, 3))


@pytest.mark.parametrize("save", [
    lambda J, path: mg.save_graph(J, path),
    lambda J, path: mg.save_backward_animation(J, path.with_suffix(".gif"))])
def test_a_picture_in_a_folder_that_does_not_exist_is_refused_before_drawing(save, tmp_path):
    J = (mg.tensor([1.0, 2.0], requires_grad=True) * 2.0).sum()
    with pytest.raises(FileNotFoundError, match=r"the folder '.*missing' of .* does not exist"):
        save(J, tmp_path / "missing" / "g.png")


def test_pow_with_an_int_beyond_float64_is_a_value_error_not_numpys_overflow():
    with pytest.raises(ValueError, match="an int of 401 digits, is beyond float64's range"):
        mg.tensor([1.0]) ** 10 ** 400


@pytest.mark.parametrize("seed, error", [("a", TypeError), ([[1.0, 2.0], [3.0]], ValueError),
                                         (1j, TypeError)])
@pytest.mark.parametrize("call, caller", [
    (lambda J, seed: J.backward(grad=seed), "backward()"),
    (lambda J, seed: mg.backward_steps(J, grad=seed), "backward_steps")])
def test_a_bad_seed_is_named_as_the_seed(seed, error, call, caller):
    J = (mg.tensor([1.0, 2.0], requires_grad=True) * 2.0).sum()
    with pytest.raises(error, match=rf"^{re.escape(caller)}: grad: tensor data must be"):
        call(J, seed)


def test_a_tensor_seed_is_taken_as_its_data():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward(grad=mg.tensor(2.0))
    steps = mg.backward_steps((x * x).sum(), grad=mg.tensor(2.0))
    assert x.grad.tolist() == [4.0, 8.0] == steps[-1].grad.tolist()


@pytest.mark.parametrize("value, error", [(["a", "b"], TypeError), ([[1.0, 2.0], [3.0]], ValueError),
                                          (np.array([[1j, 2.0]]), TypeError)])
def test_a_bad_replay_value_names_its_leaf(value, error):
    W = mg.tensor([[1.0, 2.0]], requires_grad=True, name="W")
    tape = mg.record(lambda: (W @ mg.tensor([[1.0], [3.0]])).sum(), W)   # one tensor: a list of one
    with pytest.raises(error, match=r"^replay: the value for W \(1, 2\): "):
        tape.replay(value)
    assert tape.replay(np.array([[2.0, 2.0]])) == 8.0 and tape.grads[0].tolist() == [[1.0, 3.0]]


# --- a rank-1 bias: numpy repeats it down the rows, the notes never mean that -----------------

@pytest.mark.parametrize("m", [4, 1])   # m = n_h: Z's shape, wrong numbers; m = 1: Z (4, 4)
@pytest.mark.parametrize("symbol, apply", [("+", lambda a, b: a + b), ("-", lambda a, b: a - b),
                                           ("*", lambda a, b: a * b), ("/", lambda a, b: a / b)])
def test_a_rank_1_bias_that_numpy_would_repeat_down_the_rows_is_refused(m, symbol, apply):
    # numpy adds b (4,) to each row of W X (4, m), entry j to column j (sample j):
    # silently wrong when m = n_h = 4, and a (4, 4) Z when m = 1
    W = mg.tensor(np.ones((4, 2)), requires_grad=True, name="W[1]")
    X = mg.tensor(np.ones((2, m)), name="X")
    b = mg.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True, name="b[1]")
    for left, right, shown in ((W @ X, b, f"<matmul> (4, {m}) {symbol} b[1] (4,)"),
                               (b, W @ X, f"b[1] (4,) {symbol} <matmul> (4, {m})")):
        with pytest.raises(ValueError) as error:
            apply(left, right)
        message = str(error.value)
        assert shown in message, message
        assert "rank-1" in message and ".reshape(-1, 1)" in message, message


@pytest.mark.parametrize("m", [2, 1])
def test_a_rank_1_bias_of_two_entries_is_refused_too(m):
    # the smallest hidden layer, n_h = 2: b (2,) repeated down W X (2, m) is as wrong
    # (m = 2: Z right-shaped, b[j] added to sample j) as at n_h = 4
    W = mg.tensor(np.ones((2, 2)), requires_grad=True, name="W[1]")
    X = mg.tensor(np.ones((2, m)), name="X")
    b = mg.tensor([0.1, 0.2], requires_grad=True, name="b[1]")
    with pytest.raises(ValueError, match="rank-1"):
        W @ X + b
    with pytest.raises(ValueError, match="rank-1"):
        b + W @ X


@pytest.mark.parametrize("shapes", [((4,), (1, 4)), ((4,), (4,)), ((1,), (3, 2)), ((), (3, 2)),
                                    ((4, 1), (4, 3)), ((1, 3), (4, 3))])
def test_what_no_row_repeats_a_rank_1_array_into_still_broadcasts(shapes):
    x, y = (mg.tensor(np.ones(s)) for s in shapes)
    assert (x + y).shape == np.broadcast_shapes(*shapes)


@given(shapes=broadcastable_shapes(rank_1_rows=True), data=st.data())
def test_elementwise_ops_broadcast_as_numpy_but_refuse_a_rank_1_array_repeated_down_rows(
        shapes, data):
    x, y = (data.draw(arrays(s)) for s in shapes)
    if repeats_rank_1_rows(*shapes):
        with pytest.raises(ValueError, match="rank-1"):
            mg.tensor(x) + mg.tensor(y)
    else:
        np.testing.assert_array_equal((mg.tensor(x) + mg.tensor(y)).data, x + y)


def test_matmul_with_samples_as_rows_says_the_transpose_would_fit():
    W = mg.tensor(np.ones((4, 2)), requires_grad=True, name="W[1]")
    X = mg.tensor(np.ones((400, 2)), name="X")   # the sklearn habit: (m, n_x)
    with pytest.raises(ValueError, match=r"^matmul: W\[1\] \(4, 2\) @ X \(400, 2\): inner "
                                         r"dimensions 2 and 400 differ; the right operand "
                                         r"transposed \(2, 400\) would fit: samples are columns"):
        W @ X


def test_matmul_with_a_weight_one_column_per_neuron_says_the_transpose_would_fit():
    W = mg.tensor(np.ones((2, 4)), requires_grad=True, name="W[1]")   # (n_x, n_h)
    X = mg.tensor(np.ones((2, 400)), name="X")
    with pytest.raises(ValueError, match=r"inner dimensions 4 and 2 differ; the left operand "
                                         r"transposed \(4, 2\) would fit: W\[l\] is "
                                         r"\(n\[l\], n\[l-1\]\), one row per neuron"):
        W @ X


def test_matmul_with_the_operands_swapped_says_the_other_order_would_fit():
    # X (n_x, m) @ W[1] (n[1], n_x): neither transpose fits, so no hint was given
    W = mg.tensor(np.ones((4, 2)), requires_grad=True, name="W[1]")
    X = mg.tensor(np.ones((2, 400)), name="X")
    with pytest.raises(ValueError, match=r"^matmul: X \(2, 400\) @ W\[1\] \(4, 2\): inner "
                                         r"dimensions 400 and 4 differ; the operands the other "
                                         r"way round, \(4, 2\) @ \(2, 400\), would fit: "
                                         r"Z\[l\] = W\[l\] A\[l-1\], W\[l\] first"):
        X @ W


@pytest.mark.parametrize("Y, hint", [([[-1.0, 1.0, 1.0]], r"labels in \{-1, 1\}\? \(Y \+ 1\) / 2 makes them 0 and 1"),
                                     ([[1.0, 2.0, 2.0]], r"labels in \{1, 2\}\? Y - 1 makes them 0 and 1")])
def test_labels_of_another_convention_are_refused_with_the_mapping_to_0_1(Y, hint):
    with pytest.raises(ValueError, match=r"Y must hold only 0 and 1; got .* at \(0, [01]\); " + hint):
        mg.binary_cross_entropy_with_logits(mg.tensor([[0.5, -0.5, 2.0]], name="Z[2]"), Y)
    with pytest.raises(ValueError, match=hint):
        nets.TwoLayerNet(2, 3).fit(np.ones((2, 3)), Y, 1)


def test_backward_of_a_result_made_inside_no_grad_says_so():
    W = mg.tensor([[1.0, 2.0]], requires_grad=True, name="W[1]")
    with mg.no_grad():
        J = (W * W).sum().named("J")
    with pytest.raises(ValueError, match=r"backward\(\) on J \(\), which does not depend on any "
                                         r"tensor with requires_grad=True: sum made it inside "
                                         r"no_grad\(\), which records no graph"):
        J.backward()
    with pytest.raises(ValueError, match=r"requires_grad=True$"):   # a plain constant: no more
        mg.tensor(1.0).backward()


@pytest.mark.parametrize("shape", [(3, 3), (3, 1)])
def test_an_in_place_update_of_a_leaf_refuses_a_rank_1_array_repeated_down_rows(shape):
    # + - * / refuse it, but W -= lr * dW_flat on a leaf broadcast it silently
    # (every row of a square W got the same update) and b -= lr * db_flat said only
    # "does not fit", without the keepdims that makes db a column
    W = mg.tensor(np.ones(shape), requires_grad=True, name="W[1]")
    with mg.no_grad(), pytest.raises(ValueError, match=r"^-= on W\[1\] \(3, [13]\): a rank-1 array "
                                                       r"\(3,\) would be repeated .*keepdims"):
        W -= 0.1 * np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(W.data, np.ones(shape))   # left as it was
    row = mg.tensor(np.ones((1, 3)), requires_grad=True, name="W[2]")
    with mg.no_grad():
        row -= np.array([1.0, 2.0, 3.0])   # one row: a rank-1 is that row, as in numpy
    np.testing.assert_array_equal(row.data, [[0.0, -1.0, -2.0]])
