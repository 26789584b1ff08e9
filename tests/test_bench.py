"""The benchmark runs: it checks every method against the tuned step before
timing and reports every method (no timing is asserted: speed is measured by
`make bench`, not by the tests)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nets import TwoLayerNet
from tests.checkout import child_env

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"
sys.path.insert(0, str(BENCH.parent))
import bench  # noqa: E402
import floor  # noqa: E402


def test_quick_run_checks_agreement_then_reports_every_method(tmp_path):
    run = subprocess.run([sys.executable, str(BENCH), "--quick", "--torch", "off",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=600,
                         env=child_env())
    assert run.returncode == 0, run.stderr
    result = json.loads((tmp_path / "bench.json").read_text())
    methods = bench.fit_methods()
    assert {"autograd", "hand"} <= set(methods)
    # autograd's calls, beside autograd: its numpy calls without the graph
    assert result["methods"] == ["tuned", "autograd", bench.CALLS,
                                 *[m for m in methods if m != "autograd"]]
    for label, entry in {**result["sizes"], **result["sweep"]}.items():
        checks = entry["agreement"]
        assert checks["tuned vs autograd: gradients"] <= 1e-8, (label, checks)
        assert checks[f"{bench.CALLS} vs autograd"] == 0.0, (label, checks)
        for method in [*methods, bench.CALLS]:
            assert checks[f"{method}: 3 costs"] <= 1e-10, (label, method, checks)
            assert checks[f"{method}: parameters after 3 steps"] <= 1e-10, (label, checks)
        assert set(entry["timings"]) == set(result["methods"]), label
        assert set(entry["memory"]) == set(result["methods"]) - {bench.CALLS}, label
    table = (tmp_path / "bench.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| size | (n_x"))
    assert all(f" {m} |" in header for m in [*methods, bench.CALLS]), header
    assert "| S1 | (2, 4, 400) |" in table and "| S2 | (2, 50, 400) |" in table, table
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # On a CPU with AVX-512, the sizes again without numpy's AVX-512 kernels,
    # checked for agreement too, as a second labelled table; on one without, none.
    other = result["without_avx512"]
    if bench.avx512_targets():
        assert other["disabled"] == bench.avx512_targets()
        assert set(other["sizes"]) == {"S1", "S2"}
        for label, entry in other["sizes"].items():
            assert set(entry["timings"]) == set(result["methods"]), label
            assert all(v <= 1e-8 for v in entry["agreement"].values()), (label, entry)
        assert "without numpy's AVX-512 kernels" in table
        assert table.count("| S2 | (2, 50, 400) |") == 2, table
    else:
        assert other is None and "AVX-512" not in table
    again = tmp_path / "again"
    replot = subprocess.run([sys.executable, str(BENCH), "--from-json", str(tmp_path / "bench.json"),
                             "--out", str(again)], capture_output=True, text=True, timeout=300,
                            env=child_env())
    assert replot.returncode == 0, replot.stderr
    assert (again / "bench.md").read_text() == table


def test_the_run_without_avx512_stops_unless_numpy_left_the_kernels_out(monkeypatch):
    running = next(f for f, on in bench._numpy_cpu()[1].items() if on)   # one still in use
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", running)
    with pytest.raises(SystemExit, match=f"numpy still runs \\['{running}'\\]"):
        bench.check_avx512_left_out()
    monkeypatch.delenv("NPY_DISABLE_CPU_FEATURES")
    with pytest.raises(SystemExit, match="was not applied"):
        bench.check_avx512_left_out()


def test_tuned_baseline_matches_the_hand_formulas_and_autograd():
    X, Y, params = bench.make_problem(3, 5, 17, seed=4)
    tuned = bench.TunedStep(X, Y, params, 0.1)
    J = tuned.cost_and_grads()
    net = TwoLayerNet(3, 5)
    net.params = {k: v.copy() for k, v in params.items()}
    J_auto, grads = net.autograd(X, Y)
    assert abs(J - J_auto) <= 1e-12 * J_auto
    for name, expected in grads.items():
        np.testing.assert_allclose(tuned.grads[name], expected, rtol=1e-10, atol=1e-17,
                                   err_msg=name)


# (n_x, n_h, m): ones; the course's sizes; and either side of each place where the
# engine writes a result into a pooled array (buffers.MIN_ENTRIES = 8192 entries):
# Z[1] (n_h * m), Z[1]'s broadcast add (n_h * m * n_h), a (1, m) Z[2], dW[1] (n_h * n_x)
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 1, 5), (1, 7, 1), (2, 4, 400), (2, 50, 400),
                                   (2, 4, 1600), (2, 4, 2048), (2, 1, 9000), (100, 90, 10)])
@pytest.mark.parametrize("mirror", ["autograd's calls", "bare tape"])
def test_autograd_calls_are_autograds_numpy_calls_bit_for_bit(shape, mirror):
    # the mirrors that measure autograd's bookkeeping (its calls without a graph,
    # and on the least graph an engine needs): what they leave out of autograd's
    # time must be only bookkeeping, never a different computation
    X, Y, params = bench.make_problem(*shape, seed=3)
    make = bench.run_autograd_calls if mirror == bench.CALLS else floor.run_bare_tape
    costs, after = bench.first_steps(make, X, Y, params, steps=4)
    auto_costs, auto_after = bench.first_steps(bench.run_fit("autograd"), X, Y, params, steps=4)
    assert costs == auto_costs
    for name, value in auto_after.items():
        assert np.array_equal(after[name], value), name


def test_a_mirror_of_autograds_calls_that_rounds_otherwise_stops_the_run():
    X, Y, params = bench.make_problem(3, 5, 7, seed=4)
    table = {"tuned": bench.run_tuned, "autograd": bench.run_fit("autograd")}
    bench.check_agreement({**table, bench.CALLS: bench.run_autograd_calls}, X, Y, params)
    # the tuned step agrees with autograd to 1e-15, not in every bit
    with pytest.raises(SystemExit, match="no longer makes the engine's numpy calls"):
        bench.check_agreement({**table, bench.CALLS: bench.run_tuned}, X, Y, params)


def test_the_floor_checks_the_bare_engine_is_autograds_bits_then_times_it(monkeypatch):
    run = subprocess.run([sys.executable, str(BENCH.parent / "floor.py"), "--quick"],
                         capture_output=True, text=True, timeout=300, env=child_env())
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if line.startswith("| S")]
    assert [r.split(" | ")[0] for r in rows] == ["| S1", "| S2"], run.stdout
    assert all(r.count("×") == 3 and r.count("µs") == 3 for r in rows), run.stdout
    X, Y, params = bench.make_problem(3, 5, 7, seed=4)
    monkeypatch.setitem(floor.TABLE, floor.BARE, bench.run_tuned)   # 1e-15 apart, not bits
    with pytest.raises(SystemExit, match="no longer makes autograd's numpy calls"):
        floor.check_bits(X, Y, params)


def test_a_mirror_of_autograds_calls_whose_last_update_rounds_otherwise_stops_the_run():
    # its three costs are autograd's (the last step's update comes after the last
    # cost): the parameters it ends with must be autograd's bits too
    X, Y, params = bench.make_problem(3, 5, 7, seed=4)

    def last_update_one_ulp_off(X, Y, params, lr):
        run, current = bench.run_autograd_calls(X, Y, params, lr)

        def params_after():
            moved = {k: v.copy() for k, v in current().items()}
            moved["b[2]"] = np.nextafter(moved["b[2]"], np.inf)
            return moved
        return run, params_after
    table = {"tuned": bench.run_tuned, "autograd": bench.run_fit("autograd"),
             bench.CALLS: last_update_one_ulp_off}
    with pytest.raises(SystemExit, match="no longer makes the engine's numpy calls"):
        bench.check_agreement(table, X, Y, params)


def test_update_docs_replaces_only_the_text_between_the_markers(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text(f"before\n{bench.BEGIN}\nold table\n{bench.END}\nafter\n")
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"png")
    monkeypatch.setattr(bench, "DOC_PAGES", [page])
    monkeypatch.setattr(bench, "DOC_CHART", tmp_path / "img" / "bench.png")
    bench.update_docs("new table\n", chart)
    assert page.read_text() == f"before\n{bench.BEGIN}\nnew table\n{bench.END}\nafter\n"
    assert (tmp_path / "img" / "bench.png").read_bytes() == b"png"


def test_a_method_that_computes_something_else_stops_the_run():
    X, Y, params = bench.make_problem(3, 5, 7, seed=4)

    def off_by_a_little(X, Y, params, lr):   # the tuned step, from other parameters
        moved = {k: v.copy() for k, v in params.items()}
        moved["W[1]"][0, 0] += 1e-3
        return bench.run_tuned(X, Y, moved, lr)
    bench.check_agreement({"tuned": bench.run_tuned, "hand": bench.run_fit("hand")},
                          X, Y, params)
    with pytest.raises(SystemExit, match="off disagrees with the tuned step"):
        bench.check_agreement({"tuned": bench.run_tuned, "off": off_by_a_little}, X, Y, params)


def test_update_docs_writes_every_page_with_the_markers_and_the_pages_show_one_run():
    # a page with the markers that DOC_PAGES misses (the Chinese performance
    # page, say) would keep showing an older run than the others
    root = BENCH.parent.parent
    candidates = [*root.glob("README*.md"), *(root / "benchmarks").glob("*.md"),
                  *(root / "docs").glob("*.md")]
    marked = {p for p in candidates if bench.BEGIN in p.read_text(encoding="utf-8")}
    assert sorted(marked) == sorted(bench.DOC_PAGES)
    blocks = {p.relative_to(root).as_posix():
              p.read_text(encoding="utf-8").split(bench.BEGIN, 1)[1].split(bench.END, 1)[0]
              for p in bench.DOC_PAGES}
    assert len(set(blocks.values())) == 1, f"these pages show different runs: {sorted(blocks)}"


def _report(sweep: dict) -> dict:
    timing = {"ratio": 1.5, "ratio_min": 1.4, "ratio_max": 1.6}
    entry = {"shape": [2, 4, 400], "timings": {"tuned": timing, "autograd": timing}}
    return {"methods": ["tuned", "autograd"], "sizes": {"S1": entry}, "when": "now",
            "sweep": {"m=400 n_h=4": entry} if sweep else {}}


def _png_width(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[16:20], "big")   # the IHDR chunk's width


def test_a_run_without_the_sweep_draws_one_panel_and_no_empty_one(tmp_path):
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bench.plot(_report(sweep=False), tmp_path / "one.png")
    # what matplotlib says of an empty panel's legend (other warnings: other versions' own)
    assert not [w for w in caught if "No artists with labels" in str(w.message)], caught
    bench.plot(_report(sweep=True), tmp_path / "two.png")
    assert _png_width(tmp_path / "one.png") < 0.6 * _png_width(tmp_path / "two.png")
