"""minigrad.steps: the backward pass one node at a time (mg.backward_steps, mg.backward_trace)."""
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.steps import LEAF_RULE, RULES, BackwardStep, BackwardSteps, _display, expression
from nets import DeepNet, LogisticRegression, TwoLayerNet
from tests.strategies import (NOTES_KINDS, activations_with_params, computation_graphs,
                              notes_graphs, notes_op)
from tests.test_viz import two_layer_graph

ENGINE = Path(mg.__file__).parent


def graph_nodes(root):
    return mg.topological_order(root)


# --- the one table of rules ---------------------------------------------------------------------
def engine_op_names() -> set:
    """Every op name the engine gives its nodes: the @op("name") decorators."""
    names = set()
    for source in ENGINE.glob("*.py"):
        names.update(re.findall(r'@op\("(\w+)"', source.read_text(encoding="utf-8")))
    return names


def test_every_op_of_the_engine_has_a_rule():
    names = engine_op_names()
    assert {"add", "matmul", "pow", "sigmoid", "binary_cross_entropy"} <= names, names
    missing = names - set(RULES)
    assert not missing, f"ops with no entry in minigrad.steps.RULES: {sorted(missing)}"
    assert "binary_cross_entropy_with_logits" in RULES


@pytest.mark.parametrize("name", sorted(RULES))
def test_each_rule_names_its_op_and_writes_one_notes_form_per_input(name):
    rule = RULES[name]
    assert rule.general.startswith(f"{name}: "), rule.general
    assert rule.symbol and "=" in rule.general, rule
    for form in rule.notes:   # the notes' right-hand sides format without a KeyError
        form.format("A", "B", out="Z", dout="dZ", sigma0="σ(A)")


# --- the gradients are backward()'s, and backward_steps changes nothing -------------------------
@given(build=computation_graphs())
def test_each_step_carries_the_gradient_backward_leaves(build):
    """Bit for bit, also where three or more gradients meet at a node: the steps
    add them in backward()'s order (newest consumer first)."""
    root = build()
    steps = mg.backward_steps(root)
    assert all(t.grad is None for t in graph_nodes(root)), "backward_steps wrote a .grad"
    root.backward()
    stepped = {id(s.node) for s in steps}
    assert len(stepped) == len(steps), "a node has two steps"
    for t in graph_nodes(root):
        assert (id(t) in stepped) == (t.grad is not None), (t, t.grad)
    arrivals: dict = {}
    for s in steps:
        for sent in s.sent:
            arrivals[id(sent.input)] = arrivals.get(id(sent.input), 0) + 1
            assert sent.grad.shape == sent.input.shape, (s, sent.input, sent.grad.shape)
            assert sent.input.requires_grad
    for s in steps:
        assert s.grad.shape == s.node.shape, (s, s.grad.shape)
        np.testing.assert_array_equal(s.grad, s.node.grad, err_msg=str(s))


def test_the_two_layer_graph_steps_carry_exactly_backwards_gradients():
    t = two_layer_graph()   # after backward()
    steps = mg.backward_steps(t["J"])
    assert len(steps) == 11
    for s in steps:
        np.testing.assert_array_equal(s.grad, s.node.grad, err_msg=str(s))


@given(build=computation_graphs())
def test_a_node_comes_after_every_node_that_sends_it_a_gradient(build):
    steps = mg.backward_steps(build())
    position = {id(s.node): s.index for s in steps}
    for s in steps:
        for sent in s.sent:
            assert position[id(sent.input)] > s.index, (s, sent.input)
    assert [s.index for s in steps] == list(range(len(steps)))
    assert steps[0].node is steps.root and float(steps[0].grad) == 1.0


def test_the_two_layer_graph_goes_back_layer_by_layer():
    # as the notes go: dZ[2], db[2], dW[2], then layer 1; W[2] last (after W[1]) drew
    # it "pending" in every frame of layer 1, though step 5 had said dW[2] = ...
    steps = mg.backward_steps(two_layer_graph()["J"])
    assert [s.name for s in steps] == ["J", "A[2]", "Z[2]", "b[2]", "W[2] A[1]", "W[2]",
                                       "A[1]", "Z[1]", "b[1]", "W[1] X", "W[1]"]


@given(build=computation_graphs())
@example(build=lambda: two_layer_graph()["J"])   # W[2], met first by the depth-first order
def test_a_leaf_comes_right_after_the_step_that_completes_its_gradient(build):
    steps = mg.backward_steps(build())
    position = {id(s.node): s.index for s in steps}
    for s in steps:
        if s.node.op is None and s.index > 0:
            last = max(position[id(c.node)] for c in steps if any(
                x.input is s.node for x in c.sent))
            between = steps[last + 1:s.index]
            assert all(b.node.op is None for b in between), (s, [b.name for b in between])


@given(build=computation_graphs())
def test_the_gradient_of_a_node_is_the_sum_of_what_was_sent_to_it(build):
    steps = mg.backward_steps(build())
    received: dict = {}
    # added in backward()'s order, newest sender first (where a sum cancels, the
    # order decides the last bits): then the sum is the step's gradient exactly
    for s in sorted(steps, key=lambda s: s.node._seq, reverse=True):
        for sent in s.sent:
            received.setdefault(id(sent.input), []).append(sent.grad)
    for s in steps[1:]:
        total = sum(received[id(s.node)][1:], received[id(s.node)][0].copy())
        np.testing.assert_array_equal(s.grad, total, err_msg=str(s))


def test_backward_steps_leaves_existing_gradients_as_they_were():
    t = two_layer_graph()   # backward() already ran
    before = {name: (x.grad, x.grad.copy()) for name, x in t.items() if x.grad is not None}
    steps = mg.backward_steps(t["J"])
    for name, (array, values) in before.items():
        assert t[name].grad is array, f"{name}.grad was replaced"
        np.testing.assert_array_equal(array, values, err_msg=name)
    # a step's numbers are its own: not the .grad arrays, and not writable
    for s in steps:
        assert not np.shares_memory(s.grad, s.node.grad)
        with pytest.raises(ValueError):
            s.grad[...] = 0.0


@pytest.mark.parametrize("show", [mg.backward_steps, mg.backward_trace, mg.backward_animation])
def test_a_leaf_changed_after_the_graph_used_it_is_refused_as_backward_refuses(show):
    # the steps showed grad [2, 4] (from the old [1, 2], kept by the VJPs) for a w
    # whose data is now [10, 20]: the mix of old and new values backward() refuses
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    J = (w * w).sum().named("J")
    w.data = np.array([[10.0, 20.0]])
    with pytest.raises(RuntimeError, match=r"backward\(\)"):
        J.backward()
    with pytest.raises(RuntimeError, match=r"backward_steps: the data of w \(1, 2\) was changed"):
        show(J)


def test_an_input_changed_after_the_graph_used_it_is_refused_too():
    # X needs no gradient, but W's gradient W.grad = dZ Xᵀ is made from the old X
    W = mg.tensor([[1.0, 2.0]], requires_grad=True, name="W")
    X = mg.tensor([[1.0], [1.0]], name="X")
    J = (W @ X).sum().named("J")
    X.data = np.array([[5.0], [5.0]])
    with pytest.raises(RuntimeError, match=r"the data of X \(2, 1\) was changed"):
        mg.backward_steps(J)


def test_a_seed_for_a_non_scalar_root_is_used_as_backward_uses_it():
    x = mg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, name="x")
    y = (x * x).tanh()
    seed = np.array([[1.0, 2.0], [3.0, 4.0]])
    steps = mg.backward_steps(y, seed)
    y.backward(seed)
    np.testing.assert_array_equal(steps[-1].grad, x.grad)
    np.testing.assert_array_equal(steps[0].grad, seed)


# --- the rules as the notes write them ------------------------------------------------------------
NOTES_RULES = {
    "J": "dA[2] = −Y/A[2] + (1 − Y)/(1 − A[2])",
    "A[2]": "dZ[2] = dA[2] * g′(Z[2]) = dA[2] * A[2](1 − A[2])",
    "Z[2]": "d(W[2] A[1]) = dZ[2]; db[2] = (1/m) Σ dZ[2]",
    "W[2] A[1]": "dW[2] = (1/m) dZ[2] A[1]ᵀ; dA[1] = W[2]ᵀ dZ[2]",
    "A[1]": "dZ[1] = dA[1] * g′(Z[1]) = dA[1] * (1 − A[1]²)",
    "Z[1]": "d(W[1] X) = dZ[1]; db[1] = (1/m) Σ dZ[1]",
    "W[1] X": "dW[1] = (1/m) dZ[1] Xᵀ",
    "b[2]": LEAF_RULE, "b[1]": LEAF_RULE, "W[1]": LEAF_RULE, "W[2]": LEAF_RULE,
}


def test_the_two_layer_graph_is_explained_in_the_notes_formulas():
    steps = mg.backward_steps(two_layer_graph()["J"])
    assert {s.name: s.rule for s in steps} == NOTES_RULES
    assert steps.m == 3


def test_the_notes_formulas_hold_for_the_numbers_each_step_carries():
    """dZ[2] = A[2] − Y, dW[2] = (1/m) dZ[2] A[1]ᵀ, ...: with the notes' dZ = m ∂J/∂Z."""
    t = two_layer_graph()
    by_name = {s.name: s for s in mg.backward_steps(t["J"])}
    m = 3
    dZ2 = m * by_name["Z[2]"].grad
    np.testing.assert_allclose(dZ2, t["A[2]"].data - t["Y"].data, rtol=1e-12)
    np.testing.assert_allclose(by_name["W[2]"].grad, dZ2 @ t["A[1]"].data.T / m, rtol=1e-12)
    np.testing.assert_allclose(by_name["b[2]"].grad, dZ2.sum(axis=1, keepdims=True) / m,
                               rtol=1e-12)
    dA1 = t["W[2]"].data.T @ dZ2
    dZ1 = dA1 * (1 - t["A[1]"].data ** 2)
    np.testing.assert_allclose(m * by_name["Z[1]"].grad, dZ1, rtol=1e-12)
    sent = {id(x.input): x for x in by_name["Z[1]"].sent}
    assert sent[id(t["b[1]"])].summed and not sent[id(by_name["W[1] X"].node)].summed


def test_the_course_codes_names_get_the_notes_formulas_also_when_m_equals_n_x():
    """W1, b1, Z1 (the course code's keys), m = n_x = 2: W1 (4, 2) has a column per
    sample, and the trace wrote dW1 = dZ1 Xᵀ, m times the gradient it carries."""
    rng = np.random.RandomState(0)
    X = mg.tensor(rng.randn(2, 2), name="X")
    Y = mg.tensor([[1.0, 0.0]], name="Y")
    p = {k: mg.tensor(v, requires_grad=True, name=k) for k, v in
         {"W1": rng.randn(4, 2), "b1": rng.randn(4, 1), "W2": rng.randn(1, 4),
          "b2": rng.randn(1, 1)}.items()}
    A1 = (p["W1"] @ X + p["b1"]).named("Z1").tanh().named("A1")
    Z2 = (p["W2"] @ A1 + p["b2"]).named("Z2")
    J = mg.binary_cross_entropy_with_logits(Z2, Y).named("J")
    by_name = {s.name: s for s in mg.backward_steps(J)}
    assert by_name["J"].rule == "dZ2 = A2 − Y"
    assert by_name["W1 X"].rule == "dW1 = (1/m) dZ1 Xᵀ", by_name["W1 X"].rule
    assert by_name["Z1"].rule == "d(W1 X) = dZ1; db1 = (1/m) Σ dZ1"
    m = 2   # the numbers: dZ1 = m ∂J/∂Z1, dW1 = ∂J/∂W1
    dZ1 = m * by_name["Z1"].grad
    np.testing.assert_allclose(by_name["W1"].grad, dZ1 @ X.data.T / m, rtol=1e-12)


def test_the_cross_entropy_of_logits_says_dZ_is_A_minus_Y():
    Z = mg.tensor([[0.5, -1.0, 2.0]], requires_grad=True, name="Z[2]")   # a column per sample
    Y = mg.tensor([[1.0, 0.0, 1.0]], name="Y")
    J = mg.binary_cross_entropy_with_logits(Z, Y).named("J")
    assert mg.backward_steps(J)[0].rule == "dZ[2] = A[2] − Y"
    b = mg.tensor([[0.5]], requires_grad=True, name="b")   # one number for all samples
    J = mg.binary_cross_entropy_with_logits(b + Y * 0.0, Y)
    steps = mg.backward_steps(J)
    assert [s.rule for s in steps[:2]] == ["d(b + Y × 0) = σ(b + Y × 0) − Y",
                                           "db = (1/m) Σ d(b + Y × 0)"]


def test_a_graph_that_is_not_the_notes_shows_each_ops_general_rule():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True, name="x")
    w = mg.tensor([[3.0], [4.0]], requires_grad=True, name="w")
    L = ((x @ w).tanh() * 2.0).sum()
    rules = [s.rule for s in mg.backward_steps(L)]
    assert rules == [RULES["sum"].general, RULES["mul"].general, RULES["tanh"].general,
                     RULES["matmul"].general, LEAF_RULE, LEAF_RULE], rules
    assert RULES["matmul"].general == "matmul: Z = A B; dA = dZ Bᵀ, dB = Aᵀ dZ"


# --- every rule, evaluated: its right-hand sides give the numbers beside it -------------------
# A learner reads "dW[2] = (1/m) dZ[2] A[1]ᵀ" as the formula that made the numbers.
# RuleReader reads rule text the same way and computes it from the nodes' values
# and the gradients the steps carry, so that a missing 1/m, a Σ that is not there,
# a transpose on the wrong side, a sign or a name of the wrong node shows.
OPERATOR_CHARACTERS = set("+−-*/×÷=;^,Σ")
PARAMETER = re.compile(r"[Wwb](\[\d+\]|\d*)")
NUMBER = re.compile(r"-?\d+(\.\d+)?(e[-+]?\d+)?")
SPECIALS = ["g′", "σ", "log", "where", "else", "+=", "Σ", "ᵀ", "^",
            "(", ")", "+", "−", "*", "/", ">", ",", "=", "m", "α", "p"]
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _atomic(text):
    return not any(c.isspace() or c in OPERATOR_CHARACTERS for c in text)


def derivative(op, x, params):
    """g′(x) of an activation op, from its definition (not from the engine)."""
    if op == "tanh":
        return 1.0 - np.tanh(x) ** 2
    if op == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-x))
        return s * (1.0 - s)
    if op == "relu":
        return np.where(x > 0, 1.0, 0.0)
    if op == "leaky_relu":
        return np.where(x > 0, 1.0, params["alpha"])
    if op == "identity":
        return np.ones_like(x)
    raise AssertionError(f"g′ of {op}")


class RuleReader:
    """Reads rule text as a learner does: a name is the node the trace shows under
    that name (its value), dN is N's gradient in the notes' convention (m ∂J/∂N for
    per-sample nodes, ∂J/∂N for parameters), juxtaposition with a space is a matrix
    product (a product with a number), without a space an elementwise one."""

    def __init__(self, steps):
        self.steps = steps
        self.prefer = []
        self.m = steps.m
        self.grad = {id(s.node): s.grad for s in steps}
        self.words = {}
        for t in mg.topological_order(steps.root):
            text = _display(t)
            forms = [("(" + text + ")", "v"), ("d(" + text + ")", "d")]
            if _atomic(text):
                forms += [(text, "v"), ("d" + text, "d")]
            for word, kind in forms:
                self.words.setdefault(word, []).append((kind, t))
        # the notes' A[l] = σ(Z[l]) where the graph has Z[l] and no A[l] (J from the logits)
        for word, found in list(self.words.items()):
            a = "A" + word[1:]
            if word[0] == "Z" and _atomic(word) and a not in self.words and found[0][0] == "v":
                z = found[0][1].data
                self.words[a] = [("σ", 1.0 / (1.0 + np.exp(-z)))]

    # --- conventions ---------------------------------------------------------------
    def is_parameter(self, t):
        return not t.parents and (bool(PARAMETER.fullmatch(str(t.name or ""))) or
                                  t.ndim != 2 or t.shape[1] != self.m)

    def d_value(self, t):
        if id(t) not in self.grad:
            raise AssertionError(f"d of a node with no step: {_display(t)}")
        g = self.grad[id(t)]
        return g if (self.m is None or self.is_parameter(t)) else self.m * g

    def resolve(self, word, prefer=()):
        """(kind, node) of a word; a word naming two nodes of different numbers is an error."""
        found = self.words[word]
        # unnamed twins (a.tanh() twice) read alike: in a step's rule, the step's
        # own node, its inputs and its consumer are the ones meant
        for t in prefer:
            for kind, x in found:
                if x is t:
                    return kind, x
        numbers = [x if kind == "σ" else self.d_value(x) if kind == "d" else x.data
                   for kind, x in found]
        if any(k != found[0][0] for k, _ in found) or \
                not all(np.array_equal(numbers[0], v) for v in numbers[1:]):
            raise AssertionError(f"{word!r} names several nodes")
        return found[0]

    # --- tokens ------------------------------------------------------------------------
    def tokens(self, text):
        out, i, space = [], 0, False
        words = sorted(self.words, key=len, reverse=True)
        while i < len(text):
            if text[i] == " ":
                space, i = True, i + 1
                continue
            word = next((w for w in words if text.startswith(w, i)), None)
            if word is not None:
                kind, t = self.resolve(word, self.prefer)
                v = t if kind == "σ" else self.d_value(t) if kind == "d" else t.data
                out.append(("val", v, space, word))
                i += len(word)
            elif text[i] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
                run = re.match("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", text[i:]).group()
                out.append(("op", "sup", space, run))
                i += len(run)
            else:
                number = NUMBER.match(text, i)
                special = next((s for s in SPECIALS if text.startswith(s, i)), None)
                if number and not (text[i] == "-"):
                    out.append(("val", np.asarray(float(number.group())), space, number.group()))
                    i = number.end()
                elif special is not None:
                    out.append(("op", special.strip(), space, special))
                    i += len(special)
                else:
                    raise AssertionError(f"cannot read {text[i:]!r} in {text!r}")
            space = False
        return out

    # --- grammar -----------------------------------------------------------------------
    def value(self, text, step, target_shape):
        users = [c.node for c in self.steps if any(p is step.node for p in c.node.parents)]
        self.prefer = [step.node] + [x.input for x in step.sent] + users
        self.toks, self.k = self.tokens(text), 0
        self.step, self.target = step, target_shape
        v = self.sum()
        if self.k != len(self.toks):
            raise AssertionError(f"left over in {text!r}: {self.toks[self.k:]}")
        return v

    def peek(self):
        return self.toks[self.k] if self.k < len(self.toks) else ("end", None, False, "")

    def take(self, op=None):
        tok = self.peek()
        if op is not None and not (tok[0] == "op" and tok[1] == op):
            raise AssertionError(f"expected {op!r}, got {tok}")
        self.k += 1
        return tok

    def sum(self):
        v = self.product()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "−"):
            op = self.take()[1]
            w = self.product()
            v = v + w if op == "+" else v - w
        return v

    def product(self):
        v = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            w = self.unary()
            v = v * w if op == "*" else v / w
        return v

    def unary(self):
        if self.peek()[0] == "op" and self.peek()[1] == "−":
            self.take()
            return -self.unary()
        return self.juxtaposed()

    def starts_atom(self, tok):
        return tok[0] == "val" or (tok[0] == "op" and tok[1] in (
            "(", "g′", "σ", "log", "Σ", "m", "α", "p"))

    def juxtaposed(self):
        v = self.postfix()
        while self.starts_atom(self.peek()):
            spaced = self.peek()[2]
            w = self.postfix()
            if not spaced or np.ndim(v) == 0 or np.ndim(w) == 0:
                v = v * w
            else:
                v = np.matmul(v, w)
        return v

    def postfix(self):
        v = self.atom()
        while True:
            tok = self.peek()
            if tok[0] == "op" and tok[1] == "ᵀ" and not tok[2]:
                self.take()
                v = np.asarray(v).T
            elif tok[0] == "op" and tok[1] == "sup" and not tok[2]:
                self.take()
                v = v ** float(tok[3].translate(SUPERSCRIPT))
            elif tok[0] == "op" and tok[1] == "^" and not tok[2]:
                self.take()
                v = v ** self.atom()
            else:
                return v

    def atom(self):
        tok = self.take()
        if tok[0] == "val":
            return tok[1]
        op = tok[1]
        if op == "(":
            v = self.sum()
            if self.peek()[1] == "where":
                self.take()
                cond = self.sum()
                self.take(">")
                zero = self.sum()
                self.take(",")
                self.take("else")
                other = self.sum()
                self.take(")")
                return np.where(cond > zero, v, other)
            self.take(")")
            return v
        if op in ("g′", "σ", "log"):
            x = self.postfix()
            if op == "σ":
                return 1.0 / (1.0 + np.exp(-x))
            if op == "log":
                return np.log(x)
            return derivative(self.step.node.op, x, self.step.node.op_params or {})
        if op == "Σ":
            x = np.asarray(self.sum())
            return _sum_to(x, self.target)
        if op == "m":
            return np.asarray(float(self.m))
        if op == "α":
            return np.asarray(float(self.step.node.op_params["alpha"]))
        if op == "p":
            return np.asarray(float(self.step.node.op_params["p"]))
        raise AssertionError(f"unexpected {tok}")


def _sum_to(x, shape):
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and x.shape[axis] != 1:
            x = x.sum(axis=axis, keepdims=True)
    return x


PART = re.compile(r"(.*?) (\+?=) (.*)")
CLIPPED = re.compile(r"(.*), 0 where (.*) is clipped to \[1e-15, 1 − 1e-15\]")


def rule_errors(steps, rtol: float = 1e-9) -> list:
    """Each step's rule in the notes' writing, evaluated: every right-hand side
    (``dA[1] * g′(Z[1])`` and ``dA[1] * (1 − A[1]²)`` both) must give the share the
    step sent, in the notes' convention (m times it for per-sample nodes), and
    its left-hand side must name the input it went to, with ``+=`` for a share
    after the first. Returns what disagrees (empty: every number agrees)."""
    reader = RuleReader(steps)
    shares: dict = {}
    for s in steps:
        for x in s.sent:
            shares[id(x.input)] = shares.get(id(x.input), 0) + 1
    errors, shown = [], set()
    for s in steps:
        general = s.rule.startswith(f"{s.node.op}: ")
        parts = [] if general or not s.sent else s.rule.split("; ")
        if parts and len(parts) != len(s.sent):
            errors.append(f"step {s.number}: {len(parts)} parts, {len(s.sent)} inputs: {s.rule}")
            parts = []
        for k, sent in enumerate(s.sent):
            later = id(sent.input) in shown
            shown.add(id(sent.input))
            if not parts:
                continue   # a leaf, or the op's general rule (its own letters)
            part = parts[k]
            found = PART.fullmatch(part)
            if not found:
                errors.append(f"step {s.number}: no 'd… = …' in {part!r}")
                continue
            lhs, assign, rhs = found.groups()
            if lhs not in reader.words or not any(
                    kind == "d" and t is sent.input for kind, t in reader.words[lhs]):
                errors.append(f"step {s.number}: {lhs!r} is not the gradient of the input "
                              f"{_display(sent.input)}")
                continue
            want_assign = "+=" if later and shares[id(sent.input)] > 1 else "="
            if assign != want_assign:
                errors.append(f"step {s.number}: {part!r} should read {want_assign!r} "
                              f"({lhs} gets {shares[id(sent.input)]} shares)")
            want = sent.grad if reader.is_parameter(sent.input) else reader.m * sent.grad
            for piece in rhs.split(" = "):
                # "…, 0 where A[2] is clipped to [1e-15, 1 − 1e-15]": the cross-entropy's clip
                clip = CLIPPED.fullmatch(piece)
                try:
                    with np.errstate(all="ignore"):
                        got = np.asarray(reader.value(clip.group(1) if clip else piece, s,
                                                      sent.input.shape), dtype=float)
                        if clip:
                            a = reader.value(clip.group(2), s, sent.input.shape)
                            got = np.where((a < 1e-15) | (a > 1 - 1e-15), 0.0, got)
                except (AssertionError, KeyError, ValueError) as e:
                    errors.append(f"step {s.number}: cannot read {piece!r}: {e}")
                    continue
                scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
                if got.shape != want.shape or not np.allclose(got, want, rtol=rtol,
                                                              atol=rtol * scale):
                    errors.append(f"step {s.number}: {lhs} {assign} {piece} gives "
                                  f"{got.ravel()[:4]} {got.shape}; the step sent "
                                  f"{want.ravel()[:4]} {want.shape}")
    return errors


GENERAL_PART = re.compile(r"d([A-Z]) = (.*)")
PROSE = ("sum", "mean", "reshape")   # "copied back over the summed axes": words, no formula


def general_rule_errors(steps, rtol: float = 1e-9) -> list:
    """Each general rule ("mul: Z = A * B; dA = dZ * B, dB = dZ * A") evaluated with
    its letters bound to the step's nodes (Z the result, A and B the inputs; J, Z
    and Y for the cross-entropies) and dZ = ∂root/∂Z: every dA must give the
    share sent to A, summed to A's shape where A was broadcast."""
    errors = []
    for s in steps:
        op = s.node.op
        if not s.sent or not s.rule.startswith(f"{op}: ") or op in PROSE:
            continue
        letters = ("J", "Z", "Y") if op.startswith("binary_cross") else \
            ("Z", "W", "A", "B") if op == "linear" else ("Z", "A", "B")
        node = s.node
        with np.errstate(all="ignore"):
            words = {letters[0]: node.data, "d" + letters[0]: s.grad,
                     "n": np.asarray(float(node.parents[0].size))}
            for letter, parent in zip(letters[1:], node.parents):
                words[letter] = parent.data
            if op == "binary_cross_entropy":   # the letters are J, A, Y
                words = {"J": node.data, "dJ": s.grad, "A": node.parents[0].data,
                         "Y": node.parents[1].data, "n": words["n"]}
                letters = ("J", "A", "Y")
        reader = RuleReader.__new__(RuleReader)
        reader.m, reader.prefer, reader.steps = None, [], steps
        reader.words = {w: [("σ", np.asarray(v))] for w, v in words.items()}
        rule = re.sub(r" \((here|each|0 where)[^()]*(\([^()]*\)[^()]*)*\)", "", s.rule)
        parts = re.split(r", (?=d[A-Z] = )", rule.split("; ", 1)[1])
        by_letter = dict(GENERAL_PART.fullmatch(part).groups() for part in parts)
        for sent in s.sent:
            letter = letters[1 + sent.position]
            try:
                with np.errstate(all="ignore"):   # A = 0: inf, replaced by the clip's 0 below
                    got = reader.value(by_letter[letter], s, sent.input.shape)
                got = _sum_to(np.broadcast_to(got, np.broadcast_shapes(
                    np.shape(got), sent.input.shape)).copy(), sent.input.shape)
            except (AssertionError, KeyError, ValueError) as e:
                errors.append(f"step {s.number}: cannot read d{letter} in {s.rule!r}: {e!r}")
                continue
            seed = re.search(r"\(each times the seed dJ = (\S+)\)", s.rule)
            if seed:
                got = got * float(seed.group(1))
            if op == "binary_cross_entropy" and letter == "A":   # 0 where A is clipped
                got = np.where((words["A"] < 1e-15) | (words["A"] > 1 - 1e-15), 0.0, got)
            scale = max(1.0, float(np.max(np.abs(sent.grad), initial=0.0)))
            if np.shape(got) != sent.grad.shape or not np.allclose(
                    got, sent.grad, rtol=rtol, atol=rtol * scale):
                errors.append(f"step {s.number}: d{letter} = {by_letter[letter]} gives "
                              f"{np.ravel(got)[:4]}; the step sent {sent.grad.ravel()[:4]}")
    return errors


@given(build=computation_graphs())
def test_a_graph_not_the_notes_shows_general_rules_that_give_its_numbers(build):
    """A root that is no cross-entropy of a (1, m) row: every step shows its op's
    general rule, never the notes' per-sample form, and its numbers hold."""
    steps = mg.backward_steps(build())
    assert steps.m is None and "notes' convention" not in str(steps)
    for s in steps:
        assert s.rule == LEAF_RULE if s.node.op is None else s.rule.startswith(
            f"{s.node.op}: "), s.rule
    errors = general_rule_errors(steps)
    assert not errors, "\n".join(errors) + "\n" + str(steps)


@given(build=notes_graphs())
def test_the_general_rules_a_notes_graph_falls_back_to_give_its_numbers_too(build):
    J = build()
    for seed in (None, 2.5):   # another seed: every step's general rule
        errors = general_rule_errors(mg.backward_steps(J, seed))
        assert not errors, "\n".join(errors) + "\n" + str(mg.backward_steps(J, seed))


def test_a_cross_entropy_over_more_than_one_row_is_not_the_notes_graph():
    A = mg.tensor([[0.2, 0.7], [0.6, 0.4]], requires_grad=True, name="A[2]")
    Y = mg.tensor([[1.0, 0.0], [0.0, 1.0]], name="Y")
    steps = mg.backward_steps(mg.binary_cross_entropy(A, Y).named("J"))
    assert steps.m is None and steps[0].rule == RULES["binary_cross_entropy"].general
    assert not general_rule_errors(steps)


@given(build=notes_graphs())
@example(build=lambda: two_layer_graph()["J"])
def test_every_rule_in_the_notes_writing_gives_the_gradient_its_step_sent(build):
    steps = mg.backward_steps(build())
    assert steps.m is not None
    errors = rule_errors(steps)
    assert not errors, "\n".join(errors) + "\n" + str(steps)


@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("name", [None, "Z[1]", "h 1"])
@pytest.mark.parametrize("kind", NOTES_KINDS)
def test_each_ops_rule_in_the_notes_writing_gives_its_numbers(kind, name, m):
    """Every op, on every run (the random graphs reach each one only now and then),
    on a named, an unnamed and an unusually named input, for m = 1 and m > 1."""
    rng = np.random.RandomState(m)
    X, Y = mg.tensor(rng.randn(2, m), name="X"), mg.tensor([[1.0, 0.0, 1.0][:m]], name="Y")
    p = {k: mg.tensor(rng.randn(*shape), requires_grad=True, name=k) for k, shape in
         [("W[1]", (2, 2)), ("b[1]", (2, 1)), ("W[2]", (1, 2)), ("b[2]", (1, 1)),
          ("W[3]", (2, 2)), ("b[3]", (2, 1))]}
    Z = p["W[1]"] @ X + p["b[1]"]
    Z = Z if name is None else Z.named(name)
    c = mg.tensor(0.75, requires_grad=True, name="c")
    H = notes_op(kind, Z, Z.sigmoid(), p["W[3]"], p["b[3]"], c).named("H")
    J = mg.binary_cross_entropy_with_logits((p["W[2]"] @ H + p["b[2]"]).named("Z[2]"),
                                            Y).named("J")
    steps = mg.backward_steps(J)
    errors = rule_errors(steps) + general_rule_errors(steps)
    assert not errors, "\n".join(errors) + "\n" + str(steps)
    # the op's step shows the notes' writing, unless it is prose (sum, mean, reshape)
    op_steps = [s for s in steps if s.node.op not in (None, "add", "matmul")]
    assert all(not s.rule.startswith(f"{s.node.op}: ") for s in op_steps
               if s.node.op not in ("sum", "mean", "reshape")), str(steps)


@given(kind=st.sampled_from(["two_layer", "logistic", "deep2", "deep3"]),
       activation=activations_with_params(), n_x=st.integers(1, 3), n_h=st.integers(1, 4),
       m=st.integers(1, 5), seed=st.integers(0, 1000))
def test_the_nets_rules_give_the_gradients_beside_them(kind, activation, n_x, n_h, m, seed):
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(n_x, m), (rng.rand(1, m) > 0.5).astype(float)
    net = {"two_layer": lambda: TwoLayerNet(n_x, n_h, activation, seed=seed),
           "logistic": lambda: LogisticRegression(n_x, init="random", seed=seed),
           "deep2": lambda: DeepNet([n_x, n_h, 2, 1], activation, seed=seed),
           "deep3": lambda: DeepNet([n_x, n_h, 3, 2, 1], activation, seed=seed)}[kind]()
    steps = mg.backward_steps(net.graph(X, Y).loss)
    assert all(not s.rule.startswith(f"{s.node.op}: ") for s in steps), str(steps)
    errors = rule_errors(steps)
    assert not errors, "\n".join(errors) + "\n" + str(steps)


def test_the_rule_reader_catches_a_missing_one_over_m_and_a_wrong_transpose():
    # the check itself can fail: rules with a planted slip are caught
    steps = mg.backward_steps(two_layer_graph()["J"])
    for good, bad in [("(1/m) dZ[2] A[1]ᵀ", "dZ[2] A[1]ᵀ"), ("W[2]ᵀ dZ[2]", "dZ[2] W[2]"),
                      ("(1/m) Σ dZ[2]", "(1/m) dZ[2]"), ("(1 − A[1]²)", "(1 + A[1]²)"),
                      ("dZ[1] = dA[1]", "dZ[1] += dA[1]")]:
        slipped = BackwardSteps(steps.root, [
            BackwardStep(s.index, s.node, s.grad, s.rule.replace(good, bad), s.sent)
            for s in steps], steps.m)
        assert any(good in s.rule for s in steps), good
        assert rule_errors(slipped), f"{good} -> {bad} not caught"


# --- the text trace -----------------------------------------------------------------------------
def test_the_trace_has_a_header_and_one_line_per_step():
    J = two_layer_graph()["J"]
    steps = mg.backward_steps(J)
    trace = mg.backward_trace(J)
    assert trace == str(steps)
    lines = trace.splitlines()
    assert lines[0].split()[:5] == ["step", "node", "op", "shape", "‖∂J/∂node‖"], lines[0]
    assert set(lines[1]) <= {"-", " "}
    body = lines[2:2 + len(steps)]
    for line, s in zip(body, steps):
        assert line.startswith(f"{s.number} ") and line.endswith(s.rule), (line, s.rule)
        assert f"{np.linalg.norm(s.grad):.4g}" in line, line
    assert lines[2 + len(steps):] == [
        "The notes' convention (m = 3): dZ, dA stack the per-sample derivatives "
        "(∂J/∂Z = dZ / m); dW, db are ∂J/∂W, ∂J/∂b."]
    assert str(steps[4]) == f"step 5: W[2] A[1] (1, 3): {NOTES_RULES['W[2] A[1]']}"


# --- bad input ------------------------------------------------------------------------------------
def test_a_name_with_a_newline_or_tab_keeps_the_trace_one_line_per_step():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="权重\nW[1]")
    J = (w * w).sum().named("代价\tJ")
    lines = mg.backward_trace(J).splitlines()
    assert len(lines) == 2 + len(mg.backward_steps(J)), lines
    assert lines[-1].startswith("3     权重\\nW[1]  "), lines
    assert "\t" not in "".join(lines) and "\t" not in str(mg.backward_steps(J)[0])


def test_a_root_that_is_not_a_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="backward_steps: root must be a minigrad Tensor"):
        mg.backward_steps(np.ones(3))


def test_a_root_that_needs_no_gradient_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"backward_steps: c \(2,\) does not depend"):
        mg.backward_steps(mg.tensor([1.0, 2.0], name="c"))


def test_a_non_scalar_root_needs_a_seed_of_its_shape():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    with pytest.raises(ValueError, match=r"needs a seed: pass grad= an array of shape \(2,\)"):
        mg.backward_steps(x * 2.0)
    with pytest.raises(ValueError, match=r"grad of shape \(3,\) does not match"):
        mg.backward_steps(x * 2.0, np.ones(3))


def test_a_long_chain_needs_no_recursion():
    x = mg.tensor([0.5], requires_grad=True, name="x")
    chain = x
    for _ in range(20_000):   # far past Python's recursion limit
        chain = chain.tanh()
    steps = mg.backward_steps(chain.sum())
    assert len(steps) == 20_002 and steps[-1].node is x
    assert steps[1].name == "<tanh>" and steps[1].rule == RULES["tanh"].general


def test_three_gradients_meeting_at_a_node_are_added_in_backwards_order():
    # 1e16 + 1 rounds to 1e16: the order of the three additions decides the answer,
    # and the reverse topological order would add them in another one (giving 1.0)
    x = mg.tensor(1.0, requires_grad=True, name="x")
    big = x * 1e16          # backward adds newest first: -1e16 + 1 + 1e16 = 0.0
    one = x * 1.0
    root = (one + big) + x * -1e16
    steps = mg.backward_steps(root)
    root.backward()
    assert x.grad == 0.0 and steps[-1].node is x and steps[-1].grad == x.grad


def test_jupyter_shows_the_table_not_the_repr():
    # A cell that ends in mg.backward_steps(J) shows what print() would
    from IPython.lib.pretty import pretty
    steps = mg.backward_steps(two_layer_graph()["J"])
    assert pretty(steps) == str(steps)
    assert repr(steps).startswith("<BackwardSteps of J")


def test_the_gradient_of_an_unnamed_transpose_is_written_with_brackets():
    """The notes' one neuron, z = wᵀx + b with w a column: the trace wrote
    "dwᵀ = dZ Xᵀ" and "dw = (1/m) dwᵀᵀ", which read as (dw)ᵀ = dZ Xᵀ, m times
    ∂J/∂wᵀ; it is d(wᵀ), per sample like dZ, then dw = (1/m) d(wᵀ)ᵀ."""
    rng = np.random.RandomState(0)
    X = mg.tensor(rng.randn(2, 3), name="X")
    Y = mg.tensor([[1.0, 0.0, 1.0]], name="Y")
    w = mg.tensor(rng.randn(2, 1), requires_grad=True, name="w")
    b = mg.tensor([[0.0]], requires_grad=True, name="b")
    J = mg.binary_cross_entropy((w.T @ X + b).named("Z").sigmoid().named("A"), Y).named("J")
    by_name = {s.name: s for s in mg.backward_steps(J)}
    assert by_name["wᵀ X"].rule == "d(wᵀ) = dZ Xᵀ", by_name["wᵀ X"].rule
    assert by_name["wᵀ"].rule == "dw = (1/m) d(wᵀ)ᵀ", by_name["wᵀ"].rule
    assert by_name["Z"].rule == "d(wᵀ X) = dZ; db = (1/m) Σ dZ"
    m = 3   # the numbers: d(wᵀ) = m ∂J/∂wᵀ, dw = ∂J/∂w = (1/m) X dZᵀ, as the notes
    dZ = m * by_name["Z"].grad
    np.testing.assert_allclose(m * by_name["wᵀ"].grad, dZ @ X.data.T, rtol=1e-12)
    np.testing.assert_allclose(by_name["w"].grad, X.data @ dZ.T / m, rtol=1e-12)


def test_a_name_with_a_newline_keeps_print_step_on_one_line_in_its_rule_too():
    # print(step) escaped the node's name but not the rule, which names the inputs:
    # "dW[1] = (1/m) dZ[1] 输入" then "Xᵀ" on a line of its own
    X = mg.tensor(np.ones((2, 3)), name="输入\nX")
    Y = mg.tensor([[1.0, 0.0, 1.0]], name="Y")
    W = mg.tensor(np.full((1, 2), 0.1), requires_grad=True, name="W[1]")
    J = mg.binary_cross_entropy_with_logits((W @ X).named("Z[1]"), Y).named("J")
    step = mg.backward_steps(J)[1]
    # (a name holding a space or newline is bracketed as an operand: (输入\nX)ᵀ)
    assert str(step) == "step 2: Z[1] (1, 3): dW[1] = (1/m) dZ[1] (输入\\nX)ᵀ", str(step)
    assert step.rule == "dW[1] = (1/m) dZ[1] (输入\nX)ᵀ"   # the data stays as it is


# --- pinned by planted bugs (each test failed with one small change to steps.py) ----------
def test_one_samples_logistic_regression_takes_its_lowercase_w_for_a_parameter():
    # w (2, 1) has one column, as X has when m = 1: the name decides, and dw is the
    # mean over the samples, (1/m) of the stacked ones, as for W
    w = mg.tensor([[0.5], [-1.0]], requires_grad=True, name="w")
    b = mg.tensor([[0.1]], requires_grad=True, name="b")
    X, Y = mg.tensor([[1.0], [2.0]], name="X"), mg.tensor([[1.0]], name="Y")
    J = mg.binary_cross_entropy_with_logits(w.T @ X + b, Y).named("J")
    rules = [s.rule for s in mg.backward_steps(J)]
    assert "dw = (1/m) d(wᵀ)ᵀ" in rules, rules


def test_a_data_leaf_whose_name_starts_like_a_parameter_is_not_one():
    # "batch" starts with b: it is no b[l], and X-like (a column per sample)
    W = mg.tensor(np.ones((1, 2)), requires_grad=True, name="W")
    batch = mg.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 2.0]], requires_grad=True, name="batch")
    J = mg.binary_cross_entropy_with_logits(W @ batch, mg.tensor([[1.0, 0.0, 1.0]])).named("J")
    assert mg.backward_steps(J)[1].rule == \
        "dW = (1/m) d(W batch) batchᵀ; dbatch = Wᵀ d(W batch)"


def test_only_a_power_brackets_a_negative_number():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    assert expression(x * -2.0) == "x × -2"
    assert expression(x + -1.0) == "x + -1"


def test_the_notes_line_under_the_trace_escapes_the_roots_name_too():
    rng = np.random.RandomState(0)
    W = mg.tensor(rng.randn(1, 2), requires_grad=True, name="W[1]")
    X, Y = mg.tensor(rng.randn(2, 3), name="X"), mg.tensor([[1.0, 0.0, 1.0]], name="Y")
    J = mg.binary_cross_entropy_with_logits(W @ X, Y).named("代价\tJ")
    steps = mg.backward_steps(J)
    assert steps.m == 3
    assert "\t" not in str(steps) and "∂代价\\tJ/∂Z = dZ / m" in str(steps), str(steps)


# --- a node used twice: its shares ------------------------------------------------------------
def test_a_node_used_twice_gets_its_second_share_with_plus_equals():
    """Z[1] × Z[1] and A[1] + Z[1]: the rules read "dZ[1] = …; dZ[1] = …", the second
    as replacing the first, and neither is the dZ[1] its step shows (their sum)."""
    X = mg.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], name="X")
    Y = mg.tensor([[1.0, 0.0, 1.0]], name="Y")
    W = mg.tensor([[0.3, -0.2]], requires_grad=True, name="W[1]")
    Z = (W @ X).named("Z[1]")
    J = mg.binary_cross_entropy_with_logits(Z * Z, Y).named("J")
    steps = mg.backward_steps(J)
    assert steps[1].rule == "dZ[1] = d(Z[1] × Z[1]) * Z[1]; dZ[1] += d(Z[1] × Z[1]) * Z[1]"
    assert "dA += …: a node used more than once gets a share from each use" in str(steps)
    # the two shares add up to the dZ[1] of Z[1]'s step (m = 3 ∂J/∂Z[1])
    share = 3 * steps[1].grad * Z.data
    np.testing.assert_allclose(3 * steps[2].grad, share + share, rtol=1e-12)
    A = Z.tanh().named("A[1]")
    J = mg.binary_cross_entropy_with_logits(A + Z, Y).named("J")
    rules = [s.rule for s in mg.backward_steps(J)]
    assert rules[1:3] == ["dA[1] = d(A[1] + Z[1]); dZ[1] = d(A[1] + Z[1])",
                          "dZ[1] += dA[1] * g′(Z[1]) = dA[1] * (1 − A[1]²)"], rules
    # a graph used once has no "+=" and no line about it
    assert "+=" not in str(mg.backward_steps(two_layer_graph()["J"]))


# --- names in the rules: each one points at one node, and reads as one operand --------------
def _row(m: int = 3):
    X = mg.tensor(np.linspace(-1.0, 1.0, 2 * m).reshape(2, m), name="X")
    Y = mg.tensor([[1.0, 0.0, 1.0, 0.0][:m]], name="Y")
    W = mg.tensor([[0.3, -0.2]], requires_grad=True, name="W[1]")
    return X, Y, W


def test_a_name_with_a_space_or_an_operator_sign_is_bracketed_as_an_operand():
    """A node named "h 1": the rule read "d(h 1) = dZ * h 1" ((dZ * h) 1?) and a
    picture's label "h 1 × h 1"; "x+1" read "(1 − x+1²)" for 1 − (x+1)²."""
    X, Y, W = _row()
    h = (W @ X).named("h 1")
    J = mg.binary_cross_entropy_with_logits(h * h, Y).named("J")
    steps = mg.backward_steps(J)
    assert steps[1].name == "(h 1) × (h 1)"
    assert steps[1].rule == "d(h 1) = d((h 1) × (h 1)) * (h 1); d(h 1) += d((h 1) × (h 1)) * (h 1)"
    assert expression((h * 2.0).tanh()) == "tanh((h 1) × 2)"
    assert expression(h.tanh()) == "tanh(h 1)"   # a function's own brackets are enough
    x = (W @ X).named("x+1")
    J = mg.binary_cross_entropy_with_logits(x.tanh().named("A"), Y).named("J")
    assert mg.backward_steps(J)[1].rule == "d(x+1) = dA * g′(x+1) = dA * (1 − A²)"
    J = mg.binary_cross_entropy_with_logits(x.tanh(), Y).named("J")
    assert mg.backward_steps(J)[1].rule.endswith("(1 − (tanh(x+1))²)")
    # the notes' and the course code's names, and Chinese ones, stay as they are
    assert expression(mg.tensor(1.0, name="权重") * W) == "权重 × W[1]"


def test_an_unnamed_identity_is_written_id_of_its_input_not_as_its_input():
    """mg.identity(Z[1]) unnamed showed as "Z[1]": two nodes of that name in the
    trace, and the rule "dZ[1] = dZ[1] * g′(Z[1]) = dZ[1] * 1" for a share of
    dZ[1]."""
    X, Y, W = _row()
    Z = (W @ X).named("Z[1]")
    J = mg.binary_cross_entropy_with_logits(mg.identity(Z) * 2.0, Y).named("J")
    steps = mg.backward_steps(J)
    assert [s.name for s in steps][:4] == ["J", "id(Z[1]) × 2", "id(Z[1])", "Z[1]"]
    assert steps[2].rule == "dZ[1] = d(id(Z[1])) * g′(Z[1]) = d(id(Z[1])) * 1"


def test_a_gradient_whose_node_cannot_be_written_leaves_the_general_rule():
    """An unnamed tanh whose one consumer is an add too long to write ("<add>"):
    its rule read "d(exp(Z0)) = d(<add>) * …", and the graph had two <add>."""
    X, Y, W = _row()
    Z = (W @ X).named("Z0")
    long = Z.tanh().exp().tanh().exp()
    J = mg.binary_cross_entropy_with_logits((long.tanh() + long.mean()) * 1.0, Y).named("J")
    steps = mg.backward_steps(J)
    assert [s.name for s in steps].count("<add>") == 1
    tanh = next(s for s in steps if s.node is J.parents[0].parents[0].parents[0])
    assert tanh.rule == RULES["tanh"].general, tanh.rule
    assert not any("<" in s.rule for s in steps), str(steps)


# --- numbers in the rules: each one the learner can compute ----------------------------------
def test_a_parameter_straight_into_an_activation_gets_one_over_m_on_each_side():
    """b (1, 1) into tanh: "db = (1/m) d(tanh(b)) * g′(b) = d(tanh(b)) * (1 − …)",
    whose right side is m times ∂J/∂b, the number beside it."""
    _, Y, _ = _row()
    b = mg.tensor([[0.3]], requires_grad=True, name="b")
    x = mg.tensor([[0.5, -1.0, 2.0]], name="x")
    J = mg.binary_cross_entropy_with_logits(x + b.tanh(), Y).named("J")
    steps = mg.backward_steps(J)
    assert steps[2].rule == ("db = (1/m) d(tanh(b)) * g′(b) = (1/m) d(tanh(b)) * "
                             "(1 − (tanh(b))²)"), steps[2].rule
    np.testing.assert_allclose(steps[3].grad, (3 * steps[2].grad) * (1 - np.tanh(0.3) ** 2) / 3,
                               rtol=1e-12)


def test_a_sum_of_terms_is_bracketed_under_one_over_m_and_sigma():
    """A parameter p (1, m) straight into the cross-entropy: "dp = (1/m) −Y/p + …"
    reads as (1/m)(−Y/p) + …; it is (1/m) (−Y/p + (1 − Y)/(1 − p))."""
    _, Y, _ = _row()
    p = mg.tensor([[0.2, 0.6, 0.9]], requires_grad=True, name="w")
    steps = mg.backward_steps(mg.binary_cross_entropy(p, Y).named("J"))
    assert steps[0].rule == "dw = (1/m) (−Y/w + (1 − Y)/(1 − w))", steps[0].rule
    y, w = Y.data, p.data
    np.testing.assert_allclose(steps[1].grad, (-y / w + (1 - y) / (1 - w)) / 3, rtol=1e-12)


def test_pow_and_leaky_relu_rules_give_their_p_and_alpha():
    """'dZ[1] = dP * p Z[1]^(p−1)' and '(1 where Z[1] > 0, else α)' left the
    learner to guess p and α; now the numbers are in the rule."""
    X, Y, W = _row()
    Z = (W @ X).named("Z[1]")
    cases = [(Z ** 3, "dZ[1] = d(Z[1]³) * 3 Z[1]²"), (Z ** 2, "dZ[1] = d(Z[1]²) * 2 Z[1]"),
             (Z ** 1, "dZ[1] = d(Z[1]¹) * 1"),
             ((Z * Z + 1.0) ** 0.5, "d(Z[1] × Z[1] + 1) = d((Z[1] × Z[1] + 1)^0.5) * 0.5 "
                                    "(Z[1] × Z[1] + 1)^(−0.5)"),
             ((Z * Z + 1.0) ** -1, "d(Z[1] × Z[1] + 1) = d((Z[1] × Z[1] + 1)⁻¹) * (−1) "
                                   "(Z[1] × Z[1] + 1)^(−2)"),
             (Z.leaky_relu(0.2).named("A[1]"),
              "dZ[1] = dA[1] * g′(Z[1]) = dA[1] * (1 where Z[1] > 0, else 0.2)"),
             (Z.leaky_relu(0.9453125).named("A[1]"),   # exact, not 0.945312
              "dZ[1] = dA[1] * g′(Z[1]) = dA[1] * (1 where Z[1] > 0, else 0.9453125)")]
    for node, rule in cases:
        J = mg.binary_cross_entropy_with_logits(node, Y).named("J")
        assert mg.backward_steps(J)[1].rule == rule
    assert mg.backward_steps((Z ** 3).sum())[1].rule == RULES["pow"].general + " (here p = 3)"
    assert mg.backward_steps(Z.leaky_relu().sum())[1].rule == \
        RULES["leaky_relu"].general + " (here α = 0.01)"


def test_a_seed_other_than_one_is_not_hidden_behind_the_notes_dZ_equals_A_minus_Y():
    """backward_steps(J, 2.0) showed 'dZ[1] = A[1] − Y' beside twice its numbers."""
    X, Y, W = _row()
    J = mg.binary_cross_entropy_with_logits((W @ X).named("Z[1]"), Y).named("J")
    steps = mg.backward_steps(J, 2.0)
    assert steps.m is None and "notes' convention" not in str(steps)
    assert steps[0].rule == RULES["binary_cross_entropy_with_logits"].general + \
        " (each times the seed dJ = 2)"
    assert mg.backward_steps(J, 1.0)[0].rule == "dZ[1] = A[1] − Y"   # backward()'s own seed


def test_the_cross_entropys_clip_is_in_the_notes_rule_where_it_happened():
    """σ(40) rounds to 1: the rule 'dA[1] = −Y/A[1] + (1 − Y)/(1 − A[1])' gives nan
    there, beside the 0 the engine sends."""
    _, Y, _ = _row()
    z = mg.tensor([[40.0, 0.2, -0.1]], requires_grad=True, name="Z[1]")
    J = mg.binary_cross_entropy(z.sigmoid().named("A[1]"), Y).named("J")
    steps = mg.backward_steps(J)
    assert steps[0].rule == ("dA[1] = −Y/A[1] + (1 − Y)/(1 − A[1]), 0 where A[1] is clipped "
                             "to [1e-15, 1 − 1e-15]")
    assert steps[1].grad[0, 0] == 0.0
    assert not rule_errors(steps)
    z = mg.tensor([[4.0, 0.2, -0.1]], requires_grad=True, name="Z[1]")
    J = mg.binary_cross_entropy(z.sigmoid().named("A[1]"), Y).named("J")
    assert mg.backward_steps(J)[0].rule == "dA[1] = −Y/A[1] + (1 − Y)/(1 − A[1])"
    Yg = mg.tensor([[1.0, 0.0, 1.0]], requires_grad=True, name="Y")
    J = mg.binary_cross_entropy(mg.tensor([[1.0, 0.5, 0.5]], requires_grad=True,
                                          name="A[1]"), Yg).named("J")
    assert mg.backward_steps(J)[0].rule == RULES["binary_cross_entropy"].general
    # at the clip's edge, as the engine decides: 1e-15 is inside, the float below it not
    for a, clipped in [(1e-15, False), (np.nextafter(1e-15, 0), True),
                       (1 - 1e-15, False), (np.nextafter(1 - 1e-15, 1), True)]:
        A = mg.tensor([[a, 0.5, 0.3]], requires_grad=True, name="A[1]")
        steps = mg.backward_steps(mg.binary_cross_entropy(A, Y).named("J"))
        assert ("clipped" in steps[0].rule) == clipped, (a, steps[0].rule)
        assert not rule_errors(steps), (a, rule_errors(steps))


def test_a_one_number_constant_is_written_exactly():
    """A constant 0.99998 (a learnable scale c, unnamed) was written "1": the rule
    'dZ[0] = dA[1] * 1' beside numbers 0.99998 times that, and c's own gradient
    'd(1) = …'. Numbers are written as short as they stay exact."""
    x = mg.tensor([[1.0, 2.0]], requires_grad=True, name="x")
    c = mg.tensor(0.99998, requires_grad=True)
    assert expression(x * c) == "x × 0.99998" and expression(x * 0.5) == "x × 0.5"
    assert expression(x * (1 / 3)) is None or "0.3333333333333333" in expression(x * (1 / 3))
    steps = mg.backward_steps((x * c).sum())
    assert steps[-1].name == "0.99998" or steps[-2].name == "0.99998", [s.name for s in steps]


def test_the_notes_A_of_the_logits_is_not_a_different_node_of_that_name():
    """Logits named Z[1] computed from a hidden A[1] = tanh(…) (layers numbered from
    0): the rule read 'dZ[1] = A[1] − Y', the tanh's values; it is σ(Z[1]) − Y."""
    _, Y, W = _row()
    A1 = (mg.tensor([[0.2, -0.4, 0.9]]) * W.sum()).tanh().named("A[1]")
    Z1 = (A1 * 2.0 + 0.5).named("Z[1]")
    steps = mg.backward_steps(mg.binary_cross_entropy_with_logits(Z1, Y).named("J"))
    assert steps[0].rule == "dZ[1] = σ(Z[1]) − Y", steps[0].rule
    assert not rule_errors(steps)


def test_the_traces_header_says_what_the_numbers_are_the_gradients_of():
    """With a seed of 2 the column read ‖∂J/∂node‖ over numbers twice that; a root of
    several entries gives the gradients of their sum, as draw's legend says."""
    x = mg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, name="x")
    y = (x * x).tanh().named("y")
    J = (x * 2.0).sum().named("J")

    def header(root, seed=None):
        return mg.backward_trace(root, seed).splitlines()[0].split()[4]
    assert header(J) == "‖∂J/∂node‖" and header(J, 1.0) == "‖∂J/∂node‖"
    assert header(J, 2.0) == "‖∂(seed" and "‖∂(seed × J)/∂node‖" in mg.backward_trace(J, 2.0)
    assert "‖∂(Σ y)/∂node‖" in mg.backward_trace(y, np.ones((2, 2)))
    assert "‖∂(Σ seed × y)/∂node‖" in mg.backward_trace(y, np.full((2, 2), 3.0))
    assert "‖∂(Σ x × 2)/∂node‖" in mg.backward_trace((x * 2.0).sum())
    last = mg.backward_trace(J, 2.0).splitlines()[-1].split()
    assert last[1] == "x" and last[5] == "8"   # ‖2 × 2‖ over four entries: seed × ∂J/∂x


def test_a_general_rule_in_the_notes_graph_says_its_letters_are_not_the_notes():
    """Under 'dZ, dA stack the per-sample derivatives', 'matmul: Z = A B; dA = dZ Bᵀ'
    with A = W reads as dW = dZ Bᵀ, m times ∂J/∂W: the general rules are ∂J/∂."""
    _, Y, W = _row()
    B = mg.tensor(np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]))   # unnamed: no notes' form
    J = mg.binary_cross_entropy_with_logits((W @ B).named("Z[1]"), Y).named("J")
    steps = mg.backward_steps(J)
    assert steps[1].rule == RULES["matmul"].general
    assert steps.conventions()[-1] == ("A rule that starts with its op (matmul: …) is in the "
                                       "op's own letters, not the notes': there dZ, dA are "
                                       "∂J/∂Z, ∂J/∂A.")
    assert not general_rule_errors(steps)   # and so its numbers are: dA = ∂J/∂Z Bᵀ = ∂J/∂W
    assert len(mg.backward_steps(two_layer_graph()["J"]).conventions()) == 1


def test_op_symbol_writes_a_power_s_exponent_exactly():
    # "**1" stood above x ** 0.9999999, whose result reads x^0.9999999
    from minigrad.steps import op_symbol
    x = mg.tensor([1.5], requires_grad=True, name="x")
    assert [op_symbol(x ** p) for p in (2, 0.5, 0.9999999, -1)] == \
        ["**2", "**0.5", "**0.9999999", "**-1"]
