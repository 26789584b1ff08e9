"""nets.experiments: each of the notes' claims, asserted on the experiment's
own numbers (small sizes, so the file runs in seconds). The experiments train:
their tests are ``numerics`` ones, run also with every net's initial weights,
or every dataset, moved by one ulp (tests/conftest.py)."""
import dataclasses
import warnings
import math

import numpy as np
import pytest

import nets.network
from nets import data
from nets import experiments as E
from tests.test_plots import png_size


# --- zero-init --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zero(nudge):
    with nudge.everywhere():
        return E.zero_init(iterations=300, m=100)


@pytest.mark.numerics
def test_zero_init_keeps_every_row_of_w1_exactly_equal(zero):
    # W[2] = 0 gives dZ[1] = 0 exactly, so W[1] never leaves 0: no rounding can split it
    assert zero.spread["zeros"] == 0.0, zero.spread
    assert not zero.runs["zeros"].net.params["W[1]"].any()


@pytest.mark.numerics
def test_constant_init_keeps_the_hidden_units_identical_up_to_rounding(zero):
    # "Up to rounding" holds for short runs only: the symmetric state is unstable
    # in float64. Rows one ulp apart (the weights nudge; a BLAS that rounds rows
    # differently, as for odd n[1]) are 3e-15 apart after these 300 iterations,
    # 5e-12 after 3000, and far apart after 10,000 on the m = 400 flower.
    W1 = zero.runs["constant"].net.params["W[1]"]
    assert zero.identical_units("constant"), f"spread {zero.spread['constant']}:\n{W1}"
    assert np.abs(W1).max() > 0.1, W1         # the units did learn: identical, not dead


@pytest.mark.numerics
def test_a_symmetric_net_predicts_what_one_unit_predicts(zero):
    assert zero.one_unit_gap["zeros"] == 0.0, zero.one_unit_gap
    assert zero.one_unit_gap["constant"] < 1e-12, zero.one_unit_gap


@pytest.mark.numerics
def test_random_init_breaks_the_symmetry_and_trains_better(zero):
    assert zero.spread["random"] > 0.1, zero.spread
    assert not zero.identical_units("random")
    costs = {k: r.final_cost for k, r in zero.runs.items()}
    assert costs["random"] < min(costs["zeros"], costs["constant"]) - 0.05, costs


@pytest.mark.numerics
def test_zero_init_learns_nothing_and_constant_no_better_than_one_unit(zero):
    runs = zero.runs
    assert runs["zeros"].final_cost == pytest.approx(math.log(2), abs=1e-12)
    assert runs["zeros"].accuracy == 0.5, runs["zeros"].accuracy
    one = runs["random, n[1] = 1"]
    assert runs["constant"].final_cost >= one.final_cost - 0.02, \
        (runs["constant"].final_cost, one.final_cost)


@pytest.mark.numerics
def test_the_zero_init_table_has_a_row_per_init_and_the_spread(zero):
    table = zero.table()
    for label in ("random", "zeros", "constant", "random, n[1] = 1"):
        assert label in table, table
    assert "max |W[1] row i - row 0|" in table and "yes" in table, table


def _cell(table: str, label: str) -> str:
    """The "units identical" cell of ``label``'s row of a zero-init table."""
    header, *lines = table.splitlines()
    start = header.index("units identical")
    row = next(line for line in lines if line.startswith(label + "  "))
    return row[start:header.index("final J")].strip()


@pytest.mark.numerics
@pytest.mark.parametrize("n_h", [2, 3, 4, 5])
def test_zeros_and_constant_are_never_called_different_whatever_n1(n_h, nudge):
    # Odd n[1] is where a BLAS kernel may round one row differently: "identical" must
    # then be "yes" or "split by rounding", never "no", on any machine
    with nudge.everywhere():
        result = E.zero_init(iterations=300, m=100, n_h=n_h)
    table = result.table()
    assert result.symmetry("zeros") == "yes", table        # exact zeros: nothing to round
    assert result.symmetry("constant") in ("yes", "split by rounding"), table
    assert _cell(table, "zeros") == "yes" and _cell(table, "constant") != "no", table
    assert result.symmetry("random") == _cell(table, "random") == "no", table
    assert result.symmetry("random, n[1] = 1") == "-", table


@pytest.mark.numerics
@pytest.mark.parametrize("n_h", [2, 3, 4, 5])
def test_rows_that_rounding_splits_late_are_called_split_by_rounding(n_h, nudge):
    # Plant in one row of the constant init a difference of 1e-13 of its value:
    # below round-off (ROUND_OFF), so the rows start "equal", yet ~500 ulps, so its
    # growth is the training's (the symmetric state is unstable), not this machine's
    # rounding. It passes ROUND_OFF after ~90-360 updates here (n[1] = 5 ... 2).
    # (inner patch undone first, so the nudge's undo restores the real initialize)
    with nudge.everywhere(), pytest.MonkeyPatch.context() as patch:
        initialize = nets.network.initialize      # nudged when nudging weights

        def planted(layer_dims, init, **kwargs):
            params = initialize(layer_dims, init, **kwargs)
            if init == "constant":
                params["W[1]"][-1] *= 1 + 1e-13
            return params

        patch.setattr(nets.network, "initialize", planted)
        result = E.zero_init(iterations=1000, m=100, n_h=n_h)
    k = result.split_after("constant")
    history = result.spread_history["constant"]
    table = result.table()
    assert result.symmetry("constant") == "split by rounding", (k, history[[0, -1]])
    assert E.FIRST_UPDATES < k < 1000 and history[0] <= E.ROUND_OFF < history[-1], k
    assert _cell(table, "constant") == f"split by rounding at update {k}", table
    assert f"through update {k - 1}, apart after update {k}" in table, table
    assert result.symmetry("zeros") == "yes" and result.symmetry("random") == "no", table


def test_the_row_spread_is_recorded_at_init_and_after_every_update():
    result = E.zero_init(iterations=25, m=30, n_h=3)
    for label, run in result.runs.items():
        history = result.spread_history[label]
        W1 = run.net.params["W[1]"]
        assert len(history) == 26, (label, len(history))
        assert history[-1] == E._row_spread(W1) / max(1.0, np.abs(W1).max()), label
    assert result.spread_history["zeros"][0] == result.spread_history["constant"][0] == 0.0
    assert result.spread_history["random"][0] > E.ROUND_OFF


@pytest.mark.parametrize("history, verdict, split", [
    ([0.0] * 30, "yes", None),
    ([0.0] * 20 + [1e-12] * 10, "yes", None),                     # at round-off: still equal
    ([0.0] * 15 + [2e-12] * 15, "split by rounding", 15),         # apart after update 15
    ([0.0] * 5 + [1e-3] * 25, "no", 5),                           # apart at once: not rounding
    ([1e-12 * (1 + 1e-9)] + [1.0] * 29, "no", 0),                 # apart at init
])
def test_the_verdict_reads_the_spread_history(history, verdict, split):
    # the same small run, its constant net given each spread history
    result = E.zero_init(iterations=29, m=20, n_h=2)
    result = dataclasses.replace(result, spread_history={
        **result.spread_history, "constant": np.array(history)})
    assert (result.symmetry("constant"), result.split_after("constant")) == (verdict, split)
    cell = _cell(result.table(), "constant")
    assert cell == (verdict if split is None or verdict == "no"
                    else f"split by rounding at update {split}"), cell


# --- linear -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def linear(nudge):
    with nudge.everywhere():
        return E.linear(iterations=1500)     # the course's flower, m = 400


@pytest.mark.numerics
def test_the_identity_net_is_one_linear_map(linear):
    assert linear.collapse_error < 1e-12, linear.collapse_error


@pytest.mark.numerics
def test_the_identity_nets_logit_is_an_affine_function_of_x(linear, nudge):
    with nudge.everywhere():
        X, _ = data.flower()
    net = linear.runs["n[1] = 4, g[1] = identity"].net
    p = net.predict_proba(X)[0]
    logit = np.log(p) - np.log1p(-p)
    design = np.vstack([X, np.ones(X.shape[1])]).T          # (m, 3): x1, x2, 1
    coef, *_ = np.linalg.lstsq(design, logit, rcond=None)
    residual = np.max(np.abs(design @ coef - logit))
    assert residual < 1e-9, residual
    np.testing.assert_allclose(coef[:2], linear.W.ravel(), rtol=1e-9, atol=1e-12)


@pytest.mark.numerics
def test_a_linear_net_does_no_better_than_logistic_regression_and_tanh_bends_it(linear):
    acc = {k: r.accuracy for k, r in linear.runs.items()}
    logistic = acc["logistic regression"]
    assert acc["n[1] = 4, g[1] = identity"] <= logistic + 0.02, acc
    assert 0.40 < logistic < 0.55, acc                       # the course: 47%
    assert acc["n[1] = 4, g[1] = tanh"] > logistic + 0.3, acc


@pytest.mark.numerics
def test_the_linear_note_says_logistic_regressions_accuracy_only_when_the_run_shows_it(
        linear, nudge):
    # after one update the identity net is at 58%, logistic regression at 47.75%: the
    # same kind of boundary (a line), not yet the same accuracy
    with nudge.everywhere():
        short = E.linear(iterations=1)
    acc = {k: r.accuracy for k, r in short.runs.items()}
    identity, logistic = acc["n[1] = 4, g[1] = identity"], acc["logistic regression"]
    assert identity > logistic + 0.05, acc
    assert "logistic regression's accuracy." not in short.table(), short.table()
    assert f"{100 * identity:.2f}% against {100 * logistic:.2f}%" in short.table(), \
        short.table()
    assert "a straight boundary, logistic regression's accuracy." in linear.table(), \
        linear.table()


# --- activations -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def acts(nudge):
    with nudge.everywhere():
        return E.activations(iterations=2000, targets=(0.6,))


@pytest.mark.numerics
def test_every_activation_gets_the_cost_below_0_6(acts):
    assert set(acts.runs) == {"sigmoid", "tanh", "relu", "leaky_relu"}
    for g, run in acts.runs.items():
        assert acts.reached[g][0.6] is not None and run.final_cost < 0.6, \
            (g, acts.reached[g], run.final_cost)


@pytest.mark.numerics
def test_tanh_hidden_units_learn_faster_than_sigmoid_ones(acts):
    assert acts.reached["tanh"][0.6] < acts.reached["sigmoid"][0.6], acts.reached


@pytest.mark.numerics
def test_iterations_to_reach_agree_with_the_cost_curves(acts):
    for g, run in acts.runs.items():
        i = acts.reached[g][0.6]
        assert run.costs[i] < 0.6 <= run.costs[:i].min(), (g, i)
    assert "iterations to J < 0.6" in acts.table()


def test_first_below_is_the_first_iteration_under_the_target_or_none():
    assert E.first_below([0.7, 0.65, 0.5, 0.7, 0.4], 0.6) == 2
    assert E.first_below([0.7, 0.65], 0.6) is None
    assert E.first_below([], 0.6) is None


# --- init-scale ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scales(nudge):
    with nudge.everywhere():
        return E.init_scale(iterations=20, m=100, seeds=(1, 2, 3))


def _median(result, values, scale):
    return float(np.median(result.over_seeds(values, scale)))


@pytest.mark.numerics
def test_init_scale_trains_every_scale_from_every_seed(scales):
    assert scales.scales == (0.01, 0.1, 1.0, 10.0, 100.0) and scales.seeds == (1, 2, 3)
    assert sorted(scales.runs) == sorted((s, k) for s in scales.scales for k in scales.seeds)
    W1 = {k: scales.runs[(1.0, k)].net.params["W[1]"] for k in scales.seeds}
    assert not np.allclose(W1[1], W1[2]), "the seeds must give different nets"


@pytest.mark.numerics
def test_larger_initial_weights_saturate_more_hidden_units(scales):
    s = {x: _median(scales, scales.saturated, x) for x in scales.scales}
    assert s[0.01] == 0.0 and s[1.0] > 0.2 and s[10.0] > 0.7 and s[100.0] > 0.9, s
    assert s[100.0] > s[10.0] > s[1.0] > s[0.01], s


@pytest.mark.numerics
def test_saturated_units_have_small_slopes_and_move_slowly(scales):
    slope = {x: _median(scales, scales.mean_slope, x) for x in scales.scales}
    relative = {x: _median(scales, scales.relative_grad, x) for x in scales.scales}
    assert slope[0.01] > 0.99 > slope[1.0] > slope[10.0] > slope[100.0], slope
    assert relative[0.01] > relative[10.0] > relative[100.0], relative


@pytest.mark.numerics
def test_tiny_weights_have_tiny_gradients_the_plateau(scales):
    # W[1] and W[2] near 0: dW[1] ∝ W[2], so the first gradient is small in absolute terms
    norm = {x: _median(scales, scales.grad_norm, x) for x in scales.scales}
    assert norm[0.01] < 0.1 * norm[1.0], norm


@pytest.mark.numerics
def test_large_output_weights_start_confidently_wrong(scales):
    start = {x: np.median([scales.runs[(x, k)].initial_cost for k in scales.seeds])
             for x in scales.scales}
    assert start[0.01] == pytest.approx(math.log(2), abs=1e-3), start
    assert start[100.0] > start[10.0] > 5 * math.log(2), start


@pytest.mark.numerics
def test_the_init_scale_table_has_a_row_per_scale_and_names_the_seeds(scales):
    table = scales.table()
    assert all(f"\n{s} " in table for s in ("0.01", "0.1", "1", "10", "100")), table
    assert "seeds 1, 2, 3" in table and "of 3" in table and "J after 20" in table, table


def test_plateau_is_the_first_iteration_under_the_cost_and_none_when_never():
    result = E.init_scale(iterations=200, m=100, scales=(0.01,), seeds=(2,))
    costs = result.runs[(0.01, 2)].costs
    i = result.plateau(0.01)[0]
    assert i is not None and costs[i] < 0.6 <= costs[:i].min(), (i, costs[:i + 1])
    short = E.init_scale(iterations=2, m=100, scales=(0.01,), seeds=(2,))
    assert short.plateau(0.01) == [None] and "never" in short.table()


# --- hidden-sizes --------------------------------------------------------------------------

def test_the_sweep_covers_the_courses_sizes_and_the_table_lists_them():
    result = E.hidden_sizes(iterations=10, m=40)
    assert list(result.runs) == [1, 2, 3, 4, 5, 20, 50]
    rows = result.table().splitlines()[2:]
    assert [int(r.split()[0]) for r in rows] == [1, 2, 3, 4, 5, 20, 50], rows


@pytest.mark.numerics
def test_one_hidden_unit_cannot_draw_the_flower_and_three_can(nudge):
    with nudge.everywhere():
        result = E.hidden_sizes(iterations=1000, sizes=(1, 3))
    acc = {n: r.accuracy for n, r in result.runs.items()}
    assert acc[1] < 0.70 < 0.85 < acc[3], acc              # the course: 67.5% and 90.75%


# --- all of them ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(E.EXPERIMENTS))
def test_each_experiment_calls_progress_once_per_step_of_each_run(name):
    calls = []
    E.EXPERIMENTS[name].run(iterations=3, m=20, progress=lambda i, J: calls.append(i))
    assert len(calls) == E.EXPERIMENTS[name].runs * 3, (name, calls)


@pytest.mark.parametrize("name", list(E.EXPERIMENTS))
def test_each_experiment_writes_its_png_when_given_a_path(name, tmp_path):
    result = E.EXPERIMENTS[name].run(iterations=2, m=20, out=tmp_path / f"{name}.png")
    assert result.figure == tmp_path / f"{name}.png"
    width, height = png_size(result.figure)
    assert width > 500 and height > 400, (width, height)
    assert result.table().count("\n") >= 2


def test_without_a_path_no_file_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert E.linear(iterations=2, m=20).figure is None
    assert list(tmp_path.iterdir()) == []


def test_a_bad_path_fails_before_any_training(tmp_path):
    calls = []
    with pytest.raises(FileNotFoundError):
        E.zero_init(iterations=5, m=20, out=tmp_path / "no" / "x.png",
                    progress=lambda i, J: calls.append(i))
    assert calls == []


def test_hand_and_autograd_agree_even_where_the_output_saturates():
    # ×100: A[2] rounds to 0 or 1 for most points at init; the cost from the logits
    # keeps autograd's dZ[2] = A[2] - Y, as the hand formulas have it
    runs = {method: E.init_scale(iterations=30, m=100, scales=(100.0,), seeds=(2,),
                                 method=method).runs[(100.0, 2)] for method in ("hand", "autograd")}
    assert runs["hand"].initial_cost > 20, runs["hand"].initial_cost
    np.testing.assert_allclose(runs["autograd"].costs, runs["hand"].costs, rtol=1e-9)


def test_a_difference_that_should_be_zero_prints_the_same_on_every_machine():
    assert E._rounding(0.0) == E._rounding(2.2e-16) == E._rounding(1e-13) == "< 1e-12"
    assert E._rounding(0.25) == "0.25"         # a real gap is shown as it is


def test_runs_and_iterations_come_from_the_defaults():
    spec = E.EXPERIMENTS
    assert {name: e.runs for name, e in spec.items()} == {
        "zero-init": 4, "linear": 3, "activations": 4, "init-scale": 25, "hidden-sizes": 7}
    assert spec["hidden-sizes"].iterations == 5000 and spec["init-scale"].iterations == 10_000


@pytest.mark.numerics
def test_method_picks_the_gradients_and_both_give_the_same_numbers(nudge):
    hand = E.linear(iterations=30, m=40, method="hand")
    with nudge.everywhere():   # one side one ulp away: "the same" means up to round-off
        auto = E.linear(iterations=30, m=40, method="autograd")
    for label, run in hand.runs.items():
        np.testing.assert_allclose(auto.runs[label].costs, run.costs, rtol=1e-9)
    with pytest.raises(ValueError, match="method"):
        E.linear(iterations=1, m=20, method="numerical")


@pytest.mark.numerics
def test_jupyter_shows_an_experiments_table_as_print_does(zero, linear, acts, scales):
    # A cell that ends in result.table() showed the str's repr: one line of '\n's
    from IPython.lib.pretty import pretty
    results = (zero, linear, acts, scales, E.hidden_sizes(sizes=(1, 2), iterations=5, m=40))
    for result in results:
        table = result.table()
        assert isinstance(table, str) and pretty(table) == str(table), pretty(table)[:200]


# --- the lists an experiment is given ------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    # a seed of 1.5 was trained as seed 1 and n[1] = 2.5 as 2, labelled as given
    (lambda progress: E.init_scale(iterations=2, m=20, seeds=(1.5,), progress=progress),
     "init_scale: seeds must hold ints in .*got 1.5"),
    (lambda progress: E.hidden_sizes(iterations=2, m=20, sizes=(2.5,), progress=progress),
     "hidden_sizes: sizes must hold ints >= 1; got 2.5"),
    # a repeated value was trained once and counted twice ("2 of 2" for one run)
    (lambda progress: E.init_scale(iterations=2, m=20, seeds=(1, 1), progress=progress),
     "init_scale: seeds must not repeat a value; got 1 twice"),
    (lambda progress: E.hidden_sizes(iterations=2, m=20, sizes=(2, 2), progress=progress),
     "hidden_sizes: sizes must not repeat"),
    # no scale or no seed gave a table of nan and numpy's "Mean of empty slice"
    (lambda progress: E.init_scale(iterations=2, m=20, scales=(), progress=progress),
     "init_scale: scales must hold at least one value"),
    (lambda progress: E.init_scale(iterations=2, m=20, seeds=(), progress=progress),
     "init_scale: seeds must hold at least one value"),
    # scale 0: ‖dW[1]‖/‖W[1]‖ = 0/0, a nan in the table and a RuntimeWarning
    (lambda progress: E.init_scale(iterations=2, m=20, scales=(0.01, 0.0), progress=progress),
     "init_scale: scales must hold finite numbers > 0; got 0.0"),
    # the last scale's numbers overflowed (inf, nan) after the others had trained
    (lambda progress: E.init_scale(iterations=2, m=20, scales=(0.01, 1e300),
                                   progress=progress),
     "init_scale: scale 1e\\+300 .*overflows float64"),
    # targets="0.5" failed deep inside with "could not convert string to float: '.'"
    (lambda progress: E.activations(iterations=2, m=20, targets="0.5", progress=progress),
     "activations: targets must be a sequence of finite numbers > 0; got '0.5'"),
    (lambda progress: E.activations(iterations=2, m=20, targets=(0.6, float("nan")),
                                    progress=progress),
     "activations: targets must hold finite numbers > 0; got nan"),
])
def test_a_list_that_would_give_a_wrong_or_broken_run_is_refused_before_training(call, message):
    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no numpy warning on the way to the error
        with pytest.raises(ValueError, match=message):
            call(lambda i, J: calls.append(i))
    assert calls == [], "refused only after some training"


def test_a_scale_that_overflows_is_refused_where_blas_overflows_silently(monkeypatch):
    # numpy 1.26 (setup.cfg allows numpy>=1.23) raises no FloatingPointError when its
    # BLAS dot overflows, where numpy 2 does: there ||W[1]|| at scale 1e300 was a
    # silent inf, and init_scale trained that scale and reported 0/inf = 0 as its
    # relative gradient. Here numpy 2's norm is made to behave as numpy 1.26's.
    norm = np.linalg.norm

    def quiet_norm(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return norm(*args, **kwargs)
    monkeypatch.setattr(np.linalg, "norm", quiet_norm)
    calls = []
    with pytest.raises(ValueError, match=r"init_scale: scale 1e\+300 .*overflows float64"):
        E.init_scale(iterations=2, m=20, scales=(0.01, 1e300),
                     progress=lambda i, J: calls.append(i))
    assert calls == [], "refused only after some training"


def test_lists_may_be_numpy_arrays_or_any_iterable():
    result = E.init_scale(iterations=2, m=20, scales=np.array([0.1, 1.0]),
                          seeds=(k for k in (3, 4)))
    assert result.scales == (0.1, 1.0) and result.seeds == (3, 4)
    assert list(E.hidden_sizes(iterations=2, m=20, sizes=np.arange(1, 3)).runs) == [1, 2]


def test_a_huge_starting_cost_is_printed_in_a_few_digits_not_all_of_them():
    # ×1e100 starts at J ≈ 1e102: ".3f" wrote all 103 digits and stretched every row
    result = E.init_scale(iterations=1, m=20, scales=(1e100,), seeds=(1,))
    J = result.runs[(1e100, 1)].initial_cost
    assert J > 1e99, J
    row = result.table().splitlines()[2]
    assert f"{J:.3g}" in row and max(len(cell) for cell in row.split()) < 12, row


@pytest.mark.parametrize("call, message", [
    (lambda: E.hidden_sizes(iterations=2, m=20, sizes=(True, 2)),
     "hidden_sizes: sizes must hold ints >= 1; got True"),      # True is no size
    (lambda: E.hidden_sizes(iterations=2, m=20, sizes=b"\x02\x03"),   # bytes are no list of sizes
     "hidden_sizes: sizes must be a sequence of ints >= 1; got b"),
    (lambda: E.hidden_sizes(iterations=2, m=20, sizes=(0, 2)),
     "hidden_sizes: sizes must hold ints >= 1; got 0"),
    (lambda: E.activations(iterations=2, m=20, targets=(0.6, float("inf"))),
     "activations: targets must hold finite numbers > 0; got inf"),
    (lambda: E.init_scale(iterations=2, m=20, seeds=(-1,)),
     r"init_scale: seed must be an int in \[0, 2\*\*32 - 1\]; got -1"),
    # an array's values as Python numbers: "got nan in (0.1, nan)", no np.float64(...)
    (lambda: E.init_scale(iterations=2, m=20, scales=np.array([0.1, np.nan])),
     r"init_scale: scales must hold finite numbers > 0; got nan in \(0\.1, nan\)$"),
])
def test_more_lists_that_are_refused_before_training(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_cost_at_init_is_shown_to_three_decimals():
    result = E.init_scale(iterations=1, m=20, scales=(1.0,), seeds=(1,))
    J = result.runs[(1.0, 1)].initial_cost
    assert f"  {J:.3f}  " in result.table().splitlines()[2], (J, result.table())
