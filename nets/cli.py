"""The ``minigrad`` command line (also ``python -m nets``).

    minigrad demo                         train the flower net; write graph.png and boundary.png
    minigrad train --hidden 4 --lr 1.2    train a two-layer net, print the cost like the course
    minigrad draw --hidden 4 --grads      draw the computation graph (--animate: the backward pass)
    minigrad check --activation relu      hand-derived backprop vs autograd vs numerical
    minigrad experiment zero-init         run one of the notes' claims: a table and a PNG
    minigrad figure activations           the four activations and their derivatives

Every command that makes a picture prints the path it wrote. Default output
names differ between commands (DEFAULT_OUTPUTS) and never replace a file: when
one exists the next free name (graph-2.png, ...) is written and the message
says so (demo's two pictures take one number, free for both: graph-2.png with
boundary-2.png); a file named with --out/--plot/--animate is replaced. Bad arguments
give one line on stderr starting "minigrad: error: " and exit code 2, never a
traceback. Whatever can be known to fail is refused before any training
starts: output paths (writable, Graphviz present), sizes this machine's
memory cannot hold, weights that overflow float64; a run that diverges stops
with one line too. Exit code 1 means the work could not be done (a backprop
check failed, Graphviz or matplotlib missing: one line, saying how to install it).
"""
from __future__ import annotations

import argparse
import codecs
import contextlib
import decimal
import difflib
import math
import os
import re
import shlex
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, NoReturn, Optional, Sequence, Tuple

import numpy as np

import minigrad as mg
from nets import activations, data, experiments, init, plots, seeds
from nets.network import accuracy, graph_bytes
from nets.two_layer import TwoLayerNet

__all__ = ["main", "build_parser", "ascii_spelling", "ASCII_ERRORS", "ASCII_SPELLINGS"]

PROG = "minigrad"
USAGE_ERROR = 2     # bad arguments, as argparse itself exits
FAILURE = 1         # the arguments were fine but the work failed
MISSING_DOT = ("Graphviz's `dot` is not on PATH (it draws the .png/.svg/.pdf graphs and the "
               "--animate frames): install Graphviz (apt-get install graphviz, brew install "
               "graphviz or conda install -c conda-forge graphviz), or write DOT text: "
               "minigrad draw --out graph.dot")


# --- streams that are not UTF-8 ------------------------------------------------------------
# Output redirected or piped on Windows (`minigrad check > out.txt`, Git Bash, some IDE
# consoles) is encoded in the locale's code page: cp936 (GBK) on a Chinese Windows,
# cp1252 on an English one. Neither has Ŷ, ᵀ or −, and cp1252 no σ or ‖, so a print
# raised UnicodeEncodeError half-way through a table (and that error, a ValueError,
# was reported as bad arguments). On such a stream, what the code page cannot
# encode is spelled in ASCII instead; a UTF-8 stream is left exactly as it is.

ASCII_ERRORS = "minigrad-ascii"   # the codecs error handler's name

ASCII_SPELLINGS = {
    "Ŷ": "Y_hat", "ᵀ": "^T", "σ": "sigma", "ε": "eps", "α": "alpha", "Σ": "sum",
    "∂": "d", "‖": "||", "−": "-", "′": "'", "×": "x", "÷": "/", "·": "*",
    "±": "+/-", "≈": "~", "≥": ">=", "≤": "<=", "…": "...", "—": "--", "━": "-",
    "\u0303": "~",   # combining tilde: g̃ -> g~
    "◀": "<", "▶": ">", "✔": "ok", "✓": "ok", "✘": "x", "✗": "x",
}
# superscripts and subscripts: x² -> x^2, 10⁻⁸ -> 10^-8 (one ^ per run), ‖g‖₂ -> ||g||_2
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+"))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))


def ascii_spelling(text: str, before: str = "") -> str:
    """``text`` with every character of ASCII_SPELLINGS, and every super- and
    subscript, spelled in ASCII (other characters as they are); ``before``: the
    character that precedes ``text``, so that a run of superscripts gets one ^."""
    out = []
    for c in text:
        for marks, sign in ((_SUPERSCRIPTS, "^"), (_SUBSCRIPTS, "_")):
            if c in marks:
                out.append(("" if before in marks else sign) + marks[c])
                break
        else:
            out.append(ASCII_SPELLINGS.get(c, c))
        before = c
    return "".join(out)


def _spell_in_ascii(error: UnicodeError) -> tuple:
    """The codecs error handler ASCII_ERRORS: the characters the stream's encoding
    cannot encode, spelled in ASCII (ascii_spelling); one without a spelling as
    its Python escape (\\u4f5c), a lone surrogate from undecodable bytes in argv as
    that byte (as Python's own surrogateescape would write it)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    before = error.object[error.start - 1] if error.start else ""
    out = []
    for c in text:
        if "\udc80" <= c <= "\udcff":
            out.append(c.encode("ascii", "surrogateescape").decode("latin-1"))
        else:
            spelled = ascii_spelling(c, before)
            out.append(spelled if spelled.isascii() else
                       c.encode("ascii", "backslashreplace").decode("ascii"))
        before = c
    # a str return is encoded again by the stream's codec: ASCII is in all of them
    # except the byte values of surrogateescape, which latin-1 text would change
    if any(ord(c) > 127 for c in "".join(out)):
        return "".join(out).encode("latin-1"), error.end
    return "".join(out), error.end


codecs.register_error(ASCII_ERRORS, _spell_in_ascii)


def _is_utf(stream) -> bool:
    try:
        return codecs.lookup(stream.encoding).name.startswith("utf")
    except (AttributeError, LookupError, TypeError):
        return True   # no encoding to speak of (a StringIO): nothing to change


# streams main() has reconfigured, by id: [the stream, its own errors, how many main()s use it]
_CHANGED: dict = {}
_CHANGED_LOCK = threading.Lock()


@contextlib.contextmanager
def _readable_streams() -> Iterator[None]:
    """For the time of one command, sys.stdout and sys.stderr spell in ASCII what
    their encoding cannot encode (ASCII_ERRORS) instead of raising; UTF-8
    streams, and streams that cannot be reconfigured, are left as they are. Two
    main()s at once (threads) share the change: the stream gets its own errors
    back when the last one ends, not while the other still prints."""
    mine = []
    with _CHANGED_LOCK:
        for stream in (sys.stdout, sys.stderr):
            if stream is None or _is_utf(stream) or not hasattr(stream, "reconfigure") or \
                    any(stream is other for other in mine):
                continue
            if id(stream) in _CHANGED:
                _CHANGED[id(stream)][2] += 1
            else:
                try:
                    errors = stream.errors
                    stream.reconfigure(errors=ASCII_ERRORS)
                except (AttributeError, ValueError, OSError):
                    continue
                _CHANGED[id(stream)] = [stream, errors, 1]
            mine.append(stream)
    try:
        yield
    finally:
        with _CHANGED_LOCK:
            for stream in mine:
                entry = _CHANGED[id(stream)]
                entry[2] -= 1
                if entry[2]:
                    continue
                del _CHANGED[id(stream)]
                # a caller in the same process (a notebook, a test) gets its stream back
                with contextlib.suppress(ValueError, OSError):
                    stream.reconfigure(errors=entry[1])


# --- argument types: each says what it expected and what it got ---------------------------

# A minus sign copied from the notes or a web page (−, U+2212) or typed by a Chinese IME in
# full-width mode (－): int() and float() refuse both, and a console that is not UTF-8
# spells − as - (ASCII_SPELLINGS), so "expected a number; got '-1e-3'" was printed.
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\uff0d": "-"})


def _int(text: str, low: int, what: str) -> int:
    try:
        value = int(text.translate(_MINUS_SIGNS))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected {what}; got {value}")
    return value


def _positive_int(text: str) -> int:
    return _int(text, 1, "an int >= 1")


def _iterations(text: str) -> int:
    return _int(text, 0, "an int >= 0")


def _samples(text: str) -> int:
    return _int(text, 2, "an int >= 2 (one point per class)")


def _seed(text: str) -> int:
    try:
        return seeds.check_seed(_int(text, 0, seeds.SEED_RANGE), "seed")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {seeds.SEED_RANGE}; got {text}") from None


def _float(text: str) -> float:
    ascii_text = text.translate(_MINUS_SIGNS)
    try:
        value = float(ascii_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    if value == 0 and _nonzero(ascii_text):
        # 1e-400 rounds to 0: zero weights, the zero-init lesson nobody asked for
        raise argparse.ArgumentTypeError(f"{text!r} is 0 in float64 (its smallest number > 0 "
                                         f"is 5e-324); write 0 if 0 is meant")
    return value


def _nonzero(text: str) -> bool:
    """Whether the number written is not 0 (float() read it as 0)."""
    try:
        return decimal.Decimal(text.strip()) != 0
    except decimal.InvalidOperation:   # a spelling float() reads and Decimal does not
        return False


def _positive_float(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}")
    return value


def _name(text: str) -> str:
    """Names are matched without regard to case or '-' vs '_' (leaky-relu works)."""
    return text.strip().lower().replace("-", "_")


def _one_of(choices: Sequence[str]) -> Callable[[str], str]:
    """The type of a flag that takes one of ``choices``: matched as ``_name`` matches,
    and any other name refused as typed (argparse's own check, after the match,
    quoted the matched spelling: '_1e3' for -1e3, 'leaky_relux' for Leaky-Relux)."""
    by_name = {_name(c): c for c in choices}

    def match(text: str) -> str:
        name = by_name.get(_name(text))
        if name is None:
            raise argparse.ArgumentTypeError(
                f"invalid choice: {text!r} (choose from {', '.join(map(repr, choices))})")
        return name
    return match


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``minigrad: error: ...``."""

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.split())
        self.exit(USAGE_ERROR, f"{PROG}: error: {message} (see '{self.prog} --help')\n")

    def parse_args(self, args=None, namespace=None):
        args = self._negative_values(sys.argv[1:] if args is None else list(args))
        self._flags_after_the_command(args)
        # argparse leaves a flag the command does not know to the top parser, whose
        # error pointed to 'minigrad --help', which lists no command's flags
        args, extra = self.parse_known_args(args, namespace)
        if extra:
            command = getattr(args, "command", None)
            where = next((a.choices[command] for a in self._actions
                          if isinstance(a, argparse._SubParsersAction) and command in a.choices),
                         self)
            where.error(f"unrecognized arguments: {' '.join(extra)}"
                        f"{_hint_after_the_command(self, where, extra)}")
        return args

    def _negative_values(self, args: List[str]) -> List[str]:
        """``--scale -1e-3`` as ``--scale=-1e-3``: argparse takes a negative number
        as a flag's value only when written plainly (-2, -0.5), and said that
        --scale "expected one argument" to -1e-3, -1E5 or -inf, and to a mistyped
        one (-1e-3e), which is then said to be no number."""
        takes_a_value = {flag for parser in self._parsers() for flag, action in
                         parser._option_string_actions.items() if action.nargs is None}
        out: List[str] = []
        for i, a in enumerate(args):
            if a == "--":   # what follows is positional: -- is no flag that takes a value
                return out + args[i:]
            previous = out[-1] if out else ""
            after_a_flag = previous.startswith("-") and "=" not in previous and \
                _names(takes_a_value, previous)
            if after_a_flag and a.startswith("-") and _is_number(a):
                out[-1] = f"{previous}={a}"
            else:
                out.append(a)
        return out

    def _parsers(self) -> List[argparse.ArgumentParser]:
        """This parser and its commands' parsers."""
        return [self, *(p for a in self._actions if isinstance(a, argparse._SubParsersAction)
                        for p in a.choices.values())]

    def _flags_after_the_command(self, args: List[str]) -> None:
        """A command's flag written before the command (minigrad --lr 1 train) is
        refused saying where it goes: argparse took its value for the command
        ("invalid choice: '1'") or said --hidden=3 is unrecognized, which
        'minigrad train --help' then lists."""
        commands = next((a.choices for a in self._actions
                         if isinstance(a, argparse._SubParsersAction)), None)
        if commands is None:
            return
        at = next((i for i, a in enumerate(args) if a in commands), len(args))
        command = commands.get(args[at]) if at < len(args) else None
        for a in args[:at]:
            flag = a.split("=", 1)[0]
            if a == "--":
                return
            if not flag.startswith("-") or len(flag) == 1 or _knows(self, flag):
                continue
            if command is not None and _knows(command, flag):
                order = [PROG, args[at], *args[:at], *args[at + 1:]]
                command.error(f"argument {flag}: a command's flags go after the command: "
                              f"{shlex.join(order)}")
            if command is not None:
                # minigrad -v train: the top parser's own --version, if that is what it is
                # like and no command takes the flag (--lr before demo: train's)
                hint = _own_flags(self, flag)
                if hint.startswith("did you mean") and not any(
                        _knows(c, flag) for c in commands.values()):
                    self.error(f"unrecognized arguments: {flag}; {hint}")
                command.error(f"unrecognized arguments: {flag}")
            if any(_knows(c, flag) for c in commands.values()):
                self.error(f"argument {flag}: a command's flags go after the command: "
                           f"{PROG} COMMAND {shlex.join(args)}")
            # else argparse said only "the following arguments are required: COMMAND"
            # (minigrad -v), as if the flag had been taken
            self.error(f"unrecognized arguments: {flag}; " + _own_flags(self, flag))


def _hint_after_the_command(top: argparse.ArgumentParser, command: argparse.ArgumentParser,
                            extra: List[str]) -> str:
    """What a command's error adds for the first unknown flag after it: the flag
    of its own it may have meant (--hiden: --hidden), or where minigrad's own
    goes (train -v: minigrad --version); argparse suggested neither."""
    flag = next((a.split("=", 1)[0] for a in extra if re.match(r"--?[A-Za-z]", a)), None)
    if flag is None or command is top:
        return ""
    like = difflib.get_close_matches(flag, [f for f in command._option_string_actions
                                            if f.startswith("--")], n=1)
    if like:
        return f"; did you mean {like[0]}?"
    mine = _own_like(top, flag)
    return f"; {mine} is {PROG}'s own, before the command: {PROG} {mine}" if mine else ""


def _is_number(text: str) -> bool:
    """Whether ``text`` is meant as a number: float() reads it, or, after a minus, it
    starts with a digit (-3x, -.5.), which no flag here does."""
    try:
        float(text)
    except ValueError:
        return re.match(r"-\.?\d", text) is not None
    return True


def _own_flags(parser: argparse.ArgumentParser, flag: str) -> str:
    """What a parser's error adds for ``flag``, a flag it does not take: the flag
    of its own it may have meant (-v, -V or --verison: --version), else its flags."""
    like = _own_like(parser, flag)
    if like:
        return f"did you mean {like}?"
    *first, last = parser._option_string_actions
    return f"the flags of {parser.prog} itself are {', '.join(first)} and {last}"


def _own_like(parser: argparse.ArgumentParser, flag: str) -> Optional[str]:
    """The --long flag of the parser's own that ``flag`` may mean (-v, -V or
    --verison: --version), or None."""
    own = [f for f in parser._option_string_actions if f.startswith("--")]
    like = [f for f in own if len(flag) == 2 and f[2:3] == flag[1].lower()] or \
        difflib.get_close_matches(flag, own, n=1)
    return like[0] if like else None


def _knows(parser: argparse.ArgumentParser, flag: str) -> bool:
    """Whether ``parser`` takes ``flag``, or, for a --long one, a flag it abbreviates."""
    return _names(parser._option_string_actions, flag)


def _names(flags: Iterable[str], flag: str) -> bool:
    """Whether ``flag`` is one of ``flags``, or, for a --long one, abbreviates one."""
    return any(known.startswith(flag) if flag.startswith("--") else known == flag
               for known in flags)


# --- the figures: a registry, as the experiments have one -------------------------------

@dataclass(frozen=True)
class Figure:
    """A figure by name: the function that draws it into a path, and one line on it."""

    name: str
    draw: Callable[[Path], Path]
    summary: str


FIGURES = {f.name: f for f in [
    Figure("activations", plots.activation_figure,
           "sigmoid, tanh, ReLU and leaky ReLU with their derivatives, marking "
           "σ'(0) = 1/4, tanh'(0) = 1 and the saturated tails"),
]}


# --- the parser -------------------------------------------------------------------------

class _Given(argparse.Action):
    """Store the value, and note that it was given (``scale_given``): a flag the
    chosen options ignore is refused rather than dropped."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def _add_net_options(p: argparse.ArgumentParser, *, hidden: int, activation: str, m: int,
                     dataset: bool = True, scale: float = 0.01,
                     biases: str = "biases start at 0") -> None:
    """The flags that say which net, on which data."""
    if dataset:
        p.add_argument("--dataset", type=_one_of(list(data.DATASETS)), default="flower",
                       choices=list(data.DATASETS),
                       help="planar dataset, made in numpy (default: %(default)s)")
    p.add_argument("--hidden", type=_positive_int, default=hidden, metavar="N_H",
                   help="n[1], the number of hidden units (default: %(default)s)")
    p.add_argument("--activation", type=_one_of(list(activations.NAMES)), default=activation,
                   choices=list(activations.NAMES),
                   help="g[1], the hidden activation; the output unit is always "
                        "sigmoid (default: %(default)s)")
    p.add_argument("--alpha", type=_float, metavar="ALPHA",
                   help="the slope of leaky_relu for z < 0, a number >= 0 "
                        "(default: 0.01; only with --activation leaky_relu)")
    p.add_argument("--init", type=_one_of(list(init.INITIALIZERS)), default="random",
                   choices=list(init.INITIALIZERS),
                   help=f"weight initialiser; {biases} (default: %(default)s)")
    p.add_argument("--scale", type=_float, default=scale, action=_Given,
                   help="the multiplier of randn for --init random, the value of every "
                        "weight for --init constant (default: %(default)s)")
    p.add_argument("--seed", type=_seed, default=2,
                   help="seed of the weight initialisation (default: %(default)s, the course's)")
    p.add_argument("--m", type=_samples, default=m,
                   help="number of samples, the columns of X (default: %(default)s)")
    p.add_argument("--data-seed", type=_seed, default=1,
                   help="seed of the dataset (default: %(default)s, the course's flower)")


# fit's methods: the graph each step, the graph recorded once and replayed, the formulas
METHODS = ["autograd", "replay", "hand"]


def _add_training_options(p: argparse.ArgumentParser, *, iterations: int) -> None:
    p.add_argument("--iterations", type=_iterations, default=iterations,
                   help="gradient descent steps (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=1.2, metavar="LEARNING_RATE",
                   help="learning rate α, > 0 (default: %(default)s)")
    p.add_argument("--method", type=_one_of(METHODS), choices=METHODS, default="autograd",
                   help="where the gradients come from: the computation graph (autograd), "
                        "the same graph recorded once and replayed (replay: autograd's "
                        "numbers bit for bit, faster), or the notes' hand-derived formulas "
                        "(hand: the same formulas; over thousands of steps rounding can "
                        "make them drift apart a little) (default: %(default)s)")
    p.add_argument("--print-every", type=_iterations, default=1000, metavar="K",
                   help="print the cost every K iterations, like the course; 0: never "
                        "(default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    """The ``minigrad`` argument parser (every flag documented in ``--help``)."""
    parser = _Parser(
        prog=PROG,
        description="Backpropagation, seen: a small autodiff engine and the shallow neural "
                    "networks of the course, in the notes' notation (X (n_x, m), W[l], "
                    "b[l], Z[l], A[l], J).",
        epilog="Run 'minigrad COMMAND --help' for the flags of a command. "
               "Exit codes: 0 done, 1 failed (a backprop check, a missing tool), 2 bad arguments.")
    parser.add_argument("--version", action="version", version=f"{PROG} {mg.__version__}",
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo", help="train the flower net and write graph.png and boundary.png",
        description="Train the course's flower net (n[1] = 4, tanh, learning rate 1.2, "
                    "10,000 iterations, init seed 2) printing the cost every 1000 "
                    "iterations, then write the computation graph with its gradients "
                    "(graph.png) and the decision boundary (boundary.png), and print their "
                    "paths and the accuracy (≈ 90%).")
    demo.add_argument("--out-dir", type=Path, default=Path("."), metavar="DIR",
                      help="where to write graph.png and boundary.png; created if missing. "
                           "A name taken there is kept, and both are written under the "
                           "first number free for both: graph-2.png and boundary-2.png "
                           "(default: the current directory)")
    demo.add_argument("--iterations", type=_iterations, default=10_000,
                      help="gradient descent steps (default: %(default)s)")
    demo.add_argument("--method", type=_one_of(METHODS), choices=METHODS, default="autograd",
                      help="gradients from the graph, the graph recorded once and replayed, "
                           "or the hand-derived formulas (default: %(default)s)")

    train = commands.add_parser(
        "train", help="train a two-layer net and print the cost and accuracy",
        description="Train X -> n[1] hidden units (g[1]) -> one sigmoid unit by batch "
                    "gradient descent on a planar dataset. Prints 'Cost after iteration i: "
                    "J' every --print-every iterations, shows a progress bar on a terminal, "
                    "ends with the training accuracy.")
    _add_net_options(train, hidden=4, activation="tanh", m=400)
    _add_training_options(train, iterations=10_000)
    train.add_argument("--plot", type=Path, metavar="FILE",
                       help="also write the decision boundary to FILE (.png, .svg, .pdf, ...)")

    draw = commands.add_parser(
        "draw", help="draw the computation graph of a two-layer net",
        description="Build J for a freshly initialised two-layer net on --m samples and "
                    "draw its computation graph (Graphviz's dot is needed for .png/.svg/"
                    ".pdf; .dot/.gv are written without it).")
    _add_net_options(draw, hidden=4, activation="tanh", m=5)
    draw.add_argument("--out", type=Path, metavar="FILE",
                      help="the picture to write; the format comes from the suffix: "
                           f"{', '.join(mg.viz.FORMATS)} (default: {DEFAULT_OUTPUTS['draw'][0]}, "
                           "or none when only --animate is given)")
    draw.add_argument("--values", action="store_true",
                      help="show each node's value (all numbers when it has at most 6, "
                           "else its norm and first entries)")
    draw.add_argument("--grads", action="store_true",
                      help="run J.backward() and show each node's gradient ∂J/∂node")
    draw.add_argument("--animate", type=Path, metavar="FILE",
                      help="write the backward pass, one frame per step (the node of the "
                           "step highlighted, the gradients so far shown), to FILE: an "
                           "animated GIF (.gif) or a page with a slider (.html)")

    check = commands.add_parser(
        "check", help="check the hand-derived backprop against autograd and numerical",
        description="Compare, node by node, the notes' hand-derived gradients (dZ, dA per "
                    "sample; dW, db) with autograd, and autograd with numerical gradients "
                    "(central differences, ε = 1e-7), on a freshly initialised net whose "
                    "biases are drawn too (randn * --scale): at b = 0 a b left out of "
                    "Z = W A + b would not show. Prints "
                    "the table; exit code 1 if a node disagrees. The weights default to "
                    "scale 1: with the course's 0.01 the gradients are so small that the "
                    "rounding in J, divided by ε, exceeds the course's 2e-7.")
    _add_net_options(check, hidden=4, activation="tanh", m=10, scale=1.0,
                     biases="biases are drawn, randn * --scale")
    check.add_argument("--hand", metavar="FILE.py:FUNC",
                       help="check your own function instead of the notes' formulas: FUNC "
                            "in FILE.py, or in a notebook FILE.ipynb (its imports, functions "
                            "and classes; no other cell runs) (default FUNC: "
                            "backward_propagation), the course's "
                            "backward_propagation(parameters, cache, X, Y) or "
                            "hand(params, X, Y); exit code 1 if a gradient is wrong")

    experiment = _add_registry_command(
        commands, "experiment", experiments.EXPERIMENTS,
        help="run one of the notes' claims: a table and a PNG",
        intro="Run one of the notes' claims on the flower set, print its table and "
              "write its figure:")
    experiment.add_argument("--iterations", type=_positive_int,
                            help="gradient descent steps per net, >= 1 (default: the "
                                 "course's, 10000; 5000 for hidden-sizes)")
    experiment.add_argument("--m", type=_samples, default=400,
                            help="number of samples of the flower set (default: %(default)s)")
    experiment.add_argument("--data-seed", type=_seed, default=1,
                            help="seed of the flower set: another draws its points again, to "
                                 "see whether a result holds beyond one draw (default: "
                                 "%(default)s, the course's flower)")
    experiment.add_argument("--method", type=_one_of(METHODS), choices=METHODS, default="hand",
                            help="where the gradients come from; the hand-derived "
                                 "formulas and the graph recorded once and replayed run "
                                 "faster than a new graph each step (autograd), with the "
                                 "same numbers (make bench measures it) (default: %(default)s)")

    _add_registry_command(commands, "figure", FIGURES,
                          help=f"draw a figure of the notes ({', '.join(FIGURES)})",
                          intro="Draw one of the notes' figures:")
    return parser


def _add_registry_command(commands: argparse._SubParsersAction, command: str,
                          registry: dict, *, help: str, intro: str) -> argparse.ArgumentParser:
    """A command that runs one entry of ``registry`` (``.name``, ``.summary``) by
    name and writes its figure: NAME (its choices and their summaries from the
    registry) and --out."""
    p = commands.add_parser(
        command, help=help, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=intro + "\n\n" + "\n".join(f"  {e.name:<13} {e.summary}"
                                                 for e in registry.values()))
    p.add_argument("name", type=_one_of(list(registry)), choices=list(registry),
                   metavar="NAME", help="one of: " + ", ".join(registry))
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="the figure to write (default: "
                        f"{DEFAULT_OUTPUTS[command][0].format(name='NAME')})")
    return p


# --- helpers ------------------------------------------------------------------------------

def _graph_path(path: Path) -> Path:
    """Fail before training if the graph picture cannot be written."""
    return plots.check_writable(mg.viz.check_suffix(path, mg.viz.FORMATS))


def _animation_path(path: Path) -> Path:
    """Fail before any work if the animation of --animate cannot be written."""
    return plots.check_writable(mg.viz.check_suffix(path, mg.animation.ANIMATION_FORMATS))


def _output(flag: str, check: Callable[[Path], Path], path: Path) -> Path:
    """``check(path)``, its error (a suffix of no known format, a folder that is
    missing or not writable) led by the flag the path came from: the checks know
    paths, not flags, and "cannot write 'x.png'" left the learner to guess which."""
    try:
        return check(path)
    except (ValueError, OSError) as error:
        raise (ValueError if isinstance(error, ValueError) else OSError)(
            f"{flag}: {_one_line(error)}") from None


# Each command's default output names: no two commands share one, so that no command
# overwrites another's picture ({name}: the experiment's or figure's name).
DEFAULT_OUTPUTS = {"demo": ("graph.png", "boundary.png"), "draw": ("draw.png",),
                   "experiment": ("{name}.png",), "figure": ("figure-{name}.png",)}


def _numbered(path: Path, n: int) -> Path:
    """``path`` for n = 1, else ``stem-n.suffix`` beside it: graph.png, graph-2.png, ..."""
    return path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")


def _taken(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _default_out(template: str, folder: Path = Path("."), **names: str) -> Path:
    """The default output path: ``template`` in ``folder``, or, when a file of that
    name exists, the first free ``stem-2.png``, ``stem-3.png``, ...: a name the
    user did not give never replaces their file (one given with --out does)."""
    n = 1
    while _taken(_numbered(folder / template.format(**names), n)):
        n += 1
    return _numbered(folder / template.format(**names), n)


def _default_outs(templates: Sequence[str], folder: Path) -> List[Tuple[Path, str]]:
    """The default paths of a command that writes several files (demo's graph.png
    and boundary.png), each with what _wrote adds: as _default_out, but one number
    for all, the first free for every one, so that the files of one run pair by
    name (graph-2.png with boundary-2.png, even when boundary.png was free)."""
    n = 1
    while any(_taken(_numbered(folder / t, n)) for t in templates):
        n += 1
    paths = [_numbered(folder / t, n) for t in templates]
    outs = []
    for path, template in zip(paths, templates):
        alone = _default_out(template, folder)   # the name it would have had by itself
        said = [_kept(alone, template)]
        if path != alone:
            said.append("numbered to pair with " +
                        ", ".join(other.name for other in paths if other != path))
        outs.append((path, "; ".join(filter(None, said))))
    return outs


def _kept(path: Path, template: str, **names: str) -> str:
    """What _wrote adds when a default name was taken: which file was kept."""
    wanted = path.with_name(template.format(**names))
    return "" if path == wanted else f"{wanted.name} exists and was kept"


def _progress(total: int, desc: str):
    """A tqdm bar on stderr when stderr is a terminal; a bar in a pipe or a log
    file is only noise (carriage returns), so there it is disabled."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="it", file=sys.stderr, leave=False,
                disable=not sys.stderr.isatty(), dynamic_ncols=True)


def _say(bar, line: str) -> None:
    """Print a line without tearing the progress bar (tqdm.write clears it first)."""
    if bar.disable:
        print(line, flush=True)
    else:
        bar.write(line, file=sys.stdout)


def _cost_text(J: float) -> str:
    """J as the course prints it (%f: 0.693048), but a huge one in a few digits:
    %f writes every digit of 1e300."""
    return f"{J:f}" if abs(J) < 1e6 else f"{J:.6g}"


def _train(net: TwoLayerNet, X: np.ndarray, Y: np.ndarray, iterations: int, lr: float,
           method: str, print_every: int, alpha: Optional[float] = None) -> List[float]:
    """fit(), printing "Cost after iteration i: J" like the course, with a bar.

    A step whose numbers overflow float64 (a learning rate or weights so large
    that gradient descent diverges) stops the run with a one-line error naming
    the iteration and the flags to change (``alpha``: the --alpha given),
    instead of numpy's warnings and costs of inf or nan."""
    done = 0
    with _progress(iterations, "training") as bar:
        def callback(i: int, J: float) -> None:
            nonlocal done
            done = i + 1
            if print_every and i % print_every == 0:
                _say(bar, f"Cost after iteration {i}: {_cost_text(J)}")
            bar.update(1)

        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                costs = net.fit(X, Y, iterations=iterations, learning_rate=lr, method=method,
                                callback=callback)
                # the cost after the last update: "iteration N" in the same sense as above
                # (N = 0 too: the untrained net's cost, which no step has printed)
                final = net.cost(X, Y) if print_every else None
        except FloatingPointError as error:
            raise ValueError(f"training diverged at iteration {done}: {error} (float64 "
                             f"overflowed); try a smaller --lr (now {lr:g}) or --scale"
                             + _steep(alpha)) from None
        if final is not None and iterations % print_every == 0:
            _say(bar, f"Cost after iteration {iterations}: {_cost_text(final)}")
    return costs


def _activation(args: argparse.Namespace) -> activations.Activation:
    """--activation with --alpha bound (a leaky ReLU's slope is never dropped)."""
    if args.alpha is None:
        return activations.get(args.activation)
    if args.activation != "leaky_relu":
        # the notes write the learning rate α too: say where that one goes
        raise ValueError(f"--alpha is the slope of leaky_relu; it does not apply to "
                         f"--activation {args.activation}"
                         + ("; the learning rate α is --lr" if hasattr(args, "lr") else ""))
    try:
        return activations.get("leaky_relu", alpha=args.alpha)
    except ValueError:
        raise ValueError(f"--alpha: expected a number >= 0; got {args.alpha:g}") from None


def _net(args: argparse.Namespace, X: np.ndarray, biases: bool = False) -> TwoLayerNet:
    """The net of the flags, once its forward pass is known to stay finite.
    ``biases``: drawn too (randn * --scale, from --seed), not 0."""
    takes_scale = args.init in init.SCALE_DEFAULTS
    if getattr(args, "scale_given", False) and not biases and not takes_scale:
        raise ValueError(f"--scale sets the weights of --init random (randn * scale) and "
                         f"--init constant; --init {args.init} sets them without it")
    # --scale has a default (it may scale the biases), so it is passed only to the
    # inits that take one: the others refuse any scale
    try:
        net = TwoLayerNet(X.shape[0], args.hidden, _activation(args), init=args.init,
                          scale=args.scale if takes_scale else None, seed=args.seed)
    except ValueError as error:
        # initialize refuses weights randn * scale that overflow (its FloatingPointError
        # is the context) naming its argument, scale; the learner typed --scale
        if not isinstance(error.__context__, FloatingPointError):
            raise
        raise ValueError(f"--scale {args.scale:g}: the weights, randn * {args.scale:g}, "
                         f"overflow float64; choose a smaller --scale") from None
    if biases:   # another generator than the weights': not their first numbers again
        rng = np.random.default_rng(args.seed)
        with np.errstate(over="raise"):
            try:
                for l in (1, 2):
                    net.params[f"b[{l}]"] = \
                        rng.standard_normal(net.params[f"b[{l}]"].shape) * args.scale
            except FloatingPointError:
                # else the net refused b[1] holding -inf, naming no flag
                raise ValueError(f"--scale {args.scale:g}: the biases, randn * "
                                 f"{args.scale:g}, overflow float64; choose a smaller "
                                 f"--scale") from None
    # Weights so large that W X overflows float64 make every later number inf or nan
    # (and numpy print a warning per step): refuse them before any training.
    with np.errstate(over="raise", invalid="raise"):
        try:
            net.forward(X)
        except FloatingPointError:
            if _steep(args.alpha):
                raise ValueError(f"--scale {args.scale:g} with --alpha {args.alpha:g}: with "
                                 f"these weights and slope the forward pass overflows float64 "
                                 f"(Z[1], A[1] or Z[2] is not finite); choose a smaller "
                                 f"--scale" + _steep(args.alpha)) from None
            raise ValueError(f"--scale {args.scale:g}: with weights this large the forward "
                             f"pass overflows float64 (Z = W X + b is not finite); choose "
                             f"a smaller --scale") from None
    return net


def _steep(alpha: Optional[float]) -> str:
    """What an error on overflow adds when --alpha is above 1: leaky_relu then
    multiplies every z < 0 by more than any z > 0, layer after layer, and --alpha
    is the flag to change (a learner may have meant the learning rate α, --lr)."""
    if alpha is None or alpha <= 1:
        return ""
    return f", or --alpha (now {alpha:g}; leaky_relu's slope for z < 0 is usually 0.01)"


def _physical_memory() -> Optional[int]:
    """This machine's memory in bytes, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _bytes(n: int) -> str:
    """1234567 -> '1.2 MB' (decimal units); beyond exabytes, '2.6e+21 bytes'."""
    if n < 1000:
        return f"{n} bytes"
    for power, unit in enumerate(("kB", "MB", "GB", "TB", "PB", "EB"), start=1):
        if n < 1000 ** (power + 1):
            return f"{n / 1000 ** power:.1f} {unit}"
    return f"{float(n):.1e} bytes"


def _check_fits(flags: str, layer_dims: Sequence[int], m: int) -> None:
    """Refuse, before allocating anything, sizes whose arrays this machine cannot hold."""
    need = graph_bytes(layer_dims, m)
    have = _physical_memory()
    if have is None:
        have = 2**63 - 1   # no OS answer: at least no size numpy cannot even index
    if need > have:
        raise ValueError(f"{flags}: a net this size needs about {_bytes(need)} for one "
                         f"training step's arrays; this machine has {_bytes(have)} of memory")


def _data(args: argparse.Namespace):
    """The dataset of the flags; first, the net's flags are checked (sizes that fit in
    memory, a slope that suits the activation) so that no work starts on bad ones."""
    _activation(args)
    _check_fits(f"--hidden {args.hidden} with --m {args.m}", [2, args.hidden, 1], args.m)
    return data.load(getattr(args, "dataset", "flower"), m=args.m, seed=args.data_seed)


def _wrote(path: Path, what: str = "") -> None:
    print(f"Wrote {path}" + (f" ({what})" if what else ""))


# --- the commands ----------------------------------------------------------------------------

def _check_graphviz(path: Path) -> Path:
    """Fail before training if writing ``path`` needs Graphviz's ``dot`` and it is
    missing: draw a one-node graph in that format, which raises viz's own error
    (saying how to install it) exactly when the real picture would."""
    if path.suffix.lower() not in (".dot", ".gv"):
        with tempfile.TemporaryDirectory() as folder:
            mg.save_graph(mg.tensor(0.0, name="probe"), Path(folder) / f"probe{path.suffix}")
    return path


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"--out-dir {str(path)!r} is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"--out-dir {str(path)!r}: cannot create it ({error.strerror})") from None
    return path


def _demo(args: argparse.Namespace) -> int:
    out_dir = _out_dir(args.out_dir)
    (graph_png, graph_kept), (boundary_png, boundary_kept) = \
        _default_outs(DEFAULT_OUTPUTS["demo"], out_dir)
    graph_png = _check_graphviz(_output("--out-dir", _graph_path, graph_png))
    boundary_png = _output("--out-dir", plots.check_output, boundary_png)
    X, Y = data.flower()
    net = TwoLayerNet(X.shape[0], 4, "tanh", seed=2)
    print(f"Training on the flower set (m = {X.shape[1]}): n[1] = 4, g[1] = tanh, learning "
          f"rate 1.2, {args.iterations} iterations, gradients by {args.method}")
    _train(net, X, Y, args.iterations, 1.2, args.method, 1000)
    print(f"Accuracy: {100 * accuracy(net.predict(X), Y):.2f}%")
    g = net.graph(X, Y)
    g.loss.backward()
    g.save(graph_png, grads=True)
    _wrote(graph_png, "; ".join(filter(None, [
        f"the computation graph of J, with the gradients of the "
        f"{'trained' if args.iterations else 'untrained'} net",
        graph_kept])))
    plots.decision_boundary(net, X, Y, boundary_png)
    _wrote(boundary_png, "; ".join(filter(None, ["the decision boundary", boundary_kept])))
    return 0


def _train_command(args: argparse.Namespace) -> int:
    if args.plot is not None:
        _output("--plot", plots.check_output, args.plot)
    X, Y = _data(args)
    net = _net(args, X)
    _train(net, X, Y, args.iterations, args.lr, args.method, args.print_every, args.alpha)
    print(f"Accuracy: {100 * accuracy(net.predict(X), Y):.2f}%")
    if args.plot is not None:
        _wrote(plots.decision_boundary(net, X, Y, args.plot), "the decision boundary")
    return 0


def _draw(args: argparse.Namespace) -> int:
    animation = None
    if args.animate is not None:
        animation = _output("--animate", _animation_path, args.animate)
    out, template = args.out, DEFAULT_OUTPUTS["draw"][0]
    if args.grads and out is None and animation is not None:
        raise ValueError("--grads shows the gradients in the picture of --out; the animation "
                         "of --animate shows them anyway, as they arrive: add --out FILE, or "
                         "leave out --grads")
    if out is None and animation is None:
        out = _default_out(template)
    if out is not None:
        out = _output("--out", _graph_path, out)
    X, Y = _data(args)
    g = _net(args, X).graph(X, Y)
    if animation is not None:   # before backward(): the frames show the gradients arriving
        _wrote(mg.save_backward_animation(g.roots, animation, values=args.values),
               "the backward pass, one frame per step")
    if out is not None:
        if args.grads:
            g.loss.backward()
        _wrote(g.save(out, values=args.values, grads=args.grads),
               "" if args.out is not None else _kept(out, template))
    return 0


def _check(args: argparse.Namespace) -> int:
    from nets.check import check_backprop
    from nets.course import load_function, notebook_hint, where_it_failed

    hand = None if args.hand is None else load_function(args.hand)
    X, Y = _data(args)
    caught: list = []
    try:
        # RuntimeWarnings come from the learner's arithmetic (numpy's 1/(1 - A2) where A2
        # is 1) or code: caught, and said in one line under the report, not raw on stderr
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            # at b = 0 a b left out of Z = W A + b would not show
            report = check_backprop(_net(args, X, biases=True), X, Y, hand=hand, numerical=True)
        warned = _warnings_line(caught, args.hand)
    except (RuntimeError, TypeError) as error:
        # the learner's function raised or returned no dict: their line, not a traceback
        if hand is None:
            raise
        warned = _warnings_line(caught, args.hand)
        if warned:   # on stdout, as under a report: stderr keeps its one error line
            print(warned)
        where = where_it_failed(error.__cause__ or error, args.hand) + \
            notebook_hint(error.__cause__ or error, args.hand)
        # no traceback is printed here: the learner's own line stands in for it
        message = _one_line(error).replace("; see the traceback above", "")
        print(f"{PROG}: error: {message}{where}", file=sys.stderr)
        return FAILURE
    print(report)
    for note in (_round_off_note(report, args.scale), _skipped_imports_line(hand), warned):
        if note:
            print(note)
    return 0 if report.ok else FAILURE


def _skipped_imports_line(hand: Optional[Callable]) -> str:
    """One line naming the imports of a notebook that failed here and were left
    out (``nets.notebook.run_notebook``): the report above was made without them,
    which the learner should know; "" when none failed (and for a .py file)."""
    from nets.notebook import FAILED_IMPORTS, NOT_RUN

    namespace = getattr(hand, "__globals__", {})
    failed = namespace.get(FAILED_IMPORTS) or []
    unknown = namespace.get(NOT_RUN) or []
    notes = []
    if failed:
        said = "; ".join(f"cell {number} line {line} {text!r} ({why})"
                         for number, line, text, _, why, _ in failed)
        notes.append(f"note: imports of the notebook that failed here and were left out: "
                     f"{said}; the check ran without them")
    if unknown:
        # %run of a file not found, exec(...): what they set in Jupyter may be the function
        # checked or a name it uses; the learner is told that the check did not see them
        said = "; ".join(f"cell {number} line {line} {text!r}" for number, line, text in unknown)
        notes.append(f"note: lines of the notebook that set names --hand cannot tell and did "
                     f"not run: {said}; if one sets {getattr(hand, '__name__', 'the function')} "
                     f"or a name it uses, the check is not of what your Jupyter has")
    return "\n".join(notes)


def _warnings_line(caught: list, spec: Optional[str]) -> str:
    """One line for the RuntimeWarnings given while the check ran (numpy's
    "divide by zero encountered in divide" in the learner's arithmetic, or the
    learner's own), with where; other warnings are shown again as Python
    would have shown them."""
    from nets.course import in_file

    seen: List[str] = []
    for w in caught:
        if not issubclass(w.category, RuntimeWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            continue
        label = None if spec is None else in_file(w.filename, spec)
        where = f" ({label} line {w.lineno})" if label else ""
        text = f"{w.message}{where}"
        if text not in seen:
            seen.append(text)
    if not seen:
        return ""
    return f"note: warnings while the check ran: {'; '.join(seen)}"


def _round_off_note(report, scale: float) -> str:
    """Why a numerical gradient can miss the course's threshold on a right
    backprop: J is known to one unit in the last place (~1e-16 |J|), and central
    differences divide that by 2ε, an error of ~1e-9 |J| in every entry. Next
    to gradients as small as that (small weights: --scale 0.01), or with a J so
    large that the error is that large (huge weights: --scale 1e150, J ~ 1e150,
    gradients ~ 1), the relative difference is large although nothing is wrong.
    The note blames whichever is further from the size a cross-entropy and its
    gradients have at weights of scale 1, about 1: J when |J| * max |g| >= 1."""
    eps = 1e-7   # mg.numerical_grad's default, the course's ε
    J = report.graph.loss.item()
    noise = abs(J) * np.finfo(np.float64).eps / (2 * eps)
    rows = [r for r in report.rows
            if r.numerical_difference is not None and not r.numerical_difference < report.tol
            and np.max(np.abs(r.autograd - r.numerical)) <= 10 * noise]
    if not rows:
        return ""
    names = [report.label(r.name) for r in rows]   # dW1 for the course's function
    largest = max(float(np.max(np.abs(r.autograd))) for r in rows)
    said = (f"note: autograd vs numerical exceeds {report.tol:g} for {', '.join(names)} by "
            f"round-off alone: every entry differs by at most {10 * noise:.0e}, the rounding "
            f"of J ({J:.3g}) divided by 2ε = {2 * eps:g}; ")
    if abs(J) * largest >= 1:
        # "too small" was said here too, of gradients of about 1 at J ~ 1e150
        return (said + f"J is so large that its rounding swamps the changes in J that the "
                f"numerical gradient measures (these gradients are at most {largest:.2g}): "
                f"they cannot be checked that way at this J."
                + (" Weights of scale 1 (the default --scale) keep J small enough."
                   if scale > 1 else ""))
    return (said + "these gradients are too small to be checked that way."
            + (" Weights of scale 1 (the default --scale) make them large enough."
               if scale < 1 else ""))


def _experiment(args: argparse.Namespace) -> int:
    spec = experiments.EXPERIMENTS[args.name]
    # the widest net of any experiment: hidden-sizes' n[1] = 50
    _check_fits(f"--m {args.m}", [2, 50, 1], args.m)
    template = DEFAULT_OUTPUTS["experiment"][0]
    out = _output("--out", plots.check_output, args.out if args.out is not None
                  else _default_out(template, name=args.name))
    iterations = spec.iterations if args.iterations is None else args.iterations
    with _progress(spec.runs * iterations, args.name) as bar:
        result = spec.run(iterations=iterations, m=args.m, data_seed=args.data_seed,
                          method=args.method, out=out, progress=lambda i, J: bar.update(1))
    print(result.table())
    _wrote(result.figure, "" if args.out is not None else _kept(out, template, name=args.name))
    return 0


def _figure(args: argparse.Namespace) -> int:
    template = DEFAULT_OUTPUTS["figure"][0]
    out = _output("--out", plots.check_output,
                  args.out if args.out is not None else _default_out(template, name=args.name))
    _wrote(FIGURES[args.name].draw(out),
           "" if args.out is not None else _kept(out, template, name=args.name))
    return 0


COMMANDS: dict = {"demo": _demo, "train": _train_command, "draw": _draw, "check": _check,
                  "experiment": _experiment, "figure": _figure}


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``minigrad`` command line on ``argv`` (default: ``sys.argv[1:]``);
    returns the exit code (0 done, 1 failed, 2 bad arguments). On a stdout or
    stderr that is not UTF-8, what its encoding cannot encode is spelled in
    ASCII (``ascii_spelling``): Ŷ as Y_hat, σ as sigma, ‖ as ||."""
    with _readable_streams():
        return _main(argv)


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as stop:     # --help (0) and usage errors (2): already printed
        return stop.code if isinstance(stop.code, int) else USAGE_ERROR
    command: Callable[[argparse.Namespace], int] = COMMANDS[args.command]
    try:
        return command(args)
    except BrokenPipeError:
        # `minigrad train | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's final flush does not raise a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return FAILURE
    except (ValueError, OSError) as error:
        # the library's own checks (sizes, names, paths) say what was wrong
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return USAGE_ERROR
    except MemoryError:
        # sizes that pass the up-front estimate but not the memory free right now
        print(f"{PROG}: error: out of memory; try a smaller --hidden or --m",
              file=sys.stderr)
        return USAGE_ERROR
    except mg.viz.GraphvizNotFoundError:
        # a missing tool: the work failed (1), the arguments were fine; one line, as
        # every error here, naming it and how to install it (the library's message
        # lists the installers on lines of their own and speaks of save_graph)
        print(f"{PROG}: error: {MISSING_DOT}", file=sys.stderr)
        return FAILURE
    except (ImportError, plots.TeXNotFoundError) as error:
        # matplotlib or Pillow missing: their messages say what to pip install;
        # the TeX program of a .pgf figure missing: its message says what to install
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover - `python -m nets` goes through __main__.py
    sys.exit(main())
