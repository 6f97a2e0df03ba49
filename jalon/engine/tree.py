"""The reporting tree of entities, groupings across it, and lineage between entities.

Entities have a lifetime (valid from, valid to): an entity counts for a period when it
exists on the period's last day, so a merger on 1 January 2017 leaves 2016 to the
predecessors and 2017 to the merged school, and no period counts both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .graphs import describe_cycle, find_cycle
from .periods import Period

_NEVER = np.datetime64("0001-01-01", "D")
_FOREVER = np.datetime64("9999-12-31", "D")


class TreeError(ValueError):
    """A reporting tree that cannot be built: unknown parent, duplicate code or a cycle."""


def _days(dates: Sequence[dt.date | None], missing: np.datetime64) -> np.ndarray:
    return np.array([missing if d is None else np.datetime64(d, "D") for d in dates], dtype="M8[D]")


def _period_ends(periods: Sequence[Period]) -> np.ndarray:
    return np.array([np.datetime64(p.end, "D") for p in periods], dtype="M8[D]")


def _alive(start: np.ndarray, stop: np.ndarray, periods: Sequence[Period]) -> np.ndarray:
    """Return (n, P): whether each [start, stop] interval holds each period's last day."""
    ends = _period_ends(periods)
    return (start[:, None] <= ends[None, :]) & (stop[:, None] >= ends[None, :])


@dataclass(frozen=True)
class _Level:
    """Children at one depth, sorted by parent, ready for np.ufunc.reduceat."""

    children: np.ndarray
    parents: np.ndarray  # distinct parents, in the order of their runs in `children`
    starts: np.ndarray  # where each parent's run of children starts


def _level(children: np.ndarray, parent: np.ndarray) -> _Level:
    order = np.lexsort((children, parent[children]))
    children = children[order]
    par = parent[children]
    starts = np.flatnonzero(np.r_[True, par[1:] != par[:-1]]) if len(par) else np.zeros(0, int)
    return _Level(children, par[starts], starts)


@dataclass(frozen=True, eq=False)
class Tree:
    """Entities in a reporting tree: codes sorted, `parent` index per entity (-1 for a root)."""

    codes: tuple[str, ...]
    parent: np.ndarray
    valid_from: tuple[dt.date | None, ...]
    valid_to: tuple[dt.date | None, ...]

    @classmethod
    def build(
        cls, entities: Iterable[tuple[str, str | None, dt.date | None, dt.date | None]]
    ) -> Tree:
        """Return the tree of `entities` (code, parent code, valid from, valid to), in any order."""
        rows = sorted(entities, key=lambda row: row[0])
        codes = tuple(row[0] for row in rows)
        position = {code: i for i, code in enumerate(codes)}
        if len(position) != len(codes):
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            raise TreeError(f"Entity codes appear more than once: {', '.join(dupes)}")
        for code, parent, _, _ in rows:
            if parent is not None and parent not in position:
                raise TreeError(f"Entity {code} has an unknown parent {parent}")
        cycle = find_cycle(
            {code: [] if parent is None else [parent] for code, parent, _, _ in rows}
        )
        if cycle is not None:
            raise TreeError(f"The reporting tree has a cycle: {describe_cycle(cycle)}")
        parent = np.array([-1 if p is None else position[p] for _, p, _, _ in rows], dtype=int)
        return cls(
            codes,
            parent,
            tuple(row[2] for row in rows),
            tuple(row[3] for row in rows),
        )

    def __len__(self) -> int:
        return len(self.codes)

    @cached_property
    def _position(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    def find(self, code: str) -> int | None:
        """Return the row of entity `code`, or None if the tree has no such entity."""
        return self._position.get(code)

    def index(self, code: str) -> int:
        """Return the row of entity `code`."""
        try:
            return self._position[code]
        except KeyError:
            raise TreeError(f"Unknown entity {code}") from None

    @cached_property
    def depth(self) -> np.ndarray:
        """Return each entity's depth (0 for a root)."""
        depth = np.zeros(len(self.codes), dtype=int)
        current = self.parent.copy()
        # One step up per pass for every entity at once; the tree is acyclic, so it ends.
        while (current >= 0).any():
            depth += current >= 0
            current = np.where(current >= 0, self.parent[np.maximum(current, 0)], -1)
        return depth

    def children(self, i: int) -> np.ndarray:
        """Return the rows of the children of entity row `i`."""
        return np.flatnonzero(self.parent == i)

    def descendants(self, i: int) -> np.ndarray:
        """Return the rows of every entity below row `i`, sorted."""
        inside = np.zeros(len(self.codes), dtype=bool)
        frontier = np.array([i])
        while frontier.size:
            frontier = np.flatnonzero(np.isin(self.parent, frontier))
            inside[frontier] = True
        return np.flatnonzero(inside)

    def ancestors(self, i: int) -> np.ndarray:
        """Return the rows above row `i`, nearest first."""
        out = []
        while self.parent[i] >= 0:
            i = int(self.parent[i])
            out.append(i)
        return np.array(out, dtype=int)

    @cached_property
    def levels(self) -> tuple[_Level, ...]:
        """Return the child-parent links grouped by the child's depth, deepest first."""
        depth = self.depth
        return tuple(
            _level(np.flatnonzero(depth == d), self.parent)
            for d in range(int(depth.max(initial=0)), 0, -1)
        )

    @cached_property
    def links(self) -> _Level:
        """Return every child-parent link at once, sorted by parent."""
        return _level(np.flatnonzero(self.parent >= 0), self.parent)

    @cached_property
    def _lifetimes(self) -> tuple[np.ndarray, np.ndarray]:
        return _days(self.valid_from, _NEVER), _days(self.valid_to, _FOREVER)

    @cached_property
    def _active_cache(self) -> dict[tuple[Period, ...], np.ndarray]:
        return {}

    def active(self, periods: Sequence[Period]) -> np.ndarray:
        """Return (E, P) bool: whether each entity exists on each period's last day."""
        key = tuple(periods)
        found = self._active_cache.get(key)
        if found is None:
            found = _alive(*self._lifetimes, periods)
            found.flags.writeable = False  # shared between callers: nobody may change it
            self._active_cache[key] = found
        return found


@dataclass(frozen=True)
class Grouping:
    """A cross-cutting set of entities (a regional consortium), each member with its interval."""

    code: str
    members: tuple[tuple[str, dt.date | None, dt.date | None], ...]

    def active(self, tree: Tree, periods: Sequence[Period]) -> tuple[np.ndarray, np.ndarray]:
        """Return (member rows, (m, P) bool): membership valid at each period's end and the
        member entity itself active then."""
        members = sorted(self.members, key=lambda m: (m[0], m[1] or dt.date.min))
        rows = np.array([tree.index(code) for code, _, _ in members], dtype=int)
        if not members:
            return rows, np.zeros((0, len(periods)), dtype=bool)
        joined = _alive(
            _days([m[1] for m in members], _NEVER),
            _days([m[2] for m in members], _FOREVER),
            periods,
        )
        return rows, joined & tree.active(periods)[rows]


@dataclass(frozen=True)
class Lineage:
    """A link from a predecessor entity to its successor on a date (merger, rename, split).

    `share` is the fraction of the predecessor that went to the successor: 1.0 for a
    merger or a rename, less for a split.
    """

    predecessor: str
    successor: str
    on: dt.date
    share: float = 1.0
