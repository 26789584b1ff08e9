"""`minigrad check --hand FILE.py:FUNC`: a learner's own file, checked from the
command line (in-process through cli.main, as tests/test_cli.py does, and once
through a real process for the exit code). The course's file as written passes;
each classic slip exits 1 with the slip named; a file that cannot be used is
one line on stderr and exit code 2."""
import contextlib
import io
import re
import subprocess
import sys
import textwrap

import pytest

from nets import cli
from tests import course_code
from tests.checkout import child_env
from tests.test_course import COURSE_SLIPS


def check(*args: str) -> tuple:
    """cli.main(["check", *args]) in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", *args])
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("minigrad: error: "), err
    assert "Traceback" not in err, err
    return lines[0]


def write(tmp_path, text: str, name: str = "mywork.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- the course's file -----------------------------------------------------------------

def test_the_course_file_as_written_passes_with_exit_0(tmp_path):
    path = write(tmp_path, course_code.source())
    code, out, err = check("--hand", f"{path}:backward_propagation")
    assert (code, err) == (0, ""), err
    lines = out.splitlines()
    assert lines[0].startswith("check_backprop: backward_propagation vs autograd on m = 10"), out
    assert lines[1].split()[:2] == ["gradient", "node"] and "numerical" in lines[1], out
    assert lines[-1] == ("all 4 returned nodes agree with autograd "
                         "(not returned: dA2, dZ2, dA1, dZ1)"), out


def test_the_function_name_defaults_to_backward_propagation(tmp_path):
    path = write(tmp_path, course_code.source())
    assert check("--hand", str(path))[0] == 0


@pytest.mark.parametrize("slip", list(COURSE_SLIPS))
def test_each_classic_slip_exits_1_naming_the_wrong_gradients_and_the_slip(tmp_path, slip):
    path = write(tmp_path, course_code.source(slip))
    code, out, err = check("--hand", f"{path}:backward_propagation")
    wrong, diagnosis, _ = COURSE_SLIPS[slip]
    assert (code, err) == (1, ""), err
    # the default net of `check` has the course's sizes (n_x = 2, n_h = 4, m = 10)
    assert out.splitlines()[-len(diagnosis):] == diagnosis, out


def test_a_hand_in_the_notes_convention_is_checked_too(tmp_path):
    path = write(tmp_path, textwrap.dedent('''\
        import numpy as np

        def my_backprop(params, X, Y):
            m = X.shape[1]
            A1 = np.tanh(params["W[1]"] @ X + params["b[1]"])
            A2 = 1 / (1 + np.exp(-(params["W[2]"] @ A1 + params["b[2]"])))
            dZ2 = A2 - Y
            return {"Z[2]": dZ2, "W[2]": dZ2 @ A1.T,   # the 1/m forgotten
                    "b[2]": np.sum(dZ2, axis=1, keepdims=True) / m}
        '''))
    code, out, _ = check("--hand", f"{path}:my_backprop")
    assert code == 1, out
    assert "first wrong at W[2]\nlikely slip: dW[2] without the 1/m" in out, out


def test_a_b_left_out_of_the_forward_pass_is_caught_as_biases_are_drawn(tmp_path):
    # the course starts at b = 0, where Z1 = W1 X agrees with Z1 = W1 X + b1:
    # `check` draws its biases, so the slip shows, and nothing says "0 here"
    path = write(tmp_path, textwrap.dedent('''\
        import numpy as np

        def my_backprop(params, X, Y):
            m = X.shape[1]
            A1 = np.tanh(params["W[1]"] @ X)   # + b1 forgotten
            A2 = 1 / (1 + np.exp(-(params["W[2]"] @ A1 + params["b[2]"])))
            dZ2 = A2 - Y
            return {"W[2]": dZ2 @ A1.T / m, "b[2]": np.sum(dZ2, axis=1, keepdims=True) / m}
        '''))
    code, out, _ = check("--hand", f"{path}:my_backprop")
    assert code == 1 and "WRONG" in out, out
    code, out, _ = check("--hand", str(write(tmp_path, course_code.source(), "right.py")))
    assert code == 0 and "0 here" not in out, out


def test_the_round_off_note_names_gradients_as_the_file_does(tmp_path):
    path = write(tmp_path, course_code.source())
    code, out, _ = check("--hand", str(path), "--scale", "0.01")   # db1's entries near 1e-7
    note = out.splitlines()[-1]
    assert code == 0 and note.startswith("note: autograd vs numerical exceeds 2e-07 for db1 "), out


@pytest.mark.parametrize("call", ["exit()", "sys.exit(0)", "sys.exit(1)"])
def test_a_function_that_calls_exit_fails_with_one_line_never_a_silent_pass(tmp_path, call):
    path = write(tmp_path, f"import sys\n\ndef backward_propagation(parameters, cache, X, Y):\n"
                           f"    {call}\n")
    code, out, err = check("--hand", str(path))
    assert code == 1 and out == "", out
    assert "called exit()" in one_error_line(err) and call in err, err


def test_the_file_finds_the_modules_beside_it(tmp_path):
    # the course's notebook imports planar_utils and testCases from its folder
    write(tmp_path, "def tanh_prime(A1):\n    return 1 - A1 ** 2\n", "planar_utils.py")
    source = course_code.source().replace(
        "import numpy as np", "import numpy as np\nfrom planar_utils import tanh_prime")
    path = write(tmp_path, source.replace("(1 - np.power(A1, 2))", "tanh_prime(A1)"))
    assert check("--hand", str(path))[0] == 0
    assert str(tmp_path) not in sys.path


def test_a_real_process_exits_1_for_a_slip(tmp_path):
    path = write(tmp_path, course_code.source("missing 1/m"))
    done = subprocess.run([sys.executable, "-m", "nets", "check", "--hand", str(path)],
                          capture_output=True, text=True, cwd=tmp_path, env=child_env())
    assert done.returncode == 1 and done.stderr == "", done.stderr
    assert "likely slip: no 1/m in any dW, db" in done.stdout, done.stdout


# --- files that cannot be used: exit 2, one line ----------------------------------------------

@pytest.mark.parametrize("text, spec, expected", [
    (None, "missing.py", "no such file"),
    ("def backward_propagation(:\n", "", "importing .* failed: SyntaxError"),
    ("import planar_utils_not_here\n", "", "failed: ModuleNotFoundError: No module named "
                                           "'planar_utils_not_here'; 'planar_utils_not_here' is "
                                           "neither beside mywork.py nor installed: a course "
                                           "helper file \\(planar_utils_not_here.py\\) goes in "),
    # a cell saved from the course's notebook with its Jupyter lines
    ("import numpy as np\n%matplotlib inline\n", "",
     "SyntaxError: .*; line 2, '%matplotlib inline', is a Jupyter command, not Python: "
     "delete it from the .py file"),
    ("!pip install numpy\n", "", "line 1, '!pip install numpy', is a Jupyter command"),
    ("raise SystemExit('bye')\n", "", "failed: SystemExit: bye"),
    (course_code.SOURCE, ":backprop", "has no function 'backprop'; it defines "
                                      "backward_propagation, forward_propagation, sigmoid"),
    (course_code.SOURCE, ":forward_propagation",
     r"forward_propagation\(X, parameters\) takes 2 parameters; expected hand\(params, X, Y\) "
     r"or the course's backward_propagation\(parameters, cache, X, Y\)"),
    (course_code.SOURCE, ":not a name", "'not a name' is not a function name"),
    # a FUNC with no file before it: was "no such file '.'"
    ("", "<none>:backward_propagation", "no file given; expected FILE.py:FUNC"),
])
def test_a_file_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, text, spec, expected):
    path = tmp_path / "mywork.py" if text is None else write(tmp_path, text)
    target = (str(tmp_path / "missing.py") if spec == "missing.py"
              else spec.replace("<none>", "") if spec.startswith("<none>") else f"{path}{spec}")
    code, out, err = check("--hand", target)
    assert code == 2 and out == "", (out, err)
    line = one_error_line(err)
    assert line.startswith(f"minigrad: error: --hand {target}: "), line
    assert re.search(expected, line), line


# --- paths as a learner's machine has them ---------------------------------------------

@pytest.mark.parametrize("spec, parsed", [
    # a Windows drive's colon separates no FUNC: C:\work\hw was ("C", "\work\hw"),
    # "not a function name", where no such file was meant
    (r"C:\work\hw.py:backward_propagation", (r"C:\work\hw.py", "backward_propagation")),
    (r"C:\work\hw.py", (r"C:\work\hw.py", "backward_propagation")),
    (r"C:\作业 一\hw.py:hand", (r"C:\作业 一\hw.py", "hand")),
    (r"C:\work\hw", (r"C:\work\hw", "backward_propagation")),
    ("C:/work/hw.ipynb", ("C:/work/hw.ipynb", "backward_propagation")),
    # Windows names files without regard to case: HW.PY was split at a drive's colon
    (r"D:\HW.PY", (r"D:\HW.PY", "backward_propagation")),
    (r"\\server\share\hw.py:f", (r"\\server\share\hw.py", "f")),
    ("hw.py:f", ("hw.py", "f")), ("hw.py", ("hw.py", "backward_propagation")),
    ("dir:x/hw.py", ("dir:x/hw.py", "backward_propagation")), (":f", ("", "f")),
])
def test_the_spec_is_split_at_the_colon_before_func_only(spec, parsed):
    from nets.course import split_spec
    assert split_spec(spec) == parsed


def test_a_file_in_a_folder_with_chinese_and_spaces_is_checked(tmp_path):
    folder = tmp_path / "深度 学习" / "第 3 周"
    folder.mkdir(parents=True)
    path = write(folder, course_code.source("transposed dW1"), name="我的 作业.py")
    code, out, err = check("--hand", f"{path}:backward_propagation")
    assert (code, err) == (1, ""), err
    assert re.search(r"^dW1 .* WRONG", out, flags=re.M), out


def test_a_file_named_in_capitals_is_imported(tmp_path):
    # was: "cannot import '.../HW.PY': not a Python file" (importlib knows ".py" only)
    path = write(tmp_path, course_code.source(), name="HW.PY")
    code, out, err = check("--hand", f"{path}:backward_propagation")
    assert (code, err) == (0, ""), err


def test_a_file_saved_as_gbk_is_told_to_be_saved_as_utf8(tmp_path):
    # Notepad's "ANSI" on a Chinese Windows: Python reads source as UTF-8
    text = course_code.source().replace("m = X.shape[1]", 'm = X.shape[1]  # 样本数\n    note = "作业"')
    path = tmp_path / "作业.py"
    path.write_bytes(text.encode("gbk"))
    code, out, err = check("--hand", str(path))
    assert code == 2 and out == "", out
    assert one_error_line(err).endswith(
        "; the file is not UTF-8 (saved as GBK or \"ANSI\"?): save it as UTF-8 in your "
        "editor, or make its first line # -*- coding: gbk -*-"), err
    # and the advice works
    path.write_bytes(b"# -*- coding: gbk -*-\n" + text.encode("gbk"))
    assert check("--hand", str(path))[:3:2] == (0, "")


def test_a_function_that_raises_is_one_line_with_its_own_line_and_exit_1(tmp_path):
    path = write(tmp_path, course_code.source().replace("np.dot(W2.T, dZ2)", "np.dot(W2, dZ2)"))
    code, out, err = check("--hand", str(path))
    assert code == 1 and out == "", out
    line = one_error_line(err)
    assert "backward_propagation raised ValueError" in line, line
    assert "parameters {W1 (4, 2), b1 (4, 1), W2 (1, 4), b2 (1, 1)}" in line, line
    assert line.endswith("at mywork.py line 47: dZ1 = np.dot(W2, dZ2) * "
                         "(1 - np.power(A1, 2))"), line


def test_a_function_that_returns_no_dict_is_one_line_and_exit_1(tmp_path):
    source = course_code.source().replace("    return grads", "    return dW1, db1, dW2, db2")
    code, out, err = check("--hand", str(write(tmp_path, source)))
    assert code == 1, out
    assert "backward_propagation must return a dict" in one_error_line(err) \
        and "got tuple" in err, err


def test_scale_100_is_checked_without_warnings_and_a_zero_gradient_fails(tmp_path):
    # issue 11: at scale 100 a hand returning 0 for dA2 passed, and warnings leaked
    code, out, err = check("--scale", "100")
    assert (code, err) == (0, ""), err
    assert "all 8 nodes agree with autograd" in out.splitlines(), out
    path = write(tmp_path, textwrap.dedent('''\
        import numpy as np

        def hand(params, X, Y):
            return {"A[2]": np.zeros((1, X.shape[1]))}
        '''))
    code, out, err = check("--scale", "100", "--hand", f"{path}:hand")
    assert (code, err) == (1, ""), err
    assert re.search(r"^A\[2\] .*WRONG", out, re.M), out


# --- a saturated output ------------------------------------------------------------------

COURSE_DA2 = textwrap.dedent('''\
    import numpy as np

    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
        dA2 = -(Y / A2) + (1 - Y) / (1 - A2)
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        return {"dA2": dA2, "dW2": dW2, "dW1": (1 / m) * np.dot(dZ1, X.T)}
''')


def test_the_courses_dA2_at_a_saturated_output_is_explained_without_numpy_warnings(tmp_path):
    path = write(tmp_path, COURSE_DA2)
    code, out, err = check("--hand", str(path), "--scale", "10")
    assert (code, err) == (1, ""), err   # numpy's RuntimeWarnings stay out of stderr
    assert "dA2 holds nan or inf (yours) where A2 is exactly 0 or 1 in float64" in out, out
    assert "compute dZ2 = A2 − Y directly" in out and "no classic slip" not in out, out
    # "in divide" or, with older numpy, "in true_divide"
    assert re.fullmatch(r"note: warnings while the check ran: divide by zero encountered "
                        r"in \w+ \(mywork.py line 6\); invalid value encountered in \w+ "
                        r"\(mywork.py line 6\)", out.splitlines()[-1]), out


def test_the_courses_dA2_at_scale_1_agrees(tmp_path):
    path = write(tmp_path, COURSE_DA2)
    code, out, err = check("--hand", str(path))
    assert (code, err) == (0, ""), out + err
    assert "warnings while the check ran" not in out, out


def test_the_learners_own_warning_is_not_said_to_be_numpys(tmp_path):
    source = course_code.source().replace(
        "    m = X.shape[1]", "    import warnings\n    warnings.warn('my note', RuntimeWarning)\n"
        "    m = X.shape[1]", 1)
    code, out, err = check("--hand", str(write(tmp_path, source)))
    assert (code, err) == (0, ""), out + err
    assert "numpy" not in out.splitlines()[-1], out
    assert re.fullmatch(r"note: warnings while the check ran: my note \(mywork.py line \d+\)",
                        out.splitlines()[-1]), out


def test_warnings_before_a_raise_are_said_and_stderr_keeps_one_line(tmp_path):
    source = course_code.source().replace(
        "    m = X.shape[1]", "    m = X.shape[1]\n    np.log(-X[:1, :1])", 1).replace(
        "np.dot(W2.T, dZ2)", "np.dot(W2, dZ2)")
    code, out, err = check("--hand", str(write(tmp_path, source)))
    assert code == 1, out + err
    assert "backward_propagation raised ValueError" in one_error_line(err), err
    assert re.fullmatch(r"note: warnings while the check ran: invalid value encountered in log "
                        r"\(mywork.py line \d+\)", out.strip()), out


def test_formulas_for_relu_checked_on_the_default_tanh_net_are_told_how_to_check_them(tmp_path):
    # the assignment done for a relu layer, checked as the docs show it (no --activation):
    # the net is tanh, so WRONG; the report says whose g′ the numbers are, and the flag
    path = write(tmp_path, course_code.written_for("relu"))
    assert check("--hand", str(path), "--activation", "relu")[0] == 0
    code, out, err = check("--hand", str(path))
    assert (code, err) == (1, ""), err
    assert "likely slip: relu′ (1 where Z1 > 0) in place of tanh′ (1 − A1²)" in out, out
    assert "--activation relu" in out and "no classic slip" not in out, out


def test_a_leaky_relu_file_for_alpha_001_on_another_alpha_is_told_to_pass_alpha(tmp_path):
    # the assignment done for leaky relu (0.01 written in), checked with --alpha 0.2
    path = write(tmp_path, course_code.written_for("leaky_relu"))
    code, out, err = check("--activation", "leaky_relu", "--alpha", "0.2", "--hand", str(path))
    assert (code, err) == (1, ""), out + err
    assert "likely slip: leaky relu′ with α = 0.01 in place of the net's α = 0.2" in out, out
    assert "(minigrad check --activation leaky_relu --alpha 0.01;" in out, out
    assert check("--activation", "leaky_relu", "--hand", str(path))[0] == 0


def test_a_warning_given_twice_is_said_once(tmp_path):
    source = course_code.source().replace(
        "    m = X.shape[1]", "    import warnings\n    for _ in range(2):\n"
        "        warnings.warn('my note', RuntimeWarning)\n    m = X.shape[1]", 1)
    code, out, err = check("--hand", str(write(tmp_path, source)))
    assert (code, err) == (0, ""), out + err
    assert re.fullmatch(r"note: warnings while the check ran: my note \(mywork.py line \d+\)",
                        out.splitlines()[-1]), out


def test_a_warning_that_is_not_a_runtime_warning_is_given_again_as_python_gives_it(tmp_path):
    source = course_code.source().replace(
        "    m = X.shape[1]",
        "    import warnings\n    warnings.warn('old API', DeprecationWarning)\n"
        "    m = X.shape[1]", 1)
    with pytest.warns(DeprecationWarning, match="old API"):
        code, out, err = check("--hand", str(write(tmp_path, source)))
    assert (code, err) == (0, "") and "warnings while the check ran" not in out, out + err


def test_the_gbk_hint_is_only_for_a_file_that_is_not_utf8(tmp_path):
    # a GBK file with its coding line and a slip of syntax; a UTF-8 file whose name has
    # utf-8 in it (the SyntaxError names it): neither is told to be saved as UTF-8
    broken = course_code.source().replace("m = X.shape[1]",
                                          'm = X.shape[1]  # 样本数\n    m = (', 1)
    gbk = tmp_path / "作业.py"
    gbk.write_bytes(b"# -*- coding: gbk -*-\n" + broken.encode("gbk"))
    utf8 = tmp_path / "hw-utf-8.py"
    utf8.write_text(broken, encoding="utf-8")
    for path in (gbk, utf8):
        code, out, err = check("--hand", str(path))
        line = one_error_line(err)
        assert code == 2 and "SyntaxError" in line and "not UTF-8" not in line, line


def test_a_file_that_cannot_be_read_again_gets_no_encoding_hint(tmp_path):
    from nets.course import _is_utf8

    assert _is_utf8(tmp_path / "gone.py") and _is_utf8(tmp_path)   # no such file, a folder
    gbk = tmp_path / "gbk.py"
    gbk.write_bytes("# 作业\n".encode("gbk"))
    assert not _is_utf8(gbk)


def test_an_error_in_a_helper_names_the_helper_s_line(tmp_path):
    # the deepest line of the learner's file is where it went wrong, not the call
    source = course_code.source().replace(
        "    m = X.shape[1]", "    m = X.shape[1] + _scale()", 1) + \
        "\n\ndef _scale():\n    return 1 / 0\n"
    code, out, err = check("--hand", str(write(tmp_path, source)))
    line = one_error_line(err)
    number = source.splitlines().index("    return 1 / 0") + 1
    assert code == 1 and f" at mywork.py line {number}: return 1 / 0" in line, line


def test_a_name_error_in_a_py_file_gets_no_notebook_advice(tmp_path):
    source = course_code.source().replace("    m = X.shape[1]", "    m = X.shape[1] * scale", 1)
    line = one_error_line(check("--hand", str(write(tmp_path, source)))[2])
    assert "NameError: name 'scale' is not defined" in line and "notebook" not in line, line


@pytest.mark.parametrize("spec", ["./mywork.py", "sub/../mywork.py"])
def test_a_relative_spec_still_names_the_line(tmp_path, monkeypatch, spec):
    (tmp_path / "sub").mkdir()
    write(tmp_path, course_code.source().replace("np.dot(W2.T, dZ2)", "np.dot(W2, dZ2)"))
    monkeypatch.chdir(tmp_path)
    line = one_error_line(check("--hand", spec)[2])
    assert " at mywork.py line " in line, line
