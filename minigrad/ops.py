"""Every differentiable op, written once: the forward value beside its
vector-Jacobian products (VJPs).

An op's forward takes numpy arrays and returns ``(value, vjps)``, where
``vjps[i]`` maps the gradient of the output (same shape as ``value``) to the
gradient of input ``i``. Each input gets its own VJP so the engine can skip
inputs that need no gradient (X, Y). The VJPs close over arrays only, never
over Tensors, so a graph is freed by reference counting alone. A VJP may
return a broadcast-shaped gradient: the engine sums it back to the input's
shape in one place (``tensor._unbroadcast``).

``+ - * /`` broadcast as numpy does, but for one case they refuse: a rank-1
array (n,) repeated down the rows of a matrix (a bias b (n,) where b[l] is
(n, 1)), which numpy does silently when m = n, giving sample j the j-th bias.
"""
from __future__ import annotations

import functools
import inspect
import math
import threading
from numbers import Real
from typing import Any, Callable, Optional

import numpy as np

from minigrad import buffers as _buffers
from minigrad.buffers import empty, recycled
from minigrad.tensor import Tensor, _constant, describe

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@"}


def op(name: str, n_inputs: int = 1) -> Callable:  # pragma: no mutate block (runs at import)
    """Turn ``forward(*arrays, **options) -> (value, vjps)`` into a function on
    Tensors (numbers and arrays are accepted as constant inputs, shared as
    ``mg.as_tensor`` shares them: read-only while a recorded graph reads them).

    A ``ValueError`` raised by the forward is re-raised naming the op and the
    input nodes with their shapes.
    """
    # One wrapper per arity: this runs for every op of every step, and spelling
    # the inputs out costs less than generators over *args.
    from_op = Tensor._from_op

    def decorate(forward: Callable) -> Callable:
        # The op's parameters (after its array inputs; a leading _ marks a private
        # shortcut, not a parameter), with their defaults: each result keeps them
        # as called (op_params), for the tape, the trace and the picture.
        signature = inspect.signature(forward).parameters
        names = [k for k in list(signature)[n_inputs:] if not k.startswith("_")]
        defaults = {k: signature[k].default for k in names
                    if signature[k].default is not inspect.Parameter.empty}

        def params(rest: tuple, options: dict) -> dict:
            given = dict(defaults)
            given.update(zip(names, rest))
            given.update((k, v) for k, v in options.items() if k in names)
            return given

        if n_inputs == 1:
            def apply(x: Any, *rest: Any, **options: Any) -> Tensor:
                x = x if isinstance(x, Tensor) else _constant(x)
                try:
                    value, vjps = forward(x._data, *rest, **options)
                except ValueError as error:
                    raise ValueError(f"{name}: {_describe_inputs(name, (x,))}: {error}") from None
                return from_op(value, (x,), name, vjps, params(rest, options) if names else None)
        elif n_inputs == 2:
            def apply(x: Any, y: Any, *rest: Any, **options: Any) -> Tensor:
                x = x if isinstance(x, Tensor) else _constant(x)
                y = y if isinstance(y, Tensor) else _constant(y)
                try:
                    value, vjps = forward(x._data, y._data, *rest, **options)
                except ValueError as error:
                    raise ValueError(f"{name}: {_describe_inputs(name, (x, y))}: {error}") from None
                return from_op(value, (x, y), name, vjps, params(rest, options) if names else None)
        elif n_inputs == 3:
            def apply(x: Any, y: Any, w: Any, *rest: Any, **options: Any) -> Tensor:
                x = x if isinstance(x, Tensor) else _constant(x)
                y = y if isinstance(y, Tensor) else _constant(y)
                w = w if isinstance(w, Tensor) else _constant(w)
                try:
                    value, vjps = forward(x._data, y._data, w._data, *rest, **options)
                except ValueError as error:
                    raise ValueError(f"{name}: {_describe_inputs(name, (x, y, w))}: "
                                     f"{error}") from None
                return from_op(value, (x, y, w), name, vjps,
                               params(rest, options) if names else None)
        else:
            raise ValueError(f"op {name!r}: n_inputs must be 1, 2 or 3; got {n_inputs}")
        return functools.wraps(forward)(apply)
    return decorate


def _describe_inputs(name: str, inputs: tuple) -> str:
    if len(inputs) == 2 and name in _SYMBOLS:
        return f"{describe(inputs[0])} {_SYMBOLS[name]} {describe(inputs[1])}"
    return ", ".join(describe(t) for t in inputs)


def _broadcast_shape(x: np.ndarray, y: np.ndarray) -> tuple:
    """numpy's broadcast rule, in plain Python: cheaper than np.broadcast_shapes per op."""
    if x.shape == y.shape:
        return x.shape
    extra = x.ndim - y.ndim
    a, b = ((1,) * -extra + x.shape, y.shape) if extra < 0 else (x.shape, (1,) * extra + y.shape)
    shape = []
    for n, k in zip(a, b):
        if n == k or k == 1:
            shape.append(n)
        elif n == 1:
            shape.append(k)
        else:
            raise ValueError(f"shapes {x.shape} and {y.shape} do not broadcast (each trailing "
                             f"dimension must be equal, or 1 in one of them)")
    return tuple(shape)


def _refuse_rank_1_rows(x: np.ndarray, y: np.ndarray) -> None:
    """The one numpy broadcast the engine refuses: a rank-1 array (n,) repeated
    down the rows of a matrix, entry j into column j. Samples being columns,
    that gives sample j the j-th value; a bias b[l] (n, 1) means one value per
    row. numpy does it silently where m = n (Z right-shaped, wrong numbers) and
    at m = 1 (Z (n, n)); everywhere else it refuses, and so do we."""
    for v in (x, y):
        if v.ndim == 1 and v.size > 1:
            shape = _broadcast_shape(x, y)   # numpy's refusal, when it refuses, first
            if int(np.prod(shape[:-1])) > 1:   # two rows or more: (1, n) is just a row
                n = v.shape[0]
                raise ValueError(
                    f"a rank-1 array ({n},) would be repeated down the {shape} result's "
                    f"rows, its entry j in column j (sample j: samples are columns), not "
                    f"one value per row as a bias b[l] ({n}, 1) has: make it a column with "
                    f".reshape(-1, 1) (np.sum(..., axis=1, keepdims=True) keeps one), or a "
                    f"row (1, {n}) with .reshape(1, -1) if one value per column is meant")


def _elementwise(ufunc: np.ufunc, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ufunc(x, y) with broadcasting; a large result goes into a recycled array
    (``minigrad.buffers``; the same bits). x.size * y.size bounds its size.
    A rank-1 operand is not repeated down a matrix's rows (``_refuse_rank_1_rows``)."""
    if x.ndim != y.ndim and (x.ndim == 1 or y.ndim == 1):   # not for every scalar
        _refuse_rank_1_rows(x, y)
    # read at each call, not imported: a test sets it to 0 to pool every result
    if x.size * y.size >= _buffers.MIN_ENTRIES:   # maybe large: its shape, for the pool
        shape = _broadcast_shape(x, y)
        return ufunc(x, y, out=recycled(shape, math.prod(shape)))
    try:
        return ufunc(x, y)
    except ValueError:
        _broadcast_shape(x, y)   # raises the message that names both shapes
        raise


def _unary(ufunc: np.ufunc, z: np.ndarray, *constants: float) -> np.ndarray:
    # ufunc(z, *constants); a large result into a recycled array, as _elementwise does
    return ufunc(z, *constants, out=recycled(z.shape, z.size))


# --- elementwise arithmetic, with numpy broadcasting (less _refuse_rank_1_rows) --
@op("add", 2)
def add(x, y):
    """Z = X + Y. Shapes: broadcastable -> broadcast shape."""
    return _elementwise(np.add, x, y), (lambda g: g, lambda g: g)


@op("sub", 2)
def sub(x, y):
    """Z = X - Y. Shapes: broadcastable -> broadcast shape."""
    return _elementwise(np.subtract, x, y), (lambda g: g, lambda g: -g)


@op("mul", 2)
def mul(x, y):
    """Z = X * Y elementwise. Shapes: broadcastable -> broadcast shape."""
    return _elementwise(np.multiply, x, y), (lambda g: g * y, lambda g: g * x)


@op("div", 2)
def div(x, y):
    """Z = X / Y elementwise. Shapes: broadcastable -> broadcast shape."""
    z = _elementwise(np.true_divide, x, y)
    return z, (lambda g: g / y, lambda g: -g * z / y)


@op("neg")
def neg(x):
    """Z = -X. Shapes: any -> same."""
    return -x, (lambda g: -g,)


def power(x: Any, exponent: Any) -> Tensor:
    """Z = X ** p for a number p (a tensor exponent is not supported)."""
    if isinstance(exponent, Tensor) or not isinstance(exponent, Real) or isinstance(exponent, bool):
        raise TypeError(f"pow: the exponent must be a real number; got {type(exponent).__name__}")
    try:
        p = float(exponent)
    except OverflowError:   # an int beyond float64's range
        raise ValueError(f"pow: the exponent, an int of {len(str(abs(exponent)))} digits, "
                         f"is beyond float64's range") from None
    return _power(x, p)


@op("pow")
def _power(x, p):
    z = x ** p
    if p == 0:   # X ** 0 is 1 everywhere: slope 0, also at 0 (where p x^(p-1) is 0 * inf)
        return z, (lambda g: np.zeros(x.shape),)
    return z, (lambda g: g * p * x ** (p - 1),)


# --- linear algebra and shapes ----------------------------------------------
def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for 2-D a and b. An inner dimension of 1 is an outer product
    (W[2]ᵀ dZ[2] in backprop), which broadcasting computes with the same
    numbers, bit for bit, and faster than BLAS (see benchmarks/README.md)."""
    n, m = a.shape[0], b.shape[1]
    out = recycled((n, m), n * m)   # a large result: into a recycled array
    return np.multiply(a, b, out=out) if a.shape[1] == 1 else np.matmul(a, b, out=out)


@op("matmul", 2)
def matmul(a, b):
    """Z = A @ B for 2-D and 1-D operands: (n, k) @ (k, m) -> (n, m),
    (n, k) @ (k,) -> (n,), (k,) @ (k, m) -> (m,), (k,) @ (k,) -> ()."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:   # the networks' case
        return _mm(a, b), (lambda g: _mm(g, b.T), lambda g: _mm(a.T, g))
    if a.ndim not in (1, 2) or b.ndim not in (1, 2):
        raise ValueError(f"matmul takes 1-D and 2-D operands; got {a.ndim}-D and {b.ndim}-D")
    if a.shape[-1] != b.shape[0]:
        raise ValueError(f"inner dimensions {a.shape[-1]} and {b.shape[0]} differ"
                         f"{_transpose_hint(a, b)}")
    # A vector is a row on the left and a column on the right; with that, one rule fits all.
    a2 = a if a.ndim == 2 else a.reshape(1, -1)
    b2 = b if b.ndim == 2 else b.reshape(-1, 1)
    out_2d = (a2.shape[0], b2.shape[1])
    return a @ b, (lambda g: _mm(g.reshape(out_2d), b2.T).reshape(a.shape),
                   lambda g: _mm(a2.T, g.reshape(out_2d)).reshape(b.shape))


@op("linear", 3)
def linear(w, a, b):
    """Z = W A + b, one node: the notes' z[l] = W[l] a[l-1] + b[l]. Shapes: W (n, k),
    A (k, m), b (n, 1) (or anything that broadcasts to (n, m) without growing it,
    but a rank-1 b of m entries only where n = 1: numpy would repeat it down the
    rows, entry j into sample j) -> (n, m). The same numbers as ``W @ A + b``, bit
    for bit, with one node and one array less: b is added into the product's own
    array. (A tensor given as two of W, A, b gets its shares added in another
    order than W @ A + b adds them: where three or more meet at it, its gradient
    may differ in the last bit.)"""
    if a.ndim != 2 or w.ndim != 2:
        raise ValueError(f"linear takes a 2-D W and A (samples as columns); got "
                         f"{w.ndim}-D and {a.ndim}-D")
    (n, k), (rows, m) = w.shape, a.shape   # each shape read once: this runs every step
    if k != rows:
        raise ValueError(f"inner dimensions {k} and {rows} of W A differ"
                         f"{_transpose_hint(w, a)}")
    if b.shape != (n, 1):   # not the bias column every layer has: check it
        _check_bias(b, (n, m))
    z = _mm(w, a)
    np.add(z, b, z)   # out by position: a keyword costs numpy more to read
    return z, (lambda g: _mm(g, a.T), lambda g: _mm(w.T, g), lambda g: g)


def _check_bias(b: np.ndarray, shape: tuple) -> None:
    """linear's b must broadcast to W A's ``shape`` without growing it, and not as
    a rank-1 array across the rows (``_refuse_rank_1_rows``' case). Each fix the
    message offers fits."""
    n, m = shape
    column = ": b.reshape(-1, 1)" if b.size == n else ""
    # numpy's silent case (size m), or (m = 1) the one where it grows W A to (n, size)
    if b.ndim == 1 and b.size > 1 and n > 1 and (b.size == m or m == 1):
        row = (f"; or a row (1, {m}) with b.reshape(1, -1) if one value per column is meant"
               if b.size == m and m > 1 else "")
        raise ValueError(f"b {b.shape} is rank-1: numpy would add its entry j to column j "
                         f"(sample j), not one value per row; a bias is a column ({n}, 1)"
                         f"{column}{row}")
    try:
        fits = np.broadcast_shapes(shape, b.shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"b {b.shape} does not fit W A {shape}: a bias is "
                         + (f"a column ({n}, 1), one value per row{column}" if column else
                            f"({n}, 1), one value per row (or any shape that broadcasts to "
                            f"{shape})"))


def _transpose_hint(a: np.ndarray, b: np.ndarray) -> str:
    """What a (n, k) @ (p, q) whose inner sizes differ would fit with, in the
    notes' terms: X given (m, n_x), W[l] given one column per neuron, or the
    operands written the other way round (X @ W[l] for W[l] X)."""
    if a.ndim == 2 and b.ndim == 2:
        if a.shape[1] == b.shape[1]:
            return (f"; the right operand transposed {b.shape[::-1]} would fit: samples "
                    f"are columns, X is (n_x, m)")
        if a.shape[0] == b.shape[0]:
            return (f"; the left operand transposed {a.shape[::-1]} would fit: W[l] is "
                    f"(n[l], n[l-1]), one row per neuron")
        if b.shape[1] == a.shape[0]:
            return (f"; the operands the other way round, {b.shape} @ {a.shape}, would "
                    f"fit: Z[l] = W[l] A[l-1], W[l] first")
    return ""


@op("transpose")
def transpose(x, axes=None):
    """Z = Xᵀ (axes reversed), or the axes permuted as given."""
    try:
        z = np.transpose(x, axes)
    except (ValueError, TypeError) as error:
        raise ValueError(f"bad axes {axes} for {x.ndim}-D data ({error})") from None
    # argsort of the axes as given would misread a negative alias (-1 for the last)
    inverse = None if axes is None else tuple(np.argsort([a % x.ndim for a in axes]))
    return z, (lambda g: np.transpose(g, inverse),)


@op("reshape")
def reshape(x, shape):
    """Z = X with a new shape holding the same number of entries."""
    try:
        z = x.reshape(shape)
    except (ValueError, TypeError):
        raise ValueError(f"cannot reshape {x.size} entries into shape {shape}") from None
    return z, (lambda g: g.reshape(x.shape),)


def _axes(x: np.ndarray, axis: Any) -> tuple:
    """``axis`` (None, an int or a tuple, negatives allowed) as a tuple of axes."""
    if axis is None:
        return tuple(range(x.ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise ValueError(f"axis must be None, an int or a tuple of ints; got {axis!r}")
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"axis {a} is out of range for {x.ndim}-D data")
    normalized = tuple(int(a) % x.ndim for a in axes)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"repeated axis in {axis!r}")
    return normalized


def _expand_back(g: np.ndarray, shape: tuple, axes: tuple, keepdims: bool) -> np.ndarray:
    # Put the summed-away axes back as 1s, then spread g over them.
    if not keepdims:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


@op("sum")
def sum(x, axis=None, keepdims=False):
    """Z = Σ X over ``axis`` (None: all). (n, m) -> (n, 1) with axis=1, keepdims=True."""
    axes = _axes(x, axis)
    return x.sum(axis=axes, keepdims=keepdims), \
        (lambda g: _expand_back(g, x.shape, axes, keepdims),)


@op("mean")
def mean(x, axis=None, keepdims=False):
    """Z = mean of X over ``axis`` (None: all); each entry gets 1/count of the gradient."""
    axes = _axes(x, axis)
    count = int(np.prod([x.shape[a] for a in axes]))
    if count == 0:
        raise ValueError("mean over zero entries")
    return x.mean(axis=axes, keepdims=keepdims), \
        (lambda g: _expand_back(g / count, x.shape, axes, keepdims),)


# --- elementwise functions ---------------------------------------------------
@op("exp")
def exp(x):
    """A = e^Z. Shapes: any -> same."""
    a = np.exp(x)
    return a, (lambda g: g * a,)


@op("log")
def log(x):
    """A = ln Z (Z > 0). Shapes: any -> same."""
    return np.log(x), (lambda g: g / x,)


@op("tanh")
def tanh(z):
    """A = tanh(Z). Shapes: any -> same."""
    a = _unary(np.tanh, z)
    return a, (lambda g: _tanh_vjp(g, a),)


def _tanh_vjp(g: np.ndarray, a: np.ndarray) -> np.ndarray:
    """g * (1 - a²) (tanh' = 1 - a²), the same three roundings in one fresh
    array instead of three: fewer large allocations a step to page in."""
    out = np.multiply(a, a, out=empty(a.shape))   # g has a's shape: the engine's rule
    np.subtract(1.0, out, out=out)
    return np.multiply(g, out, out=out)


def _sigmoid(z: np.ndarray, e: Optional[np.ndarray] = None) -> np.ndarray:
    """σ(z) from e = e^-|z| (given, or computed here), which never overflows
    (z = ±1000 gives 0 and 1 without a warning): 1 / (1 + e) where z >= 0,
    e / (1 + e) below."""
    if e is None:
        e = np.exp(-np.abs(z))
    # The numerator where(z >= 0, 1, e) is maximum(e, sign(z)) for every float64
    # (z > 0: e < 1 against 1; z < 0: e >= 0 against -1; z = ±0: e = 1; NaN: NaN),
    # exactly, in two calls that cost half of np.where's one.
    a = np.sign(z, out=np.empty(z.shape))   # out: an array also when z is 0-d
    np.maximum(e, a, out=a)
    a /= 1.0 + e
    return a


def _sigmoid_slope(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 - σ(z)) = e / (1 + e)², which keeps its digits where
    1 - σ(z) would round to 0 (z > 37)."""
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return e / (d * d)


def _sigmoid_and_slope(z: np.ndarray) -> tuple:
    return _sigmoid(z), _sigmoid_slope(z)


@op("sigmoid")
def sigmoid(z):
    """A = σ(Z) = 1 / (1 + e^-Z). Shapes: any -> same."""
    # The slope waits for backward, from Z (which the graph holds anyway): a net's
    # output A[L] feeds no cost, so nothing reaches its VJP, and no array is kept.
    return _sigmoid(z), (lambda g: g * _sigmoid_slope(z),)   # σ' = a(1 - a), kept past z = 37


class _KinkWatch(threading.local):
    # gradcheck's watch on the kinks: while set, relu and leaky_relu append
    # (op, input, where it is > 0) to it (a list at gradcheck's point; in a nudge,
    # what compares each call with the point's), so that a crossing of 0 is seen.
    # Per thread, as no_grad is: a gradcheck in one thread never sees another's ops.
    seen: Any = None   # None: no gradcheck watches


kink_watch = _KinkWatch()


@op("relu")
def relu(z):
    """A = max(0, Z). Shapes: any -> same."""
    positive = z > 0
    if kink_watch.seen is not None:
        kink_watch.seen.append(("relu", z, positive))
    # 0 at z = 0, as PyTorch takes it (the notes allow 0 or 1, DESIGN fixes 0).
    # maximum, not where: it keeps NaN visible
    return _unary(np.maximum, z, 0.0), (lambda g: g * positive,)


@op("leaky_relu")
def leaky_relu(z, alpha=0.01):
    """A = Z where Z > 0, else alpha * Z (alpha a real number >= 0). Shapes: any -> same."""
    if not isinstance(alpha, Real) or isinstance(alpha, bool):
        raise TypeError(f"leaky_relu: alpha must be a real number >= 0; got {alpha!r} "
                        f"({type(alpha).__name__})")
    if not 0 <= alpha < np.inf:
        raise ValueError(f"alpha must be a real number >= 0; got {alpha!r}")
    positive = z > 0
    if kink_watch.seen is not None and alpha != 1:   # alpha = 1: no kink
        kink_watch.seen.append(("leaky_relu", z, positive))
    if alpha == 0:   # relu itself: z * 0 would be NaN at z = -inf, where relu gives 0
        return _unary(np.maximum, z, 0.0), (lambda g: g * positive,)
    slope = np.where(positive, 1.0, alpha)   # alpha at z = 0, as relu takes the left slope
    return z * slope, (lambda g: g * slope,)


@op("identity")
def identity(z):
    """A = Z: the 'linear activation' of the notes."""
    return z, (lambda g: g,)
