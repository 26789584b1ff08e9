"""nets.data: the planar datasets, their shapes, seeds and errors."""
import contextlib
import io

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nets
from nets import data

NAMES = sorted(data.DATASETS)
# datasets whose only randomness is the noise: noise=0 gives the exact shape
NOISE_ONLY = ["flower", "moons", "circles", "blobs"]

sizes = st.integers(min_value=2, max_value=300)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


# --- properties every dataset has -----------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@given(m=sizes, seed=seeds)
def test_shapes_dtype_and_labels(name, m, seed):
    X, Y = data.DATASETS[name](m=m, seed=seed)
    assert X.shape == (2, m) and Y.shape == (1, m), (X.shape, Y.shape)
    assert X.dtype == np.float64 and Y.dtype == np.float64, (X.dtype, Y.dtype)
    assert np.all(np.isfinite(X))
    assert set(np.unique(Y)) <= {0.0, 1.0}, np.unique(Y)


@pytest.mark.parametrize("name", NAMES)
@given(m=sizes, seed=seeds)
def test_class_zero_first_and_takes_the_extra_point_of_odd_m(name, m, seed):
    _, Y = data.DATASETS[name](m=m, seed=seed)
    n0 = (m + 1) // 2
    expected = np.concatenate([np.zeros(n0), np.ones(m - n0)])
    np.testing.assert_array_equal(Y[0], expected)


@pytest.mark.parametrize("name", NAMES)
@given(m=sizes, seed=seeds)
def test_same_seed_gives_identical_data(name, m, seed):
    X1, Y1 = data.DATASETS[name](m=m, seed=seed)
    X2, Y2 = data.DATASETS[name](m=m, seed=seed)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)


@pytest.mark.parametrize("name", NAMES)
@given(m=sizes, seed1=seeds, seed2=seeds)
def test_different_seeds_give_different_points(name, m, seed1, seed2):
    assume(seed1 != seed2)
    X1, _ = data.DATASETS[name](m=m, seed=seed1)
    X2, _ = data.DATASETS[name](m=m, seed=seed2)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize("name", NAMES)
def test_datasets_leave_numpys_global_random_state_alone(name):
    before = np.random.get_state()
    data.DATASETS[name]()
    after = np.random.get_state()
    assert before[0] == after[0] and before[2:] == after[2:]
    np.testing.assert_array_equal(before[1], after[1])


@pytest.mark.parametrize("name", NOISE_ONLY)
@given(m=sizes, seed1=seeds, seed2=seeds)
def test_without_noise_the_seed_does_not_matter(name, m, seed1, seed2):
    X1, _ = data.DATASETS[name](m=m, seed=seed1, noise=0.0)
    X2, _ = data.DATASETS[name](m=m, seed=seed2, noise=0.0)
    np.testing.assert_array_equal(X1, X2)


# --- the flower: exactly the course's ---------------------------------------------

def test_flower_first_point_is_the_courses():
    X, Y = data.flower()
    np.testing.assert_allclose(X[:, 0], [1.204442, 3.576114], atol=5e-7)
    assert Y[0, 0] == 0.0


def _course_load_planar_dataset(m, seed):
    """The course's load_planar_dataset, rows-as-samples, then transposed
    (RandomState(seed) is the same stream as its np.random.seed(seed))."""
    rng = np.random.RandomState(seed)
    N, D, a = m // 2, 2, 4
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.randn(N) * 0.2
        r = a * np.sin(4 * t) + rng.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


@given(half=st.integers(min_value=1, max_value=300), seed=seeds)
def test_flower_matches_the_course_code_for_even_m(half, seed):
    X, Y = data.flower(m=2 * half, seed=seed)
    X_ref, Y_ref = _course_load_planar_dataset(2 * half, seed)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(Y, Y_ref.astype(np.float64))


def test_flower_without_noise_lies_on_the_rose_curve():
    X, _ = data.flower(noise=0.0)
    r = np.hypot(X[0], X[1])
    t = np.arctan2(X[0], X[1])                 # x1 = r sin t, x2 = r cos t
    np.testing.assert_allclose(r, np.abs(4 * np.sin(4 * t)), atol=1e-12)


# --- the other shapes, without noise ---------------------------------------------

@given(m=sizes)
def test_moons_without_noise_lie_on_their_half_circles(m):
    X, Y = data.moons(m=m, noise=0.0)
    c0, c1 = X[:, Y[0] == 0], X[:, Y[0] == 1]
    np.testing.assert_allclose(np.hypot(c0[0], c0[1]), 1.0)
    np.testing.assert_allclose(np.hypot(c1[0] - 1.0, c1[1] - 0.5), 1.0)
    assert np.all(c0[1] >= -1e-12) and np.all(c1[1] <= 0.5 + 1e-12)


@given(m=sizes, factor=st.floats(min_value=0.05, max_value=0.95))
def test_circles_without_noise_have_radius_one_and_factor(m, factor):
    X, Y = data.circles(m=m, noise=0.0, factor=factor)
    radius = np.hypot(X[0], X[1])
    np.testing.assert_allclose(radius[Y[0] == 0], 1.0)
    np.testing.assert_allclose(radius[Y[0] == 1], factor)


@given(m=sizes, seed=seeds)
def test_xor_without_noise_labels_opposite_sign_quadrants(m, seed):
    X, Y = data.xor(m=m, seed=seed, noise=0.0)
    assert np.all(np.abs(X) <= 1.0)
    np.testing.assert_array_equal(Y[0], (X[0] * X[1] < 0).astype(np.float64))


@given(m=sizes, seed=seeds)
def test_gaussian_quantiles_ring_lies_outside_the_disc(m, seed):
    X, Y = data.gaussian_quantiles(m=m, seed=seed)
    r2 = np.sum(X * X, axis=0)
    assert r2[Y[0] == 0].max() <= r2[Y[0] == 1].min()


def test_blobs_class_means_are_near_their_centres():
    X, Y = data.blobs(m=4000, seed=0)
    np.testing.assert_allclose(X[:, Y[0] == 0].mean(axis=1), [-1.5, -1.5], atol=0.1)
    np.testing.assert_allclose(X[:, Y[0] == 1].mean(axis=1), [1.5, 1.5], atol=0.1)


def test_blobs_noise_is_the_standard_deviation():
    X, Y = data.blobs(m=20000, seed=0, noise=0.5)
    np.testing.assert_allclose(X[:, Y[0] == 0].std(axis=1), [0.5, 0.5], rtol=0.05)


# --- errors ---------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("m", [1, 0, -4, 2.0, 400.5, "400", None, True])
def test_bad_sizes_are_rejected_with_the_value(name, m):
    with pytest.raises(ValueError, match=r"m must be") as info:
        data.DATASETS[name](m=m)
    assert name in str(info.value) and repr(m) in str(info.value)


def test_smallest_size_is_two_and_numpy_ints_are_accepted():
    X, Y = data.flower(m=np.int64(2))
    assert X.shape == (2, 2) and Y.tolist() == [[0.0, 1.0]]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf"), "0.2", None])
def test_bad_noise_is_rejected(name, noise):
    with pytest.raises(ValueError, match=r"noise must be a finite number >= 0"):
        data.DATASETS[name](noise=noise)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, None])
def test_bad_seeds_are_rejected(name, seed):
    with pytest.raises(ValueError, match=r"seed must be an int"):
        data.DATASETS[name](seed=seed)


@pytest.mark.parametrize("factor", [0, 1, 1.5, -0.5])
def test_circles_factor_must_be_between_zero_and_one(factor):
    with pytest.raises(ValueError, match=r"factor .* must be a number in \(0, 1\)"):
        data.circles(factor=factor)


# --- lookup by name -------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_load_calls_the_named_dataset_with_its_arguments(name):
    X1, Y1 = data.load(name, m=7, seed=3)
    X2, Y2 = data.DATASETS[name](m=7, seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)


def test_load_accepts_command_line_spellings():
    X1, _ = data.load("Gaussian-Quantiles", m=10)
    X2, _ = data.gaussian_quantiles(m=10)
    np.testing.assert_array_equal(X1, X2)


@pytest.mark.parametrize("name", ["spiral", "", None, 3])
def test_load_unknown_name_lists_the_valid_ones(name):
    with pytest.raises(ValueError, match="unknown dataset") as info:
        data.load(name)
    for valid in NAMES:
        assert valid in str(info.value)


def test_datasets_holds_every_documented_name():
    assert set(data.DATASETS) == {"flower", "moons", "circles", "xor", "blobs",
                                  "gaussian_quantiles"}


# --- one seed rule for the datasets, the initialisers and the command line ---------

from nets import cli, seeds  # noqa: E402
from nets.init import initialize  # noqa: E402


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32), st.booleans(),
                 st.floats(0, 10), st.just("1"), st.none()))
def test_every_seed_the_rule_refuses_is_refused_everywhere_with_its_words(seed):
    for make, where in [(lambda: nets.data.flower(m=4, seed=seed), "flower"),
                        (lambda: nets.data.xor(m=4, seed=seed), "xor"),
                        (lambda: initialize([2, 3, 1], seed=seed), "initialize")]:
        with pytest.raises(ValueError, match=f"^{where}: seed must be an int in "
                                             r"\[0, 2\*\*32 - 1\]"):
            make()
    if isinstance(seed, int) and not isinstance(seed, bool):
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            assert cli.main(["train", "--seed", str(seed)]) == 2
        assert seeds.SEED_RANGE in stderr.getvalue(), stderr.getvalue()


@given(st.integers(0, 2**32 - 1))
def test_every_seed_the_rule_accepts_is_accepted_everywhere(seed):
    assert seeds.check_seed(seed, "x") == seed
    assert nets.data.flower(m=4, seed=seed)[0].shape == (2, 4)
    assert initialize([2, 3, 1], seed=seed)["W[1]"].shape == (3, 2)
