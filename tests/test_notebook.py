"""The tutorial notebook runs, top to bottom, in a real Jupyter kernel: once as
committed (it must stop at the first YOUR CODE cell with a clear message) and
once with the solutions filled in (every cell runs, the pictures appear)."""
import fnmatch
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "planar_classification.ipynb"
sys.path.insert(0, str(NOTEBOOK.parent))
from solutions import SOLUTIONS  # noqa: E402

_BLANK = re.compile(r"^( *)### YOUR CODE \((\w+)\).*?\n.*?^ *### END\n", re.M | re.S)


def _fill(source: str, **answers: str) -> str:
    """The blanks filled with the solutions, or with ``answers`` (by exercise name)."""
    def solve(match: re.Match) -> str:
        indent, name = match.group(1), match.group(2)
        answer = answers.get(name, SOLUTIONS[name])
        return "".join(indent + line + "\n" for line in answer.splitlines())
    return _BLANK.sub(solve, source)


MY_NOTEBOOK = NOTEBOOK.with_name("my_" + NOTEBOOK.name)   # what `make notebook` opens


def _shipped():
    """The tutorial as shipped. A learner who worked in it (Jupyter saves the
    outputs and the filled-in exercises into the file it opens) saw seven tests
    fail with "DID NOT RAISE" and cell sources: say what happened instead."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    used = [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
    filled = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])
              and "raise NotImplementedError" not in c.source]
    if used or filled:
        tutorial, mine = f"notebooks/{NOTEBOOK.name}", f"notebooks/{MY_NOTEBOOK.name}"
        pytest.fail(f"{tutorial} holds someone's work ({len(used)} cells run, {len(filled)} "
                    f"exercises filled in); the suite runs the tutorial as shipped. Keep "
                    f"your work in {mine} (`make notebook` opens it; `cp {tutorial} {mine}` "
                    f"if it is not there yet), then restore the tutorial with "
                    f"`git checkout {tutorial}`", pytrace=False)
    return nb


def _run(nb, cwd: Path):
    # the kernel must import this checkout's minigrad and nets, wherever pytest runs
    env_path = f"{ROOT}"
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {env_path!r})"))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    nb.cells.pop(0)
    return nb


def test_the_committed_notebook_has_no_outputs_and_blank_exercises():
    nb = _shipped()
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    exercises = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    names = [_BLANK.search(c.source).group(2) for c in exercises]
    assert names == list(SOLUTIONS), names
    for cell in exercises:
        assert "raise NotImplementedError" in cell.source


def test_the_notebook_stops_at_the_first_blank_with_a_clear_message(tmp_path):
    nb = _shipped()
    first = next(i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", []))
    after = next(i for i, c in enumerate(nb.cells) if i > first and c.cell_type == "code")
    nb.cells = nb.cells[:after + 1]
    with pytest.raises(CellExecutionError, match="fill in forward_propagation"):
        _run(nb, tmp_path)


def test_the_notebook_runs_with_the_solutions_and_shows_its_pictures(tmp_path):
    nb = _shipped()
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source)
    nb = _run(nb, tmp_path)
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs)
    kinds = [k for c in nb.cells if c.cell_type == "code" for o in c.outputs
             for k in o.get("data", {})]
    # the checks the learner reads, with the course's numbers
    forward = re.findall(r" vs [ZA]\[\d\]: ok", text)
    assert len(forward) == 8, text   # the forward pass at b = 0 and at b ≠ 0
    assert "the course's start: cost vs J: ok (yours 0.693048, expected 0.693048)" in text, text
    assert text.count("cost vs J: ok") == 2, text
    assert "logistic regression accuracy: 4" in text, text
    # to the hundredth, as the boundary's title below it (90.75%) and the sweep's table
    # say: rounded to "91%", it read as another number than the picture's
    assert re.search(r"^accuracy: 9\d\.\d\d%$", text, re.M), text
    # pictures inline: the graph (SVG from graphviz), plots and the boundary (PNG)
    assert "image/svg+xml" in kinds and kinds.count("image/png") >= 4, kinds
    assert (tmp_path / "boundary.png").exists() and (tmp_path / "hidden_sizes.png").exists()


def test_a_forward_pass_that_forgets_b_passes_at_the_courses_start_and_is_caught_after(
        tmp_path):
    # at the course's start b = 0, where Z1 = W1 X is right too: the second check shows it
    nb = _shipped()
    check = next(i for i, c in enumerate(nb.cells) if "def compare(parameters" in c.source)
    nb.cells = nb.cells[:check + 1]
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source).replace("W1 @ X + b1", "W1 @ X")
    text = "\n".join(o.get("text", "") for o in _run(nb, tmp_path).cells[check].outputs)
    assert "the course's start: Z1  vs Z[1]: ok" in text, text
    assert "with b ≠ 0: Z1  vs Z[1]: WRONG" in text, text


def _forward_check(tmp_path, forward: str) -> str:
    """The printed lines of the forward-pass check, with ``forward`` as the learner's body."""
    nb = _shipped()
    check = next(i for i, c in enumerate(nb.cells) if "def compare(parameters" in c.source)
    nb.cells = nb.cells[:check + 1]
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source, forward_propagation=forward)
    return "\n".join(o.get("text", "") for o in _run(nb, tmp_path).cells[check].outputs)



@pytest.mark.parametrize("bias", ["b2", "b1[0]", "np.mean(b1)"])
def test_a_forward_pass_that_adds_another_bias_to_z1_is_caught(tmp_path, bias):
    # the second check set every bias to 0.5: b1 and b2 were the same numbers, and a
    # Z1 that added b2 (or one entry of b1) read ok at both checks
    text = _forward_check(tmp_path, f"Z1 = W1 @ X + {bias}\nA1 = np.tanh(Z1)\n"
                                    "Z2 = W2 @ A1 + b2\nA2 = 1 / (1 + np.exp(-Z2))")
    assert "the course's start: Z1  vs Z[1]: ok" in text, text   # b = 0 cannot tell
    assert "with b ≠ 0: Z1  vs Z[1]: WRONG" in text, text

@pytest.mark.parametrize("forward, node, shape", [
    # samples as rows, as other courses have them: every node transposed
    ("Z1 = X.T @ W1.T + b1.T\nA1 = np.tanh(Z1)\nZ2 = A1 @ W2.T + b2.T\n"
     "A2 = 1 / (1 + np.exp(-Z2))", "Z1", "(400, 4)"),
    # a flat A2: numpy broadcast it against the graph's (1, 400) and said ok
    ("Z1 = W1 @ X + b1\nA1 = np.tanh(Z1)\nZ2 = W2 @ A1 + b2\n"
     "A2 = (1 / (1 + np.exp(-Z2))).ravel()", "A2", "(400,)"),
], ids=["samples as rows", "flat A2"])
def test_the_forward_check_says_wrong_shape_for_a_value_of_another_shape(
        tmp_path, forward, node, shape):
    text = _forward_check(tmp_path, forward)
    wanted = f"the course's start: {node:3} vs {node[0]}[{node[1]}]: WRONG shape {shape}"
    assert wanted in text, text
    assert f"{node:3} vs {node[0]}[{node[1]}]: ok" not in text, text


def test_the_forward_check_shows_its_verdicts_and_no_arrays(tmp_path):
    # the cell's last line was compare(...), whose (A2, cache) Jupyter displayed below
    # the verdicts: 400 columns of numbers
    nb = _shipped()
    check = next(i for i, c in enumerate(nb.cells) if "def compare(parameters" in c.source)
    nb.cells = nb.cells[:check + 1]
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source)
    outputs = _run(nb, tmp_path).cells[check].outputs
    # printed text only (a kernel may send it in several stream messages), no result
    assert outputs and {o.output_type for o in outputs} == {"stream"}, outputs


def test_running_the_cells_again_gives_the_same_numbers(tmp_path):
    # Jupyter keeps the kernel's state: running the training cell a second time
    # continued from the trained weights ("cost at iteration 0: 0.2178"), and the
    # graph drawn again after it made the cost check compare the learner's 0.693048
    # with a trained net's J
    nb = _shipped()
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source)
    again = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (
        c.source.startswith(("g = net.graph(X, Y)", "def check_cost("))
        or "iterations=10_000" in c.source)]
    assert len(again) == 3, again
    nb.cells += [nbformat.v4.new_code_cell(nb.cells[i].source) for i in again]
    nb = _run(nb, tmp_path)

    def text(cell):
        return "".join(o.get("text", "") for o in cell.outputs)
    for i, rerun in zip(again, nb.cells[-3:]):
        assert text(rerun) == text(nb.cells[i]), (text(nb.cells[i]), text(rerun))


@pytest.mark.parametrize("uid, allowed", [("0", True), ("1000", False)])
def test_make_notebook_starts_jupyter_as_root_too(uid, allowed):
    # Jupyter refuses to run as root unless told (--allow-root), and exits 1: `make
    # notebook` in a container, where the other targets install dot as root, did nothing
    import subprocess
    out = subprocess.run(["make", "-n", "notebook", f"USER_ID={uid}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    command = next(line for line in out.splitlines() if "jupyter notebook" in line)
    assert command.endswith("notebooks/my_planar_classification.ipynb"), command
    assert ("--allow-root" in command) == allowed, command


def test_make_notebook_opens_the_learners_own_copy_and_never_overwrites_it(tmp_path):
    # it opened the tutorial itself: Jupyter saved the learner's outputs and answers
    # into it, and `make test` then failed seven notebook tests on the learner's machine
    import subprocess
    out = subprocess.run(["make", "-n", "notebook"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    copy = next(line for line in out.splitlines() if " cp " in f" {line}")
    assert copy == ("test -e notebooks/my_planar_classification.ipynb || cp "
                    "notebooks/planar_classification.ipynb "
                    "notebooks/my_planar_classification.ipynb"), copy
    # the copy is the learner's: git leaves it out, so no commit or pull touches it
    # (read from .gitignore, not asked of git: a checkout downloaded as a zip has no .git)
    patterns = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/notebooks/my_*.ipynb" in patterns, patterns
    assert fnmatch.fnmatch(f"/notebooks/{MY_NOTEBOOK.name}", "/notebooks/my_*.ipynb")


@pytest.mark.parametrize("work, counts", [("filled", "0 cells run, 1 exercises filled in"),
                                          ("run", "1 cells run, 0 exercises filled in")])
def test_a_notebook_holding_a_learners_work_is_named_not_run(tmp_path, monkeypatch,
                                                             work, counts):
    nb = _shipped()
    if work == "filled":
        first = next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))
        first.source = _fill(first.source)
    else:   # only run, nothing filled in: Jupyter saves the outputs all the same
        cell = next(c for c in nb.cells if c.cell_type == "code")
        cell.execution_count = 1
    worked = tmp_path / NOTEBOOK.name
    nbformat.write(nb, worked)
    monkeypatch.setattr(sys.modules[__name__], "NOTEBOOK", worked)
    with pytest.raises(pytest.fail.Exception, match=rf"\({counts}\).*my_planar_classification"
                                                    r"\.ipynb.*git checkout notebooks/"):
        _shipped()


def test_a_cost_left_as_an_array_is_told_to_be_one_number(tmp_path):
    # without the sum, the scaffold's float(np.squeeze(cost)) raised numpy's "only
    # 0-dimensional arrays can be converted to Python scalars", on a line not the learner's
    nb = _shipped()
    check = next(i for i, c in enumerate(nb.cells) if c.source.startswith("def check_cost("))
    nb.cells = nb.cells[:check + 1]
    no_sum = "cost = -(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m"
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source, compute_cost=no_sum)
    with pytest.raises(CellExecutionError,
                       match=r"compute_cost: J is one number, .*; yours has shape \(1, 400\)"):
        _run(nb, tmp_path)


def test_a_forward_pass_written_as_the_course_has_it_with_sigmoid_passes(tmp_path):
    # the course's notebook imports sigmoid and its learners write A2 = sigmoid(Z2):
    # here that stopped the check with NameError: name 'sigmoid' is not defined
    text = _forward_check(tmp_path, "Z1 = np.dot(W1, X) + b1\nA1 = np.tanh(Z1)\n"
                                    "Z2 = np.dot(W2, A1) + b2\nA2 = sigmoid(Z2)")
    assert text.count(": ok") == 8, text


_RIGHT_COSTS = {
    "the solution": SOLUTIONS["compute_cost"],
    "np.mean": "cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))",
    "the course's np.dot": "cost = -(np.dot(Y, np.log(A2).T) + np.dot(1 - Y, np.log(1 - A2).T)) / m",
    "a guard against log 0": "cost = -np.sum(Y * np.log(A2 + 1e-8) + (1 - Y) * np.log(1 - A2 + 1e-8)) / m",
    # the graph's A[2] is read-only: this raised "assignment destination is read-only"
    "a guard written in place": "A2[A2 < 1e-15] = 1e-15\n"
                                "cost = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m",
}
_WRONG_COSTS = {
    "no minus sign": "cost = np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m",
    "a sum without /m": "cost = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))",
    "log(A2) only": "cost = -np.sum(Y * np.log(A2)) / m",
    "Y and 1 - Y swapped": "cost = -np.sum((1 - Y) * np.log(A2) + Y * np.log(1 - A2)) / m",
    "log10": "cost = -np.sum(Y * np.log10(A2) + (1 - Y) * np.log10(1 - A2)) / m",
    "1/m in integers": "cost = -(1 // m) * np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))",
}


def test_the_cost_check_says_ok_to_a_right_cost_and_wrong_to_each_slip(tmp_path):
    # the cell printed "yours -0.693048, minigrad's J 0.693048" and no verdict, unlike
    # the forward and backward checks: a learner had to compare the numbers by eye
    nb = _shipped()
    check = next(i for i, c in enumerate(nb.cells) if c.source.startswith("def check_cost("))
    exercise = next(c.source for c in nb.cells if "### YOUR CODE (compute_cost)" in c.source)
    nb.cells = nb.cells[:check + 1]
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source)
    costs = {**_RIGHT_COSTS, **_WRONG_COSTS}
    for body in costs.values():   # one kernel: each cost defined, then the check cell again
        nb.cells += [nbformat.v4.new_code_cell(_fill(exercise, compute_cost=body)),
                     nbformat.v4.new_code_cell(nb.cells[check].source)]
    nb = _run(nb, tmp_path)
    checks = nb.cells[check + 2::2]
    for (name, body), cell in zip(costs.items(), checks):
        text = "".join(o.get("text", "") for o in cell.outputs)
        lines = text.splitlines()
        assert len(lines) == 2 and all("cost vs J: " in line for line in lines), (name, text)
        start = lines[0]
        assert start.startswith("the course's start: cost vs J: ") and \
            start.endswith("expected 0.693048)"), (name, text)
        if name in _RIGHT_COSTS:
            assert text.count(": ok (yours") == 2, (name, text)
            assert "(yours 0.693048, expected 0.693048)" in start, (name, text)
        else:
            assert "WRONG" in text and ": ok" not in text, (name, text)


def test_the_slip_example_shows_its_own_slip_whatever_the_learners_backward(tmp_path):
    # the example started from the learner's backward_propagation: a learner without the
    # 1/m in dW2 saw the example's report say "first wrong at dW2, db2, dW1 and db1: more
    # than one error", and one whose cell still raised NotImplementedError saw it fail too
    nb = _shipped()
    example = next(i for i, c in enumerate(nb.cells) if "def backward_with_a_slip(" in c.source)
    nb.cells = nb.cells[:example + 1]
    no_1_over_m = SOLUTIONS["backward_propagation"].replace(
        "dW2 = (1 / m) * dZ2 @ A1.T", "dW2 = dZ2 @ A1.T")
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = _fill(cell.source, backward_propagation=no_1_over_m)
    nb = _run(nb, tmp_path)
    mine = "".join(o.get("text", "") for o in nb.cells[example - 2].outputs)
    assert re.search(r"^dW2 .* WRONG", mine, re.M), mine   # the learner's report has it
    text = "".join(o.get("text", "") for o in nb.cells[example].outputs)
    # gradient, node, (shape), difference, verdict
    verdicts = dict(re.findall(r"^(d[WbZA]\d) +\S+ +\([^)]*\) +\S+ +(\w+)", text, re.M))
    assert verdicts == {"dA2": "missing", "dZ2": "missing", "dW2": "ok", "db2": "ok",
                        "dA1": "missing", "dZ1": "missing", "dW1": "WRONG", "db1": "WRONG"}, text
    assert "g′ evaluated on A1 instead of Z1" in text, text
