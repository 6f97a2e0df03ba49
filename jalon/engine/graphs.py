"""Directed graphs given as mappings from a node to the nodes it points to.

Used for the reporting tree (entity → parent) and for indicator dependencies
(indicator → its operands). Every walk goes in sorted order so that the same graph
always yields the same cycle and the same order, whatever order it was built in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class CycleError(ValueError):
    """A graph that must be acyclic has a cycle; `cycle` lists it, first node repeated."""

    def __init__(self, message: str, cycle: list[str]):
        super().__init__(message)
        self.cycle = cycle


def _normalise(graph: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    nodes: dict[str, list[str]] = {}
    for node, targets in graph.items():
        nodes.setdefault(node, [])
        nodes[node] = sorted(set(nodes[node]) | set(targets))
        for target in nodes[node]:
            nodes.setdefault(target, [])
    return nodes


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Return one cycle as a list of nodes with the first repeated at the end, or None.

    Nodes only named as targets count as nodes without edges. The search starts from
    the smallest node and follows edges in sorted order, so the answer is deterministic.
    """
    nodes = _normalise(graph)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = fully explored
    for root in sorted(nodes):
        if state.get(root):
            continue
        # Iterative depth-first search: deep trees must not hit the recursion limit.
        path: list[str] = [root]
        iters = [iter(nodes[root])]
        state[root] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(nodes[nxt]))
    return None


def describe_cycle(cycle: list[str]) -> str:
    """Return a cycle written for people: "A → B → A"."""
    return " → ".join(cycle)


def topological_order(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Return every node after the nodes it points to (dependencies first), ties sorted.

    Raises CycleError naming the cycle when there is no such order.
    """
    cycle = find_cycle(graph)
    if cycle is not None:
        raise CycleError(f"cycle: {describe_cycle(cycle)}", cycle)
    nodes = _normalise(graph)
    order: list[str] = []
    done: set[str] = set()
    for root in sorted(nodes):
        stack = [(root, iter(nodes[root]))]
        if root in done:
            continue
        done.add(root)
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                order.append(node)
                stack.pop()
            elif nxt not in done:
                done.add(nxt)
                stack.append((nxt, iter(nodes[nxt])))
    return order


def dependents(graph: Mapping[str, Iterable[str]], nodes: Iterable[str]) -> set[str]:
    """Return ``nodes`` and every node that points to one of them, directly or not."""
    pointed: dict[str, set[str]] = {}
    for node, targets in graph.items():
        for target in targets:
            pointed.setdefault(target, set()).add(node)
    found = set(nodes)
    stack = list(found)
    while stack:
        for node in pointed.get(stack.pop(), ()):
            if node not in found:
                found.add(node)
                stack.append(node)
    return found
