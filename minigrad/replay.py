"""Record a graph once; replay its forward and backward pass on new leaf values.

    tape = mg.record(lambda: loss_of(W, b), [W, b])   # runs the eager engine once
    J = tape.replay(W_new, b_new)                     # same ops, same order, new values
    tape.grad(W), tape.value(some_node)               # every node's value and gradient

A training step of a fixed graph does the same work every time; the eager
engine still builds a Tensor per op, closures per VJP, and walks a heap of
nodes. A tape does that walk once: it keeps, per node, a preallocated buffer
for its value and one for its gradient, the unbroadcast axes worked out in
advance, and one list of numpy calls (forward, then backward) that write
into those buffers with ``out``. The numbers are the eager engine's, bit
for bit: each kernel below makes the same numpy calls on the same operands as
the op in ``ops.py`` / ``functional.py`` (σ's numerator excepted: another
call, shown to give the same bits for every float64), and ``record`` checks
it on the recorded values (every kept value and gradient must equal the
eager engine's exactly, or it refuses to make a tape).

What a tape does not see: Python. It replays the ops it recorded. A shape
change, or a ``guard`` (a function of the leaf values naming the branch the
Python code takes) with a new answer, makes it record again (when it was
given a function) or raise ``ValueError``; it never replays a stale graph.
Leaves not listed in ``leaves`` are constants: their arrays are read as they
are at each replay, and labels Y are checked when recorded (and at every
replay when Y is a listed leaf).

The arrays a tape returns are its own buffers, rewritten by the next replay:
copy what you keep, and do not write into them. ``intermediates=False``
keeps only the root's value and the leaves' gradients; other nodes' values
and gradients then take turns in shared buffers (``minigrad.buffer_plan``),
so a training step holds less than its eager graph, or a hand-written step. ``mg.detect_anomaly()`` does
not look inside a replay: use the eager engine to find where a NaN starts.
"""
from __future__ import annotations

import weakref
from functools import partial
from typing import Any, Callable, Dict, Hashable, List, Optional, Sequence, Tuple, Union

import numpy as np

from minigrad.buffer_plan import Allocator, owner, plan
from minigrad.tensor import Tensor, describe, topological_order

__all__ = ["record", "Tape", "StaleTape"]


class StaleTape(ValueError):
    """A replay found values its recorded graph cannot serve (the slope of a
    leaky_relu that the recording could not read): record again."""

Kernel = Callable[[], None]


def record(f: Union[Callable[[], Tensor], Tensor], leaves: Sequence[Tensor],
           guard: Optional[Callable[..., Hashable]] = None,
           keep_graph: bool = True, intermediates: bool = True) -> "Tape":
    """Record the graph of ``f()`` (a scalar Tensor, such as a loss), or of an
    already built root, for replay on new values of ``leaves``.

    ``guard(*leaf_arrays)``, when given, names the structure the values lead
    to (the branch a Python ``if`` takes); a new answer at a replay means
    record again. Raises ``ValueError`` for an op the tape cannot replay
    (the message lists the ones it can), and ``RuntimeError`` if a replay of
    the recorded values is not bit-identical to the eager engine.

    ``keep_graph=False`` holds the recorded tensors weakly (the leaves too,
    unless ``f`` is a function, which records again with them): a training
    loop then keeps only the tape's buffers, not the eager graph's arrays too
    (``nodes``, ``leaves``, ``value`` and ``grad`` then know the tensors you
    still hold).

    ``intermediates=False`` keeps only what a training step reads: the root's
    value and the leaves' gradients. The tape then lets a buffer hold several
    nodes' values and gradients in turn, once the pass no longer reads the
    earlier one (for the two-layer net: three arrays of Z[1]'s size instead of
    five), and ``value``/``grad`` of any other node raise ``KeyError``.
    """
    return Tape(f, leaves, guard, keep_graph, intermediates)


class Tape:
    """A recorded graph; see the module's docstring and ``record``."""

    def __init__(self, f: Union[Callable[[], Tensor], Tensor], leaves: Sequence[Tensor],
                 guard: Optional[Callable[..., Hashable]] = None,
                 keep_graph: bool = True, intermediates: bool = True) -> None:
        self._keep_graph, self._intermediates = keep_graph, intermediates
        self._fn = None if isinstance(f, Tensor) else f
        if self._fn is not None and not callable(f):
            raise TypeError(f"record: f must be a function returning a Tensor, or a Tensor; "
                            f"got {type(f).__name__}")
        self._leaves: Optional[List[Tensor]] = list(leaves)
        for leaf in self._leaves:
            if not isinstance(leaf, Tensor) or leaf.op is not None:
                what = describe(leaf) if isinstance(leaf, Tensor) else type(leaf).__name__
                raise ValueError(f"record: leaves must be leaf tensors (made by mg.tensor); "
                                 f"got {what}")
        if len({id(leaf) for leaf in self._leaves}) != len(self._leaves):
            raise ValueError("record: a leaf is listed twice in leaves")
        self._guard = guard
        self._build(self._fn() if self._fn is not None else f)
        self._leaf_keys = [id(leaf) for leaf in self._leaves]
        self._leaf_names = [describe(leaf) for leaf in self._leaves]
        self._leaf_refs = [weakref.ref(leaf) for leaf in self._leaves]
        if not keep_graph and self._fn is None:
            # nor the leaves (their arrays may be old values the caller has let go);
            # a tape that can record again keeps them, for its function to use
            self._leaves = None

    # --- public ---------------------------------------------------------------
    @property
    def leaves(self) -> List[Tensor]:
        """The leaves, as listed (with ``keep_graph=False`` and a built graph,
        those still alive)."""
        if self._leaves is not None:
            return list(self._leaves)
        return [t for t in (ref() for ref in self._leaf_refs) if t is not None]

    @property
    def inputs(self) -> List[np.ndarray]:
        """The tape's own arrays of the leaves' values, in the order of ``leaves``:
        ``replay()`` with no arguments uses them as they are (update them in place)."""
        return list(self._inputs)

    @property
    def grads(self) -> List[Optional[np.ndarray]]:
        """The gradient of each leaf after the last replay (None where it needs none)."""
        return [self._grad.get(key) for key in self._leaf_keys]

    @property
    def flat_inputs(self) -> np.ndarray:
        """One 1-D array holding ``inputs`` end to end (they are views of it):
        one numpy call updates every leaf."""
        return self._flat_inputs

    @property
    def flat_grads(self) -> Optional[np.ndarray]:
        """One 1-D array holding ``grads`` end to end, in the layout of
        ``flat_inputs`` (they are views of it); None when a leaf needs no gradient."""
        return self._flat_grads

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays the tape replays into: inputs, values, gradients
        and scratch (each shared array once; not the constants it reads)."""
        owners = {id(owner(a)): owner(a).nbytes for a in self._buffers}
        owners[id(self._flat_inputs)] = self._flat_inputs.nbytes
        return sum(owners.values())

    @property
    def nodes(self) -> List[Tensor]:
        """The recorded tensors, inputs before the nodes made from them (with
        ``keep_graph=False``, those still alive)."""
        return [t for t in (ref() for ref in self._refs.values()) if t is not None]

    def value(self, node: Tensor) -> np.ndarray:
        """``node``'s value at the last replay."""
        return self._value[self._kept_key(node)]

    def grad(self, node: Tensor) -> Optional[np.ndarray]:
        """∂root/∂node at the last replay, as ``node.grad`` after ``backward()``."""
        return self._grad.get(self._kept_key(node))

    def replay(self, *values: Any) -> float:
        """Run the recorded forward and backward pass; return the root's value.

        ``values``: one array per leaf (copied into the tape), or none to use
        ``inputs`` as they are. When the structure changes and the tape records
        again from its function, the leaves' ``data`` become the new values.
        """
        if values:
            if len(values) != len(self._leaf_keys):
                raise ValueError(f"replay: {len(self._leaf_keys)} leaves were recorded "
                                 f"({', '.join(self._leaf_names)}); "
                                 f"got {len(values)} values")
            arrays = [np.asarray(v, dtype=np.float64) for v in values]
            if self._structure(arrays) != self._recorded_structure:
                self._record_again(arrays)
            else:
                for buffer, array in zip(self._inputs, arrays):
                    np.copyto(buffer, array)
        elif self._guard is not None and self._structure(self._inputs) != self._recorded_structure:
            self._record_again([a.copy() for a in self._inputs])
        try:   # forward then backward, in one list: a StaleTape comes from the forward
            for kernel in self._kernels:
                kernel()
        except StaleTape:
            if self._fn is None:
                raise
            self._record_again([a.copy() for a in self._inputs])
            for kernel in self._kernels:
                kernel()
        return float(self._root_value)

    # --- recording ----------------------------------------------------------------
    def _structure(self, arrays: Sequence[np.ndarray]) -> tuple:
        shapes = tuple(a.shape for a in arrays)
        return shapes, (self._guard(*arrays) if self._guard is not None else None)

    def _record_again(self, arrays: List[np.ndarray]) -> None:
        if self._fn is None:
            new = tuple(a.shape for a in arrays)
            raise ValueError(
                f"replay: the graph's structure would change (leaf shapes "
                f"{[a.shape for a in self._inputs]} -> {list(new)}, or the guard's answer) "
                f"and this tape was recorded from a built graph, not a function: record "
                f"the new graph with mg.record(...)")
        for leaf, array in zip(self._leaves, arrays):
            leaf.data = np.array(array, dtype=np.float64)
        self._build(self._fn())

    def _kept_key(self, node: Tensor) -> int:
        key = id(node)
        ref = self._refs.get(key)
        if ref is None or ref() is not node:
            raise KeyError(f"{describe(node)} is not a node of this tape's graph")
        if key not in self._kept:
            raise KeyError(f"{describe(node)}: this tape was recorded with "
                           f"intermediates=False and keeps only its root's value and its "
                           f"leaves' gradients; record with intermediates=True to read "
                           f"the others")
        return key

    def _build(self, root: Tensor) -> None:
        if not isinstance(root, Tensor):
            raise TypeError(f"record: f must return a Tensor; got {type(root).__name__}")
        if root.op is None or root.data.size != 1:
            raise ValueError(f"record: the root must be a one-element tensor made by an op "
                             f"(a loss); got {describe(root)}")
        order = topological_order(root)
        keys = {id(t) for t in order}
        for leaf in self._leaves:
            if id(leaf) not in keys:
                raise ValueError(f"record: leaf {describe(leaf)} is not part of the graph")
        self._kept = {id(t) for t in order if self._intermediates or t is root
                      or t.op is None}
        # the eager gradients the check needs: the others go before the buffers come
        reference_grads = {key: grad for key, grad in _eager_grads(root, order).items()
                           if key in self._kept}
        self._recorded_structure = self._structure([leaf.data for leaf in self._leaves])
        self._flat_inputs = np.empty(sum(leaf.data.size for leaf in self._leaves))
        self._inputs, offset = [], 0
        for leaf in self._leaves:
            buffer = self._flat_inputs[offset:offset + leaf.data.size].reshape(leaf.shape)
            np.copyto(buffer, leaf.data)
            self._inputs.append(buffer)
            offset += leaf.data.size
        # Compile twice: the first compile's buffers show how long each is live,
        # the second gets arrays shared by buffers that are never live together.
        first = Allocator()
        self._compile(root, order, first)
        kept = [a for key, a in self._value.items() if key in self._kept]
        kept += [a for key, a in self._grad.items() if key in self._kept]
        leaf_grads = [self._grad.get(id(leaf)) for leaf in self._leaves]
        flat = leaf_grads if all(g is not None for g in leaf_grads) else []
        second = Allocator(plan(first.arrays, self._kernels, kept, flat))
        self._compile(root, order, second)
        del first
        self._buffers = second.arrays
        self._flat_grads = owner(self._grad[id(self._leaves[0])]) if flat else None
        self._verify(order, reference_grads)
        self._refs = {id(t): (weakref.ref(t) if not self._keep_graph else _strong(t))
                      for t in order}

    def _compile(self, root: Tensor, order: list, alloc: Allocator) -> None:
        """The kernels of the forward and backward pass, writing into ``alloc``'s buffers."""
        self._value: Dict[int, np.ndarray] = {}
        self._grad: Dict[int, np.ndarray] = {}
        self._forward: List[Kernel] = []
        self._backward: List[Kernel] = []
        self._listed = listed = {id(leaf) for leaf in self._leaves}
        for leaf, buffer in zip(self._leaves, self._inputs):
            self._value[id(leaf)] = buffer
        compiled = {}
        for node in order:
            if node.op is None:
                if id(node) not in listed:
                    self._value[id(node)] = node.data   # a constant
                continue
            compile_op = _OPS.get(node.op)
            if compile_op is None:
                raise ValueError(f"record: cannot replay op {node.op!r} ({describe(node)}); "
                                 f"ops a tape replays: {', '.join(sorted(_OPS))}")
            op = compile_op(node, [self._value[id(p)] for p in node.parents],
                            [id(p) in listed for p in node.parents], alloc)
            self._value[id(node)] = op.value
            self._forward.extend(op.forward)
            compiled[id(node)] = op
        self._root_value = self._value[id(root)]
        self._compile_backward(root, order, compiled, alloc)
        self._kernels = self._forward + self._backward

    def _compile_backward(self, root: Tensor, order: list, compiled: dict,
                          alloc: Allocator) -> None:
        # How many gradient contributions each node receives: a node with one
        # takes what its consumer's VJP gives, as the eager engine does.
        incoming: Dict[int, int] = {}
        for node in order:
            if node.op is not None and node.requires_grad:
                for p in node.parents:
                    if p.requires_grad:
                        incoming[id(p)] = incoming.get(id(p), 0) + 1
        seed = np.array(1.0).reshape(root.shape)   # the eager seed
        self._grad[id(root)] = seed
        # g_in: the array a node's VJPs receive, which is not always its .grad:
        # the eager engine passes a sum's broadcast view on and keeps a copy as
        # .grad, and numpy's matmul takes another path for a stride-0 operand.
        self._g_in = {id(root): seed}
        # The eager engine's order: newest node first (Tensor.backward's heap on the
        # creation count), so that three or more contributions to one node are
        # added in its order; a reversed depth-first order may add them otherwise.
        for node in sorted(order, key=lambda t: t._seq, reverse=True):
            if node.op is None or not node.requires_grad:
                continue
            g = self._g_in[id(node)]
            op = compiled[id(node)]
            for i, parent in enumerate(node.parents):
                if not parent.requires_grad:
                    continue
                self._backward.extend(self._contribution(op, i, g, parent, incoming, alloc))

    def _contribution(self, op: "_Op", i: int, g: np.ndarray, parent: Tensor,
                      incoming: Dict[int, int], alloc: Allocator) -> List[Kernel]:
        """Kernels adding op's VJP for input i to parent's gradient."""
        key = id(parent)
        first = key not in self._grad
        vjp = op.vjps[i]
        kernels: List[Kernel] = []
        if vjp is None:                  # the VJP is g itself
            source = g
        elif isinstance(vjp, _View):     # a view of g (made once), maybe of g / count
            source = vjp.make(g)
            kernels.extend(vjp.update(g))
        else:                            # numpy calls writing into a buffer
            source = alloc(op.vjp_shapes[i])
            kernels.extend(vjp(g, source))
        for axes, keepdims, shape in _unbroadcast_steps(source.shape, parent.shape):
            out = alloc(shape)
            kernels.append(_reduce(source, axes, keepdims, out))
            source = out
        if not first:
            kernels.append(_accumulate(self._grad[key], source))
            return kernels
        if incoming[key] == 1:
            self._g_in[key] = source
            # a listed leaf's gradient is an array of the tape's own, and no other
            # leaf's: flat_grads lays them end to end
            own = key not in self._listed or (alloc.made(source) and not any(
                source is self._grad.get(id(leaf)) for leaf in self._leaves))
            if source.flags.writeable and own:
                self._grad[key] = source
                return kernels
        # .grad is a writable array of its own: copy a read-only view, or the first
        # of several contributions (the others are added to it in place)
        self._grad[key] = target = alloc(parent.shape)
        kernels.append(_copy(source, target))
        self._g_in.setdefault(key, target)
        return kernels

    def _verify(self, order: list, reference_grads: Dict[int, Optional[np.ndarray]]) -> None:
        """Replay the recorded values: every kept value and gradient must be
        the eager engine's, bit for bit (with ``intermediates=False``, that is
        the root's value and the leaves' gradients, which the others feed)."""
        for kernel in self._kernels:
            kernel()
        for node in order:
            key = id(node)
            if key not in self._kept:
                continue
            value, expected = self._value[key], node.data
            if not np.array_equal(value, expected, equal_nan=True):
                raise RuntimeError(f"record: replaying {describe(node)} (op {node.op}) does not "
                                   f"reproduce the eager engine's value bit for bit; its kernel "
                                   f"in minigrad/replay.py is out of date with ops.py")
            want, got = reference_grads.get(key), self._grad.get(key)
            if (want is None) != (got is None) or (
                    want is not None and not np.array_equal(got, want, equal_nan=True)):
                raise RuntimeError(f"record: replaying the gradient of {describe(node)} "
                                   f"(op {node.op}) does not reproduce the eager engine's bit "
                                   f"for bit; its kernel in minigrad/replay.py is out of date")


def _strong(t: Tensor) -> Callable[[], Tensor]:
    return lambda: t


def _eager_grads(root: Tensor, order: list) -> Dict[int, Optional[np.ndarray]]:
    """Every node's gradient by the eager engine, leaving each node's ``.grad``
    as it was."""
    saved = [t.grad for t in order]
    try:
        for t in order:
            t.grad = None
        root.backward()
        return {id(t): t.grad for t in order}
    finally:
        for t, grad in zip(order, saved):
            t.grad = grad


def _unbroadcast_steps(shape: tuple, target: tuple) -> List[Tuple[tuple, bool, tuple]]:
    """The reductions ``tensor._unbroadcast`` makes from ``shape`` to ``target``:
    leading extra axes (dropped), then stretched axes (kept as 1)."""
    steps = []
    if shape == target:
        return steps
    extra = len(shape) - len(target)
    if extra:
        shape = shape[extra:]
        steps.append((tuple(range(extra)), False, shape))
    stretched = tuple(i for i, n in enumerate(target) if n == 1 and shape[i] != 1)
    if stretched:
        steps.append((stretched, True, target))
    return steps


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


def _transpose(node, ins, listed, alloc):
    (x,), recorded = ins, node.parents[0].data
    value = x.T   # a view of the input's buffer, as the eager op returns one
    if x.ndim != 2 or value.shape != node.shape or not np.array_equal(recorded.T, node.data) \
            or (x.shape[0] == x.shape[1] > 1 and np.array_equal(recorded, recorded.T)):
        # a symmetric matrix cannot show whether its axes were swapped
        raise ValueError(f"record: the tape replays the 2-D transpose W.T of a non-symmetric "
                         f"matrix only; got {describe(node)}")
    return _Op(value, [], [_View(lambda g: g.T)], [x.shape])


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


def _relu(node, ins, listed, alloc):
    out, (z,) = alloc(node.shape), ins
    positive = alloc(node.shape, bool)
    return _Op(out, [partial(np.greater, z, 0, positive), partial(np.maximum, z, 0.0, out=out)],
               [_times(positive)])


def _leaky_relu(node, ins, listed, alloc):
    out, (z,) = alloc(node.shape), ins
    alpha = _infer_alpha(node, node.parents[0].data)   # the recorded values: z is a buffer
    slope = alloc(node.shape)
    positive = alloc(node.shape, bool)

    def forward():   # slope = where(z > 0, 1, alpha); value z * slope
        np.greater(z, 0, positive)
        if alpha is None:
            if not positive.all():
                raise StaleTape(f"replay: leaky_relu {describe(node)}: its slope alpha could "
                                f"not be read from the recorded values (no input was below "
                                f"0), and now an input is 0 or below: record again")
            slope.fill(1.0)
        else:
            slope.fill(alpha)
            np.copyto(slope, 1.0, where=positive)
        np.multiply(z, slope, out)
    return _Op(out, [forward], [_times(slope)])


def _infer_alpha(node: Tensor, z: np.ndarray) -> Optional[float]:
    """leaky_relu keeps its slope to itself, so the tape reads it from the
    recorded values: the shortest decimal (0.01, 0.2, ...; 17 digits name any
    float) that reproduces every recorded entry, accepted only when no other
    float does (else a ``ValueError``). None when no input was below 0 (the
    forward then refuses inputs at or below 0 instead of guessing)."""
    negative = np.flatnonzero(z < 0)
    if not negative.size:
        if np.any(z == 0):   # the gradient there is alpha * g: it cannot wait
            raise ValueError(f"record: cannot read the slope alpha of leaky_relu "
                             f"{describe(node)}: no recorded input is below 0, and some are "
                             f"0, where its gradient needs alpha; use the eager engine")
        return None
    below = z <= 0
    products, inputs = node.data.flat[negative], z.flat[negative]
    i = int(np.argmax(np.abs(products)))   # the product that holds the most digits
    quotient = float(products[i] / inputs[i])

    def fits(alpha: float) -> bool:
        return np.array_equal(z[below] * alpha, node.data[below])
    for digits in range(1, 18):
        alpha = abs(float(f"{quotient:.{digits}g}"))   # alpha >= 0; never -0.0
        if fits(alpha):
            break
    else:
        raise ValueError(f"record: cannot read the slope alpha of leaky_relu {describe(node)} "
                         f"exactly from the recorded values; use the eager engine")
    # alpha Z rounds monotonically in alpha: when neither neighbouring float fits,
    # no other float does, and alpha is the op's own (a wrong one would show later)
    neighbours = [float(np.nextafter(alpha, np.inf))]
    neighbours += [float(np.nextafter(alpha, 0.0))] if alpha > 0 else []
    other = next((b for b in neighbours if fits(b)), None)
    if other is not None:
        raise ValueError(f"record: cannot read the slope alpha of leaky_relu {describe(node)} "
                         f"exactly: the recorded values fit {alpha!r} and {other!r} alike "
                         f"(too few inputs below 0, or alpha Z underflows); use the eager "
                         f"engine")
    return alpha


def _sigmoid_kernels(z, e, d, a) -> List[Kernel]:
    """ops._sigmoid's σ: e = e^-|z|, d = 1 + e, a = where(z >= 0, 1, e) / d.

    The numerator where(z >= 0, 1, e) is maximum(e, sign(z)) for every float64
    (z > 0: e < 1 against 1; z < 0: e >= 0 against -1; z = ±0: e = 1; NaN: NaN):
    two fast calls, where a divide masked by ``where=`` is slow. Built in a."""
    return [partial(np.copysign, z, -1.0, e),   # -|z|, the same bits as -np.abs(z), in one call
            partial(np.exp, e, e), partial(np.add, 1.0, e, d),
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
        if node.ndim == 0:
            axes, keepdims = tuple(range(x.ndim)), False
        elif node.ndim == x.ndim:   # keepdims; the axes that shrank (all, for axis=None)
            axes = tuple(i for i, (n, k) in enumerate(zip(x.shape, node.shape)) if k != n)
            if node.size == 1:
                axes = tuple(range(x.ndim))
            keepdims = True
        else:
            raise ValueError(f"record: the tape replays sum/mean over all axes, or with "
                             f"keepdims=True; got {describe(node)} from shape {x.shape}")
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


def _labels(node: Tensor, y: np.ndarray, is_one: np.ndarray, listed: list) -> List[Kernel]:
    """The label check to run at each replay (functional.check_labels' rule: Y
    differs from Y > 0.5 where Y is not 0 or 1): none when Y is a constant,
    which is checked (and its mask made) once, here."""
    def check():
        np.greater(y, 0.5, is_one)
        if np.count_nonzero(y != is_one):
            index = tuple(int(i) for i in np.argwhere((y != 0) & (y != 1))[0])
            raise ValueError(f"Y must hold only 0 and 1; got {y[index]} at {index}")
    if listed[1] or node.parents[1].op is not None:
        return [check]
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
    one_minus_y, p, lp, l1p = (alloc(a.shape) for _ in range(4))
    inside = alloc(a.shape, bool)

    def cost():
        out[()] = -(np.vdot(y, lp) + np.vdot(one_minus_y, l1p)) / count
    forward = _labels(node, y, is_one, listed) + [
        partial(np.subtract, 1.0, y, one_minus_y), partial(np.maximum, a, _CLIP, out=p),
        partial(np.minimum, p, 1.0 - _CLIP, out=p), partial(np.equal, p, a, inside),
        partial(np.log, p, lp), partial(np.negative, p, l1p), partial(np.log1p, l1p, l1p),
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


_OPS: Dict[str, Callable] = {
    "add": _elementwise(np.add), "sub": _elementwise(np.subtract),
    "mul": _elementwise(np.multiply), "div": _elementwise(np.divide),
    "neg": _neg, "matmul": _matmul, "transpose": _transpose,
    "tanh": _unary(np.tanh, _tanh_grad), "exp": _unary(np.exp, _exp_grad),
    "log": _unary(np.log, _log_grad), "sigmoid": _sigmoid, "relu": _relu,
    "leaky_relu": _leaky_relu, "identity": _identity,
    "sum": _reduction(mean=False), "mean": _reduction(mean=True),
    "binary_cross_entropy_with_logits": _bce_with_logits, "binary_cross_entropy": _bce,
}
