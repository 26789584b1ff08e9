"""Record a graph once; replay its forward and backward pass on new leaf values.

    tape = mg.record(lambda: loss_of(W, b), [W, b])   # runs the eager engine once
    J = tape.replay(W_new, b_new)                     # same ops, same order, new values
    tape.grad(W), tape.value(some_node)               # every node's value and gradient
    mg.record(loss, [W, b], intermediates=False)      # the root and the leaves' grads only

A training step of a fixed graph does the same work every time; the eager
engine still builds a Tensor per op, closures per VJP, and walks a heap of
nodes. A tape does that walk once: it keeps, per node, a preallocated buffer
for its value and one for its gradient, the unbroadcast axes worked out in
advance, and one list of numpy calls (forward, then backward) that write
into those buffers with ``out``. The numbers are the eager engine's, bit
for bit: each op's kernels (``minigrad.replay_kernels``) make the same numpy
calls on the same operands as the op in ``ops.py`` / ``functional.py`` (σ's
numerator excepted: another call, shown to give the same bits for every
float64), and ``record`` checks it on the recorded values (every kept value
and gradient must equal the eager engine's exactly, or it refuses to make a
tape).

What a tape does not see: Python. It replays the ops it recorded. A shape
change, a leaf given another ``requires_grad``, or a ``guard`` (a function
of the leaf values naming the branch the Python code takes) with a new
answer, makes it record again (when it was
given a function) or raise ``ValueError``; it never replays a stale graph.
A name f reads (or a function it calls by name reads), a default of its
parameters, an argument of a partial, an attribute it reads by name
(``self.X``, ``mod.X``) or an entry of a list or dict so read (``d["X"]``)
bound to another object records again, and so do a list or dict changed in
place and a write into an array so read and copied into its graph
(``mg.tensor(G)``; ``minigrad.replay_names``). What f copies otherwise is
fixed when it records (``getattr(net, name)``): change one, and record again
or make it a leaf. A random draw inside f (``np.random``, ``random``) is a
``ValueError``: draw it outside, into a leaf. So is, without a guard, a value
f reads into Python of a leaf or of a tensor computed from one (``W.data``,
``J.item()``, ``bool(J)``, ``float(J)``, ``round(J)``, the gradients of a
``backward()`` inside f): the tape would replay the branch it picks as
recorded; and, even with a guard, a tensor f makes of one (``mg.tensor(W)``,
``.detach()``, ``mg.as_tensor``, ``copy.copy``, a pickle, ``C += W``): the
tape would replay the copy. A guard names a branch, and only that: a number
or an array f makes of a value it reads (``W * W.data.sum()``,
``mg.tensor(W.data)``) stays as recorded while the guard gives the recorded
answer. Shapes, constants' values and what f
only shows (``print(J)``, ``f"{J:.4f}"``, ``mg.draw(J, values=True)``) are
not refused.
Leaves not listed in ``leaves`` are constants (X, Y): the tape reads their
arrays at each replay, and keeps them read-only while it lives, as the eager
engine keeps a leaf's array until its backward, so that nothing changes them
under the values it derived from them (labels Y are checked, and their
signs made, when recorded; at every replay when Y is a listed leaf). A
constant given a new array (``X.data = ...``) is a new graph: the tape
records again, or raises ``ValueError``.

The arrays a tape returns are its own buffers, rewritten by the next replay:
copy what you keep, and do not write into them. ``intermediates=False``
keeps only the root's value and the leaves' gradients; other nodes' values
and gradients then take turns in shared buffers (``minigrad.buffer_plan``),
so a training step holds less than its eager graph, or a hand-written step.
Inside ``mg.detect_anomaly()``, a replay raises ``FloatingPointError`` at the
first kept value (inputs first) or gradient (newest node first) that is not
finite, as eager's backward does; with ``intermediates=False`` only the root
and the leaves' gradients are kept, so run the eager engine to find the node
where it started. A tape replays once at a time (a replay during a
replay, from another thread say, is a ``RuntimeError``: record a tape per
thread), and cannot be copied or pickled: record another.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Dict, Hashable, List, Optional, Sequence, Tuple, Union

import numpy as np

from minigrad.buffer_plan import Allocator, owner, pack, plan
from minigrad.replay_checks import (_check_constants, _drew, _eager_grads, _not_reproduced,
                                     _random_states, _values_read)
from minigrad.replay_compile import Compiler
from minigrad.replay_names import bindings, rebound
from minigrad.replay_stale import Staleness, _changed, _versions
from minigrad.tensor import (Tensor, _anomaly_label, _creation_counter, _first_bad, _Hold,
                             _as_float64, _lockable, _modes, _watch_reads, describe,
                             is_grad_enabled, topological_order)

__all__ = ["record", "Tape"]


def record(f: Union[Callable[[], Tensor], Tensor], leaves: Union[Tensor, Sequence[Tensor]],
           guard: Optional[Callable[..., Hashable]] = None,
           keep_graph: bool = True, intermediates: bool = True) -> "Tape":
    """Record the graph of ``f()`` (a scalar Tensor, such as a loss), or of an
    already built root, for replay on new values of ``leaves``.

    ``guard(*leaf_arrays)``, when given, names the structure the values lead
    to (the branch a Python ``if`` takes); a new answer at a replay means
    record again. Every op of minigrad replays; ``ValueError`` says why for
    what a tape cannot (a matmul of a 1-D or 3-D operand), and ``RuntimeError``
    is raised if a replay of the recorded values is not bit-identical to the
    eager engine.

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


# Two parts of Tape live in modules of their own: what tells a stale graph
# (replay_stale) and the compile of its kernels (replay_compile).
class Tape(Staleness, Compiler):
    """A recorded graph; see the module's docstring and ``record``."""

    def __init__(self, f: Union[Callable[[], Tensor], Tensor],
                 leaves: Union[Tensor, Sequence[Tensor]],
                 guard: Optional[Callable[..., Hashable]] = None,
                 keep_graph: bool = True, intermediates: bool = True) -> None:
        self._keep_graph, self._intermediates = keep_graph, intermediates
        self._owner: Dict[int, object] = {}   # {0: the replaying call's token}, or empty
        self._fn = None if isinstance(f, Tensor) else f
        if self._fn is not None and not callable(f):
            raise TypeError(f"record: f must be a function returning a Tensor, or a Tensor; "
                            f"got {type(f).__name__}")
        # one tensor is a list of one, as backward(inputs=W) takes it
        self._leaves: Optional[List[Tensor]] = [leaves] if isinstance(leaves, Tensor) \
            else list(leaves)
        for leaf in self._leaves:
            if not isinstance(leaf, Tensor) or leaf.op is not None:
                what = describe(leaf) if isinstance(leaf, Tensor) else type(leaf).__name__
                raise ValueError(f"record: leaves must be leaf tensors (made by mg.tensor); "
                                 f"got {what}")
        if len({id(leaf) for leaf in self._leaves}) != len(self._leaves):
            raise ValueError("record: a leaf is listed twice in leaves")
        self._guard = guard
        if not is_grad_enabled():   # no graph would be recorded to replay
            raise ValueError("record: grad is disabled (inside mg.no_grad()), so no graph is "
                             "recorded; call mg.record outside the block")
        self._names: list = []   # a built graph's tape runs no f
        self._build(*self._run_fn() if self._fn is not None else (f, None))
        self._leaf_keys = [id(leaf) for leaf in self._leaves]
        self._leaf_names = [describe(leaf) for leaf in self._leaves]
        self._leaf_refs = [weakref.ref(leaf) for leaf in self._leaves]
        self._leaf_versions = _versions(self._leaf_refs, self._inputs)
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
        """One 1-D array holding ``inputs`` end to end (they are views of it,
        each 16-byte aligned, the gaps 0): one numpy call updates every leaf."""
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
        # One replay at a time: two would write the same buffers (threads, or f or
        # guard replaying the tape they belong to). The claim is taken inside the
        # try, in one call that also records who took it: Ctrl-C arriving as that
        # call returns (a signal lands where the interpreter checks, after a call)
        # still reaches the finally, which then sees this call's token. A lock
        # taken before the try left the tape "replaying already" for good.
        token = object()
        try:
            if not _claim(self._owner, token):
                raise RuntimeError("replay: this tape is replaying already (in another "
                                   "thread, or from its own f or guard); its buffers hold "
                                   "one replay at a time: record a tape per thread")
            if values:
                if len(values) != len(self._leaf_keys):
                    raise ValueError(f"replay: {len(self._leaf_keys)} leaves were recorded "
                                     f"({', '.join(self._leaf_names)}); "
                                     f"got {len(values)} values")
                arrays = [_leaf_value(v, name) for v, name in zip(values, self._leaf_names)]
                # a value in the tape's own inputs (tape.inputs swapped, a view of
                # flat_inputs) would be overwritten by the copy of an earlier one
                arrays = [a.copy() if np.may_share_memory(a, self._flat_inputs) else a
                          for a in arrays]
                if self._structure(arrays) != self._recorded_structure \
                        or self._replaced() is not None or rebound(self._names) \
                        or self._requires_changed() is not None:
                    self._record_again(arrays)
                else:
                    for buffer, array in zip(self._inputs, arrays):
                        np.copyto(buffer, array)
                # values given: the leaves' own data is not what this tape replays
                self._leaf_versions = _versions(self._leaf_refs, self._inputs)
            elif self._leaf_versions and _changed(self._leaf_versions):
                raise ValueError(self._leaf_given_new_data())
            elif (self._guard is not None and self._structure(self._inputs)
                  != self._recorded_structure) or self._replaced() is not None \
                    or (self._names and rebound(self._names)) \
                    or self._requires_changed() is not None:
                self._record_again([a.copy() for a in self._inputs])
            try:
                for kernel in self._kernels:   # forward then backward, in one list
                    kernel()
            except ValueError as error:   # numpy's "destination is read-only" names nothing
                held = self._held()
                if held is None:
                    raise
                raise ValueError(
                    f"replay: {held}, a buffer of this tape, is read-only: a graph waiting "
                    f"for its backward, or another tape, uses it (mg.as_tensor(tape.value(Z)), "
                    f"or a function recorded reading tape.grad(W)) and keeps it so. The arrays "
                    f"a tape returns are its buffers, rewritten by each replay: copy what you "
                    f"keep, and pass a copy to the other tape as a leaf") from error
            if _modes.anomaly:
                self._check_finite()
            return float(self._root_value)
        finally:
            # Let go if this call holds the tape. Inline, with no call before the
            # del (a function's entry, like a call's return, is where Ctrl-C
            # lands); only the holder removes its token, so no other thread
            # changes the entry between the test and the del.
            try:
                if self._owner[0] is token:
                    del self._owner[0]
            except KeyError:   # nobody holds it: this call's claim never happened
                pass

    def _held(self) -> Optional[str]:
        """The first value or gradient buffer made read-only by another graph or
        tape, or None (the constants' arrays are read-only by design)."""
        constants = {id(array) for _, array, _ in self._constants}
        for what, store in (("the value", self._value), ("the gradient", self._grad)):
            for key, array in store.items():
                if id(array) not in constants and not array.flags.writeable:
                    ref = self._refs.get(key)
                    node = ref() if ref is not None else None
                    return f"{what} of {describe(node) if node is not None else 'a node'}"
        return None

    def _check_finite(self) -> None:
        """detect_anomaly's check, on what the tape keeps: the values in the
        order of the graph (where eager's forward stops), then the gradients,
        newest node first (as eager's backward)."""
        where = ("" if self._intermediates else
                 "; this tape was recorded with intermediates=False and keeps only its "
                 "root's value and its leaves' gradients, so it may have started at an "
                 "earlier node: run f() and .backward() inside detect_anomaly to find it")
        for kind, store, order in (("value", self._value, self._anomaly_values),
                                   ("gradient", self._grad, self._anomaly_grads)):
            for key, label in order:
                array = store.get(key)
                if array is not None and not np.isfinite(array).all():
                    raise FloatingPointError(
                        f"detect_anomaly: {kind} of {label} is not finite "
                        f"({_first_bad(array)}) at a replay of a tape (mg.record){where}")

    def _not_copied(self, *args: Any) -> None:
        raise TypeError("a tape cannot be copied or pickled: its kernels are bound to its "
                        "buffers and to views of them, which a copy would not keep "
                        "together; record another tape with mg.record(...)")
    __copy__ = __deepcopy__ = __reduce_ex__ = __reduce__ = _not_copied

    # --- recording ----------------------------------------------------------------
    def _record_again(self, arrays: List[np.ndarray]) -> None:
        if self._fn is None:
            raise ValueError(f"replay: {self._change(arrays)}, and this tape was recorded "
                             f"from a built graph, not a function: record the new graph "
                             f"with mg.record(...)")
        # A new graph the tape refuses (or f raising) leaves the tape and the leaves
        # as they were: half a new tape would replay the old kernels on new buffers.
        change = self._change(arrays)
        state, data = dict(self.__dict__), [leaf.data for leaf in self._leaves]
        try:
            for leaf, array in zip(self._leaves, arrays):
                leaf.data = np.array(array, dtype=np.float64)
            self._build(*self._run_fn())
            # the data set just above
            self._leaf_versions = _versions(self._leaf_refs, self._inputs)
        except BaseException as error:
            self.__dict__.clear()
            self.__dict__.update(state)
            for leaf, array in zip(self._leaves, data):
                leaf.data = array
            # the same arrays as before, which this call found in step with the tape
            self._leaf_versions = _versions(self._leaf_refs, self._inputs)
            # f's (or the eager op's) message alone does not say a replay ran f;
            # these types exactly, as a subclass may take other arguments
            if type(error) in (ValueError, TypeError, RuntimeError):
                raise type(error)(f"replay: {change}, so the tape ran f again on the values "
                                  f"given to replay to record the new graph, which raised: "
                                  f"{error}") from error
            raise

    def _run_fn(self) -> Tuple[Tensor, int]:
        """f's root, and the creation number from which f's own tensors count.
        With grad on: a replay under no_grad() computes gradients too, and
        one that records again needs f's graph."""
        start = next(_creation_counter)
        previous, _modes.grad_enabled = _modes.grad_enabled, True
        randoms = _random_states()
        try:
            with _watch_reads() as reads:
                root = self._fn()
        finally:
            _modes.grad_enabled = previous
        drew = _drew(randoms)
        if drew is not None:
            raise ValueError(drew)
        read = _values_read(reads, self._leaves, self._guard is not None)
        if read is not None:
            raise ValueError(read)
        # what f read by name, as it ran: a name bound anew is a new graph, and so
        # is an array f copied into it or read values of, written since (not the
        # graph's own arrays, which it reads at each replay or keeps read-only; a
        # leaf's array it copies to its inputs: f reading it by name, W1 beside
        # W = mg.as_tensor(W1), reads W's value, and a write into it is seen)
        read, listed = set(), {id(leaf) for leaf in self._leaves}
        if isinstance(root, Tensor):
            read = {id(t._data) for t in topological_order(root) if id(t) not in listed}
        self._names = bindings(self._fn, read, listed)
        return root, start

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

    def _build(self, root: Tensor, start: Optional[int]) -> None:
        """The tape of ``root``'s graph; ``start``: the creation number of f's first
        tensor (None for a built graph: every node was made outside the tape)."""
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
        _check_constants(order, self._leaves)
        self._kept = {id(t) for t in order if self._intermediates or t is root
                      or t.op is None}
        # a leaf frozen later (requires_grad = False) gets no gradient from eager
        # and a constant given requires_grad one (∂J/∂X, which tape.grad(X) gives too)
        self._requires = [(weakref.ref(t), t.requires_grad) for t in order if t.op is None]
        # the eager gradients the check needs: the others go before the buffers come
        reference_grads = {key: grad for key, grad in _eager_grads(root, order).items()
                           if key in self._kept}
        self._recorded_structure = self._structure([leaf.data for leaf in self._leaves],
                                                   recording=True)
        # in the layout plan() gives the leaves' gradients (flat_grads): W - lr dW
        # is one call over both
        self._flat_inputs, self._inputs = pack([leaf.shape for leaf in self._leaves])
        for buffer, leaf in zip(self._inputs, self._leaves):
            np.copyto(buffer, leaf.data)
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
        # the constants' arrays stay as recorded while the tape may replay them
        held = tuple([a for _, a, _ in self._constants if _lockable(a)])
        self._hold = _Hold(held) if held else None
        self._refs = {id(t): (weakref.ref(t) if not self._keep_graph else _strong(t))
                      for t in order}
        # what a replay inside detect_anomaly checks, in eager's order, named as eager
        self._anomaly_values = [(id(t), _anomaly_label(t)) for t in order if id(t) in self._kept]
        self._anomaly_grads = [(id(t), _anomaly_label(t)) for t in
                               sorted(order, key=lambda t: t._seq, reverse=True)
                               if id(t) in self._kept]
        # op results made outside f (before it ran, or a built graph's): f, or the
        # graph, reads their data, which new data (H.data = ...) changes unseen
        self._watched = [(weakref.ref(t), t._version) for t in order if t.op is not None
                         and (start is None or t._seq < start)]

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
                raise RuntimeError(_not_reproduced("value", node))
            want, got = reference_grads.get(key), self._grad.get(key)
            if (want is None) != (got is None) or (
                    want is not None and not np.array_equal(got, want, equal_nan=True)):
                raise RuntimeError(_not_reproduced("gradient", node))


def _claim(owner: Dict[int, object], token: object) -> bool:
    """Whether ``token``'s call now holds the tape: setdefault claims it and
    says who holds it in one step (atomic under the GIL: 0 hashes in C)."""
    return owner.setdefault(0, token) is token


def _leaf_value(value: Any, name: str) -> np.ndarray:
    """A value given to ``replay`` for a leaf, as a float64 array in C order (as
    the tape keeps its leaves, also when it records again), or an error naming
    the leaf."""
    try:
        array = _as_float64(value.data if isinstance(value, Tensor) else value)
        # not np.ascontiguousarray, which makes a 0-d array 1-d
        return array if array.flags.c_contiguous else array.copy(order="C")
    except (TypeError, ValueError) as error:
        raise type(error)(f"replay: the value for {name}: {error}") from None


def _strong(t: Tensor) -> Callable[[], Tensor]:
    return lambda: t
