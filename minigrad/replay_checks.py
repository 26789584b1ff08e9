"""What ``mg.record`` refuses: the checks a graph passes before it becomes a tape.

A tape must give the eager engine's numbers, and never replay a stale graph
without a word. Some graphs it cannot replay faithfully, and ``record``
refuses them with an error that says why and what to do:

- as ``f`` runs (``_random_states``, ``_drew``): a random draw, which a
  tape would replay as recorded where ``f`` run again draws anew; and
  (``_values_read``) a value of a leaf, or of a tensor computed from one,
  read into Python (a branch, a copy), which a tape would not read again;
- at recording (``_guard_read``): a guard that reads a leaf's own value
  instead of its arguments, the values a replay gives it;
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
from typing import Dict, Iterator, List, Optional

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


# The reads that make a tensor of a value: a constant of f's graph, which the tape
# replays as recorded, whatever branch a guard names.
_COPIES = ("mg.tensor()", "mg.as_tensor()", ".detach()", "a copy")


def _values_read(reads: list, leaves: List[Tensor], guarded: bool) -> Optional[str]:
    """The error for the first value f read into Python (``tensor._watch_reads``)
    of a listed leaf or of a tensor computed from one, or None. Without a guard
    every such read is refused: what Python does with it (an ``if`` that picks
    the ops) is not replayed. With one, the guard names the branch, and only a
    tensor made of the value (``mg.tensor(W)``, ``.detach()``) is refused."""
    for t, how, leaf, listed in _reads_of_leaves(reads, leaves):
        if guarded and how not in _COPIES:
            continue
        source = "" if leaf is t else (f", computed from the leaf {describe(leaf)},"
                                       if listed else
                                       ", made under no_grad after the leaves (so maybe from them),")
        if how in _COPIES:
            return (f"record: f read the value of {describe(t)}{source} into Python ({how}) "
                    f"as it ran, to make a tensor of it: a tape replays that tensor as a "
                    f"constant with the recorded value, where f run again copies the new "
                    f"one (a guard names a branch; it does not make a copy follow the "
                    f"leaves). Use the tensor itself in the graph, or make the copy outside "
                    f"f and list it in leaves (tape.replay(W, C))")
        return (f"record: f read the value of {describe(t)}{source} into Python ({how}) as "
                f"it ran; a tape replays the ops f recorded, not its Python, so what f did "
                f"with that value (an if that picks the ops, a copy) would stay as recorded "
                f"while the leaves take new values. Read values outside f (replay returns "
                f"the root's value; a shape is t.shape, not t.data.shape, which reads the "
                f"value), or, when f picks its ops from them, pass guard=, a "
                f"function of the leaf values that names the branch (guard=lambda W: "
                f"bool(W.sum() > 0)); a new answer records again")
    return None


def _guard_read(reads: list, leaves: List[Tensor]) -> Optional[str]:
    """The error for the first value the guard read into Python of a listed leaf
    or of a tensor computed from one, or None. A replay passes the guard the new
    values; the leaves keep the values they had, so such a read names the branch
    of the recorded values (a constant's value it may read: a new one is seen;
    and a tensor it made under no_grad, of its arguments say: mg.tensor(w))."""
    for t, how, leaf, listed in _reads_of_leaves(reads, leaves):
        if not listed:
            continue
        source = "" if leaf is t else f", computed from the leaf {describe(leaf)},"
        return (f"record: the guard read the value of {describe(t)}{source} into Python "
                f"({how}); a replay calls it with the new leaf values as its arguments, "
                f"guard(*values), while the leaves keep the values they had (a replay does "
                f"not set them), so it would name the recorded branch at every replay: use "
                f"its arguments (guard=lambda W: bool(W.sum() > 0))")
    return None


def _reads_of_leaves(reads: list, leaves: List[Tensor]) -> Iterator[tuple]:
    """``(t, how, leaf, listed)`` for each read of a tensor t behind which
    ``_leaf_behind`` finds ``leaf``; ``listed``: whether it is one of ``leaves``
    (else a tensor made under no_grad, which may come from them)."""
    ids = {id(leaf) for leaf in leaves}
    first = min(leaf._seq for leaf in leaves) if leaves else None
    for t, how in reads:
        leaf = _leaf_behind(t, ids, first)
        if leaf is not None:
            yield t, how, leaf, id(leaf) in ids


def _leaf_behind(t: Tensor, listed: set, first: Optional[int]) -> Optional[Tensor]:
    """The listed leaf t is or is computed from (walking its inputs), or a tensor
    on the way made by an op under no_grad after the leaves (which records no
    inputs, and may come from them), or None."""
    seen, stack = {id(t)}, [t]
    while stack:
        node = stack.pop()
        if id(node) in listed:
            return node
        if node._unrecorded_op is not None and first is not None and node._seq > first:
            return node
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return None


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
