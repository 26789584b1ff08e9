"""Pictures of the computation graph (Graphviz DOT, PNG, SVG, PDF) and a text table.

    mg.draw(J, grads=True)                  # a graphviz.Digraph (shows inline in Jupyter)
    mg.save_graph(J, "graph.png", grads=True, dpi=150)
    print(mg.summary(J))                    # the same graph as text, no Graphviz needed

How the picture is made, so that a reader can predict it:

* one box per tensor, with ids ``n0, n1, ...`` in ``topological_order`` (inputs
  first), so the same graph always gives the same DOT text; a small oval for
  each op (``@``, ``+``, ``tanh``, ``σ``, ``**2``, ``BCE``: the symbols of
  ``minigrad.steps.RULES``) sits between the op's inputs and its result, and
  the arrows run from X to J; leaves (W, b, Y) sit beside the op that uses
  them, so the line X -> Z -> A -> J runs straight;
* the picture fits a page column (``rankdir="auto"``): the flow runs left to
  right only while the longest path has at most 2 ops, else top to bottom, and
  a drawing wider than 8.33 inches (800 px at 96 dpi) is scaled down to it;
* an unnamed result is labelled by how it was made (``W[1] X``, ``1 − A[2]``,
  ``Σ (tanh(w × x) + 1)``) when that can be written in 40 characters, else by
  its shape only; a name wider than 40 columns is cut into lines (after a
  space where it can be), so that one label does not shrink the whole picture;
* numbers (``values``, ``grads``): all of a tensor of at most 6 entries; one
  per row of a column (n, 1) (up to 8 rows); else the norm and the first 3
  entries, since a mean of signed numbers near 0 says nothing; each to 3
  significant digits, except an unnamed one-number leaf (a constant, a scale c),
  which is written exactly, as the rules and its consumer's label write it;
* kinds, told apart by colour and shape: *input* (a named leaf that needs no
  gradient: X, Y), *parameter* (a leaf with ``requires_grad``: W, b),
  *intermediate*, *loss* (the root), *constant* (an unnamed leaf, such as the
  1 in ``1 - A``, drawn as its bare value: every entry exactly, short, when
  it has at most 6, so that 0.99998 never reads as 1; else its shape);
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
import io
import inspect
import math
import os
import re
import sys
import warnings
from contextlib import nullcontext, redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from minigrad.steps import (backward_steps, exact, expression, node_name,
                            op_symbol)
from minigrad.table import display_width, text_table, visible as _visible
from minigrad.tensor import Tensor, describe, topological_order

if TYPE_CHECKING:  # pragma: no cover - only for the annotations
    import graphviz

__all__ = ["draw", "save_graph", "summary", "GraphvizNotFoundError", "FORMATS", "check_suffix",
           "render", "DPI_RANGE"]

FORMATS = (".png", ".svg", ".pdf", ".dot", ".gv")
LARGE_GRAPH = 300   # tensors; past this a picture is rarely readable: warn
TINY = 6            # a tensor with at most this many entries shows every number
NAME_WIDTH = 40     # columns on a line of a name (an expression has at most as many characters)
COLUMN_ROWS = 8     # a larger (n, 1) column shows this many rows
FIRST_ENTRIES = 3   # a larger array shows its norm and this many entries
DPI_RANGE = (10, 1200)   # below: an empty picture; above: gigapixels and minutes of dot
# "auto" fits a page column: left to right only while the longest path has at most
# this many ops (each op with its labels takes ~250 px across), else top to bottom;
# and at most COLUMN_INCHES wide (800 px at Graphviz's 96 dpi): a wider drawing is
# scaled down to it, which for a top-to-bottom graph costs its text little.
AUTO_LR_OPS = 2
COLUMN_INCHES = 8.33

_RANKDIRS = ("auto", "LR", "RL", "TB", "BT")
_LAYER = re.compile(r"\[([0-9]+)\]")
_LOSS = math.inf    # cluster key of the loss: after every layer
_FONT = "Helvetica,Arial,sans-serif"

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
# marks of report.draw's beside the highlight, for nodes whose value nobody gave:
# "inferred" (shown wrong by the others), "possible" (the error may enter there);
# dashed and dotted, so that neither reads as a value seen to be wrong
_MARKS = {"inferred": dict(color="#dc2626", fillcolor="#fee2e2", penwidth="3",
                           fontcolor="#7f1d1d", dash="dashed"),
          "possible": dict(color="#dc2626", fillcolor="white", penwidth="2", dash="dotted")}
_OP_NODE = dict(shape="ellipse", style="filled", fillcolor="#f3f4f6", color="#9ca3af",
                fontsize="11", margin="0.04,0.02", width="0.3", height="0.25")
_CLUSTER = dict(style="rounded,filled", color="#d1d5db", fillcolor="#f9fafb",
                fontcolor="#4b5563", fontsize="12", labeljust="l")
_CURRENT = dict(color="#ea580c", fillcolor="#fed7aa", penwidth="4", fontcolor="black")
_GRAD_COLOR = "#9a3412"
# suffixes that name a picture: render("graph.png") means that picture
_RENDER_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif")
_CHANGED = "data changed after the graph used it"
_SCALED = re.compile(r"too large for cairo-renderer bitmaps\. Scaling by ([0-9.]+)")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is missing; it is needed for .png/.svg/.pdf files."""


def draw(root: Union[Tensor, Sequence[Tensor]], *, values: bool = False, grads: bool = False,
         highlight: Union[str, Tensor, Iterable[Union[str, Tensor]]] = (),
         rankdir: str = "auto", dpi: Optional[float] = None) -> "graphviz.Digraph":
    """The graph that made ``root`` as a ``graphviz.Digraph`` (see the module docstring).

    Each tensor shows its name (``W<SUP>[1]</SUP>``) or how it was made, and its
    shape (``(4, 400)``, ``scalar``); ``values``/``grads`` add its numbers: every
    number when it has at most 6 entries, one per row for a column (n, 1), else
    its norm and its first entries. ``highlight`` names tensors (by name or as
    Tensor objects) to mark in red. ``rankdir`` is Graphviz's flow direction:
    "LR" (X on the left, J on the right), "TB" (top to bottom), "RL", "BT", or
    "auto" (the default) fits a page column: left to right while the longest
    path from an input to ``root`` has at most 2 ops, else top to bottom, and
    at most 8.33 inches (800 px at 96 dpi) wide. ``dpi`` (10 to 1200) sets the
    resolution of PNG output.
    Every option is checked before any work: a wrong one is a ``TypeError`` or
    ``ValueError`` naming it.
    """
    return _digraph(root, values=values, grads=grads, highlight=highlight, rankdir=rankdir,
                    dpi=dpi)


def _digraph(root: Union[Tensor, Sequence[Tensor]], *, values: bool, grads: bool, highlight,
             rankdir: str, dpi: Optional[float],
             frame: Optional["Frame"] = None,
             marks: Sequence[tuple] = (),
             highlighted_as: str = "highlighted") -> "graphviz.Digraph":
    """draw(), plus ``frame``: one moment of the backward pass (the animation's),
    ``marks``: ``(names, "inferred" or "possible", legend text)``, nodes drawn
    in that mark of ``_MARKS`` unless highlighted, and ``highlighted_as``, what
    the legend calls the highlighted nodes (BackpropReport.draw's: wrong)."""
    root, order = _graph_of(root, "draw")
    _check_options(values=values, grads=grads, rankdir=rankdir, dpi=dpi)
    if grads and frame is None:   # a frame shows its own pass's gradients, not .grad
        _check_grads(order, "draw")
    graphviz = _import_graphviz()
    if len(order) > LARGE_GRAPH:
        warnings.warn(f"draw: the graph has {len(order)} tensors (more than {LARGE_GRAPH}); "
                      f"the picture will be hard to read: draw a smaller part, or use "
                      f"summary()", stacklevel=_caller_level())
    marked = _highlighted(order, highlight)
    marking: dict = {}   # id -> the mark it gets (the first that names it)
    for names, mark, _ in marks:
        for i in _highlighted(order, names) - marked:
            marking.setdefault(i, mark)
    used = {id(t) for t in topological_order(root)}   # what the loss is computed from
    changed = _changed_since_used(order)
    where = _clusters(order, root)
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    graph_attr = dict(rankdir=rankdir, fontname=_FONT, bgcolor="white", nodesep="0.25",
                      ranksep="0.35", newrank="true")
    if rankdir == "auto":
        graph_attr["rankdir"] = "LR" if _ops_deep(order) <= AUTO_LR_OPS else "TB"
        graph_attr["size"] = f"{COLUMN_INCHES:g},1000"   # width capped, height free
    if dpi is not None:
        graph_attr["dpi"] = f"{float(dpi):g}"
    g = _picture_class(graphviz)("minigrad", graph_attr=graph_attr,
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
                _add_tensor(sub, t, ids[id(t)], _kind(t, root), id(t) in marked, values, grads,
                            frame, used=id(t) in used, changed=id(t) in changed,
                            mark=marking.get(id(t)))
            _pin_leaves(sub, members, ids)
    for t in order:
        if t.parents:
            for p in t.parents:
                g.edge(ids[id(p)], f"{ids[id(t)]}_op", **_edge_style(frame, p, t))
            g.edge(f"{ids[id(t)]}_op", ids[id(t)], **_edge_style(frame, t, t))
    kinds = {_kind(t, root) for t in order}
    meaning = _grad_meaning(root, frame, bool(changed), order) if grads else None
    shown = [(text, _MARKS[mark]) for _, mark, text in marks if mark in marking.values()]
    g.node("legend", label=_legend(kinds, highlighted_as if marked else None, meaning, frame,
                                   shown),
           shape="plaintext", fontsize="10")
    return g


def save_graph(root: Union[Tensor, Sequence[Tensor]], path: Union[str, Path],
               **draw_options) -> Path:
    """Draw ``root``'s graph into ``path``, the format taken from its suffix
    (.png .svg .pdf need Graphviz's ``dot``; .dot .gv are the DOT text and do not).
    Writes exactly that one file (replacing one of that name), prints nothing,
    and returns its path. The options are draw()'s, checked before any work."""
    path = check_folder(check_suffix(path, FORMATS, "save_graph"), "save_graph")
    graph = draw(root, **draw_options)
    if path.suffix.lower() in (".dot", ".gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    path.write_bytes(render(graph, path.suffix.lower()[1:], "save_graph"))
    return path


def check_folder(path: Path, what: str) -> Path:
    """``path`` when its folder exists and it is no folder itself, else
    ``FileNotFoundError`` / ``IsADirectoryError`` before any work (rendering
    first would lose it all at the write, with a bare ``[Errno 21]``)."""
    if not path.parent.is_dir():
        # Python does not expand ~ (the shell does): say so, it is what was meant
        home = (f"; ~ is not expanded to your home folder here: use "
                f"{str(path.expanduser())!r}") if str(path).startswith("~") else ""
        raise FileNotFoundError(f"{what}: the folder {str(path.parent)!r} of {str(path)!r} "
                                f"does not exist{home}")
    if path.is_dir():
        raise IsADirectoryError(f"{what}: {str(path)!r} is a folder, not a file; give a file "
                                f"name in it, such as {str(path / ('graph' + path.suffix))!r}")
    return path


def check_suffix(path: Union[str, "os.PathLike[str]"], formats: Sequence[str] = FORMATS,
                 what: str = "") -> Path:
    """``path`` as a ``Path`` when its suffix (any case) is one of ``formats``
    (``.png``-style), else a ``ValueError`` listing them, raised before any work.
    The one check of a picture's suffix: graphs here, figures in ``nets.plots``
    (with matplotlib's formats). ``what`` starts the message (a function, a flag).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what or 'picture'}: path must be a str or a pathlib.Path; got "
                        f"{type(path).__name__}")
    path = Path(path)
    if path.suffix.lower() not in formats:
        raise ValueError(f"{what + ': ' if what else ''}cannot tell the picture format of "
                         f"{str(path)!r}; the suffix must be one of {', '.join(formats)}")
    return path


def render(graph: "graphviz.Digraph", fmt: str, what: str = "save_graph") -> bytes:
    """The picture ``dot`` makes of ``graph`` in format ``fmt`` ("png", "svg", ...);
    ``GraphvizNotFoundError`` saying how to install Graphviz when ``dot`` is missing."""
    import graphviz
    said = io.StringIO()   # what dot says on stderr, kept from the terminal but read
    try:
        # pipe(), not render("x.png"): render writes the DOT text under the name given.
        with redirect_stderr(said):
            picture = graph.pipe(format=fmt, quiet=False)
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(_no_dot(what, f"to write .{fmt} files")) from error
    scaled = _SCALED.search(said.getvalue())
    if scaled:   # a bitmap has at most 32767 px a side: dot shrinks the picture, quietly
        warnings.warn(f"{what}: the graph is too large for a .{fmt} picture: Graphviz scaled "
                      f"it by {scaled.group(1)} to fit its bitmap limit (32767 px a side), so "
                      f"it is smaller than asked and its text may be unreadable; write .svg or "
                      f".pdf, draw a smaller part, or use summary()", stacklevel=_caller_level())
    return picture


def _caller_level() -> int:
    """The stacklevel of a warning that points at the learner's line: the first
    frame outside minigrad and nets (save_graph, Graph.save and report.draw reach
    draw through frames of their own; a fixed level named viz.py, and Python then
    showed the warning only once a session)."""
    here = Path(__file__).resolve().parent
    ours = (str(here), str(here.parent / "nets"))
    frame, level = sys._getframe(1), 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve().parent) in ours:
        frame, level = frame.f_back, level + 1
    return level


def _no_dot(what: str, needed_for: str) -> str:
    return (f"{what}: Graphviz's `dot` program was not found on PATH; it is needed "
            f"{needed_for}. Install Graphviz with one of\n"
            f"    apt-get install graphviz                 (Debian, Ubuntu; with sudo)\n"
            f"    brew install graphviz                    (macOS)\n"
            f"    conda install -c conda-forge graphviz    (conda)\n"
            f"Writing .dot or .gv needs no Graphviz: save_graph(root, 'graph.dot').")


def summary(root: Union[Tensor, Sequence[Tensor]]) -> str:
    """The graph of ``root`` as a text table, one row per tensor, inputs first:
    name (or ``<op>``), op, kind, shape, and the norm of ``.grad`` (``-`` if none; a
    ``.grad`` of another shape than its tensor's says so; a tensor whose data changed
    after the graph used it says so beside its kind, as the picture does).
    Columns line up in a terminal, wide (CJK) characters included."""
    root, order = _graph_of(root, "summary")
    _check_grads(order, "summary")
    changed = _changed_since_used(order)
    rows = []
    for t in order:
        kind = _kind(t, root)
        if id(t) in changed:   # as the picture marks it: the grad norms are of the old data
            kind += f" ({_CHANGED})"
        name = node_name(t)
        name = _visible(name) if name is not None else (f"<{t.op}>" if t.parents else f"<{kind}>")
        if t.grad is None:
            norm = "-"
        else:
            with np.errstate(all="ignore"):   # inf/nan grads are shown, not warned about
                norm = f"{np.linalg.norm(t.grad):.4g}"
            if t.grad.shape != t.shape:
                norm += f" ({_misfit(t)})"
        rows.append((name, t.op or "-", kind, _shape(t.shape), norm))
    return text_table(("name", "op", "kind", "shape", "grad norm"), rows)


# --- the options, checked before any work ----------------------------------------------------
def check_roots(root: object, what: str) -> list:
    """``root`` (a Tensor, or a list or tuple of them: the loss first) as a list,
    else a ``TypeError`` that says what came."""
    roots = [root] if isinstance(root, Tensor) else list(root) \
        if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        hint = " (make it one: mg.tensor(...))" if isinstance(root, np.ndarray) else ""
        raise TypeError(f"{what}: root must be a minigrad Tensor, the end of a graph, or a "
                        f"list of them; got {type(root).__module__}.{type(root).__name__}{hint}")
    return roots


def _check_options(*, values: object, grads: object, rankdir: object, dpi: object) -> None:
    for flag, value in (("values", values), ("grads", grads)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"draw: {flag} must be True or False; got {value!r}")
    if not isinstance(rankdir, str) or rankdir not in _RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(_RANKDIRS)}; "
                         f"got {rankdir!r}")
    if dpi is not None:
        low, high = DPI_RANGE
        if isinstance(dpi, (bool, np.bool_)) or not isinstance(dpi, (int, float, np.integer,
                                                                    np.floating)):
            raise TypeError(f"draw: dpi must be a number from {low} to {high} (or None); "
                            f"got {dpi!r} ({type(dpi).__name__})")
        if not low <= float(dpi) <= high:   # NaN fails this too
            raise ValueError(f"draw: dpi must be from {low} to {high} (or None: Graphviz's "
                             f"96); got {dpi!r}")


def _check_grads(order: list, what: str) -> None:
    """Every .grad is None or an array: ``W.grad = 0`` (a way to zero it that
    backward() cannot add to either) was an AttributeError about 'int' and 'size'."""
    for t in order:
        if t.grad is not None and not isinstance(t.grad, np.ndarray):
            shown = repr(t.grad) if len(repr(t.grad)) <= 40 else repr(t.grad)[:39] + "…"
            raise TypeError(f"{what}: {describe(t)} holds .grad = {shown} "
                            f"({type(t.grad).__name__}), not a numpy array; to forget a "
                            f"gradient use .zero_grad() (it sets .grad = None)")


def _ops_deep(order: list) -> int:
    """The most ops on a path from an input to the root."""
    depth: dict = {}
    for t in order:
        depth[id(t)] = 1 + max(depth[id(p)] for p in t.parents) if t.parents else 0
    return max(depth.values())


def _graph_of(root: Union[Tensor, Sequence[Tensor]], where: str) -> tuple:
    """The first root (the loss) and every tensor the roots depend on, inputs first.
    More roots draw outputs made beside the loss (A[2] = σ(Z[2]) when J is
    computed from the logits Z[2])."""
    roots = check_roots(root, where)
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
    return "input" if node_name(t) is not None else "constant"


def _clusters(order: list, root: Tensor) -> dict:
    """id(tensor) -> cluster key (0 input, l for layer l, _LOSS) or None; the rule is
    in the module docstring. Walks from the root back, so consumers are placed first."""
    if not any(_LAYER.search(node_name(t) or "") for t in order):
        return {}
    consumers: dict = {}
    for t in order:
        for p in t.parents:
            consumers.setdefault(id(p), []).append(t)
    where: dict = {}
    for t in reversed(order):
        used_by = [where[id(c)] for c in consumers.get(id(t), [])]
        layer = _LAYER.search(node_name(t) or "")
        if layer:
            where[id(t)] = int(layer.group(1))
        elif t is root:
            where[id(t)] = _LOSS
        elif node_name(t) is not None and not t.parents and not t.requires_grad:
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
        if node_name(t) is not None:
            names.setdefault(node_name(t), []).append(id(t))
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
                values: bool, grads: bool, frame: Optional["Frame"] = None,
                used: bool = True, changed: bool = False, mark: Optional[str] = None) -> None:
    attrs = dict(_KINDS[kind][1])
    current = frame is not None and id(t) == frame.current
    if marked or current or mark:
        style = attrs.get("style", "")
        style = style if "filled" in style else "filled"
        if marked or current:
            attrs.update(_CURRENT if current else _HIGHLIGHT, style=style)
        else:
            look = dict(_MARKS[mark])
            dash = look.pop("dash")
            attrs.update(look, style=f"{style},{dash}")
        if kind == "constant":
            attrs["shape"] = "box"   # a plaintext node has no border to thicken
    g.node(node_id, label=_tensor_label(t, kind, values, grads, frame, used, changed), **attrs)
    if t.parents:
        g.node(f"{node_id}_op", label=f"<{_text(op_symbol(t))}>", **_OP_NODE)


def _tensor_label(t: Tensor, kind: str, values: bool, grads: bool,
                  frame: Optional["Frame"] = None, used: bool = True,
                  changed: bool = False) -> str:
    # its value is no longer the one the graph computed with: the values after it,
    # the loss and every .grad are of the old one, and backward() refuses the graph
    stale = [f'<FONT POINT-SIZE="10" COLOR="{_HIGHLIGHT["color"]}">{_CHANGED}</FONT>'] \
        if changed else []
    if kind == "constant":   # the 1 in 1 - A: its value says it all
        # exactly, as the rules and its consumer's label write one number: a
        # constant 0.99998 drawn "1" beside "x × 0.99998" says the scale is 1, and
        # [[0.99998], [1.0]] drawn [1], [1] says it is a column of ones. _view(), not
        # .data: a picture only shows values, which mg.record's f may do (print(J))
        shown = [_text(exact(float(t._view().reshape(()))))] if t.size == 1 else \
            _numbers(t._view(), _exact) if t.size <= TINY else [_shape(t.shape)]
        return "<" + "<BR/>".join(shown + stale) + ">"
    name = node_name(t)
    if name is not None:
        # a long name in lines: on one line it widened its box, and the page-column
        # cap then shrank the whole picture, every label, until it could not be read
        rows = [f"<B>{_name(line)}</B>" for line in _name_lines(name)]
    elif _one_number_leaf(t):
        # an unnamed learnable scale c: its consumer's label writes it by its number
        # ("x × 0.99998"); the box said only "scalar", and "value 1" to 3 digits
        rows = [f"<I>{_text(exact(float(t._view().reshape(()))))}</I>"]
    else:
        made = expression(t)
        rows = [f"<I>{_name(made)}</I>"] if made else []
    small = '<FONT POINT-SIZE="10" COLOR="{}">{}</FONT>'
    rows.append(small.format("#4b5563", _shape(t.shape)))
    rows += stale
    if values:
        shown = [_text(exact(float(t._view().reshape(()))))] if _one_number_leaf(t) \
            else _numbers(t._view())
        rows.append(small.format("black", _caption("value", shown)))
    if grads and t.requires_grad and (frame is None or id(t) in frame.reached):
        if frame is not None:
            arrived = frame.grads.get(id(t))
            grad = ["pending"] if arrived is None else _numbers(arrived)
        else:
            # an output drawn beside the loss (A[2] when J is computed from Z[2])
            missing = "not computed" if used else "none: the loss does not use it"
            grad = [missing] if t.grad is None else _numbers(t.grad)
            if t.grad is not None and t.grad.shape != t.shape:
                # W.grad = dW of a hand formula (a dW.T, a db not summed over the samples):
                # its numbers beside W's shape read as W's gradient; they are not
                rows.append(small.format(_HIGHLIGHT["color"], _misfit(t)))
        rows.append(small.format(_GRAD_COLOR, _caption("grad", grad)))
    return "<" + "<BR/>".join(rows) + ">"


def _one_number_leaf(t: Tensor) -> bool:
    """An unnamed leaf of one number: the rules and its consumers' labels write it
    by its value, exactly (minigrad.steps), and so does its own box."""
    return node_name(t) is None and not t.parents and t.size == 1


def _misfit(t: Tensor) -> str:
    return f".grad has shape {_shape(t.grad.shape)}, not {_shape(t.shape)}"


def _changed_since_used(order: list) -> set:
    """ids of the tensors whose data was changed (``W.data = ...``) after a node of
    this graph used them: the versions backward() checks, seen before it refuses."""
    changed = set()
    for t in order:
        for p, version in zip(t.parents, t._versions or ()):
            if p._version != version:
                changed.add(id(p))
    return changed


def _grad_meaning(root: Tensor, frame: Optional["Frame"], changed: bool = False,
                  order: Sequence[Tensor] = ()) -> str:
    """What "grad" on the labels is: ∂J/∂(that tensor) while every .grad in the
    picture is the one J.backward() gives on a fresh graph (one J.backward(), or a
    frame of the animation); else .grad as it is (a second J.backward() doubles
    them all; a part of the graph drawn after J.backward() holds ∂J/∂, not ∂Z[1]/∂,
    even where that part's own gradient is 1 (J = L + an L2 term) or None
    (J.backward(inputs=[W]), or L.zero_grad())). A root of several entries seeded
    with ones gives the gradients of its sum: ∂(Σ Z)/∂, not a Jacobian ∂Z/∂."""
    name = _plain_name(root)
    of = name if root.size == 1 else f"(Σ {name})"
    if frame is not None:   # the animation writes no .grad: its numbers are the seed's
        own = frame.grads.get(id(root))
        if own is None or np.all(own == 1):
            return f"∂{of}/∂(that tensor)"
        if root.size == 1:
            return f"∂{name}/∂(that tensor), times the seed"
        return f"∂(Σ seed × {name})/∂(that tensor)"
    if changed:   # the gradients were of the data before the change: no ∂J/∂ of these values
        return ".grad, as backward() left it, before a tensor's data changed"
    if all(t.grad is None for t in order):
        return f"∂{of}/∂(that tensor)"
    if root.grad is not None and not np.all(root.grad == 1):
        return ".grad, as backward() left it"
    return f"∂{of}/∂(that tensor)" if _grads_from(root) else ".grad, as backward() left it"


def _grads_from(root: Tensor) -> bool:
    """Whether every .grad in root's graph is what root.backward() gives it, from a
    seed of ones (root's own .grad, when it has one: it is a seed of ones)."""
    if not root.requires_grad or (root.grad is not None and root.grad.shape != root.shape):
        return False
    # the backward again, without a word: it ran once already, and a NaN in .grad
    # (log' at 0) is what a learner draws the graph to find, no error of the drawing's
    with np.errstate(all="ignore"):
        steps = backward_steps(root, np.ones(root.shape))
    return all(s.node.grad is None or (
        s.node.grad.shape == s.grad.shape
        and np.allclose(s.node.grad, s.grad, rtol=1e-9, atol=0, equal_nan=True))
        for s in steps)


def _plain_name(t: Tensor) -> str:
    """The root's name in the legend's ∂J/∂: in brackets when it holds a space
    (∂(cost J)/∂, not ∂cost J/∂), in lines when long (on one line it widened the
    picture, and the page-column cap shrank every label)."""
    name = node_name(t)
    if name is None:
        return "root"
    if " " in name:
        name = f"({name})"
    return "<BR/>".join(_name(line) for line in _name_lines(name))


def _name_lines(name: str, width: int = NAME_WIDTH) -> list:
    """name cut into lines of at most ``width`` columns (汉字 take two): after a
    space where there is one, never inside a layer index (``[12]`` stays whole)."""
    lines = []
    while display_width(name) > width:
        fits, used = 0, 0   # how many characters fit in width columns
        while display_width(name[fits]) + used <= width:
            used += display_width(name[fits])
            fits += 1
        fits = max(fits, 1)
        cut = name.rfind(" ", 1, fits + 1)
        if cut > 0:
            lines.append(name[:cut])
            name = name[cut + 1:]
            continue
        cut = fits
        for index in _LAYER.finditer(name):
            if index.start() < cut < index.end():
                cut = index.start() if index.start() > 0 else index.end()
        lines.append(name[:cut])
        name = name[cut:]
    return lines + [name] if name or not lines else lines


def _name(name: str) -> str:
    """``W[1]`` -> ``W<SUP>[1]</SUP>``, the rest of the name escaped."""
    parts = _LAYER.split(name)   # text, digits, text, digits, ..., text
    return "".join(_text(p) if i % 2 == 0 else f"<SUP>[{p}]</SUP>" for i, p in enumerate(parts))


def _text(s: str) -> str:
    """User text made safe inside an HTML-like label (a bare < or & is a syntax
    error, and so is a ] right before a tag or the label's end: Graphviz's lexer)."""
    return html.escape(_visible(s), quote=True).replace("]", "&#93;")


def _shape(shape: tuple) -> str:
    return "scalar" if shape == () else str(shape)


def _numbers(a: np.ndarray, write=None) -> list:
    """Lines of text for an array's numbers: every number of a tiny one, one row
    per line (so b (4, 1) stands as a column), each written by ``write`` (3
    significant digits unless told); a column (n, 1) one row per line, up to 8;
    a larger array its norm and first entries (the shape is on the label)."""
    write = write or _num
    if a.size == 0:
        return ["empty"]
    if a.ndim == 0:
        return [write(a)]
    if a.size <= TINY:
        return [f"[{', '.join(write(x) for x in row)}]" for row in a.reshape(-1, a.shape[-1])]
    with np.errstate(all="ignore"):   # inf in the norm: show inf, do not warn
        norm = f"norm {_num(np.linalg.norm(a))}"
    if a.ndim == 2 and a.shape[1] == 1:
        rows = [f"[{_num(x)}]" for x in a[:COLUMN_ROWS, 0]]
        more = a.shape[0] - COLUMN_ROWS
        return [norm] + rows + ([f"… {more} more"] if more > 0 else [])
    first = ", ".join(_num(x) for x in a.reshape(-1)[:FIRST_ENTRIES])
    return [norm, f"[{first}, …]"]


def _caption(caption: str, lines: list) -> str:
    # Rows of a matrix go under the caption, so that they line up as a column.
    first = "<BR/>" if len(lines) > 1 and lines[0].startswith("[") else " "
    return caption + first + "<BR/>".join(lines)


def _num(x) -> str:
    # + 0.0 turns -0.0 into 0: relu′ = 0 times a negative gradient is no "-0" to a reader
    return f"{float(x) + 0.0:.3g}"


def _exact(x) -> str:
    """A constant's entry as a one-number constant is written: short, and exact."""
    return _text(exact(float(x)))


def _legend(kinds: set, highlighted: Optional[str], grad_meaning: Optional[str],
            frame: Optional["Frame"] = None, marks: Sequence[tuple] = ()) -> str:
    # highlighted: the highlighted nodes' row, or None where none is
    rows = [(text, attrs) for k, (text, attrs) in _KINDS.items() if k in kinds and k != "constant"]
    rows.append(("op", _OP_NODE))
    if highlighted is not None:
        rows.append((_text(highlighted), _HIGHLIGHT))
    rows += [(_text(text), attrs) for text, attrs in marks]
    if frame is not None:
        rows.append(("this step", _CURRENT))
    cells = "".join(f'<TR><TD BGCOLOR="{a["fillcolor"]}" COLOR="{a["color"]}"'
                    + (f' STYLE="{a["dash"]}"' if "dash" in a else "") + f'>{text}</TD></TR>'
                    for text, a in rows)
    if frame is not None:
        cells += (f'<TR><TD BORDER="0"><FONT COLOR="{_GRAD_COLOR}">━ gradient sent back'
                  f'</FONT></TD></TR>')
    if grad_meaning is not None:   # what "grad" means, in the notes' words
        cells += (f'<TR><TD BORDER="0"><FONT COLOR="{_GRAD_COLOR}">grad = '
                  f'{grad_meaning}</FONT></TD></TR>')
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="3" CELLPADDING="3">'
            f'<TR><TD BORDER="0"><B>legend</B></TD></TR>{cells}</TABLE>>')


@dataclass(frozen=True)
class Frame:
    """One moment of the backward pass drawn over the graph (see minigrad.animation):
    the node whose step it is, the gradients complete so far (id -> ∂J/∂node),
    the edges (id(source), id(result)) that have carried a gradient back, and the
    nodes the pass reaches (others, such as A[2] beside J, get no gradient line)."""
    current: int
    grads: Mapping[int, np.ndarray]
    edges: frozenset
    reached: frozenset


def _edge_style(frame: Optional[Frame], source: Tensor, result: Tensor) -> dict:
    if frame is not None and (id(source), id(result)) in frame.edges:
        return dict(color=_GRAD_COLOR, penwidth="2.5")
    return {}


_PICTURE: Optional[type] = None


def _picture_class(graphviz) -> type:
    """``graphviz.Digraph``, except that Jupyter's inline display of it, when
    ``dot`` is missing, says how to install Graphviz in place of the picture
    (graphviz's own traceback says only that `dot` is not on PATH)."""
    global _PICTURE
    if _PICTURE is None:
        class Picture(graphviz.Digraph):
            def render(self, *args, **kwargs):
                """graphviz's render(), except that ``render("graph.png")`` writes the
                picture to graph.png (as ``render(outfile="graph.png")`` does): plain
                graphviz writes the DOT text into graph.png and the picture into
                graph.png.pdf, a .png that is no picture. The DOT text goes to
                graph.gv beside it (``cleanup=True`` removes it); ``directory``,
                by name or by position, and the graph's own ``.directory`` place
                both files as graphviz places its two."""
                try:   # by position or by name: graphviz takes both
                    given = inspect.signature(super().render).bind(*args, **kwargs).arguments
                except TypeError:
                    return super().render(*args, **kwargs)   # graphviz's own message
                filename = given.pop("filename", None)
                suffix = Path(os.fspath(filename)).suffix.lower()[1:] if filename else ""
                if (suffix in _RENDER_FORMATS and given.get("outfile") is None
                        and given.get("format") in (None, suffix)):
                    given.pop("format", None)
                    directory = given.pop("directory", None)
                    # graphviz puts outfile under .directory unless directory is given
                    # (which it then saves the source into, and keeps as .directory)
                    outfile = Path(filename) if directory is None else Path(directory, filename)
                    return super().render(filename=Path(filename).with_suffix(".gv"),
                                          directory=directory, outfile=outfile, **given)
                return super().render(*args, **kwargs)

            def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
                try:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                except graphviz.ExecutableNotFound:
                    return {"text/plain": _no_dot("draw", "to show the picture")}
        Picture.__module__, Picture.__qualname__ = __name__, "Picture"   # pickle finds it
        _PICTURE = Picture
    return _PICTURE


def __getattr__(name: str):
    # minigrad.viz.Picture is made on first use (graphviz is imported lazily): so
    # that pickle, which looks it up by name, finds it in a fresh process too
    if name == "Picture":
        return _picture_class(_import_graphviz())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _import_graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing needs the graphviz Python package: pip install graphviz "
                          "(summary() works without it)") from None
    return graphviz
