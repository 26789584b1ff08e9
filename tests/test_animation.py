"""minigrad.animation: the backward pass as frames (GIF, HTML slider), and
`minigrad draw --animate`."""
import re

import numpy as np
import pytest
from PIL import Image

import minigrad as mg
from minigrad.viz import GraphvizNotFoundError, _text
from tests.checkout import child_env
from tests.test_cli import main_with_stderr
from tests.test_viz import node_lines, two_layer_graph


def fresh_two_layer():
    """The two-layer graph before any backward()."""
    t = two_layer_graph()
    for x in t.values():
        x.zero_grad()
    return t


# --- one frame per step ------------------------------------------------------------------------
def test_each_frame_highlights_its_step_and_colours_the_edges_so_far():
    t = fresh_two_layer()
    animation = mg.backward_animation(t["J"])
    steps = mg.backward_steps(t["J"])
    assert len(animation) == len(steps) == 11
    order = mg.topological_order(t["J"])
    ids = {id(x): f"n{i}" for i, x in enumerate(order)}
    coloured_before, pending_before = -1, None
    for step, graph in zip(steps, animation.graphs):
        lines = node_lines(graph.source)
        current = [k for k, line in lines.items() if 'fillcolor="#fed7aa"' in line
                   and k != "legend"]
        assert current == [ids[id(step.node)]], (step, current)
        coloured = graph.source.count("penwidth=2.5")
        assert coloured >= coloured_before, "an edge lost its colour"
        coloured_before = coloured
        pending = graph.source.count("grad pending")
        assert pending_before is None or pending == pending_before - 1, (step, pending)
        pending_before = pending
        assert f"step {step.number} of 11: " in graph.source
    # 19 edges (7 ops: their inputs and their result); all but X -> @ and Y -> BCE carry one
    assert pending_before == 0 and coloured_before == 19 - 2
    assert all(x.grad is None for x in t.values()), "the animation wrote a .grad"


def test_a_step_has_one_number_in_the_trace_in_print_and_in_the_animation():
    # the trace counted from 0 and the animation from 1: W[2] A[1] was "4" in
    # print(mg.backward_trace(J)) and "step 5 of 11" on the slider and in the GIF
    J = fresh_two_layer()["J"]
    steps = mg.backward_steps(J)
    trace = mg.backward_trace(J).splitlines()[2:2 + len(steps)]
    animation = mg.backward_animation(J)
    page = animation.html()
    assert re.findall(r'data-counter="(step \d+ of 11)"', page) == [
        f"step {k} of 11" for k in range(1, 12)]
    assert "<output>step 1 of 11</output>" in page   # what the slider shows before a move
    for k, (step, line, graph) in enumerate(zip(steps, trace, animation.graphs), start=1):
        assert step.number == k and steps[k - 1] is step   # counted from 1, as the notes do
        assert str(step).startswith(f"step {k}: {step.name} "), str(step)
        assert line.startswith(f"{k} ") and f" {step.name} " in line, line
        assert f"step {k} of 11: {_text(step.name)} — " in graph.source, (k, step.name)
        assert f"step {k} of 11: {step.name} — " in page


def test_a_frame_shows_each_gradient_that_has_arrived():
    t = fresh_two_layer()
    steps = mg.backward_steps(t["J"])
    graph = mg.backward_animation(t["J"]).graphs[2]   # after J, A[2], Z[2]
    by_name = {s.name: s for s in steps}
    b2 = by_name["b[2]"].grad.item()   # sent at step 2 (Z[2]), its own step is later
    Z2 = ", ".join(f"{v:.3g}" for v in by_name["Z[2]"].grad.ravel())
    assert f"grad [{Z2}]" in graph.source
    assert f"grad [{b2:.3g}]" not in graph.source   # b[2]'s step has not come yet


def test_the_gif_has_one_frame_per_step_of_one_size(tmp_path):
    J = fresh_two_layer()["J"]
    path = mg.save_backward_animation(J, tmp_path / "backward.gif", duration=500)
    assert path == tmp_path / "backward.gif" and list(tmp_path.iterdir()) == [path]
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(mg.backward_steps(J)) == 11
        assert gif.info.get("duration") == 500 and gif.info.get("loop") == 0
        sizes = set()
        for i in range(gif.n_frames):
            gif.seek(i)
            sizes.add(gif.size)
            assert gif.convert("RGB").getbbox() is not None
        assert len(sizes) == 1 and min(next(iter(sizes))) > 100, sizes


def test_frames_of_different_sizes_are_padded_to_the_largest(monkeypatch):
    from minigrad import animation

    small, large = Image.new("RGB", (30, 20), "red"), Image.new("RGB", (50, 10), "blue")
    pngs = []
    for im in (small, large):
        import io
        buffer = io.BytesIO()
        im.save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    padded = animation._padded(pngs)
    assert [im.size for im in padded] == [(50, 20), (50, 20)]
    assert padded[0].getpixel((0, 0)) == (255, 255, 255)     # white margin
    assert padded[0].getpixel((10, 0)) == (255, 0, 0)        # centred left to right


def test_the_html_steps_with_a_slider_one_frame_per_step(tmp_path):
    J = fresh_two_layer()["J"]
    animation = mg.backward_animation(J)
    page = animation._repr_html_()
    n = len(animation)
    assert page.count('class="minigrad-frame"') == n == 11
    # the slider's own value is the step's number too (a screen reader says it): 1 to n
    assert re.search(rf'<input type="range" min="1" max="{n}" value="1" step="1" '
                     rf'aria-label="backward step" aria-valuetext="step 1 of {n}"',
                     page), page[:400]
    assert re.findall(r'data-step="(\d+)"', page) == [str(k) for k in range(1, n + 1)]
    assert page.count("<svg") == n and "<?xml" not in page and "<script src" not in page
    assert page.count('style="display:none"') == n - 1   # one frame shown at a time
    assert "dZ[1] = dA[1] * g′(Z[1])" in page
    path = mg.save_backward_animation(J, tmp_path / "backward.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count('class="minigrad-frame"') == n


def test_two_animations_on_one_page_do_not_share_an_id():
    J = fresh_two_layer()["J"]
    first, second = (re.search(r'<div id="([^"]+)"', mg.backward_animation(J).html()).group(1)
                     for _ in range(2))
    assert first != second


def test_animations_made_by_two_kernels_do_not_share_an_id():
    # A notebook keeps the outputs of a kernel that was restarted: an id counted from 0
    # in each kernel gave the new slider the id of an old one on the page, and its
    # script (getElementById: the first on the page) moved the old frames instead
    import subprocess
    import sys
    code = ("import re, minigrad as mg; x = mg.tensor(2.0, requires_grad=True); "
            "print(re.search(r'<div id=\"([^\"]+)\"', "
            "mg.backward_animation((x * x).named('J')).html()).group(1))")
    first, second = (subprocess.run([sys.executable, "-c", code], capture_output=True,
                                    text=True, check=True, env=child_env()).stdout.strip()
                     for _ in range(2))
    assert first.startswith("minigrad-backward-") and first != second, (first, second)


# --- errors, before any drawing --------------------------------------------------------------
def test_without_dot_the_animation_says_how_to_install_graphviz(tmp_path, without_dot):
    J = fresh_two_layer()["J"]
    for name in ("backward.gif", "backward.html"):
        with pytest.raises(GraphvizNotFoundError) as error:
            mg.save_backward_animation(J, tmp_path / name)
        for hint in ("apt-get install graphviz", "brew install graphviz",
                     "conda install -c conda-forge graphviz"):
            assert hint in str(error.value), (hint, str(error.value))
        assert not (tmp_path / name).exists()


def test_without_dot_jupyter_shows_how_to_install_graphviz_in_place_of_the_slider(without_dot):
    # a cell ending in mg.backward_animation(J) showed a traceback saying dot was
    # "needed to write .svg files", then <BackwardAnimation: 10 frames, ...>
    from IPython.core.formatters import DisplayFormatter
    animation = mg.backward_animation(fresh_two_layer()["J"])
    data, _ = DisplayFormatter().format(animation)
    assert list(data) == ["text/plain"], data
    message = data["text/plain"]
    assert message.startswith("backward_animation: Graphviz's `dot` program was not found on "
                              "PATH; it is needed to show the frames."), message
    assert "apt-get install graphviz" in message, message


def test_with_dot_jupyter_shows_the_slider_once():
    from IPython.core.formatters import DisplayFormatter
    animation = mg.backward_animation(fresh_two_layer()["J"])
    data, _ = DisplayFormatter().format(animation)
    assert data["text/html"].count('type="range"') == 1, data["text/html"][:200]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(path="backward.mp4"), ValueError, r"suffix must be one of \.gif, \.html"),
    (dict(dpi=-1), ValueError, "dpi must be from 10 to 1200"),
    (dict(dpi="abc"), TypeError, "dpi must be a number"),
    (dict(grads=False), TypeError, "unknown option.*grads"),
    (dict(duration=0), ValueError, "duration must be an int of milliseconds >= 20"),
    (dict(rankdir="up"), ValueError, "rankdir must be one of"),
])
def test_bad_arguments_are_refused_before_any_work(tmp_path, monkeypatch, kwargs, error, match):
    from minigrad import animation

    def no_drawing(*args, **kwargs):
        raise AssertionError("dot ran before the arguments were checked")

    monkeypatch.setattr(animation, "render", no_drawing)
    path = tmp_path / kwargs.pop("path", "backward.gif")
    with pytest.raises(error, match=match):
        mg.save_backward_animation(fresh_two_layer()["J"], path, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_a_pass_with_too_many_steps_is_refused_before_drawing(tmp_path, monkeypatch):
    from minigrad import animation

    monkeypatch.setattr(animation, "_digraph", None)   # drawing would fail loudly
    x = mg.tensor([0.5], requires_grad=True, name="x")
    chain = x
    for _ in range(animation.MAX_FRAMES - 1):
        chain = chain.tanh()   # with x and the sum: MAX_FRAMES + 1 steps
    with pytest.raises(ValueError, match=rf"{animation.MAX_FRAMES + 1} steps, more than "
                                         rf"{animation.MAX_FRAMES} frames.*backward_trace"):
        mg.save_backward_animation(chain.sum(), tmp_path / "b.gif")
    assert list(tmp_path.iterdir()) == []


def test_an_animation_of_a_non_tensor_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="root must be a minigrad Tensor"):
        mg.save_backward_animation(np.ones(3), tmp_path / "b.gif")


# --- minigrad draw --animate -------------------------------------------------------------------
def test_draw_animate_writes_one_frame_per_backward_step_and_says_so(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.chdir(tmp_path)
    code, stderr = main_with_stderr(["draw", "--animate", "backward.gif", "--hidden", "3"])
    assert code == 0 and stderr == "", stderr
    assert capsys.readouterr().out == "Wrote backward.gif (the backward pass, one frame per step)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backward.gif"]   # only what was asked
    with Image.open(tmp_path / "backward.gif") as gif:
        # the nets' graph, J from the logits: J, Z[2], W[2]A[1], b[2], A[1], Z[1], W[1]X,
        # b[1], W[1], W[2] (A[2] = σ(Z[2]) is drawn beside J, and no gradient reaches it)
        assert gif.n_frames == 10


def test_draw_animate_with_out_writes_both(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main_with_stderr(["draw", "--animate", "b.html", "--out", "g.dot", "--grads"])[0] == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["Wrote b.html (the backward pass, one frame per step)", "Wrote g.dot"], out
    assert "grad [" in (tmp_path / "g.dot").read_text(encoding="utf-8")


def test_draw_animate_with_a_bad_suffix_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stderr = main_with_stderr(["draw", "--animate", "backward.png"])
    assert code == 2 and stderr.startswith("minigrad: error: --animate: ") and \
        stderr.count("\n") == 1, stderr
    assert list(tmp_path.iterdir()) == []


_DOM_STUB = r"""
// the few DOM calls the slider's script makes, enough to run it outside a browser
const frames = COUNTERS.map(c => ({style: {display: ''}, getAttribute: a => c}));
const listeners = {}, attrs = {};
const s = {value: '1', addEventListener: (e, f) => { listeners[e] = f; },
           setAttribute: (k, v) => { attrs[k] = v; }};
const o = {textContent: ''}, prev = {}, next = {};
const root = {querySelector: q => ({input: s, output: o, '.prev': prev, '.next': next})[q],
              querySelectorAll: q => frames};
globalThis.document = {getElementById: id => root};
SCRIPT
const shown = () => frames.map((f, k) => f.style.display === '' ? k : -1).filter(k => k >= 0);
const out = [];
const look = () => out.push([+s.value, shown(), o.textContent, attrs['aria-valuetext']]);
s.value = '3'; listeners.input(); look();
s.value = '1'; listeners.input(); prev.onclick(); look();
s.value = String(frames.length); listeners.input(); next.onclick(); look();
JSON.stringify(out);
"""


def test_the_sliders_script_shows_step_k_at_k_and_stops_at_both_ends():
    # run the page's own script (in dukpy's JavaScript interpreter, with a stub for
    # the DOM): the slider at k shows frame k - 1, the one counted "step k of n";
    # ◀ at step 1 and ▶ at step n stay there
    import json

    import dukpy
    page = mg.backward_animation(fresh_two_layer()["J"])._repr_html_()
    n = 11
    counters = re.findall(r'data-counter="([^"]+)"', page)
    assert counters == [f"step {k} of {n}" for k in range(1, n + 1)]
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    program = _DOM_STUB.replace("COUNTERS", json.dumps(counters)).replace("SCRIPT", script)
    assert json.loads(dukpy.evaljs(program)) == [
        [3, [2], f"step 3 of {n}", f"step 3 of {n}"],
        [1, [0], f"step 1 of {n}", f"step 1 of {n}"],
        [n, [n - 1], f"step {n} of {n}", f"step {n} of {n}"]]


def test_a_grad_set_by_hand_does_not_stop_the_animation_which_draws_its_own():
    # w.grad = 0 made backward_animation(J) a TypeError saying "draw: w (1, 2) holds
    # .grad = 0": its frames show the gradients of its own pass, never .grad
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    J = (w * w).sum().named("J")
    w.grad = 0
    animation = mg.backward_animation(J, values=False)
    assert len(animation.graphs) == len(mg.backward_steps(J)) == 3
    assert "grad [2, 4]" in node_lines(animation.graphs[-1].source)["n0"]
    with pytest.raises(TypeError, match=r"draw: w \(1, 2\) holds \.grad = 0"):
        mg.draw(J, grads=True)   # draw shows .grad, and says why it cannot


# --- the frames and the trace: one pass, the same steps and numbers ------------------------------
from hypothesis import given, settings  # noqa: E402

from minigrad.animation import _caption  # noqa: E402
from minigrad.viz import _GRAD_COLOR, _caption as _label_caption, _numbers  # noqa: E402
from tests.strategies import computation_graphs, notes_graphs  # noqa: E402


def _grad_row(a) -> str:
    """A gradient as a frame's label writes it."""
    return f'<FONT POINT-SIZE="10" COLOR="{_GRAD_COLOR}">{_label_caption("grad", _numbers(a))}</FONT>'


def assert_frames_are_the_steps(J) -> None:
    steps = mg.backward_steps(J)
    animation = mg.backward_animation(J)
    assert len(animation) == len(animation.graphs) == len(steps)
    ids = {id(x): f"n{i}" for i, x in enumerate(mg.topological_order(J))}
    trace = mg.backward_trace(J).splitlines()[2:2 + len(steps)]
    for k, (step, graph, line) in enumerate(zip(steps, animation.graphs, trace)):
        # the frame's title is the trace's row: the same number, name and rule
        notes = "".join(f'<BR/><FONT POINT-SIZE="11">{_text(x)}</FONT>'
                        for x in steps.conventions())
        assert f"<{_text(_caption(step, len(steps)))}{notes}>" in graph.source, (k, step)
        assert line.startswith(f"{step.number} ") and line.endswith(step.rule.replace(
            "\n", "\\n")), (line, step.rule)
        lines = node_lines(graph.source)
        for j, other in enumerate(steps):
            label = lines[ids[id(other.node)]]
            if j <= k:   # its gradient has arrived: the step's numbers, as the trace has them
                assert _grad_row(other.grad) in label, (k, j, other.name, label)
            else:
                assert "grad pending" in label, (k, j, other.name, label)
        assert 'fillcolor="#fed7aa"' in lines[ids[id(step.node)]]


@settings(max_examples=15)
@given(build=notes_graphs(max_ops=3))
def test_every_frame_shows_its_steps_rule_and_the_numbers_of_the_steps_so_far(build):
    assert_frames_are_the_steps(build())


@settings(max_examples=15)
@given(build=computation_graphs(max_ops=4))
def test_every_frame_of_a_graph_not_the_notes_is_its_step_too(build):
    assert_frames_are_the_steps(build())


def test_each_frame_of_the_notes_graph_says_how_its_rule_reads_against_the_labels():
    """The labels show ∂J/∂Z[2] = (A[2] − Y) / m, the title "dZ[2] = A[2] − Y": the
    trace says that dZ is m ∂J/∂Z below its table, and the frames said nothing."""
    J = fresh_two_layer()["J"]
    steps = mg.backward_steps(J)
    assert steps.conventions() == [str(steps).splitlines()[-1]]
    assert steps.conventions()[0].startswith("The notes' convention (m = 3): dZ, dA")
    for graph in mg.backward_animation(J).graphs:
        assert _text(steps.conventions()[0]) in graph.source
    x = mg.tensor([[1.0, 2.0]], requires_grad=True, name="x")
    L = (x * x).sum()   # not the notes' graph: no convention, and none in its frames
    assert mg.backward_steps(L).conventions() == []
    assert "convention" not in mg.backward_animation(L).graphs[0].source
    Y = mg.tensor([[1.0, 0.0]], name="Y")
    J = mg.binary_cross_entropy_with_logits(x * x, Y).named("J")   # x used twice: "+="
    assert len(mg.backward_steps(J).conventions()) == 2
    assert _text("dA += …: a node used more than once") in \
        mg.backward_animation(J).graphs[0].source


def test_a_pass_of_one_step_is_a_gif_of_one_frame_and_a_slider_that_stays(tmp_path):
    # the root a leaf: one step, one frame; ◀ and ▶ stay at "step 1 of 1"
    import json

    import dukpy
    w = mg.tensor(2.0, requires_grad=True, name="w")
    assert len(mg.backward_steps(w)) == 1
    path = mg.save_backward_animation(w, tmp_path / "one.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 1
    page = mg.backward_animation(w).html()
    counters = re.findall(r'data-counter="([^"]+)"', page)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    program = _DOM_STUB.replace("COUNTERS", json.dumps(counters)).replace("SCRIPT", script)
    assert json.loads(dukpy.evaljs(program)) == [[1, [0], "step 1 of 1", "step 1 of 1"]] * 3
