"""nets.init: parameter names, shapes, the course's draw order, variances, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nets import DeepNet
from nets.init import INITIALIZERS, initialize

METHODS = sorted(INITIALIZERS)
RANDOM_METHODS = ["random", "xavier", "he"]

layer_dims = st.lists(st.integers(min_value=1, max_value=8), min_size=2, max_size=5)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.mark.parametrize("method", METHODS)
@given(dims=layer_dims, seed=seeds)
def test_names_shapes_dtype_and_zero_biases(method, dims, seed):
    p = initialize(dims, method=method, seed=seed)
    L = len(dims) - 1
    expected_keys = [k for l in range(1, L + 1) for k in (f"W[{l}]", f"b[{l}]")]
    assert list(p) == expected_keys
    for l in range(1, L + 1):
        W, b = p[f"W[{l}]"], p[f"b[{l}]"]
        assert W.shape == (dims[l], dims[l - 1]), (l, W.shape, dims)
        assert b.shape == (dims[l], 1), (l, b.shape, dims)
        assert W.dtype == np.float64 and b.dtype == np.float64
        assert np.all(b == 0.0), b


@given(dims=layer_dims, seed=seeds, scale=st.floats(min_value=1e-4, max_value=10.0))
def test_random_draws_each_layer_in_order_from_one_generator(dims, seed, scale):
    p = initialize(dims, method="random", scale=scale, seed=seed)
    rng = np.random.RandomState(seed)
    for l in range(1, len(dims)):
        np.testing.assert_array_equal(p[f"W[{l}]"], rng.randn(dims[l], dims[l - 1]) * scale)


@pytest.mark.parametrize("method, factor", [("xavier", 1.0), ("he", 2.0)])
@given(dims=layer_dims, seed=seeds)
def test_xavier_and_he_draw_in_the_same_order_with_their_own_scale(method, factor, dims, seed):
    p = initialize(dims, method=method, seed=seed)
    rng = np.random.RandomState(seed)
    for l in range(1, len(dims)):
        expected = rng.randn(dims[l], dims[l - 1]) * np.sqrt(factor / dims[l - 1])
        np.testing.assert_array_equal(p[f"W[{l}]"], expected)


def test_course_seed_two_gives_the_courses_weights():
    # The course's initialize_parameters(2, 4, 1) output, printed to 8 decimals.
    p = initialize([2, 4, 1], method="random", scale=0.01, seed=2)
    W1 = [[-0.00416758, -0.00056267],
          [-0.02136196, 0.01640271],
          [-0.01793436, -0.00841747],
          [0.00502881, -0.01245288]]
    W2 = [[-0.01057952, -0.00909008, 0.00551454, 0.02292208]]
    np.testing.assert_allclose(p["W[1]"], W1, atol=5e-9)
    np.testing.assert_allclose(p["W[2]"], W2, atol=5e-9)


def test_defaults_are_the_courses_random_scale_and_seed():
    for key, value in initialize([2, 4, 1]).items():
        np.testing.assert_array_equal(value, initialize([2, 4, 1], "random", 0.01, 2)[key])


@given(dims=layer_dims)
def test_zeros_sets_every_weight_to_zero(dims):
    for key, value in initialize(dims, method="zeros").items():
        assert np.all(value == 0.0), (key, value)


@given(dims=layer_dims, value=st.floats(min_value=-10, max_value=10))
def test_constant_sets_every_weight_to_scale(dims, value):
    p = initialize(dims, method="constant", scale=value)
    for l in range(1, len(dims)):
        assert np.all(p[f"W[{l}]"] == value), p[f"W[{l}]"]


@pytest.mark.parametrize("method", RANDOM_METHODS)
@given(dims=layer_dims, seed=seeds)
def test_same_seed_gives_identical_parameters(method, dims, seed):
    p1, p2 = initialize(dims, method, seed=seed), initialize(dims, method, seed=seed)
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])


@pytest.mark.parametrize("method", RANDOM_METHODS)
@given(seed1=seeds, seed2=seeds)
def test_different_seeds_give_different_weights(method, seed1, seed2):
    assume(seed1 != seed2)
    W1 = initialize([3, 4, 1], method, seed=seed1)["W[1]"]
    W2 = initialize([3, 4, 1], method, seed=seed2)["W[1]"]
    assert not np.array_equal(W1, W2)


@pytest.mark.parametrize("method, variance", [
    ("random", 0.01**2), ("xavier", 1 / 500), ("he", 2 / 500)])
def test_weight_variance_on_a_large_layer(method, variance):
    W = initialize([500, 400], method=method, seed=0)["W[1]"]
    # 200,000 draws: the sample variance is within about 1% of the true one
    assert abs(W.var() / variance - 1) < 0.05, (W.var(), variance)
    assert abs(W.mean()) < 0.05 * np.sqrt(variance), W.mean()


# --- errors ---------------------------------------------------------------

@pytest.mark.parametrize("method", ["gaussian", "Random", "", None])
def test_unknown_method_lists_the_valid_ones(method):
    with pytest.raises(ValueError, match="unknown method") as info:
        initialize([2, 4, 1], method=method)
    for valid in METHODS:
        assert valid in str(info.value)


@pytest.mark.parametrize("dims", [
    [2, 0, 1], [2, -3, 1], [0, 4, 1], [2, 4.0, 1], [2, True, 1], [2, "4", 1]])
def test_non_positive_or_non_int_sizes_are_rejected(dims):
    with pytest.raises(ValueError, match="positive int") as info:
        initialize(dims)
    assert str(dims) in str(info.value)


@pytest.mark.parametrize("dims", [[], [3], 5, None])
def test_layer_dims_needs_at_least_two_sizes(dims):
    with pytest.raises(ValueError, match="layer_dims"):
        initialize(dims)


def test_numpy_sizes_and_tuples_are_accepted():
    p = initialize(np.array([3, 5, 2]))
    assert p["W[1]"].shape == (5, 3) and p["W[2]"].shape == (2, 5)
    assert initialize((3, 5, 2))["W[2]"].shape == (2, 5)


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), "0.01", True])
def test_bad_scale_is_rejected(scale):
    with pytest.raises(ValueError, match="scale must be a finite number"):
        initialize([2, 4, 1], scale=scale)


@pytest.mark.parametrize("seed", [-1, 2**32, 2.0, None])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="seed must be an int"):
        initialize([2, 4, 1], seed=seed)


@pytest.mark.parametrize("scale", [1e308, -1e308])
def test_a_scale_whose_weights_overflow_is_refused_without_a_warning(scale):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="scale .* overflow float64"):
            initialize([2, 4, 1], "random", scale=scale)


@pytest.mark.parametrize("method", ["random", "constant"])
def test_no_scale_means_the_course_default_for_the_inits_that_take_one(method):
    np.testing.assert_array_equal(initialize([2, 4, 1], method, seed=2)["W[1]"],
                                  initialize([2, 4, 1], method, scale=0.01, seed=2)["W[1]"])


@pytest.mark.parametrize("method", ["zeros", "xavier", "he"])
@pytest.mark.parametrize("scale", [0.5, 0.01, 0.0])
def test_a_scale_given_to_an_init_that_takes_none_is_refused(method, scale):
    # a learner who passes a scale expects it to matter; dropping it was silent
    with pytest.raises(ValueError) as info:
        initialize([2, 4, 1], method, scale=scale)
    message = str(info.value)
    assert f"init {method!r} takes no scale" in message, message
    assert "'random' and 'constant'" in message, message


@pytest.mark.parametrize("layer_dims", [
    iter([2, 3, 1]), (n for n in [2, 3, 1]), {2, 3, 1}, {2: 1, 3: 1, 1: 1}, "231",
    b"\x02\x03\x01"], ids=["iterator", "generator", "set", "dict", "str", "bytes"])
def test_layer_dims_that_are_no_ordered_sequence_are_refused_naming_what_came(layer_dims):
    # an iterator was used up by initialize and the net failed with "IndexError: list
    # index out of range"; a dict's keys and a bytes' values were taken as sizes
    kind = type(layer_dims).__name__
    for make in (lambda: initialize(layer_dims), lambda: DeepNet(layer_dims)):
        with pytest.raises(ValueError, match=rf"^initialize: layer_dims must be a sequence of "
                                             rf"layer sizes .*\(a {kind}: pass a list\)$"):
            make()


@pytest.mark.parametrize("layer_dims", [[2, 3, 1], (2, 3, 1), range(2, 0, -1),
                                        np.array([2, 3, 1])])
def test_lists_tuples_ranges_and_int_arrays_are_layer_dims(layer_dims):
    net = DeepNet(layer_dims)
    assert net.layer_dims == [int(n) for n in layer_dims]
    assert list(net.params) == [f"{k}[{l}]" for l in range(1, net.L + 1) for k in "Wb"]


def test_a_layer_no_machine_holds_is_a_memory_error_naming_the_layer_and_its_shape():
    # numpy's own "Unable to allocate 14.6 PiB for an array with shape ..." names no layer
    with pytest.raises(MemoryError, match=r"^initialize: W\[1\] \(1000000000000000, 2\) of "
                                          r"layer_dims \[2, 1000000000000000, 1\] needs "
                                          r"14\.2 PiB of float64"):
        DeepNet([2, 10 ** 15, 1])


def test_an_output_layer_of_many_units_is_refused_before_its_weights_are_allocated():
    with pytest.raises(ValueError, match="one sigmoid unit .* ending in 1000000000000000"):
        DeepNet([2, 3, 10 ** 15])
