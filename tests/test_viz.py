"""minigrad.viz: draw(), save_graph(), summary().

The DOT text of the two-layer graph is compared with golden files in
tests/golden/. After a deliberate change to the picture, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_viz.py

then look at the diff (and at a PNG: ``mg.save_graph(J, "graph.png", grads=True)``)
before committing. Rendering tests run Graphviz's ``dot``; CI installs it, so
nothing here is skipped when it is missing.
"""
import difflib
import json
import os
import re
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import nets
from minigrad.viz import GraphvizNotFoundError
from tests.strategies import computation_graphs, layered_names, long_names, tensor_names

GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COLUMN_PX = 800   # the width of a page column of the documentation, in pixels at 96 dpi


def two_layer_graph() -> dict:
    """The graph nets.TwoLayerNet.graph builds, made by hand with minigrad ops,
    after backward(): n_x = 2, n_h = 4, m = 3."""
    rng = np.random.RandomState(0)
    t = {"X": mg.tensor(rng.randn(2, 3), name="X"),
         "Y": mg.tensor([[1.0, 0.0, 1.0]], name="Y"),
         "W[1]": mg.tensor(rng.randn(4, 2) * 0.5, requires_grad=True, name="W[1]"),
         "b[1]": mg.tensor(rng.randn(4, 1) * 0.1, requires_grad=True, name="b[1]"),
         "W[2]": mg.tensor(rng.randn(1, 4) * 0.5, requires_grad=True, name="W[2]"),
         "b[2]": mg.tensor(rng.randn(1, 1) * 0.1, requires_grad=True, name="b[2]")}
    t["Z[1]"] = (t["W[1]"] @ t["X"] + t["b[1]"]).named("Z[1]")
    t["A[1]"] = mg.tanh(t["Z[1]"]).named("A[1]")
    t["Z[2]"] = (t["W[2]"] @ t["A[1]"] + t["b[2]"]).named("Z[2]")
    t["A[2]"] = mg.sigmoid(t["Z[2]"]).named("A[2]")
    t["J"] = mg.binary_cross_entropy(t["A[2]"], t["Y"]).named("J")
    t["J"].backward()
    return t


def node_lines(source: str) -> dict:
    """DOT node statements by node id: {"n0": 'n0 [label=<...> ...]', ...}."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\t+(\w+) \[.*$", source, re.M)}


def cluster_members(source: str) -> dict:
    """node id -> name of the cluster subgraph its statement is in (None: top level)."""
    members, cluster = {}, None
    for line in source.splitlines():
        opened = re.match(r"\tsubgraph (cluster_\w+) \{", line)
        if opened:
            cluster = opened.group(1)
        elif line == "\t}":
            cluster = None
        else:
            node = re.match(r"\t+(\w+) \[", line)
            if node:
                members[node.group(1)] = cluster
    return members


def node_ids(graph_tensors: dict, root: mg.Tensor) -> dict:
    """name -> DOT node id, from the promised rule: n<i>, i in topological order."""
    order = mg.topological_order(root)
    return {name: f"n{[id(t) for t in order].index(id(t))}" for name, t in graph_tensors.items()}


def html_label(statement: str) -> str:
    """The inside of the HTML-like label of a node statement (brackets balanced)."""
    start = statement.index("label=<") + len("label=<")
    depth = 1
    for end in range(start, len(statement)):
        depth += {"<": 1, ">": -1}.get(statement[end], 0)
        if depth == 0:
            return statement[start:end]
    raise AssertionError(f"unbalanced label in {statement}")


def run_dot(source: str, fmt: str) -> bytes:
    done = subprocess.run(["dot", f"-T{fmt}"], input=source.encode("utf-8"),
                          capture_output=True, check=False)
    assert done.returncode == 0 and not done.stderr, (
        f"dot -T{fmt} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return done.stdout


def svg_texts(svg: bytes) -> list:
    """The text lines of a rendered SVG, in drawing order (entities decoded)."""
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def png_size(data: bytes) -> tuple:
    assert data[:8] == PNG_MAGIC, f"not a PNG: starts with {data[:8]!r}"
    assert data[12:16] == b"IHDR", f"first chunk is {data[12:16]!r}, not IHDR"
    return struct.unpack(">II", data[16:24])


# --- golden DOT text -----------------------------------------------------------------------
@pytest.mark.parametrize("golden, options", [
    ("two_layer.dot", {}),
    ("two_layer_grads.dot", {"grads": True}),
    ("two_layer_highlight.dot", {"values": True, "grads": True,
                                 "highlight": ("Z[1]", "W[1]", "b[1]")}),
])
def test_two_layer_dot_matches_golden_file(golden, options):
    source = mg.draw(two_layer_graph()["J"], **options).source
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(source.encode("utf-8"))   # bytes: the same newlines on every OS
    expected = path.read_bytes().decode("utf-8")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), source.splitlines(True),
                                        str(path), "draw()", n=1))
    assert source == expected, f"DOT differs from {path} (UPDATE_GOLDEN=1 rewrites it):\n{diff}"


def test_same_graph_built_twice_gives_identical_dot():
    first = mg.draw(two_layer_graph()["J"], values=True, grads=True).source
    second = mg.draw(two_layer_graph()["J"], values=True, grads=True).source
    assert first == second, "\n".join(difflib.unified_diff(first.splitlines(),
                                                           second.splitlines(), n=0))


def test_node_ids_follow_topological_order():
    t = two_layer_graph()
    order = mg.topological_order(t["J"])
    lines = node_lines(mg.draw(t["J"]).source)
    tensor_ids = sorted((k for k in lines if re.fullmatch(r"n\d+", k)), key=lambda k: int(k[1:]))
    assert tensor_ids == [f"n{i}" for i in range(len(order))], tensor_ids
    for name, node_id in node_ids(t, t["J"]).items():
        shown = re.sub(r"\[(\d)\]", r"<SUP>[\1]</SUP>", name)
        assert f"<B>{shown}</B>" in lines[node_id], (name, node_id, lines[node_id])


# --- what the picture says -----------------------------------------------------------------
def test_layers_are_clusters_named_after_the_notes():
    t = two_layer_graph()
    members = cluster_members(mg.draw(t["J"]).source)
    ids = node_ids(t, t["J"])
    where = {name: members[ids[name]] for name in t}
    assert where == {"X": "cluster_input", "W[1]": "cluster_layer1", "b[1]": "cluster_layer1",
                     "Z[1]": "cluster_layer1", "A[1]": "cluster_layer1",
                     "W[2]": "cluster_layer2", "b[2]": "cluster_layer2",
                     "Z[2]": "cluster_layer2", "A[2]": "cluster_layer2",
                     "Y": "cluster_loss", "J": "cluster_loss"}, where
    # the unnamed W[l] @ A[l-1] and every op sit in the layer of the result they feed
    order = mg.topological_order(t["J"])
    for i, tensor in enumerate(order):
        if tensor.parents:
            assert members[f"n{i}_op"] == members[f"n{i}"], (i, tensor.op, members)
    assert members["legend"] is None


def test_unnamed_graph_has_no_clusters():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    source = mg.draw((x * x).sum()).source
    assert "cluster" not in source, source


@given(name=layered_names())
def test_any_name_with_a_layer_index_makes_that_layer_a_cluster(name):
    layer = int(re.search(r"\[([0-9]+)\]", name).group(1))
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name=name)
    z = (w * 3.0).named("Z[99]")
    loss = (z * 2.0).sum()
    members = cluster_members(mg.draw(loss).source)
    expected = "cluster_input" if layer == 0 else f"cluster_layer{layer}"
    assert members["n0"] == expected, (name, members)
    # constants and unnamed results follow their consumer; the unnamed root is the loss
    assert [members[f"n{i}"] for i in range(1, 6)] == [
        "cluster_layer99", "cluster_layer99", "cluster_loss", "cluster_loss",
        "cluster_loss"], (name, members)


def test_hand_written_loss_and_its_constants_sit_in_the_loss_cluster():
    rng = np.random.RandomState(1)
    X = mg.tensor(rng.randn(3, 5), name="X")
    Y = mg.tensor((rng.rand(1, 5) > 0.5).astype(float), name="Y")
    W = mg.tensor(rng.randn(1, 3), requires_grad=True, name="W[3]")
    A = mg.sigmoid(W @ X).named("A[3]")
    J = (-(Y * mg.log(A) + (1 - Y) * mg.log(1 - A))).mean().named("J")
    order = mg.topological_order(J)
    members = cluster_members(mg.draw(J).source)
    for i, tensor in enumerate(order):
        expected = ("cluster_layer3" if tensor.name in ("W[3]", "A[3]") or tensor.op == "matmul"
                    else "cluster_input" if tensor is X else "cluster_loss")
        assert members[f"n{i}"] == expected, (i, tensor.name, tensor.op, members[f"n{i}"])


def test_kinds_differ_in_colour_and_shape():
    t = two_layer_graph()
    lines = node_lines(mg.draw(t["J"]).source)
    ids = node_ids(t, t["J"])

    def look(name):
        attrs = dict(re.findall(r'(fillcolor|shape|style|peripheries)=("[^"]*"|\w+)',
                                lines[ids[name]]))
        return tuple(sorted(attrs.items()))
    kinds = {"input": look("X"), "parameter": look("W[1]"), "intermediate": look("Z[1]"),
             "loss": look("J")}
    assert len(set(kinds.values())) == 4, kinds
    assert look("Y") == look("X") and look("b[2]") == look("W[1]") and look("A[1]") == look("Z[1]")
    assert all(look(name) == kinds["parameter"] for name in ("W[1]", "b[1]", "W[2]", "b[2]"))


def test_labels_show_names_with_superscripts_and_shapes():
    t = two_layer_graph()
    lines = node_lines(mg.draw(t["J"]).source)
    ids = node_ids(t, t["J"])
    assert "<B>W<SUP>[1]</SUP></B>" in lines[ids["W[1]"]] and "(4, 2)" in lines[ids["W[1]"]]
    assert "(2, 3)" in lines[ids["X"]]
    assert "scalar" in lines[ids["J"]], lines[ids["J"]]
    # the unnamed matmul result reads as the notes write it
    matmul = [i for i, x in enumerate(mg.topological_order(t["J"])) if x.op == "matmul"][0]
    assert "<I>W<SUP>[1]</SUP> X</I>" in lines[f"n{matmul}"], lines[f"n{matmul}"]
    symbols = {re.search(r"label=<(.*?)>", line).group(1)
               for key, line in lines.items() if key.endswith("_op")}
    assert symbols == {"@", "+", "tanh", "σ", "BCE"}, symbols


def test_values_and_grads_show_numbers_of_tiny_tensors_and_a_summary_of_larger():
    t = two_layer_graph()
    lines = node_lines(mg.draw(t["J"], values=True, grads=True).source)
    ids = node_ids(t, t["J"])
    b2, g2 = t["b[2]"].data.item(), t["b[2]"].grad.item()
    assert f"value [{b2:.3g}]" in lines[ids["b[2]"]], (b2, lines[ids["b[2]"]])
    assert f"grad [{g2:.3g}]" in lines[ids["b[2]"]], (g2, lines[ids["b[2]"]])
    assert f"grad {t['J'].grad.item():.3g}" in lines[ids["J"]], lines[ids["J"]]
    column = "<BR/>".join(f"[{v:.3g}]" for v in t["b[1]"].grad[:, 0])   # (4, 1): one per line
    assert column in lines[ids["b[1]"]], (column, lines[ids["b[1]"]])
    W1 = t["W[1]"].grad   # 8 entries: the norm and the first entries
    first = ", ".join(f"{v:.3g}" for v in W1.ravel()[:3])
    summary = f"grad norm {np.linalg.norm(W1):.3g}<BR/>[{first}, …]"
    assert summary in lines[ids["W[1]"]], (summary, lines[ids["W[1]"]])
    assert "grad" not in lines[ids["X"]], lines[ids["X"]]   # inputs need no gradient


def test_a_gradient_of_zero_is_shown_as_0_not_minus_0():
    # relu′ = 0 at z < 0 times a negative upstream gradient is -0.0 in IEEE arithmetic
    z = mg.tensor([-1.0, 2.0], requires_grad=True, name="z")
    J = (z.relu() * -3.0).sum().named("J")
    J.backward()
    assert np.signbit(z.grad[0]), z.grad   # the engine's number is -0.0 ...
    label = node_lines(mg.draw(J, grads=True, values=True).source)["n0"]
    assert "grad [0, -3]" in label, label   # ... the picture's is 0
    x = mg.tensor([-0.0, 0.0], name="x")
    assert "value [0, 0]" in node_lines(mg.draw(x, values=True).source)["n0"]


def legend_of_grad(source: str) -> str:
    return re.search(r"grad = (.*?)</FONT></TD>", source).group(1)


def test_the_legend_says_grad_is_dJ_only_when_it_is():
    t = two_layer_graph()   # after one J.backward()
    assert legend_of_grad(mg.draw(t["J"], grads=True).source) == "∂J/∂(that tensor)"
    # a part of the graph drawn after J.backward() holds ∂J/∂, not ∂Z[1]/∂
    part = mg.draw(t["Z[1]"], grads=True).source
    assert "∂Z" not in legend_of_grad(part), legend_of_grad(part)
    # a second J.backward() doubles every .grad (J's own is 2): no longer ∂J/∂
    t["J"].backward()
    again = mg.draw(t["J"], grads=True).source
    assert "∂J" not in legend_of_grad(again), legend_of_grad(again)
    for t_ in t.values():
        t_.zero_grad()
    # the unnamed W[1] X and W[2] A[1] still hold twice ∂J/∂, drawn as their grad
    assert any(x.grad is not None for x in mg.topological_order(t["J"]))
    assert "∂J" not in legend_of_grad(mg.draw(t["J"], grads=True).source)
    for t_ in mg.topological_order(t["J"]):
        t_.zero_grad()
    assert legend_of_grad(mg.draw(t["J"], grads=True).source) == "∂J/∂(that tensor)"


def test_the_legend_names_a_part_of_the_graph_only_when_the_grads_are_its_own():
    # L's own gradient is 1 after J.backward(), J = L + an L2 term, but W's .grad
    # is ∂J/∂W (the L2 term's 0.2 W included), not the ∂L/∂W the legend said
    W = mg.tensor([[0.5, -1.0]], requires_grad=True, name="W")
    X = mg.tensor([[1.0], [2.0]], name="X")
    L = (W @ X).sigmoid().sum().named("L")
    J = (L + 0.1 * (W * W).sum()).named("J")
    J.backward()
    assert float(L.grad) == 1.0
    assert "∂L" not in legend_of_grad(mg.draw(L, grads=True).source)
    # L.backward() alone (a new graph): the numbers are ∂L/∂, and the legend says so
    W.zero_grad()
    L = (W @ X).sigmoid().sum().named("L")
    L.backward()
    assert legend_of_grad(mg.draw(L, grads=True).source) == "∂L/∂(that tensor)"


@pytest.mark.parametrize("how", ["inputs", "zero_grad"])
def test_a_part_whose_own_grad_is_none_is_not_said_to_hold_its_own_gradients(how):
    # J = 3 L; after J.backward(inputs=[w]) (or J.backward(); L.zero_grad()) L.grad is
    # None and w.grad = ∂J/∂w = [6, 12], which the legend of draw(L) called ∂L/∂ ([2, 4])
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    L = (w * w).sum().named("L")
    J = (L * 3.0).named("J")
    if how == "inputs":
        J.backward(inputs=[w])
    else:
        J.backward()
        L.zero_grad()
    assert L.grad is None and w.grad.tolist() == [[6.0, 12.0]], (L.grad, w.grad)
    assert "∂L" not in legend_of_grad(mg.draw(L, grads=True).source)
    # L's own backward, inputs=[w]: these are ∂L/∂, and the legend says so
    w.zero_grad()
    L = (w * w).sum().named("L")
    L.backward(inputs=[w])
    assert legend_of_grad(mg.draw(L, grads=True).source) == "∂L/∂(that tensor)"


def test_the_gradients_from_a_root_of_several_entries_are_of_its_sum_not_a_jacobian():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    Z = (w * w).named("Z")
    Z.backward(np.ones((1, 2)))   # w.grad = [2, 4] = ∂(Z₁ + Z₂)/∂w; ∂Z/∂w is 2 × 2
    assert legend_of_grad(mg.draw(Z, grads=True).source) == "∂(Σ Z)/∂(that tensor)"
    ones = mg.backward_animation(Z, grad=np.ones((1, 2))).graphs[0].source
    assert legend_of_grad(ones) == "∂(Σ Z)/∂(that tensor)"
    seeded = mg.backward_animation(Z, grad=np.array([[1.0, 3.0]])).graphs[0].source
    assert legend_of_grad(seeded) == "∂(Σ seed × Z)/∂(that tensor)"


def test_the_legend_of_a_gradient_that_is_not_a_number_is_dJ_and_drawing_it_warns_of_nothing():
    # a NaN in .grad is what a learner draws the graph to find; the legend's check ran
    # the backward again (log' at 0: a RuntimeWarning from draw, a FloatingPointError
    # under np.errstate(all="raise")) and took NaN for a grad other than J's
    w = mg.tensor([0.0, 2.0], requires_grad=True, name="w")
    with np.errstate(all="ignore"):
        J = (w.log() * w).sum().named("J")
        J.backward()
    assert np.isnan(w.grad[0]), w.grad
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        source = mg.draw(J, grads=True).source
    assert legend_of_grad(source) == "∂J/∂(that tensor)"


def test_a_leaf_changed_after_the_graph_used_it_is_marked_and_the_legend_does_not_say_dJ():
    # w.data = ... after J.backward(): w showed value [10, 20] beside w × w = [1, 4]
    # and grad [2, 4] under "grad = ∂J/∂(that tensor)" (∂J/∂w at [10, 20] is [20, 40])
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    J = (w * w).sum().named("J")
    J.backward()
    w.data = np.array([[10.0, 20.0]])
    source = mg.draw(J, values=True, grads=True).source
    lines = node_lines(source)
    assert "data changed after the graph used it" in lines["n0"], lines["n0"]
    assert "changed" not in lines["n1"] + lines["n2"], (lines["n1"], lines["n2"])
    assert "∂J" not in legend_of_grad(source), legend_of_grad(source)
    assert subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"),
                          capture_output=True).returncode == 0


def test_the_summary_marks_a_leaf_changed_after_the_graph_used_it_as_the_picture_does():
    # the picture said so; the summary gave W[2]'s old grad norm as if nothing had happened
    t = two_layer_graph()
    t["W[2]"].data = t["W[2]"].data * 2
    rows = {line.split()[0]: line for line in mg.summary(t["J"]).splitlines()[2:]}
    assert "parameter (data changed after the graph used it)" in rows["W[2]"], rows["W[2]"]
    assert [name for name, row in rows.items() if "changed" in row] == ["W[2]"], rows
    assert "data changed after the graph used it" in mg.draw(t["J"]).source


def test_an_animation_from_a_seed_other_than_1_does_not_call_its_numbers_grad():
    # no .grad is written by an animation: '.grad, as backward() left it' (w.grad is
    # None) was not what its labels show, the seed times ∂J/∂
    w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    J = (w * w).sum().named("J")
    for graph in mg.backward_animation(J, grad=2.0).graphs:
        assert legend_of_grad(graph.source) == "∂J/∂(that tensor), times the seed"
    assert w.grad is None


@pytest.mark.parametrize("grad", [0, 0.0, [[0.0, 0.0]], "zero"])
def test_a_grad_that_is_not_an_array_is_a_type_error_naming_the_node(grad):
    # w.grad = 0 (to zero it) made draw(grads=True) fail with
    # AttributeError: 'int' object has no attribute 'size'
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    J = (w * w).sum().named("J")
    J.backward()
    w.grad = grad
    for show in (lambda: mg.draw(J, grads=True), lambda: mg.summary(J)):
        with pytest.raises(TypeError, match=r"w \(1, 2\) holds \.grad = .*not a numpy array.*"
                                            r"zero_grad\(\)"):
            show()
    assert "grad" not in node_lines(mg.draw(J).source)["n0"]   # without grads: drawn


def test_grads_before_backward_say_not_computed():
    w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    lines = node_lines(mg.draw((w * w).sum(), grads=True).source)
    assert "grad not computed" in lines["n0"], lines["n0"]


def test_plain_drawing_shows_no_numbers():
    t = two_layer_graph()
    labels = " ".join(node_lines(mg.draw(t["J"]).source).values())
    for word in ("value", "grad", "norm", "…"):
        assert word not in labels, (word, labels)


def test_constants_show_their_value():
    A = mg.tensor([[0.25, 0.5]], requires_grad=True, name="A[1]")
    lines = node_lines(mg.draw((1 - A).sum().named("J")).source)
    assert "label=<1>" in lines["n0"], lines["n0"]


@pytest.mark.parametrize("c, written", [(0.99998, "0.99998"), (1e-20, "1e-20"), (-0.0, "-0"),
                                        (1 / 3, "0.3333333333333333"), (123456.0, "123456")])
def test_a_one_number_constant_is_drawn_exactly_as_its_consumer_writes_it(c, written):
    # drawn "1" to 3 digits, a scale 0.99998 stood beside "x × 0.99998" and said 1
    x = mg.tensor([[1.0, 2.0]], requires_grad=True, name="x")
    J = (x * c).sum().named("J")
    texts = svg_texts(run_dot(mg.draw(J, values=True).source, "svg"))
    assert f"x × {written}" in texts, texts
    constant = texts[texts.index("×") + 1]   # the oval, then the constant beside it
    assert constant == written, texts


def test_a_small_constant_array_is_drawn_exactly_so_that_0_99998_does_not_read_as_1():
    # to 3 digits, the column [[0.99998], [1.0]] was drawn [1], [1]: a column of ones
    x = mg.tensor([[1.0], [2.0]], requires_grad=True, name="x")
    J = (x * np.array([[0.99998], [1.0]])).sum().named("J")
    texts = svg_texts(run_dot(mg.draw(J).source, "svg"))
    constant = texts[texts.index("×") + 1:][:2]   # the oval, then the constant beside it
    assert constant == ["[0.99998]", "[1]"], texts


@given(hnp.arrays(np.float64, st.sampled_from([(2,), (2, 1), (1, 3), (2, 3), (6, 1)]),
                  elements=st.floats(width=64)))
@example(np.array([[0.99998], [1.0]]))
@example(np.array([1 / 3, -0.0, 1e-300, 123456.0, np.inf, np.nan]).reshape(2, 3))
def test_every_entry_of_a_small_constant_reads_back_as_itself(c):
    # two different numbers never look alike: each entry, read back, is the constant's
    x = mg.tensor(np.ones(c.shape), requires_grad=True, name="x")
    with np.errstate(over="ignore", invalid="ignore"):   # J of 1e308s: inf, unseen here
        J = (x * c).sum().named("J")
    label = html_label(node_lines(mg.draw(J).source)["n1"])
    rows = [row.strip("[]").split(", ") for row in label.split("<BR/>")]
    shown = np.array([[float(v) for v in row] for row in rows])
    assert np.array_equal(shown.reshape(c.shape), c, equal_nan=True), (label, c)
    signed = ~np.isnan(c.ravel())   # -0 is no 0 (a NaN's sign is no number's)
    assert np.array_equal(np.signbit(shown.ravel()[signed]), np.signbit(c.ravel()[signed])), label


def test_an_unnamed_one_number_parameter_is_titled_and_valued_exactly_as_its_consumer_writes_it():
    # c = mg.tensor(0.99998, requires_grad=True): its box said "scalar" and "value 1"
    # beside its product labelled "x × 0.99998"
    x = mg.tensor([[1.0, 2.0]], requires_grad=True, name="x")
    c = mg.tensor(0.99998, requires_grad=True)
    J = (x * c).sum().named("J")
    J.backward()
    texts = svg_texts(run_dot(mg.draw(J, values=True, grads=True).source, "svg"))
    box = texts[texts.index("×") + 1:texts.index("x × 0.99998")]
    assert box == ["0.99998", "scalar", "value 0.99998", "grad 3"], texts


# --- highlight -----------------------------------------------------------------------------
def test_highlight_marks_only_the_chosen_nodes():
    t = two_layer_graph()
    lines = node_lines(mg.draw(t["J"], highlight=["Z[1]", "b[2]"]).source)
    ids = node_ids(t, t["J"])
    marked = {name for name in t if "penwidth=4" in lines[ids[name]]}
    assert marked == {"Z[1]", "b[2]"}, marked
    assert 'color="#dc2626"' in lines[ids["Z[1]"]], lines[ids["Z[1]"]]
    assert "highlighted" in lines["legend"]


def test_highlight_takes_tensors_or_a_single_name():
    t = two_layer_graph()
    by_name = mg.draw(t["J"], highlight=["Z[1]"]).source
    assert mg.draw(t["J"], highlight=[t["Z[1]"]]).source == by_name
    assert mg.draw(t["J"], highlight="Z[1]").source == by_name


def test_highlight_of_an_unknown_name_lists_the_names_in_the_graph():
    t = two_layer_graph()
    with pytest.raises(ValueError) as error:
        mg.draw(t["J"], highlight=["Z[1]", "Z[3]"])
    message = str(error.value)
    assert "'Z[3]'" in message and all(f"'{name}'" in message for name in t), message


def test_highlight_of_a_tensor_outside_the_graph_is_an_error():
    t = two_layer_graph()
    stranger = mg.tensor([1.0], name="elsewhere")
    with pytest.raises(ValueError, match="elsewhere"):
        mg.draw(t["J"], highlight=[stranger])


# --- options --------------------------------------------------------------------------------
def test_rankdir_and_dpi_reach_the_graph_attributes():
    J = two_layer_graph()["J"]
    assert "rankdir=LR" in mg.draw(J, rankdir="LR").source
    assert "rankdir=BT" in mg.draw(J, rankdir="BT").source
    assert "dpi=150" in mg.draw(J, dpi=150).source
    plain = re.search(r"^\tgraph \[.*$", mg.draw(J).source, re.M).group(0)
    # no dpi unless asked; a width cap only where the layout is chosen to fit a column
    assert "dpi" not in plain and ' size="8.33,1000"' in plain, plain
    chosen = re.search(r"^\tgraph \[.*$", mg.draw(J, rankdir="LR").source, re.M).group(0)
    assert " size=" not in chosen, chosen


def test_unknown_rankdir_lists_the_valid_ones():
    with pytest.raises(ValueError, match="auto, LR, RL, TB, BT"):
        mg.draw(two_layer_graph()["J"], rankdir="left")


def test_large_graph_warns_and_small_graph_does_not():
    x = mg.tensor([0.5], requires_grad=True, name="x")
    chain = x
    for _ in range(299):
        chain = chain.tanh()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.draw(chain)   # 300 tensors: at the limit, no warning
    with pytest.warns(UserWarning, match="301 tensors"):
        mg.draw(chain.tanh())


# --- what dot makes of it -----------------------------------------------------------------
def long_chain(n: int) -> mg.Tensor:
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    for _ in range(n):
        x = mg.tanh(x * 0.5)
    return x.sum().named("J")


def test_a_png_too_large_for_a_bitmap_says_it_was_scaled_down_and_an_svg_is_whole(tmp_path):
    # 1,052 tensors: dot shrank the PNG to 43 px across, saying so only on a stderr
    # that save_graph kept quiet; the learner got an unreadable sliver and no word
    J = long_chain(350)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mg.save_graph(J, tmp_path / "big.png")
    said = [str(w.message) for w in caught if "scaled" in str(w.message)]
    assert len(said) == 1 and "too large for a .png" in said[0] and ".svg" in said[0], said
    assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mg.save_graph(J, tmp_path / "big.svg")
    assert not [w for w in caught if "scaled" in str(w.message)], caught
    texts = svg_texts((tmp_path / "big.svg").read_bytes())
    assert texts.count("tanh") == 350 and "J" in texts, len(texts)


def test_the_large_graph_warning_points_at_the_learners_line_whoever_draws(tmp_path):
    # it pointed into viz.py for save_graph and nets' Graph.save: Python then shows it
    # once a session, however many large graphs are saved from the learner's cells
    J = long_chain(mg.viz.LARGE_GRAPH // 3 + 1)
    for make in (lambda: mg.draw(J), lambda: mg.save_graph(J, tmp_path / "g.dot")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make()
        assert [w.filename for w in caught] == [__file__], [(w.filename, str(w.message))
                                                            for w in caught]


def test_svg_has_one_group_per_node_and_one_per_layer_cluster():
    t = two_layer_graph()
    svg = ET.fromstring(run_dot(mg.draw(t["J"], grads=True).source, "svg"))
    groups = {cls: [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g")
                    if g.get("class") == cls] for cls in ("node", "cluster")}
    assert len(groups["node"]) == 13 + 7 + 1, groups["node"]   # tensors, ops, legend
    assert groups["cluster"] == ["cluster_input", "cluster_layer1", "cluster_layer2",
                                 "cluster_loss"], groups["cluster"]


def test_layout_flows_left_to_right_with_layers_side_by_side():
    t = two_layer_graph()
    layout = json.loads(run_dot(mg.draw(t["J"], grads=True, rankdir="LR").source, "json"))
    objects = {o["name"]: o for o in layout["objects"]}
    x = {name: float(objects[node].get("pos").split(",")[0])
         for name, node in node_ids(t, t["J"]).items()}
    chain = ["X", "Z[1]", "A[1]", "Z[2]", "A[2]", "J"]
    assert [x[n] for n in chain] == sorted(x[n] for n in chain), x
    boxes = [[float(v) for v in objects[f"cluster_{c}"]["bb"].split(",")]
             for c in ("input", "layer1", "layer2", "loss")]   # x0, y0, x1, y1
    for left, right in zip(boxes, boxes[1:]):
        assert left[2] <= right[0], f"clusters overlap left to right: {boxes}"


def test_png_fits_a_page_column_and_dpi_scales_it(tmp_path):
    J = two_layer_graph()["J"]
    width, height = png_size(mg.save_graph(J, tmp_path / "g.png", grads=True).read_bytes())
    # a documentation column is ~800 px: the default layout turns top to bottom to fit it
    assert 300 <= width <= COLUMN_PX and 800 <= height <= 4000, (width, height)
    sharp, _ = png_size(mg.save_graph(J, tmp_path / "sharp.png", grads=True, dpi=192).read_bytes())
    assert 1.8 <= sharp / width <= 2.2, (width, sharp)


@given(name=tensor_names())
@example(name="]")   # a ] before a tag: a dot syntax error unless escaped
def test_any_name_is_escaped_and_renders(name):
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name=name)
    x = mg.tensor([[3.0, 4.0]], name=name)
    loss = (w * x).sum().named(name)
    loss.backward()
    source = mg.draw(loss, values=True, grads=True, highlight=[name]).source
    for node in ("n0", "n1", "n3"):
        # a bare < or & in the label would make it malformed XML (and a dot syntax error)
        label = ET.fromstring(f"<label>{html_label(node_lines(source)[node])}</label>")
        shown = "".join(label.itertext())
        if name.isprintable():   # what is drawn is the name itself
            assert shown.startswith(name), (name, shown)
    run_dot(source, "svg")   # dot accepts it, without a warning


@pytest.mark.parametrize("name", [
    "Z[1] the pre-activation of the first hidden layer, computed as W[1] X + b[1] for every "
    "sample, as the notes write it",
    "权重" * 30 + "W[12]",
    "a" * 500])
def test_a_long_name_is_drawn_in_lines_and_the_picture_keeps_its_size(name):
    # on one line it widened its box past the page column, and the cap on the
    # width then shrank every label of the picture with it
    t = two_layer_graph()
    t["Z[1]"].name = name
    source = mg.draw(t["J"], grads=True).source
    nodes = svg_nodes(run_dot(source, "svg"))
    lines = [lines for _, lines in nodes if "".join(lines).startswith(name[:20])]
    assert len(lines) == 1, [n[1][:2] for n in nodes]
    # the name's lines (a superscript [1] is a text of its own), up to the shape
    shown = "".join(lines[0][:lines[0].index("(4, 3)")])
    assert shown.replace(" ", "") == name.replace(" ", ""), shown
    label = ET.fromstring(f"<label>{html_label(node_lines(source)[node_ids(t, t['J'])['Z[1]']])}"
                          f"</label>")
    bold = ["".join(b.itertext()) for b in label.iter("B")]
    assert all(display_width(line) <= mg.viz.NAME_WIDTH for line in bold), bold
    if name.isascii():   # without a CJK font, dot draws each 汉字 as a wider box of its code
        assert png_size(run_dot(source, "png"))[0] < COLUMN_PX, "scaled to the page column"


@given(long_names())
def test_a_name_cut_into_lines_loses_only_the_spaces_it_is_cut_at(name):
    lines = mg.viz._name_lines(name)
    assert lines and all(lines), lines   # no empty line, nothing dropped but the cut spaces
    rest = name
    for i, line in enumerate(lines):
        assert rest.startswith(line), (name, lines)
        rest = rest[len(line):]
        following = lines[i + 1] if i < len(lines) - 1 else ""
        if rest.startswith(" ") and rest[1:].startswith(following):
            rest = rest[1:]   # the space it was cut at
        # a line is too wide only when it is one layer index that cannot be cut
        assert display_width(line) <= mg.viz.NAME_WIDTH or re.fullmatch(r"\[[0-9]+\]", line) \
            or display_width(line[0]) > mg.viz.NAME_WIDTH, line
    assert rest == "", (name, lines)
    for index in re.finditer(r"\[[0-9]+\]", name):   # each index stays whole on one line
        assert any(index.group() in line for line in lines), (index.group(), lines)


def test_the_legend_brackets_a_root_name_with_a_space_and_cuts_a_long_one_into_lines():
    # "grad = ∂J the cross-entropy … set/∂(that tensor)" on one line: read as ∂J times
    # words, and as wide as the picture, which the page-column cap then shrank
    t = two_layer_graph()
    t["J"].name = "J the cross-entropy cost averaged over the m samples of the training set"
    source = mg.draw(t["J"], grads=True).source
    legend = svg_nodes(run_dot(source, "svg"))[-1][1]
    start = [i for i, line in enumerate(legend) if line.startswith("grad = ")]
    assert len(start) == 1, legend
    shown = " ".join(legend[start[0]:])
    assert shown == f"grad = ∂({t['J'].name})/∂(that tensor)", shown
    assert len(legend) - start[0] > 1, legend   # in lines
    assert png_size(run_dot(source, "png"))[0] < COLUMN_PX, "scaled to the page column"
    t["J"].name = "代价 J"
    assert legend_of_grad(mg.draw(t["J"], grads=True).source) == "∂(代价 J)/∂(that tensor)"


# --- save_graph ---------------------------------------------------------------------------
@pytest.mark.parametrize("suffix, magic", [(".png", PNG_MAGIC), (".svg", b"<?xml"),
                                           (".pdf", b"%PDF"), (".dot", b"digraph"),
                                           (".gv", b"digraph"), (".PNG", PNG_MAGIC)])
def test_save_graph_writes_exactly_that_file_and_prints_nothing(tmp_path, capfd, suffix, magic):
    path = tmp_path / f"graph{suffix}"
    written = mg.save_graph(two_layer_graph()["J"], str(path), grads=True)
    assert written == path and isinstance(written, Path), written
    assert sorted(tmp_path.iterdir()) == [path], sorted(tmp_path.iterdir())
    assert path.read_bytes().startswith(magic), path.read_bytes()[:20]
    assert capfd.readouterr() == ("", ""), capfd.readouterr()


def test_save_graph_into_a_missing_folder_or_onto_a_folder_says_which_before_any_work(
        tmp_path, monkeypatch):
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    J = (x * x).sum().named("J")
    with pytest.raises(FileNotFoundError, match=r"save_graph: the folder '.*nowhere' of "
                                                r"'.*nowhere[/\\]g\.png' does not exist$"):
        mg.save_graph(J, tmp_path / "nowhere" / "g.png")
    # '~/g.png': Python does not expand ~ as the shell does; the message says so
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"~ is not expanded to your home folder"):
        mg.save_graph(J, "~/g.png")
    # a folder named like a picture: was a bare [Errno 21] after rendering it all
    (tmp_path / "g.png").mkdir()
    with pytest.raises(IsADirectoryError, match=r"save_graph: '.*g\.png' is a folder, not a "
                                                r"file; give a file name in it, such as "
                                                r"'.*g\.png[/\\]graph\.png'"):
        mg.save_graph(J, tmp_path / "g.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png"]


def test_save_graph_dot_is_the_source_of_draw(tmp_path):
    J = two_layer_graph()["J"]
    path = mg.save_graph(J, tmp_path / "graph.gv", grads=True, highlight="A[1]")
    assert path.read_text(encoding="utf-8") == mg.draw(J, grads=True, highlight="A[1]").source


def test_save_graph_rejects_an_unknown_suffix_listing_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf, \.dot, \.gv"):
        mg.save_graph(two_layer_graph()["J"], tmp_path / "graph.jpg")
    assert list(tmp_path.iterdir()) == []


def test_without_dot_saving_a_picture_says_how_to_install_graphviz(tmp_path, without_dot):
    J = two_layer_graph()["J"]
    for suffix in (".png", ".svg", ".pdf"):
        with pytest.raises(RuntimeError) as error:
            mg.save_graph(J, tmp_path / f"graph{suffix}")
        message = str(error.value)
        for hint in ("apt-get install graphviz", "brew install graphviz",
                     "conda install -c conda-forge graphviz", ".dot"):
            assert hint in message, (hint, message)
        assert isinstance(error.value, GraphvizNotFoundError)
        assert not (tmp_path / f"graph{suffix}").exists()
    dot = mg.save_graph(J, tmp_path / "graph.dot")
    assert dot.read_text(encoding="utf-8") == mg.draw(J).source



def test_without_dot_jupyter_shows_how_to_install_graphviz_in_place_of_the_picture(
        without_dot):
    # A cell ending in mg.draw(J) showed graphviz's traceback, "failed to execute
    # PosixPath('dot'), make sure the Graphviz executables are on your systems' PATH"
    from IPython.core.formatters import DisplayFormatter
    picture = mg.draw(two_layer_graph()["J"])
    assert isinstance(picture, graphviz.Digraph)
    data, _ = DisplayFormatter().format(picture)
    message = data["text/plain"]
    # what dot was needed for: the picture in the cell, not a file being written
    assert message.startswith("draw: Graphviz's `dot` program was not found on PATH; it is "
                              "needed to show the picture."), message
    for hint in ("`dot`", "apt-get install graphviz", "brew install graphviz",
                 "conda install -c conda-forge graphviz"):
        assert hint in message, (hint, message)


def test_render_to_a_png_name_writes_a_png_there(tmp_path):
    # graphviz's render("graph.png") wrote the DOT text into graph.png and the
    # picture into graph.png.pdf: the pitfall DESIGN.md warns of
    picture = mg.draw(two_layer_graph()["J"])
    written = picture.render(tmp_path / "graph.png")
    assert Path(written) == tmp_path / "graph.png", written
    assert (tmp_path / "graph.png").read_bytes().startswith(PNG_MAGIC)
    assert not (tmp_path / "graph.png.pdf").exists()
    picture.render("graph.svg", directory=tmp_path, cleanup=True)
    assert ET.parse(tmp_path / "graph.svg").getroot().tag == f"{SVG}svg"
    # a name without a picture suffix: graphviz's own meaning (DOT there, PDF beside)
    picture.render(tmp_path / "source")
    assert (tmp_path / "source").read_text(encoding="utf-8") == picture.source
    assert (tmp_path / "source.pdf").read_bytes().startswith(b"%PDF")


def test_render_to_a_png_name_takes_the_directory_as_graphviz_does(tmp_path, monkeypatch):
    # render("graph.png", "out") (graphviz's directory, given by position) wrote the
    # DOT text into out/graph.png and the picture into out/graph.png.pdf, while
    # render("graph.png", directory="out") wrote the PNG; and with the Digraph's
    # own .directory set, directory= was put under it: d/out/graph.png, which dot
    # could not open (graphviz renders into directory, not under .directory)
    monkeypatch.chdir(tmp_path)
    picture = mg.draw(two_layer_graph()["J"])
    written = picture.render("graph.png", "out")
    assert Path(written) == Path("out", "graph.png"), written
    assert Path("out", "graph.png").read_bytes().startswith(PNG_MAGIC)
    assert Path("out", "graph.gv").read_text(encoding="utf-8") == picture.source
    assert not Path("out", "graph.png.pdf").exists()
    picture = mg.draw(two_layer_graph()["J"])
    picture.directory = "d"
    assert Path(picture.render("graph.png")) == Path("d", "graph.png")
    assert Path("d", "graph.png").read_bytes().startswith(PNG_MAGIC)
    assert Path(picture.render("graph.svg", directory="e", cleanup=True)) == Path("e", "graph.svg")
    assert ET.parse(Path("e", "graph.svg")).getroot().tag == f"{SVG}svg"
    assert not Path("e", "graph.gv").exists() and not Path("d", "e").exists()
    # as graphviz: the directory given is the graph's from then on
    assert picture.directory == "e"


def test_a_drawn_graph_copies_and_pickles_as_a_digraph_does():
    # draw() returns a subclass of graphviz.Digraph (for its display without dot):
    # copy() and pickle, in this process and in a fresh one, keep working
    import pickle
    picture = mg.draw(two_layer_graph()["J"], grads=True)
    assert picture.copy().source == picture.source
    data = pickle.dumps(picture)
    assert pickle.loads(data).source == picture.source
    code = "import pickle, sys; print(pickle.loads(sys.stdin.buffer.read()).source, end='')"
    fresh = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True,
                           check=True).stdout.decode("utf-8")
    assert fresh == picture.source


# --- summary and the lazy import ------------------------------------------------------------
def test_summary_has_one_row_per_tensor_in_topological_order():
    t = two_layer_graph()
    lines = mg.summary(t["J"]).splitlines()
    assert lines[0].split() == ["name", "op", "kind", "shape", "grad", "norm"], lines[0]
    rows = [re.split(r"\s{2,}", line) for line in lines[2:]]
    order = mg.topological_order(t["J"])
    assert len(rows) == len(order), lines
    expected = {"X": ["X", "-", "input", "(2, 3)", "-"], "Y": ["Y", "-", "input", "(1, 3)", "-"],
                "J": ["J", "binary_cross_entropy", "loss", "scalar", "1"]}
    for row, tensor in zip(rows, order):
        if tensor.name in expected:
            assert row == expected[tensor.name], (row, expected[tensor.name])
        elif not tensor.name:
            assert row[:3] == ["<matmul>", "matmul", "intermediate"], row
        else:
            norm = float(row[4])
            assert row[0] == tensor.name and row[3] == str(tensor.shape), row
            assert abs(norm - np.linalg.norm(tensor.grad)) <= 1e-3 * norm, (row, tensor.grad)


def test_summary_before_backward_shows_no_grad_norms():
    x = mg.tensor([1.0, -2.0], requires_grad=True, name="x")
    rows = mg.summary(mg.relu(x).sum()).splitlines()[2:]
    assert [row.split()[-1] for row in rows] == ["-", "-", "-"], rows


def test_summary_works_without_graphviz_and_draw_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)   # import graphviz now fails
    J = two_layer_graph()["J"]
    assert "W[1]" in mg.summary(J)
    with pytest.raises(ImportError, match="pip install graphviz"):
        mg.draw(J)


def test_import_minigrad_does_not_import_graphviz():
    code = "import sys, minigrad; print('graphviz' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False", done.stdout + done.stderr


# --- where pictures are read: layout, labels at the course's m ------------------------------
def graph_attrs(source: str) -> str:
    return re.search(r"^\tgraph \[.*$", source, re.M).group(0)


def test_auto_layout_turns_top_to_bottom_when_left_to_right_would_be_too_wide():
    J = two_layer_graph()["J"]   # X -> @ -> + -> tanh -> @ -> + -> σ -> BCE: 7 ops deep
    assert "rankdir=TB" in graph_attrs(mg.draw(J).source)
    assert mg.draw(J).source == mg.draw(J, rankdir="auto").source
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    shallow = (x * x).sum()   # 2 ops deep: fits left to right
    assert "rankdir=LR" in graph_attrs(mg.draw(shallow).source)
    assert "rankdir=TB" in graph_attrs(mg.draw(shallow.tanh()).source)   # 3 ops


def test_a_wide_graph_is_scaled_to_a_page_column(tmp_path):
    # 12 parallel branches side by side: wider than a column in any direction
    x = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True, name="x")
    J = sum(((x * float(k)).tanh().named(f"branch {k}") for k in range(12)),
            mg.tensor(0.0)).sum()
    width, _ = png_size(mg.save_graph(J, tmp_path / "wide.png", values=True).read_bytes())
    assert width <= COLUMN_PX, width
    wide, _ = png_size(mg.save_graph(J, tmp_path / "as_is.png", values=True,
                                     rankdir="TB").read_bytes())
    assert wide > COLUMN_PX, wide   # the cap did the work


def test_top_to_bottom_layout_keeps_the_flow_and_stacks_the_layers():
    t = two_layer_graph()
    layout = json.loads(run_dot(mg.draw(t["J"], grads=True).source, "json"))
    objects = {o["name"]: o for o in layout["objects"]}
    y = {name: float(objects[node].get("pos").split(",")[1])
         for name, node in node_ids(t, t["J"]).items()}
    chain = ["X", "Z[1]", "A[1]", "Z[2]", "A[2]", "J"]   # dot's y grows upwards
    assert [y[n] for n in chain] == sorted((y[n] for n in chain), reverse=True), y
    boxes = [[float(v) for v in objects[f"cluster_{c}"]["bb"].split(",")]
             for c in ("input", "layer1", "layer2", "loss")]   # x0, y0, x1, y1
    for upper, lower in zip(boxes, boxes[1:]):
        assert upper[1] >= lower[3], f"clusters overlap top to bottom: {boxes}"


def course_sized_graph(m: int = 400, n_h: int = 4) -> dict:
    """The two-layer graph at the course's m, after backward()."""
    rng = np.random.RandomState(3)
    X = mg.tensor(rng.randn(2, m), name="X")
    Y = mg.tensor((rng.rand(1, m) > 0.5) * 1.0, name="Y")
    W1 = mg.tensor(rng.randn(n_h, 2), requires_grad=True, name="W[1]")
    b1 = mg.tensor(rng.randn(n_h, 1) * 0.1, requires_grad=True, name="b[1]")
    W2 = mg.tensor(rng.randn(1, n_h), requires_grad=True, name="W[2]")
    b2 = mg.tensor([[0.1]], requires_grad=True, name="b[2]")
    Z1 = (W1 @ X + b1).named("Z[1]")
    A2 = mg.sigmoid(W2 @ mg.tanh(Z1).named("A[1]") + b2).named("A[2]")
    J = mg.binary_cross_entropy(A2, Y).named("J")
    J.backward()
    return {"J": J, "Z[1]": Z1, "b[1]": b1, "W[1]": W1}


def test_labels_at_large_m_show_the_norm_and_first_entries_not_a_mean():
    t = course_sized_graph()
    J = t["J"]
    lines = node_lines(mg.draw(J, values=True, grads=True).source)
    ids = node_ids(t, J)
    Z1 = t["Z[1]"]
    label = lines[ids["Z[1]"]]
    assert "mean" not in " ".join(lines.values()), label
    for caption, a in (("value", Z1.data), ("grad", Z1.grad)):
        first = ", ".join(f"{v:.3g}" for v in a.ravel()[:3])
        expected = f"{caption} norm {np.linalg.norm(a):.3g}<BR/>[{first}, …]"
        assert expected in label, (expected, label)
    assert "(4, 400)" in label, label
    # b[1] (4, 1): one line per row, every unit's gradient visible
    column = "<BR/>".join(f"[{v:.3g}]" for v in t["b[1]"].grad[:, 0])
    assert column in lines[ids["b[1]"]], (column, lines[ids["b[1]"]])


def test_a_long_column_shows_its_first_rows_and_how_many_more():
    t = course_sized_graph(m=10, n_h=20)
    J = t["J"]
    label = node_lines(mg.draw(J, grads=True).source)[node_ids(t, J)["b[1]"]]
    g = t["b[1]"].grad[:, 0]
    rows = "<BR/>".join(f"[{v:.3g}]" for v in g[:8])
    assert f"grad norm {np.linalg.norm(g):.3g}<BR/>{rows}<BR/>… 12 more" in label, label
    assert f"[{g[8]:.3g}]" not in label.split("… 12 more")[1], label


@pytest.mark.parametrize("p, symbol, written", [(2, "**2", "x²"), (3, "**3", "x³"),
                                                (0.5, "**0.5", "x^0.5"), (-1, "**-1", "x⁻¹"),
                                                (0, "**0", "x⁰"),
                                                (0.9999999, "**0.9999999", "x^0.9999999")])
def test_a_power_shows_its_exponent(p, symbol, written):
    # the oval and the result's label write p alike, exactly (0.9999999 drawn "**1" said x¹)
    x = mg.tensor([1.5, -2.0, 3.0] if p in (2, 3, -1, 0) else [1.5, 2.0, 3.0],
                  requires_grad=True, name="x")
    lines = node_lines(mg.draw((x ** p).sum()).source)
    assert f"label=<{symbol}>" in lines["n1_op"], lines["n1_op"]
    assert f"<I>{written}</I>" in lines["n1"], lines["n1"]


def test_a_power_shows_the_exponent_it_was_called_with_whatever_the_values():
    # the node keeps p: zeros (where no value shows it), a long decimal
    x = mg.tensor([0.0, 0.0], requires_grad=True, name="x")
    lines = node_lines(mg.draw((x ** 2).sum()).source)
    assert "label=<**2>" in lines["n1_op"], lines["n1_op"]
    assert (x ** 0.1234567890123).op_params == {"p": 0.1234567890123}


def test_unnamed_results_are_labelled_by_their_expression():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    x = mg.tensor([[3.0, 4.0]], name="x")
    J = ((w * x).tanh() + 1.0).sum()
    lines = node_lines(mg.draw(J).source)
    labels = {k: re.search(r"<I>(.*?)</I>", v).group(1) for k, v in lines.items()
              if "<I>" in v}
    assert sorted(labels.values()) == sorted(["w × x", "tanh(w × x)", "tanh(w × x) + 1",
                                              "Σ (tanh(w × x) + 1)"]), labels
    # past 40 characters an expression helps no one: the shape alone
    long = w
    for _ in range(12):
        long = long.tanh()
    assert "<I>" not in node_lines(mg.draw(long.sum()).source)["n13"]


@pytest.mark.parametrize("build, written", [
    (lambda W, A, D: W @ (A * D), "W (A × D)"),     # dropout: W[2] (A[1] × D[1])
    (lambda W, A, D: (W @ A) * D, "W A × D"),       # the notes' Wᵀ dZ * g′(Z), left to right
    (lambda W, A, D: W * (A @ D), "W × (A D)"),
    (lambda W, A, D: W @ (A / D), "W (A ÷ D)"),
    (lambda W, A, D: W @ (A @ D), "W A D"),         # one product: no brackets needed
    (lambda W, A, D: W * (A * D), "W × A × D"),
    # linear's W A is a product too, its + b a sum
    (lambda W, A, D: mg.linear(W, A, D), "W A + D"),
    (lambda W, A, D: mg.linear(W, A + D, D), "W (A + D) + D"),
    (lambda W, A, D: mg.linear(W, A * D, D), "W (A × D) + D"),
    (lambda W, A, D: mg.linear(W, A @ D, D - A), "W A D + D − A"),
    (lambda W, A, D: mg.linear(W, A, D) * D, "(W A + D) × D"),
    (lambda W, A, D: W @ mg.linear(W, A, D), "W (W A + D)"),
])
def test_a_product_of_a_product_is_bracketed_where_reading_left_to_right_would_change_it(
        build, written):
    # W A × D reads (W A) × D: W @ (A * D) is another number and needs its brackets
    W, A, D = (mg.tensor(np.full((2, 2), v), requires_grad=True, name=n)
               for v, n in ((1.0, "W"), (2.0, "A"), (3.0, "D")))
    assert mg.steps.expression(build(W, A, D)) == written


@pytest.mark.parametrize("build, written", [
    (lambda x: (x ** 2) ** 3, "(x²)³"),     # was x²³: x to the 23rd
    (lambda x: (x ** 0.5) ** 2, "(x^0.5)²"),
    (lambda x: (x ** 2) ** 0.5, "(x²)^0.5"),
    (lambda x: (x ** 2).T, "(x²)ᵀ"),
    (lambda x: -(x ** 2), "−x²"),
    (lambda x: (-x) ** 2, "(−x)²"),
])
def test_a_power_of_a_power_is_bracketed(build, written):
    x = mg.tensor([[1.5, 2.0]], requires_grad=True, name="x")
    assert mg.steps.expression(build(x)) == written


def test_a_power_of_a_negative_number_is_bracketed():
    # x = mg.tensor(-2.0, requires_grad=True); x ** 2 was labelled -2², which reads
    # as −(2²) = −4, beside its value 4
    x = mg.tensor(-2.0, requires_grad=True)
    assert mg.steps.expression(x ** 2) == "(-2)²"
    assert mg.steps.expression(x ** 3) == "(-2)³"
    assert "(-2)²" in node_lines(mg.draw(x ** 2, values=True).source)["n1"]
    assert mg.steps.expression(mg.tensor(2.0, requires_grad=True) ** 2) == "2²"


# --- options are checked before any work (issue: dpi=-1 ran 147 s) ----------------------------
@pytest.mark.parametrize("dpi", [-1, 0, 1e-3, 9.99, 1200.5, 1e6, float("nan"), float("inf")])
def test_a_dpi_out_of_range_is_a_value_error_naming_dpi(dpi, tmp_path):
    J = two_layer_graph()["J"]
    with pytest.raises(ValueError, match=r"dpi must be from 10 to 1200"):
        mg.save_graph(J, tmp_path / "g.png", dpi=dpi)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dpi", ["abc", "150", True, [150], 1j])
def test_a_dpi_that_is_not_a_number_is_a_type_error_naming_dpi(dpi):
    with pytest.raises(TypeError, match=r"draw: dpi must be a number"):
        mg.draw(two_layer_graph()["J"], dpi=dpi)


@pytest.mark.parametrize("dpi", [10, 96, 150.5, np.float64(300), np.int64(1200)])
def test_a_dpi_in_range_is_accepted(dpi):
    assert f"dpi={float(dpi):g}" in mg.draw(two_layer_graph()["J"], dpi=dpi).source


@pytest.mark.parametrize("option", ["values", "grads"])
@pytest.mark.parametrize("value", ["yes", 1, None])
def test_values_and_grads_must_be_booleans(option, value):
    with pytest.raises(TypeError, match=rf"draw: {option} must be True or False"):
        mg.draw(two_layer_graph()["J"], **{option: value})


@pytest.mark.parametrize("root", [np.ones(3), [1.0, 2.0], 3.0, None])
def test_a_root_that_is_not_a_tensor_is_a_type_error(root, tmp_path):
    for call in (lambda: mg.draw(root), lambda: mg.summary(root),
                 lambda: mg.save_graph(root, tmp_path / "g.png")):
        with pytest.raises(TypeError, match=r"root must be a minigrad Tensor"):
            call()


def test_a_path_that_is_not_a_path_is_a_type_error():
    with pytest.raises(TypeError, match=r"path must be a str or a pathlib.Path"):
        mg.save_graph(two_layer_graph()["J"], 5)


def test_a_name_that_is_not_a_str_is_drawn_as_its_text():
    t = mg.tensor([[1.0, 2.0]], requires_grad=True)
    try:
        t.name = 5
    except TypeError:   # the engine may refuse such a name: then nothing can break
        return
    J = (t * 2.0).sum()
    assert re.search(r"^5\s+-\s+parameter", mg.summary(J), re.M), mg.summary(J)
    assert "<B>5</B>" in node_lines(mg.draw(J).source)["n0"]


# --- summary in a terminal ---------------------------------------------------------------------
def display_width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_summary_columns_line_up_for_wide_names():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="权重[1]")
    x = mg.tensor([[3.0, 4.0]], name="输入")
    J = (w * x).sum().named("J")
    lines = mg.summary(J).splitlines()
    # the op column starts at the same terminal cell on every line
    starts = {display_width(re.match(r"^\S+\s+", line).group(0)) for line in lines}
    assert len(starts) == 1, lines


@given(data=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=12),
                       elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))
def test_any_numbers_are_shown_without_a_warning_and_render(data):
    x = mg.tensor(data, requires_grad=True, name="x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = mg.draw((x * 1.0).named("y"), values=True).source
    label = html_label(node_lines(source)["n0"])
    ET.fromstring(f"<label>{label}</label>")   # well-formed
    if data.size > 6:
        assert "norm " in label, label
        column = data.ndim == 2 and data.shape[1] == 1
        assert ("…" in label) == (not column or data.shape[0] > 8), label


def shown_numbers(a: np.ndarray) -> list:
    """The numbers a label shows first for ``a``, written here from the promise in the
    module docstring (not from viz's code): all of a tiny array; else its norm."""
    if a.size <= 6:
        return [f"{float(v) + 0.0:.3g}" for v in a.ravel()]
    return ["norm", f"{np.linalg.norm(a):.3g}"]


def label_words(statement: str) -> list:
    """The words of a node's label, rows and brackets dropped: ['W', '(2, 2)' as
    '(2', '2)', 'value', '1', ...]."""
    label = html_label(statement).replace("<BR/>", " ")
    text = "".join(ET.fromstring(f"<l>{label}</l>").itertext())
    return [w for w in re.split(r"[\s,\[\]…]+", text) if w]


@given(build=computation_graphs(max_ops=6), twice=st.booleans())
def test_every_node_shows_its_own_shape_value_and_grad(build, twice):
    # after one backward, or a second that adds up: each box's numbers are its own tensor's
    J = build()
    J.backward()
    if twice:
        J.backward()
    order = mg.topological_order(J)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # a NaN norm is shown, whatever numpy says of it
        lines = node_lines(mg.draw(J, values=True, grads=True).source)
        for i, t in enumerate(order):
            if not t.parents and not t.requires_grad and t.name is None:
                continue   # a constant: drawn as its value alone
            words = label_words(lines[f"n{i}"])
            shape = "scalar" if t.shape == () else str(t.shape)
            assert " ".join(words).find(shape.replace(",", "")) >= 0, (i, shape, words)
            value = words[words.index("value") + 1:]
            expected = shown_numbers(t.data)
            if t.name is None and not t.parents and t.size == 1:   # exact, as rules write it
                x = float(t.data.reshape(()))
                expected = [f"{x:g}" if float(f"{x:g}") == x else repr(x)]
            assert value[:len(expected)] == expected, (i, t.data, words)
            if t.requires_grad and t.grad is not None:
                grad = words[words.index("grad") + 1:]
                assert grad[:len(shown_numbers(t.grad))] == shown_numbers(t.grad), (i, t.grad,
                                                                                  words)


def test_an_output_beside_the_loss_says_the_loss_does_not_use_it():
    # J is computed from the logits Z[2]; A[2] = σ(Z[2]) is drawn beside it
    X, Y = nets.data.flower(m=5)
    g = nets.TwoLayerNet(2, 3).graph(X, Y)
    g.loss.backward()
    source = g.draw(grads=True).source
    a2 = next(line for line in source.splitlines() if "A<SUP>[2]</SUP>" in line)
    assert "none: the loss does not use it" in a2, a2
    assert "not computed" not in source and "the loss does not use it" not in \
        source.replace(a2, "")


# --- pinned by planted bugs (each test failed with one small change to viz.py) ------------
@pytest.mark.parametrize("grad", [np.float64(0.0), mg.tensor([[0.0, 0.0]])],
                         ids=["numpy scalar", "Tensor"])
def test_a_grad_with_a_shape_that_is_not_an_array_is_refused_too(grad):
    # w.grad = w.grad.sum() or a Tensor: they have a .shape, and are no gradient array
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    J = (w * w).sum().named("J")
    J.backward()
    w.grad = grad
    with pytest.raises(TypeError, match=r"w \(1, 2\) holds \.grad = .*not a numpy array"):
        mg.draw(J, grads=True)


def test_a_grad_of_another_shape_than_its_tensor_is_said_so_in_the_picture_and_the_summary():
    # b.grad = db of a hand formula that forgot to sum over the samples: (4, 3) for
    # b (4, 1). Its norm and first entries were drawn beside b's shape as b's gradient
    t = two_layer_graph()
    b = t["b[1]"]
    b.grad = np.ones((4, 3))
    texts = svg_texts(run_dot(mg.draw(t["J"], grads=True).source, "svg"))
    assert ".grad has shape (4, 3), not (4, 1)" in texts, texts
    assert sum(".grad has shape" in line for line in texts) == 1, texts
    row = [line for line in mg.summary(t["J"]).splitlines() if line.startswith("b[1]")]
    assert row and row[0].rstrip().endswith("3.464 (.grad has shape (4, 3), not (4, 1))"), row


def test_a_long_grad_that_is_not_an_array_is_cut_short_in_the_message():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    J = (w * w).sum().named("J")
    J.backward()
    w.grad = [0.0] * 100
    with pytest.raises(TypeError) as caught:
        mg.summary(J)
    # 39 characters of its repr, then …
    assert "holds .grad = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0… (list)" in str(caught.value)


def test_a_constant_changed_after_the_graph_used_it_is_marked_too():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    c = mg.tensor(3.0)   # a constant: drawn as its value alone
    J = (w * c).sum().named("J")
    c.data = np.array(4.0)
    lines = node_lines(mg.draw(J).source)
    marked = [k for k, line in lines.items() if "data changed after the graph used it" in line]
    assert len(marked) == 1 and "label=<4<BR/>" in lines[marked[0]], lines


@pytest.mark.parametrize("name, given", [("graph.png", dict(format="png")),
                                         ("graph.PNG", {})])
def test_render_to_a_png_name_with_its_format_or_in_capitals_writes_a_png(tmp_path, name, given):
    picture = mg.draw(two_layer_graph()["J"])
    written = picture.render(tmp_path / name, **given)
    assert Path(written) == tmp_path / name, written
    assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)


# --- the gallery's words about its pictures (docs/gallery.md), against the pictures ----------
def svg_nodes(svg: bytes) -> list:
    """(fill colours, text lines) of each node of a rendered SVG, in drawing order."""
    return [({e.get("fill") for e in g if e.get("fill")},
             [t.text or "" for t in g.iter(f"{SVG}text")])
            for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "node"]


def node_named(nodes: list, *words: str) -> tuple:
    found = [n for n in nodes if n[1][:len(words)] == list(words)]
    assert len(found) == 1, (words, [n[1][:3] for n in nodes])
    return found[0]


@pytest.fixture(scope="module")
def gallery_graphs(tmp_path_factory) -> Path:
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "make_figures", Path(__file__).parent.parent / "docs" / "make_figures.py")
    make_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figures)
    out = tmp_path_factory.mktemp("figures")
    make_figures.graphs(out, lambda n: n)
    return out


def test_the_gallerys_values_and_grads_picture_shows_dZ2_over_m(gallery_graphs):
    # "Z[2]'s gradient is (A[2] - Y) / m", "every entry of every tensor"
    X, Y = nets.data.flower(m=3, seed=1)
    g = nets.TwoLayerNet(n_x=2, n_h=2, activation="tanh", seed=2).graph(X, Y)
    nodes = svg_nodes((gallery_graphs / "graph_values_grads.svg").read_bytes())
    dZ2 = (g["A[2]"].data - Y) / 3
    _, z2 = node_named(nodes, "Z", "[2]")
    assert f"grad [{', '.join(f'{v:.3g}' for v in dZ2.ravel())}]" in z2, z2
    forward = svg_nodes((gallery_graphs / "forward_values.svg").read_bytes())
    assert not any("norm" in line for _, lines in forward for line in lines), forward


def test_the_gallerys_wrong_backprop_picture_marks_exactly_the_wrong_nodes_red(gallery_graphs):
    nodes = svg_nodes((gallery_graphs / "check_mismatch.svg").read_bytes())
    red = {"".join(lines[:2]) for fills, lines in nodes
           if mg.viz._HIGHLIGHT["fillcolor"] in fills and lines[0] != "legend"}
    # 1 − A[1] for 1 − A[1]²: where the error enters (Z[1]) and what it spoils
    assert red == {"Z[1]", "W[1]", "b[1]"}, red


def test_the_gallerys_inferred_picture_marks_dZ1_not_returned_apart_from_the_wrong_dW1_db1(
        gallery_graphs):
    # the course's function returns dW, db only: "first wrong at dZ1 or above it (dA1), not
    # returned"; the picture marked W[1], b[1] and said nothing of Z[1]
    svg = (gallery_graphs / "check_inferred.svg").read_bytes()
    nodes = [(fills, lines) for fills, lines in svg_nodes(svg) if lines[0] != "legend"]
    by_fill = {look: {"".join(lines[:2]) for fills, lines in nodes if a["fillcolor"] in fills}
               for look, a in (("red", mg.viz._HIGHLIGHT),
                               ("inferred", mg.viz._MARKS["inferred"]))}
    assert by_fill == {"red": {"W[1]", "b[1]"}, "inferred": {"Z[1]"}}, by_fill
    texts = svg_texts(svg)
    assert "not returned, inferred wrong: the error enters here" in texts, texts
    assert "not returned: or the error enters here" in texts, texts


def test_the_gallerys_colours_tell_the_kinds(gallery_graphs):
    # inputs and labels blue, parameters green, intermediates white, the loss yellow
    nodes = svg_nodes((gallery_graphs / "graph_two_layer.svg").read_bytes())
    for words, fill in ((("X",), "#dbeafe"), (("Y",), "#dbeafe"),
                        (("W", "[1]", "(4, 2)"), "#dcfce7"), (("b", "[2]"), "#dcfce7"),
                        (("Z", "[1]"), "white"), (("J",), "#fde68a")):
        fills, lines = node_named(nodes, *words)
        assert fill in fills, (words, fills)
