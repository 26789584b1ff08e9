"""Tensor: a float64 numpy array that remembers how it was made.

A Tensor made by an op keeps its inputs (``parents``), the op's name (``op``)
and parameters (``op_params``), and one vector-Jacobian product per input
(``_vjps``). ``backward()`` walks that graph once, in reverse topological
order, and leaves ``.grad`` on every tensor that depends on a leaf with
``requires_grad=True``.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import numbers
import operator
import threading
from typing import Any, ContextManager, Iterator, Optional

import numpy as np

__all__ = ["Tensor", "tensor", "as_tensor", "no_grad", "detect_anomaly",
           "is_grad_enabled", "topological_order", "describe"]


class _Modes(threading.local):
    # Thread-local so that a no_grad() block in one thread never silences another.
    grad_enabled = True
    anomaly = False
    reads = None   # while mg.record runs f in this thread: [(tensor, how f read its value)]


_modes = _Modes()
# How many no_grad() and detect_anomaly() blocks are open now, in all threads.
# While none is, every thread is in the default modes, and an op need not read
# the thread-local, which costs as much as the rest of an op's bookkeeping.
_open_mode_blocks = 0
_open_mode_lock = threading.Lock()
# Every tensor gets the next number when it is made. Inputs exist before the
# tensors made from them, so sorting by this number is a topological order.
# It orders nodes only: a node's identity is the object itself (a copy or an
# unpickled tensor is a new object with a new number).
_creation_counter = itertools.count()
# How many recordings (mg.record running f) watch the values read into Python,
# in all threads: while none does, a read need not look at the thread-local.
_watching_reads = 0
_creation_number = operator.attrgetter("_seq")

# Arrays of leaves that recorded VJPs read are read-only while any node that
# may still run backward over them is alive: {id(array): [array, holders]}.
# Only arrays the engine itself made read-only are made writable again: a
# user's read-only array (or a broadcast view) stays as it came.
_frozen: dict = {}


def _lock(parents: tuple) -> "Optional[_Hold]":
    """A ``_Hold`` on the arrays a recorded node must keep as they are, or None.

    Those are its leaf inputs' arrays, and for a constant op result that views
    a leaf's memory (``X.T``, ``X.reshape(...)``, ``identity(X)`` when X needs
    no grad) that leaf's array, found by walking back through the views. Op
    results' own arrays are the engine's: nobody else can write them. Only
    these arrays themselves are locked: another numpy view of the same memory
    (the array a slice was taken from) can still write it, unseen."""
    held = []
    for q in parents:
        if q.op is None:
            array = q._data
            if array.flags.writeable or id(array) in _frozen:   # _lockable, spelled out: every op
                held.append(array)
        elif not q.requires_grad:
            held.extend(_viewed_leaf_arrays(q))
    return _Hold(tuple(held)) if held else None


def _lockable(array: np.ndarray) -> bool:
    """Whether a hold takes ``array``: a writable one, or one that another hold
    locked already (counted again). An array that came read-only needs no lock
    (fit's leaves, a user's read-only data)."""
    return array.flags.writeable or id(array) in _frozen


def _viewed_leaf_arrays(q: "Tensor") -> list:
    """The lockable arrays of the leaves whose memory the constant op result
    ``q`` views, through any chain of views."""
    found, stack = [], [q]
    while stack:
        node = stack.pop()
        if node.op is None:
            if _lockable(node._data):
                found.append(node._data)
        elif node._data.base is not None or any(node._data is p._data for p in node.parents):
            stack.extend(node.parents)
    return found


class _Hold:
    """Keeps the leaf arrays a recorded node reads read-only for as long as it
    lives; backward drops it once the node's VJPs have run, and a graph that is
    dropped without backward lets go by reference counting alone."""
    __slots__ = ("arrays",)

    def __init__(self, arrays: tuple) -> None:
        # only lockable arrays come here: writable ones, or those locked already.
        # self.arrays lists only the arrays counted so far, each counted before
        # it is frozen: a hold that an exception (Ctrl-C) stops halfway releases
        # exactly what it took, never another hold's count (which would make an
        # array writable under a graph or a tape that reads it), and never leaves
        # an array read-only with nobody to release it
        self.arrays: tuple = ()
        for array in arrays:
            entry = _frozen.get(id(array))
            if entry is not None:
                entry[1] += 1
                self.arrays += (array,)
            else:
                _frozen[id(array)] = [array, 1]
                self.arrays += (array,)
                array.setflags(write=False)

    def __del__(self, _frozen: dict = _frozen) -> None:   # bound: safe at interpreter exit
        for array in getattr(self, "arrays", ()):
            entry = _frozen.get(id(array))
            if entry is not None:
                entry[1] -= 1
                if entry[1] == 0:
                    del _frozen[id(array)]
                    try:
                        array.setflags(write=True)
                    except ValueError:   # a view whose base is read-only: leave it
                        pass


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``."""
    return _modes.grad_enabled


def no_grad() -> ContextManager[None]:
    """Record no graph inside the block: results have no parents and need no grad."""
    return _mode("grad_enabled", False)


def detect_anomaly() -> ContextManager[None]:
    """Raise ``FloatingPointError`` at the first node whose value or gradient is
    not finite, naming it (name, op, shape), instead of letting NaN spread."""
    return _mode("anomaly", True)


@contextlib.contextmanager
def _watch_reads() -> Iterator[list]:
    """The values this thread reads into Python inside the block (``.data``,
    ``.item()``, ``bool(t)``, a copy of a tensor): ``[(tensor, how)]``. A tape
    replays ops, not the Python that read them: mg.record refuses what f read
    of its leaves' values. A recording inside the block reads for it too."""
    global _watching_reads
    with _open_mode_lock:
        _watching_reads += 1
    previous = _modes.reads
    try:
        reads = _modes.reads = []
        yield reads
    finally:
        _modes.reads = previous
        if previous is not None:
            previous.extend(reads)
        with _open_mode_lock:
            _watching_reads -= 1


def _read(t: "Tensor", how: str) -> None:
    """Note that Python read t's value (``how``), for a recording in this thread."""
    reads = _modes.reads
    if reads is not None:
        reads.append((t, how))


@contextlib.contextmanager
def _mode(name: str, value: bool) -> Iterator[None]:
    """This thread's mode ``name`` set to ``value`` inside the block. The block is
    counted in ``_open_mode_blocks`` before the mode is set and until after it is
    restored: an interruption in between leaves the count too high, which only
    costs time (ops read the thread-local), never a wrong mode."""
    global _open_mode_blocks
    with _open_mode_lock:
        _open_mode_blocks += 1
    try:
        previous = getattr(_modes, name)
        try:   # set inside: an interruption right after it still restores the mode
            setattr(_modes, name, value)
            yield
        finally:
            setattr(_modes, name, previous)
    finally:
        with _open_mode_lock:
            _open_mode_blocks -= 1


def _as_float64(data: Any, copy: bool = False) -> np.ndarray:
    """``data`` as a float64 ndarray; a float64 ndarray itself unless ``copy``."""
    # Before numpy, whose message ("inhomogeneous shape") depends on its version.
    if isinstance(data, (list, tuple)) and _is_ragged(data):
        raise ValueError(f"tensor data must be a rectangular array of numbers; got ragged "
                         f"nested lists (rows of different lengths): {_short(data)}")
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        raise _holds_tensors()
    array = np.asarray(data)
    kind = array.dtype.kind
    if kind == "f":
        if array.dtype == np.float64:
            return array.copy() if copy else array
        return array.astype(np.float64)
    if kind in "iub":
        return array.astype(np.float64)
    if kind == "O" and any(isinstance(x, Tensor) for x in array.flat):
        raise _holds_tensors()
    raise TypeError(f"tensor data must be real numbers (float, int or bool); "
                    f"got dtype {array.dtype} from {type(data).__name__}")


def _holds_tensors() -> TypeError:
    return TypeError("tensor data holds Tensors; a tensor is made from numbers: pass "
                     "their data, e.g. np.stack([t.data for t in tensors])")


def _is_ragged(data: Any) -> bool:
    if not isinstance(data, (list, tuple)):
        return False
    lengths = {len(x) if isinstance(x, (list, tuple)) else None for x in data}
    return len(lengths) > 1 or any(_is_ragged(x) for x in data)


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_name(name: Any) -> Optional[str]:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str (or None); got {name!r} "
                        f"({type(name).__name__})")
    return name


class Tensor:
    """A node of the computation graph.

    ``data`` is a float64 array; ``grad`` is None until ``backward()``, then an
    array of ``data``'s shape holding d(root)/d(self), owned by this tensor.
    ``op`` names the op that made it (None for a leaf); ``op_params`` holds
    that op's parameters as called, defaults included (``{"alpha": 0.3}`` for
    ``leaky_relu``, ``{"p": 2.0}`` for ``**``), or None for an op without any.

    A tensor is its own node: ``copy.copy``, ``copy.deepcopy`` and pickling
    give an independent leaf (own data array, ``grad`` copied, same name and
    ``requires_grad``, no parents and no op). It equals only itself; numpy
    does not take it as an array: ``np.allclose(t, A)``, ``np.asarray(t)``,
    ``t == A`` and ``t != A`` (A an array, a number or a list) are a ``TypeError`` saying
    to use ``t.data``, not an answer about an object array or the tensor's
    identity. (So is ``t in [A, t]``: the list compares t with A first.) No op
    takes entries out of a graph: ``t[i]``, ``len(t)`` and loops over t (and
    so ``plt.plot(t)``) are a ``TypeError`` saying ``.data`` too. numpy's
    operators are the ops (``A + t``, ``np.float64(2) * t``); its other
    functions are a ``TypeError`` naming the op to write (``np.tanh(t)``:
    ``mg.tanh(t)``), and ``np.shape(t)`` answers.
    """

    __slots__ = ("_data", "grad", "requires_grad", "name", "op", "op_params", "parents",
                 "_vjps", "_versions", "_version", "_hold", "_seq", "_unrecorded_op",
                 "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False,
                 name: Optional[str] = None) -> None:
        # A copy, as torch.tensor makes: the caller's later edits never reach the graph.
        if isinstance(data, Tensor):
            if _watching_reads:
                _read(data, "mg.tensor()")
            array = data._data.copy()
        else:
            array = _as_float64(data, copy=True)
        self._init_leaf(array, requires_grad, name)

    def _init_leaf(self, array: np.ndarray, requires_grad: Any, name: Any) -> None:
        self.name = _check_name(name)
        self._data = array
        self.grad: Optional[np.ndarray] = None
        self.requires_grad = bool(requires_grad)
        self.op: Optional[str] = None
        self.op_params: Optional[dict] = None
        self.parents: tuple = ()
        self._vjps: Optional[tuple] = None
        self._versions: Optional[tuple] = None
        self._version = 0
        self._hold: Optional[_Hold] = None
        self._seq = next(_creation_counter)
        self._unrecorded_op: Optional[str] = None   # the op that made it under no_grad

    @classmethod
    def _leaf(cls, array: np.ndarray, requires_grad: Any = False, name: Any = None) -> "Tensor":
        """A leaf holding ``array`` itself (a float64 ndarray), not a copy."""
        out = cls.__new__(cls)
        out._init_leaf(array, requires_grad, name)
        return out

    @classmethod
    def _from_op(cls, value: np.ndarray, parents: tuple, op: str, vjps: tuple,
                 params: Optional[dict] = None) -> "Tensor":
        # The hot path of every op: plain loops and stores, no generators.
        out = cls.__new__(cls)
        # numpy hands back a scalar (np.float64) for 0-d results; keep data an ndarray
        if not isinstance(value, np.ndarray):
            value = np.asarray(value)
        out._data, out.grad, out.name, out.op, out.op_params = value, None, None, op, params
        out._seq = next(_creation_counter)
        out._version = 0
        out.requires_grad, out._vjps, out._versions, out._hold = False, None, None, None
        out._unrecorded_op = None
        # under no_grad, a leaf, as in PyTorch: nothing records how it was made
        if _open_mode_blocks and not _modes.grad_enabled:
            out.parents, out.op, out.op_params, out._unrecorded_op = (), None, None, op
            if value.base is not None or any(value is p._data for p in parents):
                # a view of an input's memory (transpose, reshape, identity): a leaf's
                # data is its array itself, so a write into it would reach the input,
                # unseen by the graphs that read it. Its own copy instead, read-only:
                # an update written through it (flat -= ...) would change nothing
                out._data = value = value.copy()
                value.flags.writeable = False
        else:
            out.parents = parents
            for p in parents:
                if p.requires_grad:
                    out.requires_grad, out._vjps = True, vjps
                    # What backward checks: no input changed between here and there
                    # (versions), and nothing writes the arrays of the inputs it
                    # cannot trace back to a recorded node (locks): leaves, and
                    # op results that need no grad (whose own leaves no node locked).
                    if len(parents) == 2:   # spelled out: this runs for every op
                        x, y = parents
                        out._versions = (x._version, y._version)
                        if x.op is None or y.op is None or not y.requires_grad \
                                or not x.requires_grad:
                            out._hold = _lock(parents)
                    elif len(parents) == 1:   # and so does this; x requires grad
                        x, = parents
                        out._versions = (x._version,)
                        if x.op is None:
                            out._hold = _lock(parents)
                    else:   # three: linear's W, A, b (ops.op makes no op of more)
                        x, y, w = parents
                        out._versions = (x._version, y._version, w._version)
                        out._hold = _lock(parents)
                    break
        if _open_mode_blocks and _modes.anomaly and not np.isfinite(value).all():
            raise FloatingPointError(
                f"detect_anomaly: {op} made a non-finite value ({_first_bad(value)}) "
                f"of shape {value.shape} from {', '.join(describe(p) for p in parents)}")
        return out

    # --- copies are new leaves ------------------------------------------------
    def _copy_as_leaf(self) -> "Tensor":
        if _watching_reads:
            _read(self, "a copy")
        out = Tensor._leaf(self._data.copy(), self.requires_grad, self.name)
        out.grad = None if self.grad is None else np.array(self.grad)
        return out

    def __copy__(self) -> "Tensor":
        return self._copy_as_leaf()

    def __deepcopy__(self, memo: dict) -> "Tensor":
        return self._copy_as_leaf()   # copy.deepcopy itself records it in memo

    def __reduce__(self) -> tuple:
        if _watching_reads:
            _read(self, "a copy")
        return (_unpickle, (self._data, self.grad, self.requires_grad, self.name))

    # --- attributes -------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The float64 array. While a recorded graph that used a leaf waits for its
        backward, the leaf's array is read-only (a leaf seen through ``X.T`` or
        ``X.reshape`` too), so that nothing changes it under the graph: numpy's
        "output array is read-only" means such a graph is waiting (run its
        backward, or let it go). Only that array is locked: another numpy view of
        the same memory (the array a slice was taken from) can still write it,
        unseen. Assigning a new array (``W.data = ...``, or ``W.data -= ...``
        after backward) is seen by that graph's backward, which then refuses.
        An op's result gives a read-only view: its VJPs may read the array
        (tanh's uses A), so a write into it would change its gradients unseen;
        assign a new array to change it."""
        if _watching_reads:
            _read(self, ".data")
        return self._view()

    def _view(self) -> np.ndarray:
        """``data``, read by the engine (no recording takes it for f's read)."""
        if self.op is None:
            return self._data
        view = self._data.view()
        view.flags.writeable = False
        return view

    @data.setter
    def data(self, value: Any) -> None:
        if self.op is None:
            self._data = _as_float64(value)
        else:
            # A copy: the caller's array must not change under the VJPs of a later
            # graph. The shape stays: the op's gradients are of that shape.
            array = _as_float64(value, copy=True)
            if array.shape != self._data.shape:
                raise ValueError(f"data of {describe(self)}, an op's result, keeps its "
                                 f"shape; got an array of shape {array.shape}")
            self._data = array
        self._version += 1

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    def named(self, name: str) -> "Tensor":
        """Set the name (``"Z[1]"``) and return the tensor, for chaining."""
        self.name = _check_name(name)
        return self

    def __repr__(self) -> str:
        extras = "".join([f", name={self.name!r}" if self.name else "",
                          f", op={self.op!r}" if self.op else "",
                          ", requires_grad=True" if self.requires_grad else ""])
        body = np.array2string(self._data, precision=4, threshold=20, separator=", ",
                               prefix="tensor(")
        return f"tensor({body}{extras})"

    # --- leaving the graph -------------------------------------------------
    def detach(self) -> "Tensor":
        """The same data (not copied) as a new leaf with no history (an op
        result's through its read-only view: writing it would change the graph)."""
        if _watching_reads:
            _read(self, ".detach()")
        return Tensor._leaf(self._view(), False, self.name)

    def numpy(self) -> np.ndarray:
        """``data``: the array itself (not a copy), an op result's read-only."""
        if _watching_reads:
            _read(self, ".numpy()")
        return self._view()

    def item(self) -> float:
        if _watching_reads:
            _read(self, ".item()")
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor of one element; {describe(self)} "
                             f"has {self._data.size}")
        return float(self._data.item())

    def zero_grad(self) -> None:
        """Forget the gradient; without this, gradients add up over backward() calls."""
        self.grad = None

    # --- the backward pass --------------------------------------------------
    def backward(self, grad: Any = None, inputs: Optional[Any] = None) -> None:
        """Fill ``.grad`` of every tensor that depends on a ``requires_grad`` leaf.

        ``grad`` is d(something)/d(self); it defaults to 1 for a one-element tensor
        (a given ``grad`` is copied, never kept). Gradients accumulate: call
        ``zero_grad()`` (or make a new graph) between calls. A ``RuntimeError``
        names any input whose data was changed after the graph used it (given
        a new array, or changed by an in-place tensor op; writing into the
        arrays themselves is refused meanwhile: a leaf's is read-only until
        this backward, an op result's ``data`` is a read-only view). After it,
        the leaves' arrays are writable again, and a write into one
        (``W.data[:] = ...``) is not seen by a second backward of the same
        graph: build the graph again after changing data, as a training step does.

        ``inputs`` (a tensor or a sequence of them, as in PyTorch): only these
        get a ``.grad``; every other node's gradient is dropped once it has been
        passed on. The numbers are the same; a training step that needs only
        ∂J/∂W and ∂J/∂b (``fit``) keeps no gradient of an intermediate.
        """
        if not self.requires_grad:
            made = (f": {self._unrecorded_op} made it inside no_grad(), which records no graph"
                    if self._unrecorded_op else "")
            raise ValueError(f"backward() on {describe(self)}, which does not depend on "
                             f"any tensor with requires_grad=True{made}")
        if grad is None:
            if self._data.size != 1:
                raise ValueError(
                    f"backward() on non-scalar {describe(self)} needs a seed: pass "
                    f"grad= an array of shape {self.shape} (or reduce it first, e.g. .sum())")
            # fresh: the root owns it (a cost J is 0-d: no reshape to pay for)
            seed = np.array(1.0)
            if self._data.ndim:
                seed = seed.reshape(self._data.shape)
        else:
            seed = _seed_array(grad, "backward()")
            if seed.shape != self.shape:
                raise ValueError(f"backward(): grad of shape {seed.shape} does not match "
                                 f"{describe(self)}")
        if _watching_reads:   # the gradients are values computed from the leaves
            _read(self, "backward()")
        self._backward(seed, None if inputs is None else _inputs_to_keep(inputs))

    def _backward(self, seed: np.ndarray, keep: Optional[set]) -> None:
        """backward() from a checked ``seed`` (an array of this tensor's shape,
        its own) into the tensors of ``keep`` (None: every node), which require
        grad: a training loop checks those once, not at every step."""
        check = bool(_open_mode_blocks) and _modes.anomaly
        if check:
            for node in topological_order(self):   # inputs first: name where the NaN started
                if not np.isfinite(node._data).all():
                    raise FloatingPointError(
                        f"detect_anomaly: value of {_anomaly_label(node)} is not finite "
                        f"({_first_bad(node._data)})")
        # Newest node first: every consumer of a node was made after it, so a node
        # leaves the heap only once all its gradient has arrived. Only op nodes
        # that receive a gradient enter it (X and Y never do); a leaf sends
        # nothing on, so its gradient waits in pending until the walk ends. No
        # separate topological sort is needed. Bookkeeping is keyed on the node.
        pending = {self: seed}   # gradients of this call only: no double counting
        # Nodes whose pending gradient may be another node's array or a view of
        # one (a VJP passing g through, a reshape): stored as .grad, it is copied.
        borrowed = set()
        heap = [(-self._seq, self)]
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            node = pop(heap)[1]
            g = pending.pop(node)
            if check:
                _check_gradient(node, g)
            if keep is None or node in keep:
                _store_grad(node, g, node in borrowed)
            vjps = node._vjps
            if vjps is None:
                continue   # the root itself is a leaf
            for parent, vjp, version in zip(node.parents, vjps, node._versions):
                if parent._version != version:
                    raise RuntimeError(_changed_message(parent, node))
                if not parent.requires_grad:
                    continue   # nobody needs it: skip the work
                pg = vjp(g)
                shape = parent._data.shape
                if pg.shape != shape:
                    pg = _unbroadcast(pg, shape)
                earlier = pending.get(parent)
                if earlier is not None:
                    pending[parent] = earlier + pg
                    borrowed.discard(parent)
                else:
                    pending[parent] = pg
                    if pg is g or type(pg) is not np.ndarray or pg.base is not None:
                        borrowed.add(parent)
                    if parent._vjps is not None:
                        push(heap, (-parent._seq, parent))
            node._hold = None   # its VJPs have run: the leaves it read may change again
        # What is left is the leaves' gradients, each complete: newest first, as
        # the walk would have met them
        for node in sorted(pending, key=_creation_number, reverse=True):
            g = pending[node]
            if check:
                _check_gradient(node, g)
            if keep is None or node in keep:
                _store_grad(node, g, node in borrowed)

    def __bool__(self) -> bool:
        """As numpy and PyTorch: the one element's truth; more are ambiguous."""
        if self._data.size != 1:
            raise ValueError(f"the truth value of {describe(self)}, of {self._data.size} "
                             f"elements, is ambiguous: use t.data.any() or t.data.all()")
        if _watching_reads:
            _read(self, "bool()")
        return bool(self._data.item())

    # A cost is a tensor of one number, and learners print it as one:
    # float(J), f"{J:.4f}", round(J, 4), as numpy's and PyTorch's scalars allow.
    def __float__(self) -> float:
        if _watching_reads:
            _read(self, "float()")
        return self._one_number("float()")

    def _one_number(self, call: str, error: type = ValueError) -> float:
        """item(), its error naming the call the learner made (float(A), round(A, 2),
        math.isfinite(A), f"{A:.2f}" all come here)."""
        if self._data.size != 1:
            raise error(f"{call} needs a tensor of one number; {describe(self)} has "
                        f"{self._data.size}: use its array, .data, or an entry")
        return float(self._data.item())   # not item(): f"{J:.4f}" only shows the value

    def __format__(self, spec: str) -> str:
        # TypeError, as format() raises for a spec a type cannot take
        return format(self._one_number(f"format '{spec}'", TypeError), spec) if spec \
            else str(self)

    def __round__(self, ndigits: Optional[int] = None) -> float:
        if _watching_reads:
            _read(self, "round()")
        return round(self._one_number("round()"), ndigits)

    # --- numpy beside a tensor ------------------------------------------------
    # numpy would make an object array holding the tensor (np.asarray(t).shape is
    # ()) and == would compare identities (t == a is False, np.mean(A == Y) an
    # accuracy of 0): refused, saying .data.
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(f"numpy cannot take {describe(self)} as an array: use its array, "
                        f".data (or .item() for its one number)")

    # numpy's operators (array + tensor asks np.add) are the ops; its other functions
    # and ufuncs (np.tanh(Z), np.sum(Z)) say what to write instead (beside_numpy.py).
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _beside_numpy.ufunc(self, ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        return _beside_numpy.function(self, func, args, kwargs)

    # No op takes entries out of a graph (no gradient could flow back through it);
    # code that takes a tensor for an array indexes or loops over it (plt.plot(t)
    # does t[:, np.newaxis]): refused, saying .data, not "not subscriptable".
    def __getitem__(self, index: Any) -> Any:
        raise TypeError(f"{describe(self)} cannot be indexed: minigrad has no op that "
                        f"takes entries out of a graph; index its array, .data[...] "
                        f"(to plot it: plt.plot(t.data))")

    def __iter__(self) -> Any:   # else Python would iterate by calling __getitem__(0), (1), ...
        raise TypeError(f"{describe(self)} cannot be looped over: loop over its array, "
                        f".data (to plot it: plt.plot(t.data))")

    def __len__(self) -> int:   # plt.hist(t) asks len(t) first
        raise TypeError(f"{describe(self)} has no len(): its array has, .data (its shape: "
                        f".shape; to plot it: plt.hist(t.data))")

    def __eq__(self, other: Any) -> Any:
        return self._compare(other, "==")

    def __ne__(self, other: Any) -> Any:   # object's != asks ==, whose message says ==
        return self._compare(other, "!=")

    def _compare(self, other: Any, symbol: str) -> Any:
        if isinstance(other, (np.ndarray, numbers.Number, list, tuple)):
            raise TypeError(f"{symbol} between {describe(self)} and {type(other).__name__} "
                            f"would compare no entries (a tensor equals only itself): "
                            f"compare its array, .data {symbol} ...")
        return NotImplemented   # another tensor, None, ...: identity, as object's

    __hash__ = object.__hash__   # a tensor is its own node: a dict key, in a set

    # --- in-place operators ---------------------------------------------------
    def __iadd__(self, other): return self._in_place(other, np.add, "add", "+=")
    def __isub__(self, other): return self._in_place(other, np.subtract, "sub", "-=")
    def __imul__(self, other): return self._in_place(other, np.multiply, "mul", "*=")
    def __itruediv__(self, other): return self._in_place(other, np.true_divide, "div", "/=")

    def _in_place(self, other: Any, ufunc: Any, op: str, symbol: str) -> "Tensor":
        """PyTorch's rules. A leaf that requires grad, with grad on: an error (the
        parameter would silently become a graph node). A leaf otherwise: its data
        is updated in place and it stays the same leaf. An op's result: a new
        node, as ``Z = Z - 1`` would make (its VJP may read its old value)."""
        other_grad = isinstance(other, Tensor) and other.requires_grad
        if self.op is None and self.requires_grad and _modes.grad_enabled:
            raise RuntimeError(
                f"{symbol} on {describe(self)}, a leaf that requires grad, with grad "
                f"enabled would make it a node of the graph. Update its data instead: "
                f"`with mg.no_grad(): W {symbol} lr * W.grad` or `W.data {symbol} lr * W.grad`")
        if self.op is not None or (other_grad and _modes.grad_enabled):
            return getattr(_ops, op)(self, other)
        if isinstance(other, Tensor) and _watching_reads:
            _read(other, "a copy")   # its value, into self's array
        value = other._data if isinstance(other, Tensor) else _as_float64(other)
        try:
            fits = np.broadcast_shapes(self.shape, value.shape) == self.shape
        except ValueError:   # numpy's message names no tensor
            fits = False
        else:
            if value.ndim != self._data.ndim:   # what + - * / refuse, a leaf's update too
                try:
                    _ops._refuse_rank_1_rows(self._data, value)
                except ValueError as error:   # W -= lr * dW_flat, b -= lr * db_flat
                    raise ValueError(f"{symbol} on {describe(self)}: {error}") from None
        if not fits:
            raise ValueError(f"{symbol} on {describe(self)}: a right side of shape "
                             f"{value.shape} does not fit its shape")
        if not self._data.flags.writeable:
            if id(self._data) in _frozen:
                raise RuntimeError(
                    f"{symbol} on {describe(self)}: a recorded graph uses its data and has "
                    f"not run backward yet, or a tape (mg.record) that reads it is alive. "
                    f"Run that backward first (let the tape go), or give the tensor a new "
                    f"array (t.data = t.data {symbol[0]} ...): that graph will refuse it, a "
                    f"tape of a function records again, and a tape of a built graph refuses "
                    f"it (record the new graph)")
            raise ValueError(f"{symbol} on {describe(self)}: its data array is read-only (an "
                             f"array given read-only, an op result's value shared by "
                             f"as_tensor, or a copy that x.T or x.reshape(...) made under "
                             f"no_grad: update x itself); give it a new one: "
                             f"t.data = t.data {symbol[0]} ...")
        ufunc(self._data, value, out=self._data)
        self._version += 1
        return self

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
        """Reverse the axes (``t.transpose()``, ``t.transpose(None)``, as numpy's), or
        permute them: ``t.transpose(1, 0)`` or ``t.transpose((1, 0))``."""
        axes = _varargs(axes)
        return _ops.transpose(self, None if axes == () or axes == (None,) else axes)

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


def _store_grad(node: Tensor, g: Any, borrowed: bool) -> None:
    """Store or add ``g``, the whole of ``node``'s gradient from this backward, as
    its ``.grad``: an array of the node's own (a borrowed one, or a numpy scalar,
    is copied)."""
    if node.grad is None:
        total = np.array(g) if borrowed or type(g) is not np.ndarray else g
    elif node.grad.shape != g.shape:   # +: numpy would broadcast it silently
        raise ValueError(
            f"backward(): {describe(node)} holds a .grad of shape "
            f"{node.grad.shape} (from a backward before its data changed "
            f"shape, or set by hand), which gradients cannot accumulate "
            f"into: call zero_grad() on the graph's tensors and run "
            f"backward again")
    else:
        total = node.grad + g
        if type(total) is not np.ndarray:   # 0-d sums come back as numpy scalars
            total = np.array(total)
    node.grad = total


def _seed_array(grad: Any, caller: str) -> np.ndarray:
    """A given seed as a fresh float64 array (a Tensor's data too), or an error
    that says it is the seed."""
    try:
        return _as_float64(grad._data if isinstance(grad, Tensor) else grad, copy=True)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{caller}: grad: {error}") from None


def _inputs_to_keep(inputs: Any) -> set:
    """``backward(inputs=...)`` as a set of tensors that require grad, or a clear error."""
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"backward(inputs=...) takes tensors; got {type(t).__name__}")
        if not t.requires_grad:
            raise ValueError(f"backward(inputs=...): {describe(t)} does not require grad, "
                             f"so it can have no gradient")
    if not items:
        raise ValueError("backward(inputs=...) is empty: no tensor would get a gradient")
    return set(items)


def tensor(data: Any, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    """Make a leaf tensor holding a copy of ``data`` (as ``torch.tensor`` does):
    ``mg.tensor(W1, requires_grad=True, name="W[1]")``."""
    return Tensor(data, requires_grad=requires_grad, name=name)


def as_tensor(data: Any, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    """Make a leaf tensor that shares ``data`` when it is a float64 ndarray (as
    ``torch.as_tensor`` does; other data is converted, hence copied). A Tensor's
    data is shared the same way. Changes to the array reach the tensor: while a
    recorded graph that used it waits for its backward, the array is read-only.
    An op result's data is shared as its ``data`` is, read-only: its VJPs may
    read the array."""
    if type(data) is np.ndarray and data.dtype == np.float64:   # the nets' every step
        array = data
    else:
        if isinstance(data, Tensor) and _watching_reads:
            _read(data, "mg.as_tensor()")
        array = data._view() if isinstance(data, Tensor) else _as_float64(data)
    return Tensor._leaf(array, requires_grad, name)


def _constant(x: Any) -> Tensor:
    # A number or array an op meets beside a Tensor: shared, like as_tensor.
    return Tensor._leaf(_as_float64(x))


def _unpickle(data: np.ndarray, grad: Optional[np.ndarray], requires_grad: bool,
              name: Optional[str]) -> Tensor:
    # Copies: an array unpickled from protocol 5 may be read-only.
    out = Tensor._leaf(np.array(data), requires_grad, name)
    out.grad = None if grad is None else np.array(grad)
    return out


def _changed_message(parent: Tensor, node: Tensor) -> str:
    return (f"backward(): the data of {describe(parent)} was changed after the graph used "
            f"it (in {describe(node)}) and before this backward, which would mix old and "
            f"new values. Build the graph again after changing data.")


def describe(t: Tensor) -> str:
    """How errors name a node: ``W[1] (4, 3)``, or ``<matmul> (4, 5)`` when unnamed."""
    label = t.name if t.name else (f"<{t.op}>" if t.op else "tensor")
    return f"{label} {t._data.shape}"


def _check_gradient(node: Tensor, g: np.ndarray) -> None:
    """detect_anomaly's check of the gradient backward reached ``node`` with."""
    if not np.isfinite(g).all():
        raise FloatingPointError(f"detect_anomaly: gradient of {_anomaly_label(node)} "
                                 f"is not finite ({_first_bad(g)})")


def _anomaly_label(t: Tensor) -> str:
    # describe() shows the op only when the node has no name; anomalies show both.
    return f"{t.name or 'unnamed'} (op {t.op or 'leaf'}, shape {t._data.shape})"


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
    # np.add.reduce is what .sum() calls, minus a Python layer
    if len(shape) == 2 and shape[1] == 1 and len(grad.shape) == 2 and grad.shape[0] == shape[0]:
        return np.add.reduce(grad, axis=(1,), keepdims=True)   # a bias (n, 1): no lookup
    axes = _unbroadcast_axes.get((grad.shape, shape))
    if axes is None:
        if len(_unbroadcast_axes) >= 4096:   # a program of ever new shapes: start again
            _unbroadcast_axes.clear()
        axes = _unbroadcast_axes[grad.shape, shape] = _axes_to_sum(grad.shape, shape)
    leading, stretched = axes
    if leading:
        grad = np.add.reduce(grad, axis=leading)
    if stretched:
        grad = np.add.reduce(grad, axis=stretched, keepdims=True)
    return grad


def _axes_to_sum(big: tuple, shape: tuple) -> tuple:
    """The axes ``_unbroadcast`` sums: the leading ones broadcasting added, then
    (keeping them) those where ``shape`` has a 1 that was stretched."""
    extra = len(big) - len(shape)
    stretched = tuple([i for i, n in enumerate(shape) if n == 1 and big[extra + i] != 1])
    return tuple(range(extra)), stretched


# (gradient's shape, input's shape) -> _axes_to_sum: a training loop meets the same
# few pairs at every step.
_unbroadcast_axes: dict = {}


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
from minigrad import beside_numpy as _beside_numpy  # noqa: E402  (as ops)
