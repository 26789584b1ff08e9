"""The arguments of ``nets.plots``, checked and put in one shape before any
drawing: a wrong type gets an error saying what the function takes, not an
``AttributeError`` from deep inside matplotlib or numpy.

Cost curves come in three shapes, because learners reach for all three:

- ``{label: costs}``: one line per label (``costs`` one run, or a 2-D array
  with one row per run, drawn in one colour);
- ``costs``, what ``net.fit`` returns: one line, labelled ``cost J``;
- ``[costs_a, costs_b, ...]`` (or a 2-D array): one line each, labelled by
  position ``curve 0``, ``curve 1``, ... as Python counts.
"""
from __future__ import annotations

import numbers
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np

__all__ = ["as_curves", "as_panels", "as_named_arrays", "check_model"]

_CURVES = ("{label: costs}, a sequence of costs (one curve, as net.fit returns it), "
           "or a list of such sequences (one curve each)")


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _costs(values: object, who: str, where: str) -> np.ndarray:
    """One curve (1-D) or one row per run (2-D) of finite-or-not float costs."""
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
        raise TypeError(f"{who}: {where} must be a sequence of costs; got "
                        f"{type(values).__name__}")
    try:
        runs = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: {where} must hold numbers (the cost J before each update), "
                        f"rows of equal length for several runs; got {values!r:.80}") from None
    if runs.ndim not in (1, 2) or runs.size == 0:
        raise ValueError(f"{who}: {where} must be a non-empty 1-D sequence of costs (or 2-D, "
                         f"one row per run); got shape {runs.shape}")
    return runs


def as_curves(curves: object, who: str) -> Dict[str, np.ndarray]:
    """``{label: costs (1-D or 2-D)}`` from any of the three shapes above."""
    if isinstance(curves, Mapping):
        out = {str(label): _costs(c, who, f"curves[{label!r}]") for label, c in curves.items()}
    elif isinstance(curves, np.ndarray) or (
            isinstance(curves, (list, tuple)) and not isinstance(curves, str)):
        items = list(curves)
        if items and all(_is_number(c) or isinstance(c, np.floating) for c in items) \
                or (isinstance(curves, np.ndarray) and curves.ndim == 1):
            out = {"cost J": _costs(curves, who, "costs")}
        else:
            out = {f"curve {i}": _costs(c, who, f"curves[{i}]") for i, c in enumerate(items)}
    else:
        raise TypeError(f"{who}: curves must be {_CURVES}; got {type(curves).__name__}")
    if not out:
        raise ValueError(f"{who}: no curves to draw")
    return out


def as_panels(panels: object, who: str) -> List[Tuple[str, Any]]:
    """``[(caption, model), ...]`` from that list or from ``{caption: model}``."""
    if isinstance(panels, Mapping):
        items = list(panels.items())
    elif isinstance(panels, (list, tuple)):
        items = list(panels)
    else:
        raise TypeError(f"{who}: panels must be a list of (caption, model) pairs or "
                        f"{{caption: model}}; got {type(panels).__name__}")
    out = []
    for i, item in enumerate(items):
        if not (isinstance(item, tuple) and len(item) == 2 or
                isinstance(item, list) and len(item) == 2):
            raise TypeError(f"{who}: panel {i} must be a (caption, model) pair; got "
                            f"{type(item).__name__}" + (": give it a caption, "
                                                        "[('my net', net)]"
                                                        if hasattr(item, "predict_proba")
                                                        else ""))
        caption, model = item
        check_model(model, who, f"panel {i} ({caption!r})")
        out.append((str(caption), model))
    return out


def as_named_arrays(values: object, who: str, what: str) -> Dict[str, np.ndarray]:
    """``{label: array}``: the labels are titles, so a bare list is refused."""
    if not isinstance(values, Mapping):
        raise TypeError(f"{who}: {what} must be a mapping {{label: array}} (the label is the "
                        f"panel's title); got {type(values).__name__}")
    return {str(k): np.asarray(v, dtype=np.float64) for k, v in values.items()}


def check_model(model: object, who: str, where: str = "model") -> None:
    """A model is what the boundary is drawn from: it needs predict_proba."""
    if not callable(getattr(model, "predict_proba", None)):
        raise TypeError(f"{who}: {where} must be a trained net with predict_proba(X), "
                        f"such as a TwoLayerNet; got {type(model).__name__}")
