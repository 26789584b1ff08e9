"""nets.plots: every figure is a real file of the format its suffix names,
drawn from the model's own predictions, with errors before any drawing."""
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nets import LogisticRegression, TwoLayerNet, data, plots
from tests.checkout import child_env

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple:
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == PNG_MAGIC, f"{path} is not a PNG: starts with {head[:8]!r}"
    assert head[12:16] == b"IHDR", f"{path}: first chunk is {head[12:16]!r}, not IHDR"
    return struct.unpack(">II", head[16:24])


class Constant:
    """A stand-in model that predicts the same probability everywhere."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict_proba(self, X):
        return np.full((1, X.shape[1]), self.p)

    def predict(self, X):
        return (self.predict_proba(X) > 0.5).astype(float)


@pytest.fixture(scope="module")
def trained():
    X, Y = data.flower(m=60, seed=1)
    net = TwoLayerNet(2, 3, seed=2)
    costs = net.fit(X, Y, iterations=40, learning_rate=1.2, method="hand")
    return net, X, Y, costs


def colour_share(path: Path, hex_colour: str) -> float:
    """The share of pixels of exactly this colour (the figure's own palette)."""
    import matplotlib.image

    rgb = (matplotlib.image.imread(path)[..., :3] * 255).round().astype(int)
    target = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return float(np.mean(np.all(rgb == target, axis=-1)))


def test_decision_boundary_writes_a_png_of_the_figure_size_and_returns_its_path(
        trained, tmp_path):
    net, X, Y, _ = trained
    out = plots.decision_boundary(net, X, Y, tmp_path / "boundary.png", resolution=60)
    assert out == tmp_path / "boundary.png"
    assert png_size(out) == (720, 648), png_size(out)   # 6 x 5.4 inches at 120 dpi


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_the_format_comes_from_the_suffix(trained, tmp_path, suffix, magic):
    net, X, Y, _ = trained
    out = plots.decision_boundary(net, X, Y, tmp_path / f"b{suffix}", resolution=30)
    assert out.read_bytes()[:len(magic)] == magic, out.read_bytes()[:20]


@pytest.mark.parametrize("p, shown, hidden", [(0.9, 1, 0), (0.1, 0, 1)])
def test_the_plane_is_shaded_with_the_colour_of_the_predicted_class(tmp_path, p, shown, hidden):
    X, Y = data.blobs(m=20, seed=0)
    out = plots.decision_boundary(Constant(p), X, Y, tmp_path / "b.png", resolution=20)
    present = colour_share(out, plots.REGION_COLOURS[shown])
    absent = colour_share(out, plots.REGION_COLOURS[hidden])
    assert present > 0.3 and absent == 0.0, (present, absent)


def test_describe_writes_the_net_in_the_notes_notation(trained):
    net, *_ = trained
    assert plots.describe(net) == r"$n^{[1]} = 3$, $g^{[1]} = \tanh$"
    assert plots.describe(LogisticRegression(2)) == "logistic regression"


def test_describe_names_a_leaky_relu_slope_other_than_the_default():
    # minigrad train --activation leaky_relu --alpha 0.2 --plot: the title read
    # "g[1] = leaky ReLU", the same as for the default slope 0.01
    from nets import DeepNet, activations

    leaky = activations.get("leaky_relu", alpha=0.2)
    assert plots.describe(TwoLayerNet(2, 3, leaky)) == \
        r"$n^{[1]} = 3$, $g^{[1]} = \mathrm{leaky\ ReLU}$ ($\alpha = 0.2$)"
    assert plots.describe(DeepNet([2, 3, 3, 1], leaky)).endswith(r"($\alpha = 0.2$)")
    assert plots.describe(TwoLayerNet(2, 3, "leaky_relu")) == \
        r"$n^{[1]} = 3$, $g^{[1]} = \mathrm{leaky\ ReLU}$"


def test_a_decision_boundary_needs_planar_columns(trained, tmp_path):
    net, X, Y, _ = trained
    with pytest.raises(ValueError, match=r"X must have shape \(2, m\); got \(3, 60\)"):
        plots.decision_boundary(net, np.vstack([X, X[:1]]), Y, tmp_path / "b.png")
    assert not (tmp_path / "b.png").exists()


def test_an_unknown_suffix_is_refused_with_the_valid_ones(trained, tmp_path):
    net, X, Y, _ = trained
    with pytest.raises(ValueError, match=r"\.png.*\.svg|\.pdf.*\.png"):
        plots.decision_boundary(net, X, Y, tmp_path / "boundary.txt")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_directory_is_an_oserror_that_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no directory"):
        plots.check_output(tmp_path / "missing" / "x.png")
    (tmp_path / "a.png").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        plots.check_output(tmp_path / "a.png")


def test_a_pgf_figure_needs_its_tex_program_and_says_so_before_drawing(tmp_path, monkeypatch):
    import matplotlib

    monkeypatch.setenv("PATH", str(tmp_path))
    tex = matplotlib.rcParams["pgf.texsystem"]
    with pytest.raises(plots.TeXNotFoundError, match=rf"'{tex}'.*not on PATH"):
        plots.check_output(tmp_path / "b.pgf")
    assert list(tmp_path.iterdir()) == []
    assert plots.check_output(tmp_path / "b.pdf") == tmp_path / "b.pdf"   # needs no TeX


def test_checking_a_dangling_symlink_leaves_the_link_and_no_file_behind(tmp_path):
    # the probe opened the link (creating its target) and then unlinked the link:
    # an empty stray file at the target, and the figure later written in the link's place
    link = tmp_path / "b.png"
    link.symlink_to(tmp_path / "target.png")
    assert plots.check_output(link) == link
    assert link.is_symlink() and not (tmp_path / "target.png").exists()


def test_cost_curves_write_a_png(trained, tmp_path):
    *_, costs = trained
    out = plots.cost_curves({"tanh": costs, "flat": [0.69] * len(costs)},
                            tmp_path / "costs.png", targets=(0.6,), log_x=True)
    assert png_size(out) == (840, 528), png_size(out)


def test_a_grid_of_boundaries_has_one_panel_per_model_and_hides_the_rest(trained, tmp_path):
    net, X, Y, _ = trained
    out = plots.decision_boundaries([("a", net), ("b", net), ("c", net)], X, Y,
                                    tmp_path / "grid.png", ncols=2, resolution=20)
    width, height = png_size(out)
    assert (width, height) == (792, 792), (width, height)    # 2 x 3.3 by 2 x 3.3 inches


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib Figures the plots save, to look inside them."""
    saved = []
    real = plots._save

    def keep(fig, path):
        saved.append(fig)
        return real(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return saved


def _legend_texts(fig) -> set:
    return {t.get_text() for ax in fig.axes if ax.get_legend() is not None
            for t in ax.get_legend().get_texts()}


KEY = {"predicted class 0", "predicted class 1", "data, y = 0", "data, y = 1"}


def test_every_multi_panel_boundary_figure_has_a_key(trained, tmp_path, figures):
    net, X, Y, costs = trained
    plots.decision_boundaries([("a", net), ("b", net), ("c", net)], X, Y, tmp_path / "g.png",
                              ncols=2, resolution=20)                    # a spare cell
    plots.decision_boundaries([("a", net), ("b", net)], X, Y, tmp_path / "h.png",
                              ncols=2, resolution=20)                    # a row of its own
    plots.costs_and_boundaries({"tanh": costs}, [("net", net)], X, Y, tmp_path / "a.png",
                               title="t", resolution=20)
    for fig in figures:
        assert KEY <= _legend_texts(fig), _legend_texts(fig)


def test_the_activation_derivatives_share_one_y_scale(tmp_path, figures):
    plots.activation_figure(tmp_path / "a.png")
    bottom = [ax for ax in figures[0].axes if "'" in ax.get_title()]
    assert len(bottom) == 4, [ax.get_title() for ax in figures[0].axes]
    limits = {ax.get_ylim() for ax in bottom}
    assert len(limits) == 1 and limits.pop()[1] > 1.0, limits   # tanh'(0) = 1 fits: σ' = 1/4 of it


def test_the_init_scale_figure_labels_only_its_outer_axes(trained, tmp_path, figures):
    net, X, Y, costs = trained
    plots.init_scale_figure({"×1": net.forward(X)["Z[1]"], "×10": 10 * X, "×100": 100 * X},
                            {"×1": [costs, costs[::-1]], "×10": costs}, tmp_path / "b.png")
    fig = figures[0]
    right = [ax for ax in fig.axes if ax.yaxis.get_label_position() == "right"]
    assert [bool(ax.get_ylabel()) for ax in right] == [False, False, True], \
        [ax.get_ylabel() for ax in right]
    assert "$Z^{[1]}$ at init" in " ".join(_legend_texts(fig))
    costs_ax = fig.axes[-1]
    assert len(costs_ax.get_lines()) == 3      # two runs of ×1 in one colour, one of ×10
    assert costs_ax.get_lines()[0].get_color() == costs_ax.get_lines()[1].get_color()


def test_costs_and_boundaries_and_the_init_scale_figure_write_pngs(trained, tmp_path):
    net, X, Y, costs = trained
    a = plots.costs_and_boundaries({"tanh": costs}, [("net", net)], X, Y, tmp_path / "a.png",
                                   title="t", targets=(0.5,), resolution=20)
    b = plots.init_scale_figure({"×1": net.forward(X)["Z[1]"], "×10": 10 * X},
                                {"×1": costs}, tmp_path / "b.png")
    assert png_size(a)[0] > 0 and png_size(b)[0] > 0


def test_empty_inputs_are_value_errors(trained, tmp_path):
    net, X, Y, _ = trained
    with pytest.raises(ValueError, match="no curves"):
        plots.cost_curves({}, tmp_path / "c.png")
    with pytest.raises(ValueError, match="no panels"):
        plots.decision_boundaries([], X, Y, tmp_path / "g.png")


def test_the_activation_figure_writes_a_png(tmp_path):
    out = plots.activation_figure(tmp_path / "activations.png")
    assert png_size(out) == (1320, 864), png_size(out)   # 11 x 7.2 inches


def test_importing_nets_and_its_command_line_does_not_import_matplotlib():
    code = ("import sys, nets, nets.plots, nets.experiments, nets.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=child_env()).stdout.strip()
    assert out == "[]", out


def test_without_matplotlib_the_error_says_which_extra_to_install(trained, tmp_path,
                                                                 monkeypatch):
    net, X, Y, _ = trained
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import matplotlib -> ImportError
    with pytest.raises(ImportError, match=r"pip install 'minigrad\[plot\]'"):
        plots.decision_boundary(net, X, Y, tmp_path / "b.png")


# --- the argument shapes a learner reaches for ------------------------------------

def test_cost_curves_take_plain_costs_and_a_list_of_them_labelled_by_position(trained, tmp_path):
    _, _, _, costs = trained
    curves = {"plain": lambda: costs, "list": lambda: [costs, costs[:20]],
              "2-D": lambda: np.vstack([costs, costs])}
    for name, make in curves.items():
        out = plots.cost_curves(make(), tmp_path / f"{name}.png")
        assert png_size(out)[0] > 0, name
    from nets._plot_args import as_curves
    assert list(as_curves(costs, "t")) == ["cost J"]
    assert list(as_curves([costs, costs[:20]], "t")) == ["curve 0", "curve 1"]


@pytest.mark.parametrize("curves, message", [
    ("costs", "curves must be"), (0.5, "curves must be"),
    ([[0.7, 0.6], "x"], r"curves\[1\] must be a sequence of costs"),
    ({"a": "0.7"}, r"curves\['a'\] must be a sequence of costs"),
    ({"a": {"run 1": [0.7, 0.6]}}, r"curves\['a'\] must be a sequence of costs; got dict"),
    ({"a": [[0.7], [0.6, 0.5]]}, r"curves\['a'\] must hold numbers"),
    ({"a": []}, "non-empty")])
def test_cost_curves_of_a_wrong_type_say_what_they_take(curves, message, tmp_path):
    with pytest.raises((TypeError, ValueError), match=message):
        plots.cost_curves(curves, tmp_path / "c.png")
    assert not (tmp_path / "c.png").exists()


def test_panels_without_captions_or_models_say_what_they_take(trained, tmp_path):
    net, X, Y, costs = trained
    with pytest.raises(TypeError, match=r"panel 0 must be a \(caption, model\) pair.*caption"):
        plots.decision_boundaries([net, net], X, Y, tmp_path / "g.png")
    with pytest.raises(TypeError, match="panels must be"):
        plots.decision_boundaries(net, X, Y, tmp_path / "g.png")
    with pytest.raises(TypeError, match=r"panel 0 \('a'\) must be a trained net"):
        plots.costs_and_boundaries(costs, [("a", "net")], X, Y, tmp_path / "a.png", title="t")
    with pytest.raises(TypeError, match="model must be a trained net"):
        plots.decision_boundary({"net": net}, X, Y, tmp_path / "b.png")
    # {caption: model} is a natural way to caption panels: it is taken as the pairs
    out = plots.decision_boundaries({"a": net, "b": net}, X, Y, tmp_path / "g.png")
    assert png_size(out)[0] > 0


def test_the_init_scale_figure_wants_its_z1_labelled(trained, tmp_path):
    net, X, _, costs = trained
    with pytest.raises(TypeError, match=r"Z1 must be a mapping \{label: array\}"):
        plots.init_scale_figure([net.forward(X)["Z[1]"]], {"×1": costs}, tmp_path / "s.png")
