"""The full evaluation of a plan: every indicator at every entity and period.

Plain records in (tree, indicators, values, targets), arrays out: figures of record,
trajectories, statuses, forecasts and growth rates. The CLI status table, the cached
pages and the benchmark all go through `evaluate`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .consolidation import (
    Across,
    Consolidated,
    _count_children,
    _differ,
    consolidate,
    consolidate_groupings,
    consolidate_ratio,
    flagged_up,
    pro_forma,
    reporters_below,
)
from .forecast import Forecast, forecast, historical_growth, required_growth, trend
from .formula import Formula, formula_name, lookup
from .graphs import CycleError, dependents, describe_cycle, topological_order
from .periods import Frequency, Period
from .status import Polarity, Statuses, Thresholds, assess
from .timeagg import OverTime, carry_forward, running_total
from .trajectory import Shape, trajectory_at
from .tree import Grouping, Lineage, Tree

SHAPES = tuple(Shape)
KINDS = ("amount", "ratio", "weighted_average", "formula", "qualitative")


@dataclass(frozen=True)
class IndicatorSpec:
    """What the engine needs to know about an indicator."""

    code: str
    frequency: Frequency
    start_month: int = 9
    kind: str = "amount"
    across: Across = Across.SUM
    over_time: OverTime = OverTime.FLOW
    polarity: Polarity = Polarity.UP
    numerator: str | None = None
    denominator: str | None = None
    weight: str | None = None
    formula: str | None = None
    thresholds: Thresholds = Thresholds()  # frozen, so a shared default is safe
    band_low: float | None = None
    band_high: float | None = None
    low: float | None = None  # the lowest figure the indicator can take (a count: 0)
    high: float | None = None  # the highest (a share: 100 %)
    carry_forward: int = 0  # a stock: periods a member's last figure may stand in for a gap
    breaks: tuple[Period, ...] = ()  # breaks in series: the first period measured anew

    def operands(self) -> list[str]:
        """Return the codes of the indicators this one is computed from."""
        names = [self.numerator, self.denominator, self.weight]
        if self.kind == "formula" and self.formula:
            names += sorted(Formula.parse(self.formula).names)
        return sorted({n for n in names if n})


@dataclass(frozen=True)
class TargetSpec:
    """A target for an indicator at an entity, from one source document."""

    indicator: str
    entity: str
    baseline_period: Period
    baseline_value: float | None  # None: the measured figure of record at that period
    target_value: float | None
    target_relative: float | None  # 0.60 for +60 % of the baseline
    target_period: Period
    shape: Shape = Shape.LINEAR
    milestones: tuple[tuple[Period, float], ...] = ()
    primary: bool = True
    document: str = ""


@dataclass(frozen=True, eq=False)
class TargetTable:
    """Targets as columns, one row per target: what `evaluate` reads.

    `from_specs` builds it from TargetSpec records. A reader with a target per entity and
    indicator (a hundred thousand in a large federation) builds the columns directly,
    without a Python object per target. Period columns index into `periods`; a NaN
    baseline value means "the measured figure at the baseline period".
    """

    periods: tuple[Period, ...]
    indicator: np.ndarray  # codes
    entity: np.ndarray  # codes
    primary: np.ndarray  # bool
    baseline_period: np.ndarray  # int, into `periods`
    baseline_value: np.ndarray  # float, NaN: measured
    target_value: np.ndarray  # float, NaN: relative
    target_relative: np.ndarray  # float, NaN: absolute
    target_period: np.ndarray  # int, into `periods`
    shape: np.ndarray  # Shape values, as text
    milestones: tuple[tuple[tuple[Period, float], ...], ...]  # per row, mostly empty
    document: np.ndarray  # codes

    def __len__(self) -> int:
        return len(self.indicator)

    @functools.cached_property
    def shape_codes(self) -> np.ndarray:
        """Return each target's shape as its index in SHAPES; raise on an unknown shape."""
        known = {shape.value: k for k, shape in enumerate(SHAPES)}
        unknown = set(self.shape.tolist()) - set(known)
        if unknown:
            raise ValueError(f"Unknown trajectory shape: {', '.join(sorted(unknown))}")
        return np.fromiter(map(known.__getitem__, self.shape.tolist()), dtype=int, count=len(self))

    @functools.cached_property
    def rows_per_indicator(self) -> dict[str, np.ndarray]:
        """Return the rows of each indicator's targets."""
        rows: dict[str, list[int]] = {}
        for k, code in enumerate(self.indicator.tolist()):
            rows.setdefault(code, []).append(k)
        return {code: np.array(found, dtype=int) for code, found in rows.items()}

    def entity_rows(self, codes: Sequence[str]) -> np.ndarray:
        """Return each target's entity as its row among ``codes`` (a tree's), worked out
        once per tree; raise ValueError naming an entity that is not there."""
        key = tuple(codes)
        memo = self.__dict__.setdefault("_entity_rows", {})
        if key not in memo:
            row = {code: i for i, code in enumerate(codes)}
            try:
                found = np.fromiter(
                    (row[c] for c in self.entity.tolist()), dtype=int, count=len(self)
                )
            except KeyError as error:
                raise ValueError(f"A target refers to unknown entity {error.args[0]}") from None
            memo.clear()  # one tree at a time: a table belongs to one plan
            memo[key] = found
        return memo[key]

    @functools.cached_property
    def stepped(self) -> np.ndarray:
        """Return whether each target goes through milestones of its own."""
        return np.fromiter(map(bool, self.milestones), dtype=bool, count=len(self))

    @classmethod
    def from_specs(cls, specs: Sequence[TargetSpec]) -> TargetTable:
        """Return the table of `specs`."""
        periods = sorted({p for t in specs for p in (t.baseline_period, t.target_period)})
        index = {p: k for k, p in enumerate(periods)}

        def floats(values) -> np.ndarray:
            return np.array([np.nan if v is None else float(v) for v in values], dtype=float)

        def texts(values) -> np.ndarray:
            return np.array([str(v) for v in values], dtype=object)

        return cls(
            periods=tuple(periods),
            indicator=texts(t.indicator for t in specs),
            entity=texts(t.entity for t in specs),
            primary=np.array([bool(t.primary) for t in specs], dtype=bool),
            baseline_period=np.array([index[t.baseline_period] for t in specs], dtype=int),
            baseline_value=floats(t.baseline_value for t in specs),
            target_value=floats(t.target_value for t in specs),
            target_relative=floats(t.target_relative for t in specs),
            target_period=np.array([index[t.target_period] for t in specs], dtype=int),
            shape=texts(t.shape for t in specs),
            milestones=tuple(tuple(t.milestones) for t in specs),
            document=texts(t.document for t in specs),
        )


@dataclass
class EvaluationInput:
    """Everything `evaluate` reads; values are (E, P) in tree order and the indicator's periods."""

    tree: Tree
    groupings: Sequence[Grouping]
    lineages: Sequence[Lineage]
    indicators: Sequence[IndicatorSpec]
    periods: Mapping[str, Sequence[Period]]
    values: Mapping[str, np.ndarray]
    targets: Sequence[TargetSpec] | TargetTable


@dataclass
class TargetResults:
    """Every target of one indicator, each judged on its own: arrays (T,) or (T, P).

    Rows follow the target table; `primary` says which one drives each entity's headline.
    """

    row: np.ndarray  # (T,) the entity's row in the tree
    index: np.ndarray  # (T,) the target's row in the TargetTable
    document: np.ndarray  # (T,) codes of the source documents
    primary: np.ndarray  # (T,) bool
    baseline_position: np.ndarray
    baseline: np.ndarray
    target_position: np.ndarray
    target: np.ndarray
    target_period: np.ndarray  # (T,) Periods
    target_column: np.ndarray  # (T,) column of the target period on the axis, -1 if none
    baseline_column: np.ndarray  # (T,) -1 where the baseline period is not on the axis
    baseline_measured: np.ndarray  # (T,) the baseline is the measured figure, not a given one
    actual: np.ndarray  # (T, P) the series each target follows (pro forma, or its running total)
    expected: np.ndarray  # (T, P) the path through the baseline, milestones and target
    status: Statuses
    progress: np.ndarray
    achievement: np.ndarray  # (T, P) share of the way from baseline to target

    def __len__(self) -> int:
        return len(self.row)


@dataclass
class Outlook:
    """What lies ahead, seen from a period: forecasts, outcomes and growth rates.

    Fitted only on the figures up to `at` (no hindsight) and, after a break in series, on
    the figures since it (`since`). Entity arrays (E,) forecast each entity's primary
    target period (else the axis's last period); target arrays (T,) each target's own.
    Where the figure of a target's period is known by `at`, it is the `outcome` and the
    target has no forecast any more; once the period is over (`past`), no probability
    either: what remains of a forecast is an estimate of a figure not yet reported.
    """

    at: Period | None
    since: Period | None  # the break in series the trend starts at
    forecast: Forecast  # (E,)
    forecast_period: tuple[Period | None, ...]  # (E,)
    outcome: np.ndarray  # (E,) the primary target period's figure, where known by `at`
    past: np.ndarray  # (E,) the primary target period is over by `at`: no probability
    required_rate: np.ndarray
    required_per_year: np.ndarray
    historical_rate: np.ndarray
    historical_per_year: np.ndarray
    target_forecast: Forecast  # (T,)
    target_outcome: np.ndarray  # (T,)
    target_past: np.ndarray  # (T,) bool


@dataclass
class IndicatorResult:
    """One indicator evaluated: arrays (E, P) or (E,), entities in tree order.

    Target arrays are each entity's primary target; `targets` holds every target.
    """

    code: str
    periods: list[Period]
    consolidated: Consolidated
    figure: np.ndarray
    pro_forma: np.ndarray  # figure with successors' series extended back (additive only)
    carried: np.ndarray  # (E, P) int: age of the member's own figure carried forward, 0 if none
    rests_on_carried: np.ndarray  # (E, P) bool: the figure is, or adds up, carried figures
    carried_members: np.ndarray  # (E, P) int: members whose figure rests on carried ones
    expected: np.ndarray
    baseline: np.ndarray
    target: np.ndarray
    target_period: tuple[Period | None, ...]
    status: Statuses
    progress: np.ndarray
    achievement: np.ndarray
    baseline_column: np.ndarray  # (E,) column of the primary target's baseline, -1 if none
    baseline_measured: np.ndarray  # (E,) the baseline is the measured figure at that column
    running_from: np.ndarray  # (E,) a cumulative figure's column of 0 (−1: its first figure)
    targets: TargetResults
    spec: IndicatorSpec
    # (E, P) bool, in an evaluation that withholds: a total withheld (see `Withholding`).
    suppressed: np.ndarray | None = None
    at: Period | None = None  # the period `outlook` is seen from (None: the whole axis)
    _outlook: Outlook | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def outlook(self) -> Outlook:
        """Return the outlook seen from `at`, worked out the first time it is asked for.

        Not with the evaluation: it is half the engine's work, and the pages ask for the
        outlook seen from the period they show (`values.evaluation.PlanEvaluation.outlook`).
        """
        if self._outlook is None:
            self._outlook = outlook(self, self.at)
        return self._outlook

    @property
    def forecast(self) -> Forecast:
        """Return the forecasts of `outlook`."""
        return self.outlook.forecast


@dataclass(frozen=True)
class Withholding:
    """Disclosure control: at the entities of `rows`, a total that, less what the reader
    sees whole (the entities of `seen`), rests on some but fewer than `fewest` members is
    withheld,
    as if it were not known, and marked `suppressed`; what is worked out from it
    (statuses, forecasts, totals computed from it) follows. So is the consolidation of
    the members beside an entity's own figure (its discrepancy would give it away), and
    every total of a minimum or a maximum (always one member's figure).

    For a reader who may see these entities but not all the members below them: their
    figures could otherwise be read off a total of one or two.
    """

    rows: tuple[int, ...]
    fewest: int
    seen: tuple[int, ...] = ()


def _withheld_where(
    cons: Consolidated, tree, active, withhold, hidden, *, single=False, weights=None, carried=None
) -> tuple[np.ndarray, np.ndarray]:
    """Return where the figure of record is withheld, and where the members' consolidation
    is, (E, P) each.

    ``hidden``: for a figure computed from others (a ratio, a formula), where each of
    them is withheld, on this axis; None for a total of members, counted here. ``single``:
    the total is one member's figure (a minimum, a maximum). ``weights``: a weighted
    mean's weights, (E, P). ``carried``: the age of each member's carried figure (E, P).
    A total still missing some members' figures (a round under way) is withheld too while
    others than the reader's are behind it: each figure arriving would show in it.
    """
    rows = np.asarray(withhold.rows, dtype=int)
    hide = np.zeros(cons.value.shape, dtype=bool)  # the figure of record
    few = np.zeros(cons.value.shape, dtype=bool)  # the members' consolidation
    if rows.size:
        total = np.isnan(cons.own[rows])  # an entity's own figure is its own to publish
        if hidden is None:
            seen = np.zeros(len(tree), dtype=bool)
            seen[list(withhold.seen)] = True
            fresh = None if carried is None else carried == 0
            below = reporters_below(
                cons.value, cons.own, tree, active,
                tops=rows, seen=seen, weights=weights, fresh=fresh,
            )[rows]  # fmt: skip
            strict = withhold.fewest > 1  # 1: the plan shows every total
            partial = cons.partial[rows]
            few[rows] = (below > 0) & ((below < withhold.fewest) | (strict & (single | partial)))
            hide[rows] = total & few[rows] & ~np.isnan(cons.value[rows])
        else:  # withheld with what it is computed from (its own figure is NaN there now)
            for operand in hidden:
                if operand is not None:
                    few[rows] |= operand[rows]
            hide[rows] = total & few[rows]
    return hide, few & ~np.isnan(cons.children)


def _withheld(cons: Consolidated, tree, active, withhold, hidden, **how) -> tuple:
    """Return the consolidation with what is withheld masked, and where the figure is."""
    hide, children = _withheld_where(cons, tree, active, withhold, hidden, **how)
    if not hide.any() and not children.any():
        return cons, hide

    def masked(x, where=hide):
        return None if x is None else np.where(where, np.nan, x)

    return dataclasses.replace(
        cons,
        value=masked(cons.value),
        children=masked(cons.children, hide | children),
        numerator=masked(cons.numerator),
        denominator=masked(cons.denominator),
        discrepancy=cons.discrepancy & ~(hide | children),
    ), hide


def _withholding_how(spec, operand) -> dict:
    """Return how an indicator's totals are judged for withholding (see `_withheld_where`)."""
    across = Across(spec.across)
    weighted = across is Across.WEIGHTED_MEAN and spec.weight
    return {
        "single": across in (Across.MIN, Across.MAX),
        "weights": operand(spec.weight) if weighted else None,
    }


def withheld_indicators(evaluation: Evaluation, tree: Tree, withhold: Withholding) -> set[str]:
    """Return the indicators of an evaluation made without ``withhold`` that it would
    withhold something of: to evaluate again with it, they and what is computed from them
    (a ratio, a formula) only."""
    found = set()
    for code, r in evaluation.indicators.items():
        spec = r.spec
        if spec.kind in ("formula", "ratio", "qualitative"):
            continue  # withheld with what they are computed from, evaluated again with it

        def operand(name: str, r=r) -> np.ndarray:
            done = evaluation.indicators[name]
            return _align(done.figure, done.periods, r.periods)

        active = tree.active(r.periods)
        hide, children = _withheld_where(
            r.consolidated, tree, active, withhold, None,
            carried=r.carried, **_withholding_how(spec, operand),
        )  # fmt: skip
        if hide.any() or children.any():
            found.add(code)
    return found


@dataclass
class Evaluation:
    """Results per indicator code, and per indicator over the groupings (sorted by code)."""

    indicators: dict[str, IndicatorResult]
    groupings: dict[str, Consolidated] = field(default_factory=dict)
    grouping_codes: tuple[str, ...] = ()


def _align(x: np.ndarray, source: Sequence[Period], dest: Sequence[Period]) -> np.ndarray:
    """Return `x` (..., len(source)) re-indexed on `dest`, NaN where a period is absent.

    Periods are matched exactly: an operand on another frequency is not converted here
    (time aggregation is the caller's choice of rule).
    """
    where = {p: j for j, p in enumerate(source)}
    cols = np.array([where.get(p, -1) for p in dest], dtype=int)
    out = x[..., np.maximum(cols, 0)] if len(source) else np.full((*x.shape[:-1], len(dest)), 0.0)
    return np.where(cols >= 0, out, np.nan)


def _axis(spec: IndicatorSpec, inp: EvaluationInput) -> tuple[list[Period], np.ndarray]:
    """Return the indicator's periods in time order and its own values in that order."""
    given = list(inp.periods.get(spec.code, ()))
    if len(set(given)) != len(given):
        raise ValueError(f"Indicator {spec.code} lists a period twice")
    for p in given:
        if p.frequency is not Frequency(spec.frequency):
            raise ValueError(f"Indicator {spec.code} is {spec.frequency} but has period {p.code}")
    order = sorted(range(len(given)), key=lambda j: given[j])
    shape = (len(inp.tree), len(given))
    own = inp.values.get(spec.code)
    if own is None or spec.kind == "qualitative":
        own = np.full(shape, np.nan)
    own = np.asarray(own, dtype=float)
    if own.shape != shape:
        raise ValueError(f"Values of {spec.code} have shape {own.shape}: expected {shape}")
    return [given[j] for j in order], own[:, order]


def _consolidate(spec, own, inp, periods, operand) -> Consolidated:
    tree = inp.tree
    across = Across(spec.across)
    if spec.kind == "ratio":
        if not (spec.numerator and spec.denominator):
            raise ValueError(f"Ratio {spec.code} needs a numerator and a denominator")
        if across is not Across.RATIO_OF_SUMS:
            raise ValueError(f"Ratio {spec.code} consolidates as a ratio of sums, not {across}")
        # The parts' figures of record, whatever their own kind, so the ratio agrees with them.
        return consolidate_ratio(
            operand(spec.numerator), operand(spec.denominator), tree, periods, own_ratio=own
        )
    if spec.kind == "formula":
        if not spec.formula:
            raise ValueError(f"Formula indicator {spec.code} has no formula")
        formula = Formula.parse(spec.formula)
        computed = np.broadcast_to(
            formula.evaluate({name: operand(name) for name in formula.names}), own.shape
        )
        active = tree.active(periods)
        own_active = np.where(active, own, np.nan)
        value = np.where(active, np.where(np.isnan(own_active), computed, own_active), np.nan)
        return Consolidated(
            value=value,
            own=own,
            children=np.full(own.shape, np.nan),
            reporting=_count_children(~np.isnan(value)[None], tree, active)[0],
            expected=_count_children(np.ones((1, *own.shape), bool), tree, active)[0],
            discrepancy=_differ(own_active, computed, 0.005),
        )
    if spec.kind == "qualitative":
        across = Across.NONE
    if across is Across.RATIO_OF_SUMS:
        raise ValueError(f"Indicator {spec.code} is a {spec.kind}, not a ratio: no ratio of sums")
    weights = None
    if across is Across.WEIGHTED_MEAN:
        if not spec.weight:
            raise ValueError(f"Indicator {spec.code} is a weighted mean without a weight")
        weights = operand(spec.weight)
    return consolidate(own, tree, periods, across, weights=weights)


def _knots_bar(
    positions: np.ndarray, expected: np.ndarray, b_pos, t_pos, target, milestones, sign
) -> np.ndarray:
    """Return the bar a figure must meet at each position to count as achieved early.

    The strictest of the path at that position and every knot still to come (milestones
    at or after it, and the target): an interim milestone binds even when the final target
    is looser.
    """
    xs = np.array([p for p, _ in milestones] + [t_pos], dtype=float)
    ys = np.array([v for _, v in milestones] + [target], dtype=float)
    ahead = xs[None, :] >= positions[:, None]  # (P, K)
    strictest = np.max(np.where(ahead, sign * ys[None, :], -np.inf), axis=1)
    return sign * np.maximum(sign * expected, strictest)


def _resolve_targets(
    table: TargetTable,
    picked: np.ndarray,
    entity_rows: np.ndarray,
    tree,
    periods,
    series,
    spec,
    cumulative_rule: bool,
) -> tuple[TargetResults, np.ndarray, np.ndarray]:
    """Return the targets (rows `picked` of `table`) resolved and judged, with their bars.

    Also returns, per target, (bar (T, P), final (T, P)).
    """
    n_periods = len(periods)
    rows = entity_rows[picked]
    primary = table.primary[picked].copy()
    # An entity's only target is its primary one, said so or not.
    has_primary = np.zeros(len(tree), dtype=bool)
    has_primary[rows[primary]] = True
    per_entity = np.bincount(rows, minlength=len(tree))
    primary |= ~has_primary[rows] & (per_entity[rows] == 1)
    doubled = np.flatnonzero(np.bincount(rows[primary], minlength=len(tree)) > 1)
    if doubled.size:
        twice = tree.codes[int(doubled[0])]
        indicator = table.indicator[picked[0]]
        raise ValueError(f"Indicator {indicator} has two primary targets at {twice}")

    column = {p: j for j, p in enumerate(periods)}
    col_of = np.array([column.get(p, -1) for p in table.periods], dtype=int)
    pos_of = np.array([p.position for p in table.periods], dtype=float)
    b_col = col_of[table.baseline_period[picked]] if len(picked) else np.zeros(0, dtype=int)
    t_col = col_of[table.target_period[picked]] if len(picked) else np.zeros(0, dtype=int)
    b_pos = pos_of[table.baseline_period[picked]] if len(picked) else np.zeros(0)
    t_pos = pos_of[table.target_period[picked]] if len(picked) else np.zeros(0)
    given = table.baseline_value[picked]
    relative = table.target_relative[picked]
    target = table.target_value[picked]
    if cumulative_rule:
        # Each target counts its own running total of the flows after its baseline (0 at
        # the baseline, NaN before): "500 start-ups over the plan".
        actual = running_total(series[rows], b_col)
        measured_b = np.zeros(len(picked))
    else:
        actual = series[rows]
        measured_b = np.where(b_col >= 0, series[rows, np.maximum(b_col, 0)], np.nan)
    base = np.where(np.isnan(given), measured_b, given)
    # A relative target needs a positive baseline: +50 % of zero or of a negative figure
    # is no target at all, not a target already met.
    relative_ok = base > 0
    target = np.where(
        np.isnan(target), np.where(relative_ok, base * (1 + relative), np.nan), target
    )

    positions = np.array([p.position for p in periods], dtype=float)
    expected = np.full((len(picked), n_periods), np.nan)
    bar = np.broadcast_to(target[:, None], expected.shape).copy()
    sign = -1.0 if Polarity(spec.polarity) is Polarity.DOWN else 1.0
    # Shape is a StrEnum, so plain strings and members compare alike.
    shapes = table.shape[picked]
    shape_codes = table.shape_codes[picked]
    stepped = table.stepped[picked]
    for shape in Shape:
        pick = np.flatnonzero((shape_codes == SHAPES.index(shape)) & ~stepped)
        if pick.size:
            expected[pick] = trajectory_at(
                positions[None, :],
                baseline_position=b_pos[pick, None],
                baseline_value=base[pick, None],
                target_position=t_pos[pick, None],
                target_value=target[pick, None],
                shape=shape,
            )
    for k in np.flatnonzero(stepped):  # milestones are per target: few, one by one
        knots = [(p.position, v) for p, v in table.milestones[picked[k]]]
        expected[k] = trajectory_at(
            positions,
            baseline_position=b_pos[k],
            baseline_value=base[k],
            target_position=t_pos[k],
            target_value=target[k],
            shape=shapes[k],
            milestones=knots,
        )
        bar[k] = _knots_bar(positions, expected[k], b_pos[k], t_pos[k], target[k], knots, sign)
    final = positions[None, :] >= t_pos[:, None]

    every = np.empty(len(table.periods), dtype=object)
    every[:] = table.periods
    results = TargetResults(
        row=rows,
        index=picked,
        document=table.document[picked],
        primary=primary,
        baseline_position=b_pos,
        baseline=base,
        target_position=t_pos,
        target=target,
        target_period=every[table.target_period[picked]],
        target_column=t_col,
        baseline_column=b_col,
        baseline_measured=np.isnan(given),
        actual=actual,
        expected=expected,
        status=Statuses(np.zeros(0)),
        progress=np.zeros(0),
        achievement=np.zeros(0),
    )
    return results, bar, final


def _judge(spec: IndicatorSpec, goals: TargetResults, bar, final, positions, active) -> None:
    """Set each target's status, progress and achievement at every period.

    A target is judged on its entity's own figures: none while the entity does not exist
    (a pro forma series serves baselines and forecasts, not verdicts).
    """
    polarity = Polarity(spec.polarity)
    target = goals.target[:, None]
    applies = positions[None, :] >= goals.baseline_position[:, None]
    if polarity in (Polarity.KEEP_ABOVE, Polarity.KEEP_BELOW):
        target = np.where(applies, target, np.nan)  # a level applies from its baseline on
    band = (np.nan, np.nan)
    if polarity is Polarity.BAND:
        # A band applies where a target says so, from its baseline period on.
        band = tuple(
            np.where(applies, np.nan if b is None else float(b), np.nan)
            for b in (spec.band_low, spec.band_high)
        )
    assessment = assess(
        np.where(active[goals.row], goals.actual, np.nan),
        goals.expected,
        goals.baseline[:, None],
        target,
        polarity=polarity,
        final=final,
        thresholds=spec.thresholds,
        band_low=band[0],
        band_high=band[1],
        bar=bar,
    )
    goals.status = assessment.status
    goals.progress = assessment.progress
    goals.achievement = assessment.achievement


def _latest(series: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's last figure and its position (NaN where none)."""
    present = ~np.isnan(series)
    last = series.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1)
    found = present.any(axis=1)
    rows = np.arange(series.shape[0])
    value = np.where(found, series[rows, last] if series.shape[1] else np.nan, np.nan)
    return value, np.where(found, positions[last] if len(positions) else np.nan, np.nan)


def _spread(n: int, rows: np.ndarray, x: np.ndarray, fill) -> np.ndarray:
    out = np.full((n, *x.shape[1:]), fill, dtype=x.dtype if x.size else np.asarray(fill).dtype)
    out[rows] = x
    return out


def _spread_statuses(n: int, rows: np.ndarray, statuses: Statuses) -> Statuses:
    out = Statuses.filled((n, *statuses.shape[1:]), "no_target")
    out.codes[rows] = statuses.codes
    return out


def outlook(result: IndicatorResult, at: Period | None = None) -> Outlook:
    """Return what lies ahead of ``result`` seen from the period ``at`` (default: every
    figure of the axis; then a target period counts as over once its figure is in).

    ``at`` may lie off the indicator's axis (before it: nothing is known yet; after it:
    everything is). Forecasts, outcomes and growth rates use only the figures up to ``at``,
    only those since the last break in series up to then, and never a member's carried
    figure, which repeats an old one, nor a total some members' figures are still missing
    from: neither is an observation. A target whose period is over
    by ``at`` has its outcome where its figure is known, and no probability either way.
    """
    spec, goals, periods = result.spec, result.targets, result.periods
    n = len(result.figure)
    positions = np.array([p.position for p in periods], dtype=float)
    index = np.arange(len(periods))
    if at is not None and at.frequency is not (periods[0].frequency if periods else at.frequency):
        raise ValueError(f"{at.code} is not a period of indicator {spec.code}")
    stand = at if at is not None else (periods[-1] if periods else None)
    cut = sum(p <= stand for p in periods) - 1 if stand is not None else -1
    # A carried figure repeats an old one, and a total that still misses members' figures
    # (a collection round under way) is a part of one: neither is an observation, so no
    # trend is fitted on it and no outcome decided by it.
    partial = result.consolidated.partial
    unknown = (result.carried > 0) | partial
    known = np.where(unknown, np.nan, result.pro_forma)
    known_targets = np.where(unknown[goals.row], np.nan, goals.actual)
    if cut < len(periods) - 1:  # standing before the end: later figures are not known yet
        known = np.where(index[None, :] <= cut, known, np.nan)
        known_targets = np.where(index[None, :] <= cut, known_targets, np.nan)
    since = max((b for b in spec.breaks if stand is not None and b <= stand), default=None)
    since_position = since.position if since is not None else None

    primary = np.flatnonzero(goals.primary)
    entity_target = _spread(n, goals.row[primary], goals.target[primary], np.nan)
    entity_target_position = _spread(n, goals.row[primary], goals.target_position[primary], np.nan)
    last_position = positions[-1] if len(positions) else np.nan
    horizon = np.where(np.isnan(entity_target_position), last_position, entity_target_position)
    secondary = np.flatnonzero(~goals.primary)
    series = np.concatenate([known, known_targets[secondary]])
    fitted = trend(positions, series, since=since_position)  # the entities' rows first
    predicted = forecast(
        positions,
        series,
        np.concatenate([horizon, goals.target_position[secondary]]),
        target=np.concatenate([entity_target, goals.target[secondary]]),
        polarity=Polarity(spec.polarity),
        band_low=spec.band_low,
        band_high=spec.band_high,
        low=spec.low,
        high=spec.high,
        since=since_position,
        fitted=fitted,
    )
    # Each target's row among the forecast series: its entity's for a primary target.
    where = np.empty(len(goals), dtype=int)
    where[primary] = goals.row[primary]
    where[secondary] = n + np.arange(len(secondary))
    reached = (goals.target_column >= 0) & (goals.target_column <= cut)
    cols = np.maximum(goals.target_column, 0)
    rows = np.arange(len(goals))
    whole = np.where(partial[goals.row], np.nan, goals.actual)  # a partial total decides nothing
    outcome = np.where(reached, whole[rows, cols] if len(goals) else np.nan, np.nan)
    decided = ~np.isnan(outcome)
    # Standing at a given period, a target period up to it is over; without one, only a
    # target whose figure is in is known to be over.
    past = goals.target_position <= at.position if at is not None else decided
    target_forecast = predicted.take(where, hide=decided, hide_probability=past)
    entity_outcome = _spread(n, goals.row[primary], outcome[primary], np.nan)
    entity_past = _spread(n, goals.row[primary], past[primary], False)
    entity_forecast = predicted.take(
        np.arange(n), hide=~np.isnan(entity_outcome), hide_probability=entity_past
    )

    latest, latest_position = _latest(known, positions)
    required_rate, required_per_year = required_growth(
        latest, latest_position, entity_target, entity_target_position
    )
    historical_rate, historical_per_year = historical_growth(
        positions, known, since=since_position, fitted=fitted.head(n)
    )
    period_of = np.full(n, periods[-1] if periods else None, dtype=object)
    period_of[goals.row[primary]] = goals.target_period[primary]
    return Outlook(
        at=stand if at is not None else None,
        since=since,
        forecast=entity_forecast,
        forecast_period=tuple(period_of.tolist()),
        outcome=entity_outcome,
        past=entity_past,
        required_rate=required_rate,
        required_per_year=required_per_year,
        historical_rate=historical_rate,
        historical_per_year=historical_per_year,
        target_forecast=target_forecast,
        target_outcome=outcome,
        target_past=past,
    )


def _suppressed_on(done: IndicatorResult, periods) -> np.ndarray | None:
    """Return where ``done`` is withheld, on ``periods`` (None: nowhere)."""
    if done.suppressed is None or list(done.periods) == list(periods):
        return done.suppressed
    return np.nan_to_num(_align(done.suppressed.astype(float), done.periods, periods)) > 0


def _evaluate_indicator(
    spec, inp, results, table, entity_rows, targets, at, withhold=None
) -> IndicatorResult:
    tree = inp.tree
    periods, own = _axis(spec, inp)
    n = len(tree)
    active = tree.active(periods)
    carried = np.zeros(own.shape, dtype=int)
    if spec.carry_forward and OverTime(spec.over_time) is OverTime.STOCK:
        # A member that has not reported keeps its last figure for a while, marked: only a
        # member with no members of their own then (no total is overridden), and only for
        # a period its fellow members reported (no total is made of carried figures alone).
        leaf = _count_children(np.ones((1, *own.shape), bool), tree, active)[0] == 0
        reported = _count_children(~np.isnan(own)[None], tree, active)[0] > 0
        parent = tree.parent
        open_ = np.where(parent[:, None] >= 0, reported[np.maximum(parent, 0)], False)
        own, carried = carry_forward(own, spec.carry_forward, where=active & leaf & open_)

    def operand(name: str) -> np.ndarray:
        done = lookup(results, name)
        return _align(done.figure, done.periods, periods)

    cons = _consolidate(spec, own, inp, periods, operand)
    suppressed = None
    if withhold is not None:
        # A ratio or a formula rests on what it is computed from; other totals on members.
        names = {
            "formula": lambda: Formula.parse(spec.formula).names,
            "ratio": lambda: (spec.numerator, spec.denominator),
        }.get(spec.kind)
        hidden = (
            [_suppressed_on(lookup(results, name), periods) for name in names()] if names else None
        )
        cons, suppressed = _withheld(
            cons, tree, active, withhold, hidden,
            carried=carried, **_withholding_how(spec, operand),
        )  # fmt: skip
    figure = cons.value
    additive = spec.kind == "amount" and Across(spec.across) is Across.SUM
    series = pro_forma(figure, tree, inp.lineages, periods) if additive else figure.copy()
    is_cumulative = OverTime(spec.over_time) is OverTime.CUMULATIVE
    if spec.kind == "qualitative":
        targets = targets[:0]
    goals, bar, final = _resolve_targets(
        table, targets, entity_rows, tree, periods, series, spec, is_cumulative
    )
    positions = np.array([p.position for p in periods], dtype=float)
    _judge(spec, goals, bar, final, positions, active)

    primary = np.flatnonzero(goals.primary)
    main = goals.row[primary]
    running_from = np.full(n, -1)
    if is_cumulative:
        # The figure of record is the running total since the baseline of the entity's
        # primary target, else of its nearest ancestor's (so members add up to their
        # parent), else from its first figure.
        has = np.zeros(n, dtype=bool)
        running_from[main], has[main] = goals.baseline_column[primary], True
        for depth in range(1, int(tree.depth.max(initial=0)) + 1):
            inherit = (tree.depth == depth) & ~has
            up = tree.parent[inherit]
            running_from[inherit], has[inherit] = running_from[up], has[up]
        series = np.where(active, running_total(series, running_from), np.nan)
        figure = series.copy()

    # Carried figures: the member's own flag, and up the tree where a figure adds them up.
    rests = np.zeros(own.shape, dtype=bool)
    members = np.zeros(own.shape, dtype=int)
    if carried.any():
        flags = np.where(np.isnan(own), np.nan, (carried > 0) * 1.0)
        rests = flagged_up(flags, tree, periods)
        rests &= ~np.isnan(figure)
        members = _count_children(rests[None], tree, active)[0]

    period_of = np.full(n, None, dtype=object)
    period_of[main] = goals.target_period[primary]
    return IndicatorResult(
        code=spec.code,
        periods=periods,
        consolidated=cons,
        figure=figure,
        pro_forma=series,
        carried=carried.astype(np.int32, copy=False),  # small counts: 4 bytes do
        rests_on_carried=rests,
        carried_members=members.astype(np.int32, copy=False),
        expected=_spread(n, main, goals.expected[primary], np.nan),
        baseline=_spread(n, main, goals.baseline[primary], np.nan),
        target=_spread(n, main, goals.target[primary], np.nan),
        target_period=tuple(period_of.tolist()),
        status=_spread_statuses(n, main, goals.status[primary]),
        progress=_spread(n, main, goals.progress[primary], np.nan),
        achievement=_spread(n, main, goals.achievement[primary], np.nan),
        baseline_column=_spread(n, main, goals.baseline_column[primary], -1),
        baseline_measured=_spread(n, main, goals.baseline_measured[primary], False),
        running_from=running_from,
        targets=goals,
        spec=spec,
        suppressed=suppressed,
        at=(at or {}).get(spec.code),  # forecasts and rates look only at what was known then
    )


def _groupings(spec, result, results, grouped, inp, groupings) -> Consolidated:
    tree, periods = inp.tree, result.periods

    def operand(name: str) -> np.ndarray:
        return _align(results[name].figure, results[name].periods, periods)

    across = Across(spec.across)
    if spec.kind == "ratio":
        cons = result.consolidated
        return consolidate_groupings(
            result.figure,
            tree,
            groupings,
            periods,
            Across.RATIO_OF_SUMS,
            numerator=cons.numerator,
            denominator=cons.denominator,
        )
    if spec.kind == "formula":
        base = consolidate_groupings(result.figure, tree, groupings, periods, Across.NONE)
        formula = Formula.parse(spec.formula)
        # Operands' grouping figures follow their own rules (a ratio stays a ratio of sums).
        operands = {}
        for name in formula.names:
            try:  # a qualitative operand has no grouping figures
                figures = lookup(grouped, name).value
            except KeyError:
                operands[name] = np.full(base.value.shape, np.nan)
            else:
                operands[name] = _align(figures, lookup(results, name).periods, periods)
        base.value = np.broadcast_to(formula.evaluate(operands), base.value.shape).copy()
        return base
    weights = operand(spec.weight) if across is Across.WEIGHTED_MEAN else None
    return consolidate_groupings(result.figure, tree, groupings, periods, across, weights=weights)


def _graph(specs: Mapping[str, IndicatorSpec]) -> dict[str, list[str]]:
    """Return, per indicator, the indicators it is computed from (formula names resolved)."""
    alias = {formula_name(code): code for code in specs} | {code: code for code in specs}
    return {
        code: [alias.get(name, name) for name in spec.operands()] for code, spec in specs.items()
    }


def affected(indicators: Sequence[IndicatorSpec], changed: Iterable[str]) -> set[str]:
    """Return the indicators to evaluate again when the figures of ``changed`` change:
    themselves, and every indicator computed from them, directly or not."""
    return dependents(_graph({spec.code: spec for spec in indicators}), changed)


def evaluate(
    inp: EvaluationInput,
    *,
    at: Mapping[str, Period] | None = None,
    previous: Evaluation | None = None,
    changed: Iterable[str] = (),
    withhold: Withholding | None = None,
) -> Evaluation:
    """Return every indicator evaluated at every entity and period.

    With ``previous``, an evaluation of the same input with the same ``at`` except for
    the figures (and periods) of the indicators in ``changed``, only those indicators
    and the ones computed from them are evaluated again: the others' results, which
    cannot differ, are taken from ``previous`` as they are. With ``withhold``, the totals
    it names are withheld where too few members are behind them (see `Withholding`).

    Indicators are evaluated after the indicators they are computed from (numerator,
    denominator, weight, formula operands); a dependency cycle raises ValueError naming
    it. Per indicator:

    - `figure`: the figure of record (own where entered, else consolidated by the
      indicator's rule; a ratio from its parts' figures; a formula on its operands'
      figures). A stock with a carry-forward rule first fills a member's missing figure
      with its last one (`carried`: its age). A CUMULATIVE indicator's figure is the
      running total of its flows since the baseline of the entity's primary target (or
      its nearest ancestor's; 0 there, NaN before), so it compares with a target such as
      "500 start-ups over the plan".
    - `pro_forma`: the figure with merged entities' series extended back (additive
      amounts only); baselines, forecasts and growth rates use it.
    - `targets`: every target, each judged on its own path (through its milestones, which
      bind): expected value, status, progress and achievement at every period. The
      entity's primary target (its only one, if it has one) drives the (E, P) arrays.
    - `outlook`: forecasts at each target period (else the last period), outcomes, and
      the growth still required against the historical one, from the figures known as of
      `at` (per indicator code; default: all periods), worked out when first asked for.
      See `outlook`.

    Qualitative indicators have no figures here: statuses are no_target.
    """
    specs: dict[str, IndicatorSpec] = {}
    for spec in inp.indicators:
        if spec.code in specs:
            raise ValueError(f"Indicator {spec.code} is defined twice")
        if spec.kind not in KINDS:
            raise ValueError(f"Indicator {spec.code} has unknown kind {spec.kind!r}")
        specs[spec.code] = spec
    graph = _graph(specs)
    for code, names in graph.items():
        for name in names:
            if name not in specs:
                raise ValueError(f"Indicator {code} refers to unknown indicator {name}")
    try:
        order = topological_order(graph)
    except CycleError as error:
        raise ValueError(
            f"Indicators are computed from each other in a cycle: {describe_cycle(error.cycle)}"
        ) from None

    table = inp.targets
    if not isinstance(table, TargetTable):
        table = TargetTable.from_specs(list(table))
    rows_of = table.rows_per_indicator
    for code in table.indicator.tolist() if set(rows_of) - set(specs) else ():
        if code not in specs:
            raise ValueError(f"A target refers to unknown indicator {code}")
    none = np.zeros(0, dtype=int)
    by_indicator = {code: rows_of.get(code, none) for code in specs}
    table.shape_codes  # noqa: B018 - checks every shape once, before any work
    entity_rows = table.entity_rows(inp.tree.codes)

    groupings = sorted(inp.groupings, key=lambda g: g.code)
    results: dict[str, IndicatorResult] = {}
    grouped: dict[str, Consolidated] = {}
    anew = set(specs) if previous is None else dependents(graph, changed)
    for code in order:
        spec = specs[code]
        if code not in anew and code in previous.indicators:
            results[code] = previous.indicators[code]
            if code in previous.groupings:
                grouped[code] = previous.groupings[code]
            continue
        results[code] = _evaluate_indicator(
            spec, inp, results, table, entity_rows, by_indicator[code], at, withhold
        )
        if groupings and spec.kind != "qualitative":
            grouped[code] = _groupings(spec, results[code], results, grouped, inp, groupings)
    return Evaluation(
        indicators={code: results[code] for code in sorted(results)},
        groupings=grouped,
        grouping_codes=tuple(g.code for g in groupings),
    )
