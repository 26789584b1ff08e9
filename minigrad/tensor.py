"""Tensor: a float64 numpy array that remembers how it was made.

A Tensor made by an op keeps its inputs (``parents``), the op's name (``op``)
and one vector-Jacobian product per input (``_vjps``). ``backward()`` walks
that graph once, in reverse topological order, and leaves ``.grad`` on every
tensor that depends on a leaf with ``requires_grad=True``.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from typing import Any, Iterator, Optional

import numpy as np

__all__ = ["Tensor", "tensor", "as_tensor", "no_grad", "detect_anomaly",
           "is_grad_enabled", "topological_order", "describe"]


class _Modes(threading.local):
    # Thread-local so that a no_grad() block in one thread never silences another.
    grad_enabled = True
    anomaly = False


_modes = _Modes()
# Every tensor gets the next number when it is made. Inputs exist before the
# tensors made from them, so sorting by this number is a topological order.
_creation_counter = itertools.count()


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``."""
    return _modes.grad_enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Record no graph inside the block: results have no parents and need no grad."""
    previous, _modes.grad_enabled = _modes.grad_enabled, False
    try:
        yield
    finally:
        _modes.grad_enabled = previous


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``FloatingPointError`` at the first node whose value or gradient is
    not finite, naming it (name, op, shape), instead of letting NaN spread."""
    previous, _modes.anomaly = _modes.anomaly, True
    try:
        yield
    finally:
        _modes.anomaly = previous


def _as_float64(data: Any) -> np.ndarray:
    array = np.asarray(data)
    kind = array.dtype.kind
    if kind == "f":
        return array if array.dtype == np.float64 else array.astype(np.float64)
    if kind in "iub":
        return array.astype(np.float64)
    raise TypeError(f"tensor data must be real numbers (float, int or bool); "
                    f"got dtype {array.dtype} from {type(data).__name__}")


class Tensor:
    """A node of the computation graph.

    ``data`` is a float64 array; ``grad`` is None until ``backward()``, then an
    array of ``data``'s shape holding d(root)/d(self).
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "op", "parents", "_vjps",
                 "_seq", "__weakref__")
    # Makes numpy hand `array + tensor` to Tensor.__radd__ instead of looping over it.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False,
                 name: Optional[str] = None) -> None:
        self.data = data.data if isinstance(data, Tensor) else _as_float64(data)
        self.grad: Optional[np.ndarray] = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self.op: Optional[str] = None
        self.parents: tuple = ()
        self._vjps: Optional[tuple] = None
        self._seq = next(_creation_counter)

    @classmethod
    def _from_op(cls, value: np.ndarray, parents: tuple, op: str, vjps: tuple) -> "Tensor":
        # The hot path of every op: plain loops and stores, no generators.
        out = cls.__new__(cls)
        # numpy hands back a scalar (np.float64) for 0-d results; keep data an ndarray
        if not isinstance(value, np.ndarray):
            value = np.asarray(value)
        out.data, out.grad, out.name, out.op = value, None, None, op
        out._seq = next(_creation_counter)
        out.parents, out.requires_grad, out._vjps = (), False, None
        if _modes.grad_enabled:
            out.parents = parents
            for p in parents:
                if p.requires_grad:
                    out.requires_grad, out._vjps = True, vjps
                    break
        if _modes.anomaly and not np.isfinite(value).all():
            raise FloatingPointError(
                f"detect_anomaly: {op} made a non-finite value ({_first_bad(value)}) "
                f"of shape {value.shape} from {', '.join(describe(p) for p in parents)}")
        return out

    # --- attributes -------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def named(self, name: str) -> "Tensor":
        """Set the name (``"Z[1]"``) and return the tensor, for chaining."""
        self.name = name
        return self

    def __repr__(self) -> str:
        extras = "".join([f", name={self.name!r}" if self.name else "",
                          f", op={self.op!r}" if self.op else "",
                          ", requires_grad=True" if self.requires_grad else ""])
        body = np.array2string(self.data, precision=4, threshold=20, separator=", ",
                               prefix="tensor(")
        return f"tensor({body}{extras})"

    # --- leaving the graph -------------------------------------------------
    def detach(self) -> "Tensor":
        """The same data (not copied) as a new leaf with no history."""
        return Tensor(self.data, name=self.name)

    def numpy(self) -> np.ndarray:
        """The data array itself (not a copy)."""
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor of one element; {describe(self)} "
                             f"has {self.data.size}")
        return float(self.data.reshape(()))

    def zero_grad(self) -> None:
        """Forget the gradient; without this, gradients add up over backward() calls."""
        self.grad = None

    # --- the backward pass --------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Fill ``.grad`` of every tensor that depends on a ``requires_grad`` leaf.

        ``grad`` is d(something)/d(self); it defaults to 1 for a one-element tensor.
        Gradients accumulate: call ``zero_grad()`` (or make a new graph) between calls.
        """
        if not self.requires_grad:
            raise ValueError(f"backward() on {describe(self)}, which does not depend on "
                             f"any tensor with requires_grad=True")
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on non-scalar {describe(self)} needs a seed: pass "
                    f"grad= an array of shape {self.shape} (or reduce it first, e.g. .sum())")
            seed = np.array(1.0).reshape(self.data.shape)   # np.ones_like costs 4x more
        else:
            seed = _as_float64(grad)
            if seed.shape != self.shape:
                raise ValueError(f"backward(): grad of shape {seed.shape} does not match "
                                 f"{describe(self)}")
        check = _modes.anomaly
        if check:
            for node in topological_order(self):   # inputs first: name where the NaN started
                if not np.isfinite(node.data).all():
                    raise FloatingPointError(
                        f"detect_anomaly: value of {_anomaly_label(node)} is not finite "
                        f"({_first_bad(node.data)})")
        # Newest node first: every consumer of a node was made after it, so a node
        # leaves the heap only once all its gradient has arrived. Only nodes that
        # receive a gradient enter it (X and Y never do), and no separate
        # topological sort is needed.
        pending = {self._seq: seed}   # gradients of this call only: no double counting
        heap = [(-self._seq, self)]
        while heap:
            node = heapq.heappop(heap)[1]
            g = pending.pop(node._seq)
            if check and not np.isfinite(g).all():
                raise FloatingPointError(f"detect_anomaly: gradient of {_anomaly_label(node)} "
                                         f"is not finite ({_first_bad(g)})")
            total = g if node.grad is None else node.grad + g
            # .grad is a writable ndarray: not a read-only broadcast view (sum's
            # VJP makes those), not the numpy scalar a 0-d sum comes back as.
            if not isinstance(total, np.ndarray) or not total.flags.writeable:
                total = np.array(total)
            node.grad = total
            if node._vjps is None:
                continue
            for parent, vjp in zip(node.parents, node._vjps):
                if not parent.requires_grad:
                    continue   # nobody needs it: skip the work
                pg = vjp(g)
                shape = parent.data.shape
                if pg.shape != shape:
                    pg = _unbroadcast(pg, shape)
                key = parent._seq
                if key in pending:
                    pending[key] = pending[key] + pg
                else:
                    pending[key] = pg
                    heapq.heappush(heap, (-key, parent))

    # --- operators (each op lives once, in ops.py) --------------------------
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __pow__(self, exponent): return _ops.power(self, exponent)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self

    @property
    def T(self) -> "Tensor":
        return _ops.transpose(self)

    def transpose(self, *axes: Any) -> "Tensor":
        """Reverse the axes, or permute them: ``t.transpose(1, 0)`` or ``t.transpose((1, 0))``."""
        return _ops.transpose(self, _varargs(axes) or None)

    def reshape(self, *shape: Any) -> "Tensor":
        """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one entry may be -1."""
        return _ops.reshape(self, _varargs(shape))

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def exp(self) -> "Tensor": return _ops.exp(self)
    def log(self) -> "Tensor": return _ops.log(self)
    def tanh(self) -> "Tensor": return _ops.tanh(self)
    def sigmoid(self) -> "Tensor": return _ops.sigmoid(self)
    def relu(self) -> "Tensor": return _ops.relu(self)

    def leaky_relu(self, alpha: float = 0.01) -> "Tensor":
        return _ops.leaky_relu(self, alpha=alpha)


def tensor(data: Any, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    """Make a leaf tensor: ``mg.tensor(W1, requires_grad=True, name="W[1]")``."""
    return Tensor(data, requires_grad=requires_grad, name=name)


def as_tensor(x: Any) -> Tensor:
    """x itself if it is a Tensor, else a constant leaf holding it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def describe(t: Tensor) -> str:
    """How errors name a node: ``W[1] (4, 3)``, or ``<matmul> (4, 5)`` when unnamed."""
    label = t.name if t.name else (f"<{t.op}>" if t.op else "tensor")
    return f"{label} {t.data.shape}"


def _anomaly_label(t: Tensor) -> str:
    # describe() shows the op only when the node has no name; anomalies show both.
    return f"{t.name or 'unnamed'} (op {t.op or 'leaf'}, shape {t.data.shape})"


def _varargs(args: tuple) -> tuple:
    # numpy's convention: f(2, 3) and f((2, 3)) mean the same.
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _first_bad(a: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    return f"{a[index]} at {index}" if index else str(a[()])


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient back down to the input's shape: the one place that undoes
    numpy broadcasting (b[1] (n, 1) used across m columns gets an (n, 1) gradient)."""
    if grad.shape == shape:
        return grad
    # np.add.reduce is what .sum() calls, minus a Python layer (~0.5 µs a call)
    extra = grad.ndim - len(shape)
    if extra:
        grad = np.add.reduce(grad, axis=tuple(range(extra)))
    stretched = tuple([i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1])
    if stretched:
        grad = np.add.reduce(grad, axis=stretched, keepdims=True)
    return grad


def topological_order(root: Tensor) -> list:
    """Every node ``root`` depends on, inputs before the nodes made from them.

    Iterative depth-first search, so a chain of 100,000 ops needs no recursion;
    parents are visited in order, so the result is the same for the same graph.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
    return order


from minigrad import ops as _ops  # noqa: E402  (ops builds on Tensor, defined above)
