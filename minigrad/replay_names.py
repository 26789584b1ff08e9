"""What a recorded function reads by name, so that a tape sees a name bound anew.

A tape replays the graph ``f`` built when it recorded. ``f`` run again reads
its names again: after ``X = mg.tensor(new)`` (or a global array, a number,
a helper function given a new object) it builds another graph, and a tape
that replayed the old one would differ from eager without a word.
``bindings(f)`` lists each name that ``f``, and the Python functions it
reaches by name, read from a closure or their module, with the object bound
to it; ``rebound(found)`` names the first that now holds another object, and
the tape records again. minigrad's and numpy's own functions are not walked:
they read no name a user binds.

What is not a name, a tape cannot see: an attribute (``net.params``), an
item (``d["X"]``), or a value changed in place in an object f copies from.
"""
from __future__ import annotations

import types
from typing import Any, Callable, List, Optional, Tuple

__all__ = ["bindings", "rebound"]

# never a graph's value, and rebinding them is not something a tape must see
_SKIP = (types.ModuleType, type, types.BuiltinFunctionType)
_EMPTY = object()   # a closure cell not yet filled
Binding = Tuple[str, Any, Optional[str], object]   # name, cell or globals, key, object


def bindings(f: Callable[..., Any]) -> List[Binding]:
    """Each name read by ``f`` and by the functions it reaches by name, with its object."""
    found: List[Binding] = []
    seen = set()
    stack: List[Any] = [f]
    while stack:
        fn = stack.pop()
        if isinstance(fn, types.MethodType):
            fn = fn.__func__
        if not isinstance(fn, types.FunctionType) or id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn is not f and (fn.__module__ or "").split(".")[0] in ("minigrad", "numpy"):
            continue
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            obj = _contents(cell)
            if obj is _EMPTY:   # not read as f ran (it would have raised): the tape
                continue        # that f names, say, assigned once record returns
            found.append((name, cell, None, obj))
            stack.append(obj)
        space = fn.__globals__
        for name in _names(fn.__code__):
            obj = space.get(name, _EMPTY)
            # absent: a builtin, or an attribute's name (co_names holds both)
            if obj is _EMPTY or isinstance(obj, _SKIP):
                continue
            found.append((name, space, name, obj))
            stack.append(obj)
    return found


def rebound(found: List[Binding]) -> Optional[str]:
    """The first name in ``found`` bound to another object now, or None."""
    for name, where, key, obj in found:
        now = _contents(where) if key is None else where.get(key, _EMPTY)
        if now is not obj:
            return name
    return None


def _contents(cell: Any) -> object:
    try:
        return cell.cell_contents
    except ValueError:   # empty: the enclosing function has not bound it yet
        return _EMPTY


def _names(code: types.CodeType) -> List[str]:
    """The global (and attribute) names ``code`` and the code nested in it read."""
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):   # a lambda or comprehension inside f
            names.extend(_names(const))
    return names
