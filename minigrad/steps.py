"""The backward pass, one node at a time: what arrived, which rule, what was sent.

    for step in mg.backward_steps(J):
        print(step.name, step.grad.shape, step.rule)
    print(mg.backward_trace(J))        # the same as a table, one line per step

``backward_steps`` does the work ``J.backward()`` does, with the same VJPs,
the same reduction of broadcast gradients and the same order of additions
where gradients meet, and records each step instead of storing ``.grad``: it
leaves every ``.grad`` of the graph as it was. Each step's ``grad`` is what
``J.backward()`` leaves in that node's ``.grad`` on a fresh graph, bit for
bit. The steps are listed in reverse ``topological_order``: every consumer of
a node before the node, and a node's inputs soon after it, layer by layer.

The rule of each op is written once, in ``RULES``: its general form
("matmul: dA = dZ Bᵀ, dB = Aᵀ dZ") and, per input, the right-hand side as
the notes write it. When the graph is the notes' (the root is a
cross-entropy of a (1, m) row), a step's rule is written in the notes'
notation with the nodes' names: ``dW[2] = (1/m) dZ[2] A[1]ᵀ``,
``db[2] = (1/m) Σ dZ[2]``, ``dZ[1] = dA[1] * g′(Z[1]) = dA[1] * (1 − A[1]²)``.
There, as in the notes, ``dZ`` and ``dA`` stack per-sample derivatives
(∂J/∂Z = dZ / m) while ``dW`` and ``db`` are ∂J/∂W and ∂J/∂b themselves, and
every right-hand side gives the numbers the step carries (tests evaluate them):
a node used twice gets "dZ[1] = …" for its first share and "dZ[1] += …" for the
next, pow and leaky ReLU write their p and α, constants are written exactly,
and a seed other than 1 shows the general rules. The lines under the trace
(``BackwardSteps.conventions()``, also on each frame of the animation) say how
to read the rules against the numbers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, overload

import numpy as np

from minigrad.functional import PROBABILITY_CLIP
from minigrad.tensor import Tensor, _seed_array, _unbroadcast, describe, topological_order
from minigrad.table import Table, text_table, visible

__all__ = ["Rule", "RULES", "Sent", "BackwardStep", "BackwardSteps", "backward_steps",
           "backward_trace", "expression", "exponent", "op_symbol", "node_name", "exact"]


@dataclass(frozen=True)
class Rule:
    """How an op is written: in the picture, as an expression, and its backward rule.

    ``symbol``: the op's oval in the picture (``@``, ``σ``). ``expression``: how
    an unnamed result reads, with ``{0}``, ``{1}`` its inputs (``{0} {1}`` gives
    ``W[1] X``); empty: no expression. ``general``: the backward rule in the op's
    own letters (Z the output, A and B the inputs). ``notes``: per input, the
    right-hand side in the notes' writing, with ``{0}``, ``{1}`` the inputs'
    names, ``{out}`` the output's name, ``{dout}`` the output's gradient
    (``dZ[2]``) and ``{sigma0}`` σ of input 0 (``A[2]`` when input 0 is
    ``Z[2]``); empty: the step shows the general rule.
    """
    symbol: str
    expression: str
    general: str
    notes: Tuple[str, ...] = ()


_G = "{dout} * g′({0}) = {dout} * "   # the notes' dZ[l] = dA[l] * g′(Z[l]), then g′ spelled out

# Every op of minigrad/ops.py and minigrad/functional.py, by the name it gives its
# nodes (a test holds this table to that). ``pow`` gets its exponent where drawn.
RULES: Dict[str, Rule] = {
    "add": Rule("+", "{0} + {1}", "add: Z = A + B; dA = dZ, dB = dZ", ("{dout}", "{dout}")),
    "sub": Rule("−", "{0} − {1}", "sub: Z = A − B; dA = dZ, dB = −dZ", ("{dout}", "−{dout}")),
    "mul": Rule("×", "{0} × {1}", "mul: Z = A * B; dA = dZ * B, dB = dZ * A",
                ("{dout} * {1}", "{dout} * {0}")),
    "div": Rule("÷", "{0} ÷ {1}", "div: Z = A / B; dA = dZ / B, dB = −dZ * A / B²",
                ("{dout} / {1}", "−{dout} * {0} / {1}²")),
    "neg": Rule("−x", "−{0}", "neg: Z = −A; dA = −dZ", ("−{dout}",)),
    "pow": Rule("**", "{0}^p", "pow: Z = A ** p; dA = dZ * p A^(p−1)", ("{dout} * p {0}^(p−1)",)),
    "matmul": Rule("@", "{0} {1}", "matmul: Z = A B; dA = dZ Bᵀ, dB = Aᵀ dZ",
                   ("{dout} {1}ᵀ", "{0}ᵀ {dout}")),
    "linear": Rule("W·+b", "{0} {1} + {2}",
                   "linear: Z = W A + B; dW = dZ Aᵀ, dA = Wᵀ dZ, dB = dZ",
                   ("{dout} {1}ᵀ", "{0}ᵀ {dout}", "{dout}")),
    "transpose": Rule("·ᵀ", "{0}ᵀ", "transpose: Z = Aᵀ; dA = dZᵀ", ("{dout}ᵀ",)),
    "reshape": Rule("reshape", "reshape({0})",
                    "reshape: Z = A reshaped; dA = dZ reshaped back to A's shape"),
    "sum": Rule("Σ", "Σ {0}", "sum: Z = Σ A; dA = dZ copied back over the summed axes"),
    "mean": Rule("mean", "mean({0})",
                 "mean: Z = mean of n entries of A; dA = dZ / n copied back over them"),
    "exp": Rule("exp", "exp({0})", "exp: Z = e^A; dA = dZ * Z", ("{dout} * {out}",)),
    "log": Rule("log", "log({0})", "log: Z = ln A; dA = dZ / A", ("{dout} / {0}",)),
    "tanh": Rule("tanh", "tanh({0})", "tanh: Z = tanh(A); dA = dZ * (1 − Z²)",
                 (_G + "(1 − {out}²)",)),
    "sigmoid": Rule("σ", "σ({0})", "sigmoid: Z = σ(A); dA = dZ * Z(1 − Z)",
                    (_G + "{out}(1 − {out})",)),
    "relu": Rule("ReLU", "ReLU({0})", "relu: Z = max(0, A); dA = dZ * (1 where A > 0, else 0)",
                 (_G + "(1 where {0} > 0, else 0)",)),
    "leaky_relu": Rule("leaky ReLU", "leaky ReLU({0})",
                       "leaky_relu: Z = A where A > 0, else αA; "
                       "dA = dZ * (1 where A > 0, else α)",
                       (_G + "(1 where {0} > 0, else α)",)),
    # id(Z[1]), not Z[1]: an unnamed identity read as its input, two nodes of one name
    "identity": Rule("id", "id({0})", "identity: Z = A; dA = dZ", (_G + "1",)),
    "binary_cross_entropy": Rule(
        "BCE", "BCE({0}, {1})",
        "binary_cross_entropy: J = −mean(Y log A + (1 − Y) log(1 − A)) over n entries; "
        "dA = (A − Y) / (A(1 − A)) / n (0 where A is clipped to [1e-15, 1 − 1e-15]), "
        "dY = (log(1 − A) − log A) / n",
        ("−{1}/{0} + (1 − {1})/(1 − {0})", "log(1 − {0}) − log {0}")),
    "binary_cross_entropy_with_logits": Rule(
        "BCE(σ)", "BCE(σ({0}), {1})",
        "binary_cross_entropy_with_logits: J = mean(log(1 + e^Z) − Y Z) over n entries; "
        "dZ = (σ(Z) − Y) / n, dY = −Z / n",
        ("{sigma0} − {1}", "−{0}")),
}

LEAF_RULE = "leaf: the gradient stays here (.grad)"
_CROSS_ENTROPY = ("binary_cross_entropy", "binary_cross_entropy_with_logits")
_SIMPLE_NAME = re.compile(r"[A-Za-z]\w*(\[\d+\])?")
# A name holding a space or an operator sign ("h 1", "x+1") is bracketed where it is
# an operand: "dZ * h 1" reads as (dZ * h) 1, "1 − x+1²" as 1 − x + 1².
_OPERATOR_OR_SPACE = re.compile(r"[\s+\-−*/×÷=;^,Σ<>]")
# the notes' Z[2], W[1], b[1] and the course code's Z2, W1, b1 (its dict keys)
_Z_NAME = re.compile(r"Z(\[\d+\]|\d+)")
_PARAMETER = re.compile(r"[Wwb](\[\d+\]|\d*)")


@dataclass(frozen=True, eq=False)
class Sent:
    """What one step sent to one input: ``grad`` is that input's share of ∂J/∂input,
    already summed to the input's shape (``summed``: the engine had to, because
    the input was broadcast in the forward pass, as b[l] across the m columns)."""
    input: Tensor
    position: int          # which input of the op (0, 1)
    grad: np.ndarray
    summed: bool


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One node of the backward pass: ``grad`` (= ∂J/∂node, complete) arrived,
    ``rule`` was applied, ``sent`` went to the inputs that need a gradient.
    ``index`` is the step's place in the list (``steps[step.index]``, from 0);
    ``number`` is how people count it (from 1)."""
    index: int
    node: Tensor
    grad: np.ndarray
    rule: str
    sent: Tuple[Sent, ...]

    @property
    def number(self) -> int:
        """The step's number wherever it is shown (the trace, ``print(step)``, the
        animation's frames): ``index + 1``. Counted from 1, as the notes count
        steps (第1步) and as a slider reads ("step 1 of 10"): ``steps[k - 1]``
        is step k."""
        return self.index + 1

    @property
    def name(self) -> str:
        """The node's name, else how it was made (``W[1] X``), else ``<op>``."""
        return _display(self.node)

    def __str__(self) -> str:
        # one line, as a row of the trace: the rule names the inputs too
        return visible(f"step {self.number}: {self.name} {_shape(self.node)}: {self.rule}")


class BackwardSteps(Sequence):
    """The steps of one backward pass, in order; ``str()`` is a table."""

    def __init__(self, root: Tensor, steps: Sequence[BackwardStep], m: Optional[int]) -> None:
        self.root = root
        self._steps = tuple(steps)
        self.m = m   # the number of samples when the graph is the notes' (else None)

    @overload
    def __getitem__(self, i: int) -> BackwardStep: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[BackwardStep]: ...

    def __getitem__(self, i):
        return self._steps[i]

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[BackwardStep]:
        return iter(self._steps)

    def __repr__(self) -> str:
        return f"<BackwardSteps of {describe(self.root)}: {len(self)} steps>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython and Jupyter show a cell's last value this way: the table
        printer.text(str(self))

    def __str__(self) -> str:
        rows = [(str(s.number), s.name, s.node.op or "leaf", _shape(s.node),
                 f"{_norm(s.grad):.4g}", s.rule) for s in self]
        table = text_table(("step", "node", "op", "shape", f"‖∂{self._of()}/∂node‖", "rule"),
                           rows)
        return "\n".join([table] + self.conventions())

    def _of(self) -> str:
        """What the gradients are of, as draw's legend says it: J for backward()'s
        seed 1; (Σ y) for a root of several entries seeded with ones; (seed × J),
        (Σ seed × y) for another seed (the steps' numbers are those)."""
        root = visible(_display(self.root))   # the table's cells are escaped so
        root = _operand(root)   # ∂(Σ x × 2)/∂node, not ∂Σ x × 2/∂node
        seed = self._steps[0].grad if self._steps else np.ones(())
        ones = bool(np.all(seed == 1.0))
        if self.root.size == 1:
            return root if ones else f"(seed × {root})"
        return f"(Σ {root})" if ones else f"(Σ seed × {root})"

    def conventions(self) -> list:
        """The lines that say how to read the rules against the numbers: the notes'
        m convention where it applies, and what "+=" means where a rule has it (the
        trace ends with them, and so does each frame of the animation)."""
        if self.m is None:
            return []
        root = visible(_display(self.root))   # the table's cells are escaped so; the note too
        lines = [f"The notes' convention (m = {self.m}): dZ, dA stack the per-sample "
                 f"derivatives (∂{root}/∂Z = dZ / m); dW, db are ∂{root}/∂W, ∂{root}/∂b."]
        if any(" += " in s.rule for s in self):
            lines.append("dA += …: a node used more than once gets a share from each use; "
                         "its gradient is the sum of its shares.")
        general = next((s for s in self if s.node.op and s.rule.startswith(f"{s.node.op}: ")),
                       None)
        if general is not None:
            # "matmul: Z = A B; dA = dZ Bᵀ" read per sample would miss the 1/m of a W
            lines.append(f"A rule that starts with its op ({general.node.op}: …) is in the op's "
                         f"own letters, not the notes': there dZ, dA are ∂{root}/∂Z, ∂{root}/∂A.")
        return lines


def backward_steps(root: Tensor, grad: Any = None) -> BackwardSteps:
    """The backward pass from ``root``, one step per node that receives a gradient,
    listed in reverse topological order (see the module docstring).

    ``grad`` is the seed, as for ``root.backward(grad)``. Changes no ``.grad``.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"backward_steps: root must be a minigrad Tensor; "
                        f"got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError(f"backward_steps: {describe(root)} does not depend on any tensor "
                         f"with requires_grad=True")
    seed = _seed(root, grad)
    nodes = [t for t in reversed(topological_order(root)) if t.requires_grad]
    # The notes' dZ[2] = A[2] − Y is m ∂J/∂Z[2] for J's own seed, 1: with another
    # seed every number is that many times the notes' (the general rules say so)
    notes = _notes_context(root, nodes) if np.all(seed == 1.0) else None
    # The work in backward()'s order, newest node first, so that the gradients
    # that meet at a node are added in the same order: the same bits.
    pending = {id(root): seed}
    done = {}
    for node in sorted(nodes, key=lambda t: t._seq, reverse=True):
        g = pending.pop(id(node))
        sent = []
        if node._vjps is not None:
            for position, (parent, vjp, version) in enumerate(zip(node.parents, node._vjps,
                                                                   node._versions)):
                if parent._version != version:   # as backward(): no mix of old and new
                    raise RuntimeError(_changed(parent, node))
                if not parent.requires_grad:
                    continue   # as backward(): nothing is sent where nothing is needed
                pg = vjp(g)
                summed = pg.shape != parent.data.shape
                if summed:
                    pg = _unbroadcast(pg, parent.data.shape)
                key = id(parent)
                pending[key] = pending[key] + pg if key in pending else pg
                sent.append(Sent(parent, position, _frozen(pg), summed))
        done[id(node)] = (g, tuple(sent))
    # Shown in reverse topological order: each node's inputs right after it,
    # layer by layer (W[2] and b[2] before A[1]), as the notes go back.
    # A node used twice gets two shares: in the notes' writing the first one shown
    # is "dZ[1] = …", each later one "dZ[1] += …" (two "dZ[1] = …" read as the
    # second replacing the first, and neither is the dZ[1] its step shows).
    shares: Dict[int, int] = {}
    for g, sent_t in done.values():
        for s in sent_t:
            shares[id(s.input)] = shares.get(id(s.input), 0) + 1
    shown: set = set()
    steps = []
    for node in _leaves_when_complete(nodes):
        g, sent_t = done[id(node)]
        rule = _rule(node, sent_t, notes, shares, shown)
        if node is root and node.op in _CROSS_ENTROPY and not np.all(seed == 1.0):
            # the cross-entropies' rules are for dJ = 1, backward()'s seed
            rule += f" (each times the seed dJ = {exact(float(seed))})"
        steps.append(BackwardStep(len(steps), node, _frozen(g), rule, sent_t))
    return BackwardSteps(root, steps, notes.m if notes else None)


def _leaves_when_complete(nodes: list) -> list:
    """``nodes`` (reverse topological order) with each leaf moved up to right after
    the last node that sends it a gradient: the depth-first order lists W[2] when
    it first meets it, so that, reversed, W[2] came after all of layer 1."""
    needed = {id(t) for t in nodes}
    senders: Dict[int, int] = {}   # id(leaf) -> how many of its consumers are still to come
    for t in nodes:
        for p in t.parents:
            if not p.parents and id(p) in needed:
                senders[id(p)] = senders.get(id(p), 0) + 1
    ordered, placed = [], set()
    for t in nodes:
        if not t.parents and id(t) in senders:
            continue   # placed after its last consumer
        ordered.append(t)
        for p in t.parents:
            if id(p) in senders and id(p) not in placed:
                senders[id(p)] -= 1
                if senders[id(p)] == 0:
                    placed.add(id(p))
                    ordered.append(p)
    return ordered


def backward_trace(root: Tensor, grad: Any = None) -> str:
    """``str(backward_steps(root, grad))``: the backward pass as a table (a
    ``Table``: Jupyter shows it as print() does)."""
    return Table(str(backward_steps(root, grad)))


def _changed(parent: Tensor, node: Tensor) -> str:
    # the VJPs kept the old arrays, while parent.data is the new one: steps made
    # from them would show gradients of values no longer in the graph
    return (f"backward_steps: the data of {describe(parent)} was changed after the graph "
            f"used it (in {describe(node)}); the steps would mix old and new values, and "
            f"backward() refuses too. Build the graph again after changing data.")


# --- the seed and the arrays a step keeps ------------------------------------------------------
def _seed(root: Tensor, grad: Any) -> np.ndarray:
    if grad is None:
        if root.data.size != 1:
            raise ValueError(f"backward_steps: non-scalar {describe(root)} needs a seed: pass "
                             f"grad= an array of shape {root.shape}")
        return np.ones(root.shape)
    seed = _seed_array(grad, "backward_steps")
    if seed.shape != root.shape:
        raise ValueError(f"backward_steps: grad of shape {seed.shape} does not match "
                         f"{describe(root)}")
    return seed


def _frozen(a: np.ndarray) -> np.ndarray:
    # A step owns its numbers: later steps, or the caller, cannot change them.
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def _norm(a: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.linalg.norm(a))


def _shape(t: Tensor) -> str:
    return "scalar" if t.shape == () else str(t.shape)


# --- the rule of a step, in the notes' writing where the graph is the notes' ---------------------
@dataclass
class _Notes:
    m: int
    consumers: Dict[int, list]
    named: Dict[str, list]   # the graph's nodes by name


def _notes_context(root: Tensor, order: list) -> Optional[_Notes]:
    """The notes' convention applies when the root is a cross-entropy over one row
    of m samples (the per-sample d's are then m · ∂J/∂)."""
    if root.op not in _CROSS_ENTROPY or not root.parents or root.parents[0].ndim != 2 \
            or root.parents[0].shape[0] != 1:
        return None
    consumers: Dict[int, list] = {}
    for t in order:
        for p in t.parents:
            consumers.setdefault(id(p), []).append(t)
    named: Dict[str, list] = {}
    for t in topological_order(root):
        if node_name(t) is not None:
            named.setdefault(node_name(t), []).append(t)
    return _Notes(root.parents[0].shape[1], consumers, named)


def _rule(node: Tensor, sent: Tuple[Sent, ...], notes: Optional[_Notes],
          shares: Dict[int, int], shown: set) -> str:
    """The step's rule; ``shares`` counts the gradients each node receives and
    ``shown`` holds the nodes a share was already shown for (steps in order)."""
    if node.op is None:
        return LEAF_RULE
    rule = RULES.get(node.op)
    # later shares of a node read "+=" where an earlier step, even in the general
    # form, already sent it one
    assign = []
    for s in sent:   # x * x: the second share of x reads "+=" in the same step
        assign.append("+=" if shares.get(id(s.input), 0) > 1 and id(s.input) in shown else "=")
        shown.add(id(s.input))
    if rule is None:
        return f"{node.op}: (no rule text)"
    general = rule.general
    if node.op == "pow" and exponent(node) is not None:
        general += f" (here p = {exact(exponent(node))})"
    elif node.op == "leaky_relu" and node.op_params:
        general += f" (here α = {exact(node.op_params['alpha'])})"
    if notes is None or not rule.notes or not sent:
        return general
    a = node.parents[0].data if node.op == "binary_cross_entropy" else None
    # the engine's own test: where the clip moves A, its slope is 0
    clipped = a is not None and bool(np.any((a < PROBABILITY_CLIP) |
                                            (a > 1.0 - PROBABILITY_CLIP)))
    if clipped and len(sent) > 1:
        return general   # dY's log(1 − A) − log A is of the clipped A: the general rule says so
    lines = []
    for s, a in zip(sent, assign):
        text = _notes_line(node, s, rule, notes, a)
        if text is None:
            return general
        lines.append(text)
    if clipped:
        # where A rounds to 0 or 1 the formula is ±inf or nan; the engine sends 0 there
        lines[0] += (f", 0 where {_display(node.parents[0], paren=True)} is clipped to "
                     f"[1e-15, 1 − 1e-15]")
    return "; ".join(lines)


def _notes_line(node: Tensor, s: Sent, rule: Rule, notes: _Notes,
                assign: str = "=") -> Optional[str]:
    names = [_display(p, paren=True) for p in node.parents]
    out = _display(node, paren=True)
    if "?" in names or out == "?" or _display(_d_node(node, notes), paren=True) == "?":
        return None   # a node that cannot be written ("<add>" twice reads as one node)
    z = _Z_NAME.fullmatch(node_name(node.parents[0]) or "")
    sigma0 = f"σ({_display(node.parents[0])})"
    if z:   # A[2] = σ(Z[2]), unless the graph's own A[2] is another node (tanh(Z[1]), say)
        a = notes.named.get(f"A{z.group(1)}", [])
        if all(t.op == "sigmoid" and t.parents[0] is node.parents[0] for t in a):
            sigma0 = f"A{z.group(1)}"
    rhs = _template(node, rule.notes[s.position]).format(
        *names, out=out, dout=_d(node, notes), sigma0=sigma0)
    pieces = []
    for piece in rhs.split(" = "):   # dA[1] * g′(Z[1]) = dA[1] * (1 − A[1]²): each side
        bracket = s.summed or _is_parameter(s.input, notes)
        if bracket and _top_level_sum(piece):
            piece = f"({piece})"   # (1/m) (−Y/b + …), not (1/m) (−Y/b) + …
        if s.summed:
            piece = f"Σ {piece}"
        if _is_parameter(s.input, notes):
            # dW, db are ∂J/∂W, ∂J/∂b themselves, so the 1/m shows
            piece = f"(1/m) {piece}"
        pieces.append(piece)
    return f"{_d(s.input, notes, own=True)} {assign} {' = '.join(pieces)}"


def _template(node: Tensor, form: str) -> str:
    """The notes' form with this node's numbers in it: pow's p, leaky ReLU's α
    (a rule a learner can compute), and g′ of an input without doubled brackets."""
    if node.op == "pow" and exponent(node) is not None:
        p = exponent(node)
        power = {0.0: "", 1.0: " {0}"}.get(p - 1.0)
        if power is None:
            q = exact(p - 1.0)
            power = f" {{0}}{q.translate(_SUPERSCRIPTS)}" if q.isdigit() else \
                f" {{0}}^({q.replace('-', '−')})"
        number = exact(p).replace("-", "−")
        form = f"{{dout}} * {'(' + number + ')' if p < 0 else number}{power}"
    if node.op == "leaky_relu" and node.op_params:
        form = form.replace("α", exact(node.op_params["alpha"]))
    if "g′({0})" in form:
        plain = _display(node.parents[0]).replace("{", "{{").replace("}", "}}")
        form = form.replace("g′({0})", f"g′({plain})")
    return form


def exact(x: float) -> str:
    """x short (3, 0.2) but exact: a rule's α or p must give the step's numbers,
    and a picture's one-number constant must be the one its consumer uses."""
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def _top_level_sum(text: str) -> bool:
    """Whether text has a + or − between terms outside brackets (a − b, not −a)."""
    depth = 0
    for i, c in enumerate(text):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0 and c in "+−" and 0 < i < len(text) - 1 and text[i - 1] == " " \
                and text[i + 1] == " ":
            return True
    return False


def _is_parameter(t: Tensor, notes: _Notes) -> bool:
    """W[l], b[l] (W1, b1, w, b): a leaf named so, or one without a column per
    sample (a leaf with m columns, such as X, stacks per-sample values like dZ and
    dA do). The name decides first: W1 (4, 2) has m columns when m = n_x = 2."""
    if t.parents:
        return False
    return bool(_PARAMETER.fullmatch(node_name(t) or "")) or t.ndim != 2 or t.shape[1] != notes.m


def _d_node(t: Tensor, notes: _Notes) -> Tensor:
    """The node whose gradient t's is called by: an unnamed W[2] A[1] that only
    feeds Z[2] = W[2] A[1] + b[2] carries dZ[2] itself."""
    while node_name(t) is None:
        users = notes.consumers.get(id(t), [])
        if not (len(users) == 1 and users[0].op == "add" and users[0].shape == t.shape):
            break
        t = users[0]
    return t


def _d(t: Tensor, notes: _Notes, own: bool = False) -> str:
    """The notes' name of t's gradient: dZ[2]; an unnamed W[2] A[1] that only feeds
    Z[2] = W[2] A[1] + b[2] carries dZ[2] itself (unless ``own``: d(W[2] A[1]))."""
    t = t if own else _d_node(t, notes)
    name = _display(t)
    # d(wᵀ), not dwᵀ: that reads as (dw)ᵀ, which is m times smaller (\w takes ᵀ)
    return f"d{name}" if _SIMPLE_NAME.fullmatch(name) and "ᵀ" not in name else f"d({name})"


def _operand(name: str) -> str:
    """A name as an operand: in brackets if it holds a space or an operator sign."""
    return f"({name})" if _OPERATOR_OR_SPACE.search(name) else name


def _display(t: Tensor, paren: bool = False) -> str:
    """A node in plain text: its name, else its expression (``W[1] X``), else a
    one-number constant's value, else ``<op>`` (``?`` with ``paren``: unusable in a formula)."""
    if node_name(t) is not None:
        return _operand(node_name(t)) if paren else node_name(t)
    made = expression(t)
    if made is None:
        if not t.parents and t.size == 1:
            return exact(float(t._view().reshape(())))
        return "?" if paren else (f"<{t.op}>" if t.op else "<leaf>")
    return f"({made})" if paren and not _SIMPLE_NAME.fullmatch(made) else made


# --- how a node is written: shared with the pictures (minigrad.viz) -------------------------------
EXPRESSION_LIMIT = 40   # characters; a longer expression is no help as a label
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def node_name(t: Tensor) -> Optional[str]:
    """t's name as text (a name that is not a str is shown as its str()), None if unnamed."""
    return None if t.name is None or t.name == "" else str(t.name)


def expression(t: Tensor, limit: int = EXPRESSION_LIMIT) -> Optional[str]:
    """How an unnamed result was made, in the notes' writing: ``W[1] X``,
    ``1 − A[2]``, ``tanh(Z[1])``, ``Σ (W[1] X + b[1])²``; unnamed inputs are
    written by their own expressions, in parentheses where precedence needs
    them. None when an input cannot be written (a constant array, an op with
    no expression) or the text would be longer than ``limit`` characters."""
    made = _expression(t, limit)
    return None if made is None else made[0]


# How tightly an op's written form binds its operands (a name or f(x) binds tightest).
_PRECEDENCE = {"add": 1, "sub": 1, "linear": 1, "sum": 2, "mul": 3, "div": 3, "matmul": 3,
               "neg": 4, "pow": 5}
_ATOM = 9


def _expression(t: Tensor, limit: int, depth: int = 0) -> Optional[Tuple[str, int]]:
    # every op adds at least one character: deeper than ``limit`` is too long anyway,
    # and stopping there keeps a chain of 100,000 ops from exhausting the stack
    if not t.parents or depth > limit:
        return None
    rule = RULES.get(t.op)
    if rule is None or not rule.expression:
        return None
    form = rule.expression
    if t.op == "pow":
        p = exponent(t)
        if p is None:
            return None
        power = exact(p)
        form = "{0}" + (power.translate(_SUPERSCRIPTS) if power.lstrip("-").isdigit()
                        else f"^{power}")
    precedence = _PRECEDENCE.get(t.op, _ATOM)
    operands = []
    for i, p in enumerate(t.parents):
        if node_name(p) is not None:
            name = node_name(p)
            # f(h 1) needs no more brackets; h 1 × h 1 needs them: (h 1) × (h 1)
            operands.append(name if "({%d})" % i in form else _operand(name))
        elif not p.parents and p.size == 1:
            # exact: a constant 0.99998 written "1" puts the wrong number in a rule
            number = exact(float(p._view().reshape(())))
            # (-2)², not -2²: that reads as −(2²)
            operands.append(f"({number})" if t.op == "pow" and number[0] == "-" else number)
        else:
            inner = _expression(p, limit, depth + 1)
            if inner is None:
                return None
            text, inner_precedence = inner
            bracketed = "({%d})" % i in form   # f(x): the form brings its own
            # a − (b − c), a ÷ (b × c): the right operand of sub and div binds at equal rank
            # too, and so does a product of the other kind: W (A × D), read left to right
            # and a power of a power: (a²)³, not a²³ (which reads as a to the 23rd)
            # linear's W A binds as a product: W (A + B) + b, not W A + B + b
            op, binding = ("matmul", _PRECEDENCE["matmul"]) if t.op == "linear" and i < 2 \
                else (t.op, precedence)
            weaker = inner_precedence < binding or (
                i == 1 and inner_precedence == binding and (
                    op in ("sub", "div") or (op == "matmul") != (p.op == "matmul"))) or (
                op == "pow" and inner_precedence == binding)
            operands.append(f"({text})" if weaker and not bracketed else text)
    text = form.format(*operands)
    return (text, precedence) if len(text) <= limit else None


def exponent(t: Tensor) -> Optional[float]:
    """The exponent p of a ``pow`` node (``x ** 2`` gives 2.0), as the op kept it
    (``t.op_params``); None for any other node."""
    if t.op != "pow" or not t.op_params:
        return None
    return float(t.op_params["p"])


def op_symbol(t: Tensor) -> str:
    """The op's oval in the picture: ``@``, ``σ``, ``**2`` (pow with its exponent)."""
    if t.op == "pow":
        p = exponent(t)
        return "**" if p is None else f"**{exact(p)}"   # not **1 for x ** 0.9999999
    rule = RULES.get(t.op)
    return rule.symbol if rule else str(t.op)
