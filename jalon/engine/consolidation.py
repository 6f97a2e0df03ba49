"""Consolidation of entity figures up the reporting tree and over groupings.

The figure of record at an entity is its own entered value where it has one, and the
consolidation of its children's figures otherwise. An entity's own figure is its
audited total; the children's consolidation may be partial (a school that has not
reported yet), and `reporting` / `expected` (k of n children) say how partial. When
both exist and differ, the difference is flagged in `discrepancy`, never hidden and
never silently resolved: both figures stay available (`own`, `children`).

Arrays are (..., E, P): any leading dimensions (breakdown members, scenarios), then
entities in tree order, then periods. An entity counts for a period only while it
exists (Tree.active); an inactive entity's entered value is kept in `own` but counts
nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .arrays import as_float, safe_divide
from .graphs import topological_order
from .periods import Period
from .tree import Grouping, Lineage, Tree, _Level


class Across(StrEnum):
    """How an indicator's figures combine across entities."""

    SUM = "sum"
    RATIO_OF_SUMS = "ratio_of_sums"
    WEIGHTED_MEAN = "weighted_mean"
    MIN = "min"
    MAX = "max"
    NONE = "none"


@dataclass
class Consolidated:
    """Consolidated figures, (..., E, P) unless said otherwise."""

    value: np.ndarray  # figure of record: own where entered, else children
    own: np.ndarray  # entered values, as given
    children: np.ndarray  # consolidation of the children's figures (NaN for leaves)
    reporting: np.ndarray  # active children with a figure (int)
    expected: np.ndarray  # active children, (E, P) int
    discrepancy: np.ndarray  # own and children both present and differing (bool)
    numerator: np.ndarray | None = None  # for a ratio of sums: the consolidated parts
    denominator: np.ndarray | None = None

    @property
    def partial(self) -> np.ndarray:
        """Return where a figure is a total some members' figures are still missing from
        (no figure of the entity's own, fewer members reporting than expected)."""
        expected = np.broadcast_to(self.expected, self.reporting.shape)
        return np.isnan(self.own) & (expected > 0) & (self.reporting < expected)

    def expected_at(self, row: int, column: int) -> int:
        """Return how many members are expected to report at one entity and period."""
        return int(np.broadcast_to(self.expected, self.reporting.shape)[row, column])

    def partial_row(self, row: int) -> list[bool]:
        """Return `partial` at one entity, for every period, reading only that row."""
        expected = np.broadcast_to(self.expected, self.reporting.shape)[row]
        own, reporting = self.own[row], self.reporting[row]
        return (np.isnan(own) & (expected > 0) & (reporting < expected)).tolist()

    @property
    def coverage(self) -> np.ndarray:
        """Return reporting / expected (NaN where no child is expected)."""
        return safe_divide(self.reporting, np.broadcast_to(self.expected, self.reporting.shape))


def _lead(x: np.ndarray, tree: Tree, periods: Sequence[Period], name: str) -> np.ndarray:
    """Return `x` as (L, E, P), checking its last two dimensions."""
    x = as_float(x)
    if x.ndim < 2 or x.shape[-2:] != (len(tree), len(periods)):
        raise ValueError(
            f"{name} has shape {x.shape}: expected (..., {len(tree)} entities, {len(periods)} periods)"
        )
    return x.reshape((-1, *x.shape[-2:]))


def _reduce(ufunc: np.ufunc, x: np.ndarray, level: _Level, axis: int) -> np.ndarray:
    return ufunc.reduceat(x, level.starts, axis=axis)


def _differ(own: np.ndarray, other: np.ndarray, tolerance: float) -> np.ndarray:
    both = ~np.isnan(own) & ~np.isnan(other)
    gap = np.abs(np.where(both, own - other, 0.0))
    scale = np.maximum(np.abs(np.where(both, own, 0.0)), np.abs(np.where(both, other, 0.0)))
    return both & (gap > tolerance * scale)


def _combine(
    rule: Across, x: np.ndarray, present: np.ndarray, w: np.ndarray | None, level: _Level
) -> tuple[np.ndarray, np.ndarray]:
    """Return (children figure, reporting) for the parents of `level` (L, n_parents, P)."""
    if rule is Across.WEIGHTED_MEAN:
        # A child counts with a figure and a positive weight: a zero weight adds nothing,
        # and a mean over nothing is no data, not a reporting child.
        present = present & ~np.isnan(w) & (np.nan_to_num(w) > 0)
        sw = _reduce(np.add, np.where(present, w, 0.0), level, 1)
        swx = _reduce(np.add, np.where(present, w * x, 0.0), level, 1)
        count = _reduce(np.add, present.astype(int), level, 1)
        return safe_divide(swx, np.where(count > 0, sw, np.nan)), count
    count = _reduce(np.add, present.astype(int), level, 1)
    if rule is Across.SUM:
        out = _reduce(np.add, np.where(present, x, 0.0), level, 1)
    elif rule is Across.MIN:
        out = _reduce(np.minimum, np.where(present, x, np.inf), level, 1)
    elif rule is Across.MAX:
        out = _reduce(np.maximum, np.where(present, x, -np.inf), level, 1)
    else:  # NONE: coverage still tells who reported, but nothing is combined.
        out = np.full(count.shape, np.nan)
    return np.where(count > 0, out, np.nan), count


def consolidate(
    own: np.ndarray,
    tree: Tree,
    periods: Sequence[Period],
    rule: Across,
    *,
    weights: np.ndarray | None = None,
    tolerance: float = 0.005,
) -> Consolidated:
    """Return the figures of `own` (..., E, P) consolidated bottom-up by `rule`.

    - SUM: sum of the children's figures; NaN when no child has one (0 stays 0).
    - WEIGHTED_MEAN: Σ w·x / Σ w over children with a figure and a positive weight;
      `weights` is the weight indicator's consolidated figure, same shape as `own`.
    - MIN / MAX: over the children's figures.
    - NONE: nothing is consolidated; the figure of record is the own value.
    - RATIO_OF_SUMS needs its parts: use consolidate_ratio.

    `discrepancy` flags own and children figures differing by more than `tolerance`,
    relative to the larger of the two.
    """
    rule = Across(rule)
    if rule is Across.RATIO_OF_SUMS:
        raise ValueError("A ratio of sums is consolidated from its parts: use consolidate_ratio()")
    if rule is Across.WEIGHTED_MEAN and weights is None:
        raise ValueError("A weighted mean needs the weights")
    shape = np.shape(own)
    own3 = _lead(own, tree, periods, "own")
    w3 = (
        None
        if weights is None
        else np.broadcast_to(_lead(weights, tree, periods, "weights"), own3.shape)
    )
    active = tree.active(periods)
    own_active = np.where(active, own3, np.nan)
    value = own_active.copy()
    children = np.full(own3.shape, np.nan)
    reporting = np.zeros(own3.shape, dtype=np.int32)  # counts of members: 4 bytes do
    expected = np.zeros(active.shape, dtype=np.int32)
    for level in tree.levels:  # deepest first, so children are final before their parent
        kids, parents = level.children, level.parents
        x = value[:, kids, :]
        present = ~np.isnan(x) & active[kids]
        w = None if w3 is None else w3[:, kids, :]
        children[:, parents, :], reporting[:, parents, :] = _combine(rule, x, present, w, level)
        expected[parents, :] = _reduce(np.add, active[kids].astype(int), level, 0)
        mine = own_active[:, parents, :]
        value[:, parents, :] = np.where(np.isnan(mine), children[:, parents, :], mine)
    value = np.where(active, value, np.nan)
    return Consolidated(
        value=value.reshape(shape),
        own=as_float(own).copy(),
        children=children.reshape(shape),
        reporting=reporting.reshape(shape),
        expected=expected,
        discrepancy=_differ(own_active, children, tolerance).reshape(shape),
    )


def flagged_up(flags: np.ndarray, tree: Tree, periods: Sequence[Period]) -> np.ndarray:
    """Return where each entity's figure rests on a flagged one (bool, like ``flags``).

    ``flags`` (..., E, P): 1 where an entity entered a flagged figure, 0 an unflagged one,
    NaN none. An entity's own flag where it entered a figure, else whether any of its
    active members' does: `consolidate` by MAX, without what it says besides the value.
    """
    shape = np.shape(flags)
    own = _lead(flags, tree, periods, "flags")
    active = tree.active(periods)
    own = np.where(active, own, np.nan)
    value = own.copy()
    for level in tree.levels:  # deepest first, so children are final before their parent
        x = value[:, level.children, :]
        present = ~np.isnan(x) & active[level.children]
        up = _reduce(np.maximum, np.where(present, x, -np.inf), level, 1)
        up = np.where(_reduce(np.logical_or, present, level, 1), up, np.nan)
        mine = own[:, level.parents, :]
        value[:, level.parents, :] = np.where(np.isnan(mine), up, mine)
    return (np.nan_to_num(np.where(active, value, np.nan)) > 0).reshape(shape)


def _count_children(present: np.ndarray, tree: Tree, active: np.ndarray) -> np.ndarray:
    """Return (L, E, P): active children of each entity for which `present` holds."""
    out = np.zeros(present.shape, dtype=int)
    links = tree.links
    if links.children.size:
        hits = (present[:, links.children, :] & active[links.children]).astype(int)
        out[:, links.parents, :] = _reduce(np.add, hits, links, 1)
    return out


def reporters_below(
    value: np.ndarray,
    own: np.ndarray,
    tree: Tree,
    active: np.ndarray,
    *,
    tops: np.ndarray | None = None,
    seen: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    fresh: np.ndarray | None = None,
) -> np.ndarray:
    """Return (E, P): the members below each entity (not itself) whose figure a total of
    theirs rests on, and which the reader does not see.

    A member counts if it has a figure of its own making — a member without members of
    its own with a figure, or any member that reported its own total — unless a member
    above it (``tops`` aside: the totals being judged) reported its own total, which then
    stands in for its members' figures. ``seen`` (E,) bool: members the reader sees whole
    (their own entity and below), which count for nothing — the total less what they see
    must rest on enough others. ``weights``: for a weighted mean, a member weighing
    nothing counts for nothing. ``fresh`` (E, P) bool: figures reported for the period,
    not carried forward from an earlier one (a carried figure is known already: a total of
    it and one new figure gives the new one away). A member counts only while the members
    above it are active, as a consolidation leaves out what lies below an inactive one.
    """
    leaf = _count_children(np.ones((1, *value.shape), bool), tree, active)[0] == 0
    has_own = ~np.isnan(own) & active
    stands_in = has_own.copy()
    if tops is not None:
        stands_in[tops] = False
    covered = np.zeros(value.shape, dtype=bool)  # a member above reported its own total
    depth = tree.depth
    deepest = int(depth.max(initial=0))
    for level in range(1, deepest + 1):
        rows = np.flatnonzero(depth == level)
        up = tree.parent[rows]
        covered[rows] = covered[up] | stands_in[up]
    reporting = ~np.isnan(value) & active & (leaf | has_own) & ~covered
    if weights is not None:
        reporting &= np.nan_to_num(weights) > 0
    if seen is not None:
        reporting &= ~np.asarray(seen, dtype=bool)[:, None]
    if fresh is not None:
        reporting &= fresh
    reporting = reporting.astype(np.int32)
    below = np.zeros(value.shape, dtype=np.int32)
    for level in range(deepest, 0, -1):
        rows = np.flatnonzero(depth == level)
        counted = (reporting[rows] + below[rows]) * active[rows]
        np.add.at(below, tree.parent[rows], counted)
    return below


def consolidate_ratio(
    numerator_own: np.ndarray,
    denominator_own: np.ndarray,
    tree: Tree,
    periods: Sequence[Period],
    *,
    own_ratio: np.ndarray | None = None,
    tolerance: float = 0.005,
) -> Consolidated:
    """Return a ratio consolidated as a ratio of sums: Σ numerator / Σ denominator.

    Numerator and denominator are each consolidated by SUM; the ratio at each entity is
    its numerator figure over its denominator figure (NaN where the denominator is 0 or
    missing). An entity that reported the ratio itself (`own_ratio`) keeps it as its
    figure of record, and a difference with numerator / denominator is flagged.
    `children` is the ratio of the children's sums.
    """
    num = consolidate(numerator_own, tree, periods, Across.SUM, tolerance=tolerance)
    den = consolidate(denominator_own, tree, periods, Across.SUM, tolerance=tolerance)
    from_parts = safe_divide(num.value, den.value)
    shape = from_parts.shape
    own = (
        np.full(shape, np.nan) if own_ratio is None else np.broadcast_to(as_float(own_ratio), shape)
    )
    active = tree.active(periods)
    own_active = np.where(active, own, np.nan)
    value = np.where(np.isnan(own_active), from_parts, own_active)
    both = ~np.isnan(num.value) & ~np.isnan(den.value)
    reporting = _count_children(_lead(both, tree, periods, "parts") > 0, tree, active)
    return Consolidated(
        value=np.where(active, value, np.nan),
        own=own.copy(),
        children=safe_divide(num.children, den.children),
        reporting=reporting.reshape(shape),
        expected=num.expected,
        discrepancy=_differ(own_active, from_parts, tolerance),
        numerator=num.value,
        denominator=den.value,
    )


def consolidate_groupings(
    figures: np.ndarray,
    tree: Tree,
    groupings: Sequence[Grouping],
    periods: Sequence[Period],
    rule: Across,
    *,
    weights: np.ndarray | None = None,
    numerator: np.ndarray | None = None,
    denominator: np.ndarray | None = None,
) -> Consolidated:
    """Return the members' figures of record consolidated per grouping, (..., G, P).

    Groupings follow the order given. A member counts for a period when its membership
    is valid at the period's end and the entity is active then. The same rules as
    `consolidate` apply; a ratio of sums needs `numerator` and `denominator` (the
    entities' figures of record of the parts). Groupings have no entered values, so
    `own` and `children` are NaN and `discrepancy` is False; `expected` counts the
    active members. A grouping that holds both an entity and its parent counts that
    entity twice: keep groupings to one level of the tree.
    """
    rule = Across(rule)
    fig = _lead(figures, tree, periods, "figures")
    n_groups = len(groupings)
    mask = np.zeros((n_groups, len(tree), len(periods)), dtype=bool)
    for g, grouping in enumerate(groupings):
        rows, alive = grouping.active(tree, periods)
        mask[g, rows, :] |= alive

    def gsum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        present = mask[None] & ~np.isnan(x)[:, None]  # (L, G, E, P)
        total = np.where(present, x[:, None], 0.0).sum(axis=2)
        count = present.sum(axis=2)
        return np.where(count > 0, total, np.nan), count

    num_out = den_out = None
    if rule is Across.RATIO_OF_SUMS:
        if numerator is None or denominator is None:
            raise ValueError("A ratio of sums needs the numerator and denominator figures")
        num_out, n_count = gsum(_lead(numerator, tree, periods, "numerator"))
        den_out, d_count = gsum(_lead(denominator, tree, periods, "denominator"))
        value = safe_divide(num_out, den_out)
        both = ~np.isnan(_lead(numerator, tree, periods, "numerator")) & ~np.isnan(
            _lead(denominator, tree, periods, "denominator")
        )
        reporting = (mask[None] & both[:, None]).sum(axis=2)
    elif rule is Across.SUM:
        value, reporting = gsum(fig)
    elif rule is Across.WEIGHTED_MEAN:
        if weights is None:
            raise ValueError("A weighted mean needs the weights")
        w = np.broadcast_to(_lead(weights, tree, periods, "weights"), fig.shape)
        ok = ~np.isnan(w) & ~np.isnan(fig)
        swx, reporting = gsum(np.where(ok, w * fig, np.nan))
        sw, _ = gsum(np.where(ok, w, np.nan))
        value = safe_divide(swx, sw)
    elif rule in (Across.MIN, Across.MAX):
        present = mask[None] & ~np.isnan(fig)[:, None]
        fill = np.inf if rule is Across.MIN else -np.inf
        reduce = np.min if rule is Across.MIN else np.max
        value = reduce(np.where(present, fig[:, None], fill), axis=2)
        reporting = present.sum(axis=2)
        value = np.where(reporting > 0, value, np.nan)
    else:
        reporting = (mask[None] & ~np.isnan(fig)[:, None]).sum(axis=2)
        value = np.full(reporting.shape, np.nan)
    lead = np.shape(figures)[:-2]
    out_shape = (*lead, n_groups, len(periods))
    nan = np.full(out_shape, np.nan)
    return Consolidated(
        value=value.reshape(out_shape),
        own=nan,
        children=nan.copy(),
        reporting=reporting.reshape(out_shape),
        expected=mask.sum(axis=1),
        discrepancy=np.zeros(out_shape, dtype=bool),
        numerator=None if num_out is None else num_out.reshape(out_shape),
        denominator=None if den_out is None else den_out.reshape(out_shape),
    )


def pro_forma(
    figures: np.ndarray, tree: Tree, lineages: Sequence[Lineage], periods: Sequence[Period]
) -> np.ndarray:
    """Return `figures` (..., E, P) with each successor's series extended back pro forma.

    Before a lineage's date, where the successor did not exist yet and has no figure of
    its own, its figure is Σ share × predecessor figure. If any predecessor lacks a
    figure for that period the result stays NaN: a partial sum would look like a fall
    that never happened. Chains (A → B → C) are followed in order. Only meaningful for
    additive indicators; the caller decides when to apply it.
    """
    out = as_float(figures).copy()
    if not lineages:
        return out
    active = tree.active(periods)
    ends = np.array([np.datetime64(p.end, "D") for p in periods])
    by_successor: dict[str, list[Lineage]] = {}
    for link in lineages:
        by_successor.setdefault(link.successor, []).append(link)
    order = topological_order(
        {s: [x.predecessor for x in links] for s, links in by_successor.items()}
    )
    for successor in order:
        links = by_successor.get(successor)
        if not links:
            continue
        s = tree.index(successor)
        total = np.zeros(out.shape[:-2] + out.shape[-1:])
        complete = np.ones(total.shape, dtype=bool)
        before = np.ones(len(periods), dtype=bool)
        for link in sorted(links, key=lambda x: x.predecessor):
            part = out[..., tree.index(link.predecessor), :]
            complete &= ~np.isnan(part)
            total = total + link.share * np.where(np.isnan(part), 0.0, part)
            before &= ends < np.datetime64(link.on, "D")
        fill = before & ~active[s] & np.isnan(out[..., s, :]) & complete
        out[..., s, :] = np.where(fill, total, out[..., s, :])
    return out
