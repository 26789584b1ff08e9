"""When a tape's graph is no longer the one ``f`` builds: what each replay checks.

A tape replays the graph it recorded, and never a stale one: at each replay
(``Tape.replay``, ``minigrad.replay``) it records again from ``f`` (or, from
a built graph, raises ``ValueError``) when

- the leaves' shapes, or the guard's answer, differ from those it recorded
  (``_structure``; a guard that reads a leaf's own value instead of its
  arguments is a ``ValueError`` as it records: the leaves keep the values
  they had);
- a constant was given a new array (``X.data = ...``), or an op's result
  made outside ``f`` new data (``H.data = ...``) (``_replaced``);
- a name ``f`` reads is bound to another object, or an array it copied into
  its graph holds other values (``rebound``, ``minigrad.replay_names``);
- a leaf's ``requires_grad`` was switched (a layer frozen: eager gives it no
  gradient, which the tape would still compute; a constant made to require
  one, ∂J/∂X, which ``tape.grad(X)`` would not give) (``_requires_changed``).

``_change`` says which, for the messages. ``replay()`` with no values
replays the tape's own ``inputs``, so a leaf given new data since is an
error, not a new graph: ``_versions`` takes each leaf's version and a copy
of its values, ``_changed`` names the leaves changed since, and
``_leaf_given_new_data`` is the message.

``Staleness`` is a part of ``Tape``: its methods read what the tape took
when it recorded (``_guard``, ``_inputs``, ``_names``, ``_watched``,
``_requires``, ``_leaf_versions``, and ``_constants`` from
``minigrad.replay_compile``).
"""
from __future__ import annotations

import weakref
from typing import List, Optional, Sequence

import numpy as np

from minigrad.replay_checks import _guard_read
from minigrad.replay_names import rebound, same
from minigrad.tensor import Tensor, _watch_reads, describe

__all__ = ["Staleness"]


class Staleness:
    """The methods of ``Tape`` that tell a stale graph; see the module's docstring."""

    def _structure(self, arrays: Sequence[np.ndarray], recording: bool = False) -> tuple:
        shapes = tuple(a.shape for a in arrays)
        if self._guard is None:
            return shapes, None
        if recording:
            # A replay gives the guard the new values, and the leaves keep theirs: a
            # guard reading a leaf's value (W.data) would name the recorded branch.
            # Watched as it records only: a replay costs what it did
            with _watch_reads() as reads:
                answer = self._guard(*arrays)
            read = _guard_read(reads, self.leaves)
            if read is not None:
                raise ValueError(read)
        else:
            answer = self._guard(*arrays)
        try:
            hash(answer)   # compared with ==, an array's answer would be an array
        except TypeError:
            raise TypeError(f"record: guard must return a hashable value that names the "
                            f"branch (a bool, a number, a str, a tuple of them); got "
                            f"{type(answer).__name__}") from None
        return shapes, answer

    def _replaced(self) -> Optional[Tensor]:
        """A constant whose tensor was given a new array since recording (X.data = ...),
        or whose array was reshaped in place (X.data.shape = ...), or an op's
        result made outside f given new data (H.data = ...)."""
        for ref, array, shape in self._constants:
            t = ref()
            if t is not None and (t._data is not array or array.shape != shape):
                return t
        if self._watched:
            for ref, version in self._watched:
                t = ref()
                if t is not None and t._version != version:
                    return t
            # a training loop lets the built graph go: then this costs nothing
            self._watched = [(ref, v) for ref, v in self._watched if ref() is not None]
        return None

    def _requires_changed(self) -> Optional[Tensor]:
        """A live leaf (listed, or a constant) whose ``requires_grad`` is not what
        it was when recorded."""
        for ref, requires in self._requires:
            t = ref()
            if t is not None and t.requires_grad != requires:
                return t
        return None

    def _leaf_given_new_data(self) -> str:
        changed = _changed(self._leaf_versions)
        names = ", ".join(describe(leaf) for leaf in changed)
        return (f"replay: the leaf {names} was given new data (W.data = ..., W.data -= "
                f"..., or a write into its array) since this tape recorded or last replayed "
                f"given values, but "
                f"replay() with no values replays tape.inputs, the tape's own arrays, not "
                f"the leaves' data: pass the values (tape.replay(W.data, ...)), or update "
                f"tape.inputs in place instead of the leaves")

    def _change(self, arrays: List[np.ndarray]) -> str:
        """What makes the graph a new one, for the messages of a record again."""
        replaced = self._replaced()
        if replaced is not None:
            return (f"{describe(replaced)}, a constant, was given a new array (or its "
                    f"array a new shape)" if replaced.op is None else
                    f"{describe(replaced)}, an op's result, was given new data")
        change = rebound(self._names)
        if change is not None:
            return change
        switched = self._requires_changed()
        if switched is not None:
            return (f"the leaf {describe(switched)} was given requires_grad="
                    f"{switched.requires_grad} since the tape recorded it")
        old, new = [a.shape for a in self._inputs], [a.shape for a in arrays]
        if old != new:
            return f"the leaves' shapes changed ({old} -> {new})"
        return "the guard gave another answer"


def _versions(refs: List[weakref.ref], inputs: List[np.ndarray]) -> List[tuple]:
    """Each live leaf's data version (``W.data = ...`` counts one), a copy of its
    values (a write into its array, ``W.data[...] = 0``, counts none) and the
    tape's input for it."""
    versions = []
    for ref, given in zip(refs, inputs):
        leaf = ref()
        if leaf is not None:
            versions.append((ref, leaf._version, leaf._data.copy(), given))
    return versions


def _changed(versions: List[tuple]) -> List[Tensor]:
    """The live leaves given new data since ``versions`` were taken, unless it is
    what replay() replays (W.data = tape.inputs[0], updated in place); the dead
    ones leave ``versions`` (fit lets its leaves go: then this costs nothing)."""
    changed, gone = [], False
    for ref, version, values, given in versions:
        leaf = ref()
        if leaf is None:
            gone = True
        elif (leaf._version != version or not same(leaf._data, values)) \
                and not same(leaf._data, given):
            changed.append(leaf)
    if gone:   # by identity: == on these entries would compare tensors and arrays
        versions[:] = [entry for entry in versions if entry[0]() is not None]
    return changed
