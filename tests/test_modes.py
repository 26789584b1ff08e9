"""The two modes: no_grad() records no graph (in this thread only), and
detect_anomaly() names the first node whose value or gradient is not finite."""
import threading

import numpy as np
import pytest

import minigrad as mg


# --- no_grad --------------------------------------------------------------------
def test_no_grad_records_no_parents_and_needs_no_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        y = (w * 2 + 1).tanh()
        assert not mg.is_grad_enabled()
    assert y.parents == () and not y.requires_grad, f"parents {y.parents}"
    np.testing.assert_allclose(y.data, np.tanh([3.0, 5.0]), rtol=1e-15)
    with pytest.raises(ValueError, match="requires_grad=True"):
        y.sum().backward()


def test_grad_is_recorded_again_after_the_block_even_after_an_error():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        with mg.no_grad():
            raise RuntimeError("inside")
    assert mg.is_grad_enabled()
    y = w * 2
    assert y.requires_grad and y.parents[0] is w


def test_nested_no_grad_blocks_restore_the_outer_state():
    w = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        with mg.no_grad():
            pass
        assert not (w * 2).requires_grad, "the inner block switched grad back on"
    assert (w * 2).requires_grad


def test_no_grad_in_one_thread_does_not_affect_another():
    w = mg.tensor([1.0], requires_grad=True)
    worker_inside, main_done = threading.Event(), threading.Event()
    seen = {}

    def worker():
        try:
            with mg.no_grad():
                worker_inside.set()
                main_done.wait()
                seen["worker"] = (w * 2).requires_grad
        finally:
            worker_inside.set()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        worker_inside.wait()
        seen["main"] = (w * 2).requires_grad   # while the worker is inside no_grad
    finally:
        main_done.set()
        thread.join()
    assert seen == {"main": True, "worker": False}, seen


def test_a_no_grad_block_in_the_main_thread_does_not_reach_a_new_thread():
    w = mg.tensor([1.0], requires_grad=True)
    seen = {}

    def worker():
        seen["worker"] = (w * 2).requires_grad

    with mg.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        seen["main"] = (w * 2).requires_grad
    assert seen == {"main": False, "worker": True}, seen


# --- detect_anomaly ----------------------------------------------------------------
def test_log_of_zero_in_forward_names_the_op_and_shape():
    x = mg.tensor([1.0, 0.0, 2.0], requires_grad=True, name="x")
    with np.errstate(divide="ignore"), mg.detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            x.log()
    message = str(error.value)
    assert "log" in message and "(3,)" in message and "-inf" in message, message
    assert "x (3,)" in message, f"the input is not named: {message}"


def test_zero_over_zero_in_forward_names_the_op_and_shape():
    x = mg.tensor(np.zeros((2, 2)), name="x")
    with np.errstate(invalid="ignore"), mg.detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            x / x
    message = str(error.value)
    assert "div" in message and "(2, 2)" in message and "nan" in message, message


def test_non_finite_gradient_in_backward_names_the_node_its_op_and_shape():
    x = mg.tensor([0.0, 4.0], requires_grad=True, name="x")
    with np.errstate(divide="ignore"), mg.detect_anomaly():
        u = (x * 1.0).named("u")
        J = (u ** 0.5).sum()          # finite values, but d sqrt(u)/du = inf at u = 0
        with pytest.raises(FloatingPointError) as error:
            J.backward()
    message = str(error.value)
    assert "gradient" in message, message
    for part in ("u", "mul", "(2,)", "inf"):
        assert part in message, f"{part!r} missing from: {message}"


def test_backward_names_the_first_node_whose_value_is_not_finite():
    # Made outside the mode, NaN spreads from the log down to J; backward in
    # the mode must point at the log, where it started, not at J.
    x = mg.tensor([-1.0, 1.0], requires_grad=True, name="x")
    with np.errstate(invalid="ignore"):
        L = x.log().named("L")
        J = (L * 2).sum().named("J")
    with mg.detect_anomaly(), pytest.raises(FloatingPointError) as error:
        J.backward()
    message = str(error.value)
    assert "L" in message and "log" in message and "(2,)" in message, message
    assert "J" not in message.replace("detect_anomaly", ""), message


def test_outside_detect_anomaly_non_finite_values_pass_silently():
    x = mg.tensor([1.0, 0.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x.log()
        z = x / x
        J = (x * 1.0) ** 0.5
        J.backward(np.ones(2))
    assert y.data[1] == -np.inf and np.isnan(z.data[1]), f"log {y.data}, 0/0 {z.data}"
    assert x.grad[1] == np.inf, f"x.grad = {x.grad}"


def test_detect_anomaly_is_off_again_after_the_block_even_after_an_error():
    x = mg.tensor([0.0])
    with np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError), mg.detect_anomaly():
            x.log()
        assert x.log().data[0] == -np.inf


def test_detect_anomaly_lets_finite_graphs_through_unchanged():
    x = mg.tensor([0.5, 2.0], requires_grad=True)
    with mg.detect_anomaly():
        J = (x.log() * x).sum()
        J.backward()
    np.testing.assert_allclose(x.grad, np.log(x.data) + 1, rtol=1e-15)
