"""``fit(method="replay")``: record the net's graph once with ``mg.record``,
then replay it every step, bit-identical to ``fit(method="autograd")``."""
from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

import minigrad as mg

if TYPE_CHECKING:   # network.py imports this module
    from nets.network import Network

__all__ = ["ReplayStep"]


class ReplayStep:
    """``step()`` replays the recorded graph, updates the parameters in place
    (the tape's own arrays, which ``net.params`` then holds) and returns J
    before the update. The update is autograd's ``W - lr * dW``, the same
    numbers, so the whole trajectory is autograd's bit for bit."""

    def __init__(self, net: "Network", X: np.ndarray, Y: np.ndarray,
                 learning_rate: float) -> None:
        self.net, self.X, self.Y = net, X, Y
        self.lr = float(learning_rate)
        self._record()

    def _record(self) -> None:
        # C-ordered parameters, as autograd's fit copies them: a tape keeps its leaves so
        self.net.params = {k: np.ascontiguousarray(v) for k, v in self.net.params.items()}
        # fit passes X as a read-only view, which the tape reads at every replay
        # without locking it, and Y as its own read-only copy
        g = self.net.graph(self.X, self.Y)
        names = list(self.net.params)
        # A step reads J and the parameters' gradients only: the tape may reuse
        # the other nodes' buffers (less memory than a hand-written step).
        self.tape = mg.record(g.loss, [g[name] for name in names], keep_graph=False,
                              intermediates=False)
        self.params = self.tape.inputs            # copies: earlier arrays keep their values
        self.net.params = dict(zip(names, self.params))
        # W - lr * dW, as autograd's fit computes it ((-lr dW) + W rounds the same),
        # for every parameter at once (the tape lays them end to end, and their
        # gradients likewise); lr * dW overwrites dW, which the next replay rewrites.
        W, dW = self.tape.flat_inputs, self.tape.flat_grads
        self.update = [partial(np.multiply, self.lr, dW, out=dW),
                       partial(np.subtract, W, dW, out=W)]

    def step(self) -> float:
        J = self.tape.replay()
        if not math.isfinite(J):   # fit stops here: no update, as autograd's fit makes none
            return J
        for kernel in self.update:
            kernel()
        return J
