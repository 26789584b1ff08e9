"""The two networks of the notes with their backprop written exactly as the
notes write it: logistic regression (one neuron, where the notes start) and
the two-layer net. ``DeepNet`` derives the same formulas in a loop; the tests
check that the three agree with each other and with autograd."""
from __future__ import annotations

from typing import Dict, Optional, Union

import numpy as np

from nets.activations import Activation
from nets.network import Grads, Network, _activation_repr, _dA_output

__all__ = ["TwoLayerNet", "LogisticRegression"]


class TwoLayerNet(Network):
    """X (n_x, m) -> Z[1] = W[1] X + b[1], A[1] = g(Z[1]) (n_h, m)
    -> Z[2] = W[2] A[1] + b[2], A[2] = σ(Z[2]) (1, m) -> J."""

    def __init__(self, n_x: int, n_h: int, activation: Union[str, Activation] = "tanh",
                 init: str = "random", scale: Optional[float] = None, seed: int = 2) -> None:
        super().__init__([n_x, n_h, 1], activation, init, scale, seed)

    @property
    def n_h(self) -> int:
        return self.layer_dims[1]

    def __repr__(self) -> str:
        return (f"TwoLayerNet(n_x={self.n_x}, n_h={self.n_h}, "
                f"activation={_activation_repr(self.activation)}, init={self.init!r})")

    def _backprop(self, cache: Dict[str, np.ndarray], Y: np.ndarray) -> Grads:
        """The notes' six formulas (dZ, dA per sample; dW, db are ∂J/∂W, ∂J/∂b)."""
        X, A1, A2, Z1 = cache["A[0]"], cache["A[1]"], cache["A[2]"], cache["Z[1]"]
        m = X.shape[1]
        W2 = self.params["W[2]"]
        dZ2 = A2 - Y
        dW2 = (1 / m) * dZ2 @ A1.T
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dA1 = W2.T @ dZ2
        dZ1 = dA1 * self.activation.g_prime(Z1)
        dW1 = (1 / m) * dZ1 @ X.T
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        return {"A[2]": _dA_output(cache["Z[2]"], A2, Y), "Z[2]": dZ2, "W[2]": dW2, "b[2]": db2,
                "A[1]": dA1, "Z[1]": dZ1, "W[1]": dW1, "b[1]": db1}


class LogisticRegression(Network):
    """One sigmoid neuron: Z = W X + b, A = σ(Z), J (the notes' starting point).
    Named as a one-layer net: W[1] (1, n_x), b[1] (1, 1), Z[1], A[1]."""

    def __init__(self, n_x: int, init: str = "zeros", scale: Optional[float] = None,
                 seed: int = 2) -> None:
        super().__init__([n_x, 1], "sigmoid", init, scale, seed)

    def __repr__(self) -> str:
        return f"LogisticRegression(n_x={self.n_x}, init={self.init!r})"

    def _backprop(self, cache: Dict[str, np.ndarray], Y: np.ndarray) -> Grads:
        """dZ = A - Y, dW = (1/m) dZ Xᵀ, db = (1/m) Σ dZ."""
        X, A = cache["A[0]"], cache["A[1]"]
        m = X.shape[1]
        dZ = A - Y
        return {"A[1]": _dA_output(cache["Z[1]"], A, Y), "Z[1]": dZ, "W[1]": (1 / m) * dZ @ X.T,
                "b[1]": (1 / m) * np.sum(dZ, axis=1, keepdims=True)}
