"""The `minigrad` command line: through a real process (exit codes, output,
files) where that is the point, through `main([...])` in-process where faster."""
import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import nets
from nets import cli, experiments
from tests.checkout import child_env
from tests.test_plots import png_size

COMMANDS = ["demo", "train", "draw", "check", "experiment", "figure"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m nets ARGS` with stdout and stderr as pipes (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "nets", *args], cwd=cwd, env=child_env(),
                          capture_output=True, text=True, timeout=None)


def assert_one_error_line(err: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("minigrad: error: "), err
    assert "Traceback" not in err, err


def cost_lines(out: str) -> dict:
    return {int(i): float(J) for i, J in
            re.findall(r"^Cost after iteration (\d+): (\d+\.\d{6})$", out, flags=re.M)}


def accuracy_line(out: str) -> float:
    found = re.findall(r"^Accuracy: (\d+\.\d\d)%$", out, flags=re.M)
    assert len(found) == 1, out
    return float(found[0])


# --- help ------------------------------------------------------------------------------

def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\b", out, flags=re.M), (command, out)


def _subparsers(parser):
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_of_every_command_has_help_text_shown_by_help(command, capsys):
    sub = _subparsers(cli.build_parser())[command]
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    for action in sub._actions:
        assert action.help, f"{command}: {action.option_strings or action.dest} has no help"
        for flag in action.option_strings:
            assert flag in out, (command, flag)


def test_the_console_script_and_python_dash_m_are_the_same_program(tmp_path):
    script = Path(sys.executable).with_name("minigrad")
    assert script.exists(), f"console script not installed next to {sys.executable}"
    a = subprocess.run([str(script), "--help"], capture_output=True, text=True, cwd=tmp_path,
                       env=child_env())
    b = run("--help", cwd=tmp_path)
    assert a.returncode == b.returncode == 0, (a.stderr, b.stderr)
    assert a.stdout == b.stdout and a.stdout.startswith("usage: minigrad "), a.stdout


# --- train -------------------------------------------------------------------------------

def test_train_prints_the_courses_first_cost_every_1000_iterations_and_the_accuracy(
        tmp_path):
    result = run("train", "--iterations", "2000", "--method", "hand", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    costs = cost_lines(result.stdout)
    assert list(costs) == [0, 1000, 2000], result.stdout
    assert costs[0] == 0.693048, costs               # the course's "Cost after iteration 0"
    assert costs[2000] < costs[1000] < costs[0], costs
    assert 80 < accuracy_line(result.stdout) <= 100, result.stdout
    assert result.stdout.rstrip().endswith("%"), result.stdout
    # not a terminal: no progress bar, nothing at all on stderr
    assert result.stderr == "", result.stderr


def test_train_for_0_iterations_prints_the_untrained_nets_cost(capsys):
    # it printed the accuracy alone: no step ran, so no step printed the cost
    assert cli.main(["train", "--iterations", "0"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Cost after iteration 0: 0.693048", out   # the course's
    assert list(cost_lines(out)) == [0] and accuracy_line(out) < 70, out
    assert cli.main(["train", "--iterations", "0", "--print-every", "0"]) == 0
    assert cost_lines(capsys.readouterr().out) == {}


def test_demo_for_0_iterations_says_its_net_is_untrained(tmp_path, capsys):
    assert cli.main(["demo", "--iterations", "0", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert list(cost_lines(out)) == [0], out
    assert "with the gradients of the untrained net)" in out, out


def test_train_by_replay_prints_autograds_run_exactly(tmp_path):
    # fit(method="replay") is autograd's trajectory bit for bit: the same lines
    args = ["train", "--iterations", "400", "--m", "60", "--print-every", "100",
            "--activation", "relu"]
    replay = run(*args, "--method", "replay", cwd=tmp_path)
    autograd = run(*args, "--method", "autograd", cwd=tmp_path)
    assert replay.returncode == autograd.returncode == 0, (replay.stderr, autograd.stderr)
    assert list(cost_lines(replay.stdout)) == [0, 100, 200, 300, 400], replay.stdout
    assert replay.stdout == autograd.stdout


def test_train_plot_writes_the_decision_boundary_and_prints_its_path(tmp_path):
    result = run("train", "--iterations", "50", "--m", "60", "--print-every", "0",
                 "--plot", "boundary.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert cost_lines(result.stdout) == {}, result.stdout
    assert "Wrote boundary.png" in result.stdout, result.stdout
    assert png_size(tmp_path / "boundary.png") == (720, 648)


def test_train_shows_a_progress_bar_only_on_a_terminal(capsys, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["train", "--iterations", "300", "--m", "40", "--method", "hand"]) == 0
    bar = terminal.getvalue()
    # tqdm redraws at most every 0.1 s and clears the bar at the end (leave=False),
    # so what is certain is the first frame
    assert "training:" in bar and "/300 [" in bar, repr(bar[-300:])
    out = capsys.readouterr().out
    assert "Cost after iteration 0:" in out and "Accuracy:" in out, out
    assert "/300 [" not in out, out                   # the bar stays off stdout


def test_train_with_other_options_runs_the_requested_net(capsys):
    argv = ["train", "--dataset", "moons", "--hidden", "3", "--activation", "leaky-relu",
            "--init", "he", "--seed", "5", "--m", "50", "--data-seed", "3",
            "--iterations", "200", "--lr", "0.5", "--print-every", "100"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert list(cost_lines(out)) == [0, 100, 200], out
    assert accuracy_line(out) > 70, out


def test_a_huge_cost_is_printed_in_a_few_digits_not_all_300(capsys):
    # %f, the course's format, writes every digit of a cost of 1e300
    assert cli.main(["train", "--scale", "1e300", "--iterations", "1", "--m", "20"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert re.fullmatch(r"Cost after iteration 0: \d\.\d+e\+\d+", line), line


def test_a_closed_pipe_ends_quietly(tmp_path):
    # 20,000 lines do not fit in a pipe's buffer, so writes after close must fail
    proc = subprocess.Popen([sys.executable, "-m", "nets", "train", "--iterations", "20000",
                             "--m", "20", "--method", "hand", "--print-every", "1"],
                            cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("Cost after iteration 0:")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 1, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


# --- bad arguments ---------------------------------------------------------------------------

BAD = [
    (["train", "--hidden", "-3"], "--hidden"),
    (["train", "--hidden", "0"], "--hidden"),
    (["train", "--hidden", "four"], "--hidden"),
    (["train", "--m", "1"], "--m"),
    (["train", "--iterations", "-1"], "--iterations"),
    (["train", "--lr", "0"], "--lr"),
    (["train", "--lr", "-1.2"], "--lr"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--scale", "inf"], "--scale"),
    (["train", "--activation", "softmax"], "sigmoid, tanh, relu, leaky_relu|'sigmoid', 'tanh'"),
    (["train", "--dataset", "iris"], "flower"),
    (["train", "--init", "ones"], "random"),
    (["train", "--method", "numerical"], "autograd"),
    (["experiment", "dropout"], "zero-init"),
    (["figure", "relu"], "activations"),
    (["draw", "--out", "graph.jpg"], r"\.png"),
    (["train", "--plot", "boundary.txt"], r"\.png"),
    (["train", "--plot", "missing/boundary.png"], "no directory"),
    (["draw", "--out", "missing/graph.png"], "no directory"),
    (["experiment", "linear", "--out", "missing/x.png"], "no directory"),
    (["train", "--unknown-flag"], "unrecognized"),
    # the help named was 'minigrad --help', which lists no flag of a command
    (["experiment", "linear", "--seed", "3"],
     r"unrecognized arguments: --seed 3; did you mean --data-seed\? \(see 'minigrad "
     r"experiment --help'\)"),
    (["experiment", "activations", "--iterations", "0"], "--iterations.*>= 1"),
    (["experiment", "init-scale", "--iterations", "0"], "--iterations.*>= 1"),
    (["experiment", "hidden-sizes", "--m", "100000000000"], "--m 100000000000.*TB"),
    (["train", "--hidden", "99999999999999999999"],
     r"--hidden 99999999999999999999 .*needs about 2\.6e\+24 bytes"),
    (["check", "--m", str(10**18)], r"--m 1000000000000000000.*needs about"),
    # initialize's own words ("initialize: scale 1e+308 makes the weights ... use a smaller
    # scale") named no flag
    (["train", "--scale", "1e308"],
     r"^minigrad: error: --scale 1e\+308: the weights, .* overflow float64; choose a smaller "
     r"--scale$"),
    (["check", "--scale", "1e308"], r"^minigrad: error: --scale 1e\+308: the weights, "),
    # check draws the biases randn * --scale too: "params['b[1]'] holds -inf" named no flag
    (["check", "--init", "he", "--scale", "1e308"],
     r"^minigrad: error: --scale 1e\+308: the biases, .* overflow float64; choose a smaller "
     r"--scale$"),
    (["train", "--scale", "1e200", "--activation", "relu"], r"--scale 1e\+200.*overflows"),
    (["train", "--plot", "/proc/x.png"], "cannot write '/proc/x.png'"),
    (["demo", "--out-dir", "/dev/null"], "--out-dir '/dev/null' is not a directory"),
    (["train", "--alpha", "0.3"], "--alpha .*leaky_relu"),
    # the notes write the learning rate α too
    (["train", "--alpha", "0.5"], "does not apply to --activation tanh; the learning rate α is "
                                  "--lr$"),
    (["draw", "--alpha", "0.5"], "does not apply to --activation tanh$"),   # draw has no --lr
    (["check", "--activation", "leaky_relu", "--alpha", "1e308"],
     r"--scale 1 with --alpha 1e\+308: .* overflows .*--alpha \(now 1e\+308; leaky_relu's "
     r"slope for z < 0 is usually 0\.01\)"),
    (["train", "--activation", "leaky_relu", "--alpha", "-1"], "--alpha: expected a number >= 0"),
    (["figure", "activation"], "activations"),
    (["check", "--hand", "."], r"--hand \.: '\.' is a folder; expected FILE\.py:FUNC"),  # not
    (["check", "--hand", ".:f"], r"--hand \.:f: '\.' is a folder"),            # "no such file"
    ([], "COMMAND"),
    # a flag minigrad does not take, and no command: it said only "the following arguments
    # are required: COMMAND", as if -v had been taken
    (["-v"], r"^minigrad: error: unrecognized arguments: -v; did you mean --version\? "
             r"\(see 'minigrad --help'\)$"),
    (["--verison"], r"unrecognized arguments: --verison; did you mean --version\?"),
    # before a command too: it said only "unrecognized arguments: -v (see 'minigrad train --help')"
    (["-v", "train"], r"^minigrad: error: unrecognized arguments: -v; did you mean --version\? "
                      r"\(see 'minigrad --help'\)$"),
    # a negative number in exponent form is a flag's value: "--lr: expected one argument"
    (["train", "--lr", "-1e-3"], r"argument --lr: expected a number > 0; got '-1e-3'"),
    (["train", "--iterations", "-1E3"], r"argument --iterations: expected an int >= 0; got '-1E3'"),
    (["train", "--lr", "-inf"], r"argument --lr: expected a finite number; got '-inf'"),
    # a number too small for float64: --scale 1e-400 trained from zero weights without a
    # word (the zero-init lesson, unasked), --lr 1e-400 said "expected a number > 0"
    (["train", "--scale", "1e-400"], r"^minigrad: error: argument --scale: '1e-400' is 0 in "
                                     r"float64 \(its smallest number > 0 is 5e-324\); write 0 "
                                     r"if 0 is meant \(see 'minigrad train --help'\)$"),
    (["train", "--lr", "−1e-999"], r"argument --lr: '−1e-999' is 0 in float64"),
    (["check", "--alpha", "0.000_1e-400", "--activation", "leaky_relu"],
     r"argument --alpha: '0.000_1e-400' is 0 in float64"),
    # a mistyped negative number is the flag's value too: "--lr: expected one argument", as
    # if none had been given
    (["train", "--lr", "-1e-3e"], r"argument --lr: expected a number; got '-1e-3e' \(see"),
    (["train", "--hidden", "-3x"], r"argument --hidden: expected an int >= 1; got '-3x' \(see"),
    (["train", "--scale", "-.5.", "--seed", "3"], r"argument --scale: expected a number; got "
                                                  r"'-\.5\.' \(see"),
    # after --, everything is a positional argument: -- took -1e-3 as its value, "ambiguous
    # option: --=-1e-3 could match --help, --version (see 'minigrad --help')"
    (["experiment", "--", "-1e-3"], r"^minigrad: error: argument NAME: invalid choice: '-1e-3' "
                                    r".*\(see 'minigrad experiment --help'\)$"),
    (["experiment", "--", "-1"], r"argument NAME: invalid choice: '-1' "),
    # a name not among the choices is quoted as typed: it was quoted as matched, '_1e3',
    # 'leaky_relux', 'foo-bar', a spelling nobody typed
    (["train", "--activation", "-1e3"], r"argument --activation: invalid choice: '-1e3' "
                                        r"\(choose from 'sigmoid', 'tanh', 'relu', 'leaky_relu', "
                                        r"'identity'\) \(see 'minigrad train --help'\)$"),
    (["train", "--activation", "Leaky-Relux"], r"invalid choice: 'Leaky-Relux' \(choose from "),
    (["experiment", "Foo_Bar"], r"argument NAME: invalid choice: 'Foo_Bar' \(choose from "
                                r"'zero-init', "),
    (["train", "--dataset", "Moon"], r"argument --dataset: invalid choice: 'Moon' \(choose "),
    # after the command: minigrad's own flag (-v), or a command's flag mistyped (--hiden);
    # it said only "unrecognized arguments: -v"
    (["train", "-v"], r"^minigrad: error: unrecognized arguments: -v; --version is minigrad's "
                      r"own, before the command: minigrad --version \(see 'minigrad train "
                      r"--help'\)$"),
    (["train", "--hiden", "3"], r"^minigrad: error: unrecognized arguments: --hiden 3; did you "
                                r"mean --hidden\? \(see 'minigrad train --help'\)$"),
    (["check", "--seed=3", "--actvation", "relu"], r"unrecognized arguments: --actvation relu; "
                                                   r"did you mean --activation\? \(see"),
    (["train", "--", "-1e-3"], r"^minigrad: error: unrecognized arguments: -- -1e-3 \(see "
                               r"'minigrad train --help'\)$"),
    (["train", "--lr", "--", "-1e-3"], r"^minigrad: error: argument --lr: expected one argument "),
    (["-x"], r"unrecognized arguments: -x; the flags of minigrad itself are -h, --help and "
             r"--version \(see"),
    # a command's flag before the command: its value was taken for the command
    (["--lr", "1", "train"], r"^minigrad: error: argument --lr: a command's flags go after the "
                             r"command: minigrad train --lr 1 \(see 'minigrad train --help'\)$"),
    (["--hidden=3", "draw"], r"argument --hidden: .* minigrad draw --hidden=3 \(see"),
    (["--iterations", "5"], r"argument --iterations: .* minigrad COMMAND --iterations 5 \(see "
                            r"'minigrad --help'\)"),
    (["--lr", "1", "demo"], r"unrecognized arguments: --lr \(see 'minigrad demo --help'\)"),
]


@pytest.mark.parametrize("argv, names", BAD, ids=[" ".join(a) or "none" for a, _ in BAD])
def test_bad_arguments_give_one_line_on_stderr_and_exit_code_2(argv, names, tmp_path,
                                                               monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert_one_error_line(err)
    assert re.search(names, err), (names, err)
    assert out == "", out                        # checked before any work
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


@pytest.mark.parametrize("argv", [["train", "--scale", "-1e-3"], ["train", "--sca", "-1e-3"]])
def test_a_negative_value_in_exponent_form_is_read_as_with_an_equals_sign(argv):
    # argparse took -1e-3 for a flag: "--scale: expected one argument"
    parsed = cli.build_parser().parse_args(argv)
    assert parsed.scale == -1e-3 and parsed == cli.build_parser().parse_args(
        ["train", "--scale=-1e-3"])


def test_no_flag_looks_like_a_negative_number():
    # after a flag, -3x is read as its mistyped value: right while no flag starts -digit
    parser = cli.build_parser()
    flags = [f for p in parser._parsers() for f in p._option_string_actions]
    assert not any(re.match(r"-\.?\d", f) for f in flags), flags


@pytest.mark.parametrize("minus", ["\u2212", "\uff0d"])   # −, and a Chinese IME's full-width －
def test_a_minus_sign_copied_from_a_page_reads_as_minus(minus):
    # it said "--scale: expected a number; got '−1e-3'", which a cp1252 or GBK console,
    # spelling − in ASCII, printed as "got '-1e-3'": a number, said not to be one
    parser = cli.build_parser()
    assert parser.parse_args(["train", "--scale", f"{minus}1e-3", "--seed", f"{minus}0",
                              "--alpha", f"{minus}0"]) == parser.parse_args(
        ["train", "--scale=-1e-3", "--seed", "0", "--alpha=-0"])
    code, err = main_with_stderr(["train", "--lr", f"{minus}1e-3"])
    assert code == 2 and err == (f"minigrad: error: argument --lr: expected a number > 0; got "
                                 f"'{minus}1e-3' (see 'minigrad train --help')\n"), err
    code, err = main_with_stderr(["train", "--hidden", f"{minus}3"])
    assert code == 2 and f"argument --hidden: expected an int >= 1; got -3 " in err, err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_of_a_command_written_before_it_is_told_where_it_goes(command):
    sub = _subparsers(cli.build_parser())[command]
    for action in sub._actions:
        for flag in action.option_strings:
            if flag in ("-h", "--help"):
                continue
            code, err = main_with_stderr([flag, "1", command])
            assert code == 2 and err == (f"minigrad: error: argument {flag}: a command's flags "
                                         f"go after the command: minigrad {command} {flag} 1 "
                                         f"(see 'minigrad {command} --help')\n"), err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_choice_of_a_command_is_taken_in_any_case(command):
    # --activation ReLU, --dataset Flower and an experiment's name were taken, --method Hand
    # was refused ("invalid choice: 'Hand'")
    parser = cli.build_parser()
    sub = _subparsers(parser)[command]
    name = next((a for a in sub._actions if a.dest == "name"), None)
    before = [next(iter(name.choices))] if name is not None else []
    for action in sub._actions:
        if action.choices is None:
            continue
        for choice in action.choices:
            for spelled in (choice.upper(), choice.title()):
                argv = [command, spelled] if not action.option_strings else \
                    [command, *before, action.option_strings[0], spelled]
                assert getattr(parser.parse_args(argv), action.dest) == choice, argv


def test_train_by_a_method_written_in_capitals_runs(capsys):
    assert cli.main(["train", "--method", "Hand", "--iterations", "1", "--m", "10",
                     "--print-every", "0"]) == 0
    assert capsys.readouterr().out.startswith("Accuracy: ")


def test_a_bad_argument_in_a_real_process_exits_2_without_a_traceback(tmp_path):
    result = run("train", "--activation", "softmax", cwd=tmp_path)
    assert result.returncode == 2, result
    assert_one_error_line(result.stderr)
    assert "valid" in result.stderr or "choose from" in result.stderr, result.stderr


def test_an_output_path_that_is_a_directory_exits_2(tmp_path):
    result = run("figure", "activations", "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2, result
    assert_one_error_line(result.stderr)


def main_with_stderr(argv: list) -> tuple:
    """cli.main(argv) in-process: (exit code, what it wrote to stderr). Not capsys:
    a function-scoped fixture is shared by every example of a hypothesis test."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = cli.main(argv)
    return code, stderr.getvalue()


@given(st.integers(max_value=0))
def test_any_hidden_size_below_one_is_refused(n_h):
    code, stderr = main_with_stderr(["train", "--hidden", str(n_h)])
    assert code == 2 and stderr.count("\n") == 1, stderr


@given(st.floats(max_value=0.0, allow_nan=False))
def test_any_learning_rate_at_or_below_zero_is_refused(lr):
    code, stderr = main_with_stderr(["train", "--lr", repr(lr)])
    assert code == 2 and "--lr" in stderr, stderr


def test_a_value_error_from_the_library_is_one_line_and_exit_code_2(monkeypatch, capsys):
    def refuse(name, **kwargs):
        raise ValueError("flower: m must be >= 2,\nat least one point per class; got 1")

    monkeypatch.setattr(nets.data, "load", refuse)
    assert cli.main(["train", "--iterations", "1"]) == 2
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "m must be >= 2, at least one point per class" in err, err


# --- draw and check ----------------------------------------------------------------------------

def test_draw_writes_the_graph_and_prints_its_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["draw", "--hidden", "3", "--out", "g.png", "--values", "--grads"]) == 0
    assert capsys.readouterr().out.strip() == "Wrote g.png"
    width, height = png_size(tmp_path / "g.png")
    assert width > 300 and height > 100, (width, height)


def test_draw_grads_runs_backward_and_shows_the_gradients(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["draw", "--out", "plain.dot"]) == 0
    assert cli.main(["draw", "--out", "grads.dot", "--grads"]) == 0
    plain, grads = (tmp_path / "plain.dot").read_text(), (tmp_path / "grads.dot").read_text()
    shown = re.compile(r"grad (\[|mean)")            # a node's gradient in its label
    assert shown.search(grads) and not shown.search(plain), grads
    assert "W<SUP>[1]</SUP>" in plain, plain


def test_check_prints_hand_vs_autograd_vs_numerical_per_node(capsys):
    assert cli.main(["check", "--activation", "relu", "--hidden", "5", "--m", "8"]) == 0
    out = capsys.readouterr().out
    for node in ("A[2]", "Z[2]", "W[2]", "b[2]", "A[1]", "Z[1]", "W[1]", "b[1]"):
        assert re.search(rf"^{re.escape(node)}\s", out, flags=re.M), (node, out)
    assert "numerical" in out and "autograd" in out, out


def test_check_exits_1_when_the_hand_formulas_are_wrong(monkeypatch, capsys):
    right = nets.TwoLayerNet.backprop

    def missing_the_one_over_m(self, X, Y):
        grads = dict(right(self, X, Y))
        grads["W[1]"] = grads["W[1]"] * X.shape[1]
        return grads

    monkeypatch.setattr(nets.TwoLayerNet, "backprop", missing_the_one_over_m)
    assert cli.main(["check", "--m", "8"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^W\[1\].*WRONG", out, flags=re.M), out


# --- experiment, figure, demo -------------------------------------------------------------------

def test_experiment_prints_its_table_and_writes_its_figure(tmp_path):
    result = run("experiment", "zero-init", "--iterations", "30", "--m", "40",
                 "--out", "z.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "max |W[1] row i - row 0|" in result.stdout, result.stdout
    assert result.stdout.rstrip().endswith("Wrote z.png"), result.stdout
    assert png_size(tmp_path / "z.png")[0] > 500
    assert result.stderr == "", result.stderr


@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
def test_an_experiment_by_replay_prints_what_autograd_prints(name, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.chdir(tmp_path)
    printed = []
    for method in ("replay", "autograd"):
        assert cli.main(["experiment", name, "--iterations", "20", "--m", "40",
                         "--method", method, "--out", "figure.png"]) == 0
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1]


def test_experiment_writes_name_png_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["experiment", "init_scale", "--iterations", "3", "--m", "20"]) == 0
    assert "Wrote init-scale.png" in capsys.readouterr().out
    assert png_size(tmp_path / "init-scale.png")[0] > 500


def test_figure_activations_writes_the_png_and_prints_its_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["figure", "activations"]) == 0
    assert capsys.readouterr().out.strip() == "Wrote figure-activations.png"
    assert png_size(tmp_path / "figure-activations.png") == (1320, 864)


def test_demo_trains_the_course_net_to_about_90_percent_and_writes_both_pictures(tmp_path):
    # the full course run, once: 10,000 iterations on the flower set
    result = run("demo", "--out-dir", "pictures", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    costs = cost_lines(out)
    assert costs[0] == 0.693048 and list(costs)[-1] == 10_000, costs
    assert costs[10_000] == pytest.approx(0.2186, abs=0.003), costs   # the course's ≈ 0.2186
    assert accuracy_line(out) > 88, out
    for name in ("graph.png", "boundary.png"):
        path = tmp_path / "pictures" / name
        assert f"Wrote {os.path.join('pictures', name)}" in out, out
        width, height = png_size(path)
        assert width > 400 and height > 200, (name, width, height)


# --- refused before any work: sizes, scales, outputs ---------------------------------------

def test_a_hidden_layer_the_machine_cannot_hold_is_refused_naming_flag_and_memory(
        monkeypatch):
    monkeypatch.setattr(cli, "_physical_memory", lambda: 8 * 10**9)
    code, err = main_with_stderr(["train", "--hidden", "100000000", "--iterations", "1"])
    assert code == 2, err
    assert_one_error_line(err)
    assert "--hidden 100000000 with --m 400" in err and "2.6 TB" in err, err
    assert "8.0 GB of memory" in err, err


def test_sizes_that_fit_are_accepted(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_physical_memory", lambda: 8 * 10**9)
    assert cli.main(["train", "--hidden", "50", "--iterations", "1", "--m", "10"]) == 0
    assert "Accuracy" in capsys.readouterr().out


def test_the_size_estimate_covers_the_arrays_a_training_step_holds():
    X, Y = nets.data.flower(m=40)
    net = nets.TwoLayerNet(2, 6)
    g = net.graph(X, Y)
    g.loss.backward()
    nodes = {id(t): t for root in g.roots for t in mg.topological_order(root)}.values()
    held = sum(t.data.nbytes + (0 if t.grad is None else t.grad.nbytes) for t in nodes) \
        + sum(p.nbytes for p in net.params.values())
    estimate = nets.network.graph_bytes(net.layer_dims, 40)
    assert held <= estimate <= 4 * held, (held, estimate)


def test_version_prints_the_package_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"minigrad {mg.__version__}"


def _says_install_graphviz_in_one_line(err: str) -> None:
    # DESIGN: the CLI fails with one clear line; a missing tool is a failed run (exit 1),
    # not a bad argument (2): the line names the tool and how to install it
    assert err.count("\n") == 1 and err.startswith("minigrad: error: "), err
    assert "Graphviz's `dot` is not on PATH" in err and "apt-get install graphviz" in err, err
    assert "save_graph" not in err, err                    # the CLI's words, not the API's


def test_demo_without_graphviz_fails_before_training_and_writes_nothing(
        tmp_path, without_dot, capsys):
    assert cli.main(["demo", "--out-dir", str(tmp_path / "out")]) == cli.FAILURE
    out, err = capsys.readouterr()
    assert out == "", out                                  # no training started
    _says_install_graphviz_in_one_line(err)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("outputs", [["--out", "g.png"], ["--out", "g.svg"],
                                     ["--animate", "b.gif"], ["--animate", "b.html"]])
def test_draw_without_graphviz_says_so_in_one_line_and_writes_nothing(
        outputs, tmp_path, without_dot, capsys):
    assert cli.main(["draw", "--m", "5", *[str(tmp_path / a) if "." in a else a
                                            for a in outputs]]) == cli.FAILURE
    _says_install_graphviz_in_one_line(capsys.readouterr().err)
    assert list(p.name for p in tmp_path.iterdir()) == ["no-dot-bin"]


def test_draw_writes_dot_text_without_graphviz(tmp_path, without_dot, capsys):
    assert cli.main(["draw", "--m", "5", "--out", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph"), capsys.readouterr()


def test_a_missing_python_package_is_one_line_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def no_matplotlib(*args, **kwargs):
        raise ImportError("plotting needs matplotlib:\n    pip install 'minigrad[plot]'")

    monkeypatch.setattr(cli.plots, "decision_boundary", no_matplotlib)
    assert cli.main(["train", "--iterations", "1", "--m", "5", "--plot", "b.png"]) == cli.FAILURE
    err = capsys.readouterr().err
    assert err == "minigrad: error: plotting needs matplotlib: pip install 'minigrad[plot]'\n"


@pytest.mark.parametrize("argv", [["train", "--iterations", "1", "--m", "5", "--plot"],
                                  ["figure", "activations", "--out"],
                                  ["experiment", "linear", "--iterations", "1", "--out"]])
def test_a_pgf_figure_without_its_tex_program_is_one_line_before_any_work(
        argv, tmp_path, monkeypatch, capsys):
    # matplotlib lists .pgf among its formats, but writes it by running xelatex
    # (rcParams["pgf.texsystem"]): without it, savefig raised a RuntimeError, a
    # traceback of ~100 lines after the whole training run
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cli.main([*argv, "b.pgf"]) == cli.FAILURE
    out, err = capsys.readouterr()
    assert out == "", out                                  # no training started
    assert err.count("\n") == 1 and err.startswith("minigrad: error: "), err
    assert "xelatex" in err and ".pdf" in err, err         # the tool, and what works without it
    assert list(tmp_path.iterdir()) == []


def test_alpha_reaches_the_net_of_the_command_line():
    args = cli.build_parser().parse_args(
        ["check", "--activation", "leaky-relu", "--alpha", "0.3", "--m", "6"])
    X, Y = cli._data(args)
    net = cli._net(args, X)
    assert net.activation.alpha == 0.3 and net.graph(X, Y).activations[1].alpha == 0.3


def test_the_figure_command_offers_the_figure_registry(capsys):
    parser = _subparsers(cli.build_parser())["figure"]
    name = next(a for a in parser._actions if a.dest == "name")
    assert list(name.choices) == list(cli.FIGURES)
    assert cli.main(["figure", "--help"]) == 0
    out = capsys.readouterr().out
    for figure in cli.FIGURES.values():
        assert figure.name in out and figure.summary[:30] in out, out


def test_check_explains_numerical_differences_that_are_only_round_off(capsys):
    # the course's scale 0.01: gradients of b[1], b[2] near 1e-7, J's rounding / 2ε near 1e-9
    assert cli.main(["check", "--scale", "0.01"]) == 0
    out = capsys.readouterr().out
    over = [line.split()[0] for line in out.splitlines()
            if re.match(r"^[AZWb]\[\d\]\s", line) and line.split()[-2] != "-"
            and float(line.split()[-2]) >= 2e-7]
    notes = [line for line in out.splitlines() if line.startswith("note:")]
    if over:
        assert len(notes) == 1 and all(name in notes[0] for name in over), out
        assert "round-off" in notes[0] and "--scale" in notes[0], notes
    else:
        assert notes == [], out


def test_check_at_a_huge_scale_blames_the_size_of_J_not_of_the_gradients(capsys):
    # it said "these gradients are too small to be checked that way" of gradients of about
    # 0.5 whose J of 1.4e150 was rounded to units of 1e134
    assert cli.main(["check", "--scale", "1e150"]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, notes
    assert "J is so large that its rounding swamps" in notes[0], notes
    assert "too small" not in notes[0] and "the default --scale) keep J small" in notes[0], notes


def test_check_at_the_courses_scale_says_its_gradients_are_too_small(capsys):
    # J = 0.69 and gradients near 1e-7 at scale 0.001: the other cause of the same note
    assert cli.main(["check", "--scale", "0.001"]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, notes
    assert "these gradients are too small" in notes[0] and "J is so large" not in notes[0], notes


def test_check_at_scale_1_needs_no_note(capsys):
    assert cli.main(["check"]) == 0
    assert "note:" not in capsys.readouterr().out


def test_a_learning_rate_that_makes_training_diverge_stops_with_one_line(capsys):
    # float64 overflows within a few steps: numpy would warn and print costs of inf
    code, err = main_with_stderr(["train", "--lr", "1e308", "--iterations", "50", "--m", "10",
                                  "--print-every", "0"])
    assert code == 2, err
    assert_one_error_line(err)
    assert re.search(r"training diverged at iteration \d+: .*--lr \(now 1e\+308\)", err), err


def test_a_leaky_slope_that_makes_training_diverge_is_named_with_the_others(capsys):
    # it said "try a smaller --lr or --scale" only: --alpha 100 (meant as 0.01?) went unnamed
    code, err = main_with_stderr(["train", "--activation", "leaky_relu", "--alpha", "1e100",
                                  "--iterations", "5", "--m", "10", "--print-every", "0"])
    assert code == 2, err
    assert_one_error_line(err)
    assert re.search(r"training diverged at iteration \d+: .*--lr \(now 1\.2\) or --scale, "
                     r"or --alpha \(now 1e\+100; ", err), err
    code, err = main_with_stderr(["train", "--activation", "leaky_relu", "--alpha", "0.5",
                                  "--lr", "1e308", "--iterations", "50", "--m", "10"])
    assert code == 2 and "training diverged" in err and "--alpha" not in err, err


def test_running_out_of_memory_is_one_line_naming_the_size_flags(monkeypatch):
    def exhausted(name, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(nets.data, "load", exhausted)
    code, err = main_with_stderr(["train", "--iterations", "1"])
    assert code == 2, err
    assert_one_error_line(err)
    assert "out of memory" in err and "--hidden" in err and "--m" in err, err


@given(st.integers(1, 10**30), st.integers(2, 10**30))
def test_any_size_beyond_the_memory_is_refused_naming_both_flags(n_h, m):
    memory = 8 * 10**9
    assume(nets.network.graph_bytes([2, n_h, 1], m) > memory)
    original = cli._physical_memory
    cli._physical_memory = lambda: memory
    try:
        code, err = main_with_stderr(["train", "--hidden", str(n_h), "--m", str(m)])
    finally:
        cli._physical_memory = original
    assert code == 2 and err.count("\n") == 1, err
    assert f"--hidden {n_h} with --m {m}" in err and "8.0 GB" in err, err


@pytest.mark.parametrize("n, text", [(0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 kB"),
                                     (2_560_000_000_000, "2.6 TB"),
                                     (10**18, "1.0 EB"), (2.6e24, "2.6e+24 bytes")])
def test_memory_is_shown_in_decimal_units(n, text):
    assert cli._bytes(int(n)) == text


@pytest.mark.parametrize("init", ["zeros", "xavier", "he"])
def test_a_scale_the_init_would_ignore_is_refused_not_dropped(init):
    code, err = main_with_stderr(["train", "--init", init, "--scale", "0.5", "--iterations", "1",
                                  "--m", "10"])
    assert code == 2 and err.startswith("minigrad: error: --scale sets the weights of --init "
                                        f"random (randn * scale) and --init constant; --init "
                                        f"{init} sets them without it"), err


def test_a_scale_with_random_or_constant_init_and_in_check_is_used(capsys):
    assert cli.main(["train", "--init", "constant", "--scale", "0.5", "--iterations", "1",
                     "--m", "10"]) == 0
    assert cli.main(["check", "--init", "he", "--scale", "0.5"]) == 0   # it scales the biases
    capsys.readouterr()


def test_grads_for_an_animation_alone_is_refused(tmp_path):
    code, err = main_with_stderr(["draw", "--m", "3", "--hidden", "2", "--grads",
                                  "--animate", str(tmp_path / "b.gif")])
    assert code == 2 and "--grads shows the gradients in the picture of --out" in err, err
    assert not (tmp_path / "b.gif").exists()


@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
def test_experiment_data_seed_draws_the_flower_again_as_the_python_api_does(
        name, tmp_path, monkeypatch, capsys):
    # the pages say which results hold beyond the course's flower; the command line
    # could only run that one draw
    monkeypatch.chdir(tmp_path)
    assert cli.main(["experiment", name, "--iterations", "20", "--m", "40",
                     "--data-seed", "3", "--out", "figure.png"]) == 0
    table = capsys.readouterr().out.rsplit("Wrote ", 1)[0]
    api = experiments.EXPERIMENTS[name].run(iterations=20, m=40, data_seed=3).table()
    assert table == f"{api}\n"
    assert table != f"{experiments.EXPERIMENTS[name].run(iterations=20, m=40).table()}\n"


@pytest.mark.parametrize("value", ["-1", "1.5", "4294967296"])
def test_experiment_data_seed_is_checked_as_the_other_seeds_are(value, capsys):
    # type=int let -1 through to the flower's RandomState, after the run began
    assert cli.main(["experiment", "linear", "--data-seed", value]) == 2
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "argument --data-seed: expected an int in [0, 2**32 - 1]" in err, err


def test_experiment_data_seed_defaults_to_the_courses_flower():
    import inspect
    from nets import experiments
    default = inspect.signature(experiments.activations).parameters["data_seed"].default
    assert cli.build_parser().parse_args(["experiment", "activations"]).data_seed == default == 1


def test_a_child_python_runs_this_checkouts_code_whatever_the_venv_installed(tmp_path, monkeypatch):
    # a venv shared with another clone (its editable install) made every `python -m
    # nets` of the suite run that clone's code, whatever this checkout said
    other = tmp_path / "other-clone"
    for package in ("nets", "minigrad"):
        (other / package).mkdir(parents=True)
        (other / package / "__init__.py").write_text("raise ImportError('the other clone')\n")
    monkeypatch.setenv("PYTHONPATH", str(other))
    code = "import nets, minigrad; print(nets.__file__); print(minigrad.__file__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=child_env())
    assert done.returncode == 0, done.stderr
    assert [Path(line).parent.parent for line in done.stdout.splitlines()] == [
        Path(nets.__file__).parent.parent] * 2, done.stdout
