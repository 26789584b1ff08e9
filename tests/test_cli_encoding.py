"""The command line on a stream that is not UTF-8: output redirected or piped on
Windows (`minigrad check > out.txt`, Git Bash, some IDE consoles) is encoded in
the locale's code page, cp936 (GBK) on a Chinese Windows, cp1252 on an English
one. Every command ran into UnicodeEncodeError there (on Ŷ, ᵀ, −, ‖, σ, ≈ ...)
and exited 2 as if the arguments were bad, or printed a traceback from --help.
Now what the stream cannot encode is spelled in ASCII (Ŷ -> Y_hat, ᵀ -> ^T,
‖ -> ||); a UTF-8 stream gets exactly the text it got before."""
import ast
import contextlib
import io
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nets import cli
from nets.cli import ASCII_ERRORS, ascii_spelling
from tests import course_code
from tests.checkout import child_env
from tests.strategies import printed_text

ROOT = Path(__file__).resolve().parent.parent
ENCODINGS = ["gbk", "cp1252", "ascii"]
COMMANDS = ["demo", "train", "draw", "check", "experiment", "figure"]


# --- the error handler ----------------------------------------------------------------

@pytest.mark.parametrize("text, spelled", [
    ("max |Ŷ - Ŷ of one unit|", "max |Y_hat - Y_hat of one unit|"),
    ("dZ1 = W2ᵀ dZ2 * (1 − A1²)", "dZ1 = W2^T dZ2 * (1 - A1^2)"),
    ("σ′(0) = 1/4", "sigma'(0) = 1/4"),
    ("‖dW[1]‖/‖W[1]‖", "||dW[1]||/||W[1]||"),
    ("∂J/∂W[1], ε = 1e-7, α", "dJ/dW[1], eps = 1e-7, alpha"),
    ("‖g - g̃‖₂ / (‖g‖₂ + ‖g̃‖₂)", "||g - g~||_2 / (||g||_2 + ||g~||_2)"),
    ("10⁻⁸, (a²)³, x₁₂", "10^-8, (a^2)^3, x_12"),   # one ^ or _ per run
    ("≈ 90%, seeds ≥ 85%, z ≤ 0, 10 × autograd", "~ 90%, seeds >= 85%, z <= 0, 10 x autograd"),
    ("✔ ✘ … —", "ok x ... --"),
    ("10⁺³, a₀", "10^+3, a_0"),
])
def test_the_notes_symbols_are_spelled_in_ascii(text, spelled):
    assert ascii_spelling(text) == spelled
    assert text.encode("ascii", ASCII_ERRORS) == spelled.encode("ascii")


def test_what_the_code_page_has_is_kept_and_only_the_rest_is_spelled():
    # GBK has ‖, σ and Chinese, not Ŷ, ᵀ, −, ² or ∂; cp1252 has ² and ×, not σ or ‖
    assert "‖dW‖ σ 权重 Ŷ W2ᵀ 1 − A1² ∂J".encode("gbk", ASCII_ERRORS) == \
        "‖dW‖ σ 权重 Y_hat W2^T 1 - A1^2 dJ".encode("gbk")
    assert "A1² × Ŷ σ ‖g‖".encode("cp1252", ASCII_ERRORS) == \
        "A1² × Y_hat sigma ||g||".encode("cp1252")


def test_a_character_without_a_spelling_is_its_python_escape_and_argv_bytes_stay_bytes():
    # a Chinese path on an ASCII stream: exact, if not pretty
    assert "作业/hw.py".encode("ascii", ASCII_ERRORS) == b"\\u4f5c\\u4e1a/hw.py"
    # undecodable bytes of argv reach Python as lone surrogates (surrogateescape)
    assert "a\udcd7\udcf7.py".encode("ascii", ASCII_ERRORS) == b"a\xd7\xf7.py"
    assert "\udc80\udcff".encode("ascii", ASCII_ERRORS) == b"\x80\xff"   # both ends


def test_a_superscript_after_one_the_code_page_has_gets_no_second_caret():
    # cp1252 has ² but not ⁴: x²⁴ is x to the 24th, x²4, not x²^4
    assert "x²⁴".encode("cp1252", ASCII_ERRORS) == "x²4".encode("cp1252")


def test_the_handler_is_for_encoding_only():
    with pytest.raises(UnicodeDecodeError):
        b"\xff".decode("utf-8", ASCII_ERRORS)


@given(printed_text(), st.sampled_from(ENCODINGS + ["latin-1"]))
def test_any_text_is_written_and_only_what_the_encoding_lacks_is_changed(text, encoding):
    expected = b""
    for i, c in enumerate(text):   # character by character, as the stream would have them
        if _encodable(c, encoding):
            expected += c.encode(encoding)
        elif "\udc80" <= c <= "\udcff":
            expected += bytes([ord(c) - 0xDC00])
        else:
            spelled = ascii_spelling(c, text[i - 1] if i else "")
            expected += spelled.encode("ascii") if spelled.isascii() else \
                c.encode("ascii", "backslashreplace")
    assert text.encode(encoding, ASCII_ERRORS) == expected


def _encodable(c: str, encoding: str) -> bool:
    try:
        c.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _printed_characters() -> set:
    """Every non-ASCII character of a string literal in nets/ and minigrad/, but the
    wide ones (汉字, ｗ: examples of a learner's names, not the notes' symbols).
    A test that cannot fail is a defect: this set holds Ŷ, ᵀ, σ, ‖ today."""
    found = set()
    for path in [*ROOT.joinpath("nets").glob("*.py"), *ROOT.joinpath("minigrad").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                # control and format characters, separators and surrogates are
                # never printed as they are (minigrad.table.visible escapes them)
                found |= {c for c in node.value if not c.isascii()
                          and unicodedata.east_asian_width(c) not in ("W", "F")
                          and unicodedata.category(c)[0] != "C"
                          and unicodedata.category(c) not in ("Zl", "Zp")}
    return found


def test_every_symbol_the_code_prints_has_an_ascii_spelling():
    # a symbol added to an output without a spelling would print as \u2016 on cp1252
    assert {"Ŷ", "ᵀ", "σ", "‖", "−"} <= _printed_characters()
    missing = sorted(c for c in _printed_characters() if not ascii_spelling(c).isascii())
    assert missing == [], [f"{c} U+{ord(c):04X}" for c in missing]


# --- the command line on such streams, in-process -------------------------------------

def run_on(encoding: str, *argv: str) -> tuple:
    """cli.main(argv) with stdout and stderr in ``encoding`` (errors as Python sets
    them: strict, and backslashreplace on stderr): (code, stdout, stderr, errors
    of the streams afterwards)."""
    raw_out, raw_err = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(raw_out, encoding=encoding, errors="strict")
    err = io.TextIOWrapper(raw_err, encoding=encoding, errors="backslashreplace")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    out.flush()
    err.flush()
    return (code, raw_out.getvalue().decode(encoding), raw_err.getvalue().decode(encoding),
            (out.errors, err.errors))


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_is_printed_whole(command, encoding):
    # was a traceback from argparse (exit 1): draw's ∂J/∂node, check's ε, train's α
    code, out, err, errors = run_on(encoding, command, "--help")
    assert (code, err) == (0, ""), err
    assert out.startswith(f"usage: minigrad {command}") and out.endswith("\n"), out
    assert errors == ("strict", "backslashreplace")   # the caller's streams as they were


def test_the_help_reads_in_ascii():
    assert "gradient dJ/dnode" in " ".join(run_on("ascii", "draw", "--help")[1].split())
    assert "learning rate alpha" in " ".join(run_on("ascii", "train", "--help")[1].split())
    assert "(~ 90%)" in " ".join(run_on("ascii", "demo", "--help")[1].split())


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_init_scale_prints_its_table(encoding, tmp_path):
    # was: minigrad: error: 'charmap' codec can't encode character '\u2016' (exit 2)
    code, out, err, _ = run_on(encoding, "experiment", "init-scale", "--iterations", "1",
                               "--m", "20", "--out", str(tmp_path / "s.png"))
    assert (code, err) == (0, ""), err
    header = out.splitlines()[0].split("  ")
    norm = "‖dW[1]‖" if encoding == "gbk" else "||dW[1]||"   # GBK has ‖
    assert norm in header and ("seeds ≥ 85%" if encoding == "gbk" else "seeds >= 85%") in \
        out.splitlines()[0], out
    assert out.splitlines()[-1] == f"Wrote {(tmp_path / 's.png')}", out


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_utf8_run_and_a_code_page_run_differ_only_by_the_spelling(encoding, tmp_path):
    argv = ["experiment", "zero-init", "--iterations", "2", "--m", "20",
            "--out", str(tmp_path / "z.png")]
    utf8 = run_on("utf-8", *argv)
    other = run_on(encoding, *argv)
    assert utf8[0] == other[0] == 0 and utf8[2] == other[2] == "", other[2]
    assert "Ŷ" in utf8[1] and "Y_hat" not in utf8[1], utf8[1]
    assert other[1] == utf8[1].replace("Ŷ", "Y_hat"), other[1]


def test_a_utf8_stream_is_left_exactly_as_it_was(capsys, tmp_path):
    argv = ["experiment", "init-scale", "--iterations", "1", "--m", "20",
            "--out", str(tmp_path / "s.png")]
    code, out, err, errors = run_on("utf-8", *argv)
    assert cli.main(argv) == code == 0
    assert out == capsys.readouterr().out and "‖dW[1]‖" in out, out
    assert errors == ("strict", "backslashreplace")


def test_stdout_and_stderr_one_stream_gets_its_errors_back():
    # before: the stream was changed twice, its errors saved as "strict" and then as
    # minigrad-ascii, and restored in that order: it kept minigrad-ascii after main()
    raw = io.BytesIO()
    both = io.TextIOWrapper(raw, encoding="cp1252", errors="strict")
    with contextlib.redirect_stdout(both), contextlib.redirect_stderr(both):
        assert cli.main(["train", "--activation", "σ"]) == 2
    assert both.errors == "strict"
    both.flush()
    assert b"invalid choice: 'sigma'" in raw.getvalue()


def test_two_mains_at_once_keep_the_spelling_until_the_last_ends():
    # main() in two threads: before, the first to end gave the stream back its strict
    # errors while the other still printed (UnicodeEncodeError half-way), and the
    # other then left minigrad-ascii on it for good
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors="strict")
    with contextlib.redirect_stdout(stream):
        first, second = cli._readable_streams(), cli._readable_streams()
        first.__enter__()
        second.__enter__()
        assert stream.errors == ASCII_ERRORS
        first.__exit__(None, None, None)
        assert stream.errors == ASCII_ERRORS
        print("Ŷ")   # the second still prints
        second.__exit__(None, None, None)
    assert stream.errors == "strict"


def test_a_command_that_raises_gives_the_streams_back(monkeypatch):
    def broken(args):
        raise RuntimeError("a bug")
    monkeypatch.setitem(cli.COMMANDS, "figure", broken)
    stream = io.TextIOWrapper(io.BytesIO(), encoding="gbk", errors="strict")
    with contextlib.redirect_stdout(stream), pytest.raises(RuntimeError, match="a bug"):
        cli.main(["figure", "activations"])
    assert stream.errors == "strict" and cli._CHANGED == {}


@pytest.mark.parametrize("encoding", ["UTF-8", "utf8", "U8", "utf_16"])
def test_a_utf_stream_by_any_of_its_names_is_left_alone(encoding):
    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
    with contextlib.redirect_stdout(stream), cli._readable_streams():
        assert stream.errors == "strict"


class _NoEncoding(io.StringIO):
    """A console of some IDE: a text stream whose encoding is None, that says it can
    be reconfigured; nothing is to be changed."""
    encoding = None

    def reconfigure(self, **kwargs):
        raise AssertionError(f"reconfigured: {kwargs}")


def test_a_stream_without_an_encoding_is_not_reconfigured():
    with contextlib.redirect_stdout(_NoEncoding()), cli._readable_streams():
        print("Ŷ")


def test_a_closed_stream_is_left_as_it_is():
    # a closed stderr (its reconfigure raises ValueError) does not stop the command
    closed = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors="strict")
    closed.close()
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors="strict")
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(closed):
        with cli._readable_streams():
            assert stream.errors == ASCII_ERRORS
    assert stream.errors == "strict" and cli._CHANGED == {}


@pytest.mark.parametrize("replaced", [None, io.StringIO(), io.BytesIO()])
def test_a_stdout_that_is_none_or_not_a_text_file_is_left_alone(replaced):
    # pythonw has no stdout (None); a StringIO has no encoding to speak of
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors="strict")
    with contextlib.redirect_stdout(replaced), contextlib.redirect_stderr(stream):
        assert cli.main(["train", "--activation", "σ"]) == 2
    assert stream.errors == "strict"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_wrong_backprop_in_a_chinese_folder_is_diagnosed(encoding, tmp_path):
    # was: every check --hand, right or wrong, stopped at the '−' of its first line
    folder = tmp_path / "作业 目录"
    folder.mkdir()
    path = folder / "我的 作业.py"
    path.write_text(course_code.source("A1 for g'(Z1)"), encoding="utf-8")
    code, out, err, _ = run_on(encoding, "check", "--hand", f"{path}:backward_propagation")
    assert (code, err) == (1, ""), err
    slip = ("likely slip: A1 in place of g′(Z1) = 1 - A1^2 (dZ1 = W2^T dZ2 * A1)"
            if encoding == "gbk" else
            "likely slip: A1 in place of g'(Z1) = 1 - A1² (dZ1 = W2^T dZ2 * A1)"
            if encoding == "cp1252" else
            "likely slip: A1 in place of g'(Z1) = 1 - A1^2 (dZ1 = W2^T dZ2 * A1)")
    assert slip in out, out
    assert "as the course's dZ2 = A2 - Y;" in out.splitlines()[0], out


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_error_naming_a_chinese_path_is_one_line_exit_2(encoding, tmp_path):
    missing = tmp_path / "作业" / "没有.py"
    code, out, err, _ = run_on(encoding, "check", "--hand", str(missing))
    assert code == 2 and out == "", out
    assert err.startswith("minigrad: error: --hand ") and err.count("\n") == 1, err
    assert "no such file" in err and "codec" not in err, err
    if encoding == "gbk":   # GBK has Chinese: the path as it is
        assert str(missing) in err, err


# --- the real interpreter: PYTHONIOENCODING, as a redirected Windows console --------

def python_m_nets(encoding: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = child_env(PYTHONIOENCODING=encoding)   # this checkout's nets, in any folder
    return subprocess.run([sys.executable, "-m", "nets", *args], cwd=cwd, env=env,
                          capture_output=True)


def test_pythonioencoding_gbk_zero_init_prints_its_note(tmp_path):
    # the first report: exit 2, "'gbk' codec can't encode character '\u0176'"
    proc = python_m_nets("gbk", "experiment", "zero-init", "--iterations", "2", "--m", "20",
                         cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, b""), proc.stderr.decode("gbk")
    out = proc.stdout.decode("gbk")
    assert "(max |Y_hat - Y_hat of one unit| = " in out and out.endswith(
        "Wrote zero-init.png\n"), out


def test_pythonioencoding_cp1252_check_hand_prints_the_report(tmp_path):
    path = tmp_path / "作业 1.py"
    path.write_text(course_code.source("missing 1/m"), encoding="utf-8")
    proc = python_m_nets("cp1252", "check", "--hand", str(path), cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (1, b""), proc.stderr.decode("cp1252")
    out = proc.stdout.decode("cp1252")
    assert "WRONG  hand = 10 × autograd (m = 10: a missing 1/m?)" in out, out
    assert "(dW2 = dZ2 A1^T, db2 = sum dZ2, dW1 = dZ1 X^T, db1 = sum dZ1)" in out, out


def test_pythonioencoding_ascii_help_and_errors(tmp_path):
    proc = python_m_nets("ascii", "check", "--help", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, b""), proc.stderr
    assert "eps = 1e-7" in " ".join(proc.stdout.decode("ascii").split())
    proc = python_m_nets("ascii", "train", "--activation", "σ", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == b"", proc.stdout
    assert proc.stderr.decode("ascii").startswith(
        "minigrad: error: argument --activation: invalid choice: 'sigma'"), proc.stderr
