"""Read a plan's figures and targets from the database into the engine, and evaluate.

One query per table, whatever the number of entities or indicators; the engine does
the rest on arrays. ``as_of`` rebuilds what was known at a past moment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from jalon.core.gcpause import paused_collection
from jalon.engine.breakdown import breakdown_gaps
from jalon.engine.coherence import implied_ratio_change, relative_change, target_sum_gap
from jalon.engine.consolidation import Across, consolidate, flagged_up, reporters_below
from jalon.engine.evaluate import (
    Evaluation,
    EvaluationInput,
    IndicatorSpec,
    Outlook,
    TargetTable,
    Withholding,
    affected,
    evaluate,
    outlook,
    withheld_indicators,
)
from jalon.engine.periods import Frequency, Period, period_range
from jalon.engine.status import Thresholds
from jalon.engine.timeagg import OverTime, running_total
from jalon.engine.tree import Grouping as EngineGrouping
from jalon.engine.tree import Lineage as EngineLineage
from jalon.engine.tree import Tree
from jalon.organisation.models import Entity, Grouping, Lineage
from jalon.plans.models import Indicator, Plan, Source, Target
from jalon.values import snapshots
from jalon.values.columns import fetch_columns
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
    unapproved: dict[str, np.ndarray] = field(default_factory=dict)  # rests on a submitted one
    include_submitted: bool = False
    derived: dict = field(default_factory=dict)  # memo of derived_examples
    outlooks: dict = field(default_factory=dict)  # memo of outlook, per indicator and period
    # What it was made of, so that a change can be applied to it (`refreshed`).
    structure: Structure | None = None
    figures: Figures | None = None
    stamps: dict[str, str] = field(default_factory=dict)  # per indicator, when read
    at: dict | None = None
    # The snapshot file whose arrays it maps ("" if none), and the indicators evaluated
    # since in this process, whose arrays are its own.
    base: str = ""
    since_base: frozenset[str] = frozenset()
    # Disclosure control: the totals this evaluation withholds (None: none), and the
    # evaluations withholding them made from this one, by what they withhold.
    withholding: Withholding | None = None
    withheld: dict = field(default_factory=dict)

    def result(self, code: str):
        """Return the engine's result for the indicator ``code``."""
        return self.evaluation.indicators[code]

    def outlook(self, code: str, period: Period | None = None) -> Outlook:
        """Return the indicator's outlook seen from ``period``: the figures up to it only.

        Without a period, seen from the period that holds the day the evaluation shows
        (its "as of" date, else today): a target period over by then has its outcome, or
        no probability.
        """
        key = (code, self.seen_from(code, period))
        if key not in self.outlooks:
            # Threads that ask at once wait for one to work it out: a process meeting its
            # first readers worked each outlook out once per thread (measured: 4 times).
            with _outlook_lock:
                if key not in self.outlooks:
                    self.outlooks[key] = outlook(self.result(code), key[1])
        return self.outlooks[key]

    def seen_from(self, code: str, period: Period | None) -> Period:
        """Return ``period``, or the indicator's period that holds the day the evaluation
        shows (its "as of" date, else today)."""
        if period is not None:
            return period
        indicator = self.indicators[code]
        day = self.as_of.date() if self.as_of else dt.date.today()
        return Period.containing(day, indicator.frequency, indicator.start_month)


_outlook_lock = threading.Lock()


WITHHELD_KEPT = 16  # evaluations withheld for distinct readers, kept beside one evaluation
_withheld_lock = threading.Lock()


def withheld(
    pe: PlanEvaluation, rows: tuple[int, ...], fewest: int, seen: tuple[int, ...] = ()
) -> PlanEvaluation:
    """Return ``pe`` as a reader sees it who may see the entities of ``rows`` but not all
    their members, and sees the entities of ``seen`` whole: there, a total that, less
    what they see, rests on too few members is withheld (see `Withholding`).

    Only the indicators with something withheld, and those computed from them, are
    evaluated again; the others' results are ``pe``'s own. Kept beside ``pe`` for the
    latest few readers' scopes.
    """
    key = (rows, fewest, seen)
    with _withheld_lock:
        if key in pe.withheld:
            pe.withheld[key] = pe.withheld.pop(key)  # the most recent last
            return pe.withheld[key]
    withholding = Withholding(rows, fewest, seen)
    changed = withheld_indicators(pe.evaluation, pe.tree, withholding)
    if changed:
        structure, figures = pe.structure, pe.figures
        if structure is None:
            structure, figures = _read_all(pe.plan, pe.as_of, pe.include_submitted)
        evaluation = evaluate(
            assemble(structure, figures), at=pe.at, previous=pe.evaluation,
            changed=changed, withhold=withholding,
        )  # fmt: skip
        anew = affected(structure.specs, changed)
        made = dataclasses.replace(
            pe, evaluation=evaluation, withholding=withholding, withheld={},
            derived={k: v for k, v in list(pe.derived.items()) if k[0] not in anew},
            outlooks={k: v for k, v in list(pe.outlooks.items()) if k[0] not in anew},
        )  # fmt: skip
    else:  # nothing withheld but, perhaps, a breakdown's (`breakdowns` sees to it)
        made = dataclasses.replace(pe, withholding=withholding, withheld={})
    with _withheld_lock:
        pe.withheld[key] = made
        while len(pe.withheld) > WITHHELD_KEPT:
            pe.withheld.pop(next(iter(pe.withheld)))
    return made


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
        low=indicator.bound_low,
        high=indicator.bound_high,
        carry_forward=indicator.carry_forward,
        breaks=tuple(_parse(b["period"], indicator) for b in indicator.breaks),
    )


def _parse(code: str, indicator: Indicator) -> Period:
    return _period(code, indicator.frequency, indicator.start_month)


@functools.lru_cache(maxsize=4096)
def _period(code: str, frequency: str, start_month: int) -> Period:
    # A plan has few distinct periods and many targets: parse each code once.
    return Period.parse(code, frequency, start_month)


def _horizon_end(plan: Plan, indicator: Indicator) -> Period:
    # The plan's last year, read like the plan file reads years: 2022 → 2022/23.
    last = dt.date(plan.horizon_end, 12, 31)
    return Period.containing(last, indicator.frequency, indicator.start_month)


def _fetch(queryset, *fields) -> list[tuple]:
    """Return the rows of a small ``queryset`` as plain tuples, straight from the cursor."""
    # No ORDER BY: the rows go into arrays by position, and model orderings add joins.
    sql, params = queryset.order_by().values_list(*fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _milestones(raw) -> list[dict]:
    # A raw cursor gives JSON as text on SQLite and decoded on PostgreSQL.
    if isinstance(raw, str):
        return [] if raw == "[]" else json.loads(raw)
    return raw or []


def _milestone_value(milestone: dict, baseline: float | None) -> float:
    """Return a milestone's value; a relative one is resolved from the given baseline."""
    if milestone.get("value") is not None:
        return milestone["value"]
    return baseline * (1 + milestone["relative"])  # the plan check requires a given baseline


@dataclass
class Flags:
    """Per indicator (E, P), what each entered figure rests on: 1 yes, 0 no, NaN no figure."""

    example: dict[str, np.ndarray]  # example data, not a real measurement
    unapproved: dict[str, np.ndarray]  # a submitted figure, not yet approved


@dataclass
class Structure:
    """What a plan's figures are read against and evaluated with: its indicators, tree,
    targets, groupings and lineages. Only a plan load changes it (the structure stamp)."""

    stamp: str  # the plan's structure stamp when read
    indicators: dict[str, Indicator]
    tree_rows: list  # Entity.objects.for_tree, to tell whether the tree changed since
    tree: Tree
    entity_ids: dict[int, str]  # entity id → code, of the plan's federation
    specs: list[IndicatorSpec]
    targets: TargetTable
    named: dict[str, set[str]]  # per indicator, the period codes its targets name
    groupings: list[EngineGrouping]
    lineages: list[EngineLineage]


@dataclass
class Figures:
    """Per indicator: its axis of periods and its entered figures (E, P), with their flags."""

    periods: dict[str, list[Period]]
    values: dict[str, np.ndarray]
    flags: Flags

    def replaced(self, other: Figures) -> Figures:
        """Return these figures with the indicators of ``other`` taken from it."""
        return Figures(
            self.periods | other.periods,
            self.values | other.values,
            Flags(
                self.flags.example | other.flags.example,
                self.flags.unapproved | other.flags.unapproved,
            ),
        )


def read_structure(plan: Plan, *, as_of: dt.datetime | None = None) -> Structure:
    """Return what ``plan``'s figures are read against (its targets at ``as_of``): one
    query per table."""
    indicators = {
        i.code: i
        for i in plan.indicators.select_related("plan", "numerator", "denominator", "weight")
    }
    by_id = {i.pk: i for i in indicators.values()}
    tree_rows = Entity.objects.for_tree(plan.organisation_id)
    tree = Tree.build(tree_rows)
    row_of = {code: n for n, code in enumerate(tree.codes)}
    entity_ids = dict(Entity.objects.filter(code__in=row_of).values_list("pk", "code"))
    targets = Target.objects.filter(indicator_id__in=list(by_id))
    targets = targets.as_of(as_of) if as_of is not None else targets.current()
    table, named = _target_table(targets, indicators, entity_ids)
    return Structure(
        stamp=plan.structure_stamp,
        indicators=indicators,
        tree_rows=tree_rows,
        tree=tree,
        entity_ids=entity_ids,
        specs=[spec_of(i) for i in indicators.values()],
        targets=table,
        named=named,
        groupings=_groupings(plan, row_of),
        lineages=[
            EngineLineage(link.predecessor.code, link.successor.code, link.date, link.share)
            for link in Lineage.objects.select_related("predecessor", "successor")
            if link.predecessor.code in row_of and link.successor.code in row_of
        ],
    )


TARGET_COLUMNS = {
    "pk": "int",
    "indicator_id": "int",
    "entity_id": "int",
    "document__code": "text",
    "primary": "bool",
    "baseline_period": "text",
    "baseline_value": "float",
    "target_period": "text",
    "target_value": "float",
    "target_relative": "float",
    "shape": "text",
}


def _target_table(
    targets, indicators: dict[str, Indicator], entity_ids: dict[int, str]
) -> tuple[TargetTable, dict[str, set[str]]]:
    """Return the targets as columns (one per entity and indicator in a large federation,
    read without a Python object each), and the period codes each indicator's name."""
    c = fetch_columns(targets, TARGET_COLUMNS)
    codes = list(indicators)
    ind_lut = np.full(max((i.pk for i in indicators.values()), default=0) + 1, -1)
    ind_lut[[i.pk for i in indicators.values()]] = np.arange(len(codes))
    position = ind_lut[c["indicator_id"]]
    ent_lut = np.full(max(entity_ids, default=0) + 1, None, dtype=object)
    ent_lut[list(entity_ids)] = list(entity_ids.values())
    # Periods by (frequency, start month, code): a handful, however many targets.
    kinds = sorted({(i.frequency, i.start_month) for i in indicators.values()})
    kind_of = np.array([kinds.index((i.frequency, i.start_month)) for i in indicators.values()])
    pairs = {}
    for name in ("baseline_period", "target_period"):
        labels = c[name].labels
        key = kind_of[position] * max(len(labels), 1) + c[name].index
        found, inverse = np.unique(key, return_inverse=True)
        pairs[name] = (
            [(*kinds[k // max(len(labels), 1)], labels[k % max(len(labels), 1)]) for k in found],
            inverse,
        )
    t_keys = sorted(set(pairs["baseline_period"][0]) | set(pairs["target_period"][0]))
    t_index = {key: k for k, key in enumerate(t_keys)}

    def period_column(name: str) -> np.ndarray:
        found, inverse = pairs[name]
        return np.array([t_index[key] for key in found], dtype=int)[inverse].reshape(-1)

    # Milestones are rare: read and decode them only where there are some.
    marks = dict(_fetch(targets.exclude(milestones=[]), "pk", "milestones"))
    milestones = [()] * len(position)
    named: dict[str, set[str]] = {code: set() for code in codes}
    if marks:
        by_code = list(indicators.values())
        for k in np.flatnonzero(np.isin(c["pk"], list(marks))).tolist():
            indicator = by_code[position[k]]
            given = _milestones(marks[int(c["pk"][k])])
            milestones[k] = tuple(
                (_parse(m["period"], indicator), _milestone_value(m, c["baseline_value"][k]))
                for m in given
            )
            named[indicator.code].update(m["period"] for m in given)
    for name in ("baseline_period", "target_period"):
        labels = c[name].labels
        for pair in np.unique(position * max(len(labels), 1) + c[name].index).tolist():
            named[codes[pair // max(len(labels), 1)]].add(labels[pair % max(len(labels), 1)])

    def texts(name: str) -> np.ndarray:
        return np.array(c[name].labels + [""], dtype=object)[c[name].index]

    table = TargetTable(
        periods=tuple(_period(code, frequency, month) for frequency, month, code in t_keys),
        indicator=np.array(codes + [""], dtype=object)[position],
        entity=ent_lut[np.where(c["entity_id"] < len(ent_lut), c["entity_id"], 0)],
        primary=c["primary"],
        baseline_period=period_column("baseline_period"),
        baseline_value=c["baseline_value"],
        target_value=c["target_value"],
        target_relative=c["target_relative"],
        target_period=period_column("target_period"),
        shape=texts("shape"),
        milestones=tuple(milestones),
        document=texts("document__code"),
    )
    return table, named


def _groupings(plan: Plan, row_of: dict[str, int]) -> list[EngineGrouping]:
    return [
        EngineGrouping(
            code=g.code,
            members=tuple(
                (m.entity.code, m.valid_from, m.valid_to)
                for m in g.memberships.all()
                if m.entity.code in row_of
            ),
        )
        for g in Grouping.objects.filter(
            Q(organisation_id=plan.organisation_id) | Q(organisation__isnull=True)
        ).prefetch_related("memberships__entity")
    ]


FIGURE_COLUMNS = {
    "indicator_id": "int",
    "entity_id": "int",
    "period": "text",
    "number": "float",
    "source_id": "int",
}


def read_figures(
    plan: Plan,
    structure: Structure,
    codes: list[str],
    *,
    as_of: dt.datetime | None = None,
    include_submitted: bool = False,
    columnar: bool = True,
) -> Figures:
    """Return the figures of the indicators ``codes`` in force (at ``as_of``), as arrays.

    The approved figures, and with ``include_submitted`` a submitted revision in force,
    which stands in for the approved one, flagged unapproved. Read as columns: no Python
    object per figure (``columnar``; else through Django's cursor, for a few indicators).
    """
    indicators = [structure.indicators[code] for code in codes]
    index_of = {i.pk: n for n, i in enumerate(indicators)}
    # By indicator ids rather than a join on the plan: SQLite plans this one better.
    values = Value.objects.totals().filter(indicator_id__in=list(index_of), number__isnull=False)
    batches = [values.counting()]
    if include_submitted:
        batches.append(values.counting(include_submitted=True).proposals())
    # A submitted revision in force is newer than the approved one: it comes second, and
    # its figure takes the place where it is asked for.
    read = [
        fetch_columns(
            q.as_of(as_of) if as_of is not None else q.current(), FIGURE_COLUMNS, columnar=columnar
        )
        for q in batches
    ]
    labels = sorted({label for batch in read for label in batch["period"].labels})
    code_index = {label: k for k, label in enumerate(labels)}
    for batch in read:  # one numbering of the period labels across the batches
        remap = np.array([code_index[label] for label in batch["period"].labels], dtype=np.int64)
        batch["per"] = remap[batch["period"].index] if len(remap) else batch["period"].index
    column_of = {
        name: np.concatenate([b[name] for b in read])
        for name, kind in FIGURE_COLUMNS.items()
        if kind != "text"
    }
    per = np.concatenate([b["per"] for b in read])
    proposed = np.repeat(np.arange(len(read), dtype=float), [len(b["per"]) for b in read])
    n = len(per)

    # Ids to array positions, vectorised: a look-up table per kind of id.
    ind_lut = np.full(max(index_of, default=0) + 1, -1)
    ind_lut[list(index_of)] = list(index_of.values())
    ids = column_of["indicator_id"]
    ind = np.where(ids < len(ind_lut), ind_lut[np.minimum(ids, len(ind_lut) - 1)], -1)
    row_of = {code: k for k, code in enumerate(structure.tree.codes)}
    entity_ids = structure.entity_ids
    ent_lut = np.full(max(entity_ids, default=0) + 1, -1)
    ent_lut[list(entity_ids)] = [row_of[c] for c in entity_ids.values()]
    ids = column_of["entity_id"]
    # Only the plan's federation: an entity of another tree has no row here.
    ent = np.where(ids < len(ent_lut), ent_lut[np.minimum(ids, len(ent_lut) - 1)], -1)

    # Each indicator's axis: contiguous periods from its first figure or baseline to the
    # later of the plan's horizon and its last target period or figure.
    seen: dict[str, set[str]] = {code: set(structure.named[code]) for code in codes}
    width = max(len(labels), 1)
    for pair in np.unique(ind * width + per).tolist():
        seen[codes[pair // width]].add(labels[pair % width])
    periods: dict[str, list[Period]] = {}
    for code, indicator in zip(codes, indicators, strict=True):
        known = [_parse(p, indicator) for p in seen[code]]
        first = Period.containing(
            dt.date(plan.horizon_start, 1, 1), indicator.frequency, indicator.start_month
        )
        periods[code] = period_range(
            min([first, *known]), max([_horizon_end(plan, indicator), *known])
        )

    # Scatter every figure at once into (indicator, entity, period) arrays.
    axis = max((len(p) for p in periods.values()), default=0)
    column = np.full((len(codes), width), -1)
    for i, code in enumerate(codes):
        for j, p in enumerate(periods[code]):
            if p.code in code_index:
                column[i, code_index[p.code]] = j
    shape = (len(codes), len(structure.tree), axis)
    own_all, flag_all, proposed_all = (np.full(shape, np.nan) for _ in range(3))
    if n:
        col = column[ind, per]
        examples = list(Source.objects.filter(is_example=True).values_list("pk", flat=True))
        is_example = np.isin(column_of["source_id"], examples)
        # Batch by batch, so that a later one's figure is the one that stays.
        for k in range(len(read)):
            pick = (proposed == k) & (ent >= 0) & (ind >= 0)
            where = (ind[pick], ent[pick], col[pick])
            own_all[where] = column_of["number"][pick]
            flag_all[where] = is_example[pick]
            proposed_all[where] = k

    def split(stack: np.ndarray) -> dict[str, np.ndarray]:
        return {code: stack[i, :, : len(periods[code])] for i, code in enumerate(codes)}

    return Figures(periods, split(own_all), Flags(split(flag_all), split(proposed_all)))


def assemble(structure: Structure, figures: Figures) -> EvaluationInput:
    """Return the engine's input made of a plan's structure and figures."""
    return EvaluationInput(
        tree=structure.tree,
        groupings=structure.groupings,
        lineages=structure.lineages,
        indicators=structure.specs,
        periods=figures.periods,
        values=figures.values,
        targets=structure.targets,
    )


def read_input(
    plan: Plan, *, as_of: dt.datetime | None = None, include_submitted: bool = False
) -> tuple[EvaluationInput, dict[str, Indicator], Flags]:
    """Return the engine's input for ``plan``, its indicators, and the flags of its figures.

    The figures are the approved ones in force (at ``as_of``); with ``include_submitted``,
    a submitted revision in force stands in for the approved one, flagged unapproved.
    """
    structure, figures = _read_all(plan, as_of, include_submitted)
    return assemble(structure, figures), structure.indicators, figures.flags


def _read_all(plan: Plan, as_of, include_submitted: bool) -> tuple[Structure, Figures]:
    structure = read_structure(plan, as_of=as_of)
    codes = list(structure.indicators)
    figures = read_figures(plan, structure, codes, as_of=as_of, include_submitted=include_submitted)
    return structure, figures


@paused_collection()
def evaluate_plan(
    plan: Plan,
    *,
    as_of: dt.datetime | None = None,
    at: dict[str, Period] | None = None,
    include_submitted: bool = False,
) -> PlanEvaluation:
    """Return the plan evaluated on the figures and targets in force (at ``as_of``).

    ``at`` (per indicator code) limits forecasts and growth rates to the figures up to
    that period, as someone standing then would have seen them. Only approved figures
    count, unless ``include_submitted`` adds the submitted ones (flagged unapproved).
    """
    stamps = _stamps(plan)  # before the figures: a change in between is read again later
    structure, figures = _read_all(plan, as_of, include_submitted)
    inp = assemble(structure, figures)
    if at:
        # A period outside an indicator's axis has no figure to stand at: no data there.
        at = {c: p for c, p in at.items() if c in inp.periods and p in inp.periods[c]}
    evaluation = evaluate(inp, at=at)
    return _made(plan, structure, figures, evaluation, stamps, as_of=as_of, at=at,
                 include_submitted=include_submitted)  # fmt: skip


def _made(
    plan: Plan,
    structure: Structure,
    figures: Figures,
    evaluation: Evaluation,
    stamps: dict[str, str],
    *,
    as_of: dt.datetime | None = None,
    at: dict | None = None,
    include_submitted: bool = False,
    previous: PlanEvaluation | None = None,
    anew: set[str] | None = None,
) -> PlanEvaluation:
    """Return the PlanEvaluation of ``evaluation``, with the flags its figures rest on
    (worked out again for ``anew`` only, with a ``previous`` evaluation)."""
    tree, indicators = structure.tree, structure.indicators

    def rests_on(entered: dict, before: dict | None) -> dict:
        return _rests_on(entered, evaluation, indicators, tree, before, anew)

    memos = {}
    if previous is not None:
        memos = _lasting_memos(previous, anew)
        memos |= {"base": previous.base, "since_base": previous.since_base | anew}
    else:
        memos |= {"since_base": frozenset(evaluation.indicators)}
    return PlanEvaluation(
        plan,
        tree,
        indicators,
        evaluation,
        rests_on(figures.flags.example, previous.example if previous else None),
        as_of,
        unapproved=rests_on(figures.flags.unapproved, previous.unapproved if previous else None),
        include_submitted=include_submitted,
        structure=structure,
        figures=figures,
        stamps=stamps,
        at=at,
        **memos,
    )


def _lasting_memos(previous: PlanEvaluation, anew: set[str]) -> dict[str, dict]:
    """Return what was worked out from ``previous`` that still holds: what rests on the
    indicators that did not change (not in ``anew``). Each is kept under the period it
    is seen from (`PlanEvaluation.seen_from`), never under "today": once today is in a
    new period, the pages ask for it under a new key. (A copy of the items first:
    requests may add to the memos meanwhile.)"""
    return {
        name: {k: v for k, v in list(getattr(previous, name).items()) if k[0] not in anew}
        for name in ("derived", "outlooks")
    }


def _stamps(plan: Plan) -> dict[str, str]:
    """Return, per indicator of ``plan``, the stamp of its figures' latest change."""
    return dict(plan.indicators.values_list("code", "data_stamp"))


@paused_collection()
def refreshed(pe: PlanEvaluation, plan: Plan) -> PlanEvaluation:
    """Return ``pe`` brought up to the plan's data now, reusing what did not change.

    Only the indicators whose figures changed since are read again; they and the
    indicators computed from them are evaluated again, the others' results are kept. A
    plan load (targets, indicators, the tree) makes a full evaluation.
    """
    stamps = _stamps(plan)
    structure = pe.structure
    if (
        structure is None
        or pe.as_of is not None
        or pe.at
        or plan.structure_stamp != structure.stamp
        or set(stamps) != set(pe.stamps)
        or Entity.objects.for_tree(plan.organisation_id) != structure.tree_rows
    ):
        return evaluate_plan(plan, as_of=pe.as_of, include_submitted=pe.include_submitted)
    changed = sorted(code for code, stamp in stamps.items() if pe.stamps[code] != stamp)
    if not changed:
        # Read already: after a change the request's plan had not seen, or a snapshot
        # another process wrote of the data as it now is. What was worked out from it
        # holds. (Dropped, every indicator's outlooks were worked out again for the next
        # overview, reading the whole snapshot file, and kept as the process's own copies
        # until its next write: in one benchmark run, +19 MB.)
        return dataclasses.replace(pe, plan=plan, **_lasting_memos(pe, set()))
    # A few indicators' figures: row by row (a tenth of them or more: as columns).
    fresh = read_figures(
        plan,
        structure,
        changed,
        include_submitted=pe.include_submitted,
        columnar=10 * len(changed) >= len(stamps),
    )
    figures = pe.figures.replaced(fresh)
    inp = assemble(structure, figures)
    evaluation = evaluate(inp, previous=pe.evaluation, changed=changed)
    anew = affected(structure.specs, changed)
    return _made(plan, structure, figures, evaluation, stamps,
                 include_submitted=pe.include_submitted, previous=pe, anew=anew)  # fmt: skip


@paused_collection()
def from_saved_input(plan: Plan, include_submitted: bool = False) -> PlanEvaluation | None:
    """Return the plan evaluated in full from its saved input (the structure and the
    dense figures kept in the data folder), brought up to date; None if none is saved.

    What a process does when no evaluation made by this code is saved, after an upgrade:
    the figures are mapped from the file, not read row by row from the database.
    """
    saved = snapshots.load_input(plan, include_submitted)
    if saved is None:
        return None
    structure, figures, stamps = saved
    evaluation = evaluate(assemble(structure, figures))
    pe = _made(plan, structure, figures, evaluation, stamps, include_submitted=include_submitted)
    return refreshed(pe, plan)


def _rests_on(
    entered: dict,
    evaluation: Evaluation,
    indicators: dict,
    tree: Tree,
    previous: dict | None = None,
    anew: set[str] | None = None,
) -> dict:
    """Return, per indicator (E, P), whether each figure of record rests on flagged figures.

    An entity's own flag where it entered a figure, else whether any of its members'
    figures does (max up the tree). A ratio computed from its parts rests on them when
    either part does; a ratio the entity entered itself keeps its own flag. With
    ``previous``, only the indicators in ``anew`` are worked out again.
    """
    out = {}
    again = [c for c in evaluation.indicators if previous is None or c in anew]
    for code in evaluation.indicators:
        if code not in again:
            out[code] = previous[code]
            continue
        result = evaluation.indicators[code]
        flags = entered[code]
        if not (flags > 0).any():  # nothing flagged (1; 0 unflagged, NaN none): nothing to carry up
            out[code] = np.zeros(result.figure.shape, dtype=bool)
            continue
        if result.carried.any():  # a carried figure keeps the flags of the one it repeats
            column = np.arange(flags.shape[1])[None, :] - result.carried
            flags = np.take_along_axis(flags, column, axis=1)
        out[code] = flagged_up(flags, tree, result.periods)
    for code in again:
        result = evaluation.indicators[code]
        mine = ~np.isnan(entered[code])
        for part in (indicators[code].numerator, indicators[code].denominator):
            if part is None:
                continue
            where = {p: j for j, p in enumerate(evaluation.indicators[part.code].periods)}
            for j, period in enumerate(result.periods):
                if period in where:
                    out[code][:, j] |= out[part.code][:, where[period]] & ~mine[:, j]
    return out


def end_of_day(day: dt.date) -> dt.datetime:
    """Return the last moment of ``day`` in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def coherence_notes(pe: PlanEvaluation, entity: str) -> list[str]:
    """Return sentences on the coherence of the targets at ``entity``.

    A ratio whose parts both have targets has an implied change (students +49 % with
    staff +25 % means students per staff +19 %); the targets of an entity's children,
    where every active child has one, should add up to the entity's own target.
    """
    row = pe.tree.codes.index(entity)
    notes = []
    for code, indicator in pe.indicators.items():
        if indicator.kind == "ratio":
            parts = [pe.result(indicator.numerator.code), pe.result(indicator.denominator.code)]
            changes = [relative_change(p.baseline[row], p.target[row]) for p in parts]
            if not any(np.isnan(changes)):
                implied = implied_ratio_change(*changes)
                notes.append(
                    f"{indicator.numerator.code} {changes[0]:+.1%} with {indicator.denominator.code} "
                    f"{changes[1]:+.1%} implies {code} {implied:+.1%}."
                )
        result = pe.result(code)
        if indicator.across != "sum" or np.isnan(result.target[row]):
            continue
        children = [
            i for i in pe.tree.children(row) if result.target_period[i] == result.target_period[row]
        ]
        active = (
            pe.tree.active([result.target_period[row]])[:, 0] if result.target_period[row] else None
        )
        expected = [i for i in pe.tree.children(row) if active is not None and active[i]]
        if expected and sorted(children) == sorted(expected):
            gap = target_sum_gap(
                result.target[row], {pe.tree.codes[i]: result.target[i] for i in children}
            )
            if abs(gap) > 0.005 * abs(result.target[row]):
                notes.append(
                    f"{code}: the targets of {entity}'s {len(children)} members add up to "
                    f"{result.target[row] - gap:,.0f}, not {result.target[row]:,.0f} (gap {gap:+,.0f})."
                )
    return notes


_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 8
_latest_locks: dict = {}  # per plan: one thread at a time brings it up to date


def cached_evaluation(
    plan: Plan, *, as_of: dt.datetime | None = None, include_submitted: bool = False
) -> PlanEvaluation:
    """Return the plan's evaluation, computed once per version of its data (and ``as_of``).

    The key holds the plan's data stamp, read from the database with the plan, so a
    change made by any process invalidates every process's copy; the cache is only ever
    a copy of what the engine computes from the database. After a change, the latest
    evaluation is brought up to date (`refreshed`) rather than made anew, and every
    evaluation of the plan's older data is let go, so memory does not grow with changes.
    """
    key = (plan.pk, plan.data_stamp, as_of, include_submitted)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        earlier = [
            pe
            for (pk, _, moment, submitted), pe in reversed(_cache.items())
            if pk == plan.pk and moment is None and submitted == include_submitted
        ]
    if as_of is not None:
        result = _kept(key, evaluate_plan(plan, as_of=as_of, include_submitted=include_submitted))
    else:
        # One thread at a time brings a plan up to date; the others wait for its result
        # rather than work it out again, each with copies of its own.
        with _cache_lock:
            lock = _latest_locks.setdefault(plan.pk, threading.Lock())
        with lock:
            with _cache_lock:
                if key in _cache:
                    _cache.move_to_end(key)
                    return _cache[key]
            result = _kept(key, _latest(plan, key, earlier, include_submitted))
    # The memory of the evaluation let go is given back once nothing here holds it: given
    # back while ``earlier`` still held it, what its small arrays had taken stayed with
    # the process (through 80 changes, a process's own memory rose 22 and 12 MB at two
    # readings, gone at the next).
    earlier.clear()
    snapshots.release_memory()
    return result


def _kept(key: tuple, result: PlanEvaluation) -> PlanEvaluation:
    """Keep ``result`` in the cache under ``key``, and let the plan's older data go."""
    with _cache_lock:
        for stale in [k for k in _cache if k[0] == key[0] and k[1] != key[1]]:
            del _cache[stale]
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _latest(plan: Plan, key: tuple, earlier: list, include_submitted: bool) -> PlanEvaluation:
    """Return the evaluation of the plan's data as it now is: from a snapshot another
    process wrote, from this process's own ``earlier`` evaluation brought up to date, or
    evaluated in full; and share it."""
    # Another process may have evaluated this data already: take its snapshot, or
    # the newest one, and bring it up to date; else evaluate, and share the result.
    result = None if earlier else snapshots.load(plan, include_submitted)
    if result is None:
        base = earlier[0] if earlier else None
        newest = snapshots.newest_name(plan, include_submitted)
        if newest is not None and (base is None or newest != base.base):
            # A newer snapshot than the one this process maps: take it, and let this
            # process's own copies of what changed since go.
            base = snapshots.load(plan, include_submitted, latest=True) or base
        if base is not None:
            result = refreshed(base, plan)
        else:
            # Evaluated in full, from the saved input if there is one (after an
            # upgrade), else from the database.
            result = from_saved_input(plan, include_submitted)
            if result is None:
                result = evaluate_plan(plan, include_submitted=include_submitted)
        if result.base:
            # Once a twentieth of the indicators are this process's own copies, the
            # snapshot is written soon, and every process maps it on its next change.
            soon = 20 * len(result.since_base) >= len(result.indicators)
            adopt = functools.partial(_adopt, key, plan, include_submitted)
            snapshots.save_later(result, plan.data_stamp, soon=soon, then=adopt)
        else:
            # A full evaluation: share it at once, and keep the shared copy rather
            # than this process's own (memory mapped: one per machine).
            if snapshots.save_now(result, plan.data_stamp):
                result = snapshots.load(plan, include_submitted) or result
    return result


def _adopt(key, plan: Plan, include_submitted: bool) -> None:
    """Put the snapshot just written in place of the evaluation it copies, if that is
    still the cached one: its arrays are mapped, shared, and no longer this process's."""
    with _cache_lock:
        if key not in _cache:
            return
    mapped = snapshots.load(plan, include_submitted)
    if mapped is None:
        return
    with _cache_lock:
        if key in _cache:
            # Not the outlooks worked out meanwhile: the file has those written with it,
            # and arrays read from an older file would keep that file mapped.
            _cache[key] = mapped


@dataclass
class Breakdown:
    """An indicator broken down along one dimension, members consolidated like the total."""

    dimension: object  # plans.Dimension
    members: list  # plans.DimensionMember, in order
    values: np.ndarray  # (M, E, P) figures of record per member
    example: np.ndarray  # (M, E, P) bool: rests on example data
    gaps: dict[str, np.ndarray]  # engine.breakdown.breakdown_gaps, against the total


def breakdowns(pe: PlanEvaluation, indicator: Indicator) -> list[Breakdown]:
    """Return the indicator's breakdowns, each member consolidated by the indicator's rule."""
    result = pe.result(indicator.code)
    column = {p.code: j for j, p in enumerate(result.periods)}
    row_of = {code: n for n, code in enumerate(pe.tree.codes)}
    dimensions = list(indicator.dimensions.prefetch_related("members"))
    if not dimensions:
        return []
    values = Value.objects.filter(indicator=indicator, member__isnull=False, number__isnull=False)
    batches = [values.counting()]
    if pe.include_submitted:
        batches.append(values.counting(include_submitted=True).proposals())
    fields = ("member_id", "entity__code", "period", "number", "source__is_example")
    rows = [
        row
        for batch in batches
        for row in _fetch(batch.as_of(pe.as_of) if pe.as_of else batch.current(), *fields)
    ]
    out = []
    across = (
        Across(indicator.across)
        if indicator.across in (Across.SUM, Across.MIN, Across.MAX)
        else Across.SUM
    )
    for dimension in dimensions:
        members = list(dimension.members.all())
        index = {m.pk: k for k, m in enumerate(members)}
        own = np.full((len(members), len(pe.tree), len(result.periods)), np.nan)
        flags = np.full(own.shape, np.nan)
        for member_id, entity, period, number, is_example in rows:  # a submitted one last
            if member_id in index and period in column and entity in row_of:
                own[index[member_id], row_of[entity], column[period]] = number
                flags[index[member_id], row_of[entity], column[period]] = 1.0 if is_example else 0.0
        made = consolidate(own, pe.tree, result.periods, across)
        consolidated = made.value
        if pe.withholding is not None:  # a member's total rests on its own members
            single = across in (Across.MIN, Across.MAX)
            consolidated = _withhold_members(pe, result, made, consolidated, single)
        if indicator.over_time == OverTime.CUMULATIVE:  # no running total past a withheld flow
            consolidated = _running_like(result, consolidated, pe.tree)
        example = flagged_up(flags, pe.tree, result.periods)
        gaps = breakdown_gaps(result.figure, consolidated)
        if pe.withholding is not None:  # no gap where the members are withheld
            gone = np.isnan(consolidated).all(axis=0) & ~np.isnan(made.value).all(axis=0)
            gaps = {
                name: np.where(gone, np.nan if array.dtype.kind == "f" else False, array)
                for name, array in gaps.items()
            }
        out.append(Breakdown(dimension, members, consolidated, example, gaps))
    return out


def _withhold_members(pe: PlanEvaluation, result, made, consolidated, single) -> np.ndarray:
    """Return a breakdown's figures (M, E, P) less what the reader may not see: at the
    withheld rows, every member's total of a period where one of them rests on too few
    members (the others and the whole would give it away), or where the indicator's own
    total is withheld there."""
    w = pe.withholding
    rows = np.asarray(w.rows, dtype=int)
    active = pe.tree.active(result.periods)
    seen = np.zeros(len(pe.tree), dtype=bool)
    seen[list(w.seen)] = True
    hide = np.zeros(consolidated.shape[1:], dtype=bool)  # (E, P): the whole breakdown
    for k in range(consolidated.shape[0]):
        below = reporters_below(made.value[k], made.own[k], pe.tree, active, tops=rows, seen=seen)[
            rows
        ]
        there = ~np.isnan(made.value[k, rows])
        few = (below < w.fewest) | (single & (w.fewest > 1))  # an extreme: one member's
        hide[rows] |= there & np.isnan(made.own[k, rows]) & (below > 0) & few
    if result.suppressed is not None:
        hide[rows] |= result.suppressed[rows]
    return np.where(hide[None], np.nan, consolidated)


def _running_like(result, flows: np.ndarray, tree: Tree) -> np.ndarray:
    """Return breakdown flows (M, E, P) accumulated like the indicator's total.

    The total of a cumulative indicator is a running total from a baseline; its members
    accumulate from the same one, so that they add up to it.
    """
    running = running_total(flows, result.running_from[None])
    return np.where(tree.active(result.periods)[None], running, np.nan)


def derived_examples(
    pe: PlanEvaluation, code: str, period: Period | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per entity, whether its target and its forecast rest on example data.

    A target does when its baseline is the measured figure and that figure is an
    example; a forecast does when any figure it was fitted on is (up to ``period``).
    """
    # Seen from a period, not from "today": so kept through changes to other indicators
    # (`_lasting_memos`), as the outlooks are. (Keyed on None, all of them were worked out
    # again for the overview after each change: 10 ms of its wait at 1M figures.)
    period = pe.seen_from(code, period)
    key = (code, period)
    if key in pe.derived:
        return pe.derived[key]
    result = pe.result(code)
    flags = pe.example[code]
    rows = np.arange(len(pe.tree))
    column = result.baseline_column
    at_baseline = np.where(column >= 0, flags[rows, np.maximum(column, 0)], False)
    target = result.baseline_measured & at_baseline
    fitted = flags & ~np.isnan(result.figure)
    view = pe.outlook(code, period)
    fitted &= result.carried == 0  # carried figures are no observations for the trend
    shown = np.array(list(result.periods), dtype=object)
    if view.at is not None:
        fitted &= (shown <= view.at)[None, :]
    if view.since is not None:
        fitted &= (shown >= view.since)[None, :]
    pe.derived[key] = (target, fitted.any(axis=1))
    return pe.derived[key]
