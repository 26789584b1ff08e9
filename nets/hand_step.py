"""``fit(method="hand")``: the notes' formulas as one training step that costs
what a tuned hand-written numpy step costs.

The same formulas as ``Network._backprop`` (dZ[L] = A[L] - Y, dW[l] = (1/m)
dZ[l] A[l-1]ᵀ, db[l] = (1/m) Σ dZ[l], dZ[l-1] = W[l]ᵀ dZ[l] * g'(Z[l-1])),
arranged for speed, which is all this module is about:

- the data are validated once per ``fit`` (by the caller), not per step;
- every array a step writes is allocated once, here, and reused (``out=``);
- the learning rate times 1/m is folded into dZ[L] once, so each dZ[l] below
  is α ∂J/∂Z[l], and dW, db come out as the updates α ∂J/∂W, α ∂J/∂b;
- g' comes from A (tanh: 1 - A², sigmoid: A(1 - A)) via the activation's
  ``g_prime_from_a``: no second tanh of Z;
- W[2]ᵀ dZ[2] with one output unit is an outer product, done by broadcasting
  (the same numbers as BLAS, several times faster);
- only what the update needs: no dA[L], no per-sample dZ kept for a report
  (``backprop()`` still returns every node for ``check_backprop``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:   # network.py imports this module
    from nets.network import Network

__all__ = ["HandStep"]


class HandStep:
    """``step()`` runs one gradient-descent step on ``net.params`` in place and
    returns J before the update.

    At construction ``net.params`` gets fresh copies of its arrays, which the
    steps then update in place: arrays (and graphs) that a caller took from
    ``net.params`` before the fit keep their values. ``X`` and ``Y`` must
    already have passed ``check_data``; ``fit`` passes a read-only view of X
    and a private read-only copy of Y.
    """

    def __init__(self, net: "Network", X: np.ndarray, Y: np.ndarray,
                 learning_rate: float) -> None:
        net.params = {k: np.array(v, dtype=np.float64) for k, v in net.params.items()}
        L, m = net.L, X.shape[1]
        self.L, self.inv_m = L, 1.0 / m
        self.lr_over_m = float(learning_rate) / m
        self.Y = Y   # fit's private copy: the cost's signs and dZ[L] read the same labels
        # Y is 0 or 1, so the loss of a column is softplus(±Z[L]): + where Y = 0,
        # - where Y = 1. Multiplying by ±1 is exact.
        self.sign = 1.0 - 2.0 * Y
        self.W = [None] + [net.params[f"W[{l}]"] for l in range(1, L + 1)]
        self.b = [None] + [net.params[f"b[{l}]"] for l in range(1, L + 1)]
        self.g = [None] + [net._g(l) for l in range(1, L)]
        dims = net.layer_dims
        self.Z = [None] + [np.empty((dims[l], m)) for l in range(1, L + 1)]
        self.A = [X] + [np.empty((dims[l], m)) for l in range(1, L + 1)]
        self.G = [None] + [np.empty((dims[l], m)) for l in range(1, L)]   # g'(Z[l])
        # tanh, the notes' hidden activation, runs in the buffers; the others
        # allocate through nets.activations (fresh arrays of 128 KB and more
        # are mmap'ed and page-faulted by glibc's default allocator each step).
        self.in_place = [None] + [self.g[l].name == "tanh" for l in range(1, L)]
        self.dZ = [None] + [np.empty((dims[l], m)) for l in range(1, L + 1)]
        self.dW = [None] + [np.empty_like(w) for w in self.W[1:]]
        self.db = [None] + [np.empty_like(b) for b in self.b[1:]]
        self.e, self.d = np.empty((1, m)), np.empty((1, m))
        self.positive = np.empty((1, m), dtype=bool)

    def step(self) -> float:
        L, Z, A, dZ, W, b = self.L, self.Z, self.A, self.dZ, self.W, self.b
        # forward: Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l])
        for l in range(1, L):
            np.matmul(W[l], A[l - 1], out=Z[l])
            np.add(Z[l], b[l], out=Z[l])
            if self.in_place[l]:
                np.tanh(Z[l], out=A[l])
            else:
                A[l] = self.g[l].g(Z[l])
        J = self._output_and_cost(W, b, A, Z[L])
        if not math.isfinite(J):   # fit stops here: no update, as autograd's fit makes none
            return J
        # backward: dZ[L] = α (A[L] - Y) / m, then the notes' formulas layer by layer
        np.subtract(A[L], self.Y, out=dZ[L])
        np.multiply(dZ[L], self.lr_over_m, out=dZ[L])
        for l in range(L, 0, -1):
            np.matmul(dZ[l], A[l - 1].T, out=self.dW[l])
            np.add.reduce(dZ[l], axis=1, keepdims=True, out=self.db[l])
            if l > 1:
                if W[l].shape[0] == 1:    # one unit: W[l]ᵀ dZ[l] is an outer product
                    np.multiply(W[l].T, dZ[l], out=dZ[l - 1])
                else:
                    np.matmul(W[l].T, dZ[l], out=dZ[l - 1])
                np.multiply(dZ[l - 1], self._g_prime(l - 1), out=dZ[l - 1])
        # update, in place, once every gradient is known (dA[l-1] used W[l] as it was)
        for l in range(1, L + 1):
            np.subtract(W[l], self.dW[l], out=W[l])
            np.subtract(b[l], self.db[l], out=b[l])
        return J

    def _g_prime(self, l: int) -> np.ndarray:
        """g'(Z[l]) from A[l]: tanh' = 1 - A² in a buffer, else the activation's
        own ``g_prime_from_a``."""
        if not self.in_place[l]:
            return self.g[l].g_prime_from_a(self.A[l])
        G, A = self.G[l], self.A[l]
        np.multiply(A, A, out=G)
        np.subtract(1.0, G, out=G)
        return G

    def _output_and_cost(self, W: list, b: list, A: list, Z: np.ndarray) -> float:
        """A[L] = σ(Z[L]) into A[L], and J from the logits.

        Both from e = e^-|Z|, which never overflows: σ(Z) = 1 / (1 + e) for
        Z >= 0 and e / (1 + e) below (as ``activations.sigmoid``), and each
        column's loss softplus(±Z) = max(±Z, 0) + log(1 + e), exact where A
        rounds to 0 or 1.
        """
        L, e, d, AL = self.L, self.e, self.d, A[self.L]
        np.matmul(W[L], A[L - 1], out=Z)
        np.add(Z, b[L], out=Z)
        np.copysign(Z, -1.0, out=e)   # -|Z| in one call
        np.exp(e, out=e)
        np.add(e, 1.0, out=d)
        np.divide(e, d, out=AL)
        np.greater_equal(Z, 0.0, out=self.positive)
        np.divide(1.0, d, out=AL, where=self.positive)
        np.log1p(e, out=e)
        np.multiply(Z, self.sign, out=d)
        np.maximum(d, 0.0, out=d)
        return float(np.add.reduce(d, axis=None) + np.add.reduce(e, axis=None)) * self.inv_m
