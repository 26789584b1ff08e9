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
``%%capture``, ``%%prun``): that cell counts as Python, as in Jupyter.

Each cell is compiled under a name of its own (``homework.ipynb, cell 7``),
kept in ``linecache``, so a traceback or an error from the learner's function
names the cell and shows its line.
"""
from __future__ import annotations

import ast
import json
import linecache
import os
import re
from pathlib import Path
from types import CodeType
from typing import Iterator, List, Optional, Tuple

__all__ = ["cell_filename", "is_cell_of", "notebook_cells", "undefined_name_hint"]

# What a cell keeps: what defines a name without doing the notebook's work.
_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

# Cell magics that run their cell as Python in the notebook's namespace: a function
# a %%time cell defines is the one Jupyter has after running all cells (%%timeit's
# definitions do not stay; %%writefile, %%bash, %%html ... are not Python)
_PYTHON_CELL_MAGICS = ("time", "capture", "prun")


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
    compiled = []
    for number, source, tree in _parsed_cells(path):
        kept = [node for node in tree.body if isinstance(node, _KEPT)]
        if not kept:
            continue
        filename = cell_filename(str(path), number)
        # the cell's text, for tracebacks and where_it_failed: linecache reads no file by this name
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        compiled.append((filename, compile(ast.Module(body=kept, type_ignores=[]),
                                           filename, "exec")))
    return compiled


def _parsed_cells(path: Path) -> Iterator[Tuple[int, str, ast.Module]]:
    """``(number, source, tree)`` of each code cell that is Python (a ``%%`` cell
    magic is not), its Jupyter lines made ``pass`` where they are there."""
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
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.lstrip().startswith("%%"):   # a cell magic: its cell is Python or not
            source = _python_cell_magic_body(source)
            if source is None:
                continue
        filename = cell_filename(str(path), number)
        try:
            tree = ast.parse(source, filename)
        except SyntaxError:
            # only then: a line of a string that starts with % stays as it is
            source = _without_jupyter_lines(source)
            tree = _parse_cell(source, filename, number, path)
        yield number, source, tree


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


def _without_jupyter_lines(source: str) -> str:
    """``source`` with each Jupyter line (``%magic``, ``!shell``) made a ``pass``
    at its indentation: the line numbers stay the cell's, and a block whose
    only line it was stays a block."""
    lines = []
    for line in source.splitlines(True):
        stripped = line.lstrip()
        if stripped[:1] in ("%", "!"):
            end = "\n" if line.endswith("\n") else ""
            line = line[:len(line) - len(stripped)] + "pass" + end
        lines.append(line)
    return "".join(lines)


def undefined_name_hint(error: BaseException, path: Path) -> str:
    """For a ``NameError`` of the learner's function: where the notebook sets that
    name in a cell that was not run ("; cell 3 sets learning_rate, but a notebook
    gives --hand only its imports, functions and classes: ..."), or ""."""
    if not isinstance(error, NameError):
        return ""
    match = re.search(r"name '(\w+)' is not defined", str(error))
    if match is None:
        return ""
    name = match.group(1)
    try:
        setters = [str(number) for number, _, tree in _parsed_cells(path)
                   if any(isinstance(node, ast.Name) and node.id == name and
                          isinstance(node.ctx, ast.Store)
                          for statement in tree.body if not isinstance(statement, _KEPT)
                          for node in ast.walk(statement))]
    except (OSError, ValueError):   # the notebook changed since it was read: no cell to name
        setters = []
    where = (f"cell {setters[-1]} sets {name}, but " if len(setters) == 1 else
             f"cells {', '.join(setters)} set {name}, but " if setters else "")
    return (f"; {where}a notebook gives --hand only its imports, functions and classes "
            f"(no other cell runs): set {name} inside the function, or in a function it calls")
