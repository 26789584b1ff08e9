"""Where a wrong gradient comes from: the lines under ``check_backprop``'s table.

Backprop computes each node's gradient from the gradients of the nodes that
use it (W[1]'s from Z[1]'s, Z[1]'s from A[1]'s, ...): its *sources*. So

- a wrong node *follows from* an earlier wrong node only along a path of
  sources that is not right in between: with dZ[2] wrong but dA[1] and dZ[1]
  right, a wrong db[1] is an error of its own;
- wrong nodes whose sources were not returned (the course returns only dW,
  db) are traced up to the lowest node they all come from where every
  returned node it feeds is wrong: wrong dW[1] and db[1] with right dW[2]
  and db[2] may come from one wrong dZ[1] (an ``inferred`` origin).
  A right node whose gradient cannot move with that node's (a zero weight or
  slope on the way) does not count: any error there would leave it right.
  One that rules a node out does not stop the trace: a node above may be cut
  off from it (a right dA[1] rules out an error at dZ[2], not at dA[2] when
  each unit of layer 2 has a zero slope g′(Z[2]) or a zero row in W[2]).

An inferred origin is where ONE error would enter, not a finding: two slips
(one in dW[1], one in db[1]) give the same statuses. The report tells them
apart with the numbers (``nets.report``): one error when one slip gives all
the members, more than one when no single gradient at the node gives them
(``nets.slips.one_error_fits``), else it says the numbers cannot tell.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import minigrad as mg

__all__ = ["Origin", "sources", "origins"]

WRONG, RIGHT, UNSEEN = "wrong", "right", "unseen"   # what the check says of a node


@dataclass
class Origin:
    """Where one error enters (``node``) and the wrong nodes it explains
    (``members``, in backward order). ``inferred``: ``node`` was not returned,
    and ``above`` lists the unreturned nodes higher up where it may enter too."""
    node: str
    members: List[str]
    inferred: bool = False
    above: List[str] = field(default_factory=list)

    @property
    def followers(self) -> List[str]:
        """The members that follow from ``node`` (all of them when inferred)."""
        return [n for n in self.members if n != self.node]


def sources(named: Mapping[str, mg.Tensor], roots: Sequence[mg.Tensor],
            loss: mg.Tensor) -> Dict[str, List[str]]:
    """``{node: the named nodes that use it}``, through unnamed ops (``<matmul>``);
    the loss is left out (its gradient is the seed, never wrong)."""
    name_of = {id(t): k for k, t in named.items() if t is not loss}
    users: Dict[int, list] = {}
    for root in roots:
        for t in mg.topological_order(root):
            for p in t.parents:
                if t not in users.setdefault(id(p), []):
                    users[id(p)].append(t)
    found = {}
    for name, t in named.items():
        out: List[str] = []
        stack, seen = list(users.get(id(t), [])), set()
        while stack:
            u = stack.pop()
            if id(u) in seen or u is loss:
                continue
            seen.add(id(u))
            if id(u) in name_of:
                out.append(name_of[id(u)])
            else:
                stack.extend(users.get(id(u), []))
        found[name] = sorted(set(out))
    return found


def origins(wrong: Sequence[str], status: Mapping[str, str],
            flow: Mapping[str, List[str]],
            follows: Optional[Callable[[str, str], Optional[bool]]] = None,
            blind: Optional[Callable[[str, str], bool]] = None) -> List[Origin]:
    """Group the ``wrong`` nodes (in backward order) by where their error enters.

    ``status[node]`` is WRONG, RIGHT or UNSEEN (not returned, or no gradient);
    ``flow`` is ``sources``. ``follows(top, node)``, when given, checks the
    numbers: False when ``node``'s value is not what the right formulas give
    from the values above it (it has an error of its own, and starts a group
    of its own), None when it cannot tell. ``blind(up, node)``, when given:
    True when ``node``'s gradient does not move with ``up``'s at all (a zero
    weight or slope in between), so that a right ``node`` rules out no error at
    ``up``.
    """
    state = lambda n: status.get(n, UNSEEN)  # noqa: E731
    check = follows or (lambda top, node: None)
    unmoved = blind or (lambda up, node: False)
    users_of: Dict[str, List[str]] = {}
    for node, ups in flow.items():
        for up in ups:
            users_of.setdefault(up, []).append(node)

    def reaches(top: str, node: str) -> bool:
        """A path of sources from ``node`` up to ``top``, nothing right in between."""
        stack, seen = [node], set()
        while stack:
            n = stack.pop()
            for up in flow.get(n, []):
                if up == top:
                    return True
                if up not in seen and state(up) != RIGHT:
                    seen.add(up)
                    stack.append(up)
        return False

    def fed(node: str) -> List[str]:
        """The returned nodes whose gradients come from ``node`` through unseen ones."""
        out, stack, seen = [], [node], {node}
        while stack:
            for n in users_of.get(stack.pop(), []):
                if n in seen:
                    continue
                seen.add(n)
                (stack if state(n) == UNSEEN else out).append(n)
        return out

    def explains(top: str, node: str) -> bool:
        return reaches(top, node) and check(top, node) is not False

    groups: List[tuple] = []   # (members, unseen chain above the first member)
    for name in wrong:
        for members, chain in groups:
            if any(explains(top, name) for top in [*members, *chain]):
                members.append(name)
                break
        else:
            chain, node = [], name
            while len(flow.get(node, [])) == 1:
                up = flow[node][0]
                reached = fed(up)
                if state(up) != UNSEEN or not reached:
                    break
                # a right node that an error at up would move rules up out, not the
                # nodes above it: a zero slope between may cut that node off from them
                if all(state(n) == WRONG or unmoved(up, n) for n in reached):
                    chain.append(up)
                node = up
            groups.append(([name], chain))
    found = []
    for members, chain in groups:
        # the members no other member explains; two or more of them meet in the
        # chain: the error enters there (one alone is no evidence of anything above it)
        roots = [n for n in members if not any(explains(o, n) for o in members if o != n)]
        shared = [c for c in chain if all(explains(c, r) for r in roots)] \
            if len(roots) > 1 else []
        if shared:
            low = shared[0]
            found.append(Origin(low, members, True, chain[chain.index(low) + 1:]))
        else:
            found.append(Origin(members[0], members))
    return found


def join(names: Iterable[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
