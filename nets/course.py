"""The course's own ``backward_propagation``, checked as the assignment writes it.

The course ("Planar data classification with one hidden layer") writes::

    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        W1, W2 = parameters["W1"], parameters["W2"]
        A1, A2 = cache["A1"], cache["A2"]
        dZ2 = A2 - Y
        ...
        return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

``check_backprop`` and ``assert_backprop_matches`` take such a function as it
is: they tell it from a ``hand(params, X, Y)`` by its four parameters, hand
it ``parameters`` (``W1, b1, W2, b2``) and the forward pass's ``cache``
(``Z1, A1, Z2, A2``), and read back ``dW1, db1, dW2, db2`` (and ``dZ1``,
``dZ2``, ``dA1`` when present). ``course(f)`` says so explicitly. The
report then names each gradient as the function does: ``dW1`` (node W[1]).

The two conventions agree on what the numbers mean: the course's ``dZ2 = A2 - Y``
is per sample, like the notes' dZ; its ``dW``, ``db`` carry the 1/m.
"""
from __future__ import annotations

import inspect
import re
from typing import Any, Callable, Dict, Mapping, Optional

import numpy as np

__all__ = ["course", "CourseBackprop", "is_course_function", "check_signature", "course_name",
           "node_name", "course_text", "course_parameters_hint", "split_spec", "load_function",
           "where_it_failed", "in_file", "notebook_hint",
           "COURSE_SIGNATURE", "NOTES_SIGNATURE"]

COURSE_SIGNATURE = "backward_propagation(parameters, cache, X, Y)"
NOTES_SIGNATURE = "hand(params, X, Y)"

_NODE = re.compile(r"^([A-Za-z]+)\[([0-9]+)\]$")       # W[1]
_COURSE_KEY = re.compile(r"^d([WbZA])([0-9]+)$")        # dW1


def course_name(node: str) -> str:
    """The course's name for a node's gradient: ``"W[1]"`` -> ``"dW1"``."""
    found = _NODE.match(node)
    return f"d{found.group(1)}{found.group(2)}" if found else node


def node_name(key: Any) -> Any:
    """The node a course key names: ``"dW1"`` -> ``"W[1]"``; other keys as they are."""
    found = _COURSE_KEY.match(key) if isinstance(key, str) else None
    return f"{found.group(1)}[{found.group(2)}]" if found else key


_PARAMETER_KEY = re.compile(r"^([Wb])([0-9]+)$")        # W1, b1


def course_parameters_hint(value: Any, make_net: bool = True) -> str:
    """For a dict keyed the course's way (``W1, b1, W2, b2``, as its
    ``initialize_parameters`` returns): how to give a net these parameters in
    the notes' names (and, with ``make_net``, how to make the net, its sizes
    read from the W's). "" for anything else."""
    if not isinstance(value, Mapping) or not value or \
            not all(isinstance(k, str) and _PARAMETER_KEY.match(k) for k in value):
        return ""
    L = max(int(_PARAMETER_KEY.match(k).group(2)) for k in value)
    shapes = [np.shape(value.get(f"W{l}")) for l in range(1, L + 1)]
    if not all(len(s) == 2 for s in shapes):
        return ""
    dims = [shapes[0][1]] + [s[0] for s in shapes]
    if L == 1:
        make = f"nets.LogisticRegression({dims[0]})"
    elif L == 2:
        make = f'nets.TwoLayerNet({dims[0]}, {dims[1]}, activation="tanh")'
    else:
        make = f'nets.DeepNet({dims}, activation="relu")'
    convert = (f"net.params = {{f\"{{k[0]}}[{{k[1:]}}]\": np.array(v, dtype=float) "
               f"for k, v in parameters.items()}}")
    if not make_net:
        return f"; the course's names: {convert} gives them in the notes' names"
    which = "" if L == 1 else " (with the hidden activation your forward pass uses)"
    return (f"; these are the course's parameters ({', '.join(map(str, value))}): "
            f"net = {make}{which}, then {convert} gives it them in the notes' names")


def course_text(text: str) -> str:
    """Notes notation written the course's way: ``dZ[1] = W[2]ᵀ dZ[2]`` ->
    ``dZ1 = W2ᵀ dZ2``; ``A[0]`` is ``X``. Only names of one letter (``d`` before
    it allowed) are rewritten: ``X.shape[0]`` is code and stays as it is."""
    return re.sub(r"(?<![A-Za-z0-9_.])(d?[A-Za-z])\[([0-9]+)\]", r"\1\2",
                  text.replace("A[0]", "X"))


class CourseBackprop:
    """``backward_propagation(parameters, cache, X, Y)`` seen as a
    ``hand(params, X, Y)``: made by ``course(f)``; ``check_backprop`` gives
    it the forward pass's cache (``set_cache``) before each call."""

    def __init__(self, function: Callable) -> None:
        if not callable(function):
            raise TypeError(f"course: expected the function {COURSE_SIGNATURE}; "
                            f"got {type(function).__name__}")
        self.function = function
        self.__name__ = getattr(function, "__name__", None) or repr(function)

    def __repr__(self) -> str:
        return f"course({self.__name__})"

    def __call__(self, params: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray,
                 cache: Optional[Mapping[str, np.ndarray]] = None) -> Dict[Any, Any]:
        """Call the course's function with ``W1, b1, ...`` and ``Z1, A1, ...``
        (copies); return its gradients keyed by node name (``"W[1]"``)."""
        parameters = {course_name(k)[1:]: np.array(v, dtype=np.float64)
                      for k, v in params.items()}
        forward = {course_name(k)[1:]: np.array(v, dtype=np.float64)
                   for k, v in (cache or {}).items()}
        out = self.function(parameters, forward, X, Y)
        if not isinstance(out, Mapping):
            return out   # check_backprop says what came instead of a dict
        return {node_name(k): v for k, v in out.items()}


def course(function: Callable) -> CourseBackprop:
    """The course's ``backward_propagation(parameters, cache, X, Y)`` as a hand
    for ``check_backprop`` (which also recognises it by its four parameters)."""
    if isinstance(function, CourseBackprop):
        return function
    return CourseBackprop(function)


def _positional(function: Callable) -> Optional[list]:
    """The names of the parameters a positional call fills, or None when the
    signature cannot be read (a builtin) or takes ``*args``."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    names = []
    for p in signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            names.append(p.name)
    return names


def is_course_function(function: Callable) -> bool:
    """True for ``course(f)`` and for a function of four positional parameters,
    ``(parameters, cache, X, Y)`` as the course writes them."""
    if isinstance(function, CourseBackprop):
        return True
    names = _positional(function)
    return names is not None and len(names) == 4


def check_signature(function: Callable, where: str) -> None:
    """A ``TypeError`` naming both accepted signatures when ``function`` takes
    neither three (``hand(params, X, Y)``) nor four (the course's) parameters."""
    if not callable(function):
        raise TypeError(f"{where}: hand must be a function {NOTES_SIGNATURE} -> dict or "
                        f"the course's {COURSE_SIGNATURE}; got {type(function).__name__}")
    names = _positional(function)
    label = getattr(function, "__name__", None) or repr(function)
    if names is not None and len(names) == 3 and names[0].lower() in ("al", "a_l") and \
            names[1].lower() == "y" and names[2].lower() in ("caches", "cache"):
        # three parameters, as hand(params, X, Y), but not those: it would get params as AL
        raise TypeError(f"{where}: {label}({', '.join(names)}) is the course's L-layer "
                        f"backward, which takes the forward pass's output and caches; the "
                        f"check passes parameters: it calls {NOTES_SIGNATURE} or the course's "
                        f"{COURSE_SIGNATURE}. "
                        f"Wrap it in a backward_propagation(parameters, cache, X, Y) that "
                        f"builds the caches (docs: testing, 'The course's L-layer functions')")
    if names is not None and len(names) == 4 and names[0].lower() == "w" and \
            names[1].lower() == "b" and not isinstance(function, CourseBackprop):
        # four parameters, as the course's backward_propagation, but not those: it
        # would get parameters as w ("'dict' object has no attribute 'T'")
        raise TypeError(f"{where}: {label}({', '.join(names)}) is the course's logistic "
                        f"regression propagate, which takes w (n_x, 1) and b and returns "
                        f"(grads, cost); the check calls {NOTES_SIGNATURE} or the course's "
                        f"{COURSE_SIGNATURE}. Wrap it in a hand(params, X, Y) for a "
                        f"LogisticRegression: grads, cost = {label}(params['W[1]'].T, "
                        f"params['b[1]'], X, Y); return {{'W[1]': grads['dw'].T, "
                        f"'b[1]': np.reshape(grads['db'], (1, 1))}} (docs: testing, "
                        f"'The course's logistic regression')")
    if names is None or len(names) in (3, 4) or isinstance(function, CourseBackprop):
        return
    raise TypeError(f"{where}: {label}({', '.join(names)}) takes {len(names)} "
                    f"parameter{'s' if len(names) != 1 else ''}; expected {NOTES_SIGNATURE} "
                    f"or the course's {COURSE_SIGNATURE}")


_DRIVE = re.compile(r"^[A-Za-z]:(?=[\\/])")   # C:\ or C:/ of a Windows path


def split_spec(spec: str, default: str = "backward_propagation") -> tuple:
    """``"path/to/file.py:FUNC"`` -> ``("path/to/file.py", "FUNC")`` (a notebook,
    ``file.ipynb``, too); without ``:FUNC`` (or ending in ``.py`` or ``.ipynb``,
    as ``C:/work/file.py`` does) FUNC is ``default``. The colon of a Windows
    drive (``C:\\work\\hw.py:FUNC``) separates nothing, and ``.PY`` is ``.py``:
    Windows names files without regard to case."""
    rest = spec[_DRIVE.match(spec).end():] if _DRIVE.match(spec) else spec
    if rest.lower().endswith((".py", ".ipynb")) or ":" not in rest:
        return spec, default
    path, name = spec.rsplit(":", 1)
    return path, name


def load_function(spec: str, default: str = "backward_propagation") -> Callable:
    """The function ``FUNC`` of the file in ``"path/to/file.py:FUNC"`` (``FUNC``
    defaults to ``default``), its signature checked. Every way this can fail
    (no such file, an error while importing it, no such function, another
    signature) is a one-line ``ValueError`` saying which.

    The file is imported by path, with its own folder first on ``sys.path``
    for the time of the import, so that it finds the modules beside it (the
    course's ``planar_utils``, ``testCases``). A notebook (``file.ipynb``)
    gives its imports, functions and classes, cell by cell, and runs nothing
    else (``nets.notebook``).
    """
    import functools
    import importlib.util
    import sys
    import types
    from pathlib import Path

    from nets.notebook import missing_function_hint, notebook_cells, run_notebook

    path_text, name = split_spec(spec, default)
    path = Path(path_text)
    if not name.isidentifier():
        method = name.split(".")
        if len(method) == 2 and all(part.isidentifier() for part in method):
            # Net.backward: a method needs an object of its class, which --hand has not
            raise ValueError(f"--hand {spec}: {name} is a method; --hand checks a function "
                             f"of the file's (or a cell's) top level: write a def "
                             f"backward_propagation(parameters, cache, X, Y) that makes a "
                             f"{method[0]} and returns its {method[1]}(...), and check that")
        raise ValueError(f"--hand {spec}: {name!r} is not a function name; "
                         f"expected FILE.py:FUNC")
    if not path_text.strip():
        raise ValueError(f"--hand {spec}: no file given; expected FILE.py:FUNC, such as "
                         f"mywork.py:backward_propagation")
    if path.is_dir():
        raise ValueError(f"--hand {spec}: {str(path)!r} is a folder; expected FILE.py:FUNC, "
                         f"a .py file or a notebook .ipynb in it")
    if not path.is_file():
        raise ValueError(f"--hand {spec}: no such file {str(path)!r}")
    module_name = f"_minigrad_hand_{abs(hash(str(path.resolve())))}"
    if path.suffix.lower() == ".ipynb":   # its imports, functions and classes only
        try:
            notebook_cells(path)   # the notebook read and each cell parsed before any runs
        except ValueError as error:
            raise ValueError(f"--hand {spec}: {error}") from None
        module = types.ModuleType(module_name)
        module.__file__ = str(path)
        run = functools.partial(run_notebook, path, module.__dict__)
    else:
        loader = importlib.util.spec_from_file_location(module_name, path)
        if loader is None and path.suffix.lower() == ".py":
            # importlib knows a source file by ".py" exactly; HW.PY, as Windows may name a
            # file, is one too
            import importlib.machinery
            loader = importlib.util.spec_from_file_location(
                module_name, path,
                loader=importlib.machinery.SourceFileLoader(module_name, str(path)))
        if loader is None or loader.loader is None:
            raise ValueError(f"--hand {spec}: cannot import {str(path)!r}: not a Python file "
                             f"(a .py file, or a notebook .ipynb)")
        module = importlib.util.module_from_spec(loader)
        run = functools.partial(loader.loader.exec_module, module)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        run()
    except (Exception, SystemExit) as error:
        where = f" (line {error.lineno})" if isinstance(error, SyntaxError) and \
            error.lineno and str(error.lineno) not in str(error) else ""
        if path.suffix.lower() == ".ipynb":   # a def's default, a decorator: its cell and line
            where += where_it_failed(error, spec) + notebook_hint(error, spec)
        raise ValueError(f"--hand {spec}: importing {str(path)!r} failed: "
                         f"{type(error).__name__}: {error}{where}"
                         f"{_import_hint(error, path, name)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    function = getattr(module, name, None)
    if not callable(function):
        defined = sorted(k for k, v in vars(module).items()
                         if inspect.isfunction(v) and v.__module__ == module_name)
        why = missing_function_hint(name, path, vars(module)) \
            if path.suffix.lower() == ".ipynb" else ""
        owners = [k for k, v in vars(module).items() if inspect.isclass(v) and
                  getattr(v, "__module__", None) == module_name and name in vars(v)]
        if owners and not why:
            why = (f"; {owners[0]}.{name} is a method of a class, which --hand does not "
                   f"check: write {name} as a def at the top level")
        raise ValueError(f"--hand {spec}: {str(path)!r} has no function {name!r}"
                         + (f"; it defines {', '.join(defined)}" if defined else "") + why)
    if path.suffix.lower() == ".ipynb":
        from nets.notebook import not_as_in_jupyter

        # a check of a function the notebook does not have, or with a helper it does not
        # have, would give an ok or WRONG of code that is not the learner's
        differs = not_as_in_jupyter(name, function, path, vars(module))
        if differs:
            raise ValueError(f"--hand {spec}: {differs}")
    try:
        check_signature(function, f"--hand {spec}")
    except TypeError as error:
        raise ValueError(str(error)) from None
    return function


def _import_hint(error: BaseException, path: "Path", name: str) -> str:
    """What to do about two ways a file saved from the course's notebook fails to
    import: a Jupyter line (``%matplotlib inline``, ``!pip ...``) that is not Python,
    and a course helper module (``testCases_v2``, ``planar_utils``) that is not
    beside the file. "" for any other error."""
    if isinstance(error, SyntaxError) and "utf-8" in str(error).lower() and \
            not _is_utf8(path):
        # Notepad and other Windows editors save "ANSI": GBK on a Chinese Windows
        return ("; the file is not UTF-8 (saved as GBK or \"ANSI\"?): save it as UTF-8 "
                "in your editor, or make its first line # -*- coding: gbk -*-")
    if isinstance(error, SyntaxError) and (error.text or "").lstrip()[:1] in ("%", "!"):
        return (f"; line {error.lineno}, {error.text.strip()!r}, is a Jupyter command, not "
                f"Python: delete it from the .py file, or give the notebook itself "
                f"(--hand NOTEBOOK.ipynb:{name}; in the notebook, "
                f"nets.check_backprop(net, X, Y, hand={name}) checks the function as it is)")
    if isinstance(error, ModuleNotFoundError) and error.name:
        top = error.name.split(".")[0]
        if top != error.name and _findable(top):
            # import sklearn.cross_validation: sklearn is there, that module of it is not
            return (f"; {top!r} is there (installed or beside {path.name}) but has no "
                    f"{error.name!r}: code written for another version of {top}? An import "
                    f"{name} does not use can be deleted")
        return (f"; {top!r} is neither beside {path.name} nor installed: a course helper "
                f"file ({top}.py) goes in {str(path.resolve().parent)!r}, a package is "
                f"pip-installed, and an import {name} does not use can be deleted")
    return ""


def _is_utf8(path: "Path") -> bool:
    """Whether the bytes of ``path`` are UTF-8 (True when it cannot be read: no hint then)."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    except OSError:
        return True
    return True


def _findable(module: str) -> bool:
    """Whether the top-level ``module`` can be imported from here (not importing it)."""
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):   # a module in sys.modules without a __spec__
        return False


def where_it_failed(error: BaseException, spec: str) -> str:
    """" at FILE line N: CODE" for the deepest frame of ``error``'s traceback in
    the file of ``spec`` (``"file.py:FUNC"``: the learner's line; for a
    notebook, " at file.ipynb, cell 7 line N: CODE"), or "" when none is."""
    import traceback

    frames = [(f, label) for f in traceback.extract_tb(error.__traceback__)
              for label in [in_file(f.filename, spec)] if label]
    if not frames:
        return ""
    f, label = frames[-1]
    return f" at {label} line {f.lineno}" + (f": {f.line}" if f.line else "")


def notebook_hint(error: BaseException, spec: str) -> str:
    """What a notebook's learner needs beside the error of their function: where
    the notebook sets a name the function did not find (``nets.notebook``); ""
    for a .py file and for other errors."""
    from pathlib import Path

    from nets.notebook import undefined_name_hint

    path = Path(split_spec(spec)[0])
    return undefined_name_hint(error, path) if path.suffix.lower() == ".ipynb" else ""


def in_file(filename: str, spec: str) -> Optional[str]:
    """How to name ``filename`` (of a frame or a warning) when it is the file
    of ``spec`` or one of its notebook's cells: ``"mywork.py"``,
    ``"mywork.ipynb, cell 7"``; None for any other file."""
    import os

    from nets.notebook import is_cell_of

    path = split_spec(spec)[0]
    if os.path.abspath(filename) == os.path.abspath(path) or is_cell_of(filename, path):
        return os.path.basename(filename)
    return None
