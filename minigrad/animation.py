"""The backward pass as pictures: one frame per step of ``mg.backward_steps``.

    mg.save_backward_animation(J, "backward.gif")    # an animated GIF (Pillow)
    mg.save_backward_animation(J, "backward.html")   # a page that steps with a slider
    mg.backward_animation(J)                         # in Jupyter: the frames and a slider

Each frame is the graph as ``mg.draw`` draws it, with the node whose step it
is in orange, the gradient of every node whose step has come shown on its
label (``pending`` before), the edges that have carried a gradient back drawn
thick and rust-coloured, and the step's rule as the title. Frames are drawn
by Graphviz's ``dot``; the GIF's frames are padded to one size (a GIF has one
canvas). Nothing in the graph changes: no ``.grad`` is written.
"""
from __future__ import annotations

import html
import uuid
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from minigrad.steps import BackwardStep, BackwardSteps, backward_steps
from minigrad.tensor import Tensor
from minigrad.viz import (Frame, GraphvizNotFoundError, _check_options, _digraph, _no_dot, _text,
                          check_folder, check_roots, check_suffix, render)

__all__ = ["BackwardAnimation", "backward_animation", "save_backward_animation",
           "ANIMATION_FORMATS"]

ANIMATION_FORMATS = (".gif", ".html")
FRAME_MS = 1200          # how long a GIF shows each step
# One dot run per frame, each over the whole graph: past this many steps an
# animation takes minutes and no one watches it; the text trace still works.
MAX_FRAMES = 120


class BackwardAnimation:
    """The frames of one backward pass. ``_repr_html_`` shows them in Jupyter with a
    slider (inline SVG and a few lines of JavaScript, no library); ``save(path)``
    writes a .gif or a .html file."""

    def __init__(self, steps: BackwardSteps, graphs: List[Any]) -> None:
        self.steps = steps
        self.graphs = graphs   # one graphviz.Digraph per step

    def __len__(self) -> int:
        return len(self.graphs)

    def __repr__(self) -> str:
        return f"<BackwardAnimation: {len(self)} frames, one per backward step>"

    def svgs(self) -> List[str]:
        """Each frame as SVG text (needs ``dot``)."""
        return [render(g, "svg", "backward_animation").decode("utf-8") for g in self.graphs]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        # Jupyter: the slider; without `dot`, how to install Graphviz in place of it
        # (as mg.draw's picture does), not a traceback saying ".svg files" are written
        try:
            return {"text/html": self.html()}
        except GraphvizNotFoundError:
            return {"text/plain": _no_dot("backward_animation", "to show the frames")}

    def _repr_html_(self) -> Optional[str]:
        try:
            return self.html()
        except GraphvizNotFoundError:
            return None   # _repr_mimebundle_ says why

    def html(self) -> str:
        """An HTML fragment: a slider with ◀ ▶ buttons above the frames, one shown at a time."""
        # one id per widget, unique across kernels too: a notebook keeps the outputs
        # of a kernel since restarted, and two equal ids on a page mix their sliders
        uid = f"minigrad-backward-{uuid.uuid4().hex}"
        frames = []
        for i, (step, svg) in enumerate(zip(self.steps, self.svgs())):
            svg = svg[svg.index("<svg"):]   # drop the XML prolog and DOCTYPE: inline SVG
            hidden = "" if i == 0 else ' style="display:none"'
            frames.append(f'<div class="minigrad-frame" data-step="{step.number}" '
                          f'data-counter="{html.escape(_counter(step, len(self)))}"{hidden}>'
                          f'<div>{html.escape(_caption(step, len(self)))}</div>{svg}</div>')
        # the slider's value is the step's number, 1 to n, as the counter and the trace
        # count (a screen reader reads the value); frame k - 1 shows step k
        last = len(self)
        script = (
            "(function(){var r=document.getElementById('%s'),s=r.querySelector('input'),"
            "f=r.querySelectorAll('.minigrad-frame'),o=r.querySelector('output');"
            "function show(i){i=Math.max(1,Math.min(%d,i));s.value=i;var c=f[i-1].getAttribute("
            "'data-counter');o.textContent=c;s.setAttribute('aria-valuetext',c);"
            "for(var k=0;k<f.length;k++){f[k].style.display=k==i-1?'':'none';}}"
            "s.addEventListener('input',function(){show(+s.value);});"
            "r.querySelector('.prev').onclick=function(){show(+s.value-1);};"
            "r.querySelector('.next').onclick=function(){show(+s.value+1);};})();"
            % (uid, last))
        return (f'<div id="{uid}" class="minigrad-backward">'
                f'<button class="prev" type="button">◀</button> '
                f'<input type="range" min="1" max="{last}" value="1" step="1" '
                f'aria-label="backward step" '
                f'aria-valuetext="{html.escape(_counter(self.steps[0], len(self)))}"> '
                f'<button class="next" type="button">▶</button> '
                f'<output>{html.escape(_counter(self.steps[0], len(self)))}</output>'
                f'{"".join(frames)}'
                f'<script>{script}</script></div>')

    def save(self, path: Union[str, Path], duration: int = FRAME_MS) -> Path:
        """Write the frames to ``path``: .gif (one frame per step, ``duration`` ms
        each, looping) or .html (a page with the slider). Returns the path."""
        path = check_folder(check_suffix(path, ANIMATION_FORMATS, "save_backward_animation"),
                        "save_backward_animation")
        _check_duration(duration)
        if path.suffix.lower() == ".html":
            page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                    "<title>backward pass</title></head><body>"
                    f"{self.html()}</body></html>")
            path.write_text(page, encoding="utf-8")
            return path
        images = _padded([render(g, "png", "save_backward_animation") for g in self.graphs])
        images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                       duration=duration, loop=0)
        return path


def backward_animation(root: Union[Tensor, Sequence[Tensor]], grad: Any = None,
                       **draw_options: Any) -> BackwardAnimation:
    """The frames of ``backward_steps(root, grad)``, drawn with ``draw_options``
    (``values``, ``highlight``, ``rankdir``, ``dpi``; gradients are always shown).
    ``root`` may be a list, as for ``mg.draw``: the pass starts at the first (the
    loss J), the others are drawn beside it (the nets' ``graph.roots``: J and A[2]).
    Displays in Jupyter as the frames with a slider."""
    options = dict(values=True, highlight=(), rankdir="auto", dpi=None)
    unknown = set(draw_options) - set(options)
    if unknown:
        raise TypeError(f"backward_animation: unknown option(s) {', '.join(sorted(unknown))}; "
                        f"valid: {', '.join(options)} (gradients are always shown)")
    options.update(draw_options)
    roots = check_roots(root, "backward_animation")
    _check_options(values=options["values"], grads=True, rankdir=options["rankdir"],
                   dpi=options["dpi"])
    steps = backward_steps(roots[0], grad)
    if len(steps) > MAX_FRAMES:
        raise ValueError(f"backward_animation: the backward pass has {len(steps)} steps, more "
                         f"than {MAX_FRAMES} frames; animate a smaller graph, or read "
                         f"print(mg.backward_trace(root))")
    graphs, grads, edges = [], {}, set()
    reached = frozenset(id(s.node) for s in steps)
    for step in steps:
        node = step.node
        grads[id(node)] = step.grad
        if step.sent:
            edges.add((id(node), id(node)))   # op -> result: the gradient leaves the node
            edges.update((id(s.input), id(node)) for s in step.sent)
        frame = Frame(current=id(node), grads=dict(grads), edges=frozenset(edges),
                      reached=reached)
        g = _digraph(roots, grads=True, frame=frame, **options)
        g.attr(label=f"<{_title(step, steps)}>", labelloc="t", labeljust="l", fontsize="14")
        graphs.append(g)
    return BackwardAnimation(steps, graphs)


def save_backward_animation(root: Union[Tensor, Sequence[Tensor]], path: Union[str, Path],
                            grad: Any = None, duration: int = FRAME_MS,
                            **draw_options: Any) -> Path:
    """Write the backward pass of ``root`` to ``path``: .gif (one frame per step)
    or .html (a slider). Every argument is checked before any drawing; Graphviz's
    ``dot`` draws the frames and Pillow (``pip install 'minigrad[plot]'``) writes
    the GIF. Returns the path."""
    path = check_folder(check_suffix(path, ANIMATION_FORMATS, "save_backward_animation"),
                        "save_backward_animation")
    _check_duration(duration)
    if path.suffix.lower() == ".gif":
        _pillow()
    return backward_animation(root, grad, **draw_options).save(path, duration)


def _title(step: BackwardStep, steps: BackwardSteps) -> str:
    """A frame's title (an HTML-like label): the step's caption, then the lines the
    trace ends with. The labels show ∂J/∂(that tensor) while the notes' dZ[2] =
    A[2] − Y is m times it: without the convention a frame read as m times off."""
    notes = "".join(f'<BR/><FONT POINT-SIZE="11">{_text(line)}</FONT>'
                    for line in steps.conventions())
    return _text(_caption(step, len(steps))) + notes


def _caption(step: BackwardStep, total: int) -> str:
    return f"{_counter(step, total)}: {step.name} — {step.rule}"


def _counter(step: BackwardStep, total: int) -> str:
    # step.number, as mg.backward_trace and print(step) show it: one count everywhere
    return f"step {step.number} of {total}"


def _check_duration(duration: object) -> None:
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 20:
        raise ValueError(f"save_backward_animation: duration must be an int of "
                         f"milliseconds >= 20 (a frame's time); got {duration!r}")


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("writing a GIF needs Pillow: pip install 'minigrad[plot]' "
                          "(or write .html, which needs only Graphviz)") from None
    return Image


def _padded(pngs: List[bytes]) -> list:
    """The PNGs as images on white canvases of one size (the largest), centred
    left to right and top-aligned, so the graph does not jump between frames."""
    import io

    Image = _pillow()
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    width = max(im.width for im in images)
    height = max(im.height for im in images)
    canvases = []
    for im in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(im, ((width - im.width) // 2, 0))
        canvases.append(canvas)
    return canvases
