"""What a recorded function reads by name, so that a tape sees a name bound anew.

A tape replays the graph ``f`` built when it recorded. ``f`` run again reads
its names again: after ``X = mg.tensor(new)`` (or a global array, a number,
a helper function given a new object) it builds another graph, and a tape
that replayed the old one would differ from eager without a word.
``bindings(f, read)`` lists each name that ``f``, and the Python functions it
reaches by name, read from a closure or their module, with the object bound
to it; ``rebound(found)`` says which now holds another object, and the tape
records again. minigrad's and numpy's own functions are not walked: they
read no name a user binds.

An array read by name that is not itself one of the graph's constants
(``read``) may have been copied into it (``mg.tensor(G)``, an int array made
float64, ``G[:, 3:].copy()`` beside a view of ``G`` the graph reads): the
tape keeps a copy of its values, and a write into it (``G[0] = 5``) records
again too, where the graph's own arrays are read at every replay (or kept
read-only).

``f`` may be a ``functools.partial`` or an object with a ``__call__``: their
functions are walked. What is not a name, a tape cannot see: an attribute
(``net.params``; a global ``params`` is not read by it), an item
(``d["X"]``, ``globals()["X"]``), or a list changed in place.
"""
from __future__ import annotations

import dis
import functools
import types
from typing import AbstractSet, Any, Callable, List, Optional, Tuple

import numpy as np

__all__ = ["bindings", "rebound", "same"]

_EMPTY = object()   # a closure cell not yet filled
# name, cell or globals, key (None: a cell), object, copy of its values (or None)
Binding = Tuple[str, Any, Optional[str], object, Optional[np.ndarray]]


def bindings(f: Callable[..., Any], read: AbstractSet[int] = frozenset()) -> List[Binding]:
    """Each name read by ``f`` and by the functions it reaches by name, with its
    object; ``read``: ids of the arrays the graph reads as constants."""
    found: List[Binding] = []
    seen, watched = set(), set()   # functions walked; (cell or globals, name) watched
    stack: List[Any] = [f]
    while stack:
        fn = stack.pop()
        if isinstance(fn, functools.partial):   # its function, and what it was given
            stack.extend([fn.func, *fn.args, *fn.keywords.values()])
            continue
        if isinstance(fn, types.MethodType):
            fn = fn.__func__
        elif not isinstance(fn, types.FunctionType):   # an object's __call__, if Python's
            fn = getattr(type(fn), "__call__", None)
        if not isinstance(fn, types.FunctionType) or id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn is not f and (fn.__module__ or "").split(".")[0] in ("minigrad", "numpy"):
            continue
        named = []
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            obj = _contents(cell)
            if obj is not _EMPTY:   # empty: not read as f ran (it would have raised);
                named.append((name, cell, None, obj))   # the tape f names, say
        space = fn.__globals__
        for name in _names(fn.__code__):
            obj = space.get(name, _EMPTY)
            if obj is not _EMPTY:
                named.append((name, space, name, obj))
        for name, where, key, obj in named:
            if (id(where), name) in watched:   # f and a helper of its module read X
                continue
            watched.add((id(where), name))
            values = obj.copy() if isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf" \
                and id(obj) not in read else None
            found.append((name, where, key, obj, values))
            stack.append(obj)
    return found


def rebound(found: List[Binding]) -> Optional[str]:
    """What changed among ``found`` (a name bound anew, a copied array written),
    or None."""
    for name, where, key, obj, values in found:
        now = _contents(where) if key is None else where.get(key, _EMPTY)
        if now is not obj:
            return f"the name {name!r}, which f read when it recorded, is bound to another object"
        if values is not None and not same(obj, values):  # type: ignore[arg-type]
            return (f"the array {name!r}, which f read when it recorded and copied into its "
                    f"graph, holds other values")
    return None


def _contents(cell: Any) -> object:
    try:
        return cell.cell_contents
    except ValueError:   # empty: the enclosing function has not bound it yet
        return _EMPTY


def same(array: np.ndarray, values: np.ndarray) -> bool:
    """Whether ``array`` holds ``values`` (a copy of it), NaNs included."""
    # equal_nan costs ~30x the plain test (7 ms for 800k floats): only for NaNs
    return array.shape == values.shape and (np.array_equal(array, values) or
                                            np.array_equal(array, values, equal_nan=True))


@functools.lru_cache(maxsize=1024)
def _names(code: types.CodeType) -> Tuple[str, ...]:
    """The global names ``code`` and the code nested in it read (not the attributes'
    names ``co_names`` also holds: ``net.loss`` reads no global ``loss``)."""
    names = [ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):   # a lambda or comprehension inside f
            names.extend(_names(const))
    return tuple(names)
