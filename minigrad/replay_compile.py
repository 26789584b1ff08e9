"""How a tape compiles a recorded graph: the kernels of its forward and backward pass.

``Tape._build`` (``minigrad.replay``) calls ``_compile`` twice, with the two
allocators of the memory plan (``minigrad.buffer_plan``). Given the recorded
nodes in topological order, it asks each op's compiler in ``OPS``
(``minigrad.replay_kernels``) for the kernels that compute the node's value
into a buffer, then walks the nodes as ``Tensor.backward`` does (newest
first) and adds, per input, the kernels that build its vector-Jacobian
product, undo its broadcasting (``_unbroadcast_steps``: the reductions
``tensor._unbroadcast`` makes) and add it to the input's gradient
(``_contribution``). A buffer is laid out in the memory order the eager
engine's array has (``_laid_out_as``): numpy adds in memory order, and the
tape must give the eager engine's numbers bit for bit.

``Compiler`` is a part of ``Tape``: its methods read the tape's leaves and
their buffers (``_leaves``, ``_inputs``) and set what a replay runs and
reads: ``_forward`` + ``_backward`` = ``_kernels``, each node's value and
gradient buffer (``_value``, ``_grad``), ``_root_value``, and the constants
the graph reads (``_constants``, which ``minigrad.replay_stale`` watches for
a new array).
"""
from __future__ import annotations

import weakref
from typing import Callable, Dict, List, Tuple

import numpy as np

from minigrad.buffer_plan import Allocator
from minigrad.replay_kernels import OPS, Kernel, _accumulate, _copy, _Op, _reduce, _View
from minigrad.tensor import Tensor, describe

__all__ = ["Compiler"]


class Compiler:
    """The methods of ``Tape`` that compile its graph; see the module's docstring."""

    def _compile(self, root: Tensor, order: list, alloc: Allocator) -> None:
        """The kernels of the forward and backward pass, writing into ``alloc``'s buffers."""
        self._value: Dict[int, np.ndarray] = {}
        self._grad: Dict[int, np.ndarray] = {}
        self._forward: List[Kernel] = []
        self._backward: List[Kernel] = []
        self._listed = listed = {id(leaf) for leaf in self._leaves}
        self._constants: List[Tuple[weakref.ref, np.ndarray, tuple]] = []
        for leaf, buffer in zip(self._leaves, self._inputs):
            self._value[id(leaf)] = buffer
        compiled = {}
        for node in order:
            if node.op is None:
                if id(node) not in listed:   # a constant
                    self._value[id(node)] = node.data
                    # its shape too: a.shape = ... reshapes the array in place
                    self._constants.append((weakref.ref(node), node.data, node.shape))
                continue
            compile_op = OPS.get(node.op)
            if compile_op is None:
                raise ValueError(f"record: cannot replay op {node.op!r} ({describe(node)}); "
                                 f"ops a tape replays: {', '.join(sorted(OPS))}")
            op = compile_op(node, [self._value[id(p)] for p in node.parents],
                            [id(p) in listed for p in node.parents],
                            _laid_out_as(node._data, alloc))
            self._value[id(node)] = op.value
            self._forward.extend(op.forward)
            compiled[id(node)] = op
        # a view of 0-d: float() of a (1, 1) array is a TypeError on numpy 2
        self._root_value = self._value[id(root)].reshape(())
        self._compile_backward(root, order, compiled, alloc)
        self._kernels = self._forward + self._backward

    def _compile_backward(self, root: Tensor, order: list, compiled: dict,
                          alloc: Allocator) -> None:
        # How many gradient contributions each node receives: a node with one
        # takes what its consumer's VJP gives, as the eager engine does.
        incoming: Dict[int, int] = {}
        for node in order:
            if node.op is not None and node.requires_grad:
                for p in node.parents:
                    if p.requires_grad:
                        incoming[id(p)] = incoming.get(id(p), 0) + 1
        seed = np.array(1.0).reshape(root.shape)   # the eager seed
        self._grad[id(root)] = seed
        # g_in: the array a node's VJPs receive, which is not always its .grad:
        # the eager engine passes a sum's broadcast view on and keeps a copy as
        # .grad, and numpy's matmul takes another path for a stride-0 operand.
        self._g_in = {id(root): seed}
        # The eager engine's order: newest node first (Tensor.backward's heap on the
        # creation count), so that three or more contributions to one node are
        # added in its order; a reversed depth-first order may add them otherwise.
        for node in sorted(order, key=lambda t: t._seq, reverse=True):
            if node.op is None or not node.requires_grad:
                continue
            g = self._g_in[id(node)]
            op = compiled[id(node)]
            for i, parent in enumerate(node.parents):
                if not parent.requires_grad:
                    continue
                self._backward.extend(self._contribution(node, op, i, g, parent, incoming,
                                                          alloc))

    def _contribution(self, node: Tensor, op: "_Op", i: int, g: np.ndarray, parent: Tensor,
                      incoming: Dict[int, int], alloc: Allocator) -> List[Kernel]:
        """Kernels adding op's (node's) VJP for input i to parent's gradient."""
        key = id(parent)
        first = key not in self._grad
        vjp = op.vjps[i]
        kernels: List[Kernel] = []
        if vjp is None:                  # the VJP is g itself
            source = g
        elif isinstance(vjp, _View):     # a view of g (made once), maybe of g / count
            source = vjp.make(g)
            kernels.extend(vjp.update(g))
        else:                            # numpy calls writing into a buffer
            source = _laid_out_as(node._data, alloc)(op.vjp_shapes[i])   # as eager's g * y
            kernels.extend(vjp(g, source))
        for axes, keepdims, shape in _unbroadcast_steps(source.shape, parent.shape):
            out = alloc(shape)
            kernels.append(_reduce(source, axes, keepdims, out))
            source = out
        if not first:
            kernels.append(_accumulate(self._grad[key], source))
            return kernels
        if incoming[key] == 1:
            self._g_in[key] = source
            # a listed leaf's gradient is an array of the tape's own, and no other
            # leaf's: flat_grads lays them end to end
            own = key not in self._listed or (alloc.made(source) and not any(
                source is self._grad.get(id(leaf)) for leaf in self._leaves))
            if source.flags.writeable and own:
                self._grad[key] = source
                return kernels
        # .grad is a writable array of its own: copy a read-only view, or the first
        # of several contributions (the others are added to it in place)
        self._grad[key] = target = alloc(parent.shape)
        kernels.append(_copy(source, target))
        self._g_in.setdefault(key, target)
        return kernels


def _laid_out_as(value: np.ndarray, alloc: Allocator) -> Callable[..., np.ndarray]:
    """``alloc``, giving arrays of ``value``'s shape in ``value``'s memory order.

    numpy keeps the memory order of an op's inputs: an op on ``X.T`` gives a
    Fortran-ordered result in the eager engine. A sum over it adds in memory
    order, and a ufunc may take another loop for another layout, so a tape
    that computed it C-ordered could differ from eager in the last bit."""
    if value.ndim < 2 or value.flags.c_contiguous:
        return alloc
    outer_first = sorted(range(value.ndim), key=lambda axis: -value.strides[axis])
    back = tuple(np.argsort(outer_first))

    def laid_out(shape: tuple, dtype: type = np.float64) -> np.ndarray:
        if tuple(shape) != value.shape:
            return alloc(shape, dtype)
        return alloc(tuple(value.shape[axis] for axis in outer_first), dtype).transpose(back)
    return laid_out


def _unbroadcast_steps(shape: tuple, target: tuple) -> List[Tuple[tuple, bool, tuple]]:
    """The reductions ``tensor._unbroadcast`` makes from ``shape`` to ``target``:
    leading extra axes (dropped), then stretched axes (kept as 1)."""
    steps = []
    if shape == target:
        return steps
    extra = len(shape) - len(target)
    if extra:
        shape = shape[extra:]
        steps.append((tuple(range(extra)), False, shape))
    stretched = tuple(i for i, n in enumerate(target) if n == 1 and shape[i] != 1)
    if stretched:
        steps.append((stretched, True, target))
    return steps
