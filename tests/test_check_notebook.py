"""`minigrad check --hand homework.ipynb:FUNC`: the learner's notebook checked as
it is, without saving it as a .py file. Its imports, functions and classes are
taken cell by cell; no other cell runs (training, plots, data loading)."""
import ast
import json
import os
import re
import textwrap

import pytest

from nets.course import split_spec
from nets.notebook import cell_filename, is_cell_of, missing_function_hint, notebook_cells
from tests import course_code
from tests.test_check_hand_cli import check, one_error_line, write
from tests.test_course import COURSE_SLIPS


def code_cell(source, as_lines=True):
    """A code cell as Jupyter saves it: the source as a list of lines (or one string)."""
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(True) if as_lines else source}


def markdown_cell(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(True)}


def notebook(tmp_path, *cells, name="homework.ipynb"):
    path = tmp_path / name
    path.write_text(json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    return path


def the_course_notebook(tmp_path, backward_source, name="homework.ipynb"):
    """The course's notebook in outline: prose, a cell of imports with a Jupyter
    line, the data loaded, the function, training and a plot, which must not run."""
    ran = tmp_path / "a_cell_ran"
    return notebook(
        tmp_path,
        markdown_cell("# Planar data classification with one hidden layer\n"),
        code_cell("import numpy as np\nimport matplotlib.pyplot as plt\n%matplotlib inline\n"
                  "np.random.seed(1)\n"),
        code_cell("X, Y = load_planar_dataset()   # planar_utils is not here: must not run\n"),
        code_cell(backward_source, as_lines=False),
        code_cell(f"open({str(ran)!r}, 'w').write('trained')\n"
                  "parameters = nn_model(X, Y, n_h=4, num_iterations=10000)\n"),
        code_cell("!pip install sklearn\nplt.show()\n"),
        name=name)


def test_the_course_function_in_its_notebook_passes_as_the_py_file_does(tmp_path):
    path = the_course_notebook(tmp_path, course_code.source())
    code, out, err = check("--hand", f"{path}:backward_propagation")
    assert (code, err) == (0, ""), err
    assert not (tmp_path / "a_cell_ran").exists()   # the training cell did not run
    assert out == check("--hand", str(write(tmp_path, course_code.source())))[1]
    assert check("--hand", str(path)) == (code, out, err)   # FUNC defaults to backward_propagation


@pytest.mark.parametrize("slip", list(COURSE_SLIPS))
def test_each_classic_slip_in_a_notebook_is_named_as_in_a_py_file(tmp_path, slip):
    path = the_course_notebook(tmp_path, course_code.source(slip))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (1, ""), err
    assert out == check("--hand", str(write(tmp_path, course_code.source(slip))))[1]


@pytest.mark.parametrize("first, later, expected", [
    (course_code.source("missing 1/m"), course_code.source(), 0),
    (course_code.source(), course_code.source("missing 1/m"), 1),
])
def test_a_function_defined_twice_is_the_later_one_as_after_run_all(tmp_path, first, later,
                                                                     expected):
    path = notebook(tmp_path, code_cell(first), code_cell("x = 1\n"), code_cell(later))
    assert check("--hand", str(path))[0] == expected


def test_an_error_in_the_function_names_its_cell_and_line_and_where_the_name_is_set(tmp_path):
    source = course_code.source().replace("    m = X.shape[1]", "    m = X.shape[1] * scale", 1)
    path = notebook(tmp_path, code_cell("import numpy as np\nscale = 1.0\n"),
                    markdown_cell("prose\n"), code_cell(source))
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 1 and out == "", out
    number = source.splitlines().index("    m = X.shape[1] * scale") + 1
    assert (f"NameError: name 'scale' is not defined" in line and
            f" at homework.ipynb, cell 3 line {number}: m = X.shape[1] * scale; cell 1 sets "
            f"scale, but a notebook gives --hand only its imports, functions and classes "
            f"(no other cell runs): set scale inside the function" in line), line


def test_a_name_no_cell_sets_gets_no_cell_named(tmp_path):
    source = course_code.source().replace("    m = X.shape[1]", "    m = X.shape[1] * scale", 1)
    path = notebook(tmp_path, code_cell("import numpy as np\nscales = 1.0\n"), code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert "; a notebook gives --hand only its imports" in line and "sets" not in line, line


def test_a_warning_from_the_function_names_its_cell(tmp_path):
    source = course_code.source().replace(
        "    m = X.shape[1]", "    m = X.shape[1]\n    np.log(-X[:1, :1])", 1)
    code, out, err = check("--hand", str(notebook(tmp_path, code_cell(source))))
    assert (code, err) == (0, ""), err
    assert re.fullmatch(r"note: warnings while the check ran: invalid value encountered in log "
                        r"\(homework.ipynb, cell 1 line \d+\)", out.splitlines()[-1]), out


@pytest.mark.parametrize("cells, text, expected", [
    # a cell the learner left unfinished: its number, line and first line
    ([code_cell("import numpy as np\n"), code_cell("def f(:\n    pass\n")], None,
     r"cell 2 of homework.ipynb \(the one starting 'def f\(:'\) is not Python: invalid "
     r"syntax, its line 1: 'def f\(:'"),
    (None, "not json", "'.*homework.ipynb' is not a Jupyter notebook \\(not JSON: "),
    (None, json.dumps({"nbformat": 3, "worksheets": []}),
     "is not a Jupyter notebook of format 4 \\(it has no list of cells; its nbformat is 3\\): "
     "open it in Jupyter and save it again"),
    ([code_cell("import numpy as np\n")], None,
     "has no function 'backward_propagation'$"),
    # a notebook edited by hand: before, a TypeError's traceback
    (None, json.dumps({"nbformat": 4, "cells": [
        {"cell_type": "code", "source": ["import numpy as np\n", 3]}]}),
     "cell 1 of homework.ipynb is not a notebook cell as Jupyter saves it: its source is "
     "list .*3.*, not text or a list of lines$"),
    # the function's own import failed: which, and why
    ([code_cell("from planar_utils_not_here import backward_propagation\n")], None,
     "has no function 'backward_propagation'; cell 1 line 1, 'from planar_utils_not_here "
     "import backward_propagation', failed \\(ModuleNotFoundError: No module named "
     "'planar_utils_not_here'\\): 'planar_utils_not_here' is neither beside homework.ipynb "
     "nor installed"),
    # assigned, so not run
    ([code_cell("backward_propagation = lambda parameters, cache, X, Y: {}\n")], None,
     "has no function 'backward_propagation'; cell 1 sets backward_propagation = lambda "
     "\\.\\.\\., but a notebook gives --hand only its imports, functions and classes "
     "\\(no other cell runs\\): write it as a def backward_propagation\\(\\.\\.\\.\\), "
     "which is kept$"),
])
def test_a_notebook_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, cells, text, expected):
    if cells is None:
        path = tmp_path / "homework.ipynb"
        path.write_text(text, encoding="utf-8")
    else:
        path = notebook(tmp_path, *cells)
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 2 and out == "", out
    assert line.startswith(f"minigrad: error: --hand {path}: "), line
    assert re.search(expected, line), line


def test_jupyter_lines_become_pass_and_a_cell_magic_is_left_out(tmp_path):
    path = notebook(
        tmp_path,
        code_cell("import numpy as np\n%matplotlib inline\n"
                  "def f(x):\n    if x:\n        !echo hi\n    return x\n"),
        code_cell("%%writefile g.py\ndef g():\n    return 1\n"),
        code_cell("def h():\n    return '''\n%d entries\n'''\n"))
    namespace = {}
    for _, code in notebook_cells(path):
        exec(code, namespace)
    assert namespace["f"](2) == 2 and "g" not in namespace
    assert namespace["h"]() == "\n%d entries\n"   # a cell that parses keeps its strings as written


def test_only_imports_functions_and_classes_are_kept(tmp_path):
    path = notebook(tmp_path, code_cell(textwrap.dedent('''\
        import math
        from math import tau
        print("a cell's output")
        total = 1 + 1

        @staticmethod
        def decorated():
            return total

        class Net:
            pass
        ''')), code_cell("for i in range(3):\n    pass\n"))
    cells = notebook_cells(path)
    assert len(cells) == 1 and cells[0][0].endswith("homework.ipynb, cell 1")
    namespace = {}
    exec(cells[0][1], namespace)
    assert {"math", "tau", "decorated", "Net"} <= set(namespace)
    assert "total" not in namespace and "i" not in namespace


@pytest.mark.parametrize("spec, expected", [
    ("homework.ipynb", ("homework.ipynb", "backward_propagation")),
    ("C:/work/homework.ipynb", ("C:/work/homework.ipynb", "backward_propagation")),
    ("C:/work/homework.ipynb:my_backprop", ("C:/work/homework.ipynb", "my_backprop")),
    # before: ("C", "/work/HW.IPYNB"), "'/work/HW.IPYNB' is not a function name"
    ("C:/work/HW.IPYNB", ("C:/work/HW.IPYNB", "backward_propagation")),
    ("C:/work/MyWork.PY", ("C:/work/MyWork.PY", "backward_propagation")),
    ("C:/work/HW.IPYNB:my_backprop", ("C:/work/HW.IPYNB", "my_backprop")),
    # a drive in either case, either slash, and no FUNC nor suffix: still all the path
    ("c:\\work\\homework", ("c:\\work\\homework", "backward_propagation")),
    ("C:/work/homework", ("C:/work/homework", "backward_propagation")),
    # a one-letter file is not a drive
    ("h:my_backprop", ("h", "my_backprop")),
    # a folder with a colon (macOS, Linux), the file's suffix in capitals
    ("run:2/HW.PY", ("run:2/HW.PY", "backward_propagation")),
    ("run:2/hw.ipynb", ("run:2/hw.ipynb", "backward_propagation")),
])
def test_a_notebook_spec_splits_as_a_py_one(spec, expected):
    assert split_spec(spec) == expected


@pytest.mark.parametrize("magic", ["%%time", "%%capture out", "\n%%prun -q"])
def test_a_cell_magic_that_runs_python_keeps_its_function_as_jupyter_does(tmp_path, magic):
    # after Run All, Jupyter has the %%time cell's backward_propagation (the later one):
    # checking the earlier, right one instead said "ok" for a wrong function
    path = notebook(tmp_path, code_cell(course_code.source()),
                    code_cell(f"{magic}\n{course_code.source('missing 1/m')}"))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (1, ""), err
    assert out == check("--hand", str(write(tmp_path, course_code.source("missing 1/m"))))[1]


def test_an_error_in_a_time_cell_names_the_cell_s_own_line(tmp_path):
    source = course_code.source().replace("    m = X.shape[1]", "    m = X.shape[1] / 0", 1)
    path = notebook(tmp_path, code_cell(f"\n%%time\n{source}"))
    line = one_error_line(check("--hand", str(path))[2])
    number = 2 + source.splitlines().index("    m = X.shape[1] / 0") + 1
    assert f" at homework.ipynb, cell 1 line {number}: m = X.shape[1] / 0" in line, line


@pytest.mark.parametrize("magic", ["%%timeit -n1 -r1", "%%writefile other.py", "%%bash"])
def test_a_cell_magic_whose_definitions_do_not_stay_is_left_out(tmp_path, magic):
    # %%timeit runs its cell in a scope of its own; the others are not Python
    path = notebook(tmp_path, code_cell(course_code.source()),
                    code_cell(f"{magic}\n{course_code.source('missing 1/m')}"))
    assert check("--hand", str(path))[0] == 0


def the_course_imports(tmp_path):
    """The course's first cell, its planar_utils beside the notebook importing a
    package this Python has not (as it imports sklearn, which minigrad does not need)."""
    # a name of its own: another test's planar_utils may be in sys.modules already
    (tmp_path / "planar_utils_nb.py").write_text(
        "import numpy as np\nimport a_package_not_installed_here.linear_model\n\n"
        "def plot_decision_boundary(model, X, y):\n    pass\n\n"
        "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n", encoding="utf-8")
    return code_cell("import numpy as np\nimport a_package_not_installed_here.linear_model\n"
                     "from planar_utils_nb import plot_decision_boundary, sigmoid\n"
                     "%matplotlib inline\n")


def test_an_import_this_python_cannot_do_does_not_stop_the_check(tmp_path):
    # before: exit 2, "importing failed: No module named ...", for a function that
    # needs none of it, in a notebook that runs in the learner's Jupyter
    path = notebook(tmp_path, the_course_imports(tmp_path), code_cell(course_code.source()))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err
    # the same report, and a note under it: the learner knows what was left out
    report, note = out.rstrip("\n").rsplit("\n", 1)
    assert report + "\n" == check("--hand", str(write(tmp_path, course_code.source())))[1]
    missing = "(ModuleNotFoundError: No module named 'a_package_not_installed_here')"
    assert note == (
        f"note: imports of the notebook that failed here and were left out: cell 1 line 2 "
        f"'import a_package_not_installed_here.linear_model' {missing}; cell 1 line 3 "
        f"'from planar_utils_nb import plot_decision_boundary, sigmoid' {missing}; "
        f"the check ran without them"), note


def test_no_note_when_every_import_ran(tmp_path):
    path = notebook(tmp_path, code_cell("import numpy as np\n"), code_cell(course_code.source()))
    assert "note:" not in check("--hand", str(path))[1]


def test_a_name_whose_import_failed_names_that_import_and_the_module(tmp_path):
    # the course's notebook takes sigmoid from planar_utils: no def of its own
    source = course_code.source().replace("    m = X.shape[1]",
                                          "    m = X.shape[1] + 0 * sigmoid(0.0)", 1)
    source = re.sub(r"def sigmoid\(x\):\n.*\n.*\n", "", source)
    assert "def sigmoid" not in source
    path = notebook(tmp_path, the_course_imports(tmp_path), code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert "NameError: name 'sigmoid' is not defined" in line, line
    assert ("; cell 1 line 3, 'from planar_utils_nb import plot_decision_boundary, sigmoid', "
            "failed (ModuleNotFoundError: No module named 'a_package_not_installed_here'): "
            "'a_package_not_installed_here' is neither beside homework.ipynb nor installed "
            "for the Python that runs minigrad (") in line, line


@pytest.mark.parametrize("imports", [
    "try:\n    import numpy as np\nexcept ImportError:\n    pass\n",
    "try:\n    import numpy as np\n    import a_package_not_installed_here\n"
    "except ImportError:\n    a_package_not_installed_here = None\n",
])
def test_imports_in_a_try_are_kept(tmp_path, imports):
    # before: NameError np, "set np inside the function"
    path = notebook(tmp_path, code_cell(imports), code_cell(course_code.source().replace(
        "import numpy as np\n", "", 1)))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize("cell, expected", [
    ("dtanh = lambda A: 1 - A ** 2\n",
     "cell 1 sets dtanh = lambda ..., but a notebook gives --hand only its imports, functions "
     "and classes (no other cell runs): write it as a def dtanh(...), which is kept"),
    ("if True:\n    def dtanh(A):\n        return 1 - A ** 2\n",
     "cell 1 sets dtanh inside a block (if, for, with ...), but a notebook gives --hand only "
     "its imports, functions and classes (no other cell runs): move that import or def out "
     "of the block, to the cell's top level, where it is kept"),
])
def test_a_helper_that_is_not_run_is_told_how_to_write_it(tmp_path, cell, expected):
    source = course_code.source().replace("(1 - np.power(A1, 2))", "dtanh(A1)")
    line = one_error_line(check("--hand", str(notebook(tmp_path, code_cell(cell),
                                                       code_cell(source))))[2])
    assert "NameError: name 'dtanh' is not defined" in line and line.endswith(expected), line


def test_ipython_s_other_lines_are_left_out_too(tmp_path):
    # before: exit 2, "cell 1 ... is not Python: invalid syntax, its line 2: 'files = !ls'"
    path = notebook(tmp_path,
                    code_cell("import numpy as np\nfiles = !ls\nnp.dot?\n?np.sum\nnp.*load*?\n"
                              "t = %timeit -o np.ones(3)\nnp.dot??\nout, errs = !ls\n"),
                    code_cell(course_code.source().replace(
                        "    m = X.shape[1]", "    m = X.shape[1]\n    listing = !ls", 1)))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err
    namespace = {}
    for _, code in notebook_cells(path):
        exec(code, namespace)
    assert "np" in namespace and "files" not in namespace and "t" not in namespace and \
        "out" not in namespace


def test_a_def_that_fails_as_its_cell_runs_names_its_cell_and_line(tmp_path):
    # a default from a cell that does not run: before, only "importing failed:
    # NameError: name 'learning_rate' is not defined", no cell, no line
    path = notebook(tmp_path, code_cell("import numpy as np\nlearning_rate = 1.2\n"),
                    code_cell("\ndef update_parameters(parameters, grads, lr=learning_rate):\n"
                              "    return parameters\n"),
                    code_cell(course_code.source()))
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 2 and out == "", out
    assert line.endswith(
        "failed: NameError: name 'learning_rate' is not defined at homework.ipynb, cell 2 "
        "line 2: def update_parameters(parameters, grads, lr=learning_rate):; cell 1 sets "
        "learning_rate, but a notebook gives --hand only its imports, functions and classes "
        "(no other cell runs): set learning_rate inside the function, or in a function it "
        "calls"), line


def test_a_name_the_module_does_not_have_is_not_called_a_missing_module(tmp_path):
    # before: "'mine' is neither beside homework.ipynb nor installed", of a module
    # that is there but has no such name
    (tmp_path / "mine_nb.py").write_text("def sigmoid(x):\n    return x\n", encoding="utf-8")
    source = course_code.source().replace("(1 - np.power(A1, 2))", "dtanh(A1)")
    path = notebook(tmp_path, code_cell("from mine_nb import dtanh\n"), code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert re.search(r"; cell 1 line 1, 'from mine_nb import dtanh', failed \(ImportError: "
                     r"cannot import name 'dtanh' from 'mine_nb' \(.*mine_nb.py\)\)$", line), line


# --- the function checked is the one Jupyter has after Run All, or the check says so ----------

WRONG_SIGN = ("dZ2 = A2 - Y", "dZ2 = Y - A2")


def test_a_failed_import_that_replaces_an_earlier_def_leaves_no_stale_def(tmp_path):
    # before: the def of cell 1 was checked (WRONG) although Jupyter, where the import
    # works, has the module's function; now: no such function, naming the import
    path = notebook(tmp_path, code_cell(course_code.source().replace(*WRONG_SIGN)),
                    code_cell("from planar_utils_absent import backward_propagation\n"))
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 2 and out == "", out
    assert "has no function 'backward_propagation'" in line and \
        "cell 2 line 1, 'from planar_utils_absent import backward_propagation', failed" in line, \
        line


def test_a_failed_import_after_which_a_def_comes_keeps_that_def(tmp_path):
    path = notebook(tmp_path, code_cell("from planar_utils_absent import backward_propagation\n"),
                    code_cell(course_code.source()))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize("later, where", [
    ("backward_propagation = my_backprop\n", "cell 3 line 1, 'backward_propagation = my_backprop'"),
    ("if True:\n    backward_propagation = my_backprop\n",
     "cell 3 line 2, 'backward_propagation = my_backprop'"),
    ("del backward_propagation\n", "cell 3 line 1, 'del backward_propagation'"),
])
def test_a_function_rebound_by_a_cell_that_does_not_run_is_refused(tmp_path, later, where):
    # before: "all 4 returned nodes agree" of the def of cell 1, while Jupyter's
    # backward_propagation is my_backprop, which has the wrong sign
    mine = course_code.source().replace(*WRONG_SIGN).replace(
        "def backward_propagation(", "def my_backprop(")
    path = notebook(tmp_path, code_cell(course_code.source()), code_cell(mine), code_cell(later))
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 2 and out == "", out
    assert f"after Run All in Jupyter, backward_propagation is what {where}, sets, not the " \
           f"def of cell 1, which --hand would check" in line, line


def test_a_def_inside_a_block_after_a_top_level_def_is_refused(tmp_path):
    # before: WRONG, of cell 1's def; Jupyter has the right one of cell 2's if True:
    right = course_code.source()
    path = notebook(tmp_path, code_cell(right.replace(*WRONG_SIGN)),
                    code_cell("if True:\n" + textwrap.indent(right, "    ")))
    line = one_error_line(check("--hand", str(path))[2])
    number = 1 + right.splitlines().index("def backward_propagation(parameters, cache, X, Y):") + 1
    assert f"is what cell 2 line {number}, 'def backward_propagation(parameters, cache, X, Y):'" \
        in line, line


def _without_sigmoid(source):
    source = re.sub(r"def sigmoid\(x\):\n.*\n.*\n", "", source)
    assert "def sigmoid" not in source
    return source


@pytest.mark.parametrize("cells, name, here", [
    # a def rebound: Jupyter's sigmoid is tanh
    (["import numpy as np\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n",
      "sigmoid = np.tanh\n"], "sigmoid", "the def of cell 1"),
    # a name of numpy's: from numpy import * gives e = 2.718..., the notebook sets 1.0
    (["import numpy as np\nfrom numpy import *\n", "e = 1.0\n"], "e",
     "e = 2.718281828459045 (from an import)"),
    # a builtin's name
    (["import numpy as np\n", "len = 3\n"], "len", "Python's builtin len"),
    # a module's name, and a function imported from a module (no cell of its own)
    (["import numpy as np\nimport math\n", "math = 3\n"], "math", "the module math"),
    (["import numpy as np\nfrom json import dumps\n", "dumps = 3\n"], "dumps",
     "json's dumps"),
])
def test_a_name_the_function_uses_that_a_cell_not_run_sets_is_refused(tmp_path, cells, name,
                                                                       here):
    # before: the check used the def, numpy's e or the builtin, silently, and said
    # WRONG (or ok) of a function run with something the notebook does not have
    use = {"sigmoid": "0 * sigmoid(0.0)", "e": "0 * e", "len": "0 * len([])",
           "math": "0 * len(str(math))", "dumps": "0 * len(dumps(0))"}[name]
    source = _without_sigmoid(course_code.source()).replace(
        "    m = X.shape[1]", f"    m = X.shape[1] + {use}", 1)
    path = notebook(tmp_path, *map(code_cell, cells), code_cell(source))
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 2 and out == "", out
    assert (f"backward_propagation uses {name}, which after Run All in Jupyter is what cell 2 "
            f"line 1, ") in line and f"would use {here}, and check" in line, line


def test_a_name_used_through_a_helper_counts_too(tmp_path):
    source = _without_sigmoid(course_code.source()).replace(
        "(1 - np.power(A1, 2))", "dtanh(A1)")
    path = notebook(tmp_path, code_cell("import numpy as np\ndef dtanh(A):\n"
                                        "    return 1 - A ** power\npower = 2\n"),
                    code_cell("from numpy import power\n"), code_cell(source),
                    code_cell("power = 3\n"))
    line = one_error_line(check("--hand", str(path))[2])
    assert "backward_propagation uses power, which after Run All in Jupyter is what cell 4 " \
           "line 1, 'power = 3', sets" in line, line


def test_names_set_by_cells_not_run_that_jupyter_also_replaces_are_fine(tmp_path):
    # the course's notebook sets X, parameters, i ... at the top level, and a def after
    # an assignment of the same name is that def in Jupyter too
    path = notebook(tmp_path,
                    code_cell("import numpy as np\nsigmoid = np.tanh\n"
                              "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"),
                    code_cell(course_code.source()),
                    code_cell("X, Y = 1, 2\nparameters = backward_propagation(1, 2, 3, 4)\n"
                              "for i in range(3):\n    grads = i\n"))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize("cell, expected", [
    ("# timing\n%%time\n", "its line 2, '%%time', is a cell magic that is not the cell's first "
                          "line: Jupyter runs nothing of that cell"),
    ("  %%time\n", "its line 1, '%%time', is a cell magic that is indented: Jupyter runs "
                   "nothing of that cell (IndentationError)"),
    ("\t%%time\n", "its line 1, '%%time', is a cell magic that is indented: Jupyter runs "
                    "nothing of that cell (IndentationError)"),
])
def test_a_cell_magic_jupyter_does_not_run_is_said(tmp_path, cell, expected):
    # before: the cell's def was checked, made Python by a pass for %%time, while
    # Jupyter fails on that cell and has no such function
    path = notebook(tmp_path, code_cell(cell + course_code.source()))
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 2 and f"cell 1 of homework.ipynb: {expected}" in line, line


def test_a_cell_magic_line_inside_a_string_is_python_in_a_cell_with_jupyter_lines(tmp_path):
    # before: "its line 5, '%%time', is a cell magic that is not the cell's first line",
    # for a line of a string, in a cell that Jupyter runs (its %matplotlib makes the
    # cell not parse here, so the late-magic check ran over the string's lines)
    cell = '%matplotlib inline\ndef note():\n    return """\n%%time times a cell\n"""\n'
    path = notebook(tmp_path, code_cell(cell + course_code.source()))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err
    namespace = {}
    for _, compiled in notebook_cells(path):
        exec(compiled, namespace)
    assert namespace["note"]() == "\n%%time times a cell\n"


def test_a_run_of_a_file_that_sets_the_function_is_refused(tmp_path):
    # before: "all 4 returned nodes agree" of cell 1's def; Jupyter's %run replaced
    # it with the file's, which has the wrong sign
    (tmp_path / "helpers_nb.py").write_text(course_code.source().replace(*WRONG_SIGN),
                                            encoding="utf-8")
    path = notebook(tmp_path, code_cell(course_code.source()),
                    code_cell("%run helpers_nb.py\n"))
    line = one_error_line(check("--hand", str(path))[2])
    assert "backward_propagation is what cell 2 line 1, '%run helpers_nb.py', sets, not the " \
           "def of cell 1" in line and "(--hand helpers_nb.py:backward_propagation)" in line, line


def test_a_run_of_a_file_that_does_not_set_the_function_is_fine(tmp_path):
    (tmp_path / "plots_nb.py").write_text("def plot(x):\n    return x\n", encoding="utf-8")
    path = notebook(tmp_path, code_cell(course_code.source()), code_cell("%run plots_nb.py\n"))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, "") and "note:" not in out, out


@pytest.mark.parametrize("cell", ["%run not_here_nb.py\n", "exec(open('helpers_nb.py').read())\n",
                                  "globals()['backward_propagation'] = None\n",
                                  "setattr(sys.modules[__name__], 'backward_propagation', f)\n"])
def test_a_line_whose_names_cannot_be_told_gets_a_note(tmp_path, cell):
    # before: ok, and nothing said, of a def Jupyter may have replaced
    path = notebook(tmp_path, code_cell(course_code.source()), code_cell(cell))
    code, out, err = check("--hand", str(path))
    assert err == "", err
    assert out.splitlines()[-1] == (
        f"note: lines of the notebook that set names --hand cannot tell and did not run: "
        f"cell 2 line 1 {cell.strip()!r}; if one sets backward_propagation or a name it uses, "
        f"the check is not of what your Jupyter has"), out


def test_a_method_is_told_to_be_one(tmp_path):
    # before: "'Net.backward' is not a function name", and "has no function" with
    # nothing said of the class that has it
    path = notebook(tmp_path, code_cell(
        "class Net:\n    def backward_propagation(self, parameters, cache, X, Y):\n"
        "        return {}\n"))
    line = one_error_line(check("--hand", f"{path}:Net.backward_propagation")[2])
    assert "Net.backward_propagation is a method; --hand checks a function" in line, line
    line = one_error_line(check("--hand", str(path))[2])
    assert line.endswith("has no function 'backward_propagation'; Net.backward_propagation is "
                         "a method of a class, which --hand does not check: write "
                         "backward_propagation as a def at the top level"), line


@pytest.mark.parametrize("cell", [
    # each part of a try that does the notebook's work makes it a statement that does not run
    "try:\n    import numpy as np\nexcept ImportError:\n    pass\nelse:\n    data = np.ones(3)\n",
    "try:\n    import numpy as np\nfinally:\n    print('imported')\n",
    "try:\n    import numpy as np\nexcept ImportError:\n    np = make_numpy()\n",
    "try:\n    import numpy as np\nexcept ImportError:\n    config.np = None\n",
])
def test_a_try_that_does_more_than_import_is_left_out(tmp_path, cell):
    assert notebook_cells(notebook(tmp_path, code_cell(cell))) == []


def test_an_async_def_is_kept_as_a_def_is(tmp_path):
    path = notebook(tmp_path, code_cell("async def fetch():\n    return 1\nx = 2\n"))
    namespace = {}
    for _, code in notebook_cells(path):
        exec(code, namespace)
    assert "fetch" in namespace and "x" not in namespace


def test_a_cell_s_filename_is_told_from_other_names(tmp_path):
    path = str(tmp_path / "homework.ipynb")
    assert is_cell_of(cell_filename(path, 7), path)
    assert is_cell_of(cell_filename("homework.ipynb", 7), os.path.abspath("homework.ipynb"))
    for other in (f"{os.path.abspath(path)}, cell ", f"{os.path.abspath(path)}, cell 7a",
                  path, cell_filename(str(tmp_path / "other.ipynb"), 7)):
        assert not is_cell_of(other, path), other


def test_an_import_failing_in_a_try_that_does_not_catch_it_does_not_stop_the_check(tmp_path):
    # a try is run as an import is: its ImportError is noted, not the end of the check
    path = notebook(tmp_path, code_cell("try:\n    import a_package_not_installed_here\n"
                                        "finally:\n    pass\n"), code_cell(course_code.source()))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err
    assert out.splitlines()[-1].startswith(
        "note: imports of the notebook that failed here and were left out: cell 1 line 1 "), out


def test_a_dotted_import_that_failed_is_named_for_its_top_name(tmp_path):
    # import pkg.linear_model binds pkg: a NameError of pkg is that import's
    source = course_code.source().replace(
        "    m = X.shape[1]", "    m = X.shape[1] + 0 * len(a_package_not_installed_here.x)", 1)
    path = notebook(tmp_path, code_cell("import a_package_not_installed_here.linear_model\n"),
                    code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert "; cell 1 line 1, 'import a_package_not_installed_here.linear_model', failed " \
           "(ModuleNotFoundError: " in line, line


def test_a_notebook_file_that_is_not_utf8_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "homework.ipynb"
    path.write_bytes('{"cells": ["反向传播"]}'.encode("gbk"))
    code, out, err = check("--hand", str(path))
    line = one_error_line(err)
    assert code == 2 and out == "", out
    assert re.search(r"'.*homework.ipynb' is not a Jupyter notebook \(not JSON: 'utf-8' codec",
                     line), line


def test_prose_and_raw_cells_are_not_code(tmp_path):
    path = notebook(tmp_path, markdown_cell("Fill in **backward_propagation**: dZ2 = A2 - Y.\n"),
                    {"cell_type": "raw", "metadata": {},
                     "source": course_code.source().replace(*WRONG_SIGN)},
                    code_cell(course_code.source()))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


def test_a_cell_magic_with_no_name_is_left_out(tmp_path):
    # "%%" alone is no magic Jupyter runs (UsageError): the cell's def is not the notebook's
    path = notebook(tmp_path, code_cell(course_code.source()),
                    code_cell("%%\n" + course_code.source().replace(*WRONG_SIGN)))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


def test_a_name_a_failed_star_import_may_have_given_names_that_import(tmp_path):
    source = _without_sigmoid(course_code.source()).replace(
        "    m = X.shape[1]", "    m = X.shape[1] + 0 * sigmoid(0.0)", 1)
    path = notebook(tmp_path, code_cell("from planar_utils_absent import *\n"), code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert "; cell 1 line 1, 'from planar_utils_absent import *', failed (ModuleNotFoundError: " \
           "No module named 'planar_utils_absent'), and sigmoid may be one of its names: " \
           "'planar_utils_absent' is neither beside" in line, line


def test_of_two_failed_imports_of_a_name_the_later_is_named(tmp_path):
    # after Run All the later import is the one that gives the name
    source = _without_sigmoid(course_code.source()).replace(
        "    m = X.shape[1]", "    m = X.shape[1] + 0 * sigmoid(0.0)", 1)
    imports = [code_cell("from absent_one import sigmoid\n"),
               code_cell("from absent_two import sigmoid\n")]
    line = one_error_line(check("--hand", str(notebook(tmp_path, *imports,
                                                            code_cell(source))))[2])
    assert "; cell 2 line 1, 'from absent_two import sigmoid', failed" in line, line
    path = notebook(tmp_path, code_cell("from absent_one import backward_propagation\n"),
                    code_cell("from absent_two import backward_propagation\n"))
    line = one_error_line(check("--hand", str(path))[2])
    assert "; cell 2 line 1, 'from absent_two import backward_propagation', failed" in line, line


@pytest.mark.parametrize("use", [
    "(lambda v: sigmoid(v))(0.0)",                    # a name read in a nested function
    "sum(sigmoid(v) for v in [0.0])",                 # in a generator
])
def test_a_name_read_in_a_nested_function_or_class_counts_too(tmp_path, use):
    source = _without_sigmoid(course_code.source()).replace(
        "    m = X.shape[1]", f"    m = X.shape[1] + 0 * {use}", 1)
    path = notebook(tmp_path, code_cell("import numpy as np\ndef sigmoid(x):\n"
                                        "    return 1 / (1 + np.exp(-x))\n"),
                    code_cell("sigmoid = np.tanh\n"), code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert "backward_propagation uses sigmoid, which after Run All in Jupyter is what cell 2 " \
           "line 1, 'sigmoid = np.tanh', sets" in line, line


def test_a_name_read_in_a_class_body_inside_the_function_counts_too(tmp_path):
    source = _without_sigmoid(course_code.source()).replace(
        "    m = X.shape[1]", "    class Scale:\n        k = sigmoid(0.0)\n"
                             "    m = X.shape[1] + 0 * Scale.k", 1)
    path = notebook(tmp_path, code_cell("import numpy as np\ndef sigmoid(x):\n"
                                        "    return 1 / (1 + np.exp(-x))\n"),
                    code_cell("sigmoid = np.tanh\n"), code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert "backward_propagation uses sigmoid, which after Run All" in line, line


def test_a_name_an_imported_function_reads_in_its_own_module_is_not_the_notebook_s(tmp_path):
    # helper_nb.helper reads helper_nb's scale: the notebook's scale = 2 changes nothing
    (tmp_path / "helper_nb.py").write_text("scale = 0\n\ndef helper(x):\n"
                                           "    return x * scale\n", encoding="utf-8")
    source = course_code.source().replace("    m = X.shape[1]",
                                          "    m = X.shape[1] + helper(1.0)", 1)
    path = notebook(tmp_path, code_cell("from helper_nb import helper, scale\n"),
                    code_cell("scale = 2\n"), code_cell(source))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


def test_the_last_cell_that_sets_a_helper_says_how_to_write_it(tmp_path):
    source = course_code.source().replace("(1 - np.power(A1, 2))", "dtanh(A1)")
    path = notebook(tmp_path, code_cell("dtanh = None\n"),
                    code_cell("dtanh = lambda A: 1 - A ** 2\n"), code_cell(source))
    line = one_error_line(check("--hand", str(path))[2])
    assert line.endswith("; cells 1, 2 set dtanh, but a notebook gives --hand only its imports, "
                         "functions and classes (no other cell runs): write it as a def "
                         "dtanh(...), which is kept"), line


def test_a_file_that_is_not_a_notebook_names_no_cell(tmp_path):
    path = tmp_path / "homework.ipynb"
    path.write_text("not json", encoding="utf-8")
    assert missing_function_hint("backward_propagation", path, {}) == ""


def test_a_name_set_by_a_cell_not_run_then_defined_again_is_the_def(tmp_path):
    # Jupyter's sigmoid and backward_propagation are the later defs, which --hand has too
    source = _without_sigmoid(course_code.source()).replace(
        "    m = X.shape[1]", "    m = X.shape[1] + 0 * sigmoid(0.0)", 1)
    path = notebook(tmp_path, code_cell("import numpy as np\nsigmoid = np.tanh\n"
                                        "backward_propagation = None\n"),
                    code_cell("def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"),
                    code_cell(source))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize("run, other", [
    ("%run -i helpers_nb.py", ("helpers_nb.py", None)),
    ("%run helpers_nb.ipynb", ("helpers_nb.ipynb", "notebook")),
    ("%run Helpers_NB.IPYNB", ("Helpers_NB.IPYNB", "notebook")),
])
def test_a_run_with_options_or_of_a_notebook_that_sets_the_function_is_refused(tmp_path, run,
                                                                              other):
    wrong = course_code.source().replace(*WRONG_SIGN)
    name, kind = other
    if kind == "notebook":
        notebook(tmp_path, code_cell(wrong), name=name)
    else:
        (tmp_path / name).write_text(wrong, encoding="utf-8")
    path = notebook(tmp_path, code_cell(course_code.source()), code_cell(run + "\n"))
    line = one_error_line(check("--hand", str(path))[2])
    assert f"backward_propagation is what cell 2 line 1, {run!r}, sets, not the def of cell 1" \
        in line, line


def test_a_run_of_a_file_with_a_star_import_gets_a_note(tmp_path):
    # what from m import * gives cannot be told: the learner is told the check did not see it
    (tmp_path / "star_nb.py").write_text("from math import *\n", encoding="utf-8")
    path = notebook(tmp_path, code_cell(course_code.source()), code_cell("%run star_nb.py\n"))
    code, out, err = check("--hand", str(path))
    assert err == "" and out.splitlines()[-1].startswith(
        "note: lines of the notebook that set names --hand cannot tell and did not run: "
        "cell 2 line 1 '%run star_nb.py'"), out


def test_the_names_a_statement_binds_are_those_of_its_own_scope_in_line_order():
    from nets.notebook import _names_bound

    def bound(source):
        return _names_bound(ast.parse(textwrap.dedent(source)).body[0])

    # a def's decorators and defaults run where it is (a := binds there); its body does not
    assert bound("@(deco := staticmethod)\ndef f(x=(k := 1), *, y=(j := 2)):\n    z = 3\n") == \
        [("deco", 1), ("f", 2), ("k", 2), ("j", 2)]
    # a lambda's and a comprehension's names are their own
    assert bound("squares = [i * i for i in range(3)] + list(map(lambda a: a, []))\n") == \
        [("squares", 1)]
    assert bound("del sigmoid\n") == [("sigmoid", 1)]
    assert bound("try:\n    pass\nexcept ValueError as error:\n    first = 1\n") == \
        [("error", 3), ("first", 4)]
    assert bound("if True:\n    b = 2\na = 1\n") == [("b", 2)]
    assert bound("for i in range(3):\n    total = i\nelse:\n    done = (last := i)\n") == \
        [("i", 1), ("total", 2), ("done", 4), ("last", 4)]


def test_a_failed_import_and_a_line_not_told_get_a_note_each(tmp_path):
    path = notebook(tmp_path, code_cell("import a_package_not_installed_here\n"),
                    code_cell(course_code.source()), code_cell("%run not_here_nb.py\n"))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err
    notes = out.splitlines()[-2:]
    assert notes[0].startswith("note: imports of the notebook that failed here") and \
        notes[1].startswith("note: lines of the notebook that set names --hand cannot tell"), out


def test_a_notebook_named_in_capitals_is_read_as_a_notebook(tmp_path):
    path = notebook(tmp_path, code_cell(course_code.source()), name="HW.IPYNB")
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err


def test_a_cell_that_is_not_python_stops_the_notebook_before_any_cell_runs(tmp_path):
    # cell 1's decorator would run (and write a file) before cell 2 is found not to parse
    ran = tmp_path / "a_cell_ran"
    path = notebook(tmp_path, code_cell(f"@lambda f: open({str(ran)!r}, 'w') and f\n"
                                        "def g():\n    pass\n"),
                    code_cell("def f(:\n    pass\n"))
    line = one_error_line(check("--hand", str(path))[2])
    assert line.startswith(f"minigrad: error: --hand {path}: cell 2 of homework.ipynb (the one "
                           f"starting 'def f(:') is not Python"), line
    assert not ran.exists()


def test_a_spec_with_its_function_named_gets_the_notebook_s_hint_too(tmp_path):
    source = course_code.source().replace("    m = X.shape[1]", "    m = X.shape[1] * scale", 1)
    path = notebook(tmp_path, code_cell("scale = 1.0\n"), code_cell(source))
    line = one_error_line(check("--hand", f"{path}:backward_propagation")[2])
    assert " at homework.ipynb, cell 2 line " in line and line.endswith(
        "; cell 1 sets scale, but a notebook gives --hand only its imports, functions and "
        "classes (no other cell runs): set scale inside the function, or in a function it "
        "calls"), line


def test_a_line_that_continues_a_statement_is_python_in_a_cell_with_jupyter_lines(tmp_path):
    # before: exit 2, "cell 1 ... is not Python: '(' was never closed", of a cell Jupyter
    # runs (a continuation line starting with %, made a pass), and a string's line
    # starting with % changed silently
    source = course_code.source().replace("    m = X.shape[1]", "    m = (X.shape[1]\n"
                                          "         % 1000)", 1)
    path = notebook(tmp_path, code_cell("import numpy as np\n%matplotlib inline\n" + source +
                                        "def h(a, b):\n    return '''\n%d entries\n!x\n''', \\\n"
                                        "        (a\n         != b)\n!ls\n"))
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), err
    namespace = {}
    for _, compiled in notebook_cells(path):
        exec(compiled, namespace)
    assert namespace["h"](1, 2) == ("\n%d entries\n!x\n", True)
