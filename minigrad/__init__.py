"""minigrad: a small numpy reverse-mode autodiff engine for learning backpropagation.

    import minigrad as mg
    W = mg.tensor([[0.5, -0.3]], requires_grad=True, name="W[1]")
    J = (W @ X + b).tanh().mean()
    J.backward()      # W.grad now holds dJ/dW
"""
from minigrad.functional import binary_cross_entropy, binary_cross_entropy_with_logits
from minigrad.gradcheck import gradcheck, numerical_grad, relative_difference
from minigrad.ops import (exp, identity, leaky_relu, linear, log, matmul, mean, relu,
                          sigmoid, tanh, transpose)
from minigrad.ops import sum  # noqa: A004 - mg.sum mirrors np.sum on purpose
from minigrad.buffers import recycling
from minigrad.replay import Tape, record
from minigrad.tensor import (Tensor, as_tensor, detect_anomaly, is_grad_enabled, no_grad, tensor,
                             topological_order)
from minigrad.steps import backward_steps, backward_trace
from minigrad.viz import draw, save_graph, summary
from minigrad.animation import backward_animation, save_backward_animation

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "as_tensor", "no_grad", "detect_anomaly", "is_grad_enabled",
           "topological_order", "exp", "log", "tanh", "sigmoid", "relu", "leaky_relu",
           "identity", "matmul", "linear", "transpose", "sum", "mean", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "record", "Tape", "recycling",
           "numerical_grad", "gradcheck", "relative_difference",
           "draw", "save_graph", "summary",
           "backward_steps", "backward_trace", "backward_animation", "save_backward_animation"]
