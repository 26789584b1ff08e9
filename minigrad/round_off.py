"""How far round-off alone can move the two gradients ``gradcheck`` compares.

Both sides of a check are float64 arithmetic, good to about u = 2.2e-16 of
the numbers they are made of, and at some points that is enough for a right
gradient to miss the course's threshold: the report then says this point
cannot tell right from wrong, not WRONG. It takes two bounds, entry by
entry, each with a margin of 10, and a gap larger than their sum is no
round-off:

- the differences' (``_round_off_bound``): f(x ± ε) is known to about
  u f_size, and the difference divides that by 2ε, about 1e-9 for an f of
  size 1 at ε = 1e-7; the step x ± ε rounds too, by up to u |x|, which moves
  the difference by u |x| |g| / 2ε. So a right gradient that is tiny (biases
  at a small init), or an x that is large, can miss 2e-7. f_size is not |f|
  alone: every op f is made of rounds its result, and an intermediate larger
  than f (1 + x² under log(1 + x²) near 0) carries its own size's round-off
  to f, times its slope.
- autograd's own (``_autograd_round_off_bound``): each VJP rounds its
  result to about u of the numbers that meet in it, and where they cancel
  only what is left after the subtraction is known: σ(Z) - Y at Z = 30,
  Y = 1 is -9.4e-14 give or take 1.1e-16. So the bound is u times the sizes
  of the terms that meet in each VJP (``_terms``: the ops whose terms can
  cancel in ``_CANCELLING_TERMS``, those whose factors are accurate in
  ``_PRODUCT_VJPS``), carried down the graph and added up at each input as
  the engine adds gradients. An op of one's own (``ops.op``) is taken to
  lose no digits to cancellation.

``_rounded_sizes`` gives what both bounds are u times, in one walk of the
backward pass.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np

from minigrad.functional import PROBABILITY_CLIP
from minigrad.steps import backward_steps
from minigrad.tensor import Tensor, _unbroadcast


def _round_off_bound(f_size: float, x: Any, g: Any, eps: float = 1e-7) -> np.ndarray:
    """How far central differences can be from the true gradient ``g`` by
    round-off alone, entry by entry, with a margin of 10: f(x ± ε) is known to
    about u f_size (u = 2.2e-16; f_size from ``_rounded_sizes``: |f| and the
    intermediates its value is made of), and the step x ± ε rounds by up to
    u |x|, so (f(x + ε) - f(x - ε)) / 2ε is off by about u (f_size + |x| |g|) / 2ε.
    Where |g| is that small (small weights) or |x| that large, a right gradient
    can miss the course's threshold."""
    u = np.finfo(np.float64).eps
    return 10 * u * (f_size + np.abs(np.asarray(x) * np.asarray(g))) / (2 * eps)


def _rounded_sizes(out: Tensor, leaves: list) -> tuple:
    """What f's rounding and autograd's are u times, in one walk of the backward
    pass: f_size, Σ |v| |∂f/∂v| over f's value and the op results it is made of
    (each rounded to ~u |v|; not |f| alone: log(1 + x²) near x = 0 is ~1e-7
    while 1 + x² is 1, rounded to ~1e-16), and for each leaf the sizes its
    gradient is made of, entry by entry (``_terms``)."""
    if not out.requires_grad:   # no graph to look into: f's own value
        return abs(float(out.data.reshape(-1)[0])), [np.zeros(t.shape) for t in leaves]
    f_size = 0.0
    # id(node) -> the sizes of the terms whose rounding its gradient carries, from
    # the steps above it; every consumer of a node comes before the node
    carried: dict = {}
    # where ∂f/∂v is 0, v adds no rounding to f, infinite as it may be (x + (-inf)
    # masked by exp): not inf * 0. Under- and overflow here are no error of f's.
    with np.errstate(under="ignore", over="ignore"):
        for s in backward_steps(out):
            if s.node.op is None:
                continue
            f_size += float(np.sum(np.abs(np.multiply(s.node.data, s.grad, where=s.grad != 0,
                                                      out=np.zeros(s.grad.shape)))))
            if s.node.op in ("matmul", "linear"):
                f_size += _product_size(s.node, s.grad)
            if s.sent:
                brought = carried.pop(id(s.node), None)
                for sent in s.sent:
                    terms = _terms(s.node, sent, s.grad, brought)
                    key = id(sent.input)
                    carried[key] = carried[key] + terms if key in carried else terms
    return f_size, [carried.get(id(t), np.zeros(t.shape)) for t in leaves]


def _product_size(node: Tensor, grad: np.ndarray) -> float:
    """Σ |W| |A| |∂f/∂Z| of a product Z = W A (or of linear's Z = W A + b): each
    entry of W A is rounded to u times the sizes of its terms, and where they
    cancel (or b takes back nearly all of a large W A) Z is small and its
    rounding is not; the node's own size, which the walk counts, misses it."""
    w, a = _as_matrices(node.parents[0].data, node.parents[1].data)
    sizes = np.abs(w) @ np.abs(a)
    return float(np.sum(np.abs(np.multiply(sizes.reshape(grad.shape), grad,
                                           where=grad != 0, out=np.zeros(grad.shape)))))


def _autograd_round_off_bound(sizes: np.ndarray) -> np.ndarray:
    """How far autograd's gradient can be from the true one by its own round-off,
    entry by entry, with a margin of 10: u times the sizes of the terms it is
    made of (``_rounded_sizes``). Each VJP rounds its result to ~u of the numbers
    that meet in it, and a difference of numbers near 1 keeps only what is left
    after the subtraction: σ(Z) - Y at Z = 30, Y = 1 is -9.4e-14 give or take
    1.1e-16, a large part of a tiny gradient. An entry whose bound is not finite
    excuses nothing (0)."""
    u = np.finfo(np.float64).eps
    with np.errstate(over="ignore", invalid="ignore"):
        bound = 10 * u * np.asarray(sizes, dtype=float)
    return np.where(np.isfinite(bound), bound, 0.0)


def _as_matrices(a: np.ndarray, b: np.ndarray) -> tuple:
    """A product's operands as matrices: a vector is a row on the left, a column on
    the right (matmul's rule)."""
    return (a if a.ndim == 2 else a.reshape(1, -1)), (b if b.ndim == 2 else b.reshape(-1, 1))


def _matmul_terms(node: Tensor, position: int, arriving: np.ndarray) -> np.ndarray:
    # dA = dZ Bᵀ, dB = Aᵀ dZ: each entry a sum of products, |dZ| |B|ᵀ and |A|ᵀ |dZ|
    # the sizes of their terms (a vector is a row on the left, a column on the right)
    a, b = node.parents[0].data, node.parents[1].data
    a2, b2 = _as_matrices(a, b)
    g = np.reshape(arriving, (a2.shape[0], b2.shape[1]))
    if position == 0:
        return (g @ np.abs(b2).T).reshape(a.shape)
    return (np.abs(a2).T @ g).reshape(b.shape)


def _linear_terms(node: Tensor, position: int, arriving: np.ndarray) -> np.ndarray:
    # Z = W A + b: dW, dA as matmul's; db sums dZ back over b's broadcast axes, as
    # add's does (the caller sums these sizes back the same way)
    return _matmul_terms(node, position, arriving) if position < 2 else arriving


def _cross_entropy_terms(node: Tensor, position: int, arriving: np.ndarray) -> np.ndarray:
    # dA = (1/n) / (1 - Y - A): 1 - Y and A meet (1/(-A) at Y = 1; 1/(1 - A) at Y = 0,
    # with A rounded near 1); 0 where A is clipped. dY = (log(1 - A) - log A) / n.
    a, y = node.parents[0].data, node.parents[1].data
    p = np.clip(a, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
    scale = arriving / a.size
    if position == 0:
        return scale * (p == a) * (np.abs(1.0 - y) + np.abs(p)) / (1.0 - y - p) ** 2
    return scale * (np.abs(np.log1p(-p)) + np.abs(np.log(p)))


def _logits_cross_entropy_terms(node: Tensor, position: int,
                                arriving: np.ndarray) -> np.ndarray:
    # dZ = (σ(Z) - Y) / n, the notes' A - Y: σ(Z) and Y meet, both near 1 where Y = 1
    # and Z is large. dY = -Z / n.
    z, y = node.parents[0].data, node.parents[1].data
    scale = arriving / z.size
    if position == 0:
        return scale * (1.0 / (1.0 + np.exp(-z)) + np.abs(y))
    return scale * np.abs(z)


# The ops whose VJP makes each entry of its result from terms that can cancel, and
# the sizes of those terms (given the sizes of the gradient that reaches it)
_CANCELLING_TERMS: Dict[str, Callable[[Tensor, int, np.ndarray], np.ndarray]] = {
    "matmul": _matmul_terms,
    "linear": _linear_terms,
    # 1 - A², 1 and A² meet: 8e-9 at Z = 10, out of a 1 known to 1e-16
    "tanh": lambda node, position, arriving: arriving * (1.0 + node.data * node.data),
    "binary_cross_entropy": _cross_entropy_terms,
    "binary_cross_entropy_with_logits": _logits_cross_entropy_terms,
}
# The ops whose VJP multiplies (or moves, sums back over broadcast axes) the gradient
# by factors that are themselves accurate: σ' is e / (1 + e)², not A(1 - A). Their
# terms are the VJP's own result on the sizes, in absolute value.
_PRODUCT_VJPS = frozenset({"add", "sub", "neg", "mul", "div", "pow", "exp", "log", "sigmoid",
                           "relu", "leaky_relu", "identity", "transpose", "reshape", "sum",
                           "mean"})


def _terms(node: Tensor, sent: Any, grad: np.ndarray,
           brought: Optional[np.ndarray]) -> np.ndarray:
    """The sizes autograd's rounding of what ``node``'s VJP sent to one input
    (``sent``) is u times, entry by entry, summed back to the input's shape as
    the engine sums the gradient (sizes add, signs do not cancel): the error
    ``grad`` brought (``brought``, u times; None: none, at the root) carried
    by the op's slope, |J|ᵀ brought, plus the sizes of the terms that meet in
    the VJP's own arithmetic. An op of one's own (``ops.op``) is taken to lose
    no digits to cancellation: its result is known to its own size, give or
    take the relative error its gradient brought."""
    shape, vjp = sent.input.shape, node._vjps[sent.position] if node._vjps else None
    with np.errstate(all="ignore"):
        if node.op in _CANCELLING_TERMS:
            terms = _CANCELLING_TERMS[node.op](node, sent.position, np.abs(grad))
            if brought is not None:
                # the slope is J itself, not the terms it is the difference of:
                # matmul's (and linear's) are its terms, the others' are elementwise
                terms = terms + (_CANCELLING_TERMS[node.op](node, sent.position, brought)
                                 if node.op in ("matmul", "linear") else np.abs(vjp(brought)))
        elif node.op in _PRODUCT_VJPS:
            arriving = np.abs(grad) if brought is None else brought + np.abs(grad)
            terms = np.abs(vjp(arriving))
        else:
            if brought is None:
                return np.abs(sent.grad)
            known = grad != 0
            relative = np.max(brought[known] / np.abs(grad[known]), initial=0.0)
            return np.abs(sent.grad) * (1.0 + relative)
        return _unbroadcast(terms, shape) if terms.shape != shape else terms
