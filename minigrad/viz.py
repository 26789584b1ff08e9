"""Pictures of the computation graph (Graphviz DOT, PNG, SVG, PDF) and a text table.

    mg.draw(J, grads=True)                  # a graphviz.Digraph (shows inline in Jupyter)
    mg.save_graph(J, "graph.png", grads=True, dpi=150)
    print(mg.summary(J))                    # the same graph as text, no Graphviz needed

How the picture is made, so that a reader can predict it:

* one box per tensor, with ids ``n0, n1, ...`` in ``topological_order`` (inputs
  first), so the same graph always gives the same DOT text; a small oval for
  each op (``@``, ``+``, ``tanh``, ``σ``, ``BCE``) sits between the op's inputs
  and its result, and the arrows run from X to J; leaves (W, b, Y) sit beside
  the op that uses them, so the line X -> Z -> A -> J runs straight;
* an unnamed result is labelled by how it was made when its inputs are named or
  one-number constants (``W[1] X``, ``1 − A[2]``, ``log(A[2])``), else by its shape only;
* kinds, told apart by colour and shape: *input* (a named leaf that needs no
  gradient: X, Y), *parameter* (a leaf with ``requires_grad``: W, b),
  *intermediate*, *loss* (the root), *constant* (an unnamed leaf, such as the
  1 in ``1 - A``, drawn as its bare value);
* layers come from the names: a tensor whose name holds ``[l]`` goes into the
  cluster "layer l" (``[0]`` into "input", since A[0] is X); the root goes into
  "loss"; a named input goes into "input", or into "loss" when only the loss uses
  it (a label such as Y); every other tensor (unnamed results, constants,
  unnumbered parameters) joins the cluster of its first consumer, so the
  unnamed ``W[1] @ X`` sits in layer 1 beside ``Z[1]``. A graph with no ``[l]``
  in any name is drawn without clusters.
"""
from __future__ import annotations

import html
import math
import re
import unicodedata
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence, Union

import numpy as np

from minigrad.tensor import Tensor, describe, topological_order

if TYPE_CHECKING:  # pragma: no cover - only for the annotations
    import graphviz

__all__ = ["draw", "save_graph", "summary", "GraphvizNotFoundError", "FORMATS"]

FORMATS = (".png", ".svg", ".pdf", ".dot", ".gv")
LARGE_GRAPH = 300   # tensors; past this a picture is rarely readable: warn
TINY = 6            # a tensor with at most this many entries shows every number

_RANKDIRS = ("LR", "RL", "TB", "BT")
_LAYER = re.compile(r"\[([0-9]+)\]")
_LOSS = math.inf    # cluster key of the loss: after every layer
_FONT = "Helvetica,Arial,sans-serif"

# How an op is drawn (an op not listed here is drawn by its name: exp, log, tanh, mean).
_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "**", "neg": "−x",
            "matmul": "@", "transpose": "·ᵀ", "sum": "Σ", "sigmoid": "σ", "relu": "ReLU",
            "leaky_relu": "leaky ReLU", "identity": "id", "binary_cross_entropy": "BCE"}
# How an unnamed result is labelled, from its inputs' names.

_EXPRESSIONS = {"matmul": "{0} {1}", "add": "{0} + {1}", "sub": "{0} − {1}",
                "mul": "{0} × {1}", "div": "{0} ÷ {1}", "neg": "−{0}", "transpose": "{0}ᵀ",
                "exp": "exp({0})", "log": "log({0})", "tanh": "tanh({0})",
                "sigmoid": "σ({0})", "relu": "ReLU({0})", "leaky_relu": "leaky ReLU({0})",
                "sum": "Σ {0}", "mean": "mean({0})"}

_KINDS = {  # kind -> (legend text, node attributes)
    "input": ("input / label", dict(shape="box", style="filled", fillcolor="#dbeafe",
                                    color="#1d4ed8")),
    "parameter": ("parameter", dict(shape="box", style="rounded,filled",
                                    fillcolor="#dcfce7", color="#15803d", penwidth="1.5")),
    "intermediate": ("intermediate", dict(shape="box", style="rounded,filled",
                                          fillcolor="white", color="#6b7280")),
    "loss": ("loss", dict(shape="box", style="rounded,filled", fillcolor="#fde68a",
                          color="#b45309", penwidth="2", peripheries="2")),
    "constant": ("constant", dict(shape="plaintext", fontcolor="#6b7280")),
}
_HIGHLIGHT = dict(color="#dc2626", fillcolor="#fecaca", penwidth="4", fontcolor="#7f1d1d")
_OP_NODE = dict(shape="ellipse", style="filled", fillcolor="#f3f4f6", color="#9ca3af",
                fontsize="11", margin="0.04,0.02", width="0.3", height="0.25")
_CLUSTER = dict(style="rounded,filled", color="#d1d5db", fillcolor="#f9fafb",
                fontcolor="#4b5563", fontsize="12", labeljust="l")
_GRAD_COLOR = "#9a3412"


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is missing; it is needed for .png/.svg/.pdf files."""


def draw(root: Union[Tensor, Sequence[Tensor]], *, values: bool = False, grads: bool = False,
         highlight: Union[str, Tensor, Iterable[Union[str, Tensor]]] = (),
         rankdir: str = "LR", dpi: Optional[float] = None) -> "graphviz.Digraph":
    """The graph that made ``root`` as a ``graphviz.Digraph`` (see the module docstring).

    Each tensor shows its name (``W<SUP>[1]</SUP>``) and shape (``(4, 400)``,
    ``scalar``); ``values``/``grads`` add its numbers when it has at most 6
    entries, else their mean and max |x|. ``highlight`` names tensors (by name
    or as Tensor objects) to mark in red. ``rankdir`` is Graphviz's flow
    direction ("LR": X on the left, J on the right); ``dpi`` sets the
    resolution of PNG output.
    """
    graphviz = _import_graphviz()
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(_RANKDIRS)}; got {rankdir!r}")
    root, order = _graph_of(root, "draw")
    if len(order) > LARGE_GRAPH:
        warnings.warn(f"draw: the graph has {len(order)} tensors (more than {LARGE_GRAPH}); "
                      f"the picture will be hard to read: draw a smaller part, or use "
                      f"summary()", stacklevel=2)
    marked = _highlighted(order, highlight)
    where = _clusters(order, root)
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}

    graph_attr = dict(rankdir=rankdir, fontname=_FONT, bgcolor="white", nodesep="0.25",
                      ranksep="0.35", newrank="true")
    if dpi is not None:
        graph_attr["dpi"] = f"{float(dpi):g}"
    g = graphviz.Digraph("minigrad", graph_attr=graph_attr,
                         node_attr=dict(fontname=_FONT, fontsize="13"),
                         edge_attr=dict(color="#4b5563", arrowsize="0.7"))
    groups: dict = {}
    for t in order:
        groups.setdefault(where.get(id(t)), []).append(t)
    for key, members in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        cluster = None if key is None else _cluster(key)
        with nullcontext(g) if key is None else g.subgraph(name=f"cluster_{cluster}") as sub:
            if key is not None:
                sub.attr(label=cluster.replace("layer", "layer "), **_CLUSTER)
            for t in members:
                _add_tensor(sub, t, ids[id(t)], _kind(t, root), id(t) in marked, values, grads)
            _pin_leaves(sub, members, ids)
    for t in order:
        if t.parents:
            for p in t.parents:
                g.edge(ids[id(p)], f"{ids[id(t)]}_op")
            g.edge(f"{ids[id(t)]}_op", ids[id(t)])
    kinds = {_kind(t, root) for t in order}
    grad_of = (_name(root.name) if root.name else "root") if grads else None
    g.node("legend", label=_legend(kinds, bool(marked), grad_of), shape="plaintext",
           fontsize="10")
    return g


def save_graph(root: Union[Tensor, Sequence[Tensor]], path: Union[str, Path], **draw_options) -> Path:
    """Draw ``root``'s graph into ``path``, the format taken from its suffix
    (.png .svg .pdf need Graphviz's ``dot``; .dot .gv are the DOT text and do not).
    Writes exactly that one file, prints nothing, and returns its path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"save_graph: cannot tell the format of {str(path)!r}; the suffix "
                         f"must be one of {', '.join(FORMATS)}")
    graph = draw(root, **draw_options)
    if suffix in (".dot", ".gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    import graphviz
    try:
        # pipe(), not render("x.png"): render writes the DOT text under the name given.
        picture = graph.pipe(format=suffix[1:], quiet=True)
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(
            f"save_graph: Graphviz's `dot` program was not found on PATH; it is needed "
            f"to write {suffix} files. Install Graphviz with one of\n"
            f"    apt-get install graphviz                 (Debian, Ubuntu; with sudo)\n"
            f"    brew install graphviz                    (macOS)\n"
            f"    conda install -c conda-forge graphviz    (conda)\n"
            f"Writing .dot or .gv needs no Graphviz: save_graph(root, 'graph.dot').") from error
    path.write_bytes(picture)
    return path


def summary(root: Union[Tensor, Sequence[Tensor]]) -> str:
    """The graph of ``root`` as a text table, one row per tensor, inputs first:
    name (or ``<op>``), op, kind, shape, and the norm of ``.grad`` (``-`` if none)."""
    root, order = _graph_of(root, "summary")
    rows = [("name", "op", "kind", "shape", "grad norm")]
    for t in order:
        kind = _kind(t, root)
        name = _visible(t.name) if t.name else (f"<{t.op}>" if t.parents else f"<{kind}>")
        if t.grad is None:
            norm = "-"
        else:
            with np.errstate(all="ignore"):   # inf/nan grads are shown, not warned about
                norm = f"{np.linalg.norm(t.grad):.4g}"
        rows.append((name, t.op or "-", kind, _shape(t.shape), norm))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    rows.insert(1, tuple("-" * w for w in widths))
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in rows)


def _graph_of(root: Union[Tensor, Sequence[Tensor]], where: str) -> tuple:
    """The first root (the loss) and every tensor the roots depend on, inputs first.
    More roots draw outputs made beside the loss (A[2] = σ(Z[2]) when J is
    computed from the logits Z[2])."""
    roots = [root] if isinstance(root, Tensor) else list(root) \
        if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise TypeError(f"{where}: root must be a Tensor or a list of Tensors; "
                        f"got {type(root).__name__}")
    order, seen = [], set()
    for r in reversed(roots):   # the loss last: the outputs beside it come before it
        for t in topological_order(r):
            if id(t) not in seen:
                seen.add(id(t))
                order.append(t)
    return roots[0], order


# --- what each tensor is, and where it goes -----------------------------------------------
def _kind(t: Tensor, root: Tensor) -> str:
    if t.parents:
        return "loss" if t is root else "intermediate"
    if t.requires_grad:
        return "parameter"
    return "input" if t.name else "constant"


def _clusters(order: list, root: Tensor) -> dict:
    """id(tensor) -> cluster key (0 input, l for layer l, _LOSS) or None; the rule is
    in the module docstring. Walks from the root back, so consumers are placed first."""
    if not any(t.name and _LAYER.search(t.name) for t in order):
        return {}
    consumers: dict = {}
    for t in order:
        for p in t.parents:
            consumers.setdefault(id(p), []).append(t)
    where: dict = {}
    for t in reversed(order):
        used_by = [where[id(c)] for c in consumers.get(id(t), [])]
        layer = _LAYER.search(t.name) if t.name else None
        if layer:
            where[id(t)] = int(layer.group(1))
        elif t is root:
            where[id(t)] = _LOSS
        elif t.name and not t.parents and not t.requires_grad:
            only_loss = used_by and all(c == _LOSS for c in used_by)
            where[id(t)] = _LOSS if only_loss else 0
        else:
            where[id(t)] = used_by[0] if used_by else None
    return where


def _cluster(key: float) -> str:
    return "input" if key == 0 else "loss" if key == _LOSS else f"layer{key}"


def _pin_leaves(g, members: list, ids: dict) -> None:
    """Put each leaf (W, b, Y, a constant) in the same rank as the first op of its group
    that uses it: it then feeds into the flow from the side, and the layers line up
    left to right instead of as a staircase."""
    leaves = {id(t) for t in members if not t.parents}
    for t in members:
        for p in t.parents:
            if id(p) in leaves:
                leaves.discard(id(p))
                g.body.append(f"\t{{rank=same; {ids[id(p)]}; {ids[id(t)]}_op}}\n")


def _highlighted(order: list, highlight) -> set:
    if isinstance(highlight, (str, Tensor)):
        highlight = (highlight,)   # one name, not its characters
    in_graph = {id(t) for t in order}
    names: dict = {}
    for t in order:
        if t.name:
            names.setdefault(t.name, []).append(id(t))
    marked, unknown = set(), []
    for item in highlight:
        if isinstance(item, Tensor):
            if id(item) not in in_graph:
                raise ValueError(f"highlight: the tensor {describe(item)} is not in this graph")
            marked.add(id(item))
        elif isinstance(item, str):
            if item in names:
                marked.update(names[item])
            else:
                unknown.append(item)
        else:
            raise TypeError(f"highlight takes names or Tensors; got {type(item).__name__}")
    if unknown:
        raise ValueError(f"highlight: no tensor named {', '.join(map(repr, unknown))}; the "
                         f"names in this graph are: {', '.join(map(repr, names)) or 'none'}")
    return marked


# --- labels (HTML-like: every piece of user text goes through _text) ------------------------
def _add_tensor(g, t: Tensor, node_id: str, kind: str, marked: bool,
                values: bool, grads: bool) -> None:
    attrs = dict(_KINDS[kind][1])
    if marked:
        style = attrs.get("style", "")
        attrs.update(_HIGHLIGHT, style=style if "filled" in style else "filled")
        if kind == "constant":
            attrs["shape"] = "box"   # a plaintext node has no border to thicken
    g.node(node_id, label=_tensor_label(t, kind, values, grads), **attrs)
    if t.parents:
        g.node(f"{node_id}_op", label=f"<{_text(_SYMBOLS.get(t.op, t.op or '?'))}>", **_OP_NODE)


def _tensor_label(t: Tensor, kind: str, values: bool, grads: bool) -> str:
    if kind == "constant":   # the 1 in 1 - A: its value says it all
        return "<" + ("<BR/>".join(_numbers(t.data)) if t.size <= TINY else _shape(t.shape)) + ">"
    if t.name:
        rows = [f"<B>{_name(t.name)}</B>"]
    else:
        expression = _expression(t)
        rows = [f"<I>{expression}</I>"] if expression else []
    small = '<FONT POINT-SIZE="10" COLOR="{}">{}</FONT>'
    rows.append(small.format("#4b5563", _shape(t.shape)))
    if values:
        rows.append(small.format("black", _caption("value", _numbers(t.data))))
    if grads and t.requires_grad:
        grad = ["not computed"] if t.grad is None else _numbers(t.grad)
        rows.append(small.format(_GRAD_COLOR, _caption("grad", grad)))
    return "<" + "<BR/>".join(rows) + ">"


def _expression(t: Tensor) -> Optional[str]:
    """How an unnamed result was made, in the notes' writing (``W[1] X``, ``1 − A[2]``,
    ``tanh(Z[1])``), when each input is named or a one-number constant; else None."""
    operands = [_name(p.name) if p.name else
                _num(p.data) if not p.parents and not p.requires_grad and p.data.size == 1
                else None for p in t.parents]
    form = _EXPRESSIONS.get(t.op)
    return None if form is None or not operands or None in operands else form.format(*operands)


def _name(name: str) -> str:
    """``W[1]`` -> ``W<SUP>[1]</SUP>``, the rest of the name escaped."""
    parts = _LAYER.split(name)   # text, digits, text, digits, ..., text
    return "".join(_text(p) if i % 2 == 0 else f"<SUP>[{p}]</SUP>" for i, p in enumerate(parts))


def _visible(s: str) -> str:
    # Control, format and unassigned characters (and lone surrogates, which cannot even
    # be encoded) are shown as their Python escapes: Graphviz rejects some, hides others.
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" else c
                   for c in s)


def _text(s: str) -> str:
    """User text made safe inside an HTML-like label (a bare < or & is a syntax error)."""
    return html.escape(_visible(s), quote=True)


def _shape(shape: tuple) -> str:
    return "scalar" if shape == () else str(shape)


def _numbers(a: np.ndarray) -> list:
    """Lines of text: every number of a tiny array, one row per line (so b (4, 1)
    stands as a column); the mean and max |x| of a larger one."""
    if a.size == 0:
        return ["empty"]
    if a.size > TINY:
        with np.errstate(all="ignore"):   # inf - inf in the mean: show nan, do not warn
            return [f"mean {_num(a.mean())}", f"max|x| {_num(np.abs(a).max())}"]
    if a.ndim == 0:
        return [_num(a)]
    return [f"[{', '.join(_num(x) for x in row)}]" for row in a.reshape(-1, a.shape[-1])]


def _caption(caption: str, lines: list) -> str:
    # Rows of a matrix go under the caption, so that they line up as a column.
    first = "<BR/>" if len(lines) > 1 and lines[0].startswith("[") else " "
    return caption + first + "<BR/>".join(lines)


def _num(x) -> str:
    return f"{float(x):.3g}"


def _legend(kinds: set, highlighted: bool, grad_of: Optional[str]) -> str:
    rows = [(text, attrs) for k, (text, attrs) in _KINDS.items() if k in kinds and k != "constant"]
    rows.append(("op", _OP_NODE))
    if highlighted:
        rows.append(("highlighted", _HIGHLIGHT))
    cells = "".join(f'<TR><TD BGCOLOR="{a["fillcolor"]}" COLOR="{a["color"]}">{text}</TD></TR>'
                    for text, a in rows)
    if grad_of is not None:   # what "grad" means, in the notes' words
        cells += (f'<TR><TD BORDER="0"><FONT COLOR="{_GRAD_COLOR}">grad = '
                  f'∂{grad_of}/∂(that tensor)</FONT></TD></TR>')
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="3" CELLPADDING="3">'
            f'<TR><TD BORDER="0"><B>legend</B></TD></TR>{cells}</TABLE>>')


def _import_graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing needs the graphviz Python package: pip install graphviz "
                          "(summary() works without it)") from None
    return graphviz
