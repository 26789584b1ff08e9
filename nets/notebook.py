"""A learner's Jupyter notebook (.ipynb) as code to check, as it is.

``minigrad check --hand homework.ipynb:backward_propagation`` needs the
notebook's functions, not its run: its training loops, plots and data
loading would take minutes and open windows. So each code cell contributes
its imports, functions and classes (top-level ``import``, ``from``, ``def``
and ``class`` statements) and nothing else, in the notebook's order: a
function defined twice is the later one, as after running the notebook from
the top. Jupyter lines (``%matplotlib inline``, ``!pip install ...``) are
not Python and are left out; a ``%%`` cell magic leaves out its cell, unless
it is one that runs its cell as Python and keeps what it defines (``%%time``,
``%%capture``, ``%%prun``): that cell counts as Python, as in Jupyter. A
``try:`` of imports is kept too; an import that fails here does not stop the
rest (``run_notebook``), but a name it would have replaced is not left as it
was. A function that a cell not run here rebinds, or that uses such a name,
is refused (``not_as_in_jupyter``): a check must be of what Jupyter has after
Run All.

Each cell is compiled under a name of its own (``homework.ipynb, cell 7``),
kept in ``linecache``, so a traceback or an error from the learner's function
names the cell and shows its line.
"""
from __future__ import annotations

import ast
import builtins
import dis
import json
import linecache
import os
import re
import sys
from pathlib import Path
from types import CodeType
from typing import Callable, Dict, Iterator, List, Optional, Tuple

__all__ = ["cell_filename", "is_cell_of", "notebook_cells", "run_notebook", "undefined_name_hint",
           "missing_function_hint", "not_as_in_jupyter", "FAILED_IMPORTS",
           "NOT_RUN"]

# What a cell keeps: what defines a name without doing the notebook's work.
_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

# Cell magics that run their cell as Python in the notebook's namespace: a function
# a %%time cell defines is the one Jupyter has after running all cells (%%timeit's
# definitions do not stay; %%writefile, %%bash, %%html ... are not Python)
_PYTHON_CELL_MAGICS = ("time", "capture", "prun")


def _is_kept(node: ast.stmt) -> bool:
    """An import, function or class; or a ``try:`` of imports only, as ``try: import
    sklearn`` / ``except ImportError: sklearn = None`` (its handlers' ``pass``,
    constants and imports run too: they do none of the notebook's work)."""
    if isinstance(node, _KEPT):
        return True
    if not isinstance(node, ast.Try):
        return False
    inner = node.body + node.orelse + node.finalbody + \
        [statement for handler in node.handlers for statement in handler.body]
    return all(isinstance(statement, (ast.Import, ast.ImportFrom, ast.Pass)) or
               (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                and all(isinstance(target, ast.Name) for target in statement.targets))
               for statement in inner)


def cell_filename(path: str, number: int) -> str:
    """The name cell ``number`` (counted from 1 over all cells, as they appear)
    of the notebook at ``path`` is compiled under: ``/abs/homework.ipynb, cell 7``."""
    return f"{os.path.abspath(path)}, cell {number}"


def is_cell_of(filename: str, path: str) -> bool:
    """Whether ``filename`` (a frame's, a warning's) names a cell of the notebook at ``path``."""
    notebook, sep, number = filename.rpartition(", cell ")
    return bool(sep) and number.isdigit() and notebook == os.path.abspath(path)


def notebook_cells(path: Path) -> List[Tuple[str, CodeType]]:
    """``[(filename, code)]``: each code cell's imports, functions and classes,
    compiled, in order (cells that keep nothing are left out). A ``ValueError``
    names what is wrong: a file that is not a notebook, or a cell that is not
    Python (its number, line and first line)."""
    return [(filename, compile(ast.Module(body=kept, type_ignores=[]), filename, "exec"))
            for _, filename, kept in _kept_cells(path)]


# where run_notebook leaves the imports that failed, in the namespace it fills
FAILED_IMPORTS = "__notebook_failed_imports__"

# where not_as_in_jupyter leaves the statements not run whose names cannot be told
# (%run of a file not found, exec, globals()): a note under the report names them
NOT_RUN = "__notebook_not_run__"


def run_notebook(path: Path, namespace: dict) -> None:
    """Run each code cell's imports, functions and classes into ``namespace``, in
    the notebook's order. An import that raises ``ImportError`` does not stop the
    rest: the notebook was written for the learner's Jupyter, whose Python may
    have packages this one has not (``import sklearn.linear_model``, or
    ``planar_utils``, which imports it), and the function checked rarely needs
    them. Each is kept in ``namespace[FAILED_IMPORTS]`` (``[(cell, line, text,
    names, error, module)]``, ``module`` the one not found, or ""), for the error
    of a function that does need one of those names. Any other error
    propagates; a ``ValueError`` as ``notebook_cells``."""
    failed = namespace.setdefault(FAILED_IMPORTS, [])
    for number, filename, kept in _kept_cells(path):
        for node in kept:
            code = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
            if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Try)):
                exec(code, namespace)
                continue
            names = [n for n in _bound_names(node) if n != "*"]
            before = {n: namespace[n] for n in names if n in namespace}
            try:
                exec(code, namespace)
            except ImportError as error:
                # Jupyter's import succeeded and replaced what an earlier cell set
                # (a def sigmoid, then from planar_utils import sigmoid): that earlier one
                # is not what the notebook has, and a function using it would be checked
                # silently with another; gone, its use is a NameError naming this import
                for n, value in before.items():
                    if namespace.get(n, None) is value:
                        del namespace[n]
                text = linecache.getline(filename, node.lineno).strip()
                failed.append((number, node.lineno, text, _bound_names(node),
                               f"{type(error).__name__}: {error}",
                               # the module not found; not for "cannot import name 'x' from
                               # 'planar_utils'", whose module is there
                               (isinstance(error, ModuleNotFoundError) and error.name) or ""))


def _bound_names(node: ast.AST) -> List[str]:
    """The names the imports of a statement bind (``*`` for ``from m import *``)."""
    return [alias.asname or (alias.name if isinstance(imports, ast.ImportFrom)
                             else alias.name.split(".")[0])
            for imports in ast.walk(node) if isinstance(imports, (ast.Import, ast.ImportFrom))
            for alias in imports.names]


def _kept_cells(path: Path) -> Iterator[Tuple[int, str, List[ast.stmt]]]:
    """``(number, filename, statements)``: each code cell's imports, functions and
    classes, the cell's text in ``linecache`` under ``filename``."""
    for number, source, tree in _parsed_cells(path):
        kept = [node for node in tree.body if _is_kept(node)]
        if not kept:
            continue
        filename = cell_filename(str(path), number)
        # the cell's text, for tracebacks and where_it_failed: linecache reads no file by this name
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        yield number, filename, kept


def _parsed_cells(path: Path) -> Iterator[Tuple[int, str, ast.Module]]:
    """``(number, source, tree)`` of each code cell that is Python (a ``%%`` cell
    magic is not), its Jupyter lines made ``pass`` where they are there."""
    for number, source in _code_sources(path):
        # a cell magic: its cell is Python or not. Jupyter drops blank lines before it,
        # not spaces: "  %%time" is an IndentationError there, and so it is here
        if source.lstrip("\r\n").startswith("%%"):
            source = _python_cell_magic_body(source)
            if source is None:
                continue
        filename = cell_filename(str(path), number)
        try:
            tree = ast.parse(source, filename)
        except SyntaxError:
            # only then: a line of a string that starts with % stays as it is
            _no_late_cell_magic(source, number, path)
            source = _without_jupyter_lines(source)
            tree = _parse_cell(source, filename, number, path)
        yield number, source, tree


def _no_late_cell_magic(source: str, number: int, path: Path) -> None:
    """A ``ValueError`` for a cell magic that is not on its cell's first line
    (``# timing`` then ``%%time``): Jupyter runs none of that cell (UsageError:
    Line magic function `%%time` not found) and stops Run All there, so the cell's
    defs are not the notebook's; made a ``pass``, they would be checked here. A
    ``%%`` line inside a triple-quoted string or brackets is Python, not a magic."""
    lines = source.splitlines(True)
    for line_number, line in enumerate(lines, start=1):
        if not line.lstrip().startswith("%%") or \
                not _starts_a_statement("".join(lines[:line_number - 1])):
            continue
        if line[:1] in (" ", "\t"):
            raise ValueError(
                f"cell {number} of {path.name}: its line {line_number}, {line.strip()!r}, is "
                f"a cell magic that is indented: Jupyter runs nothing of that cell "
                f"(IndentationError) and Run All stops there. Put it at the start of the "
                f"cell's first line, or delete it")
        if line.startswith("%%"):
            raise ValueError(
                f"cell {number} of {path.name}: its line {line_number}, {line.strip()!r}, is "
                f"a cell magic that is not the cell's first line: Jupyter runs nothing of "
                f"that cell (UsageError: Line magic function `{line.strip().split()[0]}` not "
                f"found) and Run All stops there. Put it on the cell's first line, or "
                f"delete it")


def _python_cell_magic_body(source: str) -> Optional[str]:
    """For a cell starting with a cell magic: its body, when the magic runs it as
    Python (``%%time``), the lines up to the magic's made empty so that the line
    numbers stay the cell's; None for a magic whose cell is not Python or does
    not keep its names."""
    lines = source.splitlines(True)
    # Jupyter drops the blank lines before the magic's line
    first = next(i for i, line in enumerate(lines) if line.strip())
    magic = lines[first].strip()[2:].split(maxsplit=1)
    if not magic or magic[0] not in _PYTHON_CELL_MAGICS:
        return None
    return "\n" * (first + 1) + "".join(lines[first + 1:])


def _parse_cell(source: str, filename: str, number: int, path: Path) -> ast.Module:
    try:
        return ast.parse(source, filename)
    except SyntaxError as error:
        first = next((line.strip() for line in source.splitlines() if line.strip()), "")
        raise ValueError(f"cell {number} of {path.name} (the one starting {first!r}) is "
                         f"not Python: {error.msg}, its line {error.lineno}: "
                         f"{(error.text or '').strip()!r}") from None


# IPython's own lines: a magic or shell command (%time f(), !ls), that command's output
# assigned (files = !ls, t = %timeit -o f()), help (np.dot?, ?np.dot, np.dot??, np.*load*?)
_JUPYTER_LINE = re.compile(r"""[%!]
                               | [\w.]+(\s*,\s*[\w.]+)*\s*=\s*[%!](?!=)
                               | \?{1,2}[\w.*]+\s*$
                               | [\w.*]+\?{1,2}\s*$""", re.VERBOSE)


def _without_jupyter_lines(source: str) -> str:
    """``source`` with each Jupyter line (``%magic``, ``!shell``, ``x = !ls``,
    ``np.dot?``) made a ``pass`` at its indentation: the line numbers stay the
    cell's, and a block whose only line it was stays a block. As in IPython, only a
    line that starts a statement: ``% b)`` continuing ``(a`` and a line of a
    triple-quoted string are Python, and stay as they are."""
    lines: List[str] = []
    for line in source.splitlines(True):
        stripped = line.lstrip()
        if _JUPYTER_LINE.match(stripped) and _starts_a_statement("".join(lines)):
            end = "\n" if line.endswith("\n") else ""
            line = line[:len(line) - len(stripped)] + "pass" + end
        lines.append(line)
    return "".join(lines)


def _starts_a_statement(before: str) -> bool:
    """Whether the line after ``before`` (a cell's lines above it) starts a statement:
    not inside a bracket, a triple-quoted string or after a backslash, which
    tokenize reports as an end of file in a multi-line statement or string."""
    import io
    import tokenize

    try:
        for _ in tokenize.generate_tokens(io.StringIO(before).readline):
            pass
    except tokenize.TokenError:
        return False
    except (SyntaxError, ValueError):   # another error of the cell's: said when it is parsed
        return True
    return True


def undefined_name_hint(error: BaseException, path: Path) -> str:
    """For a ``NameError`` of the learner's function: the import of that name that
    failed ("; cell 2 line 7, 'from planar_utils import sigmoid', failed: ..."),
    or where the notebook sets that name in a cell that was not run ("; cell 3
    sets learning_rate, but a notebook gives --hand only its imports, functions
    and classes: ..."), or ""."""
    if not isinstance(error, NameError):
        return ""
    match = re.search(r"name '(\w+)' is not defined", str(error))
    if match is None:
        return ""
    name = match.group(1)
    failed = _failed_imports(error, path)
    importing = [f for f in failed if name in f[3]] or [f for f in failed if "*" in f[3]]
    if importing:
        return _failed_import_text(name, path, importing[-1])
    return _not_run_hint(name, path, "set {name} inside the function, or in a function it calls")


def missing_function_hint(name: str, path: Path, namespace: dict) -> str:
    """Why the notebook at ``path``, run into ``namespace``, has no function ``name``:
    its import failed, or a cell that was not run sets it (``name = lambda ...``);
    "" when no cell names it."""
    failed = [f for f in namespace.get(FAILED_IMPORTS, []) if name in f[3]]
    if failed:
        return _failed_import_text(name, path, failed[-1])
    if not _setters(path, name):
        return ""
    return _not_run_hint(name, path, "write it as a def {name}(...) in a cell of its own")


def _failed_import_text(name: str, path: Path, failed: tuple) -> str:
    number, line, text, names, why, module = failed
    top = module.split(".")[0]
    advice = (f": {top!r} is neither beside {path.name} nor installed for the Python that "
              f"runs minigrad ({sys.executable}; your Jupyter's may be another)" if top else "")
    return (f"; cell {number} line {line}, {text!r}, failed ({why})"
            f"{'' if name in names else f', and {name} may be one of its names'}{advice}")


def _not_run_hint(name: str, path: Path, advice: str) -> str:
    """"; cell 3 sets NAME, but a notebook gives --hand only ...: ADVICE"."""
    setters = _setters(path, name)
    numbers = [str(number) for number, _ in setters]
    where = (f"cell {numbers[-1]} sets {name}, but " if len(numbers) == 1 else
             f"cells {', '.join(numbers)} set {name}, but " if numbers else "")
    how = setters[-1][1] if setters else ""
    if how == "lambda":
        # relu = lambda z: ... is an assignment, which does not run: a def is kept
        where = where.replace(f"sets {name}", f"sets {name} = lambda ...")
        advice = "write it as a def {name}(...), which is kept"
    elif how == "block":
        where = where.replace(f"sets {name}", f"sets {name} inside a block (if, for, with ...)")
        advice = ("move that import or def out of the block, to the cell's top level, "
                  "where it is kept")
    return (f"; {where}a notebook gives --hand only its imports, functions and classes "
            f"(no other cell runs): {advice.format(name=name)}")


def _setters(path: Path, name: str) -> List[Tuple[int, str]]:
    """``[(cell, how)]``: the cells whose statements that do not run (not imports,
    functions, classes at the top level) set ``name``: ``how`` is "lambda" for
    ``name = lambda ...``, "block" for an import or def inside a block (``if``,
    ``for``, ``with``), "" for any other assignment."""
    found = []
    try:
        for number, _, tree in _parsed_cells(path):
            how = None
            for statement in tree.body:
                if _is_kept(statement):
                    continue
                for node in ast.walk(statement):
                    if isinstance(node, ast.Name) and node.id == name and \
                            isinstance(node.ctx, ast.Store):
                        how = how or ""
                    elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda) \
                            and any(isinstance(t, ast.Name) and t.id == name
                                    for t in node.targets):
                        how = "lambda"
                    elif (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                          and node.name == name) or \
                            (isinstance(node, (ast.Import, ast.ImportFrom)) and
                             name in _bound_names(node)):
                        how = "block"
            if how is not None:
                found.append((number, how))
    except (OSError, ValueError):   # the notebook changed since it was read: no cell to name
        return []
    return found


def not_as_in_jupyter(name: str, function: Callable, path: Path, namespace: dict) -> str:
    """Why ``function`` (``name`` in the notebook at ``path``, run into ``namespace``)
    would be checked with something other than what Jupyter has after Run All; ""
    when nothing says so. A statement --hand does not run that binds a name after
    the cells' last def or import of it (``backward_propagation = my_backprop``,
    ``sigmoid = np.tanh``, a def inside ``if True:``, ``e = 1.0`` after ``from
    numpy import *``) leaves here the earlier def, import or builtin: a check of
    that one would say ok or WRONG of code the notebook does not run."""
    unknown = namespace.setdefault(NOT_RUN, [])
    rebound = _rebound(path, unknown)
    if name in rebound:
        number, line, text = rebound[name]
        return (f"after Run All in Jupyter, {name} is what cell {number} line {line}, "
                f"{text!r}, sets, not {_here(name, namespace)}, which --hand would check: "
                f"a notebook gives --hand only its imports, functions and classes (no other "
                f"cell runs). "
                + (f"Check the file it runs (--hand {text.split()[-1]}:{name}), or write"
                   if text.startswith("%run") else "Write")
                + f" the function as a def {name}(...) in a cell of its own, below the others")
    for read in _globals_read(function, namespace):
        if read in rebound and (read in namespace or hasattr(builtins, read)):
            number, line, text = rebound[read]
            return (f"{name} uses {read}, which after Run All in Jupyter is what cell "
                    f"{number} line {line}, {text!r}, sets; --hand, which runs only imports, "
                    f"functions and classes, would use {_here(read, namespace)}, and check "
                    f"{name} with another {read} than your notebook has. Write {read} as a "
                    f"def (or an import) at a cell's top level, or set it inside {name}")
    return ""


def _here(name: str, namespace: dict) -> str:
    """What ``name`` is in ``namespace``: "the def of cell 2", "Python's builtin sum",
    "numpy's tanh", "e = 2.718281828459045 (from an import)"."""
    if name not in namespace:
        return f"Python's builtin {name}"
    value = namespace[name]
    code = getattr(value, "__code__", None)
    if code is not None and ", cell " in code.co_filename:
        return f"the def of cell {code.co_filename.rpartition(', cell ')[2]}"
    if callable(value) and isinstance(getattr(value, "__module__", None), str):
        return f"{value.__module__.split('.')[0]}'s {name}"
    if isinstance(value, type(ast)):
        return f"the module {value.__name__}"
    import reprlib
    return f"{name} = {reprlib.repr(value)} (from an import)"


def _globals_read(function: Callable, namespace: dict) -> List[str]:
    """The global names ``function`` reads, and those of the notebook's functions it
    reads, in turn (its nested functions' too)."""
    seen: List[str] = []
    todo = [function]
    done = set()
    while todo:
        f = todo.pop()
        code = getattr(f, "__code__", None)
        if code is None or id(code) in done or getattr(f, "__globals__", None) is not namespace:
            continue
        done.add(id(code))
        codes = [code]
        while codes:
            c = codes.pop()
            codes.extend(k for k in c.co_consts if isinstance(k, CodeType))
            for instruction in dis.get_instructions(c):
                if "GLOBAL" in instruction.opname or instruction.opname == "LOAD_NAME":
                    if instruction.argval not in seen:
                        seen.append(instruction.argval)
                        todo.append(namespace.get(instruction.argval))
    return seen


def _rebound(path: Path, unknown: Optional[list] = None) -> Dict[str, Tuple[int, int, str]]:
    """``{name: (cell, line, text)}``: the names whose last binding, in the
    notebook's order, is by a statement that --hand does not run (an assignment,
    a ``for``, a ``del``, a def or import inside a block, a ``%run file.py`` of a
    file that sets it); the line that binds it. ``unknown`` gets ``(cell, line,
    text)`` of each statement not run whose names cannot be told: ``%run`` of a
    file not found, ``exec(...)``, ``globals()``."""
    found: Dict[str, Tuple[int, int, str]] = {}
    raw = dict(_code_sources(path))
    for number, source, tree in _parsed_cells(path):
        lines = source.splitlines()
        raw_lines = raw.get(number, "").splitlines()
        for statement in tree.body:
            line_text = (raw_lines[statement.lineno - 1].strip()
                         if 0 < statement.lineno <= len(raw_lines) else "")
            if isinstance(statement, ast.Pass) and re.match(r"%run\s", line_text):
                names = _run_names(line_text, path)
                if names is None and unknown is not None:
                    unknown.append((number, statement.lineno, line_text))
                for n in names or []:
                    found[n] = (number, statement.lineno, line_text)
                continue
            bound = _names_bound(statement)
            if _is_kept(statement):
                for n, _ in bound:
                    found.pop(n, None)
                continue
            if unknown is not None and any(
                    isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and
                    node.func.id in ("exec", "globals", "setattr")
                    for node in ast.walk(statement)):
                unknown.append((number, statement.lineno, line_text))
            for n, line in bound:
                text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
                found[n] = (number, line, text)
    return found


def _code_sources(path: Path) -> Iterator[Tuple[int, str]]:
    """``(number, source)`` of each code cell, as saved (with its Jupyter lines), or
    a ``ValueError`` saying the file is not a notebook as Jupyter saves one."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{str(path)!r} is not a Jupyter notebook (not JSON: {error})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        version = notebook.get("nbformat") if isinstance(notebook, dict) else None
        raise ValueError(f"{str(path)!r} is not a Jupyter notebook of format 4 (it has no "
                         f"list of cells{f'; its nbformat is {version}' if version else ''}): "
                         f"open it in Jupyter and save it again, or save its code as a .py file")
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        elif not isinstance(source, str):   # no traceback for a notebook edited by hand
            raise ValueError(f"cell {number} of {path.name} is not a notebook cell as Jupyter "
                             f"saves it: its source is {type(source).__name__} "
                             f"{str(source)[:40]!r}, not text or a list of lines")
        yield number, source


def _run_names(line: str, path: Path) -> Optional[List[str]]:
    """The names ``%run FILE`` (a line of the notebook at ``path``) sets in Jupyter:
    those FILE (a .py file or a notebook, beside it) binds at its top level; None
    when they cannot be told (no such file, a ``from m import *`` in it)."""
    import shlex

    try:
        words = shlex.split(line)[1:]
    except ValueError:
        return None
    files = [w for w in words if not w.startswith("-")]
    if not files:
        return None
    target = path.resolve().parent / files[0]
    try:
        if target.suffix.lower() == ".ipynb":
            trees = [tree for _, _, tree in _parsed_cells(target)]
        else:
            trees = [ast.parse(target.read_text(encoding="utf-8"))]
    except (OSError, ValueError, SyntaxError):
        return None
    names = []
    for tree in trees:
        for statement in tree.body:
            if any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
                   for node in ast.walk(statement)):
                return None
            names.extend(n for n, _ in _names_bound(statement))
    return names


def _names_bound(node: ast.AST) -> List[Tuple[str, int]]:
    """``[(name, line)]``: the names a top-level statement binds (or deletes) in
    the notebook's namespace, in the order they are bound; not those bound inside
    the functions, classes, lambdas and comprehensions in it."""
    names: List[Tuple[str, int]] = []
    todo = [node]
    while todo:
        n = todo.pop(0)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append((n.name, n.lineno))
            # a def's decorators and defaults run where it is; its body does not
            todo.extend(n.decorator_list)
            if not isinstance(n, ast.ClassDef):
                todo.extend(n.args.defaults + [d for d in n.args.kw_defaults if d])
            continue
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                          ast.GeneratorExp)):
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            names.extend((b, n.lineno) for b in _bound_names(n) if b != "*")
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.append((n.id, n.lineno))
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.append((n.name, n.lineno))
        todo.extend(ast.iter_child_nodes(n))
    return sorted(names, key=lambda bound: bound[1])


def _failed_imports(error: BaseException, path: Path) -> list:
    """The imports that failed while the notebook at ``path`` was read, as
    ``run_notebook`` left them in the namespace of the cell ``error`` was raised in."""
    import traceback

    for frame, _ in reversed(list(traceback.walk_tb(error.__traceback__))):
        if is_cell_of(frame.f_code.co_filename, str(path)):
            return list(frame.f_globals.get(FAILED_IMPORTS, []))
    return []
