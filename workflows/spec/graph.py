"""Graph facts used by validation: reachability, ancestors, cycles that cannot be left."""

from __future__ import annotations

from collections.abc import Mapping


def reachable(start: str, successors: Mapping[str, set[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in successors.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def ancestors(node: str, successors: Mapping[str, set[str]]) -> set[str]:
    """Nodes that can run before ``node``; includes ``node`` itself when it sits on a cycle."""
    return {n for n in successors if any(node in reachable(s, successors) for s in successors[n])}


def strongly_connected(successors: Mapping[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative so deep graphs cannot exhaust the stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[set[str]] = []
    counter = 0
    for root in successors:
        if root in index:
            continue
        work = [(root, iter(sorted(successors[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(successors.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                out.append(component)
    return out


def cycles_without_exit(successors: Mapping[str, set[str]], deciders: set[str]) -> list[set[str]]:
    """Cycles no run can leave: no edge out of them, or no node in them that decides."""
    stuck = []
    for component in strongly_connected(successors):
        cyclic = len(component) > 1 or any(n in successors.get(n, ()) for n in component)
        if not cyclic:
            continue
        leaves = any(t not in component for n in component for t in successors.get(n, ()))
        if not leaves or not (component & deciders):
            stuck.append(component)
    return stuck
