"""Which buffers of a tape may share memory (``mg.record``'s memory plan).

A tape is compiled twice. The first time, ``Allocator()`` hands out a
placeholder for each buffer a kernel writes (one element seen through zero
strides: no memory, as none of that compile's kernels ever runs) and
remembers them in order. ``plan`` then reads, for each buffer, its live
range: from the first to the last kernel (in the order a replay runs them)
that refers to it or to a view of it. Buffers of one shape whose ranges do
not overlap get one new array; the second compile, ``Allocator(planned)``,
hands those out in the same order.
A kernel's arrays are found by walking what it holds (a ``functools.partial``'s
arguments, a function's closure), so a kernel that reached a buffer some other
way would make the plan wrong: the tape's check against the eager engine
(``record`` replays the recorded values and compares) refuses such a plan.

Ranges are closed, so no kernel ever writes a buffer it also reads through
another name: sharing changes where numbers are stored, never a rounding.
"""
from __future__ import annotations

import types
from functools import partial
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np

__all__ = ["Allocator", "plan", "owner", "pack"]


class Allocator:
    """``alloc(shape, dtype)``: the buffers a tape's kernels write into.
    Without ``planned``, a placeholder per call (``arrays`` keeps them in
    order); with it, the call's planned array."""

    def __init__(self, planned: Optional[Sequence[np.ndarray]] = None) -> None:
        self.planned = planned
        self.arrays: List[np.ndarray] = []
        self._made: Set[int] = set()

    def __call__(self, shape: Tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        shape, dtype = tuple(shape), np.dtype(dtype)
        if self.planned is None:
            array = np.lib.stride_tricks.as_strided(np.empty(1, dtype), shape, (0,) * len(shape))
        else:
            i = len(self.arrays)
            if i >= len(self.planned) or self.planned[i].shape != shape \
                    or self.planned[i].dtype != dtype:
                raise RuntimeError("record: the second compile of the tape asked for other "
                                   "buffers than the first; the memory plan cannot apply")
            array = self.planned[i]
        self.arrays.append(array)
        self._made.add(id(array))
        return array

    def made(self, array: np.ndarray) -> bool:
        """Whether ``array`` is one this allocator handed out (not a view of one)."""
        return id(array) in self._made


def owner(array: np.ndarray) -> np.ndarray:
    """The array that owns ``array``'s memory (itself, or the base of a view)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def pack(shapes: Sequence[Tuple[int, ...]]) -> Tuple[np.ndarray, List[np.ndarray]]:
    """One zeroed 1-D float64 array, and a view of it for each shape, end to end
    in order. Each view starts on a 16-byte boundary, as a freshly allocated
    array does: some BLAS kernels (OpenBLAS's Prescott ddot) add in another
    order for data that is not, which would break bit-identity with the eager
    engine. The gaps (one float at most) stay 0."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    offsets, total = [], 0
    for n in sizes:
        offsets.append(total)
        total += n + n % 2
    whole = np.zeros(total)
    return whole, [whole[o:o + n].reshape(shape) for o, n, shape in zip(offsets, sizes, shapes)]


def plan(arrays: Sequence[np.ndarray], kernels: Sequence[Callable[[], None]],
         kept: Iterable[np.ndarray], flat: Sequence[np.ndarray] = ()) -> List[np.ndarray]:
    """One array per entry of ``arrays`` (a first compile's placeholders, in order).

    ``kept``: arrays read after a replay (the root's value, the gradients a
    caller reads): each keeps a memory of its own. ``flat``: kept buffers to
    lay end to end, in this order, as views of one 1-D array (``pack``; its
    first element's ``base``), so that one numpy call can update them all.
    Every other buffer takes a shared array (one per shape and dtype) that no
    buffer live at the same time uses.
    """
    index = {id(owner(a)): i for i, a in enumerate(arrays)}   # each owns a memory
    first: List[Optional[int]] = [None] * len(arrays)
    last: List[int] = [-1] * len(arrays)
    for k, kernel in enumerate(kernels):
        for ref in _arrays_in(kernel):
            i = index.get(id(owner(ref)))
            if i is not None:
                if first[i] is None:
                    first[i] = k
                last[i] = k
    keep = {id(owner(a)) for a in kept}
    out: List[Optional[np.ndarray]] = [None] * len(arrays)
    if flat:
        for a, view in zip(flat, pack([a.shape for a in flat])[1]):
            out[index[id(owner(a))]] = view
    # interval colouring, by start: a slot is free once its last user has run
    slots: Dict[tuple, List[list]] = {}
    for i in sorted(range(len(arrays)), key=lambda i: -1 if first[i] is None else first[i]):
        if out[i] is not None:
            continue
        a = arrays[i]
        if id(owner(a)) in keep:
            out[i] = np.empty(a.shape, a.dtype)
            continue
        start = -1 if first[i] is None else first[i]   # never referred to: free at once
        pool = slots.setdefault((a.shape, a.dtype.str), [])
        for slot in pool:
            if slot[1] < start:
                slot[1] = last[i]
                out[i] = slot[0]
                break
        else:
            out[i] = np.empty(a.shape, a.dtype)
            pool.append([out[i], last[i]])
    return out   # type: ignore[return-value]


def _arrays_in(kernel: object) -> List[np.ndarray]:
    """Every ndarray a kernel holds: through partials, closures, bound methods,
    lists, tuples and dicts (a numpy ufunc holds none)."""
    found: List[np.ndarray] = []
    seen: Set[int] = set()
    stack = [kernel]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            found.append(obj)
        elif isinstance(obj, partial):
            stack += [obj.func, *obj.args, *obj.keywords.values()]
        elif isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    stack.append(cell.cell_contents)
                except ValueError:   # a cell not yet filled
                    pass
        elif isinstance(obj, types.MethodType):
            stack += [obj.__self__, obj.__func__]
        elif isinstance(obj, (list, tuple)):
            stack += list(obj)
        elif isinstance(obj, dict):
            stack += list(obj.values())
    return found
