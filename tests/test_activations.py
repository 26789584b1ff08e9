"""nets.activations: g' against central differences of g, the notes' named facts, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from nets import activations as act
from nets.activations import ACTIVATIONS, Activation, get

NAMES = sorted(ACTIVATIONS)
ALPHA = 0.01

smooth_z = arrays(np.float64, array_shapes(max_dims=3, max_side=5),
                  elements=st.floats(-20, 20))
# at least 1e-3 from the kink at 0, so z ± h stays on one side
kinked_z = arrays(np.float64, array_shapes(max_dims=3, max_side=5),
                  elements=st.floats(1e-3, 50) | st.floats(-50, -1e-3))
alphas = st.floats(min_value=0.0, max_value=1.0)


def central_difference(g, z, h=1e-6):
    return (g(z + h) - g(z - h)) / (2 * h)


# --- g' against numerical differentiation ----------------------------------------

@pytest.mark.parametrize("name", NAMES)
@given(z=kinked_z)
def test_derivative_matches_central_difference(name, z):
    a = ACTIVATIONS[name]
    np.testing.assert_allclose(a.g_prime(z), central_difference(a.g, z),
                               rtol=1e-6, atol=1e-8, err_msg=f"{name}'(z) at z = {z}")


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@given(z=smooth_z)
def test_smooth_derivatives_match_central_difference_near_zero_too(name, z):
    a = ACTIVATIONS[name]
    np.testing.assert_allclose(a.g_prime(z), central_difference(a.g, z),
                               rtol=1e-6, atol=1e-8)


@given(z=kinked_z, alpha=alphas)
def test_leaky_relu_derivative_matches_central_difference_for_any_alpha(z, alpha):
    leaky = get("leaky_relu", alpha=alpha)
    np.testing.assert_allclose(leaky.g_prime(z), central_difference(leaky.g, z),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
@given(z=smooth_z)
def test_derivative_from_a_equals_derivative_from_z(name, z):
    a = ACTIVATIONS[name]
    np.testing.assert_allclose(a.g_prime_from_a(a.g(z)), a.g_prime(z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
@given(z=smooth_z)
def test_shape_and_dtype_are_kept(name, z):
    a = ACTIVATIONS[name]
    for out in (a.g(z), a.g_prime(z), a.g_prime_from_a(a.g(z))):
        assert out.shape == z.shape and out.dtype == np.float64, (out.shape, out.dtype)


@pytest.mark.parametrize("name", NAMES)
def test_lists_and_ints_become_float64(name):
    out = ACTIVATIONS[name].g([[-2, 0, 3]])
    assert out.dtype == np.float64 and out.shape == (1, 3)


# --- the notes' named facts --------------------------------------------------------

def test_sigmoid_slope_at_zero_is_quarter():
    assert act.sigmoid(0.0) == 0.5
    assert act.sigmoid_prime(0.0) == 0.25


def test_tanh_slope_at_zero_is_one():
    assert act.tanh(0.0) == 0.0
    assert act.tanh_prime(0.0) == 1.0


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@given(z=st.floats(10, 1e6) | st.floats(-1e6, -10))
def test_sigmoid_and_tanh_saturate_for_large_z(name, z):
    slope = ACTIVATIONS[name].g_prime(z)
    assert 0 <= slope < 1e-4, f"{name}'({z}) = {slope}"


def test_relu_slope_at_zero_is_zero():
    assert act.relu_prime(0.0) == 0.0
    assert act.relu_prime(-0.0) == 0.0


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.0])
def test_leaky_relu_slope_at_zero_is_alpha(alpha):
    assert act.leaky_relu_prime(0.0, alpha) == alpha
    assert get("leaky_relu", alpha=alpha).g_prime(0.0) == alpha


def test_leaky_relu_default_alpha_is_one_hundredth():
    assert act.leaky_relu(-1.0) == -ALPHA
    assert ACTIVATIONS["leaky_relu"].g_prime(-3.0) == ALPHA


@given(z=smooth_z)
def test_leaky_relu_with_zero_alpha_is_relu(z):
    np.testing.assert_array_equal(act.leaky_relu(z, alpha=0.0), act.relu(z))
    np.testing.assert_array_equal(act.leaky_relu_prime(z, alpha=0.0), act.relu_prime(z))


def test_leaky_relu_with_zero_alpha_is_relu_at_infinities_too():
    z = np.array([-np.inf, -1.0, 0.0, np.inf])
    np.testing.assert_array_equal(act.leaky_relu(z, alpha=0.0), [0.0, 0.0, 0.0, np.inf])


@given(z=smooth_z)
def test_identity_is_linear_with_slope_one(z):
    np.testing.assert_array_equal(act.identity(z), z)
    np.testing.assert_array_equal(act.identity_prime(z), np.ones_like(z))


def test_identity_returns_a_copy():
    z = np.array([1.0, 2.0])
    act.identity(z)[0] = 99.0
    assert z[0] == 1.0


# --- sigmoid is numerically stable --------------------------------------------------

def test_sigmoid_at_plus_minus_1000_is_finite_and_silent():
    z = np.array([-1000.0, 1000.0])
    # errors for every floating point event, even where the user set np.seterr(all="raise")
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        a, slope = act.sigmoid(z), act.sigmoid_prime(z)
    np.testing.assert_array_equal(a, [0.0, 1.0])
    np.testing.assert_array_equal(slope, [0.0, 0.0])


@given(z=st.floats(-700, 700))
def test_sigmoid_is_symmetric(z):
    assert act.sigmoid(-z) == pytest.approx(1 - act.sigmoid(z), abs=1e-15)


@given(z=st.floats(-700, 30))
def test_sigmoid_equals_the_textbook_formula_with_full_precision(z):
    # e^-z is finite for z > -709, so the textbook formula is safe to compare with here;
    # the stable one must agree to the last few bits, also far into the left tail
    assert act.sigmoid(z) == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-13)


def test_nan_stays_nan():
    for name in NAMES:
        assert np.isnan(ACTIVATIONS[name].g(np.nan)), name


# --- registry -----------------------------------------------------------------

def test_registry_holds_every_documented_activation():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}
    for name, a in ACTIVATIONS.items():
        assert isinstance(a, Activation) and a.name == name


@pytest.mark.parametrize("name", NAMES)
def test_get_returns_the_registered_activation(name):
    assert get(name) is ACTIVATIONS[name]
    assert get(ACTIVATIONS[name]) is ACTIVATIONS[name]


@pytest.mark.parametrize("name", ["softmax", "Tanh", "", None])
def test_get_unknown_name_lists_the_valid_ones(name):
    with pytest.raises(ValueError, match="unknown activation") as info:
        get(name)
    for valid in NAMES:
        assert valid in str(info.value)


@pytest.mark.parametrize("name, params", [
    ("tanh", {"alpha": 0.1}), ("leaky_relu", {"beta": 0.1}),
    ("leaky_relu", {"alpha": 0.1, "beta": 1})])
def test_get_rejects_parameters_an_activation_does_not_take(name, params):
    with pytest.raises(ValueError, match="takes"):
        get(name, **params)


@pytest.mark.parametrize("alpha", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_alpha_is_rejected(alpha):
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        act.leaky_relu(1.0, alpha)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        get("leaky_relu", alpha=alpha)


# --- one registry: each Activation carries its parameters to every use -------------

import copy  # noqa: E402
import pickle  # noqa: E402

import minigrad as mg  # noqa: E402
from tests.strategies import activations_with_params  # noqa: E402


@given(act_=activations_with_params(), z=kinked_z)
def test_the_engine_op_is_g_with_the_same_parameters_forward_and_backward(act_, z):
    Z = mg.tensor(z, requires_grad=True)
    A = act_.op(Z)
    np.testing.assert_allclose(A.data, act_.g(z), rtol=1e-15, atol=0, err_msg=str(act_))
    bound = act_.bound_op()(Z)   # fit's form: the same op, the same parameters
    assert bound.op == A.op and bound.data.tobytes() == A.data.tobytes()
    A.backward(np.ones_like(z))
    np.testing.assert_allclose(Z.grad, act_.g_prime(z), rtol=1e-12, atol=1e-300,
                               err_msg=str(act_))


@given(alpha=alphas)
def test_a_leaky_slope_is_kept_by_every_form_of_the_activation(alpha):
    leaky = get("leaky_relu", alpha=alpha)
    assert leaky.alpha == alpha and leaky.kwargs == {"alpha": alpha}
    assert str(leaky) == f"leaky_relu(alpha={alpha!r})"
    assert leaky.g(-1.0) == -alpha and leaky.g_prime(-1.0) == alpha
    assert leaky.g_prime_from_a(-alpha) == alpha or alpha == 0.0
    assert leaky.op(mg.tensor(-1.0)).item() == -alpha
    for twin in (copy.copy(leaky), copy.deepcopy(leaky), pickle.loads(pickle.dumps(leaky))):
        assert twin == leaky and twin.alpha == alpha


def test_an_activation_without_parameters_has_none_to_read():
    tanh = get("tanh")
    assert tanh.params == () and tanh.kwargs == {} and str(tanh) == "tanh"
    with pytest.raises(AttributeError, match="alpha"):
        tanh.alpha
    with pytest.raises(ValueError, match="'tanh' takes no parameters; got alpha"):
        tanh.with_params(alpha=0.1)


def test_with_params_checks_what_it_gets():
    leaky = get("leaky_relu")
    assert leaky.with_params(alpha=0.3) == get("leaky_relu", alpha=0.3) != leaky
    with pytest.raises(ValueError, match="takes only alpha; got beta"):
        leaky.with_params(beta=1.0)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        leaky.with_params(alpha=-1)


def test_names_are_the_registry_and_the_engine_keeps_no_list_of_its_own():
    assert act.NAMES == tuple(ACTIVATIONS)
    assert not hasattr(mg.functional, "ACTIVATIONS")
    assert not hasattr(mg.functional, "activation")
