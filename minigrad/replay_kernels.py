"""Each op a tape replays, as kernels: the eager op's numpy calls, into buffers.

``OPS[name](node, inputs, listed, alloc)`` compiles one recorded node: ``node``
the eager Tensor (its recorded value, its shape), ``inputs`` the arrays its
kernels read (the tape's buffers of its parents), ``listed`` which parents are
leaves given new values at each replay, ``alloc(shape, dtype)`` the tape's
buffers (``minigrad.buffer_plan``). It returns an ``_Op``: the forward kernels
and, per input, how to build its vector-Jacobian product into a buffer.
The tape strings them together (``minigrad.replay_compile``) and checks them
against the eager engine when it records (``minigrad.replay_checks``).
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from minigrad.functional import check_labels, check_probabilities
from minigrad.ops import _axes
from minigrad.tensor import Tensor, _lockable, describe

Kernel = Callable[[], None]


# Kernels are partials of numpy calls, ``out`` passed by position: no Python
# frame per call, and numpy reads a positional ``out`` faster than a keyword
# (except np.maximum and np.minimum, which deprecate it).
def _reduce(source: np.ndarray, axes: tuple, keepdims: bool, out: np.ndarray) -> Kernel:
    return partial(np.add.reduce, source, axes, None, out, keepdims)


def _copy(source: np.ndarray, out: np.ndarray) -> Kernel:
    return partial(np.copyto, out, source)


def _accumulate(total: np.ndarray, source: np.ndarray) -> Kernel:
    return partial(np.add, total, source, total)   # eager: pending + new


# --- the op table: each kernel makes the eager op's numpy calls, into buffers ---
Bind = Callable[[np.ndarray, np.ndarray], List[Kernel]]


class _Op:
    """A compiled node: the ``forward`` kernels fill ``value`` (none: a view,
    or the input itself). ``vjps[i]``, input i's VJP: None when it is g
    itself, a ``_View`` when it is a view of g, else ``bind(g, out)`` listing
    the kernels that write it (of shape ``vjp_shapes[i]``) into ``out``."""

    def __init__(self, value: np.ndarray, forward: List[Kernel], vjps: list,
                 vjp_shapes: Optional[list] = None) -> None:
        self.value, self.forward, self.vjps = value, forward, vjps
        self.vjp_shapes = vjp_shapes or [value.shape] * len(vjps)


class _View:
    """A VJP that is a view of g, as the eager op returns one: ``make(g)`` builds
    it once from the gradient buffer; ``update(g)`` lists the kernels that
    refresh what it views (g / count for a mean)."""

    def __init__(self, make: Callable[[np.ndarray], np.ndarray],
                 update: Callable[[np.ndarray], List[Kernel]] = lambda g: []) -> None:
        self.make, self.update = make, update


def _times(y: np.ndarray) -> Bind:
    return lambda g, o: [partial(np.multiply, g, y, o)]


def _negated(g: np.ndarray, o: np.ndarray) -> List[Kernel]:
    return [partial(np.negative, g, o)]


def _elementwise(ufunc: np.ufunc) -> Callable:
    def compile_op(node, ins, listed, alloc):
        out = alloc(node.shape)
        x, y = ins
        return _Op(out, [partial(ufunc, x, y, out)], _arith_vjps(node.op, x, y, out))
    return compile_op


def _arith_vjps(name: str, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> list:
    if name == "add":
        return [None, None]
    if name == "sub":
        return [None, _negated]
    if name == "mul":
        return [_times(y), _times(x)]

    def div_y(g, o):   # -g * z / y
        return [partial(np.negative, g, o), partial(np.multiply, o, z, o),
                partial(np.divide, o, y, o)]
    return [lambda g, o: [partial(np.divide, g, y, o)], div_y]


def _neg(node, ins, listed, alloc):
    out, (x,) = alloc(node.shape), ins
    return _Op(out, [partial(np.negative, x, out)], [_negated])


def _matmul(node, ins, listed, alloc):
    a, b = ins
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"record: the tape replays 2-D matmul only; got {describe(node)} "
                         f"from {a.ndim}-D @ {b.ndim}-D")
    out = alloc(node.shape)
    aT, bT = a.T, b.T
    # ops._mm: an inner dimension of 1 is an outer product, by broadcasting
    forward = partial(np.multiply if a.shape[1] == 1 else np.matmul, a, b, out)
    mm_a = np.multiply if b.shape[1] == 1 else np.matmul
    mm_b = np.multiply if a.shape[0] == 1 else np.matmul
    return _Op(out, [forward], [lambda g, o: [partial(mm_a, g, bT, o)],
                                lambda g, o: [partial(mm_b, aT, g, o)]], [a.shape, b.shape])


def _linear(node, ins, listed, alloc):
    # ops.linear: W A into the value's buffer, then b added into it, in place
    w, a, b = ins
    mm = _matmul(node, (w, a), listed[:2], alloc)
    return _Op(mm.value, mm.forward + [partial(np.add, mm.value, b, mm.value)],
               mm.vjps + [None], mm.vjp_shapes + [node.shape])


def _transpose(node, ins, listed, alloc):
    # The permutation the op was called with, not one read off the values (a
    # zero or symmetric W cannot show which axes moved); normalised as ops.transpose
    # does, so the value and g's view are eager's own views, with eager's strides.
    (x,), axes = ins, node.op_params["axes"]
    perm = tuple(range(x.ndim))[::-1] if axes is None else tuple(a % x.ndim for a in axes)
    inverse = tuple(int(i) for i in np.argsort(perm))
    return _Op(x.transpose(perm), [], [_View(lambda g: g.transpose(inverse))], [x.shape])


def _unary(forward_ufunc: np.ufunc, grad: Callable[[np.ndarray, np.ndarray], Bind]) -> Callable:
    def compile_op(node, ins, listed, alloc):
        out, (x,) = alloc(node.shape), ins
        return _Op(out, [partial(forward_ufunc, x, out)], [grad(x, out)])
    return compile_op


def _tanh_grad(x: np.ndarray, a: np.ndarray) -> Bind:
    # g * (1 - a * a), built in out: one buffer less to stream
    return lambda g, o: [partial(np.multiply, a, a, o), partial(np.subtract, 1.0, o, o),
                         partial(np.multiply, g, o, o)]


def _exp_grad(x: np.ndarray, a: np.ndarray) -> Bind:
    return _times(a)


def _log_grad(x: np.ndarray, a: np.ndarray) -> Bind:
    return lambda g, o: [partial(np.divide, g, x, o)]


def _identity(node, ins, listed, alloc):
    (x,) = ins
    return _Op(x, [], [None])   # the eager op returns its input array


def _power(node, ins, listed, alloc):
    out, (x,) = alloc(node.shape), ins
    p = node.op_params["p"]   # the exponent the op was called with
    # ``x ** p`` itself, as the eager op writes it: numpy computes some exponents
    # (2, 0.5, -1) with other calls than np.power, and a tape gives eager's bits
    forward = [lambda: np.copyto(out, x ** p)]
    if p == 0:
        return _Op(out, forward, [lambda g, o: [partial(o.fill, 0.0)]])

    def grad(g, o):   # (g * p) * x ** (p - 1), in the eager VJP's order
        return [partial(np.multiply, g, p, o), lambda: np.multiply(o, x ** (p - 1), o)]
    return _Op(out, forward, [grad])


def _reshape(node, ins, listed, alloc):
    # Copies, where the eager op may return views: a reshape moves no number, so
    # the values are the same, and a copy is right whatever the strides of x or g
    # (a reshape of a strided view would be a copy made once, then stale).
    out, (x,) = alloc(node.shape), ins
    return _Op(out, [lambda: np.copyto(out, x.reshape(out.shape))],
               [lambda g, o: [lambda: np.copyto(o, g.reshape(o.shape))]], [x.shape])


def _relu(node, ins, listed, alloc):
    out, (z,) = alloc(node.shape), ins
    positive = alloc(node.shape, bool)
    return _Op(out, [partial(np.greater, z, 0, positive), partial(np.maximum, z, 0.0, out=out)],
               [_times(positive)])


def _leaky_relu(node, ins, listed, alloc):
    out, (z,) = alloc(node.shape), ins
    alpha = float(node.op_params["alpha"])   # the slope the op was called with
    if alpha == 0:   # the eager op computes relu then
        return _relu(node, ins, listed, alloc)
    slope = alloc(node.shape)
    positive = alloc(node.shape, bool)
    # slope = where(z > 0, 1, alpha); value z * slope, as the eager op computes it
    return _Op(out, [partial(np.greater, z, 0, positive), partial(slope.fill, alpha),
                     partial(np.copyto, slope, 1.0, where=positive),
                     partial(np.multiply, z, slope, out)], [_times(slope)])


def _sigmoid_kernels(z, e, d, a) -> List[Kernel]:
    """ops._sigmoid's σ, the same bits: e = e^-|z|, d = 1 + e,
    a = maximum(e, sign(z)) / d (that numerator is where(z >= 0, 1, e)). Built in a."""
    # -|z| (the same bits as -np.abs(z), in one call) goes into d for a moment:
    # e^x computed in place may take another kernel than eager's np.exp(x), which
    # numpy 1.22 does for one element (1 ulp apart); d is written right after
    return [partial(np.copysign, z, -1.0, d), partial(np.exp, d, e), partial(np.add, 1.0, e, d),
            partial(np.sign, z, a), partial(np.maximum, e, a, out=a), partial(np.divide, a, d, a)]


def _sigmoid(node, ins, listed, alloc):
    out, (z,) = alloc(node.shape), ins
    e, d, slope = alloc(node.shape), alloc(node.shape), alloc(node.shape)
    forward = _sigmoid_kernels(z, e, d, out) + [
        partial(np.multiply, d, d, slope), partial(np.divide, e, slope, slope)]   # σ' = e / d²
    return _Op(out, forward, [_times(slope)])


def _reduction(mean: bool) -> Callable:
    def compile_op(node, ins, listed, alloc):
        (x,) = ins
        # the axes and keepdims the op was called with, normalised as the op does
        axes, keepdims = _axes(x, node.op_params["axis"]), node.op_params["keepdims"]
        out = alloc(node.shape)
        # a float: numpy converts an int each call (exactly: counts are below 2**53)
        count = float(np.prod([x.shape[a] for a in axes]))
        shape = x.shape
        forward = [_reduce(x, axes, keepdims, out)]
        if mean:
            forward.append(partial(np.true_divide, out, count, out))

        # ops._expand_back: g (g / count for the mean) with the summed axes put
        # back as 1s, broadcast to the input's shape: a read-only view
        scaled = alloc(node.shape) if mean else None

        def make(g):
            h = scaled if mean else g
            return np.broadcast_to(h if keepdims else np.expand_dims(h, axes), shape)

        def update(g):
            return [partial(np.true_divide, g, count, scaled)] if mean else []
        return _Op(out, forward, [_View(make, update)], [shape])
    return compile_op


def _in_replay(node: Tensor, i: int, listed: list, check: Callable[[], None]) -> Kernel:
    """``check`` of input i, run at each replay: its ``ValueError`` says that it
    came from replaying a recorded tape on new values, naming the node and the
    input (the eager op's message, checked in the eager engine, stays its own)."""
    x = node.parents[i]
    what = "a leaf" if listed[i] else "a constant, read at each replay" if x.op is None \
        else f"computed at each replay by op {x.op}"
    name = f" ({node.name})" if node.name else ""
    where = (f"replay: the tape (mg.record) replays op {node.op}{name} on the values given "
             f"to replay, and its input {describe(x)} ({what}) is refused")

    def kernel():
        try:
            check()
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return kernel


def _labels(node: Tensor, y: np.ndarray, is_one: np.ndarray, listed: list) -> List[Kernel]:
    """The label check to run at each replay (functional.check_labels' rule: Y
    differs from Y > 0.5 where Y is not 0 or 1): none when Y is a constant
    array that owns its memory and came read-only (fit's labels, a private
    copy), which is checked (and its mask made) once, here. The tape locks
    a writable Y, but a view's base it cannot (``y[:, :]`` of a caller's y),
    nor a view taken before the lock (``v = Y[:, :]`` stays writable): their
    writes reached the values but not a mask made once, and J took stale
    signs, unchecked."""
    def check():
        check_labels(y, is_one)
    if listed[1] or node.parents[1].op is not None or y.base is not None or _lockable(y):
        return [_in_replay(node, 1, listed, check)]
    check()
    return []


def _scaled_g(g: np.ndarray, count: int, alloc: Callable) -> Tuple[np.ndarray, Kernel]:
    """g / count, the eager losses' first rounding of the seed, into a 0-d buffer."""
    gc = alloc(())
    return gc, partial(np.true_divide, g, count, gc)


def _bce_with_logits(node, ins, listed, alloc):
    z, y = ins
    if z.shape != y.shape:
        raise ValueError(f"record: Z {z.shape} and Y {y.shape} differ in shape")
    is_one = np.empty(z.shape, dtype=bool)
    check = _labels(node, y, is_one, listed)
    count = float(z.size)   # as an int, numpy would convert it at each call
    out = alloc(())
    t, e, d, a = (alloc(z.shape) for _ in range(4))
    # softplus(S) = max(S, 0) + log(1 + e^-|Z|), S = where(Y, -Z, Z), as the eager op;
    # S is Z times ±1 (exact): one call when Y is a constant
    signed = [partial(np.multiply, z, np.where(is_one, -1.0, 1.0), t)] if not check else \
        [partial(np.copyto, t, z), partial(np.negative, z, t, where=is_one)]
    forward = check + signed + [partial(np.maximum, t, 0.0, out=t)] \
        + _sigmoid_kernels(z, e, d, a) \
        + [partial(np.log1p, e, d), partial(np.add, t, d, t),   # e = e^-|Z| serves both
           _reduce(t, None, False, out), partial(np.true_divide, out, count, out)]

    def grad_z(g, o):   # (g / count) * (A - Y): the notes' dZ = A - Y, fused
        gc, scale = _scaled_g(g, count, alloc)
        return [scale, partial(np.subtract, a, y, o), partial(np.multiply, gc, o, o)]

    def grad_y(g, o):   # -(g / count) * Z
        gc, scale = _scaled_g(g, count, alloc)
        return [scale, partial(np.negative, gc, gc), partial(np.multiply, gc, z, o)]
    return _Op(out, forward, [grad_z, grad_y], [z.shape, y.shape])


_CLIP = 1e-15   # functional.PROBABILITY_CLIP


def _bce(node, ins, listed, alloc):
    a, y = ins
    if a.shape != y.shape:
        raise ValueError(f"record: A {a.shape} and Y {y.shape} differ in shape")
    is_one = np.empty(a.shape, dtype=bool)
    count = float(a.size)
    out = alloc(())
    one_minus_y, p, lp, minus_p, l1p = (alloc(a.shape) for _ in range(5))
    inside = alloc(a.shape, bool)

    def cost():
        out[()] = -(np.vdot(y, lp) + np.vdot(one_minus_y, l1p)) / count
    forward = _labels(node, y, is_one, listed) + [
        _in_replay(node, 0, listed, partial(check_probabilities, a)),   # as eager: no logits
        partial(np.subtract, 1.0, y, one_minus_y), partial(np.maximum, a, _CLIP, out=p),
        partial(np.minimum, p, 1.0 - _CLIP, out=p), partial(np.equal, p, a, inside),
        partial(np.log, p, lp), partial(np.negative, p, minus_p), partial(np.log1p, minus_p, l1p),
        cost]

    def grad_a(g, o):   # (g / count) * inside / (one_minus_y - p)
        gc, scale = _scaled_g(g, count, alloc)
        gap = alloc(a.shape)
        return [scale, partial(np.multiply, gc, inside, o),
                partial(np.subtract, one_minus_y, p, gap), partial(np.divide, o, gap, o)]

    def grad_y(g, o):   # (log1p(-p) - log(p)) * (g / count)
        gc, scale = _scaled_g(g, count, alloc)
        return [partial(np.subtract, l1p, lp, o), scale, partial(np.multiply, o, gc, o)]
    return _Op(out, forward, [grad_a, grad_y], [a.shape, y.shape])


OPS: Dict[str, Callable] = {
    "add": _elementwise(np.add), "sub": _elementwise(np.subtract),
    "mul": _elementwise(np.multiply), "div": _elementwise(np.divide),
    "neg": _neg, "pow": _power, "matmul": _matmul, "linear": _linear, "transpose": _transpose,
    "reshape": _reshape,
    "tanh": _unary(np.tanh, _tanh_grad), "exp": _unary(np.exp, _exp_grad),
    "log": _unary(np.log, _log_grad), "sigmoid": _sigmoid, "relu": _relu,
    "leaky_relu": _leaky_relu, "identity": _identity,
    "sum": _reduction(mean=False), "mean": _reduction(mean=True),
    "binary_cross_entropy_with_logits": _bce_with_logits, "binary_cross_entropy": _bce,
}
