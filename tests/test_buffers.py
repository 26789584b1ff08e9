"""mg.recycling(): large results reuse arrays nothing refers to any more, and
nothing anyone holds ever changes."""
from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import given

import minigrad as mg
from minigrad import buffers
from tests.strategies import broadcastable_pairs, program_values, programs

BIG = (64, 128)   # 64 KiB of float64: large enough to be pooled


def _everything_pooled():
    return mock.patch.object(buffers, "MIN_ENTRIES", 0)


def _values_and_grads(program, pair):
    x, y = (mg.tensor(a, requires_grad=True) for a in pair)
    values = program_values(program, x, y)
    out = values[-1]
    if out.requires_grad:
        out.backward(np.ones(out.shape))
    return [v.data.copy() for v in values], [x.grad, y.grad]


@given(program=programs(), pair=broadcastable_pairs())
def test_recycling_changes_no_value_no_gradient_and_no_array_anyone_holds(program, pair):
    plain_values, plain_grads = _values_and_grads(program, pair)
    with _everything_pooled(), mg.recycling():
        x, y = (mg.tensor(a, requires_grad=True) for a in pair)
        held = program_values(program, x, y)       # kept: their arrays must not be reused
        snapshot = [v.data.copy() for v in held]
        for _ in range(3):   # graphs that die at once: their arrays go round again
            values, grads = _values_and_grads(program, pair)
            for got, want in zip(values, plain_values):
                np.testing.assert_array_equal(got, want)
            for got, want in zip(grads, plain_grads):
                np.testing.assert_array_equal(got, want)
        for t, before in zip(held, snapshot):
            np.testing.assert_array_equal(t.data, before)


def test_an_array_is_handed_out_again_only_once_nothing_refers_to_it():
    with mg.recycling():
        first = buffers.empty(BIG)
        second = buffers.empty(BIG)
        assert second is not first           # first is still held here
        view = second[:, :1]
        del second
        third = buffers.empty(BIG)
        assert third is not first and third.base is None and view.base is not third
        address = first.__array_interface__["data"][0]
        del first
        again = buffers.empty(BIG)         # nothing holds the first one now
        assert again.__array_interface__["data"][0] == address
        t = mg.tensor(np.ones(BIG)) * 2.0    # a tensor's data is held by the tensor
        assert buffers.empty(BIG) is not t.data


def test_small_arrays_and_arrays_outside_the_block_come_from_numpy():
    a = buffers.empty(BIG)
    del a
    assert buffers.empty(BIG).flags.owndata
    with mg.recycling():
        small = buffers.empty((2, 3))
        del small
        assert buffers._state.pool == {}   # too small to pool
    assert buffers._state.pool is None


def test_a_nested_block_shares_the_pool_and_only_the_outer_one_lets_it_go():
    with mg.recycling():
        pool = buffers._state.pool
        with mg.recycling():
            buffers.empty(BIG)
            assert buffers._state.pool is pool
        assert buffers._state.pool is pool and len(pool[BIG]) == 1
    assert buffers._state.pool is None


def _two_layer_steps(steps: int, sizes: list = None) -> list:
    """Gradient steps on a two-layer graph whose large results take every pooled
    path: W X (matmul), + b (broadcast add), tanh, W2ᵀ dZ2 (an outer product),
    tanh's VJP. Returns the costs; ``sizes`` gets the pool's size after each step."""
    rng = np.random.RandomState(0)
    W = mg.tensor(rng.randn(64, 2) * 0.1, requires_grad=True, name="W")
    b = mg.tensor(rng.randn(64, 1) * 0.1, requires_grad=True, name="b")
    W2 = mg.tensor(rng.randn(1, 64), requires_grad=True, name="W2")
    X = mg.tensor(rng.randn(2, 256), name="X")
    costs = []
    for _ in range(steps):
        J = (W2 @ (W @ X + b).tanh()).mean()
        J.backward(inputs=[W, b, W2])
        costs.append(J.item())
        del J   # as fit does: the step's graph goes
        with mg.no_grad():
            for t in (W, b, W2):
                t -= 0.5 * t.grad
                t.grad = None
        if sizes is not None:
            sizes.append(len(buffers._state.pool[(64, 256)]))
    return costs


def test_a_training_step_in_the_block_reuses_the_step_befores_arrays():
    plain = _two_layer_steps(5)
    sizes = []
    with mg.recycling():
        recycled = _two_layer_steps(5, sizes)
    assert recycled == plain   # the same bits
    # W X, + b, tanh, W2ᵀ dZ2 and tanh's VJP: made once, then reused step after step
    assert sizes == [5] * 5
