"""What ``check_backprop`` found, and how it is told: one ``NodeCheck`` per
node, and the ``BackpropReport`` that prints them as a table with the
diagnosis under it (where each error enters, ``nets.diagnosis``; the likely
slip, ``nets.slips``), in the hand's own names (``dW1`` for the course's
``backward_propagation``, ``W[1]`` otherwise).
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

import minigrad as mg
from minigrad.table import text_table
from nets import activations, alphas, diagnosis, kinks, precision, slip_kinds, slips
from nets.course import course_text
from nets.network import Graph

if TYPE_CHECKING:  # pragma: no cover - only for the annotations
    import graphviz

__all__ = ["BackpropReport", "NodeCheck", "SlipContext", "OK", "WRONG", "WRONG_SHAPE",
           "MISSING", "UNKNOWN", "NOT_COMPARED"]

# Verdicts. Only WRONG, WRONG SHAPE and unknown names are failures.
OK = "ok"
WRONG = "WRONG"
WRONG_SHAPE = "WRONG SHAPE"
MISSING = "missing"             # a node hand did not return: neutral
UNKNOWN = "unknown name"        # a key that is no node of the graph (a typo such as "dW1")
NOT_COMPARED = "not compared"   # a node autograd gives no gradient: the data X, Y, and J

# Under an "ok", how many of the slips it cannot see are named (a zero weight hides most)
SHOWN_SLIPS = 6

# What the numbers say of wrong nodes traced to a node they share, not returned
SHOWN, POSSIBLE, RULED_OUT = "one error shown", "one error or more", "more than one error"


@dataclass
class NodeCheck:
    """One node: autograd's gradient and the hand one, in the notes' conventions.

    ``autograd`` is ∂J/∂node for W and b, and m ∂J/∂node for Z and A
    (``per_sample``); ``hand`` is the value hand returned (None when missing).
    ``numerical`` is the central-difference gradient (parameters, with
    ``numerical=True``), ``numerical_difference`` its difference with autograd.
    """
    name: str
    shape: Optional[tuple]
    hand_shape: Optional[tuple]
    autograd: Optional[np.ndarray]
    hand: Optional[np.ndarray]
    difference: Optional[float]
    verdict: str
    per_sample: bool = False
    numerical: Optional[np.ndarray] = None
    numerical_difference: Optional[float] = None
    note: str = ""
    hand_dtype: Optional[str] = None   # a WRONG value that came in fewer digits: "float32"
    # True: hand_dtype is the precision of numbers that came back as float64 (cast on
    # the way), not their dtype
    digits_only: bool = False
    # how far hand is from autograd in the size of the terms: "float64" (round-off),
    # "float32" (within float32's rounding, beyond float64's) or "" (further, or unknown)
    float32_gap: str = ""
    # a WRONG SHAPE whose numbers are right: "as is" or "transposed" ("" otherwise)
    shape_only: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict in (WRONG, WRONG_SHAPE, UNKNOWN)

    @property
    def compared(self) -> bool:
        return self.verdict in (OK, WRONG, WRONG_SHAPE)


@dataclass
class SlipContext:
    """What ``nets.slips`` needs to recompute the gradients with a slip made:
    the forward values (``"A[0]"`` is X), Y, the hidden activations g[l], L,
    and the agreement rule of the check (``agree(name, expected, given)``)."""
    values: Dict[str, np.ndarray]
    Y: np.ndarray
    hidden: Dict[int, activations.Activation]   # or kinks.KinkSides: g with the hand's sides
    L: int
    agree: Callable[[str, np.ndarray, np.ndarray], bool]


@dataclass
class BackpropReport:
    """What ``check_backprop`` found: ``rows`` in backward order (J side first),
    then the keys that name no node. Truthy when ``ok``.

    ``labels`` maps a node to the name the hand gave its gradient (``"W[1]"``
    -> ``"dW1"`` for the course's function; empty: the node names)."""
    rows: List[NodeCheck]
    graph: Graph
    tol: float
    m: int
    labels: Dict[str, str] = field(default_factory=dict)
    hand_name: str = "hand"
    context: Optional[SlipContext] = field(default=None, repr=False)
    # the sides of g′ the hand took where a hidden Z[l] is on a kink (relu at 0)
    kink: Optional[kinks.KinkChoice] = field(default=None, repr=False)
    # whether the numbers show float32 themselves (``precision.float32_shown``), not
    # only by being off by no more than its rounding
    float32_shown: bool = True

    @property
    def ok(self) -> bool:
        """Every returned node agrees, no key is unknown, and at least one node
        was compared (a hand that returns nothing checks nothing)."""
        return any(r.compared for r in self.rows) and not any(r.failed for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return (f"BackpropReport(ok={self.ok}, mismatches={self.mismatches}, "
                f"unknown={self.unknown}, missing={self.missing}, m={self.m})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # How IPython and Jupyter show a cell's last value: the whole report, as
        # print(report) does, not the one-line repr
        printer.text(str(self))

    @property
    def mismatches(self) -> List[str]:
        """Nodes whose hand gradient is wrong (in value or shape), in backward order."""
        return [r.name for r in self.rows if r.verdict in (WRONG, WRONG_SHAPE)]

    @property
    def unknown(self) -> List[Any]:
        """Keys hand returned that are no node of the graph."""
        return [r.name for r in self.rows if r.verdict == UNKNOWN]

    @property
    def missing(self) -> List[str]:
        """Nodes with a gradient that hand did not return."""
        return [r.name for r in self.rows if r.verdict == MISSING]

    def row(self, name: str) -> NodeCheck:
        """The row of node ``name`` (``"W[1]"``; the hand's own name, ``"dW1"``, too)."""
        for r in self.rows:
            if r.name == name or self.labels.get(r.name) == name:
                return r
        raise KeyError(f"no row {name!r}; rows: {', '.join(str(r.name) for r in self.rows)}")

    def label(self, name: Any) -> str:
        """The hand's name for node ``name``: ``dW1`` for the course, else ``W[1]``."""
        return self.labels.get(name, str(name))

    def text(self, notes: str) -> str:
        """A formula in the notes' notation, written as the hand names things."""
        return course_text(notes) if self.labels else notes

    def origins(self) -> List[tuple]:
        """``[(wrong node, [nodes that follow from it]), ...]`` in backward order.

        A later mismatch follows from an earlier one when backprop computes it
        from it along a path with nothing right in between. Wrong nodes whose
        sources were not returned are traced to the lowest node they all come
        from (not returned itself) where every returned node it feeds is wrong
        (or cut off from it by a zero weight or slope, so right whatever it is;
        a node that a right one rules out does not stop the trace upwards):
        where one error WOULD enter; ``diagnosis()`` says whether the numbers
        show one error there, rule it out, or cannot tell.
        """
        return [(o.node, o.followers) for o in self._origins()]

    def _origins(self) -> List[diagnosis.Origin]:
        status, flow = self._status(), self._flow()

        def follows(top: str, node: str) -> Optional[bool]:
            above = self._returned_above(node, top)
            return None if above is None else self._follows(above, node)

        return diagnosis.origins(self._traced(), status, flow, follows, self._blind)

    def _traced(self) -> List[str]:
        """The mismatches the diagnosis traces and explains: not those that came
        in fewer digits than float64 (no evidence of a formula either way)."""
        return [n for n in self.mismatches if self.row(n).hand_dtype is None]

    def _blind(self, up: str, node: str) -> bool:
        """Whether ``node``'s gradient stays 0 whatever ``up``'s is (``"Z[l]"`` or
        ``"A[l]"``): the right formulas map it linearly, so one random gradient
        at ``up`` that gives exactly 0 at ``node`` means a zero weight or slope
        on the way. False when this cannot say (no notes' layout)."""
        c = self.context
        if c is None or up[:2] not in ("Z[", "A[") or up not in c.values:
            return False
        probe = np.random.RandomState(0).standard_normal(c.values[up].shape)
        with np.errstate(all="ignore"):
            grads = slips.backward(c.values, c.Y, c.hidden, c.L, start=(up, probe))
        return grads is not None and node in grads and not np.any(grads[node])

    def _status(self) -> Dict[str, str]:
        return {r.name: (diagnosis.UNSEEN if r.hand_dtype is not None
                         else diagnosis.WRONG if r.verdict in (WRONG, WRONG_SHAPE)
                         else diagnosis.RIGHT if r.verdict == OK else diagnosis.UNSEEN)
                for r in self.rows if isinstance(r.name, str)}

    @functools.cached_property
    def _flow_map(self) -> Dict[str, List[str]]:
        return diagnosis.sources(self.graph.nodes, self.graph.roots, self.graph.loss)

    def _flow(self) -> Dict[str, List[str]]:
        return self._flow_map

    def _returned_above(self, node: str, top: Optional[str] = None) -> Optional[str]:
        """The nearest returned node above ``node`` along its one source at a
        time, up to ``top``; None when there is none (or a node has two sources)."""
        flow, status = self._flow(), self._status()
        above = node
        while len(flow.get(above, [])) == 1 and above != top:
            above = flow[above][0]
            if status.get(above, diagnosis.UNSEEN) != diagnosis.UNSEEN:
                return above
        return None

    def _follows(self, above: str, node: str) -> Optional[bool]:
        """Is the hand's ``node`` what the notes' right formulas give from the
        hand's ``above``? None when this cannot say: no notes' layout, no
        usable ``above``, values not finite, or a difference within round-off
        of the terms the formulas add up."""
        source, c = self.row(above), self.context
        mine = self.row(node).hand
        if c is None or source.hand is None or source.hand.shape != source.shape \
                or mine is None:
            return None
        with np.errstate(all="ignore"):
            grads = slips.backward(c.values, c.Y, c.hidden, c.L, start=(above, source.hand))
            if grads is None or node not in grads:
                return None
            if mine.shape != grads[node].shape:
                return False   # the right formulas keep every shape right
            if c.agree(node, grads[node], mine):
                return True
            # the same pass on |values|: the size of the terms each sum adds up
            sizes = slips.backward({k: np.abs(v) for k, v in c.values.items()}, c.Y,
                                   {l: _AbsSlope(g, c.values[f"Z[{l}]"])
                                    for l, g in c.hidden.items()},
                                   c.L, start=(above, np.abs(source.hand)))
            gap = float(np.linalg.norm(mine - grads[node]))
            bound = float(np.linalg.norm(sizes[node]))
        from nets.check import ROUNDOFF   # lazily: nets.check imports this module
        if not (np.isfinite(gap) and np.isfinite(bound)) or gap <= ROUNDOFF * bound:
            return None   # a residue of a sum that cancels: no evidence either way
        return False

    def diagnosis(self) -> str:
        """The lines under the table: where each error enters and the likely
        slip, or that all agree."""
        lines = []
        imprecise = [r for r in self.rows if r.hand_dtype is not None]
        if imprecise:
            lines += precision.precision_lines(imprecise, self.label, self.tol,
                                               self.float32_shown)
            if not self._traced():   # nothing else to trace or explain
                return "\n".join(lines + self._unknown_lines())
        found = self._origins()
        own = self._own_formulas_line(found)
        lines += [own] if own else self._origin_lines(found)
        if any(r.float32_gap == "float32" for r in self.rows):   # else no slip search for it
            named = {n for members, each in self._slip_parts for n in members if each}
            gained = set(self.kink.gained) if self.kink is not None else set()
            wrong = {n for n in self._traced() if self.row(n).verdict == WRONG}
            lines += precision.cannot_tell_lines(self.rows, wrong, named, gained, self.label)
        saturated = self._saturated()
        if saturated:
            lines.append(self._saturation_line(saturated))
        swapped = self._swapped()
        lines += [self._swapped_line(n, other) for n, other in swapped.items()]
        if not set(self._traced()) <= set(saturated) | set(swapped):
            lines += self._slip_lines(found)
        lines += self._unknown_lines()
        if lines:
            return "\n".join(lines + self._kink_lines())
        compared = [self.label(r.name) for r in self.rows if r.compared]
        if not compared:
            return "no node to compare: hand returned no gradient for any node of the graph"
        if self.missing:
            agree = (f"all {len(compared)} returned nodes agree" if len(compared) > 1
                     else f"the one returned node, {compared[0]}, agrees")
            agree = (f"{agree} with autograd (not returned: "
                     f"{', '.join(map(self.label, self.missing))})")
        else:
            agree = f"all {len(compared)} nodes agree with autograd"
        return "\n".join([agree, *self._kink_lines(), *self.blind_spots()])

    def _whose(self) -> str:
        return "your" if self.labels else "hand's"

    def _swapped_line(self, name: str, other: str) -> str:
        line = f"{self._whose()} {self.label(name)} equals autograd's {self.label(other)}: "
        layer = name[1:] if name[0] == "Z" else None
        if layer and other == f"A{layer}":   # dZ[l] = dA[l]: what a g′ left out gives too
            return line + self.text(f"g′(Z{layer}) left out, or swapped keys?")
        return line + "swapped keys?"

    def _swapped(self) -> Dict[str, str]:
        """Wrong nodes whose hand value is autograd's gradient of another node
        (``{"dZ1": dA1}``): {node: the node whose gradient it is}."""
        c, out = self.context, {}
        if c is None:
            return out
        # a slip that gives a node says more (g′ left out makes dZ[1] = dA[1] too)
        given = {n for members, each in self._slip_parts for n in members if each}
        for name in self._traced():
            if name in given:
                continue
            hand = self.row(name).hand
            if hand is None or not np.isfinite(hand).all():
                continue
            for r in self.rows:
                if r.name != name and r.autograd is not None and r.autograd.shape == hand.shape \
                        and np.any(r.autograd) and c.agree(r.name, r.autograd, hand):
                    out[name] = r.name
                    break
        return out

    def _saturated(self) -> List[str]:
        """The wrong nodes whose hand values are nan or inf only in samples where
        the output A[L] is exactly 0 or 1 in float64 (|Z[L]| past about 37): a
        formula that divides by A[L] or 1 − A[L] (the course's dA2) gives those
        there, right as it is on paper."""
        c = self.context
        if c is None:
            return []
        columns = self._saturated_samples()
        if not columns.any():
            return []
        found = []
        for name in self._traced():
            hand = self.row(name).hand
            if hand is None or np.isfinite(hand).all():
                continue
            per_sample = name[0] in "ZA" and hand.ndim == 2 and hand.shape[1] == columns.size
            if per_sample:
                if not np.any(~np.isfinite(hand)[:, ~columns]):
                    found.append(name)
            elif self._non_finite_above(name) is not False:
                found.append(name)
        return found

    def _non_finite_above(self, name: str) -> Optional[bool]:
        """For a W[l] or b[l]: whether a per-sample node above it (Z[k], A[k],
        k >= l) came back with nan or inf; None when none came back. A finite
        dZ[l] gives a finite dW[l]: a non-finite dW[l] under it is its own slip
        (a division by 0), not the saturated A[L]'s."""
        l, above = int(name[2:-1]), []
        for r in self.rows:
            if isinstance(r.name, str) and r.name[:2] in ("Z[", "A[") and r.hand is not None \
                    and r.compared and r.hand_dtype is None and int(r.name[2:-1]) >= l:
                above.append(not np.isfinite(r.hand).all())
        return any(above) if above else None

    def _saturated_samples(self) -> np.ndarray:
        """The samples (columns) where the output A[L] is exactly 0 or 1 in float64."""
        A = self.context.values[f"A[{self.context.L}]"]
        return np.any((A == 0.0) | (A == 1.0), axis=0)

    def _saturation_line(self, names: List[str]) -> str:
        c = self.context
        L, m = c.L, self.m
        Z, columns = c.values[f"Z[{L}]"], self._saturated_samples()
        who = "yours" if self.labels else "hand's"
        dA = self.text(f"dA[{L}] = −(Y/A[{L}]) + (1 − Y)/(1 − A[{L}])")
        return (f"{diagnosis.join(map(self.label, names))} {'holds' if len(names) == 1 else 'hold'} "
                f"nan or inf ({who}) where {self.text(f'A[{L}]')} is exactly 0 or 1 in float64: "
                f"{int(columns.sum())} of {m} samples, |{self.text(f'Z[{L}]')}| up to "
                f"{float(np.max(np.abs(Z))):.3g} (σ rounds to 1 past about 37). A formula "
                f"that divides by {self.text(f'A[{L}]')} or {self.text(f'1 − A[{L}]')}, as "
                f"{dA} does, is right on paper and inf or nan there: compute "
                f"{self.text(f'dZ[{L}] = A[{L}] − Y')} directly, as the notes do, or check "
                f"at a smaller scale (smaller weights)")

    def _kink_lines(self) -> List[str]:
        """Where the hand took the other side of g′ at a kink (relu′(0) = 1): what
        it took, and that it is right too (``nets.kinks``)."""
        if self.kink is None:
            return []
        lines = []
        for l, act, entries, taken in self.kink.layers():
            if not taken:
                continue
            left, right = kinks.sides(act)
            g = f"{act.name}′"
            # the slope halfway (np.heaviside(Z, 0.5)) is no side: any between is valid
            halfway = any(s != right for s in taken)
            allowed = "any slope between the sides is valid" if halfway else \
                "the notes allow either"
            took = ", ".join(f"{s:g} at {n}" for s, n in taken.items())
            lines.append(
                f"{self.text(f'Z[{l}]')} is 0 at {entries} entr{'y' if entries == 1 else 'ies'}"
                f", {act.name}'s kink, where {g} may be {left:g} or {right:g}"
                f"{' or any slope between' if halfway else ''}: "
                f"{'you' if self.labels else 'hand'} took {took} of them "
                f"(autograd takes {left:g}; {allowed})")
        gained = self.kink.gained
        between = ", or a slope between," if self.kink.halfway else ""
        lines.append(f"either side{between} is right, so "
                     f"{diagnosis.join(map(self.label, gained))} "
                     f"count{'s' if len(gained) == 1 else ''} as agreeing")
        same = self._kink_slips
        if same:   # the side taken may be no choice at all, but g′ forgotten there
            what = "; ".join(self.text(slip.what) for slip in same)
            lines.append(f"but {what} gives the same numbers here, as it takes the kink's "
                         f"other side: check at a point off the kink (no Z = 0) too, "
                         f"nets.testing.informative_case() is one")
        return lines

    @functools.cached_property
    def _kink_slips(self) -> List[slips.Slip]:
        """The slips in g′ at a layer on the kink that give every node the hand
        returned, as the kink's sides it took do."""
        c = self.context
        if self.kink is None or c is None:
            return []
        # a g′ slip takes a side of the kink, never the slope halfway between them
        layers = {l for l, act, _, taken in self.kink.layers() if kinks.sides(act)[1] in taken}
        return [slip for slip, _ in self._giving_every_node
                if slip.in_g_prime and (slip.layer in layers or slip.every_hidden_layer)]

    @functools.cached_property
    def _giving_every_node(self) -> list:
        """``slips.explain`` on every node the hand returned, computed once: the
        blind spots, the kink lines and the diagnosis all read it (~30 backward
        passes each time otherwise)."""
        c = self.context
        return [] if c is None else slips.explain(c.values, c.Y, c.hidden, c.L, self._given(),
                                                  c.agree)

    def _unknown_lines(self) -> List[str]:
        return (["unknown names (not nodes of the graph): "
                 + ", ".join(repr(k) for k in self.unknown)] if self.unknown else [])

    def _own_formulas_line(self, found: List[diagnosis.Origin]) -> Optional[str]:
        """When one slip gives every wrong node and it is in the formulas of
        those very nodes (no 1/m in any dW, db), the line that says so, instead
        of tracing them to a node above them that they do not get wrong."""
        wrong, c = self._traced(), self.context
        if len(wrong) < 2 or c is None:
            return None
        explained = self._explained
        if not explained or not all(set(wrong) <= slip.nodes(c.L) for slip, _ in explained):
            return None
        text = (f"first wrong at {diagnosis.join(map(self.label, wrong))}, in their own "
                f"formulas: one slip gives {'both' if len(wrong) == 2 else 'them all'}")
        if len(found) == 1 and found[0].inferred and slips.one_error_fits(
                c.values, c.hidden, c.L, found[0].node, self._given(wrong)):
            where = self.label(found[0].node)
            text += f" (so would one wrong {where}, not returned: return {where} to tell)"
        return text

    def blind_spots(self) -> List[str]:
        """What this point cannot see (said under an "ok"): slips that give the
        right numbers here (m = 1 hides any 1/m; a zero weight, whatever
        follows it), and biases of 0, which hide a b left out of Z = W A + b."""
        c = self.context
        if c is None or not self.ok:
            return []
        lines, wanted = [], []
        if self.m == 1:
            lines.append("m = 1 here: a missing or doubled 1/m gives the same numbers")
            wanted.append("m > 1")
        # the course's function gets Z and A in its cache: it has no Z = W A + b to get wrong
        zero = [] if self.labels else [f"b[{l}]" for l in range(1, c.L + 1)
                                       if not np.any(c.values[f"b[{l}]"])]
        if zero:
            lines.append(f"{diagnosis.join(zero)} {'is' if len(zero) == 1 else 'are'} 0 here: "
                         f"a formula that leaves b out (Z = W A) gives the same numbers")
            wanted.append("nonzero biases")
        given = self._given()
        # b left out of Z is said above, where every b is 0 (and the course's function
        # computes no Z)
        hidden = [slip for slip, _ in self._giving_every_node
                  if not (self.m == 1 and "1/m" in slip.kind) and slip.kind != "no b"
                  and _reaches(slip.nodes(c.L), given)]
        # where the kink's other side made rows agree, a g′ slip that gives them is
        # the likelier story: first, never among "and n more"
        kink = self._kink_slips
        hidden = [s for s in hidden if s in kink] + [s for s in hidden if s not in kink]
        if hidden:
            shown = "; ".join(self.text(slip.what) for slip in hidden[:SHOWN_SLIPS])
            more = len(hidden) - SHOWN_SLIPS
            lines.append(("a slip gives" if len(hidden) == 1 else "these slips give")
                         + f" the same numbers here: {shown}"
                         + (f"; and {more} more" if more > 0 else ""))
            wanted.append("weights and data where they show")
        if lines:
            lines.append(f"so check at another point too ({', '.join(wanted)}): "
                         f"nets.testing.informative_case() is one")
        return lines

    def _origin_lines(self, found: List[diagnosis.Origin]) -> List[str]:
        """Where each error enters: "first wrong at ...", "also wrong at ...,
        independently"."""
        lines = []
        whose = "your" if self.labels else "hand's"
        for i, origin in enumerate(found):
            where = self.label(origin.node)
            above = (f" or above it ({', '.join(map(self.label, origin.above))})"
                     if origin.above else "")
            one = self._one_error(origin)
            if one != SHOWN:   # the wrong nodes, not an error at the node they share
                wrong = diagnosis.join(map(self.label, origin.members))
                head = (f"first wrong at {wrong}" if i == 0
                        else f"also wrong at {wrong}, independently")
                lines.append(
                    f"{head}: one error at {where}{above}, not returned, or more than one; "
                    f"these numbers cannot tell (return {where} to see)" if one == POSSIBLE
                    else f"{head}: more than one error, as no single {where} (not returned) "
                    f"gives {'both' if len(origin.members) == 2 else 'them all'}")
                continue
            if origin.inferred:
                text = f"first wrong at {where}{above}, not returned" if i == 0 else \
                    f"also wrong at {where}{above}, not returned, independently"
            elif i > 0 and (self._every_layer_slip()
                            or set(origin.members) <= self._every_layer_nodes()):
                text = f"also wrong at {where}: the same slip, made again there"
            else:
                text = f"first wrong at {where}" if i == 0 else \
                    f"also wrong at {where}, independently"
                above = self._returned_above(origin.node)
                if above is not None and self.row(above).verdict in (WRONG, WRONG_SHAPE) \
                        and self._follows(above, origin.node) is False:
                    text += f" (not what the right formula gives from {whose} {self.label(above)})"
            if origin.followers:
                verb = "follows" if len(origin.followers) == 1 else "follow"
                text += (":" if origin.inferred else ";") + \
                    f" {', '.join(map(self.label, origin.followers))} {verb} from it"
                if self._hedged(origin):
                    # another slip gives them in their own formulas, with a right dZ: the
                    # node above is not shown wrong (the slips below name both)
                    text += (f", or {'each is' if len(origin.followers) > 1 else 'it is'} "
                             f"wrong in its own formula: return {where} to tell")
                if self._every_layer_slip() and len(found) == 1:
                    # not from it alone: the slip is made again below, where nothing was returned
                    text += " and from the same slip at each hidden layer below"
            lines.append(text)
        return lines

    def _hedged(self, origin: diagnosis.Origin) -> bool:
        """Whether the line of an inferred origin adds "or each is wrong in its
        own formula": the node it names is then one story of two."""
        return origin.inferred and self._in_own_formulas(origin.followers)

    def _entering(self) -> tuple:
        """``(nodes, above)`` for the picture: the nodes not returned that the
        diagnosis says an error enters at ("first wrong at dZ1 or above it (dA1),
        not returned"), and the unreturned nodes above them where it may enter
        instead (dA1). Empty where the lines hedge: the numbers cannot tell
        (one error or more), they rule one error out, or the slip may sit in the
        wrong nodes' own formulas."""
        if not self._traced():
            return [], []
        found = self._origins()
        if self._own_formulas_line(found):
            return [], []
        shown = [o for o in found
                 if o.inferred and self._one_error(o) == SHOWN and not self._hedged(o)]
        return [o.node for o in shown], [n for o in shown for n in o.above]

    def _in_own_formulas(self, wrong: Sequence[str]) -> bool:
        """Whether a slip that gives every returned node makes ``wrong`` in their own
        formulas (the 1/m of every dW, db applied twice), not above them."""
        c = self.context
        return c is not None and any(set(wrong) <= slip.nodes(c.L) for slip, _ in self._explained)

    def _every_layer_slip(self) -> bool:
        """Whether the only slip that gives every returned node is one made at
        every hidden layer (one helper or loop body for all of them)."""
        explained = self._explained
        return len(explained) == 1 and explained[0][0].every_hidden_layer

    def likely_slips(self) -> List[slips.Slip]:
        """The classic slips that reproduce the hand's numbers at every returned
        node (``nets.slips``): one, several the case cannot tell apart, or none."""
        return [slip for slip, _ in self._explained]

    @functools.cached_property
    def _explained(self) -> list:
        """The slips that give every returned node (the table, the own-formulas
        line and likely_slips all ask)."""
        if not self._traced():
            return []
        return [(slip, grads) for slip, grads in self._giving_every_node
                if self._made_at_every_layer(slip, grads)]

    def _given(self, names: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
        return {r.name: r.hand for r in self.rows if r.hand is not None and r.compared
                and r.hand_dtype is None
                and (names is None or r.name in names)}

    def _with_right(self, names: Sequence[str]) -> Dict[str, np.ndarray]:
        """The hand's values of ``names`` and of every node whose numbers are
        right, which a slip must keep right: the OK rows, and the WRONG SHAPE
        rows whose numbers are right, in autograd's shape (a transposed dW1
        rules out a slip that changes dW1's numbers, as a right dW1 does)."""
        given = self._given([*names, *self._right()])
        for r in self.rows:
            if r.shape_only and r.name not in given and r.hand_dtype is None:
                given[r.name] = in_autograd_shape(r.hand, r.shape, r.shape_only)
        return given

    def _explain(self, given: Dict[str, np.ndarray]) -> list:
        if self.context is None or not self._traced():
            return []
        c = self.context
        return [(slip, grads) for slip, grads in
                slips.explain(c.values, c.Y, c.hidden, c.L, given, c.agree)
                if self._made_at_every_layer(slip, grads)]

    def _made_at_every_layer(self, slip: slips.Slip, grads: Dict[str, np.ndarray]) -> bool:
        """For a slip made at every layer (layer 0: each hidden layer's, or the
        net's every dW, db), whether the hand's numbers show it at each layer it
        would change: one of its own nodes there (dZ[l]; dA[l] for W[l+1] in
        place of W[l+1]ᵀ; dW[l], db[l] for the net's) comes out as the hand's, or,
        none returned, dW[l] or db[l] does; or a net's 1/m slip gives the hand's
        dW[l] or db[l] from the hand's own dZ[l] (``_from_hand_dZ``: a second error
        above, in dZ[l]). So it is not named for the part of
        the nodes it gives where another layer says otherwise (0.25 (A[2] − Y) at
        m = 1 is 1/n[1] in dW[2], db[2], but W[1], b[1] are not 1/n[0] times
        right: not m read from the rows of A[l-1]), and is named beside a second
        error at one own node (a wrong dW[1] whose db[1] shows it). A slip at
        some layers only is then told layer by layer. Any other slip: True."""
        if slip.layer != 0:
            return True
        c, given = self.context, self._given()

        def fits(n: str) -> bool:
            return n in grads and grads[n].shape == given[n].shape and \
                c.agree(n, grads[n], given[n])

        own = slip.nodes(c.L)
        for l in slip.layers(c.L):
            at = [n for n in own if int(n[2:-1]) == l and n in given] or \
                [n for n in (f"W[{l}]", f"b[{l}]") if n in given]
            if at and not any(fits(n) for n in at) and not self._from_hand_dZ(slip, l, at):
                return False
        return True

    def _from_hand_dZ(self, slip: slips.Slip, l: int, names: Sequence[str]) -> bool:
        """Whether the slip's own dW[l] or db[l] formula (a 1/m of the net's),
        applied to the hand's own dZ[l], gives the hand's dW[l] or db[l]: the
        slip shown at layer l beside a second error above it (A[1] for g′(Z[1])
        with m read from the rows of A[l-1]: W[1], b[1] are (1/n[0]) of the
        hand's dZ[1], not of the right one)."""
        c, given = self.context, self._given()
        dZ = given.get(f"Z[{l}]")
        changes = slip_kinds.KINDS[slip.kind].changes
        mine = [n for n in names if n[0] in "Wb" and n[0] in changes]
        if dZ is None or not mine or dZ.shape != c.values[f"Z[{l}]"].shape:
            return False
        with np.errstate(all="ignore"):
            grads = slips.backward(c.values, c.Y, c.hidden, c.L, slip, start=(f"Z[{l}]", dZ))
        return grads is not None and any(
            grads[n].shape == given[n].shape and c.agree(n, grads[n], given[n]) for n in mine)

    def _one_error(self, origin: diagnosis.Origin) -> str:
        """Whether the numbers show the wrong nodes of an inferred origin (traced
        to a node they share, not returned) come from one error there: SHOWN
        when one slip, made there or in every node it feeds, gives all of them
        (and for an origin that was returned); RULED_OUT when no single gradient
        at that node gives them (``slips.one_error_fits``, or a shape no right
        formula gives); else POSSIBLE (and so are several errors)."""
        if not origin.inferred or self._explain(self._with_right(origin.members)):
            return SHOWN
        if any(self.row(n).verdict == WRONG_SHAPE for n in origin.members):
            # one dZ[l] of a wrong shape may give them, but no numbers can show it
            return POSSIBLE if self._one_shape_fits(origin) else RULED_OUT
        if self.context is None:
            return POSSIBLE
        c = self.context
        fits = slips.one_error_fits(c.values, c.hidden, c.L, origin.node,
                                    self._given(origin.members))
        return RULED_OUT if fits is False else POSSIBLE

    def _one_shape_fits(self, origin: diagnosis.Origin) -> bool:
        """Whether one dZ[l] of a wrong shape, (k, m), could give the members'
        shapes through the right formulas: dW[l] (k, n[l-1]) and db[l] (k, 1),
        one k for both. Nodes below dZ[l] take shapes the right formulas fix
        (dA[l-1] = W[l]ᵀ dZ[l] needs k = n[l])."""
        layer = origin.node[1:]   # "[1]"
        if origin.node[0] not in "ZA" or any(n[0] not in "Wb" or n[1:] != layer
                                             for n in origin.members):
            return False
        rows = set()
        for n in origin.members:
            shape, right = self.row(n).hand_shape, self.row(n).shape
            if shape is None or len(shape) != 2 or shape[1] != right[1]:
                return False   # W's columns and b's single column stay as they were
            rows.add(shape[0])
        return len(rows) == 1

    def _right(self) -> List[str]:
        return [r.name for r in self.rows if r.verdict == OK]

    def _slip_lines(self, found: List[diagnosis.Origin]) -> List[str]:
        """"likely slip: ..." with its evidence: recomputed with the slip, the
        wrong nodes equal the hand's (and the right ones stay right)."""
        if self.context is None or not found:
            return []
        explained = self._explained
        if explained:
            return self._slip_text(explained, self._traced())
        lines, named = [], False
        for members, each in self._slip_parts:
            named = named or bool(each)
            lines += self._slip_text(each, members) or self._shape_only_lines(members) or [
                f"no classic slip gives {diagnosis.join(map(self.label, members))}"]
        if not named:
            # "no slip gives these numbers" is not said of numbers that are right
            wrong = [r.name for r in self.rows if r.verdict in (WRONG, WRONG_SHAPE)]
            shapes = self._shape_only_lines(wrong, every=False)
            others = [n for n in wrong if not self.row(n).shape_only]
            lines = (["no classic slip (a missing 1/m, A for g′(Z), 1 − Z² for 1 − A², "
                      "a transpose, a lost keepdims, a sign) gives "
                      + (diagnosis.join(map(self.label, others)) if shapes else "these numbers")]
                     if others or not shapes else []) + shapes
        return lines

    def _shape_only_lines(self, members: List[str], every: bool = True) -> List[str]:
        """For wrong nodes whose numbers are right in a wrong shape (``every``:
        only when all of ``members`` are): no slip in their formulas, only the shape."""
        rows = [self.row(n) for n in members if self.row(n).shape_only]
        if not rows or every and len(rows) != len(members):
            return []
        return [f"{self.label(r.name)} is the transpose of the right one, {r.hand_shape} for "
                f"{r.shape}: no slip in its formula" if r.shape_only == "transposed"
                else f"{self.label(r.name)} has the right numbers in the shape {r.hand_shape}, "
                f"not {r.shape}: no slip in its formula" for r in rows]

    @functools.cached_property
    def _slip_parts(self) -> List[tuple]:
        """``[(wrong nodes, the slips that give them)]``: all the traced nodes and
        the slips that give every one, or, when none does, by parts: each
        independent error's, and those of a group not shown to be one error."""
        found = self._origins()
        if self.context is None or not found:
            return []
        if self._explained:
            return [(self._traced(), self._explained)]
        parts: List[tuple] = []   # (wrong nodes, the slips that give them)
        for origin in found:
            if self._one_error(origin) != SHOWN:   # not shown to be one error: by parts
                parts += self._parts(origin.members)
            elif len(found) > 1:   # independent errors: one slip each, right nodes kept right
                parts.append((origin.members,
                              self._explain(self._with_right(origin.members))))
        # one slip made at every hidden layer gives a part at each layer: one part
        merged: List[tuple] = []
        for members, each in parts:
            same = next((p for p in merged if len(each) == 1 and len(p[1]) == 1
                         and each[0][0].every_hidden_layer and p[1][0][0] == each[0][0]), None)
            if same is None:
                merged.append((list(members), each))
            else:
                same[0].extend(n for n in members if n not in same[0])
        order = [r.name for r in self.rows]
        return [(sorted(members, key=order.index), each) for members, each in merged]

    def _every_layer_nodes(self) -> set:
        """The wrong nodes a slip made at every hidden layer gives (``_slip_parts``)."""
        return {n for members, each in self._slip_parts for n in members
                if len(each) == 1 and each[0][0].every_hidden_layer}

    def _parts(self, members: List[str]) -> List[tuple]:
        """Split wrong nodes that need not share one error into parts each
        given by one slip (the largest first), right nodes kept right: ``[(part,
        slips)]``, and the nodes no slip gives one by one. Of the slips that
        give a part, those that leave the group's other nodes right are kept
        when there are any (the other nodes' own slips then give them)."""
        left, parts = list(members), []
        while left:
            for size in range(len(left) if len(left) <= 8 else 1, 0, -1):
                hit = next(((list(part), each) for part in combinations(left, size)
                            if (each := self._explain(self._with_right(part)))),
                           None)
                if hit:
                    break
            else:
                parts += [([n], []) for n in left]
                break
            part, each = hit
            others = [n for n in members if n not in part]
            clean = [(slip, grads) for slip, grads in each if all(
                self.context.agree(n, self.row(n).autograd, grads[n]) for n in others
                if n in grads and grads[n].shape == self.row(n).autograd.shape)]
            parts.append((part, clean or each))
            left = [n for n in left if n not in part]
        return sorted(parts, key=lambda p: members.index(p[0][0]))

    def _slip_text(self, explained: list, members: List[str]) -> List[str]:
        if not explained:
            return []
        wrong = diagnosis.join([self.label(n) for n in members])
        whose = "yours" if self.labels else "hand's"
        if len(explained) == 1:
            slip = explained[0][0]
            return [f"likely slip: {self.text(slip.what)} ({self.text(slip.formula)}): "
                    f"recomputed so, {wrong} come{'s' if len(members) == 1 else ''} out "
                    f"as {whose}"] + _other_activation_lines(slip)
        return [f"{wrong} come{'s' if len(members) == 1 else ''} out as {whose} with any of "
                f"{len(explained)} slips (this case cannot tell them apart):"] + \
            [f"  - {self.text(s.what)}: {self.text(s.formula)}" for s, _ in explained]

    def __str__(self) -> str:
        numerical = any(r.numerical_difference is not None for r in self.rows)
        header = (["gradient", "node"] if self.labels else ["node"]) + \
            ["shape", "hand vs autograd"]
        if numerical:
            header.append("autograd vs numerical")
        header.append("verdict")
        rows = []
        for r in self.rows:
            names = [self.label(r.name), str(r.name)] if self.labels else [str(r.name)]
            cells = names + ["-" if r.shape is None else str(r.shape), _number(r.difference)]
            if numerical:
                cells.append(_number(r.numerical_difference))
            cells.append(f"{r.verdict}  {r.note}" if r.note else r.verdict)
            rows.append(cells)
        # names and shapes left-aligned, the differences right-aligned, the verdict last
        numbers = 2 if numerical else 1
        align = "<" * (len(header) - 1 - numbers) + ">" * numbers
        table = text_table(header, rows, align=align, rule=False)
        convention = ("dZ per sample, as the course's dZ2 = A2 − Y" if self.labels
                      else "dZ, dA per sample")
        who = self.hand_name if self.labels else "hand"   # the course's function by its name
        title = (f"check_backprop: {who} vs autograd on m = {self.m} samples "
                 f"(agree below {self.tol:g}; {convention}"
                 + ("; numerical is shown, not judged)" if numerical else ")"))
        return "\n".join([title, table, self.diagnosis()])

    def draw(self, **options: Any) -> "graphviz.Digraph":
        """The graph of J with its gradients, the mismatching nodes highlighted
        (the legend: "returned, wrong").

        Where the diagnosis traces them to a node the hand did not return
        ("first wrong at dZ1 or above it (dA1), not returned"), that node is
        drawn dashed ("not returned, inferred wrong: the error enters here")
        and those above it dotted ("not returned: or the error enters here");
        where it says the numbers cannot tell, nothing more is drawn than the
        mismatches. ``options`` go to ``minigrad.draw`` (``values=True``,
        ``rankdir="TB"``, ...); a ``highlight`` of your own is added to the
        mismatches (the legend: "highlighted by you"; "returned, wrong, or
        highlighted by you" where a returned gradient is wrong)."""
        from minigrad import viz   # graphviz only when a picture is asked for
        # minigrad.draw's options, with their defaults (grads=True): the picture is
        # made by its _digraph, which takes the marks too
        known = {name: p.default for name, p in inspect.signature(viz.draw).parameters.items()
                 if p.kind is p.KEYWORD_ONLY}
        unknown = [k for k in options if k not in known]
        if unknown:
            raise TypeError(f"draw: unknown option {unknown[0]!r}; the options are "
                            f"{', '.join(known)}")
        options = {**known, "grads": True, **options}
        extra = options.pop("highlight")
        extra = [extra] if isinstance(extra, (str, mg.Tensor)) else list(extra)
        inferred, above = self._entering()
        marks = [(inferred, "inferred", "not returned, inferred wrong: the error enters here"),
                 (above, "possible", "not returned: or the error enters here")]
        # the red nodes are the returned gradients that differ and yours, if any: the legend
        # names only what is there (a highlight on a right backprop is no wrong gradient)
        wrong = ", or ".join(text for text, there in [("returned, wrong", self.mismatches),
                                                      ("highlighted by you", extra)] if there)
        return viz._digraph(self.graph.roots, highlight=[*self.mismatches, *extra],
                            marks=[m for m in marks if m[0]], highlighted_as=wrong, **options)


def digits_read_by_slips(report: BackpropReport) -> BackpropReport:
    """``report``, or, where the slips its diagnosis finds for the other wrong
    nodes also give rows it read as float32's digits (``precision.given_by_slips``),
    the report with those rows traced as slips' too: no float32 note, no float32
    paragraph, in "first wrong at ..." and in "recomputed so, ... come out as
    yours". Two passes, so that the slip search never depends on its own
    result: the first without those rows, then, with the rows every slip of a
    group gives, a second, kept only when its slips give them too. Where every
    wrong row was read so (a slip as small as float32's rounding everywhere: the
    course's net at m = 5) and the numbers do not show float32 themselves
    (``float32_shown``), the second pass takes them all, kept only when one
    slip gives every one. Verdicts do not change."""
    c = report.context
    if c is None or not any(r.digits_only for r in report.rows):
        return report
    if report._traced():
        found = [each for _, each in report._slip_parts if each]
        given = precision.given_by_slips(report.rows, found, c.agree)
    elif not report.float32_shown:
        # every wrong row is within float32's rounding, and nothing shows float32: a
        # classic slip that gives them all is the reading (checked in the second pass)
        given = [r.name for r in report.rows if r.digits_only]
    else:
        return report
    if not given:
        return report
    # the note _compare gives a WRONG value within 1e-4 of autograd: none (no factor)
    rows = [replace(r, hand_dtype=None, digits_only=False, note="") if r.name in given else r
            for r in report.rows]
    shown = report.float32_shown or not any(r.digits_only for r in rows)
    again = BackpropReport(rows, report.graph, report.tol, report.m, report.labels,
                           report.hand_name, c, report.kink, shown)
    if not report._traced():   # one slip for them all, or the float32 reading stays
        return again if again._explained else report
    named = {n for members, each in again._slip_parts for n in members if each}
    return again if set(given) <= named else report


class _AbsSlope:
    """|g′(Z[l])| at the net's own Z[l] whatever Z ``slips.backward`` passes:
    with |W|, |A| it bounds the terms of each sum of the backward pass."""

    def __init__(self, activation: activations.Activation, Z: np.ndarray):
        self.activation, self.Z = activation, Z

    def g_prime(self, _: np.ndarray) -> np.ndarray:
        return np.abs(self.activation.g_prime(self.Z))


def in_autograd_shape(hand: np.ndarray, shape: tuple, kind: str) -> np.ndarray:
    """A wrong-shaped hand gradient in autograd's ``shape``, read as ``kind``
    says (NodeCheck.shape_only): transposed, or "as is" (only axes of 1 differ)."""
    return np.transpose(hand) if kind == "transposed" else np.reshape(hand, shape)


def _other_activation_lines(slip: slips.Slip) -> List[str]:
    """Under a slip that is another activation's g′: how to check the formulas
    on a net of that activation, where they may be right (a relu assignment run
    through ``minigrad check``, whose net is tanh unless told)."""
    name = slip.activation
    if name is None:
        return []
    if slip.alpha is not None and name == "leaky_relu":   # the net's α is not the hand's
        alpha = alphas.written(slip.alpha)
        return [f"if your formulas are for α = {alpha}, check them on a net with that α: "
                f"activation=activations.get('leaky_relu', alpha={alpha}) (minigrad check "
                f"--activation leaky_relu --alpha {alpha}; its α is 0.01 unless told)"]
    return [f"if your formulas are for {name}, check them on a net with g = {name}: "
            f"activation='{name}' (minigrad check --activation {name})"]


def _reaches(changed: frozenset, given: Mapping[str, Any]) -> bool:
    """Whether a slip in the formulas of the nodes ``changed`` spoils a node of
    ``given``: one at dZ[l] spoils dW[l], db[l] and every gradient below layer
    l; one at dA[l] dZ[l] too; one at dW[l] or db[l] only itself."""
    for name in given:
        kind, k = name[0], int(name[2:-1])
        for source in changed:
            at, l = source[0], int(source[2:-1])
            below = k < l or (k == l and (kind != "A" or at == "A"))
            if name == source or (at in "ZA" and below):
                return True
    return False


def _number(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.1e}"
