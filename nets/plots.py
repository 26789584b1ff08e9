"""Pictures of the notes' results: decision boundaries, cost curves, and the
four activations with their derivatives.

    from nets import plots
    plots.decision_boundary(net, X, Y, "boundary.png")     # -> Path("boundary.png")
    plots.cost_curves({"tanh": costs}, "costs.png")       # or just costs, or [costs_a, costs_b]
    plots.activation_figure("activations.png")

Every function draws one figure, saves it to ``path`` (the format comes from
the suffix: .png, .svg, .pdf, ...) and returns the path as a ``Path``.
Titles and axes use the notes' notation (``n[1]``, ``g[1]``, ``x₁``, ``J``).

matplotlib is imported inside the functions, so ``import nets`` stays light
and works without it. We draw on a bare ``Figure`` with the Agg canvas rather
than through ``pyplot``: that touches no global backend or figure list, so
plotting from a Jupyter session or a test leaves the caller's state alone,
and nothing needs closing.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from minigrad.viz import check_suffix
from nets import activations
from nets._plot_args import as_curves, as_named_arrays, as_panels, check_model
from nets.network import accuracy, check_data

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["decision_boundary", "decision_boundaries", "cost_curves", "costs_and_boundaries",
           "init_scale_figure", "activation_figure", "check_output", "check_writable", "describe",
           "TeXNotFoundError"]

# Class 0 and class 1: a red/blue pair that stays distinct for colour-blind readers.
CLASS_COLOURS = ("#c0392b", "#2166ac")
REGION_COLOURS = ("#f6d5d1", "#d4e3f3")
DPI = 120


# --- shared helpers ------------------------------------------------------------------

def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'minigrad[plot]'") from None
    return matplotlib


def _figure(width: float, height: float) -> "Figure":
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # constrained_layout=, not layout=: the spelling matplotlib 3.5 (our minimum) knows
    fig = Figure(figsize=(width, height), dpi=DPI, constrained_layout=True)
    FigureCanvasAgg(fig)
    return fig


def _formats() -> Tuple[str, ...]:
    _matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(sorted(FigureCanvasBase.get_supported_filetypes()))


class TeXNotFoundError(RuntimeError):
    """A ``.pgf`` figure was asked for and the TeX program matplotlib writes it with is missing."""


def _check_tex(path: Path) -> None:
    """matplotlib writes .pgf by running a TeX program (rcParams["pgf.texsystem"],
    xelatex by default): without it savefig fails, after all the work."""
    from matplotlib import rcParams

    tex = rcParams["pgf.texsystem"]
    if shutil.which(tex) is None:
        raise TeXNotFoundError(f"cannot write {str(path)!r}: matplotlib writes .pgf with "
                               f"{tex!r}, which is not on PATH; install a TeX system (e.g. "
                               f"apt-get install texlive-xetex) or choose .pdf, .svg or .png")


def check_output(path: PathLike) -> Path:
    """``path`` as a ``Path`` if a figure can be written there, else the error
    that saving would raise, raised now (before a long training run):
    ``ValueError`` for an unknown suffix, ``OSError`` for a missing or
    unwritable directory, ``TeXNotFoundError`` for a .pgf without its TeX program."""
    path = check_suffix(path, tuple("." + f for f in _formats()))
    if path.suffix.lower() == ".pgf":
        _check_tex(path)
    return check_writable(path)


def check_writable(path: PathLike) -> Path:
    """``path`` as a ``Path`` if a file can be written there, else the
    ``OSError`` that writing would raise (missing directory, a directory,
    no permission), raised now."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: no directory {str(folder)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {str(path)!r}: it is a directory")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PermissionError(f"cannot write {str(path)!r}: permission denied")
    # What os.access cannot tell (/proc for root, a read-only mount, a full disk's
    # quota): open the file for appending, as saving will, and remove it if it is new
    # (the file itself: through a symlink that points nowhere yet, its target).
    target = Path(os.path.realpath(path))
    existed = target.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as error:
        raise OSError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    if not existed:
        target.unlink()
    return path


def _save(fig: "Figure", path: PathLike) -> Path:
    path = check_output(path)
    fig.savefig(path, dpi=DPI, facecolor="white")
    return path


# The activations' parameters as mathtext (leaky ReLU's alpha is the only one).
_SYMBOLS = {"alpha": r"\alpha"}


def describe(model: Any) -> str:
    """A net in the notes' notation, as mathtext: ``$n^{[1]} = 4$, $g^{[1]} = \\tanh$``."""
    dims = getattr(model, "layer_dims", None)
    act = getattr(model, "activation", None)
    g = getattr(act, "name", None)
    if dims is None:
        return type(model).__name__
    if len(dims) == 2:
        return "logistic regression"
    g_tex = {"tanh": r"\tanh", "sigmoid": r"\sigma", "relu": r"\mathrm{ReLU}",
             "leaky_relu": r"\mathrm{leaky\ ReLU}", "identity": r"\mathrm{id}"}.get(g, str(g))
    # a slope other than leaky ReLU's default: said, or two different nets read the same
    default = activations.ACTIVATIONS[g].params if g in activations.ACTIVATIONS else ()
    params = getattr(act, "params", ())
    extra = "" if params == default else " (" + ", ".join(
        f"${_SYMBOLS[k]} = {v:g}$" for k, v in params) + ")"
    if len(dims) == 3:
        return f"$n^{{[1]}} = {dims[1]}$, $g^{{[1]}} = {g_tex}${extra}"
    hidden = ", ".join(str(n) for n in dims[1:-1])
    return f"hidden sizes {hidden}, $g = {g_tex}${extra}"


def _draw_boundary(ax: "Axes", model: Any, X: np.ndarray, Y: np.ndarray,
                   resolution: int) -> None:
    """Shade where the model predicts each class, draw Ŷ = 0.5, scatter the data."""
    from matplotlib.colors import ListedColormap

    pad = 1.0   # the course's margin around the data
    x1 = np.linspace(X[0].min() - pad, X[0].max() + pad, resolution)
    x2 = np.linspace(X[1].min() - pad, X[1].max() + pad, resolution)
    G1, G2 = np.meshgrid(x1, x2)
    grid = np.vstack([G1.ravel(), G2.ravel()])          # (2, resolution²): columns
    P = np.asarray(model.predict_proba(grid), dtype=np.float64).reshape(G1.shape)
    ax.contourf(G1, G2, (P > 0.5).astype(float), levels=[-0.5, 0.5, 1.5],
                cmap=ListedColormap(REGION_COLOURS))
    if P.min() < 0.5 < P.max():       # a constant prediction has no boundary to draw
        ax.contour(G1, G2, P, levels=[0.5], colors="#222222", linewidths=1.2)
    for label in (0, 1):
        mask = Y[0] == label
        ax.scatter(X[0, mask], X[1, mask], s=9, c=CLASS_COLOURS[label],
                   edgecolors="white", linewidths=0.3, label=f"y = {label}")
    ax.set_xlim(x1[0], x1[-1])
    ax.set_ylim(x2[0], x2[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")


def _boundary_legend(ax: "Axes", ncol: int) -> None:
    """The key to every boundary panel, in ``ax`` (an axis of its own, drawn
    bare): regions, the line Ŷ = 0.5, and the two classes of points."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color=REGION_COLOURS[0], label="predicted class 0"),
               Patch(color=REGION_COLOURS[1], label="predicted class 1"),
               Line2D([], [], color="#222222", linewidth=1.2,
                      label=r"decision boundary $\hat{y} = 0.5$"),
               Line2D([], [], marker="o", linestyle="", color=CLASS_COLOURS[0],
                      markeredgecolor="white", label="data, y = 0"),
               Line2D([], [], marker="o", linestyle="", color=CLASS_COLOURS[1],
                      markeredgecolor="white", label="data, y = 1")]
    ax.set_axis_off()
    ax.legend(handles=handles, loc="center", ncol=ncol, fontsize=9, frameon=False)


def _check_planar(X: np.ndarray, Y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    X, Y = check_data(X, Y)
    if X.shape[0] != 2:
        raise ValueError(f"a decision boundary is drawn in the plane: X must have shape "
                         f"(2, m); got {X.shape}")
    return X, Y


# --- the figures ---------------------------------------------------------------------

def decision_boundary(model: Any, X: np.ndarray, Y: np.ndarray, path: PathLike, *,
                      title: Optional[str] = None, resolution: int = 300) -> Path:
    """The plane coloured by ``model``'s prediction, the line Ŷ = 0.5, and the data.

    ``model`` has ``predict_proba(X) -> (1, m)`` and ``predict``, such as a
    ``TwoLayerNet``; X (2, m), Y (1, m). The default title names the net and
    its accuracy on (X, Y). Returns ``path``.
    """
    check_model(model, "decision_boundary")
    X, Y = _check_planar(X, Y)
    path = check_output(path)
    fig = _figure(6.0, 5.4)
    ax = fig.add_subplot()
    _draw_boundary(ax, model, X, Y, resolution)
    if title is None:
        acc = accuracy(model.predict(X), Y)
        title = f"Decision boundary: {describe(model)}, accuracy {100 * acc:.2f}%"
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return _save(fig, path)


def decision_boundaries(panels: Sequence[Tuple[str, Any]], X: np.ndarray, Y: np.ndarray,
                        path: PathLike, *, ncols: int = 4, title: Optional[str] = None,
                        resolution: int = 200) -> Path:
    """A grid of decision boundaries, one panel per ``(caption, model)``, all on
    the same data X (2, m), Y (1, m); ``{caption: model}`` works too.
    Returns ``path``."""
    panels = as_panels(panels, "decision_boundaries")
    X, Y = _check_planar(X, Y)
    if not panels:
        raise ValueError("decision_boundaries: no panels to draw")
    path = check_output(path)
    ncols = max(1, min(int(ncols), len(panels)))
    nrows = -(-len(panels) // ncols)
    spare = nrows * ncols > len(panels)      # the key goes into an empty cell if there is one
    key_cols = 5 if ncols >= 3 else 2        # a narrow figure stacks the key's five entries
    key_rows = 0 if spare else -(-5 // key_cols)
    fig = _figure(3.3 * ncols, 3.3 * nrows + (0.4 if title else 0.0) + 0.3 * key_rows)
    grid = fig.add_gridspec(nrows + (0 if spare else 1), ncols,
                            height_ratios=[1.0] * nrows + ([] if spare else [0.1 * key_rows]))
    for i, (caption, model) in enumerate(panels):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        _draw_boundary(ax, model, X, Y, resolution)
        ax.set_title(caption, fontsize=10)
        ax.tick_params(labelsize=7)
    if spare:
        _boundary_legend(fig.add_subplot(grid[nrows - 1, len(panels) % ncols:]), ncol=1)
    else:
        _boundary_legend(fig.add_subplot(grid[nrows, :]), ncol=key_cols)
    if title:
        fig.suptitle(title, fontsize=12)
    return _save(fig, path)


def cost_curves(curves: Union[Mapping[str, Sequence[float]], Sequence[float],
                              Sequence[Sequence[float]]], path: PathLike, *,
                title: str = "Cost $J$ during gradient descent",
                targets: Sequence[float] = (), log_x: bool = False,
                log_y: bool = False) -> Path:
    """One line per ``{label: costs}`` (the cost J before each update, as
    ``fit`` returns it) against the iteration; a dashed line at each of
    ``targets``. Plain ``costs`` draw one line labelled "cost J", and a list
    ``[costs_a, costs_b]`` one line each, labelled by position ("curve 0",
    "curve 1"): a dict gives them names. Returns ``path``."""
    curves = as_curves(curves, "cost_curves")
    path = check_output(path)
    fig = _figure(7.0, 4.4)
    ax = fig.add_subplot()
    _draw_costs(ax, curves, targets, log_x, log_y)
    ax.set_title(title, fontsize=11)
    return _save(fig, path)


def costs_and_boundaries(curves: Mapping[str, Sequence[float]],
                         panels: Sequence[Tuple[str, Any]], X: np.ndarray, Y: np.ndarray,
                         path: PathLike, *, title: str, targets: Sequence[float] = (),
                         log_x: bool = False, log_y: bool = False,
                         resolution: int = 200) -> Path:
    """An experiment at a glance: the cost curves across the top, and below
    them one decision boundary per ``(caption, model)`` on X (2, m), Y (1, m).
    ``curves`` and ``panels`` take what ``cost_curves`` and
    ``decision_boundaries`` take. Returns ``path``."""
    curves = as_curves(curves, "costs_and_boundaries")
    panels = as_panels(panels, "costs_and_boundaries")
    X, Y = _check_planar(X, Y)
    if not curves or not panels:
        raise ValueError("costs_and_boundaries: needs at least one curve and one panel")
    path = check_output(path)
    n = len(panels)
    fig = _figure(max(7.0, 3.3 * n), 8.0)
    grid = fig.add_gridspec(3, n, height_ratios=[1.0, 1.15, 0.1])
    _draw_costs(fig.add_subplot(grid[0, :]), curves, targets, log_x, log_y)
    for i, (caption, model) in enumerate(panels):
        ax = fig.add_subplot(grid[1, i])
        _draw_boundary(ax, model, X, Y, resolution)
        ax.set_title(caption, fontsize=9)
        ax.tick_params(labelsize=7)
    _boundary_legend(fig.add_subplot(grid[2, :]), ncol=5)
    fig.suptitle(title, fontsize=12)
    return _save(fig, path)


def _draw_costs(ax: "Axes", curves: Mapping[str, np.ndarray],
                targets: Sequence[float], log_x: bool, log_y: bool) -> None:
    """``curves`` as ``as_curves`` gives them."""
    for k, (label, costs) in enumerate(curves.items()):
        # one curve, or one row per run (e.g. per init seed) drawn in one colour
        runs = np.atleast_2d(costs)
        # iteration 0 cannot sit on a log axis: plot iteration i at i + 1 there
        it = np.arange(runs.shape[1]) + (1 if log_x else 0)
        colour = f"C{k % 10}"
        for r, run in enumerate(runs):
            ax.plot(it, run, color=colour, label=label if r == 0 else None,
                    linewidth=1.6 if len(runs) == 1 else 1.1, alpha=1.0 if len(runs) == 1 else 0.7)
    for target in targets:
        ax.axhline(target, color="#555555", linestyle="--", linewidth=0.9)
        ax.annotate(f"$J = {target:g}$", (1.0, target), xycoords=("axes fraction", "data"),
                    xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=8,
                    color="#555555")
    if log_x:
        ax.set_xscale("log")
        ax.set_xlabel("iteration + 1 (log scale)")
    else:
        ax.set_xlabel("iteration")
    if log_y:
        ax.set_yscale("log")
    ax.set_ylabel("cost $J$")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)


def init_scale_figure(Z1: Mapping[str, np.ndarray],
                      curves: Mapping[str, Union[Sequence[float], Sequence[Sequence[float]]]],
                      path: PathLike, *, activation: str = "tanh", threshold: float = 2.0,
                      title: str = "Initial weights randn × scale") -> Path:
    """Why the course multiplies by 0.01, and what it costs: for each init
    (``{label: Z[1] at init}``) the curve g(z) with the saturated tails
    |z| > ``threshold`` shaded and Z[1] as a histogram (share of entries per
    bin; values beyond the plotted range are counted in its end bins); below,
    the cost curves ``{label: costs}`` (one run, or one row per run, e.g. per
    init seed). Returns ``path``."""
    Z1 = as_named_arrays(Z1, "init_scale_figure", "Z1")
    curves = as_curves(curves, "init_scale_figure")
    if not Z1 or not curves:
        raise ValueError("init_scale_figure: needs Z[1] values and cost curves")
    path = check_output(path)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    act = activations.get(activation)
    n = len(Z1)
    fig = _figure(max(7.0, 3.0 * n), 7.6)
    grid = fig.add_gridspec(2, n, height_ratios=[1.0, 1.1])
    z_max = 3 * threshold
    z = np.linspace(-z_max, z_max, 401)
    first = counts_first = None
    for i, (label, values) in enumerate(Z1.items()):
        ax = fig.add_subplot(grid[0, i], sharey=first)
        first = first or ax
        values = np.ravel(values)
        shown = np.clip(values, -z_max, z_max)
        ax.axvspan(-z_max, -threshold, color="#999999", alpha=0.15, lw=0)
        ax.axvspan(threshold, z_max, color="#999999", alpha=0.15, lw=0)
        ax.plot(z, act.g(z), color="#1f4e79", linewidth=1.5, zorder=3)
        # a histogram, not points on the curve: thousands of saturated values
        # would pile up on one spot at the edge and look like a few
        counts = ax.twinx()
        if counts_first is not None:
            counts.sharey(counts_first)
        counts_first = counts_first or counts
        counts.hist(shown, bins=48, range=(-z_max, z_max),
                    weights=np.full(shown.size, 1.0 / shown.size),
                    color="#c0392b", alpha=0.45, zorder=1)
        counts.set_ylim(0, 1)
        # one label per side, on the outer panels only: inner ones would collide
        if i == n - 1:
            counts.set_ylabel("share of $Z^{[1]}$ entries (bars)", fontsize=8, color="#c0392b")
            counts.tick_params(labelsize=7, colors="#c0392b")
        else:
            counts.tick_params(labelright=False, colors="#c0392b")
        if i == 0:
            ax.set_ylabel(r"$a = \tanh(z)$" if activation == "tanh"
                          else f"$a = g(z)$ ({activation})")
        else:
            ax.tick_params(labelleft=False)
        ax.set_zorder(counts.get_zorder() + 1)   # the curve in front of the bars
        ax.patch.set_visible(False)
        share = float(np.mean(np.abs(values) > threshold))
        ax.set_title(f"randn {label}\n{100 * share:.0f}% of $Z^{{[1]}}$ with $|z| > {threshold:g}$",
                     fontsize=10)
        ax.set_xlim(-z_max, z_max)
        ax.set_xlabel("$z$", fontsize=9)
        ax.grid(True, alpha=0.3)
    first.legend(handles=[Line2D([], [], color="#1f4e79", label=f"$a = g(z)$, g = {activation}"),
                          Patch(color="#c0392b", alpha=0.45,
                                label=f"$Z^{{[1]}}$ at init (|z| > {z_max:g}: end bins)"),
                          Patch(color="#999999", alpha=0.3,
                                label=f"$|z| > {threshold:g}$: g' small")],
                 loc="lower right", fontsize=7, framealpha=0.9)
    costs_ax = fig.add_subplot(grid[1, :])
    _draw_costs(costs_ax, curves, (), log_x=True, log_y=True)
    costs_ax.set_title("cost $J$ of each run (one line per init seed)", fontsize=10)
    fig.suptitle(title, fontsize=12)
    return _save(fig, path)


def activation_figure(path: PathLike, *, z_max: float = 5.0) -> Path:
    """sigmoid, tanh, ReLU and leaky ReLU: g(z) and g'(z) side by side, from
    ``nets.activations``, marking σ'(0) = 1/4 and tanh'(0) = 1 and the flat,
    saturated tails where g' ≈ 0. Returns ``path``."""
    path = check_output(path)
    z = np.linspace(-z_max, z_max, 1001)    # odd count: z = 0 is on the grid
    fig = _figure(11.0, 7.2)
    axes = fig.subplots(2, 4, sharex=True)
    panels = [
        ("sigmoid", r"$\sigma(z) = \frac{1}{1 + e^{-z}}$", r"$\sigma'(z) = a(1-a)$"),
        ("tanh", r"$\tanh(z) = \frac{e^z - e^{-z}}{e^z + e^{-z}}$",
         r"$\mathrm{tanh}'(z) = 1 - a^2$"),
        ("relu", r"$\mathrm{ReLU}(z) = \max(0, z)$", r"$\mathrm{ReLU}'(z)$ (0 at $z = 0$)"),
        ("leaky_relu", r"leaky ReLU $= \max(0.01z, z)$", r"leaky$'(z)$ (0.01 at $z = 0$)"),
    ]
    for col, (name, g_title, gp_title) in enumerate(panels):
        act = activations.get(name)
        top, bottom = axes[0, col], axes[1, col]
        top.plot(z, act.g(z), color="#1f4e79", linewidth=2)
        top.set_title(g_title, fontsize=11)
        # g' is drawn as points for ReLU-like functions so the jump at 0 is not
        # drawn as a vertical line, which would suggest a value in between
        dg = act.g_prime(z)
        if name in ("relu", "leaky_relu"):
            left, right = z <= 0, z > 0
            bottom.plot(z[left], dg[left], color="#9a3412", linewidth=2)
            bottom.plot(z[right], dg[right], color="#9a3412", linewidth=2)
            bottom.plot([0], act.g_prime(np.array([0.0])), "o", color="#9a3412", ms=5)
            bottom.plot([0], [1.0], "o", mfc="white", mec="#9a3412", ms=5)
        else:
            bottom.plot(z, dg, color="#9a3412", linewidth=2)
        bottom.set_title(gp_title, fontsize=11)
        if name == "leaky_relu":
            # at this scale a slope of 0.01 looks flat; say so where it happens
            top.annotate("slope 0.01\nfor z < 0", (-0.6 * z_max, -0.006 * z_max),
                         xytext=(-0.9 * z_max, 0.25 * z_max), fontsize=9,
                         arrowprops=dict(arrowstyle="->", color="black", lw=0.8))
        bottom.set_xlabel("$z$")
        for ax in (top, bottom):
            ax.axhline(0, color="#999999", linewidth=0.6)
            ax.axvline(0, color="#999999", linewidth=0.6)
            ax.grid(True, alpha=0.3)
        if name in ("sigmoid", "tanh"):
            slope0 = float(act.g_prime(np.array([0.0]))[0])
            text = r"$\sigma'(0) = 1/4$" if name == "sigmoid" else r"$\mathrm{tanh}'(0) = 1$"
            bottom.plot([0], [slope0], "o", color="black", ms=5, zorder=3)
            bottom.annotate(text, (0, slope0), xytext=(0.2 * z_max, slope0 * 0.75),
                            fontsize=10, ha="left",
                            arrowprops=dict(arrowstyle="->", color="black", lw=0.8))
            # where |z| > 3 the slope is below 0.1 (tanh) or 0.05 (sigmoid): saturation
            for ax in (top, bottom):
                ax.axvspan(-z_max, -3, color="#999999", alpha=0.12, lw=0)
                ax.axvspan(3, z_max, color="#999999", alpha=0.12, lw=0)
            bottom.text(-z_max + 0.15, slope0 * 0.5, "saturated:\n$g' \\approx 0$",
                        fontsize=8, color="#444444")
    # one y-scale for every derivative, so σ' peaking at a quarter of tanh' shows
    for ax in axes[1]:
        ax.set_ylim(-0.08, 1.12)
        ax.axhline(0.25, color="#9a3412", linestyle=":", linewidth=0.8, alpha=0.6)
    axes[0, 0].set_ylabel("$a = g(z)$")
    axes[1, 0].set_ylabel("$g'(z) = da/dz$")
    fig.suptitle("The four activations and their derivatives (every $g'$ on one scale, "
                 "dotted at 1/4; shaded: $|z| > 3$, where σ and tanh saturate)", fontsize=11)
    return _save(fig, path)
