"""Reusing the arrays of graphs that are gone, inside a training loop.

Each training step builds a new graph, and the graph of the step before dies
with its arrays. glibc's malloc hands large freed blocks back to the system,
so the next step's arrays of the same shapes are faulted in again, page by
page: at (n_h, m) = (50, 400) that was more than half of an eager step.

Inside ``with recycling():`` the ops take their large outputs from a pool.
The pool keeps every array it hands out and hands one out again only when
nothing else refers to it (its reference count says so): an array that a
tensor, a closure, a view or a user still holds is never given to anyone
else, so no value ever changes under its holder. Leaving the block lets the
pool go. ``fit`` trains inside it; nothing else changes.
"""
from __future__ import annotations

import contextlib
import math
import sys
import threading
from typing import Iterator

import numpy as np

__all__ = ["recycling", "recycled", "empty"]

# Smaller arrays (under 64 KiB of float64) come from malloc's free lists, which
# costs less than a lookup here.
MIN_ENTRIES = 1 << 13


class _State(threading.local):
    pool = None   # {shape: [arrays handed out]} inside recycling(), else None


_state = _State()


def _reference_count_when_free() -> int:  # pragma: no mutate block (runs at import)
    # What getrefcount says, in recycled's loop, of an array only the pool holds.
    # Measured, not assumed: interpreters differ in the references they count.
    bucket = [np.empty(1)]
    for array in bucket:
        return sys.getrefcount(array)
    raise AssertionError("unreachable")


_FREE = _reference_count_when_free()
# Reference counts are exact only with the GIL; a free-threaded build never recycles.
_ENABLED = getattr(sys, "_is_gil_enabled", lambda: True)()


def recycled(shape: tuple, entries: int) -> "np.ndarray | None":
    """The ``out=`` for an op's result of ``shape`` (``entries`` entries): inside
    ``recycling()`` and large, a pooled array that nothing refers to any more
    (any contents); otherwise None, for numpy to allocate one, which costs less
    for small results. One call and one look at the pool per result: this runs
    for every op."""
    if entries < MIN_ENTRIES:
        return None
    pool = _state.pool
    if pool is None:
        return None
    bucket = pool.get(shape)
    if bucket is None:
        bucket = pool[shape] = []
    for array in bucket:   # the loop _FREE is measured in
        if sys.getrefcount(array) == _FREE:
            return array
    array = np.empty(shape)
    bucket.append(array)
    return array


def empty(shape: tuple) -> np.ndarray:
    """A float64 array of ``shape`` with any contents: ``recycled``'s, or a new one."""
    array = recycled(shape, math.prod(shape))
    return np.empty(shape) if array is None else array


@contextlib.contextmanager
def recycling() -> Iterator[None]:
    """Inside the block, ops write large results into arrays of earlier results
    that nothing refers to any more, instead of asking malloc again. The values
    are the same bits; what a tensor, a view or a user holds is never reused.
    Nested blocks share the outer pool; the pool goes when the outer one ends."""
    if _state.pool is not None or not _ENABLED:
        yield
        return
    _state.pool = {}
    try:
        yield
    finally:
        _state.pool = None
