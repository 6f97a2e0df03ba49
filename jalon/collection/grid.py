"""The entry grid: one entity's figures for a round, indicators down, periods across.

Each row shows the indicator's unit, its figures of record for the years before, the cell
of the round's period, the figure expected there on the entity's target path and the
target. A cell is checked as one types (`check`), with the indicator's own rules, and
asks for a comment where the figure jumps from the previous one or is off track. Saving
(`save`) goes through the value files' rules, so the grid, a file and a spreadsheet
write the same way: every problem said, nothing half-written.
"""

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from django.utils.formats import get_format
from django.utils.translation import gettext as _

from jalon.collection.models import STATE_LABELS, CollectionRound, scope_for
from jalon.core.yamlsource import FileProblems, Located
from jalon.dashboard.figures import format_figure, format_percent, missing
from jalon.engine.periods import Period
from jalon.engine.status import Thresholds, assess
from jalon.organisation.models import Entity
from jalon.plans.models import Indicator
from jalon.values.choices import ValueState
from jalon.values.evaluation import PlanEvaluation
from jalon.values.models import Value
from jalon.values.valuefile import CONTROL, ValuesReport, store_data

YEARS_BEFORE = 2  # how many years of figures of record the grid shows before the round's


class GridProblems(Exception):
    """Raised by `save` with a sentence per row code; nothing was written."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


@dataclass
class Row:
    """One indicator of the grid: what is shown beside its cell, and what the cell holds."""

    indicator: Indicator
    period: Period
    past: list[tuple]  # (year, period code, figure shown, example?) before the round's
    previous: float | None  # the figure of record just before the round's period
    previous_period: str  # its period's code
    record: float | None  # the figure of record of the round's period, if any
    record_comment: str  # and its comment
    proposal: Value | None  # the draft, submission or returned figure in force
    expected: float | None = None  # on the entity's target path at the round's period
    baseline: float | None = None
    target: float | None = None
    target_period: Period | None = None
    text: str = ""  # what the cell shows: the proposal, else the figure of record
    comment: str = ""
    problem: str = ""  # the figure cannot be saved as it is
    asks: str = ""  # the figure needs a comment (a jump, or off track)
    number: float | None = None  # the figure typed, as stored (after the percent factor)

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def state(self) -> str:
        """Return missing, draft, submitted, returned or approved: where the cell stands."""
        if self.proposal is not None:
            return self.proposal.state
        return ValueState.APPROVED if self.record is not None else "missing"

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def returned_comment(self) -> str:
        """Return the steward's comment on a returned figure ("" otherwise)."""
        if self.proposal is not None and self.proposal.state == ValueState.RETURNED:
            return self.proposal.comment
        return ""

    @property
    def shown_previous(self) -> str:
        return format_figure(self.previous, self.indicator)

    @property
    def shown_expected(self) -> str:
        return "—" if missing(self.expected) else format_figure(self.expected, self.indicator)

    @property
    def shown_target(self) -> str:
        if missing(self.target):
            return "—"
        return f"{format_figure(self.target, self.indicator)} ({self.target_period.code})"

    @property
    def step(self) -> str:
        """Return the input's step: 1 for whole counts, "any" otherwise."""
        whole = self.indicator.count and not self.indicator.fractions
        return "1" if whole else "any"


def parse_number(text: str, *, share: bool = False) -> float:
    """Return the number typed in a cell: 13400, 13 400, 1 234,5, 1,234.5, 1.234,5, 78,1 %.

    One comma or point alone is the decimal mark (French, and Excel in French, write
    1234,5); digits grouped by three (with spaces, commas or points) are thousands. Raise
    ValueError where it is no number, or an ambiguous one.
    """
    t = re.sub(r"[\u00a0\u202f']", " ", text.strip())
    if share:
        t = re.sub(r"\s*%$", "", t)
    for pattern, group, decimal in _FORMS:
        if pattern.fullmatch(t):
            t = t.replace(group, "") if group else t
            number = float(t.replace(decimal, ".") if decimal else t)
            if not math.isfinite(number) or abs(number) > 1e15:
                break
            return number
    raise ValueError(text)


_FORMS = [  # (pattern, thousands separator to drop, decimal mark to read as a point)
    (re.compile(r"[+-]?\d+(?:,\d*)?"), "", ","),
    (re.compile(r"[+-]?\d+(?:\.\d*)?"), "", ""),
    (re.compile(r"[+-]?,\d+"), "", ","),
    (re.compile(r"[+-]?\.\d+"), "", ""),
    (re.compile(r"[+-]?\d{1,3}(?: \d{3})+(?:,\d+)?"), " ", ","),
    (re.compile(r"[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?"), " ", ""),
    (re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"), ",", ""),
    (re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"), ".", ","),
]


def cell_text(number: float | None, indicator: Indicator) -> str:
    """Return a figure as a cell shows it: plain digits, the language's decimal mark."""
    if number is None:
        return ""
    text = f"{number * indicator.percent_factor:.12g}"
    if "e" in text:  # beyond 12 digits: write it out rather than in scientific notation
        text = f"{number * indicator.percent_factor:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))


def rows_for(round_: CollectionRound, entity: Entity, pe: PlanEvaluation) -> list[Row]:
    """Return the grid's rows for ``entity``: the round's indicators it is asked for."""
    indicators = [
        i
        for i in round_.indicators.order_by("order", "code")
        if i.period_of_year(round_.year) is not None
    ]
    years = list(range(round_.year - YEARS_BEFORE, round_.year))
    periods = {i.pk: [i.period_of_year(y) for y in [*years, round_.year]] for i in indicators}
    codes = {p.code for ps in periods.values() for p in ps if p is not None}
    in_force = (
        Value.objects.current()
        .totals()
        .filter(entity=entity, indicator__in=indicators, period__in=codes)
    )
    approved, approved_comments, proposals, examples = {}, {}, {}, set()
    for value in in_force.select_related("source"):
        key = (value.indicator_id, value.period)
        if value.state == ValueState.APPROVED:
            approved[key] = value.number
            approved_comments[key] = value.comment
            if value.is_example:
                examples.add(key)
        elif value.state in (ValueState.DRAFT, ValueState.SUBMITTED, ValueState.RETURNED):
            proposals[key] = value
    rows = []
    for indicator in indicators:
        *before, period = periods[indicator.pk]
        past = [
            (
                y,
                p.code,
                format_figure(approved.get((indicator.pk, p.code)), indicator),
                (indicator.pk, p.code) in examples,
            )
            if p is not None
            else (y, "", "—", False)
            for y, p in zip(years, before, strict=True)
        ]
        known = [
            (p.code, approved[(indicator.pk, p.code)])
            for p in before
            if p and (indicator.pk, p.code) in approved
        ]

        row = Row(
            indicator=indicator,
            period=period,
            past=past,
            previous=known[-1][1] if known else None,
            previous_period=known[-1][0] if known else "",
            record=approved.get((indicator.pk, period.code)),
            record_comment=approved_comments.get((indicator.pk, period.code), ""),
            proposal=proposals.get((indicator.pk, period.code)),
        )
        _path(row, entity, pe)
        shown = row.proposal.number if row.proposal is not None else row.record
        row.text = cell_text(shown, indicator)
        if row.proposal is None:
            row.comment = row.record_comment
        elif not row.returned_comment:
            row.comment = row.proposal.comment
        rows.append(row)
    return rows


def _path(row: Row, entity: Entity, pe: PlanEvaluation) -> None:
    """Set what the entity's primary target expects at the row's period, and the target."""
    code = row.indicator.code
    if code not in pe.evaluation.indicators or entity.code not in pe.tree.codes:
        return
    r = pe.result(code)
    at = pe.tree.codes.index(entity.code)
    target_period = r.target_period[at]
    if target_period is None or missing(r.target[at]):
        return
    row.target, row.target_period = float(r.target[at]), target_period
    row.baseline = None if missing(r.baseline[at]) else float(r.baseline[at])
    if row.period in r.periods:
        expected = r.expected[at, r.periods.index(row.period)]
        row.expected = None if missing(expected) else float(expected)


def check(row: Row, text: str, comment: str, plan) -> Row:
    """Check what was typed in the row's cell; set the row's number, problem and request.

    Hard problems (no number, against the indicator's rules) stop saving; a jump of more
    than the plan's share from the previous figure, or a figure off track on the entity's
    target path, asks for a comment, and stops saving until there is one.
    """
    indicator = row.indicator
    row.text, row.comment = text.strip(), comment.strip()
    row.problem = row.asks = ""
    row.number = None
    if CONTROL.search(row.comment):
        row.problem = _("Remove the invisible control characters from the comment.")
        return row
    if not row.text:
        return row
    try:
        typed = parse_number(row.text, share=indicator.is_share)
    except ValueError:
        row.problem = _("Type a number: digits, with a decimal comma or point.")
        return row
    row.number = typed / indicator.percent_factor
    wrong = indicator.figure_problem(row.number)
    if wrong:
        row.problem = wrong
        return row
    if row.comment or _untouched(row):
        return row  # explained, or the figure in force left as it is: nothing to ask
    limit = plan.explain_change_above
    if row.previous not in (None, 0) and abs(row.number - row.previous) > limit * abs(row.previous):
        change = (row.number - row.previous) / abs(row.previous)
        row.asks = _(
            "This figure moves %(change)s from the previous one (%(previous)s): say why in the"
            " comment (the plan asks past %(limit)s)."
        ) % {
            "change": ("+" if change > 0 else "−") + format_percent(abs(change)),
            "previous": row.shown_previous,
            "limit": format_percent(limit),
        }
        return row
    status = _status(row)
    if status == "missed":
        row.asks = _(
            "This figure misses the target, %(target)s for %(period)s: a comment is required."
        ) % {"target": format_figure(row.target, indicator), "period": row.target_period.code}
    elif status == "off_track":
        row.asks = _(
            "This figure is off track: %(expected)s expected for %(period)s, on the way to"
            " %(target)s for %(target_period)s. A comment is required."
        ) % {
            "expected": row.shown_expected,
            "period": row.period.code,
            "target": format_figure(row.target, indicator),
            "target_period": row.target_period.code,
        }
    return row


def _status(row: Row) -> str:
    """Return the status the typed figure would have on the entity's primary target."""
    indicator = row.indicator
    if row.number is None or row.target is None:
        return "no_target"
    final = row.period >= row.target_period
    expected = row.target if final else row.expected
    if expected is None:
        return "no_target"
    on_track, at_risk = indicator.thresholds
    result = assess(
        row.number,
        expected,
        math.nan if row.baseline is None else row.baseline,
        row.target,
        polarity=indicator.polarity,
        final=final,
        thresholds=Thresholds(on_track=on_track, at_risk=at_risk),
        band_low=math.nan if indicator.band_low is None else indicator.band_low,
        band_high=math.nan if indicator.band_high is None else indicator.band_high,
    )
    return str(result.status)


@dataclass
class Saved:
    """What a save did: the report of the value files, and the rows written."""

    report: ValuesReport
    written: list[str] = field(default_factory=list)


def save(
    rows: list[Row],
    posted,
    *,
    round_: CollectionRound,
    entity: Entity,
    access,
    action: str,
    published: dt.date | None = None,
    actor=None,
) -> Saved:
    """Save the grid's figures as drafts, or submit them; raise GridProblems, writing nothing.

    Only what changes is written: a figure typed anew, a new comment, or (to submit) a
    draft or returned figure. An empty cell writes nothing; a figure of record that is not
    touched stays as it is.
    """
    state = ValueState.SUBMITTED if action == "submit" else ValueState.DRAFT
    problems: dict[str, str] = {}
    wanted = []
    for row in rows:
        check(row, posted.get(f"v-{row.code}", ""), posted.get(f"c-{row.code}", ""), round_.plan)
        if row.problem or row.asks:
            problems[row.code] = row.problem or row.asks
        elif row.number is not None and _changes(row, state):
            wanted.append(row)
    if problems:
        raise GridProblems(problems)
    if not wanted:
        return Saved(report=ValuesReport())
    data = {
        "jalon": 1,
        "plan": round_.plan.code,
        "state": str(state),
        "values": [
            {
                "indicator": row.code,
                "entity": entity.code,
                "period": row.period.code,
                "value": row.number,
                "comment": row.comment or None,
            }
            for row in wanted
        ],
    }
    if published is not None:
        data["published"] = published
    where = {("values", n): (n + 1, 1) for n in range(len(wanted))}
    try:
        report = store_data(
            Located(data=data, values=where),
            "grid",
            actor=actor,
            action="grid",
            plan=round_.plan,
            scope=scope_for(access),
        )
    except FileProblems as error:
        raise GridProblems(
            {
                (wanted[p.line - 1].code if 0 < p.line <= len(wanted) else "grid"): p.message
                for p in error.problems
            }
        ) from error
    return Saved(report=report, written=[row.code for row in wanted])


def _untouched(row: Row) -> bool:
    """Return whether the cell holds the figure in force, as it was shown."""
    if row.proposal is not None:
        return (
            row.proposal.state != ValueState.RETURNED
            and _same(row.proposal.number, row.number)
            and row.comment == row.proposal.comment
        )
    return _same(row.record, row.number) and row.comment == row.record_comment


def _changes(row: Row, state: str) -> bool:
    """Return whether saving the row in ``state`` writes a revision."""
    proposal = row.proposal
    if proposal is None:
        return not _untouched(row)
    if not _same(proposal.number, row.number):
        return True
    if proposal.state == ValueState.RETURNED:
        return True  # answering the steward: a new draft or submission
    if row.comment != proposal.comment:
        return True
    return state == ValueState.SUBMITTED and proposal.state == ValueState.DRAFT


def _same(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
