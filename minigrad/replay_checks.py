"""What ``mg.record`` refuses: the checks a graph passes before it becomes a tape.

A tape must give the eager engine's numbers, and never replay a stale graph
without a word. Some graphs it cannot replay faithfully, and ``record``
refuses them with an error that says why and what to do:

- as ``f`` runs (``_random_states``, ``_drew``): a random draw, which a
  tape would replay as recorded where ``f`` run again draws anew;
- before it compiles (``_check_constants``): a tensor the tape would replay
  as a constant although it may follow the leaves, a constant holding a
  leaf's memory, an op's result given new data, a leaf not in C order;
- after it compiles, the tape (``minigrad.replay``, ``Tape._verify``) replays
  the recorded values and compares every kept value and gradient with the
  eager engine's (``_eager_grads``), bit for bit; ``_not_reproduced`` is the
  message when one differs.

What a tape checks at each replay (a constant given a new array, a name
bound anew) is ``minigrad.replay_stale``'s.
"""
from __future__ import annotations

import random
from typing import Dict, List, Optional

import numpy as np

from minigrad.tensor import Tensor, describe


def _check_constants(order: list, leaves: List[Tensor]) -> None:
    """A ``ValueError`` for what a tape would replay stale: a tensor made by an
    op under no_grad after the leaves (it may be computed from them, and a tape
    replays it as a constant), a constant holding a leaf's memory (``W * W.data``:
    eager reads the leaf's new data, a tape its recorded array), an op's result
    given new data (replayed, the op would compute it from its inputs again), and
    a leaf not laid out in C order (the tape's copies are, and numpy would add
    its sums in another order than eager)."""
    listed = {id(leaf) for leaf in leaves}
    first = min(leaf._seq for leaf in leaves) if leaves else None
    for t in order:
        if t.op is not None and t._version != 0:
            raise ValueError(f"record: {describe(t)}, an op's result, was given new data "
                             f"(t.data = ...) after its op made it; a tape replays the op "
                             f"from its inputs, which would not give that data. Make it a "
                             f"constant (mg.tensor(t.data)) or a leaf the tape replays")
        if t.op is not None or id(t) in listed:
            if id(t) in listed and t._data.ndim > 1 and not t._data.flags.c_contiguous:
                raise ValueError(f"record: leaf {describe(t)} is not laid out in C order (a "
                                 f"transpose or slice of another array); the tape keeps its "
                                 f"leaves in C order, where numpy adds sums in another order "
                                 f"than on yours: give the leaf a C-ordered array "
                                 f"(np.ascontiguousarray)")
            continue
        for leaf in leaves:
            if np.shares_memory(t._data, leaf._data):
                raise ValueError(f"record: the constant {describe(t)} holds the memory of the "
                                 f"leaf {describe(leaf)} (its .data, or a view of it, given "
                                 f"to an op): the tape would replay it as the leaf's recorded "
                                 f"value while the leaf takes new ones, where the eager "
                                 f"engine reads the leaf's current data. Use the leaf itself "
                                 f"in the graph")
        if t._unrecorded_op is not None and first is not None and t._seq > first:
            raise ValueError(f"record: {describe(t)} was made by {t._unrecorded_op} under "
                             f"no_grad after the leaves, so it may be computed from them; a "
                             f"tape replays it as a constant, which their new values would "
                             f"not change. Compute it with grad on (the tape then replays "
                             f"it), or, when it does not depend on the leaves, make it a plain "
                             f"tensor: mg.tensor(t.data)")


def _random_states() -> tuple:
    """The states of numpy's global generator (np.random.randn, ...) and of
    Python's (random.random, ...): f drew a number from one if it changes."""
    return np.random.get_state(), random.getstate()


def _drew(before: tuple) -> Optional[str]:
    """The error for an f that drew random numbers since ``before``, or None."""
    (_, keys, pos, *gauss), python = before
    (_, keys_now, pos_now, *gauss_now), python_now = _random_states()
    drawn = [name for name, same in (
        ("np.random", pos == pos_now and gauss == gauss_now and np.array_equal(keys, keys_now)),
        ("random", python == python_now)) if not same]
    if not drawn:
        return None
    return (f"record: f drew random numbers ({' and '.join(drawn)}) as it ran: a tape replays "
            f"the draw it recorded at every replay, where f run again draws new ones (a "
            f"dropout mask, noise, a shuffle). Draw them outside f, into a tensor listed in "
            f"leaves, and pass each new draw to replay (tape.replay(W, mask))")


def _not_reproduced(what: str, node: Tensor) -> str:
    made = f"op {node.op}" if node.op is not None else "a leaf"
    # A node no gradient reaches keeps the data its op gave when it ran: an input
    # given a new array since (X.data = ...) makes the replay, which recomputes
    # it from that input, differ. No version was kept to tell it for sure.
    stale = (f"{describe(node)} was computed (outside f) from a tensor since given a new "
             f"array (X.data = ...), which the tape reads as it is now: compute it again "
             f"after such a change; or " if what == "value" and node.op is not None
             and not node.requires_grad else "")
    return (f"record: a replay of the recorded values does not give the eager engine's "
            f"{what} of {describe(node)} ({made}) bit for bit, so the tape refuses this "
            f"graph: {stale}an array the tape lays out otherwise than eager (a reshape's "
            f"copy of a broadcast gradient, say) makes numpy add in another order, or the "
            f"op's kernel in minigrad/replay_kernels.py differs from ops.py. The eager "
            f"engine (backward()) computes it as always")


def _eager_grads(root: Tensor, order: list) -> Dict[int, Optional[np.ndarray]]:
    """Every node's gradient by the eager engine, leaving each node's ``.grad``
    as it was."""
    saved = [t.grad for t in order]
    try:
        for t in order:
            t.grad = None
        root.backward()
        return {id(t): t.grad for t in order}
    finally:
        for t, grad in zip(order, saved):
            t.grad = grad
