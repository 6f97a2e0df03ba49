"""Read a plan's figures and targets from the database into the engine, and evaluate.

One query per table, whatever the number of entities or indicators; the engine does
the rest on arrays. ``as_of`` rebuilds what was known at a past moment.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from jalon.engine.consolidation import Across, consolidate
from jalon.engine.evaluate import Evaluation, EvaluationInput, IndicatorSpec, TargetSpec, evaluate
from jalon.engine.periods import Frequency, Period, period_range
from jalon.engine.status import Thresholds
from jalon.engine.tree import Grouping as EngineGrouping
from jalon.engine.tree import Lineage as EngineLineage
from jalon.engine.tree import Tree
from jalon.organisation.models import Entity, Grouping, Lineage
from jalon.plans.models import Indicator, Plan, Target
from jalon.values.models import Value


@dataclass
class PlanEvaluation:
    """The engine's results for a plan, with what is needed to read them."""

    plan: Plan
    tree: Tree
    indicators: dict[str, Indicator]
    evaluation: Evaluation
    example: dict[str, np.ndarray]  # per indicator (E, P): the figure rests on example data
    as_of: dt.datetime | None

    def result(self, code: str):
        """Return the engine's result for the indicator ``code``."""
        return self.evaluation.indicators[code]


def spec_of(indicator: Indicator) -> IndicatorSpec:
    """Return what the engine needs to know of ``indicator``."""
    on_track, at_risk = indicator.thresholds
    return IndicatorSpec(
        code=indicator.code,
        frequency=Frequency(indicator.frequency),
        start_month=indicator.start_month,
        kind=indicator.kind,
        across=indicator.across,
        over_time=indicator.over_time,
        polarity=indicator.polarity,
        numerator=indicator.numerator.code if indicator.numerator_id else None,
        denominator=indicator.denominator.code if indicator.denominator_id else None,
        weight=indicator.weight.code if indicator.weight_id else None,
        formula=indicator.formula or None,
        thresholds=Thresholds(on_track=on_track, at_risk=at_risk),
        band_low=indicator.band_low,
        band_high=indicator.band_high,
    )


def _parse(code: str, indicator: Indicator) -> Period:
    return Period.parse(code, indicator.frequency, indicator.start_month)


def _horizon_end(plan: Plan, indicator: Indicator) -> Period:
    # The plan's last year, read like the plan file reads years: 2022 → 2022/23.
    last = dt.date(plan.horizon_end, 12, 31)
    return Period.containing(last, indicator.frequency, indicator.start_month)


def evaluate_plan(
    plan: Plan, *, as_of: dt.datetime | None = None, at: dict[str, Period] | None = None
) -> PlanEvaluation:
    """Return the plan evaluated on the figures and targets in force (at ``as_of``).

    ``at`` (per indicator code) limits forecasts and growth rates to the figures up to
    that period, as someone standing then would have seen them.
    """
    indicators = {
        i.code: i
        for i in plan.indicators.select_related("plan", "numerator", "denominator", "weight")
    }
    by_id = {i.pk: i for i in indicators.values()}
    tree = Tree.build(Entity.objects.for_tree())
    row = {code: n for n, code in enumerate(tree.codes)}

    values = Value.objects.totals().filter(indicator__plan=plan, withdrawn=False)
    targets = Target.objects.filter(indicator__plan=plan)
    if as_of is not None:
        values, targets = values.as_of(as_of), targets.as_of(as_of)
    else:
        values, targets = values.current(), targets.current()
    figures = list(
        values.filter(number__isnull=False).values_list(
            "indicator_id", "entity__code", "period", "number", "source__is_example"
        )
    )
    targets = list(targets.select_related("entity", "document"))

    # Each indicator's axis: contiguous periods from its first figure or baseline to the
    # later of the plan's horizon and its last target period or figure.
    seen: dict[str, set[str]] = defaultdict(set)
    for indicator_id, _, period, _, _ in figures:
        seen[by_id[indicator_id].code].add(period)
    for t in targets:
        seen[by_id[t.indicator_id].code].update(
            [t.baseline_period, t.target_period, *(m["period"] for m in t.milestones)]
        )
    periods: dict[str, list[Period]] = {}
    for code, indicator in indicators.items():
        known = [_parse(p, indicator) for p in seen[code]]
        end = max([_horizon_end(plan, indicator), *known])
        start = min([Period.containing(dt.date(plan.horizon_start, 1, 1), indicator.frequency, indicator.start_month), *known])
        periods[code] = period_range(start, end)
    column = {code: {p.code: j for j, p in enumerate(ps)} for code, ps in periods.items()}

    own = {code: np.full((len(tree), len(periods[code])), np.nan) for code in indicators}
    example = {code: np.full((len(tree), len(periods[code])), np.nan) for code in indicators}
    for indicator_id, entity, period, number, is_example in figures:
        code = by_id[indicator_id].code
        own[code][row[entity], column[code][period]] = number
        example[code][row[entity], column[code][period]] = 1.0 if is_example else 0.0

    specs = [spec_of(i) for i in indicators.values()]
    target_specs = [
        TargetSpec(
            indicator=by_id[t.indicator_id].code,
            entity=t.entity.code,
            baseline_period=_parse(t.baseline_period, by_id[t.indicator_id]),
            baseline_value=t.baseline_value,
            target_value=t.target_value,
            target_relative=t.target_relative,
            target_period=_parse(t.target_period, by_id[t.indicator_id]),
            shape=t.shape,
            milestones=tuple(
                (_parse(m["period"], by_id[t.indicator_id]), m["value"])
                for m in t.milestones
                if m.get("value") is not None
            ),
            primary=t.primary,
            document=t.document.code,
        )
        for t in targets
    ]
    groupings = [
        EngineGrouping(
            code=g.code,
            members=tuple(
                (m.entity.code, m.valid_from, m.valid_to) for m in g.memberships.all()
            ),
        )
        for g in Grouping.objects.prefetch_related("memberships__entity")
    ]
    lineages = [
        EngineLineage(link.predecessor.code, link.successor.code, link.date, link.share)
        for link in Lineage.objects.select_related("predecessor", "successor")
    ]
    if at:
        # A period outside an indicator's axis has no figure to stand at: no data there.
        at = {code: p for code, p in at.items() if code in periods and p in periods[code]}
    evaluation = evaluate(
        EvaluationInput(
            tree=tree,
            groupings=groupings,
            lineages=lineages,
            indicators=specs,
            periods=periods,
            values=own,
            targets=target_specs,
        ),
        at=at,
    )
    # Whether each figure of record rests on example data: an entity's own flag where it
    # entered a figure, else whether any of its children's figures does (max up the tree).
    examples = {}
    for code, result in evaluation.indicators.items():
        flags = consolidate(example[code], tree, result.periods, Across.MAX)
        examples[code] = np.nan_to_num(flags.value) > 0
    # A ratio rests on example data when either of its parts does, period by period.
    for code, result in evaluation.indicators.items():
        for part in (indicators[code].numerator, indicators[code].denominator):
            if part is None:
                continue
            where = {p: j for j, p in enumerate(evaluation.indicators[part.code].periods)}
            for j, period in enumerate(result.periods):
                if period in where:
                    examples[code][:, j] |= examples[part.code][:, where[period]]
    return PlanEvaluation(plan, tree, indicators, evaluation, examples, as_of)


def end_of_day(day: dt.date) -> dt.datetime:
    """Return the last moment of ``day`` in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))
