"""Value files: figures to import, all or nothing, each a new revision with its provenance.

A value file is YAML::

    jalon: 1
    plan: imt-2018-2022
    source: press-release        # default source of the rows
    state: approved              # default state of the rows
    values:
      - {indicator: students, entity: imt, period: 2017/18, value: 13400}
      - {indicator: students, entity: imt, period: 2016/17, member: programme/engineering, value: 9100}
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from jalon.audit.models import AuditEvent
from jalon.core.yamlsource import FileProblems, Problem, read_yaml
from jalon.engine.periods import PeriodError
from jalon.organisation.models import Entity
from jalon.plans.models import DimensionMember, Plan, Source
from jalon.plans.planfile import Code, Number, PeriodCode, _pydantic_problem, checked_period
from jalon.values.choices import ValueState
from jalon.values.models import Value


class Strict(BaseModel):
    # No infinity or NaN: "no data" is the absence of a row, never a number.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class ValueRow(Strict):
    indicator: Code
    entity: Code
    period: PeriodCode
    member: str | None = Field(None, description="dimension/member, e.g. programme/engineering")
    value: Number | None = None
    text: str | None = None
    source: Code | None = None
    comment: str | None = None
    state: Literal[tuple(ValueState.values)] | None = None


class ValueFile(Strict):
    jalon: Literal[1]
    plan: Code
    source: Code | None = None
    state: Literal[tuple(ValueState.values)] = "submitted"
    note: str | None = None
    values: list[ValueRow]


@dataclass
class ValuesReport:
    """What an import did."""

    counts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        """Return one line saying what changed."""
        c = self.counts
        return f"{c['created']} new, {c['revised']} revised, {c['unchanged']} unchanged"


def store_values(text: str, filename: str, *, actor=None, actor_label: str = "") -> ValuesReport:
    """Import the figures in ``text``; raise FileProblems and write nothing on any error."""
    located = read_yaml(text, filename)
    try:
        parsed = ValueFile.model_validate(located.data)
    except PydanticValidationError as error:
        raise FileProblems(
            filename, [_pydantic_problem(located, e) for e in error.errors()]
        ) from None
    problems: list[Problem] = []

    plan = Plan.objects.filter(code=parsed.plan).first()
    if plan is None:
        raise FileProblems(
            filename, [located.problem(("plan",), f"no plan has the code '{parsed.plan}'")]
        )
    indicators = {i.code: i for i in plan.indicators.all()}
    entities = {e.code: e for e in Entity.objects.all()}
    sources = {s.code: s for s in Source.objects.all()}
    members = {
        (m.dimension.indicator_id, f"{m.dimension.code}/{m.code}"): m
        for m in DimensionMember.objects.filter(dimension__indicator__plan=plan).select_related(
            "dimension"
        )
    }
    if parsed.source and parsed.source not in sources:
        problems.append(located.problem(("source",), f"no source has the code '{parsed.source}'"))

    rows = []
    seen = Counter()
    today = timezone.localdate()
    for n, row in enumerate(parsed.values):
        at = ("values", n)
        indicator = indicators.get(row.indicator)
        entity = entities.get(row.entity)
        if indicator is None:
            problems.append(
                located.problem((*at, "indicator"), f"the plan has no indicator '{row.indicator}'")
            )
        if entity is None:
            problems.append(
                located.problem((*at, "entity"), f"no entity has the code '{row.entity}'")
            )
        source_code = row.source or parsed.source
        if row.source and row.source not in sources:
            problems.append(
                located.problem((*at, "source"), f"no source has the code '{row.source}'")
            )
        if indicator is None or entity is None:
            continue
        try:
            period = checked_period(row.period, indicator.frequency, indicator.start_month)
            if period.start > today:
                raise PeriodError(
                    f"'{period.code}' has not started yet: a figure measures the past"
                )
        except PeriodError as error:
            problems.append(
                located.problem(
                    (*at, "period"),
                    f"{error} ('{indicator.code}' is reported by {indicator.frequency.replace('_', ' ')})",
                )
            )
            continue
        if not entity.exists_on(period.end):
            problems.append(
                located.problem(
                    (*at, "entity"), f"'{entity.code}' did not exist at the end of {period.code}"
                )
            )
        member = None
        if row.member:
            member = members.get((indicator.pk, row.member))
            if member is None:
                problems.append(
                    located.problem(
                        (*at, "member"),
                        f"'{indicator.code}' has no breakdown member '{row.member}'",
                    )
                )
                continue
        if indicator.kind == "qualitative":
            if row.text is None or row.value is not None:
                problems.append(
                    located.problem(
                        at, f"'{indicator.code}' is qualitative: give text:, not value:"
                    )
                )
        elif row.value is None or row.text is not None:
            problems.append(
                located.problem(at, f"'{indicator.code}' is quantitative: give value: (a number)")
            )
        key = (indicator.pk, entity.pk, period.code, member.pk if member else None)
        seen[key] += 1
        if seen[key] == 2:
            problems.append(
                located.problem(
                    at,
                    f"this file gives {indicator.code} at {entity.code} for {period.code}{' (' + row.member + ')' if row.member else ''} twice",
                )
            )
        rows.append((key, row, sources.get(source_code), row.state or parsed.state))
    if problems:
        raise FileProblems(filename, problems)

    report = ValuesReport()
    now = timezone.now()
    with transaction.atomic():
        current = {
            (v.indicator_id, v.entity_id, v.period, v.member_id): v
            for v in Value.objects.current().filter(
                indicator__plan=plan, indicator_id__in={k[0][0] for k in rows}
            )
        }
        new, superseded = [], []
        for key, row, source, state in rows:
            old = current.get(key)
            content = (
                row.value,
                row.text or "",
                source.pk if source else None,
                row.comment or "",
                state,
            )
            if (
                old is not None
                and (old.number, old.text, old.source_id, old.comment, old.state) == content
            ):
                report.counts["unchanged"] += 1
                continue
            if old is not None:
                old.superseded_at = now
                superseded.append(old)
                report.counts["revised"] += 1
            else:
                report.counts["created"] += 1
            new.append(
                Value(
                    indicator_id=key[0],
                    entity_id=key[1],
                    period=key[2],
                    member_id=key[3],
                    number=row.value,
                    text=row.text or "",
                    source=source,
                    comment=row.comment or "",
                    state=state,
                    revision=old.revision + 1 if old else 1,
                    recorded_at=now,
                    recorded_by=actor,
                    recorded_via=filename[-100:],
                )
            )
        Value.objects.bulk_update(superseded, ["superseded_at"], batch_size=500)
        Value.objects.bulk_create(new, batch_size=500)
        if new:
            plan.touch()
        AuditEvent.record(
            "values.import",
            "plan",
            plan.code,
            actor=actor,
            label=actor_label,
            file=filename,
            counts=dict(report.counts),
        )
    return report
