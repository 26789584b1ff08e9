"""``fit(method="replay")``: record the net's graph once with ``mg.record``,
then replay it every step, bit-identical to ``fit(method="autograd")``."""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

import minigrad as mg
from minigrad.replay import StaleTape

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
        g = self.net.graph(self.X, self.Y)
        names = list(self.net.params)
        self.tape = mg.record(g.loss, [g[name] for name in names], keep_graph=False)
        self.params = self.tape.inputs            # copies: earlier arrays keep their values
        self.net.params = dict(zip(names, self.params))
        # W - lr * dW, as autograd's fit computes it, into the tape's own arrays
        self.update = []
        for W, dW in zip(self.params, self.tape.grads):
            scaled = np.empty_like(W)
            self.update += [partial(np.multiply, self.lr, dW, out=scaled),
                            partial(np.subtract, W, scaled, out=W)]

    def step(self) -> float:
        try:
            J = self.tape.replay()
        except StaleTape:   # the recording could not see everything these values need
            self._record()
            J = self.tape.replay()
        for kernel in self.update:
            kernel()
        return J
