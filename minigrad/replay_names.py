"""What a recorded function reads, so that a tape sees it bound anew.

A tape replays the graph ``f`` built when it recorded. ``f`` run again reads
its names again: after ``X = mg.tensor(new)`` (or a global array, a number,
a helper function given a new object) it builds another graph, and a tape
that replayed the old one would differ from eager without a word.
``bindings(f, read)`` lists what ``f``, and the Python functions it reaches,
read, with the object found there: a name in a closure or a module, a
parameter's default (``def f(G=G0)``), what a ``functools.partial`` was
given, an attribute the code reads (``self.X``, ``mod.X``, ``cfg.p``) of
an object reached so (a method's ``self`` included), and the entries of a
list, dict or tuple so reached (``d["X"]``, ``layers[0]``: a dict or list
is compared entry by entry, and its first 64 entries walked as the rest);
``rebound(found)`` says which now holds another object, or which list or
dict was changed in place, and the tape records again. minigrad's and
numpy's own functions and modules are not walked: they read nothing a user
binds, nor are Python's own library and the installed packages (their
state changes as they are used: logging, matplotlib).

An array so read that is not itself one of the graph's constants (``read``)
may have been copied into it (``mg.tensor(G)``, an int array made float64,
``G[:, 3:].copy()`` beside a view of ``G`` the graph reads), or its values
read into Python: the tape keeps a copy of its values, and a write into it
(``G[0] = 5``) records again too, where the graph's own arrays are read at
every replay (or kept read-only). A leaf's array is not the graph's: the
tape copies it into its inputs, so f reading it by name (``W1`` beside
``W = mg.as_tensor(W1)``) reads the leaf's value, and a write into it is
seen so. A tensor so reached is read as its array (``C.data``: f may read
its value, ``C.item()``, when it is no node of the graph), except a leaf of
the tape's (replay gives its values), and its ``.grad`` when the code
reads one (an eager backward gives it another).

``f`` may be a ``functools.partial``, a bound method or an object with a
``__call__``: their functions are walked. What a tape cannot see: what
it reaches other than by a name in the code (``getattr(net, name)``,
``globals()["X"]``), the entries of a set or another container, and what
lies past the first 64 entries of a list (which is compared entry by entry
still: an entry replaced there records again, a write into its array not).
"""
from __future__ import annotations

import dis
import functools
import operator
import os
import sys
import sysconfig
import types
from typing import AbstractSet, Any, Callable, List, Optional, Tuple

import numpy as np

__all__ = ["bindings", "rebound", "same"]

_EMPTY = object()   # a closure cell not yet filled, a name or attribute not there
# what is read (for the messages), how to read it again now, the object read
# then, a copy of its values (an array f may have copied into its graph) or None
Binding = Tuple[str, Callable[[], object], object, Optional[np.ndarray]]
# numbers and strings bound anew to an equal value (lr = 0.1 at every step) are
# the same graph: compared by type and repr (which tells -0.0 from 0.0)
_PLAIN = (bool, int, float, complex, str, bytes, type(None))


def bindings(f: Callable[..., Any], read: AbstractSet[int] = frozenset(),
             leaves: AbstractSet[int] = frozenset()) -> List[Binding]:
    """What ``f`` and the functions it reaches read, with the object found;
    ``read``: ids of the arrays the graph reads itself (at each replay, or
    kept read-only); ``leaves``: ids of the tape's leaves (their values are
    what replay is given)."""
    from minigrad.tensor import Tensor   # replay imports this module: no cycle at import
    found: List[Binding] = []
    seen: set = set()         # functions walked, objects looked into
    watched: set = set()      # what is read, as (id of the place, key): read once
    attributes: set = set()   # the attribute names the walked code reads
    objects: list = []        # (label, object, names looked up so far)
    tensors: list = []        # (label, tensor) reached by a name
    stack: List[Tuple[str, Any]] = [("f", f)]

    def bind(label: str, place: object, key: object, now: Callable[[], object],
             obj: object) -> None:
        if (id(place), key) in watched:   # f and a helper of its module read X
            return
        watched.add((id(place), key))
        values: Any = obj.copy() if isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf" \
            and id(obj) not in read else None
        if type(obj) in (list, dict):   # exactly: a subclass may make its entries
            values = _Entries(obj)      # changed in place: an entry added, replaced
        found.append((label, now, obj, values))
        stack.append((label, obj))

    while stack:
        while stack:
            label, fn = stack.pop()
            if type(fn) in (list, dict, tuple):
                keys = list(fn) if isinstance(fn, dict) else range(len(fn))
                # each entry read as an attribute is (a number needs no more than the
                # comparison of the entries: a long list of them costs one)
                for k in [k for k in keys if not _plain(fn[k])][:_ENTRIES]:
                    bind(f"{label}[{k!r}]", fn, ("entry", k),
                         lambda obj=fn, k=k: _entry(obj, k), fn[k])
                continue
            if isinstance(fn, Tensor):
                # f may read its value (C.item(), float(C.data.sum())) into a number:
                # new data, or a write into its array, is a new graph too (a leaf's
                # values are replay's to give)
                if id(fn) not in seen:
                    seen.add(id(fn))
                    tensors.append((label, fn))
                    if id(fn) not in leaves:
                        bind(f"{label}.data", fn, ("attribute", "data"),
                             lambda t=fn: t._data, fn._data)
                continue
            if isinstance(fn, functools.partial):   # its function, and what it was given
                for i, arg in enumerate(fn.args):   # a tuple: never bound anew
                    bind(f"{label}'s argument {i}", fn, i, lambda arg=arg: arg, arg)
                for key, arg in fn.keywords.items():   # a dict: may be
                    bind(f"{label}'s argument {key}", fn, key,
                         lambda fn=fn, key=key: fn.keywords.get(key, _EMPTY), arg)
                stack.append((label, fn.func))
                continue
            if isinstance(fn, types.MethodType):   # its self's attributes are read
                stack.append((_first_parameter(fn.__func__), fn.__self__))
                fn = fn.__func__
            elif not isinstance(fn, types.FunctionType):
                if _looked_into(fn) and id(fn) not in seen:
                    seen.add(id(fn))
                    objects.append((label, fn, set()))
                call = getattr(type(fn), "__call__", None)   # an object's __call__, if Python's
                if isinstance(call, types.FunctionType):
                    stack.append((label, call))
                continue
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if fn is not f and (_ours(fn.__module__) or _library(fn.__code__.co_filename)):
                continue
            code = fn.__code__
            for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
                obj = _contents(cell)
                # empty: not read as f ran (it would have raised); the tape f names, say
                if obj is not _EMPTY:
                    bind(name, cell, None, lambda cell=cell: _contents(cell), obj)
            space = fn.__globals__
            for name in _names(code):
                obj = space.get(name, _EMPTY)
                if obj is not _EMPTY:
                    bind(name, space, name, functools.partial(space.get, name, _EMPTY), obj)
            # the defaults a call without that argument reads (reassignable tuple, dict)
            defaults = fn.__defaults__ or ()
            first = code.co_argcount - len(defaults)
            for i, obj in enumerate(defaults):
                bind(f"the default of {code.co_varnames[first + i]} in {fn.__name__}", fn,
                     ("default", i), lambda fn=fn, i=i: _default(fn, i), obj)
            for name, obj in (fn.__kwdefaults__ or {}).items():
                bind(f"the default of {name} in {fn.__name__}", fn, ("kwdefault", name),
                     lambda fn=fn, name=name: (fn.__kwdefaults__ or {}).get(name, _EMPTY), obj)
            attributes.update(_attributes(code))
        if "grad" in attributes:   # W.grad read by name: eager's backward gives another
            for label, t in tensors:
                bind(f"{label}.grad", t, ("attribute", "grad"), lambda t=t: t.grad, t.grad)
        # every object reached, looked up for every attribute name the code reads:
        # an over-approximation (an object may not be the one read so), which
        # costs at most a recording too many, never a stale graph
        for label, obj, done in objects:
            for name in sorted(attributes - done):
                done.add(name)
                value = _static_attribute(obj, name)
                if value is _EMPTY:
                    continue
                if isinstance(value, property):   # its getter reads the attributes
                    stack.append((f"{label}.{name}", value.fget))
                    continue
                bind(f"{label}.{name}", obj, ("attribute", name),
                     lambda obj=obj, name=name: _static_attribute(obj, name), value)
    return found


def rebound(found: List[Binding]) -> Optional[str]:
    """What changed among ``found`` (a name bound anew, a copied array written),
    or None."""
    for label, now, obj, values in found:
        if not _same_object(now(), obj):
            return f"{_what(label)}, which f read when it recorded, is bound to another object"
        if isinstance(values, _Entries):
            if not values.same(obj):
                return (f"the {type(obj).__name__} {label!r}, which f read when it recorded, "
                        f"was changed in place (an entry added, removed or replaced)")
        elif values is not None and not same(obj, values):  # type: ignore[arg-type]
            return (f"the array {label!r}, which f read when it recorded (into its graph, "
                    f"or into Python), holds other values")
    return None


# the entries of a list or dict f reads that are walked (and their arrays copied):
# a long list (a history of costs) is compared entry by entry, not walked
_ENTRIES = 64


class _Entries:
    """A list's or dict's entries (the objects, not copies) when f read it."""
    __slots__ = ("entries",)

    def __init__(self, container: Any) -> None:
        self.entries = _entries_of(container)

    def same(self, container: Any) -> bool:
        now = _entries_of(container)
        if len(now) != len(self.entries):
            return False
        # the objects themselves first, in C (a list of 10k entries: 0.1 ms)
        return all(map(operator.is_, now, self.entries)) or all(
            map(_same_object, now, self.entries))


def _entries_of(container: Any) -> list:
    """A list's entries, or a dict's keys and values, in one flat list."""
    if isinstance(container, dict):
        return [x for pair in container.items() for x in pair]
    return list(container)


def _entry(container: Any, key: Any) -> object:
    try:
        return container[key]
    except (KeyError, IndexError):
        return _EMPTY


def _plain(obj: object) -> bool:
    """A number, a string or None: Python's own, or a numpy scalar."""
    return type(obj) in _PLAIN or isinstance(obj, np.generic)


def _same_object(now: object, then: object) -> bool:
    """``now`` is ``then``, or a number or string equal to it (of its type, its
    repr: -0.0 is not 0.0)."""
    return now is then or (_plain(then) and type(now) is type(then)
                           and repr(now) == repr(then))


def _what(label: str) -> str:
    if label.startswith("the default of ") or "'s argument " in label:
        return label
    if label.endswith("]"):
        return f"the entry {label}"
    return f"the {'attribute' if '.' in label else 'name'} {label!r}"


def _ours(module: Optional[str]) -> bool:
    """Whether code of ``module`` is minigrad's or numpy's (not walked)."""
    return (module or "").split(".")[0] in ("minigrad", "numpy")


def _builtin(module: Optional[str]) -> bool:
    # a dict, a list, max: their attributes are their type's methods
    return _ours(module) or module == "builtins"


def _looked_into(obj: object) -> bool:
    """Whether an object's attributes may be what f reads: not a tensor, an
    array or a number (their attributes are their values' own), nor minigrad's,
    numpy's, Python's or an installed package's modules, classes, containers
    and objects."""
    from minigrad.tensor import Tensor   # replay imports this module: no cycle at import
    if isinstance(obj, (Tensor, np.ndarray, np.generic) + _PLAIN):
        return False
    if isinstance(obj, types.ModuleType):
        return not _ours(obj.__name__) and not _library_module(obj)
    module = obj.__module__ if isinstance(obj, type) else type(obj).__module__
    return not _builtin(module) and not _library_module(sys.modules.get(module))


def _library_module(module: Optional[types.ModuleType]) -> bool:
    """Whether ``module`` is Python's or an installed package's (a module made
    in a notebook, types.ModuleType("data"), has no file and is the user's)."""
    if module is None:
        return False
    path = getattr(module, "__file__", None)
    return module.__name__ in sys.builtin_module_names if not path else _library(path)


# Python's own library and the installed packages: their state (matplotlib's,
# logging's) changes as they are used, and walking them would bind thousands
# of names, record at every replay and cost seconds; f's own code, a
# notebook's or a project's, is what a learner rebinds
_LIBRARIES = tuple(sorted({os.path.normcase(os.path.realpath(p)) + os.sep
                           for key in ("stdlib", "platstdlib", "purelib", "platlib")
                           for p in [sysconfig.get_paths().get(key)] if p}))


@functools.lru_cache(maxsize=4096)
def _library(path: Optional[str]) -> bool:
    """Whether code from the file ``path`` is a library's (None: a built-in)."""
    if not path:
        return True
    if path.startswith("<"):   # a notebook's cell, exec'd code: the user's
        return False
    return os.path.normcase(os.path.realpath(path)).startswith(_LIBRARIES)


def _static_attribute(obj: object, name: str) -> object:
    """``obj.name`` as Python finds it, without running a property or
    ``__getattr__`` (which may have side effects, or make a new object each
    time): the instance's own, else its class's (or a class's bases')."""
    try:
        own = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        own = None
    klasses = obj.__mro__ if isinstance(obj, type) else type(obj).__mro__
    for klass in klasses:   # a property (a data descriptor) comes before the instance's
        value = klass.__dict__.get(name, _EMPTY)
        if isinstance(value, property):
            return value
        if isinstance(value, types.MemberDescriptorType) and not isinstance(obj, type):
            try:   # a __slots__ entry: read in C, no code of the class runs
                return value.__get__(obj, type(obj))
            except AttributeError:
                return _EMPTY
        if value is not _EMPTY:
            break
    if isinstance(own, dict) and name in own:
        return own[name]
    for klass in klasses:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return _EMPTY


def _default(fn: types.FunctionType, i: int) -> object:
    defaults = fn.__defaults__ or ()
    return defaults[i] if i < len(defaults) else _EMPTY


def _first_parameter(fn: types.FunctionType) -> str:
    code = fn.__code__
    return code.co_varnames[0] if code.co_argcount else "self"


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


@functools.lru_cache(maxsize=1024)
def _attributes(code: types.CodeType) -> Tuple[str, ...]:
    """The attribute names ``code`` and the code nested in it read (``self.X``,
    ``mod.X``: X), dunders aside."""
    names = [ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ("LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR")
             and not ins.argval.startswith("__")]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_attributes(const))
    return tuple(names)
